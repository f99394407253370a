# cython: boundscheck=False, wraparound=False
# STREAM-style copy and triad (McCalpin's kernels) on OpenMP threads: the memory bandwidth
# that bounds a step that only reads its profile. Static schedule, so each thread streams
# one contiguous slice, as STREAM does; built without OpenMP, prange runs serially.

from cython.parallel cimport prange


def first_touch(double[::1] a, double value, int threads):
    """Write every element from the thread that will stream it (pages placed near it)."""
    cdef Py_ssize_t i, n = a.shape[0]
    for i in prange(n, nogil=True, schedule="static", num_threads=threads):
        a[i] = value


def copy(const double[::1] a, double[::1] c, int threads):
    """c = a (16 bytes moved per element)."""
    cdef Py_ssize_t i, n = a.shape[0]
    for i in prange(n, nogil=True, schedule="static", num_threads=threads):
        c[i] = a[i]


def triad(double[::1] a, const double[::1] b, const double[::1] c, double scalar, int threads):
    """a = b + scalar * c (24 bytes moved per element)."""
    cdef Py_ssize_t i, n = a.shape[0]
    for i in prange(n, nogil=True, schedule="static", num_threads=threads):
        a[i] = b[i] + scalar * c[i]
