"""Padding-mode names, aliases and integer codes.

The codes are those of ``cc_modes.h``, read from the compiled padding module (its
``MODE_CODES`` table is the only place a name meets a number); this module adds the
aliases and the groupings the Python layer checks.
"""

from cconv1d._padding import MODE_CODES

CODES = dict(MODE_CODES)
(CONSTANT, EDGE, REFLECT, SYMMETRIC, WRAP, MEAN, MEDIAN, MINIMUM, MAXIMUM, LINEAR_RAMP,
 ANTISYMMETRIC, ANTIREFLECT, SMOOTH) = (CODES[name] for name in (
    "constant", "edge", "reflect", "symmetric", "wrap", "mean", "median", "minimum",
    "maximum", "linear_ramp", "antisymmetric", "antireflect", "smooth"))

# Aliases in the names PyTorch users know. "zeros" is "constant" with the value forced to 0.
ALIASES = {"zeros": "constant", "replicate": "edge", "circular": "wrap"}

#: Modes whose padded samples depend on the data non-linearly: their adjoint needs ``x``.
NONLINEAR = frozenset({MEDIAN, MINIMUM, MAXIMUM})
#: Modes that compare values, so complex input has no meaning for them.
ORDERED = NONLINEAR
#: Modes that take the statistic of the ``stat_length`` samples nearest each end.
STATISTIC = frozenset({MEAN, MEDIAN, MINIMUM, MAXIMUM})

ALL_NAMES = tuple(CODES) + tuple(ALIASES)

#: Every accepted ``padding_mode`` string -> its code, for conv1d's compiled fast path;
#: "zeros" maps to -1 (constant, with the value forced to 0).
FAST_CODES = dict(CODES, **{alias: CODES[name] for alias, name in ALIASES.items()})
FAST_CODES["zeros"] = -1


def lookup(mode, name="mode"):
    """Return ``(canonical_name, code)`` for a mode name or alias.

    Raises
    ------
    ValueError
        If ``mode`` is not a known name, with the list of names.
    TypeError
        If ``mode`` is not a string.
    """
    if not isinstance(mode, str):
        raise TypeError(f"{name} must be a string naming a padding mode, got {type(mode).__name__}")
    canonical = ALIASES.get(mode, mode)
    if canonical not in CODES:
        raise ValueError(
            f"{name} must be one of {', '.join(repr(m) for m in ALL_NAMES)}; got {mode!r}")
    return canonical, CODES[canonical]
