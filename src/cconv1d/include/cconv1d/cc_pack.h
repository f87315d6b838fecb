/* cc_pack.h -- packing: a padded row split into stride phases (the forward's), and a
 * block of dy transposed (the weight gradient's).
 *
 * Phase r of a row of n samples holds row[r], row[r + s], row[r + 2s], ...: row r of
 * the result starts at dst + r * pitch. Strides 2, 3 and 4 get loops with a constant
 * stride, which compilers vectorise with shuffles of the baseline instruction set (SSE2,
 * NEON): 70-150 ns per 1030-sample float row against 590-920 ns for the same loop with
 * the stride a variable (measured on Zen 4, GCC 12 -O3); at stride 4 that loop took a
 * fifth of a 64-channel layer's forward. Rows past n (a stride longer than the row)
 * and past ``keep`` are left alone.
 */
#ifndef CCONV1D_CC_PACK_H
#define CCONV1D_CC_PACK_H

#include <stddef.h>
#include "cc_common.h"

/* One loop per constant stride S and count P <= S of the phases kept: whole groups of
 * S samples, then the last partial one. */
#define CC_SPLIT_FIXED(S, P)                                                              \
    for (m = 0; m < n / (S); ++m)                                                         \
        for (r = 0; r < (P); ++r) dst[r * pitch + m] = row[m * (S) + r];                  \
    for (r = 0; r < n % (S) && r < (P); ++r) dst[r * pitch + n / (S)] = row[n - n % (S) + r];

/* Phases r < keep only (a kernel's span shorter than the stride reads no others: a
 * 2-tap stride-4 layer had packed, and kept in cache, twice the rows it reads). */
#define CC_SPLIT_DEF(T, SFX)                                                              \
    static void cc_split_phases_##SFX(const T *CC_RESTRICT row, T *CC_RESTRICT dst,      \
                                      ptrdiff_t n, ptrdiff_t s, ptrdiff_t keep,           \
                                      ptrdiff_t pitch) {                                  \
        ptrdiff_t m, r;                                                                   \
        if (keep > s) keep = s;                                                           \
        if (s == 2 && keep == 2) {                                                        \
            CC_SPLIT_FIXED(2, 2)                                                          \
        } else if (s == 2) {                                                              \
            CC_SPLIT_FIXED(2, 1)                                                          \
        } else if (s == 3 && keep == 3) {                                                 \
            CC_SPLIT_FIXED(3, 3)                                                          \
        } else if (s == 3 && keep == 2) {                                                 \
            CC_SPLIT_FIXED(3, 2)                                                          \
        } else if (s == 3) {                                                              \
            CC_SPLIT_FIXED(3, 1)                                                          \
        } else if (s == 4 && keep == 4) {                                                 \
            CC_SPLIT_FIXED(4, 4)                                                          \
        } else if (s == 4 && keep == 3) {                                                 \
            CC_SPLIT_FIXED(4, 3)                                                          \
        } else if (s == 4 && keep == 2) {                                                 \
            CC_SPLIT_FIXED(4, 2)                                                          \
        } else if (s == 4) {                                                              \
            CC_SPLIT_FIXED(4, 1)                                                          \
        } else {                                                                          \
            for (r = 0; r < keep && r < n; ++r)                                           \
                for (m = 0; m < (n - r + s - 1) / s; ++m) dst[r * pitch + m] = row[m * s + r]; \
        }                                                                                 \
    }
CC_SPLIT_DEF(float, f32)
CC_SPLIT_DEF(double, f64)
#undef CC_SPLIT_DEF
#undef CC_SPLIT_FIXED

/* The weight gradient's dy panel (wgemm): dst[j*ldt + o] = dy[o*ldy + j] for o < cols,
 * j < n, and zero for cols <= o < ldt. In square blocks of one 16-byte vector (4 float
 * or 2 double channels x as many positions), transposed in registers with the baseline
 * instruction set (SSE2 on x86-64, NEON on aarch64): reads and writes both run along
 * lines, a vector at a time. A position-major scalar loop read `cols` rows a sample at
 * a time and took 1.5x (L2-resident dy) to 2x (dy from memory) as long; a channel-major
 * one wrote a sample per line. */
