"""Tests for ``cconv1d.conv1d_backward`` (API.md §2 adjoint of padding, §4).

Oracles, none of them cconv1d:

* PyTorch autograd through ``F.pad`` + ``F.conv1d`` for every combination PyTorch
  supports (zeros / reflect / replicate / circular padding, stride, dilation, groups,
  bias, flip via ``weight.flip(-1)``, the padding words mapped to explicit widths);
* central finite differences of ``numpy.pad`` / ``pywt.pad`` + ``F.conv1d`` for the
  modes PyTorch lacks, and for reflect / wrap wider than the signal;
* the adjoint identity ``<conv1d(x), g> == <x, conv1d_backward(g).input>`` for every
  linear mode.
"""

import itertools
import zlib

import numpy as np
import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st

import cconv1d as cc
from oracles_conv import conv1d_out_length, conv1d_torch, explicit_padding
from oracles_grad import fd_conv1d_grads, float32_bound, torch_conv1d_grads
from oracles_padding import ALL_PADDING_MODES, TORCH_PAD_MODES, pad_last

#: every padding mode PyTorch has (aliases too): the one table of oracles_padding
TORCH_MODES = tuple(TORCH_PAD_MODES)
PADDING_KINDS = ("int", "pair", "valid", "same", "causal", "full")


