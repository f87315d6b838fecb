"""Independent reference implementations for the gradient, layer and optimizer tests.

Nothing here imports :mod:`cconv1d`.  The helpers only wrap oracles we did not write:

* PyTorch autograd through ``torch.nn.functional.pad`` + ``torch.nn.functional.conv1d``
  for the padding modes PyTorch has;
* ``numpy.pad`` / ``pywt.pad`` + ``torch.nn.functional.conv1d`` as the forward pass of
  the modes PyTorch lacks, differentiated by central finite differences;
* the padding arithmetic of ``"same"`` / ``"causal"`` / ``"full"`` written out from the
  contract (API.md §4), so ``cconv1d.functional.conv1d_geometry`` is not reused.
"""

import math

import numpy as np
import pywt
import torch
import torch.nn.functional as F

from oracles import NUMPY_PAD_MODES, PYWT_PAD_MODES, explicit_padding  # noqa: F401

__all__ = [
    "TORCH_PAD_MODES",
    "NUMPY_PAD_MODES",
    "PYWT_PAD_MODES",
    "explicit_padding",
    "output_length",
    "torch_conv1d_grads",
    "oracle_pad",
    "oracle_conv1d",
    "central_fd_grad",
    "fd_conv1d_grads",
    "float32_bound",
]

#: cconv1d padding_mode name -> torch.nn.functional.pad mode.
TORCH_PAD_MODES = {
    "zeros": "constant",
    "reflect": "reflect",
    "replicate": "replicate",
    "edge": "replicate",
    "circular": "circular",
    "wrap": "circular",
}

def output_length(length, kernel_size, stride, left, right, dilation):
    return (length + left + right - dilation * (kernel_size - 1) - 1) // stride + 1


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
    mode = TORCH_PAD_MODES[padding_mode]
    if left or right:
        xp = F.pad(xt, (left, right), mode=mode) if mode != "constant" else \
            F.pad(xt, (left, right), mode="constant", value=0.0)
    else:
        xp = xt
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


def oracle_pad(x, padding, mode, value=0.0):
    """Pad the last axis of ``x`` with ``numpy.pad`` (or ``pywt.pad``), row by row.

    ``value`` is the constant of ``constant`` and the end value of ``linear_ramp``;
    statistic modes use the whole signal.
    """
    left, right = padding
    x = np.asarray(x, dtype=np.float64)
    rows = x.reshape(-1, x.shape[-1])
    out = np.empty((rows.shape[0], left + rows.shape[1] + right))
    for i, row in enumerate(rows):
        if mode in PYWT_PAD_MODES:
            if mode == "smooth" and row.size == 1:
                out[i] = np.pad(row, (left, right), mode="edge")   # API.md §2
            else:
                # pywt.pad mishandles a zero width on one side (slices [-0:]), so pad one
                # more sample on each side and crop it: each pad sample depends only on
                # its distance from the end.
                out[i] = pywt.pad(row, (left + 1, right + 1), mode)[1:-1]
            continue
        np_mode = NUMPY_PAD_MODES[mode]
        kwargs = {}
        if np_mode == "constant":
            kwargs["constant_values"] = 0.0 if mode == "zeros" else value
        elif np_mode == "linear_ramp":
            kwargs["end_values"] = value
        out[i] = np.pad(row, (left, right), mode=np_mode, **kwargs)
    return out.reshape(x.shape[:-1] + (out.shape[-1],))


def oracle_conv1d(x, w, b=None, *, stride=1, padding=(0, 0), dilation=1, groups=1,
                  padding_mode="zeros", pad_value=0.0, flip=False):
    """Float64 forward pass: oracle padding, then ``torch.nn.functional.conv1d``."""
    x3, batched = _batch3(x)
    xp = oracle_pad(x3, padding, padding_mode, pad_value)
    wt = torch.from_numpy(np.array(w, dtype=np.float64))
    if flip:
        wt = wt.flip(-1)
    bt = None if b is None else torch.from_numpy(np.array(b, dtype=np.float64))
    y = F.conv1d(torch.from_numpy(xp), wt, bt, stride=stride, dilation=dilation,
                 groups=groups).numpy()
    return y if batched else y[0]


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
    """dL/dx, dL/dW, dL/db of ``L = sum(oracle_conv1d(x, w, b, **kwargs) * g)`` by
    central finite differences (float64)."""
    g = np.asarray(g, dtype=np.float64)

    def loss(xx, ww, bb):
        return float(np.sum(oracle_conv1d(xx, ww, bb, **kwargs) * g))

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
