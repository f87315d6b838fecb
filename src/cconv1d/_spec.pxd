# The spec layer's C-level face: the typed record every public convolution is parsed
# into, the typed fast route that builds it for the common call, and the status check
# that turns a kernel's return code into an exception once the GIL is back.
#
# Arrows point one way: functional / signal / padding / layers / torch / dask call the
# spec layer (cconv1d._spec); the kernel modules (_forward, _backward) cimport the record
# from here and never import a Python module of the package.

from cconv1d._typedefs cimport idx_t

# Kernel status codes: kernels run without the GIL and return these; check_status
# raises the matching exception once the GIL is back.
cdef extern from "cconv1d/include/cconv1d/cc_common.h":
    int CC_OK
    int CC_ENOMEM
    int CC_EARG

cdef class ConvSpec:
    # Validated arrays: x as (N, C_in, L) (a view of what the user gave), weight, bias
    # (None when absent); dtype is the compute dtype (float32 or float64).
    cdef readonly object x, weight, bias, dtype
    cdef readonly bint batched
    cdef readonly idx_t n_batch, c_in, length, c_out, c_per_group, k_size
    cdef readonly idx_t stride, dilation, groups, left, right, l_out
    # The padding mode: its cc_modes.h code and canonical name, and the constant (the
    # pad_value, or 0.0 for the "zeros" names).
    cdef readonly int code
    cdef readonly str mode
    cdef readonly double value

cdef ConvSpec fast_conv1d_spec(object x, object w, object b, object stride, object padding,
                               object dilation, object groups, object padding_mode,
                               object pad_value, idx_t max_span)

cdef int check_status(int status, str what) except -1

# NumPy's output window (offset into the full result, length) of convolve/correlate;
# -1 in *length for an unknown mode.
cdef void output_window(idx_t n, idx_t m, object mode, bint correlate, idx_t* offset,
                        idx_t* length) noexcept
