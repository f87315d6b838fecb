/* test_kernels.c -- every kernel of every SIMD path against a naive double reference.
 *
 * Plain C, no Python: includes cc_kernels.h and, for every descriptor in cc_registry[]
 * that is built and runs on this CPU (scalar, avx2, avx512 on x86-64; scalar and neon
 * on aarch64, natively or under qemu-aarch64), checks igemm, igemm_ilv, irow, wgrad,
 * wgemm and rowsum in float and double over a sweep of shapes: tile edges, tiny and odd sizes, offsets laid
 * out as strides, dilations and channels make them, accumulate on and off, with and
 * without a bias. Build and run it with tests/c/run.sh.
 *
 * What a kernel may touch is checked, not assumed:
 *   - every caller array ends exactly where the contract says the kernel may read or
 *     write (irow's input: offs + n; igemm's input: offs + cols rounded up to the tile,
 *     the packed rows' slack), right before a PROT_NONE page: one element too far
 *     segfaults, and a SIGSEGV handler names the case;
 *   - inputs are mapped read-only during the call: a write to one segfaults;
 *   - input elements no output depends on (tile slack, weight rows past `rows`, gaps
 *     between offsets) are NaN, and outputs that must be ignored (y without accumulate)
 *     start as NaN: a result that reads them is NaN and fails;
 *   - output elements outside the rows x cols block (gaps up to the leading dimension)
 *     hold a sentinel that must survive.
 * Two kinds of data: small integers, where every product and partial sum is exact in
 * float, so any summation order gives the reference bit for bit (tolerance 0: one term
 * missing or counted twice fails), and uniform values in [-1, 1], checked against the
 * rounding-error bound n_terms * (u + u_ref) * sum|terms| (u: the dtype's unit roundoff;
 * u_ref: double's, for the reference's own rounding).
 *
 * cc_fft.h (fir_filter's FFT route) is checked on the scalar path with its scalar build
 * on the avx2 path with its AVX2 build and on the avx512 path with its AVX-512 build:
 * forward transforms against a long-double DFT read at bit-reversed positions, the
 * inverse back to n times the input, the first pass for a real half-filled input
 * against the full transform, and the packing and overlap-add helpers exactly (within
 * log2(n) + 1 roundings for the transforms), and the AVX-512 build against the AVX2 one
 * bit for bit; and
 * cc_lagstats.h's block of Pearson coefficients against a long-double evaluation, with
 * its flag for nearly constant windows, and on the avx2 and avx512 paths its one-pass slide
 * (window sums and coefficients) against a long-double two-pass evaluation, with its
 * flags for constant windows and non-finite samples, and its direct route for short
 * templates (raw sums too) the same way; and cc_pack.h's transposed dy
 * panels (wgemm's, in the baseline SIMD build) exactly, once per run.
 *
 * Usage: test_kernels [path]   (or CCONV1D_HARNESS_PATH=path) runs one path only.
 * Prints one line per path, kernel and dtype, then "N passed, M failed"; exits 1 on any
 * failure, 2 on a usage error.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif
#include <float.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cc_kernels.h"
#include "cc_fft.h"
#include "cc_lagstats.h"
#include "cc_pack.h"

/* ---- guarded arenas: each array ends right before a PROT_NONE page ---- */

enum { A_X, A_W, A_OFFS, A_BIAS, A_Y, A_DB, A_COUNT };
#define ARENA_BYTES (4 * 1024 * 1024)

static unsigned char *arena_base[A_COUNT];
static size_t arena_used[A_COUNT];   /* bytes before the guard that the last put spans */
static size_t page_size;

static void arenas_init(void) {
    int a;
    page_size = (size_t)sysconf(_SC_PAGESIZE);
    for (a = 0; a < A_COUNT; ++a) {
        unsigned char *m = mmap(NULL, ARENA_BYTES + page_size, PROT_READ | PROT_WRITE,
                                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED || mprotect(m + ARENA_BYTES, page_size, PROT_NONE) != 0) {
            perror("mmap/mprotect");
            exit(2);
        }
        arena_base[a] = m;
    }
}

/* `bytes` of arena `a` ending at its guard page (writable until arenas_seal). */
static void *arena_put(int a, size_t bytes) {
    if (bytes > ARENA_BYTES) {
        fprintf(stderr, "harness bug: %zu bytes do not fit an arena\n", bytes);
        exit(2);
    }
    arena_used[a] = (bytes + page_size - 1) / page_size * page_size;
    return arena_base[a] + ARENA_BYTES - bytes;
}

/* Inputs read-only during a kernel call, writable again afterwards (only the pages the
 * arrays span: whole arenas would cost a page-table walk of 4 MiB per call). */
static void arenas_seal(int sealed) {
    int a;
    for (a = 0; a < A_COUNT; ++a) {
        if (a == A_Y || a == A_DB || arena_used[a] == 0) continue;
        if (mprotect(arena_base[a] + ARENA_BYTES - arena_used[a], arena_used[a],
                     sealed ? PROT_READ : PROT_READ | PROT_WRITE) != 0) {
            perror("mprotect");
            exit(2);
        }
    }
}

/* ---- the case being run, for failure reports and the SIGSEGV handler ---- */

static char case_text[256];

static void set_case(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(case_text, sizeof case_text, fmt, ap);
    va_end(ap);
}

static long n_passed, n_failed;

/* Decimal digits of v into buf (async-signal-safe: no printf in a signal handler). */
static size_t format_long(char *buf, long v) {
    char tmp[24];
    size_t n = 0, k = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    while (n > 0) buf[k++] = tmp[--n];
    return k;
}

static void on_segv(int sig) {
    static const char head[] = "\nFAIL: memory fault (read or write outside the "
                               "contract's arrays, or a write to an input) in ";
    char line[96];
    size_t k;
    (void)sig;
    fflush(stdout);   /* not async-signal-safe, but the process is ending anyway */
    k = format_long(line, n_passed);
    memcpy(line + k, " passed, ", 9);
    k += 9;
    k += format_long(line + k, n_failed + 1);
    memcpy(line + k, " failed\n", 8);
    k += 8;
    if (write(2, head, sizeof head - 1) < 0 || write(2, case_text, strlen(case_text)) < 0
        || write(2, "\n", 1) < 0 || write(1, line, k) < 0)
        _exit(3);
    _exit(3);
}

/* ---- data ---- */

typedef struct {
    int f64;
    size_t size;
    double u;          /* unit roundoff */
    const char *name;
} dtype_t;

static const dtype_t DTYPES[2] = {
    {0, sizeof(float), FLT_EPSILON / 2, "f32"},
    {1, sizeof(double), DBL_EPSILON / 2, "f64"},
};

enum { EXACT, RANDOM };
static const char *const KIND_NAMES[2] = {"exact", "random"};
static const double SENTINEL = 12345.5;

static unsigned long long rng_state = 0x9E3779B97F4A7C15ULL;
static unsigned long long rng(void) {   /* xorshift64* */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ULL;
}
static ptrdiff_t rng_below(ptrdiff_t n) { return (ptrdiff_t)(rng() % (unsigned long long)n); }
static double value(int kind) {
    if (kind == EXACT) return (double)rng_below(17) - 8.0;
    return (double)(rng() >> 11) * (2.0 / 9007199254740992.0) - 1.0;
}

static void put(void *buf, const dtype_t *t, ptrdiff_t i, double v) {
    if (t->f64) ((double *)buf)[i] = v;
    else ((float *)buf)[i] = (float)v;
}
static double get(const void *buf, const dtype_t *t, ptrdiff_t i) {
    return t->f64 ? ((const double *)buf)[i] : (double)((const float *)buf)[i];
}

/* Pair offsets as the planners make them. pattern 0: channels x taps with a dilation,
 * rows `pitch` apart; 1: polyphase rows of a strided, dilated convolution; 2: arbitrary
 * (unsorted, repeated). Returns the largest offset (0 without pairs). */
static ptrdiff_t make_offs(ptrdiff_t *offs, ptrdiff_t n_pairs, int pattern, ptrdiff_t span) {
    ptrdiff_t p, mx = 0;
    const ptrdiff_t taps = 1 + rng_below(5), dil = 1 + rng_below(3);
    const ptrdiff_t stride = 2 + rng_below(2);
    const ptrdiff_t pitch = span + taps * dil + rng_below(9);
    for (p = 0; p < n_pairs; ++p) {
        const ptrdiff_t c = p / taps, k = p % taps;
        if (pattern == 0) offs[p] = c * pitch + k * dil;
        else if (pattern == 1) offs[p] = (c * stride + (k * dil) % stride) * pitch
                                         + (k * dil) / stride;
        else if (pattern == 2) offs[p] = rng_below(53);
        else offs[p] = taps + p;   /* consecutive: one channel, dilation 1 (phased irow) */
        if (offs[p] > mx) mx = offs[p];
    }
    return mx;
}

/* Fill x[0, len): real values where some pair reads [offs, offs + width), NaN elsewhere. */
static void fill_input(void *x, const dtype_t *t, ptrdiff_t len, const ptrdiff_t *offs,
                       ptrdiff_t n_pairs, ptrdiff_t width, int kind) {
    ptrdiff_t i, p;
    for (i = 0; i < len; ++i) put(x, t, i, NAN);
    for (p = 0; p < n_pairs; ++p)
        for (i = offs[p]; i < offs[p] + width; ++i)
            if (get(x, t, i) != get(x, t, i)) put(x, t, i, value(kind));
}

/* ---- results ---- */

static int n_reports;

static int close_enough(double got, double want, double tol) {
    return fabs(got - want) <= tol;   /* false for NaN */
}

static int report(const char *what, ptrdiff_t r, ptrdiff_t j, double got, double want,
                  double tol) {
    if (n_reports++ < 25)
        printf("FAIL: %s: %s [%td, %td]: got %.17g, want %.17g (tolerance %.3g)\n",
               case_text, what, r, j, got, want, tol);
    return 0;
}

static void tally(int ok) {
    if (ok) ++n_passed;
    else ++n_failed;
}

/* Tolerance of a sum of n_terms addends whose magnitudes add up to abs_sum. */
static double bound(int kind, const dtype_t *t, ptrdiff_t n_terms, double abs_sum) {
    if (kind == EXACT) return 0.0;
    return 1.01 * (double)n_terms * (t->u + DBL_EPSILON / 2) * abs_sum;
}

/* ---- igemm ---- */

