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

/* The sliding route in one pass on AVX-512F: window sums and coefficients of a block of
 * unit-step lags, eight lags a vector, nothing stored but r.
 *
 * Window j is a[j:j + m]. Every CC_SLIDE_SEGMENT lags the sums restart exactly from the
 * segment's first window, centred by that window's mean o (a local offset: a drifting
 * lane keeps its digits), so the rounding of the slides cannot accumulate over a long
 * lane. With d = a - o, S1[j] = sum d and S2[j] = sum d^2 over window j; lag j's sums
 * are lag j - 1's plus e[j] = d[j + m - 1] - d[j - 1] (and its squares' difference):
 * eight increments at once, summed by an in-register prefix scan (three shifted adds)
 * onto the last lag's sums broadcast. Then, as cc_pearson_block with shift = o sum_v:
 *
 *   var_a = S2 - S1^2 / m                 (near: var_a <= 1e-8 S2; clamped at 0)
 *   r     = ((raw - o sum_v) - S1 sum_v / m) * rsqrt(var_a var_v), clamped to [-1, 1]
 *
 * where rsqrt is vrsqrt14pd (relative error < 2^-14) and two Newton steps (< 2^-50
 * before rounding): no division and no square root, which bound the two-pass loop.
 * Lanes whose var_a var_v is 0, infinite or NaN take the exact quotient, so 0 / 0 is
 * NaN and c / 0 is +-1 as in cc_pearson_block. raw and out may be one array (each
 * lag's raw sum is read before its r is written).
 *
 * Returns bit 0: a window is nearly constant (the caller's exact check); bit 1: a
 * sample of a[0:count + m - 1] is NaN or infinite (out is then meaningless: the caller
 * takes the route that counts them). */
#define CC_SLIDE_SEGMENT 1024

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define CC_LAGSTATS_HAVE_AVX512 1
#define CC_LAG512 __attribute__((target("avx512f,avx2,fma")))

/* Inclusive prefix sum of the eight lanes: lane i += lane i - 1, i - 2, i - 4 in turn. */
CC_LAG512 static inline __m512d cc_scan8(__m512d x) {
    const __m512i z = _mm512_setzero_si512();
    x = _mm512_add_pd(x, _mm512_castsi512_pd(_mm512_alignr_epi64(_mm512_castpd_si512(x), z, 7)));
    x = _mm512_add_pd(x, _mm512_castsi512_pd(_mm512_alignr_epi64(_mm512_castpd_si512(x), z, 6)));
    x = _mm512_add_pd(x, _mm512_castsi512_pd(_mm512_alignr_epi64(_mm512_castpd_si512(x), z, 4)));
    return x;
}

/* Eight T as doubles (masked lanes 0, their memory never read), and back. */
#define CC_LOAD8_f64(p, k) _mm512_maskz_loadu_pd((k), (p))
#define CC_LOAD8_f32(p, k) \
    _mm512_cvtps_pd(_mm512_castps512_ps256(_mm512_maskz_loadu_ps((__mmask16)(k), (p))))
#define CC_STORE8_f64(p, k, v) _mm512_mask_storeu_pd((p), (k), (v))
#define CC_STORE8_f32(p, k, v) \
    _mm512_mask_storeu_ps((p), (__mmask16)(k), _mm512_castps256_ps512(_mm512_cvtpd_ps(v)))

