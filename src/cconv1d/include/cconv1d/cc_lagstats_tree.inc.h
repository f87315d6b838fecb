/* cc_lagstats_tree.inc.h -- cc_lagstats.h's window tree for float32 at one register
 * width (the algorithm is described there).
 *
 * Included by cc_lagstats.h once per width, after it defined
 *   CC_W_FN        the function's name (its helpers add a suffix)
 *   CC_W_TARGET    the target attribute
 *   CC_W_L         float lanes per vector
 *   CC_W_V, CC_W_K the vector and lane-mask types
 *   CC_W_OP(op)    the packed-float intrinsic of an operation (add, sub, mul, ...)
 *   CC_W_MASK(n)   a mask of the first min(n, CC_W_L) lanes (n >= 1)
 *   CC_W_LOADM(p, k), CC_W_STOREM(p, k, v)   masked loads (other lanes 0, their memory
 *                  never read) and stores
 *   CC_W_NONE      a mask of no lane
 *   CC_W_LE_OR(acc, k, a, b)   acc |= lanes of k where a <= b (acc: a CC_W_K)
 *   CC_W_IN_OR(acc, k, x, lo, hi)   acc |= lanes of k where lo < x <= hi
 *   CC_W_ANY(acc)  whether acc has a lane set
 *   CC_W_UNORD(v)  whether a lane of v is NaN
 *   CC_W_RATIO(k, num, den)   num / sqrt(den) on the lanes of k (other lanes: anything)
 *   CC_W_SHIFT(hi, lo, h)     (optional) lanes h.. of lo then the first h of hi, h a
 *                  literal below CC_W_L; without it the levels load unaligned
 * and undefines them all at its end.
 */

#define CC_W_CAT_(a, b) a##b
#define CC_W_CAT(a, b) CC_W_CAT_(a, b)
#define CC_W_SUB(name) CC_W_CAT(CC_W_FN, name)

/* Windows of 2: s = a[u] + a[u + 1], q = (a[u] - a[u + 1])^2 / 2, for u < len. */
CC_W_TARGET static void CC_W_SUB(_pairs)(const float *restrict a, ptrdiff_t len,
                                         float *restrict s, float *restrict q) {
    const CC_W_V half = CC_W_OP(set1)(0.5f);
    ptrdiff_t u = 0;
    for (; u + CC_W_L <= len; u += CC_W_L) {
        const CC_W_V x = CC_W_OP(loadu)(a + u), y = CC_W_OP(loadu)(a + u + 1);
        const CC_W_V d = CC_W_OP(sub)(x, y);
        CC_W_OP(storeu)(s + u, CC_W_OP(add)(x, y));
        CC_W_OP(storeu)(q + u, CC_W_OP(mul)(CC_W_OP(mul)(d, d), half));
    }
    if (u < len) {
        const CC_W_K k = CC_W_MASK(len - u);
        const CC_W_V x = CC_W_LOADM(a + u, k), y = CC_W_LOADM(a + u + 1, k);
        const CC_W_V d = CC_W_OP(sub)(x, y);
        CC_W_STOREM(s + u, k, CC_W_OP(add)(x, y));
        CC_W_STOREM(q + u, k, CC_W_OP(mul)(CC_W_OP(mul)(d, d), half));
    }
}

/* Windows of 2h from windows of h, in place: window u joins windows u and u + h.
 * Every vector loads both before it stores, and a later vector reads only positions
 * past the ones stored so far, so one array serves both levels. */
