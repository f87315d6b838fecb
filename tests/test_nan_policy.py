"""nan_policy on convolve and correlate (API.md 7.3) against a loop over the taps."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cconv1d as cc


def loop_omit_full(a, v):
    """Full convolution treating NaN in a as missing, renormalized by sum(v); samples
    beyond the ends count as valid zeros; NaN where only missing samples lie under the
    non-zero taps."""
    a = np.asarray(a, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    n, m = len(a), len(v)
    total = v.sum()
    out = np.empty(n + m - 1)
    for t in range(n + m - 1):
        numerator = weight = 0.0
        valid_tap = False
        for j in range(m):
            i = t - j
            if 0 <= i < n and np.isnan(a[i]):
                continue
            weight += v[j]
            valid_tap |= v[j] != 0
            if 0 <= i < n:
                numerator += a[i] * v[j]
        out[t] = numerator * total / weight if valid_tap else np.nan
    return out


@pytest.mark.parametrize("method", ["direct", "fft", "auto"])
@settings(max_examples=50, deadline=None)
@given(n=st.integers(1, 40), m=st.integers(1, 8), seed=st.integers(0, 2**16),
       gaps=st.floats(0.0, 0.9))
def test_omit_against_loop(method, n, m, seed, gaps):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(n)
    a[rng.random(n) < gaps] = np.nan
    v = rng.random(m) + 0.1          # positive weights: a smoothing kernel
    expected = loop_omit_full(a, v)
    got = cc.convolve(a, v, "full", method=method, nan_policy="omit")
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    np.testing.assert_allclose(got, expected, atol=1e-9, equal_nan=True)
    if n >= m:
        valid = cc.convolve(a, v, "valid", method=method, nan_policy="omit")
        np.testing.assert_allclose(valid, expected[m - 1:n], atol=1e-9, equal_nan=True)
    corr = cc.correlate(a, v[::-1].copy(), "full", method=method, nan_policy="omit")
    np.testing.assert_allclose(corr, expected, atol=1e-9, equal_nan=True)


def test_omit_without_nan_is_propagate_and_zero_taps():
    rng = np.random.default_rng(1)
    a, v = rng.standard_normal(30), rng.standard_normal(5) + 3
    np.testing.assert_allclose(cc.convolve(a, v, nan_policy="omit"), np.convolve(a, v))
    # a tap of 0 does not make a NaN sample count as covered
    got = cc.convolve([1.0, np.nan, 3.0], [1.0, 0.0], "full", nan_policy="omit")
    np.testing.assert_allclose(got, [1.0, np.nan, 3.0, 0.0], equal_nan=True)


def test_omit_nd_axis_and_lag_window():
    rng = np.random.default_rng(2)
    a = rng.standard_normal((3, 25))
    a[0, 4:7] = np.nan
    a[2, 20] = np.nan
    v = np.array([1.0, 2.0, 1.0])
    got = cc.convolve(a.T, v, "full", axis=0, nan_policy="omit")
    for lane in range(3):
        np.testing.assert_allclose(got[:, lane], loop_omit_full(a[lane], v), equal_nan=True)
    window = cc.correlate(a, v, maxlag=2, nan_policy="omit")
    full = cc.correlate(a, v, "full", nan_policy="omit")
    np.testing.assert_allclose(window, full[:, 2 - 2:2 + 3], equal_nan=True)


def test_omit_float32_keeps_dtype():
    a = np.array([1.0, np.nan, 2.0, 4.0], np.float32)
    got = cc.convolve(a, np.ones(2, np.float32), nan_policy="omit")
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, loop_omit_full(a, [1.0, 1.0]), rtol=1e-6)


@pytest.mark.parametrize("method", ["direct", "fft"])
def test_propagate_and_raise(method):
    a = np.array([1.0, 2.0, np.nan, 4.0, 5.0, 6.0])
    got = cc.convolve(a, [1.0, 1.0], method="direct", nan_policy="propagate")
    np.testing.assert_array_equal(np.isnan(got), np.isnan(np.convolve(a, [1.0, 1.0])))
    with pytest.raises(ValueError, match=r"a holds 1 NaN value\(s\) and nan_policy='raise'"):
        cc.convolve(a, [1.0, 1.0], method=method, nan_policy="raise")
    with pytest.raises(ValueError, match="nan_policy='raise'"):
        cc.correlate(a, [1.0, 1.0], maxlag=2, method=method, nan_policy="raise")
    np.testing.assert_allclose(cc.correlate(a[3:], [1.0, 1.0], nan_policy="raise"),
                               [9.0, 11.0])


@pytest.mark.parametrize("call, error, message", [
    (lambda: cc.convolve([1.0, np.nan], [1.0, np.nan], nan_policy="omit"), ValueError,
     "v holds NaN"),
    (lambda: cc.convolve([1.0, np.nan], [1.0, -1.0], nan_policy="omit"), ValueError,
     r"sum\(v\) must not be 0"),
    (lambda: cc.convolve([1j, np.nan], [1.0], nan_policy="omit"), TypeError,
     "needs real input"),
    (lambda: cc.convolve([1.0], [1.0], nan_policy="ignore"), ValueError,
     "nan_policy must be one of"),
    # integer or bool a (nothing to omit) does not skip v's conditions
    (lambda: cc.convolve([1, 2], [np.nan, 1.0], nan_policy="omit"), ValueError,
     "v holds NaN"),
    (lambda: cc.convolve([True, False], [1.0, -1.0], nan_policy="omit"), ValueError,
     r"sum\(v\) must not be 0"),
    (lambda: cc.correlate(np.arange(3), [1j], nan_policy="omit"), TypeError,
     "needs real input, got v"),
    (lambda: cc.correlate([1.0, np.nan], [1.0], normalize="coeff", nan_policy="omit"),
     ValueError, "cannot be combined with normalize"),
])
def test_nan_policy_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_input_unchanged():
    a = np.array([1.0, np.nan, 3.0])
    a.flags.writeable = False
    cc.convolve(a, [1.0, 1.0], nan_policy="omit")
    np.testing.assert_array_equal(a, [1.0, np.nan, 3.0])


def test_integer_input_under_every_policy():
    """Integers hold no NaN: 'raise' and 'omit' give the plain result (exact, as NumPy)."""
    a, v = np.arange(10), np.array([1, -2, 4])
    for policy in ("propagate", "raise", "omit"):
        np.testing.assert_array_equal(cc.convolve(a, v, nan_policy=policy),
                                      np.convolve(a, v))
