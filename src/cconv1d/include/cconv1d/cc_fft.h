/* Power-of-two complex FFT for fast convolution (fir_filter's FFT route).
 *
 * Only convolution needs it, so it never reorders: the forward transform is
 * decimation in frequency (natural order in, bit-reversed order out), the inverse is
 * decimation in time (bit-reversed in, natural out). A pointwise product of two
 * spectra in the same scrambled order is still the spectrum of the circular
 * convolution, so no bit-reversal pass is ever made.
 *
 * Data are split arrays re[n], im[n] of doubles (float32 callers convert when they pack
 * a block: the transform's rounding then stays near float64's, far below float32's).
 * Split arrays make every butterfly stage with a half-span of 4 or more a plain loop
 * over contiguous vectors; the last two stages (half-spans 2 and 1) are done together
 * on groups of four in registers (AVX2), or the last three on groups of eight
 * (AVX-512). Builds: scalar, AVX2+FMA and AVX-512F, the vector stages written once
 * over the register width (cc_fft_vec.inc.h); AVX-512 gives AVX2's bits.
 *
 * Twiddles: tw[h + j] = exp(-2 pi i j / (2 h)) for h = 1, 2, 4, ..., n/2 and j < h,
 * n entries (index 0 unused), each computed directly by cos/sin so none inherits the
 * error of a recurrence. The inverse uses the conjugates and is not scaled (callers
 * fold 1/n into a filter spectrum).
 */
#ifndef CC_FFT_H
#define CC_FFT_H

#include <float.h>
#include <math.h>
#include <stddef.h>

static void cc_fft_twiddles(ptrdiff_t n, double *twr, double *twi) {
    const double pi = 3.14159265358979323846;
    if (n > 0) { twr[0] = 1.0; twi[0] = 0.0; }
    for (ptrdiff_t h = 1; h < n; h <<= 1)
        for (ptrdiff_t j = 0; j < h; ++j) {
            double angle = -pi * (double)j / (double)h;
            twr[h + j] = cos(angle);
            twi[h + j] = sin(angle);
        }
}

/* The twiddles of cc_fft_forward_real's last pass, in the order of the half-length
 * transform's output: twbr[p] + i twbi[p] = exp(-2 pi i q / n), q = bitrev(p) over
 * log2(n / 2) bits, p < n / 2; copied from cc_fft_twiddles' table (twr[n/2 + q]), so
 * both passes use the same values. */
static void cc_fft_real_twiddles(ptrdiff_t n, const double *twr, const double *twi,
                                 double *twbr, double *twbi) {
    const ptrdiff_t m = n >> 1;
    int bits = 0;
    while (((ptrdiff_t)1 << bits) < m) ++bits;
    for (ptrdiff_t p = 0; p < m; ++p) {
        ptrdiff_t q = 0, k = p;
        for (int b = 0; b < bits; ++b) { q = (q << 1) | (k & 1); k >>= 1; }
        twbr[p] = twr[m + q];
        twbi[p] = twi[m + q];
    }
}

/* The partner of position p in a bit-reversed spectrum of m points: where the value of
 * frequency m - q lies when p holds frequency q. Bit reversal maps each octave
 * [b, 2b) of frequencies' lowest set bit onto positions [b, 2b) mirrored, so the
 * partner is 3b - 1 - p (0 and 1 are their own). */
static inline ptrdiff_t cc_fft_partner(ptrdiff_t p) {
    if (p < 2) return p;
    ptrdiff_t b = 1;
    while (2 * b <= p) b <<= 1;
    return 3 * b - 1 - p;
}

/* The last two DIF stages (half-spans 2 then 1) on each group of four:
 * the twiddles are 1 and -i, so they need no multiplications. */
static inline void cc_fft_dif_tail(ptrdiff_t n, double *restrict re, double *restrict im) {
    if (n == 2) {
        double ar = re[0], ai = im[0], br = re[1], bi = im[1];
        re[0] = ar + br; im[0] = ai + bi; re[1] = ar - br; im[1] = ai - bi;
        return;
    }
    for (ptrdiff_t g = 0; g < n; g += 4) {
        double r0 = re[g] + re[g + 2], i0 = im[g] + im[g + 2];
        double r1 = re[g + 1] + re[g + 3], i1 = im[g + 1] + im[g + 3];
        double r2 = re[g] - re[g + 2], i2 = im[g] - im[g + 2];
        /* (a1 - a3) * (-i) */
        double r3 = im[g + 1] - im[g + 3], i3 = re[g + 3] - re[g + 1];
        re[g] = r0 + r1; im[g] = i0 + i1;
        re[g + 1] = r0 - r1; im[g + 1] = i0 - i1;
        re[g + 2] = r2 + r3; im[g + 2] = i2 + i3;
        re[g + 3] = r2 - r3; im[g + 3] = i2 - i3;
    }
}

/* The first two inverse DIT stages (half-spans 1 then 2): twiddles 1 and conj(-i) = i. */
static inline void cc_fft_dit_head(ptrdiff_t n, double *restrict re, double *restrict im) {
    if (n == 2) {
        double ar = re[0], ai = im[0], br = re[1], bi = im[1];
        re[0] = ar + br; im[0] = ai + bi; re[1] = ar - br; im[1] = ai - bi;
        return;
    }
    for (ptrdiff_t g = 0; g < n; g += 4) {
        double r0 = re[g] + re[g + 1], i0 = im[g] + im[g + 1];
        double r1 = re[g] - re[g + 1], i1 = im[g] - im[g + 1];
        double r2 = re[g + 2] + re[g + 3], i2 = im[g + 2] + im[g + 3];
        double r3 = re[g + 2] - re[g + 3], i3 = im[g + 2] - im[g + 3];
        /* t = (r3 + i i3) * i */
        double tr = -i3, ti = r3;
        re[g] = r0 + r2; im[g] = i0 + i2;
        re[g + 2] = r0 - r2; im[g + 2] = i0 - i2;
        re[g + 1] = r1 + tr; im[g + 1] = i1 + ti;
        re[g + 3] = r1 - tr; im[g + 3] = i1 - ti;
    }
}

