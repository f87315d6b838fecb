"""
Benchmark against PyTorch, NumPy and SciPy
==========================================

:func:`cconv1d.bench.run` (``python -m cconv1d bench``) times cconv1d and every
installed peer side by side, in the same process, on the same inputs and at the same
thread count: an untimed warm-up, then the median of the repeats. This example runs a
small, quick subset and plots ``ratio = peer time / cconv1d time``: above 1, cconv1d
is faster.

The numbers are measured while the documentation is built, on whatever machine builds
it, on one thread and with only three repeats: treat them as an illustration, and run
``python -m cconv1d bench`` (seven repeats, every case, every core) for real
measurements.
"""

import matplotlib.pyplot as plt
import numpy as np

import cconv1d as cc
from cconv1d import bench

# One thread for cconv1d and for PyTorch alike: documentation is often built on shared
# machines, where multi-threaded timings swing by an order of magnitude with the load.
rows = bench.run(cases=["tiny", "audio-frontend"], signal_cases=[(100_000, 31)],
                 repeats=3, threads=1, stream=None)

# %%
# The rows are dictionaries of seconds (medians). Neural-network cases time
# ``cc.conv1d`` (``ours``) against ``torch.nn.functional.conv1d`` (``torch``), and
# ``cc.conv1d_backward`` (``ours_bwd``) against autograd's backward (``torch_bwd``);
# the signal case times ``cc.convolve`` against ``numpy.convolve`` and SciPy.

print(f"cconv1d {cc.__version__}, {rows[0]['threads']} thread(s)")
for row in rows:
    times = ", ".join(f"{key} {1e3 * row[key]:.3f} ms" for key in
                      ("ours", "torch", "ours_bwd", "torch_bwd", "numpy.convolve",
                       "scipy auto", "scipy oaconvolve") if key in row)
    print(f"{row['case']:22s} {times}")

# %%
# Ratios
# ------

bars = []        # (case, comparison, ratio)
for row in rows:
    if "gflops" in row:                                   # a neural-network case
        if "torch" in row:
            bars.append((row["case"], "torch forward", row["torch"] / row["ours"]))
        if "torch_bwd" in row:
            bars.append((row["case"], "torch backward",
                         row["torch_bwd"] / row["ours_bwd"]))
    else:                                                 # a signal case
        for peer in ("numpy.convolve", "scipy direct", "scipy auto", "scipy oaconvolve"):
            if peer in row:
                bars.append((row["case"], peer, row[peer] / row["ours"]))

cases = list(dict.fromkeys(case for case, _, _ in bars))
peers = list(dict.fromkeys(peer for _, peer, _ in bars))
colours = dict(zip(peers, plt.cm.tab10.colors))

fig, ax = plt.subplots(figsize=(10, 4.2), layout="constrained")
x = 0.0
ticks, labels = [], []
for case in cases:
    group = [(peer, ratio) for c, peer, ratio in bars if c == case]
    positions = x + np.arange(len(group))
    for pos, (peer, ratio) in zip(positions, group):
        ax.bar(pos, ratio, color=colours[peer], width=0.8)
        text = f"{ratio:.0f}x" if ratio >= 10 else f"{ratio:.2g}x"
        ax.text(pos, ratio, text, ha="center", va="bottom", fontsize=7)
    ticks.append(positions.mean())
    labels.append(case)
    x += len(group) + 1.0
ax.axhline(1.0, color="0.3", lw=1, ls="--")
ax.set_yscale("log")
ax.set_xticks(ticks, labels)
ax.set_ylabel("peer time / cconv1d time")
handles = [plt.Rectangle((0, 0), 1, 1, color=colours[p]) for p in peers]
fig.legend(handles, peers, fontsize=8, ncols=len(peers), loc="outside lower center")
ax.set_ylim(top=ax.get_ylim()[1] * 1.5)
ax.set_title(f"cconv1d {cc.__version__} vs peers, {rows[0]['threads']} thread(s), "
             "median of 3 (above the dashed line: cconv1d faster)", loc="left",
             fontsize=10)
plt.show()

# %%
# How to read it. Everything here is timed while the documentation builds, so other
# work on the machine shows up in the ratios. That is why this example runs one thread:
# with several, OpenMP threads that have to wait for a busy core (in either library)
# can make a short call ten times slower. ``OMP_WAIT_POLICY=passive`` avoids most of
# that on a shared machine.
#
# ``tiny`` (a 4 -> 8 channel layer over 128 samples) is dominated by per-call overhead
# in both libraries. ``audio-frontend`` (a batch of 8 one-channel signals of 16 000
# samples, 32 filters of 9 taps) is a memory-bound shape where the cost is writing the
# output once (:ref:`design-kernels`). The signal case convolves 100 000 samples with 31
# taps, where ``method="auto"`` picks the direct SIMD kernel. The other cases of
# ``cconv1d.bench.NN_CASES`` (dense, strided, dilated, depthwise, wide kernels,
# float64) take longer than a documentation build should; run them with
# ``python -m cconv1d bench``.
