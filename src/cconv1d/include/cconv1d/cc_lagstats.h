/* Pearson's coefficients of a block of lags from its raw correlation and window sums
 * (cconv1d._lagstats, the blocked template-matching route).
 *
 * One plain loop that compilers vectorise, square root and division included: written
 * once by a macro per output type, and built twice, for the baseline and (on x86-64
 * with GCC or Clang) with AVX2+FMA through a target attribute, chosen at run time by
 * the caller. The baseline build runs two lanes of SSE2; the AVX2 one four, which is
 * what the division and the square root need: they, not the sums, bound this loop.
 *
 *   var_a  = s2 - s1^2 / m               (clamped at 0; s2 is left unchanged)
 *   r      = ((raw - shift) - s1 sum_v / m) / sqrt(var_a var_v), clamped to [-1, 1]
 *
 * Returns whether any window is nearly constant (var_a <= 1e-8 s2: far above rounding,
 * so a constant window is always among them), for the caller's exact check.
 */
#ifndef CC_LAGSTATS_H
#define CC_LAGSTATS_H

#include <math.h>
#include <stddef.h>

#define CC_PEARSON_BLOCK_DEFINE(NAME, T, ATTR)                                          \
ATTR static int NAME(const T *restrict raw, const double *restrict s1,                  \
                     const double *restrict s2, ptrdiff_t count, double shift,          \
                     double sum_v, double inv, double var_v, T *restrict out) {         \
    int near = 0;                                                                       \
    for (ptrdiff_t j = 0; j < count; ++j) {                                             \
        const double a1 = s1[j];                                                        \
        double var_a = s2[j] - a1 * a1 * inv;                                           \
        near |= var_a <= 1e-8 * s2[j];                                                  \
        var_a = var_a > 0.0 ? var_a : 0.0;                                              \
        double r = (((double)raw[j] - shift) - a1 * sum_v * inv) / sqrt(var_a * var_v); \
        r = r > 1.0 ? 1.0 : r;           /* comparisons with NaN are false: NaN stays */ \
        r = r < -1.0 ? -1.0 : r;                                                        \
        out[j] = (T)r;                                                                  \
    }                                                                                   \
    return near;                                                                        \
}

CC_PEARSON_BLOCK_DEFINE(cc_pearson_block_f64_base, double, )
CC_PEARSON_BLOCK_DEFINE(cc_pearson_block_f32_base, float, )
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
CC_PEARSON_BLOCK_DEFINE(cc_pearson_block_f64_avx2, double, __attribute__((target("avx2,fma"))))
CC_PEARSON_BLOCK_DEFINE(cc_pearson_block_f32_avx2, float, __attribute__((target("avx2,fma"))))
#define CC_LAGSTATS_HAVE_AVX2 1
#else
#define cc_pearson_block_f64_avx2 cc_pearson_block_f64_base
#define cc_pearson_block_f32_avx2 cc_pearson_block_f32_base
#define CC_LAGSTATS_HAVE_AVX2 0
#endif

static inline int cc_pearson_block_f64(const double *raw, const double *s1, const double *s2,
                                       ptrdiff_t count, double shift, double sum_v,
                                       double inv, double var_v, double *out, int avx2) {
    return avx2 ? cc_pearson_block_f64_avx2(raw, s1, s2, count, shift, sum_v, inv, var_v, out)
                : cc_pearson_block_f64_base(raw, s1, s2, count, shift, sum_v, inv, var_v, out);
}
static inline int cc_pearson_block_f32(const float *raw, const double *s1, const double *s2,
                                       ptrdiff_t count, double shift, double sum_v,
                                       double inv, double var_v, float *out, int avx2) {
    return avx2 ? cc_pearson_block_f32_avx2(raw, s1, s2, count, shift, sum_v, inv, var_v, out)
                : cc_pearson_block_f32_base(raw, s1, s2, count, shift, sum_v, inv, var_v, out);
}

#endif /* CC_LAGSTATS_H */