/* One DIF stage of half-span h (>= 1): a, b -> a + b, (a - b) w. */
#define CC_FFT_DIF_STAGE_SCALAR(J0)                                                   \
    for (ptrdiff_t j = (J0); j < h; ++j) {                                            \
        double ar = re[g + j], ai = im[g + j], br = re[g + j + h], bi = im[g + j + h];\
        double dr = ar - br, di = ai - bi, wr = twr[h + j], wi = twi[h + j];          \
        re[g + j] = ar + br; im[g + j] = ai + bi;                                     \
        re[g + j + h] = dr * wr - di * wi; im[g + j + h] = dr * wi + di * wr;         \
    }
/* One inverse DIT stage: a, b -> a + b conj(w), a - b conj(w). */
#define CC_FFT_DIT_STAGE_SCALAR(J0)                                                   \
    for (ptrdiff_t j = (J0); j < h; ++j) {                                            \
        double ar = re[g + j], ai = im[g + j], br = re[g + j + h], bi = im[g + j + h];\
        double wr = twr[h + j], wi = twi[h + j];                                      \
        double tr = br * wr + bi * wi, ti = bi * wr - br * wi;                        \
        re[g + j] = ar + tr; im[g + j] = ai + ti;                                     \
        re[g + j + h] = ar - tr; im[g + j + h] = ai - ti;                             \
    }

/* Two radix-2 stages fused (half-spans 2q then q, DIF; q then 2q, inverse DIT): the same
 * operations in the same order as the two stages apart, so the same bits, with one pass
 * over the data instead of two. Index j of a group of 4q reads j, j+q, j+2q, j+3q. */
#define CC_CMUL(ar, ai, wr, wi, outr, outi)                                           \
    do { double cr_ = (ar) * (wr) - (ai) * (wi), ci_ = (ar) * (wi) + (ai) * (wr);     \
         (outr) = cr_; (outi) = ci_; } while (0)
#define CC_CMULC(ar, ai, wr, wi, outr, outi)    /* times conj(w) */                  \
    do { double cr_ = (ar) * (wr) + (ai) * (wi), ci_ = (ai) * (wr) - (ar) * (wi);     \
         (outr) = cr_; (outi) = ci_; } while (0)

/* The stages from half-span h down (h = n/2: the whole transform). */
static void cc_fft_forward_from_scalar(ptrdiff_t n, ptrdiff_t h, double *restrict re,
                                       double *restrict im, const double *restrict twr,
                                       const double *restrict twi) {
    for (; h >= 8; h >>= 2) {
        const ptrdiff_t q = h >> 1;
        for (ptrdiff_t g = 0; g < n; g += 2 * h)
            for (ptrdiff_t j = 0; j < q; ++j) {
                double *r = re + g + j, *i = im + g + j;
                double y0r = r[0] + r[2 * q], y0i = i[0] + i[2 * q];
                double y1r = r[q] + r[3 * q], y1i = i[q] + i[3 * q];
                double y2r, y2i, y3r, y3i, z1r, z1i, z3r, z3i;
                CC_CMUL(r[0] - r[2 * q], i[0] - i[2 * q], twr[h + j], twi[h + j], y2r, y2i);
                CC_CMUL(r[q] - r[3 * q], i[q] - i[3 * q], twr[h + q + j], twi[h + q + j],
                        y3r, y3i);
                CC_CMUL(y0r - y1r, y0i - y1i, twr[q + j], twi[q + j], z1r, z1i);
                CC_CMUL(y2r - y3r, y2i - y3i, twr[q + j], twi[q + j], z3r, z3i);
                r[0] = y0r + y1r; i[0] = y0i + y1i;
                r[q] = z1r; i[q] = z1i;
                r[2 * q] = y2r + y3r; i[2 * q] = y2i + y3i;
                r[3 * q] = z3r; i[3 * q] = z3i;
            }
    }
    if (h == 4)
        for (ptrdiff_t g = 0; g < n; g += 2 * h) { CC_FFT_DIF_STAGE_SCALAR(0) }
    if (n >= 2) cc_fft_dif_tail(n, re, im);
}

static void cc_fft_forward_scalar(ptrdiff_t n, double *restrict re, double *restrict im,
                                  const double *restrict twr, const double *restrict twi) {
    cc_fft_forward_from_scalar(n, n >> 1, re, im, twr, twi);
}

/* The forward transform of a real signal in re[0:n/2] (n >= 16), the rest of re and
 * all of im unset (treated as zeros): the first two stages read two real values per
 * group of four instead of four complex ones, and no zeros are written first. */
static void cc_fft_forward_real_half_scalar(ptrdiff_t n, double *restrict re,
                                            double *restrict im, const double *restrict twr,
                                            const double *restrict twi) {
    const ptrdiff_t h = n >> 1, q = h >> 1;
    for (ptrdiff_t j = 0; j < q; ++j) {
        double x0 = re[j], x1 = re[j + q], d = x0 - x1;
        double y2r = x0 * twr[h + j], y2i = x0 * twi[h + j];
        double y3r = x1 * twr[h + q + j], y3i = x1 * twi[h + q + j];
        double wr = twr[q + j], wi = twi[q + j], er = y2r - y3r, ei = y2i - y3i;
        re[j] = x0 + x1; im[j] = 0.0;
        re[j + q] = d * wr; im[j + q] = d * wi;
        re[j + 2 * q] = y2r + y3r; im[j + 2 * q] = y2i + y3i;
        re[j + 3 * q] = er * wr - ei * wi; im[j + 3 * q] = er * wi + ei * wr;
    }
    cc_fft_forward_from_scalar(n, h >> 2, re, im, twr, twi);
}

