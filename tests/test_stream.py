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
    # 2-D taps as arrays reach the compiled fast path first (it raised numpy's errors)
    (dict(h=np.ones((3, 3)), x=np.ones(5)), ValueError, r"h must be a 1-D array .* \(3, 3\)"),
    (dict(h=np.ones((2, 3)), x=np.ones(5)), ValueError, r"h must be a 1-D array .* \(2, 3\)"),
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


#: (name, c_in, c_out, k, dilation, groups, batch, chunk lengths): shapes that take each
#: of the forward's routes with the state as the chunk's left padding: one channel a row
#: read in place (depthwise), row kernels (< 4 outputs a group), the register tile
#: (igemm, grouped too), length blocks (a chunk of more than 1 MiB packed) and a sample
#: split between threads (batch 1); chunks shorter and longer than the span.
STREAM_ROUTES = [
    ("depthwise", 8, 8, 3, 2, 8, 3, [1, 3, 40, 7]),
    ("rows", 4, 2, 3, 1, 1, 2, [2, 1, 30]),
    ("igemm", 16, 32, 3, 4, 1, 2, [5, 64, 3, 100]),
    ("igemm-grouped", 32, 32, 2, 8, 4, 2, [9, 200]),
    ("blocked", 32, 16, 3, 2, 1, 1, [9000, 1500]),
    ("split", 16, 32, 5, 1, 1, 1, [2000, 7]),
]


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("route", STREAM_ROUTES, ids=[r[0] for r in STREAM_ROUTES])
def test_stream_routes_against_torch(route, dtype, threads):
    """Every route of the kernels reading the carried state in place, chunk by chunk,
    against torch's causal conv1d of the whole signal in float64; inputs (read-only
    state among them) unchanged; the state the last span input samples."""
    import torch
    _, c_in, c_out, k, dilation, groups, batch, sizes = route
    rng = np.random.default_rng(len(sizes) + c_in)
    length = sum(sizes)
    x = rng.standard_normal((batch, c_in, length)).astype(dtype)
    w = rng.standard_normal((c_out, c_in // groups, k)).astype(dtype)
    b = rng.standard_normal(c_out).astype(dtype)
    span = dilation * (k - 1)
    old = cc.get_num_threads()
    cc.set_num_threads(threads)
    try:
        state, pieces, lo = None, [], 0
        for size in sizes:
            if state is not None:
                state.flags.writeable = False
                held = state.copy()
            chunk = x[:, :, lo:lo + size]
            y, new_state = cc.conv1d_stream(chunk, w, b, state=state, dilation=dilation,
                                            groups=groups)
            if state is not None:
                np.testing.assert_array_equal(state, held)
            assert y.shape == (batch, c_out, size) and y.dtype == dtype
            pieces.append(y)
            state, lo = new_state, lo + size
    finally:
        cc.set_num_threads(old)
    expected = torch.nn.functional.conv1d(
        torch.nn.functional.pad(torch.from_numpy(x.astype(np.float64)), (span, 0)),
        torch.from_numpy(w.astype(np.float64)), torch.from_numpy(b.astype(np.float64)),
        dilation=dilation, groups=groups).numpy()
    tol = 2e-4 if dtype == np.float32 else 1e-11
    np.testing.assert_allclose(np.concatenate(pieces, axis=-1), expected, atol=tol,
                               rtol=tol)
    np.testing.assert_array_equal(state, x[:, :, length - span:])


def test_stream_unbatched_and_state_errors():
    w = np.ones((2, 1, 3))
    y, state = cc.conv1d_stream(np.ones((1, 4)), w)
    assert y.shape == (2, 4) and state.shape == (1, 2)
    with pytest.raises(ValueError, match=r"state must have shape \(1, 2\)"):
        cc.conv1d_stream(np.ones((1, 4)), w, state=np.zeros((1, 3)))
    # a batched state for unbatched x, even of one sample, is refused (it was let through)
    with pytest.raises(ValueError, match=r"state must have shape \(1, 2\).*\(1, 1, 2\)"):
        cc.conv1d_stream(np.ones((1, 4)), w, state=np.zeros((1, 1, 2)))
    with pytest.raises(ValueError, match=r"state must have shape \(1, 2\)"):
        cc.conv1d_stream(np.ones((1, 4)), w, state=np.zeros(2))     # nor a 1-D one
    with pytest.raises(ValueError, match=r"state must have shape \(1, 1, 2\)"):
        cc.conv1d_stream(np.ones((1, 1, 4)), w, state=np.zeros((1, 2)))
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
    # "zero" is the documented alias of "zeros" (it was refused: an audit's find)
    alias = cc.Conv1d(2, 3, 4, padding="causal", padding_mode="zero", rng=1)
    np.testing.assert_allclose(
        np.concatenate([alias.stream(x[..., :7]), alias.stream(x[..., 7:])], axis=-1),
        alias(x), atol=1e-5)


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


# --- the FFT route (cc_fft.h through _stream.fir_chunk / fft_full) ---------------------

# Geometries of both kinds: one chunk per transform with the filter's partitions paired
# (short chunks, long filters), and two chunk blocks per transform (long chunks).
FFT_CASES = [(1, 1), (1, 300), (5, 1000), (64, 511), (256, 511), (100, 4097), (255, 256),
             (3001, 2), (5000, 31), (20000, 511), (10000, 3000), (4096, 4096)]


def fft_tolerance(h, x, zi, dtype):
    """An error bound for the transform's sums: float64 rounding times the transform's
    depth on the scale of the products, plus float32's rounding of the outputs."""
    scale = np.abs(h).sum() * max(np.abs(x).max(initial=0.0), 1e-300) + np.abs(zi).max(
        initial=0.0)
    depth = np.log2(2 * (len(h) + len(x)) + 2)
    eps = np.finfo(dtype).eps
    return scale * (1e-15 * depth + 4 * eps)


@pytest.fixture(params=["scalar", "avx2"])
def simd(request):
    """The SIMD path for the test (the FFT's AVX2 build on avx2 and avx512)."""
    from cconv1d import _kernels
    if request.param not in _kernels.usable_paths():
        pytest.skip(f"this CPU cannot run the {request.param} path")
    _kernels.select_simd(request.param)
    yield request.param
    _kernels.select_simd(None)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n, m", FFT_CASES)
def test_fft_route_against_lfilter(n, m, dtype, simd):
    from cconv1d._stream import fir_chunk
    rng = np.random.default_rng(n * 7919 + m)
    h = rng.standard_normal(m).astype(dtype)
    x = rng.standard_normal(n).astype(dtype)
    zi = rng.standard_normal(m - 1).astype(dtype)
    y, zf = fir_chunk(h, x, zi, -1, "fft")
    ey, ezf = scipy.signal.lfilter(h.astype(np.float64), [1.0], x.astype(np.float64),
                                   zi=zi.astype(np.float64))
    assert y.dtype == zf.dtype == dtype and y.shape == (n,) and zf.shape == (m - 1,)
    tol = fft_tolerance(h, x, zi, dtype)
    np.testing.assert_allclose(y, ey, rtol=0, atol=tol)
    np.testing.assert_allclose(zf, ezf, rtol=0, atol=tol)
    y0 = fir_chunk(h, x, None, -1, "fft")[0]
    np.testing.assert_allclose(y0, scipy.signal.lfilter(h.astype(np.float64), [1.0],
                                                        x.astype(np.float64)),
                               rtol=0, atol=tol)


@pytest.mark.parametrize("x_scale, h_scale", [(2.0**1018, 2.0**-1018), (2.0**-1018, 2.0**1010),
                                              (2.0**-520, 2.0**-480), (2.0**600, 2.0**400)])
@pytest.mark.parametrize("n, m", [(256, 511), (20000, 511)])
def test_fft_route_extreme_magnitudes_scaled_exactly(n, m, x_scale, h_scale):
    """Signals near float64's limits: the transform's sums of n values would overflow
    (or sink into subnormals) unscaled; blocks and taps are scaled by powers of two."""
    rng = np.random.default_rng(5)
    h = rng.standard_normal(m) * h_scale
    x = rng.standard_normal(n) * x_scale
    y = cc.fir_filter(h, x, method="fft")
    expected = scipy.signal.lfilter(h, [1.0], x)
    assert np.isfinite(y).all()
    np.testing.assert_allclose(y, expected, rtol=0,
                               atol=1e-13 * np.abs(h).sum() * np.abs(x).max())


@pytest.mark.parametrize("m", [2, 33, 511])
def test_fft_route_empty_chunk_keeps_the_state(m):
    """An empty chunk: no outputs, the state passed on (its plan once wrote one tap past
    a partition's end: ASan found it)."""
    zi = np.arange(m - 1, dtype=float)
    y, zf = cc.fir_filter(np.ones(m), np.zeros(0), zi=zi, method="fft")
    assert y.shape == (0,)
    np.testing.assert_array_equal(zf, zi)


def test_fft_plan_cache_follows_the_taps():
    """Plans are matched by the taps' bytes: a filter changed in place, or two filters
    taking turns on one stream length, never reuse a stale spectrum."""
    rng = np.random.default_rng(9)
    h = rng.standard_normal(511)
    other = rng.standard_normal(511)
    x = rng.standard_normal(256)
    for step in range(6):
        taps = other if step % 3 == 2 else h
        y = cc.fir_filter(taps, x, method="fft")
        np.testing.assert_allclose(y, scipy.signal.lfilter(taps, [1.0], x), atol=1e-11)
        h[step * 7] += 1.0      # in place: the next call must see it


def test_fft_route_auto_takes_it_and_falls_back_on_nan():
    rng = np.random.default_rng(10)
    h, x, zi = rng.standard_normal(511), rng.standard_normal(256), rng.standard_normal(510)
    y_auto, zf_auto = cc.fir_filter(h, x, zi=zi)
    y_fft, zf_fft = cc.fir_filter(h, x, zi=zi, method="fft")
    np.testing.assert_array_equal(y_auto, y_fft)      # auto chose the FFT for 511 taps
    np.testing.assert_array_equal(zf_auto, zf_fft)
    x[100] = np.nan
    y, zf = cc.fir_filter(h, x, zi=zi)
    ey, ezf = scipy.signal.lfilter(h, [1.0], x, zi=zi)
    np.testing.assert_allclose(y, ey, atol=1e-11, equal_nan=True)   # NaN only after 100
    assert np.isfinite(y[:100]).all() and np.isnan(y[100:]).all()
    np.testing.assert_allclose(zf, ezf, equal_nan=True)
    y_fft = cc.fir_filter(h, x, method="fft")
    assert np.isnan(y_fft).any()      # asked for: the transform spreads the NaN


def test_auto_keeps_short_filters_exact():
    """Under 32 taps auto sums directly: small integers give lfilter's exact values."""
    h = np.arange(1.0, 32.0)            # 31 taps
    x = np.arange(300.0) % 7
    np.testing.assert_array_equal(cc.fir_filter(h, x), scipy.signal.lfilter(h, [1.0], x))
    y, zf = cc.fir_filter(h, x, zi=np.ones(30))
    ey, ezf = scipy.signal.lfilter(h, [1.0], x, zi=np.ones(30))
    np.testing.assert_array_equal(y, ey)
    np.testing.assert_array_equal(zf, ezf)


def test_fft_route_streams_in_threads():
    """Plans are shared; work arrays are per call: four streams in four threads."""
    from concurrent.futures import ThreadPoolExecutor
    rng = np.random.default_rng(11)
    filters = [rng.standard_normal(300 + 50 * k) for k in range(4)]
    signal = rng.standard_normal(8192)

    def stream(h):
        zi, pieces = np.zeros(len(h) - 1), []
        for start in range(0, len(signal), 128):
            y, zi = cc.fir_filter(h, signal[start:start + 128], zi=zi, method="fft")
            pieces.append(y)
        return np.concatenate(pieces), zi

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(stream, filters * 2))
    for h, (y, zf) in zip(filters * 2, results):
        ey, ezf = scipy.signal.lfilter(h, [1.0], signal, zi=np.zeros(len(h) - 1))
        np.testing.assert_allclose(y, ey, atol=1e-10)
        np.testing.assert_allclose(zf, ezf, atol=1e-10)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fft_route_nd_long_filter(dtype):
    rng = np.random.default_rng(12)
    x = rng.standard_normal((3, 2000, 2)).astype(dtype)
    h = rng.standard_normal(700).astype(dtype)
    zi = rng.standard_normal((3, 699, 2)).astype(dtype)
    y, zf = cc.fir_filter(h, x, axis=1, zi=zi, method="fft")
    ey, ezf = scipy.signal.lfilter(h.astype(np.float64), [1.0], x.astype(np.float64), axis=1,
                                   zi=zi.astype(np.float64))
    tol = fft_tolerance(h, x.ravel(), zi.ravel(), dtype)
    assert y.dtype == dtype
    np.testing.assert_allclose(y, ey, rtol=0, atol=tol)
    np.testing.assert_allclose(zf, ezf, rtol=0, atol=tol)


@pytest.mark.parametrize("axis", [0.0, 1.0, False, True, "0"])
def test_non_integer_axis_refused_on_every_path(axis):
    """Before: the 1-D fast path compared axis by value, so 0.0 and False filtered along
    axis 0 where the general path (and convolve) raise TypeError."""
    h, x = np.array([1.0, 2.0]), np.array([1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="axis"):
        cc.fir_filter(h, x, axis=axis)
    with pytest.raises(TypeError, match="axis"):
        cc.fir_filter(h, x.reshape(1, 3), axis=axis)
    np.testing.assert_array_equal(cc.fir_filter(h, x, axis=np.int64(0)), [1.0, 4.0, 7.0])
