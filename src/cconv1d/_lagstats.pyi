from numpy.typing import NDArray

def pearson_lags(rows: NDArray, originals: NDArray, vrows: NDArray, vcentred: NDArray,
                 raw: NDArray, out: NDArray, first: int, step: int) -> None: ...
