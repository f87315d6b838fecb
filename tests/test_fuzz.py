"""Property-based fuzzing of every public function with random, often invalid, arguments.

The property: a call either returns the float64 reference's result (with the right
shape and dtype, inputs untouched), or raises ValueError/TypeError whose message names
the offending argument. Never another exception, a crash, a hang or a wrong shape.
References are written here from the equations with NumPy (``numpy.pad`` for the
padding, ``numpy.convolve``/``numpy.correlate`` for the signal functions).

The example budget comes from tests/conftest.py's Hypothesis profile; set
``CCONV1D_HYPOTHESIS_PROFILE=long`` to search longer.
"""

import re

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

import cconv1d as cc
from oracles_conv import conv1d_ref, conv_transpose1d_ref, explicit_padding
from oracles_padding import NUMPY_PAD_MODES, pad_last
from oracles_signal import numpy_signal, signal_bound

NUMPY_MODES = ["zeros", "constant", "edge", "reflect", "symmetric", "wrap", "mean",
               "median", "minimum", "maximum", "linear_ramp", "replicate", "circular"]
DTYPES = ["float32", "float64", "int32", "bool", "float16", "complex128", "object",
          "U3", ">f8"]
LAYOUTS = ["c", "fortran", "strided", "reversed", "readonly"]


def _numpy_mode(mode):
    return NUMPY_PAD_MODES.get(mode, mode)


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


#: dtypes no public function accepts (complex is refused by the convolutions only)
BAD_DTYPES = ("object", "U3")
#: padding modes that read samples of the signal (all but constant/zeros)
DATA_MODES = tuple(m for m in NUMPY_MODES if m not in ("zeros", "constant")) + (
    "antisymmetric", "antireflect", "smooth")


def _check_error(exc, faults):
    """The error is a ValueError/TypeError whose message names a faulty argument.

    ``faults`` is the set of argument names the fuzzed call got wrong, worked out by the
    test from API.md (not by asking the library). Every message starts with the name of
    the argument it is about ("stride must be ...", "x: dtype ...", "weight.shape[1] ...");
    the one exception, "output length would be ...", names the arguments that make the
    output empty after the colon. A call the model calls valid must not raise at all.
    """
    assert isinstance(exc, (ValueError, TypeError)), f"{type(exc).__name__}: {exc}"
    message = str(exc)
    assert faults, f"raised for arguments the model calls valid: {message}"
    if message.startswith("output length"):
        named = {name for name in faults
                 if re.search(rf"(?<![\w.]){re.escape(name)}(?!\w)", message)}
    else:
        named = {re.match(r"\w*", message).group()} & faults
    assert named, f"message names none of {sorted(faults)}: {message}"


def _conv1d_faults(args, w_shape):
    """Argument names of a fuzzed conv1d call that break API.md's rules."""
    faults = set()
    if args["dtype"] in BAD_DTYPES or args["dtype"].startswith("complex"):
        faults.add("x")
    if args["c_in"] == 0:
        faults.add("x")
    for name in ("stride", "dilation", "groups"):
        if args[name] < 1:
            faults.add(name)
    padding = args["padding"]
    if padding == "bogus" or (isinstance(padding, int) and padding < 0) or \
            (isinstance(padding, tuple) and min(padding) < 0):
        faults.add("padding")
    if args["mode"] not in NUMPY_MODES:
        faults.add("padding_mode")
    c_out, c_per_group, k = w_shape
    if c_out == 0 or k == 0:
        faults.add("weight")
    if args["groups"] >= 1:
        if args["c_in"] % args["groups"] or c_out % args["groups"]:
            faults.add("groups")
        elif c_per_group != args["c_in"] // args["groups"]:
            faults.add("weight")
    if args["length"] == 0 and args["mode"] in DATA_MODES:
        faults.update({"x", "padding_mode"})
    if min(args["stride"], args["dilation"]) >= 1 and "padding" not in faults:
        left, right = explicit_padding(padding, args["length"], k, args["stride"],
                                       args["dilation"])
        span = args["dilation"] * (k - 1)
        if args["length"] + left + right - span - 1 < 0:
            faults.update({"x", "weight", "padding", "dilation"})
    return faults


