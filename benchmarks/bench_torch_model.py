"""One training step of a small 1-D CNN in PyTorch: ``cconv1d.torch.Conv1d`` vs ``torch.nn.Conv1d``.

Both models have the same weights and see the same batch; a step is forward, cross-entropy
loss, backward and an SGD update. Each side is warmed up, then timed as the median of
``--repeats`` steps, with the same ``torch.set_num_threads`` / ``cc.set_num_threads``.

    python benchmarks/bench_torch_model.py                       # batch 32, 64 ch, L=1024
    python benchmarks/bench_torch_model.py --threads 1 --layers 5 --kernel 7

Prints each side's median and the ratio ``torch_time / ours_time`` (above 1: ours is faster).
The machine is shared and noisy: compare ratios from one run, not times across runs.
"""

import argparse
import statistics
import sys
import time

import torch
import torch.nn.functional as F

import cconv1d as cc
import cconv1d.torch as cct


class CNN(torch.nn.Module):
    def __init__(self, conv, channels, layers, kernel, classes=10):
        super().__init__()
        self.convs = torch.nn.ModuleList(
            conv(channels, channels, kernel, padding=kernel // 2) for _ in range(layers))
        self.head = torch.nn.Linear(channels, classes)

    def forward(self, x):
        for conv in self.convs:
            x = torch.relu(conv(x))
        return self.head(x.mean(-1))


def _step(model, opt, x, target):
    opt.zero_grad(set_to_none=True)
    loss = F.cross_entropy(model(x), target)
    loss.backward()
    opt.step()
    return loss.item()


def _time(model, x, target, warmup, repeats):
    opt = torch.optim.SGD(model.parameters(), lr=1e-3)
    losses = [_step(model, opt, x, target) for _ in range(warmup)]
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        losses.append(_step(model, opt, x, target))
        times.append(time.perf_counter() - t0)
    return statistics.median(times), losses


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--channels", type=int, default=64)
    p.add_argument("--length", type=int, default=1024)
    p.add_argument("--layers", type=int, default=3)
    p.add_argument("--kernel", type=int, default=5)
    p.add_argument("--threads", type=int, default=torch.get_num_threads())
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--repeats", type=int, default=15)
    p.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    a = p.parse_args(argv)

    torch.set_num_threads(a.threads)
    cc.set_num_threads(a.threads)
    dtype = getattr(torch, a.dtype)
    torch.manual_seed(0)
    theirs = CNN(torch.nn.Conv1d, a.channels, a.layers, a.kernel).to(dtype)
    ours = CNN(cct.Conv1d, a.channels, a.layers, a.kernel).to(dtype)
    ours.load_state_dict(theirs.state_dict())
    x = torch.randn(a.batch, a.channels, a.length, dtype=dtype)
    target = torch.randint(0, 10, (a.batch,))

    print(f"torch {torch.__version__}, cconv1d {cc.__version__}; threads: torch "
          f"{torch.get_num_threads()}, cconv1d {cc.get_num_threads()}")
    print(f"model: {a.layers} x Conv1d({a.channels}, {a.channels}, {a.kernel}, "
          f"padding={a.kernel // 2}) + ReLU, mean, Linear; input {tuple(x.shape)} {a.dtype}")
    print(f"step = forward + cross-entropy + backward + SGD; warm-up {a.warmup}, "
          f"median of {a.repeats}")
    # Alternate the two sides so that drifting machine load hits both alike.
    t_theirs, l_theirs = _time(theirs, x, target, a.warmup, a.repeats)
    t_ours, l_ours = _time(ours, x, target, a.warmup, a.repeats)
    t_theirs2, _ = _time(theirs, x, target, 0, a.repeats)
    t_ours2, _ = _time(ours, x, target, 0, a.repeats)
    t_theirs, t_ours = min(t_theirs, t_theirs2), min(t_ours, t_ours2)
    drift = max(abs(u - v) / max(abs(v), 1e-12) for u, v in zip(l_ours, l_theirs))
    print(f"first loss: torch {l_theirs[0]:.6f}  ours {l_ours[0]:.6f}  "
          f"(largest relative loss difference over {len(l_ours)} steps: {drift:.1e})")
    print(f"{'torch.nn.Conv1d':>22}: {t_theirs * 1e3:9.2f} ms/step")
    print(f"{'cconv1d.torch.Conv1d':>22}: {t_ours * 1e3:9.2f} ms/step")
    print(f"{'ratio torch / ours':>22}: {t_theirs / t_ours:9.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
