/* cc_cpu.h -- which SIMD path this CPU and OS can run (probed once at import).
 *
 * AVX2 + FMA need the CPU bits (cpuid leaf 1 ECX: FMA bit 12, OSXSAVE bit 27, AVX bit 28;
 * leaf 7 EBX: AVX2 bit 5) and the OS saving YMM state (xgetbv(0) bits 1 and 2), as
 * NumPy's npy_cpu_features.c checks. AVX-512F is leaf 7 EBX bit 16, and the OS must also
 * save the opmask and both halves of the ZMM file (xgetbv(0) bits 5, 6 and 7): a kernel
 * that ran without them would lose its registers at the first context switch.
 * On aarch64 Advanced SIMD (NEON) is part of the base architecture: always there.
 *
 * How wide the AVX-512 FMA datapath is decides what the path's direct sums cost, which
 * the FFT route's cost model weighs (cconv1d._fftconv): AMD Zen 4 (family 19h) runs a
 * 512-bit FMA as two halves on its 256-bit units, so its AVX-512 roof is the AVX2 one
 * (117 GFLOP/s float32 either way, measured), where Intel's server cores with two
 * 512-bit FMA units double it. cpuid has no field for it: the family says so.
 */
#ifndef CCONV1D_CC_CPU_H
#define CCONV1D_CC_CPU_H

#include "cc_registry.h"

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__) || defined(_M_IX86)
#define CC_X86 1
#if defined(_MSC_VER)
#include <intrin.h>
static void cc_cpuid(int leaf, int sub, int regs[4]) { __cpuidex(regs, leaf, sub); }
static unsigned long long cc_xgetbv0(void) { return _xgetbv(0); }
#else
#include <cpuid.h>
static void cc_cpuid(int leaf, int sub, int regs[4]) {
    unsigned int a = 0, b = 0, c = 0, d = 0;
    __cpuid_count((unsigned int)leaf, (unsigned int)sub, a, b, c, d);
    regs[0] = (int)a; regs[1] = (int)b; regs[2] = (int)c; regs[3] = (int)d;
}
static unsigned long long cc_xgetbv0(void) {
    unsigned int eax = 0, edx = 0;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((unsigned long long)edx << 32) | eax;
}
#endif

static int cc_cpu_has_avx2_fma(void) {
    int r[4];
    cc_cpuid(0, 0, r);
    if (r[0] < 7) return 0;
    cc_cpuid(1, 0, r);
    if (!(r[2] & (1 << 27)) || !(r[2] & (1 << 28)) || !(r[2] & (1 << 12))) return 0;
    if ((cc_xgetbv0() & 0x6) != 0x6) return 0;
    cc_cpuid(7, 0, r);
    return (r[1] & (1 << 5)) != 0;
}

static int cc_cpu_has_avx512f(void) {
    int r[4];
    if (!cc_cpu_has_avx2_fma()) return 0;
    if ((cc_xgetbv0() & 0xE6) != 0xE6) return 0;
    cc_cpuid(7, 0, r);
    return (r[1] & (1 << 16)) != 0;
}

/* 1 where AVX-512's FMAs run at the width of AVX2's (AMD family 19h, Zen 4); 0 for
 * other AVX-512 CPUs (Intel; AMD family 1Ah, Zen 5, whose server parts have the full
 * width) and for CPUs without AVX-512. */
static int cc_cpu_avx512_half_width(void) {
    int r[4];
    unsigned family;
    if (!cc_cpu_has_avx512f()) return 0;
    cc_cpuid(0, 0, r);
    /* "AuthenticAMD": EBX "Auth", EDX "enti", ECX "cAMD" */
    if (r[1] != 0x68747541 || r[3] != 0x69746e65 || r[2] != 0x444d4163) return 0;
    cc_cpuid(1, 0, r);
    family = ((unsigned)r[0] >> 8) & 0xF;
    if (family == 0xF) family += ((unsigned)r[0] >> 20) & 0xFF;
    return family == 0x19;
}
#else
#define CC_X86 0
static int cc_cpu_has_avx2_fma(void) { return 0; }
static int cc_cpu_has_avx512f(void) { return 0; }
static int cc_cpu_avx512_half_width(void) { return 0; }
#endif

#if defined(__aarch64__) || defined(_M_ARM64)
#define CC_ARM64 1
#else
#define CC_ARM64 0
#endif

/* Whether this machine runs path `isa` (CC_SIMD_*), whether or not it was built. */
static int cc_cpu_runs(int isa) {
    switch (isa) {
    case CC_SIMD_SCALAR: return 1;
    case CC_SIMD_AVX2: return cc_cpu_has_avx2_fma();
    case CC_SIMD_AVX512: return cc_cpu_has_avx512f();
    case CC_SIMD_NEON: return CC_ARM64;
    default: return 0;
    }
}

#endif /* CCONV1D_CC_CPU_H */
