"""NumPy-compatible signal functions: ``convolve``, ``correlate``, ``autocorrelate``.

The direct method is the same compiled sliding-dot-product kernel as :func:`conv1d`
(one channel, every lane a batch row); complex data is split into real and imaginary
rows and channels so that kernel serves it too. The FFT method lives in ``_fft``;
``method="auto"`` chooses between them with a cost model whose constants were measured
on this kind of machine with ``benchmarks/calibrate_signal.py``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any, Literal, TypeAlias, cast

import numpy as np
import numpy.typing as npt
from numpy.typing import NDArray

from cconv1d import _fft, _spec, _stream, _threads
from cconv1d._forward import FORWARD, signal_direct, simd_path
from cconv1d._lagstats import (all_finite, centred_lanes, in_range, pearson_lags,
                                pearson_valid)
from cconv1d._typing import InexactArray, Lags, Method, NanPolicy, Normalize, SignalMode

__all__ = ["autocorrelate", "choose_method", "convolve", "correlate", "correlation_lags"]

_MODES = ("full", "same", "valid")
_METHODS = ("auto", "direct", "fft")
_NORMALIZE = (None, "biased", "unbiased", "coeff", "pearson")
_NAN_POLICIES = ("propagate", "raise", "omit")

_Array: TypeAlias = NDArray[Any]

# Cost model of method="auto" (seconds): direct ~ MACs / rate, FFT ~ c * N log2 N, each
# plus a fixed overhead. Measured on a 2-core AVX2 machine, 1 thread, float64
# (benchmarks/calibrate_signal.py prints fresh values).
_DIRECT_SECONDS_PER_MAC = 6.2e-11
# Kernels of _PHASED_TAPS taps or more run the phased row kernel (cc_kernels.h: a loaded
# input vector serves several taps): 1.93x the plain loop's rate in one calibration run
# on Zen 4 (8.22e-11 against 4.26e-11 s per MAC, a loaded machine), applied to the
# constant above so that it stays consistent with the FFT's, measured on a quiet one.
_DIRECT_SECONDS_PER_MAC_PHASED = 3.2e-11
_PHASED_TAPS = 16
# The direct rate of each compiled path and dtype against those constants (float64,
# AVX2). Sapphire Rapids, 1 thread, 1e5-1e6 samples, 7-256 taps: AVX-512 float64 3.3e-11
# s per MAC, the constant's rate (its AVX2 path, 4.2e-11, is slower than the Zen 4 the
# constant was fitted on); float32 half of float64 on the vector paths (twice the
# lanes), 0.9x on the scalar one; scalar 2.7e-10. (One AVX-512 factor of 0.55 for
# every dtype, fitted on float32, made auto take the direct sums for 1e5 float64
# samples x 256 taps at 2.5x the FFT's time.)
# Later, on Sapphire Rapids (1 thread, 1e4-1e6 samples, 64-4096 taps, 'valid'
# correlation, both dtypes): the direct sums ran at 0.47-0.57 of the model's time on
# AVX-512 and 0.63 on AVX2, the FFT at 0.45-0.9 (median 0.7) on both; the relative
# error on AVX-512 had auto take the FFT for 1e5 float64 samples x 128 taps at 1.75x
# the direct sums' time. AVX-512's factor restores the ratio measured there (a Zen 4,
# whose 512-bit loads run at half width, may see a smaller gain: near the crossover
# both methods cost about the same, so the error is bounded by the factor).
# Refit (Sapphire Rapids, 1 thread, 1e4-1e6 samples, 64-2048 taps, 'valid'): direct
# float64 3.4-3.6e-11 s per MAC (1.45x the model's time with 0.75, as the first fit
# above found), float32 1.65-1.85x, the FFT 0.85x. The 0.75 had been fitted with the
# default two threads, where the direct sums split and the FFT then did not, and it
# sent 1e5-1e6 float32 samples x 512 taps to the direct sums at 1.9-2.3x the FFT's
# time at one thread. Threads are now a term of their own (below).
_DIRECT_PATH = {"avx512": 1.2, "avx2": 1.0, "neon": 1.0, "scalar": 8.0}
_DIRECT_F32 = {"avx512": 0.58, "avx2": 0.5, "neon": 0.5, "scalar": 0.9}
# Our transform (cc_fft.h) on the scalar path runs its baseline build: 2x its AVX2
# time (1e5-1e6 samples, same machine); its model was fitted on the vector builds.
_ENGINE_PATH = {"scalar": 2.0}
_DIRECT_OVERHEAD = 2.1e-05
_FFT_SECONDS_PER_NLOGN = 5.9e-10
_FFT_OVERHEAD = 3.3e-05
# Our own transform's fixed cost beyond its model (a call, the output's zeros, a plan).
_ENGINE_OVERHEAD = 5e-06
# normalize="pearson" beyond the raw sums, per lag of a lane (Sapphire Rapids, 1e4-1e6
# samples, 64-1024 taps, both dtypes): the direct route makes r in the pass that makes
# the raw sums (pearson_valid: 0.2-1.5 ns, median 0.7), the FFT route makes them
# first and r in a pass of its own over the lane, the raw sums and r (pearson_lags:
# 0.8-4.7 ns, median 1.8, of which 10 us a call is Python's). Without them auto
# priced both routes as the raw correlation and took the FFT for 1e4 float64 samples x
# 128 taps at 1.9x the direct route's time. The constants are in the model's seconds,
# which that machine's raw sums took 0.7 of by either method: the measured times / 0.7.
# The FFT route's pass no longer checks the lane for finiteness (the caller's check
# serves), and on Zen 4 (1 thread) it measured 1.1-1.6 ns a lag: with 2.4e-9 auto kept the direct route at 0.76-0.91x the FFT's time (float64
# 1e5 x 128, float32 1e5-1e6 x 256-384); at 1.5e-9 it picks the faster of the two on
# 19 cases of 1e4-1e6 samples, 64-384 taps, both dtypes, but for near ties (0.98-1.09x).
_PEARSON_FUSED_PER_LAG = 1.0e-9
_PEARSON_LAGS_PER_LAG = 1.5e-9
_PEARSON_LAGS_OVERHEAD = 1.4e-05
# Threads (the model's times are one thread's): both routes share one lane between
# threads, the direct sums by blocks of outputs once the call has the kernels'
# PARALLEL_MIN_FLOPS, our FFT by chunks of the lane (cconv1d._stream.fft_speedup), SciPy's
# by lanes. Two threads, Sapphire Rapids, 1e5-1e6 samples, 64-2048 taps: the direct sums
# 1.9-2.0x faster, the FFT 1.5-1.8x. Without this term auto at two threads took the FFT
# for a 1e4-sample float32 lane through 256 taps at 1.9x the direct sums' time.
_PARALLEL_MIN_MACS = 2_000_000
_DIRECT_PARALLEL = 0.95
_FFT_PARALLEL = 0.8
_F64 = np.dtype(np.float64)
_F32 = np.dtype(np.float32)
# Below this many multiply-adds the direct method beats any FFT (the model's FFT overhead
# alone costs more): "auto" then takes the compiled fast path without consulting it.
_AUTO_DIRECT_MAX_MACS = int((_FFT_OVERHEAD - _DIRECT_OVERHEAD) / _DIRECT_SECONDS_PER_MAC)


def _direct_work(n: int, m: int, lanes: int = 1, complex_input: bool = False) -> int:
    """Multiply-adds of the direct method (complex: four real ones each)."""
    return (4 if complex_input else 1) * lanes * n * m


def _direct_rate(taps: int, single: bool) -> float:
    """The model's seconds per multiply-add of the direct method with ``taps`` taps on
    the SIMD path in use, in float32 (``single``: float32/complex64) or float64."""
    rate = _DIRECT_SECONDS_PER_MAC_PHASED if taps >= _PHASED_TAPS else _DIRECT_SECONDS_PER_MAC
    path = simd_path()
    rate *= _DIRECT_PATH.get(path, 1.0)
    if single:
        rate *= _DIRECT_F32.get(path, 1.0)
    return rate


def _single(dtype: npt.DTypeLike) -> bool:
    """Whether ``dtype``'s direct sums run in float32 (float32 or complex64)."""
    return np.dtype(dtype) in (_F32, np.dtype(np.complex64))


def _direct_seconds(n: int, m: int, lanes: int = 1, complex_input: bool = False,
                    dtype: npt.DTypeLike = np.float64) -> float:
    """The model's time of the direct method (its rate depends on the kernel's length,
    the SIMD path and the dtype)."""
    return (_direct_work(n, m, lanes, complex_input) * _direct_rate(min(n, m), _single(dtype))
            + _DIRECT_OVERHEAD)


