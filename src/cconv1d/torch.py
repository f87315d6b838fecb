"""PyTorch drop-in: cconv1d's kernels inside autograd and ``torch.nn`` models.

``import cconv1d`` never imports torch; importing this module does, and raises
``ImportError`` with an install hint when torch is missing.

* :func:`conv1d` is a ``torch.autograd.Function`` whose forward calls
  :func:`cconv1d.conv1d` and whose backward calls :func:`cconv1d.conv1d_backward`,
  sharing memory with the tensors (no copies for contiguous CPU float32/float64).
* :class:`Conv1d` is a ``torch.nn.Conv1d`` (a subclass: same constructor, parameters,
  ``state_dict`` keys, initialisation and ``repr``) that also takes every padding of
  cconv1d (``"causal"``, ``"full"``, ``"same"`` with stride, ``(left, right)``) and every
  ``padding_mode`` of :func:`cconv1d.pad`.

Only CPU float32/float64 tensors are supported; CUDA, complex and other dtypes get a
``TypeError``. Second-order gradients are refused with a ``RuntimeError`` (the
gradients are computed by a function whose own backward raises). ``torch.compile`` works: the compiler treats the function as
an opaque call (a graph break) and runs it eagerly.

Examples
--------
>>> import torch, cconv1d.torch as cct
>>> layer = cct.Conv1d(2, 4, 3, padding="causal", padding_mode="reflect")
>>> y = layer(torch.randn(8, 2, 50))
>>> y.shape
torch.Size([8, 4, 50])
>>> y.sum().backward(); layer.weight.grad.shape
torch.Size([4, 2, 3])
"""

try:
    import torch
except ImportError as exc:  # pragma: no cover - exercised only without torch
    raise ImportError(
        "cconv1d.torch needs PyTorch, which is not installed: pip install torch "
        "(the CPU build is enough)") from exc

import numpy as np

import cconv1d as cc
from cconv1d import _modes

__all__ = ["conv1d", "Conv1d"]

_DTYPES = (torch.float32, torch.float64)


def _check_tensor(t, name):
    if not isinstance(t, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
    if t.device.type != "cpu":
        raise TypeError(f"{name} is on {t.device}; cconv1d.torch supports CPU tensors only "
                        "(move it with .cpu())")
    if t.dtype not in _DTYPES:
        raise TypeError(f"{name} has dtype {t.dtype}; cconv1d.torch supports torch.float32 "
                        "and torch.float64")


def _numpy(t):
    # A detached CPU tensor's numpy view shares its memory: no copy.
    return t.detach().numpy()


_SECOND_ORDER = ("cconv1d.torch.conv1d does not support second-order gradients (grad of "
                 "grad, e.g. a gradient penalty); use torch.nn.functional.conv1d there")


class _Conv1dFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, bias, options):
        ctx.options = options
        ctx.has_bias = bias is not None
        ctx.save_for_backward(x, weight)
        y = cc.conv1d(_numpy(x), _numpy(weight), None if bias is None else _numpy(bias),
                      **options)
        return torch.from_numpy(y)

    @staticmethod
    def backward(ctx, grad_output):
        x, weight = ctx.saved_tensors
        needs = tuple(name for name, wanted in zip(("input", "weight", "bias"),
                                                   ctx.needs_input_grad[:3]) if wanted)
        if not needs:
            return None, None, None, None
        # The gradients come from a Function of their own, so that differentiating them
        # again (create_graph=True) reaches its backward, which refuses clearly instead
        # of silently treating them as constants.
        grads = _Conv1dBackward.apply(grad_output, x, weight, ctx.options, ctx.has_bias,
                                      needs)
        by_name = dict(zip(needs, grads))
        return by_name.get("input"), by_name.get("weight"), by_name.get("bias"), None


class _Conv1dBackward(torch.autograd.Function):
    @staticmethod
    def forward(ctx, grad_output, x, weight, options, has_bias, needs):
        grads = cc.conv1d_backward(_numpy(grad_output), _numpy(x), _numpy(weight),
                                   bias=has_bias, needs=needs, **options)
        return tuple(torch.from_numpy(getattr(grads, name)) for name in needs)

    @staticmethod
    def backward(ctx, *grad_grads):
        raise RuntimeError(_SECOND_ORDER)


