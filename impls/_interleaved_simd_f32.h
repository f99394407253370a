/* cython-interleaved-simd-f32: cython-interleaved-f32's step (compact profile: uint16 ids,
 * uint8 codes, float32 S) with AVX2, the prediction's sum reassociated (class close).
 *
 * What it computes, as a function of the profile alone (so S does not depend on the thread
 * count, the lanes or the dealing):
 *  - prediction: entry q of a profile of n entries goes, for q < 8 * floor(n / 8), into
 *    element q % 8 of accumulator A[(q / 8) % 2], as A += w[id] * (code * scale) (a
 *    multiply then an add, each rounded to float32: no FMA); then
 *    pred = hsum(A[0] + A[1]) (elements 0+4, 1+5, 2+6, 3+7, then (0+2) + (1+3)), then the
 *    last n % 8 entries added one by one. Sixteen partial sums instead of one chain: the
 *    prediction is no longer a latency chain, and the bound of its rounding error grows
 *    with about n / 16 instead of n (docs/tiers.md measures its distance from the
 *    reference);
 *  - update: w[id] += g * r with g = lr * err, each product and sum rounded as
 *    cython-interleaved-f32's scalar update: g * r eight at a time in a vector, then the
 *    eight adds and stores one by one (a profile's ids are distinct). With SLIM's l2 the
 *    update is scalar.
 *
 * Shares the block's dealing, lanes and prefetch with the float64 kernel
 * (_interleaved_simd.h); like it, the kernel is compiled for target "avx2" inside a
 * baseline module and runs only where slimbench_simd_supported() says the CPU has it.
 */
#ifndef SLIMBENCH_INTERLEAVED_SIMD_F32_H
#define SLIMBENCH_INTERLEAVED_SIMD_F32_H

#include "_interleaved_simd.h"

typedef struct {
    const uint16_t* ids; const uint8_t* codes; float scale;
    float* W; long long n_cols;
    const float* step_rating; const int* order; double* squared_errors;
    float learning_rate; int no_diagonal; float l2; int prefetch; int lanes;
} slimbench_simd_block_f32;

#if SLIMBENCH_SIMD_COMPILED

/* w[i[0..7]] into one vector by 8 scalar loads (measured faster than vgatherdps on Zen 3) */
SLIMBENCH_AVX2 static inline __m256 slimbench_load8f(const float* w, const uint16_t* i) {
    __m128 lo = _mm_set_ps(w[i[3]], w[i[2]], w[i[1]], w[i[0]]);
    __m128 hi = _mm_set_ps(w[i[7]], w[i[6]], w[i[5]], w[i[4]]);
    return _mm256_insertf128_ps(_mm256_castps128_ps256(lo), hi, 1);
}

/* the ratings code * scale of 8 entries (exact: scale is a power of two) */
SLIMBENCH_AVX2 static inline __m256 slimbench_codes8(const uint8_t* c, __m256 scale) {
    __m128i bytes = _mm_loadl_epi64((const __m128i*)c);
    return _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(bytes)), scale);
}

/* the 8 elements of v summed in the fixed order of the header's comment */
SLIMBENCH_AVX2 static inline float slimbench_hsum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}

/* one lane's prediction in progress: its two accumulators (its cursor is the lane's p) */
typedef struct { __m256 acc0, acc1; } slimbench_pred_f32;

/* entries [q, q + 16) of the lane's profile into its accumulators */
#define SLIMBENCH_PRED16(st, w, ids, codes, vs)                                          \
    do {                                                                                 \
        (st).acc0 = _mm256_add_ps((st).acc0, _mm256_mul_ps(slimbench_load8f((w), (ids)),  \
                                                           slimbench_codes8((codes), vs))); \
        (st).acc1 = _mm256_add_ps((st).acc1,                                             \
                                  _mm256_mul_ps(slimbench_load8f((w), (ids) + 8),        \
                                                slimbench_codes8((codes) + 8, vs)));     \
    } while (0)

/* The rest of a prediction from entry p (p - start a multiple of 16) to end, and its sum. */
SLIMBENCH_AVX2 static inline float slimbench_pred_rest(slimbench_pred_f32* st, const float* w,
                                                       const uint16_t* ids,
                                                       const uint8_t* codes, long long p,
                                                       long long end, float scale) {
    const __m256 vs = _mm256_set1_ps(scale);
    for (; p + 16 <= end; p += 16) SLIMBENCH_PRED16(*st, w, ids + p, codes + p, vs);
    if (p + 8 <= end) {
        st->acc0 = _mm256_add_ps(st->acc0, _mm256_mul_ps(slimbench_load8f(w, ids + p),
                                                         slimbench_codes8(codes + p, vs)));
        p += 8;
    }
    float pred = slimbench_hsum8(_mm256_add_ps(st->acc0, st->acc1));
    for (; p < end; p++) pred = pred + w[ids[p]] * ((float)codes[p] * scale);
    return pred;
}

