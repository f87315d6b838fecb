"""Command line: ``python -m cconv1d {info,demo,bench}``.

Examples
--------
>>> from cconv1d.cli import main
>>> main(["info"])  # doctest: +ELLIPSIS
cconv1d ...
0
"""

import argparse
import sys


def _info(args):
    from cconv1d import show_config

    show_config()
    return 0


def _demo(args):
    from cconv1d import demo

    return demo.main(epochs=args.epochs, seed=args.seed)


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m cconv1d",
        description="cconv1d: fast 1-D convolution. Sub-commands below.")
    sub = parser.add_subparsers(dest="command", required=True)
    info = sub.add_parser("info", help="print the build configuration (show_config)")
    info.set_defaults(func=_info)
    demo = sub.add_parser("demo", help="train a small 1-D CNN of cconv1d layers on "
                                        "generated time series; prints test accuracy")
    demo.add_argument("--epochs", type=int, default=12, help="training epochs (default 12)")
    demo.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    demo.set_defaults(func=_demo)
    bench = sub.add_parser("bench", help="time cconv1d against NumPy, SciPy and PyTorch "
                                          "(those installed); pass --help for options")
    return parser


def main(argv=None):
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); returns the exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["bench"]:
        # The benchmark owns its options (--threads, --cases, ...): hand them over as is.
        from cconv1d import bench

        return bench.main(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    return args.func(args)
