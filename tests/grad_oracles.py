"""Old name kept for importers outside this refactor: re-exports :mod:`oracles_grad`
(plus the padding and forward helpers it used to define, with their old signatures)."""

from oracles_conv import conv1d_out_length, conv1d_torch, explicit_padding  # noqa: F401
from oracles_grad import (central_fd_grad, fd_conv1d_grads, float32_bound,  # noqa: F401
                          torch_conv1d_grads)
from oracles_padding import (NUMPY_PAD_MODES, PYWT_PAD_MODES, TORCH_PAD_MODES,  # noqa: F401
                             pad_last)


def output_length(length, kernel_size, stride, left, right, dilation):
    """Old argument order of :func:`oracles_conv.conv1d_out_length`."""
    return conv1d_out_length(length, kernel_size, stride, dilation, left, right)


def oracle_pad(x, padding, mode, value=0.0):
    """Old signature of :func:`oracles_padding.pad_last` (float64)."""
    return pad_last(x, padding[0], padding[1], mode, value)


def oracle_conv1d(x, w, b=None, **kwargs):
    """Old signature: the output of :func:`oracles_conv.conv1d_torch`."""
    return conv1d_torch(x, w, b, **kwargs)[0]
