"""The spec layer: every public argument is checked here, once, before a kernel runs.

One module turns what users pass into what kernels take:

* padding-mode names, aliases and their ``cc_modes.h`` codes (the only table that pairs
  a name with a number);
* array coercion and dtype promotion (API.md section 1), integer arguments, sizes in
  Python ints (nothing overflows before a kernel sees it) and ``out=`` checks;
* the geometry of :func:`cconv1d.conv1d` (``conv1d_geometry``, padding words) and NumPy's
  output windows for ``convolve``/``correlate``;
* :class:`ConvSpec`, the typed record of one conv1d call, built either by
  :func:`conv1d_spec` (the general route, with the full error messages) or, for the
  common call, by the typed fast route ``fast_conv1d_spec`` that the kernel module
  cimports (``_spec.pxd``).

``functional``, ``signal``, ``padding``, ``layers``, ``torch`` and ``dask`` call these
functions; the kernel modules cimport the record and the fast route. Every message names
the argument, what was expected and what was given. Type annotations are in
``_spec.pyi`` (in a ``.pyx`` Cython would compile them into C type checks).
"""

import operator
import sys

cimport cython

import numpy as np

from cconv1d._padding cimport (
    CC_PAD_ANTIREFLECT, CC_PAD_ANTISYMMETRIC, CC_PAD_CONSTANT, CC_PAD_EDGE,
    CC_PAD_LINEAR_RAMP, CC_PAD_MAXIMUM, CC_PAD_MEAN, CC_PAD_MEDIAN, CC_PAD_MINIMUM,
    CC_PAD_REFLECT, CC_PAD_SMOOTH, CC_PAD_SYMMETRIC, CC_PAD_WRAP)

# ---------------------------------------------------------------------------------------
# padding modes

#: Canonical padding-mode names -> their codes in cc_modes.h: the one table that pairs a
#: name with a number; every other constant below is derived from it.
MODE_CODES = {
    "constant": CC_PAD_CONSTANT,
    "edge": CC_PAD_EDGE,
    "reflect": CC_PAD_REFLECT,
    "symmetric": CC_PAD_SYMMETRIC,
    "wrap": CC_PAD_WRAP,
    "mean": CC_PAD_MEAN,
    "median": CC_PAD_MEDIAN,
    "minimum": CC_PAD_MINIMUM,
    "maximum": CC_PAD_MAXIMUM,
    "linear_ramp": CC_PAD_LINEAR_RAMP,
    "antisymmetric": CC_PAD_ANTISYMMETRIC,
    "antireflect": CC_PAD_ANTIREFLECT,
    "smooth": CC_PAD_SMOOTH,
}
CODES = MODE_CODES
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
cdef dict _MODE_NAMES = {code: name for name, code in CODES.items()}

# Every accepted padding_mode string -> its code, for the fast route; the "zeros" names
# map to -1 (constant, with the value forced to 0).
cdef dict _FAST_CODES = dict(CODES, **{alias: CODES[name] for alias, name in ALIASES.items()})
_FAST_CODES.update(dict.fromkeys(ZEROS, -1))


def lookup(mode, name="mode"):
    """Return ``(canonical_name, code)`` for a mode name or alias.

    Raises
    ------
    ValueError
        If ``mode`` is not a known name, with the list of names; or a name of another
        library that has no meaning here (``"periodization"``), with the reason.
    TypeError
        If ``mode`` is not a string.

    Examples
    --------
    >>> from cconv1d._spec import lookup
    >>> lookup("replicate")
    ('edge', 1)
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


# ---------------------------------------------------------------------------------------
# arrays, dtypes, integers, sizes

# Largest element count we let a kernel index: Py_ssize_t offsets must not overflow even
# after multiplying by the widest itemsize we use (complex128, 16 bytes).
MAX_ELEMENTS = sys.maxsize // 16

cdef object _F32 = np.dtype(np.float32)
cdef object _F64 = np.dtype(np.float64)
cdef tuple _NATIVE_FLOATS = (_F32, _F64)


cdef object _native_width(object dtype, str name, str what, object narrow, object wide,
                          str widest):
    """``narrow`` or ``wide`` by ``dtype``'s width (4/8 bytes real, 8/16 complex)."""
    cdef int unit = 8 if dtype.kind == "c" else 4
    if dtype.itemsize <= unit:
        return np.dtype(narrow)
    if dtype.itemsize == 2 * unit:
        return np.dtype(wide)
    raise TypeError(f"{name}: dtype {dtype} is not supported by {what}; "
                    f"extended precision is not computed natively, cast to {widest}")