static int test_igemm(const cc_kernels_t *d, const dtype_t *t, ptrdiff_t rows,
                      ptrdiff_t cols, ptrdiff_t n_pairs, int accumulate, int has_bias,
                      int kind, int pattern) {
    const ptrdiff_t mr = d->mr, nr = t->f64 ? d->nr_f64 : d->nr_f32;
    const ptrdiff_t cols_up = (cols + nr - 1) / nr * nr;
    const ptrdiff_t ldy = cols + rng_below(4) * (1 + rng_below(9));
    ptrdiff_t *offs = arena_put(A_OFFS, (size_t)n_pairs * sizeof *offs);
    ptrdiff_t max_off = make_offs(offs, n_pairs, pattern, cols_up);
    const ptrdiff_t x_len = n_pairs ? max_off + cols_up : 0, y_len = (rows - 1) * ldy + cols;
    void *x = arena_put(A_X, (size_t)x_len * t->size);
    void *w = arena_put(A_W, (size_t)(n_pairs * mr) * t->size);
    void *bias = has_bias ? arena_put(A_BIAS, (size_t)rows * t->size) : NULL;
    void *y = arena_put(A_Y, (size_t)y_len * t->size);
    double *want = malloc(sizeof(double) * (size_t)(rows * cols));
    double *tol = malloc(sizeof(double) * (size_t)(rows * cols));
    ptrdiff_t r, j, p;
    int ok = 1;
    set_case("%s igemm %s rows=%td cols=%td n_pairs=%td accumulate=%d bias=%d %s offs=%d "
             "ldy=%td", d->name, t->name, rows, cols, n_pairs, accumulate, has_bias,
             KIND_NAMES[kind], pattern, ldy);
    fill_input(x, t, x_len, offs, n_pairs, cols, kind);
    for (p = 0; p < n_pairs; ++p)
        for (r = 0; r < mr; ++r) put(w, t, p * mr + r, r < rows ? value(kind) : NAN);
    for (r = 0; r < rows; ++r) {
        if (bias) put(bias, t, r, value(kind));
        for (j = 0; j < ldy && r * ldy + j < y_len; ++j)
            put(y, t, r * ldy + j, j >= cols ? SENTINEL : accumulate ? value(kind) : NAN);
    }
    for (r = 0; r < rows; ++r)
        for (j = 0; j < cols; ++j) {
            double s = accumulate ? get(y, t, r * ldy + j) : bias ? get(bias, t, r) : 0.0;
            double a = fabs(s);
            for (p = 0; p < n_pairs; ++p) {
                double term = get(w, t, p * mr + r) * get(x, t, offs[p] + j);
                s += term;
                a += fabs(term);
            }
            want[r * cols + j] = s;
            tol[r * cols + j] = bound(kind, t, n_pairs + 1, a);
        }
    arenas_seal(1);
    if (t->f64)
        d->igemm_f64(x, offs, n_pairs, w, y, ldy, rows, cols, accumulate, bias);
    else
        d->igemm_f32(x, offs, n_pairs, w, y, ldy, rows, cols, accumulate, bias);
    arenas_seal(0);
    for (r = 0; r < rows; ++r)
        for (j = 0; j < ldy && r * ldy + j < y_len; ++j) {
            double got = get(y, t, r * ldy + j);
            if (j >= cols) {
                if (got != SENTINEL) ok = report("write past cols: y", r, j, got, SENTINEL, 0);
            } else if (!close_enough(got, want[r * cols + j], tol[r * cols + j])) {
                ok = report("y", r, j, got, want[r * cols + j], tol[r * cols + j]);
            }
        }
    free(want);
    free(tol);
    return ok;
}

/* ---- igemm_ilv ---- */

/* igemm_ilv: rows = channels x s phases, stored interleaved at t = t0 + s*u + q within
 * [0, n_out) of each channel's row; every other position (before the row, the gap up to
 * ldy, positions the tile does not cover) holds a sentinel that must survive, and with
 * accumulate the covered positions in range are read back. */
#define ILV_PRE 16
static int test_igemm_ilv(const cc_kernels_t *d, const dtype_t *t, ptrdiff_t s,
                          ptrdiff_t rows, ptrdiff_t cols, ptrdiff_t n_pairs, ptrdiff_t t0,
                          ptrdiff_t n_out, int accumulate, int has_bias, int kind,
                          int pattern) {
    const ptrdiff_t mr = d->mr, nr = t->f64 ? d->nr_f64 : d->nr_f32;
    const ptrdiff_t cols_up = (cols + nr - 1) / nr * nr, channels = rows / s;
    const ptrdiff_t ldy = n_out + rng_below(4) * (1 + rng_below(9));
    ptrdiff_t *offs = arena_put(A_OFFS, (size_t)n_pairs * sizeof *offs);
    ptrdiff_t max_off = make_offs(offs, n_pairs, pattern, cols_up);
    const ptrdiff_t x_len = n_pairs ? max_off + cols_up : 0;
    const ptrdiff_t y_len = ILV_PRE + (channels - 1) * ldy + n_out;
    void *x = arena_put(A_X, (size_t)x_len * t->size);
    void *w = arena_put(A_W, (size_t)(n_pairs * mr) * t->size);
    void *bias = has_bias ? arena_put(A_BIAS, (size_t)channels * t->size) : NULL;
    void *y = arena_put(A_Y, (size_t)y_len * t->size);
    double *want = malloc(sizeof(double) * (size_t)y_len);
    double *tol = malloc(sizeof(double) * (size_t)y_len);
    ptrdiff_t i, c, q, u, p;
    int ok = 1;
    set_case("%s igemm_ilv %s s=%td rows=%td cols=%td n_pairs=%td t0=%td n_out=%td "
             "accumulate=%d bias=%d %s offs=%d ldy=%td", d->name, t->name, s, rows, cols,
             n_pairs, t0, n_out, accumulate, has_bias, KIND_NAMES[kind], pattern, ldy);
    fill_input(x, t, x_len, offs, n_pairs, cols, kind);
    for (p = 0; p < n_pairs; ++p)
        for (i = 0; i < mr; ++i) put(w, t, p * mr + i, i < rows ? value(kind) : NAN);
    for (c = 0; c < channels; ++c)
        if (bias) put(bias, t, c, value(kind));
    for (i = 0; i < y_len; ++i) {
        put(y, t, i, SENTINEL);
        want[i] = SENTINEL;
        tol[i] = 0;
    }
    for (c = 0; c < channels; ++c)
        for (q = 0; q < s; ++q)
            for (u = 0; u < cols; ++u) {
                const ptrdiff_t pos = t0 + s * u + q, at = ILV_PRE + c * ldy + pos;
                double sum, a;
                if (pos < 0 || pos >= n_out) continue;
                put(y, t, at, accumulate ? value(kind) : NAN);
                sum = accumulate ? get(y, t, at) : bias ? get(bias, t, c) : 0.0;
                a = fabs(sum);
                for (p = 0; p < n_pairs; ++p) {
                    double term = get(w, t, p * mr + c * s + q) * get(x, t, offs[p] + u);
                    sum += term;
                    a += fabs(term);
                }
                want[at] = sum;
                tol[at] = bound(kind, t, n_pairs + 1, a);
            }
    arenas_seal(1);
    if (t->f64)
        d->igemm_ilv_f64(x, offs, n_pairs, w, (double *)y + ILV_PRE, ldy, rows, cols,
                         accumulate, bias, s, t0, n_out);
    else
        d->igemm_ilv_f32(x, offs, n_pairs, w, (float *)y + ILV_PRE, ldy, rows, cols,
                         accumulate, bias, s, t0, n_out);
    arenas_seal(0);
    for (i = 0; i < y_len; ++i) {
        double got = get(y, t, i);
        if (want[i] == SENTINEL && tol[i] == 0) {
            if (got != SENTINEL) ok = report("write outside the tile's positions: y", 0, i,
                                             got, SENTINEL, 0);
        } else if (!close_enough(got, want[i], tol[i])) {
            ok = report("y", (i - ILV_PRE) / ldy, (i - ILV_PRE) % ldy, got, want[i], tol[i]);
        }
    }
    free(want);
    free(tol);
    return ok;
}

/* ---- irow ---- */

static int test_irow(const cc_kernels_t *d, const dtype_t *t, ptrdiff_t n,
                     ptrdiff_t n_pairs, int accumulate, int has_bias, int kind,
                     int pattern) {
    ptrdiff_t *offs = arena_put(A_OFFS, (size_t)n_pairs * sizeof *offs);
    ptrdiff_t max_off = make_offs(offs, n_pairs, pattern, n);
    const ptrdiff_t x_len = n_pairs ? max_off + n : 0;
    void *x = arena_put(A_X, (size_t)x_len * t->size);
    void *w = arena_put(A_W, (size_t)n_pairs * t->size);
    void *y = arena_put(A_Y, (size_t)n * t->size);
    double *want = malloc(sizeof(double) * (size_t)(n + 1));
    double *tol = malloc(sizeof(double) * (size_t)(n + 1));
    double bias_v = has_bias ? value(kind) : 0.0;
    ptrdiff_t j, p;
    int ok = 1;
    set_case("%s irow %s n=%td n_pairs=%td accumulate=%d bias=%d %s offs=%d", d->name,
             t->name, n, n_pairs, accumulate, has_bias, KIND_NAMES[kind], pattern);
    if (!t->f64) bias_v = (double)(float)bias_v;
    fill_input(x, t, x_len, offs, n_pairs, n, kind);
    for (p = 0; p < n_pairs; ++p) put(w, t, p, value(kind));
    for (j = 0; j < n; ++j) put(y, t, j, accumulate ? value(kind) : NAN);
    for (j = 0; j < n; ++j) {
        double s = accumulate ? get(y, t, j) : bias_v, a = fabs(s);
        for (p = 0; p < n_pairs; ++p) {
            double term = get(w, t, p) * get(x, t, offs[p] + j);
            s += term;
            a += fabs(term);
        }
        want[j] = s;
        tol[j] = bound(kind, t, n_pairs + 1, a);
    }
    arenas_seal(1);
    if (t->f64) d->irow_f64(x, offs, n_pairs, w, y, n, accumulate, bias_v);
    else d->irow_f32(x, offs, n_pairs, w, y, n, accumulate, (float)bias_v);
    arenas_seal(0);
    for (j = 0; j < n; ++j) {
        double got = get(y, t, j);
        if (!close_enough(got, want[j], tol[j])) ok = report("y", 0, j, got, want[j], tol[j]);
    }
    /* Where an output falls in a row never changes its bits: the row again from output
     * j0 (input and output advanced by j0), so outputs of the blocks become outputs of
     * the tail and the other way round. */
    if (!accumulate && n > 1) {
        const ptrdiff_t j0 = 1 + rng_below(n - 1 < 37 ? n - 1 : 37);
        void *y2 = malloc((size_t)n * t->size);
        memcpy(y2, y, (size_t)n * t->size);
        arenas_seal(1);
        if (t->f64)
            d->irow_f64((const double *)x + j0, offs, n_pairs, w, (double *)y + j0, n - j0,
                        0, bias_v);
        else
            d->irow_f32((const float *)x + j0, offs, n_pairs, w, (float *)y + j0, n - j0,
                        0, (float)bias_v);
        arenas_seal(0);
        for (j = j0; j < n; ++j)
            if (memcmp((char *)y + j * t->size, (char *)y2 + j * t->size, t->size)) {
                ok = report("y from an offset start (bits)", 0, j, get(y, t, j),
                            get(y2, t, j), 0);
                break;
            }
        free(y2);
    }
    free(want);
    free(tol);
    return ok;
}

/* ---- wgrad ---- */