#define CC_PEARSON_SLIDE_DEFINE(SUF, T)                                                 \
CC_LAG512 static int cc_pearson_slide_##SUF##_avx512(                                   \
        const T *restrict a, ptrdiff_t count, ptrdiff_t m, const T *raw, double sum_v,  \
        double inv, double var_v, T *out) {                                             \
    const __m512d c_sv = _mm512_set1_pd(sum_v * inv);                                   \
    const __m512d vinv = _mm512_set1_pd(inv), vvar = _mm512_set1_pd(var_v);             \
    const __m512d zero = _mm512_setzero_pd();                                           \
    const __m512d half = _mm512_set1_pd(0.5), three_halves = _mm512_set1_pd(1.5);       \
    const __m512d one = _mm512_set1_pd(1.0), neg_one = _mm512_set1_pd(-1.0);            \
    const __m512d tiny = _mm512_set1_pd(1e-8);                                          \
    const __m512i last = _mm512_set1_epi64(7);                                          \
    __mmask8 near = 0;                                                                  \
    __m512d nonfinite = zero;      /* x - x: NaN once a NaN or an infinity went by */   \
    for (ptrdiff_t j0 = 0; j0 < count; j0 += CC_SLIDE_SEGMENT) {                        \
        const ptrdiff_t len = count - j0 < CC_SLIDE_SEGMENT ? count - j0 : CC_SLIDE_SEGMENT;\
        /* the segment's offset, then the exact sums of window j0 */                    \
        __m512d acc1 = zero, acc2 = zero;                                               \
        ptrdiff_t i;                                                                    \
        for (i = 0; i < m; i += 8) {                                                    \
            const __mmask8 k = m - i >= 8 ? 0xFF : (__mmask8)((1u << (m - i)) - 1u);     \
            acc1 = _mm512_add_pd(acc1, CC_LOAD8_##SUF(a + j0 + i, k));                  \
        }                                                                               \
        const double o = _mm512_reduce_add_pd(acc1) * inv;                              \
        const __m512d mean = _mm512_set1_pd(o);                                         \
        const __m512d vshift = _mm512_set1_pd(o * sum_v);                               \
        acc1 = zero;                                                                    \
        for (i = 0; i < m; i += 8) {                                                    \
            const __mmask8 k = m - i >= 8 ? 0xFF : (__mmask8)((1u << (m - i)) - 1u);     \
            __m512d d = _mm512_maskz_sub_pd(k, CC_LOAD8_##SUF(a + j0 + i, k), mean);     \
            acc1 = _mm512_add_pd(acc1, d);                                              \
            acc2 = _mm512_fmadd_pd(d, d, acc2);                                         \
        }                                                                               \
        nonfinite = _mm512_add_pd(nonfinite, _mm512_sub_pd(acc2, acc2));                \
        __m512d c1 = _mm512_set1_pd(_mm512_reduce_add_pd(acc1));                        \
        __m512d c2 = _mm512_set1_pd(_mm512_reduce_add_pd(acc2));                        \
        for (ptrdiff_t t = 0; t < len; t += 8) {                                        \
            const __mmask8 lanes = len - t >= 8 ? 0xFF : (__mmask8)((1u << (len - t)) - 1u);\
            __m512d din, dout;                                                          \
            if (t == 0) {                                                               \
                /* lag j0 keeps its exact sums: lane 0 adds nothing, and lane u's      \
                 * leaving sample a[j0 + u - 1] is loaded from a[j0] and shifted up */  \
                const __mmask8 k = lanes & 0xFE;                                        \
                __m512d o = CC_LOAD8_##SUF(a + j0, (__mmask8)(k >> 1));                  \
                o = _mm512_castsi512_pd(_mm512_alignr_epi64(_mm512_castpd_si512(o),     \
                                                            _mm512_setzero_si512(), 7));\
                din = _mm512_maskz_sub_pd(k, CC_LOAD8_##SUF(a + j0 + m - 1, k), mean);   \
                dout = _mm512_maskz_sub_pd(k, o, mean);                                 \
            } else {                                                                    \
                din = _mm512_maskz_sub_pd(lanes,                                        \
                                          CC_LOAD8_##SUF(a + j0 + t + m - 1, lanes), mean);\
                dout = _mm512_maskz_sub_pd(lanes, CC_LOAD8_##SUF(a + j0 + t - 1, lanes),  \
                                           mean);                                       \
            }                                                                           \
            __m512d s1 = _mm512_add_pd(c1, cc_scan8(_mm512_sub_pd(din, dout)));         \
            __m512d s2 = _mm512_add_pd(c2, cc_scan8(_mm512_fmsub_pd(din, din,           \
                                                         _mm512_mul_pd(dout, dout))));  \
            c1 = _mm512_permutexvar_pd(last, s1);                                       \
            c2 = _mm512_permutexvar_pd(last, s2);                                       \
            __m512d rw = CC_LOAD8_##SUF(raw + j0 + t, lanes);                           \
            __m512d var_a = _mm512_fnmadd_pd(_mm512_mul_pd(s1, s1), vinv, s2);          \
            near |= _mm512_mask_cmp_pd_mask(lanes, var_a, _mm512_mul_pd(tiny, s2),      \
                                            _CMP_LE_OQ);                                \
            var_a = _mm512_max_pd(var_a, zero);                                         \
            __m512d num = _mm512_fnmadd_pd(s1, c_sv, _mm512_sub_pd(rw, vshift));        \
            __m512d den = _mm512_mul_pd(var_a, vvar);                                   \
            __m512d h = _mm512_mul_pd(half, den), y = _mm512_rsqrt14_pd(den);           \
            /* (h y) y, not h (y y): y y overflows where den is subnormal */            \
            y = _mm512_mul_pd(y, _mm512_fnmadd_pd(_mm512_mul_pd(h, y), y, three_halves));\
            y = _mm512_mul_pd(y, _mm512_fnmadd_pd(_mm512_mul_pd(h, y), y, three_halves));\
            __m512d r = _mm512_mul_pd(num, y);                                          \
            /* den 0, inf or NaN makes h y NaN (0 inf), so r too (num is finite on a    \
             * finite lane): those lanes take the exact quotient */                     \
            const __mmask8 odd = _mm512_mask_cmp_pd_mask(lanes, r, r, _CMP_UNORD_Q);     \
            if (odd)                                                                    \
                r = _mm512_mask_div_pd(r, odd, num, _mm512_sqrt_pd(den));               \
            /* min/max return their second operand when one is NaN: NaN stays */       \
            r = _mm512_max_pd(neg_one, _mm512_min_pd(one, r));                          \
            CC_STORE8_##SUF(out + j0 + t, lanes, r);                                    \
        }                                                                               \
        /* A NaN or an infinity that entered a window stays in the running sums (inf  \
         * leaving again gives inf - inf): the segment's last sums tell. */             \
        nonfinite = _mm512_add_pd(nonfinite, _mm512_sub_pd(c1, c1));                    \
        nonfinite = _mm512_add_pd(nonfinite, _mm512_sub_pd(c2, c2));                    \
    }                                                                                   \
    const int bad = _mm512_cmp_pd_mask(nonfinite, nonfinite, _CMP_UNORD_Q) != 0;        \
    return (near != 0) | (bad << 1);                                                    \
}
CC_PEARSON_SLIDE_DEFINE(f64, double)
CC_PEARSON_SLIDE_DEFINE(f32, float)
#else
#define CC_LAGSTATS_HAVE_AVX512 0
static int cc_pearson_slide_f64_avx512(const double *a, ptrdiff_t count, ptrdiff_t m,
                                       const double *raw, double sum_v, double inv,
                                       double var_v, double *out) {
    (void)a; (void)count; (void)m; (void)raw; (void)sum_v; (void)inv; (void)var_v;
    (void)out;
    return 2;   /* never called: the caller checks CC_LAGSTATS_HAVE_AVX512 */
}
static int cc_pearson_slide_f32_avx512(const float *a, ptrdiff_t count, ptrdiff_t m,
                                       const float *raw, double sum_v, double inv,
                                       double var_v, float *out) {
    (void)a; (void)count; (void)m; (void)raw; (void)sum_v; (void)inv; (void)var_v;
    (void)out;
    return 2;
}
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
