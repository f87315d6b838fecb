"""The compiled fast paths of ``conv1d`` and ``convolve``/``correlate`` (API.md 1, 3, 4).

``cconv1d.conv1d`` first tries ``cconv1d._forward.conv1d_fast`` and ``convolve`` /
``correlate`` first try ``cconv1d._forward.signal_direct``; either returns None for
anything but the common case (plain C-contiguous native float arrays, plain ints, ...)
and the validating Python path runs. Every test here feeds the SAME data both ways -- as
plain arrays (fast path) and as an equivalent input that the fast path must decline (a
strided view, a list, big-endian copies, NumPy integer scalars, a list padding, ...) --
and checks both results against an oracle that does not use cconv1d:

  * conv1d: ``torch.nn.functional.conv1d`` on the input padded by the padding oracle
    (``numpy.pad`` / ``pywt.pad`` via ``oracles_conv.pad_last``, or
    ``torch.nn.functional.pad`` for the modes torch has), and the float64 loops of
    ``oracles_conv.conv1d_ref``;
  * convolve/correlate: ``numpy.convolve`` / ``numpy.correlate`` in float64.

A spy around the fast-path function records whether it answered (True) or declined
(False), so each test also pins down which road the call took. Error cases assert that
the fast path declines and that the plain-array call raises exactly what the general
path raises for the same arguments given as lists.
"""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import cconv1d as cc
from cconv1d import functional as _functional
from cconv1d import signal as _signal
from cconv1d import _threads
from oracles_conv import (ALL_PADDING_MODES, TORCH_PAD_MODES, conv1d_out_length,
                          conv1d_ref, conv1d_torch, explicit_padding, pad_last)

DTYPES = (np.float32, np.float64)


# ---------------------------------------------------------------------------------------
# spies: did the fast path answer?

def _spy(monkeypatch, module, name):
    calls = []
    real = getattr(module, name)

    def spy(*args, **kwargs):
        y = real(*args, **kwargs)
        calls.append(y is not None)
        return y

    monkeypatch.setattr(module, name, spy)
    return calls


@pytest.fixture
def conv_spy(monkeypatch):
    """List of booleans, one per conv1d call: True when ``conv1d_fast`` answered."""
    return _spy(monkeypatch, _functional, "conv1d_fast")


@pytest.fixture
def signal_spy(monkeypatch):
    """One boolean per convolve/correlate call: True when ``signal_direct`` answered."""
    return _spy(monkeypatch, _signal, "signal_direct")


# ---------------------------------------------------------------------------------------
# conv1d helpers

def _strided(a):
    """A non-contiguous view with the same values (forces the general path)."""
    if a is None:
        return None
    view = np.repeat(a, 2, axis=-1)[..., ::2]
    assert not view.flags.c_contiguous or view.size <= 1
    return view


def _big_endian(a):
    return None if a is None else a.astype(a.dtype.newbyteorder(">"))


def _readonly(a):
    if a is None:
        return None
    a = a.copy()
    a.setflags(write=False)
    return a


def _frombuffer(a):
    """A read-only C-contiguous array over a bytes object."""
    if a is None:
        return None
    return np.frombuffer(a.tobytes(), dtype=a.dtype).reshape(a.shape)


def _np_int(v):
    return np.int64(v) if isinstance(v, int) else v


def _np_padding(p):
    if isinstance(p, tuple):
        return list(p)
    return np.int64(p) if isinstance(p, int) else p


#: route name -> (transform of (x, w, b, kwargs), does the fast path answer?)
CONV_ROUTES = {
    "fast": (lambda x, w, b, kw: (x, w, b, kw), True),
    "fast-readonly": (lambda x, w, b, kw: (_readonly(x), _readonly(w), _readonly(b), kw),
                      True),
    "fast-frombuffer": (lambda x, w, b, kw: (_frombuffer(x), _frombuffer(w),
                                             _frombuffer(b), kw), True),
    "strided": (lambda x, w, b, kw: (_strided(x), _strided(w), _strided(b), kw), False),
    "big-endian": (lambda x, w, b, kw: (_big_endian(x), _big_endian(w), _big_endian(b),
                                        kw), False),
    "list-x": (lambda x, w, b, kw: (x.tolist(), w, b, kw), False),
    "numpy-ints": (lambda x, w, b, kw: (x, w, b, dict(
        kw, stride=_np_int(kw.get("stride", 1)), dilation=_np_int(kw.get("dilation", 1)),
        groups=_np_int(kw.get("groups", 1)), padding=_np_padding(kw.get("padding", 0)))),
        False),
}