static int test_wgrad(const cc_kernels_t *d, const dtype_t *t, ptrdiff_t rows,
                      ptrdiff_t cols, ptrdiff_t n, int kind, int pattern) {
    const ptrdiff_t ldy = n + rng_below(3) * (1 + rng_below(7));
    const ptrdiff_t ldw = cols + rng_below(3);
    ptrdiff_t *offs = arena_put(A_OFFS, (size_t)cols * sizeof *offs);
    ptrdiff_t max_off = make_offs(offs, cols, pattern, n);
    const ptrdiff_t x_len = max_off + n, dy_len = (rows - 1) * ldy + n;
    const ptrdiff_t dw_len = (rows - 1) * ldw + cols;
    void *x = arena_put(A_X, (size_t)x_len * t->size);
    void *dy = arena_put(A_W, (size_t)dy_len * t->size);
    double *dw = arena_put(A_Y, (size_t)dw_len * sizeof(double));
    double want[64], tol[64];
    ptrdiff_t r, q, j;
    int ok = 1;
    set_case("%s wgrad %s rows=%td cols=%td n=%td %s offs=%d ldy=%td ldw=%td", d->name,
             t->name, rows, cols, n, KIND_NAMES[kind], pattern, ldy, ldw);
    fill_input(x, t, x_len, offs, cols, n, kind);
    for (j = 0; j < dy_len; ++j) put(dy, t, j, j % ldy < n ? value(kind) : NAN);
    for (j = 0; j < dw_len; ++j) dw[j] = j % ldw < cols ? value(kind) : SENTINEL;
    for (r = 0; r < rows; ++r)
        for (q = 0; q < cols; ++q) {
            double s = dw[r * ldw + q], a = fabs(s);
            for (j = 0; j < n; ++j) {
                double term = get(dy, t, r * ldy + j) * get(x, t, offs[q] + j);
                s += term;
                a += fabs(term);
            }
            want[r * cols + q] = s;
            tol[r * cols + q] = bound(kind, t, n + 1, a);
        }
    arenas_seal(1);
    if (t->f64) d->wgrad_f64(dy, ldy, rows, x, offs, cols, n, dw, ldw);
    else d->wgrad_f32(dy, ldy, rows, x, offs, cols, n, dw, ldw);
    arenas_seal(0);
    for (r = 0; r < rows; ++r)
        for (q = 0; q < ldw && r * ldw + q < dw_len; ++q) {
            double got = dw[r * ldw + q];
            if (q >= cols) {
                if (got != SENTINEL) ok = report("write past cols: dw", r, q, got, SENTINEL, 0);
            } else if (!close_enough(got, want[r * cols + q], tol[r * cols + q])) {
                ok = report("dw", r, q, got, want[r * cols + q], tol[r * cols + q]);
            }
        }
    return ok;
}

/* ---- wgemm ---- */

/* The panel is n x ldt with ldt = cols rounded up to the path's lanes; its columns past
 * cols are NaN: they may be read, but a lane of theirs stored or mixed into another
 * makes a result NaN. With with_b, db (cols values ending at a guard page) gets the
 * panel's column sums added. */
static int test_wgemm(const cc_kernels_t *d, const dtype_t *t, ptrdiff_t rows,
                      ptrdiff_t cols, ptrdiff_t n, int kind, int pattern, int with_b) {
    const ptrdiff_t lanes = t->f64 ? d->vlen_f32 / 2 : d->vlen_f32;
    const ptrdiff_t ldt = (cols + lanes - 1) / lanes * lanes;
    const ptrdiff_t ldw = cols + rng_below(3);
    ptrdiff_t *offs = arena_put(A_OFFS, (size_t)rows * sizeof *offs);
    ptrdiff_t max_off = make_offs(offs, rows, pattern, n);
    const ptrdiff_t x_len = max_off + n, dwt_len = (rows - 1) * ldw + cols;
    void *x = arena_put(A_X, (size_t)x_len * t->size);
    void *dyt = arena_put(A_W, (size_t)(n * ldt) * t->size);
    double *dwt = arena_put(A_Y, (size_t)dwt_len * sizeof(double));
    double *db = with_b ? arena_put(A_DB, (size_t)cols * sizeof(double)) : NULL;
    double *want = malloc((size_t)(rows * cols) * sizeof(double));
    double *tol = malloc((size_t)(rows * cols) * sizeof(double));
    double db_want[64], db_tol[64];
    ptrdiff_t r, o, j;
    int ok = 1;
    set_case("%s wgemm %s rows=%td cols=%td ldt=%td n=%td %s offs=%d ldw=%td db=%d", d->name,
             t->name, rows, cols, ldt, n, KIND_NAMES[kind], pattern, ldw, with_b);
    fill_input(x, t, x_len, offs, rows, n, kind);
    for (j = 0; j < n * ldt; ++j) put(dyt, t, j, j % ldt < cols ? value(kind) : NAN);
    for (j = 0; j < dwt_len; ++j) dwt[j] = j % ldw < cols ? value(kind) : SENTINEL;
    for (r = 0; r < rows; ++r)
        for (o = 0; o < cols; ++o) {
            double s = dwt[r * ldw + o], a = fabs(s);
            for (j = 0; j < n; ++j) {
                double term = get(x, t, offs[r] + j) * get(dyt, t, j * ldt + o);
                s += term;
                a += fabs(term);
            }
            want[r * cols + o] = s;
            tol[r * cols + o] = bound(kind, t, n + 1, a);
        }
    for (o = 0; with_b && o < cols; ++o) {
        double s, a;
        db[o] = value(kind);
        s = db[o];
        a = fabs(s);
        for (j = 0; j < n; ++j) {
            s += get(dyt, t, j * ldt + o);
            a += fabs(get(dyt, t, j * ldt + o));
        }
        db_want[o] = s;
        db_tol[o] = bound(kind, t, n + 1, a);
    }
    arenas_seal(1);
    if (t->f64) d->wgemm_f64(dyt, ldt, n, x, offs, rows, cols, dwt, ldw, db);
    else d->wgemm_f32(dyt, ldt, n, x, offs, rows, cols, dwt, ldw, db);
    arenas_seal(0);
    for (o = 0; with_b && o < cols; ++o)
        if (!close_enough(db[o], db_want[o], db_tol[o]))
            ok = report("db", 0, o, db[o], db_want[o], db_tol[o]);
    for (r = 0; r < rows; ++r)
        for (o = 0; o < ldw && r * ldw + o < dwt_len; ++o) {
            double got = dwt[r * ldw + o];
            if (o >= cols) {
                if (got != SENTINEL) ok = report("write past cols: dwt", r, o, got, SENTINEL, 0);
            } else if (!close_enough(got, want[r * cols + o], tol[r * cols + o])) {
                ok = report("dwt", r, o, got, want[r * cols + o], tol[r * cols + o]);
            }
        }
    free(want);
    free(tol);
    return ok;
}

/* ---- cc_pack_transposed: wgemm's dy panels (baseline SIMD, not a registry kernel) ---- */

static int test_transpose(const dtype_t *t, ptrdiff_t cols, ptrdiff_t n, ptrdiff_t ldt,
                          int wide) {
    const ptrdiff_t ldy = n + rng_below(3);
    const ptrdiff_t dy_len = cols > 0 ? (cols - 1) * ldy + n : 0;
    void *dy = arena_put(A_W, (size_t)dy_len * t->size);
    void *dst = arena_put(A_Y, (size_t)(n * ldt) * t->size);
    ptrdiff_t i, j, o;
    int ok = 1;
    set_case("pack_transposed %s%s cols=%td n=%td ldt=%td ldy=%td", t->name,
             wide ? " (avx2)" : "", cols, n, ldt, ldy);
    for (i = 0; i < dy_len; ++i) put(dy, t, i, i % ldy < n ? value(EXACT) : NAN);
    for (i = 0; i < n * ldt; ++i) put(dst, t, i, NAN);
    arenas_seal(1);
    if (t->f64) cc_pack_transposed_f64(dy, ldy, cols, n, dst, ldt, wide);
    else cc_pack_transposed_f32(dy, ldy, cols, n, dst, ldt, wide);
    arenas_seal(0);
    for (j = 0; j < n; ++j)
        for (o = 0; o < ldt; ++o) {
            const double want = o < cols ? get(dy, t, o * ldy + j) : 0.0;
            const double got = get(dst, t, j * ldt + o);
            if (got != want) ok = report("panel", j, o, got, want, 0);
        }
    return ok;
}

static void run_transpose(void) {
    ptrdiff_t cols, n, extra;
    int di, wide;
    /* the baseline blocks, and the AVX2 ones where this CPU runs them (wide is ignored
     * off x86) */
    for (wide = 0; wide <= cc_cpu_runs(CC_SIMD_AVX2); ++wide)
        for (di = 0; di < 2; ++di) {
            const long p0 = n_passed, f0 = n_failed;
            for (cols = 0; cols <= 19; ++cols)
                for (n = 0; n <= 19; ++n)
                    for (extra = 0; extra <= 5; ++extra)
                        tally(test_transpose(&DTYPES[di], cols, n, cols + extra, wide));
            tally(test_transpose(&DTYPES[di], 48, 1025, 48, wide));
            tally(test_transpose(&DTYPES[di], 37, 130, 40, wide));
            tally(test_transpose(&DTYPES[di], 32, 1024, 32, wide));
            printf("  (pack)  transposed %s%s: %ld passed, %ld failed\n", DTYPES[di].name,
                   wide ? " avx2" : "", n_passed - p0, n_failed - f0);
        }
}

/* ---- rowsum ---- */

static int test_rowsum(const cc_kernels_t *d, const dtype_t *t, ptrdiff_t n, int kind) {
    void *x = arena_put(A_X, (size_t)n * t->size);
    double want = 0.0, a = 0.0, got;
    ptrdiff_t j;
    set_case("%s rowsum %s n=%td %s", d->name, t->name, n, KIND_NAMES[kind]);
    for (j = 0; j < n; ++j) {
        put(x, t, j, value(kind));
        want += get(x, t, j);
        a += fabs(get(x, t, j));
    }
    arenas_seal(1);
    got = t->f64 ? d->rowsum_f64(x, n) : d->rowsum_f32(x, n);
    arenas_seal(0);
    if (!close_enough(got, want, bound(kind, t, n, a)))
        return report("sum", 0, 0, got, want, bound(kind, t, n, a));
    return 1;
}

/* ---- the sweep ---- */

static const ptrdiff_t PAIRS[] = {0, 1, 2, 3, 4, 5, 7, 8, 13, 17, 24, 33, 40};
/* 15-17, 19-21, 23-25, 47-49: each side of the phased irow's tap thresholds (16, 20
 * and 24 taps) and of its groups of 4 phases' taps; 30-33, 62-65: of AVX-512's wide
 * rows (from 31 float64 / 63 float32 taps); 131: several groups per phase. */
static const ptrdiff_t IROW_PAIRS[] = {0, 1, 2, 3, 7, 15, 16, 17, 19, 20, 21, 23, 24, 25,
                                       30, 31, 32, 33, 40, 47, 48, 49, 62, 63, 64, 65, 131};
/* irow rows past 300 outputs: AVX-512 float32's wide rows run a 16-vector block (256
 * outputs), an 8-vector block and the tail only from 384 outputs. */
static const ptrdiff_t IROW_LONG_N[] = {383, 384, 385, 400, 447, 511, 512, 513};
static const ptrdiff_t WGRAD_N[] = {0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33,
                                    63, 64, 65, 100, 255, 256, 257, 511, 512, 513, 1000,
                                    1023, 1024, 1025, 1500};
