"""
Every padding mode on one signal
================================

:func:`cconv1d.pad` extends a signal beyond its ends. Which values it invents decides
what a filter sees near the edges (see :ref:`design-padding`). Here every mode pads the
same eight samples by six on each side: the original samples are dark, the padding is
orange.
"""

import matplotlib.pyplot as plt
import numpy as np

import cconv1d as cc

x = np.array([1.0, 2.5, 2.0, 3.5, 4.5, 3.0, 4.0, 5.5])
width = 6
positions = np.arange(-width, x.size + width)

modes = [
    ("zeros", {}),
    ("constant", {"value": 2.0}),
    ("edge", {}),
    ("reflect", {}),
    ("symmetric", {}),
    ("wrap", {}),
    ("mean", {}),
    ("median", {"stat_length": 3}),
    ("minimum", {}),
    ("maximum", {"stat_length": 2}),
    ("linear_ramp", {"end_values": (0.0, 1.0)}),
    ("antisymmetric", {}),
    ("antireflect", {}),
    ("smooth", {}),
]

fig, axes = plt.subplots(7, 2, figsize=(9, 12), sharex=True, sharey=True,
                         layout="constrained")
for ax, (mode, options) in zip(axes.flat, modes):
    padded = cc.pad(x, width, mode=mode, **options)
    inside = (positions >= 0) & (positions < x.size)
    ax.axvspan(-0.5, x.size - 0.5, color="0.93", zorder=0)
    ax.plot(positions, padded, color="0.6", lw=0.8, zorder=1)
    ax.scatter(positions[inside], padded[inside], s=18, color="tab:blue", zorder=2)
    ax.scatter(positions[~inside], padded[~inside], s=18, color="tab:orange", zorder=2)
    label = mode if not options else mode + ", " + ", ".join(
        f"{k}={v}" for k, v in options.items())
    ax.set_title(label, fontsize=9, loc="left")
    ax.axhline(0.0, color="0.8", lw=0.5, zorder=0)
for ax in axes[-1]:
    ax.set_xlabel("sample index")
fig.suptitle("cc.pad(x, 6, mode=...): original samples (blue) and padding (orange)")
plt.show()

# %%
# ``reflect`` mirrors without repeating the end sample, ``symmetric`` repeats it;
# ``wrap`` treats the signal as one period. The statistic modes (``mean``, ``median``,
# ``minimum``, ``maximum``) fill the pad with a constant computed from the
# ``stat_length`` samples nearest each end (all of them by default). ``antireflect``
# and ``smooth`` keep the slope at the ends; ``antisymmetric`` mirrors and negates.
#
# Widths larger than the signal
# -----------------------------
#
# Like :func:`numpy.pad` (and unlike PyTorch, which refuses), a width larger than the
# signal repeats the reflection or the wrapping as often as needed.

short = np.array([0.0, 1.0, 3.0])
fig, ax = plt.subplots(figsize=(8, 2.6), layout="constrained")
for offset, mode in enumerate(("reflect", "symmetric", "wrap")):
    padded = cc.pad(short, 9, mode=mode)
    ax.plot(np.arange(-9, short.size + 9), padded + 5 * offset, marker="o", ms=3,
            label=mode)
ax.axvspan(-0.5, short.size - 0.5, color="0.9", zorder=0)
ax.set_yticks([])
ax.set_xlabel("sample index")
ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
ax.set_title("three samples padded by nine on each side (curves shifted for clarity)")
plt.show()

# %%
# The adjoint: where the gradient goes
# ------------------------------------
#
# :func:`cconv1d.pad_backward` folds a gradient of the padded array back onto the
# original samples. With a gradient of ones it counts, for each original sample, how
# much of the padded signal depends on it: the pad's "weight" on each sample. Constant
# padding sends nothing back; ``edge`` piles everything on the end samples; ``mean``
# spreads it evenly; reflections send it to the samples near the ends. The
# extrapolating modes (``antireflect``, ``smooth``) build the pad from differences of
# samples, so their adjoint sends large positive and negative gradients to the samples
# next to the ends (note the different vertical scales).

linear = ["zeros", "edge", "reflect", "symmetric", "wrap", "mean", "antireflect", "smooth"]
ones = np.ones(x.size + 2 * width)
fig, axes = plt.subplots(2, 4, figsize=(10, 4.2), layout="constrained")
for ax, mode in zip(axes.flat, linear):
    fold = cc.pad_backward(ones, x.size, width, mode=mode)
    ax.bar(np.arange(x.size), fold, color="tab:green")
    ax.axhline(1.0, color="0.5", lw=0.8, ls="--")
    ax.set_title(mode, fontsize=9)
    ax.set_xticks(range(x.size))
fig.suptitle("cc.pad_backward(ones, 8, 6, mode=...): gradient received by each sample "
             "(dashed: the sample itself)")
plt.show()
