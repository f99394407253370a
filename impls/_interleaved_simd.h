/* cython-interleaved-simd: cython-interleaved's step on the compact profile (uint16 ids,
 * uint8 codes, float64 S), with AVX2 where it keeps every rounding and every addition.
 *
 * Bitwise equal to cython-interleaved (and so to python-naive) because:
 *  - prediction: the products w[id] * (code * scale) are formed 4 at a time in a vector
 *    (each product rounded once, as the scalar mulsd does), then added to the lane's
 *    accumulator one by one, lane 0, 1, 2, 3, in profile order: the chain is unchanged;
 *  - update: w[id] += g * r as a vector multiply g * r (4 products), then the 4 adds
 *    w[id] + gr and their stores one by one. No FMA: the functions are compiled for target
 *    "avx2" only (no "fma"), and with -ffp-contract=off.
 *
 * The functions carry __attribute__((target("avx2"))), so the module itself is baseline
 * x86-64 code and imports on any CPU; slimbench_simd_supported() says whether the CPU
 * (and the OS) runs AVX2, and the tier refuses to run otherwise.
 */
#ifndef SLIMBENCH_INTERLEAVED_SIMD_H
#define SLIMBENCH_INTERLEAVED_SIMD_H

#include <stdint.h>
#include <string.h>

#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
#define SLIMBENCH_SIMD_COMPILED 1
#include <immintrin.h>
#define SLIMBENCH_AVX2 __attribute__((target("avx2")))
#else
#define SLIMBENCH_SIMD_COMPILED 0
#endif

typedef struct {
    long long next_item; /* the next entry of item_sequence to hand out */
    long long n_items;
    const int* item_sequence;
    const long long* item_ptr;
    const int* step_user;
    const int* indptr;
} slimbench_simd_shared;

typedef struct {
    const uint16_t* ids; const uint8_t* codes; double scale;
    double* W; long long n_cols;
    const double* step_rating; const int* order; double* squared_errors;
    double learning_rate; int no_diagonal; double l2; int prefetch; int lanes;
} slimbench_simd_block;

/* 1 where this CPU and OS run AVX2, 0 otherwise (and where it was not compiled in). */
static int slimbench_simd_supported(void) {
#if SLIMBENCH_SIMD_COMPILED
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") ? 1 : 0;
#else
    return 0;
#endif
}

/* Why the SIMD step cannot run on this build, or NULL. */
static const char* slimbench_simd_compiled_reason(void) {
#if SLIMBENCH_SIMD_COMPILED
    return NULL;
#else
    return "built without the AVX2 kernel (needs gcc or clang on x86-64)";
#endif
}

#if SLIMBENCH_SIMD_COMPILED

typedef struct { long long item, s, s_end, start, p, end; } slimbench_lane;

/* Point the lane at its next step, taking a new item when its item is done (both the
 * float64 and the float32 kernels: it reads the profile layout only). */
static inline int slimbench_lane_next(slimbench_lane* lane, slimbench_simd_shared* sh,
                                      const uint16_t* ids, const uint8_t* codes,
                                      int prefetch) {
    while (lane->s == lane->s_end) {
        long long k = __atomic_fetch_add(&sh->next_item, 1, __ATOMIC_RELAXED);
        if (k >= sh->n_items) { lane->item = -1; return 0; }
        lane->item = sh->item_sequence[k];
        lane->s = sh->item_ptr[lane->item];
        lane->s_end = sh->item_ptr[lane->item + 1];
    }
    int user = sh->step_user[lane->s];
    lane->start = sh->indptr[user];
    lane->p = lane->start;
    lane->end = sh->indptr[user + 1];
    if (prefetch && lane->s + 1 < lane->s_end) {
        /* the next profile's first 256 bytes, as cython-interleaved */
        long long next = sh->indptr[sh->step_user[lane->s + 1]];
        for (int line = 0; line < 256; line += 64)
            __builtin_prefetch((const char*)(ids + next) + line, 0, 3);
        __builtin_prefetch(codes + next, 0, 3);
    }
    return 1;
}

static inline int slimbench_lane_load(slimbench_lane* lane, slimbench_simd_shared* sh,
                                      const slimbench_simd_block* b) {
    return slimbench_lane_next(lane, sh, b->ids, b->codes, b->prefetch);
}

static inline double slimbench_rating(uint8_t code, double scale) {
    return (double)code * scale;
}

SLIMBENCH_AVX2 static inline __m256d slimbench_codes4(const uint8_t* c, __m256d scale) {
    int32_t x;
    memcpy(&x, c, 4);
    __m256d code = _mm256_cvtepi32_pd(_mm_cvtepu8_epi32(_mm_cvtsi32_si128(x)));
    return _mm256_mul_pd(code, scale); /* exact: scale is a power of two */
}

/* w[i[0..3]] by 4 scalar loads (measured faster than vgatherdpd on Zen 3). */
SLIMBENCH_AVX2 static inline __m256d slimbench_load4(const double* w, const uint16_t* i) {
    __m128d lo = _mm_loadh_pd(_mm_load_sd(w + i[0]), w + i[1]);
    __m128d hi = _mm_loadh_pd(_mm_load_sd(w + i[2]), w + i[3]);
    return _mm256_insertf128_pd(_mm256_castpd128_pd256(lo), hi, 1);
}

