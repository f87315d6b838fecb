/* cc_kernels.h -- the compute kernels of cconv1d, one descriptor per SIMD path.
 *
 * Included by exactly one extension module, cconv1d._kernels, which owns the registry
 * (every other module sees only cc_registry.h and asks _kernels for the active
 * descriptor). Each instruction set's kernels are written once, in cc_kernels_<isa>.inc.h,
 * and instantiated for float and double by cc_instance.inc.h, which includes the file
 * twice with CC_T and CC_SFX defined (PyWavelets' convolution.template.c does the same)
 * and writes the path's descriptor from the tile sizes defined below (CC_MR, CC_NR_F32,
 * ...): the only place a tile size is written, and all the planners read.
 *
 * Paths: scalar (portable C / compiler vector extensions, always built), avx2 (x86-64,
 * target attributes, so a wheel built without -mavx2 still has it), avx512 (x86-64, GCC,
 * Clang and MSVC), neon (aarch64). cc_kernels_select() makes the best one this CPU runs
 * (or a forced lower one) the active descriptor.
 */
#ifndef CCONV1D_CC_KERNELS_H
#define CCONV1D_CC_KERNELS_H

#include <stddef.h>
#include <string.h>
#include "cc_common.h"
#include "cc_registry.h"
#include "cc_cpu.h"

#define CC_WBLOCK 1024  /* positions summed in working precision before a double flush */
#define CC_CAT_(a, b, c) a##_##b##_##c
#define CC_CAT(a, b, c) CC_CAT_(a, b, c)
#define CC_FN(base, isa) CC_CAT(base, CC_SFX, isa)
#define CC_PASTE_(a, b) a##b
#define CC_PASTE(a, b) CC_PASTE_(a, b)   /* an intrinsic's name from its dtype suffix */
#define CC_STR_(a) #a
#define CC_STR(a) CC_STR_(a)

/* The kernels' parameter lists: the contracts of cc_registry.h's function types. */
#define CC_IGEMM_PARAMS                                                                   \
    const CC_T *CC_RESTRICT x, const ptrdiff_t *offs, ptrdiff_t n_pairs,                  \
        const CC_T *CC_RESTRICT w, CC_T *CC_RESTRICT y, ptrdiff_t ldy, ptrdiff_t rows,    \
        ptrdiff_t cols, int accumulate, const CC_T *CC_RESTRICT bias
#define CC_IROW_PARAMS                                                                    \
    const CC_T *CC_RESTRICT x, const ptrdiff_t *offs, ptrdiff_t n_pairs,                  \
        const CC_T *CC_RESTRICT w, CC_T *CC_RESTRICT y, ptrdiff_t n, int accumulate,      \
        CC_T bias
#define CC_WGRAD_PARAMS                                                                   \
    const CC_T *CC_RESTRICT dy, ptrdiff_t ldy, ptrdiff_t rows, const CC_T *CC_RESTRICT x, \
        const ptrdiff_t *offs, ptrdiff_t cols, ptrdiff_t n, double *CC_RESTRICT dw,       \
        ptrdiff_t ldw
#define CC_WGEMM_PARAMS                                                                   \
    const CC_T *CC_RESTRICT dyt, ptrdiff_t ldt, ptrdiff_t n, const CC_T *CC_RESTRICT x,   \
        const ptrdiff_t *offs, ptrdiff_t rows, ptrdiff_t cols, double *CC_RESTRICT dwt,   \
        ptrdiff_t ldw, double *CC_RESTRICT db

/* The body of an igemm made of whole tiles: `cols` may exceed CC_NR (one call walks a
 * whole column block, so short reductions do not pay a call per tile); TILE(x, offs,
 * n_pairs, w, y, ldy, rows, cols <= CC_NR, accumulate, bias) computes one tile. */
#define CC_IGEMM_STRIP(TILE)                                                              \
    ptrdiff_t j;                                                                          \
    for (j = 0; j < cols; j += CC_NR)                                                     \
        TILE(x + j, offs, n_pairs, w, y + j, ldy, rows, cols - j < CC_NR ? cols - j : CC_NR, \
             accumulate, bias);

/* igemm_ilv: igemm whose rows are the phases of output channels, stored interleaved.
 * Row r of the tile (rows <= CC_MR, a multiple of s) is phase r % s of channel r / s:
 *   z[r][u] = (accumulate ? y at (r, u) : bias ? bias[r / s] : 0)
 *             + sum_p w[p*CC_MR + r] * x[offs[p] + u],   u < cols,
 * as igemm computes it (the same kernel, so the same bits), and y[(r/s)*ldy + t] = z[r][u]
 * for t = t0 + s*u + r%s with 0 <= t < n_out; other positions are neither read nor
 * written. A strided layer's input gradient and conv_transpose1d compute their phase
 * rows this way straight into dx: the phase rows and the pass that interleaved them
 * (an eighth to a fifth of an upsampler's time) are gone. The tile goes through a small
 * buffer in L1 (CC_ILV_COLS positions at a time) and is interleaved from there by
 * loops of a constant stride, which the compiler vectorises for the path. */