def compute_dtype(dtype, name, what, *, allow_complex):
    """The dtype a kernel computes in for input dtype ``dtype`` (API.md section 1).

    float32/float64 stay; bool and integers compute in float64; float16 in float32;
    complex64/complex128 stay where ``allow_complex``; everything else is a TypeError.
    """
    dtype = np.dtype(dtype)
    kind = dtype.kind
    if kind in "biu":
        return _F64
    if kind == "f":
        return _native_width(dtype, name, what, np.float32, np.float64, "float64")
    if kind == "c":
        if not allow_complex:
            raise TypeError(f"{name}: dtype {dtype} is not supported by {what} "
                            "(complex input is refused; use float32 or float64)")
        return _native_width(dtype, name, what, np.complex64, np.complex128, "complex128")
    raise TypeError(f"{name}: dtype {dtype} is not supported by {what}; expected a "
                    + ("floating, complex, integer or bool array" if allow_complex
                       else "real floating, integer or bool array"))


def as_array(x, name):
    """``x`` as an ndarray without copying, refusing object/str/datetime dtypes early."""
    if isinstance(x, np.ndarray):
        arr = x
    else:
        try:
            arr = np.asarray(x)
        except (ValueError, TypeError) as exc:
            raise TypeError(f"{name}: cannot be read as a numeric array ({exc})") from None
    if arr.dtype.kind not in "biufc":
        # (complex passes here; the functions that refuse it say so by name)
        raise TypeError(f"{name}: dtype {arr.dtype} is not supported; expected a numeric "
                        "(bool, integer, floating or complex) array")
    return arr


def result_dtype(arrays, names, what, *, allow_complex):
    """Promoted compute dtype of several inputs (``np.result_type`` then section 1 rules)."""
    first = arrays[0].dtype
    if first in _NATIVE_FLOATS and all(a.dtype == first for a in arrays):
        return first    # the common case, decided without promotion rules
    for arr, name in zip(arrays, names):
        compute_dtype(arr.dtype, name, what, allow_complex=allow_complex)
    promoted = np.result_type(*[a.dtype for a in arrays])
    return compute_dtype(promoted, names[0], what, allow_complex=allow_complex)


def contiguous(arr, dtype):
    """A C-contiguous, aligned, native-byte-order array of ``dtype``; copies only when
    needed.

    Read-only inputs come back read-only (kernels take ``const`` views), never modified.
    """
    if (arr.dtype == dtype and arr.flags.c_contiguous and arr.flags.aligned
            and arr.dtype.isnative):
        return arr      # already what the kernels take: no call into NumPy's conversion
    out = np.ascontiguousarray(arr, dtype=np.dtype(dtype).newbyteorder("="))
    if not out.flags.aligned:
        # A view into a byte buffer at an odd offset: kernels load whole elements.
        out = out.copy()
    return out


def as_flag(value, name):
    """A Python bool from ``value``, a bool or a NumPy bool; anything else (``"False"``,
    ``None``, 0, a list) is refused rather than read by its truth value."""
    if type(value) is bool:
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    raise TypeError(f"{name} must be True or False, got {value!r} "
                    f"of type {type(value).__name__}")


def as_int(value, name, *, minimum=None):
    """A Python int from an integer-like ``value`` (bool refused), checked ``>= minimum``."""
    if type(value) is int and (minimum is None or value >= minimum) \
            and -MAX_ELEMENTS <= value <= MAX_ELEMENTS:
        return value    # the common case, checked in one step
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    try:
        result = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an integer, got {value!r} "
                        f"of type {type(value).__name__}") from None
    if minimum is not None and result < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {result}")
    if abs(result) > MAX_ELEMENTS:
        # Products of such values overflow Py_ssize_t long before any kernel runs.
        raise ValueError(f"{name} = {result} is too large (the limit is {MAX_ELEMENTS})")
    return result


