# cython: boundscheck=False, wraparound=False, cdivision=True
# cython-parallel and cython-parallel-f32: the bucketed block split over OpenMP
# threads by target item. Each item's steps run on one thread, in their original order, and
# touch only the row W[item]: threads share no written memory, so no locks and no races,
# and S does not depend on the thread count. Built without OpenMP, prange runs serially.

from cython.parallel cimport prange
from libc.float cimport DBL_MAX, FLT_MAX
from libc.math cimport isfinite

include "_bucket_steps.pxi"

cdef extern from *:
    """
    #ifdef SLIMBENCH_OPENMP
    #include <omp.h>
    static int slimbench_openmp_enabled(void) { return 1; }
    static int slimbench_max_threads(void) { return omp_get_max_threads(); }
    #else
    static int slimbench_openmp_enabled(void) { return 0; }
    static int slimbench_max_threads(void) { return 1; }
    #endif
    """
    int slimbench_openmp_enabled() nogil
    int slimbench_max_threads() nogil

# Items per OpenMP task: small, because item workloads are heavy-tailed (dynamic schedule);
# not 1, so that runs of rarely drawn items do not cost one scheduling round trip each.
DEF ITEM_CHUNK = 4


def openmp_enabled():
    """True where this module was compiled with OpenMP (otherwise it runs on one thread)."""
    return bool(slimbench_openmp_enabled())


def max_threads():
    """OpenMP's default thread count here (1 without OpenMP)."""
    return slimbench_max_threads()


def first_touch(floating[:, ::1] W, int threads):
    """Write zeros to every row of W from the threads that will later work on it.

    Called at setup so that page faults (np.zeros maps memory lazily) are not timed.
    """
    cdef Py_ssize_t row, col, n_rows = W.shape[0], n_cols = W.shape[1]
    for row in prange(n_rows, nogil=True, schedule="static", num_threads=threads):
        for col in range(n_cols):
            W[row, col] = 0.0


def train_block(const int[::1] draw_user, const floating[::1] draw_rating,
                const int[::1] indptr, const int[::1] indices, const floating[::1] ratings,
                floating[:, ::1] W, double learning_rate, const long long[::1] draws,
                const int[::1] order, const long long[::1] item_ptr,
                double[::1] squared_errors, int threads, bint no_diagonal=False,
                double l2=0.0):
    """Every step of a bucketed block, items spread over ``threads`` OpenMP threads.

    Returns (loss, steps before the loss became non-finite), summed in original step order.
    """
    cdef Py_ssize_t item, n_items = item_ptr.shape[0] - 1
    cdef floating lr = <floating>learning_rate
    cdef floating lam = <floating>l2
    if draws.shape[0] == 0:
        return 0.0, 0
    for item in prange(n_items, nogil=True, schedule="dynamic", chunksize=ITEM_CHUNK,
                       num_threads=threads):
        if item_ptr[item] != item_ptr[item + 1]:
            item_steps(&W[item, 0], &order[0], item_ptr[item], item_ptr[item + 1],
                       &draws[0], &draw_user[0], &draw_rating[0],
                       &indptr[0], &indices[0], &ratings[0],
                       lr, &squared_errors[0], no_diagonal, lam, item)
    return ordered_loss(squared_errors, FLT_MAX if floating is float else DBL_MAX)
