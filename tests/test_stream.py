"""fir_filter against scipy.signal.lfilter (values, zi/zf, chunkings) and conv1d_stream /
Conv1d.stream against one-shot causal conv1d (API.md 7.2)."""

import numpy as np
import pytest
import scipy.signal
from hypothesis import given, settings
from hypothesis import strategies as st

import cconv1d as cc


def chunk_edges(total, sizes):
    edges, pos = [0], 0
    for size in sizes:
        pos = min(total, pos + size)
        edges.append(pos)
    if edges[-1] != total:
        edges.append(total)
    return edges


@pytest.mark.parametrize("method", ["auto", "direct", "fft"])
@settings(max_examples=40, deadline=None)
@given(n=st.integers(0, 200), m=st.integers(1, 60), seed=st.integers(0, 2**16),
       sizes=st.lists(st.integers(0, 70), min_size=1, max_size=12))
def test_chunked_equals_one_shot_and_lfilter(method, n, m, seed, sizes):
    rng = np.random.default_rng(seed)
    h, x = rng.standard_normal(m), rng.standard_normal(n)
    zi0 = rng.standard_normal(m - 1)
    if n:
        expected, expected_zf = scipy.signal.lfilter(h, [1.0], x, zi=zi0)
    else:   # lfilter refuses some empty inputs; the definition: nothing out, state kept
        expected, expected_zf = np.zeros(0), zi0
    zi, pieces = zi0, []
    edges = chunk_edges(n, sizes)
    for lo, hi in zip(edges[:-1], edges[1:]):
        y, zi = cc.fir_filter(h, x[lo:hi], zi=zi, method=method)
        pieces.append(y)
    np.testing.assert_allclose(np.concatenate(pieces) if pieces else np.zeros(0), expected,
                               atol=1e-10)
    np.testing.assert_allclose(zi, expected_zf, atol=1e-10)
    if n:
        np.testing.assert_allclose(cc.fir_filter(h, x, method=method),
                                   scipy.signal.lfilter(h, [1.0], x), atol=1e-10)


@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("method", ["direct", "fft"])
def test_nd_along_axis_with_state(axis, method):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((5, 40, 3))
    h = rng.standard_normal(7)
    shape = list(x.shape)
    shape[axis] = 6
    zi = rng.standard_normal(shape)
    y, zf = cc.fir_filter(h, x, axis=axis, zi=zi, method=method)
    ey, ezf = scipy.signal.lfilter(h, [1.0], x, axis=axis, zi=zi)
    np.testing.assert_allclose(y, ey, atol=1e-12)
    np.testing.assert_allclose(zf, ezf, atol=1e-12)
    assert zf.shape == ezf.shape


def test_zi_broadcasts_like_scipy():
    x = np.ones((3, 20))
    h = np.array([1.0, 2.0, 3.0])
    zi = np.array([[1.0, 2.0]])          # (1, 2): broadcast over the 3 lanes
    y, zf = cc.fir_filter(h, x, zi=zi)
    ey, ezf = scipy.signal.lfilter(h, [1.0], x, zi=zi)
    np.testing.assert_allclose(y, ey)
    np.testing.assert_allclose(zf, ezf)


@pytest.mark.parametrize("dtype, tol", [(np.float32, 1e-5), (np.float64, 1e-12),
                                        (np.complex64, 1e-5), (np.complex128, 1e-12)])
@pytest.mark.parametrize("method", ["direct", "fft"])
def test_dtypes(dtype, tol, method):
    rng = np.random.default_rng(2)
    x = rng.standard_normal(300).astype(dtype)
    h = rng.standard_normal(33).astype(dtype)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.standard_normal(300).astype(dtype)
    zi = np.zeros(32, dtype=dtype)
    y, zf = cc.fir_filter(h, x, zi=zi, method=method)
    # float32 stays float32 (API section 1): lfilter's dtype when `a` has h's dtype
    ey, ezf = scipy.signal.lfilter(h, np.ones(1, dtype), x, zi=zi)
    assert y.dtype == ey.dtype == dtype and zf.dtype == ezf.dtype
    np.testing.assert_allclose(y, ey, atol=tol * 10, rtol=tol)
    np.testing.assert_allclose(zf, ezf, atol=tol * 10, rtol=tol)


def test_integer_input_gives_float64_and_one_tap():
    y = cc.fir_filter([2], np.arange(4))
    assert y.dtype == np.float64
    np.testing.assert_array_equal(y, [0.0, 2.0, 4.0, 6.0])
    y, zf = cc.fir_filter([2.0], [1.0, 2.0], zi=np.zeros(0))
    assert zf.shape == (0,)