#define CC_IGEMM_ILV_PARAMS                                                               \
    const CC_T *CC_RESTRICT x, const ptrdiff_t *offs, ptrdiff_t n_pairs,                  \
        const CC_T *CC_RESTRICT w, CC_T *CC_RESTRICT y, ptrdiff_t ldy, ptrdiff_t rows,    \
        ptrdiff_t cols, int accumulate, const CC_T *CC_RESTRICT bias, ptrdiff_t s,        \
        ptrdiff_t t0, ptrdiff_t n_out
#define CC_ILV_COLS (2 * CC_NR)
/* Between the buffer (channel c's s rows from b, pitch CC_ILV_COLS, n columns) and the
 * output rows (yr at position tb): STORE 1 stores the tile, 0 loads the partial sums
 * back (zero where a position is clipped). */
#define CC_ILV_MOVE(STORE, a, b) do { if (STORE) (a) = (b); else (b) = (a); } while (0)
#define CC_ILV_FIXED(STORE, S)                                                            \
    for (u = ua; u < ub; ++u)                                                             \
        for (q = 0; q < (S); ++q)                                                         \
            CC_ILV_MOVE(STORE, yr[tb + (S) * u + q], b[q * CC_ILV_COLS + u]);
#define CC_ILV_EDGE(STORE, U0, U1)                                                        \
    for (q = 0; q < s; ++q)                                                               \
        for (u = (U0); u < (U1); ++u) {                                                   \
            const ptrdiff_t t = tb + s * u + q;                                           \
            if (t >= 0 && t < n_out)                                                      \
                CC_ILV_MOVE(STORE, yr[t], b[q * CC_ILV_COLS + u]);                        \
            else if (!(STORE))                                                            \
                b[q * CC_ILV_COLS + u] = 0;                                               \
        }
/* Columns [ua, ub) have all s positions inside [0, n_out): loops of a constant stride
 * for the strides a tile's rows allow (2, 4, 8); the clipped columns at either end one
 * position at a time. */
#define CC_ILV_PASS(STORE)                                                                \
    for (c = 0; c < channels; ++c) {                                                      \
        CC_T *yr = y + c * ldy;                                                           \
        CC_T *b = buf + c * s * CC_ILV_COLS;                                              \
        CC_ILV_EDGE(STORE, 0, ua)                                                         \
        if (s == 2) {                                                                     \
            CC_ILV_FIXED(STORE, 2)                                                        \
        } else if (s == 4) {                                                              \
            CC_ILV_FIXED(STORE, 4)                                                        \
        } else if (s == 8) {                                                              \
            CC_ILV_FIXED(STORE, 8)                                                        \
        } else {                                                                          \
            CC_ILV_FIXED(STORE, s)                                                        \
        }                                                                                 \
        CC_ILV_EDGE(STORE, ub, n)                                                         \
    }
#define CC_IGEMM_ILV_BODY(IGEMM)                                                          \
    CC_T buf[CC_MR * CC_ILV_COLS], brow[CC_MR];                                           \
    const ptrdiff_t channels = rows / s;                                                  \
    ptrdiff_t u0, r, c, u, q;                                                             \
    if (bias)                                                                             \
        for (r = 0; r < rows; ++r) brow[r] = bias[r / s];                                 \
    for (u0 = 0; u0 < cols; u0 += CC_ILV_COLS) {                                          \
        const ptrdiff_t n = cols - u0 < CC_ILV_COLS ? cols - u0 : CC_ILV_COLS;            \
        const ptrdiff_t tb = t0 + s * u0;                                                 \
        ptrdiff_t ua = tb >= 0 ? 0 : (s - 1 - tb) / s;                                   \
        ptrdiff_t ub = n_out - tb < s * n ? (n_out - tb >= 0 ? (n_out - tb) / s : 0) : n; \
        if (ua > n) ua = n;                                                               \
        if (ub < ua) ub = ua;                                                             \
        if (accumulate) {                                                                 \
            CC_ILV_PASS(0)                                                                \
        } else if (ub > ua) {                                                             \
            /* the lines this tile stores, requested while it sums (as igemm does for   \
             * its own output: the interleaved stores otherwise wait for each line) */   \
            for (c = 0; c < channels; ++c)                                                \
                cc_prefetch_out(y + c * ldy + tb + s * ua,                                \
                                (size_t)(s * (ub - ua)) * sizeof(CC_T));                  \
        }                                                                                 \
        IGEMM(x + u0, offs, n_pairs, w, buf, CC_ILV_COLS, rows, n, accumulate,            \
              bias ? brow : NULL);                                                        \
        CC_ILV_PASS(1)                                                                    \
    }

