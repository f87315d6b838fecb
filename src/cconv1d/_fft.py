"""FFT route of the signal functions.

Real float32/float64 operands go through our own transform (``cc_fft.h`` by way of
``_stream.fft_full``, fir_filter's engine: power-of-two split-array transforms in
float64, two blocks of the signal per complex transform, the shorter operand's spectra
cached between calls), except when both operands are long and of similar length, where
one real transform of a 2-3-5-smooth length (``scipy.fft``) needs fewer points. Complex
operands, and those, use ``scipy.fft`` when SciPy is installed (native float32,
threads), else ``numpy.fft``: one transform, or overlap-add for a short kernel; SciPy is
imported on the first transform, not with the package. Operands are rescaled by powers
of two where their magnitude calls for it (exact), so huge finite values do not
overflow the spectra.
"""

from __future__ import annotations

import functools
import math
from types import ModuleType
from typing import Any, TypeAlias

import numpy as np
from numpy.typing import NDArray

from cconv1d import _stream

_Array: TypeAlias = NDArray[Any]

_BACKEND: list[tuple[ModuleType, bool]] = []


def backend() -> tuple[ModuleType, bool]:
    """``(module, kwargs_for_workers)``: ``scipy.fft`` when SciPy is installed (native
    float32, several workers), else ``numpy.fft``. Imported on first use, so that
    ``import cconv1d`` never imports SciPy."""
    if not _BACKEND:
        try:
            import scipy.fft as module
            _BACKEND.append((module, True))
        except ImportError:  # pragma: no cover - exercised where SciPy is absent
            _BACKEND.append((np.fft, False))
    return _BACKEND[0]


def _kw(workers: int, overwrite: bool = False) -> dict[str, int]:
    """Keyword arguments of scipy.fft's transforms (numpy.fft takes neither):
    ``overwrite`` lets an inverse transform reuse its input, a temporary of ours."""
    if not backend()[1]:
        return {}
    return {"workers": workers, "overwrite_x": True} if overwrite else {"workers": workers}


def peak_abs(x: _Array) -> float:
    """``max |x|``: NaN when ``x`` holds a NaN, inf when it holds an inf (and no NaN), 0
    when empty. Real input takes a max and a min reduction, no temporary array."""
    if x.size == 0:
        return 0.0
    if x.dtype.kind == "c":
        return float(np.max(np.abs(x)))
    # A NaN propagates through both reductions, so max() of the pair stays NaN.
    return max(float(x.max()), -float(x.min()))


# Largest |exponent| of an operand's peak that the transforms take unscaled: products of
# two spectra of up to 2**30 points stay far inside the dtype's range (float32 spectra
# reach 2**(2*16 + 90), float64 2**(2*256 + 90)), and peaks are far above its subnormals.
_SAFE_EXPONENT = {np.dtype(np.float32): 16, np.dtype(np.complex64): 16,
                  np.dtype(np.float64): 256, np.dtype(np.complex128): 256}


def power_of_two_scale(x: _Array, peak: float | None = None) -> tuple[_Array, int]:
    """``(x * 2**-e, e)`` with ``max|x * 2**-e|`` in ``[0.5, 1)``: exact (a power of two)
    rescaling so that an FFT's sums of up to ``size`` terms cannot overflow where the
    direct sum does not (and tiny inputs do not underflow). Input whose peak is well
    inside the dtype's range, non-finite or all-zero input comes back unscaled
    (``e = 0``): no pass over it. ``peak``: ``peak_abs(x)`` when the caller has it."""
    if peak is None:
        peak = peak_abs(x)
    if peak == 0.0 or not math.isfinite(peak):
        return x, 0
    exponent = math.frexp(peak)[1]
    if abs(exponent) <= _SAFE_EXPONENT.get(x.dtype, 0):
        return x, 0
    return unscale(x, -exponent), exponent


def unscale(y: _Array, exponent: int, in_place: bool = False) -> _Array:
    """``y * 2**exponent``, exact (complex too, which ``np.ldexp`` refuses); in two steps
    when one power of two would overflow. ``in_place``: ``y`` is a temporary of ours and
    may be overwritten (one pass, no new array)."""
    if exponent == 0:
        return y
    with np.errstate(over="ignore"):   # a true overflow gives inf, as the direct sums do
        # one factor when it is a normal number of y's dtype (float32: below 2**127)
        limit = 120 if y.dtype in (np.float32, np.complex64) else 1000
        if -limit < exponent < limit:
            if in_place:
                y *= 2.0 ** exponent
                return y
            return y * 2.0 ** exponent
        half = exponent // 2
        return (y * 2.0 ** half) * 2.0 ** (exponent - half)


def error_bound(a: _Array, v: _Array, size: int) -> float:
    """A bound on the largest absolute error of an FFT convolution (or correlation) of
    the rows of ``a`` with the rows of ``v`` over transforms of ``size`` points:
    ``4 eps log2(size) (|a|_2 |v|_1 + |a|_1 |v|_2)``, the worst lane (the normwise
    forward error of the FFT, from the spectra of both operands; 4 is margin).
    Integer input whose bound is below 1/2 rounds to the exact result."""
    eps = float(np.finfo(np.float64).eps)
    a = np.abs(a).astype(np.float64, copy=False)
    v = np.abs(v).astype(np.float64, copy=False)
    a1, a2 = a.sum(axis=-1), np.sqrt(np.square(a).sum(axis=-1))
    v1, v2 = v.sum(axis=-1), np.sqrt(np.square(v).sum(axis=-1))
    worst = np.max(a2 * v1 + a1 * v2)
    return 4.0 * eps * math.log2(max(size, 2)) * float(worst)


