/* cc_kernels_avx512.inc.h -- AVX-512F kernels, included once per CC_T (float, double).
 *
 * Same contracts as the scalar and AVX2 kernels; compiled into every x86-64 build through
 * target attributes and chosen at run time when the CPU has AVX-512F and the OS saves the
 * ZMM state (cc_cpu.h).
 *
 * igemm: CC_MR (8) rows x 3 vectors (48 float / 24 double positions) = 24 of the 32 zmm
 * registers as accumulators. Per pair: three unaligned input loads, eight weight
 * broadcasts (folded into the FMAs as {1toN} memory operands), 24 FMAs: 11 loads per 24
 * FMAs against AVX2's 7 per 12, so the load ports never bound it, and the larger tile
 * halves the number of times each input vector is loaded per output channel. A group
 * of at most 4 output channels runs a 4-row tile (12 accumulators) instead of computing
 * four rows of zeros. Edges are masked: a partial tile is the full kernel with masked
 * loads and stores of y, never a staging copy (the input rows are packed with a tile of
 * slack, so their full-width loads stay inside the workspace).
 * A tile that starts from the bias requests its output lines first (cc_prefetch_out).
 * irow: one output row, 8 vectors in flight; the rest of a row (fewer than 8 vectors)
 * with all its vectors in flight too, the last partial one masked, so every output is the
 * same chain of FMAs wherever it falls in the row.
 * wgrad: 4 rows x 6 pairs = 24 vector accumulators (10 loads per 24 FMAs). Every
 * CC_WBLOCK positions (once per call of the planner's W_CHUNK) each row's six
 * accumulators are summed across lanes by one transpose tree (float accumulators in
 * float, widened once at the end, cc_wsum6f) and added to dw as one masked double
 * vector. This replaced double vector accumulators (24 more zmm, so in memory), flushed
 * twice per call and horizontally summed one by one at the end (8-17% faster on tcn,
 * deep-channels, strided and FCN layers; thread CPU time); reducing float lanes in
 * float instead of widening all six vectors first made short calls (L = 512) ~10-20%
 * faster on Sapphire Rapids. The partial last vector is masked (zeros add
 * nothing), so no scalar tail.
 */

/* Vector macros for CC_T (undefined by cc_instance.inc.h after this file). */
#define CC_LOADU CC_PASTE(_mm512_loadu_, CC_PX)
#define CC_STOREU CC_PASTE(_mm512_storeu_, CC_PX)
#define CC_MLOAD(m, p) CC_PASTE(_mm512_maskz_loadu_, CC_PX)((m), (p))
#define CC_MSTORE(p, m, v) CC_PASTE(_mm512_mask_storeu_, CC_PX)((p), (m), (v))
#define CC_FMA CC_PASTE(_mm512_fmadd_, CC_PX)
#define CC_SET1 CC_PASTE(_mm512_set1_, CC_PX)
#define CC_ZERO CC_PASTE(_mm512_setzero_, CC_PX)
#if CC_F64
#define CC_V __m512d
#define CC_VLEN 8
#define CC_MTYPE __mmask8
#define CC_WIDEN_ADD2(sa, sb, v) ((sa) = _mm512_add_pd((sa), (v)))
#else
#define CC_V __m512
#define CC_VLEN 16
#define CC_MTYPE __mmask16
/* Sixteen float lanes widened to two double vectors before they are added. */
#define CC_LO_PD(v) _mm512_cvtps_pd(_mm512_castps512_ps256(v))
#define CC_HI_PD(v) _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)))
#define CC_WIDEN_ADD2(sa, sb, v) ((sa) = _mm512_add_pd((sa), CC_LO_PD(v)), \
                                  (sb) = _mm512_add_pd((sb), CC_HI_PD(v)))
#endif

#define CC_MASK_FOR(n) ((CC_MTYPE)(((n) >= CC_VLEN) ? (CC_MTYPE)~(CC_MTYPE)0 \
                                   : ((n) <= 0 ? 0 : (((CC_MTYPE)1 << (n)) - 1))))

