"""
Inside the demo network: feature maps and learned kernels
=========================================================

``python -m cconv1d demo`` trains a small 1-D CNN, built from two
:class:`cconv1d.Conv1d` layers and trained with :class:`cconv1d.SGD`, to tell four kinds
of noisy waveform apart: sine, square, sawtooth and a train of narrow pulses. Here we
build the same network (:mod:`cconv1d.demo`), train it for a few epochs, and look at
what its convolution layers compute.

The network is ``conv(1 -> 16, K=7, "same")`` - ReLU - max-pool 2 -
``conv(16 -> 32, K=5, "same", reflect padding)`` - ReLU - mean over the length -
dense ``32 -> 4`` - softmax. The convolutions, their gradients and the optimizer are
cconv1d's; the small layers in between are NumPy.
"""

import copy

import matplotlib.pyplot as plt
import numpy as np

import cconv1d as cc
from cconv1d import demo

# %%
# Train
# -----
#
# The loop of :func:`cconv1d.demo.train`, written out so that we keep the network.

# Batches of 32 short signals are too small to gain from a thread team, and a team that
# waits for busy cores makes them slower: one thread keeps this example fast on a shared
# build machine. Results do not depend on the thread count.
cc.set_num_threads(1)

seed = 0
rng = np.random.default_rng(seed)
x_train, y_train = demo.make_dataset(2400, seed=seed + 1)
x_test, y_test = demo.make_dataset(800, seed=seed + 2)
net = demo._Network(rng)
initial_kernels = net.conv1.weight.copy()
opt = cc.SGD(net.parameters(), lr=0.05, momentum=0.9)