/* The forward transform of a real signal in re[0:n/2] (n >= 4) by a transform of half
 * the length: z[j] = x[2j] + i x[2j+1] (z zero from n/4 on), Z its n/2-point transform
 * in scratch[0:n] (bit-reversed), then for each position p of Z, holding frequency q,
 * with C = Z[m - q] at cc_fft_partner(p) (m = n/2):
 *   E = (Z + conj C) / 2 = DFT of the even samples at q,
 *   O = (Z - conj C) / 2 = i times the DFT of the odd samples,
 *   X[q] = E - i w O and X[q + m] = E + i w O,  w = exp(-2 pi i q / n),
 * which the n-point bit-reversed order keeps at positions 2p and 2p + 1. re[n/2:], im
 * need not be set; twbr/twbi from cc_fft_real_twiddles. */
static void cc_fft_real_post_scalar(ptrdiff_t m, ptrdiff_t p0, const double *restrict zr,
                                    const double *restrict zi, double *restrict re,
                                    double *restrict im, const double *restrict twbr,
                                    const double *restrict twbi) {
    for (ptrdiff_t p = p0; p < m; ++p) {
        const ptrdiff_t c = cc_fft_partner(p);
        double er = (zr[p] + zr[c]) * 0.5, ei = (zi[p] - zi[c]) * 0.5;
        double or_ = (zr[p] - zr[c]) * 0.5, oi = (zi[p] + zi[c]) * 0.5, pr, pi;
        CC_CMUL(or_, oi, twbr[p], twbi[p], pr, pi);
        re[2 * p] = er + pi; im[2 * p] = ei - pr;
        re[2 * p + 1] = er - pi; im[2 * p + 1] = ei + pr;
    }
}

static void cc_fft_forward_real_scalar(ptrdiff_t n, double *restrict re, double *restrict im,
                                       double *restrict scratch, const double *restrict twr,
                                       const double *restrict twi,
                                       const double *restrict twbr,
                                       const double *restrict twbi) {
    const ptrdiff_t m = n >> 1, h = m >> 1;
    double *zr = scratch, *zi = scratch + m;
    /* the first stage of the m-point transform, on z with its second half zero */
    for (ptrdiff_t j = 0; j < h; ++j) {
        double a = re[2 * j], b = re[2 * j + 1];
        zr[j] = a; zi[j] = b;
        CC_CMUL(a, b, twr[h + j], twi[h + j], zr[j + h], zi[j + h]);
    }
    cc_fft_forward_from_scalar(m, h >> 1, zr, zi, twr, twi);
    cc_fft_real_post_scalar(m, 0, zr, zi, re, im, twbr, twbi);
}

static void cc_fft_inverse_scalar(ptrdiff_t n, double *restrict re, double *restrict im,
                                  const double *restrict twr, const double *restrict twi) {
    if (n >= 2) cc_fft_dit_head(n, re, im);
    ptrdiff_t h = 4;
    for (; 2 * h < n; h <<= 2) {
        const ptrdiff_t q = h, h2 = 2 * h;
        for (ptrdiff_t g = 0; g < n; g += 4 * q)
            for (ptrdiff_t j = 0; j < q; ++j) {
                double *r = re + g + j, *i = im + g + j;
                double tr, ti, y0r, y0i, y1r, y1i, y2r, y2i, y3r, y3i;
                CC_CMULC(r[q], i[q], twr[q + j], twi[q + j], tr, ti);
                y0r = r[0] + tr; y0i = i[0] + ti; y1r = r[0] - tr; y1i = i[0] - ti;
                CC_CMULC(r[3 * q], i[3 * q], twr[q + j], twi[q + j], tr, ti);
                y2r = r[2 * q] + tr; y2i = i[2 * q] + ti; y3r = r[2 * q] - tr; y3i = i[2 * q] - ti;
                CC_CMULC(y2r, y2i, twr[h2 + j], twi[h2 + j], tr, ti);
                r[0] = y0r + tr; i[0] = y0i + ti; r[2 * q] = y0r - tr; i[2 * q] = y0i - ti;
                CC_CMULC(y3r, y3i, twr[h2 + q + j], twi[h2 + q + j], tr, ti);
                r[q] = y1r + tr; i[q] = y1i + ti; r[3 * q] = y1r - tr; i[3 * q] = y1i - ti;
            }
    }
    if (h < n)
        for (ptrdiff_t g = 0; g < n; g += 2 * h) { CC_FFT_DIT_STAGE_SCALAR(0) }
}

/* Pointwise z *= s (split complex), n values. */
static void cc_fft_mul_scalar(ptrdiff_t n, const double *restrict zr, const double *restrict zi,
                              const double *restrict sr, const double *restrict si,
                              double *restrict outr, double *restrict outi) {
    for (ptrdiff_t k = 0; k < n; ++k) {
        double a = zr[k], b = zi[k], c = sr[k], d = si[k];
        outr[k] = a * c - b * d;
        outi[k] = a * d + b * c;
    }
}

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define CC_FFT_HAVE_AVX2 1

