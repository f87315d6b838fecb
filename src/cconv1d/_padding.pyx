"""Padding kernels and their adjoints, one lane at a time.

Scheme. A lane of ``length`` samples becomes ``left + length + right`` samples. Index
modes (edge, reflect, symmetric, wrap, antisymmetric) map each pad position to a source
sample by a periodic rule, so widths larger than the signal repeat the reflection or
wrap exactly as ``numpy.pad`` does. ``antireflect`` is the point mirror about the end
samples, repeated outward (``numpy.pad(..., reflect_type="odd")``, ``pywt.pad``): with
period ``P = length - 1``, end difference ``D = x[P] - x[0]`` and position
``p = s*P + r`` (``0 <= r < P``) counted from the first sample, it is
``x[r] + s*D`` for even ``s`` and ``2*x[0] - x[P-r] + (s+1)*D`` for odd ``s`` (the right
side likewise, counted from the last sample of the reversed signal). Each pad
sample is computed from that closed form in double precision, so the error does not
grow with the width (the recurrence ``out[q-m] = 2*out[q] - out[q+m]`` that NumPy
runs chunk by chunk accumulates one rounding per period: 7e-4 relative in float32 at
width 10^5). Statistic modes fill with one value per side.

The adjoints walk the same rules backwards: every pad position sends its gradient to
the samples its value came from (scatter-add), so ``pad_backward`` is the exact
transpose of ``pad``. The statistic modes median/minimum/maximum split the gradient
equally among the samples equal to the chosen value(s).
"""

from libc.math cimport isnan, NAN
from libc.string cimport memcpy

from cython.parallel cimport prange, threadid

from cconv1d._typedefs cimport scalar_t, idx_t

import numpy as np


# ---------------------------------------------------------------------------------------
# index rules

cdef inline idx_t _floor_mod(idx_t a, idx_t period) noexcept nogil:
    cdef idx_t r = a % period
    return r + period if r < 0 else r


cdef inline idx_t _source(idx_t p, idx_t length, int mode, bint* negate) noexcept nogil:
    """Source sample of pad position ``p`` (relative to the first sample, outside
    ``[0, length)``) for the index modes; sets ``negate`` for antisymmetric."""
    cdef idx_t period, m, segment
    negate[0] = False
    if mode == CC_PAD_WRAP:
        return _floor_mod(p, length)
    if mode == CC_PAD_REFLECT and length > 1:
        period = 2 * (length - 1)
        m = _floor_mod(p, period)
        return m if m < length else period - m
    if mode == CC_PAD_SYMMETRIC or mode == CC_PAD_ANTISYMMETRIC:
        period = 2 * length
        m = _floor_mod(p, period)
        if mode == CC_PAD_ANTISYMMETRIC:
            # Segments of `length` samples counted outward from the signal: the first is
            # negated, the next is not, and so on (PyWavelets' antisymmetric extension).
            segment = (-p - 1) // length if p < 0 else (p - length) // length
            negate[0] = segment % 2 == 0
        return m if m < length else period - 1 - m
    # edge, and reflect of a single sample (numpy repeats it)
    return 0 if p < 0 else length - 1


cdef inline void _antireflect_terms(idx_t p, idx_t length, idx_t* r, idx_t* s) noexcept nogil:
    """Split pad position ``p`` (from the first sample) into period ``s`` and offset ``r``."""
    cdef idx_t period = length - 1
    r[0] = _floor_mod(p, period)
    s[0] = (p - r[0]) // period    # exact: p - r is a multiple of the period