def _fft_work(n: int, m: int, lanes: int = 1, complex_input: bool = False) -> float:
    """``sum of B log2 B`` over the transforms of the FFT method (one plain FFT, or
    overlap-add blocks), the quantity its time grows with."""
    short, long_len = min(n, m), max(n, m)
    block = _fft.oa_block(short)
    if short * 8 > long_len or block >= long_len:
        size = _fft.next_fast_len(n + m - 1)
        transforms = 3 * size * math.log2(max(size, 2))
    else:
        n_blocks = -(-long_len // (block - short + 1))
        transforms = 2 * n_blocks * block * math.log2(block)
    return (2 if complex_input else 1) * lanes * transforms


def _engine_factor() -> float:
    """Our transform's time on the SIMD path in use against its model's."""
    return _ENGINE_PATH.get(simd_path(), 1.0)


def _direct_speedup(macs: int, threads: int) -> float:
    """The direct sums' speed-up on ``threads`` threads for a call of ``macs``."""
    if threads <= 1 or macs < _PARALLEL_MIN_MACS:
        return 1.0
    return 1.0 + (threads - 1) * _DIRECT_PARALLEL


def _fft_speedup(ideal: float) -> float:
    return 1.0 + (ideal - 1.0) * _FFT_PARALLEL


def _fft_seconds(n: int, m: int, lanes: int, complex_input: bool,
                 dtype: npt.DTypeLike, threads: int = 1) -> float:
    """The model's time of the FFT method for a full convolution on ``threads`` threads:
    our own transform's block model where it is used, else ``sum of B log2 B`` times a
    rate."""
    dt = np.dtype(dtype)
    if not complex_input and _fft.uses_engine(n, m, lanes, dt if dt.kind == "f" else _F64):
        speedup = _fft_speedup(float(_stream.fft_speedup(max(n, m), min(n, m), lanes, threads)))
        return (float(_stream.fft_seconds(max(n, m), min(n, m), lanes)) * _engine_factor()
                / speedup + _ENGINE_OVERHEAD)
    return (_fft_work(n, m, lanes, complex_input) * _FFT_SECONDS_PER_NLOGN
            / _fft_speedup(min(threads, lanes)) + _FFT_OVERHEAD)


def choose_method(n: int, m: int, lanes: int = 1, complex_input: bool = False,
                  dtype: npt.DTypeLike = np.float64,
                  threads: int | None = None,
                  outputs: int | None = None) -> Literal["direct", "fft"]:
    """``"direct"`` or ``"fft"``: the faster method predicted for a full convolution of
    ``lanes`` signals of ``n`` samples with ``m`` taps of ``dtype`` (float32 and
    complex64 direct sums run twice the lanes of float64 ones) on ``threads`` threads
    (None: :func:`cconv1d.get_num_threads`). ``outputs``: how many samples of each
    lane's result are wanted (``"same"`` and ``"valid"`` want fewer; None: ``n`` x ``m``
    products): the direct sums make only those, ``min(n, m)`` products each, where
    the FFT makes the whole result either way (two signals of 1e5 samples in mode
    ``"valid"`` want one sample: 0.35 ms direct, 5.3 ms by FFT).

    The model is ``t_direct = MACs * c_d + o_d`` (``c_d`` smaller from 16 taps on,
    where the phased row kernel runs, and scaled by the SIMD path in use and the
    dtype) against, for real input taking our own transform (see
    :mod:`cconv1d._fft`), that transform's model of its block geometry (the one
    ``fir_filter`` uses), and otherwise
    ``t_fft = (sum of B log2 B over its transforms) * c_f + o_f``, with the constants
    measured by ``benchmarks/calibrate_signal.py``. Each route's time is divided by
    its speed-up on the threads (the direct sums split blocks of outputs, our
    transform chunks of each lane, SciPy's lanes).

    Examples
    --------
    >>> from cconv1d.signal import choose_method
    >>> choose_method(1000, 7), choose_method(1_000_000, 3001)
    ('direct', 'fft')
    """
    macs = (_direct_work(n, m, lanes, complex_input) if outputs is None
            else _direct_work(max(outputs, 1), min(n, m), lanes, complex_input))
    direct = macs * _direct_rate(min(n, m), _single(dtype)) + _DIRECT_OVERHEAD
    if direct <= _FFT_OVERHEAD:   # cheaper than any FFT could be: skip the FFT model
        return "direct"
    if threads is None:
        threads = _threads.get_num_threads()
    direct = (direct - _DIRECT_OVERHEAD) / _direct_speedup(macs, threads) + _DIRECT_OVERHEAD
    fft = _fft_seconds(n, m, lanes, complex_input, dtype, threads)
    return "direct" if direct <= fft else "fft"


def _fft_rounds_exactly(rows: _Array, v: _Array, n: int, m: int) -> bool:
    """Whether rounding an FFT convolution of these integer-valued operands gives the
    exact integers: its error bound is below 1/2 (and the result fits in float64's
    53-bit integers)."""
    size = _fft.transform_bound(n, m)
    bound = _fft.error_bound(rows, v, size)
    peak = float(np.max(np.abs(rows))) * float(np.sum(np.abs(v), dtype=np.float64))
    return bound < 0.5 and peak < 2.0 ** 53


# The kernel's "no bias" argument, per dtype.char: made once, never written.
_NO_BIAS = {"f": np.empty(0, dtype=np.float32), "d": np.empty(0, dtype=np.float64)}


def _nonfinite_taps(kernel: _Array) -> NDArray[np.bool_] | None:
    """Positions of NaN/inf in the operand the kernel slides (None if all finite)."""
    bad = ~np.isfinite(kernel)
    return bad if bad.any() else None


def _direct(lanes_a: _Array, v: _Array, offset: int, length: int) -> _Array:
    """``full[offset : offset + length]`` of each row of ``lanes_a`` convolved with v,
    real arrays, through the conv1d kernel (flip = true convolution)."""
    lanes, n = lanes_a.shape
    m = v.shape[0]
    bad = _nonfinite_taps(v if m <= n else lanes_a)
    if bad is not None:
        return _direct_nonfinite(lanes_a, v, offset, length, bad)
    if m > n:
        # The kernel is the longer operand: slide each (shorter) lane over v instead,
        # one depthwise group per lane ((n+m-1)*n multiply-adds, not (n+m-1)*m).
        signal = np.ascontiguousarray(np.broadcast_to(v, (lanes, m)))[None]
        y = np.empty((1, lanes, length), dtype=lanes_a.dtype)
        FORWARD[lanes_a.dtype.char](signal, lanes_a.reshape(lanes, 1, n),
                                    _NO_BIAS[lanes_a.dtype.char], y, n - 1 - offset,
                                    max(offset + length - m, 0), _spec.CONSTANT, 0.0,
                                    1, 1, lanes, True, _threads.get_num_threads())
        return y.reshape(lanes, length)
    # y[j] = full[j + m - 1 - left]; offset <= min(n, m) - 1, so left >= 0.
    left = m - 1 - offset
    right = max(offset + length - n, 0)
    y = np.empty((lanes, 1, length), dtype=lanes_a.dtype)
    FORWARD[lanes_a.dtype.char](lanes_a.reshape(lanes, 1, n), v.reshape(1, 1, m),
                                _NO_BIAS[lanes_a.dtype.char], y, left, right,
                                _spec.CONSTANT, 0.0, 1, 1, 1, True,
                                _threads.get_num_threads())
    return y.reshape(lanes, length)


def _direct_nonfinite(lanes_a: _Array, v: _Array, offset: int, length: int,
                      bad: NDArray[np.bool_]) -> _Array:
    """``_direct`` when the sliding operand holds NaN or inf. The kernel multiplies
    every tap, also those over its zero padding, and ``0 * nan`` is NaN: outputs where
    only finite taps overlap the signal would come out NaN, where NumPy (which sums the
    overlap only) gives numbers. So: the convolution with the non-finite values of both
    operands zeroed, plus the products of each non-finite tap with every sample it
    overlaps, plus those of each non-finite sample with the finite taps it overlaps
    (so a pair of two non-finite values, ``inf * inf`` in an autocorrelation, counts
    once, and never as ``inf * 0``)."""
    lanes, n = lanes_a.shape
    m = v.shape[0]
    stop = offset + length
    with np.errstate(invalid="ignore", over="ignore"):
        if m <= n:
            bad_v, bad_a = bad, ~np.isfinite(lanes_a)
        else:
            bad_v, bad_a = ~np.isfinite(v), bad
        a0 = np.where(bad_a, 0, lanes_a) if bad_a.any() else lanes_a
        y = _direct(a0, np.where(bad_v, 0, v) if bad_v.any() else v, offset, length)
        for p in np.flatnonzero(bad_v).tolist():   # v[p] meets a[t - p], t in [p, p + n)
            t0, t1 = max(p, offset), min(p + n, stop)
            if t0 < t1:
                y[:, t0 - offset:t1 - offset] += v[p] * lanes_a[:, t0 - p:t1 - p]
        for lane, p in zip(*np.nonzero(bad_a)):   # a[lane, p] meets v[t - p]
            t0, t1 = max(p, offset), min(p + m, stop)
            if t0 < t1:
                taps = v[t0 - p:t1 - p]
                y[lane, t0 - offset:t1 - offset] += np.where(
                    bad_v[t0 - p:t1 - p], 0.0, lanes_a[lane, p] * taps)
        return y


def _direct_any(lanes_a: _Array, v: _Array, offset: int, length: int,
                real_dtype: np.dtype[Any]) -> _Array:
    """Complex data as stacked real rows and channels of the one real kernel."""
    if lanes_a.dtype.kind != "c" and v.dtype.kind != "c":
        return _direct(lanes_a, v, offset, length)
    parts_a = [lanes_a.real, lanes_a.imag] if lanes_a.dtype.kind == "c" else [lanes_a]
    parts_v = [v.real, v.imag] if v.dtype.kind == "c" else [v]
    lanes = lanes_a.shape[0]
    stacked = np.ascontiguousarray(np.concatenate(parts_a, axis=0), dtype=real_dtype)
    results = {}
    for iv, pv in enumerate(parts_v):
        results[iv] = _direct(stacked, np.ascontiguousarray(pv, dtype=real_dtype),
                              offset, length)
    ar_vr = results[0][:lanes]
    ai_vr = results[0][lanes:] if len(parts_a) == 2 else 0
    ar_vi = results[1][:lanes] if len(parts_v) == 2 else 0
    ai_vi = results[1][lanes:] if len(parts_a) == 2 and len(parts_v) == 2 else 0
    return _as_complex(ar_vr - ai_vi, ar_vi + ai_vr)


def _as_complex(real: _Array, imag: _Array | int) -> _Array:
    """``real + 1j * imag`` without its arithmetic: ``1j * inf`` is ``nan + inf j``,
    which put a NaN in the real part where NumPy's complex products give +-inf."""
    out = np.empty(real.shape, np.result_type(real.dtype, np.complex64))
    out.real = real
    out.imag = imag
    return out


def _signal_array(a: npt.ArrayLike, mode: object, method: object) -> _Array:
    """``a`` as an array (a scalar as one sample, as NumPy), ``mode`` and ``method``
    checked: the shared start of every signal function."""
    aa = _spec.as_array(a, "a")
    if not isinstance(mode, str) or mode not in _MODES:
        raise ValueError(f"mode must be one of {_MODES}, got {mode!r}")
    if not isinstance(method, str) or method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, got {method!r}")
    return aa.reshape(1) if aa.ndim == 0 else aa


def _convolve(a: npt.ArrayLike, v: npt.ArrayLike, mode: str, axis: int, method: str,
              what: str, conj_reverse: bool = False) -> _Array:
    aa = _signal_array(a, mode, method)
    va = _spec.as_array(v, "v")
    if va.ndim == 0:
        va = va.reshape(1)
    if va.ndim != 1:
        raise ValueError(f"v must be 1-D, got an array of shape {va.shape}")
    axis = _spec.as_int(axis, "axis")
    if not -aa.ndim <= axis < aa.ndim:
        raise ValueError(f"axis {axis} is out of bounds for a with {aa.ndim} dimension(s)")
    dtype = _spec.result_dtype([aa, va], ["a", "v"], what, allow_complex=True)
    n, m = aa.shape[axis], va.shape[0]
    if n == 0:
        raise ValueError("a cannot be empty")
    if m == 0:
        raise ValueError("v cannot be empty")
    integral = aa.dtype.kind in "biu" and va.dtype.kind in "biu"
    offset, length = _spec.window(n, m, mode, correlate=conj_reverse)
    if aa.ndim == 1:   # one signal, the common case: no axis to move
        lead, lanes = (), 1
        lanes_a = _spec.contiguous(aa, dtype).reshape(1, n)
    else:
        moved = np.moveaxis(aa, axis, -1)
        lead = moved.shape[:-1]
        lanes = int(np.prod(lead, dtype=np.int64))
        _spec.check_size(lanes * (n + m - 1), "result")
        if lanes == 0:   # no lanes along the other axes: an empty result of that shape
            return np.moveaxis(np.empty(lead + (length,), dtype=dtype), -1, axis)
        lanes_a = _spec.contiguous(moved, dtype).reshape(lanes, n)
    vc = _spec.contiguous(va, dtype)
    if conj_reverse:
        vc = np.ascontiguousarray(np.conj(vc[::-1]) if dtype.kind == "c" else vc[::-1])
    peaks = None
    auto = method == "auto"
    engine = _fft.uses_engine(n, m, lanes, dtype)
    if auto:
        method = choose_method(n, m, lanes, dtype.kind == "c", dtype, outputs=length)
        if method == "fft" and not engine:
            # An FFT spreads one NaN or inf over every output; the direct sum keeps it
            # where NumPy does. The peaks also give the FFT its scaling. (Our own
            # transform finds them while it packs its blocks: checked after it.)
            peaks = (_fft.peak_abs(lanes_a), _fft.peak_abs(vc))
            if not (math.isfinite(peaks[0]) and math.isfinite(peaks[1])):
                method = "direct"
    real_dtype = np.dtype(np.float32 if dtype in (np.float32, np.complex64) else np.float64)
    if method == "fft" and integral and not _fft_rounds_exactly(lanes_a, vc, n, m):
        method = "direct"   # the FFT's error could exceed 1/2: exact sums instead
    full: _Array | None = None
    if method == "fft" and engine:
        full, finite = _fft.engine_convolution(lanes_a, vc, _threads.get_num_threads())
        if auto and not finite:
            full = None    # NaN or inf: the direct sums, as above
    elif method == "fft":
        full = _fft.full_convolution(lanes_a, vc, _threads.get_num_threads(), peaks)
    if full is None:
        result = _direct_any(lanes_a, vc, offset, length, real_dtype)
    else:
        result = full[:, offset:offset + length]
        if integral:
            result = np.rint(result)
    result = np.ascontiguousarray(result, dtype=dtype).reshape(lead + (length,))
    return np.moveaxis(result, -1, axis) if axis not in (-1, aa.ndim - 1) else result


# ---------------------------------------------------------------------------------------
# Lag windows, normalization and missing data (API.md section 7.1 and 7.3)

def _lag_window(n: int, m: int, mode: str | None, maxlag: object, lags: Lags | None,
                default_mode: str) -> tuple[int, int, int]:
    """``(first, step, count)``: the arithmetic progression of lags of the output.

    A mode string maps to NumPy's window of the full correlation, whose index ``i``
    holds lag ``i - (m - 1)``."""
    if maxlag is not None or lags is not None:
        if mode is not None:
            raise ValueError(f"mode={mode!r} cannot be combined with a lag window "
                             "(maxlag= or lags=); give one or the other")
        if maxlag is not None and lags is not None:
            raise ValueError("give maxlag= or lags=, not both")
    if maxlag is not None:
        maxlag = _spec.as_int(maxlag, "maxlag", minimum=0)
        return -maxlag, 1, 2 * maxlag + 1
    if lags is not None:
        return _lag_progression(lags)
    if mode is None:
        mode = default_mode
    if not isinstance(mode, str) or mode not in _MODES:
        raise ValueError(f"mode must be one of {_MODES}, got {mode!r}")
    offset, length = _spec.window(n, m, mode, correlate=True)
    return offset - (m - 1), 1, length


def _lag_progression(lags: Lags) -> tuple[int, int, int]:
    if isinstance(lags, range):
        if len(lags) == 0:
            raise ValueError(f"lags must hold at least one lag, got an empty {lags!r}")
        for value in (lags.start, lags.step):
            _spec.as_int(value, "lags")
        return lags.start, lags.step, len(lags)
    arr = np.asarray(lags)
    if arr.size == 0:
        raise ValueError(f"lags must hold at least one lag, got {lags!r}")
    if arr.dtype.kind not in "iu" or arr.dtype == np.bool_:
        raise TypeError(f"lags must be a range or a 1-D integer array, got dtype "
                        f"{arr.dtype}")
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"lags must be a range or a non-empty 1-D integer array, got "
                         f"shape {arr.shape}")
    values = [int(k) for k in arr[:2]]
    for value in values:
        _spec.as_int(value, "lags")
    if arr.size == 1:
        return values[0], 1, 1
    step = values[1] - values[0]
    expected = values[0] + step * np.arange(arr.size, dtype=np.int64)
    if step == 0 or not np.array_equal(arr.astype(np.int64), expected):
        raise ValueError("lags must be an arithmetic progression with a non-zero step "
                         f"(like a range), got {arr[:6].tolist()}"
                         f"{' ...' if arr.size > 6 else ''}")
    return values[0], step, int(arr.size)