def _transpose_faults(x_dtype, c_in, c_out_g, length, k, stride, dilation, groups,
                      padding, output_padding):
    """Argument names of a fuzzed conv_transpose1d call that break API.md's rules."""
    faults = set()
    if x_dtype in BAD_DTYPES or x_dtype.startswith("complex") or c_in == 0 or length == 0:
        faults.add("x")
    for name, value in (("stride", stride), ("dilation", dilation), ("groups", groups)):
        if value < 1:
            faults.add(name)
    if padding < 0:
        faults.add("padding")
    if output_padding < 0:
        faults.add("output_padding")
    if c_out_g == 0 or k == 0:
        faults.add("weight")
    if groups >= 1 and c_in % groups:
        faults.add("groups")
    if stride >= 1 and dilation >= 1 and output_padding >= max(stride, dilation):
        faults.add("output_padding")
    if min(stride, dilation) >= 1 and min(padding, output_padding) >= 0 and \
            (length - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1 < 1:
        faults.update({"x", "weight", "padding", "stride", "dilation"})
    return faults


def _signal_faults(func, dtype, shape, v_shape, mode, method, axis):
    """Argument names of a fuzzed convolve/correlate/autocorrelate call that break
    API.md's rules (numpy.convolve's, applied along ``axis``)."""
    faults = set()
    if dtype in BAD_DTYPES:
        faults.update({"a"} if func == "autocorrelate" else {"a", "v"})
    if mode not in ("full", "same", "valid"):
        faults.add("mode")
    if method not in ("auto", "direct", "fft"):
        faults.add("method")
    if not -len(shape) <= axis < len(shape):
        faults.add("axis")
    elif shape[axis] == 0:
        faults.add("a")
    if func != "autocorrelate" and len(v_shape) > 1:
        faults.add("v")
    if func != "autocorrelate" and 0 in v_shape:
        faults.add("v")
    return faults


def _pad_faults(dtype, shape, left, right, mode):
    """Argument names of a fuzzed pad call that break API.md's rules."""
    faults = set()
    if dtype in BAD_DTYPES or not shape:
        faults.add("x")
    if dtype.startswith("complex") and mode in ("median", "minimum", "maximum"):
        faults.add("x")
    if min(left, right) < 0:
        faults.add("pad_width")
    if mode not in DATA_MODES + ("zeros", "constant"):
        faults.add("mode")
    if shape and shape[-1] == 0 and mode in DATA_MODES and left + right > 0:
        faults.add("x")
    return faults


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
        _check_error(exc, _conv1d_faults(args, w.shape))
        _unchanged(before, x, w, b)
        return
    _unchanged(before, x, w, b)
    assert y.dtype == _expected_float_dtype(x, w, b)
    x3 = np.asarray(x)[None] if args["unbatched"] else np.asarray(x)
    wf = np.asarray(w)[..., ::-1] if args["flip"] else np.asarray(w)
    ref = conv1d_ref(x3, wf, b, **kw)
    ref = ref[0] if args["unbatched"] else ref
    assert y.shape == ref.shape
    # Error bound of every output: a few eps * sqrt(terms) * the sum of |terms|, the
    # pad samples bounded by M = max(|x|, |pad_value|) (every mode pads with copies,
    # statistics or ramps of the signal, or pad_value; a mean rounds over L samples).
    eps = float(np.finfo(y.dtype).eps)
    env = max(_absmax(x3), abs(kw["pad_value"]))
    size = conv1d_ref(np.abs(x3.astype(np.float64)), np.abs(wf.astype(np.float64)),
                      **dict(kw, padding_mode="constant", pad_value=env))
    size = size[0] if args["unbatched"] else size
    n_terms = wf.shape[1] * wf.shape[2] + args["length"] + 2
    bias_size = 0 if b is None else np.abs(np.asarray(b, np.float64))[:, None]
    bound = 4 * eps * np.sqrt(n_terms) * (size + bias_size) + 1e-300
    assert np.all(np.abs(y - ref) <= bound), np.max(np.abs(y - ref) / bound)
    # The backward pass on the same arguments: shapes, and the adjoint identities
    # <conv1d(x), g> = <x, dx> (linear modes, no bias) and <conv1d(x, w), g> = <w, dW>.
    g = np.random.default_rng(0).standard_normal(y.shape)
    grads = cc.conv1d_backward(g, x, w, bias=b is not None, flip=args["flip"], **kw)
    assert grads.input.shape == np.shape(x) and grads.weight.shape == np.shape(w)
    assert (grads.bias is None) == (b is None)
    y_nobias = ref - (0 if b is None else np.asarray(b, np.float64)[:, None])
    # Both sides in float64 from the computed gradients: each gradient entry sums at most
    # N*L_out (weight) or C_out/groups*K*(1 + left + right) (input, pad folded back)
    # terms, all bounded by |g| * size, so the identity holds to a few eps * sqrt(terms)
    # * sum(|g| * size).
    left, right = explicit_padding(kw["padding"], args["length"], wf.shape[2],
                                   kw["stride"], kw["dilation"])
    n_adjoint = max(y.size // max(wf.shape[0], 1),
                    wf.shape[0] // kw["groups"] * wf.shape[2] * (1 + left + right)) \
        + args["length"] + 2
    adjoint_tol = 4 * eps * np.sqrt(n_adjoint) * float(np.sum(np.abs(g) * size)) + 1e-300
    np.testing.assert_allclose(np.sum(y_nobias * g), np.sum(np.asarray(w, np.float64)
                                                            * grads.weight),
                               rtol=0, atol=adjoint_tol)
    if _numpy_mode(kw["padding_mode"]) not in ("constant", "linear_ramp", "median",
                                               "minimum", "maximum") or \
            (kw["pad_value"] == 0 and _numpy_mode(kw["padding_mode"]) != "median"
             and _numpy_mode(kw["padding_mode"]) not in ("minimum", "maximum")):
        np.testing.assert_allclose(
            np.sum(y_nobias * g), np.sum(np.asarray(x, np.float64) * grads.input),
            rtol=0, atol=adjoint_tol)


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
        _check_error(exc, _transpose_faults(dtype, c_in, c_out_g, length, k, stride,
                                            dilation, groups, padding, output_padding))
        _unchanged(before, x, w)
        return
    _unchanged(before, x, w)
    event("conv_transpose1d: a valid call")
    _check_transpose(x, w, y, stride, padding, output_padding, groups, dilation)


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(n=st.integers(1, 3), groups=st.integers(1, 3), c_in_g=st.integers(1, 3),
       c_out_g=st.integers(1, 3), length=st.integers(1, 12), k=st.integers(1, 5),
       stride=st.integers(1, 4), dilation=st.integers(1, 3), left=st.integers(0, 6),
       right=st.integers(0, 6), output_padding=st.integers(0, 3),
       dtype=st.sampled_from(["float32", "float64"]), data=st.data())
def test_fuzz_conv_transpose1d_valid(n, groups, c_in_g, c_out_g, length, k, stride,
                                     dilation, left, right, output_padding, dtype, data):
    """Only valid calls (the fuzz above mostly draws refused ones): every one must
    match the scattering oracle."""
    assume(output_padding < max(stride, dilation))
    assume((length - 1) * stride + dilation * (k - 1) + 1 + output_padding - left - right
           >= 1)
    layout = data.draw(st.sampled_from(LAYOUTS))
    x = _make(data.draw, (n, groups * c_in_g, length), dtype, layout)
    w = _make(data.draw, (groups * c_in_g, c_out_g, k), "float64", "c")
    y = cc.conv_transpose1d(x, w, stride=stride, padding=(left, right),
                            output_padding=output_padding, groups=groups,
                            dilation=dilation)
    _check_transpose(x, w, y, stride, (left, right), output_padding, groups, dilation)


def _check_transpose(x, w, y, stride, padding, output_padding, groups, dilation):
    c_in, k = w.shape[0], w.shape[2]
    ref = conv_transpose1d_ref(x, w, stride=stride, padding=padding,
                               output_padding=output_padding, groups=groups,
                               dilation=dilation)
    assert y.shape == ref.shape
    # every output sums at most C_in/groups*K products: a few eps * sqrt(terms) * size
    size = conv_transpose1d_ref(np.abs(np.asarray(x, np.float64)), np.abs(w), stride=stride,
                                padding=padding, output_padding=output_padding,
                                groups=groups, dilation=dilation)
    bound = 4 * np.finfo(y.dtype).eps * np.sqrt(c_in // groups * k + 1) * size + 1e-300
    assert np.all(np.abs(y - ref) <= bound), float(np.max(np.abs(y - ref) / bound))


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
        _check_error(exc, _signal_faults(func, dtype, shape, np.shape(v), mode, method,
                                         axis))
        _unchanged(before, a, v)
        return
    _unchanged(before, a, v)
    a2 = np.moveaxis(np.asarray(a), axis, -1) if np.ndim(a) else np.asarray(a).reshape(1)
    if a2.size == 0:
        assert result.size == 0
        return
    other = None if func == "autocorrelate" else v
    ref = numpy_signal(func, a, other, mode, axis if np.ndim(a) else -1)
    ref = ref if np.ndim(a) else ref.reshape(-1)
    assert result.shape == ref.shape
    bound = signal_bound(func, a, other, mode, axis if np.ndim(a) else -1, result.dtype,
                         method)
    assert np.all(np.abs(result - ref) <= bound), float(np.max(np.abs(result - ref) / bound))


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
        _check_error(exc, _pad_faults(dtype, tuple(shape), left, right, mode))
        _unchanged(before, x)
        return
    _unchanged(before, x)
    ref = pad_last(x, left, right, mode,
                   dtype=np.complex128 if np.asarray(x).dtype.kind == "c" else np.float64)
    np.testing.assert_allclose(padded, ref, rtol=1e-5, atol=1e-5)
    g = np.ones(padded.shape)
    kwargs = {"x": x} if mode in ("median", "minimum", "maximum") else {}
    back = cc.pad_backward(g, np.shape(x)[-1], (left, right), mode, **kwargs)
    assert back.shape == np.shape(x)
    if mode not in ("median", "minimum", "maximum", "constant", "zeros", "linear_ramp"):
        # Every padded sample came from the signal: the gradient mass is conserved
        # for the copying modes (edge, reflect, symmetric, wrap, mean).
        if mode in ("edge", "replicate", "reflect", "symmetric", "wrap", "circular", "mean"):
            np.testing.assert_allclose(np.sum(back), np.sum(g), rtol=1e-6)
