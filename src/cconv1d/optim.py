"""Stochastic gradient descent with ``torch.optim.SGD``'s update rule."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["SGD"]


class SGD:
    """Stochastic gradient descent, optionally with momentum and weight decay.

    For each parameter ``p`` with gradient ``g`` (exactly ``torch.optim.SGD``)::

        g = g + weight_decay * p
        b = g                                   (first step)
        b = momentum * b + (1 - dampening) * g  (later steps)
        g = g + momentum * b if nesterov else b (when momentum != 0)
        p = p - lr * g                          (p + lr * g with maximize)

    Parameters
    ----------
    params : iterable
        ``(name, parameter, gradient)`` triples as returned by
        :meth:`cconv1d.Conv1d.parameters` (lists of several layers may be added
        together), or ``(parameter, gradient)`` pairs. Parameters are updated in place,
        so they must be writeable floating-point arrays (an integer array would
        truncate every update; ``TypeError``). Gradients are read at every step, so
        they must be real numpy arrays (or ``None`` to skip the parameter); a complex
        one is a ``TypeError`` rather than a cast that drops its imaginary part.
    lr : float
        Learning rate (>= 0).
    momentum, dampening, weight_decay : float, optional
        As in PyTorch (each >= 0).
    nesterov : bool, optional
        Nesterov momentum (needs ``momentum > 0`` and ``dampening == 0``).
    maximize : bool, optional
        Ascend instead of descending.

    Examples
    --------
    >>> import numpy as np, cconv1d as cc
    >>> w = np.array([1.0, 2.0]); g = np.array([0.5, -1.0])
    >>> opt = cc.SGD([("w", w, g)], lr=0.1, momentum=0.9)
    >>> opt.step(); w
    array([0.95, 2.1 ])
    >>> opt.step(); w          # the momentum buffer is now 1.9 * g
    array([0.855, 2.29 ])
    >>> opt.zero_grad(); g
    array([0., 0.])
    """

    params: list[tuple[NDArray[Any], NDArray[Any] | None]]
    _buffers: list[NDArray[Any] | None]

    def __init__(self, params: Iterable[Sequence[Any]], lr: float = 0.01,
                 momentum: float = 0.0, dampening: float = 0.0, weight_decay: float = 0.0,
                 nesterov: bool = False, maximize: bool = False) -> None:
        for name, value in (("lr", lr), ("momentum", momentum), ("dampening", dampening),
                            ("weight_decay", weight_decay)):
            if not isinstance(value, (int, float, np.floating, np.integer)) or value < 0:
                raise ValueError(f"{name} must be a number >= 0, got {value!r}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("nesterov momentum requires momentum > 0 and dampening == 0")
        self.lr = float(lr)
        self.momentum = float(momentum)
        self.dampening = float(dampening)
        self.weight_decay = float(weight_decay)
        self.nesterov = bool(nesterov)
        self.maximize = bool(maximize)
        self.params = []
        for index, item in enumerate(params):
            if len(item) == 3:
                label, param, grad = item
                label = f"parameter {label!r}"
            elif len(item) == 2:
                param, grad = item
                label = f"parameter {index}"
            else:
                raise ValueError("params must hold (name, parameter, gradient) triples or "
                                 f"(parameter, gradient) pairs, got {len(item)} items")
            if not isinstance(param, np.ndarray) or not param.flags.writeable:
                raise TypeError("each parameter must be a writeable numpy array")
            if param.dtype.kind != "f":
                # An in-place update of an integer array truncates it silently, and one
                # of bool or complex is not what torch.optim.SGD does either.
                raise TypeError(f"params: {label} must be a real floating array (float16, "
                                f"float32 or float64), got dtype {param.dtype}")
            if grad is not None and (not isinstance(grad, np.ndarray)
                                     or grad.dtype.kind not in "biuf"):
                # Gradients are read at every step: a complex one would lose its
                # imaginary part there with only a ComplexWarning.
                raise TypeError(f"params: the gradient of {label} must be a real numpy "
                                f"array, got {type(grad).__name__}"
                                + (f" of dtype {grad.dtype}" if hasattr(grad, "dtype") else ""))
            if grad is not None and np.shape(grad) != param.shape:
                raise ValueError(f"gradient shape {np.shape(grad)} does not match "
                                 f"parameter shape {param.shape}")
            self.params.append((param, grad))
        if not self.params:
            raise ValueError("params is empty: nothing to optimise")
        self._buffers = [None] * len(self.params)

    def step(self) -> None:
        """Apply one update to every parameter (in place)."""
        for index, (param, grad) in enumerate(self.params):
            if grad is None:
                continue
            g = -grad if self.maximize else grad
            if self.weight_decay:
                g = g + self.weight_decay * param
            if self.momentum:
                buf = self._buffers[index]
                if buf is None:
                    buf = self._buffers[index] = np.array(g, dtype=param.dtype, copy=True)
                else:
                    buf *= self.momentum
                    buf += (1.0 - self.dampening) * g
                g = g + self.momentum * buf if self.nesterov else buf
            param -= (self.lr * g).astype(param.dtype, copy=False)

    def zero_grad(self) -> None:
        """Set every gradient to zero (in place)."""
        for _, grad in self.params:
            if grad is not None:
                grad[...] = 0
