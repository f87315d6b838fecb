"""Tests for ``cconv1d.pad`` and ``cconv1d.pad_backward``.

Every forward result is checked against oracles we did not write:
``numpy.pad`` for the numpy modes and ``pywt.pad`` (PyWavelets) for
``antisymmetric``, ``antireflect`` and ``smooth``.  The backward pass is
checked both through the adjoint identity and against explicit Jacobians
built from those oracles (exactly from unit vectors for the linear modes,
by central finite differences for ``median``/``minimum``/``maximum``).
"""

import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import cconv1d as cc
from oracles_grad import jacobian_central_fd, jacobian_unit_vectors, order_pad_backward
from oracles_padding import (
    ALL_PADDING_MODES,
    NUMPY_PAD_MODES,
    PYWT_PAD_MODES,
    as_pair,
    pad_last,
    width_pairs,
)

# --------------------------------------------------------------------------
# Mode tables
# --------------------------------------------------------------------------

NUMPY_MODES = NUMPY_PAD_MODES        # public mode name -> numpy.pad mode
PYWT_MODES = PYWT_PAD_MODES
ALL_MODES = ALL_PADDING_MODES

#: modes whose output samples are plain copies (possibly negated) of input
#: samples or of the constant: results must match bit for bit.
EXACT_MODES = frozenset({
    "constant", "zeros", "edge", "replicate", "reflect", "symmetric",
    "wrap", "circular", "minimum", "maximum", "antisymmetric",
})
STAT_MODES = ("mean", "median", "minimum", "maximum")
ORDER_MODES = ("median", "minimum", "maximum")
#: modes that are linear in x (constant with value 0, linear_ramp with
#: end_values 0); aliases included.
LINEAR_MODES = tuple(m for m in ALL_MODES if m not in ORDER_MODES)
COMPLEX_MODES = LINEAR_MODES
#: modes that read samples of the signal (everything except constant/zeros)
DATA_MODES = tuple(m for m in ALL_MODES if m not in ("constant", "zeros"))

LENGTHS = range(1, 9)


# --------------------------------------------------------------------------
# Oracles
# --------------------------------------------------------------------------

def reference_pad(x, pad_width, mode, *, value=0.0, stat_length=None,
                  end_values=0.0):
    """The oracle for ``cc.pad`` (last axis, any ndim, the dtype of ``x``)."""
    left, right = as_pair(pad_width)
    return pad_last(x, left, right, mode, value, dtype=None, stat_length=stat_length,
                    end_values=end_values)


def _tolerances(dtype):
    dt = np.dtype(dtype)
    if dt in (np.float32, np.complex64):
        return 1e-5
    return 1e-12


def assert_pad_matches(actual, expected, mode, dtype, *, scale=None,
                       err_msg=""):
    """Compare ``actual`` (library result) with ``expected`` (oracle)."""
    dtype = np.dtype(dtype)
    assert isinstance(actual, np.ndarray), err_msg
    assert actual.dtype == dtype, f"dtype {actual.dtype} != {dtype} {err_msg}"
    assert actual.shape == expected.shape, (
        f"shape {actual.shape} != {expected.shape} {err_msg}")
    if mode in EXACT_MODES:
        expected = expected.astype(dtype)
        if not np.array_equal(actual, expected):  # fast path first
            np.testing.assert_array_equal(actual, expected, err_msg=err_msg)
        return
    rtol = _tolerances(dtype)
    ref = 1.0 if expected.size == 0 else float(np.max(np.abs(expected)))
    if scale is not None:
        ref = max(ref, float(scale))
    atol = rtol * max(1.0, ref)
    if not np.allclose(actual, expected, rtol=rtol, atol=atol):
        np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol,
                                   err_msg=err_msg)


def _batch_shapes(L):
    return [(L,), (3, L), (2, 2, L)]


# --------------------------------------------------------------------------
# 1. Forward pass against the oracles
# --------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("L", LENGTHS)
@pytest.mark.parametrize("mode", ALL_MODES)
def test_pad_matches_oracle(mode, L, dtype):
    rng = np.random.default_rng(1000 * L + len(mode))
    for shape in _batch_shapes(L):
        x = rng.standard_normal(shape).astype(dtype)
        x64 = x.astype(np.float64)
        for left, right in width_pairs(L):
            expected = reference_pad(x64, (left, right), mode)
            out = cc.pad(x, (left, right), mode)
            assert_pad_matches(
                out, expected, mode, dtype, scale=np.max(np.abs(x64)),
                err_msg=f"mode={mode} shape={shape} widths={(left, right)}")


@pytest.mark.parametrize("mode", ALL_MODES)
def test_pad_int_width_is_both_sides(mode):
    x = np.random.default_rng(0).standard_normal((2, 5))
    for w in (0, 1, 4, 5, 7, 15):
        np.testing.assert_array_equal(cc.pad(x, w, mode),
                                      cc.pad(x, (w, w), mode))
        assert_pad_matches(cc.pad(x, w, mode), reference_pad(x, w, mode),
                           mode, np.float64, err_msg=f"w={w}")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_pad_default_mode_is_constant_zero(dtype):
    x = np.arange(1, 5, dtype=dtype)
    out = cc.pad(x, (2, 1))
    assert out.dtype == dtype
    np.testing.assert_array_equal(out, [0, 0, 1, 2, 3, 4, 0])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("value", [1.0, -2.5, 0.1, 1e30])
@pytest.mark.parametrize("L", [1, 2, 5])
def test_pad_constant_value(value, L, dtype):
    x = np.random.default_rng(L).standard_normal((2, L)).astype(dtype)
    for left, right in width_pairs(L):
        out = cc.pad(x, (left, right), "constant", value=value)
        expected = reference_pad(x, (left, right), "constant", value=value)
        assert_pad_matches(out, expected, "constant", dtype,
                           err_msg=f"widths={(left, right)}")


