/* Winograd's minimal filtering for the forward pass and both gradients
 * (cconv1d._forward's "winograd" route, cconv1d._backward's): F(4, 3), four outputs of
 * a 3-tap correlation from six products instead of twelve (Lavin and Gray 2016; points
 * 0, 1, -1, 2, -2 and infinity), and on eight points (0, +-1, +-2, +-1/2, infinity;
 * one input transform B^T, F(6, 3)'s in the literature) F(5, 4), five outputs of a
 * 4-tap one from eight products instead of twenty, and F(4, 5), four outputs of a
 * 5-tap one from eight instead of twenty. They replaced the six-point F(3, 4) and
 * F(2, 5), whose transforms moved more values an output and saved fewer products.
 * The weight gradient takes the same three, through their adjoints.
 *
 * A layer of C_in -> C_out channels becomes six (eight) pointwise layers, one per point
 * p (m outputs a tile, r taps, m + r - 1 = 6, or 8):
 *
 *   V[p, c, t] = (B^T d_t)[p]     d_t = the padded row of channel c at m t .. m t + 5 (7)
 *   U[p, o, c] = (G w[o, c])[p]   (in double, rounded once)
 *   M[p, o, t] = sum_c U[p, o, c] V[p, c, t]        (the pointwise forward, groups = 6, 8)
 *   y[o, m t + j] = (A^T M[:, o, t])[j] + bias[o]
 *
 * so the channel sums, which are all of a dense layer's arithmetic, run on the pointwise
 * route's tile at 0.5 (F(5, 4): 0.4, F(4, 5): 0.4) of the direct multiplications. The
 * transforms are O(C L) against the sums' O(C_in C_out L): the route pays only with many
 * channels (the caller's rule). Written once per type by a macro; plain loops that
 * compilers vectorise over tiles.
 *
 *        | 4  0 -5  0  1  0 |     F(4, 3):
 *        | 0 -4 -4  1  1  0 |     G = |  1/4     0     0  |
 *  B^T = | 0  4 -4 -1  1  0 |         | -1/6  -1/6  -1/6  |
 *        | 0 -2 -1  2  1  0 |         | -1/6   1/6  -1/6  |
 *        | 0  2 -1 -2  1  0 |         |  1/24  1/12  1/6  |
 *        | 0  4  0 -5  0  1 |         |  1/24 -1/12  1/6  |
 *                                     |  0     0     1    |
 *        | 1  1  1  1  1  0 |
 *  A^T = | 0  1 -1  2 -2  0 |
 *        | 0  1  1  4  4  0 |
 *        | 0  1 -1  8 -8  1 |
 *
 * On eight points: B^T is 8 x 8 (CC_WINO_IN_TILE8); G's rows p^k / prod_(q != p)(p - q)
 * (cc_wino_g54, cc_wino_g45), the last e_(r - 1); A^T's rows p^i for the finite points,
 * its last row's infinity column 1 (CC_WINO_A_T8).
 */
#ifndef CC_WINOGRAD_H
#define CC_WINOGRAD_H

#include <stddef.h>
#include "cc_registry.h"

/* The tile loops write each point's row (or each output) once a tile, rows pitch apart
 * in one buffer, and read other buffers: no iteration depends on another. Said to the
 * compiler, which otherwise checks every pair of the six or eight rows for overlap at
 * run time and past ten pairs (GCC's vect-max-version-for-alias-checks) leaves the loop
 * scalar: the eight-point transforms had run one lane at a time. */
#if defined(__clang__)
#define CC_WINO_IVDEP _Pragma("clang loop vectorize(assume_safety)")
#elif defined(__GNUC__)
#define CC_WINO_IVDEP _Pragma("GCC ivdep")
#elif defined(_MSC_VER)
#define CC_WINO_IVDEP __pragma(loop(ivdep))
#else
#define CC_WINO_IVDEP
#endif

/* V[p * pitch + t] = (B^T d_t)[p] for the tiles t < n_tiles of one padded row d,
 * d_t = d[m t : m t + 6] (m = 7 - r outputs a tile; m n_tiles + r - 1 samples); a
 * tile's six samples ds apart (dilated layers). */
#define CC_WINO_IN_TILE(T, s, ds, v, t, pitch)                                        \
    {                                                                                   \
        const T d0 = s[0], d1 = s[ds], d2 = s[2 * ds], d3 = s[3 * ds], d4 = s[4 * ds];  \
        const T d5 = s[5 * ds];                                                         \
        v[t] = 4 * d0 - 5 * d2 + d4;                                                    \
        v[pitch + t] = d3 + d4 - 4 * (d1 + d2);                                         \
        v[2 * pitch + t] = d4 - d3 + 4 * (d1 - d2);                                     \
        v[3 * pitch + t] = d4 - d2 + 2 * (d3 - d1);                                     \
        v[4 * pitch + t] = d4 - d2 + 2 * (d1 - d3);                                     \
        v[5 * pitch + t] = 4 * d1 - 5 * d3 + d5;                                        \
    }
