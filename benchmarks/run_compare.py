"""Side-by-side benchmark of cconv1d against PyTorch, NumPy and SciPy.

Run from anywhere with the package installed:

    python benchmarks/run_compare.py                 # every case, default threads
    python benchmarks/run_compare.py --threads 1     # single-threaded
    python benchmarks/run_compare.py --cases tcn depthwise --no-signal

Same as ``python -m cconv1d bench``. Prints medians and ``peer / cconv1d`` ratios; the
machine is shared and noisy, so compare ratios from one run, not times across runs.
"""

import sys

from cconv1d import bench

if __name__ == "__main__":
    sys.exit(bench.main(sys.argv[1:]))
