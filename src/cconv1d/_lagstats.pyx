# Window statistics of the lag-window correlation (cconv1d.signal, normalize="pearson").
"""Pearson's coefficient per lag from a raw correlation, in one pass per lane.

``signal._pearson`` correlates each lane ``a`` with the mean-centred template
``v' = v - mean(v)`` (``raw[k] = sum a[n+k] v'[n]``); this module turns that into
``r[k]``. Per lane it makes float64 prefix sums of ``a - mean(a)`` and of its square
(centred, so the window differences do not cancel an offset) and prefix counts of value
changes, the same for ``v'``, then per lag, over the ``n_k`` overlapping pairs:

    cross = raw - mean(a) * Sv          (= sum (a - mean a) v')
    cov   = cross - Sa * Sv / n_k
    r     = cov / sqrt((Saa - Sa^2/n_k) (Svv - Sv^2/n_k))

NaN where ``n_k < 2``, where a window holds no value change (exact counts, not a rounded
variance compared with zero) or a non-finite value (counted, and left out of the sums, so
a NaN spoils only the windows that hold it). All in compiled loops: NumPy would need some twenty
passes over the lane, more than the correlation itself for short templates.
Template matching (unit-step lags that all overlap the whole template, ``mode="valid"``)
by direct sums takes ``pearson_valid``: the raw sums too, block by block (2048 lags an
item, items in parallel), so the lane is read once and only r is written, the memory
traffic of the raw correlation alone. A short template (``cc_direct_pays``) takes
``cc_lagstats.h``'s direct route on the avx2 and avx512 paths: raw sums, window sums and
r in one loop over the taps, nothing else. A longer one, in float64 blocks of 512 lags
or more, takes its transposed route there: the block's segments in the vector lanes
(transposed in and out by tiles), raw sums, window sums and r lane-wise, no shuffle in
the loop over the lags (``_have_transposed``). Otherwise, per block: the conv1d row
kernel's raw sums into a scratch block, then on the avx2 and avx512 paths
``cc_lagstats.h``'s one-pass slide (window sums by in-register scans restarted every
1024 lags from an exact sum centred by that window's mean; r by rsqrt14 and two Newton
steps on AVX-512, by the quotient on AVX2), on the scalar path one unrolled pass for
finiteness and the block's mean, the window sums slid in four segments at once and r in
one loop of ``cc_lagstats.h``'s baseline build. Only in a block holding a nearly
constant window (variance <= 1e-8 of its sum of squares) the exact change markers that
make constant windows NaN. A block with NaN or inf is redone by
the one-chain sliding loop, which counts them. float32 blocks are centred by their own
mean first (float32 raw sums of an offset lane lose the offset's digits). The same
blocked route serves a raw correlation made by FFT (``pearson_lags``, lanes checked
finite first).
A lag window whose overlaps all span the middle of the lane and of the template
(``maxlag`` much shorter than both) keeps the prefix sums only at the two ends
(``_prefixes_ends``).
"""

from cython.parallel cimport prange, threadid
from libc.math cimport NAN, frexp, isfinite, ldexp, sqrt
from libc.stdlib cimport free, malloc
from libc.string cimport memcpy

from cconv1d._kernels cimport CC_SIMD_AVX2, CC_SIMD_AVX512, active_kernels, cc_kernels_t, irow
from cconv1d._typedefs cimport idx_t, real_t

import numpy as np

from cconv1d import _threads


cdef inline double _two_sum_error(double s, double d, double t) noexcept nogil:
    """``(s + d) - t`` exactly for ``t = fl(s + d)`` (Knuth's TwoSum)."""
    cdef double z = t - s
    return (s - (t - z)) + (d - z)


cdef void _prefixes(const real_t* values, const real_t* originals, idx_t n, double offset,
                    double* sums, double* squares, double* changes,
                    double* bad, double* sums_lo, double* squares_lo) noexcept nogil:
    """sums[i] + sums_lo[i], squares[i] + squares_lo[i]: of ``values - offset`` before i,
    non-finite values counted as 0, each a compensated (double-double) prefix sum: a
    window's sum is a difference of two of them, which must stay accurate when the
    samples before the window are far larger than those in it (a loud stretch then a
    quiet one; plain prefix sums lost every digit of the quiet windows' variance).
    bad[i]: non-finite values before i (a window holding one is NaN, and only that
    window: a NaN in the sums would spoil every later window's difference);
    changes[i]: samples ``1 <= s < i`` with ``originals[s] != originals[s - 1]``."""
    cdef idx_t i
    cdef double d, q, finite, t
    sums[0] = 0.0
    squares[0] = 0.0
    sums_lo[0] = 0.0
    squares_lo[0] = 0.0
    changes[0] = 0.0
    bad[0] = 0.0
    if n == 0:
        return
    changes[1] = 0.0
    for i in range(n):
        d = values[i] - offset
        # d - d is 0 for finite d, NaN for NaN and inf (NaN == NaN is false)
        finite = 1.0 if d - d == 0.0 else 0.0
        d = d if finite == 1.0 else 0.0
        q = d * d
        t = sums[i] + d
        sums_lo[i + 1] = sums_lo[i] + _two_sum_error(sums[i], d, t)
        sums[i + 1] = t
        t = squares[i] + q
        squares_lo[i + 1] = squares_lo[i] + _two_sum_error(squares[i], q, t)
        squares[i + 1] = t
        bad[i + 1] = bad[i] + (1.0 - finite)
        if i >= 1:
            # arithmetic, not a branch: on noisy data a branch mispredicts half the time
            changes[i + 1] = changes[i] + <double>(originals[i] != originals[i - 1])


cdef void _prefixes_ends(const real_t* values, const real_t* originals, idx_t n,
                         double offset, idx_t head, idx_t tail, double* sums,
                         double* squares, double* changes, double* bad,
                         double* sums_lo, double* squares_lo) noexcept nogil:
    """_prefixes at positions ``0..head`` and ``tail..n`` only (``head < tail <= n``):
    position ``x <= head`` at index ``x``, ``x >= tail`` at ``x - (tail - head - 1)``.
    The samples between are summed without storing (four chains each), so a lag window
    whose overlaps all span the middle of a long lane (``maxlag`` << n) costs that
    pass and O(window) of stores, not four lane-sized arrays. Every window holds the
    middle, so its plain sums round within the windows' own magnitude; they join the
    compensated prefix at ``head`` by one exact addition."""
    cdef idx_t i, shift = tail - head - 1
    cdef double d, finite, t, sq, ms, mq
    cdef double s[4]
    cdef double q[4]
    cdef double c[4]
    cdef double b[4]
    cdef int u
    _prefixes(values, originals, head, offset, sums, squares, changes, bad, sums_lo,
              squares_lo)
    for u in range(4):
        s[u] = 0.0
        q[u] = 0.0
        c[u] = 0.0
        b[u] = 0.0
    c[0], b[0] = changes[head], bad[head]
    # c counts s >= 1 with originals[s] != originals[s - 1]; changes[head] holds those
    # below head, so the middle starts at head (at 1 when head is 0).
    i = head
    if i == 0 and i < tail:
        d = values[0] - offset
        finite = 1.0 if d - d == 0.0 else 0.0
        s[0] += d if finite == 1.0 else 0.0
        q[0] += d * d if finite == 1.0 else 0.0
        b[0] += 1.0 - finite
        i = 1
    while i + 4 <= tail:
        for u in range(4):      # unrolled by the compiler: four chains
            d = values[i + u] - offset
            finite = 1.0 if d - d == 0.0 else 0.0
            d = d if finite == 1.0 else 0.0
            s[u] += d
            q[u] += d * d
            b[u] += 1.0 - finite
            c[u] += <double>(originals[i + u] != originals[i + u - 1])
        i += 4
    while i < tail:
        d = values[i] - offset
        finite = 1.0 if d - d == 0.0 else 0.0
        d = d if finite == 1.0 else 0.0
        s[0] += d
        q[0] += d * d
        b[0] += 1.0 - finite
        c[0] += <double>(originals[i] != originals[i - 1])
        i += 1
    ms = (s[0] + s[1]) + (s[2] + s[3])
    mq = (q[0] + q[1]) + (q[2] + q[3])
    t = sums[head] + ms
    sums_lo[tail - shift] = sums_lo[head] + _two_sum_error(sums[head], ms, t)
    sums[tail - shift] = t
    t = squares[head] + mq
    squares_lo[tail - shift] = squares_lo[head] + _two_sum_error(squares[head], mq, t)
    squares[tail - shift] = t
    changes[tail - shift] = (c[0] + c[1]) + (c[2] + c[3])
    bad[tail - shift] = (b[0] + b[1]) + (b[2] + b[3])
    for i in range(tail, n):
        d = values[i] - offset
        finite = 1.0 if d - d == 0.0 else 0.0
        d = d if finite == 1.0 else 0.0
        t = sums[i - shift] + d
        sums_lo[i + 1 - shift] = sums_lo[i - shift] + _two_sum_error(sums[i - shift], d, t)
        sums[i + 1 - shift] = t
        sq = d * d
        t = squares[i - shift] + sq
        squares_lo[i + 1 - shift] = squares_lo[i - shift] + _two_sum_error(
            squares[i - shift], sq, t)
        squares[i + 1 - shift] = t
        bad[i + 1 - shift] = bad[i - shift] + (1.0 - finite)
        changes[i + 1 - shift] = changes[i - shift] + (
            <double>(originals[i] != originals[i - 1]) if i >= 1 else 0.0)


