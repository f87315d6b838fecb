"""Every SIMD path of this build side by side on the benchmark's layer cases.

Times the forward and the backward of each case of ``cconv1d.bench.NN_CASES`` (plus a
pointwise and a short-sequence layer) on every path this CPU runs, the paths taking
turns within each repeat so a burst of other work on a shared machine hits them all, and
prints medians and the ratio of each path to the best one (``> 1``: slower). The
core's FMA roof, for the % column, is given by ``--roof`` (a dependent-chain-free
FMA loop is not reachable from Python: ``benchmarks/fma_roof.c`` measures it).
``--sweep`` adds layer kinds beyond the benchmark's shapes: dilated layers (K = 3,
dilation 2-16) and strided ones (stride 2-4) with 64-512 channels, so a tiling is tuned
for the kind of layer and not for one shape.

    python benchmarks/bench_paths.py --threads 1 --repeats 7
    python benchmarks/bench_paths.py --threads 1 --repeats 7 --sweep
"""

import argparse
import time

import numpy as np

import cconv1d as cc
from cconv1d import _kernels
from cconv1d.bench import NN_CASES

EXTRA = {
    "pointwise": (16, 256, 256, 1024, 1, 1, 1, 1, 0),
    "short-seq": (16, 128, 256, 150, 5, 1, 1, 1, "same"),
}

# (channels, batch) pairs: about 0.2-1.6 GFLOP per forward, a few ms to tens of ms.
SWEEP = dict(
    [(f"dil{d}-c{c}", (n, c, c, 1024, 3, 1, d, 1, "same"))
     for c, n in ((64, 32), (128, 8), (256, 4), (512, 1)) for d in (2, 4, 8, 16)]
    + [(f"str{s}-c{c}", (n, c, c, 1024, k, s, 1, 1, k // 2))
       for c, n, k in ((64, 32, 7), (128, 16, 5), (256, 4, 5), (512, 1, 3))
       for s in (2, 3, 4)])


def make(case, rng):
    n, c_in, c_out, length, k, stride, dilation, groups, padding, *rest = case
    dtype = np.dtype(rest[0] if rest else "float32")
    x = rng.standard_normal((n, c_in, length)).astype(dtype)
    w = rng.standard_normal((c_out, c_in // groups, k)).astype(dtype)
    b = rng.standard_normal(c_out).astype(dtype)
    kw = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    y = cc.conv1d(x, w, b, **kw)
    flops = 2.0 * n * c_out * y.shape[-1] * (c_in // groups) * k
    return x, w, b, kw, y, flops


def timed(fn, min_time=0.02, clock=time.perf_counter):
    fn()
    reps, t = 1, 0.0
    while True:
        t0 = clock()
        for _ in range(reps):
            fn()
        t = clock() - t0
        if t >= min_time:
            return t / reps
        reps *= 2


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--roof", type=float, default=117.0,
                        help="the core's float32 FMA roof in GFLOP/s (per thread)")
    parser.add_argument("--cases", nargs="*", default=None)
    parser.add_argument("--sweep", action="store_true",
                        help="time the dilation / stride sweep (all of it without --cases)")
    parser.add_argument("--list-sweep", action="store_true",
                        help="print the sweep's case names and exit")
    args = parser.parse_args(argv)
    if args.list_sweep:
        print(" ".join(SWEEP))
        return
    cc.set_num_threads(args.threads)
    # One thread runs on the caller's thread: its CPU time leaves out the time a busy
    # shared machine kept it descheduled.
    clock = time.thread_time if args.threads == 1 else time.perf_counter
    paths = _kernels.usable_paths()
    cases = dict(NN_CASES, **EXTRA, **SWEEP)
    names = args.cases or list(SWEEP if args.sweep else dict(NN_CASES, **EXTRA))
    rng = np.random.default_rng(0)
    print(f"paths {paths}, threads {args.threads}; forward / backward ms "
          f"({'thread CPU time' if args.threads == 1 else 'wall clock'}, median of "
          f"{args.repeats}); ratio = path time / fastest path time")
    print(f"{'case':<16}" + "".join(f"{p + ' fwd':>12}{p + ' bwd':>12}" for p in paths)
          + "   GF/s fwd (best)")
    for name in names:
        x, w, b, kw, y, flops = make(cases[name], rng)
        g = np.ones_like(y)
        times = {p: ([], []) for p in paths}
        for _ in range(args.repeats):
            for p in paths:
                _kernels.select_simd(p)
                times[p][0].append(timed(lambda: cc.conv1d(x, w, b, out=y, **kw), clock=clock))
                times[p][1].append(timed(lambda: cc.conv1d_backward(g, x, w, bias=True, **kw),
                                         clock=clock))
        _kernels.select_simd(None)
        med = {p: (np.median(f), np.median(bw)) for p, (f, bw) in times.items()}
        best_f = min(m[0] for m in med.values())
        best_b = min(m[1] for m in med.values())
        cells = "".join(f"{1e3 * f:8.3f}/{f / best_f:4.2f}{1e3 * bw:7.3f}/{bw / best_b:4.2f}"
                        for f, bw in med.values())
        gf = flops / best_f / 1e9
        print(f"{name:<16}{cells}   {gf:6.1f} ({100 * gf / (args.roof * args.threads):.0f}% "
              f"of roof)")


if __name__ == "__main__":
    main()
