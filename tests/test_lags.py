"""Lag windows, normalized and Pearson correlation (API.md 7.1) and the FFT route's
overflow and integer exactness (issue 18), against plain float64 loops and NumPy/SciPy."""

import numpy as np
import pytest
import scipy.signal
from hypothesis import given, settings
from hypothesis import strategies as st

import cconv1d as cc


def loop_correlation(a, v, lag_values):
    """c[k] = sum_n a[n + k] conj(v[n]) where both exist: the definition, in complex128."""
    a = np.asarray(a, dtype=np.complex128)
    v = np.asarray(v, dtype=np.complex128)
    out = []
    for k in lag_values:
        total = 0j
        for n in range(len(v)):
            if 0 <= n + k < len(a):
                total += a[n + k] * np.conj(v[n])
        out.append(total)
    return np.array(out)


def loop_pearson(a, v, lag_values):
    """Two-pass float64 Pearson coefficient of the overlapping pairs at each lag."""
    a = np.asarray(a, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    out = []
    for k in lag_values:
        pairs = [(a[n + k], v[n]) for n in range(len(v)) if 0 <= n + k < len(a)]
        if len(pairs) < 2:
            out.append(np.nan)
            continue
        x = np.array([p[0] for p in pairs])
        y = np.array([p[1] for p in pairs])
        if np.all(x == x[0]) or np.all(y == y[0]):
            out.append(np.nan)
            continue
        with np.errstate(invalid="ignore"):   # inf in a window: NaN, as intended
            dx, dy = x - x.mean(), y - y.mean()
            out.append(np.sum(dx * dy) / np.sqrt(np.sum(dx * dx) * np.sum(dy * dy)))
    return np.array(out)


def overlaps(n, m, lag_values):
    return np.array([max(0, min(m, n - k) - max(0, -k)) for k in lag_values])


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("n, m", [(1, 1), (5, 3), (3, 5), (4, 4), (7, 2), (2, 8)])
def test_correlation_lags_match_numpy_windows(n, m, mode):
    lag_values = cc.correlation_lags(n, m, mode)
    a = np.random.default_rng(n * 10 + m).standard_normal(n)
    v = np.random.default_rng(m).standard_normal(m)
    np.testing.assert_allclose(np.correlate(a, v, mode), loop_correlation(a, v, lag_values).real,
                               atol=1e-12)
    assert lag_values.dtype == np.int64
    if mode != "same":   # SciPy's "same" lags disagree with NumPy's (and its own) values
        np.testing.assert_array_equal(lag_values, scipy.signal.correlation_lags(n, m, mode))


def test_correlation_lags_same_differs_from_scipy_only_where_documented():
    """The docstring names where 'same' departs from SciPy's lags: v longer than a, or
    len_v even and len_a odd; everywhere else the two agree."""
    for n in range(1, 12):
        for m in range(1, 12):
            ours = cc.correlation_lags(n, m, "same")
            theirs = scipy.signal.correlation_lags(n, m, "same")
            documented = m > n or (m % 2 == 0 and n % 2 == 1)
            assert np.array_equal(ours, theirs) != documented, (n, m)


def test_lag_window_inf_template_over_several_lanes():
    """Before: with one template holding inf and several signal rows, the inf tap's
    products were taken from the first row for every row (wrong signs, and a 0 * inf
    of row 0 leaking NaN into the others)."""
    v = np.array([1.0, np.inf])
    for a in (np.array([[1.0, 2.0, 3.0], [-1.0, -2.0, -3.0]]),
              np.array([[0.0, 1.0, 1.0], [1.0, 1.0, 1.0]])):
        full = np.stack([np.correlate(row, v, "full") for row in a])
        with np.errstate(invalid="ignore"):
            np.testing.assert_array_equal(cc.correlate(a, v, maxlag=1), full[:, 0:3])
            np.testing.assert_array_equal(cc.correlate(a, v, lags=[1, -1]),
                                          full[:, [2, 0]])
            np.testing.assert_array_equal(cc.correlate(a.T, v, maxlag=1, axis=0),
                                          full[:, 0:3].T)
            biased = cc.correlate(a, v, "full", normalize="biased")
        np.testing.assert_array_equal(biased, full / 3)


def test_correlation_lags_windows():
    np.testing.assert_array_equal(cc.correlation_lags(10, 3, maxlag=2), [-2, -1, 0, 1, 2])
    np.testing.assert_array_equal(cc.correlation_lags(10, 3, lags=range(8, -9, -4)),
                                  [8, 4, 0, -4, -8])
    np.testing.assert_array_equal(cc.correlation_lags(10, 3, lags=np.array([3])), [3])


@pytest.mark.parametrize("method", ["direct", "fft", "auto"])
@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 40), m=st.integers(1, 40), first=st.integers(-60, 60),
       step=st.integers(-7, 7).filter(lambda s: s != 0), count=st.integers(1, 30),
       seed=st.integers(0, 2**16))
def test_lag_window_against_loop(method, n, m, first, step, count, seed):
    rng = np.random.default_rng(seed)
    a, v = rng.standard_normal(n), rng.standard_normal(m)
    lag_values = first + step * np.arange(count)
    got = cc.correlate(a, v, lags=range(first, first + step * count, step), method=method)
    np.testing.assert_allclose(got, loop_correlation(a, v, lag_values).real, atol=1e-10)
    got = cc.correlate(a, v, lags=lag_values, method=method)
    np.testing.assert_allclose(got, loop_correlation(a, v, lag_values).real, atol=1e-10)


@pytest.mark.parametrize("method", ["direct", "fft"])
@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_lag_window_complex(method, dtype):
    rng = np.random.default_rng(3)
    a = (rng.standard_normal(50) + 1j * rng.standard_normal(50)).astype(dtype)
    v = (rng.standard_normal(9) + 1j * rng.standard_normal(9)).astype(dtype)
    got = cc.correlate(a, v, maxlag=12, method=method)
    assert got.dtype == dtype
    tol = 1e-4 if dtype == np.complex64 else 1e-12
    np.testing.assert_allclose(got, loop_correlation(a, v, range(-12, 13)), atol=tol)
    real_v = v.real.copy()
    np.testing.assert_allclose(cc.correlate(a, real_v, lags=range(-3, 40, 5), method=method),
                               loop_correlation(a, real_v, range(-3, 40, 5)), atol=tol)
    np.testing.assert_allclose(cc.correlate(a.real.copy(), v, maxlag=4, method=method),
                               loop_correlation(a.real, v, range(-4, 5)), atol=tol)


@pytest.mark.parametrize("method", ["direct", "fft"])
def test_lag_window_float32_error(method):
    """float32 against the float64 loop on the same values: error ~3e-6 * sqrt(m)."""
    rng = np.random.default_rng(5)
    a = rng.standard_normal(3000).astype(np.float32)
    v = rng.standard_normal(2500).astype(np.float32)
    got = cc.correlate(a, v, maxlag=20, method=method)
    assert got.dtype == np.float32
    ref = loop_correlation(a, v, range(-20, 21)).real
    error = np.max(np.abs(got - ref)) / np.sqrt(2500)
    assert error < 1e-5, error   # measured 3e-6 (direct), summation over 2500 terms


@pytest.mark.parametrize("method", ["direct", "fft", "auto"])
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_lag_window_nd_along_axis(method, axis):
    rng = np.random.default_rng(7)
    a = rng.standard_normal((6, 30, 4))
    v = rng.standard_normal(5)
    got = cc.correlate(a, v, maxlag=3, axis=axis, method=method)
    moved = np.moveaxis(a, axis, -1)
    expected = np.apply_along_axis(lambda row: loop_correlation(row, v, range(-3, 4)).real,
                                   -1, moved)
    np.testing.assert_allclose(got, np.moveaxis(expected, -1, axis), atol=1e-12)


@pytest.mark.parametrize("method", ["direct", "fft"])
def test_autocorrelate_lags_and_normalize(method):
    rng = np.random.default_rng(9)
    a = rng.standard_normal((3, 40))
    got = cc.autocorrelate(a, maxlag=5, method=method)
    for lane, row in zip(got, a):
        np.testing.assert_allclose(lane, loop_correlation(row, row, range(-5, 6)).real,
                                   atol=1e-12)
    coeff = cc.autocorrelate(a, lags=range(3), normalize="coeff", method=method)
    np.testing.assert_allclose(coeff[:, 0], 1.0)
    pearson = cc.autocorrelate(a, maxlag=4, normalize="pearson", method=method)
    for lane, row in zip(pearson, a):
        np.testing.assert_allclose(lane, loop_pearson(row, row, range(-4, 5)), atol=1e-12)


def test_lags_outside_the_overlap_give_zero():
    got = cc.correlate([1.0, 2.0, 3.0], [1.0, 1.0], lags=range(-5, 6, 2))
    np.testing.assert_array_equal(got, [0.0, 0.0, 1.0, 5.0, 0.0, 0.0])
    np.testing.assert_array_equal(cc.correlate([1.0, 2.0], [1.0], lags=[100]), [0.0])


