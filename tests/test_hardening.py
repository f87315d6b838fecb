"""Hostile conditions: threads, repeated calls, non-finite and denormal values, sizes
that would overflow. Oracles: a serial run of the same call (results do not depend on
threads), NumPy, and float64 loops written from the equations."""

import gc
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import cconv1d as cc
from oracles_conv import conv1d_ref


def _calls(rng):
    """One call of every public function on moderately large inputs."""
    x = rng.standard_normal((6, 16, 3000)).astype(np.float32)
    w = rng.standard_normal((24, 16, 5)).astype(np.float32)
    b = rng.standard_normal(24).astype(np.float32)
    g = rng.standard_normal((6, 24, 1500)).astype(np.float32)
    sig = rng.standard_normal(200_000)
    taps = rng.standard_normal(63)
    return {
        "conv1d": lambda: cc.conv1d(x, w, b, stride=2, padding=2, padding_mode="reflect"),
        "conv1d_backward": lambda: tuple(cc.conv1d_backward(
            g, x, w, stride=2, padding=2, padding_mode="reflect")),
        "conv_transpose1d": lambda: cc.conv_transpose1d(g, w, stride=2, padding=2,
                                                        output_padding=1),
        "convolve": lambda: cc.convolve(sig, taps, "same", method="direct"),
        "convolve_fft": lambda: cc.convolve(sig, taps, method="fft"),
        "correlate": lambda: cc.correlate(sig, taps, "full"),
        "autocorrelate": lambda: cc.autocorrelate(sig[:4000].reshape(4, 1000), "same"),
        "pad": lambda: cc.pad(x, (100, 7), mode="symmetric"),
        "pad_backward": lambda: cc.pad_backward(x, 2990, 5, mode="median",
                                                x=x[..., 5:-5]),
    }


def _same(a, b):
    if isinstance(a, tuple):
        return all(_same(p, q) for p, q in zip(a, b))
    return np.array_equal(a, b)


def test_many_threads_call_every_function_at_once():
    """Eight Python threads, each calling every function (with OpenMP inside), get
    bit-identical results to a serial run; one thread keeps changing the thread count."""
    calls = _calls(np.random.default_rng(0))
    expected = {name: fn() for name, fn in calls.items()}
    stop = threading.Event()

    def churn():
        while not stop.is_set():
            cc.set_num_threads(1)
            cc.set_num_threads(2)
        cc.set_num_threads(None)

    def worker(seed):
        order = list(calls)
        np.random.default_rng(seed).shuffle(order)
        return [(name, calls[name]()) for name in order * 2]

    churner = threading.Thread(target=churn)
    churner.start()
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(worker, range(8)))
    finally:
        stop.set()
        churner.join()
    for per_thread in results:
        for name, value in per_thread:
            assert _same(value, expected[name]), name


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_results_do_not_depend_on_thread_count(threads):
    calls = _calls(np.random.default_rng(1))
    cc.set_num_threads(1)
    try:
        reference = {name: fn() for name, fn in calls.items()}
        cc.set_num_threads(threads)
        for name, fn in calls.items():
            assert _same(fn(), reference[name]), name
    finally:
        cc.set_num_threads(None)


def _rss_bytes():
    with open(f"/proc/{os.getpid()}/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _under_asan():
    try:
        with open("/proc/self/maps") as fh:
            return "libasan" in fh.read()
    except OSError:
        return False


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs /proc")
@pytest.mark.skipif(_under_asan(), reason="AddressSanitizer quarantines freed memory on "
                    "purpose, so resident memory grows without a leak")
def test_repeated_calls_keep_memory_flat():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 4, 256)).astype(np.float32)
    w = rng.standard_normal((8, 4, 3)).astype(np.float32)
    g = np.ones((2, 8, 256), dtype=np.float32)
    for _ in range(200):  # warm-up: allocator pools, caches
        cc.conv1d(x, w, padding="same")
        cc.conv1d_backward(g, x, w, padding="same")
    gc.collect()
    before = _rss_bytes()
    for _ in range(10_000):
        cc.conv1d(x, w, padding="same", padding_mode="reflect")
        cc.conv1d_backward(g, x, w, padding="same")
        cc.pad(x, 3, mode="median")
        cc.convolve(x[0, 0], w[0, 0])
    gc.collect()
    grown = _rss_bytes() - before
    assert grown < 32 * 2**20, f"resident memory grew by {grown / 2**20:.1f} MiB"


