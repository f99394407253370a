# cython: boundscheck=False, wraparound=False, cdivision=True
# cython-bucketed: a block of draws grouped by target item (stable counting sort), then
# processed item by item, so the row W[item] stays in cache across all of the item's steps.

from libc.float cimport DBL_MAX
from libc.math cimport isfinite

include "_bucket_steps.pxi"


def bucket_by_item(const long long[::1] draws, const int[::1] draw_item, int n_items,
                   int[::1] order, long long[::1] item_ptr):
    """Stable counting sort of the draws' positions by their target item.

    Fills ``order`` (positions 0..n-1, grouped by item, original order within an item)
    and ``item_ptr`` (n_items + 1 offsets: item i's positions are
    ``order[item_ptr[i]:item_ptr[i + 1]]``).
    """
    cdef Py_ssize_t n = draws.shape[0], pos
    cdef int i
    cdef long long total = 0, count
    with nogil:
        for i in range(n_items + 1):
            item_ptr[i] = 0
        for pos in range(n):
            item_ptr[draw_item[draws[pos]] + 1] += 1
        for i in range(n_items):
            item_ptr[i + 1] += item_ptr[i]
        # item_ptr[i] is now the start of bucket i; advance a copy while scattering
        for pos in range(n):
            i = draw_item[draws[pos]]
            order[item_ptr[i]] = <int>pos
            item_ptr[i] += 1
        # shift back: every item_ptr[i] now holds the end of bucket i = start of i + 1
        for i in range(n_items, 0, -1):
            item_ptr[i] = item_ptr[i - 1]
        item_ptr[0] = 0


def train_block(const int[::1] draw_user, const double[::1] draw_rating,
                const int[::1] indptr, const int[::1] indices, const double[::1] ratings,
                double[:, ::1] W, double learning_rate, const long long[::1] draws,
                const int[::1] order, const long long[::1] item_ptr,
                double[::1] squared_errors, bint no_diagonal=False, double l2=0.0):
    """Every step of a bucketed block, one item after the other, on one thread.

    Returns (loss, steps before the loss became non-finite), in original step order.
    """
    cdef Py_ssize_t item, n_items = item_ptr.shape[0] - 1
    if draws.shape[0] == 0:
        return 0.0, 0
    with nogil:
        for item in range(n_items):
            if item_ptr[item] == item_ptr[item + 1]:
                continue
            item_steps(&W[item, 0], &order[0], item_ptr[item], item_ptr[item + 1],
                       &draws[0], &draw_user[0], &draw_rating[0],
                       &indptr[0], &indices[0], &ratings[0],
                       learning_rate, &squared_errors[0], no_diagonal, l2, item)
    return ordered_loss(squared_errors, DBL_MAX)
