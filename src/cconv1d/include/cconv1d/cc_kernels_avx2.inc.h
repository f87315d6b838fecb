/* cc_kernels_avx2.inc.h -- AVX2 + FMA kernels, included once per CC_T (float, double).
 *
 * Compiled for every x86-64 build through per-function target attributes and chosen at
 * run time (the registry of cc_kernels.h), so a wheel built without -mavx2 still uses
 * them.
 *
 * igemm: a CC_MR (4) x 3-vector register tile = 12 accumulators (Zen 3/4 and Haswell
 * need >= 8-10 independent FMAs in flight: 2 units x 4-5 cycles latency). Per pair:
 * three unaligned input loads, four weight broadcasts from the packed panel, twelve
 * FMAs: 7 loads per 12 FMAs, where BLIS's 6 x 2 needs 8, and output channel counts
 * (multiples of 4 in practice) fill whole tiles; measured 4-12% faster than 6 x 2 on
 * the dense cases and 1.5x on 32 output channels of one input channel.
 * A tile that starts from the bias requests its output lines first (cc_prefetch_out).
 * irow: one output row, 8 vectors in flight, a weight broadcast per pair.
 * wgrad: 4 rows x 3 pairs = 12 vector accumulators reducing along j; every CC_WBLOCK
 * positions the partial sums are summed across lanes by a transpose tree (float lanes
 * in float, widened once) and added to dw in double (one masked vector per row), which
 * bounds the error of million-term float32 sums without double accumulators living in
 * memory.
 */

/* Vector macros for CC_T (undefined by cc_instance.inc.h after this file). */
#define CC_LOADU CC_PASTE(_mm256_loadu_, CC_PX)
#define CC_STOREU CC_PASTE(_mm256_storeu_, CC_PX)
#define CC_FMA CC_PASTE(_mm256_fmadd_, CC_PX)
#define CC_BCAST CC_PASTE(_mm256_broadcast_, CC_SX)
#define CC_SET1 CC_PASTE(_mm256_set1_, CC_PX)
#define CC_ZERO CC_PASTE(_mm256_setzero_, CC_PX)
#if CC_F64
#define CC_V __m256d
#define CC_VLEN 4
#define CC_WIDEN(v) (v)
#define CC_FMA1(a, b, c) _mm_cvtsd_f64(_mm_fmadd_sd(_mm_set_sd(a), _mm_set_sd(b), _mm_set_sd(c)))
#else
#define CC_V __m256
#define CC_VLEN 8
/* Eight float lanes summed pairwise into four doubles. */
#define CC_WIDEN(v) _mm256_add_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(v)), \
                                  _mm256_cvtps_pd(_mm256_extractf128_ps((v), 1)))
/* One fused multiply-add on scalars: the same rounding as a vector lane's. */
#define CC_FMA1(a, b, c) _mm_cvtss_f32(_mm_fmadd_ss(_mm_set_ss(a), _mm_set_ss(b), _mm_set_ss(c)))
#endif

