"""Tests of ``cconv1d.conv_transpose1d`` (API.md sections 1 and 4).

Oracles: ``torch.nn.functional.conv_transpose1d``, the naive scatter loops of
``oracles_conv.conv_transpose1d_ref``, and the adjoint identity
``<conv1d(x, w), g> == <x, conv_transpose1d(g, w)>`` (zero padding) checked with
``oracles_conv.conv1d_ref``, so no cconv1d result is compared with another one.
"""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given, strategies as st

import cconv1d as cc
from oracles_conv import (conv1d_out_length, conv1d_ref, conv_transpose1d_ref,
                          transpose_out_length)

DTYPES = (np.float32, np.float64)


def _tol(dtype, terms, scale):
    scale = max(float(scale), 1.0)
    if np.dtype(dtype) == np.float64:
        return dict(rtol=1e-10, atol=1e-10 * scale)
    return dict(rtol=1e-5, atol=1e-5 * math.sqrt(max(terms, 1)) * scale)


def _data(seed, n, c_in, length, oc_per_group, k, dtype, batched=True, groups=1,
          bias=True):
    rng = np.random.default_rng(seed)
    shape = (n, c_in, length) if batched else (c_in, length)
    x = rng.standard_normal(shape).astype(dtype)
    w = rng.standard_normal((c_in, oc_per_group, k)).astype(dtype)
    b = rng.standard_normal(oc_per_group * groups).astype(dtype) if bias else None
    return x, w, b


@st.composite
def transpose_cases(draw):
    groups = draw(st.integers(1, 4))
    stride = draw(st.integers(1, 4))
    dilation = draw(st.integers(1, 4))
    return dict(
        groups=groups,
        c_in=groups * draw(st.integers(1, 4)),
        oc_per_group=draw(st.sampled_from([1, 2, 3, 4, 6])),
        n=draw(st.integers(1, 3)),
        length=draw(st.integers(1, 25)),
        k=draw(st.integers(1, 7)),
        stride=stride,
        dilation=dilation,
        padding=draw(st.integers(0, 8)),
        output_padding=draw(st.integers(0, max(stride, dilation) - 1)),
        bias=draw(st.booleans()),
        batched=draw(st.booleans()),
        dtype=draw(st.sampled_from(DTYPES)),
        seed=draw(st.integers(0, 2**32 - 1)),
    )


