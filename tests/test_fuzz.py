"""Property-based fuzzing of every public function with random, often invalid, arguments.

The property: a call either returns the float64 reference's result (with the right
shape and dtype, inputs untouched), or raises ValueError/TypeError whose message names
the offending argument. Never another exception, a crash, a hang or a wrong shape.
References are written here from the equations with NumPy (``numpy.pad`` for the
padding, ``numpy.convolve``/``numpy.correlate`` for the signal functions).

The example budget comes from tests/conftest.py's Hypothesis profile; set
``CCONV1D_HYPOTHESIS_PROFILE=long`` to search longer.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cconv1d as cc

ARGUMENT_WORDS = (
    "x", "weight", "bias", "stride", "padding", "dilation", "groups", "padding_mode",
    "pad_value", "output length", "mode", "a:", "v ", "v:", "a cannot", "v cannot",
    "axis", "method", "pad_width", "length", "grad", "grad_output", "needs",
    "output_padding", "kernel", "channel", "value", "stat_length", "end_values",
)
NUMPY_MODES = ["zeros", "constant", "edge", "reflect", "symmetric", "wrap", "mean",
               "median", "minimum", "maximum", "linear_ramp", "replicate", "circular"]
DTYPES = ["float32", "float64", "int32", "bool", "float16", "complex128", "object",
          "U3", ">f8"]
LAYOUTS = ["c", "fortran", "strided", "reversed", "readonly"]


def _numpy_mode(mode):
    return {"zeros": "constant", "replicate": "edge", "circular": "wrap"}.get(mode, mode)


def _make(draw, shape, dtype_name, layout):
    rng = np.random.default_rng(draw(st.integers(0, 2**31)))
    data = np.asarray(rng.standard_normal(shape) * 3)
    if dtype_name in ("object", "U3"):
        return data.astype(dtype_name)
    arr = data.astype(np.dtype(dtype_name))
    if layout == "fortran":
        arr = np.asfortranarray(arr)
    elif layout == "strided" and arr.ndim:
        big = np.zeros(arr.shape[:-1] + (2 * arr.shape[-1],), dtype=arr.dtype)
        big[..., ::2] = arr
        arr = big[..., ::2]
    elif layout == "reversed" and arr.ndim:
        arr = np.ascontiguousarray(arr[..., ::-1])[..., ::-1]
    elif layout == "readonly":
        arr.setflags(write=False)
    return arr


def _absmax(a):
    a = np.asarray(a)
    return float(np.abs(a).max()) if a.size else 0.0


def _check_error(exc):
    assert isinstance(exc, (ValueError, TypeError)), f"{type(exc).__name__}: {exc}"
    message = str(exc)
    assert any(word in message for word in ARGUMENT_WORDS), message


def _snapshot(*arrays):
    return [None if a is None else np.array(a, copy=True) for a in arrays]


def _unchanged(before, *arrays):
    for old, new in zip(before, arrays):
        if old is not None:
            numeric = old.dtype.kind in "biufc"
            assert np.array_equal(old, new, equal_nan=numeric) and old.dtype == new.dtype


def _expected_float_dtype(*arrays):
    kinds = [np.asarray(a).dtype for a in arrays if a is not None]
    promoted = np.result_type(*kinds)
    if promoted.kind in "biu":
        return np.dtype(np.float64)
    if promoted.kind == "f" and promoted.itemsize <= 4:
        return np.dtype(np.float32)
    return np.dtype(promoted.newbyteorder("="))


def _reference_conv1d(x, w, b, stride, padding, dilation, groups, mode, value):
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    n, c_in, length = x.shape
    c_out, c_per_group, k = w.shape
    left, right, l_out = cc.functional.conv1d_geometry(length, k, stride, padding, dilation)
    kwargs = {"constant_values": value if mode == "constant" else 0.0} \
        if _numpy_mode(mode) == "constant" else {}
    if _numpy_mode(mode) == "linear_ramp":
        kwargs = {"end_values": value}
    xp = np.pad(x, ((0, 0), (0, 0), (left, right)), mode=_numpy_mode(mode), **kwargs)
    y = np.zeros((n, c_out, l_out))
    o_per_group = c_out // groups
    for o in range(c_out):
        first = (o // o_per_group) * c_per_group
        for j in range(l_out):
            window = xp[:, first:first + c_per_group,
                        j * stride: j * stride + dilation * (k - 1) + 1: dilation]
            y[:, o, j] = np.einsum("nck,ck->n", window, w[o])
    if b is not None:
        y += np.asarray(b, dtype=np.float64)[None, :, None]
    return y


conv_args = st.fixed_dictionaries({
    "n": st.integers(0, 3), "c_in": st.integers(0, 5), "c_out": st.integers(0, 5),
    "length": st.integers(0, 14), "k": st.integers(0, 5),
    "stride": st.integers(-1, 20), "dilation": st.integers(-1, 20),
    "groups": st.integers(-1, 4),
    "padding": st.one_of(st.integers(-2, 30), st.tuples(st.integers(-1, 25),
                                                         st.integers(-1, 25)),
                         st.sampled_from(["valid", "same", "full", "causal", "bogus"])),
    "mode": st.sampled_from(NUMPY_MODES + ["nonsense"]),
    "value": st.floats(-3, 3),
    "dtype": st.sampled_from(DTYPES), "wdtype": st.sampled_from(DTYPES[:4]),
    "layout": st.sampled_from(LAYOUTS), "bias": st.booleans(),
    "unbatched": st.booleans(), "flip": st.booleans(),
})


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(args=conv_args, data=st.data())
def test_fuzz_conv1d_and_backward(args, data):
    draw = data.draw
    xshape = (args["n"], args["c_in"], args["length"])
    if args["unbatched"]:
        xshape = xshape[1:]
    groups_ok = args["groups"] >= 1
    c_per_group = args["c_in"] // args["groups"] if groups_ok and args["groups"] else 1
    x = _make(draw, xshape, args["dtype"], args["layout"])
    w = _make(draw, (args["c_out"], draw(st.sampled_from([c_per_group, c_per_group + 1])),
                     args["k"]), args["wdtype"], "c")
    b = _make(draw, (args["c_out"],), args["wdtype"], "c") if args["bias"] else None
    kw = dict(stride=args["stride"], padding=args["padding"], dilation=args["dilation"],
              groups=args["groups"], padding_mode=args["mode"], pad_value=args["value"])
    before = _snapshot(x, w, b)
    try:
        y = cc.conv1d(x, w, b, flip=args["flip"], **kw)
    except Exception as exc:  # noqa: BLE001 - the property inspects it
        _check_error(exc)
        _unchanged(before, x, w, b)
        return
    _unchanged(before, x, w, b)
    assert y.dtype == _expected_float_dtype(x, w, b)
    x3 = np.asarray(x)[None] if args["unbatched"] else np.asarray(x)
    wf = np.asarray(w)[..., ::-1] if args["flip"] else np.asarray(w)
    ref = _reference_conv1d(x3, wf, b, kw["stride"], kw["padding"], kw["dilation"],
                            kw["groups"], kw["padding_mode"], kw["pad_value"])
    ref = ref[0] if args["unbatched"] else ref
    assert y.shape == ref.shape
    tol = 1e-9 if y.dtype == np.float64 else 1e-4 * (1 + _absmax(ref))
    np.testing.assert_allclose(y, ref, atol=tol, rtol=1e-4)
    # The backward pass on the same arguments: shapes, and the adjoint identities
    # <conv1d(x), g> = <x, dx> (linear modes, no bias) and <conv1d(x, w), g> = <w, dW>.
    g = np.random.default_rng(0).standard_normal(y.shape)
    grads = cc.conv1d_backward(g, x, w, bias=b is not None, flip=args["flip"], **kw)
    assert grads.input.shape == np.shape(x) and grads.weight.shape == np.shape(w)
    assert (grads.bias is None) == (b is None)
    y_nobias = ref - (0 if b is None else np.asarray(b, np.float64)[:, None])
    scale = 1 + float(np.abs(g).sum()) * (1 + _absmax(ref))
    np.testing.assert_allclose(np.sum(y_nobias * g), np.sum(np.asarray(w, np.float64)
                                                            * grads.weight),
                               atol=1e-3 * scale if y.dtype == np.float32 else 1e-8 * scale)
    if _numpy_mode(kw["padding_mode"]) not in ("constant", "linear_ramp", "median",
                                               "minimum", "maximum") or \
            (kw["pad_value"] == 0 and _numpy_mode(kw["padding_mode"]) != "median"
             and _numpy_mode(kw["padding_mode"]) not in ("minimum", "maximum")):
        np.testing.assert_allclose(
            np.sum(y_nobias * g), np.sum(np.asarray(x, np.float64) * grads.input),
            atol=1e-3 * scale if y.dtype == np.float32 else 1e-8 * scale)


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(n=st.integers(0, 3), c_in=st.integers(0, 4), c_out_g=st.integers(0, 3),
       length=st.integers(0, 10), k=st.integers(0, 4), stride=st.integers(-1, 6),
       dilation=st.integers(-1, 5), groups=st.integers(-1, 3), padding=st.integers(-1, 12),
       output_padding=st.integers(-1, 6), dtype=st.sampled_from(DTYPES),
       layout=st.sampled_from(LAYOUTS), data=st.data())
def test_fuzz_conv_transpose1d(n, c_in, c_out_g, length, k, stride, dilation, groups,
                               padding, output_padding, dtype, layout, data):
    x = _make(data.draw, (n, c_in, length), dtype, layout)
    w = _make(data.draw, (c_in, c_out_g, k), "float64", "c")
    before = _snapshot(x, w)
    try:
        y = cc.conv_transpose1d(x, w, stride=stride, padding=padding,
                                output_padding=output_padding, groups=groups,
                                dilation=dilation)
    except Exception as exc:  # noqa: BLE001
        _check_error(exc)
        _unchanged(before, x, w)
        return
    _unchanged(before, x, w)
    # Reference: scatter each input sample over K outputs, then crop the padding.
    xf = np.asarray(x, dtype=np.float64)
    full = (length - 1) * stride + dilation * (k - 1) + 1 + output_padding
    ref = np.zeros((n, c_out_g * groups, full))
    c_per_group = c_in // groups
    for ci in range(c_in):
        g = ci // c_per_group
        for oc in range(c_out_g):
            for kk in range(k):
                for j in range(length):
                    ref[:, g * c_out_g + oc, j * stride + kk * dilation] += \
                        xf[:, ci, j] * w[ci, oc, kk]
    ref = ref[:, :, padding:full - padding]
    assert y.shape == ref.shape
    np.testing.assert_allclose(y, ref, atol=1e-9 if y.dtype == np.float64 else 1e-4,
                               rtol=1e-4)


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(la=st.integers(0, 30), lv=st.integers(0, 30), extra=st.integers(0, 3),
       mode=st.sampled_from(["full", "same", "valid", "bad"]),
       method=st.sampled_from(["auto", "direct", "fft", "slow"]),
       func=st.sampled_from(["convolve", "correlate", "autocorrelate"]),
       dtype=st.sampled_from(DTYPES), layout=st.sampled_from(LAYOUTS),
       axis=st.integers(-3, 2), v_ndim=st.integers(0, 2), data=st.data())
def test_fuzz_signal(la, lv, extra, mode, method, func, dtype, layout, axis, v_ndim, data):
    shape = (la,) if extra == 0 else (extra, la)
    a = _make(data.draw, shape, dtype, layout)
    v = _make(data.draw, (lv,) * max(v_ndim, 1) if v_ndim != 0 else (), dtype, "c")
    before = _snapshot(a, v)
    fn = getattr(cc, func)
    try:
        if func == "autocorrelate":
            result = fn(a, mode, axis=axis, method=method)
        else:
            result = fn(a, v, mode, axis=axis, method=method)
    except Exception as exc:  # noqa: BLE001
        _check_error(exc)
        _unchanged(before, a, v)
        return
    _unchanged(before, a, v)
    a2 = np.moveaxis(np.asarray(a), axis, -1) if np.ndim(a) else np.asarray(a).reshape(1)
    lanes = a2.reshape(-1, a2.shape[-1])
    vv = np.asarray(v).reshape(-1)
    refs = []
    if lanes.shape[0] == 0:
        assert result.size == 0
        return
    for lane in lanes:
        lane = lane.astype(np.complex128 if lane.dtype.kind == "c" else np.float64)
        if func == "convolve":
            refs.append(np.convolve(lane, vv.astype(lane.dtype), mode))
        elif func == "correlate":
            vv2 = vv.astype(np.complex128 if vv.dtype.kind == "c" else np.float64)
            refs.append(np.correlate(lane, vv2, mode))
        else:
            refs.append(np.correlate(lane, lane, mode))
    ref = np.stack(refs).reshape(a2.shape[:-1] + (refs[0].shape[-1],))
    ref = np.moveaxis(ref, -1, axis) if np.ndim(a) else ref
    assert result.shape == ref.shape
    scale = 1 + _absmax(ref)
    np.testing.assert_allclose(result, ref, atol=1e-4 * scale if result.dtype in (
        np.float32, np.complex64) else 1e-9 * scale)


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(shape=st.lists(st.integers(0, 6), min_size=0, max_size=3),
       left=st.integers(-2, 40), right=st.integers(-2, 40),
       mode=st.sampled_from(NUMPY_MODES + ["antisymmetric", "antireflect", "smooth", "??"]),
       dtype=st.sampled_from(DTYPES), layout=st.sampled_from(LAYOUTS), data=st.data())
def test_fuzz_pad_and_backward(shape, left, right, mode, dtype, layout, data):
    x = _make(data.draw, tuple(shape), dtype, layout)
    before = _snapshot(x)
    try:
        padded = cc.pad(x, (left, right), mode)
    except Exception as exc:  # noqa: BLE001
        _check_error(exc)
        _unchanged(before, x)
        return
    _unchanged(before, x)
    if mode in NUMPY_MODES:
        widths = [(0, 0)] * (x.ndim - 1) + [(left, right)]
        xf = np.asarray(x)
        xf = xf.astype(np.complex128 if xf.dtype.kind == "c" else np.float64)
        ref = np.pad(xf, widths, mode=_numpy_mode(mode))
        np.testing.assert_allclose(padded, ref, rtol=1e-5, atol=1e-5)
    else:
        assert padded.shape == np.shape(x)[:-1] + (np.shape(x)[-1] + left + right,)
    g = np.ones(padded.shape)
    kwargs = {"x": x} if mode in ("median", "minimum", "maximum") else {}
    back = cc.pad_backward(g, np.shape(x)[-1], (left, right), mode, **kwargs)
    assert back.shape == np.shape(x)
    if mode not in ("median", "minimum", "maximum", "constant", "zeros", "linear_ramp"):
        # Every padded sample came from the signal: the gradient mass is conserved
        # for the copying modes (edge, reflect, symmetric, wrap, mean).
        if mode in ("edge", "replicate", "reflect", "symmetric", "wrap", "circular", "mean"):
            np.testing.assert_allclose(np.sum(back), np.sum(g), rtol=1e-6)