/* The body of the SIMD irow kernels (AVX2, AVX-512): 8 vectors of one output row in
 * flight, a weight broadcast per pair; expands with the including file's CC_V,
 * CC_LOADU, CC_STOREU, CC_FMA, CC_SET1, CC_VLEN, and the kernel's x, offs, n_pairs, w,
 * y, n, accumulate, bias, j, p and step (= 8 * CC_VLEN). Leaves j at the first output
 * of the tail. */
#define CC_IROW_MAIN_LOOP                                                                 \
    for (; j + step <= n; j += step) {                                                    \
        CC_V a0, a1, a2, a3, a4, a5, a6, a7;                                              \
        if (accumulate) {                                                                 \
            a0 = CC_LOADU(y + j); a1 = CC_LOADU(y + j + CC_VLEN);                         \
            a2 = CC_LOADU(y + j + 2 * CC_VLEN); a3 = CC_LOADU(y + j + 3 * CC_VLEN);       \
            a4 = CC_LOADU(y + j + 4 * CC_VLEN); a5 = CC_LOADU(y + j + 5 * CC_VLEN);       \
            a6 = CC_LOADU(y + j + 6 * CC_VLEN); a7 = CC_LOADU(y + j + 7 * CC_VLEN);       \
        } else {                                                                          \
            a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = CC_SET1(bias);                        \
        }                                                                                 \
        for (p = 0; p < n_pairs; ++p) {                                                   \
            const CC_T *xs = x + offs[p] + j;                                             \
            CC_V b = CC_SET1(w[p]);                                                       \
            a0 = CC_FMA(b, CC_LOADU(xs), a0);                                             \
            a1 = CC_FMA(b, CC_LOADU(xs + CC_VLEN), a1);                                   \
            a2 = CC_FMA(b, CC_LOADU(xs + 2 * CC_VLEN), a2);                               \
            a3 = CC_FMA(b, CC_LOADU(xs + 3 * CC_VLEN), a3);                               \
            a4 = CC_FMA(b, CC_LOADU(xs + 4 * CC_VLEN), a4);                               \
            a5 = CC_FMA(b, CC_LOADU(xs + 5 * CC_VLEN), a5);                               \
            a6 = CC_FMA(b, CC_LOADU(xs + 6 * CC_VLEN), a6);                               \
            a7 = CC_FMA(b, CC_LOADU(xs + 7 * CC_VLEN), a7);                               \
        }                                                                                 \
        CC_STOREU(y + j, a0); CC_STOREU(y + j + CC_VLEN, a1);                             \
        CC_STOREU(y + j + 2 * CC_VLEN, a2); CC_STOREU(y + j + 3 * CC_VLEN, a3);           \
        CC_STOREU(y + j + 4 * CC_VLEN, a4); CC_STOREU(y + j + 5 * CC_VLEN, a5);           \
        CC_STOREU(y + j + 6 * CC_VLEN, a6); CC_STOREU(y + j + 7 * CC_VLEN, a7);           \
    }

/* A loop whose constant trip count the compiler should unroll fully, so an array of
 * vector accumulators indexed by its counter lives in registers. */
#if defined(__clang__)
#define CC_UNROLL _Pragma("unroll")
#elif defined(__GNUC__)
#define CC_UNROLL _Pragma("GCC unroll 16")
#else
#define CC_UNROLL
#endif
/* The same for loops of up to 32 iterations (gcc's count is a bound: a loop of more
 * iterations than it is not unrolled fully, and its array of accumulators is spilled). */
#if defined(__clang__)
#define CC_UNROLL32 _Pragma("unroll")
#elif defined(__GNUC__)
#define CC_UNROLL32 _Pragma("GCC unroll 32")
#else
#define CC_UNROLL32
#endif