/* The eight points' B^T (0, 1, -1, 2, -2, 1/2, -1/2, infinity: F(4, 5)), written out
 * as pairs of even and odd parts. */
#define CC_WINO_IN_TILE8(T, s, ds, v, t, pitch)                                       \
    {                                                                                   \
        const T d0 = s[0], d1 = s[ds], d2 = s[2 * ds], d3 = s[3 * ds], d4 = s[4 * ds];  \
        const T d5 = s[5 * ds], d6 = s[6 * ds], d7 = s[7 * ds];                         \
        const T a1 = d2 + d6 - (T)4.25 * d4, b1 = d1 + d5 - (T)4.25 * d3;               \
        const T a2 = (T)0.25 * d2 - (T)1.25 * d4 + d6;                                  \
        const T b2 = (T)0.5 * d1 - (T)2.5 * d3 + 2 * d5;                                \
        const T a3 = 4 * d2 - 5 * d4 + d6, b3 = 2 * d1 - (T)2.5 * d3 + (T)0.5 * d5;     \
        v[t] = d0 - d6 + (T)5.25 * (d4 - d2);                                           \
        v[pitch + t] = a1 + b1;                                                         \
        v[2 * pitch + t] = a1 - b1;                                                     \
        v[3 * pitch + t] = a2 + b2;                                                     \
        v[4 * pitch + t] = a2 - b2;                                                     \
        v[5 * pitch + t] = a3 + b3;                                                     \
        v[6 * pitch + t] = a3 - b3;                                                     \
        v[7 * pitch + t] = d7 - d1 + (T)5.25 * (d3 - d5);                               \
    }
/* (a literal tile step in each loop: the compiler's strided loads) */
#define CC_WINO_IN_DEFINE(NAME, T, ATTR)                                                \
static ATTR void NAME(const T *restrict d, ptrdiff_t n_tiles, ptrdiff_t r, T *restrict v, \
                 ptrdiff_t pitch) {                                                     \
    if (r == 5) {                                                                       \
        CC_WINO_IVDEP                                                                   \
        for (ptrdiff_t t = 0; t < n_tiles; ++t) CC_WINO_IN_TILE8(T, (d + 4 * t), 1, v, t, pitch) \
    } else if (r == 4) {                                                                \
        CC_WINO_IVDEP                                                                   \
        for (ptrdiff_t t = 0; t < n_tiles; ++t) CC_WINO_IN_TILE8(T, (d + 5 * t), 1, v, t, pitch) \
    } else {                                                                            \
        CC_WINO_IVDEP                                                                   \
        for (ptrdiff_t t = 0; t < n_tiles; ++t) CC_WINO_IN_TILE(T, (d + 4 * t), 1, v, t, pitch) \
    }                                                                                   \
}

/* A dilated layer (dilation dil): its outputs' dil phases (ph, ph + dil, ...) are
 * stride-1 layers on the row's phases, tiled apart. Tile t = u dil + ph, the tile u of
 * phase ph, reads d[dil (m u + j) + ph], j < 6: the phases are the inner loop, whose
 * samples are contiguous (vector loads, no copy of the phases; n_u m dil + (r - 1)
 * dil samples, zeros past the padded row). */
#define CC_WINO_IN_DIL_DEFINE(NAME, T, ATTR)                                            \
static ATTR void NAME(const T *restrict d, ptrdiff_t n_u, ptrdiff_t r, ptrdiff_t dil,   \
                 T *restrict v, ptrdiff_t pitch) {                                      \
    const ptrdiff_t step = cc_wino_step(r);                                             \
    for (ptrdiff_t u = 0; u < n_u; ++u) {                                               \
        const T *restrict s = d + dil * step * u;                                       \
        if (cc_wino_points(r) == 8) {                                                   \
            CC_WINO_IVDEP for (ptrdiff_t ph = 0; ph < dil; ++ph)                        \
                CC_WINO_IN_TILE8(T, (s + ph), dil, v, (u * dil + ph), pitch)            \
        } else {                                                                        \
            CC_WINO_IVDEP for (ptrdiff_t ph = 0; ph < dil; ++ph)                        \
                CC_WINO_IN_TILE(T, (s + ph), dil, v, (u * dil + ph), pitch)             \
        }                                                                               \
    }                                                                                   \
}

/* The weight transforms G (points x r), row-major (the output transforms A^T are
 * written out in the loops below; B^T depends on the points only). */