static CC_TARGET_AVX2 CC_ALWAYS_INLINE void CC_FN(cc_tile, avx2)(CC_IGEMM_PARAMS) {
    CC_V a00, a01, a02, a10, a11, a12, a20, a21, a22, a30, a31, a32;
    CC_T tmp[CC_MR * CC_NR];
    ptrdiff_t p, r, j;
    const int full = rows == CC_MR && cols == CC_NR;
    if (full && accumulate) {
        a00 = CC_LOADU(y); a01 = CC_LOADU(y + CC_VLEN); a02 = CC_LOADU(y + 2 * CC_VLEN);
        y += ldy;
        a10 = CC_LOADU(y); a11 = CC_LOADU(y + CC_VLEN); a12 = CC_LOADU(y + 2 * CC_VLEN);
        y += ldy;
        a20 = CC_LOADU(y); a21 = CC_LOADU(y + CC_VLEN); a22 = CC_LOADU(y + 2 * CC_VLEN);
        y += ldy;
        a30 = CC_LOADU(y); a31 = CC_LOADU(y + CC_VLEN); a32 = CC_LOADU(y + 2 * CC_VLEN);
        y -= 3 * ldy;
    } else if (!accumulate) {
        for (r = 0; r < rows; ++r) cc_prefetch_out(y + r * ldy, (size_t)cols * sizeof(CC_T));
        /* Start from the bias; rows past `rows` are computed and discarded. */
        a00 = a01 = a02 = (bias && rows > 0) ? CC_SET1(bias[0]) : CC_ZERO();
        a10 = a11 = a12 = (bias && rows > 1) ? CC_SET1(bias[1]) : CC_ZERO();
        a20 = a21 = a22 = (bias && rows > 2) ? CC_SET1(bias[2]) : CC_ZERO();
        a30 = a31 = a32 = (bias && rows > 3) ? CC_SET1(bias[3]) : CC_ZERO();
    } else {
        /* A partial tile stages through tmp so no load reaches past the output. */
        for (r = 0; r < CC_MR; ++r)
            for (j = 0; j < CC_NR; ++j)
                tmp[r * CC_NR + j] = (r < rows && j < cols) ? y[r * ldy + j] : (CC_T)0;
        a00 = CC_LOADU(tmp); a01 = CC_LOADU(tmp + CC_VLEN);
        a02 = CC_LOADU(tmp + 2 * CC_VLEN);
        a10 = CC_LOADU(tmp + CC_NR); a11 = CC_LOADU(tmp + CC_NR + CC_VLEN);
        a12 = CC_LOADU(tmp + CC_NR + 2 * CC_VLEN);
        a20 = CC_LOADU(tmp + 2 * CC_NR); a21 = CC_LOADU(tmp + 2 * CC_NR + CC_VLEN);
        a22 = CC_LOADU(tmp + 2 * CC_NR + 2 * CC_VLEN);
        a30 = CC_LOADU(tmp + 3 * CC_NR); a31 = CC_LOADU(tmp + 3 * CC_NR + CC_VLEN);
        a32 = CC_LOADU(tmp + 3 * CC_NR + 2 * CC_VLEN);
    }
    for (p = 0; p < n_pairs; ++p) {
        const CC_T *xs = x + offs[p];
        const CC_T *wp = w + p * CC_MR;
        CC_V x0 = CC_LOADU(xs), x1 = CC_LOADU(xs + CC_VLEN), x2 = CC_LOADU(xs + 2 * CC_VLEN);
        CC_V b;
        b = CC_BCAST(wp + 0);
        a00 = CC_FMA(b, x0, a00); a01 = CC_FMA(b, x1, a01); a02 = CC_FMA(b, x2, a02);
        b = CC_BCAST(wp + 1);
        a10 = CC_FMA(b, x0, a10); a11 = CC_FMA(b, x1, a11); a12 = CC_FMA(b, x2, a12);
        b = CC_BCAST(wp + 2);
        a20 = CC_FMA(b, x0, a20); a21 = CC_FMA(b, x1, a21); a22 = CC_FMA(b, x2, a22);
        b = CC_BCAST(wp + 3);
        a30 = CC_FMA(b, x0, a30); a31 = CC_FMA(b, x1, a31); a32 = CC_FMA(b, x2, a32);
    }
    if (full) {
        CC_STOREU(y, a00); CC_STOREU(y + CC_VLEN, a01); CC_STOREU(y + 2 * CC_VLEN, a02);
        y += ldy;
        CC_STOREU(y, a10); CC_STOREU(y + CC_VLEN, a11); CC_STOREU(y + 2 * CC_VLEN, a12);
        y += ldy;
        CC_STOREU(y, a20); CC_STOREU(y + CC_VLEN, a21); CC_STOREU(y + 2 * CC_VLEN, a22);
        y += ldy;
        CC_STOREU(y, a30); CC_STOREU(y + CC_VLEN, a31); CC_STOREU(y + 2 * CC_VLEN, a32);
        return;
    }
    CC_STOREU(tmp, a00); CC_STOREU(tmp + CC_VLEN, a01); CC_STOREU(tmp + 2 * CC_VLEN, a02);
    CC_STOREU(tmp + CC_NR, a10); CC_STOREU(tmp + CC_NR + CC_VLEN, a11);
    CC_STOREU(tmp + CC_NR + 2 * CC_VLEN, a12);
    CC_STOREU(tmp + 2 * CC_NR, a20); CC_STOREU(tmp + 2 * CC_NR + CC_VLEN, a21);
    CC_STOREU(tmp + 2 * CC_NR + 2 * CC_VLEN, a22);
    CC_STOREU(tmp + 3 * CC_NR, a30); CC_STOREU(tmp + 3 * CC_NR + CC_VLEN, a31);
    CC_STOREU(tmp + 3 * CC_NR + 2 * CC_VLEN, a32);
    for (r = 0; r < rows; ++r)
        for (j = 0; j < cols; ++j) y[r * ldy + j] = tmp[r * CC_NR + j];
}

