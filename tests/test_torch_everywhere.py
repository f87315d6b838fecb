"""``cconv1d.torch`` wherever ``torch.nn.Conv1d`` works: the custom operator under
``torch.compile(fullgraph=True)`` and ``torch.export``; the silent fallback to
``torch.nn.functional.conv1d`` for float16/bfloat16, meta tensors, autocast and
``torch.func``; ``convert``; the padding arguments torch refuses.

Oracles: ``torch.nn.functional.conv1d`` after ``numpy.pad``/``pywt``-tested ``cc.pad`` in
float64 (independent of the fallback's torch-side padding), ``torch.nn.Conv1d`` itself,
and autograd through that oracle for gradients.
"""

import os
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import cconv1d as cc
import cconv1d.torch as cct
from cconv1d import _spec

ALL_MODES = _spec.ALL_NAMES


def _gen(seed):
    return torch.Generator().manual_seed(seed)


def _reference(x, w, b, left, right, mode, pad_value=0.0, stride=1, dilation=1, groups=1):
    """float64 oracle: numpy.pad where it has the mode, else cc.pad (tested against numpy
    and pywt in test_padding.py), then torch's unpadded conv1d."""
    xd = x.detach().double().cpu().numpy()
    canonical = _spec.ALIASES.get(mode, mode)
    widths = [(0, 0)] * (xd.ndim - 1) + [(left, right)]
    if mode in ("zeros", "zero"):
        xp = np.pad(xd, widths)
    elif canonical == "constant":
        xp = np.pad(xd, widths, constant_values=pad_value)
    elif canonical in ("edge", "reflect", "symmetric", "wrap", "mean", "median", "minimum",
                       "maximum"):
        xp = np.pad(xd, widths, mode=canonical)
    elif canonical == "linear_ramp":
        xp = np.pad(xd, widths, mode="linear_ramp", end_values=pad_value)
    else:
        xp = cc.pad(xd, (left, right), canonical)
    wd = w.detach().double().cpu()
    bd = None if b is None else b.detach().double().cpu()
    return F.conv1d(torch.from_numpy(xp), wd, bd, stride=stride, dilation=dilation,
                    groups=groups)


def _data(dtype=torch.float32, seed=0, length=23):
    g = _gen(seed)
    x = torch.randn(3, 4, length, generator=g).to(dtype)
    w = torch.randn(6, 2, 5, generator=g).to(dtype)
    b = torch.randn(6, generator=g).to(dtype)
    return x, w, b


# --------------------------------------------------------------------------------------
# float16 / bfloat16 on the CPU: torch computes them, every padding mode
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
@pytest.mark.parametrize("mode", ALL_MODES)
def test_half_precision_every_mode(dtype, mode):
    x, w, b = _data(dtype)
    y = cct.conv1d(x, w, b, stride=2, padding=(7, 3), groups=2, padding_mode=mode,
                   pad_value=0.75)
    assert y.dtype == dtype and y.device.type == "cpu"
    ref = _reference(x, w, b, 7, 3, mode, 0.75, stride=2, groups=2)
    scale = float(ref.abs().max())
    tol = 2e-2 if dtype == torch.float16 else 8e-2   # 10 and 7 mantissa bits, 10 taps
    torch.testing.assert_close(y.double(), ref, rtol=tol, atol=tol * scale)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_module_trains(dtype):
    torch.manual_seed(0)
    layer = cct.Conv1d(4, 6, 5, padding="same", padding_mode="symmetric", groups=2,
                       dtype=dtype)
    x = torch.randn(3, 4, 23).to(dtype).requires_grad_()
    y = layer(x)
    y.float().square().sum().backward()
    assert y.dtype == dtype and x.grad.dtype == dtype and layer.weight.grad.dtype == dtype
    # the float64 gradient of the same loss through the oracle
    x64 = x.detach().double().requires_grad_()
    w64 = layer.weight.detach().double().requires_grad_()
    ref = F.conv1d(torch.cat([x64[..., :2].flip(-1), x64, x64[..., -2:].flip(-1)], -1), w64,
                   layer.bias.detach().double(), groups=2)
    ref.square().sum().backward()
    for got, want in ((x.grad, x64.grad), (layer.weight.grad, w64.grad)):
        scale = float(want.abs().max())
        torch.testing.assert_close(got.double(), want, rtol=0.1, atol=0.05 * scale)


