"""Old name kept for importers outside this refactor: re-exports :mod:`oracles_conv`.

``TORCH_PAD_MODES`` is now the one table of :mod:`oracles_padding` (``"zeros"`` maps to
F.pad's ``"constant"``, and the aliases ``edge``/``wrap`` are in it).
"""

from oracles_conv import (ALL_PADDING_MODES, NUMPY_PAD_MODES, PYWT_PAD_MODES,  # noqa: F401
                          TORCH_PAD_MODES, conv1d_out_length, conv1d_ref, conv1d_torch,
                          conv_transpose1d_ref, explicit_padding, pad_last, pad_row,
                          transpose_out_length)
