# cython: boundscheck=False, wraparound=False, cdivision=True
# The step-bound probe's kernels (python -m slimbench.measure.step_bound): the SIMD tiers'
# step cut into its passes, each variant one C function of _step_bound.h, run on one thread
# on a block as the tiers' train_block takes it. Not a tier.

from cython cimport floating
from libc.stdint cimport uint8_t, uint16_t

include "_simd_kernels.pxi"

cdef extern from "_step_bound.h":
    int SB_N_VARIANTS
    int sb_variant_avx2(int k) nogil
    const char* sb_variant_name(int k) nogil
    int sb_run_f64(int k, slimbench_simd_shared* shared,
                   const slimbench_simd_block* block) nogil
    int sb_run_f32(int k, slimbench_simd_shared* shared,
                   const slimbench_simd_block_f32* block) nogil
    double sb_stream_read(const double* buf, long long buf_bytes, long long n_bytes) nogil


def variants():
    """[(name, uses AVX2)] of the probe's variants, by number."""
    return [(sb_variant_name(k).decode(), bool(sb_variant_avx2(k))) for k in range(SB_N_VARIANTS)]


def avx2_supported():
    """True where this CPU (and OS) runs the AVX2 variants."""
    return bool(slimbench_simd_supported())


def run_variant(int variant, const uint16_t[::1] ids, const uint8_t[::1] codes, double scale,
                const int[::1] indptr, floating[:, ::1] W, double learning_rate,
                const int[::1] order, const int[::1] step_user,
                const floating[::1] step_rating, const long long[::1] item_ptr,
                const int[::1] item_sequence, double[::1] squared_errors,
                bint prefetch=True, int lanes=2):
    """One variant over an item-sorted block (the arguments of the SIMD tiers' train_block,
    less the thread count: one thread), W updated in place as the variant does."""
    cdef slimbench_simd_shared shared
    cdef slimbench_simd_block block
    cdef slimbench_simd_block_f32 block_f32
    cdef int ran
    if not 0 <= variant < SB_N_VARIANTS:
        raise ValueError(f"no variant {variant}")
    if sb_variant_avx2(variant) and not slimbench_simd_supported():
        raise RuntimeError("this CPU (or OS) does not run AVX2")
    if order.shape[0] == 0:
        return
    fill_shared(&shared, item_sequence, item_ptr, step_user, indptr)
    if floating is float:
        fill_block_f32(&block_f32, ids, codes, scale, W, learning_rate, order, step_rating,
                       squared_errors, False, 0.0, prefetch, lanes)
        with nogil:
            ran = sb_run_f32(variant, &shared, &block_f32)
    else:
        fill_block(&block, ids, codes, scale, W, learning_rate, order, step_rating,
                   squared_errors, False, 0.0, prefetch, lanes)
        with nogil:
            ran = sb_run_f64(variant, &shared, &block)
    if not ran:
        raise ValueError(f"no variant {variant}")


def stream_read(const double[::1] buffer, long long n_bytes):
    """Read ``n_bytes`` from ``buffer`` (over and over, 32-byte loads, AVX2; the buffer's
    length a multiple of 16 doubles); returns the OR of what was read, as a double."""
    cdef double out
    if buffer.shape[0] % 16 or buffer.shape[0] == 0:
        raise ValueError("the buffer must hold a positive multiple of 16 doubles")
    if not slimbench_simd_supported():
        raise RuntimeError("this CPU (or OS) does not run AVX2")
    with nogil:
        out = sb_stream_read(&buffer[0], buffer.shape[0] * 8, n_bytes)
    return out
