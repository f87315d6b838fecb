/* cc_kernels_neon.inc.h -- Advanced SIMD (NEON) kernels for aarch64, included once per
 * CC_T (float, double).
 *
 * Same contracts as the scalar kernels (cc_kernels_scalar.inc.h). NEON is part of the
 * aarch64 base architecture, so these are compiled without target attributes and are
 * the best path on every aarch64 CPU (Apple M-series, Graviton, Ampere, Cortex-A7x).
 *
 * igemm: CC_MR (8) rows x 3 vectors (12 float / 6 double positions) = 24 of the 32
 * 128-bit registers as accumulators. Per pair: three unaligned input loads and the
 * pair's eight packed weights loaded as whole vectors (2 float / 4 double loads); each
 * FMA multiplies by one lane of a weight vector (FMLA by element, vfmaq_laneq), so no
 * broadcast is ever issued: 5 vectors loaded per 24 FMAs in float (7 in double), in 3
 * (4) load instructions with LDP, against AVX2's 7 loads per 12 FMAs. Registers: 24
 * accumulators + 3 inputs + 2 (float) or 4 (double) weight vectors <= 31. Cores with 2-4
 * 128-bit FMA pipes of 3-4 cycles latency need 8-16 independent accumulations in
 * flight; 24 cover the widest (Neoverse V2, Apple Firestorm).
 * A group of at most 4 output channels runs a 4-row tile (12 accumulators). NEON has no
 * masked loads: a tile narrower than CC_NR stages its output rows through a small buffer;
 * its input loads stay full-width (packed input rows carry a tile of slack).
 * irow: one output row, 12 vectors in flight per pair (a weight broadcast per 12 FMAs;
 * 16 would need 16 + 16 + 1 registers, and GCC spilled one), then 4, then 1 vector, then
 * a scalar tail: the input may be the caller's own signal, so no load passes n - 1.
 * wgrad: 4 rows x 5 pairs = 20 vector accumulators (9 loads per 20 FMAs), flushed into
 * double vector accumulators every CC_WBLOCK positions (x86 reduces each block straight
 * into dw by a transpose tree instead; not measured here). AVX-512's 4 x 6 made GCC
 * spill two accumulators per step (it hoists all ten loads: 34 live vectors); 4 x 5
 * needs 29 and runs from registers. The last n % CC_VLEN positions are summed in
 * double, never loaded as a vector (dy rows may be the caller's array).
 * rowsum: four vectors added in CC_T, then widened to double, four double sums.
 */

/* Vector macros for CC_T (undefined by cc_instance.inc.h after this file). */
#define CC_LOADU CC_PASTE(vld1q_, CC_SFX)
#define CC_STOREU CC_PASTE(vst1q_, CC_SFX)
#define CC_DUP CC_PASTE(vdupq_n_, CC_SFX)
/* NEON's operand order: accumulator first (acc + a * b). */
#define CC_VFMA(acc, a, b) CC_PASTE(vfmaq_, CC_SFX)((acc), (a), (b))
#define CC_VFMA_LANE(acc, a, v, lane) CC_PASTE(vfmaq_laneq_, CC_SFX)((acc), (a), (v), (lane))
#if CC_F64
#define CC_V float64x2_t
#define CC_VLEN 2
#define CC_WIDEN_ADD(t, v) ((t) = vaddq_f64((t), (v)))
#define CC_WIDEN_ADD2(sa, sb, v) ((sa) = vaddq_f64((sa), (v)))
#else
#define CC_V float32x4_t
#define CC_VLEN 4
/* Four float lanes widened to two double vectors before they are added. */
#define CC_WIDEN_ADD(t, v) ((t) = vaddq_f64((t), vaddq_f64(vcvt_f64_f32(vget_low_f32(v)), \
                                                           vcvt_high_f64_f32(v))))
#define CC_WIDEN_ADD2(sa, sb, v) ((sa) = vaddq_f64((sa), vcvt_f64_f32(vget_low_f32(v))), \
                                  (sb) = vaddq_f64((sb), vcvt_high_f64_f32(v)))
#endif

#define CC_NW (CC_MR / CC_VLEN)   /* weight vectors per pair in the packed panel */

