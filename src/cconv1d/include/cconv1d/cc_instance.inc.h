/* cc_instance.inc.h -- one SIMD path: its kernel file for float and double, and its
 * descriptor. Included by cc_kernels.h once per path, after it defined
 *   CC_ISA        the path's name as a token (scalar, avx2, avx512, neon)
 *   CC_ISA_CODE   its CC_SIMD_* code
 *   CC_ISA_FILE   its kernel file, "cc_kernels_<isa>.inc.h"
 *   CC_MR, CC_NR_F32, CC_NR_F64   igemm's register tile (rows; positions per dtype), also
 *                 wgemm's (pairs; output channels)
 *   CC_WR, CC_WC  wgrad's block (rows x pairs)
 *   CC_WGEMM_PAIRS   the planners' switch from wgrad to wgemm (0: never)
 *   CC_WGEMM_MAX_LEN the longest samples (outputs) wgemm takes (0: any length)
 *   CC_VLEN_F32   float lanes per vector (reported by show_config)
 * The kernel file sees CC_T, CC_SFX (f32 / f64: function names and NEON's intrinsic
 * suffix), CC_PX and CC_SX (ps / pd and ss / sd: x86's packed and scalar intrinsic
 * suffixes), CC_F64 (0 / 1) and CC_NR; it defines its own vector macros (CC_V, CC_LOADU,
 * ...) at its top from those, so one block serves both dtypes, and they are undefined
 * (cc_instance_undef.inc.h) after each instantiation. Everything this file and the path defined is undefined
 * at its end, ready for the next path.
 */

#define CC_T float
#define CC_SFX f32
#define CC_PX ps
#define CC_SX ss
#define CC_F64 0
#define CC_NR CC_NR_F32
#include CC_ISA_FILE
#include "cc_instance_undef.inc.h"

#define CC_T double
#define CC_SFX f64
#define CC_PX pd
#define CC_SX sd
#define CC_F64 1
#define CC_NR CC_NR_F64
#include CC_ISA_FILE
#include "cc_instance_undef.inc.h"

static const cc_kernels_t CC_PASTE(cc_kernels_, CC_ISA) = {
    CC_STR(CC_ISA), CC_ISA_CODE, CC_MR, CC_NR_F32, CC_NR_F64, CC_WR, CC_WC, CC_WGEMM_PAIRS,
    CC_WGEMM_MAX_LEN, CC_VLEN_F32,
    CC_CAT(cc_igemm, f32, CC_ISA), CC_CAT(cc_irow, f32, CC_ISA),
    CC_CAT(cc_wgrad, f32, CC_ISA), CC_CAT(cc_wgemm, f32, CC_ISA),
    CC_CAT(cc_rowsum, f32, CC_ISA),
    CC_CAT(cc_igemm, f64, CC_ISA), CC_CAT(cc_irow, f64, CC_ISA),
    CC_CAT(cc_wgrad, f64, CC_ISA), CC_CAT(cc_wgemm, f64, CC_ISA),
    CC_CAT(cc_rowsum, f64, CC_ISA),
    CC_CAT(cc_igemm_ilv, f32, CC_ISA), CC_CAT(cc_igemm_ilv, f64, CC_ISA)};

#undef CC_ISA
#undef CC_ISA_CODE
#undef CC_ISA_FILE
#undef CC_MR
#undef CC_NR_F32
#undef CC_NR_F64
#undef CC_WR
#undef CC_WC
#undef CC_WGEMM_PAIRS
#undef CC_WGEMM_MAX_LEN
#undef CC_VLEN_F32
