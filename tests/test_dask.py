"""Tests of ``cconv1d.dask``: lazy, chunked convolution of Dask arrays.

Every lazy result is compared with the in-memory function (``cc.convolve``,
``cc.correlate``, ``cc.conv1d``) on the same data; that is the oracle (it is itself
tested against NumPy / PyTorch elsewhere). The comparison goes through
``dask.array.utils.assert_eq``, which also checks that the declared shape, dtype and
chunk sizes of the lazy array match what its tasks really return.
"""

import os
import signal
import subprocess
import sys
import textwrap
import warnings
from contextlib import contextmanager

import dask.array as da
import distributed
import numpy as np
import pytest
from dask.array.utils import assert_eq
from hypothesis import given
from hypothesis import strategies as st

import cconv1d as cc
from cconv1d import dask as ccd
from oracles_padding import ALL_PADDING_MODES

SIGNAL_MODES = ["full", "same", "valid"]
HALO_WARNING = "smaller than the kernel's halo"


# --------------------------------------------------------------------------- helpers

def _tolerance(dtype):
    return 2e-5 if np.dtype(dtype) in (np.float32, np.complex64) else 1e-11


def assert_matches(lazy, expected, scheduler="sync"):
    """``lazy`` is a dask Array whose value, shape, dtype and chunks equal ``expected``."""
    assert isinstance(lazy, da.Array), type(lazy)
    assert lazy.shape == expected.shape
    assert lazy.dtype == expected.dtype
    tol = _tolerance(expected.dtype)
    finite = np.abs(expected[np.isfinite(expected)]) if expected.size else np.zeros(1)
    scale = max(1.0, float(finite.max())) if finite.size else 1.0
    assert_eq(lazy, expected, rtol=tol, atol=tol * scale, scheduler=scheduler)


