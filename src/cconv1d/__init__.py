"""cconv1d: fast one-dimensional convolution for neural networks and signal processing.

>>> import cconv1d as cc
>>> cc.pad([1.0, 2.0, 3.0], 1, mode="edge")
array([1., 1., 2., 3., 3.])
"""

import os as _os

from cconv1d._version import __version__
from cconv1d._threads import get_num_threads, set_num_threads
from cconv1d._config import show_config
from cconv1d.padding import pad, pad_backward
from cconv1d.functional import conv1d, conv1d_backward, conv_transpose1d
from cconv1d.signal import autocorrelate, convolve, correlate, correlation_lags
from cconv1d.stream import conv1d_stream, fir_filter
from cconv1d.layers import Conv1d
from cconv1d.optim import SGD

__all__ = [
    "__version__",
    "Conv1d",
    "SGD",
    "autocorrelate",
    "conv1d",
    "conv1d_backward",
    "conv1d_stream",
    "conv_transpose1d",
    "convolve",
    "correlate",
    "correlation_lags",
    "fir_filter",
    "get_include",
    "get_num_threads",
    "pad",
    "pad_backward",
    "set_num_threads",
    "show_config",
]


def get_include() -> str:
    """Folder holding cconv1d's ``.pxd`` files, for ``include_dirs`` of Cython builds
    that ``cimport`` its ``nogil`` kernels (its C headers are in ``include/`` under it).

    Examples
    --------
    >>> import os, cconv1d
    >>> os.path.exists(os.path.join(cconv1d.get_include(), "cconv1d", "_padding.pxd"))
    True
    """
    return _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__)))
