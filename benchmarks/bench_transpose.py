"""``conv_transpose1d`` upsamplers against PyTorch, over the kind rather than two shapes.

Upsampling decoder layers: stride ``s`` in 2..4, ``K = 2*s`` or ``2*s + 1`` with PyTorch's
usual ``padding = (K - s + 1) // 2`` (so the output is ``s*L`` long or one more), 16-256
channels, lengths 1k-16k and batches 1-16. Each shape is timed for cconv1d (into a
reused ``out=``) and ``torch.nn.functional.conv_transpose1d`` in turn within every
repeat (a burst of other work on the shared machine lands on both), medians of
``--repeats`` (thread CPU time at one thread, wall time at more); the ratio is ``torch / ours`` (above 1: cconv1d faster). The results are
also checked against each other (float32, relative to the output's scale).

    python benchmarks/bench_transpose.py --threads 1 2
    python benchmarks/bench_transpose.py --grid small --method fft
"""

import argparse
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

import cconv1d as cc
from cconv1d.bench import TRANSPOSE_CASES

# (N, C_in, C_out, L, K, stride, padding)
GRID = {
    "x2-k4-64":      (16, 64, 32, 1024, 4, 2, 1),
    "x2-k5-128":     (8, 128, 128, 2048, 5, 2, 2),
    "x2-k4-256-b1":  (1, 256, 256, 4096, 4, 2, 1),
    "x2-k4-16-long": (4, 16, 16, 16384, 4, 2, 1),
    "x3-k6-64":      (8, 64, 64, 2048, 6, 3, 2),
    "x3-k7-32":      (16, 32, 32, 1024, 7, 3, 2),
    "x4-k8-128":     (16, 128, 64, 512, 8, 4, 2),
    "x4-k9-256":     (4, 256, 128, 1024, 9, 4, 3),
    "x4-k8-32-long": (2, 32, 16, 8192, 8, 4, 2),
    "x4-k8-16-b1":   (1, 16, 16, 4096, 8, 4, 2),
}
GRIDS = {"all": {**{f"bench:{k}": v for k, v in TRANSPOSE_CASES.items()}, **GRID},
         "bench": {f"bench:{k}": v for k, v in TRANSPOSE_CASES.items()},
         "small": dict(list(GRID.items())[:4])}


def interleaved(fns, repeats, clock, min_sample=5e-3):
    """{name: median seconds per call}, the functions taking turns in each repeat."""
    number = {}
    for name, fn in fns.items():
        fn()
        t0 = clock()
        fn()
        number[name] = max(1, int(min_sample / max(clock() - t0, 1e-9)))
    times = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            t0 = clock()
            for _ in range(number[name]):
                fn()
            times[name].append((clock() - t0) / number[name])
    return {name: statistics.median(t) for name, t in times.items()}


def run_case(spec, repeats, method, clock):
    n, c_in, c_out, length, k, stride, padding = spec
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, c_in, length)).astype(np.float32)
    w = (rng.standard_normal((c_in, c_out, k)) / np.sqrt(c_in * k / stride)).astype(np.float32)
    b = rng.standard_normal(c_out).astype(np.float32)
    out = cc.conv_transpose1d(x, w, b, stride, padding, method=method)
    xt, wt, bt = torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b)

    def theirs():
        with torch.no_grad():
            return F.conv_transpose1d(xt, wt, bt, stride=stride, padding=padding)
    ref = theirs().numpy()
    err = float(np.max(np.abs(out - ref)) / np.max(np.abs(ref)))
    t = interleaved({"ours": lambda: cc.conv_transpose1d(x, w, b, stride, padding, out=out,
                                                         method=method),
                     "torch": theirs}, repeats, clock)
    flops = 2.0 * n * c_in * length * c_out * k
    return t["ours"], t["torch"], flops, err


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--repeats", type=int, default=9)
    p.add_argument("--grid", choices=list(GRIDS), default="all")
    p.add_argument("--method", choices=["auto", "direct", "fft"], default="auto")
    a = p.parse_args(argv)
    print(f"torch {torch.__version__}, cconv1d {cc.__version__}, SIMD "
          f"{cc._forward.simd_path()}, method={a.method}; medians of {a.repeats}, "
          "ratio = torch / ours")
    for threads in a.threads:
        torch.set_num_threads(threads)
        cc.set_num_threads(threads)
        print(f"\nthreads: {threads}")
        print(f"{'case':<18}{'shape (N Cin->Cout L K s p)':<32}{'ours ms':>9}{'torch ms':>10}"
              f"{'GF/s':>7}{'ratio':>8}{'max err':>10}")
        ratios = []
        for name, spec in GRIDS[a.grid].items():
            # One thread: the CPU time of this thread (time the machine's other users
            # take from us is not counted); two: wall time.
            clock = time.thread_time if threads == 1 else time.perf_counter
            ours, theirs, flops, err = run_case(spec, a.repeats, a.method, clock)
            ratios.append(theirs / ours)
            n, ci, co, length, k, s, pad = spec
            shape = f"{n} {ci}->{co} {length} {k} {s} {pad}"
            print(f"{name:<18}{shape:<32}{ours * 1e3:9.3f}{theirs * 1e3:10.3f}"
                  f"{flops / ours / 1e9:7.1f}{theirs / ours:7.2f}x{err:10.1e}", flush=True)
        print(f"{'median ratio':<50}{statistics.median(ratios):>26.2f}x   "
              f"(min {min(ratios):.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
