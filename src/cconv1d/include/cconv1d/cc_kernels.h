/* cc_kernels.h -- the compute kernels of cconv1d, one descriptor per SIMD path.
 *
 * Included by exactly one extension module, cconv1d._kernels, which owns the registry
 * (every other module sees only cc_registry.h and asks _kernels for the active
 * descriptor). Each instruction set's kernels are written once, in cc_kernels_<isa>.inc.h,
 * and instantiated for float and double by including the file twice with CC_T and
 * CC_SFX defined (PyWavelets' convolution.template.c does the same); CC_MR and CC_NR are
 * that instantiation's register tile and are recorded in its descriptor, which is all the
 * planners read.
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

#define CC_WBLOCK 512   /* positions summed in working precision before a double flush */
#define CC_CAT_(a, b, c) a##_##b##_##c
#define CC_CAT(a, b, c) CC_CAT_(a, b, c)
#define CC_FN(base, isa) CC_CAT(base, CC_SFX, isa)

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
#if CC_ARM64
#include <arm_neon.h>
#define CC_HAVE_NEON_BUILD 1
#else
#define CC_HAVE_NEON_BUILD 0
#endif

/* ---- scalar: 4 rows x 24 float / 12 double positions ---- */
#define CC_MR 4
#define CC_T float
#define CC_SFX f32
#define CC_NR 24
#include "cc_kernels_scalar.inc.h"
#undef CC_T
#undef CC_SFX
#undef CC_NR
#define CC_T double
#define CC_SFX f64
#define CC_NR 12
#include "cc_kernels_scalar.inc.h"
#undef CC_T
#undef CC_SFX
#undef CC_NR
#undef CC_MR

/* ---- AVX2 + FMA: 4 rows x 3 vectors of 8 float / 4 double ---- */
#if CC_HAVE_AVX2_BUILD
#define CC_MR 4
#define CC_T float
#define CC_SFX f32
#define CC_NR 24
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
/* One fused multiply-add on scalars: the same rounding as a vector lane's. */
#define CC_FMA1(a, b, c) _mm_cvtss_f32(_mm_fmadd_ss(_mm_set_ss(a), _mm_set_ss(b), _mm_set_ss(c)))
#include "cc_kernels_avx2.inc.h"
#undef CC_FMA1
#undef CC_WIDEN
#undef CC_V
#undef CC_VLEN
#undef CC_LOADU
#undef CC_STOREU
#undef CC_FMA
#undef CC_BCAST
#undef CC_SET1
#undef CC_ZERO
#undef CC_T
#undef CC_SFX
#undef CC_NR
#define CC_T double
#define CC_SFX f64
#define CC_NR 12
#define CC_V __m256d
#define CC_VLEN 4
#define CC_LOADU _mm256_loadu_pd
#define CC_STOREU _mm256_storeu_pd
#define CC_FMA _mm256_fmadd_pd
#define CC_BCAST _mm256_broadcast_sd
#define CC_SET1 _mm256_set1_pd
#define CC_ZERO _mm256_setzero_pd
#define CC_WIDEN(v) (v)
#define CC_FMA1(a, b, c) _mm_cvtsd_f64(_mm_fmadd_sd(_mm_set_sd(a), _mm_set_sd(b), _mm_set_sd(c)))
#include "cc_kernels_avx2.inc.h"
#undef CC_FMA1
#undef CC_WIDEN
#undef CC_V
#undef CC_VLEN
#undef CC_LOADU
#undef CC_STOREU
#undef CC_FMA
#undef CC_BCAST
#undef CC_SET1
#undef CC_ZERO
#undef CC_T
#undef CC_SFX
#undef CC_NR
#undef CC_MR
#endif

/* ---- AVX-512F: 8 rows x 3 vectors of 16 float / 8 double ---- */
#if CC_HAVE_AVX512_BUILD
#define CC_MR 8
#define CC_T float
#define CC_SFX f32
#define CC_NR 48
#define CC_V __m512
#define CC_VLEN 16
#define CC_MTYPE __mmask16
#define CC_LOADU _mm512_loadu_ps
#define CC_STOREU _mm512_storeu_ps
#define CC_MLOAD(m, p) _mm512_maskz_loadu_ps((m), (p))
#define CC_MSTORE(p, m, v) _mm512_mask_storeu_ps((p), (m), (v))
#define CC_FMA _mm512_fmadd_ps
#define CC_SET1 _mm512_set1_ps
#define CC_ZERO _mm512_setzero_ps
/* Sixteen float lanes widened to two double vectors before they are added. */
#define CC_LO_PD(v) _mm512_cvtps_pd(_mm512_castps512_ps256(v))
#define CC_HI_PD(v) _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)))
#define CC_WIDEN_ADD(t, v) ((t) = _mm512_add_pd((t), _mm512_add_pd(CC_LO_PD(v), CC_HI_PD(v))))
#define CC_WIDEN_ADD2(sa, sb, v) ((sa) = _mm512_add_pd((sa), CC_LO_PD(v)), \
                                  (sb) = _mm512_add_pd((sb), CC_HI_PD(v)))
