/* Winograd's minimal filtering F(4, 3) for the forward pass (cconv1d._forward's
 * "winograd" route): four outputs of a 3-tap correlation from six products instead of
 * twelve (Lavin and Gray 2016, interpolation points 0, 1, -1, 2, -2 and infinity).
 *
 * A layer of C_in -> C_out channels becomes six pointwise layers, one per point p:
 *
 *   V[p, c, t] = (B^T d_t)[p]     d_t = the padded row of channel c at 4t .. 4t + 5
 *   U[p, o, c] = (G w[o, c])[p]   (the caller's, in double)
 *   M[p, o, t] = sum_c U[p, o, c] V[p, c, t]        (the pointwise forward, groups = 6)
 *   y[o, 4t + j] = (A^T M[:, o, t])[j] + bias[o]
 *
 * so the channel sums, which are all of a dense layer's arithmetic, run on the pointwise
 * route's tile at half the multiplications of the direct one. The transforms are O(C L)
 * against the sums' O(C_in C_out L): the route pays only with many channels (the
 * caller's rule). Written once per type by a macro; plain loops that compilers vectorise
 * over tiles.
 *
 *        | 4  0 -5  0  1  0 |        |  1/4     0     0  |        | 1  1  1  1  1  0 |
 *        | 0 -4 -4  1  1  0 |        | -1/6  -1/6  -1/6  |  A^T = | 0  1 -1  2 -2  0 |
 *  B^T = | 0  4 -4 -1  1  0 |    G = | -1/6   1/6  -1/6  |        | 0  1  1  4  4  0 |
 *        | 0 -2 -1  2  1  0 |        |  1/24  1/12  1/6  |        | 0  1 -1  8 -8  1 |
 *        | 0  2 -1 -2  1  0 |        |  1/24 -1/12  1/6  |
 *        | 0  4  0 -5  0  1 |        |  0     0     1    |
 */
#ifndef CC_WINOGRAD_H
#define CC_WINOGRAD_H

#include <stddef.h>

/* V[p * pitch + t] for the tiles t < n_tiles of one padded row d (4 n_tiles + 2
 * samples). */
#define CC_WINO_IN_DEFINE(NAME, T)                                                     \
static void NAME(const T *restrict d, ptrdiff_t n_tiles, T *restrict v, ptrdiff_t pitch) { \
    for (ptrdiff_t t = 0; t < n_tiles; ++t) {                                           \
        const T *s = d + 4 * t;                                                         \
        const T d0 = s[0], d1 = s[1], d2 = s[2], d3 = s[3], d4 = s[4], d5 = s[5];       \
        v[t] = 4 * d0 - 5 * d2 + d4;                                                    \
        v[pitch + t] = d3 + d4 - 4 * (d1 + d2);                                         \
        v[2 * pitch + t] = d4 - d3 + 4 * (d1 - d2);                                     \
        v[3 * pitch + t] = d4 - d2 + 2 * (d3 - d1);                                     \
        v[4 * pitch + t] = d4 - d2 + 2 * (d1 - d3);                                     \
        v[5 * pitch + t] = 4 * d1 - 5 * d3 + d5;                                        \
    }                                                                                   \
}

/* y[0:l_out] of one output row from its products m[p * pitch + t] (+ bias). */
#define CC_WINO_OUT_DEFINE(NAME, T)                                                    \
static void NAME(const T *restrict m, ptrdiff_t pitch, ptrdiff_t l_out, T bias,         \
                 T *restrict y) {                                                       \
    const ptrdiff_t whole = l_out / 4;                                                  \
    ptrdiff_t t;                                                                        \
    for (t = 0; t < whole; ++t) {                                                       \
        const T m0 = m[t], m1 = m[pitch + t], m2 = m[2 * pitch + t];                    \
        const T m3 = m[3 * pitch + t], m4 = m[4 * pitch + t], m5 = m[5 * pitch + t];    \
        const T a = m1 + m2, b = m1 - m2, c = m3 + m4, e = m3 - m4;                     \
        y[4 * t] = m0 + a + c + bias;                                                   \
        y[4 * t + 1] = b + 2 * e + bias;                                                \
        y[4 * t + 2] = a + 4 * c + bias;                                                \
        y[4 * t + 3] = b + 8 * e + m5 + bias;                                           \
    }                                                                                   \
    if (4 * whole < l_out) {                                                            \
        const T m0 = m[t], m1 = m[pitch + t], m2 = m[2 * pitch + t];                    \
        const T m3 = m[3 * pitch + t], m4 = m[4 * pitch + t], m5 = m[5 * pitch + t];    \
        const T a = m1 + m2, b = m1 - m2, c = m3 + m4, e = m3 - m4;                     \
        const T r[4] = {m0 + a + c, b + 2 * e, a + 4 * c, b + 8 * e + m5};              \
        for (ptrdiff_t j = 0; 4 * whole + j < l_out; ++j)                               \
            y[4 * whole + j] = r[j] + bias;                                             \
    }                                                                                   \
}

