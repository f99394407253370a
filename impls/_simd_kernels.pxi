# The SIMD kernels' C declarations (impls/_interleaved_simd.h, impls/_interleaved_simd_f32.h),
# included by the tiers' module and by the step-bound probe, so both read one copy.
from libc.stdint cimport uint8_t, uint16_t

cdef extern from "_interleaved_simd.h":
    ctypedef struct slimbench_simd_shared:
        long long next_item
        long long n_items
        const int* item_sequence
        const long long* item_ptr
        const int* step_user
        const int* indptr
    ctypedef struct slimbench_simd_block:
        const uint16_t* ids
        const uint8_t* codes
        double scale
        double* W
        long long n_cols
        const double* step_rating
        const int* order
        double* squared_errors
        double learning_rate
        int no_diagonal
        double l2
        int prefetch
        int lanes
    int slimbench_simd_supported() nogil
    const char* slimbench_simd_compiled_reason() nogil
    void slimbench_simd_thread_steps(slimbench_simd_shared* shared,
                                     const slimbench_simd_block* block) nogil

cdef extern from "_interleaved_simd_f32.h":
    ctypedef struct slimbench_simd_block_f32:
        const uint16_t* ids
        const uint8_t* codes
        float scale
        float* W
        long long n_cols
        const float* step_rating
        const int* order
        double* squared_errors
        float learning_rate
        int no_diagonal
        float l2
        int prefetch
        int lanes
    void slimbench_simd_thread_steps_f32(slimbench_simd_shared* shared,
                                         const slimbench_simd_block_f32* block) nogil
