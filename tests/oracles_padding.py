"""Padding oracles for the cconv1d test-suite: ``numpy.pad`` and ``pywt.pad``, row by row.

Nothing here imports :mod:`cconv1d`. The public padding modes of API.md section 2 map to
``numpy.pad`` (:data:`NUMPY_PAD_MODES`) or to PyWavelets' ``pywt.pad``
(:data:`PYWT_PAD_MODES`); :data:`TORCH_PAD_MODES` is the one table of the modes that
PyTorch's ``torch.nn.functional.pad`` also has. Every oracle pads one 1-D row at a time so
that no oracle ever sees the batch axes (both libraries pad every axis otherwise).
"""

import numpy as np
import pywt

__all__ = [
    "NUMPY_PAD_MODES",
    "PYWT_PAD_MODES",
    "ALL_PADDING_MODES",
    "TORCH_PAD_MODES",
    "as_pair",
    "apply_rows",
    "np_pad_last",
    "pad_row",
    "pad_last",
    "torch_pad",
    "width_pairs",
]

#: public padding-mode name -> numpy.pad mode (statistic modes use the whole signal)
NUMPY_PAD_MODES = {
    "zeros": "constant",
    "constant": "constant",
    "edge": "edge",
    "replicate": "edge",
    "reflect": "reflect",
    "symmetric": "symmetric",
    "wrap": "wrap",
    "circular": "wrap",
    "mean": "mean",
    "median": "median",
    "minimum": "minimum",
    "maximum": "maximum",
    "linear_ramp": "linear_ramp",
}
#: modes whose oracle is PyWavelets' pywt.pad
PYWT_PAD_MODES = ("antisymmetric", "antireflect", "smooth")
ALL_PADDING_MODES = tuple(NUMPY_PAD_MODES) + PYWT_PAD_MODES

#: public padding-mode name -> ``torch.nn.functional.pad`` mode, for every mode whose
#: padding PyTorch computes too (aliases included). "zeros" is F.pad's "constant" with
#: value 0; "constant" is left out because its value is cconv1d's ``pad_value``.
TORCH_PAD_MODES = {
    "zeros": "constant",
    "reflect": "reflect",
    "replicate": "replicate",
    "edge": "replicate",
    "circular": "circular",
    "wrap": "circular",
}


def as_pair(w):
    """Return ``(left, right)`` from an int or a 2-sequence."""
    if np.ndim(w) == 0:
        w = int(w)
        return w, w
    left, right = w
    return int(left), int(right)


def apply_rows(func, x, out_len):
    """Apply ``func`` (1-D -> 1-D of length ``out_len``) along the last axis.

    Every row is processed on its own, as a 1-D array, so that the oracle
    never sees the batch axes (numpy.pad/pywt.pad treat all axes otherwise).
    """
    x = np.asarray(x)
    rows = x.reshape(int(np.prod(x.shape[:-1])), x.shape[-1])   # -1 fails on size 0
    res = [np.asarray(func(np.array(row))) for row in rows]
    if res:
        dtype = np.result_type(*res)
    else:
        dtype = x.dtype
    out = np.empty((rows.shape[0], out_len), dtype=dtype)
    for i, r in enumerate(res):
        out[i] = r
    return out.reshape(x.shape[:-1] + (out_len,))


def np_pad_last(x, pad_width, mode, **kwargs):
    """``numpy.pad`` applied to the last axis only.

    The batch axes get a zero pad width, which numpy.pad leaves untouched
    (numpy broadcasts ``stat_length``/``end_values``/``constant_values`` to
    every axis, but they only matter where the width is non-zero).
    """
    left, right = as_pair(pad_width)
    x = np.asarray(x)
    widths = [(0, 0)] * (x.ndim - 1) + [(left, right)]
    return np.pad(x, widths, mode=mode, **kwargs)


def pad_row(row, left, right, mode, value=0.0, *, stat_length=None, end_values=None):
    """Pad one 1-D row by the public ``mode`` with its oracle; the row's dtype is kept.

    ``value`` is the constant of ``"constant"`` and, unless ``end_values`` is given, the
    end value of ``"linear_ramp"`` (conv1d's ``pad_value`` plays both roles); statistic
    modes use ``stat_length`` (None: the whole signal).
    """
    row = np.asarray(row)
    if left == 0 and right == 0 and mode in ALL_PADDING_MODES:
        return row.copy()           # also for an empty row, which the oracles refuse
    if mode in PYWT_PAD_MODES:
        if mode == "smooth" and row.shape[0] == 1:
            # API.md section 2: smooth on one sample repeats it (pywt extrapolates junk).
            return np.pad(row, (left, right), mode="edge")
        # pywt.pad mis-slices a zero width (``vector[a:-0]``, ``[-0:]``). Every pad sample
        # of these modes depends only on its distance from its end of the signal, so pad
        # one more sample on each side and crop it.
        return pywt.pad(row, (left + 1, right + 1), mode)[1:-1]
    if mode not in NUMPY_PAD_MODES:
        raise ValueError(f"unknown mode {mode!r}")
    np_mode = NUMPY_PAD_MODES[mode]
    kwargs = {}
    if np_mode == "constant":
        kwargs["constant_values"] = 0 if mode == "zeros" else value
    elif np_mode == "linear_ramp":
        kwargs["end_values"] = value if end_values is None else end_values
    elif mode in ("mean", "median", "minimum", "maximum"):
        kwargs["stat_length"] = stat_length
    return np.pad(row, (left, right), mode=np_mode, **kwargs)


def pad_last(x, left, right, mode, value=0.0, *, dtype=np.float64, stat_length=None,
             end_values=None):
    """:func:`pad_row` applied to every row of the last axis of ``x``, cast to ``dtype``
    first (float64 by default; ``None`` keeps the dtype of ``x``)."""
    x = np.asarray(x) if dtype is None else np.asarray(x, dtype=dtype)
    return apply_rows(lambda row: pad_row(row, left, right, mode, value,
                                          stat_length=stat_length, end_values=end_values),
                      x, left + x.shape[-1] + right)


def torch_pad(t, left, right, mode):
    """``torch.nn.functional.pad`` of a tensor's last axis by the public ``mode`` (a key
    of :data:`TORCH_PAD_MODES`); differentiable, so autograd oracles can use it."""
    import torch.nn.functional as F

    if not (left or right):
        return t
    torch_mode = TORCH_PAD_MODES[mode]
    if torch_mode == "constant":
        return F.pad(t, (left, right), mode="constant", value=0.0)
    return F.pad(t, (left, right), mode=torch_mode)


def width_pairs(length, max_factor=3):
    """All ``(left, right)`` pairs from {0, 1, L-1, L, L+1, 2L, 3L}."""
    L = length
    cand = sorted({w for w in (0, 1, L - 1, L, L + 1, 2 * L, 3 * L)
                   if 0 <= w <= max_factor * L})
    return [(a, b) for a in cand for b in cand]