#define CC_R512_DECL(r) CC_V a##r##0, a##r##1, a##r##2;
#define CC_R512_INIT(r)                                                                   \
    if (accumulate) {                                                                     \
        if ((r) < rows) {                                                                 \
            a##r##0 = CC_MLOAD(m0, y + (r) * ldy);                                        \
            a##r##1 = CC_MLOAD(m1, y + (r) * ldy + CC_VLEN);                              \
            a##r##2 = CC_MLOAD(m2, y + (r) * ldy + 2 * CC_VLEN);                          \
        } else {                                                                          \
            a##r##0 = a##r##1 = a##r##2 = CC_ZERO();                                      \
        }                                                                                 \
    } else {                                                                              \
        a##r##0 = a##r##1 = a##r##2 = (bias && (r) < rows) ? CC_SET1(bias[r]) : CC_ZERO(); \
    }
#define CC_R512_FMA(r)                                                                    \
    b = CC_SET1(wp[r]);                                                                   \
    a##r##0 = CC_FMA(b, x0, a##r##0);                                                     \
    if (nv > 1) a##r##1 = CC_FMA(b, x1, a##r##1);                                         \
    if (nv > 2) a##r##2 = CC_FMA(b, x2, a##r##2);
#define CC_R512_STORE(r)                                                                  \
    if ((r) < rows) {                                                                     \
        CC_MSTORE(y + (r) * ldy, m0, a##r##0);                                            \
        CC_MSTORE(y + (r) * ldy + CC_VLEN, m1, a##r##1);                                  \
        CC_MSTORE(y + (r) * ldy + 2 * CC_VLEN, m2, a##r##2);                              \
    }

/* Row r's output lines, requested before its pairs are summed (cc_prefetch_out). */
#define CC_R512_PREFETCH(r)                                                               \
    if ((r) < rows) cc_prefetch_out(y + (r) * ldy, nv * sizeof(CC_V));
/* M(r) for the rows of the tile: 0-3, and 4-7 unless `eight` is 0. */
#define CC_R512_ROWS(M) M(0) M(1) M(2) M(3) if (eight) { M(4) M(5) M(6) M(7) }

#define CC_R512_TILE_HEAD                                                                 \
    const CC_MTYPE m0 = CC_MASK_FOR(cols), m1 = CC_MASK_FOR(cols - CC_VLEN);              \
    const CC_MTYPE m2 = CC_MASK_FOR(cols - 2 * CC_VLEN);                                  \
    ptrdiff_t p;

/* The register tile: rows <= 8 (or <= 4 with `eight` 0: a group of at most four output
 * channels, panel rows still 8 apart), cols <= nv vectors (nv 3 for whole tiles; a
 * row's last, partial tile computes only the vectors it stores: short rows such as
 * L = 150 = 3 x 48 + 6 wasted a fifth of their FMAs on a full-width tail). Always inlined
 * with constant `eight` and `nv`, so each instantiation keeps only its own
 * accumulators and FMAs. */
static CC_TARGET_AVX512 CC_ALWAYS_INLINE void CC_FN(cc_tile, avx512)(
        CC_IGEMM_PARAMS, const int eight, const int nv) {
    CC_R512_TILE_HEAD
    CC_R512_DECL(0) CC_R512_DECL(1) CC_R512_DECL(2) CC_R512_DECL(3)
    CC_R512_DECL(4) CC_R512_DECL(5) CC_R512_DECL(6) CC_R512_DECL(7)
    if (!accumulate) {
        CC_R512_ROWS(CC_R512_PREFETCH)
    }
    /* Rows past `rows` start at zero (with `eight` 0 they are dead and compiled away). */
    CC_R512_INIT(0) CC_R512_INIT(1) CC_R512_INIT(2) CC_R512_INIT(3)
    CC_R512_INIT(4) CC_R512_INIT(5) CC_R512_INIT(6) CC_R512_INIT(7)
    for (p = 0; p < n_pairs; ++p) {
        const CC_T *xs = x + offs[p];
        const CC_T *wp = w + p * 8;
        CC_V x0 = CC_LOADU(xs), x1 = x0, x2 = x0;
        CC_V b;
        if (nv > 1) x1 = CC_LOADU(xs + CC_VLEN);
        if (nv > 2) x2 = CC_LOADU(xs + 2 * CC_VLEN);
        CC_R512_ROWS(CC_R512_FMA)
    }
    CC_R512_ROWS(CC_R512_STORE)
}

/* A strip of tiles; the last, partial one by the narrowest tile that covers it. */
#define CC_R512_STRIP(EIGHT)                                                              \
    for (j = 0; j + CC_NR <= cols; j += CC_NR)                                            \
        CC_FN(cc_tile, avx512)(x + j, offs, n_pairs, w, y + j, ldy, rows, CC_NR,          \
                               accumulate, bias, EIGHT, 3);                               \
    if (j < cols) {                                                                       \
        const ptrdiff_t rest = cols - j;                                                  \
        if (rest <= CC_VLEN)                                                              \
            CC_FN(cc_tile, avx512)(x + j, offs, n_pairs, w, y + j, ldy, rows, rest,       \
                                   accumulate, bias, EIGHT, 1);                           \
        else if (rest <= 2 * CC_VLEN)                                                     \
            CC_FN(cc_tile, avx512)(x + j, offs, n_pairs, w, y + j, ldy, rows, rest,       \
                                   accumulate, bias, EIGHT, 2);                           \
        else                                                                              \
            CC_FN(cc_tile, avx512)(x + j, offs, n_pairs, w, y + j, ldy, rows, rest,       \
                                   accumulate, bias, EIGHT, 3);                           \
    }

static CC_TARGET_AVX512 void CC_FN(cc_igemm, avx512)(CC_IGEMM_PARAMS) {
    ptrdiff_t j;
    if (rows <= 4) {
        CC_R512_STRIP(0)
        return;
    }
    CC_R512_STRIP(1)
}

/* igemm_ilv (cc_kernels.h): this path's igemm, its tile stored phase-interleaved. */
static CC_TARGET_AVX512 void CC_FN(cc_igemm_ilv, avx512)(CC_IGEMM_ILV_PARAMS) {
    CC_IGEMM_ILV_BODY(CC_FN(cc_igemm, avx512))
}

/* Taps from which irow runs by phases. float64 from 12, not the shared table's 20 for
 * eight lanes (which is AVX2 float32's): every unaligned 512-bit load of the plain loop
 * splits a cache line, and on Sapphire Rapids the phased loop was 7 % faster at 12 taps
 * and 15 % at 16 (100000-sample correlate, two builds alternating; 8 taps: 10 % slower);
 * Zen 4 measured it faster from 16. float32 keeps 24 (12-16 taps: 5-10 % slower). */
#define CC_IROW_PHASED_MIN_512 (CC_VLEN >= 16 ? 24 : 12)

/* The rest of a row by CC_IROW_TAIL_BODY (cc_kernels.h), the last vector masked. */
#define CC_TAIL_MTYPE CC_MTYPE
#define CC_TAIL_MASK(k) CC_MASK_FOR(k)
#define CC_TAIL_LOAD(p, k) CC_MLOAD((k), (p))
#define CC_TAIL_STORE(p, k, v) CC_MSTORE((p), (k), (v))
static CC_TARGET_AVX512 CC_ALWAYS_INLINE void CC_FN(cc_irow_tail, avx512)(
        CC_IROW_PARAMS, const int phased, const int nv) {
    CC_IROW_TAIL_BODY
}

/* irow by phases for rows whose phases fill whole groups of CC_PH_TAPS taps (all but
 * the last: from 31 float64 / 63 float32 taps), 16 vectors of outputs in flight. With 8,
 * each output vector's chain of FMAs (a tap each, 4 cycles apiece) was as long as the
 * block's FMAs took at two a cycle, so any stall showed: 16 accumulators (of the 32
 * registers) made rows of 31-64 float64 taps and 63-64 float32 taps 9-24 % faster on
 * Sapphire Rapids, 301 float64 taps 23 % (convolve of 1e5 samples, builds alternating,
 * minima of five runs). With more partial phases it was slower (25 float64 taps: 24 %).
 * The same phased order of every output's taps, so the same bits. A function of its
 * own: in irow's body, the larger loop slowed the rows of fewer taps by 5-12 %. */
#define CC_IROW_WIDE_MIN (CC_PH_TAPS * CC_VLEN - 1)
static CC_TARGET_AVX512 CC_NOINLINE void CC_FN(cc_irow_wide, avx512)(CC_IROW_PARAMS) {
    ptrdiff_t j = 0;
    const CC_T *x0 = x + offs[0];
    CC_IROW_PHASED_LOOP_N(16)
    CC_IROW_PHASED_LOOP
    CC_IROW_TAIL(CC_FN(cc_irow_tail, avx512), 1)
}

static CC_TARGET_AVX512 void CC_FN(cc_irow, avx512)(CC_IROW_PARAMS) {
    ptrdiff_t j = 0, p;
    const ptrdiff_t step = 8 * CC_VLEN;
    if (n_pairs >= CC_IROW_PHASED_MIN_512 && cc_offs_consecutive(offs, n_pairs)) {
        const CC_T *x0 = x + offs[0];
        if (n_pairs >= CC_IROW_WIDE_MIN) {
            CC_FN(cc_irow_wide, avx512)(x, offs, n_pairs, w, y, n, accumulate, bias);
            return;
        }
        CC_IROW_PHASED_LOOP
        CC_IROW_TAIL(CC_FN(cc_irow_tail, avx512), 1)
        return;
    }
    CC_IROW_MAIN_LOOP
    CC_IROW_TAIL(CC_FN(cc_irow_tail, avx512), 0)
}
#undef CC_IROW_WIDE_MIN

#define CC_W512_DECL(r) CC_V c##r##0 = CC_ZERO(), c##r##1 = CC_ZERO(), c##r##2 = CC_ZERO(), \
    c##r##3 = CC_ZERO(), c##r##4 = CC_ZERO(), c##r##5 = CC_ZERO();
#define CC_W512_FMA(r)                                                                    \
    if (nr > (r)) {                                                                       \
        g = CC_MLOAD(m, d##r + j);                                                        \
        c##r##0 = CC_FMA(g, v0, c##r##0); c##r##1 = CC_FMA(g, v1, c##r##1);               \
        c##r##2 = CC_FMA(g, v2, c##r##2);                                                 \
        if (nc > 3) {                                                                     \
            c##r##3 = CC_FMA(g, v3, c##r##3); c##r##4 = CC_FMA(g, v4, c##r##4);           \
            c##r##5 = CC_FMA(g, v5, c##r##5);                                             \
        }                                                                                 \
    }
#define CC_W512_STEP                                                                      \
    {                                                                                     \
        CC_V v0 = CC_MLOAD(m, x0 + j), v1 = CC_MLOAD(m, x1 + j), v2 = CC_MLOAD(m, x2 + j); \
        CC_V v3 = v0, v4 = v0, v5 = v0, g;                                                \
        if (nc > 3) {                                                                     \
            v3 = CC_MLOAD(m, x3 + j); v4 = CC_MLOAD(m, x4 + j); v5 = CC_MLOAD(m, x5 + j); \
        }                                                                                 \
        CC_W512_FMA(0) CC_W512_FMA(1) CC_W512_FMA(2) CC_W512_FMA(3)                       \
    }
/* Row r's block sums (its nc accumulators summed across lanes, CC_W512_SUM6) added to
 * dw[r*ldw + q], q < cols, as one masked double vector: a transpose tree (pairs of
 * lanes, then 128-bit quarters) sums six vectors in 9 adds and 12 shuffles where six
 * separate horizontal sums took 18 and 18, and the double flush per block is this
 * reduction itself (no vector double accumulators kept in memory). */
#define CC_W512_FLUSH(r)                                                                  \
    if (nr > (r)) {                                                                       \
        const __m512d s = CC_W512_SUM6(c##r##0, c##r##1, c##r##2,                         \
                                       nc > 3 ? c##r##3 : CC_ZERO(),                      \
                                       nc > 3 ? c##r##4 : CC_ZERO(),                      \
                                       nc > 3 ? c##r##5 : CC_ZERO());                     \
        if ((r) < rows)                                                                   \
            _mm512_mask_storeu_pd(dw + (r) * ldw, mw, _mm512_add_pd(                      \
                _mm512_maskz_loadu_pd(mw, dw + (r) * ldw), s));                           \
    }

#if CC_F64
/* [sum(d0), ..., sum(d5), 0, 0]: lane pairs summed (unpack), then 128-bit quarters
 * (shuffle_f64x2) twice; a fixed order, so every call rounds the same way. */
static CC_TARGET_AVX512 CC_ALWAYS_INLINE __m512d CC_FN(cc_wsum6, avx512)(
        __m512d d0, __m512d d1, __m512d d2, __m512d d3, __m512d d4, __m512d d5) {
    const __m512d u01 = _mm512_add_pd(_mm512_unpacklo_pd(d0, d1), _mm512_unpackhi_pd(d0, d1));
    const __m512d u23 = _mm512_add_pd(_mm512_unpacklo_pd(d2, d3), _mm512_unpackhi_pd(d2, d3));
    const __m512d u45 = _mm512_add_pd(_mm512_unpacklo_pd(d4, d5), _mm512_unpackhi_pd(d4, d5));
    const __m512d z = _mm512_setzero_pd();
    const __m512d p = _mm512_add_pd(_mm512_shuffle_f64x2(u01, u23, _MM_SHUFFLE(2, 0, 2, 0)),
                                    _mm512_shuffle_f64x2(u01, u23, _MM_SHUFFLE(3, 1, 3, 1)));
    const __m512d q = _mm512_add_pd(_mm512_shuffle_f64x2(u45, z, _MM_SHUFFLE(2, 0, 2, 0)),
                                    _mm512_shuffle_f64x2(u45, z, _MM_SHUFFLE(3, 1, 3, 1)));
    return _mm512_add_pd(_mm512_shuffle_f64x2(p, q, _MM_SHUFFLE(2, 0, 2, 0)),
                         _mm512_shuffle_f64x2(p, q, _MM_SHUFFLE(3, 1, 3, 1)));
}
#define CC_W512_SUM6(a, b, c, d, e, f) CC_FN(cc_wsum6, avx512)(a, b, c, d, e, f)
#else
/* [sum(a), ..., sum(f), 0, 0] in double from six float vectors: the same tree in float
 * (lane pairs, then pairs of pairs, then 128-bit quarters twice), widened once at the
 * end. Widening all six vectors first (24 more conversions and adds per row) made the
 * flush cost as much as 40-50 of the block's positions; each lane already holds a float
 * sum of n/16 products, so four more float roundings change nothing measurable. */
static CC_TARGET_AVX512 CC_ALWAYS_INLINE __m512d CC_FN(cc_wsum6f, avx512)(
        __m512 a, __m512 b, __m512 c, __m512 d, __m512 e, __m512 f) {
    const __m512 z = _mm512_setzero_ps();
    /* per 128-bit quarter: [a0+a2, b0+b2, a1+a3, b1+b3] */
    const __m512 ab = _mm512_add_ps(_mm512_unpacklo_ps(a, b), _mm512_unpackhi_ps(a, b));
    const __m512 cd = _mm512_add_ps(_mm512_unpacklo_ps(c, d), _mm512_unpackhi_ps(c, d));
    const __m512 ef = _mm512_add_ps(_mm512_unpacklo_ps(e, f), _mm512_unpackhi_ps(e, f));
    /* per quarter: [a, b, c, d] and [e, f, 0, 0] (64-bit halves paired) */
    const __m512 abcd = _mm512_add_ps(
        _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(ab), _mm512_castps_pd(cd))),
        _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(ab), _mm512_castps_pd(cd))));
    const __m512 ef00 = _mm512_add_ps(
        _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(ef), _mm512_castps_pd(z))),
        _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(ef), _mm512_castps_pd(z))));
    /* quarters: [abcd 0+1, abcd 2+3, ef 0+1, ef 2+3], then [abcd, ef, ...] */
    const __m512 p = _mm512_add_ps(_mm512_shuffle_f32x4(abcd, ef00, _MM_SHUFFLE(2, 0, 2, 0)),
                                   _mm512_shuffle_f32x4(abcd, ef00, _MM_SHUFFLE(3, 1, 3, 1)));
    const __m512 q = _mm512_add_ps(_mm512_shuffle_f32x4(p, p, _MM_SHUFFLE(2, 0, 2, 0)),
                                   _mm512_shuffle_f32x4(p, p, _MM_SHUFFLE(3, 1, 3, 1)));
    return _mm512_cvtps_pd(_mm512_castps512_ps256(q));
}
#define CC_W512_SUM6(a, b, c, d, e, f) CC_FN(cc_wsum6f, avx512)(a, b, c, d, e, f)
#endif

