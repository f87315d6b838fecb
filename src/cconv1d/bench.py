"""Side-by-side timings of cconv1d and its peers (``python -m cconv1d bench``).

Every case times cconv1d and each installed peer in the same process, on the same
inputs, at the same thread count: an untimed warm-up, then the median (and minimum) of
repeats, cconv1d and PyTorch taking turns within each repeat. It prints ``ratio = peer_time / cconv1d_time`` (> 1: cconv1d is faster),
cconv1d's GFLOP/s and that as a percentage of the machine's GEMM peak, and the scratch
one forward call allocates besides its output (``ws KiB``: packed weights and one packed
input sample per thread). Peers that are
not installed are skipped, never faked; a signal peer whose untimed result differs from
``numpy.convolve`` is skipped with a note rather than timed.

The output starts with the machine (CPU model and logical cores), the SIMD path the
kernels dispatch to, then for each thread count (``--threads 1 2`` runs the whole table
once per count) the thread count and the peak: GFLOP/s of a 2048 x 2048 float32 and
float64 matrix product at that thread count (``torch.mm`` if PyTorch is installed, else
NumPy's ``matmul``; a warm-up, then the median of 5), which the ``% peak`` columns of the
same dtype refer to (``--no-peak`` skips it). ``--json PATH`` (``-`` for standard output;
the table then goes to standard error) also writes ``{"machine", "threads", "simd",
"peak", "rows"}``: ``threads`` is the list of thread counts, ``peak`` maps each (as a
string) to ``{"library", "size", "float32", "float64"}``, ``rows`` are the dicts
:func:`run` returns; times are in seconds, rates in GFLOP/s.

Examples
--------
>>> from cconv1d import bench
>>> rows = bench.run(cases=["tiny"], signal_cases=[], repeats=3, backward=False,
...                  peak=False, stream=None)
>>> rows[0]["case"]
'tiny'
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TextIO

import numpy as np

import cconv1d as cc
from cconv1d import _forward, _spec, _threads

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
    # The layer kinds beyond the first nine (issue 15): every one is a kind, not a shape
    # to tune for; other shapes of the same kinds are measured too.
    "pointwise": (16, 256, 256, 1024, 1, 1, 1, 1, 0),
    "grouped": (16, 128, 128, 1024, 5, 1, 1, 8, "same"),
    "batch-1": (1, 128, 128, 2048, 3, 1, 1, 1, "same"),
    "wavenet-k2": (8, 64, 64, 4096, 2, 1, 64, 1, "causal"),
    "mono-strided": (16, 1, 64, 16000, 10, 4, 2, 1, 0),
    "long-sequence": (1, 32, 32, 65536, 3, 1, 4, 1, "same"),
    "long-kernel": (8, 64, 64, 4096, 255, 1, 1, 1, "same"),
    "depthwise-long": (8, 128, 128, 2048, 2047, 1, 1, 128, "same"),
    # a short sequence late in an encoder or a classifier's head: a batch of 8 outputs
    "short-sequence": (64, 256, 256, 8, 3, 1, 1, 1, "same"),
}

# conv_transpose1d upsamplers: (N, C_in, C_out, L, K, stride, padding)
TRANSPOSE_CASES = {
    "upsample-x2": (16, 64, 32, 1024, 4, 2, 1),
    "upsample-x4": (16, 128, 64, 512, 8, 4, 2),
    # a decoder's first upsampler, from a short latent sequence
    "upsample-latent": (16, 256, 128, 8, 8, 4, 2),
}

# (signal length, kernel length), float64, mode "full"
SIGNAL_CASES = [(1000, 7), (100_000, 31), (1_000_000, 31), (1_000_000, 301),
                (1_000_000, 3001), (10_000, 10_000)]

# The GEMM whose rate is the "peak": PEAK_SIZE x PEAK_SIZE matrices, median of PEAK_REPEATS
PEAK_SIZE = 2048
PEAK_REPEATS = 5


# A timed sample lasts at least this long: calls shorter than it are repeated inside the
# sample (as timeit does), so microsecond calls are not measured against the timer's
# own resolution and jitter.
SAMPLE_SECONDS = 2e-3


def _time(fn: Callable[[], object], repeats: int, min_seconds: float = 0.0, warmup: bool = True,
          first: float | None = None) -> tuple[float, float]:
    """Median and minimum seconds per call of ``fn`` over ``repeats`` samples.

    ``warmup`` makes one untimed call first; ``first`` (seconds of an earlier call, when
    the caller made the warm-up itself) sets the calls per sample without one.
    """
    if warmup:
        t0 = time.perf_counter()
        fn()  # page faults, thread start-up, caches
        first = time.perf_counter() - t0
    number = max(1, int(SAMPLE_SECONDS / first)) if first else 1
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < repeats or (time.perf_counter() - start < min_seconds
                                   and len(times) < 10 * repeats):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - t0) / number)
    return statistics.median(times), min(times)


def _torch() -> tuple[Any, Any]:
    try:
        import torch
        import torch.nn.functional as F
    except ImportError:
        return None, None
    return torch, F


def machine_info() -> dict[str, Any]:
    """The CPU model (``/proc/cpuinfo``, else ``platform.processor()``), logical cores, OS."""
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"cpu": cpu or platform.processor() or platform.machine() or "unknown",
            "logical_cores": os.cpu_count(),
            "platform": f"{platform.system()} {platform.machine()}"}


@contextlib.contextmanager
def _using_threads(threads: int) -> Iterator[None]:
    """cconv1d and PyTorch (if installed) both run on ``threads`` threads inside."""
    torch, _ = _torch()
    # What the caller asked for, not what it resolved to: None (the default) must come
    # back as None, or OMP_NUM_THREADS and threadpoolctl would be ignored from then on.
    old = getattr(_threads, "_requested", None)
    old_torch = torch.get_num_threads() if torch is not None else None
    cc.set_num_threads(threads)
    if torch is not None:
        torch.set_num_threads(threads)
    try:
        yield
    finally:
        cc.set_num_threads(old)
        if torch is not None:
            torch.set_num_threads(old_torch)


def gemm_peak(threads: int, size: int | None = None,
              repeats: int = PEAK_REPEATS) -> dict[str, Any]:
    """GFLOP/s of a ``size`` x ``size`` float32 and float64 matrix product on ``threads``.

    ``torch.mm`` if PyTorch is installed (run inside :func:`_using_threads`), else NumPy's
    ``matmul`` with its BLAS limited to ``threads`` by threadpoolctl when that is installed.
    """
    size = size or PEAK_SIZE
    torch, _ = _torch()
    limit = contextlib.nullcontext()
    if torch is not None:
        library = f"torch {torch.__version__}"
        matmul = torch.mm
    else:
        library = f"numpy {np.__version__}"
        matmul = np.matmul
        try:
            from threadpoolctl import threadpool_limits
            limit = threadpool_limits(limits=threads, user_api="blas")
        except ImportError:
            library += " (BLAS at its default thread count)"
    peak = {"library": library, "size": size}
    rng = np.random.default_rng(2)
    with limit:
        for dtype in ("float32", "float64"):
            a, b = (rng.standard_normal((size, size)).astype(dtype) for _ in range(2))
            if torch is not None:
                a, b = torch.from_numpy(a), torch.from_numpy(b)
            seconds, _ = _time(lambda: matmul(a, b), repeats)
            peak[dtype] = 2.0 * size ** 3 / seconds / 1e9
    return peak


def _padding_pair(padding: Any, length: int, k: int, stride: int,
                  dilation: int) -> tuple[int, int]:
    left, right, _ = cc.functional.conv1d_geometry(length, k, stride, padding, dilation)
    return left, right


def _time_interleaved(fns: dict[str, Callable[[], object]],
                      repeats: int) -> dict[str, tuple[float, float]]:
    """``{name: (median, min)}`` seconds per call, the functions timed in turn within
    each repeat: on a shared machine a burst of someone else's work then lands on every
    contestant alike instead of on whichever was running. The order rotates from one
    repeat to the next, so each contestant follows each other one equally often: the
    one that ran just before leaves the caches holding its own data (PyTorch's freshly
    allocated outputs evicted a depthwise layer's 32 MB of input and output from the
    cache, which made the call timed right after it 1.5x slower than the same call
    timed after our own)."""
    number = {}
    for name, fn in fns.items():
        t0 = time.perf_counter()
        fn()  # warm-up: page faults, thread start-up, caches
        number[name] = max(1, int(SAMPLE_SECONDS / max(time.perf_counter() - t0, 1e-9)))
    times: dict[str, list[float]] = {name: [] for name in fns}
    names = list(fns)
    for repeat in range(repeats):
        shift = repeat % max(1, len(names))
        for name in names[shift:] + names[:shift]:
            fn = fns[name]
            t0 = time.perf_counter()
            for _ in range(number[name]):
                fn()
            times[name].append((time.perf_counter() - t0) / number[name])
    return {name: (statistics.median(t), min(t)) for name, t in times.items()}


def nn_case(name: str, spec: tuple[Any, ...], repeats: int, threads: int,
            backward: bool) -> dict[str, Any]:
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
           "shape": f"N={n} {c_in}->{c_out} L={length} K={k} s={stride} d={dilation} g={groups}",
           "workspace": _forward.forward_workspace_bytes(
               n, c_in, length, c_out, c_in // groups, k, left, right, y.shape[-1],
               stride, dilation, groups, _spec.CONSTANT, dtype.itemsize, threads, True)}
    forward: dict[str, Callable[[], object]] = {
               "ours": lambda: cc.conv1d(x, w, b, out=out, **kwargs),
               "ours_fresh": lambda: cc.conv1d(x, w, b, **kwargs)}
    backward_fns: dict[str, Callable[[], object]] = {}
    if backward:
        g = rng.standard_normal(y.shape).astype(dtype)
        backward_fns["ours_bwd"] = lambda: cc.conv1d_backward(g, x, w, **kwargs)
    torch, F = _torch()
    if torch is not None:
        xt, wt, bt = torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b)

        def torch_forward() -> Any:
            with torch.no_grad():
                xp = F.pad(xt, (left, right)) if left != right else xt
                return F.conv1d(xp, wt, bt, stride=stride, dilation=dilation, groups=groups,
                                padding=0 if left != right else left)
        forward["torch"] = torch_forward
        if backward:
            xr = torch.from_numpy(x).requires_grad_(True)
            wr = torch.from_numpy(w).requires_grad_(True)
            br = torch.from_numpy(b).requires_grad_(True)
            gt = torch.from_numpy(g)
            yr = F.conv1d(F.pad(xr, (left, right)), wr, br, stride=stride,
                          dilation=dilation, groups=groups)

            def torch_backward() -> None:
                # autograd's backward alone: the graph is kept, only gradients recomputed
                xr.grad = wr.grad = br.grad = None
                yr.backward(gt, retain_graph=True)
            backward_fns["torch_bwd"] = torch_backward
    for fns in (forward, backward_fns):
        for key, (median, best) in _time_interleaved(fns, repeats).items():
            row[key] = median
            if key == "ours":
                row["ours_min"] = best
    row["gflops"] = flops / row["ours"] / 1e9
    if backward:
        row["gflops_bwd"] = 2 * flops / row["ours_bwd"] / 1e9
    return row


def _signal_peers(a: np.ndarray, v: np.ndarray) -> dict[str, Callable[[], Any]]:
    """The installed peers computing numpy.convolve(a, v) ('full'), by name."""
    peers = {"numpy.convolve": lambda: np.convolve(a, v)}
    try:
        import scipy.ndimage
        import scipy.signal
    except ImportError:
        return peers
    peers["scipy direct"] = lambda: scipy.signal.convolve(a, v, method="direct")
    peers["scipy auto"] = lambda: scipy.signal.convolve(a, v, method="auto")
    peers["scipy oaconvolve"] = lambda: scipy.signal.oaconvolve(a, v)
    # convolve1d keeps the input's length and centres the kernel: a user zero-pads the
    # signal to the 'full' length first, so the padding is part of the timed call.
    pad = (len(v) // 2, len(v) - 1 - len(v) // 2)
    peers["ndimage"] = lambda: scipy.ndimage.convolve1d(np.pad(a, pad), v, mode="constant",
                                                        cval=0.0)
    return peers


def signal_case(length: int, taps: int, repeats: int, threads: int) -> dict[str, Any]:
    rng = np.random.default_rng(1)
    a = rng.standard_normal(length)
    v = rng.standard_normal(taps)
    row: dict[str, Any] = {"case": f"convolve {length:g} x {taps:g}", "dtype": "float64",
                           "threads": threads, "notes": []}
    row["ours"], row["ours_min"] = _time(lambda: cc.convolve(a, v), repeats)
    row["ours_direct"], _ = _time(lambda: cc.convolve(a, v, method="direct"), repeats)
    row["ours_fft"], _ = _time(lambda: cc.convolve(a, v, method="fft"), repeats)
    expected = np.convolve(a, v)
    atol = 1e-9 * np.abs(expected).max()
    timed = []
    for name, fn in _signal_peers(a, v).items():
        t0 = time.perf_counter()
        result = fn()  # untimed: checks the peer computes this convolution; also the warm-up
        first = time.perf_counter() - t0
        if result.shape != expected.shape or not np.allclose(result, expected, rtol=1e-9,
                                                             atol=atol):
            row["notes"].append(f"{name} skipped: its result differs from numpy.convolve")
            continue
        # the O(n*m) peers on the largest cases take seconds: fewer repeats there
        reps = repeats if length * taps < 1e8 else 1
        row[name], _ = _time(fn, reps, warmup=False, first=first)
        timed.append(name)
    row["best_peer"] = min(row[name] for name in timed)
    return row


def _add_pct_peak(row: dict[str, Any], peak: dict[str, Any] | None) -> None:
    """``pct_peak`` (and ``pct_peak_bwd``): cconv1d's rate as % of the same-dtype GEMM peak."""
    if not peak or "gflops" not in row:
        return
    for rate, pct in (("gflops", "pct_peak"), ("gflops_bwd", "pct_peak_bwd")):
        if rate in row:
            row[pct] = 100.0 * row[rate] / peak[row["dtype"]]