def one_int(value, name, *, minimum=None):
    """:func:`as_int` of ``value`` or of the one item of a 1-tuple or 1-list: PyTorch's
    layers store ``kernel_size``, ``stride``, ``dilation`` and ``padding`` as 1-tuples,
    and its functions take them."""
    if isinstance(value, (tuple, list)) and len(value) == 1:
        value = value[0]
    return as_int(value, name, minimum=minimum)


def int_pair(value, name, *, minimum=0):
    """``(left, right)`` from an int (both sides), a 1-sequence (both sides, as
    ``numpy.pad``'s ``(n,)`` and PyTorch's ``padding=(n,)``) or a pair of ints, each
    ``>= minimum``."""
    if isinstance(value, (tuple, list, np.ndarray)):
        items = list(np.asarray(value, dtype=object).ravel()) if isinstance(
            value, np.ndarray) else list(value)
        if len(items) == 1:
            width = as_int(items[0], name, minimum=minimum)
            return width, width
        if len(items) != 2:
            raise ValueError(f"{name} must be an int or a pair (left, right), "
                             f"got a sequence of length {len(items)}: {value!r}")
        left = as_int(items[0], f"{name}[0]", minimum=minimum)
        right = as_int(items[1], f"{name}[1]", minimum=minimum)
        return left, right
    width = as_int(value, name, minimum=minimum)
    return width, width


def check_size(count, name):
    """Refuse element counts that a kernel could not index (or would not fit in memory)."""
    if count > MAX_ELEMENTS:
        raise ValueError(f"{name}: the result would hold {count} elements, more than the "
                         f"{MAX_ELEMENTS} this platform can index")
    return count


def check_out(out, shape, dtype, inputs, what="out"):
    """Validate a user ``out=`` array: exact shape and dtype, C-contiguous, writeable,
    native byte order, no overlap with any input. Returns it."""
    if not isinstance(out, np.ndarray):
        raise TypeError(f"{what} must be a numpy.ndarray, got {type(out).__name__}")
    shape = tuple(shape)
    if out.shape != shape:
        raise ValueError(f"{what} has shape {out.shape}, expected {shape}")
    if out.dtype != dtype:
        raise ValueError(f"{what} has dtype {out.dtype}, expected {np.dtype(dtype)}")
    if not out.dtype.isnative:
        raise ValueError(f"{what} must be in native byte order, got {out.dtype.str}")
    if not out.flags.c_contiguous:
        raise ValueError(f"{what} must be C-contiguous")
    if not out.flags.aligned:
        raise ValueError(f"{what} must be aligned to its dtype (it is a view at an odd "
                         "byte offset)")
    if not out.flags.writeable:
        raise ValueError(f"{what} must be writeable")
    for arr, name in inputs:
        if isinstance(arr, np.ndarray) and np.may_share_memory(out, arr):
            raise ValueError(f"{what} overlaps the input {name}; pass a separate array")
    return out


cdef int check_status(int status, str what) except -1:
    """Raise for a kernel's status code (cc_common.h); kernels return codes because they
    run without the GIL and cannot raise."""
    if status == CC_OK:
        return 0
    if status == CC_ENOMEM:
        raise MemoryError(f"{what}: cannot allocate the kernel's workspace")
    raise ValueError(f"{what}: the kernel refused its arguments (status {status}); "
                     "this is a bug in cconv1d's argument checks, please report it")


# ---------------------------------------------------------------------------------------
# geometry

_PADDING_WORDS = ("valid", "same", "full", "causal")

ctypedef fused length_t:
    idx_t       # the fast route: small ints, C arithmetic
    object      # the general route: Python ints, which never overflow