def conv1d(x, weight, bias=None, *, stride=1, padding=0, dilation=1, groups=1,
           padding_mode="zeros", pad_value=0.0, flip=False):
    """Differentiable :func:`cconv1d.conv1d` on torch tensors.

    Parameters are those of :func:`cconv1d.conv1d` (without ``out``). ``x``,
    ``weight`` and ``bias`` must be CPU tensors of one dtype, float32 or float64.

    Returns
    -------
    torch.Tensor
        The result; gradients flow to whichever inputs require them, and only those
        are computed.

    Raises
    ------
    TypeError
        CUDA, complex or other dtypes, mixed dtypes, non-tensor inputs.
    RuntimeError
        A second-order gradient (grad of grad, ``create_graph=True`` then backward
        through the gradient) is requested.

    Examples
    --------
    >>> import torch, cconv1d.torch as cct
    >>> x = torch.arange(5.0, dtype=torch.float64).reshape(1, 1, 5).requires_grad_()
    >>> w = torch.tensor([[[1.0, -1.0]]], dtype=torch.float64)
    >>> y = cct.conv1d(x, w)
    >>> y
    tensor([[[-1., -1., -1., -1.]]], dtype=torch.float64, grad_fn=<_Conv1dFunctionBackward>)
    >>> y.sum().backward(); x.grad
    tensor([[[ 1.,  0.,  0.,  0., -1.]]], dtype=torch.float64)
    """
    _check_tensor(x, "x")
    _check_tensor(weight, "weight")
    if bias is not None:
        _check_tensor(bias, "bias")
    dtypes = {t.dtype for t in (x, weight, bias) if t is not None}
    if len(dtypes) > 1:
        raise TypeError(f"x, weight and bias must have one dtype, got "
                        f"{sorted(str(d) for d in dtypes)}")
    options = dict(stride=stride, padding=padding, dilation=dilation, groups=groups,
                   padding_mode=padding_mode, pad_value=pad_value, flip=bool(flip))
    return _Conv1dFunction.apply(x, weight, bias, options)


class Conv1d(torch.nn.Conv1d):
    """``torch.nn.Conv1d`` computed by cconv1d, with cconv1d's paddings.

    Same constructor, parameters, ``state_dict`` keys, initialisation and ``repr`` as
    ``torch.nn.Conv1d`` (it is a subclass, so a model can swap the class and load the
    same checkpoint), plus:

    * ``padding``: an int, ``(left, right)``, ``"valid"``, ``"same"`` (also with
      ``stride > 1``: TensorFlow's SAME), ``"full"`` or ``"causal"``;
    * ``padding_mode``: any mode of :func:`cconv1d.pad` (``"zeros"``, ``"reflect"``,
      ``"replicate"``, ``"circular"``, ``"symmetric"``, ``"mean"``, ``"median"``, ...).

    Examples
    --------
    >>> import torch, cconv1d.torch as cct
    >>> ours = cct.Conv1d(3, 5, 4, stride=2, padding="same", padding_mode="symmetric")
    >>> ours
    Conv1d(3, 5, kernel_size=(4,), stride=(2,), padding=same, padding_mode=symmetric)
    >>> ref = torch.nn.Conv1d(3, 5, 4)
    >>> _ = ours.load_state_dict(ref.state_dict())
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 dilation=1, groups=1, bias=True, padding_mode="zeros", device=None,
                 dtype=None):
        _modes.lookup(padding_mode, "padding_mode")
        # torch's constructor checks only its own paddings and modes: build it with
        # neutral ones, then record ours.
        super().__init__(in_channels, out_channels, kernel_size, stride=stride, padding=0,
                         dilation=dilation, groups=groups, bias=bias,
                         padding_mode="zeros", device=device, dtype=dtype)
        if isinstance(padding, str):
            cc.functional.conv1d_geometry(1, 1, 1, padding, 1)  # validates the word
            self.padding = padding
        elif isinstance(padding, (tuple, list)) and len(padding) == 1:
            self.padding = (int(padding[0]),)
        elif isinstance(padding, (tuple, list)):
            self.padding = tuple(int(p) for p in cc._validation.int_pair(padding, "padding"))
        else:
            self.padding = (cc._validation.as_int(padding, "padding", minimum=0),)
        self.padding_mode = padding_mode
        if self.weight.device.type != "cpu":
            raise TypeError("cconv1d.torch.Conv1d supports CPU parameters only")

    def _cc_padding(self):
        if isinstance(self.padding, str):
            return self.padding
        if len(self.padding) == 1:
            return self.padding[0]
        return tuple(self.padding)

    def _conv_forward(self, input, weight, bias):
        # torch.nn.Conv1d's hook for subclasses and wrappers: routed to cconv1d too.
        return conv1d(input, weight, bias, stride=self.stride[0],
                      padding=self._cc_padding(), dilation=self.dilation[0],
                      groups=self.groups, padding_mode=self.padding_mode)

    def forward(self, input):
        return self._conv_forward(input, self.weight, self.bias)
