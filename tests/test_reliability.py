"""Issue 18: fork safety, argument bugs a new user's probing found, and exactness.

Oracles: the parent process's own result (computed before the fork, threads on), NumPy
(``numpy.pad``), PyWavelets (``pywt.pad``), float64 loops from the equations, and
``torch.optim.SGD``. Every test that starts a process bounds it with a timeout, so a
hang fails the test instead of hanging CI.
"""

import os
import re
import signal
import subprocess
import sys
import textwrap

import dask.array as da
import numpy as np
import pytest
import pywt
import torch

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
        # Each output element is summed by one thread in a fixed order: the one-thread
        # child must reproduce the two-thread parent's bits.
        np.testing.assert_array_equal(theirs, mine)
    assert cc.get_num_threads() == 2     # the parent keeps its threads
    print("ok")
    """)
    assert out.strip() in ("ok", "no-openmp")


def test_multiprocessing_fork_pool():
    """A fork Pool of two workers, several tasks each."""
    out = _run_bounded(_FORK_PRELUDE + """
    def task(i):
        return cc.conv1d(x[i:i + 1], w)
    with mp.get_context("fork").Pool(2) as pool:
        parts = pool.map_async(task, range(8)).get(timeout=60)
    # bit for bit: neither the batch split nor the thread count changes a result
    np.testing.assert_array_equal(np.concatenate(parts), parent[0])
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
    cap = cc._threads.MAX_THREADS
    if n <= cap:     # 5000 is within the cap only above 1250 CPUs
        pytest.skip(f"{n} threads are allowed on a machine of {os.cpu_count()} CPUs")
    with pytest.raises(ValueError, match=rf"n must be at most {cap} threads \(4 per CPU, "
                       rf"at least 256\), got {n}"):
        cc.set_num_threads(n)
    assert cc.get_num_threads() == before          # nothing changed
    cc.conv1d(np.ones((1, 1, 8)), np.ones((1, 1, 3)))


def test_set_num_threads_accepts_the_cap():
    try:
        cc.set_num_threads(np.int64(cc._threads.MAX_THREADS))
        assert cc.get_num_threads() == cc._threads.MAX_THREADS
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


# ---------------------------------------------------------------------------------------
# 4. conv1d_backward(bias=<array>) (API.md 7.4)

def _loop_bias_grad(g):
    """dL/dbias[o] = sum over n and j of grad_output[n, o, j], in float64."""
    g = np.asarray(g, dtype=np.float64)
    out = np.zeros(g.shape[1])
    for n in range(g.shape[0]):
        for o in range(g.shape[1]):
            for j in range(g.shape[2]):
                out[o] += g[n, o, j]
    return out


@pytest.mark.parametrize("bias", [np.array([0.0]), np.array([1.5]), [0.0], np.float32([0])])
def test_backward_takes_a_one_element_bias_array(bias):
    g = np.array([[[1.0, 2.0, 4.0]]])
    x = np.ones((1, 1, 5))
    w = np.ones((1, 1, 3))
    grads = cc.conv1d_backward(g, x, w, bias=bias)
    np.testing.assert_array_equal(grads.bias, _loop_bias_grad(g))


def test_backward_takes_a_bias_array_as_conv1d_does(rng):
    x = rng.standard_normal((2, 4, 20)).astype(np.float32)
    w = rng.standard_normal((6, 2, 3)).astype(np.float32)
    b = rng.standard_normal(6).astype(np.float32)
    g = rng.standard_normal((2, 6, 18)).astype(np.float32)
    with_array = cc.conv1d_backward(g, x, w, bias=b, groups=2)
    with_true = cc.conv1d_backward(g, x, w, bias=True, groups=2)
    np.testing.assert_allclose(with_array.bias, _loop_bias_grad(g), rtol=1e-5)
    for got, expected in zip(with_array, with_true):
        np.testing.assert_array_equal(got, expected)
    assert cc.conv1d_backward(g, x, w, bias=None, groups=2).bias is None
    assert cc.conv1d_backward(g, x, w, bias=np.False_, groups=2).bias is None
    assert cc.conv1d_backward(g, x, w, bias=np.True_, groups=2).bias is not None


def test_backward_bias_dtype_promotes_as_conv1d():
    x = np.ones((1, 1, 4), dtype=np.float32)
    w = np.ones((1, 1, 2), dtype=np.float32)
    b = np.zeros(1, dtype=np.float64)
    y = cc.conv1d(x, w, b)
    grads = cc.conv1d_backward(np.ones_like(y), x, w, bias=b)
    assert y.dtype == grads.bias.dtype == grads.input.dtype == np.float64


