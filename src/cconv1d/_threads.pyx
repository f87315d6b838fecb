"""Thread-count control shared by every kernel (``cc.set_num_threads``).

Fork safety. GNU OpenMP's thread pool does not survive ``fork``: a child forked after
the parent ran a parallel region waits forever for pool threads that do not exist in
it. ``multiprocessing`` (fork start method) and PyTorch's ``DataLoader`` workers fork.
An ``os.register_at_fork`` handler therefore makes every forked child run serially
until it calls :func:`set_num_threads` itself; serial regions never touch the pool.
Every child, not only those of a parent that ran cconv1d on several threads: another
library (NumPy's BLAS, SciPy, PyTorch) may have started the same OpenMP runtime's pool.
"""

from cconv1d._openmp cimport CC_HAVE_OPENMP, cc_omp_max_threads

import os
import warnings

# None: follow OpenMP's own setting (OMP_NUM_THREADS, affinity, threadpoolctl's limit).
_requested = None

# Set in a forked child; cleared by set_num_threads. While set, the kernels run on one
# thread.
_forked_serial = False

# Set for good in a child forked after this process handed out a thread count > 1:
# its pool is then surely broken, and asking for threads there is warned about.
_forked_after_pool = False

# True once a call may have started the OpenMP pool (a thread count > 1 was handed out):
# only then is a forked child at risk.
_pool_maybe_started = False

# Highest thread count set_num_threads accepts: 4 threads per CPU, at least 256. Above
# the cores (oversubscription stays the caller's choice), low enough that a typo such as
# 2**40 is refused instead of overflowing the kernels' int, and that no call asks the OS
# for thousands of threads (each reserves a stack; libgomp exits the interpreter when
# thread creation fails, e.g. under a memory limit).
MAX_THREADS = max(256, 4 * (os.cpu_count() or 1))


def _after_fork_in_child():
    global _forked_serial, _forked_after_pool
    _forked_serial = True
    _forked_after_pool = _pool_maybe_started


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


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
    A build without OpenMP always returns 1, and so does a forked process (``fork``,
    ``multiprocessing``'s fork start method, PyTorch ``DataLoader`` workers) until it
    calls :func:`set_num_threads`: GNU OpenMP's thread pool does not survive ``fork``,
    and a serial child cannot hang on it.

    Examples
    --------
    >>> import cconv1d as cc
    >>> cc.get_num_threads() >= 1
    True
    """
    global _pool_maybe_started
    if not CC_HAVE_OPENMP or _forked_serial:
        return 1
    if _requested is not None:
        n = _requested
    else:
        n = max(1, min(int(cc_omp_max_threads()), _usable_cores()))
    if n > 1:
        _pool_maybe_started = True
    return n


def set_num_threads(n):
    """Set the number of threads the kernels use; ``None`` restores the default.

    Parameters
    ----------
    n : int or None
        Threads, from 1 to ``cconv1d._threads.MAX_THREADS`` (4 per CPU, at least 256).
        Values above the usable cores are allowed (oversubscription is the caller's
        choice). Ignored by a build without OpenMP.

    Raises
    ------
    TypeError
        ``n`` is not an integer (bool included) or None.
    ValueError
        ``n`` is below 1 or above ``MAX_THREADS``; the message gives the cap.

    Warns
    -----
    RuntimeWarning
        In a process forked after its parent ran multi-threaded calls, asking for more
        than one thread: GNU OpenMP's pool did not survive the fork and a parallel call
        may hang. Start such workers with the ``"spawn"`` or ``"forkserver"`` method.

    Notes
    -----
    A forked child runs serially until it calls this function (see
    :func:`get_num_threads`).

    Examples
    --------
    >>> import cconv1d as cc
    >>> cc.set_num_threads(1); cc.get_num_threads()
    1
    >>> cc.set_num_threads(None)
    """
    global _requested, _forked_serial
    if n is not None:
        if isinstance(n, bool) or not isinstance(n, int) and not hasattr(n, "__index__"):
            raise TypeError(f"n must be an integer >= 1 or None, got {n!r}")
        n = int(n.__index__()) if not isinstance(n, int) else n
        if n < 1:
            raise ValueError(f"n must be an integer >= 1 or None, got {n}")
        if n > MAX_THREADS:
            raise ValueError(f"n must be at most {MAX_THREADS} threads (4 per CPU, at "
                             f"least 256), got {n}")
    if _forked_after_pool and (n is None or n > 1):
        warnings.warn("cconv1d: this process was forked after its parent ran "
                      "multi-threaded calls; GNU OpenMP's thread pool does not survive "
                      "fork, so a multi-threaded call may hang here. Use the 'spawn' or "
                      "'forkserver' start method for workers that need threads.",
                      RuntimeWarning, stacklevel=2)
    _forked_serial = False
    _requested = n
