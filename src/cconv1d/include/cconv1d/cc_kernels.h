/* cc_kernels.h -- the compute kernels of cconv1d and their run-time dispatch.
 *
 * Three indirect kernels (see the .inc.h files for their contracts), each written once
 * per instruction set and instantiated for float and double by including the template
 * twice (PyWavelets' convolution.template.c does the same):
 *   cc_igemm_<t>  CC_MR output rows x CC_NR positions: dense, grouped, strided (polyphase)
 *                 conv1d and the input gradient;
 *   cc_irow_<t>   one long output row: depthwise, single-channel and signal convolution;
 *   cc_wgrad_<t>  4 x 3 block of the weight gradient;
 *   cc_rowsum_<t> a row summed in double (the bias gradient).
 * cc_kernels_select() fills cc_kernels_f32 / cc_kernels_f64 with the best path the CPU
 * runs (or a forced lower one).
 */
#ifndef CCONV1D_CC_KERNELS_H
#define CCONV1D_CC_KERNELS_H

#include <stddef.h>
#include <string.h>
#include "cc_common.h"
#include "cc_cpu.h"

#define CC_MR 4         /* igemm tile: CC_MR output rows x CC_NR positions (3 vectors) */
#define CC_WBLOCK 512   /* positions summed in working precision before a double flush */
#define CC_CAT_(a, b, c) a##_##b##_##c
#define CC_CAT(a, b, c) CC_CAT_(a, b, c)
#define CC_FN(base, isa) CC_CAT(base, CC_SFX, isa)

#if CC_X86 && (defined(__GNUC__) || defined(__clang__))
#define CC_TARGET_AVX2 __attribute__((target("avx2,fma")))
#define CC_HAVE_AVX2_BUILD 1
#elif CC_X86 && defined(_MSC_VER)
#define CC_TARGET_AVX2
#define CC_HAVE_AVX2_BUILD 1
#else
#define CC_HAVE_AVX2_BUILD 0
#endif
#if CC_HAVE_AVX2_BUILD
#include <immintrin.h>
#endif

/* ---- float ---- */
#define CC_T float
#define CC_SFX f32
#define CC_NR 24
#define CC_NR_SCALAR CC_NR
#include "cc_kernels_scalar.inc.h"
#if CC_HAVE_AVX2_BUILD
#define CC_V __m256
#define CC_VLEN 8
#define CC_LOADU _mm256_loadu_ps
#define CC_STOREU _mm256_storeu_ps
#define CC_FMA _mm256_fmadd_ps
#define CC_BCAST _mm256_broadcast_ss
#define CC_SET1 _mm256_set1_ps
#define CC_ZERO _mm256_setzero_ps
/* Eight float lanes summed pairwise into four doubles. */
#define CC_WIDEN(v) _mm256_add_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(v)), \
                                  _mm256_cvtps_pd(_mm256_extractf128_ps((v), 1)))
#include "cc_kernels_avx2.inc.h"
#undef CC_WIDEN
#undef CC_V
#undef CC_VLEN
#undef CC_LOADU
#undef CC_STOREU
#undef CC_FMA
#undef CC_BCAST
#undef CC_SET1
#undef CC_ZERO
#endif
#undef CC_T
#undef CC_SFX
#undef CC_NR
#undef CC_NR_SCALAR

/* ---- double ---- */
#define CC_T double
#define CC_SFX f64
#define CC_NR 12
#define CC_NR_SCALAR CC_NR
#include "cc_kernels_scalar.inc.h"
#if CC_HAVE_AVX2_BUILD
#define CC_V __m256d
#define CC_VLEN 4
#define CC_LOADU _mm256_loadu_pd
#define CC_STOREU _mm256_storeu_pd
#define CC_FMA _mm256_fmadd_pd
#define CC_BCAST _mm256_broadcast_sd
#define CC_SET1 _mm256_set1_pd
#define CC_ZERO _mm256_setzero_pd
#define CC_WIDEN(v) (v)
#include "cc_kernels_avx2.inc.h"
#undef CC_WIDEN
#undef CC_V
#undef CC_VLEN
#undef CC_LOADU
#undef CC_STOREU
#undef CC_FMA
#undef CC_BCAST
#undef CC_SET1
#undef CC_ZERO
#endif
#undef CC_T
#undef CC_SFX
#undef CC_NR
#undef CC_NR_SCALAR

