"""Issue 18: fork safety, argument bugs a new user's probing found, and exactness.

Oracles: the parent process's own result (computed before the fork, threads on), NumPy
(``numpy.pad``), PyWavelets (``pywt.pad``), float64 loops from the equations, and
``torch.optim.SGD``. Every test that starts a process bounds it with a timeout, so a
hang fails the test instead of hanging CI.
"""

import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import cconv1d as cc

SRC = os.path.dirname(os.path.dirname(os.path.abspath(cc.__file__)))


def _run_bounded(code, timeout=120):
    """Run ``code`` in a fresh interpreter (its own session, so a hung forked grandchild
    is killed too); fail on timeout or a non-zero exit. Returns stdout."""
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"subprocess hung (killed after {timeout} s)\nstdout:\n{out}\n"
                    f"stderr:\n{err}")
    assert proc.returncode == 0, f"exit code {proc.returncode}\nstdout:\n{out}\nstderr:\n{err}"
    return out


# ---------------------------------------------------------------------------------------
# 1. fork safety

_FORK_PRELUDE = """
    import multiprocessing as mp, sys
    import numpy as np, cconv1d as cc
    if not cc._threads.have_openmp():
        print("no-openmp"); sys.exit(0)
    cc.set_num_threads(2)
    rng = np.random.default_rng(0)
    # Big enough that every kernel below runs a two-thread team in the parent.
    x = rng.standard_normal((8, 16, 4000)).astype(np.float32)
    w = rng.standard_normal((16, 16, 9)).astype(np.float32)
    g = rng.standard_normal((8, 16, 3992)).astype(np.float32)
    sig = rng.standard_normal(300_000)
    def calls():
        return [cc.conv1d(x, w),
                cc.conv1d_backward(g, x, w).input,
                cc.pad(x, 50, mode="reflect"),
                cc.convolve(sig, sig[:40], method="direct")]
    parent = calls()
"""


def test_multiprocessing_fork_child_after_threaded_parent():
    out = _run_bounded(_FORK_PRELUDE + """
    def child(queue):
        queue.put((cc.get_num_threads(), calls()))
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=child, args=(queue,))
    proc.start()
    threads, results = queue.get(timeout=60)
    proc.join(60)
    assert proc.exitcode == 0, proc.exitcode
    assert threads == 1, threads
    for mine, theirs in zip(parent, results):
        np.testing.assert_allclose(theirs, mine, rtol=1e-5, atol=1e-4)
    assert cc.get_num_threads() == 2     # the parent keeps its threads
    print("ok")
    """)
    assert out.strip() in ("ok", "no-openmp")


def test_multiprocessing_fork_pool():
    """A fork Pool of two workers, several tasks each."""
    out = _run_bounded(_FORK_PRELUDE + """
    def task(i):
        return float(cc.conv1d(x[i:i + 1], w).sum())
    with mp.get_context("fork").Pool(2) as pool:
        sums = pool.map_async(task, range(8)).get(timeout=60)
    np.testing.assert_allclose(sums, parent[0].sum(axis=(1, 2)), rtol=1e-4)
    print("ok")
    """)
    assert out.strip() in ("ok", "no-openmp")


def test_forked_child_asking_for_threads_is_warned():
    out = _run_bounded(_FORK_PRELUDE + """
    import warnings
    def child(queue):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            cc.set_num_threads(1)          # serial: safe, no warning
            quiet = len(caught)
            cc.set_num_threads(2)          # would hang in a parallel call: warned
            queue.put((quiet, [str(c.message) for c in caught], cc.get_num_threads()))
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=child, args=(queue,))
    proc.start()
    quiet, messages, threads = queue.get(timeout=60)
    proc.join(60)
    assert quiet == 0, messages
    assert len(messages) == 1 and "spawn" in messages[0] and "fork" in messages[0], messages
    assert threads == 2
    print("ok")
    """)
    assert out.strip() in ("ok", "no-openmp")


def test_torch_dataloader_two_fork_workers():
    out = _run_bounded(_FORK_PRELUDE + """
    import torch
    from torch.utils.data import DataLoader, Dataset

    class Filtered(Dataset):
        def __len__(self):
            return 8
        def __getitem__(self, i):
            return cc.conv1d(x[i], w)     # (C_out, L_out), in the worker

    loader = DataLoader(Filtered(), batch_size=2, num_workers=2,
                        multiprocessing_context="fork", timeout=60)
    got = torch.cat(list(loader)).numpy()
    np.testing.assert_allclose(got, parent[0], rtol=1e-5, atol=1e-4)
    print("ok")
    """, timeout=240)
    assert out.strip() in ("ok", "no-openmp")


# ---------------------------------------------------------------------------------------
# 3. set_num_threads bound

@pytest.mark.parametrize("n", [2**40, 5000, cc._threads.MAX_THREADS + 1])
def test_set_num_threads_refuses_absurd_counts(n):
    before = cc.get_num_threads()
    with pytest.raises(ValueError, match=r"n must be at most 1024 threads, got " + str(n)):
        cc.set_num_threads(n)
    assert cc.get_num_threads() == before          # nothing changed
    cc.conv1d(np.ones((1, 1, 8)), np.ones((1, 1, 3)))


def test_set_num_threads_accepts_the_cap():
    try:
        cc.set_num_threads(np.int64(cc._threads.MAX_THREADS))
        assert cc.get_num_threads() == 1024
    finally:
        cc.set_num_threads(None)


@pytest.mark.parametrize("n, exc, match", [(0, ValueError, "integer >= 1"),
                                           (-3, ValueError, "integer >= 1"),
                                           (2.0, TypeError, "integer >= 1 or None"),
                                           (True, TypeError, "integer >= 1 or None")])
def test_set_num_threads_bad_values(n, exc, match):
    with pytest.raises(exc, match=match):
        cc.set_num_threads(n)


# ---------------------------------------------------------------------------------------
# 2. pad(value=(left, right))

@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int16, np.complex128])
@pytest.mark.parametrize("widths", [(2, 3), (0, 2), (3, 0), 1])
def test_pad_constant_pair_matches_numpy(dtype, widths):
    x = np.arange(1, 6).astype(dtype).reshape(1, 5).repeat(2, axis=0)
    got = cc.pad(x, widths, value=(7, -9))
    pair = (widths, widths) if isinstance(widths, int) else widths
    expected = np.pad(x.astype(got.dtype), ((0, 0), pair), constant_values=(7, -9))
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("value", [[7.5, 9.0], np.array([7.5, 9.0]), ((7.5, 9.0),)])
def test_pad_constant_pair_spellings(value):
    np.testing.assert_array_equal(cc.pad([1.0], 1, value=value), [7.5, 1.0, 9.0])


def test_pad_constant_zero_d_array_value():
    np.testing.assert_array_equal(cc.pad([1.0], 1, value=np.array(4.0)), [4.0, 1.0, 4.0])


def test_pad_constant_bad_pair():
    with pytest.raises(ValueError, match=r"value must be a number or a pair \(left, right\)"):
        cc.pad([1.0], 1, value=(1, 2, 3))
    with pytest.raises(TypeError, match="value must be a real number"):
        cc.pad([1.0], 1, value=("a", 2))
