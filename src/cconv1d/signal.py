"""NumPy-compatible signal functions: ``convolve``, ``correlate``, ``autocorrelate``.

The direct method is the same compiled sliding-dot-product kernel as :func:`conv1d`
(one channel, every lane a batch row); complex data is split into real and imaginary
rows and channels so that kernel serves it too. The FFT method lives in ``_fft``;
``method="auto"`` chooses between them with a cost model whose constants were measured
on this kind of machine with ``benchmarks/calibrate_signal.py``.
"""

import math

import numpy as np

from cconv1d import _fft, _modes, _threads, _validation
from cconv1d._forward import FORWARD, signal_direct

__all__ = ["convolve", "correlate", "autocorrelate", "choose_method"]

_MODES = ("full", "same", "valid")
_METHODS = ("auto", "direct", "fft")

# Cost model of method="auto" (seconds): direct ~ MACs / rate, FFT ~ c * N log2 N, each
# plus a fixed overhead. Measured on a 2-core AVX2 machine, 1 thread, float64
# (benchmarks/calibrate_signal.py prints fresh values).
_DIRECT_SECONDS_PER_MAC = 6.2e-11
_DIRECT_OVERHEAD = 2.1e-05
_FFT_SECONDS_PER_NLOGN = 5.9e-10
_FFT_OVERHEAD = 3.3e-05
# Below this many multiply-adds the direct method beats any FFT (the model's FFT overhead
# alone costs more): "auto" then takes the compiled fast path without consulting it.
_AUTO_DIRECT_MAX_MACS = int((_FFT_OVERHEAD - _DIRECT_OVERHEAD) / _DIRECT_SECONDS_PER_MAC)


def _window(n, m, mode, correlate=False):
    """Offset into the full result and length, NumPy's rule for each mode.

    ``numpy.correlate`` swaps its operands when ``v`` is longer, centres the swapped
    result, and reverses it: for an even ``len(a)`` its ``same`` window then starts one
    sample later than ``numpy.convolve``'s.
    """
    long_len, short = max(n, m), min(n, m)
    if mode == "full":
        return 0, long_len + short - 1
    if mode == "same":
        if correlate and m > n:
            return short // 2, long_len
        return (short - 1) // 2, long_len
    return short - 1, long_len - short + 1


def _direct_work(n, m, lanes=1, complex_input=False):
    """Multiply-adds of the direct method (complex: four real ones each)."""
    return (4 if complex_input else 1) * lanes * n * m


def _fft_work(n, m, lanes=1, complex_input=False):
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


def choose_method(n, m, lanes=1, complex_input=False):
    """``"direct"`` or ``"fft"``: the faster method predicted for a full convolution of
    ``lanes`` signals of ``n`` samples with ``m`` taps.

    The model is ``t_direct = MACs * c_d + o_d`` against
    ``t_fft = (sum of B log2 B over its transforms) * c_f + o_f``, with the constants
    measured by ``benchmarks/calibrate_signal.py``.

    Examples
    --------
    >>> from cconv1d.signal import choose_method
    >>> choose_method(1000, 7), choose_method(1_000_000, 3001)
    ('direct', 'fft')
    """
    direct = (_direct_work(n, m, lanes, complex_input) * _DIRECT_SECONDS_PER_MAC
              + _DIRECT_OVERHEAD)
    if direct <= _FFT_OVERHEAD:   # cheaper than any FFT could be: skip the FFT model
        return "direct"
    fft = _fft_work(n, m, lanes, complex_input) * _FFT_SECONDS_PER_NLOGN + _FFT_OVERHEAD
    return "direct" if direct <= fft else "fft"


# The kernel's "no bias" argument, per dtype.char: made once, never written.
_NO_BIAS = {"f": np.empty(0, dtype=np.float32), "d": np.empty(0, dtype=np.float64)}


def _direct(lanes_a, v, offset, length):
    """``full[offset : offset + length]`` of each row of ``lanes_a`` convolved with v,
    real arrays, through the conv1d kernel (flip = true convolution)."""
    lanes, n = lanes_a.shape
    m = v.shape[0]
    if m > n:
        # The kernel is the longer operand: slide each (shorter) lane over v instead,
        # one depthwise group per lane ((n+m-1)*n multiply-adds, not (n+m-1)*m).
        signal = np.ascontiguousarray(np.broadcast_to(v, (lanes, m)))[None]
        y = np.empty((1, lanes, length), dtype=lanes_a.dtype)
        FORWARD[lanes_a.dtype.char](signal, lanes_a.reshape(lanes, 1, n),
                                    _NO_BIAS[lanes_a.dtype.char], y, n - 1 - offset,
                                    max(offset + length - m, 0), _modes.CONSTANT, 0.0,
                                    1, 1, lanes, True, _threads.get_num_threads())
        return y.reshape(lanes, length)
    # y[j] = full[j + m - 1 - left]; offset <= min(n, m) - 1, so left >= 0.
    left = m - 1 - offset
    right = max(offset + length - n, 0)
    y = np.empty((lanes, 1, length), dtype=lanes_a.dtype)
    FORWARD[lanes_a.dtype.char](lanes_a.reshape(lanes, 1, n), v.reshape(1, 1, m),
                                _NO_BIAS[lanes_a.dtype.char], y, left, right,
                                _modes.CONSTANT, 0.0, 1, 1, 1, True,
                                _threads.get_num_threads())
    return y.reshape(lanes, length)


