# Kernels of the streaming functions (cconv1d.stream).
"""Compiled FIR with lfilter's state for ``fir_filter``: direct sums and an FFT route.

One call computes ``c = convolve(x, h)`` (all ``n + m - 1`` outputs), adds the state
``zi`` onto its first ``m - 1`` samples, and returns ``y = c[:n]`` and ``zf = c[n:]``:
the whole chunk in compiled code, so a 64-sample chunk is not dominated by Python.

- ``fir_block``, direct sums over the ``n * m`` products that exist: outputs 16 at a time
  with the accumulators in registers, the chunk copied once into a zero-bordered buffer
  so the edges need no branches; an AVX2+FMA build (a per-function target attribute)
  on the avx2 and avx512 paths.
- The FFT route (``cc_fft.h``): the filter cut into partitions whose spectra are cached
  per filter (``_FFTPlan``, matched by the taps' bytes), two partitions or two blocks of
  the chunk per complex transform; the geometry and the choice between the routes come
  from the models below.
- ``fir_chunk`` is the entry for plain 1-D float chunks, taking raw buffer exports (a
  typed memoryview costs more than the transform of a short chunk).
"""

import weakref

import numpy as np

cimport cython
from cython.parallel cimport prange, threadid

from cpython.buffer cimport (PyBUF_C_CONTIGUOUS, PyBUF_WRITABLE, PyBuffer_Release,
                             PyObject_GetBuffer)
from libc.stdlib cimport free, malloc
from libc.string cimport memcmp, memcpy, memset

from cconv1d._typedefs cimport idx_t, real_t
from cconv1d import _threads
from cconv1d._forward cimport plain_buffer
from cconv1d._kernels cimport CC_SIMD_AVX512, active_kernels, cc_kernels_t, has_avx2

