"""
Streaming a filter block by block
=================================

Audio arrives in blocks of 256 samples. :func:`cconv1d.fir_filter` carries SciPy's
filter state (``zi``/``zf``) from block to block, so the streamed output is the
one-shot output, sample for sample.
"""

import matplotlib.pyplot as plt
import numpy as np

import cconv1d as cc

rng = np.random.default_rng(5)
rate = 8000
t = np.arange(2 * rate) / rate
x = np.sin(2 * np.pi * 220 * t) + 0.6 * rng.standard_normal(t.size)   # tone in noise

# A 255-tap windowed-sinc low-pass at 400 Hz.
taps = 255
k = np.arange(taps) - (taps - 1) / 2
h = np.sinc(2 * 400 / rate * k) * np.hamming(taps)
h /= h.sum()

block = 256
zi = np.zeros(taps - 1)
streamed = []
for start in range(0, x.size, block):
    y, zi = cc.fir_filter(h, x[start:start + block], zi=zi)
    streamed.append(y)
streamed = np.concatenate(streamed)
one_shot = cc.fir_filter(h, x)
print("largest difference, streamed vs one-shot:", np.max(np.abs(streamed - one_shot)))

fig, axes = plt.subplots(2, 1, figsize=(8, 5), layout="constrained")
view = slice(0, 1200)
axes[0].plot(t[view], x[view], color="0.75", lw=0.7, label="input")
axes[0].plot(t[view], one_shot[view], color="tab:blue", lw=1.5, label="one shot")
axes[0].plot(t[view], streamed[view], color="tab:orange", lw=1, ls="--",
             label="streamed, 256-sample blocks")
for edge in range(0, 1200, block):
    axes[0].axvline(t[edge], color="tab:green", lw=0.5, alpha=0.5)
axes[0].legend(loc="upper right", fontsize=8)
axes[0].set_title("the streamed output lies on the one-shot output (block edges in green)",
                  loc="left")
axes[1].semilogy(np.abs(streamed - one_shot) + 1e-18, color="tab:red", lw=0.7)
axes[1].set_title("|streamed - one shot| (rounding only)", loc="left")
axes[1].set_xlabel("sample")
plt.show()

# %%
# A causal convolution layer on a stream
# --------------------------------------
#
# The same for a :class:`cconv1d.Conv1d` with ``padding="causal"``: ``layer.stream``
# keeps the last ``dilation*(K-1)`` input samples between calls.

layer = cc.Conv1d(1, 4, 5, padding="causal", dilation=3, rng=0)
signal = x[None, None, :4000].astype(np.float32)
chunks = [layer.stream(signal[..., i:i + 100]) for i in range(0, 4000, 100)]
print("layer.stream == layer(x):",
      np.allclose(np.concatenate(chunks, axis=-1), layer(signal), atol=1e-5))