#if defined(__SSE2__) || defined(_M_X64) || (defined(_M_IX86_FP) && _M_IX86_FP >= 2)
#include <emmintrin.h>
#define CC_T_SSE2 1
#define CC_T_NEON 0
#elif defined(__aarch64__) || defined(_M_ARM64)
#include <arm_neon.h>
#define CC_T_SSE2 0
#define CC_T_NEON 1
#else
#define CC_T_SSE2 0
#define CC_T_NEON 0
#endif

/* out[a*ldt + b] = src[b*ldy + a], a, b < 4 */
static CC_ALWAYS_INLINE void cc_t_block_f32(const float *CC_RESTRICT src, ptrdiff_t ldy,
                                            float *CC_RESTRICT out, ptrdiff_t ldt) {
#if CC_T_SSE2
    __m128 r0 = _mm_loadu_ps(src), r1 = _mm_loadu_ps(src + ldy);
    __m128 r2 = _mm_loadu_ps(src + 2 * ldy), r3 = _mm_loadu_ps(src + 3 * ldy);
    _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
    _mm_storeu_ps(out, r0);
    _mm_storeu_ps(out + ldt, r1);
    _mm_storeu_ps(out + 2 * ldt, r2);
    _mm_storeu_ps(out + 3 * ldt, r3);
#elif CC_T_NEON
    const float32x4x2_t p = vtrnq_f32(vld1q_f32(src), vld1q_f32(src + ldy));
    const float32x4x2_t q = vtrnq_f32(vld1q_f32(src + 2 * ldy), vld1q_f32(src + 3 * ldy));
    vst1q_f32(out, vcombine_f32(vget_low_f32(p.val[0]), vget_low_f32(q.val[0])));
    vst1q_f32(out + ldt, vcombine_f32(vget_low_f32(p.val[1]), vget_low_f32(q.val[1])));
    vst1q_f32(out + 2 * ldt, vcombine_f32(vget_high_f32(p.val[0]), vget_high_f32(q.val[0])));
    vst1q_f32(out + 3 * ldt, vcombine_f32(vget_high_f32(p.val[1]), vget_high_f32(q.val[1])));
#else
    ptrdiff_t a, b;
    for (a = 0; a < 4; ++a)
        for (b = 0; b < 4; ++b) out[a * ldt + b] = src[b * ldy + a];
#endif
}

/* out[a*ldt + b] = src[b*ldy + a], a, b < 2 */
static CC_ALWAYS_INLINE void cc_t_block_f64(const double *CC_RESTRICT src, ptrdiff_t ldy,
                                            double *CC_RESTRICT out, ptrdiff_t ldt) {
#if CC_T_SSE2
    const __m128d r0 = _mm_loadu_pd(src), r1 = _mm_loadu_pd(src + ldy);
    _mm_storeu_pd(out, _mm_unpacklo_pd(r0, r1));
    _mm_storeu_pd(out + ldt, _mm_unpackhi_pd(r0, r1));
#elif CC_T_NEON
    const float64x2_t r0 = vld1q_f64(src), r1 = vld1q_f64(src + ldy);
    vst1q_f64(out, vzip1q_f64(r0, r1));
    vst1q_f64(out + ldt, vzip2q_f64(r0, r1));
#else
    out[0] = src[0];
    out[1] = src[ldy];
    out[ldt] = src[1];
    out[ldt + 1] = src[ldy + 1];
#endif
}

