"""Gradient references for the cconv1d test-suite.

Nothing here imports :mod:`cconv1d`. The helpers only wrap oracles we did not write, or
generic numerical tools:

* PyTorch autograd through ``F.pad`` + ``F.conv1d`` for the padding modes PyTorch has
  (:data:`oracles_padding.TORCH_PAD_MODES`);
* central finite differences of :func:`oracles_conv.conv1d_torch` (``numpy.pad`` /
  ``pywt.pad`` + ``F.conv1d``) for the modes PyTorch lacks;
* exact Jacobians of affine maps from unit vectors, finite-difference Jacobians, and the
  subgradient contract of the order-statistic padding modes;
* :func:`float32_bound`, the classic summation error bound used to derive float32
  tolerances.
"""

import numpy as np
import torch
import torch.nn.functional as F

from oracles_conv import conv1d_torch
from oracles_padding import torch_pad

__all__ = [
    "torch_conv1d_grads",
    "central_fd_grad",
    "fd_conv1d_grads",
    "float32_bound",
    "jacobian_unit_vectors",
    "jacobian_central_fd",
    "order_stat_weights",
    "order_pad_backward",
]


def _batch3(a):
    a = np.asarray(a)
    return (a, True) if a.ndim == 3 else (a[None], False)


def torch_conv1d_grads(x, w, b, g, *, stride=1, padding=(0, 0), dilation=1, groups=1,
                       padding_mode="zeros", flip=False, dtype=torch.float64):
    """Forward output and gradients by autograd through ``F.pad`` + ``F.conv1d``.

    ``x`` is ``(N, C, L)`` or ``(C, L)``, ``padding`` an explicit ``(left, right)``,
    ``b`` an array or None, ``g`` the upstream gradient (same shape as the output).
    ``flip=True`` is done with ``weight.flip(-1)``.  Returns numpy arrays
    ``(y, dx, dw, db)`` (``db`` None without bias) in the dtype of ``dtype``.
    """
    x3, batched = _batch3(x)
    xt = torch.tensor(np.array(x3), dtype=dtype, requires_grad=True)
    wt = torch.tensor(np.array(w), dtype=dtype, requires_grad=True)
    bt = None if b is None else torch.tensor(np.array(b), dtype=dtype, requires_grad=True)
    left, right = padding
    xp = torch_pad(xt, left, right, padding_mode)
    weight = wt.flip(-1) if flip else wt
    y = F.conv1d(xp, weight, bt, stride=stride, dilation=dilation, groups=groups)
    g3 = np.asarray(g)
    if not batched:
        g3 = g3[None]
    y.backward(torch.tensor(np.array(g3), dtype=dtype))
    out_y = y.detach().numpy()
    dx = xt.grad.numpy()
    if not batched:
        out_y, dx = out_y[0], dx[0]
    db = None if bt is None else bt.grad.numpy()
    return out_y, dx, wt.grad.numpy(), db


def central_fd_grad(fun, arr, eps=1e-6):
    """Central finite-difference gradient of the scalar ``fun(arr)`` w.r.t. ``arr``."""
    arr = np.array(arr, dtype=np.float64)
    grad = np.empty_like(arr)
    flat = arr.reshape(-1)
    gflat = grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        up = fun(arr)
        flat[i] = old - eps
        down = fun(arr)
        flat[i] = old
        gflat[i] = (up - down) / (2 * eps)
    return grad


def fd_conv1d_grads(x, w, b, g, eps=1e-6, **kwargs):
    """dL/dx, dL/dW, dL/db of ``L = sum(conv1d_torch(x, w, b, **kwargs)[0] * g)`` by
    central finite differences (float64)."""
    g = np.asarray(g, dtype=np.float64)

    def loss(xx, ww, bb):
        return float(np.sum(conv1d_torch(xx, ww, bb, **kwargs)[0] * g))

    dx = central_fd_grad(lambda a: loss(a, w, b), x, eps)
    dw = central_fd_grad(lambda a: loss(x, a, b), w, eps)
    db = None if b is None else central_fd_grad(lambda a: loss(x, w, a), b, eps)
    return dx, dw, db