def _thread_counts(threads: int | Sequence[int] | None) -> list[int]:
    if threads is None:
        return [cc.get_num_threads()]
    if isinstance(threads, int):
        return [threads or cc.get_num_threads()]
    return [n or cc.get_num_threads() for n in threads]


def transpose_case(name: str, spec: tuple[Any, ...], repeats: int,
                   threads: int) -> dict[str, Any]:
    """``conv_transpose1d`` (an upsampling decoder layer) against PyTorch's."""
    n, c_in, c_out, length, k, stride, padding = spec
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, c_in, length)).astype(np.float32)
    w = rng.standard_normal((c_in, c_out, k)).astype(np.float32)
    b = rng.standard_normal(c_out).astype(np.float32)
    y = cc.conv_transpose1d(x, w, b, stride, padding)
    out = np.empty_like(y)
    row: dict[str, Any] = {
        "case": name, "dtype": "float32", "threads": threads, "workspace": 0,
        "shape": f"N={n} {c_in}->{c_out} L={length} K={k} s={stride} transposed"}
    fns: dict[str, Callable[[], object]] = {
        "ours": lambda: cc.conv_transpose1d(x, w, b, stride, padding, out=out),
        "ours_fresh": lambda: cc.conv_transpose1d(x, w, b, stride, padding)}
    torch, F = _torch()
    if torch is not None:
        xt, wt, bt = torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b)

        def torch_forward() -> Any:
            with torch.no_grad():
                return F.conv_transpose1d(xt, wt, bt, stride=stride, padding=padding)
        fns["torch"] = torch_forward
    for key, (median, best) in _time_interleaved(fns, repeats).items():
        row[key] = median
        if key == "ours":
            row["ours_min"] = best
    row["gflops"] = 2.0 * n * c_in * length * c_out * k / row["ours"] / 1e9
    return row


