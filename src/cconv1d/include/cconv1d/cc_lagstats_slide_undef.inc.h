/* cc_lagstats_slide_undef.inc.h -- undefines one width's macros of
 * cc_lagstats_slide.inc.h (see there), ready for the next width. */
#undef CC_S_TARGET
#undef CC_S_L
#undef CC_S_V
#undef CC_S_K
#undef CC_S_OP
#undef CC_S_MASK
#undef CC_S_NOT0
#undef CC_S_ZERO_OUT
#undef CC_S_SHIFT1
#undef CC_S_SCAN
#undef CC_S_LAST
#undef CC_S_HSUM
#undef CC_S_LE_OR
#undef CC_S_ANY
#undef CC_S_UNORD
#undef CC_S_RATIO
#undef CC_S_TWO_PASS