/* wgemm, the weight gradient of dense layers as a GEMM whose vectors run over output
 * channels: dwt[r*ldw + o] += sum_{j<n} x[offs[r] + j] * dyt[j*ldt + o] for pairs
 * r < rows <= CC_MR and channels o < cols <= ldt, where dyt holds a block of dy
 * transposed (dyt[j*ldt + o] = dy[o][j], cc_pack_transposed) and ldt is 1, 2 or 3 of
 * the path's vectors; its columns [cols, ldt) are read but never stored (the packing
 * zeroes them). The register tile is igemm's with the roles swapped: per position, nv
 * aligned panel loads and CC_MR broadcasts of single input samples (never a split
 * line) feed CC_MR x nv FMAs, and each lane is one dW entry, so nothing is summed
 * across lanes (wgrad, reducing along the vectors, pays a transpose tree per block and
 * line-split loads of shifted input rows: its AVX-512 tile alone ran at 68-75 % of the
 * FMA roof on Sapphire Rapids, this one at 77-90 %). Each entry sums its n products
 * in CC_T in ascending j and is added to dwt in double once: callers keep
 * n <= CC_WBLOCK. Missing pairs (r >= rows) alias pair 0: computed, never stored.
 * With db (NULL: none), also db[o] += sum_{j<n} dyt[j*ldt + o] for o < cols: the bias
 * gradient from the panel the tile loads anyway (a pass of its own read dy from memory
 * again: 4-5 % of dense layers' gradients), summed in CC_T over CC_WGEMM_BBLOCK
 * positions (an FMA by one: exactly an add), each block added in double.
 * Expands inside a function with the parameters CC_WGEMM_PARAMS and constants nv and
 * wb (db is not NULL), with the including file's CC_V, CC_VLEN, CC_LOADU, CC_ZERO,
 * CC_SET1, CC_FMA (a*b+c) and CC_WG_ADD(p, v, m): p[i] += lane i of v for
 * i < m <= CC_VLEN, in double. */
#define CC_WGEMM_BBLOCK 64
#define CC_WGEMM_BODY                                                                     \
    CC_V acc[CC_MR][3], bsum[3];                                                          \
    const CC_T *xr[CC_MR];                                                                \
    const CC_T *d = dyt;                                                                  \
    ptrdiff_t r, v, j, jb;                                                                \
    CC_UNROLL for (r = 0; r < CC_MR; ++r) {                                               \
        xr[r] = x + offs[r < rows ? r : 0];                                               \
        CC_UNROLL for (v = 0; v < 3; ++v) acc[r][v] = CC_ZERO();                          \
    }                                                                                     \
    CC_UNROLL for (v = 0; v < 3; ++v) bsum[v] = CC_ZERO();                                \
    for (jb = 0; jb < n; jb = j) {                                                        \
        const ptrdiff_t je = wb && n - jb > CC_WGEMM_BBLOCK ? jb + CC_WGEMM_BBLOCK : n;   \
        for (j = jb; j < je; ++j, d += ldt) {                                             \
            const CC_V d0 = CC_LOADU(d);                                                  \
            const CC_V d1 = nv > 1 ? CC_LOADU(d + CC_VLEN) : d0;                          \
            const CC_V d2 = nv > 2 ? CC_LOADU(d + 2 * CC_VLEN) : d0;                      \
            if (wb) {                                                                     \
                const CC_V one = CC_SET1((CC_T)1);                                        \
                bsum[0] = CC_FMA(one, d0, bsum[0]);                                       \
                if (nv > 1) bsum[1] = CC_FMA(one, d1, bsum[1]);                           \
                if (nv > 2) bsum[2] = CC_FMA(one, d2, bsum[2]);                           \
            }                                                                             \
            CC_UNROLL for (r = 0; r < CC_MR; ++r) {                                       \
                const CC_V b = CC_SET1(xr[r][j]);                                         \
                acc[r][0] = CC_FMA(b, d0, acc[r][0]);                                     \
                if (nv > 1) acc[r][1] = CC_FMA(b, d1, acc[r][1]);                         \
                if (nv > 2) acc[r][2] = CC_FMA(b, d2, acc[r][2]);                         \
            }                                                                             \
        }                                                                                 \
        if (wb) {                                                                         \
            CC_UNROLL for (v = 0; v < nv; ++v) {                                          \
                const ptrdiff_t m = cols - v * CC_VLEN;                                   \
                if (m > 0) CC_WG_ADD(db + v * CC_VLEN, bsum[v], m < CC_VLEN ? m : CC_VLEN); \
                bsum[v] = CC_ZERO();                                                      \
            }                                                                             \
        }                                                                                 \
    }                                                                                     \
    CC_UNROLL for (r = 0; r < CC_MR; ++r) {                                               \
        if (r >= rows) break;                                                             \
        CC_UNROLL for (v = 0; v < nv; ++v) {                                              \
            const ptrdiff_t m = cols - v * CC_VLEN;                                       \
            if (m > 0)                                                                    \
                CC_WG_ADD(dwt + r * ldw + v * CC_VLEN, acc[r][v], m < CC_VLEN ? m : CC_VLEN); \
        }                                                                                 \
    }

/* The wgemm kernel from its tile TILE(CC_WGEMM_PARAMS..., nv, wb): the panel's width
 * in vectors and whether it sums db, as constants, so each instantiation keeps only
 * its own accumulators. */
#define CC_WGEMM_DISPATCH_NV(TILE, WB)                                                    \
    if (ldt > 2 * CC_VLEN)                                                                \
        TILE(dyt, ldt, n, x, offs, rows, cols, dwt, ldw, db, 3, WB);                      \
    else if (ldt > CC_VLEN)                                                               \
        TILE(dyt, ldt, n, x, offs, rows, cols, dwt, ldw, db, 2, WB);                      \
    else                                                                                  \
        TILE(dyt, ldt, n, x, offs, rows, cols, dwt, ldw, db, 1, WB);