/* The stages over whole vectors, at 256 bits (AVX2+FMA) and 512 bits (AVX-512F). */
#define CC_FW 256
#define CC_FSFX avx2
#define CC_FTARGET __attribute__((target("avx2,fma")))
#define CC_FMUL_REST cc_fft_mul_scalar
#define CC_FREV(v) _mm256_permute4x64_pd(v, 0x1B)
#define CC_FHEAD(v) _mm256_permute4x64_pd(v, 0xB4)
#define CC_FDEINT(a, b, even, odd)                                                    \
    do { __m256d a_ = (a), b_ = (b);                                                  \
         (even) = _mm256_permute4x64_pd(_mm256_unpacklo_pd(a_, b_), 0xD8);            \
         (odd) = _mm256_permute4x64_pd(_mm256_unpackhi_pd(a_, b_), 0xD8); } while (0)
#define CC_FINTER(e, o, lo, hi)                                                       \
    do { __m256d e_ = (e), o_ = (o);                                                  \
         __m256d l_ = _mm256_unpacklo_pd(e_, o_), h_ = _mm256_unpackhi_pd(e_, o_);    \
         (lo) = _mm256_permute2f128_pd(l_, h_, 0x20);                                 \
         (hi) = _mm256_permute2f128_pd(l_, h_, 0x31); } while (0)
#include "cc_fft_vec.inc.h"
#define CC_FW 512
#define CC_FSFX avx512
#define CC_FTARGET __attribute__((target("avx512f,avx2,fma")))
#define CC_FMUL_REST cc_fft_mul_avx2
#define CC_FREV(v) _mm512_permutexvar_pd(_mm512_setr_epi64(7, 6, 5, 4, 3, 2, 1, 0), v)
#define CC_FHEAD(v) _mm512_permutexvar_pd(_mm512_setr_epi64(0, 1, 3, 2, 7, 6, 5, 4), v)
#define CC_FDEINT(a, b, even, odd)                                                    \
    do { __m512d a_ = (a), b_ = (b);                                                  \
         (even) = _mm512_permutex2var_pd(                                             \
             a_, _mm512_setr_epi64(0, 2, 4, 6, 8, 10, 12, 14), b_);                   \
         (odd) = _mm512_permutex2var_pd(                                              \
             a_, _mm512_setr_epi64(1, 3, 5, 7, 9, 11, 13, 15), b_); } while (0)
#define CC_FINTER(e, o, lo, hi)                                                       \
    do { __m512d e_ = (e), o_ = (o);                                                  \
         (lo) = _mm512_permutex2var_pd(e_, _mm512_setr_epi64(0, 8, 1, 9, 2, 10, 3, 11), o_); \
         (hi) = _mm512_permutex2var_pd(e_, _mm512_setr_epi64(4, 12, 5, 13, 6, 14, 7, 15), o_); \
    } while (0)
#include "cc_fft_vec.inc.h"
#define CC_FFT_HAVE_AVX512 1

#define CC_LD(p) _mm256_loadu_pd(p)
#define CC_ST(p, v) _mm256_storeu_pd(p, v)

/* The scalar tail's two stages on one group of four per vector: lanes are paired by
 * permutes, a + b and a - b come from one FMA with a vector of signs (exact, so the
 * same bits as the scalar loop), and -i (or i) swaps a lane's parts with a sign. */
__attribute__((target("avx2,fma")))
static void cc_fft_dif_tail_avx2(ptrdiff_t n, double *restrict re, double *restrict im) {
    const __m256d pp_mm = _mm256_setr_pd(1.0, 1.0, -1.0, -1.0);
    const __m256d pm_pm = _mm256_setr_pd(1.0, -1.0, 1.0, -1.0);
    for (ptrdiff_t g = 0; g < n; g += 4) {
        __m256d r = CC_LD(re + g), i = CC_LD(im + g);
        /* half-span 2: [a0 + a2, a1 + a3, a0 - a2, a1 - a3] */
        __m256d ur = _mm256_fmadd_pd(_mm256_permute4x64_pd(r, 0xEE), pp_mm,
                                     _mm256_permute4x64_pd(r, 0x44));
        __m256d ui = _mm256_fmadd_pd(_mm256_permute4x64_pd(i, 0xEE), pp_mm,
                                     _mm256_permute4x64_pd(i, 0x44));
        /* lane 3 times -i: (x + iy)(-i) = y - ix */
        __m256d vr = _mm256_blend_pd(ur, ui, 0x8);
        __m256d vi = _mm256_blend_pd(ui, _mm256_sub_pd(_mm256_setzero_pd(), ur), 0x8);
        /* half-span 1: [v0 + v1, v0 - v1, v2 + v3, v2 - v3] */
        CC_ST(re + g, _mm256_fmadd_pd(_mm256_permute4x64_pd(vr, 0xF5), pm_pm,
                                      _mm256_permute4x64_pd(vr, 0xA0)));
        CC_ST(im + g, _mm256_fmadd_pd(_mm256_permute4x64_pd(vi, 0xF5), pm_pm,
                                      _mm256_permute4x64_pd(vi, 0xA0)));
    }
}

__attribute__((target("avx2,fma")))
static void cc_fft_dit_head_avx2(ptrdiff_t n, double *restrict re, double *restrict im) {
    const __m256d pp_mm = _mm256_setr_pd(1.0, 1.0, -1.0, -1.0);
    const __m256d pm_pm = _mm256_setr_pd(1.0, -1.0, 1.0, -1.0);
    for (ptrdiff_t g = 0; g < n; g += 4) {
        __m256d r = CC_LD(re + g), i = CC_LD(im + g);
        /* half-span 1: [a0 + a1, a0 - a1, a2 + a3, a2 - a3] */
        __m256d ur = _mm256_fmadd_pd(_mm256_permute4x64_pd(r, 0xF5), pm_pm,
                                     _mm256_permute4x64_pd(r, 0xA0));
        __m256d ui = _mm256_fmadd_pd(_mm256_permute4x64_pd(i, 0xF5), pm_pm,
                                     _mm256_permute4x64_pd(i, 0xA0));
        /* lane 3 times i: (x + iy) i = -y + ix */
        __m256d vr = _mm256_blend_pd(ur, _mm256_sub_pd(_mm256_setzero_pd(), ui), 0x8);
        __m256d vi = _mm256_blend_pd(ui, ur, 0x8);
        /* half-span 2: [v0 + v2, v1 + v3, v0 - v2, v1 - v3] */
        CC_ST(re + g, _mm256_fmadd_pd(_mm256_permute4x64_pd(vr, 0xEE), pp_mm,
                                      _mm256_permute4x64_pd(vr, 0x44)));
        CC_ST(im + g, _mm256_fmadd_pd(_mm256_permute4x64_pd(vi, 0xEE), pp_mm,
                                      _mm256_permute4x64_pd(vi, 0x44)));
    }
}

