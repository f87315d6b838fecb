# OpenMP, guarded: a build without it compiles these as stubs and runs serially.
# Every kernel module takes its OpenMP symbols from here, never from openmp.pxd.

cdef extern from *:
    """
    #ifdef _OPENMP
    #include <omp.h>
    #define CC_HAVE_OPENMP 1
    static int cc_omp_max_threads(void) { return omp_get_max_threads(); }
    static int cc_omp_num_procs(void) { return omp_get_num_procs(); }
    #else
    #define CC_HAVE_OPENMP 0
    static int cc_omp_max_threads(void) { return 1; }
    static int cc_omp_num_procs(void) { return 1; }
    #endif
    """
    const int CC_HAVE_OPENMP
    int cc_omp_max_threads() noexcept nogil
    int cc_omp_num_procs() noexcept nogil
