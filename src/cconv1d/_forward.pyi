from numpy.typing import NDArray

def conv1d_forward(x: NDArray, w: NDArray, bias: NDArray, y: NDArray, left: int, right: int,
                   mode: int, pad_value: float, stride: int, dilation: int, groups: int,
                   flip: bool, n_threads: int) -> None: ...
