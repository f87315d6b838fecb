"""Calls a type checker must flag (``tests/test_typing.py`` asserts each error, by line).

Each flagged line ends with a comment naming the error code mypy must report there
(``cc.conv1d`` is overloaded on ``out``, so a bad argument there is ``call-overload``).
"""

import numpy as np

import cconv1d as cc
import cconv1d.torch as cct

x = np.ones((1, 2, 16))
w = np.ones((3, 2, 3))

cc.conv1d(x, w, stride="2")                       # E: call-overload
cc.conv1d(x, w, padding=2.5)                      # E: call-overload
cc.conv1d(x, w, padding="bogus")                  # E: call-overload
cc.conv1d(x, w, padding_mode=3)                   # E: call-overload
cc.conv1d(x, w, padding_mode="mirror")            # E: call-overload
cc.conv1d(x, w, strides=2)                        # E: call-overload
cc.pad(x, 2, mode=0)                              # E: arg-type
cc.pad(x, "2")                                    # E: arg-type
cc.pad(x, 2, valu=1.0)                            # E: call-arg
cc.conv1d_backward(x, x, w, needs=("inputs",))    # E: arg-type
cc.conv1d_backward(x, x, w, groups=1.0)           # E: arg-type
cc.Conv1d(2, 3, "3")                              # E: arg-type
cc.Conv1d(2, 3, 3, padding_mode="periodization")  # E: arg-type
cc.Conv1d(2, 3, 3, kernel=3)                      # E: call-arg
cc.SGD([], lr="0.1")                              # E: arg-type
cc.set_num_threads("2")                           # E: arg-type
cct.conv1d(x, w)                                  # E: arg-type

sig = np.arange(10.0)
cc.correlate(sig, [1.0], maxlag="3")                  # E: arg-type
cc.correlate(sig, [1.0], normalize="zscore")          # E: arg-type
cc.correlate(sig, [1.0], nan_policy="ignore")         # E: arg-type
cc.correlate(sig, [1.0], lag=2)                       # E: call-arg
cc.autocorrelate(sig, mode=2)                         # E: arg-type
cc.convolve(sig, [1.0], method="overlap-add")         # E: arg-type
cc.correlation_lags(10, "2")                          # E: arg-type
cc.correlation_lags(10, 2, maxlag=1.5)                # E: arg-type
cc.fir_filter([1.0], sig, method="lfilter")           # E: call-overload
cc.fir_filter([1.0], sig, axis="0")                   # E: call-overload
cc.conv1d_stream(sig, w, dilation="2")                # E: arg-type
cc.conv1d_stream(sig, w, zi=None)                     # E: call-arg