#define CC_WGEMM_DISPATCH(TILE)                                                           \
    if (db != NULL) {                                                                     \
        CC_WGEMM_DISPATCH_NV(TILE, 1)                                                     \
    } else {                                                                              \
        CC_WGEMM_DISPATCH_NV(TILE, 0)                                                     \
    }

/* CC_WG_ADD for paths without masked stores (AVX2, NEON): a whole vector by the
 * including file's CC_WG_ADD_FULL(p, v), a partial one (m < CC_VLEN lanes) through a
 * small buffer. */
#define CC_WG_ADD_SPLIT(p, v, m)                                                          \
    do {                                                                                  \
        if ((m) == CC_VLEN) {                                                             \
            CC_WG_ADD_FULL(p, v);                                                         \
        } else {                                                                          \
            CC_T t_[CC_VLEN];                                                             \
            ptrdiff_t i_;                                                                 \
            CC_STOREU(t_, (v));                                                           \
            for (i_ = 0; i_ < (m); ++i_) (p)[i_] += (double)t_[i_];                       \
        }                                                                                 \
    } while (0)

/* irow by phases, for rows whose taps read consecutive inputs (offs[p] = offs[0] + p:
 * dilation 1, as in signal convolution, FIR filters and most depthwise layers). Taps p
 * and p + VLEN read the same input vector for outputs one vector apart, so a loaded
 * vector serves CC_PH_TAPS taps: per phase and group of 4 taps, 11 loads and 4
 * broadcasts feed 32 FMAs into 8 accumulators, where the plain loop loads once per FMA
 * and is bound by the load ports (and by split cache lines: every unaligned 512-bit
 * load crosses one). Measured in a C harness on Zen 4, float64 AVX-512: K=31 32 -> 55
 * GFLOP/s, K=301 31 -> 53 (the roof is ~58); float32 K=64 68 -> 111 (roof ~117).
 * Rows with few taps keep the plain loop: a phase with one or two taps saves nothing
 * (K=9: 30 -> 25).
 * Every output, in the blocks and in the tail, sums its taps in the same order -- by
 * phase, then ascending within a phase -- so where an output falls in a row (Dask
 * chunks, thread blocks) never changes its bits. Expands with the including file's
 * CC_V, CC_T, CC_LOADU, CC_STOREU, CC_FMA, CC_SET1, CC_VLEN and the kernel's x0 (=
 * x + offs[0]), n_pairs, w, y, n, accumulate, bias and j; leaves j at the tail. */
#define CC_PH_ACC 8     /* vector accumulators: outputs per block = 8 vectors */
#define CC_PH_TAPS 4    /* taps of one phase sharing each loaded vector */
#ifndef CC_IROW_PHASED_MIN
/* Fewer taps keep the plain loop. Measured per path on Zen 4 (float64 from 16 taps on
 * AVX2 and AVX-512; float32 from 20 with 8 lanes, 24 with 16), where the phases' groups
 * are full enough to pay for the tail groups' extra loads. */
#define CC_IROW_PHASED_MIN(vlen) ((vlen) >= 16 ? 24 : (vlen) >= 8 ? 20 : 16)
#endif

static CC_ALWAYS_INLINE int cc_offs_consecutive(const ptrdiff_t *offs, ptrdiff_t n_pairs) {
    ptrdiff_t p;
    for (p = 1; p < n_pairs; ++p)
        if (offs[p] != offs[0] + p) return 0;
    return 1;
}

