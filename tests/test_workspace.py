"""The forward pass packs long samples a length block at a time.

A sample whose padded, phase-split channels exceed a few MiB is packed block by block,
so the workspace is bounded by cache-sized blocks, not by ``C_in x L``. These tests run
that path (checked through ``forward_workspace_bytes``, which sizes the same plan the
kernel allocates by) against float64 oracles — ``numpy.pad``/``pywt.pad`` for every
padding mode, then PyTorch's float64 ``conv1d`` — and measure the peak resident memory
of a 64-channel, 10**6-sample call in a subprocess.
"""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import cconv1d as cc
from cconv1d import _backward, _forward, _spec
from oracles_conv import ALL_PADDING_MODES, conv1d_torch, explicit_padding, pad_last

# N, C_in, C_out, L, K, stride, dilation, groups, padding
GEOMETRIES = [
    (1, 32, 16, 40_000, 3, 1, 1, 1, "same"),
    (2, 36, 24, 37_001, 5, 2, 3, 3, (7, 2)),
    (1, 40, 8, 30_011, 4, 3, 2, 1, "full"),
    (1, 24, 24, 50_000, 9, 1, 1, 24, 4),     # depthwise with a non-constant mode packs too
]


def _oracle(x, w, b, stride, left, right, dilation, groups, mode, pad_value):
    return conv1d_torch(x, w, b, stride=stride, padding=(left, right), dilation=dilation,
                        groups=groups, padding_mode=mode, pad_value=pad_value)[0]


