# The kernel registry, typed for Cython (see cc_registry.h).
#
# cconv1d._kernels is the one extension module that compiles the kernels; it exports
# active_kernels(), and every other module calls it once per call and passes the
# descriptor down, reading its tile (mr, nr, wr, wc, vlen) instead of compile-time
# constants.
# The inline wrappers below pick the float or double member by the fused type, resolved
# at compile time.

from cconv1d._typedefs cimport real_t, idx_t

# Relative to cconv1d.get_include(), as for cc_modes.h in _padding.pxd.
cdef extern from "cconv1d/include/cconv1d/cc_registry.h" nogil:
    int CC_SIMD_SCALAR
    int CC_SIMD_AVX2
    int CC_SIMD_AVX512
    int CC_SIMD_NEON
    int CC_SIMD_COUNT
    ctypedef struct cc_kernels_t:
        const char* name
        int isa, mr, nr_f32, nr_f64, wr, wc, wgemm_pairs, wgemm_max_len, vlen_f32
        void (*igemm_f32)(const float*, const Py_ssize_t*, Py_ssize_t, const float*, float*,
                          Py_ssize_t, Py_ssize_t, Py_ssize_t, int, const float*) noexcept nogil
        void (*irow_f32)(const float*, const Py_ssize_t*, Py_ssize_t, const float*, float*,
                         Py_ssize_t, int, float) noexcept nogil
        void (*wgrad_f32)(const float*, Py_ssize_t, Py_ssize_t, const float*,
                          const Py_ssize_t*, Py_ssize_t, Py_ssize_t, double*,
                          Py_ssize_t) noexcept nogil
        void (*wgemm_f32)(const float*, Py_ssize_t, Py_ssize_t, const float*,
                          const Py_ssize_t*, Py_ssize_t, Py_ssize_t, double*,
                          Py_ssize_t, double*) noexcept nogil
        double (*rowsum_f32)(const float*, Py_ssize_t) noexcept nogil
        void (*igemm_f64)(const double*, const Py_ssize_t*, Py_ssize_t, const double*,
                          double*, Py_ssize_t, Py_ssize_t, Py_ssize_t, int,
                          const double*) noexcept nogil
        void (*irow_f64)(const double*, const Py_ssize_t*, Py_ssize_t, const double*,
                         double*, Py_ssize_t, int, double) noexcept nogil
        void (*wgrad_f64)(const double*, Py_ssize_t, Py_ssize_t, const double*,
                          const Py_ssize_t*, Py_ssize_t, Py_ssize_t, double*,
                          Py_ssize_t) noexcept nogil
        void (*wgemm_f64)(const double*, Py_ssize_t, Py_ssize_t, const double*,
                          const Py_ssize_t*, Py_ssize_t, Py_ssize_t, double*,
                          Py_ssize_t, double*) noexcept nogil
        double (*rowsum_f64)(const double*, Py_ssize_t) noexcept nogil
        void (*igemm_ilv_f32)(const float*, const Py_ssize_t*, Py_ssize_t, const float*,
                              float*, Py_ssize_t, Py_ssize_t, Py_ssize_t, int, const float*,
                              Py_ssize_t, Py_ssize_t, Py_ssize_t) noexcept nogil
        void (*igemm_ilv_f64)(const double*, const Py_ssize_t*, Py_ssize_t, const double*,
                              double*, Py_ssize_t, Py_ssize_t, Py_ssize_t, int,
                              const double*, Py_ssize_t, Py_ssize_t, Py_ssize_t) noexcept nogil


# The descriptor of the active path. Load it once per call: a switch of path between two
# loads would mix tiles.
cdef const cc_kernels_t* active_kernels() noexcept nogil


cdef inline idx_t tile_positions(const cc_kernels_t* kern, idx_t itemsize) noexcept nogil:
    """Positions per igemm register tile for items of ``itemsize`` bytes."""
    return kern.nr_f32 if itemsize == 4 else kern.nr_f64