def test_backward_bias_array_of_the_wrong_shape():
    with pytest.raises(ValueError, match=r"bias must have shape \(1,\) to match weight"):
        cc.conv1d_backward(np.ones((1, 1, 3)), np.ones((1, 1, 5)), np.ones((1, 1, 3)),
                           bias=np.zeros(2))


# ---------------------------------------------------------------------------------------
# API.md 7.4: PyTorch's positional order

def test_conv1d_positional_order_matches_torch(rng):
    x = rng.standard_normal((2, 4, 30))
    w = rng.standard_normal((6, 2, 3))
    b = rng.standard_normal(6)
    got = cc.conv1d(x, w, b, 2, 3, 2, 2)
    expected = torch.nn.functional.conv1d(torch.from_numpy(x), torch.from_numpy(w),
                                          torch.from_numpy(b), 2, 3, 2, 2).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(
        got, cc.conv1d(x, w, bias=b, stride=2, padding=3, dilation=2, groups=2))


def test_conv_transpose1d_positional_order_matches_torch(rng):
    x = rng.standard_normal((2, 4, 9))
    w = rng.standard_normal((4, 3, 3))
    b = rng.standard_normal(6)
    got = cc.conv_transpose1d(x, w, b, 3, 2, 1, 2, 2)
    expected = torch.nn.functional.conv_transpose1d(
        torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b), 3, 2, 1, 2,
        2).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_conv1d_layer_positional_order_matches_torch():
    layer = cc.Conv1d(4, 6, 3, 2, 1, 2, 2, False, "reflect", rng=0)
    reference = torch.nn.Conv1d(4, 6, 3, 2, 1, 2, 2, False, "reflect")
    assert (layer.stride, layer.padding, layer.dilation, layer.groups) == (2, (1, 1), 2, 2)
    assert layer.bias is None and layer.padding_mode == "reflect"
    with torch.no_grad():
        reference.weight.copy_(torch.from_numpy(layer.weight))
    x = np.random.default_rng(1).standard_normal((2, 4, 17)).astype(np.float32)
    np.testing.assert_allclose(layer(x), reference(torch.from_numpy(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("call", [
    lambda: cc.conv1d(np.ones((1, 8)), np.ones((1, 1, 3)), None, 1, 0, 1, 1, "zeros"),
    lambda: cc.conv_transpose1d(np.ones((1, 8)), np.ones((1, 1, 3)), None, 1, 0, 0, 1, 1,
                                None),
    lambda: cc.Conv1d(1, 1, 3, 1, 0, 1, 1, True, "zeros", np.float64),
])
def test_arguments_after_torchs_stay_keyword_only(call):
    with pytest.raises(TypeError, match="positional argument"):
        call()


# ---------------------------------------------------------------------------------------
# 9. conv1d_geometry

from cconv1d.functional import conv1d_geometry  # noqa: E402


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(stride=0), ValueError, r"stride must be an integer >= 1, got 0"),
    (dict(kernel_size=0), ValueError, r"kernel_size must be an integer >= 1, got 0"),
    (dict(dilation=0), ValueError, r"dilation must be an integer >= 1, got 0"),
    (dict(length=-1), ValueError, r"length must be an integer >= 0, got -1"),
    (dict(length=10.0), TypeError, r"length must be an integer, got 10.0"),
    (dict(kernel_size=3.0), TypeError, r"kernel_size must be an integer, got 3.0"),
    (dict(stride=1.5), TypeError, r"stride must be an integer, got 1.5"),
    (dict(stride=True), TypeError, r"stride must be an integer, got True"),
])
def test_geometry_refuses_bad_numbers(kwargs, exc, match):
    args = dict(length=10, kernel_size=3, stride=1, padding="same", dilation=1)
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        conv1d_geometry(**args)


@pytest.mark.parametrize("padding", [0, 2, (1, 3), "valid", "same", "full", "causal"])
def test_geometry_returns_python_ints(padding):
    result = conv1d_geometry(np.int64(10), np.int32(3), np.int16(2), padding, np.uint8(2))
    assert all(type(v) is int for v in result), result
    left, right, l_out = result
    # Oracle: count the windows of the padded signal directly.
    count = sum(1 for j in range(0, left + 10 + right, 2) if j + 4 < left + 10 + right)
    assert l_out == count


# ---------------------------------------------------------------------------------------
# 10. SGD on non-float parameters

