"""Backward kernels: input gradient (also conv_transpose1d), weight and bias gradients.

Input gradient. ``y[o, j] = sum_c sum_k w[o, c, k] xp[c, j*s + k*d]`` is linear in
the padded input ``xp``; its transpose is itself a correlation, computed by the forward
kernels (PERF.md section 3). Padded position ``i = q*s + rho`` receives
``dy[o, j]`` only from taps with ``(k*d) % s == rho``, at ``j = q - (k*d) // s``. So for
each phase ``rho`` the gradient row is

    dxp_rho[c, q] = sum over pairs (o, k) with (k*d) % s == rho of
                    w[o, c, k] * dyp[o, q + P0 - (k*d) // s]

where ``dyp`` is ``dy`` with ``P0 = ((K-1)*d) // s`` zeros in front: the same indirect
``igemm``/``irow`` kernels as the forward pass, with input channels as output rows and
no multiplication by inserted zeros. The phases are interleaved back into one padded
row, which the padding module's adjoint ``pad_row_backward`` folds onto the ``L`` real
samples (reflected, wrapped or statistic-padded positions send their gradient back to
where their values came from). ``conv_transpose1d`` is this with constant padding: its
cropping by ``padding`` is exactly the adjoint of zero padding.

Weight gradient. ``dW[o, c, k] = sum_n sum_j dy[n, o, j] * packed[n][offs(c, k) + j]``
over the forward pass's packed samples (unstrided layers on ``wgemm``: the samples
where they are, the outputs next to the padding gathered apart): a GEMM reducing
along ``j``, computed by the
``wgrad`` kernel in blocks of the path's wr x wc; each call's vector partial sums (at
most W_CHUNK positions, in the working precision) are widened, summed across lanes and
added to float64 accumulators, so float32 results keep float64's accuracy. Each
thread owns a fixed range of ``dW`` blocks for the whole call, packs the samples it
needs itself, and adds the samples in order: every entry is summed in the same order
whatever the thread count, so results are deterministic. The bias gradient sums ``dy``
in float64.
"""

from cython.parallel cimport prange, threadid
from libc.stdlib cimport malloc, free
from libc.string cimport memcpy, memset

from cconv1d._typedefs cimport real_t, idx_t
from cconv1d._spec cimport CC_ENOMEM, CC_OK, ConvArgs, ConvSpec, check_status
from cconv1d._padding cimport (pad_row_backward, CC_PAD_CONSTANT, CC_PAD_MEDIAN,
                               CC_PAD_ANTIREFLECT)
from cconv1d._forward cimport (Geometry, make_geometry, phase_rows, pack_channels, run_igemm,
                               wino_in_row, winograd_min_channels,
                               igemm_items, im2col,
                               pack_block, pad_edges, c_packed_pitch, fill_pair_offsets, aligned_bytes,
                               align64, place, WHOLE_SAMPLE_BYTES, BLOCK_BYTES,
                               PAIR_BLOCK, ROW_GROUP, LONG_REDUCTION)
from cconv1d._kernels cimport (cc_kernels_t, active_kernels, igemm, igemm_ilv, irow, wgrad,
                               wgemm, rowsum, tile_positions, column_block, vector_lanes,
                               pack_transposed, strip_out)

import threading

from cconv1d import _forward
from cconv1d._spec import conv1d_spec

import numpy as np

cdef double PARALLEL_MIN_FLOPS = 4e6   # as in _forward: below it, one thread

cdef enum:
    ROW_BLOCK = 4096
    W_CHUNK = 1024        # positions per wgrad call: its dy and packed rows stay in L2
    DY_ROWS_PITCH = 1040  # a copied dy row of a chunk: W_CHUNK and a line, off 4 KiB
    L1_TILE_BYTES = 32768 # the input gradient splits its pairs in PAIR_BLOCK chunks
                          # only where a tile's dy columns of all pairs overflow this
    SLACK_CAT = 8         # as _forward's SLACK: zeroed columns after a packed row
    BIAS_ROWS = 16        # channels per bias item: read as one run of rows per sample
    GRAD_WHOLE_BYTES = 2 << 20   # the input gradient's WHOLE_SAMPLE_BYTES (dy and dx
    GRAD_BLOCK_BYTES = 1 << 19   # rows) and BLOCK_BYTES: 4/2 MiB ran batch-1 at 154
                                 # GFLOP/s, 1/1 deep-channels at 189, these at 175/195
    PANEL_BYTES = 524288  # wgemm: a chunk's panels of a group's dy rows, at most (L2)
    PANEL_MIN_CHUNK = 256 # ... unless that leaves fewer positions than this per call
    WGRAD_PARTS = 4       # a long sample's length blocks in at most this many parts,
    PARTS_ACC_BYTES = 1 << 18  # each with its own accumulators while they fit this
    BATCH_PARTS = 2       # a batch's samples (or groups of them) in this many parts,
    BATCH_ACC_BYTES = 1 << 20  # each with its own accumulators while one fits this
    WGEMM_CAT_L = 64      # wgemm concatenates samples of fewer outputs than this
    E_CAP = 64            # read in place: outputs next to the padding summed per call,
    IN_PLACE_MIN = 65536  # and only calls of this many input samples when padded (a
                          # 4 -> 8 channel layer of 128 samples: 0.9x, the call's cost)
    COLS_BYTES = 1 << 18  # the input gradient's cols route: a unit's (c, k) rows, at most
    COLS_MAX_BYTES = 1 << 22  # ... and at most this for two tiles of columns
    O_TILE = 16           # rows of w a weight packing sweeps together
    WCOLS_UNITS = 2       # the weight gradient of short outputs: im2col "samples" (the
    WCOLS_BYTES = 16 << 20  # K = 1 kernel's batch parts), while their columns fit this
    STRIP_ROWS = 16       # wgemm's rows (pairs) a tile, at most (mr: 4 or 8 today)
    EPILOGUE_O = 16       # wgemm's dW transposed in tiles of 16 channels x 64 pairs
    EPILOGUE_Q = 64



# ---------------------------------------------------------------------------------------
# input gradient

cdef struct GradGeometry:
    idx_t c_in, length, left, right, padded, stride
    idx_t phases          # min(stride, padded): phases holding positions (others empty)
    idx_t c_out, l_out, groups, c_per_group, o_per_group
    idx_t lead            # P0: zeros in front of each dy row
    idx_t dy_pitch        # row pitch of the padded dy
    idx_t phase_len       # longest phase row of the padded gradient
    idx_t q0, q_count     # the phase-row positions [q0, q0 + q_count) being computed
    idx_t dxph_pitch      # row pitch of the phase rows of the gradient being computed
    idx_t c_blocks        # mr-row input-channel blocks per group (with ilv: blocks of
                          # mr / stride channels, all their phases in one tile)
    bint ilv              # the phases by igemm_ilv, straight into dx (GradPlan.ilv)
    idx_t row_group       # channel blocks per work item (ROW_GROUP or 1)
    idx_t pair_block      # pairs per igemm call (PAIR_BLOCK, or all of them)
    const cc_kernels_t* kern   # the descriptor of this call, its igemm tile mr x cols,
    idx_t mr, cols, col_block  # and positions per work item (whole tiles)


