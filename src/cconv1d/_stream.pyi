from numpy.typing import NDArray

def fir_block(h: object, x: object, zi: object,
              avx2: bool) -> tuple[NDArray, NDArray] | None: ...