/* dw[r*ldw + q] += sum_{j<n} dy[r*ldy + j] * x[offs[q] + j], r < rows <= 4, q < cols <= 6.
 * Inlined with constant nr (rows computed: 1, 2 or 4) and nc (pairs: 3 or 6), so a thin
 * block computes only its own products: a depthwise layer's single row of 9 pairs ran
 * 24 FMAs per step for 6 it kept. Each block of CC_WBLOCK positions is summed in
 * working precision, then reduced in double straight into dw. */
static CC_TARGET_AVX512 CC_ALWAYS_INLINE void CC_FN(cc_wgrad_tile, avx512)(
        CC_WGRAD_PARAMS, const int nr, const int nc) {
    /* Missing rows or pairs alias row/pair 0: computed, then discarded. */
    const CC_T *d0 = dy, *d1 = rows > 1 ? dy + ldy : dy;
    const CC_T *d2 = rows > 2 ? dy + 2 * ldy : dy, *d3 = rows > 3 ? dy + 3 * ldy : dy;
    const CC_T *x0 = x + offs[0], *x1 = x + offs[cols > 1 ? 1 : 0];
    const CC_T *x2 = x + offs[cols > 2 ? 2 : 0], *x3 = x + offs[cols > 3 ? 3 : 0];
    const CC_T *x4 = x + offs[cols > 4 ? 4 : 0], *x5 = x + offs[cols > 5 ? 5 : 0];
    const __mmask8 mw = (__mmask8)((1u << cols) - 1u);
    ptrdiff_t j0, j;
    for (j0 = 0; j0 < n; j0 += CC_WBLOCK) {
        ptrdiff_t j1 = j0 + CC_WBLOCK < n ? j0 + CC_WBLOCK : n;
        CC_W512_DECL(0) CC_W512_DECL(1) CC_W512_DECL(2) CC_W512_DECL(3)
        CC_MTYPE m = CC_MASK_FOR(CC_VLEN);
        for (j = j0; j + CC_VLEN <= j1; j += CC_VLEN) {
            CC_W512_STEP
        }
        if (j < j1) {
            /* dy rows may be the caller's array: the last vector is masked. */
            m = CC_MASK_FOR(j1 - j);
            CC_W512_STEP
        }
        CC_W512_FLUSH(0) CC_W512_FLUSH(1) CC_W512_FLUSH(2) CC_W512_FLUSH(3)
    }
}