cdef void _grad_phase_items(const GradGeometry* geo, bint by_rows, const real_t* dyp,
                            const idx_t* offs, const idx_t* phase_offs,
                            const idx_t* phase_pairs, const real_t* weights,
                            const idx_t* phase_weights, real_t* dxph, idx_t first,
                            idx_t last, const real_t* bias) noexcept nogil:
    """Items (phase, group, column block, group of row_group channel blocks) [or (phase,
    channel, row block)] of phase-row positions [q0, q0 + q_count) of one sample; dxph
    is (C_in, phases, dxph_pitch) and ``dyp`` the padded dy from position q0 on. With
    ``geo.ilv`` the items have no phase (phase 0's pairs serve all), a tile's rows are
    the phases of mr / stride channels, and dxph is the sample's dx: igemm_ilv stores
    positions t = s*q + rho - left within [0, L) there, interleaved.

    As in the forward: pair chunk, then column tile, then channel block innermost, so a
    tile's dy columns of one chunk stay in L1 while the blocks' weight panels stream from
    L2 (one block per item over all pairs reloaded them from L2 for every block: deep
    channels' input gradient ran at 187 GFLOP/s against the forward's 206 on Sapphire
    Rapids). A chunk's partial sums go through the output and back, unchanged in value,
    so the chunking changes no result bit. ``bias`` (not NULL: conv_transpose1d's, one
    per input channel) starts every sum, as the forward's bias does: the phase rows'
    padding positions get it too, and constant padding's adjoint drops them."""
    cdef idx_t item, rho, rest, g, b, b0, b1, c, c0, rows, j, j0, j1, n_cols, n_pairs, cols
    cdef idx_t pc, n_chunk, c_groups = _grad_row_groups(geo)
    cdef idx_t s = geo.stride, q_len, mr = geo.mr, col_block = geo.col_block
    cdef const real_t* panel
    cdef real_t* out
    cols = geo.cols
    n_cols = ((geo.q_count + col_block - 1) // col_block if not by_rows
              else (geo.q_count + ROW_BLOCK - 1) // ROW_BLOCK)
    for item in range(first, last):
        if by_rows:
            rho = item // (geo.c_in * n_cols)
            rest = item % (geo.c_in * n_cols)
            c = rest // n_cols
            j0 = (rest % n_cols) * ROW_BLOCK
        else:
            rho = item // (geo.groups * n_cols * c_groups)
            rest = item % (geo.groups * n_cols * c_groups)
            g = rest // (n_cols * c_groups)
            j0 = ((rest // c_groups) % n_cols) * col_block
            b0 = (rest % c_groups) * geo.row_group
            b1 = min(b0 + geo.row_group, geo.c_blocks)
        # Phase rho holds the padded positions rho, rho + s, ...: q_len of them.
        q_len = min((geo.padded - rho + s - 1) // s - geo.q0, geo.q_count)
        n_pairs = phase_pairs[rho]
        if by_rows:
            j1 = min(j0 + <idx_t>ROW_BLOCK, q_len)
            if j1 <= j0:
                continue
            g = c // geo.c_per_group
            out = dxph + (c * geo.phases + rho) * geo.dxph_pitch
            irow(geo.kern, dyp + g * geo.o_per_group * geo.dy_pitch + j0, offs + phase_offs[rho],
                 n_pairs, weights + phase_weights[rho] + c * n_pairs, out + j0, j1 - j0,
                 0, bias[c] if bias != NULL else 0)
        else:
            j1 = min(j0 + col_block, q_len)
            if j1 <= j0:
                continue
            pc = 0
            while pc == 0 or pc < n_pairs:    # once with no pairs: the block is zeros
                n_chunk = min(geo.pair_block, n_pairs - pc)
                j = j0
                while j < j1:
                    for b in range(b0, b1):
                        panel = (weights + phase_weights[rho]
                                 + ((g * geo.c_blocks + b) * n_pairs + pc) * mr)
                        if geo.ilv:
                            # the s phases of channels c0.. in one tile, into dx
                            c0 = g * geo.c_per_group + b * (mr // s)
                            rows = s * min(mr // s, geo.c_per_group - b * (mr // s))
                            igemm_ilv(geo.kern,
                                      dyp + g * geo.o_per_group * geo.dy_pitch + j,
                                      offs + pc, n_chunk, panel, dxph + c0 * geo.length,
                                      geo.length, rows, min(cols, j1 - j), pc > 0,
                                      bias + c0 if bias != NULL and pc == 0
                                      else <const real_t*>NULL, s,
                                      s * (geo.q0 + j) - geo.left, geo.length)
                            continue
                        c0 = g * geo.c_per_group + b * mr
                        rows = min(mr, geo.c_per_group - b * mr)
                        out = dxph + (c0 * geo.phases + rho) * geo.dxph_pitch
                        igemm(geo.kern, dyp + g * geo.o_per_group * geo.dy_pitch + j,
                              offs + phase_offs[rho] + pc, n_chunk, panel, out + j,
                              geo.phases * geo.dxph_pitch, rows, min(cols, j1 - j),
                              pc > 0, bias + c0 if bias != NULL and pc == 0
                              else <const real_t*>NULL)
                    j += cols
                pc += geo.pair_block


cdef bint _use_ilv = True   # tests compare the two routes (_set_interleaved_store)


def _set_interleaved_store(bint on):
    """Test hook: whether strided input gradients may take igemm_ilv (default True);
    returns the previous setting."""
    global _use_ilv
    cdef bint was = _use_ilv
    _use_ilv = on
    return was


cdef struct PanelJob:
    # The input gradient's weight panels of one phase range (_panel_tile)
    bint flip
    idx_t stride, dilation, mr, n_pairs, n_taps, blocks
    idx_t rows          # channels per block
    idx_t row_step      # a channel's rows apart in a panel (1, or the stride with ilv)
    idx_t phase_row     # 1: phase rho adds rho to the row (ilv); 0: one phase
    idx_t rho0, rho1    # the phases packed


cdef void _panel_tile(const real_t[:, :, ::1] w, idx_t g, idx_t o0, const PanelJob* job,
                      real_t* wts) noexcept nogil:
    """Rows o0 .. o0 + O_TILE of w (group g) into every block's panel: block b, pair
    ``o * n_taps + j`` (o within the group, j-th tap of phase rho in k order), row
    ``c * row_step + phase_row * rho`` for block channel c. O_TILE rows at a time, swept
    block by block: reads run along O_TILE rows (streams the prefetcher follows) and
    each block's writes are one run. (Pair by pair, the writes strode a block apart;
    block by block over all rows, each read missed: 2 ns a weight either way, 40 % of
    a batch-1 512-channel upsampler. A division per tap for (k*d) % s cost as much.)"""
    # The job's fields in locals: the stores to wts could alias them, and read through
    # the pointer they were reloaded for every weight.
    cdef idx_t c_per_group = w.shape[1], k_size = w.shape[2], n_taps = job.n_taps
    cdef idx_t o_per_group = job.n_pairs // n_taps if n_taps > 0 else 0
    cdef idx_t s = job.stride, step = job.dilation % job.stride, mr = job.mr
    cdef idx_t rows = job.rows, row_step = job.row_step, phase_row = job.phase_row
    cdef idx_t rho0 = job.rho0, rho1 = job.rho1, blocks = job.blocks
    cdef idx_t pair_stride = job.n_pairs * mr
    cdef bint flip = job.flip
    cdef idx_t o1 = min(o0 + O_TILE, o_per_group), b, o, rho, k, jj, phase, tap, c, channel
    cdef idx_t c_end
    cdef const real_t* w_o
    cdef real_t* blk
    cdef real_t* dst
    for b in range(blocks):
        blk = wts + (g * blocks + b) * pair_stride
        c_end = min(rows, c_per_group - b * rows)   # the block's real channels
        for o in range(o0, o1):
            w_o = &w[g * o_per_group + o, 0, 0] + b * rows * k_size
            for rho in range(rho0, rho1):
                jj = 0
                phase = 0         # (k*d) % s, kept without a division
                for k in range(k_size):
                    if k > 0:
                        phase += step
                        if phase >= s:
                            phase -= s
                    if phase != rho:
                        continue
                    tap = k_size - 1 - k if flip else k
                    dst = blk + (o * n_taps + jj) * mr + phase_row * rho
                    for c in range(c_end):
                        dst[c * row_step] = w_o[c * k_size + tap]
                    for c in range(max(c_end, 0), rows):
                        dst[c * row_step] = 0
                    jj += 1


cdef void _panel_jobs(const real_t[:, :, ::1] w, idx_t groups, bint flip, idx_t stride,
                      idx_t dilation, idx_t mr, idx_t n_pairs, idx_t n_taps, idx_t blocks,
                      idx_t rows, idx_t row_step, idx_t phase_row, idx_t rho0, idx_t rho1,
                      real_t* wts, int threads) noexcept nogil:
    """_panel_tile (PanelJob's fields as arguments) over every group and tile of O_TILE
    rows of w: by the call's threads for wide weights (the tiles write disjoint pairs
    of every block)."""
    cdef PanelJob job
    job.flip = flip
    job.stride = stride
    job.dilation = dilation
    job.mr = mr
    job.n_pairs = n_pairs
    job.n_taps = n_taps
    job.blocks = blocks
    job.rows = rows
    job.row_step = row_step
    job.phase_row = phase_row
    job.rho0 = rho0
    job.rho1 = rho1
    cdef idx_t o_per_group = w.shape[0] // groups
    cdef idx_t tiles = (o_per_group + O_TILE - 1) // O_TILE, item
    if threads > 1 and w.shape[0] * w.shape[1] * w.shape[2] >= 65536:
        for item in prange(groups * tiles, schedule="static", num_threads=threads):
            _panel_tile(w, item // tiles, (item % tiles) * O_TILE, &job, wts)
    else:
        for item in range(groups * tiles):
            _panel_tile(w, item // tiles, (item % tiles) * O_TILE, &job, wts)


cdef idx_t _ilv_panels(const real_t[:, :, ::1] w, idx_t groups, bint flip, idx_t stride,
                       idx_t dilation, idx_t mr, idx_t n_pairs,
                       real_t* wts, int threads) noexcept nogil:
    """igemm_ilv's weight panels: per group and block of mr / stride channels, per pair
    (o, j) in phase 0's order (o-major, then its taps ascending), mr rows (channel,
    phase), row c*stride + rho holding the j-th tap of phase rho. Returns the blocks
    per group."""
    cdef idx_t c_out = w.shape[0], c_per_group = w.shape[1], k_size = w.shape[2]
    cdef idx_t o_per_group = c_out // groups, cpb = mr // stride
    cdef idx_t blocks = (c_per_group + cpb - 1) // cpb
    cdef idx_t n_taps = n_pairs // o_per_group if o_per_group > 0 else 0
    # a block's channels: mr / stride, each with its s phases at rows c*stride + rho
    _panel_jobs(w, groups, flip, stride, dilation, mr, n_pairs, n_taps, blocks, cpb,
                stride, 1, 0, stride, wts, threads)
    return blocks


cdef void _interleave_samples(const GradGeometry* geo, const real_t* phases,
                              real_t* dx) noexcept nogil:
    """dx[t] = padded position left + t of the phase rows ``phases`` (``stride`` rows of
    pitch phase_len): sample ``s*u + r`` is phase row (left + r) % s at (left + r) // s
    + u, so the loops store contiguously."""
    cdef idx_t s = geo.stride, n = geo.length, u, r, n_whole = geo.length // geo.stride
    cdef const real_t* p
    cdef const real_t* ph[4]
    if 2 <= s <= 4:
        # the common strides as counted loops with a constant stride, which the compiler
        # vectorises (interleaving shuffles); the loop below, one phase at a time with
        # strided stores, was a sixth of a stride-4 upsampler's time
        for r in range(s):
            ph[r] = phases + ((geo.left + r) % s) * geo.phase_len + (geo.left + r) // s
        if s == 2:
            for u in range(n_whole):
                dx[2 * u] = ph[0][u]
                dx[2 * u + 1] = ph[1][u]
        elif s == 3:
            for u in range(n_whole):
                dx[3 * u] = ph[0][u]
                dx[3 * u + 1] = ph[1][u]
                dx[3 * u + 2] = ph[2][u]
        else:
            for u in range(n_whole):
                dx[4 * u] = ph[0][u]
                dx[4 * u + 1] = ph[1][u]
                dx[4 * u + 2] = ph[2][u]
                dx[4 * u + 3] = ph[3][u]
        for r in range(n - n_whole * s):
            dx[n_whole * s + r] = ph[r][n_whole]
        return
    for r in range(min(s, n)):
        if (geo.left + r) % s >= geo.phases:
            u = 0           # a phase no tap reaches (a stride past the span): zeros
            while s * u + r < n:
                dx[s * u + r] = 0
                u += 1
            continue
        p = phases + ((geo.left + r) % s) * geo.phase_len + (geo.left + r) // s
        u = 0
        while s * u + r < n:
            dx[s * u + r] = p[u]
            u += 1


cdef void _fold_channels(const GradGeometry* geo, real_t* dxph, real_t* row,
                         real_t* dx, const real_t* x, int mode, real_t* fold,
                         double* stat_work, idx_t c_first, idx_t c_last) noexcept nogil:
    """Interleave the phases of channels [c_first, c_last) into a padded row and fold it
    onto the samples with the padding's adjoint."""
    cdef idx_t c, rho, q, i, s = geo.stride
    cdef const real_t* src
    for c in range(c_first, c_last):
        if s == 1:
            src = dxph + c * geo.phase_len
        elif mode == CC_PAD_CONSTANT:
            # Constant padding's adjoint drops the padding: the phases go straight to
            # their samples (a padded row and a copy of it cost a sixth of an upsampler).
            _interleave_samples(geo, dxph + c * geo.phases * geo.phase_len,
                                dx + c * geo.length)
            continue
        else:
            if geo.phases < min(s, geo.padded):
                # phases no tap reaches: zeros
                memset(row, 0, geo.padded * sizeof(real_t))
            for rho in range(geo.phases):
                q = 0
                i = rho
                while i < geo.padded:
                    row[i] = dxph[(c * geo.phases + rho) * geo.phase_len + q]
                    q += 1
                    i += s
            src = row
        pad_row_backward(src, geo.length, dx + c * geo.length, geo.left, geo.right, mode,
                         x + c * geo.length if x != NULL else <const real_t*>NULL,
                         geo.length, geo.length, fold, stat_work)


cdef void _phase_tables(const real_t[:, :, ::1] w, idx_t groups, bint flip, bint by_rows,
                        idx_t stride, idx_t dilation, idx_t lead, idx_t dy_pitch,
                        idx_t phases, idx_t mr, idx_t* offs, idx_t* starts,
                        real_t* wts, bint with_weights, int threads) noexcept nogil:
    """Per phase: pair offsets into the padded dy and weights in kernel order.

    Phase rho's pairs are (o, k) for the taps with (k*d) % stride == rho, o-major.
    Fills ``offs``, ``wts`` and ``starts`` = (offs start, pair count, weight start) per
    phase, as three rows of ``phases``; igemm's panels only ``with_weights`` (igemm_ilv
    replaces them).
    """
    cdef idx_t c_out = w.shape[0], c_per_group = w.shape[1], k_size = w.shape[2]
    cdef idx_t o_per_group = c_out // groups
    cdef idx_t c_blocks = (c_per_group + mr - 1) // mr
    cdef idx_t rows_per_phase = groups * c_per_group if by_rows else groups * c_blocks * mr
    cdef idx_t rho, o, o0, k, tap, g, c, b, r, p, n_taps, n_pairs, n_offs = 0, n_w = 0
    cdef idx_t base, channel
    for rho in range(phases):   # taps only reach phases < phases (k*d < padded)
        n_taps = 0
        for k in range(k_size):
            n_taps += (k * dilation) % stride == rho
        n_pairs = o_per_group * n_taps
        starts[rho] = n_offs
        starts[phases + rho] = n_pairs
        starts[2 * phases + rho] = n_w
        p = 0
        for o in range(o_per_group):
            for k in range(k_size):
                if (k * dilation) % stride != rho:
                    continue
                offs[n_offs + p] = o * dy_pitch + lead - (k * dilation) // stride
                tap = k_size - 1 - k if flip else k
                if by_rows:
                    for g in range(groups):
                        for c in range(c_per_group):
                            wts[n_w + (g * c_per_group + c) * n_pairs + p] = \
                                w[g * o_per_group + o, c, tap]
                p += 1
        # Panels: phase rho's pairs (o, its taps) for mr-channel blocks.
        if with_weights and not by_rows:
            _panel_jobs(w, groups, flip, stride, dilation, mr, n_pairs, n_taps, c_blocks,
                        mr, 1, 0, rho, rho + 1, wts + n_w, threads)
        n_offs += n_pairs
        n_w += rows_per_phase * n_pairs


def grad_input(const real_t[:, :, ::1] dy,       # IN  (N, C_out, L_out)
               const real_t[:, :, ::1] w,        # IN  (C_out, C_in/groups, K)
               real_t[:, :, ::1] dx,             # OUT (N, C_in, L)
               const real_t[:, :, ::1] x,        # IN  (N, C_in, L), or (0, 0, 0)
               idx_t left, idx_t right, int mode,
               idx_t stride, idx_t dilation, idx_t groups, bint flip, int n_threads,
               const real_t[::1] bias=None):  # IN  (C_in,): conv_transpose1d's, or None
    """dL/dx of conv1d for validated arrays; with mode=constant also conv_transpose1d,
    whose ``bias`` (constant mode only) starts every sum (no pass of its own over dx).

    ``x`` is needed only by the median/minimum/maximum padding modes.
    """
    cdef int status
    cdef const real_t* bp = (&bias[0] if bias is not None and bias.shape[0] > 0
                             else <const real_t*>NULL)
    with nogil:
        status = _grad_input_run(dy, w, dx, x, left, right, mode, stride, dilation, groups,
                                 flip, n_threads, bp)
    check_status(status, "conv1d_backward")


cdef int _grad_input_run(const real_t[:, :, ::1] dy, const real_t[:, :, ::1] w,
                         real_t[:, :, ::1] dx, const real_t[:, :, ::1] x, idx_t left,
                         idx_t right, int mode, idx_t stride, idx_t dilation, idx_t groups,
                         bint flip, int n_threads, const real_t* bias) noexcept nogil:
    cdef GradGeometry geo
    cdef idx_t n_batch = dx.shape[0], k_size = w.shape[2]
    _grad_geometry(&geo, dx.shape[1], dx.shape[2], w.shape[0], w.shape[1], k_size, left,
                   right, dy.shape[2], stride, dilation, groups, sizeof(real_t))
    if n_batch == 0 or geo.c_in == 0 or geo.length == 0:
        return CC_OK
    cdef bint by_rows = geo.c_per_group < 4
    cdef int threads = max(1, n_threads)
    cdef double flops = 2.0 * n_batch * geo.c_out * geo.l_out * geo.c_per_group * k_size
    if flops < PARALLEL_MIN_FLOPS:
        threads = 1
    cdef ColsPlan cplan
    if _cols_plan(&cplan, &geo, n_batch, k_size, dilation, mode, sizeof(real_t), threads):
        return _grad_input_cols(&cplan, &geo, dy, w, dx, x, k_size, dilation, mode, flip,
                                bias)
    cdef GradPlan plan
    _grad_plan(&plan, &geo, n_batch, by_rows, k_size, mode, sizeof(real_t), threads,
               _ilv_applies(&geo, by_rows, k_size, dilation, mode) and _use_ilv)
    cdef idx_t n_items = _grad_items(&geo, by_rows)
    cdef bint by_sample = plan.by_sample
    cdef size_t b_dyp = plan.b_dyp, b_dxph = plan.b_dxph, b_row = plan.b_row
    cdef size_t b_fold = plan.b_fold, b_stat = plan.b_stat
    # One malloc'd workspace (NumPy temporaries cost more than small calls' arithmetic).
    cdef char* block = <char*>malloc(plan.total)
    if block == NULL:
        return CC_ENOMEM
    cdef char* base = align64(block)
    cdef idx_t* offs = <idx_t*>(base + plan.o_offs)
    cdef idx_t* starts = <idx_t*>(base + plan.o_starts)
    cdef real_t* weights = <real_t*>(base + plan.o_wts)
    cdef char* dyp = base + plan.o_dyp
    cdef char* dxph = base + plan.o_dxph
    cdef char* row = base + plan.o_row
    cdef char* fold = base + plan.o_fold
    cdef char* stat_work = base + plan.o_stat
    cdef real_t* edge_grad = <real_t*>(base + plan.o_edges)
    cdef bint with_x = x.shape[0] > 0
    cdef idx_t n, t, o, c, item, unit, pads = geo.left + geo.right
    _phase_tables(w, groups, flip, by_rows, stride, dilation, geo.lead, geo.dy_pitch,
                  geo.phases, geo.mr, offs, starts, weights, not plan.ilv, threads)
    if plan.ilv:
        # Phase 0's offsets serve every phase; the phase tables' weights are replaced
        # by panels whose rows are (channel, phase).
        geo.ilv = True
        geo.c_blocks = _ilv_panels(w, groups, flip, stride, dilation, geo.mr,
                                   starts[geo.phases], weights, threads)
        n_items = _grad_items(&geo, by_rows)
    # Zeroed once: dy's lead and tail zeros are never written.
    memset(dyp, 0, plan.n_scratch * (b_dyp + b_dxph))
    if plan.blocked:
        # A unit is a block of phase-row positions of one sample: its dy window is
        # copied, its gradient computed and scattered into dx (the padding's
        # share into edge_grad), all by one thread.
        for unit in prange(n_batch * plan.n_qblocks, schedule="dynamic",
                           num_threads=threads):
            t = threadid()
            n = unit // plan.n_qblocks
            _grad_block(&geo, &plan, by_rows, &dy[n, 0, 0],
                        <real_t*>(dyp + t * b_dyp), offs, starts, weights,
                        <real_t*>(dxph + t * b_dxph), &dx[n, 0, 0],
                        edge_grad + n * geo.c_in * pads, unit % plan.n_qblocks, bias)
        if mode != CC_PAD_CONSTANT and pads > 0:
            # The padding's gradient folded back onto the samples it came from.
            for item in prange(n_batch * geo.c_in, schedule="dynamic",
                               num_threads=threads):
                t = threadid()
                n = item // geo.c_in
                c = item % geo.c_in
                _fold_edges(&geo, edge_grad + item * pads,
                            <real_t*>(row + t * b_row),
                            &dx[n, c, 0],
                            &x[n, c, 0] if with_x else <const real_t*>NULL, mode,
                            <real_t*>(fold + t * b_fold),
                            <double*>(stat_work + t * b_stat))
        free(block)
        return CC_OK
    # Stride 1 with constant padding: the padding's gradient is dropped, so only the
    # kept positions [left, left + L) are computed, straight into dx (no phase rows to
    # copy back: the copy was a tenth of the FCN layers' input gradients). With ilv
    # (geo.ilv), all phase-row positions, straight into dx too.
    cdef GradGeometry kept = geo
    cdef bint direct = stride == 1 and mode == CC_PAD_CONSTANT
    if direct:
        kept.q0 = geo.left
        kept.q_count = kept.dxph_pitch = geo.length
        n_items = _grad_items(&kept, by_rows)
    if by_sample:
        for n in prange(n_batch, schedule="dynamic", num_threads=threads):
            t = threadid()
            for o in range(geo.c_out):
                memcpy(<real_t*>(dyp + t * b_dyp) + o * geo.dy_pitch + geo.lead,
                       &dy[n, o, 0], geo.l_out * sizeof(real_t))
            if direct or plan.ilv:
                _grad_phase_items(&kept, by_rows, <real_t*>(dyp + t * b_dyp) + kept.q0,
                                  offs, starts, starts + geo.phases, weights,
                                  starts + 2 * geo.phases, &dx[n, 0, 0], 0, n_items,
                                  bias)
                continue
            _grad_phase_items(&geo, by_rows, <real_t*>(dyp + t * b_dyp), offs,
                              starts, starts + geo.phases, weights,
                              starts + 2 * geo.phases,
                              <real_t*>(dxph + t * b_dxph), 0, n_items, bias)
            _fold_channels(&geo, <real_t*>(dxph + t * b_dxph),
                           <real_t*>(row + t * b_row), &dx[n, 0, 0],
                           &x[n, 0, 0] if with_x else <const real_t*>NULL, mode,
                           <real_t*>(fold + t * b_fold),
                           <double*>(stat_work + t * b_stat), 0, geo.c_in)
        free(block)
        return CC_OK
    for n in range(n_batch):
        for o in range(geo.c_out):
            memcpy(<real_t*>dyp + o * geo.dy_pitch + geo.lead, &dy[n, o, 0],
                   geo.l_out * sizeof(real_t))
        if direct or plan.ilv:
            for item in prange(n_items, schedule="dynamic", num_threads=threads):
                _grad_phase_items(&kept, by_rows, <real_t*>dyp + kept.q0, offs, starts,
                                  starts + geo.phases, weights, starts + 2 * geo.phases,
                                  &dx[n, 0, 0], item, item + 1, bias)
            continue
        for item in prange(n_items, schedule="dynamic", num_threads=threads):
            _grad_phase_items(&geo, by_rows, <real_t*>dyp, offs, starts,
                              starts + geo.phases, weights, starts + 2 * geo.phases,
                              <real_t*>dxph, item, item + 1, bias)
        for c in prange(geo.c_in, schedule="dynamic", num_threads=threads):
            t = threadid()
            _fold_channels(&geo, <real_t*>dxph, <real_t*>(row + t * b_row),
                           &dx[n, 0, 0],
                           &x[n, 0, 0] if with_x else <const real_t*>NULL, mode,
                           <real_t*>(fold + t * b_fold),
                           <double*>(stat_work + t * b_stat), c, c + 1)
    free(block)
    return CC_OK


# ---------------------------------------------------------------------------------------
# input gradient of short dy: a GEMM into (c, k) columns, scattered (col2im)

cdef struct ColsPlan:
    # Units of `samples` samples: their dy rows side by side (dyc, C_out rows of `pitch`),
    # the GEMM's (c, k) rows of their columns (cols, C_in*K rows of `ldc`), then per
    # sample and channel a padded row the columns are added onto and folded from.
    int threads
    idx_t samples, n_units, pitch, ldc, n_scratch
    Geometry gemm         # the GEMM as a forward geometry: rows (c, k), pairs o, K = 1
    size_t b_dyc, b_cols, b_row, b_fold, b_stat
    size_t o_panels, o_offs, o_dyc, o_cols, o_row, o_fold, o_stat, total


cdef idx_t _cols_bytes = COLS_BYTES   # tests compare the routes (_set_cols_bytes)


def _set_cols_bytes(idx_t nbytes):
    """A cols unit's (c, k) rows' bytes at most (0: no cols route); returns the
    previous value."""
    global _cols_bytes
    cdef idx_t was = _cols_bytes
    _cols_bytes = nbytes
    return was


cdef bint _cols_plan(ColsPlan* plan, const GradGeometry* geo, idx_t n_batch,
                     idx_t k_size, idx_t dilation, int mode, idx_t itemsize,
                     int threads) noexcept nogil:
    """Whether the input gradient takes the cols route, and its plan.

    The phase rows compute every position of a padded row of dx, ``cols`` at a time,
    each summing its phase's pairs over dy with ``lead`` zeros in front: where dy is
    short (a decoder's first upsampler, the top of an encoder, a transposed convolution
    of a latent vector), most tiles' columns are empty or multiply those zeros (a
    kernel of 256 taps over one dy sample: 257 products for each one needed; 0.03x
    PyTorch). Here ``cols[(c, k), n*l_out + j] = sum_o w[o, c, k] dy[n, o, j]`` is one
    GEMM over the unit's samples side by side (igemm, its rows the (c, k) pairs, its
    pairs the output channels), and each column is added to ``dxp[c, j*s + k*d]``:
    every product is needed. Chosen as the forward's cat route is: where the phase
    rows' tiles would be more than a third empty, for groups of >= 4 output channels
    and >= 4 (c, k) rows."""
    cdef idx_t q_count = geo.length if geo.stride == 1 and mode == CC_PAD_CONSTANT \
        else geo.phase_len
    cdef idx_t tiles = (q_count + geo.cols - 1) // geo.cols * geo.cols
    cdef idx_t rows = geo.c_per_group * k_size, l_out = geo.l_out
    cdef idx_t rows_bytes = geo.c_in * k_size * l_out * itemsize
    # a unit's scratch a sample: its (c, k) columns and its dy rows' copy
    cdef idx_t per_sample = rows_bytes + geo.c_out * l_out * itemsize
    cdef idx_t units, s_max, rounded
    cdef size_t cursor = 0
    # A sample whose columns pass the unit's bytes (512 channels x 9 taps x 16 outputs)
    # still takes the route, as a unit of a few samples within COLS_MAX_BYTES: turned
    # away, it ran the phase rows at half PyTorch's speed (0.50x; now 0.99x).
    if (l_out == 0 or geo.o_per_group < 4 or rows < 4 or 2 * tiles < 3 * l_out
            or _cols_bytes == 0 or rows_bytes > COLS_MAX_BYTES):
        return False
    # At least two tiles of columns a unit where the batch has them: a tile's empty
    # columns cost as its full ones (16 samples of one dy sample, 256 taps: 2 samples
    # a unit ran 3x slower than one unit of 16).
    s_max = max(1, _cols_bytes // per_sample,
                min((2 * geo.cols + l_out - 1) // l_out, COLS_MAX_BYTES // per_sample))
    units = (n_batch + s_max - 1) // s_max
    rounded = (units + threads - 1) // threads * threads
    if n_batch >= threads and (n_batch + rounded - 1) // rounded * l_out >= 2 * geo.cols:
        units = rounded   # else fewer units, whose items the threads share
    plan.threads = threads
    plan.samples = (n_batch + units - 1) // units
    plan.n_units = (n_batch + plan.samples - 1) // plan.samples
    plan.ldc = plan.samples * l_out
    plan.pitch = c_packed_pitch(plan.ldc, 1, itemsize, geo.cols)
    make_geometry(&plan.gemm, geo.c_out, plan.ldc, 0, 0, 1, 1, geo.c_in * k_size,
                  geo.o_per_group, 1, geo.groups, plan.ldc, geo.kern, itemsize)
    plan.gemm.pitch = plan.pitch
    plan.b_dyc = aligned_bytes(geo.c_out * plan.pitch * itemsize)
    plan.b_cols = aligned_bytes(geo.c_in * k_size * plan.ldc * itemsize)
    plan.b_row = aligned_bytes(geo.padded * itemsize)
    plan.b_fold = aligned_bytes((geo.padded if mode == CC_PAD_ANTIREFLECT else 1) * itemsize)
    plan.b_stat = aligned_bytes((geo.length if mode == CC_PAD_MEDIAN else 1) * sizeof(double))
    plan.o_panels = place(&cursor, geo.groups * plan.gemm.n_blocks * geo.o_per_group
                          * geo.mr * itemsize)
    plan.o_offs = place(&cursor, geo.o_per_group * sizeof(idx_t))
    plan.n_scratch = threads if plan.n_units >= threads else 1
    plan.o_dyc = place(&cursor, plan.n_scratch * plan.b_dyc)
    plan.o_cols = place(&cursor, plan.n_scratch * plan.b_cols)
    plan.o_row = place(&cursor, plan.threads * plan.b_row)
    plan.o_fold = place(&cursor, plan.threads * plan.b_fold)
    plan.o_stat = place(&cursor, plan.threads * plan.b_stat)
    plan.total = cursor + 64
    return True


cdef int _grad_input_cols(const ColsPlan* plan, const GradGeometry* geo,
                          const real_t[:, :, ::1] dy, const real_t[:, :, ::1] w,
                          real_t[:, :, ::1] dx, const real_t[:, :, ::1] x, idx_t k_size,
                          idx_t dilation, int mode, bint flip,
                          const real_t* bias) noexcept nogil:
    """The input gradient by the cols route (``_cols_plan``)."""
    cdef char* block = <char*>malloc(plan.total)
    if block == NULL:
        return CC_ENOMEM
    cdef char* base = align64(block)
    cdef real_t* panels = <real_t*>(base + plan.o_panels)
    cdef idx_t* offs = <idx_t*>(base + plan.o_offs)
    cdef idx_t o, mr = geo.mr
    cdef idx_t n_blocks = plan.gemm.n_blocks, unit, t, item, n_items, c
    # The GEMM's weights, O_TILE rows of w a job (by the threads for wide weights)
    cdef idx_t tiles = (geo.o_per_group + O_TILE - 1) // O_TILE
    if plan.threads > 1 and w.shape[0] * w.shape[1] * w.shape[2] >= 65536:
        for item in prange(geo.groups * tiles, schedule="static", num_threads=plan.threads):
            _cols_panel_tile(w, geo.o_per_group, item // tiles, (item % tiles) * O_TILE,
                             n_blocks, mr, flip, panels)
    else:
        for item in range(geo.groups * tiles):
            _cols_panel_tile(w, geo.o_per_group, item // tiles, (item % tiles) * O_TILE,
                             n_blocks, mr, flip, panels)
    for o in range(geo.o_per_group):
        offs[o] = o * plan.pitch
    # Zeroed once: full tiles read the slack after a unit's columns.
    memset(base + plan.o_dyc, 0, plan.n_scratch * plan.b_dyc)
    cdef real_t* dyc = <real_t*>(base + plan.o_dyc)
    cdef real_t* cols = <real_t*>(base + plan.o_cols)
    cdef Geometry gemm = plan.gemm
    if plan.n_units >= plan.threads:
        for unit in prange(plan.n_units, schedule="dynamic", num_threads=plan.threads):
            t = threadid()
            _cols_gemm(plan, geo, dy, offs, panels, dyc + t * plan.b_dyc // sizeof(real_t),
                       cols + t * plan.b_cols // sizeof(real_t), unit, 0, -1)
            _cols_scatter(plan, geo, dx, x, k_size, dilation, mode, bias,
                          cols + t * plan.b_cols // sizeof(real_t),
                          <real_t*>(base + plan.o_row + t * plan.b_row),
                          <real_t*>(base + plan.o_fold + t * plan.b_fold),
                          <double*>(base + plan.o_stat + t * plan.b_stat), unit, 0,
                          geo.c_in)
        free(block)
        return CC_OK
    # Fewer units than threads (a small batch): the threads share each unit's GEMM
    # items, then its channels.
    for unit in range(plan.n_units):
        n_items = _cols_gemm(plan, geo, dy, offs, panels, dyc, cols, unit, 0, 0)
        for item in prange(n_items, schedule="dynamic", num_threads=plan.threads):
            _cols_gemm(plan, geo, dy, offs, panels, dyc, cols, unit, item, item + 1)
        for c in prange(geo.c_in, schedule="dynamic", num_threads=plan.threads):
            t = threadid()
            _cols_scatter(plan, geo, dx, x, k_size, dilation, mode, bias, cols,
                          <real_t*>(base + plan.o_row + t * plan.b_row),
                          <real_t*>(base + plan.o_fold + t * plan.b_fold),
                          <double*>(base + plan.o_stat + t * plan.b_stat), unit, c,
                          c + 1)
    free(block)
    return CC_OK


cdef void _cols_panel_tile(const real_t[:, :, ::1] w, idx_t o_per_group, idx_t g,
                           idx_t o0, idx_t n_blocks, idx_t mr, bint flip,
                           real_t* panels) noexcept nogil:
    """Rows o0 .. o0 + O_TILE of w (group g) into the cols route's panels: block b,
    pair o holds w[o, (c, k)] for its mr rows (c, k) = b*mr + r, runs of w's rows as
    they are (flip reverses each channel's taps); block by block, as _panel_tile."""
    cdef idx_t k_size = w.shape[2], rows = w.shape[1] * w.shape[2], b, o, r, row
    cdef const real_t* wo
    cdef real_t* dst
    for b in range(n_blocks):
        for o in range(o0, min(o0 + O_TILE, o_per_group)):
            wo = &w[g * o_per_group + o, 0, 0]
            dst = panels + ((g * n_blocks + b) * o_per_group + o) * mr
            if not flip and (b + 1) * mr <= rows:
                # The common case: a run of mr values, copied by a constant size for
                # the tiles' row counts, which compilers turn into one vector move
                # (packing was 13 % of a latent upsampler's time with a runtime-length
                # loop, 10 % after this and the scatter's change together).
                if mr == 8:
                    memcpy(dst, wo + b * 8, 8 * sizeof(real_t))
                elif mr == 4:
                    memcpy(dst, wo + b * 4, 4 * sizeof(real_t))
                else:
                    memcpy(dst, wo + b * mr, mr * sizeof(real_t))
                continue
            for r in range(mr):
                row = b * mr + r
                if row >= rows:
                    dst[r] = 0
                elif flip:
                    dst[r] = wo[row + k_size - 1 - 2 * (row % k_size)]
                else:
                    dst[r] = wo[row]


cdef idx_t _cols_gemm(const ColsPlan* plan, const GradGeometry* geo,
                      const real_t[:, :, ::1] dy, const idx_t* offs, const real_t* panels,
                      real_t* dyc, real_t* cols, idx_t unit, idx_t first,
                      idx_t last) noexcept nogil:
    """Unit ``unit``'s GEMM: with ``last == 0``, gathers its dy rows side by side into
    ``dyc`` and returns the number of GEMM items; else runs items [first, last) (all
    of them, after the gather, when ``last < 0``)."""
    cdef idx_t n0 = unit * plan.samples
    cdef idx_t count = min(plan.samples, dy.shape[0] - n0)
    cdef idx_t i, o, j, l_out = geo.l_out
    cdef Geometry gemm = plan.gemm
    cdef const real_t* src
    cdef real_t* dst
    gemm.l_out = count * l_out
    if last <= 0:
        for o in range(geo.c_out):
            dst = dyc + o * plan.pitch
            for i in range(count):
                src = &dy[n0 + i, o, 0]
                for j in range(l_out):
                    dst[j] = src[j]
                dst += l_out
        if last == 0:
            return igemm_items(&gemm)
        first = 0
        last = igemm_items(&gemm)
    run_igemm(&gemm, dyc, offs, panels, <const real_t*>NULL, cols, first, last)
    return 0


cdef void _cols_scatter(const ColsPlan* plan, const GradGeometry* geo,
                        real_t[:, :, ::1] dx, const real_t[:, :, ::1] x, idx_t k_size,
                        idx_t dilation, int mode, const real_t* bias, const real_t* cols,
                        real_t* row, real_t* fold, double* stat_work, idx_t unit,
                        idx_t c_first, idx_t c_last) noexcept nogil:
    """Channels [c_first, c_last) of unit ``unit``'s samples: each (c, k) row of columns
    added onto the padded row at ``j*s + k*d``, which is folded onto dx."""
    cdef idx_t n0 = unit * plan.samples
    cdef idx_t count = min(plan.samples, dx.shape[0] - n0)
    cdef idx_t i, c, k, j, off, lo, hi, l_out = geo.l_out, s = geo.stride
    cdef idx_t length = geo.length
    cdef const real_t* src
    cdef real_t* dst
    cdef real_t* out
    cdef real_t bc
    if mode == CC_PAD_CONSTANT:
        # The padding's gradient is dropped: the columns go straight to dx (a padded
        # row to clear and copy cost a third of a latent's upsampler). Channel by
        # channel, each tap's range of columns found once for the unit's samples
        # (found per sample, its two divisions were most of the scatter's time).
        for c in range(c_first, c_last):
            bc = bias[c] if bias != NULL else 0
            for i in range(count):
                out = &dx[n0 + i, c, 0]
                for j in range(length):
                    out[j] = bc
            for k in range(k_size):
                off = k * dilation - geo.left    # column j lands on dx[j*s + off]
                lo = min(l_out, (-off + s - 1) // s) if off < 0 else 0
                hi = (lo if off >= length
                      else max(lo, min(l_out, (length - 1 - off) // s + 1)))
                if lo >= hi:
                    continue
                src = cols + (c * k_size + k) * plan.ldc
                for i in range(count):
                    out = &dx[n0 + i, c, 0]
                    if s == 1:
                        for j in range(lo, hi):
                            out[j + off] += src[j]
                    else:
                        for j in range(lo, hi):
                            out[j * s + off] += src[j]
                    src += l_out
        return
    for i in range(count):
        for c in range(c_first, c_last):
            out = &dx[n0 + i, c, 0]
            memset(row, 0, geo.padded * sizeof(real_t))
            for k in range(k_size):
                src = cols + (c * k_size + k) * plan.ldc + i * l_out
                dst = row + k * dilation
                for j in range(l_out):
                    dst[j * s] += src[j]
            pad_row_backward(row, length, out, geo.left, geo.right, mode,
                             &x[n0 + i, c, 0] if x.shape[0] > 0 else <const real_t*>NULL,
                             length, length, fold, stat_work)


cdef void _grad_geometry(GradGeometry* geo, idx_t c_in, idx_t length, idx_t c_out,
                         idx_t c_per_group, idx_t k_size, idx_t left, idx_t right,
                         idx_t l_out, idx_t stride, idx_t dilation, idx_t groups,
                         idx_t itemsize) noexcept nogil:
    """Every field but dy_pitch (the plan's), for the active kernel descriptor."""
    geo.c_in = c_in
    geo.length = length
    geo.left = left
    geo.right = right
    geo.padded = left + length + right
    geo.stride = stride
    # Taps reach phases (k*d) % stride only: past the kernel's span and a stride of 5
    # or more, the first span phases; the other positions of dx get no gradient, and
    # _fold_channels and _grad_block write their zeros. (One 3-tap row at stride 1.6e6
    # had planned 1.6e6 phases: 88 ms, now 5.) Strides up to 4 keep all their phases:
    # igemm_ilv interleaves a tile's ``stride`` phases straight into dx.
    geo.phases = (phase_rows(stride, geo.padded, (k_size - 1) * dilation + 1)
                  if stride > 4 else max(1, min(stride, geo.padded)))
    geo.c_out = c_out
    geo.l_out = l_out
    geo.groups = groups
    geo.c_per_group = c_per_group
    geo.o_per_group = c_out // groups
    geo.lead = ((k_size - 1) * dilation) // stride
    geo.phase_len = (geo.padded + stride - 1) // stride
    geo.kern = active_kernels()
    geo.mr = geo.kern.mr
    geo.cols = tile_positions(geo.kern, itemsize)
    geo.col_block = column_block(geo.cols)
    geo.c_blocks = (geo.c_per_group + geo.mr - 1) // geo.mr
    geo.ilv = False
    geo.row_group = ROW_GROUP if geo.o_per_group * (k_size // stride) >= LONG_REDUCTION else 1
    # Chunks only where a tile's dy columns overflow L1: a wide kernel's (32 channels,
    # K = 31: 10 KiB) ran 3 % slower split in three. At least one pair: with no output
    # channels (C_out = 0) a block still runs its one pass of zeros, and a step of 0
    # never left _grad_phase_items' chunk loop (a hang found by the fuzz test).
    geo.pair_block = (PAIR_BLOCK if geo.o_per_group * (geo.cols + geo.lead) * itemsize
                      > L1_TILE_BYTES else max(1, geo.o_per_group * k_size))
    geo.q0 = 0
    geo.q_count = geo.dxph_pitch = geo.phase_len


def backward_workspace_bytes(idx_t n_batch, idx_t c_in, idx_t length, idx_t c_out,
                             idx_t c_per_group, idx_t k_size, idx_t left, idx_t right,
                             idx_t l_out, idx_t stride, idx_t dilation, idx_t groups,
                             int mode, idx_t itemsize, int n_threads):
    """Bytes of scratch the two kernels of one ``conv1d_backward`` call of this shape
    allocate besides their outputs, from the plans they allocate by: ``{"input": ...,
    "weight": ..., "peak": ...}`` (they run one after the other, so the peak is the
    larger). Samples too long to hold whole are computed by length blocks, so neither
    grows with L beyond a padded row per thread (non-constant padding modes).
    ``"input_interleaved"``: whether the input gradient takes igemm_ilv;
    ``"input_cols"``: whether it takes the cols route (short dy); ``"weight_columns"``:
    whether the weight gradient goes by columns (its ``"weight"`` is then the K = 1
    call's, besides the columns); ``"weight_direct"``: whether this call's wgemm sums go
    straight into dW (one call per entry, no float64 accumulators)."""
    cdef GradGeometry ggeo
    cdef GradPlan gplan
    cdef Geometry geo
    cdef WgradPlan wplan
    cdef double flops = 2.0 * n_batch * c_out * l_out * c_per_group * k_size
    cdef int threads = 1 if flops < PARALLEL_MIN_FLOPS else max(1, n_threads)
    _grad_geometry(&ggeo, c_in, length, c_out, c_per_group, k_size, left, right, l_out,
                   stride, dilation, groups, itemsize)
    _grad_plan(&gplan, &ggeo, n_batch, c_per_group < 4, k_size, mode, itemsize, threads,
               _ilv_applies(&ggeo, c_per_group < 4, k_size, dilation, mode) and _use_ilv)
    cdef ColsPlan cplan
    cdef bint cols = _cols_plan(&cplan, &ggeo, n_batch, k_size, dilation, mode, itemsize,
                                threads)
    if cols:
        gplan.total = cplan.total
        gplan.ilv = False
    make_geometry(&geo, c_in, length, left, right, stride, dilation, c_out, c_per_group,
                  k_size, groups, l_out, active_kernels(), itemsize)
    geo.pitch = c_packed_pitch(geo.padded, stride, itemsize, geo.cols)
    # (planned, as the call plans, for all its threads: it uses fewer when there are
    # fewer work units, but sizes its workspace first)
    _wgrad_plan(&wplan, &geo, n_batch, mode, itemsize, threads,
                True, True)
    cdef bint wcols = _wcols_applies(&geo, n_batch, itemsize)
    return {"input": gplan.total, "weight": wplan.total, "weight_columns": wcols,
            "weight_direct": bool(wplan.direct_out),
            "peak": max(gplan.total, wplan.total),
            "input_interleaved": bool(gplan.ilv), "input_cols": cols}


cdef struct GradPlan:
    # The input gradient's workspace, sized and placed in one function: pair offsets,
    # phase tables and weights, and per scratch a padded dy and the phase rows of the
    # gradient (a whole sample's, or a block's when blocked), per thread a padded row
    # and the antireflect and median scratches; blocked, the gradient of every padding
    # sample.
    bint by_sample, blocked
    bint direct           # blocked, stride 1, constant padding: blocks of the kept
                          # positions, computed straight into dx
    bint ilv              # strided, constant padding, phases with the same
                          # dy offsets: all phases of a channel in one tile, stored
                          # interleaved straight into dx (igemm_ilv; no phase rows)
    idx_t n_scratch, q_block, n_qblocks
    size_t b_dyp, b_dxph, b_row, b_fold, b_stat
    size_t o_offs, o_starts, o_wts, o_dyp, o_dxph, o_row, o_fold, o_stat, o_edges
    size_t total


cdef inline idx_t _grad_items(const GradGeometry* geo, bint by_rows) noexcept nogil:
    cdef idx_t n_cols = ((geo.q_count + ROW_BLOCK - 1) // ROW_BLOCK if by_rows
                         else (geo.q_count + geo.col_block - 1) // geo.col_block)
    return (geo.phases * geo.c_in * n_cols if by_rows
            else (1 if geo.ilv else geo.phases) * geo.groups * n_cols
            * _grad_row_groups(geo))


cdef inline idx_t _grad_row_groups(const GradGeometry* geo) noexcept nogil:
    return (geo.c_blocks + geo.row_group - 1) // geo.row_group


cdef bint _ilv_applies(const GradGeometry* geo, bint by_rows, idx_t k_size,
                       idx_t dilation, int mode) noexcept nogil:
    """Whether igemm_ilv computes this input gradient: constant padding (its adjoint
    drops the padding, so the phases go straight to dx), a stride that divides the tile's
    rows (s channels' phases in one tile), every phase holding positions, and every
    phase's taps at the same dy offsets ``(k*d) // s`` in the same order (K a multiple
    of s with d = 1, the usual upsamplers and strided layers, or such a dilation)."""
    cdef idx_t s = geo.stride, rho, j, n0 = _phase_taps(k_size, dilation, s, 0, -1)
    if (mode != CC_PAD_CONSTANT or s < 2 or by_rows or geo.phases != s
            or geo.mr % s != 0):
        return False
    for rho in range(1, s):
        if _phase_taps(k_size, dilation, s, rho, -1) != n0:
            return False
        for j in range(n0):
            if (_phase_taps(k_size, dilation, s, rho, j)
                    != _phase_taps(k_size, dilation, s, 0, j)):
                return False
    return True


cdef idx_t _phase_taps(idx_t k_size, idx_t dilation, idx_t s, idx_t rho,
                       idx_t j) noexcept nogil:
    """j < 0: how many taps fall in phase rho ((k*d) % s == rho); else the dy offset
    (k*d) // s of its j-th tap in ascending k."""
    cdef idx_t k, n = 0
    for k in range(k_size):
        if (k * dilation) % s == rho:
            if n == j:
                return (k * dilation) // s
            n += 1
    return n


cdef void _grad_plan(GradPlan* plan, GradGeometry* geo, idx_t n_batch, bint by_rows,
                     idx_t k_size, int mode, idx_t itemsize, int threads,
                     bint ilv) noexcept nogil:
    """Fills ``geo.dy_pitch`` and the plan. A sample whose padded dy and gradient phase
    rows exceed WHOLE_SAMPLE_BYTES is computed by blocks of phase-row positions (whole
    column blocks, about BLOCK_BYTES each), so the workspace does not grow with L."""
    cdef idx_t rows_per_phase = (geo.groups * geo.c_per_group if by_rows
                                 else geo.groups * geo.c_blocks * geo.mr)
    cdef idx_t slack = geo.lead + geo.cols + 40, n_row, n_edges = 0
    cdef size_t cursor = 0
    # Reads reach q + lead for q < phase_len rounded up to a tile, plus slack.
    geo.dy_pitch = c_packed_pitch(geo.lead + geo.phase_len, 1, itemsize, geo.cols)
    plan.blocked = (<double>(geo.c_out * geo.dy_pitch
                             + (0 if ilv else geo.c_in * geo.phases * geo.phase_len))
                    * itemsize > GRAD_WHOLE_BYTES)
    plan.q_block = geo.phase_len
    plan.n_qblocks = 1
    plan.direct = False
    n_row = geo.padded
    cdef idx_t span = geo.phase_len
    # Fewer samples than threads: a block of positions a thread, each copying its own dy
    # window (as the forward: one thread's copy read by both cores cost 15 %).
    cdef bint split = (not plan.blocked and not by_rows and threads > 1
                       and n_batch < threads and geo.phase_len >= 2 * threads * geo.cols)
    if split:
        plan.blocked = True
    if plan.blocked:
        # Stride 1 with constant padding drops the padding's gradient: the blocks then
        # cover only the kept positions and write dx in place (the phase rows' copy
        # into dx was a sixth of a long 32-channel sample's input gradient).
        plan.direct = geo.stride == 1 and mode == CC_PAD_CONSTANT
        if plan.direct:
            span = geo.length
        plan.q_block = ((GRAD_BLOCK_BYTES // itemsize - geo.c_out * slack)
                        // (geo.c_out + (0 if ilv else geo.c_in * geo.phases)))
        plan.q_block = min(max(1, plan.q_block // geo.col_block) * geo.col_block, span)
        if split:
            plan.q_block = min(plan.q_block, ((span + threads - 1) // threads
                                              + geo.cols - 1) // geo.cols * geo.cols)
        plan.n_qblocks = (span + plan.q_block - 1) // plan.q_block
        geo.dy_pitch = c_packed_pitch(geo.lead + plan.q_block, 1, itemsize, geo.cols)
        # The padding samples' gradient (dropped for constant padding, folded otherwise).
        n_edges = (0 if plan.direct or ilv
                   else n_batch * geo.c_in * (geo.left + geo.right))
        if mode == CC_PAD_CONSTANT:
            n_row = 1
    plan.ilv = ilv
    cdef idx_t line = 64 // itemsize
    if not plan.blocked and geo.stride == 1 and mode == CC_PAD_CONSTANT:
        # This route reads each dy row from position `left` on (only the kept positions
        # are computed): a lead that puts the last tap's loads on whole cache lines, as
        # the forward's packed rows do its first tap's (with every tap's 64-byte loads
        # split over two lines, FCN and dense layers' input gradients ran 3-6 % slower
        # on Sapphire Rapids).
        geo.lead += (line - geo.left % line) % line
        geo.dy_pitch = c_packed_pitch(geo.lead + geo.phase_len, 1, itemsize, geo.cols)
    plan.by_sample = plan.blocked or n_batch >= threads
    plan.n_scratch = threads if plan.by_sample else 1
    plan.b_dyp = aligned_bytes(geo.c_out * geo.dy_pitch * itemsize)
    plan.b_dxph = aligned_bytes((1 if plan.direct or plan.ilv
                                 else geo.c_in * geo.phases * plan.q_block) * itemsize)
    plan.b_row = aligned_bytes(n_row * itemsize)
    plan.b_fold = aligned_bytes((geo.padded if mode == CC_PAD_ANTIREFLECT else 1) * itemsize)
    plan.b_stat = aligned_bytes((geo.length if mode == CC_PAD_MEDIAN else 1) * sizeof(double))
    plan.o_offs = place(&cursor, max(geo.o_per_group * k_size, 1) * sizeof(idx_t))
    plan.o_starts = place(&cursor, 3 * geo.phases * sizeof(idx_t))
    plan.o_wts = place(&cursor, max(rows_per_phase * geo.o_per_group * k_size, 1) * itemsize)
    plan.o_dyp = place(&cursor, plan.n_scratch * plan.b_dyp)
    plan.o_dxph = place(&cursor, plan.n_scratch * plan.b_dxph)
    plan.o_row = place(&cursor, threads * plan.b_row)
    plan.o_fold = place(&cursor, threads * plan.b_fold)
    plan.o_stat = place(&cursor, threads * plan.b_stat)
    plan.o_edges = place(&cursor, max(n_edges, 1) * itemsize)
    plan.total = cursor + 64


cdef void _grad_block(const GradGeometry* geo, const GradPlan* plan, bint by_rows,
                      const real_t* dy_n, real_t* dyp, const idx_t* offs,
                      const idx_t* starts, const real_t* weights, real_t* dxph,
                      real_t* dx_n, real_t* edge_grad, idx_t qblock,
                      const real_t* bias) noexcept nogil:
    """Phase-row positions [q0, q0 + q_block) of one sample's input gradient: the dy
    window they read (dyp[o, m] = dy[o, q0 + m - lead], zeros outside), their phase
    rows, and the scatter of each padded position into dx or into edge_grad; with
    ``plan.direct``, block ``qblock`` of the kept positions [left, left + L), straight
    into dx."""
    cdef GradGeometry block = geo[0]
    cdef idx_t o, c, rho, i, pos, lo, hi, src0, count, s = geo.stride
    cdef idx_t pads = geo.left + geo.right
    cdef real_t* drow
    cdef const real_t* grow
    if plan.direct:
        block.q0 = geo.left + qblock * plan.q_block
        block.q_count = min(plan.q_block, geo.left + geo.length - block.q0)
        block.dxph_pitch = geo.length
    else:
        block.q0 = qblock * plan.q_block
        block.q_count = min(plan.q_block, geo.phase_len - block.q0)
        block.dxph_pitch = plan.q_block
    for o in range(geo.c_out):
        drow = dyp + o * geo.dy_pitch
        src0 = block.q0 - geo.lead
        # drow[m] = dy[src0 + m] where 0 <= src0 + m < l_out, else 0
        lo = max(<idx_t>0, -src0)
        hi = min(geo.dy_pitch, geo.l_out - src0)
        if hi <= lo:
            memset(drow, 0, geo.dy_pitch * sizeof(real_t))
            continue
        memset(drow, 0, lo * sizeof(real_t))
        memcpy(drow + lo, dy_n + o * geo.l_out + src0 + lo, (hi - lo) * sizeof(real_t))
        memset(drow + hi, 0, (geo.dy_pitch - hi) * sizeof(real_t))
    if plan.ilv:
        # all phases of a channel per tile, interleaved straight into dx
        _grad_phase_items(&block, by_rows, dyp, offs, starts, starts + geo.phases,
                          weights, starts + 2 * geo.phases, dx_n, 0,
                          _grad_items(&block, by_rows), bias)
        return
    if plan.direct:
        _grad_phase_items(&block, by_rows, dyp, offs, starts, starts + geo.phases,
                          weights, starts + 2 * geo.phases, dx_n + block.q0 - geo.left,
                          0, _grad_items(&block, by_rows), bias)
        return
    _grad_phase_items(&block, by_rows, dyp, offs, starts, starts + geo.phases, weights,
                      starts + 2 * geo.phases, dxph, 0, _grad_items(&block, by_rows),
                      bias)
    for c in range(geo.c_in):
        for rho in range(geo.phases):
            grow = dxph + (c * geo.phases + rho) * plan.q_block
            count = min((geo.padded - rho + s - 1) // s - block.q0, block.q_count)
            if s == 1:
                # positions q0 + i: the samples' share in one copy, the padding's apart
                lo = max(<idx_t>0, geo.left - block.q0)
                hi = min(count, geo.left + geo.length - block.q0)
                if lo < hi:
                    memcpy(dx_n + c * geo.length + block.q0 + lo - geo.left, grow + lo,
                           (hi - lo) * sizeof(real_t))
                for i in range(min(lo, count)):
                    edge_grad[c * pads + block.q0 + i] = grow[i]
                for i in range(max(hi, 0), count):
                    edge_grad[c * pads + block.q0 + i - geo.length] = grow[i]
                continue
            for i in range(count):
                pos = (block.q0 + i) * s + rho
                if pos < geo.left:
                    edge_grad[c * pads + pos] = grow[i]
                elif pos < geo.left + geo.length:
                    dx_n[c * geo.length + pos - geo.left] = grow[i]
                else:
                    edge_grad[c * pads + pos - geo.length] = grow[i]
        if geo.phases < min(s, geo.padded):
            # the block's positions in phases no tap reaches (a stride past the span)
            for i in range(block.q_count):
                for rho in range(geo.phases, s):
                    pos = (block.q0 + i) * s + rho
                    if pos >= geo.padded:
                        break
                    if pos < geo.left:
                        edge_grad[c * pads + pos] = 0
                    elif pos < geo.left + geo.length:
                        dx_n[c * geo.length + pos - geo.left] = 0
                    else:
                        edge_grad[c * pads + pos - geo.length] = 0


cdef void _fold_edges(const GradGeometry* geo, const real_t* edge_grad, real_t* row,
                      real_t* dx_c, const real_t* x_c, int mode, real_t* fold,
                      double* stat_work) noexcept nogil:
    """Folds the padding samples' gradient onto one channel of dx, whose samples' own
    gradient the blocks wrote: the padded row is rebuilt (those samples between the
    padding's) and folded by the padding's adjoint as the whole-sample path folds its
    row, so every sum is made in the same order whatever the path and thread count (the
    adjoint of the padding alone, added to dx afterwards, rounded a replicate edge's
    sums differently: a batch of 4 at 5 threads differed in the last bit)."""
    memcpy(row, edge_grad, geo.left * sizeof(real_t))
    memcpy(row + geo.left, dx_c, geo.length * sizeof(real_t))
    memcpy(row + geo.left + geo.length, edge_grad + geo.left, geo.right * sizeof(real_t))
    pad_row_backward(<const real_t*>row, geo.length, dx_c, geo.left, geo.right, mode, x_c,
                     geo.length, geo.length, fold, stat_work)


# ---------------------------------------------------------------------------------------
# weight and bias gradients

cdef inline idx_t _block_row(idx_t o_per_group, idx_t o_blocks, idx_t w_rows,
                             idx_t block) noexcept nogil:
    """First output channel of (group, row block) number ``block`` of the wgrad items."""
    return (block // o_blocks) * o_per_group + (block % o_blocks) * w_rows


cdef inline bint _wgrad_gemm(const Geometry* geo, idx_t itemsize) noexcept nogil:
    """Whether dW is computed by wgemm (vectors over output channels): on a path whose
    descriptor enables it (``wgemm_pairs``, where it was measured faster: AVX-512, AVX2),
    groups of at least two vectors' worth of output channels and that many pairs.
    Thinner groups leave lanes empty (depthwise layers: one channel a group; one
    vector of 16 float channels took 8 broadcasts per 8 FMAs), and a short reduction
    over pairs does not pay for transposing dy (a single input channel's 9 pairs ran
    at 0.8x wgrad's rate); both keep wgrad, whose vectors run along the positions. A
    path may also keep wgrad for samples longer than its ``wgemm_max_len`` (AVX2: there
    wgrad's reduction along positions is as fast, and dy need not be transposed), but
    only for kernels of at least ``wc`` taps, whose tile's pairs are one channel's taps
    reading one row: with fewer (K = 1 and 2), each of the tile's pairs streams a row of
    its own, and wgemm took 0.76-0.95x wgrad's time on samples of 1000-16000 outputs
    (pointwise and WaveNet layers, Zen 3, one and two threads)."""
    return (geo.kern.wgemm_pairs > 0
            and geo.o_per_group >= 2 * vector_lanes(geo.kern, itemsize)
            and geo.n_pairs >= geo.kern.wgemm_pairs
            and (geo.kern.wgemm_max_len == 0 or geo.l_out <= geo.kern.wgemm_max_len
                 or geo.k_size < geo.kern.wc))


cdef inline void _wgemm_parts(const Geometry* geo, idx_t itemsize, idx_t threads,
                              idx_t* pv, idx_t* pq) noexcept nogil:
    """wgemm's work split into ``pv x pq`` rectangles, one a thread: ``pv`` ranges of the
    output channels' vectors (over all groups), each thread transposing only its own
    channels' dy rows, of at least two vectors each (a one-vector tile is one load per
    FMA: 32 float channels split in two ran at 0.92x wgrad's rate), and ``pq`` ranges of
    pair blocks for the threads left. Every dW entry is summed by one thread in the same
    order whatever the split, so results do not depend on the thread count."""
    cdef idx_t lanes = vector_lanes(geo.kern, itemsize)
    cdef idx_t n_vec = geo.groups * ((geo.o_per_group + lanes - 1) // lanes)
    cdef idx_t q_blocks = (geo.n_pairs + geo.kern.mr - 1) // geo.kern.mr
    pv[0] = max(1, min(threads, n_vec // 2))
    pq[0] = max(1, min(threads // pv[0], q_blocks))


cdef inline idx_t _wgrad_n_items(const Geometry* geo, bint gemm, idx_t itemsize,
                                 idx_t threads) noexcept nogil:
    """Work items of the weight gradient: wgemm's rectangles (_wgemm_parts), or (group,
    wr-channel block, wc-pair block) for wgrad."""
    cdef idx_t pv, pq
    if gemm:
        _wgemm_parts(geo, itemsize, threads, &pv, &pq)
        return pv * pq
    return (geo.groups * ((geo.o_per_group + geo.kern.wr - 1) // geo.kern.wr)
            * ((geo.n_pairs + geo.kern.wc - 1) // geo.kern.wc))


cdef inline void _wgemm_vectors(const Geometry* geo, const WgradPlan* plan, idx_t lanes,
                                idx_t item, idx_t* v0, idx_t* v1, idx_t* qb0,
                                idx_t* qb1) noexcept nogil:
    """Rectangle ``item``: vectors [v0, v1) of output channels (numbered over all
    groups) and pair blocks [qb0, qb1)."""
    cdef idx_t n_vec = geo.groups * ((geo.o_per_group + lanes - 1) // lanes)
    cdef idx_t q_blocks = (geo.n_pairs + geo.kern.mr - 1) // geo.kern.mr
    cdef idx_t vp = item // plan.pq, qp = item % plan.pq
    v0[0] = vp * n_vec // plan.pv
    v1[0] = (vp + 1) * n_vec // plan.pv
    qb0[0] = qp * q_blocks // plan.pq
    qb1[0] = (qp + 1) * q_blocks // plan.pq


cdef inline void _wgemm_block(idx_t n_vec, idx_t per, idx_t i, idx_t* first,
                              idx_t* count) noexcept nogil:
    """Block ``i`` of ``n_vec`` vectors shared out in blocks of at most ``per`` (the
    tile's nr in vectors), as evenly as they go: 16 vectors of 3 at most make 3, 3, 3,
    3, 2, 2 rather than five 3s and a 1, whose tile is one load per FMA."""
    cdef idx_t n_blocks = (n_vec + per - 1) // per
    cdef idx_t base = n_vec // n_blocks, extra = n_vec % n_blocks
    first[0] = i * base + min(i, extra)
    count[0] = base + (1 if i < extra else 0)


cdef void _wgemm_items(const Geometry* geo, const WgradPlan* plan, const real_t* dy,
                       const real_t* packed, const idx_t* offs, double* dwt, idx_t first,
                       idx_t last, real_t* panels) noexcept nogil:
    """wgemm's rectangles [first, last) of one sample (_wgemm_vectors), in ``plan.chunk``
    steps.

    Per chunk of positions and group, the rectangle's dy rows are transposed once into
    panels (one per block of channels, cc_pack_transposed), then each pair block runs
    over every channel block: the block's input rows (mr pairs x chunk) stay in L1 while
    the panels stream from L2, as igemm streams its weights. ``dwt`` is dW transposed,
    per group ``(n_pairs, o_per_group)``; with ``plan.with_bias`` the first pair block's
    tiles also sum the panels into db, the C_out values after it."""
    cdef idx_t lanes = vector_lanes(geo.kern, sizeof(real_t))
    cdef idx_t per = tile_positions(geo.kern, sizeof(real_t)) // lanes, mr = geo.kern.mr
    cdef idx_t nvg = (geo.o_per_group + lanes - 1) // lanes
    cdef idx_t item, g, ob, n_ob, qb, q0, rows, j0, n, va, vb, vs, nv, start, cols
    cdef idx_t v0, v1, qb0, qb1, r, o_pg = geo.o_per_group
    cdef const real_t* xg
    cdef const real_t* dyg
    cdef double* strip = <double*>((<char*>panels) + plan.strip_off)
    cdef double* tile
    for item in range(first, last):
        _wgemm_vectors(geo, plan, lanes, item, &v0, &v1, &qb0, &qb1)
        j0 = 0
        while j0 < geo.l_out:
            n = min(plan.chunk, geo.l_out - j0)
            g = v0 // nvg
            while g * nvg < v1:
                # this group's vectors of the rectangle
                va = max(v0, g * nvg) - g * nvg
                vb = min(v1, (g + 1) * nvg) - g * nvg
                n_ob = (vb - va + per - 1) // per
                dyg = dy + g * geo.o_per_group * geo.ldy + j0
                for ob in range(n_ob):
                    _wgemm_block(vb - va, per, ob, &vs, &nv)
                    start = (va + vs) * lanes
                    cols = min(nv * lanes, geo.o_per_group - start)
                    pack_transposed(geo.kern, dyg + start * geo.ldy, geo.ldy, cols, n,
                                    panels + vs * lanes * n, nv * lanes)
                xg = packed + g * geo.c_per_group * geo.phases * geo.pitch + j0
                for qb in range(qb0, qb1):
                    q0 = qb * mr
                    rows = min(mr, geo.n_pairs - q0)
                    tile = dwt + (g * geo.n_pairs + q0) * o_pg
                    if plan.direct_out:
                        tile = strip
                        for r in range(rows):
                            memset(strip + r * o_pg + va * lanes, 0,
                                   (min(vb * lanes, o_pg) - va * lanes) * sizeof(double))
                    for ob in range(n_ob):
                        _wgemm_block(vb - va, per, ob, &vs, &nv)
                        start = (va + vs) * lanes
                        wgemm(geo.kern, panels + vs * lanes * n, nv * lanes, n, xg,
                              offs + q0, rows, min(nv * lanes, o_pg - start),
                              tile + start, o_pg,
                              dwt + geo.c_out * geo.n_pairs + g * o_pg + start
                              if plan.with_bias and qb == 0 else <double*>NULL)
                    if plan.direct_out:
                        _strip_out(strip, <real_t*>plan.dw_out, geo, g, q0, rows,
                                   va * lanes, min(vb * lanes, o_pg), plan.flip)
                g += 1
            j0 += plan.chunk


cdef void _strip_out(const double* strip, real_t* dw, const Geometry* geo, idx_t g,
                     idx_t q0, idx_t rows, idx_t o0, idx_t o1, bint flip) noexcept nogil:
    """Pairs [q0, q0 + rows) of group g's output channels [o0, o1) from a strip of
    wgemm's sums (row r: pair q0 + r, pitch o_per_group) into dW, each channel's K taps
    reversed with ``flip``."""
    cdef idx_t o_pg = geo.o_per_group, k_size = geo.k_size, r, q, k, next0 = -1
    cdef idx_t next1 = -1
    cdef idx_t qpos[STRIP_ROWS]
    for r in range(rows):
        q = q0 + r
        if flip:
            k = q % k_size
            q = q - k + k_size - 1 - k
        qpos[r] = q
    if q0 + rows < geo.n_pairs:
        # the next pair block's first and last columns (with flip, a channel's taps
        # reversed: the block's columns lie within whole channels around these)
        next0 = q0 + rows
        next1 = min(next0 + rows, geo.n_pairs) - 1
    strip_out(strip + o0, o_pg, qpos, rows, dw + (g * o_pg + o0) * geo.n_pairs,
              geo.n_pairs, o1 - o0, next0, next1)


cdef void _wgrad_rows(const Geometry* geo, const WgradPlan* plan, idx_t itemsize,
                      idx_t first, idx_t last, idx_t* c_first, idx_t* c_last,
                      idx_t* o_first, idx_t* o_last) noexcept nogil:
    """Input channels [c_first, c_last) a thread's items [first, last) read and output
    channels [o_first, o_last) of dy they read (whole groups for wgemm)."""
    cdef idx_t lanes = vector_lanes(geo.kern, itemsize)
    cdef idx_t nvg = (geo.o_per_group + lanes - 1) // lanes
    cdef idx_t v0, v1, qb0, qb1, unused, g0, g1, w_rows = geo.kern.wr
    cdef idx_t q_blocks = (geo.n_pairs + geo.kern.wc - 1) // geo.kern.wc
    cdef idx_t o_blocks = (geo.o_per_group + w_rows - 1) // w_rows
    cdef idx_t items_per_group
    if plan.gemm:
        _wgemm_vectors(geo, plan, lanes, first, &v0, &unused, &qb0, &qb1)
        _wgemm_vectors(geo, plan, lanes, last - 1, &unused, &v1, &qb0, &qb1)
        g0 = v0 // nvg
        g1 = (v1 - 1) // nvg + 1
        c_first[0] = g0 * geo.c_per_group
        c_last[0] = g1 * geo.c_per_group
        o_first[0] = g0 * geo.o_per_group
        o_last[0] = g1 * geo.o_per_group
        return
    items_per_group = o_blocks * q_blocks
    c_first[0] = (first // items_per_group) * geo.c_per_group
    c_last[0] = ((last - 1) // items_per_group + 1) * geo.c_per_group
    # a wgrad item's (group, row block) is item // q_blocks
    o_first[0] = _block_row(geo.o_per_group, o_blocks, w_rows, first // q_blocks)
    o_last[0] = min(_block_row(geo.o_per_group, o_blocks, w_rows, (last - 1) // q_blocks)
                    + w_rows, (((last - 1) // q_blocks) // o_blocks + 1) * geo.o_per_group)


cdef void _wgrad_items(const Geometry* geo, const WgradPlan* plan, const real_t* dy,
                       const real_t* packed, const idx_t* offs, double* dw, idx_t first,
                       idx_t last, real_t* dy_rows) noexcept nogil:
    """Items (group, wr-channel block, wc-pair block) of one sample, in W_CHUNK steps
    (or, for ``plan.gemm``, wgemm's items: ``_wgemm_items`` with ``dy_rows`` as its
    panels).

    ``dy_rows`` (wr rows of DY_ROWS_PITCH, or NULL) takes a copy of each channel block's
    dy rows of a chunk when the caller's rows do not all start on a cache line (NumPy
    aligns arrays to 16 bytes): the tile loads four dy vectors per step, and split lines
    cost deep-channels' weight gradient 10 % on Sapphire Rapids. A block's rows serve
    all its pair blocks, so the copy (16 KiB at most, in L1) is read once per chunk.

    With ``plan.with_bias`` the first pair block's item also adds its rows' sums (in
    float64, from the chunk just read, still in L1) to db, the C_out accumulators after
    dW's: a pass of its own read dy from memory again, 10-17 % of the backward of
    narrow and depthwise layers whose dy outgrows the L2."""
    cdef idx_t w_rows = geo.kern.wr, w_cols = geo.kern.wc
    cdef idx_t o_blocks = (geo.o_per_group + w_rows - 1) // w_rows
    cdef idx_t q_blocks = (geo.n_pairs + w_cols - 1) // w_cols
    cdef idx_t item, g, ob, qb, o0, q0, rows, cols, j0, n, r, copied
    cdef const real_t* xg
    cdef const real_t* dyb
    cdef idx_t ldb
    cdef bint copy
    if plan.gemm:
        _wgemm_items(geo, plan, dy, packed, offs, dw, first, last, dy_rows)
        return
    copy = (dy_rows != NULL and (
        (<size_t>dy) % 64 != 0 or (geo.ldy * sizeof(real_t)) % 64 != 0))
    j0 = 0
    while j0 < geo.l_out:
        n = min(<idx_t>W_CHUNK, geo.l_out - j0)
        copied = -1
        for item in range(first, last):
            g = item // (o_blocks * q_blocks)
            ob = (item // q_blocks) % o_blocks
            qb = item % q_blocks
            o0 = g * geo.o_per_group + ob * w_rows
            q0 = qb * w_cols
            rows = min(w_rows, geo.o_per_group - ob * w_rows)
            cols = min(w_cols, geo.n_pairs - q0)
            xg = packed + g * geo.c_per_group * geo.phases * geo.pitch + j0
            dyb = dy + o0 * geo.ldy + j0
            ldb = geo.ldy
            if copy:
                if copied != item // q_blocks:
                    copied = item // q_blocks
                    for r in range(rows):
                        memcpy(dy_rows + r * DY_ROWS_PITCH, dyb + r * geo.ldy,
                               n * sizeof(real_t))
                dyb = dy_rows
                ldb = DY_ROWS_PITCH
            wgrad(geo.kern, dyb, ldb, rows, xg, offs + q0, cols, n,
                  dw + o0 * geo.n_pairs + q0, geo.n_pairs)
            if plan.with_bias and qb == 0:
                for r in range(rows):
                    dw[geo.c_out * geo.n_pairs + o0 + r] += rowsum(geo.kern, dyb + r * ldb, n)
        j0 += W_CHUNK


def grad_weight_bias(const real_t[:, :, ::1] dy,     # IN  (N, C_out, L_out)
                     const real_t[:, :, ::1] x,      # IN  (N, C_in, L)
                     real_t[:, :, ::1] dw,           # OUT (C_out, C_in/groups, K) or empty
                     real_t[::1] db,                 # OUT (C_out,) or empty
                     idx_t left, idx_t right, int mode, double pad_value,
                     idx_t stride, idx_t dilation, idx_t groups, bint flip, int n_threads):
    """dL/dW and dL/db of conv1d for validated arrays (either output may be empty)."""
    cdef int status
    with nogil:
        status = _grad_weight_bias_run(dy, x, dw, db, left, right, mode, pad_value, stride,
                                       dilation, groups, flip, n_threads)
    check_status(status, "conv1d_backward")


cdef int _grad_weight_bias_run(const real_t[:, :, ::1] dy, const real_t[:, :, ::1] x,
                               real_t[:, :, ::1] dw, real_t[::1] db, idx_t left,
                               idx_t right, int mode, double pad_value, idx_t stride,
                               idx_t dilation, idx_t groups, bint flip,
                               int n_threads) noexcept nogil:
    cdef Geometry geo
    cdef idx_t n_batch = dy.shape[0]
    cdef bint want_w = dw.shape[0] > 0, want_b = db.shape[0] > 0
    make_geometry(&geo, x.shape[1], x.shape[2], left, right, stride, dilation,
                  dy.shape[1], dw.shape[1] if want_w else 1, dw.shape[2] if want_w else 1,
                  groups, dy.shape[2], active_kernels(), sizeof(real_t))
    geo.pitch = c_packed_pitch(geo.padded, stride, sizeof(real_t), geo.cols)
    cdef int threads = max(1, n_threads)
    cdef double flops = 2.0 * n_batch * geo.c_out * geo.l_out * geo.n_pairs
    if flops < PARALLEL_MIN_FLOPS:
        threads = 1
    cdef idx_t n, o, j, t, c, k, g
    cdef const real_t* dy0 = (&dy[0, 0, 0] if dy.shape[0] * dy.shape[1] * dy.shape[2] > 0
                              else <const real_t*>NULL)
    if want_w and n_batch == 0:
        memset(&dw[0, 0, 0], 0, dw.shape[0] * dw.shape[1] * dw.shape[2] * sizeof(real_t))
    if not want_w or n_batch == 0:
        if want_b:
            _bias_gradient(&geo, dy0, n_batch, &db[0], threads)
        return CC_OK
    cdef bint gemm = _wgrad_gemm(&geo, sizeof(real_t))
    cdef WgradPlan plan
    # Concatenating samples multiplies the zero gaps of dy by the neighbouring samples:
    # only for finite input and padding, or a NaN would reach dW entries that never
    # see the non-finite sample (0 * inf). The input is scanned only when the shape
    # asks for concatenation.
    _wgrad_plan(&plan, &geo, n_batch, mode, sizeof(real_t), threads, True, want_b)
    if plan.cat > 1 and not (pad_value - pad_value == 0 and _all_finite(
            &x[0, 0, 0] if x.shape[1] * x.shape[2] > 0 else <const real_t*>NULL,
            n_batch * x.shape[1] * x.shape[2])):
        _wgrad_plan(&plan, &geo, n_batch, mode, sizeof(real_t), threads, False, want_b)
    # The bias gradient: summed by wgemm from its panels of dy, or by wgrad from the
    # chunks it reads (plan.with_bias), else by a pass of its own.
    plan.dw_out = <void*>&dw[0, 0, 0]
    plan.flip = flip
    if want_b and not plan.with_bias:
        _bias_gradient(&geo, dy0, n_batch, &db[0], threads)
    # Work units: each part's items (wgemm's rectangles, made for the threads a part
    # gets, or wgrad's blocks), parts outermost.
    cdef idx_t n_rect = (plan.pv * plan.pq if gemm
                         else _wgrad_n_items(&geo, False, sizeof(real_t), threads))
    cdef idx_t n_items = n_rect * plan.parts
    threads = <int>min(<idx_t>threads, n_items)
    cdef char* block = <char*>malloc(plan.total)
    if block == NULL:
        return CC_ENOMEM
    cdef char* base = align64(block)
    cdef double* dw_acc = <double*>(base + plan.o_acc)
    cdef idx_t* offs = <idx_t*>(base + plan.o_offs)
    cdef idx_t* offs_e = <idx_t*>(base + plan.o_offs_e)
    cdef char* packed = base + plan.o_packed
    cdef char* rows_tmp = base + plan.o_row
    cdef char* work = base + plan.o_work
    cdef char* edges = base + plan.o_edges
    cdef char* dy_cat = base + plan.o_dycat
    cdef size_t b_packed = plan.b_packed, b_rows = plan.b_row, b_work = plan.b_work
    cdef size_t b_edges = plan.b_edges, b_dycat = plan.b_dycat, b_dy_rows = plan.b_dy_rows
    cdef char* dy_rows = base + plan.o_dy_rows
    cdef idx_t ng, n0, o_first, o_last
    cdef real_t value = <real_t>pad_value
    cdef idx_t per_thread = (n_items + threads - 1) // threads
    cdef idx_t first, last, c_first, c_last, part, i0, i1, n_end, n_groups, n1, n2, lb0, lb1
    cdef double* acc
    cdef size_t acc_len = plan.acc_len
    cdef idx_t n_tiles
    if plan.in_place:
        geo.pitch = geo.length
    fill_pair_offsets(offs, geo.c_per_group, geo.k_size, stride, dilation,
                      plan.block_pitch if plan.blocked or plan.cat > 1 else geo.pitch,
                      geo.phases)
    if plan.e_pitch > 0:
        for c in range(geo.n_pairs):   # a row of columns per pair (_wgrad_in_place)
            offs_e[c] = c * plan.e_pitch
    if plan.direct_out:
        # dW is written by the items; only db's accumulators are summed into
        memset(dw_acc + geo.c_out * geo.n_pairs, 0, (plan.acc_len - geo.c_out * geo.n_pairs)
               * sizeof(double))
    else:
        memset(dw_acc, 0, plan.b_acc)
    # One packed sample (or length block) per thread: each thread packs the
    # samples for itself, so the whole call is a single parallel region (a region
    # per sample made every thread wait for the slowest at each sample; next to
    # PyTorch's own spinning OpenMP threads that cost more than the arithmetic).
    for t in prange(threads, schedule="static", num_threads=threads):
        # Each thread zeroes its own packed rows and dy rows (serially, before the
        # region, the two threads' 1.4 MiB of an FCN layer's were 5 % of its dW).
        memset(packed + t * b_packed, 0, b_packed)
        memset(dy_cat + t * b_dycat, 0, b_dycat)
        first = t * per_thread
        last = min(first + per_thread, n_items)
        if first < last:
            # This thread's units part by part, each part's items into its own
            # accumulators: a long sample's part over its length blocks (every sample),
            # a batch part over its samples (one part unless _wgrad_plan made more).
            # Items run group by group: pack only the channels of its groups (and, when
            # concatenating, copy only its dy rows). Assigned here first, so that prange
            # makes them private to the thread before their addresses are passed on.
            part = first // n_rect
            while part * n_rect < last:
                i0 = max(first, part * n_rect) - part * n_rect
                i1 = min(last, (part + 1) * n_rect) - part * n_rect
                c_first = c_last = o_first = o_last = 0
                _wgrad_rows(&geo, &plan, sizeof(real_t), i0, i1, &c_first, &c_last,
                            &o_first, &o_last)
                acc = dw_acc + part * acc_len
                if plan.cat > 1:
                    # the part's samples, concatenated in groups of at most cat, as
                    # even as they go (8 samples by 6 make 4 and 4, not 6 and 2)
                    n0 = part * n_batch // plan.parts
                    n_end = (part + 1) * n_batch // plan.parts
                    n_groups = (n_end - n0 + plan.cat - 1) // plan.cat
                    for ng in range(n_groups):
                        n1 = n0 + (ng + 1) * (n_end - n0) // n_groups
                        n2 = n0 + ng * (n_end - n0) // n_groups
                        _wgrad_cat(&geo, &plan, &x[n2, 0, 0], &dy[n2, 0, 0], n1 - n2,
                                   <real_t*>(packed + t * b_packed),
                                   <real_t*>(rows_tmp + t * b_rows),
                                   <double*>(work + t * b_work),
                                   <real_t*>(dy_cat + t * b_dycat), offs, acc, i0, i1,
                                   c_first, c_last, o_first, o_last, mode, value,
                                   <real_t*>(dy_rows + t * b_dy_rows))
                    part = part + 1
                    continue
                n0 = 0 if plan.length_parts else part * n_batch // plan.parts
                n_end = n_batch if plan.length_parts else (part + 1) * n_batch // plan.parts
                lb0 = part * plan.n_lblocks // plan.parts if plan.length_parts else 0
                lb1 = ((part + 1) * plan.n_lblocks // plan.parts if plan.length_parts
                       else plan.n_lblocks)
                if plan.in_place:
                    _wgrad_in_place(&geo, &plan, &x[0, 0, 0], &dy[0, 0, 0], n0, n_end,
                                    lb0, lb1, <real_t*>(packed + t * b_packed),
                                    <real_t*>(dy_cat + t * b_dycat),
                                    <real_t*>(rows_tmp + t * b_rows),
                                    <real_t*>(edges + t * b_edges),
                                    <double*>(work + t * b_work), offs, offs_e, acc,
                                    i0, i1, c_first, c_last, o_first, o_last, mode, value,
                                    <real_t*>(dy_rows + t * b_dy_rows))
                    part = part + 1
                    continue
                for n in range(n0, n_end):
                    if plan.blocked:
                        _wgrad_blocks(&geo, &plan, &x[n, 0, 0], &dy[n, 0, 0],
                                      <real_t*>(packed + t * b_packed),
                                      <real_t*>(rows_tmp + t * b_rows),
                                      <real_t*>(edges + t * b_edges),
                                      <double*>(work + t * b_work), offs, acc,
                                      i0, i1, c_first, c_last, mode, value,
                                      <real_t*>(dy_rows + t * b_dy_rows), lb0, lb1)
                        continue
                    pack_channels(&x[n, 0, 0] if geo.length > 0
                                  else <const real_t*>NULL,
                                  <real_t*>(packed + t * b_packed),
                                  <real_t*>(rows_tmp + t * b_rows), &geo, c_first,
                                  c_last, mode, value, <double*>(work + t * b_work), NULL)
                    # A thread owns its items (blocks of dW) for every sample of the part
                    # and adds them in order: each entry is summed in one fixed order.
                    _wgrad_items(&geo, &plan, &dy[n, 0, 0],
                                 <real_t*>(packed + t * b_packed), offs, acc, i0, i1,
                                 <real_t*>(dy_rows + t * b_dy_rows))
                part = part + 1
    cdef idx_t o_pg = geo.o_per_group
    cdef size_t e
    for part in range(1, plan.parts):
        # the parts' sums added in their order: the same bits at any thread count
        for e in range(acc_len):
            dw_acc[e] += dw_acc[part * acc_len + e]
    if plan.with_bias:
        for o in range(geo.c_out):
            db[o] = <real_t>dw_acc[geo.c_out * geo.n_pairs + o]
    if plan.direct_out:
        pass
    elif gemm:
        # wgemm's accumulators are dW transposed per group, (n_pairs, o_per_group): a
        # tiled transpose, EPILOGUE_O channels by EPILOGUE_Q pairs, whose rows of the
        # accumulators stay in L1 while the tile's dW rows are written along. Down whole
        # columns, a layer with 1408 pairs (2.9 MiB of accumulators, past L2) spent 12 %
        # of its weight gradient here; along whole rows wrote a line per entry.
        n_tiles = groups * ((o_pg + EPILOGUE_O - 1) // EPILOGUE_O)
        for t in prange(n_tiles, schedule="static", num_threads=threads):
            _transpose_tile(dw_acc, &dw[0, 0, 0], geo.n_pairs, o_pg, geo.k_size, t, flip)
    else:
        for o in range(geo.c_out):
            for c in range(geo.c_per_group):
                for k in range(geo.k_size):
                    dw[o, c, geo.k_size - 1 - k if flip else k] = <real_t>dw_acc[
                        (o * geo.c_per_group + c) * geo.k_size + k]
    free(block)
    return CC_OK


cdef void _transpose_tile(const double* acc, real_t* dw, idx_t n_pairs, idx_t o_pg,
                          idx_t k_size, idx_t tile, bint flip) noexcept nogil:
    """Tile ``tile`` (group-major, EPILOGUE_O output channels each) of dW from wgemm's
    per-group transposed float64 accumulators ``(n_pairs, o_per_group)``; ``flip``
    reverses each channel's K taps."""
    cdef idx_t o_tiles = (o_pg + EPILOGUE_O - 1) // EPILOGUE_O
    cdef idx_t g = tile // o_tiles, o0 = (tile % o_tiles) * EPILOGUE_O
    cdef idx_t o1 = min(o0 + EPILOGUE_O, o_pg), q0, q1, o, q, k
    cdef const double* acc_g = acc + g * n_pairs * o_pg
    cdef real_t* row
    q0 = 0
    while q0 < n_pairs:
        q1 = min(q0 + EPILOGUE_Q, n_pairs)
        for o in range(o0, o1):
            row = dw + (g * o_pg + o) * n_pairs
            if flip:
                for q in range(q0, q1):
                    k = q % k_size
                    row[q - k + k_size - 1 - k] = <real_t>acc_g[q * o_pg + o]
            else:
                for q in range(q0, q1):
                    row[q] = <real_t>acc_g[q * o_pg + o]
        q0 = q1


cdef void _bias_gradient(const Geometry* geo, const real_t* dy, idx_t n_batch,
                         real_t* db, int threads) noexcept nogil:
    """db = dy summed over samples and positions (_bias_rows), a pass of its own."""
    cdef idx_t o
    for o in prange((geo.c_out + BIAS_ROWS - 1) // BIAS_ROWS, schedule="dynamic",
                    num_threads=threads):
        _bias_rows(geo.kern, dy, n_batch, geo.c_out, geo.l_out, o * BIAS_ROWS,
                   min(o * BIAS_ROWS + BIAS_ROWS, geo.c_out), db)


cdef void _bias_rows(const cc_kernels_t* kern, const real_t* dy, idx_t n_batch,
                     idx_t c_out, idx_t l_out, idx_t o0, idx_t o1,
                     real_t* db) noexcept nogil:
    """db[o0:o1] = dy summed over samples and positions, in float64.

    Each channel adds its samples' row sums in sample order (the result does not depend
    on the thread count), but samples are the outer loop: a sample's rows o0..o1 are one
    contiguous run. Channel by channel, consecutive rows sat C_out * L_out apart, a new
    page each time, and the sum ran at half numpy's speed once dy left the L2."""
    cdef double acc[BIAS_ROWS]
    cdef idx_t n, o
    for o in range(o1 - o0):
        acc[o] = 0.0
    for n in range(n_batch):
        for o in range(o0, o1):
            acc[o - o0] += rowsum(kern, dy + (n * c_out + o) * l_out, l_out)
    for o in range(o0, o1):
        db[o] = <real_t>acc[o - o0]


cdef struct WgradPlan:
    # The weight gradient's workspace, sized and placed in one function (as the forward's
    # Plan): float64 accumulators and pair offsets, and per thread a packed sample (or a
    # packed length block), a padded row, a median scratch and the edge samples.
    bint blocked
    bint gemm                 # wgemm's items (_wgrad_gemm), else wgrad's
    bint with_bias            # wgemm or wgrad sums db too, into the C_out values
                              # after each part's dW accumulators
    idx_t acc_len             # accumulators a part: C_out * n_pairs (+ C_out)
    bint in_place             # wgemm on the caller's rows, unpacked (pitch: the length);
                              # a padded layer's outputs next to the padding gathered
    bint length_parts         # parts split each sample's length blocks (else: samples)
    idx_t e_pitch             # in_place: row pitch of the gathered columns and their dy
    idx_t e_cap               #   (0: no padding), and columns per call
    idx_t pv, pq              # wgemm: its split into rectangles (_wgemm_parts)
    bint direct_out           # wgemm, one call per dW entry: each pair block's sums go
    void* dw_out              #   through a strip (after the panels, at strip_off) into
    bint flip                 #   dW (dw_out, real_t), with no float64 accumulators
    size_t strip_off
    idx_t parts               # length-block parts (blocked) or batch parts (else),
                              # each with its own accumulators
    idx_t chunk               # positions per kernel call
    idx_t block_len, n_lblocks, block_pitch
    idx_t cat, seg, cat_ldy   # samples per concatenated group (1: none), their stride
    size_t b_acc, b_packed, b_row, b_work, b_edges, b_dycat, b_dy_rows
    size_t o_acc, o_offs, o_offs_e, o_packed, o_row, o_work, o_edges, o_dycat, o_dy_rows
    size_t total


cdef bint _all_finite(const real_t* x, idx_t n) noexcept nogil:
    """No NaN or infinity in ``x[:n]`` (``x - x`` is 0 for finite values, NaN else).

    An integer AND of the comparisons, in 4096-element steps: a floating-point sum
    would be one dependent add per element (compilers may not reorder it), which made
    the scan of a depthwise layer's input cost as much as its weight gradient."""
    cdef idx_t i = 0, j, end
    cdef int ok = 1
    while i < n and ok:
        end = min(i + 4096, n)
        for j in range(i, end):
            ok = ok & (x[j] - x[j] == 0)
        i = end
    return ok


cdef void _wgrad_plan(WgradPlan* plan, const Geometry* geo, idx_t n_batch, int mode,
                      idx_t itemsize, int threads, bint finite,
                      bint want_b) noexcept nogil:
    """A sample whose packed channels exceed WHOLE_SAMPLE_BYTES is packed a length block
    at a time; a block is a whole number of W_CHUNK positions, so every dW entry sums
    the same wgrad calls in the same order as with whole-sample packing (bit-identical).

    Short samples are concatenated: ``cat`` samples' packed rows (and dy rows, zeros
    between them) end to end, one sample every ``seg`` positions, so one wgrad call
    reduces over about W_CHUNK positions instead of one sample's L_out. A call's fixed
    cost (the widening and horizontal sums of its 24 accumulators) is worth tens of
    positions of products: at L = 150 it halved the kernel's rate. The groups depend
    on the shape only, so results stay independent of the thread count; not for
    ``finite`` False (a non-finite input or padding value)."""
    cdef idx_t rows = geo.c_in * geo.phases, span = (geo.k_size - 1) * geo.dilation
    cdef idx_t halo, avail, n_packed, n_row, n_work, n_edges = 0, n_dycat = 0, interior
    cdef idx_t ends
    cdef idx_t lanes = vector_lanes(geo.kern, itemsize), o_lanes
    cdef size_t cursor = 0
    plan.gemm = _wgrad_gemm(geo, itemsize)
    plan.with_bias = want_b
    plan.acc_len = geo.c_out * geo.n_pairs + (geo.c_out if plan.with_bias else 0)
    # wgemm's panels hold a chunk of a group's dy rows; chunks of W_CHUNK >> s positions
    # (s by the shape only) keep them within PANEL_BYTES and still divide a length
    # block, so every entry sums the same calls in the same order on every route.
    o_lanes = (geo.o_per_group + lanes - 1) // lanes * lanes
    plan.chunk = W_CHUNK
    while (plan.gemm and plan.chunk > PANEL_MIN_CHUNK
           and o_lanes * plan.chunk * itemsize > PANEL_BYTES):
        plan.chunk //= 2
    plan.blocked = <double>rows * geo.pitch * itemsize > WHOLE_SAMPLE_BYTES
    plan.block_len = geo.l_out
    plan.n_lblocks = 1
    plan.block_pitch = geo.pitch
    # A sample's stride in the concatenation: its longest phase row. Output j reads
    # phase positions j + (k*d)//s < seg (the last window ends inside the padded row).
    plan.seg = (geo.padded + geo.stride - 1) // geo.stride
    plan.cat = 1
    plan.cat_ldy = geo.l_out
    # wgemm's per-call cost is small (its accumulators are one tile of registers): it
    # concatenates only samples too short for its reduction (fewer than WGEMM_CAT_L
    # outputs) whose padding leaves little of a segment empty. At L = 150 concatenating
    # made a 128 -> 256, K = 5 layer's dW 7 % slower (chunked panels, the copy of dy),
    # and with a dilated K = 11 (padding 160 for 150 outputs) half its products zero.
    if (finite and not plan.blocked and geo.length > 0 and 2 * plan.seg <= W_CHUNK
            and (not plan.gemm or (geo.l_out < WGEMM_CAT_L
                                   and 4 * (plan.seg - geo.l_out) <= plan.seg))):
        plan.cat = min(n_batch, W_CHUNK // plan.seg)
        if <double>rows * (plan.cat * plan.seg + geo.cols + SLACK_CAT) * itemsize \
                > WHOLE_SAMPLE_BYTES:
            plan.cat = 1
    n_work = geo.length if mode == CC_PAD_MEDIAN else 1
    # wgemm reads its input a sample at a time, never past a row's end: an unstrided
    # layer's rows are read where they are, not packed (pointwise layers: the copy was
    # 6 % of their weight gradient; 'same'-padded 32-64 channel layers 8-16 %). Outputs
    # whose windows reach into the padding (the first ``left`` and the last ``right``)
    # are gathered apart (_wgrad_in_place). The length blocks only share a long sample
    # between threads (parts, below). Short samples still concatenate: one call then
    # sums up to W_CHUNK positions instead of one sample's. wgrad (whose loads are
    # masked at a row's end too) keeps the packed copy: in place, its six shifted
    # streams of a row read from memory ran a grouped layer's gradients 1.1x slower
    # after other work had left the caches (faster only while they were warm).
    interior = geo.l_out - geo.left - geo.right
    ends = geo.left + geo.right
    plan.in_place = (plan.gemm and plan.cat == 1 and geo.stride == 1 and geo.length > 0
                     and interior > 0 and ends <= W_CHUNK
                     and (ends == 0 or <double>n_batch * rows * geo.length >= IN_PLACE_MIN))
    plan.e_pitch = plan.e_cap = 0
    if plan.in_place:
        plan.blocked = False
        if ends > 0:
            # the outputs next to the padding, as columns: a sample's at least
            plan.e_cap = max(1, E_CAP // ends) * ends
            plan.e_pitch = (plan.e_cap + 15) // 16 * 16
        n_packed = rows * geo.k_size * plan.e_pitch
        n_dycat = geo.c_out * plan.e_pitch
        n_row = 1
        if mode != CC_PAD_CONSTANT and ends > 0:
            n_row = geo.padded
            n_edges = geo.c_in * ends
        plan.block_len = interior
        if <double>rows * geo.length * itemsize > WHOLE_SAMPLE_BYTES:
            plan.block_len = min(max(1, BLOCK_BYTES // (rows * itemsize) // W_CHUNK)
                                 * W_CHUNK, interior)
        plan.n_lblocks = (interior + plan.block_len - 1) // plan.block_len
    elif plan.blocked:
        halo = span // geo.stride + 1 + geo.cols + 32
        avail = BLOCK_BYTES // (rows * itemsize) - halo
        plan.block_len = min(max(1, avail // W_CHUNK) * W_CHUNK, geo.l_out)
        plan.n_lblocks = (geo.l_out + plan.block_len - 1) // plan.block_len
        plan.block_pitch = c_packed_pitch(
            min((plan.block_len - 1) * geo.stride + span + 1, geo.padded), geo.stride,
            itemsize, geo.cols)
        n_packed = rows * plan.block_pitch
        n_row = geo.padded if mode != CC_PAD_CONSTANT else 1
        n_edges = geo.c_in * (geo.left + geo.right) if mode != CC_PAD_CONSTANT else 1
    elif plan.cat > 1:
        plan.block_pitch = c_packed_pitch(plan.cat * plan.seg * geo.stride, geo.stride,
                                          itemsize, geo.cols)
        plan.cat_ldy = (plan.cat * plan.seg + 15) // 16 * 16
        if (plan.cat_ldy * itemsize) % 4096 == 0:
            plan.cat_ldy += 16
        n_packed = rows * plan.block_pitch
        n_row = geo.padded if geo.stride > 1 else 1
        n_dycat = geo.c_out * plan.cat_ldy
    else:
        n_packed = rows * geo.pitch
        n_row = geo.padded if geo.stride > 1 else 1
    # Parts: a long sample's length blocks in up to WGRAD_PARTS runs, each summed into
    # accumulators of its own that are added in order at the end. Threads then share a
    # sample by parts, each transposing and packing only its own positions (splitting
    # the dW entries instead made every thread transpose all of a few channels' dy: 1.4x
    # on two threads for 32 channels of 65536 samples). The parts depend on the shape
    # only, so every entry is still summed in one order whatever the thread count; they
    # are made only while their accumulators stay small (wide layers split their
    # entries without repeating work).
    plan.parts = 1
    plan.length_parts = False
    if ((plan.blocked or plan.in_place) and plan.n_lblocks > 1
            and geo.c_out * geo.n_pairs * sizeof(double) <= PARTS_ACC_BYTES // WGRAD_PARTS):
        plan.parts = min(plan.n_lblocks, <idx_t>WGRAD_PARTS)
        plan.length_parts = True
    # Batch parts, likewise: the samples (or concatenated groups of them) in parts fixed
    # by the shape, each summed into accumulators of its own and added in part order,
    # so threads can share a batch by samples. Splitting the dW entries instead made
    # every thread pack the whole input: on two threads a 64-channel layer's weight
    # gradient packed 8 MiB of it twice, a 256 -> 128 channel one at L = 150 2.4 MiB.
    elif (not plan.blocked and geo.c_out * geo.n_pairs * sizeof(double) <= BATCH_ACC_BYTES
            and n_batch >= BATCH_PARTS):
        plan.parts = BATCH_PARTS
    _wgemm_parts(geo, itemsize, max(1, threads // plan.parts), &plan.pv, &plan.pq)
    # One sample read in place in one chunk, no padding (the K = 1 call of the weight
    # columns, a batch-1 layer): every dW entry is summed by a single wgemm call, so
    # each pair block's tiles go to a strip in L1 and from there straight into dW.
    # Through the float64 accumulators (zeroed, added to, transposed: three passes
    # over 6 MiB for 512 -> 512 channels, K = 3) the epilogue was a third of the call.
    plan.direct_out = (plan.gemm and plan.in_place and n_batch == 1 and plan.parts == 1
                       and geo.kern.mr <= STRIP_ROWS
                       and ends == 0 and plan.n_lblocks == 1 and interior <= plan.chunk)
    plan.dw_out = NULL
    plan.flip = False
    plan.b_acc = aligned_bytes(plan.parts * plan.acc_len * sizeof(double))
    plan.b_packed = aligned_bytes(n_packed * itemsize)
    plan.b_row = aligned_bytes(n_row * itemsize)
    plan.b_work = aligned_bytes(n_work * sizeof(double))
    plan.b_edges = aligned_bytes(n_edges * itemsize)
    plan.b_dycat = aligned_bytes(n_dycat * itemsize)
    # _wgrad_items' copy of a channel block's dy rows (the concatenated route's dy is
    # its own aligned copy already), or wgemm's panels of a group
    if plan.gemm:
        plan.strip_off = aligned_bytes(o_lanes * plan.chunk * itemsize)
        plan.b_dy_rows = plan.strip_off + (
            aligned_bytes(geo.kern.mr * geo.o_per_group * sizeof(double))
            if plan.direct_out else 0)
    else:
        plan.b_dy_rows = aligned_bytes(
            (geo.kern.wr * DY_ROWS_PITCH if plan.cat == 1 else 0) * itemsize)
    plan.o_acc = place(&cursor, plan.b_acc)
    plan.o_offs = place(&cursor, max(geo.n_pairs, 1) * sizeof(idx_t))
    plan.o_offs_e = place(&cursor, max(geo.n_pairs, 1) * sizeof(idx_t))
    plan.o_packed = place(&cursor, threads * plan.b_packed)
    plan.o_row = place(&cursor, threads * plan.b_row)
    plan.o_work = place(&cursor, threads * plan.b_work)
    plan.o_edges = place(&cursor, threads * plan.b_edges)
    plan.o_dycat = place(&cursor, threads * plan.b_dycat)
    plan.o_dy_rows = place(&cursor, threads * plan.b_dy_rows)
    plan.total = cursor + 64


cdef void _wgrad_cat(const Geometry* geo, const WgradPlan* plan, const real_t* x0,
                     const real_t* dy0, idx_t count, real_t* packed, real_t* row,
                     double* work, real_t* dy_cat, const idx_t* offs, double* dw,
                     idx_t first, idx_t last, idx_t c_first, idx_t c_last, idx_t o_first,
                     idx_t o_last, int mode, real_t value, real_t* panels) noexcept nogil:
    """dW items [first, last) over ``count`` consecutive samples packed end to end.

    dy_cat's positions [l_out, seg) of each sample stay zero (zeroed once): the products
    there, with the next sample's first samples, add nothing."""
    cdef Geometry cat = geo[0]
    cdef idx_t i, o, seg = plan.seg
    cat.pitch = plan.block_pitch
    cat.ldy = plan.cat_ldy
    cat.l_out = count * seg
    for i in range(count):
        pack_channels(x0 + i * geo.c_in * geo.length, packed + i * seg, row, &cat,
                      c_first, c_last, mode, value, work, NULL)
        for o in range(o_first, o_last):
            memcpy(dy_cat + o * cat.ldy + i * seg, dy0 + (i * geo.c_out + o) * geo.l_out,
                   geo.l_out * sizeof(real_t))
    _wgrad_items(&cat, plan, dy_cat, packed, offs, dw, first, last,
                 panels if plan.gemm else <real_t*>NULL)


cdef void _wgrad_blocks(const Geometry* geo, const WgradPlan* plan, const real_t* x_n,
                        const real_t* dy_n, real_t* packed, real_t* row, real_t* edges,
                        double* work, const idx_t* offs, double* dw, idx_t first,
                        idx_t last, idx_t c_first, idx_t c_last, int mode,
                        real_t value, real_t* dy_rows, idx_t lb0, idx_t lb1) noexcept nogil:
    """One sample's share of dW items [first, last) over length blocks [lb0, lb1), a
    packed block at a time."""
    cdef Geometry block = geo[0]
    cdef idx_t lb, j0
    if mode != CC_PAD_CONSTANT:
        pad_edges(x_n, edges, row, geo, mode, value, work, c_first, c_last, NULL)
    block.pitch = plan.block_pitch
    for lb in range(lb0, lb1):
        j0 = lb * plan.block_len
        block.l_out = min(plan.block_len, geo.l_out - j0)
        pack_block(x_n, packed, geo, plan.block_pitch, j0 * geo.stride,
                   (block.l_out - 1) * geo.stride + (geo.k_size - 1) * geo.dilation + 1,
                   edges, value, mode == CC_PAD_CONSTANT, c_first, c_last)
        _wgrad_items(&block, plan, dy_n + j0, packed, offs, dw, first, last, dy_rows)


cdef inline void _padded_run(real_t* d, const real_t* xr, const real_t* ec, idx_t p0,
                             idx_t count, idx_t left, idx_t length, bint constant,
                             real_t value) noexcept nogil:
    """d[i] = padded position p0 + i of one row (i < count): ``xr[p0 + i - left]``
    inside the sample ``xr``, else the padding, ``value`` or ``ec`` (the row's left
    then right padding samples): three runs of plain loops the compiler vectorises,
    not a test per position."""
    cdef idx_t i, a, b
    a = min(max(left - p0, 0), count)              # [0, a): left padding
    b = min(max(left + length - p0, a), count)     # [a, b): the sample; [b, count): right
    if constant:
        for i in range(a):
            d[i] = value
        for i in range(b, count):
            d[i] = value
    else:
        for i in range(a):
            d[i] = ec[p0 + i]
        for i in range(b, count):
            d[i] = ec[p0 + i - length]
    for i in range(a, b):
        d[i] = xr[p0 + i - left]


cdef void _wgrad_in_place(const Geometry* geo, const WgradPlan* plan, const real_t* x0,
                          const real_t* dy0, idx_t n0, idx_t n_end, idx_t lb0, idx_t lb1,
                          real_t* cols, real_t* dy_e, real_t* row, real_t* edges,
                          double* work, const idx_t* offs, const idx_t* offs_e,
                          double* dw, idx_t first, idx_t last, idx_t c_first,
                          idx_t c_last, idx_t o_first, idx_t o_last, int mode,
                          real_t value, real_t* panels) noexcept nogil:
    """Samples [n0, n_end)' share of dW items [first, last) (wgemm, stride 1), their
    rows read where they are: the outputs [left, l_out - right), whose windows lie
    inside the sample, over length blocks [lb0, lb1) straight from the sample's rows.

    With the first block, the first ``left`` and the last ``right`` outputs, whose
    windows reach into the padding, are gathered as columns: ``cols`` holds a row per
    pair (c, k), ``xp[c, j + k*d]`` for each such output j, and ``dy_e`` their dy rows
    (pitch ``plan.e_pitch`` both), summed ``plan.e_cap`` columns (several samples') a
    call. Only real products: a call per sample and end (a tile's flush for one or two
    positions) cost a 64-channel layer of 1024 samples most of what reading in place
    saves, and padded copies of the ends with zero-weighted outputs between them 5 %
    of an L = 150 layer's products. The batches depend on the shape only, so every
    entry is summed in one order at any thread count."""
    cdef Geometry sub = geo[0], ends = geo[0]
    cdef idx_t left = geo.left, right = geo.right, hi = geo.l_out - geo.right
    cdef idx_t lb, j0, n, o, c, k, j, fill = 0, per = left + right
    cdef idx_t length = geo.length, k_size = geo.k_size
    cdef bint constant = mode == CC_PAD_CONSTANT
    cdef const real_t* x_n
    cdef const real_t* ec
    cdef const real_t* dy_n
    cdef real_t* d
    ends.pitch = k_size * plan.e_pitch      # a channel's K rows of columns
    ends.ldy = plan.e_pitch
    for n in range(n0, n_end):
        x_n = x0 + n * geo.c_in * length
        dy_n = dy0 + n * geo.c_out * geo.ldy
        for lb in range(lb0, lb1):
            j0 = lb * plan.block_len
            sub.l_out = min(plan.block_len, hi - left - j0)
            _wgrad_items(&sub, plan, dy_n + left + j0, x_n + j0, offs, dw, first, last,
                         panels)
        if lb0 > 0 or per == 0:
            continue
        if not constant:
            pad_edges(x_n, edges, row, geo, mode, value, work, c_first, c_last, NULL)
        for c in range(c_first, c_last):
            ec = edges + c * per
            for k in range(k_size):
                d = cols + (c * k_size + k) * plan.e_pitch + fill
                _padded_run(d, x_n + c * length, ec, k * geo.dilation, left, left, length,
                            constant, value)
                _padded_run(d + left, x_n + c * length, ec, hi + k * geo.dilation, right,
                            left, length, constant, value)
        for o in range(o_first, o_last):
            d = dy_e + o * plan.e_pitch + fill
            for j in range(left):
                d[j] = dy_n[o * geo.ldy + j]
            for j in range(right):
                d[left + j] = dy_n[o * geo.ldy + hi + j]
        fill += per
        if fill + per > plan.e_cap:
            ends.l_out = fill
            _wgrad_items(&ends, plan, dy_e, cols, offs_e, dw, first, last, panels)
            fill = 0
    if fill > 0:
        ends.l_out = fill
        _wgrad_items(&ends, plan, dy_e, cols, offs_e, dw, first, last, panels)


# Specialisations by dtype.char (see _forward.FORWARD for why).
GRAD_INPUT = {"f": grad_input["float"], "d": grad_input["double"]}


def _pointwise_by_strips(dy, w, dx, idx_t groups, int n_threads, bias):
    """The input gradient of a K = 1 layer without padding or stride is the K = 1 layer
    of the transposed weights over ``dy``, ``dx[n, c] = sum_o w[o, c] dy[n, o]`` (per
    group): where that layer's forward takes column strips (many output channels a
    group: the rows a tile sums), it runs there. Each sum is the same chain of
    products in the same order as the input gradient's own igemm (bit for bit); the
    strips read ``dy``'s channels as one contiguous run a tile (256 output channels:
    0.9x PyTorch's time before, on Zen 3). Returns whether it ran."""
    cdef idx_t n = dy.shape[0], c_out = dy.shape[1], c_in = dx.shape[1]
    cdef idx_t length = dx.shape[2]
    if _forward.forward_route(n, c_out, length, c_in, c_out // groups, 1, 0, 0, length,
                              1, 1, groups, 0, dx.dtype.itemsize, n_threads) != "strips":
        return False
    wt = np.ascontiguousarray(
        w.reshape(groups, c_out // groups, c_in // groups).transpose(0, 2, 1)
    ).reshape(c_in, c_out // groups, 1)
    b = bias if bias is not None else np.empty(0, dx.dtype)
    _forward.FORWARD[dx.dtype.char](dy, wt, b, dx, 0, 0, CC_PAD_CONSTANT, 0.0, 1, 1,
                                    groups, False, n_threads)
    return True


def _dense_by_winograd(ConvSpec spec, dy, w, dx, bint flip, int n_threads, bias):
    """The input gradient of a dense K-tap layer (K >= 3) of stride 1 and dilation d
    with constant padding of at most h = (K - 1) d a side is the K-tap forward (same
    dilation) of ``dy`` padded by ``h - left``, ``h - right`` with the transposed
    weights, taps reversed (``flip`` inverted), ``dx[c, i] = sum_o sum_k w[o, c, k]
    dy[o, i + left - k d]``:
    where that forward takes the Winograd route (``method="auto"``: float32, many
    channels; past 5 taps as runs of taps), it runs there (0.74-0.79x the direct input
    gradient's time at K = 3). Returns whether it ran."""
    cdef const ConvArgs* a = &spec.args
    cdef idx_t n = dy.shape[0], c_out = dy.shape[1], c_in = dx.shape[1]
    cdef idx_t h = (a.k_size - 1) * a.dilation
    if (a.k_size < 3 or a.stride != 1
            or a.groups != 1 or a.code != CC_PAD_CONSTANT or a.left > h or a.right > h):
        return False
    # 3 taps from twice the forward's channels: the direct input gradient of a
    # 64-channel layer is faster than the direct forward, and F(4, 3) took 1.13-1.21x
    # its time on the TCN layer (32 x 64 -> 64, L = 1024; 0.88-0.97x on others).
    if a.k_size == 3 and min(c_in, c_out) < 2 * winograd_min_channels():
        return False
    if _forward.forward_route(n, c_out, dy.shape[2], c_in, c_out, a.k_size, h - a.left,
                              h - a.right, dx.shape[2], 1, a.dilation, 1, CC_PAD_CONSTANT,
                              dx.dtype.itemsize, n_threads, True) != "winograd":
        return False
    wt = np.ascontiguousarray(w.transpose(1, 0, 2))
    b = bias if bias is not None else np.empty(0, dx.dtype)
    _forward.FORWARD[dx.dtype.char](dy, wt, b, dx, h - a.left, h - a.right,
                                    CC_PAD_CONSTANT, 0.0, 1, a.dilation, 1, not flip,
                                    n_threads, True)
    return True


def input_gradient(ConvSpec spec, dy, w, dx, x, bint flip, int n_threads, bias=None,
                   bint winograd=False):
    """dL/dx of the checked conv1d call ``spec`` into ``dx``: ``dy`` ``(N, C_out, L_out)``,
    ``w``, ``dx`` ``(N, C_in, L)`` and ``x`` (the input, or ``(0, 0, 0)`` for modes that
    do not need it) are C-contiguous arrays of ``spec.dtype``; ``bias`` ``(C_in,)``, of
    that dtype and C-contiguous (constant padding only): conv_transpose1d's, added as
    the sums start. ``winograd``: a ``method="auto"`` call, whose dense float32 layers
    of 3 or more taps may take the forward's Winograd route (_dense_by_winograd; past 5
    taps by runs of 3-5 taps)."""
    cdef const ConvArgs* a = &spec.args
    if (a.k_size == 1 and a.stride == 1 and a.left == 0 and a.right == 0
            and _pointwise_by_strips(dy, w, dx, a.groups, n_threads, bias)):
        return
    if winograd and _dense_by_winograd(spec, dy, w, dx, flip, n_threads, bias):
        return
    GRAD_INPUT[spec.dtype.char](dy, w, dx, x, a.left, a.right, a.code, a.stride,
                                a.dilation, a.groups, flip, n_threads, bias)


cdef bint _use_wcols = True   # tests compare the two routes (_set_weight_columns)


cdef bint _wcols_applies(const Geometry* geo, idx_t n_batch, idx_t itemsize) noexcept nogil:
    """Whether the weight gradient goes by columns (weight_bias_gradient): short
    outputs of two samples or more, on wgemm's shapes, columns within WCOLS_BYTES."""
    cdef idx_t samples = (n_batch + WCOLS_UNITS - 1) // WCOLS_UNITS
    return (_use_wcols and n_batch >= 2 and 0 < geo.l_out < WGEMM_CAT_L
            and geo.length > 0 and _wgrad_gemm(geo, itemsize)
            and <double>(geo.c_in * geo.k_size + geo.c_out) * WCOLS_UNITS * samples
            * geo.l_out * itemsize <= WCOLS_BYTES)


def _set_weight_columns(bint on):
    """Whether the weight gradient of short outputs goes by columns; returns the
    previous setting."""
    global _use_wcols
    cdef bint was = _use_wcols
    _use_wcols = on
    return was


_scratch = threading.local()


def _scratch_arrays(slot, shapes, dtype):
    """Arrays of these shapes (C-contiguous, uninitialised) in a buffer the calling
    thread keeps under ``slot`` and reuses (grown, never shrunk): the weight gradient's
    columns ("columns", at most WCOLS_BYTES) and the Winograd weight gradient's
    transforms ("winograd", at most WINO_WGRAD_BYTES and the transformed gradient).
    Fresh arrays each call cost page faults: next to the kernel's workspace they left
    glibc's heap to trim and map again, 930 faults a call of a 256-channel layer of 8
    outputs, a fifth of its time; the Winograd route's 8 MB of a 128 -> 256-channel,
    5-tap layer (16 x 150 samples) spent a sixth of its time in the kernel's page
    faults."""
    sizes = [int(np.prod(shape)) for shape in shapes]
    need = sum(sizes) * dtype.itemsize
    buf = getattr(_scratch, slot, None)
    if buf is None or buf.nbytes < need:
        buf = np.empty(need, np.uint8)
        setattr(_scratch, slot, buf)
    flat = buf[:need].view(dtype)
    arrays, start = [], 0
    for shape, size in zip(shapes, sizes):
        arrays.append(flat[start:start + size].reshape(shape))
        start += size
    return arrays


cdef extern from "cconv1d/include/cconv1d/cc_winograd.h" nogil:
    idx_t cc_wino_step(idx_t r)
    idx_t cc_wino_points(idx_t r)
    void cc_wino_dy_f32(const float* dy, idx_t l_out, idx_t n_tiles, idx_t r, float* v,
                        idx_t pitch, int isa)
    void cc_wino_wgrad_f32(const float* du, idx_t c_out, idx_t c_in, idx_t r, int flip,
                           idx_t o0, idx_t o1, float* dw, int isa)

# Transformed input and dy (bytes) the Winograd weight gradient holds at a time: the
# batch goes in chunks of samples, each chunk's tiles one pointwise weight gradient.
cdef enum:
    WINO_WGRAD_BYTES = 8 << 20


cdef int _wino_wgrad_rows(const float[:, :, ::1] x, const float[:, :, ::1] dy,
                          float[:, :, ::1] v, float[:, :, ::1] yt, idx_t r, idx_t left,
                          idx_t right, int mode, float value, int threads) noexcept nogil:
    """v: the padded input by tiles through B^T (as the forward's route), yt: dy by
    tiles through A, for every sample and channel, the samples side by side in one row
    a point and channel (``(1, P C, N n_tiles)``, P points: the pointwise weight gradient then
    reduces along rows of N n_tiles, which at 75 tiles a sample as samples of their own
    had made the route no faster than the direct one). CC_OK, or CC_ENOMEM (the rows'
    scratch)."""
    cdef idx_t n = x.shape[0], c_in = x.shape[1], length = x.shape[2]
    cdef idx_t c_out = dy.shape[1], l_out = dy.shape[2], n_tiles = v.shape[2] // n
    cdef idx_t row_len = cc_wino_step(r) * n_tiles + r - 1, item, t
    cdef size_t b_row = ((row_len * sizeof(float) + 63) // 64) * 64
    cdef size_t b_work = length * sizeof(double) if mode == CC_PAD_MEDIAN else 0
    cdef char* rows = <char*>malloc(threads * (b_row + b_work) + 1)
    if rows == NULL:
        return CC_ENOMEM
    memset(rows, 0, threads * b_row)     # zeros past the padded row
    cdef char* works = rows + threads * b_row
    cdef int isa = active_kernels().isa     # the transforms' build (cc_winograd.h)
    # the forward's layout with one chunk of all n samples (n0 = 0, nc = n)
    for item in prange(n * c_in, schedule="dynamic", chunksize=4, num_threads=threads):
        t = threadid()
        wino_in_row(&x[0, 0, 0] if length > 0 else <const float*>NULL, item, 0, n, c_in,
                    length, left, right, mode, value, 0,
                    n_tiles, r, <float*>(rows + t * b_row), <double*>(works + t * b_work),
                    &v[0, 0, 0], isa)
    for item in prange(n * c_out, schedule="dynamic", chunksize=4, num_threads=threads):
        cc_wino_dy_f32(&dy[item // c_out, item % c_out, 0], l_out, n_tiles, r,
                       &yt[0, item % c_out, (item // c_out) * n_tiles],
                       c_out * n * n_tiles, isa)
    free(rows)
    return CC_OK


def _dense_wgrad_by_winograd(ConvSpec spec, dy, x, dw, bint flip, int n_threads):
    """The weight gradient of a 3- to 5-tap layer that takes the forward's Winograd
    route (float32, dense, stride and dilation 1; 3 and 4 taps with at least twice the
    forward's channels; ``method="auto"``) by the same transforms, F(4, 3), F(5, 4) or
    F(4, 5):
    with V the padded input's tiles through B^T and Y dy's through A, the gradient of
    the transformed weights is the weight gradient of P pointwise layers (P = 6 or 8
    points), ``dU[p] = sum over tiles of Y[p] V[p]^T`` (groups = P, this module's own
    weight gradient), and ``dw = G^T dU`` (cc_winograd.h): 0.5 (0.4) of the direct
    sums' multiplications. The batch goes in chunks of samples whose transforms fit
    WINO_WGRAD_BYTES, as the forward's samples fit its WINO_SAMPLE_BYTES (the chunks'
    dU summed in float32, in chunk order: the same bits at any thread count). float32
    only. Returns whether it ran."""
    cdef const ConvArgs* a = &spec.args
    cdef idx_t n = x.shape[0], c_in = x.shape[1], length = x.shape[2]
    cdef idx_t c_out = dy.shape[1], l_out = dy.shape[2], r = a.k_size
    # 3 taps and 128 channels: F(4, 3) took 1.07-1.33x the direct time at 64-96
    # channels, 0.79-0.85x at 128-256; F(2, 5) 1.0-1.56x at 64-256 (Zen 3, one thread).
    # F(4, 5): 0.52-0.69x at 128-256 channels (Zen 4, one thread).
    if (a.k_size < 3 or a.k_size > 5 or a.stride != 1 or a.dilation != 1
            or a.groups != 1 or dw.dtype.itemsize != 4 or dw.shape[0] == 0 or n == 0
            or min(c_in, c_out) < (1 if r == 5 else 2) * winograd_min_channels()):
        return False
    cdef idx_t n_tiles = (l_out + cc_wino_step(r) - 1) // cc_wino_step(r)
    cdef idx_t pts = cc_wino_points(r)
    cdef idx_t per_sample = pts * (c_in + c_out) * n_tiles * 4
    if (_forward.forward_route(n, c_in, length, c_out, c_in, r, a.left, a.right, l_out,
                               1, 1, 1, a.code, 4, n_threads, True) != "winograd"
            or per_sample > WINO_WGRAD_BYTES):
        return False
    # chunks as even as they go (16 samples by 7 make 6, 5, 5)
    cdef idx_t n_chunks = (n * per_sample + WINO_WGRAD_BYTES - 1) // WINO_WGRAD_BYTES
    cdef idx_t nc = (n + n_chunks - 1) // n_chunks
    n_chunks = (n + nc - 1) // nc
    v, yt, du, part = _scratch_arrays(
        "winograd", [(1, pts * c_in, nc * n_tiles), (1, pts * c_out, nc * n_tiles),
                     (pts * c_out, c_in, 1), (pts * c_out if n_chunks > 1 else 0, c_in, 1)],
        np.dtype(np.float32))
    cdef int threads = max(1, min(n_threads, n * c_in))
    cdef const float[:, :, ::1] xv
    cdef const float[:, :, ::1] dyv
    cdef float[:, :, ::1] vv
    cdef float[:, :, ::1] ytv
    cdef int status
    cdef idx_t chunk, n0, n1
    for chunk in range(n_chunks):
        n0 = chunk * n // n_chunks
        n1 = (chunk + 1) * n // n_chunks
        xv = x[n0:n1]
        dyv = dy[n0:n1]
        # the chunk's rows of (n1 - n0) n_tiles tiles, from the buffers' starts
        vc = v.reshape(-1)[:pts * c_in * (n1 - n0) * n_tiles].reshape(
            1, pts * c_in, (n1 - n0) * n_tiles)
        yc = yt.reshape(-1)[:pts * c_out * (n1 - n0) * n_tiles].reshape(
            1, pts * c_out, (n1 - n0) * n_tiles)
        vv = vc
        ytv = yc
        with nogil:
            status = _wino_wgrad_rows(xv, dyv, vv, ytv, r, a.left, a.right, a.code,
                                      <float>a.value, threads)
        check_status(status, "conv1d_backward")
        target = du if chunk == 0 else part
        weight_bias_gradient(conv1d_spec(vc, target, None, 1, 0, 1, pts, "zeros", 0.0,
                                         "conv1d_backward"),
                             yc, vc, target, np.empty(0, np.float32), False, n_threads)
        if chunk > 0:
            np.add(du, part, out=du)
    cdef float[:, :, ::1] dwv = dw
    cdef const float[:, :, ::1] duv = du
    cdef idx_t o_block = (c_out + threads - 1) // threads, t
    cdef int isa = active_kernels().isa
    with nogil:
        for t in prange(threads, schedule="static", num_threads=threads):
            cc_wino_wgrad_f32(&duv[0, 0, 0], c_out, c_in, r, flip, t * o_block,
                              min(c_out, (t + 1) * o_block), &dwv[0, 0, 0], isa)
    return True


def weight_bias_gradient(ConvSpec spec, dy, x, dw, db, bint flip, int n_threads,
                         bint winograd=False):
    """dL/dW into ``dw`` and dL/db into ``db`` (either may be empty) of the checked conv1d
    call ``spec``; ``x`` is the input ``(N, C_in, L)``, all C-contiguous of
    ``spec.dtype``.

    Short outputs (fewer than WGEMM_CAT_L a sample, on wgemm's shapes) go by columns:
    ``x`` as im2col rows ``(c, k)`` of the samples' windows side by side, in
    WCOLS_UNITS "samples" (or, where dW's float64 accumulators exceed BATCH_ACC_BYTES,
    the units side by side in one), and ``dy`` likewise; dW is then the weight
    gradient of a K = 1 layer over them, whose kernel reduces along the rows read in
    place. Each
    sample's wgemm calls summed a few positions (a 512-channel layer of 2 outputs ran
    at 7 GFLOP/s, PyTorch at 20), and concatenating padded samples multiplied the
    padding's zeros. The units depend on the shape only (thread-count independent).
    The columns live in a buffer each calling thread keeps (``_scratch_arrays``).
    ``winograd``: a ``method="auto"`` call, whose dense 3- to 5-tap float32 layers
    of stride 1 and many channels may take the forward's Winograd route
    (_dense_wgrad_by_winograd)."""
    cdef const ConvArgs* a = &spec.args
    cdef Geometry geo
    if (winograd and dw.shape[0] > 0
            and _dense_wgrad_by_winograd(spec, dy, x, dw, flip, n_threads)):
        if db.shape[0] > 0:
            weight_bias_gradient(spec, dy, x, np.empty((0, 1, 1), dw.dtype), db, flip,
                                 n_threads)
        return
    cdef idx_t n = dy.shape[0], l_out = dy.shape[2], units = WCOLS_UNITS
    cdef idx_t samples = (n + units - 1) // units, lead
    if dw.shape[0] > 0:
        make_geometry(&geo, x.shape[1], x.shape[2], a.left, a.right, a.stride, a.dilation,
                      dy.shape[1], dw.shape[1], dw.shape[2], a.groups, l_out,
                      active_kernels(), spec.dtype.itemsize)
        if _wcols_applies(&geo, n, spec.dtype.itemsize):
            # Accumulators past BATCH_ACC_BYTES make one batch part anyway: the units
            # then lie side by side as one sample, so the K = 1 call sums each entry in
            # one pass rather than one a unit (each pass reads and writes all of the
            # float64 accumulators: 6 MiB for 512 -> 512 channels, K = 3).
            lead = 1 if geo.c_out * geo.n_pairs * sizeof(double) > BATCH_ACC_BYTES else units
            xc, dyc = _scratch_arrays(
                "columns", [(lead, geo.c_in * geo.k_size, units // lead * samples * l_out),
                            (lead, geo.c_out, units // lead * samples * l_out)], spec.dtype)
            WEIGHT_COLUMNS[spec.dtype.char](x, dy, xc, dyc, a.left, a.right, a.code,
                                            a.value, a.stride, a.dilation, a.groups,
                                            dw.shape[1], dw.shape[2], flip, n_threads,
                                            units)
            GRAD_WEIGHT_BIAS[spec.dtype.char](
                dyc, xc, dw.reshape(geo.c_out, geo.n_pairs, 1), db, 0, 0, CC_PAD_CONSTANT,
                0.0, 1, 1, a.groups, False, n_threads)
            return
    GRAD_WEIGHT_BIAS[spec.dtype.char](dy, x, dw, db, a.left, a.right, a.code, a.value,
                                      a.stride, a.dilation, a.groups, flip, n_threads)
GRAD_WEIGHT_BIAS = {"f": grad_weight_bias["float"], "d": grad_weight_bias["double"]}


def weight_columns(const real_t[:, :, ::1] x,     # IN  (N, C_in, L)
                   const real_t[:, :, ::1] dy,    # IN  (N, C_out, L_out)
                   real_t[:, :, ::1] xc,          # OUT (U, C_in*K, S*L_out) or
                   real_t[:, :, ::1] dyc,         # OUT (U, C_out, S*L_out)  (1, ., U*S*L_out)
                   idx_t left, idx_t right, int mode, double pad_value, idx_t stride,
                   idx_t dilation, idx_t groups, idx_t c_per_group, idx_t k_size,
                   bint flip, int n_threads, idx_t units):
    """The weight gradient's columns of short outputs (weight_bias_gradient): unit u
    holds samples [u*S, u*S + S), im2col'd into xc[u] and their dy rows side by side
    into dyc[u] (with one leading row of ``units``: columns [u*S*L_out, (u+1)*S*L_out)
    of xc[0] and dyc[0]); a last unit's missing samples are zero columns (0 * 0 adds
    nothing)."""
    cdef Geometry geo
    cdef idx_t n_batch = x.shape[0], c_in = x.shape[1]
    cdef idx_t length = x.shape[2], c_out = dy.shape[1], l_out = dy.shape[2]
    cdef idx_t samples = xc.shape[0] * xc.shape[2] // (units * l_out), u, n0, count, o, i, j, r
    cdef idx_t pitch = xc.shape[2], ucols = samples * l_out
    cdef bint flat = xc.shape[0] == 1 and units > 1
    cdef real_t* xu
    cdef real_t* dyu
    cdef int threads = max(1, min(n_threads, <int>units))
    make_geometry(&geo, c_in, length, left, right, stride, dilation, c_out, c_per_group,
                  k_size, groups, l_out, active_kernels(), sizeof(real_t))
    cdef size_t b_row = aligned_bytes(geo.padded * sizeof(real_t))
    cdef size_t b_work = aligned_bytes(length * sizeof(double))
    cdef char* block = <char*>malloc(threads * (b_row + b_work) + 64)
    if block == NULL:
        raise MemoryError()
    cdef char* base = align64(block)
    with nogil:
        for u in prange(units, schedule="static", num_threads=threads):
            n0 = u * samples
            count = max(0, min(samples, n_batch - n0))
            xu = &xc[0, 0, 0] + (u * ucols if flat else u * xc.shape[1] * pitch)
            dyu = &dyc[0, 0, 0] + (u * ucols if flat else u * c_out * pitch)
            im2col(&geo, &x[n0, 0, 0] if count > 0 else <const real_t*>NULL, count,
                   xu, pitch, <real_t*>(base + threadid() * (b_row + b_work)),
                   <double*>(base + threadid() * (b_row + b_work) + b_row), mode,
                   <real_t>pad_value, <const real_t*>NULL, flip)
            for r in range(c_in * k_size if count < samples else 0):
                memset(xu + r * pitch + count * l_out, 0,
                       (samples - count) * l_out * sizeof(real_t))
            for o in range(c_out):
                for i in range(count):
                    for j in range(l_out):
                        dyu[o * pitch + i * l_out + j] = dy[n0 + i, o, j]
                if count < samples:
                    memset(dyu + o * pitch + count * l_out, 0,
                           (samples - count) * l_out * sizeof(real_t))
    free(block)
WEIGHT_COLUMNS = {"f": weight_columns["float"], "d": weight_columns["double"]}
