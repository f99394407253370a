# cython: boundscheck=False, wraparound=False, cdivision=True
# cython-interleaved(-f32) and floor-compact: see impls/cython_interleaved.py for the design
# and the measurements behind each choice.
#
# Exactness is cython-parallel's: every item's steps run in their original order on one
# thread and touch the row W[item] only. What changes is what runs *beside* a step: each
# thread keeps two items ("lanes") in flight and walks their current profiles together, so
# the two dependent float64 add chains of the predictions overlap instead of waiting on
# each other. A chain's own order is untouched: pred = ((0 + a0) + a1) + ..., as the seed.

from cython cimport floating
from cython.parallel cimport parallel, prange, threadid
from libc.float cimport DBL_MAX, FLT_MAX
from libc.math cimport isfinite

import numpy as np

include "_bucket_steps.pxi"  # l2_updated, ordered_loss

ctypedef fused id_t:
    unsigned short  # compact: catalogs of at most 65,536 items
    int
ctypedef fused code_t:
    unsigned char  # compact: rating = code * scale, scale a power of two (exact)
    float
    double

cdef extern from *:
    """
    static inline long long slimbench_fetch_add(long long* counter) {
        return __atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
    }
    #define slimbench_prefetch(address) __builtin_prefetch((const void*)(address), 0, 3)
    """
    long long slimbench_fetch_add(long long* counter) nogil
    void slimbench_prefetch(const void* address) nogil

# Profile bytes prefetched ahead of a step: the first lines are the ones the hardware
# prefetcher cannot guess (a profile starts anywhere); it follows the stream after them.
DEF PREFETCH_BYTES = 256
DEF PAD = 8
# Blocks shorter than this are sorted on one thread: starting threads would cost more.
DEF SORT_PARALLEL_MIN = 65536


cdef struct Lane:
    Py_ssize_t item  # -1: no work left
    Py_ssize_t s  # current step (position in the item-sorted order)
    Py_ssize_t s_end  # end of the item's steps
    Py_ssize_t start  # the current step's profile: [start, end)
    Py_ssize_t p  # prediction cursor in the profile
    Py_ssize_t end


cdef struct Shared:
    long long next_item  # the next entry of item_sequence to hand out
    long long n_items
    const int* item_sequence
    const long long* item_ptr
    const int* step_user
    const int* indptr


cdef inline void prefetch_profile(const id_t* ids, const code_t* codes,
                                  Py_ssize_t start) noexcept nogil:
    cdef Py_ssize_t line
    for line in range(0, PREFETCH_BYTES, 64):
        slimbench_prefetch(<const char*>(ids + start) + line)
    slimbench_prefetch(codes + start)


cdef inline bint lane_load(Lane* lane, Shared* shared, const id_t* ids,
                           const code_t* codes, bint prefetch) noexcept nogil:
    """Point ``lane`` at its next step, taking a new item when its item is done."""
    cdef long long k
    cdef int user
    while lane.s == lane.s_end:
        k = slimbench_fetch_add(&shared.next_item)
        if k >= shared.n_items:
            lane.item = -1
            return False
        lane.item = shared.item_sequence[k]
        lane.s = shared.item_ptr[lane.item]
        lane.s_end = shared.item_ptr[lane.item + 1]
    user = shared.step_user[lane.s]
    lane.start = shared.indptr[user]
    lane.p = lane.start
    lane.end = shared.indptr[user + 1]
    if prefetch and lane.s + 1 < lane.s_end:
        prefetch_profile(ids, codes, shared.indptr[shared.step_user[lane.s + 1]])
    return True


cdef inline floating rating_of(code_t code, floating scale) noexcept nogil:
    if code_t is float or code_t is double:
        return <floating>code
    else:
        return <floating>code * scale


cdef inline void finish_step(
    Lane* lane, floating pred, floating* W, Py_ssize_t n_cols,
    const id_t* ids, const code_t* codes, floating scale,
    const floating* step_rating, const int* order, double* squared_errors,
    floating learning_rate, bint no_diagonal, floating l2,
) noexcept nogil:
    """The error and the update of the lane's step, whose prediction is complete."""
    cdef floating* w = W + lane.item * n_cols
    cdef floating err = step_rating[lane.s] - pred
    cdef floating gradient
    cdef Py_ssize_t p
    squared_errors[order[lane.s]] = <double>err * <double>err
    if l2 != 0.0:
        for p in range(lane.start, lane.end):
            w[ids[p]] = l2_updated(w[ids[p]], learning_rate, err,
                                   rating_of(codes[p], scale), l2)
    else:
        gradient = learning_rate * err
        for p in range(lane.start, lane.end):
            w[ids[p]] += gradient * rating_of(codes[p], scale)
    if no_diagonal:
        w[lane.item] = 0.0
    lane.s += 1