def correlation_lags(len_a: int, len_v: int, mode: SignalMode = "valid", *,
                     maxlag: int | None = None, lags: Lags | None = None
                     ) -> NDArray[np.int64]:
    """Lags of :func:`correlate`'s output for inputs of ``len_a`` and ``len_v`` samples.

    Parameters
    ----------
    len_a, len_v : int
        Lengths (>= 1) of ``a`` and ``v`` along the correlated axis.
    mode : {"valid", "same", "full"}, optional
        As in :func:`correlate`. Ignored (it must stay ``"valid"``, the default) when a
        lag window is given.
    maxlag : int, optional
        Lags ``-maxlag ... maxlag``.
    lags : range or 1-D int array, optional
        An arithmetic progression of lags, returned as given.

    Returns
    -------
    numpy.ndarray
        int64 lags ``k`` of ``c[k] = sum_n a[n + k] * conj(v[n])``, in output order.
        These are :func:`scipy.signal.correlation_lags`'s values except for ``"same"``
        when ``v`` is longer than ``a``, or ``len_v`` is even and ``len_a`` odd: there
        NumPy's ``correlate`` (and :func:`correlate`, which follows it) centres the
        window one sample differently from SciPy's.

    Raises
    ------
    ValueError
        Lengths below 1, an unknown mode, ``maxlag`` and ``lags`` together, or ``lags``
        that are not an arithmetic progression.

    Examples
    --------
    >>> import cconv1d as cc
    >>> cc.correlation_lags(4, 2, "full")
    array([-1,  0,  1,  2,  3])
    >>> cc.correlation_lags(1000, 1000, maxlag=2)
    array([-2, -1,  0,  1,  2])
    """
    len_a = _spec.as_int(len_a, "len_a", minimum=1)
    len_v = _spec.as_int(len_v, "len_v", minimum=1)
    if maxlag is not None or lags is not None:
        if mode != "valid":
            raise ValueError(f"mode={mode!r} cannot be combined with a lag window "
                             "(maxlag= or lags=); give one or the other")
    window_mode = None if maxlag is not None or lags is not None else mode
    first, step, count = _lag_window(len_a, len_v, window_mode, maxlag, lags, "valid")
    _spec.check_size(count, "correlation_lags")
    return first + step * np.arange(count, dtype=np.int64)