def test_long_filter_fft_cost_is_not_per_tap():
    """A 4097-tap filter over 2**16 samples: the FFT route matches lfilter."""
    rng = np.random.default_rng(3)
    h, x = rng.standard_normal(4097), rng.standard_normal(2**16)
    np.testing.assert_allclose(cc.fir_filter(h, x, method="fft"),
                               scipy.signal.lfilter(h, [1.0], x), atol=1e-9)


def test_inputs_unchanged_and_readonly():
    x = np.arange(50.0)
    x.flags.writeable = False
    zi = np.ones(4)
    zi.flags.writeable = False
    h = np.array([1.0, -1.0, 0.5, 0.25, 2.0])[::-1]   # negative stride
    y, zf = cc.fir_filter(h, x, zi=zi)
    ey, ezf = scipy.signal.lfilter(h, [1.0], x, zi=zi)
    np.testing.assert_allclose(y, ey)
    np.testing.assert_allclose(zf, ezf)
    np.testing.assert_array_equal(zi, np.ones(4))
    big_endian = x.astype(">f8")
    np.testing.assert_allclose(cc.fir_filter(h, big_endian), scipy.signal.lfilter(h, [1.0], x))


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(h=[], x=[1.0]), ValueError, "h must be a 1-D array with at least one tap"),
    (dict(h=[[1.0]], x=[1.0]), ValueError, "h must be a 1-D array"),
    (dict(h=[1.0], x=1.0), ValueError, "x must be at least 1-D"),
    (dict(h=[1.0, 2.0], x=[1.0], zi=[1.0, 2.0]), ValueError, r"zi must have shape \(1,\)"),
    (dict(h=[1.0], x=[1.0], method="fast"), ValueError, "method must be one of"),
    (dict(h=[1.0], x=[1.0], axis=2), ValueError, "axis 2 is out of bounds"),
    (dict(h=["a"], x=[1.0]), TypeError, "h: dtype"),
])
def test_fir_filter_errors(kwargs, error, message):
    h, x = kwargs.pop("h"), kwargs.pop("x")
    with pytest.raises(error, match=message):
        cc.fir_filter(h, x, **kwargs)


# --- conv1d_stream ------------------------------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(length=st.integers(0, 60), k=st.integers(1, 5), dilation=st.integers(1, 3),
       groups=st.sampled_from([1, 2]), bias=st.booleans(), seed=st.integers(0, 2**16),
       sizes=st.lists(st.integers(0, 20), min_size=1, max_size=8),
       dtype=st.sampled_from([np.float32, np.float64]))
