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
 *   CC_D_QMAX(vv)  q below it: var_a var_v is finite (vv = var_v)
 *   CC_D_VMIN(vv)  var_a above it: var_a var_v is a normal number
 *   CC_D_NGT(k, a, b), CC_D_NOTLT(k, a, b)   the lanes of k where !(a > b), !(a < b)
 *                  (NaN included), as a mask
 *   CC_D_R_FAST(num, var, c)   CC_D_R where var_a var_v is known positive and finite
 *   CC_D_PHASED    (optional) the taps by phases and the window sums by blocks, for
 *                  m < 5 L (registers for 3 CC_D_NV + 2 K vectors, K = m / L <= 4)
 * and undefines them all at its end.
 */

#define CC_D_CAT_(a, b) a##b
#define CC_D_CAT(a, b) CC_D_CAT_(a, b)
#define CC_D_SUB(name) CC_D_CAT(CC_D_FN, name)
#if defined(__GNUC__) || defined(__clang__)
#define CC_D_RARE(x) __builtin_expect(!!(x), 0)
#else
#define CC_D_RARE(x) (x)
#endif
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

/* r of one vector of lags from its sums when none of its windows needs the checks
 * above: var_a > max(tau q, vmin) and q < qmax in every lane (so the square root's
 * argument is a positive normal number, and r finite: no lane takes the exact quotient,
 * nothing is nearly constant, nothing non-finite). Else the full CC_D_FINISH. */
#define CC_D_FINISH_FAST(xs, R, S, Q, dst)                                                \
    {                                                                                     \
        const CC_D_V var_ = CC_D_OP(fnmadd)(CC_D_OP(mul)((S), (S)), vinv, (Q));           \
        /* var_a <= max(tau q, vmin) also holds where 0 < q <= qmin, and a NaN var_a     \
         * (a NaN, or inf - inf) is not greater than anything; vmin >= qmin also keeps   \
         * var_a var_v from underflowing to 0 (CC_D_VMIN) */                              \
        if (CC_D_RARE(CC_D_ANY(CC_D_KOR(                                                 \
                CC_D_NGT(full, var_, CC_D_OP(max)(CC_D_OP(mul)(tau, (Q)), vmin)),         \
                CC_D_NOTLT(full, (Q), qmax))))) {                                         \
            CC_D_FINISH((xs), full, (R), (S), (Q), (dst), 1)                              \
        } else {                                                                          \
            const CC_D_V num_ = CC_D_OP(fnmadd)((S), csv, (R));                           \
            CC_D_V r_ = CC_D_R_FAST(num_, var_, cscale);                                  \
            CC_D_OP(storeu)((dst), CC_D_OP(max)(neg_one, CC_D_OP(min)(one, r_)));         \
        }                                                                                 \
    }

#ifdef CC_D_PHASED
/* One phase u of a group of NVK vectors of lags (the phased route, below): the
 * taps u, u + L, ..., u + (T - 1) L, which read the vectors y_c = a[j + u + c L] - o, c <
 * NV + T - 1: tap u + t L adds v'[u + t L] y_c to vector c - t's raw sums, and y_c
 * (y_c^2) goes into block c's sums. T, c and t are literals: the accumulators stay in
 * registers and every load serves all the taps that read it. */
#define CC_D_PHASE(T, NVK)                                                                \
    {                                                                                     \
        CC_D_V w_[(T) > 0 ? (T) : 1];                                                     \
        CC_D_UNROLL for (t = 0; t < (T); ++t) w_[t] = CC_D_OP(set1)(vc[u + t * CC_D_L]);  \
        CC_D_UNROLL for (c = 0; c < (NVK) + (T) - 1; ++c) {                               \
            const CC_D_V y_ = CC_D_OP(sub)(CC_D_OP(loadu)(a + j + u + c * CC_D_L), o);    \
            CC_D_UNROLL for (t = 0; t < (T); ++t)                                         \
                if (c - t >= 0 && c - t < (NVK))                                          \
                    R[c - t] = CC_D_OP(fmadd)(w_[t], y_, R[c - t]);                       \
            W[c] = CC_D_OP(add)(W[c], y_);                                                \
            WQ[c] = CC_D_OP(fmadd)(y_, y_, WQ[c]);                                        \
        }                                                                                 \
    }