static const double cc_wino_g43[6 * 3] = {
    1.0 / 4, 0, 0,
    -1.0 / 6, -1.0 / 6, -1.0 / 6,
    -1.0 / 6, 1.0 / 6, -1.0 / 6,
    1.0 / 24, 1.0 / 12, 1.0 / 6,
    1.0 / 24, -1.0 / 12, 1.0 / 6,
    0, 0, 1};
/* F(4, 5) on eight points: G's rows p^k / prod_(q != p)(p - q) (row 0's sign turned,
 * with B^T's), last e_4. */
static const double cc_wino_g45[8 * 5] = {
    1, 0, 0, 0, 0,
    -2.0 / 9, -2.0 / 9, -2.0 / 9, -2.0 / 9, -2.0 / 9,
    -2.0 / 9, 2.0 / 9, -2.0 / 9, 2.0 / 9, -2.0 / 9,
    1.0 / 90, 1.0 / 45, 2.0 / 45, 4.0 / 45, 8.0 / 45,
    1.0 / 90, -1.0 / 45, 2.0 / 45, -4.0 / 45, 8.0 / 45,
    32.0 / 45, 16.0 / 45, 8.0 / 45, 4.0 / 45, 2.0 / 45,
    32.0 / 45, -16.0 / 45, 8.0 / 45, -4.0 / 45, 2.0 / 45,
    0, 0, 0, 0, 1};
/* F(5, 4) on the same points: G's first four columns, last e_3. */
static const double cc_wino_g54[8 * 4] = {
    1, 0, 0, 0,
    -2.0 / 9, -2.0 / 9, -2.0 / 9, -2.0 / 9,
    -2.0 / 9, 2.0 / 9, -2.0 / 9, 2.0 / 9,
    1.0 / 90, 1.0 / 45, 2.0 / 45, 4.0 / 45,
    1.0 / 90, -1.0 / 45, 2.0 / 45, -4.0 / 45,
    32.0 / 45, 16.0 / 45, 8.0 / 45, 4.0 / 45,
    32.0 / 45, -16.0 / 45, 8.0 / 45, -4.0 / 45,
    0, 0, 0, 1};

/* The transform of r taps (3: F(4, 3), 4: F(5, 4), 5: F(4, 5)): its points and
 * outputs a tile (m). */
static inline ptrdiff_t cc_wino_points(ptrdiff_t r) { return r >= 4 ? 8 : 6; }
static inline ptrdiff_t cc_wino_step(ptrdiff_t r) { return cc_wino_points(r) - r + 1; }
static inline const double *cc_wino_g(ptrdiff_t r) {
    return r == 3 ? cc_wino_g43 : r == 4 ? cc_wino_g54 : cc_wino_g45;
}

/* y[0:l_out] of one output row from its products m[p * pitch + t] (+ bias): y[m t + i]
 * = sum_p A^T[i, p] m[p, t], the last tile's outputs past l_out dropped. Written out
 * for each tile size: a loop over A^T's entries had cost the route a sixth of its
 * time (64 channels). */
#define CC_WINO_OUT_DEFINE(NAME, T, ATTR)                                               \
static ATTR void NAME(const T *restrict m, ptrdiff_t pitch, ptrdiff_t l_out, T bias,    \
                 ptrdiff_t r, T *restrict y) {                                          \
    const ptrdiff_t step = cc_wino_step(r), whole = l_out / step;                       \
    ptrdiff_t t;                                                                        \
    T q[5];                                                                             \
    if (r == 5) {                                                                       \
        CC_WINO_OUT8_LOOP(T, 4)                                                         \
        return;                                                                         \
    }                                                                                   \
    if (r == 4) {                                                                       \
        CC_WINO_OUT8_LOOP(T, 5)                                                         \
        return;                                                                         \
    }                                                                                   \
    CC_WINO_IVDEP for (t = 0; t < whole; ++t) {   /* F(4, 3) */                         \
        T o[4];                                                                         \
        CC_WINO_A_T(T, m[t], m[pitch + t], m[2 * pitch + t], m[3 * pitch + t],          \
                    m[4 * pitch + t], m[5 * pitch + t], o)                              \
        for (int i = 0; i < 4; ++i)                                                     \
            y[4 * t + i] = o[i] + bias;                                                 \
    }                                                                                   \
    if (step * whole < l_out) {                                                         \
        const T m0 = m[t], m1 = m[pitch + t], m2 = m[2 * pitch + t];                    \
        const T m3 = m[3 * pitch + t], m4 = m[4 * pitch + t], m5 = m[5 * pitch + t];    \
        CC_WINO_A_T(T, m0, m1, m2, m3, m4, m5, q)                                       \
        for (ptrdiff_t j = 0; step * whole + j < l_out; ++j)                            \
            y[step * whole + j] = q[j] + bias;                                          \
    }                                                                                   \
}

