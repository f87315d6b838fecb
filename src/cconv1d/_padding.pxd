# C-level API of the padding kernels: one lane (row) at a time, no GIL, no allocation.
# Other Cython code (conv1d's forward and backward passes, downstream packages) cimports
# these to pad a row into its own scratch. The caller guarantees the preconditions below;
# the Python layer (cconv1d.padding) checks them for every public call.

from cconv1d._typedefs cimport scalar_t, idx_t

# The padding modes: cc_modes.h is their only source (codes, pictures); Cython modules
# cimport them from here; Python code reads cconv1d._spec (its MODE_CODES table).
# The path is relative to cconv1d.get_include(), so downstream builds need no other
# include folder.
cdef extern from "cconv1d/include/cconv1d/cc_modes.h":
    enum cc_pad_mode:
        CC_PAD_CONSTANT
        CC_PAD_EDGE
        CC_PAD_REFLECT
        CC_PAD_SYMMETRIC
        CC_PAD_WRAP
        CC_PAD_MEAN
        CC_PAD_MEDIAN
        CC_PAD_MINIMUM
        CC_PAD_MAXIMUM
        CC_PAD_LINEAR_RAMP
        CC_PAD_ANTISYMMETRIC
        CC_PAD_ANTIREFLECT
        CC_PAD_SMOOTH

# Writes the padded row out[0 : left + length + right] from x[0 : length].
#   mode:        a code of cc_modes.h; length >= 1 unless mode is CONSTANT
#   value_left, value_right: the constant (CONSTANT) or the ramp's end values (LINEAR_RAMP)
#   stat_left, stat_right:   window sizes for the statistic modes, 1 <= stat <= length
#   work:        max(stat_left, stat_right) doubles (MEDIAN only; may be NULL otherwise)
cdef void pad_row(const scalar_t* x, idx_t length, scalar_t* out, idx_t left, idx_t right,
                  int mode, scalar_t value_left, scalar_t value_right,
                  idx_t stat_left, idx_t stat_right, double* work) noexcept nogil

# The adjoint: folds grad[0 : left + length + right] onto out[0 : length] (overwrites out).
#   x:     the original row (MEDIAN, MINIMUM, MAXIMUM only; may be NULL otherwise)
#   work:       unused (ANTIREFLECT needed it before its closed form; kept for the C API,
#               may be NULL)
#   stat_work:  max(stat_left, stat_right) doubles (MEDIAN only; may be NULL otherwise)
cdef void pad_row_backward(const scalar_t* grad, idx_t length, scalar_t* out, idx_t left,
                           idx_t right, int mode, const scalar_t* x,
                           idx_t stat_left, idx_t stat_right, scalar_t* work,
                           double* stat_work) noexcept nogil