#define CC_IROW_PHASED_LOOP_N(NACC_)                                                            \
    for (; j + (NACC_) * CC_VLEN <= n; j += (NACC_) * CC_VLEN) {                      \
        CC_V a[(NACC_)];                                                                \
        ptrdiff_t ph, g, t;                                                               \
        int r, m;                                                                         \
        CC_UNROLL for (r = 0; r < (NACC_); ++r)                                         \
            a[r] = accumulate ? CC_LOADU(y + j + r * CC_VLEN) : CC_SET1(bias);            \
        for (ph = 0; ph < CC_VLEN && ph < n_pairs; ++ph) {                                \
            for (g = ph; g < n_pairs; g += CC_PH_TAPS * CC_VLEN) {                        \
                const CC_T *xs = x0 + j + g;                                              \
                if (g + (CC_PH_TAPS - 1) * CC_VLEN < n_pairs) {                           \
                    const CC_V w0 = CC_SET1(w[g]), w1 = CC_SET1(w[g + CC_VLEN]);          \
                    const CC_V w2 = CC_SET1(w[g + 2 * CC_VLEN]);                          \
                    const CC_V w3 = CC_SET1(w[g + 3 * CC_VLEN]);                          \
                    /* input vector m serves output vector m - t with tap g + t*VLEN */   \
                    CC_UNROLL32 for (m = 0; m < (NACC_) + CC_PH_TAPS - 1; ++m) {          \
                        const CC_V xv = CC_LOADU(xs + m * CC_VLEN);                       \
                        if (m < (NACC_)) a[m] = CC_FMA(w0, xv, a[m]);                   \
                        if (m >= 1 && m - 1 < (NACC_)) a[m - 1] = CC_FMA(w1, xv, a[m - 1]); \
                        if (m >= 2 && m - 2 < (NACC_)) a[m - 2] = CC_FMA(w2, xv, a[m - 2]); \
                        if (m >= 3) a[m - 3] = CC_FMA(w3, xv, a[m - 3]);                  \
                    }                                                                     \
                } else {                                                                  \
                    for (t = 0; g + t * CC_VLEN < n_pairs; ++t) {                         \
                        const CC_V wt = CC_SET1(w[g + t * CC_VLEN]);                      \
                        CC_UNROLL for (r = 0; r < (NACC_); ++r)                         \
                            a[r] = CC_FMA(wt, CC_LOADU(xs + (r + t) * CC_VLEN), a[r]);    \
                    }                                                                     \
                }                                                                         \
            }                                                                             \
        }                                                                                 \
        CC_UNROLL for (r = 0; r < (NACC_); ++r) CC_STOREU(y + j + r * CC_VLEN, a[r]);   \
    }
#define CC_IROW_PHASED_LOOP CC_IROW_PHASED_LOOP_N(CC_PH_ACC)

/* The body of an ISA's irow tail, CC_FN(cc_irow_tail, ISA)(CC_IROW_PARAMS, phased, nv):
 * the last n (fewer than 8 vectors) outputs of a row, all nv = ceil(n / VLEN) vectors in
 * flight together, the last one by masked loads and stores (the input may be the caller's
 * own row: the direct path reads signals in place, so no load may pass its end). Each
 * output is the same chain of FMAs, in the same order (the phased one when `phased`), as
 * in the 8-vector loops. One vector at a time, a row of few outputs (a lag window of 41
 * lags, a short 'valid' correlation, a depthwise layer at L = 100) was one dependent
 * chain after another, bound by the FMA's latency. The ISA defines CC_TAIL_MTYPE,
 * CC_TAIL_MASK(k) (the first k lanes), CC_TAIL_LOAD(p, m) and CC_TAIL_STORE(p, m, v). */
#define CC_IROW_TAIL_BODY                                                                 \
    const CC_TAIL_MTYPE m = CC_TAIL_MASK(n - (nv - 1) * CC_VLEN);                         \
    CC_V a[8];                                                                            \
    ptrdiff_t p, ph;                                                                      \
    int r;                                                                                \
    CC_UNROLL for (r = 0; r < nv; ++r)                                                    \
        a[r] = !accumulate ? CC_SET1(bias)                                                \
               : r < nv - 1 ? CC_LOADU(y + r * CC_VLEN) : CC_TAIL_LOAD(y + r * CC_VLEN, m); \
    if (phased) {                                                                         \
        const CC_T *x0 = x + offs[0];                                                     \
        for (ph = 0; ph < CC_VLEN && ph < n_pairs; ++ph)                                  \
            for (p = ph; p < n_pairs; p += CC_VLEN) {                                     \
                const CC_V b = CC_SET1(w[p]);                                             \
                CC_UNROLL for (r = 0; r < nv - 1; ++r)                                    \
                    a[r] = CC_FMA(b, CC_LOADU(x0 + p + r * CC_VLEN), a[r]);               \
                a[nv - 1] = CC_FMA(b, CC_TAIL_LOAD(x0 + p + (nv - 1) * CC_VLEN, m), a[nv - 1]); \
            }                                                                             \
    } else {                                                                              \
        for (p = 0; p < n_pairs; ++p) {                                                   \
            const CC_T *xs = x + offs[p];                                                 \
            const CC_V b = CC_SET1(w[p]);                                                 \
            CC_UNROLL for (r = 0; r < nv - 1; ++r)                                        \
                a[r] = CC_FMA(b, CC_LOADU(xs + r * CC_VLEN), a[r]);                       \
            a[nv - 1] = CC_FMA(b, CC_TAIL_LOAD(xs + (nv - 1) * CC_VLEN, m), a[nv - 1]);   \
        }                                                                                 \
    }                                                                                     \
    CC_UNROLL for (r = 0; r < nv - 1; ++r) CC_STOREU(y + r * CC_VLEN, a[r]);              \
    CC_TAIL_STORE(y + (nv - 1) * CC_VLEN, m, a[nv - 1]);

