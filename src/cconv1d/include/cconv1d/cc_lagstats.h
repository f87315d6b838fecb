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
#include <stdint.h>
#include <string.h>

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

/* The sliding route in one pass (AVX-512F and AVX2+FMA builds of one body,
 * cc_lagstats_slide.inc.h): window sums and coefficients of a block of unit-step lags,
 * a vector of lags at a time, one pass over the lane: on AVX-512 a segment's numerators
 * and denominators go to the stack and r is made in a second loop over them.
 *
 * Window j is a[j:j + m]. Every CC_SLIDE_SEGMENT lags the sums restart exactly from the
 * segment's first window, centred by that window's mean o (a local offset: a drifting
 * lane keeps its digits), so the rounding of the slides cannot accumulate over a long
 * lane. With d = a - o, S1[j] = sum d and S2[j] = sum d^2 over window j; lag j's sums
 * are lag j - 1's plus e[j] = d[j + m - 1] - d[j - 1] (and its squares' difference):
 * a vector of increments at once, summed by an in-register prefix scan (shifted adds)
 * onto the last lag's sums broadcast. Then, as cc_pearson_block with shift = o sum_v:
 *
 *   var_a = S2 - S1^2 / m                 (clamped at 0)
 *   near  = the segment's least var_a <= 1e-8 (S2 of its first window + the sum of the
 *           squared d moved in and out): that sum bounds the slid sums' rounding, which
 *           a window's own S2 does not (a flat window at the level o has S2 ~ 0)
 *   r     = ((raw - o sum_v) - S1 sum_v / m) / sqrt(var_a var_v), clamped to [-1, 1]
 *
 * (on AVX-512 by a reciprocal square root estimate and Newton steps, see below).
 * 0 / 0 is NaN and c / 0 is +-1 as in cc_pearson_block. raw and out may be one array
 * (each lag's raw sum is read before its r is written).
 *
 * Returns bit 0: a window is nearly constant (the caller's exact check); bit 1: a
 * sample of a[0:count + m - 1] is NaN or infinite (out is then meaningless: the caller
 * takes the route that counts them). */
#define CC_SLIDE_SEGMENT 1024

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define CC_LAGSTATS_HAVE_AVX512 1
#define CC_S_OP__(w, op) _mm##w##_##op##_pd
#define CC_S_OP_(w, op) CC_S_OP__(w, op)

/* AVX-512F: eight lanes, k-masks; r by vrsqrt14pd and two Newton steps (relative error
 * < 2^-14, then < 2^-50 before rounding), no division and no square root. den 0, inf
 * or NaN makes h y NaN (0 inf), so r too (num is finite on a finite lane): those lanes
 * take the exact quotient. (h y) y, not h (y y): y y overflows where den is subnormal. */
#define CC_S_TARGET __attribute__((target("avx512f,avx2,fma")))
#define CC_S_L 8
#define CC_S_V __m512d
#define CC_S_K __mmask8
#define CC_S_OP(op) CC_S_OP_(512, op)
#define CC_S_MASK(n) ((n) >= 8 ? (__mmask8)0xFF : (__mmask8)((1u << (n)) - 1u))
#define CC_S_NOT0(k) ((__mmask8)((k) & 0xFE))
#define CC_S_ZERO_OUT(k, v) _mm512_maskz_mov_pd((k), (v))
#define CC_S_SHIFT1(v) _mm512_castsi512_pd(_mm512_alignr_epi64( \
    _mm512_castpd_si512(v), _mm512_setzero_si512(), 7))
#define CC_S_SCAN(v) cc_scan8(v)
#define CC_S_LAST(v) _mm512_permutexvar_pd(_mm512_set1_epi64(7), (v))
#define CC_S_HSUM(v) _mm512_reduce_add_pd(v)
#define CC_S_LE_OR(acc, k, a, b) ((acc) |= _mm512_mask_cmp_pd_mask((k), (a), (b), _CMP_LE_OQ))
#define CC_S_ANY(acc) ((acc) != 0)
#define CC_S_UNORD(v) (_mm512_cmp_pd_mask((v), (v), _CMP_UNORD_Q) != 0)
#define CC_S_RATIO(k, num, den) cc_ratio8((k), (num), (den))
#define CC_S_TWO_PASS 1

/* Inclusive prefix sum of the eight lanes: lane i += lane i - 1, i - 2, i - 4 in turn. */
CC_S_TARGET static inline __m512d cc_scan8(__m512d x) {
    const __m512i z = _mm512_setzero_si512();
    x = _mm512_add_pd(x, _mm512_castsi512_pd(_mm512_alignr_epi64(_mm512_castpd_si512(x), z, 7)));
    x = _mm512_add_pd(x, _mm512_castsi512_pd(_mm512_alignr_epi64(_mm512_castpd_si512(x), z, 6)));
    x = _mm512_add_pd(x, _mm512_castsi512_pd(_mm512_alignr_epi64(_mm512_castpd_si512(x), z, 4)));
    return x;
}

/* num / sqrt(den) for lanes whose den is positive and finite (the direct route's fast
 * finish takes it alone) */
CC_S_TARGET static inline __m512d cc_ratio8_fast(__m512d num, __m512d den) {
    const __m512d three_halves = _mm512_set1_pd(1.5);
    __m512d h = _mm512_mul_pd(_mm512_set1_pd(0.5), den), y = _mm512_rsqrt14_pd(den);
    y = _mm512_mul_pd(y, _mm512_fnmadd_pd(_mm512_mul_pd(h, y), y, three_halves));
    y = _mm512_mul_pd(y, _mm512_fnmadd_pd(_mm512_mul_pd(h, y), y, three_halves));
    return _mm512_mul_pd(num, y);
}

CC_S_TARGET static inline __m512d cc_ratio8(__mmask8 lanes, __m512d num, __m512d den) {
    __m512d r = cc_ratio8_fast(num, den);
    const __mmask8 odd = _mm512_mask_cmp_pd_mask(lanes, r, r, _CMP_UNORD_Q);
    if (odd) r = _mm512_mask_div_pd(r, odd, num, _mm512_sqrt_pd(den));
    return r;
}

#define CC_S_FN cc_pearson_slide_f64_avx512
#define CC_S_T double
#define CC_S_LOAD(p, k) _mm512_maskz_loadu_pd((k), (p))
#define CC_S_STORE(p, k, v) _mm512_mask_storeu_pd((p), (k), (v))
#define CC_S_LOADU(p) _mm512_loadu_pd(p)
#define CC_S_STOREU(p, v) _mm512_storeu_pd((p), (v))
#include "cc_lagstats_slide.inc.h"
#define CC_S_FN cc_pearson_slide_f32_avx512
#define CC_S_T float
#define CC_S_LOAD(p, k) \
    _mm512_cvtps_pd(_mm512_castps512_ps256(_mm512_maskz_loadu_ps((__mmask16)(k), (p))))
#define CC_S_STORE(p, k, v) \
    _mm512_mask_storeu_ps((p), (__mmask16)(k), _mm512_castps256_ps512(_mm512_cvtpd_ps(v)))
#define CC_S_LOADU(p) _mm512_cvtps_pd(_mm256_loadu_ps(p))
#define CC_S_STOREU(p, v) _mm256_storeu_ps((p), _mm512_cvtpd_ps(v))
#include "cc_lagstats_slide.inc.h"
#include "cc_lagstats_slide_undef.inc.h"

/* AVX2+FMA: four lanes, masks as all-ones lanes of a vector; r by the exact quotient
 * (AVX2 has no double-precision reciprocal square root estimate). */