def run(cases: Sequence[str] | None = None,
        signal_cases: Sequence[tuple[int, int]] | None = None, repeats: int = 7,
        threads: int | Sequence[int] | None = None, backward: bool = True,
        peak: bool = True, stream: TextIO | None = sys.stdout,
        json_path: str | None = None) -> list[dict[str, Any]]:
    """Run the benchmark; print a table to ``stream`` (None: silent); return the rows.

    ``threads`` is one count or a sequence of counts (the whole table runs once per
    count; default ``cc.get_num_threads()``); ``peak=False`` skips the GEMM peak and the
    ``% peak`` columns; ``json_path`` (``"-"``: standard output) also writes the report.
    """
    repeats = _spec.as_int(repeats, "repeats", minimum=1)
    counts = [_spec.as_int(n, "threads", minimum=1) for n in _thread_counts(threads)]
    report: dict[str, Any] = {"machine": machine_info(), "threads": counts,
                              "simd": _forward.simd_path(), "peak": {}, "rows": []}
    if stream is not None:
        _print_header(report, stream)
    names = list(NN_CASES) + list(TRANSPOSE_CASES) if cases is None else cases
    for n in counts:
        with _using_threads(n):
            gemm = gemm_peak(n) if peak else None
            rows = [transpose_case(name, TRANSPOSE_CASES[name], repeats, n)
                    if name in TRANSPOSE_CASES else
                    nn_case(name, NN_CASES[name], repeats, n, backward) for name in names]
            rows += [signal_case(length, taps, repeats, n) for length, taps
                     in (SIGNAL_CASES if signal_cases is None else signal_cases)]
        for row in rows:
            _add_pct_peak(row, gemm)
        if gemm:
            report["peak"][str(n)] = gemm
        report["rows"] += rows
        if stream is not None:
            _print_block(rows, n, gemm, stream)
    if json_path == "-":
        json.dump(report, sys.stdout, indent=2)
        print()
    elif json_path:
        with open(json_path, "w") as f:
            json.dump(report, f, indent=2)
    return report["rows"]