#define CC_NR_F32 24
#define CC_NR_F64 12

/* ---- dispatch tables ---- */
#define CC_TABLE(T, SFX)                                                                  \
    typedef struct {                                                                      \
        void (*igemm)(const T *, const ptrdiff_t *, ptrdiff_t, const T *, T *, ptrdiff_t, \
                      ptrdiff_t, ptrdiff_t, int, const T *);                              \
        void (*irow)(const T *, const ptrdiff_t *, ptrdiff_t, const T *, T *, ptrdiff_t,  \
                     int, T);                                                             \
        void (*wgrad)(const T *, ptrdiff_t, ptrdiff_t, const T *, const ptrdiff_t *,      \
                      ptrdiff_t, ptrdiff_t, double *, ptrdiff_t);                         \
        double (*rowsum)(const T *, ptrdiff_t);                                           \
    } cc_kernels_##SFX##_t;
CC_TABLE(float, f32)
CC_TABLE(double, f64)

static cc_kernels_f32_t cc_kernels_f32 = {cc_igemm_f32_scalar, cc_irow_f32_scalar,
                                          cc_wgrad_f32_scalar, cc_rowsum_f32_scalar};
static cc_kernels_f64_t cc_kernels_f64 = {cc_igemm_f64_scalar, cc_irow_f64_scalar,
                                          cc_wgrad_f64_scalar, cc_rowsum_f64_scalar};
static int cc_kernels_simd = CC_SIMD_SCALAR;

/* Use `wanted` (CC_SIMD_*) if this CPU runs it, else the best lower path; returns the
 * path chosen. A negative `wanted` means "the best available". */
static int cc_kernels_select(int wanted) {
    int best = cc_cpu_best_simd();
    int use = (wanted < 0 || wanted > best) ? best : wanted;
#if CC_HAVE_AVX2_BUILD
    if (use == CC_SIMD_AVX2) {
        cc_kernels_f32.igemm = cc_igemm_f32_avx2;
        cc_kernels_f32.irow = cc_irow_f32_avx2;
        cc_kernels_f32.wgrad = cc_wgrad_f32_avx2;
        cc_kernels_f64.igemm = cc_igemm_f64_avx2;
        cc_kernels_f64.irow = cc_irow_f64_avx2;
        cc_kernels_f64.wgrad = cc_wgrad_f64_avx2;
        cc_kernels_f32.rowsum = cc_rowsum_f32_avx2;
        cc_kernels_f64.rowsum = cc_rowsum_f64_avx2;
        cc_kernels_simd = CC_SIMD_AVX2;
        return cc_kernels_simd;
    }
#endif
    cc_kernels_f32.igemm = cc_igemm_f32_scalar;
    cc_kernels_f32.irow = cc_irow_f32_scalar;
    cc_kernels_f32.wgrad = cc_wgrad_f32_scalar;
    cc_kernels_f64.igemm = cc_igemm_f64_scalar;
    cc_kernels_f64.irow = cc_irow_f64_scalar;
    cc_kernels_f64.wgrad = cc_wgrad_f64_scalar;
    cc_kernels_f32.rowsum = cc_rowsum_f32_scalar;
    cc_kernels_f64.rowsum = cc_rowsum_f64_scalar;
    cc_kernels_simd = CC_SIMD_SCALAR;
    return cc_kernels_simd;
}

#endif /* CCONV1D_CC_KERNELS_H */