def test_nan_and_inf_propagate_like_numpy():
    a = np.arange(40, dtype=np.float64)
    a[7] = np.nan
    a[30] = np.inf
    v = np.array([1.0, -2.0, 0.5, 0.0, 3.0])
    for method in ("direct", "auto"):
        for mode in ("full", "same", "valid"):
            ours = cc.convolve(a, v, mode, method=method)
            ref = np.convolve(a, v, mode)
            np.testing.assert_array_equal(np.isnan(ours), np.isnan(ref))
            np.testing.assert_array_equal(np.isinf(ours), np.isinf(ref))
            finite = np.isfinite(ref)
            np.testing.assert_allclose(ours[finite], ref[finite], rtol=1e-12)
    # A long kernel (auto would pick the FFT) still confines NaN like numpy.
    long_a = np.random.default_rng(3).standard_normal(20_000)
    long_a[5000] = np.nan
    long_v = np.random.default_rng(4).standard_normal(2000)
    ours = cc.convolve(long_a, long_v)
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(np.convolve(long_a, long_v)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nan_reaches_exactly_the_windows_that_contain_it(dtype):
    x = np.ones((1, 2, 30), dtype=dtype)
    x[0, 1, 11] = np.nan
    w = np.ones((3, 2, 3), dtype=dtype)
    y = cc.conv1d(x, w, stride=2, dilation=2, padding=1)
    ref = conv1d_ref(x, w, stride=2, padding=1, dilation=2)
    np.testing.assert_array_equal(np.isnan(y), np.isnan(ref))
    grads = cc.conv1d_backward(np.ones_like(y), x, w, stride=2, dilation=2, padding=1)
    assert np.isnan(grads.weight).any() and np.isfinite(grads.bias).all()


@pytest.mark.parametrize("dtype, tiny", [(np.float32, 1e-40), (np.float64, 1e-310)])
def test_denormal_inputs_give_correct_results(dtype, tiny):
    rng = np.random.default_rng(5)
    x = (rng.standard_normal((2, 3, 50)) * tiny).astype(dtype)
    assert (np.abs(x[x != 0]) < np.finfo(dtype).tiny).any()   # really subnormal
    w = rng.standard_normal((4, 3, 3)).astype(dtype)
    y = cc.conv1d(x, w, padding=1)
    ref = conv1d_ref(x, w, padding=1)
    # Subnormals carry few bits: compare against the reference at the subnormal scale.
    np.testing.assert_allclose(y, ref, rtol=0, atol=64 * np.finfo(dtype).smallest_subnormal
                               * 3 * 3 + 1e-6 * np.abs(ref).max())
    assert np.abs(y).max() > 0


@pytest.mark.parametrize("kwargs, word", [
    (dict(stride=2**70), "stride"),
    (dict(dilation=2**62), "dilation"),
    (dict(padding=2**62), "padding"),
    (dict(padding=(0, 2**63)), "padding"),
    (dict(dilation=2**40), "output length .*dilation"),
])
def test_enormous_arguments_raise_before_allocating(kwargs, word):
    with pytest.raises(ValueError, match=rf"^{word}\b"):
        cc.conv1d(np.ones((1, 1, 10)), np.ones((1, 1, 3)), **kwargs)


def test_enormous_pad_widths_raise():
    with pytest.raises(ValueError, match="pad_width"):
        cc.pad(np.ones(3), 2**62)
    with pytest.raises(ValueError, match=r"^pad_width: the result would hold \d+ elements"):
        cc.pad(np.ones((2**20, 4)), (2**55, 2**55))
    with pytest.raises(ValueError, match="stride"):
        cc.conv_transpose1d(np.ones((1, 1, 4)), np.ones((1, 1, 2)), stride=2**64)


@pytest.mark.parametrize("stride", [2 ** 20, 2 ** 26])
@pytest.mark.parametrize("padding_mode", ["zeros", "reflect"])
def test_stride_far_longer_than_the_signal(stride, padding_mode):
    # Packing once made stride phase rows per channel, nearly all empty: 2**26 ran out
    # of memory for a one-sample output. Oracle: the float64 loops / numpy.
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 3, 8))
    w = rng.standard_normal((4, 3, 3))
    y = cc.conv1d(x, w, stride=stride, padding=1, padding_mode=padding_mode)
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1)), mode="constant" if padding_mode == "zeros"
                else padding_mode)
    np.testing.assert_allclose(y, np.einsum("nck,ock->no", xp[:, :, :3], w)[..., None],
                               rtol=1e-12, atol=1e-12)
    g = rng.standard_normal(y.shape)
    grads = cc.conv1d_backward(g, x, w, stride=stride, padding=1, padding_mode=padding_mode)
    # Only the first window is read: dL/dxp is g * w there, then folded by the padding.
    dxp = np.zeros(xp.shape)
    dxp[:, :, :3] = np.einsum("no,ock->nck", g[..., 0], w)
    expected = dxp[:, :, 1:-1].copy()
    if padding_mode == "reflect":   # xp[0] = x[1], xp[-1] = x[-2]
        expected[:, :, 1] += dxp[:, :, 0]
        expected[:, :, -2] += dxp[:, :, -1]
    np.testing.assert_allclose(grads.input, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(grads.weight, np.einsum("no,nck->ock", g[..., 0], xp[:, :, :3]),
                               rtol=1e-12, atol=1e-12)
    # conv_transpose1d: weight (C_in = 4, C_out = 3, K); output length (1 - 1)*s + 3
    np.testing.assert_allclose(cc.conv_transpose1d(g, w, stride=stride),
                               np.einsum("no,ock->nck", g[..., 0], w), rtol=1e-12,
                               atol=1e-12)
