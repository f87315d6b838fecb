"""Command line: ``cconv1d {info,demo,bench}`` (also ``python -m cconv1d ...``).

Every option is checked by argparse before any work starts: a bad value prints the
usage and exits with status 2, never a traceback. A closed output pipe
(``cconv1d bench | head``) ends the program quietly with status 1, as the Python
documentation recommends for command-line tools (``signal`` notes on SIGPIPE).

Examples
--------
>>> from cconv1d.cli import main
>>> main(["info"])  # doctest: +ELLIPSIS
cconv1d ...
0
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence


def prog_name(argv0: str | None = None) -> str:
    """The name the program was started by: ``cconv1d`` for the console script,
    ``python -m cconv1d`` for the module (where ``argv[0]`` is ``__main__.py``)."""
    argv0 = sys.argv[0] if argv0 is None else argv0
    base = os.path.basename(argv0 or "")
    if base in ("", "-c", "__main__.py") or base.startswith("__main__"):
        return "python -m cconv1d"
    for suffix in (".exe", "-script.py", ".py"):   # Windows launchers, plain scripts
        if base.endswith(suffix):
            base = base[: -len(suffix)]
    return base


def int_at_least(minimum: int, *, meaning: str = "") -> Callable[[str], int]:
    """An argparse ``type=`` accepting integers ``>= minimum`` (exit 2 otherwise)."""
    def convert(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(
                f"expected an integer >= {minimum}{meaning}, got {value}")
        return value
    convert.__name__ = f"integer >= {minimum}"
    return convert


def _info(args: argparse.Namespace) -> int:
    from cconv1d import show_config

    show_config()
    return 0


def _demo(args: argparse.Namespace) -> int:
    from cconv1d import demo

    return demo.main(epochs=args.epochs, seed=args.seed)


def _bench(args: argparse.Namespace) -> int:
    from cconv1d import bench

    return bench.run_from_args(args)


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    """The parser of the whole command line (``prog`` defaults to :func:`prog_name`)."""
    from cconv1d import bench
    from cconv1d._version import __version__

    parser = argparse.ArgumentParser(
        prog=prog or prog_name(),
        description="cconv1d: fast 1-D convolution for neural networks and signal "
                    "processing. Sub-commands below; '<command> --help' for their options.")
    parser.add_argument("--version", action="version", version=f"cconv1d {__version__}",
                        help="print cconv1d's version and exit")
    sub = parser.add_subparsers(dest="command", required=True, metavar="command",
                                help="what to run")
    info = sub.add_parser("info", help="print the build configuration (show_config)",
                          description="Print the version, compiler, flags, SIMD paths, "
                                      "OpenMP status and thread count.")
    info.set_defaults(func=_info)
    demo = sub.add_parser(
        "demo", help="train a small 1-D CNN of cconv1d layers on generated time series; "
                     "prints test accuracy",
        description="Train a small 1-D CNN made of cconv1d.Conv1d layers on generated "
                    "noisy waveforms (nothing is downloaded); per-epoch loss and the test "
                    "accuracy go to standard output, the progress bar to standard error.")
    demo.add_argument("--epochs", type=int_at_least(1), default=12, metavar="N",
                      help="training epochs, >= 1 (default 12)")
    demo.add_argument("--seed", type=int_at_least(0), default=0, metavar="SEED",
                      help="random seed, >= 0; a fixed seed repeats a run exactly "
                           "(default 0)")
    demo.set_defaults(func=_demo)
    bench_parser = sub.add_parser("bench", help="time cconv1d against NumPy, SciPy and "
                                                "PyTorch (those installed)",
                                  description=bench.DESCRIPTION)
    bench.add_arguments(bench_parser)
    bench_parser.set_defaults(func=_bench)
    return parser


def _silence_stdout() -> None:
    # Python flushes stdout at exit; with the reader gone that flush raises again.
    # Point the descriptor at devnull, as the Python docs' SIGPIPE note does.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no real descriptor (captured output)
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); return the exit
    status (argparse exits with 2 by itself on bad arguments)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    try:
        status: int = args.func(args)
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return status