/* The eight points' A^T (F(4, 5): STEP 4, F(5, 4): 5): q[0 .. STEP) from the
 * products, rows p^i, the last one's infinity column 1. */
#define CC_WINO_A_T8(T, STEP, m0, m1, m2, m3, m4, m5, m6, m7, q)                        \
    {                                                                                   \
        const T a_ = m1 + m2, b_ = m1 - m2, c_ = m3 + m4, e_ = m3 - m4;                 \
        const T f_ = m5 + m6, h_ = m5 - m6;                                             \
        q[0] = m0 + a_ + c_ + f_;                                                       \
        q[1] = b_ + 2 * e_ + (T)0.5 * h_;                                               \
        q[2] = a_ + 4 * c_ + (T)0.25 * f_;                                              \
        if (STEP == 4) {                                                                \
            q[3] = b_ + 8 * e_ + (T)0.125 * h_ + m7;                                    \
        } else {                                                                        \
            q[3] = b_ + 8 * e_ + (T)0.125 * h_;                                         \
            q[STEP - 1] = a_ + 16 * c_ + (T)0.0625 * f_ + m7;                           \
        }                                                                               \
    }
/* y from the eight products of tiles of STEP outputs (the last tile's up to l_out). */
#define CC_WINO_OUT8_LOOP(T, STEP)                                                     \
    {                                                                                   \
        const ptrdiff_t whole8 = l_out / STEP;                                          \
        CC_WINO_IVDEP for (t = 0; t < whole8; ++t) {                                    \
            T o[5];                                                                     \
            CC_WINO_A_T8(T, STEP, m[t], m[pitch + t], m[2 * pitch + t], m[3 * pitch + t], \
                         m[4 * pitch + t], m[5 * pitch + t], m[6 * pitch + t],          \
                         m[7 * pitch + t], o)                                           \
            for (int i = 0; i < STEP; ++i)                                              \
                y[STEP * t + i] = o[i] + bias;                                          \
        }                                                                               \
        if (STEP * whole8 < l_out) {                                                    \
            CC_WINO_A_T8(T, STEP, m[t], m[pitch + t], m[2 * pitch + t], m[3 * pitch + t], \
                         m[4 * pitch + t], m[5 * pitch + t], m[6 * pitch + t],          \
                         m[7 * pitch + t], q)                                           \
            for (ptrdiff_t j = 0; STEP * whole8 + j < l_out; ++j)                       \
                y[STEP * whole8 + j] = q[j] + bias;                                     \
        }                                                                               \
    }
/* F(4, 3)'s A^T: q[0 .. 4) from the six products. */
#define CC_WINO_A_T(T, m0, m1, m2, m3, m4, m5, q)                                      \
    {                                                                                   \
        const T a_ = m1 + m2, b_ = m1 - m2, c_ = m3 + m4, e_ = m3 - m4;                 \
        q[0] = m0 + a_ + c_;                                                            \
        q[1] = b_ + 2 * e_;                                                             \
        q[2] = a_ + 4 * c_;                                                             \
        q[3] = b_ + 8 * e_ + m5;                                                        \
    }
/* y[0:l_out] of one output row of a dilated layer from the products of its tiles (laid
 * out as CC_WINO_IN_DIL's): tile (u, ph)'s outputs at dil (m u + i) + ph, the phases
 * the inner loop (contiguous stores); past l_out dropped. */
#define CC_WINO_OUT_DIL_TILES(T, STEP, P8, u, STORE)                                  \
    {                                                                                   \
        const T *restrict mu = m + u * dil;                                             \
        T *restrict yu = y + dil * STEP * u;                                            \
        CC_WINO_IVDEP for (ptrdiff_t ph = 0; ph < dil; ++ph) {                          \
            const T m0 = mu[ph], m1 = mu[pitch + ph], m2 = mu[2 * pitch + ph];          \
            const T m3 = mu[3 * pitch + ph], m4 = mu[4 * pitch + ph];                   \
            const T m5 = mu[5 * pitch + ph];                                            \
            T q[5];                                                                     \
            if (P8) {                                                                   \
                CC_WINO_A_T8(T, STEP, m0, m1, m2, m3, m4, m5, mu[6 * pitch + ph],       \
                             mu[7 * pitch + ph], q)                                     \
            } else                                                                      \
                CC_WINO_A_T(T, m0, m1, m2, m3, m4, m5, q)                               \
            for (int i = 0; i < STEP; ++i)                                              \
                if (STORE)                                                              \
                    yu[i * dil + ph] = q[i] + bias;                                     \
        }                                                                               \
    }