__attribute__((target("avx2,fma")))
static void cc_fft_forward_from_avx2(ptrdiff_t n, ptrdiff_t h, double *restrict re,
                                     double *restrict im, const double *restrict twr,
                                     const double *restrict twi) {
    for (; h >= 8; h >>= 2) cc_fft_dif4_avx2(n, h, re, im, twr, twi);
    if (h == 4)
        for (ptrdiff_t g = 0; g < n; g += 8) {
            double *r = re + g, *i = im + g;
            __m256d ar = CC_LD(r), ai = CC_LD(i), br = CC_LD(r + 4), bi = CC_LD(i + 4);
            __m256d dr = _mm256_sub_pd(ar, br), di = _mm256_sub_pd(ai, bi), zr, zi;
            zr = _mm256_fmsub_pd(dr, CC_LD(twr + 4), _mm256_mul_pd(di, CC_LD(twi + 4)));
            zi = _mm256_fmadd_pd(dr, CC_LD(twi + 4), _mm256_mul_pd(di, CC_LD(twr + 4)));
            CC_ST(r, _mm256_add_pd(ar, br)); CC_ST(i, _mm256_add_pd(ai, bi));
            CC_ST(r + 4, zr); CC_ST(i + 4, zi);
        }
    if (n >= 4) cc_fft_dif_tail_avx2(n, re, im);
    else if (n == 2) cc_fft_dif_tail(n, re, im);
}

__attribute__((target("avx2,fma")))
static void cc_fft_forward_avx2(ptrdiff_t n, double *restrict re, double *restrict im,
                                const double *restrict twr, const double *restrict twi) {
    cc_fft_forward_from_avx2(n, n >> 1, re, im, twr, twi);
}

__attribute__((target("avx2,fma")))
static void cc_fft_forward_real_half_avx2(ptrdiff_t n, double *restrict re,
                                          double *restrict im, const double *restrict twr,
                                          const double *restrict twi) {
    cc_fft_real_head_avx2(n, re, im, twr, twi);
    cc_fft_forward_from_avx2(n, n >> 3, re, im, twr, twi);
}

/* The AVX-512 drivers. The last three DIF stages (half-spans 4, 2, 1) and the first
 * three inverse DIT stages (1, 2, 4) run on groups of eight, one zmm per part: lanes
 * paired across 256-bit halves by shuffles, then within each half by the permutes of
 * the AVX2 tail; sums and differences come from an FMA with a vector of signs (exact),
 * and products by the twiddles of half-span 4 use the stages' own FMAs, so every value
 * is the AVX2 build's bit for bit. Between them, pairs of stages in 512-bit vectors
 * (one single stage first when their count is odd). */
__attribute__((target("avx512f,avx2,fma")))
static void cc_fft_dif_tail8_avx512(ptrdiff_t n, double *restrict re, double *restrict im,
                                    const double *restrict twr, const double *restrict twi) {
    const __m512d pm_lohi = _mm512_setr_pd(1, 1, 1, 1, -1, -1, -1, -1);
    const __m512d pp_mm = _mm512_setr_pd(1, 1, -1, -1, 1, 1, -1, -1);
    const __m512d pm_pm = _mm512_setr_pd(1, -1, 1, -1, 1, -1, 1, -1);
    const __m512d wr = _mm512_broadcast_f64x4(_mm256_loadu_pd(twr + 4));
    const __m512d wi = _mm512_broadcast_f64x4(_mm256_loadu_pd(twi + 4));
    for (ptrdiff_t g = 0; g < n; g += 8) {
        __m512d r = _mm512_loadu_pd(re + g), i = _mm512_loadu_pd(im + g);
        /* half-span 4: [a + b, (a - b) w] for a, b the two halves */
        __m512d ur = _mm512_fmadd_pd(_mm512_shuffle_f64x2(r, r, 0xEE), pm_lohi,
                                     _mm512_shuffle_f64x2(r, r, 0x44));
        __m512d ui = _mm512_fmadd_pd(_mm512_shuffle_f64x2(i, i, 0xEE), pm_lohi,
                                     _mm512_shuffle_f64x2(i, i, 0x44));
        __m512d pr = _mm512_fmsub_pd(ur, wr, _mm512_mul_pd(ui, wi));
        __m512d pi = _mm512_fmadd_pd(ur, wi, _mm512_mul_pd(ui, wr));
        r = _mm512_mask_blend_pd(0xF0, ur, pr);
        i = _mm512_mask_blend_pd(0xF0, ui, pi);
        /* half-span 2, then lane 3 of each half times -i, then half-span 1 */
        ur = _mm512_fmadd_pd(_mm512_permutex_pd(r, 0xEE), pp_mm, _mm512_permutex_pd(r, 0x44));
        ui = _mm512_fmadd_pd(_mm512_permutex_pd(i, 0xEE), pp_mm, _mm512_permutex_pd(i, 0x44));
        __m512d vr = _mm512_mask_blend_pd(0x88, ur, ui);
        __m512d vi = _mm512_mask_blend_pd(0x88, ui, _mm512_sub_pd(_mm512_setzero_pd(), ur));
        _mm512_storeu_pd(re + g, _mm512_fmadd_pd(_mm512_permutex_pd(vr, 0xF5), pm_pm,
                                                 _mm512_permutex_pd(vr, 0xA0)));
        _mm512_storeu_pd(im + g, _mm512_fmadd_pd(_mm512_permutex_pd(vi, 0xF5), pm_pm,
                                                 _mm512_permutex_pd(vi, 0xA0)));
    }
}

