"""The FFT route of ``conv1d`` and ``conv1d_backward``: long kernels in O(L log L).

A layer's output is ``y[n, o, j] = b[o] + sum_c sum_k w[o, c, k] * xp[n, c, j*s + k*d]``.
With the dilated kernel ``wd[o, c, m]`` (``w`` at ``m = k*d``, zeros between) and the
stride-1 outputs ``y1[t]``, ``y[j] = y1[j*s]`` and

    y1[n, o, t] = sum_c sum_m wd[o, c, m] xp[n, c, t + m]       (a cross-correlation)

which a real FFT of length ``F >= T + span`` (``T`` stride-1 outputs, ``span = d*(K-1)``)
computes without wrap-around: ``Y1_f[n, o] = sum_c Xp_f[n, c] * conj(Wd_f[o, c])``. The
channel sum is a complex matrix product per frequency, ``(N x C_in) @ (C_in x C_out)``
for each of the ``F/2 + 1`` frequencies (per group), so the cost is
``(N C_in + N C_out + C_out C_in) F log F`` for the transforms plus ``N C_in C_out F``
complex multiply-adds, against ``N C_in C_out K L`` for the direct route.

Dense and grouped layers keep their spectra frequency-major, ``(F/2 + 1, N, C)``: each
frequency's channels are then the rows of its matrix product without a transpose (the
transforms read and write the strided axis themselves), and the frequencies are split
between the call's threads. The forward takes ``conj(Wd_f)`` as the spectrum of the
reversed kernel (a convolution, read ``span`` samples on); the weight gradient
conjugates ``dY_f`` in place. Depthwise layers, which have no products to split, keep
channel-major spectra.

The backward pass uses the same transforms: the padded input's gradient is a
convolution, ``dXp_f[n, c] = sum_o dY_f[n, o] Wd_f[o, c]`` (``dY`` is ``dy`` spread to
every ``s``-th position), folded back onto ``x`` by the padding's adjoint; the weight
gradient is a correlation summed over the batch, ``G_f[o, c] = sum_n conj(dY_f[n, o])
Xp_f[n, c]``, read at the lags ``m = k*d``.

Every padding mode is applied before (by the padding kernels) and its adjoint after,
so the route computes exactly the direct route's function; the two differ by rounding:
the FFT's error is relative to the norm of the signal rather than to each output, about
``eps * log2(F)`` of it (float32 arithmetic in complex64, as PyTorch's own FFTs).
SciPy's ``scipy.fft`` is used when installed (multi-threaded with ``workers``), else
NumPy's; both are imported on first use only.
"""

import math
import os
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cconv1d._fft import next_fast_len
from cconv1d._forward import simd_path
from cconv1d._kernels import avx512_half_width
from cconv1d._padding import PAD, PAD_BACKWARD
from cconv1d._spec import CONSTANT

__all__ = ["forward", "backward", "choose", "safe_inputs", "METHODS"]

METHODS = ("auto", "direct", "fft")

# Cost model of `choose` (seconds per unit, one core; only the ratio matters). The direct
# kernels' rate on dense layers per SIMD path: AVX-512 ~166 GFLOP/s float32 and ~83
# float64 (Sapphire Rapids, 1 thread, 8-128 channels, K 31-255), AVX2 ~80 and ~40 (Zen
# 3), the scalar build ~10 and ~5; AVX-512 on a CPU whose FMAs are half its width (AMD
# Zen 4: _kernels.avx512_half_width) ~111 and ~55 (Zen 4, 1 thread, 16-256 channels, K
# 17-63: the Sapphire Rapids rate had kept layers whose FFT ran in 0.57x the direct
# time on the direct route, the benchmark's wide-kernel backward at 1.39x AVX2's
# time). The FFT route, with the block plan it takes
# (_plan_blocks), per F log2 F of a transformed lane: _C_FFT for the signal's and the
# output's lanes and _C_FFT_KERNEL for the kernel's (reversed, zero-padded and written
# frequency-major: twice the traffic), and _C_CMAC per complex multiply-add of the
# per-frequency products. Fitted on a Sapphire Rapids sweep of 32 dense and grouped
# layers per dtype (N 1-32, 8-256 channels, L 512-16384, K 31-255), after the route
# took 2-3-5-smooth lengths: within 0.7-1.95x of the measured time, and auto within
# 1.16x (float32) and 1.19x (float64) of the faster route on every case. The constants
# of the 11-smooth lengths before kept 8 float32 layers direct at up to 2x the FFT's
# time. Depthwise layers (channel-major spectra, elementwise products) keep their own.
_DIRECT_FLOP = {"avx512": {4: 1.0 / 166e9, 8: 1.0 / 83e9},
                "scalar": {4: 1.0 / 10e9, 8: 1.0 / 5e9}}
