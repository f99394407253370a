# The SIMD kernels' C declarations (impls/_interleaved_simd.h, impls/_interleaved_simd_f32.h),
# included by the tiers' module and by the step-bound probe, so both read one copy, with the
# functions that fill them from an item-sorted block (the same for both).
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


cdef inline void fill_shared(slimbench_simd_shared* shared, const int[::1] item_sequence,
                             const long long[::1] item_ptr, const int[::1] step_user,
                             const int[::1] indptr) noexcept:
    """The dealing's state over a non-empty block: no item handed out yet."""
    shared.next_item = 0
    shared.n_items = item_sequence.shape[0]
    shared.item_sequence = &item_sequence[0]
    shared.item_ptr = &item_ptr[0]
    shared.step_user = &step_user[0]
    shared.indptr = &indptr[0]


cdef inline void fill_block(slimbench_simd_block* block, const uint16_t[::1] ids,
                            const uint8_t[::1] codes, double scale, double[:, ::1] W,
                            double learning_rate, const int[::1] order,
                            const double[::1] step_rating, double[::1] squared_errors,
                            bint no_diagonal, double l2, bint prefetch,
                            int lanes) noexcept:
    """The float64 kernel's block."""
    block.ids = &ids[0]
    block.codes = &codes[0]
    block.scale = scale
    block.W = &W[0, 0]
    block.n_cols = W.shape[1]
    block.step_rating = &step_rating[0]
    block.order = &order[0]
    block.squared_errors = &squared_errors[0]
    block.learning_rate = learning_rate
    block.no_diagonal = no_diagonal
    block.l2 = l2
    block.prefetch = prefetch
    block.lanes = lanes


cdef inline void fill_block_f32(slimbench_simd_block_f32* block, const uint16_t[::1] ids,
                                const uint8_t[::1] codes, double scale, float[:, ::1] W,
                                double learning_rate, const int[::1] order,
                                const float[::1] step_rating, double[::1] squared_errors,
                                bint no_diagonal, double l2, bint prefetch,
                                int lanes) noexcept:
    """The float32 kernel's block."""
    block.ids = &ids[0]
    block.codes = &codes[0]
    block.scale = <float>scale
    block.W = &W[0, 0]
    block.n_cols = W.shape[1]
    block.step_rating = &step_rating[0]
    block.order = &order[0]
    block.squared_errors = &squared_errors[0]
    block.learning_rate = <float>learning_rate
    block.no_diagonal = no_diagonal
    block.l2 = <float>l2
    block.prefetch = prefetch
    block.lanes = lanes
