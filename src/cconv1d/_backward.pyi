from collections.abc import Callable
from typing import Any, TypeAlias

from numpy.typing import NDArray

from cconv1d._spec import ConvSpec

_Array: TypeAlias = NDArray[Any]

def grad_input(dy: _Array, w: _Array, dx: _Array, x: _Array, left: int, right: int,
               mode: int, stride: int, dilation: int, groups: int, flip: bool,
               n_threads: int, bias: _Array | None = None) -> None: ...
def grad_weight_bias(dy: _Array, x: _Array, dw: _Array, db: _Array, left: int,
                     right: int, mode: int, pad_value: float, stride: int, dilation: int,
                     groups: int, flip: bool, n_threads: int) -> None: ...
def backward_workspace_bytes(n_batch: int, c_in: int, length: int, c_out: int,
                             c_per_group: int, k_size: int, left: int, right: int,
                             l_out: int, stride: int, dilation: int, groups: int, mode: int,
                             itemsize: int, n_threads: int) -> dict[str, int | bool]: ...
def _set_interleaved_store(on: bool) -> bool: ...
def _set_cols_bytes(nbytes: int) -> int: ...
def _set_weight_columns(on: bool) -> bool: ...
def _column_buffers(shape_x: tuple[int, int, int], shape_dy: tuple[int, int, int],
                    dtype: Any) -> tuple[_Array, _Array]: ...
def weight_columns(x: _Array, dy: _Array, xc: _Array, dyc: _Array, left: int,
                   right: int, mode: int, pad_value: float, stride: int, dilation: int,
                   groups: int, c_per_group: int, k_size: int, flip: bool,
                   n_threads: int, units: int) -> None: ...
def input_gradient(spec: ConvSpec, dy: _Array, w: _Array, dx: _Array, x: _Array,
                   flip: bool, n_threads: int, bias: _Array | None = None,
                   winograd: bool = ...) -> None: ...
def weight_bias_gradient(spec: ConvSpec, dy: _Array, x: _Array, dw: _Array, db: _Array,
                         flip: bool, n_threads: int, winograd: bool = ...) -> None: ...
# dtype char ('f', 'd') -> the fused kernels specialised for it
GRAD_INPUT: dict[str, Callable[..., None]]
GRAD_WEIGHT_BIAS: dict[str, Callable[..., None]]
WEIGHT_COLUMNS: dict[str, Callable[..., None]]