_DIRECT_FLOP_DEFAULT = {4: 1.0 / 80e9, 8: 1.0 / 40e9}
_DIRECT_FLOP_AVX512_HALF = {4: 1.0 / 111e9, 8: 1.0 / 55e9}
_C_FFT = {4: 2.6e-10, 8: 5.2e-10}
_C_FFT_KERNEL = {4: 5.8e-10, 8: 1.0e-9}
_C_CMAC = {4: 1.05e-10, 8: 3.4e-10}
_C_FFT_DEPTHWISE = {4: 1.5e-10, 8: 3.0e-10}
_C_CMAC_DEPTHWISE = {4: 3.7e-10, 8: 5.0e-10}
_FFT_OVERHEAD = 60e-6          # plan/allocation and Python overhead of one FFT call
#: Kernels shorter than this never take the FFT route under ``method="auto"``. At 16-23
#: taps the FFT pays for wide layers only (8 x 128 -> 128, L = 1024: at K = 19 21 ms
#: against the direct 31, at K = 23 23 against 37; 32 channels stay direct, as the
#: model says).
MIN_FFT_SPAN = 16


def _fft() -> tuple[Callable[..., Any], Callable[..., Any], Callable[..., int], bool]:
    """``(rfft, irfft, next_fast_len, workers)``: scipy.fft's transforms when installed.

    The lengths are 2-3-5-smooth (``cconv1d._fft.next_fast_len``) for both backends:
    ``scipy.fft.next_fast_len``'s default is for complex transforms and returns
    7- and 11-smooth lengths, whose real transforms ran 1.2-1.7x slower per sample
    than the next 5-smooth length (Sapphire Rapids, e.g. 4312 against 4320, 8232
    against 8640)."""
    try:
        import scipy.fft as sf
        return sf.rfft, sf.irfft, next_fast_len, True
    except ImportError:  # pragma: no cover - scipy is a test dependency
        return np.fft.rfft, np.fft.irfft, next_fast_len, False


def _sizes(l_out: int, k_size: int, stride: int, dilation: int) -> tuple[int, int, int]:
    span = dilation * (k_size - 1)
    steps = (l_out - 1) * stride + 1          # stride-1 outputs that are needed
    return span, steps, steps + span           # ... and padded samples they read