def _data(seed, *, n=2, c_in=3, length=11, c_out=4, groups=1, k=3, dtype=np.float64,
          batched=True, bias=True):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c_in, length) if batched else (c_in, length)).astype(dtype)
    w = rng.standard_normal((c_out, c_in // groups, k)).astype(dtype)
    b = rng.standard_normal(c_out).astype(dtype) if bias else None
    return x, w, b


def _geometry(x, w, stride=1, padding=0, dilation=1):
    length, k = np.shape(x)[-1], np.shape(w)[-1]
    left, right = explicit_padding(padding, length, k, stride, dilation)
    return left, right, conv1d_out_length(length, k, stride, dilation, left, right)


def torch_expected(x, w, b=None, *, stride=1, padding=0, dilation=1, groups=1,
                   padding_mode="zeros", pad_value=0.0, flip=False):
    """float64 oracle: pad by the padding oracle (F.pad where torch has the mode and
    accepts the widths, else numpy.pad / pywt.pad), then torch's F.conv1d."""
    y, xp = conv1d_torch(x, w, b, stride=stride, padding=padding, dilation=dilation,
                         groups=groups, padding_mode=padding_mode, pad_value=pad_value,
                         flip=flip, torch_padding=True)
    scale = (float(np.max(np.abs(xp), initial=0.0)) * float(np.max(np.abs(w)))
             + (0.0 if b is None else float(np.max(np.abs(np.asarray(b, np.float64))))))
    return y, scale


def assert_conv_close(actual, expected, dtype, n_pairs, scale, err_msg=""):
    """Shape, dtype and values; float64 tight, float32 scaled by sqrt(C_in/groups * K)."""
    assert isinstance(actual, np.ndarray)
    assert actual.dtype == np.dtype(dtype), f"dtype {actual.dtype} != {dtype} {err_msg}"
    assert actual.shape == expected.shape, f"{actual.shape} != {expected.shape} {err_msg}"
    scale = max(float(scale), 1.0)
    if np.dtype(dtype) == np.float64:
        rtol, atol = 1e-10, 1e-10 * scale
    else:
        rtol, atol = 1e-5, 1e-5 * math.sqrt(n_pairs) * scale
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=err_msg)


def _copies(*arrays):
    return [None if a is None else np.array(a, copy=True) for a in arrays]


def _assert_unchanged(originals, copies):
    for a, c in zip(originals, copies):
        if a is not None:
            np.testing.assert_array_equal(a, c)


# ---------------------------------------------------------------------------------------
# 1. conv1d geometry: the same call down both roads, against torch

def _g(**kw):
    base = dict(batched=True, n=2, c_in=3, length=11, c_out=4, groups=1, k=3, bias=True,
                stride=1, padding=0, dilation=1, flip=False)
    base.update(kw)
    return base


GEOMETRIES = {
    "unbatched-pad0": _g(batched=False),
    "same-stride2-nobias": _g(c_in=2, length=16, c_out=5, k=4, padding="same", stride=2,
                              bias=False),
    "valid-stride3-dil2": _g(padding="valid", stride=3, dilation=2, length=20),
    "full-groups2-flip": _g(c_in=4, c_out=6, groups=2, padding="full", flip=True),
    "causal-dil3-unbatched": _g(batched=False, padding="causal", dilation=3),
    "same-even-k-stride3-dil2": _g(k=4, padding="same", stride=3, dilation=2, length=13),
    "int-pad-larger-than-L": _g(length=5, padding=9, stride=2),
    "tuple-0-0": _g(padding=(0, 0), length=7),
    "tuple-2-5-stride2": _g(padding=(2, 5), stride=2, bias=False, flip=True),
    "tuple-left-beyond-L": _g(length=4, padding=(7, 1), k=2),
    "depthwise-x2": _g(c_in=4, groups=4, c_out=8, k=5, padding="same", length=17),
    "depthwise-stride2-causal": _g(c_in=3, groups=3, c_out=3, k=3, stride=2,
                                   padding="causal", length=15, batched=False),
    "igemm-8out-stride2": _g(c_in=2, c_out=8, length=40, stride=2, padding=1),
    "igemm-groups3-full": _g(c_in=6, c_out=12, groups=3, dilation=2, padding="full",
                             flip=True, length=23),
    "direct-row-kernel": _g(n=3, c_in=3, groups=3, c_out=3, k=4, length=64,
                            padding="causal"),
    "k1-L1": _g(k=1, length=1, padding=0, batched=False),
    "L1-same-k5": _g(length=1, k=5, padding="same"),
    "L1-full-stride4": _g(length=1, k=3, padding="full", stride=4),
    "stride-beyond-L": _g(length=6, stride=1000, padding=2),
    "dilation-beyond-L-full": _g(length=5, dilation=9, k=2, padding="full"),
    "out-length-exactly-1": _g(length=5, k=5, stride=3),
    "out-length-exactly-1-dil": _g(length=5, k=3, dilation=2, stride=7, padding=(0, 0)),
}


@pytest.mark.parametrize("route", list(CONV_ROUTES))
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("geometry", list(GEOMETRIES))
def test_conv1d_both_paths_match_torch(geometry, dtype, route, conv_spy):
    g = GEOMETRIES[geometry]
    x, w, b = _data(list(GEOMETRIES).index(geometry), n=g["n"], c_in=g["c_in"],
                    length=g["length"], c_out=g["c_out"], groups=g["groups"], k=g["k"],
                    dtype=dtype, batched=g["batched"], bias=g["bias"])
    kw = dict(stride=g["stride"], padding=g["padding"], dilation=g["dilation"],
              groups=g["groups"], flip=g["flip"])
    expected, scale = torch_expected(x, w, b, **kw)
    transform, fast = CONV_ROUTES[route]
    xr, wr, br, kwr = transform(x, w, b, kw)
    before = _copies(xr, wr, br)
    y = cc.conv1d(xr, wr, br, **kwr)
    out_dtype = np.float64 if route == "list-x" else dtype
    assert_conv_close(y, expected, out_dtype, w.shape[1] * w.shape[2], scale,
                      err_msg=f"{geometry} {route}")
    _, _, l_out = _geometry(x, w, g["stride"], g["padding"], g["dilation"])
    assert y.shape == ((g["n"],) if g["batched"] else ()) + (g["c_out"], l_out)
    assert conv_spy == [fast], f"fast path answered: {conv_spy}, expected [{fast}]"
    _assert_unchanged((xr, wr, br), before)


@pytest.mark.parametrize("dtype", DTYPES)
def test_conv1d_larger_problem_both_paths(dtype, conv_spy):
    """Enough work for several threads and column blocks; fast and strided inputs."""
    x, w, b = _data(99, n=4, c_in=16, length=500, c_out=24, groups=2, k=7, dtype=dtype)
    for kw in (dict(groups=2, stride=1, padding="same"),
               dict(groups=2, stride=3, dilation=2, padding=(5, 2), flip=True)):
        expected, scale = torch_expected(x, w, b, **kw)
        for xr, wr in ((x, w), (_strided(x), w), (x, _strided(w))):
            y = cc.conv1d(xr, wr, b, **kw)
            assert_conv_close(y, expected, dtype, 8 * 7, scale, err_msg=str(kw))
    assert conv_spy == [True, False, False] * 2


# ---------------------------------------------------------------------------------------
# 2. padding modes and pad_value, against the float64 reference loops

MODE_PADDINGS = (2, (1, 4), "same", "full", (13, 0))   # (13, 0): wider than L = 6


def _mode_routes(mode, pad_value, padding):
    """(name, transform, fast?) for the padding-mode tests."""
    routes = [("fast", lambda x, w, b, kw: (x, w, b, kw), True),
              ("strided", CONV_ROUTES["strided"][0], False),
              # a list or NumPy-int padding is declined; a padding word stays plain
              ("list-padding", lambda x, w, b, kw: (x, w, b, dict(
                  kw, padding=_np_padding(kw["padding"]))), isinstance(padding, str))]
    # a NumPy scalar pad_value is not a plain float: declined, except for "zeros", where
    # pad_value is ignored
    np_value = (np.float64(pad_value) if isinstance(pad_value, float)
                else np.int64(pad_value))
    routes.append(("numpy-pad-value", lambda x, w, b, kw: (x, w, b, dict(
        kw, pad_value=np_value)), mode == "zeros"))
    return routes


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("padding", MODE_PADDINGS, ids=str)
@pytest.mark.parametrize("mode,pad_value", [(m, 1.5) for m in ALL_PADDING_MODES]
                         + [("constant", 2), ("median", 2), ("linear_ramp", 2),
                            ("linear_ramp", -3.25), ("zeros", 7.0)])
def test_conv1d_padding_modes_both_paths(mode, pad_value, padding, dtype, conv_spy):
    x, w, b = _data(5, n=2, c_in=2, length=6, c_out=3, k=3, dtype=dtype)
    x[0, 1, 2] = 4.0   # a clear maximum and an asymmetric median
    kw = dict(padding=padding, padding_mode=mode, pad_value=pad_value, stride=2,
              dilation=1)
    expected = conv1d_ref(x, w, b, **kw)
    left, right, _ = _geometry(x, w, 2, padding, 1)
    scale = (np.max(np.abs(pad_last(x, left, right, mode, pad_value))) * np.max(np.abs(w))
             + np.max(np.abs(b)))
    for name, transform, fast in _mode_routes(mode, pad_value, padding):
        conv_spy.clear()
        xr, wr, br, kwr = transform(x, w, b, kw)
        y = cc.conv1d(xr, wr, br, **kwr)
        assert_conv_close(y, expected, dtype, 2 * 3, scale, err_msg=f"{name}")
        assert conv_spy == [fast], f"{name}: {conv_spy}"
    if mode in TORCH_PAD_MODES:
        t, _ = torch_expected(x, w, b, **kw)
        np.testing.assert_allclose(expected, t, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("mode", ["constant", "linear_ramp", "zeros"])
def test_bool_pad_value_is_declined_and_means_one(mode, conv_spy):
    """bool is not a plain float/int for the fast path; the general path accepts it as
    1.0 (API.md is silent; a NumPy user gets 1.0 from np.pad too). Same answer both ways."""
    x, w, b = _data(8, length=9)
    expected = conv1d_ref(x, w, b, padding=3, padding_mode=mode, pad_value=1.0)
    for xr in (x, x.tolist()):
        y = cc.conv1d(xr, w, b, padding=3, padding_mode=mode, pad_value=True)
        assert_conv_close(y, expected, np.float64, 9, 20.0, err_msg=mode)
    # for "zeros" the value is ignored, so the fast path may answer
    assert conv_spy == [mode == "zeros", False]


# ---------------------------------------------------------------------------------------
# 3. mixed and promoted dtypes: declined by the fast path, promoted by the general path

@pytest.mark.parametrize("xd,wd,bd,result", [
    (np.float32, np.float64, np.float64, np.float64),
    (np.float64, np.float32, np.float32, np.float64),
    (np.float32, np.float32, np.float64, np.float64),
    (np.float16, np.float16, np.float16, np.float32),
    (np.int64, np.float32, None, np.float64),
])
def test_conv1d_mixed_dtypes_take_general_path(xd, wd, bd, result, conv_spy):
    x, w, b = _data(21, length=12)
    x, w = x.astype(xd), w.astype(wd)
    b = None if bd is None else b.astype(bd)
    y = cc.conv1d(x, w, b, padding="same", stride=2)
    expected, scale = torch_expected(x, w, b, padding="same", stride=2)
    assert_conv_close(y, expected, result, 9, scale * (10 if xd == np.float16 else 1))
    assert conv_spy == [False]


# ---------------------------------------------------------------------------------------
# 4. out=

def _out_case(batched, dtype):
    x, w, b = _data(31, length=10, dtype=dtype, batched=batched)
    kw = dict(stride=2, padding=(1, 2), dilation=2)
    expected, scale = torch_expected(x, w, b, **kw)
    return x, w, b, kw, expected, scale


@pytest.mark.parametrize("route", ["fast", "list-x", "strided"])
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("dtype", DTYPES)
def test_out_is_returned_and_filled(route, batched, dtype, conv_spy):
    x, w, b, kw, expected, scale = _out_case(batched, dtype)
    xr, wr, br, kwr = CONV_ROUTES[route][0](x, w, b, kw)
    out_dtype = np.float64 if route == "list-x" else dtype
    out = np.full(expected.shape, np.nan, dtype=out_dtype)
    y = cc.conv1d(xr, wr, br, out=out, **kwr)
    assert y is out
    assert_conv_close(out, expected, out_dtype, 9, scale)
    # the same values as without out=
    np.testing.assert_array_equal(out, cc.conv1d(xr, wr, br, **kwr))
    assert conv_spy == [route == "fast"] * 2


def _shared_buffer_case(dtype, what):
    """x (1, 1, 8), w (1, 1, 3), b (1,) and out (1, 1, 6) carved from one buffer, with
    ``out`` overlapping ``what`` by one element (or touching it: no overlap)."""
    rng = np.random.default_rng(41)
    buf = rng.standard_normal(64).astype(dtype)
    l_out = 6
    if what == "x":             # out ends on x's first element
        out, x = buf[0:6], buf[5:13]
        w, b = buf[20:23], buf[30:31]
    elif what == "x-inside":    # out entirely inside x
        x, out = buf[0:8], buf[1:7]
        w, b = buf[20:23], buf[30:31]
    elif what == "weight":      # out starts on w's last element
        w, out = buf[0:3], buf[2:8]
        x, b = buf[20:28], buf[30:31]
    elif what == "bias":
        out, b = buf[0:6], buf[5:6]
        x, w = buf[20:28], buf[30:33]
    elif what == "touching-before":   # out right before x, w right after out
        out, x, w, b = buf[8:14], buf[14:22], buf[5:8], buf[4:5]
    elif what == "touching-after":
        x, out, b, w = buf[0:8], buf[8:14], buf[14:15], buf[15:18]
    else:
        raise ValueError(what)
    return (x.reshape(1, 1, 8), w.reshape(1, 1, 3), b, out.reshape(1, 1, l_out))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("what", ["x", "x-inside", "weight", "bias"])
def test_out_overlapping_an_input_raises(what, dtype, conv_spy):
    x, w, b, out = _shared_buffer_case(dtype, what)
    before = _copies(x, w, b)
    with pytest.raises(ValueError, match=f"out overlaps the input {what.split('-')[0]}"):
        cc.conv1d(x, w, b, out=out)
    assert conv_spy == [False]
    _assert_unchanged((x, w, b), before)   # nothing written, not even partly


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("what", ["touching-before", "touching-after"])
def test_out_touching_but_not_overlapping_is_fine(what, dtype, conv_spy):
    x, w, b, out = _shared_buffer_case(dtype, what)
    expected, scale = torch_expected(x, w, b)
    before = _copies(x, w, b)
    y = cc.conv1d(x, w, b, out=out)
    assert y is out
    assert_conv_close(out, expected, dtype, 3, scale)
    assert conv_spy == [True]
    _assert_unchanged((x, w, b), before)


def _bad_outs(shape, dtype):
    other = np.float32 if dtype == np.float64 else np.float64
    readonly = np.zeros(shape, dtype)
    readonly.setflags(write=False)
    return {
        "shape": (np.zeros(shape[:-1] + (shape[-1] + 1,), dtype), ValueError, "shape"),
        "batched-shape": (np.zeros((1,) + shape, dtype), ValueError, "shape"),
        "dtype": (np.zeros(shape, other), ValueError, "dtype"),
        "read-only": (readonly, ValueError, "writeable"),
        "non-contiguous": (np.zeros(shape[:-1] + (2 * shape[-1],), dtype)[..., ::2],
                           ValueError, "C-contiguous"),
        "big-endian": (np.zeros(shape, np.dtype(dtype).newbyteorder(">")), ValueError,
                       "dtype"),
        "list": (np.zeros(shape, dtype).tolist(), TypeError, "numpy.ndarray"),
    }


@pytest.mark.parametrize("bad", ["shape", "batched-shape", "dtype", "read-only",
                                 "non-contiguous", "big-endian", "list"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_bad_out_raises_general_path_error(bad, dtype, conv_spy):
    x, w, b, kw, expected, _ = _out_case(False, dtype)
    out, exc, words = _bad_outs(expected.shape, dtype)[bad]
    out_copy = np.array(out, copy=True)
    with pytest.raises(exc, match=words) as fast_err:
        cc.conv1d(x, w, b, out=out, **kw)
    assert conv_spy == [False]
    np.testing.assert_array_equal(np.asarray(out), out_copy)
    # the general path with strided inputs (same dtype) says exactly the same
    with pytest.raises(exc, match=words) as general_err:
        cc.conv1d(_strided(x), _strided(w), _strided(b), out=out, **kw)
    assert str(fast_err.value) == str(general_err.value)


# ---------------------------------------------------------------------------------------
# 5. output length < 1 (C truncation of negative numerators)

#: (length, k, stride, dilation, padding): L + left + right - d*(K-1) - 1 in [-(s-1), -1]
#: truncates to 0 in C (output length 1, wrong) and floors to -1 in Python (no output).
TOO_SHORT = [
    (3, 4, 2, 1, 0),
    (3, 4, 2, 1, "valid"),
    (3, 4, 2, 1, (0, 0)),
    (1, 5, 3, 1, 1),            # numerator -2, stride 3
    (1, 5, 3, 1, (1, 1)),
    (2, 6, 4, 1, (0, 2)),       # numerator -2, stride 4
    (2, 2, 2, 2, 0),            # dilation 2: numerator -1
    (2, 3, 2, 2, 1),
    (2, 3, 4, 2, "valid"),      # numerator -3, stride 4
    (4, 3, 5, 3, (1, 0)),       # numerator -2, stride 5, dilation 3
    (3, 2, 1, 4, 0),            # stride 1: numerator -2
    (1, 3, 1, 2, "valid"),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("length,k,stride,dilation,padding", TOO_SHORT, ids=str)
def test_output_length_below_one_raises(length, k, stride, dilation, padding, batched,
                                        dtype, conv_spy):
    left, right = explicit_padding(padding, length, k, stride, dilation)
    assert conv1d_out_length(length, k, stride, dilation, left, right) < 1
    x, w, b = _data(3, c_in=2, c_out=2, length=length, k=k, dtype=dtype, batched=batched)
    kw = dict(stride=stride, dilation=dilation, padding=padding)
    with pytest.raises(ValueError, match=r"^output length .*padding") as fast_err:
        cc.conv1d(x, w, b, **kw)
    assert conv_spy == [False]
    with pytest.raises(ValueError, match=r"^output length .*padding") as general_err:
        cc.conv1d(x.tolist(), w, b, **kw)
    assert str(fast_err.value) == str(general_err.value)
    # torch agrees there is no output
    with pytest.raises(RuntimeError, match="[Kk]ernel size"):
        F.conv1d(torch.from_numpy(np.pad(x, [(0, 0)] * (x.ndim - 1) + [(left, right)])),
                 torch.from_numpy(w), stride=stride, dilation=dilation)


# ---------------------------------------------------------------------------------------
# 6. hostile arguments that look plain: the fast path declines, the general path explains

HOSTILE = {
    "stride=True": (dict(stride=True), TypeError),
    "dilation=True": (dict(dilation=True), TypeError),
    "groups=True": (dict(groups=True), TypeError),
    "stride=2.0": (dict(stride=2.0), TypeError),
    "stride=0": (dict(stride=0), ValueError),
    "dilation=0": (dict(dilation=0), ValueError),
    "groups=0": (dict(groups=0), ValueError),
    "groups=2 (does not divide 3)": (dict(groups=2), ValueError),
    "stride=-1": (dict(stride=-1), ValueError),
    "padding=(1, 2, 3)": (dict(padding=(1, 2, 3)), ValueError),
    # (padding=(1,) is both sides, as in PyTorch and numpy.pad: test_reliability)
    "padding=()": (dict(padding=()), ValueError),
    "padding=-1": (dict(padding=-1), ValueError),
    "padding=(-1, 1)": (dict(padding=(-1, 1)), ValueError),
    "padding=(True, 1)": (dict(padding=(True, 1)), TypeError),
    "padding=True": (dict(padding=True), TypeError),
    "padding=1.0": (dict(padding=1.0), TypeError),
    "padding='SAME'": (dict(padding="SAME"), ValueError),
    "padding=None": (dict(padding=None), TypeError),
    "padding_mode='nope'": (dict(padding_mode="nope"), ValueError),
    "padding_mode='Zeros'": (dict(padding_mode="Zeros"), ValueError),
    "padding_mode=None": (dict(padding_mode=None), TypeError),
    "pad_value=None": (dict(padding_mode="constant", padding=1, pad_value=None), TypeError),
    "pad_value=1+2j": (dict(padding_mode="constant", padding=1, pad_value=1 + 2j),
                       TypeError),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_arguments_raise_as_general_path(case, dtype, conv_spy):
    kwargs, exc = HOSTILE[case]
    x, w, b = _data(4, c_in=3, c_out=4, length=10, dtype=dtype)
    before = _copies(x, w, b)
    arg = rf"^{list(kwargs)[-1]}\b"     # the last keyword is the bad one
    with pytest.raises(exc, match=arg) as fast_err:
        cc.conv1d(x, w, b, **kwargs)
    assert conv_spy == [False], "the fast path must decline, not answer or raise"
    with pytest.raises(exc, match=arg) as general_err:
        cc.conv1d(x.tolist(), w.tolist(), b.tolist(), **kwargs)
    assert type(fast_err.value) is type(general_err.value)
    assert str(fast_err.value) == str(general_err.value)
    _assert_unchanged((x, w, b), before)


SHAPE_ERRORS = {
    "x 1-D": lambda x, w, b: (x[0, 0], w, b),
    "x 4-D": lambda x, w, b: (x[None], w, b),
    "w 2-D": lambda x, w, b: (x, w[:, :, 0], b),
    "b 2-D": lambda x, w, b: (x, w, b[None]),
    "b too long": lambda x, w, b: (x, w, np.concatenate([b, b])),
    "channels mismatch": lambda x, w, b: (x[:, :2], w, b),
    "empty signal": lambda x, w, b: (x[..., :0].copy(), w, b),
    "empty batch": lambda x, w, b: (x[:0].copy(), w, b),
    "kernel 0": lambda x, w, b: (x, w[..., :0].copy(), b),
}


@pytest.mark.parametrize("case", list(SHAPE_ERRORS))
def test_bad_shapes_raise_as_general_path(case, conv_spy):
    x, w, b = _data(6, c_in=3, c_out=4, length=10)
    xr, wr, br = SHAPE_ERRORS[case](x, w, b)
    try:
        general = cc.conv1d(_strided(np.asarray(xr)), wr, br)
    except (ValueError, TypeError) as e:
        general = e
    conv_spy.clear()
    try:
        fast = cc.conv1d(xr, wr, br)
    except (ValueError, TypeError) as e:
        fast = e
    assert conv_spy == [False]
    if isinstance(general, np.ndarray):   # an empty batch is a valid empty result
        assert case == "empty batch"
        assert isinstance(fast, np.ndarray) and fast.shape == general.shape == (0, 4, 8)
    else:
        assert type(fast) is type(general) and str(fast) == str(general)


# ---------------------------------------------------------------------------------------
# 7. convolve / correlate: signal_direct against numpy

MODES = ("full", "same", "valid")
#: n > m, n == m, n < m with every parity of n and m, and length-1 operands
LENGTH_PAIRS = [(9, 4), (10, 4), (9, 5), (10, 5), (6, 6), (7, 7), (4, 9), (4, 10),
                (5, 9), (5, 10), (2, 3), (3, 2), (1, 1), (1, 6), (6, 1), (2, 2)]


def _np_signal(name, a, v, mode):
    a64 = np.asarray(a, dtype=np.float64)
    v64 = np.asarray(v, dtype=np.float64)
    return getattr(np, name)(a64, v64, mode)


def assert_signal_close(actual, expected, dtype, a, v, err_msg=""):
    assert isinstance(actual, np.ndarray)
    assert actual.dtype == np.dtype(dtype), f"{actual.dtype} != {dtype} {err_msg}"
    assert actual.shape == expected.shape, f"{actual.shape} != {expected.shape} {err_msg}"
    scale = max(float(np.linalg.norm(np.asarray(a, np.float64)))
                * float(np.linalg.norm(np.asarray(v, np.float64))), 1.0)
    tol = 2e-6 if np.dtype(dtype) == np.float32 else 1e-13
    np.testing.assert_allclose(actual, expected, rtol=tol * 10, atol=tol * scale,
                               err_msg=err_msg)


def _sig_call(name, a, v, mode, **kw):
    return getattr(cc, name)(a, v, mode, **kw)


#: route -> (transform of (a, v, mode, kwargs), does signal_direct answer?)
SIGNAL_ROUTES = {
    "fast": (lambda a, v, mode, kw: (a, v, mode, kw), True),
    "fast-axis0": (lambda a, v, mode, kw: (a, v, mode, dict(kw, axis=0)), True),
    "fast-readonly": (lambda a, v, mode, kw: (_readonly(a), _readonly(v), mode, kw), True),
    "strided": (lambda a, v, mode, kw: (_strided(a), _strided(v), mode, kw), False),
    "negative-stride": (lambda a, v, mode, kw: (a[::-1].copy()[::-1], v, mode, kw), False),
    "big-endian": (lambda a, v, mode, kw: (_big_endian(a), _big_endian(v), mode, kw),
                   False),
    "list-a": (lambda a, v, mode, kw: (a.tolist(), v, mode, kw), False),
    "numpy-axis": (lambda a, v, mode, kw: (a, v, mode, dict(kw, axis=np.int64(-1))), False),
    "numpy-str-mode": (lambda a, v, mode, kw: (a, v, np.str_(mode), kw), False),
}


@pytest.mark.parametrize("route", list(SIGNAL_ROUTES))
@pytest.mark.parametrize("method", ["auto", "direct"])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", ["convolve", "correlate"])
def test_signal_both_paths_match_numpy(name, mode, dtype, method, route, signal_spy):
    rng = np.random.default_rng(17)
    transform, fast = SIGNAL_ROUTES[route]
    for n, m in LENGTH_PAIRS:
        a = rng.standard_normal(n).astype(dtype)
        v = rng.standard_normal(m).astype(dtype)
        expected = _np_signal(name, a, v, mode)
        ar, vr, mr, kw = transform(a, v, mode, dict(method=method))
        # a one-element view is C-contiguous: those still take the fast path
        if route == "strided":
            fast_here = n == 1 and m == 1
        elif route == "negative-stride":
            fast_here = n == 1
        else:
            fast_here = fast
        before = _copies(ar, vr)
        signal_spy.clear()
        y = _sig_call(name, ar, vr, mr, **kw)
        out_dtype = np.float64 if route == "list-a" else dtype
        msg = f"{name} n={n} m={m} {mode} {method} {route}"
        assert_signal_close(y, expected, out_dtype, a, v, err_msg=msg)
        assert y.shape == getattr(np, name)(a, v, mode).shape, msg
        assert signal_spy == [fast_here], msg
        _assert_unchanged((ar, vr), before)


@pytest.mark.parametrize("name", ["convolve", "correlate"])
def test_signal_same_window_all_small_pairs(name, signal_spy):
    """Every (n, m) in 1..12 x 1..12 on the fast path: numpy's 'same' offsets and swap."""
    rng = np.random.default_rng(2)
    for n in range(1, 13):
        for m in range(1, 13):
            a, v = rng.standard_normal(n), rng.standard_normal(m)
            for mode in MODES:
                y = _sig_call(name, a, v, mode, method="direct")
                assert_signal_close(y, _np_signal(name, a, v, mode), np.float64, a, v,
                                    err_msg=f"{n} {m} {mode}")
    assert all(signal_spy) and len(signal_spy) == 12 * 12 * 3


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["convolve", "correlate"])
@pytest.mark.parametrize("n,m", [(100_000, 31), (31, 7_000)])
def test_signal_above_auto_limit(name, n, m, dtype, signal_spy):
    """auto declines past its multiply-add budget, then asks the cost model: where it
    picks the direct sums the fast path answers after all (a second call), else the
    general path; every road stays correct."""
    rng = np.random.default_rng(n + m)
    a = rng.standard_normal(n).astype(dtype)
    v = rng.standard_normal(m).astype(dtype)
    retry = [True] if _signal.choose_method(n, m, dtype=dtype) == "direct" else []
    for mode in MODES:
        expected = _np_signal(name, a, v, mode)
        for method, calls in (("auto", [False] + retry), ("direct", [True])):
            signal_spy.clear()
            y = _sig_call(name, a, v, mode, method=method)
            assert_signal_close(y, expected, dtype, a, v, err_msg=f"{mode} {method}")
            assert signal_spy == calls, f"{mode} {method}"


@pytest.mark.parametrize("name", ["convolve", "correlate"])
def test_signal_auto_past_limit_by_the_model(name, signal_spy):
    """Past the budget, the model's choice decides: the direct sums on the fast path, or
    the FFT (the general path) where it is predicted faster; NumPy's values either way,
    and a NaN kernel still declines to the general path's exact NaN placement."""
    rng = np.random.default_rng(3)
    for n, m in ((200_000, 20), (20_000, 600)):
        a, v = rng.standard_normal(n), rng.standard_normal(m)
        direct = _signal.choose_method(n, m) == "direct"
        assert direct == (m == 20)
        signal_spy.clear()
        y = _sig_call(name, a, v, "full")
        assert_signal_close(y, _np_signal(name, a, v, "full"), np.float64, a, v)
        assert signal_spy == ([False, True] if direct else [False])
    a, v = rng.standard_normal(200_000), rng.standard_normal(20)
    v[4] = np.nan
    signal_spy.clear()
    y = _sig_call(name, a, v, "full")
    np.testing.assert_array_equal(np.isnan(y), np.isnan(_np_signal(name, a, v, "full")))
    assert signal_spy == [False, False]


@pytest.mark.parametrize("path", ["avx512", "avx2", "scalar"])
def test_auto_model_weighs_the_dtype_and_path(path):
    """The direct sums of float32 run twice the lanes of float64 on the vector paths:
    the model must price them lower, so that float32 keeps the direct sums to longer
    kernels than float64, never the other way round. (One rate for both, fitted on
    float32, sent float64 to the direct sums at 2.5x the FFT's time.) The lag-window
    chooser (correlate's maxlag/lags, Pearson) prices them the same way.

    One crossover band: direct for short kernels, the FFT from some length on. The
    FFT's model is a staircase (its block sizes step) and the direct one a line, so
    where they run alongside each other they may cross a few times (float32, 1e4
    samples, 376-544 taps: the two within 5 % of each other); no direct pick may lie
    past 1.5x the first FFT pick. The bands are those of one thread: on two, the direct
    sums split once a call reaches the kernels' PARALLEL_MIN_FLOPS, so a second band
    may open past it (and does, for 1e4 samples); past it the direct bands may only
    grow, the direct sums scaling better than the FFT's chunks of a lane."""
    from cconv1d import _kernels
    if path not in _kernels.usable_paths():
        pytest.skip(f"the {path} path does not run here")
    threads_before = cc._threads._requested

    def band(picks):
        lengths = list(range(8, 4097, 8))
        first_fft = next((m for m, p in zip(lengths, picks) if p == "fft"), None)
        if first_fft is not None:
            last_direct = max(m for m, p in zip(lengths, picks) if p == "direct")
            assert last_direct <= 1.5 * first_fft, (first_fft, last_direct)
        return picks.count("direct")

    try:
        _kernels.select_simd(path)
        cc.set_num_threads(1)
        crossover = {}
        for dtype in (np.float32, np.float64):
            for n in (10_000, 100_000, 1_000_000):
                picks = [_signal.choose_method(n, m, dtype=dtype) for m in range(8, 4097, 8)]
                two = [_signal.choose_method(n, m, dtype=dtype, threads=2)
                       for m in range(8, 4097, 8)]
                # where the direct sums split too, their band only grows with a
                # second thread (below that, our FFT may split a 1e5-sample lane alone)
                assert all(q == "direct" for m, p, q in zip(range(8, 4097, 8), picks, two)
                           if p == "direct" and n * m >= _signal._PARALLEL_MIN_MACS), (
                    dtype, n)
                assert picks[0] == "direct" and picks[-1] == "fft", (dtype, n)
                crossover[np.dtype(dtype).name, n] = band(picks)
                lag = {}
                for fused in (False, True):
                    lag[fused] = band([_signal._auto_method(n, m, 0, 1, n - m + 1, 1, False,
                                                            np.dtype(dtype), True, fused)
                                       for m in range(8, 4097, 8)])
                # Pearson's direct route makes r with the raw sums and its FFT route
                # pays a pass of its own: the direct band never shrinks (it took the
                # FFT at 1.9x the direct route's time when priced as the raw sums), and
                # grows on the vector paths; on the scalar one (direct sums 4-8x
                # slower, crossover near 24 float64 taps) the passes' difference, 0.5
                # ns a lag since that pass lost two, may not move it by a step of 8
                assert lag[True] >= lag[False], (dtype, n, lag)
                if path != "scalar":
                    assert lag[True] > lag[False], (dtype, n, lag)
        for n in (10_000, 100_000, 1_000_000):
            assert crossover["float32", n] >= crossover["float64", n], n
        if path != "scalar":    # twice the lanes: a clearly longer crossover somewhere
            assert any(crossover["float32", n] > crossover["float64", n]
                       for n in (10_000, 100_000, 1_000_000)), crossover
    finally:
        _kernels.select_simd(None)
        cc.set_num_threads(threads_before)


@pytest.mark.parametrize("name", ["convolve", "correlate"])
def test_signal_auto_limit_boundary(name, signal_spy):
    m = 31
    limit = _signal._AUTO_DIRECT_MAX_MACS // m
    rng = np.random.default_rng(7)
    v = rng.standard_normal(m)
    for n, fast in ((limit, True), (limit + 1, False)):
        a = rng.standard_normal(n)
        # past the budget, the model's direct choice retries the fast path
        calls = [True] if fast else [False] + (
            [True] if _signal.choose_method(n, m) == "direct" else [])
        for mode in MODES:
            for a_, v_ in ((a, v), (v, a)):   # and swapped
                signal_spy.clear()
                y = _sig_call(name, a_, v_, mode)
                assert_signal_close(y, _np_signal(name, a_, v_, mode), np.float64, a_, v_,
                                    err_msg=f"n={n} {mode}")
                assert signal_spy == calls


@pytest.mark.parametrize("method", ["auto", "direct"])
@pytest.mark.parametrize("name", ["convolve", "correlate"])
def test_signal_non_finite_reaches_numpy_outputs(name, method, signal_spy):
    a = np.arange(12.0)
    a[3], a[8] = np.nan, np.inf
    v = np.array([1.0, -2.0, 0.5])
    for mode in MODES:
        np.testing.assert_allclose(_sig_call(name, a, v, mode, method=method),
                                   _np_signal(name, a, v, mode), rtol=1e-13)
    assert signal_spy == [True] * 3


@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["convolve", "correlate"])
def test_signal_non_finite_kernel_declines(name, dtype, swap, signal_spy):
    """NaN or inf in the shorter operand (the kernel slid over the other) sends the
    call down the general path, which keeps them off the zero edges as NumPy does (the
    block kernel would multiply them by the padding's zeros): NaN exactly where NumPy
    has it, on both sides of the swap."""
    a = np.arange(1.0, 13.0, dtype=dtype)
    for bad in (np.nan, np.inf, -np.inf):
        v = np.array([1.0, bad, 0.5], dtype=dtype)
        a_, v_ = (v, a) if swap else (a, v)
        for mode in MODES:
            signal_spy.clear()
            with np.errstate(invalid="ignore"):
                y = _sig_call(name, a_, v_, mode, method="direct")
                expected = _np_signal(name, a_, v_, mode)
            assert signal_spy == [False], f"{bad} {mode}"
            np.testing.assert_array_equal(np.isnan(y), np.isnan(expected), f"{bad} {mode}")
            np.testing.assert_allclose(y, expected.astype(dtype), rtol=1e-6,
                                       err_msg=f"{bad} {mode}")


@pytest.mark.parametrize("dtype", DTYPES)
def test_autocorrelate_takes_the_fast_path(dtype, signal_spy):
    """A plain 1-D float lane's autocorrelation is correlate(a, a) on the compiled fast
    path, numpy.correlate(a, a, mode)'s values in every mode (mode=None: full); NaN in
    the lane declines to the general path, which keeps NumPy's NaN pattern."""
    rng = np.random.default_rng(9)
    for n in (1, 2, 7, 64):
        a = rng.standard_normal(n).astype(dtype)
        for mode in (None, "full", "same", "valid"):
            signal_spy.clear()
            y = cc.autocorrelate(a, mode)
            assert signal_spy == [True], (n, mode)
            assert_signal_close(y, _np_signal("correlate", a, a, mode or "full"), dtype, a,
                                a, err_msg=f"{n} {mode}")
    a = np.arange(1.0, 9.0, dtype=dtype)
    a[3] = np.nan
    signal_spy.clear()
    y = cc.autocorrelate(a)
    assert signal_spy == [False]
    np.testing.assert_array_equal(np.isnan(y), np.isnan(np.correlate(a, a, "full")))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("auto", [False, True], ids=["correlate", "autocorrelate"])
def test_maxlag_takes_the_fast_path(auto, dtype, signal_spy):
    """correlate(a, v, maxlag=k) (and autocorrelate) of plain 1-D float lanes: the lags'
    direct sums on the compiled fast path, equal to numpy.correlate's full result at
    index lag + len(v) - 1, and 0 for lags where the signals do not overlap; v longer
    than a (the fast path's swap) included. NaN in the shorter operand declines, and so
    does a window more than twice as wide as the signals (the general path checks its
    size)."""
    rng = np.random.default_rng(21)
    for n, m in ((40, 7), (7, 40), (1, 1), (5, 5), (3, 9)):
        m = n if auto else m
        a = rng.standard_normal(n).astype(dtype)
        v = a if auto else rng.standard_normal(m).astype(dtype)
        full = np.correlate(a.astype(np.float64), v.astype(np.float64), "full")
        for maxlag in (0, 1, 4, n + m - 1):   # the last reaches lags without overlap
            signal_spy.clear()
            y = cc.autocorrelate(a, maxlag=maxlag) if auto else cc.correlate(
                a, v, maxlag=maxlag)
            assert signal_spy == [True], (n, m, maxlag)
            index = np.arange(-maxlag, maxlag + 1) + v.shape[0] - 1
            inside = (index >= 0) & (index < full.shape[0])
            expected = np.zeros(index.shape)
            expected[inside] = full[index[inside]]
            assert_signal_close(y, expected, dtype, a, v, err_msg=f"{n} {m} {maxlag}")
    a = rng.standard_normal(30).astype(dtype)
    v = np.array([1.0, np.nan, 2.0], dtype=dtype)
    signal_spy.clear()
    with np.errstate(invalid="ignore"):
        y = cc.autocorrelate(v, maxlag=2) if auto else cc.correlate(a, v, maxlag=5)
    assert signal_spy == [False]
    assert np.isnan(y).any()
    signal_spy.clear()
    y = cc.autocorrelate(a, maxlag=200) if auto else cc.correlate(a, a[:3], maxlag=200)
    assert signal_spy == [False] and y.shape == (401,)


@pytest.mark.parametrize("name", ["convolve", "correlate"])
def test_signal_asks_thread_count_only_for_large_work(name, monkeypatch, signal_spy):
    """signal_direct asks cconv1d.get_num_threads (an affinity query) only when the
    work reaches the kernels' parallel threshold (4e6 flops), and then uses it."""
    asked = []
    real = _threads.get_num_threads

    def counting():
        asked.append(True)
        return real()

    monkeypatch.setattr(_threads, "get_num_threads", counting)
    rng = np.random.default_rng(3)
    v = rng.standard_normal(16)
    for n, expect_ask in ((1000, False), (200_000, True)):
        a = rng.standard_normal(n)
        asked.clear()
        signal_spy.clear()
        y = _sig_call(name, a, v, "full", method="direct")
        assert signal_spy == [True]
        assert bool(asked) == expect_ask, n
        assert_signal_close(y, _np_signal(name, a, v, "full"), np.float64, a, v)


SIGNAL_ERRORS = {
    "mode='nope'": (dict(mode="nope"), ValueError),
    "mode=None": (dict(mode=None), ValueError),
    "mode=array([1])": (dict(mode=np.array([1])), ValueError),
    "mode=2": (dict(mode=2), ValueError),
    "mode='FULL'": (dict(mode="FULL"), ValueError),
    "method='nope'": (dict(method="nope"), ValueError),
    "method=None": (dict(method=None), ValueError),
    "method=array([1])": (dict(method=np.array([1])), ValueError),
    "axis=1": (dict(axis=1), ValueError),
    "axis=-2": (dict(axis=-2), ValueError),
    "axis=True": (dict(axis=True), TypeError),
    "axis=1.0": (dict(axis=1.0), TypeError),
    "empty a": (dict(a=np.zeros(0)), ValueError),
    "empty v": (dict(v=np.zeros(0)), ValueError),
    "v 2-D": (dict(v=np.ones((2, 3))), ValueError),
}


@pytest.mark.parametrize("name", ["convolve", "correlate"])
@pytest.mark.parametrize("case", list(SIGNAL_ERRORS))
def test_signal_errors_as_general_path(name, case, signal_spy):
    if name == "correlate" and case == "mode=None":
        pytest.skip("mode=None is correlate's documented default (API.md 7.1): 'valid'")
    kwargs, exc = SIGNAL_ERRORS[case]
    kwargs = dict(kwargs)
    arg = rf"^{list(kwargs)[-1]}\b"
    rng = np.random.default_rng(5)
    a = kwargs.pop("a", rng.standard_normal(8))
    v = kwargs.pop("v", rng.standard_normal(3))
    mode = kwargs.pop("mode", "full")
    before = _copies(a, v)
    with pytest.raises(exc, match=arg) as fast_err:
        _sig_call(name, a, v, mode, **kwargs)
    assert signal_spy == [False], "signal_direct must decline, not answer or raise"
    with pytest.raises(exc, match=arg) as general_err:
        _sig_call(name, a.tolist(), v, mode, **kwargs)
    assert type(fast_err.value) is type(general_err.value)
    assert str(fast_err.value) == str(general_err.value)
    _assert_unchanged((a, v), before)


@pytest.mark.parametrize("dtype", DTYPES)
def test_signal_mixed_dtypes_take_general_path(dtype, signal_spy):
    other = np.float64 if dtype == np.float32 else np.float32
    rng = np.random.default_rng(9)
    a = rng.standard_normal(20).astype(dtype)
    v = rng.standard_normal(5).astype(other)
    for name in ("convolve", "correlate"):
        for mode in MODES:
            y = _sig_call(name, a, v, mode)
            assert_signal_close(y, _np_signal(name, a, v, mode), np.float64, a, v)
    assert signal_spy == [False] * 6


@pytest.mark.parametrize("name", ["convolve", "correlate"])
def test_auto_prices_the_outputs_a_mode_wants(name, signal_spy):
    """mode "valid" of two near-equal lengths wants a few samples: the direct sums make
    only those (min(n, m) products each), the FFT the whole result. auto had priced the
    direct sums as n x m products and took a full FFT for one sample (5.3 ms against
    0.35 at 1e5 samples; 51x at 1e6, a performance hunt's find). Oracle: NumPy."""
    n = 60_000
    assert _signal.choose_method(n, n, outputs=1) == "direct"
    assert _signal.choose_method(n, n) == "fft"             # the full result
    assert _signal.choose_method(n, n, outputs=n) == "fft"  # "same"
    rng = np.random.default_rng(11)
    a, v = rng.standard_normal(n + 7), rng.standard_normal(n)
    got = getattr(cc, name)(a, v, "valid")
    assert signal_spy[-1] is True, "the compiled direct sums must answer"
    expected = getattr(np, name)(a, v, "valid")
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9 * np.sqrt(n))
    lanes = np.stack([a, a[::-1]])
    got = getattr(cc, name)(lanes, v, "valid")   # the general path prices it too
    np.testing.assert_allclose(got[1], getattr(np, name)(a[::-1], v, "valid"),
                               rtol=1e-9, atol=1e-9 * np.sqrt(n))
