"""Side-by-side timings of cconv1d and its peers (``python -m cconv1d bench``).

Every case times cconv1d and each installed peer in the same process, on the same
inputs, at the same thread count: an untimed warm-up, then the median (and minimum) of
repeats. It prints ``ratio = peer_time / cconv1d_time`` (> 1: cconv1d is faster) and
cconv1d's GFLOP/s. Peers that are not installed are skipped, never faked.

Examples
--------
>>> from cconv1d import bench
>>> rows = bench.run(cases=["tiny"], signal_cases=[], repeats=3, backward=False,
...                  stream=None)
>>> rows[0]["case"]
'tiny'
"""

import statistics
import sys
import time

import numpy as np

import cconv1d as cc

# (N, C_in, C_out, L, K, stride, dilation, groups, padding[, dtype])
NN_CASES = {
    "tiny": (1, 4, 8, 128, 5, 1, 1, 1, "same"),
    "audio-frontend": (8, 1, 32, 16000, 9, 1, 1, 1, 4),
    "tcn": (32, 64, 64, 1024, 3, 1, 1, 1, "same"),
    "tcn-dilated": (32, 64, 64, 1024, 3, 1, 8, 1, "same"),
    "wide-kernel": (16, 32, 32, 2048, 31, 1, 1, 1, 15),
    "strided": (32, 64, 128, 1024, 7, 2, 1, 1, 3),
    "deep-channels": (8, 256, 256, 512, 3, 1, 1, 1, 1),
    "depthwise": (32, 128, 128, 1024, 9, 1, 1, 128, 4),
    "tcn-f64": (32, 64, 64, 1024, 3, 1, 1, 1, "same", "float64"),
}

# (signal length, kernel length), float64, mode "full"
SIGNAL_CASES = [(1000, 7), (100_000, 31), (1_000_000, 31), (1_000_000, 301),
                (1_000_000, 3001), (10_000, 10_000)]


def _time(fn, repeats, min_seconds=0.0):
    fn()  # warm-up: page faults, thread start-up, caches
    times = []
    start = time.perf_counter()
    while len(times) < repeats or (time.perf_counter() - start < min_seconds
                                   and len(times) < 10 * repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), min(times)


def _torch():
    try:
        import torch
        import torch.nn.functional as F
    except ImportError:
        return None, None
    return torch, F


def _padding_pair(padding, length, k, stride, dilation):
    left, right, _ = cc.functional.conv1d_geometry(length, k, stride, padding, dilation)
    return left, right