__attribute__((target("avx512f,avx2,fma")))
static void cc_fft_dit_head8_avx512(ptrdiff_t n, double *restrict re, double *restrict im,
                                    const double *restrict twr, const double *restrict twi) {
    const __m512d pm_lohi = _mm512_setr_pd(1, 1, 1, 1, -1, -1, -1, -1);
    const __m512d pp_mm = _mm512_setr_pd(1, 1, -1, -1, 1, 1, -1, -1);
    const __m512d pm_pm = _mm512_setr_pd(1, -1, 1, -1, 1, -1, 1, -1);
    const __m512d wr = _mm512_broadcast_f64x4(_mm256_loadu_pd(twr + 4));
    const __m512d wi = _mm512_broadcast_f64x4(_mm256_loadu_pd(twi + 4));
    for (ptrdiff_t g = 0; g < n; g += 8) {
        __m512d r = _mm512_loadu_pd(re + g), i = _mm512_loadu_pd(im + g);
        /* half-span 1, then lane 3 of each half times i, then half-span 2 */
        __m512d ur = _mm512_fmadd_pd(_mm512_permutex_pd(r, 0xF5), pm_pm,
                                     _mm512_permutex_pd(r, 0xA0));
        __m512d ui = _mm512_fmadd_pd(_mm512_permutex_pd(i, 0xF5), pm_pm,
                                     _mm512_permutex_pd(i, 0xA0));
        __m512d vr = _mm512_mask_blend_pd(0x88, ur, _mm512_sub_pd(_mm512_setzero_pd(), ui));
        __m512d vi = _mm512_mask_blend_pd(0x88, ui, ur);
        r = _mm512_fmadd_pd(_mm512_permutex_pd(vr, 0xEE), pp_mm, _mm512_permutex_pd(vr, 0x44));
        i = _mm512_fmadd_pd(_mm512_permutex_pd(vi, 0xEE), pp_mm, _mm512_permutex_pd(vi, 0x44));
        /* half-span 4: t = b conj(w), then [a + t, a - t] */
        __m512d br = _mm512_shuffle_f64x2(r, r, 0xEE), bi = _mm512_shuffle_f64x2(i, i, 0xEE);
        __m512d tr = _mm512_fmadd_pd(br, wr, _mm512_mul_pd(bi, wi));
        __m512d ti = _mm512_fmsub_pd(bi, wr, _mm512_mul_pd(br, wi));
        _mm512_storeu_pd(re + g, _mm512_fmadd_pd(tr, pm_lohi, _mm512_shuffle_f64x2(r, r, 0x44)));
        _mm512_storeu_pd(im + g, _mm512_fmadd_pd(ti, pm_lohi, _mm512_shuffle_f64x2(i, i, 0x44)));
    }
}

/* The DIF stages from half-span h (a power of two >= 4) down. */
__attribute__((target("avx512f,avx2,fma")))
static void cc_fft_forward_from_avx512(ptrdiff_t n, ptrdiff_t h, double *restrict re,
                                       double *restrict im, const double *restrict twr,
                                       const double *restrict twi) {
    ptrdiff_t above = 0;    /* stages above the last three: log2(h) - 2 */
    for (ptrdiff_t k = h; k > 4; k >>= 1) ++above;
    if (above & 1) { cc_fft_dif2_avx512(n, h, re, im, twr, twi); h >>= 1; }
    for (; h >= 16; h >>= 2) cc_fft_dif4_avx512(n, h, re, im, twr, twi);
    cc_fft_dif_tail8_avx512(n, re, im, twr, twi);
}

__attribute__((target("avx512f,avx2,fma")))
static void cc_fft_forward_avx512(ptrdiff_t n, double *restrict re, double *restrict im,
                                  const double *restrict twr, const double *restrict twi) {
    if (n < 16) cc_fft_forward_avx2(n, re, im, twr, twi);
    else cc_fft_forward_from_avx512(n, n >> 1, re, im, twr, twi);
}

__attribute__((target("avx512f,avx2,fma")))
static void cc_fft_forward_real_half_avx512(ptrdiff_t n, double *restrict re,
                                            double *restrict im, const double *restrict twr,
                                            const double *restrict twi) {
    if (n < 32) {
        cc_fft_forward_real_half_avx2(n, re, im, twr, twi);
        return;
    }
    cc_fft_real_head_avx512(n, re, im, twr, twi);
    cc_fft_forward_from_avx512(n, n >> 3, re, im, twr, twi);
}

/* cc_fft_forward_real_scalar's algorithm (n >= 64) at one width: the first stage of the
 * half-length transform, its other stages, the splitting pass. */
#define CC_FFT_FORWARD_REAL(SFX, TARGET)                                              \
TARGET static void cc_fft_forward_real_##SFX(                                         \
        ptrdiff_t n, double *restrict re, double *restrict im, double *restrict scratch,\
        const double *restrict twr, const double *restrict twi,                       \
        const double *restrict twbr, const double *restrict twbi) {                   \
    const ptrdiff_t m = n >> 1, h = m >> 1;                                           \
    cc_fft_real_first_##SFX(h, re, scratch, scratch + m, twr, twi);                   \
    cc_fft_forward_from_##SFX(m, h >> 1, scratch, scratch + m, twr, twi);             \
    cc_fft_real_post_##SFX(m, scratch, scratch + m, re, im, twbr, twbi);              \
}
CC_FFT_FORWARD_REAL(avx2, __attribute__((target("avx2,fma"))))

