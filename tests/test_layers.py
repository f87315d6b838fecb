"""Tests for ``cconv1d.Conv1d``, ``cconv1d.SGD`` and ``cconv1d.demo`` (API.md §5, §6).

The oracles are ``torch.nn.Conv1d`` (with a copied state dict) and ``torch.optim.SGD``
fed the same starting parameters and the same gradients.
"""

import math

import numpy as np
import pytest
import torch

import cconv1d as cc
from cconv1d import demo

DTYPES = {np.float32: torch.float32, np.float64: torch.float64}
# float32: outputs and gradients are short sums of O(1) terms.
TOL = {np.float32: dict(rtol=2e-5, atol=2e-5), np.float64: dict(rtol=1e-11, atol=1e-11)}

# (in, out, K, stride, padding, dilation, groups, bias, padding_mode)
LAYER_CONFIGS = [
    (3, 4, 3, 1, 0, 1, 1, True, "zeros"),
    (4, 6, 5, 2, 2, 1, 2, True, "zeros"),
    (2, 4, 4, 1, "same", 2, 1, False, "zeros"),
    (3, 2, 3, 1, "valid", 3, 1, True, "zeros"),
    (4, 4, 3, 1, "same", 1, 4, True, "reflect"),
    (3, 3, 5, 2, 4, 1, 1, False, "reflect"),
    (3, 6, 3, 3, 2, 2, 3, True, "replicate"),
    (2, 2, 4, 1, "same", 1, 1, True, "replicate"),
    (2, 2, 4, 1, "same", 1, 1, True, "circular"),
    (2, 3, 3, 2, 1, 2, 1, False, "circular"),
]


def _pair_of_layers(config, dtype, seed=0):
    c_in, c_out, k, stride, padding, dilation, groups, bias, mode = config
    torch.manual_seed(seed)
    theirs = torch.nn.Conv1d(c_in, c_out, k, stride=stride, padding=padding,
                             dilation=dilation, groups=groups, bias=bias,
                             padding_mode=mode).to(DTYPES[dtype])
    ours = cc.Conv1d(c_in, c_out, k, stride=stride, padding=padding, dilation=dilation,
                     groups=groups, bias=bias, padding_mode=mode, dtype=dtype, rng=seed + 1)
    ours.load_state_dict({key: value.detach().numpy()
                          for key, value in theirs.state_dict().items()})
    return ours, theirs


def _torch_step(layer, x, g):
    """Forward and backward through ``layer``; returns (y, dx) as numpy."""
    xt = torch.tensor(x, requires_grad=True)
    y = layer(xt)
    y.backward(torch.tensor(g))
    return y.detach().numpy(), xt.grad.numpy()


def _assert_close(ours, ref, dtype, what):
    assert ours.dtype == dtype, what
    np.testing.assert_allclose(ours, ref, err_msg=what, **TOL[dtype])


# --------------------------------------------------------------------------
# Layer vs torch.nn.Conv1d
# --------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("config", LAYER_CONFIGS, ids=str)
def test_layer_matches_torch(config, dtype):
    ours, theirs = _pair_of_layers(config, dtype)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, config[0], 17)).astype(dtype)
    y = ours(x)
    ref_y = theirs(torch.tensor(x)).detach().numpy()
    assert y.shape == ref_y.shape
    _assert_close(y, ref_y, dtype, "output")
    g = rng.standard_normal(y.shape).astype(dtype)
    dx = ours.backward(g)
    ref_y2, ref_dx = _torch_step(theirs, x, g)
    _assert_close(dx, ref_dx, dtype, "input gradient")
    _assert_close(ours.grad_weight, theirs.weight.grad.numpy(), dtype, "weight gradient")
    if config[7]:
        _assert_close(ours.grad_bias, theirs.bias.grad.numpy(), dtype, "bias gradient")
    else:
        assert ours.bias is None and ours.grad_bias is None
        assert [name for name, _, _ in ours.parameters()] == ["weight"]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layer_unbatched_input_matches_torch(dtype):
    config = (2, 3, 3, 1, "same", 1, 1, True, "reflect")
    ours, theirs = _pair_of_layers(config, dtype, seed=3)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 11)).astype(dtype)
    y = ours(x)
    g = rng.standard_normal(y.shape).astype(dtype)
    dx = ours.backward(g)
    ref_y, ref_dx = _torch_step(theirs, x, g)
    assert y.shape == (3, 11) and dx.shape == (2, 11)
    _assert_close(y, ref_y, dtype, "output")
    _assert_close(dx, ref_dx, dtype, "input gradient")
    _assert_close(ours.grad_weight, theirs.weight.grad.numpy(), dtype, "weight gradient")
    _assert_close(ours.grad_bias, theirs.bias.grad.numpy(), dtype, "bias gradient")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("config", [LAYER_CONFIGS[1], LAYER_CONFIGS[4], LAYER_CONFIGS[9]],
                         ids=str)
