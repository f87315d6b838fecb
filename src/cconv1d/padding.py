"""Padding that extends a signal without corrupting it: ``pad`` and its adjoint.

The data movement runs in compiled kernels (``cconv1d._padding``) without the GIL;
this module validates arguments once and reshapes N-D input to lanes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cconv1d import _spec, _threads
from cconv1d._padding import PAD, PAD_BACKWARD
from cconv1d._typing import ArrayLike, InexactArray, PadMode

__all__ = ["pad", "pad_backward"]


def _stat_lengths(stat_length: Any, length: int, code: int) -> tuple[int, int]:
    """Window sizes of the statistic modes, clipped to the signal as numpy.pad does."""
    if code not in _spec.STATISTIC:
        return 1, 1
    if stat_length is None:
        return length, length
    left, right = _spec.int_pair(stat_length, "stat_length", minimum=1)
    return min(left, length), min(right, length)


def _named(mode: str, canonical: str) -> str:
    """The mode as the user wrote it, with its canonical name when that differs."""
    return repr(mode) if mode == canonical else f"{mode!r} (= {canonical!r})"


def _pair_of_values(values: Any, name: str, dtype: np.dtype[Any]) -> list[Any]:
    if isinstance(values, (tuple, list)) or (isinstance(values, np.ndarray)
                                             and values.ndim > 0):
        items = np.asarray(values).ravel().tolist()
        if len(items) != 2:
            raise ValueError(f"{name} must be a number or a pair (left, right), got {values!r}")
    else:
        items = [values, values]
    converted = []
    for item in items:
        try:
            value = complex(item) if dtype.kind == "c" else float(item)
        except (TypeError, ValueError):
            raise TypeError(f"{name} must be a real number (complex for complex input), "
                            f"got {item!r}") from None
        converted.append(value)
    return converted


def pad(x: ArrayLike, pad_width: int | tuple[int, int], mode: PadMode = "constant", *,
        value: complex | tuple[complex, complex] = 0.0,
        stat_length: int | tuple[int, int] | None = None,
        end_values: complex | tuple[complex, complex] = 0.0) -> InexactArray:
    """Pad the last axis of an array.

    Parameters
    ----------
    x : array_like
        Signal(s); the last axis is padded. Any number of dimensions (>= 1).
    pad_width : int or (int, int)
        Samples added before and after, each >= 0. An int pads both sides equally.
    mode : str, optional
        ``"constant"`` (``"zeros"`` forces ``value=0``), ``"edge"`` (``"replicate"``),
        ``"reflect"``, ``"symmetric"``, ``"wrap"`` (``"circular"``), ``"mean"``,
        ``"median"``, ``"minimum"``, ``"maximum"``, ``"linear_ramp"``,
        ``"antisymmetric"``, ``"antireflect"`` or ``"smooth"``.
    value : float, complex or (left, right), optional
        The constant of ``"constant"``; a pair gives each side its own, as
        ``numpy.pad``'s ``constant_values=(left, right)``.
    stat_length : int or (int, int), optional
        Samples nearest each end that ``"mean"``, ``"median"``, ``"minimum"`` and
        ``"maximum"`` use (>= 1, clipped to the signal). Default: all samples.
    end_values : float or (float, float), optional
        Where ``"linear_ramp"`` ends on each side.

    Returns
    -------
    numpy.ndarray
        ``x`` padded to last-axis length ``left + L + right``; float32, float64 or
        complex (bool and integers become float64, float16 becomes float32).

    Raises
    ------
    ValueError
        Negative or malformed ``pad_width``, unknown ``mode``, or a mode that needs
        samples on an empty signal.
    TypeError
        Unsupported dtype, or complex input with ``median``/``minimum``/``maximum``.

    See Also
    --------
    pad_backward : the adjoint, for gradients.
    numpy.pad : the oracle for every mode but the last three; ``pywt.pad`` for those.

    Notes
    -----
    Widths larger than the signal repeat the reflection or wrap as ``numpy.pad`` does
    (PyTorch refuses them). Modes: with ``x = 1 2 3 4`` and three samples each side,

    ============== ==========================================
    edge           ``1 1 1 | 1 2 3 4 | 4 4 4``
    reflect        ``4 3 2 | 1 2 3 4 | 3 2 1``
    symmetric      ``3 2 1 | 1 2 3 4 | 4 3 2``
    wrap           ``2 3 4 | 1 2 3 4 | 1 2 3``
    antisymmetric  ``-3 -2 -1 | 1 2 3 4 | -4 -3 -2``
    antireflect    ``-2 -1 0 | 1 2 3 4 | 5 6 7`` (point mirror about the end sample)
    smooth         linear extrapolation of the two end samples
    ============== ==========================================

    Integer input is padded in float64, so ``mean`` and ``median`` are not rounded
    to integers as ``numpy.pad`` does for integer arrays.

    Examples
    --------
    >>> import cconv1d as cc
    >>> cc.pad([1.0, 2.0, 3.0], 2, mode="reflect")
    array([3., 2., 1., 2., 3., 2., 1.])
    >>> cc.pad([1.0, 2.0], (1, 2), value=(7, 9))
    array([7., 1., 2., 9., 9.])
    >>> cc.pad([1.0, 2.0, 3.0], (1, 2), mode="wrap")
    array([3., 1., 2., 3., 1., 2.])
    >>> cc.pad([[1.0, 2.0], [5.0, 7.0]], 1, mode="antireflect")
    array([[0., 1., 2., 3.],
           [3., 5., 7., 9.]])
    """
    arr = _spec.as_array(x, "x")
    if arr.ndim == 0:
        raise ValueError("x must have at least one dimension, got a 0-d array")
    left, right, canonical, code, dtype = _spec.pad_spec(arr, pad_width, mode, "x")
    length = arr.shape[-1]
    if mode in _spec.ZEROS:
        value = 0.0
    if length == 0 and (left or right) and code != _spec.CONSTANT:
        raise ValueError(f"x: mode {_named(mode, canonical)} needs samples to pad from, "
                         "but the signal (last axis) is empty")
    total = left + length + right
    lanes = int(np.prod(arr.shape[:-1], dtype=np.int64)) if arr.ndim > 1 else 1
    _spec.check_size(lanes * total, "pad_width")
    stat_left, stat_right = _stat_lengths(stat_length, length, code)
    if code == _spec.LINEAR_RAMP:
        value_left, value_right = _pair_of_values(end_values, "end_values", dtype)
    else:
        value_left, value_right = _pair_of_values(value, "value", dtype)
    data = _spec.contiguous(arr, dtype).reshape(lanes, length)
    out = np.empty((lanes, total), dtype=dtype)
    PAD[dtype.char](data, out, left, right, code, value_left, value_right,
              stat_left, stat_right, _threads.get_num_threads())
    return out.reshape(arr.shape[:-1] + (total,))


def pad_backward(grad: ArrayLike, length: int, pad_width: int | tuple[int, int],
                 mode: PadMode = "constant", *, x: ArrayLike | None = None,
                 stat_length: int | tuple[int, int] | None = None) -> InexactArray:
    """Fold the gradient of a padded array back onto the original samples.

    The exact adjoint (Jacobian transpose) of :func:`pad` with respect to ``x``: for
    every linear mode, ``<pad(x), g> == <x, pad_backward(g, L, ...)>``.

    Parameters
    ----------
    grad : array_like
        Gradient of the padded array; last axis ``left + length + right``.
    length : int
        Length of the original signal (>= 0).
    pad_width : int or (int, int)
        As given to :func:`pad`.
    mode : str, optional
        As given to :func:`pad`. The constant and ramp end values do not depend on
        ``x``, so they are not needed.
    x : array_like, optional
        The original input, of shape ``grad.shape[:-1] + (length,)``. Required by
        ``"median"``, ``"minimum"`` and ``"maximum"``, whose pad depends on which
        samples hold the statistic; ignored otherwise.
    stat_length : int or (int, int), optional
        As given to :func:`pad`.

    Returns
    -------
    numpy.ndarray
        Shape ``grad.shape[:-1] + (length,)``, dtype as :func:`pad` would give.

    Raises
    ------
    ValueError
        ``grad``'s last axis is not ``left + length + right``, ``x`` is missing or of
        the wrong shape for a mode that needs it, or an argument is malformed.
    TypeError
        Unsupported dtype.

    Notes
    -----
    ``median`` of an even count averages the two middle samples, so each gets half of
    the gradient; ties (for ``median``, ``minimum`` and ``maximum``) split it equally
    among the tied samples, as ``torch.amax`` does. A NaN statistic sends NaN to the
    NaN samples. For complex input this is the transpose, not the conjugate transpose.

    Examples
    --------
    >>> import cconv1d as cc
    >>> cc.pad_backward([1.0, 1.0, 1.0, 1.0, 1.0], 3, (1, 1), mode="edge")
    array([2., 1., 2.])
    >>> cc.pad_backward([1.0, 10.0, 20.0, 30.0, 1.0], 3, 1, mode="maximum",
    ...                 x=[1.0, 3.0, 3.0])
    array([10., 21., 31.])
    """
    g = _spec.as_array(grad, "grad")
    if g.ndim == 0:
        raise ValueError("grad must have at least one dimension, got a 0-d array")
    length = _spec.as_int(length, "length", minimum=0)
    left, right, canonical, code, dtype = _spec.pad_spec(g, pad_width, mode, "grad")
    total = left + length + right
    if g.shape[-1] != total:
        raise ValueError(f"grad: last axis has length {g.shape[-1]}, expected "
                         f"left + length + right = {left} + {length} + {right} = {total}")
    if length == 0 and (left or right) and code != _spec.CONSTANT:
        raise ValueError(f"length: mode {_named(mode, canonical)} needs samples to pad "
                         "from, but length is 0")
    lanes = int(np.prod(g.shape[:-1], dtype=np.int64)) if g.ndim > 1 else 1
    out_shape = g.shape[:-1] + (length,)
    stat_left, stat_right = _stat_lengths(stat_length, length, code)
    if code in _spec.NONLINEAR:
        if x is None:
            raise ValueError(f"x: mode {canonical!r} pads with a statistic chosen from "
                             "the data, so pad_backward needs the original input x")
        xa = _spec.as_array(x, "x")
        if xa.shape != out_shape:
            raise ValueError(f"x has shape {xa.shape}, expected {out_shape} "
                             "(grad's leading axes and length)")
        _spec.compute_dtype(xa.dtype, "x", "pad_backward", allow_complex=False)
        dtype = np.result_type(dtype, _spec.compute_dtype(
            xa.dtype, "x", "pad_backward", allow_complex=False))
        x_lanes = _spec.contiguous(xa, dtype).reshape(lanes, length)
    else:
        x_lanes = np.empty((0, 0), dtype=dtype)
    data = _spec.contiguous(g, dtype).reshape(lanes, total)
    out = np.empty((lanes, length), dtype=dtype)
    PAD_BACKWARD[dtype.char](data, out, x_lanes, left, right, code, stat_left, stat_right,
                       _threads.get_num_threads())
    return out.reshape(out_shape)
