"""Out-of-core filtering with ``cconv1d.dask``: time, throughput and peak memory.

A multichannel float32 signal larger than it is wise to hold at once (default:
8 channels x 2**27 samples = 4 GiB) is generated lazily, chunk by chunk, filtered with
:func:`cconv1d.dask.conv1d` (a depthwise FIR: one filter per channel, ``groups=C``)
or :func:`cconv1d.dask.convolve`, and reduced into a sink that does not keep the output
(``.sum()``, or ``da.store`` into a target that discards). The same pipeline on a size
that fits (default 8 x 2**24 = 512 MiB) is compared with the in-memory call.

Every case runs in a fresh child process, so the peak resident set size
(``getrusage(RUSAGE_SELF).ru_maxrss``) belongs to that case alone.

    python benchmarks/bench_dask.py                      # the 4 GiB case
    python benchmarks/bench_dask.py --log2-length 25     # 8 x 2**25 = 1 GiB, quicker
    python benchmarks/bench_dask.py --op convolve --taps 255 --sink discard
    python benchmarks/bench_dask.py --log2-length 25 --json results.json
    python benchmarks/bench_dask.py --log2-length 25 --cases dask-filter   # one case

Cases:

``dask-generate``  the lazy source alone (generate + sum): the floor for the others
``dask-filter``    generate + filter + sink, at ``--log2-length``
``dask-small``     the same at ``--in-memory-log2-length``
``in-memory``      generate into one NumPy array, then the in-memory call (timed alone)
                   and the sum of its result, at ``--in-memory-log2-length``
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np

GIB = 2.0 ** 30


# ------------------------------------------------------------------ the workload

def _block(channels, start, stop, chunk, seed):
    """Samples ``[start, stop)`` of every channel; block ``i`` comes from its own
    generator, so the lazy and in-memory signals are identical."""
    i = start // chunk
    rng = np.random.default_rng([seed, i])
    return rng.standard_normal((channels, stop - start), dtype=np.float32)


def lazy_signal(channels, length, chunk, seed):
    import dask.array as da

    def block(block_info=None):
        (_, _), (start, stop) = block_info[None]["array-location"]
        return _block(channels, start, stop, chunk, seed)

    chunks = ((channels,), tuple(min(chunk, length - s) for s in range(0, length, chunk)))
    return da.map_blocks(block, chunks=chunks, dtype=np.float32,
                         meta=np.empty((0, 0), np.float32))


def in_memory_signal(channels, length, chunk, seed):
    x = np.empty((channels, length), np.float32)
    for start in range(0, length, chunk):
        stop = min(start + chunk, length)
        x[:, start:stop] = _block(channels, start, stop, chunk, seed)
    return x


def filters(channels, taps, seed):
    """A windowed-sinc low-pass per channel (cutoffs spread over 0.05..0.25)."""
    k = np.arange(taps) - (taps - 1) / 2
    cut = np.linspace(0.05, 0.25, channels)[:, None]
    h = 2 * cut * np.sinc(2 * cut * k) * np.hamming(taps)
    return (h / h.sum(axis=1, keepdims=True)).astype(np.float32)


def apply(module, x, spec):
    """The filter of ``spec`` from ``module`` (``cconv1d`` or ``cconv1d.dask``)."""
    h = filters(spec["channels"], spec["taps"], spec["seed"])
    if spec["op"] == "conv1d":
        return module.conv1d(x, h[:, None, :], groups=spec["channels"], padding="same",
                             padding_mode=spec["padding_mode"], flip=True)
    return module.convolve(x, h[0], "same", axis=-1)


class Discard:
    """A ``da.store`` target that drops every block."""

    def __setitem__(self, key, value):
        pass


def sink(y, how):
    import dask.array as da
    if how == "sum":
        return float(y.sum(dtype=np.float64).compute())
    da.store(y, Discard(), lock=False)
    return float("nan")


# ------------------------------------------------------------- one case, in a child

def _rss_bytes():
    try:
        import psutil
        return psutil.Process().memory_info().rss
    except ImportError:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _peak_bytes():
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak * (1 if sys.platform == "darwin" else 1024)


def run_case(spec):
    import dask
    import cconv1d as cc
    from cconv1d import dask as ccd

    length = 2 ** spec["log2_length"]
    channels, chunk = spec["channels"], 2 ** spec["log2_chunk"]
    base_rss = _rss_bytes()
    result = dict(case=spec["case"], channels=channels, length=length,
                  samples=channels * length, input_gib=channels * length * 4 / GIB,
                  base_rss_gib=base_rss / GIB)
    if spec["case"] == "in-memory":
        t0 = time.perf_counter()
        x = in_memory_signal(channels, length, chunk, spec["seed"])
        t1 = time.perf_counter()
        y = apply(cc, x, spec)
        t2 = time.perf_counter()
        total = float(y.sum(dtype=np.float64))
        t3 = time.perf_counter()
        # Repeat calls: the first one pays for first-touching its output pages.
        warm = []
        for _ in range(spec["repeat"] - 1):
            del y
            t = time.perf_counter()
            y = apply(cc, x, spec)
            warm.append(time.perf_counter() - t)
        result.update(generate_s=t1 - t0, filter_s=t2 - t1, wall_s=t3 - t0, checksum=total,
                      threads=cc.get_num_threads(), filter_warm_s=min(warm, default=None))
    else:
        cc.set_num_threads(spec["kernel_threads"])
        x = lazy_signal(channels, length, chunk, spec["seed"])
        y = x if spec["case"] == "dask-generate" else apply(ccd, x, spec)
        with dask.config.set(scheduler="threads", num_workers=spec["workers"]):
            t0 = time.perf_counter()
            total = sink(y, spec["sink"])
            t1 = time.perf_counter()
        result.update(wall_s=t1 - t0, filter_s=None, checksum=total,
                      chunks=len(x.chunks[-1]), tasks=len(y.__dask_graph__()),
                      threads=spec["workers"])
    result["samples_per_s"] = result["samples"] / (result["filter_s"] or result["wall_s"])
    result["end_to_end_samples_per_s"] = result["samples"] / result["wall_s"]
    if result.get("filter_warm_s"):
        result["warm_samples_per_s"] = result["samples"] / result["filter_warm_s"]
    result["peak_rss_gib"] = _peak_bytes() / GIB
    return result


def spawn(spec, timeout):
    proc = subprocess.run([sys.executable, os.path.abspath(__file__), "--child",
                           json.dumps(spec)], capture_output=True, text=True,
                          timeout=timeout)
    if proc.returncode:
        raise RuntimeError(f"case {spec['case']} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ----------------------------------------------------------------------- driver

def check(spec):
    """The lazy result equals the in-memory one on a small signal (uneven chunks)."""
    from cconv1d import dask as ccd
    import cconv1d as cc
    length, chunk = 3 * 2 ** 14 + 17, 2 ** 12 + 5
    x = lazy_signal(spec["channels"], length, chunk, spec["seed"])
    got = apply(ccd, x, spec).compute()
    want = apply(cc, in_memory_signal(spec["channels"], length, chunk, spec["seed"]), spec)
    err = float(np.abs(got - want).max())
    assert err <= 1e-5 * max(1.0, float(np.abs(want).max())), err
    return err


def _fmt(r):
    rate = r["samples_per_s"] / 1e6
    e2e = r["end_to_end_samples_per_s"] / 1e6
    filt = "" if r["filter_s"] is None else f"{r['filter_s']:8.2f}"
    return (f"{r['case']:<14} {r['channels']:>3} x 2**{int(np.log2(r['length'])):<3}"
            f"{r['input_gib']:8.3f} {r['wall_s']:8.2f} {filt:>8} {rate:10.1f} {e2e:10.1f}"
            f" {r['peak_rss_gib']:9.3f} {r['peak_rss_gib'] - r['base_rss_gib']:9.3f}")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--log2-length", type=int, default=27,
                   help="samples per channel of the lazy signal, as a power of 2 "
                        "(default 27: 8 x 2**27 float32 = 4 GiB)")
    p.add_argument("--in-memory-log2-length", type=int, default=24,
                   help="samples per channel of the in-memory comparison (default 24)")
    p.add_argument("--channels", type=int, default=8)
    p.add_argument("--log2-chunk", type=int, default=20,
                   help="samples per chunk along the length (default 20: 32 MiB chunks)")
    p.add_argument("--taps", type=int, default=63)
    p.add_argument("--op", choices=["conv1d", "convolve"], default="conv1d")
    p.add_argument("--padding-mode", default="reflect",
                   help="conv1d's padding_mode (default reflect)")
    p.add_argument("--sink", choices=["sum", "discard"], default="sum",
                   help="reduce with .sum(), or da.store into a discarding target")
    p.add_argument("--workers", type=int, default=os.cpu_count(),
                   help="Dask threads (default: every core); each task uses "
                        "--kernel-threads cconv1d threads")
    p.add_argument("--kernel-threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--repeat", type=int, default=3,
                   help="in-memory calls; the first is reported, the best of the others "
                        "as 'warm' (default 3)")
    p.add_argument("--cases", nargs="+",
                   default=["dask-generate", "dask-filter", "dask-small", "in-memory"],
                   choices=["dask-generate", "dask-filter", "dask-small", "in-memory"])
    p.add_argument("--timeout", type=float, default=3600, help="seconds per case")
    p.add_argument("--json", help="also write the results to this file")
    p.add_argument("--child", help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    if args.child:
        print(json.dumps(run_case(json.loads(args.child))))
        return 0

    spec = dict(channels=args.channels, log2_chunk=args.log2_chunk, taps=args.taps,
                op=args.op, padding_mode=args.padding_mode, sink=args.sink,
                workers=args.workers, kernel_threads=args.kernel_threads, seed=args.seed,
                repeat=max(1, args.repeat))
    import cconv1d
    import dask
    print(f"cconv1d {cconv1d.__version__}, dask {dask.__version__}, numpy {np.__version__}, "
          f"{os.cpu_count()} CPUs; op={args.op} taps={args.taps} "
          f"padding_mode={args.padding_mode} chunk=2**{args.log2_chunk} sink={args.sink} "
          f"dask threads={args.workers} x cconv1d threads={args.kernel_threads}")
    print(f"check: lazy == in-memory on a small signal, max |error| = {check(spec):.2e}")
    header = (f"{'case':<14} {'size':>11} {'in GiB':>8} {'wall s':>8} {'filter s':>8}"
              f" {'MS/s':>10} {'e2e MS/s':>10} {'peak GiB':>9} {'+base GiB':>9}")
    print(header)
    print("-" * len(header))
    results = []
    for case in args.cases:
        log2 = args.log2_length if case in ("dask-generate", "dask-filter") \
            else args.in_memory_log2_length
        r = spawn(dict(spec, case=case, log2_length=log2), args.timeout)
        results.append(r)
        print(_fmt(r), flush=True)
    by_case = {r["case"]: r for r in results}
    if by_case.get("in-memory", {}).get("filter_warm_s"):
        r = by_case["in-memory"]
        print(f"in-memory call, warm (best of {args.repeat - 1} repeats): "
              f"{r['filter_warm_s']:.2f} s = {r['warm_samples_per_s'] / 1e6:.1f} MS/s")
    if "dask-generate" in by_case and "dask-filter" in by_case:
        extra = by_case["dask-filter"]["wall_s"] - by_case["dask-generate"]["wall_s"]
        if extra > 0:
            print(f"dask-filter minus dask-generate: {extra:.2f} s = "
                  f"{by_case['dask-filter']['samples'] / extra / 1e6:.1f} MS/s for the filter "
                  "itself (rough: generation and filtering overlap on the cores)")
    sums = {r["case"]: r["checksum"] for r in results}
    if "dask-small" in sums and "in-memory" in sums and args.sink == "sum":
        a, b = sums["dask-small"], sums["in-memory"]
        print(f"checksum dask-small vs in-memory: {a:.6g} vs {b:.6g} "
              f"(relative difference {abs(a - b) / max(abs(b), 1e-30):.1e})")
    print("MS/s: million samples (channels x length) per second of the filter (in-memory:"
          " the call alone; dask: generate + filter + sink). e2e: including generation.\n"
          "peak: ru_maxrss of the case's process; +base: above its RSS after imports.")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(args=vars(args), results=results), f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