cdef length_t _word_total(str word, length_t length, length_t span, length_t stride):
    """``left + right`` of a padding word, or -1 for an unknown word: ``"causal"`` puts
    it all on the left, the others split it with the odd sample on the right. Every
    value is >= 0, so C's and Python's integer division agree."""
    cdef length_t total
    if word == "valid":
        return 0
    if word == "same":
        # Output ceil(L / stride).
        total = ((length + stride - 1) // stride - 1) * stride + span + 1 - length
        return total if total > 0 else 0
    if word == "full":
        return 2 * span
    if word == "causal":
        return span
    return -1


def check_padding(padding):
    """Check a conv1d ``padding`` argument without a signal: a word, an int or a pair.

    Returns the word, or ``(left, right)`` as Python ints. Layers call it so a typo fails
    at construction, not at the first call.

    Examples
    --------
    >>> from cconv1d._spec import check_padding
    >>> check_padding("causal"), check_padding(2)
    ('causal', (2, 2))
    """
    if isinstance(padding, str):
        if _word_total[object](padding, 1, 0, 1) < 0:
            raise ValueError(f"padding must be an int, a pair (left, right) or one of "
                             f"{', '.join(repr(w) for w in _PADDING_WORDS)}; got {padding!r}")
        return padding
    return int_pair(padding, "padding")


def conv1d_geometry(length, kernel_size, stride=1, padding=0, dilation=1):
    """Padding and output length of :func:`cconv1d.conv1d`, as Python ints.

    Parameters
    ----------
    length, kernel_size, stride, dilation : int
        Input length (>= 0), taps (>= 1), step (>= 1) and tap spacing (>= 1). Any
        integer type (``numpy.int64`` too); floats, even integral ones, are refused.
    padding : int, (int, int) or str
        As for :func:`cconv1d.conv1d`.

    Returns
    -------
    (left, right, l_out) : tuple of int
        ``l_out = (left + length + right - dilation*(kernel_size-1) - 1) // stride + 1``;
        it may be < 1, which :func:`cconv1d.conv1d` refuses.

    Raises
    ------
    TypeError
        A length, size, stride or dilation that is not an integer.
    ValueError
        ``length < 0``; ``kernel_size``, ``stride`` or ``dilation < 1``; a bad ``padding``.

    Examples
    --------
    >>> from cconv1d.functional import conv1d_geometry
    >>> conv1d_geometry(10, 3, stride=2, padding="same")   # TensorFlow's SAME
    (0, 1, 5)
    >>> conv1d_geometry(10, 3, dilation=2, padding="causal")
    (4, 0, 10)
    """
    length = as_int(length, "length", minimum=0)
    kernel_size = one_int(kernel_size, "kernel_size", minimum=1)
    stride = one_int(stride, "stride", minimum=1)
    dilation = one_int(dilation, "dilation", minimum=1)
    span = dilation * (kernel_size - 1)
    if isinstance(padding, str):
        total = _word_total[object](padding, length, span, stride)
        if total < 0:
            check_padding(padding)      # raises, naming the words
        left = total if padding == "causal" else total // 2
        right = total - left
    else:
        left, right = int_pair(padding, "padding")
    l_out = (left + length + right - span - 1) // stride + 1
    return left, right, l_out


cdef void output_window(idx_t n, idx_t m, object mode, bint correlate, idx_t* offset,
                        idx_t* length) noexcept:
    cdef idx_t long_len = max(n, m), short = min(n, m)
    if mode == "full":
        offset[0], length[0] = 0, long_len + short - 1
    elif mode == "same":
        # numpy.correlate swaps its operands when v is longer, centres the swapped result
        # and reverses it: for an even len(a) its window starts one sample later.
        offset[0] = short // 2 if correlate and m > n else (short - 1) // 2
        length[0] = long_len
    elif mode == "valid":
        offset[0], length[0] = short - 1, long_len - short + 1
    else:
        offset[0], length[0] = 0, -1


def check_output_length(l_out, length, left, right, kernel_size, dilation):
    """Refuse a conv1d output shorter than one sample, explaining why."""
    if l_out < 1:
        raise ValueError(
            f"output length would be {l_out} < 1: input length {length} with padding "
            f"({left}, {right}) is shorter than the dilated kernel "
            f"dilation*(K-1)+1 = {dilation * (kernel_size - 1) + 1}")


def window(n, m, mode, correlate=False):
    """Offset into the full result and length of ``convolve``/``correlate``'s ``mode``
    (``"full"``, ``"same"`` or ``"valid"``), NumPy's rule for each; ``n = len(a)``,
    ``m = len(v)``.

    Examples
    --------
    >>> from cconv1d._spec import window
    >>> window(10, 3, "same"), window(10, 3, "valid")
    ((1, 10), (2, 8))
    """
    cdef idx_t offset, length
    output_window(n, m, mode, correlate, &offset, &length)
    if length < 0:
        raise ValueError(f"mode must be 'full', 'same' or 'valid', got {mode!r}")
    return offset, length


def pad_spec(arr, pad_width, mode, name):
    """``(left, right, canonical mode, code, compute dtype)`` of a :func:`cconv1d.pad` (or
    ``pad_backward``) call on ``arr`` (named ``name`` in messages)."""
    left, right = int_pair(pad_width, "pad_width")
    canonical, code = lookup(mode)
    dtype = compute_dtype(arr.dtype, name, "pad", allow_complex=True)
    if dtype.kind == "c" and code in ORDERED:
        raise TypeError(f"{name}: complex input is not supported by mode {canonical!r}, "
                        "which orders values; use a real array")
    return left, right, canonical, code, dtype


# ---------------------------------------------------------------------------------------
# the record of one conv1d call

@cython.auto_pickle(False)
cdef class ConvSpec:
    """The checked arguments of one :func:`cconv1d.conv1d` (or ``conv1d_backward``) call.

    Built by :func:`conv1d_spec` or the compiled fast route, read by the kernel modules.
    Attributes (read-only): ``x`` (the input array as given, ``(N, C_in, L)`` or
    ``(C_in, L)``; ``x3`` is always 3-D), ``weight``, ``bias`` (or None), ``dtype`` (float32 or float64), ``batched``
    (whether ``x`` had a batch axis), ``n_batch, c_in, length, c_out, c_per_group,
    k_size, stride, dilation, groups``, the padding ``left, right``, the output length
    ``l_out``, and the padding mode as ``code`` (cc_modes.h), ``mode`` (canonical name)
    and ``value`` (the constant; 0.0 for ``"zeros"``).

    Examples
    --------
    >>> import numpy as np
    >>> from cconv1d._spec import conv1d_spec
    >>> s = conv1d_spec(np.zeros((2, 4, 10)), np.zeros((8, 4, 3)), None, 1, "same", 1, 1,
    ...                 "reflect", 0.0, "conv1d")
    >>> (s.n_batch, s.c_out, s.left, s.right, s.l_out, s.mode)
    (2, 8, 1, 1, 10, 'reflect')
    """

    @property
    def batched(self):
        return self.args.batched

    @property
    def n_batch(self):
        return self.args.n_batch

    @property
    def c_in(self):
        return self.args.c_in

    @property
    def length(self):
        return self.args.length

    @property
    def c_out(self):
        return self.args.c_out

    @property
    def c_per_group(self):
        return self.args.c_per_group

    @property
    def k_size(self):
        return self.args.k_size

    @property
    def stride(self):
        return self.args.stride

    @property
    def dilation(self):
        return self.args.dilation

    @property
    def groups(self):
        return self.args.groups

    @property
    def left(self):
        return self.args.left

    @property
    def right(self):
        return self.args.right

    @property
    def l_out(self):
        return self.args.l_out

    @property
    def code(self):
        return self.args.code

    @property
    def value(self):
        return self.args.value

    @property
    def mode(self):
        """The padding mode's canonical name (``"constant"`` for ``"zeros"``)."""
        return _MODE_NAMES[self.code]

    @property
    def x3(self):
        """``x`` as ``(N, C_in, L)`` (a view when it had no batch axis)."""
        return self.x if self.batched else self.x[np.newaxis]

    @property
    def shape3(self):
        """The result's shape with the batch axis: ``(N, C_out, L_out)``."""
        return (self.n_batch, self.c_out, self.l_out)

    @property
    def shape(self):
        """The result's shape: ``(N, C_out, L_out)``, or ``(C_out, L_out)`` unbatched."""
        if self.batched:
            return (self.n_batch, self.c_out, self.l_out)
        return (self.c_out, self.l_out)

    def __repr__(self):
        return (f"ConvSpec(x={tuple(self.x.shape)}, weight={tuple(self.weight.shape)}, "
                f"dtype={self.dtype}, stride={self.stride}, dilation={self.dilation}, "
                f"groups={self.groups}, padding=({self.left}, {self.right}), "
                f"l_out={self.l_out}, mode={self.mode!r})")


cdef ConvSpec _new_spec(object x, object w, object b, object dtype, bint batched,
                        idx_t stride, idx_t dilation, idx_t groups, idx_t left,
                        idx_t right, idx_t l_out, int code, double value):
    cdef ConvSpec s = ConvSpec.__new__(ConvSpec)
    s.x, s.weight, s.bias, s.dtype = x, w, b, dtype
    shape = x.shape if batched else (1,) + x.shape
    s.args = ConvArgs(batched=batched, n_batch=shape[0], c_in=shape[1], length=shape[2],
                      c_out=w.shape[0], c_per_group=w.shape[1], k_size=w.shape[2],
                      stride=stride, dilation=dilation, groups=groups, left=left,
                      right=right, l_out=l_out, code=code, value=value)
    return s


def common_ints(stride, dilation, groups):
    """``stride``, ``dilation`` and ``groups`` checked (integers >= 1)."""
    return (one_int(stride, "stride", minimum=1), one_int(dilation, "dilation", minimum=1),
            as_int(groups, "groups", minimum=1))


def batched(arr, name):
    """``(arr as (N, C, L), whether it had the batch axis)``; other ndims refused."""
    if arr.ndim == 3:
        return arr, True
    if arr.ndim == 2:
        return arr[None], False
    raise ValueError(f"{name} must be (N, C_in, L) or (C_in, L), "
                     f"got an array of shape {arr.shape}")


cdef tuple _weight_and_bias(object wa, object ba, object c_in, object groups):
    if wa.ndim != 3:
        raise ValueError(f"weight must be 3-D (C_out, C_in/groups, K), got shape {wa.shape}")
    c_out, c_per_group, k_size = wa.shape
    if k_size < 1:
        raise ValueError(f"weight: kernel size (last axis) must be >= 1, got {k_size}")
    if c_in % groups:
        raise ValueError(f"groups={groups} must divide the input channels C_in={c_in}")
    if c_out % groups:
        raise ValueError(f"groups={groups} must divide the output channels "
                         f"(weight.shape[0]={c_out})")
    if c_per_group != c_in // groups:
        raise ValueError(f"weight.shape[1] must be C_in/groups = {c_in}/{groups} = "
                         f"{c_in // groups} (channel mismatch), got {c_per_group}")
    if ba is not None and (ba.ndim != 1 or ba.shape[0] != c_out):
        raise ValueError(f"bias must have shape ({c_out},) to match weight.shape[0], "
                         f"got {ba.shape}")
    return c_out, k_size


def mode_and_value(mode, pad_value):
    """``(canonical name, code, value)`` of conv1d's ``padding_mode`` and ``pad_value``
    (the value is 0.0 for the ``"zeros"`` names)."""
    canonical, code = lookup(mode, "padding_mode")
    if mode in ZEROS:
        value = 0.0
    else:
        try:
            value = float(pad_value)
        except (TypeError, ValueError):
            raise TypeError(f"pad_value must be a real number, got {pad_value!r}") from None
    return canonical, code, value


def conv1d_spec(x, weight, bias, stride, padding, dilation, groups, padding_mode,
                pad_value, what, extra=()):
    """Check :func:`cconv1d.conv1d`'s arguments and return their :class:`ConvSpec`.

    Parameters
    ----------
    x, weight, bias, stride, padding, dilation, groups, padding_mode, pad_value
        As given to :func:`cconv1d.conv1d` (``bias`` may be None).
    what : str
        The public function's name, for messages about dtypes.
    extra : sequence of (array, name), optional
        More arrays that take part in the dtype promotion (``grad_output``).

    Raises
    ------
    ValueError, TypeError
        Everything :func:`cconv1d.conv1d` documents, each naming its argument.
    """
    xa = as_array(x, "x")
    wa = as_array(weight, "weight")
    ba = None if bias is None else as_array(bias, "bias")
    arrays = [xa, wa] + ([ba] if ba is not None else []) + [a for a, _ in extra]
    names = ["x", "weight"] + (["bias"] if ba is not None else []) + [n for _, n in extra]
    dtype = result_dtype(arrays, names, what, allow_complex=False)
    stride, dilation, groups = common_ints(stride, dilation, groups)
    x3, is_batched = batched(xa, "x")
    n_batch, c_in, length = x3.shape
    if c_in < 1:
        raise ValueError(f"x must have at least one channel, got shape {xa.shape}")
    c_out, k_size = _weight_and_bias(wa, ba, c_in, groups)
    left, right, l_out = conv1d_geometry(length, k_size, stride, padding, dilation)
    check_output_length(l_out, length, left, right, k_size, dilation)
    canonical, code, value = mode_and_value(padding_mode, pad_value)
    if length == 0 and (left or right) and code != CONSTANT:
        raise ValueError(f"padding_mode {canonical!r} needs samples to pad from, but x "
                         "has length 0")
    check_size(n_batch * c_in * (left + length + right), "padded input")
    check_size(n_batch * c_out * l_out, "output")
    return _new_spec(xa, wa, ba, dtype, is_batched, stride, dilation, groups, left, right,
                     l_out, code, value)


def transpose_spec(x, weight, bias, stride, padding, output_padding, groups, dilation):
    """Check :func:`cconv1d.conv_transpose1d`'s arguments; return the :class:`ConvSpec`
    of the conv1d it is the adjoint (input gradient) of.

    In the record, ``x`` is the transposed convolution's input, which is that conv1d's
    output: ``c_out`` and ``l_out`` are its channels and length, while ``c_in`` and
    ``length`` are the result's channels and length. ``weight`` ``(C_in, C_out/groups,
    K)`` is that conv1d's weight as it stands. The padding is always ``"constant"``.
    """
    xa = as_array(x, "x")
    wa = as_array(weight, "weight")
    ba = None if bias is None else as_array(bias, "bias")
    arrays = [xa, wa] + ([ba] if ba is not None else [])
    names = ["x", "weight"] + (["bias"] if ba is not None else [])
    dtype = result_dtype(arrays, names, "conv_transpose1d", allow_complex=False)
    stride, dilation, groups = common_ints(stride, dilation, groups)
    output_padding = one_int(output_padding, "output_padding", minimum=0)
    left, right = int_pair(padding, "padding")
    x3, is_batched = batched(xa, "x")
    n_batch, c_in, length = x3.shape
    if wa.ndim != 3:
        raise ValueError(f"weight must be 3-D (C_in, C_out/groups, K), got shape {wa.shape}")
    if wa.shape[0] != c_in:
        raise ValueError(f"weight.shape[0] must equal the input channels C_in={c_in} "
                         f"(channel mismatch), got {wa.shape[0]}")
    if c_in % groups:
        raise ValueError(f"groups={groups} must divide the input channels C_in={c_in}")
    k_size = wa.shape[2]
    if k_size < 1:
        raise ValueError(f"weight: kernel size (last axis) must be >= 1, got {k_size}")
    c_out = wa.shape[1] * groups
    if c_out < 1:
        raise ValueError(f"weight.shape[1] must be >= 1, got shape {wa.shape}")
    if output_padding >= stride and output_padding >= dilation:
        raise ValueError(f"output_padding must be smaller than stride or dilation, got "
                         f"output_padding={output_padding}, stride={stride}, "
                         f"dilation={dilation}")
    if ba is not None and (ba.ndim != 1 or ba.shape[0] != c_out):
        raise ValueError(f"bias must have shape ({c_out},), got {ba.shape}")
    if length < 1:
        raise ValueError(f"x must have length >= 1, got shape {xa.shape}")
    full = (length - 1) * stride + dilation * (k_size - 1) + 1
    l_out = full + output_padding - left - right
    if l_out < 1:
        raise ValueError(f"output length would be {l_out} < 1: padding ({left}, {right}) "
                         f"removes more than the {full + output_padding} samples produced")
    check_size(n_batch * c_out * (full + output_padding), "output")
    cdef ConvSpec s = ConvSpec.__new__(ConvSpec)
    s.x, s.weight, s.bias, s.dtype = xa, wa, ba, dtype
    s.args = ConvArgs(batched=is_batched, n_batch=n_batch, c_in=c_out, length=l_out,
                      c_out=c_in, c_per_group=wa.shape[1], k_size=k_size, stride=stride,
                      dilation=dilation, groups=groups, left=left, right=right,
                      l_out=length, code=CONSTANT, value=0.0)
    return s


# ---------------------------------------------------------------------------------------
# the typed fast route

# Arguments past these bounds take the general route, whose checks name them.
cdef idx_t _FAST_MAX_INT = 1 << 30
cdef idx_t _FAST_MAX_ELEMENTS = 1 << 46
# Multiply-adds below which a long kernel stays on the fast route under method="auto":
# ~25-50 us of direct sums, under the FFT route's fixed cost alone (~180 us: plans,
# allocations, Python), so auto's cost model could only answer "direct" there after
# ~11 us of the general route's Python (a 4 -> 8 channel, K = 31 layer of 128 samples:
# 15.7 against 4.3 us a call).
cdef double _FFT_MIN_MACS = 1 << 22


cdef inline bint _plain_array(object a, object dtype):
    """An ndarray of exactly ``dtype`` (native), C-contiguous and aligned."""
    if type(a) is not np.ndarray or a.dtype is not dtype:
        return False
    flags = a.flags
    return flags.c_contiguous and flags.aligned


cdef inline bint _small_int(object v, idx_t minimum):
    return type(v) is int and minimum <= v < _FAST_MAX_INT


cdef bint fast_conv1d_args(object x, object w, object b, object stride, object padding,
                           object dilation, object groups, object padding_mode,
                           object pad_value, idx_t max_span, ConvArgs* args) except -1:
    """The record of the common conv1d call into ``*args`` (True), or False for anything
    else (the general route then checks and explains): ``x`` (2-D or 3-D), ``w`` and ``b`` (or None)
    C-contiguous, aligned ndarrays of one native float dtype, plain small ints, a known
    ``padding_mode`` with a float or int ``pad_value``, a non-empty signal, an output of
    at least one sample and a dilated kernel shorter than ``max_span``, or a longer one
    in a layer too small for the FFT route to pay (``max_span`` 0: never; the others
    may take the FFT route). For a small layer the general route's Python costs several
    times the arithmetic."""
    if type(x) is not np.ndarray:
        return False
    dtype = x.dtype
    if dtype is not _F32 and dtype is not _F64:
        return False
    if not (_plain_array(x, dtype) and _plain_array(w, dtype)
            and (b is None or _plain_array(b, dtype))):
        return False
    if not (_small_int(stride, 1) and _small_int(dilation, 1) and _small_int(groups, 1)):
        return False
    if type(padding_mode) is not str:
        return False
    cdef int code = _FAST_CODES.get(padding_mode, -2)
    cdef double value = 0.0
    if code == -2:
        return False
    if code == -1:
        code = CC_PAD_CONSTANT
    elif type(pad_value) is float or type(pad_value) is int:
        value = pad_value
    else:
        return False
    cdef int ndim = x.ndim
    if (ndim != 2 and ndim != 3) or w.ndim != 3 or (b is not None and b.ndim != 1):
        return False
    shape = x.shape
    cdef idx_t n = shape[0] if ndim == 3 else 1
    cdef idx_t c_in = shape[ndim - 2], length = shape[ndim - 1]
    cdef idx_t c_out = w.shape[0], c_per_group = w.shape[1], k_size = w.shape[2]
    cdef idx_t s = stride, d = dilation, g = groups
    if (n == 0 or c_in == 0 or length == 0 or c_out == 0 or k_size == 0
            or c_in % g or c_out % g or c_per_group != c_in // g
            or (b is not None and b.shape[0] != c_out)
            or k_size >= _FAST_MAX_INT or length >= _FAST_MAX_ELEMENTS):
        return False
    cdef idx_t span = d * (k_size - 1), left = 0, right = 0, l_out, total
    cdef bint long_kernel = span + 1 >= max_span
    if long_kernel and max_span == 0:
        return False
    if type(padding) is int:
        if not _small_int(padding, 0):
            return False
        left = right = padding
    elif type(padding) is tuple and len(padding) == 2:
        if not (_small_int(padding[0], 0) and _small_int(padding[1], 0)):
            return False
        left, right = padding
    elif type(padding) is str:
        total = _word_total[idx_t](padding, length, span, s)
        if total < 0:
            return False
        left = total if padding == "causal" else total // 2
        right = total - left
    else:
        return False
    if left + length + right - span - 1 < 0:   # output length < 1 (C division truncates)
        return False
    l_out = (left + length + right - span - 1) // s + 1
    # in double: these products must not overflow before they are compared
    if (<double>n * c_in * (left + length + right) >= _FAST_MAX_ELEMENTS
            or <double>n * c_out * l_out >= _FAST_MAX_ELEMENTS):
        return False
    if long_kernel and <double>n * c_out * l_out * c_per_group * k_size >= _FFT_MIN_MACS:
        return False
    args[0] = ConvArgs(batched=ndim == 3, n_batch=n, c_in=c_in, length=length,
                       c_out=c_out, c_per_group=c_per_group, k_size=k_size, stride=s,
                       dilation=d, groups=g, left=left, right=right, l_out=l_out,
                       code=code, value=value)
    return True