def choose(n_batch: int, c_in: int, c_out: int, groups: int, k_size: int, l_out: int,
           stride: int, dilation: int, itemsize: int, threads: int = 1,
           backward: bool = False) -> str:
    """``"direct"`` or ``"fft"``: the route the cost model expects to be faster, for the
    forward pass or (``backward=True``) both gradients."""
    span, steps, used = _sizes(l_out, k_size, stride, dilation)
    if span + 1 < MIN_FFT_SPAN:
        return "direct"
    c_per_group = c_in // groups
    path = simd_path()
    half = path == "avx512" and avx512_half_width()
    rate = (_DIRECT_FLOP_AVX512_HALF if half
            else _DIRECT_FLOP.get(path, _DIRECT_FLOP_DEFAULT))[itemsize]
    direct = 2.0 * n_batch * c_out * l_out * c_per_group * k_size * rate
    if c_out // groups < 4 and not half:
        # Thin groups (depthwise) run the one-row kernels: 0.7x the dense tile's rate on
        # AVX-512 (115 against 166 GFLOP/s float32, K 63-255), 0.9x on AVX2 (Sapphire
        # Rapids). The factor of 4 of an older row kernel sent K = 255 depthwise layers
        # to the FFT at 1.6x the direct time. Where AVX-512's FMAs are half width (Zen
        # 4) the row kernel runs at the dense rate (4 x 64 channels, K = 255, L = 4096:
        # 111 GFLOP/s, 4.5 ms against the FFT's 12.7).
        direct *= 1.5
    size, _, n_blocks = _plan_blocks(n_batch, c_in, c_out, c_per_group, span, steps,
                                     _fft()[2])
    log_f = math.log2(max(size, 2))
    signal_lanes = n_batch * n_blocks * (c_in + c_out)
    products = n_batch * n_blocks * c_out * c_per_group * (size // 2 + 1)
    if c_out // groups == 1 and c_per_group == 1:
        # Depthwise layers transform along the contiguous axis (channel-major spectra)
        # and multiply spectra elementwise.
        signal = signal_lanes * _C_FFT_DEPTHWISE[itemsize] * size * log_f
        kernel = c_out * _C_FFT_DEPTHWISE[itemsize] * size * log_f
        product = products * _C_CMAC_DEPTHWISE[itemsize]
    else:
        signal = signal_lanes * _C_FFT[itemsize] * size * log_f
        kernel = c_out * c_per_group * _C_FFT_KERNEL[itemsize] * size * log_f
        product = products * _C_CMAC[itemsize]
    if backward:
        # Both gradients: the direct route 2.0-2.1x its forward time; the FFT route
        # transforms dy, x and dx' and makes a second product per frequency (the
        # weight gradient's, a reduction over the batch and blocks): 3x the forward's
        # signal and product terms (fitted on 14 float32 layers, Sapphire Rapids, one
        # thread, 1.6-4.3x the forward's time; then within 0.73-1.51x of the measured
        # time, and auto never beyond 1.15x of the faster route there).
        direct *= 2.05
        signal *= 3.0
        product *= 3.0
    fft = signal + kernel + product + 3 * _FFT_OVERHEAD
    threads = max(1, threads)
    fft /= 1.0 + 0.4 * (threads - 1)
    direct /= threads
    return "fft" if fft < 0.8 * direct else "direct"


def _padded(xc: NDArray[Any], left: int, right: int, code: int, value: float,
            threads: int) -> NDArray[Any]:
    """``x`` (N, C, L) padded by the padding kernels, as the direct route pads it."""
    n, c, length = xc.shape
    out = np.empty((n * c, left + length + right), dtype=xc.dtype)
    PAD[xc.dtype.char](xc.reshape(n * c, length), out, left, right, code, value, value,
                       length, length, threads)
    return out.reshape(n, c, -1)


def _padded_to(xc: NDArray[Any], left: int, right: int, code: int, value: float, used: int,
               size: int, threads: int) -> NDArray[Any]:
    """``(N, C, size)``: the first ``used`` samples of the padded input, then zeros. One
    write of fresh memory for constant padding (no padded copy that is copied again)."""
    n, c, length = xc.shape
    if code != CONSTANT:
        out = np.zeros((n, c, size), dtype=xc.dtype)
        out[..., :used] = _padded(xc, left, right, code, value, threads)[..., :used]
        return out
    out = np.empty((n, c, size), dtype=xc.dtype)
    head = min(left, used)
    body = min(left + length, used)
    out[..., :head] = value
    out[..., head:body] = xc[..., :body - head]
    out[..., body:used] = value
    out[..., used:] = 0
    return out


def _kernel_spectrum(wc: NDArray[Any], flip: bool, dilation: int, size: int,
                     rfft: Callable[..., Any], workers: dict[str, int]) -> NDArray[Any]:
    """rfft of the dilated kernel (flipped for ``flip``), (C_out, C_in/g, F//2+1)."""
    c_out, c_per_group, k_size = wc.shape
    wd = np.zeros((c_out, c_per_group, dilation * (k_size - 1) + 1), dtype=wc.dtype)
    wd[..., ::dilation] = wc[..., ::-1] if flip else wc
    spectrum: NDArray[Any] = rfft(wd, size, axis=-1, **workers)
    return spectrum


def _kernel_spectrum_fm(wc: NDArray[Any], flip: bool, dilation: int, size: int,
                        groups: int, rfft: Callable[..., Any], workers: dict[str, int],
                        outputs_first: bool = False) -> NDArray[Any]:
    """``Wd_f[g*Og + o, c]`` of the dilated kernel (flipped for ``flip``) frequency-major,
    ``(G, F//2+1, Cg, Og)`` (``(G, F//2+1, Og, Cg)`` with ``outputs_first``): the
    matrices of the per-frequency products, made by one transform along the time axis
    of a ``(G, span + 1, ., .)`` array (lanes contiguous, zero-padded to ``size`` by the
    transform itself: no transpose of the spectrum, no ``size``-long array of zeros)."""
    c_out, c_per_group, k_size = wc.shape
    o_per_group = c_out // groups
    taps = (wc[..., ::-1] if flip else wc).reshape(groups, o_per_group, c_per_group, k_size)
    span = dilation * (k_size - 1)
    if outputs_first:
        z = np.zeros((groups, span + 1, o_per_group, c_per_group), dtype=wc.dtype)
        z[:, ::dilation] = taps.transpose(0, 3, 1, 2)
    else:
        z = np.zeros((groups, span + 1, c_per_group, o_per_group), dtype=wc.dtype)
        z[:, ::dilation] = taps.transpose(0, 3, 2, 1)
    spectrum: NDArray[Any] = rfft(z, size, axis=1, **workers)
    return spectrum


# (process id, thread count) -> ThreadPoolExecutor, made on first use; keyed by the
# process too, since a forked child has the parent's pool object but not its threads
# (a task given to it would never run).
_POOL: dict[tuple[int, int], Any] = {}


def _split_matmul(a: NDArray[Any], b: NDArray[Any], out: NDArray[Any],
                  threads: int) -> None:
    """``out[f] = a[f] @ b[f]`` over the leading (frequency) axis, that axis split between
    ``threads`` Python threads (NumPy releases the GIL in its BLAS loop; each product
    keeps BLAS on one thread, see _matmul): the products are the route's largest
    share of work, and one BLAS call per frequency never splits itself well."""
    freq = a.shape[0]
    parts = max(1, min(threads, freq // 16))
    if parts == 1:
        _matmul(a, b, out)
        return
    key = (os.getpid(), parts)
    pool = _POOL.get(key)
    if pool is None:
        from concurrent.futures import ThreadPoolExecutor
        pool = _POOL[key] = ThreadPoolExecutor(max_workers=parts,
                                               thread_name_prefix="cconv1d-fft")
    edges = [freq * i // parts for i in range(parts + 1)]
    _blas_one_thread(lambda: [job.result() for job in [
        pool.submit(np.matmul, a[lo:hi], b[lo:hi], out=out[lo:hi])
        for lo, hi in zip(edges[:-1], edges[1:])]])


_BLAS: list[Any] = []      # [threadpoolctl controller, or None], filled on first use


def _blas_one_thread(run: Callable[[], Any]) -> Any:
    """``run()`` with BLAS limited to one thread (threadpoolctl, a run-time dependency).
    numpy calls BLAS once per frequency, on matrices of a few channels: left alone,
    OpenBLAS splits each small product over one spinning thread per core whatever
    ``set_num_threads`` says, and on a busy machine (or next to an OpenMP team) those
    per-call hand-offs made the backward of a 64 -> 64, K = 255 layer 10-30x slower
    (0.5x PyTorch). The transforms still use the call's threads (``workers``)."""
    if not _BLAS:
        try:
            from threadpoolctl import ThreadpoolController
            _BLAS.append(ThreadpoolController())
        except ImportError:  # pragma: no cover - declared, but a vendored copy may lack it
            _BLAS.append(None)
    if _BLAS[0] is None:  # pragma: no cover
        return run()
    with _BLAS[0].limit(limits=1, user_api="blas"):
        return run()


def _matmul(a: NDArray[Any], b: NDArray[Any],
            out: NDArray[Any] | None = None) -> NDArray[Any]:
    """``numpy.matmul`` with its BLAS on one thread (_blas_one_thread)."""
    result: NDArray[Any] = _blas_one_thread(lambda: np.matmul(a, b, out=out))
    return result


def _plan_blocks(n_batch: int, c_in: int, c_out: int, c_per_group: int, span: int,
                 outputs: int, next_fast_len: Callable[..., int]) -> tuple[int, int, int]:
    """``(size, block, n_blocks)``: transforms of ``size`` samples, each giving ``block``
    outputs (overlap-save). One transform of the whole signal makes the kernel's
    spectrum as long as the signal: for ``C_out x C_in`` kernels that costs more than
    the signal's own transforms, so long signals are cut into blocks of a few kernel
    lengths (the kernel is transformed once, at the block's length) when the cost model
    says it pays."""
    # Relative costs (one signal lane's transform per F log2 F): a kernel lane 2.2
    # (reversed, zero-padded, written frequency-major), a product's multiply-add 1.0,
    # and, when the signal is cut into blocks, 2 per sample of the blocks' copies in and
    # out. Depthwise layers (channel-major, elementwise products) keep 1.0 and 4.0,
    # which favour one long transform there. Weights 1.0 and 4.0 for every layer kept
    # 128-channel layers' blocks 2-3x longer than they pay: 8 x 128 -> 128, L = 1024,
    # K = 255 took 129-138 ms forward in one transform of 1280 against 68-77 in blocks
    # of 512 (Sapphire Rapids, one thread).
    depthwise = c_per_group == 1 and c_out == c_in
    kernel_weight, product_weight, copy_weight = (1.0, 4.0, 0.0) if depthwise else (
        2.2, 1.0, 2.0)

    def cost(size: int, n_blocks: int) -> float:
        signal_lanes = n_batch * n_blocks * (c_in + c_out)
        lanes = signal_lanes + kernel_weight * c_out * c_per_group
        total = (lanes * size * math.log2(max(size, 2)) + product_weight * n_batch
                 * n_blocks * c_out * c_per_group * (size // 2 + 1))
        return total + (copy_weight * signal_lanes * size if n_blocks > 1 else 0.0)
    single = int(next_fast_len(outputs + span))
    best = (cost(single, 1), single, outputs, 1)
    for factor in (2, 4, 8, 16):
        size = int(next_fast_len(factor * (span + 1)))
        block = size - span
        if size >= single or block < 1:
            break
        n_blocks = -(-outputs // block)
        best = min(best, (cost(size, n_blocks), size, block, n_blocks))
    return best[1], best[2], best[3]


def _segments(a: NDArray[Any], block: int, size: int, n_blocks: int,
              lead: int = 0) -> NDArray[Any]:
    """``(N * n_blocks, C, size)``: window ``b`` of each row is ``a[..., b*block - lead :
    b*block - lead + size]``, zeros outside ``a`` (a copy, batch-major)."""
    n, c, t = a.shape
    total = (n_blocks - 1) * block + size
    z = np.zeros((n, c, total), dtype=a.dtype)
    src = a[..., :max(0, total - lead)]
    z[..., lead:lead + src.shape[-1]] = src
    view = np.lib.stride_tricks.as_strided(
        z, (n, n_blocks, c, size), (z.strides[0], block * z.strides[2], z.strides[1],
                                    z.strides[2]), writeable=False)
    return view.reshape(n * n_blocks, c, size)


def _unsegment(a: NDArray[Any], n_batch: int, n_blocks: int, start: int, block: int,
               length: int) -> NDArray[Any]:
    """Outputs ``[start, start + block)`` of every window, put back in order:
    ``(N * n_blocks, C, size)`` -> ``(N, C, length)``."""
    c = a.shape[1]
    parts = a[..., start:start + block].reshape(n_batch, n_blocks, c, block)
    joined: NDArray[Any] = parts.transpose(0, 2, 1, 3).reshape(n_batch, c, n_blocks * block)
    return joined[..., :length]


def forward(xc: NDArray[Any], wc: NDArray[Any], bc: NDArray[Any] | None, y: NDArray[Any],
            left: int, right: int, code: int, value: float, stride: int, dilation: int,
            groups: int, flip: bool, threads: int) -> None:
    """``conv1d`` of validated C-contiguous arrays into ``y`` (N, C_out, L_out)."""
    rfft, irfft, next_fast_len, has_workers = _fft()
    workers = {"workers": threads} if has_workers else {}
    n_batch, c_in, _ = xc.shape
    c_out, c_per_group, k_size = wc.shape
    l_out = y.shape[-1]
    span, steps, used = _sizes(l_out, k_size, stride, dilation)
    size, block, n_blocks = _plan_blocks(n_batch, c_in, c_out, c_per_group, span, steps,
                                         next_fast_len)
    if n_blocks == 1:
        xs = _padded_to(xc, left, right, code, value, used, size, threads)
    else:
        xp = _padded(xc, left, right, code, value, threads)[..., :used]
        xs = _segments(xp, block, size, n_blocks)
    o_per_group = c_out // groups
    if o_per_group == 1 and c_per_group == 1:
        # Depthwise: a product of spectra per channel, no sum: channel-major spectra
        # (transforms along the contiguous axis) and one pass of products over xf.
        xf = rfft(xs, size, axis=-1, overwrite_x=True, **workers)     # (P, C, F')
        del xs
        wf = _kernel_spectrum(wc, not flip, dilation, size, rfft, workers)   # (C, 1, F')
        yf = np.multiply(xf, wf[:, 0, :], out=xf)
        if bc is not None and bc.size:
            yf[..., 0] += size * bc.astype(yf.real.dtype)
        y1 = _unsegment(irfft(yf, size, axis=-1, overwrite_x=True, **workers), n_batch,
                        n_blocks, span, block, steps)
        np.copyto(y, y1[..., ::stride], casting="same_kind")
        return
    # Spectra frequency-major, (F', P, C): each frequency's channels are the rows of its
    # matrix product, with no transpose of a spectrum before or after (the transforms
    # read and write the strided axis themselves, in their own threads).
    xf = rfft(np.moveaxis(xs, -1, 0), size, axis=0, **workers)        # (F', P, C_in)
    del xs
    # The correlation as a convolution with the kernel reversed (no conjugate to take):
    # stride-1 output t is the linear convolution's sample t + span.
    b = _kernel_spectrum_fm(wc, not flip, dilation, size, groups, rfft, workers)
    yf = np.empty(xf.shape[:2] + (c_out,), dtype=xf.dtype)            # (F', P, C_out)
    for g in range(groups):
        _split_matmul(xf[..., g * c_per_group:(g + 1) * c_per_group], b[g],
                      yf[..., g * o_per_group:(g + 1) * o_per_group], threads)
    del xf
    if bc is not None and bc.size:
        # The bias through the spectrum: size * b in the zero-frequency bin adds b to
        # every sample of the inverse transform, which saves a pass over y.
        yf[0] += size * bc.astype(yf.real.dtype)
    y1 = _unsegment(irfft(np.moveaxis(yf, 0, -1), size, axis=-1, **workers), n_batch,
                    n_blocks, span, block, steps)
    np.copyto(y, y1[..., ::stride], casting="same_kind")


def backward(gc: NDArray[Any], xc: NDArray[Any], wc: NDArray[Any], left: int, right: int,
             code: int, value: float, stride: int, dilation: int, groups: int, flip: bool,
             want_input: bool, want_weight: bool, threads: int,
             x_for_stats: NDArray[Any]) -> tuple[NDArray[Any] | None, NDArray[Any] | None]:
    """Input and weight gradients of ``conv1d`` by the FFT route: ``(dx, dw)``, each
    None when not wanted. ``gc`` is dL/dy (N, C_out, L_out)."""
    rfft, irfft, next_fast_len, has_workers = _fft()
    workers = {"workers": threads} if has_workers else {}
    n_batch, c_in, length = xc.shape
    c_out, c_per_group, k_size = wc.shape
    l_out = gc.shape[-1]
    o_per_group = c_out // groups
    depthwise = o_per_group == 1 and c_per_group == 1
    span, steps, used = _sizes(l_out, k_size, stride, dilation)
    # dy spread to every stride-th position of the stride-1 outputs
    if stride == 1:
        dy_up = gc
    else:
        dy_up = np.zeros((n_batch, c_out, steps), dtype=gc.dtype)
        dy_up[..., ::stride] = gc
    dx = dw = None
    w_plan = _plan_blocks(n_batch, c_in, c_out, c_per_group, span, steps, next_fast_len)
    if w_plan[2] == 1 and (want_weight or _plan_blocks(
            n_batch, c_out, c_in, c_per_group, span, used, next_fast_len)[2] == 1):
        return _backward_one_block(dy_up, xc, wc, left, right, code, value, dilation,
                                   groups, flip, want_input, want_weight, threads,
                                   x_for_stats, w_plan[0])
    if want_input:
        # dxp[i] = sum_m wd[m] dy_up[i - m], i < used: window b holds dy_up from
        # b*block - span on, and its outputs span ... span + block are exact.
        size, block, n_blocks = _plan_blocks(n_batch, c_out, c_in, c_per_group, span,
                                             used, next_fast_len)
        size = max(size, int(next_fast_len(block + span)))
        segments = _segments(dy_up, block, size, n_blocks, lead=span)
        if depthwise:
            gf = rfft(segments, size, axis=-1, **workers)
            wf = _kernel_spectrum(wc, flip, dilation, size, rfft, workers)
            # dXp_f[n, g*Cg + c] = sum_o dY_f[n, g*Og + o] * Wd_f[g*Og + o, c]
            dxf = np.multiply(gf, wf[:, 0, :], out=gf)         # (N * blocks, C_in, F')
            dxp_t = irfft(dxf, size, axis=-1, **workers)
        else:
            # frequency-major, as the forward: (F', P, C) spectra, products split
            gf = rfft(np.moveaxis(segments, -1, 0), size, axis=0, **workers)
            kb = _kernel_spectrum_fm(wc, flip, dilation, size, groups, rfft, workers,
                                     outputs_first=True)              # (G, F', Og, Cg)
            dxf = np.empty(gf.shape[:2] + (c_in,), dtype=gf.dtype)
            for g in range(groups):
                _split_matmul(gf[..., g * o_per_group:(g + 1) * o_per_group], kb[g],
                              dxf[..., g * c_per_group:(g + 1) * c_per_group], threads)
            dxp_t = irfft(np.moveaxis(dxf, 0, -1), size, axis=-1, **workers)
        del segments, gf, dxf
        dx = _fold_back(_unsegment(dxp_t, n_batch, n_blocks, span, block, used), xc, left,
                        right, code, used, threads, x_for_stats)
    if want_weight:
        # dW[o, c, m] = sum_n sum_t dy_up[n, o, t] xp[n, c, t + m]: window b pairs the
        # dy_up of positions b*block ... + block with the xp they read.
        size, block, n_blocks = _plan_blocks(n_batch, c_in, c_out, c_per_group, span,
                                             steps, next_fast_len)
        xp = _padded(xc, left, right, code, value, threads)[..., :used]
        xs = _segments(xp, block, size, n_blocks)
        gs = _segments(dy_up, block, block, n_blocks)
        # G_f[g*Og + o, c] = sum_p conj(dY_f[p, g*Og + o]) * Xp_f[p, g*Cg + c]
        if depthwise:
            # The product of spectra summed over the parts, per channel.
            xf = rfft(xs, size, axis=-1, **workers)
            gf = rfft(gs, size, axis=-1, **workers)
            summed = np.einsum("pcf,pcf->cf", np.conj(gf), xf)        # (G, F')
            prod = summed[:, :, None, None]                           # (G, F', 1, 1)
        else:
            # frequency-major: per frequency and group, conj(dY)^T @ Xp, split
            xf = rfft(np.moveaxis(xs, -1, 0), size, axis=0, **workers)    # (F', P, C_in)
            gf = rfft(np.moveaxis(gs, -1, 0), size, axis=0, **workers)    # (F', P, C_out)
            np.conjugate(gf, out=gf)
            prod = np.empty((groups, gf.shape[0], o_per_group, c_per_group), dtype=gf.dtype)
            for g in range(groups):
                _split_matmul(gf[..., g * o_per_group:(g + 1) * o_per_group].transpose(0, 2, 1),
                              xf[..., g * c_per_group:(g + 1) * c_per_group], prod[g], threads)
        del xs, gs, xf, gf
        corr = irfft(np.moveaxis(prod, 1, -1), size, axis=-1, **workers)
        taps = corr.reshape(c_out, c_per_group, size)[..., :span + 1:dilation]
        dw = np.ascontiguousarray(taps[..., ::-1] if flip else taps).astype(xc.dtype,
                                                                           copy=False)
    return dx, dw


def _backward_one_block(dy_up: NDArray[Any], xc: NDArray[Any], wc: NDArray[Any], left: int,
                        right: int, code: int, value: float, dilation: int, groups: int,
                        flip: bool, want_input: bool, want_weight: bool, threads: int,
                        x_for_stats: NDArray[Any], size: int
                        ) -> tuple[NDArray[Any] | None, NDArray[Any] | None]:
    """Both gradients from one transform of ``dy`` (and one of ``xp``) when a single
    window of ``size >= used`` samples holds the whole signal: then ``dxp`` is the linear
    convolution of ``dy_up`` with ``wd`` (length ``used``, no wrap-around, no lead
    needed) and ``dW`` the correlation of ``dy_up`` with ``xp`` at lags ``0 ... span``, so
    the spectrum of ``dy`` serves both, and each result takes one inverse transform."""
    rfft, irfft, _, has_workers = _fft()
    workers = {"workers": threads} if has_workers else {}
    n_batch, c_in, length = xc.shape
    c_out, c_per_group, k_size = wc.shape
    o_per_group = c_out // groups
    span = dilation * (k_size - 1)
    used = dy_up.shape[-1] + span
    depthwise = o_per_group == 1 and c_per_group == 1
    if not depthwise:
        return _backward_one_block_dense(dy_up, xc, wc, left, right, code, value, dilation,
                                         groups, flip, want_input, want_weight, threads,
                                         x_for_stats, size)
    gf = rfft(dy_up, size, axis=-1, **workers)                        # (N, C_out, F')
    dx = dw = None
    if want_weight:
        xf = rfft(_padded_to(xc, left, right, code, value, used, size, threads), size,
                  axis=-1, overwrite_x=True, **workers)               # (N, C_in, F')
        # sum_n conj(dY_f[n]) Xp_f[n], one batch row at a time: no (N, C, F')
        # temporaries of fresh pages.
        summed = np.conj(gf[0]) * xf[0]
        for p in range(1, n_batch):
            summed += np.conj(gf[p]) * xf[p]
        prod = summed[None, :, None, :]                               # (1, C, 1, F')
        del xf
        corr = irfft(prod, size, axis=-1, overwrite_x=True, **workers)
        taps = corr.reshape(c_out, c_per_group, size)[..., :span + 1:dilation]
        dw = np.ascontiguousarray(taps[..., ::-1] if flip else taps).astype(xc.dtype,
                                                                           copy=False)
    if want_input:
        wf = _kernel_spectrum(wc, flip, dilation, size, rfft, workers)
        # dY_f is not needed any more: the depthwise product overwrites it
        dxf = np.multiply(gf, wf[:, 0, :], out=gf)
        del gf
        dxp = irfft(dxf, size, axis=-1, overwrite_x=True, **workers)  # (N, C_in, size)
        dx = _fold_back(dxp, xc, left, right, code, used, threads, x_for_stats)
    return dx, dw


def _fold_back(dxp: NDArray[Any], xc: NDArray[Any], left: int, right: int, code: int,
               used: int, threads: int, x_for_stats: NDArray[Any]) -> NDArray[Any]:
    """dL/dx from dL/dxp (``(N, C_in, >= used)``, the padded input's gradient, zero past
    ``used``): the padding's adjoint."""
    n_batch, c_in, length = xc.shape
    if code == CONSTANT and left + length <= used:
        # The adjoint of constant padding keeps the samples that came from x.
        return np.ascontiguousarray(dxp[..., left:left + length])
    padded = left + length + right
    dxp_full = np.zeros((n_batch * c_in, padded), dtype=xc.dtype)
    dxp_full[:, :used] = dxp[..., :used].reshape(n_batch * c_in, used)
    dx = np.empty((n_batch * c_in, length), dtype=xc.dtype)
    xs = (x_for_stats.reshape(n_batch * c_in, length) if x_for_stats.size
          else np.empty((0, 0), dtype=xc.dtype))
    PAD_BACKWARD[xc.dtype.char](dxp_full, dx, xs, left, right, code, length, length,
                                threads)
    return dx.reshape(n_batch, c_in, length)


def _backward_one_block_dense(dy_up: NDArray[Any], xc: NDArray[Any], wc: NDArray[Any],
                              left: int, right: int, code: int, value: float, dilation: int,
                              groups: int, flip: bool, want_input: bool, want_weight: bool,
                              threads: int, x_for_stats: NDArray[Any], size: int
                              ) -> tuple[NDArray[Any] | None, NDArray[Any] | None]:
    """_backward_one_block for dense and grouped layers: frequency-major spectra
    ``(F', N, C)`` and per-frequency products split between the threads, as the forward
    (the input gradient first, while ``dY_f`` is still unconjugated)."""
    rfft, irfft, _, has_workers = _fft()
    workers = {"workers": threads} if has_workers else {}
    n_batch, c_in, length = xc.shape
    c_out, c_per_group, k_size = wc.shape
    o_per_group = c_out // groups
    span = dilation * (k_size - 1)
    used = dy_up.shape[-1] + span
    gf = rfft(np.moveaxis(dy_up, -1, 0), size, axis=0, **workers)     # (F', N, C_out)
    dx = dw = None
    if want_input:
        # dXp_f[n, g*Cg + c] = sum_o dY_f[n, g*Og + o] * Wd_f[g*Og + o, c]
        kb = _kernel_spectrum_fm(wc, flip, dilation, size, groups, rfft, workers,
                                 outputs_first=True)                  # (G, F', Og, Cg)
        dxf = np.empty(gf.shape[:2] + (c_in,), dtype=gf.dtype)
        for g in range(groups):
            _split_matmul(gf[..., g * o_per_group:(g + 1) * o_per_group], kb[g],
                          dxf[..., g * c_per_group:(g + 1) * c_per_group], threads)
        del kb
        dxp = irfft(np.moveaxis(dxf, 0, -1), size, axis=-1, **workers)   # (N, C_in, size)
        del dxf
        dx = _fold_back(dxp, xc, left, right, code, used, threads, x_for_stats)
    if want_weight:
        # G_f[g*Og + o, c] = sum_n conj(dY_f[n, g*Og + o]) * Xp_f[n, g*Cg + c]
        xp = _padded_to(xc, left, right, code, value, used, size, threads)
        xf = rfft(np.moveaxis(xp, -1, 0), size, axis=0, **workers)    # (F', N, C_in)
        del xp
        np.conjugate(gf, out=gf)
        prod = np.empty((groups, gf.shape[0], o_per_group, c_per_group), dtype=gf.dtype)
        for g in range(groups):
            _split_matmul(gf[..., g * o_per_group:(g + 1) * o_per_group].transpose(0, 2, 1),
                          xf[..., g * c_per_group:(g + 1) * c_per_group], prod[g], threads)
        del xf
        corr = irfft(np.moveaxis(prod, 1, -1), size, axis=-1, **workers)  # (G, Og, Cg, size)
        taps = corr.reshape(c_out, c_per_group, size)[..., :span + 1:dilation]
        dw = np.ascontiguousarray(taps[..., ::-1] if flip else taps).astype(xc.dtype,
                                                                           copy=False)
    return dx, dw


def safe_inputs(*arrays: NDArray[Any]) -> bool:
    """Whether the FFT route computes these operands as well as the direct one: all
    finite, and small enough that no transform overflows (an FFT sums every sample, so
    it overflows, or turns one inf or NaN into a row of NaN, where a direct sum of K
    products does not)."""
    bound = 1.0
    for a in arrays:
        if a.size == 0:
            continue
        peak = max(-float(a.min()), float(a.max()))   # no |a| temporary; NaN stays NaN
        if not math.isfinite(peak):
            return False
        bound *= max(peak, 1.0) * a.shape[-1] * (a.shape[1] if a.ndim > 1 else 1)
    return bool(bound < float(np.finfo(arrays[0].dtype).max) / 1e6)
