"""Tests for ``cconv1d.torch``: the autograd function and the ``torch.nn.Conv1d`` drop-in.

Oracles: ``torch.nn.functional.conv1d`` (after ``torch.nn.functional.pad`` / ``numpy.pad``
/ ``cconv1d.pad`` for the paddings torch lacks), ``torch.nn.Conv1d`` with a shared state
dict, and ``torch.autograd.gradcheck`` in float64 for the gradients.
"""

import copy
import io
import math
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import cconv1d as cc
import cconv1d.torch as cct
from cconv1d import _spec
from oracles import explicit_padding

TDTYPES = (torch.float32, torch.float64)
TOL = {torch.float32: dict(rtol=2e-5, atol=2e-5), torch.float64: dict(rtol=1e-11, atol=1e-11)}

ALL_MODES = _spec.ALL_NAMES  # every mode of cc.pad, aliases included
TORCH_MODES = ("zeros", "reflect", "replicate", "circular")
NUMPY_PAD_MODES = {"constant", "edge", "reflect", "symmetric", "wrap", "mean", "median",
                   "minimum", "maximum", "linear_ramp"}


def _gen(seed):
    return torch.Generator().manual_seed(seed)


def _data(n, c_in, length, c_out, c_in_per_group, k, dtype, seed=0, batched=True):
    g = _gen(seed)
    shape = (n, c_in, length) if batched else (c_in, length)
    x = torch.randn(shape, generator=g, dtype=dtype)
    w = torch.randn(c_out, c_in_per_group, k, generator=g, dtype=dtype)
    b = torch.randn(c_out, generator=g, dtype=dtype)
    return x, w, b


def _oracle(x, w, b, *, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros",
            pad_value=0.0, flip=False):
    """pad (torch / numpy / cconv1d) then torch's unpadded conv1d."""
    left, right = explicit_padding(padding, x.shape[-1], w.shape[-1], stride, dilation)
    mode = _spec.ALIASES.get(padding_mode, padding_mode)
    if padding_mode in ("zeros", "zero"):   # PyTorch's and PyWavelets' names for zeros
        xp = F.pad(x, (left, right))
    elif mode == "constant":
        xp = F.pad(x, (left, right), value=pad_value)
    elif mode in NUMPY_PAD_MODES:
        widths = [(0, 0)] * (x.dim() - 1) + [(left, right)]
        extra = {"linear_ramp": dict(end_values=pad_value)}.get(mode, {})  # documented
        xp = torch.from_numpy(np.pad(x.numpy(), widths, mode=mode, **extra))
    else:  # pywt-only modes: cc.pad is tested against pywt in test_padding.py
        xp = torch.from_numpy(cc.pad(x.numpy(), (left, right), mode))
    weight = w.flip(-1) if flip else w
    return F.conv1d(xp, weight, b, stride=stride, dilation=dilation, groups=groups)


# --------------------------------------------------------------------------------------
# Forward against torch.nn.functional.conv1d
# --------------------------------------------------------------------------------------

# (C_in, C_out, K, stride, padding, dilation, groups, bias)
TORCH_GEOMETRIES = [
    (3, 4, 3, 1, 0, 1, 1, True),
    (4, 6, 5, 2, 2, 1, 2, True),
    (4, 4, 3, 3, 1, 2, 4, False),
    (2, 5, 4, 1, "same", 1, 1, True),
    (2, 4, 4, 1, "same", 3, 2, True),
    (3, 2, 3, 1, "valid", 2, 1, False),
    (6, 6, 1, 2, 0, 1, 3, True),
]


@pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")
@pytest.mark.parametrize("dtype", TDTYPES)
@pytest.mark.parametrize("geometry", TORCH_GEOMETRIES)
def test_forward_matches_torch_functional(dtype, geometry):
    c_in, c_out, k, stride, padding, dilation, groups, bias = geometry
    x, w, b = _data(2, c_in, 23, c_out, c_in // groups, k, dtype)
    b = b if bias else None
    ours = cct.conv1d(x, w, b, stride=stride, padding=padding, dilation=dilation,
                      groups=groups)
    theirs = F.conv1d(x, w, b, stride=stride, padding=padding, dilation=dilation,
                      groups=groups)
    assert ours.dtype == dtype and ours.shape == theirs.shape
    torch.testing.assert_close(ours, theirs, **TOL[dtype])


@pytest.mark.parametrize("dtype", TDTYPES)
@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_forward_matches_torch_padding_modes(dtype, mode):
    x, w, b = _data(2, 4, 17, 6, 2, 3, dtype)
    ours = cct.conv1d(x, w, b, padding=2, groups=2, stride=2, padding_mode=mode)
    theirs = F.conv1d(F.pad(x, (2, 2), mode=mode), w, b, groups=2, stride=2)
    torch.testing.assert_close(ours, theirs, **TOL[dtype])


@pytest.mark.parametrize("dtype", TDTYPES)
@pytest.mark.parametrize("padding", ["causal", "full", "same", (0, 4), (3, 1)])
@pytest.mark.parametrize("stride,dilation", [(1, 1), (2, 1), (3, 2)])
def test_forward_extra_paddings(dtype, padding, stride, dilation):
    x, w, b = _data(2, 3, 19, 4, 3, 4, dtype)
    ours = cct.conv1d(x, w, b, stride=stride, padding=padding, dilation=dilation)
    theirs = _oracle(x, w, b, stride=stride, padding=padding, dilation=dilation)
    assert ours.shape == theirs.shape
    if padding == "same":
        assert ours.shape[-1] == math.ceil(19 / stride)
    torch.testing.assert_close(ours, theirs, **TOL[dtype])


@pytest.mark.parametrize("mode", [m for m in ALL_MODES if m != "zeros"])
def test_forward_every_padding_mode(mode):
    x, w, b = _data(2, 4, 13, 2, 2, 3, torch.float64, seed=3)
    kw = dict(padding=(3, 2), dilation=2, groups=2, padding_mode=mode, pad_value=0.5)
    ours = cct.conv1d(x, w, b, **kw)
    theirs = _oracle(x, w, b, **kw)
    torch.testing.assert_close(ours, theirs, **TOL[torch.float64])


@pytest.mark.parametrize("dtype", TDTYPES)
def test_forward_flip_is_true_convolution(dtype):
    x, w, b = _data(2, 3, 15, 2, 3, 4, dtype)
    ours = cct.conv1d(x, w, b, padding="full", flip=True)
    torch.testing.assert_close(ours, F.conv1d(x, w.flip(-1), b, padding=3), **TOL[dtype])


def test_forward_unbatched_noncontiguous_and_broadcast_inputs():
    x, w, b = _data(2, 3, 21, 4, 3, 3, torch.float64)
    # unbatched (C, L)
    torch.testing.assert_close(cct.conv1d(x[0], w, b, padding=1),
                               F.conv1d(x[0], w, b, padding=1))
    # non-contiguous input and weight
    xt = x.transpose(0, 1).contiguous().transpose(0, 1)
    wt = w.transpose(0, 2).contiguous().transpose(0, 2)
    assert not xt.is_contiguous() and not wt.is_contiguous()
    torch.testing.assert_close(cct.conv1d(xt, wt, b, stride=2),
                               F.conv1d(x, w, b, stride=2))
    # a zero-stride (expanded) input and a strided slice
    xe = x[:1].expand(5, 3, 21)
    torch.testing.assert_close(cct.conv1d(xe, w, b), F.conv1d(xe.contiguous(), w, b))
    xs = x[..., ::2]
    torch.testing.assert_close(cct.conv1d(xs, w, b), F.conv1d(xs.contiguous(), w, b))


# --------------------------------------------------------------------------------------
# Gradients: gradcheck over an argument grid
# --------------------------------------------------------------------------------------

GEOMETRY_GRID = [
    dict(),
    dict(stride=2),
    dict(stride=3, padding=2),
    dict(dilation=2, padding=1),
    dict(groups=2),
    dict(groups=4),
    dict(stride=2, dilation=2, groups=2, padding=(2, 3)),
    dict(padding="valid"),
    dict(padding="same"),
    dict(padding="same", stride=2),
    dict(padding="same", stride=3, dilation=2),
    dict(padding="full"),
    dict(padding="full", stride=2),
    dict(padding="causal"),
    dict(padding="causal", dilation=2, stride=2),
    dict(padding=(0, 4)),
    dict(padding=(4, 0), groups=4),
]

MODE_GRID = [dict(padding=(2, 3), padding_mode=m, stride=1 + i % 2, flip=bool(i % 3 == 0),
                  bias=bool(i % 2 == 0), groups=1 + (i % 2))
             for i, m in enumerate(ALL_MODES)]
MODE_GRID += [dict(padding="causal", padding_mode="symmetric", dilation=2),
              dict(padding="same", stride=2, padding_mode="mean"),
              dict(padding="full", padding_mode="antireflect", flip=True),
              dict(padding=(5, 6), padding_mode="reflect", bias=False),  # wider than torch allows
              dict(padding=3, padding_mode="constant", pad_value=-1.5),
              dict(padding="same", padding_mode="circular", flip=True, groups=4)]

GRAD_GRID = [dict(g, bias=b, flip=f) for g in GEOMETRY_GRID
             for b, f in [(True, False)]] + \
            [dict(GEOMETRY_GRID[i], bias=False, flip=True) for i in (1, 6, 9, 14)] + MODE_GRID


def _grid_id(kw):
    return ",".join(f"{k}={v}" for k, v in kw.items()) or "default"


@pytest.mark.parametrize("kw", GRAD_GRID, ids=_grid_id)
def test_gradcheck(kw):
    kw = dict(kw)
    bias = kw.pop("bias", True)
    groups = kw.get("groups", 1)
    x, w, b = _data(2, 4, 9, 4, 4 // groups, 3, torch.float64, seed=7)
    inputs = (x.requires_grad_(), w.requires_grad_(),
              b.requires_grad_() if bias else None)
    assert torch.autograd.gradcheck(lambda *a: cct.conv1d(*a, **kw), inputs)


@pytest.mark.parametrize("padding,mode", [("causal", "symmetric"), ("same", "antisymmetric"),
                                          (2, "reflect"), ((1, 3), "smooth")])
def test_gradcheck_module_unbatched(padding, mode):
    layer = cct.Conv1d(2, 3, 3, stride=2, padding=padding, padding_mode=mode).double()
    x = torch.randn(2, 11, dtype=torch.float64, generator=_gen(1), requires_grad=True)
    assert torch.autograd.gradcheck(layer, (x,))
    layer(x).square().sum().backward()
    assert layer.weight.grad.shape == layer.weight.shape
    assert layer.bias.grad.shape == layer.bias.shape


def test_gradcheck_noncontiguous_and_broadcast_inputs():
    g = _gen(12)
    x = torch.randn(3, 2, 10, dtype=torch.float64, generator=g, requires_grad=True)
    w = torch.randn(3, 4, 3, dtype=torch.float64, generator=g, requires_grad=True)

    def fn(a, c):  # (N, C, L) and (C_out, C_in, K) views with unusual strides
        return cct.conv1d(a.transpose(0, 1)[..., ::2], c.transpose(0, 1), padding="same",
                          padding_mode="reflect")
    assert torch.autograd.gradcheck(fn, (x, w))
    x1 = torch.randn(1, 3, 9, dtype=torch.float64, generator=g, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda a, c: cct.conv1d(a.expand(3, 3, 9), c.transpose(0, 1), stride=2), (x1, w))


def test_saved_input_modified_in_place_is_detected():
    x, w, b = _data(2, 3, 12, 4, 3, 3, torch.float64)
    x.requires_grad_()
    xx = x * 1.0
    y = cct.conv1d(xx, w.requires_grad_(), b)
    w2 = w.detach().clone()
    with torch.no_grad():
        w.mul_(2.0)  # the saved weight changed: autograd's version check must catch it
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
    w.data.copy_(w2)
    y1 = cct.conv1d(xx, w, b)
    y1_copy = y1.detach().clone()
    cct.conv1d(torch.randn_like(xx), w, b)  # a second call does not reuse y1's memory
    assert torch.equal(y1.detach(), y1_copy)


@pytest.mark.parametrize("dtype", TDTYPES)
@pytest.mark.parametrize("config", [(1, 0, 1, 1, "zeros"), (2, 2, 1, 2, "reflect"),
                                    (1, "same", 2, 1, "circular"), (3, 1, 2, 4, "replicate")])
def test_gradients_match_torch_module(dtype, config):
    stride, padding, dilation, groups, mode = config
    torch.manual_seed(0)
    theirs = torch.nn.Conv1d(4, 8, 3, stride=stride, padding=padding, dilation=dilation,
                             groups=groups, padding_mode=mode, dtype=dtype)
    ours = cct.Conv1d(4, 8, 3, stride=stride, padding=padding, dilation=dilation,
                      groups=groups, padding_mode=mode, dtype=dtype)
    ours.load_state_dict(theirs.state_dict())
    x0 = torch.randn(3, 4, 25, dtype=dtype, generator=_gen(2))
    grads = []
    for layer in (ours, theirs):
        x = x0.clone().requires_grad_()
        y = layer(x)
        (y * torch.linspace(-1, 1, y.shape[-1], dtype=dtype)).sum().backward()
        grads.append((y.detach(), x.grad, layer.weight.grad, layer.bias.grad))
    for a, b in zip(*grads):
        torch.testing.assert_close(a, b, **TOL[dtype])


# --------------------------------------------------------------------------------------
# Memory sharing, needs_input_grad, no_grad, second order
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", TDTYPES)
def test_forward_and_backward_share_memory(monkeypatch, dtype):
    x, w, b = _data(2, 3, 20, 4, 3, 3, dtype)
    x.requires_grad_(), w.requires_grad_(), b.requires_grad_()
    seen = {}
    real_forward, real_backward = cc.conv1d, cc.conv1d_backward

    def fwd(xa, wa, ba=None, **kw):
        seen["forward"] = [np.shares_memory(xa, x.detach().numpy()),
                           np.shares_memory(wa, w.detach().numpy()),
                           np.shares_memory(ba, b.detach().numpy())]
        seen["out"] = real_forward(xa, wa, ba, **kw)
        return seen["out"]

    def bwd(ga, xa, wa, **kw):
        seen["backward"] = [np.shares_memory(ga, grad.numpy()),
                            np.shares_memory(xa, x.detach().numpy()),
                            np.shares_memory(wa, w.detach().numpy())]
        return real_backward(ga, xa, wa, **kw)

    monkeypatch.setattr(cc, "conv1d", fwd)
    monkeypatch.setattr(cc, "conv1d_backward", bwd)
    y = cct.conv1d(x, w, b, padding=1)
    assert seen["forward"] == [True, True, True]
    assert np.shares_memory(seen["out"], y.detach().numpy())  # the result is not copied
    grad = torch.randn(y.shape, dtype=dtype)
    y.backward(grad)
    assert seen["backward"] == [True, True, True]


@pytest.mark.parametrize("wanted", [("input",), ("weight",), ("bias",), ("input", "bias"),
                                    ("weight", "bias"), ("input", "weight"),
                                    ("input", "weight", "bias")])
def test_needs_input_grad_honoured(monkeypatch, wanted):
    x, w, b = _data(2, 3, 20, 4, 3, 3, torch.float64)
    tensors = dict(input=x, weight=w, bias=b)
    for name in wanted:
        tensors[name].requires_grad_()
    calls = []
    real_backward = cc.conv1d_backward

    def bwd(*args, **kw):
        calls.append(list(kw["needs"]))
        result = real_backward(*args, **kw)
        for name in ("input", "weight", "bias"):
            assert (getattr(result, name) is None) == (name not in wanted)
        return result

    monkeypatch.setattr(cc, "conv1d_backward", bwd)
    cct.conv1d(x, w, b, stride=2, padding="same").sum().backward()
    assert calls == [list(wanted)]
    for name, t in tensors.items():
        assert (t.grad is not None) == (name in wanted)
    ref = [t.detach().clone().requires_grad_(t.requires_grad) for t in (x, w, b)]
    _oracle(*ref, stride=2, padding="same").sum().backward()
    for name, r in zip(("input", "weight", "bias"), ref):
        if name in wanted:
            torch.testing.assert_close(tensors[name].grad, r.grad)


def test_needs_weight_only_without_bias(monkeypatch):
    calls = []
    real_backward = cc.conv1d_backward
    monkeypatch.setattr(cc, "conv1d_backward",
                        lambda *a, **kw: (calls.append((list(kw["needs"]), kw["bias"])),
                                          real_backward(*a, **kw))[1])
    layer = cct.Conv1d(3, 4, 3, bias=False)
    layer(torch.randn(2, 3, 10)).sum().backward()
    assert calls == [(["weight"], False)]


def test_no_backward_when_nothing_requires_grad(monkeypatch):
    monkeypatch.setattr(cc, "conv1d_backward", lambda *a, **k: pytest.fail("called"))
    x, w, b = _data(2, 3, 20, 4, 3, 3, torch.float32)
    y = cct.conv1d(x, w, b)
    assert not y.requires_grad and y.grad_fn is None


def test_no_grad_forward():
    layer = cct.Conv1d(3, 4, 5, padding="causal", padding_mode="symmetric")
    x = torch.randn(2, 3, 16, requires_grad=True)
    with torch.no_grad():
        y = layer(x)
    assert not y.requires_grad and y.grad_fn is None
    torch.testing.assert_close(y, layer(x).detach())
    with torch.inference_mode():
        y2 = layer(x)
    torch.testing.assert_close(y2, y)
    # a tensor produced with grad enabled has a backward node of ours
    assert type(layer(x).grad_fn).__name__ == "_Conv1dKernelsBackward"


SECOND_ORDER = "(?i)differentiate twice|once_differentiable|second.order|double.backward"


def test_second_order_gradient_refused():
    x, w, b = _data(2, 3, 12, 4, 3, 3, torch.float64)
    x.requires_grad_(), w.requires_grad_()
    y = cct.conv1d(x, w, b, padding=1)
    (gx,) = torch.autograd.grad(y.square().sum(), x, create_graph=True)
    with pytest.raises(RuntimeError, match=SECOND_ORDER):
        gx.sum().backward()


def test_second_order_through_saved_inputs_refused():
    """A gradient penalty: grad_output (ones) needs no grad, but x and w do.

    torch's own conv1d gives dx a graph back to w; a silently constant dx would drop the
    penalty's gradient, so the second-order request must fail loudly instead.
    """
    x, w, _ = _data(2, 3, 12, 4, 3, 3, torch.float64)
    x.requires_grad_(), w.requires_grad_()
    with pytest.raises(RuntimeError, match=SECOND_ORDER):
        y = cct.conv1d(x, w)
        (gx,) = torch.autograd.grad(y.sum(), x, create_graph=True)
        (y.sum() + gx.square().sum()).backward()
    with pytest.raises(RuntimeError, match=SECOND_ORDER):
        torch.autograd.gradgradcheck(lambda a, c: cct.conv1d(a, c), (x, w))


# --------------------------------------------------------------------------------------
# Refused inputs
# --------------------------------------------------------------------------------------

def _f64(*shape):
    return torch.randn(*shape, dtype=torch.float64)


@pytest.mark.parametrize("which", ["x", "weight", "bias"])
@pytest.mark.parametrize("dtype", [torch.int32, torch.int64, torch.bool, torch.complex64,
                                   torch.complex128])
def test_unsupported_dtype_type_error(which, dtype):
    args = dict(x=_f64(2, 3, 10), weight=_f64(4, 3, 3), bias=_f64(4))
    args[which] = args[which].to(dtype)
    with pytest.raises(TypeError, match=rf"{which} has dtype.*float32.*float64"):
        cct.conv1d(args["x"], args["weight"], args["bias"])


def test_mixed_dtypes_type_error():
    x, w, b = _f64(2, 3, 10), _f64(4, 3, 3), _f64(4)
    for args in [(x.float(), w, b), (x, w.float(), None), (x, w, b.float()),
                 (x.half(), w, None)]:
        with pytest.raises(TypeError, match="one dtype"):
            cct.conv1d(*args)


def test_non_tensor_type_error():
    with pytest.raises(TypeError, match="torch.Tensor"):
        cct.conv1d(np.ones((1, 1, 5)), _f64(1, 1, 2))


def test_value_errors_propagate():
    with pytest.raises(ValueError, match="output length"):
        cct.conv1d(_f64(1, 3, 2), _f64(4, 3, 5))  # output length below 1
    with pytest.raises(ValueError, match="groups"):
        cct.conv1d(_f64(1, 3, 10), _f64(4, 3, 3), groups=2)
    with pytest.raises(ValueError, match="padding_mode"):
        cct.conv1d(_f64(1, 3, 10), _f64(4, 3, 3), padding_mode="nope")
    for bad in [dict(padding_mode="nope"), dict(padding="bogus"), dict(padding=-1),
                dict(padding=(1, -2)), dict(padding=(1, 2, 3))]:
        (name,) = bad
        with pytest.raises(ValueError, match=rf"^{name}"):
            cct.Conv1d(3, 4, 3, **bad)


# --------------------------------------------------------------------------------------
# Import behaviour (subprocesses)
# --------------------------------------------------------------------------------------

def _run(code):
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd="/",
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_import_cconv1d_does_not_import_torch():
    _run("""
        import cconv1d, sys
        cconv1d.conv1d([[[1.0, 2.0, 3.0]]], [[[1.0]]])
        assert 'torch' not in sys.modules, sorted(m for m in sys.modules if 'torch' in m)
    """)


@pytest.mark.parametrize("how", ["none_in_sys_modules", "meta_path_finder"])
def test_missing_torch_gives_install_hint(how):
    block = {
        "none_in_sys_modules": "sys.modules['torch'] = None",
        "meta_path_finder": """
            class Block:
                def find_spec(self, name, path=None, target=None):
                    if name == 'torch' or name.startswith('torch.'):
                        raise ModuleNotFoundError(f"No module named {name!r}", name=name)
                    return None
            sys.meta_path.insert(0, Block())
        """,
    }[how]
    out = _run("import sys\n" + textwrap.dedent(block) + textwrap.dedent("""
        import cconv1d
        try:
            import cconv1d.torch
        except ImportError as exc:
            print(exc)
        else:
            raise SystemExit('no ImportError')
        assert 'cconv1d.torch' not in sys.modules
        print(cconv1d.conv1d([[[1.0, 2.0, 3.0]]], [[[1.0, 1.0]]]).tolist())
    """))
    assert "pip install torch" in out
    assert "[[[3.0, 5.0]]]" in out


# --------------------------------------------------------------------------------------
# The nn.Module drop-in
# --------------------------------------------------------------------------------------

# kwargs accepted by torch.nn.Conv1d
TORCH_MODULE_ARGS = [
    dict(in_channels=3, out_channels=5, kernel_size=4),
    dict(in_channels=4, out_channels=6, kernel_size=3, stride=2, padding=1, bias=False),
    dict(in_channels=4, out_channels=8, kernel_size=(5,), stride=(3,), padding=(2,),
         dilation=(2,), groups=4, padding_mode="reflect"),
    dict(in_channels=2, out_channels=2, kernel_size=4, padding="same", padding_mode="circular"),
    dict(in_channels=2, out_channels=4, kernel_size=3, padding="valid", dilation=3),
    dict(in_channels=6, out_channels=3, kernel_size=1, groups=3, padding=0,
         padding_mode="replicate"),
    dict(in_channels=3, out_channels=3, kernel_size=3, padding="same", dilation=2,
         padding_mode="replicate", dtype=torch.float64),
]


def _module_id(kw):
    return "-".join(f"{k}={v}" for k, v in kw.items() if k not in ("in_channels", "out_channels"))


@pytest.mark.parametrize("kw", TORCH_MODULE_ARGS, ids=_module_id)
def test_module_matches_torch(kw):
    torch.manual_seed(1234)
    theirs = torch.nn.Conv1d(**kw)
    torch.manual_seed(1234)
    ours = cct.Conv1d(**kw)
    assert isinstance(ours, torch.nn.Conv1d)
    assert repr(ours) == repr(theirs)
    # same initial parameters from the same seed
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for (n1, p1), (n2, p2) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert n1 == n2 and p1.dtype == p2.dtype and p1.shape == p2.shape
        assert torch.equal(p1, p2)
    for attr in ("in_channels", "out_channels", "kernel_size", "stride", "padding",
                 "dilation", "groups", "padding_mode", "transposed", "output_padding"):
        assert getattr(ours, attr) == getattr(theirs, attr), attr
    dtype = ours.weight.dtype
    x = torch.randn(3, kw["in_channels"], 29, dtype=dtype, generator=_gen(3))
    torch.testing.assert_close(ours(x), theirs(x), **TOL[dtype])
    torch.testing.assert_close(ours(x[0]), theirs(x[0]), **TOL[dtype])


@pytest.mark.parametrize("kw", TORCH_MODULE_ARGS, ids=_module_id)
def test_checkpoints_load_both_ways(kw):
    torch.manual_seed(1)
    theirs = torch.nn.Conv1d(**kw)
    torch.manual_seed(2)
    ours = cct.Conv1d(**kw)
    dtype = ours.weight.dtype
    x = torch.randn(2, kw["in_channels"], 31, dtype=dtype, generator=_gen(4))
    # torch's checkpoint into ours
    buf = io.BytesIO()
    torch.save(theirs.state_dict(), buf)
    buf.seek(0)
    assert not torch.equal(ours.weight, theirs.weight)
    ours.load_state_dict(torch.load(buf))
    torch.testing.assert_close(ours(x), theirs(x), **TOL[dtype])
    # ours into a fresh torch module
    ours.weight.data.mul_(-0.5)
    torch.manual_seed(3)
    fresh = torch.nn.Conv1d(**kw)
    fresh.load_state_dict(ours.state_dict())
    torch.testing.assert_close(fresh(x), ours(x), **TOL[dtype])


def test_model_swaps_class_and_loads_checkpoint():
    def make(conv):
        torch.manual_seed(0)
        return torch.nn.Sequential(conv(2, 8, 5, padding=2, padding_mode="reflect"),
                                   torch.nn.ReLU(),
                                   conv(8, 4, 3, stride=2, padding="valid", groups=2),
                                   torch.nn.Flatten(), torch.nn.LazyLinear(3))
    theirs, ours = make(torch.nn.Conv1d), make(cct.Conv1d)
    x = torch.randn(4, 2, 40, generator=_gen(5))
    theirs(x), ours(x)  # materialise the lazy layer
    buf = io.BytesIO()
    torch.save(theirs.state_dict(), buf)
    buf.seek(0)
    ours.load_state_dict(torch.load(buf))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    torch.testing.assert_close(ours(x), theirs(x), **TOL[torch.float32])


@pytest.mark.parametrize("kw", [
    dict(padding="causal"), dict(padding="full", dilation=2), dict(padding="same", stride=2),
    dict(padding=(1, 3)), dict(padding=[0, 2], padding_mode="symmetric"),
    dict(padding="causal", padding_mode="mean"), dict(padding=4, padding_mode="antireflect"),
    dict(padding="same", stride=3, padding_mode="median"), dict(padding=2, padding_mode="wrap"),
    dict(padding=(2, 0), padding_mode="linear_ramp", groups=2),
    dict(padding=3, padding_mode="edge"), dict(padding=1, padding_mode="constant"),
], ids=_module_id)
def test_module_extra_paddings(kw):
    torch.manual_seed(99)
    reference = torch.nn.Conv1d(4, 6, 3, stride=kw.get("stride", 1),
                                dilation=kw.get("dilation", 1), groups=kw.get("groups", 1))
    torch.manual_seed(99)
    ours = cct.Conv1d(4, 6, 3, **kw)
    # the initialisation does not depend on the padding
    assert torch.equal(ours.weight, reference.weight) and torch.equal(ours.bias, reference.bias)
    assert list(ours.state_dict()) == ["weight", "bias"]
    expected_padding = kw["padding"] if isinstance(kw["padding"], str) else \
        (kw["padding"],) if isinstance(kw["padding"], int) else tuple(kw["padding"])
    assert ours.padding == expected_padding
    assert ours.padding_mode == kw.get("padding_mode", "zeros")
    text = repr(ours)
    assert text.startswith("Conv1d(4, 6, kernel_size=(3,)")
    assert f"padding={expected_padding}" in text or f"padding={kw['padding']}" in text
    if "padding_mode" in kw:
        assert f"padding_mode={kw['padding_mode']}" in text
    x = torch.randn(2, 4, 23, generator=_gen(6))
    with torch.no_grad():
        expected = _oracle(x.double(), ours.weight.double(), ours.bias.double(),
                           stride=ours.stride[0], dilation=ours.dilation[0],
                           groups=ours.groups, padding=ours._cc_padding(),
                           padding_mode=ours.padding_mode)
    torch.testing.assert_close(ours(x), expected.float(), **TOL[torch.float32])
    if kw["padding"] == "causal":  # output j sees no input after j
        x2 = x.clone()
        x2[..., 15:] += 1.0
        if ours.padding_mode not in ("mean",):  # "mean" pads with a statistic of all samples
            torch.testing.assert_close(ours(x2)[..., :15], ours(x)[..., :15])


@pytest.mark.parametrize("kw", [dict(in_channels=3, out_channels=4, kernel_size=5),
                                dict(in_channels=8, out_channels=4, kernel_size=3, groups=4),
                                dict(in_channels=2, out_channels=64, kernel_size=7,
                                     padding="causal", padding_mode="symmetric")])
def test_init_distribution_matches_torch(kw):
    bound = 1 / math.sqrt(kw["in_channels"] // kw.get("groups", 1) * kw["kernel_size"])
    torch.manual_seed(7)
    ours = cct.Conv1d(**kw)
    torch.manual_seed(7)
    theirs = torch.nn.Conv1d(**{k: v for k, v in kw.items()
                                if k not in ("padding", "padding_mode")})
    assert torch.equal(ours.weight, theirs.weight) and torch.equal(ours.bias, theirs.bias)
    for p in (ours.weight, ours.bias):
        assert p.abs().max() <= bound
    # many draws: spread across the bound like U(-bound, bound)
    draws = torch.cat([cct.Conv1d(**kw).weight.detach().flatten() for _ in range(20)])
    assert draws.abs().max() <= bound
    assert draws.max() > 0.9 * bound and draws.min() < -0.9 * bound
    assert abs(draws.mean().item()) < 0.1 * bound
    assert abs(draws.std().item() - bound / math.sqrt(3)) < 0.1 * bound
    ours.reset_parameters()  # torch's method, inherited
    assert ours.weight.abs().max() <= bound


def test_module_is_torch_conv1d_and_behaves_like_a_module():
    layer = cct.Conv1d(3, 4, 3, padding="causal", padding_mode="symmetric")
    assert isinstance(layer, torch.nn.Conv1d)
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]
    x = torch.randn(2, 3, 12)
    y = layer(x)
    for clone in (copy.deepcopy(layer), torch.load(_saved(layer), weights_only=False)):
        assert type(clone) is cct.Conv1d and repr(clone) == repr(layer)
        torch.testing.assert_close(clone(x), y)
    double = copy.deepcopy(layer).double()
    torch.testing.assert_close(double(x.double()), y.double(), **TOL[torch.float32])
    no_bias = cct.Conv1d(3, 4, 3, bias=False)
    assert no_bias.bias is None and list(no_bias.state_dict()) == ["weight"]


def _saved(module):
    buf = io.BytesIO()
    torch.save(module, buf)
    buf.seek(0)
    return buf


# --------------------------------------------------------------------------------------
# A small model trained with torch's layers and with ours
# --------------------------------------------------------------------------------------

class SmallCNN(torch.nn.Module):
    def __init__(self, conv, padding_a=2, mode_a="reflect", padding_b="same", mode_b="zeros"):
        super().__init__()
        self.conv1 = conv(3, 8, 5, padding=padding_a, padding_mode=mode_a)
        self.conv2 = conv(8, 8, 3, padding=padding_b, padding_mode=mode_b, groups=2)
        self.head = torch.nn.Linear(8, 4)

    def forward(self, x):
        h = self.conv2(torch.relu(self.conv1(x)))
        return self.head(h.mean(-1))


def _train(model, x, target, steps=6):
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), target)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def test_training_matches_torch():
    torch.manual_seed(0)
    theirs = SmallCNN(torch.nn.Conv1d)
    ours = SmallCNN(cct.Conv1d)
    ours.load_state_dict(theirs.state_dict())
    x = torch.randn(16, 3, 40, generator=_gen(8))
    target = torch.randint(0, 4, (16,), generator=_gen(9))
    loss_theirs, loss_ours = _train(theirs, x, target), _train(ours, x, target)
    assert loss_ours[-1] < loss_ours[0]
    np.testing.assert_allclose(loss_ours, loss_theirs, rtol=1e-5, atol=1e-6)
    for (n, p), (m, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert n == m
        torch.testing.assert_close(p, q, rtol=1e-4, atol=1e-5)


def test_training_with_extra_paddings_matchesexplicit_padding():
    """Ours with "causal"/"symmetric" against torch layers fed explicitly padded input."""
    class Explicit(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = torch.nn.Conv1d(3, 8, 5)
            self.conv2 = torch.nn.Conv1d(8, 8, 3, groups=2)
            self.head = torch.nn.Linear(8, 4)

        def forward(self, x):
            h = torch.relu(self.conv1(F.pad(x, (4, 0))))  # causal, zeros
            h = torch.cat([h[..., :1], h, h[..., -1:]], -1)  # symmetric, 1|1
            return self.head(self.conv2(h).mean(-1))

    torch.manual_seed(0)
    theirs = Explicit()
    ours = SmallCNN(cct.Conv1d, padding_a="causal", mode_a="zeros", padding_b="same",
                    mode_b="symmetric")
    ours.load_state_dict(theirs.state_dict())
    x = torch.randn(16, 3, 40, generator=_gen(8))
    target = torch.randint(0, 4, (16,), generator=_gen(9))
    np.testing.assert_allclose(_train(ours, x, target), _train(theirs, x, target),
                               rtol=1e-5, atol=1e-6)


def test_torch_compile_matches_eager():
    torch.manual_seed(0)
    model = SmallCNN(cct.Conv1d, padding_a="causal", mode_a="symmetric")
    x = torch.randn(4, 3, 30, generator=_gen(10))
    target = torch.tensor([0, 1, 2, 3])

    def step(m):
        m.zero_grad()
        loss = F.cross_entropy(m(x), target)
        loss.backward()
        return loss.detach(), [p.grad.clone() for p in m.parameters()]

    eager_loss, eager_grads = step(model)
    torch._dynamo.reset()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compiled = torch.compile(model, backend="eager")
        loss, grads = step(compiled)
        loss2, _ = step(compiled)  # a second call reuses the compiled code
    torch._dynamo.reset()
    torch.testing.assert_close(loss, eager_loss)
    torch.testing.assert_close(loss2, eager_loss)
    for g, e in zip(grads, eager_grads):
        torch.testing.assert_close(g, e)
    # the functional form under compile, with the no-grad path
    fn = torch.compile(lambda a, w: cct.conv1d(a, w, padding="same", stride=2,
                                               padding_mode="antireflect"), backend="eager")
    w = torch.randn(5, 3, 4, generator=_gen(11))
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.testing.assert_close(fn(x, w), cct.conv1d(x, w, padding="same", stride=2,
                                                        padding_mode="antireflect"))
    torch._dynamo.reset()


# --------------------------------------------------------------------------------------
# method="auto" | "direct" | "fft"

@pytest.mark.parametrize("method", ["auto", "direct", "fft"])
@pytest.mark.parametrize("kw", [dict(padding="same"),
                                dict(padding=(7, 30), stride=3, dilation=2, groups=2),
                                dict(padding="causal", padding_mode="reflect")])
def test_methods_match_torch_autograd_in_float64(method, kw):
    """Forward and all three gradients by each route against torch's own float64 conv1d
    and autograd (after torch's padding, for the reflect mode)."""
    x, w, b = _data(3, 4, 300, 6, 4 // kw.get("groups", 1), 40, torch.float64, seed=21)
    for t in (x, w, b):
        t.requires_grad_()
    y = cct.conv1d(x, w, b, method=method, **kw)
    g = torch.randn(y.shape, dtype=torch.float64, generator=_gen(22))
    y.backward(g)
    ref = [t.detach().clone().requires_grad_() for t in (x, w, b)]
    left, right = explicit_padding(kw["padding"], 300, 40, kw.get("stride", 1),
                                   kw.get("dilation", 1))
    torch_mode = {"zeros": "constant"}.get(kw.get("padding_mode", "zeros"), "reflect")
    yr = F.conv1d(F.pad(ref[0], (left, right), mode=torch_mode), ref[1], ref[2],
                  stride=kw.get("stride", 1), dilation=kw.get("dilation", 1),
                  groups=kw.get("groups", 1))
    yr.backward(g)
    torch.testing.assert_close(y, yr, rtol=1e-11, atol=1e-11)
    for ours, theirs in zip((x, w, b), ref):
        torch.testing.assert_close(ours.grad, theirs.grad, rtol=1e-11, atol=1e-10)


@pytest.mark.parametrize("method", ["direct", "fft"])
def test_method_reaches_the_kernels_of_both_passes(monkeypatch, method):
    seen = []
    real_fwd, real_bwd = cc.conv1d, cc.conv1d_backward
    monkeypatch.setattr(cc, "conv1d", lambda *a, **k: seen.append(k["method"]) or
                        real_fwd(*a, **k))
    monkeypatch.setattr(cc, "conv1d_backward", lambda *a, **k: seen.append(k["method"]) or
                        real_bwd(*a, **k))
    layer = cct.Conv1d(3, 5, 33, padding="same", method=method)
    layer(torch.randn(2, 3, 100, requires_grad=True)).sum().backward()
    assert seen == [method, method]


def test_method_float32_fft_is_as_accurate_as_torch():
    """float32 by the FFT route, forward and input gradient, against torch's float64:
    within a small factor of torch's own float32 error (the FFT's error is relative to
    a row's norm: log2(F) * sqrt(terms) times an output's at most)."""
    x, w, _ = _data(2, 8, 512, 8, 8, 63, torch.float64, seed=23)
    x.requires_grad_()
    ref = F.conv1d(x, w, padding=31)
    g = torch.randn(ref.shape, dtype=torch.float64, generator=_gen(24))
    (ref_dx,) = torch.autograd.grad(ref, x, g)
    x32 = x.detach().float().requires_grad_()
    theirs = F.conv1d(x32, w.float(), padding=31)
    (theirs_dx,) = torch.autograd.grad(theirs, x32, g.float())
    ours = cct.conv1d(x32, w.float(), padding=31, method="fft")
    (ours_dx,) = torch.autograd.grad(ours, x32, g.float())
    factor = math.log2(1024) * math.sqrt(8 * 63)
    eps = torch.finfo(torch.float32).eps
    for a, t, r in ((ours, theirs, ref), (ours_dx, theirs_dx, ref_dx)):
        bound = factor * ((t.double() - r).abs().max() + eps * r.abs().max())
        assert (a.double() - r).abs().max() <= bound


def test_method_is_validated_like_conv1d():
    x, w, _ = _data(1, 2, 20, 2, 2, 3, torch.float32)
    with pytest.raises(ValueError, match="method must be one of 'auto', 'direct', 'fft', "
                                         "got 'winograd'"):
        cct.conv1d(x, w, method="winograd")
    with pytest.raises(ValueError, match="method must be one of .*got 'FFT'"):
        cct.Conv1d(2, 2, 3, method="FFT")
    with pytest.raises(ValueError, match="method must be one of .*got 'winograd'"):
        cc.conv1d(x.numpy(), w.numpy(), method="winograd")   # the same words and message


def test_method_in_repr_converted_layers_and_compile():
    assert "method" not in repr(cct.Conv1d(2, 3, 5))
    assert repr(cct.Conv1d(2, 3, 5, method="fft")).endswith(", method='fft')")
    model = torch.nn.Sequential(torch.nn.Conv1d(2, 3, 5))
    cct.convert(model)
    assert model[0].method == "auto"          # converted in place: no __init__ of ours
    x = torch.randn(2, 2, 80, generator=_gen(25))
    model(x).sum().backward()
    layer = cct.Conv1d(2, 3, 41, padding="same", method="fft")
    torch._dynamo.reset()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compiled = torch.compile(layer, backend="eager", fullgraph=True)
        torch.testing.assert_close(compiled(x), layer(x))
    torch._dynamo.reset()


def test_lazily_negated_views_are_resolved():
    """x.conj().imag is a float tensor with the negative bit set, which has no numpy view:
    the drop-in resolves it instead of failing (torch.nn.functional.conv1d accepts it)."""
    x = torch.randn(2, 4, 20, dtype=torch.cfloat).conj().imag
    w = torch.randn(6, 4, 3)
    assert x.is_neg()
    torch.testing.assert_close(cct.conv1d(x, w), F.conv1d(x, w), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
def test_fallback_compiles_fullgraph_where_nn_conv1d_does(mode):
    """float16/bfloat16 models and autocast run torch's conv1d after our padding; with
    torch's own padding modes the pad is F.pad, so a converted model compiles with
    fullgraph=True as nn.Conv1d does (the padding-mode lookup was compiled code: a
    graph break, an audit's find). Oracle: nn.Conv1d with the same weights."""
    torch.manual_seed(3)
    x = torch.randn(2, 4, 16)
    for dtype in (torch.float16, torch.bfloat16):
        theirs = torch.nn.Conv1d(4, 6, 3, padding=1, padding_mode=mode).to(dtype)
        ours = cct.convert(copy.deepcopy(torch.nn.Sequential(theirs)))[0]
        torch._dynamo.reset()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compiled = torch.compile(ours, backend="eager", fullgraph=True)
            got = compiled(x.to(dtype))
        assert torch.equal(got, theirs(x.to(dtype))), (mode, dtype)
    layer = cct.Conv1d(4, 6, 3, padding=1, padding_mode=mode)
    theirs = torch.nn.Conv1d(4, 6, 3, padding=1, padding_mode=mode)
    theirs.load_state_dict(layer.state_dict())
    torch._dynamo.reset()
    with warnings.catch_warnings(), torch.autocast("cpu", dtype=torch.bfloat16):
        warnings.simplefilter("ignore")
        got = torch.compile(layer, backend="eager", fullgraph=True)(x)
        expected = theirs(x)
    assert got.dtype == expected.dtype == torch.bfloat16
    assert torch.equal(got, expected)
    torch._dynamo.reset()
