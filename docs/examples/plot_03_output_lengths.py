"""
Full, same and valid: how long is the result?
=============================================

:func:`cconv1d.convolve` and :func:`cconv1d.correlate` follow NumPy's three modes
(see :ref:`design-lengths`). Convolving a box of ``n = 12`` ones with a box of
``m = 5`` ones makes the modes easy to see: the result ramps up while the kernel slides
onto the signal, stays flat while it is fully inside, and ramps down as it leaves.
"""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

import cconv1d as cc

n, m = 12, 5
a = np.ones(n)
v = np.ones(m)

# %%
# Each output sample is drawn at the centre of the window that produced it, in the
# input's coordinates: ``full`` output ``t`` covers inputs ``t - m + 1 .. t``. Grey
# squares are the input, dashed ones the implicit zeros; the brackets show the windows
# of the first and last output of each mode.

fig, axes = plt.subplots(3, 1, figsize=(9, 7), sharex=True, layout="constrained")
starts = {"full": 0, "same": (m - 1) // 2, "valid": m - 1}
for ax, mode in zip(axes, ("full", "same", "valid")):
    y = cc.convolve(a, v, mode)
    first = starts[mode]                      # index of y[0] in the full result
    full_index = first + np.arange(y.size)
    centres = full_index - (m - 1) / 2        # window of full[t] is a[t-m+1 .. t]
    for i in range(-(m - 1), n + m - 1):
        inside = 0 <= i < n
        ax.add_patch(Rectangle((i - 0.45, -1.6), 0.9, 0.9,
                               facecolor="0.75" if inside else "white",
                               edgecolor="0.4", ls="-" if inside else "--", lw=0.8))
    for t, colour in ((full_index[0], "tab:orange"), (full_index[-1], "tab:green")):
        lo, hi = t - m + 1, t
        ax.annotate("", xy=(lo - 0.45, -0.5), xytext=(hi + 0.45, -0.5),
                    arrowprops=dict(arrowstyle="|-|", color=colour, lw=1.5))
    ax.stem(centres, y, basefmt=" ")
    ax.set_ylim(-1.9, m + 0.8)
    ax.set_yticks(range(0, m + 1))
    ax.set_title(f"mode={mode!r}: {y.size} samples", loc="left")
axes[-1].set_xlabel("position in the input (outputs drawn at the centre of their window)")
fig.suptitle(f"cc.convolve(ones({n}), ones({m}), mode)")
plt.show()

# %%
# The lengths: ``full`` is ``n + m - 1``, ``same`` is ``max(n, m)``, ``valid`` is
# ``max(n, m) - min(n, m) + 1``. When ``v`` is the longer one the roles swap, as in
# :func:`numpy.convolve`.

for mode in ("full", "same", "valid"):
    print(f"{mode:6s} n={n}, m={m}: {cc.convolve(a, v, mode).size:3d}   "
          f"swapped: {cc.convolve(v, a, mode).size:3d}")

# %%
# Padding words of ``conv1d``
# ---------------------------
#
# :func:`cconv1d.conv1d` has its own vocabulary, ``padding="valid"``, ``"same"``,
# ``"full"`` and ``"causal"``, and a stride: ``L_out = (L + left + right - d*(K-1) - 1)
# // stride + 1``. :func:`cconv1d.functional.conv1d_geometry` computes the padding and
# the length. ``"same"`` keeps ``ceil(L / stride)`` outputs (TensorFlow's ``SAME``);
# ``"causal"`` has the length of ``"same"`` at stride 1 but puts all the padding on the
# left.

from cconv1d.functional import conv1d_geometry

length, k_size = 20, 5
words = ("valid", "same", "full", "causal")
strides = (1, 2, 3, 4)
fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), layout="constrained",
                         gridspec_kw={"width_ratios": [1.2, 1]})
width = 0.2
for i, word in enumerate(words):
    lengths = [conv1d_geometry(length, k_size, s, word)[2] for s in strides]
    # check against the real thing
    assert lengths == [cc.conv1d(np.ones((1, length)), np.ones((1, 1, k_size)),
                                 stride=s, padding=word).shape[-1] for s in strides]
    bars = axes[0].bar(np.arange(len(strides)) + (i - 1.5) * width, lengths, width,
                       label=word)
    axes[0].bar_label(bars, fontsize=7)
axes[0].set_xticks(range(len(strides)), [f"stride {s}" for s in strides])
axes[0].set_ylabel("L_out")
axes[0].legend(fontsize=8)
axes[0].set_title(f"output length, L={length}, K={k_size}", loc="left")

# Where the padding goes, at stride 1: left and right widths.
for i, word in enumerate(words):
    left, right, l_out = conv1d_geometry(length, k_size, 1, word)
    axes[1].barh(i, left, left=-left, color="tab:orange")
    axes[1].barh(i, length, color="0.75")
    axes[1].barh(i, right, left=length, color="tab:orange")
    axes[1].text(length + right + 0.5, i, f"({left}, {right}) -> {l_out}", va="center",
                 fontsize=8)
axes[1].set_yticks(range(len(words)), words)
axes[1].invert_yaxis()
axes[1].set_xlim(-6, length + 14)
axes[1].set_title("padding (orange) around the input (grey)", loc="left")
axes[1].set_xlabel("sample index")
plt.show()
