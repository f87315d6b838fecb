"""The kernel registry: the one module that compiles cconv1d's SIMD kernels.

Every instruction set's kernels (``include/cconv1d/cc_kernels_<isa>.inc.h``) are
compiled here and described by one record each (``cc_registry.h``): name, register tile,
kernel functions. The forward and backward modules ask :c:func:`active_kernels` for the
active record once per call and plan with its tile. The active path is chosen at import
(the best this CPU runs, or ``CCONV1D_SIMD``) and can be switched with
:func:`select_simd`; a switch swaps one pointer, so calls already running on other
threads finish on the path they started with.
"""

import os
import warnings

cdef extern from "cconv1d/cc_kernels.h" nogil:
    const cc_kernels_t* cc_kernels_active()
    const cc_kernels_t* cc_registry[]
    int cc_kernels_select(int wanted)
    int cc_kernels_usable(int isa)
    int cc_kernels_best()
    int cc_cpu_runs(int isa)
    int cc_cpu_avx512_half_width()

#: Every path the library knows, indexed by its code.
SIMD_NAMES = ("scalar", "avx2", "avx512", "neon")


cdef const cc_kernels_t* active_kernels() noexcept nogil:
    return cc_kernels_active()


def simd_code(name):
    """The code of path ``name`` (-1 for None or "auto": the best this CPU runs)."""
    if name is None or name == "auto":
        return -1
    return SIMD_NAMES.index(name)


def built_paths():
    """The paths compiled into this build, in code order."""
    return tuple(SIMD_NAMES[i] for i in range(CC_SIMD_COUNT) if cc_registry[i] != NULL)


def usable_paths():
    """The paths built in that this CPU and OS run."""
    return tuple(SIMD_NAMES[i] for i in range(CC_SIMD_COUNT) if cc_kernels_usable(i))


def best_simd():
    """The best SIMD path built in that this CPU and OS run."""
    return SIMD_NAMES[cc_kernels_best()]


def simd_path():
    """The active SIMD path."""
    return SIMD_NAMES[active_kernels().isa]


def select_simd(name=None):
    """Make ``name`` the active path ("scalar", "avx2", "avx512", "neon"; None or "auto":
    the best this CPU runs). A path that is not built in or that this CPU cannot run
    leaves the best usable path active. Returns the active path.

    Raises
    ------
    ValueError
        If ``name`` is not a path name.
    """
    if name is not None and name != "auto" and name not in SIMD_NAMES:
        raise ValueError(f"name must be one of {', '.join(SIMD_NAMES)} or 'auto', "
                         f"got {name!r}")
    if cc_kernels_select(simd_code(name)) < 0:
        cc_kernels_select(-1)
    return simd_path()


def avx512_half_width():
    """Whether this CPU runs AVX-512's FMAs at AVX2's width (AMD Zen 4: a 512-bit FMA
    is two halves on 256-bit units, so the AVX-512 roof is the AVX2 one); False where
    the CPU has no AVX-512 (cc_cpu.h)."""
    return bool(cc_cpu_avx512_half_width())


def descriptors():
    """One dict per built path: name, code, register tiles and whether it runs here."""
    cdef int i
    cdef const cc_kernels_t* d
    out = []
    for i in range(CC_SIMD_COUNT):
        d = cc_registry[i]
        if d == NULL:
            continue
        out.append({"name": d.name.decode(), "code": d.isa, "runs": bool(cc_cpu_runs(i)),
                    "mr": d.mr, "nr_float32": d.nr_f32, "nr_float64": d.nr_f64,
                    "wgrad_tile": (d.wr, d.wc), "wgemm_pairs": d.wgemm_pairs,
                    "wgemm_max_len": d.wgemm_max_len,
                    "float32_lanes": d.vlen_f32})
    return out


_env_simd = os.environ.get("CCONV1D_SIMD", "").strip().lower() or None
if _env_simd not in (None, "auto") + SIMD_NAMES:
    warnings.warn(f"CCONV1D_SIMD={_env_simd!r} is not one of {', '.join(SIMD_NAMES)}, "
                  "auto; using the best path", RuntimeWarning)
    _env_simd = None
select_simd(_env_simd)