#define CC_S_TARGET __attribute__((target("avx2,fma")))
#define CC_S_L 4
#define CC_S_V __m256d
#define CC_S_K __m256d
#define CC_S_OP(op) CC_S_OP_(256, op)
#define CC_S_MASK(n) _mm256_castsi256_pd(_mm256_cmpgt_epi64( \
    _mm256_set1_epi64x((long long)(n)), _mm256_setr_epi64x(0, 1, 2, 3)))
#define CC_S_NOT0(k) _mm256_blend_pd((k), _mm256_setzero_pd(), 0x1)
#define CC_S_ZERO_OUT(k, v) _mm256_and_pd((k), (v))
#define CC_S_SHIFT1(v) _mm256_blend_pd(_mm256_permute4x64_pd((v), 0x90), \
                                       _mm256_setzero_pd(), 0x1)
#define CC_S_SCAN(v) cc_scan4(v)
#define CC_S_LAST(v) _mm256_permute4x64_pd((v), 0xFF)
#define CC_S_HSUM(v) cc_hsum4(v)
#define CC_S_LE_OR(acc, k, a, b) \
    ((acc) = _mm256_or_pd((acc), _mm256_and_pd((k), _mm256_cmp_pd((a), (b), _CMP_LE_OQ))))
#define CC_S_ANY(acc) (_mm256_movemask_pd(acc) != 0)
#define CC_S_UNORD(v) (_mm256_movemask_pd(_mm256_cmp_pd((v), (v), _CMP_UNORD_Q)) != 0)
#define CC_S_RATIO(k, num, den) _mm256_div_pd((num), _mm256_sqrt_pd(den))
#define CC_S_TWO_PASS 0

CC_S_TARGET static inline __m256d cc_scan4(__m256d x) {
    x = _mm256_add_pd(x, CC_S_SHIFT1(x));
    return _mm256_add_pd(x, _mm256_permute2f128_pd(x, x, 0x08));   /* [0, 0, x0, x1] */
}

CC_S_TARGET static inline double cc_hsum4(__m256d v) {
    __m128d s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
}

/* 32-bit lane masks from a 64-bit one, for the float loads and stores */
#define CC_S_MASK32(k) _mm256_castsi256_si128(_mm256_permutevar8x32_epi32( \
    _mm256_castpd_si256(k), _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6)))
#define CC_S_FN cc_pearson_slide_f64_avx2
#define CC_S_T double
#define CC_S_LOAD(p, k) _mm256_maskload_pd((p), _mm256_castpd_si256(k))
#define CC_S_STORE(p, k, v) _mm256_maskstore_pd((p), _mm256_castpd_si256(k), (v))
#define CC_S_LOADU(p) _mm256_loadu_pd(p)
#define CC_S_STOREU(p, v) _mm256_storeu_pd((p), (v))
#include "cc_lagstats_slide.inc.h"
#define CC_S_FN cc_pearson_slide_f32_avx2
#define CC_S_T float
#define CC_S_LOAD(p, k) _mm256_cvtps_pd(_mm_maskload_ps((p), CC_S_MASK32(k)))
#define CC_S_STORE(p, k, v) _mm_maskstore_ps((p), CC_S_MASK32(k), _mm256_cvtpd_ps(v))
#define CC_S_LOADU(p) _mm256_cvtps_pd(_mm_loadu_ps(p))
#define CC_S_STOREU(p, v) _mm_storeu_ps((p), _mm256_cvtpd_ps(v))
#include "cc_lagstats_slide.inc.h"
#include "cc_lagstats_slide_undef.inc.h"
#undef CC_S_MASK32

/* float32 windows as a tree (cc_lagstats_tree.inc.h), AVX-512F and AVX2+FMA builds.
 *
 * The slide above widens float32 to double and makes each vector of lags' sums by two
 * in-register scans: with the conversions that is a dozen shuffles per eight lags on
 * the one port that runs them, over half of float32 template matching's time at short
 * templates. The tree stays in float32 lanes and shuffles nothing: windows of 2 from
 * the samples, of 4 from those of 2, ... each level one pass over the block in place,
 * and window j's sums joined from the levels of m's set bits. Each node keeps a
 * window's sum s and its centred sum of squares q (the sum of squared deviations from
 * the window's own mean), joined by Chan et al.'s pairwise update
 *
 *   s = s_a + s_b,  q = q_a + q_b + (s_a / n_a - s_b / n_b)^2 n_a n_b / (n_a + n_b)
 *
 * which has no cancellation: var_a is q itself, not s2 - s^2 / m, so float32 keeps the
 * digits of a window whose level sits far from the block's mean (the caller centres
 * the block by its mean first). Cost: log2(m) + popcount(m) passes, so the caller
 * takes it only where cc_tree_pays says it beats the slide. Then
 *
 *   r = (raw - s sum_v / m) / sqrt(q) / sqrt(var_v), clamped to [-1, 1]
 *
 * (a reciprocal square root estimate and a Newton step; lanes whose q is 0, tiny or
 * not finite take the exact quotient: 0 / 0 is NaN and c / 0 is +-1 as in
 * cc_pearson_block). Flags as the slide's: bit 0 a window is nearly constant
 * (q <= 1e-10 s^2 / m; the caller's exact check), bit 1 a sample is NaN or infinite.
 * raw and out may be one array. work: CC_TREE_WORK(count, m) floats on a 64-byte line. */
/* Floats between the tree's four regions: the block and the template and a vector's
 * slack, rounded to 4 KiB, plus 2 KiB (see cc_lagstats_tree.inc.h). */
#define CC_TREE_PITCH(count, m) (((count) + (m) + 16 + 1023) / 1024 * 1024 + 512)
#define CC_TREE_WORK(count, m) (4 * CC_TREE_PITCH(count, m))

/* Whether the tree beats the slide for windows of m samples at SIMD level simd (1
 * AVX2+FMA, 2 AVX-512F). Measured in a C bench on Sapphire Rapids, blocks of 2048
 * lags, ns per lag: with L = floor(log2 m) levels and J = popcount(m) - 1 joins, the
 * tree costs about 0.25 + 0.073 L + 0.13 J on AVX-512 against the slide's 1.07-1.15
 * (m = 16: 0.54 against 1.07; m = 63: 1.23 against 1.08), and 0.3 + 0.127 L + 0.2 J
 * on AVX2 against 1.39-1.54. Up to m = 512 only: the levels span the block and the
 * template, and beyond that the raw sums (m FMAs a lag) dwarf either. */
static inline int cc_tree_pays(ptrdiff_t m, int simd) {
    int levels = 0, joins = -1;
    if (m < 2 || m > 512 || simd < 1) return 0;
    for (ptrdiff_t b = m; b > 1; b >>= 1) ++levels;
    for (ptrdiff_t b = m; b > 0; b >>= 1) joins += (int)(b & 1);
    return simd == 2 ? 4 * levels + 7 * joins < 45 : 4 * levels + 6 * joins < 34;
}

#define CC_W_TARGET __attribute__((target("avx512f,avx2,fma")))
#define CC_W_FN cc_pearson_tree_f32_avx512
#define CC_W_L 16
#define CC_W_V __m512
#define CC_W_K __mmask16
#define CC_W_OP(op) _mm512_##op##_ps
#define CC_W_MASK(n) ((n) >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n)) - 1u))
#define CC_W_LOADM(p, k) _mm512_maskz_loadu_ps((k), (p))
#define CC_W_STOREM(p, k, v) _mm512_mask_storeu_ps((p), (k), (v))
#define CC_W_NONE ((__mmask16)0)
#define CC_W_LE_OR(acc, k, a, b) ((acc) |= _mm512_mask_cmp_ps_mask((k), (a), (b), _CMP_LE_OQ))
#define CC_W_IN_OR(acc, k, x, lo, hi) ((acc) |= _mm512_mask_cmp_ps_mask( \
    _mm512_mask_cmp_ps_mask((k), (x), (lo), _CMP_GT_OQ), (x), (hi), _CMP_LE_OQ))