/* The rest of the row from j by the tail FN, its vector count a constant per call. */
#define CC_IROW_TAIL_CASE(FN, PHASED, NV)                                                 \
    case NV: FN(x + j, offs, n_pairs, w, y + j, n - j, accumulate, bias, PHASED, NV); break;
#define CC_IROW_TAIL(FN, PHASED)                                                          \
    switch ((n - j + CC_VLEN - 1) / CC_VLEN) {                                            \
    case 0: break;                                                                        \
    CC_IROW_TAIL_CASE(FN, PHASED, 1) CC_IROW_TAIL_CASE(FN, PHASED, 2)                     \
    CC_IROW_TAIL_CASE(FN, PHASED, 3) CC_IROW_TAIL_CASE(FN, PHASED, 4)                     \
    CC_IROW_TAIL_CASE(FN, PHASED, 5) CC_IROW_TAIL_CASE(FN, PHASED, 6)                     \
    CC_IROW_TAIL_CASE(FN, PHASED, 7)                                                      \
    default: FN(x + j, offs, n_pairs, w, y + j, n - j, accumulate, bias, PHASED, 8); break; \
    }

/* The taps of output j in the phased order, as scalar FMAs (the tail of a phased row). */
#define CC_IROW_PHASED_SCALAR(j_)                                                         \
    {                                                                                     \
        CC_T acc = accumulate ? y[j_] : bias;                                             \
        ptrdiff_t ph, q;                                                                  \
        for (ph = 0; ph < CC_VLEN && ph < n_pairs; ++ph)                                  \
            for (q = ph; q < n_pairs; q += CC_VLEN) acc = CC_FMA1(w[q], x0[(j_) + q], acc); \
        y[j_] = acc;                                                                      \
    }

#if CC_X86 && (defined(__GNUC__) || defined(__clang__))
#define CC_TARGET_AVX2 __attribute__((target("avx2,fma")))
#define CC_TARGET_AVX512 __attribute__((target("avx512f,avx2,fma")))
#define CC_HAVE_AVX2_BUILD 1
#define CC_HAVE_AVX512_BUILD 1
#elif CC_X86 && defined(_MSC_VER)
#define CC_TARGET_AVX2
#define CC_TARGET_AVX512
#define CC_HAVE_AVX2_BUILD 1
#define CC_HAVE_AVX512_BUILD 1
#else
#define CC_HAVE_AVX2_BUILD 0
#define CC_HAVE_AVX512_BUILD 0
#endif
#if CC_HAVE_AVX2_BUILD
#include <immintrin.h>
#endif
/* A request for the cache line holding p, to be written soon (never faults). */
#if defined(__GNUC__) || defined(__clang__)
#define CC_PREFETCH_W(p) __builtin_prefetch((p), 1, 3)
#elif CC_HAVE_AVX2_BUILD
#define CC_PREFETCH_W(p) _mm_prefetch((const char *)(p), _MM_HINT_T0)
#else
#define CC_PREFETCH_W(p) ((void)(p))
#endif

/* The lines of an output tile's row, [p, p + bytes), requested before its pairs are
 * summed. A call's first touch of a fresh output (a layer's forward over 32 samples
 * writes 8 MiB) otherwise misses on every store at the end of the tile and waits for
 * them; a tile sums for thousands of cycles, long enough for the lines to arrive. */
static CC_ALWAYS_INLINE void cc_prefetch_out(const void *p, size_t bytes) {
    const char *c = (const char *)p;
    size_t i;
    for (i = 0; i < bytes; i += 64) CC_PREFETCH_W(c + i);
    CC_PREFETCH_W(c + bytes - 1);
}

#if CC_ARM64
#include <arm_neon.h>
#define CC_HAVE_NEON_BUILD 1
#else
#define CC_HAVE_NEON_BUILD 0
#endif

/* ---- instantiations ----
 * Each path names its kernel file and its tiles, then cc_instance.inc.h includes the file
 * for float and double (with the intrinsic suffixes CC_PX / CC_SX, ps/ss or pd/sd) and
 * writes the path's descriptor from the same numbers: a tile size is written once. */

/* scalar: 4 rows x 24 float / 12 double positions (16-byte vectors, see its file) */
#define CC_ISA scalar
#define CC_ISA_CODE CC_SIMD_SCALAR
#define CC_ISA_FILE "cc_kernels_scalar.inc.h"
#define CC_MR 4
#define CC_NR_F32 24
#define CC_NR_F64 12
#define CC_WR 4
#define CC_WC 3
#define CC_WGEMM_PAIRS 0    /* plain C: not measured against wgrad */
#define CC_WGEMM_MAX_LEN 0
#define CC_VLEN_F32 4
#include "cc_instance.inc.h"