def chunks_from_sizes(n, size):
    """``size``-sample chunks with an uneven last chunk."""
    size = max(1, min(size, n))
    return (size,) * (n // size) + ((n % size,) if n % size else ())


@st.composite
def chunkings(draw, n):
    """A chunking of ``n`` samples: all ones, a prime or other uniform size with an
    uneven remainder, or arbitrary cut points."""
    kind = draw(st.sampled_from(["ones", "prime", "uniform", "random", "whole"]))
    if kind == "ones":
        return (1,) * n
    if kind == "prime":
        return chunks_from_sizes(n, draw(st.sampled_from([2, 3, 5, 7, 11, 13])))
    if kind == "uniform":
        return chunks_from_sizes(n, draw(st.integers(1, n)))
    if kind == "whole":
        return (n,)
    cuts = sorted(draw(st.sets(st.integers(1, n - 1), max_size=8))) if n > 1 else []
    edges = [0] + cuts + [n]
    return tuple(b - a for a, b in zip(edges, edges[1:]))


def halo_warned(records):
    return any(issubclass(r.category, UserWarning) and HALO_WARNING in str(r.message)
               for r in records)


def needs_rechunk(length_chunks, halo):
    return halo > 0 and len(length_chunks) > 1 and min(length_chunks[:-1]) < halo


def _random(rng, shape, dtype):
    dtype = np.dtype(dtype)
    if dtype.kind == "c":
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)
    if dtype.kind in "iu":
        return rng.integers(-20, 20, size=shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


# ------------------------------------------------- property tests: random chunkings

@given(data=st.data())
def test_signal_functions_match_in_memory_over_random_chunkings(data):
    """convolve / correlate on N-D ``a`` (axis 0, 1 or -1), real or complex, any mode,
    kernels shorter or longer than a chunk and than the signal."""
    fn_name = data.draw(st.sampled_from(["convolve", "correlate"]))
    ndim = data.draw(st.integers(1, 3))
    axis = data.draw(st.integers(-ndim, ndim - 1))
    n = data.draw(st.integers(1, 40))
    shape = [data.draw(st.integers(1, 3)) for _ in range(ndim)]
    shape[axis] = n
    m = data.draw(st.integers(1, 45))
    mode = data.draw(st.sampled_from(SIGNAL_MODES))
    dtype = data.draw(st.sampled_from(["float64", "float32", "complex128", "complex64",
                                       "int32"]))
    kdtype = data.draw(st.sampled_from(["float64", "float32", "complex128"]))
    method = data.draw(st.sampled_from(["auto", "direct", "fft"]))
    chunks = [data.draw(chunkings(s)) for s in shape]
    seed = data.draw(st.integers(0, 2**32 - 1))

    rng = np.random.default_rng(seed)
    a = _random(rng, tuple(shape), dtype)
    v = _random(rng, (m,), kdtype)
    fn, lazy_fn = getattr(cc, fn_name), getattr(ccd, fn_name)
    expected = fn(a, v, mode, axis=axis, method=method)
    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always")
        lazy = lazy_fn(da.from_array(a, chunks=tuple(chunks)), v, mode, axis=axis,
                       method=method)
    # A kernel longer than the signal sends each lane whole to one task: no halo.
    assert halo_warned(records) == (m <= n and needs_rechunk(chunks[axis], m - 1))
    assert_matches(lazy, expected)


@st.composite
def conv1d_cases(draw):
    groups = draw(st.sampled_from([1, 2, 3]))
    c_in = groups * draw(st.integers(1, 2))
    c_out = groups * draw(st.integers(1, 2))
    k_size = draw(st.integers(1, 6))
    n_batch = draw(st.integers(1, 3))
    length = draw(st.integers(1, 40))
    width = st.integers(0, 50)          # up to more than the signal's length
    padding = draw(st.one_of(st.sampled_from(["valid", "same", "full", "causal"]),
                             width, st.tuples(width, width)))
    kwargs = dict(stride=draw(st.integers(1, 4)), padding=padding,
                  dilation=draw(st.integers(1, 3)), groups=groups,
                  padding_mode=draw(st.sampled_from(ALL_PADDING_MODES)),
                  pad_value=draw(st.floats(-5, 5)), flip=draw(st.booleans()))
    return dict(
        kwargs=kwargs, c_in=c_in, c_out=c_out, k_size=k_size, n_batch=n_batch,
        length=length, bias=draw(st.booleans()), batched=draw(st.booleans()),
        dtype=draw(st.sampled_from(["float64", "float32"])),
        batch_chunks=draw(chunkings(n_batch)), length_chunks=draw(chunkings(length)),
        seed=draw(st.integers(0, 2**32 - 1)))


@given(case=conv1d_cases())
def test_conv1d_matches_in_memory_over_random_chunkings(case):
    """conv1d with every padding, padding mode, stride, dilation, groups, flip and bias,
    chunked along batch and length."""
    rng = np.random.default_rng(case["seed"])
    dtype = case["dtype"]
    x = _random(rng, (case["n_batch"], case["c_in"], case["length"]), dtype)
    w = _random(rng, (case["c_out"], case["c_in"] // case["kwargs"]["groups"],
                      case["k_size"]), dtype)
    b = _random(rng, (case["c_out"],), dtype) if case["bias"] else None
    chunks = (case["batch_chunks"], case["c_in"], case["length_chunks"])
    if not case["batched"]:
        x, chunks = x[0], chunks[1:]
    kwargs = case["kwargs"]
    try:
        expected = cc.conv1d(x, w, b, **kwargs)
    except ValueError as exc:   # e.g. an output length < 1: the lazy call refuses too
        with pytest.raises(ValueError, match=r"^output length .*padding"):
            ccd.conv1d(da.from_array(x, chunks=chunks), w, b, **kwargs)
        assert "output length" in str(exc)
        return
    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always")
        lazy = ccd.conv1d(da.from_array(x, chunks=chunks), w, b, **kwargs)
    halo = kwargs["dilation"] * (case["k_size"] - 1)
    assert halo_warned(records) == needs_rechunk(case["length_chunks"], halo)
    assert_matches(lazy, expected)


# ---------------------------------------------- exhaustive: every mode x every padding

PADDINGS = [  # (padding, stride, dilation)
    ("valid", 1, 1), ("same", 1, 1), ("same", 2, 1), ("same", 3, 2), ("full", 1, 2),
    ("causal", 2, 1), (4, 1, 1), ((0, 9), 2, 1), ((7, 2), 1, 3),
    ((23, 31), 1, 1),   # widths larger than the 13-sample signal
    (40, 3, 2),
]


@pytest.mark.parametrize("padding_mode", ALL_PADDING_MODES)
@pytest.mark.parametrize("padding,stride,dilation", PADDINGS)
def test_conv1d_every_padding_mode_and_padding(padding_mode, padding, stride, dilation):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 2, 13))
    w = rng.standard_normal((3, 2, 4))
    b = rng.standard_normal(3)
    kw = dict(stride=stride, padding=padding, dilation=dilation,
              padding_mode=padding_mode, pad_value=-2.5)
    expected = cc.conv1d(x, w, b, **kw)
    for chunks in [(1, 2, 5), (2, 2, (6, 6, 1)), (1, 2, 13)]:   # 5 >= halo <= 9
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            lazy = ccd.conv1d(da.from_array(x, chunks=chunks), w, b, **kw)
        assert_matches(lazy, expected)


