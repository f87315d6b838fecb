"""Tests of ``cconv1d.convolve``, ``correlate`` and ``autocorrelate`` (API.md sections 1, 3).

Oracle: ``numpy.convolve`` / ``numpy.correlate`` (lane by lane for N-D input), in float64 /
complex128; cconv1d's results must match in shape and value, with the dtype rules of
section 1 (integers and bool give float64, float16 float32, the rest np.result_type).
"""

import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

import cconv1d as cc

MODES = ("full", "same", "valid")
METHODS = ("direct", "fft", "auto")
KINDS = ("float64", "float32", "complex128", "complex64", "int64", "int32", "bool")


def _signal(rng, n, kind):
    if kind == "bool":
        return rng.integers(0, 2, n).astype(bool)
    if kind.startswith("int"):
        return rng.integers(-9, 10, n).astype(kind)
    if kind.startswith("complex"):
        return (rng.standard_normal(n) + 1j * rng.standard_normal(n)).astype(kind)
    return rng.standard_normal(n).astype(kind)


def _expected_dtype(*dtypes):
    dt = np.result_type(*dtypes)
    if dt.kind in "biu":
        return np.dtype(np.float64)
    if dt == np.float16:
        return np.dtype(np.float32)
    return dt


def _wide(a):
    a = np.asarray(a)
    return a.astype(np.complex128 if a.dtype.kind == "c" else np.float64)


def _np_op(name, a, v, mode):
    """NumPy's result in float64/complex128 (the oracle)."""
    if name == "convolve":
        return np.convolve(_wide(a), _wide(v), mode)
    if name == "correlate":
        return np.correlate(_wide(a), _wide(v), mode)
    return np.correlate(_wide(a), _wide(a), mode)


def _call(name, a, v, mode, **kw):
    if name == "convolve":
        return cc.convolve(a, v, mode, **kw)
    if name == "correlate":
        return cc.correlate(a, v, mode, **kw)
    return cc.autocorrelate(a, mode, **kw)


def assert_signal_close(actual, expected, dtype, a, v, err_msg=""):
    assert isinstance(actual, np.ndarray)
    assert actual.dtype == np.dtype(dtype), f"{actual.dtype} != {dtype} {err_msg}"
    assert actual.shape == expected.shape, f"{actual.shape} != {expected.shape} {err_msg}"
    # every output is a dot product of a window of a with v: bounded by |a| |v|
    scale = max(float(np.linalg.norm(_wide(a))) * float(np.linalg.norm(_wide(v))), 1.0)
    single = np.dtype(dtype) in (np.float32, np.complex64)
    tol = 2e-6 if single else 1e-13
    np.testing.assert_allclose(actual, expected, rtol=tol * 10, atol=tol * scale,
                               err_msg=err_msg)


@given(st.integers(1, 60), st.integers(1, 60), st.sampled_from(MODES),
       st.sampled_from(METHODS), st.sampled_from(KINDS), st.sampled_from(KINDS),
       st.sampled_from(("convolve", "correlate", "autocorrelate")),
       st.integers(0, 2**32 - 1))
def test_1d_matches_numpy(n, m, mode, method, kind_a, kind_v, name, seed):
    rng = np.random.default_rng(seed)
    a = _signal(rng, n, kind_a)
    v = _signal(rng, m, kind_v)
    a_copy, v_copy = a.copy(), v.copy()
    y = _call(name, a, v, mode, method=method)
    expected = _np_op(name, a, v, mode)
    dtype = _expected_dtype(a.dtype) if name == "autocorrelate" else _expected_dtype(
        a.dtype, v.dtype)
    assert_signal_close(y, expected, dtype, a, a if name == "autocorrelate" else v,
                        err_msg=f"{name} n={n} m={m} {mode} {method} {kind_a} {kind_v}")
    if name != "autocorrelate":
        # numpy's own shape, dtype aside
        assert y.shape == getattr(np, name)(a, v, mode).shape
    np.testing.assert_array_equal(a, a_copy)
    np.testing.assert_array_equal(v, v_copy)


