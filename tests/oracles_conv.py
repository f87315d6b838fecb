"""Independent float64 references for the forward convolutions of cconv1d.

Nothing here imports :mod:`cconv1d`. The references are written straight from the
equations of API.md section 4; padding comes from :mod:`oracles_padding` (``numpy.pad``,
``pywt.pad``, or PyTorch's ``F.pad`` where asked).

    conv1d:            y[n, o, j] = b[o] + sum_c sum_k w[o, c, k] * xp[n, g(o)+c, j*s + k*d]
    conv_transpose1d:  y[n, g*Cog + oc, i*s + k*d - left]
                           += x[n, g*Cig + ci, i] * w[g*Cig + ci, oc, k]
"""

import numpy as np

from oracles_padding import (ALL_PADDING_MODES, NUMPY_PAD_MODES,  # noqa: F401
                             PYWT_PAD_MODES, TORCH_PAD_MODES, pad_last, pad_row, torch_pad)

__all__ = [
    "ALL_PADDING_MODES",
    "NUMPY_PAD_MODES",
    "PYWT_PAD_MODES",
    "TORCH_PAD_MODES",
    "explicit_padding",
    "conv1d_out_length",
    "transpose_out_length",
    "pad_row",
    "pad_last",
    "torch_pad",
    "conv1d_ref",
    "conv1d_torch",
    "conv_transpose1d_ref",
]


def explicit_padding(padding, length, k, stride=1, dilation=1):
    """``(left, right)`` of a ``conv1d`` padding argument, written from API.md section 4."""
    span = dilation * (k - 1)
    if isinstance(padding, str):
        if padding == "valid":
            return 0, 0
        if padding == "full":
            return span, span
        if padding == "causal":
            return span, 0
        if padding == "same":
            l_out = -(-length // stride)          # ceil(L / stride)
            total = max((l_out - 1) * stride + span + 1 - length, 0)
            return total // 2, total - total // 2  # odd sample on the right
        raise ValueError(padding)
    if np.ndim(padding) == 0:
        return int(padding), int(padding)
    left, right = padding
    return int(left), int(right)


def conv1d_out_length(length, k, stride, dilation, left, right):
    """floor((L + left + right - d*(K-1) - 1) / s) + 1 (may be < 1)."""
    return (length + left + right - dilation * (k - 1) - 1) // stride + 1


def transpose_out_length(length, k, stride, dilation, left, right, output_padding):
    """(L-1)*s - left - right + d*(K-1) + output_padding + 1."""
    return (length - 1) * stride - left - right + dilation * (k - 1) + output_padding + 1


def conv1d_ref(x, w, b=None, *, stride=1, padding=0, dilation=1, groups=1,
               padding_mode="zeros", pad_value=0.0, flip=False):
    """Float64 conv1d (cross-correlation) from the defining sum: a loop over every output
    channel and position, the sum over (c, k) of one window written out by ``einsum``."""
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    unbatched = x.ndim == 2
    if unbatched:
        x = x[None]
    if flip:
        w = w[..., ::-1]
    n_batch, c_in, length = x.shape
    c_out, c_per_group, k_size = w.shape
    assert c_in % groups == 0 and c_out % groups == 0 and c_per_group == c_in // groups
    o_per_group = c_out // groups
    left, right = explicit_padding(padding, length, k_size, stride, dilation)
    l_out = conv1d_out_length(length, k_size, stride, dilation, left, right)
    assert l_out >= 1, l_out
    xp = pad_last(x, left, right, padding_mode, pad_value)
    y = np.zeros((n_batch, c_out, l_out))
    for o in range(c_out):
        first = (o // o_per_group) * c_per_group   # g(o)
        for j in range(l_out):
            window = xp[:, first:first + c_per_group,
                        j * stride: j * stride + dilation * (k_size - 1) + 1: dilation]
            y[:, o, j] = np.einsum("nck,ck->n", window, w[o])
    if b is not None:
        y += np.asarray(b, dtype=np.float64)[None, :, None]
    return y[0] if unbatched else y


def conv1d_torch(x, w, b=None, *, stride=1, padding=0, dilation=1, groups=1,
                 padding_mode="zeros", pad_value=0.0, flip=False, torch_padding=False):
    """Float64 conv1d: pad by the padding oracle, then ``torch.nn.functional.conv1d``.

    ``torch_padding=True`` pads with PyTorch's ``F.pad`` instead where PyTorch has the
    mode and accepts the widths (reflect: < L, circular: <= L), so two independent
    padding oracles are in play. Returns ``(y, xp)``, ``xp`` the padded float64 input.
    """
    import torch
    import torch.nn.functional as F

    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    if flip:
        w = w[..., ::-1]
    unbatched = x.ndim == 2
    if unbatched:
        x = x[None]
    length = x.shape[-1]
    left, right = explicit_padding(padding, length, w.shape[-1], stride, dilation)
    torch_mode = TORCH_PAD_MODES.get(padding_mode)
    torch_ok = torch_padding and (
        torch_mode in ("constant", "replicate")
        or (torch_mode == "reflect" and max(left, right) < length)
        or (torch_mode == "circular" and max(left, right) <= length))
    if torch_ok:
        xp = torch_pad(torch.from_numpy(x), left, right, padding_mode).numpy()
    else:
        xp = pad_last(x, left, right, padding_mode, float(pad_value))
    tb = None if b is None else torch.from_numpy(np.asarray(b, dtype=np.float64))
    y = F.conv1d(torch.from_numpy(np.ascontiguousarray(xp)),
                 torch.from_numpy(np.ascontiguousarray(w)), tb,
                 stride=stride, dilation=dilation, groups=groups).numpy()
    return (y[0], xp[0]) if unbatched else (y, xp)


def conv_transpose1d_ref(x, w, b=None, *, stride=1, padding=0, output_padding=0,
                         groups=1, dilation=1):
    """Float64 transposed convolution by scattering every input sample (naive loops)."""
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    unbatched = x.ndim == 2
    if unbatched:
        x = x[None]
    left, right = (padding, padding) if np.ndim(padding) == 0 else tuple(padding)
    n_batch, c_in, length = x.shape
    assert w.shape[0] == c_in and c_in % groups == 0
    _, oc_per_group, k_size = w.shape
    ic_per_group = c_in // groups
    c_out = oc_per_group * groups
    l_out = transpose_out_length(length, k_size, stride, dilation, left, right,
                                 output_padding)
    assert l_out >= 1, l_out
    y = np.zeros((n_batch, c_out, l_out))
    for ci in range(c_in):
        g = ci // ic_per_group
        for oc in range(oc_per_group):
            o = g * oc_per_group + oc
            for i in range(length):
                for k in range(k_size):
                    t = i * stride + k * dilation - left
                    if 0 <= t < l_out:
                        y[:, o, t] += x[:, ci, i] * w[ci, oc, k]
    if b is not None:
        y += np.asarray(b, dtype=np.float64)[None, :, None]
    return y[0] if unbatched else y