/* the tiles whose outputs are all in y, then the last u's, each output checked */
#define CC_WINO_OUT_DIL_LOOP(T, STEP, P8)                                              \
    {                                                                                   \
        const ptrdiff_t whole = l_out / (dil * STEP);                                   \
        for (ptrdiff_t u = 0; u < whole; ++u)                                           \
            CC_WINO_OUT_DIL_TILES(T, STEP, P8, u, 1)                                    \
        for (ptrdiff_t u = whole; u < n_u; ++u)                                         \
            CC_WINO_OUT_DIL_TILES(T, STEP, P8, u,                                       \
                                  dil * (STEP * u + i) + ph < l_out)                    \
    }
#define CC_WINO_OUT_DIL_DEFINE(NAME, T, ATTR)                                           \
static ATTR void NAME(const T *restrict m, ptrdiff_t pitch, ptrdiff_t l_out, T bias,    \
                 ptrdiff_t r, ptrdiff_t dil, T *restrict y) {                           \
    const ptrdiff_t step = cc_wino_step(r);                                             \
    const ptrdiff_t n_u = ((l_out + dil - 1) / dil + step - 1) / step;                  \
    if (r == 5) {                                                                       \
        CC_WINO_OUT_DIL_LOOP(T, 4, 1)                                                   \
    } else if (r == 4) {                                                                \
        CC_WINO_OUT_DIL_LOOP(T, 5, 1)                                                   \
    } else {                                                                            \
        CC_WINO_OUT_DIL_LOOP(T, 4, 0)                                                   \
    }                                                                                   \
}

/* U[p * ldu + o * c_in + c] = (G w[o, c])[p] for output channels o0 <= o < o1 of the
 * C_out x C_in x r weights (taps reversed when flip), in double, rounded once. Filters
 * go sixteen at a time, their taps copied out tap-major, so the sums over taps run
 * across the sixteen in vectors (one filter at a time, scalar, the transform of a
 * 128 -> 256-channel 5-tap layer's weights had been a ninth of its forward). The tap
 * count is a constant of each loop (unrolled): the loop over a variable r had cost 6 %
 * of the route (128 -> 256 channels, 5 taps, 1200 tiles), serial. */
#define CC_WINO_WEIGHTS_BLOCK(T, R, P, NB)                                             \
    {                                                                                   \
        double wk[R][16];                                                               \
        for (ptrdiff_t j = 0; j < 16; ++j)                                              \
            for (int k = 0; k < R; ++k)                                                 \
                wk[k][j] = 0.0;                                                         \
        for (ptrdiff_t j = 0; j < NB; ++j)                                              \
            for (int k = 0; k < R; ++k)                                                 \
                wk[k][j] = (double)w[R * (i0 + j) + (flip ? R - 1 - k : k)];            \
        for (int p = 0; p < P; ++p) {                                                   \
            T *restrict up = u + p * ldu + i0;                                          \
            for (ptrdiff_t j = 0; j < NB; ++j) {                                        \
                double s = 0.0;                                                         \
                for (int k = 0; k < R; ++k)                                             \
                    s += g[p * R + k] * wk[k][j];                                       \
                up[j] = (T)s;                                                           \
            }                                                                           \
        }                                                                               \
    }
/* filters o0 c_in .. o1 c_in sixteen at a time by BLOCK, then the rest */
#define CC_WINO_BY_SIXTEEN(BLOCK, T, R, P)                                             \
    {                                                                                   \
        const ptrdiff_t i1 = o1 * c_in;                                                 \
        ptrdiff_t i0 = o0 * c_in;                                                       \
        for (; i0 + 16 <= i1; i0 += 16)                                                 \
            BLOCK(T, R, P, 16)                                                          \
        if (i0 < i1) {                                                                  \
            const ptrdiff_t nb = i1 - i0;                                               \
            BLOCK(T, R, P, nb)                                                          \
        }                                                                               \
    }
#define CC_WINO_WEIGHTS_LOOP(T, R, P) CC_WINO_BY_SIXTEEN(CC_WINO_WEIGHTS_BLOCK, T, R, P)
#define CC_WINO_WEIGHTS_DEFINE(NAME, T, ATTR)                                           \
static ATTR void NAME(const T *restrict w, ptrdiff_t c_out, ptrdiff_t c_in, ptrdiff_t r, \
                 int flip, ptrdiff_t o0, ptrdiff_t o1, T *restrict u) {                 \
    const ptrdiff_t ldu = c_out * c_in;                                                 \
    const double *g = cc_wino_g(r);                                                     \
    if (r == 3) {                                                                       \
        CC_WINO_WEIGHTS_LOOP(T, 3, 6)                                                   \
    } else if (r == 4) {                                                                \
        CC_WINO_WEIGHTS_LOOP(T, 4, 8)                                                   \
    } else {                                                                            \
        CC_WINO_WEIGHTS_LOOP(T, 5, 8)                                                   \
    }                                                                                   \
}

