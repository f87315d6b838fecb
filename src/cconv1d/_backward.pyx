"""Backward kernels: input gradient (also conv_transpose1d), weight and bias gradients.

Input gradient. ``y[o, j] = sum_c sum_k w[o, c, k] xp[g(o) + c, j*s + k*d]`` is linear
in the padded input ``xp``, so its transpose scatters every ``dy[o, j]`` back to the
padded positions ``j*s + k*d``. Each thread owns whole rows ``(n, c)`` of the padded
gradient, accumulates them in a zeroed scratch row (contiguous updates when ``s == 1``),
then folds the row onto the ``L`` real samples with the padding module's adjoint
``pad_row_backward``, so reflected, wrapped or statistic-padded positions send their
gradient back to where their values came from. ``conv_transpose1d`` is this kernel with
constant padding: its cropping by ``padding`` is exactly the adjoint of zero padding.

Weight gradient. ``dW[o, c, k] = sum_n sum_j dy[n, o, j] xp[n, g(o) + c, j*s + k*d]``.
Samples are visited in order; each is padded once, then threads split the output
channels, so every ``dW`` entry is owned by one thread and summed in a fixed order
(deterministic, independent of the thread count). Each per-sample dot product is
accumulated in double and added to a double ``dW``: the float32 result keeps float64's
accuracy over millions of terms. The bias gradient is the same sweep over ``dy`` alone.
"""

from cython.parallel cimport prange, threadid
from libc.string cimport memset

from cconv1d._typedefs cimport real_t, idx_t
from cconv1d._padding cimport pad_row, pad_row_backward

import numpy as np

cdef enum:
    MEDIAN_MODE = 6       # CC_PAD_MEDIAN
    MINIMUM_MODE = 7
    MAXIMUM_MODE = 8
    ANTIREFLECT_MODE = 11


cdef void _grad_row(const real_t* dy, idx_t l_out,          # IN  (C_out, L_out) sample
                    const real_t* w,                        # IN  (C_out, C_in/g, K)
                    real_t* row, idx_t pitch,               # OUT padded-row gradient
                    idx_t c, idx_t o_first, idx_t o_per_group, idx_t c_per_group,
                    idx_t k_size, idx_t stride, idx_t dilation, bint flip) noexcept nogil:
    """Gradient of one padded input row ``c`` (local index within its group)."""
    cdef idx_t o, k, tap, j
    cdef real_t wk
    cdef const real_t* dyo
    cdef real_t* dst
    memset(row, 0, pitch * sizeof(real_t))
    for o in range(o_first, o_first + o_per_group):
        dyo = dy + o * l_out
        for k in range(k_size):
            tap = k_size - 1 - k if flip else k
            wk = w[(o * c_per_group + c) * k_size + tap]
            dst = row + k * dilation
            if stride == 1:
                for j in range(l_out):
                    dst[j] += wk * dyo[j]
            else:
                for j in range(l_out):
                    dst[j * stride] += wk * dyo[j]


def grad_input(const real_t[:, :, ::1] dy,       # IN  (N, C_out, L_out)
               const real_t[:, :, ::1] w,        # IN  (C_out, C_in/groups, K)
               real_t[:, :, ::1] dx,             # OUT (N, C_in, L)
               const real_t[:, :, ::1] x,        # IN  (N, C_in, L), or (0, 0, 0)
               idx_t left, idx_t right, int mode,
               idx_t stride, idx_t dilation, idx_t groups, bint flip, int n_threads):
    """dL/dx of conv1d for validated arrays; with mode=constant also conv_transpose1d.

    ``x`` is needed only by the median/minimum/maximum padding modes.
    """
    cdef idx_t n_batch = dx.shape[0], c_in = dx.shape[1], length = dx.shape[2]
    cdef idx_t c_out = w.shape[0], c_per_group = w.shape[1], k_size = w.shape[2]
    cdef idx_t l_out = dy.shape[2]
    cdef idx_t pitch = left + length + right
    cdef idx_t o_per_group = c_out // groups
    cdef idx_t item, n, c, g, t
    cdef bint with_x = x.shape[0] > 0
    cdef int threads = max(1, n_threads)
    cdef double flops = 2.0 * n_batch * c_out * l_out * c_per_group * k_size
    if flops < 1e6:
        threads = 1
    dtype = np.asarray(dx).dtype
    cdef real_t[:, ::1] rows = np.empty((threads, max(pitch, 1)), dtype=dtype)
    cdef real_t[:, ::1] fold = np.empty(
        (threads, pitch if mode == ANTIREFLECT_MODE else 1), dtype=dtype)
    cdef double[:, ::1] stat_work = np.empty(
        (threads, length if mode == MEDIAN_MODE else 1), dtype=np.float64)
    if n_batch == 0 or c_in == 0 or length == 0:
        return
    with nogil:
        for item in prange(n_batch * c_in, schedule="static", num_threads=threads):
            t = threadid()
            n = item // c_in
            c = item % c_in
            g = c // c_per_group
            _grad_row(&dy[n, 0, 0] if l_out > 0 else <const real_t*>NULL, l_out, &w[0, 0, 0],
                      &rows[t, 0], pitch, c % c_per_group, g * o_per_group,
                      o_per_group, c_per_group, k_size, stride, dilation, flip)
            pad_row_backward(&rows[t, 0], length, &dx[n, c, 0], left, right, mode,
                             &x[n, c, 0] if with_x else <const real_t*>NULL, length, length,
                             &fold[t, 0], &stat_work[t, 0])


