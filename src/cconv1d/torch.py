"""PyTorch drop-in: cconv1d's kernels inside autograd, ``torch.compile`` and ``torch.nn`` models.

``import cconv1d`` never imports torch; importing this module does, and raises
``ImportError`` with an install hint when torch is missing. It needs torch >= 2.4
(``torch.library.custom_op``).

* :func:`conv1d` runs the custom operator ``torch.ops.cconv1d.conv1d`` (registered with
  ``torch.library.custom_op``, ``register_autograd`` and ``register_fake``): its forward
  calls :func:`cconv1d.conv1d` and its backward :func:`cconv1d.conv1d_backward`,
  sharing memory with the tensors (no copies for contiguous CPU float32/float64). Because
  the operator has a fake (meta) implementation, ``torch.compile(fullgraph=True)`` and
  ``torch.export`` trace through it without a graph break. Plain eager calls skip the
  dispatcher (an ``autograd.Function`` around the same kernels, bit-identical): it cost
  half of a small forward call.
* :class:`Conv1d` is a ``torch.nn.Conv1d`` (a subclass: same constructor, parameters,
  ``state_dict`` keys, initialisation and ``repr``) that also takes every padding of
  cconv1d (``"causal"``, ``"full"``, ``"same"`` with stride, ``(left, right)``) and every
  ``padding_mode`` of :func:`cconv1d.pad`.
* :func:`convert` turns every ``torch.nn.Conv1d`` of a model into :class:`Conv1d`, in
  place, keeping its parameters.

Where the kernels do not apply, the same call runs ``torch.nn.functional.conv1d`` with
the same semantics (after padding the input in torch for every ``padding_mode``), silently:

* tensors on CUDA, MPS, meta or any other non-CPU device;
* float16 and bfloat16 tensors (torch computes them, in that dtype);
* inside ``torch.autocast`` (so the convolution is autocast as ``nn.Conv1d`` is);
* inside ``torch.func`` transforms (``grad``, ``vmap``, ``jacrev``, ``jvp``, ...) and
  forward-mode AD (``torch.autograd.forward_ad.dual_level``), whose tangents need torch's
  ops (the statistic paddings' tangents follow the samples each statistic selected).

Integer, bool and complex tensors and mixed dtypes are refused with ``TypeError``, as
``torch.nn.functional.conv1d`` refuses them. Second-order gradients through the kernels
are refused with a ``RuntimeError`` (the fallback supports them, as torch does).
``torch.jit.script`` compiles a :class:`Conv1d` whose padding ``torch.nn.Conv1d`` can
express as that (sharing the parameters: TorchScript cannot call Python) and refuses the
others clearly; ``torch.compile`` and ``torch.export`` are the ways to compile the rest.

Examples
--------
>>> import torch, cconv1d.torch as cct
>>> layer = cct.Conv1d(2, 4, 3, padding="causal", padding_mode="reflect")
>>> y = layer(torch.randn(8, 2, 50))
>>> y.shape
torch.Size([8, 4, 50])
>>> y.sum().backward(); layer.weight.grad.shape
torch.Size([4, 2, 3])
>>> layer.half()(torch.randn(8, 2, 50).half()).dtype     # torch computes float16
torch.float16
"""

from __future__ import annotations

from typing import Any, Literal, Optional, TypeVar, cast

try:
    import torch
except ImportError as exc:  # pragma: no cover - exercised only without torch
    raise ImportError(
        "cconv1d.torch needs PyTorch, which is not installed: pip install torch "
        "(the CPU build is enough)") from exc

import numpy as np

import cconv1d as cc
from cconv1d import _spec
from cconv1d._fftconv import METHODS as _METHODS
from cconv1d._typing import GradName, Method, Padding, PadMode
from cconv1d.functional import conv1d_geometry

__all__ = ["conv1d", "Conv1d", "convert"]

_Module = TypeVar("_Module", bound=torch.nn.Module)

# The dtypes the compiled kernels compute; float16/bfloat16 go to torch's own conv1d.
_KERNEL_DTYPES = (torch.float32, torch.float64)
_TORCH_DTYPES = (torch.float16, torch.bfloat16)

_SECOND_ORDER = ("cconv1d.torch.conv1d does not support second-order gradients (grad of "
                 "grad, e.g. a gradient penalty); use torch.nn.functional.conv1d there")


def _numpy(t: torch.Tensor) -> np.ndarray:
    # A detached CPU tensor's numpy view shares its memory: no copy. A lazily negated
    # or conjugated view (x.conj().imag) has no such view: resolved first (a copy).
    return t.detach().resolve_neg().resolve_conj().numpy()


