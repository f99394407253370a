# cython: boundscheck=False, wraparound=False, cdivision=True
# cython-transposed: the seed's In [40] loop with S stored as W = S^T, so that column i of
# S, the only one a step touches, is the contiguous row W[i]. The step order, and with it
# every rounding, is the seed's: the tier is bitwise equal to python-naive.

from libc.math cimport isfinite


def train_steps(const int[::1] draw_user, const int[::1] draw_item,
                const double[::1] draw_rating, const int[::1] indptr,
                const int[::1] indices, const double[::1] ratings,
                double[:, ::1] W, double learning_rate, const long long[::1] draws):
    """One step per entry of ``draws``; returns (loss, steps done before a non-finite loss)."""
    cdef Py_ssize_t n_steps = draws.shape[0]
    cdef Py_ssize_t step, p
    cdef long long k
    cdef int user, start, end
    cdef double loss = 0.0
    cdef double pred, err, gradient
    cdef double* w_row
    cdef Py_ssize_t done = n_steps

    with nogil:
        # step loop
        for step in range(n_steps):
            k = draws[step]
            user = draw_user[k]
            w_row = &W[draw_item[k], 0]
            start = indptr[user]
            end = indptr[user + 1]

            pred = 0.0
            for p in range(start, end):
                pred = pred + w_row[indices[p]] * ratings[p]

            err = draw_rating[k] - pred
            loss = loss + err * err
            if not isfinite(loss):
                done = step
                break

            gradient = learning_rate * err
            for p in range(start, end):
                w_row[indices[p]] += gradient * ratings[p]
    return loss, done
