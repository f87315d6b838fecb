from collections.abc import Callable
from typing import Any, TypeAlias

from numpy.typing import NDArray

_Array: TypeAlias = NDArray[Any]

def pad_lanes(x: _Array, out: _Array, left: int, right: int, mode: int,
              value_left: float | complex, value_right: float | complex,
              stat_left: int, stat_right: int, n_threads: int) -> None: ...
def pad_backward_lanes(grad: _Array, out: _Array, x: _Array, left: int, right: int,
                       mode: int, stat_left: int, stat_right: int, n_threads: int) -> None: ...
# dtype char -> the fused kernels specialised for it
PAD: dict[str, Callable[..., None]]
PAD_BACKWARD: dict[str, Callable[..., None]]