#define CC_W_ANY(acc) ((acc) != 0)
#define CC_W_UNORD(v) (_mm512_cmp_ps_mask((v), (v), _CMP_UNORD_Q) != 0)
#define CC_W_RATIO(k, num, den) cc_ratio16((k), (num), (den))
#define CC_W_SHIFT(hi, lo, h) _mm512_castsi512_ps(_mm512_alignr_epi32( \
    _mm512_castps_si512(hi), _mm512_castps_si512(lo), (h)))
CC_W_TARGET static inline __m512 cc_ratio16_fast(__m512 num, __m512 den) {
    /* vrsqrt14ps (relative error < 2^-14) and a Newton step (< 2^-26 before rounding) */
    __m512 y = _mm512_rsqrt14_ps(den);
    const __m512 h = _mm512_mul_ps(_mm512_set1_ps(0.5f), den);
    y = _mm512_mul_ps(y, _mm512_fnmadd_ps(_mm512_mul_ps(h, y), y, _mm512_set1_ps(1.5f)));
    return _mm512_mul_ps(num, y);
}
CC_W_TARGET static inline __m512 cc_ratio16(__mmask16 lanes, __m512 num, __m512 den) {
    __m512 r = cc_ratio16_fast(num, den);
    const __mmask16 odd = _mm512_mask_cmp_ps_mask(lanes, r, r, _CMP_UNORD_Q);
    if (odd) r = _mm512_mask_div_ps(r, odd, num, _mm512_sqrt_ps(den));
    return r;
}
#include "cc_lagstats_tree.inc.h"

#define CC_W_TARGET __attribute__((target("avx2,fma")))
#define CC_W_FN cc_pearson_tree_f32_avx2
#define CC_W_L 8
#define CC_W_V __m256
#define CC_W_K __m256i
#define CC_W_OP(op) _mm256_##op##_ps
#define CC_W_MASK(n) _mm256_cmpgt_epi32(_mm256_set1_epi32((int)((n) < 8 ? (n) : 8)), \
                                        _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7))
#define CC_W_LOADM(p, k) _mm256_maskload_ps((p), (k))
#define CC_W_STOREM(p, k, v) _mm256_maskstore_ps((p), (k), (v))
#define CC_W_NONE _mm256_setzero_si256()
#define CC_W_IN_OR(acc, k, x, lo, hi) ((acc) = _mm256_or_si256((acc), _mm256_and_si256( \
    _mm256_and_si256((k), _mm256_castps_si256(_mm256_cmp_ps((x), (lo), _CMP_GT_OQ))), \
    _mm256_castps_si256(_mm256_cmp_ps((x), (hi), _CMP_LE_OQ)))))
#define CC_W_LE_OR(acc, k, a, b) ((acc) = _mm256_or_si256((acc), _mm256_and_si256((k), \
    _mm256_castps_si256(_mm256_cmp_ps((a), (b), _CMP_LE_OQ)))))
#define CC_W_ANY(acc) (!_mm256_testz_si256((acc), (acc)))
#define CC_W_UNORD(v) (_mm256_movemask_ps(_mm256_cmp_ps((v), (v), _CMP_UNORD_Q)) != 0)
#define CC_W_RATIO(k, num, den) cc_ratio8f((num), (den))
CC_W_TARGET static inline __m256 cc_ratio8f_fast(__m256 num, __m256 den) {
    /* vrsqrtps (relative error < 1.5 2^-12) and two Newton steps */
    const __m256 h = _mm256_mul_ps(_mm256_set1_ps(0.5f), den);
    const __m256 three_halves = _mm256_set1_ps(1.5f);
    __m256 y = _mm256_rsqrt_ps(den);
    y = _mm256_mul_ps(y, _mm256_fnmadd_ps(_mm256_mul_ps(h, y), y, three_halves));
    y = _mm256_mul_ps(y, _mm256_fnmadd_ps(_mm256_mul_ps(h, y), y, three_halves));
    return _mm256_mul_ps(num, y);
}
CC_W_TARGET static inline __m256 cc_ratio8f(__m256 num, __m256 den) {
    __m256 r = cc_ratio8f_fast(num, den);
    const __m256 odd = _mm256_cmp_ps(r, r, _CMP_UNORD_Q);
    if (_mm256_movemask_ps(odd))
        r = _mm256_blendv_ps(r, _mm256_div_ps(num, _mm256_sqrt_ps(den)), odd);
    return r;
}
#include "cc_lagstats_tree.inc.h"

/* Short templates by direct sums (cc_lagstats_direct.inc.h), AVX-512F and AVX2+FMA
 * builds at both types: the raw sums and the window sums in one loop over the taps,
 * and r from them in registers, so a block is neither centred, nor written as raw
 * sums, nor read again by the slide or the tree.
 *
 * Per vector of lags and tap p, d = a[j + p] - o (o a sample of the group's first
 * window), raw += v'[p] d, s += d, q += d^2, then
 *
 *   var_a = q - s^2 / m,   r = (raw - s sum_v / m) / sqrt(var_a var_v), clamped to [-1, 1]
 *
 * (sum d v' - s sum_v / m is the covariance whatever o is: v' is centred, and o's
 * terms cancel). On AVX2 that is the loop: three FMA-port operations and a load a tap
 * and vector. On AVX-512 (CC_D_PHASED) the taps run by phases: with m = K L + rem (L
 * lanes), phase u takes the taps u, u + L, ..., so the vector d[j + u + c L .. + L - 1]
 * it loads serves every tap of the phase that reads it (one load and one subtraction
 * for up to K + 1 FMAs), and it is also added, with its square, into block c's sums:
 * the window of vector r is blocks r .. r + K - 1 (L such vectors each) and the first
 * rem of block r + K, so s and q cost K + 1 additions a vector of lags, not m. The
 * accumulators (NV vectors of lags, NV + K blocks) are registers for K <= 4 (m < 5 L);
 * past that they spilled (m = 48-71 float64: 1.6-5x slower). Measured on Sapphire
 * Rapids, correlate(normalize="pearson") of 1e5 samples (1e4-1e6 alike): float64 m = 16
 * 0.79x the per-tap loop's time, m = 20 0.75x; float32 m = 48 0.67x; and against the
 * slide and the tree it replaced there, float64 m = 24-39 0.77-0.95x, float32 m = 56-79
 * 0.58-0.84x. Where var_a <= tau q (the one-pass
 * sums cancelled: a window whose level is far from o, a constant or nearly constant
 * window) that vector's variance is summed again about each window's own mean, so the
 * digits lost are at most those of tau: 2^-4 in float32 (2^-6 sent fewer vectors to the
 * second sum, 1.2x faster at 4-5 taps, but lost up to 5e-6 of r on unit noise against
 * 1.2e-6), 2^-12 in float64. A vector whose every window has var_a > max(tau q, qmin)
 * and q < qmax (CC_D_QMAX: var_a var_v cannot overflow) takes r straight from its sums
 * (CC_D_R_FAST: no check of the square root's argument, no flags to gather: 4 of some
 * 25 operations, and 1.1x faster); the others take the full check. r by
 * CC_S_RATIO's reciprocal square root on AVX-512 and the quotient on AVX2; float32
 * divides by sqrt(var_a) and sqrt(var_v) apart (their product can overflow float).
 * Flags as the slide's: bit 0 a window is nearly constant (var_a <= 1e-10 q in
 * float32, 1e-8 q in float64, after the second sum: the caller's exact check), bit 1 a
 * sample is NaN or infinite, a sum overflowed, or a window's q lies in (0, qmin]: its
 * squares too near the subnormal range to tell a constant window (qmin = the smallest
 * normal number over epsilon; 1e-31 in float32, deviations from o below ~1e-16). The
 * caller then redoes the block by the route that counts, in double. */
