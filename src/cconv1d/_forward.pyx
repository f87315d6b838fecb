"""Forward kernel: the sliding dot product behind conv1d and the signal functions.

Scheme (see PERF.md sections 1-2). Per sample, the input rows are padded once by the
padding module's ``pad_row`` (every padding mode is handled there, so the arithmetic
never branches on edges) and, for ``stride > 1``, split into ``stride`` phase rows
``x_r[m] = xp[m*stride + r]``: "packing". Then

    y[o, j] = bias[o] + sum over pairs p = (c, k) of w[o, c, k] * packed[offs[p] + j]

with ``offs[(c, k)] = (c*phases + (k*d) % stride) * pitch + (k*d) // stride``
(``phases = min(stride, padded length, kernel span)``: the other phase rows would be
empty or never read): every
pair reads a contiguous, shifted packed row, so one indirect kernel serves stride,
dilation and groups. Two kernels of the active descriptor of the registry
(``cconv1d._kernels``, loaded once per call) do the arithmetic; their tile is read from
the descriptor (AVX2: 4 rows x 24 float / 12 double positions; AVX-512: 8 x 48 / 8 x 24):

* ``igemm``: ``mr`` output channels x ``nr`` positions per register tile, weights packed
  per call into panels ``[group][block][pair][mr]``; used when a group has >= 4 output
  channels. Work is blocked as (group, column block of ~264 positions in whole tiles,
  ``mr``-channel blocks), and the pairs in chunks of 384 so a weight chunk stays in L1
  while the input block stays in L2.
* ``irow``: one output row, 8 vectors in flight; used for depthwise and other thin
  groups and for the signal functions.

A sample whose packed channels fit 1 MiB is packed whole; a larger one a length block of
about 512 KiB at a time (``_make_plan``), so the workspace never grows with the signal. Threads take
whole samples (or length blocks) when there are enough, otherwise the column blocks of
one sample, handed out dynamically (on a shared machine a descheduled thread must not
hold the others up). Each output element is computed by one thread in a fixed
summation order, so results do not depend on the thread count or on which thread took
which block.
"""

from cython.parallel cimport prange, threadid
from libc.stdlib cimport malloc, free
from libc.math cimport isfinite
from cpython.buffer cimport (PyBUF_C_CONTIGUOUS, PyBUF_WRITABLE, PyBuffer_Release,
                             PyObject_GetBuffer)
from libc.string cimport memcpy, memset

from cconv1d._typedefs cimport real_t, idx_t
from cconv1d._padding cimport pad_row, CC_PAD_CONSTANT, CC_PAD_MEDIAN
from cconv1d._kernels cimport (cc_kernels_t, active_kernels, igemm, irow, tile_positions,
                               column_block, pack_transposed)
from cconv1d._spec cimport (CC_ENOMEM, CC_OK, ConvArgs, ConvSpec, check_status,
                            fast_conv1d_args, output_window)

import numpy as np

cdef extern from "cconv1d/include/cconv1d/cc_pack.h" nogil:
    void cc_split_phases_f32(const float* row, float* dst, idx_t n, idx_t s, idx_t keep,
                             idx_t pitch)
    void cc_split_phases_f64(const double* row, double* dst, idx_t n, idx_t s, idx_t keep,
                             idx_t pitch)

# Below this much work one thread is faster than waking a team (and on a shared
# machine a team waits for its slowest, descheduled member).
cdef double PARALLEL_MIN_FLOPS = 4e6
# Below this much work the fast route keeps the GIL: releasing and taking it back costs
# more than a microsecond's arithmetic, and nothing could run in between.
cdef double NOGIL_MIN_FLOPS = 1e5

cdef enum:   # PAIR_BLOCK, ROW_GROUP and LONG_REDUCTION are in _forward.pxd
    ROW_BLOCK = 4096      # positions per irow work item
    SLACK = 8             # zeroed columns after each packed row beyond the last full tile
    STRIP_ROWS = 128      # K = 1 layers from this many input channels a group: strips
    TAIL_SPLIT_MIN = 64   # interior outputs of a direct row worth a kernel call of their own
    CAT_BYTES = 1 << 18   # a cat unit's packed columns: 128 KiB-1 MiB ran within 10 % on
                          # 256-512 channels of 2-32 outputs, this the best of them
    TILES_MAX_BYTES = 1 << 22   # ... and at most this for two tiles of columns

# The registry's path selection, re-exported where callers have always found it.
from cconv1d._kernels import SIMD_NAMES, best_simd, select_simd, simd_code, simd_path
from cconv1d import _threads


# ---------------------------------------------------------------------------------------
# geometry and packing

cdef void make_geometry(Geometry* geo, idx_t c_in, idx_t length, idx_t left, idx_t right,
                        idx_t stride, idx_t dilation, idx_t c_out, idx_t c_per_group,
                        idx_t k_size, idx_t groups, idx_t l_out, const cc_kernels_t* kern,
                        idx_t itemsize) noexcept nogil:
    geo.c_in = c_in
    geo.length = length
    geo.left = left
    geo.right = right
    geo.padded = left + length + right
    geo.stride = stride
    geo.dilation = dilation
    geo.k_size = k_size
    geo.groups = groups
    geo.c_out = c_out
    geo.c_per_group = c_per_group
    geo.o_per_group = c_out // groups
    geo.l_out = l_out
    geo.ldy = l_out
    geo.n_pairs = c_per_group * k_size
    geo.kern = kern
    geo.mr = kern.mr
    geo.cols = tile_positions(kern, itemsize)
    geo.col_block = column_block(geo.cols)
    geo.n_blocks = (geo.o_per_group + geo.mr - 1) // geo.mr
    geo.pitch = 0
    geo.strip = 0
    geo.phases = phase_rows(stride, geo.padded, (k_size - 1) * dilation + 1)


cdef idx_t phase_rows(idx_t stride, idx_t padded, idx_t span) noexcept nogil:
    # Phase r holds padded positions r, r + stride, ...: none when r >= padded (a stride
    # longer than the signal must not cost memory or time in proportion to it). Pairs
    # read phases (k*d) % stride only, so a stride past the kernel's span needs its
    # first span phases: a lag window 400000 apart through 8192 taps packs 8192 rows,
    # not 400000 (3 s -> 10 ms); a 2-tap stride-4 layer packs two of its four (all four
    # had made it 0.67-0.75x PyTorch: twice the rows to pack and keep in cache).
    cdef idx_t phases = max(1, min(stride, padded))
    return min(phases, span)


cdef idx_t c_packed_pitch(idx_t padded, idx_t stride, idx_t itemsize,
                         idx_t cols) noexcept nogil:
    """Row pitch of a packed sample: the longest phase row, one full tile and slack,
    rounded to a 64-byte cache line and kept off multiples of 4 KiB (rows of a 4 KiB
    pitch all map to the same L1 sets). Whole lines, so every row starts on one: a K = 1
    layer's tile loads then never split a line (rounding to 8 floats left every other
    row half a line off: pointwise forward 7 % slower on Sapphire Rapids)."""
    cdef idx_t phase_len = (padded + stride - 1) // stride
    cdef idx_t line = 64 // itemsize
    cdef idx_t pitch = (phase_len + cols + SLACK + line - 1) // line * line
    if (pitch * itemsize) % 4096 == 0:
        pitch += line
    return pitch


cdef void fill_pair_offsets(idx_t* offs, idx_t c_per_group, idx_t k_size, idx_t stride,
                            idx_t dilation, idx_t pitch, idx_t phases) noexcept nogil:
    cdef idx_t c, k, shift
    for c in range(c_per_group):
        for k in range(k_size):
            shift = k * dilation
            # shift % stride <= shift < padded, so the phase exists (shift < phases)
            offs[c * k_size + k] = (c * phases + shift % stride) * pitch + shift // stride


