/* cc_fft_vec.inc.h -- the vector stages of cc_fft.h at one register width.
 *
 * Included by cc_fft.h once per width, after it defined
 *   CC_FW       the width in bits, 256 (AVX2+FMA) or 512 (AVX-512F)
 *   CC_FSFX     the functions' suffix, avx2 or avx512
 *   CC_FTARGET  the target attribute
 *   CC_FMUL_REST  the product of the values left over from whole vectors
 *   CC_FREV(v)    v's lanes in reverse order
 *   CC_FHEAD(v)   the lanes of the first vector of a bit-reversed spectrum at their
 *                 partners' positions (cc_fft_partner: 0 1 3 2, then 7 6 5 4)
 *   CC_FDEINT(a, b, even, odd)   the even and odd samples of the 2L values a, b
 *   CC_FINTER(e, o, lo, hi)      e and o interleaved: lo = e0 o0 e1 o1 ..., hi the rest
 * Each function is the scalar stage's arithmetic with the same FMAs in the same order at
 * every lane, so the two widths give the same bits (the C harness checks it). A stage runs
 * over whole vectors: the caller gives it only spans of at least CC_FW / 64 values.
 */

#define CC_FV_(W) __m##W##d
#define CC_FV CC_FPASTE_(CC_FV_, CC_FW)
#define CC_FPASTE_(a, b) a(b)
#define CC_FOP__(W, op) _mm##W##_##op##_pd
#define CC_FOP_(W, op) CC_FOP__(W, op)
#define CC_FOP(op) CC_FOP_(CC_FW, op)
#define CC_FFN__(name, sfx) name##_##sfx
#define CC_FFN_(name, sfx) CC_FFN__(name, sfx)
#define CC_FFN(name) CC_FFN_(name, CC_FSFX)
#define CC_FL (CC_FW / 64)

#define CC_FLD(p) CC_FOP(loadu)(p)
#define CC_FST(p, v) CC_FOP(storeu)(p, v)
#define CC_FADD(a, b) CC_FOP(add)(a, b)
#define CC_FSUB(a, b) CC_FOP(sub)(a, b)
#define CC_FMUL(a, b) CC_FOP(mul)(a, b)
/* a w and a conj(w), as CC_CMUL / CC_CMULC compute them. */
#define CC_FCMUL(a_r, a_i, w_r, w_i, o_r, o_i)                                         \
    do { (o_r) = CC_FOP(fmsub)(a_r, w_r, CC_FMUL(a_i, w_i));                          \
         (o_i) = CC_FOP(fmadd)(a_r, w_i, CC_FMUL(a_i, w_r)); } while (0)
#define CC_FCMULC(a_r, a_i, w_r, w_i, o_r, o_i)                                        \
    do { (o_r) = CC_FOP(fmadd)(a_r, w_r, CC_FMUL(a_i, w_i));                          \
         (o_i) = CC_FOP(fmsub)(a_i, w_r, CC_FMUL(a_r, w_i)); } while (0)

