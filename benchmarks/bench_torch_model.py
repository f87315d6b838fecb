"""A PyTorch training step with ``cconv1d.torch.Conv1d`` against ``torch.nn.Conv1d``.

The model is the FCN time-series baseline of Wang, Yan & Oates (2017): three convolutions
of 128, 256 and 128 filters with kernels 8, 5 and 3, ``padding="same"``, each followed by
BatchNorm and ReLU, then global average pooling and a linear classifier. Both models have
the same weights and see the same batch; a step is forward, cross-entropy loss, backward
and an SGD update. The two sides take turns step by step (a burst of other work on the
shared machine lands on both), by this thread's CPU time at one thread and wall time at
more; the table shows medians and the ratio ``torch / ours``
(above 1: the drop-in is faster), per configuration and thread count.

    python benchmarks/bench_torch_model.py                     # the FCN table, 1 and 2 threads
    python benchmarks/bench_torch_model.py --threads 1 --repeats 31
    python benchmarks/bench_torch_model.py --model cnn --batch 32 --channels 64 --length 1024

``--model cnn`` is the earlier generic stack of equal-width convolutions (one
configuration from ``--batch/--channels/--length/--layers/--kernel``).
``--layers-detail`` also times each convolution's forward and backward alone.
"""

import argparse
import statistics
import sys
import time

import torch
import torch.nn.functional as F

import cconv1d as cc
import cconv1d.torch as cct

# (batch, input channels, length): UCR-sized series, longer ones, a 12-lead input
FCN_CONFIGS = [(16, 1, 150), (16, 1, 500), (16, 1, 1000), (16, 12, 150), (16, 12, 1000)]


class FCN(torch.nn.Module):
    """Wang et al. 2017's fully convolutional network for time-series classification."""

    def __init__(self, conv, in_channels, classes=10):
        super().__init__()
        layers = []
        for c_in, c_out, k in ((in_channels, 128, 8), (128, 256, 5), (256, 128, 3)):
            layers += [conv(c_in, c_out, k, padding="same"), torch.nn.BatchNorm1d(c_out),
                       torch.nn.ReLU()]
        self.body = torch.nn.Sequential(*layers)
        self.head = torch.nn.Linear(128, classes)

    def forward(self, x):
        return self.head(self.body(x).mean(-1))


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


def compare(make, x, target, warmup, repeats, clock):
    """(torch median s, ours median s, largest relative loss difference): the two
    models take turns, one step each, ``repeats`` times after ``warmup`` steps each."""
    torch.manual_seed(0)
    theirs = make(torch.nn.Conv1d).to(x.dtype)
    ours = make(cct.Conv1d).to(x.dtype)
    ours.load_state_dict(theirs.state_dict())
    sides = [(theirs, torch.optim.SGD(theirs.parameters(), lr=1e-3)),
             (ours, torch.optim.SGD(ours.parameters(), lr=1e-3))]
    losses = ([], [])
    times = ([], [])
    for i in range(warmup + repeats):
        for side, (model, opt) in enumerate(sides):
            t0 = clock()
            losses[side].append(_step(model, opt, x, target))
            if i >= warmup:
                times[side].append(clock() - t0)
    drift = max(abs(u - v) / max(abs(v), 1e-12) for u, v in zip(*losses))
    return statistics.median(times[0]), statistics.median(times[1]), drift


def layer_detail(in_channels, batch, length, repeats, clock):
    """Each FCN convolution's forward and forward+backward alone, torch vs ours."""
    for c_in, c_out, k in ((in_channels, 128, 8), (128, 256, 5), (256, 128, 3)):
        torch.manual_seed(0)
        ref = torch.nn.Conv1d(c_in, c_out, k, padding="same")
        ours = cct.Conv1d(c_in, c_out, k, padding="same")
        ours.load_state_dict(ref.state_dict())
        x = torch.randn(batch, c_in, length, requires_grad=c_in > 1)
        g = torch.randn(batch, c_out, length)
        res = {}
        for name, layer in (("torch", ref), ("ours", ours)):
            def fwd(layer=layer):
                with torch.no_grad():
                    layer(x)

            def both(layer=layer):
                layer(x).backward(g)
            res[name] = [fwd, both]
        t = {key: ([], []) for key in res}
        for _ in range(repeats):
            for name, fns in res.items():
                for j, fn in enumerate(fns):
                    t0 = clock()
                    fn()
                    t[name][j].append(clock() - t0)
        med = {name: [statistics.median(v) for v in pair] for name, pair in t.items()}
        print(f"    conv {c_in:>3}->{c_out:<3} K={k}: forward torch {med['torch'][0] * 1e3:7.3f} "
              f"ours {med['ours'][0] * 1e3:7.3f} ms ({med['torch'][0] / med['ours'][0]:.2f}x); "
              f"fwd+bwd torch {med['torch'][1] * 1e3:7.3f} ours {med['ours'][1] * 1e3:7.3f} ms "
              f"({med['torch'][1] / med['ours'][1]:.2f}x)")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", choices=["fcn", "cnn"], default="fcn")
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--repeats", type=int, default=21)
    p.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    p.add_argument("--configs", type=int, nargs="*", default=None,
                   help="indices into the FCN configurations (default: all)")
    p.add_argument("--layers-detail", action="store_true")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--channels", type=int, default=64)
    p.add_argument("--length", type=int, default=1024)
    p.add_argument("--layers", type=int, default=3)
    p.add_argument("--kernel", type=int, default=5)
    a = p.parse_args(argv)
    dtype = getattr(torch, a.dtype)
    if a.model == "fcn":
        configs = [FCN_CONFIGS[i] for i in a.configs] if a.configs else FCN_CONFIGS
    else:
        configs = [(a.batch, a.channels, a.length)]
    print(f"torch {torch.__version__}, cconv1d {cc.__version__} (SIMD "
          f"{cc._forward.simd_path()}), {a.dtype}; model {a.model}; step = forward + "
          f"cross-entropy + backward + SGD; warm-up {a.warmup}, median of {a.repeats}, "
          "sides alternating; ratio = torch / ours")
    print(f"{'threads':>7} {'input (N, C, L)':>16} {'torch ms':>9} {'ours ms':>9} "
          f"{'ratio':>7} {'loss diff':>9}")
    for threads in a.threads:
        # One thread: this thread's CPU time (autograd runs CPU backward passes on the
        # calling thread), so time the machine's other users take is not counted; more
        # threads: wall time.
        clock = time.thread_time if threads == 1 else time.perf_counter
        torch.set_num_threads(threads)
        cc.set_num_threads(threads)
        for batch, channels, length in configs:
            torch.manual_seed(1)
            x = torch.randn(batch, channels, length, dtype=dtype)
            target = torch.randint(0, 10, (batch,))
            if a.model == "fcn":
                def make(conv, channels=channels):
                    return FCN(conv, channels)
            else:
                def make(conv, channels=channels):
                    return CNN(conv, channels, a.layers, a.kernel)
            t_theirs, t_ours, drift = compare(make, x, target, a.warmup, a.repeats,
                                              clock)
            print(f"{threads:>7} {str((batch, channels, length)):>16} {t_theirs * 1e3:9.2f} "
                  f"{t_ours * 1e3:9.2f} {t_theirs / t_ours:6.2f}x {drift:9.1e}", flush=True)
            if a.layers_detail and a.model == "fcn":
                layer_detail(channels, batch, length, a.repeats, clock)
    return 0


if __name__ == "__main__":
    sys.exit(main())
