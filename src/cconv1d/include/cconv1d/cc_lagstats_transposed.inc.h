/* cc_lagstats_transposed.inc.h -- cc_lagstats.h's transposed route for float64 at one
 * register width (the algorithm is described there).
 *
 * Included by cc_lagstats.h once per width, after it defined
 *   CC_T_FN        the function's name
 *   CC_T_TARGET    the target attribute
 *   CC_T_L         lanes (doubles) per vector: the block's segments
 *   CC_T_V         the vector type
 *   CC_T_OP(op)    the packed-double intrinsic of an operation (add, sub, mul, ...)
 *   CC_T_LOADN(p, n)   a vector of the n < CC_T_L doubles at p (n >= 0; other lanes 0,
 *                  their memory never read)
 *   CC_T_TRANSPOSE(r)  r[0..CC_T_L-1] transposed in place (lane i of r[k] <-> lane k
 *                  of r[i])
 *   CC_T_HSUM(v)   the sum of the lanes (a double)
 *   CC_T_ANY_LE(a, b)  whether a lane of a is <= b (ordered)
 *   CC_T_UNORD(v)  whether a lane of v is NaN
 *   CC_T_RATIO(num, den)   num / sqrt(den) (0 / 0 NaN, c / 0 +-inf)
 *   CC_T_DIRECT    the direct route's function at this width (the last lags)
 * and undefines them all at its end.
 */

/* Rows (lags per segment) a step of the loop makes: eight accumulators of raw sums in
 * flight, so the FMA's latency is covered at either width. */
#define CC_T_ROWS 8
#if defined(__clang__)
#define CC_T_UNROLL _Pragma("unroll")
#elif defined(__GNUC__)
#define CC_T_UNROLL _Pragma("GCC unroll 8")
#else
#define CC_T_UNROLL
#endif