cdef extern from *:
    """
    #include <stddef.h>
    #define CC_FIR_BLOCK 16
    /* The taps whose input lies in the chunk for the outputs t0 .. t0 + 15. */
    static inline void cc_fir_taps(ptrdiff_t t0, ptrdiff_t n, ptrdiff_t m,
                                   ptrdiff_t *jlo, ptrdiff_t *jhi) {
        *jlo = t0 - (n - 1) < 0 ? 0 : t0 - (n - 1);
        *jhi = t0 + CC_FIR_BLOCK - 1 > m - 1 ? m - 1 : t0 + CC_FIR_BLOCK - 1;
    }
    /* out[t] = sum_j h[j] * xp[pad + t - j] for t < total (rounded up to the block),
     * xp zero outside the chunk; only taps j whose input lies in the chunk are visited
     * (jlo..jhi), the block's own edges read the zero border. */
    #define CC_FIR_DEFINE(NAME, T, ATTR)                                              \\
    ATTR static void NAME(const T *h, ptrdiff_t m, const T *xp, ptrdiff_t pad,       \\
                          ptrdiff_t n, T *out, ptrdiff_t total) {                    \\
        for (ptrdiff_t t0 = 0; t0 < total; t0 += CC_FIR_BLOCK) {                     \\
            T acc[CC_FIR_BLOCK];                                                     \\
            for (int k = 0; k < CC_FIR_BLOCK; ++k) acc[k] = 0;                       \\
            ptrdiff_t jlo, jhi;                                                      \\
            cc_fir_taps(t0, n, m, &jlo, &jhi);                                       \\
            const T *base = xp + pad + t0;                                           \\
            for (ptrdiff_t j = jlo; j <= jhi; ++j) {                                 \\
                const T hj = h[j];                                                   \\
                const T *xs = base - j;                                              \\
                for (int k = 0; k < CC_FIR_BLOCK; ++k) acc[k] += hj * xs[k];         \\
            }                                                                        \\
            for (int k = 0; k < CC_FIR_BLOCK; ++k) out[t0 + k] = acc[k];             \\
        }                                                                            \\
    }
    CC_FIR_DEFINE(cc_fir_f64_scalar, double, )
    CC_FIR_DEFINE(cc_fir_f32_scalar, float, )
    #if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
    #include <immintrin.h>
    /* The same loop with the 16 accumulators pinned in registers (GCC's vectoriser kept
     * them in memory, 2 GMAC/s): 4 x 4 doubles or 2 x 8 floats, one broadcast tap and
     * unaligned loads of the shifted chunk per tap. */
    __attribute__((target("avx2,fma")))
    static void cc_fir_f64_avx2(const double *h, ptrdiff_t m, const double *xp,
                                ptrdiff_t pad, ptrdiff_t n, double *out, ptrdiff_t total) {
        /* Taps j and j + 4 read the same chunk samples one register apart, so the taps
         * of one residue mod 4 share their loads: one new (unaligned) load per tap, not
         * four, and two accumulator sets (taps j, j + 4) keep eight FMA chains busy. */
        for (ptrdiff_t t0 = 0; t0 < total; t0 += 16) {
            __m256d a0 = _mm256_setzero_pd(), a1 = a0, a2 = a0, a3 = a0;
            __m256d b0 = a0, b1 = a0, b2 = a0, b3 = a0;
            ptrdiff_t jlo, jhi;
            cc_fir_taps(t0, n, m, &jlo, &jhi);
            const double *base = xp + pad + t0;
            for (ptrdiff_t r = 0; r < 4; ++r) {
                ptrdiff_t j = jlo + r;
                if (j > jhi) break;
                /* base - j >= xp + pad - 15 >= xp: inside the bordered buffer */
                __m256d v0 = _mm256_loadu_pd(base - j), v1 = _mm256_loadu_pd(base - j + 4);
                __m256d v2 = _mm256_loadu_pd(base - j + 8), v3 = _mm256_loadu_pd(base - j + 12);
                for (;;) {
                    __m256d hj = _mm256_broadcast_sd(h + j);
                    a0 = _mm256_fmadd_pd(hj, v0, a0);
                    a1 = _mm256_fmadd_pd(hj, v1, a1);
                    a2 = _mm256_fmadd_pd(hj, v2, a2);
                    a3 = _mm256_fmadd_pd(hj, v3, a3);
                    j += 4;
                    if (j > jhi) break;
                    v3 = v2; v2 = v1; v1 = v0; v0 = _mm256_loadu_pd(base - j);
                    hj = _mm256_broadcast_sd(h + j);
                    b0 = _mm256_fmadd_pd(hj, v0, b0);
                    b1 = _mm256_fmadd_pd(hj, v1, b1);
                    b2 = _mm256_fmadd_pd(hj, v2, b2);
                    b3 = _mm256_fmadd_pd(hj, v3, b3);
                    j += 4;
                    if (j > jhi) break;
                    v3 = v2; v2 = v1; v1 = v0; v0 = _mm256_loadu_pd(base - j);
                }
            }
            _mm256_storeu_pd(out + t0, _mm256_add_pd(a0, b0));
            _mm256_storeu_pd(out + t0 + 4, _mm256_add_pd(a1, b1));
            _mm256_storeu_pd(out + t0 + 8, _mm256_add_pd(a2, b2));
            _mm256_storeu_pd(out + t0 + 12, _mm256_add_pd(a3, b3));
        }
    }
    __attribute__((target("avx2,fma")))
    static void cc_fir_f32_avx2(const float *h, ptrdiff_t m, const float *xp,
                                ptrdiff_t pad, ptrdiff_t n, float *out, ptrdiff_t total) {
        for (ptrdiff_t t0 = 0; t0 < total; t0 += 16) {
            __m256 a0 = _mm256_setzero_ps(), a1 = a0, b0 = a0, b1 = a0;
            __m256 c0 = a0, c1 = a0, d0 = a0, d1 = a0;
            ptrdiff_t jlo, jhi, j;
            cc_fir_taps(t0, n, m, &jlo, &jhi);
            const float *base = xp + pad + t0;
            for (j = jlo; j + 3 <= jhi; j += 4) {   /* four taps: eight FMA chains */
                const float *xs = base - j;
                const __m256 h0 = _mm256_broadcast_ss(h + j);
                const __m256 h1 = _mm256_broadcast_ss(h + j + 1);
                const __m256 h2 = _mm256_broadcast_ss(h + j + 2);
                const __m256 h3 = _mm256_broadcast_ss(h + j + 3);
                a0 = _mm256_fmadd_ps(h0, _mm256_loadu_ps(xs), a0);
                a1 = _mm256_fmadd_ps(h0, _mm256_loadu_ps(xs + 8), a1);
                b0 = _mm256_fmadd_ps(h1, _mm256_loadu_ps(xs - 1), b0);
                b1 = _mm256_fmadd_ps(h1, _mm256_loadu_ps(xs + 7), b1);
                c0 = _mm256_fmadd_ps(h2, _mm256_loadu_ps(xs - 2), c0);
                c1 = _mm256_fmadd_ps(h2, _mm256_loadu_ps(xs + 6), c1);
                d0 = _mm256_fmadd_ps(h3, _mm256_loadu_ps(xs - 3), d0);
                d1 = _mm256_fmadd_ps(h3, _mm256_loadu_ps(xs + 5), d1);
            }
            for (; j <= jhi; ++j) {
                const __m256 hj = _mm256_broadcast_ss(h + j);
                const float *xs = base - j;
                a0 = _mm256_fmadd_ps(hj, _mm256_loadu_ps(xs), a0);
                a1 = _mm256_fmadd_ps(hj, _mm256_loadu_ps(xs + 8), a1);
            }
            a0 = _mm256_add_ps(_mm256_add_ps(a0, b0), _mm256_add_ps(c0, d0));
            a1 = _mm256_add_ps(_mm256_add_ps(a1, b1), _mm256_add_ps(c1, d1));
            _mm256_storeu_ps(out + t0, a0);
            _mm256_storeu_ps(out + t0 + 8, a1);
        }
    }
    #define CC_FIR_HAVE_AVX2 1
    #else
    #define cc_fir_f64_avx2 cc_fir_f64_scalar
    #define cc_fir_f32_avx2 cc_fir_f32_scalar
    #define CC_FIR_HAVE_AVX2 0
    #endif
    """
    const int CC_FIR_BLOCK
    const int CC_FIR_HAVE_AVX2
    void cc_fir_f64_scalar(const double*, ptrdiff_t, const double*, ptrdiff_t, ptrdiff_t,
                           double*, ptrdiff_t) noexcept nogil
    void cc_fir_f32_scalar(const float*, ptrdiff_t, const float*, ptrdiff_t, ptrdiff_t,
                           float*, ptrdiff_t) noexcept nogil
    void cc_fir_f64_avx2(const double*, ptrdiff_t, const double*, ptrdiff_t, ptrdiff_t,
                         double*, ptrdiff_t) noexcept nogil
    void cc_fir_f32_avx2(const float*, ptrdiff_t, const float*, ptrdiff_t, ptrdiff_t,
                         float*, ptrdiff_t) noexcept nogil


cdef int _fir(const real_t* h, idx_t m, const real_t* x, idx_t n, const real_t* zi,
              real_t* out, bint avx2) except -1:
    """``out[:n + m - 1]`` = the full convolution of ``x`` with ``h`` plus the state
    ``zi`` (NULL: zeros) on its first ``m - 1`` outputs; ``out`` holds the kernel's
    rounded length (a multiple of CC_FIR_BLOCK)."""
    cdef idx_t i
    cdef idx_t total = n + m - 1
    cdef idx_t rounded = (total + CC_FIR_BLOCK - 1) // CC_FIR_BLOCK * CC_FIR_BLOCK
    cdef idx_t pad = m - 1 + CC_FIR_BLOCK
    cdef real_t* xp = <real_t*>malloc((2 * pad + n) * sizeof(real_t))
    if xp == NULL:
        raise MemoryError("fir_filter: cannot allocate the chunk buffer")
    try:
        with nogil:
            memset(xp, 0, pad * sizeof(real_t))
            if n > 0:
                memcpy(xp + pad, x, n * sizeof(real_t))
            memset(xp + pad + n, 0, pad * sizeof(real_t))
            if real_t is double:
                if avx2 and CC_FIR_HAVE_AVX2:
                    cc_fir_f64_avx2(h, m, xp, pad, n, out, rounded)
                else:
                    cc_fir_f64_scalar(h, m, xp, pad, n, out, rounded)
            else:
                if avx2 and CC_FIR_HAVE_AVX2:
                    cc_fir_f32_avx2(h, m, xp, pad, n, out, rounded)
                else:
                    cc_fir_f32_scalar(h, m, xp, pad, n, out, rounded)
            # lfilter's state is the tail the past inputs left on the next m - 1 outputs
            if zi != NULL:
                for i in range(m - 1):
                    out[i] += zi[i]
    finally:
        free(xp)
    return 0


