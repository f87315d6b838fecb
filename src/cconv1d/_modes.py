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

# Aliases in the names PyTorch users know ("zeros", "replicate", "circular") and in
# PyWavelets' names ("zero", "periodic"). "zeros" is "constant" with the value forced to 0;
# "zero" is meant to be too (ZEROS), but pad/conv1d only force it for names they check.
# PyWavelets' "constant" repeats the end sample: that is our "edge", while our "constant"
# is NumPy's; PyWavelets' "reflect", "symmetric", "smooth", "antisymmetric" and
# "antireflect" mean what ours do. docs/usage.rst has the table.
ALIASES = {"zeros": "constant", "replicate": "edge", "circular": "wrap",
           "zero": "constant", "periodic": "wrap"}

#: Names meaning "constant with the value 0" whatever ``value``/``pad_value`` says.
ZEROS = frozenset({"zeros", "zero"})

# Names of other libraries that are refused on purpose, with the reason.
REFUSED = {
    "periodization": (
        "PyWavelets' 'periodization' is not a padding mode: it is a DWT boundary "
        "treatment that extends an odd-length signal by one sample and keeps ceil(N/2) "
        "coefficients per level, so its width is set by the transform, not by pad_width; "
        "for a periodic extension use 'periodic' (= 'wrap')"),
}

#: Modes whose padded samples depend on the data non-linearly: their adjoint needs ``x``.
NONLINEAR = frozenset({MEDIAN, MINIMUM, MAXIMUM})
#: Modes that compare values, so complex input has no meaning for them.
ORDERED = NONLINEAR
#: Modes that take the statistic of the ``stat_length`` samples nearest each end.
STATISTIC = frozenset({MEAN, MEDIAN, MINIMUM, MAXIMUM})

ALL_NAMES = tuple(CODES) + tuple(ALIASES)

#: Every accepted ``padding_mode`` string -> its code, for conv1d's compiled fast path;
#: "zeros" and "zero" map to -1 (constant, with the value forced to 0).
FAST_CODES = dict(CODES, **{alias: CODES[name] for alias, name in ALIASES.items()})
FAST_CODES.update(dict.fromkeys(ZEROS, -1))


def lookup(mode: str, name: str = "mode") -> tuple[str, int]:
    """Return ``(canonical_name, code)`` for a mode name or alias.

    Raises
    ------
    ValueError
        If ``mode`` is not a known name, with the list of names; or a name of another
        library that has no meaning here (``"periodization"``), with the reason.
    TypeError
        If ``mode`` is not a string.
    """
    if not isinstance(mode, str):
        raise TypeError(f"{name} must be a string naming a padding mode, got {type(mode).__name__}")
    if mode in REFUSED:
        raise ValueError(f"{name}={mode!r} is refused: {REFUSED[mode]}")
    canonical = ALIASES.get(mode, mode)
    if canonical not in CODES:
        raise ValueError(
            f"{name} must be one of {', '.join(repr(m) for m in ALL_NAMES)}; got {mode!r}")
    return canonical, CODES[canonical]
