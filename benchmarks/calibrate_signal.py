"""Measure the constants of ``method="auto"``'s cost model on this machine.

    python benchmarks/calibrate_signal.py [--threads N] [--fir]

Times ``cc.convolve(..., method="direct")`` and ``method="fft"`` over a sweep of signal
and kernel lengths (float64, mode "full"), fits ``t = c * work + o`` for each method
(work = multiply-adds for direct, with one rate below ``signal._PHASED_TAPS`` taps and
one above; sum of B log2 B for the FFT; see
``cconv1d.signal._direct_work`` / ``_fft_work``), prints the constants to paste into
``cconv1d/signal.py``, and checks the choice on the issue's cases: ``auto`` should never
be more than 1.2x slower than the better of the two.

``--fir`` checks ``fir_filter``'s choice for 1-D chunks instead (``cconv1d._stream``'s
models of its FFT route and its direct block kernel, whose constants were fitted with
this sweep): it times both routes over chunk and filter lengths and counts the cases
where ``auto`` is more than 1.2x slower than the better one.
"""

import argparse
import statistics
import time

import numpy as np

import cconv1d as cc
from cconv1d import signal


def timed(fn, repeats=5):
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def fit(work, seconds):
    """Least squares of seconds = c * work + o, relative errors (small cases matter)."""
    work = np.asarray(work, dtype=float)
    seconds = np.asarray(seconds, dtype=float)
    weights = 1.0 / seconds
    design = np.stack([work, np.ones_like(work)], axis=1) * weights[:, None]
    (c, o), *_ = np.linalg.lstsq(design, seconds * weights, rcond=None)
    return max(c, 1e-13), max(o, 0.0)


def check_fir(rng):
    from cconv1d import _stream
    worse = total = 0
    for n in (16, 64, 256, 1024, 4096, 16384):
        for m in (8, 32, 128, 512, 2048, 8192):
            h, x, zi = rng.standard_normal(m), rng.standard_normal(n), np.zeros(m - 1)
            reps = max(1, int(2e5 / (n + m)))

            def route(method, h=h, x=x, zi=zi, reps=reps):
                for _ in range(reps):
                    _stream.fir_chunk(h, x, zi, -1, method)
            t_direct = timed(lambda: route("direct")) / reps
            t_fft = timed(lambda: route("fft")) / reps
            t_auto = timed(lambda: route("auto")) / reps
            best = min(t_direct, t_fft)
            total += 1
            worse += t_auto > 1.2 * best
            print(f"n={n:>6} m={m:>5}: direct {1e6 * t_direct:9.2f} us  fft "
                  f"{1e6 * t_fft:9.2f} us  auto {1e6 * t_auto:9.2f} us  "
                  f"({t_auto / best:.2f}x the better)")
    print(f"\nauto more than 1.2x slower than the better route in {worse} of {total} cases")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--fir", action="store_true",
                        help="check fir_filter's route choice for 1-D chunks instead")
    args = parser.parse_args()
    if args.threads:
        cc.set_num_threads(args.threads)
    if args.fir:
        check_fir(np.random.default_rng(0))
        return
    rng = np.random.default_rng(0)
    sweep = [(n, m) for n in (1_000, 10_000, 100_000, 1_000_000)
             for m in (3, 7, 31, 101, 301, 1001, 3001) if m <= n and n * m <= 3e9]
    direct_work, direct_t, fft_work, fft_t = [], [], [], []
    for n, m in sweep:
        a, v = rng.standard_normal(n), rng.standard_normal(m)
        direct_work.append(signal._direct_work(n, m))
        direct_t.append(timed(lambda: cc.convolve(a, v, method="direct"),
                              repeats=3 if n * m > 1e8 else 5))
        fft_work.append(signal._fft_work(n, m))
        fft_t.append(timed(lambda: cc.convolve(a, v, method="fft")))
        print(f"n={n:>8} m={m:>5}: direct {1e3 * direct_t[-1]:9.3f} ms   "
              f"fft {1e3 * fft_t[-1]:9.3f} ms")
    # Two direct rates: the plain row loop below _PHASED_TAPS taps, the phased one above;
    # one overhead, fitted on the short kernels (the long ones' is lost in their work).
    phased = [m >= signal._PHASED_TAPS for n, m in sweep]
    c_d, o_d = fit([w for w, p in zip(direct_work, phased) if not p],
                   [t for t, p in zip(direct_t, phased) if not p])
    c_p, _ = fit([w for w, p in zip(direct_work, phased) if p],
                 [t for t, p in zip(direct_t, phased) if p])
    c_f, o_f = fit(fft_work, fft_t)
    print("\nconstants for cconv1d/signal.py:")
    print(f"_DIRECT_SECONDS_PER_MAC = {c_d:.3g}\n_DIRECT_SECONDS_PER_MAC_PHASED = {c_p:.3g}")
    print(f"_DIRECT_OVERHEAD = {o_d:.3g}")
    print(f"_FFT_SECONDS_PER_NLOGN = {c_f:.3g}\n_FFT_OVERHEAD = {o_f:.3g}")
    signal._DIRECT_SECONDS_PER_MAC, signal._DIRECT_OVERHEAD = c_d, o_d
    signal._DIRECT_SECONDS_PER_MAC_PHASED = c_p
    signal._FFT_SECONDS_PER_NLOGN, signal._FFT_OVERHEAD = c_f, o_f
    print("\nauto on the issue's cases (should be within 1.2x of the better method):")
    for n, m in [(1000, 7), (100_000, 31), (1_000_000, 31), (1_000_000, 301),
                 (1_000_000, 3001), (10_000, 10_000)]:
        a, v = rng.standard_normal(n), rng.standard_normal(m)
        t_auto = timed(lambda: cc.convolve(a, v))
        t_direct = timed(lambda: cc.convolve(a, v, method="direct"), repeats=3)
        t_fft = timed(lambda: cc.convolve(a, v, method="fft"))
        best = min(t_direct, t_fft)
        print(f"n={n:>8} m={m:>5}: auto picks {signal.choose_method(n, m):6s} "
              f"{1e3 * t_auto:8.3f} ms, best {1e3 * best:8.3f} ms, ratio {t_auto / best:.2f}")


if __name__ == "__main__":
    main()