def test_gradients_accumulate_until_zero_grad(config, dtype):
    ours, theirs = _pair_of_layers(config, dtype, seed=5)
    rng = np.random.default_rng(6)
    weight_grad_ref, bias_grad_ref = ours.grad_weight, ours.grad_bias
    for length in (17, 12):                          # two different inputs
        x = rng.standard_normal((2, config[0], length)).astype(dtype)
        y = ours(x)
        g = rng.standard_normal(y.shape).astype(dtype)
        ours.backward(g)
        _torch_step(theirs, x, g)                    # torch accumulates into .grad too
    _assert_close(ours.grad_weight, theirs.weight.grad.numpy(), dtype, "sum of weight grads")
    if config[7]:
        _assert_close(ours.grad_bias, theirs.bias.grad.numpy(), dtype, "sum of bias grads")
    # The gradients are accumulated in place: parameters() references stay valid.
    assert ours.grad_weight is weight_grad_ref and ours.grad_bias is bias_grad_ref
    ours.zero_grad()
    assert not ours.grad_weight.any()
    assert ours.grad_weight is weight_grad_ref
    if config[7]:
        assert not ours.grad_bias.any() and ours.grad_bias is bias_grad_ref
    # After zero_grad, one more backward is that backward alone.
    theirs.zero_grad()
    x = rng.standard_normal((2, config[0], 15)).astype(dtype)
    g = rng.standard_normal(ours(x).shape).astype(dtype)
    ours.backward(g)
    _torch_step(theirs, x, g)
    _assert_close(ours.grad_weight, theirs.weight.grad.numpy(), dtype, "after zero_grad")


@pytest.mark.parametrize("bias", [True, False])
def test_parameters_are_the_live_arrays(bias):
    layer = cc.Conv1d(2, 4, 3, bias=bias, rng=0)
    params = layer.parameters()
    assert params[0][0] == "weight"
    assert params[0][1] is layer.weight and params[0][2] is layer.grad_weight
    assert layer.grad_weight.shape == layer.weight.shape == (4, 2, 3)
    if bias:
        assert len(params) == 2 and params[1][0] == "bias"
        assert params[1][1] is layer.bias and params[1][2] is layer.grad_bias
        assert layer.grad_bias.shape == layer.bias.shape == (4,)
    else:
        assert len(params) == 1


# --------------------------------------------------------------------------
# State dict
# --------------------------------------------------------------------------

@pytest.mark.parametrize("bias", [True, False])
def test_state_dict_keys_equal_torch(bias):
    theirs = torch.nn.Conv1d(4, 6, 3, groups=2, bias=bias)
    ours = cc.Conv1d(4, 6, 3, groups=2, bias=bias, rng=0)
    state = ours.state_dict()
    assert list(state) == list(theirs.state_dict())
    for key, value in theirs.state_dict().items():
        assert state[key].shape == tuple(value.shape)
        assert isinstance(state[key], np.ndarray)


