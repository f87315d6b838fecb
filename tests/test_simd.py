"""Every SIMD path gives the oracle's results (scalar baseline, AVX2, AVX-512, NEON).

The path is switched in-process, as ``CCONV1D_SIMD`` does at import; the oracle is
PyTorch autograd through ``F.pad`` + ``F.conv1d``.
"""

import os
import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import cconv1d as cc
from cconv1d import _kernels

PATHS = list(_kernels.SIMD_NAMES)

CASES = [  # N, C_in, C_out, L, K, stride, dilation, groups, padding, mode
    (2, 4, 6, 50, 3, 1, 1, 1, 1, "zeros"),
    (3, 6, 9, 37, 5, 2, 3, 3, 4, "reflect"),
    (1, 4, 8, 300, 7, 3, 2, 2, 0, "zeros"),
    (5, 8, 8, 600, 9, 1, 1, 8, 4, "replicate"),
    (1, 16, 24, 1000, 3, 1, 1, 1, 1, "circular"),
    (4, 12, 12, 77, 4, 4, 2, 12, 3, "reflect"),
    (2, 1, 32, 500, 9, 1, 1, 1, 4, "zeros"),
    (1, 30, 30, 300, 31, 1, 1, 1, 15, "zeros"),
    (2, 2, 2, 5, 5, 1, 1, 1, 2, "zeros"),
]


@pytest.fixture(params=PATHS)
def simd(request):
    if request.param not in _kernels.usable_paths():
        pytest.skip(f"the {request.param} path is not built or this CPU cannot run it")
    chosen = _kernels.select_simd(request.param)
    assert chosen == request.param
    yield chosen
    _kernels.select_simd(None)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES)