/* wgemm: below and above a vector's lanes and the CC_WBLOCK its callers keep to. */
static const ptrdiff_t WGEMM_N[] = {0, 1, 2, 3, 5, 8, 17, 64, 255, 1024, 1025};
#define COUNT(a) ((ptrdiff_t)(sizeof(a) / sizeof((a)[0])))
/* igemm_ilv: columns (scaled by the tile: 24 is one float tile on AVX2, half of one on
 * AVX-512), pairs, and (t0, where n_out ends past the tile's last position) pairs:
 * clipped at the start, at the end, both, or neither. */
static const ptrdiff_t ILV_COLS[] = {0, 1, 23, 24, 47, 48, 71, 100};
static const ptrdiff_t ILV_PAIRS[] = {0, 1, 3, 8, 17};
static const ptrdiff_t ILV_T0[] = {0, -1, -5, 0, 3, -2};
static const ptrdiff_t ILV_TOFF[] = {0, 0, -3, -1, 7, -7};

static void line(const cc_kernels_t *d, const char *kernel, const dtype_t *t,
                 long passed0, long failed0) {
    printf("  %-7s %-6s %s: %ld passed, %ld failed\n", d->name, kernel, t->name,
           n_passed - passed0, n_failed - failed0);
}

static void run_path(const cc_kernels_t *d) {
    int di, kind, acc, b, pattern = 0;
    long p0, f0;
    ptrdiff_t rows, cols, n, i;
    /* The descriptor itself: a planner divides by these and sizes buffers with them. */
    set_case("%s descriptor", d->name);
    {
        int ok = d->mr >= 1 && d->nr_f32 >= 1 && d->nr_f64 >= 1 && d->wr >= 1 && d->wc >= 1
                 && d->vlen_f32 >= 2 && d->igemm_f32 && d->irow_f32 && d->wgrad_f32
                 && d->wgemm_f32 && d->rowsum_f32 && d->igemm_f64 && d->irow_f64
                 && d->wgrad_f64 && d->wgemm_f64 && d->rowsum_f64 && d->igemm_ilv_f32
                 && d->igemm_ilv_f64 && d->wr * d->wc <= 64
                 && d->nr_f32 % d->vlen_f32 == 0 && d->nr_f64 % (d->vlen_f32 / 2) == 0
                 && d->wgemm_pairs >= 0 && d->wgemm_max_len >= 0;
        if (!ok) report("fields", 0, 0, 0, 0, 0);
        tally(ok);
    }
    for (di = 0; di < 2; ++di) {
        const dtype_t *t = &DTYPES[di];
        const ptrdiff_t nr = t->f64 ? d->nr_f64 : d->nr_f32;
        p0 = n_passed; f0 = n_failed;
        for (kind = 0; kind < 2; ++kind)
            for (rows = 1; rows <= d->mr; ++rows)
                for (cols = 1; cols <= 3 * nr + 5; ++cols)
                    for (i = 0; i < COUNT(PAIRS); ++i)
                        for (acc = 0; acc < 2; ++acc)
                            for (b = 0; b < 2; ++b)
                                tally(test_igemm(d, t, rows, cols, PAIRS[i], acc, b, kind,
                                                 pattern++ % 3));
        line(d, "igemm", t, p0, f0);
        p0 = n_passed; f0 = n_failed;
        for (kind = 0; kind < 2; ++kind)
            for (n = 2; n <= d->mr; n *= 2) {              /* n: the stride s */
                if (d->mr % n) continue;
                for (rows = n; rows <= d->mr; rows += n)
                    for (i = 0; i < COUNT(ILV_COLS); ++i)
                        for (int pi = 0; pi < COUNT(ILV_PAIRS); ++pi)
                            for (int e = 0; e < COUNT(ILV_T0); ++e)
                                for (acc = 0; acc < 2; ++acc)
                                    for (b = 0; b < 2; ++b) {
                                        /* ILV_TOFF: where n_out ends against the tile */
                                        const ptrdiff_t cc = ILV_COLS[i] * nr / 24 + 1;
                                        const ptrdiff_t end = ILV_T0[e] + n * cc
                                                              + ILV_TOFF[e];
                                        tally(test_igemm_ilv(d, t, n, rows, cc,
                                                             ILV_PAIRS[pi], ILV_T0[e],
                                                             end > 0 ? end : 1, acc, b,
                                                             kind, pattern++ % 3));
                                    }
            }
        line(d, "igemm_ilv", t, p0, f0);
        p0 = n_passed; f0 = n_failed;
        for (kind = 0; kind < 2; ++kind)
            for (int ni = 0; ni < 301 + COUNT(IROW_LONG_N); ++ni) {
                n = ni <= 300 ? ni : IROW_LONG_N[ni - 301];
                for (i = 0; i < COUNT(IROW_PAIRS); ++i)
                    for (acc = 0; acc < 2; ++acc)
                        for (b = 0; b < 2 - acc; ++b)
                            tally(test_irow(d, t, n, IROW_PAIRS[i], acc, b, kind,
                                            pattern++ % 4));
            }
        line(d, "irow", t, p0, f0);
        p0 = n_passed; f0 = n_failed;
        for (kind = 0; kind < 2; ++kind)
            for (rows = 1; rows <= d->wr; ++rows)
                for (cols = 1; cols <= d->wc; ++cols)
                    for (i = 0; i < COUNT(WGRAD_N); ++i)
                        tally(test_wgrad(d, t, rows, cols, WGRAD_N[i], kind, pattern++ % 3));
        line(d, "wgrad", t, p0, f0);
        p0 = n_passed; f0 = n_failed;
        for (kind = 0; kind < 2; ++kind)
            for (rows = 1; rows <= d->mr; ++rows)
                for (cols = 1; cols <= nr; ++cols)
                    for (i = 0; i < COUNT(WGEMM_N); ++i)
                        for (b = 0; b < 2; ++b)
                            tally(test_wgemm(d, t, rows, cols, WGEMM_N[i], kind,
                                             pattern++ % 3, b));
        line(d, "wgemm", t, p0, f0);
        p0 = n_passed; f0 = n_failed;
        for (kind = 0; kind < 2; ++kind)
            for (n = 0; n <= 2000; ++n) tally(test_rowsum(d, t, n, kind));
        line(d, "rowsum", t, p0, f0);
    }
}

/* ---- cc_fft.h: the transform of fir_filter's FFT route ---- */

static unsigned bit_reverse(unsigned k, int bits) {
    unsigned r = 0;
    for (int b = 0; b < bits; ++b) { r = (r << 1) | (k & 1u); k >>= 1; }
    return r;
}

/* Forward against a long-double DFT read at bit-reversed positions, the inverse back to
 * n times the input, and the real-half first pass against the full transform. */
static void test_fft_sizes(int simd) {
    const long double two_pi = 6.283185307179586476925286766559L;
    for (int bits = 0; bits <= 11; ++bits) {
        const ptrdiff_t n = (ptrdiff_t)1 << bits;
        double *re = malloc(n * sizeof *re), *im = malloc(n * sizeof *im);
        double *xr = malloc(n * sizeof *xr), *xi = malloc(n * sizeof *xi);
        double *twr = malloc(n * sizeof *twr), *twi = malloc(n * sizeof *twi);
        double *hr = malloc(n * sizeof *hr), *hi = malloc(n * sizeof *hi);
        double l1 = 0.0;
        cc_fft_twiddles(n, twr, twi);
        for (ptrdiff_t t = 0; t < n; ++t) {
            re[t] = xr[t] = value(RANDOM);
            im[t] = xi[t] = value(RANDOM);
            l1 += fabs(xr[t]) + fabs(xi[t]);
        }
        /* A transform's error grows with its depth: log2(n) + 1 roundings per path. */
        const double tol = 4.0 * (bits + 1) * DBL_EPSILON * l1;
        set_case("fft forward n=%td simd=%d", n, simd);
        cc_fft_forward(n, re, im, twr, twi, simd);
        int ok = 1;
        for (ptrdiff_t p = 0; p < n; ++p) {
            const unsigned k = bit_reverse((unsigned)p, bits);
            long double sr = 0, si = 0;
            for (ptrdiff_t t = 0; t < n; ++t) {
                long double a = -two_pi * (long double)((k * (unsigned long)t) % (unsigned long)n)
                                / (long double)n;
                long double c = cosl(a), s = sinl(a);
                sr += xr[t] * c - xi[t] * s;
                si += xr[t] * s + xi[t] * c;
            }
            if (!close_enough(re[p], (double)sr, tol)) ok = report("re", p, k, re[p], sr, tol);
            if (!close_enough(im[p], (double)si, tol)) ok = report("im", p, k, im[p], si, tol);
        }
        tally(ok);
        set_case("fft inverse n=%td simd=%d", n, simd);
        cc_fft_inverse(n, re, im, twr, twi, simd);
        ok = 1;
        for (ptrdiff_t t = 0; t < n; ++t) {
            if (!close_enough(re[t] / n, xr[t], 2 * tol / n)) ok = report("re", t, 0, re[t] / n, xr[t], 2 * tol / n);
            if (!close_enough(im[t] / n, xi[t], 2 * tol / n)) ok = report("im", t, 0, im[t] / n, xi[t], 2 * tol / n);
        }
        tally(ok);
        if (n >= 16) {
            set_case("fft real half n=%td simd=%d", n, simd);
            for (ptrdiff_t t = 0; t < n; ++t) {
                re[t] = t < n / 2 ? xr[t] : 0.0;
                im[t] = 0.0;
                hr[t] = t < n / 2 ? xr[t] : SENTINEL;   /* never read */
                hi[t] = SENTINEL;                      /* never read */
            }
            cc_fft_forward(n, re, im, twr, twi, simd);
            cc_fft_forward_real_half(n, hr, hi, twr, twi, simd);
            ok = 1;
            for (ptrdiff_t p = 0; p < n; ++p) {
                if (!close_enough(hr[p], re[p], tol)) ok = report("re", p, 0, hr[p], re[p], tol);
                if (!close_enough(hi[p], im[p], tol)) ok = report("im", p, 0, hi[p], im[p], tol);
            }
            tally(ok);
            /* the half-length route (below 64 points it is the one above) */
            set_case("fft real n=%td simd=%d", n, simd);
            double *scratch = malloc(n * sizeof *scratch), *twb = malloc(n * sizeof *twb);
            cc_fft_real_twiddles(n, twr, twi, twb, twb + n / 2);
            for (ptrdiff_t t = 0; t < n; ++t) {
                hr[t] = t < n / 2 ? xr[t] : SENTINEL;   /* never read */
                hi[t] = SENTINEL;
                scratch[t] = SENTINEL;                  /* written before it is read */
            }
            cc_fft_forward_real(n, hr, hi, scratch, twr, twi, twb, simd);
            ok = 1;
            for (ptrdiff_t p = 0; p < n; ++p) {
                if (!close_enough(hr[p], re[p], tol)) ok = report("re", p, 0, hr[p], re[p], tol);
                if (!close_enough(hi[p], im[p], tol)) ok = report("im", p, 0, hi[p], im[p], tol);
            }
            tally(ok);
            free(scratch); free(twb);
        }
        free(re); free(im); free(xr); free(xi); free(twr); free(twi); free(hr); free(hi);
    }
}