/* Groups of NVK vectors of lags for templates of m = K L + rem taps (K a literal). The
 * windows of vector r are blocks r .. r + K - 1 (L consecutive vectors each) and the
 * first rem vectors of block r + K: each block's sums (W, WQ) are made once, by the
 * phases that load its vectors anyway, and a window's sums are K + 1 additions, not m. */
#define CC_D_GROUPS(K, NVK)                                                               \
    for (; j + (NVK) * CC_D_L <= count; j += (NVK) * CC_D_L) {                            \
        const CC_D_V o = CC_D_OP(set1)(a[j + m / 2]);                                     \
        CC_D_V R[NVK], W[(NVK) + (K)], WQ[(NVK) + (K)];                                   \
        CC_D_V PW[NVK], PQ[NVK];                                                          \
        CC_D_UNROLL for (r = 0; r < (NVK); ++r) R[r] = PW[r] = PQ[r] = zero;              \
        CC_D_UNROLL for (c = 0; c < (NVK) + (K); ++c) W[c] = WQ[c] = zero;                \
        for (u = 0; u < rem; ++u) CC_D_PHASE((K) + 1, NVK)                                \
        if (rem > 0) {                                                                    \
            /* the partial blocks: the first rem vectors of blocks K .. NVK + K - 1 */    \
            CC_D_UNROLL for (r = 0; r < (NVK); ++r) { PW[r] = W[r + (K)]; PQ[r] = WQ[r + (K)]; } \
        }                                                                                 \
        if ((K) > 0)                                                                      \
            for (u = rem; u < CC_D_L; ++u) CC_D_PHASE(K, NVK)                             \
        CC_D_UNROLL for (r = 0; r < (NVK); ++r) {                                         \
            CC_D_V S_ = PW[r], Q_ = PQ[r];                                                \
            CC_D_UNROLL for (c = 0; c < (K); ++c) {                                       \
                S_ = CC_D_OP(add)(S_, W[r + c]);                                          \
                Q_ = CC_D_OP(add)(Q_, WQ[r + c]);                                         \
            }                                                                             \
            CC_D_FINISH_FAST(a + j + r * CC_D_L, R[r], S_, Q_, out + j + r * CC_D_L)      \
        }                                                                                 \
    }
#endif

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
    const CC_D_V qmax = CC_D_OP(set1)((CC_D_T)CC_D_QMAX(var_v));
    const CC_D_V vmin = CC_D_OP(max)(qmin, CC_D_OP(set1)((CC_D_T)CC_D_VMIN(var_v)));
    CC_D_K near = CC_D_NONE, unsafe = CC_D_NONE;
    CC_D_V nonfinite = zero;        /* t - t: NaN once a NaN, an infinity or an overflow */
    ptrdiff_t j = 0, p;
    int r;
#ifdef CC_D_PHASED
    {
        const ptrdiff_t kb = m / CC_D_L, rem = m % CC_D_L;
        ptrdiff_t u;
        int c, t;
        switch (kb) {
        case 0: CC_D_GROUPS(0, CC_D_NV) break;
        case 1: CC_D_GROUPS(1, CC_D_NV) break;
        case 2: CC_D_GROUPS(2, CC_D_NV) break;
        case 3: CC_D_GROUPS(3, CC_D_NV) break;
        case 4: CC_D_GROUPS(4, CC_D_NV) break;
        default: break;     /* K > 4: the loop below (5-8 in registers spilled) */
        }
    }
#endif
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
            CC_D_FINISH_FAST(a + j + r * CC_D_L, R[r], S[r], Q[r], out + j + r * CC_D_L)
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
#undef CC_D_FINISH_FAST
#undef CC_D_PHASE
#undef CC_D_GROUPS
#undef CC_D_PHASED
#undef CC_D_UNROLL
#undef CC_D_CAT_
#undef CC_D_CAT
#undef CC_D_SUB
#undef CC_D_RARE
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
#undef CC_D_QMAX
#undef CC_D_VMIN
#undef CC_D_R_FAST
#undef CC_D_NOTLT
#undef CC_D_NGT