# --------------------------------------------------------------------------------------
# The custom operators: forward and backward of the compiled kernels
# --------------------------------------------------------------------------------------

def _kernel_forward(x: torch.Tensor, weight: torch.Tensor, bias: Optional[torch.Tensor],
                   stride: int, left: int, right: int, dilation: int, groups: int,
                   padding_mode: str, pad_value: float, flip: bool,
                   method: str) -> torch.Tensor:
    y = cc.conv1d(_numpy(x), _numpy(weight), None if bias is None else _numpy(bias),
                  stride=stride, padding=(left, right), dilation=dilation, groups=groups,
                  padding_mode=cast(PadMode, padding_mode), pad_value=pad_value, flip=flip,
                  method=cast(Method, method))
    return torch.from_numpy(y)


def _kernel_backward(grad_output: torch.Tensor, x: torch.Tensor, weight: torch.Tensor,
                     has_bias: bool, need_input: bool, need_weight: bool, need_bias: bool,
                     stride: int, left: int, right: int, dilation: int, groups: int,
                     padding_mode: str, pad_value: float,
                     flip: bool, method: str,
                     ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    wanted: tuple[tuple[GradName, bool], ...] = (
        ("input", need_input), ("weight", need_weight), ("bias", need_bias and has_bias))
    needs = [name for name, want in wanted if want]
    grads = cc.conv1d_backward(_numpy(grad_output), _numpy(x), _numpy(weight),
                               bias=has_bias, needs=needs, stride=stride,
                               padding=(left, right), dilation=dilation, groups=groups,
                               padding_mode=cast(PadMode, padding_mode), pad_value=pad_value,
                               flip=flip, method=cast(Method, method))

    # A fixed number of tensors comes back: the ones not asked for are empty.
    def tensor(g: np.ndarray | None) -> torch.Tensor:
        return torch.from_numpy(g) if g is not None else x.new_empty(0)
    return tensor(grads.input), tensor(grads.weight), tensor(grads.bias)


@torch.library.custom_op("cconv1d::conv1d", mutates_args=())
def _conv1d_op(x: torch.Tensor, weight: torch.Tensor, bias: Optional[torch.Tensor],
               stride: int, left: int, right: int, dilation: int, groups: int,
               padding_mode: str, pad_value: float, flip: bool, method: str = "auto") -> torch.Tensor:
    return _kernel_forward(x, weight, bias, stride, left, right, dilation, groups,
                           padding_mode, pad_value, flip, method)


@_conv1d_op.register_fake
def _conv1d_fake(x: torch.Tensor, weight: torch.Tensor, bias: Optional[torch.Tensor],
                 stride: int, left: int, right: int, dilation: int, groups: int,
                 padding_mode: str, pad_value: float, flip: bool, method: str = "auto") -> torch.Tensor:
    span = dilation * (weight.shape[-1] - 1)
    l_out = (left + x.shape[-1] + right - span - 1) // stride + 1
    return x.new_empty((*x.shape[:-2], weight.shape[0], l_out))


@torch.library.custom_op("cconv1d::conv1d_backward", mutates_args=())
def _conv1d_backward_op(grad_output: torch.Tensor, x: torch.Tensor, weight: torch.Tensor,
                        has_bias: bool, need_input: bool, need_weight: bool,
                        need_bias: bool, stride: int, left: int, right: int, dilation: int,
                        groups: int, padding_mode: str, pad_value: float,
                        flip: bool, method: str = "auto",
                        ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    return _kernel_backward(grad_output, x, weight, has_bias, need_input, need_weight,
                            need_bias, stride, left, right, dilation, groups, padding_mode,
                            pad_value, flip, method)


@_conv1d_backward_op.register_fake
def _conv1d_backward_fake(grad_output: torch.Tensor, x: torch.Tensor,
                          weight: torch.Tensor, has_bias: bool, need_input: bool,
                          need_weight: bool, need_bias: bool, stride: int, left: int,
                          right: int, dilation: int, groups: int, padding_mode: str,
                          pad_value: float, flip: bool, method: str = "auto",
                          ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    return (x.new_empty(x.shape if need_input else (0,)),
            x.new_empty(weight.shape if need_weight else (0,)),
            x.new_empty((weight.shape[0],) if need_bias and has_bias else (0,)))


def _conv1d_setup_context(ctx: Any, inputs: tuple[Any, ...], output: torch.Tensor) -> None:
    x, weight, bias, *options = inputs
    ctx.save_for_backward(x, weight)
    ctx.has_bias = bias is not None
    ctx.options = options


def _conv1d_backward(ctx: Any, grad_output: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
    x, weight = ctx.saved_tensors
    need_input, need_weight, need_bias = ctx.needs_input_grad[:3]
    none = (None,) * 9
    if not (need_input or need_weight or need_bias):
        return (None, None, None) + none
    grad_input, grad_weight, grad_bias = _conv1d_backward_op(
        grad_output, x, weight, ctx.has_bias, need_input, need_weight, need_bias,
        *ctx.options)
    return ((grad_input if need_input else None), (grad_weight if need_weight else None),
            (grad_bias if need_bias and ctx.has_bias else None)) + none


_conv1d_op.register_autograd(_conv1d_backward, setup_context=_conv1d_setup_context)


def _refuse_second_order(ctx: Any, *grads: torch.Tensor) -> None:
    raise RuntimeError(_SECOND_ORDER)


# Differentiating the gradients again (create_graph=True) reaches this backward, which
# refuses clearly instead of silently treating the gradients as constants.
def _no_context(ctx: Any, inputs: tuple[Any, ...], output: Any) -> None:
    pass


_conv1d_backward_op.register_autograd(_refuse_second_order, setup_context=_no_context)


class _Conv1dKernels(torch.autograd.Function):
    """Eager mode's route to the same kernels: the operator's dispatch costs about 25 us
    a call (half of a tiny forward, as much again in the backward), so plain tensors
    outside a compiler take this Function; tracing (torch.compile, torch.export: fake
    tensors) takes the operator. Both compute through ``_kernel_forward/_backward``."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, weight: torch.Tensor,
                bias: Optional[torch.Tensor], options: tuple[Any, ...]) -> torch.Tensor:
        ctx.save_for_backward(x, weight)
        ctx.has_bias = bias is not None
        ctx.options = options
        return _kernel_forward(x, weight, bias, *options)

    @staticmethod
    def backward(ctx: Any, grad_output: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        x, weight = ctx.saved_tensors
        need_input, need_weight, need_bias = ctx.needs_input_grad[:3]
        need_bias = need_bias and ctx.has_bias
        if not (need_input or need_weight or need_bias):
            return None, None, None, None
        grads = _Conv1dKernelsBackward.apply(  # type: ignore[no-untyped-call]
            grad_output, x, weight, ctx.has_bias, need_input, need_weight, need_bias,
            ctx.options)
        return ((grads[0] if need_input else None), (grads[1] if need_weight else None),
                (grads[2] if need_bias else None), None)


class _Conv1dKernelsBackward(torch.autograd.Function):
    # Its own Function so that differentiating the gradients again (create_graph=True)
    # reaches a backward that refuses clearly instead of treating them as constants.
    @staticmethod
    def forward(ctx: Any, grad_output: torch.Tensor, x: torch.Tensor, weight: torch.Tensor,
                has_bias: bool, need_input: bool, need_weight: bool, need_bias: bool,
                options: tuple[Any, ...]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        return _kernel_backward(grad_output, x, weight, has_bias, need_input, need_weight,
                                need_bias, *options)

    @staticmethod
    def backward(ctx: Any, *grads: torch.Tensor) -> None:
        raise RuntimeError(_SECOND_ORDER)


# Tensor types the eager Function takes; anything else (fake, functional, proxy tensors
# of a tracer) goes through the operator.
_PLAIN_TENSORS = (torch.Tensor, torch.nn.Parameter)


# --------------------------------------------------------------------------------------
# The fallback: torch's own conv1d after padding in torch
# --------------------------------------------------------------------------------------

def _torch_pad(x: torch.Tensor, left: int, right: int, padding_mode: str,
               pad_value: float) -> torch.Tensor:
    """``cc.pad(x, (left, right), mode)`` along the last axis, computed by torch on any
    device and dtype and differentiable; the index maps and linear maps come from
    :func:`cconv1d.pad` itself (on a float64 arange or basis), so the semantics are ours."""
    if left == 0 and right == 0:
        return x
    if padding_mode in _spec.ZEROS:
        return torch.nn.functional.pad(x, (left, right))
    # Plain dict lookups first: torch.compile(fullgraph=True) traces them, and F.pad's
    # own modes, where they mean ours, keep a float16/bfloat16/autocast model one graph
    # (nn.Conv1d's does); the compiled lookup explains a bad name.
    name = _spec.ALIASES.get(padding_mode, padding_mode)
    code = _spec.CODES.get(name) if type(padding_mode) is str else None
    if code is None:
        name, code = _spec.lookup(padding_mode, "padding_mode")
    canonical = cast(PadMode, name)
    if code == _spec.CONSTANT:
        return torch.nn.functional.pad(x, (left, right), value=pad_value)
    length = x.shape[-1]
    widest = max(left, right)
    if (code == _spec.REFLECT and widest < length or code == _spec.EDGE and length > 0
            or code == _spec.WRAP and widest <= length):
        return torch.nn.functional.pad(x, (left, right), mode={
            _spec.REFLECT: "reflect", _spec.EDGE: "replicate", _spec.WRAP: "circular"}[code])
    if length == 0:
        raise ValueError(f"padding_mode {canonical!r} needs samples to pad from, but x has "
                         "length 0")
    if code in (_spec.EDGE, _spec.REFLECT, _spec.SYMMETRIC, _spec.WRAP):
        # Pure data movement: gather through the indices our pad moves.
        index = cc.pad(np.arange(length, dtype=np.float64), (left, right), canonical)
        return x.index_select(-1, torch.from_numpy(index.astype(np.int64)).to(x.device))
    if code in _spec.NONLINEAR:
        # conv1d's padding takes the statistic over the whole signal (stat_length=None).
        if code == _spec.MINIMUM:
            stat = x.amin(-1, keepdim=True)
        elif code == _spec.MAXIMUM:
            stat = x.amax(-1, keepdim=True)
        else:  # NumPy's median: the mean of the two middle samples of an even count
            ordered = x.sort(-1).values
            stat = (ordered[..., (length - 1) // 2:(length - 1) // 2 + 1]
                    + ordered[..., length // 2:length // 2 + 1]) / 2
        return torch.cat([stat.expand(*x.shape[:-1], left), x,
                          stat.expand(*x.shape[:-1], right)], -1)
    # The remaining modes are affine in x: pad(x) = x @ A + pad(0). A's rows for the pad
    # positions are pad_backward of unit vectors, (left + right) x length numbers.
    width = left + length + right
    positions = np.r_[0:left, left + length:width]
    units = np.zeros((len(positions), width))
    units[np.arange(len(positions)), positions] = 1.0
    rows = cc.pad_backward(units, length, (left, right), canonical)
    offset = cc.pad(np.zeros(length), (left, right), canonical, end_values=pad_value)
    matrix = torch.from_numpy(rows.T.copy()).to(device=x.device, dtype=x.dtype)
    constant = torch.from_numpy(offset[positions]).to(device=x.device, dtype=x.dtype)
    sides = x @ matrix + constant
    return torch.cat([sides[..., :left], x, sides[..., left:]], -1)


def _fallback(x: torch.Tensor, weight: torch.Tensor, bias: Optional[torch.Tensor],
              stride: int, left: int, right: int, dilation: int, groups: int,
              padding_mode: str, pad_value: float, flip: bool,
              method: str = "auto") -> torch.Tensor:
    # method is the kernels' choice; torch's conv1d has one route
    xp = _torch_pad(x, left, right, padding_mode, pad_value)
    return torch.nn.functional.conv1d(xp, weight.flip(-1) if flip else weight, bias,
                                      stride=stride, dilation=dilation, groups=groups)


def _autocast(device_type: str) -> bool:
    if torch.is_autocast_enabled("cpu"):
        return True
    # meta and other devices without an autocast mode: asking about them is an error
    available = getattr(torch.amp, "is_autocast_available", lambda d: d in ("cuda", "xpu"))
    return device_type != "cpu" and available(device_type) and \
        torch.is_autocast_enabled(device_type)


def _forward_ad_active() -> bool:
    # a torch.autograd.forward_ad.dual_level is open: its dual tensors need a jvp
    level = getattr(torch.autograd.forward_ad, "_current_level", -1)
    return isinstance(level, int) and level >= 0


def _use_fallback(tensors: list[torch.Tensor], dtype: torch.dtype) -> bool:
    if any(t.device.type != "cpu" for t in tensors) or dtype in _TORCH_DTYPES:
        return True
    # torch.func's wrapped tensors cannot be viewed as NumPy arrays, and forward-mode AD
    # (dual tensors) needs a jvp: torch's ops have both. Under torch.compile the
    # transforms are traced by the compiler, which sees the fake implementation.
    return (not torch.compiler.is_compiling()
            and (torch._C._are_functorch_transforms_active() or _forward_ad_active()))


# --------------------------------------------------------------------------------------
# Argument checks (plain Python on shapes: torch.compile traces them)
# --------------------------------------------------------------------------------------

def _check_tensor(t: object, name: str) -> torch.Tensor:
    if not isinstance(t, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
    if t.dtype not in _KERNEL_DTYPES + _TORCH_DTYPES:
        raise TypeError(f"{name} has dtype {t.dtype}; cconv1d.torch computes torch.float32 "
                        "and torch.float64 (and float16/bfloat16 through torch)")
    return t


def _options(stride: object, padding: object, dilation: object,
             padding_mode: object) -> tuple[int, int, str | tuple[int, int], str]:
    """The options of one call that do not depend on the tensors, checked by the spec
    layer: ``(stride, dilation, padding word or (left, right), padding_mode)``."""
    stride_ = _spec.one_int(stride, "stride", minimum=1)
    dilation_ = _spec.one_int(dilation, "dilation", minimum=1)
    checked = _spec.check_padding(padding)  # type: ignore[call-overload]
    _spec.lookup(padding_mode, "padding_mode")
    # PyWavelets' "zero" is "zeros": the value is 0 whatever pad_value is
    return stride_, dilation_, checked, "zeros" if padding_mode in _spec.ZEROS else str(
        padding_mode)


def _traced_options(stride: Any, padding: Any, dilation: Any,
                    padding_mode: Any) -> tuple[int, int, str | tuple[int, int], str]:
    """What :func:`_options` returns, without its checks, for torch.compile's tracing:
    Dynamo cannot trace into the spec layer (compiled code) and may hold these scalars
    as symbols. The checks still run: the traced graph calls the kernels through
    :func:`cconv1d.conv1d`, which checks every argument at the first call."""
    def first(value: Any) -> Any:
        return value[0] if isinstance(value, (tuple, list)) and len(value) == 1 else value
    padding = first(padding)
    pad = padding if isinstance(padding, (str, tuple, list)) else (padding, padding)
    mode = "zeros" if padding_mode in _spec.ZEROS else padding_mode
    return first(stride), first(dilation), pad if isinstance(pad, str) else tuple(pad), mode


def _traced_geometry(length: Any, k_size: Any, stride: int, padding: str | tuple[int, int],
                     dilation: int) -> tuple[Any, Any, Any]:
    """:func:`cconv1d.functional.conv1d_geometry` of a checked ``padding``, in operations
    torch.compile can trace with symbolic sizes (``length`` and ``k_size`` may be
    SymInts under ``dynamic=True``); the spec layer is compiled code, which Dynamo
    cannot trace into. test_torch_everywhere checks it equals the spec layer's."""
    span = dilation * (k_size - 1)
    if padding == "same":
        # Output ceil(L / stride); the odd sample of padding goes on the right.
        total = torch.sym_max(  # type: ignore[no-untyped-call]
            ((length + stride - 1) // stride - 1) * stride + span + 1 - length, 0)
        left, right = total // 2, total - total // 2
    elif padding in ("valid", "full", "causal"):
        left, right = {"valid": (0, 0), "full": (span, span), "causal": (span, 0)}[padding]
    elif isinstance(padding, str):
        raise ValueError(f"padding must be an int, a pair (left, right) or one of 'valid', "
                         f"'same', 'full', 'causal'; got {padding!r}")
    else:
        left, right = padding
    return left, right, (left + length + right - span - 1) // stride + 1


def _check_shapes(x: torch.Tensor, weight: torch.Tensor, bias: Optional[torch.Tensor],
                  groups: int) -> None:
    if x.dim() not in (2, 3):
        raise ValueError(f"x must be (N, C_in, L) or (C_in, L), got shape {tuple(x.shape)}")
    if weight.dim() != 3:
        raise ValueError(f"weight must be 3-D (C_out, C_in/groups, K), got shape "
                         f"{tuple(weight.shape)}")
    c_in = x.shape[-2]
    c_out, c_per_group, k_size = weight.shape
    if c_in < 1 or k_size < 1:
        raise ValueError(f"x needs a channel and weight a tap, got shapes {tuple(x.shape)} "
                         f"and {tuple(weight.shape)}")
    if c_in % groups or c_out % groups:
        raise ValueError(f"groups={groups} must divide the input channels C_in={c_in} and "
                         f"the output channels C_out={c_out}")
    if c_per_group != c_in // groups:
        raise ValueError(f"weight.shape[1] must be C_in/groups = {c_in}/{groups} = "
                         f"{c_in // groups} (channel mismatch), got {c_per_group}")
    if bias is not None and tuple(bias.shape) != (c_out,):
        raise ValueError(f"bias must have shape ({c_out},) to match weight.shape[0], got "
                         f"{tuple(bias.shape)}")


def conv1d(x: torch.Tensor, weight: torch.Tensor, bias: Optional[torch.Tensor] = None,
           stride: int | tuple[int] = 1, padding: Padding | tuple[int] = 0,
           dilation: int | tuple[int] = 1, groups: int = 1, *,
           padding_mode: PadMode = "zeros", pad_value: float = 0.0,
           flip: bool = False, method: Method = "auto") -> torch.Tensor:
    """Differentiable :func:`cconv1d.conv1d` on torch tensors.

    Parameters are those of :func:`cconv1d.conv1d` (without ``out``); ``method``
    (``"auto"``, ``"direct"`` or ``"fft"``) chooses the route of the forward pass and of
    the gradients, as :func:`cconv1d.conv1d` and :func:`cconv1d.conv1d_backward` do
    (where torch computes, its one route is taken whatever ``method`` says); ``stride``,
    ``padding``, ``dilation`` and ``groups`` may be given by position in
    ``torch.nn.functional.conv1d``'s order, and 1-tuples are accepted as torch does.
    ``x``, ``weight`` and ``bias`` are tensors of one floating dtype.

    Returns
    -------
    torch.Tensor
        The result; gradients flow to whichever inputs require them, and only those
        are computed. CPU float32/float64 tensors are computed by cconv1d's kernels
        (the operator ``torch.ops.cconv1d.conv1d``); other devices, float16/bfloat16,
        autocast regions and ``torch.func`` transforms by ``torch.nn.functional.conv1d``
        after padding in torch, with the same result.

    Raises
    ------
    TypeError
        Non-tensor inputs, integer, bool or complex dtypes, mixed dtypes (outside
        autocast), a non-integer stride, dilation, groups or padding.
    ValueError
        Shapes that do not fit, an unknown padding, padding mode or method, an output
        length below 1.
    RuntimeError
        A second-order gradient through the kernels (grad of grad with
        ``create_graph=True``).

    Examples
    --------
    >>> import torch, cconv1d.torch as cct
    >>> x = torch.arange(5.0, dtype=torch.float64).reshape(1, 1, 5).requires_grad_()
    >>> w = torch.tensor([[[1.0, -1.0]]], dtype=torch.float64)
    >>> y = cct.conv1d(x, w)
    >>> y.detach()
    tensor([[[-1., -1., -1., -1.]]], dtype=torch.float64)
    >>> y.sum().backward(); x.grad
    tensor([[[ 1.,  0.,  0.,  0., -1.]]], dtype=torch.float64)
    >>> cct.conv1d(x.detach().to("meta"), w.to("meta"), padding="same").shape
    torch.Size([1, 1, 5])
    >>> long_w = torch.randn(1, 1, 64, dtype=torch.float64)
    >>> by_fft = cct.conv1d(x.detach(), long_w, padding="full", method="fft")
    >>> torch.allclose(by_fft, cct.conv1d(x.detach(), long_w, padding="full", method="direct"))
    True
    """
    _check_tensor(x, "x")
    _check_tensor(weight, "weight")
    tensors = [x, weight]
    if bias is not None:
        tensors.append(_check_tensor(bias, "bias"))
    autocast = _autocast(x.device.type)
    dtypes = {t.dtype for t in tensors}
    if len(dtypes) > 1 and not autocast:  # autocast casts them; torch refuses otherwise
        raise TypeError(f"x, weight and bias must have one dtype, got "
                        f"{sorted(str(d) for d in dtypes)}")
    if torch.compiler.is_compiling():
        step, spacing, pad, mode = _traced_options(stride, padding, dilation, padding_mode)
    else:
        groups = _spec.as_int(groups, "groups", minimum=1)
        step, spacing, pad, mode = _options(stride, padding, dilation, padding_mode)
    _check_shapes(x, weight, bias, groups)
    try:   # here, not in _options: torch.compile may trace floats as symbols
        value = float(pad_value)
    except (TypeError, ValueError):
        raise TypeError(f"pad_value must be a real number, got {pad_value!r}") from None
    length, k_size = x.shape[-1], weight.shape[-1]
    left, right, l_out = _traced_geometry(length, k_size, step, pad, spacing)
    if l_out < 1:   # (compiled: called only to raise, so torch.compile need not trace it)
        _spec.check_output_length(l_out, length, left, right, k_size, spacing)
    if method not in _METHODS:
        raise ValueError(f"method must be one of {', '.join(map(repr, _METHODS))}, "
                         f"got {method!r}")
    if type(cast(object, flip)) is not bool:   # (the plain check torch.compile traces)
        flip = _spec.as_flag(flip, "flip")
    options = (step, left, right, spacing, groups, mode, value, flip, str(method))
    if autocast or _use_fallback(tensors, x.dtype):
        return _fallback(x, weight, bias, *options)
    if not torch.compiler.is_compiling() and all(type(t) in _PLAIN_TENSORS for t in tensors):
        return cast(torch.Tensor, _Conv1dKernels.apply(  # type: ignore[no-untyped-call]
            x, weight, bias, options))
    return cast(torch.Tensor, _conv1d_op(x, weight, bias, *options))


class Conv1d(torch.nn.Conv1d):
    """``torch.nn.Conv1d`` computed by cconv1d, with cconv1d's paddings.

    Same constructor, parameters, ``state_dict`` keys, initialisation and ``repr`` as
    ``torch.nn.Conv1d`` (it is a subclass, so a model can swap the class and load the
    same checkpoint), plus:

    * ``padding``: an int, ``(left, right)``, ``"valid"``, ``"same"`` (also with
      ``stride > 1``: TensorFlow's SAME), ``"full"`` or ``"causal"``;
    * ``padding_mode``: any mode of :func:`cconv1d.pad` (``"zeros"``, ``"reflect"``,
      ``"replicate"``, ``"circular"``, ``"symmetric"``, ``"mean"``, ``"median"``, ...);
    * ``method``: ``"auto"`` (the default), ``"direct"`` or ``"fft"``, the route of the
      forward pass and the gradients (see :func:`conv1d`); an unknown word is refused
      here. Layers made by :func:`convert` take ``"auto"``.

    Like ``torch.nn.Conv1d`` it lives on any device and in any floating dtype; see
    :func:`conv1d` for what the kernels compute and what torch computes. A padding that
    is not a non-negative integer (``(1.5,)``, ``("2",)``, ``(-1,)``) is refused here,
    where ``torch.nn.Conv1d`` refuses it at the first forward call.

    Examples
    --------
    >>> import torch, cconv1d.torch as cct
    >>> ours = cct.Conv1d(3, 5, 4, stride=2, padding="same", padding_mode="symmetric")
    >>> ours
    Conv1d(3, 5, kernel_size=(4,), stride=(2,), padding=same, padding_mode=symmetric)
    >>> ref = torch.nn.Conv1d(3, 5, 4)
    >>> _ = ours.load_state_dict(ref.state_dict())
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | tuple[int],
                 stride: int | tuple[int] = 1, padding: Padding | tuple[int] = 0,
                 dilation: int | tuple[int] = 1, groups: int = 1, bias: bool = True,
                 padding_mode: PadMode = "zeros",
                 device: torch.device | str | None = None,
                 dtype: torch.dtype | None = None, method: Method = "auto") -> None:
        _spec.lookup(padding_mode, "padding_mode")
        if method not in _METHODS:
            raise ValueError(f"method must be one of {', '.join(map(repr, _METHODS))}, "
                             f"got {method!r}")
        # torch's constructor checks only its own paddings and modes: build it with
        # neutral ones, then record ours.
        super().__init__(in_channels, out_channels, kernel_size, stride=stride, padding=0,
                         dilation=dilation, groups=groups, bias=bias,
                         padding_mode="zeros", device=device, dtype=dtype)
        self.padding: tuple[int, ...] | str
        if isinstance(padding, str):
            self.padding = _spec.check_padding(padding)  # validates the word
        elif isinstance(padding, (tuple, list)) and len(padding) == 1:
            self.padding = (_spec.as_int(padding[0], "padding", minimum=0),)
        elif isinstance(padding, (tuple, list)):
            self.padding = tuple(_spec.int_pair(padding, "padding"))
        else:
            self.padding = (_spec.as_int(padding, "padding", minimum=0),)
        # torch annotates padding_mode with its four modes; ours takes every mode of pad
        self.padding_mode = padding_mode  # type: ignore[assignment]
        self.method = method

    # What layers converted in place by convert() (no __init__ of ours) find.
    method: Method = "auto"

    def extra_repr(self) -> str:
        text: str = super().extra_repr()  # type: ignore[no-untyped-call]
        return text if self.method == "auto" else f"{text}, method={self.method!r}"

    def _cc_padding(self) -> Padding:
        if isinstance(self.padding, str):
            return self.padding  # type: ignore[return-value]
        if len(self.padding) == 1:
            return self.padding[0]
        return (self.padding[0], self.padding[1])

    def _conv_forward(self, input: torch.Tensor, weight: torch.Tensor,
                      bias: Optional[torch.Tensor]) -> torch.Tensor:
        # torch.nn.Conv1d's hook for subclasses and wrappers: routed to cconv1d too.
        return conv1d(input, weight, bias, stride=self.stride[0],
                      padding=self._cc_padding(), dilation=self.dilation[0],
                      groups=self.groups, padding_mode=self.padding_mode, method=self.method)

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return self._conv_forward(input, self.weight, self.bias)

    def __prepare_scriptable__(self) -> torch.nn.Conv1d:
        """What ``torch.jit.script`` compiles in this layer's place.

        TorchScript cannot compile cconv1d's Python forward; a layer whose padding
        ``torch.nn.Conv1d`` can express (an int on both sides, ``"valid"``, ``"same"``
        with stride 1; zeros, reflect, replicate or circular padding) is scripted as a
        ``torch.nn.Conv1d`` sharing its parameters. Any other raises ``RuntimeError``
        naming the alternatives (``torch.compile``, ``torch.export``).
        """
        torch_modes: dict[str, Literal["zeros", "reflect", "replicate", "circular"]] = {
            "zeros": "zeros", "zero": "zeros", "constant": "zeros",   # the layer's value is 0
            "reflect": "reflect", "replicate": "replicate", "edge": "replicate",
            "circular": "circular", "wrap": "circular", "periodic": "circular"}
        padding: int | str | None = None
        if isinstance(self.padding, str):
            if self.padding == "valid" or (self.padding == "same" and self.stride[0] == 1):
                padding = self.padding
        elif len(self.padding) == 1 or self.padding[0] == self.padding[1]:
            padding = self.padding[0]
        mode = torch_modes.get(self.padding_mode)
        if padding is None or mode is None:
            raise RuntimeError(
                f"torch.jit.script cannot compile cconv1d.torch.Conv1d with "
                f"padding={self.padding!r}, padding_mode={self.padding_mode!r}, which "
                "torch.nn.Conv1d cannot express; use torch.compile or torch.export (both "
                "trace cconv1d's operator), or a padding torch has")
        scripted = torch.nn.Conv1d(
            self.in_channels, self.out_channels, self.kernel_size[0], stride=self.stride[0],
            padding=padding, dilation=self.dilation[0], groups=self.groups,
            bias=self.bias is not None, padding_mode=mode,
            device=self.weight.device, dtype=self.weight.dtype)
        scripted.weight = self.weight
        scripted.bias = self.bias
        scripted.train(self.training)
        return scripted


def convert(module: _Module) -> _Module:
    """Make every ``torch.nn.Conv1d`` in ``module``'s tree a :class:`Conv1d`, in place.

    Each layer keeps its identity, parameters (the same ``Parameter`` objects, so an
    optimizer built before still updates them), buffers, hooks, device, dtype and
    training mode; only its class changes, so its forward runs cconv1d (or torch's
    conv1d where :func:`conv1d` falls back). Only modules whose class is exactly
    ``torch.nn.Conv1d`` are converted: subclasses (lazy, quantized, parametrized
    layers) are left as they are. ``module`` itself is converted if it is one.

    Parameters
    ----------
    module : torch.nn.Module
        The model (or a single layer).

    Returns
    -------
    torch.nn.Module
        ``module`` itself, converted.

    Examples
    --------
    >>> import torch, cconv1d.torch as cct
    >>> model = torch.nn.Sequential(torch.nn.Conv1d(2, 4, 3, padding=1), torch.nn.ReLU())
    >>> x = torch.randn(5, 2, 30)
    >>> before = model(x)
    >>> cct.convert(model)[0]
    Conv1d(2, 4, kernel_size=(3,), stride=(1,), padding=(1,))
    >>> type(model[0]).__module__, torch.allclose(model(x), before, atol=1e-6)
    ('cconv1d.torch', True)
    """
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"module must be a torch.nn.Module, got {type(module).__name__}")
    for layer in module.modules():
        if type(layer) is torch.nn.Conv1d:
            layer.__class__ = Conv1d
    return module