@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8, np.bool_, np.complex128])
def test_sgd_refuses_non_float_parameters(dtype):
    param = np.ones(3, dtype=dtype)
    with pytest.raises(TypeError, match=r"parameter 'w' must be a real floating array.*"
                       + np.dtype(dtype).name):
        cc.SGD([("w", param, np.ones(3, dtype=dtype))], lr=0.1)
    with pytest.raises(TypeError, match=r"parameter 0 must be a real floating array"):
        cc.SGD([(param, np.ones(3))], lr=0.1)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_sgd_float_parameters_match_torch(dtype):
    param = np.array([1.0, -2.0, 3.0], dtype=dtype)
    grad = np.array([0.25, 0.5, -1.0], dtype=dtype)
    opt = cc.SGD([("p", param, grad)], lr=0.1, momentum=0.9)
    tparam = torch.tensor(param.astype(np.float64), requires_grad=True)
    topt = torch.optim.SGD([tparam], lr=0.1, momentum=0.9)
    for _ in range(3):
        opt.step()
        tparam.grad = torch.tensor(grad.astype(np.float64))
        topt.step()
    tol = {np.float16: 2e-3, np.float32: 1e-6, np.float64: 1e-14}[dtype]
    np.testing.assert_allclose(param, tparam.detach().numpy(), rtol=tol)


# ---------------------------------------------------------------------------------------
# 5. float32 antireflect without drift

@pytest.mark.parametrize("width", [10**4, 10**5])
@pytest.mark.parametrize("length", [2, 7, 100])
def test_antireflect_float32_wide_matches_pywt_float64(width, length):
    x = np.random.default_rng(length).standard_normal(length).astype(np.float32)
    expected = pywt.pad(x.astype(np.float64), (width, width + 3), "antireflect")
    got = cc.pad(x, (width, width + 3), mode="antireflect")
    assert got.dtype == np.float32
    # One float32 rounding of the exact value (2**-24 relative), whatever the width;
    # the recurrence drifted to 3e-5 at 10^4 and 4e-4 at 10^5.
    np.testing.assert_allclose(got, expected, rtol=2**-23, atol=1e-12 * np.abs(expected).max())


@pytest.mark.parametrize("dtype", [np.float64, np.complex128, np.complex64])
def test_antireflect_wide_other_dtypes(dtype):
    rng = np.random.default_rng(3)
    x = rng.standard_normal(9) + (1j * rng.standard_normal(9) if dtype != np.float64 else 0)
    x = x.astype(dtype)
    got = cc.pad(x, 20_000, mode="antireflect")
    expected = (pywt.pad(x.real.astype(np.float64), 20_000, "antireflect")
                + 1j * pywt.pad(x.imag.astype(np.float64), 20_000, "antireflect"))
    rtol = 2**-23 if dtype == np.complex64 else 1e-14
    np.testing.assert_allclose(got, expected if dtype != np.float64 else expected.real,
                               rtol=rtol, atol=rtol * 1e-4 * np.abs(expected).max())


def test_conv1d_antireflect_float32_wide_padding():
    """conv1d inherits the padding: float32 against a float64 pad + loop oracle."""
    x = np.random.default_rng(5).standard_normal((1, 1, 6)).astype(np.float32)
    w = np.array([[[0.5, -1.0, 0.25]]], dtype=np.float32)
    width = 50_000
    got = cc.conv1d(x, w, padding=width, padding_mode="antireflect")
    xp = pywt.pad(x[0, 0].astype(np.float64), width, "antireflect")
    expected = 0.5 * xp[:-2] - 1.0 * xp[1:-1] + 0.25 * xp[2:]
    scale = np.abs(xp).max()
    np.testing.assert_allclose(got[0, 0], expected, rtol=0, atol=4 * 2**-24 * scale)


@pytest.mark.parametrize("length", [2, 5])
def test_antireflect_backward_is_the_adjoint_and_does_not_drift(length):
    rng = np.random.default_rng(length)
    x = rng.standard_normal(length)
    left, right = 30_001, 29_998
    g = rng.standard_normal(left + length + right)
    back = cc.pad_backward(g, length, (left, right), mode="antireflect")
    # Adjoint identity <pad(x), g> == <x, pad_backward(g)>, and the Jacobian column by
    # column: pad of each unit vector, dotted with g, in float64.
    np.testing.assert_allclose(np.dot(cc.pad(x, (left, right), mode="antireflect"), g),
                               np.dot(x, back), rtol=1e-12)
    jac = np.array([np.dot(cc.pad(np.eye(length)[k], (left, right), mode="antireflect"), g)
                    for k in range(length)])
    np.testing.assert_allclose(back, jac, rtol=1e-12)
    back32 = cc.pad_backward(g.astype(np.float32), length, (left, right), mode="antireflect")
    # float32: the end weights (summed in double) to float32 precision; the others are
    # ordinary float32 sums of about width/length gradients each.
    np.testing.assert_allclose(back32[[0, -1]], back[[0, -1]], rtol=2**-22)
    np.testing.assert_allclose(back32, back, rtol=1e-5, atol=2**-24 * np.abs(g).sum())


