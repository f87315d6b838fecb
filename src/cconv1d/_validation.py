"""Argument checking shared by every public function.

Everything here runs once per call, before any kernel: array coercion and dtype
promotion (API.md section 1), integer arguments, output-size arithmetic in Python ints
(so nothing overflows before a kernel sees it), and ``out=`` checks. Every message names
the argument, what was expected and what was given.
"""

from __future__ import annotations

import operator
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

# Largest element count we let a kernel index: Py_ssize_t offsets must not overflow even
# after multiplying by the widest itemsize we use (complex128, 16 bytes).
MAX_ELEMENTS = sys.maxsize // 16


def _kind_error(name: str, dtype: np.dtype[Any], what: str) -> TypeError:
    return TypeError(f"{name}: dtype {dtype} is not supported by {what}; expected a real "
                     "floating, integer or bool array")


def compute_dtype(dtype: DTypeLike, name: str, what: str, *,
                  allow_complex: bool) -> np.dtype[Any]:
    """The dtype a kernel computes in for input dtype ``dtype`` (API.md section 1).

    float32/float64 stay; bool and integers compute in float64; float16 in float32;
    complex64/complex128 stay where ``allow_complex``; everything else is a TypeError.
    """
    dtype = np.dtype(dtype)
    kind = dtype.kind
    if kind in "biu":
        return np.dtype(np.float64)
    if kind == "f":
        if dtype.itemsize <= 4:
            return np.dtype(np.float32)
        if dtype.itemsize == 8:
            return np.dtype(np.float64)
        raise TypeError(f"{name}: dtype {dtype} is not supported by {what}; "
                        "extended precision is not computed natively, cast to float64")
    if kind == "c":
        if not allow_complex:
            raise TypeError(f"{name}: dtype {dtype} is not supported by {what} "
                            "(complex input is refused; use float32 or float64)")
        if dtype.itemsize <= 8:
            return np.dtype(np.complex64)
        if dtype.itemsize == 16:
            return np.dtype(np.complex128)
        raise TypeError(f"{name}: dtype {dtype} is not supported by {what}; "
                        "extended precision is not computed natively, cast to complex128")
    raise _kind_error(name, dtype, what)


def as_array(x: ArrayLike, name: str) -> NDArray[Any]:
    """``x`` as an ndarray without copying, refusing object/str/datetime dtypes early."""
    if isinstance(x, np.ndarray):
        arr = x
    else:
        try:
            arr = np.asarray(x)
        except (ValueError, TypeError) as exc:
            raise TypeError(f"{name}: cannot be read as a numeric array ({exc})") from None
    if arr.dtype.kind not in "biufc":
        raise TypeError(f"{name}: dtype {arr.dtype} is not supported; expected a real "
                        "floating, integer or bool array")
    return arr


_NATIVE_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def result_dtype(arrays: Sequence[NDArray[Any]], names: Sequence[str], what: str, *,
                 allow_complex: bool) -> np.dtype[Any]:
    """Promoted compute dtype of several inputs (``np.result_type`` then section 1 rules)."""
    first = arrays[0].dtype
    if first in _NATIVE_FLOATS and all(a.dtype == first for a in arrays):
        return first    # the common case, decided without promotion rules
    for arr, name in zip(arrays, names):
        compute_dtype(arr.dtype, name, what, allow_complex=allow_complex)
    promoted = np.result_type(*[a.dtype for a in arrays])
    return compute_dtype(promoted, names[0], what, allow_complex=allow_complex)


def contiguous(arr: NDArray[Any], dtype: DTypeLike) -> NDArray[Any]:
    """A C-contiguous, aligned, native-byte-order array of ``dtype``; copies only when
    needed.

    Read-only inputs come back read-only (kernels take ``const`` views), never modified.
    """
    if (arr.dtype == dtype and arr.flags.c_contiguous and arr.flags.aligned
            and arr.dtype.isnative):
        return arr      # already what the kernels take: no call into NumPy's conversion
    out = np.ascontiguousarray(arr, dtype=np.dtype(dtype).newbyteorder("="))
    if not out.flags.aligned:
        # A view into a byte buffer at an odd offset: kernels load whole elements.
        out = out.copy()
    return out


def as_int(value: Any, name: str, *, minimum: int | None = None) -> int:
    """A Python int from an integer-like ``value`` (bool refused), checked ``>= minimum``."""
    if type(value) is int and (minimum is None or value >= minimum) \
            and -MAX_ELEMENTS <= value <= MAX_ELEMENTS:
        return value    # the common case, checked in one step
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    try:
        result = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an integer, got {value!r} "
                        f"of type {type(value).__name__}") from None
    if minimum is not None and result < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {result}")
    if abs(result) > MAX_ELEMENTS:
        # Products of such values overflow Py_ssize_t long before any kernel runs.
        raise ValueError(f"{name} = {result} is too large (the limit is {MAX_ELEMENTS})")
    return result


def int_pair(value: Any, name: str, *, minimum: int = 0) -> tuple[int, int]:
    """``(left, right)`` from an int (both sides) or a pair of ints, each ``>= minimum``."""
    if isinstance(value, (tuple, list, np.ndarray)):
        items = list(np.asarray(value, dtype=object).ravel()) if isinstance(
            value, np.ndarray) else list(value)
        if len(items) != 2:
            raise ValueError(f"{name} must be an int or a pair (left, right), "
                             f"got a sequence of length {len(items)}: {value!r}")
        left = as_int(items[0], f"{name}[0]", minimum=minimum)
        right = as_int(items[1], f"{name}[1]", minimum=minimum)
        return left, right
    width = as_int(value, name, minimum=minimum)
    return width, width


def check_size(count: int, name: str) -> int:
    """Refuse element counts that a kernel could not index (or would not fit in memory)."""
    if count > MAX_ELEMENTS:
        raise ValueError(f"{name}: the result would hold {count} elements, more than the "
                         f"{MAX_ELEMENTS} this platform can index")
    return count


def check_out(out: Any, shape: tuple[int, ...], dtype: np.dtype[Any],
              inputs: Sequence[tuple[NDArray[Any] | None, str]],
              what: str = "out") -> NDArray[Any]:
    """Validate a user ``out=`` array: exact shape and dtype, C-contiguous, writeable,
    native byte order, no overlap with any input. Returns it."""
    if not isinstance(out, np.ndarray):
        raise TypeError(f"{what} must be a numpy.ndarray, got {type(out).__name__}")
    shape = tuple(shape)
    if out.shape != shape:
        raise ValueError(f"{what} has shape {out.shape}, expected {shape}")
    if out.dtype != dtype:
        raise ValueError(f"{what} has dtype {out.dtype}, expected {np.dtype(dtype)}")
    if not out.dtype.isnative:
        raise ValueError(f"{what} must be in native byte order, got {out.dtype.str}")
    if not out.flags.c_contiguous:
        raise ValueError(f"{what} must be C-contiguous")
    if not out.flags.aligned:
        raise ValueError(f"{what} must be aligned to its dtype (it is a view at an odd "
                         "byte offset)")
    if not out.flags.writeable:
        raise ValueError(f"{what} must be writeable")
    for arr, name in inputs:
        if isinstance(arr, np.ndarray) and np.may_share_memory(out, arr):
            raise ValueError(f"{what} overlaps the input {name}; pass a separate array")
    return out