static CC_TARGET_AVX512 void CC_FN(cc_wgrad, avx512)(CC_WGRAD_PARAMS) {
#define CC_W512_CALL(NR, NC) \
    CC_FN(cc_wgrad_tile, avx512)(dy, ldy, rows, x, offs, cols, n, dw, ldw, NR, NC)
    if (rows == 1) {
        if (cols <= 3) CC_W512_CALL(1, 3); else CC_W512_CALL(1, 6);
    } else if (rows == 2) {
        if (cols <= 3) CC_W512_CALL(2, 3); else CC_W512_CALL(2, 6);
    } else {
        if (cols <= 3) CC_W512_CALL(4, 3); else CC_W512_CALL(4, 6);
    }
#undef CC_W512_CALL
}

/* wgemm (the body and contract in cc_kernels.h): 8 pairs x 3 vectors (48 float / 24
 * double output channels) = 24 accumulators, as igemm's tile; the flush adds each
 * vector to dwt as two masked double vectors (float) or one (double). */
#if CC_F64
#define CC_WG_ADD(p, v, m)                                                                \
    do {                                                                                  \
        const __mmask8 k_ = (__mmask8)((m) >= 8 ? 0xFFu : (1u << (m)) - 1u);              \
        _mm512_mask_storeu_pd((p), k_, _mm512_add_pd(_mm512_maskz_loadu_pd(k_, (p)), (v))); \
    } while (0)