def test_float16_and_32_agree_on_kernels_route():
    """float32 stays on the kernels (our operator), float16 goes to torch: same numbers."""
    x, w, b = _data(torch.float32)
    y32 = cct.conv1d(x, w, b, padding="causal", padding_mode="antireflect", groups=2)
    assert type(cct.conv1d(x, w.requires_grad_(), b,
                           groups=2).grad_fn).__name__ == "_Conv1dKernelsBackward"
    y16 = cct.conv1d(x.half(), w.detach().half(), b.half(), padding="causal",
                     padding_mode="antireflect", groups=2)
    torch.testing.assert_close(y16.float(), y32.detach(), rtol=2e-2, atol=2e-2)


# --------------------------------------------------------------------------------------
# Meta tensors (the stand-in for CUDA/MPS on a machine without them)
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ALL_MODES)
@pytest.mark.parametrize("padding", [0, 3, (5, 1), "same", "full", "causal"])
def test_meta_tensors_every_mode_give_the_cpu_shape(mode, padding):
    x, w, b = _data(torch.float64)
    expected = cct.conv1d(x, w, b, stride=2, padding=padding, groups=2, padding_mode=mode)
    got = cct.conv1d(x.to("meta"), w.to("meta"), b.to("meta"), stride=2, padding=padding,
                     groups=2, padding_mode=mode)
    assert got.device.type == "meta"
    assert got.shape == expected.shape and got.dtype == expected.dtype


def test_module_on_meta_device():
    layer = cct.Conv1d(4, 6, 3, padding="causal", padding_mode="reflect", device="meta")
    y = layer(torch.empty(2, 4, 10, device="meta"))
    assert y.shape == (2, 6, 10) and y.device.type == "meta"
    # materialise it on the CPU, as torch's deferred initialisation does
    layer = layer.to_empty(device="cpu")
    layer.reset_parameters()
    assert layer(torch.randn(2, 4, 10)).shape == (2, 6, 10)


def test_meta_checks_shapes_like_the_cpu():
    x, w, _ = _data(torch.float32)
    for args, kwargs, match in [((x, w[:, :1]), {}, "channel mismatch"),
                                ((x, w), dict(groups=3), "groups=3 must divide"),
                                ((x[..., :2], w), dict(groups=2), "output length"),
                                ((x, w), dict(groups=2, padding_mode="nope"), "padding_mode")]:
        for device in ("cpu", "meta"):
            moved = [t.to(device) for t in args]
            with pytest.raises(ValueError, match=match):
                cct.conv1d(*moved, **kwargs)


# --------------------------------------------------------------------------------------
# The fallback's torch-side padding, against the oracle, in float64 with gradients
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ALL_MODES)
@pytest.mark.parametrize("widths", [(0, 4), (3, 2), (30, 27)])   # wider than the signal too
def test_fallback_matches_kernels_values_and_gradients(mode, widths):
    left, right = widths
    x, w, b = (t.double().requires_grad_() for t in _data(torch.float64, length=11))
    weights = torch.linspace(-1, 1, 3 * 6 * ((left + 11 + right - 5) // 1 + 1),
                             dtype=torch.float64)
    results = []
    for route in ("kernels", "fallback"):
        for t in (x, w, b):
            t.grad = None
        if route == "kernels":
            y = cct.conv1d(x, w, b, padding=widths, groups=2, padding_mode=mode,
                           pad_value=-0.5)
        else:
            y = cct._fallback(x, w, b, 1, left, right, 1, 2, mode, -0.5, False)
        (y.flatten() * weights).sum().backward()
        results.append((y.detach(), x.grad, w.grad, b.grad))
    torch.testing.assert_close(results[0][0], _reference(x, w, b, left, right, mode, -0.5,
                                                         groups=2))
    for got, want in zip(results[1], results[0]):
        torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-10)


def test_fallback_refuses_empty_signal_for_data_modes():
    x = torch.zeros(1, 2, 0, device="meta")
    w = torch.zeros(3, 2, 1, device="meta")
    with pytest.raises(ValueError, match="needs samples"):
        cct.conv1d(x, w, padding=2, padding_mode="reflect")
    assert cct.conv1d(x, w, padding=2, padding_mode="constant").shape == (1, 3, 4)