@pytest.mark.parametrize("name", ["convolve", "correlate"])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("method", METHODS)
def test_all_small_length_pairs(name, mode, method):
    """Every (n, m) in 1..12 x 1..12, both orders: offsets of same/valid and the swap."""
    rng = np.random.default_rng(0)
    for n in range(1, 13):
        for m in range(1, 13):
            a = rng.standard_normal(n) + 1j * rng.standard_normal(n)
            v = rng.standard_normal(m) + 1j * rng.standard_normal(m)
            y = _call(name, a, v, mode, method=method)
            expected = getattr(np, name)(a, v, mode)
            assert_signal_close(y, expected, np.complex128, a, v, err_msg=f"{n} {m}")
            yr = _call(name, a.real, v.real, mode, method=method)
            assert_signal_close(yr, getattr(np, name)(a.real, v.real, mode),
                                np.float64, a.real, v.real, err_msg=f"real {n} {m}")


@pytest.mark.parametrize("method", METHODS)
def test_correlate_conjugates_v(method):
    a = np.array([1j, 2.0, 3 - 1j])
    v = np.array([1j, 1.0])
    for mode in MODES:
        np.testing.assert_allclose(cc.correlate(a, v, mode, method=method),
                                   np.correlate(a, v, mode), atol=1e-13)
        np.testing.assert_allclose(cc.correlate(v, a, mode, method=method),
                                   np.correlate(v, a, mode), atol=1e-13)
    np.testing.assert_allclose(cc.correlate([1j, 2.0], [1j], "full", method=method),
                               [1.0, -2j], atol=1e-14)


def _sum_of_products(a, v, lags):
    """c[k] = sum over i of a[i + k] * conj-free v[i] products, each the plain complex
    product (real ar vr - ai vi, imaginary ar vi + ai vr), summed in float64."""
    out = []
    for k in lags:
        re = im = 0.0
        for i in range(len(v)):
            if 0 <= i + k < len(a):
                x, y = a[i + k], v[i]
                re += x.real * y.real - x.imag * y.imag
                im += x.real * y.imag + x.imag * y.real
        out.append(complex(re, im))
    return np.array(out)


@pytest.mark.parametrize("method", ["direct", "auto"])
def test_complex_infinity_keeps_the_real_part(method):
    """An infinite component in complex input: each output is the sum of the plain
    complex products, so a real part that is +-inf stays +-inf (recombining the real
    kernels' results as re + 1j * im made 1j * inf = nan + inf j, a NaN in the real part
    where NumPy and lfilter give inf). convolve, correlate and fir_filter."""
    rng = np.random.default_rng(12)
    with np.errstate(invalid="ignore", over="ignore"):
        np.testing.assert_array_equal(cc.convolve([np.inf + 0.5j, 1.0], [2 - 0.25j],
                                                  method=method),
                                      [complex(np.inf, -np.inf), 2 - 0.25j])
        for trial in range(60):
            n, m = int(rng.integers(1, 20)), int(rng.integers(1, 8))
            a = rng.standard_normal(n) + 1j * rng.standard_normal(n)
            v = rng.standard_normal(m) + 1j * rng.standard_normal(m)
            inf = float(rng.choice([np.inf, -np.inf]))
            a[int(rng.integers(n))] = complex(inf, 0.5) if trial % 2 else complex(0.5, inf)
            if trial % 3 == 0:
                a, v = v, a
            flipped = v[::-1]
            lags = range(-(len(v) - 1), len(a))
            expected = {"convolve": _sum_of_products(a, flipped, lags),
                        "correlate": _sum_of_products(a, np.conj(v), lags)}
            got = {"convolve": cc.convolve(a, v, "full", method=method),
                   "correlate": cc.correlate(a, v, "full", method=method)}
            for name in expected:
                for part in ("real", "imag"):
                    e, g = getattr(expected[name], part), getattr(got[name], part)
                    np.testing.assert_array_equal(np.isnan(g), np.isnan(e), err_msg=name)
                    np.testing.assert_array_equal(g[np.isinf(e)], e[np.isinf(e)])
                    finite = np.isfinite(e)
                    np.testing.assert_allclose(g[finite], e[finite], atol=1e-12)
            y = cc.fir_filter(v, a)
            e = _sum_of_products(a, flipped, range(-(len(v) - 1), len(a) - len(v) + 1))
            for part in ("real", "imag"):
                np.testing.assert_array_equal(np.isnan(getattr(y, part)),
                                              np.isnan(getattr(e, part)))


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("mode", MODES)
def test_autocorrelate_complex_and_real(method, mode):
    rng = np.random.default_rng(3)
    for n in (1, 2, 5, 8, 31):
        a = rng.standard_normal(n) + 1j * rng.standard_normal(n)
        y = cc.autocorrelate(a, mode, method=method)
        assert_signal_close(y, np.correlate(a, a, mode), np.complex128, a, a)
        y = cc.autocorrelate(a.real, mode, method=method)
        assert_signal_close(y, np.correlate(a.real, a.real, mode), np.float64, a.real,
                            a.real)