#define CC_TRANSPOSE_DEF(T, NAME, ATTR, BLOCK, B)                                         \
    ATTR static void NAME(const T *CC_RESTRICT dy, ptrdiff_t ldy, ptrdiff_t cols,           \
                          ptrdiff_t n, T *CC_RESTRICT dst, ptrdiff_t ldt) {                 \
        ptrdiff_t j = 0, o, a;                                                            \
        for (; j + (B) <= n; j += (B)) {                                                  \
            for (o = 0; o + (B) <= cols; o += (B))                                        \
                BLOCK(dy + o * ldy + j, ldy, dst + j * ldt + o, ldt);                     \
            for (; o < ldt; ++o)                                                          \
                for (a = 0; a < (B); ++a)                                                 \
                    dst[(j + a) * ldt + o] = o < cols ? dy[o * ldy + j + a] : (T)0;       \
        }                                                                                 \
        for (; j < n; ++j)                                                                \
            for (o = 0; o < ldt; ++o) dst[j * ldt + o] = o < cols ? dy[o * ldy + j] : (T)0; \
    }
CC_TRANSPOSE_DEF(float, cc_pack_transposed_f32_base, , cc_t_block_f32, 4)
CC_TRANSPOSE_DEF(double, cc_pack_transposed_f64_base, , cc_t_block_f64, 2)

/* 256-bit blocks where the CPU has AVX2 (wgemm runs on the AVX-512 path only, so there
 * it always does): 8 float channels x 8 positions (4 x 4 double). Half of each block's
 * rows come in as the upper 128-bit lane of a load (vinsertf128 from memory: a load and
 * a blend-port uop, no shuffle), so each lane holds a 4 x 4 transpose, done by two
 * rounds of in-lane shuffles: 16 shuffles per 64 floats where the SSE2 4 x 4 blocks
 * take 32, and 256-bit stores. The SSE2 blocks were a sixth of a 32-channel layer's
 * weight gradient on Sapphire Rapids (96 pairs per transposed dy value). */
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define CC_T_AVX2_TARGET __attribute__((target("avx2")))
#define CC_T_LOAD2(lo, hi) \
    _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(lo)), _mm_loadu_ps(hi), 1)
/* out[a*ldt + b] = src[b*ldy + a], a, b < 8 */
CC_T_AVX2_TARGET static inline void cc_t8_block_f32(const float *CC_RESTRICT src,
                                                    ptrdiff_t ldy, float *CC_RESTRICT out,
                                                    ptrdiff_t ldt) {
    int h;
    for (h = 0; h < 8; h += 4) {   /* positions h..h+3: rows b in the low lane, b+4 high */
        const __m256 r0 = CC_T_LOAD2(src + h, src + 4 * ldy + h);
        const __m256 r1 = CC_T_LOAD2(src + ldy + h, src + 5 * ldy + h);
        const __m256 r2 = CC_T_LOAD2(src + 2 * ldy + h, src + 6 * ldy + h);
        const __m256 r3 = CC_T_LOAD2(src + 3 * ldy + h, src + 7 * ldy + h);
        const __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
        const __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
        _mm256_storeu_ps(out + h * ldt, _mm256_shuffle_ps(t0, t2, 0x44));
        _mm256_storeu_ps(out + (h + 1) * ldt, _mm256_shuffle_ps(t0, t2, 0xEE));
        _mm256_storeu_ps(out + (h + 2) * ldt, _mm256_shuffle_ps(t1, t3, 0x44));
        _mm256_storeu_ps(out + (h + 3) * ldt, _mm256_shuffle_ps(t1, t3, 0xEE));
    }
}
/* out[a*ldt + b] = src[b*ldy + a], a, b < 4 */
CC_T_AVX2_TARGET static inline void cc_t4_block_f64(const double *CC_RESTRICT src,
                                                    ptrdiff_t ldy, double *CC_RESTRICT out,
                                                    ptrdiff_t ldt) {
    int h;
    for (h = 0; h < 4; h += 2) {   /* positions h, h+1: rows 0-1 in the low lane, 2-3 high */
        const __m256d r0 = _mm256_insertf128_pd(
            _mm256_castpd128_pd256(_mm_loadu_pd(src + h)), _mm_loadu_pd(src + 2 * ldy + h), 1);
        const __m256d r1 = _mm256_insertf128_pd(
            _mm256_castpd128_pd256(_mm_loadu_pd(src + ldy + h)),
            _mm_loadu_pd(src + 3 * ldy + h), 1);
        _mm256_storeu_pd(out + h * ldt, _mm256_unpacklo_pd(r0, r1));
        _mm256_storeu_pd(out + (h + 1) * ldt, _mm256_unpackhi_pd(r0, r1));
    }
}
CC_TRANSPOSE_DEF(float, cc_pack_transposed_f32_avx2, CC_T_AVX2_TARGET, cc_t8_block_f32, 8)
CC_TRANSPOSE_DEF(double, cc_pack_transposed_f64_avx2, CC_T_AVX2_TARGET, cc_t4_block_f64, 4)
#undef CC_T_LOAD2
#undef CC_T_AVX2_TARGET
#define CC_T_HAVE_AVX2 1
#else
#define CC_T_HAVE_AVX2 0
#endif