@pytest.mark.parametrize("value", [1.0, -7.5])
def test_pad_zeros_ignores_value(value):
    x = np.arange(1.0, 4.0)
    out = cc.pad(x, (2, 3), "zeros", value=value)
    np.testing.assert_array_equal(out, [0, 0, 1, 2, 3, 0, 0, 0])


STAT_LENGTHS = [None, 1, 2, 3, 100, (1, 2), (3, 1), (2, 100), (100, 1)]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("stat_length", STAT_LENGTHS,
                         ids=lambda s: f"stat={s}")
@pytest.mark.parametrize("mode", STAT_MODES)
def test_pad_stat_length(mode, stat_length, dtype):
    rng = np.random.default_rng(7)
    for L in (1, 2, 3, 4, 7, 8):
        x = rng.standard_normal((3, L)).astype(dtype)
        x64 = x.astype(np.float64)
        for left, right in width_pairs(L):
            out = cc.pad(x, (left, right), mode, stat_length=stat_length)
            expected = reference_pad(x64, (left, right), mode,
                                     stat_length=stat_length)
            assert_pad_matches(
                out, expected, mode, dtype,
                err_msg=f"L={L} widths={(left, right)} stat={stat_length}")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("end_values", [0.0, 2.5, -1, (-1.0, 3.0), (4, 0)],
                         ids=lambda e: f"end={e}")
def test_pad_linear_ramp_end_values(end_values, dtype):
    rng = np.random.default_rng(3)
    for L in LENGTHS:
        x = rng.standard_normal((2, L)).astype(dtype)
        x64 = x.astype(np.float64)
        for left, right in width_pairs(L):
            out = cc.pad(x, (left, right), "linear_ramp",
                         end_values=end_values)
            expected = reference_pad(x64, (left, right), "linear_ramp",
                                     end_values=end_values)
            assert_pad_matches(
                out, expected, "linear_ramp", dtype,
                scale=np.max(np.abs(x64)),
                err_msg=f"L={L} widths={(left, right)} end={end_values}")


def test_pad_known_values():
    """A few hand-checked values, independent of any oracle."""
    x = np.array([1.0, 2.0, 4.0])
    np.testing.assert_array_equal(cc.pad(x, 2, "edge"), [1, 1, 1, 2, 4, 4, 4])
    np.testing.assert_array_equal(cc.pad(x, 2, "reflect"),
                                  [4, 2, 1, 2, 4, 2, 1])
    np.testing.assert_array_equal(cc.pad(x, 2, "symmetric"),
                                  [2, 1, 1, 2, 4, 4, 2])
    np.testing.assert_array_equal(cc.pad(x, 2, "wrap"), [2, 4, 1, 2, 4, 1, 2])
    np.testing.assert_array_equal(cc.pad(x, 2, "antisymmetric"),
                                  [-2, -1, 1, 2, 4, -4, -2])
    np.testing.assert_allclose(cc.pad(x, 2, "antireflect"),
                               [-2, 0, 1, 2, 4, 6, 7])
    np.testing.assert_allclose(cc.pad(x, 2, "smooth"), [-1, 0, 1, 2, 4, 6, 8])
    np.testing.assert_allclose(cc.pad(x, (1, 2), "mean"),
                               [7 / 3, 1, 2, 4, 7 / 3, 7 / 3])
    np.testing.assert_array_equal(cc.pad(x, 1, "median"), [2, 1, 2, 4, 2])
    np.testing.assert_array_equal(
        cc.pad(np.array([1.0, 4.0]), 1, "median"), [2.5, 1, 4, 2.5])
    np.testing.assert_allclose(
        cc.pad(x, (2, 2), "linear_ramp", end_values=(5.0, 0.0)),
        [5, 3, 1, 2, 4, 2, 0])
    np.testing.assert_array_equal(cc.pad(np.array([3.0]), 2, "smooth"),
                                  [3, 3, 3, 3, 3])


@pytest.mark.parametrize("mode", ALL_MODES)
def test_pad_empty_batch(mode):
    x = np.zeros((0, 4))
    out = cc.pad(x, (2, 3), mode)
    assert out.shape == (0, 9)
    assert out.dtype == np.float64
    x = np.zeros((3, 0, 4), dtype=np.float32)
    out = cc.pad(x, (1, 0), mode)
    assert out.shape == (3, 0, 5)
    assert out.dtype == np.float32


@pytest.mark.parametrize("mode", ALL_MODES)
def test_pad_zero_width_is_identity(mode):
    x = np.random.default_rng(5).standard_normal((2, 3, 6))
    out = cc.pad(x, 0, mode)
    np.testing.assert_array_equal(out, x)
    assert out.dtype == x.dtype


@pytest.mark.parametrize("L", [1, 2, 3])
def test_pad_large_widths(L):
    """Widths far larger than the signal (repeated reflection / wrapping)."""
    x = np.random.default_rng(L).standard_normal((2, L))
    for mode in ALL_MODES:
        for widths in [(25, 0), (0, 31), (17, 23)]:
            assert_pad_matches(cc.pad(x, widths, mode),
                               reference_pad(x, widths, mode), mode,
                               np.float64, scale=np.max(np.abs(x)),
                               err_msg=f"mode={mode} widths={widths}")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("mode", ALL_MODES)