def _direct_any(lanes_a, v, offset, length, real_dtype):
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
    return (ar_vr - ai_vi) + 1j * (ar_vi + ai_vr)


def _signal_array(a, mode, method):
    """``a`` as an array (a scalar as one sample, as NumPy), ``mode`` and ``method``
    checked: the shared start of every signal function."""
    aa = _validation.as_array(a, "a")
    if not isinstance(mode, str) or mode not in _MODES:
        raise ValueError(f"mode must be one of {_MODES}, got {mode!r}")
    if not isinstance(method, str) or method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, got {method!r}")
    return aa.reshape(1) if aa.ndim == 0 else aa


def _convolve(a, v, mode, axis, method, what, conj_reverse=False):
    aa = _signal_array(a, mode, method)
    va = _validation.as_array(v, "v")
    if va.ndim == 0:
        va = va.reshape(1)
    if va.ndim != 1:
        raise ValueError(f"v must be 1-D, got an array of shape {va.shape}")
    axis = _validation.as_int(axis, "axis")
    if not -aa.ndim <= axis < aa.ndim:
        raise ValueError(f"axis {axis} is out of bounds for a with {aa.ndim} dimension(s)")
    dtype = _validation.result_dtype([aa, va], ["a", "v"], what, allow_complex=True)
    n, m = aa.shape[axis], va.shape[0]
    if n == 0:
        raise ValueError("a cannot be empty")
    if m == 0:
        raise ValueError("v cannot be empty")
    offset, length = _window(n, m, mode, correlate=conj_reverse)
    if aa.ndim == 1:   # one signal, the common case: no axis to move
        lead, lanes = (), 1
        lanes_a = _validation.contiguous(aa, dtype).reshape(1, n)
    else:
        moved = np.moveaxis(aa, axis, -1)
        lead = moved.shape[:-1]
        lanes = int(np.prod(lead, dtype=np.int64))
        _validation.check_size(lanes * (n + m - 1), "result")
        if lanes == 0:   # no lanes along the other axes: an empty result of that shape
            return np.moveaxis(np.empty(lead + (length,), dtype=dtype), -1, axis)
        lanes_a = _validation.contiguous(moved, dtype).reshape(lanes, n)
    vc = _validation.contiguous(va, dtype)
    if conj_reverse:
        vc = np.ascontiguousarray(np.conj(vc[::-1]) if dtype.kind == "c" else vc[::-1])
    if method == "auto":
        method = choose_method(n, m, lanes, dtype.kind == "c")
        if method == "fft" and not (np.isfinite(lanes_a).all() and np.isfinite(vc).all()):
            # An FFT spreads one NaN or inf over every output; the direct sum keeps it
            # where NumPy does.
            method = "direct"
    real_dtype = np.dtype(np.float32 if dtype in (np.float32, np.complex64) else np.float64)
    if method == "direct":
        result = _direct_any(lanes_a, vc, offset, length, real_dtype)
    else:
        result = _fft.full_convolution(lanes_a, vc, _threads.get_num_threads())
        result = result[:, offset:offset + length]
    result = np.ascontiguousarray(result, dtype=dtype).reshape(lead + (length,))
    return np.moveaxis(result, -1, axis) if axis not in (-1, aa.ndim - 1) else result


