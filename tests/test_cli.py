"""The command line: ``cconv1d`` / ``python -m cconv1d`` {info, demo, bench}.

Run as users run it (subprocesses, each with a timeout) where the behaviour is about the
process: exit status, what reaches stdout and stderr, the program's name, closed pipes.
"""

import argparse
import io
import os
import subprocess
import sys
import textwrap
import time
import types

import pytest

import cconv1d as cc
from cconv1d import bench, cli, demo, _threads

TIMEOUT = 120
POSIX_ONLY = pytest.mark.skipif(sys.platform == "win32",
                                reason="shebang launchers and SIGPIPE semantics are POSIX's")


def _run(*args, script=None, timeout=TIMEOUT, **kwargs):
    command = [sys.executable, "-m", "cconv1d", *args] if script is None else [script, *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                          cwd=os.path.dirname(os.path.abspath(__file__)), **kwargs)


@pytest.fixture
def console_script(tmp_path):
    """A launcher named ``cconv1d``, as pip's console-script wrapper is."""
    path = tmp_path / "cconv1d"
    path.write_text(f"#!{sys.executable}\nimport sys\nfrom cconv1d.cli import main\n"
                    "sys.exit(main())\n")
    path.chmod(0o755)
    return str(path)


def test_version():
    result = _run("--version")
    assert result.returncode == 0 and result.stdout == f"cconv1d {cc.__version__}\n"


@POSIX_ONLY
def test_console_script_names_itself_cconv1d(console_script):
    result = _run("--version", script=console_script)
    assert result.stdout == f"cconv1d {cc.__version__}\n"
    result = _run("bench", "--repeats", "0", script=console_script)
    assert result.returncode == 2
    assert result.stderr.startswith("usage: cconv1d bench")
    assert "cconv1d bench: error: argument --repeats" in result.stderr
    assert "python -m" not in result.stderr
    # and the module calls itself by the command that runs it
    assert _run("bench", "--repeats", "0").stderr.startswith("usage: python -m cconv1d bench")


@pytest.mark.parametrize("argv0, prog", [
    ("/usr/local/bin/cconv1d", "cconv1d"), ("C:\\env\\Scripts\\cconv1d.exe", "cconv1d"),
    ("/site-packages/cconv1d/__main__.py", "python -m cconv1d"), ("", "python -m cconv1d"),
])
def test_prog_name(argv0, prog):
    assert cli.prog_name(argv0.replace("\\", os.sep)) == prog


