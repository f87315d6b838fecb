from numpy.typing import NDArray

def grad_input(dy: NDArray, w: NDArray, dx: NDArray, x: NDArray, left: int, right: int,
               mode: int, stride: int, dilation: int, groups: int, flip: bool,
               n_threads: int) -> None: ...
def grad_weight_bias(dy: NDArray, x: NDArray, dw: NDArray, db: NDArray, left: int,
                     right: int, mode: int, pad_value: float, stride: int, dilation: int,
                     groups: int, flip: bool, n_threads: int) -> None: ...
def backward_workspace_bytes(n_batch: int, c_in: int, length: int, c_out: int,
                             c_per_group: int, k_size: int, left: int, right: int,
                             l_out: int, stride: int, dilation: int, groups: int, mode: int,
                             itemsize: int, n_threads: int) -> dict[str, int]: ...
