"""Padding-mode names, aliases and integer codes (the Python mirror of ``cc_modes.h``)."""

CONSTANT = 0
EDGE = 1
REFLECT = 2
SYMMETRIC = 3
WRAP = 4
MEAN = 5
MEDIAN = 6
MINIMUM = 7
MAXIMUM = 8
LINEAR_RAMP = 9
ANTISYMMETRIC = 10
ANTIREFLECT = 11
SMOOTH = 12

CODES = {
    "constant": CONSTANT,
    "edge": EDGE,
    "reflect": REFLECT,
    "symmetric": SYMMETRIC,
    "wrap": WRAP,
    "mean": MEAN,
    "median": MEDIAN,
    "minimum": MINIMUM,
    "maximum": MAXIMUM,
    "linear_ramp": LINEAR_RAMP,
    "antisymmetric": ANTISYMMETRIC,
    "antireflect": ANTIREFLECT,
    "smooth": SMOOTH,
}

# Aliases in the names PyTorch users know. "zeros" is "constant" with the value forced to 0.
ALIASES = {"zeros": "constant", "replicate": "edge", "circular": "wrap"}

#: Modes whose padded samples depend on the data non-linearly: their adjoint needs ``x``.
NONLINEAR = frozenset({MEDIAN, MINIMUM, MAXIMUM})
#: Modes that compare values, so complex input has no meaning for them.
ORDERED = NONLINEAR
#: Modes that take the statistic of the ``stat_length`` samples nearest each end.
STATISTIC = frozenset({MEAN, MEDIAN, MINIMUM, MAXIMUM})

ALL_NAMES = tuple(CODES) + tuple(ALIASES)


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
