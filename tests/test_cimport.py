"""Other Cython code can cimport the shipped nogil kernels (the C-level API)."""

import os
import subprocess
import sys
import textwrap

import numpy as np

import cconv1d as cc


def test_cimport_pad_row(tmp_path):
    source = textwrap.dedent("""
        # cython: language_level=3
        from cconv1d._padding cimport pad_row

        def edge_pad(double[::1] x, double[::1] out, Py_ssize_t left, Py_ssize_t right):
            with nogil:
                pad_row(&x[0], x.shape[0], &out[0], left, right, 1, 0.0, 0.0, 1, 1, NULL)
    """)
    (tmp_path / "downstream.pyx").write_text(source)
    (tmp_path / "setup.py").write_text(textwrap.dedent(f"""
        from setuptools import setup, Extension
        from Cython.Build import cythonize
        ext = Extension("downstream", ["downstream.pyx"],
                        include_dirs=[{cc.get_include()!r}])
        setup(name="downstream", ext_modules=cythonize(
            [ext], include_path=[{cc.get_include()!r}], quiet=True))
    """))
    subprocess.run([sys.executable, "setup.py", "build_ext", "--inplace", "-q"],
                   cwd=tmp_path, check=True, capture_output=True)
    sys.path.insert(0, str(tmp_path))
    try:
        import downstream
        x = np.array([1.0, 2.0, 3.0])
        out = np.zeros(6)
        downstream.edge_pad(x, out, 2, 1)
        np.testing.assert_array_equal(out, np.pad(x, (2, 1), mode="edge"))
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("downstream", None)
