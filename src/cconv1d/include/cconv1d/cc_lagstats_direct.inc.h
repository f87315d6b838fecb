/* cc_lagstats_direct.inc.h -- cc_lagstats.h's direct route for short templates at one
 * register width and one data type (the algorithm is described there).
 *
 * Included by cc_lagstats.h once per (width, type), after it defined
 *   CC_D_FN        the function's name (its helper adds a suffix)
 *   CC_D_T         the data type (float, double), also the lanes' type
 *   CC_D_TARGET    the target attribute
 *   CC_D_L         lanes per vector
 *   CC_D_NV        vectors of lags in flight (three accumulators each)
 *   CC_D_V, CC_D_K the vector and lane-mask types
 *   CC_D_OP(op)    the packed intrinsic of an operation (add, sub, mul, fmadd, ...)
 *   CC_D_MASK(n)   a mask of the first min(n, CC_D_L) lanes (n >= 1)
 *   CC_D_LOADM(p, k), CC_D_STOREM(p, k, v)   masked loads (other lanes 0, their memory
 *                  never read) and stores
 *   CC_D_NONE      a mask of no lane
 *   CC_D_LE(k, a, b)   the lanes of k where a <= b, as a mask
 *   CC_D_GT(k, a, b)   the lanes of k where a > b, as a mask
 *   CC_D_KOR(a, b) the union of two masks
 *   CC_D_ANY(k)    whether a mask has a lane set
 *   CC_D_UNORD(v)  whether a lane of v is NaN
 *   CC_D_SCALE(vv) the double the r step multiplies by (from var_v)
 *   CC_D_R(k, num, var, c)   num / sqrt(var var_v) on the lanes of k (c: the scale as a
 *                  vector; other lanes anything)
 *   CC_D_TAU       var_a <= CC_D_TAU q: the one-pass sums cancelled too many digits,
 *                  the window's variance is summed again about its own mean
 *   CC_D_TINY      var_a <= CC_D_TINY q: nearly constant (the caller's exact check)
 *   CC_D_QMIN      0 < q <= CC_D_QMIN: too near the subnormal range (reported as bit 1)
 * and undefines them all at its end.
 */

#define CC_D_CAT_(a, b) a##b
#define CC_D_CAT(a, b) CC_D_CAT_(a, b)
#define CC_D_SUB(name) CC_D_CAT(CC_D_FN, name)
#if defined(__clang__)
#define CC_D_UNROLL _Pragma("unroll")
#elif defined(__GNUC__)
#define CC_D_UNROLL _Pragma("GCC unroll 8")
#else
#define CC_D_UNROLL
#endif

/* The variance and the covariance of the windows of one vector of lags (lanes k)
 * summed about each window's own mean: e = a - o - mean, var = sum e^2 - (sum e)^2 / m
 * (the second term the rounding of mean, corrected), *num = sum e v' - sum e sum_v / m.
 * Only for vectors whose one-pass sums cancelled, where the raw sums of d lost as many
 * digits as the squares' (the level of a window far from o: a step, or a spike as o). */
CC_D_TARGET __attribute__((noinline))
static CC_D_V CC_D_SUB(_exact)(const CC_D_T *xs, CC_D_K k, ptrdiff_t m,
                               const CC_D_T *vc, CC_D_V o, CC_D_V mean, CC_D_V vinv,
                               CC_D_V csv, CC_D_V *num) {
    CC_D_V c = CC_D_OP(setzero)(), q = CC_D_OP(setzero)(), raw = CC_D_OP(setzero)();
    const CC_D_V shift = CC_D_OP(add)(o, mean);
    for (ptrdiff_t p = 0; p < m; ++p) {
        const CC_D_V e = CC_D_OP(sub)(CC_D_LOADM(xs + p, k), shift);
        raw = CC_D_OP(fmadd)(CC_D_OP(set1)(vc[p]), e, raw);
        c = CC_D_OP(add)(c, e);
        q = CC_D_OP(fmadd)(e, e, q);
    }
    *num = CC_D_OP(fnmadd)(c, csv, raw);
    return CC_D_OP(fnmadd)(CC_D_OP(mul)(c, c), vinv, q);
}

/* r of one vector of lags (lanes k) from its sums: s (sum d), q (sum d^2) and raw (sum
 * d v', v' the centred template), d = a - o. */
#define CC_D_FINISH(xs, k, R, S, Q, dst, WHOLE)                                           \
    {                                                                                     \
        /* a sum that overflowed (or met a NaN or an infinity) is NaN here */           \
        const CC_D_V all_ = CC_D_OP(add)(CC_D_OP(add)((S), (Q)), (R));                    \
        nonfinite = CC_D_OP(add)(nonfinite, CC_D_OP(sub)(all_, all_));                    \
        /* 0 < q <= qmin: squares near or below the smallest normal number kept too few  \
         * digits to tell a constant window (the route that counts, in double, does) */  \
        unsafe = CC_D_KOR(unsafe, CC_D_LE(CC_D_GT((k), (Q), zero), (Q), qmin));           \
        CC_D_V var = CC_D_OP(fnmadd)(CC_D_OP(mul)((S), (S)), vinv, (Q));                 \
        CC_D_V num = CC_D_OP(fnmadd)((S), csv, (R));                                      \
        if (CC_D_ANY(CC_D_LE((k), var, CC_D_OP(mul)(tau, (Q)))))                          \
            var = CC_D_SUB(_exact)((xs), (k), m, vc, o, CC_D_OP(mul)((S), vinv), vinv,    \
                                   csv, &num);                                            \
        near = CC_D_KOR(near, CC_D_LE((k), var, CC_D_OP(mul)(tiny, (Q))));                \
        var = CC_D_OP(max)(var, zero);          /* NaN -> 0, as in cc_pearson_block */     \
        CC_D_V r_ = CC_D_R((k), num, var, cscale);                                        \
        r_ = CC_D_OP(max)(neg_one, CC_D_OP(min)(one, r_));   /* NaN stays */              \
        if (WHOLE)                                                                        \
            CC_D_OP(storeu)((dst), r_);                                                   \
        else                                                                              \
            CC_D_STOREM((dst), (k), r_);                                                  \
    }

