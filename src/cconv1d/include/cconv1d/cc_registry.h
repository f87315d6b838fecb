/* cc_registry.h -- the kernel descriptors: what a planner needs to know of a SIMD path.
 *
 * One descriptor per instruction set (XNNPACK's gemm-config records, SciPy's
 * cython_blas): its name, the register tile of its kernels, and the kernels themselves
 * for float and double. The kernels are compiled into exactly one extension module
 * (cconv1d._kernels, which includes cc_kernels.h); every other module sees only this
 * header and asks _kernels for the active descriptor, once per call, so switching paths
 * (CCONV1D_SIMD, select_simd) swaps one pointer and never changes a running call.
 *
 * The six kernels (contracts in cc_kernels_scalar.inc.h):
 *   igemm   mr output rows x a strip of positions, nr per register tile: dense, grouped,
 *           strided (polyphase) conv1d and the input gradient;
 *   irow    one long output row: depthwise, single-channel and signal convolution;
 *   wgrad   a wr x wc block of the weight gradient (rows x (c, k) pairs), in double,
 *           reducing along the vectors: layers with few output channels per group;
 *   wgemm   an mr x nr block of the transposed weight gradient ((c, k) pairs x output
 *           channels), in double, from a panel of dy transposed: the vectors run over
 *           output channels, so nothing is summed across lanes (dense layers);
 *   rowsum  a row summed in double (the bias gradient);
 *   igemm_ilv  igemm with the phases of output channels as rows, stored interleaved
 *           into the channels' rows: a strided layer's input gradient and
 *           conv_transpose1d straight into dx.
 * A planner reads mr, nr_*, wr and wc from the descriptor; none is a compile-time
 * constant outside the kernel files, so an instruction set with another register file
 * plugs in as one more descriptor.
 */
#ifndef CCONV1D_CC_REGISTRY_H
#define CCONV1D_CC_REGISTRY_H

#include <stddef.h>

/* Path codes: the index of each path in _kernels.SIMD_NAMES. */
#define CC_SIMD_SCALAR 0
#define CC_SIMD_AVX2 1
#define CC_SIMD_AVX512 2
#define CC_SIMD_NEON 3
#define CC_SIMD_COUNT 4

#define CC_KERNEL_TYPES(T, SFX)                                                          \
    typedef void (*cc_igemm_##SFX##_fn)(const T *x, const ptrdiff_t *offs,               \
                                        ptrdiff_t n_pairs, const T *w, T *y,             \
                                        ptrdiff_t ldy, ptrdiff_t rows, ptrdiff_t cols,   \
                                        int accumulate, const T *bias);                  \
    typedef void (*cc_irow_##SFX##_fn)(const T *x, const ptrdiff_t *offs,                \
                                       ptrdiff_t n_pairs, const T *w, T *y, ptrdiff_t n, \
                                       int accumulate, T bias);                          \
    typedef void (*cc_wgrad_##SFX##_fn)(const T *dy, ptrdiff_t ldy, ptrdiff_t rows,      \
                                        const T *x, const ptrdiff_t *offs,               \
                                        ptrdiff_t cols, ptrdiff_t n, double *dw,         \
                                        ptrdiff_t ldw);                                  \
    typedef void (*cc_wgemm_##SFX##_fn)(const T *dyt, ptrdiff_t ldt, ptrdiff_t n,        \
                                        const T *x, const ptrdiff_t *offs,               \
                                        ptrdiff_t rows, ptrdiff_t cols, double *dwt,     \
                                        ptrdiff_t ldw, double *db);                      \
    typedef double (*cc_rowsum_##SFX##_fn)(const T *x, ptrdiff_t n);                      \
    typedef void (*cc_igemm_ilv_##SFX##_fn)(const T *x, const ptrdiff_t *offs,           \
                                            ptrdiff_t n_pairs, const T *w, T *y,         \
                                            ptrdiff_t ldy, ptrdiff_t rows,               \
                                            ptrdiff_t cols, int accumulate,              \
                                            const T *bias, ptrdiff_t s, ptrdiff_t t0,    \
                                            ptrdiff_t n_out);
CC_KERNEL_TYPES(float, f32)
CC_KERNEL_TYPES(double, f64)
#undef CC_KERNEL_TYPES

typedef struct cc_kernels {
    const char *name;     /* "scalar", "avx2", "avx512", "neon" */
    int isa;              /* CC_SIMD_* */
    int mr;               /* igemm: output rows per register tile */
    int nr_f32, nr_f64;   /* igemm: positions per register tile */
    int wr, wc;           /* wgrad: output rows x pairs per call */
    int wgemm_pairs;      /* dense weight gradients by wgemm from this many (c, k) pairs
                           * (and two vectors of output channels a group); 0: never */
    int wgemm_max_len;    /* ... and only for samples of at most this many outputs (0: any) */
    int vlen_f32;         /* float lanes per vector register (for show_config) */
    cc_igemm_f32_fn igemm_f32;
    cc_irow_f32_fn irow_f32;
    cc_wgrad_f32_fn wgrad_f32;
    cc_wgemm_f32_fn wgemm_f32;
    cc_rowsum_f32_fn rowsum_f32;
    cc_igemm_f64_fn igemm_f64;
    cc_irow_f64_fn irow_f64;
    cc_wgrad_f64_fn wgrad_f64;
    cc_wgemm_f64_fn wgemm_f64;
    cc_rowsum_f64_fn rowsum_f64;
    cc_igemm_ilv_f32_fn igemm_ilv_f32;
    cc_igemm_ilv_f64_fn igemm_ilv_f64;
} cc_kernels_t;

#endif /* CCONV1D_CC_REGISTRY_H */