@pytest.mark.parametrize("padding_mode", ["zeros", "constant", "reflect", "wrap", "median",
                                          "linear_ramp", "smooth"])
def test_conv1d_float32_unbatched_with_bias_groups_flip(padding_mode):
    rng = np.random.default_rng(11)
    x = rng.standard_normal((4, 101)).astype(np.float32)
    w = rng.standard_normal((6, 2, 5)).astype(np.float32)
    b = rng.standard_normal(6).astype(np.float32)
    kw = dict(stride=3, padding="same", dilation=2, groups=2, flip=True,
              padding_mode=padding_mode, pad_value=0.75)
    lazy = ccd.conv1d(da.from_array(x, chunks=(4, 17)), w, b, **kw)
    assert lazy.shape == (6, 34)
    assert_matches(lazy, cc.conv1d(x, w, b, **kw))


# ---------------------------------------------------------- named awkward chunkings

CHUNKINGS = {
    "ones": lambda n: (1,) * n,
    "prime7": lambda n: chunks_from_sizes(n, 7),
    "prime13": lambda n: chunks_from_sizes(n, 13),
    "uneven-last": lambda n: (10,) * (n // 10) + (n % 10,),
    "single": lambda n: (n,),
}


@pytest.mark.parametrize("chunking", sorted(CHUNKINGS))
@pytest.mark.parametrize("m", [1, 2, 9, 25, 64])   # 25, 64: halo > chunk; 64 > signal
@pytest.mark.parametrize("fn_name", ["convolve", "correlate"])
def test_signal_named_chunkings(fn_name, m, chunking):
    rng = np.random.default_rng(m)
    n = 53
    a = rng.standard_normal((2, n))
    v = rng.standard_normal(m)
    chunks = (1, CHUNKINGS[chunking](n))
    for mode in SIGNAL_MODES:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            lazy = getattr(ccd, fn_name)(da.from_array(a, chunks=chunks), v, mode)
        assert_matches(lazy, getattr(cc, fn_name)(a, v, mode))


@pytest.mark.parametrize("chunking", sorted(CHUNKINGS))
@pytest.mark.parametrize("k_size,dilation", [(1, 1), (3, 1), (5, 4), (9, 8)])
def test_conv1d_named_chunkings(chunking, k_size, dilation):
    rng = np.random.default_rng(k_size)
    n = 47
    x = rng.standard_normal((3, 2, n))
    w = rng.standard_normal((2, 2, k_size))
    chunks = ((2, 1), 2, CHUNKINGS[chunking](n))
    for kw in [dict(padding="same", stride=2, padding_mode="reflect"),
               dict(padding="causal", padding_mode="wrap"),
               dict(padding=(60, 3), stride=3, padding_mode="symmetric")]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            lazy = ccd.conv1d(da.from_array(x, chunks=chunks), w, dilation=dilation, **kw)
        assert_matches(lazy, cc.conv1d(x, w, dilation=dilation, **kw))


def test_complex_correlate_conjugates_kernel():
    rng = np.random.default_rng(3)
    a = rng.standard_normal(40) + 1j * rng.standard_normal(40)
    v = rng.standard_normal(6) + 1j * rng.standard_normal(6)
    for mode in SIGNAL_MODES:
        lazy = ccd.correlate(da.from_array(a, chunks=7), v, mode)
        assert_matches(lazy, cc.correlate(a, v, mode))
        np.testing.assert_allclose(lazy.compute(), np.correlate(a, v, mode), atol=1e-12)
        np.testing.assert_allclose(ccd.convolve(da.from_array(a, chunks=7), v, mode)
                                   .compute(), np.convolve(a, v, mode), atol=1e-12)


@pytest.mark.filterwarnings("ignore:chunks of .* halo:UserWarning")
@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("fn_name", ["convolve", "correlate"])
def test_nd_axis_complex64(fn_name, axis):
    rng = np.random.default_rng(5)
    a = _random(rng, (23, 19, 3), np.complex64)
    v = _random(rng, (8,), np.complex64)
    for mode in SIGNAL_MODES:
        lazy = getattr(ccd, fn_name)(da.from_array(a, chunks=(8, 9, 2)), v, mode, axis=axis)
        assert_matches(lazy, getattr(cc, fn_name)(a, v, mode, axis=axis))


@pytest.mark.parametrize("dtype,expected", [("float16", "float32"), ("int16", "float64"),
                                            ("bool", "float64"), ("float32", "float32")])
def test_result_dtype_follows_in_memory_rules(dtype, expected):
    a = np.arange(30).astype(dtype)
    lazy = ccd.convolve(da.from_array(a, chunks=8), np.array([1, 2, 1], dtype=dtype), "same")
    assert lazy.dtype == np.dtype(expected)
    assert_matches(lazy, cc.convolve(a, np.array([1, 2, 1], dtype=dtype), "same"))
    x = a.reshape(1, 1, 30)
    lazy = ccd.conv1d(da.from_array(x, chunks=(1, 1, 8)), np.ones((1, 1, 3), dtype=dtype),
                      padding="same", padding_mode="mean")
    assert lazy.dtype == np.dtype(expected)
    assert_matches(lazy, cc.conv1d(x, np.ones((1, 1, 3), dtype=dtype), padding="same",
                                   padding_mode="mean"))


def test_nan_stays_where_numpy_puts_it():
    """method='auto' falls back to the direct sum around a NaN, chunk by chunk."""
    a = np.ones(200)
    a[77] = np.nan
    v = np.ones(40)
    lazy = ccd.convolve(da.from_array(a, chunks=50), v, "same")
    expected = cc.convolve(a, v, "same")
    assert_matches(lazy, expected)
    np.testing.assert_array_equal(np.isnan(lazy.compute()), np.isnan(np.convolve(a, v, "same")))


def test_zero_dimensional_signal_like_in_memory():
    expected = cc.convolve(np.float64(3.0), [1.0, 2.0])
    assert_matches(ccd.convolve(da.from_array(np.float64(3.0)), [1.0, 2.0]), expected)


def test_numpy_input_gives_dask_result():
    a = np.arange(50.0)
    lazy = ccd.convolve(a, [1.0, -1.0], "valid")
    assert_matches(lazy, cc.convolve(a, [1.0, -1.0], "valid"))
    lazy = ccd.conv1d(a.reshape(1, 1, 50), np.ones((2, 1, 3)), padding=1)
    assert_matches(lazy, cc.conv1d(a.reshape(1, 1, 50), np.ones((2, 1, 3)), padding=1))


def test_threaded_scheduler_and_one_kernel_thread():
    rng = np.random.default_rng(9)
    x = rng.standard_normal((4, 3, 5000)).astype(np.float32)
    w = rng.standard_normal((5, 3, 31)).astype(np.float32)
    expected = cc.conv1d(x, w, padding="same", padding_mode="reflect")
    before = cc.get_num_threads()
    try:
        cc.set_num_threads(1)
        lazy = ccd.conv1d(da.from_array(x, chunks=(1, 3, 613)), w, padding="same",
                          padding_mode="reflect")
        assert_matches(lazy, expected, scheduler="threads")
    finally:
        cc.set_num_threads(before)


# ------------------------------------------------------------------ halo and warnings

@pytest.mark.parametrize("fn_name", ["convolve", "correlate"])
def test_chunks_smaller_than_halo_warn_and_stay_correct(fn_name):
    a = np.random.default_rng(1).standard_normal(100)
    v = np.arange(1.0, 31.0)       # halo 29 > chunks of 4
    with pytest.warns(UserWarning, match=HALO_WARNING) as records:
        lazy = getattr(ccd, fn_name)(da.from_array(a, chunks=4), v, "same")
    message = str(records[0].message)
    assert "4 samples" in message and "29 samples" in message
    assert_matches(lazy, getattr(cc, fn_name)(a, v, "same"))


def test_conv1d_chunks_smaller_than_dilated_halo_warn_and_stay_correct():
    x = np.random.default_rng(2).standard_normal((2, 1, 90))
    w = np.ones((1, 1, 4))
    with pytest.warns(UserWarning, match=HALO_WARNING):
        lazy = ccd.conv1d(da.from_array(x, chunks=(1, 1, 5)), w, dilation=6, padding="same")
    assert_matches(lazy, cc.conv1d(x, w, dilation=6, padding="same"))


def test_no_warning_when_chunks_cover_halo():
    a = da.from_array(np.arange(100.0), chunks=(30, 30, 30, 10))   # small last chunk is fine
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ccd.convolve(a, np.ones(31), "full")
        ccd.correlate(a, np.ones(31), "valid")
        ccd.conv1d(a[None, None], np.ones((1, 1, 11)), dilation=3, padding="same",
                   padding_mode="reflect")


def test_kernel_longer_than_signal_and_chunks():
    a = np.random.default_rng(4).standard_normal(20)
    v = np.random.default_rng(5).standard_normal(57)
    for mode in SIGNAL_MODES:
        for fn_name in ("convolve", "correlate"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                lazy = getattr(ccd, fn_name)(da.from_array(a, chunks=3), v, mode)
            assert_matches(lazy, getattr(cc, fn_name)(a, v, mode))
            np.testing.assert_allclose(lazy.compute(), getattr(np, fn_name)(a, v, mode),
                                       atol=1e-12)


@pytest.mark.parametrize("fn_name", ["convolve", "correlate", "conv1d"])
def test_halo_warning_points_at_the_caller(fn_name):
    a = da.from_array(np.arange(40.0), chunks=2)
    with pytest.warns(UserWarning, match=HALO_WARNING) as records:
        if fn_name == "conv1d":
            ccd.conv1d(a[None], np.ones((1, 1, 6)))
        else:
            getattr(ccd, fn_name)(a, np.ones(6))
    assert records[0].filename == __file__


# ----------------------------------------------------------------------- laziness

class _Source:
    """A lazily generated signal that counts the blocks it has produced."""

    def __init__(self, shape, chunks):
        self.calls = 0
        self.array = da.map_blocks(self._block, chunks=chunks, dtype=np.float64,
                                   meta=np.empty((0,) * len(shape)))
        assert self.array.shape == shape

    def _block(self, block_info=None):
        self.calls += 1
        info = block_info[None]
        shape = info["chunk-shape"]
        start = info["array-location"][-1][0]
        ramp = np.arange(start, start + shape[-1], dtype=np.float64)
        return np.broadcast_to(np.sin(ramp / 7.0), shape).copy()


@pytest.mark.parametrize("build", [
    lambda m, a: m.convolve(a, np.ones(9), "same"),
    lambda m, a: m.correlate(a, np.ones(9), "full", axis=-1),
    lambda m, a: m.conv1d(a, np.ones((2, 2, 5)), padding="same", stride=2,
                          padding_mode="reflect"),
    lambda m, a: m.conv1d(a, np.ones((2, 2, 5)), padding=7, padding_mode="median"),
    lambda m, a: m.conv1d(a, np.ones((2, 2, 5)), padding=(3, 30), padding_mode="wrap"),
], ids=["convolve", "correlate", "conv1d-reflect", "conv1d-median", "conv1d-wrap"])
def test_result_is_lazy(build):
    source = _Source((2, 2, 100), chunks=((1, 1), (2,), (25,) * 4))
    result = build(ccd, source.array)
    assert isinstance(result, da.Array)
    assert source.calls == 0, "building the graph computed input blocks"
    data = source.array.compute(scheduler="sync")
    source.calls = 0
    assert_matches(result, build(cc, data))
    assert source.calls > 0


# ------------------------------------------------------------------ error parity

@pytest.mark.parametrize("name, call", [
    ("mode", lambda m, a: m.convolve(a, [1.0, 2.0], "FULL")),
    ("v", lambda m, a: m.correlate(a, [[1.0, 2.0]])),
    ("v", lambda m, a: m.convolve(a, [])),
    ("axis", lambda m, a: m.convolve(a, [1.0], axis=3)),
    ("axis", lambda m, a: m.convolve(a, [1.0], axis=0.0)),
    ("method", lambda m, a: m.convolve(a, [1.0], method="fast")),
    ("stride", lambda m, a: m.conv1d(a[None], np.ones((1, 1, 3)), stride=0)),
    ("padding", lambda m, a: m.conv1d(a[None], np.ones((1, 1, 3)), padding=-1)),
    ("padding", lambda m, a: m.conv1d(a[None], np.ones((1, 1, 3)), padding="sme")),
    ("padding_mode",
     lambda m, a: m.conv1d(a[None], np.ones((1, 1, 3)), padding=1, padding_mode="foo")),
    ("output length .*dilation",
     lambda m, a: m.conv1d(a[None], np.ones((1, 1, 3)), dilation=20)),
    ("groups", lambda m, a: m.conv1d(a[None], np.ones((2, 1, 3)), groups=2)),
    ("x", lambda m, a: m.conv1d(a[None] + 1j, np.ones((1, 1, 3)))),
    ("x", lambda m, a: m.conv1d(a[0], np.ones((1, 1, 3)))),
])
def test_bad_arguments_raise_like_in_memory(name, call):
    """Invalid arguments are refused when the lazy array is built, with the same
    exception type as the in-memory function, and both messages name the argument."""
    a = np.arange(12.0).reshape(1, 12)
    with pytest.raises((ValueError, TypeError), match=rf"^{name}\b") as expected:
        call(cc, a)
    with pytest.raises(expected.type, match=rf"^{name}\b"):
        call(ccd, da.from_array(a, chunks=(1, 5)))


# --------------------------------------------------------------- imports (subprocess)

def _run_python(code):
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)],
                          capture_output=True, text=True, timeout=60, cwd="/")