def test_pad_large_batch(mode, dtype):
    """Many long rows (exercises any multi-threaded / blocked code path)."""
    rng = np.random.default_rng(21)
    x = rng.standard_normal((96, 1031)).astype(dtype)
    widths = (7, 1500)
    out = cc.pad(x, widths, mode)
    x64 = x.astype(np.float64)
    assert_pad_matches(out, reference_pad(x64, widths, mode), mode, dtype,
                       scale=np.max(np.abs(x64)))
    g = rng.standard_normal(out.shape)
    xkw = {"x": x} if mode in ORDER_MODES else {}
    gx = cc.pad_backward(g.astype(dtype), x.shape[-1], widths, mode, **xkw)
    assert gx.shape == x.shape and gx.dtype == dtype
    if mode in LINEAR_MODES:
        # <pad(x), g> = <x, pad_backward(g)>, both sides summed in float64. The error
        # comes from rounding g to dtype, the float32/64 pad samples and the sums of up
        # to 1 + left + right terms in each gradient entry: a few eps * sqrt(terms) of
        # S = |g| |J| |x|, J the pad's Jacobian (exact, from unit vectors of the oracle).
        lhs = np.sum(out.astype(np.float64) * g)
        rhs = np.sum(x64 * gx)
        jac = jacobian_unit_vectors(lambda v: reference_pad(v, widths, mode), x.shape[-1])
        size = float(np.sum(np.abs(g) * (np.abs(x64) @ np.abs(jac).T)))
        eps = float(np.finfo(dtype).eps)
        tol = 4 * eps * np.sqrt(1 + sum(widths)) * size
        assert abs(lhs - rhs) <= tol, (lhs, rhs, tol)
    else:
        # Each entry adds the gradient of up to left + right pad samples to its own, with
        # non-negative weights: the same map applied to |g| is the sum of |terms| of every
        # entry, and the error is a few eps * sqrt(terms) of it.
        g_rounded = g.astype(dtype)
        eps = float(np.finfo(dtype).eps)
        size = order_pad_backward(np.abs(g_rounded), x, *widths, mode)
        bound = 4 * eps * np.sqrt(1 + sum(widths)) * size
        err = np.abs(gx - order_pad_backward(g_rounded, x, *widths, mode))
        assert np.all(err <= bound), float(np.max(err / bound))


def test_pad_constant_on_empty_signal():
    out = cc.pad(np.zeros((2, 0)), (1, 2), "constant", value=3.0)
    np.testing.assert_array_equal(out, np.full((2, 3), 3.0))
    out = cc.pad(np.zeros(0), 2, "zeros")
    np.testing.assert_array_equal(out, np.zeros(4))
    out = cc.pad(np.zeros(0, dtype=np.float32), (0, 0))
    assert out.shape == (0,) and out.dtype == np.float32


# --------------------------------------------------------------------------
# Hypothesis property test (forward + adjoint)
# --------------------------------------------------------------------------

@st.composite
def _pad_problem(draw, modes):
    mode = draw(st.sampled_from(modes))
    batch = tuple(draw(st.lists(st.integers(1, 3), min_size=0, max_size=2)))
    L = draw(st.integers(1, 12))
    left = draw(st.integers(0, 3 * L + 2))
    right = draw(st.integers(0, 3 * L + 2))
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    x = draw(hnp.arrays(dtype, batch + (L,),
                        elements=st.floats(-1e3, 1e3, width=32)))
    return mode, x, (left, right)


@settings(max_examples=150, deadline=None, database=None)
@given(_pad_problem(ALL_MODES))
def test_pad_property(problem):
    mode, x, widths = problem
    x64 = x.astype(np.float64)
    use_int = widths[0] == widths[1]
    out = cc.pad(x, widths[0] if use_int else widths, mode)
    expected = reference_pad(x64, widths, mode)
    assert_pad_matches(out, expected, mode, x.dtype,
                       scale=np.max(np.abs(x64)),
                       err_msg=f"mode={mode} widths={widths}")


@settings(max_examples=100, deadline=None, database=None)
@given(_pad_problem(LINEAR_MODES), st.integers(0, 2**32 - 1))
def test_pad_backward_adjoint_property(problem, seed):
    mode, x, widths = problem
    x = x.astype(np.float64)
    rng = np.random.default_rng(seed)
    left, right = widths
    L = x.shape[-1]
    g = rng.standard_normal(x.shape[:-1] + (left + L + right,))
    y = cc.pad(x, widths, mode)
    gx = cc.pad_backward(g, L, widths, mode)
    assert gx.shape == x.shape
    lhs = np.sum(y * g)
    rhs = np.sum(x * gx)
    scale = np.sum(np.abs(y * g)) + np.sum(np.abs(x * gx)) + 1.0
    assert abs(lhs - rhs) <= 1e-12 * scale, (lhs, rhs)


# --------------------------------------------------------------------------
# 2. dtypes and array-likes
# --------------------------------------------------------------------------

INT_DTYPES = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16,
              np.uint32, np.uint64]


@pytest.mark.parametrize("mode", ALL_MODES)
@pytest.mark.parametrize("dtype", INT_DTYPES)
def test_pad_int_input_computes_in_float64(dtype, mode):
    x = np.array([[3, 1, 4, 1, 5, 9], [2, 6, 5, 3, 5, 8]], dtype=dtype)
    x64 = x.astype(np.float64)
    for widths in [(0, 0), (1, 2), (5, 3), (13, 7)]:
        out = cc.pad(x, widths, mode)
        expected = reference_pad(x64, widths, mode)
        assert_pad_matches(out, expected, mode, np.float64,
                           err_msg=f"widths={widths}")


def test_pad_int_input_not_rounded():
    x = np.array([1, 2], dtype=np.int64)
    np.testing.assert_allclose(cc.pad(x, 1, "mean"), [1.5, 1, 2, 1.5])
    np.testing.assert_allclose(cc.pad(x, 1, "median"), [1.5, 1, 2, 1.5])
    np.testing.assert_allclose(
        cc.pad(np.array([4], dtype=np.int32), (2, 0), "linear_ramp",
               end_values=1), [1.0, 2.5, 4])
    out = cc.pad(np.array([1, 2, 3], dtype=np.int16), 1, "constant",
                 value=0.5)
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, [0.5, 1, 2, 3, 0.5])


@pytest.mark.parametrize("mode", ALL_MODES)
def test_pad_bool_input(mode):
    x = np.array([[True, False, True, True], [False, False, True, False]])
    out = cc.pad(x, (3, 2), mode)
    assert_pad_matches(out, reference_pad(x.astype(np.float64), (3, 2), mode),
                       mode, np.float64)


