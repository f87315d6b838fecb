"""FFT route of the signal functions: one transform, or overlap-add for a short kernel.

Uses ``scipy.fft`` when SciPy is installed (native float32, threads), else
``numpy.fft``. Both wrap pocketfft; transform lengths are 2-3-5-smooth.
"""

import functools
import math

import numpy as np

try:  # optional: scipy.fft keeps float32 native and can use several workers
    import scipy.fft as _backend

    def _kw(workers):
        return {"workers": workers}
except ImportError:  # pragma: no cover - exercised where SciPy is absent
    _backend = np.fft

    def _kw(workers):
        return {}


@functools.lru_cache(maxsize=256)
def next_fast_len(n):
    """Smallest 2-3-5-smooth integer >= n (pocketfft is fastest on those).

    Examples
    --------
    >>> next_fast_len(97), next_fast_len(1000), next_fast_len(1)
    (100, 1000, 1)
    """
    if n <= 6:
        return max(n, 1)
    best = 1 << (n - 1).bit_length()
    p5 = 1
    while p5 < best:
        p35 = p5
        while p35 < best:
            # smallest power of two times p35 that is >= n
            quotient = -(-n // p35)
            candidate = p35 * (1 << (quotient - 1).bit_length())
            if candidate < best:
                best = candidate
            p35 *= 3
        p5 *= 5
    return best


@functools.lru_cache(maxsize=256)
def oa_block(m):
    """Overlap-add block for a kernel of ``m`` taps: minimises ``B log B / (B - m + 1)``
    over 2-3-5-smooth ``B >= 2 (m - 1)`` (so a block's tail only meets the next block)."""
    if m <= 1:
        return 64
    lo = max(2 * (m - 1), 16)
    best, best_cost = None, math.inf
    candidate = next_fast_len(lo)
    while candidate <= 64 * lo:
        cost = candidate * math.log2(candidate) / (candidate - m + 1)
        if cost < best_cost:
            best, best_cost = candidate, cost
        candidate = next_fast_len(candidate + 1)
    return best


def full_convolution(a, v, workers=1):
    """Full linear convolution of every row of ``a`` (lanes, n) with ``v`` (m,)."""
    lanes, n = a.shape
    m = v.shape[0]
    full = n + m - 1
    complex_input = a.dtype.kind == "c" or v.dtype.kind == "c"
    forward = _backend.fft if complex_input else _backend.rfft
    inverse = _backend.ifft if complex_input else _backend.irfft
    short, long_len = min(n, m), max(n, m)
    block = oa_block(short)
    if short * 8 > long_len or block >= long_len:
        size = next_fast_len(full)
        spectrum = forward(a, n=size, axis=-1, **_kw(workers)) * forward(v, n=size, **_kw(workers))
        result = inverse(spectrum, n=size, axis=-1, **_kw(workers))[:, :full]
        return result
    if m > n:  # overlap-add needs the long operand blocked
        if lanes != 1:
            return np.stack([full_convolution(v[None], row, workers)[0] for row in a])
        a, v = v[None], a[0]
        n, m = m, n
    step = block - m + 1
    n_blocks = -(-n // step)
    # Each block: `step` samples, then zeros up to the transform length (so no copy by
    # the FFT's own zero padding); only the padding is zeroed, the samples are copied once.
    blocks = np.empty((lanes, n_blocks, block), dtype=a.dtype)
    blocks[:, :, step:] = 0
    whole = (n_blocks - 1) * step
    blocks[:, :-1, :step] = a[:, :whole].reshape(lanes, n_blocks - 1, step)
    blocks[:, -1, :n - whole] = a[:, whole:]
    blocks[:, -1, n - whole:step] = 0
    spectrum = forward(blocks, axis=-1, **_kw(workers))
    spectrum *= forward(v, n=block, **_kw(workers))
    pieces = inverse(spectrum, n=block, axis=-1, **_kw(workers))
    # Block b's first `step` outputs land on its own span, its m - 1 tail values on the
    # start of block b + 1's (m - 1 <= step since block >= 2 (m - 1)).
    out = np.empty((lanes, n_blocks + 1, step), dtype=pieces.dtype)
    out[:, :n_blocks] = pieces[:, :, :step]
    out[:, n_blocks] = 0
    out[:, 1:, :m - 1] += pieces[:, :, step:]
    return out.reshape(lanes, -1)[:, :full]