def grad_weight_bias(const real_t[:, :, ::1] dy,     # IN  (N, C_out, L_out)
                     const real_t[:, :, ::1] x,      # IN  (N, C_in, L)
                     real_t[:, :, ::1] dw,           # OUT (C_out, C_in/groups, K) or empty
                     real_t[::1] db,                 # OUT (C_out,) or empty
                     idx_t left, idx_t right, int mode, double pad_value,
                     idx_t stride, idx_t dilation, idx_t groups, bint flip, int n_threads):
    """dL/dW and dL/db of conv1d for validated arrays (either output may be empty)."""
    cdef idx_t n_batch = dy.shape[0], c_out = dy.shape[1], l_out = dy.shape[2]
    cdef idx_t c_in = x.shape[1], length = x.shape[2]
    cdef idx_t c_per_group = dw.shape[1] if dw.shape[0] > 0 else 1
    cdef idx_t k_size = dw.shape[2] if dw.shape[0] > 0 else 1
    cdef idx_t pitch = left + length + right
    cdef idx_t o_per_group = c_out // groups
    cdef bint want_w = dw.shape[0] > 0, want_b = db.shape[0] > 0
    cdef idx_t n, o, c, k, tap, j, g
    cdef double acc
    cdef const real_t* xs
    cdef const real_t* dyo
    cdef real_t value = <real_t>pad_value
    cdef int threads = max(1, n_threads)
    cdef double flops = 2.0 * n_batch * c_out * l_out * c_per_group * k_size
    if flops < 1e6:
        threads = 1
    dtype = np.asarray(dy).dtype
    cdef real_t[:, ::1] xp = np.empty((1, max(c_in * pitch, 1)), dtype=dtype)
    cdef double[:, :, ::1] dw_acc = np.zeros(
        (c_out if want_w else 0, c_per_group, k_size), dtype=np.float64)
    cdef double[::1] db_acc = np.zeros(c_out if want_b else 0, dtype=np.float64)
    cdef double[::1] stat_work = np.empty(length if mode == MEDIAN_MODE else 1,
                                          dtype=np.float64)
    with nogil:
        for n in range(n_batch):
            if want_w:
                for c in range(c_in):
                    pad_row(&x[n, c, 0] if length > 0 else <const real_t*>NULL, length, &xp[0, c * pitch], left, right, mode,
                            value, value, length, length, &stat_work[0])
            for o in prange(c_out, schedule="static", num_threads=threads):
                dyo = &dy[n, o, 0]
                if want_b:
                    acc = 0.0
                    for j in range(l_out):
                        acc = acc + dyo[j]
                    db_acc[o] += acc
                if want_w:
                    g = o // o_per_group
                    for c in range(c_per_group):
                        for k in range(k_size):
                            tap = k_size - 1 - k if flip else k
                            xs = &xp[0, (g * c_per_group + c) * pitch + k * dilation]
                            acc = 0.0
                            if stride == 1:
                                for j in range(l_out):
                                    acc = acc + <double>dyo[j] * xs[j]
                            else:
                                for j in range(l_out):
                                    acc = acc + <double>dyo[j] * xs[j * stride]
                            dw_acc[o, c, tap] += acc
    if want_w:
        np.asarray(dw)[...] = np.asarray(dw_acc)
    if want_b:
        np.asarray(db)[...] = np.asarray(db_acc)