CC_D_TARGET
static int CC_D_FN(const CC_D_T *restrict a, ptrdiff_t count, ptrdiff_t m,
                   const CC_D_T *restrict vc, double sum_v, double inv, double var_v,
                   CC_D_T *restrict out) {
    const CC_D_V csv = CC_D_OP(set1)((CC_D_T)(sum_v * inv));
    const CC_D_V vinv = CC_D_OP(set1)((CC_D_T)inv);
    const CC_D_V cscale = CC_D_OP(set1)((CC_D_T)CC_D_SCALE(var_v));
    const CC_D_V zero = CC_D_OP(setzero)();
    const CC_D_V one = CC_D_OP(set1)((CC_D_T)1), neg_one = CC_D_OP(set1)((CC_D_T)-1);
    const CC_D_V tau = CC_D_OP(set1)((CC_D_T)CC_D_TAU);
    const CC_D_V tiny = CC_D_OP(set1)((CC_D_T)CC_D_TINY);
    const CC_D_K full = CC_D_MASK(CC_D_L);
    const CC_D_V qmin = CC_D_OP(set1)((CC_D_T)CC_D_QMIN);
    CC_D_K near = CC_D_NONE, unsafe = CC_D_NONE;
    CC_D_V nonfinite = zero;        /* t - t: NaN once a NaN, an infinity or an overflow */
    ptrdiff_t j = 0, p;
    int r;
    for (; j + CC_D_NV * CC_D_L <= count; j += CC_D_NV * CC_D_L) {
        /* A sample inside the group's first window as its offset: the sums of d = a - o
         * keep the digits a level far from 0 would take (and a spike chosen as o only
         * sends its vectors to the exact variance) */
        const CC_D_V o = CC_D_OP(set1)(a[j + m / 2]);
        CC_D_V R[CC_D_NV], S[CC_D_NV], Q[CC_D_NV];
        CC_D_UNROLL for (r = 0; r < CC_D_NV; ++r) R[r] = S[r] = Q[r] = zero;
        for (p = 0; p < m; ++p) {
            const CC_D_T *xs = a + j + p;
            const CC_D_V w = CC_D_OP(set1)(vc[p]);
            CC_D_UNROLL for (r = 0; r < CC_D_NV; ++r) {
                const CC_D_V d = CC_D_OP(sub)(CC_D_OP(loadu)(xs + r * CC_D_L), o);
                R[r] = CC_D_OP(fmadd)(w, d, R[r]);
                S[r] = CC_D_OP(add)(S[r], d);
                Q[r] = CC_D_OP(fmadd)(d, d, Q[r]);
            }
        }
        CC_D_UNROLL for (r = 0; r < CC_D_NV; ++r)
            CC_D_FINISH(a + j + r * CC_D_L, full, R[r], S[r], Q[r], out + j + r * CC_D_L, 1)
    }
    /* the last lags a vector at a time, the last one masked (loads never pass the
     * block's last sample, a[count + m - 2]) */
    for (; j < count; j += CC_D_L) {
        const CC_D_K k = CC_D_MASK(count - j);
        const CC_D_V o = CC_D_OP(set1)(a[j + m / 2]);
        CC_D_V R0 = zero, S0 = zero, Q0 = zero;
        for (p = 0; p < m; ++p) {
            const CC_D_V w = CC_D_OP(set1)(vc[p]);
            const CC_D_V d = CC_D_OP(sub)(CC_D_LOADM(a + j + p, k), o);
            R0 = CC_D_OP(fmadd)(w, d, R0);
            S0 = CC_D_OP(add)(S0, d);
            Q0 = CC_D_OP(fmadd)(d, d, Q0);
        }
        /* lanes past count: d = -o, masked out of every check and store but the
         * non-finite one (a sum of them that overflows, |o| near the type's largest,
         * only sends the block to the route that counts) */
        CC_D_FINISH(a + j, k, R0, S0, Q0, out + j, 0)
    }
    return (CC_D_ANY(near) ? 1 : 0) | (CC_D_UNORD(nonfinite) || CC_D_ANY(unsafe) ? 2 : 0);
}

#undef CC_D_FINISH
#undef CC_D_UNROLL
#undef CC_D_CAT_
#undef CC_D_CAT
#undef CC_D_SUB
#undef CC_D_FN
#undef CC_D_T
#undef CC_D_TARGET
#undef CC_D_L
#undef CC_D_NV
#undef CC_D_V
#undef CC_D_K
#undef CC_D_OP
#undef CC_D_MASK
#undef CC_D_LOADM
#undef CC_D_STOREM
#undef CC_D_NONE
#undef CC_D_LE
#undef CC_D_GT
#undef CC_D_QMIN
#undef CC_D_KOR
#undef CC_D_ANY
#undef CC_D_UNORD
#undef CC_D_SCALE
#undef CC_D_R
#undef CC_D_TAU
#undef CC_D_TINY