/* The weight gradient's products dU[p] = sum over tiles of (A dy_t)[p] V[p, t] need dy
 * by tiles through A (the transpose of A^T): Y[p * pitch + t] = sum_i A^T[i, p]
 * dy[m t + i] for the tiles of one row dy[0:l_out] (the last tile's missing outputs 0),
 * the output transform's adjoint: on six points (F(4, 3)) the finite points' powers
 * 0, 1, -1, 2, -2, on eight (F(5, 4), F(4, 5)) also +-1/2, as pairs of even and odd
 * parts, and the infinity point's the tile's last output. */
#define CC_WINO_DY_TILE(T, STEP, P8, g, t)                                             \
    {                                                                                   \
        const T a = g[0] + g[2] + (STEP > 4 ? g[4] : 0), b = g[1] + g[3];               \
        const T c = g[0] + 4 * g[2] + (STEP > 4 ? 16 * g[4] : 0);                       \
        const T e = 2 * g[1] + 8 * g[3];                                                \
        v[t] = g[0];                                                                    \
        v[pitch + t] = a + b;                                                           \
        v[2 * pitch + t] = a - b;                                                       \
        v[3 * pitch + t] = c + e;                                                       \
        v[4 * pitch + t] = c - e;                                                       \
        if (P8) {                                                                       \
            const T f = g[0] + (T)0.25 * g[2] + (STEP > 4 ? (T)0.0625 * g[4] : 0);      \
            const T h = (T)0.5 * g[1] + (T)0.125 * g[3];                                \
            v[5 * pitch + t] = f + h;                                                   \
            v[6 * pitch + t] = f - h;                                                   \
            v[7 * pitch + t] = g[STEP - 1];                                             \
        } else {                                                                        \
            v[5 * pitch + t] = g[STEP - 1];                                             \
        }                                                                               \
    }
/* the whole tiles read in place (a literal step: the compiler's strided loads), then
 * the last one's outputs up to l_out, zeros past them */
#define CC_WINO_DY_TILES(T, STEP, P8)                                                  \
    {                                                                                   \
        const ptrdiff_t whole = l_out / STEP < n_tiles ? l_out / STEP : n_tiles;        \
        CC_WINO_IVDEP for (ptrdiff_t t = 0; t < whole; ++t) {                           \
            const T *restrict g = dy + STEP * t;                                        \
            CC_WINO_DY_TILE(T, STEP, P8, g, t)                                          \
        }                                                                               \
        for (ptrdiff_t t = whole; t < n_tiles; ++t) {                                   \
            T g[5] = {0, 0, 0, 0, 0};                                                   \
            for (ptrdiff_t i = 0; i < STEP && STEP * t + i < l_out; ++i)                \
                g[i] = dy[STEP * t + i];                                                \
            CC_WINO_DY_TILE(T, STEP, P8, g, t)                                          \
        }                                                                               \
    }
#define CC_WINO_DY_DEFINE(NAME, T, ATTR)                                                \
static ATTR void NAME(const T *restrict dy, ptrdiff_t l_out, ptrdiff_t n_tiles, ptrdiff_t r, \
                 T *restrict v, ptrdiff_t pitch) {                                      \
    if (r == 5) {                                                                       \
        CC_WINO_DY_TILES(T, 4, 1)                                                       \
    } else if (r == 4) {                                                                \
        CC_WINO_DY_TILES(T, 5, 1)                                                       \
    } else {                                                                            \
        CC_WINO_DY_TILES(T, 4, 0)                                                       \
    }                                                                                   \
}

/* dw[o, c, k] = sum_p G[p, k] dU[p * ldu + o * c_in + c] (G^T: the adjoint of the
 * weights' transform; taps reversed when flip) for output channels o0 <= o < o1, in
 * double, rounded once; sixteen filters at a time, the sums over points across them
 * in vectors (as the weights' transform). */
#define CC_WINO_WGRAD_BLOCK(T, R, P, NB)                                               \
    {                                                                                   \
        T acc[R][16];                                                                   \
        for (int k = 0; k < R; ++k)                                                     \
            for (ptrdiff_t j = 0; j < NB; ++j) {                                        \
                double s = 0.0;                                                         \
                for (int p = 0; p < P; ++p)                                             \
                    s += g[p * R + k] * (double)du[p * ldu + i0 + j];                   \
                acc[k][j] = (T)s;                                                       \
            }                                                                           \
        for (ptrdiff_t j = 0; j < NB; ++j)                                              \
            for (int k = 0; k < R; ++k)                                                 \
                dw[R * (i0 + j) + (flip ? R - 1 - k : k)] = acc[k][j];                  \
    }