# --------------------------------------------------------------------------------------
# autocast and torch.func
# --------------------------------------------------------------------------------------

def test_bfloat16_autocast_behaves_as_nn_conv1d():
    torch.manual_seed(0)
    theirs = torch.nn.Conv1d(4, 6, 5, padding=2, groups=2)
    ours = cct.convert(torch.nn.Conv1d(4, 6, 5, padding=2, groups=2))
    ours.load_state_dict(theirs.state_dict())
    x = torch.randn(3, 4, 23)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        y_ours, y_theirs = ours(x), theirs(x)
        mixed = cct.conv1d(x.bfloat16(), ours.weight, None, padding=2, groups=2)
    assert y_ours.dtype == y_theirs.dtype == mixed.dtype == torch.bfloat16
    torch.testing.assert_close(y_ours, y_theirs)


@pytest.mark.parametrize("mode", ["zeros", "reflect", "median", "antireflect"])
def test_torch_func_grad_vmap_jacrev(mode):
    x, w, b = (t.double() for t in _data(torch.float64, length=12))

    def loss(xx, ww):
        return cct.conv1d(xx, ww, b, padding="same", groups=2, padding_mode=mode).square().sum()

    gx, gw = torch.func.grad(loss, argnums=(0, 1))(x, w)
    xr, wr = x.clone().requires_grad_(), w.clone().requires_grad_()
    loss(xr, wr).backward()   # autograd through our operator's backward
    torch.testing.assert_close(gx, xr.grad)
    torch.testing.assert_close(gw, wr.grad)
    per_sample = torch.func.vmap(lambda s: cct.conv1d(s, w, b, padding="same", groups=2,
                                                      padding_mode=mode))(x)
    torch.testing.assert_close(per_sample, cct.conv1d(x, w, b, padding="same", groups=2,
                                                      padding_mode=mode))
    jac = torch.func.jacrev(lambda s: cct.conv1d(s, w, None, groups=2,
                                                 padding_mode=mode))(x[0])
    assert jac.shape == (6, 8, 4, 12)
    torch.testing.assert_close(jac[:3, 0, :2, 0:5], w[:3])   # dy[o, 0]/dx[c, k] = w[o, c, k]


@pytest.mark.parametrize("mode", ["zeros", "constant", "reflect", "median", "smooth"])
def test_forward_mode_ad_jvp(mode):
    """Forward-mode AD (dual tensors, and torch.func.jvp) runs on the fallback: the
    tangent of y in a direction (dx, dw, db) against float64 central differences of
    the numpy.pad/pywt oracle + torch's conv1d (exact for the linear modes; median's
    tangent follows the selected samples, and h is far below their gaps)."""
    import torch.autograd.forward_ad as fwAD
    x, w, b = (t.double() for t in _data(torch.float64, length=12))
    g = _gen(7)
    tx, tw, tb = (torch.randn(t.shape, generator=g, dtype=torch.float64) for t in (x, w, b))
    kw = dict(padding=(3, 2), groups=2, padding_mode=mode, pad_value=0.5)
    with fwAD.dual_level():
        y = cct.conv1d(fwAD.make_dual(x, tx), fwAD.make_dual(w, tw),
                       fwAD.make_dual(b, tb), **kw)
        tangent = fwAD.unpack_dual(y).tangent
    h = 1e-6

    def ref(s, dw=1.0, db=1.0):   # the oracle at (x, w, b) + s * (tx, dw*tw, db*tb)
        return _reference(x + s * tx, w + s * dw * tw, b + s * db * tb, 3, 2, mode, 0.5,
                          groups=2)

    torch.testing.assert_close(tangent, (ref(h) - ref(-h)) / (2 * h), rtol=1e-6, atol=1e-6)
    _, jvp = torch.func.jvp(lambda xx: cct.conv1d(xx, w, b, **kw), (x,), (tx,))
    want = (ref(h, 0.0, 0.0) - ref(-h, 0.0, 0.0)) / (2 * h)
    torch.testing.assert_close(jvp, want, rtol=1e-6, atol=1e-6)