@pytest.mark.parametrize("normalize", ["biased", "unbiased", "coeff"])
@pytest.mark.parametrize("method", ["direct", "fft"])
def test_matlab_normalizations(normalize, method):
    rng = np.random.default_rng(11)
    a, v = rng.standard_normal(30), rng.standard_normal(12)
    lag_values = np.arange(-15, 35)
    raw = loop_correlation(a, v, lag_values).real
    got = cc.correlate(a, v, lags=lag_values, normalize=normalize, method=method)
    if normalize == "biased":
        expected = raw / 30
    elif normalize == "unbiased":
        n_k = overlaps(30, 12, lag_values)
        expected = np.where(n_k > 0, raw / np.maximum(n_k, 1), 0.0)
    else:
        expected = raw / np.sqrt(np.sum(a * a) * np.sum(v * v))
    np.testing.assert_allclose(got, expected, atol=1e-12)


def test_coeff_nan_for_zero_energy():
    got = cc.correlate([0.0, 0.0, 0.0], [1.0, 2.0], "full", normalize="coeff")
    assert np.isnan(got).all()


@pytest.mark.parametrize("method", ["direct", "fft", "auto"])
@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 30), m=st.integers(1, 30), seed=st.integers(0, 2**16),
       mode=st.sampled_from(["full", "same", "valid"]), levels=st.integers(2, 5))
def test_pearson_against_two_pass(method, n, m, seed, mode, levels):
    rng = np.random.default_rng(seed)
    # few distinct values: constant windows happen often
    a = rng.integers(0, levels, n).astype(np.float64)
    v = rng.integers(0, levels, m).astype(np.float64)
    got = cc.correlate(a, v, mode, normalize="pearson", method=method)
    expected = loop_pearson(a, v, cc.correlation_lags(n, m, mode))
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    np.testing.assert_allclose(got, expected, atol=1e-9, equal_nan=True)


@pytest.mark.parametrize("method", ["direct", "fft"])
def test_pearson_with_a_large_offset(method):
    """Mean 1e4, unit variance: maximum error against the two-pass float64 reference is
    6e-13 (direct) and 8e-13 (fft) here; the bound asserted, 1e-10, leaves margin. The
    cumulative-sum formula without centring is off by 1e-5 on the same data."""
    rng = np.random.default_rng(12)
    a = 1e4 + rng.standard_normal(4000)
    v = 1e4 + rng.standard_normal(64)
    template = a[1000:1064].copy()
    got = cc.correlate(a, v, normalize="pearson", method=method)
    expected = loop_pearson(a, v, range(4000 - 64 + 1))
    assert np.max(np.abs(got - expected)) < 1e-10
    found = cc.correlate(a, template, normalize="pearson", method=method)
    assert np.argmax(found) == 1000 and abs(found[1000] - 1.0) < 1e-12


def test_pearson_float32_and_constant_windows():
    a = np.array([5.0, 5.0, 5.0, 1.0, 2.0, 3.0, 7.0], dtype=np.float32)
    v = np.array([1.0, 2.0, 4.0], dtype=np.float32)
    got = cc.correlate(a, v, normalize="pearson")
    assert got.dtype == np.float32
    expected = loop_pearson(a, v, range(5))
    assert np.isnan(got[0]) and np.isnan(expected[0])
    np.testing.assert_allclose(got, expected, atol=1e-6, equal_nan=True)
    # lags with one overlapping pair are NaN
    edge = cc.correlate([1.0, 2.0, 3.0], [1.0, 2.0], "full", normalize="pearson")
    assert np.isnan(edge[0]) and np.isnan(edge[-1])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layout", ["plain", "strided", "read-only", "big-endian"])
def test_pearson_of_one_signal_matches_the_lane_path(dtype, layout):
    """One 1-D signal in 'valid' mode takes a compiled shortcut (no lag-window Python):
    it must give the bits of the general path (the same signal as a one-lane 2-D array)
    and the two-pass reference's values, whatever the signal's memory layout."""
    rng = np.random.default_rng(21)
    a = (3e3 + rng.standard_normal(600)).astype(dtype)
    v = rng.standard_normal(24).astype(dtype)
    a[100:130] = a[100]                  # constant windows: NaN
    if layout == "strided":
        a = np.repeat(a, 2)[::2]
    elif layout == "read-only":
        a.flags.writeable = False
    elif layout == "big-endian":
        a = a.astype(a.dtype.newbyteorder(">"))
    before = a.copy()
    got = cc.correlate(a, v, normalize="pearson")
    lane = cc.correlate(a.reshape(1, -1), v, normalize="pearson")[0]
    assert got.dtype == dtype and got.shape == (600 - 24 + 1,)
    np.testing.assert_array_equal(got, lane)
    expected = loop_pearson(a, v, range(600 - 24 + 1))
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    np.testing.assert_allclose(got, expected, atol=1e-4 if dtype == np.float32 else 1e-10,
                               equal_nan=True)
    np.testing.assert_array_equal(a, before)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("bad", [False, True])
def test_pearson_of_one_signal_by_the_fft_matches_the_lane_path(dtype, bad):
    """Template matching whose model picks the FFT (30000 samples, 1024 taps): the 1-D
    shortcut passes the model's choice on to the general route, and must give the bits
    of the general path (one-lane 2-D) and the two-pass reference's values. With a NaN
    in the signal (``bad``) both keep the direct sums (an FFT would spread it over
    every lag): NaN exactly at the windows holding it."""
    from cconv1d import signal as cs
    rng = np.random.default_rng(8)
    n, m = 30000, 1024
    assert cs._auto_method(n, m, 0, 1, n - m + 1, 1, False, np.dtype(dtype), True,
                           True) == "fft"
    a = (50 + rng.standard_normal(n)).astype(dtype)
    v = rng.standard_normal(m).astype(dtype)
    if bad:
        a[12345] = np.nan
    got = cc.correlate(a, v, normalize="pearson")
    lane = cc.correlate(a.reshape(1, -1), v, normalize="pearson")[0]
    assert got.dtype == dtype and got.shape == (n - m + 1,)
    np.testing.assert_array_equal(got, lane)
    expected = _windows_pearson(a, v)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    if bad:
        assert np.isnan(got[12345 - m + 1:12346]).all()
    finite = ~np.isnan(expected)
    tol = 1e-4 if dtype == np.float32 else 1e-9
    assert np.max(np.abs(got[finite] - expected[finite])) < tol


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("normalize", ["biased", "unbiased", "coeff"])
@pytest.mark.parametrize("n, m", [(1, 1), (40, 7), (7, 40), (300, 300)])
def test_scaled_correlation_of_one_signal_matches_numpy(dtype, normalize, n, m):
    """One 1-D float signal with maxlag= or a mode and a scaling takes the compiled
    shortcut: against numpy.correlate's full result sliced and scaled by the definitions
    (MATLAB xcorr's), and against the general path (a one-lane 2-D array)."""
    rng = np.random.default_rng(n * 1000 + m)
    a = rng.standard_normal(n).astype(dtype)
    v = rng.standard_normal(m).astype(dtype)
    full = np.correlate(a.astype(np.float64), v.astype(np.float64), "full")
    lags = np.arange(-(m - 1), n)
    overlap = np.minimum(m, n - lags) - np.maximum(0, -lags)
    scale = {"biased": np.full(len(lags), max(n, m), dtype=np.float64),
             "unbiased": overlap.astype(np.float64),
             "coeff": np.full(len(lags), np.sqrt(np.sum(a.astype(np.float64) ** 2)
                                                 * np.sum(v.astype(np.float64) ** 2)))}
    expected_full = full / scale[normalize]
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-11, atol=1e-12)
    for kwargs in (dict(maxlag=3), dict(maxlag=n + m), dict(mode="full"), dict(mode="same"),
                   dict(mode="valid"), dict()):
        got = cc.correlate(a, v, normalize=normalize, **kwargs)
        lane = cc.correlate(a.reshape(1, -1), v, normalize=normalize, **kwargs)[0]
        window = cc.correlation_lags(n, m, **kwargs)
        inside = (window > -m) & (window < n)
        expected = np.zeros(len(window))
        expected[inside] = expected_full[window[inside] + m - 1]
        assert got.dtype == dtype and got.shape == window.shape, kwargs
        np.testing.assert_allclose(got, expected, **tol, err_msg=str(kwargs))
        np.testing.assert_allclose(got, lane, **tol, err_msg=str(kwargs))
    auto = cc.autocorrelate(a, maxlag=2, normalize=normalize)
    auto_lane = cc.autocorrelate(a.reshape(1, -1), maxlag=2, normalize=normalize)[0]
    np.testing.assert_allclose(auto, auto_lane, **tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n, m, maxlag", [(1000, 1000, 20), (300, 280, 7), (5000, 5000, 31),
                                          (64, 64, 63), (2000, 30, 40), (9, 9, 2)])
