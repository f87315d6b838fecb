"""
Convolution, cross-correlation and autocorrelation
==================================================

All three slide a kernel along a signal and take dot products (see
:ref:`design-sliding`). Correlation uses the kernel as it is, convolution uses it
reversed, autocorrelation correlates a signal with itself. This example shows what
each one is good for.
"""

import matplotlib.pyplot as plt
import numpy as np

import cconv1d as cc

rng = np.random.default_rng(7)

# %%
# Finding a template: correlation is a matched filter
# ---------------------------------------------------
#
# Hide two copies of an asymmetric chirp-like template in noise. Correlating the
# signal with the template peaks where the template starts. Convolving with it
# (which uses the template reversed in time) matches a time-reversed copy instead,
# and finds nothing clear.

t = np.arange(40)
template = np.sin(2 * np.pi * t * (0.02 + 0.004 * t)) * np.hanning(40)
signal = 0.4 * rng.standard_normal(400)
starts = [70, 260]
for s in starts:
    signal[s:s + template.size] += template

corr = cc.correlate(signal, template, "valid")       # output j: template at j
conv = cc.convolve(signal, template, "valid")

fig, axes = plt.subplots(3, 1, figsize=(9, 6.5), sharex=True, layout="constrained")
axes[0].plot(signal, color="0.3", lw=0.8)
for s in starts:
    axes[0].axvspan(s, s + template.size, color="tab:orange", alpha=0.25)
axes[0].set_title("signal: noise with two copies of the template (shaded)", loc="left")
axes[1].plot(corr, color="tab:blue")
axes[1].set_title("cc.correlate(signal, template, 'valid'): peaks at the starts",
                  loc="left")
for s in starts:
    axes[1].axvline(s, color="tab:orange", ls="--", lw=1)
axes[2].plot(conv, color="tab:red")
axes[2].set_title("cc.convolve(signal, template, 'valid'): the reversed template "
                  "does not match", loc="left")
axes[2].set_xlabel("sample index")
inset = axes[0].inset_axes([0.8, 0.62, 0.19, 0.34])
inset.plot(template, color="tab:orange")
inset.set_xticks([])
inset.set_yticks([])
inset.set_title("template", fontsize=8)
plt.show()

# %%
# The same numbers through ``conv1d``
# -----------------------------------
#
# The neural-network :func:`cconv1d.conv1d` is a cross-correlation (as in every
# deep-learning framework); ``flip=True`` makes it a true convolution.

x = signal[None, None, :]                  # (N=1, C_in=1, L)
w = template[None, None, :]                # (C_out=1, C_in=1, K)
print("conv1d == correlate:", np.allclose(cc.conv1d(x, w)[0, 0], corr))
print("conv1d(flip=True) == convolve:", np.allclose(cc.conv1d(x, w, flip=True)[0, 0], conv))

# %%
# Smoothing: convolution with a causal filter
# -------------------------------------------
#
# For filtering, convolution is the natural operation: the output at ``t`` is the
# weighted sum of the inputs at ``t, t - 1, t - 2, ...``. An exponentially decaying
# kernel is a causal smoother; with ``"full"`` mode and the first ``len(x)`` samples,
# ``convolve`` gives the filter's response as it runs, with a lag, while correlating
# with the same kernel looks into the future instead.

steps = np.repeat([0.0, 1.0, -0.5, 0.5], 60) + 0.15 * rng.standard_normal(240)
kernel = 0.85 ** np.arange(25)
kernel /= kernel.sum()
smooth_conv = cc.convolve(steps, kernel, "full")[:steps.size]
smooth_corr = cc.correlate(steps, kernel, "full")[kernel.size - 1:]

fig, ax = plt.subplots(figsize=(9, 3), layout="constrained")
ax.plot(steps, color="0.7", lw=0.8, label="noisy steps")
ax.plot(smooth_conv, color="tab:blue", label="convolve: responds after each step")
ax.plot(smooth_corr, color="tab:red", label="correlate: anticipates each step")
ax.legend(fontsize=8, loc="lower left")
ax.set_xlabel("sample index")
ax.set_title("an exponential smoother, applied as convolution and as correlation",
             loc="left")
plt.show()

# %%
# Autocorrelation finds a period
# ------------------------------
#
# The autocorrelation of a periodic signal repeats with the signal's period, even when
# the period is hard to see through the noise. In ``"full"`` mode lag 0 is in the
# middle of the result.

period = 37
n = 600
noisy = np.sin(2 * np.pi * np.arange(n) / period) + 1.5 * rng.standard_normal(n)
ac = cc.autocorrelate(noisy - noisy.mean(), "full")
lags = np.arange(-(n - 1), n)
ac /= ac[n - 1]                                      # normalise: 1 at lag 0

positive = slice(n - 1 + 10, n - 1 + 120)            # skip the lag-0 peak
best = lags[positive][np.argmax(ac[positive])]
print(f"true period {period}, strongest autocorrelation peak at lag {best}")

fig, axes = plt.subplots(1, 2, figsize=(10, 3.2), layout="constrained")
axes[0].plot(noisy, color="0.4", lw=0.7)
axes[0].set_title(f"sine of period {period} in heavy noise", loc="left")
axes[0].set_xlabel("sample index")
axes[1].plot(lags, ac, color="tab:purple", lw=0.9)
axes[1].set_xlim(-150, 150)
axes[1].set_ylim(-0.6, 1.05)
for k in (-3, -2, -1, 1, 2, 3):
    axes[1].axvline(k * period, color="tab:orange", ls="--", lw=0.8)
axes[1].set_title("cc.autocorrelate: peaks at multiples of the period", loc="left")
axes[1].set_xlabel("lag")
plt.show()