#define CC_WINO_WGRAD_LOOP(T, R, P) CC_WINO_BY_SIXTEEN(CC_WINO_WGRAD_BLOCK, T, R, P)
#define CC_WINO_WGRAD_DEFINE(NAME, T, ATTR)                                             \
static ATTR void NAME(const T *restrict du, ptrdiff_t c_out, ptrdiff_t c_in, ptrdiff_t r, \
                 int flip, ptrdiff_t o0, ptrdiff_t o1, T *restrict dw) {                \
    const ptrdiff_t ldu = c_out * c_in;                                                 \
    const double *g = cc_wino_g(r);                                                     \
    if (r == 3) {                                                                       \
        CC_WINO_WGRAD_LOOP(T, 3, 6)                                                     \
    } else if (r == 4) {                                                                \
        CC_WINO_WGRAD_LOOP(T, 4, 8)                                                     \
    } else {                                                                            \
        CC_WINO_WGRAD_LOOP(T, 5, 8)                                                     \
    }                                                                                   \
}

/* The transforms by tiles (O(C L): a quarter of a 64-channel layer's time in the
 * baseline build, SSE2 on x86) are compiled once more for each x86 SIMD path the
 * kernels have (target attributes, as cc_pack.h's transposes) and chosen by the
 * caller's ``isa`` (CC_SIMD_*: the active kernel path, so CCONV1D_SIMD=scalar runs the
 * baseline build); the compiler vectorises the same loops with 8 or 16 lanes. So are
 * the weights' transforms (once a call, but C_out C_in filters of 8 x 5 products). */
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
/* GCC contracts a * b + c into FMAs in the vectorised loop body and its scalar tail
 * differently, so a tile's transform had depended on where in a run it fell (a run cut
 * at a column strip gave other bits than the whole row): contraction off, each tile
 * the same operations wherever it lies (Clang contracts within expressions only,
 * alike in both). */
