"""The installed package: metadata, configuration, C-level files, docstring examples."""

import doctest
import importlib
import io
import os
import pkgutil
import subprocess
import sys

import pytest

import cconv1d as cc


def test_version_and_config():
    assert isinstance(cc.__version__, str) and cc.__version__.count(".") >= 2
    buf = io.StringIO()
    cc.show_config(file=buf)
    text = buf.getvalue()
    assert text.startswith(f"cconv1d {cc.__version__}")
    for field in ("compiler", "compile flags", "OpenMP", "threads", "SIMD"):
        assert field in text
    # The build recorded its flags: a release build is optimised and not -march=native.
    info = cc._config.config_dict()
    assert info["compiler"] != "unknown"
    assert "-march=native" not in info["cflags"] or info["build"] != "release"


def test_cli_info_runs_as_module():
    result = subprocess.run([sys.executable, "-m", "cconv1d", "info"],
                            capture_output=True, text=True, check=True)
    assert result.stdout.startswith("cconv1d ")


def test_shipped_c_level_files():
    root = cc.get_include()
    pkg = os.path.join(root, "cconv1d")
    for name in ("_padding.pxd", "_typedefs.pxd", "py.typed", "_padding.pyi",
                 os.path.join("include", "cconv1d", "cc_modes.h")):
        assert os.path.exists(os.path.join(pkg, name)), name


def test_threads_roundtrip():
    default = cc.get_num_threads()
    assert default >= 1
    try:
        cc.set_num_threads(1)
        assert cc.get_num_threads() == 1
        with pytest.raises(ValueError, match="n must be"):
            cc.set_num_threads(0)
        with pytest.raises(TypeError, match="n must be"):
            cc.set_num_threads(1.5)
    finally:
        cc.set_num_threads(None)
    assert cc.get_num_threads() == default


def _public_modules():
    names = ["cconv1d"]
    for info in pkgutil.iter_modules(cc.__path__):
        if not info.name.startswith("_"):
            names.append(f"cconv1d.{info.name}")
    names += ["cconv1d._threads", "cconv1d._config"]
    return names


@pytest.mark.parametrize("name", _public_modules())
def test_docstring_examples(name):
    """Every Examples section of the installed package runs and prints what it shows."""
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(module, name):
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"