def test_path_matches_torch(simd, case, dtype):
    n, c_in, c_out, length, k, stride, dilation, groups, padding, mode = case
    rng = np.random.default_rng([CASES.index(case), np.dtype(dtype).itemsize])
    x = rng.standard_normal((n, c_in, length)).astype(dtype)
    w = rng.standard_normal((c_out, c_in // groups, k)).astype(dtype)
    b = rng.standard_normal(c_out).astype(dtype)
    xt = torch.tensor(x, requires_grad=True)
    wt = torch.tensor(w, requires_grad=True)
    bt = torch.tensor(b, requires_grad=True)
    torch_mode = "constant" if mode == "zeros" else mode
    yt = F.conv1d(F.pad(xt, (padding, padding), mode=torch_mode), wt, bt, stride=stride,
                  dilation=dilation, groups=groups)
    g = rng.standard_normal(tuple(yt.shape)).astype(dtype)
    yt.backward(torch.tensor(g))
    kw = dict(stride=stride, padding=padding, dilation=dilation, groups=groups,
              padding_mode=mode)
    y = cc.conv1d(x, w, b, **kw)
    grads = cc.conv1d_backward(g, x, w, **kw)
    tol = 1e-10 if dtype == np.float64 else 3e-5 * np.sqrt(c_in // groups * k)
    for ours, ref in [(y, yt.detach()), (grads.input, xt.grad), (grads.weight, wt.grad),
                      (grads.bias, bt.grad)]:
        ref = ref.numpy()
        scale = 1 + np.abs(ref).max()
        assert np.abs(ours - ref).max() <= tol * scale


def test_environment_variable_selects_path():
    code = ("import cconv1d as cc; from cconv1d import _kernels; "
            "print(_kernels.simd_path())")
    for name in PATHS:
        env = dict(os.environ, CCONV1D_SIMD=name)
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, check=True).stdout.split()
        # A path this machine cannot run leaves the best one active.
        expected = name if name in _kernels.usable_paths() else _kernels.best_simd()
        assert out == [expected]


def test_registry_describes_every_built_path():
    built = _kernels.built_paths()
    assert built[0] == "scalar" and set(_kernels.usable_paths()) <= set(built)
    assert _kernels.best_simd() in _kernels.usable_paths()
    for entry in _kernels.descriptors():
        assert entry["name"] in built and entry["mr"] >= 1
        assert entry["nr_float32"] == 2 * entry["nr_float64"]
        assert entry["nr_float32"] % entry["float32_lanes"] == 0
    with pytest.raises(ValueError, match="name must be one of"):
        _kernels.select_simd("sse9")


def test_switching_path_while_other_threads_convolve():
    """A switch swaps the descriptor pointer: calls in flight finish on their own path,
    so every result matches one of the paths' results (no torn tile sizes)."""
    from concurrent.futures import ThreadPoolExecutor
    paths = _kernels.usable_paths()
    rng = np.random.default_rng(7)
    x = rng.standard_normal((4, 16, 3000)).astype(np.float32)
    w = rng.standard_normal((32, 16, 5)).astype(np.float32)
    expected = []
    for name in paths:
        _kernels.select_simd(name)
        expected.append(cc.conv1d(x, w, padding="same"))
    try:
        with ThreadPoolExecutor(3) as pool:
            futures = [pool.submit(cc.conv1d, x, w, padding="same") for _ in range(24)]
            for i in range(48):
                _kernels.select_simd(paths[i % len(paths)])
            for f in futures:
                y = f.result()
                assert any(np.array_equal(y, e) for e in expected)
    finally:
        _kernels.select_simd(None)


def _cpuinfo():
    """The first processor's fields of Linux's /proc/cpuinfo, or None elsewhere."""
    try:
        with open("/proc/cpuinfo") as f:
            text = f.read().split("\n\n")[0]
    except OSError:
        return None
    return {k.strip(): v.strip() for k, _, v in
            (line.partition(":") for line in text.splitlines())}


def test_avx512_half_width_agrees_with_the_kernel_cpu_report():
    # The FFT cost model prices AVX-512's direct sums at AVX2's rate where the FMAs run
    # at half width; the probe (cpuid in cc_cpu.h) is checked against what the Linux
    # kernel reports: AMD family 25 (19h, Zen 3/Zen 4) with avx512f.
    info = _cpuinfo()
    if info is None or "vendor_id" not in info:
        pytest.skip("no /proc/cpuinfo with x86 fields")
    flags = info.get("flags", "").split()
    expected = (info["vendor_id"] == "AuthenticAMD" and info.get("cpu family") == "25"
                and "avx512f" in flags)
    assert _kernels.avx512_half_width() is expected


WINOGRAD_PATH_CASES = [  # N, C_in, C_out, L, K, stride, dilation, padding
    (4, 64, 64, 1023, 3, 1, 1, 1),       # F(4, 3), a tail of 3
    (4, 64, 72, 601, 5, 1, 1, 2),        # F(4, 5), a tail of 1
    (8, 128, 128, 1000, 4, 1, 1, 1),     # F(5, 4)
    (4, 128, 128, 1001, 3, 1, 5, 5),     # dilated: the phases inner
    (6, 64, 128, 1025, 7, 2, 1, 3),      # strided: F(5, 4) on two phases
]


@pytest.mark.parametrize("case", WINOGRAD_PATH_CASES)
def test_winograd_transforms_of_each_path(simd, case, monkeypatch):
    """The Winograd route's transforms by tiles are compiled once per x86 path
    (cc_winograd.h) and the active path's build runs: each against PyTorch's float64
    convolution, within 4x the direct route's float32 error (the transforms'
    coefficients cost a few bits; a build that misread its tiles would be far off),
    the input gradient too (the forward's transforms of dy), and the weight gradient
    (dy's transform through A)."""
    from cconv1d import _fftconv, _forward
    monkeypatch.setattr(_fftconv, "choose", lambda *args: "direct")
    n, c_in, c_out, length, k, stride, dilation, padding = case
    rng = np.random.default_rng(list(case))
    x = rng.standard_normal((n, c_in, length)).astype(np.float32)
    w = rng.standard_normal((c_out, c_in, k)).astype(np.float32)
    b = rng.standard_normal(c_out).astype(np.float32)
    kw = dict(stride=stride, dilation=dilation, padding=padding)
    l_out = (length + 2 * padding - dilation * (k - 1) - 1) // stride + 1
    assert _forward.forward_route(n, c_in, length, c_out, c_in, k, padding, padding,
                                  l_out, stride, dilation, 1, 0, 4, 1,
                                  True) == "winograd"
    x64, w64, b64 = (torch.tensor(a, dtype=torch.float64) for a in (x, w, b))
    want = F.conv1d(x64, w64, b64, **kw).numpy()
    got = cc.conv1d(x, w, b, **kw)
    direct = cc.conv1d(x, w, b, method="direct", **kw)
    err, err_direct = np.abs(got - want).max(), np.abs(direct - want).max()
    assert err <= 4 * err_direct + 1e-6 * np.abs(want).max(), (err, err_direct)
    assert not np.array_equal(got, direct)
    if stride == 1 and k in (3, 5) and dilation == 1 or dilation > 1 and k == 3:
        # dx: the forward of dy by the route where it pays (3 taps from 128 channels,
        # 5 from 64), else the direct route; either way against autograd in float64
        g = rng.standard_normal((n, c_out, l_out)).astype(np.float32)
        xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        F.conv1d(xt, torch.tensor(w, dtype=torch.float64), **kw).backward(
            torch.tensor(g, dtype=torch.float64))
        dx = cc.conv1d_backward(g, x, w, bias=False, needs="input", **kw).input
        dx_direct = cc.conv1d_backward(g, x, w, bias=False, needs="input",
                                       method="direct", **kw).input
        ref = xt.grad.numpy()
        assert (np.abs(dx - ref).max()
                <= 4 * np.abs(dx_direct - ref).max() + 1e-6 * np.abs(ref).max())
    if stride == 1 and dilation == 1:
        # dW: the transforms of dy (through A) and of the input, this path's builds,
        # where the weight gradient takes the route (3-4 taps from 128 channels, 5
        # from 64), else the direct route
        # (the direct route sums in float64: the bound is 4x the larger of its error
        # and PyTorch's float32 one, as test_conv1d's Winograd gradients, plus 1e-5 of
        # the largest entry: the eight points' transforms of dy and the input round
        # values up to 15x and 10x their inputs, which G^T's sums then cancel, 3-5e-6
        # of it measured against PyTorch's 1-3e-6; a misread tile is off by O(1))
        g = rng.standard_normal((n, c_out, l_out)).astype(np.float32)

        def torch_dw(dtype):
            wt = torch.tensor(w, dtype=dtype, requires_grad=True)
            F.conv1d(torch.tensor(x, dtype=dtype), wt, **kw).backward(
                torch.tensor(g, dtype=dtype))
            return wt.grad.double().numpy()
        ref, dw_torch = torch_dw(torch.float64), torch_dw(torch.float32)
        dw = cc.conv1d_backward(g, x, w, bias=False, needs="weight", **kw).weight
        dw_direct = cc.conv1d_backward(g, x, w, bias=False, needs="weight",
                                       method="direct", **kw).weight
        bound = 4 * max(np.abs(dw_direct - ref).max(), np.abs(dw_torch - ref).max())
        assert np.abs(dw - ref).max() <= bound + 1e-5 * np.abs(ref).max()
        assert np.array_equal(dw, dw_direct) == (k == 3 and min(c_in, c_out) < 128)
