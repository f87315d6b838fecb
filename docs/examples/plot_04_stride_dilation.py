"""
Stride and dilation: which samples each output reads
====================================================

Output ``j`` of :func:`cconv1d.conv1d` reads the (padded) input positions
``j*stride + k*dilation`` for the taps ``k = 0 .. K-1`` (see :ref:`design-stride`).
Instead of drawing that formula, this example asks ``conv1d`` itself: with the input
``0, 1, 2, ...`` and a one-hot kernel that keeps only tap ``k``, every output is the
index of the sample that tap read.
"""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap

import cconv1d as cc

length, k_size = 24, 3
index = np.arange(float(length))[None]            # (C_in=1, L): values are positions


def sampling_map(stride, dilation):
    """(L_out, L) array: k + 1 where output j reads input i through tap k, else 0."""
    picture = None
    for k in range(k_size):
        one_hot = np.zeros((1, 1, k_size))
        one_hot[0, 0, k] = 1.0
        read = cc.conv1d(index, one_hot, stride=stride, dilation=dilation)[0]
        if picture is None:
            picture = np.zeros((read.size, length))
        picture[np.arange(read.size), read.astype(int)] = k + 1
    return picture


cases = [(1, 1), (2, 1), (1, 3), (3, 2)]
cmap = ListedColormap(["white", "tab:blue", "tab:orange", "tab:green"])
fig, axes = plt.subplots(2, 2, figsize=(10, 7.5), layout="constrained")
for ax, (stride, dilation) in zip(axes.flat, cases):
    picture = sampling_map(stride, dilation)
    ax.imshow(picture, cmap=cmap, vmin=0, vmax=k_size, aspect="auto",
              interpolation="nearest")
    ax.set_xticks(np.arange(-0.5, length, 1), minor=True)
    ax.set_yticks(np.arange(-0.5, picture.shape[0], 1), minor=True)
    ax.grid(which="minor", color="0.85", lw=0.5)
    ax.tick_params(which="minor", length=0)
    span = dilation * (k_size - 1) + 1
    ax.set_title(f"stride={stride}, dilation={dilation}: {picture.shape[0]} outputs, "
                 f"window spans {span}", fontsize=9, loc="left")
    ax.set_xlabel("input position i")
    ax.set_ylabel("output j")
    ax.yaxis.set_major_locator(plt.MaxNLocator(integer=True))
handles = [plt.Rectangle((0, 0), 1, 1, color=cmap(k + 1)) for k in range(k_size)]
fig.legend(handles, [f"tap k={k}" for k in range(k_size)], loc="outside lower center",
           ncols=k_size)
fig.suptitle(f"positions read by conv1d, K={k_size}, no padding")
plt.show()

# %%
# Stride moves the window by ``stride`` samples per output, so the rows shift faster
# and there are fewer of them; dilation spreads the taps apart, so one window spans
# ``dilation*(K-1) + 1`` samples with only ``K`` multiplications.
#
# How the kernels do a stride: polyphase packing
# ----------------------------------------------
#
# With a stride, tap ``k`` reads every ``stride``-th sample: not a contiguous row. The
# kernels first split each padded row into ``stride`` *phase rows*
# ``x_r[m] = x[m*stride + r]`` (see :ref:`design-kernels`). Tap ``k`` then reads
# phase ``(k*dilation) % stride``, starting at ``(k*dilation) // stride``, one
# contiguous run of ``L_out`` samples, and no multiplication is wasted.

stride, dilation = 2, 3
l_out = (length - dilation * (k_size - 1) - 1) // stride + 1
phases = [np.arange(length)[r::stride] for r in range(stride)]

rows = [("input", np.arange(length), None)]
rows += [(f"phase {r}", phases[r], None) for r in range(stride)]
for k in range(k_size):
    r, offset = (k * dilation) % stride, (k * dilation) // stride
    rows.append((f"tap k={k}: phase {r}\nfrom m={offset}", phases[r], (k, offset)))
    # check: the run equals what conv1d reads through that tap
    one_hot = np.zeros((1, 1, k_size))
    one_hot[0, 0, k] = 1.0
    read = cc.conv1d(index, one_hot, stride=stride, dilation=dilation)[0]
    assert np.array_equal(read, phases[r][offset:offset + l_out])

phase_shade = ["#dbe9f6", "#fde3cf", "#e0f0db", "#eee0f3"]
fig, ax = plt.subplots(figsize=(10, 4.6), layout="constrained")
for row_index, (label, values, tap) in enumerate(rows):
    y0 = -row_index - (0.5 if row_index > 0 else 0.0) - (0.5 if row_index > stride else 0.0)
    for m, original in enumerate(values):
        colour = "black"
        if tap is None:
            face = phase_shade[original % stride]
        else:
            k, offset = tap
            used = offset <= m < offset + l_out
            face, colour = (cmap(k + 1), "white") if used else ("white", "0.5")
        ax.add_patch(plt.Rectangle((m * 0.95, y0 - 0.4), 0.85, 0.8, facecolor=face,
                                   edgecolor="0.5", lw=0.6))
        ax.text(m * 0.95 + 0.425, y0, str(original), ha="center", va="center",
                fontsize=7, color=colour)
    ax.text(-0.3, y0, label, ha="right", va="center", fontsize=8)
ax.set_xlim(-4.2, length * 0.95)
ax.set_ylim(-len(rows) - 0.6, 0.6)
ax.axis("off")
ax.set_title(f"stride={stride}, dilation={dilation}, K={k_size}: the input split into "
             f"{stride} phase rows; the {l_out} samples each tap reads (one per output) "
             "form one contiguous run", loc="left", fontsize=9)
plt.show()
