# Fused types and the index type shared by every kernel module.

ctypedef fused real_t:
    float
    double

# pad moves complex data too (API.md section 2); statistics refuse complex in Python.
ctypedef fused scalar_t:
    float
    double
    float complex
    double complex

# Signed, so differences of indices never wrap.
ctypedef Py_ssize_t idx_t
