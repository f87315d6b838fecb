"""Forward kernel: the sliding dot product behind conv1d and the signal functions.

Scheme. For each sample ``n`` the input rows are padded once into per-thread scratch
(``xp``, row pitch ``Lp``) by the padding module's ``pad_row``, so every padding mode is
handled before the arithmetic and the tile below never branches on edges. The output is
computed in tiles of up to 4 output channels (of one group) by up to ``TILE`` positions,
accumulated in a small array that stays in L1:

    acc[r, j] = bias[o + r] + sum_c sum_k w[o + r, c, k] * xp[g(o) + c, j*stride + k*dilation]

With ``stride == 1`` the inner loop over ``j`` reads a contiguous shifted input row and
updates 4 accumulator rows, which the compiler vectorises. ``flip`` reads the taps
backwards (true convolution). Work is shared between threads by sample when there are
enough samples, otherwise by (output-channel block, position tile) of one sample.
Each output element is written by exactly one thread with a fixed summation order, so
results do not depend on the thread count.
"""

from cython.parallel cimport prange, parallel, threadid

from cconv1d._typedefs cimport real_t, idx_t
from cconv1d._padding cimport pad_row

import numpy as np

cdef enum:
    TILE = 256            # positions per tile: 4 rows x 256 x 8 B = 8 KiB of accumulators
    OUT_BLOCK = 4         # output channels per tile
    MEDIAN_MODE = 6       # CC_PAD_MEDIAN: needs a double scratch for its selection


cdef inline void _tile(const real_t* xp, idx_t pitch,           # IN  padded sample
                       const real_t* w,                         # IN  (C_out, C_in/g, K)
                       const real_t* bias,                      # IN  (C_out,) or NULL
                       real_t* y, idx_t l_out,                  # OUT (C_out, L_out) sample
                       idx_t o0, idx_t n_rows, idx_t j0, idx_t n_cols,
                       idx_t c_first, idx_t c_per_group, idx_t k_size,
                       idx_t stride, idx_t dilation, bint flip) noexcept nogil:
    """y[o0 : o0+n_rows, j0 : j0+n_cols] for output channels of one group."""
    cdef real_t acc[OUT_BLOCK * TILE]
    cdef real_t w0, w1, w2, w3, v
    cdef const real_t* xs
    cdef const real_t* wrow
    cdef idx_t r, c, k, tap, j, w_pitch = c_per_group * k_size
    for r in range(n_rows):
        v = bias[o0 + r] if bias != NULL else 0
        for j in range(n_cols):
            acc[r * TILE + j] = v
    for c in range(c_per_group):
        for k in range(k_size):
            tap = k_size - 1 - k if flip else k
            xs = xp + (c_first + c) * pitch + j0 * stride + k * dilation
            wrow = w + o0 * w_pitch + c * k_size + tap
            if n_rows == OUT_BLOCK and stride == 1:
                # The common case, written out so the compiler keeps the 4 weights in
                # registers and vectorises over j with one load of xs per 4 updates.
                w0 = wrow[0]
                w1 = wrow[w_pitch]
                w2 = wrow[2 * w_pitch]
                w3 = wrow[3 * w_pitch]
                for j in range(n_cols):
                    v = xs[j]
                    acc[j] += w0 * v
                    acc[TILE + j] += w1 * v
                    acc[2 * TILE + j] += w2 * v
                    acc[3 * TILE + j] += w3 * v
            else:
                for r in range(n_rows):
                    w0 = wrow[r * w_pitch]
                    for j in range(n_cols):
                        acc[r * TILE + j] += w0 * xs[j * stride]
    for r in range(n_rows):
        for j in range(n_cols):
            y[(o0 + r) * l_out + j0 + j] = acc[r * TILE + j]