/* The weight gradient's sums of one pair block straight into dW (wgemm with one call
 * per entry): dw[o*ldw + qpos[r]] = (T)strip[r*ld + o] for o < n_o, r < rows. As it
 * passes each dW row it requests that row's lines at columns next0 and next1 (the next
 * pair block's, or -1: none) for writing: a block writes one line in each of hundreds
 * of rows, too far apart for the hardware prefetchers (the stores waited on every line
 * from memory: the float64 strips cost more than the transposed accumulators they
 * replace), and the next block's sums take long enough for the lines to arrive. */
#if defined(__GNUC__) || defined(__clang__)
#define CC_PK_PREFETCH_W(p) __builtin_prefetch((p), 1, 3)
#elif defined(_M_X64) || defined(_M_IX86)
#include <xmmintrin.h>
#define CC_PK_PREFETCH_W(p) _mm_prefetch((const char *)(p), _MM_HINT_T0)
#else
#define CC_PK_PREFETCH_W(p) ((void)(p))
#endif
#define CC_STRIP_DEF(T, SFX)                                                              \
    static inline void cc_strip_out_##SFX(const double *CC_RESTRICT strip, ptrdiff_t ld,  \
                                          const ptrdiff_t *qpos, ptrdiff_t rows,          \
                                          T *CC_RESTRICT dw, ptrdiff_t ldw, ptrdiff_t n_o, \
                                          ptrdiff_t next0, ptrdiff_t next1) {             \
        ptrdiff_t o, r;                                                                   \
        for (o = 0; o < n_o; ++o) {                                                       \
            T *row = dw + o * ldw;                                                        \
            if (next0 >= 0) {                                                             \
                CC_PK_PREFETCH_W(row + next0);                                            \
                CC_PK_PREFETCH_W(row + next1);                                            \
            }                                                                             \
            for (r = 0; r < rows; ++r) row[qpos[r]] = (T)strip[r * ld + o];               \
        }                                                                                 \
    }
CC_STRIP_DEF(float, f32)
CC_STRIP_DEF(double, f64)
#undef CC_STRIP_DEF
#undef CC_PK_PREFETCH_W

/* ``wide``: the CPU has AVX2 (the caller knows its kernel path); ignored elsewhere. */
#if CC_T_HAVE_AVX2
#define CC_T_WIDE(SFX) if (wide) { cc_pack_transposed_##SFX##_avx2(dy, ldy, cols, n, dst, ldt); return; }
#else
#define CC_T_WIDE(SFX)
#endif
#define CC_DISPATCH_DEF(T, SFX)                                                           \
    static inline void cc_pack_transposed_##SFX(const T *dy, ptrdiff_t ldy, ptrdiff_t cols, \
                                                ptrdiff_t n, T *dst, ptrdiff_t ldt,       \
                                                int wide) {                               \
        CC_T_WIDE(SFX)                                                                    \
        (void)wide;                                                                       \
        cc_pack_transposed_##SFX##_base(dy, ldy, cols, n, dst, ldt);                      \
    }
CC_DISPATCH_DEF(float, f32)
CC_DISPATCH_DEF(double, f64)
#undef CC_DISPATCH_DEF
#undef CC_T_WIDE
#undef CC_TRANSPOSE_DEF
#undef CC_T_SSE2
#undef CC_T_NEON

#endif /* CCONV1D_CC_PACK_H */