#define CC_N_DECL(r) CC_V a##r##0, a##r##1, a##r##2;
#define CC_N_INIT(r)                                                                      \
    if (accumulate && (r) < rows) {                                                       \
        a##r##0 = CC_LOADU(yt + (r) * ldt);                                               \
        a##r##1 = CC_LOADU(yt + (r) * ldt + CC_VLEN);                                     \
        a##r##2 = CC_LOADU(yt + (r) * ldt + 2 * CC_VLEN);                                 \
    } else {                                                                              \
        a##r##0 = a##r##1 = a##r##2 =                                                     \
            (!accumulate && bias && (r) < rows) ? CC_DUP(bias[r]) : CC_DUP((CC_T)0);      \
    }
/* Row r's weight is lane r % CC_VLEN of weight vector r / CC_VLEN: constants, as the
 * lane operand of FMLA (by element) must be. */
#define CC_N_FMA(r)                                                                       \
    a##r##0 = CC_VFMA_LANE(a##r##0, x0, wv[(r) / CC_VLEN], (r) % CC_VLEN);                \
    a##r##1 = CC_VFMA_LANE(a##r##1, x1, wv[(r) / CC_VLEN], (r) % CC_VLEN);                \
    a##r##2 = CC_VFMA_LANE(a##r##2, x2, wv[(r) / CC_VLEN], (r) % CC_VLEN);