def _terms(case):
    """Products summed into one output sample (bounds the float32 rounding)."""
    return (case["c_in"] // case["groups"]) * -(-case["k"] // case["stride"])


@given(transpose_cases())
def test_conv_transpose1d_matches_torch(case):
    l_out = transpose_out_length(case["length"], case["k"], case["stride"],
                                 case["dilation"], case["padding"], case["padding"],
                                 case["output_padding"])
    assume(l_out >= 1)
    dtype = case["dtype"]
    x, w, b = _data(case["seed"], case["n"], case["c_in"], case["length"],
                    case["oc_per_group"], case["k"], dtype, case["batched"],
                    case["groups"], case["bias"])
    kw = dict(stride=case["stride"], padding=case["padding"],
              output_padding=case["output_padding"], groups=case["groups"],
              dilation=case["dilation"])
    x_copy, w_copy = x.copy(), w.copy()
    y = cc.conv_transpose1d(x, w, b, **kw)
    t = F.conv_transpose1d(torch.from_numpy(x), torch.from_numpy(w),
                           None if b is None else torch.from_numpy(b), **kw).numpy()
    assert y.dtype == np.dtype(dtype)
    assert y.shape == t.shape
    np.testing.assert_allclose(y, t, **_tol(dtype, _terms(case), 4.0), err_msg=str(case))
    np.testing.assert_array_equal(x, x_copy)
    np.testing.assert_array_equal(w, w_copy)


@given(transpose_cases(), st.integers(0, 8), st.integers(0, 8))
def test_conv_transpose1d_pair_padding_matches_reference(case, left, right):
    """A (left, right) pair (an extension of PyTorch) trims each end of the full result."""
    l_out = transpose_out_length(case["length"], case["k"], case["stride"],
                                 case["dilation"], left, right, case["output_padding"])
    assume(l_out >= 1)
    dtype = case["dtype"]
    x, w, b = _data(case["seed"], case["n"], case["c_in"], case["length"],
                    case["oc_per_group"], case["k"], dtype, case["batched"],
                    case["groups"], case["bias"])
    kw = dict(stride=case["stride"], padding=(left, right),
              output_padding=case["output_padding"], groups=case["groups"],
              dilation=case["dilation"])
    y = cc.conv_transpose1d(x, w, b, **kw)
    expected = conv_transpose1d_ref(x, w, b, **kw)
    assert y.shape == expected.shape
    np.testing.assert_allclose(y, expected, **_tol(dtype, _terms(case), 4.0),
                               err_msg=str(case))


@st.composite
def adjoint_cases(draw):
    groups = draw(st.integers(1, 4))
    k = draw(st.integers(1, 7))
    dilation = draw(st.integers(1, 4))
    stride = draw(st.integers(1, 4))
    length = draw(st.integers(1, 30))
    padding = draw(st.one_of(st.integers(0, 6),
                             st.tuples(st.integers(0, 6), st.integers(0, 6))))
    return dict(groups=groups, c_in=groups * draw(st.integers(1, 3)),
                c_out=groups * draw(st.sampled_from([1, 2, 4, 5])),
                n=draw(st.integers(1, 3)), k=k, dilation=dilation, stride=stride,
                length=length, padding=padding, seed=draw(st.integers(0, 2**32 - 1)),
                dtype=draw(st.sampled_from(DTYPES)))


@given(adjoint_cases())
def test_conv_transpose1d_is_adjoint_of_conv1d(case):
    pad = case["padding"]
    left, right = (pad, pad) if isinstance(pad, int) else pad
    l_out = conv1d_out_length(case["length"], case["k"], case["stride"], case["dilation"],
                              left, right)
    assume(l_out >= 1)
    # output_padding that brings the transposed length back to L
    op = case["length"] - transpose_out_length(l_out, case["k"], case["stride"],
                                               case["dilation"], left, right, 0)
    assert 0 <= op < case["stride"]
    assume(op < case["stride"] or op < case["dilation"])
    dtype = case["dtype"]
    rng = np.random.default_rng(case["seed"])
    x = rng.standard_normal((case["n"], case["c_in"], case["length"])).astype(dtype)
    w = rng.standard_normal((case["c_out"], case["c_in"] // case["groups"],
                             case["k"])).astype(dtype)
    g = rng.standard_normal((case["n"], case["c_out"], l_out)).astype(dtype)
    common = dict(stride=case["stride"], dilation=case["dilation"], groups=case["groups"],
                  padding=pad)
    xt = cc.conv_transpose1d(g, w, output_padding=op, **common)
    assert xt.shape == x.shape
    assert xt.dtype == np.dtype(dtype)
    lhs = float(np.sum(conv1d_ref(x, w, **common) * g.astype(np.float64)))
    rhs = float(np.sum(x.astype(np.float64) * xt.astype(np.float64)))
    terms = case["n"] * case["c_out"] * l_out * (case["c_in"] // case["groups"]) * case["k"]
    scale = math.sqrt(terms) * 4.0
    tol = 1e-10 if dtype == np.float64 else 2e-5
    assert abs(lhs - rhs) <= tol * scale, (lhs, rhs, case)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("stride,dilation,padding,output_padding,groups", [
    (1, 1, 0, 0, 1), (2, 1, 0, 1, 1), (3, 2, 2, 2, 2), (2, 3, 1, 2, 4), (4, 1, 3, 3, 2),
    (1, 4, 5, 3, 1), (2, 2, 0, 1, 8),
])
@pytest.mark.parametrize("with_bias", [False, True])
def test_conv_transpose1d_grid_against_torch(dtype, stride, dilation, padding,
                                             output_padding, groups, with_bias):
    rng = np.random.default_rng(stride * 1000 + dilation * 100 + groups)
    x = rng.standard_normal((2, 8, 150)).astype(dtype)
    w = rng.standard_normal((8, 12 // groups if groups < 8 else 1, 5)).astype(dtype)
    b = rng.standard_normal(w.shape[1] * groups).astype(dtype) if with_bias else None
    kw = dict(stride=stride, padding=padding, output_padding=output_padding,
              groups=groups, dilation=dilation)
    y = cc.conv_transpose1d(x, w, b, **kw)
    t = F.conv_transpose1d(torch.from_numpy(x), torch.from_numpy(w),
                           None if b is None else torch.from_numpy(b), **kw).numpy()
    np.testing.assert_allclose(y, t, **_tol(dtype, 8 * 5, 4.0))
    # unbatched
    yu = cc.conv_transpose1d(x[1], w, b, **kw)
    assert yu.shape == t.shape[1:]
    np.testing.assert_allclose(yu, t[1], **_tol(dtype, 8 * 5, 4.0))


def test_docstring_example():
    y = cc.conv_transpose1d([[1.0, 2.0]], [[[1.0, 10.0, 100.0]]], stride=2)
    np.testing.assert_array_equal(y, [[1.0, 10.0, 102.0, 20.0, 200.0]])


def test_large_transpose_against_torch():
    rng = np.random.default_rng(8)
    x = rng.standard_normal((4, 32, 2000)).astype(np.float32)
    w = (rng.standard_normal((32, 16, 9)) / 10).astype(np.float32)
    b = rng.standard_normal(16).astype(np.float32)
    y = cc.conv_transpose1d(x, w, b, stride=2, padding=4, output_padding=1)

    def torch64(x, w, b):
        return F.conv_transpose1d(*(torch.from_numpy(a.astype(np.float64)) for a in (x, w, b)),
                                  stride=2, padding=4, output_padding=1).numpy()
    # float64 on the float32 inputs; every output sums at most C_in*ceil(K/s) + 1 terms:
    # a few eps * sqrt(terms) * the same sum on |x|, |w|, |b|.
    bound = (4 * np.finfo(np.float32).eps * np.sqrt(32 * 5 + 1)
             * torch64(np.abs(x), np.abs(w), np.abs(b)))
    assert np.all(np.abs(y - torch64(x, w, b)) <= bound)


# ---------------------------------------------------------------------------------------
# section 1 conventions

def _base():
    rng = np.random.default_rng(21)
    return (rng.standard_normal((2, 4, 9)), rng.standard_normal((4, 3, 3)),
            rng.standard_normal(6))


KW = dict(stride=2, padding=1, output_padding=1, groups=2, dilation=2)


@pytest.mark.parametrize("which", ["x", "weight", "bias"])
@pytest.mark.parametrize("layout", ["list", "strided", "negative", "fortran", "read_only",
                                    "broadcast", "big_endian"])
def test_layouts(which, layout):
    x, w, b = _base()
    expected = cc.conv_transpose1d(x, w, b, **KW)
    args = {"x": x, "weight": w, "bias": b}
    a = args[which]
    if layout == "list":
        v = a.tolist()
    elif layout == "strided":
        big = np.zeros(a.shape[:-1] + (2 * a.shape[-1],))
        big[..., 1::2] = a
        v = big[..., 1::2]
    elif layout == "negative":
        v = np.ascontiguousarray(a[..., ::-1])[..., ::-1]
    elif layout == "fortran":
        v = np.asfortranarray(a)
    elif layout == "read_only":
        v = a.copy()
        v.setflags(write=False)
    elif layout == "broadcast":
        a = args[which] = np.broadcast_to(a[..., :1], a.shape)
        expected = cc.conv_transpose1d(np.ascontiguousarray(args["x"]),
                                       np.ascontiguousarray(args["weight"]),
                                       np.ascontiguousarray(args["bias"]), **KW)
        v = a
    else:
        v = a.astype(">f8")
    keep = None if isinstance(v, list) else v.copy()
    args[which] = v
    y = cc.conv_transpose1d(args["x"], args["weight"], args["bias"], **KW)
    np.testing.assert_array_equal(y, expected)
    if keep is not None:
        np.testing.assert_array_equal(v, keep)


@pytest.mark.parametrize("x_dtype,w_dtype,expected", [
    (np.int64, np.int32, np.float64), (np.bool_, np.bool_, np.float64),
    (np.float16, np.float16, np.float32), (np.float32, np.float64, np.float64),
    (np.float32, np.float32, np.float32), (np.uint8, np.float32, np.float32),
])
def test_dtypes(x_dtype, w_dtype, expected):
    rng = np.random.default_rng(1)
    x = rng.integers(0, 2, (2, 4, 7)).astype(x_dtype)
    w = rng.integers(0, 3, (4, 2, 3)).astype(w_dtype)
    y = cc.conv_transpose1d(x, w, stride=2, groups=2)
    assert y.dtype == np.dtype(expected)
    np.testing.assert_array_equal(y, conv_transpose1d_ref(x, w, stride=2, groups=2))


@pytest.mark.parametrize("which", ["x", "weight", "bias"])
def test_complex_and_object_refused(which):
    for conv in (lambda a: a.astype(np.complex128), lambda a: a.astype(np.complex64),
                 lambda a: a.astype(object)):
        x, w, b = _base()
        args = {"x": x, "weight": w, "bias": b}
        args[which] = conv(args[which])
        with pytest.raises(TypeError, match=rf"^{which}: dtype \w+ is not supported"):
            cc.conv_transpose1d(args["x"], args["weight"], args["bias"], **KW)


def test_out():
    x, w, b = _base()
    expected = cc.conv_transpose1d(x, w, b, **KW)
    out = np.full(expected.shape, np.nan)
    assert cc.conv_transpose1d(x, w, b, out=out, **KW) is out
    np.testing.assert_array_equal(out, expected)
    out1 = np.full(expected.shape[1:], np.nan)
    assert cc.conv_transpose1d(x[0], w, b, out=out1, **KW) is out1
    np.testing.assert_array_equal(out1, expected[0])
    # bias=None into a dirty out: every sample overwritten
    out = np.full(expected.shape, 1e30)
    cc.conv_transpose1d(x, w, out=out, **KW)
    np.testing.assert_allclose(out, conv_transpose1d_ref(x, w, **KW), rtol=1e-12,
                               atol=1e-12)


def test_bad_out():
    x, w, b = _base()
    shape = cc.conv_transpose1d(x, w, b, **KW).shape
    ro = np.empty(shape)
    ro.setflags(write=False)
    bads = [np.empty(shape[:-1] + (shape[-1] - 1,)), np.empty(shape, np.float32),
            np.empty(shape[:-1] + (2 * shape[-1],))[..., ::2], ro,
            np.empty(shape[1:])]
    for out in bads:
        with pytest.raises(ValueError, match="out"):
            cc.conv_transpose1d(x, w, b, out=out, **KW)
    # overlapping the input x
    buf = np.zeros(2 * 6 * shape[-1])
    xo = buf[:x.size].reshape(x.shape)
    xo[...] = x
    with pytest.raises(ValueError, match=r"^out overlaps the input"):
        cc.conv_transpose1d(xo, w, b, out=buf.reshape(shape), **KW)


@pytest.mark.parametrize("kwargs,match", [
    (dict(stride=0), "stride"), (dict(dilation=0), "dilation"), (dict(groups=0), "groups"),
    (dict(groups=3), "groups"), (dict(padding=-1), "padding"),
    (dict(padding=(0, -2)), "padding"), (dict(output_padding=-1), "output_padding"),
    (dict(output_padding=2, stride=2, dilation=2), "output_padding"),
    (dict(output_padding=4, stride=3, dilation=4), "output_padding"),
    (dict(padding=40), "output length .*padding"),
])
def test_bad_arguments(kwargs, match):
    x, w, b = np.ones((1, 4, 5)), np.ones((4, 3, 3)), np.ones(6)
    kw = dict(dict(groups=2), **kwargs)
    with pytest.raises(ValueError, match=rf"^{match}\b"):
        cc.conv_transpose1d(x, w, b, **kw)


def test_shape_errors():
    with pytest.raises(ValueError, match=r"^weight\.shape\[0\]"):
        cc.conv_transpose1d(np.ones((1, 4, 5)), np.ones((3, 2, 3)))
    with pytest.raises(ValueError, match=r"^weight: kernel size"):
        cc.conv_transpose1d(np.ones((1, 4, 5)), np.ones((4, 2, 0)))
    with pytest.raises(ValueError, match=r"^bias\b"):
        cc.conv_transpose1d(np.ones((1, 4, 5)), np.ones((4, 2, 3)), np.ones(3), groups=2)
    with pytest.raises(ValueError, match="x"):
        cc.conv_transpose1d(np.ones(5), np.ones((1, 2, 3)))
    with pytest.raises(ValueError, match="weight"):
        cc.conv_transpose1d(np.ones((1, 5)), np.ones((1, 3)))


# ---------------------------------------------------------------------------------------
# method="auto" | "direct" | "fft"

# N, C_in, C_out/groups, L, K, stride, padding, output_padding, groups, dilation
METHOD_GEOMETRIES = [
    (2, 4, 3, 60, 4, 2, 1, 0, 1, 1),        # an upsampler (K = 2 * stride)
    (3, 6, 2, 45, 9, 4, 3, 1, 2, 1),        # K = 2 * stride + 1, groups, output_padding
    (1, 4, 4, 200, 48, 2, (5, 11), 0, 1, 2),  # long dilated kernel, pair padding
    (2, 8, 1, 300, 64, 1, 0, 0, 8, 1),      # depthwise long kernel
    (2, 3, 5, 70, 33, 3, 7, 2, 1, 1),
]


@pytest.mark.parametrize("method", ["auto", "direct", "fft"])
@pytest.mark.parametrize("geometry", METHOD_GEOMETRIES)
def test_methods_match_the_float64_reference(geometry, method):
    n, c_in, oc, length, k, stride, padding, out_pad, groups, dilation = geometry
    rng = np.random.default_rng([METHOD_GEOMETRIES.index(geometry), len(method)])
    x = rng.standard_normal((n, c_in, length))
    w = rng.standard_normal((c_in, oc, k))
    b = rng.standard_normal(oc * groups)
    y = cc.conv_transpose1d(x, w, b, stride, padding, out_pad, groups, dilation,
                            method=method)
    ref = conv_transpose1d_ref(x, w, b, stride=stride, padding=padding,
                               output_padding=out_pad, groups=groups, dilation=dilation)
    assert y.shape == ref.shape
    # float64: both routes' rounding is far below 1e-12 of the output's scale
    assert np.abs(y - ref).max() <= 1e-12 * (1 + np.abs(ref).max())
    if not isinstance(padding, tuple):
        t = F.conv_transpose1d(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b),
                               stride, padding, out_pad, groups, dilation).numpy()
        assert np.abs(y - t).max() <= 1e-12 * (1 + np.abs(t).max())


@pytest.mark.parametrize("geometry", METHOD_GEOMETRIES[:3])
def test_fft_float32_is_as_accurate_as_pytorchs_float32(geometry):
    """Against the float64 reference, the float32 FFT route's largest error is within a
    small factor of PyTorch's float32 result's (its error is relative to the row's norm,
    PyTorch's to each output: a factor log2(F) * sqrt(terms) at most)."""
    n, c_in, oc, length, k, stride, padding, out_pad, groups, dilation = geometry
    rng = np.random.default_rng(METHOD_GEOMETRIES.index(geometry) + 100)
    x = rng.standard_normal((n, c_in, length)).astype(np.float32)
    w = rng.standard_normal((c_in, oc, k)).astype(np.float32)
    ref = conv_transpose1d_ref(x, w, stride=stride, padding=padding, output_padding=out_pad,
                               groups=groups, dilation=dilation)
    ours = cc.conv_transpose1d(x, w, None, stride, padding, out_pad, groups, dilation,
                               method="fft")
    left, right = (padding, padding) if np.ndim(padding) == 0 else padding
    full = F.conv_transpose1d(torch.from_numpy(x), torch.from_numpy(w), None, stride, 0,
                              out_pad, groups, dilation).numpy()
    theirs = full[..., left:full.shape[-1] - right]
    assert ours.dtype == np.float32
    terms = c_in // groups * k
    size = 2 ** math.ceil(math.log2(ours.shape[-1] + k * dilation))
    err_torch = np.abs(theirs - ref).max() + np.finfo(np.float32).eps * np.abs(ref).max()
    assert np.abs(ours - ref).max() <= math.log2(size) * math.sqrt(terms) * err_torch


def test_auto_takes_the_fft_for_long_kernels_only(monkeypatch):
    from cconv1d import _fftconv
    calls = []
    real = _fftconv.backward
    monkeypatch.setattr(_fftconv, "backward",
                        lambda *a, **k: calls.append(1) or real(*a, **k))
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, 32, 2048)).astype(np.float32)
    short = rng.standard_normal((32, 16, 4)).astype(np.float32)
    cc.conv_transpose1d(x, short, stride=2, padding=1)
    assert calls == []                              # an upsampler: direct
    long_w = rng.standard_normal((32, 32, 255)).astype(np.float32)
    y = cc.conv_transpose1d(x, long_w, padding=127)
    assert calls == [1]                             # long kernel, many channels: FFT
    ref = cc.conv_transpose1d(x, long_w, padding=127, method="direct")
    assert np.abs(y - ref).max() <= 1e-4 * np.abs(ref).max()
    x[0, 0, 5] = np.inf                             # the FFT would spread it over rows
    y = cc.conv_transpose1d(x, long_w, padding=127)
    assert calls == [1] and np.isfinite(y[1]).all()


def test_method_is_validated():
    x = np.ones((1, 2, 10))
    w = np.ones((2, 3, 4))
    with pytest.raises(ValueError, match="method must be one of 'auto', 'direct', 'fft'"):
        cc.conv_transpose1d(x, w, stride=2, method="winograd")
    with pytest.raises(ValueError, match="got None"):
        cc.conv_transpose1d(x, w, method=None)


@pytest.mark.parametrize("method", ["direct", "fft"])
def test_methods_write_into_out(method):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 4, 30)).astype(np.float32)
    w = rng.standard_normal((4, 2, 6)).astype(np.float32)
    expected = conv_transpose1d_ref(x, w, stride=3, padding=2)
    out = np.full(expected.shape, np.nan, dtype=np.float32)
    assert cc.conv_transpose1d(x, w, None, 3, 2, out=out, method=method) is out
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5 * np.abs(expected).max())