cdef void thread_steps(
    Shared* shared, floating* W, Py_ssize_t n_cols,
    const id_t* ids, const code_t* codes, floating scale,
    const floating* step_rating, const int* order, double* squared_errors,
    floating learning_rate, bint no_diagonal, floating l2, bint prefetch, int lanes,
) noexcept nogil:
    """One thread's share: items taken one at a time, ``lanes`` (1 or 2) in flight."""
    cdef Lane a, b
    cdef floating pred_a = 0.0, pred_b = 0.0
    cdef floating* wa
    cdef floating* wb
    cdef Py_ssize_t j, m, pa, pb
    cdef bint live_a, live_b
    a.s = a.s_end = b.s = b.s_end = 0
    live_a = lane_load(&a, shared, ids, codes, prefetch)
    live_b = lanes > 1 and lane_load(&b, shared, ids, codes, prefetch)
    while live_a and live_b:
        # both predictions advance by the shorter remainder: two independent chains
        m = a.end - a.p
        if b.end - b.p < m:
            m = b.end - b.p
        wa = W + a.item * n_cols
        wb = W + b.item * n_cols
        pa = a.p
        pb = b.p
        for j in range(m):
            pred_a = pred_a + wa[ids[pa + j]] * rating_of(codes[pa + j], scale)
            pred_b = pred_b + wb[ids[pb + j]] * rating_of(codes[pb + j], scale)
        a.p = pa + m
        b.p = pb + m
        if a.p == a.end:
            finish_step(&a, pred_a, W, n_cols, ids, codes, scale, step_rating, order,
                        squared_errors, learning_rate, no_diagonal, l2)
            pred_a = 0.0
            live_a = lane_load(&a, shared, ids, codes, prefetch)
        if b.p == b.end:
            finish_step(&b, pred_b, W, n_cols, ids, codes, scale, step_rating, order,
                        squared_errors, learning_rate, no_diagonal, l2)
            pred_b = 0.0
            live_b = lane_load(&b, shared, ids, codes, prefetch)
    # the last item of this thread: one lane, one chain
    if live_b:
        a = b
        pred_a = pred_b
        live_a = True
    while live_a:
        wa = W + a.item * n_cols
        for j in range(a.p, a.end):
            pred_a = pred_a + wa[ids[j]] * rating_of(codes[j], scale)
        finish_step(&a, pred_a, W, n_cols, ids, codes, scale, step_rating, order,
                    squared_errors, learning_rate, no_diagonal, l2)
        pred_a = 0.0
        live_a = lane_load(&a, shared, ids, codes, prefetch)


cdef inline void share_block(Shared* shared, const int[::1] item_sequence,
                             const long long[::1] item_ptr, const int[::1] step_user,
                             const int[::1] indptr) noexcept:
    """What every thread of a block reads, and the counter that deals its items."""
    shared.next_item = 0
    shared.n_items = item_sequence.shape[0]
    shared.item_sequence = &item_sequence[0]
    shared.item_ptr = &item_ptr[0]
    shared.step_user = &step_user[0]
    shared.indptr = &indptr[0]


def train_block(const id_t[::1] ids, const code_t[::1] codes, double scale,
                const int[::1] indptr, floating[:, ::1] W, double learning_rate,
                const int[::1] order, const int[::1] step_user,
                const floating[::1] step_rating, const long long[::1] item_ptr,
                const int[::1] item_sequence, double[::1] squared_errors, int threads,
                bint no_diagonal=False, double l2=0.0, bint prefetch=True, int lanes=2):
    """Every step of an item-sorted block, two items in flight per thread.

    ``order[s]``, ``step_user[s]``, ``step_rating[s]``: the original position, user and
    rating of the s-th step in item order; item i's steps are ``item_ptr[i]:item_ptr[i+1]``;
    ``item_sequence`` lists the items with steps, in the order threads take them.
    Returns (loss, steps before the loss became non-finite), summed in original order.
    """
    cdef Shared shared
    if order.shape[0] == 0:
        return 0.0, 0
    share_block(&shared, item_sequence, item_ptr, step_user, indptr)
    with nogil, parallel(num_threads=threads):
        thread_steps(&shared, &W[0, 0], W.shape[1], &ids[0], &codes[0], <floating>scale,
                     &step_rating[0], &order[0], &squared_errors[0],
                     <floating>learning_rate, no_diagonal, <floating>l2, prefetch, lanes)
    return ordered_loss(squared_errors, FLT_MAX if floating is float else DBL_MAX)


