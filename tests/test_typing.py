"""Static types: ``mypy --strict`` accepts user code calling every public function with
the types it promises (``typing/user_code.py``, ``assert_type``) and flags wrong calls
(``typing/bad_calls.py``: str for int, int for a mode word, unknown keywords).

mypy is part of the ``test`` extra; ``.ci/run`` also runs it on the package itself.
"""

import os
import re
import subprocess
import sys

import pytest

import cconv1d as cc

HERE = os.path.dirname(os.path.abspath(__file__))
TYPING = os.path.join(HERE, "typing")


@pytest.fixture(scope="module")
def run_mypy(tmp_path_factory):
    pytest.importorskip("mypy", reason="mypy is in the test extra; install it to check "
                                       "the types")
    cache = tmp_path_factory.mktemp("mypy-cache")
    env = dict(os.environ)
    package_root = os.path.dirname(os.path.dirname(os.path.abspath(cc.__file__)))
    if "site-packages" not in package_root:   # an in-place build: point mypy at it
        env["MYPYPATH"] = package_root

    def run(name):
        # --follow-imports=silent: errors inside cconv1d are the package check's business
        # (.ci/run); here only what a user's own file is told counts.
        result = subprocess.run(
            [sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent",
             "--no-error-summary", "--hide-error-context", "--cache-dir", str(cache),
             "--python-version", f"{sys.version_info.major}.{sys.version_info.minor}",
             os.path.join(TYPING, name)],
            capture_output=True, text=True, env=env, cwd=HERE, timeout=600)
        errors = [line for line in result.stdout.splitlines() if ": error:" in line]
        return result, errors
    return run


def test_user_code_type_checks(run_mypy):
    result, errors = run_mypy("user_code.py")
    assert errors == [], result.stdout + result.stderr
    assert result.returncode == 0, result.stdout + result.stderr


def test_wrong_calls_are_flagged(run_mypy):
    path = os.path.join(TYPING, "bad_calls.py")
    with open(path) as f:
        expected = {(number, match.group(1)) for number, line in enumerate(f, 1)
                    if (match := re.search(r"# E: ([\w-]+)", line))}
    assert len(expected) >= 15
    result, errors = run_mypy("bad_calls.py")
    reported = set()
    for line in errors:
        match = re.search(r"bad_calls\.py:(\d+): error: .*\[([\w-]+)\]$", line)
        assert match, line
        reported.add((int(match.group(1)), match.group(2)))
    missing = expected - reported
    assert not missing, f"mypy did not flag lines {sorted(missing)}:\n{result.stdout}"
    unexpected = {line for line, _ in reported} - {line for line, _ in expected}
    assert not unexpected, f"unexpected errors on lines {sorted(unexpected)}:\n{result.stdout}"


def test_mode_literals_list_exactly_what_the_spec_layer_accepts():
    """The ``Literal`` aliases a type checker sees equal the words the checks accept:
    a mode added to (or dropped from) ``_spec`` without the alias would make correct
    user code fail mypy, or wrong code pass it."""
    import typing

    from cconv1d import _spec, _typing

    accepted = set(_spec.MODE_CODES) | set(_spec.ALIASES)
    assert set(typing.get_args(_typing.PadMode)) == accepted
    for word in typing.get_args(_typing.PaddingWord):
        _spec.check_padding(word)
    with pytest.raises(ValueError, match="padding"):
        _spec.check_padding("sideways")
    assert set(typing.get_args(_typing.PaddingWord)) == set(_spec._PADDING_WORDS)