/* acc + v[0] + v[1] + v[2] + v[3], one addition after the other */
SLIMBENCH_AVX2 static inline double slimbench_add4(double acc, __m256d v) {
    __m128d lo = _mm256_castpd256_pd128(v), hi = _mm256_extractf128_pd(v, 1);
    acc = acc + _mm_cvtsd_f64(lo);
    acc = acc + _mm_cvtsd_f64(_mm_unpackhi_pd(lo, lo));
    acc = acc + _mm_cvtsd_f64(hi);
    acc = acc + _mm_cvtsd_f64(_mm_unpackhi_pd(hi, hi));
    return acc;
}

SLIMBENCH_AVX2 static inline void slimbench_update(double* w, const slimbench_simd_block* b,
                                                   long long start, long long end,
                                                   double err) {
    long long p = start;
    if (b->l2 != 0.0) { /* impls/_slim_update.pxi's l2_updated, scalar */
        for (; p < end; p++) {
            double s = w[b->ids[p]], r = slimbench_rating(b->codes[p], b->scale);
            w[b->ids[p]] = s + b->learning_rate * (err * r - b->l2 * s);
        }
        return;
    }
    double g = b->learning_rate * err;
    __m256d vg = _mm256_set1_pd(g), vs = _mm256_set1_pd(b->scale);
    for (; p + 4 <= end; p += 4) {
        /* g * r in a vector, then w += it by scalar loads, adds and stores (as the float32
         * kernel): faster than a vector of 4 loads, a vector add and 4 extracting stores,
         * in alternating runs of the step-bound probe (docs/tiers.md, "What bounds the
         * SIMD step"); the same roundings, one product and one sum each */
        double gr[4];
        const uint16_t* i = b->ids + p;
        _mm256_storeu_pd(gr, _mm256_mul_pd(vg, slimbench_codes4(b->codes + p, vs)));
        for (int k = 0; k < 4; k++) w[i[k]] = w[i[k]] + gr[k];
    }
    for (; p < end; p++) w[b->ids[p]] += g * slimbench_rating(b->codes[p], b->scale);
}

SLIMBENCH_AVX2 static inline void slimbench_finish(slimbench_lane* lane, double pred,
                                                   const slimbench_simd_block* b) {
    double* w = b->W + lane->item * b->n_cols;
    double err = b->step_rating[lane->s] - pred;
    b->squared_errors[b->order[lane->s]] = err * err;
    slimbench_update(w, b, lane->start, lane->end, err);
    if (b->no_diagonal) w[lane->item] = 0.0;
    lane->s += 1;
}

/* One thread's share: items taken one at a time from the shared counter, b->lanes (1 or
 * 2) in flight, exactly as cython-interleaved's thread_steps. */
SLIMBENCH_AVX2 static void slimbench_simd_thread_steps(slimbench_simd_shared* sh,
                                                       const slimbench_simd_block* b) {
    slimbench_lane a, c;
    double pred_a = 0.0, pred_c = 0.0;
    const double scale = b->scale;
    const __m256d vs = _mm256_set1_pd(scale);
    a.s = a.s_end = c.s = c.s_end = 0;
    int live_a = slimbench_lane_load(&a, sh, b);
    int live_c = b->lanes > 1 && slimbench_lane_load(&c, sh, b);
    while (live_a && live_c) {
        /* both predictions advance by the shorter remainder: two independent chains */
        long long m = a.end - a.p;
        if (c.end - c.p < m) m = c.end - c.p;
        const double* wa = b->W + a.item * b->n_cols;
        const double* wc = b->W + c.item * b->n_cols;
        const uint16_t* ia = b->ids + a.p;
        const uint16_t* ic = b->ids + c.p;
        const uint8_t* ca = b->codes + a.p;
        const uint8_t* cc = b->codes + c.p;
        long long j = 0;
        for (; j + 4 <= m; j += 4) {
            __m256d va = _mm256_mul_pd(slimbench_load4(wa, ia + j), slimbench_codes4(ca + j, vs));
            __m256d vc = _mm256_mul_pd(slimbench_load4(wc, ic + j), slimbench_codes4(cc + j, vs));
            pred_a = slimbench_add4(pred_a, va);
            pred_c = slimbench_add4(pred_c, vc);
        }
        for (; j < m; j++) {
            pred_a = pred_a + wa[ia[j]] * slimbench_rating(ca[j], scale);
            pred_c = pred_c + wc[ic[j]] * slimbench_rating(cc[j], scale);
        }
        a.p += m;
        c.p += m;
        if (a.p == a.end) {
            slimbench_finish(&a, pred_a, b);
            pred_a = 0.0;
            live_a = slimbench_lane_load(&a, sh, b);
        }
        if (c.p == c.end) {
            slimbench_finish(&c, pred_c, b);
            pred_c = 0.0;
            live_c = slimbench_lane_load(&c, sh, b);
        }
    }
    /* the last item of this thread: one lane, one chain */
    if (live_c) { a = c; pred_a = pred_c; live_a = 1; }
    while (live_a) {
        const double* wa = b->W + a.item * b->n_cols;
        long long j = a.p;
        for (; j + 4 <= a.end; j += 4) {
            __m256d va = _mm256_mul_pd(slimbench_load4(wa, b->ids + j),
                                       slimbench_codes4(b->codes + j, vs));
            pred_a = slimbench_add4(pred_a, va);
        }
        for (; j < a.end; j++) pred_a = pred_a + wa[b->ids[j]] * slimbench_rating(b->codes[j], scale);
        slimbench_finish(&a, pred_a, b);
        pred_a = 0.0;
        live_a = slimbench_lane_load(&a, sh, b);
    }
}

#else /* no AVX2 kernel in this build: never called (the tier is unavailable) */

static void slimbench_simd_thread_steps(slimbench_simd_shared* sh,
                                        const slimbench_simd_block* b) {
    (void)sh; (void)b;
}

#endif
#endif