def sort_steps(const long long[::1] draws, const int[::1] draw_item,
               const int[::1] draw_user, const floating[::1] draw_rating, int n_items,
               int[::1] order, int[::1] step_user, floating[::1] step_rating,
               long long[::1] item_ptr, int threads=1):
    """Stable counting sort of the draws by target item, with each step's user and rating.

    Gathering user and rating here, in passes whose iterations are independent (so their
    cache misses overlap), takes two dependent misses off the start of every step. The
    draws are cut into ``threads`` consecutive parts, each counted and scattered by one
    thread; within an item, part t's steps are placed after part t-1's, so the sort
    stays stable (each item's steps in their original order) at any thread count.
    """
    cdef Py_ssize_t n = draws.shape[0], pos, s, lo, hi, chunk
    cdef int parts = threads if n >= SORT_PARALLEL_MIN else 1
    cdef int i, t
    cdef long long k, total = 0, c
    cdef long long[:, ::1] cursor = np.zeros((parts, n_items + 1), dtype=np.int64)
    chunk = (n + parts - 1) // parts
    for t in prange(parts, nogil=True, schedule="static", chunksize=1, num_threads=parts):
        lo = t * chunk
        hi = min(n, lo + chunk)
        for pos in range(lo, hi):
            cursor[t, draw_item[draws[pos]]] += 1
    with nogil:
        # each part's first slot in each item's bucket
        for i in range(n_items):
            item_ptr[i] = total
            for t in range(parts):
                c = cursor[t, i]
                cursor[t, i] = total
                total = total + c
        item_ptr[n_items] = total
    for t in prange(parts, nogil=True, schedule="static", chunksize=1, num_threads=parts):
        lo = t * chunk
        hi = min(n, lo + chunk)
        for pos in range(lo, hi):
            k = draws[pos]
            i = draw_item[k]
            s = cursor[t, i]
            order[s] = <int>pos
            step_user[s] = draw_user[k]
            step_rating[s] = draw_rating[k]
            cursor[t, i] = s + 1


cdef void thread_reads(
    Shared* shared, const id_t* ids, const code_t* codes, double scale, bint prefetch,
    double* rating_sum, long long* index_sum, long long* entries,
) noexcept nogil:
    """One thread's share of the floor: each step's profile read once, nothing else."""
    cdef Lane lane
    cdef Py_ssize_t p
    # Four rating accumulators: one chain would bound the loop by add latency, not by
    # reading, and a floor must measure reading only.
    cdef double r0 = 0.0, r1 = 0.0, r2 = 0.0, r3 = 0.0
    cdef long long id_total = 0, count = 0
    lane.s = lane.s_end = 0
    while lane_load(&lane, shared, ids, codes, prefetch):
        p = lane.start
        while p + 4 <= lane.end:
            r0 = r0 + rating_of(codes[p], scale)
            r1 = r1 + rating_of(codes[p + 1], scale)
            r2 = r2 + rating_of(codes[p + 2], scale)
            r3 = r3 + rating_of(codes[p + 3], scale)
            id_total = id_total + ids[p] + ids[p + 1] + ids[p + 2] + ids[p + 3]
            p = p + 4
        while p < lane.end:
            r0 = r0 + rating_of(codes[p], scale)
            id_total = id_total + ids[p]
            p = p + 1
        count = count + (lane.end - lane.start)
        lane.s += 1
    rating_sum[0] = (r0 + r1) + (r2 + r3)
    index_sum[0] = id_total
    entries[0] = count


def floor_block(const id_t[::1] ids, const code_t[::1] codes, double scale,
                const int[::1] indptr, const int[::1] step_user,
                const long long[::1] item_ptr, const int[::1] item_sequence, int threads,
                bint prefetch=True):
    """Read the profile of every step of an item-sorted block once, as train_block would.

    The same work sharing, step order and prefetching as :func:`train_block`, so the only
    difference left is the arithmetic and the writes. Returns (sum of the ratings read,
    sum of the item ids read, entries read), so the caller can prove each entry was read.
    """
    cdef Shared shared
    cdef int t, tid
    cdef double[::1] rating_sums = np.zeros(threads * PAD, dtype=np.float64)
    cdef long long[::1] index_sums = np.zeros(threads * PAD, dtype=np.int64)
    cdef long long[::1] entries = np.zeros(threads * PAD, dtype=np.int64)
    if step_user.shape[0] == 0:
        return 0.0, 0, 0
    share_block(&shared, item_sequence, item_ptr, step_user, indptr)
    with nogil, parallel(num_threads=threads):
        tid = threadid()
        thread_reads(&shared, &ids[0], &codes[0], scale, prefetch,
                     &rating_sums[tid * PAD], &index_sums[tid * PAD], &entries[tid * PAD])
    cdef double rating_total = 0.0
    cdef long long index_total = 0, entry_total = 0
    for t in range(threads):
        rating_total += rating_sums[t * PAD]
        index_total += index_sums[t * PAD]
        entry_total += entries[t * PAD]
    return rating_total, index_total, entry_total
