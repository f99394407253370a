# cython: boundscheck=False, wraparound=False, cdivision=True
# cython-transposed: the seed's In [40] loop with S stored as W = S^T, so that column i of
# S, the only one a step touches, is the contiguous row W[i]. The step order, and with it
# every rounding, is the seed's: the tier is bitwise equal to python-naive.

from libc.math cimport isfinite

include "_slim_update.pxi"


def train_steps(const int[::1] draw_user, const int[::1] draw_item,
                const double[::1] draw_rating, const int[::1] indptr,
                const int[::1] indices, const double[::1] ratings,
                double[:, ::1] W, double learning_rate, const long long[::1] draws,
                bint no_diagonal=False, double l2=0.0):
    """One step per entry of ``draws``; returns (loss, steps done before a non-finite loss).

    ``no_diagonal`` and ``l2`` are SLIM's options (impls/slim.py).
    """
    cdef Py_ssize_t n_steps = draws.shape[0]
    cdef Py_ssize_t step, p
    cdef long long k
    cdef int user, start, end
    cdef double loss = 0.0
    cdef double pred, err, gradient
    cdef double* w_row
    cdef int item
    cdef Py_ssize_t done = n_steps

    with nogil:
        # step loop
        for step in range(n_steps):
            k = draws[step]
            user = draw_user[k]
            item = draw_item[k]
            w_row = &W[item, 0]
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

            if l2 != 0.0:
                for p in range(start, end):
                    w_row[indices[p]] = l2_updated(w_row[indices[p]], learning_rate, err,
                                                   ratings[p], l2)
            else:
                gradient = learning_rate * err
                for p in range(start, end):
                    w_row[indices[p]] += gradient * ratings[p]
            if no_diagonal:
                w_row[item] = 0.0
    return loss, done