#else
#define CC_WG_ADD(p, v, m)                                                                \
    do {                                                                                  \
        const __mmask8 lo_ = (__mmask8)((m) >= 8 ? 0xFFu : (1u << (m)) - 1u);             \
        const __mmask8 hi_ = (__mmask8)((m) >= 16 ? 0xFFu                                 \
                                        : (m) <= 8 ? 0u : (1u << ((m) - 8)) - 1u);        \
        _mm512_mask_storeu_pd((p), lo_,                                                   \
                              _mm512_add_pd(_mm512_maskz_loadu_pd(lo_, (p)), CC_LO_PD(v))); \
        _mm512_mask_storeu_pd((p) + 8, hi_, _mm512_add_pd(                                \
            _mm512_maskz_loadu_pd(hi_, (p) + 8), CC_HI_PD(v)));                           \
    } while (0)
#endif
static CC_TARGET_AVX512 CC_ALWAYS_INLINE void CC_FN(cc_wgemm_tile, avx512)(
        CC_WGEMM_PARAMS, const int nv, const int wb) {
    CC_WGEMM_BODY
}

static CC_TARGET_AVX512 void CC_FN(cc_wgemm, avx512)(CC_WGEMM_PARAMS) {
    CC_WGEMM_DISPATCH(CC_FN(cc_wgemm_tile, avx512))
}