def nn_case(name, spec, repeats, threads, backward):
    n, c_in, c_out, length, k, stride, dilation, groups, padding = spec[:9]
    dtype = np.dtype(spec[9] if len(spec) > 9 else "float32")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, c_in, length)).astype(dtype)
    w = rng.standard_normal((c_out, c_in // groups, k)).astype(dtype)
    b = rng.standard_normal(c_out).astype(dtype)
    left, right = _padding_pair(padding, length, k, stride, dilation)
    kwargs = dict(stride=stride, padding=(left, right), dilation=dilation, groups=groups)
    y = cc.conv1d(x, w, b, **kwargs)
    out = np.empty_like(y)
    flops = 2.0 * n * c_out * y.shape[-1] * (c_in // groups) * k
    row = {"case": name, "dtype": dtype.name, "threads": threads,
           "shape": f"N={n} {c_in}->{c_out} L={length} K={k} s={stride} d={dilation} g={groups}"}
    t_ours, t_ours_min = _time(lambda: cc.conv1d(x, w, b, out=out, **kwargs), repeats)
    t_fresh, _ = _time(lambda: cc.conv1d(x, w, b, **kwargs), repeats)
    row.update(ours=t_ours, ours_min=t_ours_min, ours_fresh=t_fresh,
               gflops=flops / t_ours / 1e9)
    torch, F = _torch()
    if torch is not None:
        xt, wt, bt = torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b)

        def torch_forward():
            with torch.no_grad():
                xp = F.pad(xt, (left, right)) if left != right else xt
                return F.conv1d(xp, wt, bt, stride=stride, dilation=dilation, groups=groups,
                                padding=0 if left != right else left)
        row["torch"], _ = _time(torch_forward, repeats)
    if backward:
        g = rng.standard_normal(y.shape).astype(dtype)
        row["ours_bwd"], _ = _time(lambda: cc.conv1d_backward(g, x, w, **kwargs), repeats)
        row["gflops_bwd"] = 2 * flops / row["ours_bwd"] / 1e9
        if torch is not None:
            xr = torch.from_numpy(x).requires_grad_(True)
            wr = torch.from_numpy(w).requires_grad_(True)
            br = torch.from_numpy(b).requires_grad_(True)
            gt = torch.from_numpy(g)
            yr = F.conv1d(F.pad(xr, (left, right)), wr, br, stride=stride,
                          dilation=dilation, groups=groups)

            def torch_backward():
                # autograd's backward alone: the graph is kept, only gradients recomputed
                xr.grad = wr.grad = br.grad = None
                yr.backward(gt, retain_graph=True)
            row["torch_bwd"], _ = _time(torch_backward, repeats)
    return row


def signal_case(length, taps, repeats, threads):
    rng = np.random.default_rng(1)
    a = rng.standard_normal(length)
    v = rng.standard_normal(taps)
    row = {"case": f"convolve {length:g} x {taps:g}", "dtype": "float64", "threads": threads}
    row["ours"], row["ours_min"] = _time(lambda: cc.convolve(a, v), repeats)
    row["ours_direct"], _ = _time(lambda: cc.convolve(a, v, method="direct"), repeats)
    row["ours_fft"], _ = _time(lambda: cc.convolve(a, v, method="fft"), repeats)
    peers = {}
    peers["numpy.convolve"] = lambda: np.convolve(a, v)
    try:
        import scipy.ndimage
        import scipy.signal
        peers["scipy direct"] = lambda: scipy.signal.convolve(a, v, method="direct")
        peers["scipy auto"] = lambda: scipy.signal.convolve(a, v, method="auto")
        peers["scipy oaconvolve"] = lambda: scipy.signal.oaconvolve(a, v)
    except ImportError:
        pass
    for name, fn in peers.items():
        # the O(n*m) peers on the largest cases take seconds: fewer repeats there
        reps = repeats if length * taps < 1e8 else 1
        row[name], _ = _time(fn, reps)
    row["best_peer"] = min(row[name] for name in peers)
    return row


def _fmt_ratio(peer, ours):
    if peer is None:
        return "      -"
    return f"{peer / ours:6.2f}x"


def run(cases=None, signal_cases=None, repeats=7, threads=None, backward=True,
        stream=sys.stdout):
    """Run the benchmark; print a table to ``stream`` (None: silent); return the rows."""
    threads = threads or cc.get_num_threads()
    torch, _ = _torch()
    old = cc.get_num_threads()
    cc.set_num_threads(threads)
    if torch is not None:
        torch_threads = torch.get_num_threads()
        torch.set_num_threads(threads)
    rows = []
    try:
        names = list(NN_CASES) if cases is None else cases
        for name in names:
            rows.append(nn_case(name, NN_CASES[name], repeats, threads, backward))
        for length, taps in (SIGNAL_CASES if signal_cases is None else signal_cases):
            rows.append(signal_case(length, taps, repeats, threads))
    finally:
        cc.set_num_threads(old)
        if torch is not None:
            torch.set_num_threads(torch_threads)
    if stream is not None:
        _print(rows, threads, stream)
    return rows


def _print(rows, threads, stream):
    p = lambda *a: print(*a, file=stream)  # noqa: E731
    p(f"cconv1d {cc.__version__} benchmark, {threads} thread(s); times are medians, "
      "ratio = peer / cconv1d (> 1: cconv1d faster)")
    p(f"{'case':16s} {'dtype':8s} {'ours ms':>9s} {'fresh ms':>9s} {'GFLOP/s':>8s} "
      f"{'torch':>8s} {'bwd ms':>9s} {'bwd GF/s':>8s} {'torch bwd':>9s}")
    for r in rows:
        if "gflops" not in r:
            continue
        p(f"{r['case']:16s} {r['dtype']:8s} {1e3 * r['ours']:9.3f} {1e3 * r['ours_fresh']:9.3f} "
          f"{r['gflops']:8.1f} {_fmt_ratio(r.get('torch'), r['ours']):>8s} "
          + (f"{1e3 * r['ours_bwd']:9.3f} {r['gflops_bwd']:8.1f} "
             f"{_fmt_ratio(r.get('torch_bwd'), r['ours_bwd']):>9s}" if "ours_bwd" in r else ""))
    signal_rows = [r for r in rows if "best_peer" in r]
    if signal_rows:
        p("")
        p(f"{'signal (full)':24s} {'auto ms':>9s} {'direct':>9s} {'fft':>9s} "
          f"{'numpy':>8s} {'scipy-d':>8s} {'scipy-a':>8s} {'scipy-oa':>8s} {'vs best':>8s}")
        for r in signal_rows:
            p(f"{r['case']:24s} {1e3 * r['ours']:9.3f} {1e3 * r['ours_direct']:9.3f} "
              f"{1e3 * r['ours_fft']:9.3f} "
              f"{_fmt_ratio(r.get('numpy.convolve'), r['ours']):>8s} "
              f"{_fmt_ratio(r.get('scipy direct'), r['ours']):>8s} "
              f"{_fmt_ratio(r.get('scipy auto'), r['ours']):>8s} "
              f"{_fmt_ratio(r.get('scipy oaconvolve'), r['ours']):>8s} "
              f"{_fmt_ratio(r['best_peer'], r['ours']):>8s}")


def main(argv=None):
    import argparse

    parser = argparse.ArgumentParser(prog="python -m cconv1d bench")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--cases", nargs="*", default=None, choices=list(NN_CASES))
    parser.add_argument("--no-backward", action="store_true")
    parser.add_argument("--no-signal", action="store_true")
    args = parser.parse_args(argv)
    run(cases=args.cases, signal_cases=[] if args.no_signal else None,
        repeats=args.repeats, threads=args.threads, backward=not args.no_backward)
    return 0