CC_T_TARGET
static int CC_T_FN(const double *restrict a, ptrdiff_t count, ptrdiff_t m,
                   const double *restrict vc, double sum_v, double inv, double var_v,
                   double *restrict out, double *restrict work) {
    /* S lags a segment (a multiple of CC_T_ROWS), the segments' lags first; the last
     * count - CC_T_L S (fewer than CC_T_L CC_T_ROWS) by the direct route */
    const ptrdiff_t seg = count / (CC_T_L * CC_T_ROWS) * CC_T_ROWS;
    const ptrdiff_t tail = count - CC_T_L * seg;
    int flags = 0;
    if (tail > 0)
        flags = CC_T_DIRECT(a + CC_T_L * seg, tail, m, vc, sum_v, inv, var_v,
                            out + CC_T_L * seg);
    if (seg == 0)
        return flags;
    const ptrdiff_t span = seg + m - 1;                       /* samples a segment reads */
    const ptrdiff_t rows = (span + CC_T_L - 1) / CC_T_L * CC_T_L;
    const ptrdiff_t end = CC_T_L * seg + m - 1;               /* a[0:end] is the segments' */
    double *T = (double *)(((uintptr_t)work + 63) & ~(uintptr_t)63);
    /* the template scaled by 1/sqrt(var_v): r's denominator is then var_a alone */
    double *vs = T + rows * CC_T_L;
    const double scale = 1.0 / sqrt(var_v);
    for (ptrdiff_t p = 0; p < m; ++p) vs[p] = vc[p] * scale;
    const CC_T_V zero = CC_T_OP(setzero)();
    const CC_T_V vinv = CC_T_OP(set1)(inv);
    /* Each segment's offset o: the mean of its first window (a local level: a drifting
     * lane keeps its digits, as the slide's segments) */
    double offs[CC_T_L];
    for (int i = 0; i < CC_T_L; ++i) {
        CC_T_V acc = zero;
        ptrdiff_t p = 0;
        for (; p + CC_T_L <= m; p += CC_T_L)
            acc = CC_T_OP(add)(acc, CC_T_OP(loadu)(a + i * seg + p));
        if (p < m)
            acc = CC_T_OP(add)(acc, CC_T_LOADN(a + i * seg + p, m - p));
        offs[i] = CC_T_HSUM(acc) * inv;
    }
    const CC_T_V o = CC_T_OP(loadu)(offs);
    /* T[t][i] = a[i seg + t] - o_i: segment i in lane i, centred once here (the raw
     * sums of centred samples need no shift, v' being centred); the squares of every
     * sample a segment reads bound the rounding its slid sums carry (each sample enters
     * a window once and leaves once) and tell a NaN or an infinity */
    CC_T_V squares = zero;
    for (ptrdiff_t t0 = 0; t0 < rows; t0 += CC_T_L) {
        CC_T_V r[CC_T_L];
        for (int i = 0; i < CC_T_L; ++i) {
            const ptrdiff_t s = i * seg + t0;
            r[i] = s + CC_T_L <= end ? CC_T_OP(loadu)(a + s)
                                     : CC_T_LOADN(a + s, end - s > 0 ? end - s : 0);
        }
        CC_T_TRANSPOSE(r);
        for (int i = 0; i < CC_T_L; ++i) {
            const CC_T_V d = t0 + i < span ? CC_T_OP(sub)(r[i], o) : zero;
            squares = CC_T_OP(fmadd)(d, d, squares);
            CC_T_OP(store)(T + (t0 + i) * CC_T_L, d);
        }
    }
    /* the first window's sums, exact but for rounding */
    CC_T_V s1 = zero, s2 = zero;
    for (ptrdiff_t p = 0; p < m; ++p) {
        const CC_T_V d = CC_T_OP(load)(T + p * CC_T_L);
        s1 = CC_T_OP(add)(s1, d);
        s2 = CC_T_OP(fmadd)(d, d, s2);
    }
    const CC_T_V c_sv = CC_T_OP(set1)(sum_v * inv * scale);
    const CC_T_V one = CC_T_OP(set1)(1.0), neg_one = CC_T_OP(set1)(-1.0);
    const CC_T_V bound = CC_T_OP(add)(s2, CC_T_OP(add)(squares, squares));
    /* least: each segment's smallest var_a (against 1e-8 bound at the end: nearly
     * constant); cancelled: its smallest 2^12 var_a - S2 (<= 0: the one-pass sums lost
     * more than 12 bits, tau of the direct route) */
    const CC_T_V inv_tau = CC_T_OP(set1)(0x1p12);
    CC_T_V least = s2, cancelled = s2;
    for (ptrdiff_t t0 = 0; t0 < seg; t0 += CC_T_ROWS) {
        CC_T_V acc[CC_T_ROWS], res[CC_T_ROWS];
        for (int k = 0; k < CC_T_ROWS; ++k) acc[k] = zero;
        const double *tp = T + t0 * CC_T_L;
        /* The next block's samples into L2 (a + count: the caller's next block of the
         * lane, or memory past the lane, on which a prefetch never faults), a line a
         * segment's lag: the tiles read L streams of S samples, too short for the
         * hardware's stream prefetch to follow (at 1e6 samples from memory the route
         * had lost 4-8 % to the row kernel's sequential reads without it) */
        for (ptrdiff_t q = t0 * CC_T_L; q < (t0 + CC_T_ROWS) * CC_T_L; q += 8) {
            _mm_prefetch((const char *)(a + count + q), _MM_HINT_T1);
            _mm_prefetch((const char *)(out + count + q), _MM_HINT_T1);
        }
        for (ptrdiff_t p = 0; p < m; ++p) {
            const CC_T_V w = CC_T_OP(set1)(vs[p]);
            CC_T_UNROLL for (int k = 0; k < CC_T_ROWS; ++k)
                acc[k] = CC_T_OP(fmadd)(CC_T_OP(load)(tp + (p + k) * CC_T_L), w, acc[k]);
        }
        CC_T_UNROLL for (int k = 0; k < CC_T_ROWS; ++k) {
            const ptrdiff_t t = t0 + k;
            if (t > 0) {
                /* lag t's sums are lag t - 1's and the sample entering less the one
                 * leaving: din^2 - dout^2 as (din - dout)(din + dout), one rounding */
                const CC_T_V din = CC_T_OP(load)(T + (t + m - 1) * CC_T_L);
                const CC_T_V dout = CC_T_OP(load)(T + (t - 1) * CC_T_L);
                const CC_T_V e = CC_T_OP(sub)(din, dout);
                s1 = CC_T_OP(add)(s1, e);
                s2 = CC_T_OP(fmadd)(e, CC_T_OP(add)(din, dout), s2);
            }
            CC_T_V var = CC_T_OP(fnmadd)(CC_T_OP(mul)(s1, s1), vinv, s2);
            least = CC_T_OP(min)(least, var);
            cancelled = CC_T_OP(min)(cancelled, CC_T_OP(fmsub)(var, inv_tau, s2));
            var = CC_T_OP(max)(var, zero);          /* NaN -> 0, as in cc_pearson_block */
            const CC_T_V num = CC_T_OP(fnmadd)(s1, c_sv, acc[k]);
            const CC_T_V r = CC_T_RATIO(num, var);
            /* min/max return their second operand when one is NaN: NaN stays */
            res[k] = CC_T_OP(max)(neg_one, CC_T_OP(min)(one, r));
        }
        for (int k0 = 0; k0 < CC_T_ROWS; k0 += CC_T_L) {
            CC_T_TRANSPOSE(res + k0);
            for (int i = 0; i < CC_T_L; ++i)
                CC_T_OP(storeu)(out + i * seg + t0 + k0, res[k0 + i]);
        }
    }
    /* a NaN or an infinity among the samples makes squares NaN or infinite */
    const CC_T_V all = CC_T_OP(add)(squares, CC_T_OP(add)(s1, s2));
    if (CC_T_UNORD(CC_T_OP(sub)(all, all)))
        flags |= 2;
    if (CC_T_ANY_LE(least, CC_T_OP(mul)(CC_T_OP(set1)(1e-8), bound))
            || CC_T_ANY_LE(cancelled, zero))
        flags |= 1;
    return flags;
}

#undef CC_T_ROWS
#undef CC_T_UNROLL
#undef CC_T_FN
#undef CC_T_TARGET
#undef CC_T_L
#undef CC_T_V
#undef CC_T_OP
#undef CC_T_LOADN
#undef CC_T_TRANSPOSE
#undef CC_T_HSUM
#undef CC_T_ANY_LE
#undef CC_T_UNORD
#undef CC_T_RATIO
#undef CC_T_DIRECT
