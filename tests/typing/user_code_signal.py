"""User code calling the signal functions, checked by ``mypy --strict`` once
``cconv1d.signal`` is annotated (``tests/test_typing.py``)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from typing_extensions import assert_type

import cconv1d as cc

InexactArray = NDArray[np.inexact[Any]]

a = np.arange(10.0)
assert_type(cc.convolve(a, [1.0, 2.0], "same", method="direct"), InexactArray)
assert_type(cc.correlate(a, [1.0, 2.0]), InexactArray)
assert_type(cc.autocorrelate(a, "full", axis=-1), InexactArray)