/* Packing (copy, zero fill, largest magnitude, NaN/inf flag) and the scaled overlap-add,
 * both types, lengths around the vector width. */
static void test_fft_io(int simd) {
    for (ptrdiff_t len = 0; len <= 19; ++len)
        for (int poison = 0; poison < 3; ++poison) {
            const ptrdiff_t n = len + 5;
            double src64[24], dest[24], amax = -1.0, want_max = 0.0, out64[24], piece[24];
            float src32[24], out32[24];
            int want_bad = 0, ok = 1;
            for (ptrdiff_t t = 0; t < len; ++t) {
                src64[t] = value(RANDOM) * 8.0;
                src32[t] = (float)src64[t];
                src64[t] = src32[t];
            }
            if (poison && len) {   /* 1: NaN, 2: -inf, somewhere */
                ptrdiff_t at = rng_below(len);
                src64[at] = poison == 1 ? NAN : -INFINITY;
                src32[at] = (float)src64[at];
                want_bad = 1;
            }
            for (ptrdiff_t t = 0; t < len; ++t)
                if (fabs(src64[t]) <= DBL_MAX && fabs(src64[t]) > want_max) want_max = fabs(src64[t]);
            for (int f64 = 0; f64 < 2; ++f64) {
                set_case("fft pack %s len=%td poison=%d simd=%d", f64 ? "f64" : "f32", len, poison, simd);
                for (ptrdiff_t t = 0; t < 24; ++t) dest[t] = SENTINEL;
                int bad = f64 ? cc_fft_pack_f64(dest, src64, len, n, &amax, simd)
                              : cc_fft_pack_f32(dest, src32, len, n, &amax, simd);
                ok = 1;
                if (bad != want_bad) ok = report("flag", len, 0, bad, want_bad, 0);
                /* The magnitude is the caller's only when every value is finite. */
                if (!want_bad && amax != want_max) ok = report("amax", len, 0, amax, want_max, 0);
                for (ptrdiff_t t = 0; t < 24; ++t) {
                    double want = t < len ? src64[t] : t < n ? 0.0 : SENTINEL;
                    if (!(dest[t] == want || (isnan(dest[t]) && isnan(want))))
                        ok = report("dest", t, 0, dest[t], want, 0);
                }
                tally(ok);
            }
            set_case("fft add len=%td simd=%d", len, simd);
            ok = 1;
            for (ptrdiff_t t = 0; t < 24; ++t) {
                piece[t] = value(RANDOM);
                out64[t] = value(RANDOM);
                out32[t] = (float)out64[t];
            }
            double keep64[24];
            float keep32[24];
            memcpy(keep64, out64, sizeof out64);
            memcpy(keep32, out32, sizeof out32);
            cc_fft_add_f64(out64, piece, len, 0.5, simd);
            cc_fft_add_f32(out32, piece, len, 0.5, simd);
            for (ptrdiff_t t = 0; t < 24; ++t) {
                double w64 = t < len ? keep64[t] + piece[t] * 0.5 : keep64[t];
                float w32 = t < len ? keep32[t] + (float)(piece[t] * 0.5) : keep32[t];
                if (out64[t] != w64) ok = report("f64", t, 0, out64[t], w64, 0);
                if (out32[t] != w32) ok = report("f32", t, 0, out32[t], w32, 0);
            }
            tally(ok);
        }
}

/* ---- cc_lagstats.h: Pearson's coefficients of a block of lags ---- */

static void run_lagstats(const char *path, int simd) {
    long p0 = n_passed, f0 = n_failed;
    enum { N = 37 };
    for (int trial = 0; trial < 40; ++trial) {
        const ptrdiff_t m = 2 + rng_below(60);
        const double inv = 1.0 / (double)m, sum_v = value(RANDOM), var_v = 0.5 + value(RANDOM) * 0.25;
        const double shift = value(RANDOM);
        double raw[N], s1[N], s2[N], out[N];
        float raw32[N], out32[N];
        int want_near = 0;
        for (ptrdiff_t j = 0; j < N; ++j) {
            s1[j] = value(RANDOM) * m;
            /* mostly well spread windows; a nearly constant one now and then */
            double spread = (trial % 5 == 0 && j == 11) ? 1e-12 : 0.2 + fabs(value(RANDOM));
            s2[j] = s1[j] * s1[j] * inv + spread * m;
            if (s2[j] - s1[j] * s1[j] * inv <= 1e-8 * s2[j]) want_near = 1;
            raw[j] = value(RANDOM) * m;
            raw32[j] = (float)raw[j];
        }
        if (trial == 3) raw[5] = raw32[5] = NAN;
        set_case("lagstats m=%td trial=%d simd=%d", m, trial, simd);
        int near = cc_pearson_block_f64(raw, s1, s2, N, shift, sum_v, inv, var_v, out, simd);
        int near32 = cc_pearson_block_f32(raw32, s1, s2, N, shift, sum_v, inv, var_v, out32, simd);
        int ok = 1;
        if (near != want_near) ok = report("near", 0, 0, near, want_near, 0);
        if (near32 != want_near) ok = report("near f32", 0, 0, near32, want_near, 0);
        for (ptrdiff_t j = 0; j < N; ++j) {
            long double var_a = (long double)s2[j] - (long double)s1[j] * s1[j] / m;
            if (var_a < 0) var_a = 0;
            long double r = (((long double)raw[j] - shift) - (long double)s1[j] * sum_v / m)
                            / sqrtl(var_a * var_v);
            if (r > 1) r = 1;
            if (r < -1) r = -1;
            /* the window variance's cancellation bounds the error */
            double tol = 64 * DBL_EPSILON * (1.0 + fabs((double)r)) * (s2[j] / (double)(var_a + 1e-300));
            if (isnan(raw[j])) {
                if (!isnan(out[j])) ok = report("nan", j, 0, out[j], NAN, 0);
            } else if (!close_enough(out[j], (double)r, tol)) {
                ok = report("r", j, 0, out[j], (double)r, tol);
            }
            long double r32 = (((long double)raw32[j] - shift) - (long double)s1[j] * sum_v / m)
                              / sqrtl(var_a * var_v);
            if (r32 > 1) r32 = 1;
            if (r32 < -1) r32 = -1;
            if (isnan(raw[j])) {
                if (!isnan(out32[j])) ok = report("nan f32", j, 0, out32[j], NAN, 0);
            } else if (!close_enough(out32[j], (double)r32, tol + 1e-6 * fabs((double)r32))) {
                ok = report("r f32", j, 0, out32[j], (double)r32, tol);
            }
        }
        tally(ok);
    }
    printf("  %-7s lagstats f64/f32: %ld passed, %ld failed\n", path, n_passed - p0,
           n_failed - f0);
}

/* The two-pass long-double Pearson coefficient of the window a[j:j+m] with the centred
 * template v (sum of squares var_v); the window's mean and centred sum of squares go to
 * mean and var_a (the slide's and the tree's reference). */
static long double window_r(const double *a, const double *v, ptrdiff_t m, double var_v,
                            long double *mean, long double *var_a) {
    long double cov = 0;
    *mean = 0;
    *var_a = 0;
    for (ptrdiff_t t = 0; t < m; ++t) *mean += a[t];
    *mean /= m;
    for (ptrdiff_t t = 0; t < m; ++t) {
        long double d = a[t] - *mean;
        *var_a += d * d;
        cov += d * v[t];
    }
    return *var_a == 0 ? 0 : cov / sqrtl(*var_a * var_v);
}

/* cc_pearson_tree_f32_*: float32 window sums by a tree of Chan updates and r, against a
 * long-double two-pass coefficient of the same float32 samples; m over powers of two, odd
 * and many-bit lengths up to 512 (every level, shift and join), counts across vector
 * and level tails; a constant window must raise the near flag, a NaN or an infinity at
 * the block's first, last or middle sample the non-finite one. */
static void run_tree(const char *path, int simd) {
#if CC_LAGSTATS_HAVE_AVX512
    static const ptrdiff_t MS[] = {2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 40,
                                   63, 64, 100, 127, 128, 255, 256, 300, 511, 512};
    long p0 = n_passed, f0 = n_failed;
    for (int trial = 0; trial < 78; ++trial) {
        const ptrdiff_t m = MS[trial % COUNT(MS)];
        const ptrdiff_t count = 1 + rng_below(trial % 3 == 0 ? 2600 : 70);
        const ptrdiff_t span = count + m - 1;
        float *a = malloc(span * sizeof *a), *raw = malloc(count * sizeof *raw);
        float *out = malloc(count * sizeof *out), *v = malloc(m * sizeof *v);
        const size_t work_bytes = ((size_t)CC_TREE_WORK(count, m) * sizeof(float) + 63) / 64 * 64;
        float *work = aligned_alloc(64, work_bytes);
        double *ad = malloc(span * sizeof *ad), *vd = malloc(m * sizeof *vd);
        const double level = trial % 2 ? 50.0 : 0.0;
        long double vs = 0, vss = 0;
        for (ptrdiff_t t = 0; t < m; ++t) { v[t] = (float)value(RANDOM); vs += v[t]; }
        for (ptrdiff_t t = 0; t < m; ++t) v[t] = (float)(v[t] - vs / m);
        vs = 0;
        for (ptrdiff_t t = 0; t < m; ++t) { vs += v[t]; vss += (long double)v[t] * v[t]; }
        const double sum_v = (double)vs, inv = 1.0 / (double)m;
        const double var_v = (double)(vss - vs * vs / m);
        for (ptrdiff_t i = 0; i < span; ++i)
            a[i] = (float)(level + value(RANDOM) + 0.01 * (double)(i % 97));
        const int plant = trial % 5 == 1 && count > 3;
        if (plant)          /* one window of equal values */
            for (ptrdiff_t i = count / 2; i < count / 2 + m; ++i) a[i] = (float)(level + 0.375);
        for (ptrdiff_t j = 0; j < count; ++j) {
            long double c = 0;
            for (ptrdiff_t t = 0; t < m; ++t) c += (long double)a[j + t] * v[t];
            raw[j] = (float)c;
        }
        set_case("tree m=%td count=%td trial=%d simd=%d", m, count, trial, simd);
        int (*tree)(const float *, ptrdiff_t, ptrdiff_t, const float *, double, double,
                    double, float *, float *) =
            simd == 2 ? cc_pearson_tree_f32_avx512 : cc_pearson_tree_f32_avx2;
        int flags = tree(a, count, m, raw, sum_v, inv, var_v, out, work);
        int ok = 1;
        if (flags & 2) ok = report("finite block flagged", 0, 0, flags, 0, 0);
        if (plant && !(flags & 1)) ok = report("constant window not near", 0, 0, flags, 1, 0);
        for (ptrdiff_t i = 0; i < span; ++i) ad[i] = a[i];
        for (ptrdiff_t t = 0; t < m; ++t) vd[t] = v[t];
        for (ptrdiff_t j = 0; j < count; ++j) {
            long double mean, var_a;
            const long double r = window_r(ad + j, vd, m, var_v, &mean, &var_a);
            if (var_a == 0) continue;       /* the caller's exact check makes it NaN */
            /* float32 roundings of raw and of the levels, scaled by the window's level
             * over its spread (the problem's own conditioning), log2(m) levels deep */
            long double scale = (fabsl(mean) + 1) * (fabsl(mean) + 1) * m / var_a;
            double tol = 4e-7 * (double)scale * (1.0 + log2((double)m)) + 1e-6;
            if (!close_enough(out[j], (double)r, tol)) ok = report("r", j, 0, out[j], r, tol);
        }
        const ptrdiff_t spots[3] = {0, span - 1, span / 2};
        for (int k = 0; k < 3; ++k) {
            float keep = a[spots[k]];
            a[spots[k]] = (trial + k) % 2 ? NAN : -INFINITY;
            if (!(tree(a, count, m, raw, sum_v, inv, var_v, out, work) & 2))
                ok = report("non-finite not flagged", spots[k], 0, a[spots[k]], 0, 0);
            a[spots[k]] = keep;
        }
        tally(ok);
        free(a); free(raw); free(out); free(v); free(work); free(ad); free(vd);
    }
    printf("  %-7s tree   f32: %ld passed, %ld failed\n", path, n_passed - p0, n_failed - f0);
#else
    (void)path; (void)simd;
#endif
}

