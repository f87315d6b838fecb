from typing import Any, TypeAlias

from numpy.typing import NDArray

_Array: TypeAlias = NDArray[Any]

def all_finite(rows: _Array) -> bool: ...
def pearson_lags(rows: _Array, originals: _Array, vrows: _Array, vcentred: _Array,
                 raw: _Array, out: _Array, first: int, step: int) -> None: ...
def pearson_valid(rows: _Array, vrows: _Array, out: _Array,
                  first: int, n_threads: int) -> None: ...