def _fmt_ratio(peer: float | None, ours: float) -> str:
    if peer is None:
        return "      -"
    return f"{peer / ours:6.2f}x"


def _fmt_pct(pct: float | None) -> str:
    return "-" if pct is None else f"{pct:.1f}%"


# the signal table's ratio columns, in order: the peers, then the best of them
_SIGNAL_COLUMNS = ("numpy.convolve", "scipy direct", "scipy auto", "scipy oaconvolve",
                   "ndimage", "best_peer")


def _print_header(report: dict[str, Any], stream: TextIO) -> None:
    machine = report["machine"]
    print(f"cconv1d {cc.__version__} benchmark; times are medians, "
          "ratio = peer / cconv1d (> 1: cconv1d faster)\n"
          f"machine : {machine['cpu']}, {machine['logical_cores']} logical cores "
          f"({machine['platform']})\n"
          f"SIMD    : {report['simd']}", file=stream)


def _print_block(rows: list[dict[str, Any]], threads: int, peak: dict[str, Any] | None,
                 stream: TextIO) -> None:
    p = lambda *a: print(*a, file=stream)  # noqa: E731
    p("")
    p(f"threads : {threads}")
    if peak:
        p(f"peak    : float32 {peak['float32']:.1f} GFLOP/s, float64 {peak['float64']:.1f} "
          f"GFLOP/s ({peak['size']}x{peak['size']} matmul, {peak['library']})")
    else:
        p("peak    : not measured (--no-peak)")
    nn_rows = [r for r in rows if "gflops" in r]
    if nn_rows:
        p(f"{'case':16s} {'dtype':8s} {'ours ms':>9s} {'fresh ms':>9s} {'GFLOP/s':>8s} "
          f"{'% peak':>7s} {'torch':>8s} {'ws KiB':>7s} {'bwd ms':>9s} {'bwd GF/s':>8s} "
          f"{'bwd %pk':>7s} {'torch bwd':>9s}")
    for r in nn_rows:
        fields = [f"{r['case']:16s} {r['dtype']:8s} {1e3 * r['ours']:9.3f}",
                  f"{1e3 * r['ours_fresh']:9.3f} {r['gflops']:8.1f}",
                  f"{_fmt_pct(r.get('pct_peak')):>7s} {_fmt_ratio(r.get('torch'), r['ours']):>8s}",
                  f"{r['workspace'] / 1024:7.0f}"]
        if "ours_bwd" in r:
            fields += [f"{1e3 * r['ours_bwd']:9.3f} {r['gflops_bwd']:8.1f}",
                       f"{_fmt_pct(r.get('pct_peak_bwd')):>7s}",
                       f"{_fmt_ratio(r.get('torch_bwd'), r['ours_bwd']):>9s}"]
        p(" ".join(fields))
    signal_rows = [r for r in rows if "best_peer" in r]
    if signal_rows:
        if nn_rows:
            p("")
        p(f"{'signal (full)':24s} {'auto ms':>9s} {'direct':>9s} {'fft':>9s} "
          f"{'numpy':>8s} {'scipy-d':>8s} {'scipy-a':>8s} {'scipy-oa':>8s} {'ndimage':>8s} "
          f"{'vs best':>8s}")
        for r in signal_rows:
            p(f"{r['case']:24s} {1e3 * r['ours']:9.3f} {1e3 * r['ours_direct']:9.3f} "
              f"{1e3 * r['ours_fft']:9.3f} "
              + " ".join(f"{_fmt_ratio(r.get(key), r['ours']):>8s}" for key in _SIGNAL_COLUMNS))
        for r in signal_rows:
            for note in r["notes"]:
                p(f"note: {r['case']}: {note}")