__attribute__((target("avx2,fma")))
static void cc_fft_inverse_avx2(ptrdiff_t n, double *restrict re, double *restrict im,
                                const double *restrict twr, const double *restrict twi) {
    if (n >= 4) cc_fft_dit_head_avx2(n, re, im);
    else if (n == 2) cc_fft_dit_head(n, re, im);
    ptrdiff_t h = 4;
    for (; 2 * h < n; h <<= 2) cc_fft_dit4_avx2(n, h, re, im, twr, twi);
    if (h < n) cc_fft_dit2_avx2(n, h, re, im, twr, twi);
}

CC_FFT_FORWARD_REAL(avx512, __attribute__((target("avx512f,avx2,fma"))))

__attribute__((target("avx512f,avx2,fma")))
static void cc_fft_inverse_avx512(ptrdiff_t n, double *restrict re, double *restrict im,
                                  const double *restrict twr, const double *restrict twi) {
    if (n < 16) {
        cc_fft_inverse_avx2(n, re, im, twr, twi);
        return;
    }
    cc_fft_dit_head8_avx512(n, re, im, twr, twi);
    ptrdiff_t h = 8;
    for (; 2 * h < n; h <<= 2) cc_fft_dit4_avx512(n, h, re, im, twr, twi);
    if (h < n) cc_fft_dit2_avx512(n, h, re, im, twr, twi);
}
#else
#define CC_FFT_HAVE_AVX2 0
#define cc_fft_forward_avx2 cc_fft_forward_scalar
#define cc_fft_forward_real_half_avx2 cc_fft_forward_real_half_scalar
#define cc_fft_forward_real_avx2 cc_fft_forward_real_scalar
#define cc_fft_inverse_avx2 cc_fft_inverse_scalar
#define cc_fft_mul_avx2 cc_fft_mul_scalar
#define CC_FFT_HAVE_AVX512 0
#define cc_fft_forward_avx512 cc_fft_forward_scalar
#define cc_fft_forward_real_half_avx512 cc_fft_forward_real_half_scalar
#define cc_fft_forward_real_avx512 cc_fft_forward_real_scalar
#define cc_fft_inverse_avx512 cc_fft_inverse_scalar
#define cc_fft_mul_avx512 cc_fft_mul_scalar
#endif

/* Moving blocks in and out of the transform, for float64 (f64) and float32 (f32)
 * signals: cc_fft_pack_* copies len values into dest[0:len] as doubles and zeros
 * dest[len:n], returning whether a value is NaN or infinite, with the largest
 * magnitude in *amax (meaningful only when none is); cc_fft_add_* adds piece[t] * scale onto out[t] (rounded to the
 * signal's type). Written once per type by a macro; the AVX2 builds below do the
 * same operations four at a time. */
#define CC_FFT_IO_SCALAR(SUF, T)                                                      \
static int cc_fft_pack_##SUF##_scalar(double *restrict dest, const T *restrict x,      \
                                      ptrdiff_t len, ptrdiff_t n, double *amax) {     \
    double m = 0.0; int bad = 0;                                                      \
    for (ptrdiff_t t = 0; t < len; ++t) {                                             \
        double v = (double)x[t], a = fabs(v);                                         \
        dest[t] = v;                                                                  \
        bad |= !(a <= DBL_MAX);                                                       \
        m = a > m ? a : m;                                                            \
    }                                                                                 \
    for (ptrdiff_t t = len; t < n; ++t) dest[t] = 0.0;                                \
    *amax = m;                                                                        \
    return bad;                                                                       \
}                                                                                     \
static void cc_fft_add_##SUF##_scalar(T *restrict out, const double *restrict piece,  \
                                      ptrdiff_t len, double scale) {                  \
    for (ptrdiff_t t = 0; t < len; ++t) out[t] += (T)(piece[t] * scale);              \
}
CC_FFT_IO_SCALAR(f64, double)
CC_FFT_IO_SCALAR(f32, float)

#if CC_FFT_HAVE_AVX2
/* Loads of four T as doubles. */
#define CC_LOAD4_f64(p) _mm256_loadu_pd(p)
#define CC_LOAD4_f32(p) _mm256_cvtps_pd(_mm_loadu_ps(p))
#define CC_FFT_IO_AVX2(SUF, T)                                                        \
__attribute__((target("avx2,fma")))                                                   \
static int cc_fft_pack_##SUF##_avx2(double *restrict dest, const T *restrict x,        \
                                    ptrdiff_t len, ptrdiff_t n, double *amax) {       \
    const __m256d sign = _mm256_set1_pd(-0.0), big = _mm256_set1_pd(DBL_MAX);        \
    __m256d m = _mm256_setzero_pd(), bad = _mm256_setzero_pd();                       \
    ptrdiff_t t = 0;                                                                  \
    for (; t + 4 <= len; t += 4) {                                                    \
        __m256d v = CC_LOAD4_##SUF(x + t), a = _mm256_andnot_pd(sign, v);             \
        _mm256_storeu_pd(dest + t, v);                                                \
        bad = _mm256_or_pd(bad, _mm256_cmp_pd(a, big, _CMP_NLE_UQ));                  \
        m = _mm256_max_pd(a, m);       /* a NaN lane keeps m: flagged in bad */       \
    }                                                                                 \
    double lanes[4], rest;                                                            \
    _mm256_storeu_pd(lanes, m);                                                       \
    int flag = _mm256_movemask_pd(bad) != 0;                                          \
    flag |= cc_fft_pack_##SUF##_scalar(dest + t, x + t, len - t, n - t, &rest);      \
    double best = rest;                                                               \
    for (int k = 0; k < 4; ++k) best = lanes[k] > best ? lanes[k] : best;             \
    *amax = best;                                                                     \
    return flag;                                                                      \
}                                                                                     \
__attribute__((target("avx2,fma")))                                                   \
static void cc_fft_add_##SUF##_avx2(T *restrict out, const double *restrict piece,    \
                                    ptrdiff_t len, double scale) {                    \
    const __m256d s = _mm256_set1_pd(scale);                                          \
    ptrdiff_t t = 0;                                                                  \
    for (; t + 4 <= len; t += 4) CC_ADD4_##SUF(out + t, piece + t, s);                \
    cc_fft_add_##SUF##_scalar(out + t, piece + t, len - t, scale);                    \
}
#define CC_ADD4_f64(o, p, s)                                                          \
    _mm256_storeu_pd(o, _mm256_add_pd(_mm256_loadu_pd(o),                             \
                                      _mm256_mul_pd(_mm256_loadu_pd(p), s)))
