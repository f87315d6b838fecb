"""
Missing data: NaN gaps with ``nan_policy``
==========================================

A sensor drops samples (NaN). Smoothing with the default ``nan_policy="propagate"``
spreads every gap over the kernel's width; ``nan_policy="omit"`` treats the gaps as
missing and renormalizes each output by the kernel weight that fell on valid samples,
so short gaps are bridged and only outputs with no valid sample stay NaN.
"""

import matplotlib.pyplot as plt
import numpy as np

import cconv1d as cc

rng = np.random.default_rng(11)
n = 600
t = np.arange(n)
clean = np.sin(2 * np.pi * t / 200) + 0.3 * np.sin(2 * np.pi * t / 37)
x = clean + 0.25 * rng.standard_normal(n)
for start, width in [(80, 3), (150, 1), (260, 12), (400, 40), (520, 2)]:
    x[start:start + width] = np.nan
x[rng.random(n) < 0.03] = np.nan              # and scattered dropouts

kernel = np.hanning(25)
propagate = cc.convolve(x, kernel / kernel.sum(), "same")
omit = cc.convolve(x, kernel / kernel.sum(), "same", nan_policy="omit")
print("NaN outputs, propagate:", int(np.isnan(propagate).sum()),
      " omit:", int(np.isnan(omit).sum()))

fig, axes = plt.subplots(2, 1, figsize=(8, 5.5), sharex=True, layout="constrained")
for ax, y, title in [(axes[0], propagate, 'nan_policy="propagate": gaps spread'),
                     (axes[1], omit, 'nan_policy="omit": gaps bridged')]:
    ax.plot(t, x, ".", ms=2, color="0.6", label="samples (gaps are NaN)")
    ax.plot(t, y, color="tab:blue", lw=1.5, label="smoothed")
    for gap in np.flatnonzero(np.isnan(y)):
        ax.axvspan(gap - 0.5, gap + 0.5, color="tab:red", alpha=0.15, lw=0)
    ax.set_title(title + " (NaN outputs shaded)", loc="left")
    ax.legend(loc="lower left", fontsize=8)
axes[1].set_xlabel("sample")
plt.show()