#define CC_D_TARGET __attribute__((target("avx512f,avx2,fma")))
#define CC_D_NV 4
#define CC_D_PHASED 1
#define CC_D_NONE 0
#define CC_D_KOR(a, b) ((a) | (b))
#define CC_D_ANY(k) ((k) != 0)
#define CC_D_FN cc_pearson_direct_f64_avx512
#define CC_D_T double
#define CC_D_L 8
#define CC_D_V __m512d
#define CC_D_K __mmask8
#define CC_D_OP(op) _mm512_##op##_pd
#define CC_D_MASK(n) ((n) >= 8 ? (__mmask8)0xFF : (__mmask8)((1u << (n)) - 1u))
#define CC_D_LOADM(p, k) _mm512_maskz_loadu_pd((k), (p))
#define CC_D_STOREM(p, k, v) _mm512_mask_storeu_pd((p), (k), (v))
#define CC_D_LE(k, a, b) _mm512_mask_cmp_pd_mask((k), (a), (b), _CMP_LE_OQ)
#define CC_D_GT(k, a, b) _mm512_mask_cmp_pd_mask((k), (a), (b), _CMP_GT_OQ)
#define CC_D_QMIN 0x1p-970
#define CC_D_UNORD(v) (_mm512_cmp_pd_mask((v), (v), _CMP_UNORD_Q) != 0)
#define CC_D_SCALE(vv) (vv)
#define CC_D_R(k, num, var, c) cc_ratio8((k), (num), _mm512_mul_pd((var), (c)))
#define CC_D_TAU 0x1p-12
#define CC_D_TINY 1e-8
#define CC_D_NOTLT(k, a, b) _mm512_mask_cmp_pd_mask((k), (a), (b), _CMP_NLT_UQ)
#define CC_D_NGT(k, a, b) _mm512_mask_cmp_pd_mask((k), (a), (b), _CMP_NGT_UQ)
#define CC_D_QMAX(vv) (1e300 / (vv) < 1e300 ? 1e300 / (vv) : 1e300)
#define CC_D_VMIN(vv) (0x1p-1000 / (vv))
#define CC_D_R_FAST(num, var, c) cc_ratio8_fast((num), _mm512_mul_pd((var), (c)))
#include "cc_lagstats_direct.inc.h"
#define CC_D_TARGET __attribute__((target("avx512f,avx2,fma")))
#define CC_D_NV 4
#define CC_D_PHASED 1
#define CC_D_NONE 0
#define CC_D_KOR(a, b) ((a) | (b))
#define CC_D_ANY(k) ((k) != 0)
#define CC_D_FN cc_pearson_direct_f32_avx512
#define CC_D_T float
#define CC_D_L 16
#define CC_D_V __m512
#define CC_D_K __mmask16
#define CC_D_OP(op) _mm512_##op##_ps
#define CC_D_MASK(n) ((n) >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n)) - 1u))
#define CC_D_LOADM(p, k) _mm512_maskz_loadu_ps((k), (p))
#define CC_D_STOREM(p, k, v) _mm512_mask_storeu_ps((p), (k), (v))
#define CC_D_LE(k, a, b) _mm512_mask_cmp_ps_mask((k), (a), (b), _CMP_LE_OQ)
#define CC_D_GT(k, a, b) _mm512_mask_cmp_ps_mask((k), (a), (b), _CMP_GT_OQ)
#define CC_D_QMIN 0x1p-103f
#define CC_D_UNORD(v) (_mm512_cmp_ps_mask((v), (v), _CMP_UNORD_Q) != 0)
#define CC_D_SCALE(vv) (1.0 / sqrt(vv))
#define CC_D_R(k, num, var, c) _mm512_mul_ps(cc_ratio16((k), (num), (var)), (c))
#define CC_D_TAU 0x1p-4f
#define CC_D_TINY 1e-10f
#define CC_D_NOTLT(k, a, b) _mm512_mask_cmp_ps_mask((k), (a), (b), _CMP_NLT_UQ)
#define CC_D_NGT(k, a, b) _mm512_mask_cmp_ps_mask((k), (a), (b), _CMP_NGT_UQ)
#define CC_D_QMAX(vv) 1e37f
#define CC_D_VMIN(vv) 0.0f
#define CC_D_R_FAST(num, var, c) _mm512_mul_ps(cc_ratio16_fast((num), (var)), (c))
#include "cc_lagstats_direct.inc.h"

/* AVX2: masks as all-ones lanes of an integer vector; its 16 registers hold three
 * vectors' accumulators */
#define CC_D_TARGET __attribute__((target("avx2,fma")))
#define CC_D_NV 3
#define CC_D_NONE _mm256_setzero_si256()
#define CC_D_KOR(a, b) _mm256_or_si256((a), (b))
#define CC_D_ANY(k) (!_mm256_testz_si256((k), (k)))
#define CC_D_FN cc_pearson_direct_f64_avx2
#define CC_D_T double
#define CC_D_L 4
#define CC_D_V __m256d
#define CC_D_K __m256i
#define CC_D_OP(op) _mm256_##op##_pd
#define CC_D_MASK(n) _mm256_cmpgt_epi64(_mm256_set1_epi64x((long long)((n) < 4 ? (n) : 4)), \
                                        _mm256_setr_epi64x(0, 1, 2, 3))
#define CC_D_LOADM(p, k) _mm256_maskload_pd((p), (k))
#define CC_D_STOREM(p, k, v) _mm256_maskstore_pd((p), (k), (v))
#define CC_D_LE(k, a, b) _mm256_and_si256((k), \
    _mm256_castpd_si256(_mm256_cmp_pd((a), (b), _CMP_LE_OQ)))
#define CC_D_GT(k, a, b) _mm256_and_si256((k), \
    _mm256_castpd_si256(_mm256_cmp_pd((a), (b), _CMP_GT_OQ)))
#define CC_D_QMIN 0x1p-970
#define CC_D_UNORD(v) (_mm256_movemask_pd(_mm256_cmp_pd((v), (v), _CMP_UNORD_Q)) != 0)
#define CC_D_SCALE(vv) (vv)
#define CC_D_R(k, num, var, c) _mm256_div_pd((num), _mm256_sqrt_pd(_mm256_mul_pd((var), (c))))
#define CC_D_TAU 0x1p-12
#define CC_D_TINY 1e-8
#define CC_D_NOTLT(k, a, b) _mm256_and_si256((k), \
    _mm256_castpd_si256(_mm256_cmp_pd((a), (b), _CMP_NLT_UQ)))
#define CC_D_NGT(k, a, b) _mm256_and_si256((k), \
    _mm256_castpd_si256(_mm256_cmp_pd((a), (b), _CMP_NGT_UQ)))