@pytest.mark.parametrize("name", ["convolve", "correlate", "autocorrelate"])
@pytest.mark.parametrize("axis", [0, 1, -1, 2, -3])
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("kind", ["float64", "float32", "complex128", "int64"])
def test_nd_along_axis(name, axis, method, kind):
    rng = np.random.default_rng(abs(axis) + 7)
    shape = (4, 7, 10)
    a = _signal(rng, int(np.prod(shape)), kind).reshape(shape)
    v = _signal(rng, 5, kind)
    for mode in MODES:
        y = _call(name, a, v, mode, axis=axis, method=method)
        if name == "autocorrelate":
            expected = np.apply_along_axis(lambda r: np.correlate(_wide(r), _wide(r), mode),
                                           axis, a)
        else:
            expected = np.apply_along_axis(lambda r: _np_op(name, r, v, mode), axis, a)
        assert_signal_close(y, expected, _expected_dtype(a.dtype), a, v,
                            err_msg=f"{mode}")
    # lanes shorter than v (swap per lane)
    long_v = _signal(rng, 13, kind)
    if name != "autocorrelate":
        for mode in MODES:
            y = _call(name, a, long_v, mode, axis=axis, method=method)
            expected = np.apply_along_axis(lambda r: _np_op(name, r, long_v, mode), axis, a)
            assert_signal_close(y, expected, _expected_dtype(a.dtype), a, long_v)


def test_nd_non_contiguous_and_big_endian():
    rng = np.random.default_rng(9)
    a = rng.standard_normal((6, 40))
    v = rng.standard_normal(7)
    expected = np.stack([np.convolve(r, v, "same") for r in a[::2, ::-1]])
    for variant in (a[::2, ::-1], np.asfortranarray(a)[::2, ::-1],
                    a.astype(">f8")[::2, ::-1]):
        for method in METHODS:
            y = cc.convolve(variant, v.astype(">f8"), "same", method=method)
            np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)
    ro = a.copy()
    ro.setflags(write=False)
    np.testing.assert_allclose(cc.correlate(ro, v, "full"),
                               np.stack([np.correlate(r, v, "full") for r in a]),
                               rtol=1e-12, atol=1e-12)
    b = np.broadcast_to(a[:1], (3, 40))
    np.testing.assert_allclose(cc.autocorrelate(b, "same"),
                               np.stack([np.correlate(r, r, "same") for r in b]),
                               rtol=1e-12, atol=1e-12)


