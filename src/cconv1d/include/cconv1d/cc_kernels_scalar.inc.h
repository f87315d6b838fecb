/* cc_kernels_scalar.inc.h -- baseline kernels, included once per CC_T (float, double).
 *
 * Plain C that every compiler and CPU runs; -O3 auto-vectorises it with the baseline
 * instruction set (SSE2 on x86-64). Same contracts as the AVX2 versions
 * (cc_kernels_avx2.inc.h), which the dispatcher prefers when the CPU has them.
 * Indirect kernels: "pair" p reads input at x + offs[p] + j with weight w[p*...], so one
 * kernel serves stride (polyphase rows), dilation, groups and the input gradient.
 */

/* y[r*ldy + j] = (accumulate ? y : bias[r]) + sum_p w[p*CC_MR + r] * x[offs[p] + j]
 * for r < rows <= CC_MR, j < cols: one tile (cols <= CC_NR) per cc_tile call. Both
 * versions below work on `acc`, the tile as a CC_MR x CC_NR block (zero outside rows x
 * cols), filled by CC_S_TILE_IN and written back by CC_S_TILE_OUT. */
#define CC_S_TILE_IN                                                                      \
    for (r = 0; r < CC_MR; ++r)                                                           \
        for (j = 0; j < CC_NR; ++j)                                                       \
            acc[r * CC_NR + j] = (r < rows && j < cols)                                   \
                ? (accumulate ? y[r * ldy + j] : (bias ? bias[r] : (CC_T)0)) : (CC_T)0;
#define CC_S_TILE_OUT                                                                     \
    for (r = 0; r < rows; ++r)                                                            \
        for (j = 0; j < cols; ++j) y[r * ldy + j] = acc[r * CC_NR + j];

#if defined(__GNUC__) || defined(__clang__)
/* GCC/Clang vector extensions: 16-byte vectors (SSE2 on x86-64, NEON on arm64) in a
 * CC_MR x 2-vector register tile, a third of the tile at a time (SSE2 has no FMA:
 * 8 accumulators leave registers for the products; 12 spilled); plain C loops left the
 * accumulators in memory (3.6 GFLOP/s against 26-33 for this on the same machine). */
typedef CC_T CC_CAT(cc_vec16, CC_SFX, t) __attribute__((vector_size(16)));
#define CC_VEC CC_CAT(cc_vec16, CC_SFX, t)
#define CC_VLANES ((ptrdiff_t)(16 / sizeof(CC_T)))
static void CC_FN(cc_tile, scalar)(CC_IGEMM_PARAMS) {
    CC_T acc[CC_MR * CC_NR];
    ptrdiff_t r, j, p, h, v;
    CC_S_TILE_IN
    for (h = 0; h < CC_NR; h += 2 * CC_VLANES) {
        CC_VEC a[CC_MR][2];
        for (r = 0; r < CC_MR; ++r)
            for (v = 0; v < 2; ++v)
                memcpy(&a[r][v], acc + r * CC_NR + h + v * CC_VLANES, sizeof(CC_VEC));
        for (p = 0; p < n_pairs; ++p) {
            const CC_T *xs = x + offs[p] + h;
            const CC_T *wp = w + p * CC_MR;
            CC_VEC x0, x1;
            memcpy(&x0, xs, sizeof x0);
            memcpy(&x1, xs + CC_VLANES, sizeof x1);
            for (r = 0; r < CC_MR; ++r) {   /* fully unrolled by the compiler */
                a[r][0] += wp[r] * x0;
                a[r][1] += wp[r] * x1;
            }
        }
        for (r = 0; r < CC_MR; ++r)
            for (v = 0; v < 2; ++v)
                memcpy(acc + r * CC_NR + h + v * CC_VLANES, &a[r][v], sizeof(CC_VEC));
    }
    CC_S_TILE_OUT
}
#undef CC_VEC
#undef CC_VLANES
#else
static void CC_FN(cc_tile, scalar)(CC_IGEMM_PARAMS) {
    CC_T acc[CC_MR * CC_NR];
    ptrdiff_t r, j, p;
    CC_S_TILE_IN
    for (p = 0; p < n_pairs; ++p) {
        const CC_T *xs = x + offs[p];
        const CC_T *wp = w + p * CC_MR;
        for (r = 0; r < CC_MR; ++r) {
            CC_T wr = wp[r];
            for (j = 0; j < CC_NR; ++j) acc[r * CC_NR + j] += wr * xs[j];
        }
    }
    CC_S_TILE_OUT
}
#endif
#undef CC_S_TILE_IN
#undef CC_S_TILE_OUT

