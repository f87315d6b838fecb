"""The FFT route of conv1d / conv1d_backward (``method="fft"`` and ``"auto"``).

Oracles: every padding mode by ``numpy.pad``/``pywt.pad``, then PyTorch's float64
``conv1d`` and its autograd (weight and input gradients through the explicitly padded
input, folded back by a central directional difference of the float64 forward for the
modes PyTorch lacks). float32 accuracy is compared with PyTorch's own float32 direct
result against the same float64 reference.
"""

import os
import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import cconv1d as cc
from cconv1d import _fftconv
from conv_oracles import ALL_PADDING_MODES, explicit_padding, pad_last

# N, C_in, C_out, L, K, stride, dilation, groups, padding
GEOMETRIES = [
    (2, 6, 8, 300, 31, 1, 1, 1, "same"),
    (3, 8, 4, 257, 24, 3, 2, 2, (5, 9)),
    (1, 4, 4, 400, 40, 2, 1, 4, "full"),        # depthwise
    (2, 3, 5, 129, 64, 1, 1, 1, "valid"),
    (1, 2, 2, 50, 25, 1, 1, 1, "causal"),
]


def _oracle(x, w, b, stride, left, right, dilation, groups, mode, pad_value, flip):
    xp = torch.from_numpy(pad_last(x, left, right, mode, pad_value))
    wt = torch.from_numpy(np.array(w[..., ::-1] if flip else w, dtype=np.float64))
    bt = None if b is None else torch.from_numpy(b.astype(np.float64))
    return F.conv1d(xp, wt, bt, stride=stride, dilation=dilation, groups=groups).numpy()


@pytest.mark.parametrize("mode", ALL_PADDING_MODES)
@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_fft_forward_and_weight_gradient_match_the_oracle(geometry, mode):
    n, c_in, c_out, length, k, stride, dilation, groups, padding = geometry
    rng = np.random.default_rng([GEOMETRIES.index(geometry), ALL_PADDING_MODES.index(mode)])
    x = rng.standard_normal((n, c_in, length))
    w = rng.standard_normal((c_out, c_in // groups, k))
    b = rng.standard_normal(c_out)
    flip = bool(GEOMETRIES.index(geometry) % 2)
    left, right = explicit_padding(padding, length, k, stride, dilation)
    kw = dict(stride=stride, padding=padding, dilation=dilation, groups=groups,
              padding_mode=mode, pad_value=0.5, flip=flip)
    y = cc.conv1d(x, w, b, method="fft", **kw)
    ref = _oracle(x, w, b, stride, left, right, dilation, groups, mode, 0.5, flip)
    assert y.shape == ref.shape
    assert np.abs(y - ref).max() <= 1e-12 * (1 + np.abs(ref).max())

    g = rng.standard_normal(y.shape)
    grads = cc.conv1d_backward(g, x, w, bias=b, method="fft", **kw)
    xp = torch.from_numpy(pad_last(x, left, right, mode, 0.5))
    wt = torch.from_numpy(np.array(w[..., ::-1] if flip else w)).requires_grad_(True)
    F.conv1d(xp, wt, stride=stride, dilation=dilation, groups=groups).backward(
        torch.from_numpy(g))
    ref_w = wt.grad.numpy()[..., ::-1] if flip else wt.grad.numpy()
    assert np.abs(grads.weight - ref_w).max() <= 1e-12 * (1 + np.abs(ref_w).max())
    assert np.allclose(grads.bias, g.sum(axis=(0, 2)), rtol=1e-13, atol=1e-12)

    # The input gradient: <(y(x + h v) - y(x - h v)) / 2h, g> = <v, dx> (the statistic
    # modes are piecewise linear: h is far below the gaps between order statistics).
    v = rng.standard_normal(x.shape)
    h = 1e-6
    lhs = np.vdot(_oracle(x + h * v, w, b, stride, left, right, dilation, groups, mode,
                          0.5, flip)
                  - _oracle(x - h * v, w, b, stride, left, right, dilation, groups, mode,
                            0.5, flip), g) / (2 * h)
    assert abs(lhs - np.vdot(v, grads.input)) <= 1e-6 * (abs(lhs) + np.sqrt(g.size))


@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
def test_fft_input_gradient_matches_torch_autograd(mode):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 6, 500))
    w = rng.standard_normal((8, 3, 48))
    y = cc.conv1d(x, w, padding=30, stride=2, dilation=2, groups=2, padding_mode=mode,
                  method="fft")
    g = rng.standard_normal(y.shape)
    dx = cc.conv1d_backward(g, x, w, padding=30, stride=2, dilation=2, groups=2,
                            padding_mode=mode, method="fft").input
    xt = torch.from_numpy(x).requires_grad_(True)
    torch_mode = "constant" if mode == "zeros" else mode
    F.conv1d(F.pad(xt, (30, 30), mode=torch_mode), torch.from_numpy(w), stride=2,
             dilation=2, groups=2).backward(torch.from_numpy(g))
    ref = xt.grad.numpy()
    assert np.abs(dx - ref).max() <= 1e-12 * (1 + np.abs(ref).max())