cdef void _antireflect_fill(const scalar_t* x, idx_t length, scalar_t* dst, idx_t step,
                           idx_t width, bint right_side) noexcept nogil:
    """``width`` pad samples of one side (length >= 2): the one at distance ``t + 1`` from
    the end goes to ``dst[t * step]``. The closed form of the module docstring in double
    (double complex) precision, the period and offset stepped rather than divided out
    for every sample (a division per sample made a wide pad 4-6 times slower).

    Each side is computed from its own end: a right pad sample is the left formula
    applied to the reversed signal. So the first period beyond an end is
    ``2*x[end] - x[mirror]`` with one rounding, exactly as NumPy's recurrence gives it,
    and depends on no sample deeper than the pad width (a chunked computation that
    hands the pad only the samples near that end gets the same bits)."""
    cdef idx_t t, r, s, period = length - 1, near, far, same, mirror
    cdef double d, twice_near
    cdef double complex cd, ctwice_near
    if right_side:
        near, far = period, 0
    else:
        near, far = 0, period
    # Distance t + 1 is q = -(t + 1) = s*P + r in the side's own coordinates.
    r = period - 1
    s = -1
    if scalar_t is float or scalar_t is double:
        d = <double>x[far] - <double>x[near]
        twice_near = 2.0 * x[near]
    else:
        cd = <double complex>x[far] - <double complex>x[near]
        ctwice_near = 2.0 * <double complex>x[near]
    for t in range(width):
        if right_side:
            same, mirror = period - r, r
        else:
            same, mirror = r, period - r
        if scalar_t is float or scalar_t is double:
            if s & 1 == 0:
                dst[t * step] = <scalar_t>(x[same] + <double>s * d)
            else:
                dst[t * step] = <scalar_t>((twice_near - x[mirror]) + <double>(s + 1) * d)
        else:
            if s & 1 == 0:
                dst[t * step] = <scalar_t>(<double complex>x[same] + <double>s * cd)
            else:
                dst[t * step] = <scalar_t>((ctwice_near - <double complex>x[mirror])
                                           + <double>(s + 1) * cd)
        r -= 1
        if r < 0:
            r = period - 1
            s -= 1


cdef inline idx_t _period(idx_t length, int mode) noexcept nogil:
    """The period of an index mode's pad values (sign included: antisymmetric's segments
    alternate, so two of them): pad position ``p`` and ``p +- period`` hold the same
    value."""
    if mode == CC_PAD_WRAP:
        return length
    if mode == CC_PAD_REFLECT and length > 1:
        return 2 * (length - 1)
    if mode == CC_PAD_SYMMETRIC or mode == CC_PAD_ANTISYMMETRIC:
        return 2 * length
    return 1    # edge (and reflect of one sample)


cdef void _index_pad(const scalar_t* x, idx_t length, scalar_t* out, idx_t left,
                     idx_t right, int mode) noexcept nogil:
    """An index mode's pads: the period next to the signal by the index rule, the rest
    copied from what is filled (a span a whole number of periods away, doubling each
    time). The rule per sample (a modulo each) had made a wide pad 4-5x slower than
    numpy.pad's block copies."""
    cdef idx_t i, k, n, filled, period = _period(length, mode), start = left + length
    cdef bint negate
    filled = min(left, period)
    for i in range(left - filled, left):
        k = _source(i - left, length, mode, &negate)
        out[i] = -x[k] if negate else x[k]
    while filled < left:
        n = min(filled, left - filled)
        memcpy(out + left - filled - n, out + left - n, n * sizeof(scalar_t))
        filled += n
    filled = min(right, period)
    for i in range(start, start + filled):
        k = _source(i - left, length, mode, &negate)
        out[i] = -x[k] if negate else x[k]
    while filled < right:
        n = min(filled, right - filled)
        memcpy(out + start + filled, out + start, n * sizeof(scalar_t))
        filled += n


cdef inline bint _is_index_mode(int mode) noexcept nogil:
    return (mode == CC_PAD_EDGE or mode == CC_PAD_REFLECT or mode == CC_PAD_SYMMETRIC
            or mode == CC_PAD_WRAP or mode == CC_PAD_ANTISYMMETRIC)


# ---------------------------------------------------------------------------------------
# statistics of a window (real types only for median/minimum/maximum)