cdef object _F32 = np.dtype(np.float32)
cdef object _F64 = np.dtype(np.float64)
cdef object _np_empty = np.empty   # per chunk: no module attribute lookup
cdef object _NDARRAY = np.ndarray
cdef object _EMPTY32 = np.empty(0, np.float32)
cdef object _EMPTY64 = np.empty(0, np.float64)


cdef bint _plain(object a, object dtype):
    """An ndarray of exactly ``dtype``, 1-D, C-contiguous and aligned."""
    if type(a) is not np.ndarray or a.dtype is not dtype or a.ndim != 1:
        return False
    flags = a.flags
    return flags.c_contiguous and flags.aligned


def fir_block(h, x, zi, bint avx2):
    """``(y, zf)`` of ``lfilter(h, [1], x, zi=zi)`` for plain 1-D arrays of one float
    dtype (``zi`` None: zero state, ``zf`` still returned), or None when the arguments
    are not that case (the general path then validates them)."""
    dtype = x.dtype if type(x) is np.ndarray else None
    if dtype is not _F64 and dtype is not _F32:
        return None
    if not (_plain(h, dtype) and _plain(x, dtype)):
        return None
    cdef idx_t m = h.shape[0], n = x.shape[0]
    if m == 0:
        return None
    if zi is None:
        zi = _EMPTY64 if dtype is _F64 else _EMPTY32
    elif not _plain(zi, dtype) or zi.shape[0] != m - 1:
        return None
    if dtype is _F64:
        return _fir_block_typed[double](h, x, zi, n, m, avx2)
    return _fir_block_typed[float](h, x, zi, n, m, avx2)


cdef tuple _fir_block_typed(const real_t[::1] h, const real_t[::1] x, const real_t[::1] zi,
                            idx_t n, idx_t m, bint avx2):
    return _fir_block_ptr(_F64 if real_t is double else _F32, &h[0],
                          m, &x[0] if n > 0 else NULL, n,
                          &zi[0] if zi.shape[0] > 0 else NULL, avx2)


cdef tuple _fir_block_ptr(object dtype, const real_t* hp, idx_t m, const real_t* xp,
                          idx_t n, const real_t* zp, bint avx2):
    """``(y, zf)`` by the direct block kernel from raw pointers (``zp`` NULL: zero
    state)."""
    cdef idx_t rounded = (n + m - 1 + CC_FIR_BLOCK - 1) // CC_FIR_BLOCK * CC_FIR_BLOCK
    cdef Py_buffer ob
    out = _np_empty(rounded, dtype)
    PyObject_GetBuffer(out, &ob, PyBUF_C_CONTIGUOUS | PyBUF_WRITABLE)
    try:
        _fir[real_t](hp, m, xp, n, zp, <real_t*>ob.buf, avx2)
    finally:
        PyBuffer_Release(&ob)
    # Views of one buffer: y and zf do not overlap, and nothing else holds it.
    return out[:n], out[n:n + m - 1]


# ---------------------------------------------------------------------------------------
# FFT route: long filters by overlap-save-free block convolution with our own FFT.

cdef extern from "cconv1d/include/cconv1d/cc_fft.h" nogil:
    const int CC_FFT_HAVE_AVX2
    const int CC_FFT_HAVE_AVX512
    void cc_fft_twiddles(ptrdiff_t n, double *twr, double *twi)
    void cc_fft_forward(ptrdiff_t n, double *re, double *im, const double *twr,
                        const double *twi, int simd)
    void cc_fft_inverse(ptrdiff_t n, double *re, double *im, const double *twr,
                        const double *twi, int simd)
    void cc_fft_forward_real_half(ptrdiff_t n, double *re, double *im, const double *twr,
                                  const double *twi, int simd)
    void cc_fft_real_twiddles(ptrdiff_t n, const double *twr, const double *twi,
                              double *twbr, double *twbi)
    void cc_fft_forward_real(ptrdiff_t n, double *re, double *im, double *scratch,
                             const double *twr, const double *twi, const double *twb,
                             int simd)
    void cc_fft_mul(ptrdiff_t n, const double *zr, const double *zi, const double *sr,
                    const double *si, double *outr, double *outi, int simd)
    int cc_fft_pack_f64(double *dest, const double *x, ptrdiff_t length, ptrdiff_t n,
                        double *amax, int simd)
    int cc_fft_pack_f32(double *dest, const float *x, ptrdiff_t length, ptrdiff_t n,
                        double *amax, int simd)
    void cc_fft_add_f64(double *out, const double *piece, ptrdiff_t length, double scale,
                        int simd)
    void cc_fft_add_f32(float *out, const double *piece, ptrdiff_t length, double scale,
                        int simd)

from libc.math cimport fabs, ilogb, isfinite, ldexp, log2


cdef int _fft_simd() noexcept nogil:
    """cc_fft.h's build for the active SIMD path: 2 AVX-512F, 1 AVX2+FMA, 0 scalar."""
    cdef const cc_kernels_t* kern = active_kernels()
    if kern.isa == CC_SIMD_AVX512 and CC_FFT_HAVE_AVX512:
        return 2
    return 1 if has_avx2(kern) and CC_FFT_HAVE_AVX2 else 0


# Models of the two routes' times for fir_chunk's choice, fitted on Zen 4 (AVX2 build of
# cc_fft.h, one thread) by timing fir_chunk both ways over chunks of 16..16384 samples
# and 8..8192 taps (benchmarks/calibrate_signal.py --fir checks them): one transform of
# size N costs about _FFT_NLOGN * N log2 N, and each block's packing, spectral product
# and overlap-add about _FFT_LINEAR * N; fir_block costs _DIRECT_MAC per product,
# _DIRECT_BORDER per tap for its zero-bordered copy of the chunk (fresh pages for long
# filters) and _DIRECT_FIXED more than the FFT route's fixed cost.
cdef double _FFT_NLOGN = 2.5e-10
cdef double _FFT_LINEAR = 1.2e-9
cdef double _DIRECT_MAC = 4.7e-11
cdef double _DIRECT_BORDER = 1.5e-9
cdef double _DIRECT_FIXED = 1.5e-6
# Filters shorter than this always take the direct sums under auto: there they cost
# about what a transform does, and they are exact where lfilter is (small integers).
cdef Py_ssize_t _DIRECT_TAPS = 32
DIRECT_TAPS = _DIRECT_TAPS

