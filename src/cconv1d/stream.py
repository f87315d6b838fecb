"""Streaming: FIR filtering with SciPy's state (``fir_filter``) and causal ``conv1d`` one
chunk at a time (``conv1d_stream``).

Both carry state between calls so that feeding a signal in chunks of any sizes gives
the one-shot result. ``fir_filter``'s state is exactly :func:`scipy.signal.lfilter`'s
``zi``/``zf`` for ``a = [1.0]``: the part of the future outputs already determined by
the inputs seen, i.e. the overlap-add tail of the convolution. A chunk therefore costs
one linear convolution of the chunk with the filter, plus the tail added on.

A plain 1-D float chunk is one compiled call (``_stream.fir_chunk``): direct sums for
short filters, or our own FFT (``cc_fft.h``), whose filter spectra are cached between
calls: the filter cut into partitions, two partitions per spectrum, so a 256-sample
chunk through 511 taps is one forward and one inverse transform of 512 points. Signals
longer than ``_stream.BLOCK_MAX`` are routed here by the two routes' models: the row
kernels of ``signal`` (threaded) or the FFT. N-D, complex and strided input takes the
general path below, with the same FFT for real dtypes.

Why the state is SciPy's, not a frequency-domain delay line (the spectra of past input
blocks, as a uniformly partitioned overlap-save keeps): ``zf`` must be SciPy's state, and
producing it from a delay line takes an inverse transform per future block. The chunk's
full convolution, tail included, is what the transforms compute anyway, so SciPy's state
costs nothing extra.
"""

from __future__ import annotations

from typing import Any, TypeAlias, overload

import numpy as np
import numpy.typing as npt
from numpy.typing import NDArray

from cconv1d import _fft, _forward, _spec, _threads
from cconv1d import signal as _signal
from cconv1d._stream import BLOCK_MAX, DIRECT_TAPS, fft_full, fft_seconds, fir_chunk
from cconv1d._typing import FloatArray, InexactArray, Method
from cconv1d.functional import conv1d

__all__ = ["conv1d_stream", "fir_filter"]

_METHODS = ("auto", "direct", "fft")

_Array: TypeAlias = NDArray[Any]


def _fft_is_faster(n: int, m: int, lanes: int, dtype: np.dtype[Any]) -> bool:
    """Whether our FFT route (``_stream``'s model) beats the row kernels (``signal``'s
    model, of this dtype), both without the fixed cost of a call, which is paid either
    way. Filters shorter than ``DIRECT_TAPS`` always sum directly (as fir_chunk does)."""
    return m >= DIRECT_TAPS and fft_seconds(n, m, lanes) * _signal._engine_factor() < (
        _signal._direct_seconds(n, m, lanes, False, dtype) - _signal._DIRECT_OVERHEAD)


def _full_convolution(rows: _Array, h: _Array, method: str, dtype: np.dtype[Any],
                      state: _Array | None) -> _Array:
    """Full linear convolution of each row (lanes, n >= 1) with ``h`` (m,), plus
    ``state`` (lanes, m - 1) on its first samples when given."""
    lanes, n = rows.shape
    m = h.shape[0]
    complex_input = dtype.kind == "c"
    if method == "auto":
        if complex_input:
            method = _signal.choose_method(n, m, lanes, complex_input, dtype)
        else:
            method = "fft" if _fft_is_faster(n, m, lanes, dtype) else "direct"
        if method == "fft" and not (_signal._finite(rows) and _signal._finite(h)):
            method = "direct"   # an FFT spreads NaN and inf over every output
    if method == "fft" and not complex_input:
        # Our own transform (cc_fft.h): the filter's spectra are kept between calls.
        full = np.zeros((lanes, n + m - 1), dtype=dtype)
        fft_full(h, rows, full, _threads.get_num_threads())
    elif method == "fft":
        full = np.asarray(_fft.full_convolution(rows, h, _threads.get_num_threads()),
                          dtype=dtype)
    else:
        real_dtype = np.dtype(np.float32 if dtype in (np.float32, np.complex64)
                              else np.float64)
        full = np.asarray(_signal._direct_any(rows, h, 0, n + m - 1, real_dtype),
                          dtype=dtype)
    if state is not None and m > 1:
        full[:, :m - 1] += state.astype(dtype, copy=False)
    return full


@overload
def fir_filter(h: npt.ArrayLike, x: npt.ArrayLike, *, axis: int = -1, zi: None = None,
               method: Method = "auto") -> InexactArray: ...
@overload
def fir_filter(h: npt.ArrayLike, x: npt.ArrayLike, *, axis: int = -1, zi: npt.ArrayLike,
               method: Method = "auto") -> tuple[InexactArray, InexactArray]: ...


