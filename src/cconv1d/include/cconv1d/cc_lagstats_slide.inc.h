/* cc_lagstats_slide.inc.h -- cc_lagstats.h's one-pass slide at one register width and
 * one data type (the algorithm is described there).
 *
 * Included by cc_lagstats.h once per (width, type), after it defined
 *   CC_S_FN        the function's name
 *   CC_S_T         the data type (double, float)
 *   CC_S_TARGET    the target attribute
 *   CC_S_L         lanes (doubles) per vector
 *   CC_S_V, CC_S_K the vector and lane-mask types
 *   CC_S_OP(op)    the packed-double intrinsic of an operation (add, sub, mul, ...)
 *   CC_S_MASK(n)   a mask of the first min(n, CC_S_L) lanes (n >= 0)
 *   CC_S_NOT0(k)   k without lane 0
 *   CC_S_LOAD(p, k), CC_S_STORE(p, k, v)   masked loads (other lanes 0, their memory
 *                  never read) of CC_S_T as doubles and masked stores back
 *   CC_S_LOADU(p), CC_S_STOREU(p, v)   the same for a whole vector, unmasked (AMD's
 *                  AVX2 masked store is microcoded: it had bound the loop on Zen 3)
 *   CC_S_ZERO_OUT(k, v)   v with the lanes outside k set to 0
 *   CC_S_SHIFT1(v) the lanes moved up by one, lane 0 set to 0
 *   CC_S_SCAN(v)   the inclusive prefix sum of the lanes
 *   CC_S_LAST(v)   the last lane broadcast
 *   CC_S_HSUM(v)   the sum of the lanes (a double)
 *   CC_S_LE_OR(acc, k, a, b)   acc |= lanes of k where a <= b (acc: a CC_S_K)
 *   CC_S_ANY(acc)  whether acc has a lane set
 *   CC_S_UNORD(v)  whether a lane of v is NaN
 *   CC_S_RATIO(k, num, den)   num / sqrt(den) on the lanes of k (other lanes: anything)
 *   CC_S_TWO_PASS  1: a segment's numerators and denominators are stored, then its r
 *                  made in a second loop (below); 0: r in the loop that slides
 * CC_S_FN, CC_S_T and the four loads and stores are undefined at its end; the width's
 * macros by the includer, after its two types.
 */