# ---------------------------------------------------------------------------------------
# 7. Dask arrays with unknown chunk sizes

def _unknown_chunks():
    a = da.from_array(np.arange(20.0), chunks=5)
    return da, a[a > 3]


@pytest.mark.parametrize("which", ["convolve", "correlate"])
def test_dask_signal_unknown_chunks_says_how_to_fix(which):
    da, b = _unknown_chunks()
    from cconv1d import dask as ccd
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")      # no rechunking warning before the error
        with pytest.raises(ValueError, match=r"a: chunk sizes along axis 0 are unknown.*"
                           r"a = a\.compute_chunk_sizes\(\) first"):
            getattr(ccd, which)(b, [1.0, 2.0])
    known = b.compute_chunk_sizes()
    np.testing.assert_array_equal(getattr(ccd, which)(known, [1.0, 2.0]).compute(),
                                  getattr(np, which)(np.arange(4.0, 20.0), [1.0, 2.0],
                                                     "full" if which == "convolve"
                                                     else "valid"))


def test_dask_conv1d_unknown_chunks_says_how_to_fix():
    da, b = _unknown_chunks()
    from cconv1d import dask as ccd
    with pytest.raises(ValueError, match=r"x: chunk sizes along axis 1 are unknown.*"
                       r"compute_chunk_sizes\(\)"):
        ccd.conv1d(da.stack([b]), np.ones((1, 1, 3)))
    x = da.stack([b]).compute_chunk_sizes()     # chunks (1, 5, 5, 5): one below the halo
    with pytest.warns(UserWarning, match="rechunking"):
        lazy = ccd.conv1d(x, np.ones((1, 1, 3)))
    np.testing.assert_array_equal(lazy.compute(),
                                  [np.convolve(np.arange(4.0, 20.0), np.ones(3), "valid")])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_antireflect_first_period_is_numpys_and_local(dtype):
    """Within one period of an end the pad is 2*x[end] - x[mirror], one rounding (the
    bits of numpy.pad's reflect_type="odd"), and reads only the samples near that end,
    so a chunked pad (cconv1d.dask) gets the same bits as the whole."""
    x = np.random.default_rng(7).standard_normal(50).astype(dtype) * 1000
    got = cc.pad(x, (10, 12), mode="antireflect")
    np.testing.assert_array_equal(got, np.pad(x, (10, 12), mode="reflect",
                                              reflect_type="odd"))
    np.testing.assert_array_equal(cc.pad(x[:11], (10, 0), mode="antireflect")[:10], got[:10])
    np.testing.assert_array_equal(cc.pad(x[-13:], (0, 12), mode="antireflect")[-12:],
                                  got[-12:])


def test_dask_conv1d_positional_order():
    from cconv1d import dask as ccd
    rng = np.random.default_rng(9)
    x = rng.standard_normal((2, 4, 50)).astype(np.float32)
    w = rng.standard_normal((8, 2, 3)).astype(np.float32)
    lazy = ccd.conv1d(da.from_array(x, chunks=(1, 4, 20)), w, None, 2, 1, 1, 2)
    np.testing.assert_array_equal(lazy.compute(), cc.conv1d(x, w, None, 2, 1, 1, 2))
    with pytest.raises(TypeError, match="positional argument"):
        ccd.conv1d(x, w, None, 2, 1, 1, 2, "zeros")


def test_every_forked_child_starts_serial():
    """Even when the parent never ran cconv1d on several threads (another library may
    have started the shared OpenMP pool); set_num_threads in the child is then quiet."""
    if not cc._threads.have_openmp():
        pytest.skip("built without OpenMP: always one thread")
    out = _run_bounded("""
    import multiprocessing as mp, os, warnings
    import cconv1d as cc
    cc.set_num_threads(1)
    def child(queue):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            first = cc.get_num_threads()
            cc.set_num_threads(2)
            queue.put((first, cc.get_num_threads(), len(caught)))
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=child, args=(queue,))
    proc.start()
    print(queue.get(timeout=60))
    proc.join(60)
    """)
    assert out.strip() == "(1, 2, 0)"


