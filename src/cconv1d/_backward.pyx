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
over the forward pass's packed samples: a GEMM reducing along ``j``, computed by the
``wgrad`` kernel in 4 x 3 blocks; vector partial sums are flushed into float64
accumulators every 512 positions, so float32 results keep float64's accuracy. Each
thread owns a fixed range of ``dW`` blocks for the whole call, packs the samples it
needs itself, and adds the samples in order: every entry is summed in the same order
whatever the thread count, so results are deterministic. The bias gradient sums ``dy``
in float64.
"""

from cython.parallel cimport prange, threadid
from libc.stdlib cimport malloc, free
from libc.string cimport memcpy, memset

from cconv1d._typedefs cimport real_t, idx_t
from cconv1d._padding cimport pad_row_backward, CC_PAD_MEDIAN, CC_PAD_ANTIREFLECT
from cconv1d._forward cimport (Geometry, make_geometry, pack_channels, c_packed_pitch,
                               fill_pair_offsets, aligned_bytes, align64)
from cconv1d._kernels cimport cc_kernels_t, active_kernels, igemm, irow, wgrad, rowsum

cdef double PARALLEL_MIN_FLOPS = 4e6   # as in _forward: below it, one thread

cdef enum:
    COL_BLOCK = 264       # positions per igemm work item: 11 float / 22 double tiles
    ROW_BLOCK = 4096
    W_CHUNK = 1024        # positions per wgrad call: its dy and packed rows stay in L2



# ---------------------------------------------------------------------------------------
# input gradient

cdef struct GradGeometry:
    idx_t c_in, length, left, right, padded, stride
    idx_t phases          # min(stride, padded): phases holding positions (others empty)
    idx_t c_out, l_out, groups, c_per_group, o_per_group
    idx_t lead            # P0: zeros in front of each dy row
    idx_t dy_pitch        # row pitch of the padded dy
    idx_t phase_len       # longest phase row of the padded gradient
    idx_t c_blocks        # mr-row input-channel blocks per group
    const cc_kernels_t* kern   # the descriptor of this call, its igemm tile mr x cols,
    idx_t mr, cols, col_block  # and positions per work item (whole tiles)


cdef void _grad_phase_items(const GradGeometry* geo, bint by_rows, const real_t* dyp,
                            const idx_t* offs, const idx_t* phase_offs,
                            const idx_t* phase_pairs, const real_t* weights,
                            const idx_t* phase_weights, real_t* dxph, idx_t first,
                            idx_t last) noexcept nogil:
    """Items (phase, group, column block, channel block) [or (phase, channel, row block)]
    of one sample; dxph is (C_in, phases, phase_len)."""
    cdef idx_t item, rho, rest, g, b, c, c0, rows, j, j0, j1, n_cols, n_pairs, cols
    cdef idx_t s = geo.stride, q_len, mr = geo.mr, col_block = geo.col_block
    cdef const real_t* panel
    cdef real_t* out
    cols = geo.cols
    n_cols = ((geo.phase_len + col_block - 1) // col_block if not by_rows
              else (geo.phase_len + ROW_BLOCK - 1) // ROW_BLOCK)
    for item in range(first, last):
        if by_rows:
            rho = item // (geo.c_in * n_cols)
            rest = item % (geo.c_in * n_cols)
            c = rest // n_cols
            j0 = (rest % n_cols) * ROW_BLOCK
        else:
            rho = item // (geo.groups * n_cols * geo.c_blocks)
            rest = item % (geo.groups * n_cols * geo.c_blocks)
            g = rest // (n_cols * geo.c_blocks)
            j0 = ((rest // geo.c_blocks) % n_cols) * col_block
            b = rest % geo.c_blocks
        # Phase rho holds the padded positions rho, rho + s, ...: q_len of them.
        q_len = (geo.padded - rho + s - 1) // s
        n_pairs = phase_pairs[rho]
        if by_rows:
            j1 = min(j0 + <idx_t>ROW_BLOCK, q_len)
            if j1 <= j0:
                continue
            g = c // geo.c_per_group
            out = dxph + (c * geo.phases + rho) * geo.phase_len
            irow(geo.kern, dyp + g * geo.o_per_group * geo.dy_pitch + j0, offs + phase_offs[rho],
                 n_pairs, weights + phase_weights[rho] + c * n_pairs, out + j0, j1 - j0,
                 0, 0)
        else:
            j1 = min(j0 + col_block, q_len)
            if j1 <= j0:
                continue
            c0 = g * geo.c_per_group + b * mr
            rows = min(mr, geo.c_per_group - b * mr)
            panel = weights + phase_weights[rho] + (g * geo.c_blocks + b) * n_pairs * mr
            out = dxph + (c0 * geo.phases + rho) * geo.phase_len
            j = j0
            while j < j1:
                igemm(geo.kern, dyp + g * geo.o_per_group * geo.dy_pitch + j, offs + phase_offs[rho],
                      n_pairs, panel, out + j, geo.phases * geo.phase_len, rows,
                      min(cols, j1 - j),
                      0, NULL)
                j += cols


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
        else:
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
                        real_t* wts) noexcept nogil:
    """Per phase: pair offsets into the padded dy and weights in kernel order.

    Phase rho's pairs are (o, k) for the taps with (k*d) % stride == rho, o-major.
    Fills ``offs``, ``wts`` and ``starts`` = (offs start, pair count, weight start) per
    phase, as three rows of ``phases``.
    """
    cdef idx_t c_out = w.shape[0], c_per_group = w.shape[1], k_size = w.shape[2]
    cdef idx_t o_per_group = c_out // groups
    cdef idx_t c_blocks = (c_per_group + mr - 1) // mr
    cdef idx_t rows_per_phase = groups * c_per_group if by_rows else groups * c_blocks * mr
    cdef idx_t rho, o, k, tap, g, c, b, r, p, n_taps, n_pairs, n_offs = 0, n_w = 0
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
                for g in range(groups):
                    if by_rows:
                        for c in range(c_per_group):
                            wts[n_w + (g * c_per_group + c) * n_pairs + p] = \
                                w[g * o_per_group + o, c, tap]
                    else:
                        for b in range(c_blocks):
                            base = n_w + ((g * c_blocks + b) * n_pairs + p) * mr
                            for r in range(mr):
                                channel = b * mr + r
                                wts[base + r] = (w[g * o_per_group + o, channel, tap]
                                                 if channel < c_per_group else 0)
                p += 1
        n_offs += n_pairs
        n_w += rows_per_phase * n_pairs


def grad_input(const real_t[:, :, ::1] dy,       # IN  (N, C_out, L_out)
               const real_t[:, :, ::1] w,        # IN  (C_out, C_in/groups, K)
               real_t[:, :, ::1] dx,             # OUT (N, C_in, L)
               const real_t[:, :, ::1] x,        # IN  (N, C_in, L), or (0, 0, 0)
               idx_t left, idx_t right, int mode,
               idx_t stride, idx_t dilation, idx_t groups, bint flip, int n_threads):
    """dL/dx of conv1d for validated arrays; with mode=constant also conv_transpose1d.

    ``x`` is needed only by the median/minimum/maximum padding modes.
    """
    cdef GradGeometry geo
    cdef idx_t n_batch = dx.shape[0], k_size = w.shape[2]
    geo.c_in = dx.shape[1]
    geo.length = dx.shape[2]
    geo.left = left
    geo.right = right
    geo.padded = left + geo.length + right
    geo.stride = stride
    geo.phases = max(1, min(stride, geo.padded))
    geo.c_out = w.shape[0]
    geo.l_out = dy.shape[2]
    geo.groups = groups
    geo.c_per_group = w.shape[1]
    geo.o_per_group = geo.c_out // groups
    geo.lead = ((k_size - 1) * dilation) // stride
    geo.phase_len = (geo.padded + stride - 1) // stride
    geo.kern = active_kernels()
    geo.mr = geo.kern.mr
    geo.cols = geo.kern.nr_f32 if sizeof(real_t) == 4 else geo.kern.nr_f64
    geo.col_block = geo.cols * max(1, COL_BLOCK // geo.cols)
    geo.c_blocks = (geo.c_per_group + geo.mr - 1) // geo.mr
    if n_batch == 0 or geo.c_in == 0 or geo.length == 0:
        return
    cdef idx_t cols = geo.cols
    # Reads reach q + lead for q < phase_len rounded up to a tile, plus slack.
    geo.dy_pitch = c_packed_pitch(geo.lead + geo.phase_len, 1, sizeof(real_t), cols)
    cdef bint by_rows = geo.c_per_group < 4
    cdef idx_t n_cols = ((geo.phase_len + ROW_BLOCK - 1) // ROW_BLOCK if by_rows
                         else (geo.phase_len + geo.col_block - 1) // geo.col_block)
    cdef idx_t n_items = (geo.phases * geo.c_in * n_cols if by_rows
                          else geo.phases * groups * n_cols * geo.c_blocks)
    cdef int threads = max(1, n_threads)
    cdef double flops = 2.0 * n_batch * geo.c_out * geo.l_out * geo.c_per_group * k_size
    if flops < PARALLEL_MIN_FLOPS:
        threads = 1
    cdef bint by_sample = n_batch >= threads
    cdef idx_t n_scratch = threads if by_sample else 1
    # One malloc'd workspace (NumPy temporaries cost more than small calls' arithmetic).
    cdef idx_t rows_per_phase = (groups * geo.c_per_group if by_rows
                                 else groups * geo.c_blocks * geo.mr)
    cdef size_t b_offs = aligned_bytes(max(geo.o_per_group * k_size, 1) * sizeof(idx_t))
    cdef size_t b_starts = aligned_bytes(3 * geo.phases * sizeof(idx_t))
    cdef size_t b_wts = aligned_bytes(
        max(rows_per_phase * geo.o_per_group * k_size, 1) * sizeof(real_t))
    cdef size_t b_dyp = aligned_bytes(geo.c_out * geo.dy_pitch * sizeof(real_t))
    cdef size_t b_dxph = aligned_bytes(geo.c_in * geo.phases * geo.phase_len * sizeof(real_t))
    cdef size_t b_row = aligned_bytes(geo.padded * sizeof(real_t))
    cdef size_t b_fold = aligned_bytes(
        (geo.padded if mode == CC_PAD_ANTIREFLECT else 1) * sizeof(real_t))
    cdef size_t b_stat = aligned_bytes((geo.length if mode == CC_PAD_MEDIAN else 1) * sizeof(double))
    cdef char* block = <char*>malloc(b_offs + b_starts + b_wts + n_scratch * (b_dyp + b_dxph)
                                     + threads * (b_row + b_fold + b_stat) + 64)
    if block == NULL:
        raise MemoryError("conv1d_backward: cannot allocate the input gradient's workspace")
    cdef char* base = align64(block)
    cdef idx_t* offs = <idx_t*>base
    cdef idx_t* starts = <idx_t*>(base + b_offs)
    cdef real_t* weights = <real_t*>(base + b_offs + b_starts)
    cdef char* dyp = base + b_offs + b_starts + b_wts
    cdef char* dxph = dyp + n_scratch * b_dyp
    cdef char* row = dxph + n_scratch * b_dxph
    cdef char* fold = row + threads * b_row
    cdef char* stat_work = fold + threads * b_fold
    cdef bint with_x = x.shape[0] > 0
    cdef idx_t n, t, o, c, item
    try:
        _phase_tables(w, groups, flip, by_rows, stride, dilation, geo.lead, geo.dy_pitch,
                      geo.phases, geo.mr, offs, starts, weights)
        # Zeroed once: dy's lead and tail zeros are never written.
        memset(dyp, 0, n_scratch * (b_dyp + b_dxph))
        if by_sample:
            with nogil:
                for n in prange(n_batch, schedule="dynamic", num_threads=threads):
                    t = threadid()
                    for o in range(geo.c_out):
                        memcpy(<real_t*>(dyp + t * b_dyp) + o * geo.dy_pitch + geo.lead,
                               &dy[n, o, 0], geo.l_out * sizeof(real_t))
                    _grad_phase_items(&geo, by_rows, <real_t*>(dyp + t * b_dyp), offs,
                                      starts, starts + geo.phases, weights,
                                      starts + 2 * geo.phases,
                                      <real_t*>(dxph + t * b_dxph), 0, n_items)
                    _fold_channels(&geo, <real_t*>(dxph + t * b_dxph),
                                   <real_t*>(row + t * b_row), &dx[n, 0, 0],
                                   &x[n, 0, 0] if with_x else <const real_t*>NULL, mode,
                                   <real_t*>(fold + t * b_fold),
                                   <double*>(stat_work + t * b_stat), 0, geo.c_in)
            return
        for n in range(n_batch):
            with nogil:
                for o in range(geo.c_out):
                    memcpy(<real_t*>dyp + o * geo.dy_pitch + geo.lead, &dy[n, o, 0],
                           geo.l_out * sizeof(real_t))
                for item in prange(n_items, schedule="dynamic", num_threads=threads):
                    _grad_phase_items(&geo, by_rows, <real_t*>dyp, offs, starts,
                                      starts + geo.phases, weights, starts + 2 * geo.phases,
                                      <real_t*>dxph, item, item + 1)
                for c in prange(geo.c_in, schedule="dynamic", num_threads=threads):
                    t = threadid()
                    _fold_channels(&geo, <real_t*>dxph, <real_t*>(row + t * b_row),
                                   &dx[n, 0, 0],
                                   &x[n, 0, 0] if with_x else <const real_t*>NULL, mode,
                                   <real_t*>(fold + t * b_fold),
                                   <double*>(stat_work + t * b_stat), c, c + 1)
    finally:
        free(block)


# ---------------------------------------------------------------------------------------
# weight and bias gradients

cdef void _wgrad_items(const Geometry* geo, const real_t* dy, const real_t* packed,
                       const idx_t* offs, double* dw, idx_t first, idx_t last) noexcept nogil:
    """Items (group, wr-channel block, wc-pair block) of one sample, in W_CHUNK steps."""
    cdef idx_t w_rows = geo.kern.wr, w_cols = geo.kern.wc
    cdef idx_t o_blocks = (geo.o_per_group + w_rows - 1) // w_rows
    cdef idx_t q_blocks = (geo.n_pairs + w_cols - 1) // w_cols
    cdef idx_t item, g, ob, qb, o0, q0, rows, cols, j0
    cdef const real_t* xg
    j0 = 0
    while j0 < geo.l_out:
        for item in range(first, last):
            g = item // (o_blocks * q_blocks)
            ob = (item // q_blocks) % o_blocks
            qb = item % q_blocks
            o0 = g * geo.o_per_group + ob * w_rows
            q0 = qb * w_cols
            rows = min(w_rows, geo.o_per_group - ob * w_rows)
            cols = min(w_cols, geo.n_pairs - q0)
            xg = packed + g * geo.c_per_group * geo.phases * geo.pitch + j0
            wgrad(geo.kern, dy + o0 * geo.l_out + j0, geo.l_out, rows, xg, offs + q0, cols,
                  min(<idx_t>W_CHUNK, geo.l_out - j0), dw + o0 * geo.n_pairs + q0,
                  geo.n_pairs)
        j0 += W_CHUNK


def grad_weight_bias(const real_t[:, :, ::1] dy,     # IN  (N, C_out, L_out)
                     const real_t[:, :, ::1] x,      # IN  (N, C_in, L)
                     real_t[:, :, ::1] dw,           # OUT (C_out, C_in/groups, K) or empty
                     real_t[::1] db,                 # OUT (C_out,) or empty
                     idx_t left, idx_t right, int mode, double pad_value,
                     idx_t stride, idx_t dilation, idx_t groups, bint flip, int n_threads):
    """dL/dW and dL/db of conv1d for validated arrays (either output may be empty)."""
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
    cdef idx_t n, o, j, t, c, k
    cdef double acc
    if want_b:
        with nogil:
            for o in prange(geo.c_out, schedule="dynamic", num_threads=threads):
                acc = 0.0
                for n in range(n_batch):
                    acc = acc + rowsum(geo.kern, &dy[n, o, 0], geo.l_out)
                db[o] = <real_t>acc
    if not want_w:
        return
    if n_batch == 0:
        dw[...] = 0
        return
    cdef idx_t n_items = (groups * ((geo.o_per_group + geo.kern.wr - 1) // geo.kern.wr)
                          * ((geo.n_pairs + geo.kern.wc - 1) // geo.kern.wc))
    threads = <int>min(<idx_t>threads, n_items)
    # One malloc'd workspace: float64 accumulators, pair offsets, and per thread one
    # packed sample (zeroed once: its slack is read, never written), a row and a scratch.
    cdef size_t b_acc = aligned_bytes(geo.c_out * geo.n_pairs * sizeof(double))
    cdef size_t b_offs = aligned_bytes(max(geo.n_pairs, 1) * sizeof(idx_t))
    cdef size_t b_packed = aligned_bytes(geo.c_in * geo.phases * geo.pitch * sizeof(real_t))
    cdef size_t b_rows = aligned_bytes((geo.padded if stride > 1 else 1) * sizeof(real_t))
    cdef size_t b_work = aligned_bytes((geo.length if mode == CC_PAD_MEDIAN else 1) * sizeof(double))
    cdef char* block = <char*>malloc(b_acc + b_offs + threads * (b_packed + b_rows + b_work)
                                     + 64)
    if block == NULL:
        raise MemoryError("conv1d_backward: cannot allocate the weight gradient's workspace")
    cdef char* base = align64(block)
    cdef double* dw_acc = <double*>base
    cdef idx_t* offs = <idx_t*>(base + b_acc)
    cdef char* packed = base + b_acc + b_offs
    cdef char* rows_tmp = packed + threads * b_packed
    cdef char* work = rows_tmp + threads * b_rows
    cdef real_t value = <real_t>pad_value
    cdef idx_t per_thread = (n_items + threads - 1) // threads
    cdef idx_t first, last, c_first, c_last, items_per_group
    items_per_group = n_items // groups
    try:
        fill_pair_offsets(offs, geo.c_per_group, geo.k_size, stride, dilation, geo.pitch,
                          geo.phases)
        memset(dw_acc, 0, b_acc)
        memset(packed, 0, threads * b_packed)
        with nogil:
            # One packed sample per thread: each thread packs the samples for itself, so
            # the whole call is a single parallel region (a region per sample made every
            # thread wait for the slowest at each sample; next to PyTorch's own spinning
            # OpenMP threads that cost more than the arithmetic).
            for t in prange(threads, schedule="static", num_threads=threads):
                first = t * per_thread
                last = min(first + per_thread, n_items)
                if first < last:
                    # Items run group by group: pack only the channels of its groups.
                    c_first = (first // items_per_group) * geo.c_per_group
                    c_last = ((last - 1) // items_per_group + 1) * geo.c_per_group
                    for n in range(n_batch):
                        pack_channels(&x[n, 0, 0] if geo.length > 0
                                      else <const real_t*>NULL,
                                      <real_t*>(packed + t * b_packed),
                                      <real_t*>(rows_tmp + t * b_rows), &geo, c_first,
                                      c_last, mode, value, <double*>(work + t * b_work))
                        # A thread owns its items (blocks of dW) for every sample and adds
                        # the samples in order: each entry is summed in one fixed order.
                        _wgrad_items(&geo, &dy[n, 0, 0], <real_t*>(packed + t * b_packed),
                                     offs, dw_acc, first, last)
            for o in range(geo.c_out):
                for c in range(geo.c_per_group):
                    for k in range(geo.k_size):
                        dw[o, c, geo.k_size - 1 - k if flip else k] = <real_t>dw_acc[
                            (o * geo.c_per_group + c) * geo.k_size + k]
    finally:
        free(block)


# Specialisations by dtype.char (see _forward.FORWARD for why).
GRAD_INPUT = {"f": grad_input["float"], "d": grad_input["double"]}
GRAD_WEIGHT_BIAS = {"f": grad_weight_bias["float"], "d": grad_weight_bias["double"]}
