"""References for cconv1d's convolve/correlate/autocorrelate: NumPy, one lane at a time.

Nothing here imports :mod:`cconv1d`. ``numpy.convolve``/``numpy.correlate`` are 1-D, so
the references move ``axis`` last and call them on every lane, in float64 (complex128
for complex input). :func:`signal_bound` gives the error bound tests derive tolerances
from.
"""

import numpy as np

__all__ = ["numpy_signal", "signal_bound"]


def _wide(arr):
    arr = np.asarray(arr)
    return arr.astype(np.complex128 if arr.dtype.kind == "c" else np.float64)


def numpy_signal(func, a, v=None, mode="valid", axis=-1):
    """``numpy.<func>`` along ``axis`` of ``a`` (``v`` is 1-D; ``func`` one of
    "convolve", "correlate", "autocorrelate" — the last is ``correlate(lane, lane)``)."""
    a = _wide(a)
    if a.ndim == 0:
        a = a.reshape(1)
        axis = -1
    moved = np.moveaxis(a, axis, -1)
    lanes = moved.reshape(int(np.prod(moved.shape[:-1])), moved.shape[-1])
    vv = None if v is None else _wide(v).reshape(-1)
    refs = []
    for lane in lanes:
        if func == "convolve":
            refs.append(np.convolve(lane, vv, mode))
        elif func == "correlate":
            refs.append(np.correlate(lane, vv, mode))
        elif func == "autocorrelate":
            refs.append(np.correlate(lane, lane, mode))
        else:
            raise ValueError(func)
    n_out = refs[0].shape[-1] if refs else 0
    out = np.array(refs).reshape(moved.shape[:-1] + (n_out,))
    return np.moveaxis(out, -1, axis)


def signal_bound(func, a, v, mode, axis, dtype, method):
    """Per-entry error bound of a computation in ``dtype`` whose inputs are exact in it.

    Direct sums: a few eps * sqrt(terms) * the same sum on ``|a|``, ``|v|``. An FFT adds
    the usual ``eps * log2(n) * ||a||_2 * ||v||_2`` of every lane (``method`` other than
    "direct" may take it).
    """
    eps = float(np.finfo(np.dtype(dtype)).eps)
    a_abs = np.abs(_wide(a))
    v_abs = None if v is None else np.abs(_wide(v))
    size = numpy_signal(func, a_abs, v_abs, mode, axis)
    la = np.shape(a)[axis] if np.ndim(a) else 1
    lv = la if v is None else np.size(v)
    bound = 4 * eps * np.sqrt(min(la, lv) + 1) * size
    if method != "direct":
        norm_a = float(np.max(np.sqrt(np.sum(a_abs ** 2, axis=axis if np.ndim(a) else -1))))
        norm_v = norm_a if v is None else float(np.sqrt(np.sum(v_abs ** 2)))
        bound = bound + 4 * eps * (np.log2(la + lv) + 1) * norm_a * norm_v
    return bound + 1e-300