/* U[p * ldu + o * c_in + c] = (G w[o, c])[p] for the C_out x C_in x 3 weights (taps
 * reversed when flip), in double, rounded once. */
#define CC_WINO_WEIGHTS_DEFINE(NAME, T)                                                \
static void NAME(const T *restrict w, ptrdiff_t c_out, ptrdiff_t c_in, int flip,       \
                 T *restrict u) {                                                       \
    const ptrdiff_t ldu = c_out * c_in;                                                 \
    for (ptrdiff_t i = 0; i < ldu; ++i) {                                               \
        const double g0 = (double)w[3 * i + (flip ? 2 : 0)], g1 = (double)w[3 * i + 1];  \
        const double g2 = (double)w[3 * i + (flip ? 0 : 2)];                            \
        u[i] = (T)(g0 / 4);                                                             \
        u[ldu + i] = (T)(-(g0 + g1 + g2) / 6);                                          \
        u[2 * ldu + i] = (T)(-(g0 - g1 + g2) / 6);                                      \
        u[3 * ldu + i] = (T)(g0 / 24 + g1 / 12 + g2 / 6);                               \
        u[4 * ldu + i] = (T)(g0 / 24 - g1 / 12 + g2 / 6);                               \
        u[5 * ldu + i] = (T)g2;                                                         \
    }                                                                                   \
}

/* The weight gradient's products dU[p] = sum over tiles of (A dy_t)[p] V[p, t] need dy
 * by tiles through A (the transpose of A^T above): Y[p * pitch + t] for the tiles of one
 * row dy[0:l_out] (the last tile's missing outputs 0). */
#define CC_WINO_DY_DEFINE(NAME, T)                                                     \
static void NAME(const T *restrict dy, ptrdiff_t l_out, ptrdiff_t n_tiles,              \
                 T *restrict v, ptrdiff_t pitch) {                                      \
    for (ptrdiff_t t = 0; t < n_tiles; ++t) {                                           \
        T g[4] = {0, 0, 0, 0};                                                          \
        for (ptrdiff_t j = 0; j < 4 && 4 * t + j < l_out; ++j)                          \
            g[j] = dy[4 * t + j];                                                       \
        const T a = g[0] + g[2], b = g[1] + g[3], c = g[0] + 4 * g[2];                 \
        const T e = 2 * g[1] + 8 * g[3];                                                \
        v[t] = g[0];                                                                    \
        v[pitch + t] = a + b;                                                           \
        v[2 * pitch + t] = a - b;                                                       \
        v[3 * pitch + t] = c + e;                                                       \
        v[4 * pitch + t] = c - e;                                                       \
        v[5 * pitch + t] = g[3];                                                        \
    }                                                                                   \
}

/* dw[o, c, k] = sum_p G[p, k] dU[p * ldu + o * c_in + c] (G^T: the adjoint of the
 * weights' transform; taps reversed when flip), in double, rounded once. */
#define CC_WINO_WGRAD_DEFINE(NAME, T)                                                  \
static void NAME(const T *restrict du, ptrdiff_t c_out, ptrdiff_t c_in, int flip,      \
                 T *restrict dw) {                                                      \
    const ptrdiff_t ldu = c_out * c_in;                                                 \
    for (ptrdiff_t i = 0; i < ldu; ++i) {                                               \
        const double u0 = du[i], u1 = du[ldu + i], u2 = du[2 * ldu + i];                \
        const double u3 = du[3 * ldu + i], u4 = du[4 * ldu + i], u5 = du[5 * ldu + i];  \
        const double g0 = u0 / 4 - (u1 + u2) / 6 + (u3 + u4) / 24;                      \
        const double g1 = (u2 - u1) / 6 + (u3 - u4) / 12;                               \
        const double g2 = (u3 + u4 - u1 - u2) / 6 + u5;                                 \
        dw[3 * i + (flip ? 2 : 0)] = (T)g0;                                             \
        dw[3 * i + 1] = (T)g1;                                                          \
        dw[3 * i + (flip ? 0 : 2)] = (T)g2;                                             \
    }                                                                                   \
}

CC_WINO_IN_DEFINE(cc_wino_in_f32, float)
CC_WINO_IN_DEFINE(cc_wino_in_f64, double)
CC_WINO_OUT_DEFINE(cc_wino_out_f32, float)
CC_WINO_OUT_DEFINE(cc_wino_out_f64, double)
CC_WINO_WEIGHTS_DEFINE(cc_wino_weights_f32, float)
CC_WINO_WEIGHTS_DEFINE(cc_wino_weights_f64, double)
CC_WINO_DY_DEFINE(cc_wino_dy_f32, float)
CC_WINO_DY_DEFINE(cc_wino_dy_f64, double)
CC_WINO_WGRAD_DEFINE(cc_wino_wgrad_f32, float)
CC_WINO_WGRAD_DEFINE(cc_wino_wgrad_f64, double)

#undef CC_WINO_IN_DEFINE
#undef CC_WINO_OUT_DEFINE
#undef CC_WINO_WEIGHTS_DEFINE
#undef CC_WINO_DY_DEFINE
#undef CC_WINO_WGRAD_DEFINE

#endif
