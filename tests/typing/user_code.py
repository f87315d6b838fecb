"""User code calling every public function of cconv1d, checked by ``mypy --strict``.

Not a test module (pytest does not collect it): ``tests/test_typing.py`` and ``.ci/run``
run mypy on it. ``assert_type`` fails the type check if an inferred type is not the one
promised; the code also runs (``python tests/typing/user_code.py``).
"""

from __future__ import annotations

from typing import Any

import dask.array as da
import numpy as np
import torch
from numpy.typing import NDArray
from typing_extensions import assert_type

import cconv1d as cc
import cconv1d.dask as ccd
import cconv1d.torch as cct
from cconv1d import bench, cli, demo
from cconv1d.functional import Conv1dGrads, conv1d_geometry

FloatArray = NDArray[np.floating[Any]]
InexactArray = NDArray[np.inexact[Any]]

x = np.ones((2, 4, 32), dtype=np.float32)
w = np.ones((6, 2, 3), dtype=np.float32)
b = np.zeros(6, dtype=np.float32)

# padding
assert_type(cc.pad([1.0, 2.0, 3.0], 2, "reflect"), InexactArray)
assert_type(cc.pad(x, (1, 2), mode="linear_ramp", end_values=(0.0, 1.0)), InexactArray)
assert_type(cc.pad(x, 3, "periodic"), InexactArray)
assert_type(cc.pad_backward(np.ones(7), 3, 2, "symmetric"), InexactArray)
assert_type(cc.pad_backward(np.ones(7), 3, 2, "median", x=[1.0, 5.0, 2.0]), InexactArray)

# neural-network functions
y = cc.conv1d(x, w, b, stride=2, padding="same", groups=2, padding_mode="reflect")
assert_type(y, FloatArray)
assert_type(cc.conv1d(x, w, b, 2, (1, 1), 1, 2), FloatArray)        # PyTorch's order
out: NDArray[np.float32] = np.empty((2, 6, 30), dtype=np.float32)
assert_type(cc.conv1d(x, w, groups=2, out=out), NDArray[np.float32])
grads = cc.conv1d_backward(np.ones((2, 6, 32), np.float32), x, w, groups=2,
                           padding="same", needs=("input", "weight"))
assert_type(grads, Conv1dGrads)
assert_type(grads.input, FloatArray | None)
assert_type(cc.conv1d_backward(np.ones((2, 6, 30)), x, w, groups=2, needs="bias", bias=True),
            Conv1dGrads)
assert_type(cc.conv_transpose1d(np.ones((2, 6, 30)), np.ones((6, 2, 3)), stride=1, groups=2),
            FloatArray)
assert_type(conv1d_geometry(10, 3, 2, "same"), tuple[int, int, int])

# layer and optimizer
layer = cc.Conv1d(4, 6, 3, 1, "causal", padding_mode="replicate", rng=0)
assert_type(layer(x), FloatArray)
assert_type(layer.backward(np.ones((2, 6, 32))), FloatArray)
assert_type(layer.weight, FloatArray)
assert_type(layer.bias, FloatArray | None)
assert_type(layer.state_dict(), dict[str, FloatArray])
layer.load_state_dict({"weight": layer.weight, "bias": np.zeros(6)})
opt = cc.SGD(layer.parameters(), lr=0.1, momentum=0.9, nesterov=True)
opt.step()
opt.zero_grad()
layer.zero_grad()

# signal functions: lag windows, normalization, missing data
sig = np.arange(10.0)
assert_type(cc.convolve(sig, [1.0, 2.0], "same", method="direct"), InexactArray)
assert_type(cc.convolve(sig, [1.0, 2.0], nan_policy="omit"), InexactArray)
assert_type(cc.correlate(sig, [1.0, 2.0]), InexactArray)
assert_type(cc.correlate(sig, [1.0, 2.0], maxlag=3, normalize="coeff"), InexactArray)
assert_type(cc.correlate(sig, [1.0, 2.0], lags=range(-2, 5, 2), normalize="pearson",
                         method="fft", nan_policy="raise"), InexactArray)
assert_type(cc.correlate(sig, [1.0, 2.0], lags=np.arange(3), normalize="unbiased"),
            InexactArray)
assert_type(cc.autocorrelate(sig, "full", axis=-1), InexactArray)
assert_type(cc.autocorrelate(sig, maxlag=2, normalize="biased"), InexactArray)
assert_type(cc.correlation_lags(10, 2, "full"), NDArray[np.int64])
assert_type(cc.correlation_lags(10, 2, maxlag=3), NDArray[np.int64])
assert_type(cc.correlation_lags(10, 2, lags=range(0, 4)), NDArray[np.int64])

# streaming: fir_filter's return depends on zi (SciPy's lfilter convention)
taps = [0.5, 0.25, 0.25]
assert_type(cc.fir_filter(taps, sig), InexactArray)
assert_type(cc.fir_filter(taps, sig, zi=None, method="direct"), InexactArray)
y_chunk, zf = cc.fir_filter(taps, sig[:4], zi=np.zeros(2))
assert_type(y_chunk, InexactArray)
assert_type(cc.fir_filter(taps, sig[4:], zi=zf, axis=-1, method="fft"),
            tuple[InexactArray, InexactArray])
maybe_zi: NDArray[np.float64] | None = None
assert_type(cc.fir_filter(taps, sig, zi=maybe_zi),
            InexactArray | tuple[InexactArray, InexactArray])
chunk, state = cc.conv1d_stream(np.ones((4, 5)), np.ones((6, 4, 3)))
assert_type(cc.conv1d_stream(np.ones((4, 5)), np.ones((6, 4, 3)), np.zeros(6), state=state,
                             dilation=1, groups=1), tuple[FloatArray, FloatArray])
causal = cc.Conv1d(4, 6, 3, padding="causal", rng=0)
assert_type(causal.stream(np.ones((2, 4, 5), np.float32)), FloatArray)
causal.reset_stream()

# threads, configuration, C level
assert_type(cc.get_num_threads(), int)
cc.set_num_threads(1)
cc.set_num_threads(None)
assert_type(cc.get_include(), str)
assert_type(cc.__version__, str)
cc.show_config()

# torch drop-in
xt = torch.randn(2, 4, 32)
model = cct.convert(torch.nn.Sequential(torch.nn.Conv1d(4, 6, 3), torch.nn.ReLU()))
assert_type(model, torch.nn.Sequential)
assert_type(cct.conv1d(xt, torch.randn(6, 2, 3), None, 1, "same", 1, 2,
                       padding_mode="antireflect"), torch.Tensor)
drop_in = cct.Conv1d(4, 6, 3, padding="causal", padding_mode="symmetric")
assert_type(drop_in.forward(xt), torch.Tensor)   # torch types Module.__call__ as Any

# dask
# dask.array itself is unannotated: creating the arrays is an untyped call
lazy = da.from_array(np.arange(20.0), chunks=6)  # type: ignore[no-untyped-call]
lazy_x = da.from_array(x, chunks=(1, 4, 16))  # type: ignore[no-untyped-call]
assert_type(ccd.convolve(lazy, [1.0, 1.0], mode="same"), da.Array)
assert_type(ccd.correlate(lazy, [1.0, 1.0]), da.Array)
assert_type(ccd.conv1d(lazy_x, w, b, groups=2, padding=1), da.Array)

# command line and demo
assert_type(cli.main(["info"]), int)
assert_type(demo.make_dataset(8, length=16)[0], NDArray[np.float32])
assert_type(bench.run(cases=["tiny"], signal_cases=[], repeats=1, backward=False,
                      peak=False, stream=None), list[dict[str, Any]])