def _valid_lag_range(n: int, m: int, first: int, step: int, count: int) -> tuple[int, int]:
    """Indices ``[lo, hi)`` of the progression (``step > 0``) whose lags have at least
    one overlapping pair, ``-(m-1) <= k <= n-1``."""
    lowest = -(m - 1)
    lo = 0 if first >= lowest else -((first - lowest) // step)
    hi = 0 if first > n - 1 else min(count, (n - 1 - first) // step + 1)
    return min(lo, count), max(hi, min(lo, count))


# Taps per kernel call of a lag window with a long template: the call's signal slice and
# template chunk (2 x 64 KiB in float64) stay in cache across its outputs, and the
# outputs of the middle chunks read no padding (the kernel's edge path copies).
_TAP_CHUNK = 8192


def _xcorr_real(sig: _Array, ker: _Array, first: int, step: int, count: int,
                n_threads: int) -> _Array:
    """``out[g, j] = sum_t ker[g, t] * sig[g, first + step*j + t]`` (zero outside
    ``sig``) for real rows; ``sig`` and ``ker`` hold 1 or ``G`` rows. Calls of the
    conv1d kernel over only the needed output window: the lag window becomes its left
    padding (or a slice of the signal) and its stride; a long template is split into
    chunks of taps whose partial sums add up."""
    m = ker.shape[1]
    bad = _nonfinite_taps(ker)
    if bad is not None:
        # As in _direct_nonfinite: both operands' finite values through the kernel, each
        # NaN/inf tap only over the lags where it meets the signal, each NaN/inf sample
        # of the signal with the finite taps it meets.
        bad_sig = ~np.isfinite(sig)
        sig0 = np.where(bad_sig, 0, sig) if bad_sig.any() else sig
        out = np.array(_xcorr_real(sig0, np.where(bad, 0, ker), first, step, count,
                                   n_threads))
        positions = first + step * np.arange(count)
        with np.errstate(invalid="ignore", over="ignore"):
            for row, tap in zip(*np.nonzero(bad)):
                index = positions + tap
                meets = (index >= 0) & (index < sig.shape[1])
                rows = slice(None) if ker.shape[0] == 1 else slice(row, row + 1)
                # one template: every signal row meets it; one row per template: its own
                srow = slice(None) if ker.shape[0] == 1 else (
                    slice(0, 1) if sig.shape[0] == 1 else slice(row, row + 1))
                out[rows, meets] += ker[row, tap] * sig[srow][:, index[meets]]
            taps = np.arange(m)
            for srow_i, at in zip(*np.nonzero(bad_sig)):
                # sample `at` meets tap t at output j where first + step*j + t == at
                shift = at - first - taps
                meets = (shift % step == 0) & (shift >= 0) & (shift < step * count)
                targets = range(out.shape[0]) if sig.shape[0] == 1 else (srow_i,)
                for g in targets:
                    krow = 0 if ker.shape[0] == 1 else g
                    use = meets & ~bad[krow]
                    out[g, shift[use] // step] += sig[srow_i, at] * ker[krow, use]
        return out
    if m <= 2 * _TAP_CHUNK:
        return _xcorr_chunk(sig, ker, first, step, count, n_threads)
    total: _Array | None = None
    for start in range(0, m, _TAP_CHUNK):
        part = _xcorr_chunk(sig, np.ascontiguousarray(ker[:, start:start + _TAP_CHUNK]),
                            first + start, step, count, n_threads)
        if total is None:
            total = part
        else:
            total += part
    assert total is not None   # m > 2 * _TAP_CHUNK: the loop ran
    return total


def _xcorr_chunk(sig: _Array, ker: _Array, first: int, step: int, count: int,
                 n_threads: int) -> _Array:
    n, m = sig.shape[1], ker.shape[1]
    rows = max(sig.shape[0], ker.shape[0])
    dtype = sig.dtype
    needed = (count - 1) * step + m          # the padded signal the window reads
    start = max(first, 0)
    left = max(-first, 0)
    stop = min(n, first + needed)
    if stop <= start:   # this chunk of taps never meets the signal
        return np.zeros((max(sig.shape[0], ker.shape[0]), count), dtype=dtype)
    sub = sig[:, start:stop]
    right = needed - left - (stop - start)
    if rows == 1 or (sig.shape[0] > 1 and ker.shape[0] == 1):
        x = np.ascontiguousarray(sub).reshape(sig.shape[0], 1, stop - start)
        y = np.empty((sig.shape[0], 1, count), dtype=dtype)
        FORWARD[dtype.char](x, np.ascontiguousarray(ker).reshape(1, 1, m),
                            _NO_BIAS[dtype.char], y, left, right, _spec.CONSTANT, 0.0,
                            step, 1, 1, False, n_threads)
        return y.reshape(sig.shape[0], count)
    # Each row has its own kernel: one depthwise (grouped) call.
    x = np.ascontiguousarray(np.broadcast_to(sub, (rows, stop - start)))[None]
    w = np.ascontiguousarray(np.broadcast_to(ker, (rows, m)))[:, None, :]
    y = np.empty((1, rows, count), dtype=dtype)
    FORWARD[dtype.char](x, w, _NO_BIAS[dtype.char], y, left, right, _spec.CONSTANT, 0.0,
                        step, 1, rows, False, n_threads)
    lanes: _Array = y[0]
    return lanes


def _lag_direct(rows: _Array, vrows: _Array, first: int, step: int, count: int,
                real_dtype: np.dtype[Any], n_threads: int) -> _Array:
    """Correlation at lags ``first + step*j`` (all in the overlapping range, step > 0)
    by the direct kernel; complex as real parts."""
    n, m = rows.shape[1], vrows.shape[1]
    if m > n:
        # Slide the shorter operand: c[k] = conj(c'[-k]) with c' = correlate(v, a).
        last = first + step * (count - 1)
        swapped = _lag_direct(vrows, rows, -last, step, count, real_dtype, n_threads)
        mirrored: _Array = (np.conj(swapped[:, ::-1]) if swapped.dtype.kind == "c"
                            else swapped[:, ::-1])
        return mirrored
    if rows.dtype.kind != "c" and vrows.dtype.kind != "c":
        return _xcorr_real(rows, vrows, first, step, count, n_threads)

    def as_real(part: _Array) -> _Array:
        return np.ascontiguousarray(part, dtype=real_dtype)

    ar, ai = as_real(rows.real), (as_real(rows.imag) if rows.dtype.kind == "c" else None)
    vr, vi = as_real(vrows.real), (as_real(vrows.imag) if vrows.dtype.kind == "c" else None)

    def run(s: _Array, k: _Array) -> _Array:
        return _xcorr_real(s, k, first, step, count, n_threads)

    # sum a conj(v): real ar.vr + ai.vi, imaginary ai.vr - ar.vi
    real = run(ar, vr) + (run(ai, vi) if ai is not None and vi is not None else 0)
    imag = ((run(ai, vr) if ai is not None else 0) - (run(ar, vi) if vi is not None else 0))
    return _as_complex(real, imag)


def _lag_fft(rows: _Array, vrows: _Array, first: int, step: int, count: int, integral: bool,
             n_threads: int) -> _Array | None:
    """The same by one FFT over only the span of ``a`` the window reads."""
    module, _ = _fft.backend()
    kw = _fft._kw(n_threads)
    n, m = rows.shape[1], vrows.shape[1]
    last = first + step * (count - 1)
    start, stop = max(first, 0), min(n, last + m)
    sub = rows[:, start:stop]
    size = _fft.next_fast_len(stop - start + m - 1)
    # (the bound over the longer transform of either route)
    if integral and not (_fft.error_bound(sub, vrows, _fft.transform_bound(stop - start, m))
                         < 0.5):
        return None
    if vrows.shape[0] == 1:
        # One template: the convolution route (overlap-add when it is short) with the
        # template conjugated and reversed; full index i holds lag start + i - (m - 1).
        kernel = vrows[0, ::-1]
        kernel = np.ascontiguousarray(np.conj(kernel) if kernel.dtype.kind == "c"
                                      else kernel)
        full = _fft.full_convolution(np.ascontiguousarray(sub), kernel, n_threads)
        begin = first - start + m - 1
        picked = full[:, begin:begin + step * (count - 1) + 1:step]
        return np.rint(picked) if integral else picked
    sub, exp_a = _fft.power_of_two_scale(sub)
    ker, exp_v = _fft.power_of_two_scale(vrows)
    if sub.dtype.kind == "c" or ker.dtype.kind == "c":
        spectrum = module.fft(sub, size, axis=-1, **kw)
        spectrum *= np.conj(module.fft(ker, size, axis=-1, **kw))
        circular = module.ifft(spectrum, size, axis=-1, **kw)
    else:
        spectrum = module.rfft(sub, size, axis=-1, **kw)
        spectrum *= np.conj(module.rfft(ker, size, axis=-1, **kw))
        circular = module.irfft(spectrum, size, axis=-1, **kw)
    # Lag k sits at index (k - start) mod size of the circular correlation (no
    # wrap-around: size >= span + m - 1).
    if first - start >= 0:
        picked = circular[:, first - start:last - start + 1:step]
    else:
        index = (first - start + step * np.arange(count)) % size
        picked = circular[:, index]
    picked = _fft.unscale(picked, exp_a + exp_v, in_place=True)   # a fresh array
    return np.rint(picked) if integral else picked


def _auto_method(n: int, m: int, first: int, step: int, count: int, lanes: int,
                 complex_input: bool, dtype: np.dtype[Any], shared: bool,
                 pearson_fused: bool = False) -> str:
    """``method="auto"``'s choice for lags ``first + step*j`` (all with an overlapping
    pair): the cheaper of the direct sums and the FFT route by the cost models of
    :func:`choose_method`. ``shared``: one template for every lane, whose FFT route is
    a full convolution of the span the lags read (_lag_fft); else one transform of
    that span per lane. ``pearson_fused``: Pearson's r, whose direct route makes r with
    the raw sums (``pearson_valid``) and whose FFT route pays a pass of its own
    (``pearson_lags``)."""
    start = max(first, 0)
    span = min(n, first + step * (count - 1) + m) - start
    macs = _direct_work(count, min(n, m), lanes, complex_input)
    direct = macs * _direct_rate(min(n, m), _single(dtype))
    if pearson_fused:
        direct += _PEARSON_FUSED_PER_LAG * lanes * count
    if direct + _DIRECT_OVERHEAD <= _FFT_OVERHEAD:   # as in choose_method
        return "direct"
    threads = _threads.get_num_threads()
    # pearson_valid shares blocks of lags between threads as the raw sums do
    direct = direct / _direct_speedup(macs, threads) + _DIRECT_OVERHEAD
    if shared:
        fft = _fft_seconds(span, m, lanes, complex_input, dtype, threads)
    else:
        size = _fft.next_fast_len(span + m - 1)
        fft = ((2 if complex_input else 1) * lanes * 3 * size * math.log2(max(size, 2))
               * _FFT_SECONDS_PER_NLOGN / _fft_speedup(min(threads, lanes)) + _FFT_OVERHEAD)
    if pearson_fused:
        fft += _PEARSON_LAGS_PER_LAG * lanes * count + _PEARSON_LAGS_OVERHEAD  # one thread
    return "direct" if direct <= fft else "fft"


def _lag_correlate(rows: _Array, vrows: _Array, first: int, step: int, count: int,
                   method: str, dtype: np.dtype[Any], integral: bool) -> _Array:
    """``c[g, j] = sum_n rows[g, n + k_j] conj(vrows[g or 0, n])``, ``k_j = first +
    step*j``; zero where lag ``k_j`` has no overlapping pair."""
    n_threads = _threads.get_num_threads()
    if step < 0:
        reverse = _lag_correlate(rows, vrows, first + step * (count - 1), -step, count,
                                 method, dtype, integral)
        return reverse[:, ::-1]
    n, m = rows.shape[1], vrows.shape[1]
    lanes = max(rows.shape[0], vrows.shape[0])
    lo, hi = _valid_lag_range(n, m, first, step, count)
    if hi <= lo:
        return np.zeros((lanes, count), dtype=dtype)
    first_valid, inside = first + step * lo, hi - lo
    if method == "auto":
        method = _auto_method(n, m, first_valid, step, inside, lanes, dtype.kind == "c",
                              dtype, vrows.shape[0] == 1)
        if method == "fft" and not (_finite(rows) and _finite(vrows)):
            method = "direct"   # an FFT spreads NaN and inf over every lag
    values = None
    if method == "fft":
        values = _lag_fft(rows, vrows, first_valid, step, inside, integral, n_threads)
    if values is None:
        real_dtype = np.dtype(np.float32 if dtype in (np.float32, np.complex64)
                              else np.float64)
        values = _lag_direct(rows, vrows, first_valid, step, inside, real_dtype, n_threads)
    if lo == 0 and hi == count:
        return values       # every lag overlaps: no zero border to add
    out = np.zeros((lanes, count), dtype=dtype)
    out[:, lo:hi] = values
    return out


def _finite(x: _Array) -> bool:
    """No NaN or inf in ``x``: one compiled pass without a temporary for C-contiguous
    float32/float64 rows (a float64 row whose sum overflows counts as non-finite and
    takes the direct route, right for it too)."""
    if x.ndim == 2 and x.dtype in (_F64, _F32) and x.flags.c_contiguous:
        return bool(all_finite(x))
    return bool(np.isfinite(x).all())


def _overlap(n: int, m: int, lag_values: _Array) -> tuple[_Array, _Array]:
    """First index into ``v`` and the count ``n_k`` of overlapping pairs per lag."""
    lo = np.maximum(0, -lag_values)
    hi = np.minimum(m, n - lag_values)
    return lo, np.maximum(hi - lo, 0)


def _finite_mean(rows: _Array) -> _Array:
    """Per-row mean (float64, kept dims) of the finite values, 0 for a row without
    any: an offset to centre by, which NaN or inf must not turn into NaN everywhere."""
    # a sum and a division: ndarray.mean's own checks cost more than a short row's sum
    mean: _Array = (rows.sum(axis=-1, keepdims=True, dtype=np.float64)
                    / max(rows.shape[-1], 1))
    if np.isfinite(mean).all():
        return mean
    finite = np.isfinite(rows)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (np.where(finite, rows, 0).sum(axis=-1, keepdims=True, dtype=np.float64)
                / finite.sum(axis=-1, keepdims=True))
    return np.where(np.isfinite(mean), mean, 0.0)


def _pearson(rows: _Array, vrows: _Array, first: int, step: int, count: int, method: str,
             dtype: np.dtype[Any], decided: str | None = None) -> _Array:
    """Pearson coefficient of the overlapping pairs at each lag.

    The template is centred by its mean (Pearson's r does not change when a constant
    is added) and correlated with the lanes; ``_lagstats.pearson_lags`` then removes
    each lane's mean exactly and combines the raw sums with float64 prefix sums of the
    centred data: ``r = (c - Sa Sv / n_k) / sqrt((Saa - Sa^2/n_k)(Svv - Sv^2/n_k))``.
    Template matching by direct sums (unit-step lags all overlapping the template)
    makes the raw sums and r together, block by block (``_lagstats.pearson_valid``).
    ``vrows`` comes in range (``_PEARSON_RANGE``); the lanes are brought there here,
    each whole for the other routes, and on that one a lane out of range block by
    block (an autocorrelation's lanes are ``vrows``, in range already). ``decided``: the
    model's choice for template matching with ``method`` "auto", when the caller has
    made it (``_pearson_fast``).
    """
    if step < 0:
        reverse = _pearson(rows, vrows, first + step * (count - 1), -step, count, method,
                           dtype)
        return reverse[:, ::-1]
    lo_exp, hi_exp = _PEARSON_RANGE[dtype.itemsize]
    n, m = rows.shape[1], vrows.shape[1]
    lanes = max(rows.shape[0], vrows.shape[0])
    lo, hi = _valid_lag_range(n, m, first, step, count)
    if hi <= lo:
        return np.full((lanes, count), np.nan, dtype=dtype)
    total, first, count = count, first + step * lo, hi - lo
    checked = False     # rows known finite (pearson_lags then skips its pass)
    matching = (step == 1 and (lo, hi) == (0, total) and 2 <= m and first >= 0
                and first + count - 1 <= n - m and rows.shape[0] == lanes)
    if matching and method == "auto":
        # One model prices both routes of template matching (the fused direct sums,
        # the FFT's raw sums then pearson_lags), and the FFT's route is then taken as
        # priced: its raw sums by the FFT (before, the plain model could send them to
        # the direct sums, a route nobody priced, and cost two more model calls and two
        # passes for finiteness). An FFT spreads NaN and inf over every lag: a lane or
        # template holding one keeps the fused route, which confines them.
        method = decided if decided is not None else _auto_method(
            n, m, first, 1, count, lanes, False, dtype, vrows.shape[0] == 1, True)
        if method == "fft" and not (_finite(rows) and _finite(vrows)):
            method = "direct"
        checked = method == "fft"
    if matching and method == "direct":
        # Template matching by direct sums: raw sums, window sums and r block by block
        # (pearson_valid, which centres the template, and float32 lanes block by block,
        # itself), reading the lane once and writing only r; 0 threads: asked for only
        # when there are several blocks.
        fused = np.empty((lanes, count), dtype=dtype)
        pearson_valid(np.ascontiguousarray(rows), np.ascontiguousarray(vrows), fused,
                      first, 0, lo_exp, hi_exp)
        return fused
    if rows is not vrows:
        rows = in_range(rows, lo_exp, hi_exp)
    # In float64 only the template is centred for the raw correlation (an O(m) copy);
    # the lane's own offset is taken out exactly in pearson_lags, whose prefix sums are
    # centred. float32 sums of an uncentred lane would lose the digits the offset
    # takes, so there the lanes are centred (in float64, then rounded) too.
    lanes_in = rows
    if dtype == np.float32:
        lanes_in = centred_lanes(np.ascontiguousarray(rows))
    centred_v = np.ascontiguousarray(vrows - _finite_mean(vrows), dtype=dtype)
    raw = np.ascontiguousarray(
        _lag_correlate(lanes_in, centred_v, first, step, count, method, dtype, False))
    if (lo, hi) == (0, total) and raw.flags.writeable and raw.shape == (lanes, total):
        # pearson_lags reads raw[j] before writing out[j]: r overwrites the raw sums
        # (a fresh array of ours), sparing a large allocation and its page faults.
        pearson_lags(lanes_in, rows, np.ascontiguousarray(vrows), centred_v, raw, raw,
                     first, step, checked)
        return raw
    out = np.empty((lanes, total), dtype=dtype)
    out[:, :lo] = np.nan      # lags without an overlapping pair
    out[:, hi:] = np.nan
    inner = out[:, lo:hi]
    if lanes > 1:
        # pearson_lags writes C-contiguous rows; a column band of several lanes is not
        # (this raised "ndarray is not C-contiguous" for N-D input with such lags).
        inner = np.empty((lanes, hi - lo), dtype=dtype)
    pearson_lags(lanes_in, rows, np.ascontiguousarray(vrows), centred_v, raw, inner,
                 first, step, checked)
    if lanes > 1:
        out[:, lo:hi] = inner
    return out


# Pearson's r is the same for a lane scaled by any factor: a lane whose largest magnitude
# lies outside these powers of two is scaled by one (exactly) into [1/2, 1) first
# (_lagstats.in_range). Past them the sums the routes take overflowed or underflowed and
# r came out wrong with no warning: float64 lanes of 1e-300 or 1e300, lane and template
# both of 1e160 (the product of their window variances); float32 lanes of 1e-30
# (squares flushed to zero) or of 1e20 by the FFT. Inside them there is room for both
# sides' squares, sums of millions of them and their products. (itemsize: lo, hi)
_PEARSON_RANGE = {4: (-40, 40), 8: (-120, 120)}


def _normalized(rows: _Array, vrows: _Array, first: int, step: int, count: int, method: str,
                dtype: np.dtype[Any], integral: bool, normalize: str | None) -> _Array:
    n, m = rows.shape[1], vrows.shape[1]
    if normalize == "pearson":
        if dtype.kind == "c":
            raise TypeError(f"normalize='pearson' needs real input, got dtype {dtype}")
        # the template here, the lanes by _pearson (an autocorrelation's, the same
        # array, here)
        scaled = in_range(vrows, *_PEARSON_RANGE[dtype.itemsize])
        return _pearson(scaled if rows is vrows else rows, scaled, first, step, count,
                        method, dtype)
    raw = _lag_correlate(rows, vrows, first, step, count, method, dtype, integral)
    return _scaled(raw, rows, vrows, first, step, count, dtype, normalize)


def _scaled(raw: _Array, rows: _Array, vrows: _Array, first: int, step: int, count: int,
            dtype: np.dtype[Any], normalize: str | None) -> _Array:
    """The raw correlation ``raw`` (lanes, count) of ``rows`` with ``vrows`` at lags
    ``first + step*j`` scaled as ``normalize`` ("biased", "unbiased", "coeff") asks."""
    n, m = rows.shape[1], vrows.shape[1]
    if normalize is None:
        return raw
    if normalize == "biased":
        biased: _Array = raw / max(n, m)
        return biased
    if normalize == "unbiased":
        _, n_k = _overlap(n, m, first + step * np.arange(count, dtype=np.int64))
        return raw / np.maximum(n_k, 1)    # raw is 0 where n_k == 0
    # |x|^2 (abs only for complex: a real square needs none), summed in float64;
    # the quotient is taken only where the scale is positive (no errstate: a short
    # lane felt its cost), NaN elsewhere
    energy_a = np.sum(np.square(np.abs(rows) if rows.dtype.kind == "c" else rows),
                      axis=-1, dtype=np.float64)
    energy_v = energy_a if vrows is rows else np.sum(
        np.square(np.abs(vrows) if vrows.dtype.kind == "c" else vrows), axis=-1,
        dtype=np.float64)
    scale = np.sqrt(energy_a * energy_v)[:, None]
    quotient = np.full(raw.shape, np.nan, dtype=np.result_type(raw.dtype, np.float64))
    np.divide(raw, scale, out=quotient, where=scale > 0)
    return quotient.astype(dtype, copy=False)


def _check_normalize(normalize: object) -> None:
    if normalize not in _NORMALIZE or (normalize is not None and not isinstance(normalize,
                                                                                str)):
        raise ValueError(f"normalize must be one of {_NORMALIZE}, got {normalize!r}")


def _check_nan_policy(nan_policy: object) -> None:
    if not isinstance(nan_policy, str) or nan_policy not in _NAN_POLICIES:
        raise ValueError(f"nan_policy must be one of {_NAN_POLICIES}, got {nan_policy!r}")


def _window_fast(a: Any, v: Any, mode: object, maxlag: object, lags: object,
                 normalize: object, axis: Any, method: Any, default_mode: str) -> _Array | None:
    """``correlate(a, v, ...)`` (or ``autocorrelate``, ``v`` being ``a``) of one signal on
    the compiled fast path when ``signal_direct`` takes the arrays (1-D, one native float
    dtype, direct sums) and the call is a plain ``maxlag`` or a mode, with no
    normalization or a ``biased``, ``unbiased`` or ``coeff`` one (a few NumPy operations
    on the result, those of the general path). Else None. The general path's Python
    costs 11 us for 21 lags of a 1000-sample signal, 30-40 us with a normalization."""
    if lags is not None or not (normalize is None or type(normalize) is str
                                and normalize in ("biased", "unbiased", "coeff")):
        return None
    if maxlag is not None:
        if type(maxlag) is not int or not 0 <= maxlag < 2**40 or mode is not None:
            return None       # a huge maxlag gets the general path's size error
        first, count = -maxlag, 2 * maxlag + 1
        y: _Array | None = signal_direct(a, v, "full", axis, method, True,
                                         _AUTO_DIRECT_MAX_MACS, 0, first, count)
    elif normalize is None or not (mode is None or type(mode) is str and mode in _MODES):
        return None       # a plain mode has its own fast path; a bad one its error
    else:
        mode = default_mode if mode is None else mode
        y = signal_direct(a, v, mode, axis, method, True, _AUTO_DIRECT_MAX_MACS, 0)
    if y is None or normalize is None:
        return y
    n, m = a.shape[0], v.shape[0]
    if maxlag is None:
        first, _, count = _lag_window(n, m, mode, None, None, default_mode)
        if count != y.shape[0]:
            return None
    scaled = _scaled(y.reshape(1, count), a.reshape(1, n), v.reshape(1, m), first, 1,
                     count, y.dtype, normalize)
    return np.ascontiguousarray(scaled, dtype=y.dtype).reshape(count)


def _pearson_fast(a: Any, v: Any, mode: object, maxlag: object, lags: object,
                  axis: object, method: object) -> _Array | None:
    """``correlate(a, v, normalize="pearson")`` straight to ``pearson_valid`` when it is
    template matching of one signal: ``a`` and ``v`` 1-D ndarrays of one native float
    dtype, ``"valid"`` lags (``len(v) <= len(a)``), no lag window, and the direct sums
    (``method`` "direct", or "auto" choosing them); with "auto" choosing the FFT,
    straight to ``_pearson`` with that choice. The general path's Python cost
    15 us a call (a 1000-sample signal: 20 us where the raw correlation takes 2; on the
    FFT's route it also made the model's choice three times, 3.7 us each); the
    arguments are those the general path passes, so the result is the same bits. Else
    None."""
    if (maxlag is not None or lags is not None
            or not (mode is None or type(mode) is str and mode == "valid")
            or type(a) is not np.ndarray or type(v) is not np.ndarray
            or type(axis) is not int or axis not in (-1, 0)
            or type(method) is not str or method not in ("auto", "direct")):
        return None
    dtype = a.dtype
    if a.ndim != 1 or v.ndim != 1 or v.dtype != dtype or dtype not in (_F64, _F32):
        return None
    n, m = a.shape[0], v.shape[0]
    count = n - m + 1
    if m < 2 or count < 1:
        return None
    lo, hi = _PEARSON_RANGE[dtype.itemsize]
    if (method == "auto" and count * m > _AUTO_DIRECT_MAX_MACS
            and (decided := _auto_method(n, m, 0, 1, count, 1, False, dtype, True,
                                         True)) != "direct"):
        # the FFT's route, as the general path takes it, with the model's choice
        # passed on (the general path would make it again)
        rows = np.ascontiguousarray(a).reshape(1, n)
        vrows = in_range(np.ascontiguousarray(v).reshape(1, m), lo, hi)
        fft_route: _Array = _pearson(rows, vrows, 0, 1, count, "auto", dtype,
                                     decided).reshape(count)
        return fft_route
    out: _Array = np.empty((1, count), dtype=dtype)
    pearson_valid(np.ascontiguousarray(a).reshape(1, n), np.ascontiguousarray(v).reshape(1, m),
                  out, 0, 0, lo, hi)
    result: _Array = out.reshape(count)
    return result


def _correlate_lanes(a: npt.ArrayLike, v: npt.ArrayLike | None, mode: str | None,
                     maxlag: object, lags: Lags | None, normalize: str | None, axis: int,
                     method: str, default_mode: str, autocorrelation: bool) -> _Array:
    """correlate/autocorrelate with a lag window or a normalization: every lane of
    ``a`` along ``axis`` with ``v`` (or with itself)."""
    aa = _spec.as_array(a, "a")
    aa = aa.reshape(1) if aa.ndim == 0 else aa
    if not isinstance(method, str) or method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, got {method!r}")
    _check_normalize(normalize)
    axis = _spec.as_int(axis, "axis")
    if not -aa.ndim <= axis < aa.ndim:
        raise ValueError(f"axis {axis} is out of bounds for a with {aa.ndim} dimension(s)")
    if autocorrelation:
        va = aa
        dtype = _spec.compute_dtype(aa.dtype, "a", "autocorrelate", allow_complex=True)
    else:
        # v is None only with autocorrelation (a typing fact the flag does not carry)
        va = _spec.as_array(cast(npt.ArrayLike, v), "v")
        va = va.reshape(1) if va.ndim == 0 else va
        if va.ndim != 1:
            raise ValueError(f"v must be 1-D, got an array of shape {va.shape}")
        dtype = _spec.result_dtype([aa, va], ["a", "v"], "correlate",
                                         allow_complex=True)
    n = aa.shape[axis]
    m = n if autocorrelation else va.shape[0]
    if n == 0:
        raise ValueError("a cannot be empty")
    if m == 0:
        raise ValueError("v cannot be empty")
    first, step, count = _lag_window(n, m, mode, maxlag, lags, default_mode)
    integral = aa.dtype.kind in "biu" and va.dtype.kind in "biu"
    # moveaxis costs ~7 us even when it moves nothing: short lanes feel it
    last_axis = axis in (-1, aa.ndim - 1)
    moved = aa if last_axis else np.moveaxis(aa, axis, -1)
    lead = moved.shape[:-1]
    lanes = math.prod(lead)
    _spec.check_size(lanes * count, "result")
    if lanes == 0:
        return np.moveaxis(np.empty(lead + (count,), dtype=dtype), -1, axis)
    rows = _spec.contiguous(moved, dtype).reshape(lanes, n)
    vrows = rows if autocorrelation else _spec.contiguous(va, dtype).reshape(1, m)
    result = _normalized(rows, vrows, first, step, count, method, dtype, integral,
                         normalize)
    result = np.ascontiguousarray(result, dtype=dtype).reshape(lead + (count,))
    return result if last_axis else np.moveaxis(result, -1, axis)


def _with_nan_policy(op: Callable[[Any, Any], _Array], a: npt.ArrayLike, v: npt.ArrayLike,
                     nan_policy: str, complex_ok_message: str) -> _Array:
    """Apply ``nan_policy`` around ``op(a, v)`` (a function of the two operands with
    every other argument bound, NaN propagating)."""
    _check_nan_policy(nan_policy)
    if nan_policy == "propagate":
        return op(a, v)
    aa = _spec.as_array(a, "a")
    if nan_policy == "raise":
        if aa.dtype.kind in "fc":
            missing = np.isnan(aa)
            if missing.any():
                raise ValueError(f"a holds {int(missing.sum())} NaN value(s) and "
                                 "nan_policy='raise'")
        return op(a, v)
    # omit: v's conditions hold whatever a's dtype (integer a has nothing to omit)
    if aa.dtype.kind == "c":
        raise TypeError(f"nan_policy='omit' needs real input, got a of dtype {aa.dtype} "
                        f"({complex_ok_message})")
    va = _spec.as_array(v, "v")
    if va.dtype.kind == "c":
        raise TypeError(f"nan_policy='omit' needs real input, got v of dtype {va.dtype}")
    if va.dtype.kind == "f" and np.isnan(va).any():
        raise ValueError("v holds NaN; nan_policy='omit' treats NaN in a as missing and "
                         "needs a kernel without NaN")
    total = float(np.sum(va, dtype=np.float64))
    if total == 0.0:
        raise ValueError("nan_policy='omit' renormalizes by the kernel's weight, so "
                         "sum(v) must not be 0, got 0")
    if aa.dtype.kind != "f":
        return op(a, v)
    missing = np.isnan(aa)
    if not missing.any():
        return op(a, v)
    filled = np.where(missing, 0, aa)
    numerator = op(filled, v)
    indicator = missing.astype(numerator.dtype)
    # Weight that fell on missing samples (0/1 data: exact or very nearly)...
    lost = op(indicator, v)
    # ... and how many non-zero taps did, to find outputs with no valid sample at all.
    taps = (np.asarray(va) != 0)
    covered = np.rint(op(indicator, taps.astype(numerator.dtype)))
    weight = total - lost
    with np.errstate(divide="ignore", invalid="ignore"):
        result = numerator * (total / weight)
    result[covered >= int(taps.sum())] = np.nan
    return result.astype(numerator.dtype, copy=False)


def convolve(a: npt.ArrayLike, v: npt.ArrayLike,
             mode: SignalMode = "full", *, axis: int = -1, method: Method = "auto",
             nan_policy: NanPolicy = "propagate") -> InexactArray:
    """Discrete linear convolution, as :func:`numpy.convolve`, along an axis.

    ``(a * v)[t] = sum_k a[k] v[t - k]``.

    Parameters
    ----------
    a : array_like
        Signal(s): a 1-D array, or an N-D array convolved along ``axis``.
    v : array_like
        1-D kernel.
    mode : {"full", "same", "valid"}, optional
        ``full``: length ``n + m - 1``; ``same``: ``max(n, m)``, centred as NumPy does;
        ``valid``: ``max(n, m) - min(n, m) + 1`` (the roles swap when ``v`` is longer).
    axis : int, optional
        Axis of ``a`` to convolve along.
    method : {"auto", "direct", "fft"}, optional
        ``direct``: the compiled sliding dot product (exact summation order);
        ``fft``: for real input our own float64 transform (``cc_fft.h``: the shorter
        operand's spectra, cached between calls, against blocks of the longer one, two
        blocks per complex transform, a long lane's chunks of blocks shared between
        the threads, with the same bits at any count; two long operands of similar
        length take one
        real transform by SciPy instead), for complex input SciPy's (NumPy's without
        SciPy: a single FFT, or overlap-add when one operand is much shorter);
        ``auto``: the one :func:`cconv1d.signal.choose_method` predicts faster, except that input
        holding NaN or inf always goes direct, so non-finite values reach exactly
        the outputs they reach in :func:`numpy.convolve` (an FFT spreads them over
        the outputs of every block they enter). The FFT rescales its operands by powers of two, so huge finite
        values do not overflow where the direct sums do not; integer and bool inputs
        give exactly the integer result on every method (the FFT result is rounded
        when its error bound is below 1/2, else the direct method runs).
    nan_policy : {"propagate", "raise", "omit"}, optional
        ``propagate``: NaN in ``a`` reaches the outputs whose window holds it;
        ``raise``: ``ValueError`` if ``a`` holds NaN; ``omit`` (real input): NaN
        samples of ``a`` are missing data and each output is renormalized by the
        kernel weight that fell on valid samples, ``y = conv(a0, v) * sum(v) /
        conv(m, v)`` with ``m = ~isnan(a)``, ``a0 = where(m, a, 0)`` and samples
        beyond the ends counting as valid zeros (no NaN: the ``propagate`` result).
        An output with no valid sample under a non-zero tap is NaN; one whose valid
        weight sums to 0 (kernels of mixed sign) is inf or NaN.

    Returns
    -------
    numpy.ndarray
        The result, dtype ``np.result_type(a, v)`` promoted as in API.md section 1
        (integers and bool give float64, unlike :func:`numpy.convolve`; the values
        agree). Complex input is supported.

    Raises
    ------
    ValueError
        Empty ``a`` or ``v``, ``v`` not 1-D, unknown ``mode``, ``method`` or
        ``nan_policy``, bad ``axis``; NaN in ``a`` with ``nan_policy="raise"``; NaN in
        ``v`` or ``sum(v) == 0`` with ``nan_policy="omit"``.
    TypeError
        Object, string or other unsupported dtypes; complex input with
        ``nan_policy="omit"``.

    Examples
    --------
    >>> import cconv1d as cc
    >>> cc.convolve([1.0, 2.0, 3.0], [0.0, 1.0, 0.5])
    array([0. , 1. , 2.5, 4. , 1.5])
    >>> cc.convolve([1.0, 2.0, 3.0], [0.0, 1.0, 0.5], "same")
    array([1. , 2.5, 4. ])
    >>> cc.convolve([[1.0, 2.0, 3.0], [1.0, 0.0, 0.0]], [1.0, 1.0], "valid")
    array([[3., 5.],
           [1., 0.]])

    A gap of missing samples, bridged by the valid neighbours:

    >>> cc.convolve([1.0, 2.0, float("nan"), 4.0], [1.0, 1.0, 1.0], "same",
    ...             nan_policy="omit")
    array([3. , 4.5, 9. , 6. ])
    """
    if nan_policy != "propagate":
        # partial, not a lambda: a closure would make cells of these arguments on
        # every call, the small calls' fast path included
        return _with_nan_policy(functools.partial(convolve, mode=mode, axis=axis,
                                                  method=method), a, v, nan_policy,
                                "convolve")
    # 0 threads: signal_direct asks for the count only when the work can be split
    y = signal_direct(a, v, mode, axis, method, False, _AUTO_DIRECT_MAX_MACS, 0)
    if y is None and method == "auto":
        y = _auto_direct(a, v, mode, axis, False)
    return _convolve(a, v, mode, axis, method, "convolve") if y is None else y


def _auto_direct(a: object, v: object, mode: object, axis: object,
                 correlate: bool) -> _Array | None:
    """``method="auto"`` past the small calls' limit, for two plain 1-D arrays: the
    compiled fast path when the model picks the direct sums (the general path costs
    about 8 us more), else None."""
    if (type(a) is np.ndarray and type(v) is np.ndarray and a.ndim == 1 and v.ndim == 1
            and a.shape[0] * v.shape[0] > _AUTO_DIRECT_MAX_MACS   # else not the limit
            and type(mode) is str and mode in _MODES and a.shape[0] and v.shape[0]):
        length = _spec.window(a.shape[0], v.shape[0], mode, correlate=correlate)[1]
        if choose_method(a.shape[0], v.shape[0],
                         dtype=a.dtype if a.dtype == v.dtype else _F64,
                         outputs=length) == "direct":
            return signal_direct(a, v, mode, axis, "direct", correlate, 0, 0)
    return None


def correlate(a: npt.ArrayLike, v: npt.ArrayLike,
              mode: SignalMode | None = None, *, maxlag: int | None = None,
              lags: Lags | None = None, normalize: Normalize | None = None,
              axis: int = -1, method: Method = "auto", nan_policy: NanPolicy = "propagate"
              ) -> InexactArray:
    """Cross-correlation, as :func:`numpy.correlate`, along an axis, over any window of
    lags, optionally normalized.

    ``c[k] = sum_n a[n + k] * conj(v[n])``, summed where both samples exist. With a mode
    string the output is NumPy's window of the full correlation (lags
    ``-(len(v)-1) ... len(a)-1``), including its swap when ``v`` is longer than ``a``.

    Parameters
    ----------
    a, v : array_like
        Signal(s) (``a`` N-D: every lane along ``axis``) and a 1-D template.
    mode : {"valid", "same", "full"}, optional
        NumPy's windows; ``None`` (default) means ``"valid"`` unless a lag window is
        given. A mode string together with ``maxlag`` or ``lags``: ``ValueError``.
    maxlag : int, optional
        Only lags ``-maxlag ... maxlag`` (MATLAB's ``xcorr(a, v, maxlag)``).
    lags : range or 1-D int array, optional
        Only these lags, an arithmetic progression with a non-zero step (one lag is
        fine), in that order. A lag without overlapping pairs gives 0.
    normalize : {None, "biased", "unbiased", "coeff", "pearson"}, optional
        ``biased``: ``c / max(len(a), len(v))``; ``unbiased``: ``c / n_k`` with ``n_k``
        the overlapping pairs at lag ``k`` (0 where ``n_k == 0``); ``coeff``:
        ``c / sqrt(sum|a|^2 sum|v|^2)`` per lane (NaN where that is 0); ``pearson``
        (real input only): the Pearson correlation coefficient of the overlapping pairs
        ``(a[n+k], v[n])`` at each lag (template matching with ``mode="valid"``), NaN
        where ``n_k < 2`` or either side's overlapping samples are all equal. Window
        sums are centred by the lane's mean (an offset costs no digits) and, outside
        unit-step template matching, come from compensated prefix sums, accurate
        whatever came before the window (an overlap of up to 16 pairs far from the
        lane's mean, or from the template's, next to its own spread, where the
        one-pass variance would lose digits, is summed again about its own means);
        unit-step template matching slides them, restarting every 1024 lags from an
        exact sum, so for up to that many lags after a stretch far louder than the
        window (``1e6`` times) r keeps about ``16 - 2 log10(ratio)`` digits. In a
        block holding NaN or inf the sums also restart wherever the window's variance
        is small next to what was slid in and out (a spike that left it), and a
        window that still cancels is summed again about its own mean. A lane (or
        template) whose largest finite magnitude lies outside ``[2**-120, 2**120)``
        in float64 or ``[2**-40, 2**40)`` in float32 is first scaled by the power of
        two that brings it near 1 (exact, and r does not change), so its squares and
        their sums neither overflow nor underflow; a lane whose values span more than
        the dtype's range (float32 ``1e30`` next to ``1e-20``) may still lose its
        quietest windows to underflow.
    axis : int, optional
        Axis of ``a`` to correlate along.
    method : {"auto", "direct", "fft"}, optional
        As for :func:`convolve`. With a lag window, ``direct`` runs the compiled kernel
        over only the requested lags (cost ``len(lags) * min(len(a), len(v))``) and
        ``fft`` transforms only the span of ``a`` those lags read.
    nan_policy : {"propagate", "raise", "omit"}, optional
        As for :func:`convolve` (``omit`` renormalizes by ``sum(v)``); ``omit`` cannot
        be combined with ``normalize``.

    Returns
    -------
    numpy.ndarray
        One value per lag along ``axis`` (:func:`correlation_lags` gives the lags);
        dtype as :func:`convolve`'s.

    Raises
    ------
    ValueError
        As :func:`convolve`; a mode string with a lag window, both ``maxlag`` and
        ``lags``, ``lags`` not an arithmetic progression, an unknown ``normalize``.
    TypeError
        As :func:`convolve`; ``normalize="pearson"`` with complex input.

    Notes
    -----
    Pearson's coefficient is computed from the raw correlation with the mean-centred
    template plus float64 window sums of the mean-centred lane (prefix sums, or sums
    sliding by one sample for template matching): an offset of 1e4 standard deviations
    leaves an error of about 1e-12 in float64 and 1e-7 in float32 (tested against a
    two-pass float64 loop; the usual cumulative-sum formula is off by 1e-5 there).
    Constant windows are found by counting value changes, never by comparing a
    rounded variance with zero; a NaN or inf makes only the windows holding it NaN
    (with ``method="auto"`` or ``"direct"``: an explicit ``"fft"`` computes the raw
    correlation by FFT, which spreads it over the lags of every block it enters, as
    for ``normalize=None``).

    Examples
    --------
    >>> import cconv1d as cc
    >>> cc.correlate([1.0, 2.0, 3.0], [0.0, 1.0, 0.5])
    array([3.5])
    >>> cc.correlate([1.0, 2.0, 3.0], [0.0, 1.0, 0.5], "full")
    array([0.5, 2. , 3.5, 3. , 0. ])
    >>> cc.correlate([1j, 2.0], [1j], "full")
    array([1.+0.j, 0.-2.j])

    Only the lags -1, 0 and 1, and Pearson template matching:

    >>> cc.correlate([1.0, 2.0, 3.0], [0.0, 1.0, 0.5], maxlag=1)
    array([2. , 3.5, 3. ])
    >>> cc.correlate([5.0, 1.0, 2.0, 3.0, 9.0], [10.0, 20.0, 30.0], normalize="pearson")
    array([-0.72057669,  1.        ,  0.92447345])
    """
    if nan_policy != "propagate":
        if normalize is not None and nan_policy == "omit":
            raise ValueError(f"nan_policy='omit' cannot be combined with normalize="
                             f"{normalize!r}")
        return _with_nan_policy(
            functools.partial(correlate, mode=mode, maxlag=maxlag, lags=lags,
                              normalize=normalize, axis=axis, method=method),
            a, v, nan_policy, "correlate")
    if maxlag is not None or lags is not None or normalize is not None:
        y = (_pearson_fast(a, v, mode, maxlag, lags, axis, method)
             if isinstance(normalize, str) and normalize == "pearson" else
             _window_fast(a, v, mode, maxlag, lags, normalize, axis, method, "valid"))
        if y is not None:
            return y
        return _correlate_lanes(a, v, mode, maxlag, lags, normalize, axis, method,
                                "valid", False)
    if mode is None:
        mode = "valid"
    y = signal_direct(a, v, mode, axis, method, True, _AUTO_DIRECT_MAX_MACS, 0)
    if y is None and method == "auto":
        y = _auto_direct(a, v, mode, axis, True)
    if y is None:
        return _convolve(a, v, mode, axis, method, "correlate", conj_reverse=True)
    return y


def autocorrelate(a: npt.ArrayLike, mode: SignalMode | None = None, *,
                  maxlag: int | None = None, lags: Lags | None = None,
                  normalize: Normalize | None = None, axis: int = -1,
                  method: Method = "auto") -> InexactArray:
    """Autocorrelation: ``correlate(a, a, mode)`` of every lane along ``axis``.

    ``c[k] = sum_n a[n + k] * conj(a[n])``; in the ``full`` result (length ``2n - 1``)
    lag 0 is in the middle. ``mode=None`` means ``"full"`` unless a lag window is
    given; ``maxlag``, ``lags`` and ``normalize`` as for :func:`correlate` (``coeff``
    then divides by the lane's energy, so lag 0 is 1). Parameters, returns and errors
    as :func:`correlate`. For an N-D ``a`` each lane is correlated with itself, all
    lanes in one kernel call (a grouped convolution) or one batched FFT.

    Examples
    --------
    >>> import cconv1d as cc
    >>> cc.autocorrelate([1.0, 2.0, 3.0])
    array([ 3.,  8., 14.,  8.,  3.])
    >>> cc.autocorrelate([[1.0, 2.0], [1.0, -1.0]], "same")
    array([[ 2.,  5.],
           [-1.,  2.]])
    >>> cc.autocorrelate([1.0, 2.0, 3.0], maxlag=1, normalize="coeff")
    array([0.57142857, 1.        , 0.57142857])
    """
    if maxlag is not None or lags is not None or normalize is not None:
        y = _window_fast(a, a, mode, maxlag, lags, normalize, axis, method, "full")
        if y is not None:
            return y
        return _correlate_lanes(a, None, mode, maxlag, lags, normalize, axis, method,
                                "full", True)
    if mode is None:
        mode = "full"
    # A plain 1-D float lane, direct sums: the compiled fast path of correlate(a, a)
    # (a 100-sample autocorrelation took 14 us through the general path; NumPy 2.4)
    y = signal_direct(a, a, mode, axis, method, True, _AUTO_DIRECT_MAX_MACS, 0)
    if y is not None:
        return y
    aa = _signal_array(a, mode, method)
    axis = _spec.as_int(axis, "axis")
    if not -aa.ndim <= axis < aa.ndim:
        raise ValueError(f"axis {axis} is out of bounds for a with {aa.ndim} dimension(s)")
    dtype = _spec.compute_dtype(aa.dtype, "a", "autocorrelate", allow_complex=True)
    n = aa.shape[axis]
    if n == 0:
        raise ValueError("a cannot be empty")
    offset, length = _spec.window(n, n, mode)
    moved = np.moveaxis(aa, axis, -1)
    lead = moved.shape[:-1]
    lanes = int(np.prod(lead, dtype=np.int64)) if lead else 1
    _spec.check_size(lanes * (2 * n - 1), "result")
    rows = _spec.contiguous(moved, dtype).reshape(lanes, n)
    if lanes == 0:
        return np.moveaxis(np.empty(lead + (length,), dtype), -1, axis)
    peak = None
    if method == "auto":
        method = choose_method(n, n, lanes, dtype.kind == "c", dtype, outputs=length)
        if method == "fft":
            peak = _fft.peak_abs(rows)
            if not math.isfinite(peak):
                method = "direct"
    integral = aa.dtype.kind in "biu"
    if method == "fft" and integral and not _fft_rounds_exactly(rows, rows, n, n):
        method = "direct"
    if method == "fft":
        size = _fft.next_fast_len(2 * n - 1)
        scaled, exponent = _fft.power_of_two_scale(rows, peak)
        module, _ = _fft.backend()
        threads = _threads.get_num_threads()
        real = dtype.kind != "c"
        spectrum = (module.rfft if real else module.fft)(scaled, n=size, axis=-1,
                                                          **_fft._kw(threads))
        # |X|^2 in place: the spectrum of the circular autocorrelation
        square_im = np.square(spectrum.imag)
        np.square(spectrum.real, out=spectrum.real)
        spectrum.real += square_im
        spectrum.imag[...] = 0
        inverse = module.irfft if real else module.ifft
        power: _Array = inverse(spectrum, n=size, axis=-1, **_fft._kw(threads, True))
        power = _fft.unscale(power, 2 * exponent, in_place=True)
        if integral:
            power = np.rint(power)
        # Lags -(n-1) .. (n-1) sit at the end and the start of the circular result.
        full = np.concatenate([power[:, size - (n - 1):], power[:, :n]], axis=-1)
        result = full[:, offset:offset + length]
    elif dtype.kind == "c":
        result = np.stack([_direct_any(row[None], np.conj(row[::-1]), offset, length,
                                       np.dtype(np.float32 if dtype == np.complex64
                                                else np.float64))[0] for row in rows])
    elif not _finite(rows):
        # NaN/inf: per lane through _direct, which keeps them off the padded edges.
        result = np.stack([_direct(row[None], np.ascontiguousarray(row[::-1]), offset,
                                   length)[0] for row in rows])
    else:
        # Each lane is its own kernel: a depthwise (grouped) correlation, one call.
        left = n - 1 - offset
        right = length - 1 - left
        y = np.empty((1, lanes, length), dtype=dtype)
        FORWARD[dtype.char](rows[None], rows[:, None, :], np.empty(0, dtype), y, left,
                       max(right, 0), _spec.CONSTANT, 0.0, 1, 1, lanes, False,
                       _threads.get_num_threads())
        result = y[0]
    result = np.ascontiguousarray(result, dtype=dtype).reshape(lead + (length,))
    return np.moveaxis(result, -1, axis)