/* Two DIF stages fused (half-spans h then h / 2), h / 2 >= CC_FL. */
CC_FTARGET
static void CC_FFN(cc_fft_dif4)(ptrdiff_t n, ptrdiff_t h, double *restrict re,
                               double *restrict im, const double *restrict twr,
                               const double *restrict twi) {
    const ptrdiff_t q = h >> 1;
    for (ptrdiff_t g = 0; g < n; g += 2 * h)
        for (ptrdiff_t j = 0; j < q; j += CC_FL) {
            double *r = re + g + j, *i = im + g + j;
            CC_FV x0r = CC_FLD(r), x0i = CC_FLD(i), x1r = CC_FLD(r + q), x1i = CC_FLD(i + q);
            CC_FV x2r = CC_FLD(r + 2 * q), x2i = CC_FLD(i + 2 * q);
            CC_FV x3r = CC_FLD(r + 3 * q), x3i = CC_FLD(i + 3 * q);
            CC_FV y0r = CC_FADD(x0r, x2r), y0i = CC_FADD(x0i, x2i);
            CC_FV y1r = CC_FADD(x1r, x3r), y1i = CC_FADD(x1i, x3i);
            CC_FV y2r, y2i, y3r, y3i, z1r, z1i, z3r, z3i;
            CC_FCMUL(CC_FSUB(x0r, x2r), CC_FSUB(x0i, x2i),
                     CC_FLD(twr + h + j), CC_FLD(twi + h + j), y2r, y2i);
            CC_FCMUL(CC_FSUB(x1r, x3r), CC_FSUB(x1i, x3i),
                     CC_FLD(twr + h + q + j), CC_FLD(twi + h + q + j), y3r, y3i);
            CC_FV wr = CC_FLD(twr + q + j), wi = CC_FLD(twi + q + j);
            CC_FCMUL(CC_FSUB(y0r, y1r), CC_FSUB(y0i, y1i), wr, wi, z1r, z1i);
            CC_FCMUL(CC_FSUB(y2r, y3r), CC_FSUB(y2i, y3i), wr, wi, z3r, z3i);
            CC_FST(r, CC_FADD(y0r, y1r)); CC_FST(i, CC_FADD(y0i, y1i));
            CC_FST(r + q, z1r); CC_FST(i + q, z1i);
            CC_FST(r + 2 * q, CC_FADD(y2r, y3r)); CC_FST(i + 2 * q, CC_FADD(y2i, y3i));
            CC_FST(r + 3 * q, z3r); CC_FST(i + 3 * q, z3i);
        }
}

/* One DIF stage of half-span h >= CC_FL. */
CC_FTARGET
static void CC_FFN(cc_fft_dif2)(ptrdiff_t n, ptrdiff_t h, double *restrict re,
                               double *restrict im, const double *restrict twr,
                               const double *restrict twi) {
    for (ptrdiff_t g = 0; g < n; g += 2 * h)
        for (ptrdiff_t j = 0; j < h; j += CC_FL) {
            double *r = re + g + j, *i = im + g + j;
            CC_FV ar = CC_FLD(r), ai = CC_FLD(i), br = CC_FLD(r + h), bi = CC_FLD(i + h), zr, zi;
            CC_FCMUL(CC_FSUB(ar, br), CC_FSUB(ai, bi), CC_FLD(twr + h + j), CC_FLD(twi + h + j),
                     zr, zi);
            CC_FST(r, CC_FADD(ar, br)); CC_FST(i, CC_FADD(ai, bi));
            CC_FST(r + h, zr); CC_FST(i + h, zi);
        }
}

/* The first two DIF stages of a real signal in re[0:n/2] (cc_fft_forward_real_half),
 * n / 4 >= CC_FL. */
CC_FTARGET
static void CC_FFN(cc_fft_real_head)(ptrdiff_t n, double *restrict re, double *restrict im,
                                    const double *restrict twr, const double *restrict twi) {
    const ptrdiff_t h = n >> 1, q = h >> 1;
    for (ptrdiff_t j = 0; j < q; j += CC_FL) {
        CC_FV x0 = CC_FLD(re + j), x1 = CC_FLD(re + j + q), d = CC_FSUB(x0, x1);
        CC_FV y2r = CC_FMUL(x0, CC_FLD(twr + h + j));
        CC_FV y2i = CC_FMUL(x0, CC_FLD(twi + h + j));
        CC_FV y3r = CC_FMUL(x1, CC_FLD(twr + h + q + j));
        CC_FV y3i = CC_FMUL(x1, CC_FLD(twi + h + q + j));
        CC_FV wr = CC_FLD(twr + q + j), wi = CC_FLD(twi + q + j), zr, zi;
        CC_FST(re + j, CC_FADD(x0, x1)); CC_FST(im + j, CC_FOP(setzero)());
        CC_FST(re + j + q, CC_FMUL(d, wr)); CC_FST(im + j + q, CC_FMUL(d, wi));
        CC_FST(re + j + 2 * q, CC_FADD(y2r, y3r));
        CC_FST(im + j + 2 * q, CC_FADD(y2i, y3i));
        CC_FCMUL(CC_FSUB(y2r, y3r), CC_FSUB(y2i, y3i), wr, wi, zr, zi);
        CC_FST(re + j + 3 * q, zr); CC_FST(im + j + 3 * q, zi);
    }
}