#define CC_D_QMAX(vv) (1e300 / (vv) < 1e300 ? 1e300 / (vv) : 1e300)
#define CC_D_VMIN(vv) (0x1p-1000 / (vv))
#define CC_D_R_FAST(num, var, c) _mm256_div_pd((num), _mm256_sqrt_pd(_mm256_mul_pd((var), (c))))
#include "cc_lagstats_direct.inc.h"
#define CC_D_TARGET __attribute__((target("avx2,fma")))
#define CC_D_NV 3
#define CC_D_NONE _mm256_setzero_si256()
#define CC_D_KOR(a, b) _mm256_or_si256((a), (b))
#define CC_D_ANY(k) (!_mm256_testz_si256((k), (k)))
#define CC_D_FN cc_pearson_direct_f32_avx2
#define CC_D_T float
#define CC_D_L 8
#define CC_D_V __m256
#define CC_D_K __m256i
#define CC_D_OP(op) _mm256_##op##_ps
#define CC_D_MASK(n) _mm256_cmpgt_epi32(_mm256_set1_epi32((int)((n) < 8 ? (n) : 8)), \
                                        _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7))
#define CC_D_LOADM(p, k) _mm256_maskload_ps((p), (k))
#define CC_D_STOREM(p, k, v) _mm256_maskstore_ps((p), (k), (v))
#define CC_D_LE(k, a, b) _mm256_and_si256((k), \
    _mm256_castps_si256(_mm256_cmp_ps((a), (b), _CMP_LE_OQ)))
#define CC_D_GT(k, a, b) _mm256_and_si256((k), \
    _mm256_castps_si256(_mm256_cmp_ps((a), (b), _CMP_GT_OQ)))
#define CC_D_QMIN 0x1p-103f
#define CC_D_UNORD(v) (_mm256_movemask_ps(_mm256_cmp_ps((v), (v), _CMP_UNORD_Q)) != 0)
#define CC_D_SCALE(vv) (1.0 / sqrt(vv))
#define CC_D_R(k, num, var, c) _mm256_mul_ps(cc_ratio8f((num), (var)), (c))
#define CC_D_TAU 0x1p-4f
#define CC_D_TINY 1e-10f
#define CC_D_NOTLT(k, a, b) _mm256_and_si256((k), \
    _mm256_castps_si256(_mm256_cmp_ps((a), (b), _CMP_NLT_UQ)))
#define CC_D_NGT(k, a, b) _mm256_and_si256((k), \
    _mm256_castps_si256(_mm256_cmp_ps((a), (b), _CMP_NGT_UQ)))
#define CC_D_QMAX(vv) 1e37f
#define CC_D_VMIN(vv) 0.0f
#define CC_D_R_FAST(num, var, c) _mm256_mul_ps(cc_ratio8f_fast((num), (var)), (c))
#include "cc_lagstats_direct.inc.h"

/* float64 template matching by the transposed route (cc_lagstats_transposed.inc.h),
 * AVX-512F and AVX2+FMA builds: the raw sums, the window sums and r of a block, with
 * no shuffle in the loop over its lags.
 *
 * The slide's window sums take two in-register prefix scans a vector of lags (six
 * shuffles and six additions on AVX-512, and the carried last lane): about a third of
 * its time. Here the block's first L S lags (L lanes, S a multiple of 8) are L
 * segments of S lags, segment i in lane i: the samples a segment reads are transposed
 * once (L x L tiles: three shuffles a vector of samples) and centred by the segment's
 * offset o_i (the mean of its first window), so that
 *
 *   raw_t = sum_p T[t + p] v'[p]                  (one FMA a tap, no shift: v' centred)
 *   S1_t  = S1_{t-1} + (din - dout),  S2_t = S2_{t-1} + (din - dout)(din + dout)
 *   r_t   = (raw_t - S1_t sum_v / m) / sqrt((S2_t - S1_t^2 / m) var_v), clamped
 *
 * are lane-wise (din = T[t + m - 1], dout = T[t - 1]): one addition each a vector of L
 * lags. r goes back to lag order through the same tiles. Each segment restarts from
 * its first window's sums; the rest of the block (fewer than 8 L lags) takes the direct
 * route. r by cc_ratio8 on AVX-512, by the quotient on AVX2.
 * Flags: bit 0 when a window's var_a <= max(2^-12 S2, 1e-8 (S2 of the segment's first
 * window + twice the squares of its samples)): its slid sums cancelled the digits the
 * direct route sums again (tau, as there), or it is nearly constant (as the slide's
 * "near"): the caller redoes the block by the direct route, then the exact check of
 * constant windows. Bit 1: a sample is NaN or infinite (or the direct part's bit 1).
 * work: CC_TRANSPOSED_WORK(count, m) doubles. Measured on Zen 4 (AVX-512, blocks of
 * 2048 lags in L1, ns a lag): m = 16 1.36 against the direct route's 1.53, m = 64 3.04
 * against 3.3-3.4 for the row kernel's raw sums and the slide. */
#define CC_TRANSPOSED_WORK(count, m) ((count) + 9 * ((m) + 8) + 8)

#define CC_T_TARGET __attribute__((target("avx512f,avx2,fma")))
#define CC_T_FN cc_pearson_transposed_f64_avx512
#define CC_T_L 8
#define CC_T_V __m512d
#define CC_T_OP(op) _mm512_##op##_pd
#define CC_T_LOADN(p, n) _mm512_maskz_loadu_pd((__mmask8)((1u << (n)) - 1u), (p))
#define CC_T_TRANSPOSE(r) cc_transpose8x8((r))
#define CC_T_HSUM(v) _mm512_reduce_add_pd(v)
#define CC_T_ANY_LE(a, b) (_mm512_cmp_pd_mask((a), (b), _CMP_LE_OQ) != 0)
#define CC_T_UNORD(v) (_mm512_cmp_pd_mask((v), (v), _CMP_UNORD_Q) != 0)
#define CC_T_RATIO(num, den) cc_ratio8s((num), (den))
#define CC_T_DIRECT cc_pearson_direct_f64_avx512
/* num / sqrt(den) by vrsqrt14pd's y and the series of (1 - e)^-1/2 to e^3 (e = 1 - den
 * y^2, |e| < 2^-13: the next term, 35/128 e^4, is below 2^-53): seven operations to
 * cc_ratio8's eight. Lanes whose den is 0, inf or NaN come out NaN (0 inf) and take the
 * exact quotient. */
CC_T_TARGET static inline __m512d cc_ratio8s(__m512d num, __m512d den) {
    const __m512d y = _mm512_rsqrt14_pd(den);
    const __m512d e = _mm512_fnmadd_pd(_mm512_mul_pd(den, y), y, _mm512_set1_pd(1.0));
    __m512d p = _mm512_fmadd_pd(e, _mm512_set1_pd(5.0 / 16), _mm512_set1_pd(3.0 / 8));
    p = _mm512_fmadd_pd(p, e, _mm512_set1_pd(0.5));
    const __m512d ny = _mm512_mul_pd(num, y);
    __m512d r = _mm512_fmadd_pd(_mm512_mul_pd(ny, e), p, ny);
    const __mmask8 odd = _mm512_cmp_pd_mask(r, r, _CMP_UNORD_Q);
    if (odd) r = _mm512_mask_div_pd(r, odd, num, _mm512_sqrt_pd(den));
    return r;
}
/* r[k] <- the k-th lanes of r[0..7]: pairs (unpack), then quads and halves (two
 * permutes by index vectors), 24 shuffles for 64 doubles */