@pytest.mark.parametrize("mode", ALL_MODES)
def test_pad_float16_computes_in_float32(mode):
    x = np.random.default_rng(2).standard_normal((2, 5)).astype(np.float16)
    out = cc.pad(x, (4, 6), mode)
    expected = reference_pad(x.astype(np.float64), (4, 6), mode)
    assert_pad_matches(out, expected, mode, np.float32,
                       scale=np.max(np.abs(x.astype(np.float64))))


@pytest.mark.parametrize("dtype", [np.complex128, np.complex64])
@pytest.mark.parametrize("mode", COMPLEX_MODES)
def test_pad_complex(mode, dtype):
    rng = np.random.default_rng(11)
    for L in (1, 2, 5):
        x = (rng.standard_normal((2, L))
             + 1j * rng.standard_normal((2, L))).astype(dtype)
        x128 = x.astype(np.complex128)
        for widths in [(0, 0), (1, 0), (0, 2), (L, L + 1), (3 * L, 2)]:
            out = cc.pad(x, widths, mode)
            expected = reference_pad(x128, widths, mode)
            assert_pad_matches(out, expected, mode, dtype,
                               scale=np.max(np.abs(x128)),
                               err_msg=f"L={L} widths={widths}")


def test_pad_complex_linear_ramp_end_values():
    x = np.array([1 + 2j, 3j, -1 + 0.5j])
    out = cc.pad(x, (3, 2), "linear_ramp", end_values=(1.0, -2.0))
    expected = np.pad(x, (3, 2), "linear_ramp", end_values=(1.0, -2.0))
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)
    assert out.dtype == np.complex128


@pytest.mark.parametrize("dtype", [np.complex128, np.complex64])
@pytest.mark.parametrize("mode", ORDER_MODES)
def test_pad_complex_order_modes_raise(mode, dtype):
    x = np.array([1 + 1j, 2, 3j], dtype=dtype)
    with pytest.raises(TypeError, match=f"^x: complex input is not supported by mode '{mode}'"):
        cc.pad(x, 2, mode)


BAD_DTYPE_ARRAYS = {
    "object": lambda: np.array([1.0, 2.0, 3.0], dtype=object),
    "str": lambda: np.array(["a", "b", "c"]),
    "bytes": lambda: np.array([b"a", b"b", b"c"]),
    "datetime64": lambda: np.array(["2020-01-01", "2020-01-02", "2020-01-03"],
                                   dtype="datetime64[D]"),
    "timedelta64": lambda: np.array([1, 2, 3], dtype="timedelta64[s]"),
}


@pytest.mark.parametrize("kind", list(BAD_DTYPE_ARRAYS))
@pytest.mark.parametrize("mode", ["constant", "edge", "mean", "smooth"])
def test_pad_bad_dtype_raises_type_error(kind, mode):
    x = BAD_DTYPE_ARRAYS[kind]()
    with pytest.raises(TypeError, match=r"^x: dtype .* is not supported"):
        cc.pad(x, 1, mode)


def _layout_variants():
    """(name, factory) pairs; factory(rng) -> (array_like, native_copy)."""

    def base(rng, shape=(3, 4, 7)):
        return rng.standard_normal(shape)

    def list_input(rng):
        a = base(rng, (3, 6))
        return a.tolist(), a.copy()

    def list_1d(rng):
        a = base(rng, (5,))
        return a.tolist(), a.copy()

    def int_list(rng):
        a = rng.integers(-5, 5, size=(2, 6))
        return a.tolist(), a.astype(np.float64)

    def strided_last(rng):
        a = base(rng, (3, 4, 14))[..., ::2]
        return a, np.ascontiguousarray(a)

    def strided_batch(rng):
        a = base(rng, (6, 4, 7))[::2, 1:]
        return a, np.ascontiguousarray(a)

    def negative_last(rng):
        a = base(rng)[..., ::-1]
        return a, np.ascontiguousarray(a)

    def negative_batch(rng):
        a = base(rng)[::-1, :, ::-2]
        return a, np.ascontiguousarray(a)

    def fortran(rng):
        a = np.asfortranarray(base(rng, (5, 7)))
        return a, np.ascontiguousarray(a)

    def fortran_3d(rng):
        a = np.asfortranarray(base(rng))
        return a, np.ascontiguousarray(a)

    def transposed(rng):
        a = base(rng, (7, 4, 3)).transpose(2, 1, 0)
        return a, np.ascontiguousarray(a)

    def broadcast_batch(rng):
        a = np.broadcast_to(base(rng, (7,)), (4, 7))
        return a, np.ascontiguousarray(a)

    def broadcast_last(rng):
        a = np.broadcast_to(base(rng, (3, 1)), (3, 7))
        return a, np.ascontiguousarray(a)

    def frombuffer(rng):
        a = base(rng, (3, 7))
        b = np.frombuffer(a.tobytes(), dtype=np.float64).reshape(3, 7)
        return b, a.copy()

    def readonly(rng):
        a = base(rng, (3, 7))
        a.flags.writeable = False
        return a, np.array(a)

    def big_endian_f8(rng):
        a = base(rng, (3, 7))
        return a.astype(">f8"), a.copy()

    def big_endian_f4(rng):
        a = base(rng, (3, 7)).astype(np.float32)
        return a.astype(">f4"), a.copy()

    def big_endian_i4(rng):
        a = rng.integers(-9, 9, size=(3, 7))
        return a.astype(">i4"), a.astype(np.float64)

    def unaligned(rng):
        a = base(rng, (3, 7))
        buf = np.zeros(a.nbytes + 1, dtype=np.uint8)
        u = buf[1:].view(np.float64).reshape(3, 7)
        u[...] = a
        return u, a.copy()

    return [
        ("list", list_input), ("list_1d", list_1d), ("int_list", int_list),
        ("strided_last", strided_last), ("strided_batch", strided_batch),
        ("negative_last", negative_last), ("negative_batch", negative_batch),
        ("fortran", fortran), ("fortran_3d", fortran_3d),
        ("transposed", transposed), ("broadcast_batch", broadcast_batch),
        ("broadcast_last", broadcast_last), ("frombuffer", frombuffer),
        ("readonly", readonly), ("big_endian_f8", big_endian_f8),
        ("big_endian_f4", big_endian_f4), ("big_endian_i4", big_endian_i4),
        ("unaligned", unaligned),
    ]