# Longest chunk for fir_block: beyond, its zero-bordered copy of the chunk costs page
# faults, and the general path's row kernels (threaded) take the direct sums.
cdef Py_ssize_t _BLOCK_MAX = 32768
BLOCK_MAX = _BLOCK_MAX
# Largest transform considered: 2^20 points (32 MiB of work arrays) and beyond that
# more partitions of the filter are cheaper than caches missed.
cdef int _MAX_LOG2 = 20
cdef enum:
    STACK_NFFT = 1024     # transforms up to this size work in a stack buffer (32 KiB)


@cython.auto_pickle(False)
cdef class _FFTPlan:
    """A filter's spectra for one block geometry, reused across calls.

    ``pair_parts``: one block of the chunk per transform, the filter split into
    ``parts`` partitions of ``part`` taps paired as ``h_2q + i h_2q+1`` (``count``
    spectra); the real and imaginary parts of one inverse transform are then the
    convolutions with two partitions. Otherwise (long chunks) the filter is split into
    ``count = parts`` spectra and two blocks of the chunk ride in one transform as
    ``x_a + i x_b``. Either way a real signal fills both halves of a complex transform.
    The scale ``1 / nfft`` of the inverse is folded into the spectra.
    """
    cdef readonly Py_ssize_t m, nfft, block, part, parts, count
    cdef readonly bint pair_parts
    cdef readonly double unscale   # 2^e undoing the power-of-two scaling of the taps
    cdef readonly bytes taps       # the filter's bytes, to match a later call's filter
    cdef readonly Py_ssize_t chunk # the chunk length the geometry was chosen for
    cdef readonly bint finite_taps
    cdef readonly Py_ssize_t nbytes  # twiddles and spectra
    cdef readonly object dtype
    cdef const double* twiddles    # 3 * nfft: twiddle_table's data
    cdef object twiddle_owner      # the shared table the pointer reads
    cdef double* spectra           # count * 2 * nfft

    def __cinit__(self):
        self.twiddles = NULL
        self.twiddle_owner = None
        self.spectra = NULL

    def __dealloc__(self):
        free(self.spectra)


cdef double _transform_seconds(Py_ssize_t nfft) noexcept:
    # Beyond 1024 points the data and twiddles leave L1 (measured on Zen 4: 0.34 ns per
    # N log2 N for a forward and inverse pair up to 1024, 0.44 at 2048, 0.56 at 4096,
    # 0.64 at 8192): each doubling costs about a third more per operation, which makes
    # long signals prefer transforms of 1024-2048 points over the largest that fit.
    cdef double bits = log2(<double>nfft)
    cdef double cache = 1.0 + 0.35 * (bits - 10.0) if bits > 10.0 else 1.0
    return _FFT_NLOGN * nfft * bits * cache + _FFT_LINEAR * nfft


cdef tuple _geometry(Py_ssize_t n, Py_ssize_t m):
    """``(seconds, pair_parts, nfft, block, part)`` of the cheapest block geometry for a
    chunk of ``n`` samples and ``m`` taps under the model above."""
    cdef Py_ssize_t nfft, block, part, parts, blocks, transforms
    cdef double seconds, best = -1.0
    cdef tuple choice = None
    cdef int k
    for k in range(1, _MAX_LOG2 + 1):
        nfft = (<Py_ssize_t>1) << k
        # One block holding the whole chunk, filter partitions paired (an empty chunk
        # counts as one sample: a partition never exceeds the transform).
        if n <= nfft - 1:
            part = nfft - max(n, 1) + 1
            parts = (m + part - 1) // part
            transforms = 1 + (parts + 1) // 2
            seconds = transforms * _transform_seconds(nfft)
            if best < 0 or seconds < best:
                best, choice = seconds, (seconds, True, nfft, n, part)
        # Pairs of blocks, the filter whole (or in halves of the transform when longer).
        part = m if m <= nfft // 2 else nfft // 2
        block = nfft - part + 1
        parts = (m + part - 1) // part
        blocks = (n + block - 1) // block
        if blocks >= 2:
            transforms = (blocks + 1) // 2 * (1 + parts)
            seconds = transforms * _transform_seconds(nfft)
            if best < 0 or seconds < best:
                best, choice = seconds, (seconds, False, nfft, block, part)
    return choice


cdef dict _GEOMETRIES = {}
cdef list _PLANS = []     # most recently used first
cdef int _MAX_PLANS = 8
# The cache keeps at most this many bytes of spectra (the newest plan always stays):
# a few long filters must not pin hundreds of megabytes.
cdef Py_ssize_t _MAX_PLAN_BYTES = 64 << 20


def fft_seconds(Py_ssize_t n, Py_ssize_t m, Py_ssize_t lanes=1):
    """The model's time of the FFT route for ``lanes`` lanes of ``n`` samples and ``m``
    taps, without the fixed cost of a call."""
    return lanes * _geometry_cached(n, m)[0]


cdef tuple _geometry_cached(Py_ssize_t n, Py_ssize_t m):
    key = (n, m)
    geometry = _GEOMETRIES.get(key)
    if geometry is None:
        if len(_GEOMETRIES) > 256:
            _GEOMETRIES.clear()
        geometry = _geometry(n, m)
        _GEOMETRIES[key] = geometry
    return geometry


# Values of magnitude within 2^+-_SAFE_EXP are transformed as they are; beyond, a block
# (or the filter) is scaled by a power of two first, exactly, and its result scaled back,
# so that the sums of a transform neither overflow nor sink into subnormals where the
# direct sums would not.
cdef int _SAFE_EXP = 400


cdef inline int _scale_exponent(double amax) noexcept nogil:
    if amax > ldexp(1.0, _SAFE_EXP) or (0.0 < amax < ldexp(1.0, -_SAFE_EXP)):
        if amax <= 1.7976931348623157e308:     # not inf (NaN fails every comparison)
            return ilogb(amax)
    return 0