def fir_filter(h: npt.ArrayLike, x: npt.ArrayLike, *, axis: int = -1,
               zi: npt.ArrayLike | None = None, method: Method = "auto"
               ) -> InexactArray | tuple[InexactArray, InexactArray]:
    """Causal FIR filter ``y[n] = sum_k h[k] x[n - k]`` along an axis, with state.

    The values, shapes and dtypes of ``scipy.signal.lfilter(h, [1.0], x, axis=axis,
    zi=zi)``; ``zi``/``zf`` mean exactly what they mean there, so state passes freely
    between the two. Feeding a signal in chunks of any sizes (0 and 1 included) and
    passing each ``zf`` on as the next ``zi`` gives the one-shot result.

    Parameters
    ----------
    h : array_like
        1-D filter taps (numerator coefficients), at least one.
    x : array_like
        Signal(s), at least 1-D; filtered along ``axis`` (length >= 0).
    axis : int, optional
        Axis of ``x`` to filter along.
    zi : array_like, optional
        Initial state, of ``x``'s shape with ``len(h) - 1`` along ``axis`` (dimensions
        of size 1 broadcast, as in SciPy). ``None``: zero state, and only ``y`` is
        returned.
    method : {"auto", "direct", "fft"}, optional
        How the chunk is convolved with ``h``: ``direct`` sums (O(len(h)) per sample),
        ``fft`` (our own transform with the filter's spectra cached between calls,
        about O(log len(h)) per sample), ``auto`` the one predicted faster: always
        direct for filters of fewer than 32 taps (as fast there, and exact where
        lfilter is, e.g. on small integers) and for a chunk with NaN or inf (which keeps
        the NaN where ``lfilter`` has it; an FFT spreads it over the chunk).

    Returns
    -------
    y : numpy.ndarray
        Same shape as ``x``; dtype ``np.result_type(h, x, zi)`` (integers and bool give
        float64; float32 stays float32, complex is kept). That is ``lfilter``'s dtype
        when its ``a`` has ``h``'s dtype; ``lfilter(h, [1.0], x)`` itself promotes
        float32 to float64 through the float64 list ``[1.0]``.
    zf : numpy.ndarray
        Only when ``zi`` is given: the final state, shaped like ``zi``. (Two overloads
        tell type checkers the same: an array without ``zi``, the pair ``(y, zf)`` with
        it.)

    Raises
    ------
    ValueError
        ``h`` empty or not 1-D, ``x`` 0-D, ``zi`` of the wrong shape, bad ``axis`` or
        ``method``.
    TypeError
        Unsupported dtypes.

    Notes
    -----
    With ``c = convolve(x_chunk, h)`` (length ``n + len(h) - 1``) and ``zi`` added onto
    its first ``len(h) - 1`` samples, ``y = c[:n]`` and ``zf = c[n:]``: the state is
    the overlap-add tail. A chunk costs one convolution of ``n + len(h) - 1`` outputs,
    whichever method computes it.

    Examples
    --------
    >>> import numpy as np, cconv1d as cc
    >>> h = [0.5, 0.25, 0.25]
    >>> x = np.arange(6.0)
    >>> cc.fir_filter(h, x)
    array([0.  , 0.5 , 1.25, 2.25, 3.25, 4.25])
    >>> zi = np.zeros(2)
    >>> y1, zi = cc.fir_filter(h, x[:4], zi=zi)
    >>> y2, zi = cc.fir_filter(h, x[4:], zi=zi)
    >>> np.concatenate([y1, y2])
    array([0.  , 0.5 , 1.25, 2.25, 3.25, 4.25])
    >>> zi
    array([2.25, 1.25])
    """
    # One plain 1-D float chunk with finite taps: one compiled call, by the FFT route or
    # the direct block kernel (fir_chunk declines anything else, which the general path
    # validates). Long signals' direct sums go the general way (the row kernels,
    # threaded); auto weighs them against the FFT here.
    fast = fir_chunk(h, x, zi, axis, method)
    if (fast is None and method == "auto" and type(x) is np.ndarray and x.ndim == 1
            and x.shape[0] > BLOCK_MAX and type(h) is np.ndarray and h.ndim == 1
            and h.shape[0] > 1 and _fft_is_faster(x.shape[0], h.shape[0], 1, x.dtype)):
        fast = fir_chunk(h, x, zi, axis, "fft-unless-nonfinite")
    if fast is not None:
        return fast[0] if zi is None else fast
    hh = _spec.as_array(h, "h")
    if hh.ndim != 1 or hh.shape[0] == 0:
        raise ValueError(f"h must be a 1-D array with at least one tap, got shape "
                         f"{hh.shape}")
    xx = _spec.as_array(x, "x")
    if xx.ndim == 0:
        raise ValueError("x must be at least 1-D, got a 0-d array")
    if not isinstance(method, str) or method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, got {method!r}")
    axis = _spec.as_int(axis, "axis")
    if not -xx.ndim <= axis < xx.ndim:
        raise ValueError(f"axis {axis} is out of bounds for x with {xx.ndim} dimension(s)")
    axis %= xx.ndim
    m = hh.shape[0]
    state_shape = xx.shape[:axis] + (m - 1,) + xx.shape[axis + 1:]
    arrays, names = [hh, xx], ["h", "x"]
    if zi is not None:
        zz = _spec.as_array(zi, "zi")
        if zz.shape != state_shape:
            try:
                if zz.ndim != xx.ndim or zz.shape[axis] != m - 1:
                    raise ValueError
                zz = np.broadcast_to(zz, state_shape)
            except ValueError:
                raise ValueError(f"zi must have shape {state_shape} (x's shape with "
                                 f"len(h) - 1 = {m - 1} along axis {axis}), got "
                                 f"{zz.shape}") from None
        arrays.append(zz)
        names.append("zi")
    dtype = _spec.result_dtype(arrays, names, "fir_filter", allow_complex=True)
    n = xx.shape[axis]
    moved = np.moveaxis(xx, axis, -1)
    lead = moved.shape[:-1]
    lanes = int(np.prod(lead, dtype=np.int64)) if lead else 1
    _spec.check_size(lanes * (n + m - 1), "result")
    rows = _spec.contiguous(moved, dtype).reshape(lanes, n)
    hc = _spec.contiguous(hh, dtype)
    state = (np.moveaxis(zz, axis, -1).reshape(lanes, m - 1) if zi is not None
             else None)
    if n > 0 and lanes > 0:
        full = _full_convolution(rows, hc, method, dtype, state)
    else:
        full = np.zeros((lanes, n + m - 1), dtype=dtype)
        if state is not None and m > 1:
            full[:, :m - 1] += state.astype(dtype, copy=False)
    # A view of the first n samples (no copy of a long one-shot result).
    y = np.moveaxis(full[:, :n].reshape(lead + (n,)), -1, axis)
    if zi is None:
        return y
    zf = np.ascontiguousarray(full[:, n:]).reshape(lead + (m - 1,))
    return y, np.moveaxis(zf, -1, axis)