def test_lag_window_is_the_full_correlations_slice_bit_for_bit(dtype, n, m, maxlag):
    """A lag window of signals of about one length is nearly all edge: its few outputs run
    as one row (the kernel keeps all their vectors in flight). Every output must still be
    the chain of the same output in the full correlation, and NumPy's value."""
    rng = np.random.default_rng(n + m + maxlag)
    a = rng.standard_normal(n).astype(dtype)
    v = rng.standard_normal(m).astype(dtype)
    got = cc.correlate(a, v, maxlag=maxlag, method="direct")
    lags = cc.correlation_lags(n, m, maxlag=maxlag)
    inside = (lags > -m) & (lags < n)
    full = cc.correlate(a, v, "full", method="direct")
    np.testing.assert_array_equal(got[inside], full[lags[inside] + m - 1])
    assert np.all(got[~inside] == 0)
    expected = np.correlate(a.astype(np.float64), v.astype(np.float64), "full")
    tol = 1e-5 * np.sqrt(m) if dtype == np.float32 else 1e-12 * np.sqrt(m)
    np.testing.assert_allclose(got[inside], expected[lags[inside] + m - 1], atol=tol)


def test_pearson_refuses_complex():
    with pytest.raises(TypeError, match="pearson.*real"):
        cc.correlate([1j, 2.0], [1.0], normalize="pearson")


@pytest.mark.parametrize("kwargs, message", [
    (dict(mode="full", maxlag=2), "cannot be combined with a lag window"),
    (dict(maxlag=2, lags=range(3)), "not both"),
    (dict(maxlag=-1), "maxlag must be an integer >= 0"),
    (dict(lags=range(0)), "at least one lag"),
    (dict(lags=[0, 1, 3]), "arithmetic progression"),
    (dict(lags=[2, 2]), "arithmetic progression"),
    (dict(lags=[[1, 2]]), "1-D"),
    (dict(normalize="zscore"), "normalize must be one of"),
])
def test_bad_lag_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        cc.correlate([1.0, 2.0, 3.0], [1.0, 2.0], **kwargs)


def test_bad_lag_types():
    with pytest.raises(TypeError, match="lags must be a range or a 1-D integer array"):
        cc.correlate([1.0, 2.0], [1.0], lags=[0.5, 1.5])
    with pytest.raises(TypeError, match="maxlag must be an integer"):
        cc.correlate([1.0, 2.0], [1.0], maxlag=1.5)
    with pytest.raises(ValueError, match="len_a must be an integer >= 1"):
        cc.correlation_lags(0, 3)


def test_inputs_unchanged_readonly_and_swapped():
    rng = np.random.default_rng(13)
    a = rng.standard_normal(100)
    v = rng.standard_normal(10)
    ro = np.broadcast_to(a, (2, 100))
    swapped = a.astype(">f8")
    expected = loop_correlation(a, v, range(-4, 5)).real
    np.testing.assert_allclose(cc.correlate(ro, v, maxlag=4)[1], expected, atol=1e-12)
    np.testing.assert_allclose(cc.correlate(swapped[::-1][::-1], v[::1], maxlag=4,
                                            normalize="pearson"),
                               loop_pearson(a, v, range(-4, 5)), atol=1e-12)
    before = a.copy()
    cc.correlate(a, v, maxlag=4, normalize="pearson")
    np.testing.assert_array_equal(a, before)


# --- issue 18: the FFT route -------------------------------------------------------------

def test_fft_route_does_not_overflow_on_huge_finite_values():
    """Before: method='auto' picked the FFT here and returned all NaN (inf - inf in the
    spectra) where the direct method gives ~3e306."""
    a = np.full(200_000, 1e306)
    v = np.full(3001, 1e-3)
    assert cc.signal.choose_method(a.size, v.size) == "fft"
    got = cc.convolve(a, v)
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got[3000:-3000], 1e306 * 3001e-3, rtol=1e-9)
    got32 = cc.convolve(np.full(100_000, 1e34, np.float32), np.ones(2001, np.float32) / 8)
    assert np.isfinite(got32).all()


@pytest.mark.parametrize("dtype, edge", [(np.float64, 256), (np.float32, 16)])
@pytest.mark.parametrize("shift", [-1, 0, 1])
def test_fft_route_scaling_window_edges(dtype, edge, shift):
    """Operands whose peak exponent lies inside the safe window are transformed
    unscaled, outside it rescaled by powers of two: on both sides of the window's edges,
    and for both signs of the exponent, the FFT route (convolve, autocorrelate, their
    'auto') matches NumPy's direct sums in float64, relative to the result's scale."""
    rng = np.random.default_rng(18)
    tol = 1e-12 if dtype == np.float64 else 2e-5
    for sign in (1, -1):
        e = sign * (edge + shift)
        a = (rng.standard_normal(3000) * 2.0 ** (e - 3)).astype(dtype)
        v = (rng.standard_normal(2500) * 2.0 ** (e - 3)).astype(dtype)
        a[0] = 2.0 ** (e - 1)   # the peak: frexp gives exponent e
        a64, v64 = a.astype(np.float64), v.astype(np.float64)
        # scale back before comparing: the reference's own products may under/overflow
        unit = 2.0 ** (-2 * e)
        want = np.convolve(a64 * 2.0 ** -e, v64 * 2.0 ** -e)
        for method in ("fft", "auto"):
            got = cc.convolve(a, v, method=method)
            assert got.dtype == dtype
            np.testing.assert_allclose(got.astype(np.float64) * unit, want, rtol=0,
                                       atol=tol * np.abs(want).max())
            auto = cc.autocorrelate(a, method=method).astype(np.float64) * unit
            want_auto = np.correlate(a64 * 2.0 ** -e, a64 * 2.0 ** -e, "full")
            np.testing.assert_allclose(auto, want_auto, rtol=0,
                                       atol=tol * np.abs(want_auto).max())


@pytest.mark.parametrize("method", ["fft", "auto", "direct"])
def test_integer_inputs_exact_on_every_method(method):
    """Before: values near 7.7e8 came back off by ~2e-7 on the FFT route."""
    rng = np.random.default_rng(14)
    a = rng.integers(0, 2**20, 20_000)
    v = rng.integers(-1000, 1000, 3000)
    np.testing.assert_array_equal(cc.convolve(a, v, method=method), np.convolve(a, v))
    np.testing.assert_array_equal(cc.correlate(a, v, "same", method=method),
                                  np.correlate(a, v, "same"))
    np.testing.assert_array_equal(cc.correlate(a, v, maxlag=50, method=method),
                                  np.correlate(a, v, "full")[2999 - 50:2999 + 51])
    b = rng.integers(0, 2, 5000).astype(bool)
    np.testing.assert_array_equal(cc.autocorrelate(b, method=method),
                                  np.correlate(b.astype(int), b.astype(int), "full"))


def test_integer_inputs_too_big_for_rounding_go_direct():
    # results below 2**53 (exact in float64), FFT error bound far above 1/2
    a = np.array([2**28, 1, 2**28 - 5, 3] * 2000, dtype=np.int64)
    v = np.array([2**10 + 1, 1, 7] * 700, dtype=np.int64)
    assert np.max(np.abs(np.convolve(a, v))) < 2**53
    np.testing.assert_array_equal(cc.convolve(a, v, method="fft"), np.convolve(a, v))


def test_import_does_not_import_scipy():
    """scipy.fft is imported on the first FFT, not with the package."""
    import subprocess
    import sys
    code = ("import sys, cconv1d as cc; assert 'scipy' not in sys.modules, 'at import'; "
            "cc.correlate([1.0, 2.0, 3.0], [1.0, 1.0], maxlag=1, normalize='pearson'); "
            "cc.fir_filter([1.0, 2.0], [1.0, 2.0, 3.0]); cc.conv1d_stream([[1.0]], [[[1.0]]]); "
            "assert 'scipy' not in sys.modules, 'after direct calls'")
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("lanes", [1, 3])
def test_long_template_split_into_tap_chunks(lanes):
    """Templates longer than two tap chunks are summed chunk by chunk."""
    from cconv1d import signal
    rng = np.random.default_rng(15)
    m = 2 * signal._TAP_CHUNK + 123
    a = rng.standard_normal((lanes, m + 500))
    v = rng.standard_normal(m)
    lag_values = np.arange(-700, 800, 3)
    got = cc.correlate(a, v, lags=lag_values, method="direct")
    for lane in range(lanes):
        full = np.correlate(a[lane], v, "full")
        np.testing.assert_allclose(got[lane], full[lag_values + m - 1], atol=1e-9)
    auto = cc.autocorrelate(a, lags=range(-5, 6), method="direct")
    np.testing.assert_allclose(auto[0], np.correlate(a[0], a[0], "full")[
        a.shape[1] - 1 - 5:a.shape[1] + 5], atol=1e-9)


