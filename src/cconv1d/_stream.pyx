# Block kernels of the streaming functions (cconv1d.stream).
"""Compiled block FIR with lfilter's state, for ``fir_filter``'s short chunks.

One call computes ``c = convolve(x, h)`` (all ``n + m - 1`` outputs, summing only the
``n * m`` products that exist), adds the state ``zi`` onto its first ``m - 1`` samples,
and returns ``y = c[:n]`` and ``zf = c[n:]``: the whole chunk in compiled code, so a
64-sample chunk is not dominated by Python. Outputs are computed 16 at a time with the
accumulators in registers; the chunk is copied once into a zero-bordered buffer so the
edges need no branches. The AVX2+FMA build of the same loop (a per-function target
attribute, chosen at run time) is taken when the forward module's SIMD path is avx2.
"""

import numpy as np

from libc.stdlib cimport free, malloc
from libc.string cimport memcpy, memset

from cconv1d._typedefs cimport idx_t, real_t

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


cdef int _fir(const real_t[::1] h, const real_t[::1] x, const real_t[::1] zi,
              real_t[::1] out, bint avx2) except -1:
    cdef idx_t m = h.shape[0], n = x.shape[0], i
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
                memcpy(xp + pad, &x[0], n * sizeof(real_t))
            memset(xp + pad + n, 0, pad * sizeof(real_t))
            if real_t is double:
                if avx2 and CC_FIR_HAVE_AVX2:
                    cc_fir_f64_avx2(&h[0], m, xp, pad, n, &out[0], rounded)
                else:
                    cc_fir_f64_scalar(&h[0], m, xp, pad, n, &out[0], rounded)
            else:
                if avx2 and CC_FIR_HAVE_AVX2:
                    cc_fir_f32_avx2(&h[0], m, xp, pad, n, &out[0], rounded)
                else:
                    cc_fir_f32_scalar(&h[0], m, xp, pad, n, &out[0], rounded)
            # lfilter's state is the tail the past inputs left on the next m - 1 outputs
            for i in range(zi.shape[0]):
                out[i] += zi[i]
    finally:
        free(xp)
    return 0


cdef object _F32 = np.dtype(np.float32)
cdef object _F64 = np.dtype(np.float64)
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
    cdef idx_t rounded = (n + m - 1 + CC_FIR_BLOCK - 1) // CC_FIR_BLOCK * CC_FIR_BLOCK
    out = np.empty(rounded, dtype=dtype)
    if dtype is _F64:
        _fir[double](h, x, zi, out, avx2)
    else:
        _fir[float](h, x, zi, out, avx2)
    # Views of one buffer: y and zf do not overlap, and nothing else holds it.
    return out[:n], out[n:n + m - 1]