/* Two inverse DIT stages fused (half-spans q then 2q), q >= CC_FL. */
CC_FTARGET
static void CC_FFN(cc_fft_dit4)(ptrdiff_t n, ptrdiff_t q, double *restrict re,
                               double *restrict im, const double *restrict twr,
                               const double *restrict twi) {
    const ptrdiff_t h2 = 2 * q;
    for (ptrdiff_t g = 0; g < n; g += 4 * q)
        for (ptrdiff_t j = 0; j < q; j += CC_FL) {
            double *r = re + g + j, *i = im + g + j;
            CC_FV wr = CC_FLD(twr + q + j), wi = CC_FLD(twi + q + j), tr, ti;
            CC_FV x0r = CC_FLD(r), x0i = CC_FLD(i), x2r = CC_FLD(r + 2 * q), x2i = CC_FLD(i + 2 * q);
            CC_FCMULC(CC_FLD(r + q), CC_FLD(i + q), wr, wi, tr, ti);
            CC_FV y0r = CC_FADD(x0r, tr), y0i = CC_FADD(x0i, ti);
            CC_FV y1r = CC_FSUB(x0r, tr), y1i = CC_FSUB(x0i, ti);
            CC_FCMULC(CC_FLD(r + 3 * q), CC_FLD(i + 3 * q), wr, wi, tr, ti);
            CC_FV y2r = CC_FADD(x2r, tr), y2i = CC_FADD(x2i, ti);
            CC_FV y3r = CC_FSUB(x2r, tr), y3i = CC_FSUB(x2i, ti);
            CC_FCMULC(y2r, y2i, CC_FLD(twr + h2 + j), CC_FLD(twi + h2 + j), tr, ti);
            CC_FST(r, CC_FADD(y0r, tr)); CC_FST(i, CC_FADD(y0i, ti));
            CC_FST(r + 2 * q, CC_FSUB(y0r, tr)); CC_FST(i + 2 * q, CC_FSUB(y0i, ti));
            CC_FCMULC(y3r, y3i, CC_FLD(twr + h2 + q + j), CC_FLD(twi + h2 + q + j), tr, ti);
            CC_FST(r + q, CC_FADD(y1r, tr)); CC_FST(i + q, CC_FADD(y1i, ti));
            CC_FST(r + 3 * q, CC_FSUB(y1r, tr)); CC_FST(i + 3 * q, CC_FSUB(y1i, ti));
        }
}

/* One inverse DIT stage of half-span h >= CC_FL. */
CC_FTARGET
static void CC_FFN(cc_fft_dit2)(ptrdiff_t n, ptrdiff_t h, double *restrict re,
                               double *restrict im, const double *restrict twr,
                               const double *restrict twi) {
    for (ptrdiff_t g = 0; g < n; g += 2 * h)
        for (ptrdiff_t j = 0; j < h; j += CC_FL) {
            double *r = re + g + j, *i = im + g + j;
            CC_FV ar = CC_FLD(r), ai = CC_FLD(i), tr, ti;
            CC_FCMULC(CC_FLD(r + h), CC_FLD(i + h), CC_FLD(twr + h + j), CC_FLD(twi + h + j),
                      tr, ti);
            CC_FST(r, CC_FADD(ar, tr)); CC_FST(i, CC_FADD(ai, ti));
            CC_FST(r + h, CC_FSUB(ar, tr)); CC_FST(i + h, CC_FSUB(ai, ti));
        }
}

/* cc_fft_forward_real's first stage (see the scalar build): z[j] = x[2j] + i x[2j+1]
 * into (zr, zi)[0:h] and z w into (zr, zi)[h:2h], w = twiddle h + j; h >= CC_FL. */
CC_FTARGET
static void CC_FFN(cc_fft_real_first)(ptrdiff_t h, const double *restrict x,
                                     double *restrict zr, double *restrict zi,
                                     const double *restrict twr, const double *restrict twi) {
    for (ptrdiff_t j = 0; j < h; j += CC_FL) {
        CC_FV a, b, pr, pi;
        CC_FDEINT(CC_FLD(x + 2 * j), CC_FLD(x + 2 * j + CC_FL), a, b);
        CC_FST(zr + j, a); CC_FST(zi + j, b);
        CC_FCMUL(a, b, CC_FLD(twr + h + j), CC_FLD(twi + h + j), pr, pi);
        CC_FST(zr + j + h, pr); CC_FST(zi + j + h, pi);
    }
}

