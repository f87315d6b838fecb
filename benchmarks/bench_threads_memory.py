"""GIL release and memory footprint of cconv1d (issue: hardening).

1. Two Python threads, each with one OpenMP thread, run conv1d together and one after
   the other; together is faster only if the kernels release the GIL.
2. Peak resident memory of one large conv1d call, against input + output bytes: the
   kernels add only a bounded per-thread workspace (one padded sample, packed weights).

    python benchmarks/bench_threads_memory.py
"""

import resource
import statistics
import subprocess
import sys
import threading
import time

import numpy as np

import cconv1d as cc


def gil_release(repeats=5):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 64, 2048)).astype(np.float32)
    w = rng.standard_normal((64, 64, 3)).astype(np.float32)
    cc.set_num_threads(1)
    try:
        work = lambda: [cc.conv1d(x, w, padding=1) for _ in range(3)]  # noqa: E731
        work()
        serial, together = [], []
        for _ in range(repeats):
            t0 = time.perf_counter()
            work()
            work()
            serial.append(time.perf_counter() - t0)
            threads = [threading.Thread(target=work) for _ in range(2)]
            t0 = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            together.append(time.perf_counter() - t0)
    finally:
        cc.set_num_threads(None)
    s, t = statistics.median(serial), statistics.median(together)
    print(f"GIL: two calls one after the other {1e3 * s:.1f} ms, in two Python threads "
          f"{1e3 * t:.1f} ms: speed-up {s / t:.2f}x (2.0 = perfect, 1.0 = GIL held)")


_PEAK = """
import resource, sys, numpy as np, cconv1d as cc
n, c_in, c_out, length, k = map(int, sys.argv[1:6])
# Generated directly in float32 so no larger temporary sets the high-water mark.
x = np.random.default_rng(0).standard_normal((n, c_in, length), dtype=np.float32)
w = np.random.default_rng(1).standard_normal((c_out, c_in, k), dtype=np.float32)
cc.conv1d(x[:1, :, :100], w, padding="same")  # load everything the call needs
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
y = cc.conv1d(x, w, padding="same", padding_mode="reflect")
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(before, after, x.nbytes, y.nbytes)
"""


def peak_memory():
    for shape in [(32, 64, 64, 16384, 3), (4, 1, 64, 1_000_000, 9), (8, 256, 256, 8192, 3)]:
        out = subprocess.run([sys.executable, "-c", _PEAK, *map(str, shape)],
                             capture_output=True, text=True, check=True).stdout.split()
        before, after, x_bytes, y_bytes = map(int, out)
        extra = after - before - y_bytes
        print(f"peak memory N={shape[0]} {shape[1]}->{shape[2]} L={shape[3]} K={shape[4]}: "
              f"input {x_bytes / 2**20:.0f} MiB, output {y_bytes / 2**20:.0f} MiB, "
              f"growth during the call {(after - before) / 2**20:.0f} MiB "
              f"(workspace beyond the output: {extra / 2**20:.1f} MiB)")


if __name__ == "__main__":
    cc.show_config()
    gil_release()
    peak_memory()