DESCRIPTION = ("Time cconv1d against NumPy, SciPy and PyTorch (those installed) on the "
               "same inputs and thread count; prints ratio = peer time / cconv1d time "
               "(> 1: cconv1d is faster).")


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The benchmark's options, shared by ``cconv1d bench`` and :func:`main`."""
    from cconv1d.cli import int_at_least

    parser.add_argument("--threads", type=int_at_least(0, meaning=" (0: the default)"),
                        nargs="+", default=None, metavar="N",
                        help="thread count(s), >= 1 (0: cconv1d.get_num_threads()); the "
                             "whole table runs once per count (default: the current "
                             "setting)")
    parser.add_argument("--repeats", type=int_at_least(1), default=7, metavar="N",
                        help="timed samples per measurement, >= 1; the median is shown "
                             "(default 7)")
    parser.add_argument("--cases", nargs="*", default=None,
                        choices=list(NN_CASES) + list(TRANSPOSE_CASES),
                        metavar="CASE",
                        help="neural-network cases to run (default: all of "
                             f"{', '.join(list(NN_CASES) + list(TRANSPOSE_CASES))})")
    parser.add_argument("--no-backward", action="store_true",
                        help="time the forward pass only (no conv1d_backward columns)")
    parser.add_argument("--no-signal", action="store_true",
                        help="skip the convolve() cases against numpy/scipy")
    parser.add_argument("--no-peak", action="store_true",
                        help=f"skip measuring the {PEAK_SIZE}x{PEAK_SIZE} matmul peak "
                             "(and the %% peak columns)")
    parser.add_argument("--json", metavar="PATH", default=None,
                        help="also write the results as JSON to PATH ('-': standard "
                             "output, the table then goes to standard error)")
    parser.add_argument("--plot", metavar="FILE", default=None, type=_plot_path,
                        help="also draw the ratios as a bar chart into FILE (any format "
                             "matplotlib writes: .png, .svg, .pdf); needs matplotlib")
    return parser