def test_import_cconv1d_does_not_import_dask():
    proc = _run_python("""
        import sys
        import cconv1d
        cconv1d.convolve([1.0, 2.0], [1.0])
        loaded = sorted(m for m in sys.modules if m == "dask" or m.startswith("dask.")
                        or m == "distributed" or m.startswith("distributed."))
        print(repr(loaded))
    """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_missing_dask_gives_install_hint():
    proc = _run_python("""
        import sys
        sys.modules["dask"] = None
        sys.modules["dask.array"] = None
        import cconv1d                      # still fine without dask
        assert cconv1d.convolve([1.0], [2.0])[0] == 2.0
        try:
            import cconv1d.dask
        except ImportError as exc:
            print("IMPORTERROR:", exc)
        else:
            print("NO ERROR")
    """)
    assert proc.returncode == 0, proc.stderr
    assert "IMPORTERROR:" in proc.stdout
    assert "pip install cconv1d[dask]" in proc.stdout


# -------------------------------------------------- dask.distributed, two processes

@contextmanager
def _deadline(seconds, what):
    def expire(signum, frame):
        raise TimeoutError(f"{what} took more than {seconds} s")
    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def local_cluster_client():
    """A two-process LocalCluster on the loopback interface, no dashboard; the whole
    set-up, test and tear-down must finish within 30 s."""
    with _deadline(30, "the LocalCluster test"):
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                      host="127.0.0.1", dashboard_address=None,
                                      silence_logs=40) as cluster:
            with distributed.Client(cluster, timeout="20s") as client:
                client.wait_for_workers(2, timeout=20)
                yield client