@pytest.mark.parametrize("grad", [np.ones(3, dtype=np.complex128), [1.0, 1.0, 1.0],
                                  np.array(["1", "1", "1"])])
def test_sgd_refuses_gradients_it_cannot_read_as_real(grad):
    # A complex gradient would lose its imaginary part at every step with only a
    # ComplexWarning; a list cannot be zeroed in place by zero_grad.
    param = np.ones(3)
    with pytest.raises(TypeError, match=r"gradient of parameter 'w' must be a real numpy"):
        cc.SGD([("w", param, grad)], lr=0.1)
    np.testing.assert_array_equal(param, np.ones(3))


# ---------------------------------------------------------------------------------------
# 11. The layer validates its inputs as conv1d does

_NOT_REAL = {
    "complex": lambda shape: np.ones(shape, dtype=np.complex128) * (1 + 2j),
    "string": lambda shape: np.full(shape, "1.5"),
    "object": lambda shape: np.full(shape, None, dtype=object),
}


@pytest.mark.parametrize("kind", sorted(_NOT_REAL))
def test_layer_refuses_what_conv1d_refuses(kind):
    import warnings
    layer = cc.Conv1d(2, 3, 3, rng=0, dtype=np.float64)
    bad = _NOT_REAL[kind]((1, 2, 8))
    # The functional API is the reference: it refuses every one of these.
    with pytest.raises(TypeError):
        cc.conv1d(bad, layer.weight)
    weight_before = layer.weight.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")    # a ComplexWarning would be the old silent cast
        with pytest.raises(TypeError, match=r"^x: dtype"):
            layer(bad)
        layer(np.ones((1, 2, 8)))
        with pytest.raises(TypeError, match=r"^grad_output: dtype"):
            layer.backward(_NOT_REAL[kind]((1, 3, 6)))
        with pytest.raises(TypeError, match=r"^state_dict\['weight'\]: dtype"):
            layer.load_state_dict({"weight": _NOT_REAL[kind](layer.weight.shape),
                                   "bias": layer.bias.copy()})
        assert not layer.grad_weight.any()
        np.testing.assert_array_equal(layer.weight, weight_before)
        causal = cc.Conv1d(2, 3, 3, padding="causal", rng=0, dtype=np.float64)
        with pytest.raises(TypeError, match=r"^x: dtype"):
            causal.stream(bad)


def test_layer_refuses_a_complex_torch_state_dict():
    layer = cc.Conv1d(2, 3, 3, rng=0)
    state = {"weight": torch.ones(tuple(layer.weight.shape), dtype=torch.complex64),
             "bias": torch.ones(3)}
    before = layer.weight.copy()
    with pytest.raises(TypeError, match=r"^state_dict\['weight'\]: dtype torch.complex64"):
        layer.load_state_dict(state)
    np.testing.assert_array_equal(layer.weight, before)