def float32_bound(x, w, b, g, n_terms, **kwargs):
    """Per-entry error bounds ``(y, dx, dw, db)`` for a float32 computation whose inputs
    are exactly representable in float32: ``(n_terms + 2) * eps32 * sum|terms|``, the
    classic bound for any summation order.  ``sum|terms|`` is autograd run on ``|x|``,
    ``|w|``, ``|g|`` (PyTorch's pad modes only copy samples, so ``|pad(x)| = pad(|x|)``).
    """
    absb = None if b is None else np.abs(b)
    y, dx, dw, db = torch_conv1d_grads(np.abs(x), np.abs(w), absb, np.abs(g), **kwargs)
    c = (n_terms + 2) * float(np.finfo(np.float32).eps)
    tiny = 1e-30
    return (c * y + tiny, c * dx + tiny, c * dw + tiny,
            None if db is None else c * db + tiny)


def jacobian_unit_vectors(func, length, dtype=np.float64):
    """Exact Jacobian of an affine map ``func: R^length -> R^m``.

    ``J[:, i] = func(e_i) - func(0)``.  ``func`` must map along the last
    axis (it is called once on a stacked batch of unit vectors).
    """
    batch = np.concatenate([np.zeros((1, length), dtype=dtype),
                            np.eye(length, dtype=dtype)])
    f = np.asarray(func(batch), dtype=dtype)
    return (f[1:] - f[0]).T


def jacobian_central_fd(func, x, eps=1e-4):
    """Central finite-difference Jacobian of ``func`` at ``x``.

    ``x`` has shape ``(..., n)``; the result has shape ``(..., m, n)`` (one
    Jacobian per row).  ``func`` must map along the last axis; it is called
    once on the stacked batch of perturbed points.
    """
    x = np.asarray(x, dtype=np.float64)
    n = x.shape[-1]
    step = eps * np.eye(n)
    xr = x[..., None, :]
    batch = np.concatenate([xr + step, xr - step], axis=-2)
    f = np.asarray(func(batch), dtype=np.float64)
    d = (f[..., :n, :] - f[..., n:, :]) / (2 * eps)
    return np.swapaxes(d, -1, -2)


def order_stat_weights(window, mode):
    """Subgradient weights of median/minimum/maximum of a 1-D ``window``.

    This encodes the *contract* (there is no external oracle for ties):
    every selected order statistic carries a weight (1 for min/max/odd
    median, 1/2 for each of the two middle values of an even-count median)
    that is split equally among all samples equal to its value.
    """
    w = np.asarray(window, dtype=np.float64)
    n = w.size
    if mode == "minimum":
        picks = [(w.min(), 1.0)]
    elif mode == "maximum":
        picks = [(w.max(), 1.0)]
    elif mode == "median":
        s = np.sort(w)
        if n % 2:
            picks = [(s[n // 2], 1.0)]
        else:
            picks = [(s[n // 2 - 1], 0.5), (s[n // 2], 0.5)]
    else:
        raise ValueError(mode)
    out = np.zeros(n)
    for val, weight in picks:
        mask = w == val
        out[mask] += weight / mask.sum()
    return out


def order_pad_backward(grad, x, left, right, mode, stat_length=None):
    """Reference pad_backward for median/minimum/maximum (2-D, row-wise)."""
    grad = np.asarray(grad, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    L = x.shape[-1]
    if stat_length is None or np.ndim(stat_length) == 0:
        sl = sr = stat_length
    else:
        sl, sr = stat_length
    sl = L if sl is None else min(int(sl), L)
    sr = L if sr is None else min(int(sr), L)
    out = np.empty(x.shape)
    for i in range(x.shape[0]):
        g = grad[i]
        out[i] = g[left:left + L]
        out[i, :sl] += g[:left].sum() * order_stat_weights(x[i, :sl], mode)
        out[i, L - sr:] += (g[left + L:].sum()
                            * order_stat_weights(x[i, L - sr:], mode))
    return out
