"""Convolution of chunked Dask arrays, for signals larger than memory.

``import cconv1d`` never imports dask; importing this module does, and raises
``ImportError`` with an install hint (``pip install cconv1d[dask]``) when it is missing.

How it works. Every function is a sliding window over a padded signal: output ``j``
reads the padded samples ``[j*stride, j*stride + span)``. The padding of the array's
own two ends is built lazily from the samples it needs (the first or last few
samples, or a statistic of the whole lane), never from a copy of the signal. The
output is cut into chunks along the length; for each output chunk the matching slice
of the padded input, halo included, becomes one task that calls the in-memory function
(:func:`cconv1d.conv1d`, :func:`cconv1d.convolve`), so results equal the in-memory
ones exactly, stride phase included. A halo larger than a chunk is simply read from the
neighbouring chunks; chunks smaller than the halo are rechunked first, with a warning,
because they would make every task read many chunks.

Threads or processes. The kernels release the GIL, so Dask's default threaded
scheduler runs chunks in parallel on one machine; give cconv1d one thread per task
(``cc.set_num_threads(1)``) when Dask already runs one task per core. Use processes
(``dask.distributed``) to spread work over machines, or when other, GIL-holding Python
code runs in the same graph.

Examples
--------
>>> import numpy as np, dask.array as da, cconv1d as cc
>>> from cconv1d import dask as ccd
>>> a = da.from_array(np.arange(10.0), chunks=3)
>>> ccd.convolve(a, [1.0, 1.0, 1.0], mode="valid").compute()
array([ 3.,  6.,  9., 12., 15., 18., 21., 24.])
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any

try:
    import dask.array as da
except ImportError as exc:  # pragma: no cover - exercised only without dask
    raise ImportError("cconv1d.dask needs Dask, which is not installed: "
                      "pip install cconv1d[dask]  (or: pip install 'dask[array]')") from exc

import numpy as np
from numpy.typing import NDArray

import cconv1d as cc
from cconv1d import _spec
from cconv1d import functional as _functional
from cconv1d._typing import (ArrayLike, Lags, Method, NanPolicy, Normalize, Padding, PadMode,
                             SignalMode)
from cconv1d.signal import choose_method

__all__ = ["convolve", "correlate", "conv1d"]


def _as_dask(a: Any, name: str) -> da.Array:
    if not isinstance(a, da.Array):
        return da.from_array(np.asarray(a), chunks="auto")
    unknown = [axis for axis, sizes in enumerate(a.chunks)
               if any(math.isnan(size) for size in sizes)]
    if unknown:
        # Checked before any graph is built: the halo and output arithmetic needs every
        # chunk's length, and computing them here would run the user's graph unasked.
        raise ValueError(
            f"{name}: chunk sizes along axis {unknown[0]} are unknown (shape {a.shape}), "
            f"as after boolean indexing such as a[a > 0]; call "
            f"{name} = {name}.compute_chunk_sizes() first")
    return a


def _rechunk_for_halo(a: da.Array, halo: int, stacklevel: int) -> da.Array:
    """Rechunk the last axis so every chunk but the last holds at least ``halo`` samples."""
    chunks = a.chunks[-1]
    if halo <= 0 or len(chunks) <= 1 or min(chunks[:-1]) >= halo:
        return a
    size = max(halo, max(chunks))
    warnings.warn(f"chunks of {min(chunks[:-1])} samples along the length axis are "
                  f"smaller than the kernel's halo of {halo} samples; rechunking to "
                  f"{size}-sample chunks", UserWarning, stacklevel=stacklevel)
    return a.rechunk({a.ndim - 1: size})


def _side_pad(a: da.Array, left: int, right: int, mode: PadMode, value: float,
              end_values: Any) -> list[da.Array | None]:
    """Lazy ``(left_pad, right_pad)`` blocks of ``cc.pad(a, (left, right), mode)``,
    computed from the samples each side needs."""
    length = a.shape[-1]
    code = _spec.lookup(mode)[1]
    lead = a.shape[:-1]
    dtype = a.dtype
    pieces: list[da.Array | None] = []
    for side, width in (("left", left), ("right", right)):
        if width == 0:
            pieces.append(None)
            continue
        if code == _spec.CONSTANT:
            fill = 0.0 if mode in _spec.ZEROS else value
            pieces.append(da.full(lead + (width,), fill, dtype=dtype,
                                  chunks=a.chunks[:-1] + (width,)))
            continue
        if code in _spec.STATISTIC:
            reduce = {_spec.MEAN: da.mean, _spec.MINIMUM: da.min,
                      _spec.MAXIMUM: da.max, _spec.MEDIAN: da.median}[code]
            if code == _spec.MEDIAN:
                # The median needs each whole lane in one chunk: memory grows with L here.
                stat = da.median(a.rechunk({a.ndim - 1: -1}), axis=-1)
            elif code == _spec.MEAN:
                stat = da.mean(a, axis=-1, dtype=np.float64)   # summed as cc.pad does
            else:
                stat = reduce(a, axis=-1)
            # NaN propagation as numpy: min/max/mean propagate, so does median.
            pieces.append(da.broadcast_to(stat[..., None].astype(dtype), lead + (width,),
                                          chunks=a.chunks[:-1] + (width,)))
            continue
        # Samples a side needs: enough to reflect `width` deep (the whole lane if shorter);
        # wrap takes them from the other end.
        need = min(length, width + 1)
        take_tail = (side == "left") == (code == _spec.WRAP)
        part = a[..., length - need:] if take_tail else a[..., :need]
        part = part.rechunk({a.ndim - 1: -1})
        widths = (width, 0) if side == "left" else (0, width)

        def block_pad(block: NDArray[Any], widths: tuple[int, int] = widths, side: str = side,
                      width: int = width) -> NDArray[Any]:
            padded = cc.pad(block, widths, mode, value=value, end_values=end_values)
            return padded[..., :width] if side == "left" else padded[..., -width:]
        pieces.append(part.map_blocks(block_pad, dtype=dtype,
                                      chunks=part.chunks[:-1] + ((width,),)))
    return pieces


def _output_chunks(input_chunks: Sequence[int], stride: int,
                   total: int) -> tuple[int, ...]:
    """Output chunk sizes along the length: about one input chunk's worth each."""
    size = max(1, max(input_chunks) // stride)
    chunks = [size] * (total // size)
    if total % size:
        chunks.append(total % size)
    return tuple(chunks)


def _sliding(padded: da.Array, span: int, stride: int, l_out: int,
             fn: Callable[..., Any], out_lead_chunks: Any, out_dtype: Any) -> da.Array:
    """Apply ``fn`` to the windows of ``padded`` (length axis last) feeding each output
    chunk: the result's chunk ``[j0, j1)`` is ``fn(padded[..., j0*s : (j1-1)*s + span])``."""
    parts = []
    j0 = 0
    for size in _output_chunks(padded.chunks[-1], stride, l_out):
        j1 = j0 + size
        piece = padded[..., j0 * stride:(j1 - 1) * stride + span]
        piece = piece.rechunk({padded.ndim - 1: -1})
        parts.append(piece.map_blocks(fn, dtype=out_dtype,
                                      chunks=out_lead_chunks(piece) + ((size,),)))
        j0 = j1
    return da.concatenate(parts, axis=-1)


def _signal(a: Any, v: ArrayLike, mode: SignalMode, axis: int, method: Method,
            reverse_conj: bool) -> da.Array:
    a = _as_dask(a, "a")
    if a.ndim == 0:   # as numpy.convolve: a scalar is a one-sample signal
        a = a.reshape(1)
    if not isinstance(method, str) or method not in ("auto", "direct", "fft"):
        # Checked here, not in the tasks: on a cluster the error would surface on a worker.
        raise ValueError(f"method must be one of ('auto', 'direct', 'fft'), got {method!r}")
    va = np.asarray(v)
    if va.ndim != 1:
        raise ValueError(f"v must be 1-D, got an array of shape {va.shape}")
    if not isinstance(mode, str) or mode not in ("full", "same", "valid"):
        raise ValueError(f"mode must be one of ('full', 'same', 'valid'), got {mode!r}")
    axis = _spec.as_int(axis, "axis")
    if not -a.ndim <= axis < a.ndim:
        raise ValueError(f"axis {axis} is out of bounds for a with {a.ndim} dimension(s)")
    dtype = _spec.result_dtype([np.empty(0, a.dtype), va], ["a", "v"], "convolve",
                                     allow_complex=True)
    n, m = a.shape[axis], va.shape[0]
    if n == 0:
        raise ValueError("a cannot be empty")
    if m == 0:
        raise ValueError("v cannot be empty")
    kernel = va.astype(dtype)
    if reverse_conj:
        kernel = np.conj(kernel[::-1]) if dtype.kind == "c" else kernel[::-1]
    kernel = np.ascontiguousarray(kernel)
    offset, length = _spec.window(n, m, mode, correlate=reverse_conj)
    moved = da.moveaxis(a, axis, -1).astype(dtype)
    lanes = math.prod(moved.shape[:-1])
    # Decided once, for the whole array as the in-memory call decides it (counting only
    # the outputs the mode keeps): a task deciding for its own chunk would mix methods
    # (and their roundings) across one result.
    chosen = (choose_method(n, m, lanes, dtype.kind == "c", dtype, outputs=length)
              if method == "auto" else method)

    def block_method(chunk: NDArray[Any]) -> Method:
        if method == "auto" and chosen == "fft" and not np.isfinite(chunk).all():
            # As in memory: an FFT would spread a NaN or inf over the whole chunk.
            return "direct"
        return chosen

    if m > n:
        # The kernel is longer than the signal: in memory the two swap roles (the signal
        # slides over the kernel), a summation order that no window of the signal can
        # reproduce. Such a signal is shorter than the in-memory kernel, so each lane
        # goes whole to one task, which makes the in-memory call itself.
        function = cc.correlate if reverse_conj else cc.convolve
        whole = moved.rechunk({moved.ndim - 1: -1})

        def lane_block(chunk: NDArray[Any]) -> NDArray[Any]:
            return function(chunk, va, mode, method=block_method(chunk))
        result = whole.map_blocks(lane_block, dtype=dtype,
                                  chunks=whole.chunks[:-1] + ((length,),))
        return da.moveaxis(result, -1, axis)
    moved = _rechunk_for_halo(moved, m - 1, stacklevel=4)  # user -> convolve -> _signal
    zeros = dict(dtype=dtype, chunks=moved.chunks[:-1] + (m - 1,))
    if m > 1:
        lead = moved.shape[:-1]
        padded = da.concatenate([da.zeros(lead + (m - 1,), **zeros), moved,
                                 da.zeros(lead + (m - 1,), **zeros)], axis=-1)
    else:
        padded = moved
    # full[t] reads padded[t : t + m]; the mode's window starts at `offset`.
    padded = padded[..., offset:offset + length + m - 1]

    def block(chunk: NDArray[Any]) -> NDArray[Any]:
        return cc.convolve(chunk, kernel, mode="valid", method=block_method(chunk))
    result = _sliding(padded, m, 1, length, block, lambda p: p.chunks[:-1], dtype)
    return da.moveaxis(result, -1, axis)


def convolve(a: da.Array | ArrayLike, v: ArrayLike, mode: SignalMode = "full", *,
             axis: int = -1, method: Method = "auto") -> da.Array:
    """Lazy :func:`cconv1d.convolve` of a Dask array along ``axis``.

    Parameters
    ----------
    a : dask.array.Array or array_like
        Signal(s), chunked along ``axis`` (and any other axes).
    v : array_like
        1-D kernel, held in memory.
    mode, axis, method
        As :func:`cconv1d.convolve`. ``"auto"`` is decided once, for the whole array
        (:func:`cconv1d.signal.choose_method` of its length and lane count, as the
        in-memory call decides), and every task uses that method, so one result never
        mixes methods. A task whose chunk holds NaN or inf computes directly when
        ``"auto"`` chose the FFT, as the in-memory call does for the whole array.

    Notes
    -----
    With the direct method every output sample is computed from the same samples in
    the same order as in memory, so the result is meant to be bit-identical to
    ``cc.convolve(a.compute(), ...)`` however ``a`` is chunked. The FFT method rounds
    differently for each transform length, so chunks (which transform their own
    windows) agree with the in-memory result to floating-point tolerance only.

    Returns
    -------
    dask.array.Array
        Lazy; its computed value equals ``cc.convolve(a.compute(), v, mode, axis=axis)``.

    Raises
    ------
    ValueError
        As :func:`cconv1d.convolve`, and when ``a``'s chunk sizes are unknown (NaN, as
        after boolean indexing ``a[a > 0]``): call ``a.compute_chunk_sizes()`` first.
        Nothing is computed to find them, so building the graph stays lazy.

    Examples
    --------
    >>> import numpy as np, dask.array as da
    >>> from cconv1d import dask as ccd
    >>> a = da.from_array(np.ones(7), chunks=2)
    >>> ccd.convolve(a, [1.0, 2.0]).compute()
    array([1., 3., 3., 3., 3., 3., 3., 2.])
    """
    return _signal(a, v, mode, axis, method, reverse_conj=False)


def correlate(a: da.Array | ArrayLike, v: ArrayLike, mode: SignalMode | None = None, *,
              maxlag: int | None = None, lags: Lags | None = None,
              normalize: Normalize | None = None, axis: int = -1, method: Method = "auto",
              nan_policy: NanPolicy = "propagate") -> da.Array:
    """Lazy :func:`cconv1d.correlate` of a Dask array along ``axis`` (see :func:`convolve`).

    ``maxlag``, ``lags``, ``normalize`` and ``nan_policy`` mean what they mean for
    :func:`cconv1d.correlate`. With any of them given, the lags are cut into blocks of
    about one chunk of ``a``; each task correlates the slice of ``a`` that its lags
    overlap (no other sample of ``a`` takes part in those lags, so the overlap counts,
    Pearson's window statistics and ``"omit"``'s valid weights are the whole array's),
    and ``"biased"``/``"coeff"`` divide the raw sums by the whole lane's scale
    afterwards. ``nan_policy="raise"`` raises when the result is computed, from a task
    whose slice holds a NaN, or from the check of the whole lane.

    Examples
    --------
    >>> import numpy as np, dask.array as da
    >>> from cconv1d import dask as ccd
    >>> ccd.correlate(da.arange(6.0, chunks=4), [1.0, -1.0]).compute()
    array([-1., -1., -1., -1., -1.])
    >>> ccd.correlate(da.arange(6.0, chunks=4), [1.0, -1.0], maxlag=1).compute()
    array([ 0., -1., -1.])
    """
    if maxlag is None and lags is None and normalize is None and nan_policy == "propagate":
        return _signal(a, v, "valid" if mode is None else mode, axis, method,
                       reverse_conj=True)
    return _lag_correlate(_as_dask(a, "a"), v, mode, maxlag, lags, normalize, axis, method,
                          nan_policy)


def _lag_correlate(a: da.Array, v: ArrayLike, mode: SignalMode | None, maxlag: int | None,
                   lags: Lags | None, normalize: Normalize | None, axis: int,
                   method: Method, nan_policy: NanPolicy) -> da.Array:
    """``correlate`` with a lag window, normalization or a NaN policy, block by block."""
    if a.ndim == 0:
        a = a.reshape(1)
    va = np.asarray(v)
    axis = _spec.as_int(axis, "axis")
    if not -a.ndim <= axis < a.ndim:
        raise ValueError(f"axis {axis} is out of bounds for a with {a.ndim} dimension(s)")
    n = a.shape[axis]
    if math.isnan(n):
        raise ValueError("a has unknown chunk sizes along axis; call "
                         "a.compute_chunk_sizes() first")
    # Every argument is checked now, by the in-memory call on a one-sample stand-in of
    # a's dtype (which also gives the result dtype), and the lags by correlation_lags.
    dtype = cc.correlate(np.zeros(1, dtype=a.dtype), va, lags=[0], normalize=normalize,
                         method=method, nan_policy=nan_policy).dtype
    if va.ndim != 1 or va.shape[0] == 0 or n == 0:
        cc.correlate(np.zeros(max(n, 1), dtype=a.dtype), va, mode, maxlag=maxlag,
                     lags=lags)  # raises the in-memory error
    m = va.shape[0]
    window = maxlag is not None or lags is not None
    if window and mode is not None:
        cc.correlate(np.zeros(1, dtype=a.dtype), va, mode, maxlag=maxlag,
                     lags=lags)  # raises the in-memory error
    lag_values = cc.correlation_lags(n, m, "valid" if mode is None else mode,
                                     maxlag=maxlag, lags=lags)
    moved = da.moveaxis(a, axis, -1)
    lead_chunks = moved.chunks[:-1]
    per_block = max(1, max(moved.chunks[-1]))
    step = int(lag_values[1] - lag_values[0]) if lag_values.shape[0] > 1 else 1
    # Tasks return raw sums for the scale-wide normalizations, which need the whole lane.
    local = normalize if normalize in ("unbiased", "pearson") else None
    parts = []
    for first in range(0, lag_values.shape[0], per_block):
        block_lags = lag_values[first:first + per_block]
        low, high = int(block_lags.min()), int(block_lags.max())
        # The samples these lags overlap, clamped to at least one sample of a: samples
        # outside every window of the block change none of its values.
        start = min(max(low, 0), n - 1)
        stop = min(max(high + m, start + 1), n)
        piece = moved[..., start:stop].rechunk({moved.ndim - 1: -1})
        local_lags = range(low - start if step > 0 else high - start,
                           (high if step > 0 else low) - start + (1 if step > 0 else -1),
                           step)

        def block(chunk: NDArray[Any], local_lags: range = local_lags) -> NDArray[Any]:
            return cc.correlate(chunk, va, lags=local_lags, normalize=local,
                                method=method, nan_policy=nan_policy)
        parts.append(piece.map_blocks(block, dtype=dtype,
                                      chunks=lead_chunks + ((block_lags.shape[0],),)))
    result = da.concatenate(parts, axis=-1)
    if nan_policy == "raise":
        # The in-memory call refuses a NaN anywhere in a, also outside the lags' windows.
        result = da.map_blocks(_raise_if_nan, result, da.isnan(moved).any(), dtype=dtype)
    if normalize == "biased":
        result = result / dtype.type(max(n, m))
    elif normalize == "coeff":
        # (the in-memory call refuses "omit" with a normalization, so a is used as is)
        lane = abs(moved.astype(dtype)) ** 2
        scale = da.sqrt(lane.sum(axis=-1, keepdims=True) * np.sum(np.abs(va) ** 2))
        result = da.where(scale == 0, np.nan, result / scale).astype(dtype)
    return da.moveaxis(result, -1, axis)


def _raise_if_nan(block: NDArray[Any], has_nan: Any) -> NDArray[Any]:
    if bool(has_nan):
        raise ValueError("a holds NaN and nan_policy='raise'")
    return block


def conv1d(x: da.Array | ArrayLike, weight: ArrayLike, bias: ArrayLike | None = None,
           stride: int = 1, padding: Padding = 0, dilation: int = 1, groups: int = 1, *,
           padding_mode: PadMode = "zeros", pad_value: float = 0.0,
           flip: bool = False) -> da.Array:
    """Lazy :func:`cconv1d.conv1d` of a Dask array ``(N, C_in, L)`` or ``(C_in, L)``.

    ``x`` may be chunked along the batch and the length; channels are gathered into one
    chunk. ``bias`` to ``groups`` may be given by position, in PyTorch's order, as for
    :func:`cconv1d.conv1d`. ``weight`` and ``bias`` are in-memory arrays. Every padding,
    padding mode, stride and dilation of :func:`cconv1d.conv1d` gives exactly its in-memory result:
    the array's two ends are padded with the mode's values and each output chunk reads
    its input window, halo included, with the stride's phase kept across chunk borders.

    Returns
    -------
    dask.array.Array
        ``(N, C_out, L_out)`` (or ``(C_out, L_out)``), lazy.

    Raises
    ------
    ValueError, TypeError
        As :func:`cconv1d.conv1d`, and when ``x``'s chunk sizes are unknown (call
        ``x.compute_chunk_sizes()`` first).

    Examples
    --------
    >>> import numpy as np, dask.array as da
    >>> from cconv1d import dask as ccd
    >>> x = da.from_array(np.arange(12.0).reshape(1, 1, 12), chunks=(1, 1, 5))
    >>> ccd.conv1d(x, np.ones((1, 1, 3)), stride=2, padding="same").compute()
    array([[[ 3.,  9., 15., 21., 27., 21.]]])
    """
    x = _as_dask(x, "x")
    w = np.asarray(weight)
    b = None if bias is None else np.asarray(bias)
    if x.ndim not in (2, 3):
        raise ValueError(f"x must be (N, C_in, L) or (C_in, L), got shape {x.shape}")
    batched = x.ndim == 3
    x3 = x if batched else x[None]
    # Validate everything (and learn shapes) as the in-memory call would, on a stand-in
    # of x's shape and dtype that holds no data (a broadcast zero).
    stand_in = np.broadcast_to(np.zeros((), dtype=x.dtype), x.shape)
    spec = _spec.conv1d_spec(stand_in, w, b, stride, padding, dilation, groups,
                             padding_mode, pad_value, "conv1d")
    flip = _spec.as_flag(flip, "flip")
    dtype, c_out, stride, dilation = spec.dtype, spec.c_out, spec.stride, spec.dilation
    left, right, l_out = spec.left, spec.right, spec.l_out
    span = dilation * (spec.k_size - 1) + 1
    x3 = x3.astype(dtype).rechunk({1: -1})
    x3 = _rechunk_for_halo(x3, span - 1, stacklevel=3)
    left_pad, right_pad = _side_pad(x3, left, right, padding_mode, pad_value, pad_value)
    padded = da.concatenate([p for p in (left_pad, x3, right_pad) if p is not None],
                            axis=-1)
    padded = padded[..., :(l_out - 1) * stride + span]

    def block(chunk: NDArray[Any]) -> NDArray[Any]:
        return cc.conv1d(chunk, w, b, stride=stride, dilation=dilation, groups=groups,
                         flip=flip)
    result = _sliding(padded, span, stride, l_out, block,
                      lambda p: (p.chunks[0], (c_out,)), dtype)
    return result if batched else result[0]
