"""Build script for cconv1d's compiled modules.

Every build flavour is chosen by an environment variable (see README, "Build options"):

=============================  ==========================================================
``CCONV1D_DEBUG=1``            bounds/initialized checks on, ``-O0 -g``: hunting segfaults
``CCONV1D_PROFILE=1``          Cython line tracing + ``CYTHON_TRACE_NOGIL``, ``-g``
``CCONV1D_PROFILE=perf``       ``-O3 -g -fno-omit-frame-pointer`` only: C-level profilers
``CCONV1D_SANITIZE=address,undefined``  ``-fsanitize=...`` on compile and link
``CCONV1D_NO_OPENMP=1``        build without OpenMP even if the compiler supports it
``CCONV1D_NATIVE=1``           ``-march=native``; local experiments only, never for wheels
=============================  ==========================================================
"""

import os
import sys
import sysconfig
import tempfile
import textwrap

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

from Cython.Build import cythonize


def flag(name):
    return os.environ.get(name, "0").strip().lower() not in ("", "0", "false", "no", "off")


DEBUG = flag("CCONV1D_DEBUG")
# "perf": symbols and frame pointers for C-level profilers, optimised code unchanged;
# any other true value: Cython line tracing too (coverage, line profilers).
PERF = os.environ.get("CCONV1D_PROFILE", "").strip().lower() == "perf"
PROFILE = flag("CCONV1D_PROFILE") and not PERF
NO_OPENMP = flag("CCONV1D_NO_OPENMP")
NATIVE = flag("CCONV1D_NATIVE")
SANITIZE = os.environ.get("CCONV1D_SANITIZE", "").strip()

HERE = os.path.dirname(os.path.abspath(__file__))
PKG = os.path.join("src", "cconv1d")
INCLUDE = os.path.join(PKG, "include")

MODULES = ["_threads", "_padding", "_spec", "_kernels", "_forward", "_backward", "_stream", "_lagstats"]

# Every header and .pxd: editing any of them rebuilds every module (they are small).
DEPENDS = sorted(
    [os.path.join(PKG, f) for f in os.listdir(PKG) if f.endswith(".pxd")]
    + [os.path.join(INCLUDE, "cconv1d", f)
       for f in os.listdir(os.path.join(INCLUDE, "cconv1d")) if f.endswith(".h")]
)

DIRECTIVES = {
    "language_level": 3,
    "boundscheck": DEBUG,
    "initializedcheck": DEBUG,
    "wraparound": False,
    "cdivision": True,
    "nonecheck": False,
    "embedsignature": True,
    "cpow": True,
    "linetrace": PROFILE,
    "profile": PROFILE,
}


def compiler_kind(compiler):
    return "msvc" if compiler.compiler_type == "msvc" else "unix"


def opt_flags(kind):
    if kind == "msvc":
        flags = ["/Od", "/Zi"] if DEBUG else ["/O2"]
        if PROFILE or PERF:
            flags.append("/Zi")
        return flags
    flags = ["-O0", "-g"] if DEBUG else ["-O3"]
    if (PROFILE or PERF) and not DEBUG:
        flags.append("-g")
    if PERF:
        flags.append("-fno-omit-frame-pointer")
    # Never -ffast-math: it breaks NaN/inf propagation and reorders reductions.
    flags += ["-fno-math-errno", "-Wno-unused-function", "-Wno-unreachable-code"]
    if NATIVE:
        flags.append("-march=native")
    if SANITIZE:
        flags += ["-fsanitize=" + SANITIZE, "-fno-omit-frame-pointer",
                  "-fno-sanitize-recover=all"]
    return flags


def link_flags(kind):
    if kind == "msvc":
        return []
    return ["-fsanitize=" + SANITIZE] if SANITIZE else []


def _libomp_prefixes():
    """Where Apple clang can find LLVM's libomp: $LIBOMP_PREFIX (set by the wheel build),
    then Homebrew's places on arm64 and x86_64 Macs."""
    prefixes = [os.environ.get("LIBOMP_PREFIX", "").strip(),
                "/opt/homebrew/opt/libomp", "/usr/local/opt/libomp"]
    return [p for p in prefixes if p and os.path.isfile(os.path.join(p, "include", "omp.h"))]


