"""Tests of ``cconv1d.conv1d`` (API.md sections 1 and 4).

Oracles, none of which uses cconv1d:
  * ``oracles_conv.conv1d_ref``: float64 loops straight from the defining sum, padded by
    ``numpy.pad`` / ``pywt.pad``;
  * ``torch.nn.functional.conv1d`` (after ``torch.nn.functional.pad`` for the modes torch has);
  * ``numpy.correlate`` / ``numpy.convolve`` for single-channel full/valid cases.
"""

import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given, strategies as st

import cconv1d as cc
from oracles_conv import (ALL_PADDING_MODES, TORCH_PAD_MODES, conv1d_out_length,
                          conv1d_ref, explicit_padding, pad_last, torch_pad)

PADDING_WORDS = ("valid", "same", "full", "causal")
DTYPES = (np.float32, np.float64)


# ---------------------------------------------------------------------------------------
# helpers

def _rng(seed):
    return np.random.default_rng(seed)


def _data(seed, n, c_in, length, c_out, c_per_group, k, dtype, batched=True, bias=True):
    rng = _rng(seed)
    shape = (n, c_in, length) if batched else (c_in, length)
    x = rng.standard_normal(shape).astype(dtype)
    w = rng.standard_normal((c_out, c_per_group, k)).astype(dtype)
    b = rng.standard_normal(c_out).astype(dtype) if bias else None
    return x, w, b


def _tolerance(dtype, n_pairs, scale):
    """(rtol, atol): float64 tight; float32 scaled by sqrt(C_in/groups * K)."""
    scale = max(float(scale), 1.0)
    if np.dtype(dtype) == np.float64:
        return 1e-10, 1e-10 * scale
    return 1e-5, 1e-5 * math.sqrt(n_pairs) * scale


def _scale(xp, w, b):
    s = float(np.max(np.abs(xp), initial=0.0)) * float(np.max(np.abs(w), initial=0.0))
    if b is not None:
        s += float(np.max(np.abs(b)))
    return s


def assert_conv_close(actual, expected, dtype, n_pairs, scale, err_msg=""):
    assert isinstance(actual, np.ndarray)
    assert actual.dtype == np.dtype(dtype), f"dtype {actual.dtype} != {dtype} {err_msg}"
    assert actual.shape == expected.shape, f"{actual.shape} != {expected.shape} {err_msg}"
    rtol, atol = _tolerance(dtype, n_pairs, scale)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=err_msg)


def _torch_conv(x, w, b, *, stride, left, right, dilation, groups, mode):
    """torch: F.pad by ``mode`` (a key of TORCH_PAD_MODES), then conv1d."""
    tx = torch_pad(torch.from_numpy(x), left, right, mode)
    tw = torch.from_numpy(w)
    tb = None if b is None else torch.from_numpy(b)
    return F.conv1d(tx, tw, tb, stride=stride, dilation=dilation, groups=groups).numpy()


# ---------------------------------------------------------------------------------------
# 1. property tests against the float64 reference

paddings = st.one_of(
    st.integers(0, 9),
    st.tuples(st.integers(0, 9), st.integers(0, 9)),
    st.sampled_from(PADDING_WORDS),
)


@st.composite
def conv_cases(draw):
    groups = draw(st.integers(1, 4))
    c_per_group = draw(st.integers(1, 3))
    # >= 4 output channels per group takes the register-blocked (igemm) path.
    o_per_group = draw(st.sampled_from([1, 2, 3, 4, 6, 7]))
    return dict(
        n=draw(st.integers(1, 3)),
        groups=groups,
        c_in=groups * c_per_group,
        c_per_group=c_per_group,
        c_out=groups * o_per_group,
        k=draw(st.integers(1, 7)),
        stride=draw(st.integers(1, 4)),
        dilation=draw(st.integers(1, 4)),
        length=draw(st.integers(1, 30)),
        padding=draw(paddings),
        mode=draw(st.sampled_from(ALL_PADDING_MODES)),
        pad_value=draw(st.sampled_from([0.0, 1.5, -2.25])),
        flip=draw(st.booleans()),
        bias=draw(st.booleans()),
        batched=draw(st.booleans()),
        dtype=draw(st.sampled_from(DTYPES)),
        seed=draw(st.integers(0, 2**32 - 1)),
    )


def _geometry(case):
    left, right = explicit_padding(case["padding"], case["length"], case["k"],
                                   case["stride"], case["dilation"])
    l_out = conv1d_out_length(case["length"], case["k"], case["stride"],
                              case["dilation"], left, right)
    return left, right, l_out


@given(conv_cases())
def test_conv1d_matches_reference(case):
    left, right, l_out = _geometry(case)
    assume(l_out >= 1)
    dtype = case["dtype"]
    x, w, b = _data(case["seed"], case["n"], case["c_in"], case["length"], case["c_out"],
                    case["c_per_group"], case["k"], dtype, case["batched"], case["bias"])
    kwargs = dict(stride=case["stride"], padding=case["padding"],
                  dilation=case["dilation"], groups=case["groups"],
                  padding_mode=case["mode"], pad_value=case["pad_value"],
                  flip=case["flip"])
    x_copy, w_copy = x.copy(), w.copy()
    y = cc.conv1d(x, w, b, **kwargs)
    expected = conv1d_ref(x, w, b, **kwargs)
    xp = pad_last(x, left, right, case["mode"], case["pad_value"])
    assert_conv_close(y, expected, dtype, case["c_per_group"] * case["k"],
                      _scale(xp, w, b), err_msg=str(case))
    exp_shape = (case["c_out"], l_out)
    if case["batched"]:
        exp_shape = (case["n"],) + exp_shape
    assert y.shape == exp_shape
    np.testing.assert_array_equal(x, x_copy)
    np.testing.assert_array_equal(w, w_copy)


@given(conv_cases())
def test_flip_is_exactly_reversed_weight(case):
    left, right, l_out = _geometry(case)
    assume(l_out >= 1)
    x, w, b = _data(case["seed"], case["n"], case["c_in"], case["length"], case["c_out"],
                    case["c_per_group"], case["k"], case["dtype"], case["batched"],
                    case["bias"])
    kwargs = dict(stride=case["stride"], padding=case["padding"],
                  dilation=case["dilation"], groups=case["groups"],
                  padding_mode=case["mode"], pad_value=case["pad_value"])
    flipped = cc.conv1d(x, w, b, flip=True, **kwargs)
    reversed_w = cc.conv1d(x, np.ascontiguousarray(w[..., ::-1]), b, **kwargs)
    np.testing.assert_array_equal(flipped, reversed_w)


@st.composite
def too_short_cases(draw):
    """Geometries whose output length is < 1 (only int/pair/'valid' paddings can be)."""
    k = draw(st.integers(2, 7))
    dilation = draw(st.integers(1, 4))
    span = dilation * (k - 1)
    left = draw(st.integers(0, span - 1))
    right = draw(st.integers(0, span - 1 - left))
    length = draw(st.integers(1, span - left - right))
    stride = draw(st.integers(1, 4))
    if left == 0 and right == 0:
        padding = draw(st.sampled_from([0, (0, 0), "valid"]))
    elif left == right:
        padding = draw(st.sampled_from([left, (left, right)]))
    else:
        padding = (left, right)
    return dict(k=k, dilation=dilation, stride=stride, length=length, padding=padding,
                mode=draw(st.sampled_from(ALL_PADDING_MODES)),
                groups=draw(st.integers(1, 3)), dtype=draw(st.sampled_from(DTYPES)))


@given(too_short_cases())
def test_output_length_below_one_raises(case):
    g = case["groups"]
    left, right = explicit_padding(case["padding"], case["length"], case["k"],
                                   case["stride"], case["dilation"])
    assert conv1d_out_length(case["length"], case["k"], case["stride"], case["dilation"],
                             left, right) < 1
    x = np.ones((2, g, case["length"]), case["dtype"])
    w = np.ones((g, 1, case["k"]), case["dtype"])
    with pytest.raises(ValueError, match=r"^output length .*padding"):
        cc.conv1d(x, w, stride=case["stride"], padding=case["padding"],
                  dilation=case["dilation"], groups=g, padding_mode=case["mode"])


# ---------------------------------------------------------------------------------------
# 2. against torch, for every argument torch accepts

