"""Independent float64 references for the forward convolutions of cconv1d.

Nothing here imports :mod:`cconv1d`. The references are written straight from the
equations of API.md section 4 with plain Python loops; padding comes from ``numpy.pad``
(the numpy modes) or ``pywt.pad`` (antisymmetric, antireflect, smooth).

    conv1d:            y[n, o, j] = b[o] + sum_c sum_k w[o, c, k] * xp[n, g(o)+c, j*s + k*d]
    conv_transpose1d:  y[n, g*Cog + oc, i*s + k*d - left] += x[n, g*Cig + ci, i] * w[g*Cig + ci, oc, k]
"""

import numpy as np
import pywt

from oracles import (ALL_PADDING_MODES, NUMPY_PAD_MODES, PYWT_PAD_MODES,  # noqa: F401
                     explicit_padding)

__all__ = [
    "ALL_PADDING_MODES",
    "NUMPY_PAD_MODES",
    "PYWT_PAD_MODES",
    "TORCH_PAD_MODES",
    "explicit_padding",
    "conv1d_out_length",
    "pad_row",
    "pad_last",
    "conv1d_ref",
    "conv_transpose1d_ref",
    "transpose_out_length",
]

#: padding_mode -> torch.nn.functional.pad mode (None: F.pad's constant zeros)
TORCH_PAD_MODES = {"zeros": None, "reflect": "reflect", "replicate": "replicate",
                   "circular": "circular"}


def conv1d_out_length(length, k, stride, dilation, left, right):
    """floor((L + left + right - d*(K-1) - 1) / s) + 1 (may be < 1)."""
    return (length + left + right - dilation * (k - 1) - 1) // stride + 1


def pad_row(row, left, right, mode, pad_value=0.0):
    """Pad one 1-D float64 row by ``mode`` with the oracle (numpy.pad or pywt.pad)."""
    row = np.asarray(row, dtype=np.float64)
    if left == 0 and right == 0:
        return row.copy()
    if mode in NUMPY_PAD_MODES:
        np_mode = NUMPY_PAD_MODES[mode]
        kwargs = {}
        if np_mode == "constant":
            kwargs["constant_values"] = 0.0 if mode == "zeros" else pad_value
        elif np_mode == "linear_ramp":
            kwargs["end_values"] = pad_value
        # mean/median/minimum/maximum: stat_length=None -> the whole signal.
        return np.pad(row, (left, right), mode=np_mode, **kwargs)
    if mode in PYWT_PAD_MODES:
        if mode == "smooth" and row.shape[0] == 1:
            # API.md section 2: smooth on one sample repeats it (pywt extrapolates junk).
            return np.pad(row, (left, right), mode="edge")
        # pywt.pad mis-slices smooth/antisymmetric when a right width is 0
        # (vector[a:-0]): pad one extra sample on the right and trim it.
        return pywt.pad(row, (left, right + 1), mode)[:-1]
    raise ValueError(f"unknown mode {mode!r}")


def pad_last(x, left, right, mode, pad_value=0.0):
    """``pad_row`` applied to every row of the last axis of ``x`` (float64)."""
    x = np.asarray(x, dtype=np.float64)
    rows = x.reshape(-1, x.shape[-1])
    out = np.empty((rows.shape[0], left + x.shape[-1] + right))
    for i, row in enumerate(rows):
        out[i] = pad_row(row, left, right, mode, pad_value)
    return out.reshape(x.shape[:-1] + (out.shape[-1],))


def conv1d_ref(x, w, b=None, *, stride=1, padding=0, dilation=1, groups=1,
               padding_mode="zeros", pad_value=0.0, flip=False):
    """Float64 conv1d (cross-correlation) from the defining sum, with naive loops."""
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
    for n in range(n_batch):
        for o in range(c_out):
            first = (o // o_per_group) * c_per_group   # g(o)
            for j in range(l_out):
                acc = 0.0 if b is None else float(b[o])
                for c in range(c_per_group):
                    for k in range(k_size):
                        acc += w[o, c, k] * xp[n, first + c, j * stride + k * dilation]
                y[n, o, j] = acc
    return y[0] if unbatched else y


def transpose_out_length(length, k, stride, dilation, left, right, output_padding):
    """(L-1)*s - left - right + d*(K-1) + output_padding + 1."""
    return (length - 1) * stride - left - right + dilation * (k - 1) + output_padding + 1


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
    for n in range(n_batch):
        for ci in range(c_in):
            g = ci // ic_per_group
            for oc in range(oc_per_group):
                o = g * oc_per_group + oc
                for i in range(length):
                    for k in range(k_size):
                        t = i * stride + k * dilation - left
                        if 0 <= t < l_out:
                            y[n, o, t] += x[n, ci, i] * w[ci, oc, k]
    if b is not None:
        y += np.asarray(b, dtype=np.float64)[None, :, None]
    return y[0] if unbatched else y