def openmp_candidates(kind, platform=sys.platform):
    """(compile, link) flag pairs to try, best first.

    GCC and LLVM clang take ``-fopenmp``. Apple clang has no OpenMP runtime of its own:
    it needs ``-Xpreprocessor -fopenmp`` and LLVM's libomp (``-lomp``), as scikit-learn's
    macOS wheels do; the wheel build installs libomp and delocate ships it in the wheel.
    """
    if kind == "msvc":
        return [(["/openmp"], [])]
    candidates = [(["-fopenmp"], ["-fopenmp"])]
    if platform == "darwin":
        for prefix in _libomp_prefixes():
            candidates.append((["-Xpreprocessor", "-fopenmp", f"-I{prefix}/include"],
                               [f"-L{prefix}/lib", "-lomp", f"-Wl,-rpath,{prefix}/lib"]))
        # libomp already on the default search paths (CFLAGS/LDFLAGS or a system copy)
        candidates.append((["-Xpreprocessor", "-fopenmp"], ["-lomp"]))
    return candidates


def probe_openmp(compiler, kind):
    """Return the OpenMP (compile, link) flags if a test program builds, else None."""
    if NO_OPENMP:
        return None
    candidates = openmp_candidates(kind)
    source = textwrap.dedent("""
        #include <omp.h>
        int main(void) {
            int n = 0;
            #pragma omp parallel reduction(+:n)
            n += omp_get_num_threads() > 0;
            return n > 0 ? 0 : 1;
        }
    """)
    for cflags, lflags in candidates:
        with tempfile.TemporaryDirectory() as tmp:
            src = os.path.join(tmp, "probe.c")
            with open(src, "w") as fh:
                fh.write(source)
            try:
                objs = compiler.compile([src], output_dir=tmp, extra_postargs=cflags)
                compiler.link_executable(objs, os.path.join(tmp, "probe"),
                                         extra_postargs=lflags)
            except Exception:  # noqa: BLE001 - any failure means "no OpenMP"
                continue
            return cflags, lflags
    return None


class BuildExt(build_ext):
    """Probes OpenMP, applies the flavour's flags, records them for ``show_config()``."""

    def run(self):
        # setuptools' build_ext.run turns `inplace` off while it builds (it copies the
        # modules in afterwards), so remember whether this build is in place.
        self._source_tree_build = bool(self.inplace) or getattr(self, "editable_mode", False)
        super().run()

    def build_extensions(self):
        kind = compiler_kind(self.compiler)
        omp = probe_openmp(self.compiler, kind)
        cflags = opt_flags(kind)
        lflags = link_flags(kind)
        if omp:
            cflags = cflags + omp[0]
            lflags = lflags + omp[1]
        for ext in self.extensions:
            ext.extra_compile_args = cflags + list(ext.extra_compile_args or [])
            ext.extra_link_args = lflags + list(ext.extra_link_args or [])
        super().build_extensions()
        self._write_build_info(kind, cflags, lflags, omp is not None)

    def _write_build_info(self, kind, cflags, lflags, openmp):
        cc = getattr(self.compiler, "compiler_so", None) or [kind]
        info = {
            "compiler": " ".join(cc[:1]) if isinstance(cc, list) else str(cc),
            "compiler_type": self.compiler.compiler_type,
            "cflags": " ".join(cflags),
            "ldflags": " ".join(lflags),
            "openmp": openmp,
            "debug": DEBUG,
            "profile": "perf" if PERF else PROFILE,
            "sanitize": SANITIZE or None,
            "native": NATIVE,
            "python": sys.version.split()[0],
            "platform": sysconfig.get_platform(),
        }
        text = ("# Written by setup.py at build time; not part of the source tree.\n"
                f"BUILD_INFO = {info!r}\n")
        targets = [os.path.join(self.build_lib, "cconv1d", "_build_info.py")]
        if getattr(self, "_source_tree_build", False) or self.inplace:
            # In-place and editable builds import from the source tree (file ignored by git).
            targets.append(os.path.join(HERE, PKG, "_build_info.py"))
        for path in targets:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as fh:
                fh.write(text)


def extensions():
    macros = [("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")]
    if PROFILE:
        macros += [("CYTHON_TRACE", "1"), ("CYTHON_TRACE_NOGIL", "1")]
    exts = [
        Extension(
            f"cconv1d.{name}",
            [os.path.join(PKG, f"{name}.pyx")],
            # INCLUDE for the kernels' own #includes; "src" because the shipped .pxd files
            # name headers relative to cconv1d.get_include() (the package's parent).
            include_dirs=[INCLUDE, "src"],
            define_macros=macros,
            depends=DEPENDS,
        )
        for name in MODULES
    ]
    return cythonize(
        exts,
        compiler_directives=DIRECTIVES,
        include_path=[PKG],
        nthreads=int(os.environ.get("CCONV1D_CYTHON_JOBS", "0")) or None,
        annotate=flag("CCONV1D_ANNOTATE"),
    )


setup(ext_modules=extensions(), cmdclass={"build_ext": BuildExt})