def _data(rng, n, c_in, c_out, groups, k, length, bias, batched=True):
    shape = (n, c_in, length) if batched else (c_in, length)
    x = rng.standard_normal(shape)
    w = rng.standard_normal((c_out, c_in // groups, k))
    b = rng.standard_normal(c_out) if bias else None
    return x, w, b


def _our_grads(g, x, w, b, **kw):
    y = cc.conv1d(x, w, b, **kw)
    grads = cc.conv1d_backward(g, x, w, bias=b is not None, **kw)
    return y, grads


def _check_vs_torch(x, w, b, *, stride, padding, dilation, groups, mode, flip, rng,
                    dtype=np.float64):
    """Compare cconv1d's forward and all gradients with torch autograd.

    float64: tight tolerance. float32: the inputs are rounded to float32, the reference
    is float64 autograd on the rounded values, and the tolerance is the summation error
    bound ``(n + 2) * eps32 * sum|terms|`` of every entry.
    """
    length = x.shape[-1]
    k = w.shape[-1]
    left, right = explicit_padding(padding, length, k, stride, dilation)
    l_out = conv1d_out_length(length, k, stride, dilation, left, right)
    assert l_out >= 1
    n = x.shape[0] if x.ndim == 3 else 1
    c_out = w.shape[0]
    gshape = (n, c_out, l_out) if x.ndim == 3 else (c_out, l_out)
    g = rng.standard_normal(gshape)
    if dtype == np.float32:
        x, w, g = (a.astype(np.float32) for a in (x, w, g))
        b = None if b is None else b.astype(np.float32)
    kw = dict(stride=stride, padding=padding, dilation=dilation, groups=groups,
              padding_mode=mode, flip=flip)
    y, grads = _our_grads(g, x, w, b, **kw)
    tkw = dict(stride=stride, padding=(left, right), dilation=dilation, groups=groups,
               padding_mode=mode, flip=flip)
    ry, rdx, rdw, rdb = torch_conv1d_grads(x.astype(np.float64), w.astype(np.float64),
                                           None if b is None else b.astype(np.float64),
                                           g.astype(np.float64), **tkw)
    assert y.dtype == dtype and grads.input.dtype == dtype and grads.weight.dtype == dtype
    assert y.shape == ry.shape
    assert grads.input.shape == x.shape
    assert grads.weight.shape == w.shape
    if b is None:
        assert grads.bias is None
    else:
        assert grads.bias.dtype == dtype and grads.bias.shape == b.shape
    pairs = [("y", y, ry), ("dx", grads.input, rdx), ("dw", grads.weight, rdw)]
    if b is not None:
        pairs.append(("db", grads.bias, rdb))
    if dtype == np.float64:
        for name, ours, ref in pairs:
            np.testing.assert_allclose(ours, ref, rtol=1e-10, atol=1e-10, err_msg=name)
    else:
        folds = 1 + (left + right) // max(length, 1) + 1
        n_terms = max(n * l_out, (c_out // groups) * k * folds * (length + left + right),
                      (x.shape[-2] // groups) * k + 1)
        bounds = float32_bound(x.astype(np.float64), w.astype(np.float64),
                               None if b is None else b.astype(np.float64),
                               g.astype(np.float64), n_terms, **tkw)
        for (name, ours, ref), bound in zip(pairs, bounds):
            err = np.abs(ours.astype(np.float64) - ref)
            assert np.all(err <= bound), (
                f"{name}: float32 error {err.max():.3g} exceeds bound at "
                f"{np.unravel_index(np.argmax(err - bound), err.shape)}")


# --------------------------------------------------------------------------
# 1. Gradients vs torch autograd
# --------------------------------------------------------------------------

@st.composite
def torch_cases(draw):
    groups = draw(st.integers(1, 3))
    c_in = groups * draw(st.integers(1, 3))
    c_out = groups * draw(st.integers(1, 3))
    k = draw(st.integers(1, 5))
    stride = draw(st.integers(1, 3))
    dilation = draw(st.integers(1, 3))
    mode = draw(st.sampled_from(TORCH_MODES))
    kind = draw(st.sampled_from(PADDING_KINDS))
    span = dilation * (k - 1)
    if TORCH_PAD_MODES[mode] in ("reflect", "circular"):
        # The padding words then never pad more than the span < L.
        length = draw(st.integers(span + 1, span + 12))
    else:
        length = draw(st.integers(1, span + 12))
    max_width = {"reflect": length - 1, "circular": length}.get(TORCH_PAD_MODES[mode],
                                                               2 * length + 3)
    if kind == "int":
        padding = draw(st.integers(0, max_width))
    elif kind == "pair":
        padding = (draw(st.integers(0, max_width)), draw(st.integers(0, max_width)))
    else:
        padding = kind
    left, right = explicit_padding(padding, length, k, stride, dilation)
    assume(conv1d_out_length(length, k, stride, dilation, left, right) >= 1)
    batched = draw(st.booleans())
    n = draw(st.integers(1, 3)) if batched else 1
    return dict(groups=groups, c_in=c_in, c_out=c_out, k=k, stride=stride,
                dilation=dilation, mode=mode, padding=padding, length=length, n=n,
                batched=batched, bias=draw(st.booleans()), flip=draw(st.booleans()),
                dtype=draw(st.sampled_from([np.float64, np.float32])),
                seed=draw(st.integers(0, 2**32 - 1)))


@given(torch_cases())
def test_gradients_match_torch_autograd_property(case):
    rng = np.random.default_rng(case["seed"])
    x, w, b = _data(rng, case["n"], case["c_in"], case["c_out"], case["groups"], case["k"],
                    case["length"], case["bias"], case["batched"])
    _check_vs_torch(x, w, b, stride=case["stride"], padding=case["padding"],
                    dilation=case["dilation"], groups=case["groups"], mode=case["mode"],
                    flip=case["flip"], rng=rng, dtype=case["dtype"])


def _grid_padding(kind, mode, length):
    cap = {"reflect": length - 1, "circular": length}.get(TORCH_PAD_MODES[mode], 10 ** 9)
    if kind == "int":
        return min(3, cap)
    if kind == "pair":
        return (min(1, cap), min(4, cap))
    return kind


@pytest.mark.parametrize("dilation", [1, 2, 3])
@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("kind", PADDING_KINDS)
@pytest.mark.parametrize("mode", TORCH_MODES)
def test_gradients_match_torch_autograd_grid(mode, kind, stride, dilation):
    rng = np.random.default_rng([stride, dilation, PADDING_KINDS.index(kind),
                                 TORCH_MODES.index(mode)])
    k = 3
    length = dilation * (k - 1) + 7
    padding = _grid_padding(kind, mode, length)
    for groups, bias, flip in itertools.product((1, 2, 3), (True, False), (False, True)):
        x, w, b = _data(rng, 2, 2 * groups, 3 * groups, groups, k, length, bias)
        _check_vs_torch(x, w, b, stride=stride, padding=padding, dilation=dilation,
                        groups=groups, mode=mode, flip=flip, rng=rng)


@pytest.mark.parametrize("kind", PADDING_KINDS)
@pytest.mark.parametrize("mode", TORCH_MODES)
def test_gradients_float32_match_torch_grid(mode, kind):
    rng = np.random.default_rng([TORCH_MODES.index(mode), PADDING_KINDS.index(kind)])
    for stride, dilation, groups in [(1, 1, 1), (2, 1, 2), (3, 2, 1), (1, 3, 3), (2, 2, 2)]:
        k = 4
        length = dilation * (k - 1) + 9
        padding = _grid_padding(kind, mode, length)
        x, w, b = _data(rng, 3, 2 * groups, 2 * groups, groups, k, length, True)
        _check_vs_torch(x, w, b, stride=stride, padding=padding, dilation=dilation,
                        groups=groups, mode=mode, flip=stride == 2, rng=rng,
                        dtype=np.float32)


def test_same_padding_puts_odd_sample_on_the_right():
    # TensorFlow's SAME with stride 2 (PyTorch refuses it): L=11, K=4 -> L_out = 6,
    # total = 5*2 + 3 + 1 - 11 = 3 = 1 + 2.
    rng = np.random.default_rng(0)
    x, w, _ = _data(rng, 1, 1, 1, 1, 4, 11, False)
    assert explicit_padding("same", 11, 4, 2, 1) == (1, 2)
    assert cc.conv1d(x, w, stride=2, padding="same").shape == (1, 1, 6)
    _check_vs_torch(x, w, None, stride=2, padding="same", dilation=1, groups=1,
                    mode="zeros", flip=False, rng=rng)


# --------------------------------------------------------------------------
# 2. Central finite differences for the modes PyTorch lacks
# --------------------------------------------------------------------------

# (padding_mode, pad_value)
FD_MODES = [
    ("constant", 1.7),
    ("constant", -0.6),
    ("symmetric", 0.0),
    ("mean", 0.0),
    ("median", 0.0),
    ("minimum", 0.0),
    ("maximum", 0.0),
    ("linear_ramp", -0.8),
    ("linear_ramp", 0.0),
    ("antisymmetric", 0.0),
    ("antireflect", 0.0),
    ("smooth", 0.0),
    ("reflect", 0.0),
    ("wrap", 0.0),
    ("edge", 0.0),
]

# id: (N, groups, C_in, C_out, K, L, stride, dilation, padding, flip, bias)
FD_GEOMETRIES = {
    "plain": (2, 1, 2, 2, 3, 5, 1, 1, (2, 3), False, True),
    "same-strided-grouped": (2, 2, 2, 4, 3, 6, 2, 2, "same", True, True),
    "wider-than-signal": (1, 1, 2, 2, 2, 4, 1, 1, (7, 9), False, True),
    "full-dilated": (2, 1, 1, 2, 3, 5, 3, 3, "full", True, False),
    "causal-unbatched": (None, 1, 2, 3, 3, 4, 1, 2, "causal", False, True),
    "even-length-very-wide": (1, 1, 1, 1, 2, 2, 1, 1, (5, 4), False, True),
}


def _distinct_values(rng, shape):
    """Random values with no ties (gaps >> the finite-difference step)."""
    count = int(np.prod(shape))
    values = (rng.permutation(count) - count / 2) * 0.37 + rng.uniform(0, 0.05, count)
    return values.reshape(shape)


@pytest.mark.parametrize("geometry", list(FD_GEOMETRIES))
@pytest.mark.parametrize("mode,pad_value", FD_MODES)
def test_gradients_match_finite_differences(mode, pad_value, geometry):
    n, groups, c_in, c_out, k, length, stride, dilation, padding, flip, bias = \
        FD_GEOMETRIES[geometry]
    rng = np.random.default_rng(zlib.crc32(f"{mode}/{pad_value}/{geometry}".encode()))
    xshape = (c_in, length) if n is None else (n, c_in, length)
    x = _distinct_values(rng, xshape)
    w = rng.standard_normal((c_out, c_in // groups, k))
    b = rng.standard_normal(c_out) if bias else None
    left, right = explicit_padding(padding, length, k, stride, dilation)
    l_out = conv1d_out_length(length, k, stride, dilation, left, right)
    g = rng.standard_normal(xshape[:-2] + (c_out, l_out))
    kw = dict(stride=stride, dilation=dilation, groups=groups, padding_mode=mode,
              pad_value=pad_value, flip=flip)

    ours_y = cc.conv1d(x, w, b, padding=padding, **kw)
    ours = cc.conv1d_backward(g, x, w, bias=bias, padding=padding, **kw)
    ref_y, _ = conv1d_torch(x, w, b, padding=(left, right), **kw)
    np.testing.assert_allclose(ours_y, ref_y, rtol=1e-12, atol=1e-12, err_msg="forward")
    dx, dw, db = fd_conv1d_grads(x, w, b, g, eps=1e-6, padding=(left, right), **kw)
    np.testing.assert_allclose(ours.input, dx, rtol=1e-6, atol=1e-6, err_msg="dL/dx")
    np.testing.assert_allclose(ours.weight, dw, rtol=1e-6, atol=1e-6, err_msg="dL/dW")
    if bias:
        np.testing.assert_allclose(ours.bias, db, rtol=1e-6, atol=1e-6, err_msg="dL/db")
    else:
        assert ours.bias is None


@pytest.mark.parametrize("mode", ["median", "minimum", "maximum"])
def test_statistic_modes_gradient_goes_to_the_chosen_samples(mode):
    # A hand-checkable case: one channel, K=1 weight 1, pad 2 on the left only.
    x = np.array([[[3.0, -1.0, 4.0, 1.5, 9.0]]])
    w = np.ones((1, 1, 1))
    g = np.zeros((1, 1, 7))
    g[..., :2] = [10.0, 20.0]                      # only the padded outputs
    dx = cc.conv1d_backward(g, x, w, padding=(2, 0), padding_mode=mode,
                            needs=("input",)).input
    expected = np.zeros_like(x)
    chosen = {"median": 0, "minimum": 1, "maximum": 4}[mode]   # median(x) = 3.0 = x[0]
    expected[..., chosen] = 30.0
    np.testing.assert_allclose(dx, expected)


# --------------------------------------------------------------------------
# 3. Adjoint identity for every linear mode
# --------------------------------------------------------------------------

LINEAR_MODES = [("zeros", 0.0), ("constant", 0.0), ("edge", 0.0), ("replicate", 0.0),
                ("reflect", 0.0), ("symmetric", 0.0), ("wrap", 0.0), ("circular", 0.0),
                ("mean", 0.0), ("linear_ramp", 0.0), ("antisymmetric", 0.0),
                ("antireflect", 0.0), ("smooth", 0.0)]

# (N, groups, C_in, C_out, K, L, stride, dilation, padding)
ADJOINT_GEOMETRIES = [
    (2, 1, 1, 1, 3, 8, 1, 1, 2),
    (3, 2, 4, 2, 4, 11, 2, 2, (3, 5)),
    (1, 3, 3, 6, 5, 7, 3, 1, "same"),
    (2, 1, 2, 3, 3, 5, 1, 3, "full"),            # widths 6 > L = 5
    (1, 1, 2, 2, 2, 3, 2, 1, (10, 13)),          # several times the signal
    (2, 1, 1, 2, 3, 1, 1, 1, "causal"),          # one-sample signal
]


def _adjoint_check(x, w, g, **kw):
    y = cc.conv1d(x, w, None, **kw)
    dx = cc.conv1d_backward(g, x, w, bias=False, needs=("input",), **kw).input
    lhs = float(np.sum(y * g))
    rhs = float(np.sum(x * dx))
    scale = float(np.sum(np.abs(y * g)) + np.sum(np.abs(x * dx))) + 1.0
    assert abs(lhs - rhs) <= 1e-11 * scale, (lhs, rhs)


@pytest.mark.parametrize("flip", [False, True])
@pytest.mark.parametrize("geometry", range(len(ADJOINT_GEOMETRIES)))
@pytest.mark.parametrize("mode,pad_value", LINEAR_MODES)
def test_adjoint_identity(mode, pad_value, geometry, flip):
    n, groups, c_in, c_out, k, length, stride, dilation, padding = \
        ADJOINT_GEOMETRIES[geometry]
    rng = np.random.default_rng(geometry * 7 + len(mode))
    x = rng.standard_normal((n, c_in, length))
    w = rng.standard_normal((c_out, c_in // groups, k))
    left, right = explicit_padding(padding, length, k, stride, dilation)
    l_out = conv1d_out_length(length, k, stride, dilation, left, right)
    g = rng.standard_normal((n, c_out, l_out))
    _adjoint_check(x, w, g, stride=stride, padding=padding, dilation=dilation,
                   groups=groups, padding_mode=mode, pad_value=pad_value, flip=flip)


@given(mode=st.sampled_from([m for m, _ in LINEAR_MODES]),
       groups=st.integers(1, 2), k=st.integers(1, 4), stride=st.integers(1, 3),
       dilation=st.integers(1, 3), length=st.integers(1, 9),
       left=st.integers(0, 20), right=st.integers(0, 20), seed=st.integers(0, 2**32 - 1))
def test_adjoint_identity_property(mode, groups, k, stride, dilation, length, left, right,
                                   seed):
    assume(conv1d_out_length(length, k, stride, dilation, left, right) >= 1)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, 2 * groups, length))
    w = rng.standard_normal((2 * groups, 2, k))
    l_out = conv1d_out_length(length, k, stride, dilation, left, right)
    g = rng.standard_normal((2, 2 * groups, l_out))
    _adjoint_check(x, w, g, stride=stride, padding=(left, right), dilation=dilation,
                   groups=groups, padding_mode=mode)


# --------------------------------------------------------------------------
# 4. needs=, bias=False and errors
# --------------------------------------------------------------------------

NAMES = ("input", "weight", "bias")


@pytest.mark.parametrize("needs", [subset for r in range(4)
                                   for subset in itertools.combinations(NAMES, r)])
@pytest.mark.parametrize("bias", [True, False])
def test_needs_subsets(needs, bias):
    rng = np.random.default_rng(3)
    x, w, b = _data(rng, 2, 4, 6, 2, 3, 9, bias)
    g = rng.standard_normal((2, 6, 5))
    kw = dict(stride=2, padding=1, dilation=1, groups=2, padding_mode="reflect")
    grads = cc.conv1d_backward(g, x, w, bias=bias, needs=needs, **kw)
    assert isinstance(grads, tuple) and grads._fields == NAMES
    _, rdx, rdw, rdb = torch_conv1d_grads(x, w, b, g, stride=2, padding=(1, 1),
                                          groups=2, padding_mode="reflect")
    refs = {"input": rdx, "weight": rdw, "bias": rdb}
    for name in NAMES:
        value = getattr(grads, name)
        if name not in needs or (name == "bias" and not bias):
            assert value is None, name
        else:
            np.testing.assert_allclose(value, refs[name], rtol=1e-10, atol=1e-10,
                                       err_msg=name)


def test_needs_as_list_and_bias_default():
    rng = np.random.default_rng(4)
    x, w, b = _data(rng, 1, 1, 2, 1, 2, 5, True)
    g = rng.standard_normal((1, 2, 4))
    grads = cc.conv1d_backward(g, x, w, needs=["bias"])
    assert grads.input is None and grads.weight is None
    np.testing.assert_allclose(grads.bias, g.sum(axis=(0, 2)), rtol=1e-12)


@pytest.mark.parametrize("gshape", [(2, 3, 6), (2, 3, 8), (2, 4, 7), (1, 3, 7), (3, 7),
                                    (2, 3, 7, 1)])
def test_grad_output_wrong_shape(gshape):
    x = np.zeros((2, 2, 9))
    w = np.zeros((3, 2, 3))             # output (2, 3, 7)
    with pytest.raises(ValueError, match="grad_output"):
        cc.conv1d_backward(np.zeros(gshape), x, w)


def test_grad_output_unbatched_shape():
    x = np.zeros((2, 9))
    w = np.zeros((3, 2, 3))
    grads = cc.conv1d_backward(np.ones((3, 7)), x, w)
    assert grads.input.shape == (2, 9) and grads.weight.shape == (3, 2, 3)
    with pytest.raises(ValueError, match="grad_output"):
        cc.conv1d_backward(np.ones((1, 3, 7)), x, w)


@pytest.mark.parametrize("needs", [("inputs",), ("input", "grad"), ("x",), ("Weight",)])
def test_needs_unknown_name(needs):
    x = np.zeros((1, 1, 5))
    w = np.zeros((1, 1, 2))
    with pytest.raises(ValueError, match=r"^needs\b") as info:
        cc.conv1d_backward(np.zeros((1, 1, 4)), x, w, needs=needs)
    message = str(info.value)
    assert "needs" in message
    bad = [name for name in needs if name not in NAMES][0]
    assert bad in message


# --------------------------------------------------------------------------
# 5. float32 weight-gradient accuracy on a large reduction
# --------------------------------------------------------------------------

def test_float32_weight_gradient_large_reduction():
    n, c, length, k = 16, 4, 20000, 5
    rng = np.random.default_rng(2024)
    # A positive mean makes the sums large and long: the hard case for float32 sums.
    x = (rng.standard_normal((n, c, length)) + 1.0).astype(np.float32)
    w = rng.standard_normal((c, c, k)).astype(np.float32)
    g = (rng.standard_normal((n, c, length - k + 1)) + 0.5).astype(np.float32)

    def torch_dw(dtype):
        xt = torch.tensor(x, dtype=dtype)
        wt = torch.tensor(w, dtype=dtype, requires_grad=True)
        y = torch.nn.functional.conv1d(xt, wt)
        y.backward(torch.tensor(g, dtype=dtype))
        return wt.grad.numpy().astype(np.float64)

    reference = torch_dw(torch.float64)
    theirs = torch_dw(torch.float32)
    ours = cc.conv1d_backward(g, x, w, needs=("weight",)).weight
    assert ours.dtype == np.float32
    scale = np.abs(reference).max()
    our_err = np.abs(ours.astype(np.float64) - reference).max() / scale
    torch_err = np.abs(theirs - reference).max() / scale
    print(f"\nfloat32 dW relative error (max-abs / max-abs): cconv1d {our_err:.3e}, "
          f"torch {torch_err:.3e}")
    assert our_err <= max(10 * torch_err, 1e-5)


# --------------------------------------------------------------------------
# 6. The weight gradient of layers with many output channels per group
# --------------------------------------------------------------------------
# Groups of at least two vectors of output channels and 24 or more (c, k) pairs take
# the wgemm kernel (dy transposed, vectors over output channels) on the paths that
# enable it (AVX-512; AVX2 for samples of up to 768 outputs, or any with K < 3; the
# others keep wgrad, and
# the C harness checks their wgemm). The
# shapes below are written in vectors of the active path: the threshold itself, channel counts off the vectors, pair counts off the tile, several
# chunks of positions, concatenated short samples, long samples in length blocks, groups,
# and more channels than one chunk's panels hold at the full chunk length.

def _lanes(dtype):
    from cconv1d import _kernels
    d = next(d for d in _kernels.descriptors() if d["name"] == _kernels.simd_path())
    return d["float32_lanes"] // (2 if np.dtype(dtype) == np.float64 else 1)


# (n, c_in, (vectors, extra) output channels per group, k, stride, dilation, groups,
#  length, padding, mode)
WGEMM_CASES = [
    (2, 8, (2, 0), 3, 1, 1, 1, 40, 1, "zeros"),
    (3, 9, (2, 1), 3, 2, 2, 1, 300, "same", "reflect"),
    (2, 10, (3, 5), 4, 1, 3, 1, 1100, "full", "circular"),
    (2, 24, (4, -3), 2, 1, 1, 2, 200, "causal", "replicate"),
    (1, 6, (16, 1), 5, 3, 1, 1, 700, 3, "zeros"),
    (2, 12, (5, 2), 3, 1, 1, 3, 90, "same", "wrap"),
    # unstrided samples too long to concatenate: read where they are
    (2, 32, (3, 1), 1, 1, 1, 1, 1300, 0, "zeros"),
    (1, 20, (2, 3), 3, 1, 2, 2, 700, "valid", "reflect"),
    # long samples of K = 2 (wgemm past AVX2's 768 outputs: fewer taps than its tile's)
    (2, 16, (2, 2), 2, 1, 8, 1, 2000, "causal", "zeros"),
    # more pairs than one tile of the transposing epilogue (64), channels off its 16
    (2, 20, (3, 3), 5, 1, 1, 1, 120, "same", "zeros"),
    (2, 24, (2, 7), 3, 2, 2, 1, 90, "same", "reflect"),
    # short strided samples of two groups, concatenated
    (3, 8, (2, 5), 3, 2, 1, 2, 50, "same", "zeros"),
    # short samples whose padding would leave most of a concatenated segment empty
    (2, 6, (2, 1), 11, 1, 4, 1, 30, "same", "zeros"),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", WGEMM_CASES, ids=lambda c: f"{c[1]}x{c[2]}k{c[3]}")
def test_wide_layer_gradients_match_torch(case, dtype):
    n, c_in, (vec, extra), k, stride, dilation, groups, length, padding, mode = case
    c_out = groups * (vec * _lanes(dtype) + extra)
    rng = np.random.default_rng(zlib.crc32(repr(case).encode()))
    x, w, b = _data(rng, n, c_in, c_out, groups, k, length, True)
    _check_vs_torch(x, w, b, stride=stride, padding=padding, dilation=dilation,
                    groups=groups, mode=mode, flip=stride == 2, rng=rng, dtype=dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_wide_layer_weight_gradient_of_long_samples(dtype):
    """A sample whose packed channels exceed the workspace's 4 MiB is computed a length
    block at a time; the blocks must add up to the whole sum."""
    itemsize = np.dtype(dtype).itemsize
    c_in, k = 8, 3
    length = (5 << 20) // (c_in * itemsize)
    c_out = 2 * _lanes(dtype)
    rng = np.random.default_rng(11)
    x = rng.standard_normal((1, c_in, length)).astype(dtype)
    w = rng.standard_normal((c_out, c_in, k)).astype(dtype)
    g = rng.standard_normal((1, c_out, length)).astype(dtype)
    ours = cc.conv1d_backward(g, x, w, padding=1, needs=("weight",)).weight
    ref = torch_conv1d_grads(x.astype(np.float64), w.astype(np.float64), None,
                             g.astype(np.float64), padding=(1, 1))[2]
    # float32: each entry sums `length` products, in float32 per chunk of 1024 or fewer
    # positions and in float64 across chunks
    tol = 1e-10 if dtype == np.float64 else 2e-4 * np.sqrt(length)
    np.testing.assert_allclose(ours, ref, rtol=0, atol=tol)


def _assert_weight_gradient_thread_invariant(g, x, w, kw, needs=("weight",)):
    """The gradients ``needs`` bit for bit the same at 1, 2, 3 and 5 threads; returns
    the call's result at one thread."""
    results = []
    try:
        for threads in (1, 2, 3, 5):
            cc.set_num_threads(threads)
            results.append(cc.conv1d_backward(g, x, w, needs=needs, **kw))
    finally:
        cc.set_num_threads(None)
    for r in results[1:]:
        for name in needs:
            np.testing.assert_array_equal(getattr(r, name), getattr(results[0], name))
    return results[0]


@pytest.mark.parametrize("wide", [True, False], ids=["wgemm", "wgrad"])
def test_long_sample_weight_gradient_parts(wide):
    """Samples long enough to be packed by length blocks are summed in up to four parts
    of blocks, each with its own accumulators, added in order: threads share a sample
    by parts. Against torch in float64 (two samples, reflect padding: the edges are
    made once per part), and bit for bit the same at 1, 2, 3 and 5 threads (float64
    shows a changed order of the float64 sums, which float32's rounding would hide)."""
    import torch
    c_in, k, dilation = 8, 3, 3
    c_out = 2 * _lanes(np.float32) if wide else 5
    rng = np.random.default_rng(12)
    for dtype in (np.float64, np.float32):
        length = (3 << 20) // (c_in * np.dtype(dtype).itemsize)
        x = rng.standard_normal((2, c_in, length)).astype(dtype)
        w = rng.standard_normal((c_out, c_in, k)).astype(dtype)
        kw = dict(padding="same", dilation=dilation, padding_mode="reflect")
        g = rng.standard_normal((2, c_out, length)).astype(dtype)
        if dtype == np.float64:
            xt = torch.from_numpy(x).requires_grad_(True)
            wt = torch.from_numpy(w).requires_grad_(True)
            pad = dilation * (k - 1) // 2
            y = torch.nn.functional.conv1d(
                torch.nn.functional.pad(xt, (pad, pad), mode="reflect"), wt,
                dilation=dilation)
            y.backward(torch.from_numpy(g))
            ours = cc.conv1d_backward(g, x, w, needs=("weight",), **kw).weight
            np.testing.assert_allclose(ours, wt.grad.numpy(), rtol=0, atol=1e-9)
        _assert_weight_gradient_thread_invariant(g, x, w, kw)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", WGEMM_CASES[:5], ids=lambda c: f"{c[1]}x{c[2]}k{c[3]}")
def test_wide_layer_weight_gradient_does_not_depend_on_threads(case, dtype):
    n, c_in, (vec, extra), k, stride, dilation, groups, length, padding, mode = case
    c_out = groups * (vec * _lanes(dtype) + extra)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((n, c_in, length)).astype(dtype)
    w = rng.standard_normal((c_out, c_in // groups, k)).astype(dtype)
    kw = dict(stride=stride, padding=padding, dilation=dilation, groups=groups,
              padding_mode=mode)
    g = rng.standard_normal(cc.conv1d(x, w, **kw).shape).astype(dtype)
    _assert_weight_gradient_thread_invariant(g, x, w, kw)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("bad", [np.inf, np.nan])
def test_wide_layer_weight_gradient_keeps_nonfinite_where_it_belongs(dtype, bad):
    rng = np.random.default_rng(8)
    c_out = 2 * _lanes(dtype) + 3
    x = rng.standard_normal((5, 8, 40)).astype(dtype)
    w = rng.standard_normal((c_out, 8, 4)).astype(dtype)
    g = rng.standard_normal((5, c_out, 37)).astype(dtype)
    x[3, 5, 39] = bad         # the last sample of a row: only tap 3 of output 36 sees it
    ours = cc.conv1d_backward(g, x, w, bias=None, needs=("weight",)).weight
    ref = torch_conv1d_grads(x.astype(np.float64), w.astype(np.float64), None,
                             g.astype(np.float64))[2]
    _same_nonfinite(ours, ref, dtype)
    # samples long enough not to be concatenated, read in place
    x = rng.standard_normal((2, 8, 900)).astype(dtype)
    g = rng.standard_normal((2, c_out, 897)).astype(dtype)
    x[1, 2, 0] = bad          # the first sample of a row: only tap 0 sees it
    ours = cc.conv1d_backward(g, x, w, bias=None, needs=("weight",)).weight
    ref = torch_conv1d_grads(x.astype(np.float64), w.astype(np.float64), None,
                             g.astype(np.float64))[2]
    _same_nonfinite(ours, ref, dtype)


# Unstrided wgemm layers read their samples where they are; the outputs next to the
# padding are gathered as columns (xp[c, j + k*d] per pair), several samples' a call.
# Calls of fewer than 65536 input samples are packed instead: the lengths below reach
# it.
# (n, c_in, k, dilation, (left, right), mode)
IN_PLACE_CASES = [
    (20, 6, 9, 1, (4, 4), "reflect"),      # 8 gathered outputs a sample: 3 calls
    (3, 8, 3, 2, (7, 0), "constant"),      # more padding than the kernel spans
    (4, 6, 4, 3, (0, 9), "median"),
    (2, 12, 2, 40, (40, 40), "circular"),
    (9, 5, 5, 1, (2, 2), "antisymmetric"),
    (1, 8, 3, 1, (1, 1), "linear_ramp"),
]


def _weight_grad_reference(x, g, k, dilation, left, right, mode, groups, value):
    """dW of conv1d by its equation in float64, on ``pad_last``'s padding."""
    with np.errstate(invalid="ignore"):
        xp = pad_last(x, left, right, mode, value)
        c_pg, o_pg, l_out = x.shape[1] // groups, g.shape[1] // groups, g.shape[2]
        return np.concatenate([np.stack(
            [np.einsum("nol,ncl->oc", g[:, b * o_pg:(b + 1) * o_pg].astype(np.float64),
                       xp[:, b * c_pg:(b + 1) * c_pg, j * dilation:j * dilation + l_out])
             for j in range(k)], axis=-1) for b in range(groups)])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kind", ["wgemm", "wgrad", "depthwise"])
@pytest.mark.parametrize("case", IN_PLACE_CASES, ids=lambda c: f"{c[5]}{c[4]}")
def test_padded_layer_weight_gradient_read_in_place(case, kind, dtype):
    """dW of padded, unstrided layers, with enough output channels for wgemm (read in
    place), with few (wgrad), and depthwise (wgrad, a group per channel, two outputs
    each; both packed): against the equation in float64 on numpy's (or PyWavelets')
    padding, with a non-finite sample at a row's start (inside the gathered columns on
    wgemm) in one variant, and bit for bit the same at 1, 2, 3 and 5 threads."""
    n, c_in, k, dilation, (left, right), mode = case
    groups = c_in if kind == "depthwise" else 1
    c_out = {"wgemm": 2 * _lanes(dtype) + 1, "wgrad": 5, "depthwise": 2 * c_in}[kind]
    rng = np.random.default_rng(zlib.crc32(repr((case, kind)).encode()))
    length = max(300, -(-65536 // (n * c_in)))
    l_out = length + left + right - (k - 1) * dilation
    x = rng.standard_normal((n, c_in, length)).astype(dtype)
    w = rng.standard_normal((c_out, c_in // groups, k)).astype(dtype)
    g = rng.standard_normal((n, c_out, l_out)).astype(dtype)
    kw = dict(padding=(left, right), dilation=dilation, padding_mode=mode, pad_value=2.5,
              groups=groups)
    for bad in (None, np.inf):
        if bad is not None:
            x[n // 2, 1, 0] = bad
        ours = cc.conv1d_backward(g, x, w, needs=("weight",), method="direct", **kw).weight
        ref = _weight_grad_reference(x, g, k, dilation, left, right, mode, groups, 2.5)
        np.testing.assert_array_equal(np.isnan(ours), np.isnan(ref))
        np.testing.assert_array_equal(np.isinf(ours), np.isinf(ref))
        finite = np.isfinite(ref)
        scale = np.abs(ref[finite]).max()
        np.testing.assert_allclose(ours[finite], ref[finite], rtol=0,
                                   atol=(1e-12 if dtype == np.float64 else 4e-6) * scale)
    _assert_weight_gradient_thread_invariant(g, x, w, dict(kw, method="direct"))


def _same_nonfinite(ours, ref, dtype):
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(ref))
    np.testing.assert_array_equal(np.isinf(ours), np.isinf(ref))
    finite = np.isfinite(ref)
    assert finite.sum() > 0 and not finite.all()
    np.testing.assert_allclose(ours[finite], ref[finite],
                               rtol=1e-4 if dtype == np.float32 else 1e-10, atol=1e-4)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_weight_gradient_of_short_samples_keeps_nonfinite_where_it_belongs(dtype, bad):
    """Short samples are concatenated for the weight gradient; a non-finite sample must
    reach only the dW entries whose products include it, exactly as the per-position
    sum (PyTorch's autograd, float64) does, never through the zero gaps between samples."""
    rng = np.random.default_rng(7)
    x = rng.standard_normal((6, 3, 40)).astype(dtype)
    w = rng.standard_normal((4, 3, 5)).astype(dtype)
    g = rng.standard_normal((6, 4, 36)).astype(dtype)
    x[2, 1, 0] = bad          # the first sample of a row: only tap 0 of output 0 sees it
    ours = cc.conv1d_backward(g, x, w, bias=None, needs=("weight",)).weight
    ref = torch_conv1d_grads(x.astype(np.float64), w.astype(np.float64), None,
                             g.astype(np.float64))[2]
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(ref))
    np.testing.assert_array_equal(np.isinf(ours), np.isinf(ref))
    finite = np.isfinite(ref)
    assert finite.sum() > 0
    np.testing.assert_allclose(ours[finite], ref[finite],
                               rtol=1e-4 if dtype == np.float32 else 1e-10, atol=1e-4)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n,c_out,l_out", [(0, 20, 50), (1, 1, 1), (3, 15, 700),
                                           (5, 16, 257), (4, 17, 1000), (8, 40, 16384)])
def test_bias_gradient_matches_a_float64_sum(dtype, n, c_out, l_out):
    """db = dy summed over samples and positions: against numpy's float64 sum, across
    channel counts around the kernel's block of channels, with the same bits at 1 and
    2 threads (each channel adds its samples in one fixed order; the last shape is above
    the parallel threshold)."""
    rng = np.random.default_rng([n, c_out, l_out])
    dy = (rng.standard_normal((n, c_out, l_out)) + 3.0).astype(dtype)
    x = np.zeros((n, 2, l_out), dtype)
    w = np.zeros((c_out, 2, 1), dtype)
    ref = dy.astype(np.float64).sum(axis=(0, 2))
    results = []
    for threads in (1, 2):
        cc.set_num_threads(threads)
        try:
            results.append(cc.conv1d_backward(dy, x, w, needs="bias").bias)
        finally:
            cc.set_num_threads(None)
    # float64 accumulation: only the final rounding to dtype remains.
    eps = np.finfo(dtype).eps
    np.testing.assert_allclose(results[0], ref, rtol=2 * eps,
                               atol=64 * np.finfo(np.float64).eps * n * l_out * 4)
    assert np.array_equal(results[0], results[1])


# (n, c_in, k, stride, padding, length): the weight gradient's wgemm routes, whose
# tiles of the first pair block sum the bias gradient from the dy panels they load
WGEMM_BIAS_CASES = [
    (5, 8, 3, 1, "same", 1000),       # read in place, the padded outputs gathered
    (9, 8, 3, 1, 0, 700),             # read in place, unpadded, two batch parts
    (12, 8, 5, 1, "same", 40),        # short samples, concatenated
    (3, 8, 3, 2, 1, 3000),            # strided: packed samples
    (2, 8, 3, 1, "same", 70000),      # a long sample's length blocks in parts
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", WGEMM_BIAS_CASES, ids=lambda c: f"L{c[5]}s{c[3]}p{c[4]}")
def test_wgemm_bias_gradient_matches_a_float64_sum(dtype, case):
    """db from wgemm's panels (blocks of 64 positions summed in the working precision,
    then in float64) against numpy's float64 sum of dy with an offset (no cancelling),
    within a few roundings of the result; with dW against torch; and db and dW bit for
    bit the same at 1, 2, 3 and 5 threads."""
    n, c_in, k, stride, padding, length = case
    c_out = 2 * _lanes(dtype) + 5
    rng = np.random.default_rng(zlib.crc32(repr(case).encode()))
    x = rng.standard_normal((n, c_in, length)).astype(dtype)
    w = rng.standard_normal((c_out, c_in, k)).astype(dtype)
    kw = dict(stride=stride, padding=padding)
    g = (rng.standard_normal(cc.conv1d(x, w, **kw).shape) + 3.0).astype(dtype)
    ours = _assert_weight_gradient_thread_invariant(g, x, w, kw, ("weight", "bias"))
    # float32: the result's own rounding; float64: up to 1.4e5 terms' roundings
    np.testing.assert_allclose(ours.bias, g.astype(np.float64).sum(axis=(0, 2)),
                               rtol=4 * np.finfo(np.float32).eps if dtype == np.float32
                               else 1e-13)
    left, right = explicit_padding(padding, length, k, stride, 1)
    ref_w = torch_conv1d_grads(x.astype(np.float64), w.astype(np.float64), None,
                               g.astype(np.float64), stride=stride,
                               padding=(left, right))[2]
    np.testing.assert_allclose(ours.weight, ref_w, rtol=0,
                               atol=(1e-12 if dtype == np.float64 else 2e-6)
                               * np.abs(ref_w).max())


# (n, c_in, c_out, groups, k, stride, dilation, padding, length): the weight gradient's
# wgrad routes (vectors along positions: too few output channels a group, or pairs, for
# wgemm), whose first pair block's items add the row sums of the dy chunks they read
WGRAD_BIAS_CASES = [
    (4, 1, 24, 1, 10, 4, 2, 0, 3000),     # one input channel, strided and dilated
    (3, 16, 16, 16, 9, 1, 1, "same", 2500),   # depthwise
    (5, 12, 12, 4, 5, 2, 1, 2, 900),      # grouped, three channels a group
    (1, 2, 3, 1, 7, 1, 3, "same", 70000),  # a long sample: length blocks
    (16, 3, 5, 1, 4, 1, 1, "causal", 30),  # short samples, concatenated
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", WGRAD_BIAS_CASES,
                         ids=lambda c: f"c{c[1]}g{c[3]}L{c[8]}s{c[5]}")
def test_wgrad_bias_gradient_matches_a_float64_sum(dtype, case):
    """db summed by wgrad from the dy chunks it reads (each lane's four vectors added
    in the working precision, then in float64) against numpy's float64 sum of dy with an
    offset (no cancelling), within a few roundings of the result; dW against torch; and
    both bit for bit the same at 1, 2, 3 and 5 threads."""
    n, c_in, c_out, groups, k, stride, dilation, padding, length = case
    rng = np.random.default_rng(zlib.crc32(repr(case).encode()))
    x = rng.standard_normal((n, c_in, length)).astype(dtype)
    w = rng.standard_normal((c_out, c_in // groups, k)).astype(dtype)
    kw = dict(stride=stride, dilation=dilation, groups=groups, padding=padding)
    g = (rng.standard_normal(cc.conv1d(x, w, **kw).shape) + 3.0).astype(dtype)
    ours = _assert_weight_gradient_thread_invariant(g, x, w, kw, ("weight", "bias"))
    np.testing.assert_allclose(ours.bias, g.astype(np.float64).sum(axis=(0, 2)),
                               rtol=4 * np.finfo(np.float32).eps if dtype == np.float32
                               else 1e-13)
    left, right = explicit_padding(padding, length, k, stride, dilation)
    ref_w = torch_conv1d_grads(x.astype(np.float64), w.astype(np.float64), None,
                               g.astype(np.float64), stride=stride, dilation=dilation,
                               groups=groups, padding=(left, right))[2]
    np.testing.assert_allclose(ours.weight, ref_w, rtol=0,
                               atol=(1e-12 if dtype == np.float64 else 2e-6)
                               * np.abs(ref_w).max())


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("stride,dilation,padding,mode", [
    (1, 1, "same", "zeros"),        # kept positions straight into dx, by blocks
    (1, 4, (5, 2), "constant"),
    (1, 2, "same", "reflect"),      # phase rows, then the padding folded back
    (2, 1, 3, "zeros"),             # stride: phase rows interleaved into dx
])
def test_input_gradient_of_few_samples_split_between_threads(dtype, stride, dilation,
                                                              padding, mode):
    """Fewer samples than threads: each thread computes a block of positions of one
    sample (the input gradient's split path). Against torch's float64 gradient through
    the oracle padding, at 2 threads, and bit for bit the same at 1 thread (one block
    per sample)."""
    rng = np.random.default_rng([stride, dilation, len(mode)])
    n, c_in, c_out, length, k = 1, 24, 40, 3001, 3
    x = rng.standard_normal((n, c_in, length))
    w = rng.standard_normal((c_out, c_in, k))
    kw = dict(stride=stride, padding=padding, dilation=dilation, padding_mode=mode,
              pad_value=0.5)
    g = rng.standard_normal(cc.conv1d(x, w, **kw).shape)
    left, right = explicit_padding(padding, length, k, stride, dilation)
    # (a constant's value does not change the gradient: torch pads with zeros)
    ref = torch_conv1d_grads(x, w, None, g, stride=stride, padding=(left, right),
                             dilation=dilation,
                             padding_mode="zeros" if mode == "constant" else mode)[1]
    results = {}
    try:
        for threads in (2, 1):
            cc.set_num_threads(threads)
            results[threads] = cc.conv1d_backward(
                g.astype(dtype), x.astype(dtype), w.astype(dtype), needs="input",
                **kw).input
    finally:
        cc.set_num_threads(None)
    tol = 1e-12 if dtype == np.float64 else 2e-5
    scale = np.abs(g).max() * np.abs(w).sum(axis=(0, 2)).max()
    np.testing.assert_allclose(results[2], ref, rtol=0, atol=tol * scale)
    np.testing.assert_array_equal(results[2], results[1])


@pytest.mark.parametrize("shape", [
    (16, 64, 48, 40, 5, "same"),     # short samples, concatenated within each part
    (16, 64, 48, 150, 5, "same"),    # samples long enough for wgemm on their own
    (7, 32, 32, 1000, 3, 1),         # one sample at a time, an odd batch
    (5, 64, 40, 300, 1, 0),          # pointwise, read in place
], ids=["concatenated", "per-sample-short", "per-sample", "pointwise"])
def test_weight_gradient_batch_parts(shape):
    """The batch is summed in two parts fixed by the shape, each into accumulators of
    its own, added in order: threads share it by samples. Against torch in float64, and
    bit for bit the same at 1, 2, 3 and 5 threads."""
    n, c_in, c_out, length, k, padding = shape
    rng = np.random.default_rng(list(shape[:5]))
    x = rng.standard_normal((n, c_in, length))
    w = rng.standard_normal((c_out, c_in, k))
    left, right = explicit_padding(padding, length, k, 1, 1)
    g = rng.standard_normal((n, c_out, length + left + right - k + 1))
    ref = torch_conv1d_grads(x, w, None, g, padding=(left, right))[2]
    kw = dict(padding=padding)
    ours = cc.conv1d_backward(g, x, w, needs=("weight",), **kw).weight
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-10 * np.abs(ref).max())
    _assert_weight_gradient_thread_invariant(g, x, w, kw)
    ours32 = cc.conv1d_backward(g.astype(np.float32), x.astype(np.float32),
                                w.astype(np.float32), needs=("weight",), **kw).weight
    np.testing.assert_allclose(ours32, ref, rtol=0, atol=1e-5 * np.abs(ref).max())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mode", ["replicate", "reflect", "circular"])
def test_input_gradient_padding_fold_does_not_depend_on_threads(dtype, mode):
    """Fewer samples than threads take the blocked path, which folds the padding's
    gradient after the blocks: it must add in the whole-sample path's order (a
    replicate edge gathers several padding samples onto one sample; adding their folded
    sum afterwards changed the last bit at 5 threads). Bit for bit at 1-5 threads, and
    against torch in float64."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 8, 1500))
    w = rng.standard_normal((32, 8, 4))
    g = rng.standard_normal((4, 32, 1503))
    kw = dict(padding=(4, 2), padding_mode=mode)
    results = []
    try:
        for threads in (1, 2, 3, 4, 5):
            cc.set_num_threads(threads)
            results.append(cc.conv1d_backward(g.astype(dtype), x.astype(dtype),
                                              w.astype(dtype), needs="input", **kw).input)
    finally:
        cc.set_num_threads(None)
    for r in results[1:]:
        np.testing.assert_array_equal(r, results[0])
    ref = torch_conv1d_grads(x, w, None, g, padding=(4, 2), padding_mode=mode)[1]
    tol = 1e-12 if dtype == np.float64 else 2e-5
    np.testing.assert_allclose(results[0], ref, rtol=0,
                               atol=tol * np.abs(g).max() * np.abs(w).sum(axis=(0, 2)).max())


@pytest.mark.parametrize("mode", ["zeros", "reflect", "maximum"])
@pytest.mark.parametrize("stride,dilation", [(1, 1), (13, 12)])
def test_input_gradient_with_no_output_channels(mode, stride, dilation):
    """C_out = 0: no output reads the input, so by the definition its gradient is zero
    (torch refuses a weight of no output channels). With four or more input channels a
    group's pair chunks had a step of 0 pairs and the input gradient never returned
    (found by the fuzz test)."""
    x = np.random.default_rng(0).standard_normal((2, 8, 50))
    w = np.zeros((0, 4, 4))
    kw = dict(stride=stride, dilation=dilation, padding=30, padding_mode=mode, groups=2)
    y = cc.conv1d(x, w, **kw)
    assert y.shape[1] == 0
    grads = cc.conv1d_backward(np.zeros(y.shape), x, w, **kw)
    np.testing.assert_array_equal(grads.input, np.zeros_like(x))
    assert grads.weight.shape == (0, 4, 4)


# ---------------------------------------------------------------------------------------
# Strides past the kernel's span: the packing keeps only the phases the taps read (the
# first span phases, for strides above 4; _forward.make_geometry). Property tests draw
# strides up to 4, so these pin the other regime: igemm and irow rows, a stride equal to
# the span, one longer than the padded signal, a K = 1 layer with stride 1000, and a
# sample large enough for the blocked (length block) route. Oracle: PyTorch autograd in
# float64 through F.pad.

STRIDE_PAST_SPAN = [
    # (N, C_in, C_out, L, K, stride, dilation, groups, (left, right))
    (2, 3, 8, 200, 3, 7, 1, 1, (2, 3)),
    (1, 2, 2, 500, 2, 9, 3, 1, (4, 1)),
    (2, 4, 4, 50, 5, 5, 1, 2, (3, 3)),
    (3, 2, 4, 40, 4, 50, 1, 1, (3, 3)),
    (1, 1, 1, 100_000, 1, 1000, 1, 1, (0, 0)),
    (1, 4, 8, 300_000, 3, 6, 2, 1, (1, 1)),
    (2, 6, 12, 3000, 2, 16, 5, 3, (5, 2)),
]


@pytest.mark.parametrize("case", STRIDE_PAST_SPAN, ids=lambda c: "x".join(map(str, c[:7])))
@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_strides_past_the_kernel_span(case, mode, dtype):
    n, c_in, c_out, length, k, stride, dilation, groups, padding = case
    rng = np.random.default_rng(zlib.crc32(repr((case, mode)).encode()))
    x = rng.standard_normal((n, c_in, length)).astype(dtype)
    w = rng.standard_normal((c_out, c_in // groups, k)).astype(dtype)
    b = rng.standard_normal(c_out).astype(dtype)
    kwargs = dict(stride=stride, dilation=dilation, groups=groups)
    y = cc.conv1d(x, w, b, padding=padding, padding_mode=mode, **kwargs)
    g = rng.standard_normal(y.shape).astype(dtype)
    ref_y, ref_dx, ref_dw, ref_db = torch_conv1d_grads(x, w, b, g, padding=padding,
                                                       padding_mode=mode, **kwargs)
    dx, dw, db = cc.conv1d_backward(g, x, w, bias=True, padding=padding,
                                    padding_mode=mode, **kwargs)
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == np.float32 else dict(rtol=1e-11,
                                                                      atol=1e-11)
    # dw and db sum over N x L_out products: scale the float32 tolerance with them
    terms = np.sqrt(n * y.shape[-1])
    np.testing.assert_allclose(y, ref_y, **tol)
    np.testing.assert_allclose(dx, ref_dx, **tol)
    np.testing.assert_allclose(dw, ref_dw, rtol=tol["rtol"] * terms, atol=tol["atol"] * terms)
    np.testing.assert_allclose(db, ref_db, rtol=tol["rtol"] * terms, atol=tol["atol"] * terms)


@pytest.mark.parametrize("n, c_in, c_out, length, k, stride, dilation", [
    (2, 3, 8, 40, 2, 7, 1),           # whole samples, igemm rows
    (1, 2, 2, 60, 3, 9, 2),           # irow rows
    (1, 8, 4, 200_000, 2, 6, 1),      # long: blocks of positions
])
def test_transposed_strides_past_the_span_write_their_zeros(n, c_in, c_out, length, k,
                                                            stride, dilation):
    """conv_transpose1d with a stride past the kernel's span computes only the phases
    the taps reach; the others are zeros it must write (``out`` starts as NaN here, so
    a position left unwritten shows). Oracle: PyTorch."""
    rng = np.random.default_rng(length)
    x = rng.standard_normal((n, c_in, length))
    w = rng.standard_normal((c_in, c_out, k))
    expected = torch.nn.functional.conv_transpose1d(
        torch.from_numpy(x), torch.from_numpy(w), stride=stride, padding=1,
        dilation=dilation).numpy()
    out = np.full(expected.shape, np.nan)
    got = cc.conv_transpose1d(x, w, stride=stride, padding=1, dilation=dilation, out=out)
    assert got is out
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mode", ALL_PADDING_MODES)
def test_input_gradient_of_short_outputs_by_columns(mode, dtype):
    """A short dy (7 samples through K = 5, stride 2) takes the input gradient's cols
    route, whose padded rows are folded back by the padding's adjoint; against float64
    central finite differences of numpy.pad/pywt.pad + torch's conv1d, for every mode."""
    from cconv1d import _backward, _spec
    rng = np.random.default_rng(zlib.crc32(mode.encode()))
    x = rng.standard_normal((3, 4, 7))
    w = rng.standard_normal((8, 4, 5))
    kw = dict(stride=2, dilation=1, padding_mode=mode)
    y = cc.conv1d(x, w, padding=(2, 3), **kw)
    g = rng.standard_normal(y.shape)
    code = _spec.CODES[_spec.ALIASES.get(mode, mode)]
    plan = _backward.backward_workspace_bytes(3, 4, 7, 8, 4, 5, 2, 3, y.shape[-1], 2, 1,
                                              1, code, np.dtype(dtype).itemsize, 1)
    assert plan["input_cols"], plan
    got = cc.conv1d_backward(g.astype(dtype), x.astype(dtype), w.astype(dtype),
                             bias=False, padding=(2, 3), needs="input", **kw).input
    fd, _, _ = fd_conv1d_grads(x, w, None, g, eps=1e-6, padding=(2, 3), **kw)
    tol = 1e-7 if dtype == np.float64 else 2e-4
    np.testing.assert_allclose(got, fd, rtol=tol, atol=tol * np.abs(fd).max())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("groups", [1, 2])
def test_flipped_input_gradient_of_short_outputs_by_columns(groups, dtype):
    """flip=True (true convolution) on the cols route: the panels reverse each
    channel's taps; against torch's autograd of conv1d with weight.flip(-1)."""
    rng = np.random.default_rng(41 + groups)
    x = rng.standard_normal((6, 8, 9)).astype(dtype)
    w = rng.standard_normal((8, 8 // groups, 7)).astype(dtype)
    kw = dict(stride=1, dilation=1, groups=groups)
    g = rng.standard_normal((6, 8, 3)).astype(dtype)
    got = cc.conv1d_backward(g, x, w, bias=False, flip=True, needs="input", **kw).input
    _, want, _, _ = torch_conv1d_grads(x.astype(np.float64), w.astype(np.float64), None,
                                       g.astype(np.float64), flip=True, **kw)
    tol = 1e-10 if dtype == np.float64 else 1e-4
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol * np.abs(want).max())


DIRECT_DW_CASES = [
    # n, c_in, c_out, length, k, dilation, groups, flip: one sample, no padding, a
    # single chunk of outputs (wgemm's sums straight into dW)
    (1, 16, 64, 40, 5, 1, 1, True),
    (1, 32, 96, 100, 3, 2, 2, False),
    (1, 24, 80, 300, 1, 1, 1, False),
    (1, 12, 64, 57, 4, 3, 1, True),
    # past PARALLEL_MIN_FLOPS: two threads split the pair blocks, or output channels
    # with a rectangle across a group's edge (outputs within AVX2's wgemm_max_len)
    (1, 128, 32, 700, 1, 1, 1, False),
    (1, 32, 32, 700, 3, 1, 1, True),
    (1, 96, 96, 300, 3, 1, 3, True),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", DIRECT_DW_CASES)
def test_weight_gradient_straight_into_dw(case, dtype):
    """One sample whose every dW entry is one wgemm call: the sums go from a strip
    into dW (taps reversed with flip) with no float64 accumulators. Against float64
    sums straight from the definition, the bias gradient too, and the same bits at 1
    and 2 threads."""
    from cconv1d import _backward, _kernels
    n, c_in, c_out, length, k, d, groups, flip = case
    rng = np.random.default_rng(zlib.crc32(repr(case).encode()))
    x = rng.standard_normal((n, c_in, length))
    w = rng.standard_normal((c_out, c_in // groups, k))
    y = cc.conv1d(x, w, None, dilation=d, groups=groups, flip=flip)
    g = rng.standard_normal(y.shape)
    l_out = g.shape[-1]
    plan = _backward.backward_workspace_bytes(
        n, c_in, length, c_out, c_in // groups, k, 0, 0, l_out, 1, d, groups, 0,
        np.dtype(dtype).itemsize, 1)
    assert plan["weight_direct"] == (_kernels.simd_path() in ("avx2", "avx512")), plan

    def grads(threads):
        previous = cc.get_num_threads()
        cc.set_num_threads(threads)
        try:
            return cc.conv1d_backward(g.astype(dtype), x.astype(dtype), w.astype(dtype),
                                      dilation=d, groups=groups, flip=flip,
                                      needs=("weight", "bias"))
        finally:
            cc.set_num_threads(previous)

    got, two = grads(1), grads(2)
    np.testing.assert_array_equal(got.weight, two.weight)
    np.testing.assert_array_equal(got.bias, two.bias)
    # every entry written: outputs that start as NaN (the kernel's own call)
    for threads in (1, 2):
        dw, db = np.full(w.shape, np.nan, dtype), np.full(c_out, np.nan, dtype)
        _backward.grad_weight_bias(g.astype(dtype), x.astype(dtype), dw, db, 0, 0, 0, 0.0,
                                   1, d, groups, flip, threads)
        np.testing.assert_array_equal(dw, got.weight)
        np.testing.assert_array_equal(db, got.bias)
    opg, cpg = c_out // groups, c_in // groups
    want = np.empty_like(w)
    for o in range(c_out):
        gi = o // opg
        for c in range(cpg):
            for t in range(k):
                tap = k - 1 - t if flip else t
                win = x[0, gi * cpg + c, tap * d: tap * d + l_out]
                want[o, c, t] = np.dot(g[0, o], win)
    tol = 1e-12 if dtype == np.float64 else 2e-6
    scale = np.sqrt(l_out) * np.abs(g).max() * np.abs(x).max()
    np.testing.assert_allclose(got.weight, want, rtol=0, atol=tol * scale)
    np.testing.assert_allclose(got.bias, g.sum(axis=(0, 2)), rtol=0, atol=tol * scale)


WCOLS_CASES = [
    # n, c_in, c_out, length, k, stride, dilation, padding, groups, mode, flip
    (5, 8, 40, 6, 3, 1, 1, (1, 1), 1, "zeros", False),
    (7, 16, 64, 9, 4, 2, 2, (3, 2), 2, "reflect", True),
    (4, 32, 48, 1, 1, 1, 1, (0, 0), 1, "zeros", False),
    (3, 8, 32, 5, 5, 1, 1, (2, 2), 1, "median", False),
    (6, 8, 36, 7, 3, 3, 1, (4, 4), 1, "antireflect", True),
    # float64 accumulators past 1 MiB: the units side by side as one sample
    (3, 64, 160, 9, 13, 1, 1, (6, 6), 1, "reflect", True),
    (5, 128, 192, 4, 11, 1, 1, (5, 5), 2, "zeros", False),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", WCOLS_CASES)
def test_weight_gradient_of_short_outputs_by_columns(case, dtype):
    """Short outputs' weight and bias gradients by columns (im2col units of the batch,
    then a K = 1 layer's weight gradient): against float64 sums straight from the
    definition over numpy.pad/pywt.pad, the other route within rounding, and the same
    bits at 1 and 2 threads."""
    from cconv1d import _backward
    n, c_in, c_out, length, k, s, d, padding, groups, mode, flip = case
    rng = np.random.default_rng(zlib.crc32(repr(case).encode()))
    x = rng.standard_normal((n, c_in, length))
    w = rng.standard_normal((c_out, c_in // groups, k))
    b = rng.standard_normal(c_out)
    kw = dict(stride=s, dilation=d, groups=groups, padding_mode=mode)
    y = cc.conv1d(x, w, b, padding=padding, flip=flip, **kw)
    g = rng.standard_normal(y.shape)

    def grads(threads, on=True):
        previous = cc.get_num_threads()
        cc.set_num_threads(threads)
        was = _backward._set_weight_columns(on)
        try:
            return cc.conv1d_backward(g.astype(dtype), x.astype(dtype), w.astype(dtype),
                                      padding=padding, flip=flip, needs=("weight", "bias"),
                                      **kw)
        finally:
            _backward._set_weight_columns(was)
            cc.set_num_threads(previous)

    got, two, other = grads(1), grads(2), grads(1, False)
    from cconv1d import _kernels, _spec
    plan = _backward.backward_workspace_bytes(
        n, c_in, length, c_out, c_in // groups, k, padding[0], padding[1], g.shape[-1], s,
        d, groups, _spec.CODES[_spec.ALIASES.get(mode, mode)], np.dtype(dtype).itemsize, 1)
    # the route where wgemm runs (AVX2, AVX-512); wgrad's paths keep theirs
    assert plan["weight_columns"] == (_kernels.simd_path() in ("avx2", "avx512")), plan
    np.testing.assert_array_equal(got.weight, two.weight)
    np.testing.assert_array_equal(got.bias, two.bias)
    if plan["weight_columns"]:
        # past 1 MiB of float64 accumulators the two units lie side by side as one
        # sample, and its K = 1 call sums straight into dW
        side = c_out * (c_in // groups) * k * 8 > 1 << 20
        samples = (n + 1) // 2
        l_cols = g.shape[-1] * samples * (2 if side else 1)
        k1 = _backward.backward_workspace_bytes(
            1 if side else 2, c_in * k, l_cols, c_out, c_in * k // groups, 1, 0, 0, l_cols,
            1, 1, groups, 0, np.dtype(dtype).itemsize, 1)
        assert k1["weight_direct"] == side, k1
    # float64 from the defining sum: dW[o, c, k] = sum_n,j g[n, o, j] xp[n, c', j*s + k*d]
    # (c' the group's channel c), xp padded by numpy.pad / pywt.pad
    xp = pad_last(x, padding[0], padding[1], mode, 0.0)
    l_out = g.shape[-1]
    opg, cpg = c_out // groups, c_in // groups
    want = np.zeros_like(w)
    for kk in range(k):
        win = xp[:, :, kk * d: kk * d + (l_out - 1) * s + 1: s]
        for gi in range(groups):
            want[gi * opg:(gi + 1) * opg, :, kk] = np.einsum(
                "noj,ncj->oc", g[:, gi * opg:(gi + 1) * opg],
                win[:, gi * cpg:(gi + 1) * cpg])
    if flip:
        want = want[..., ::-1]
    tol = 1e-10 if dtype == np.float64 else 1e-5
    scale = np.abs(want).max()
    np.testing.assert_allclose(got.weight, want, rtol=tol, atol=tol * scale)
    np.testing.assert_allclose(got.bias, g.sum(axis=(0, 2)), rtol=tol,
                               atol=tol * np.abs(g).sum(axis=(0, 2)).max())
    np.testing.assert_allclose(got.weight, other.weight, rtol=tol, atol=tol * scale)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("length, padding", [(24, 0), (20, 2)])
def test_input_gradient_of_short_outputs_with_wide_columns(dtype, length, padding):
    """Short outputs whose one sample's (c, k) columns pass the cols route's unit bytes
    (512 channels x 9 taps x 16 outputs: 288 KiB in float32) still take that route, a
    unit of a few samples; turned away, the phase rows ran at half PyTorch's speed
    (0.50x, now 0.98x). Against autograd in float64 (float32: within the summation
    bound); the plan is checked to take the route (16 outputs: short on every path,
    whose narrowest float64 tile is 12 wide)."""
    from cconv1d import _backward
    rng = np.random.default_rng(41)
    n, c_in, c_out, k = 4, 512, 8, 9
    x, w, _ = _data(rng, n, c_in, c_out, 1, k, length, False)
    x, w = x.astype(dtype), w.astype(dtype)
    l_out = length + 2 * padding - (k - 1)
    g = rng.standard_normal((n, c_out, l_out)).astype(dtype)
    plan = _backward.backward_workspace_bytes(n, c_in, length, c_out, c_in, k, padding,
                                              padding, l_out, 1, 1, 1, 0,
                                              np.dtype(dtype).itemsize, 1)
    assert plan["input_cols"], plan
    dx = cc.conv1d_backward(g, x, w, bias=False, padding=padding, needs="input").input
    _, want, _, _ = torch_conv1d_grads(x, w, None, g, padding=(padding, padding))
    if dtype == np.float64:
        np.testing.assert_allclose(dx, want, rtol=1e-10, atol=1e-10)
    else:
        _, bound, _, _ = float32_bound(x, w, None, g, c_out * k, padding=(padding, padding))
        assert np.all(np.abs(dx - want) <= bound)