CC_S_TARGET
static int CC_S_FN(const CC_S_T *restrict a, ptrdiff_t count, ptrdiff_t m,
                   const CC_S_T *raw, double sum_v, double inv, double var_v, CC_S_T *out) {
    const CC_S_V c_sv = CC_S_OP(set1)(sum_v * inv);
    const CC_S_V vinv = CC_S_OP(set1)(inv), vvar = CC_S_OP(set1)(var_v);
    const CC_S_V zero = CC_S_OP(setzero)();
    const CC_S_V one = CC_S_OP(set1)(1.0), neg_one = CC_S_OP(set1)(-1.0);
    const CC_S_V tiny = CC_S_OP(set1)(1e-8);
    CC_S_K near = CC_S_MASK(0);
    CC_S_V nonfinite = zero;    /* x - x: NaN once a NaN or an infinity went by */
#if CC_S_TWO_PASS
    /* AVX-512's r (estimate, two Newton steps, product: a chain of some 30 cycles) kept
     * too many instructions waiting beside the scans' in one loop; in a loop of its own
     * the iterations are independent: 18% faster on Sapphire Rapids (C bench, both
     * orders of the bits the same). AVX2's quotient is bound by the divider's
     * throughput and overlaps best with the scans: there two loops were 1.5x slower. */
    double seg_num[CC_SLIDE_SEGMENT], seg_den[CC_SLIDE_SEGMENT];
#endif
    for (ptrdiff_t j0 = 0; j0 < count; j0 += CC_SLIDE_SEGMENT) {
        const ptrdiff_t len = count - j0 < CC_SLIDE_SEGMENT ? count - j0 : CC_SLIDE_SEGMENT;
        /* the segment's offset (its first window's mean), then that window's exact sums */
        CC_S_V acc1 = zero, acc2 = zero;
        ptrdiff_t i;
        for (i = 0; i < m; i += CC_S_L)
            acc1 = CC_S_OP(add)(acc1, CC_S_LOAD(a + j0 + i, CC_S_MASK(m - i)));
        const double o = CC_S_HSUM(acc1) * inv;
        const CC_S_V mean = CC_S_OP(set1)(o), vshift = CC_S_OP(set1)(o * sum_v);
        acc1 = zero;
        for (i = 0; i < m; i += CC_S_L) {
            const CC_S_K k = CC_S_MASK(m - i);
            CC_S_V d = CC_S_ZERO_OUT(k, CC_S_OP(sub)(CC_S_LOAD(a + j0 + i, k), mean));
            acc1 = CC_S_OP(add)(acc1, d);
            acc2 = CC_S_OP(fmadd)(d, d, acc2);
        }
        nonfinite = CC_S_OP(add)(nonfinite, CC_S_OP(sub)(acc2, acc2));
        const double c2_first = CC_S_HSUM(acc2);
        CC_S_V c1 = CC_S_OP(set1)(CC_S_HSUM(acc1)), c2 = CC_S_OP(set1)(c2_first);
        /* The slid sums' rounding is bounded by the sum of the squared samples the
         * segment moved in and out (bound), not by a window's own S2: a flat window at
         * the level of the offset has an S2 near 0, far below the error carried in from
         * louder windows. So "near" compares the segment's smallest var_a with bound. */
        CC_S_V bound = zero, least = CC_S_OP(set1)(c2_first);
        for (ptrdiff_t t = 0; t < len; t += CC_S_L) {
            const CC_S_K lanes = CC_S_MASK(len - t);
            CC_S_V din, dout;
            if (t == 0) {
                /* lag j0 keeps its exact sums: lane 0 adds nothing, and lane u's leaving
                 * sample a[j0 + u - 1] is loaded from a[j0] and shifted up a lane */
                const CC_S_K k = CC_S_NOT0(lanes);
                CC_S_V left = CC_S_LOAD(a + j0, CC_S_MASK((len < CC_S_L ? len : CC_S_L) - 1));
                din = CC_S_ZERO_OUT(k, CC_S_OP(sub)(CC_S_LOAD(a + j0 + m - 1, k), mean));
                dout = CC_S_ZERO_OUT(k, CC_S_OP(sub)(CC_S_SHIFT1(left), mean));
            } else if (len - t >= CC_S_L) {
                /* a whole vector: plain loads (AVX-512's masked load adds a blend; 10%) */
                din = CC_S_OP(sub)(CC_S_LOADU(a + j0 + t + m - 1), mean);
                dout = CC_S_OP(sub)(CC_S_LOADU(a + j0 + t - 1), mean);
            } else {
                din = CC_S_ZERO_OUT(lanes, CC_S_OP(sub)(CC_S_LOAD(a + j0 + t + m - 1, lanes),
                                                        mean));
                dout = CC_S_ZERO_OUT(lanes, CC_S_OP(sub)(CC_S_LOAD(a + j0 + t - 1, lanes),
                                                         mean));
            }
            const CC_S_V dout2 = CC_S_OP(mul)(dout, dout);
            CC_S_V s1 = CC_S_OP(add)(c1, CC_S_SCAN(CC_S_OP(sub)(din, dout)));
            CC_S_V s2 = CC_S_OP(add)(c2, CC_S_SCAN(CC_S_OP(fmsub)(din, din, dout2)));
            bound = CC_S_OP(add)(bound, CC_S_OP(fmadd)(din, din, dout2));
            c1 = CC_S_LAST(s1);
            c2 = CC_S_LAST(s2);
            CC_S_V rw = len - t >= CC_S_L ? CC_S_LOADU(raw + j0 + t)
                                          : CC_S_LOAD(raw + j0 + t, lanes);
            CC_S_V var_a = CC_S_OP(fnmadd)(CC_S_OP(mul)(s1, s1), vinv, s2);
            /* lanes past len repeat the last lag's sums: no mask needed; a NaN var_a
             * leaves least as it was (the non-finite check catches it) */
            least = CC_S_OP(min)(var_a, least);
            var_a = CC_S_OP(max)(var_a, zero);      /* NaN -> 0, as in cc_pearson_block */
            CC_S_V num = CC_S_OP(fnmadd)(s1, c_sv, CC_S_OP(sub)(rw, vshift));
            CC_S_V den = CC_S_OP(mul)(var_a, vvar);
#if CC_S_TWO_PASS
            /* whole vectors: t + CC_S_L <= CC_SLIDE_SEGMENT (the lanes past len unused) */
            CC_S_OP(storeu)(seg_num + t, num);
            CC_S_OP(storeu)(seg_den + t, den);
        }
        for (ptrdiff_t t = 0; t < len; t += CC_S_L) {
            const CC_S_K lanes = CC_S_MASK(len - t);
            CC_S_V r = CC_S_RATIO(lanes, CC_S_OP(loadu)(seg_num + t),
                                  CC_S_OP(loadu)(seg_den + t));
#else
            CC_S_V r = CC_S_RATIO(lanes, num, den);
#endif
            /* min/max return their second operand when one is NaN: NaN stays */
            r = CC_S_OP(max)(neg_one, CC_S_OP(min)(one, r));
            if (len - t >= CC_S_L)
                CC_S_STOREU(out + j0 + t, r);
            else
                CC_S_STORE(out + j0 + t, lanes, r);
        }
        CC_S_LE_OR(near, CC_S_MASK(CC_S_L), least,
                   CC_S_OP(mul)(tiny, CC_S_OP(set1)(c2_first + CC_S_HSUM(bound))));
        /* A NaN or an infinity that entered a window stays in the running sums (an
         * infinity leaving again gives inf - inf): the segment's last sums tell. */
        nonfinite = CC_S_OP(add)(nonfinite, CC_S_OP(sub)(c1, c1));
        nonfinite = CC_S_OP(add)(nonfinite, CC_S_OP(sub)(c2, c2));
    }
    return (CC_S_ANY(near) ? 1 : 0) | (CC_S_UNORD(nonfinite) ? 2 : 0);
}

#undef CC_S_FN
#undef CC_S_T
#undef CC_S_LOAD
#undef CC_S_STORE
#undef CC_S_LOADU
#undef CC_S_STOREU