def softmax_cross_entropy(logits, labels):
    """Mean loss and its gradient with respect to the logits."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    prob = np.exp(shifted)
    prob /= prob.sum(axis=1, keepdims=True)
    rows = np.arange(len(labels))
    loss = -np.log(prob[rows, labels] + 1e-12).mean()
    prob[rows, labels] -= 1.0
    return loss, prob / len(labels)


def accuracy(network, x, y):
    return float((network.forward(x).argmax(axis=1) == y).mean())


epochs, batch_size = 5, 32
history = []
for epoch in range(epochs):
    order = rng.permutation(len(x_train))
    losses = []
    for start in range(0, len(x_train), batch_size):
        idx = order[start:start + batch_size]
        opt.zero_grad()
        loss, grad = softmax_cross_entropy(net.forward(x_train[idx]), y_train[idx])
        net.backward(grad)                 # cc.Conv1d.backward inside
        opt.step()
        losses.append(loss)
    history.append((np.mean(losses), accuracy(net, x_test, y_test)))
    print(f"epoch {epoch + 1}: train loss {history[-1][0]:.3f}, "
          f"test accuracy {100 * history[-1][1]:.1f}%")

# %%
# Feature maps
# ------------
#
# One test signal of each class, and what the two convolution layers make of it (after
# the ReLU). Each row of a map is one output channel over time. The first layer's
# channels respond to edges, slopes and peaks of the waveform; the second layer's
# channels, after pooling, differ by class in *where* and *how much* they fire, which
# is what the classifier averages over time.

examples = [int(np.flatnonzero(y_test == c)[0]) for c in range(len(demo.CLASSES))]
fig, axes = plt.subplots(3, 4, figsize=(11, 7.5), layout="constrained",
                         gridspec_kw={"height_ratios": [1, 1.6, 2.2]})
for col, i in enumerate(examples):
    x = x_test[i:i + 1]
    h1 = np.maximum(net.conv1(x), 0)[0]                     # (16, 128)
    pooled = h1[:, : h1.shape[1] // 2 * 2].reshape(16, -1, 2).max(axis=-1)
    h2 = np.maximum(net.conv2(pooled[None]), 0)[0]          # (32, 64)
    predicted = demo.CLASSES[int(net.forward(x).argmax())]
    axes[0, col].plot(x[0, 0], color="0.2", lw=0.9)
    axes[0, col].set_title(f"{demo.CLASSES[y_test[i]]} (predicted: {predicted})",
                           fontsize=9)
    axes[0, col].set_xlim(0, x.shape[-1] - 1)
    axes[1, col].imshow(h1, aspect="auto", cmap="magma", interpolation="nearest")
    axes[2, col].imshow(h2, aspect="auto", cmap="viridis", interpolation="nearest")
    for row in (1, 2):
        axes[row, col].set_yticks([])
    axes[2, col].set_xlabel("time")
axes[0, 0].set_ylabel("input")
axes[1, 0].set_ylabel("conv1 + ReLU\n16 channels")
axes[2, 0].set_ylabel("conv2 + ReLU\n32 channels\n(after pooling)")
fig.suptitle("the demo network's feature maps for one test signal per class")
plt.show()

# %%
# Learned kernels of the first layer
# ----------------------------------
#
# The sixteen 7-tap kernels of ``conv1`` before (dashed) and after training. They start
# as PyTorch-style uniform noise; training turns several into difference
# (edge-detecting) and smoothing filters. Since ``conv1d`` is a cross-correlation,
# tap 0 meets the earliest sample of each window.

learned = net.conv1.weight
fig, axes = plt.subplots(4, 4, figsize=(9, 6.5), sharex=True, sharey=True,
                         layout="constrained")
for o, ax in enumerate(axes.flat):
    ax.axhline(0, color="0.85", lw=0.6)
    ax.plot(initial_kernels[o, 0], ls="--", color="0.6", lw=0.9)
    ax.plot(learned[o, 0], marker="o", ms=3, color="tab:blue")
    ax.set_title(f"channel {o}", fontsize=8)
for ax in axes[-1]:
    ax.set_xlabel("tap k")
fig.suptitle("conv1 kernels: initial (dashed) and learned")
plt.show()

# %%
# Training curve and the mistakes left
# ------------------------------------

predictions = np.concatenate([net.forward(x_test[i:i + 200]).argmax(axis=1)
                              for i in range(0, len(x_test), 200)])
confusion = np.zeros((4, 4), dtype=int)
np.add.at(confusion, (y_test, predictions), 1)

fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), layout="constrained")
loss_curve, acc_curve = zip(*history)
epochs_axis = np.arange(1, epochs + 1)
axes[0].plot(epochs_axis, loss_curve, marker="o", label="train loss")
twin = axes[0].twinx()
twin.plot(epochs_axis, 100 * np.array(acc_curve), marker="s", color="tab:green",
          label="test accuracy")
twin.set_ylabel("test accuracy (%)")
axes[0].set_xticks(epochs_axis)
axes[0].legend(axes[0].get_lines() + twin.get_lines(), ["train loss", "test accuracy"],
               loc="center right", fontsize=8)
axes[0].set_xlabel("epoch")
axes[0].set_ylabel("mean cross-entropy")
axes[0].set_title("training", loc="left")
axes[1].imshow(confusion, cmap="Blues")
for (r, c), count in np.ndenumerate(confusion):
    axes[1].text(c, r, str(count), ha="center", va="center",
                 color="white" if count > confusion.max() / 2 else "black")
axes[1].set_xticks(range(4), demo.CLASSES)
axes[1].set_yticks(range(4), demo.CLASSES)
axes[1].set_xlabel("predicted")
axes[1].set_ylabel("true")
axes[1].set_title("test confusion matrix", loc="left")
plt.show()

# %%
# The layers are ordinary NumPy objects: their weights can be saved with
# ``state_dict()`` and loaded into a ``torch.nn.Conv1d`` (or
# :class:`cconv1d.torch.Conv1d`) of the same shape.

state = copy.deepcopy(net.conv1.state_dict())
print({name: value.shape for name, value in state.items()})

cc.set_num_threads(None)           # back to the default