cdef inline idx_t column_block(idx_t cols) noexcept nogil:
    """Positions per igemm work item: whole tiles, about 264 (11 AVX2 float tiles): a
    pair chunk's input columns of one item stay in L1."""
    return cols * max(1, 264 // cols)


cdef inline void igemm(const cc_kernels_t* kern, const real_t* x, const idx_t* offs,
                       idx_t n_pairs, const real_t* w, real_t* y, idx_t ldy, idx_t rows,
                       idx_t cols, int accumulate, const real_t* bias) noexcept nogil:
    if real_t is float:
        kern.igemm_f32(x, offs, n_pairs, w, y, ldy, rows, cols, accumulate, bias)
    else:
        kern.igemm_f64(x, offs, n_pairs, w, y, ldy, rows, cols, accumulate, bias)


cdef inline void igemm_ilv(const cc_kernels_t* kern, const real_t* x, const idx_t* offs,
                           idx_t n_pairs, const real_t* w, real_t* y, idx_t ldy, idx_t rows,
                           idx_t cols, int accumulate, const real_t* bias, idx_t s,
                           idx_t t0, idx_t n_out) noexcept nogil:
    if real_t is float:
        kern.igemm_ilv_f32(x, offs, n_pairs, w, y, ldy, rows, cols, accumulate, bias, s,
                           t0, n_out)
    else:
        kern.igemm_ilv_f64(x, offs, n_pairs, w, y, ldy, rows, cols, accumulate, bias, s,
                           t0, n_out)


cdef inline void irow(const cc_kernels_t* kern, const real_t* x, const idx_t* offs,
                      idx_t n_pairs, const real_t* w, real_t* y, idx_t n, int accumulate,
                      real_t bias) noexcept nogil:
    if real_t is float:
        kern.irow_f32(x, offs, n_pairs, w, y, n, accumulate, bias)
    else:
        kern.irow_f64(x, offs, n_pairs, w, y, n, accumulate, bias)


cdef inline void wgrad(const cc_kernels_t* kern, const real_t* dy, idx_t ldy, idx_t rows,
                       const real_t* x, const idx_t* offs, idx_t cols, idx_t n, double* dw,
                       idx_t ldw) noexcept nogil:
    if real_t is float:
        kern.wgrad_f32(dy, ldy, rows, x, offs, cols, n, dw, ldw)
    else:
        kern.wgrad_f64(dy, ldy, rows, x, offs, cols, n, dw, ldw)


cdef inline void wgemm(const cc_kernels_t* kern, const real_t* dyt, idx_t ldt, idx_t n,
                       const real_t* x, const idx_t* offs, idx_t rows, idx_t cols,
                       double* dwt, idx_t ldw, double* db) noexcept nogil:
    if real_t is float:
        kern.wgemm_f32(dyt, ldt, n, x, offs, rows, cols, dwt, ldw, db)
    else:
        kern.wgemm_f64(dyt, ldt, n, x, offs, rows, cols, dwt, ldw, db)


cdef inline idx_t vector_lanes(const cc_kernels_t* kern, idx_t itemsize) noexcept nogil:
    """Lanes of one vector register for items of ``itemsize`` bytes."""
    return kern.vlen_f32 if itemsize == 4 else kern.vlen_f32 // 2


cdef inline double rowsum(const cc_kernels_t* kern, const real_t* x, idx_t n) noexcept nogil:
    if real_t is float:
        return kern.rowsum_f32(x, n)
    else:
        return kern.rowsum_f64(x, n)


cdef extern from "cconv1d/include/cconv1d/cc_pack.h" nogil:
    void cc_pack_transposed_f32(const float* dy, idx_t ldy, idx_t cols, idx_t n,
                                float* dst, idx_t ldt, int wide)
    void cc_pack_transposed_f64(const double* dy, idx_t ldy, idx_t cols, idx_t n,
                                double* dst, idx_t ldt, int wide)
    void cc_strip_out_f32(const double* strip, idx_t ld, const idx_t* qpos, idx_t rows,
                          float* dw, idx_t ldw, idx_t n_o, idx_t next0, idx_t next1)
    void cc_strip_out_f64(const double* strip, idx_t ld, const idx_t* qpos, idx_t rows,
                          double* dw, idx_t ldw, idx_t n_o, idx_t next0, idx_t next1)


cdef inline void strip_out(const double* strip, idx_t ld, const idx_t* qpos, idx_t rows,
                           real_t* dw, idx_t ldw, idx_t n_o, idx_t next0,
                           idx_t next1) noexcept nogil:
    """dw[o*ldw + qpos[r]] = strip[r*ld + o] for o < n_o, r < rows, requesting each dW
    row's columns next0 and next1 (-1: none) for writing (cc_pack.h)."""
    if real_t is float:
        cc_strip_out_f32(strip, ld, qpos, rows, dw, ldw, n_o, next0, next1)
    else:
        cc_strip_out_f64(strip, ld, qpos, rows, dw, ldw, n_o, next0, next1)


cdef inline bint has_avx2(const cc_kernels_t* kern) noexcept nogil:
    """Whether ``kern``'s path says the CPU has AVX2+FMA (the avx2 and avx512 paths)."""
    return kern.isa == CC_SIMD_AVX2 or kern.isa == CC_SIMD_AVX512


cdef inline void pack_transposed(const cc_kernels_t* kern, const real_t* src, idx_t ld,
                                 idx_t cols, idx_t n, real_t* dst, idx_t ldt) noexcept nogil:
    """dst[j*ldt + o] = src[o*ld + j] for o < cols, j < n, zeros for cols <= o < ldt
    (cc_pack.h): in 256-bit register blocks where ``kern``'s path says the CPU has AVX2."""
    cdef int wide = has_avx2(kern)
    if real_t is float:
        cc_pack_transposed_f32(src, ld, cols, n, dst, ldt, wide)
    else:
        cc_pack_transposed_f64(src, ld, cols, n, dst, ldt, wide)
