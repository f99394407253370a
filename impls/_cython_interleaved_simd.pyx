# cython: boundscheck=False, wraparound=False, cdivision=True
# cython-interleaved-simd(-f32): cython-interleaved's thread loop with the prediction and the
# update in AVX2 vectors; the kernels are C with intrinsics, _interleaved_simd.h (float64:
# order and roundings kept, see there why it is bitwise) and _interleaved_simd_f32.h
# (float32: the prediction's sum in 16 partial sums, class close). This module only hands
# them the block. It is baseline code: only the kernels are compiled for AVX2, and they run
# only after simd_supported() said the CPU has it.

from cython.parallel cimport parallel
from cython cimport floating
from libc.float cimport DBL_MAX, FLT_MAX
from libc.math cimport isfinite
from libc.stdint cimport uint8_t, uint16_t

include "_simd_kernels.pxi"


def simd_unavailable_reason():
    """Why the AVX2 kernel cannot run here (this build, this CPU), or None."""
    cdef const char* reason = slimbench_simd_compiled_reason()
    if reason != NULL:
        return reason.decode()
    if not slimbench_simd_supported():
        return "this CPU (or OS) does not run AVX2 (__builtin_cpu_supports(\"avx2\") is false)"
    return None


cdef tuple ordered_loss(const double[::1] squared_errors, double limit):
    """(loss, steps before the sum went beyond ``limit``), summed in original step order
    (as impls/_bucket_steps.pxi's ordered_loss)."""
    cdef Py_ssize_t pos, n = squared_errors.shape[0]
    cdef double loss = 0.0
    for pos in range(n):
        loss = loss + squared_errors[pos]
        if not (loss <= limit):  # NaN compares false too
            return float("inf") if isfinite(loss) else loss, pos
    return loss, n


def train_block(const uint16_t[::1] ids, const uint8_t[::1] codes, double scale,
                const int[::1] indptr, floating[:, ::1] W, double learning_rate,
                const int[::1] order, const int[::1] step_user,
                const floating[::1] step_rating, const long long[::1] item_ptr,
                const int[::1] item_sequence, double[::1] squared_errors, int threads,
                bint no_diagonal=False, double l2=0.0, bint prefetch=True, int lanes=2):
    """cython-interleaved's train_block (same arguments) on the compact layout: float64 S
    (bitwise, _interleaved_simd.h) or float32 S (class close, _interleaved_simd_f32.h).

    Call only where :func:`simd_unavailable_reason` is None.
    """
    cdef slimbench_simd_shared shared
    cdef slimbench_simd_block block
    cdef slimbench_simd_block_f32 block_f32
    if order.shape[0] == 0:
        return 0.0, 0
    if simd_unavailable_reason() is not None:
        raise RuntimeError(simd_unavailable_reason())
    fill_shared(&shared, item_sequence, item_ptr, step_user, indptr)
    if floating is float:
        fill_block_f32(&block_f32, ids, codes, scale, W, learning_rate, order, step_rating,
                       squared_errors, no_diagonal, l2, prefetch, lanes)
        with nogil, parallel(num_threads=threads):
            slimbench_simd_thread_steps_f32(&shared, &block_f32)
        return ordered_loss(squared_errors, FLT_MAX)
    else:
        fill_block(&block, ids, codes, scale, W, learning_rate, order, step_rating,
                   squared_errors, no_diagonal, l2, prefetch, lanes)
        with nogil, parallel(num_threads=threads):
            slimbench_simd_thread_steps(&shared, &block)
        return ordered_loss(squared_errors, DBL_MAX)
