"""Random layer shapes against PyTorch: the kinds of the benchmark, not its shapes.

Draws ``--count`` layers from the kinds ``cconv1d.bench`` names (dense, strided,
dilated, grouped, depthwise, pointwise, few-channel and single-channel audio layers,
and short sequences: a batch of 1-24 outputs a sample late in an encoder or a head)
with batch, channels, length and kernel drawn independently, and times each forward
and backward against PyTorch in one process (``cconv1d.bench.nn_case``: the two sides
interleaved, medians). Prints every shape's ratios (``torch / ours``: above 1 we are
faster), the worst ten and the medians, so a tiling tuned for the named cases and not
for the kind of layer shows up. Needs PyTorch.

    python benchmarks/bench_sweep.py --threads 1 --seed 1 --count 40
    python benchmarks/bench_sweep.py --threads 2 --seed 2
"""

import argparse
import statistics

import numpy as np

from cconv1d import bench

KINDS = ("dense", "dense", "strided", "dilated", "grouped", "depthwise", "pointwise",
         "few-channel", "mono", "short")


def draw_shape(rng: np.random.Generator) -> tuple[str, tuple]:
    """One layer ``(kind, (N, C_in, C_out, L, K, stride, dilation, groups, padding))``."""
    def pick(options):
        return options[rng.integers(len(options))]
    kind = pick(KINDS)
    n = int(pick([1, 2, 4, 8, 16, 32]))
    length = int(pick([64, 100, 150, 256, 500, 1000, 2048, 4096]))
    c_in = int(pick([16, 32, 48, 64, 96, 128, 256, 384]))
    c_out = int(pick([16, 32, 64, 128, 256]))
    k = int(pick([2, 3, 5, 7, 8, 9, 11, 15]))
    stride, dilation, groups = 1, 1, 1
    padding = pick(["same", 0, "causal"])
    if kind == "strided":
        stride = int(pick([2, 3, 4]))
    elif kind == "dilated":
        dilation = int(pick([2, 4, 8, 16]))
    elif kind == "grouped":
        groups = int(pick([2, 4, 8]))
        c_in = max(c_in, 8 * groups) // groups * groups
        c_out = max(c_out, groups) // groups * groups
    elif kind == "depthwise":
        groups = c_out = c_in
    elif kind == "pointwise":
        k, padding = 1, 0
    elif kind == "few-channel":
        c_in, c_out = int(pick([1, 2, 4, 8])), int(pick([4, 8, 16]))
    elif kind == "mono":
        c_in, length, stride = 1, int(pick([4000, 16000])), int(pick([1, 2, 4]))
    elif kind == "short":
        n, length = int(pick([8, 16, 32, 64, 128])), int(pick([1, 2, 4, 8, 12, 16, 24]))
        c_in, c_out = int(pick([64, 128, 256, 512])), int(pick([64, 128, 256, 512]))
        k = min(k, length if padding == 0 else 2 * length + 1)
    if stride > 1 and padding in ("same", "causal"):
        padding = k // 2        # PyTorch has no 'same' for strides
    while n * c_in * length * c_out * k > 6e8 and n > 1:
        n //= 2                 # a few hundred ms a call at most
    return kind, (n, c_in, c_out, length, k, stride, dilation, groups, padding)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    shapes = [draw_shape(rng) for _ in range(args.count)]
    rows = []
    print(f"{args.count} random layers, seed {args.seed}, {args.threads} thread(s); "
          "ratio = torch / ours (> 1: cconv1d faster)")
    with bench._using_threads(args.threads):
        for kind, spec in shapes:
            r = bench.nn_case(kind, spec, args.repeats, args.threads, True)
            fwd, bwd = r["torch"] / r["ours"], r["torch_bwd"] / r["ours_bwd"]
            rows.append((min(fwd, bwd), fwd, bwd, kind, spec))
            print(f"{kind:11s} {str(spec):46s} fwd {fwd:6.2f}x  bwd {bwd:6.2f}x  "
                  f"({r['ours'] * 1e3:.3f} / {r['ours_bwd'] * 1e3:.3f} ms)", flush=True)
    print("worst ten:")
    for _, fwd, bwd, kind, spec in sorted(rows)[:10]:
        print(f"{kind:11s} {str(spec):46s} fwd {fwd:6.2f}x  bwd {bwd:6.2f}x")
    print(f"median forward {statistics.median(r[1] for r in rows):.2f}x, "
          f"median backward {statistics.median(r[2] for r in rows):.2f}x")


if __name__ == "__main__":
    main()
