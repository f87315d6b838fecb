import numpy as np
from numpy.typing import NDArray

def pad_lanes(x: NDArray, out: NDArray, left: int, right: int, mode: int,
              value_left: float | complex, value_right: float | complex,
              stat_left: int, stat_right: int, n_threads: int) -> None: ...
def pad_backward_lanes(grad: NDArray, out: NDArray, x: NDArray, left: int, right: int,
                       mode: int, stat_left: int, stat_right: int, n_threads: int) -> None: ...