/* AVX2 + FMA: 4 rows x 3 vectors of 8 float / 4 double; wgrad 4 x 3 */
#if CC_HAVE_AVX2_BUILD
#define CC_ISA avx2
#define CC_ISA_CODE CC_SIMD_AVX2
#define CC_ISA_FILE "cc_kernels_avx2.inc.h"
#define CC_MR 4
#define CC_NR_F32 24
#define CC_NR_F64 12
#define CC_WR 4
#define CC_WC 3
/* Its 4 x 3 wgemm against wgrad (AVX2 on Sapphire Rapids, one thread): samples of 150
 * outputs 0.75-0.88x the time, 300-700 0.86-0.98x, 1000 and more 0.99-1.08x (tcn's 64
 * channels the worst); a dilated layer whose concatenated samples were half padding
 * 0.49x. So samples of up to 768 outputs. */
#define CC_WGEMM_PAIRS 24
#define CC_WGEMM_MAX_LEN 768
#define CC_VLEN_F32 8
#include "cc_instance.inc.h"
#endif

/* AVX-512F: 8 rows x 3 vectors of 16 float / 8 double; wgrad 4 x 6 */
#if CC_HAVE_AVX512_BUILD
#define CC_ISA avx512
#define CC_ISA_CODE CC_SIMD_AVX512
#define CC_ISA_FILE "cc_kernels_avx512.inc.h"
#define CC_MR 8
#define CC_NR_F32 48
#define CC_NR_F64 24
#define CC_WR 4
#define CC_WC 6
#define CC_WGEMM_PAIRS 24   /* 9 pairs 0.81x wgrad, 16 0.98x, 32 1.07x, 768 1.22x */
#define CC_WGEMM_MAX_LEN 0
#define CC_VLEN_F32 16
#include "cc_instance.inc.h"
#endif

/* NEON (aarch64): 8 rows x 3 vectors of 4 float / 2 double; wgrad 4 x 5 */
#if CC_HAVE_NEON_BUILD
#define CC_ISA neon
#define CC_ISA_CODE CC_SIMD_NEON
#define CC_ISA_FILE "cc_kernels_neon.inc.h"
#define CC_MR 8
#define CC_NR_F32 12
#define CC_NR_F64 6
#define CC_WR 4
#define CC_WC 5
#define CC_WGEMM_PAIRS 0    /* not timed on Arm: wgrad, as measured before, until it is */
#define CC_WGEMM_MAX_LEN 0
#define CC_VLEN_F32 4
#include "cc_instance.inc.h"
#endif

/* The paths built into this binary, by code (NULL: not built). */
static const cc_kernels_t *const cc_registry[CC_SIMD_COUNT] = {
    &cc_kernels_scalar,
#if CC_HAVE_AVX2_BUILD
    &cc_kernels_avx2,
#else
    NULL,
#endif
#if CC_HAVE_AVX512_BUILD
    &cc_kernels_avx512,
#else
    NULL,
#endif
#if CC_HAVE_NEON_BUILD
    &cc_kernels_neon,
#else
    NULL,
#endif
};

/* The active descriptor. A pointer store is atomic on every platform we build for;
 * callers load it once per call, so a switch never changes a call in progress. */
static const cc_kernels_t *cc_kernels_current = &cc_kernels_scalar;

static const cc_kernels_t *cc_kernels_active(void) {
#if defined(__GNUC__) || defined(__clang__)
    return __atomic_load_n(&cc_kernels_current, __ATOMIC_ACQUIRE);
#else
    return *(const cc_kernels_t *volatile *)&cc_kernels_current;
#endif
}

/* Whether path `isa` is built in and runs here. */
static int cc_kernels_usable(int isa) {
    return isa >= 0 && isa < CC_SIMD_COUNT && cc_registry[isa] != NULL && cc_cpu_runs(isa);
}

/* The best usable path. */
static int cc_kernels_best(void) {
    int isa, best = CC_SIMD_SCALAR;
    for (isa = 0; isa < CC_SIMD_COUNT; ++isa)
        if (cc_kernels_usable(isa) && isa != CC_SIMD_NEON) best = isa;
    return cc_kernels_usable(CC_SIMD_NEON) ? CC_SIMD_NEON : best;
}

/* Make `wanted` (CC_SIMD_*) the active path if it is usable; a negative `wanted` means
 * the best one. Returns the code of the active path, or -1 (nothing changed) when
 * `wanted` is not usable here. */
static int cc_kernels_select(int wanted) {
    const cc_kernels_t *desc;
    if (wanted < 0) wanted = cc_kernels_best();
    if (!cc_kernels_usable(wanted)) return -1;
    desc = cc_registry[wanted];
#if defined(__GNUC__) || defined(__clang__)
    __atomic_store_n(&cc_kernels_current, desc, __ATOMIC_RELEASE);
#else
    *(const cc_kernels_t *volatile *)&cc_kernels_current = desc;
#endif
    return wanted;
}

#endif /* CCONV1D_CC_KERNELS_H */