cdef void pack_channels(const real_t* x, real_t* packed, real_t* row, const Geometry* geo,
                        idx_t c_first, idx_t c_last, int mode, real_t value,
                        double* work, const real_t* given) noexcept nogil:
    """Pad channels [c_first, c_last) of one sample and split them into phase rows;
    ``given`` (not NULL): the left padding's samples, ``geo.left`` per channel."""
    cdef idx_t c, r, m, pos, s = geo.stride, length = geo.length
    cdef const real_t* src
    cdef real_t* dst
    # A stride past the kernel's span reads span / stride of the signal: with constant
    # padding its phase rows are gathered from x itself, so the call costs what it reads
    # (a lag window 500000 apart through 8192 taps: no copy of the 10**6 samples between).
    cdef bint gather = (s > 4 and geo.phases < min(s, geo.padded)
                        and mode == CC_PAD_CONSTANT and given == NULL)
    for c in range(c_first, c_last):
        src = x + c * length if length > 0 else x
        if gather:
            dst = packed + c * geo.phases * geo.pitch
            for r in range(geo.phases):
                for m in range((geo.padded - r + s - 1) // s):
                    pos = m * s + r - geo.left
                    dst[r * geo.pitch + m] = src[pos] if 0 <= pos < length else value
            continue
        dst = packed + c * geo.pitch if s == 1 else row
        pad_row(src, length, dst, geo.left, geo.right, mode, value, value, length, length,
                work)
        if given != NULL:
            memcpy(dst, given + c * geo.left, geo.left * sizeof(real_t))
        if s == 1:
            continue
        dst = packed + c * geo.phases * geo.pitch
        # only the phases the pairs read (fewer than the stride: a kernel's span
        # shorter than it); a constant stride up to 4 for the compiler's shuffles
        if real_t is float:
            cc_split_phases_f32(row, dst, geo.padded, s, geo.phases, geo.pitch)
        else:
            cc_split_phases_f64(row, dst, geo.padded, s, geo.phases, geo.pitch)


# ---------------------------------------------------------------------------------------
# work items of one sample

cdef inline idx_t _row_group(const Geometry* geo) noexcept nogil:
    """Row blocks per item. Short reductions (one input channel: audio front ends) spend
    their time storing outputs, and 64 rows written a tile at a time cost more in
    stores than the input reuse saves (measured 10-40 % slower there)."""
    return ROW_GROUP if geo.n_pairs >= LONG_REDUCTION else 1


cdef inline idx_t _row_groups(const Geometry* geo) noexcept nogil:
    return (geo.n_blocks + _row_group(geo) - 1) // _row_group(geo)


cdef inline idx_t _igemm_items(const Geometry* geo) noexcept nogil:
    return geo.groups * ((geo.l_out + geo.col_block - 1) // geo.col_block) * _row_groups(geo)


cdef inline idx_t _irow_items(const Geometry* geo) noexcept nogil:
    return geo.c_out * ((geo.l_out + ROW_BLOCK - 1) // ROW_BLOCK)


cdef void _igemm_item(const Geometry* geo, const real_t* packed, const idx_t* offs,
                      const real_t* panels, const real_t* bias, real_t* y,
                      idx_t item) noexcept nogil:
    """Item (group, column block, group of _row_group() 4-row blocks).

    Loop order, as in BLIS: pair chunk, then column tile, then row block innermost, so
    the tile's input columns (a pair chunk of them: <= 16 KiB) stay in L1 while the row
    blocks' weight panels stream from L2 (4 values per pair against 3 input vectors);
    with row blocks outside, every tile reloaded its input from L2 (measured 2-5 %
    slower on the dense cases)."""
    cdef idx_t n_col_blocks = (geo.l_out + geo.col_block - 1) // geo.col_block
    cdef idx_t n_row_groups = _row_groups(geo)
    cdef idx_t b0 = (item % n_row_groups) * _row_group(geo)
    cdef idx_t b1 = min(b0 + _row_group(geo), geo.n_blocks)
    cdef idx_t col_block = (item // n_row_groups) % n_col_blocks
    cdef idx_t g = item // (n_row_groups * n_col_blocks)
    cdef idx_t j0 = col_block * geo.col_block
    cdef idx_t j1 = min(j0 + geo.col_block, geo.l_out)
    cdef idx_t cols = geo.cols, mr = geo.mr
    cdef const real_t* xg = packed + g * geo.c_per_group * (
        geo.cols if geo.strip else geo.phases * geo.pitch)
    cdef const real_t* xt
    cdef idx_t pc, n_chunk, j, b, o0
    pc = 0
    while pc < geo.n_pairs:
        n_chunk = min(<idx_t>PAIR_BLOCK, geo.n_pairs - pc)
        if b1 - b0 == 1 and not geo.strip:
            # One row block: one call walks the column block's tiles (a call per tile
            # cost ~15 % on one-input-channel layers, whose tiles sum only K pairs).
            o0 = g * geo.o_per_group + b0 * mr
            igemm(geo.kern, xg + j0, offs + pc, n_chunk,
                  panels + ((g * geo.n_blocks + b0) * geo.n_pairs + pc) * mr,
                  y + o0 * geo.ldy + j0, geo.ldy,
                  min(mr, geo.o_per_group - b0 * mr), j1 - j0, pc > 0,
                  bias + o0 if (pc == 0 and bias != NULL) else <const real_t*>NULL)
            pc += PAIR_BLOCK
            continue
        j = j0
        while j < j1:
            # A strip holds each tile's columns of every channel side by side.
            xt = xg + (j // cols * geo.strip if geo.strip else j)
            for b in range(b0, b1):
                o0 = g * geo.o_per_group + b * mr
                igemm(geo.kern, xt, offs + pc, n_chunk,
                      panels + ((g * geo.n_blocks + b) * geo.n_pairs + pc) * mr,
                      y + o0 * geo.ldy + j, geo.ldy,
                      min(mr, geo.o_per_group - b * mr), min(cols, j1 - j),
                      pc > 0,
                      bias + o0 if (pc == 0 and bias != NULL) else <const real_t*>NULL)
            j += cols
        pc += PAIR_BLOCK


cdef void _irow_item(const Geometry* geo, const real_t* packed, const idx_t* offs,
                     const real_t* rows_w, const real_t* bias, real_t* y,
                     idx_t item) noexcept nogil:
    cdef idx_t n_col_blocks = (geo.l_out + ROW_BLOCK - 1) // ROW_BLOCK
    cdef idx_t o = item // n_col_blocks
    cdef idx_t j0 = (item % n_col_blocks) * ROW_BLOCK
    cdef idx_t j1 = min(j0 + ROW_BLOCK, geo.l_out)
    cdef idx_t g = o // geo.o_per_group
    irow(geo.kern, packed + g * geo.c_per_group * geo.phases * geo.pitch + j0, offs, geo.n_pairs,
         rows_w + o * geo.n_pairs, y + o * geo.ldy + j0, j1 - j0, 0,
         bias[o] if bias != NULL else 0)


cdef void _edge_rows(const Geometry* geo, const real_t* xc, const idx_t* offs,
                     const real_t* w, real_t b, real_t value, real_t* edge, real_t* y,
                     idx_t first, idx_t last, const real_t* given_c) noexcept nogil:
    """Outputs [first, last) of a row whose windows reach into constant padding (or,
    on the left, the samples ``given_c`` when not NULL): copy the few padded samples
    they read into ``edge``, then run the row kernel on it."""
    cdef idx_t i, src, count
    if first >= last:
        return
    count = last - first + (geo.k_size - 1) * geo.dilation
    for i in range(count):
        src = first + i - geo.left
        if 0 <= src < geo.length:
            edge[i] = xc[src]
        elif src < 0 and given_c != NULL:
            edge[i] = given_c[src + geo.left]
        else:
            edge[i] = value
    irow(geo.kern, edge, offs, geo.k_size, w, y + first, last - first, 0, b)


cdef void _direct_row_item(const Geometry* geo, const real_t* x_n, const idx_t* offs,
                           const real_t* rows_w, const real_t* bias, real_t* y,
                           real_t value, real_t* edge, idx_t item,
                           const real_t* given_n) noexcept nogil:
    """One input channel per output row, stride 1, constant padding (depthwise layers
    and the signal functions): the interior reads the input where it is, unpadded."""
    cdef idx_t n_col_blocks = (geo.l_out + ROW_BLOCK - 1) // ROW_BLOCK
    cdef idx_t o = item // n_col_blocks
    cdef idx_t j0 = (item % n_col_blocks) * ROW_BLOCK
    cdef idx_t j1 = min(j0 + ROW_BLOCK, geo.l_out)
    cdef const real_t* xc = x_n + (o // geo.o_per_group) * geo.length
    cdef const real_t* w = rows_w + o * geo.k_size
    cdef real_t b = bias[o] if bias != NULL else 0
    cdef real_t* yo = y + o * geo.ldy
    cdef const real_t* given_c = (given_n + (o // geo.o_per_group) * geo.left
                                  if given_n != NULL else <const real_t*>NULL)
    # Output j reads x[j - left + k*d]: inside the signal for j in [left, left + L - span]
    cdef idx_t lo = max(j0, geo.left)
    cdef idx_t hi = min(j1, geo.left + geo.length - (geo.k_size - 1) * geo.dilation)
    # A short interior between two edges (a lag window of two signals of one length:
    # 41 lags, one of them interior) runs with its edges as one row: the row kernel
    # keeps up to 8 vectors of outputs in flight, and three short calls left it a
    # vector or two each (a dependent chain per vector, bound by the FMA's latency).
    if lo < hi and (hi - lo >= TAIL_SPLIT_MIN or (lo == j0 and hi == j1)):
        irow(geo.kern, xc + (lo - geo.left), offs, geo.k_size, w, yo + lo, hi - lo, 0, b)
        _edge_rows(geo, xc, offs, w, b, value, edge, yo, j0, lo, given_c)
        _edge_rows(geo, xc, offs, w, b, value, edge, yo, hi, j1, given_c)
    else:
        _edge_rows(geo, xc, offs, w, b, value, edge, yo, j0, j1, given_c)


cdef void _run_items(const Geometry* geo, bint by_rows, const real_t* packed,
                     const idx_t* offs, const real_t* weights, const real_t* bias,
                     real_t* y, idx_t first, idx_t last) noexcept nogil:
    cdef idx_t item
    for item in range(first, last):
        if by_rows:
            _irow_item(geo, packed, offs, weights, bias, y, item)
        else:
            _igemm_item(geo, packed, offs, weights, bias, y, item)


cdef void run_igemm(const Geometry* geo, const real_t* packed, const idx_t* offs,
                    const real_t* panels, const real_t* bias, real_t* y, idx_t first,
                    idx_t last) noexcept nogil:
    _run_items(geo, False, packed, offs, panels, bias, y, first, last)


cdef idx_t igemm_items(const Geometry* geo) noexcept nogil:
    return _igemm_items(geo)


# ---------------------------------------------------------------------------------------
# entry point

cdef inline void _pack_block(const real_t* w, const Geometry* geo, idx_t gb,
                             real_t* out) noexcept nogil:
    """Panel ``gb`` (group-major) of _pack_weights, unflipped."""
    cdef idx_t b = gb % geo.n_blocks
    pack_transposed(geo.kern, w + ((gb // geo.n_blocks) * geo.o_per_group + b * geo.mr)
                    * geo.n_pairs, geo.n_pairs, min(geo.mr, geo.o_per_group - b * geo.mr),
                    geo.n_pairs, out + gb * geo.n_pairs * geo.mr, geo.mr)


cdef void _pack_weights(const real_t* w, const Geometry* geo, bint flip, bint by_rows,
                        real_t* out, int threads) noexcept nogil:
    """Weights in the order the kernels read them: by_rows ``(C_out, pairs)``; otherwise
    panels ``(groups, blocks, pairs, mr)`` with zero rows completing each group's last
    block. ``flip`` reverses the taps."""
    cdef idx_t o, c, k, tap, g, b, r, p, row, k_size = geo.k_size, gb
    if not by_rows and not flip:
        # A block's panel is its mr weight rows (pairs in order, c-major) transposed,
        # zero rows completing a group's last block: the weight gradient's dy-panel
        # transposition in register blocks (the scalar loop gathered each value from
        # its row: 2 % of an FCN layer's forward, serial before the threads start).
        # Blocks are independent: wide weights (a 512-channel K = 3 layer's 3 MiB, a
        # third of its time at batch 8 of 8 outputs) are packed by the call's threads.
        if threads > 1 and geo.c_out * geo.n_pairs >= 65536:
            for gb in prange(geo.groups * geo.n_blocks, schedule="static",
                             num_threads=threads):
                _pack_block(w, geo, gb, out)
        else:
            for gb in range(geo.groups * geo.n_blocks):
                _pack_block(w, geo, gb, out)
        return
    if by_rows:
        for o in range(geo.c_out):
            for c in range(geo.c_per_group):
                for k in range(k_size):
                    tap = k_size - 1 - k if flip else k
                    out[(o * geo.c_per_group + c) * k_size + k] = w[(o * geo.c_per_group + c) * k_size + tap]
        return
    for g in range(geo.groups):
        for b in range(geo.n_blocks):
            for p in range(geo.n_pairs):
                c = p // k_size
                k = p % k_size
                tap = k_size - 1 - k if flip else k
                for r in range(geo.mr):
                    row = b * geo.mr + r
                    out[((g * geo.n_blocks + b) * geo.n_pairs + p) * geo.mr + r] = (
                        w[((g * geo.o_per_group + row) * geo.c_per_group + c) * k_size + tap]
                        if row < geo.o_per_group
                        else 0)


def conv1d_forward(const real_t[:, :, ::1] x,      # IN  (N, C_in, L)
                   const real_t[:, :, ::1] w,      # IN  (C_out, C_in/groups, K)
                   const real_t[::1] bias,         # IN  (C_out,) or length 0 for none
                   real_t[:, :, ::1] y,            # OUT (N, C_out, L_out)
                   idx_t left, idx_t right, int mode, double pad_value,
                   idx_t stride, idx_t dilation, idx_t groups, bint flip, int n_threads,
                   bint winograd=False):
    """Cross-correlation (or convolution with ``flip``) of validated arrays into ``y``.

    The caller checked shapes, dtypes, groups and that ``L_out >= 1``; this packs the
    weights, sizes the per-thread scratch and splits the work. All scratch lives in one
    malloc'd workspace: for small calls, NumPy temporaries and their memoryviews cost
    more than the arithmetic. ``winograd``: a ``method="auto"`` call, which may take
    the Winograd route (direct sums otherwise: the only route whose bits do not depend
    on how the work is split).
    """
    if x.shape[0] == 0 or y.shape[1] == 0 or y.shape[2] == 0:
        return
    cdef int status
    with nogil:
        status = _forward_impl(
            &x[0, 0, 0] if x.shape[1] * x.shape[2] > 0 else <const real_t*>NULL,
            x.shape[0], x.shape[1], x.shape[2], &w[0, 0, 0], w.shape[0], w.shape[1],
            w.shape[2], &bias[0] if bias.shape[0] > 0 else <const real_t*>NULL,
            &y[0, 0, 0], y.shape[2], left, right, mode, pad_value, stride, dilation,
            groups, flip, n_threads, NULL, winograd)
    check_status(status, "conv1d")


def conv1d_stream_forward(const real_t[:, :, ::1] x,      # IN  (N, C_in, T), T >= 1
                          const real_t[:, :, ::1] w,      # IN  (C_out, C_in/groups, K)
                          const real_t[::1] bias,         # IN  (C_out,) or length 0
                          const real_t[:, :, ::1] state,  # IN  (N, C_in, d*(K-1))
                          real_t[:, :, ::1] y,            # OUT (N, C_out, T)
                          idx_t dilation, idx_t groups, int n_threads):
    """The causal conv1d of a stream's chunk ``x`` whose left padding is the carried
    input ``state`` (``cconv1d.conv1d_stream``): the kernels read the state where it
    is, as a padding mode's samples, so neither it nor the chunk is concatenated. The
    caller checked shapes and dtypes. ``n_threads`` <= 0: the thread count is asked
    for only when the work is large enough to be split (a stream's small chunks spare
    the affinity query)."""
    if x.shape[0] == 0 or y.shape[1] == 0 or y.shape[2] == 0:
        return
    cdef idx_t span = state.shape[2]
    if n_threads <= 0:
        n_threads = 1
        if (2.0 * x.shape[0] * y.shape[1] * y.shape[2] * w.shape[1] * w.shape[2]
                >= PARALLEL_MIN_FLOPS):
            n_threads = _threads.get_num_threads()
    cdef int status
    with nogil:
        status = _forward_impl(
            &x[0, 0, 0] if x.shape[1] > 0 else <const real_t*>NULL,
            x.shape[0], x.shape[1], x.shape[2], &w[0, 0, 0], w.shape[0], w.shape[1],
            w.shape[2], &bias[0] if bias.shape[0] > 0 else <const real_t*>NULL,
            &y[0, 0, 0], y.shape[2], span, 0, CC_PAD_CONSTANT, 0.0, 1, dilation, groups,
            False, n_threads,
            &state[0, 0, 0] if span > 0 and x.shape[1] > 0 else <const real_t*>NULL)
    check_status(status, "conv1d_stream")


def forward(ConvSpec spec, x, w, b, y, bint flip, int n_threads, bint winograd=False):
    """:func:`cconv1d.conv1d` into ``y`` for the checked call ``spec``: ``x``
    ``(N, C_in, L)``, ``w``, ``b`` (length 0 for none) and ``y`` ``(N, C_out, L_out)``
    are C-contiguous arrays of ``spec.dtype``; ``winograd`` as conv1d_forward's."""
    cdef const ConvArgs* a = &spec.args
    FORWARD[spec.dtype.char](x, w, b, y, a.left, a.right, a.code, a.value, a.stride,
                             a.dilation, a.groups, flip, n_threads, winograd)


cdef struct Plan:
    # How a forward call runs, and the layout of its one workspace: every piece's offset
    # from the cache-line-aligned base and, for per-thread pieces, its stride. _make_plan
    # is the only place that sizes or places a piece: forward_workspace_bytes reports
    # the same total that _forward_impl allocates and carves.
    bint by_rows, direct, by_sample, blocked
    bint cat              # short outputs: samples' columns side by side (_cat_unit)
    bint strips           # K = 1, no padding, many channels: column strips
    int threads
    idx_t n_items, n_scratch
    idx_t block_len       # blocked: outputs per length block (whole column blocks)
    idx_t n_lblocks       # blocked: length blocks per sample
    idx_t block_pitch     # blocked: row pitch of a packed block
    idx_t cat_samples     # cat: samples per unit, and the units
    idx_t n_cat_units
    idx_t cat_last        # cat: samples of the last unit
    # per-thread (or per-scratch) strides, and offsets from the base
    size_t b_ycat, o_ycat
    # per-thread (or per-scratch) strides, and offsets from the base
    size_t b_packed, b_row, b_work, b_edge
    size_t o_weights, o_offs, o_edge, o_packed, o_row, o_work, o_edges
    size_t total


cdef void _make_plan(Plan* plan, Geometry* geo, idx_t n_batch, int mode, idx_t itemsize,
                     int n_threads, bint given) noexcept nogil:
    """Fills ``geo.pitch`` and the plan of a forward call (sizes before any allocation).

    Packing: a sample whose padded, phase-split channels fit WHOLE_SAMPLE bytes is packed
    whole, once per sample (by a thread of its own when there are enough samples).
    A larger one is packed a length block at a time, each block's channels in about
    BLOCK_BYTES, so the workspace is bounded by cache-sized blocks and not by
    ``C_in x L``: a 64-channel float32 signal of 10**6 samples needs ~1 MiB, not 244."""
    cdef idx_t span = (geo.k_size - 1) * geo.dilation, rows, avail, halo, bp
    cdef size_t cursor = 0
    cdef bint split
    geo.pitch = c_packed_pitch(geo.padded, geo.stride, itemsize, geo.cols)
    plan.by_rows = geo.o_per_group < 4
    plan.direct = (plan.by_rows and geo.stride == 1 and mode == CC_PAD_CONSTANT
                   and geo.c_per_group == 1 and geo.length > 0)
    plan.strips = (geo.k_size == 1 and geo.padded == geo.length and not plan.by_rows
                   and _strip_rows > 0 and geo.c_per_group >= _strip_rows)
    plan.n_items = _irow_items(geo) if plan.by_rows else _igemm_items(geo)
    plan.threads = max(1, n_threads)
    if 2.0 * n_batch * geo.c_out * geo.l_out * geo.n_pairs < PARALLEL_MIN_FLOPS:
        plan.threads = 1
    rows = geo.c_in * geo.phases
    plan.blocked = (not plan.direct and (
        plan.strips or <double>rows * geo.pitch * itemsize > WHOLE_SAMPLE_BYTES))
    plan.block_len = plan.n_lblocks = plan.block_pitch = 0
    # Fewer samples than threads: each thread packs and computes a length block of its
    # own (one sample packed by one thread and read by both made the second core fetch
    # its half from the first core's L2: batch-1 ran 15 % slower than two samples of
    # half the length at two threads).
    split = (not plan.blocked and not plan.direct and not plan.by_rows and
             plan.threads > 1 and n_batch < plan.threads and
             geo.l_out >= 2 * plan.threads * geo.cols)
    if split:
        plan.blocked = True
    if plan.blocked:
        # Outputs per block: whole column blocks, as many as fit BLOCK_BYTES with the
        # halo of (K-1)*d/stride samples, a tile and slack per phase row.
        halo = span // geo.stride + 1 + geo.cols + SLACK + 16
        avail = BLOCK_BYTES // (rows * itemsize) - halo
        plan.block_len = max(1, avail // geo.col_block) * geo.col_block
        if plan.threads > 1 and n_batch < plan.threads:
            # Threads share a sample's blocks: a multiple of the thread count of them, of
            # equal length in whole tiles (one block a thread when a sample fits one;
            # three blocks on two threads made batch-1 0.87x as fast as two).
            bp = (geo.l_out + plan.block_len - 1) // plan.block_len
            bp = (bp + plan.threads - 1) // plan.threads * plan.threads
            plan.block_len = min(plan.block_len, (
                (geo.l_out + bp - 1) // bp + geo.cols - 1) // geo.cols * geo.cols)
        if plan.block_len >= geo.l_out:
            plan.block_len = geo.l_out
        plan.n_lblocks = (geo.l_out + plan.block_len - 1) // plan.block_len
        bp = (plan.block_len - 1) * geo.stride + span + 1
        plan.block_pitch = c_packed_pitch(min(bp, geo.padded), geo.stride, itemsize,
                                          geo.cols)
    plan.cat = _cat_route(plan, geo, n_batch, itemsize)
    if plan.cat:
        plan.blocked = plan.strips = False
    plan.by_sample = plan.blocked or plan.cat or n_batch >= plan.threads
    plan.n_scratch = plan.threads if plan.by_sample else 1
    cdef idx_t n_weights = (geo.c_out * geo.n_pairs if plan.by_rows
                            else geo.groups * geo.n_blocks * geo.n_pairs * geo.mr)
    cdef idx_t n_packed = 0, n_row = 0, n_work = 0, n_edge = 0, n_edges = 0, n_ycat = 0
    cdef idx_t n_offs = max(geo.n_pairs, 1)
    if plan.cat:
        n_packed = geo.c_in * geo.phases * geo.pitch
        n_ycat = geo.c_out * plan.cat_samples * geo.l_out
        n_offs = 2 * n_offs     # a smaller last unit's offsets too
        n_row = geo.padded
        n_work = geo.length if mode == CC_PAD_MEDIAN else 1
    elif plan.direct:
        n_edge = ROW_BLOCK + span
    elif plan.blocked:
        n_packed = rows * plan.block_pitch
        if mode != CC_PAD_CONSTANT or given:
            # The padding's samples of every channel, made once per call by pad_row
            # (into a row per thread) and read by every block that reaches an edge.
            n_edges = n_batch * geo.c_in * (geo.left + geo.right)
            n_row = geo.padded
            n_work = geo.length if mode == CC_PAD_MEDIAN else 1
    else:
        n_packed = rows * geo.pitch
        n_row = geo.padded if geo.stride > 1 else 1
        n_work = geo.length if mode == CC_PAD_MEDIAN else 1
    plan.b_packed = aligned_bytes(n_packed * itemsize)
    plan.b_row = aligned_bytes(n_row * itemsize)
    plan.b_work = aligned_bytes(n_work * sizeof(double))
    plan.b_edge = aligned_bytes(n_edge * itemsize)
    plan.b_ycat = aligned_bytes(n_ycat * itemsize)
    plan.o_weights = place(&cursor, n_weights * itemsize)
    plan.o_offs = place(&cursor, n_offs * sizeof(idx_t))
    plan.o_edge = place(&cursor, plan.threads * plan.b_edge)
    plan.o_work = place(&cursor, plan.threads * plan.b_work)
    plan.o_packed = place(&cursor, plan.n_scratch * plan.b_packed)
    plan.o_row = place(&cursor, plan.n_scratch * plan.b_row)
    plan.o_edges = place(&cursor, n_edges * itemsize)
    plan.o_ycat = place(&cursor, plan.n_scratch * plan.b_ycat)
    plan.total = cursor + 64     # the base is the block's first cache-line boundary


cdef idx_t _strip_rows = STRIP_ROWS   # tests and benchmarks compare the layouts


def _set_strip_rows(idx_t n):
    """Input channels (per group) from which a K = 1 layer without padding is packed as
    column strips (0: never); returns the previous value."""
    global _strip_rows
    cdef idx_t was = _strip_rows
    _strip_rows = n
    return was


cdef idx_t _cat_bytes = CAT_BYTES   # tests and benchmarks compare the routes


def _set_cat_bytes(idx_t nbytes):
    """A cat unit's packed bytes at most (0: no cat route); returns the previous value."""
    global _cat_bytes
    cdef idx_t was = _cat_bytes
    _cat_bytes = nbytes
    return was


cdef inline double _cat_cost(const Geometry* geo, idx_t count, idx_t lanes) noexcept nogil:
    """Vector FMAs per output row of a unit of ``count`` samples (a kernel's partial
    tile computes whole vectors)."""
    return <double>((geo.l_out * count + lanes - 1) // lanes) * geo.n_pairs


cdef bint _cat_route(Plan* plan, Geometry* geo, idx_t n_batch, idx_t itemsize) noexcept nogil:
    """Short outputs: the samples of a unit side by side, interleaved: padded position
    ``m`` of phase ``r`` of channel ``c`` holds the unit's ``count`` samples in a row,
    ``packed[(c*phases + r)*pitch + m*count + i] = xp_i[c, m*s + r]``, so output ``j``
    of sample ``i`` is column ``j*count + i`` and each pair reads one shifted row, as a
    sample on its own does, and a tile's columns run on across samples. Per sample, a
    tile of ``cols`` positions computed ``l_out`` of them: a 256-channel layer of 8
    outputs ran at 29 GFLOP/s (PyTorch, whose GEMM runs over batch and positions, at
    55). Chosen where a sample's tiles would be at least a sixth empty and it has fewer
    than eight tiles of outputs (AVX2, Zen 3, alternating in one process: 16-18 and 30
    outputs of 24- and 48-column tiles 0.69-0.80x the time, 20, 50-60 and 100 outputs
    0.88-0.96x, 22 and 150 within 2 %, whole tiles of 120 and 200 outputs 1.05-1.07x;
    a third empty had been the rule before the samples were interleaved), for a
    sample's packed rows in CAT_BYTES (a unit's columns stay in L2); units hold
    CAT_BYTES of packed rows and output copies together (so wide outputs add no scratch
    beyond it).

    Every output is the same chain of FMAs over its pairs, in the same order, as on the
    other routes (so a sample's bits do not depend on its batch: the Dask chunks and
    split invariance of conv1d). Summing only the taps that read the signal (the zero
    padding's products, 2 of 24 at K = 3 and 8 outputs) needs the pairs tap-major, a
    different order: tried, it was no faster (the edge outputs' runs of one vector of
    columns ran at two thirds of the full tiles' rate).

    Samples per unit: within the bytes above, the count whose units compute the fewest
    vectors (a unit of 11 samples of 8 outputs is 88 columns, computed as 96: 9 % of
    its FMAs on nothing), for the threads' share of the units. Fills ``geo.pitch`` and
    the unit counts; False leaves both."""
    cdef idx_t phase_len = (geo.padded + geo.stride - 1) // geo.stride
    cdef idx_t rows_bytes = geo.c_in * geo.phases * phase_len * itemsize
    # a unit's scratch a sample: its packed rows and its outputs' copy
    cdef idx_t per_sample = rows_bytes + geo.c_out * geo.l_out * itemsize
    cdef idx_t tiles = (geo.l_out + geo.cols - 1) // geo.cols * geo.cols
    cdef idx_t lanes = max(1, geo.kern.vlen_f32 * 4 // itemsize)
    cdef idx_t units, s_max, rounded, i, count, n_units, best_count = 0
    cdef idx_t cand[5]
    cdef double cost, best = 0, share
    if (plan.by_rows or n_batch < 2 or geo.length == 0 or geo.l_out >= 8 * geo.cols
            or 5 * tiles < 6 * geo.l_out or rows_bytes > _cat_bytes):
        return False
    # At least two tiles of columns a unit where the batch has them (the input
    # gradient's cols route measured why: a tile's empty columns cost as full ones).
    # (within TILES_MAX_BYTES: a sample of 64 Ki pairs would otherwise pack 96 of them)
    s_max = min(n_batch, max(1, _cat_bytes // per_sample,
                             min((2 * geo.cols + geo.l_out - 1) // geo.l_out,
                                 TILES_MAX_BYTES // per_sample)))
    units = (n_batch + s_max - 1) // s_max
    rounded = (units + plan.threads - 1) // plan.threads * plan.threads
    if (n_batch >= plan.threads
            and (n_batch + rounded - 1) // rounded * geo.l_out >= 2 * geo.cols):
        # a multiple of the thread count of units, of about equal size; else fewer
        # units, whose items the threads share (two samples of 8 outputs on two
        # threads: a unit each ran two thirds empty tiles)
        units = rounded
    # the balanced count first (a tie keeps it), then whole vectors of samples
    cand[0] = (n_batch + units - 1) // units
    cand[1] = cand[0] // lanes * lanes
    cand[2] = (cand[0] + lanes - 1) // lanes * lanes
    cand[3] = s_max // lanes * lanes
    cand[4] = s_max
    for i in range(5):
        count = cand[i]
        # (a count rounded up to whole vectors may pass the bytes by a vector's samples)
        if count < 1 or count > n_batch or count > (s_max + lanes - 1 if i == 2 else s_max):
            continue
        n_units = (n_batch + count - 1) // count
        # the threads' share: whole units each, or a unit's items between them
        share = (<double>((n_units + plan.threads - 1) // plan.threads)
                 if n_units >= plan.threads else <double>n_units / plan.threads)
        cost = share * (_cat_cost(geo, count, lanes) + 0.01 * geo.n_pairs)
        if best_count == 0 or cost < best * 0.99:
            best = cost
            best_count = count
    plan.cat_samples = best_count
    plan.n_cat_units = (n_batch + plan.cat_samples - 1) // plan.cat_samples
    plan.cat_last = n_batch - (plan.n_cat_units - 1) * plan.cat_samples
    geo.pitch = c_packed_pitch(phase_len * plan.cat_samples, 1, itemsize, geo.cols)
    return True


cdef void im2col(const Geometry* geo, const real_t* x, idx_t count, real_t* packed,
                 idx_t pitch, real_t* row, double* work, int mode, real_t value,
                 const real_t* given, bint flip) noexcept nogil:
    """Samples ``x[0:count]`` (each ``(C_in, L)``) as ``(c, k)`` rows of their outputs'
    windows side by side: ``packed[(c*K + k)*pitch + i*l_out + j] = xp_i[c, j*s + t*d]``
    with ``t = k`` (``K - 1 - k`` when ``flip``) and ``xp_i`` sample i padded by the
    mode (its left padding ``given[i]``, ``(C_in, left)``, when not NULL). ``row``
    holds ``geo.padded`` values, ``work`` ``geo.length`` doubles (median)."""
    cdef idx_t i, c, k, j, off, lo, hi, s = geo.stride, l_out = geo.l_out
    cdef idx_t length = geo.length, c_in = geo.c_in, k_size = geo.k_size
    cdef const real_t* src
    cdef real_t* dst
    if mode == CC_PAD_CONSTANT and given == NULL:
        # Gathered from x: rows of a few samples make pad_row's call cost more than
        # the copy (a 4-output pointwise layer ran at half speed through it).
        for c in range(c_in):
            for k in range(k_size):
                dst = packed + (c * k_size + k) * pitch
                off = (k_size - 1 - k if flip else k) * geo.dilation - geo.left
                # output j reads x[j*s + off]: inside the signal for j in [lo, hi)
                lo = min(l_out, (-off + s - 1) // s) if off < 0 else 0
                hi = (lo if off >= length
                      else max(lo, min(l_out, (length - 1 - off) // s + 1)))
                for i in range(count):
                    src = x + (i * c_in + c) * length
                    for j in range(lo):
                        dst[j] = value
                    for j in range(lo, hi):
                        dst[j] = src[j * s + off]
                    for j in range(hi, l_out):
                        dst[j] = value
                    dst += l_out
        return
    for i in range(count):
        for c in range(c_in):
            src = x + (i * c_in + c) * length
            pad_row(src, length, row, geo.left, geo.right, mode, value, value, length,
                    length, work)
            if given != NULL:
                memcpy(row, given + (i * c_in + c) * geo.left, geo.left * sizeof(real_t))
            for k in range(k_size):
                dst = packed + (c * k_size + k) * pitch + i * l_out
                off = (k_size - 1 - k if flip else k) * geo.dilation
                for j in range(l_out):
                    dst[j] = row[j * s + off]


cdef void _cat_pack(const Geometry* geo, const Plan* plan, const real_t* x,
                    real_t* packed, real_t* row, double* work, idx_t n_batch, idx_t unit,
                    int mode, real_t value, const real_t* given) noexcept nogil:
    """Unit ``unit``'s samples interleaved into ``packed`` (the layout of _cat_route)."""
    cdef idx_t n0 = unit * plan.cat_samples
    cdef idx_t count = min(plan.cat_samples, n_batch - n0)
    cdef idx_t c, r, m, i, pos, s = geo.stride, length = geo.length, c_in = geo.c_in
    cdef idx_t left = geo.left
    cdef const real_t* src
    cdef real_t* dst
    if mode == CC_PAD_CONSTANT and given == NULL and s == 1:
        # Each channel's samples transposed in register blocks (gathered one value at
        # a time, the copy was a third of a 256-channel layer's time besides its sums).
        for c in range(c_in):
            dst = packed + c * geo.pitch
            for i in range(left * count):
                dst[i] = value
            pack_transposed(geo.kern, x + (n0 * c_in + c) * length, c_in * length, count,
                            length, dst + left * count, count)
            for i in range((left + length) * count, geo.padded * count):
                dst[i] = value
        return
    if mode == CC_PAD_CONSTANT and given == NULL:
        # Gathered from x: position m of every sample, then the next position (a
        # sample's row of a few outputs stays in L1 while its positions are taken).
        for c in range(c_in):
            src = x + (n0 * c_in + c) * length
            for r in range(geo.phases):
                dst = packed + (c * geo.phases + r) * geo.pitch
                for m in range((geo.padded - r + s - 1) // s):
                    pos = m * s + r - left
                    if 0 <= pos < length:
                        for i in range(count):
                            dst[i] = src[i * c_in * length + pos]
                    else:
                        for i in range(count):
                            dst[i] = value
                    dst += count
        return
    for i in range(count):
        for c in range(c_in):
            pad_row(x + ((n0 + i) * c_in + c) * length, length, row, left, geo.right,
                    mode, value, value, length, length, work)
            if given != NULL:
                memcpy(row, given + ((n0 + i) * c_in + c) * left, left * sizeof(real_t))
            for r in range(geo.phases):
                dst = packed + (c * geo.phases + r) * geo.pitch + i
                for m in range((geo.padded - r + s - 1) // s):
                    dst[m * count] = row[m * s + r]


cdef void _cat_offsets(const Geometry* geo, idx_t count, idx_t* offs) noexcept nogil:
    """The pairs' offsets ``c*K + k`` in a unit of ``count`` samples."""
    cdef idx_t c, k, shift
    for c in range(geo.c_per_group):
        for k in range(geo.k_size):
            shift = k * geo.dilation
            offs[c * geo.k_size + k] = ((c * geo.phases + shift % geo.stride) * geo.pitch
                                        + shift // geo.stride * count)


cdef void _cat_scatter(const Geometry* geo, const Plan* plan, const real_t* ycat,
                       real_t* y, idx_t n_batch, idx_t unit, idx_t o_first,
                       idx_t o_last) noexcept nogil:
    """Output channels [o_first, o_last) of unit ``unit``'s columns to their samples."""
    cdef idx_t n0 = unit * plan.cat_samples
    cdef idx_t count = min(plan.cat_samples, n_batch - n0)
    cdef idx_t i, j, o, l_out = geo.l_out, ldy = plan.cat_samples * l_out
    cdef const real_t* src
    cdef real_t* yn
    # a channel's columns at a time: they stay in L1 while each sample takes its row
    for o in range(o_first, o_last):
        src = ycat + o * ldy
        for i in range(count):
            yn = y + ((n0 + i) * geo.c_out + o) * l_out
            for j in range(l_out):
                yn[j] = src[j * count + i]


cdef idx_t _cat_geometry(const Geometry* geo, const Plan* plan, idx_t n_batch,
                         idx_t unit, Geometry* cat) noexcept nogil:
    """``cat``: the geometry unit ``unit``'s items run by (its ``count * l_out``
    columns, ``ldy`` the widest unit's); returns its sample count."""
    cdef idx_t count = min(plan.cat_samples, n_batch - unit * plan.cat_samples)
    cat[0] = geo[0]
    cat.l_out = count * geo.l_out
    cat.ldy = plan.cat_samples * geo.l_out
    return count


cdef void _cat_unit(const Geometry* geo, const Plan* plan, const real_t* x,
                    real_t* packed, real_t* row, double* work, real_t* ycat,
                    const idx_t* offs, const real_t* weights, const real_t* bias,
                    real_t* y, idx_t n_batch, idx_t unit, int mode, real_t value,
                    const real_t* given) noexcept nogil:
    """Unit ``unit`` of a cat plan by one thread: packed, computed, copied out."""
    cdef Geometry cat
    cdef idx_t count = _cat_geometry(geo, plan, n_batch, unit, &cat)
    _cat_pack(geo, plan, x, packed, row, work, n_batch, unit, mode, value, given)
    if count != plan.cat_samples:
        offs += geo.n_pairs     # the last unit's offsets
    _run_items(&cat, False, packed, offs, weights, bias, ycat, 0, _igemm_items(&cat))
    _cat_scatter(geo, plan, ycat, y, n_batch, unit, 0, geo.c_out)


cdef void pack_strips(const real_t* x, real_t* packed, const Geometry* geo, idx_t j0,
                      idx_t n_out) noexcept nogil:
    """Outputs ``[j0, j0 + n_out)`` of one sample of a K = 1 layer without padding, as
    column strips: strip ``t`` holds every channel's inputs of the tile of outputs
    ``j0 + t*cols ...`` side by side, ``packed[(t*c_in + c)*cols + u] = x[c, (j0 + t*cols
    + u)*stride]``, zero past ``n_out``. A tile then reads its pairs' columns as one
    contiguous run: as rows of a pitch, 256 channels' 96-byte pieces each sat in a line
    and page of its own, and a tile summing them ran at 65-87 % of the FMA roof against
    96-100 % from a strip (Zen 3, AVX2). Channel by channel, so each input row is read
    in order."""
    cdef idx_t cols = geo.cols, s = geo.stride, c, t, u, n
    cdef idx_t n_strips = (n_out + cols - 1) // cols
    cdef const real_t* src
    cdef real_t* dst
    for c in range(geo.c_in):
        src = x + c * geo.length + j0 * s
        for t in range(n_strips):
            dst = packed + (t * geo.c_in + c) * cols
            n = min(cols, n_out - t * cols)
            if s == 1:
                memcpy(dst, src + t * cols, n * sizeof(real_t))
            else:
                for u in range(n):
                    dst[u] = src[(t * cols + u) * s]
            for u in range(n, cols):
                dst[u] = 0


cdef void pack_block(const real_t* x, real_t* packed, const Geometry* geo, idx_t pitch,
                     idx_t p0, idx_t count, const real_t* edges, real_t value,
                     bint constant, idx_t c_first, idx_t c_last) noexcept nogil:
    """Padded positions ``[p0, p0 + count)`` of channels ``[c_first, c_last)`` of one
    sample, split into
    phase rows (phase ``r`` row ``m`` holds padded position ``p0 + m*stride + r``; ``p0``
    is a multiple of the stride). The padding's samples come from ``edges`` (per channel
    ``left`` then ``right`` values), or are ``value`` when ``constant``."""
    cdef idx_t c, r, m, i, pos, lim, cnt, s = geo.stride
    cdef idx_t left = geo.left, length = geo.length, pads = geo.left + geo.right
    cdef idx_t end = min(p0 + count, geo.padded)
    cdef const real_t* xc
    cdef const real_t* el
    cdef real_t* dst
    for c in range(c_first, c_last):
        xc = x + c * length
        el = edges + c * pads
        for r in range(geo.phases):
            dst = packed + (c * geo.phases + r) * pitch
            m = 0
            pos = p0 + r
            while pos < end and pos < left:
                dst[m] = value if constant else el[pos]
                m += 1
                pos += s
            lim = min(end, left + length)
            if pos < lim:
                cnt = (lim - pos + s - 1) // s
                if s == 1:
                    memcpy(dst + m, xc + (pos - left), cnt * sizeof(real_t))
                else:
                    for i in range(cnt):
                        dst[m + i] = xc[pos - left + i * s]
                m += cnt
                pos += cnt * s
            while pos < end:
                dst[m] = value if constant else el[pos - length]   # el[left + (pos - left - L)]
                m += 1
                pos += s


cdef void pad_edges(const real_t* x, real_t* edges, real_t* row, const Geometry* geo,
                    int mode, real_t value, double* work, idx_t c_first,
                    idx_t c_last, const real_t* given) noexcept nogil:
    """The padding samples (``left`` then ``right`` per channel) of channels
    ``[c_first, c_last)`` of one sample, made by ``pad_row`` in ``row``; ``given`` (not
    NULL): the left ones, ``geo.left`` per channel."""
    cdef idx_t c, pads = geo.left + geo.right
    for c in range(c_first, c_last):
        pad_row(x + c * geo.length, geo.length, row, geo.left, geo.right, mode, value,
                value, geo.length, geo.length, work)
        memcpy(edges + c * pads, given + c * geo.left if given != NULL else row,
               geo.left * sizeof(real_t))
        memcpy(edges + c * pads + geo.left, row + geo.left + geo.length,
               geo.right * sizeof(real_t))


cdef void _run_block(const Geometry* geo, const Plan* plan, const real_t* x_n,
                     real_t* packed, const real_t* edges_n, const idx_t* offs,
                     const real_t* weights, const real_t* bias, real_t* y_n, idx_t lblock,
                     int mode, real_t value, bint given, bint prepacked=False) noexcept nogil:
    """Length block ``lblock`` of one sample: pack its channels, then run its items.
    ``prepacked`` (strips): the sample is its column strips already (pack_strips'
    layout, strip after strip; _winograd_forward's transforms write it), read in
    place."""
    cdef Geometry block = geo[0]
    cdef idx_t j0 = lblock * plan.block_len
    block.l_out = min(plan.block_len, geo.l_out - j0)
    block.pitch = plan.block_pitch
    if plan.strips:
        block.strip = geo.c_in * geo.cols
        if prepacked:   # (j0: whole column blocks, so whole strips)
            packed = <real_t*>x_n + j0 // geo.cols * block.strip
        else:
            pack_strips(x_n, packed, geo, j0, block.l_out)
    else:
        pack_block(x_n, packed, geo, plan.block_pitch, j0 * geo.stride,
                   (block.l_out - 1) * geo.stride + (geo.k_size - 1) * geo.dilation + 1,
                   edges_n, value, mode == CC_PAD_CONSTANT and not given, 0, geo.c_in)
    _run_items(&block, plan.by_rows, packed, offs, weights, bias, y_n + j0, 0,
               _irow_items(&block) if plan.by_rows else _igemm_items(&block))


def forward_workspace_bytes(idx_t n_batch, idx_t c_in, idx_t length, idx_t c_out,
                            idx_t c_per_group, idx_t k_size, idx_t left, idx_t right,
                            idx_t l_out, idx_t stride, idx_t dilation, idx_t groups,
                            int mode, idx_t itemsize, int n_threads,
                            bint winograd=False):
    """Bytes of scratch one ``conv1d`` call of this shape allocates (besides its output):
    packed weights, pair offsets, and per thread one packed input sample (the padded
    channels, split into stride phases) or, for one-channel rows read in place, an edge
    buffer. ``winograd``: a ``method="auto"`` call; on the Winograd route, its
    transforms and the pointwise call's workspace, which it holds together."""
    cdef Geometry geo
    cdef Plan plan
    cdef WinoPlan wino
    if winograd and _winograd_pays(n_batch, c_in, c_out, k_size, stride, dilation, groups,
                                   l_out, itemsize):
        _wino_plan(&wino, n_batch, c_in, c_out, k_size, stride, dilation, length, l_out,
                   mode, itemsize, n_threads)
        # the pointwise calls' workspace: one a thread when each takes chunks
        return wino.total + wino.n_scratch * forward_workspace_bytes(
            1, wino.pts * wino.sub * c_in, wino.chunk * wino.seg, wino.pts * c_out,
            wino.sub * c_in, 1, 0, 0, wino.chunk * wino.seg, 1, 1, wino.pts,
            CC_PAD_CONSTANT, itemsize,
            1 if wino.by_chunk else n_threads)
    make_geometry(&geo, c_in, length, left, right, stride, dilation, c_out, c_per_group,
                  k_size, groups, l_out, active_kernels(), itemsize)
    _make_plan(&plan, &geo, n_batch, mode, itemsize, n_threads, False)
    return plan.total


def forward_route(idx_t n_batch, idx_t c_in, idx_t length, idx_t c_out,
                  idx_t c_per_group, idx_t k_size, idx_t left, idx_t right, idx_t l_out,
                  idx_t stride, idx_t dilation, idx_t groups, int mode, idx_t itemsize,
                  int n_threads, bint winograd=False):
    """The route a ``conv1d`` call of this shape takes (tests and benchmarks;
    ``winograd``: a ``method="auto"`` call, which may take the Winograd route):
    ``"direct"`` (rows read in place), ``"rows"`` (output rows of few channels),
    ``"cat"`` (short outputs side by side), ``"strips"`` (K = 1 by column strips),
    ``"winograd"`` (dense float32 layers of many channels by Winograd), ``"blocked"``
    (length blocks) or ``"whole"`` (whole samples packed)."""
    cdef Geometry geo
    cdef Plan plan
    make_geometry(&geo, c_in, length, left, right, stride, dilation, c_out, c_per_group,
                  k_size, groups, l_out, active_kernels(), itemsize)
    if winograd and _winograd_pays(n_batch, c_in, c_out, k_size, stride, dilation, groups,
                                   l_out, itemsize):
        return "winograd"
    _make_plan(&plan, &geo, n_batch, mode, itemsize, n_threads, False)
    if plan.direct:
        return "direct"
    if plan.cat:
        return "cat"
    if plan.strips:
        return "strips"
    if plan.by_rows:
        return "rows"
    return "blocked" if plan.blocked else "whole"


def cat_plan(idx_t n_batch, idx_t c_in, idx_t length, idx_t c_out, idx_t c_per_group,
             idx_t k_size, idx_t left, idx_t right, idx_t l_out, idx_t stride,
             idx_t dilation, idx_t groups, int mode, idx_t itemsize, int n_threads):
    """How a ``conv1d`` call of this shape runs its short outputs (tests and
    benchmarks): None when not side by side, else ``(samples per unit, units, samples
    of the last unit)``."""
    cdef Geometry geo
    cdef Plan plan
    make_geometry(&geo, c_in, length, left, right, stride, dilation, c_out, c_per_group,
                  k_size, groups, l_out, active_kernels(), itemsize)
    _make_plan(&plan, &geo, n_batch, mode, itemsize, n_threads, False)
    if not plan.cat:
        return None
    return plan.cat_samples, plan.n_cat_units, plan.cat_last


# ---------------------------------------------------------------------------------------
# the Winograd route: dense 3-tap layers as six pointwise layers (cc_winograd.h)

cdef extern from "cconv1d/include/cconv1d/cc_winograd.h" nogil:
    idx_t cc_wino_step(idx_t r)
    idx_t cc_wino_points(idx_t r)
    # the transforms by tiles: ``isa`` the kernel path whose build runs (CC_SIMD_*)
    void cc_wino_in_f32(const float* d, idx_t n_tiles, idx_t r, float* v, idx_t pitch,
                        int isa)
    void cc_wino_in_f64(const double* d, idx_t n_tiles, idx_t r, double* v, idx_t pitch,
                        int isa)
    void cc_wino_out_f32(const float* m, idx_t pitch, idx_t l_out, float bias, idx_t r,
                         float* y, int isa)
    void cc_wino_out_f64(const double* m, idx_t pitch, idx_t l_out, double bias, idx_t r,
                         double* y, int isa)
    void cc_wino_in_dil_f32(const float* d, idx_t n_u, idx_t r, idx_t dil, float* v,
                            idx_t pitch, int isa)
    void cc_wino_in_dil_f64(const double* d, idx_t n_u, idx_t r, idx_t dil, double* v,
                            idx_t pitch, int isa)
    void cc_wino_out_dil_f32(const float* m, idx_t pitch, idx_t l_out, float bias,
                             idx_t r, idx_t dil, float* y, int isa)
    void cc_wino_out_dil_f64(const double* m, idx_t pitch, idx_t l_out, double bias,
                             idx_t r, idx_t dil, double* y, int isa)
    void cc_wino_weights_f32(const float* w, idx_t c_out, idx_t c_in, idx_t r, int flip,
                             idx_t o0, idx_t o1, float* u, int isa)
    void cc_wino_weights_f64(const double* w, idx_t c_out, idx_t c_in, idx_t r, int flip,
                             idx_t o0, idx_t o1, double* u, int isa)

# Input and output channels a dense 3-tap layer needs, each, before it takes the Winograd
# route (0: never). Its transforms read and write each sample's channels six times over
# (O(C L)) and save half of the channel sums (O(C_in C_out L)). Measured against the
# direct route (Zen 3, AVX2, float32, one thread, one process, minima): 0.63-0.81x the
# time at 64-512 channels and 512+ tiles; 48 channels 0.87x, 32 channels 1.63x.
WINOGRAD_MIN_CHANNELS = 64
cdef idx_t _wino_min_channels = WINOGRAD_MIN_CHANNELS   # tests and benchmarks compare


cdef idx_t winograd_min_channels() noexcept nogil:
    """The channels a dense 3-tap layer needs for the Winograd route (0: never); the
    gradients' rules (_backward) are stated against it."""
    return _wino_min_channels


def _set_winograd_min_channels(idx_t n):
    """Set the Winograd route's channel threshold (0: off); returns the previous one.
    Tests and benchmarks compare it with the direct route."""
    global _wino_min_channels
    cdef idx_t old = _wino_min_channels
    _wino_min_channels = n
    return old


# Transformed input and products (bytes) of a chunk of samples: at least
# WINO_CHUNK_BYTES or WINO_CHUNK_TILES tiles, at most WINO_SAMPLE_BYTES (unless one
# sample, which may take that much: longer samples take the direct route, so the
# workspace never grows with the signal). And the tiles a call needs: the weights'
# transform and packing (six times the layer's) cost as much as the sums of some 100
# tiles; with 16-128 tiles in all the route took 1.1-3.3x the direct time (Zen 3).
# Layers of 128 channels or more with 8 tiles a sample or more take it from
# WINO_MIN_TILES_WIDE (Zen 4, AVX-512, against the direct route: 256-304 tiles at
# 128-512 channels, 3-5 taps, 0.55-0.81x the time at one thread, 0.61-0.79x at two;
# 100-200 tiles 0.63-0.82x at one thread but 0.87-1.04x at two; 4 tiles a sample
# 0.88-1.01x, 2 tiles a sample 1.66x: a padded row and two transform calls a row and
# sample; 64 channels at 64-256 tiles 0.81-1.29x).
cdef enum:
    WINO_CHUNK_BYTES = 1 << 20
    WINO_CHUNK_TILES = 1024
    WINO_SAMPLE_BYTES = 8 << 20
    WINO_MIN_TILES = 512
    WINO_MIN_TILES_WIDE = 256
    WINO_WIDE_SAMPLE_TILES = 8
    WINO_SEGMENT_TILES = 192


cdef inline idx_t _wino_taps(idx_t k_size, idx_t stride, idx_t* parts) noexcept nogil:
    """The Winograd route's r for a K-tap layer (F(4, 3), F(5, 4) or F(4, 5)): each
    stride phase's ``ceil(K / stride)`` taps, or, past 5, cut into ``parts`` runs of r
    (3, 4 or 5) taps, the fewest products an output (points over outputs a tile, a run:
    1.5, 1.6, 2)."""
    cdef idx_t taps = (k_size + stride - 1) // stride, r, best = 3, n
    parts[0] = 1
    if taps <= 5:
        return taps
    parts[0] = (taps + 2) // 3
    for r in range(4, 6):
        n = (taps + r - 1) // r
        if (n * cc_wino_points(r) * cc_wino_step(best)
                < parts[0] * cc_wino_points(best) * cc_wino_step(r)):
            best, parts[0] = r, n
    return best


cdef inline idx_t _wino_tiles(idx_t l_out, idx_t dilation, idx_t step) noexcept nogil:
    """Tiles of ``step`` outputs a sample: a dilated layer's outputs are ``dilation``
    phases, each tiled apart, as many tiles each as the longest phase needs
    (cc_winograd.h's CC_WINO_IN_DIL)."""
    return ((l_out + dilation - 1) // dilation + step - 1) // step * dilation


cdef inline bint _winograd_pays(idx_t n_batch, idx_t c_in, idx_t c_out, idx_t k_size,
                                idx_t stride, idx_t dilation, idx_t groups, idx_t l_out,
                                idx_t itemsize) noexcept nogil:
    """Whether a ``method="auto"`` layer takes the Winograd route: float32, dense (one
    group), 3 taps (F(4, 3)) or 5 (F(4, 5)) at stride 1, and strided layers and layers
    of more taps (each stride phase's taps, cut into runs of r = 3-5 past 5:
    _wino_taps) where the products of a tile (six; eight for F(5, 4) and F(4, 5)) over
    its outputs leave under 0.6 of the direct route's multiplications; dilated layers
    (stride 1, at most a quarter of the tiles' outputs past the phases' ends); at least
    ``_wino_min_channels`` input channels (times the phases and runs: they are
    channels; twice that unless 3 or 5 taps at stride and dilation 1) and output
    channels, WINO_MIN_TILES tiles in the batch (WINO_MIN_TILES_WIDE with twice those
    channels and WINO_WIDE_SAMPLE_TILES tiles a sample) and a sample's transforms
    within WINO_SAMPLE_BYTES. Not by the threads (a layer's bits do not depend on
    them). float64 never: who asks for it asks for digits, and F(4, 3) costs about
    three of them (8x the direct route's error against an exact reference, measured)."""
    if (_wino_min_channels <= 0 or itemsize != 4 or groups != 1
            or dilation != 1 and stride != 1):
        return False
    cdef idx_t parts, r = _wino_taps(k_size, stride, &parts)
    cdef idx_t sub = stride * parts     # input channels a channel becomes
    cdef idx_t pts = cc_wino_points(r)
    if stride == 1 and (k_size == 3 or k_size == 5):
        pass
    elif r < 3 or 10 * sub * pts >= 6 * cc_wino_step(r) * k_size:
        # Strided, or runs of taps: pts products a tile of m outputs a phase and run
        # against K a direct output, below 0.6 (0.6: 128 -> 128 channels, K = 5,
        # stride 2 0.93-0.98x the direct time; 7 taps 0.85x, 8-9 taps at stride 2-3
        # 0.70-0.83x, 9 at stride 2 by F(4, 5) phases (0.44) 0.78-0.80x, 10 taps as
        # two runs of 5 (0.4) 0.59-0.68x; Zen 3, one thread).
        return False
    cdef idx_t step = cc_wino_step(r), n_tiles = _wino_tiles(l_out, dilation, step)
    if dilation > 1 and (4 * step * n_tiles > 5 * l_out):
        # Dilated: each of the d phases ends in its own part-filled tile; past a
        # quarter of the products wasted there, the direct route.
        return False
    # F(4, 5) transforms two values an output and saves 0.6 of the sums: 64 channels
    # 0.86-0.95x the direct time, 80-96 0.70-0.83x (F(2, 5), three values an output
    # for 0.4 of the sums, had lost at 64-96: 1.03-1.08x). Twice the channels for the
    # rest: strided layers, whose phases cost a copy of each padded row (64 -> 64
    # channels at stride 2, 128 phase channels, 1.05x, 48 -> 64 1.02x, 64 -> 128
    # 0.85x), runs of taps (10 taps at 64 channels 0.84-0.96x, 9 taps 0.93-1.11x),
    # 4 taps (by F(3, 4), before F(5, 4)) at 64 channels 0.93-1.02x, dilated layers
    # at 64 channels 0.96-1.05x.
    cdef idx_t c_min = _wino_min_channels * (
        1 if (r == 3 or r == 5) and sub == 1 and dilation == 1 else 2)
    cdef bint wide = (sub * c_in >= 2 * _wino_min_channels
                      and c_out >= 2 * _wino_min_channels
                      and n_tiles >= WINO_WIDE_SAMPLE_TILES)
    return (sub * c_in >= c_min and c_out >= c_min
            and n_batch * n_tiles >= (WINO_MIN_TILES_WIDE if wide else WINO_MIN_TILES)
            and pts * (sub * c_in + c_out) * n_tiles * itemsize <= WINO_SAMPLE_BYTES)


cdef struct WinoPlan:
    # The Winograd route's chunks and workspace: transformed weights (u), per scratch
    # slot a chunk's transformed input (v) and products (m), per thread a padded row
    # and median work. ``by_chunk``: each thread takes whole chunks (n_scratch slots).
    # Strided layers and runs of taps: ``parts`` runs of r taps a stride phase, so
    # ``sub = stride parts`` input channels a channel; ``stride`` phase rows of
    # ``phase_len`` a channel (b_phase a thread) and the split weights (o_wp, before
    # the transform).
    # Dilated layers (stride 1): the outputs' ``dil`` phases tiled apart, the tiles
    # of a sample (u, ph) with the phases inner (cc_winograd.h).
    # ``r`` taps a run, transformed on ``pts`` points; ``isa``: the kernel path whose
    # build of the transforms runs (the active one when the call began).
    idx_t n_tiles, chunk, n_chunks, seg, n_segs, r, pts, parts, sub, phase_len, dil
    int threads, n_scratch, isa
    bint by_chunk
    size_t b_row, b_work, b_phase, b_v, b_m, o_wp, o_vm, o_rows, total


cdef void _wino_plan(WinoPlan* p, idx_t n_batch, idx_t c_in, idx_t c_out, idx_t k_size,
                     idx_t stride, idx_t dilation, idx_t length, idx_t l_out, int mode,
                     idx_t itemsize, int n_threads) noexcept nogil:
    """Fills ``p`` for a layer that takes the Winograd route (_winograd_pays); its
    channel counts below are the phases' and runs' (``sub c_in`` inputs)."""
    p.r = _wino_taps(k_size, stride, &p.parts)
    p.pts = cc_wino_points(p.r)
    p.isa = active_kernels().isa
    p.sub = stride * p.parts
    cdef idx_t step = cc_wino_step(p.r)
    p.dil = dilation
    p.n_tiles = _wino_tiles(l_out, dilation, step)
    # the last run's last tile (dilated: of a phase, whose samples are d apart)
    p.phase_len = step * (p.n_tiles // dilation) + p.parts * p.r - 1
    c_in = p.sub * c_in
    cdef idx_t per_sample = p.pts * (c_in + c_out) * p.n_tiles * itemsize
    # Enough samples a chunk for WINO_CHUNK_TILES tiles: the pointwise call packs its
    # weights (six times the layer's) once a chunk, which had cost 7-10% at one sample
    # of 128 tiles.
    p.threads = n_threads if n_threads > 1 else 1
    # Threads that each take chunks share the L3: a quarter of the chunk each (at two
    # threads 0.70-0.80x the direct time where 1024 tiles gave 0.76-1.02x; one thread
    # within 3% either way).
    cdef idx_t share = 4 if p.threads > 1 else 1
    p.chunk = min(n_batch, max(1, min(
        max(WINO_CHUNK_BYTES // share // per_sample,
            (WINO_CHUNK_TILES // share + p.n_tiles - 1) // p.n_tiles),
        WINO_SAMPLE_BYTES // per_sample)))
    # Two threads or more with a sample each: each thread transforms, sums and
    # transforms back chunks of its own, one parallel loop in all. Threads sharing
    # each chunk met at three barriers a chunk (and the pointwise call's own), and
    # waited there on a core the host had taken: the 64-channel TCN layer at two
    # threads ran no faster than at one, 0.6x PyTorch, while the direct route (a
    # sample a thread) scaled.
    # Fewer samples than threads: a sample's tiles in one segment a thread (each pads
    # the whole row, a copy, and transforms its own tiles), when the segments are
    # long enough for the pointwise kernel (WINO_SEGMENT_TILES).
    p.seg, p.n_segs = p.n_tiles, 1
    if p.threads > 1 and n_batch < p.threads:
        if p.n_tiles >= p.threads * WINO_SEGMENT_TILES:
            p.n_segs = p.threads
            # dilated: whole u's of the tiles (u, ph)
            p.seg = (((p.n_tiles + p.n_segs - 1) // p.n_segs + dilation - 1)
                     // dilation * dilation)
            p.n_segs = (p.n_tiles + p.seg - 1) // p.seg
            p.chunk = 1
    p.by_chunk = p.threads > 1 and n_batch * p.n_segs >= p.threads
    if p.by_chunk and p.n_segs == 1:
        p.chunk = min(p.chunk, (n_batch + p.threads - 1) // p.threads)
    # The same number of chunks, of equal samples: a last chunk of 2 samples after one
    # of 14 (75 tiles a sample) gave the pointwise call too few columns for two threads.
    p.n_chunks = (n_batch + p.chunk - 1) // p.chunk
    p.chunk = (n_batch + p.n_chunks - 1) // p.n_chunks
    p.n_chunks = (n_batch + p.chunk - 1) // p.chunk
    p.n_scratch = p.threads if p.by_chunk else 1
    # The padded row (left + length + right <= stride l_out + K - 1, itself < the
    # phases' span + stride; dilated, l_out + (K - 1) d <= d phase_len, the span its
    # tiles read), zeros after it.
    p.b_row = aligned_bytes((stride * dilation * p.phase_len + stride) * itemsize)
    p.b_work = aligned_bytes(length * sizeof(double)) if mode == CC_PAD_MEDIAN else 0
    p.b_phase = aligned_bytes(stride * p.phase_len * itemsize) if stride > 1 else 0
    # (V as column strips, _wino_chunk: the chunk's tiles rounded up to whole strips)
    cdef idx_t cols = tile_positions(active_kernels(), itemsize)
    p.b_v = aligned_bytes(p.pts * c_in * ((p.chunk * p.seg + cols - 1) // cols * cols)
                          * itemsize)
    p.b_m = aligned_bytes(p.chunk * p.pts * c_out * p.seg * itemsize)
    p.o_wp = aligned_bytes(p.pts * c_out * c_in * itemsize)
    p.o_vm = p.o_wp + (aligned_bytes(c_out * c_in * p.r * itemsize) if p.sub > 1 else 0)
    p.o_rows = p.o_vm + p.n_scratch * (p.b_v + p.b_m)
    p.total = (p.o_rows + p.threads * (p.b_row + p.b_work + p.b_phase)
               + 64)     # + 64: align64


cdef int _winograd_forward(const real_t* x, idx_t n_batch, idx_t c_in, idx_t length,
                           const real_t* w, idx_t c_out, idx_t k_size,
                           const real_t* bias_ptr,
                           real_t* y, idx_t l_out, idx_t left, idx_t right, int mode,
                           double pad_value, bint flip, idx_t stride, idx_t dilation,
                           int n_threads) noexcept nogil:
    """The forward of a dense layer by Winograd's F(4, 3), F(5, 4) or F(4, 5)
    (cc_winograd.h; _winograd_pays says which layers):
    per chunk of samples, each channel padded by ``pad_row`` (and, strided, split into
    its ``stride`` phases, each an input channel of a stride-1 layer of
    ``ceil(K / stride)`` taps: the taps ``p, p + stride, ...`` of the layer on the
    phase ``p`` samples; past 5 taps a phase, each run q of r taps the row read from
    sample q r on; dilated, tiled phase by phase of the outputs) and transformed (V),
    the six (eight) pointwise layers V -> M by this module's own forward (a group a
    point: point p's input channels are group p), and M
    transformed back into ``y`` with the bias. float32 results differ from the direct
    route's by rounding only, about 3x its error against a float64 reference (the
    transforms' coefficients up to 8): within PyTorch's own tolerances for a float32
    convolution. CC_OK or CC_ENOMEM."""
    cdef WinoPlan plan
    _wino_plan(&plan, n_batch, c_in, c_out, k_size, stride, dilation, length, l_out,
               mode, sizeof(real_t), n_threads)
    cdef idx_t chunk = plan.chunk, r = plan.r, parts = plan.parts, sub = plan.sub
    cdef idx_t ph, k, o, c, j, q
    cdef int threads = plan.threads
    cdef size_t b_slot = plan.b_row + plan.b_work + plan.b_phase
    cdef size_t b_vm = plan.b_v + plan.b_m
    cdef char* block = <char*>malloc(plan.total)
    if block == NULL:
        return CC_ENOMEM
    cdef char* base = align64(block)
    cdef real_t* u = <real_t*>base
    cdef real_t* wp = <real_t*>(base + plan.o_wp)
    cdef char* slots = base + plan.o_rows
    cdef idx_t n0, ci, t
    cdef int status = CC_OK
    cdef idx_t o_block = (c_out + threads - 1) // threads
    for t in prange(threads, schedule="static", num_threads=threads):
        if sub > 1:
            # the phases' runs of taps: wp[o, (c stride + p) parts + q, j] =
            # w[o, c, stride (q r + j) + p] (taps reversed first when flip; zero past K)
            for o in range(t * o_block, min(c_out, (t + 1) * o_block)):
                for c in range(c_in):
                    for ph in range(stride):
                        for q in range(parts):
                            for j in range(r):
                                k = stride * (q * r + j) + ph
                                wp[(((o * c_in + c) * stride + ph) * parts + q) * r + j] = (
                                    0 if k >= k_size else w[(o * c_in + c) * k_size
                                                            + (k_size - 1 - k if flip else k)])
            if real_t is float:
                cc_wino_weights_f32(wp, c_out, sub * c_in, r, 0, t * o_block,
                                    min(c_out, (t + 1) * o_block), u, plan.isa)
            else:
                cc_wino_weights_f64(wp, c_out, sub * c_in, r, 0, t * o_block,
                                    min(c_out, (t + 1) * o_block), u, plan.isa)
        else:
            if real_t is float:
                cc_wino_weights_f32(w, c_out, c_in, r, flip, t * o_block,
                                    min(c_out, (t + 1) * o_block), u, plan.isa)
            else:
                cc_wino_weights_f64(w, c_out, c_in, r, flip, t * o_block,
                                    min(c_out, (t + 1) * o_block), u, plan.isa)
    for t in range(threads):    # the tail past the padded row: outputs past l_out
        memset(slots + t * b_slot, 0, plan.b_row)
    cdef idx_t n_tiles = plan.n_tiles, seg = plan.seg, n_segs = plan.n_segs
    if plan.by_chunk:
        for ci in prange(plan.n_chunks * n_segs, schedule="dynamic", num_threads=threads):
            t = threadid()
            n0 = (ci // n_segs) * chunk
            status |= _wino_chunk(&plan, x, n0, min(chunk, n_batch - n0), c_in, stride,
                                  length, u, c_out, bias_ptr, y, l_out, left, right,
                                  mode, pad_value, (ci % n_segs) * seg,
                                  min(seg, n_tiles - (ci % n_segs) * seg),
                                  <real_t*>(base + plan.o_vm + t * b_vm),
                                  <real_t*>(base + plan.o_vm + t * b_vm + plan.b_v),
                                  slots + t * b_slot, 1)
    else:
        for ci in range(plan.n_chunks):
            n0 = ci * chunk
            status = _wino_chunk(&plan, x, n0, min(chunk, n_batch - n0), c_in, stride,
                                 length, u, c_out, bias_ptr, y, l_out, left, right, mode,
                                 pad_value, 0, n_tiles, <real_t*>(base + plan.o_vm),
                                 <real_t*>(base + plan.o_vm + plan.b_v), slots, threads)
            if status != CC_OK:
                break
    free(block)
    return CC_ENOMEM if status != CC_OK else CC_OK


cdef bint _wino_prepack = True   # tests compare V written as strips with V packed


def _set_winograd_prepacked(bint on):
    """Whether the Winograd route's input transforms write the pointwise call's column
    strips (else V's rows, which that call packs); returns the previous setting."""
    global _wino_prepack
    cdef bint was = _wino_prepack
    _wino_prepack = on
    return was


cdef bint _pointwise_strips(idx_t c_in, idx_t width, idx_t c_out, idx_t groups,
                            idx_t itemsize, int threads, idx_t* cols) noexcept nogil:
    """Whether _forward_impl runs the one-sample K = 1 layer of ``c_in`` channels,
    ``width`` positions, ``c_out`` outputs and ``groups`` groups (the Winograd route's
    pointwise layers) by column strips in length blocks, the plan that reads a
    prepacked input; ``cols``: the strips' width. The same geometry and plan as that
    call makes."""
    cdef Geometry geo
    cdef Plan plan
    make_geometry(&geo, c_in, width, 0, 0, 1, 1, c_out, c_in // groups, 1, groups, width,
                  active_kernels(), itemsize)
    _make_plan(&plan, &geo, 1, CC_PAD_CONSTANT, itemsize, threads, False)
    cols[0] = geo.cols
    return plan.strips and plan.blocked and not plan.cat and not plan.direct


cdef void _wino_in_strips(const real_t* x, idx_t item, idx_t n0, idx_t nc, idx_t c_in,
                          idx_t length, idx_t left, idx_t right, int mode, real_t value,
                          idx_t t0, idx_t seg, idx_t r, real_t* row, double* work,
                          real_t* v, idx_t n_ch, idx_t cols, int isa) noexcept nogil:
    """wino_in_row into column strips: tile ``tt`` of chunk sample ``n`` is column ``j =
    n seg + tt`` of the pointwise layer, at ``v[((j // cols) n_ch + p c_in + c) cols +
    j % cols]`` for point p (pack_strips' layout, ``n_ch = P c_in`` channels): the
    transform runs a strip's piece of the row at a time, and the pointwise call reads
    V in place instead of copying it into strips block by block (that copy had been
    7 % of a 128 -> 256-channel 5-tap forward)."""
    cdef idx_t n = item // c_in, c = item % c_in, tt = 0, j, cnt
    pad_row(x + ((n0 + n) * c_in + c) * length if length > 0 else x, length, row, left,
            right, mode, value, value, length, length, work)
    cdef real_t* first = row + t0 * cc_wino_step(r)
    j = n * seg
    while tt < seg:
        cnt = min(cols - j % cols, seg - tt)
        if real_t is float:
            cc_wino_in_f32(first + tt * cc_wino_step(r), cnt, r,
                           v + ((j // cols) * n_ch + c) * cols + j % cols, c_in * cols, isa)
        else:
            cc_wino_in_f64(first + tt * cc_wino_step(r), cnt, r,
                           v + ((j // cols) * n_ch + c) * cols + j % cols, c_in * cols, isa)
        tt += cnt
        j += cnt


cdef int _wino_chunk(const WinoPlan* plan, const real_t* x, idx_t n0, idx_t nc,
                     idx_t c_in, idx_t stride, idx_t length, const real_t* u, idx_t c_out,
                     const real_t* bias_ptr, real_t* y, idx_t l_out, idx_t left,
                     idx_t right, int mode, double pad_value, idx_t t0, idx_t seg,
                     real_t* v, real_t* m, char* slots, int threads) noexcept nogil:
    """Tiles ``t0 .. t0 + seg`` (of ``plan.n_tiles`` a sample) of samples ``n0 .. n0 +
    nc`` of _winograd_forward by ``threads``, each with its slot of scratch (padded
    row, work, phase rows) in ``slots``: V, the pointwise sums into M, and y. CC_OK or
    CC_ENOMEM (the pointwise call's workspace)."""
    cdef real_t value = <real_t>pad_value
    cdef idx_t item, t, r = plan.r, c_phases = plan.sub * c_in, cols = 0, ch
    cdef idx_t width = nc * seg, n_ch = plan.pts * c_phases
    cdef size_t b_slot = plan.b_row + plan.b_work + plan.b_phase
    cdef int status
    # A stride-1 undilated layer whose pointwise call goes by column strips has its
    # transforms write the strips (read in place); else V's rows, packed by that call.
    cdef bint strips = (_wino_prepack and stride == 1 and plan.parts == 1 and plan.dil == 1
                        and _pointwise_strips(n_ch, width, plan.pts * c_out, plan.pts,
                                              sizeof(real_t), threads, &cols))
    if strips:
        if threads == 1:
            for item in range(nc * c_in):
                _wino_in_strips(x, item, n0, nc, c_in, length, left, right, mode, value,
                                t0, seg, r, <real_t*>slots,
                                <double*>(slots + plan.b_row), v, n_ch, cols, plan.isa)
        else:
            for item in prange(nc * c_in, schedule="dynamic", chunksize=4,
                               num_threads=threads):
                _wino_in_strips(x, item, n0, nc, c_in, length, left, right, mode, value,
                                t0, seg, r, <real_t*>(slots + threadid() * b_slot),
                                <double*>(slots + threadid() * b_slot + plan.b_row), v,
                                n_ch, cols, plan.isa)
        if width % cols:    # the last strip's columns past the chunk: read, never stored
            for ch in range(n_ch):
                memset(v + ((width // cols) * n_ch + ch) * cols + width % cols, 0,
                       (cols - width % cols) * sizeof(real_t))
    elif threads == 1:
        for item in range(nc * c_in):
            _wino_in_rows(plan, x, item, n0, nc, c_in, stride, length, left, right, mode,
                          value, t0, seg, slots, v)
    else:
        for item in prange(nc * c_in, schedule="dynamic", chunksize=4, num_threads=threads):
            _wino_in_rows(plan, x, item, n0, nc, c_in, stride, length, left, right, mode,
                          value, t0, seg, slots + threadid() * b_slot, v)
    # The chunk's samples side by side, one row of nc x n_tiles a point and channel
    # (a pointwise layer has no halo): whole tiles of the pointwise kernel but at
    # the chunk's end (75 tiles a sample as rows of their own had filled 78% of
    # four 24-column tiles).
    status = _forward_impl(v, 1, n_ch, width, u, plan.pts * c_out,
                           c_phases, 1, <const real_t*>NULL, m, width, 0, 0,
                           CC_PAD_CONSTANT, 0.0, 1, 1, plan.pts, False, threads,
                           NULL, False, strips)
    if status != CC_OK:
        return status
    if threads == 1:
        for item in range(nc * c_out):
            _wino_out_row(m, item, n0, nc, c_out, t0, seg, r, l_out, plan.dil, bias_ptr, y,
                          plan.isa)
    else:
        for item in prange(nc * c_out, schedule="dynamic", chunksize=4, num_threads=threads):
            _wino_out_row(m, item, n0, nc, c_out, t0, seg, r, l_out, plan.dil, bias_ptr, y,
                          plan.isa)
    return CC_OK


cdef inline void _wino_in_rows(const WinoPlan* plan, const real_t* x, idx_t item,
                               idx_t n0, idx_t nc, idx_t c_in, idx_t stride, idx_t length,
                               idx_t left, idx_t right, int mode, real_t value, idx_t t0,
                               idx_t seg, char* slot, real_t* v) noexcept nogil:
    """Channel ``item % c_in`` of chunk sample ``item // c_in`` into V: a stride-1
    layer of r taps by wino_in_row; else the padded row split into its phase rows
    (strided), each read from the start of each run of r taps (``plan.parts`` runs:
    run q from sample q r on), each transformed as input channel ``(c stride + p)
    parts + q`` of the stride-1 layer of r taps."""
    cdef real_t* row = <real_t*>slot
    cdef double* work = <double*>(slot + plan.b_row)
    cdef idx_t parts = plan.parts, r = plan.r
    if stride == 1 and parts == 1 and plan.dil == 1:
        wino_in_row(x, item, n0, nc, c_in, length, left, right, mode, value, t0, seg, r,
                    row, work, v, plan.isa)
        return
    cdef real_t* phases = <real_t*>(slot + plan.b_row + plan.b_work)
    cdef idx_t n = item // c_in, c = item % c_in, width = nc * seg, ph, j, q, ch
    cdef idx_t span = plan.phase_len, first = t0 * cc_wino_step(r)
    cdef idx_t last = first + cc_wino_step(r) * seg + parts * r - 1   # <= span
    cdef idx_t d = plan.dil
    pad_row(x + ((n0 + n) * c_in + c) * length if length > 0 else x, length, row, left,
            right, mode, value, value, length, length, work)
    if d > 1:
        # Dilated: the tiles (u, ph) of each run, read in place (run q from sample
        # q r d on; the segment's first tile t0 = u0 d at sample u0 d step = first).
        for q in range(parts):
            if real_t is float:
                cc_wino_in_dil_f32(row + q * r * d + first, seg // d, r, d,
                                   v + (c * parts + q) * width + n * seg,
                                   plan.sub * c_in * width, plan.isa)
            else:
                cc_wino_in_dil_f64(row + q * r * d + first, seg // d, r, d,
                                   v + (c * parts + q) * width + n * seg,
                                   plan.sub * c_in * width, plan.isa)
        return
    if stride == 1:
        phases, span = row, 0
    elif stride == 2:   # a literal stride: the compiler's interleaved loads
        for j in range(first, last):
            phases[j] = row[2 * j]
            phases[span + j] = row[2 * j + 1]
    else:
        for ph in range(stride):
            for j in range(first, last):
                phases[ph * span + j] = row[stride * j + ph]
    for ph in range(stride):
        for q in range(parts):
            ch = (c * stride + ph) * parts + q
            if real_t is float:
                cc_wino_in_f32(phases + ph * span + q * r + first, seg, r,
                               v + ch * width + n * seg, plan.sub * c_in * width, plan.isa)
            else:
                cc_wino_in_f64(phases + ph * span + q * r + first, seg, r,
                               v + ch * width + n * seg, plan.sub * c_in * width, plan.isa)


cdef void wino_in_row(const real_t* x, idx_t item, idx_t n0, idx_t nc, idx_t c_in,
                      idx_t length, idx_t left, idx_t right, int mode, real_t value,
                      idx_t t0, idx_t seg, idx_t r, real_t* row, double* work,
                      real_t* v, int isa) noexcept nogil:
    """Channel ``item % c_in`` of chunk sample ``item // c_in``: padded into ``row``
    (zeros after it), its tiles ``t0 .. t0 + seg`` transformed into their place in the
    six rows (point p, channel c: row ``p c_in + c`` of the chunk's ``nc seg`` tiles)
    of ``v`` by path ``isa``'s build of the transform."""
    cdef idx_t n = item // c_in, c = item % c_in, width = nc * seg
    pad_row(x + ((n0 + n) * c_in + c) * length if length > 0 else x, length, row, left,
            right, mode, value, value, length, length, work)
    cdef real_t* first = row + t0 * cc_wino_step(r)
    if real_t is float:
        cc_wino_in_f32(first, seg, r, v + c * width + n * seg, c_in * width, isa)
    else:
        cc_wino_in_f64(first, seg, r, v + c * width + n * seg, c_in * width, isa)


cdef inline void _wino_out_row(const real_t* m, idx_t item, idx_t n0, idx_t nc,
                               idx_t c_out, idx_t t0, idx_t seg, idx_t r, idx_t l_out,
                               idx_t dil, const real_t* bias_ptr, real_t* y,
                               int isa) noexcept nogil:
    """Outputs of tiles ``t0 .. t0 + seg`` of output row ``item % c_out`` of chunk
    sample ``item // c_out`` from its products (laid out as wino_in_row's; dilated,
    ``dil`` > 1, as _wino_in_rows': t0 and seg whole u's, tiles (u, ph))."""
    cdef idx_t n = item // c_out, o = item % c_out, width = nc * seg
    cdef idx_t step = cc_wino_step(r), first = t0 * step
    cdef idx_t count = min(l_out - first, seg * step)
    cdef real_t b = bias_ptr[o] if bias_ptr != NULL else 0
    if dil > 1:
        if real_t is float:
            cc_wino_out_dil_f32(m + o * width + n * seg, c_out * width, count, b, r, dil,
                                y + ((n0 + n) * c_out + o) * l_out + first, isa)
        else:
            cc_wino_out_dil_f64(m + o * width + n * seg, c_out * width, count, b, r, dil,
                                y + ((n0 + n) * c_out + o) * l_out + first, isa)
        return
    if real_t is float:
        cc_wino_out_f32(m + o * width + n * seg, c_out * width, count, b, r,
                        y + ((n0 + n) * c_out + o) * l_out + first, isa)
    else:
        cc_wino_out_f64(m + o * width + n * seg, c_out * width, count, b, r,
                        y + ((n0 + n) * c_out + o) * l_out + first, isa)


cdef int _forward_impl(const real_t* x, idx_t n_batch, idx_t c_in, idx_t length,
                       const real_t* w, idx_t c_out, idx_t c_per_group, idx_t k_size,
                       const real_t* bias_ptr, real_t* y, idx_t l_out, idx_t left,
                       idx_t right, int mode, double pad_value, idx_t stride,
                       idx_t dilation, idx_t groups, bint flip, int n_threads,
                       const real_t* given=NULL, bint winograd=False,
                       bint prepacked=False) noexcept nogil:
    """conv1d_forward on raw C-contiguous buffers (n_batch, c_out, l_out >= 1): CC_OK, or
    CC_ENOMEM when the workspace cannot be allocated (raised once the GIL is back).
    ``given`` (not NULL): the left padding's samples, ``(n_batch, c_in, left)``, in
    place of the mode's (a stream's carried input: ``conv1d_stream``). ``winograd``:
    the layer may take the Winograd route (``method="auto"``; _winograd_pays).
    ``prepacked``: ``x`` is one sample of a K = 1 layer already in column strips (the
    caller made this plan's strips: _pointwise_strips says when), read in place."""
    cdef Geometry geo
    cdef Plan plan
    if winograd and given == NULL and _winograd_pays(n_batch, c_in, c_out, k_size, stride,
                                                     dilation, groups, l_out,
                                                     sizeof(real_t)):
        return _winograd_forward(x, n_batch, c_in, length, w, c_out, k_size, bias_ptr, y,
                                 l_out, left, right, mode, pad_value, flip, stride,
                                 dilation, n_threads)
    make_geometry(&geo, c_in, length, left, right, stride, dilation, c_out, c_per_group,
                  k_size, groups, l_out, active_kernels(), sizeof(real_t))
    if geo.left == 0:
        given = NULL
    _make_plan(&plan, &geo, n_batch, mode, sizeof(real_t), n_threads, given != NULL)
    cdef bint by_rows = plan.by_rows, by_sample = plan.by_sample
    cdef idx_t n_items = plan.n_items
    cdef int threads = plan.threads
    cdef size_t b_packed = plan.b_packed, b_row = plan.b_row, b_work = plan.b_work
    cdef size_t b_edge = plan.b_edge
    cdef char* block = <char*>malloc(plan.total)
    if block == NULL:
        return CC_ENOMEM
    cdef char* base = align64(block)
    cdef real_t* weights = <real_t*>(base + plan.o_weights)
    cdef idx_t* offs = <idx_t*>(base + plan.o_offs)
    cdef char* edge = base + plan.o_edge
    cdef char* packed = base + plan.o_packed
    cdef char* row = base + plan.o_row
    cdef char* work = base + plan.o_work
    cdef real_t* edges = <real_t*>(base + plan.o_edges)
    cdef idx_t pads = geo.left + geo.right, n_units, count
    cdef real_t value = <real_t>pad_value
    cdef idx_t n, t, item, unit
    cdef Geometry cat
    cdef const real_t* x_n
    cdef const real_t* given_n = NULL
    cdef idx_t given_stride = c_in * geo.left
    _pack_weights(w, &geo, flip, by_rows, weights, threads)
    if plan.direct:
        # No packing: a long signal is never copied to pad it.
        fill_pair_offsets(offs, 1, geo.k_size, 1, dilation, 0, 1)
        if threads == 1:   # no OpenMP region for small work: it costs microseconds
            for item in range(n_batch * n_items):
                _direct_row_item(&geo, x + (item // n_items) * c_in * length, offs,
                                 weights, bias_ptr,
                                 y + (item // n_items) * c_out * l_out, value,
                                 <real_t*>edge, item % n_items,
                                 given + (item // n_items) * given_stride
                                 if given != NULL else <const real_t*>NULL)
        else:
            # Rows are short work (a depthwise row: ~1 us): handed out in chunks
            # (16 per thread), or the shared counter costs more than the rows
            # (one at a time, two threads took longer than one).
            for item in prange(n_batch * n_items, schedule="dynamic",
                               chunksize=max(1, n_batch * n_items // (16 * threads)),
                               num_threads=threads):
                _direct_row_item(&geo, x + (item // n_items) * c_in * length, offs,
                                 weights, bias_ptr,
                                 y + (item // n_items) * c_out * l_out, value,
                                 <real_t*>(edge + threadid() * b_edge),
                                 item % n_items,
                                 given + (item // n_items) * given_stride
                                 if given != NULL else <const real_t*>NULL)
        free(block)
        return CC_OK
    if plan.cat:
        _cat_offsets(&geo, plan.cat_samples, offs)
        _cat_offsets(&geo, plan.cat_last, offs + geo.n_pairs)
        # Zeroed once: full tiles read the slack after a unit's columns (a smaller last
        # unit leaves earlier samples there: finite, and never stored).
        memset(packed, 0, plan.n_scratch * b_packed)
        if plan.n_cat_units >= threads:
            for unit in prange(plan.n_cat_units, schedule="dynamic", num_threads=threads):
                t = threadid()
                _cat_unit(&geo, &plan, x, <real_t*>(packed + t * b_packed),
                          <real_t*>(row + t * b_row), <double*>(work + t * b_work),
                          <real_t*>(base + plan.o_ycat + t * plan.b_ycat), offs, weights,
                          bias_ptr, y, n_batch, unit, mode, value, given)
            free(block)
            return CC_OK
        # Fewer units than threads: the threads share each unit's items, then its
        # output channels.
        for unit in range(plan.n_cat_units):
            count = _cat_geometry(&geo, &plan, n_batch, unit, &cat)
            _cat_pack(&geo, &plan, x, <real_t*>packed, <real_t*>row, <double*>work,
                      n_batch, unit, mode, value, given)
            for item in prange(_igemm_items(&cat), schedule="dynamic", num_threads=threads):
                _run_items(&cat, False, <real_t*>packed,
                           offs if count == plan.cat_samples else offs + geo.n_pairs,
                           weights, bias_ptr, <real_t*>(base + plan.o_ycat), item,
                           item + 1)
            for item in prange((c_out + 15) // 16, schedule="static", num_threads=threads):
                _cat_scatter(&geo, &plan, <real_t*>(base + plan.o_ycat), y, n_batch, unit,
                             item * 16, min(item * 16 + 16, c_out))
        free(block)
        return CC_OK
    if plan.blocked:
        if plan.strips:
            fill_pair_offsets(offs, geo.c_per_group, 1, 1, 1, geo.cols, 1)
        else:
            fill_pair_offsets(offs, geo.c_per_group, geo.k_size, stride, dilation,
                              plan.block_pitch, geo.phases)
        # Zeroed once: the slack after each packed row is read by full tiles (a later,
        # shorter block leaves earlier samples there: finite, and never stored).
        if not prepacked:
            memset(packed, 0, plan.n_scratch * b_packed)
        n_units = n_batch * plan.n_lblocks
        if not plan.strips and (mode != CC_PAD_CONSTANT or given != NULL):
            for n in prange(n_batch, schedule="static", num_threads=threads):
                t = threadid()
                pad_edges(x + n * c_in * length, edges + n * c_in * pads,
                          <real_t*>(row + t * b_row), &geo, mode, value,
                          <double*>(work + t * b_work), 0, geo.c_in,
                          given + n * given_stride if given != NULL
                          else <const real_t*>NULL)
        # A unit is one length block of one sample: packed, then computed, by
        # one thread, so its packed block stays in that core's L2.
        for unit in prange(n_units, schedule="dynamic", num_threads=threads):
            t = threadid()
            n = unit // plan.n_lblocks
            _run_block(&geo, &plan, x + n * c_in * length,
                       <real_t*>(packed + t * b_packed), edges + n * c_in * pads,
                       offs, weights, bias_ptr, y + n * c_out * l_out,
                       unit % plan.n_lblocks, mode, value, given != NULL, prepacked)
        free(block)
        return CC_OK
    fill_pair_offsets(offs, geo.c_per_group, geo.k_size, stride, dilation, geo.pitch,
                      geo.phases)
    # Zeroed once: the slack after each packed row is read by full tiles, never written.
    memset(packed, 0, plan.n_scratch * b_packed)
    if by_sample:
        if threads == 1:
            for n in range(n_batch):
                x_n = x + n * c_in * length if length > 0 else <const real_t*>NULL
                pack_channels(x_n, <real_t*>packed, <real_t*>row, &geo, 0, geo.c_in,
                              mode, value, <double*>work,
                              given + n * given_stride if given != NULL
                              else <const real_t*>NULL)
                _run_items(&geo, by_rows, <real_t*>packed, offs, weights, bias_ptr,
                           y + n * c_out * l_out, 0, n_items)
        else:
            for n in prange(n_batch, schedule="dynamic", num_threads=threads):
                t = threadid()
                x_n = x + n * c_in * length if length > 0 else <const real_t*>NULL
                given_n = (given + n * given_stride if given != NULL
                           else <const real_t*>NULL)
                pack_channels(x_n, <real_t*>(packed + t * b_packed),
                              <real_t*>(row + t * b_row), &geo, 0, geo.c_in, mode,
                              value, <double*>(work + t * b_work), given_n)
                _run_items(&geo, by_rows, <real_t*>(packed + t * b_packed), offs,
                           weights, bias_ptr, y + n * c_out * l_out, 0, n_items)
        free(block)
        return CC_OK
    # Fewer samples than threads (one long signal, one example): split each sample.
    for n in range(n_batch):
        x_n = x + n * c_in * length if length > 0 else <const real_t*>NULL
        pack_channels(x_n, <real_t*>packed, <real_t*>row, &geo, 0, geo.c_in, mode,
                      value, <double*>work, given + n * given_stride if given != NULL
                      else <const real_t*>NULL)
        for item in prange(n_items, schedule="dynamic", num_threads=threads):
            _run_items(&geo, by_rows, <real_t*>packed, offs, weights, bias_ptr,
                       y + n * c_out * l_out, item, item + 1)
    free(block)
    return CC_OK


# ---------------------------------------------------------------------------------------
# the signal functions' fast path

cdef object _F32 = np.dtype(np.float32)
cdef object _F64 = np.dtype(np.float64)
cdef object _np_empty = np.empty   # per small call: no module attribute lookup


cdef int _signal_run(const real_t* a, idx_t n, const real_t* v, idx_t m, real_t* y,
                     idx_t length, idx_t offset, bint correlate, int n_threads) except -1:
    """The kernel call; 1 (nothing computed) when the kernel ``v`` holds NaN or inf."""
    cdef idx_t i
    for i in range(m):
        if not isfinite(v[i]):
            return 1
    # y[j] = full[j + offset], full[t] = sum_k a[t - k] v[k]: output j of a correlation
    # of a, padded by m - 1 - offset on the left, with v reversed (correlate: v itself).
    cdef int status
    if 2.0 * length * m < NOGIL_MIN_FLOPS:
        status = _forward_impl(a, 1, 1, n, v, 1, 1, m, NULL, y, length, m - 1 - offset,
                               max(offset + length - n, 0), CC_PAD_CONSTANT, 0.0, 1, 1, 1,
                               not correlate, n_threads)
    else:
        with nogil:
            status = _forward_impl(a, 1, 1, n, v, 1, 1, m, NULL, y, length,
                                   m - 1 - offset, max(offset + length - n, 0),
                                   CC_PAD_CONSTANT, 0.0, 1, 1, 1, not correlate, n_threads)
    return check_status(status, "convolve")


cdef bint plain_buffer(object arr, Py_buffer* view, Py_ssize_t itemsize) except -1:
    """Export ``arr``'s buffer when it is 1-D, C-contiguous and aligned with items of
    ``itemsize`` bytes (True; the caller releases it), else False. Raw exports: a typed
    memoryview's format parsing and object cost more than a small call's arithmetic."""
    try:
        PyObject_GetBuffer(arr, view, PyBUF_C_CONTIGUOUS)
    except (BufferError, ValueError):
        return False      # not contiguous: numpy refuses the export
    if view.ndim == 1 and view.itemsize == itemsize and (<size_t>view.buf) % itemsize == 0:
        return True
    PyBuffer_Release(view)
    return False


def signal_direct(a, v, mode, axis, method, bint correlate, idx_t auto_max_macs,
                  int n_threads, idx_t lag_first=0, idx_t lag_count=-1):
    """``convolve`` (or ``correlate``) of one signal by the direct method, for the common
    case only: ``a`` and ``v`` 1-D, C-contiguous, aligned ndarrays of one native float
    dtype, ``axis`` -1 or 0, a valid ``mode``, and ``method`` "direct", or "auto" with at
    most ``auto_max_macs`` multiply-adds (where the direct method is the faster one).
    Returns None for anything else, which the general path then validates, and when
    the shorter operand (the kernel slid over the other) holds NaN or inf: the general
    path keeps those off the zero edges, where the block kernel would multiply them by
    0. For a small signal the general path's Python costs several times the
    arithmetic; this is the whole call in compiled code, on raw buffer exports.
    ``n_threads`` <= 0: the number of threads is asked of
    :func:`cconv1d.get_num_threads` only when the work is large enough to be split (the
    question costs an affinity query, 0.3 us, a quarter of a small call).
    ``lag_count`` >= 0 (``correlate`` only): the lags ``lag_first ..`` of that many
    outputs instead of ``mode``'s window (index ``i`` of the full correlation holds lag
    ``i - (len(v) - 1)``; lags without overlap are 0), "auto" then bounding the
    multiply-adds of those lags, and a window far wider than the signals declines (the
    general path checks its size).
    """
    cdef idx_t max_macs
    if type(method) is not str or type(mode) is not str:
        return None
    if method == "auto":
        max_macs = auto_max_macs
    elif method == "direct":
        max_macs = -1
    else:
        return None
    if type(a) is not np.ndarray or type(v) is not np.ndarray:
        return None
    dtype = a.dtype
    if v.dtype is not dtype or (dtype is not _F64 and dtype is not _F32):
        return None
    if type(axis) is not int or not (axis == -1 or axis == 0):
        return None
    cdef Py_ssize_t itemsize = 8 if dtype is _F64 else 4
    cdef Py_buffer ab, vb, yb
    cdef bint have_a = False, have_v = False, have_y = False
    cdef idx_t n, m, offset, length
    cdef int declined = 1
    cdef const char* ap
    cdef const char* vp
    try:
        have_a = plain_buffer(a, &ab, itemsize)
        have_v = have_a and plain_buffer(v, &vb, itemsize)
        if not have_v:
            return None
        n, m = ab.shape[0], vb.shape[0]
        if n == 0 or m == 0:
            return None
        if lag_count >= 0:
            offset, length = lag_first + m - 1, lag_count
            if (not correlate or length == 0 or length > 2 * (n + m) + 64
                    or (max_macs >= 0 and length > max_macs // min(n, m))):
                return None
        else:
            if max_macs >= 0 and n > max_macs // m:
                return None
            output_window(n, m, mode, correlate, &offset, &length)
            if length < 0:
                return None
        if n_threads <= 0:
            n_threads = 1
            if 2.0 * length * min(n, m) >= PARALLEL_MIN_FLOPS:
                n_threads = _threads.get_num_threads()
        ap, vp = <const char*>ab.buf, <const char*>vb.buf
        if m > n:
            # Slide the shorter operand over the longer one: (n+m-1)*n multiply-adds,
            # not (n+m-1)*m. Convolution commutes; a correlation is the convolution
            # with v reversed, which then becomes the signal.
            if correlate:
                reversed_v = np.ascontiguousarray(v[::-1])
                PyBuffer_Release(&vb)
                have_v = False
                PyObject_GetBuffer(reversed_v, &vb, PyBUF_C_CONTIGUOUS)
                have_v = True
                ap, vp = <const char*>vb.buf, <const char*>ab.buf
            else:
                ap, vp = vp, ap
            n, m = m, n
            correlate = False
        y = _np_empty(length, dtype)
        PyObject_GetBuffer(y, &yb, PyBUF_C_CONTIGUOUS | PyBUF_WRITABLE)
        have_y = True
        if dtype is _F64:
            declined = _signal_run[double](<const double*>ap, n, <const double*>vp, m,
                                           <double*>yb.buf, length, offset, correlate,
                                           n_threads)
        else:
            declined = _signal_run[float](<const float*>ap, n, <const float*>vp, m,
                                          <float*>yb.buf, length, offset, correlate,
                                          n_threads)
    finally:
        if have_y:
            PyBuffer_Release(&yb)
        if have_v:
            PyBuffer_Release(&vb)
        if have_a:
            PyBuffer_Release(&ab)
    return None if declined else y


# ---------------------------------------------------------------------------------------
# conv1d's fast path

cdef int _conv1d_run(const ConvArgs* a, object x, object w, object b, object y, bint flip,
                     int n_threads, bint winograd, real_t dummy) except -1:
    """Typed views of the fast route's arrays and the kernel call; -2 if ``y`` overlaps
    an input (the general route then explains)."""
    cdef const real_t[:, :, ::1] x3
    cdef const real_t[:, ::1] x2
    cdef const real_t[:, :, ::1] wv = w
    cdef const real_t[::1] bv
    cdef real_t[:, :, ::1] y3
    cdef real_t[:, ::1] y2
    cdef const real_t* xp
    cdef const real_t* bp = NULL
    cdef real_t* yp
    if a.batched:
        x3 = x
        y3 = y
        xp, yp = &x3[0, 0, 0], &y3[0, 0, 0]
    else:
        x2 = x
        y2 = y
        xp, yp = &x2[0, 0], &y2[0, 0]
    if b is not None:
        bv = b
        bp = &bv[0]
    # All four are C-contiguous: they overlap exactly when their byte ranges do.
    cdef const char* lo = <const char*>yp
    cdef const char* hi = <const char*>(yp + a.n_batch * a.c_out * a.l_out)
    if ((<const char*>xp < hi and lo < <const char*>(xp + a.n_batch * a.c_in * a.length))
            or (<const char*>&wv[0, 0, 0] < hi and lo < <const char*>(
                &wv[0, 0, 0] + a.c_out * a.c_per_group * a.k_size))
            or (bp != NULL and <const char*>bp < hi and lo < <const char*>(bp + a.c_out))):
        return -2
    cdef int status
    if 2.0 * a.n_batch * a.c_out * a.l_out * a.c_per_group * a.k_size < NOGIL_MIN_FLOPS:
        status = _forward_impl(xp, a.n_batch, a.c_in, a.length, &wv[0, 0, 0], a.c_out,
                               a.c_per_group, a.k_size, bp, yp, a.l_out, a.left, a.right,
                               a.code, a.value, a.stride, a.dilation, a.groups, flip,
                               n_threads, NULL, winograd)
    else:
        with nogil:
            status = _forward_impl(xp, a.n_batch, a.c_in, a.length, &wv[0, 0, 0], a.c_out,
                                   a.c_per_group, a.k_size, bp, yp, a.l_out, a.left,
                                   a.right, a.code, a.value, a.stride, a.dilation,
                                   a.groups, flip, n_threads, NULL, winograd)
    return check_status(status, "conv1d")


def conv1d_fast(x, w, b, stride, padding, dilation, groups, padding_mode, pad_value,
                bint flip, out, int n_threads, idx_t max_span, bint winograd=False):
    """The whole of :func:`cconv1d.conv1d` in compiled code for the common call, or None.

    The spec layer's typed route (``_spec.fast_conv1d_args``) checks the arguments and
    fills the call's record; this adds ``out`` (if given: exactly right, else None) and
    runs the kernel. Everything else returns None and goes through the general route,
    which validates and explains.
    """
    cdef ConvArgs a
    if not fast_conv1d_args(x, w, b, stride, padding, dilation, groups, padding_mode,
                            pad_value, max_span, &a):
        return None
    if a.batched:
        expected = (a.n_batch, a.c_out, a.l_out)
    else:
        expected = (a.c_out, a.l_out)
    dtype = x.dtype
    if out is None:
        y = np.empty(expected, dtype=dtype)
    elif (type(out) is np.ndarray and out.dtype is dtype and out.flags.c_contiguous
            and out.flags.aligned and out.flags.writeable and out.shape == expected):
        y = out
    else:
        return None
    cdef int status
    if dtype is _F32:
        status = _conv1d_run[float](&a, x, w, b, y, flip, n_threads, winograd, 0)
    else:
        status = _conv1d_run[double](&a, x, w, b, y, flip, n_threads, winograd, 0)
    return y if status == 0 else None


# The float and double specialisations, by dtype.char. Callers index these instead of
# calling the fused function: Cython's run-time dispatch costs microseconds per call and
# asks read-only buffers for write access when it inspects their dtype.
FORWARD = {"f": conv1d_forward["float"], "d": conv1d_forward["double"]}