# Shapes the interleaved store (igemm_ilv) takes: K a multiple of the stride, the
# stride dividing the tile's rows, four or more output channels per group. Tile edges
# clipped at both ends (padding below, at and above the stride), a pair count past the
# L1 chunk (256 input channels x 2 taps), groups, an output_padding, one sample and
# several, samples long enough to be computed by blocks of positions, and a dilation
# whose phases read different offsets (K = 4, s = 2, d = 3: phase 0 holds taps 0 and 2
# at offsets 0 and 3, phase 1 taps 1 and 3 at 1 and 4), which keeps the phase rows.
ILV_CASES = [
    # (n, c_in, oc_per_group, length, k, stride, padding, output_padding, groups, dil)
    (2, 8, 4, 37, 4, 2, 1, 0, 1, 1),
    (3, 16, 8, 50, 8, 4, 2, 1, 1, 1),
    (1, 12, 6, 33, 6, 2, 0, 0, 1, 1),
    (2, 8, 8, 64, 16, 8, 3, 0, 1, 1),
    (2, 8, 5, 41, 8, 4, 9, 3, 1, 1),
    (1, 256, 8, 70, 4, 2, 1, 0, 1, 1),
    (2, 12, 4, 29, 4, 2, 1, 0, 3, 1),
    (5, 6, 4, 300, 8, 4, 2, 0, 1, 1),
    (2, 8, 4, 30, 4, 2, 1, 0, 1, 3),
    (1, 64, 4, 9000, 4, 2, 1, 0, 1, 1),     # dy past 2 MiB: by blocks of positions
    (1, 32, 4, 9000, 8, 4, 5, 2, 1, 1),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", ILV_CASES)
@pytest.mark.parametrize("threads", [1, 2])
def test_interleaved_store_matches_the_phase_rows_and_torch(case, dtype, threads):
    """conv_transpose1d through igemm_ilv (all phases of a channel in one tile, stored
    interleaved into the output) gives the same bits as the phase rows it replaced
    (the same sums of the same products in the same order) and torch's float64 result
    within the dtype's tolerance; the planner takes it exactly where it applies."""
    from cconv1d import _backward
    n, c_in, ocg, length, k, s, p, op, groups, d = case
    x, w, b = _data(17 + length, n, c_in, length, ocg, k, dtype, groups=groups)
    kw = dict(stride=s, padding=p, output_padding=op, groups=groups, dilation=d)
    want = F.conv_transpose1d(torch.from_numpy(x).double(), torch.from_numpy(w).double(),
                              torch.from_numpy(b).double(), **kw).numpy()
    previous = cc.get_num_threads()
    cc.set_num_threads(threads)
    was = _backward._set_interleaved_store(False)
    cols_was = _backward._set_cols_bytes(0)    # the phase rows' routes, not short dy's
    try:
        rows = cc.conv_transpose1d(x, w, b, **kw)
        _backward._set_interleaved_store(True)
        got = cc.conv_transpose1d(x, w, b, **kw)
        l_out = want.shape[-1]
        left = d * (k - 1) - p
        plan = _backward.backward_workspace_bytes(
            n, ocg * groups, l_out, c_in, ocg, k, left, left + op, length, s, d, groups,
            0, np.dtype(dtype).itemsize, threads)
    finally:
        _backward._set_interleaved_store(was)
        _backward._set_cols_bytes(cols_was)
        cc.set_num_threads(previous)
    np.testing.assert_array_equal(got, rows)
    np.testing.assert_allclose(got, want, **_tol(dtype, c_in // groups * k, 1.0))
    # the route: the interleaved store where every phase's taps share offsets and the
    # stride divides the path's tile rows (mr: 8 on AVX-512, 4 on AVX2 and scalar)
    from cconv1d import _kernels
    mr = next(desc["mr"] for desc in _kernels.descriptors()
              if desc["name"] == _kernels.simd_path())
    assert plan["input_interleaved"] == (d == 1 and mr % s == 0), plan


@pytest.mark.parametrize("dtype", DTYPES)
def test_strided_input_gradient_by_the_interleaved_store(dtype):
    """conv1d_backward's input gradient of a strided layer with zero padding and K a
    multiple of the stride (the same igemm_ilv route) against torch's autograd."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 6, 101)).astype(dtype)
    w = rng.standard_normal((8, 6, 4)).astype(dtype)
    y = cc.conv1d(x, w, stride=2, padding=1)
    g = rng.standard_normal(y.shape).astype(dtype)
    xt = torch.from_numpy(x).double().requires_grad_()
    F.conv1d(xt, torch.from_numpy(w).double(), stride=2, padding=1).backward(
        torch.from_numpy(g).double())
    got = cc.conv1d_backward(g, x, w, stride=2, padding=1).input
    np.testing.assert_allclose(got, xt.grad.numpy(), **_tol(dtype, 8 * 2, 1.0))


# ---------------------------------------------------------------------------------------
# short dy: the input gradient as a GEMM into (c, k) columns, scattered (the cols route)

COLS_CASES = [
    # n, c_in, oc_per_group, length, k, stride, padding, output_padding, groups, dilation
    (16, 8, 4, 1, 12, 1, 0, 0, 1, 1),       # a latent vector through a long kernel
    (5, 8, 6, 3, 5, 3, 2, 1, 1, 1),
    (4, 8, 5, 4, 4, 2, 1, 0, 2, 2),
    (3, 12, 2, 6, 3, 2, 0, 0, 3, 1),
    (10, 32, 64, 8, 16, 4, 0, 0, 1, 1),     # several units
    (1, 64, 64, 1, 512, 1, 3, 0, 1, 1),     # one unit, its items shared by the threads
]


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", COLS_CASES)
def test_short_inputs_by_columns_match_torch(case, dtype, threads):
    """conv_transpose1d of short inputs takes the cols route (one GEMM over the batch's
    samples side by side, each (c, k) column added onto its output); against torch's
    float64 result, and the phase rows' result (the route off) within rounding."""
    from cconv1d import _backward
    n, c_in, ocg, length, k, s, p, op, groups, d = case
    x, w, b = _data(23 + length, n, c_in, length, ocg, k, dtype, groups=groups)
    kw = dict(stride=s, padding=p, output_padding=op, groups=groups, dilation=d)
    want = F.conv_transpose1d(torch.from_numpy(x).double(), torch.from_numpy(w).double(),
                              torch.from_numpy(b).double(), **kw).numpy()
    l_out = want.shape[-1]
    left = d * (k - 1) - p
    previous = cc.get_num_threads()
    cc.set_num_threads(threads)
    try:
        plan = _backward.backward_workspace_bytes(
            n, ocg * groups, l_out, c_in, ocg, k, left, left + op, length, s, d, groups,
            0, np.dtype(dtype).itemsize, threads)
        got = cc.conv_transpose1d(x, w, b, **kw)
        was = _backward._set_cols_bytes(0)
        try:
            rows = cc.conv_transpose1d(x, w, b, **kw)
        finally:
            _backward._set_cols_bytes(was)
    finally:
        cc.set_num_threads(previous)
    assert plan["input_cols"], plan
    tol = _tol(dtype, c_in // groups * k, 4.0 * 4.0 + 4.0)
    np.testing.assert_allclose(got, want, **tol)
    np.testing.assert_allclose(got, rows, **tol)
