/* fma_roof.c -- the core's FMA roof: a dependent-chain-free FMA loop, one thread.
 *
 * Each loop iteration issues one FMA into each of 14 (ymm) or 16 (zmm) independent
 * accumulators; no loads, no other work. With 2 FMA pipes of 4-5 cycles latency at most
 * 10 chains are needed to fill them, so the loop runs at the FMA issue rate: the roof
 * the kernels' GFLOP/s are quoted against (benchmarks/bench_paths.py --roof).
 * Written in inline assembly so that the compiler can neither fold the chains nor
 * spill them; timed with the thread's CPU clock (a shared machine's other work does not
 * count), median and best of 9.
 *
 *   gcc -O2 -mavx512f benchmarks/fma_roof.c -o /tmp/fma_roof && /tmp/fma_roof
 *
 * (-mavx512f only lets the assembler name zmm16-17; the zmm loop runs only where the
 * CPU has AVX-512F.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

#define FMA(op, r, a, b, d) op " %%" r #a ", %%" r #b ", %%" r #d "\n"
#define FMA14(op, r, a, b)                                                                \
    FMA(op, r, a, b, 0) FMA(op, r, a, b, 1) FMA(op, r, a, b, 2) FMA(op, r, a, b, 3)      \
    FMA(op, r, a, b, 4) FMA(op, r, a, b, 5) FMA(op, r, a, b, 6) FMA(op, r, a, b, 7)      \
    FMA(op, r, a, b, 8) FMA(op, r, a, b, 9) FMA(op, r, a, b, 10) FMA(op, r, a, b, 11)    \
    FMA(op, r, a, b, 12) FMA(op, r, a, b, 13)
#define CLOBBER14 "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", \
                  "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15"

/* 14 ymm chains (AVX2 + FMA: registers 0-15 only), operands in ymm14 and ymm15. */
static void ymm_ps(long n) {
    __asm__ volatile("vxorps %%ymm14, %%ymm14, %%ymm14\n"
                     "vxorps %%ymm15, %%ymm15, %%ymm15\n"
                     "1:\n" FMA14("vfmadd231ps", "ymm", 14, 15) "dec %0\njnz 1b\nvzeroupper\n"
                     : "+r"(n) : : CLOBBER14, "cc");
}

/* 16 zmm chains, operands in zmm16 and zmm17. */
#define ZMM_LOOP(name, op)                                                                \
    static void name(long n) {                                                            \
        __asm__ volatile("vpxord %%zmm16, %%zmm16, %%zmm16\n"                             \
                         "vpxord %%zmm17, %%zmm17, %%zmm17\n"                             \
                         "1:\n" FMA14(op, "zmm", 16, 17) FMA(op, "zmm", 16, 17, 14)        \
                         FMA(op, "zmm", 16, 17, 15) "dec %0\njnz 1b\nvzeroupper\n"        \
                         : "+r"(n) : : CLOBBER14, "xmm16", "xmm17", "cc");                \
    }
ZMM_LOOP(zmm_ps, "vfmadd231ps")
ZMM_LOOP(zmm_pd, "vfmadd231pd")

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* GFLOP/s of `loop`: n iterations of `fmas` FMAs of `lanes` lanes; median and best of 9. */
static void measure(const char *label, void (*loop)(long), int fmas, int lanes) {
    const long n = 20000000;
    double g[9];
    int r;
    for (r = 0; r < 9; ++r) {
        double t0 = now();
        loop(n);
        g[r] = 2.0 * n * fmas * lanes / (now() - t0) / 1e9;
    }
    qsort(g, 9, sizeof g[0], cmp);
    printf("  %-22s %6.1f GFLOP/s (best %.1f)\n", label, g[4], g[8]);
}

int main(void) {
    __builtin_cpu_init();
    printf("FMA roof, 1 thread, thread CPU time, median of 9:\n");
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        measure("ymm float32 (AVX2)", ymm_ps, 14, 8);
    if (__builtin_cpu_supports("avx512f")) {
        measure("zmm float32 (AVX-512)", zmm_ps, 16, 16);
        measure("zmm float64 (AVX-512)", zmm_pd, 16, 8);
    }
    return 0;
}