@pytest.mark.parametrize("method", ["direct", "fft"])
def test_pearson_float32_with_a_large_offset(method):
    """float32 at mean 1e4: error against the two-pass float64 loop on the same
    float32 values 1.1e-7 (both methods): the lanes are centred before the float32 sums."""
    rng = np.random.default_rng(16)
    a = (1e4 + rng.standard_normal(3000)).astype(np.float32)
    v = (1e4 + rng.standard_normal(50)).astype(np.float32)
    got = cc.correlate(a, v, normalize="pearson", method=method)
    assert got.dtype == np.float32
    expected = loop_pearson(a, v, range(3000 - 50 + 1))
    assert np.max(np.abs(got - expected)) < 1e-4


def test_huge_maxlag_named_in_a_value_error():
    for call in (lambda: cc.correlate(np.ones(10), np.ones(3), maxlag=2**62),
                 lambda: cc.autocorrelate(np.ones(10), maxlag=2**62),
                 lambda: cc.correlate(np.ones((2, 10)), np.ones(3), maxlag=2**62)):
        with pytest.raises(ValueError, match="maxlag"):
            call()


def test_huge_windows_refused_before_allocating():
    with pytest.raises(ValueError, match="would hold"):
        cc.correlation_lags(10, 10, maxlag=2**58)
    with pytest.raises(ValueError, match="would hold"):
        cc.correlate([1.0, 2.0], [1.0], lags=range(0, 2**62, 1))
    with pytest.raises(ValueError, match="too large"):
        cc.correlate([1.0, 2.0], [1.0], lags=[2**62])


def test_mode_none_means_valid_for_correlate_and_full_for_autocorrelate():
    a, v = [1.0, 2.0, 3.0, 4.0], [1.0, -1.0]
    np.testing.assert_array_equal(cc.correlate(a, v), np.correlate(a, v, "valid"))
    np.testing.assert_array_equal(cc.correlate(a, v, None), np.correlate(a, v, "valid"))
    np.testing.assert_array_equal(cc.autocorrelate(a, None), np.correlate(a, a, "full"))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fft_route_tiny_values_keep_their_digits(dtype):
    """Subnormal-range inputs are scaled up before the FFT (and back, exactly)."""
    tiny = np.finfo(dtype).smallest_normal
    rng = np.random.default_rng(17)
    a = (rng.standard_normal(300) * tiny * 4).astype(dtype)
    v = rng.standard_normal(40).astype(dtype)
    got = cc.convolve(a, v, method="fft")
    expected = np.convolve(a.astype(np.float64), v.astype(np.float64))
    assert got.dtype == dtype and np.isfinite(got).all()
    scale = np.max(np.abs(expected))
    assert np.max(np.abs(got - expected)) < (1e-5 if dtype == np.float32 else 1e-12) * scale


@pytest.mark.parametrize("method", ["direct", "auto"])
@pytest.mark.parametrize("mode", ["valid", "full"])
def test_pearson_nan_and_inf_spoil_only_their_windows(method, mode):
    """Before: one NaN made every later lag NaN (it entered the running sums)."""
    rng = np.random.default_rng(18)
    a = rng.standard_normal(60)
    a[10] = np.nan
    a[40] = np.inf
    v = rng.standard_normal(5)
    lag_values = cc.correlation_lags(60, 5, mode)
    got = cc.correlate(a, v, mode, normalize="pearson", method=method)
    expected = loop_pearson(a, v, lag_values)   # NaN wherever a window holds NaN or inf
    for k, value in zip(lag_values, got):
        window = a[max(k, 0):min(60, k + 5)]
        if np.isfinite(window).all() and window.size >= 2:
            assert np.isfinite(value)
    np.testing.assert_allclose(got, expected, atol=1e-12, equal_nan=True)


@settings(max_examples=80, deadline=None)
@given(n=st.integers(1, 14), m=st.integers(1, 14), seed=st.integers(0, 2**16),
       method=st.sampled_from(["direct", "auto"]))
def test_nonfinite_values_reach_exactly_numpys_outputs(n, m, seed, method):
    """Before: a NaN or inf in the operand the kernel slides was multiplied by the zero
    padding too (0 * nan = nan), so edge outputs NumPy computes were NaN; and where both
    operands held one (an autocorrelation of a signal with an inf) their pair came out
    NaN (inf * 0, the zeroed tap) where NumPy gives inf."""
    rng = np.random.default_rng(seed)
    a, v = rng.standard_normal(n), rng.standard_normal(m)
    special = np.array([np.nan, np.inf, -np.inf])
    hit_a, hit_v = rng.random(n) < 0.2, rng.random(m) < 0.25
    a[hit_a] = rng.choice(special, hit_a.sum(), p=[0.3, 0.35, 0.35])
    v[hit_v] = rng.choice(special, hit_v.sum(), p=[0.3, 0.35, 0.35])
    for mode in ("full", "same", "valid"):
        np.testing.assert_allclose(cc.convolve(a, v, mode, method=method),
                                   np.convolve(a, v, mode), equal_nan=True)
        np.testing.assert_allclose(cc.correlate(a, v, mode, method=method),
                                   np.correlate(a, v, mode), equal_nan=True)
        np.testing.assert_allclose(cc.convolve(np.stack([a, a]), v, mode, method=method)[1],
                                   np.convolve(a, v, mode), equal_nan=True)
    np.testing.assert_allclose(cc.autocorrelate(a, method=method),
                               np.correlate(a, a, "full"), equal_nan=True)
    full = np.correlate(a, v, "full")
    lag_values = np.arange(-m - 2, n + 2)
    inside = (lag_values >= -(m - 1)) & (lag_values <= n - 1)
    expected = np.zeros(lag_values.size)
    expected[inside] = full[lag_values[inside] + m - 1]
    np.testing.assert_allclose(cc.correlate(a, v, lags=lag_values, method=method), expected,
                               equal_nan=True)
    for step in (2, 3):   # strided lag windows, and an autocorrelation's window
        np.testing.assert_allclose(
            cc.correlate(a, v, lags=lag_values[::step], method=method),
            expected[::step], equal_nan=True)
    auto_full = np.correlate(a, a, "full")
    k = min(3, n - 1)
    np.testing.assert_allclose(cc.autocorrelate(a, maxlag=k, method=method),
                               auto_full[n - 1 - k:n + k], equal_nan=True)


@pytest.mark.parametrize("kind", ["full", "lags", "ends"])
def test_pearson_quiet_windows_after_a_loud_stretch(kind):
    """Before: the prefix route's window sums were differences of plain cumulative sums,
    so after a stretch 1e6 times louder the quiet windows' variance lost every digit
    (r off by 2e-2 in 'full' mode). The compensated prefix sums keep each window's sums
    to the rounding of its own samples: the two-pass float64 reference within 1e-8.
    'ends': a long template over a few lags, whose windows all span the lane's middle
    (the prefix arrays keep only their two ends, the middle summed in chains)."""
    rng = np.random.default_rng(21)
    v = rng.standard_normal(50)
    a = np.concatenate([1e6 * rng.standard_normal(5000), rng.standard_normal(1000)])
    if kind == "full":
        lag_values = cc.correlation_lags(a.size, v.size, "full")
        got = cc.correlate(a, v, "full", normalize="pearson")
    elif kind == "lags":
        lag_values = np.arange(4990, 5951, 3)
        got = cc.correlate(a, v, lags=lag_values, normalize="pearson")
    else:
        a = np.concatenate([1e6 * rng.standard_normal(500), rng.standard_normal(5500)])
        v = rng.standard_normal(4000)
        lag_values = np.arange(450, 1001, 5)
        got = cc.correlate(a, v, lags=lag_values, normalize="pearson")
    expected = loop_pearson(a, v, lag_values)
    quiet = lag_values >= (500 if kind == "ends" else 5000)
    assert quiet.sum() > 5
    np.testing.assert_allclose(got[quiet], expected[quiet], rtol=0, atol=1e-8)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6, equal_nan=True)