CC_T_TARGET static inline void cc_transpose8x8(__m512d *r) {
    const __m512i lo = _mm512_setr_epi64(0, 1, 8, 9, 4, 5, 12, 13);
    const __m512i hi = _mm512_setr_epi64(2, 3, 10, 11, 6, 7, 14, 15);
    const __m512d t0 = _mm512_unpacklo_pd(r[0], r[1]), t1 = _mm512_unpackhi_pd(r[0], r[1]);
    const __m512d t2 = _mm512_unpacklo_pd(r[2], r[3]), t3 = _mm512_unpackhi_pd(r[2], r[3]);
    const __m512d t4 = _mm512_unpacklo_pd(r[4], r[5]), t5 = _mm512_unpackhi_pd(r[4], r[5]);
    const __m512d t6 = _mm512_unpacklo_pd(r[6], r[7]), t7 = _mm512_unpackhi_pd(r[6], r[7]);
    const __m512d u0 = _mm512_permutex2var_pd(t0, lo, t2), u1 = _mm512_permutex2var_pd(t1, lo, t3);
    const __m512d u2 = _mm512_permutex2var_pd(t0, hi, t2), u3 = _mm512_permutex2var_pd(t1, hi, t3);
    const __m512d u4 = _mm512_permutex2var_pd(t4, lo, t6), u5 = _mm512_permutex2var_pd(t5, lo, t7);
    const __m512d u6 = _mm512_permutex2var_pd(t4, hi, t6), u7 = _mm512_permutex2var_pd(t5, hi, t7);
    r[0] = _mm512_shuffle_f64x2(u0, u4, 0x44);
    r[4] = _mm512_shuffle_f64x2(u0, u4, 0xEE);
    r[1] = _mm512_shuffle_f64x2(u1, u5, 0x44);
    r[5] = _mm512_shuffle_f64x2(u1, u5, 0xEE);
    r[2] = _mm512_shuffle_f64x2(u2, u6, 0x44);
    r[6] = _mm512_shuffle_f64x2(u2, u6, 0xEE);
    r[3] = _mm512_shuffle_f64x2(u3, u7, 0x44);
    r[7] = _mm512_shuffle_f64x2(u3, u7, 0xEE);
}
#include "cc_lagstats_transposed.inc.h"

#define CC_T_TARGET __attribute__((target("avx2,fma")))
#define CC_T_FN cc_pearson_transposed_f64_avx2
#define CC_T_L 4
#define CC_T_V __m256d
#define CC_T_OP(op) _mm256_##op##_pd
#define CC_T_LOADN(p, n) _mm256_maskload_pd((p), _mm256_cmpgt_epi64( \
    _mm256_set1_epi64x((long long)(n)), _mm256_setr_epi64x(0, 1, 2, 3)))
#define CC_T_TRANSPOSE(r) cc_transpose4x4((r))
#define CC_T_HSUM(v) cc_hsum4(v)
#define CC_T_ANY_LE(a, b) (_mm256_movemask_pd(_mm256_cmp_pd((a), (b), _CMP_LE_OQ)) != 0)
#define CC_T_UNORD(v) (_mm256_movemask_pd(_mm256_cmp_pd((v), (v), _CMP_UNORD_Q)) != 0)
#define CC_T_RATIO(num, den) _mm256_div_pd((num), _mm256_sqrt_pd(den))
#define CC_T_DIRECT cc_pearson_direct_f64_avx2
CC_T_TARGET static inline void cc_transpose4x4(__m256d *r) {
    const __m256d t0 = _mm256_unpacklo_pd(r[0], r[1]), t1 = _mm256_unpackhi_pd(r[0], r[1]);
    const __m256d t2 = _mm256_unpacklo_pd(r[2], r[3]), t3 = _mm256_unpackhi_pd(r[2], r[3]);
    r[0] = _mm256_permute2f128_pd(t0, t2, 0x20);
    r[1] = _mm256_permute2f128_pd(t1, t3, 0x20);
    r[2] = _mm256_permute2f128_pd(t0, t2, 0x31);
    r[3] = _mm256_permute2f128_pd(t1, t3, 0x31);
}
#include "cc_lagstats_transposed.inc.h"

/* Whether the direct route beats the slide or the tree for templates of m samples at
 * SIMD level simd (1 AVX2+FMA, 2 AVX-512F), single: float32. AVX-512: every m of the
 * phased loop (m < 5 L, above), which beat the slide (float64 m = 24-39) and the tree
 * (float32 m = 56-79) at 1e4-1e6 samples. AVX2, measured in a C bench on Sapphire
 * Rapids (the raw sums and r of 1e6 lags in blocks of 2048, against the raw sums
 * alone): float32 m = 24 2.7x (the tree's route 3.1x), m = 32 3.2x (2.8x); float64
 * m = 8 2.1x (the slide's 2.4x), m = 12 2.1x (2.1x). */
static inline int cc_direct_pays(ptrdiff_t m, int simd, int single) {
    if (m < 2 || simd < 1) return 0;
    if (simd == 2) return m <= (single ? 79 : 39);
    return m <= (single ? 24 : 10);
}
#undef CC_S_OP__
#undef CC_S_OP_
#else
#define CC_LAGSTATS_HAVE_AVX512 0
/* Never called: the caller checks CC_LAGSTATS_HAVE_AVX2 / CC_LAGSTATS_HAVE_AVX512. */
#define CC_S_STUB(NAME, T)                                                              \
static int NAME(const T *a, ptrdiff_t count, ptrdiff_t m, const T *raw, double sum_v,   \
                double inv, double var_v, T *out) {                                     \
    (void)a; (void)count; (void)m; (void)raw; (void)sum_v; (void)inv; (void)var_v;       \
    (void)out;                                                                          \
    return 2;                                                                           \
}
CC_S_STUB(cc_pearson_slide_f64_avx512, double)
CC_S_STUB(cc_pearson_slide_f32_avx512, float)
CC_S_STUB(cc_pearson_slide_f64_avx2, double)
CC_S_STUB(cc_pearson_slide_f32_avx2, float)
#undef CC_S_STUB
#define CC_TREE_WORK(count, m) 0
static inline int cc_tree_pays(ptrdiff_t m, int simd) { (void)m; (void)simd; return 0; }
#define CC_W_STUB(NAME)                                                                 \
static int NAME(const float *a, ptrdiff_t count, ptrdiff_t m, const float *raw,         \
                double sum_v, double inv, double var_v, float *out, float *work) {      \
    (void)a; (void)count; (void)m; (void)raw; (void)sum_v; (void)inv; (void)var_v;       \
    (void)out; (void)work;                                                              \
    return 2;                                                                           \
}
CC_W_STUB(cc_pearson_tree_f32_avx512)
CC_W_STUB(cc_pearson_tree_f32_avx2)
#undef CC_W_STUB
static inline int cc_direct_pays(ptrdiff_t m, int simd, int single) {
    (void)m; (void)simd; (void)single;
    return 0;
}
#define CC_D_STUB(NAME, T)                                                              \
static int NAME(const T *a, ptrdiff_t count, ptrdiff_t m, const T *vc, double sum_v,     \
                double inv, double var_v, T *out) {                                     \
    (void)a; (void)count; (void)m; (void)vc; (void)sum_v; (void)inv; (void)var_v;        \
    (void)out;                                                                          \
    return 2;                                                                           \
}
CC_D_STUB(cc_pearson_direct_f64_avx512, double)
CC_D_STUB(cc_pearson_direct_f32_avx512, float)
CC_D_STUB(cc_pearson_direct_f64_avx2, double)
CC_D_STUB(cc_pearson_direct_f32_avx2, float)
#undef CC_D_STUB
#define CC_TRANSPOSED_WORK(count, m) 0
#define CC_T_STUB(NAME)                                                                 \
static int NAME(const double *a, ptrdiff_t count, ptrdiff_t m, const double *vc,         \
                double sum_v, double inv, double var_v, double *out, double *work) {     \
    (void)a; (void)count; (void)m; (void)vc; (void)sum_v; (void)inv; (void)var_v;        \
    (void)out; (void)work;                                                              \
    return 2;                                                                           \
}
CC_T_STUB(cc_pearson_transposed_f64_avx512)
CC_T_STUB(cc_pearson_transposed_f64_avx2)
#undef CC_T_STUB
#endif