/* sum_j x[j] in double, 4 vector sums: each lane adds four vectors' values in CC_T
 * (an add as FMA by one, as wgemm's db) before it is widened. Widening every vector
 * (two conversions and two adds per 16 floats) made the bias gradient that wgrad sums
 * from its dy chunks half the cost of the narrow layers' weight gradient itself. */
static CC_TARGET_AVX512 double CC_FN(cc_rowsum, avx512)(const CC_T *CC_RESTRICT x,
                                                      ptrdiff_t n) {
    __m512d s0 = _mm512_setzero_pd(), s1 = s0, s2 = s0, s3 = s0;
    const CC_V one = CC_SET1((CC_T)1);
    ptrdiff_t j = 0;
    for (; j + 8 * CC_VLEN <= n; j += 8 * CC_VLEN) {
        CC_WIDEN_ADD2(s0, s1, CC_FMA(one, CC_FMA(one, CC_LOADU(x + j), CC_LOADU(x + j + CC_VLEN)),
                                     CC_FMA(one, CC_LOADU(x + j + 2 * CC_VLEN),
                                            CC_LOADU(x + j + 3 * CC_VLEN))));
        CC_WIDEN_ADD2(s2, s3, CC_FMA(one, CC_FMA(one, CC_LOADU(x + j + 4 * CC_VLEN),
                                                 CC_LOADU(x + j + 5 * CC_VLEN)),
                                     CC_FMA(one, CC_LOADU(x + j + 6 * CC_VLEN),
                                            CC_LOADU(x + j + 7 * CC_VLEN))));
    }
    for (; j + 2 * CC_VLEN <= n; j += 2 * CC_VLEN) {
        CC_WIDEN_ADD2(s0, s1, CC_LOADU(x + j));
        CC_WIDEN_ADD2(s2, s3, CC_LOADU(x + j + CC_VLEN));
    }
    for (; j < n; j += CC_VLEN) CC_WIDEN_ADD2(s0, s1, CC_MLOAD(CC_MASK_FOR(n - j), x + j));
    return _mm512_reduce_add_pd(_mm512_add_pd(_mm512_add_pd(s0, s1), _mm512_add_pd(s2, s3)));
}

#undef CC_MASK_FOR
#undef CC_R512_DECL
#undef CC_R512_INIT
#undef CC_R512_FMA
#undef CC_R512_STORE
#undef CC_R512_TILE_HEAD
#undef CC_R512_PREFETCH
#undef CC_R512_ROWS
#undef CC_R512_STRIP
#undef CC_W512_DECL
#undef CC_W512_FMA
#undef CC_W512_FLUSH
#undef CC_W512_STEP
#undef CC_W512_SUM6