cdef void _fill_spectra(_FFTPlan plan, const real_t* h, int simd) noexcept nogil:
    cdef Py_ssize_t nfft = plan.nfft, s, t, start, stop
    cdef double amax = 0.0
    for t in range(plan.m):
        amax = max(amax, fabs(h[t]))
    cdef int e = _scale_exponent(amax)
    plan.unscale = ldexp(1.0, e)
    cdef double scale = ldexp(1.0, -e) / nfft
    cdef double* re
    cdef double* im
    for s in range(plan.count):
        re = plan.spectra + 2 * s * nfft
        im = re + nfft
        memset(re, 0, 2 * nfft * sizeof(double))
        if plan.pair_parts:
            start = 2 * s * plan.part
            stop = min(start + plan.part, plan.m)
            for t in range(start, stop):
                re[t - start] = h[t] * scale
            start = stop
            stop = min(start + plan.part, plan.m)
            for t in range(start, stop):
                im[t - start] = h[t] * scale
        else:
            start = s * plan.part
            stop = min(start + plan.part, plan.m)
            for t in range(start, stop):
                re[t - start] = h[t] * scale
        cc_fft_forward(nfft, re, im, plan.twiddles, plan.twiddles + nfft, simd)


# Twiddle tables by transform length, shared by every plan of that length (a new
# filter, as in a convolve() of two fresh signals, then pays no sin/cos: 2 * 32768 of
# them took 0.4 ms). Tables up to 2^16 points (1 MiB) stay for the process; longer ones
# live as long as a plan holds them.
cdef dict _TWIDDLES_KEPT = {}
cdef object _TWIDDLES = weakref.WeakValueDictionary()
cdef Py_ssize_t _TWIDDLES_KEPT_MAX = 1 << 16


cdef object _twiddle_table(Py_ssize_t nfft):
    """``cc_fft_twiddles(nfft)`` as one read-only float64 array (real parts, then
    imaginary), then ``cc_fft_real_twiddles(nfft)`` (nfft values), computed once per
    length."""
    table = _TWIDDLES.get(nfft)
    if table is None:
        table = np.empty(3 * nfft, np.float64)
        _fill_twiddles(table, nfft)
        table.flags.writeable = False
        _TWIDDLES[nfft] = table
        if nfft <= _TWIDDLES_KEPT_MAX:
            _TWIDDLES_KEPT[nfft] = table
    return table