/* A float32 block centred by its own mean: out = a - o, o the mean rounded to float
 * (a float subtraction is the double one rounded once, so nothing is lost against
 * centring in double: the offset only has to be near the block's level). The mean is
 * summed in float as sum a[i] / n, in 64 independent accumulators that compilers
 * vectorise without reassociating anything (sixteen made one vector of AVX-512, its
 * chain of dependent adds the loop's bound); dividing first keeps large samples from
 * overflowing the sum. Widening every sample to double had cost a sixth of float32
 * template matching. A NaN or an infinity makes the mean, and so every centred value,
 * NaN or infinite: the tree or the slide then reports the block. */
#define CC_CENTRE_F32_DEFINE(NAME, ATTR)                                                \
ATTR static void NAME(const float *restrict a, ptrdiff_t n, float *restrict out) {      \
    float acc[64] = {0.0f};                                                             \
    const float inv = n > 0 ? (float)(1.0 / (double)n) : 0.0f;                          \
    double total = 0.0;                                                                 \
    ptrdiff_t i = 0;                                                                    \
    for (; i + 64 <= n; i += 64)                                                        \
        for (int k = 0; k < 64; ++k)                                                    \
            acc[k] += a[i + k] * inv;                                                   \
    for (; i < n; ++i)                                                                  \
        total += (double)(a[i] * inv);                                                  \
    for (int k = 0; k < 64; ++k)                                                        \
        total += (double)acc[k];                                                        \
    const float offset = (float)total;                                                  \
    for (i = 0; i < n; ++i)                                                             \
        out[i] = a[i] - offset;                                                         \
}

CC_CENTRE_F32_DEFINE(cc_centre_f32_base, )
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
CC_CENTRE_F32_DEFINE(cc_centre_f32_avx2, __attribute__((target("avx2,fma"))))
CC_CENTRE_F32_DEFINE(cc_centre_f32_avx512, __attribute__((target("avx512f,avx2,fma"))))
#else
#define cc_centre_f32_avx2 cc_centre_f32_base
#define cc_centre_f32_avx512 cc_centre_f32_base
#endif
#undef CC_CENTRE_F32_DEFINE

/* The sum of a[0:n] in double, and whether it is finite: a NaN or an infinity makes it
 * NaN or infinite, so a finite sum means finite samples (float64 samples whose sum
 * overflows, beyond 1e308, count as non-finite: the callers then take their slower
 * route that handles NaN and inf, which is right for them too). Four independent
 * accumulators, vectors on the AVX2 and AVX-512 builds: one chain would wait on the
 * adder's latency, and compilers do not reassociate a sum themselves. */
#define CC_SUM_FINITE_DEFINE(NAME, T, ATTR, V, ZERO, ADD, STEP, LOAD4, HSUM)           \
ATTR static int NAME(const T *restrict a, ptrdiff_t n, double *total) {                 \
    V s0 = ZERO, s1 = ZERO, s2 = ZERO, s3 = ZERO, x0, x1, x2, x3;                       \
    ptrdiff_t i = 0;                                                                    \
    for (; i + (STEP) <= n; i += (STEP)) {                                              \
        LOAD4(a + i, x0, x1, x2, x3);                                                   \
        s0 = ADD(s0, x0); s1 = ADD(s1, x1); s2 = ADD(s2, x2); s3 = ADD(s3, x3);          \
    }                                                                                   \
    double sum = HSUM(ADD(ADD(s0, s1), ADD(s2, s3)));                                   \
    for (; i < n; ++i) sum += (double)a[i];                                             \
    *total = sum;                                                                       \
    return isfinite(sum);                                                               \
}
/* the baseline: four scalar chains */
#define CC_SF_ADD(x, y) ((x) + (y))
#define CC_SF_ID(x) (x)
#define CC_SF_LOAD_S(p, x0, x1, x2, x3) \
    (x0 = (double)(p)[0], x1 = (double)(p)[1], x2 = (double)(p)[2], x3 = (double)(p)[3])
CC_SUM_FINITE_DEFINE(cc_sum_finite_f64_base, double, , double, 0.0, CC_SF_ADD, 4,
                     CC_SF_LOAD_S, CC_SF_ID)
CC_SUM_FINITE_DEFINE(cc_sum_finite_f32_base, float, , double, 0.0, CC_SF_ADD, 4,
                     CC_SF_LOAD_S, CC_SF_ID)

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define CC_SF_AVX2 __attribute__((target("avx2,fma")))
#define CC_SF_AVX512 __attribute__((target("avx512f,avx2,fma")))
CC_SF_AVX2 static inline double cc_sf_hsum4(__m256d s) {
    __m128d h = _mm_add_pd(_mm256_castpd256_pd128(s), _mm256_extractf128_pd(s, 1));
    return _mm_cvtsd_f64(_mm_add_sd(h, _mm_unpackhi_pd(h, h)));
}
#define CC_SF_LOAD_PD4(p, x0, x1, x2, x3)                                               \
    (x0 = _mm256_loadu_pd(p), x1 = _mm256_loadu_pd((p) + 4),                            \
     x2 = _mm256_loadu_pd((p) + 8), x3 = _mm256_loadu_pd((p) + 12))
#define CC_SF_LOAD_PS4(p, x0, x1, x2, x3)                                               \
    (x0 = _mm256_cvtps_pd(_mm_loadu_ps(p)), x1 = _mm256_cvtps_pd(_mm_loadu_ps((p) + 4)), \
     x2 = _mm256_cvtps_pd(_mm_loadu_ps((p) + 8)),                                        \
     x3 = _mm256_cvtps_pd(_mm_loadu_ps((p) + 12)))
#define CC_SF_LOAD_PD8(p, x0, x1, x2, x3)                                               \
    (x0 = _mm512_loadu_pd(p), x1 = _mm512_loadu_pd((p) + 8),                            \
     x2 = _mm512_loadu_pd((p) + 16), x3 = _mm512_loadu_pd((p) + 24))
#define CC_SF_LOAD_PS8(p, x0, x1, x2, x3)                                               \
    (x0 = _mm512_cvtps_pd(_mm256_loadu_ps(p)), x1 = _mm512_cvtps_pd(_mm256_loadu_ps((p) + 8)), \
     x2 = _mm512_cvtps_pd(_mm256_loadu_ps((p) + 16)),                                    \
     x3 = _mm512_cvtps_pd(_mm256_loadu_ps((p) + 24)))
CC_SUM_FINITE_DEFINE(cc_sum_finite_f64_avx2, double, CC_SF_AVX2, __m256d, _mm256_setzero_pd(),
                     _mm256_add_pd, 16, CC_SF_LOAD_PD4, cc_sf_hsum4)
CC_SUM_FINITE_DEFINE(cc_sum_finite_f32_avx2, float, CC_SF_AVX2, __m256d, _mm256_setzero_pd(),
                     _mm256_add_pd, 16, CC_SF_LOAD_PS4, cc_sf_hsum4)