def test_long_signal_fft_direct_numpy_agree():
    rng = np.random.default_rng(11)
    a = rng.standard_normal(100_000)
    v = rng.standard_normal(301)
    expected = np.convolve(a, v, "full")
    results = {m: cc.convolve(a, v, "full", method=m) for m in METHODS}
    scale = np.linalg.norm(v) * np.max(np.abs(a)) * math.sqrt(301)
    for method, y in results.items():
        assert y.shape == expected.shape
        np.testing.assert_allclose(y, expected, rtol=1e-10, atol=1e-12 * scale,
                                   err_msg=method)
    for mode in ("same", "valid"):
        e = np.correlate(a, v, mode)
        for method in METHODS:
            np.testing.assert_allclose(cc.correlate(a, v, mode, method=method), e,
                                       rtol=1e-10, atol=1e-12 * scale)
        # swapped operands
        e = np.convolve(v, a, mode)
        for method in METHODS:
            np.testing.assert_allclose(cc.convolve(v, a, mode, method=method), e,
                                       rtol=1e-10, atol=1e-12 * scale)
    a32, v32 = a.astype(np.float32), v.astype(np.float32)
    for method in METHODS:
        y = cc.convolve(a32, v32, "valid", method=method)
        assert y.dtype == np.float32
        np.testing.assert_allclose(y, np.convolve(a32.astype(float), v32.astype(float),
                                                  "valid"), rtol=1e-4, atol=1e-5 * scale)


def test_integer_and_bool_values_equal_numpy():
    rng = np.random.default_rng(2)
    a = rng.integers(-50, 50, 97)
    v = rng.integers(-5, 5, 13)
    for method in METHODS:
        for mode in MODES:
            y = cc.convolve(a, v, mode, method=method)
            assert y.dtype == np.float64
            np.testing.assert_array_equal(np.rint(y), np.convolve(a, v, mode))
            np.testing.assert_allclose(y, np.convolve(a, v, mode), atol=1e-9)
            y = cc.correlate(a.astype(np.int8), v.astype(bool), mode, method=method)
            assert y.dtype == np.float64
            # numpy keeps int8 and wraps on overflow; the values agree with its int64
            np.testing.assert_allclose(y, np.correlate(a.astype(np.int8).astype(np.int64),
                                                       v.astype(bool), mode), atol=1e-9)
            y = cc.autocorrelate(a.astype(np.uint8), mode, method=method)
            assert y.dtype == np.float64
            np.testing.assert_allclose(y, np.correlate(a.astype(np.uint8).astype(float),
                                                       a.astype(np.uint8), mode),
                                       rtol=1e-12)


def test_dtype_rules():
    f16 = np.ones(5, np.float16)
    assert cc.convolve(f16, f16).dtype == np.float32
    assert cc.convolve(f16, np.ones(2)).dtype == np.float64
    assert cc.convolve(np.ones(5, np.float32), np.ones(2, np.float32)).dtype == np.float32
    assert cc.convolve(np.ones(5, np.float32), np.ones(2)).dtype == np.float64
    assert cc.correlate(np.ones(5, np.float32), np.ones(2, np.complex64)).dtype == np.complex64
    assert cc.correlate(np.ones(5, np.float32), np.ones(2, np.complex128)).dtype == np.complex128
    assert cc.autocorrelate(np.ones(5, np.complex64)).dtype == np.complex64
    assert cc.autocorrelate([True, False]).dtype == np.float64


def test_lists_and_scalars():
    np.testing.assert_allclose(cc.convolve([1, 2, 3], [0, 1, 0.5]), [0, 1, 2.5, 4, 1.5])
    np.testing.assert_allclose(cc.convolve([1.0, 2.0, 3.0], [0.0, 1.0, 0.5], "same"),
                               [1.0, 2.5, 4.0])
    np.testing.assert_allclose(cc.correlate([1.0, 2.0, 3.0], [0.0, 1.0, 0.5]), [3.5])
    np.testing.assert_allclose(cc.autocorrelate([1.0, 2.0, 3.0]), [3, 8, 14, 8, 3])
    # 0-d operands act as one sample, as in numpy
    np.testing.assert_allclose(cc.convolve(3.0, [1.0, 2.0]), np.convolve(3.0, [1.0, 2.0]))
    np.testing.assert_allclose(cc.correlate([1.0, 2.0], 2.0, "full"),
                               np.correlate([1.0, 2.0], [2.0], "full"))