#if defined(__clang__)
#define CC_WINO_AVX2 __attribute__((target("avx2,fma")))
#define CC_WINO_AVX512 __attribute__((target("avx512f")))
#else
#define CC_WINO_AVX2 __attribute__((target("avx2,fma"), optimize("fp-contract=off")))
#define CC_WINO_AVX512 __attribute__((target("avx512f"), optimize("fp-contract=off")))
#endif
#define CC_WINO_VARIANTS(DEF, NAME, T)                                                 \
    DEF(NAME##_base, T, )                                                               \
    DEF(NAME##_avx2, T, CC_WINO_AVX2)                                                   \
    DEF(NAME##_avx512, T, CC_WINO_AVX512)
#define CC_WINO_CALL(NAME, isa, ...)                                                   \
    ((isa) == CC_SIMD_AVX512 ? NAME##_avx512(__VA_ARGS__)                               \
     : (isa) == CC_SIMD_AVX2 ? NAME##_avx2(__VA_ARGS__) : NAME##_base(__VA_ARGS__))
#else
#define CC_WINO_VARIANTS(DEF, NAME, T) DEF(NAME##_base, T, )
#define CC_WINO_CALL(NAME, isa, ...) ((void)(isa), NAME##_base(__VA_ARGS__))
#endif

CC_WINO_VARIANTS(CC_WINO_IN_DEFINE, cc_wino_in_f32, float)
CC_WINO_VARIANTS(CC_WINO_IN_DEFINE, cc_wino_in_f64, double)
CC_WINO_VARIANTS(CC_WINO_IN_DIL_DEFINE, cc_wino_in_dil_f32, float)
CC_WINO_VARIANTS(CC_WINO_IN_DIL_DEFINE, cc_wino_in_dil_f64, double)
CC_WINO_VARIANTS(CC_WINO_OUT_DIL_DEFINE, cc_wino_out_dil_f32, float)
CC_WINO_VARIANTS(CC_WINO_OUT_DIL_DEFINE, cc_wino_out_dil_f64, double)
CC_WINO_VARIANTS(CC_WINO_OUT_DEFINE, cc_wino_out_f32, float)
CC_WINO_VARIANTS(CC_WINO_OUT_DEFINE, cc_wino_out_f64, double)
CC_WINO_VARIANTS(CC_WINO_DY_DEFINE, cc_wino_dy_f32, float)
CC_WINO_VARIANTS(CC_WINO_DY_DEFINE, cc_wino_dy_f64, double)
CC_WINO_VARIANTS(CC_WINO_WEIGHTS_DEFINE, cc_wino_weights_f32, float)
CC_WINO_VARIANTS(CC_WINO_WEIGHTS_DEFINE, cc_wino_weights_f64, double)
CC_WINO_VARIANTS(CC_WINO_WGRAD_DEFINE, cc_wino_wgrad_f32, float)
CC_WINO_VARIANTS(CC_WINO_WGRAD_DEFINE, cc_wino_wgrad_f64, double)

/* The callers' entry points: the build of path ``isa``. */
#define CC_WINO_ENTRIES(T, SFX)                                                        \
    static inline void cc_wino_in_##SFX(const T *d, ptrdiff_t n_tiles, ptrdiff_t r,     \
                                        T *v, ptrdiff_t pitch, int isa) {               \
        CC_WINO_CALL(cc_wino_in_##SFX, isa, d, n_tiles, r, v, pitch);                   \
    }                                                                                   \
    static inline void cc_wino_in_dil_##SFX(const T *d, ptrdiff_t n_u, ptrdiff_t r,     \
                                            ptrdiff_t dil, T *v, ptrdiff_t pitch,       \
                                            int isa) {                                  \
        CC_WINO_CALL(cc_wino_in_dil_##SFX, isa, d, n_u, r, dil, v, pitch);              \
    }                                                                                   \
    static inline void cc_wino_out_##SFX(const T *m, ptrdiff_t pitch, ptrdiff_t l_out,  \
                                         T bias, ptrdiff_t r, T *y, int isa) {          \
        CC_WINO_CALL(cc_wino_out_##SFX, isa, m, pitch, l_out, bias, r, y);              \
    }                                                                                   \
    static inline void cc_wino_out_dil_##SFX(const T *m, ptrdiff_t pitch,               \
                                             ptrdiff_t l_out, T bias, ptrdiff_t r,      \
                                             ptrdiff_t dil, T *y, int isa) {            \
        CC_WINO_CALL(cc_wino_out_dil_##SFX, isa, m, pitch, l_out, bias, r, dil, y);     \
    }                                                                                   \
    static inline void cc_wino_weights_##SFX(const T *w, ptrdiff_t c_out, ptrdiff_t c_in, \
                                             ptrdiff_t r, int flip, ptrdiff_t o0,       \
                                             ptrdiff_t o1, T *u, int isa) {             \
        CC_WINO_CALL(cc_wino_weights_##SFX, isa, w, c_out, c_in, r, flip, o0, o1, u);   \
    }                                                                                   \
    static inline void cc_wino_wgrad_##SFX(const T *du, ptrdiff_t c_out, ptrdiff_t c_in, \
                                           ptrdiff_t r, int flip, ptrdiff_t o0,         \
                                           ptrdiff_t o1, T *dw, int isa) {              \
        CC_WINO_CALL(cc_wino_wgrad_##SFX, isa, du, c_out, c_in, r, flip, o0, o1, dw);   \
    }                                                                                   \
    static inline void cc_wino_dy_##SFX(const T *dy, ptrdiff_t l_out, ptrdiff_t n_tiles, \
                                        ptrdiff_t r, T *v, ptrdiff_t pitch, int isa) {  \
        CC_WINO_CALL(cc_wino_dy_##SFX, isa, dy, l_out, n_tiles, r, v, pitch);           \
    }
CC_WINO_ENTRIES(float, f32)
CC_WINO_ENTRIES(double, f64)
#undef CC_WINO_ENTRIES
#undef CC_WINO_CALL
#undef CC_WINO_VARIANTS
#undef CC_WINO_AVX2
#undef CC_WINO_AVX512

#undef CC_WINO_IVDEP
#undef CC_WINO_IN_DEFINE
#undef CC_WINO_IN_TILE
#undef CC_WINO_OUT_DEFINE
#undef CC_WINO_IN_DIL_DEFINE
#undef CC_WINO_OUT_DIL_DEFINE
#undef CC_WINO_OUT_DIL_LOOP
#undef CC_WINO_OUT_DIL_TILES
#undef CC_WINO_A_T
#undef CC_WINO_A_T8
#undef CC_WINO_OUT8_LOOP
#undef CC_WINO_IN_TILE8
#undef CC_WINO_WEIGHTS_DEFINE
#undef CC_WINO_WEIGHTS_LOOP
#undef CC_WINO_WEIGHTS_BLOCK
#undef CC_WINO_DY_DEFINE
#undef CC_WINO_DY_TILES
#undef CC_WINO_DY_TILE
#undef CC_WINO_WGRAD_DEFINE
#undef CC_WINO_WGRAD_LOOP
#undef CC_WINO_WGRAD_BLOCK
#undef CC_WINO_BY_SIXTEEN

#endif
