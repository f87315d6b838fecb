"""A trainable 1-D convolution layer with PyTorch's parameters, initialisation and state."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import DTypeLike, NDArray

from cconv1d import _spec
from cconv1d._typing import ArrayLike, FloatArray, Method, Padding, PaddingWord, PadMode
from cconv1d.functional import conv1d, conv1d_backward
from cconv1d.stream import conv1d_stream

__all__ = ["Conv1d"]


def _real_array(value: Any, name: str, dtype: np.dtype[Any]) -> FloatArray:
    """``value`` as an array of the layer's ``dtype``: real numbers (bool, integer or
    floating, any width) are cast as ``torch.nn.Module.to`` would; complex, string and
    object input is a ``TypeError``, as it is for :func:`cconv1d.conv1d`, rather than a
    cast that drops the imaginary part or parses text."""
    arr = _spec.as_array(value, name)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name}: dtype {arr.dtype} is not supported by Conv1d; expected a "
                        f"real array (it is cast to the layer's {dtype})")
    if arr.dtype != dtype:
        arr = arr.astype(dtype)
    out: FloatArray = arr
    return out


def _as_generator(rng: np.random.Generator | int | None) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng(rng)


class Conv1d:
    """1-D convolution layer: ``y = conv1d(x, weight, bias, ...)`` with learnable
    ``weight`` and ``bias``, like ``torch.nn.Conv1d``.

    Parameters
    ----------
    in_channels, out_channels : int
        ``C_in`` and ``C_out``; both divisible by ``groups``.
    kernel_size : int
        Taps ``K``.
    stride, padding, dilation, groups, padding_mode
        As for :func:`cconv1d.conv1d` (every padding and padding mode of it).
    bias : bool, optional
        Learn an additive bias per output channel.

        The arguments up to ``padding_mode`` may be given by position, in
        ``torch.nn.Conv1d``'s order; ``dtype`` and ``rng`` are keyword-only.
    dtype : numpy dtype, optional
        float32 (default) or float64.
    rng : numpy.random.Generator or int, optional
        Source of the initial weights, for reproducible runs.
    method : {"auto", "direct", "fft"}, optional
        The route of the forward and backward passes, as for :func:`cconv1d.conv1d`:
        ``"auto"`` (the default) takes the FFT for long kernels where it is faster.

    Attributes
    ----------
    weight : numpy.ndarray
        ``(C_out, C_in // groups, K)``, initialised uniform in ``±1/sqrt(C_in/groups*K)``
        as PyTorch does (its Kaiming-uniform with ``a = sqrt(5)``); so is ``bias``.
    bias : numpy.ndarray or None
    grad_weight, grad_bias : numpy.ndarray or None
        Accumulated gradients, same shapes; summed over calls of :meth:`backward` until
        :meth:`zero_grad`, as in PyTorch.

    Notes
    -----
    ``layer(x)`` keeps a reference to ``x`` for :meth:`backward` (no copy): do not
    modify ``x`` in place between the two. The optimiser updates ``weight`` and
    ``bias`` in place, and gradients are accumulated in place, so references handed
    out by :meth:`parameters` stay valid.

    Examples
    --------
    >>> import numpy as np, cconv1d as cc
    >>> layer = cc.Conv1d(2, 3, 5, padding="same", rng=0)
    >>> x = np.ones((4, 2, 16), dtype=np.float32)
    >>> y = layer(x)
    >>> y.shape
    (4, 3, 16)
    >>> dx = layer.backward(np.ones_like(y))
    >>> dx.shape, layer.grad_weight.shape, layer.grad_bias.tolist()
    ((4, 2, 16), (3, 2, 5), [64.0, 64.0, 64.0])
    """

    weight: FloatArray
    bias: FloatArray | None
    grad_weight: FloatArray
    grad_bias: FloatArray | None
    padding: tuple[int, int] | PaddingWord
    _input: NDArray[Any] | None
    # The stream's carried input, batched (N, C_in, span), and whether the stream's
    # chunks are batched: set by the first stream() call (absent before it), the state
    # cleared by reset_stream().
    _stream_state: FloatArray | None
    _stream_batched: bool

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int,
                 stride: int = 1, padding: Padding = 0, dilation: int = 1, groups: int = 1,
                 bias: bool = True, padding_mode: PadMode = "zeros", *,
                 dtype: DTypeLike = np.float32,
                 rng: np.random.Generator | int | None = None,
                 method: Method = "auto") -> None:
        self.in_channels = _spec.as_int(in_channels, "in_channels", minimum=1)
        self.out_channels = _spec.as_int(out_channels, "out_channels", minimum=1)
        self.kernel_size = _spec.one_int(kernel_size, "kernel_size", minimum=1)
        self.stride = _spec.one_int(stride, "stride", minimum=1)
        self.dilation = _spec.one_int(dilation, "dilation", minimum=1)
        self.groups = _spec.as_int(groups, "groups", minimum=1)
        if self.in_channels % self.groups:
            raise ValueError(f"groups={self.groups} must divide in_channels={self.in_channels}")
        if self.out_channels % self.groups:
            raise ValueError(f"groups={self.groups} must divide out_channels="
                             f"{self.out_channels}")
        # Checked here so a typo fails at construction, not at the first call.
        self.padding = (_spec.check_padding(padding) if isinstance(padding, str)
                        else _spec.int_pair(padding, "padding"))
        _spec.lookup(padding_mode, "padding_mode")
        self.padding_mode = padding_mode
        if method not in ("auto", "direct", "fft"):
            raise ValueError(f"method must be one of 'auto', 'direct', 'fft', got {method!r}")
        self.method = method
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise TypeError(f"dtype must be float32 or float64, got {self.dtype}")
        gen = _as_generator(rng)
        fan_in = self.in_channels // self.groups * self.kernel_size
        bound = 1.0 / math.sqrt(fan_in)
        shape = (self.out_channels, self.in_channels // self.groups, self.kernel_size)
        self.weight = gen.uniform(-bound, bound, size=shape).astype(self.dtype)
        self.grad_weight = np.zeros_like(self.weight)
        if bias:
            self.bias = gen.uniform(-bound, bound, size=self.out_channels).astype(self.dtype)
            self.grad_bias = np.zeros_like(self.bias)
        else:
            self.bias = None
            self.grad_bias = None
        self._input = None

    def _kwargs(self) -> dict[str, Any]:
        return dict(stride=self.stride, padding=self.padding, dilation=self.dilation,
                    groups=self.groups, padding_mode=self.padding_mode)

    def forward(self, x: ArrayLike) -> FloatArray:
        """``conv1d`` of ``x`` (``(N, C_in, L)`` or ``(C_in, L)``); keeps ``x`` for backward.
        Real input of another dtype is cast to the layer's; complex input is a TypeError."""
        x = _real_array(x, "x", self.dtype)
        y: FloatArray = conv1d(x, self.weight, self.bias, method=self.method,
                               **self._kwargs())
        self._input = x
        return y

    __call__ = forward

    def backward(self, grad_output: ArrayLike) -> FloatArray:
        """Return dL/dx for the last forward input; add dL/dweight, dL/dbias into
        ``grad_weight`` and ``grad_bias``."""
        if self._input is None:
            raise RuntimeError("Conv1d.backward called before a forward pass")
        grads = conv1d_backward(_real_array(grad_output, "grad_output", self.dtype), self._input,
                                self.weight, bias=self.bias is not None,
                                method=self.method, **self._kwargs())
        # needs= was left at its default (every gradient): none of them is None.
        assert grads.input is not None and grads.weight is not None
        self.grad_weight += grads.weight
        if self.bias is not None:
            assert self.grad_bias is not None and grads.bias is not None
            self.grad_bias += grads.bias
        return grads.input

    def stream(self, x: ArrayLike) -> FloatArray:
        """Causal forward of the next chunk of a stream (inference): ``x`` is
        ``(N, C_in, T)`` or ``(C_in, T)``, ``T >= 0``; the layer carries the last
        ``dilation*(K-1)`` input samples between calls (see
        :func:`cconv1d.conv1d_stream`), so the concatenated outputs equal ``layer(x_all)``.

        Needs a causal configuration: ``stride=1``, ``padding="causal"`` (or
        ``(dilation*(K-1), 0)``) and zero padding (``padding_mode`` ``"zeros"`` or
        ``"constant"``); anything else raises ``ValueError``, since a non-causal layer
        needs samples that have not arrived yet. The batch and channel counts are fixed
        by the first chunk until :meth:`reset_stream`. Nothing is kept for
        :meth:`backward`.

        Examples
        --------
        >>> import numpy as np, cconv1d as cc
        >>> layer = cc.Conv1d(1, 2, 3, padding="causal", dilation=2, rng=0)
        >>> x = np.linspace(-1, 1, 10, dtype=np.float32).reshape(1, 1, 10)
        >>> chunks = [layer.stream(x[..., i:i + 4]) for i in range(0, 10, 4)]
        >>> bool(np.allclose(np.concatenate(chunks, axis=-1), layer(x)))
        True
        >>> layer.reset_stream()
        """
        span = self.dilation * (self.kernel_size - 1)
        left, right, _ = _spec.conv1d_geometry(1, self.kernel_size, 1, self.padding,
                                               self.dilation)
        if (self.stride != 1 or (left, right) != (span, 0)
                or not (self.padding_mode in _spec.ZEROS or self.padding_mode == "constant")):
            raise ValueError(
                "Conv1d.stream needs a causal layer: stride=1, padding='causal' (or "
                f"({span}, 0)) and padding_mode 'zeros'; this layer has stride="
                f"{self.stride}, padding={self.padding!r}, padding_mode="
                f"{self.padding_mode!r}")
        x = _real_array(x, "x", self.dtype)
        state: FloatArray | None = getattr(self, "_stream_state", None)
        if state is not None:
            # The carried state is kept batched, (N, C_in, span), with a flag.
            want = state.shape[:-1] if self._stream_batched else state.shape[1:-1]
            if (x.ndim == 3) != self._stream_batched or x.shape[:-1] != want:
                raise ValueError(
                    f"x has shape {x.shape}, but the stream in progress takes chunks of "
                    f"shape {want + ('T',)}; call reset_stream() to start a new stream")
        y, new_state = conv1d_stream(x, self.weight, self.bias, state=(
            None if state is None else (state if self._stream_batched else state[0])),
            dilation=self.dilation, groups=self.groups)
        self._stream_batched = x.ndim == 3
        self._stream_state = new_state if x.ndim == 3 else new_state[None]
        return y

    def reset_stream(self) -> None:
        """Forget the stream's carried input: the next :meth:`stream` call starts from
        zeros (the causal padding), with any batch size."""
        self._stream_state = None

    def zero_grad(self) -> None:
        """Reset the accumulated gradients to zero (in place)."""
        self.grad_weight[...] = 0
        if self.grad_bias is not None:
            self.grad_bias[...] = 0

    def parameters(self) -> list[tuple[str, FloatArray, FloatArray]]:
        """``[(name, parameter, gradient), ...]`` for :class:`cconv1d.SGD`."""
        params = [("weight", self.weight, self.grad_weight)]
        if self.bias is not None and self.grad_bias is not None:   # set together
            params.append(("bias", self.bias, self.grad_bias))
        return params

    def state_dict(self) -> dict[str, FloatArray]:
        """Copies of the parameters under ``torch.nn.Conv1d``'s keys."""
        state = {"weight": self.weight.copy()}
        if self.bias is not None:
            state["bias"] = self.bias.copy()
        return state

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Load parameters (in place) from :meth:`state_dict` or a ``torch.nn.Conv1d``
        state dict, its tensors given directly (any device or float dtype, bfloat16
        included; ``requires_grad`` is fine) or converted with ``.numpy()``; keys and
        shapes must match exactly. Values are cast to the layer's dtype."""
        expected = {"weight"} | ({"bias"} if self.bias is not None else set())
        keys = set(state_dict)
        if keys != expected:
            raise ValueError(f"state_dict has keys {sorted(keys)}, expected {sorted(expected)}")
        checked = []
        for name, target in (("weight", self.weight), ("bias", self.bias)):
            if target is None:
                continue
            value = state_dict[name]
            if hasattr(value, "detach"):  # a torch tensor (or Parameter) passed directly
                value = value.detach().cpu()
                if value.dtype.is_complex:
                    raise TypeError(f"state_dict[{name!r}]: dtype {value.dtype} is not "
                                    "supported; expected a real tensor")
                if not value.dtype.is_floating_point or value.dtype.itemsize < 4:
                    # NumPy has no bfloat16: go through the layer's own float dtype.
                    value = value.double()
                value = value.numpy()
            value = _real_array(value, f"state_dict[{name!r}]", target.dtype)
            if value.shape != target.shape:
                raise ValueError(f"state_dict[{name!r}] has shape {value.shape}, "
                                 f"expected {target.shape}")
            checked.append((target, value))
        # Everything was checked first: a bad entry leaves the layer unchanged.
        for target, value in checked:
            target[...] = value

    def __repr__(self) -> str:
        parts = [f"{self.in_channels}, {self.out_channels}",
                 f"kernel_size=({self.kernel_size},)", f"stride=({self.stride},)"]
        if self.padding != (0, 0):
            pad: tuple[int, ...] | str = self.padding
            if isinstance(pad, tuple) and pad[0] == pad[1]:
                pad = (pad[0],)
            parts.append(f"padding={pad!r}")
        if self.dilation != 1:
            parts.append(f"dilation=({self.dilation},)")
        if self.groups != 1:
            parts.append(f"groups={self.groups}")
        if self.bias is None:
            parts.append("bias=False")
        if self.padding_mode != "zeros":
            parts.append(f"padding_mode={self.padding_mode!r}")
        return f"Conv1d({', '.join(parts)})"