LAYOUTS = _layout_variants()


def _snapshot(a):
    if isinstance(a, np.ndarray):
        return a.copy()
    return [list(r) if isinstance(r, list) else r for r in a]


def _unchanged(a, snap):
    if isinstance(a, np.ndarray):
        return np.array_equal(a, snap) and a.dtype == snap.dtype
    return a == snap


@pytest.mark.parametrize("mode", ALL_MODES)
@pytest.mark.parametrize("name,factory", LAYOUTS, ids=[n for n, _ in LAYOUTS])
def test_pad_array_likes(name, factory, mode):
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    x, native = factory(rng)
    snap = _snapshot(x)
    widths = (3, 5)
    out = cc.pad(x, widths, mode)
    assert _unchanged(x, snap), "input was modified"
    ref = cc.pad(np.ascontiguousarray(native), widths, mode)
    exp_dtype = np.float32 if native.dtype == np.float32 else np.float64
    assert out.dtype.kind == "f" and out.dtype.itemsize == np.dtype(
        exp_dtype).itemsize
    assert out.dtype.newbyteorder("=") == np.dtype(exp_dtype)
    np.testing.assert_array_equal(out, ref)
    # and against the oracle
    assert_pad_matches(np.asarray(out, dtype=exp_dtype),
                       reference_pad(native.astype(np.float64), widths, mode),
                       mode, exp_dtype,
                       scale=np.max(np.abs(native.astype(np.float64))))


@pytest.mark.parametrize("mode", ALL_MODES)
def test_pad_does_not_modify_input(mode):
    rng = np.random.default_rng(4)
    for dtype in (np.float64, np.float32, np.int32, np.float16):
        x = (rng.standard_normal((3, 6)) * 5).astype(dtype)
        snap = x.copy()
        cc.pad(x, (4, 9), mode)
        np.testing.assert_array_equal(x, snap)
    xc = rng.standard_normal((3, 6)) + 1j
    snap = xc.copy()
    if mode not in ORDER_MODES:
        cc.pad(xc, (2, 1), mode)
        np.testing.assert_array_equal(xc, snap)


def test_pad_output_is_independent_of_input():
    x = np.arange(5.0)
    out = cc.pad(x, 0, "edge")
    out[...] = -1
    np.testing.assert_array_equal(x, np.arange(5.0))


# --------------------------------------------------------------------------
# 3. Errors
# --------------------------------------------------------------------------

@pytest.mark.parametrize("pad_width", [-1, (-1, 2), (2, -1), (-3, -3)])
@pytest.mark.parametrize("mode", ALL_MODES)
def test_pad_negative_width_raises(mode, pad_width):
    x = np.arange(5.0)
    with pytest.raises(ValueError, match="pad_width"):
        cc.pad(x, pad_width, mode)


@pytest.mark.parametrize("pad_width", [(1, 2, 3), (), 1.5, (1, 2.5),
                                       (0.5, 1), "2", (1, "a")],
                         ids=repr)
def test_pad_bad_pad_width_form(pad_width):
    x = np.arange(5.0)
    with pytest.raises((ValueError, TypeError), match="pad_width"):
        cc.pad(x, pad_width, "edge")


@pytest.mark.parametrize("mode", ["foo", "", "periodic_x", "Constant?"])
def test_pad_unknown_mode(mode):
    with pytest.raises(ValueError, match="mode"):
        cc.pad(np.arange(5.0), 1, mode)


@pytest.mark.parametrize("mode", DATA_MODES)
@pytest.mark.parametrize("shape", [(0,), (3, 0), (2, 2, 0)])
def test_pad_empty_signal_raises(mode, shape):
    # The message quotes the mode as given (and the canonical name of an alias).
    needs = f"^x: mode '{mode}'( \\(= '{NUMPY_PAD_MODES.get(mode)}'\\))? needs samples to pad from"
    with pytest.raises(ValueError, match=needs):
        cc.pad(np.zeros(shape), (1, 2), mode)
    with pytest.raises(ValueError, match=needs):
        cc.pad(np.zeros(shape, dtype=np.float32), 3, mode)


def test_pad_options_are_keyword_only():
    with pytest.raises(TypeError, match=r"^pad\(\) takes from 2 to 3 positional"):
        cc.pad(np.arange(3.0), 1, "constant", 2.0)
    with pytest.raises(TypeError, match=r"^pad_backward\(\) takes from 3 to 4 positional"):
        cc.pad_backward(np.ones(5), 3, 1, "median", np.arange(3.0))


# --------------------------------------------------------------------------
# 4. Adjoint identity
# --------------------------------------------------------------------------

ADJOINT_CASES = [(m, {}) for m in LINEAR_MODES] + [
    ("mean", {"stat_length": 2}),
    ("mean", {"stat_length": (1, 3)}),
    ("mean", {"stat_length": (50, 1)}),
]


@pytest.mark.parametrize("L", LENGTHS)
@pytest.mark.parametrize("mode,kw", ADJOINT_CASES,
                         ids=[f"{m}-{kw}" for m, kw in ADJOINT_CASES])
def test_pad_backward_adjoint(mode, kw, L):
    rng = np.random.default_rng(31 * L + len(mode))
    for left, right in width_pairs(L):
        x = rng.standard_normal((3, L))
        g = rng.standard_normal((3, left + L + right))
        y = cc.pad(x, (left, right), mode, **kw)
        gx = cc.pad_backward(g, L, (left, right), mode, **kw)
        assert gx.shape == x.shape
        assert gx.dtype == np.float64
        lhs = np.sum(y * g)
        rhs = np.sum(x * gx)
        scale = np.sum(np.abs(y * g)) + np.sum(np.abs(x * gx)) + 1.0
        assert abs(lhs - rhs) <= 1e-12 * scale, (
            f"widths={(left, right)}: <pad(x), g>={lhs} <x, pad^T g>={rhs}")


