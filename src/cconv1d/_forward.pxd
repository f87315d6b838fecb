# C-level pieces of the forward pass shared with the backward pass (see _forward.pyx).
from cconv1d._typedefs cimport real_t, idx_t
from cconv1d._kernels cimport cc_kernels_t
from cpython.buffer cimport Py_buffer

cdef struct Geometry:
    idx_t c_in, length, left, right, padded
    idx_t stride, dilation, k_size, groups
    idx_t c_per_group, o_per_group, c_out, l_out
    idx_t ldy             # row stride of the output (l_out, also when l_out is one block's)
    idx_t pitch
    idx_t phases          # phase rows per channel: min(stride, padded, span), the others
                          # are empty or never read
    idx_t n_pairs
    idx_t n_blocks        # mr-row blocks of output channels per group
    const cc_kernels_t* kern   # the kernel descriptor this call runs on, and its tile:
    idx_t mr              #   igemm rows,
    idx_t cols            #   igemm positions per register tile (this dtype),
    idx_t col_block       #   positions per igemm work item (whole tiles, ~264)
    idx_t strip           # packed as column strips (pack_strips): elements a strip,
                          # c_in x cols; 0: as rows of `pitch`

# Fills every field but `pitch`, with the tile of descriptor `kern` for items of
# `itemsize` bytes.
cdef void make_geometry(Geometry* geo, idx_t c_in, idx_t length, idx_t left, idx_t right,
                        idx_t stride, idx_t dilation, idx_t c_out, idx_t c_per_group,
                        idx_t k_size, idx_t groups, idx_t l_out, const cc_kernels_t* kern,
                        idx_t itemsize) noexcept nogil

# Pads channels [c_first, c_last) of one sample x (C_in, L) and splits them into the
# stride's phase rows of `packed` (row pitch geo.pitch); `row` holds geo.padded values
# when stride > 1; `work` holds geo.length doubles for median padding.
cdef void pack_channels(const real_t* x, real_t* packed, real_t* row, const Geometry* geo,
                        idx_t c_first, idx_t c_last, int mode, real_t value,
                        double* work, const real_t* given) noexcept nogil

# Padded positions [p0, p0 + count) of channels [c_first, c_last) of one sample x
# (C_in, L), split into phase rows of pitch `pitch` (p0 a multiple of the stride); the
# padding samples come from `edges` (left then right values per channel), or are `value`
# when `constant`.
cdef void pack_block(const real_t* x, real_t* packed, const Geometry* geo, idx_t pitch,
                     idx_t p0, idx_t count, const real_t* edges, real_t value,
                     bint constant, idx_t c_first, idx_t c_last) noexcept nogil

# The Winograd route's input transform of one channel (item % c_in) of chunk sample
# item // c_in (chunk of nc samples from n0): padded by pad_row into `row` (zeros past
# the padded row: the caller's), then its six points' tiles into v, laid out
# [point][channel][sample][tile] (row width nc * n_tiles); r taps (3 or 5); `work`
# holds `length` doubles for median padding; `isa` the kernel path (CC_SIMD_*) whose
# build of the transform runs. Shared with the weight gradient.
cdef void wino_in_row(const real_t* x, idx_t item, idx_t n0, idx_t nc, idx_t c_in,
                      idx_t length, idx_t left, idx_t right, int mode, real_t value,
                      idx_t t0, idx_t seg, idx_t r, real_t* row, double* work,
                      real_t* v, int isa) noexcept nogil

# The padding samples (left, then right) of channels [c_first, c_last) of one sample into
# edges (geo.left + geo.right per channel); `row` holds geo.padded values, `work`
# geo.length doubles for median padding.
cdef idx_t winograd_min_channels() noexcept nogil


cdef void pad_edges(const real_t* x, real_t* edges, real_t* row, const Geometry* geo,
                    int mode, real_t value, double* work, idx_t c_first,
                    idx_t c_last, const real_t* given) noexcept nogil

