"""Before/after: the benchmark of two builds of cconv1d, interleaved on one machine.

Each build is a source tree built in place (``python setup.py build_ext --inplace``).
The script runs ``python -m cconv1d bench --json`` of each tree in turn, ``--rounds``
times (A B A B ...), so both see the same machine load, and prints per case and thread
count the medians of the cconv1d forward and backward times over the rounds, with
``after / before`` (< 1: the after build is faster) and the PyTorch ratios of each::

    python benchmarks/compare_builds.py /path/to/before /path/to/after --threads 1 2

Arguments after ``--`` go to ``cconv1d bench`` unchanged (e.g. ``-- --cases tcn``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile


def run_bench(tree: str, threads: list[str], extra: list[str]) -> list[dict]:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
        path = fh.name
    env = dict(os.environ, PYTHONPATH=os.path.join(os.path.abspath(tree), "src"))
    cmd = [sys.executable, "-m", "cconv1d", "bench", "--threads", *threads,
           "--no-signal", "--no-peak", "--json", path, *extra]
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
    with open(path) as fh:
        rows = json.load(fh)["rows"]
    os.unlink(path)
    return rows


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--threads", nargs="+", default=["1"])
    parser.add_argument("--rounds", type=int, default=3)
    args, extra = parser.parse_known_args(argv)
    extra = [a for a in extra if a != "--"]
    samples: dict[str, dict[tuple[str, int], dict[str, list[float]]]] = {
        "before": {}, "after": {}}
    for _ in range(args.rounds):
        for label in ("before", "after"):
            for row in run_bench(getattr(args, label), args.threads, extra):
                key = (row["case"], row["threads"])
                cell = samples[label].setdefault(key, {})
                for field in ("ours", "ours_bwd", "torch", "torch_bwd"):
                    if row.get(field):
                        cell.setdefault(field, []).append(row[field])
    print(f"{'case':16s} thr  fwd before ms  after ms  after/before   bwd before ms  "
          f"after ms  after/before   torch fwd before/after   torch bwd before/after")
    for key in samples["before"]:
        b, a = samples["before"][key], samples["after"].get(key, {})
        med = {lab: {f: statistics.median(v) for f, v in cell.items()}
               for lab, cell in (("b", b), ("a", a))}
        line = f"{key[0]:16s} {key[1]:3d}"
        for f in ("ours", "ours_bwd"):
            if f in med["b"] and f in med["a"]:
                line += (f"  {med['b'][f] * 1e3:12.3f} {med['a'][f] * 1e3:9.3f} "
                         f"{med['a'][f] / med['b'][f]:13.3f}")
            else:
                line += f"  {'-':>12s} {'-':>9s} {'-':>13s}"
        for peer, ours in (("torch", "ours"), ("torch_bwd", "ours_bwd")):
            if peer in med["b"] and ours in med["b"] and peer in med["a"] and ours in med["a"]:
                line += (f"   {med['b'][peer] / med['b'][ours]:9.2f}x / "
                         f"{med['a'][peer] / med['a'][ours]:5.2f}x")
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