def _plot_path(text: str) -> str:
    # Checked while parsing, so a missing matplotlib stops before minutes of timing.
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise argparse.ArgumentTypeError(
            "drawing needs matplotlib, which is not installed: pip install matplotlib "
            "(or leave out --plot)") from None
    folder = os.path.dirname(os.path.abspath(text))
    if not os.path.isdir(folder):
        raise argparse.ArgumentTypeError(f"folder {folder!r} of {text!r} does not exist")
    return text


def plot(rows: list[dict[str, Any]], path: str) -> None:
    """Draw ``peer time / cconv1d time`` of every row as horizontal bars into ``path``.

    Neural-network cases show PyTorch's forward (and backward) ratio, signal cases the
    best peer's; one panel per thread count; the line at 1 marks parity.
    """
    import matplotlib

    matplotlib.use("Agg")   # a file is wanted, never a window
    import matplotlib.pyplot as plt
    from matplotlib import ticker
    from matplotlib.patches import Rectangle

    counts = sorted({row["threads"] for row in rows})
    bars_per_count = []
    for n in counts:
        bars = []
        for row in (r for r in rows if r["threads"] == n):
            if "gflops" in row:
                if row.get("torch"):
                    bars.append((f"{row['case']} ({row['dtype']})",
                                 row["torch"] / row["ours"], "forward vs torch"))
                if row.get("torch_bwd"):
                    bars.append((f"{row['case']} ({row['dtype']}) bwd",
                                 row["torch_bwd"] / row["ours_bwd"], "backward vs torch"))
            elif "best_peer" in row:
                bars.append((row["case"], row["best_peer"] / row["ours"],
                             "convolve vs best peer"))
        bars_per_count.append(bars)
    height = max(2.5, 0.3 * max((len(b) for b in bars_per_count), default=1) + 1.2)
    fig, axes = plt.subplots(1, len(counts), figsize=(6.5 * len(counts), height),
                             squeeze=False, sharey=True)
    colours = {"forward vs torch": "C0", "backward vs torch": "C1",
               "convolve vs best peer": "C2"}
    for ax, n, bars in zip(axes[0], counts, bars_per_count):
        labels = [b[0] for b in bars]
        drawn = ax.barh(range(len(bars)), [b[1] for b in bars],
                        color=[colours[b[2]] for b in bars])
        ax.bar_label(drawn, fmt="%.2fx", padding=2, fontsize=8)
        ax.set_yticks(range(len(bars)), labels)
        ax.axvline(1.0, color="k", lw=0.8)
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}x"))
        ax.xaxis.set_minor_formatter(ticker.NullFormatter())
        ax.margins(x=0.15)
        ax.set_xlabel("peer time / cconv1d time (> 1: cconv1d faster)")
        ax.set_title(f"{n} thread{'s' if n != 1 else ''}")
    axes[0, 0].invert_yaxis()    # shared: first row on top in every panel
    handles = [Rectangle((0, 0), 1, 1, color=c) for c in colours.values()]
    fig.legend(handles, list(colours), loc="lower center", ncol=3, frameon=False)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    fig.savefig(path)
    plt.close(fig)


def run_from_args(args: argparse.Namespace) -> int:
    """Run the benchmark as the parsed command line asks; returns the exit status."""
    rows = run(cases=args.cases, signal_cases=[] if args.no_signal else None,
               repeats=args.repeats, threads=args.threads, backward=not args.no_backward,
               peak=not args.no_peak, stream=sys.stderr if args.json == "-" else sys.stdout,
               json_path=args.json)
    if args.plot:
        plot(rows, args.plot)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``cconv1d bench`` with ``argv`` (default ``sys.argv[1:]``); returns the exit status."""
    from cconv1d.cli import prog_name

    parser = argparse.ArgumentParser(prog=f"{prog_name()} bench", description=DESCRIPTION)
    args = add_arguments(parser).parse_args(argv)
    return run_from_args(args)