# Bytes of packed input a sample may take before it is packed by length blocks, and the
# size of a block (forward and weight gradient). Blocks of about half an L2 keep the
# packed input, the outputs being written and the weights in L2 together: with 4 MiB /
# 2 MiB, a 256-channel pointwise layer of 1024 samples ran at 172 GFLOP/s, with these at
# 192 (Sapphire Rapids, 2 MiB L2; long-sequence 148 -> 171, wavenet-k2 153 -> 178, the
# dense cases unchanged within noise). Smaller blocks only add halo (K-1)*d per block.
cdef enum:
    WHOLE_SAMPLE_BYTES = 1 << 20
    BLOCK_BYTES = 1 << 19

# The igemm work items' blocking, shared by the forward and the input gradient: pairs
# per igemm call, and mr-row blocks per work item when a tile sums at least
# LONG_REDUCTION pairs (else one block).
cdef enum:
    PAIR_BLOCK = 384      # (c, k) pairs per igemm call: an 8 x 384 weight chunk is 12 KiB
    ROW_GROUP = 16        # mr-row blocks per igemm work item ...
    LONG_REDUCTION = 32   # ... when a tile sums at least this many pairs, else 1

# Row pitch (elements) of a packed sample: the longest stride phase, a tile and slack,
# kept off multiples of 4 KiB.
cdef idx_t c_packed_pitch(idx_t padded, idx_t stride, idx_t itemsize,
                          idx_t cols) noexcept nogil

# Phase rows per channel of a padded row of `padded` samples split by `stride`, read by
# taps spanning `span` samples (the forward's packing and the input gradient's rows).
cdef idx_t phase_rows(idx_t stride, idx_t padded, idx_t span) noexcept nogil

# Samples x[0:count] as (c, k) rows of their outputs' windows side by side (im2col):
# packed[(c*K + k)*pitch + i*l_out + j] = xp_i[c, j*s + t*d], t = k (K-1-k with flip);
# `given` (not NULL): each sample's left padding (count, C_in, left).
cdef void im2col(const Geometry* geo, const real_t* x, idx_t count, real_t* packed,
                 idx_t pitch, real_t* row, double* work, int mode, real_t value,
                 const real_t* given, bint flip) noexcept nogil

# igemm work items [first, last) of one packed sample (geo.o_per_group >= 4), of
# igemm_items(geo): y[o, j] = bias[o] + sum over pairs p of w[o, p] * packed[offs[p] + j]
# (w in panels, as the forward packs them).
cdef void run_igemm(const Geometry* geo, const real_t* packed, const idx_t* offs,
                    const real_t* panels, const real_t* bias, real_t* y, idx_t first,
                    idx_t last) noexcept nogil
cdef idx_t igemm_items(const Geometry* geo) noexcept nogil

# offs[c*K + k] = where pair (c, k) reads in a packed sample of row pitch `pitch` and
# `phases` phase rows per channel.
cdef void fill_pair_offsets(idx_t* offs, idx_t c_per_group, idx_t k_size, idx_t stride,
                            idx_t dilation, idx_t pitch, idx_t phases) noexcept nogil


cdef inline size_t aligned_bytes(size_t nbytes) noexcept nogil:
    """Bytes rounded up to a cache line: every piece of a workspace starts on one."""
    return (nbytes + 63) // 64 * 64


cdef inline size_t place(size_t* cursor, size_t nbytes) noexcept nogil:
    """Offset of the next piece of a workspace plan (cache-line rounded): every plan
    sizes and places its pieces with this, so the carving is the sizing."""
    cdef size_t at = cursor[0]
    cursor[0] += aligned_bytes(nbytes)
    return at


cdef inline char* align64(char* block) noexcept nogil:
    """The first cache-line boundary in a malloc'd block (allocate 64 bytes extra)."""
    return <char*>((<size_t>block + 63) // 64 * 64)

# Exports ``arr``'s buffer when it is 1-D, C-contiguous and aligned with items of
# ``itemsize`` bytes (True; the caller releases it), else False: the fast paths' raw
# access to small arrays, cheaper than a typed memoryview.
cdef bint plain_buffer(object arr, Py_buffer* view, Py_ssize_t itemsize) except -1
