/* cc_instance_undef.inc.h -- after each kernel file's instantiation (cc_instance.inc.h):
 * undefines the dtype's parameters and the vector macros a kernel file defines at its
 * top (every path's names; undefining one a path did not use is harmless), so the next
 * instantiation starts clean. */
#undef CC_T
#undef CC_IROW_PHASED_MIN_512
#undef CC_TAIL_MTYPE
#undef CC_TAIL_MASK
#undef CC_TAIL_LOAD
#undef CC_TAIL_STORE
#undef CC_SFX
#undef CC_PX
#undef CC_SX
#undef CC_F64
#undef CC_NR
#undef CC_V
#undef CC_VLEN
#undef CC_MTYPE
#undef CC_LOADU
#undef CC_STOREU
#undef CC_MLOAD
#undef CC_MSTORE
#undef CC_FMA
#undef CC_FMA1
#undef CC_BCAST
#undef CC_SET1
#undef CC_ZERO
#undef CC_DUP
#undef CC_VFMA
#undef CC_VFMA_LANE
#undef CC_WIDEN
#undef CC_WIDEN_ADD
#undef CC_WIDEN_ADD2
#undef CC_LO_PD
#undef CC_HI_PD
#undef CC_WG_ADD
#undef CC_WG_ADD_FULL
