from typing import Any, TypeAlias

from numpy.typing import NDArray

_Array: TypeAlias = NDArray[Any]

def fir_block(h: object, x: object, zi: object,
              avx2: bool) -> tuple[_Array, _Array] | None: ...
BLOCK_MAX: int
DIRECT_TAPS: int
def fft_seconds(n: int, m: int, lanes: int = 1) -> float: ...
def fft_full(h: _Array, rows: _Array, out: _Array, n_threads: int = 1) -> bool: ...
def fir_chunk(h: object, x: object, zi: object, axis: object,
              method: object) -> tuple[_Array, _Array] | None: ...