static CC_TARGET_AVX2 void CC_FN(cc_igemm, avx2)(CC_IGEMM_PARAMS) {
    CC_IGEMM_STRIP(CC_FN(cc_tile, avx2))
}

/* igemm_ilv (cc_kernels.h): this path's igemm, its tile stored phase-interleaved. */
static CC_TARGET_AVX2 void CC_FN(cc_igemm_ilv, avx2)(CC_IGEMM_ILV_PARAMS) {
    CC_IGEMM_ILV_BODY(CC_FN(cc_igemm, avx2))
}

/* The rest of a row by CC_IROW_TAIL_BODY (cc_kernels.h), the last vector by vmaskmov
 * (which reads no masked-out lane); a masked lane's FMA rounds as a scalar FMA would. */
#define CC_TAIL_MTYPE __m256i
#if CC_F64
#define CC_TAIL_MASK(k) _mm256_cmpgt_epi64(_mm256_set1_epi64x((long long)(k)), \
                                           _mm256_setr_epi64x(0, 1, 2, 3))
#else
#define CC_TAIL_MASK(k) _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(k)), \
                                           _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7))
#endif
#define CC_TAIL_LOAD(p, k) CC_PASTE(_mm256_maskload_, CC_PX)((p), (k))
#define CC_TAIL_STORE(p, k, v) CC_PASTE(_mm256_maskstore_, CC_PX)((p), (k), (v))
static CC_TARGET_AVX2 CC_ALWAYS_INLINE void CC_FN(cc_irow_tail, avx2)(
        CC_IROW_PARAMS, const int phased, const int nv) {
    CC_IROW_TAIL_BODY
}

static CC_TARGET_AVX2 void CC_FN(cc_irow, avx2)(CC_IROW_PARAMS) {
    ptrdiff_t j = 0, p;
    const ptrdiff_t step = 8 * CC_VLEN;
    if (n_pairs >= CC_IROW_PHASED_MIN(CC_VLEN) && cc_offs_consecutive(offs, n_pairs)) {
        const CC_T *x0 = x + offs[0];
        CC_IROW_PHASED_LOOP
        CC_IROW_TAIL(CC_FN(cc_irow_tail, avx2), 1)
        return;
    }
    CC_IROW_MAIN_LOOP
    CC_IROW_TAIL(CC_FN(cc_irow_tail, avx2), 0)
}

