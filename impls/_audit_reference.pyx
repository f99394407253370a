# cython: boundscheck=False, wraparound=False
# The audit's reference kernel: python-naive's step, restricted to a few columns of S.
#
# A step on (u, i, r) reads and writes column i of S only, so the columns of a set of
# audited items evolve exactly as in the full reference if, and only if, every draw that
# targeted one of them is applied in stream order with the reference's arithmetic:
#     pred = 0.0; pred += S[j_p, i] * r_p over the profile in CSR order
#     err = r - pred
#     S[j_p, i] += (lr * err) * r_p       (plain MSE; l2_updated with L2; S[i, i] = 0 after)
# Column i is kept as the contiguous row W[slot_of_item[i]] (n_items doubles). The draws of
# other items are skipped by one bit test: a bitmap over interactions (nnz / 8 bytes) stays
# in cache where the item ids of the interactions (4 * nnz bytes) would not.
# Built without OpenMP, prange runs serially: the result never depends on the threads, as
# each column's steps run on one thread in stream order.
# The wrapper (audit_reference.py) validates; this kernel trusts its inputs.

from cython.parallel cimport prange

include "_slim_update.pxi"


cdef inline bint _is_audited(const unsigned char* bits, long long index) noexcept nogil:
    return (bits[index >> 3] >> (index & 7)) & 1


cdef inline void _column_step(double* column, long long index, const int* rows,
                              const int* indptr, const int* indices, const double* ratings,
                              double learning_rate, bint no_diagonal,
                              double l2) noexcept nogil:
    """One step of the reference on interaction ``index``, whose column is ``column``."""
    cdef int user_id = rows[index]
    cdef int item_id = indices[index]
    cdef double true_rating = ratings[index]
    cdef Py_ssize_t p, start = indptr[user_id], end = indptr[user_id + 1]
    cdef int profile_item_id
    cdef double predicted_rating = 0.0
    cdef double prediction_error, step

    for p in range(start, end):
        predicted_rating += column[indices[p]] * ratings[p]

    prediction_error = true_rating - predicted_rating
    if l2 != 0.0:
        for p in range(start, end):
            profile_item_id = indices[p]
            column[profile_item_id] = l2_updated(
                column[profile_item_id], learning_rate, prediction_error, ratings[p], l2
            )
    else:
        step = learning_rate * prediction_error  # the seed's (lr * err) * r_j
        for p in range(start, end):
            column[indices[p]] += step * ratings[p]
    if no_diagonal:
        column[item_id] = 0.0


def train_columns(const int[::1] rows, const int[::1] indptr, const int[::1] indices,
                  const double[::1] ratings, const unsigned char[::1] audited_bits,
                  const int[::1] slot_of_item, const long long[::1] draws,
                  double[:, ::1] W, double learning_rate, bint no_diagonal, double l2):
    """Apply, on one thread, the steps of ``draws`` whose bit is set in ``audited_bits``.

    Returns the number of steps applied.
    """
    cdef Py_ssize_t k, n = draws.shape[0]
    cdef long long index, applied = 0
    with nogil:
        for k in range(n):
            index = draws[k]
            if _is_audited(&audited_bits[0], index):
                _column_step(&W[slot_of_item[indices[index]], 0], index, &rows[0],
                             &indptr[0], &indices[0], &ratings[0], learning_rate,
                             no_diagonal, l2)
                applied += 1
    return applied


def gather_audited(const unsigned char[::1] audited_bits, const long long[::1] draws,
                   long long[::1] out):
    """Copy the draws whose bit is set into ``out`` (as long as ``draws``), in order.

    Returns how many were copied.
    """
    cdef Py_ssize_t k, n = draws.shape[0]
    cdef long long index, hits = 0
    with nogil:
        for k in range(n):
            index = draws[k]
            if _is_audited(&audited_bits[0], index):
                out[hits] = index
                hits += 1
    return hits


def train_grouped(const int[::1] rows, const int[::1] indptr, const int[::1] indices,
                  const double[::1] ratings, const long long[::1] steps,
                  const long long[::1] slot_ptr, double[:, ::1] W, double learning_rate,
                  bint no_diagonal, double l2, int threads):
    """Apply ``steps`` grouped by column: those of slot s are steps[slot_ptr[s]:slot_ptr[s+1]],
    in stream order; the slots are spread over ``threads`` OpenMP threads."""
    cdef Py_ssize_t slot, k, n_slots = slot_ptr.shape[0] - 1
    if steps.shape[0] == 0:
        return
    for slot in prange(n_slots, nogil=True, schedule="dynamic", chunksize=1,
                       num_threads=threads):
        for k in range(slot_ptr[slot], slot_ptr[slot + 1]):
            _column_step(&W[slot, 0], steps[k], &rows[0], &indptr[0], &indices[0],
                         &ratings[0], learning_rate, no_diagonal, l2)


def count_users(const int[::1] rows, const long long[::1] draws, long long[::1] per_user):
    """Add to ``per_user[u]`` how many of ``draws`` are interactions of user u.

    For the floors' checksums; one pass with no temporaries, twice numpy's gather and
    bincount.
    """
    cdef Py_ssize_t k
    with nogil:
        for k in range(draws.shape[0]):
            per_user[rows[draws[k]]] += 1