def test_fft_float32_is_as_accurate_as_pytorchs_direct_float32():
    """Against a float64 reference, the float32 FFT route's largest error is within a
    small factor of PyTorch's float32 direct convolution's (measured: ~1-2x)."""
    rng = np.random.default_rng(9)
    x = rng.standard_normal((4, 32, 2048)).astype(np.float32)
    w = (rng.standard_normal((32, 32, 127)) / np.sqrt(32 * 127)).astype(np.float32)
    ref = F.conv1d(torch.from_numpy(x.astype(np.float64)),
                   torch.from_numpy(w.astype(np.float64)), padding=63).numpy()
    ours = cc.conv1d(x, w, padding=63, method="fft")
    theirs = F.conv1d(torch.from_numpy(x), torch.from_numpy(w), padding=63).numpy()
    err_ours = np.abs(ours - ref).max()
    err_torch = np.abs(theirs - ref).max()
    assert ours.dtype == np.float32
    assert err_ours <= 4 * err_torch + 4 * np.finfo(np.float32).eps


def test_auto_takes_the_fft_only_for_long_kernels_and_safe_inputs(monkeypatch):
    calls = []
    real = _fftconv.forward
    monkeypatch.setattr(_fftconv, "forward",
                        lambda *a, **k: calls.append(1) or real(*a, **k))
    rng = np.random.default_rng(1)
    x = rng.standard_normal((8, 32, 4096)).astype(np.float32)
    cc.conv1d(x, rng.standard_normal((32, 32, 3)).astype(np.float32), padding=1)
    assert calls == []                         # short kernel: direct
    w = rng.standard_normal((32, 32, 255)).astype(np.float32)
    y = cc.conv1d(x, w, padding=127)
    assert calls == [1]                        # long kernel, many channels: FFT
    assert np.allclose(y, cc.conv1d(x, w, padding=127, method="direct"),
                       rtol=1e-3, atol=1e-3 * np.abs(y).max())
    x[0, 0, 5] = np.inf                        # the FFT would spread it over the row
    y = cc.conv1d(x, w, padding=127)
    assert calls == [1] and np.isfinite(y[1]).all() and np.isfinite(y[0, :, 200:]).all()


def test_huge_finite_values_do_not_overflow_under_auto():
    x = np.full((1, 4, 600), 1e300)
    w = np.ones((4, 4, 64))
    y = cc.conv1d(x, w)                        # auto: would overflow in an FFT
    assert np.isfinite(y).all() and np.allclose(y, 4 * 64 * 1e300)


def test_method_is_validated():
    x = np.ones((1, 2, 50))
    w = np.ones((2, 2, 30))
    with pytest.raises(ValueError, match="method must be one of 'auto', 'direct', 'fft'"):
        cc.conv1d(x, w, method="winograd")
    with pytest.raises(ValueError, match="method must be one of"):
        cc.conv1d_backward(np.ones((1, 2, 21)), x, w, method="FFT")