def test_state_dict_round_trip_between_layers():
    a = cc.Conv1d(3, 5, 4, rng=1)
    b = cc.Conv1d(3, 5, 4, rng=2)
    assert not np.array_equal(a.weight, b.weight)
    b.load_state_dict(a.state_dict())
    np.testing.assert_array_equal(a.weight, b.weight)
    np.testing.assert_array_equal(a.bias, b.bias)
    x = np.random.default_rng(0).standard_normal((2, 3, 10)).astype(np.float32)
    np.testing.assert_array_equal(a(x), b(x))


@pytest.mark.parametrize("state", [
    {"weight": np.zeros((4, 2, 3))},                                       # missing bias
    {"weight": np.zeros((4, 2, 3)), "bias": np.zeros(4), "extra": np.zeros(1)},
    {"weight": np.zeros((4, 2, 3)), "bias_": np.zeros(4)},
    {"bias": np.zeros(4)},
    {"weight": np.zeros((4, 2, 2)), "bias": np.zeros(4)},                  # kernel size
    {"weight": np.zeros((4, 1, 3)), "bias": np.zeros(4)},                  # channels
    {"weight": np.zeros((4, 2, 3)), "bias": np.zeros(3)},
    {"weight": np.zeros((4, 2, 3)), "bias": np.zeros((4, 1))},
], ids=["missing-bias", "extra-key", "misspelt-key", "missing-weight", "weight-kernel",
        "weight-channels", "bias-length", "bias-ndim"])
def test_load_state_dict_rejects_wrong_keys_and_shapes(state):
    layer = cc.Conv1d(2, 4, 3, rng=0)
    before = layer.weight.copy(), layer.bias.copy()
    with pytest.raises(ValueError, match=r"^state_dict\b"):
        layer.load_state_dict(state)
    # Nothing was loaded where the keys were wrong.
    if set(state) != {"weight", "bias"}:
        np.testing.assert_array_equal(layer.weight, before[0])
        np.testing.assert_array_equal(layer.bias, before[1])


def test_load_state_dict_rejects_bias_for_biasless_layer():
    layer = cc.Conv1d(2, 4, 3, bias=False, rng=0)
    with pytest.raises(ValueError,
                       match=r"^state_dict has keys \['bias', 'weight'\], expected \['weight'\]"):
        layer.load_state_dict({"weight": np.zeros((4, 2, 3)), "bias": np.zeros(4)})
    layer.load_state_dict({"weight": np.ones((4, 2, 3))})
    assert np.all(layer.weight == 1)


# --------------------------------------------------------------------------
# Initialisation, reproducibility, repr
# --------------------------------------------------------------------------