def test_distributed_local_cluster_two_processes(local_cluster_client):
    client = local_cluster_client
    assert client.scheduler.address.startswith("tcp://127.0.0.1:")
    workers = client.scheduler_info()["workers"]
    assert len(workers) == 2
    assert all(addr.startswith("tcp://127.0.0.1:") for addr in workers)
    pids = client.run(os.getpid)
    assert len(set(pids.values())) == 2 and os.getpid() not in pids.values()

    rng = np.random.default_rng(21)
    x = rng.standard_normal((3, 4, 700)).astype(np.float32)
    w = rng.standard_normal((6, 2, 7)).astype(np.float32)
    b = rng.standard_normal(6).astype(np.float32)
    kw = dict(stride=2, padding="same", dilation=3, groups=2, padding_mode="reflect")
    lazy = ccd.conv1d(da.from_array(x, chunks=(2, 4, 97)), w, b, **kw)
    got = client.compute(lazy).result(timeout=20)
    expected = cc.conv1d(x, w, b, **kw)
    np.testing.assert_allclose(got, expected, rtol=2e-5, atol=2e-5 * np.abs(expected).max())

    a = rng.standard_normal((5, 600)) + 1j * rng.standard_normal((5, 600))
    v = rng.standard_normal(45) + 1j * rng.standard_normal(45)
    lazy_c = ccd.correlate(da.from_array(a, chunks=(2, 101)), v, "same", axis=-1)
    # Along axis 0 the 45-tap kernel is longer than the 5 rows: each lane goes whole to
    # one task (as in memory, the signal slides over the kernel), so no halo rechunking.
    lazy_v = ccd.convolve(da.from_array(a, chunks=(2, 101)), v, "full", axis=0)
    got_c, got_v = client.compute([lazy_c, lazy_v], sync=True)
    np.testing.assert_allclose(got_c, cc.correlate(a, v, "same"), atol=1e-10)
    np.testing.assert_allclose(got_v, cc.convolve(a, v, "full", axis=0), atol=1e-10)