@pytest.mark.parametrize("args, message", [
    (["bench", "--repeats", "0"], "argument --repeats: expected an integer >= 1, got 0"),
    (["bench", "--repeats", "two"], "argument --repeats: expected an integer, got 'two'"),
    (["bench", "--threads", "-2"], "argument --threads: expected an integer >= 0"),
    (["bench", "--threads", "1", "1.5"], "argument --threads: expected an integer, got '1.5'"),
    (["bench", "--cases", "nope"], "argument --cases: invalid choice: 'nope'"),
    (["bench", "--bogus"], "unrecognized arguments: --bogus"),
    (["demo", "--epochs", "-1"], "argument --epochs: expected an integer >= 1, got -1"),
    (["demo", "--epochs", "0"], "argument --epochs: expected an integer >= 1, got 0"),
    (["demo", "--seed", "-3"], "argument --seed: expected an integer >= 0, got -3"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
    ([], "the following arguments are required: command"),
])
def test_bad_arguments_exit_2_before_any_work(args, message):
    start = time.perf_counter()
    result = _run(*args)
    assert result.returncode == 2, result
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""                    # nothing ran: no header, no table
    assert time.perf_counter() - start < 60       # the bench/demo would take longer


def test_every_option_has_help():
    parser = cli.build_parser()
    parsers = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            parsers += list(action.choices.values())
            assert {a.dest for a in action._choices_actions} == set(action.choices)
            assert all(a.help for a in action._choices_actions)
    assert len(parsers) == 4
    for p in parsers:
        for action in p._actions:
            assert action.help and action.help != argparse.SUPPRESS, (p.prog, action.dest)


def test_bench_main_shares_the_options():
    with pytest.raises(SystemExit) as info:
        bench.main(["--repeats", "0"])
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        bench.main(["--help"])
    assert info.value.code == 0


@POSIX_ONLY
def test_closed_pipe_exits_quietly():
    """``cconv1d info | head -0``: the reader is gone before anything is written."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = subprocess.run([sys.executable, "-m", "cconv1d", "info"], stdout=write_end,
                                stderr=subprocess.PIPE, text=True, timeout=TIMEOUT)
    finally:
        os.close(write_end)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr
    assert result.stderr == ""


@POSIX_ONLY
def test_closed_pipe_through_head():
    command = (f"'{sys.executable}' -m cconv1d bench --cases tiny --no-signal --no-peak "
               "--no-backward --repeats 1 --threads 1 | head -n 1; "
               "echo status=${PIPESTATUS[0]:-unknown}")
    result = subprocess.run(["bash", "-c", command], capture_output=True, text=True,
                            timeout=TIMEOUT)
    lines = result.stdout.splitlines()
    assert lines[0].startswith("cconv1d ") and lines[-1] == "status=1"
    assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr


def test_info_runs_through_main():
    result = _run("info")
    assert result.returncode == 0 and result.stdout.startswith(f"cconv1d {cc.__version__}")


# --------------------------------------------------------------------------------------
# demo: results on stdout, progress (rate, ETA) on stderr
# --------------------------------------------------------------------------------------

class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_demo_progress_has_rate_and_eta_on_the_progress_stream(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)     # the built-in bar
    out, err = io.StringIO(), _Terminal()
    result = demo.train(epochs=2, n_train=256, n_test=64, stream=out, progress=err)
    assert len(result["loss"]) == 2
    bar = err.getvalue()
    assert "batch/s" in bar and "ETA" in bar and "16/16" in bar
    lines = out.getvalue().splitlines()
    assert [line.split()[1] for line in lines] == ["1/2", "2/2"]
    assert "\r" not in out.getvalue() and "ETA" not in out.getvalue()


def test_demo_uses_tqdm_when_installed(monkeypatch):
    made = []

    class FakeTqdm:
        def __init__(self, total, file, **kwargs):
            made.append(self)
            self.total, self.file, self.n, self.closed = total, file, 0, False

        def update(self, n=1):
            self.n += n

        def set_postfix_str(self, text):
            self.text = text

        def clear(self):
            pass

        def close(self):
            self.closed = True

    monkeypatch.setitem(sys.modules, "tqdm", types.SimpleNamespace(tqdm=FakeTqdm))
    err = _Terminal()
    demo.train(epochs=2, n_train=64, n_test=32, stream=io.StringIO(), progress=err)
    (bar,) = made
    assert bar.file is err and bar.total == bar.n == 4 and bar.closed


def test_demo_subprocess_no_bar_when_not_a_terminal():
    result = _run("demo", "--epochs", "1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].startswith("test accuracy:")
    assert "epoch  1/1" in result.stdout
    assert result.stderr == ""


# --------------------------------------------------------------------------------------
# bench: thread setting restored, --plot
# --------------------------------------------------------------------------------------

def _tiny_run(threads):
    return bench.run(cases=["tiny"], signal_cases=[], repeats=1, threads=threads,
                     backward=False, peak=False, stream=None)


def test_bench_restores_the_default_thread_setting():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    cc.set_num_threads(None)
    try:
        _tiny_run([1])
        assert getattr(_threads, "_requested", None) is None
        # OpenMP's setting is followed again (before the fix bench pinned the count)
        with threadpoolctl.threadpool_limits(limits=1, user_api="openmp"):
            assert cc.get_num_threads() == 1
        cc.set_num_threads(1)
        _tiny_run([2])
        assert cc.get_num_threads() == 1     # an explicit setting stays explicit
    finally:
        cc.set_num_threads(None)


@pytest.mark.parametrize("kwargs, message", [(dict(repeats=0), "repeats must be"),
                                             (dict(threads=[-1]), "threads must be")])
def test_bench_run_refuses_bad_counts(kwargs, message):
    with pytest.raises(ValueError, match=message):
        bench.run(**{**dict(cases=["tiny"], signal_cases=[], peak=False, stream=None),
                     **kwargs})


def test_plot_without_matplotlib_is_a_usage_error(tmp_path):
    code = textwrap.dedent(f"""
        import sys
        sys.modules["matplotlib"] = None     # as if it were not installed
        from cconv1d.cli import main
        sys.argv[0] = "cconv1d"
        sys.exit(main(["bench", "--plot", {str(tmp_path / 'r.png')!r}]))
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=TIMEOUT)
    assert result.returncode == 2
    assert "argument --plot: drawing needs matplotlib" in result.stderr
    assert result.stdout == ""


def test_plot_into_a_missing_folder_is_a_usage_error(tmp_path):
    pytest.importorskip("matplotlib")
    result = _run("bench", "--plot", str(tmp_path / "no" / "such" / "r.png"))
    assert result.returncode == 2 and "does not exist" in result.stderr


def test_plot_draws_the_ratios(tmp_path):
    pytest.importorskip("matplotlib")
    rows = bench.run(cases=["tiny"], signal_cases=[(200, 5)], repeats=1, threads=[1],
                     backward=True, peak=False, stream=None)
    path = tmp_path / "ratios.png"
    bench.plot(rows, str(path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = tmp_path / "ratios.svg"
    bench.plot(rows, str(svg))
    text = svg.read_text()
    for label in ("tiny (float32)", "tiny (float32) bwd", "convolve 200 x 5", "1 thread"):
        assert label in text