CC_W_TARGET static void CC_W_SUB(_double)(float *s, float *q, ptrdiff_t h, ptrdiff_t len) {
    const CC_W_V c = CC_W_OP(set1)(1.0f / (float)(2 * h));
    ptrdiff_t u = 0;
#ifdef CC_W_SHIFT
    /* The windows u + h of a vector from the aligned vector loaded for this step and
     * the next one's, carried over, by a lane shift (its count a literal, so a case
     * per h): two loads a step instead of four, two of them split across cache lines.
     * The next vector's lanes read past len + h are in the scratch (its pitch) and
     * never used. */
#define CC_W_DOUBLE_SHIFTED(H)                                                          \
    {                                                                                   \
        CC_W_V s0 = CC_W_OP(load)(s), q0 = CC_W_OP(load)(q);                            \
        for (; u < len; u += CC_W_L) {                                                  \
            const CC_W_V s_next = CC_W_OP(load)(s + u + CC_W_L);                        \
            const CC_W_V q_next = CC_W_OP(load)(q + u + CC_W_L);                        \
            const CC_W_V s1 = CC_W_SHIFT(s_next, s0, H);                                \
            const CC_W_V q01 = CC_W_OP(add)(q0, CC_W_SHIFT(q_next, q0, H));             \
            const CC_W_V d = CC_W_OP(sub)(s0, s1);                                      \
            const CC_W_V s01 = CC_W_OP(add)(s0, s1);                                    \
            const CC_W_V q2 = CC_W_OP(fmadd)(CC_W_OP(mul)(d, c), d, q01);               \
            if (u + CC_W_L <= len) {                                                    \
                CC_W_OP(store)(s + u, s01);                                             \
                CC_W_OP(store)(q + u, q2);                                              \
            } else {                                                                    \
                CC_W_STOREM(s + u, CC_W_MASK(len - u), s01);                            \
                CC_W_STOREM(q + u, CC_W_MASK(len - u), q2);                             \
            }                                                                           \
            s0 = s_next;                                                                \
            q0 = q_next;                                                                \
        }                                                                               \
        return;                                                                         \
    }
    switch (h) {
    case 1: CC_W_DOUBLE_SHIFTED(1)
    case 2: CC_W_DOUBLE_SHIFTED(2)
    case 4: CC_W_DOUBLE_SHIFTED(4)
    case 8: CC_W_DOUBLE_SHIFTED(8)
    default: break;
    }
#undef CC_W_DOUBLE_SHIFTED
#endif
    for (; u + CC_W_L <= len; u += CC_W_L) {
        const CC_W_V s0 = CC_W_OP(loadu)(s + u), s1 = CC_W_OP(loadu)(s + u + h);
        const CC_W_V q01 = CC_W_OP(add)(CC_W_OP(loadu)(q + u), CC_W_OP(loadu)(q + u + h));
        const CC_W_V d = CC_W_OP(sub)(s0, s1);
        CC_W_OP(storeu)(s + u, CC_W_OP(add)(s0, s1));
        CC_W_OP(storeu)(q + u, CC_W_OP(fmadd)(CC_W_OP(mul)(d, c), d, q01));
    }
    if (u < len) {
        const CC_W_K k = CC_W_MASK(len - u);
        const CC_W_V s0 = CC_W_LOADM(s + u, k), s1 = CC_W_LOADM(s + u + h, k);
        const CC_W_V q01 = CC_W_OP(add)(CC_W_LOADM(q + u, k), CC_W_LOADM(q + u + h, k));
        const CC_W_V d = CC_W_OP(sub)(s0, s1);
        CC_W_STOREM(s + u, k, CC_W_OP(add)(s0, s1));
        CC_W_STOREM(q + u, k, CC_W_OP(fmadd)(CC_W_OP(mul)(d, c), d, q01));
    }
}

/* The accumulated windows (as, aq) of na samples joined with the windows (ws, wq) of
 * nb samples that follow them, into (as_out, aq_out) (as may be as_out): Chan et al.'s
 * pairwise update, with delta = as / na - ws / nb and
 *   q = aq + wq + delta^2 na nb / (na + nb).
 * aq NULL: the accumulated windows are single samples (na = 1, q 0), read from the
 * block itself, so the lowest bit of an odd m needs no copy of them. */
CC_W_TARGET static void CC_W_SUB(_join)(const float *as, const float *aq,
                                        const float *restrict ws, const float *restrict wq,
                                        ptrdiff_t count, float na, float nb,
                                        float *as_out, float *aq_out) {
    const CC_W_V ca = CC_W_OP(set1)(1.0f / na), cb = CC_W_OP(set1)(1.0f / nb);
    const CC_W_V c = CC_W_OP(set1)(na * nb / (na + nb));
    ptrdiff_t t = 0;
#define CC_W_JOIN_STEP(LOAD, STORE)                                                     \
    {                                                                                   \
        const CC_W_V s0 = LOAD(as + t), s1 = LOAD(ws + t);                              \
        const CC_W_V q01 = aq != NULL ? CC_W_OP(add)(LOAD(aq + t), LOAD(wq + t))        \
                                      : LOAD(wq + t);                                   \
        const CC_W_V d = CC_W_OP(fmsub)(s0, ca, CC_W_OP(mul)(s1, cb));                  \
        STORE(as_out + t, CC_W_OP(add)(s0, s1));                                        \
        STORE(aq_out + t, CC_W_OP(fmadd)(CC_W_OP(mul)(d, c), d, q01));                  \
    }
#define CC_W_LOAD_TAIL(p) CC_W_LOADM((p), k)
#define CC_W_STORE_TAIL(p, v) CC_W_STOREM((p), k, (v))
    for (; t + CC_W_L <= count; t += CC_W_L)
        CC_W_JOIN_STEP(CC_W_OP(loadu), CC_W_OP(storeu))
    if (t < count) {
        const CC_W_K k = CC_W_MASK(count - t);
        CC_W_JOIN_STEP(CC_W_LOAD_TAIL, CC_W_STORE_TAIL)
    }
#undef CC_W_JOIN_STEP
#undef CC_W_LOAD_TAIL
#undef CC_W_STORE_TAIL
}