def test_error_messages_name_the_real_shape():
    """Validation runs on a stand-in of x's own shape, so messages quote it."""
    with pytest.raises(ValueError, match=r"\(1, 0, 5\)"):
        ccd.conv1d(da.ones((1, 0, 5)), np.ones((1, 0, 3)))


# --- correlate's lag windows, normalizations and NaN policies (API.md section 7) ------

def _numpy_lag_window(a, v, lag_values):
    """Oracle: numpy.correlate's full correlation, then the lags picked out (0 outside)."""
    full = np.correlate(a, v, "full")       # lag k sits at index k + len(v) - 1
    index = np.asarray(lag_values) + len(v) - 1
    inside = (index >= 0) & (index < full.shape[0])
    out = np.zeros(len(index), dtype=full.dtype)
    out[inside] = full[index[inside]]
    return out


def _pearson_loop(a, v, lag_values):
    """Oracle: the Pearson coefficient of the overlapping pairs, a float64 loop."""
    out = []
    for k in lag_values:
        pairs = [(a[n + k], v[n]) for n in range(len(v)) if 0 <= n + k < len(a)]
        x = np.array([p[0] for p in pairs], dtype=np.float64)
        y = np.array([p[1] for p in pairs], dtype=np.float64)
        if len(pairs) < 2 or np.all(x == x[0]) or np.all(y == y[0]):
            out.append(np.nan)
            continue
        x, y = x - x.mean(), y - y.mean()
        out.append(float(x @ y / np.sqrt((x @ x) * (y @ y))))
    return np.array(out)