cdef void _sample_tiles(const real_t* xp, idx_t pitch, const real_t* w, const real_t* bias,
                        real_t* y, idx_t l_out, idx_t c_out, idx_t groups,
                        idx_t c_per_group, idx_t k_size, idx_t stride, idx_t dilation,
                        bint flip, idx_t first, idx_t last) noexcept nogil:
    """Tiles first..last-1 of one sample, in the order (group, channel block, position)."""
    cdef idx_t o_per_group = c_out // groups
    cdef idx_t blocks = (o_per_group + OUT_BLOCK - 1) // OUT_BLOCK
    cdef idx_t col_tiles = (l_out + TILE - 1) // TILE
    cdef idx_t item, g, b, t, o0, n_rows, j0
    for item in range(first, last):
        t = item % col_tiles
        b = (item // col_tiles) % blocks
        g = item // (col_tiles * blocks)
        o0 = g * o_per_group + b * OUT_BLOCK
        n_rows = min(<idx_t>OUT_BLOCK, (g + 1) * o_per_group - o0)
        j0 = t * TILE
        _tile(xp, pitch, w, bias, y, l_out, o0, n_rows, j0, min(<idx_t>TILE, l_out - j0),
              g * c_per_group, c_per_group, k_size, stride, dilation, flip)


cdef inline idx_t _tile_count(idx_t l_out, idx_t c_out, idx_t groups) noexcept nogil:
    cdef idx_t o_per_group = c_out // groups
    return groups * ((o_per_group + OUT_BLOCK - 1) // OUT_BLOCK) * ((l_out + TILE - 1) // TILE)


cdef void _pad_sample(const real_t* x, idx_t c_in, idx_t length, real_t* xp, idx_t pitch,
                      idx_t left, idx_t right, int mode, real_t value,
                      double* work) noexcept nogil:
    cdef idx_t c
    for c in range(c_in):
        pad_row(x + c * length if length > 0 else x, length, xp + c * pitch, left, right,
                mode, value, value, length, length, work)


def conv1d_forward(const real_t[:, :, ::1] x,      # IN  (N, C_in, L)
                   const real_t[:, :, ::1] w,      # IN  (C_out, C_in/groups, K)
                   const real_t[::1] bias,         # IN  (C_out,) or length 0 for none
                   real_t[:, :, ::1] y,            # OUT (N, C_out, L_out)
                   idx_t left, idx_t right, int mode, double pad_value,
                   idx_t stride, idx_t dilation, idx_t groups, bint flip, int n_threads):
    """Cross-correlation (or convolution with ``flip``) of validated arrays into ``y``.

    The caller checked shapes, dtypes, groups and that ``L_out >= 1``; this only picks
    the work split and allocates the padded-sample scratch (one per thread).
    """
    cdef idx_t n_batch = x.shape[0], c_in = x.shape[1], length = x.shape[2]
    cdef idx_t c_out = w.shape[0], c_per_group = w.shape[1], k_size = w.shape[2]
    cdef idx_t l_out = y.shape[2]
    cdef idx_t pitch = left + length + right
    cdef idx_t n_tiles = _tile_count(l_out, c_out, groups)
    cdef const real_t* bias_ptr = &bias[0] if bias.shape[0] > 0 else NULL
    cdef real_t value = <real_t>pad_value
    cdef idx_t n, item, t, per_thread
    cdef int threads = max(1, n_threads)
    cdef double flops = 2.0 * n_batch * c_out * l_out * c_per_group * k_size
    # Below ~1 MFLOP waking a thread team costs more than it saves.
    if flops < 1e6:
        threads = 1
    by_sample = n_batch >= threads
    dtype = np.asarray(y).dtype
    cdef real_t[:, ::1] scratch = np.empty(
        (threads if by_sample else 1, c_in * pitch), dtype=dtype)
    cdef double[:, ::1] work = np.empty(
        (threads, length if mode == MEDIAN_MODE else 1), dtype=np.float64)
    if n_batch == 0 or c_out == 0 or l_out == 0:
        return
    if by_sample:
        with nogil:
            for n in prange(n_batch, schedule="static", num_threads=threads):
                t = threadid()
                _pad_sample(&x[n, 0, 0] if length > 0 else <const real_t*>NULL, c_in, length,
                            &scratch[t, 0], pitch, left, right, mode, value, &work[t, 0])
                _sample_tiles(&scratch[t, 0], pitch, &w[0, 0, 0], bias_ptr, &y[n, 0, 0],
                              l_out, c_out, groups, c_per_group, k_size, stride,
                              dilation, flip, 0, n_tiles)
    else:
        # Few samples (a long signal, a single example): split each sample's tiles.
        per_thread = (n_tiles + threads - 1) // threads
        for n in range(n_batch):
            with nogil:
                _pad_sample(&x[n, 0, 0] if length > 0 else <const real_t*>NULL, c_in, length,
                            &scratch[0, 0], pitch, left, right, mode, value, &work[0, 0])
                for item in prange(threads, schedule="static", num_threads=threads):
                    _sample_tiles(&scratch[0, 0], pitch, &w[0, 0, 0], bias_ptr, &y[n, 0, 0],
                                  l_out, c_out, groups, c_per_group, k_size, stride,
                                  dilation, flip, item * per_thread,
                                  min((item + 1) * per_thread, n_tiles))