# --------------------------------------------------------------------------
# 5. pad_backward against explicit Jacobians
# --------------------------------------------------------------------------

JACOBIAN_LINEAR_CASES = [(m, {}) for m in LINEAR_MODES] + [
    ("mean", {"stat_length": 1}),
    ("mean", {"stat_length": 3}),
    ("mean", {"stat_length": (2, 1)}),
    ("linear_ramp", {"end_values": 3.0}),       # affine: J independent
    ("linear_ramp", {"end_values": (-2.0, 5.0)}),
    ("constant", {"value": 4.0}),              # pad independent of x
]


def _backward_kwargs(kw):
    """pad_backward takes neither ``value`` nor ``end_values``."""
    return {k: v for k, v in kw.items() if k == "stat_length"}


@pytest.mark.parametrize("L", LENGTHS)
@pytest.mark.parametrize("mode,kw", JACOBIAN_LINEAR_CASES,
                         ids=[f"{m}-{kw}" for m, kw in JACOBIAN_LINEAR_CASES])
def test_pad_backward_matches_jacobian_linear(mode, kw, L):
    """pad_backward(I) must equal the Jacobian built from the oracle."""
    for left, right in width_pairs(L):
        n_out = left + L + right
        J = jacobian_unit_vectors(
            lambda v: reference_pad(v, (left, right), mode, **kw), L)
        full = cc.pad_backward(np.eye(n_out), L, (left, right), mode,
                               **_backward_kwargs(kw))
        assert full.shape == (n_out, L)
        np.testing.assert_allclose(full, J, rtol=1e-12, atol=1e-12,
                                   err_msg=f"widths={(left, right)}")
        # and with a random batch of cotangents, 3-D
        g = np.random.default_rng(L).standard_normal((2, 3, n_out))
        out = cc.pad_backward(g, L, (left, right), mode,
                              **_backward_kwargs(kw))
        assert out.shape == (2, 3, L)
        np.testing.assert_allclose(out, g @ J, rtol=1e-12, atol=1e-12,
                                   err_msg=f"widths={(left, right)}")


ORDER_STATS = [None, 1, 2, (2, 1), (1, 50)]


@pytest.mark.parametrize("stat_length", ORDER_STATS,
                         ids=lambda s: f"stat={s}")
@pytest.mark.parametrize("L", LENGTHS)
@pytest.mark.parametrize("mode", ORDER_MODES)
def test_pad_backward_matches_fd_order_modes(mode, L, stat_length):
    rng = np.random.default_rng(17 * L)
    # distinct, well separated values: the FD stencil never changes the order
    x = rng.permutation(L).astype(np.float64) * 1.7 + 0.3
    for left, right in width_pairs(L):
        n_out = left + L + right
        J = jacobian_central_fd(
            lambda v: reference_pad(v, (left, right), mode,
                                    stat_length=stat_length), x, eps=1e-3)
        full = cc.pad_backward(np.eye(n_out), L, (left, right), mode,
                               x=np.tile(x, (n_out, 1)),
                               stat_length=stat_length)
        assert full.shape == (n_out, L)
        np.testing.assert_allclose(full, J, rtol=1e-9, atol=1e-9,
                                   err_msg=f"widths={(left, right)}")
        # batch of rows with different x per row
        xb = np.stack([rng.permutation(L) * 1.3 - 2.0 for _ in range(3)])
        g = rng.standard_normal((3, n_out))
        out = cc.pad_backward(g, L, (left, right), mode, x=xb,
                              stat_length=stat_length)
        Jb = jacobian_central_fd(
            lambda v: reference_pad(v, (left, right), mode,
                                    stat_length=stat_length), xb, eps=1e-3)
        np.testing.assert_allclose(out, np.einsum("rm,rmn->rn", g, Jb),
                                   rtol=1e-9, atol=1e-9,
                                   err_msg=f"widths={(left, right)}")


def _split_expected(g, left, L, weights_left, weights_right):
    """centre pass-through + every left/right pad sample's cotangent
    distributed with the given weights over the input samples."""
    g = np.asarray(g, dtype=np.float64)
    out = g[left:left + L].copy()
    out += g[:left].sum() * np.asarray(weights_left, dtype=np.float64)
    out += g[left + L:].sum() * np.asarray(weights_right, dtype=np.float64)
    return out


TIE_CASES = [
    # mode, x, widths, stat_length, weights_left, weights_right
    ("maximum", [1, 1, 0], (2, 2), None, [.5, .5, 0], [.5, .5, 0]),
    ("maximum", [3, 3, 3, 3], (1, 2), None, [.25] * 4, [.25] * 4),
    ("maximum", [2, 0, 2, 2], (2, 1), 2, [1, 0, 0, 0], [0, 0, .5, .5]),
    ("minimum", [0, 3, 0, 5], (1, 1), None, [.5, 0, .5, 0], [.5, 0, .5, 0]),
    ("minimum", [0, 3, 0, 5], (1, 1), 2, [1, 0, 0, 0], [0, 0, 1, 0]),
    ("minimum", [4, 1, 1, 1, 6], (3, 0), (3, 1), [0, .5, .5, 0, 0],
     [0, 0, 0, 0, 0]),
    # even count: the two middle samples get half each
    ("median", [1, 4, 2, 8], (1, 2), None, [0, .5, .5, 0], [0, .5, .5, 0]),
    ("median", [1, 4, 2, 8], (2, 2), 2, [.5, .5, 0, 0], [0, 0, .5, .5]),
    # odd count, unique median
    ("median", [5, 1, 3], (2, 1), None, [0, 0, 1], [0, 0, 1]),
    # odd count, median value shared by two samples: split equally
    ("median", [5, 2, 2, 1, 7], (1, 1), None, [0, .5, .5, 0, 0],
     [0, .5, .5, 0, 0]),
    # even count, both middle values equal and shared by exactly two samples
    ("median", [1, 2, 2, 5], (1, 1), None, [0, .5, .5, 0], [0, .5, .5, 0]),
]