@given(data=st.data())
def test_correlate_lag_window_matches_memory_and_numpy(data):
    n = data.draw(st.integers(1, 60), label="n")
    m = data.draw(st.integers(1, 12), label="m")
    chunk = data.draw(st.integers(1, 25), label="chunk")
    dtype = data.draw(st.sampled_from([np.float32, np.float64, np.complex128]), label="dtype")
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16), label="seed"))
    a = rng.standard_normal(n).astype(dtype)
    v = rng.standard_normal(m).astype(dtype)
    if dtype == np.complex128:
        a = a + 1j * rng.standard_normal(n)
        v = v + 1j * rng.standard_normal(m)
    if data.draw(st.booleans(), label="use maxlag"):
        kw = {"maxlag": data.draw(st.integers(0, n + m + 3), label="maxlag")}
    else:
        start = data.draw(st.integers(-m - 4, n + 4), label="start")
        step = data.draw(st.sampled_from([-3, -1, 1, 2, 5]), label="step")
        count = data.draw(st.integers(1, 30), label="count")
        kw = {"lags": range(start, start + step * count, step)}
    normalize = data.draw(st.sampled_from([None, "biased", "unbiased", "coeff"]),
                          label="normalize")
    lazy = ccd.correlate(da.from_array(a, chunks=chunk), v, normalize=normalize, **kw)
    expected = cc.correlate(a, v, normalize=normalize, **kw)
    assert_matches(lazy, expected)
    if normalize is None:
        lag_values = cc.correlation_lags(n, m, **kw)
        np.testing.assert_allclose(lazy.compute(), _numpy_lag_window(a, v, lag_values),
                                   rtol=_tolerance(expected.dtype),
                                   atol=_tolerance(expected.dtype) * max(1, n))


