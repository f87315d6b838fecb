from typing import Any, TypeAlias

from numpy.typing import NDArray

_Array: TypeAlias = NDArray[Any]

def fir_block(h: object, x: object, zi: object,
              avx2: bool) -> tuple[_Array, _Array] | None: ...