cdef inline void _prefix_arrays(const real_t* values, const real_t* originals, idx_t n,
                                double offset, bint ends, idx_t head, idx_t tail,
                                double* sums, double* squares, double* changes,
                                double* bad, double* sums_lo,
                                double* squares_lo) noexcept nogil:
    if ends:
        _prefixes_ends(values, originals, n, offset, head, tail, sums, squares, changes, bad,
                       sums_lo, squares_lo)
    else:
        _prefixes(values, originals, n, offset, sums, squares, changes, bad, sums_lo,
                  squares_lo)


cdef double _mean(const real_t* values, idx_t n) noexcept nogil:
    """Mean of the finite values in float64 (four partial sums: one chain waits on the
    add latency); 0 if there are none. Only an offset to centre by, so NaN must not
    reach it."""
    cdef double s0 = 0.0, s1 = 0.0, c0 = 0.0, c1 = 0.0, x0, x1
    cdef idx_t i = 0
    while i + 2 <= n:
        x0 = values[i]
        x1 = values[i + 1]
        if x0 - x0 == 0.0:
            s0 += x0
            c0 += 1.0
        if x1 - x1 == 0.0:
            s1 += x1
            c1 += 1.0
        i += 2
    if i < n and values[i] - values[i] == 0.0:
        s0 += values[i]
        c0 += 1.0
    return (s0 + s1) / (c0 + c1) if c0 + c1 > 0.0 else 0.0


cdef inline double _pearson_r(double raw, double shift, double sum_a, double sum_aa,
                              double sum_v, double inv, double var_v,
                              bint undefined) noexcept nogil:
    """r of one lag from its raw sum and its window's sums (the lane's offset ``shift``
    taken out); NaN where ``undefined`` (a constant or non-finite window). Inline, so
    the callers' loops still vectorise."""
    cdef double cov = (raw - shift) - sum_a * sum_v * inv
    cdef double var_a = sum_aa - sum_a * sum_a * inv
    var_a = var_a if var_a > 0.0 else 0.0
    cdef double r = cov / sqrt(var_a * var_v)
    r = 1.0 if r > 1.0 else r           # comparisons with NaN are false: NaN stays
    r = -1.0 if r < -1.0 else r
    return NAN if undefined else r


cdef inline bint _template_terms(idx_t m, double mean_a, double sum_v, double sum_vv,
                                 bint v_bad, real_t* out, idx_t count, double* inv,
                                 double* var_v, double* shift) noexcept nogil:
    """The terms of every lag that overlaps the whole template: ``1/m``, the template's
    variance (clamped at 0) and ``mean_a * sum_v``; True, with ``out`` all NaN, when the
    template is constant or not finite (no lag has a correlation)."""
    cdef idx_t j
    if v_bad:
        for j in range(count):
            out[j] = <real_t>NAN
        return True
    inv[0] = 1.0 / m
    var_v[0] = max(sum_vv - sum_v * sum_v * inv[0], 0.0)
    shift[0] = mean_a * sum_v
    return False


cdef bint _full_overlap_run(const double* pa, const double* pa2, const double* ca,
                            const double* ba, const double* pal, const double* pa2l,
                            idx_t gap, const real_t* raw, real_t* out,
                            idx_t k0, idx_t step, idx_t count, idx_t m, double mean_a,
                            double sum_v, double sum_vv, bint v_constant,
                            double tau) noexcept nogil:
    """Lags whose overlap is all of ``v`` (``0 <= k <= n - m``, template matching):
    ``n_k = m`` and the template's sums are constants, so the loop has no branches
    (selects only) and compiles to vector code. The prefix arrays may skip a middle
    (_prefixes_ends): a window's end ``x`` is read at ``x - gap``, its start at ``x``.
    A window's sum is the difference of the high parts plus that of the low parts
    (``pal``, ``pa2l``: the compensated prefix sums' errors). True where some window's
    variance is at most ``tau`` times its squares (_exact_fixup's test; windows
    holding NaN included): the loop finds it at no measurable cost, so a lane without
    one skips the fix-up's pass."""
    cdef double inv, var_v, shift, s_a, s_aa
    cdef idx_t j, k, e
    cdef int flagged = 0
    cdef const double* ha
    cdef const double* ha2
    cdef const double* hal
    cdef const double* ha2l
    cdef const double* hc
    cdef const double* hb
    if _template_terms(m, mean_a, sum_v, sum_vv, v_constant, out, count, &inv, &var_v,
                       &shift):
        return False
    if step == 1:
        # Unit step (template matching): contiguous reads, so the loop vectorises.
        e = k0 + m - gap
        ha, ha2, hc, hb = pa + e, pa2 + e, ca + e, ba + e
        hal, ha2l = pal + e, pa2l + e
        pa, pa2, ca, ba, pal, pa2l = pa + k0, pa2 + k0, ca + k0, ba + k0, pal + k0, pa2l + k0
        for j in range(count):
            s_a = (ha[j] - pa[j]) + (hal[j] - pal[j])
            s_aa = (ha2[j] - pa2[j]) + (ha2l[j] - pa2l[j])
            out[j] = <real_t>_pearson_r(raw[j], shift, s_a, s_aa, sum_v, inv, var_v,
                                        hc[j] - ca[j + 1] == 0.0 or hb[j] != ba[j])
            flagged |= s_aa - s_a * s_a * inv <= tau * s_aa
        return flagged != 0
    for j in range(count):
        k = k0 + step * j
        e = k + m - gap
        s_a = (pa[e] - pa[k]) + (pal[e] - pal[k])
        s_aa = (pa2[e] - pa2[k]) + (pa2l[e] - pa2l[k])
        out[j] = <real_t>_pearson_r(raw[j], shift, s_a, s_aa, sum_v, inv, var_v,
                                    ca[e] - ca[k + 1] == 0.0 or ba[e] != ba[k])
        flagged |= s_aa - s_a * s_a * inv <= tau * s_aa
    return flagged != 0


cdef double _exact_r(const real_t* x, const real_t* vc, idx_t m, double sum_v,
                     double inv, double var_v) noexcept nogil:
    """r of one window ``x[:m]`` (finite, not constant) summed about its own mean, in
    double from the original samples: the two-pass reference's arithmetic."""
    cdef double mu = 0.0, se = 0.0, q = 0.0, c = 0.0, e, var, r
    cdef idx_t i
    for i in range(m):
        mu += x[i]
    mu = mu * inv
    for i in range(m):
        e = x[i] - mu
        se += e
        q += e * e
        c += e * vc[i]
    var = q - se * se * inv
    var = var if var > 0.0 else 0.0
    r = (c - se * sum_v * inv) / sqrt(var * var_v)
    r = 1.0 if r > 1.0 else r
    return -1.0 if r < -1.0 else r


cdef double _exact_pairs(const real_t* x, const real_t* y, idx_t n) noexcept nogil:
    """r of the pairs ``(x[i], y[i])``, ``i < n`` (finite, neither side constant), each
    side summed about its own mean by two passes in double: the reference's arithmetic,
    for a partial overlap whose template part is not centred."""
    cdef double mx = 0.0, my = 0.0, sx = 0.0, sy = 0.0, sxx = 0.0, syy = 0.0, sxy = 0.0
    cdef double ex, ey, inv = 1.0 / n, vx, vy, r
    cdef idx_t i
    for i in range(n):
        mx += x[i]
        my += y[i]
    mx = mx * inv
    my = my * inv
    for i in range(n):
        ex = x[i] - mx
        ey = y[i] - my
        sx += ex
        sy += ey
        sxx += ex * ex
        syy += ey * ey
        sxy += ex * ey
    vx = sxx - sx * sx * inv
    vy = syy - sy * sy * inv
    r = (sxy - sx * sy * inv) / sqrt((vx if vx > 0.0 else 0.0) * (vy if vy > 0.0 else 0.0))
    r = 1.0 if r > 1.0 else r
    return -1.0 if r < -1.0 else r