@st.composite
def torch_cases(draw):
    groups = draw(st.integers(1, 4))
    c_per_group = draw(st.integers(1, 4))
    o_per_group = draw(st.sampled_from([1, 2, 4, 5, 8]))
    length = draw(st.integers(1, 40))
    k = draw(st.integers(1, 7))
    mode = draw(st.sampled_from(tuple(TORCH_PAD_MODES)))
    stride = draw(st.integers(1, 4))
    dilation = draw(st.integers(1, 4))
    # widths torch's F.pad accepts: reflect < L, circular <= L, replicate/zeros any
    limit = {"reflect": length - 1, "circular": length}.get(TORCH_PAD_MODES[mode], 9)
    limit = min(limit, 9)
    padding = draw(st.one_of(
        st.integers(0, limit),
        st.tuples(st.integers(0, limit), st.integers(0, limit)),
        st.sampled_from(["valid", "same"])))
    if padding == "same":
        stride = 1   # torch refuses 'same' with stride > 1
        span = dilation * (k - 1)
        if mode != "zeros":
            assume(span - span // 2 <= limit)
    return dict(groups=groups, c_in=groups * c_per_group, c_per_group=c_per_group,
                c_out=groups * o_per_group, n=draw(st.integers(1, 3)), length=length,
                k=k, stride=stride, dilation=dilation, padding=padding, mode=mode,
                bias=draw(st.booleans()), dtype=draw(st.sampled_from(DTYPES)),
                batched=draw(st.booleans()), seed=draw(st.integers(0, 2**32 - 1)))


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@given(torch_cases())
def test_conv1d_matches_torch(case):
    left, right = explicit_padding(case["padding"], case["length"], case["k"],
                                   case["stride"], case["dilation"])
    l_out = conv1d_out_length(case["length"], case["k"], case["stride"], case["dilation"],
                              left, right)
    assume(l_out >= 1)
    dtype = case["dtype"]
    x, w, b = _data(case["seed"], case["n"], case["c_in"], case["length"], case["c_out"],
                    case["c_per_group"], case["k"], dtype, case["batched"], case["bias"])
    y = cc.conv1d(x, w, b, stride=case["stride"], padding=case["padding"],
                  dilation=case["dilation"], groups=case["groups"],
                  padding_mode=case["mode"])
    if case["mode"] == "zeros" and not isinstance(case["padding"], tuple):
        # torch's own padding argument: int, 'valid' or 'same'
        t = F.conv1d(torch.from_numpy(x), torch.from_numpy(w),
                     None if b is None else torch.from_numpy(b), stride=case["stride"],
                     padding=case["padding"], dilation=case["dilation"],
                     groups=case["groups"]).numpy()
    else:
        t = _torch_conv(x, w, b, stride=case["stride"], left=left, right=right,
                        dilation=case["dilation"], groups=case["groups"],
                        mode=case["mode"])
    xp = np.pad(x, [(0, 0)] * (x.ndim - 1) + [(left, right)], mode="edge")
    assert_conv_close(y, t, dtype, case["c_per_group"] * case["k"], _scale(xp, w, b),
                      err_msg=str(case))


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("padding_mode", ["zeros", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_conv1d_matches_torch_nn_module_same(padding_mode, dtype):
    """torch.nn.Conv1d(padding='same', padding_mode=...) with its own state dict."""
    torch.manual_seed(3)
    for k, dilation in [(1, 1), (2, 1), (3, 2), (4, 3), (7, 1)]:
        m = torch.nn.Conv1d(6, 8, k, padding="same", dilation=dilation, groups=2,
                            padding_mode=padding_mode, dtype=dtype)
        x = torch.randn(2, 6, 23, dtype=dtype)
        with torch.no_grad():
            expected = m(x).numpy()
        y = cc.conv1d(x.numpy(), m.weight.detach().numpy(), m.bias.detach().numpy(),
                      padding="same", dilation=dilation, groups=2, padding_mode=padding_mode)
        np_dtype = np.float32 if dtype == torch.float32 else np.float64
        assert_conv_close(y, expected, np_dtype, 3 * k, 10.0, err_msg=f"{k} {dilation}")


@pytest.mark.parametrize("dtype", DTYPES)
def test_conv1d_torch_larger_problem(dtype):
    """Several column blocks and pair chunks (long signal, many channels)."""
    x, w, b = _data(7, 2, 48, 700, 20, 24, 11, dtype)
    for stride, dilation in [(1, 1), (3, 2)]:
        y = cc.conv1d(x, w, b, stride=stride, dilation=dilation, groups=2, padding=5)
        t = F.conv1d(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b),
                     stride=stride, dilation=dilation, groups=2, padding=5).numpy()
        assert_conv_close(y, t, dtype, 24 * 11, 20.0)


# ---------------------------------------------------------------------------------------
# 3. depthwise, causal, same with stride, full, wide padding

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("stride,dilation,padding", [(1, 1, 0), (2, 1, 3), (1, 3, "same"),
                                                     (3, 2, (4, 1)), (1, 2, "causal")])
def test_depthwise_channel_multiplier_two(dtype, stride, dilation, padding):
    c = 5
    x, w, b = _data(11, 3, c, 37, 2 * c, 1, 5, dtype)
    y = cc.conv1d(x, w, b, stride=stride, dilation=dilation, padding=padding, groups=c)
    expected = conv1d_ref(x, w, b, stride=stride, dilation=dilation, padding=padding,
                          groups=c)
    assert_conv_close(y, expected, dtype, 5, 10.0)
    left, right = explicit_padding(padding, 37, 5, stride, dilation)
    t = _torch_conv(x, w, b, stride=stride, left=left, right=right, dilation=dilation,
                    groups=c, mode="zeros")
    assert_conv_close(y, t, dtype, 5, 10.0)
    # output channels 2c and 2c+1 both read input channel c only
    x2 = x.copy()
    x2[:, 2] += 100.0
    y2 = cc.conv1d(x2, w, b, stride=stride, dilation=dilation, padding=padding, groups=c)
    changed = np.any(y2 != y, axis=(0, 2))
    assert list(np.flatnonzero(changed)) == [4, 5]


@pytest.mark.parametrize("padding_mode", ALL_PADDING_MODES)
@pytest.mark.parametrize("k,dilation", [(1, 1), (3, 1), (4, 2), (5, 3)])
def test_causal_output_never_sees_the_future(padding_mode, k, dilation):
    rng = _rng(k * 10 + dilation)
    length = 19
    x = rng.standard_normal((2, 3, length))
    w = rng.standard_normal((4, 3, k))
    y = cc.conv1d(x, w, padding="causal", dilation=dilation, padding_mode=padding_mode)
    assert y.shape == (2, 4, length)
    np.testing.assert_allclose(
        y, conv1d_ref(x, w, padding="causal", dilation=dilation,
                      padding_mode=padding_mode), rtol=1e-10, atol=1e-10)
    for j in range(length - 1):
        x2 = x.copy()
        x2[..., j + 1:] = rng.standard_normal(x2[..., j + 1:].shape) * 7.0
        y2 = cc.conv1d(x2, w, padding="causal", dilation=dilation,
                       padding_mode=padding_mode)
        if padding_mode in ("mean", "median", "minimum", "maximum", "wrap", "circular"):
            # these left pads are computed from the whole signal (or its far end), so
            # the future leaks by design; only the shape/ref checks above apply.
            continue
        if padding_mode in ("reflect", "antireflect", "smooth", "antisymmetric",
                            "symmetric") and j < (k - 1) * dilation:
            # the left pad mirrors the first samples, which may lie after j
            continue
        np.testing.assert_array_equal(y2[..., :j + 1], y[..., :j + 1], err_msg=str(j))


@pytest.mark.parametrize("dtype", DTYPES)
def test_causal_zero_padding_is_strictly_causal(dtype):
    rng = _rng(5)
    x = rng.standard_normal((1, 2, 50)).astype(dtype)
    w = rng.standard_normal((3, 2, 6)).astype(dtype)
    for dilation in (1, 2, 4):
        y = cc.conv1d(x, w, padding="causal", dilation=dilation)
        assert y.shape == (1, 3, 50)
        for j in (0, 1, 7, 24, 48):
            x2 = x.copy()
            x2[..., j + 1:] = 1e3
            y2 = cc.conv1d(x2, w, padding="causal", dilation=dilation)
            np.testing.assert_array_equal(y2[..., :j + 1], y[..., :j + 1])
            assert np.any(y2[..., j + 1:] != y[..., j + 1:])


@pytest.mark.parametrize("stride", [2, 3, 4])
@pytest.mark.parametrize("dilation", [1, 2])
@pytest.mark.parametrize("padding_mode", ["zeros", "reflect", "edge", "wrap", "smooth"])
def test_same_with_stride_is_tensorflow_same(stride, dilation, padding_mode):
    rng = _rng(stride * 100 + dilation)
    for length in range(1, 26):
        for k in (1, 2, 3, 4, 5, 7):
            x = rng.standard_normal((2, length))
            w = rng.standard_normal((3, 2, k))
            y = cc.conv1d(x, w, stride=stride, dilation=dilation, padding="same",
                          padding_mode=padding_mode)
            assert y.shape == (3, -(-length // stride)), (length, k)
            expected = conv1d_ref(x, w, stride=stride, dilation=dilation, padding="same",
                                  padding_mode=padding_mode)
            np.testing.assert_allclose(y, expected, rtol=1e-10, atol=1e-10,
                                       err_msg=f"L={length} K={k}")


def test_same_tensorflow_examples():
    """TF SAME: L=10, K=3, s=2 pads (0, 1); L=7, K=4, s=1 pads (1, 2)."""
    x = np.arange(1.0, 11.0)[None]
    w = np.array([[[1.0, 10.0, 100.0]]])
    y = cc.conv1d(x, w, stride=2, padding="same")
    xp = np.pad(x[0], (0, 1))
    expected = [xp[j * 2] + 10 * xp[j * 2 + 1] + 100 * xp[j * 2 + 2] for j in range(5)]
    np.testing.assert_allclose(y[0], expected)
    x = np.arange(1.0, 8.0)[None]
    w = np.array([[[1.0, 10.0, 100.0, 1000.0]]])
    xp = np.pad(x[0], (1, 2))
    expected = [sum(w[0, 0, k] * xp[j + k] for k in range(4)) for j in range(7)]
    np.testing.assert_allclose(cc.conv1d(x, w, padding="same")[0], expected)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("length,k", [(1, 1), (1, 4), (3, 7), (10, 3), (33, 8)])
def test_full_padding_matches_numpy(dtype, length, k):
    rng = _rng(length + k)
    a = rng.standard_normal(length).astype(dtype)
    v = rng.standard_normal(k).astype(dtype)
    y = cc.conv1d(a[None], v[None, None], padding="full")
    assert y.shape == (1, length + k - 1)
    tol = 1e-12 if dtype == np.float64 else 2e-5
    np.testing.assert_allclose(y[0], np.correlate(a.astype(np.float64), v, "full"),
                               rtol=tol, atol=tol * math.sqrt(k) * 10)
    yf = cc.conv1d(a[None], v[None, None], padding="full", flip=True)
    np.testing.assert_allclose(yf[0], np.convolve(a.astype(np.float64), v, "full"),
                               rtol=tol, atol=tol * math.sqrt(k) * 10)
    # with dilation: d*(K-1) both sides
    y2 = cc.conv1d(a[None], v[None, None], padding="full", dilation=3)
    assert y2.shape == (1, length + 3 * (k - 1))
    np.testing.assert_allclose(y2, conv1d_ref(a[None], v[None, None], padding="full",
                                              dilation=3), rtol=tol, atol=tol * 10)


@pytest.mark.parametrize("padding_mode", ["reflect", "wrap", "circular", "symmetric",
                                          "edge", "antisymmetric", "antireflect", "smooth"])
@pytest.mark.parametrize("length", [1, 2, 3, 5])
def test_padding_wider_than_signal(padding_mode, length):
    rng = _rng(length)
    x = rng.standard_normal((2, 2, length))
    w = rng.standard_normal((3, 2, 3))
    for padding in [(3 * length + 1, 2 * length), (length, length), (0, 4 * length + 2),
                    (length + 1, 0), 11]:
        y = cc.conv1d(x, w, padding=padding, padding_mode=padding_mode)
        left, right = explicit_padding(padding, length, 3)
        xp = pad_last(x, left, right, padding_mode)
        expected = np.zeros((2, 3, xp.shape[-1] - 2))
        for n in range(2):
            for o in range(3):
                for c in range(2):
                    expected[n, o] += np.correlate(xp[n, c], w[o, c], "valid")
        np.testing.assert_allclose(y, expected, rtol=1e-10, atol=1e-10,
                                   err_msg=str(padding))


@pytest.mark.parametrize("padding_mode", ["reflect", "wrap"])
def test_wide_padding_follows_numpy_pad(padding_mode):
    x = np.array([[1.0, 2.0, 4.0]])
    w = np.array([[[1.0]]])
    y = cc.conv1d(x, w, padding=(8, 7), padding_mode=padding_mode)
    np.testing.assert_array_equal(y[0], np.pad(x[0], (8, 7), mode=padding_mode))


@pytest.mark.parametrize("padding_mode", ["mean", "median", "minimum", "maximum"])
def test_statistic_modes_use_whole_signal(padding_mode):
    x = np.array([[3.0, -1.0, 8.0, 2.0, 0.5, 7.0]])
    w = np.array([[[1.0]]])
    y = cc.conv1d(x, w, padding=(2, 3), padding_mode=padding_mode)
    stat = {"mean": np.mean, "median": np.median, "minimum": np.min, "maximum": np.max}
    value = stat[padding_mode](x[0])
    np.testing.assert_allclose(y[0], np.r_[[value] * 2, x[0], [value] * 3], rtol=1e-14)


def test_pad_value_constant_and_zeros():
    x = np.array([[1.0, 2.0]])
    w = np.array([[[1.0, 1.0]]])
    y = cc.conv1d(x, w, padding=1, padding_mode="constant", pad_value=5.0)
    np.testing.assert_allclose(y[0], [6.0, 3.0, 7.0])
    # "zeros" forces 0 whatever pad_value is
    y = cc.conv1d(x, w, padding=1, padding_mode="zeros", pad_value=5.0)
    np.testing.assert_allclose(y[0], [1.0, 3.0, 2.0])


def test_linear_ramp_defaults_to_zero_end_value():
    x = np.array([[4.0, 1.0, 2.0]])
    w = np.array([[[1.0]]])
    y = cc.conv1d(x, w, padding=(4, 2), padding_mode="linear_ramp")
    np.testing.assert_allclose(y[0], np.pad(x[0], (4, 2), mode="linear_ramp"))
    # documented in the docstring: pad_value is linear_ramp's end value
    y = cc.conv1d(x, w, padding=(4, 2), padding_mode="linear_ramp", pad_value=-3.0)
    np.testing.assert_allclose(y[0], np.pad(x[0], (4, 2), mode="linear_ramp",
                                            end_values=-3.0))


def test_zero_length_input():
    w = np.ones((2, 1, 3))
    b = np.array([1.0, -1.0])
    y = cc.conv1d(np.zeros((1, 1, 0)), w, b, padding=2)
    np.testing.assert_array_equal(y, np.array([[[1.0, 1.0], [-1.0, -1.0]]]))
    y = cc.conv1d(np.zeros((1, 0)), w, b, padding=2, padding_mode="constant", pad_value=2.0)
    np.testing.assert_array_equal(y, [[7.0, 7.0], [5.0, 5.0]])
    with pytest.raises(ValueError, match="padding_mode"):
        cc.conv1d(np.zeros((1, 1, 0)), w, padding=2, padding_mode="reflect")


def test_batch_of_zero_samples():
    y = cc.conv1d(np.zeros((0, 2, 9)), np.ones((3, 2, 4)))
    assert y.shape == (0, 3, 6) and y.dtype == np.float64


def test_unbatched_equals_first_sample():
    x, w, b = _data(1, 2, 4, 20, 6, 2, 3, np.float64)
    yb = cc.conv1d(x, w, b, groups=2, stride=2, padding="same", padding_mode="reflect")
    yu = cc.conv1d(x[1], w, b, groups=2, stride=2, padding="same", padding_mode="reflect")
    assert yu.shape == yb.shape[1:]
    np.testing.assert_array_equal(yu, yb[1])


def test_docstring_examples():
    x = np.array([[1.0, 2.0, 3.0, 4.0]])
    w = np.array([[[1.0, 0.0, -1.0]]])
    np.testing.assert_array_equal(cc.conv1d(x, w), [[-2.0, -2.0]])
    np.testing.assert_array_equal(cc.conv1d(x, w, padding="same", padding_mode="replicate"),
                                  [[-1.0, -2.0, -2.0, -1.0]])
    np.testing.assert_array_equal(cc.conv1d(x, w, flip=True, padding="causal"),
                                  [[1.0, 2.0, 2.0, 2.0]])


# ---------------------------------------------------------------------------------------
# 4. section 1 conventions: array-likes, layouts, dtypes, out=

def _base():
    rng = _rng(99)
    x = rng.standard_normal((2, 4, 17))
    w = rng.standard_normal((6, 2, 3))
    b = rng.standard_normal(6)
    return x, w, b


KW = dict(stride=2, padding=(2, 1), dilation=2, groups=2, padding_mode="reflect")


def _layouts(a):
    """Same values as ``a`` in other memory layouts / array-likes."""
    big = np.zeros(a.shape[:-1] + (2 * a.shape[-1],), a.dtype)
    big[..., ::2] = a
    rev = np.ascontiguousarray(a[..., ::-1])[..., ::-1]
    ro = a.copy()
    ro.setflags(write=False)
    return {
        "list": a.tolist(),
        "strided": big[..., ::2],
        "negative_stride": rev,
        "fortran": np.asfortranarray(a),
        "read_only": ro,
        "frombuffer": np.frombuffer(a.tobytes(), dtype=a.dtype).reshape(a.shape),
        "big_endian": a.astype(">f8"),
        "transposed_view": np.ascontiguousarray(np.swapaxes(a, 0, -1)).swapaxes(0, -1),
    }


@pytest.mark.parametrize("which", ["x", "weight", "bias"])
@pytest.mark.parametrize("layout", ["list", "strided", "negative_stride", "fortran",
                                    "read_only", "frombuffer", "big_endian",
                                    "transposed_view"])
def test_array_likes_and_layouts(which, layout):
    x, w, b = _base()
    expected = cc.conv1d(x, w, b, **KW)
    args = {"x": x, "weight": w, "bias": b}
    variant = _layouts(args[which])[layout]
    keep = None if isinstance(variant, list) else variant.copy()
    args[which] = variant
    y = cc.conv1d(args["x"], args["weight"], args["bias"], **KW)
    assert y.dtype == np.float64
    np.testing.assert_array_equal(y, expected)
    if keep is not None:
        np.testing.assert_array_equal(variant, keep)
        assert variant.dtype == keep.dtype


def test_broadcast_read_only_input():
    x, w, b = _base()
    xb = np.broadcast_to(x[:1], (5,) + x.shape[1:])
    assert not xb.flags.writeable
    wb = np.broadcast_to(w[:, :, :1], w.shape)
    y = cc.conv1d(xb, wb, np.broadcast_to(np.float64(0.5), (6,)), **KW)
    expected = cc.conv1d(np.ascontiguousarray(xb), np.ascontiguousarray(wb),
                         np.full(6, 0.5), **KW)
    np.testing.assert_array_equal(y, expected)
    np.testing.assert_allclose(y, conv1d_ref(xb, wb, np.full(6, 0.5), **KW),
                               rtol=1e-10, atol=1e-10)


def test_big_endian_float32():
    x, w, b = _base()
    x32, w32 = x.astype(np.float32), w.astype(np.float32)
    y = cc.conv1d(x32.astype(">f4"), w32.astype(">f4"), **KW)
    assert y.dtype == np.float32 and y.dtype.isnative
    np.testing.assert_array_equal(y, cc.conv1d(x32, w32, **KW))


@pytest.mark.parametrize("mode", ALL_PADDING_MODES)
@pytest.mark.parametrize("flip", [False, True])
def test_inputs_never_modified(mode, flip):
    x, w, b = _base()
    for dtype in DTYPES:
        xs, ws, bs = x.astype(dtype), w.astype(dtype), b.astype(dtype)
        copies = [a.copy() for a in (xs, ws, bs)]
        cc.conv1d(xs, ws, bs, stride=3, padding="same", groups=2, padding_mode=mode,
                  flip=flip, pad_value=2.0)
        cc.conv1d(xs[0], ws, bs, padding=(9, 40), groups=2, padding_mode=mode, flip=flip)
        for a, c in zip((xs, ws, bs), copies):
            np.testing.assert_array_equal(a, c)


@pytest.mark.parametrize("x_dtype,w_dtype,expected", [
    (np.int64, np.int64, np.float64),
    (np.int32, np.int8, np.float64),
    (np.uint8, np.uint16, np.float64),
    (np.bool_, np.bool_, np.float64),
    (np.bool_, np.int64, np.float64),
    (np.float16, np.float16, np.float32),
    (np.float32, np.float32, np.float32),
    (np.float32, np.float64, np.float64),
    (np.float64, np.float32, np.float64),
    (np.float16, np.float64, np.float64),
    (np.float32, np.int64, np.float64),
    (np.float32, np.bool_, np.float32),
    (np.float32, np.float16, np.float32),
])
def test_dtype_promotion(x_dtype, w_dtype, expected):
    rng = _rng(4)
    x = (rng.integers(0, 2, (2, 3, 12)) if x_dtype == np.bool_
         else rng.integers(0, 5, (2, 3, 12))).astype(x_dtype)
    w = (rng.integers(0, 2, (4, 3, 3)) if w_dtype == np.bool_
         else rng.integers(0, 5, (4, 3, 3))).astype(w_dtype)
    y = cc.conv1d(x, w, padding=1)
    assert y.dtype == np.dtype(expected)
    # small integers: exact in every float type
    np.testing.assert_array_equal(y, conv1d_ref(x, w, padding=1))


def test_bias_dtype_takes_part_in_promotion():
    x = np.ones((1, 2, 5), np.float32)
    w = np.ones((3, 2, 2), np.float32)
    assert cc.conv1d(x, w, np.ones(3, np.float32)).dtype == np.float32
    y = cc.conv1d(x, w, np.ones(3, np.float64))
    assert y.dtype == np.float64
    np.testing.assert_array_equal(y, np.full((1, 3, 4), 5.0))


@pytest.mark.parametrize("which", ["x", "weight", "bias"])
@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_complex_refused(which, dtype):
    x, w, b = _base()
    args = {"x": x, "weight": w, "bias": b}
    args[which] = args[which].astype(dtype)
    with pytest.raises(TypeError, match=rf"^{which}: dtype complex"):
        cc.conv1d(args["x"], args["weight"], args["bias"], **KW)


@pytest.mark.parametrize("bad", [
    lambda a: a.astype(object),
    lambda a: a.astype("U8"),
    lambda a: np.zeros(a.shape, "datetime64[s]"),
])
@pytest.mark.parametrize("which", ["x", "weight", "bias"])
def test_unsupported_dtypes_refused(bad, which):
    x, w, b = _base()
    args = {"x": x, "weight": w, "bias": b}
    args[which] = bad(args[which])
    with pytest.raises(TypeError, match=rf"^{which}: dtype .* is not supported"):
        cc.conv1d(args["x"], args["weight"], args["bias"], **KW)


def test_out_is_filled_and_returned():
    x, w, b = _base()
    expected = cc.conv1d(x, w, b, **KW)
    out = np.full(expected.shape, np.nan)
    res = cc.conv1d(x, w, b, out=out, **KW)
    assert res is out
    np.testing.assert_array_equal(out, expected)
    # unbatched
    out1 = np.empty(expected.shape[1:])
    assert cc.conv1d(x[0], w, b, out=out1, **KW) is out1
    np.testing.assert_array_equal(out1, expected[0])
    # float32
    out32 = np.empty(expected.shape, np.float32)
    x32, w32, b32 = (a.astype(np.float32) for a in (x, w, b))
    res = cc.conv1d(x32, w32, b32, out=out32, **KW)
    assert res is out32
    # float32 sums of C_in/groups*K = 6 products and the bias: a few eps * sqrt(terms)
    # of the sum of |terms| (reflect padding only copies, so |pad(x)| = pad(|x|)).
    size = conv1d_ref(np.abs(x32), np.abs(w32), np.abs(b32), **KW)
    bound = 4 * np.finfo(np.float32).eps * math.sqrt(w.shape[1] * w.shape[2] + 1) * size
    assert np.all(np.abs(out32 - conv1d_ref(x32, w32, b32, **KW)) <= bound)


def _bad_outs(shape):
    ro = np.empty(shape)
    ro.setflags(write=False)
    return {
        "shape": np.empty(shape[:-1] + (shape[-1] + 1,)),
        "shape_unbatched": np.empty(shape[1:]),
        "dtype32": np.empty(shape, np.float32),
        "dtype_int": np.empty(shape, np.int64),
        "non_contiguous": np.empty(shape[:-1] + (2 * shape[-1],))[..., ::2],
        "fortran": np.asfortranarray(np.empty(shape)) if shape[-1] > 1 else None,
        "read_only": ro,
        "big_endian": np.empty(shape, ">f8"),
    }


@pytest.mark.parametrize("kind", ["shape", "shape_unbatched", "dtype32", "dtype_int",
                                  "non_contiguous", "fortran", "read_only", "big_endian"])
def test_bad_out_raises(kind):
    x, w, b = _base()
    shape = cc.conv1d(x, w, b, **KW).shape
    out = _bad_outs(shape)[kind]
    snapshot = out.copy()
    with pytest.raises(ValueError, match="out"):
        cc.conv1d(x, w, b, out=out, **KW)
    np.testing.assert_array_equal(out, snapshot)


@pytest.mark.parametrize("which", ["x", "weight", "bias"])
def test_out_overlapping_an_input_raises(which):
    # the result (1, 2, 4) is exactly as large as an input placed in the same buffer
    buf = np.arange(8.0)
    x = np.arange(8.0).reshape(1, 2, 4)
    w = np.ones((2, 2, 1))
    b = np.zeros(2)
    if which == "x":
        x = buf.reshape(1, 2, 4)
    elif which == "weight":
        w = buf[:4].reshape(2, 2, 1)
    else:
        b = buf[:2]
    out = buf.reshape(1, 2, 4)
    snapshot = buf.copy()
    with pytest.raises(ValueError, match=r"^out overlaps the input"):
        cc.conv1d(x, w, b, out=out)
    np.testing.assert_array_equal(buf, snapshot)


def test_out_untouched_when_another_argument_is_bad():
    x, w, b = _base()
    out = np.full(cc.conv1d(x, w, b, **KW).shape, 7.0)
    with pytest.raises(ValueError, match="^padding_mode must be one of .*; got 'nope'"):
        cc.conv1d(x, w, b, out=out, **dict(KW, padding_mode="nope"))
    assert np.all(out == 7.0)


# ---------------------------------------------------------------------------------------
# 5. errors name the argument

def _ok():
    return np.ones((2, 4, 10)), np.ones((6, 2, 3)), np.ones(6)


@pytest.mark.parametrize("kwargs,match", [
    (dict(stride=0), "stride"),
    (dict(stride=-2), "stride"),
    (dict(dilation=0), "dilation"),
    (dict(dilation=-1), "dilation"),
    (dict(groups=0), "groups"),
    (dict(groups=3), "groups"),             # divides neither C_in=4 nor C_out=6
    (dict(padding=-1), "padding"),
    (dict(padding=(1, -1)), "padding"),
    (dict(padding=(-3, 0)), "padding"),
    (dict(padding=(1, 2, 3)), "padding"),
    (dict(padding="sam"), "padding"),
    (dict(padding="SAME"), "padding"),
    (dict(padding_mode="reflection"), "padding_mode"),
    (dict(padding_mode="Zeros"), "padding_mode"),
    (dict(padding=1, stride=1, dilation=20), "output length .*padding"),
])
def test_bad_arguments_raise_value_error(kwargs, match):
    x, w, b = _ok()
    kwargs = dict(dict(groups=2), **kwargs)
    with pytest.raises(ValueError, match=rf"^{match}\b"):
        cc.conv1d(x, w, b, **kwargs)


def test_groups_not_dividing_channels():
    with pytest.raises(ValueError, match=r"^groups\b.*C_in"):
        cc.conv1d(np.ones((1, 3, 8)), np.ones((4, 1, 2)), groups=2)
    with pytest.raises(ValueError, match=r"^groups\b.*output channels"):
        cc.conv1d(np.ones((1, 4, 8)), np.ones((3, 2, 2)), groups=2)


def test_channel_mismatch():
    with pytest.raises(ValueError, match=r"^weight\.shape\[1\]"):
        cc.conv1d(np.ones((1, 4, 8)), np.ones((2, 3, 2)))
    with pytest.raises(ValueError, match=r"^weight\.shape\[1\]"):
        cc.conv1d(np.ones((1, 4, 8)), np.ones((2, 4, 2)), groups=2)


def test_kernel_size_zero():
    with pytest.raises(ValueError, match=r"^weight: kernel size"):
        cc.conv1d(np.ones((1, 1, 8)), np.ones((1, 1, 0)))
    with pytest.raises(ValueError, match=r"^weight: kernel size"):
        cc.conv1d(np.ones((1, 1, 8)), np.ones((1, 1, 0)), padding="same")


@pytest.mark.parametrize("shape", [(8,), (1, 1, 1, 8), ()])
def test_wrong_ndim_of_x(shape):
    with pytest.raises(ValueError, match=r"^x\b"):
        cc.conv1d(np.ones(shape), np.ones((1, 1, 1)))


@pytest.mark.parametrize("shape", [(1, 3), (1, 1, 1, 3), (3,)])
def test_wrong_ndim_of_weight(shape):
    with pytest.raises(ValueError, match=r"^weight\b"):
        cc.conv1d(np.ones((1, 1, 8)), np.ones(shape))


@pytest.mark.parametrize("shape", [(5,), (7,), (6, 1), (1, 6), ()])
def test_bias_of_wrong_shape(shape):
    x, w, _ = _ok()
    with pytest.raises(ValueError, match=r"^bias\b"):
        cc.conv1d(x, w, np.ones(shape), groups=2)


@pytest.mark.parametrize("name,value", [("stride", 1.5), ("dilation", 2.0),
                                        ("groups", "2"), ("padding", 1.5)])
def test_non_integer_arguments(name, value):
    x, w, b = _ok()
    kwargs = dict(groups=2)
    kwargs[name] = value
    with pytest.raises((TypeError, ValueError), match=rf"^{name}\b"):
        cc.conv1d(x, w, b, **kwargs)


# ---------------------------------------------------------------------------------------
# 6. threads

def _large(dtype=np.float32):
    rng = _rng(2024)
    x = rng.standard_normal((8, 32, 4096)).astype(dtype)
    w = (rng.standard_normal((32, 32, 9)) / 17.0).astype(dtype)
    b = rng.standard_normal(32).astype(dtype)
    return x, w, b


def test_four_python_threads_at_once():
    x, w, b = _large()
    serial = cc.conv1d(x, w, b, padding="same")
    t = F.conv1d(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b),
                 padding="same").numpy()
    assert_conv_close(serial, t, np.float32, 32 * 9, 5.0)
    variants = [
        (x, dict(padding="same")),
        (x[:4], dict(padding="same")),
        (x, dict(padding="same", stride=2)),
        (x, dict(padding="same")),
    ] * 2

    def run(item):
        xi, kw = item
        return cc.conv1d(xi, w, b, **kw)

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(run, variants))
    for (xi, kw), res in zip(variants, results):
        np.testing.assert_array_equal(res, cc.conv1d(xi, w, b, **kw))
    np.testing.assert_array_equal(results[0], serial)
    np.testing.assert_array_equal(results[1], serial[:4])
    t2 = F.conv1d(torch.from_numpy(np.pad(x, [(0, 0), (0, 0), (3, 4)])),
                  torch.from_numpy(w), torch.from_numpy(b), stride=2).numpy()
    assert_conv_close(results[2], t2, np.float32, 32 * 9, 5.0)


def test_thread_count_does_not_change_results():
    x, w, b = _large(np.float64)
    cases = [(x, dict(padding="same")), (x[:1], dict(padding=4, stride=3)),
             (x[:1, :4], dict(groups=4, padding_mode="reflect", padding=(5, 2))),
             (x[:1, :4], dict(groups=4, padding="causal", padding_mode="mean"))]
    w_dw = w[:8, :1]
    default = cc.get_num_threads()
    try:
        before = []
        for xi, kw in cases:
            wi = w_dw if kw.get("groups") == 4 else w
            before.append(cc.conv1d(xi, wi, b[:wi.shape[0]], **kw))
        cc.set_num_threads(1)
        assert cc.get_num_threads() == 1
        for (xi, kw), ref in zip(cases, before):
            wi = w_dw if kw.get("groups") == 4 else w
            y = cc.conv1d(xi, wi, b[:wi.shape[0]], **kw)
            np.testing.assert_allclose(y, ref, rtol=1e-12, atol=1e-12)
    finally:
        cc.set_num_threads(None)
    assert cc.get_num_threads() == default


@pytest.mark.parametrize("padding_mode", ALL_PADDING_MODES)
@pytest.mark.parametrize("n", [1, 3])
def test_multithreaded_paths_every_mode(padding_mode, n):
    """Large enough for the thread team (by sample for n >= threads, split otherwise);
    oracle: numpy.pad / pywt.pad, then torch's unpadded conv1d in float64."""
    rng = _rng(len(padding_mode) * 10 + n)
    x = rng.standard_normal((n, 8, 3000))
    w = rng.standard_normal((12, 4, 5))
    b = rng.standard_normal(12)
    for stride, dilation, padding in [(1, 1, (6, 3)), (2, 3, "same"), (1, 2, "causal")]:
        left, right = explicit_padding(padding, 3000, 5, stride, dilation)
        xp = pad_last(x, left, right, padding_mode, 0.75)
        expected = F.conv1d(torch.from_numpy(xp), torch.from_numpy(w), torch.from_numpy(b),
                            stride=stride, dilation=dilation, groups=2).numpy()
        for dtype in DTYPES:
            y = cc.conv1d(x.astype(dtype), w.astype(dtype), b.astype(dtype), stride=stride,
                          dilation=dilation, padding=padding, groups=2,
                          padding_mode=padding_mode, pad_value=0.75)
            assert_conv_close(y, expected, dtype, 20, _scale(xp, w, b),
                              err_msg=f"{stride} {dilation} {padding}")


@pytest.mark.parametrize("threads", [1, 3, 4, 7])
def test_thread_counts_beyond_cores(threads):
    rng = _rng(threads)
    x = rng.standard_normal((3, 8, 3000))
    w = rng.standard_normal((8, 8, 5))
    b = rng.standard_normal(8)
    xp = pad_last(x, 4, 3, "median")
    expected = F.conv1d(torch.from_numpy(xp), torch.from_numpy(w), torch.from_numpy(b),
                        stride=2).numpy()
    try:
        cc.set_num_threads(threads)
        for xi, ei in ((x, expected), (x[:1], expected[:1])):
            y = cc.conv1d(xi, w, b, padding=(4, 3), stride=2, padding_mode="median")
            np.testing.assert_allclose(y, ei, rtol=1e-10, atol=1e-10)
    finally:
        cc.set_num_threads(None)


def test_unaligned_buffer_input():
    x, w, b = _base()
    raw = b"\x00" + x.tobytes()
    xu = np.frombuffer(raw, dtype=np.float64, offset=1).reshape(x.shape)
    assert not xu.flags.aligned and not xu.flags.writeable
    np.testing.assert_array_equal(cc.conv1d(xu, w, b, **KW), cc.conv1d(x, w, b, **KW))


def test_mixed_precision_computes_in_float64():
    """float32 x with float64 weight: the float64 result, not a float32 sum cast up."""
    x, w, b = _base()
    x32 = x.astype(np.float32) * np.float32(1 + 2**-20)
    y = cc.conv1d(x32, w, b, **KW)
    assert y.dtype == np.float64
    np.testing.assert_allclose(y, conv1d_ref(x32, w, b, **KW), rtol=1e-13, atol=1e-13)
    y16 = cc.conv1d(x.astype(np.float16), w.astype(np.float16), **KW)
    assert y16.dtype == np.float32
    np.testing.assert_allclose(y16, conv1d_ref(x.astype(np.float16), w.astype(np.float16),
                                               **KW), rtol=1e-5, atol=1e-5)


def test_numpy_integer_and_sequence_arguments():
    x, w, b = _base()
    expected = conv1d_ref(x, w, b, stride=2, dilation=2, groups=2, padding=(1, 2))
    for padding in ((1, 2), [1, 2], np.array([1, 2]), (np.int64(1), np.int32(2))):
        y = cc.conv1d(x, w, b.tolist(), stride=np.int64(2), dilation=np.uint8(2),
                      groups=np.int32(2), padding=padding)
        np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", [1, 3])
@pytest.mark.parametrize("length,k,dilation,padding,multiplier", [
    (10000, 7, 3, (5000, 9000), 2),   # whole 4096-sample blocks inside the padding
    (10000, 7, 1, "same", 1),
    (4097, 5, 2, "full", 2),
    (3, 9, 2, (6000, 1), 2),          # signal shorter than the kernel span
])
def test_depthwise_constant_padding_long_rows(dtype, n, length, k, dilation, padding,
                                              multiplier):
    """One input channel per output row, stride 1, constant padding, rows longer than
    one block: oracle F.pad(value=...) + torch conv1d in float64."""
    c = 3
    x, w, b = _data(length + k, n, c, length, c * multiplier, 1, k, dtype)
    left, right = explicit_padding(padding, length, k, 1, dilation)
    y = cc.conv1d(x, w, b, padding=padding, dilation=dilation, groups=c,
                  padding_mode="constant", pad_value=0.5)
    t = F.conv1d(F.pad(torch.from_numpy(x.astype(np.float64)), (left, right), value=0.5),
                 torch.from_numpy(w.astype(np.float64)),
                 torch.from_numpy(b.astype(np.float64)), dilation=dilation,
                 groups=c).numpy()
    assert_conv_close(y, t, dtype, k, 5.0)


# ---------------------------------------------------------------------------------------
# short outputs: the samples of a batch side by side (the forward's cat route)

SHORT_CASES = [
    # n, c_in, c_out, length, k, stride, dilation, padding, groups, mode
    (5, 7, 9, 6, 3, 1, 1, "same", 1, "zeros"),
    (6, 4, 8, 9, 3, 2, 2, 3, 1, "reflect"),
    (4, 6, 10, 8, 3, 1, 1, (2, 1), 2, "zeros"),
    (9, 16, 12, 1, 1, 1, 1, 0, 1, "zeros"),
    (7, 5, 6, 2, 5, 1, 2, "full", 1, "zeros"),        # taps wholly in the padding
    (3, 5, 8, 7, 4, 3, 1, (4, 5), 1, "constant"),
    (8, 3, 4, 5, 3, 1, 1, "same", 1, "circular"),
    (4, 4, 5, 6, 3, 2, 1, (2, 2), 1, "median"),
    (300, 24, 16, 8, 5, 1, 1, 2, 1, "replicate"),     # many units
    (2, 256, 128, 8, 5, 1, 1, 2, 1, "zeros"),         # one unit, its items shared
]


def _side_by_side_and_alone(x, w, b, kw, threads):
    """conv1d at ``threads`` threads, with the short outputs' route and without it."""
    from cconv1d import _forward
    previous = cc.get_num_threads()
    cc.set_num_threads(threads)
    try:
        got = cc.conv1d(x, w, b, **kw)
        was = _forward._set_cat_bytes(0)
        try:
            alone = cc.conv1d(x, w, b, **kw)
        finally:
            _forward._set_cat_bytes(was)
    finally:
        cc.set_num_threads(previous)
    return got, alone


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", SHORT_CASES)
def test_short_outputs_side_by_side(case, dtype, threads):
    """Batches of short outputs run with their samples side by side (interleaved at
    each padded position); against the float64 loops of conv1d_ref, and the same bits
    as each sample on its own (the cat route off), every padding mode."""
    n, c_in, c_out, length, k, s, d, padding, groups, mode = case
    x, w, b = _data(31, n, c_in, length, c_out, c_in // groups, k, dtype)
    kw = dict(stride=s, dilation=d, padding=padding, groups=groups, padding_mode=mode,
              pad_value=0.75)
    want = conv1d_ref(x, w, b, **kw)
    got, alone = _side_by_side_and_alone(x, w, b, kw, threads)
    rtol, atol = _tolerance(dtype, c_in // groups * k, 4.0 * 4.0 + 4.0)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)
    np.testing.assert_array_equal(got, alone)


INTERLEAVED_CASES = [
    # n, c_in, c_out, length, k, stride, dilation, padding, groups, mode, flip
    # (at most 7 outputs: side by side on every path, whose float64 tiles are 12 wide)
    (64, 32, 16, 6, 3, 1, 1, "same", 1, "zeros", False),
    (64, 32, 16, 6, 3, 1, 1, "same", 1, "zeros", True),
    (37, 12, 8, 4, 3, 1, 2, (4, 3), 1, "zeros", False),
    (40, 8, 16, 6, 4, 2, 1, (3, 2), 2, "zeros", False),     # stride 2, two groups
    (30, 6, 8, 4, 3, 1, 1, (6, 5), 1, "zeros", False),      # outputs with no tap inside
    (48, 16, 8, 3, 5, 1, 1, "full", 1, "replicate", True),
    (33, 8, 8, 7, 3, 3, 1, (2, 2), 1, "circular", False),   # stride 3
    # 20 outputs: a sixth of a 24-column tile empty (side by side since it measured faster)
    (24, 64, 16, 20, 3, 1, 1, "same", 1, "zeros", False),
    # several units, the last one smaller
    (37, 256, 32, 6, 3, 1, 1, "same", 1, "zeros", False),
    (45, 256, 16, 5, 3, 2, 1, 1, 1, "reflect", True),
]


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", INTERLEAVED_CASES)
def test_short_outputs_interleaved_keep_their_bits(case, dtype, threads):
    """Short outputs side by side, the unit's samples interleaved at each padded
    position (units sized to whole vectors, the last one smaller): the same bits as
    each sample on its own (the route off), since every output is the same chain of
    FMAs over its pairs in the same order; and against torch's float64 conv1d of the
    padded input. The plan is checked to take the route, so the test cannot pass by
    another."""
    from cconv1d import _forward
    n, c_in, c_out, length, k, s, d, padding, groups, mode, flip = case
    x, w, b = _data(33, n, c_in, length, c_out, c_in // groups, k, dtype)
    kw = dict(stride=s, dilation=d, padding=padding, groups=groups, padding_mode=mode,
              flip=flip)
    got, alone = _side_by_side_and_alone(x, w, b, kw, threads)
    left, right = explicit_padding(padding, length, k, s, d)
    plan = _forward.cat_plan(n, c_in, length, c_out, c_in // groups, k, left, right,
                             got.shape[-1], s, d, groups, 0, np.dtype(dtype).itemsize,
                             threads)
    assert plan is not None, case
    if c_in >= 256:
        assert plan[1] > 1, plan                          # several units
        assert n != 37 or plan[2] < plan[0], plan         # ... the last one smaller
    np.testing.assert_array_equal(got, alone)
    wf = w[..., ::-1] if flip else w
    xp = torch_pad(torch.from_numpy(x.astype(np.float64)), left, right, mode)
    want = F.conv1d(xp, torch.from_numpy(np.ascontiguousarray(wf, dtype=np.float64)),
                    torch.from_numpy(b.astype(np.float64)), stride=s, dilation=d,
                    groups=groups).numpy()
    rtol, atol = _tolerance(dtype, c_in // groups * k, 4.0 * 4.0 + 4.0)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


STRIP_CASES = [
    # n, c_in, c_out, length, stride, groups
    (3, 128, 64, 200, 1, 1),        # a partial last strip
    (2, 256, 68, 700, 1, 1),        # a last row group of one block (68 channels)
    (4, 512, 32, 1500, 1, 1),       # several length blocks a sample
    (1, 256, 40, 900, 1, 1),        # one sample: at two threads, split in blocks
    (3, 256, 48, 301, 2, 1),        # 1x1 stride 2 (a ResNet shortcut)
    (2, 384, 24, 130, 3, 1),
    (2, 256, 64, 130, 1, 2),        # groups
    (2, 384, 33, 70, 1, 3),         # partial row blocks in every group
]


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", STRIP_CASES)
def test_pointwise_column_strips(case, dtype, threads):
    """K = 1 layers of many channels pack their input as column strips (each tile's
    columns of every channel side by side): the plan is checked to take that route;
    against torch's float64 conv1d, and the same bits as the rows route (the strips
    off), since each output sums the same products in the same order. The short
    outputs' route is held off: with AVX-512's 48-column float32 tiles, outputs of 70,
    151 and 200 are short (fewer than eight tiles, a sixth of them empty) and take it."""
    from cconv1d import _forward
    n, c_in, c_out, length, s, groups = case
    x, w, b = _data(41, n, c_in, length, c_out, c_in // groups, 1, dtype)
    previous = cc.get_num_threads()
    cc.set_num_threads(threads)
    cat_bytes = _forward._set_cat_bytes(0)
    try:
        l_out = (length - 1) // s + 1
        assert _forward.forward_route(n, c_in, length, c_out, c_in // groups, 1, 0, 0,
                                      l_out, s, 1, groups, 0, np.dtype(dtype).itemsize,
                                      threads) == "strips"
        got = cc.conv1d(x, w, b, stride=s, groups=groups)
        was = _forward._set_strip_rows(0)
        try:
            assert _forward.forward_route(n, c_in, length, c_out, c_in // groups, 1, 0,
                                          0, l_out, s, 1, groups, 0,
                                          np.dtype(dtype).itemsize, threads) != "strips"
            rows = cc.conv1d(x, w, b, stride=s, groups=groups)
        finally:
            _forward._set_strip_rows(was)
    finally:
        cc.set_num_threads(previous)
        _forward._set_cat_bytes(cat_bytes)
    want = F.conv1d(torch.from_numpy(x.astype(np.float64)),
                    torch.from_numpy(w.astype(np.float64)),
                    torch.from_numpy(b.astype(np.float64)), stride=s,
                    groups=groups).numpy()
    rtol, atol = _tolerance(dtype, c_in // groups, 4.0 * 4.0 + 4.0)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)
    np.testing.assert_array_equal(got, rows)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", [(2, 64, 256, 300, 1), (3, 40, 512, 1000, 1),
                                  (1, 128, 136, 77, 1), (2, 64, 256, 70, 2),
                                  (4, 32, 768, 700, 4)])
def test_pointwise_input_gradient_by_strips(case, dtype, threads):
    """The input gradient of a K = 1 layer of many output channels (and
    conv_transpose1d of such a layer, bias included) runs as the K = 1 forward of the
    transposed weights by column strips (the route is checked): against torch's
    float64 autograd and conv_transpose1d, and the same bits as the input gradient's
    own route (the strips off). The short outputs' route is held off, as in
    test_pointwise_column_strips (70 outputs are short for AVX-512's float32 tiles)."""
    from cconv1d import _forward
    n, c_in, c_out, length, groups = case
    x, w, _ = _data(43, n, c_in, length, c_out, c_in // groups, 1, dtype)
    rng = _rng(44)
    g = rng.standard_normal((n, c_out, length)).astype(dtype)
    b = rng.standard_normal(c_in).astype(dtype)
    previous = cc.get_num_threads()
    cc.set_num_threads(threads)
    cat_bytes = _forward._set_cat_bytes(0)
    try:
        assert _forward.forward_route(n, c_out, length, c_in, c_out // groups, 1, 0, 0,
                                      length, 1, 1, groups, 0, np.dtype(dtype).itemsize,
                                      threads) == "strips"
        got = cc.conv1d_backward(g, x, w, groups=groups, needs="input").input
        up = cc.conv_transpose1d(g, w, b, groups=groups)
        was = _forward._set_strip_rows(0)
        try:
            rows = cc.conv1d_backward(g, x, w, groups=groups, needs="input").input
            up_rows = cc.conv_transpose1d(g, w, b, groups=groups)
        finally:
            _forward._set_strip_rows(was)
    finally:
        cc.set_num_threads(previous)
        _forward._set_cat_bytes(cat_bytes)
    xt = torch.from_numpy(x.astype(np.float64)).requires_grad_()
    wt = torch.from_numpy(w.astype(np.float64))
    F.conv1d(xt, wt, groups=groups).backward(torch.from_numpy(g.astype(np.float64)))
    rtol, atol = _tolerance(dtype, c_out // groups, 4.0 * 4.0)
    np.testing.assert_allclose(got, xt.grad.numpy(), rtol=rtol, atol=atol)
    want = F.conv_transpose1d(torch.from_numpy(g.astype(np.float64)), wt,
                              torch.from_numpy(b.astype(np.float64)), groups=groups)
    np.testing.assert_allclose(up, want.numpy(), rtol=rtol, atol=atol + 4.0 * rtol)
    np.testing.assert_array_equal(got, rows)
    np.testing.assert_array_equal(up, up_rows)


WINOGRAD_CASES = [
    # n, c_in, c_out, length, k, padding, padding_mode, flip, bias
    # 128+ channels, 8+ tiles a sample: from 256 tiles in the batch (8 x 38 here)
    (8, 128, 136, 150, 3, "same", "zeros", False, True),
    (8, 128, 256, 150, 5, 2, "reflect", True, True),       # F(4, 5)
    (4, 128, 128, 512, 3, 1, "zeros", False, True),          # tiles of four, no tail
    (6, 128, 96, 1201, 3, "same", "reflect", False, True),   # two chunks (4 + 2 samples)
    (3, 64, 64, 1022, 3, "valid", "zeros", True, False),     # true convolution, no bias
    (2, 96, 80, 2047, 3, "causal", "replicate", False, True),  # a last tile of 1-3 outputs
    (2, 64, 72, 1500, 3, (3, 0), "circular", False, True),
    (2, 80, 64, 1030, 3, (2, 5), "median", True, True),      # a statistic of the signal
    (1, 64, 64, 2050, 3, "full", "antisymmetric", False, True),
    (3, 70, 66, 701, 3, 1, "constant", False, True),         # pad_value
    # 5 taps: F(4, 5) on eight points, tiles of four outputs
    (3, 128, 136, 701, 5, 2, "zeros", False, True),          # a last tile of one output
    (2, 130, 128, 1202, 5, "causal", "reflect", True, True),  # ... of two
    (16, 128, 256, 150, 5, "same", "zeros", False, True),    # the FCN's second layer
    (1, 128, 128, 2401, 5, "same", "symmetric", False, True),  # one sample: segments
    (8, 64, 72, 515, 5, "valid", "zeros", False, True),      # 64 channels, a tail of 3
]


WINOGRAD_STRIDED_CASES = [
    # n, c_in, c_out, length, k, stride, padding, padding_mode, flip, bias
    (8, 64, 128, 1024, 7, 2, 3, "zeros", False, True),      # F(5, 4): a tail of 2
    (6, 64, 128, 999, 8, 2, (3, 4), "reflect", True, True),  # 4 taps a phase, flip
    (6, 64, 128, 1201, 9, 3, 4, "replicate", False, False),  # F(4, 3) on 3 phases
    (3, 64, 128, 4001, 11, 4, 5, "circular", False, True),   # phases of 3, 3, 3, 2 taps
    (1, 64, 128, 5200, 7, 2, 3, "median", False, True),      # one sample: segments
    (4, 64, 128, 1030, 6, 2, (0, 1), "constant", True, True),  # a padded sample unread
    (6, 64, 128, 1025, 7, 2, 0, "zeros", False, True),
    # runs of taps: K > 5 at stride 1 as runs of r taps, each run a channel
    (8, 128, 128, 600, 7, 1, 3, "zeros", False, True),       # 2 runs of 4 taps
    (8, 128, 128, 601, 9, 1, 4, "reflect", True, True),      # 3 runs of 3
    (4, 128, 128, 900, 15, 1, (0, 14), "circular", False, False),  # 5 runs of 3
    (8, 128, 128, 1000, 4, 1, (1, 2), "constant", True, True),  # F(5, 4), one run
    (8, 64, 128, 1200, 15, 2, 7, "zeros", False, True),     # 2 phases x 2 runs of 4
    (1, 128, 128, 2700, 8, 1, "same", "median", False, True),  # one sample: segments
    (8, 64, 128, 1024, 9, 2, 4, "reflect", False, True),     # F(4, 5) on 2 phases
    (4, 128, 128, 1000, 10, 1, (4, 5), "zeros", True, True),  # 2 runs of 5: F(4, 5)
    (4, 128, 128, 900, 14, 1, 6, "replicate", False, True),  # 3 runs of 5 (one short)
]


WINOGRAD_DILATED_CASES = [
    # n, c_in, c_out, length, k, padding, padding_mode, flip, bias, dilation: the
    # outputs' d phases tiled apart, the phases the inner loop
    (4, 128, 128, 1024, 3, "same", "zeros", False, True, 8),     # whole tiles
    (3, 160, 128, 1001, 3, "same", "reflect", True, True, 5),    # phases' tails differ
    (2, 136, 128, 1500, 3, "causal", "replicate", False, False, 3),
    (3, 128, 128, 900, 7, (3, 9), "circular", False, True, 2),   # runs of 4 taps
    (4, 128, 128, 700, 4, "valid", "constant", True, True, 2),   # F(5, 4)
    (4, 128, 128, 1203, 5, "same", "zeros", False, True, 3),     # F(4, 5)
    (1, 128, 128, 3001, 3, "same", "median", False, True, 4),    # one sample: segments
    (8, 128, 128, 1024, 3, (4, 0), "zeros", False, True, 64),    # 15 outputs a phase
]


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("case", [c[:5] + (1,) + c[5:] + (1,) for c in WINOGRAD_CASES]
                         + [c + (1,) for c in WINOGRAD_STRIDED_CASES]
                         + [c[:5] + (1,) + c[5:] for c in WINOGRAD_DILATED_CASES])
def test_winograd_route(case, threads, monkeypatch):
    """Dense float32 layers of many channels take the Winograd route under
    method="auto" (checked): 3 and 5 taps by F(4, 3) and F(4, 5), strided layers whose
    stride phases have 3-5 taps and layers of more taps (runs of 3-5), each phase
    and run of the padded input an input channel of a stride-1 layer of r taps, and
    dilated layers (each phase of the outputs a stride-1 layer, tiled apart). Against
    the float64 loops of the definition (every padding mode, flip, tails of 1-3
    outputs, chunks of samples, segments of one), with an error at most 4x the direct
    route's (both against float64: the transforms' coefficients cost a few bits, not
    more); the direct route (method="direct") is not affected."""
    from cconv1d import _fftconv, _forward
    # method="auto" picks the FFT first by a cost model of the active SIMD path (on the
    # scalar path it takes dilated spans of 16 or more); the sums are tested here.
    monkeypatch.setattr(_fftconv, "choose", lambda *args: "direct")
    n, c_in, c_out, length, k, stride, padding, mode, flip, bias, dilation = case
    x, w, b = _data(47, n, c_in, length, c_out, c_in, k, np.float32, bias=bias)
    kw = dict(stride=stride, padding=padding, padding_mode=mode, flip=flip,
              dilation=dilation)
    if mode == "constant":
        kw["pad_value"] = 0.75
    left, right = explicit_padding(padding, length, k, stride, dilation)
    l_out = (length + left + right - dilation * (k - 1) - 1) // stride + 1
    previous = cc.get_num_threads()
    cc.set_num_threads(threads)
    try:
        route = _forward.forward_route(n, c_in, length, c_out, c_in, k, left, right, l_out,
                                       stride, dilation, 1, 0, 4, threads, True)
        assert route == "winograd"
        assert _forward.forward_route(n, c_in, length, c_out, c_in, k, left, right, l_out,
                                      stride, dilation, 1, 0, 4, threads) != "winograd"
        got = cc.conv1d(x, w, b, **kw)
        direct = cc.conv1d(x, w, b, method="direct", **kw)
        was = _forward._set_winograd_min_channels(0)
        try:
            off = cc.conv1d(x, w, b, **kw)
        finally:
            _forward._set_winograd_min_channels(was)
        out = np.full((n, c_out, l_out), np.nan, np.float32)
        assert cc.conv1d(x, w, b, out=out, **kw) is out
    finally:
        cc.set_num_threads(previous)
    want = conv1d_ref(x, w, b, **kw)
    scale = float(np.abs(want).max())
    err = float(np.abs(got - want).max())
    err_direct = float(np.abs(direct - want).max())
    assert err <= 4 * err_direct + 1e-6 * scale, (err, err_direct, scale)
    np.testing.assert_array_equal(out, got)
    np.testing.assert_array_equal(direct, off)
    assert not np.array_equal(got, direct)      # the route did run


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("case", [
    # n, c_in, c_out, length, k, padding, padding_mode, flip
    (4, 128, 136, 513, 3, 1, "zeros", False),
    (3, 128, 128, 700, 3, "causal", "zeros", True),
    (2, 136, 128, 1400, 3, (0, 2), "constant", False),
    (2, 128, 144, 1303, 3, "same", "reflect", True),    # the weight gradient only
    (16, 128, 256, 150, 5, "same", "zeros", False),     # F(4, 5): the FCN's layer
    (4, 64, 72, 601, 5, (4, 1), "constant", False),     # F(4, 5) from 64 channels
    (3, 128, 136, 1000, 4, (1, 2), "replicate", True),  # F(5, 4), a tail of 3
    (5, 128, 256, 1000, 5, "same", "circular", False),  # dW in chunks of 2 + 3 samples
    # dilated: the input gradient by the route, the weight gradient direct
    (4, 128, 128, 1000, 3, "same", "zeros", False, 4),
    (2, 128, 160, 1203, 7, (5, 9), "zeros", True, 2),
    (1, 128, 128, 3001, 3, "causal", "zeros", False, 8),  # one sample: segments
])
def test_winograd_gradients(case, threads, monkeypatch):
    """The gradients of a layer on the Winograd route (method="auto"): the input
    gradient as the forward of dy with the transposed weights (constant padding of at
    most (K - 1) d a side; conv_transpose1d too, bias included), the weight gradient
    from the same transforms (every padding mode; 3 and 4 taps from 128 channels, 5
    from 64; a batch whose transforms pass WINO_WGRAD_BYTES in chunks). Against
    torch's float64 autograd, with an error at most 4x the larger of the direct route's
    and PyTorch's own float32 result's (both against float64)."""
    from cconv1d import _fftconv
    monkeypatch.setattr(_fftconv, "choose", lambda *args: "direct")   # as above
    n, c_in, c_out, length, k, padding, mode, flip, dilation = (case + (1,))[:9]
    x, w, _ = _data(49, n, c_in, length, c_out, c_in, k, np.float32)
    left, right = explicit_padding(padding, length, k, 1, dilation)
    l_out = length + left + right - dilation * (k - 1)
    g = _rng(50).standard_normal((n, c_out, l_out)).astype(np.float32)
    b_up = _rng(51).standard_normal(c_in).astype(np.float32)
    kw = dict(padding=padding, padding_mode=mode, flip=flip, dilation=dilation)
    if mode == "constant":
        kw["pad_value"] = -1.5
    previous = cc.get_num_threads()
    cc.set_num_threads(threads)
    try:
        auto = cc.conv1d_backward(g, x, w, **kw)
        direct = cc.conv1d_backward(g, x, w, method="direct", **kw)
        if mode in ("zeros", "constant") and not flip:
            up = cc.conv_transpose1d(g, w, b_up, padding=(left, right), dilation=dilation)
            up_direct = cc.conv_transpose1d(g, w, b_up, padding=(left, right),
                                            dilation=dilation, method="direct")
    finally:
        cc.set_num_threads(previous)
    wf = w[:, :, ::-1] if flip else w

    def grads(dtype):
        xs = torch.from_numpy(x.astype(dtype)).requires_grad_()
        xp = (F.pad(xs, (left, right), value=-1.5) if mode == "constant"
              else torch_pad(xs, left, right, mode))
        wt = torch.from_numpy(np.ascontiguousarray(wf, dtype=dtype)).requires_grad_()
        F.conv1d(xp, wt, dilation=dilation).backward(torch.from_numpy(g.astype(dtype)))
        dw = wt.grad.numpy()
        return xs.grad.numpy(), dw[:, :, ::-1] if flip else dw

    want_x, want_w = grads(np.float64)
    torch_x, torch_w = grads(np.float32)

    def check(got, ref, want):
        scale = float(np.abs(want).max())
        err = float(np.abs(got - want).max())
        bound = 4 * max(float(np.abs(ref - want).max()),
                        float(np.abs(torch_ref[id(want)] - want).max())) + 1e-6 * scale
        assert err <= bound, (err, bound, scale)

    torch_ref = {id(want_x): torch_x, id(want_w): torch_w}
    check(auto.input, direct.input, want_x)
    check(auto.weight, direct.weight, want_w)
    np.testing.assert_allclose(auto.bias, direct.bias, rtol=1e-5, atol=1e-4)
    # the routes did run (the weight gradient's for 3-5 taps, undilated)
    assert np.array_equal(auto.weight, direct.weight) == (dilation > 1 or k > 5)
    if mode == "zeros" and not flip:
        assert not np.array_equal(auto.input, direct.input)
    if mode in ("zeros", "constant") and not flip:
        want_up = F.conv_transpose1d(torch.from_numpy(g.astype(np.float64)),
                                     torch.from_numpy(w.astype(np.float64)),
                                     torch.from_numpy(b_up.astype(np.float64)),
                                     dilation=dilation).numpy()
        want_up = want_up[:, :, left:want_up.shape[2] - right]
        scale = float(np.abs(want_up).max())
        assert (float(np.abs(up - want_up).max())
                <= 4 * float(np.abs(up_direct - want_up).max()) + 1e-6 * scale)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", [
    # n, c_in, c_out, length, k, stride, padding, padding_mode: a kernel's span shorter
    # than the stride packs only the phases its taps read
    (8, 384, 16, 2048, 2, 4, 1, "zeros"),      # length blocks
    (16, 64, 128, 1024, 1, 2, 0, "zeros"),     # whole samples, one phase of two
    (4, 32, 48, 999, 3, 4, 2, "reflect"),
    (3, 16, 32, 1001, 2, 3, (1, 2), "circular"),
    (64, 32, 32, 12, 1, 3, 0, "zeros"),        # short outputs side by side
    (2, 8, 8, 20000, 2, 4, 1, "replicate"),    # a long signal in blocks
    (1, 128, 64, 4096, 3, 4, 1, "constant"),   # one sample split between threads
])
@pytest.mark.parametrize("threads", [1, 2])
def test_stride_past_the_kernel_span(case, dtype, threads):
    """Layers whose kernel span is shorter than the stride (a 1x1 shortcut at stride 2,
    2 taps at stride 4) against the float64 loops of the definition, every route."""
    n, c_in, c_out, length, k, stride, padding, mode = case
    x, w, b = _data(55, n, c_in, length, c_out, c_in, k, dtype)
    kw = dict(stride=stride, padding=padding, padding_mode=mode)
    if mode == "constant":
        kw["pad_value"] = 1.25
    previous = cc.get_num_threads()
    cc.set_num_threads(threads)
    try:
        got = cc.conv1d(x, w, b, **kw)
    finally:
        cc.set_num_threads(previous)
    want = conv1d_ref(x, w, b, **kw)
    assert got.shape == want.shape
    rtol, atol = _tolerance(dtype, c_in * k, np.abs(want).max())
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


def test_winograd_gradients_only_where_they_pay():
    """The gradients of a 3-tap layer of fewer than 128 channels keep the direct routes
    (their bits) under method="auto", though the forward takes the Winograd route."""
    from cconv1d import _forward
    for n, c_in, c_out, length, k in [(8, 64, 64, 1024, 3), (4, 96, 128, 1024, 3)]:
        x, w, _ = _data(52, n, c_in, length, c_out, c_in, k, np.float32)
        g = _rng(53).standard_normal((n, c_out, length)).astype(np.float32)
        assert _forward.forward_route(n, c_in, length, c_out, c_in, k, k // 2, k // 2,
                                      length, 1, 1, 1, 0, 4, 1, True) == "winograd"
        auto = cc.conv1d_backward(g, x, w, padding="same")
        direct = cc.conv1d_backward(g, x, w, padding="same", method="direct")
        np.testing.assert_array_equal(auto.weight, direct.weight)
        np.testing.assert_array_equal(auto.input, direct.input)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("case", [
    # n, c_in, c_out, length, k, padding, padding_mode: the pointwise calls by column
    # strips (128+ channels a point), V's chunk a whole or part-filled last strip
    (16, 128, 256, 150, 5, "same", "zeros"),        # the FCN's layer: 608 tiles
    (3, 128, 136, 701, 5, 2, "reflect"),             # a last tile of one output
    (4, 256, 128, 512, 3, 1, "replicate"),           # tiles of four, no tail
    (1, 128, 128, 2401, 3, "same", "circular"),      # one sample: segments at 2 threads
    (2, 128, 128, 1000, 4, (1, 2), "constant"),      # F(5, 4)
])
def test_winograd_strips_written_by_the_transforms(case, threads):
    """The input transforms write V as the pointwise call's column strips, which it
    reads in place: the same bits as V's rows packed into strips by that call (the
    layouts' only difference is who copies), and the route did run (not the direct
    route's bits)."""
    from cconv1d import _forward
    n, c_in, c_out, length, k, padding, mode = case
    x, w, b = _data(56, n, c_in, length, c_out, c_in, k, np.float32)
    kw = dict(padding=padding, padding_mode=mode)
    previous = cc.get_num_threads()
    cc.set_num_threads(threads)
    try:
        strips = cc.conv1d(x, w, b, **kw)
        was = _forward._set_winograd_prepacked(False)
        try:
            rows = cc.conv1d(x, w, b, **kw)
        finally:
            _forward._set_winograd_prepacked(was)
        direct = cc.conv1d(x, w, b, method="direct", **kw)
    finally:
        cc.set_num_threads(previous)
    np.testing.assert_array_equal(strips, rows)
    assert not np.array_equal(strips, direct)
    rtol, atol = _tolerance(np.float32, c_in * k, np.abs(direct).max())
    np.testing.assert_allclose(strips, direct, rtol=4 * rtol, atol=4 * atol)


def test_winograd_route_only_where_it_pays():
    """float64, strides, dilations, groups, other kernel sizes, few channels and few
    tiles keep the direct route under method="auto" (the same bits as
    method="direct")."""
    from cconv1d import _forward
    rng = _rng(48)
    for n, c_in, c_out, length, k, kw, dtype in [
            (4, 128, 128, 512, 3, {}, np.float64),
            (4, 128, 128, 512, 3, {"stride": 2}, np.float32),   # 2 taps a phase
            (4, 128, 128, 1024, 5, {"stride": 2}, np.float32),  # 0.6 of the products
            (4, 48, 128, 1024, 7, {"stride": 2}, np.float32),   # 96 phase channels
            (4, 128, 64, 1024, 7, {"stride": 2}, np.float32),   # 64 outputs
            (4, 64, 64, 1024, 3, {"dilation": 2}, np.float32),    # dilated: 128 channels
            (4, 96, 96, 1024, 5, {"dilation": 2}, np.float32),   # dilated F(4, 5): 128
            (4, 128, 128, 1024, 3, {"dilation": 2, "stride": 2}, np.float32),
            (16, 128, 128, 2048, 3, {"dilation": 300}, np.float32),  # 1/4 of tiles unused
            (4, 128, 128, 512, 3, {"groups": 2}, np.float32),
            (4, 128, 64, 512, 7, {}, np.float32),       # runs of taps: 128 outputs
            (4, 128, 128, 512, 2, {}, np.float32),
            (8, 64, 64, 1024, 4, {}, np.float32),       # F(5, 4): 128 channels
            (4, 48, 128, 512, 5, {}, np.float32),       # F(4, 5): 64 channels
            (4, 48, 128, 512, 3, {}, np.float32),
            (8, 256, 256, 16, 3, {}, np.float32),       # 8 x 4 tiles
            (4, 128, 128, 152, 3, {}, np.float32),      # 4 x 38 tiles: under 256
            (64, 128, 128, 18, 3, {}, np.float32),      # 256 tiles, 4 a sample
            (8, 64, 64, 152, 3, {}, np.float32),        # 304 tiles of 64 channels
    ]:
        x = rng.standard_normal((n, c_in, length)).astype(dtype)
        w = rng.standard_normal((c_out, c_in // kw.get("groups", 1), k)).astype(dtype)
        l_out = (length - kw.get("dilation", 1) * (k - 1) - 1) // kw.get("stride", 1) + 1
        assert _forward.forward_route(
            n, c_in, length, c_out, c_in // kw.get("groups", 1), k, 0, 0, l_out,
            kw.get("stride", 1), kw.get("dilation", 1), kw.get("groups", 1), 0,
            np.dtype(dtype).itemsize, 1, True) != "winograd"
        np.testing.assert_array_equal(cc.conv1d(x, w, **kw),
                                      cc.conv1d(x, w, method="direct", **kw))


@pytest.mark.parametrize("dtype", DTYPES)
def test_short_stream_chunks_side_by_side(dtype):
    """conv1d_stream's carried input (the left padding given) on a batch of short
    chunks, against one causal conv1d of the whole signal (float64 loops)."""
    x, w, b = _data(32, 6, 5, 12, 8, 5, 3, dtype)
    want = conv1d_ref(x, w, b, padding=(4, 0), dilation=2)
    parts, state = [], None
    for j0 in range(0, 12, 3):
        y, state = cc.conv1d_stream(x[:, :, j0:j0 + 3], w, b, dilation=2, state=state)
        parts.append(y)
    rtol, atol = _tolerance(dtype, 15, 20.0)
    np.testing.assert_allclose(np.concatenate(parts, axis=-1), want, rtol=rtol, atol=atol)


def test_short_outputs_of_a_wide_layer_side_by_side():
    """Outputs wider than a unit's budget (70000 channels of 4 outputs: 1.1 MB of
    output scratch a sample) still go side by side, a few samples a unit; forward
    and input gradient against torch's float64 conv1d and autograd."""
    rng = _rng(77)
    x = rng.standard_normal((6, 16, 4)).astype(np.float32)
    w = rng.standard_normal((70000, 16, 1)).astype(np.float32)
    g = rng.standard_normal((6, 70000, 4)).astype(np.float32)
    xt = torch.from_numpy(x).double().requires_grad_()
    want = F.conv1d(xt, torch.from_numpy(w).double())
    want.backward(torch.from_numpy(g).double())
    np.testing.assert_allclose(cc.conv1d(x, w), want.detach().numpy(), rtol=1e-5,
                               atol=1e-5 * 4)
    got = cc.conv1d_backward(g, x, w, needs="input").input
    np.testing.assert_allclose(got, xt.grad.numpy(), rtol=1e-5,
                               atol=1e-5 * np.abs(xt.grad.numpy()).max())
