"""Run one benchmark case in a loop, for a C-level profiler (see docs/profiling.md).

    perf record -e cpu-clock -F 1000 -o perf.data -- \
        python benchmarks/profile_case.py tcn --iterations 50
    perf report -i perf.data --stdio --sort dso,symbol

The case's arrays are made before the loop (and the loop's time is printed), so the
profile is the calls themselves: ``conv1d`` into a reused ``out=`` and, unless
``--forward-only``, ``conv1d_backward`` for input, weight and bias.
"""

import argparse
import time

import numpy as np

import cconv1d as cc
from cconv1d import bench


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("case", choices=list(bench.NN_CASES))
    parser.add_argument("--iterations", type=int, default=50)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--forward-only", action="store_true")
    args = parser.parse_args(argv)
    spec = bench.NN_CASES[args.case]
    n, c_in, c_out, length, k, stride, dilation, groups, padding = spec[:9]
    dtype = np.dtype(spec[9] if len(spec) > 9 else "float32")
    cc.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, c_in, length)).astype(dtype)
    w = rng.standard_normal((c_out, c_in // groups, k)).astype(dtype)
    b = rng.standard_normal(c_out).astype(dtype)
    kwargs = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    y = cc.conv1d(x, w, b, **kwargs)
    g = rng.standard_normal(y.shape).astype(dtype)
    start = time.perf_counter()
    for _ in range(args.iterations):
        cc.conv1d(x, w, b, out=y, **kwargs)
        if not args.forward_only:
            cc.conv1d_backward(g, x, w, **kwargs)
    seconds = (time.perf_counter() - start) / args.iterations
    what = "forward" if args.forward_only else "forward + backward"
    print(f"{args.case}: {seconds * 1e3:.2f} ms per {what}, {args.threads} thread(s), "
          f"SIMD path {cc._forward.simd_path()}")


if __name__ == "__main__":
    main()