@functools.lru_cache(maxsize=256)
def next_fast_len(n: int) -> int:
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
def oa_block(m: int) -> int:
    """Overlap-add block for a kernel of ``m`` taps: minimises ``B log B / (B - m + 1)``
    over 2-3-5-smooth ``B >= 2 (m - 1)`` (so a block's tail only meets the next block)."""
    if m <= 1:
        return 64
    lo = max(2 * (m - 1), 16)
    candidate = next_fast_len(lo)
    # The first candidate always wins the first comparison (its cost is finite).
    best, best_cost = candidate, math.inf
    while candidate <= 64 * lo:
        cost = candidate * math.log2(candidate) / (candidate - m + 1)
        if cost < best_cost:
            best, best_cost = candidate, cost
        candidate = next_fast_len(candidate + 1)
    return best


# Both operands at least this long and within this ratio of each other: one real
# transform of a smooth length (SciPy's) beats our power-of-two blocks, which then hold
# the whole of one operand in a transform up to twice as long (measured on Sapphire
# Rapids: 5e4 x 5e4 0.77x, 2e5 x 2e5 0.87x; 1e4 x 1e4 1.0-1.2x, 3e5 x 1e5 1.4x).
_ENGINE_LONG = 16384
_ENGINE_RATIO = 4


def uses_engine(n: int, m: int, lanes: int, dtype: np.dtype[Any]) -> bool:
    """Whether a full convolution of ``lanes`` rows of ``n`` samples with ``m`` taps of
    this (common) dtype takes our own transform (see the module's docstring)."""
    if dtype.kind != "f" or dtype.itemsize not in (4, 8):
        return False
    short, long_len = min(n, m), max(n, m)
    if short > _ENGINE_LONG and long_len < _ENGINE_RATIO * short:
        return False
    return m <= n or lanes == 1    # the engine's filter is one row: the shorter one


def transform_bound(n: int, m: int) -> int:
    """A transform length at least that of either route for these lengths (for error
    bounds): our power-of-two blocks stay under twice the full length."""
    return max(next_fast_len(n + m - 1), 1 << (n + m - 1).bit_length())


def engine_convolution(a: _Array, v: _Array, workers: int = 1) -> tuple[_Array, bool]:
    """``(full, finite)``: :func:`full_convolution` by our transform (where
    :func:`uses_engine` says so), and whether both operands were finite (if not,
    ``full`` holds what the transforms spread). Each block is scaled by a power of two
    where its magnitude calls for it, by the transform itself."""
    lanes, n = a.shape
    m = v.shape[0]
    out = np.zeros((lanes, n + m - 1), dtype=a.dtype)
    if m <= n:
        finite = _stream.fft_full(np.ascontiguousarray(v), np.ascontiguousarray(a), out,
                                  workers)
    else:
        finite = _stream.fft_full(np.ascontiguousarray(a[0]), np.ascontiguousarray(v)[None],
                                  out, workers)
    return out, bool(finite)


def full_convolution(a: _Array, v: _Array, workers: int = 1,
                     peaks: tuple[float, float] | None = None) -> _Array:
    """Full linear convolution of every row of ``a`` (lanes, n) with ``v`` (m,), both
    C-contiguous. ``peaks``: ``(peak_abs(a), peak_abs(v))`` when the caller has them."""
    lanes, n = a.shape
    m = v.shape[0]
    if a.dtype == v.dtype and uses_engine(n, m, lanes, a.dtype):
        return engine_convolution(a, v, workers)[0]
    a, exp_a = power_of_two_scale(a, None if peaks is None else peaks[0])
    v, exp_v = power_of_two_scale(v, None if peaks is None else peaks[1])
    return unscale(_full_convolution(a, v, workers), exp_a + exp_v, in_place=True)


def _full_convolution(a: _Array, v: _Array, workers: int) -> _Array:
    _backend = backend()[0]
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
        spectrum = forward(a, n=size, axis=-1, **_kw(workers))
        spectrum *= forward(v, n=size, **_kw(workers))
        result: _Array = inverse(spectrum, n=size, axis=-1, **_kw(workers, True))[:, :full]
        return result
    if m > n:  # overlap-add needs the long operand blocked
        if lanes != 1:
            return np.stack([_full_convolution(v[None], row, workers)[0] for row in a])
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
    pieces = inverse(spectrum, n=block, axis=-1, **_kw(workers, True))
    # Block b's first `step` outputs land on its own span, its m - 1 tail values on the
    # start of block b + 1's (m - 1 <= step since block >= 2 (m - 1)).
    out = np.empty((lanes, n_blocks + 1, step), dtype=pieces.dtype)
    out[:, :n_blocks] = pieces[:, :, :step]
    out[:, n_blocks] = 0
    out[:, 1:, :m - 1] += pieces[:, :, step:]
    return out.reshape(lanes, -1)[:, :full]