def test_pearson_template_matching_past_a_sliding_restart():
    """More than 4096 unit-step lags: the sliding window sums restart exactly."""
    rng = np.random.default_rng(19)
    a = 1e4 + np.cumsum(rng.standard_normal(9000)) * 0.01 + rng.standard_normal(9000)
    a[5000] = np.nan
    v = rng.standard_normal(40)
    got = cc.correlate(a, v, normalize="pearson", method="direct")
    expected = loop_pearson(a, v, range(0, 9000 - 40 + 1))
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    np.testing.assert_allclose(got, expected, atol=1e-10, equal_nan=True)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("m", [2, 16, 300])
def test_pearson_long_lane_blocks_and_constant_stretches(m, dtype):
    """The blocked sliding route (lanes without NaN, 'valid' lags): blocks of 4096 lags
    in four sliding segments. Constant stretches straddle block and segment edges and
    must give exactly NaN; a window holding one tiny change (1e-9 on an offset of 1e4)
    is not constant and must not; elsewhere the two-pass float64 reference."""
    rng = np.random.default_rng(m)
    n = 3 * 4096 + 517
    a = 1e4 + rng.standard_normal(n)
    for start in (1000, 4096 - 7, 2 * 4096 - m // 2, 3 * 4096 - 3):   # segment, block edges
        a[start:start + m + 40] = 1e4 + 0.25
    nudged = 6000
    a[nudged:nudged + m + 10] = 1e4
    a[nudged + m // 2] += 1e-9 * 1e4 if dtype == np.float64 else 0.5
    a = a.astype(dtype)
    v = rng.standard_normal(m).astype(dtype)
    got = cc.correlate(a, v, normalize="pearson")
    lags = range(n - m + 1)
    expected = loop_pearson(a.astype(np.float64), v.astype(np.float64), lags)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    assert np.isnan(got).sum() >= 4 * 41 and not np.isnan(got[nudged + 1])
    tol = 1e-9 if dtype == np.float64 else 2e-3
    finite = ~np.isnan(expected)
    # r is ill-conditioned where a window barely varies (the nudged windows, and pairs
    # of nearly equal samples when m = 2): compare where the window's variance is not tiny
    a64 = a.astype(np.float64)
    window_var = np.array([np.var(a64[k:k + m]) for k in lags])
    ordinary = finite & (window_var > 1e-3)
    ordinary[nudged - m:nudged + m + 10] = False
    assert ordinary.sum() > len(lags) // 2
    assert np.max(np.abs(got[ordinary] - expected[ordinary])) < tol


@pytest.mark.parametrize("method", ["direct", "fft"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_pearson_flat_window_at_the_level_of_a_sliding_restart(method, dtype):
    """A flat stretch at the mean of a window where the sliding sums restart (lag 0 and
    multiples of 1024, centred by that window's mean): its centred sum of squares is ~0,
    far below the rounding carried in from the louder windows slid before it, and it
    must still be exactly NaN (the one-pass slide of the avx2/avx512 paths once gave
    -0.30 in float32). Every other window as the two-pass float64 reference."""
    from numpy.lib.stride_tricks import sliding_window_view
    for seed in range(16):
        rng = np.random.default_rng(seed)
        m = int(rng.integers(2, 40))
        n = int(rng.integers(3 * m + 2, 4200))
        a = (rng.standard_normal(n) + rng.choice([0.0, 1e4])).astype(dtype)
        restarts = [k for k in (0, 1024, 2048, 3072, 4096) if k + m <= n]
        at = restarts[seed % len(restarts)]
        level = a[at:at + m].astype(np.float64).mean()
        choices = [p for p in range(0, n - m + 1, 7) if p + m < at or p > at + m]
        p = choices[int(rng.integers(len(choices)))]
        a[p:p + m] = level
        v = rng.standard_normal(m).astype(dtype)
        got = cc.correlate(a, v, "valid", normalize="pearson", method=method)
        windows = sliding_window_view(a.astype(np.float64), m)
        constant = windows.max(axis=1) == windows.min(axis=1)
        assert constant[p] and np.isnan(got[p]), (seed, m, n, at, p, got[p])
        np.testing.assert_array_equal(np.isnan(got), constant)
        d = windows - windows.mean(axis=1, keepdims=True)
        dv = v.astype(np.float64) - v.astype(np.float64).mean()
        with np.errstate(invalid="ignore", divide="ignore"):
            expected = d @ dv / np.sqrt((d * d).sum(axis=1) * (dv @ dv))
        ordinary = ~constant & (d.var(axis=1) > 1e-3)
        tol = 1e-9 if dtype == np.float64 else 2e-3
        assert np.max(np.abs(got[ordinary] - expected[ordinary])) < tol


@pytest.mark.parametrize("method", ["direct", "auto", "fft"])
@settings(max_examples=60, deadline=None)
@given(n=st.integers(12, 300), m_frac=st.floats(0.05, 1.5), width=st.integers(0, 8),
       step=st.integers(1, 3), centre=st.floats(-0.5, 0.5), seed=st.integers(0, 2**16),
       bad=st.sampled_from(["none", "head", "middle", "middle_end", "tail"]))
def test_pearson_narrow_lag_window_reads_only_the_prefix_ends(method, n, m_frac, width,
                                                             step, centre, seed, bad):
    """A lag window narrow against the lane (and the template): every overlap spans both
    middles, so the prefix sums are kept only at the ends (the middle summed without
    storing). Offset 1e3, few distinct values so that constant windows happen, NaN or
    inf placed where each part of the arrays must count it (direct sums only: an FFT
    spreads them over every lag)."""
    if method == "fft":
        bad = "none"
    rng = np.random.default_rng(seed)
    m = max(1, int(m_frac * n))
    a = 1e3 + rng.integers(0, 3, n).astype(np.float64) * rng.random()
    v = rng.integers(0, 3, m).astype(np.float64)
    if seed % 3 == 0:
        a[: n // 2] = a[0]          # a constant stretch reaching into the middle
    lo = int(centre * n) - (m - 1) // 2
    # middle_end: the last sample before the first lag's window ends
    where = {"head": 0, "middle": n // 2, "tail": n - 1,
             "middle_end": min(max(lo - width * step + m, 1), n) - 1}.get(bad)
    if where is not None:
        a[where] = np.nan if seed % 2 else np.inf
    lag_values = np.arange(lo - width * step, lo + width * step + 1, step)
    lag_values = lag_values[(lag_values >= -(m - 1)) & (lag_values <= n - 1)]
    if lag_values.size == 0:
        return
    got = cc.correlate(a, v, lags=range(lag_values[0], lag_values[-1] + 1, step),
                       normalize="pearson", method=method)
    expected = loop_pearson(a, v, lag_values)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    np.testing.assert_allclose(got, expected, atol=1e-9, equal_nan=True)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("m", [2, 16, 50])
@pytest.mark.parametrize("bad", [None, np.nan, np.inf, -np.inf])
def test_pearson_fused_blocks_against_two_pass(m, dtype, bad):
    """Template matching by direct sums runs block by block (2048 lags a block; on
    AVX-512 the raw sums and r in one pass, restarted every 1024 lags): NaN/inf placed
    at block and segment edges spoil exactly their windows (the lane is redone by the
    route that counts them), on lanes of a 2-D input computed by several threads."""
    rng = np.random.default_rng(m)
    n = 2 * 2048 + 300 + m
    a = 50.0 + np.cumsum(rng.standard_normal((3, n)), axis=-1) * 0.05
    a += rng.standard_normal((3, n))
    v = rng.standard_normal(m)
    if bad is not None:
        for at in (1023, 1024 + m - 1, 2047, 2048, 4095 + m // 2):
            a[1, at] = bad
        a[2, -1] = bad
    a, v = a.astype(dtype), v.astype(dtype)
    before = cc.get_num_threads()
    try:
        cc.set_num_threads(2)
        got = cc.correlate(a, v, normalize="pearson", method="direct")
    finally:
        cc.set_num_threads(before)
    assert got.shape == (3, n - m + 1) and got.dtype == dtype
    tol = 1e-10 if dtype == np.float64 else 2e-4
    for lane in range(3):
        expected = loop_pearson(a[lane].astype(np.float64), v.astype(np.float64),
                                range(n - m + 1))
        np.testing.assert_array_equal(np.isnan(got[lane]), np.isnan(expected))
        finite = ~np.isnan(expected)
        with np.errstate(invalid="ignore"):     # windows holding inf: NaN, not used
            window_var = np.array([np.var(a[lane, k:k + m].astype(np.float64))
                                   for k in range(n - m + 1)])
        ordinary = finite & (window_var > 1e-3)
        assert np.max(np.abs(got[lane][ordinary] - expected[ordinary])) < tol


@pytest.mark.parametrize("simd", ["avx512", "avx2", "scalar"])
@pytest.mark.parametrize("bad", [False, True])
def test_pearson_float32_drifting_offset_over_many_blocks(simd, bad):
    """float32 template matching is centred block by block by the block's own mean
    (and a lane holding NaN whole by the mean of its finite values): a lane whose level
    steps from 1e4 to 3e4 over several 2048-lag blocks keeps the digits that uncentred
    float32 sums lose. Oracle: the two-pass float64 loop on the same float32 values."""
    from cconv1d import _kernels
    if simd not in _kernels.usable_paths():
        pytest.skip(f"the {simd} path is not built or this CPU cannot run it")
    rng = np.random.default_rng(41)
    n, m = 3 * 2048 + 500, 40
    # the level steps 1e4 -> 2e4 -> 3e4 where blocks start; noise of unit variance (a
    # whole-lane mean would leave the first and last blocks 1e4 off)
    level = 1e4 * (1 + np.minimum(np.arange(n) // 2048, 2))
    a = (level + rng.standard_normal(n)).astype(np.float32)
    v = (5e3 + rng.standard_normal(m)).astype(np.float32)
    if bad:
        a[3000] = np.nan        # the lane is redone whole, centred by its finite mean
    try:
        _kernels.select_simd(simd)
        got = cc.correlate(a, v, normalize="pearson", method="direct")
    finally:
        _kernels.select_simd(None)
    assert got.dtype == np.float32
    expected = loop_pearson(a.astype(np.float64), v.astype(np.float64), range(n - m + 1))
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    if bad:
        assert np.isnan(got[3000 - m + 1:3001]).all() and np.isfinite(got[:3000 - m + 1]).all()
    finite = ~np.isnan(expected)
    # Uncentred float32 sums at this offset are off by ~1e-1.
    assert np.max(np.abs(got[finite] - expected[finite])) < 1e-4


def _windows_pearson(a, v):
    """Two-pass float64 Pearson coefficient of every full window of ``a`` with ``v``
    (mode 'valid'), written from the definition with numpy's windows; NaN where a
    window is constant."""
    from numpy.lib.stride_tricks import sliding_window_view
    a = np.asarray(a, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    windows = sliding_window_view(a, len(v))
    dx = windows - windows.mean(axis=1, keepdims=True)
    dv = v - v.mean()
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (dx @ dv) / np.sqrt((dx * dx).sum(axis=1) * (dv @ dv))
    r[np.ptp(windows, axis=1) == 0] = np.nan
    return r


@pytest.mark.parametrize("simd", ["avx512", "avx2"])
@pytest.mark.parametrize("m", [2, 3, 6, 16, 17, 40, 100, 256])
def test_pearson_float32_window_tree(simd, m):
    """float32 template matching on the window tree (windows of 2, 4, ... joined by
    Chan et al.'s update, in float32 lanes: cc_lagstats.h), or the slide where the tree
    does not pay: m a power of two, odd, even with several bits, h >= 16 levels; three
    blocks of lags, the last one's length not a multiple of a vector. A level of 1e4
    with a drift of +-50 inside each block and unit noise (the block's mean is far from
    a window's: the sums of squares must not cancel), and a constant run at that level
    (exactly NaN where a window lies in it). Oracle: the two-pass float64 coefficient
    of the same float32 values. m = 2 and 3 are ill-conditioned by the data itself (two
    float32 samples near 1e4 differ by a few of their 1e-3 roundings, and the raw sum
    of such a pair keeps few digits of their difference)."""
    from cconv1d import _kernels
    if simd not in _kernels.usable_paths():
        pytest.skip(f"the {simd} path is not built or this CPU cannot run it")
    rng = np.random.default_rng(m)
    n = 2 * 2048 + m + 37
    a = (1e4 + 50 * np.sin(np.arange(n) / 300) + rng.standard_normal(n)).astype(np.float32)
    a[3000:3000 + m + 5] = a[3000]
    v = rng.standard_normal(m).astype(np.float32)
    # 'valid' (blocks of 2048 lags, the lane centred block by block) and a unit-step
    # lag window inside it (the lag route: blocks of 4096, the lane centred whole)
    window = range(100, n - m - 50)
    try:
        _kernels.select_simd(simd)
        got = cc.correlate(a, v, normalize="pearson")
        got_window = cc.correlate(a, v, lags=window, normalize="pearson")
    finally:
        _kernels.select_simd(None)
    assert got.dtype == got_window.dtype == np.float32
    expected = _windows_pearson(a, v)
    # measured: 2-5e-6 for m >= 6 (either route); 1e-3 at m = 2 (the slide: 8e-4)
    tol = 3e-3 if m <= 3 else 5e-5
    for result, reference in ((got, expected), (got_window, expected[100:n - m - 50])):
        np.testing.assert_array_equal(np.isnan(result), np.isnan(reference))
        finite = ~np.isnan(reference)
        assert np.max(np.abs(result[finite] - reference[finite])) < tol
    assert np.isnan(got[3000:3006]).all()


@pytest.mark.parametrize("simd", ["avx512", "avx2"])
@settings(max_examples=30, deadline=None)
@given(n_extra=st.integers(0, 2500), m=st.integers(2, 80), seed=st.integers(0, 2**16),
       levels=st.integers(2, 4), offset=st.sampled_from([0.0, 3.0, -700.0]))
def test_pearson_float32_window_tree_constant_windows(simd, n_extra, m, seed, levels,
                                                       offset):
    """float32 'valid' template matching (the window tree wherever it pays) on few
    distinct values at an offset: constant windows are common and must come out NaN
    exactly where the two-pass float64 reference has them, whatever m's bits and the
    block's length; every other coefficient within float32's roundings."""
    from cconv1d import _kernels
    if simd not in _kernels.usable_paths():
        pytest.skip(f"the {simd} path is not built or this CPU cannot run it")
    rng = np.random.default_rng(seed)
    n = m + n_extra
    a = (offset + rng.integers(0, levels, n)).astype(np.float32)
    v = rng.integers(0, levels, m).astype(np.float32)
    try:
        _kernels.select_simd(simd)
        got = cc.correlate(a, v, normalize="pearson")
    finally:
        _kernels.select_simd(None)
    expected = _windows_pearson(a, v)
    if np.ptp(v) == 0:
        expected[:] = np.nan
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    finite = ~np.isnan(expected)
    if finite.any():
        assert np.max(np.abs(got[finite] - expected[finite])) < 2e-5


@pytest.mark.parametrize("method", ["direct", "fft"])
@pytest.mark.parametrize("bad", [False, True])
def test_pearson_float32_lag_window_with_offset_and_nan(method, bad):
    """A float32 lag window (the general route: lanes centred whole by the mean of their
    finite values, then the raw correlation and pearson_lags) at mean 1e4, with a NaN
    that spoils only the lags whose overlap holds it. Oracle: the two-pass float64 loop
    on the same float32 values."""
    if bad and method == "fft":
        method = "auto"         # an FFT would spread the NaN: auto takes the direct sums
    rng = np.random.default_rng(52)
    a = (1e4 + rng.standard_normal(2000)).astype(np.float32)
    v = (1e4 + rng.standard_normal(64)).astype(np.float32)
    if bad:
        a[700] = np.nan
    lag_values = range(-40, 1500, 3)
    got = cc.correlate(a, v, lags=lag_values, normalize="pearson", method=method)
    assert got.dtype == np.float32
    expected = loop_pearson(a.astype(np.float64), v.astype(np.float64), lag_values)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    finite = ~np.isnan(expected)
    assert np.max(np.abs(got[finite] - expected[finite])) < 1e-4


# The longest templates cc_lagstats.h's direct route takes (cc_direct_pays), per path
# and dtype; longer ones take the slide or the tree.
_DIRECT_MAX = {("avx512", np.float32): 79, ("avx512", np.float64): 39,
               ("avx2", np.float32): 24, ("avx2", np.float64): 10}


@pytest.mark.parametrize("simd", ["avx512", "avx2"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", ["drift", "step", "spikes"])
@pytest.mark.parametrize("m", [2, 5, 10, 11, 16, 20, 21, 24, 25, 32, 39, 40, 48, 49, 64, 79,
                               80])
def test_pearson_short_templates_by_direct_sums(simd, dtype, kind, m):
    """Template matching with short templates (cc_lagstats.h's direct route: raw sums,
    window sums and r in one loop, up to 10-79 taps by path and dtype; the slide or the
    tree past that, so m runs across every threshold). The data are hard for one-pass
    sums about a group's offset (on AVX-512 by phases, m = K L + rem with K = 0-4 and
    rem zero or not): a level of 1e4 with drift, a step of 1e3, or spikes of
    1e4 among unit noise, any of which can be the offset. Three blocks of lags, the last
    a tail; a constant run in the first (exactly NaN where a window lies in it), a NaN
    in the second (every window holding it NaN, the others not: the block is redone by
    the route that counts). Oracle: the two-pass float64 coefficient of the same
    values, on the blocks without NaN; the direct route within 1e-5 in float32 and 1e-12
    in float64 (measured: 3e-6 and 3e-15), the slide and the tree within 1e-4 and 1e-6
    (2.3e-5 and 1.4e-7 on spikes)."""
    from cconv1d import _kernels
    if simd not in _kernels.usable_paths():
        pytest.skip(f"the {simd} path is not built or this CPU cannot run it")
    rng = np.random.default_rng(m)
    n = 2 * 2048 + m + 53
    x = np.arange(n)
    noise = rng.standard_normal(n)
    a = {"drift": 1e4 + 50 * np.sin(x / 300) + noise,
         "step": np.where(x < n // 3, 1e3, 0.0) + noise,
         "spikes": noise + 1e4 * (rng.random(n) < 0.02)}[kind].astype(dtype)
    a[1000:1000 + m + 4] = a[1000]
    a[3333] = np.nan
    v = rng.standard_normal(m).astype(dtype)
    try:
        _kernels.select_simd(simd)
        got = cc.correlate(a, v, normalize="pearson")
    finally:
        _kernels.select_simd(None)
    assert got.dtype == dtype
    expected = _windows_pearson(a, v)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    assert np.isnan(got[1000:1005]).all() and np.isnan(got[3334 - m:3334]).all()
    direct = m <= _DIRECT_MAX[simd, dtype]
    tol = {(True, np.float32): 1e-5, (True, np.float64): 1e-12,
           (False, np.float32): 1e-4, (False, np.float64): 1e-6}[direct, dtype]
    clean = np.r_[0:2048, 4096:len(got)]
    finite = clean[~np.isnan(expected[clean])]
    assert np.max(np.abs(got[finite] - expected[finite])) < tol


@pytest.mark.parametrize("simd", ["avx512", "avx2"])
@pytest.mark.parametrize("kind", ["noise", "drift", "step", "spikes", "bursts"])
@pytest.mark.parametrize("m", [2, 7, 12, 16, 33, 64, 200])
@pytest.mark.parametrize("n_lags", [64, 511, 2048 + 700])
def test_pearson_transposed_route(simd, kind, m, n_lags):
    """float64 template matching by cc_lagstats.h's transposed route (the block's
    segments in the vector lanes), forced for every block (``_set_transposed(1)``):
    block lengths below, at and past one segment tile (64 lags on AVX-512, 32 on AVX2),
    so the last lags take the direct route; templates from 2 taps (windows that vary
    most) to 200; data that defeat one-pass sums: a level of 1e4 with drift, a step of
    1e3, spikes of 1e4, and bursts 1e3 times louder than the quiet between them (a
    quiet window's variance far below the slid sums' rounding: the block goes to the
    direct route). A constant run (NaN exactly where a window lies inside it) and a NaN
    (its windows NaN, the block redone by the route that counts). Oracle: the two-pass
    float64 coefficient of the same values, within 1e-8: the slid sums carry the
    rounding of loud samples that have left the window (measured up to 4.2e-10, m = 12
    among spikes; on noise below 1e-15), which is why the route serves only templates
    the direct route does not (40 taps and more on AVX-512, 11 on AVX2), where the slide
    it replaced was held to 1e-6. On a level of 1e4 with drift (64 lags, m = 64 and
    200) it measured 1.4e-16 and 4.9e-17 where the slide had 2.3e-13 and 4.0e-14."""
    from cconv1d import _kernels, _lagstats
    if simd not in _kernels.usable_paths():
        pytest.skip(f"the {simd} path is not built or this CPU cannot run it")
    rng = np.random.default_rng(m * 1000 + n_lags)
    n = n_lags + m - 1
    x = np.arange(n)
    noise = rng.standard_normal(n)
    a = {"noise": noise,
         "drift": 1e4 + 50 * np.sin(x / 300) + noise,
         "step": np.where(x < n // 3, 1e3, 0.0) + noise,
         "spikes": noise + 1e4 * (rng.random(n) < 0.02),
         "bursts": noise * np.where((x // 150) % 2 == 0, 1e3, 1.0)}[kind]
    if n_lags > 100:
        a[n_lags // 2:n_lags // 2 + m + 3] = a[n_lags // 2]
        a[n_lags - 40] = np.nan
    v = rng.standard_normal(m)
    previous = _lagstats._set_transposed(1)
    try:
        _kernels.select_simd(simd)
        got = cc.correlate(a, v, normalize="pearson", method="direct")
    finally:
        _kernels.select_simd(None)
        _lagstats._set_transposed(previous)
    expected = _windows_pearson(a, v)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    finite = ~np.isnan(expected)
    assert np.max(np.abs(got[finite] - expected[finite])) < 1e-8


@pytest.mark.parametrize("simd", ["avx512", "avx2"])
@pytest.mark.parametrize("m", [5, 16, 23, 41])
def test_pearson_float32_short_templates_at_extreme_magnitudes(simd, m):
    """float32 template matching where the direct route's squares overflow (samples
    near 3e18-1e19: q past float's largest) or sit near the subnormal range (a level of
    1e-17 with deviations of 1e-22), with constant windows at that level: the blocks
    go to the route that counts, in double. Before that check (a review found it),
    such windows came out as +-1, and constant ones as numbers instead of NaN. Oracle:
    the two-pass float64 coefficient of the same values."""
    from cconv1d import _kernels
    if simd not in _kernels.usable_paths():
        pytest.skip(f"the {simd} path is not built or this CPU cannot run it")
    rng = np.random.default_rng(m)
    v = rng.standard_normal(m).astype(np.float32)
    huge = (3e18 * rng.standard_normal(3000)).astype(np.float32)
    tiny = (np.float32(1e-17) * (1 + 1e-5 * rng.standard_normal(3000))).astype(np.float32)
    for a in (huge, tiny):
        for w in (100, 777, 2100):
            a[w:w + m] = a[w]
        try:
            _kernels.select_simd(simd)
            got = cc.correlate(a, v, normalize="pearson")
        finally:
            _kernels.select_simd(None)
        expected = _windows_pearson(a, v)
        np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
        assert np.isnan(got[[100, 777, 2100]]).all()
        finite = ~np.isnan(expected)
        assert np.max(np.abs(got[finite] - expected[finite])) < 1e-4


@pytest.mark.parametrize("simd", ["avx512", "avx2"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("m", [39, 48, 100])
@pytest.mark.parametrize("method", ["direct", "fft"])
def test_pearson_nearly_constant_window_after_spikes(simd, dtype, m, method):
    """A window of m - 1 equal samples and one other, in a lane with spikes of 1e4:
    its variance is tiny against the slid sums it would be taken from. Before, the
    slide (float64) and the tree (float32) returned r off by 1.2e-4 and 1e-3 there
    (AVX2, m = 39); a block in which they find a nearly constant window is now made
    again by the direct route, whose window sums are each window's own. Both the
    template-matching route (pearson_valid, method "direct") and the one after a
    raw correlation (pearson_lags, method "fft"). Oracle: the two-pass float64
    coefficient of the same values; within 1e-9 in float64 (measured 1e-15), and in
    float32 within 5e-4 (measured 2.3e-4, 1e-3 before): the tree and the slide take
    float32 blocks centred by their mean, here near 200 (the spikes), which rounds each
    deviation to 1.5e-5 against the window's 0.02, and the block is not nearly
    constant by their test, so it keeps those digits."""
    from cconv1d import _kernels
    if simd not in _kernels.usable_paths():
        pytest.skip(f"the {simd} path is not built or this CPU cannot run it")
    rng = np.random.default_rng(m)
    n = 3 * 2048 + m
    a = rng.standard_normal(n) + 1e4 * (rng.random(n) < 0.02)
    for start in (1000, 5000):
        a[start:start + m - 1] = 0.375
        a[start + m - 1] = 0.5
    a = a.astype(dtype)
    v = rng.standard_normal(m).astype(dtype)
    try:
        _kernels.select_simd(simd)
        got = cc.correlate(a, v, normalize="pearson", method=method)
    finally:
        _kernels.select_simd(None)
    expected = _windows_pearson(a, v)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    for start in (1000, 5000):
        assert abs(got[start] - expected[start]) < (5e-4 if dtype == np.float32 else 1e-9)
    finite = ~np.isnan(expected)
    tol = 5e-4 if dtype == np.float32 else 1e-6
    assert np.max(np.abs(got[finite] - expected[finite])) < tol


@pytest.mark.parametrize("simd", ["avx512", "avx2"])
@pytest.mark.parametrize("dtype, tiny", [(np.float32, 1e-18), (np.float64, 1e-150)])
def test_pearson_constant_windows_inside_a_tiny_stretch(simd, dtype, tiny):
    """A review found it: a stretch of deviations near the subnormal range holding a
    constant run, through the lag route (method "fft": the raw sums, then the slide or
    the tree). The block is nearly constant, so it is made again by the direct route,
    which sends such sums away; its +-1 had replaced the slide's r and the constant
    windows' NaN (5 of 25 lags NaN on AVX-512, 13 on AVX2). Now the slide's r stays
    with its flag: every window inside the run is NaN, as the two-pass oracle says."""
    from cconv1d import _kernels
    if simd not in _kernels.usable_paths():
        pytest.skip(f"the {simd} path is not built or this CPU cannot run it")
    rng = np.random.default_rng(0)
    a = rng.standard_normal(600)
    a[200:400] = rng.standard_normal(200) * tiny
    a[300:340] = 0.0
    a = a.astype(dtype)
    v = rng.standard_normal(16).astype(dtype)
    try:
        _kernels.select_simd(simd)
        got = cc.correlate(a, v, "valid", normalize="pearson", method="fft")
    finally:
        _kernels.select_simd(None)
    assert np.isnan(got[300:325]).all()
    assert np.isnan(_windows_pearson(a, v)[300:325]).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("m", [2, 3, 5, 16, 64])
@pytest.mark.parametrize("mode", ["valid", "full"])
@pytest.mark.parametrize("kind", ["spikes and NaN", "drift"])
def test_pearson_windows_far_from_the_lane_mean(dtype, m, mode, kind):
    """Windows far from their lane's mean next to their own spread: unit noise with
    spikes of 1e4 and five NaN, or with a drift of 1e4 over the lane. Two routes summed
    such windows about the lane's mean and lost digits: the route that counts NaN (mode
    "valid", the blocks holding NaN), which slides its sums, so a spike leaving a
    window left its square's rounding behind; and the prefix route of the lags of mode
    "full", whose one-pass variance about the lane's mean cancels (float32: about the
    lane's copy rounded to float32). Before (worst of the lane): float64 r off by 0.85
    at m = 2, 2e-5 at m = 3 and 8e-9 at m = 16 (route that counts, spikes), 2.4e-2,
    3.4e-6 and 3.2e-10 (prefix route, drift); float32 by 0.17, 1.3e-4 and 2e-5 at m =
    5, and 0.3, 4.6e-3 and 8e-5 at m = 16. Now the sliding sums restart about the
    window's middle sample, and a window that still cancels (on the prefix route: up
    to 16 taps) takes r from its own samples by two passes in double. Oracle: the
    two-pass float64 coefficient of the same values at the lags that overlap the whole
    template (NaN wherever a window holds a NaN): float64 within 1e-9 (measured 7e-12;
    3e-10 at m = 64 with spikes, on the slide of the blocks without NaN), float32
    within 2e-5 (measured 6e-6), but 5e-5 for the prefix route past 16 taps (kept as
    it was: 1.5e-5 measured at m = 64)."""
    rng = np.random.default_rng(m)
    n = 12000
    a = rng.standard_normal(n)
    if kind == "drift":
        a += np.linspace(0.0, 1e4, n)
    else:
        a += 1e4 * (rng.random(n) < 0.01)
        a[rng.integers(m, n - m, 5)] = np.nan
    a = a.astype(dtype)
    v = rng.standard_normal(m).astype(dtype)
    got = cc.correlate(a, v, mode, normalize="pearson", method="direct")
    if mode == "full":
        got = got[m - 1:n]     # lags 0 .. n - m
    expected = _windows_pearson(a, v)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    finite = ~np.isnan(expected)
    tol = 1e-9
    if dtype == np.float32:
        tol = 5e-5 if mode == "full" and m > 16 else 2e-5
    assert np.max(np.abs(got[finite] - expected[finite])) < tol


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("spike", [1e6, 1e8])
def test_pearson_partial_overlaps_of_a_template_with_a_spike(dtype, spike):
    """Mode "full": a lag whose overlap holds the template's part away from its one
    spike pairs samples near -mean(v) (the template is centred by its mean, here
    spike / 20), whose one-pass variance cancels. A review found it: float64 r off by
    8e-7 (spike 1e6) and 5.7e-2 (1e8), float32 by 3.5e-3 and 0.33. Such overlaps (up to
    16 pairs) now take r by two passes on both sides from the samples as given.
    Oracle: the two-pass float64 loop over the overlapping pairs (loop_pearson), within
    1e-12 in float64 (measured 3e-16) and 1e-5 in float32 (measured 9e-8)."""
    rng = np.random.default_rng(1)
    a = rng.standard_normal(200).astype(dtype)
    v = rng.standard_normal(20)
    v[10] = spike
    v = v.astype(dtype)
    got = cc.correlate(a, v, "full", normalize="pearson", method="direct")
    expected = loop_pearson(a, v, cc.correlation_lags(200, 20, "full"))
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    finite = ~np.isnan(expected)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    assert np.max(np.abs(got[finite] - expected[finite])) < tol


def _unit_scaled(x):
    """``x`` in float64 times the power of two that brings its largest magnitude into
    [1/2, 1): exact, and Pearson's r does not change (the oracle's own sums would
    overflow or underflow at the magnitudes below)."""
    x = np.asarray(x, dtype=np.float64)
    return np.ldexp(x, -np.frexp(np.max(np.abs(x)))[1])


@pytest.mark.parametrize("dtype, scales", [
    (np.float64, (1e200, 1e100, 1e-100)), (np.float64, (1e-300, 1e-220, 1e-130)),
    (np.float32, (1e30, 1e15, 1.0)), (np.float32, (1e-30, 1e-20, 1e-13))])
@pytest.mark.parametrize("m", [5, 64])
@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("layout", ["1-D", "2-D"])
def test_pearson_template_matching_lane_of_blocks_far_apart_in_magnitude(dtype, scales, m,
                                                                          threads, layout):
    """Template matching (pearson_valid) brings each block of 2048 lags of a lane whose
    largest sample is out of range into range as it takes it, not the whole lane by
    its largest sample: one lane of three stretches (one a block) 1e80-1e100 apart
    (float32 1e7-1e15), so that a lane scaled by its largest sample would square its
    quietest stretch to zero (1e-300 squared; before, those windows came out as noise
    or NaN), windows inside a stretch and windows across two (a block is scaled by its
    largest sample, the next stretch's first ones included: a rise of more than ~1e150
    within a block, float32 1e19, still squares its quiet windows to zero, as no scale
    of the whole block can help; nor is a lane whose largest sample is in range
    scaled at all);
    one and two threads; a 1-D signal (the fast path) and a row of a 2-D one (the
    general path). r does not change when the samples a window reads are scaled, so
    every window must match. Oracle: the two-pass float64 coefficient of each window,
    the window first divided by its own largest magnitude (exactly, a power of two)."""
    rng = np.random.default_rng(m)
    n = 3 * 2048 + m - 1
    a = rng.standard_normal(n)
    for k, scale in enumerate(scales):
        a[k * 2048:(k + 1) * 2048 + (m - 1 if k == 2 else 0)] *= scale
    a = a.astype(dtype)
    v = rng.standard_normal(m).astype(dtype)
    a_before = a.copy()
    previous = cc.get_num_threads()
    cc.set_num_threads(threads)
    try:
        if layout == "1-D":
            got = cc.correlate(a, v, normalize="pearson", method="direct")
        else:
            got = cc.correlate(np.stack([a, a[::-1]]), v, normalize="pearson",
                               method="direct")[0]
    finally:
        cc.set_num_threads(previous)
    np.testing.assert_array_equal(a, a_before)
    from numpy.lib.stride_tricks import sliding_window_view
    windows = sliding_window_view(a.astype(np.float64), m)
    _, exponent = np.frexp(np.max(np.abs(windows), axis=1, keepdims=True))
    scaled = np.ldexp(windows, -exponent)
    dx = scaled - scaled.mean(axis=1, keepdims=True)
    dv = v.astype(np.float64) - v.astype(np.float64).mean()
    expected = (dx @ dv) / np.sqrt((dx * dx).sum(axis=1) * (dv @ dv))
    assert got.dtype == dtype
    # windows across two stretches hold samples 1e300 times smaller than their
    # largest: those samples are noise below its rounding, and r is the others'
    tol = 1e-11 if dtype == np.float64 else 5e-5
    np.testing.assert_allclose(got, expected, atol=tol)


@pytest.mark.parametrize("method", ["direct", "fft"])
@pytest.mark.parametrize("call", ["valid", "full", "maxlag", "autocorrelate"])
@pytest.mark.parametrize("dtype, lane, template", [
    (np.float64, 1e-300, 1.0), (np.float64, 1e300, 1.0), (np.float64, 1e-160, 1e-160),
    (np.float64, 1e160, 1e160), (np.float64, 1.0, 1e-300),
    (np.float32, 1e-30, 1.0), (np.float32, 1e30, 1.0), (np.float32, 1e20, 1.0),
    (np.float32, 1e-20, 1e-20), (np.float32, 1.0, 1e30)])
def test_pearson_of_lanes_far_from_unit_magnitude(dtype, lane, template, call, method):
    """r is the same for a lane scaled by any factor, but the sums the routes take are
    not: before, with no warning, float64 lanes of 1e-300 or 1e300 and a lane and
    template both of 1e160 gave r off by up to 1 or all NaN (squares flushed to zero or
    overflowed, or the product of two window variances overflowed), float32 lanes of
    1e-30 were off by 1 on every method and of 1e20 by 0.44 through the FFT. Now a lane
    (or template) whose largest magnitude lies far from 1 is scaled by a power of two
    first. Oracle: the two-pass float64 coefficient of the pairs at each lag, of copies
    scaled exactly by numpy's frexp/ldexp."""
    rng = np.random.default_rng(5)
    n, m = 300, 16
    a = (lane * rng.standard_normal(n)).astype(dtype)
    v = (template * rng.standard_normal(m)).astype(dtype)
    a_before = a.copy()
    if call == "autocorrelate":
        got = cc.autocorrelate(a, "full", normalize="pearson", method=method)
        lags, v = cc.correlation_lags(n, n, "full"), a
    elif call == "maxlag":
        got = cc.correlate(a, v, maxlag=40, normalize="pearson", method=method)
        lags = range(-40, 41)
    else:
        got = cc.correlate(a, v, call, normalize="pearson", method=method)
        lags = cc.correlation_lags(n, m, call)
    assert got.dtype == dtype
    expected = loop_pearson(_unit_scaled(a), _unit_scaled(v), lags)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    tol = 1e-12 if dtype == np.float64 else 2e-5
    np.testing.assert_allclose(got, expected, atol=tol, equal_nan=True)
    np.testing.assert_array_equal(a, a_before)     # the scaling works on a copy