def test_stream_equals_causal_conv1d(length, k, dilation, groups, bias, seed, sizes, dtype):
    rng = np.random.default_rng(seed)
    c_in, c_out = 2 * groups, 2 * groups
    x = rng.standard_normal((3, c_in, length)).astype(dtype)
    w = rng.standard_normal((c_out, c_in // groups, k)).astype(dtype)
    b = rng.standard_normal(c_out).astype(dtype) if bias else None
    state, pieces = None, []
    for lo, hi in zip(chunk_edges(length, sizes)[:-1], chunk_edges(length, sizes)[1:]):
        y, state = cc.conv1d_stream(x[:, :, lo:hi], w, b, state=state, dilation=dilation,
                                    groups=groups)
        assert y.shape == (3, c_out, hi - lo) and y.dtype == dtype
        pieces.append(y)
    if length == 0:
        return
    got = np.concatenate(pieces, axis=-1)
    import torch
    expected = torch.nn.functional.conv1d(
        torch.nn.functional.pad(torch.from_numpy(x.astype(np.float64)),
                                (dilation * (k - 1), 0)),
        torch.from_numpy(w.astype(np.float64)),
        None if b is None else torch.from_numpy(b.astype(np.float64)),
        dilation=dilation, groups=groups).numpy()
    tol = 1e-4 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got, expected, atol=tol, rtol=tol)
    np.testing.assert_allclose(got, cc.conv1d(x, w, b, padding="causal", dilation=dilation,
                                              groups=groups), atol=tol, rtol=tol)
    span = dilation * (k - 1)
    padded = np.concatenate([np.zeros((3, c_in, span), dtype), x], axis=-1)
    np.testing.assert_array_equal(state, padded[:, :, padded.shape[-1] - span:])


def test_stream_unbatched_and_state_errors():
    w = np.ones((2, 1, 3))
    y, state = cc.conv1d_stream(np.ones((1, 4)), w)
    assert y.shape == (2, 4) and state.shape == (1, 2)
    with pytest.raises(ValueError, match=r"state must have shape \(1, 2\)"):
        cc.conv1d_stream(np.ones((1, 4)), w, state=np.zeros((1, 3)))
    with pytest.raises(ValueError, match="x must be"):
        cc.conv1d_stream(np.ones(4), w)
    with pytest.raises(ValueError, match="weight must be"):
        cc.conv1d_stream(np.ones((1, 4)), np.ones((2, 3)))
    with pytest.raises(TypeError, match="complex"):
        cc.conv1d_stream(np.ones((1, 4), complex), w)


def test_layer_stream_matches_forward_and_refuses_non_causal():
    layer = cc.Conv1d(2, 3, 4, padding="causal", dilation=2, rng=1)
    x = np.random.default_rng(4).standard_normal((2, 2, 50)).astype(np.float32)
    pieces = [layer.stream(x[..., lo:hi]) for lo, hi in [(0, 0), (0, 1), (1, 17), (17, 50)]]
    np.testing.assert_allclose(np.concatenate(pieces, axis=-1), layer(x), atol=1e-5)
    with pytest.raises(ValueError, match="reset_stream"):
        layer.stream(x[:1, :, :5])
    layer.reset_stream()
    np.testing.assert_allclose(layer.stream(x[:1]), layer(x[:1]), atol=1e-5)
    for bad in (cc.Conv1d(1, 1, 3, padding="same"), cc.Conv1d(1, 1, 3, stride=2,
                                                               padding="causal"),
                cc.Conv1d(1, 1, 3, padding="causal", padding_mode="reflect")):
        with pytest.raises(ValueError, match="needs a causal layer"):
            bad.stream(np.ones((1, 1, 5), np.float32))
    explicit = cc.Conv1d(1, 1, 3, padding=(2, 0), rng=0)
    np.testing.assert_allclose(explicit.stream(np.ones((1, 8), np.float32)),
                               explicit(np.ones((1, 8), np.float32)), atol=1e-6)


@pytest.mark.parametrize("avx2", [False, True])
@pytest.mark.parametrize("dtype, tol", [(np.float32, 1e-4), (np.float64, 1e-11)])
def test_block_kernel_both_paths(avx2, dtype, tol):
    """The compiled block FIR, scalar and AVX2 (falls back to scalar without it), over
    block-edge lengths."""
    from cconv1d._stream import fir_block
    rng = np.random.default_rng(8)
    for n, m in [(0, 1), (1, 1), (15, 17), (16, 16), (17, 33), (256, 511), (300, 2)]:
        h = rng.standard_normal(m).astype(dtype)
        x = rng.standard_normal(n).astype(dtype)
        zi = rng.standard_normal(m - 1).astype(dtype)
        y, zf = fir_block(h, x, zi, avx2)
        if n:
            ey, ezf = scipy.signal.lfilter(h.astype(np.float64), [1.0], x.astype(np.float64),
                                           zi=zi.astype(np.float64))
        else:
            ey, ezf = np.zeros(0), zi
        assert y.dtype == zf.dtype == dtype
        np.testing.assert_allclose(y, ey, atol=tol * np.sqrt(m), rtol=tol)
        np.testing.assert_allclose(zf, ezf, atol=tol * np.sqrt(m), rtol=tol)
    assert fir_block(np.ones(3), np.ones(4, np.float32), None, avx2) is None  # mixed dtypes


@pytest.mark.parametrize("method", ["auto", "direct", "fft"])
def test_nonfinite_taps_and_samples_like_lfilter(method):
    """NaN/inf taps reach only the outputs lfilter gives them (before, on the compiled
    path, the outputs before the tap's delay were NaN too: 0 * nan on the border)."""
    h = np.array([1.0, 0.5, np.nan, 0.25])
    x = np.arange(1.0, 11.0)
    zi = np.ones(3)
    if method == "fft":   # an FFT spreads NaN everywhere, as for convolve
        return
    y, zf = cc.fir_filter(h, x, zi=zi, method=method)
    ey, ezf = scipy.signal.lfilter(h, [1.0], x, zi=zi)
    np.testing.assert_allclose(y, ey, equal_nan=True)
    np.testing.assert_allclose(zf, ezf, equal_nan=True)
    assert np.isfinite(y[:2]).all()
    x_nan = x.copy()
    x_nan[4] = np.nan
    finite_h = np.array([1.0, 0.5, 0.25])
    y, zf = cc.fir_filter(finite_h, x_nan, zi=np.zeros(2), method=method)
    ey, ezf = scipy.signal.lfilter(finite_h, [1.0], x_nan, zi=np.zeros(2))
    np.testing.assert_allclose(y, ey, equal_nan=True)
    np.testing.assert_allclose(zf, ezf, equal_nan=True)
