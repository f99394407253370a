# The step loop of one target item over its bucket of draws, shared by cython-bucketed
# (serial), cython-parallel and cython-parallel-f32 (one item per OpenMP task). Included,
# not cimported, so each module gets its own inlined copy.
#
# Exactness: the bucket lists the item's draws in their original order (a stable sort), and
# a step touches row w = W[item] only, so every value written to w, and every error, is the
# one the seed's sequential loop computes. Each squared error is stored at its original
# position; the caller sums them in that order, so the loss is the seed's too.

from cython cimport floating

include "_slim_update.pxi"


cdef inline void item_steps(
    floating* w,
    const int* order, Py_ssize_t s_begin, Py_ssize_t s_end,
    const long long* draws, const int* draw_user, const floating* draw_rating,
    const int* indptr, const int* indices, const floating* ratings,
    floating learning_rate, double* squared_errors,
    bint no_diagonal, floating l2, Py_ssize_t item,
) noexcept nogil:
    cdef Py_ssize_t s, p
    cdef int pos, user, start, end
    cdef long long k
    cdef floating pred, err, gradient
    # step loop
    for s in range(s_begin, s_end):
        pos = order[s]
        k = draws[pos]
        user = draw_user[k]
        start = indptr[user]
        end = indptr[user + 1]

        pred = 0.0
        for p in range(start, end):
            pred = pred + w[indices[p]] * ratings[p]

        err = draw_rating[k] - pred
        # no early exit on a non-finite error: the caller finds the first diverging step
        # in original order and rebuilds S up to it
        squared_errors[pos] = <double>err * <double>err

        if l2 != 0.0:  # SLIM's options (impls/slim.py)
            for p in range(start, end):
                w[indices[p]] = l2_updated(w[indices[p]], learning_rate, err, ratings[p], l2)
        else:
            gradient = learning_rate * err
            for p in range(start, end):
                w[indices[p]] += gradient * ratings[p]
        if no_diagonal:
            w[item] = 0.0


cdef inline tuple ordered_loss(const double[::1] squared_errors, double limit):
    """(loss, steps before the sum went beyond ``limit``), summed in original step order.

    ``limit`` is the largest finite value of S's type: a float32 tier has diverged as soon
    as its loss no longer fits a float32, even though the sum is kept in double (waiting
    for the double to overflow lets inf into S first).
    """
    cdef Py_ssize_t pos, n = squared_errors.shape[0]
    cdef double loss = 0.0
    for pos in range(n):
        loss = loss + squared_errors[pos]
        if not (loss <= limit):  # NaN compares false too
            return float("inf") if isfinite(loss) else loss, pos
    return loss, n