@pytest.mark.parametrize("method", ["auto", "direct"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("where", ["a", "v"])
def test_non_finite_stays_where_numpy_puts_it(method, bad, where):
    """'auto' would pick the FFT for these sizes, which spreads one NaN or inf over every
    output: it must see the value (either sign, either operand) and sum directly."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal(20_000)
    v = np.ones(600)
    assert cc.signal.choose_method(a.size, v.size) == "fft"
    (a if where == "a" else v)[100] = bad
    y = cc.convolve(a, v, "same", method=method)
    e = np.convolve(a, v, "same")
    np.testing.assert_array_equal(np.isnan(y), np.isnan(e))
    np.testing.assert_array_equal(np.isinf(y), np.isinf(e))
    np.testing.assert_array_equal(np.sign(y[np.isinf(y)]), np.sign(e[np.isinf(e)]))
    finite = np.isfinite(e)
    np.testing.assert_allclose(y[finite], e[finite], rtol=1e-12, atol=1e-9)
    if where == "a":
        assert cc.signal.choose_method(a.size, a.size) == "fft"
        ya = cc.autocorrelate(a, method=method)
        ea = np.correlate(a, a, "full")
        np.testing.assert_array_equal(np.isnan(ya), np.isnan(ea))
        np.testing.assert_array_equal(np.isinf(ya), np.isinf(ea))


@pytest.mark.parametrize("name", ["convolve", "correlate"])
def test_errors(name):
    f = getattr(cc, name)
    with pytest.raises(ValueError, match="a"):
        f([], [1.0])
    with pytest.raises(ValueError, match="v"):
        f([1.0], [])
    with pytest.raises(ValueError, match="empty"):
        f(np.zeros((3, 0)), [1.0])
    with pytest.raises(ValueError, match="v"):
        f([1.0, 2.0], [[1.0, 2.0]])
    with pytest.raises(ValueError, match="mode"):
        f([1.0, 2.0], [1.0], "ful")
    with pytest.raises(ValueError, match="mode"):
        f([1.0, 2.0], [1.0], "FULL")
    with pytest.raises(ValueError, match="method"):
        f([1.0, 2.0], [1.0], method="fast")
    with pytest.raises(ValueError, match="axis"):
        f(np.ones((2, 3)), [1.0], axis=2)
    with pytest.raises(ValueError, match="axis"):
        f(np.ones((2, 3)), [1.0], axis=-3)
    with pytest.raises(ValueError, match="axis"):
        f([1.0, 2.0], [1.0], axis=1)
    with pytest.raises(TypeError, match=r"^a: dtype object"):
        f(np.array([1, 2], dtype=object), [1.0])
    with pytest.raises(TypeError, match=r"^a: dtype <U1"):
        f(["a", "b"], [1.0])


def test_autocorrelate_errors():
    with pytest.raises(ValueError, match="empty"):
        cc.autocorrelate([])
    with pytest.raises(ValueError, match="mode"):
        cc.autocorrelate([1.0], "nope")
    with pytest.raises(ValueError, match="method"):
        cc.autocorrelate([1.0], method="nope")
    with pytest.raises(ValueError, match="axis"):
        cc.autocorrelate(np.ones((2, 3)), axis=5)
    with pytest.raises(TypeError, match=r"^a: dtype object"):
        cc.autocorrelate(np.array([1.0], dtype=object))


@pytest.mark.parametrize("kind", ["float64", "complex64"])
@pytest.mark.parametrize("lanes,n,m", [(3, 7, 3000), (3, 3000, 7), (4, 300, 2000),
                                       (1, 20000, 301)])
def test_nd_fft_and_overlap_add_paths(kind, lanes, n, m):
    rng = np.random.default_rng(n + m)
    a = _signal(rng, lanes * n, kind).reshape(lanes, n)
    v = _signal(rng, m, kind)
    for name in ("convolve", "correlate"):
        for mode in MODES:
            expected = np.stack([_np_op(name, row, v, mode) for row in a])
            for method in METHODS:
                y = _call(name, a, v, mode, method=method)
                assert_signal_close(y, expected, np.dtype(kind), a[0], v,
                                    err_msg=f"{name} {mode} {method}")


def test_zero_lanes():
    assert cc.convolve(np.zeros((0, 5)), [1.0, 2.0]).shape == (0, 6)
    assert cc.correlate(np.zeros((4, 0, 5)), [1.0, 2.0], "same").shape == (4, 0, 5)
    assert cc.autocorrelate(np.zeros((0, 5)), "valid").shape == (0, 1)
    assert cc.convolve(np.zeros((5, 0)), [1.0, 2.0], axis=0).shape == (6, 0)


# --- the FFT route by our own transform (cc_fft.h through _stream.fft_full) --------------

@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n, m", [(20_000, 600), (600, 20_000), (4097, 4096), (1, 3000),
                                  (16_384, 16_384), (70_000, 17_000), (3000, 1)])
@pytest.mark.parametrize("name", ["convolve", "correlate"])
def test_engine_route_matches_numpy(name, n, m, dtype):
    """method='fft' on real input takes our transform (except for two long operands of
    similar length, which go to SciPy's single real transform): NumPy's direct values in
    float64 within the float64 error of an FFT, float32 within float32's, every mode,
    both sides of the swap."""
    rng = np.random.default_rng(n + 3 * m)
    a = rng.standard_normal(n).astype(dtype)
    v = rng.standard_normal(m).astype(dtype)
    assert cc.signal._fft.uses_engine(n, m, 1, np.dtype(dtype)) == (
        not (min(n, m) > 16_384 and max(n, m) < 4 * min(n, m)))
    for mode in MODES:
        expected = getattr(np, name)(a.astype(np.float64), v.astype(np.float64), mode)
        got = getattr(cc, name)(a, v, mode, method="fft")
        assert_signal_close(got, expected, dtype, a, v, err_msg=mode)


@pytest.mark.parametrize("threads", [1, 2])
def test_engine_route_lanes_and_threads(threads):
    """N-D input: the lanes share one plan of the kernel and are split between threads,
    a lane to a thread, so the bits do not depend on the count."""
    rng = np.random.default_rng(11)
    a = rng.standard_normal((3, 5, 9000))
    v = rng.standard_normal(700)
    expected = np.stack([np.convolve(row, v) for row in a.reshape(15, -1)]).reshape(3, 5, -1)
    before = cc.get_num_threads()
    try:
        cc.set_num_threads(threads)
        got = cc.convolve(a, v, method="fft")
        cc.set_num_threads(1)
        serial = cc.convolve(a, v, method="fft")
    finally:
        cc.set_num_threads(before)
    np.testing.assert_array_equal(got, serial)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12 * np.abs(expected).max())
    moved = cc.convolve(np.moveaxis(a, -1, 0), v, axis=0, method="fft")
    np.testing.assert_array_equal(np.moveaxis(moved, 0, -1), got)


def test_engine_route_float32_more_accurate_than_float32_transforms():
    """Our transform computes in float64 whatever the input: a float32 convolution's
    error against the float64 result stays near float32's rounding of the output."""
    rng = np.random.default_rng(12)
    a = rng.standard_normal(100_000).astype(np.float32)
    v = rng.standard_normal(1001).astype(np.float32)
    exact = np.convolve(a.astype(np.float64), v.astype(np.float64))
    got = cc.convolve(a, v, method="fft")
    assert got.dtype == np.float32
    err = np.abs(got.astype(np.float64) - exact).max() / np.abs(exact).max()
    assert err < 1e-7


def test_engine_route_new_kernels_each_call():
    """The plans' cache is matched by the kernel's bytes: fresh kernels of one length,
    or one kernel changed in place between calls, never reuse a stale spectrum."""
    rng = np.random.default_rng(13)
    a = rng.standard_normal(30_000)
    v = rng.standard_normal(900)
    for _ in range(3):
        np.testing.assert_allclose(cc.convolve(a, v, method="fft"), np.convolve(a, v),
                                   rtol=0, atol=1e-11)
        v[rng.integers(900)] += 1.0          # in place: same object, new values
    for _ in range(10):                      # more kernels than the cache holds
        w = rng.standard_normal(900)
        np.testing.assert_allclose(cc.correlate(a, w, "valid", method="fft"),
                                   np.correlate(a, w, "valid"), rtol=0, atol=1e-11)