#include "cc_kernels_avx512.inc.h"
#undef CC_LO_PD
#undef CC_HI_PD
#undef CC_WIDEN_ADD
#undef CC_WIDEN_ADD2
#undef CC_V
#undef CC_VLEN
#undef CC_MTYPE
#undef CC_LOADU
#undef CC_STOREU
#undef CC_MLOAD
#undef CC_MSTORE
#undef CC_FMA
#undef CC_SET1
#undef CC_ZERO
#undef CC_T
#undef CC_SFX
#undef CC_NR
#define CC_T double
#define CC_SFX f64
#define CC_NR 24
#define CC_V __m512d
#define CC_VLEN 8
#define CC_MTYPE __mmask8
#define CC_LOADU _mm512_loadu_pd
#define CC_STOREU _mm512_storeu_pd
#define CC_MLOAD(m, p) _mm512_maskz_loadu_pd((m), (p))
#define CC_MSTORE(p, m, v) _mm512_mask_storeu_pd((p), (m), (v))
#define CC_FMA _mm512_fmadd_pd
#define CC_SET1 _mm512_set1_pd
#define CC_ZERO _mm512_setzero_pd
#define CC_WIDEN_ADD(t, v) ((t) = _mm512_add_pd((t), (v)))
#define CC_WIDEN_ADD2(sa, sb, v) ((sa) = _mm512_add_pd((sa), (v)))
#include "cc_kernels_avx512.inc.h"
#undef CC_WIDEN_ADD
#undef CC_WIDEN_ADD2
#undef CC_V
#undef CC_VLEN
#undef CC_MTYPE
#undef CC_LOADU
#undef CC_STOREU
#undef CC_MLOAD
#undef CC_MSTORE
#undef CC_FMA
#undef CC_SET1
#undef CC_ZERO
#undef CC_T
#undef CC_SFX
#undef CC_NR
#undef CC_MR
#endif

/* ---- NEON (aarch64): 8 rows x 3 vectors of 4 float / 2 double ---- */
#if CC_HAVE_NEON_BUILD
#define CC_MR 8
#define CC_T float
#define CC_SFX f32
#define CC_NR 12
#define CC_V float32x4_t
#define CC_VLEN 4
#define CC_LOADU vld1q_f32
#define CC_STOREU vst1q_f32
#define CC_DUP vdupq_n_f32
/* NEON's operand order: accumulator first (acc + a * b). */
#define CC_VFMA(acc, a, b) vfmaq_f32((acc), (a), (b))
#define CC_VFMA_LANE(acc, a, v, lane) vfmaq_laneq_f32((acc), (a), (v), (lane))
/* Four float lanes widened to two double vectors before they are added. */
#define CC_WIDEN_ADD(t, v) ((t) = vaddq_f64((t), vaddq_f64(vcvt_f64_f32(vget_low_f32(v)), \
                                                           vcvt_high_f64_f32(v))))
#define CC_WIDEN_ADD2(sa, sb, v) ((sa) = vaddq_f64((sa), vcvt_f64_f32(vget_low_f32(v))), \
                                  (sb) = vaddq_f64((sb), vcvt_high_f64_f32(v)))
#include "cc_kernels_neon.inc.h"
#undef CC_WIDEN_ADD
#undef CC_WIDEN_ADD2
#undef CC_V
#undef CC_VLEN
#undef CC_LOADU
#undef CC_STOREU
#undef CC_DUP
#undef CC_VFMA
#undef CC_VFMA_LANE
#undef CC_T
#undef CC_SFX
#undef CC_NR
#define CC_T double
#define CC_SFX f64
#define CC_NR 6
#define CC_V float64x2_t
#define CC_VLEN 2
#define CC_LOADU vld1q_f64
#define CC_STOREU vst1q_f64
#define CC_DUP vdupq_n_f64
#define CC_VFMA(acc, a, b) vfmaq_f64((acc), (a), (b))
#define CC_VFMA_LANE(acc, a, v, lane) vfmaq_laneq_f64((acc), (a), (v), (lane))
#define CC_WIDEN_ADD(t, v) ((t) = vaddq_f64((t), (v)))
#define CC_WIDEN_ADD2(sa, sb, v) ((sa) = vaddq_f64((sa), (v)))
#include "cc_kernels_neon.inc.h"
#undef CC_WIDEN_ADD
#undef CC_WIDEN_ADD2
#undef CC_V
#undef CC_VLEN
#undef CC_LOADU
#undef CC_STOREU
#undef CC_DUP
#undef CC_VFMA
#undef CC_VFMA_LANE
#undef CC_T
#undef CC_SFX
#undef CC_NR
#undef CC_MR
#endif

/* ---- descriptors ---- */
#define CC_DESCRIPTOR(ISA, CODE, MR, NR32, NR64, WR, WC, VLEN)                             \
    static const cc_kernels_t cc_kernels_##ISA = {                                         \
        #ISA, CODE, MR, NR32, NR64, WR, WC, VLEN,                                          \
        cc_igemm_f32_##ISA, cc_irow_f32_##ISA, cc_wgrad_f32_##ISA, cc_rowsum_f32_##ISA,    \
        cc_igemm_f64_##ISA, cc_irow_f64_##ISA, cc_wgrad_f64_##ISA, cc_rowsum_f64_##ISA};

CC_DESCRIPTOR(scalar, CC_SIMD_SCALAR, 4, 24, 12, 4, 3, 4)
#if CC_HAVE_AVX2_BUILD
CC_DESCRIPTOR(avx2, CC_SIMD_AVX2, 4, 24, 12, 4, 3, 8)
#endif
#if CC_HAVE_AVX512_BUILD
CC_DESCRIPTOR(avx512, CC_SIMD_AVX512, 8, 48, 24, 4, 6, 16)
#endif
#if CC_HAVE_NEON_BUILD
CC_DESCRIPTOR(neon, CC_SIMD_NEON, 8, 12, 6, 4, 5, 4)
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