@pytest.mark.parametrize("c_in,c_out,k,groups", [(1, 4, 7, 1), (8, 16, 3, 4), (6, 6, 5, 6),
                                                 (5, 3, 2, 1)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_init_within_torch_bounds(c_in, c_out, k, groups, dtype):
    bound = 1.0 / math.sqrt(c_in / groups * k)
    torch.manual_seed(0)
    theirs = torch.nn.Conv1d(c_in, c_out, k, groups=groups)
    # The oracle agrees with the formula: torch's weights fill the same interval.
    assert theirs.weight.abs().max().item() <= bound * (1 + 1e-6)
    ours = cc.Conv1d(c_in, c_out, k, groups=groups, dtype=dtype, rng=0)
    assert ours.weight.dtype == dtype and ours.bias.dtype == dtype
    assert ours.weight.shape == tuple(theirs.weight.shape)
    assert np.all(np.abs(ours.weight) <= bound * (1 + 1e-6))
    assert np.all(np.abs(ours.bias) <= bound * (1 + 1e-6))
    assert np.unique(ours.weight).size > ours.weight.size // 2   # not a constant fill


def test_init_distribution_of_a_big_layer():
    c_in, c_out, k = 64, 128, 9
    bound = 1.0 / math.sqrt(c_in * k)
    ours = cc.Conv1d(c_in, c_out, k, rng=123)
    w = ours.weight.astype(np.float64)
    torch.manual_seed(0)
    theirs = torch.nn.Conv1d(c_in, c_out, k).weight.detach().numpy().astype(np.float64)
    expected_std = bound / math.sqrt(3)                # uniform(-bound, bound)
    print(f"\ninit std: cconv1d {w.std():.6g}, torch {theirs.std():.6g}, "
          f"uniform {expected_std:.6g}")
    assert np.all(np.abs(w) <= bound * (1 + 1e-6))
    assert np.abs(w).max() > 0.99 * bound               # the whole interval is used
    assert abs(w.std() / expected_std - 1) < 0.02
    assert abs(w.std() / theirs.std() - 1) < 0.03
    assert abs(w.mean()) < 4 * expected_std / math.sqrt(w.size)
    # Uniform, not normal: a quarter of the mass in each quarter of the interval.
    counts = np.histogram(w, bins=4, range=(-bound, bound))[0] / w.size
    np.testing.assert_allclose(counts, 0.25, atol=0.01)


def test_rng_seed_reproducibility():
    a = cc.Conv1d(3, 5, 4, rng=42)
    b = cc.Conv1d(3, 5, 4, rng=42)
    c = cc.Conv1d(3, 5, 4, rng=np.random.default_rng(42))
    d = cc.Conv1d(3, 5, 4, rng=43)
    np.testing.assert_array_equal(a.weight, b.weight)
    np.testing.assert_array_equal(a.bias, b.bias)
    np.testing.assert_array_equal(a.weight, c.weight)
    np.testing.assert_array_equal(a.bias, c.bias)
    assert not np.array_equal(a.weight, d.weight)
    # A shared generator advances: two layers drawn from it differ.
    gen = np.random.default_rng(7)
    e, f = cc.Conv1d(3, 5, 4, rng=gen), cc.Conv1d(3, 5, 4, rng=gen)
    assert not np.array_equal(e.weight, f.weight)
    # No rng: fresh entropy each time.
    assert not np.array_equal(cc.Conv1d(3, 5, 4).weight, cc.Conv1d(3, 5, 4).weight)


def test_repr_mentions_arguments():
    text = repr(cc.Conv1d(4, 6, 5, stride=2, padding=1, dilation=3, groups=2, bias=False,
                          padding_mode="reflect"))
    assert text.startswith("Conv1d(4, 6")
    for token in ("5", "stride", "2", "padding", "1", "dilation", "3", "groups",
                  "bias=False", "reflect"):
        assert token in text, (token, text)
    text = repr(cc.Conv1d(2, 3, 7, padding="same", padding_mode="circular"))
    for token in ("Conv1d(2, 3", "7", "same", "circular"):
        assert token in text, (token, text)


# --------------------------------------------------------------------------
# SGD vs torch.optim.SGD
# --------------------------------------------------------------------------

SGD_CONFIGS = [
    dict(lr=0.1),
    dict(lr=0.05, momentum=0.9),
    dict(lr=0.05, momentum=0.9, dampening=0.3),
    dict(lr=0.02, weight_decay=0.1),
    dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.01),
    dict(lr=0.05, maximize=True),
    dict(lr=0.03, momentum=0.9, dampening=0.5, weight_decay=0.05, maximize=True),
    dict(lr=0.05, momentum=0.9, nesterov=True, maximize=True),
    dict(lr=0.1, momentum=0.5, weight_decay=0.2, nesterov=True),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("config", SGD_CONFIGS, ids=str)
def test_sgd_matches_torch(config, dtype):
    rng = np.random.default_rng(11)
    start = [rng.standard_normal((3, 2, 4)).astype(dtype), rng.standard_normal(3).astype(dtype)]
    params = [p.copy() for p in start]
    grads = [np.zeros_like(p) for p in params]
    opt = cc.SGD([("weight", params[0], grads[0]), ("bias", params[1], grads[1])], **config)
    tparams = [torch.tensor(p, requires_grad=True) for p in start]
    topt = torch.optim.SGD(tparams, **config)
    tol = 1e-6 if dtype == np.float32 else 1e-13
    for step in range(7):
        for grad, tparam in zip(grads, tparams):
            g = rng.standard_normal(grad.shape).astype(dtype)
            grad[...] = g
            tparam.grad = torch.tensor(g)
        opt.step()
        topt.step()
        for param, tparam in zip(params, tparams):
            assert param.dtype == dtype
            np.testing.assert_allclose(param, tparam.detach().numpy(), rtol=tol, atol=tol,
                                       err_msg=f"step {step + 1}")
    opt.zero_grad()
    assert not any(g.any() for g in grads)


def test_sgd_accepts_pairs_and_skips_missing_gradients():
    w = np.array([1.0, -2.0])
    g = np.array([0.5, 0.25])
    frozen = np.array([3.0])
    opt = cc.SGD([(w, g), (frozen, None)], lr=0.1)
    opt.step()
    np.testing.assert_allclose(w, [0.95, -2.025])
    np.testing.assert_array_equal(frozen, [3.0])


@pytest.mark.parametrize("kwargs", [dict(lr=-0.1), dict(lr=0.1, momentum=-0.5),
                                    dict(lr=0.1, weight_decay=-1.0),
                                    dict(lr=0.1, nesterov=True),
                                    dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True)])
def test_sgd_rejects_what_torch_rejects(kwargs):
    # the argument torch's message is about, in torch's words and in ours
    theirs, ours = {"lr": ("learning rate", "lr"), "momentum": ("momentum", "momentum"),
                    "weight_decay": ("weight_decay", "weight_decay"),
                    "nesterov": ("Nesterov", "nesterov")}[list(kwargs)[-1]]
    with pytest.raises(ValueError, match=theirs):
        torch.optim.SGD([torch.zeros(2, requires_grad=True)], **kwargs)
    with pytest.raises(ValueError, match=rf"^{ours}\b"):
        cc.SGD([(np.zeros(2), np.zeros(2))], **kwargs)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_training_loop_matches_torch(dtype):
    """Conv1d + SGD for a few steps of a least-squares fit, against torch's."""
    config = (3, 4, 5, 2, 2, 1, 1, True, "replicate")
    ours, theirs = _pair_of_layers(config, dtype, seed=9)
    opt_kwargs = dict(lr=0.05, momentum=0.9, weight_decay=1e-3, nesterov=True)
    opt = cc.SGD(ours.parameters(), **opt_kwargs)
    topt = torch.optim.SGD(theirs.parameters(), **opt_kwargs)
    rng = np.random.default_rng(10)
    for _ in range(6):
        x = rng.standard_normal((4, 3, 20)).astype(dtype)
        target = rng.standard_normal((4, 4, 10)).astype(dtype)
        opt.zero_grad()
        topt.zero_grad()
        y = ours(x)
        ours.backward((y - target) / y.size)
        ty = theirs(torch.tensor(x))
        loss = 0.5 * ((ty - torch.tensor(target)) ** 2).sum() / ty.numel()
        loss.backward()
        opt.step()
        topt.step()
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(ours.weight, theirs.weight.detach().numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(ours.bias, theirs.bias.detach().numpy(), rtol=tol, atol=tol)


# --------------------------------------------------------------------------
# Demo
# --------------------------------------------------------------------------

def test_demo_trains_and_repeats():
    kwargs = dict(epochs=3, n_train=400, n_test=200, seed=0, verbose=False)
    first = demo.train(**kwargs)
    assert set(first) >= {"loss", "test_accuracy", "seconds"}
    losses = first["loss"]
    assert len(losses) == 3 and all(math.isfinite(v) for v in losses)
    assert losses[-1] < losses[0]
    assert 0.0 <= first["test_accuracy"] <= 1.0
    assert first["seconds"] >= 0
    second = demo.train(**kwargs)
    assert second["loss"] == losses
    assert second["test_accuracy"] == first["test_accuracy"]
    other = demo.train(**dict(kwargs, seed=1))
    assert other["loss"] != losses
