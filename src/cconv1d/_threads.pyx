"""Thread-count control shared by every kernel (``cc.set_num_threads``)."""

from cconv1d._openmp cimport CC_HAVE_OPENMP, cc_omp_max_threads

import os

# None: follow OpenMP's own setting (OMP_NUM_THREADS, affinity, threadpoolctl's limit).
_requested = None


def have_openmp():
    """True when the extension was compiled with OpenMP."""
    return bool(CC_HAVE_OPENMP)


def _usable_cores():
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def get_num_threads():
    """Number of threads the kernels use.

    Without an explicit :func:`set_num_threads`, this is OpenMP's current maximum, which
    honours ``OMP_NUM_THREADS``, the process's CPU affinity and ``threadpoolctl`` limits.
    A build without OpenMP always returns 1.

    Examples
    --------
    >>> import cconv1d as cc
    >>> cc.get_num_threads() >= 1
    True
    """
    if not CC_HAVE_OPENMP:
        return 1
    if _requested is not None:
        return _requested
    return max(1, min(int(cc_omp_max_threads()), _usable_cores()))


def set_num_threads(n):
    """Set the number of threads the kernels use; ``None`` restores the default.

    Parameters
    ----------
    n : int or None
        Threads, >= 1. Values above the usable cores are allowed (oversubscription is
        the caller's choice). Ignored by a build without OpenMP.

    Examples
    --------
    >>> import cconv1d as cc
    >>> cc.set_num_threads(1); cc.get_num_threads()
    1
    >>> cc.set_num_threads(None)
    """
    global _requested
    if n is None:
        _requested = None
        return
    if isinstance(n, bool) or not isinstance(n, int) and not hasattr(n, "__index__"):
        raise TypeError(f"n must be an integer >= 1 or None, got {n!r}")
    n = int(n.__index__()) if not isinstance(n, int) else n
    if n < 1:
        raise ValueError(f"n must be an integer >= 1 or None, got {n}")
    _requested = n