#define CC_N_STORE(r)                                                                     \
    if ((r) < rows) {                                                                     \
        CC_STOREU(yt + (r) * ldt, a##r##0);                                               \
        CC_STOREU(yt + (r) * ldt + CC_VLEN, a##r##1);                                     \
        CC_STOREU(yt + (r) * ldt + 2 * CC_VLEN, a##r##2);                                 \
    }

/* A tile narrower than CC_NR works on tmp (rows x CC_NR) instead of y, so no load or
 * store of the output passes column `cols`; tmp's extra columns start at zero. */
#define CC_N_TILE_HEAD                                                                    \
    CC_T tmp[CC_MR * CC_NR];                                                              \
    CC_T *yt = y;                                                                         \
    ptrdiff_t ldt = ldy, p, r, j;                                                         \
    if (cols < CC_NR) {                                                                   \
        yt = tmp;                                                                         \
        ldt = CC_NR;                                                                      \
        if (accumulate)                                                                   \
            for (r = 0; r < rows; ++r)                                                    \
                for (j = 0; j < CC_NR; ++j)                                               \
                    tmp[r * CC_NR + j] = j < cols ? y[r * ldy + j] : (CC_T)0;             \
    }
#define CC_N_TILE_TAIL                                                                    \
    if (yt == tmp)                                                                        \
        for (r = 0; r < rows; ++r)                                                        \
            for (j = 0; j < cols; ++j) y[r * ldy + j] = tmp[r * CC_NR + j];

/* M(r) for the rows of the tile: 0-3, and 4-7 unless `eight` is 0. */
#define CC_N_ROWS(M) M(0) M(1) M(2) M(3) if (eight) { M(4) M(5) M(6) M(7) }

/* The register tile: rows <= 8 (or <= 4 with `eight` 0: a group of at most four output
 * channels, panel rows still 8 apart), cols <= CC_NR. Always inlined with a constant
 * `eight`, so each instantiation keeps only its own accumulators and FMAs. */
static CC_ALWAYS_INLINE void CC_FN(cc_tile, neon)(CC_IGEMM_PARAMS, const int eight) {
    /* weight vectors a pair's rows need */
    const int nw = eight ? CC_NW : (4 + CC_VLEN - 1) / CC_VLEN;
    CC_N_TILE_HEAD
    CC_N_DECL(0) CC_N_DECL(1) CC_N_DECL(2) CC_N_DECL(3)
    CC_N_DECL(4) CC_N_DECL(5) CC_N_DECL(6) CC_N_DECL(7)
    /* Rows past `rows` start at zero (with `eight` 0 they are dead and compiled away). */
    CC_N_INIT(0) CC_N_INIT(1) CC_N_INIT(2) CC_N_INIT(3)
    CC_N_INIT(4) CC_N_INIT(5) CC_N_INIT(6) CC_N_INIT(7)
    for (p = 0; p < n_pairs; ++p) {
        const CC_T *xs = x + offs[p];
        const CC_T *wp = w + p * CC_MR;
        CC_V x0 = CC_LOADU(xs), x1 = CC_LOADU(xs + CC_VLEN), x2 = CC_LOADU(xs + 2 * CC_VLEN);
        CC_V wv[CC_NW];
        for (r = 0; r < nw; ++r) wv[r] = CC_LOADU(wp + r * CC_VLEN);
        CC_N_ROWS(CC_N_FMA)
    }
    CC_N_ROWS(CC_N_STORE)
    CC_N_TILE_TAIL
}

#define CC_N_TILE8(...) CC_FN(cc_tile, neon)(__VA_ARGS__, 1)
#define CC_N_TILE4(...) CC_FN(cc_tile, neon)(__VA_ARGS__, 0)

static void CC_FN(cc_igemm, neon)(CC_IGEMM_PARAMS) {
    if (rows <= 4) {
        CC_IGEMM_STRIP(CC_N_TILE4)
        return;
    }
    {
        CC_IGEMM_STRIP(CC_N_TILE8)
    }
}

/* igemm_ilv (cc_kernels.h): this path's igemm, its tile stored phase-interleaved. */
static void CC_FN(cc_igemm_ilv, neon)(CC_IGEMM_ILV_PARAMS) {
    CC_IGEMM_ILV_BODY(CC_FN(cc_igemm, neon))
}

#define CC_I_ROW(V)                                                                       \
    for (; j + (V) * CC_VLEN <= n; j += (V) * CC_VLEN) {                                  \
        CC_V a[V];                                                                        \
        int v;                                                                            \
        for (v = 0; v < (V); ++v)                                                         \
            a[v] = accumulate ? CC_LOADU(y + j + v * CC_VLEN) : CC_DUP(bias);             \
        for (p = 0; p < n_pairs; ++p) {                                                   \
            const CC_T *xs = x + offs[p] + j;                                             \
            const CC_V b = CC_DUP(w[p]);                                                  \
            for (v = 0; v < (V); ++v) a[v] = CC_VFMA(a[v], CC_LOADU(xs + v * CC_VLEN), b); \
        }                                                                                 \
        for (v = 0; v < (V); ++v) CC_STOREU(y + j + v * CC_VLEN, a[v]);                   \
    }

/* One output row: y[j] = (accumulate ? y[j] : bias) + sum_p w[p] * x[offs[p] + j]. */
static void CC_FN(cc_irow, neon)(CC_IROW_PARAMS) {
    ptrdiff_t j = 0, p;
    if (n_pairs >= CC_IROW_PHASED_MIN(CC_VLEN) && cc_offs_consecutive(offs, n_pairs)) {
        /* By phases (cc_kernels.h), with the generic macros' argument order; the tail
         * sums in the same order with fused scalar multiply-adds (vfmaq rounds once). */
#define CC_FMA(a, b, c) CC_VFMA((c), (a), (b))
#define CC_SET1 CC_DUP
#if CC_F64
#define CC_FMA1(a, b, c) __builtin_fma((a), (b), (c))
#else
#define CC_FMA1(a, b, c) __builtin_fmaf((a), (b), (c))
#endif
        const CC_T *x0 = x + offs[0];
        /* 8 output vectors in flight. AVX-512's 16 (cc_irow_wide) would suit cores with
         * four FMA pipes of latency 4 (Neoverse V1/V2, Apple's), but GCC 12 for aarch64
         * spilled that loop's registers inside its groups of taps (q-register reloads
         * from the stack), and it cannot be timed here: kept at 8, spill-free. */
        CC_IROW_PHASED_LOOP
        for (; j < n; ++j) CC_IROW_PHASED_SCALAR(j)
#undef CC_FMA
#undef CC_SET1
#undef CC_FMA1
        return;
    }
    CC_I_ROW(12)
    CC_I_ROW(4)
    CC_I_ROW(1)
    /* Fewer than CC_VLEN positions left: scalar, so no load reaches past x[offs + n - 1]. */
    for (; j < n; ++j) {
        CC_T acc = accumulate ? y[j] : bias;
        for (p = 0; p < n_pairs; ++p) acc += w[p] * x[offs[p] + j];
        y[j] = acc;
    }
}

#define CC_W_DECL(r) CC_V c##r##0 = CC_DUP((CC_T)0), c##r##1 = c##r##0, c##r##2 = c##r##0, \
    c##r##3 = c##r##0, c##r##4 = c##r##0;
#define CC_W_FMA(r)                                                                       \
    g = CC_LOADU(d##r + j);                                                               \
    c##r##0 = CC_VFMA(c##r##0, g, v0); c##r##1 = CC_VFMA(c##r##1, g, v1);                 \
    c##r##2 = CC_VFMA(c##r##2, g, v2); c##r##3 = CC_VFMA(c##r##3, g, v3);                 \
    c##r##4 = CC_VFMA(c##r##4, g, v4);
#define CC_W_FLUSH(r)                                                                     \
    CC_WIDEN_ADD(t[(r) * 5 + 0], c##r##0); CC_WIDEN_ADD(t[(r) * 5 + 1], c##r##1);         \
    CC_WIDEN_ADD(t[(r) * 5 + 2], c##r##2); CC_WIDEN_ADD(t[(r) * 5 + 3], c##r##3);         \
    CC_WIDEN_ADD(t[(r) * 5 + 4], c##r##4);

/* dw[r*ldw + q] += sum_{j<n} dy[r*ldy + j] * x[offs[q] + j], r < rows <= 4, q < cols <= 5. */
static void CC_FN(cc_wgrad, neon)(CC_WGRAD_PARAMS) {
    /* Missing rows or pairs alias row/pair 0: computed, then discarded. */
    const CC_T *d0 = dy, *d1 = rows > 1 ? dy + ldy : dy;
    const CC_T *d2 = rows > 2 ? dy + 2 * ldy : dy, *d3 = rows > 3 ? dy + 3 * ldy : dy;
    const CC_T *x0 = x + offs[0], *x1 = x + offs[cols > 1 ? 1 : 0];
    const CC_T *x2 = x + offs[cols > 2 ? 2 : 0], *x3 = x + offs[cols > 3 ? 3 : 0];
    const CC_T *x4 = x + offs[cols > 4 ? 4 : 0];
    float64x2_t t[20];
    double sums[20];
    ptrdiff_t j0, j, q, r;
    const ptrdiff_t n_vec = n - n % CC_VLEN;
    for (q = 0; q < 20; ++q) t[q] = vdupq_n_f64(0.0);
    for (j0 = 0; j0 < n_vec; j0 += CC_WBLOCK) {
        const ptrdiff_t j1 = j0 + CC_WBLOCK < n_vec ? j0 + CC_WBLOCK : n_vec;
        CC_W_DECL(0) CC_W_DECL(1) CC_W_DECL(2) CC_W_DECL(3)
        for (j = j0; j < j1; j += CC_VLEN) {
            const CC_V v0 = CC_LOADU(x0 + j), v1 = CC_LOADU(x1 + j), v2 = CC_LOADU(x2 + j);
            const CC_V v3 = CC_LOADU(x3 + j), v4 = CC_LOADU(x4 + j);
            CC_V g;
            CC_W_FMA(0) CC_W_FMA(1) CC_W_FMA(2) CC_W_FMA(3)
        }
        CC_W_FLUSH(0) CC_W_FLUSH(1) CC_W_FLUSH(2) CC_W_FLUSH(3)
    }
    for (q = 0; q < 20; ++q) sums[q] = vaddvq_f64(t[q]);
    for (j = n_vec; j < n; ++j) {
        const CC_T *d[4] = {d0, d1, d2, d3};
        const CC_T *v[5] = {x0, x1, x2, x3, x4};
        for (r = 0; r < 4; ++r)
            for (q = 0; q < 5; ++q) sums[r * 5 + q] += (double)d[r][j] * (double)v[q][j];
    }
    for (r = 0; r < rows; ++r)
        for (q = 0; q < cols; ++q) dw[r * ldw + q] += sums[r * 5 + q];
}

/* wgemm (the body and contract in cc_kernels.h): 8 pairs x 3 vectors (12 float / 6
 * double output channels) = 24 accumulators, as igemm's tile; a pair's sample is loaded
 * straight into every lane (LD1R). */
#define CC_FMA(a, b, c) CC_VFMA((c), (a), (b))
#define CC_SET1(v) CC_DUP(v)
#define CC_ZERO() CC_DUP((CC_T)0)
#if CC_F64
#define CC_WG_ADD_FULL(p, v) vst1q_f64((p), vaddq_f64(vld1q_f64(p), (v)))
#else
#define CC_WG_ADD_FULL(p, v)                                                              \
    (vst1q_f64((p), vaddq_f64(vld1q_f64(p), vcvt_f64_f32(vget_low_f32(v)))),              \
     vst1q_f64((p) + 2, vaddq_f64(vld1q_f64((p) + 2), vcvt_high_f64_f32(v))))
#endif
#define CC_WG_ADD CC_WG_ADD_SPLIT
static CC_ALWAYS_INLINE void CC_FN(cc_wgemm_tile, neon)(CC_WGEMM_PARAMS, const int nv,
                                                       const int wb) {
    CC_WGEMM_BODY
}

static void CC_FN(cc_wgemm, neon)(CC_WGEMM_PARAMS) {
    CC_WGEMM_DISPATCH(CC_FN(cc_wgemm_tile, neon))
}

/* sum_j x[j] in double, four vector sums: each lane adds four vectors' values in CC_T
 * (an add as FMA by one, as wgemm's db) before it is widened (see the AVX-512 rowsum). */
static double CC_FN(cc_rowsum, neon)(const CC_T *CC_RESTRICT x, ptrdiff_t n) {
    float64x2_t s0 = vdupq_n_f64(0.0), s1 = s0, s2 = s0, s3 = s0;
    const CC_V one = CC_DUP((CC_T)1);
    double s;
    ptrdiff_t j = 0;
    for (; j + 8 * CC_VLEN <= n; j += 8 * CC_VLEN) {
        CC_WIDEN_ADD2(s0, s1, CC_VFMA(CC_VFMA(CC_LOADU(x + j), one, CC_LOADU(x + j + CC_VLEN)),
                                      one, CC_VFMA(CC_LOADU(x + j + 2 * CC_VLEN), one,
                                                   CC_LOADU(x + j + 3 * CC_VLEN))));
        CC_WIDEN_ADD2(s2, s3, CC_VFMA(CC_VFMA(CC_LOADU(x + j + 4 * CC_VLEN), one,
                                              CC_LOADU(x + j + 5 * CC_VLEN)),
                                      one, CC_VFMA(CC_LOADU(x + j + 6 * CC_VLEN), one,
                                                   CC_LOADU(x + j + 7 * CC_VLEN))));
    }
    for (; j + 4 * CC_VLEN <= n; j += 4 * CC_VLEN) {
        CC_WIDEN_ADD2(s0, s1, CC_LOADU(x + j));
        CC_WIDEN_ADD2(s2, s3, CC_LOADU(x + j + CC_VLEN));
        CC_WIDEN_ADD2(s1, s0, CC_LOADU(x + j + 2 * CC_VLEN));
        CC_WIDEN_ADD2(s3, s2, CC_LOADU(x + j + 3 * CC_VLEN));
    }
    for (; j + CC_VLEN <= n; j += CC_VLEN) CC_WIDEN_ADD2(s0, s1, CC_LOADU(x + j));
    s = vaddvq_f64(vaddq_f64(vaddq_f64(s0, s1), vaddq_f64(s2, s3)));
    for (; j < n; ++j) s += (double)x[j];
    return s;
}

#undef CC_NW
#undef CC_N_DECL
#undef CC_N_INIT
#undef CC_N_FMA
#undef CC_N_STORE
#undef CC_N_TILE_HEAD
#undef CC_N_TILE_TAIL
#undef CC_N_ROWS
#undef CC_N_TILE8
#undef CC_N_TILE4
#undef CC_I_ROW
#undef CC_W_DECL
#undef CC_W_FMA
#undef CC_W_FLUSH
