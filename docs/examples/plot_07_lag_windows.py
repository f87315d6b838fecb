"""
Lag windows and Pearson template matching
=========================================

Two recordings of the same source, one delayed: only lags near zero matter, so
``maxlag=`` computes those and nothing else. Then a template hidden in a noisy signal
that drifts far from zero: Pearson correlation (``normalize="pearson"``) finds it
where the raw correlation follows the drift.
"""

import matplotlib.pyplot as plt
import numpy as np

import cconv1d as cc

rng = np.random.default_rng(3)

# %%
# The delay between two long recordings
# -------------------------------------
#
# Two microphones hear the same source, the second 237 samples later and with its own
# noise. Their full correlation would have 1,999,999 lags; the delay is known to be
# under 500 samples, so 1001 lags are enough (the direct method then costs
# ``1001 * 1e6`` multiply-adds instead of ``1e12``).

n = 1_000_000
source = np.convolve(rng.standard_normal(n + 50), np.hanning(50), "valid")[:n]
delay = 237
mic_a = source + 0.5 * rng.standard_normal(n)
mic_b = np.roll(source, delay) + 0.5 * rng.standard_normal(n)

c = cc.correlate(mic_b, mic_a, maxlag=500, normalize="coeff")
lags = cc.correlation_lags(n, n, maxlag=500)
found = int(lags[np.argmax(c)])
print("delay found:", found)

fig, ax = plt.subplots(figsize=(8, 3), layout="constrained")
ax.plot(lags, c)
ax.axvline(found, color="tab:red", ls="--", lw=1)
ax.set_xlabel("lag (samples)")
ax.set_ylabel("normalized correlation")
ax.set_title(f"cc.correlate(mic_b, mic_a, maxlag=500): peak at lag {found}", loc="left")
plt.show()

# %%
# Template matching on a drifting signal
# --------------------------------------
#
# A short burst, with a positive mean, hidden three times (at different gains) in noise
# on a slow drift around 1e4 -- an offset thirty thousand times the noise. The raw
# correlation with the template mostly follows the drift; Pearson's coefficient at
# each position ignores offset and gain and peaks where the bursts are, computed
# accurately despite the offset.

t = np.arange(64)
template = np.hanning(64) * (1.0 + np.sin(2 * np.pi * t / 16))
length = 3000
drift = 1e4 + 3.0 * np.sin(2 * np.pi * np.arange(length) / 3000)
signal = drift + 0.3 * rng.standard_normal(length)
starts = [400, 1500, 2400]
for s, gain in zip(starts, [1.0, 0.6, 1.4]):
    signal[s:s + 64] += gain * template

raw = cc.correlate(signal, template)                      # mode "valid"
pearson = cc.correlate(signal, template, normalize="pearson")

fig, axes = plt.subplots(3, 1, figsize=(8, 6), sharex=True, layout="constrained")
axes[0].plot(signal, color="0.3", lw=0.7)
axes[0].set_title("signal: drift around 1e4 + noise + three bursts", loc="left")
axes[1].plot(raw, color="tab:gray")
axes[1].set_title("raw correlation", loc="left")
axes[2].plot(pearson, color="tab:blue")
axes[2].set_title('normalize="pearson": peaks at the bursts', loc="left")
for ax in axes:
    for s in starts:
        ax.axvline(s, color="tab:orange", ls="--", lw=0.8)
axes[2].set_xlabel("position of the template")
plt.show()
