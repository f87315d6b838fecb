"""Old name kept for importers outside this refactor: re-exports the oracle modules.

New code imports :mod:`oracles_padding`, :mod:`oracles_conv` or :mod:`oracles_grad`.
"""

from oracles_conv import explicit_padding  # noqa: F401
from oracles_grad import (jacobian_central_fd, jacobian_unit_vectors,  # noqa: F401
                          order_pad_backward, order_stat_weights)
from oracles_padding import (ALL_PADDING_MODES, NUMPY_PAD_MODES,  # noqa: F401
                             PYWT_PAD_MODES, apply_rows, as_pair, np_pad_last, width_pairs)
