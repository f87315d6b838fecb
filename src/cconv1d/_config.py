"""``show_config()``: what this build of cconv1d is and how it will run here."""

from __future__ import annotations

import os
import platform
import sys
from typing import Any, TextIO

from cconv1d import _kernels, _threads
from cconv1d._version import __version__

try:
    from cconv1d._build_info import BUILD_INFO
except ImportError:  # a source tree that was never built by setup.py
    BUILD_INFO = {}


def config_dict() -> dict[str, Any]:
    """The facts ``show_config`` prints, as a dict (for bug reports and tests)."""
    import numpy as np

    return {
        "version": __version__,
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "platform": f"{platform.system()} {platform.machine()}",
        "compiler": BUILD_INFO.get("compiler", "unknown"),
        "compiler_type": BUILD_INFO.get("compiler_type", "unknown"),
        "cflags": BUILD_INFO.get("cflags", "unknown"),
        "ldflags": BUILD_INFO.get("ldflags", ""),
        "build": ", ".join(name for name in ("debug", "profile", "native")
                           if BUILD_INFO.get(name)) or "release",
        "sanitize": BUILD_INFO.get("sanitize") or "off",
        "openmp": _threads.have_openmp(),
        "simd_built": ", ".join(_kernels.built_paths()),
        "simd_best": _kernels.best_simd(),
        "simd_chosen": _kernels.simd_path(),
        "kernels": _kernels.descriptors(),
        "avx512_half_width": _kernels.avx512_half_width(),
        "simd_env": os.environ.get("CCONV1D_SIMD", "unset"),
        "num_threads": _threads.get_num_threads(),
        "omp_num_threads_env": os.environ.get("OMP_NUM_THREADS", "unset"),
    }


def show_config(file: TextIO | None = None) -> None:
    """Print the version, compiler, flags, SIMD paths, OpenMP status and thread count.

    Parameters
    ----------
    file : file-like, optional
        Where to print; standard output by default.

    Examples
    --------
    >>> import cconv1d as cc
    >>> cc.show_config()  # doctest: +ELLIPSIS
    cconv1d ...
    """
    info = config_dict()
    lines = [
        f"cconv1d {info['version']}",
        f"  python         : {info['python']} ({info['platform']})",
        f"  numpy          : {info['numpy']}",
        f"  compiler       : {info['compiler']} ({info['compiler_type']})",
        f"  compile flags  : {info['cflags']}",
        f"  link flags     : {info['ldflags'] or '(none)'}",
        f"  build          : {info['build']}, sanitizers {info['sanitize']}",
        f"  SIMD built     : {info['simd_built']}",
        f"  SIMD chosen    : {info['simd_chosen']} (best on this CPU: {info['simd_best']}; "
        f"CCONV1D_SIMD={info['simd_env']})",
    ]
    for d in info["kernels"]:
        lines.append(
            f"    {d['name']:<7}: igemm tile {d['mr']} x {d['nr_float32']} float32 / "
            f"{d['mr']} x {d['nr_float64']} float64, wgrad tile {d['wgrad_tile'][0]} x "
            f"{d['wgrad_tile'][1]}, wgemm "
            + (f"from {d['wgemm_pairs']} pairs" if d["wgemm_pairs"] else "off")
            + (f" up to {d['wgemm_max_len']} outputs a sample"
               if d["wgemm_pairs"] and d["wgemm_max_len"] else "")
            + f", {'runs here' if d['runs'] else 'not on this CPU'}"
            + (" (FMAs at AVX2's width: the same roof)"
               if d["name"] == "avx512" and info["avx512_half_width"] else ""))
    lines += [
        f"  OpenMP         : {'yes' if info['openmp'] else 'no (serial build)'}",
        f"  threads        : {info['num_threads']} "
        f"(OMP_NUM_THREADS={info['omp_num_threads_env']})",
    ]
    print("\n".join(lines), file=file or sys.stdout)