SLIMBENCH_AVX2 static inline void slimbench_update_f32(float* w,
                                                       const slimbench_simd_block_f32* b,
                                                       long long start, long long end,
                                                       float err) {
    long long p = start;
    const uint16_t* ids = b->ids;
    const uint8_t* codes = b->codes;
    const float scale = b->scale;
    if (b->l2 != 0.0f) { /* impls/_slim_update.pxi's l2_updated, scalar */
        for (; p < end; p++) {
            float s = w[ids[p]], r = (float)codes[p] * scale;
            w[ids[p]] = s + b->learning_rate * (err * r - b->l2 * s);
        }
        return;
    }
    const float g = b->learning_rate * err;
    const __m256 vg = _mm256_set1_ps(g), vs = _mm256_set1_ps(scale);
    for (; p + 8 <= end; p += 8) {
        /* g * r in a vector, then w += it by scalar loads, adds and stores: measured faster
         * than a vector load, add and 8 extracting stores, and than vgatherdps */
        float gr[8];
        const uint16_t* i = ids + p;
        _mm256_storeu_ps(gr, _mm256_mul_ps(vg, slimbench_codes8(codes + p, vs)));
        for (int k = 0; k < 8; k++) w[i[k]] = w[i[k]] + gr[k];
    }
    for (; p < end; p++) w[ids[p]] = w[ids[p]] + g * ((float)codes[p] * scale);
}

SLIMBENCH_AVX2 static inline void slimbench_finish_f32(slimbench_lane* lane, float pred,
                                                       const slimbench_simd_block_f32* b) {
    float* w = b->W + lane->item * b->n_cols;
    float err = b->step_rating[lane->s] - pred;
    b->squared_errors[b->order[lane->s]] = (double)err * (double)err;
    slimbench_update_f32(w, b, lane->start, lane->end, err);
    if (b->no_diagonal) w[lane->item] = 0.0f;
    lane->s += 1;
}

/* One thread's share, as slimbench_simd_thread_steps: items from the shared counter,
 * b->lanes (1 or 2) in flight; two lanes advance 16 entries at a time together while both
 * have 16 left, and each lane's sums depend on its own profile only. */
SLIMBENCH_AVX2 static void slimbench_simd_thread_steps_f32(slimbench_simd_shared* sh,
                                                           const slimbench_simd_block_f32* b) {
    slimbench_lane a, c;
    slimbench_pred_f32 pa, pc;
    const __m256 vs = _mm256_set1_ps(b->scale);
    const uint16_t* ids = b->ids;
    const uint8_t* codes = b->codes;
    pa.acc0 = pa.acc1 = pc.acc0 = pc.acc1 = _mm256_setzero_ps();
    a.s = a.s_end = c.s = c.s_end = 0;
    int live_a = slimbench_lane_next(&a, sh, ids, codes, b->prefetch);
    int live_c = b->lanes > 1 && slimbench_lane_next(&c, sh, ids, codes, b->prefetch);
    while (live_a && live_c) {
        long long m = a.end - a.p;
        if (c.end - c.p < m) m = c.end - c.p;
        m &= ~(long long)15;
        const float* wa = b->W + a.item * b->n_cols;
        const float* wc = b->W + c.item * b->n_cols;
        for (long long j = 0; j < m; j += 16) {
            SLIMBENCH_PRED16(pa, wa, ids + a.p + j, codes + a.p + j, vs);
            SLIMBENCH_PRED16(pc, wc, ids + c.p + j, codes + c.p + j, vs);
        }
        a.p += m;
        c.p += m;
        if (a.end - a.p < 16) {
            float pred = slimbench_pred_rest(&pa, wa, ids, codes, a.p, a.end, b->scale);
            slimbench_finish_f32(&a, pred, b);
            pa.acc0 = pa.acc1 = _mm256_setzero_ps();
            live_a = slimbench_lane_next(&a, sh, ids, codes, b->prefetch);
        }
        if (c.end - c.p < 16) {
            float pred = slimbench_pred_rest(&pc, wc, ids, codes, c.p, c.end, b->scale);
            slimbench_finish_f32(&c, pred, b);
            pc.acc0 = pc.acc1 = _mm256_setzero_ps();
            live_c = slimbench_lane_next(&c, sh, ids, codes, b->prefetch);
        }
    }
    /* the last item of this thread: one lane */
    if (live_c) { a = c; pa = pc; live_a = 1; }
    while (live_a) {
        const float* wa = b->W + a.item * b->n_cols;
        float pred = slimbench_pred_rest(&pa, wa, ids, codes, a.p, a.end, b->scale);
        slimbench_finish_f32(&a, pred, b);
        pa.acc0 = pa.acc1 = _mm256_setzero_ps();
        live_a = slimbench_lane_next(&a, sh, ids, codes, b->prefetch);
    }
}

#else /* no AVX2 kernel in this build: never called (the tier is unavailable) */

static void slimbench_simd_thread_steps_f32(slimbench_simd_shared* sh,
                                            const slimbench_simd_block_f32* b) {
    (void)sh; (void)b;
}

#endif
#endif
