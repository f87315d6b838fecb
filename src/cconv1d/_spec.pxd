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

# The typed record of one conv1d call: what the kernels read.
cdef struct ConvArgs:
    bint batched            # x had a batch axis
    idx_t n_batch, c_in, length, c_out, c_per_group, k_size
    idx_t stride, dilation, groups, left, right, l_out
    int code                # the padding mode, a cc_modes.h code
    double value            # its constant (pad_value, or 0.0 for the "zeros" names)

cdef class ConvSpec:
    # The record and the validated arrays: x as given (2-D or 3-D), weight, bias (None
    # when absent); dtype is the compute dtype (float32 or float64).
    cdef readonly object x, weight, bias, dtype
    cdef ConvArgs args

# The typed fast route: fills *args and returns True for the common call (x, w, b are
# then used as they are, of dtype x.dtype); False sends the call to conv1d_spec.
cdef bint fast_conv1d_args(object x, object w, object b, object stride, object padding,
                           object dilation, object groups, object padding_mode,
                           object pad_value, idx_t max_span, ConvArgs* args) except -1

cdef int check_status(int status, str what) except -1

# NumPy's output window (offset into the full result, length) of convolve/correlate;
# -1 in *length for an unknown mode.
cdef void output_window(idx_t n, idx_t m, object mode, bint correlate, idx_t* offset,
                        idx_t* length) noexcept