CC_SUM_FINITE_DEFINE(cc_sum_finite_f64_avx512, double, CC_SF_AVX512, __m512d,
                     _mm512_setzero_pd(), _mm512_add_pd, 32, CC_SF_LOAD_PD8,
                     _mm512_reduce_add_pd)
CC_SUM_FINITE_DEFINE(cc_sum_finite_f32_avx512, float, CC_SF_AVX512, __m512d,
                     _mm512_setzero_pd(), _mm512_add_pd, 32, CC_SF_LOAD_PS8,
                     _mm512_reduce_add_pd)
#undef CC_SF_AVX2
#undef CC_SF_AVX512
#undef CC_SF_LOAD_PD4
#undef CC_SF_LOAD_PS4
#undef CC_SF_LOAD_PD8
#undef CC_SF_LOAD_PS8
#else
#define cc_sum_finite_f64_avx2 cc_sum_finite_f64_base
#define cc_sum_finite_f32_avx2 cc_sum_finite_f32_base
#define cc_sum_finite_f64_avx512 cc_sum_finite_f64_base
#define cc_sum_finite_f32_avx512 cc_sum_finite_f32_base
#endif
#undef CC_SUM_FINITE_DEFINE
#undef CC_SF_ADD
#undef CC_SF_ID
#undef CC_SF_LOAD_S

/* The largest finite |a[i]| of a[0:n] (0 for none), in one pass over the bits: with the
 * sign cleared a finite value's magnitude orders as a (non-negative) integer, and NaN
 * and infinities are the patterns from the infinity's up. An integer max is vectorised
 * (memcpy: the bits without breaking aliasing rules); a floating one, ordered around
 * NaN, is not: the plain loop ran at a quarter of this pass's speed. Four quarters of
 * the array in four chains: one chain of vector maxima was bound by its latency (Zen 4,
 * 2063 doubles in L1: 0.24 us in one, 0.17 us in four). */
#define CC_MAGNITUDE_DEFINE(NAME, T, I, ATTR, MASK, INF)                                \
ATTR static T NAME(const T *restrict a, ptrdiff_t n) {                                   \
    I top0 = 0, top1 = 0, top2 = 0, top3 = 0, b0, b1, b2, b3;                           \
    const ptrdiff_t q = n / 4;                                                           \
    const T *a1 = a + q, *a2 = a + 2 * q, *a3 = a + 3 * q;                               \
    ptrdiff_t i;                                                                         \
    T r;                                                                                 \
    for (i = 0; i < q; ++i) {                                                            \
        memcpy(&b0, a + i, sizeof b0);                                                   \
        memcpy(&b1, a1 + i, sizeof b1);                                                  \
        memcpy(&b2, a2 + i, sizeof b2);                                                  \
        memcpy(&b3, a3 + i, sizeof b3);                                                  \
        b0 &= (MASK);                                                                    \
        b1 &= (MASK);                                                                    \
        b2 &= (MASK);                                                                    \
        b3 &= (MASK);                                                                    \
        b0 = b0 < (INF) ? b0 : 0;                                                        \
        b1 = b1 < (INF) ? b1 : 0;                                                        \
        b2 = b2 < (INF) ? b2 : 0;                                                        \
        b3 = b3 < (INF) ? b3 : 0;                                                        \
        top0 = b0 > top0 ? b0 : top0;                                                    \
        top1 = b1 > top1 ? b1 : top1;                                                    \
        top2 = b2 > top2 ? b2 : top2;                                                    \
        top3 = b3 > top3 ? b3 : top3;                                                    \
    }                                                                                    \
    for (i = 4 * q; i < n; ++i) {                                                        \
        memcpy(&b0, a + i, sizeof b0);                                                   \
        b0 &= (MASK);                                                                    \
        b0 = b0 < (INF) ? b0 : 0;                                                        \
        top0 = b0 > top0 ? b0 : top0;                                                    \
    }                                                                                    \
    top0 = top1 > top0 ? top1 : top0;                                                    \
    top2 = top3 > top2 ? top3 : top2;                                                    \
    top0 = top2 > top0 ? top2 : top0;                                                    \
    memcpy(&r, &top0, sizeof r);                                                         \
    return r;                                                                            \
}
CC_MAGNITUDE_DEFINE(cc_magnitude_f32_base, float, int32_t, , 0x7FFFFFFF, 0x7F800000)
CC_MAGNITUDE_DEFINE(cc_magnitude_f64_base, double, int64_t, , 0x7FFFFFFFFFFFFFFFLL,
                    0x7FF0000000000000LL)
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
CC_MAGNITUDE_DEFINE(cc_magnitude_f32_avx2, float, int32_t, __attribute__((target("avx2"))),
                    0x7FFFFFFF, 0x7F800000)
CC_MAGNITUDE_DEFINE(cc_magnitude_f64_avx2, double, int64_t, __attribute__((target("avx2"))),
                    0x7FFFFFFFFFFFFFFFLL, 0x7FF0000000000000LL)
CC_MAGNITUDE_DEFINE(cc_magnitude_f32_avx512, float, int32_t,
                    __attribute__((target("avx512f,avx2"))), 0x7FFFFFFF, 0x7F800000)
CC_MAGNITUDE_DEFINE(cc_magnitude_f64_avx512, double, int64_t,
                    __attribute__((target("avx512f,avx2"))), 0x7FFFFFFFFFFFFFFFLL,
                    0x7FF0000000000000LL)
#else
#define cc_magnitude_f32_avx2 cc_magnitude_f32_base
#define cc_magnitude_f64_avx2 cc_magnitude_f64_base
#define cc_magnitude_f32_avx512 cc_magnitude_f32_base
#define cc_magnitude_f64_avx512 cc_magnitude_f64_base
#endif
#undef CC_MAGNITUDE_DEFINE

/* simd: 0 the baseline build, 1 AVX2+FMA, 2 AVX-512F (as cconv1d._lagstats) */
static inline float cc_magnitude_f32(const float *a, ptrdiff_t n, int simd) {
    return simd == 2 ? cc_magnitude_f32_avx512(a, n)
         : simd == 1 ? cc_magnitude_f32_avx2(a, n) : cc_magnitude_f32_base(a, n);
}
static inline double cc_magnitude_f64(const double *a, ptrdiff_t n, int simd) {
    return simd == 2 ? cc_magnitude_f64_avx512(a, n)
         : simd == 1 ? cc_magnitude_f64_avx2(a, n) : cc_magnitude_f64_base(a, n);
}

/* simd: 0 the baseline build, 1 AVX2+FMA, 2 AVX-512F (as cconv1d._lagstats) */
static inline int cc_sum_finite_f64(const double *a, ptrdiff_t n, double *total, int simd) {
    return simd == 2 ? cc_sum_finite_f64_avx512(a, n, total)
         : simd == 1 ? cc_sum_finite_f64_avx2(a, n, total) : cc_sum_finite_f64_base(a, n, total);
}
static inline int cc_sum_finite_f32(const float *a, ptrdiff_t n, double *total, int simd) {
    return simd == 2 ? cc_sum_finite_f32_avx512(a, n, total)
         : simd == 1 ? cc_sum_finite_f32_avx2(a, n, total) : cc_sum_finite_f32_base(a, n, total);
}

/* simd: 0 the baseline build, 1 AVX2+FMA, 2 AVX-512F (as cconv1d._lagstats) */
static inline void cc_centre_f32(const float *a, ptrdiff_t n, float *out, int simd) {
    if (simd == 2)
        cc_centre_f32_avx512(a, n, out);
    else if (simd == 1)
        cc_centre_f32_avx2(a, n, out);
    else
        cc_centre_f32_base(a, n, out);
}

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