def test_second_order_works_on_the_fallback():
    x, w, _ = _data(torch.float32)
    x, w = x.bfloat16().requires_grad_(), w.bfloat16().requires_grad_()
    (gx,) = torch.autograd.grad(cct.conv1d(x, w, groups=2).float().sum(), x,
                                create_graph=True)
    gx.float().square().sum().backward()    # torch's conv1d differentiates twice
    assert w.grad is not None


# --------------------------------------------------------------------------------------
# torch.compile(fullgraph=True) and torch.export
# --------------------------------------------------------------------------------------

class _Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv1d(3, 8, 5, padding=2, padding_mode="reflect")
        self.conv2 = torch.nn.Conv1d(8, 8, 3, padding="same", groups=2)
        self.head = torch.nn.Linear(8, 4)

    def forward(self, x):
        return self.head(self.conv2(torch.relu(self.conv1(x))).mean(-1))


def _step(model, x):
    model.zero_grad()
    loss = model(x).square().sum()
    loss.backward()
    return loss.detach(), [p.grad.clone() for p in model.parameters()]


# inductor compiles C++ with the system compiler in subprocesses; under the sanitizer
# job's LD_PRELOAD those would run with ASan too and write reports of their own.
UNDER_ASAN = "libasan" in os.environ.get("LD_PRELOAD", "")


@pytest.mark.parametrize("backend", [
    "aot_eager",
    pytest.param("inductor", marks=pytest.mark.skipif(
        UNDER_ASAN, reason="inductor's compiler subprocesses would inherit the ASan preload")),
])
def test_compile_fullgraph_matches_eager(backend):
    torch.manual_seed(0)
    model = cct.convert(_Model())
    x = torch.randn(4, 3, 30, generator=_gen(3))
    eager_loss, eager_grads = _step(model, x)
    torch._dynamo.reset()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compiled = torch.compile(model, fullgraph=True, backend=backend)
            loss, grads = _step(compiled, x)
            again, _ = _step(compiled, x)
            # extra paddings of ours compile too
            fn = torch.compile(lambda a, c: cct.conv1d(a, c, None, 2, "same",
                                                       padding_mode="antireflect"),
                               fullgraph=True, backend=backend)
            c = torch.randn(5, 3, 4, generator=_gen(4))
            torch.testing.assert_close(fn(x, c), cct.conv1d(x, c, None, 2, "same",
                                                            padding_mode="antireflect"))
    finally:
        torch._dynamo.reset()
    torch.testing.assert_close(loss, eager_loss)
    torch.testing.assert_close(again, eager_loss)
    for g, e in zip(grads, eager_grads):
        torch.testing.assert_close(g, e)


@pytest.mark.parametrize("mode", ["zeros", "reflect", "median", "antireflect"])
def test_operator_registration_passes_opcheck(mode):
    """torch.library.opcheck: schema, fake (meta) implementation against the real one,
    autograd registration, and the operator under torch.compile's tracing."""
    x, w, b = (t.double().requires_grad_() for t in _data(torch.float64, length=12))
    args = (x, w, b, 2, 3, 1, 1, 2, mode, -0.5, False)
    torch.library.opcheck(torch.ops.cconv1d.conv1d.default, args)
    torch.library.opcheck(torch.ops.cconv1d.conv1d.default, (x, w, None) + args[3:])


@pytest.mark.parametrize("mode", ["zeros", "symmetric", "mean"])
def test_eager_function_and_operator_agree(mode):
    """Eager calls take an autograd.Function (no dispatcher cost), traced ones the
    operator: the same kernels, bit for bit, values and gradients."""
    results = []
    for route in ("eager", "operator"):
        x, w, b = (t.double().requires_grad_() for t in _data(torch.float64, length=12))
        if route == "eager":
            y = cct.conv1d(x, w, b, 2, (3, 1), 1, 2, padding_mode=mode, pad_value=-0.5)
            assert type(y.grad_fn).__name__ == "_Conv1dKernelsBackward"
        else:
            y = torch.ops.cconv1d.conv1d(x, w, b, 2, 3, 1, 1, 2, mode, -0.5, False)
        (y * torch.linspace(-1, 1, y.shape[-1], dtype=torch.float64)).sum().backward()
        results.append((y.detach(), x.grad, w.grad, b.grad))
    for got, want in zip(*results):
        assert torch.equal(got, want)