cdef void _sliding_run(const real_t* a, const real_t* originals, const real_t* vc,
                       double mean_a, const real_t* raw, real_t* out, idx_t k0,
                       idx_t count, idx_t m, double sum_v, double sum_vv,
                       bint v_bad) noexcept nogil:
    """Unit-step lags that all overlap the whole template (``mode="valid"`` template
    matching): window sums slide by one sample instead of coming from prefix arrays (no
    lane-sized scratch, one pass), restarted exactly every 4096 lags so the rounding of
    the running sums cannot accumulate over a long lane.

    The sums are of ``a - c``, ``c`` the lane's mean at first. A lag whose sums cannot
    be trusted restarts them: where the window's variance is small next to what the
    slide added and took away since the last restart (a spike that left the window
    leaves its squares' rounding behind: float64 r had been off by 1e-8, and by 0.85 at
    two taps), or next to the window's squares about ``c`` (the one-pass variance of a
    window far from ``c`` cancels digits), the sums start again from this window, about
    its middle sample as ``c``. Where that still cancels (a window nearly constant but
    for one sample), or where the float32 copy's rounding is large next to the
    window's variance, r comes from the window's original samples by two passes in
    double (_exact_r). ``a`` is the lane (float32: a copy centred in float32),
    ``originals`` its samples as given, ``vc`` the centred template."""
    cdef double inv, var_v, shift, var, c = mean_a
    cdef double s1 = 0.0, s2 = 0.0, n_bad = 0.0, n_changes = 0.0, moved = 0.0
    cdef double d_in, d_out, fin_in, fin_out
    cdef idx_t j, k, i
    cdef bint undefined
    if _template_terms(m, mean_a, sum_v, sum_vv, v_bad, out, count, &inv, &var_v, &shift):
        return
    for j in range(count):
        k = k0 + j
        if j % 4096 == 0:
            s1 = 0.0
            s2 = 0.0
            n_bad = 0.0
            n_changes = 0.0
            moved = 0.0
            for i in range(k, k + m):
                d_in = a[i] - c
                fin_in = 1.0 if d_in - d_in == 0.0 else 0.0
                d_in = d_in if fin_in == 1.0 else 0.0
                s1 += d_in
                s2 += d_in * d_in
                n_bad += 1.0 - fin_in
                if i > k:
                    n_changes += <double>(originals[i] != originals[i - 1])
        else:
            # window [k-1, k-1+m) -> [k, k+m): a[k-1] leaves, a[k+m-1] enters
            d_out = a[k - 1] - c
            d_in = a[k + m - 1] - c
            fin_out = 1.0 if d_out - d_out == 0.0 else 0.0
            fin_in = 1.0 if d_in - d_in == 0.0 else 0.0
            d_out = d_out if fin_out == 1.0 else 0.0
            d_in = d_in if fin_in == 1.0 else 0.0
            s1 += d_in - d_out
            s2 += d_in * d_in - d_out * d_out
            moved += d_in * d_in + d_out * d_out
            n_bad += fin_out - fin_in
            n_changes += (<double>(originals[k + m - 1] != originals[k + m - 2])
                          - <double>(originals[k] != originals[k - 1]))
        undefined = n_changes == 0.0 or n_bad != 0.0
        if not undefined:
            var = s2 - s1 * s1 * inv
            # the slide's rounding (about 2^-52 of `moved`) or the one-pass formula's
            # (2^-52 of s2) may have taken more than about 2^-40 of var
            if var <= (s2 + moved) * (1.0 / 4096):
                c = a[k + m // 2]      # finite: the window holds no NaN or inf
                shift = c * sum_v
                s1 = 0.0
                s2 = 0.0
                moved = 0.0
                for i in range(k, k + m):
                    d_in = a[i] - c
                    s1 += d_in
                    s2 += d_in * d_in
                var = s2 - s1 * s1 * inv
                if var <= s2 * (1.0 / 4096):
                    out[j] = <real_t>_exact_r(originals + k, vc, m, sum_v, inv, var_v)
                    continue
            # float32: each sample of the copy was rounded to 2^-24 of its size, which
            # takes up to 2^-23 sqrt(q0 / var) of var (q0: the window's squares about
            # the copy's 0), and as much of the raw sum: more than about 2^-16 of r
            if real_t is float and var <= (s2 + c * (2.0 * s1 + m * c)) * (1.0 / 16384):
                out[j] = <real_t>_exact_r(originals + k, vc, m, sum_v, inv, var_v)
                continue
        out[j] = <real_t>_pearson_r(raw[j], shift, s1, s2, sum_v, inv, var_v, undefined)


# Lags per block of the blocked sliding route: its window sums and change markers stay
# in L1/L2, and four segments of a block slide at once.
cdef enum:
    _BLOCK = 4096
    _SEGMENTS = 4


cdef bint _all_finite(const real_t* a, idx_t n, double* total) noexcept nogil:
    """No NaN or infinity in ``a[:n]`` (nor a float64 sum beyond 1e308, which takes the
    same careful route); ``total`` gets their sum. cc_lagstats.h's vector sums."""
    cdef int simd = _simd_level()
    if real_t is double:
        return cc_sum_finite_f64(a, n, total, simd) != 0
    else:
        return cc_sum_finite_f32(a, n, total, simd) != 0


cdef void _window_sums(const real_t* a, idx_t count, idx_t m, double mean_a,
                       double* s1, double* s2) noexcept nogil:
    """``s1[j], s2[j]`` = sums of ``d = a - mean_a`` and ``d^2`` over ``a[j:j + m]`` for
    ``j < count`` (finite data). The block is cut into _SEGMENTS segments that slide
    together: four independent chains of additions instead of one, so the loop runs at
    the adder's throughput rather than its latency. Each segment starts from an exact
    sum, so rounding accumulates over at most _BLOCK / _SEGMENTS slides."""
    cdef idx_t q = count // _SEGMENTS, seg, j, t, i
    cdef double w1[_SEGMENTS]
    cdef double w2[_SEGMENTS]
    cdef double d_in, d_out
    cdef idx_t start
    # Exact window sums at each segment's first lag.
    for seg in range(_SEGMENTS):
        start = seg * q
        w1[seg] = 0.0
        w2[seg] = 0.0
        for i in range(start, start + m):
            d_in = a[i] - mean_a
            w1[seg] += d_in
            w2[seg] += d_in * d_in
        if q > 0:
            s1[start] = w1[seg]
            s2[start] = w2[seg]
    for t in range(1, q):
        for seg in range(_SEGMENTS):     # unrolled by the compiler: four chains
            j = seg * q + t
            # window [j - 1, j - 1 + m) -> [j, j + m): a[j - 1] leaves, a[j + m - 1] enters
            d_out = a[j - 1] - mean_a
            d_in = a[j + m - 1] - mean_a
            w1[seg] += d_in - d_out
            w2[seg] += d_in * d_in - d_out * d_out
            s1[j] = w1[seg]
            s2[j] = w2[seg]
    for j in range(_SEGMENTS * q, count):   # the few lags left over: exact sums
        w1[0] = 0.0
        w2[0] = 0.0
        for i in range(j, j + m):
            d_in = a[i] - mean_a
            w1[0] += d_in
            w2[0] += d_in * d_in
        s1[j] = w1[0]
        s2[j] = w2[0]


cdef void _last_changes(const real_t* a, idx_t n, idx_t* last) noexcept nogil:
    """``last[i]`` = the largest ``s <= i`` (``s >= 1``) with ``a[s] != a[s - 1]``, or -1:
    a window ``a[j:j + m]`` holds a value change exactly when ``last[j + m - 1] > j``."""
    cdef idx_t i, at = -1
    if n > 0:
        last[0] = -1
    for i in range(1, n):
        at = i if a[i] != a[i - 1] else at
        last[i] = at


cdef extern from "cconv1d/include/cconv1d/cc_lagstats.h" nogil:
    int cc_pearson_block_f64(const double* raw, const double* s1, const double* s2,
                             Py_ssize_t count, double shift, double sum_v, double inv,
                             double var_v, double* out, int avx2)
    int cc_pearson_block_f32(const float* raw, const double* s1, const double* s2,
                             Py_ssize_t count, double shift, double sum_v, double inv,
                             double var_v, float* out, int avx2)
    void cc_centre_f32(const float* a, Py_ssize_t n, float* out, int simd)
    int cc_sum_finite_f64(const double* a, Py_ssize_t n, double* total, int simd)
    int cc_sum_finite_f32(const float* a, Py_ssize_t n, double* total, int simd)
    float cc_magnitude_f32(const float* a, Py_ssize_t n, int simd)
    double cc_magnitude_f64(const double* a, Py_ssize_t n, int simd)
    const int CC_LAGSTATS_HAVE_AVX512
    const int CC_LAGSTATS_HAVE_AVX2
    int cc_pearson_slide_f64_avx512(const double* a, Py_ssize_t count, Py_ssize_t m,
                                    const double* raw, double sum_v, double inv,
                                    double var_v, double* out)
    int cc_pearson_slide_f32_avx512(const float* a, Py_ssize_t count, Py_ssize_t m,
                                    const float* raw, double sum_v, double inv,
                                    double var_v, float* out)
    int cc_pearson_slide_f64_avx2(const double* a, Py_ssize_t count, Py_ssize_t m,
                                  const double* raw, double sum_v, double inv,
                                  double var_v, double* out)
    int cc_pearson_slide_f32_avx2(const float* a, Py_ssize_t count, Py_ssize_t m,
                                  const float* raw, double sum_v, double inv,
                                  double var_v, float* out)
    int cc_tree_pays(Py_ssize_t m, int simd)
    Py_ssize_t CC_TREE_WORK(Py_ssize_t count, Py_ssize_t m)
    int cc_pearson_tree_f32_avx512(const float* a, Py_ssize_t count, Py_ssize_t m,
                                   const float* raw, double sum_v, double inv,
                                   double var_v, float* out, float* work)
    int cc_pearson_tree_f32_avx2(const float* a, Py_ssize_t count, Py_ssize_t m,
                                 const float* raw, double sum_v, double inv,
                                 double var_v, float* out, float* work)
    int cc_direct_pays(Py_ssize_t m, int simd, int single)
    int cc_pearson_direct_f64_avx512(const double* a, Py_ssize_t count, Py_ssize_t m,
                                     const double* vc, double sum_v, double inv,
                                     double var_v, double* out)
    int cc_pearson_direct_f32_avx512(const float* a, Py_ssize_t count, Py_ssize_t m,
                                     const float* vc, double sum_v, double inv,
                                     double var_v, float* out)
    int cc_pearson_direct_f64_avx2(const double* a, Py_ssize_t count, Py_ssize_t m,
                                   const double* vc, double sum_v, double inv,
                                   double var_v, double* out)
    int cc_pearson_direct_f32_avx2(const float* a, Py_ssize_t count, Py_ssize_t m,
                                   const float* vc, double sum_v, double inv,
                                   double var_v, float* out)
    Py_ssize_t CC_TRANSPOSED_WORK(Py_ssize_t count, Py_ssize_t m)
    int cc_pearson_transposed_f64_avx512(const double* a, Py_ssize_t count, Py_ssize_t m,
                                         const double* vc, double sum_v, double inv,
                                         double var_v, double* out, double* work)
    int cc_pearson_transposed_f64_avx2(const double* a, Py_ssize_t count, Py_ssize_t m,
                                       const double* vc, double sum_v, double inv,
                                       double var_v, double* out, double* work)


cdef int _simd_level() noexcept nogil:
    """The SIMD path in use as cc_lagstats.h's level: 0 the baseline build, 1 AVX2+FMA,
    2 AVX-512F (its one-pass slide; AVX2 for the rest)."""
    cdef int isa = active_kernels().isa
    return 2 if isa == CC_SIMD_AVX512 else 1 if isa == CC_SIMD_AVX2 else 0


cdef inline bint _have_slide(int simd) noexcept nogil:
    """Whether cc_lagstats.h has a one-pass slide for SIMD level ``simd`` (1 AVX2+FMA,
    2 AVX-512F)."""
    return (simd == 2 and CC_LAGSTATS_HAVE_AVX512) or (simd == 1 and CC_LAGSTATS_HAVE_AVX2)


cdef inline int _slide(const real_t* a, idx_t count, idx_t m, const real_t* raw,
                       double sum_v, double inv, double var_v, real_t* out,
                       int simd) noexcept nogil:
    """cc_lagstats.h's one-pass slide (``_have_slide(simd)``): bit 0 near-constant, bit 1
    non-finite."""
    if simd == 2:
        if real_t is double:
            return cc_pearson_slide_f64_avx512(a, count, m, raw, sum_v, inv, var_v, out)
        else:
            return cc_pearson_slide_f32_avx512(a, count, m, raw, sum_v, inv, var_v, out)
    if real_t is double:
        return cc_pearson_slide_f64_avx2(a, count, m, raw, sum_v, inv, var_v, out)
    else:
        return cc_pearson_slide_f32_avx2(a, count, m, raw, sum_v, inv, var_v, out)


cdef inline bint _have_tree(idx_t m, int simd) noexcept nogil:
    """Whether float32 windows of ``m`` samples take cc_lagstats.h's tree (SIMD level
    ``simd``): where its passes, log2(m) and popcount(m) of them, cost less than the
    slide's shuffles (cc_tree_pays)."""
    return _have_slide(simd) and cc_tree_pays(m, simd) != 0


cdef inline bint _have_direct(idx_t m, int simd, bint single) noexcept nogil:
    """Whether template matching with ``m`` taps takes cc_lagstats.h's direct route (raw
    sums, window sums and r in one loop over the taps) at SIMD level ``simd``: where its
    three operations a tap beat the slide's or the tree's fixed cost (cc_direct_pays;
    ``single``: float32)."""
    return _have_slide(simd) and cc_direct_pays(m, simd, single) != 0


cdef inline int _direct(const real_t* a, idx_t count, idx_t m, const real_t* vc,
                        double sum_v, double inv, double var_v, real_t* out,
                        int simd) noexcept nogil:
    """cc_lagstats.h's direct route (``_have_direct``): flags as _slide's."""
    if simd == 2:
        if real_t is double:
            return cc_pearson_direct_f64_avx512(a, count, m, vc, sum_v, inv, var_v, out)
        else:
            return cc_pearson_direct_f32_avx512(a, count, m, vc, sum_v, inv, var_v, out)
    if real_t is double:
        return cc_pearson_direct_f64_avx2(a, count, m, vc, sum_v, inv, var_v, out)
    else:
        return cc_pearson_direct_f32_avx2(a, count, m, vc, sum_v, inv, var_v, out)


# 0: the measured rule (_have_transposed); 1: always where there is one; -1: never.
# Benchmarks and tests set it (_set_transposed) to time or check one route.
cdef int _transposed_mode = 0


def _set_transposed(int mode):
    """Route float64 template matching by the transposed route: 0 where it is measured
    to pay, 1 wherever there is one, -1 never (for benchmarks and tests); returns the
    previous mode."""
    global _transposed_mode
    previous = _transposed_mode
    _transposed_mode = mode
    return previous


cdef inline bint _have_transposed(idx_t m, idx_t nb, int simd) noexcept nogil:
    """Whether a float64 block of ``nb`` lags with ``m`` taps takes cc_lagstats.h's
    transposed route at SIMD level ``simd``."""
    if not _have_slide(simd) or _transposed_mode < 0:
        return False
    if _transposed_mode > 0:
        return True
    # Where the direct route does not pay (m > 39 on AVX-512, > 10 on AVX2): there it
    # replaces the row kernel's raw sums and the slide, measured at 0.86-0.96x their
    # time from 512 lags a block (Zen 4; 1.0-1.08x below), and its sums restart every
    # segment of 256 (AVX2 512) lags, not 1024. The direct route's window sums are each
    # window's own: it keeps the shorter templates, whose r it makes within 1e-12 where
    # slid sums carry a spike's rounding (4e-10, m = 12 among spikes of 1e4).
    return nb >= 512 and not _have_direct(m, simd, False)


cdef inline int _transposed(const double* a, idx_t count, idx_t m, const double* vc,
                            double sum_v, double inv, double var_v, double* out,
                            double* work, int simd) noexcept nogil:
    """cc_lagstats.h's transposed route (``_have_transposed``): flags as _slide's."""
    if simd == 2:
        return cc_pearson_transposed_f64_avx512(a, count, m, vc, sum_v, inv, var_v, out,
                                                work)
    return cc_pearson_transposed_f64_avx2(a, count, m, vc, sum_v, inv, var_v, out, work)


cdef size_t _tree_bytes(idx_t count, idx_t m) noexcept nogil:
    """Bytes of the tree's scratch for blocks of up to ``count`` lags (and a line to
    align it)."""
    return CC_TREE_WORK(count, m) * sizeof(float) + 64


cdef inline bint _coefficients(const real_t* raw, const double* s1, const double* s2,
                               idx_t count, double shift, double sum_v, double inv,
                               double var_v, real_t* out, int avx2) noexcept nogil:
    """r for ``count`` lags (cc_lagstats.h); whether a window is nearly constant."""
    if real_t is double:
        return cc_pearson_block_f64(raw, s1, s2, count, shift, sum_v, inv, var_v, out,
                                    avx2) != 0
    else:
        return cc_pearson_block_f32(raw, s1, s2, count, shift, sum_v, inv, var_v, out,
                                    avx2) != 0


cdef enum:
    _REDO_MAX_TAPS = 512


cdef int _redo_direct(const real_t* originals, idx_t nb, idx_t m, const real_t* vc,
                      double sum_v, double inv, double var_v, real_t* out, double* scratch,
                      int simd) noexcept nogil:
    """_block_r's redo of a block with a nearly constant window by the direct route, into
    ``scratch`` (``nb`` values) first: where the direct route sends the block away (its
    sums near the subnormal range, or overflowing) the slide's or the tree's r stays, and
    the nearly constant flag with it (returns 1), so constant windows still become NaN;
    a caller that ignores bit 1 (pearson_lags) had kept the direct route's +-1 there.
    Else its r and flags."""
    cdef real_t* tmp = <real_t*>scratch
    cdef int flags = _direct(originals, nb, m, vc, sum_v, inv, var_v, tmp, simd)
    if flags & 2:
        return 1
    memcpy(out, tmp, nb * sizeof(real_t))
    return flags


cdef int _block_r(const real_t* a, const real_t* originals, const real_t* raw,
                  const real_t* vc, idx_t nb, idx_t m, double offset, double sum_v,
                  double inv, double var_v, real_t* out, double* s1, double* s2,
                  idx_t* last, int simd, char* tree) noexcept nogil:
    """r for the ``nb`` lags whose windows start at ``a[0:nb]`` from their raw sums:
    for float32 and a short template cc_lagstats.h's tree (``tree``: its scratch, or
    NULL), else its one-pass slide where there is one, else the window sums centred by
    ``offset`` (_window_sums) and the coefficients (_coefficients); then, only when a
    window is nearly constant, the change markers (_last_changes) that make constant
    windows exactly NaN. A block in which the tree or the slide found a nearly constant
    window is made again by the direct route from the original samples (``vc``: the
    centred template; _redo_direct), whose window sums are each window's own, about
    offsets of its own (a float32 block centred by its mean has rounded the deviations
    already): the slid sums' rounding, from the largest samples of the segment, had left
    r of a window of 38 equal samples and one other off by 1e-4 in float64 and 1e-3 in
    float32. Up to _REDO_MAX_TAPS taps: the direct route costs about 3x the raw sums'
    direct time for such a block, where the raw sums of longer templates may come from
    the FFT at a fraction of it (a lane of many flat stretches would have cost 100x).
    Returns 2 when the tree or the slide met a NaN or an infinity (``out`` is then
    meaningless), else 0."""
    cdef bint near
    cdef int flags
    if real_t is float and tree != NULL and _have_tree(m, simd):
        tree = <char*>((<size_t>tree + 63) & ~(<size_t>63))     # on a line
        flags = (cc_pearson_tree_f32_avx512 if simd == 2 else cc_pearson_tree_f32_avx2)(
            a, nb, m, raw, sum_v, inv, var_v, out, <float*>tree)
        if flags & 1 and not flags & 2 and m <= _REDO_MAX_TAPS:
            flags = _redo_direct(originals, nb, m, vc, sum_v, inv, var_v, out, s1, simd)
        if flags & 2:
            return 2
        near = flags & 1
    elif _have_slide(simd):
        flags = _slide(a, nb, m, raw, sum_v, inv, var_v, out, simd)
        if flags & 1 and not flags & 2 and m <= _REDO_MAX_TAPS:
            flags = _redo_direct(originals, nb, m, vc, sum_v, inv, var_v, out, s1, simd)
        if flags & 2:
            return 2
        near = flags & 1
    else:
        _window_sums(a, nb, m, offset, s1, s2)
        near = _coefficients(raw, s1, s2, nb, offset * sum_v, sum_v, inv, var_v, out, simd)
    if near:
        _constant_nan(originals, nb, m, last, out)
    return 0


cdef void _constant_nan(const real_t* originals, idx_t nb, idx_t m, idx_t* last,
                        real_t* out) noexcept nogil:
    """NaN at the lags of ``nb`` whose window holds no value change (exact, from the
    change markers of the original samples: _last_changes)."""
    cdef idx_t j
    _last_changes(originals, nb + m - 1, last)
    for j in range(nb):
        if last[j + m - 1] <= j:    # no value change in the window: constant
            out[j] = <real_t>NAN


cdef void _blocked_run(const real_t* a, const real_t* originals, double mean_a,
                       const real_t* raw, const real_t* vc, real_t* out, idx_t k0,
                       idx_t count, idx_t m,
                       double sum_v, double sum_vv, bint v_bad, double* s1, double* s2,
                       idx_t* last, int simd, char* tree) noexcept nogil:
    """The sliding route for a lane without NaN or inf, block by block: window sums
    (_window_sums), r for the block (_coefficients), or both in one pass on AVX-512
    and AVX2 (cc_lagstats.h's slide, or for float32 its tree: ``tree``, its scratch
    for _BLOCK lags, or NULL), and only in a block holding a nearly constant window, the
    change markers (_last_changes) that make constant windows exactly NaN."""
    cdef double inv, var_v, shift
    cdef idx_t b0, nb
    if _template_terms(m, mean_a, sum_v, sum_vv, v_bad, out, count, &inv, &var_v, &shift):
        return
    b0 = 0
    while b0 < count:
        nb = count - b0 if count - b0 < _BLOCK else _BLOCK
        # The lane is finite (checked by the caller): the slide's flag is not needed.
        _block_r(a + k0 + b0, originals + k0 + b0, raw + b0, vc, nb, m, mean_a, sum_v,
                 inv, var_v, out + b0, s1, s2, last, simd, tree)
        b0 += _BLOCK


def all_finite(const real_t[:, ::1] rows):
    """Whether ``rows`` holds no NaN or infinity: one vectorised pass, no temporary (the
    FFT routes' check; ``numpy.isfinite(rows).all()`` writes a boolean array first).
    float64 rows whose sum overflows count as non-finite (the callers' direct route)."""
    cdef idx_t lane, lanes = rows.shape[0], n = rows.shape[1]
    cdef double total
    cdef bint finite = True
    if n == 0:
        return True
    with nogil:
        for lane in range(lanes):
            if not _all_finite(&rows[lane, 0], n, &total):
                finite = False
                break
    return finite


cdef double _largest_magnitude(const real_t* x, idx_t n) noexcept nogil:
    """The largest finite ``|x[i]|`` (0 for none): cc_lagstats.h's pass over the bits."""
    if real_t is double:
        return cc_magnitude_f64(x, n, _simd_level())
    else:
        return cc_magnitude_f32(x, n, _simd_level())


def in_range(rows, int lo, int hi):
    """``rows`` (C-contiguous float32 or float64 lanes), or a copy in which each lane
    whose largest finite magnitude lies outside ``[2**lo, 2**hi)`` is multiplied by the
    power of two that brings it into [1/2, 1) (a lane of zeros or of no finite value is
    left as it is). Pearson's r is the same for a lane scaled by any factor, and a power
    of two scales every value exactly: the signal functions bring lanes whose squares,
    window sums or their products would overflow or underflow back into range. One
    vectorised pass; no allocation unless a lane is out of range."""
    if rows.dtype == np.float32:
        return _in_range[float](rows, lo, hi).base
    return _in_range[double](rows, lo, hi).base


cdef const real_t[:, ::1] _in_range(const real_t[:, ::1] rows, int lo, int hi):
    """in_range's work: ``rows`` itself when every lane is inside."""
    cdef idx_t lane, i, lanes = rows.shape[0], n = rows.shape[1], first = -1
    cdef double top
    cdef int e
    if n == 0:
        return rows
    with nogil:
        for lane in range(lanes):
            top = _largest_magnitude(&rows[lane, 0], n)
            if top != 0:
                frexp(top, &e)          # top = f * 2**e, f in [1/2, 1)
                if e <= lo or e > hi:
                    first = lane
                    break
    if first < 0:
        return rows
    result = np.array(rows.base, copy=True)
    cdef real_t[:, ::1] out = result
    cdef real_t factor
    with nogil:
        for lane in range(first, lanes):
            top = _largest_magnitude(&rows[lane, 0], n)
            if top == 0:
                continue
            frexp(top, &e)
            if e <= lo or e > hi:
                factor = <real_t>ldexp(1.0, -e)
                for i in range(n):
                    out[lane, i] = rows[lane, i] * factor
    return out


cdef const real_t* _block_in_range(const real_t* a, idx_t n, int lo, int hi,
                                   real_t* copy) noexcept nogil:
    """``a`` (``n`` samples), or ``copy`` holding them times the power of two that
    brings their largest finite magnitude into [1/2, 1) when it lies outside
    ``[2**lo, 2**hi)`` (in_range's rule, for one block: r is the same for any scale of
    the samples a window reads, and every window of a block reads only the block)."""
    cdef double top = _largest_magnitude(a, n)
    cdef int e
    cdef idx_t i
    cdef real_t factor
    if top == 0:
        return a
    frexp(top, &e)
    if lo < e <= hi:
        return a
    factor = <real_t>ldexp(1.0, -e)
    for i in range(n):
        copy[i] = a[i] * factor
    return copy


def centred_lanes(const real_t[:, ::1] rows):
    """``rows`` minus each lane's mean (of its finite values; NaN and inf stay), computed
    in float64 and rounded once: float32 sums of an offset lane lose the digits the
    offset takes. One vectorised pass for the mean of a finite lane, one to centre; no
    float64 temporary of the lanes."""
    cdef idx_t lane, lanes = rows.shape[0], n = rows.shape[1]
    cdef double total, offset
    result = np.empty((lanes, n), dtype=np.float32 if real_t is float else np.float64)
    cdef real_t[:, ::1] out = result
    if n == 0:
        return result
    with nogil:
        for lane in range(lanes):
            if _all_finite(&rows[lane, 0], n, &total):
                offset = total / n
            else:
                offset = _mean(&rows[lane, 0], n)
            _centre(&rows[lane, 0], n, offset, &out[lane, 0])
    return result


# The prefix route's windows summed again by two passes (_exact_fixup), where
# var_a <= _EXACT_TAU sum_aa: the one-pass variance about the lane's mean kept fewer
# than about 11 digits (float32: the lane's copy rounded to float32 and its float32
# raw sums took more than about 2^-17 of r). Up to _EXACT_MAX_TAPS taps, O(taps) a
# window: on a lane whose every window is flagged (a drift of 1e4 standard deviations)
# 16 taps took 4x the time of the route without it, 256 taps 26x; past 16 taps the
# error it removes was at most 3e-10 (float32 8e-5).
cdef enum:
    _EXACT_MAX_TAPS = 16
cdef double _EXACT_TAU = 1.0 / 65536


cdef void _exact_fixup(const double* pa, const double* pa2, const double* ca,
                       const double* ba, const double* pal, const double* pa2l,
                       idx_t gap, const real_t* originals, const real_t* vc, real_t* out,
                       idx_t k0, idx_t step, idx_t count, idx_t m, double sum_v,
                       double sum_vv) noexcept nogil:
    """After _full_overlap_run: the lags whose window is far from the lane's mean next to
    its own spread (a spike nearby, a drift, two nearly equal samples at m = 2), whose
    one-pass variance about that mean cancelled digits (float64 r had been off by 1e-6
    at m = 2 and 1e-8 at m = 3 next to spikes of 1e4; float32 by 1e-2 and 3e-4), take r
    from the window's original samples by two passes in double (_exact_r). Windows
    holding NaN or inf, or constant, keep their NaN."""
    cdef double inv = 1.0 / m, var_v, sum_a, sum_aa, var_a
    cdef double tau = 4 * _EXACT_TAU if real_t is float else _EXACT_TAU
    cdef idx_t j, k, e
    var_v = sum_vv - sum_v * sum_v * inv
    var_v = var_v if var_v > 0.0 else 0.0
    for j in range(count):
        k = k0 + step * j
        e = k + m - gap
        if ca[e] - ca[k + 1] == 0.0 or ba[e] != ba[k]:
            continue
        sum_a = (pa[e] - pa[k]) + (pal[e] - pal[k])
        sum_aa = (pa2[e] - pa2[k]) + (pa2l[e] - pa2l[k])
        var_a = sum_aa - sum_a * sum_a * inv
        if var_a <= sum_aa * tau:
            out[j] = <real_t>_exact_r(originals + k, vc, m, sum_v, inv, var_v)


def pearson_lags(const real_t[:, ::1] rows,        # IN  (lanes, n): a (or a - mean a)
                 const real_t[:, ::1] originals,   # IN  (lanes, n): a, for change counts
                 const real_t[:, ::1] vrows,       # IN  (1 or lanes, m): v
                 const real_t[:, ::1] vcentred,    # IN  same shape: v - mean(v)
                 const real_t[:, ::1] raw,         # IN  (lanes, count): corr(a, v')
                 real_t[:, ::1] out,               # OUT (lanes, count)
                 idx_t first, idx_t step, bint lanes_finite=False):
    """Pearson coefficients at lags ``first + step*j`` (``step > 0``, every lag with at
    least one overlapping pair: the caller trimmed the window). ``lanes_finite``: the
    caller has checked ``rows`` for NaN and inf, so the blocked route with a slide (or a
    tree) skips its own pass over the lane (its mean serves only the route without)."""
    cdef idx_t lanes = rows.shape[0], n = rows.shape[1], m = vrows.shape[1]
    cdef idx_t count = out.shape[1], lane, j, k, a_lo, a_hi, v_lo, v_hi, i, j_lo, j_hi
    cdef bint per_lane_v = vrows.shape[0] > 1
    cdef double mean_a, n_k, sum_a, sum_aa, sum_v, sum_vv, cov, var_a, var_v, r
    cdef double tau = 4 * _EXACT_TAU if real_t is float else _EXACT_TAU
    if lanes == 0 or count == 0:
        return
    # Every lag overlapping the whole template with a unit step: sliding sums, no
    # lane-sized prefix arrays.
    cdef idx_t j_first = 0 if first >= 0 else (-first + step - 1) // step
    cdef idx_t j_last = (n - m - first) // step + 1 if n - m - first >= 0 else 0
    cdef bint sliding = step == 1 and m >= 2 and j_first == 0 and j_last >= count
    # Only the ends of the prefix arrays when every overlap spans the lane's (and the
    # template's) middle: windows start at or before head - 1 and end at or after tail.
    cdef idx_t k_last = first + step * (count - 1)
    cdef idx_t head_a = min(max(k_last, 0) + 1, n), tail_a = min(n, first + m)
    cdef idx_t head_v = min(max(-first, 0) + 1, m), tail_v = min(m, n - k_last)
    cdef bint ends_a = tail_a - head_a > n // 4 + 1
    cdef bint ends_v = tail_v - head_v > m // 4 + 1
    cdef idx_t gap_a = tail_a - head_a - 1 if ends_a else 0
    cdef idx_t gap_v = tail_v - head_v - 1 if ends_v else 0
    cdef idx_t n_lane = 0 if sliding else n + 1 - gap_a
    cdef idx_t m_all = m + 1 - gap_v
    # Two allocations, not one: glibc serves blocks up to 32 MiB from memory it has
    # already touched once the first is freed, and larger ones from fresh pages on every
    # call (a 1e6-sample lane's six arrays in one block cost 20 ms of page faults).
    cdef double* work = <double*>malloc((4 * n_lane + 4 * m_all) * sizeof(double))
    cdef double* low = <double*>malloc((2 * n_lane + 2 * m_all) * sizeof(double))
    if work == NULL or low == NULL:
        free(work)
        free(low)
        raise MemoryError("correlate(normalize='pearson'): cannot allocate window sums")
    cdef double* pa = work
    cdef double* pa2 = work + n_lane
    cdef double* ca = work + 2 * n_lane
    cdef double* ba = work + 3 * n_lane
    cdef double* pv = work + 4 * n_lane
    cdef double* pv2 = pv + m_all
    cdef double* cv = pv + 2 * m_all
    cdef double* bv = pv + 3 * m_all
    cdef double* pal = low                    # the compensated sums' low parts
    cdef double* pa2l = low + n_lane
    cdef double* pvl = low + 2 * n_lane
    cdef double* pv2l = pvl + m_all
    cdef idx_t mv = m - gap_v      # where the template's totals are
    # The blocked route's window sums and change markers (idx_t is 8 bytes, a double's).
    cdef double* blocks = NULL
    cdef int simd = _simd_level()
    # and, for float32 and a short template, the tree's levels (cc_lagstats.h)
    cdef char* tree = NULL
    cdef bint known = lanes_finite and _have_slide(simd)
    if sliding:
        blocks = <double*>malloc((3 * _BLOCK + m) * sizeof(double))
        if real_t is float and _have_tree(m, simd):
            tree = <char*>malloc(_tree_bytes(_BLOCK, m))
    try:
        with nogil:
            for lane in range(lanes):
                if sliding and blocks != NULL and (
                        known or _all_finite(&rows[lane, 0], n, &mean_a)):
                    # The usual case: one unrolled pass for finiteness and the mean, or
                    # none when the caller knows the lane is finite and the slide or
                    # the tree, which take offsets of their own, runs (mean_a unused).
                    mean_a = 0.0 if known else mean_a / n
                    if lane == 0 or per_lane_v:
                        _prefix_arrays(&vcentred[lane if per_lane_v else 0, 0],
                                       &vrows[lane if per_lane_v else 0, 0], m, 0.0, ends_v,
                                       head_v, tail_v, pv, pv2, cv, bv, pvl, pv2l)
                    _blocked_run(&rows[lane, 0], &originals[lane, 0], mean_a,
                                 &raw[lane, 0], &vcentred[lane if per_lane_v else 0, 0],
                                 &out[lane, 0], first, count, m,
                                 pv[mv] + pvl[mv], pv2[mv] + pv2l[mv],
                                 cv[mv] - cv[1] == 0.0 or bv[mv] != 0.0, blocks,
                                 blocks + _BLOCK, <idx_t*>(blocks + 2 * _BLOCK), simd,
                                 tree)
                    continue
                mean_a = _mean(&rows[lane, 0], n)
                if lane == 0 or per_lane_v:
                    _prefix_arrays(&vcentred[lane if per_lane_v else 0, 0],
                                   &vrows[lane if per_lane_v else 0, 0], m, 0.0, ends_v,
                                   head_v, tail_v, pv, pv2, cv, bv, pvl, pv2l)
                if sliding:
                    # A NaN or inf in the lane: the one-chain route, which counts them.
                    _sliding_run(&rows[lane, 0], &originals[lane, 0],
                                 &vcentred[lane if per_lane_v else 0, 0], mean_a,
                                 &raw[lane, 0], &out[lane, 0], first, count, m,
                                 pv[mv] + pvl[mv],
                                 pv2[mv] + pv2l[mv],
                                 cv[mv] - cv[1] == 0.0 or bv[mv] != 0.0)
                    continue
                _prefix_arrays(&rows[lane, 0], &originals[lane, 0], n, mean_a, ends_a,
                               head_a, tail_a, pa, pa2, ca, ba, pal, pa2l)
                # The run of lags that overlap all of v takes the branch-free loop.
                j_lo = 0 if first >= 0 else (-first + step - 1) // step
                j_hi = (n - m - first) // step + 1 if n - m - first >= 0 else 0
                if j_hi > count:
                    j_hi = count
                if m >= 2 and j_lo < j_hi:
                    if (_full_overlap_run(pa, pa2, ca, ba, pal, pa2l, gap_a,
                                          &raw[lane, 0] + j_lo,
                                          &out[lane, 0] + j_lo, first + step * j_lo,
                                          step, j_hi - j_lo, m, mean_a, pv[mv] + pvl[mv],
                                          pv2[mv] + pv2l[mv],
                                          cv[mv] - cv[1] == 0.0 or bv[mv] != 0.0, tau)
                            and m <= _EXACT_MAX_TAPS):
                        _exact_fixup(pa, pa2, ca, ba, pal, pa2l, gap_a, &originals[lane, 0],
                                     &vcentred[lane if per_lane_v else 0, 0],
                                     &out[lane, 0] + j_lo, first + step * j_lo, step,
                                     j_hi - j_lo, m, pv[mv] + pvl[mv], pv2[mv] + pv2l[mv])
                for j in range(count):
                    if j_lo <= j < j_hi and m >= 2:
                        continue
                    k = first + step * j
                    a_lo = k if k > 0 else 0
                    a_hi = n if n < k + m else k + m
                    v_lo = -k if k < 0 else 0
                    v_hi = m if m < n - k else n - k
                    n_k = <double>(a_hi - a_lo)
                    # A window's start is read at its index, its end past the gap.
                    if (a_hi - a_lo < 2 or ca[a_hi - gap_a] - ca[a_lo + 1] == 0.0
                            or cv[v_hi - gap_v] - cv[v_lo + 1] == 0.0
                            or ba[a_hi - gap_a] != ba[a_lo]
                            or bv[v_hi - gap_v] != bv[v_lo]):
                        out[lane, j] = NAN
                        continue
                    # compensated prefix sums: high parts' and low parts' differences
                    sum_a = ((pa[a_hi - gap_a] - pa[a_lo])
                             + (pal[a_hi - gap_a] - pal[a_lo]))
                    sum_aa = ((pa2[a_hi - gap_a] - pa2[a_lo])
                              + (pa2l[a_hi - gap_a] - pa2l[a_lo]))
                    sum_v = (pv[v_hi - gap_v] - pv[v_lo]) + (pvl[v_hi - gap_v] - pvl[v_lo])
                    sum_vv = ((pv2[v_hi - gap_v] - pv2[v_lo])
                              + (pv2l[v_hi - gap_v] - pv2l[v_lo]))
                    # raw sums the uncentred a against v': move a's offset out first
                    cov = (raw[lane, j] - mean_a * sum_v) - sum_a * sum_v / n_k
                    var_a = sum_aa - sum_a * sum_a / n_k
                    var_v = sum_vv - sum_v * sum_v / n_k
                    if ((var_a <= sum_aa * tau or var_v <= sum_vv * tau)
                            and a_hi - a_lo <= _EXACT_MAX_TAPS):
                        # too few digits left in var_a (_exact_fixup) or in var_v (the
                        # template's part far from its mean: a spike elsewhere in v):
                        # two passes on both sides, from the samples as given
                        out[lane, j] = <real_t>_exact_pairs(
                            &originals[lane, a_lo],
                            &vrows[lane if per_lane_v else 0, v_lo], a_hi - a_lo)
                        continue
                    if var_v < 0.0:
                        var_v = 0.0
                    if var_a < 0.0:
                        var_a = 0.0
                    r = cov / sqrt(var_a * var_v)
                    # |r| <= 1 in exact arithmetic; NaN (0/0) stays NaN
                    if r > 1.0:
                        r = 1.0
                    elif r < -1.0:
                        r = -1.0
                    out[lane, j] = <real_t>r
    finally:
        free(work)
        free(low)
        free(blocks)
        free(tree)


# Lags per work item of pearson_valid: the item's raw sums, window sums and change
# markers stay in L1/L2 between the kernels that make and read them.
cdef enum:
    _FUSED_BLOCK = 2048


cdef void _centre(const real_t* a, idx_t n, double offset, real_t* out) noexcept nogil:
    """``out = a - offset``, computed in float64 and rounded once."""
    cdef idx_t i
    for i in range(n):
        out[i] = <real_t>(a[i] - offset)


cdef void _fused_block(const cc_kernels_t* kern, const real_t* a, const real_t* originals,
                       const idx_t* offs, const real_t* vc, idx_t nb, idx_t m,
                       double sum_v, double inv, double var_v, real_t* out, real_t* raw,
                       double* s1, double* s2, idx_t* last, real_t* centred, int simd,
                       bint* finite, char* tree, double* trans) noexcept nogil:
    """r for the ``nb`` lags whose windows start at ``a[0:nb]``: for float64 blocks
    that _have_transposed admits, cc_lagstats.h's transposed route (``trans``: its
    scratch, or NULL); for short templates (_have_direct) its direct route, raw and
    window sums and r in one loop; else the raw sums by the conv1d row kernel into
    ``raw`` (scratch), then _block_r (``tree``: the float32 tree's scratch, or NULL).
    ``finite`` False (``out`` not meaningful) when the block holds NaN or inf. Off the
    direct route, float32 blocks are centred first by their own mean into
    ``centred`` (``nb + m - 1`` scratch values): float32 raw sums of an offset signal
    would lose the digits the offset takes, and a block's own mean keeps them on a
    drifting lane too (Pearson's r does not change when a constant is added, and the
    window sums are taken from the same centred values)."""
    cdef double total = 0.0, offset = 0.0
    cdef int flags
    if real_t is double and trans != NULL and _have_transposed(m, nb, simd):
        # raw sums, window sums and r with the block's segments in the lanes (no
        # centring: the route takes each segment's offset); a window that cancelled
        # or is nearly constant sends the block to the direct route, then the exact
        # check (the scratch is free again by then)
        flags = _transposed(a, nb, m, vc, sum_v, inv, var_v, out, trans, simd)
        if flags & 1 and not flags & 2 and m <= _REDO_MAX_TAPS:
            flags = _redo_direct(originals, nb, m, vc, sum_v, inv, var_v, out, trans,
                                 simd)
        if flags & 2:
            finite[0] = False
        elif flags & 1:
            _constant_nan(originals, nb, m, last, out)
        return
    if _have_direct(m, simd, real_t is float):
        # raw sums, window sums and r in one loop (no centring: it takes its own
        # offsets, and the raw sums of d = a - o)
        flags = _direct(a, nb, m, vc, sum_v, inv, var_v, out, simd)
        if flags & 2:
            finite[0] = False
        elif flags & 1:
            _constant_nan(originals, nb, m, last, out)
        return
    if real_t is float:
        # The tree and the slide find non-finite values themselves (they make the mean,
        # so every centred value, NaN or infinite); the two-pass sums need a finite
        # block.
        if not _have_slide(simd) and not _all_finite(a, nb + m - 1, &total):
            finite[0] = False
            return
        cc_centre_f32(a, nb + m - 1, centred, simd)
        a = centred
    elif not _have_slide(simd):
        # the two-pass sums need a finite block, centred by its own mean (a local
        # offset: drift keeps digits); the slide finds non-finite values itself
        if not _all_finite(a, nb + m - 1, &total):
            finite[0] = False
            return
        offset = total / (nb + m - 1)
    irow(kern, a, offs, m, vc, raw, nb, 0, 0)
    if _block_r(a, originals, raw, vc, nb, m, offset, sum_v, inv, var_v, out, s1, s2,
                last, simd, tree):
        finite[0] = False


cdef void _valid_item(const cc_kernels_t* kern, const real_t* a, const idx_t* offs,
                      const real_t* vc, idx_t nb, idx_t m, const double* terms,
                      double inv, real_t* out, double* scratch, idx_t braw, idx_t bmax,
                      int simd, bint* finite, bint with_tree,
                      idx_t tree_doubles, bint with_trans) noexcept nogil:
    """One block of pearson_valid: _fused_block on a thread's ``scratch`` (raw, s1, s2:
    ``braw`` values each, none on the direct route; the change markers and a float32
    block's centred copy: ``bmax + m`` each; then the tree's levels, ``tree_doubles``;
    then the transposed route's, CC_TRANSPOSED_WORK)."""
    cdef double* rest = scratch + 3 * braw + 2 * (bmax + m)
    _fused_block(kern, a, a, offs, vc, nb, m, terms[0], inv, terms[2], out,
                 <real_t*>scratch, scratch + braw, scratch + 2 * braw,
                 <idx_t*>(scratch + 3 * braw),
                 <real_t*>(scratch + 3 * braw + bmax + m), simd, finite,
                 <char*>rest if with_tree else <char*>NULL,
                 rest + tree_doubles if with_trans else <double*>NULL)


cdef void _redo_item(const cc_kernels_t* kern, const real_t* a, const idx_t* offs,
                     const real_t* vc, idx_t nb, idx_t m, const double* terms,
                     real_t* out, real_t* centred) noexcept nogil:
    """A block of pearson_valid holding NaN or inf: raw sums for its lags into ``out``,
    then the one-chain route that counts them, r in place; a float32 block centred first
    (into ``centred``: ``nb + m - 1`` values) by the mean of its finite values (NaN
    stays NaN)."""
    cdef const real_t* block_in = a
    if real_t is float:
        _centre(a, nb + m - 1, _mean(a, nb + m - 1), centred)
        block_in = centred
    irow(kern, block_in, offs, m, vc, out, nb, 0, 0)
    _sliding_run(block_in, a, vc, _mean(block_in, nb + m - 1), out, out, 0, nb, m,
                 terms[0], terms[1], False)


cdef void _pearson_block(const cc_kernels_t* kern, const real_t* rows, idx_t n,
                         real_t* out, idx_t count, const real_t* vcentred,
                         const idx_t* offs, const double* terms, double inv, idx_t item,
                         idx_t first, idx_t per_lane, bint per_lane_v, idx_t m,
                         double* scratch, idx_t braw, idx_t bmax, int simd, bint* finite,
                         bint with_tree, idx_t tree_doubles, bint with_trans,
                         int lo, int hi, const bint* far, idx_t copy_at,
                         bint redo) noexcept nogil:
    """Block ``item`` of pearson_valid (lane ``item // per_lane`` of ``rows`` (lanes, n)
    and ``out`` (lanes, count)): the first pass (_valid_item; a lane of a constant or
    non-finite template is left as _template_terms wrote it), or with ``redo`` the
    block again by _redo_item if the first pass found NaN or inf in it; ``scratch`` is
    the thread's. ``lo < hi`` and ``far[lane]``: the block's samples first brought
    into ``[2**lo, 2**hi)`` (_block_in_range, into the scratch at ``copy_at``
    doubles)."""
    cdef idx_t lane = item // per_lane, vl = lane if per_lane_v else 0
    cdef idx_t b0 = (item % per_lane) * _FUSED_BLOCK
    cdef idx_t nb = min(<idx_t>_FUSED_BLOCK, count - b0)
    cdef const real_t* a = rows + lane * n + first + b0
    cdef real_t* o = out + lane * count + b0
    if terms[4 * vl + 3] != 0.0 or redo and finite[item]:
        return      # the template's r are all NaN, or nothing to redo
    if lo < hi and far[lane]:
        a = _block_in_range(a, nb + m - 1, lo, hi, <real_t*>(scratch + copy_at))
    if redo:
        _redo_item(kern, a, offs, vcentred + vl * m, nb, m, terms + 4 * vl, o,
                   <real_t*>(scratch + 3 * braw + bmax + m))
    else:
        _valid_item(kern, a, offs, vcentred + vl * m, nb, m, terms + 4 * vl, inv, o,
                    scratch, braw, bmax, simd, &finite[item], with_tree, tree_doubles,
                    with_trans)


def pearson_valid(const real_t[:, ::1] rows,        # IN  (lanes, n): a
                  const real_t[:, ::1] vrows,       # IN  (1 or lanes, m): v
                  real_t[:, ::1] out,               # OUT (lanes, count)
                  idx_t first, int n_threads, int lo=0, int hi=0):
    """Pearson coefficients at the unit-step lags ``first + j`` that all overlap the whole
    template (``0 <= first``, ``first + count - 1 <= n - m``, ``2 <= m``), raw sums
    included, block by block (_fused_block): for a short template the direct route's one
    loop over the taps, else the conv1d row kernel's raw sums into a scratch block,
    then the window sums and r from it (one pass on AVX-512), so the lane is read once
    and only r is written, the memory traffic of the raw correlation alone. Blocks run
    in parallel. A block holding NaN or inf (or, on the direct route, whose sums
    overflow or sit near the subnormal range) is redone by the one-chain route that
    counts them (raw sums into ``out``, then r in place). The template is centred here
    by the mean of its finite values (``v - mean``, rounded to the working type); off
    the direct route a float32 lane block by block by its block's mean, or, in a block
    that is redone, by the mean of the block's finite values.
    ``n_threads`` <= 0: the thread count is asked for only when there are several
    blocks (small calls spare the affinity query); one thread runs the blocks in plain
    loops, with no parallel region (a 1000-sample call had spent a third of its time
    outside the kernel), and the scratch is sized to the blocks and the route.
    ``lo < hi``: template lanes first brought into ``[2**lo, 2**hi)`` as ``in_range``
    does; a lane whose largest sample lies outside that range, block by block as each
    is taken (_block_in_range: r does not change with the scale of the samples its
    window reads, and a lane of stretches far apart in magnitude, scaled whole by its
    largest, had squared its quiet ones to zero). One pass a lane decides; checked per
    block for every lane, the test had cost 5-22 % of a 1e6-sample call (each block
    first read by that pass) against 3-12 % for the lane's one pass."""
    if lo < hi:
        vrows = _in_range(vrows, lo, hi)       # the lanes block by block (_pearson_block)
    cdef idx_t lanes = rows.shape[0], n = rows.shape[1], m = vrows.shape[1]
    cdef idx_t count = out.shape[1], per_lane = (count + _FUSED_BLOCK - 1) // _FUSED_BLOCK
    cdef bint per_lane_v = vrows.shape[0] > 1
    cdef idx_t lane, item, vl, t
    cdef int redo
    if lanes == 0 or count == 0:
        return
    if not (m >= 2 and first >= 0 and first + count - 1 <= n - m and out.shape[0] == lanes
            and vrows.shape[0] in (1, lanes)):
        raise ValueError("pearson_valid: lags must all overlap the whole template")
    cdef int simd = _simd_level()
    cdef const cc_kernels_t* kern = active_kernels()
    if n_threads <= 0:
        n_threads = _threads.get_num_threads() if lanes * per_lane > 1 else 1
    cdef int threads = max(1, min(n_threads, lanes * per_lane))
    cdef idx_t v_lanes = vrows.shape[0]
    # Per template lane: sum_v, sum_vv, var_v, and whether every r is NaN (constant or
    # non-finite template: _template_terms); per lane: whether a block held NaN or inf.
    cdef double* terms = <double*>malloc((4 * v_lanes + 6 * (m + 1)) * sizeof(double))
    cdef idx_t* offs = <idx_t*>malloc(m * sizeof(idx_t))
    cdef bint* finite = <bint*>malloc(lanes * per_lane * sizeof(bint))
    # per lane: whether its blocks are brought into range one by one (_pearson_block)
    cdef bint* far = <bint*>malloc(lanes * sizeof(bint))
    cdef double top
    cdef int expo
    # Per thread: raw, s1, s2 (a block each, off the direct route), the change markers
    # (block + m), a float32 block's centred copy (block + m floats: fewer doubles) and,
    # for float32 and a short template, the tree's levels (in doubles, rounded up).
    cdef bint direct = _have_direct(m, simd, real_t is float)
    cdef bint with_tree = real_t is float and _have_tree(m, simd) and not direct
    cdef idx_t bmax = min(count, _FUSED_BLOCK), braw = 0 if direct else bmax
    cdef idx_t tree_doubles = (_tree_bytes(bmax, m) + 7) // 8 if with_tree else 0
    # float64 blocks by the transposed route: its tiles (and the direct redo's r)
    cdef bint with_trans = real_t is double and _have_transposed(m, bmax, simd)
    cdef idx_t trans_doubles = CC_TRANSPOSED_WORK(bmax, m) if with_trans else 0
    # and a block's copy brought into range (_block_in_range)
    cdef idx_t copy_at = 3 * braw + 2 * (bmax + m) + tree_doubles + trans_doubles
    cdef idx_t scratch = copy_at + (bmax + m if lo < hi else 0)
    cdef double* work = <double*>malloc(threads * scratch * sizeof(double))
    cdef real_t* vcentred = <real_t*>malloc(v_lanes * m * sizeof(real_t))
    cdef double mean_a, inv = 1.0 / m, shift, v_sum, v_count
    cdef double* pv
    try:
        if (terms == NULL or offs == NULL or finite == NULL or work == NULL
                or vcentred == NULL or far == NULL):
            raise MemoryError("correlate(normalize='pearson'): cannot allocate scratch")
        pv = terms + 4 * v_lanes
        with nogil:
            for t in range(m):
                offs[t] = t
            for vl in range(v_lanes):
                # centred by the mean of its finite values (Pearson's r does not change)
                v_sum = v_count = 0.0
                for t in range(m):
                    if isfinite(vrows[vl, t]):
                        v_sum = v_sum + vrows[vl, t]
                        v_count = v_count + 1.0
                mean_a = v_sum / v_count if v_count > 0.0 else 0.0
                for t in range(m):
                    vcentred[vl * m + t] = <real_t>(vrows[vl, t] - mean_a)
                _prefixes(&vcentred[vl * m], &vrows[vl, 0], m, 0.0, pv, pv + (m + 1),
                          pv + 2 * (m + 1), pv + 3 * (m + 1), pv + 4 * (m + 1),
                          pv + 5 * (m + 1))
                terms[4 * vl] = pv[m] + pv[5 * (m + 1) - 1]
                terms[4 * vl + 1] = pv[2 * (m + 1) - 1] + pv[6 * (m + 1) - 1]
                terms[4 * vl + 3] = 1.0 if (pv[3 * (m + 1) - 1] - pv[2 * (m + 1) + 1] == 0.0
                                            or pv[4 * (m + 1) - 1] != 0.0) else 0.0
            for item in range(lanes * per_lane):
                finite[item] = True
            for lane in range(lanes):
                # a lane whose largest sample lies outside the range: block by block
                # (one pass a lane decides; the others need no test a block)
                far[lane] = False
                if lo < hi:
                    top = _largest_magnitude(&rows[lane, 0], n)
                    if top != 0:
                        frexp(top, &expo)
                        far[lane] = expo <= lo or expo > hi
            for lane in range(lanes):
                vl = lane if per_lane_v else 0
                # 1/m and var_v; a lane of a constant or non-finite template is all NaN
                _template_terms(m, 0.0, terms[4 * vl], terms[4 * vl + 1],
                                terms[4 * vl + 3] != 0.0, &out[lane, 0], count, &inv,
                                &terms[4 * vl + 2], &shift)
            # the blocks, then (pass 1) those that held NaN or inf again by the route
            # that counts them
            for redo in range(2):
                if threads == 1:
                    for item in range(lanes * per_lane):
                        _pearson_block(kern, &rows[0, 0], n, &out[0, 0], count, vcentred,
                                       offs, terms, inv, item, first, per_lane,
                                       per_lane_v, m, work, braw, bmax, simd, finite,
                                       with_tree, tree_doubles, with_trans, lo, hi,
                                       far, copy_at, redo)
                else:
                    for item in prange(lanes * per_lane, schedule="dynamic",
                                       num_threads=threads):
                        _pearson_block(kern, &rows[0, 0], n, &out[0, 0], count, vcentred,
                                       offs, terms, inv, item, first, per_lane,
                                       per_lane_v, m, work + threadid() * scratch, braw,
                                       bmax, simd, finite, with_tree, tree_doubles,
                                       with_trans, lo, hi, far, copy_at, redo)
    finally:
        free(terms)
        free(offs)
        free(finite)
        free(far)
        free(work)
        free(vcentred)