cdef inline scalar_t _scaled_sum(const scalar_t* w, idx_t n, double divisor) noexcept nogil:
    """``sum(w[:n]) / divisor``, summed in double (complex: double complex) and rounded
    once: numpy's pairwise float32 sum and ours then agree to rounding."""
    cdef idx_t i
    cdef double real_sum = 0.0
    cdef double complex complex_sum = 0.0
    if scalar_t is float or scalar_t is double:
        for i in range(n):
            real_sum += w[i]
        return <scalar_t>(real_sum / divisor)
    else:
        for i in range(n):
            complex_sum = complex_sum + <double complex>w[i]
        return <scalar_t>(complex_sum / divisor)


cdef inline scalar_t _mean(const scalar_t* w, idx_t n) noexcept nogil:
    return _scaled_sum(w, n, <double>n)


cdef inline scalar_t _sum(const scalar_t* a, idx_t n) noexcept nogil:
    return _scaled_sum(a, n, 1.0)


cdef double _select(double* a, idx_t n, idx_t k) noexcept nogil:
    """k-th smallest of a[0:n] (no NaN), Hoare quickselect; afterwards a[0:k] <= a[k]."""
    cdef idx_t lo = 0, hi = n - 1, i, j
    cdef double pivot, tmp
    while lo < hi:
        pivot = a[lo + (hi - lo) // 2]
        i = lo
        j = hi
        while i <= j:
            while a[i] < pivot:
                i += 1
            while a[j] > pivot:
                j -= 1
            if i <= j:
                tmp = a[i]
                a[i] = a[j]
                a[j] = tmp
                i += 1
                j -= 1
        if k <= j:
            hi = j
        elif k >= i:
            lo = i
        else:
            break
    return a[k]


cdef void _median_pair(const scalar_t* w, idx_t n, double* work,
                       double* lower, double* upper) noexcept nogil:
    """The two middle order statistics (equal when n is odd); NaN if any sample is."""
    cdef idx_t i
    cdef double top
    if scalar_t is float or scalar_t is double:
        for i in range(n):
            work[i] = w[i]
            if isnan(work[i]):
                lower[0] = NAN
                upper[0] = NAN
                return
        upper[0] = _select(work, n, n // 2)
        if n % 2:
            lower[0] = upper[0]
        else:
            top = work[0]
            for i in range(1, n // 2):
                if work[i] > top:
                    top = work[i]
            lower[0] = top


cdef double _extreme(const scalar_t* w, idx_t n, bint want_max) noexcept nogil:
    cdef idx_t i
    cdef double best = 0.0, v
    if scalar_t is float or scalar_t is double:
        best = w[0]
        for i in range(n):
            v = w[i]
            if isnan(v):
                return NAN
            if (v > best) if want_max else (v < best):
                best = v
    return best


cdef scalar_t _statistic(const scalar_t* w, idx_t n, int mode, double* work) noexcept nogil:
    cdef double lower = 0.0, upper = 0.0
    if mode == CC_PAD_MEAN:
        return _mean(w, n)
    if scalar_t is float or scalar_t is double:
        if mode == CC_PAD_MEDIAN:
            _median_pair(w, n, work, &lower, &upper)
            return <scalar_t>(0.5 * (lower + upper))
        return <scalar_t>_extreme(w, n, mode == CC_PAD_MAXIMUM)
    else:
        return 0  # unreachable: complex is refused for ordered modes in Python


cdef void _statistic_backward(const scalar_t* w, idx_t n, int mode, scalar_t g,
                              scalar_t* dw, double* work) noexcept nogil:
    """Adds the gradient ``g`` of a statistic of w[0:n] into dw[0:n]."""
    cdef idx_t i, count_lower = 0, count_upper = 0
    cdef double lower = 0.0, upper = 0.0, v
    cdef scalar_t share
    if mode == CC_PAD_MEAN:
        share = g / <scalar_t>n
        for i in range(n):
            dw[i] = dw[i] + share
        return
    if scalar_t is float or scalar_t is double:
        if mode == CC_PAD_MEDIAN:
            _median_pair(w, n, work, &lower, &upper)
        else:
            lower = _extreme(w, n, mode == CC_PAD_MAXIMUM)
            upper = lower
        if isnan(lower):
            # A NaN statistic has no derivative: the NaN samples receive NaN.
            for i in range(n):
                if isnan(<double>w[i]):
                    dw[i] = dw[i] + <scalar_t>NAN
            return
        for i in range(n):
            v = w[i]
            count_lower += v == lower
            count_upper += v == upper
        # Ties share equally; an even-count median gives half to each middle value.
        for i in range(n):
            v = w[i]
            if lower == upper:
                if v == lower:
                    dw[i] = dw[i] + g / count_lower
            elif v == lower:
                dw[i] = dw[i] + 0.5 * g / count_lower
            elif v == upper:
                dw[i] = dw[i] + 0.5 * g / count_upper


# ---------------------------------------------------------------------------------------
# one lane

cdef void pad_row(const scalar_t* x, idx_t length, scalar_t* out, idx_t left, idx_t right,
                  int mode, scalar_t value_left, scalar_t value_right,
                  idx_t stat_left, idx_t stat_right, double* work) noexcept nogil:
    cdef idx_t i, k, q, m, total = left + length + right
    cdef scalar_t v, edge, slope
    if length > 0:
        memcpy(out + left, x, length * sizeof(scalar_t))
    if left == 0 and right == 0:
        return
    if mode == CC_PAD_CONSTANT:
        for i in range(left):
            out[i] = value_left
        for i in range(left + length, total):
            out[i] = value_right
    elif _is_index_mode(mode):
        _index_pad(x, length, out, left, right, mode)
    elif mode == CC_PAD_MEAN or mode == CC_PAD_MEDIAN or mode == CC_PAD_MINIMUM \
            or mode == CC_PAD_MAXIMUM:
        if left > 0:
            v = _statistic(x, stat_left, mode, work)
            for i in range(left):
                out[i] = v
        if right > 0:
            v = _statistic(x + length - stat_right, stat_right, mode, work)
            for i in range(left + length, total):
                out[i] = v
    elif mode == CC_PAD_LINEAR_RAMP:
        # numpy: linspace(end_value, edge, width, endpoint=False), reversed on the right.
        edge = x[0]
        for i in range(left):
            out[i] = value_left + (edge - value_left) * (<double>i / left)
        edge = x[length - 1]
        for i in range(right):
            out[left + length + i] = value_right + (edge - value_right) * (
                <double>(right - 1 - i) / right)
    elif length == 1:
        # antireflect and smooth of one sample: the sample repeated
        for i in range(left):
            out[i] = x[0]
        for i in range(left + length, total):
            out[i] = x[0]
    elif mode == CC_PAD_SMOOTH:
        slope = x[0] - x[1]
        for k in range(1, left + 1):
            out[left - k] = x[0] + <double>k * slope
        slope = x[length - 1] - x[length - 2]
        for k in range(1, right + 1):
            out[left + length - 1 + k] = x[length - 1] + <double>k * slope
    elif mode == CC_PAD_ANTIREFLECT:
        _antireflect_fill(x, length, out + left - 1, -1, left, False)
        _antireflect_fill(x, length, out + left + length, 1, right, True)


cdef void pad_row_backward(const scalar_t* grad, idx_t length, scalar_t* out, idx_t left,
                           idx_t right, int mode, const scalar_t* x,
                           idx_t stat_left, idx_t stat_right, scalar_t* work,
                           double* stat_work) noexcept nogil:
    cdef idx_t i, k, q, m, total = left + length + right
    cdef bint negate
    cdef scalar_t side
    memcpy(out, grad + left, length * sizeof(scalar_t))
    if (left == 0 and right == 0) or mode == CC_PAD_CONSTANT or length == 0:
        return
    if _is_index_mode(mode):
        for i in range(left):
            k = _source(i - left, length, mode, &negate)
            out[k] = out[k] - grad[i] if negate else out[k] + grad[i]
        for i in range(left + length, total):
            k = _source(i - left, length, mode, &negate)
            out[k] = out[k] - grad[i] if negate else out[k] + grad[i]
    elif mode == CC_PAD_MEAN or mode == CC_PAD_MEDIAN or mode == CC_PAD_MINIMUM \
            or mode == CC_PAD_MAXIMUM:
        # Every pad sample of a side holds the same statistic: its gradient is their sum.
        if left > 0:
            side = _sum(grad, left)
            _statistic_backward(x, stat_left, mode, side, out, stat_work)
        if right > 0:
            side = _sum(grad + left + length, right)
            _statistic_backward(x + length - stat_right, stat_right, mode, side,
                                out + length - stat_right, stat_work)
    elif mode == CC_PAD_LINEAR_RAMP:
        # Pad sample i is end + (edge - end) * t_i: d/d(edge) = t_i.
        side = 0
        for i in range(left):
            side = side + grad[i] * (<double>i / left)
        out[0] = out[0] + side
        side = 0
        for i in range(right):
            side = side + grad[left + length + i] * (<double>(right - 1 - i) / right)
        out[length - 1] = out[length - 1] + side
    elif length == 1:
        out[0] = out[0] + _sum(grad, left) + _sum(grad + left + 1, right)
    elif mode == CC_PAD_SMOOTH:
        # Pad sample at distance k is (1 + k) * x[0] - k * x[1] (mirrored on the right).
        for k in range(1, left + 1):
            out[0] = out[0] + grad[left - k] * <double>(1 + k)
            out[1] = out[1] - grad[left - k] * <double>k
        for k in range(1, right + 1):
            out[length - 1] = out[length - 1] + grad[left + length - 1 + k] * <double>(1 + k)
            out[length - 2] = out[length - 2] - grad[left + length - 1 + k] * <double>k
    elif mode == CC_PAD_ANTIREFLECT:
        _antireflect_backward(grad, length, out, left, right)


cdef void _antireflect_backward(const scalar_t* grad, idx_t length, scalar_t* out,
                               idx_t left, idx_t right) noexcept nogil:
    """Transpose of :func:`_antireflect_fill`: in the coordinates of the nearer end (``near``,
    the other end ``far``), pad sample ``s*P + r`` sends ``g`` to ``same``, ``s*g`` to
    ``far`` and ``-s*g`` to ``near`` (even ``s``), or ``-g`` to ``mirror``,
    ``(s+1)*g`` to ``far`` and ``(1-s)*g`` to ``near`` (odd ``s``). ``out`` already
    holds the gradient of the signal's own samples. The end weights grow with the width,
    so they are summed in double."""
    cdef idx_t i, r, s, period = length - 1, total = left + length + right
    cdef idx_t same, mirror
    cdef double g, to_near, to_far, first = 0.0, last = 0.0
    cdef double complex cg, cfirst = 0.0, clast = 0.0
    for i in range(total):
        if left <= i < left + length:
            continue
        if i < left:
            _antireflect_terms(i - left, length, &r, &s)
            same, mirror = r, period - r
        else:
            _antireflect_terms(period - (i - left), length, &r, &s)
            same, mirror = period - r, r
        if s & 1 == 0:
            out[same] = out[same] + grad[i]
            to_near, to_far = -s, s
        else:
            out[mirror] = out[mirror] - grad[i]
            to_near, to_far = 1 - s, s + 1
        if scalar_t is float or scalar_t is double:
            g = grad[i]
            if i < left:
                first += to_near * g
                last += to_far * g
            else:
                last += to_near * g
                first += to_far * g
        else:
            cg = <double complex>grad[i]
            if i < left:
                cfirst = cfirst + to_near * cg
                clast = clast + to_far * cg
            else:
                clast = clast + to_near * cg
                cfirst = cfirst + to_far * cg
    if scalar_t is float or scalar_t is double:
        out[0] = <scalar_t>(<double>out[0] + first)
        out[period] = <scalar_t>(<double>out[period] + last)
    else:
        out[0] = <scalar_t>(<double complex>out[0] + cfirst)
        out[period] = <scalar_t>(<double complex>out[period] + clast)


# ---------------------------------------------------------------------------------------
# Python entry points: validated, C-contiguous 2-D (lanes, length) arrays

# Below this many output elements one thread is faster than waking a team.
cdef enum:
    PARALLEL_MIN_ELEMENTS = 1 << 16


def pad_lanes(const scalar_t[:, ::1] x,        # IN  (lanes, length)
              scalar_t[:, ::1] out,            # OUT (lanes, left + length + right)
              idx_t left, idx_t right, int mode,
              value_left, value_right,
              idx_t stat_left, idx_t stat_right, int n_threads):
    cdef idx_t lanes = x.shape[0], length = x.shape[1], row
    cdef scalar_t vl = value_left, vr = value_right
    cdef idx_t stat_max = max(stat_left, stat_right, 1)
    cdef double[:, ::1] work
    cdef int threads = n_threads
    if lanes * out.shape[1] < PARALLEL_MIN_ELEMENTS or lanes < 2:
        threads = 1
    # Median scratch, one row per thread, allocated with the GIL held.
    work = np.empty((threads, stat_max if mode == CC_PAD_MEDIAN else 1), dtype=np.float64)
    if lanes == 0 or out.shape[1] == 0:
        return
    with nogil:
        for row in prange(lanes, schedule="dynamic", num_threads=threads):
            pad_row(&x[row, 0] if length > 0 else <const scalar_t*>NULL, length,
                    &out[row, 0], left, right, mode, vl, vr, stat_left, stat_right,
                    &work[threadid(), 0])


def pad_backward_lanes(const scalar_t[:, ::1] grad,   # IN  (lanes, left + length + right)
                       scalar_t[:, ::1] out,          # OUT (lanes, length)
                       const scalar_t[:, ::1] x,      # IN  (lanes, length) or (0, 0)
                       idx_t left, idx_t right, int mode,
                       idx_t stat_left, idx_t stat_right, int n_threads):
    cdef idx_t lanes = out.shape[0], length = out.shape[1], total = grad.shape[1], row
    cdef idx_t stat_max = max(stat_left, stat_right, 1)
    cdef int threads = n_threads
    cdef bint with_x = x.shape[0] > 0
    if lanes * total < PARALLEL_MIN_ELEMENTS or lanes < 2:
        threads = 1
    dtype = np.asarray(out).dtype
    cdef scalar_t[:, ::1] work = np.empty((threads, 1), dtype=dtype)   # unused by now
    cdef double[:, ::1] stat_work = np.empty(
        (threads, stat_max if mode == CC_PAD_MEDIAN else 1), dtype=np.float64)
    if lanes == 0 or length == 0:
        return
    with nogil:
        for row in prange(lanes, schedule="dynamic", num_threads=threads):
            pad_row_backward(&grad[row, 0], length, &out[row, 0], left, right, mode,
                             &x[row, 0] if with_x else <const scalar_t*>NULL,
                             stat_left, stat_right, &work[threadid(), 0],
                             &stat_work[threadid(), 0])


# Specialisations by dtype.char: indexing these skips Cython's per-call fused dispatch,
# which costs microseconds and asks read-only buffers for write access.
PAD = {"f": pad_lanes["float"], "d": pad_lanes["double"],
       "F": pad_lanes["float complex"], "D": pad_lanes["double complex"]}
PAD_BACKWARD = {"f": pad_backward_lanes["float"], "d": pad_backward_lanes["double"],
                "F": pad_backward_lanes["float complex"],
                "D": pad_backward_lanes["double complex"]}
