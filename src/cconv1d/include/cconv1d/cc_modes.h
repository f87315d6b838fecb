/* cc_modes.h -- padding modes, as integer codes shared by C, Cython and Python.
 *
 * The pictures show a signal 1 2 3 4 padded by three samples on each side.
 * The Python mirror of this table is cconv1d/_modes.py; keep the two in step.
 */
#ifndef CCONV1D_CC_MODES_H
#define CCONV1D_CC_MODES_H

enum cc_pad_mode {
    CC_PAD_CONSTANT = 0,      /* v v v | 1 2 3 4 | v v v            (zeros: v = 0)     */
    CC_PAD_EDGE = 1,          /* 1 1 1 | 1 2 3 4 | 4 4 4                                */
    CC_PAD_REFLECT = 2,       /* 4 3 2 | 1 2 3 4 | 3 2 1            period 2(L-1)      */
    CC_PAD_SYMMETRIC = 3,     /* 3 2 1 | 1 2 3 4 | 4 3 2            period 2L          */
    CC_PAD_WRAP = 4,          /* 2 3 4 | 1 2 3 4 | 1 2 3            period L           */
    CC_PAD_MEAN = 5,          /* m m m | 1 2 3 4 | m m m   statistic of the stat_length */
    CC_PAD_MEDIAN = 6,        /*                            samples nearest each end    */
    CC_PAD_MINIMUM = 7,
    CC_PAD_MAXIMUM = 8,
    CC_PAD_LINEAR_RAMP = 9,   /* e . . | 1 2 3 4 | . . e   ramp from the end sample to e */
    CC_PAD_ANTISYMMETRIC = 10,/* -3 -2 -1 | 1 2 3 4 | -4 -3 -2  symmetric, sign flipped  */
    CC_PAD_ANTIREFLECT = 11,  /* -2 -1 0 | 1 2 3 4 | 5 6 7   point mirror about the end  */
    CC_PAD_SMOOTH = 12        /* -2 -1 0 | 1 2 3 4 | 5 6 7   linear extrapolation        */
};

#endif /* CCONV1D_CC_MODES_H */
