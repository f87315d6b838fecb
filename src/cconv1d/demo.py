"""``python -m cconv1d demo``: train a small 1-D CNN built on :class:`cconv1d.Conv1d`.

The data set is generated, never downloaded: noisy waveforms of four kinds (sine,
square, sawtooth and a train of narrow pulses) with random frequency, phase, amplitude
and offset. The network is two ``cc.Conv1d`` layers with ReLU, max pooling,
global average pooling and a softmax classifier (those small layers are NumPy here),
trained with ``cc.SGD`` with momentum.

Examples
--------
>>> from cconv1d import demo
>>> data = demo.make_dataset(8, length=64, seed=1)
>>> data[0].shape, data[1].shape
((8, 1, 64), (8,))
"""

from __future__ import annotations

import sys
import time
from typing import Any, Protocol, TextIO

import numpy as np
from numpy.typing import NDArray

from cconv1d.layers import Conv1d
from cconv1d.optim import SGD

CLASSES = ("sine", "square", "sawtooth", "pulses")


def make_dataset(n_samples: int, *, length: int = 128, noise: float = 0.5,
                 seed: int = 0) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
    """Noisy waveforms of the four :data:`cconv1d.demo.CLASSES`, balanced; returns ``(x, labels)``
    with ``x`` of shape ``(n_samples, 1, length)`` (float32)."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n_samples) % len(CLASSES)
    rng.shuffle(labels)
    t = np.linspace(0.0, 1.0, length, endpoint=False)
    cycles = rng.uniform(3.0, 8.0, size=(n_samples, 1))
    phase = rng.uniform(0.0, 1.0, size=(n_samples, 1))
    amplitude = rng.uniform(0.6, 1.4, size=(n_samples, 1))
    position = cycles * t[None, :] + phase
    sine = np.sin(2 * np.pi * position)
    square = np.sign(sine)
    sawtooth = 2.0 * (position - np.floor(position + 0.5))
    # A train of narrow Gaussian pulses, one per cycle, with zero mean.
    pulses = 3.0 * np.exp(-0.5 * ((position - np.floor(position) - 0.5) / 0.06) ** 2) - 0.45
    waves = np.choose(labels[:, None], [sine, square, sawtooth, pulses])
    x = amplitude * waves + rng.uniform(-0.5, 0.5, size=(n_samples, 1))
    x += noise * rng.standard_normal(x.shape)
    return x[:, None, :].astype(np.float32), labels


class _Network:
    """conv(1->16, 7) - ReLU - maxpool 2 - conv(16->32, 5) - ReLU - mean over length -
    dense(32->4) - softmax."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.conv1 = Conv1d(1, 16, 7, padding="same", rng=rng)
        self.conv2 = Conv1d(16, 32, 5, padding="same", padding_mode="reflect", rng=rng)
        bound = 1.0 / np.sqrt(32)
        self.dense_w = rng.uniform(-bound, bound, size=(32, len(CLASSES))).astype(np.float32)
        self.dense_b = np.zeros(len(CLASSES), dtype=np.float32)
        self.grad_dense_w = np.zeros_like(self.dense_w)
        self.grad_dense_b = np.zeros_like(self.dense_b)

    def parameters(self) -> list[tuple[str, NDArray[Any], NDArray[Any]]]:
        return (self.conv1.parameters() + self.conv2.parameters()
                + [("dense_w", self.dense_w, self.grad_dense_w),
                   ("dense_b", self.dense_b, self.grad_dense_b)])

    def forward(self, x: NDArray[Any]) -> NDArray[Any]:
        h1 = self.conv1(x)
        r1 = np.maximum(h1, 0)
        n, c, length = r1.shape
        pairs = r1[:, :, : length // 2 * 2].reshape(n, c, length // 2, 2)
        pick = pairs.argmax(axis=-1)
        p1 = np.take_along_axis(pairs, pick[..., None], axis=-1)[..., 0]
        h2 = self.conv2(p1)
        r2 = np.maximum(h2, 0)
        features = r2.mean(axis=-1)
        logits: NDArray[Any] = features @ self.dense_w + self.dense_b
        self._cache = (h1, pairs.shape, pick, h2, features)
        return logits

    def backward(self, grad_logits: NDArray[Any]) -> None:
        h1, pairs_shape, pick, h2, features = self._cache
        self.grad_dense_w += features.T @ grad_logits
        self.grad_dense_b += grad_logits.sum(axis=0)
        grad_features = grad_logits @ self.dense_w.T
        grad_r2 = np.repeat(grad_features[:, :, None] / h2.shape[-1], h2.shape[-1], axis=-1)
        grad_p1 = self.conv2.backward(grad_r2 * (h2 > 0))
        grad_pairs = np.zeros(pairs_shape, dtype=grad_p1.dtype)
        np.put_along_axis(grad_pairs, pick[..., None], grad_p1[..., None], axis=-1)
        grad_r1 = np.zeros_like(h1)
        grad_r1[:, :, : pairs_shape[2] * 2] = grad_pairs.reshape(h1.shape[0], h1.shape[1], -1)
        self.conv1.backward(grad_r1 * (h1 > 0))


def _softmax_cross_entropy(logits: NDArray[Any],
                           labels: NDArray[Any]) -> tuple[float, NDArray[Any]]:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    prob = exp / exp.sum(axis=1, keepdims=True)
    n = logits.shape[0]
    loss = -np.log(prob[np.arange(n), labels] + 1e-12).mean()
    grad = prob
    grad[np.arange(n), labels] -= 1.0
    return float(loss), grad / n


class _Bar:
    """A one-line progress bar with rate and ETA, redrawn in place on ``stream`` (a
    terminal); the built-in stand-in for tqdm."""

    def __init__(self, total: int, stream: TextIO, unit: str = "batch",
                 width: int = 24) -> None:
        self.total, self.stream, self.unit, self.width = total, stream, unit, width
        self.done = 0
        self.text = ""
        self.start = time.perf_counter()
        self._drawn = 0.0

    def update(self, n: int = 1) -> None:
        self.done += n
        now = time.perf_counter()
        # Redraw at most 10 times a second, and always at the end.
        if now - self._drawn >= 0.1 or self.done >= self.total:
            self._drawn = now
            self._draw(now - self.start)

    def set_postfix_str(self, s: str = "", refresh: bool = True) -> None:
        self.text = s

    def _draw(self, elapsed: float) -> None:
        fraction = min(self.done / self.total, 1.0) if self.total else 1.0
        filled = int(self.width * fraction)
        rate = self.done / elapsed if elapsed > 0 else 0.0
        eta = (self.total - self.done) / rate if rate > 0 else 0.0
        bar = "#" * filled + "." * (self.width - filled)
        self.stream.write(f"\r  [{bar}] {self.done}/{self.total} {rate:6.1f} {self.unit}/s "
                          f"ETA {_clock(eta)} {self.text}\033[K")
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\n")
        self.stream.flush()


def _clock(seconds: float) -> str:
    minutes, seconds = divmod(int(round(seconds)), 60)
    return f"{minutes:d}:{seconds:02d}"


class _ProgressBar(Protocol):
    def update(self, n: int = 1) -> Any: ...
    def set_postfix_str(self, s: str = "", refresh: bool = True) -> Any: ...
    def close(self) -> Any: ...


def _progress_bar(total: int, stream: TextIO) -> _ProgressBar | None:
    """tqdm when it is installed, else :class:`_Bar`; None where nobody would see it
    (``stream`` is not a terminal: logs then get one line an epoch)."""
    if not (hasattr(stream, "isatty") and stream.isatty()):
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return _Bar(total, stream)
    bar: _ProgressBar = tqdm(total=total, file=stream, unit="batch", leave=False,
                             dynamic_ncols=True)
    return bar


def train(*, epochs: int = 12, n_train: int = 2400, n_test: int = 800, batch_size: int = 32,
          lr: float = 0.05, momentum: float = 0.9, seed: int = 0, verbose: bool = True,
          stream: TextIO | None = None, progress: TextIO | None = None) -> dict[str, Any]:
    """Train the demo network; returns ``{"loss": [per epoch], "test_accuracy": float,
    "seconds": float}``. Fixed ``seed``: runs repeat exactly.

    With ``verbose``, each epoch's loss is written to ``stream`` (standard output by
    default) and, when ``progress`` (standard error by default) is a terminal, a
    progress bar with the batch rate and the time left (tqdm's if installed) is drawn
    there, so redirected output holds only the results.
    """
    stream = stream or sys.stdout
    progress = progress or sys.stderr
    rng = np.random.default_rng(seed)
    x_train, y_train = make_dataset(n_train, seed=seed + 1)
    x_test, y_test = make_dataset(n_test, seed=seed + 2)
    net = _Network(rng)
    params = net.parameters()
    opt = SGD(params, lr=lr, momentum=momentum)
    losses = []
    start = time.perf_counter()
    n_batches = -(-n_train // batch_size)
    bar = _progress_bar(epochs * n_batches, progress) if verbose else None
    try:
        for epoch in range(epochs):
            order = rng.permutation(n_train)
            total = 0.0
            for b in range(n_batches):
                idx = order[b * batch_size:(b + 1) * batch_size]
                opt.zero_grad()
                logits = net.forward(x_train[idx])
                loss, grad = _softmax_cross_entropy(logits, y_train[idx])
                net.backward(grad)
                opt.step()
                total += loss * len(idx)
                if bar is not None:
                    bar.set_postfix_str(f"epoch {epoch + 1}/{epochs} loss {loss:.3f}")
                    bar.update(1)
            losses.append(total / n_train)
            if verbose:
                if bar is not None and hasattr(bar, "clear"):
                    bar.clear()     # tqdm: keep the epoch line clear of the bar
                elif bar is not None:
                    progress.write("\r\033[K")
                stream.write(f"  epoch {epoch + 1:2d}/{epochs}  train loss {losses[-1]:.4f}\n")
                stream.flush()
    finally:
        if bar is not None:
            bar.close()
    predictions = np.concatenate([net.forward(x_test[i:i + 256]).argmax(axis=1)
                                  for i in range(0, n_test, 256)])
    accuracy = float((predictions == y_test).mean())
    return {"loss": losses, "test_accuracy": accuracy,
            "seconds": time.perf_counter() - start}


def main(epochs: int = 12, seed: int = 0) -> int:
    """``cconv1d demo``: train, print each epoch's loss and the test accuracy; returns 0."""
    print(f"cconv1d demo: classify noisy {', '.join(CLASSES)} waveforms "
          "(2400 train / 800 test, length 128) with a 1-D CNN of cc.Conv1d layers")
    result = train(epochs=epochs, seed=seed)
    print(f"test accuracy: {100 * result['test_accuracy']:.1f}%  "
          f"({result['seconds']:.1f} s)")
    return 0