def conv1d_stream(x: npt.ArrayLike, weight: npt.ArrayLike,
                  bias: npt.ArrayLike | None = None, *,
                  state: npt.ArrayLike | None = None, dilation: int = 1,
                  groups: int = 1) -> tuple[FloatArray, FloatArray]:
    """Causal :func:`cconv1d.conv1d` (stride 1) of one chunk of a stream, given the
    input samples carried over from the previous chunks.

    Parameters
    ----------
    x : array_like
        ``(N, C_in, T)`` or ``(C_in, T)``, ``T >= 0``: the next chunk.
    weight, bias, dilation, groups
        As for :func:`cconv1d.conv1d`.
    state : array_like, optional
        ``(N, C_in, dilation*(K-1))`` (or ``(C_in, dilation*(K-1))`` for unbatched
        ``x``): the last input samples seen; zeros (the causal padding) when ``None``.

    Returns
    -------
    y : numpy.ndarray
        ``(N, C_out, T)`` (or ``(C_out, T)``).
    state : numpy.ndarray
        The new state: the last ``dilation*(K-1)`` samples of the carried state followed
        by ``x``. Pass it to the next call.

    Raises
    ------
    ValueError
        Shapes that do not match (``state`` names the expected shape), ``x`` not 2-D or
        3-D, and everything :func:`cconv1d.conv1d` refuses.
    TypeError
        Complex or other unsupported dtypes.

    Notes
    -----
    Concatenating the outputs of consecutive chunks equals
    ``conv1d(x_all, weight, bias, padding="causal", dilation=dilation, groups=groups)``.
    The chunk is one call of the ``conv1d`` kernels in which the state takes the place
    of the causal zero padding: they read it where it is, as they read a padding
    mode's samples, so neither the state nor the chunk is concatenated and the
    outputs are written once (a chunk of 64 samples through a 64-channel K=3 layer:
    19 us, half the time of the two calls and concatenations this took before).
    The result dtype follows :func:`cconv1d.conv1d` (float32 stays float32).

    Examples
    --------
    >>> import numpy as np, cconv1d as cc
    >>> w = np.array([[[1.0, 2.0, 3.0]]])          # (C_out, C_in, K)
    >>> x = np.arange(5.0).reshape(1, 5)           # (C_in, T), unbatched
    >>> y1, s = cc.conv1d_stream(x[:, :2], w)
    >>> y2, s = cc.conv1d_stream(x[:, 2:], w, state=s)
    >>> np.concatenate([y1, y2], axis=-1)
    array([[ 0.,  3.,  8., 14., 20.]])
    >>> cc.conv1d(x, w, padding="causal")
    array([[ 0.,  3.,  8., 14., 20.]])
    >>> s                                            # the last (K-1) samples
    array([[3., 4.]])
    """
    xx = _spec.as_array(x, "x")
    if xx.ndim not in (2, 3):
        raise ValueError(f"x must be (N, C_in, T) or (C_in, T), got shape {xx.shape}")
    ww = _spec.as_array(weight, "weight")
    if ww.ndim != 3:
        raise ValueError(f"weight must be (C_out, C_in // groups, K), got shape {ww.shape}")
    dilation = _spec.one_int(dilation, "dilation", minimum=1)
    groups = _spec.as_int(groups, "groups", minimum=1)
    span = dilation * (ww.shape[2] - 1)
    batched = xx.ndim == 3
    xb = xx if batched else xx[None]
    n_batch, c_in, length = xb.shape
    state_shape = (n_batch, c_in, span)
    arrays, names = [xb, ww], ["x", "weight"]
    if state is None:
        held = None
    else:
        held = _spec.as_array(state, "state")
        # unbatched x takes a 2-D state only (a (1, C_in, span) one was let through)
        wrong_rank = held.ndim != (3 if batched else 2)
        held = held if batched or wrong_rank else held[None]
        if wrong_rank or held.shape != state_shape:
            want = state_shape if batched else state_shape[1:]
            raise ValueError(f"state must have shape {want} (x's batch and channels, "
                             f"dilation*(K-1) = {span} samples), got "
                             f"{np.shape(state)}")
        arrays.append(held)
        names.append("state")
    bias_arr = None
    if bias is not None:
        bias_arr = _spec.as_array(bias, "bias")
        arrays.append(bias_arr)
        names.append("bias")
    dtype = _spec.result_dtype(arrays, names, "conv1d_stream", allow_complex=False)
    if held is None:
        held = np.zeros(state_shape, dtype=dtype)
    else:
        held = held.astype(dtype, copy=False)
    xb = xb.astype(dtype, copy=False)
    head = min(length, span)
    c_out, c_per_group = ww.shape[0], ww.shape[1]
    if (length > 0 and n_batch > 0 and c_in > 0 and c_out > 0 and ww.shape[2] > 0
            and c_in == c_per_group * groups and c_out % groups == 0
            and (bias_arr is None or bias_arr.shape == (c_out,))):
        # One kernel call: the state is the chunk's left padding, read where it is.
        # (Anything else goes the way below, whose conv1d calls explain bad arguments.)
        y = np.empty((n_batch, c_out, length), dtype=dtype)
        _forward.conv1d_stream_forward(
            _spec.contiguous(xb, dtype), _spec.contiguous(ww, dtype),
            _spec.contiguous(bias_arr, dtype) if bias_arr is not None
            else np.empty(0, dtype), _spec.contiguous(held, dtype), y, dilation, groups, 0)
    elif length == 0:
        # An empty chunk: conv1d refuses an empty output, so check the shapes with one
        # zero-state sample and return nothing.
        probe = conv1d(np.zeros((n_batch, c_in, span + 1), dtype), ww, bias,
                       dilation=dilation, groups=groups)
        y = probe[:, :, :0]
        new_state = np.array(held, dtype=dtype, copy=True)
    else:
        parts = []
        if head > 0:
            # The first `head` outputs read the state: a buffer of span + head samples.
            buffer = np.concatenate([held, xb[:, :, :head]], axis=-1)
            parts.append(conv1d(buffer, ww, bias, dilation=dilation, groups=groups))
        if length > span:
            # valid: outputs span ..
            parts.append(conv1d(xb, ww, bias, dilation=dilation, groups=groups))
        y = parts[0] if len(parts) == 1 else np.concatenate(parts, axis=-1)
    if length > 0:
        if length >= span:
            new_state = np.array(xb[:, :, length - span:], dtype=dtype, copy=True)
        else:
            new_state = np.concatenate([held[:, :, length:], xb], axis=-1)
    if not batched:
        return y[0], new_state[0]
    return y, new_state