@pytest.mark.parametrize("mode", ALL_PADDING_MODES)
@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_blocked_forward_matches_the_oracle(geometry, mode):
    n, c_in, c_out, length, k, stride, dilation, groups, padding = geometry
    dtype = np.float32 if GEOMETRIES.index(geometry) % 2 == 0 else np.float64
    rng = np.random.default_rng([GEOMETRIES.index(geometry), ALL_PADDING_MODES.index(mode)])
    x = rng.standard_normal((n, c_in, length)).astype(dtype)
    w = rng.standard_normal((c_out, c_in // groups, k)).astype(dtype)
    b = rng.standard_normal(c_out).astype(dtype)
    left, right = explicit_padding(padding, length, k, stride, dilation)
    kw = dict(stride=stride, padding=padding, dilation=dilation, groups=groups,
              padding_mode=mode, pad_value=0.5)
    y = cc.conv1d(x, w, b, **kw)
    ref = _oracle(x, w, b, stride, left, right, dilation, groups, mode, 0.5)
    assert y.shape == ref.shape and y.dtype == dtype
    # float32: each output sums C_in/groups * K products of unit normals, rounded in
    # float32: a few eps * sqrt(terms) of the output's scale.
    terms = c_in // groups * k
    eps = np.finfo(dtype).eps
    tol = 8 * eps * np.sqrt(terms) * (1 + np.abs(ref).max())
    assert np.abs(y - ref).max() <= tol
    # The plan really packed by blocks: quadrupling the length adds at most the rows that
    # pad_row fills once per thread (and the median's work row) and a packed block per
    # thread (blocks shared by threads are cut equal, so their length varies below the
    # 512 KiB cap), never C_in x L. (An absolute bound against one packed sample is too
    # tight where the sample is just above the blocking threshold and those rows count:
    # the AVX2 tile, median mode.)
    if not (groups == c_in and stride == 1 and mode in ("zeros", "constant")):
        code = _spec.CODES.get(_spec.ALIASES.get(mode, mode), 0)

        def workspace(length):
            left, right = explicit_padding(padding, length, k, stride, dilation)
            l_out = (left + length + right - dilation * (k - 1) - 1) // stride + 1
            return _forward.forward_workspace_bytes(n, c_in, length, c_out, c_in // groups,
                                                    k, left, right, l_out, stride, dilation,
                                                    groups, code, x.itemsize, 2)

        per_row = x.itemsize + (8 if mode == "median" else 0)
        growth = workspace(4 * length) - workspace(length)
        assert growth <= 2 * 3 * (length + 64) * per_row + 2 * (512 << 10) + 4096
        assert growth < c_in * 3 * length * x.itemsize / 4


def test_blocked_and_whole_sample_packing_agree_bit_for_bit():
    """The same layer on a long sample (blocked) and on its slices (whole-sample) gives
    identical bits: blocking changes where a sample is packed, not the arithmetic."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((1, 64, 33_000)).astype(np.float32)
    w = rng.standard_normal((32, 64, 3)).astype(np.float32)
    y = cc.conv1d(x, w, padding=0)
    for start in (0, 5_000, 20_000):
        piece = np.ascontiguousarray(x[..., start:start + 3_002])
        assert np.array_equal(cc.conv1d(piece, w), y[..., start:start + 3_000])


_PEAK_PRELUDE = """
import numpy as np, cconv1d as cc
def _hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM"):
            return int(line.split()[1]) * 1024
def reset():                                        # reset the high-water mark
    global _before
    open("/proc/self/clear_refs", "w").write("5")
    _before = _hwm()
def grown():
    return _hwm() - _before
x = np.ones((1, 64, 10**6), np.float32)
w = np.full((64, 64, 3), 0.01, np.float32)
"""


def _peak_mib(body):
    """Run the prelude and ``body`` in a fresh interpreter; the last line it prints."""
    out = subprocess.run([sys.executable, "-c", _PEAK_PRELUDE + textwrap.dedent(body)],
                         capture_output=True, text=True, timeout=300)
    if out.returncode != 0 and "clear_refs" in out.stderr:
        pytest.skip("this kernel does not let a process reset its VmHWM")
    assert out.returncode == 0, out.stderr
    return float(out.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs /proc")
@pytest.mark.parametrize("mode", ["zeros", "reflect"])
def test_forward_workspace_of_a_long_signal_is_bounded(mode):
    """(1, 64, 10**6) float32, K=3, out= given: the call's own peak memory (VmHWM after
    a reset of the high-water mark) stays under 32 MiB; packing the sample whole took
    244 MiB."""
    extra = _peak_mib(f"""
        y = np.empty((1, 64, 10**6), np.float32)
        y.fill(0.0)                                     # np.zeros' pages are not resident yet
        cc.conv1d(x[..., :1000], w, padding=1)          # import-time allocations first
        reset()
        cc.conv1d(x, w, padding=1, padding_mode={mode!r}, out=y)
        assert abs(float(y[0, 0, 500]) - 64 * 3 * 0.01) < 1e-4
        print(grown() / 2**20)
    """)
    assert extra <= 32, f"the forward call took {extra:.1f} MiB beyond its arrays"


# ---------------------------------------------------------------------------------------
# the backward pass

BACKWARD_GEOMETRIES = [
    (1, 48, 32, 30_000, 3, 1, 1, 1, "same"),
    (2, 32, 16, 25_003, 5, 2, 3, 2, (6, 3)),
    (1, 24, 48, 40_000, 4, 3, 2, 1, "full"),
]


@pytest.mark.parametrize("mode", ALL_PADDING_MODES)
@pytest.mark.parametrize("geometry", BACKWARD_GEOMETRIES)
def test_blocked_backward_matches_the_oracles(geometry, mode):
    """Long samples: the weight gradient against autograd through the oracle padding
    (numpy.pad / pywt.pad, then torch's float64 conv1d); the input gradient against a
    central directional difference of the float64 forward, <(y(x+hv) - y(x-hv))/2h, g>
    = <v, dx>, which holds for every mode (the statistic modes are piecewise linear)."""
    n, c_in, c_out, length, k, stride, dilation, groups, padding = geometry
    rng = np.random.default_rng([BACKWARD_GEOMETRIES.index(geometry),
                                 ALL_PADDING_MODES.index(mode)])
    x = rng.standard_normal((n, c_in, length))
    w = rng.standard_normal((c_out, c_in // groups, k))
    left, right = explicit_padding(padding, length, k, stride, dilation)
    kw = dict(stride=stride, padding=padding, dilation=dilation, groups=groups,
              padding_mode=mode, pad_value=0.5)
    y = cc.conv1d(x, w, **kw)
    g = rng.standard_normal(y.shape)
    grads = cc.conv1d_backward(g, x, w, bias=False, **kw)

    xp = torch.from_numpy(pad_last(x, left, right, mode, 0.5))
    wt = torch.from_numpy(w).requires_grad_(True)
    F.conv1d(xp, wt, stride=stride, dilation=dilation, groups=groups).backward(
        torch.from_numpy(g))
    ref_w = wt.grad.numpy()
    assert np.abs(grads.weight - ref_w).max() <= 1e-9 * (1 + np.abs(ref_w).max())

    v = rng.standard_normal(x.shape)
    # Small enough that no order statistic changes rank (neighbouring ones of 30000
    # normal samples are ~1e-4 apart); float64 rounding stays far below the tolerance.
    h = 1e-7
    lhs = np.vdot(cc.conv1d(x + h * v, w, **kw) - cc.conv1d(x - h * v, w, **kw), g) / (2 * h)
    rhs = np.vdot(v, grads.input)
    assert abs(lhs - rhs) <= 1e-7 * (abs(rhs) + np.sqrt(g.size))

    code = _spec.CODES.get(_spec.ALIASES.get(mode, mode), 0)
    ws = _backward.backward_workspace_bytes(n, c_in, length, c_out, c_in // groups, k,
                                            left, right, y.shape[-1], stride, dilation,
                                            groups, code, 8, 2)
    whole = 8 * (c_out + c_in) * (left + length + right)
    assert ws["input"] < whole and ws["weight"] < whole


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs /proc")
@pytest.mark.parametrize("mode", ["zeros", "reflect"])
def test_backward_workspace_of_a_long_signal_is_bounded(mode):
    """(1, 64, 10**6) float32, K=3: conv1d_backward's peak memory beyond its outputs
    stays under 48 MiB; holding whole samples took 488 MiB."""
    extra = _peak_mib(f"""
        g = np.ones((1, 64, 10**6), np.float32)
        cc.conv1d_backward(g[..., :1000], x[..., :1000], w, padding=1)
        reset()
        r = cc.conv1d_backward(g, x, w, padding=1, padding_mode={mode!r})
        assert abs(float(r.input[0, 0, 500]) - 64 * 3 * 0.01) < 1e-4
        print((grown() - r.input.nbytes - r.weight.nbytes - r.bias.nbytes) / 2**20)
    """)
    assert extra <= 48, f"the backward call took {extra:.1f} MiB beyond its outputs"


@pytest.mark.parametrize("stride", [5, 64, 1000, 399_999])
def test_a_stride_past_the_kernel_span_packs_the_phases_read(stride):
    """A stride longer than the kernel's span packs span phase rows per channel, not
    min(stride, length): the workspace of a 3-tap (dilation 2, span 5) layer over 4e5
    samples is that of 5 phase rows of L / stride samples at most (plus the padded row,
    the weights and a tile's slack a row), whatever the stride. (Before, a stride of
    399999 planned 399999 phase rows a channel, about 200 MB, and a lag window 4e5
    apart through 8192 taps took 3 s.)"""
    length, c_in, k, dilation = 400_000, 2, 3, 2
    l_out = (length - dilation * (k - 1) - 1) // stride + 1
    got = _forward.forward_workspace_bytes(1, c_in, length, 4, c_in, k, 0, 0, l_out, stride,
                                           dilation, 1, 0, 8, 1)
    phase_len = -(-length // stride)
    bound = (c_in * 5 * (phase_len + 256) + length + 4 * c_in * k * 8 + 4096) * 8 + 65536
    assert got <= bound, (got, bound)