@pytest.mark.parametrize("case", TIE_CASES, ids=lambda c: f"{c[0]}-{c[1]}")
def test_pad_backward_ties(case):
    mode, x, (left, right), stat, wl, wr = case
    x = np.asarray(x, dtype=np.float64)
    L = x.size
    g = np.arange(1.0, left + L + right + 1) ** 2  # distinct cotangents
    out = cc.pad_backward(g, L, (left, right), mode, x=x, stat_length=stat)
    np.testing.assert_allclose(out, _split_expected(g, left, L, wl, wr),
                               rtol=1e-12, atol=1e-12)
    # the same per row of a batch whose rows have different tie structure:
    # row 1 is x reversed, whose weights are the mirrored ones (the left
    # and right windows swap) -- valid when stat_length is symmetric.
    if isinstance(stat, tuple):
        xb = np.stack([x, x])
        exp1 = _split_expected(2 * g, left, L, wl, wr)
    else:
        xb = np.stack([x, x[::-1]])
        exp1 = _split_expected(2 * g, left, L, wr[::-1], wl[::-1])
    gb = np.stack([g, 2 * g])
    out = cc.pad_backward(gb, L, (left, right), mode, x=xb, stat_length=stat)
    assert out.shape == (2, L)
    np.testing.assert_allclose(out[0], _split_expected(g, left, L, wl, wr),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(out[1], exp1, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", [
    # even count, both middles equal 2, shared by three samples: 1/3 each
    ("median", [2, 2, 2, 5], [1 / 3, 1 / 3, 1 / 3, 0]),
    # odd count, all equal
    ("median", [2, 2, 2], [1 / 3] * 3),
    # even count, lower middle value 1 shared by samples 0 and 1 (its half
    # is split between them), upper middle 2 is unique (gets its half)
    ("median", [1, 1, 2, 5], [.25, .25, .5, 0]),
], ids=lambda c: f"{c[0]}-{c[1]}")
def test_pad_backward_median_tie_splitting(case):
    """Ties among the median sample(s) split each middle order-statistic's
    weight equally among all samples sharing its value."""
    mode, x, w = case
    x = np.asarray(x, dtype=np.float64)
    L = x.size
    g = np.array([3.0] + [0.0] * L)
    out = cc.pad_backward(g, L, (1, 0), mode, x=x)
    np.testing.assert_allclose(out, 3.0 * np.asarray(w), rtol=1e-12,
                               atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("mode", ORDER_MODES)
def test_pad_backward_random_ties(mode, dtype):
    """Small-integer signals (many ties) against the tie-splitting rule."""
    rng = np.random.default_rng(99)
    for _ in range(150):
        L = int(rng.integers(1, 9))
        left = int(rng.integers(0, 3 * L + 1))
        right = int(rng.integers(0, 3 * L + 1))
        stat = [None, 1, 2, 3, 5,
                (int(rng.integers(1, L + 2)), int(rng.integers(1, L + 2)))
                ][int(rng.integers(0, 6))]
        x = rng.integers(0, 3, size=(3, L)).astype(dtype)
        g = rng.standard_normal((3, left + L + right)).astype(dtype)
        out = cc.pad_backward(g, L, (left, right), mode, x=x,
                              stat_length=stat)
        assert out.dtype == dtype
        expected = order_pad_backward(g, x, left, right, mode, stat)
        tol = _tolerances(dtype)
        np.testing.assert_allclose(
            out, expected, rtol=tol, atol=tol * max(1, np.abs(g).sum()),
            err_msg=f"x={x} widths={(left, right)} stat={stat}")


def test_pad_backward_constant_centre_only():
    g = np.arange(1.0, 10.0)
    for mode in ("constant", "zeros"):
        out = cc.pad_backward(g, 4, (2, 3), mode)
        np.testing.assert_array_equal(out, [3, 4, 5, 6])
    out = cc.pad_backward(g, 9, 0, "constant")
    np.testing.assert_array_equal(out, g)


def test_pad_backward_known_values():
    g = np.array([1.0, 10.0, 100.0, 1000.0, 1e4, 1e5])
    # edge, widths (2, 1), L=3: x0 gets g0+g1+g2, x2 gets g4+g5
    np.testing.assert_array_equal(cc.pad_backward(g, 3, (2, 1), "edge"),
                                  [111, 1000, 110000])
    # reflect, widths (2,1), L=3: out = [x2, x1, x0, x1, x2, x1]
    np.testing.assert_array_equal(cc.pad_backward(g, 3, (2, 1), "reflect"),
                                  [100, 1e5 + 1e3 + 10, 1e4 + 1])
    # wrap: out = [x1, x2, x0, x1, x2, x0]
    np.testing.assert_array_equal(cc.pad_backward(g, 3, (2, 1), "wrap"),
                                  [100 + 1e5, 1 + 1000, 10 + 1e4])
    # antisymmetric: out = [-x1, -x0, x0, x1, x2, -x2]
    np.testing.assert_array_equal(
        cc.pad_backward(g, 3, (2, 1), "antisymmetric"),
        [100 - 10, 1000 - 1, 1e4 - 1e5])
    # mean with L=2, widths (1, 1): pads are (x0+x1)/2
    np.testing.assert_allclose(
        cc.pad_backward(np.array([2.0, 1.0, 1.0, 4.0]), 2, 1, "mean"),
        [4.0, 4.0])


# --------------------------------------------------------------------------
# pad_backward dtypes / array-likes
# --------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ALL_MODES)
def test_pad_backward_dtypes(mode):
    rng = np.random.default_rng(8)
    L, widths = 5, (3, 4)
    x = rng.permutation(L).astype(np.float64) - 1.5
    g64 = rng.standard_normal((2, L + 7))
    xkw = {"x": np.tile(x, (2, 1))} if mode in ORDER_MODES else {}
    ref = cc.pad_backward(g64, L, widths, mode, **xkw)
    assert ref.dtype == np.float64 and ref.shape == (2, L)

    g32 = g64.astype(np.float32)
    xkw32 = ({"x": xkw["x"].astype(np.float32)} if xkw else {})
    out = cc.pad_backward(g32, L, widths, mode, **xkw32)
    assert out.dtype == np.float32
    np.testing.assert_allclose(
        out, cc.pad_backward(g32.astype(np.float64), L, widths, mode, **xkw),
        rtol=1e-5, atol=1e-5)

    g16 = g64.astype(np.float16)
    xkw16 = ({"x": xkw["x"].astype(np.float16)} if xkw else {})
    out = cc.pad_backward(g16, L, widths, mode, **xkw16)
    assert out.dtype == np.float32
    np.testing.assert_allclose(
        out, cc.pad_backward(g16.astype(np.float64), L, widths, mode, **xkw),
        rtol=1e-5, atol=1e-5)

    gi = rng.integers(-5, 5, size=(2, L + 7))
    out = cc.pad_backward(gi, L, widths, mode, **xkw)
    assert out.dtype == np.float64
    np.testing.assert_allclose(
        out, cc.pad_backward(gi.astype(np.float64), L, widths, mode, **xkw),
        rtol=1e-12, atol=1e-12)

    gb = gi > 0
    out = cc.pad_backward(gb, L, widths, mode, **xkw)
    assert out.dtype == np.float64
    np.testing.assert_allclose(
        out, cc.pad_backward(gb.astype(np.float64), L, widths, mode, **xkw),
        rtol=1e-12, atol=1e-12)

    out = cc.pad_backward(g64.tolist(), L, widths, mode, **xkw)
    np.testing.assert_array_equal(out, ref)

    with pytest.raises(TypeError, match=r"^grad: dtype object is not supported"):
        cc.pad_backward(g64.astype(object), L, widths, mode, **xkw)


@pytest.mark.parametrize("mode", ALL_MODES)
@pytest.mark.parametrize("name,factory", LAYOUTS, ids=[n for n, _ in LAYOUTS])
def test_pad_backward_array_likes(name, factory, mode):
    rng = np.random.default_rng(zlib.crc32(name.encode()) + 1)
    g, native = factory(rng)
    L_out = native.shape[-1]
    widths = (2, 1)
    L = L_out - 3
    xkw, xnat = {}, {}
    if mode in ORDER_MODES:
        xs = rng.standard_normal(native.shape[:-1] + (L,))
        xnat = {"x": xs}
        # the x argument gets the same layout treatment (negative strides)
        xkw = {"x": np.ascontiguousarray(xs[..., ::-1])[..., ::-1]}
    snap = _snapshot(g)
    xsnap = {k: v.copy() for k, v in xkw.items()}
    out = cc.pad_backward(g, L, widths, mode, **xkw)
    assert _unchanged(g, snap), "grad was modified"
    for k, v in xkw.items():
        np.testing.assert_array_equal(v, xsnap[k])
    ref = cc.pad_backward(np.ascontiguousarray(native), L, widths, mode,
                          **xnat)
    np.testing.assert_array_equal(out, ref)
    assert out.dtype.newbyteorder("=") == ref.dtype


def test_pad_backward_readonly_x():
    x = np.broadcast_to(np.array([3.0, 1.0, 2.0]), (2, 3))
    g = np.ones((2, 6))
    out = cc.pad_backward(g, 3, (2, 1), "maximum", x=x)
    np.testing.assert_array_equal(out, [[4, 1, 1], [4, 1, 1]])


# --------------------------------------------------------------------------
# 6. pad_backward argument errors
# --------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ALL_MODES)
@pytest.mark.parametrize("n_grad,L,widths", [
    (7, 4, (2, 2)),   # too short
    (9, 4, (2, 2)),   # too long
    (4, 4, 1),        # int width
    (5, 5, (0, 1)),
    (0, 1, 0),
])
def test_pad_backward_grad_length_mismatch(mode, n_grad, L, widths):
    g = np.ones((2, n_grad))
    xkw = {"x": np.arange(2.0 * L).reshape(2, L)} if mode in ORDER_MODES \
        else {}
    with pytest.raises(ValueError, match="grad"):
        cc.pad_backward(g, L, widths, mode, **xkw)


@pytest.mark.parametrize("mode", ORDER_MODES)
def test_pad_backward_order_modes_need_x(mode):
    need_x = f"^x: mode '{mode}' pads with a statistic .* needs the original input x"
    with pytest.raises(ValueError, match=need_x):
        cc.pad_backward(np.ones(7), 4, (2, 1), mode)
    with pytest.raises(ValueError, match=need_x):
        cc.pad_backward(np.ones(7), 4, (2, 1), mode, x=None, stat_length=2)


@pytest.mark.parametrize("pad_width", [-1, (-1, 2), (2, -1)])
@pytest.mark.parametrize("mode", ALL_MODES)
def test_pad_backward_negative_width(mode, pad_width):
    xkw = {"x": np.arange(4.0)} if mode in ORDER_MODES else {}
    with pytest.raises(ValueError, match="pad_width"):
        cc.pad_backward(np.ones(4), 4, pad_width, mode, **xkw)


@pytest.mark.parametrize("pad_width", [(1, 2, 3), 1.5, (1, 2.5)], ids=repr)
def test_pad_backward_bad_pad_width_form(pad_width):
    with pytest.raises((ValueError, TypeError), match="pad_width"):
        cc.pad_backward(np.ones(8), 4, pad_width, "edge")


def test_pad_backward_unknown_mode():
    with pytest.raises(ValueError, match="mode"):
        cc.pad_backward(np.ones(6), 4, 1, "nope")


def test_pad_backward_constant_empty_signal():
    out = cc.pad_backward(np.ones((2, 4)), 0, (1, 3), "constant")
    assert out.shape == (2, 0)