def convolve(a, v, mode="full", *, axis=-1, method="auto"):
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
        ``fft``: a single FFT, or overlap-add when one operand is much shorter;
        ``auto``: the one :func:`cconv1d.signal.choose_method` predicts faster, except that input
        holding NaN or inf always goes direct, so non-finite values reach exactly
        the outputs they reach in :func:`numpy.convolve` (an FFT spreads them over
        every output).

    Returns
    -------
    numpy.ndarray
        The result, dtype ``np.result_type(a, v)`` promoted as in API.md section 1
        (integers and bool give float64, unlike :func:`numpy.convolve`; the values
        agree). Complex input is supported.

    Raises
    ------
    ValueError
        Empty ``a`` or ``v``, ``v`` not 1-D, unknown ``mode`` or ``method``, bad ``axis``.
    TypeError
        Object, string or other unsupported dtypes.

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
    """
    y = signal_direct(a, v, mode, axis, method, False, _AUTO_DIRECT_MAX_MACS,
                      _threads.get_num_threads())
    return _convolve(a, v, mode, axis, method, "convolve") if y is None else y


def correlate(a, v, mode="valid", *, axis=-1, method="auto"):
    """Cross-correlation, as :func:`numpy.correlate`, along an axis.

    ``c[k] = sum_n a[n + k] * conj(v[n])``, with NumPy's lengths, offsets and swap when
    ``v`` is longer than ``a``. Parameters, returns and errors as :func:`convolve`
    (whose result for ``conj(v[::-1])`` this is); the default mode is ``"valid"``, as
    in NumPy.

    Examples
    --------
    >>> import cconv1d as cc
    >>> cc.correlate([1.0, 2.0, 3.0], [0.0, 1.0, 0.5])
    array([3.5])
    >>> cc.correlate([1.0, 2.0, 3.0], [0.0, 1.0, 0.5], "full")
    array([0.5, 2. , 3.5, 3. , 0. ])
    >>> cc.correlate([1j, 2.0], [1j], "full")
    array([1.+0.j, 0.-2.j])
    """
    y = signal_direct(a, v, mode, axis, method, True, _AUTO_DIRECT_MAX_MACS,
                      _threads.get_num_threads())
    if y is None:
        return _convolve(a, v, mode, axis, method, "correlate", conj_reverse=True)
    return y


def autocorrelate(a, mode="full", *, axis=-1, method="auto"):
    """Autocorrelation: ``correlate(a, a, mode)`` of every lane along ``axis``.

    ``c[k] = sum_n a[n + k] * conj(a[n])``; in the ``full`` result (length ``2n - 1``)
    lag 0 is in the middle. Parameters, returns and errors as :func:`correlate`.
    For an N-D ``a`` each lane is correlated with itself, all lanes in one kernel call
    (a grouped convolution) or one batched FFT.

    Examples
    --------
    >>> import cconv1d as cc
    >>> cc.autocorrelate([1.0, 2.0, 3.0])
    array([ 3.,  8., 14.,  8.,  3.])
    >>> cc.autocorrelate([[1.0, 2.0], [1.0, -1.0]], "same")
    array([[ 2.,  5.],
           [-1.,  2.]])
    """
    aa = _signal_array(a, mode, method)
    axis = _validation.as_int(axis, "axis")
    if not -aa.ndim <= axis < aa.ndim:
        raise ValueError(f"axis {axis} is out of bounds for a with {aa.ndim} dimension(s)")
    dtype = _validation.compute_dtype(aa.dtype, "a", "autocorrelate", allow_complex=True)
    n = aa.shape[axis]
    if n == 0:
        raise ValueError("a cannot be empty")
    offset, length = _window(n, n, mode)
    moved = np.moveaxis(aa, axis, -1)
    lead = moved.shape[:-1]
    lanes = int(np.prod(lead, dtype=np.int64)) if lead else 1
    _validation.check_size(lanes * (2 * n - 1), "result")
    rows = _validation.contiguous(moved, dtype).reshape(lanes, n)
    if lanes == 0:
        return np.moveaxis(np.empty(lead + (length,), dtype), -1, axis)
    if method == "auto":
        method = choose_method(n, n, lanes, dtype.kind == "c")
        if method == "fft" and not np.isfinite(rows).all():
            method = "direct"
    if method == "fft":
        size = _fft.next_fast_len(2 * n - 1)
        spectrum = np.fft.fft(rows, n=size, axis=-1)
        power = np.fft.ifft(spectrum * np.conj(spectrum), axis=-1)
        if dtype.kind != "c":
            power = power.real
        # Lags -(n-1) .. (n-1) sit at the end and the start of the circular result.
        full = np.concatenate([power[:, size - (n - 1):], power[:, :n]], axis=-1)
        result = full[:, offset:offset + length]
    elif dtype.kind == "c":
        result = np.stack([_direct_any(row[None], np.conj(row[::-1]), offset, length,
                                       np.dtype(np.float32 if dtype == np.complex64
                                                else np.float64))[0] for row in rows])
    else:
        # Each lane is its own kernel: a depthwise (grouped) correlation, one call.
        left = n - 1 - offset
        right = length - 1 - left
        y = np.empty((1, lanes, length), dtype=dtype)
        FORWARD[dtype.char](rows[None], rows[:, None, :], np.empty(0, dtype), y, left,
                       max(right, 0), _modes.CONSTANT, 0.0, 1, 1, lanes, False,
                       _threads.get_num_threads())
        result = y[0]
    result = np.ascontiguousarray(result, dtype=dtype).reshape(lead + (length,))
    return np.moveaxis(result, -1, axis)
