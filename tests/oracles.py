"""Plain-numpy reference helpers for the cconv1d test-suite.

Nothing here imports :mod:`cconv1d`: these helpers only wrap independent
oracles (``numpy.pad``) and generic numerical tools (unit-vector and
finite-difference Jacobians) so that tests compare the library against code
we did not write.
"""

import numpy as np

__all__ = [
    "as_pair",
    "apply_rows",
    "np_pad_last",
    "width_pairs",
    "jacobian_unit_vectors",
    "jacobian_central_fd",
    "order_stat_weights",
    "order_pad_backward",
]


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
    rows = x.reshape(-1, x.shape[-1])
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


def width_pairs(length, max_factor=3):
    """All ``(left, right)`` pairs from {0, 1, L-1, L, L+1, 2L, 3L}."""
    L = length
    cand = sorted({w for w in (0, 1, L - 1, L, L + 1, 2 * L, 3 * L)
                   if 0 <= w <= max_factor * L})
    return [(a, b) for a in cand for b in cand]


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


# ---- shared by every test module: mode tables and the conv1d padding rule -------------

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