/* cc_fft_forward_real's last pass for the positions [p, p + CC_FL) of Z, whose
 * partners' values are (cr, ci) lane by lane. */
#define CC_FREAL_POST(p, cr, ci)                                                      \
    do {                                                                              \
        CC_FV ar = CC_FLD(zr + (p)), ai = CC_FLD(zi + (p)), pr, pi, lo, hi;           \
        CC_FV er = CC_FMUL(CC_FADD(ar, cr), half), ei = CC_FMUL(CC_FSUB(ai, ci), half);\
        CC_FV or_ = CC_FMUL(CC_FSUB(ar, cr), half), oi = CC_FMUL(CC_FADD(ai, ci), half);\
        CC_FCMUL(or_, oi, CC_FLD(twbr + (p)), CC_FLD(twbi + (p)), pr, pi);          \
        CC_FINTER(CC_FADD(er, pi), CC_FSUB(er, pi), lo, hi);                          \
        CC_FST(re + 2 * (p), lo); CC_FST(re + 2 * (p) + CC_FL, hi);                   \
        CC_FINTER(CC_FSUB(ei, pr), CC_FADD(ei, pr), lo, hi);                          \
        CC_FST(im + 2 * (p), lo); CC_FST(im + 2 * (p) + CC_FL, hi);                   \
    } while (0)

/* cc_fft_forward_real's last pass over all m positions (m >= CC_FL): the first vector's
 * partners by a fixed permutation, then each octave [b, 2b) against its mirror image. */
CC_FTARGET
static void CC_FFN(cc_fft_real_post)(ptrdiff_t m, const double *restrict zr,
                                    const double *restrict zi, double *restrict re,
                                    double *restrict im, const double *restrict twbr,
                                    const double *restrict twbi) {
    const CC_FV half = CC_FOP(set1)(0.5);
    {
        CC_FV cr = CC_FHEAD(CC_FLD(zr)), ci = CC_FHEAD(CC_FLD(zi));
        CC_FREAL_POST(0, cr, ci);
    }
    for (ptrdiff_t b = CC_FL; b < m; b <<= 1)
        for (ptrdiff_t p = b; p < 2 * b; p += CC_FL) {
            CC_FV cr = CC_FREV(CC_FLD(zr + 3 * b - p - CC_FL));
            CC_FV ci = CC_FREV(CC_FLD(zi + 3 * b - p - CC_FL));
            CC_FREAL_POST(p, cr, ci);
        }
}
#undef CC_FREAL_POST

/* Pointwise (outr, outi) = z s; the last n % CC_FL values by CC_FMUL_REST (the next
 * narrower build, so that every width gives every value the same operations). */
CC_FTARGET
static void CC_FFN(cc_fft_mul)(ptrdiff_t n, const double *restrict zr,
                              const double *restrict zi, const double *restrict sr,
                              const double *restrict si, double *restrict outr,
                              double *restrict outi) {
    ptrdiff_t k = 0;
    for (; k + CC_FL <= n; k += CC_FL) {
        CC_FV a = CC_FLD(zr + k), b = CC_FLD(zi + k), c = CC_FLD(sr + k), d = CC_FLD(si + k);
        CC_FST(outr + k, CC_FOP(fmsub)(a, c, CC_FMUL(b, d)));
        CC_FST(outi + k, CC_FOP(fmadd)(a, d, CC_FMUL(b, c)));
    }
    CC_FMUL_REST(n - k, zr + k, zi + k, sr + k, si + k, outr + k, outi + k);
}

#undef CC_FV_
#undef CC_FV
#undef CC_FPASTE_
#undef CC_FOP__
#undef CC_FOP_
#undef CC_FOP
#undef CC_FFN__
#undef CC_FFN_
#undef CC_FFN
#undef CC_FL
#undef CC_FLD
#undef CC_FST
#undef CC_FADD
#undef CC_FSUB
#undef CC_FMUL
#undef CC_FCMUL
#undef CC_FCMULC
#undef CC_FW
#undef CC_FSFX
#undef CC_FTARGET
#undef CC_FMUL_REST
#undef CC_FREV
#undef CC_FHEAD
#undef CC_FDEINT
#undef CC_FINTER
