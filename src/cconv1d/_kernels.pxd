# The compute kernels of cc_kernels.h, typed for Cython, with fused wrappers.
# Every module that cimports this must call select_simd() once at import: the dispatch
# table is a static of the header, one copy per extension module.

from cconv1d._typedefs cimport real_t, idx_t

cdef extern from "cconv1d/cc_kernels.h" nogil:
    ctypedef struct cc_kernels_f32_t:
        void (*igemm)(const float*, const Py_ssize_t*, Py_ssize_t, const float*, float*,
                      Py_ssize_t, Py_ssize_t, Py_ssize_t, int, const float*) noexcept nogil
        void (*irow)(const float*, const Py_ssize_t*, Py_ssize_t, const float*, float*,
                     Py_ssize_t, int, float) noexcept nogil
        void (*wgrad)(const float*, Py_ssize_t, Py_ssize_t, const float*, const Py_ssize_t*,
                      Py_ssize_t, Py_ssize_t, double*, Py_ssize_t) noexcept nogil
        double (*rowsum)(const float*, Py_ssize_t) noexcept nogil
    ctypedef struct cc_kernels_f64_t:
        void (*igemm)(const double*, const Py_ssize_t*, Py_ssize_t, const double*, double*,
                      Py_ssize_t, Py_ssize_t, Py_ssize_t, int, const double*) noexcept nogil
        void (*irow)(const double*, const Py_ssize_t*, Py_ssize_t, const double*, double*,
                     Py_ssize_t, int, double) noexcept nogil
        void (*wgrad)(const double*, Py_ssize_t, Py_ssize_t, const double*,
                      const Py_ssize_t*, Py_ssize_t, Py_ssize_t, double*,
                      Py_ssize_t) noexcept nogil
        double (*rowsum)(const double*, Py_ssize_t) noexcept nogil
    cc_kernels_f32_t cc_kernels_f32
    cc_kernels_f64_t cc_kernels_f64
    int cc_kernels_select(int wanted) noexcept nogil
    int cc_kernels_simd
    int cc_cpu_best_simd() noexcept nogil
    int CC_SIMD_SCALAR
    int CC_SIMD_AVX2
    int CC_MR
    int CC_NR_F32
    int CC_NR_F64


cdef inline idx_t tile_cols(const real_t* dummy) noexcept nogil:
    """Positions per igemm tile: two vectors of the type."""
    if real_t is float:
        return CC_NR_F32
    else:
        return CC_NR_F64


cdef inline void igemm(const real_t* x, const idx_t* offs, idx_t n_pairs, const real_t* w,
                       real_t* y, idx_t ldy, idx_t rows, idx_t cols, int accumulate,
                       const real_t* bias) noexcept nogil:
    if real_t is float:
        cc_kernels_f32.igemm(x, offs, n_pairs, w, y, ldy, rows, cols, accumulate, bias)
    else:
        cc_kernels_f64.igemm(x, offs, n_pairs, w, y, ldy, rows, cols, accumulate, bias)


cdef inline void irow(const real_t* x, const idx_t* offs, idx_t n_pairs, const real_t* w,
                      real_t* y, idx_t n, int accumulate, real_t bias) noexcept nogil:
    if real_t is float:
        cc_kernels_f32.irow(x, offs, n_pairs, w, y, n, accumulate, bias)
    else:
        cc_kernels_f64.irow(x, offs, n_pairs, w, y, n, accumulate, bias)


cdef inline void wgrad(const real_t* dy, idx_t ldy, idx_t rows, const real_t* x,
                       const idx_t* offs, idx_t cols, idx_t n, double* dw,
                       idx_t ldw) noexcept nogil:
    if real_t is float:
        cc_kernels_f32.wgrad(dy, ldy, rows, x, offs, cols, n, dw, ldw)
    else:
        cc_kernels_f64.wgrad(dy, ldy, rows, x, offs, cols, n, dw, ldw)


cdef inline double rowsum(const real_t* x, idx_t n) noexcept nogil:
    if real_t is float:
        return cc_kernels_f32.rowsum(x, n)
    else:
        return cc_kernels_f64.rowsum(x, n)