CC_W_TARGET
static int CC_W_FN(const float *restrict a, ptrdiff_t count, ptrdiff_t m,
                   const float *raw, double sum_v, double inv, double var_v,
                   float *out, float *work) {
    /* s, q: the current level's windows; as, aq: the low bits' windows joined so far.
     * The regions sit 2 KiB past a multiple of 4 KiB from each other, so a store to
     * one and the next loads from another never share an address's low 12 bits (4K
     * aliasing stalled the level loops to a third of their speed in a C bench). */
    const ptrdiff_t pitch = CC_TREE_PITCH(count, m);
    float *s = work, *q = work + pitch, *as = work + 2 * pitch, *aq = work + 3 * pitch;
    const CC_W_V csv = CC_W_OP(set1)((float)(sum_v * inv));
    const CC_W_V isv = CC_W_OP(set1)((float)(1.0 / sqrt(var_v)));
    const CC_W_V one = CC_W_OP(set1)(1.0f), neg_one = CC_W_OP(set1)(-1.0f);
    const CC_W_V tiny = CC_W_OP(set1)((float)(1e-10 * inv));
    const CC_W_V zero = CC_W_OP(setzero)();
    const CC_W_V qmin = CC_W_OP(set1)(0x1p-103f);
    CC_W_K near = CC_W_NONE, unsafe = CC_W_NONE;
    CC_W_V nonfinite = zero;    /* s - s: NaN once a NaN or an infinity went by */
    ptrdiff_t w = 2, off = 0, t;
    float na = 0.0f;
    if (m & 1) {
        na = 1.0f;      /* single samples: the block itself (_join with aq NULL) */
        off = 1;
    }
    CC_W_SUB(_pairs)(a, count + m - 2, s, q);
    /* The top bit of m ends the loop: its windows, joined with the lower bits' (if
     * any), are window j's sums, from which r is made in the same pass. */
    while (2 * w <= m) {
        if (m & w) {
            if (na == 0.0f) {
                /* the lowest bit of an even m: the next level overwrites these */
                memcpy(as, s + off, (size_t)count * sizeof(float));
                memcpy(aq, q + off, (size_t)count * sizeof(float));
            } else {
                CC_W_SUB(_join)(na == 1.0f ? a : as, na == 1.0f ? NULL : aq, s + off,
                                q + off, count, na, (float)w, as, aq);
            }
            na += (float)w;
            off += w;
        }
        CC_W_SUB(_double)(s, q, w, count + m - 2 * w);
        w *= 2;
    }
    if (na != 0.0f)
        CC_W_SUB(_join)(na == 1.0f ? a : as, na == 1.0f ? NULL : aq, s + off, q + off,
                        count, na, (float)w, as, aq);
    const float *s1 = na != 0.0f ? as : s, *q1 = na != 0.0f ? aq : q;
    for (t = 0; t < count; t += CC_W_L) {
        const CC_W_K k = CC_W_MASK(count - t);
        const int whole = count - t >= CC_W_L;
        /* whole vectors: plain loads and stores (a masked one adds a blend) */
        const CC_W_V sw = whole ? CC_W_OP(loadu)(s1 + t) : CC_W_LOADM(s1 + t, k);
        const CC_W_V qw = whole ? CC_W_OP(loadu)(q1 + t) : CC_W_LOADM(q1 + t, k);
        const CC_W_V rw = whole ? CC_W_OP(loadu)(raw + t) : CC_W_LOADM(raw + t, k);
        /* q overflows (samples near 1e19) where s does not: then NaN here too */
        const CC_W_V sq = CC_W_OP(add)(sw, qw);
        nonfinite = CC_W_OP(add)(nonfinite, CC_W_OP(sub)(sq, sq));
        /* q <= 1e-10 s^2 / m: a constant window's q is a few roundings of its level
         * (0 when m is a power of two), far below; the caller checks exactly */
        CC_W_LE_OR(near, k, qw, CC_W_OP(mul)(tiny, CC_W_OP(mul)(sw, sw)));
        /* 0 < q <= qmin (the smallest normal float over epsilon): deviations below
         * ~1e-16, whose squares keep too few digits; the route that counts, in double */
        CC_W_IN_OR(unsafe, k, qw, zero, qmin);
        const CC_W_V num = CC_W_OP(fnmadd)(sw, csv, rw);
        /* r = num / sqrt(q) / sqrt(var_v): q var_v would overflow float for samples
         * and template near 1e10 */
        CC_W_V r = CC_W_OP(mul)(CC_W_RATIO(k, num, qw), isv);
        r = CC_W_OP(max)(neg_one, CC_W_OP(min)(one, r));   /* NaN stays */
        if (whole)
            CC_W_OP(storeu)(out + t, r);
        else
            CC_W_STOREM(out + t, k, r);
    }
    return (CC_W_ANY(near) ? 1 : 0) | (CC_W_UNORD(nonfinite) || CC_W_ANY(unsafe) ? 2 : 0);
}

#undef CC_W_CAT_
#undef CC_W_CAT
#undef CC_W_SUB
#undef CC_W_FN
#undef CC_W_TARGET
#undef CC_W_L
#undef CC_W_V
#undef CC_W_K
#undef CC_W_OP
#undef CC_W_MASK
#undef CC_W_LOADM
#undef CC_W_STOREM
#undef CC_W_NONE
#undef CC_W_LE_OR
#undef CC_W_IN_OR
#undef CC_W_ANY
#undef CC_W_UNORD
#undef CC_W_RATIO
#undef CC_W_SHIFT