def test_layer_takes_the_method_for_forward_and_backward():
    """cc.Conv1d(method=...) routes both passes; the FFT layer's gradients equal the
    direct layer's (both checked against the oracles above)."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 4, 300))
    direct = cc.Conv1d(4, 6, 41, padding="same", dtype=np.float64, rng=1, method="direct")
    fft = cc.Conv1d(4, 6, 41, padding="same", dtype=np.float64, rng=1, method="fft")
    y = fft(x)
    assert np.allclose(y, direct(x), rtol=1e-12, atol=1e-12)
    g = rng.standard_normal(y.shape)
    assert np.allclose(fft.backward(g), direct.backward(g), rtol=1e-12, atol=1e-12)
    assert np.allclose(fft.grad_weight, direct.grad_weight, rtol=1e-12, atol=1e-11)
    with pytest.raises(ValueError, match="method must be one of"):
        cc.Conv1d(4, 6, 41, method="winograd")


@pytest.mark.parametrize("geometry", [
    (2, 4, 4, 512, 511, 1, 1, 4, "same"),      # depthwise, K ~ L: one window
    (1, 3, 3, 5000, 33, 1, 2, 3, "same"),      # depthwise, long signal: overlap-save
    (2, 4, 6, 3000, 40, 2, 1, 2, (7, 3)),      # grouped, strided, several windows
])
@pytest.mark.parametrize("bias", [True, False])
def test_fft_float32_forward_and_gradients_against_float64_torch(geometry, bias):
    """Both backward plans (one window sharing the spectrum of dy, and overlap-save) and
    the forward's bias through the zero-frequency bin, in float32, against PyTorch's
    float64 direct result and autograd: the error is within a small factor of PyTorch's
    own float32 direct result's."""
    n, c_in, c_out, length, k, stride, dilation, groups, padding = geometry
    rng = np.random.default_rng(length)
    x = rng.standard_normal((n, c_in, length)).astype(np.float32)
    w = (rng.standard_normal((c_out, c_in // groups, k)) / np.sqrt(k)).astype(np.float32)
    b = rng.standard_normal(c_out).astype(np.float32) if bias else None
    left, right = explicit_padding(padding, length, k, stride, dilation)
    kw = dict(stride=stride, padding=(left, right), dilation=dilation, groups=groups)

    def torch_grads(dtype):
        xt = torch.from_numpy(x.astype(dtype)).requires_grad_(True)
        wt = torch.from_numpy(w.astype(dtype)).requires_grad_(True)
        bt = None if b is None else torch.from_numpy(b.astype(dtype))
        yt = F.conv1d(F.pad(xt, (left, right)), wt, bt, stride=stride, dilation=dilation,
                      groups=groups)
        yt.backward(torch.from_numpy(g.astype(dtype)))
        return yt.detach().numpy(), xt.grad.numpy(), wt.grad.numpy()

    y = cc.conv1d(x, w, b, method="fft", **kw)
    g = rng.standard_normal(y.shape).astype(np.float32)
    grads = cc.conv1d_backward(g, x, w, bias=b is not None, method="fft", **kw)
    ref = torch_grads(np.float64)
    theirs = torch_grads(np.float32)
    eps = np.finfo(np.float32).eps
    for ours, r, t in zip((y, grads.input, grads.weight), ref, theirs):
        assert ours.dtype == np.float32 and ours.shape == r.shape
        scale = np.abs(r).max()
        assert np.abs(ours - r).max() <= 4 * np.abs(t - r).max() + 64 * eps * scale
    if bias:
        assert np.allclose(grads.bias, g.astype(np.float64).sum(axis=(0, 2)), rtol=1e-5,
                           atol=1e-4)


@pytest.mark.parametrize("method", ["auto", "direct", "fft"])
@pytest.mark.parametrize("shape_x, shape_w", [((0, 2, 8), (3, 2, 3)), ((2, 2, 8), (0, 2, 3)),
                                              ((0, 4, 8), (4, 2, 3))])
def test_empty_batch_or_channels_on_every_method(method, shape_x, shape_w):
    """Before: method='fft' with an empty batch or no output channels raised NumPy's
    reshape error (naming no argument) where the direct route returns torch's empty
    results. Forward, the three gradients and the torch drop-in, against torch (which
    refuses no output channels: there, the shapes and zeros that follow from the
    definition)."""
    import cconv1d.torch as ct
    groups = shape_x[1] // shape_w[1]
    x, w = np.ones(shape_x), np.ones(shape_w)
    y = cc.conv1d(x, w, groups=groups, method=method)
    if shape_w[0] == 0:
        assert y.shape == (shape_x[0], 0, shape_x[2] - shape_w[2] + 1)
        dx, dw, db = cc.conv1d_backward(np.ones(y.shape), x, w, method=method)
        np.testing.assert_array_equal(dx, np.zeros(shape_x))
        assert dw.shape == shape_w and db.shape == (0,)
        return
    xt = torch.tensor(x, requires_grad=True)
    wt = torch.tensor(w, requires_grad=True)
    bt = torch.zeros(shape_w[0], dtype=torch.float64, requires_grad=True)
    yt = F.conv1d(xt, wt, bt, groups=groups)
    assert y.shape == tuple(yt.shape)
    yt.sum().backward()
    dx, dw, db = cc.conv1d_backward(np.ones(y.shape), x, w, groups=groups, method=method)
    for got, want in ((dx, xt.grad), (dw, wt.grad), (db, bt.grad)):
        np.testing.assert_array_equal(got, want.numpy())
    drop = ct.conv1d(torch.tensor(x), torch.tensor(w), groups=groups, method=method)
    assert tuple(drop.shape) == tuple(yt.shape)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_fft_route_in_a_forked_child_after_the_parent_used_its_threads():
    """The FFT route splits its products over a thread pool made on first use; a child
    forked afterwards (multiprocessing's fork start, DataLoader workers) has the pool
    object but not its threads, and must still get the parent's result, not hang."""
    code = (
        "import os, numpy as np, cconv1d as cc\n"
        "cc.set_num_threads(2)\n"
        "rng = np.random.default_rng(0)\n"
        "x = rng.standard_normal((4, 16, 2000)).astype(np.float32)\n"
        "w = rng.standard_normal((16, 16, 200)).astype(np.float32)\n"
        "y0 = cc.conv1d(x, w, padding='same', method='fft')\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    y = cc.conv1d(x, w, padding='same', method='fft')\n"
        "    os._exit(0 if np.array_equal(y, y0) else 3)\n"
        "_, status = os.waitpid(pid, 0)\n"
        "raise SystemExit(os.waitstatus_to_exitcode(status))\n")
    done = subprocess.run([sys.executable, "-c", code], timeout=120, capture_output=True,
                          text=True, env=dict(os.environ))
    assert done.returncode == 0, done.stderr[-2000:]


@pytest.mark.parametrize("path", ["avx512", "avx2"])
def test_auto_model_prices_the_blocks_the_fft_route_takes(path):
    """The model prices the FFT route with the overlap-save blocks it runs (the kernel
    transformed at the block's length), not one transform of the whole signal: that
    kept 32 -> 32 channel, K = 127 layers of 2048 samples direct at 2.6x the FFT's time
    (Sapphire Rapids, one thread: 12.6 against 4.9 ms). Depthwise rows run near the
    dense rate, so on AVX-512 K = 255 stays direct (4.6 against 7.6 ms); K ~ L goes
    FFT. Where AVX-512's FMAs are half width (AMD Zen 4) the direct sums run at AVX2's
    roof, and the layers the Sapphire Rapids figures kept direct take the FFT (below)."""
    from cconv1d import _kernels
    if path not in _kernels.usable_paths():
        pytest.skip(f"the {path} path does not run here")
    half = path == "avx512" and _kernels.avx512_half_width()
    try:
        _kernels.select_simd(path)
        for threads in (1, 2):
            assert _fftconv.choose(4, 32, 32, 1, 127, 2048, 1, 1, 4, threads) == "fft"
            assert _fftconv.choose(8, 64, 64, 1, 255, 4096, 1, 1, 4, threads) == "fft"
            assert _fftconv.choose(4, 32, 32, 1, 9, 2048, 1, 1, 4, threads) == "direct"
            if path == "avx512":     # measured there; AVX2's rates come from Zen 3
                assert _fftconv.choose(4, 64, 64, 64, 255, 4096, 1, 1, 4, threads) == "direct"
            assert _fftconv.choose(4, 64, 64, 64, 2047, 2048, 1, 1, 4, threads) == "fft"
        if half:
            # measured on Zen 4 (one thread): 2 x 256 -> 256, K = 127, L = 512, FFT 90
            # against 136 ms; the backward of 16 x 32 -> 32, K = 31, L = 2048, FFT 26
            # against 37 (the benchmark's wide-kernel: it had run direct, 1.39x the
            # AVX2 path's time); 8 x 128 -> 128, K = 17, L = 1024, FFT 47 against 81
            assert _fftconv.choose(2, 256, 256, 1, 127, 512, 1, 1, 4, 1) == "fft"
            assert _fftconv.choose(16, 32, 32, 1, 31, 2048, 1, 1, 4, 1, True) == "fft"
            assert _fftconv.choose(8, 128, 128, 1, 17, 1024, 1, 1, 4, 1, True) == "fft"
            assert _fftconv.choose(16, 16, 16, 1, 31, 4096, 1, 1, 4, 1, True) == "direct"
        elif path == "avx512":
            # measured after the route took 2-3-5-smooth lengths (one thread: FFT 32
            # against 48 ms, 12 against 25, 15 against 25; 256 channels at L = 512:
            # direct 141 against 169): the model before kept the first three direct
            # and sent the fourth to the FFT
            assert _fftconv.choose(8, 128, 128, 1, 31, 1024, 1, 1, 4, 1) == "fft"
            assert _fftconv.choose(1, 64, 64, 1, 31, 16384, 1, 1, 4, 1) == "fft"
            assert _fftconv.choose(16, 16, 16, 1, 63, 8192, 1, 1, 4, 1) == "fft"
            assert _fftconv.choose(2, 256, 256, 1, 127, 512, 1, 1, 4, 1) == "direct"
            # both gradients: the FFT route's backward costs it 1.6-4.3x its forward
            # time, the direct route's 2.0-2.1x (one thread: 16 x 32 -> 32, K = 31,
            # direct 27 against 36 ms; 8 x 128 -> 128, K = 47, FFT 80 against 157)
            assert _fftconv.choose(16, 32, 32, 1, 31, 2048, 1, 1, 4, 1, True) == "direct"
            assert _fftconv.choose(8, 128, 128, 1, 47, 1024, 1, 1, 4, 1, True) == "fft"
    finally:
        _kernels.select_simd(None)


def _largest_prime_factor(n):
    p, largest = 2, 1
    while n > 1:
        while n % p == 0:
            n, largest = n // p, p
        p += 1
    return largest


@pytest.mark.parametrize("groups, c, length, k", [(1, 4, 700, 63), (4, 4, 500, 255),
                                                 (8, 8, 1000, 255)])
def test_fft_route_transforms_2_3_5_smooth_lengths(monkeypatch, groups, c, length, k):
    """Real transforms of 2-3-5-smooth lengths only: scipy.fft.next_fast_len's default
    (for complex transforms) returns 7- and 11-smooth lengths such as 4312 or 8232,
    whose real transforms ran 1.2-1.7x slower per sample than the next 5-smooth one;
    a 16 x 64 -> 64, L = 1000, K = 127 forward took 2.2x the time. The results still
    match torch."""
    rfft, irfft, fast_len, workers = _fftconv._fft()
    sizes = []

    def recording(fn):
        def call(a, n=None, *args, **kwargs):
            sizes.append(n if n is not None else a.shape[kwargs.get("axis", -1)])
            return fn(a, n, *args, **kwargs)
        return call
    monkeypatch.setattr(_fftconv, "_fft",
                        lambda: (recording(rfft), recording(irfft), fast_len, workers))
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, c, length))
    w = rng.standard_normal((c, c // groups, k)) / k
    gy = rng.standard_normal((2, c, length))
    y = cc.conv1d(x, w, padding="same", groups=groups, method="fft")
    grads = cc.conv1d_backward(gy, x, w, padding="same", groups=groups, method="fft")
    assert sizes and all(_largest_prime_factor(n) <= 5 for n in sizes), sizes
    xt = torch.from_numpy(x).requires_grad_(True)
    wt = torch.from_numpy(w).requires_grad_(True)
    yt = F.conv1d(F.pad(xt, ((k - 1) // 2, k // 2)), wt, groups=groups)
    yt.backward(torch.from_numpy(gy))
    np.testing.assert_allclose(y, yt.detach().numpy(), atol=1e-10)
    np.testing.assert_allclose(grads.input, xt.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(grads.weight, wt.grad.numpy(), atol=1e-9)


def test_block_plan_cuts_wide_layers_and_keeps_depthwise_whole():
    """The overlap-save plan weighs a kernel lane's transform (2.2 signal lanes) and
    the products as measured: 8 x 128 -> 128, L = 1024, K = 255 runs in blocks of 512
    (68-77 ms forward on Sapphire Rapids, one thread) where the earlier weights took
    one transform of 1280 (129-138 ms); 8 -> 8 channels keep one transform of the
    signal (3.7 against 4.2-4.9 ms in blocks of 512), and so does a depthwise K = 255
    layer (5.0 against 6.5 ms)."""
    fast = _fftconv._fft()[2]
    assert _fftconv._plan_blocks(8, 128, 128, 128, 254, 1024, fast)[0] == 512
    assert _fftconv._plan_blocks(32, 8, 8, 8, 126, 2048, fast)[2] == 1
    assert _fftconv._plan_blocks(4, 64, 64, 1, 254, 4096, fast)[2] == 1


def test_small_long_kernel_layers_skip_the_route_choice_but_fft_is_honoured(monkeypatch):
    """A long kernel in a layer too small for the FFT route to pay (under 2**22
    multiply-adds) stays on the compiled fast route under auto: the general route's
    Python tripled such a call's time only to answer "direct". method="fft" still
    takes the FFT route, and a large layer still asks the cost model."""
    asked, ran = [], []
    choose, forward = _fftconv.choose, _fftconv.forward
    monkeypatch.setattr(_fftconv, "choose",
                        lambda *a, **k: asked.append(a) or choose(*a, **k))
    monkeypatch.setattr(_fftconv, "forward",
                        lambda *a, **k: ran.append(1) or forward(*a, **k))
    rng = np.random.default_rng(3)
    x = rng.standard_normal((1, 4, 128)).astype(np.float32)
    w = rng.standard_normal((8, 4, 31)).astype(np.float32)
    ref = F.conv1d(torch.from_numpy(x).double(), torch.from_numpy(w).double()).numpy()
    np.testing.assert_allclose(cc.conv1d(x, w), ref, rtol=1e-5, atol=1e-5)
    assert asked == [] and ran == []
    np.testing.assert_allclose(cc.conv1d(x, w, method="fft"), ref, rtol=1e-4, atol=1e-4)
    assert ran == [1]
    big = rng.standard_normal((8, 64, 1024)).astype(np.float32)
    wide = rng.standard_normal((64, 64, 31)).astype(np.float32)
    cc.conv1d(big, wide)
    assert len(asked) == 1
