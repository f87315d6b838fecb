/* cc_common.h -- definitions shared by every cconv1d kernel.
 *
 * Kernels are header-only C (or Cython) that never touch Python objects: they take
 * pointers or typed memoryviews the Python layer already validated, and report failure
 * through the status codes below, which cconv1d's Python layer turns into exceptions.
 */
#ifndef CCONV1D_CC_COMMON_H
#define CCONV1D_CC_COMMON_H

#define CC_OK 0
#define CC_ENOMEM (-1)   /* a scratch allocation failed -> MemoryError */
#define CC_EARG (-2)     /* an argument the Python layer should have caught -> ValueError */

#if defined(_MSC_VER)
#define CC_RESTRICT __restrict
#else
#define CC_RESTRICT __restrict__
#endif

#if defined(_MSC_VER)
#define CC_ALWAYS_INLINE __forceinline
#else
#define CC_ALWAYS_INLINE inline __attribute__((always_inline))
#endif

#if defined(_MSC_VER)
#define CC_NOINLINE __declspec(noinline)
#else
#define CC_NOINLINE __attribute__((noinline))
#endif

#endif /* CCONV1D_CC_COMMON_H */
