# cython: boundscheck=False, wraparound=False, cdivision=True
# cython-parallel, cython-parallel-f32 and the floor: the bucketed block split over OpenMP
# threads by target item. Each item's steps run on one thread, in their original order, and
# touch only the row W[item]: threads share no written memory, so no locks and no races,
# and S does not depend on the thread count. Built without OpenMP, prange runs serially.

from cython.parallel cimport prange, threadid
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
# Partial sums per thread are this many slots apart, so threads never share a cache line.
DEF PAD = 8


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


cdef inline void floor_item(
    const int* order, Py_ssize_t s_begin, Py_ssize_t s_end,
    const long long* draws, const int* draw_user,
    const int* indptr, const int* indices, const double* ratings,
    double* rating_sum, long long* index_sum, long long* entries,
) noexcept nogil:
    # Four rating accumulators: one chain would bound the loop by add latency, not by
    # reading, and a floor must measure reading only.
    cdef Py_ssize_t s, p
    cdef int user, start, end
    cdef double r0 = 0.0, r1 = 0.0, r2 = 0.0, r3 = 0.0
    cdef long long ids = 0, count = 0
    for s in range(s_begin, s_end):
        user = draw_user[draws[order[s]]]
        start = indptr[user]
        end = indptr[user + 1]
        p = start
        while p + 4 <= end:
            r0 = r0 + ratings[p]
            r1 = r1 + ratings[p + 1]
            r2 = r2 + ratings[p + 2]
            r3 = r3 + ratings[p + 3]
            ids = ids + indices[p] + indices[p + 1] + indices[p + 2] + indices[p + 3]
            p = p + 4
        while p < end:
            r0 = r0 + ratings[p]
            ids = ids + indices[p]
            p = p + 1
        count = count + (end - start)
    rating_sum[0] += (r0 + r1) + (r2 + r3)
    index_sum[0] += ids
    entries[0] += count


def floor_block(const int[::1] draw_user, const int[::1] indptr, const int[::1] indices,
                const double[::1] ratings, const long long[::1] draws,
                const int[::1] order, const long long[::1] item_ptr, int threads):
    """Read the profile of every draw once, in bucketed order: nothing else.

    Returns (sum of the ratings read, sum of the item ids read, entries read), so that the
    caller can prove each entry was read.
    """
    cdef Py_ssize_t item, n_items = item_ptr.shape[0] - 1
    cdef int t, tid
    cdef double[::1] rating_sums = _zeros_f64(threads * PAD)
    cdef long long[::1] index_sums = _zeros_i64(threads * PAD)
    cdef long long[::1] entries = _zeros_i64(threads * PAD)
    if draws.shape[0] == 0:
        return 0.0, 0, 0
    for item in prange(n_items, nogil=True, schedule="dynamic", chunksize=ITEM_CHUNK,
                       num_threads=threads):
        tid = threadid()
        if item_ptr[item] != item_ptr[item + 1]:
            floor_item(&order[0], item_ptr[item], item_ptr[item + 1], &draws[0],
                       &draw_user[0], &indptr[0], &indices[0], &ratings[0],
                       &rating_sums[tid * PAD], &index_sums[tid * PAD], &entries[tid * PAD])
    cdef double rating_total = 0.0
    cdef long long index_total = 0, entry_total = 0
    for t in range(threads):
        rating_total += rating_sums[t * PAD]
        index_total += index_sums[t * PAD]
        entry_total += entries[t * PAD]
    return rating_total, index_total, entry_total


def _zeros_f64(Py_ssize_t n):
    import numpy as np
    return np.zeros(n, dtype=np.float64)


def _zeros_i64(Py_ssize_t n):
    import numpy as np
    return np.zeros(n, dtype=np.int64)