static CC_TARGET_AVX2 double CC_FN(cc_hsum_pd, avx2)(__m256d v) {
    double lanes[4];
    _mm256_storeu_pd(lanes, v);
    return (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
}

#if CC_F64
/* [sum(d0), sum(d1), sum(d2), 0]: lane pairs summed (unpack), then 128-bit halves; a
 * fixed order, so every call rounds the same way. */
static CC_TARGET_AVX2 CC_ALWAYS_INLINE __m256d CC_FN(cc_wsum3, avx2)(__m256d d0, __m256d d1,
                                                                   __m256d d2) {
    const __m256d u01 = _mm256_add_pd(_mm256_unpacklo_pd(d0, d1), _mm256_unpackhi_pd(d0, d1));
    const __m256d u2 = _mm256_add_pd(_mm256_unpacklo_pd(d2, _mm256_setzero_pd()),
                                     _mm256_unpackhi_pd(d2, _mm256_setzero_pd()));
    return _mm256_add_pd(_mm256_permute2f128_pd(u01, u2, 0x20),
                         _mm256_permute2f128_pd(u01, u2, 0x31));
}
#define CC_W256_SUM3(a, b, c) CC_FN(cc_wsum3, avx2)(a, b, c)
#else
/* [sum(a), sum(b), sum(c), 0] in double from three float vectors: the same tree in
 * float (lane pairs, pairs of pairs, then the 128-bit halves), widened once, as the
 * AVX-512 tile's cc_wsum6f (12 operations a row where widening first took 21). */
static CC_TARGET_AVX2 CC_ALWAYS_INLINE __m256d CC_FN(cc_wsum3f, avx2)(__m256 a, __m256 b,
                                                                    __m256 c) {
    const __m256 z = _mm256_setzero_ps();
    const __m256 ab = _mm256_add_ps(_mm256_unpacklo_ps(a, b), _mm256_unpackhi_ps(a, b));
    const __m256 c0 = _mm256_add_ps(_mm256_unpacklo_ps(c, z), _mm256_unpackhi_ps(c, z));
    const __m256 abc = _mm256_add_ps(
        _mm256_castpd_ps(_mm256_unpacklo_pd(_mm256_castps_pd(ab), _mm256_castps_pd(c0))),
        _mm256_castpd_ps(_mm256_unpackhi_pd(_mm256_castps_pd(ab), _mm256_castps_pd(c0))));
    return _mm256_cvtps_pd(_mm_add_ps(_mm256_castps256_ps128(abc),
                                      _mm256_extractf128_ps(abc, 1)));
}
#define CC_W256_SUM3(a, b, c) CC_FN(cc_wsum3f, avx2)(a, b, c)
#endif

/* Row r's block sums, reduced across lanes (CC_W256_SUM3), added to its cols entries of
 * dw in double. */
#define CC_W256_FLUSH(r)                                                                  \
    if ((r) < rows) {                                                                     \
        const __m256d s = CC_W256_SUM3(c##r##0, c##r##1, c##r##2);                        \
        _mm256_maskstore_pd(dw + (r) * ldw, mw, _mm256_add_pd(                            \
            _mm256_maskload_pd(dw + (r) * ldw, mw), s));                                  \
    }

static CC_TARGET_AVX2 void CC_FN(cc_wgrad, avx2)(CC_WGRAD_PARAMS) {
    /* Missing rows or pairs alias row/pair 0: computed, then discarded. */
    const CC_T *d0 = dy, *d1 = rows > 1 ? dy + ldy : dy;
    const CC_T *d2 = rows > 2 ? dy + 2 * ldy : dy, *d3 = rows > 3 ? dy + 3 * ldy : dy;
    const CC_T *x0 = x + offs[0], *x1 = x + offs[cols > 1 ? 1 : 0];
    const CC_T *x2 = x + offs[cols > 2 ? 2 : 0];
    /* The first cols lanes: maskload/maskstore read the sign bit of each 64-bit lane. */
    const __m256i mw = _mm256_set_epi64x(0, cols > 2 ? -1 : 0, cols > 1 ? -1 : 0, -1);
    ptrdiff_t j0, j, q, r;
    ptrdiff_t n_vec = n - n % CC_VLEN;
    /* Each block is summed in working precision in 12 vector accumulators, then reduced
     * in double straight into dw (no double accumulators: they spilled from the 16
     * registers). */
    for (j0 = 0; j0 < n_vec; j0 += CC_WBLOCK) {
        ptrdiff_t j1 = j0 + CC_WBLOCK < n_vec ? j0 + CC_WBLOCK : n_vec;
        CC_V c00 = CC_ZERO(), c01 = CC_ZERO(), c02 = CC_ZERO();
        CC_V c10 = CC_ZERO(), c11 = CC_ZERO(), c12 = CC_ZERO();
        CC_V c20 = CC_ZERO(), c21 = CC_ZERO(), c22 = CC_ZERO();
        CC_V c30 = CC_ZERO(), c31 = CC_ZERO(), c32 = CC_ZERO();
        for (j = j0; j < j1; j += CC_VLEN) {
            CC_V v0 = CC_LOADU(x0 + j), v1 = CC_LOADU(x1 + j), v2 = CC_LOADU(x2 + j), g;
            g = CC_LOADU(d0 + j);
            c00 = CC_FMA(g, v0, c00); c01 = CC_FMA(g, v1, c01); c02 = CC_FMA(g, v2, c02);
            g = CC_LOADU(d1 + j);
            c10 = CC_FMA(g, v0, c10); c11 = CC_FMA(g, v1, c11); c12 = CC_FMA(g, v2, c12);
            g = CC_LOADU(d2 + j);
            c20 = CC_FMA(g, v0, c20); c21 = CC_FMA(g, v1, c21); c22 = CC_FMA(g, v2, c22);
            g = CC_LOADU(d3 + j);
            c30 = CC_FMA(g, v0, c30); c31 = CC_FMA(g, v1, c31); c32 = CC_FMA(g, v2, c32);
        }
        CC_W256_FLUSH(0) CC_W256_FLUSH(1) CC_W256_FLUSH(2) CC_W256_FLUSH(3)
    }
    if (n_vec < n) {
        const CC_T *d[4] = {d0, d1, d2, d3};
        const CC_T *v[3] = {x0, x1, x2};
        for (r = 0; r < rows; ++r)
            for (q = 0; q < cols; ++q) {
                double tail = 0.0;
                for (j = n_vec; j < n; ++j) tail += (double)d[r][j] * (double)v[q][j];
                dw[r * ldw + q] += tail;
            }
    }
}

#undef CC_W256_FLUSH
#undef CC_W256_SUM3

/* wgemm (the body and contract in cc_kernels.h): 4 pairs x 3 vectors (24 float / 12
 * double output channels) = 12 accumulators, as igemm's tile. */
#if CC_F64
#define CC_WG_ADD_FULL(p, v) _mm256_storeu_pd((p), _mm256_add_pd(_mm256_loadu_pd(p), (v)))
#else
#define CC_WG_ADD_FULL(p, v)                                                              \
    (_mm256_storeu_pd((p), _mm256_add_pd(_mm256_loadu_pd(p),                              \
                                         _mm256_cvtps_pd(_mm256_castps256_ps128(v)))),    \
     _mm256_storeu_pd((p) + 4, _mm256_add_pd(_mm256_loadu_pd((p) + 4),                    \
                                             _mm256_cvtps_pd(_mm256_extractf128_ps((v), 1)))))
#endif
#define CC_WG_ADD CC_WG_ADD_SPLIT
static CC_TARGET_AVX2 CC_ALWAYS_INLINE void CC_FN(cc_wgemm_tile, avx2)(
        CC_WGEMM_PARAMS, const int nv, const int wb) {
    CC_WGEMM_BODY
}

static CC_TARGET_AVX2 void CC_FN(cc_wgemm, avx2)(CC_WGEMM_PARAMS) {
    CC_WGEMM_DISPATCH(CC_FN(cc_wgemm_tile, avx2))
}

/* sum_j x[j] in double, 4 vector sums: each lane adds four vectors' values in CC_T
 * (an add as FMA by one, as wgemm's db) before it is widened, which costs two
 * conversions and two adds a vector (see the AVX-512 rowsum). */
static CC_TARGET_AVX2 double CC_FN(cc_rowsum, avx2)(const CC_T *CC_RESTRICT x, ptrdiff_t n) {
    __m256d s0 = _mm256_setzero_pd(), s1 = s0, s2 = s0, s3 = s0;
    const CC_V one = CC_SET1((CC_T)1);
    double s;
    ptrdiff_t j = 0;
    for (; j + 8 * CC_VLEN <= n; j += 8 * CC_VLEN) {
        s0 = _mm256_add_pd(s0, CC_WIDEN(CC_FMA(one, CC_FMA(one, CC_LOADU(x + j),
                                                           CC_LOADU(x + j + CC_VLEN)),
                                               CC_FMA(one, CC_LOADU(x + j + 2 * CC_VLEN),
                                                      CC_LOADU(x + j + 3 * CC_VLEN)))));
        s1 = _mm256_add_pd(s1, CC_WIDEN(CC_FMA(one, CC_FMA(one, CC_LOADU(x + j + 4 * CC_VLEN),
                                                           CC_LOADU(x + j + 5 * CC_VLEN)),
                                               CC_FMA(one, CC_LOADU(x + j + 6 * CC_VLEN),
                                                      CC_LOADU(x + j + 7 * CC_VLEN)))));
    }
    for (; j + 4 * CC_VLEN <= n; j += 4 * CC_VLEN) {
        s0 = _mm256_add_pd(s0, CC_WIDEN(CC_LOADU(x + j)));
        s1 = _mm256_add_pd(s1, CC_WIDEN(CC_LOADU(x + j + CC_VLEN)));
        s2 = _mm256_add_pd(s2, CC_WIDEN(CC_LOADU(x + j + 2 * CC_VLEN)));
        s3 = _mm256_add_pd(s3, CC_WIDEN(CC_LOADU(x + j + 3 * CC_VLEN)));
    }
    for (; j + CC_VLEN <= n; j += CC_VLEN) s0 = _mm256_add_pd(s0, CC_WIDEN(CC_LOADU(x + j)));
    s = CC_FN(cc_hsum_pd, avx2)(_mm256_add_pd(_mm256_add_pd(s0, s1), _mm256_add_pd(s2, s3)));
    for (; j < n; ++j) s += (double)x[j];
    return s;
}