def test_export_keeps_our_operator():
    torch.manual_seed(0)
    model = cct.convert(_Model()).eval()
    x = torch.randn(2, 3, 30, generator=_gen(5))
    exported = torch.export.export(model, (x,))
    targets = [str(n.target) for n in exported.graph.nodes if n.op == "call_function"]
    assert targets.count("cconv1d.conv1d.default") == 2, targets
    torch.testing.assert_close(exported.module()(x), model(x))


# --------------------------------------------------------------------------------------
# convert()
# --------------------------------------------------------------------------------------

def test_convert_keeps_parameters_hooks_and_outputs():
    torch.manual_seed(0)
    model = _Model()
    reference = _Model()
    reference.load_state_dict(model.state_dict())
    params = [id(p) for p in model.parameters()]
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    seen = []
    model.conv2.register_forward_hook(lambda m, i, o: seen.append(o.shape))
    x = torch.randn(4, 3, 30, generator=_gen(6))
    assert cct.convert(model) is model
    assert type(model.conv1) is cct.Conv1d and type(model.conv2) is cct.Conv1d
    assert type(model.head) is torch.nn.Linear
    assert [id(p) for p in model.parameters()] == params
    assert model.state_dict().keys() == reference.state_dict().keys()
    torch.testing.assert_close(model(x), reference(x))
    assert seen == [(4, 8, 30)]
    # the optimizer built before still trains the converted model
    loss = model(x).square().sum()
    loss.backward()
    opt.step()
    assert model(x).square().sum() < loss
    assert type(model.conv1(x).grad_fn).__name__ == "_Conv1dKernelsBackward"


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_converted_model_runs_in_half_precision(dtype):
    torch.manual_seed(0)
    model = _Model()
    reference = _Model()
    reference.load_state_dict(model.state_dict())
    cct.convert(model).to(dtype)
    x = torch.randn(4, 3, 30, generator=_gen(7))
    y = model(x.to(dtype))
    assert y.dtype == dtype
    torch.testing.assert_close(y.float(), reference(x).detach(), rtol=0.1, atol=0.1)


def test_convert_leaves_subclasses_and_refuses_non_modules():
    class MyConv(torch.nn.Conv1d):
        pass

    model = torch.nn.Sequential(MyConv(2, 2, 3), torch.nn.Conv1d(2, 2, 3))
    cct.convert(model)
    assert type(model[0]) is MyConv and type(model[1]) is cct.Conv1d
    single = cct.convert(torch.nn.Conv1d(2, 3, 3))
    assert type(single) is cct.Conv1d
    with pytest.raises(TypeError, match="module must be a torch.nn.Module"):
        cct.convert([torch.nn.Conv1d(2, 2, 3)])


# --------------------------------------------------------------------------------------
# Issue 18 item 8: paddings torch refuses are refused (they were truncated by int())
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("padding, error, match", [
    ((1.5,), TypeError, "padding must be an integer, got 1.5"),
    (("2",), TypeError, "padding must be an integer, got '2'"),
    ((-1,), ValueError, "padding must be an integer >= 0, got -1"),
    (1.5, TypeError, "padding must be an integer"),
    ((1, 2.5), TypeError, r"padding\[1\] must be an integer"),
])
def test_module_refuses_paddings_torch_refuses(padding, error, match):
    with pytest.raises(error, match=match):
        cct.Conv1d(2, 3, 3, padding=padding)
    with pytest.raises(error, match=match):
        cct.conv1d(torch.randn(1, 2, 8), torch.randn(3, 2, 3), padding=padding)


def test_functional_takes_torch_positional_order_and_one_tuples():
    x, w, b = _data(torch.float64)
    ref = F.conv1d(x, w, b, (2,), (1,), (2,), 2)
    torch.testing.assert_close(cct.conv1d(x, w, b, (2,), (1,), (2,), 2), ref)
    torch.testing.assert_close(cct.conv1d(x, w, b, 2, 1, 2, 2), ref)


