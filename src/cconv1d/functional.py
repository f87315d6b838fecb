"""Neural-network convolution with PyTorch's conventions.

``conv1d``, ``conv1d_backward`` and ``conv_transpose1d`` validate their arguments once,
here, then hand C-contiguous arrays of one dtype to the compiled kernels of
``cconv1d._forward`` and ``cconv1d._backward``, which run without the GIL.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple, cast, overload

import numpy as np
from numpy.typing import NDArray

from cconv1d import _fftconv, _spec, _threads
from cconv1d._backward import input_gradient, weight_bias_gradient
from cconv1d._forward import conv1d_fast, forward
from cconv1d._spec import ConvSpec, conv1d_geometry, conv1d_spec
from cconv1d._typing import (ArrayLike, ArrayT, FloatArray, GradName, Method, Padding,
                             PadMode)

# Per method, the dilated kernel length from which conv1d's compiled fast route declines
# (auto: where the FFT route may pay; fft: always).
_SPAN_CAP = {"direct": 1 << 62, "auto": _fftconv.MIN_FFT_SPAN, "fft": 0}

__all__ = ["conv1d", "conv1d_backward", "conv_transpose1d", "Conv1dGrads", "conv1d_geometry"]

class Conv1dGrads(NamedTuple):
    """Gradients returned by :func:`cconv1d.conv1d_backward`; an entry not asked
    for is ``None``."""

    input: FloatArray | None
    weight: FloatArray | None
    bias: FloatArray | None

@overload
def conv1d(x: ArrayLike, weight: ArrayLike, bias: ArrayLike | None = None,
           stride: int = 1, padding: Padding = 0, dilation: int = 1, groups: int = 1, *,
           padding_mode: PadMode = "zeros", pad_value: float = 0.0, flip: bool = False,
           out: None = None, method: Method = "auto") -> FloatArray: ...
@overload
def conv1d(x: ArrayLike, weight: ArrayLike, bias: ArrayLike | None = None,
           stride: int = 1, padding: Padding = 0, dilation: int = 1, groups: int = 1, *,
           padding_mode: PadMode = "zeros", pad_value: float = 0.0, flip: bool = False,
           out: ArrayT, method: Method = "auto") -> ArrayT: ...
def conv1d(x: ArrayLike, weight: ArrayLike, bias: ArrayLike | None = None,
           stride: int = 1, padding: Padding = 0, dilation: int = 1, groups: int = 1, *,
           padding_mode: PadMode = "zeros", pad_value: float = 0.0, flip: bool = False,
           out: NDArray[Any] | None = None, method: Method = "auto") -> NDArray[Any]:
    """1-D convolution layer's forward pass (cross-correlation, as in PyTorch).

    ``y[n, o, j] = bias[o] + sum_c sum_k weight[o, c, k] * xp[n, g(o) + c, j*stride + k*dilation]``
    where ``xp`` is ``x`` padded by ``padding_mode`` and ``g(o)`` is the first input
    channel of output channel ``o``'s group.

    Parameters
    ----------
    x : array_like
        ``(N, C_in, L)``, or ``(C_in, L)`` for an unbatched result ``(C_out, L_out)``.
    weight : array_like
        ``(C_out, C_in // groups, K)``.
    bias : array_like, optional
        ``(C_out,)``.
    stride, dilation : int, optional
        Step between outputs and spacing between taps, >= 1.

        ``bias``, ``stride``, ``padding``, ``dilation`` and ``groups`` may be given by
        position, in ``torch.nn.functional.conv1d``'s order; the arguments after
        ``groups`` are keyword-only. ``stride``, ``dilation`` and ``padding`` may also
        be 1-tuples, as ``torch.nn.Conv1d`` stores them (``padding=(p,)``: ``p`` on
        both sides).
    padding : int, (int, int) or str, optional
        Samples added on each side, or ``"valid"`` (none), ``"same"`` (output length
        ``ceil(L / stride)``; with ``stride > 1`` this is TensorFlow's ``SAME``, which
        PyTorch refuses; the odd sample goes on the right), ``"full"``
        (``dilation*(K-1)`` each side) or ``"causal"`` (``dilation*(K-1)`` on the left,
        so output ``j`` sees no input after ``j``).
    groups : int, optional
        Channel groups; must divide ``C_in`` and ``C_out``. ``groups = C_in`` is a
        depthwise convolution.
    padding_mode : str, optional
        Any mode of :func:`cconv1d.pad` (``"zeros"``, ``"reflect"``, ``"replicate"``,
        ``"circular"``, ``"symmetric"``, ``"mean"``, ...). Statistic modes use the whole
        signal. Widths larger than the signal repeat the reflection, as ``numpy.pad``.
    pad_value : float, optional
        The constant of ``padding_mode="constant"``, and the end value of
        ``"linear_ramp"``.
    flip : bool, optional
        True convolution: exactly ``conv1d(x, weight[..., ::-1], ...)``. ``True`` or
        ``False`` (a NumPy bool too); anything else is a ``TypeError``.
    out : numpy.ndarray, optional
        C-contiguous, writeable array of the result's shape and dtype, not overlapping
        an input; it is returned.
    method : {"auto", "direct", "fft"}, optional
        ``"direct"`` sums the products (the SIMD kernels); ``"fft"`` multiplies spectra:
        real FFTs of the padded input and of the dilated kernel, the channel sum as a
        complex matrix product per frequency, every padding mode, stride, dilation and
        groups handled exactly; its rounding error is relative to the signal's norm
        (about ``eps * log2(L)`` of it) rather than to each output. ``"auto"`` (the
        default) takes the FFT only for long kernels (``dilation*(K-1)+1 >= 16``) in
        layers of at least ``2**22`` multiply-adds where a cost model expects it faster
        (wide layers from 16-24 taps, 8-32 channels from 30-130), and only for finite
        inputs small enough that no transform overflows; PyTorch has no FFT route, so
        long kernels are where cconv1d is furthest ahead. ``"auto"`` also computes
        dense float32 layers of 3 or 5 taps (stride and dilation 1, one group) with at
        least 64 input and output channels and 512 tiles in the batch by Winograd's
        F(4, 3) or F(4, 5): six (eight) pointwise layers on transformed inputs, 0.5
        (0.4) of the multiplications, 0.6-0.9x the direct time; and, where that leaves
        under 0.6 of the multiplications, with 128 output channels and 128 input
        channels times the phases and runs, strided layers (7-10 taps at stride 2, 9 at
        stride 3) and layers of more taps (7-15): each stride phase of the input, and
        each run of 3-5 taps, a channel of a stride-1 layer computed by F(4, 3), F(5, 4)
        or F(4, 5); and dilated layers with 128 input and output channels, each phase
        of the outputs (every d-th) a stride-1 layer. Its float32 error is 1.3-2.7x the
        direct route's against float64 (PyTorch's own float32 result is as far); a NaN
        or inf in the input reaches the outputs of the tiles whose six (eight) samples
        hold it, up to 4 outputs either side (times the dilation), where the direct
        route reaches only the windows
        holding it. float64 layers, and ``"direct"``, always sum the products directly: only
        that route gives the same bits however the batch, the signal or the threads are
        split.

    Returns
    -------
    numpy.ndarray
        ``(N, C_out, L_out)`` (or ``(C_out, L_out)``), dtype ``np.result_type`` of the
        inputs: float32 or float64 (bool and integers give float64, float16 float32).

    Raises
    ------
    ValueError
        Wrong ndim or shapes, a channel mismatch, ``groups`` not dividing the channels,
        kernel, stride or dilation < 1, an output length < 1, a bad ``out``.
    TypeError
        Complex, object or other unsupported dtypes.

    See Also
    --------
    conv1d_backward, conv_transpose1d, cconv1d.pad

    Notes
    -----
    ``L_out = (L + left + right - dilation*(K-1) - 1) // stride + 1``. Where PyTorch
    accepts the same arguments the result equals ``torch.nn.functional.conv1d`` (after
    ``torch.nn.functional.pad`` for non-zero padding modes).

    Examples
    --------
    >>> import numpy as np, cconv1d as cc
    >>> x = np.array([[1.0, 2.0, 3.0, 4.0]])          # (C_in=1, L=4)
    >>> w = np.array([[[1.0, 0.0, -1.0]]])            # (C_out=1, C_in=1, K=3)
    >>> cc.conv1d(x, w)
    array([[-2., -2.]])
    >>> cc.conv1d(x, w, padding="same", padding_mode="replicate")
    array([[-1., -2., -2., -1.]])
    >>> cc.conv1d(x, w, flip=True, padding="causal")
    array([[1., 2., 2., 2.]])
    >>> cc.conv1d(x, w, None, 1, 1)          # PyTorch's order: bias, stride, padding
    array([[-2., -2., -2.,  3.]])
    """
    if type(cast(object, flip)) is not bool:   # (typed bool; callers pass anything)
        flip = _spec.as_flag(flip, "flip")
    # The compiled fast route declines kernels that may take the FFT route (span cap).
    y = conv1d_fast(x, weight, bias, stride, padding, dilation, groups, padding_mode,
                    pad_value, flip, out, _threads.get_num_threads(),
                    _SPAN_CAP.get(method, 0) if type(method) is str else 0,
                    method == "auto")
    if y is not None:
        return y
    spec = conv1d_spec(x, weight, bias, stride, padding, dilation, groups, padding_mode,
                       pad_value, "conv1d")
    route = _route(method, spec)
    dtype = spec.dtype
    if out is not None:
        inputs = [(spec.x, "x"), (spec.weight, "weight")] + (
            [(spec.bias, "bias")] if spec.bias is not None else [])
        _spec.check_out(out, spec.shape, dtype, inputs)
        y = out.reshape(spec.shape3)
    else:
        y = np.empty(spec.shape3, dtype=dtype)
    xc = _spec.contiguous(spec.x3, dtype)
    wc = _spec.contiguous(spec.weight, dtype)
    bc = (np.empty(0, dtype=dtype) if spec.bias is None
          else _spec.contiguous(spec.bias, dtype))
    if route == "fft" and (method == "fft" or _fftconv.safe_inputs(xc, wc)):
        _fftconv.forward(xc, wc, bc, y, spec.left, spec.right, spec.code, spec.value,
                         spec.stride, spec.dilation, spec.groups, flip,
                         _threads.get_num_threads())
    else:
        forward(spec, xc, wc, bc, y, flip, _threads.get_num_threads(), method == "auto")
    if out is not None:
        return out
    return y if spec.batched else y[0]


def _route(method: str, spec: ConvSpec, backward: bool = False) -> str:
    """``"direct"`` or ``"fft"`` for ``method`` and the checked call ``spec`` (its
    forward pass, or its gradients when ``backward``)."""
    if method not in _fftconv.METHODS:
        raise ValueError(f"method must be one of {', '.join(map(repr, _fftconv.METHODS))}, "
                         f"got {method!r}")
    if 0 in (spec.n_batch, spec.c_in, spec.c_out, spec.l_out):
        # Nothing to transform (an empty batch, no channels, no output): the direct
        # route gives the empty (or zero) results of every method.
        return "direct"
    if method != "auto":
        return str(method)
    return _fftconv.choose(spec.n_batch, spec.c_in, spec.c_out, spec.groups, spec.k_size,
                           spec.l_out, spec.stride, spec.dilation, spec.dtype.itemsize,
                           _threads.get_num_threads(), backward)


def _needs(needs: GradName | Sequence[GradName]) -> set[str]:
    allowed = ("input", "weight", "bias")
    if isinstance(needs, str):
        needs = (needs,)
    try:
        names = tuple(needs)
    except TypeError:
        raise TypeError(f"needs must be a sequence of names from {allowed}, "
                        f"got {needs!r}") from None
    for name in names:
        if name not in allowed:
            raise ValueError(f"needs: unknown gradient {name!r}; expected names from {allowed}")
    return set(names)


def conv1d_backward(grad_output: ArrayLike, x: ArrayLike, weight: ArrayLike, *,
                    bias: ArrayLike | bool | None = True, stride: int = 1,
                    padding: Padding = 0, dilation: int = 1, groups: int = 1,
                    padding_mode: PadMode = "zeros", pad_value: float = 0.0,
                    flip: bool = False,
                    needs: GradName | Sequence[GradName] = ("input", "weight", "bias"),
                    method: Method = "auto") -> Conv1dGrads:
    """Gradients of :func:`conv1d` with respect to its input, weight and bias.

    Parameters
    ----------
    grad_output : array_like
        dL/dy, shaped as :func:`conv1d`'s result for these arguments.
    x, weight : array_like
        The forward pass's input and weight.
    bias : array_like, None or bool, optional
        What :func:`conv1d` was given: the bias array (checked to be ``(C_out,)``; its
        dtype takes part in the promotion, as in the forward pass) or ``None``. A bool
        says whether there was a bias (the gradient does not need its value); the
        default ``True`` computes the bias gradient.
    stride, padding, dilation, groups, padding_mode, pad_value, flip
        As given to :func:`conv1d`.
    needs : sequence of str, optional
        Which of ``"input"``, ``"weight"``, ``"bias"`` to compute; the others are
        skipped and returned as ``None``.
    method : {"auto", "direct", "fft"}, optional
        As :func:`conv1d`: the FFT route computes the input gradient as a convolution
        of ``grad_output`` with the kernel and the weight gradient as a correlation of
        the padded input with ``grad_output``, both by real FFTs; ``"auto"`` chooses by
        the forward pass's cost model with the backward's costs (the FFT route's
        gradients cost it 2-4x its forward, the direct route's about 2x), so it keeps
        the direct gradients of some layers whose forward pass takes the FFT.

    Returns
    -------
    Conv1dGrads
        Named tuple ``(input, weight, bias)``: dL/dx (shape of ``x``), dL/dweight
        (shape of ``weight``), dL/dbias (``(C_out,)``); ``None`` where not asked for, and
        ``bias`` is ``None`` when ``bias`` is ``None`` or ``False``.

    Raises
    ------
    ValueError, TypeError
        As :func:`conv1d`, and when ``grad_output``'s shape is not the forward result's.

    Notes
    -----
    The input gradient includes the adjoint of the padding (:func:`cconv1d.pad_backward`),
    so reflected, wrapped or statistic-padded samples send their gradient back to the
    samples they were copied or computed from; it equals autograd through pad + conv1d.
    The weight and bias gradients are accumulated in float64 whatever the dtype, and
    each entry is owned by one thread: results are deterministic.

    Examples
    --------
    >>> import numpy as np, cconv1d as cc
    >>> x = np.array([[1.0, 2.0, 3.0, 4.0]])
    >>> w = np.array([[[1.0, 0.0, -1.0]]])
    >>> g = cc.conv1d_backward(np.ones((1, 2)), x, w)
    >>> g.input
    array([[ 1.,  1., -1., -1.]])
    >>> g.weight
    array([[[3., 5., 7.]]])
    >>> g.bias
    array([2.])
    >>> cc.conv1d_backward(np.ones((1, 2)), x, w, bias=None).bias is None
    True
    """
    wanted = _needs(needs)
    ga = _spec.as_array(grad_output, "grad_output")
    # A bool (Python's or NumPy's) says whether there was a bias; anything else but None
    # is the bias array itself, checked and promoted as conv1d does. Never the array's
    # truth value: that is ambiguous, or False for a one-element zero bias.
    if isinstance(bias, (bool, np.bool_)):
        has_bias, bias_array = bool(bias), None
    else:
        has_bias, bias_array = bias is not None, bias
    spec = conv1d_spec(x, weight, bias_array, stride, padding, dilation, groups,
                       padding_mode, pad_value, "conv1d_backward",
                       extra=[(ga, "grad_output")])
    dtype = spec.dtype
    if ga.shape != spec.shape:
        raise ValueError(f"grad_output has shape {ga.shape}, expected {spec.shape} "
                         "(the shape conv1d returns for these arguments)")
    gc = _spec.contiguous(ga.reshape(spec.shape3), dtype)
    xc = _spec.contiguous(spec.x3, dtype)
    wc = _spec.contiguous(spec.weight, dtype)
    threads = _threads.get_num_threads()
    flip = _spec.as_flag(flip, "flip")
    dx = dw = db = None
    want_w = "weight" in wanted
    want_b = "bias" in wanted and has_bias
    x_for_stats = xc if spec.code in _spec.NONLINEAR else np.empty((0, 0, 0), dtype)
    if _route(method, spec, backward=True) == "fft" and (
            method == "fft" or _fftconv.safe_inputs(gc, xc, wc)):
        dx, dw = _fftconv.backward(gc, xc, wc, spec.left, spec.right, spec.code,
                                   spec.value, spec.stride, spec.dilation, spec.groups, flip,
                                   "input" in wanted, want_w, threads, x_for_stats)
        if dx is not None and not spec.batched:
            dx = dx[0]
        if want_b:
            db = gc.sum(axis=(0, 2), dtype=np.float64).astype(dtype)
        return Conv1dGrads(dx, dw, db)
    if "input" in wanted:
        dx = np.empty(xc.shape, dtype=dtype)
        input_gradient(spec, gc, wc, dx, x_for_stats, flip, threads, None, method == "auto")
        if not spec.batched:
            dx = dx[0]
    if want_w or want_b:
        dw = np.empty(wc.shape if want_w else (0, 1, 1), dtype=dtype)
        db = np.empty(spec.c_out if want_b else 0, dtype=dtype)
        weight_bias_gradient(spec, gc, xc, dw, db, flip, threads, method == "auto")
        dw = dw if want_w else None
        db = db if want_b else None
    return Conv1dGrads(dx, dw, db)


@overload
def conv_transpose1d(x: ArrayLike, weight: ArrayLike, bias: ArrayLike | None = None,
                     stride: int = 1, padding: int | tuple[int, int] = 0,
                     output_padding: int = 0,
                     groups: int = 1, dilation: int = 1, *, out: None = None,
                     method: Method = "auto") -> FloatArray: ...
@overload
def conv_transpose1d(x: ArrayLike, weight: ArrayLike, bias: ArrayLike | None = None,
                     stride: int = 1, padding: int | tuple[int, int] = 0,
                     output_padding: int = 0,
                     groups: int = 1, dilation: int = 1, *, out: ArrayT,
                     method: Method = "auto") -> ArrayT: ...
def conv_transpose1d(x: ArrayLike, weight: ArrayLike, bias: ArrayLike | None = None,
                     stride: int = 1, padding: int | tuple[int, int] = 0,
                     output_padding: int = 0,
                     groups: int = 1, dilation: int = 1, *,
                     out: NDArray[Any] | None = None, method: Method = "auto") -> NDArray[Any]:
    """Transposed 1-D convolution (PyTorch's ``conv_transpose1d``).

    The adjoint of :func:`conv1d` with respect to its input: it spreads every input
    sample over ``K`` outputs ``stride`` apart.

    Parameters
    ----------
    x : array_like
        ``(N, C_in, L)`` or ``(C_in, L)``.
    weight : array_like
        ``(C_in, C_out // groups, K)`` (PyTorch's layout for transposed convolution).
    bias : array_like, optional
        ``(C_out,)``.
    stride, dilation, groups : int, optional
        As in PyTorch.
    padding : int or (int, int), optional
        Samples removed from each end of the full result (the ``padding`` of the
        :func:`conv1d` this is the adjoint of). A pair is an extension of PyTorch.
    output_padding : int, optional
        Extra samples on the right of the result (>= 0, smaller than ``stride`` or
        ``dilation``), to pick among the input lengths a strided conv1d maps to ``L``.
    out : numpy.ndarray, optional
        As for :func:`conv1d`; keyword-only. The arguments before it may be given by
        position, in ``torch.nn.functional.conv_transpose1d``'s order (``bias, stride,
        padding, output_padding, groups, dilation``).
    method : {"auto", "direct", "fft"}, optional
        As :func:`conv1d`, for the :func:`conv1d` this is the adjoint of: ``"direct"``
        runs the forward pass's SIMD kernels on each stride phase, ``"fft"`` multiplies
        spectra (the input gradient of :func:`conv1d_backward`'s FFT route), ``"auto"``
        chooses as :func:`conv1d_backward` does for that layer (the FFT only for long
        kernels, and only for finite inputs small enough that no transform overflows).

    Returns
    -------
    numpy.ndarray
        ``(N, C_out, L_out)`` with
        ``L_out = (L - 1)*stride - left - right + dilation*(K - 1) + output_padding + 1``.

    Raises
    ------
    ValueError, TypeError
        As :func:`conv1d`; also for ``output_padding`` out of range and an unknown
        ``method``.

    Examples
    --------
    >>> import numpy as np, cconv1d as cc
    >>> cc.conv_transpose1d([[1.0, 2.0]], [[[1.0, 10.0, 100.0]]], stride=2)
    array([[  1.,  10., 102.,  20., 200.]])
    >>> cc.conv_transpose1d([[1.0, 2.0]], [[[1.0, 10.0, 100.0]]], None, 2, 1)
    array([[ 10., 102.,  20.]])
    >>> y = cc.conv_transpose1d([[1.0, 2.0]], [[[1.0, 10.0, 100.0]]], stride=2, method="fft")
    >>> np.allclose(y, [[1, 10, 102, 20, 200]])
    True
    """
    # The record of the conv1d this is the adjoint of (its input gradient): that
    # conv1d's input has our output's length and channels, its output is our input.
    spec = _spec.transpose_spec(x, weight, bias, stride, padding, output_padding, groups,
                                dilation)
    dtype, ba = spec.dtype, spec.bias
    shape3 = (spec.n_batch, spec.c_in, spec.length)
    if out is not None:
        inputs = [(spec.x, "x"), (spec.weight, "weight")] + (
            [(ba, "bias")] if ba is not None else [])
        _spec.check_out(out, shape3 if spec.batched else shape3[1:], dtype, inputs)
        y = out.reshape(shape3)
    else:
        y = np.empty(shape3, dtype=dtype)
    xc = _spec.contiguous(spec.x3, dtype)
    wc = _spec.contiguous(spec.weight, dtype)
    threads = _threads.get_num_threads()
    if _route(method, spec) == "fft" and (method == "fft" or _fftconv.safe_inputs(xc, wc)):
        # The input gradient of that conv1d by the FFT route; its x only gives the
        # shape (a broadcast zero: no memory).
        shape_only = np.broadcast_to(np.zeros((), dtype), shape3)
        dx, _ = _fftconv.backward(xc, shape_only, wc, spec.left, spec.right, _spec.CONSTANT,
                                  0.0, spec.stride, spec.dilation, spec.groups, False, True,
                                  False, threads, np.empty((0, 0, 0), dtype))
        assert dx is not None   # asked for (want_input)
        np.copyto(y, dx)
        if ba is not None:
            y += _spec.contiguous(ba, dtype)[:, None]
    else:
        # the bias starts the kernels' sums (a pass of its own over y cost an x2
        # upsampler 14 %)
        input_gradient(spec, xc, wc, y, np.empty((0, 0, 0), dtype), False, threads,
                       None if ba is None else _spec.contiguous(ba, dtype), method == "auto")
    if out is not None:
        return out
    return y if spec.batched else y[0]