static void CC_FN(cc_igemm, scalar)(CC_IGEMM_PARAMS) {
    CC_IGEMM_STRIP(CC_FN(cc_tile, scalar))
}

/* igemm_ilv (cc_kernels.h): this path's igemm, its tile stored phase-interleaved. */
static void CC_FN(cc_igemm_ilv, scalar)(CC_IGEMM_ILV_PARAMS) {
    CC_IGEMM_ILV_BODY(CC_FN(cc_igemm, scalar))
}

/* One output row: y[j] = (accumulate ? y[j] : bias) + sum_p w[p] * x[offs[p] + j], j < n. */
static void CC_FN(cc_irow, scalar)(CC_IROW_PARAMS) {
    ptrdiff_t j, p;
    if (!accumulate)
        for (j = 0; j < n; ++j) y[j] = bias;
    for (p = 0; p < n_pairs; ++p) {
        const CC_T *xs = x + offs[p];
        CC_T wp = w[p];
        for (j = 0; j < n; ++j) y[j] += wp * xs[j];
    }
}

/* dw[r*ldw + q] += sum_{j<n} dy[r*ldy + j] * x[offs[q] + j] for r < rows <= 4,
 * q < cols <= 3, summed in double per block of CC_WBLOCK positions. */
static void CC_FN(cc_wgrad, scalar)(CC_WGRAD_PARAMS) {
    ptrdiff_t r, q, j, j0;
    for (r = 0; r < rows; ++r)
        for (q = 0; q < cols; ++q) {
            const CC_T *a = dy + r * ldy, *b = x + offs[q];
            double total = 0.0;
            for (j0 = 0; j0 < n; j0 += CC_WBLOCK) {
                ptrdiff_t j1 = j0 + CC_WBLOCK < n ? j0 + CC_WBLOCK : n;
                CC_T part[4] = {0, 0, 0, 0};
                for (j = j0; j + 4 <= j1; j += 4) {
                    part[0] += a[j] * b[j];
                    part[1] += a[j + 1] * b[j + 1];
                    part[2] += a[j + 2] * b[j + 2];
                    part[3] += a[j + 3] * b[j + 3];
                }
                for (; j < j1; ++j) part[0] += a[j] * b[j];
                total += ((double)part[0] + part[1]) + ((double)part[2] + part[3]);
            }
            dw[r * ldw + q] += total;
        }
}

/* dwt[r*ldw + o] += sum_{j<n} x[offs[r] + j] * dyt[j*ldt + o] for pairs r < rows <= CC_MR
 * and output channels o < cols <= ldt <= CC_NR: the weight gradient of dense layers,
 * from dy transposed (the vector paths' tile and its reasoning: CC_WGEMM_BODY in
 * cc_kernels.h). Each entry sums in CC_T, j ascending, then once into dwt in double;
 * db (not NULL) += the panel's columns, in double. */
static void CC_FN(cc_wgemm, scalar)(CC_WGEMM_PARAMS) {
    CC_T acc[CC_MR * CC_NR];
    ptrdiff_t r, o, j;
    for (r = 0; r < rows * ldt; ++r) acc[r] = (CC_T)0;
    for (j = 0; j < n; ++j) {
        const CC_T *d = dyt + j * ldt;
        for (r = 0; r < rows; ++r) {
            const CC_T b = x[offs[r] + j];
            CC_T *a = acc + r * ldt;
            for (o = 0; o < ldt; ++o) a[o] += b * d[o];
        }
    }
    for (r = 0; r < rows; ++r)
        for (o = 0; o < cols; ++o) dwt[r * ldw + o] += (double)acc[r * ldt + o];
    if (db != NULL)
        for (j = 0; j < n; ++j)
            for (o = 0; o < cols; ++o) db[o] += (double)dyt[j * ldt + o];
}

/* sum_j x[j] in double: four running sums the CPU can overlap. */
static double CC_FN(cc_rowsum, scalar)(const CC_T *CC_RESTRICT x, ptrdiff_t n) {
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    ptrdiff_t j = 0;
    for (; j + 4 <= n; j += 4) {
        s0 += (double)x[j];
        s1 += (double)x[j + 1];
        s2 += (double)x[j + 2];
        s3 += (double)x[j + 3];
    }
    for (; j < n; ++j) s0 += (double)x[j];
    return (s0 + s1) + (s2 + s3);
}