@pytest.mark.parametrize("dtype", [np.bool_, np.int32, np.float16, np.float32, np.float64])
def test_layer_casts_real_input_of_any_dtype_like_torch(dtype):
    # Oracle: torch.nn.Conv1d on the input cast to float64 by numpy.
    layer = cc.Conv1d(2, 3, 3, rng=0, dtype=np.float64)
    theirs = torch.nn.Conv1d(2, 3, 3).double()
    theirs.load_state_dict({"weight": torch.from_numpy(layer.weight.copy()),
                            "bias": torch.from_numpy(layer.bias.copy())})
    x = (np.arange(16).reshape(1, 2, 8) % 3).astype(dtype)
    expected = theirs(torch.from_numpy(x.astype(np.float64))).detach().numpy()
    np.testing.assert_allclose(layer(x), expected, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------------------------------
# flip= is a flag: a string such as "False" was read by its truth value and flipped the
# kernel (a fuzzing session's find). Oracle: the unflipped and flipped results by
# definition, conv1d(x, w[..., ::-1]).

_FLIP_CALLS = {
    "conv1d": lambda flip: cc.conv1d(np.arange(6.0).reshape(1, 1, 6),
                                     np.array([[[1.0, 0.0, 0.0]]]), flip=flip),
    "conv1d_backward": lambda flip: cc.conv1d_backward(
        np.ones((1, 1, 4)), np.arange(6.0).reshape(1, 1, 6), np.array([[[1.0, 0.0, 0.0]]]),
        flip=flip),
    "torch": lambda flip: __import__("cconv1d.torch", fromlist=["conv1d"]).conv1d(
        torch.arange(6.0).reshape(1, 1, 6), torch.tensor([[[1.0, 0.0, 0.0]]]), flip=flip),
    "dask": lambda flip: __import__("cconv1d.dask", fromlist=["conv1d"]).conv1d(
        da.from_array(np.arange(6.0).reshape(1, 1, 6), chunks=3),
        np.array([[[1.0, 0.0, 0.0]]]), flip=flip),
}


@pytest.mark.parametrize("call", sorted(_FLIP_CALLS))
@pytest.mark.parametrize("flip", ["False", "no", None, 0, 1, [0], 1.0])
def test_flip_must_be_a_bool(call, flip):
    with pytest.raises(TypeError, match=rf"^flip must be True or False, got {re.escape(repr(flip))}"):
        _FLIP_CALLS[call](flip)


@pytest.mark.parametrize("call", sorted(_FLIP_CALLS))
def test_flip_takes_numpy_bools(call):
    x = np.arange(6.0)
    for flag in (True, np.True_, False, np.False_):
        got = _FLIP_CALLS[call](flag)
        if call == "conv1d_backward":
            dw = np.asarray(got[1]).ravel()
            # dw[k] = sum_j dy[j] x[j + k] unflipped; the flipped kernel's gradient is
            # that reversed
            expected = np.array([x[k:k + 4].sum() for k in range(3)])
            np.testing.assert_array_equal(dw, expected[::-1] if flag else expected)
        else:
            y = np.asarray(got.compute() if call == "dask" else got).ravel()
            np.testing.assert_array_equal(y, x[2:] if flag else x[:4])


# ---------------------------------------------------------------------------------------
# PyTorch's 1-tuples (an API audit's finds): torch.nn.Conv1d stores kernel_size, stride,
# dilation and padding as 1-tuples, torch's functions take them, and our layer's repr
# printed kernel_size=(4,) that its constructor refused. Oracle: torch with the same
# tuples.

def test_one_tuples_are_taken_as_torch_takes_them():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 3, 20))
    w = rng.standard_normal((4, 3, 3))
    expected = torch.nn.functional.conv1d(torch.from_numpy(x), torch.from_numpy(w),
                                          stride=(2,), padding=(1,), dilation=(2,)).numpy()
    got = cc.conv1d(x, w, stride=(2,), padding=(1,), dilation=[2])
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    wt = rng.standard_normal((3, 2, 4))
    expected = torch.nn.functional.conv_transpose1d(
        torch.from_numpy(x), torch.from_numpy(wt), stride=(2,), padding=(1,),
        output_padding=(1,)).numpy()
    got = cc.conv_transpose1d(x, wt, stride=(2,), padding=(1,), output_padding=(1,))
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    # numpy.pad's (n,): both sides
    np.testing.assert_array_equal(cc.pad(np.arange(4.0), (2,), mode="reflect"),
                                  np.pad(np.arange(4.0), (2,), mode="reflect"))
    # the layer's repr builds the same layer
    layer = cc.Conv1d(3, 4, (3,), stride=(2,), padding=(1,), dilation=(2,), rng=0)
    rebuilt = eval("cc." + repr(layer)[:-1] + ", rng=0)")
    assert repr(rebuilt) == repr(layer)
    assert (rebuilt.kernel_size, rebuilt.stride, rebuilt.dilation) == (3, 2, 2)
    for bad in ((2, 2), (), ("2",)):
        with pytest.raises((TypeError, ValueError), match=r"^stride"):
            cc.conv1d(x, w, stride=bad)


def test_an_empty_lag_list_is_a_value_error():
    for lags in ([], np.array([], dtype=np.int64), range(0)):
        with pytest.raises(ValueError, match=r"^lags must hold at least one lag"):
            cc.correlate([1.0, 2.0], [1.0], lags=lags)


def test_an_unsupported_dtype_names_what_is_supported():
    # the signal functions take complex input: their message must not say "real"
    with pytest.raises(TypeError, match=r"^a: dtype <U1 is not supported; expected a "
                                        r"numeric \(bool, integer, floating or complex\)"):
        cc.convolve(np.array(["a"]), [1.0])
    # conv1d refuses complex by name
    with pytest.raises(TypeError, match=r"complex input is refused"):
        cc.conv1d(np.ones((1, 1, 4), dtype=complex), np.ones((1, 1, 2)))
