/* cc_cpu.h -- which SIMD path this CPU and OS can run (probed once at import).
 *
 * AVX2 + FMA need the CPU bits (cpuid leaf 1 ECX: FMA bit 12, OSXSAVE bit 27, AVX bit 28;
 * leaf 7 EBX: AVX2 bit 5) and the OS saving YMM state (xgetbv(0) bits 1 and 2), as
 * NumPy's npy_cpu_features.c checks.
 */
#ifndef CCONV1D_CC_CPU_H
#define CCONV1D_CC_CPU_H

#define CC_SIMD_SCALAR 0
#define CC_SIMD_AVX2 1

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
#else
#define CC_X86 0
static int cc_cpu_has_avx2_fma(void) { return 0; }
#endif

/* Best path this machine runs. */
static int cc_cpu_best_simd(void) {
    return cc_cpu_has_avx2_fma() ? CC_SIMD_AVX2 : CC_SIMD_SCALAR;
}

#endif /* CCONV1D_CC_CPU_H */
