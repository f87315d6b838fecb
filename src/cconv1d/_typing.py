"""Type aliases of the public API (for annotations; nothing here runs at call time).

The mode words are ``Literal`` types, so a type checker flags a misspelt mode or an int
where a word is expected; they list exactly the names :mod:`cconv1d._spec` accepts (a test checks it).
"""

from __future__ import annotations

from typing import Any, Literal, SupportsIndex, TypeVar, Union

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["ArrayLike", "FloatArray", "InexactArray", "PadMode", "PaddingWord", "Padding",
           "SignalMode", "Method", "Normalize", "NanPolicy", "Lags", "GradName", "ArrayT"]

#: Every ``mode`` of :func:`cconv1d.pad` / ``padding_mode`` of :func:`cconv1d.conv1d`.
PadMode = Literal[
    "constant", "zeros", "zero", "edge", "replicate", "reflect", "symmetric", "wrap",
    "circular", "periodic", "mean", "median", "minimum", "maximum", "linear_ramp",
    "antisymmetric", "antireflect", "smooth"]
#: The padding words of :func:`cconv1d.conv1d`.
PaddingWord = Literal["valid", "same", "full", "causal"]
#: ``padding`` of :func:`cconv1d.conv1d`: both sides, ``(left, right)`` or a word.
Padding = Union[SupportsIndex, tuple[SupportsIndex, SupportsIndex], PaddingWord]
#: ``mode`` of :func:`cconv1d.convolve` and friends (NumPy's words).
SignalMode = Literal["full", "same", "valid"]
#: ``method`` of the signal functions.
Method = Literal["auto", "direct", "fft"]
#: ``normalize`` of :func:`cconv1d.correlate` and :func:`cconv1d.autocorrelate` (or None).
Normalize = Literal["biased", "unbiased", "coeff", "pearson"]
#: ``nan_policy`` of the signal functions (SciPy's words).
NanPolicy = Literal["propagate", "raise", "omit"]
#: ``lags`` of :func:`cconv1d.correlate`: a range or a 1-D integer array in arithmetic
#: progression.
Lags = Union[range, ArrayLike]
#: Entries of ``needs`` of :func:`cconv1d.conv1d_backward`.
GradName = Literal["input", "weight", "bias"]

#: The float32/float64 arrays the neural-network functions return.
FloatArray = NDArray[np.floating[Any]]
#: Arrays that may also be complex (``pad`` of complex input, the signal functions).
InexactArray = NDArray[np.inexact[Any]]
#: An ``out=`` array, returned as given.
ArrayT = TypeVar("ArrayT", bound=NDArray[Any])