/* float32: round the scaled piece to float first, then add in float, as the scalar
 * loop does. */
#define CC_ADD4_f32(o, p, s)                                                          \
    _mm_storeu_ps(o, _mm_add_ps(_mm_loadu_ps(o),                                      \
                                _mm256_cvtpd_ps(_mm256_mul_pd(_mm256_loadu_pd(p), s))))
CC_FFT_IO_AVX2(f64, double)
CC_FFT_IO_AVX2(f32, float)
#else
#define cc_fft_pack_f64_avx2 cc_fft_pack_f64_scalar
#define cc_fft_pack_f32_avx2 cc_fft_pack_f32_scalar
#define cc_fft_add_f64_avx2 cc_fft_add_f64_scalar
#define cc_fft_add_f32_avx2 cc_fft_add_f32_scalar
#endif

static inline int cc_fft_pack_f64(double *dest, const double *x, ptrdiff_t len, ptrdiff_t n,
                                  double *amax, int avx2) {
    return avx2 ? cc_fft_pack_f64_avx2(dest, x, len, n, amax)
                : cc_fft_pack_f64_scalar(dest, x, len, n, amax);
}
static inline int cc_fft_pack_f32(double *dest, const float *x, ptrdiff_t len, ptrdiff_t n,
                                  double *amax, int avx2) {
    return avx2 ? cc_fft_pack_f32_avx2(dest, x, len, n, amax)
                : cc_fft_pack_f32_scalar(dest, x, len, n, amax);
}
static inline void cc_fft_add_f64(double *out, const double *piece, ptrdiff_t len,
                                  double scale, int avx2) {
    if (avx2) cc_fft_add_f64_avx2(out, piece, len, scale);
    else cc_fft_add_f64_scalar(out, piece, len, scale);
}
static inline void cc_fft_add_f32(float *out, const double *piece, ptrdiff_t len,
                                  double scale, int avx2) {
    if (avx2) cc_fft_add_f32_avx2(out, piece, len, scale);
    else cc_fft_add_f32_scalar(out, piece, len, scale);
}

/* Entry points. simd: 0 the scalar build, 1 AVX2+FMA, 2 AVX-512F (its transforms and
 * products; packing and adding stay AVX2), each taken when it was compiled in (the
 * caller checks the CPU). n is a power of two >= 1. */
#define CC_FFT_PICK(simd, name, args)                                                 \
    do {                                                                              \
        if ((simd) >= 2 && CC_FFT_HAVE_AVX512) name##_avx512 args;                    \
        else if ((simd) && CC_FFT_HAVE_AVX2) name##_avx2 args;                        \
        else name##_scalar args;                                                      \
    } while (0)
static inline void cc_fft_forward(ptrdiff_t n, double *re, double *im, const double *twr,
                                  const double *twi, int simd) {
    CC_FFT_PICK(simd, cc_fft_forward, (n, re, im, twr, twi));
}
/* A real signal in re[0:n/2], n >= 16; re[n/2:] and im need not be set. */
static inline void cc_fft_forward_real_half(ptrdiff_t n, double *re, double *im,
                                            const double *twr, const double *twi, int simd) {
    CC_FFT_PICK(simd, cc_fft_forward_real_half, (n, re, im, twr, twi));
}
/* A real signal in re[0:n/2] (n >= 16) by a transform of n/2 points: the same
 * spectrum as cc_fft_forward_real_half, in about half its operations; scratch holds n
 * doubles, twb n (cc_fft_real_twiddles' real parts, then imaginary). Below 64 points,
 * cc_fft_forward_real_half (every build the same way, so the builds' bits agree). */
static inline void cc_fft_forward_real(ptrdiff_t n, double *re, double *im, double *scratch,
                                       const double *twr, const double *twi,
                                       const double *twb, int simd) {
    if (n < 64)
        cc_fft_forward_real_half(n, re, im, twr, twi, simd);
    else
        CC_FFT_PICK(simd, cc_fft_forward_real,
                    (n, re, im, scratch, twr, twi, twb, twb + n / 2));
}
static inline void cc_fft_inverse(ptrdiff_t n, double *re, double *im, const double *twr,
                                  const double *twi, int simd) {
    CC_FFT_PICK(simd, cc_fft_inverse, (n, re, im, twr, twi));
}
static inline void cc_fft_mul(ptrdiff_t n, const double *zr, const double *zi,
                              const double *sr, const double *si, double *outr,
                              double *outi, int simd) {
    CC_FFT_PICK(simd, cc_fft_mul, (n, zr, zi, sr, si, outr, outi));
}

#endif /* CC_FFT_H */