@pytest.mark.parametrize("chunks", [(5, 2), (40, 3), (1, 1)])
def test_correlate_pearson_along_axis_matches_loop(chunks):
    rng = np.random.default_rng(7)
    a = rng.standard_normal((40, 3)) + 1e4    # an offset far from zero
    v = rng.standard_normal(6)
    a[10:17, 1] = 2.0                         # constant windows: exactly NaN
    lags = range(-8, 30)
    lazy = ccd.correlate(da.from_array(a, chunks=chunks), v, lags=lags,
                         normalize="pearson", axis=0)
    expected = cc.correlate(a, v, lags=lags, normalize="pearson", axis=0)
    got = lazy.compute()
    assert (lazy.shape, lazy.dtype) == (expected.shape, expected.dtype) == (got.shape,
                                                                           got.dtype)
    # Two-sample overlaps give r = +-1 up to the rounding of a 1e4 offset: 1e-9.
    np.testing.assert_allclose(got, expected, atol=1e-9, equal_nan=True)
    assert np.isnan(got[18:20, 1]).all()       # lags 10, 11: the constant window of lane 1
    for lane in range(3):
        ref = _pearson_loop(a[:, lane], v, lags)
        np.testing.assert_array_equal(np.isnan(got[:, lane]), np.isnan(ref))
        np.testing.assert_allclose(got[:, lane], ref, atol=1e-9, equal_nan=True)


@pytest.mark.parametrize("kw", [{}, {"maxlag": 4}, {"mode": "full"},
                                {"lags": range(30, -5, -2)}])
def test_correlate_nan_policy(kw):
    rng = np.random.default_rng(3)
    a = rng.standard_normal(33)
    v = rng.standard_normal(5) + 1.0
    a[[4, 20, 21]] = np.nan
    lazy = ccd.correlate(da.from_array(a, chunks=6), v, nan_policy="omit", **kw)
    assert_matches(lazy, cc.correlate(a, v, nan_policy="omit", **kw))
    with pytest.raises(ValueError, match="nan_policy='raise'"):
        ccd.correlate(da.from_array(a, chunks=6), v, nan_policy="raise", **kw).compute()
    clean = np.nan_to_num(a)
    lazy = ccd.correlate(da.from_array(clean, chunks=6), v, nan_policy="raise", **kw)
    assert_matches(lazy, cc.correlate(clean, v, **kw))


def test_correlate_lag_arguments_refused_as_in_memory():
    a = da.from_array(np.arange(10.0), chunks=4)
    with pytest.raises(ValueError, match="maxlag"):
        ccd.correlate(a, [1.0, 2.0], maxlag=-1)
    with pytest.raises(ValueError, match="mode"):
        ccd.correlate(a, [1.0, 2.0], "full", maxlag=2)
    with pytest.raises(ValueError, match="normalize"):
        ccd.correlate(a, [1.0, 2.0], normalize="zscore")
    with pytest.raises(ValueError, match="nan_policy"):
        ccd.correlate(a, [1.0, 2.0], nan_policy="drop")
    with pytest.raises(TypeError, match="pearson"):
        ccd.correlate(a.astype(complex), [1.0, 2.0], maxlag=1, normalize="pearson")