/* cc_pearson_direct_*: short templates' raw sums, window sums and r in one loop, at
 * both types, against a long-double two-pass coefficient of the same samples: m from 2
 * past the routes' thresholds (79 taps), across the phased loop's block counts (m = K L
 * + rem, K = 0-4, rem 0 or not; K = 5 takes the per-tap loop), counts across the vector
 * groups and the masked tail; a level with drift, a step of 1e3 and spikes of 1e4 among unit noise (windows
 * far from the group's offset, and a spike taken as the offset: the second sum about
 * each window's mean), with the arrays against guard pages. Errors in units of the
 * type's epsilon: within 16 m of them in float32 and 2048 m in float64, the bits tau
 * lets the one-pass sums lose (2^-4, 2^-12) times a few roundings (measured: up to 4.2 m
 * and 850 m). A constant window must raise the near flag, a NaN or an infinity at the
 * block's first, last or middle sample the non-finite one; and float32 squares that
 * overflow or sit near the subnormal range must send the block away too. */
#if CC_LAGSTATS_HAVE_AVX512
#define DIRECT_CASE(T, FN, EPS, TOL_UNITS, WORST)                                                         \
    {                                                                                   \
        T *a = arena_put(A_X, span * sizeof(T)), *v = arena_put(A_W, m * sizeof(T));     \
        T *out = arena_put(A_Y, count * sizeof(T));                                     \
        long double vs = 0, vss = 0;                                                    \
        for (ptrdiff_t t = 0; t < m; ++t) { v[t] = (T)vraw[t]; vs += v[t]; }            \
        for (ptrdiff_t t = 0; t < m; ++t) v[t] = (T)(v[t] - vs / m);                    \
        vs = 0;                                                                         \
        for (ptrdiff_t t = 0; t < m; ++t) { vs += v[t]; vss += (long double)v[t] * v[t]; } \
        const double var_v = (double)(vss - vs * vs / m);                               \
        for (ptrdiff_t i = 0; i < span; ++i) a[i] = (T)araw[i];                         \
        for (ptrdiff_t i = 0; i < span; ++i) ad[i] = a[i];                              \
        for (ptrdiff_t t = 0; t < m; ++t) vd[t] = v[t];                                 \
        arenas_seal(1);                                                                 \
        const int flags = (FN)(a, count, m, v, (double)vs, 1.0 / (double)m, var_v, out); \
        arenas_seal(0);                                                                 \
        if (flags & 2) ok = report(#T " finite block flagged", 0, 0, flags, 0, 0);       \
        if (plant && !(flags & 1)) ok = report(#T " constant window not near", 0, 0, flags, 1, 0); \
        for (ptrdiff_t j = 0; j < count; ++j) {                                         \
            long double mean, var_a;                                                    \
            const long double r = window_r(ad + j, vd, m, var_v, &mean, &var_a);        \
            if (var_a == 0) continue;       /* the caller's exact check makes it NaN */ \
            const double tol = TOL_UNITS * (double)m * (EPS);                           \
            if (!close_enough(out[j], (double)r, tol)) ok = report(#T " r", j, 0, out[j], r, tol); \
            const double units = fabs(out[j] - (double)r) / ((double)m * (EPS));         \
            if (units > WORST) WORST = units;                                           \
        }                                                                               \
        const ptrdiff_t spots[3] = {0, span - 1, span / 2};                             \
        for (int k = 0; k < 3; ++k) {                                                   \
            T keep = a[spots[k]];                                                       \
            a[spots[k]] = (trial + k) % 2 ? (T)NAN : (T)-INFINITY;                      \
            if (!((FN)(a, count, m, v, (double)vs, 1.0 / (double)m, var_v, out) & 2))    \
                ok = report(#T " non-finite not flagged", spots[k], 0, a[spots[k]], 0, 0); \
            a[spots[k]] = keep;                                                         \
        }                                                                               \
    }
static void run_direct(const char *path, int simd) {
    static const ptrdiff_t MS[] = {2, 3, 4, 5, 7, 8, 9, 10, 11, 15, 16, 17, 20, 21, 23, 24,
                                   25, 31, 32, 33, 39, 40, 47, 48, 49, 63, 64, 65, 79, 80};
    long p0 = n_passed, f0 = n_failed;
    double worst64 = 0.0, worst32 = 0.0;
    for (int trial = 0; trial < 120; ++trial) {
        const ptrdiff_t m = MS[trial % COUNT(MS)];
        const ptrdiff_t count = 1 + rng_below(trial % 3 == 0 ? 2600 : 90);
        const ptrdiff_t span = count + m - 1;
        double *araw = malloc(span * sizeof *araw), *vraw = malloc(m * sizeof *vraw);
        double *ad = malloc(span * sizeof *ad), *vd = malloc(m * sizeof *vd);
        const int kind = (trial / 2) % 4;
        for (ptrdiff_t t = 0; t < m; ++t) vraw[t] = value(RANDOM);
        for (ptrdiff_t i = 0; i < span; ++i) {
            double x = value(RANDOM);
            if (kind == 1) x += 50.0 + 20.0 * sin((double)i / 300.0);
            if (kind == 2) x += i < span / 2 ? 1e3 : 0.0;
            if (kind == 3 && rng_below(50) == 0) x += 1e4;
            araw[i] = x;
        }
        const int plant = trial % 5 == 1 && count > 3;
        if (plant)          /* one window of equal values */
            for (ptrdiff_t i = count / 2; i < count / 2 + m; ++i) araw[i] = 0.375 + 50.0 * (kind == 1);
        set_case("direct m=%td count=%td kind=%d trial=%d simd=%d", m, count, kind, trial, simd);
        int ok = 1;
        int (*direct64)(const double *, ptrdiff_t, ptrdiff_t, const double *, double, double,
                        double, double *) =
            simd == 2 ? cc_pearson_direct_f64_avx512 : cc_pearson_direct_f64_avx2;
        int (*direct32)(const float *, ptrdiff_t, ptrdiff_t, const float *, double, double,
                        double, float *) =
            simd == 2 ? cc_pearson_direct_f32_avx512 : cc_pearson_direct_f32_avx2;
        DIRECT_CASE(double, direct64, DBL_EPSILON, 2048.0, worst64)
        DIRECT_CASE(float, direct32, FLT_EPSILON, 16.0, worst32)
        tally(ok);
        free(araw); free(vraw); free(ad); free(vd);
    }
    /* float32 extremes: squares that overflow (samples near 1e20) or sit near the
     * subnormal range (deviations near 1e-22 from a level of 1e-17) must send the block
     * to the route that counts (bit 1), not come out as +-1 or as a constant window's
     * number */
    for (int trial = 0; trial < 24; ++trial) {
        const ptrdiff_t m = 2 + (trial * 7) % 79, count = 1 + rng_below(200);
        const ptrdiff_t span = count + m - 1;
        float *a = arena_put(A_X, span * sizeof(float)), *v = arena_put(A_W, m * sizeof(float));
        float *out = arena_put(A_Y, count * sizeof(float));
        double vs = 0.0;
        for (ptrdiff_t t = 0; t < m; ++t) { v[t] = (float)value(RANDOM); vs += v[t]; }
        for (ptrdiff_t i = 0; i < span; ++i)
            a[i] = trial % 2 ? (float)(1e20 * (0.5 + 0.5 * fabs(value(RANDOM))))
                             : (float)(1e-17 * (1.0 + 1e-5 * value(RANDOM)));
        set_case("direct extremes m=%td count=%td trial=%d simd=%d", m, count, trial, simd);
        int (*direct32)(const float *, ptrdiff_t, ptrdiff_t, const float *, double, double,
                        double, float *) =
            simd == 2 ? cc_pearson_direct_f32_avx512 : cc_pearson_direct_f32_avx2;
        arenas_seal(1);
        const int flags = direct32(a, count, m, v, vs, 1.0 / (double)m, 1.0, out);
        arenas_seal(0);
        tally(flags & 2 ? 1 : report("extreme block not sent away", 0, 0, flags, 2, 0));
    }
    printf("  %-7s direct f64/f32: %ld passed, %ld failed (worst %.0f / %.1f m eps)\n", path,
           n_passed - p0, n_failed - f0, worst64, worst32);
}
#undef DIRECT_CASE
#else
static void run_direct(const char *path, int simd) { (void)path; (void)simd; }
#endif

/* cc_pearson_transposed_f64_*: the block's segments in the lanes (tiles transposed in
 * and out, the last lags by the direct route), against the long-double two-pass
 * coefficient of the same samples: m from 2 to 300, counts below one tile, at tile
 * multiples and with a tail, data as run_direct's (noise, drift, a step of 1e3,
 * spikes of 1e4), the arrays against guard pages (the tiles' loads and stores stay in
 * the block, the next block's prefetches never fault). Where the route returns bit 0
 * its caller redoes the block by the direct route, so values are checked only without
 * it, and unit noise must never raise it; otherwise within 2e-12 on noise and 1e-8 on
 * the hard data (the slid sums carry a spike's rounding: measured 4e-10). A constant
 * window must raise bit 0, a NaN or an infinity bit 1. */
#if CC_LAGSTATS_HAVE_AVX512
static void run_transposed(const char *path, int simd) {
    static const ptrdiff_t MS[] = {2, 3, 7, 8, 12, 16, 31, 40, 63, 64, 65, 100, 300};
    static const ptrdiff_t COUNTS[] = {1, 31, 63, 64, 65, 127, 128, 511, 512, 700, 2048};
    long p0 = n_passed, f0 = n_failed;
    int (*trans)(const double *, ptrdiff_t, ptrdiff_t, const double *, double, double, double,
                 double *, double *) =
        simd == 2 ? cc_pearson_transposed_f64_avx512 : cc_pearson_transposed_f64_avx2;
    double worst_noise = 0.0;
    for (int trial = 0; trial < 160; ++trial) {
        const ptrdiff_t m = MS[trial % COUNT(MS)];
        const ptrdiff_t count = COUNTS[(trial / COUNT(MS) + trial) % COUNT(COUNTS)];
        const ptrdiff_t span = count + m - 1;
        const int kind = (trial / 3) % 4;
        double *a = arena_put(A_X, span * sizeof(double));
        double *v = arena_put(A_W, m * sizeof(double));
        double *out = arena_put(A_Y, count * sizeof(double));
        double *work = malloc(CC_TRANSPOSED_WORK(count, m) * sizeof(double));
        long double vs = 0, vss = 0;
        for (ptrdiff_t t = 0; t < m; ++t) { v[t] = value(RANDOM); vs += v[t]; }
        for (ptrdiff_t t = 0; t < m; ++t) v[t] = (double)(v[t] - vs / m);
        vs = 0;
        for (ptrdiff_t t = 0; t < m; ++t) { vs += v[t]; vss += (long double)v[t] * v[t]; }
        const double var_v = (double)(vss - vs * vs / m);
        for (ptrdiff_t i = 0; i < span; ++i) {
            double x = value(RANDOM);
            if (kind == 1) x += 50.0 + 20.0 * sin((double)i / 300.0);
            if (kind == 2) x += i < span / 2 ? 1e3 : 0.0;
            if (kind == 3 && rng_below(50) == 0) x += 1e4;
            a[i] = x;
        }
        const int plant = trial % 5 == 1 && count > 3;
        if (plant)          /* one window of equal values */
            for (ptrdiff_t i = count / 2; i < count / 2 + m; ++i) a[i] = 0.375;
        set_case("transposed m=%td count=%td kind=%d trial=%d simd=%d", m, count, kind, trial,
                 simd);
        int ok = 1;
        arenas_seal(1);
        const int flags = trans(a, count, m, v, (double)vs, 1.0 / (double)m, var_v, out, work);
        arenas_seal(0);
        if (flags & 2) ok = report("finite block flagged", 0, 0, flags, 0, 0);
        if (plant && !(flags & 1)) ok = report("constant window not flagged", 0, 0, flags, 1, 0);
        if (kind == 0 && !plant && m >= 8 && (flags & 1))
            ok = report("unit noise sent to the direct route", 0, 0, flags, 0, 0);
        for (ptrdiff_t j = 0; j < count && !(flags & 1); ++j) {
            long double mean, var_a;
            const long double r = window_r(a + j, v, m, var_v, &mean, &var_a);
            if (var_a == 0) continue;
            const double tol = kind == 0 ? 2e-12 : 1e-8;
            if (!close_enough(out[j], (double)r, tol)) ok = report("r", j, 0, out[j], r, tol);
            if (kind == 0 && fabs(out[j] - (double)r) > worst_noise)
                worst_noise = fabs(out[j] - (double)r);
        }
        const ptrdiff_t spots[3] = {0, span - 1, span / 2};
        for (int k = 0; k < 3; ++k) {
            double keep = a[spots[k]];
            a[spots[k]] = (trial + k) % 2 ? NAN : -INFINITY;
            if (!(trans(a, count, m, v, (double)vs, 1.0 / (double)m, var_v, out, work) & 2))
                ok = report("non-finite not flagged", spots[k], 0, a[spots[k]], 0, 0);
            a[spots[k]] = keep;
        }
        free(work);
        tally(ok);
    }
    printf("  %-7s transposed f64: %ld passed, %ld failed (worst on noise %.1e)\n", path,
           n_passed - p0, n_failed - f0, worst_noise);
}
#else
static void run_transposed(const char *path, int simd) { (void)path; (void)simd; }
#endif

/* cc_centre_f32: a float32 block minus one float offset o near its mean, out[i] = a[i] - o
 * in float. Each output pins o to within half its ulp of a[i] - out[i] (exact in double):
 * the intervals of all i must meet (one offset for the block, one rounding each), and
 * their meeting point lie near the long-double mean (the float sums' and the offset's
 * rounding: 64 accumulators of n/64 terms). A NaN or an infinity anywhere makes every
 * value non-finite (the tree or the slide then reports the block). */
static void run_centre(const char *path, int simd) {
    long p0 = n_passed, f0 = n_failed;
    float a[300], out[300];
    for (int trial = 0; trial < 60; ++trial) {
        const ptrdiff_t n = trial < 20 ? trial : 1 + rng_below(299);
        const double level = trial % 3 == 0 ? 1e4 : trial % 3 == 1 ? -250.0 : 0.0;
        long double total = 0;
        double biggest = 0.0;
        for (ptrdiff_t i = 0; i < n; ++i) {
            a[i] = (float)(level + value(RANDOM));
            total += a[i];
            biggest = fmax(biggest, fabs((double)a[i]));
        }
        const int bad = trial % 7 == 6 && n > 0;
        if (bad) a[rng_below((unsigned)n)] = trial % 2 ? INFINITY : NAN;
        const long double mean = n > 0 ? total / n : 0;
        set_case("centre n=%td level=%g bad=%d simd=%d", n, level, bad, simd);
        cc_centre_f32(a, n, out, simd);
        int ok = 1;
        double lo = -INFINITY, hi = INFINITY;
        for (ptrdiff_t i = 0; i < n; ++i) {
            if (bad) {
                if (isfinite(out[i])) ok = report("non-finite", i, 0, out[i], NAN, 0);
                continue;
            }
            const float mag = fabsf(out[i]);
            const double half_ulp = 0.5 * ((double)nextafterf(mag, INFINITY) - (double)mag);
            const double implied = (double)a[i] - (double)out[i];
            lo = fmax(lo, implied - half_ulp);
            hi = fmin(hi, implied + half_ulp);
        }
        if (!bad && n > 0) {
            const double tol = ((double)n / 64.0 + 4.0) * 1.2e-7 * biggest;
            if (lo > hi)
                ok = report("one offset", 0, 0, lo, hi, 0);
            else if (!close_enough(0.5 * (lo + hi), (double)mean, tol))
                ok = report("offset", 0, 0, 0.5 * (lo + hi), (double)mean, tol);
        }
        tally(ok);
    }
    printf("  %-7s centre f32: %ld passed, %ld failed\n", path, n_passed - p0, n_failed - f0);
}

/* cc_sum_finite_f64/f32: the sum against a long-double one, and finite exactly when no
 * sample is NaN or infinite (lengths around the vector loops' steps). */
static void run_sum_finite(const char *path, int simd) {
    long p0 = n_passed, f0 = n_failed;
    double a[200];
    float f[200];
    for (int trial = 0; trial < 80; ++trial) {
        const ptrdiff_t n = trial < 70 ? trial : 70 + rng_below(130);
        long double want = 0, want32 = 0;
        for (ptrdiff_t i = 0; i < n; ++i) {
            a[i] = 1e3 * value(RANDOM);
            f[i] = (float)a[i];
            want += a[i];
            want32 += f[i];
        }
        const int bad = trial % 5 == 4 && n > 0;
        if (bad) {
            const ptrdiff_t at = rng_below(n);
            a[at] = f[at] = trial % 2 ? NAN : -INFINITY;
        }
        set_case("sum_finite n=%td bad=%d simd=%d", n, bad, simd);
        double total = 0.0, total32 = 0.0;
        const int ok64 = cc_sum_finite_f64(a, n, &total, simd);
        const int ok32 = cc_sum_finite_f32(f, n, &total32, simd);
        int ok = 1;
        if (ok64 != !bad) ok = report("finite f64", 0, 0, ok64, !bad, 0);
        if (ok32 != !bad) ok = report("finite f32", 0, 0, ok32, !bad, 0);
        if (!bad) {
            const double tol = 1e-12 * (1e3 * (double)n + 1.0);
            if (!close_enough(total, (double)want, tol)) ok = report("sum", 0, 0, total, (double)want, tol);
            if (!close_enough(total32, (double)want32, tol))
                ok = report("sum f32", 0, 0, total32, (double)want32, tol);
        }
        tally(ok);
    }
    printf("  %-7s sum_finite: %ld passed, %ld failed\n", path, n_passed - p0, n_failed - f0);
}

/* cc_magnitude_f64/f32: the largest finite |a[i]| (0 for none) against a plain loop,
 * with NaN, infinities, subnormals, zeros and negative extremes among the samples and
 * lengths around the vector loops' steps. */
static void run_magnitude(const char *path, int simd) {
    long p0 = n_passed, f0 = n_failed;
    double a[200];
    float f[200];
    for (int trial = 0; trial < 120; ++trial) {
        const ptrdiff_t n = trial < 70 ? trial : 70 + rng_below(130);
        const double scale = trial % 3 == 0 ? 1e-300 : trial % 3 == 1 ? 1e300 : 1.0;
        for (ptrdiff_t i = 0; i < n; ++i) {
            a[i] = scale * value(RANDOM);
            f[i] = (float)(1e-30 * value(RANDOM));
        }
        for (int k = 0; n > 0 && k < trial % 4; ++k) {
            const ptrdiff_t at = rng_below(n);
            const int kind = (int)rng_below(5);
            a[at] = kind == 0 ? NAN : kind == 1 ? -INFINITY : kind == 2 ? INFINITY
                  : kind == 3 ? -4.9e-324 : -DBL_MAX;
            f[at] = kind == 0 ? NAN : kind == 1 ? -INFINITY : kind == 2 ? INFINITY
                  : kind == 3 ? -1.4e-45f : -FLT_MAX;
        }
        double want = 0.0;
        float want32 = 0.0f;
        for (ptrdiff_t i = 0; i < n; ++i) {
            if (isfinite(a[i]) && fabs(a[i]) > want) want = fabs(a[i]);
            if (isfinite(f[i]) && fabsf(f[i]) > want32) want32 = fabsf(f[i]);
        }
        set_case("magnitude n=%td simd=%d", n, simd);
        const double got = cc_magnitude_f64(a, n, simd);
        const float got32 = cc_magnitude_f32(f, n, simd);
        int ok = 1;
        if (got != want) ok = report("magnitude f64", 0, 0, got, want, 0);
        if (got32 != want32) ok = report("magnitude f32", 0, 0, got32, want32, 0);
        tally(ok);
    }
    printf("  %-7s magnitude: %ld passed, %ld failed\n", path, n_passed - p0, n_failed - f0);
}

/* The AVX-512 build against the AVX2 one, bit for bit: the same FMAs in the same order at
 * every lane, 512-bit stages only where a span holds whole zmm vectors. */
static void test_fft_widths(void) {
    for (int bits = 0; bits <= 11; ++bits) {
        const ptrdiff_t n = (ptrdiff_t)1 << bits;
        double *buf = malloc(10 * n * sizeof *buf);
        double *twr = buf, *twi = buf + n, *ar = buf + 2 * n, *ai = buf + 3 * n;
        double *br = buf + 4 * n, *bi = buf + 5 * n, *sr = buf + 6 * n, *si = buf + 7 * n;
        double *pr = buf + 8 * n, *pi = buf + 9 * n;
        cc_fft_twiddles(n, twr, twi);
        double *scratch = malloc(2 * n * sizeof *scratch), *twb = malloc(n * sizeof *twb);
        cc_fft_real_twiddles(n, twr, twi, twb, twb + n / 2);
        for (int what = 0; what < 5; ++what) {
            static const char *names[] = {"forward", "real half", "inverse", "product", "real"};
            if ((what == 1 || what == 4) && n < 16) continue;
            for (ptrdiff_t t = 0; t < n; ++t) {
                ar[t] = br[t] = value(RANDOM);
                ai[t] = bi[t] = value(RANDOM);
                sr[t] = value(RANDOM);
                si[t] = value(RANDOM);
            }
            set_case("fft %s n=%td avx512 against avx2", names[what], n);
            if (what == 0) {
                cc_fft_forward(n, ar, ai, twr, twi, 1);
                cc_fft_forward(n, br, bi, twr, twi, 2);
            } else if (what == 1) {
                cc_fft_forward_real_half(n, ar, ai, twr, twi, 1);
                cc_fft_forward_real_half(n, br, bi, twr, twi, 2);
            } else if (what == 2) {
                cc_fft_inverse(n, ar, ai, twr, twi, 1);
                cc_fft_inverse(n, br, bi, twr, twi, 2);
            } else if (what == 4) {
                cc_fft_forward_real(n, ar, ai, scratch, twr, twi, twb, 1);
                cc_fft_forward_real(n, br, bi, scratch + n, twr, twi, twb, 2);
            } else {
                cc_fft_mul(n, ar, ai, sr, si, pr, pi, 1);
                cc_fft_mul(n, br, bi, sr, si, ar, ai, 2);
                memcpy(br, ar, n * sizeof *br); memcpy(bi, ai, n * sizeof *bi);
                memcpy(ar, pr, n * sizeof *ar); memcpy(ai, pi, n * sizeof *ai);
            }
            int ok = 1;
            for (ptrdiff_t p = 0; p < n; ++p) {
                if (memcmp(&ar[p], &br[p], sizeof(double)))
                    ok = report("re", p, 0, br[p], ar[p], 0.0);
                if (memcmp(&ai[p], &bi[p], sizeof(double)))
                    ok = report("im", p, 0, bi[p], ai[p], 0.0);
            }
            tally(ok);
        }
        free(buf); free(scratch); free(twb);
    }
}

/* The one-pass slide (AVX-512 and AVX2 builds): window sums by in-register scans
 * restarted every CC_SLIDE_SEGMENT lags, r by rsqrt14 and Newton steps or the quotient. Against a long-double two-pass
 * evaluation of each window, on lanes with an offset, across segment restarts; its
 * flags: a planted constant window sets bit 0, a NaN or infinity anywhere in the span
 * (first sample, last, a segment's edge) sets bit 1 and a finite lane never does. */
static void run_slide(const char *path, int simd) {
#if CC_LAGSTATS_HAVE_AVX512
    long p0 = n_passed, f0 = n_failed;
    for (int trial = 0; trial < 60; ++trial) {
        const ptrdiff_t m = 2 + rng_below(trial % 3 == 0 ? 300 : 40);
        const ptrdiff_t count = 1 + rng_below(trial % 4 == 0 ? 2600 : 200);
        const ptrdiff_t span = count + m - 1;
        double *a = malloc(span * sizeof *a), *raw = malloc(count * sizeof *raw);
        double *out = malloc(count * sizeof *out), *v = malloc(m * sizeof *v);
        float *a32 = malloc(span * sizeof *a32), *raw32 = malloc(count * sizeof *raw32);
        float *out32 = malloc(count * sizeof *out32), *v32 = malloc(m * sizeof *v32);
        const double offset = trial % 2 ? 1e4 : 0.0;
        long double vs = 0, vss = 0;
        for (ptrdiff_t t = 0; t < m; ++t) { v[t] = value(RANDOM); vs += v[t]; }
        for (ptrdiff_t t = 0; t < m; ++t) { v[t] -= (double)(vs / m); v32[t] = (float)v[t]; }
        vs = 0;
        for (ptrdiff_t t = 0; t < m; ++t) { vs += v[t]; vss += (long double)v[t] * v[t]; }
        const double sum_v = (double)vs, inv = 1.0 / (double)m;
        const double var_v = (double)(vss - vs * vs / m);
        for (ptrdiff_t i = 0; i < span; ++i) {
            a[i] = offset + value(RANDOM) + 0.001 * (double)i;
            a32[i] = (float)a[i];
        }
        const int plant = trial % 5 == 1 && count > 3;
        if (plant)          /* one window of equal values */
            for (ptrdiff_t i = count / 2; i < count / 2 + m; ++i) a[i] = a32[i] = (float)offset;
        for (ptrdiff_t j = 0; j < count; ++j) {
            long double c = 0, c32 = 0;
            for (ptrdiff_t t = 0; t < m; ++t) {
                c += (long double)a[j + t] * v[t];
                c32 += (long double)a32[j + t] * v32[t];
            }
            raw[j] = (double)c;
            raw32[j] = (float)c32;
        }
        set_case("slide m=%td count=%td trial=%d", m, count, trial);
        int (*slide64)(const double *, ptrdiff_t, ptrdiff_t, const double *, double, double,
                       double, double *) =
            simd == 2 ? cc_pearson_slide_f64_avx512 : cc_pearson_slide_f64_avx2;
        int (*slide32)(const float *, ptrdiff_t, ptrdiff_t, const float *, double, double,
                       double, float *) =
            simd == 2 ? cc_pearson_slide_f32_avx512 : cc_pearson_slide_f32_avx2;
        int flags = slide64(a, count, m, raw, sum_v, inv, var_v, out);
        int flags32 = slide32(a32, count, m, raw32, sum_v, inv, var_v, out32);
        int ok = 1;
        if (flags & 2) ok = report("finite lane flagged", 0, 0, flags, 0, 0);
        if (plant && !(flags & 1)) ok = report("constant window not near", 0, 0, flags, 1, 0);
        for (ptrdiff_t j = 0; j < count; ++j) {
            long double mean, var_a;
            const long double r = window_r(a + j, v, m, var_v, &mean, &var_a);
            if (var_a == 0) continue;       /* the caller's exact check makes it NaN */
            /* raw's rounding and the slides' scale with the offset over the window's
             * spread: the problem's own conditioning */
            long double scale = (fabsl(mean) + 1) * (fabsl(mean) + 1) * m / var_a;
            double tol = 1e-12 * (double)scale * (double)count / 64 + 1e-13;
            if (!close_enough(out[j], (double)r, tol)) ok = report("r", j, 0, out[j], r, tol);
            if (!close_enough(out32[j], (double)r, 1e3 * tol + 1e-3) && offset == 0)
                ok = report("r f32", j, 0, out32[j], r, 1e3 * tol + 1e-3);
        }
        /* a NaN or an infinity at the first, the last or a segment's edge sample */
        const ptrdiff_t spots[3] = {0, span - 1, CC_SLIDE_SEGMENT < span ? CC_SLIDE_SEGMENT : span / 2};
        for (int k = 0; k < 3; ++k) {
            double keep = a[spots[k]];
            a[spots[k]] = (trial + k) % 2 ? NAN : -INFINITY;
            if (!(slide64(a, count, m, raw, sum_v, inv, var_v, out) & 2))
                ok = report("non-finite not flagged", spots[k], 0, a[spots[k]], 0, 0);
            a[spots[k]] = keep;
        }
        if (flags32 & 2) ok = report("finite lane flagged f32", 0, 0, flags32, 0, 0);
        if (plant && !(flags32 & 1)) ok = report("constant window not near f32", 0, 0, flags32, 1, 0);
        tally(ok);
        free(a); free(raw); free(out); free(v); free(a32); free(raw32); free(out32); free(v32);
    }
    printf("  %-7s slide  f64/f32: %ld passed, %ld failed\n", path, n_passed - p0,
           n_failed - f0);
#else
    (void)path; (void)simd;
#endif
}

static void run_fft(const char *path, int simd) {
    long p0 = n_passed, f0 = n_failed;
    test_fft_sizes(simd);
    test_fft_io(simd);
    if (simd == 2) test_fft_widths();
    printf("  %-7s fft    f64: %ld passed, %ld failed\n", path, n_passed - p0, n_failed - f0);
}

int main(int argc, char **argv) {
    const char *only = argc > 1 ? argv[1] : getenv("CCONV1D_HARNESS_PATH");
    int isa, ran = 0, known = 0;
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (only && !*only) only = NULL;
    if (only) {
        for (isa = 0; isa < CC_SIMD_COUNT; ++isa)
            if (cc_registry[isa] && !strcmp(cc_registry[isa]->name, only)) known = 1;
        if (!known && strcmp(only, "scalar") && strcmp(only, "avx2") && strcmp(only, "avx512")
            && strcmp(only, "neon")) {
            fprintf(stderr, "unknown path %s: expected scalar, avx2, avx512 or neon\n", only);
            return 2;
        }
    }
    signal(SIGSEGV, on_segv);
    signal(SIGBUS, on_segv);
    arenas_init();
    printf("cconv1d kernel harness (%s)\n", CC_ARM64 ? "aarch64" : CC_X86 ? "x86" : "other");
    for (isa = 0; isa < CC_SIMD_COUNT; ++isa) {
        const cc_kernels_t *d = cc_registry[isa];
        if (!d) continue;
        if (only && strcmp(d->name, only)) continue;
        if (!cc_cpu_runs(isa)) {
            printf("%s: built, but this CPU does not run it: skipped\n", d->name);
            continue;
        }
        if (d->isa != isa) {
            set_case("%s registry slot %d", d->name, isa);
            report("descriptor isa", 0, 0, d->isa, isa, 0);
            tally(0);
        }
        printf("%s: mr=%d nr=%d/%d wgrad %dx%d\n", d->name, d->mr, d->nr_f32, d->nr_f64,
               d->wr, d->wc);
        run_path(d);
        /* The FFT has scalar, AVX2 and AVX-512 builds (packing and adding stay AVX2 on
         * avx512); the lag statistics a scalar and an AVX2 one (taken on avx512 too). */
        if (!strcmp(d->name, "scalar")) {
            run_fft(d->name, 0); run_lagstats(d->name, 0); run_centre(d->name, 0);
            run_sum_finite(d->name, 0); run_magnitude(d->name, 0);
        }
        if (!strcmp(d->name, "avx2")) {
            run_fft(d->name, 1); run_lagstats(d->name, 1); run_slide(d->name, 1);
            run_tree(d->name, 1); run_direct(d->name, 1); run_transposed(d->name, 1);
            run_centre(d->name, 1);
            run_sum_finite(d->name, 1); run_magnitude(d->name, 1);
        }
        if (!strcmp(d->name, "avx512")) {
            run_fft(d->name, 2); run_slide(d->name, 2); run_tree(d->name, 2);
            run_direct(d->name, 2); run_transposed(d->name, 2); run_centre(d->name, 2);
            run_sum_finite(d->name, 2);
            run_magnitude(d->name, 2);
        }
        ++ran;
    }
    if (only && !ran) {
        fprintf(stderr, "path %s is not built into this binary or does not run here\n", only);
        return 2;
    }
    run_transpose();
    printf("%ld passed, %ld failed\n", n_passed, n_failed);
    return n_failed ? 1 : 0;
}
