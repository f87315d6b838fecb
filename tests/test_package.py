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


def test_bench_header_peak_json_and_peer_check(tmp_path, monkeypatch, capsys):
    """The benchmark's header, % peak, per-thread tables, JSON, and its untimed peer check."""
    import json

    import numpy as np

    from cconv1d import bench

    monkeypatch.setattr(bench, "PEAK_SIZE", 64)  # the real 2048 GEMM takes seconds
    peers = bench._signal_peers
    monkeypatch.setattr(bench, "_signal_peers", lambda a, v: {
        **peers(a, v), "wrong": lambda: np.convolve(a, v)[::-1]})
    buf = io.StringIO()
    path = tmp_path / "bench.json"
    rows = bench.run(cases=["tiny"], signal_cases=[(50, 8)], repeats=1, threads=[1, 2],
                     backward=True, stream=buf, json_path=str(path))
    text = buf.getvalue()
    for field in ("machine :", "SIMD    :", "threads : 1", "threads : 2", "peak    : float32",
                  "% peak", "ndimage", "note: convolve 50 x 8: wrong skipped"):
        assert field in text, field
    assert [r["threads"] for r in rows] == [1, 1, 2, 2]
    assert rows[0]["pct_peak"] > 0 and rows[0]["pct_peak_bwd"] > 0
    assert "ndimage" in rows[1] and "wrong" not in rows[1]
    report = json.loads(path.read_text())
    assert report["threads"] == [1, 2] and report["simd"] == cc._forward.simd_path()
    assert set(report["peak"]) == {"1", "2"} and report["peak"]["1"]["size"] == 64
    assert report["rows"] == json.loads(json.dumps(rows))
    # --json -: the JSON alone on standard output, the table on standard error
    bench.main(["--cases", "tiny", "--repeats", "1", "--no-backward", "--no-signal",
                "--no-peak", "--threads", "1", "--json", "-"])
    out, err = capsys.readouterr()
    assert json.loads(out)["peak"] == {} and "tiny" in err


# --------------------------------------------------------------------------------------
# Light import: the optional heavy libraries load on first use only
# --------------------------------------------------------------------------------------

def _modules_after_import(code="import cconv1d"):
    probe = (f"{code}\nimport sys, json\n"
             "print(json.dumps(sorted(m for m in ('scipy', 'torch', 'dask', 'matplotlib',"
             " 'threadpoolctl', 'tqdm') if m in sys.modules)))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            timeout=120, cwd=os.path.dirname(os.path.abspath(__file__)))
    assert result.returncode == 0, result.stderr
    import json

    return json.loads(result.stdout)


def test_import_does_not_import_torch_dask_or_plotting():
    loaded = _modules_after_import()
    assert not {"torch", "dask", "matplotlib", "threadpoolctl", "tqdm"} & set(loaded)
    # nor do the command line's modules, until a command runs
    loaded = _modules_after_import("import cconv1d.cli, cconv1d.bench, cconv1d.demo")
    assert not {"torch", "dask", "matplotlib"} & set(loaded)


def test_import_does_not_import_scipy():
    assert "scipy" not in _modules_after_import()
    # real input takes our own transform: still no SciPy
    assert "scipy" not in _modules_after_import(
        "import cconv1d as cc\ncc.convolve([1.0] * 600, [1.0] * 600, method='fft')")
    # the first use of SciPy's transforms (complex input) loads it
    assert "scipy" in _modules_after_import(
        "import cconv1d as cc\ncc.convolve([1j] * 600, [1.0] * 600, method='fft')")
