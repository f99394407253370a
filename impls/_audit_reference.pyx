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
# The wrapper (audit_reference.py) validates; this kernel trusts its inputs.

cimport cython

include "_slim_update.pxi"


@cython.boundscheck(False)
@cython.wraparound(False)
def train_columns(const int[::1] rows, const int[::1] indptr, const int[::1] indices,
                  const double[::1] ratings, const unsigned char[::1] audited_bits,
                  const int[::1] slot_of_item, const long long[::1] draws,
                  double[:, ::1] W, double learning_rate, bint no_diagonal, double l2):
    """Apply the steps of ``draws`` whose interaction has its bit set in ``audited_bits``.

    Returns the number of steps applied.
    """
    cdef Py_ssize_t n = draws.shape[0]
    cdef Py_ssize_t k, p, start, end
    cdef long long index
    cdef long long applied = 0
    cdef int user_id, item_id, slot, profile_item_id
    cdef double true_rating, predicted_rating, prediction_error, step
    cdef double *column
    with nogil:
        for k in range(n):
            index = draws[k]
            if not (audited_bits[index >> 3] >> (index & 7)) & 1:
                continue
            user_id = rows[index]
            item_id = indices[index]
            true_rating = ratings[index]
            slot = slot_of_item[item_id]
            column = &W[slot, 0]
            start = indptr[user_id]
            end = indptr[user_id + 1]

            predicted_rating = 0.0
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
            applied += 1
    return applied

