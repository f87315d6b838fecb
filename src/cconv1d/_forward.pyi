from collections.abc import Callable
from typing import Any, TypeAlias

from numpy.typing import NDArray

from cconv1d._spec import ConvSpec

_Array: TypeAlias = NDArray[Any]

def conv1d_forward(x: _Array, w: _Array, bias: _Array, y: _Array, left: int, right: int,
                   mode: int, pad_value: float, stride: int, dilation: int, groups: int,
                   flip: bool, n_threads: int) -> None: ...
SIMD_NAMES: tuple[str, ...]
# dtype char ('f', 'd') -> the fused conv1d_forward specialised for it
FORWARD: dict[str, Callable[..., None]]
def select_simd(name: str | None = ...) -> str: ...
def simd_path() -> str: ...
def best_simd() -> str: ...
def forward_workspace_bytes(n_batch: int, c_in: int, length: int, c_out: int,
                            c_per_group: int, k_size: int, left: int, right: int,
                            l_out: int, stride: int, dilation: int, groups: int, mode: int,
                            itemsize: int, n_threads: int) -> int: ...
def conv1d_fast(x: object, w: object, b: object, stride: object, padding: object,
                dilation: object, groups: object, padding_mode: object, pad_value: object,
                flip: bool, out: object, n_threads: int, max_span: int) -> _Array | None: ...
def forward(spec: ConvSpec, x: _Array, w: _Array, b: _Array, y: _Array, flip: bool,
            n_threads: int) -> None: ...
def signal_direct(a: object, v: object, mode: object, axis: object, method: object,
                  correlate: bool, auto_max_macs: int, n_threads: int, lag_first: int = ...,
                  lag_count: int = ...) -> _Array | None: ...
def simd_code(name: str | None) -> int: ...