# --------------------------------------------------------------------------------------
# The NumPy layer loads torch tensors directly
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bfloat16])
def test_numpy_layer_loads_torch_state_dict_directly(dtype):
    torch.manual_seed(0)
    theirs = torch.nn.Conv1d(3, 4, 5, padding=2).to(dtype)
    ours = cc.Conv1d(3, 4, 5, padding=2)
    ours.load_state_dict(theirs.state_dict())      # Parameters that require grad, too
    ours.load_state_dict(dict(theirs.named_parameters()))
    x = torch.randn(2, 3, 20).to(dtype)
    want = theirs(x).detach().double().numpy()
    got = ours(x.double().numpy())
    tol = 1e-5 if dtype != torch.bfloat16 else 3e-2
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol * np.abs(want).max())


# --------------------------------------------------------------------------------------
# torch.jit.script: torch-expressible layers script as torch.nn.Conv1d, others refuse
# --------------------------------------------------------------------------------------

def test_jit_script_converted_model():
    torch.manual_seed(0)
    model = cct.convert(_Model()).eval()
    x = torch.randn(2, 3, 30, generator=_gen(12))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scripted = torch.jit.script(model)
    torch.testing.assert_close(scripted(x), model(x))
    # the scripted layers share the parameters
    assert scripted.conv1.weight.data_ptr() == model.conv1.weight.data_ptr()


@pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning")
@pytest.mark.parametrize("kwargs", [dict(padding="causal"), dict(padding=(2, 1)),
                                    dict(padding="same", stride=2),
                                    dict(padding=1, padding_mode="symmetric")])
def test_jit_script_refuses_what_torch_cannot_express(kwargs):
    layer = cct.Conv1d(2, 3, 3, **kwargs)
    with pytest.raises(RuntimeError, match="torch.jit.script cannot compile.*torch.compile"):
        torch.jit.script(layer)


@pytest.mark.parametrize("padding", ["same", "valid", "full", "causal", 3, (1, 4)])
@pytest.mark.parametrize("stride", [1, 2, 3])
def test_compile_dynamic_lengths_match_eager(padding, stride):
    """Under torch.compile(dynamic=True) the length stays symbolic: the traced geometry
    must give the eager (spec layer's) output at every length, not the first one's."""
    c = torch.randn(5, 3, 4, generator=_gen(5))
    torch._dynamo.reset()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn = torch.compile(lambda a, k: cct.conv1d(a, k, None, stride, padding,
                                                       padding_mode="reflect"),
                               fullgraph=True, dynamic=True, backend="aot_eager")
            for length in (30, 41, 57):
                x = torch.randn(2, 3, length, generator=_gen(length))
                torch.testing.assert_close(fn(x, c), cct.conv1d(
                    x, c, None, stride, padding, padding_mode="reflect"))
    finally:
        torch._dynamo.reset()


def test_traced_geometry_equals_the_spec_layer():
    """cconv1d.torch's traceable twin of conv1d_geometry against the spec layer's, over
    every word and a grid of lengths, kernels, strides and dilations."""
    from cconv1d import _spec
    from cconv1d.torch import _traced_geometry
    for padding in ("same", "valid", "full", "causal", (0, 0), (2, 5)):
        for length in range(0, 20):
            for k in (1, 2, 3, 4, 7):
                for stride in (1, 2, 3, 5):
                    for dilation in (1, 2, 3):
                        assert _traced_geometry(length, k, stride, padding, dilation) == \
                            _spec.conv1d_geometry(length, k, stride, padding, dilation)


@pytest.mark.parametrize("method", ["direct", "fft"])
def test_operator_with_a_method_passes_opcheck(method):
    """The operators' method argument (default "auto", so calls without it keep
    working) through torch.library.opcheck, and its result against the eager route."""
    x, w, b = (t.double().requires_grad_() for t in _data(torch.float64, length=12))
    args = (x, w, b, 2, 3, 1, 1, 2, "zeros", 0.0, False, method)
    torch.library.opcheck(torch.ops.cconv1d.conv1d.default, args)
    y = torch.ops.cconv1d.conv1d(*args)
    torch.testing.assert_close(y, cct.conv1d(x, w, b, 2, (3, 1), 1, 2, method="direct"),
                               rtol=1e-12, atol=1e-12)