cdef void _fill_twiddles(double[::1] table, Py_ssize_t nfft) noexcept:
    cc_fft_twiddles(nfft, &table[0], &table[nfft])
    cc_fft_real_twiddles(nfft, &table[0], &table[nfft], &table[2 * nfft],
                         &table[2 * nfft + nfft // 2])


cdef const double* _table_data(const double[::1] table) noexcept:
    return &table[0]


cdef _FFTPlan _plan(object h, Py_ssize_t n, int simd):
    """The cached plan for ``h`` (1-D contiguous float32/float64) and chunks of ``n``."""
    cdef Py_ssize_t m = h.shape[0]
    geometry = _geometry_cached(n, m)
    cdef Py_ssize_t nfft = geometry[2], part = geometry[4]
    cdef bint pair_parts = geometry[1]
    cdef _FFTPlan plan
    cdef Py_ssize_t i
    taps = None
    for i in range(len(_PLANS)):
        plan = _PLANS[i]
        if (plan.m == m and plan.nfft == nfft and plan.part == part
                and plan.pair_parts == pair_parts and plan.dtype == h.dtype):
            if taps is None:
                taps = h.tobytes()
            if plan.taps == taps:
                if i:
                    _PLANS.insert(0, _PLANS.pop(i))
                if not pair_parts or n <= plan.block:
                    plan.chunk = n
                    return plan
    plan = _FFTPlan()
    plan.m, plan.nfft, plan.part, plan.pair_parts = m, nfft, part, pair_parts
    plan.block = geometry[3] if not pair_parts else nfft - part + 1
    plan.parts = (m + part - 1) // part
    plan.count = (plan.parts + 1) // 2 if pair_parts else plan.parts
    plan.taps = taps if taps is not None else h.tobytes()
    plan.dtype = h.dtype
    plan.chunk = n
    plan.finite_taps = bool(np.isfinite(h).all())
    plan.nbytes = (3 + 2 * plan.count) * nfft * sizeof(double)
    plan.twiddle_owner = _twiddle_table(nfft)
    plan.twiddles = _table_data(plan.twiddle_owner)   # alive while twiddle_owner is
    plan.spectra = <double*>malloc(2 * nfft * plan.count * sizeof(double))
    if plan.spectra == NULL:
        raise MemoryError("fir_filter: cannot allocate the filter's spectra")
    if h.dtype == _F64:
        _fill_spectra_from[double](plan, h, simd)
    else:
        _fill_spectra_from[float](plan, h, simd)
    _PLANS.insert(0, plan)
    del _PLANS[_MAX_PLANS:]
    cdef Py_ssize_t kept = 0
    for i in range(len(_PLANS)):
        kept += (<_FFTPlan>_PLANS[i]).nbytes
        if i > 0 and kept > _MAX_PLAN_BYTES:
            del _PLANS[i:]
            break
    return plan


cdef void _fill_spectra_from(_FFTPlan plan, const real_t[::1] h, int simd):
    _fill_spectra[real_t](plan, &h[0], simd)


cdef inline void _add_piece(real_t* out, Py_ssize_t start, Py_ssize_t length,
                            Py_ssize_t total, const double* piece, double unscale,
                            int simd) noexcept nogil:
    """``out[start:start + length] += piece * unscale``, clipped at ``total``."""
    if start + length > total:
        length = total - start
    if real_t is double:
        cc_fft_add_f64(out + start, piece, length, unscale, simd)
    else:
        cc_fft_add_f32(out + start, piece, length, unscale, simd)


cdef inline double _pack(double* dest, const real_t* x, Py_ssize_t length,
                         Py_ssize_t nfft, int* nonfinite, int simd) noexcept nogil:
    """``dest[:nfft]`` = ``x[:length]`` then zeros; returns the largest magnitude and
    sets ``nonfinite`` when a value is NaN or infinite."""
    cdef double amax = 0.0
    if real_t is double:
        nonfinite[0] |= cc_fft_pack_f64(dest, x, length, nfft, &amax, simd)
    else:
        nonfinite[0] |= cc_fft_pack_f32(dest, x, length, nfft, &amax, simd)
    return amax


cdef inline double _scale_block(double* re, double* im, Py_ssize_t length,
                                double amax) noexcept nogil:
    """Scale a packed block (``im`` NULL: its real part only) when its magnitude calls
    for it; the factor undoing it."""
    cdef int e = _scale_exponent(amax)
    cdef Py_ssize_t t
    cdef double scale
    if e == 0:
        return 1.0
    scale = ldexp(1.0, -e)
    for t in range(length):
        re[t] *= scale
        if im != NULL:
            im[t] *= scale
    return ldexp(1.0, e)


cdef inline void _filtered(_FFTPlan plan, Py_ssize_t s, const double* re, const double* im,
                           double* yr, double* yi, int simd) noexcept nogil:
    """``(yr, yi)`` = the inverse transform of the block's spectrum times spectrum ``s``."""
    cdef const double* spectrum = plan.spectra + 2 * s * plan.nfft
    cc_fft_mul(plan.nfft, re, im, spectrum, spectrum + plan.nfft, yr, yi, simd)
    cc_fft_inverse(plan.nfft, yr, yi, plan.twiddles, plan.twiddles + plan.nfft, simd)


cdef bint _fft_lane(_FFTPlan plan, const real_t* x, Py_ssize_t n, real_t* out,
                    double* work, int simd, Py_ssize_t c0, Py_ssize_t c1) noexcept nogil:
    """``out[:n + m - 1] += convolve(x, h)`` (``out`` holds zeros or a state); False when
    ``x`` holds a NaN or an infinity (the result then carries them everywhere).
    With pairs of blocks, only the blocks of ``x[c0:c1]`` (``c0`` a multiple of
    ``2 * block``; ``c1`` one too, or ``n``): their terms, in
    ``out[c0:min(c1, n) + m - 1]``. The one-transform geometry takes the whole chunk
    (``c0`` 0, ``c1`` n)."""
    cdef Py_ssize_t nfft = plan.nfft, m = plan.m, total = n + plan.m - 1
    cdef Py_ssize_t part = plan.part, block = plan.block, t, s, start, a_len, b_len
    cdef Py_ssize_t p_len, b0
    cdef double* re = work
    cdef double* im = work + nfft
    cdef double* yr = work + 2 * nfft
    cdef double* yi = work + 3 * nfft
    cdef const double* twr = plan.twiddles
    cdef const double* twi = plan.twiddles + nfft
    cdef double amax, unscale
    cdef int nonfinite = 0
    if plan.pair_parts:
        # The whole chunk in one transform, two filter partitions per inverse.
        if 2 * n <= nfft and nfft >= 16:
            # A real chunk filling at most half the transform (the usual geometry): a
            # transform of half the length (yr, yi its scratch), its zeros never stored.
            amax = _pack(re, x, n, nfft // 2, &nonfinite, simd)
            unscale = _scale_block(re, NULL, n, amax) * plan.unscale
            cc_fft_forward_real(nfft, re, im, yr, twr, twi, plan.twiddles + 2 * nfft, simd)
        else:
            memset(im, 0, nfft * sizeof(double))
            amax = _pack(re, x, n, nfft, &nonfinite, simd)
            unscale = _scale_block(re, im, n, amax) * plan.unscale
            cc_fft_forward(nfft, re, im, twr, twi, simd)
        for s in range(plan.count):
            _filtered(plan, s, re, im, yr, yi, simd)
            start = 2 * s * part
            p_len = min(part, m - start)
            _add_piece(out, start, n + p_len - 1, total, yr, unscale, simd)
            start += part
            if start < m:
                p_len = min(part, m - start)
                _add_piece(out, start, n + p_len - 1, total, yi, unscale, simd)
        return not nonfinite
    # Two blocks of the chunk per transform, the filter's partitions one by one.
    b0 = c0
    while b0 < c1 and b0 < n:
        a_len = min(block, n - b0)
        b_len = max(0, min(block, n - b0 - block))
        amax = _pack(re, x + b0, a_len, nfft, &nonfinite, simd)
        amax = max(amax, _pack(im, x + min(b0 + block, n), b_len, nfft, &nonfinite, simd))
        unscale = _scale_block(re, im, a_len, amax) * plan.unscale
        cc_fft_forward(nfft, re, im, twr, twi, simd)
        for s in range(plan.count):
            _filtered(plan, s, re, im, yr, yi, simd)
            start = s * part
            p_len = min(part, m - start)
            _add_piece(out, b0 + start, a_len + p_len - 1, total, yr, unscale, simd)
            if b_len > 0:
                _add_piece(out, b0 + block + start, b_len + p_len - 1, total, yi, unscale, simd)
        b0 += 2 * block
    return not nonfinite


# A long row's FFT route is cut into chunks of whole block pairs, _FFT_CHUNKS of them
# (fewer when a chunk would be shorter than _FFT_CHUNK_MIN samples or than the filter),
# whatever the thread count, so one signal is shared between threads too. A chunk adds
# onto the m - 1 outputs past its end, which the next chunk also adds to; chunks two
# apart never meet. So the even chunks run first, in parallel, then the odd ones: every
# output gets the same terms in the same order at any thread count.
cdef Py_ssize_t _FFT_CHUNKS = 16
cdef Py_ssize_t _FFT_CHUNK_MIN = 8192


cdef Py_ssize_t _chunk_len(bint pair_parts, Py_ssize_t block, Py_ssize_t m,
                           Py_ssize_t n) noexcept nogil:
    """Samples per chunk of a row of ``n`` (``n`` itself: one chunk) in a geometry of
    ``block``-sample blocks (or one transform: ``pair_parts``) through ``m`` taps."""
    cdef Py_ssize_t pair = 2 * block, pairs, per
    if pair_parts or n <= pair:
        return n
    pairs = (n + pair - 1) // pair
    per = max((pairs + _FFT_CHUNKS - 1) // _FFT_CHUNKS,
              (m - 1 + pair - 1) // pair, (_FFT_CHUNK_MIN + pair - 1) // pair)
    return min(per * pair, n)


cdef inline Py_ssize_t _fft_chunk(_FFTPlan plan, Py_ssize_t n) noexcept nogil:
    return _chunk_len(plan.pair_parts, plan.block, plan.m, n)


def fft_speedup(Py_ssize_t n, Py_ssize_t m, Py_ssize_t lanes, int threads):
    """How many times faster ``threads`` threads run the FFT route of ``lanes`` rows of
    ``n`` samples through ``m`` taps than one (by its items: whole chunks, the even
    ones then the odd ones; no parallel overhead counted), for ``method="auto"``'s
    model."""
    if threads <= 1 or n <= 0 or lanes <= 0:
        return 1.0
    geometry = _geometry_cached(n, m)
    cdef Py_ssize_t chunk = _chunk_len(geometry[1], geometry[3], m, n)
    cdef Py_ssize_t n_chunks = (n + chunk - 1) // chunk, rounds
    if n_chunks == 1:
        rounds = (lanes + threads - 1) // threads
    else:
        rounds = ((lanes * ((n_chunks + 1) // 2) + threads - 1) // threads
                  + (lanes * (n_chunks // 2) + threads - 1) // threads)
    return lanes * n_chunks / <double>rounds


cdef Py_ssize_t _fft_rows_impl(_FFTPlan plan, const real_t* rows, Py_ssize_t lanes,
                               Py_ssize_t n, Py_ssize_t ld_in, real_t* out,
                               Py_ssize_t ld_out, double* work, int simd,
                               int n_threads) noexcept nogil:
    """``out[g, :n + m - 1] += convolve(rows[g], h)`` for each of ``lanes`` rows (row
    pitches ``ld_in`` and ``ld_out``), the (lane, chunk) items of each parity shared
    between up to ``n_threads`` threads, each with ``4 * nfft`` doubles of ``work``
    (``_fft_threads`` of them at most). Returns how many items held NaN or inf."""
    cdef Py_ssize_t chunk = _fft_chunk(plan, n), n_chunks = (n + chunk - 1) // chunk
    cdef Py_ssize_t nonfinite = 0, item, lane, ci, per_lane
    cdef int parity, threads
    for parity in range(2 if n_chunks > 1 else 1):
        per_lane = (n_chunks - parity + 1) // 2 if n_chunks > 1 else 1
        threads = <int>max(1, min(<Py_ssize_t>n_threads, lanes * per_lane))
        if threads == 1:
            for item in range(lanes * per_lane):
                lane = item // per_lane
                ci = 2 * (item % per_lane) + parity
                if not _fft_lane(plan, rows + lane * ld_in, n, out + lane * ld_out, work,
                                 simd, ci * chunk, min(n, (ci + 1) * chunk)):
                    nonfinite += 1
        else:
            for item in prange(lanes * per_lane, schedule="dynamic", num_threads=threads):
                lane = item // per_lane
                ci = 2 * (item % per_lane) + parity
                if not _fft_lane(plan, rows + lane * ld_in, n, out + lane * ld_out,
                                 work + 4 * plan.nfft * threadid(), simd, ci * chunk,
                                 min(n, (ci + 1) * chunk)):
                    nonfinite += 1
    return nonfinite


cdef int _fft_threads(_FFTPlan plan, Py_ssize_t lanes, Py_ssize_t n,
                      int n_threads) noexcept nogil:
    """The most threads _fft_rows_impl runs for these rows (its work arrays' count)."""
    cdef Py_ssize_t chunk = _fft_chunk(plan, n), n_chunks = (n + chunk - 1) // chunk
    return <int>max(1, min(<Py_ssize_t>n_threads, lanes * ((n_chunks + 1) // 2)))


cdef bint _fft_rows(_FFTPlan plan, const real_t[:, ::1] rows, real_t[:, ::1] out,
                    int simd, int n_threads) except -1:
    """Every row's full convolution added onto ``out``'s rows by _fft_rows_impl (the
    result does not depend on the thread count); False on non-finite input."""
    cdef Py_ssize_t lanes = rows.shape[0], n = rows.shape[1]
    cdef int threads = _fft_threads(plan, lanes, n, n_threads)
    cdef Py_ssize_t nonfinite
    cdef double* work
    if n == 0 or lanes == 0:
        return True
    work = <double*>malloc(4 * plan.nfft * threads * sizeof(double))
    if work == NULL:
        raise MemoryError("fir_filter: cannot allocate the transform's work arrays")
    try:
        with nogil:
            nonfinite = _fft_rows_impl(plan, &rows[0, 0], lanes, n, rows.shape[1],
                                       &out[0, 0], out.shape[1], work, simd, threads)
    finally:
        free(work)
    return nonfinite == 0


def fft_full(h, rows, out, int n_threads=1):
    """``out += convolve(row, h)`` for each row of ``rows`` (lanes, n) into ``out``
    (lanes, n + m - 1); all C-contiguous of one float dtype, ``h`` 1-D; rows shared
    between up to ``n_threads`` threads. Returns False when ``rows`` or ``h`` held NaN
    or inf (``out`` then holds what the transform spread)."""
    cdef int simd = _fft_simd()
    plan = _plan(h, rows.shape[1], simd)
    if rows.dtype == _F64:
        finite = _fft_rows[double](plan, rows, out, simd, n_threads)
    else:
        finite = _fft_rows[float](plan, rows, out, simd, n_threads)
    return finite and plan.finite_taps


cdef object _fir_fft_1d(object h, object dtype, const real_t* hp, Py_ssize_t m,
                        const real_t* xp, Py_ssize_t n, const real_t* zp, int simd,
                        bint auto):
    """``(y, zf)`` by the FFT route (``zp`` NULL: zero state); None when ``auto`` and
    the chunk is not finite, or when the taps are not (the caller then takes another
    route)."""
    cdef Py_ssize_t k = m - 1
    cdef _FFTPlan plan = None
    cdef bint finite = True
    cdef Py_buffer ob
    cdef real_t* op
    cdef double* work
    cdef int threads = 1
    # A stream's usual transforms (up to 1024 points) work on the stack: a malloc and a
    # free per chunk were 2 % of a 256-sample chunk through 511 taps.
    cdef double stack_work[4 * STACK_NFFT + 8]
    if _PLANS:
        # A stream calls again and again with one filter and one chunk length: compare
        # the taps' bytes in place, without a copy.
        plan = _PLANS[0]
        if not (plan.chunk == n and plan.m == m and plan.dtype is dtype
                and memcmp(hp, <const char*>plan.taps, m * sizeof(real_t)) == 0):
            plan = None
    if plan is None:
        plan = _plan(h, n, simd)
    if not plan.finite_taps:
        return None
    out = _np_empty(n + m - 1, dtype)
    if _fft_chunk(plan, n) < n:    # a long chunk: shared between threads
        threads = _fft_threads(plan, 1, n, _threads.get_num_threads())
    if plan.nfft <= STACK_NFFT and threads == 1:
        work = <double*>((<size_t>stack_work + 63) & ~(<size_t>63))
    else:
        work = <double*>malloc(4 * plan.nfft * threads * sizeof(double))
        if work == NULL:
            raise MemoryError("fir_filter: cannot allocate the transform's work arrays")
    PyObject_GetBuffer(out, &ob, PyBUF_C_CONTIGUOUS | PyBUF_WRITABLE)
    op = <real_t*>ob.buf
    with nogil:
        if zp != NULL:
            memcpy(op, zp, k * sizeof(real_t))
        else:
            memset(op, 0, k * sizeof(real_t))
        memset(op + k, 0, n * sizeof(real_t))
        if n > 0:
            finite = _fft_rows_impl(plan, xp, 1, n, n, op, n + m - 1, work, simd,
                                    threads) == 0
    PyBuffer_Release(&ob)
    if plan.nfft > STACK_NFFT or threads > 1:
        free(work)
    if auto and not finite:
        return None
    # Views of one buffer: y and zf do not overlap, and nothing else holds it.
    return out[:n], out[n:]


cdef bint _finite_taps(const real_t* h, Py_ssize_t m) noexcept nogil:
    cdef Py_ssize_t j
    for j in range(m):
        if not isfinite(h[j]):
            return False
    return True


# fir_chunk's last choice under "auto", by chunk and filter length (the models are fixed)
cdef Py_ssize_t _auto_n = -1, _auto_m = -1
cdef int _auto_route = 1

# fir_chunk's "not this case" (None is a route's answer too: "take the general path").
cdef object _DECLINED = object()


cdef object _fir_chunk_typed(object h, object x, object zi, object dtype, const real_t* hp,
                             Py_ssize_t m, const real_t* xp, Py_ssize_t n,
                             const real_t* zp, int route):
    """fir_chunk once the arrays are known to be plain 1-D ones of one float dtype."""
    cdef bint avx2 = has_avx2(active_kernels())
    cdef bint auto = route == 0 or route == 3
    if n > _BLOCK_MAX and (route == 0 or route == 1):
        return _DECLINED   # the caller's models choose between the FFT and the row kernels
    global _auto_n, _auto_m, _auto_route
    if route == 0:
        # a stream asks again and again for one chunk length and filter length
        if n != _auto_n or m != _auto_m:
            _auto_route = (2 if n > 0 and m >= _DIRECT_TAPS and _geometry_cached(n, m)[0]
                           < _DIRECT_MAC * n * m + _DIRECT_BORDER * m + _DIRECT_FIXED
                           else 1)
            _auto_n, _auto_m = n, m
        route = _auto_route
    elif route == 3:
        route = 2
    if route == 2:
        result = _fir_fft_1d[real_t](h, dtype, hp, m, xp, n, zp, _fft_simd(), auto)
        if result is not None or not auto or n > _BLOCK_MAX:
            return result
    # Taps with NaN/inf go the general way: the block kernel also multiplies taps
    # lying over its zero border (0 * nan), where lfilter has no product at all.
    return _fir_block_ptr[real_t](dtype, hp, m, xp, n, zp, avx2) if _finite_taps(hp, m) else None


cdef dict _METHOD_CODES = {"auto": 0, "direct": 1, "fft": 2, "fft-unless-nonfinite": 3}


def fir_chunk(h, x, zi, axis, method):
    """``(y, zf)`` of ``lfilter(h, [1], x, zi=zi)`` for plain 1-D arrays of one float
    dtype (``axis`` -1 or 0), by the FFT route or the direct block kernel, or None when
    the arguments are not that case or the chunk needs another route (below).

    ``method``: ``"auto"`` (the cheaper by the models above; a chunk holding NaN or inf
    then takes the direct sums; None for chunks longer than ``BLOCK_MAX``, which the
    caller's models route), ``"direct"`` (None beyond ``BLOCK_MAX`` too), ``"fft"``, or
    ``"fft-unless-nonfinite"``: the FFT route chosen by the caller under auto's rule
    for NaN and inf (such a chunk returns None: the caller's general path then sums
    directly). Anything else returns None for the caller to validate."""
    if type(method) is not str or type(axis) is not int or (axis != -1 and axis != 0):
        return None     # (a float or bool axis: the general path's TypeError)
    code = _METHOD_CODES.get(method)
    if code is None or type(x) is not _NDARRAY or type(h) is not _NDARRAY:
        return None
    if zi is not None and type(zi) is not _NDARRAY:
        return None
    dtype = x.dtype
    if (dtype is not _F64 and dtype is not _F32) or h.dtype is not dtype or (
            zi is not None and zi.dtype is not dtype):
        return None
    # The dtypes are native float64/float32 (the dtype objects are numpy's singletons);
    # the buffers check the rest, and anything else goes the general way.
    cdef Py_buffer hb, xb, zb
    cdef Py_ssize_t itemsize = 8 if dtype is _F64 else 4
    cdef bint have_h = False, have_x = False, have_z = False
    result = _DECLINED
    try:
        have_h = plain_buffer(h, &hb, itemsize)
        have_x = have_h and plain_buffer(x, &xb, itemsize)
        have_z = have_x and zi is not None and plain_buffer(zi, &zb, itemsize)
        if have_x and hb.shape[0] > 0 and (zi is None or (
                have_z and zb.shape[0] == hb.shape[0] - 1)):
            if dtype is _F64:
                result = _fir_chunk_typed[double](
                    h, x, zi, dtype, <const double*>hb.buf, hb.shape[0],
                    <const double*>xb.buf, xb.shape[0],
                    <const double*>zb.buf if have_z else NULL, code)
            else:
                result = _fir_chunk_typed[float](
                    h, x, zi, dtype, <const float*>hb.buf, hb.shape[0],
                    <const float*>xb.buf, xb.shape[0],
                    <const float*>zb.buf if have_z else NULL, code)
    except (BufferError, ValueError):
        return None     # (plain_buffer declines refused exports itself) the general way
    finally:
        if have_z:
            PyBuffer_Release(&zb)
        if have_x:
            PyBuffer_Release(&xb)
        if have_h:
            PyBuffer_Release(&hb)
    return None if result is _DECLINED else result

