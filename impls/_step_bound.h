/* The step-bound probe (python -m slimbench.measure.step_bound): the SIMD tiers' step cut
 * into its parts, on the tiers' own item-sorted block, one thread, so that each part can be
 * timed alone. Not a tier: most variants compute nothing useful; the two "step" variants
 * of each dtype are the tiers' steps and are tested bitwise against the tiers' own
 * train_block (tests/test_step_bound.py).
 *
 * Every variant walks the steps as the tier does (items from the shared counter, two lanes
 * in flight, the next profile prefetched: slimbench_lane_next), and does per lane:
 *  - a prediction pass, one of
 *      NONE    skipped (the lane's cursor jumps to the profile's end; err = rating);
 *      SCALAR  cython-interleaved(-f32)'s: pred = pred + w[id] * (code * scale), entry by
 *              entry, the two lanes' chains interleaved (baseline code, no AVX2);
 *      AVX2    the SIMD tier's (float64: products in vectors, ordered adds; float32: 16
 *              partial sums), calling the tier's own inline functions;
 *      LOADS   the same loads, no arithmetic and no chain: the bits of w[id] (and of the
 *              codes) OR-ed together, so only the loads are left (scalar loads in the
 *              scalar family, the tier's 4- or 8-element vector builds in the AVX2 one);
 *      CHAIN   the scalar add chain without W: pred = pred + code * scale (no load from W);
 *      LOADS_L1 (scalar) as LOADS with each id folded into the row's first 16 KiB (id mod
 *              2,048 in float64, 4,096 in float32): as many loads, from the L1;
 *  - an update pass, one of
 *      NONE    skipped;
 *      SCALAR  cython-interleaved(-f32)'s: w[id] += g * (code * scale);
 *      AVX2    the SIMD tier's (slimbench_update / slimbench_update_f32);
 *      LOADS   the loads and stores alone: v = w[id]; w[id] = v (an empty asm between them,
 *              so the compiler must load and store), no multiply, no add; the loops of
 *              the LOADS variants unrolled, so that the skeleton is as fast as they go;
 *      AVX2_VADD float64 only: the tier's update before this probe, a vector of the 4
 *              w[id], a vector add and 4 extracting stores (same roundings, so exact; in
 *              float32 it is the tier's own update);
 *      LOADS_L1 (scalar) as LOADS, the ids folded as the prediction's.
 * The scalar family is compiled as baseline x86-64 code, as the Cython tiers; the AVX2
 * family for target "avx2", as the SIMD kernels; both with the project's flags.
 */
#ifndef SLIMBENCH_STEP_BOUND_H
#define SLIMBENCH_STEP_BOUND_H

#include "_interleaved_simd_f32.h"

enum { SB_NONE = 0, SB_SCALAR = 1, SB_AVX2 = 2, SB_LOADS = 3, SB_CHAIN = 4, SB_AVX2_VADD = 5,
       SB_LOADS_L1 = 6 };
/* LOADS_L1's ids folded into the row's first 16 KiB (half the L1d), as many accesses */
#define SB_L1_BYTES 16384
#define SB_INDEX(kind, T, id) ((kind) == SB_LOADS_L1 ? ((id) & (SB_L1_BYTES / sizeof(T) - 1)) : (id))

#define SB_INLINE static inline __attribute__((always_inline))
/* the scalar family as plain scalar code: left to itself, gcc turns the OR of the loaded
 * bits into SSE2 shuffles, which would make the loads-alone variant slower than its loads */
#define SB_SCALAR_CODE __attribute__((optimize("no-tree-vectorize")))
#ifndef SLIMBENCH_AVX2
#define SLIMBENCH_AVX2 /* no AVX2 kernel in this build: the AVX2 variants are never run */
#endif

static inline uint64_t sb_bits64(double x) { uint64_t u; memcpy(&u, &x, 8); return u; }
static inline uint32_t sb_bits32(float x) { uint32_t u; memcpy(&u, &x, 4); return u; }
/* The loads-alone variants' "prediction": the OR of every loaded element's bits read back
 * as a number, plus the low bit of the OR of the codes: a NaN loaded anywhere in the
 * profile makes it NaN (the test's proof that each entry is loaded), and W's zeros give
 * 0, not a subnormal. */
static inline double sb_value64(uint64_t w, uint64_t c) {
    double x; memcpy(&x, &w, 8); return x + (double)(c & 1);
}
static inline float sb_value32(uint64_t w, uint64_t c) {
    uint32_t u = (uint32_t)w; float x; memcpy(&x, &u, 4); return x + (float)(c & 1);
}

/* ---- the scalar family: cython-interleaved(-f32)'s thread_steps, in C ------------------ */

/* One definition for float64 and float32 (T), so both dtypes are cut the same way. */
#define SB_SCALAR_DRIVER(NAME, T, BLOCK, BITS, VALUE)                                                  \
    SB_INLINE SB_SCALAR_CODE void NAME##_finish(slimbench_lane* lane, T pred, const BLOCK* b, int uk) {       \
        T* w = b->W + lane->item * b->n_cols;                                                  \
        T err = b->step_rating[lane->s] - pred;                                                \
        b->squared_errors[b->order[lane->s]] = (double)err * (double)err;                      \
        const uint16_t* ids = b->ids;                                                          \
        const uint8_t* codes = b->codes;                                                       \
        if (uk == SB_SCALAR) {                                                                 \
            T g = b->learning_rate * err;                                                      \
            for (long long p = lane->start; p < lane->end; p++)                                \
                w[ids[p]] += g * ((T)codes[p] * b->scale);                                     \
        } else if (uk == SB_LOADS || uk == SB_LOADS_L1) {                                      \
            _Pragma("GCC unroll 8")                                                            \
            for (long long p = lane->start; p < lane->end; p++) {                              \
                T v = w[SB_INDEX(uk, T, ids[p])];                                              \
                __asm__("" : "+x"(v));                                                         \
                w[SB_INDEX(uk, T, ids[p])] = v;                                                \
            }                                                                                  \
        }                                                                                      \
        if (b->no_diagonal && uk != SB_NONE) w[lane->item] = 0;                                \
        lane->s += 1;                                                                          \
    }                                                                                          \
    SB_INLINE SB_SCALAR_CODE T NAME##_pred(int pk, const T* w, const uint16_t* ids, const uint8_t* codes,     \
                            long long p, long long end, T acc, uint64_t* bits,                 \
                            uint64_t* cbits, T scale) {                                        \
        if (pk == SB_SCALAR)                                                                   \
            for (; p < end; p++) acc = acc + w[ids[p]] * ((T)codes[p] * scale);                \
        else if (pk == SB_CHAIN)                                                               \
            for (; p < end; p++) acc = acc + (T)codes[p] * scale;                              \
        else if (pk == SB_LOADS || pk == SB_LOADS_L1) {                                        \
            _Pragma("GCC unroll 8")                                                            \
            for (; p < end; p++) {                                                             \
                *bits |= BITS(w[SB_INDEX(pk, T, ids[p])]);                                     \
                *cbits |= codes[p];                                                            \
            }                                                                                  \
        }                                                                                      \
        return acc;                                                                            \
    }                                                                                          \
    SB_INLINE SB_SCALAR_CODE void NAME(slimbench_simd_shared* sh, const BLOCK* b, int pk, int uk) {           \
        slimbench_lane a, c;                                                                   \
        T pred_a = 0, pred_c = 0, scale = b->scale;                                            \
        uint64_t bits_a = 0, bits_c = 0, cbits_a = 0, cbits_c = 0;                             \
        const uint16_t* ids = b->ids;                                                          \
        const uint8_t* codes = b->codes;                                                       \
        a.s = a.s_end = c.s = c.s_end = 0;                                                     \
        int live_a = slimbench_lane_next(&a, sh, ids, codes, b->prefetch);                     \
        int live_c = b->lanes > 1 && slimbench_lane_next(&c, sh, ids, codes, b->prefetch);     \
        while (live_a && live_c) {                                                             \
            long long m = a.end - a.p;                                                         \
            if (c.end - c.p < m) m = c.end - c.p;                                              \
            const T* wa = b->W + a.item * b->n_cols;                                           \
            const T* wc = b->W + c.item * b->n_cols;                                           \
            const long long pa = a.p, pc = c.p;                                                \
            if (pk == SB_SCALAR) {                                                             \
                for (long long j = 0; j < m; j++) {                                            \
                    pred_a = pred_a + wa[ids[pa + j]] * ((T)codes[pa + j] * scale);            \
                    pred_c = pred_c + wc[ids[pc + j]] * ((T)codes[pc + j] * scale);            \
                }                                                                              \
            } else if (pk == SB_CHAIN) {                                                       \
                for (long long j = 0; j < m; j++) {                                            \
                    pred_a = pred_a + (T)codes[pa + j] * scale;                                \
                    pred_c = pred_c + (T)codes[pc + j] * scale;                                \
                }                                                                              \
            } else if (pk == SB_LOADS || pk == SB_LOADS_L1) {                                  \
                _Pragma("GCC unroll 4")                                                        \
                for (long long j = 0; j < m; j++) {                                            \
                    bits_a |= BITS(wa[SB_INDEX(pk, T, ids[pa + j])]);                          \
                    cbits_a |= codes[pa + j];                                                  \
                    bits_c |= BITS(wc[SB_INDEX(pk, T, ids[pc + j])]);                          \
                    cbits_c |= codes[pc + j];                                                  \
                }                                                                              \
            }                                                                                  \
            a.p = pa + m;                                                                      \
            c.p = pc + m;                                                                      \
            if (a.p == a.end) {                                                                \
                NAME##_finish(&a, (pk == SB_LOADS || pk == SB_LOADS_L1) ? VALUE(bits_a, cbits_a) : pred_a, b, uk);    \
                pred_a = 0;                                                                    \
                live_a = slimbench_lane_next(&a, sh, ids, codes, b->prefetch);                 \
            }                                                                                  \
            if (c.p == c.end) {                                                                \
                NAME##_finish(&c, (pk == SB_LOADS || pk == SB_LOADS_L1) ? VALUE(bits_c, cbits_c) : pred_c, b, uk);    \
                pred_c = 0;                                                                    \
                live_c = slimbench_lane_next(&c, sh, ids, codes, b->prefetch);                 \
            }                                                                                  \
        }                                                                                      \
        if (live_c) {                                                                          \
            a = c; pred_a = pred_c; bits_a = bits_c; cbits_a = cbits_c; live_a = 1;            \
        }                                                                                      \
        while (live_a) {                                                                       \
            const T* wa = b->W + a.item * b->n_cols;                                           \
            pred_a = NAME##_pred(pk, wa, ids, codes, a.p, a.end, pred_a, &bits_a, &cbits_a,    \
                                 scale);                                                       \
            NAME##_finish(&a, (pk == SB_LOADS || pk == SB_LOADS_L1) ? VALUE(bits_a, cbits_a) : pred_a, b, uk);        \
            pred_a = 0;                                                                        \
            live_a = slimbench_lane_next(&a, sh, ids, codes, b->prefetch);                     \
        }                                                                                      \
    }

SB_SCALAR_DRIVER(sb_scalar_f64, double, slimbench_simd_block, sb_bits64, sb_value64)
SB_SCALAR_DRIVER(sb_scalar_f32, float, slimbench_simd_block_f32, sb_bits32, sb_value32)

#if SLIMBENCH_SIMD_COMPILED

#define SB_INLINE_AVX2 SB_INLINE SLIMBENCH_AVX2

/* ---- the AVX2 family, float64: slimbench_simd_thread_steps with the passes chosen ------ */

/* the AVX2_VADD update: the float64 tier's update before the probe measured the one it has
 * now (a vector of the 4 w[id], a vector add, 4 extracting stores; the same roundings) */
SB_INLINE_AVX2 void sb_update_vadd(double* w, const slimbench_simd_block* b, long long p,
                                   long long end, double err) {
    const double g = b->learning_rate * err;
    const __m256d vg = _mm256_set1_pd(g), vs = _mm256_set1_pd(b->scale);
    for (; p + 4 <= end; p += 4) {
        const uint16_t* i = b->ids + p;
        __m256d v = _mm256_add_pd(slimbench_load4(w, i),
                                  _mm256_mul_pd(vg, slimbench_codes4(b->codes + p, vs)));
        __m128d lo = _mm256_castpd256_pd128(v), hi = _mm256_extractf128_pd(v, 1);
        _mm_storel_pd(w + i[0], lo);
        _mm_storeh_pd(w + i[1], lo);
        _mm_storel_pd(w + i[2], hi);
        _mm_storeh_pd(w + i[3], hi);
    }
    for (; p < end; p++) w[b->ids[p]] += g * slimbench_rating(b->codes[p], b->scale);
}

SB_INLINE_AVX2 void sb_avx2_f64_finish(slimbench_lane* lane, double pred,
                                       const slimbench_simd_block* b, int uk) {
    double* w = b->W + lane->item * b->n_cols;
    double err = b->step_rating[lane->s] - pred;
    b->squared_errors[b->order[lane->s]] = err * err;
    if (uk == SB_AVX2) {
        slimbench_update(w, b, lane->start, lane->end, err);
    } else if (uk == SB_AVX2_VADD) {
        sb_update_vadd(w, b, lane->start, lane->end, err);
    } else if (uk == SB_LOADS) {
#pragma GCC unroll 8
        for (long long p = lane->start; p < lane->end; p++) {
            double v = w[b->ids[p]];
            __asm__("" : "+x"(v));
            w[b->ids[p]] = v;
        }
    }
    if (b->no_diagonal && uk != SB_NONE) w[lane->item] = 0.0;
    lane->s += 1;
}

/* the loads of 4 entries OR-ed into acc (vector) and bits (the codes), no arithmetic */
SB_INLINE_AVX2 __m256d sb_loads4(__m256d acc, uint64_t* bits, const double* w,
                                 const uint16_t* i, const uint8_t* c) {
    uint32_t x;
    memcpy(&x, c, 4);
    *bits |= x;
    return _mm256_or_pd(acc, slimbench_load4(w, i));
}

SB_INLINE_AVX2 double sb_loads_value(__m256d acc, uint64_t bits) {
    __m128d x = _mm_or_pd(_mm256_castpd256_pd128(acc), _mm256_extractf128_pd(acc, 1));
    x = _mm_or_pd(x, _mm_unpackhi_pd(x, x));
    return sb_value64(sb_bits64(_mm_cvtsd_f64(x)), bits);
}

SB_INLINE_AVX2 void sb_avx2_f64(slimbench_simd_shared* sh, const slimbench_simd_block* b,
                                int pk, int uk) {
    slimbench_lane a, c;
    double pred_a = 0.0, pred_c = 0.0;
    __m256d la = _mm256_setzero_pd(), lc = _mm256_setzero_pd();
    uint64_t ka = 0, kc = 0;
    const double scale = b->scale;
    const __m256d vs = _mm256_set1_pd(scale);
    a.s = a.s_end = c.s = c.s_end = 0;
    int live_a = slimbench_lane_load(&a, sh, b);
    int live_c = b->lanes > 1 && slimbench_lane_load(&c, sh, b);
    while (live_a && live_c) {
        long long m = a.end - a.p;
        if (c.end - c.p < m) m = c.end - c.p;
        const double* wa = b->W + a.item * b->n_cols;
        const double* wc = b->W + c.item * b->n_cols;
        const uint16_t* ia = b->ids + a.p;
        const uint16_t* ic = b->ids + c.p;
        const uint8_t* ca = b->codes + a.p;
        const uint8_t* cc = b->codes + c.p;
        if (pk == SB_AVX2) {
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
        } else if (pk == SB_LOADS) {
            long long j = 0;
            for (; j + 4 <= m; j += 4) {
                la = sb_loads4(la, &ka, wa, ia + j, ca + j);
                lc = sb_loads4(lc, &kc, wc, ic + j, cc + j);
            }
            for (; j < m; j++) {
                la = _mm256_or_pd(la, _mm256_castpd128_pd256(_mm_load_sd(wa + ia[j])));
                ka |= ca[j];
                lc = _mm256_or_pd(lc, _mm256_castpd128_pd256(_mm_load_sd(wc + ic[j])));
                kc |= cc[j];
            }
        }
        a.p += m;
        c.p += m;
        if (a.p == a.end) {
            sb_avx2_f64_finish(&a, pk == SB_LOADS ? sb_loads_value(la, ka) : pred_a, b, uk);
            pred_a = 0.0;
            live_a = slimbench_lane_load(&a, sh, b);
        }
        if (c.p == c.end) {
            sb_avx2_f64_finish(&c, pk == SB_LOADS ? sb_loads_value(lc, kc) : pred_c, b, uk);
            pred_c = 0.0;
            live_c = slimbench_lane_load(&c, sh, b);
        }
    }
    if (live_c) { a = c; pred_a = pred_c; la = lc; ka = kc; live_a = 1; }
    while (live_a) {
        const double* wa = b->W + a.item * b->n_cols;
        long long j = a.p;
        if (pk == SB_AVX2) {
            for (; j + 4 <= a.end; j += 4) {
                __m256d va = _mm256_mul_pd(slimbench_load4(wa, b->ids + j),
                                           slimbench_codes4(b->codes + j, vs));
                pred_a = slimbench_add4(pred_a, va);
            }
            for (; j < a.end; j++)
                pred_a = pred_a + wa[b->ids[j]] * slimbench_rating(b->codes[j], scale);
        } else if (pk == SB_LOADS) {
            for (; j + 4 <= a.end; j += 4) la = sb_loads4(la, &ka, wa, b->ids + j, b->codes + j);
            for (; j < a.end; j++) {
                la = _mm256_or_pd(la, _mm256_castpd128_pd256(_mm_load_sd(wa + b->ids[j])));
                ka |= b->codes[j];
            }
        }
        sb_avx2_f64_finish(&a, pk == SB_LOADS ? sb_loads_value(la, ka) : pred_a, b, uk);
        pred_a = 0.0;
        live_a = slimbench_lane_load(&a, sh, b);
    }
}

/* ---- the AVX2 family, float32: slimbench_simd_thread_steps_f32 with the passes chosen -- */

SB_INLINE_AVX2 void sb_avx2_f32_finish(slimbench_lane* lane, float pred,
                                       const slimbench_simd_block_f32* b, int uk) {
    float* w = b->W + lane->item * b->n_cols;
    float err = b->step_rating[lane->s] - pred;
    b->squared_errors[b->order[lane->s]] = (double)err * (double)err;
    if (uk == SB_AVX2 || uk == SB_AVX2_VADD) {
        slimbench_update_f32(w, b, lane->start, lane->end, err);
    } else if (uk == SB_LOADS) {
#pragma GCC unroll 8
        for (long long p = lane->start; p < lane->end; p++) {
            float v = w[b->ids[p]];
            __asm__("" : "+x"(v));
            w[b->ids[p]] = v;
        }
    }
    if (b->no_diagonal && uk != SB_NONE) w[lane->item] = 0.0f;
    lane->s += 1;
}

/* the loads of 16 entries (the tier's two 8-element builds) OR-ed together, no arithmetic */
SB_INLINE_AVX2 __m256 sb_loads16f(__m256 acc, uint64_t* bits, const float* w,
                                  const uint16_t* i, const uint8_t* c) {
    uint64_t x[2];
    memcpy(x, c, 16);
    *bits |= x[0] | x[1];
    return _mm256_or_ps(acc, _mm256_or_ps(slimbench_load8f(w, i), slimbench_load8f(w, i + 8)));
}

/* the rest of a lane's profile from p, as slimbench_pred_rest walks it */
SB_INLINE_AVX2 float sb_loads_rest_f32(__m256* acc, uint64_t* bits, const float* w,
                                       const uint16_t* ids, const uint8_t* codes,
                                       long long p, long long end) {
    for (; p + 16 <= end; p += 16) *acc = sb_loads16f(*acc, bits, w, ids + p, codes + p);
    if (p + 8 <= end) {
        uint64_t x;
        memcpy(&x, codes + p, 8);
        *bits |= x;
        *acc = _mm256_or_ps(*acc, slimbench_load8f(w, ids + p));
        p += 8;
    }
    for (; p < end; p++) {
        *acc = _mm256_or_ps(*acc, _mm256_castps128_ps256(_mm_load_ss(w + ids[p])));
        *bits |= codes[p];
    }
    __m128 x = _mm_or_ps(_mm256_castps256_ps128(*acc), _mm256_extractf128_ps(*acc, 1));
    x = _mm_or_ps(x, _mm_movehl_ps(x, x));
    x = _mm_or_ps(x, _mm_shuffle_ps(x, x, 1));
    return sb_value32(sb_bits32(_mm_cvtss_f32(x)), *bits);
}

SB_INLINE_AVX2 void sb_avx2_f32(slimbench_simd_shared* sh, const slimbench_simd_block_f32* b,
                                int pk, int uk) {
    slimbench_lane a, c;
    slimbench_pred_f32 pa, pc;
    __m256 la = _mm256_setzero_ps(), lc = _mm256_setzero_ps();
    uint64_t ka = 0, kc = 0;
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
        if (pk == SB_AVX2) {
            for (long long j = 0; j < m; j += 16) {
                SLIMBENCH_PRED16(pa, wa, ids + a.p + j, codes + a.p + j, vs);
                SLIMBENCH_PRED16(pc, wc, ids + c.p + j, codes + c.p + j, vs);
            }
        } else if (pk == SB_LOADS) {
            for (long long j = 0; j < m; j += 16) {
                la = sb_loads16f(la, &ka, wa, ids + a.p + j, codes + a.p + j);
                lc = sb_loads16f(lc, &kc, wc, ids + c.p + j, codes + c.p + j);
            }
        }
        a.p += m;
        c.p += m;
        if (a.end - a.p < 16) {
            float pred = 0.0f;
            if (pk == SB_AVX2)
                pred = slimbench_pred_rest(&pa, wa, ids, codes, a.p, a.end, b->scale);
            else if (pk == SB_LOADS)
                pred = sb_loads_rest_f32(&la, &ka, wa, ids, codes, a.p, a.end);
            sb_avx2_f32_finish(&a, pred, b, uk);
            pa.acc0 = pa.acc1 = _mm256_setzero_ps();
            live_a = slimbench_lane_next(&a, sh, ids, codes, b->prefetch);
        }
        if (c.end - c.p < 16) {
            float pred = 0.0f;
            if (pk == SB_AVX2)
                pred = slimbench_pred_rest(&pc, wc, ids, codes, c.p, c.end, b->scale);
            else if (pk == SB_LOADS)
                pred = sb_loads_rest_f32(&lc, &kc, wc, ids, codes, c.p, c.end);
            sb_avx2_f32_finish(&c, pred, b, uk);
            pc.acc0 = pc.acc1 = _mm256_setzero_ps();
            live_c = slimbench_lane_next(&c, sh, ids, codes, b->prefetch);
        }
    }
    if (live_c) { a = c; pa = pc; la = lc; ka = kc; live_a = 1; }
    while (live_a) {
        const float* wa = b->W + a.item * b->n_cols;
        float pred = 0.0f;
        if (pk == SB_AVX2)
            pred = slimbench_pred_rest(&pa, wa, ids, codes, a.p, a.end, b->scale);
        else if (pk == SB_LOADS)
            pred = sb_loads_rest_f32(&la, &ka, wa, ids, codes, a.p, a.end);
        sb_avx2_f32_finish(&a, pred, b, uk);
        pa.acc0 = pa.acc1 = _mm256_setzero_ps();
        live_a = slimbench_lane_next(&a, sh, ids, codes, b->prefetch);
    }
}

/* n_bytes read from buf (of buf_bytes, a multiple of 128) over and over, 32 B loads into
 * four independent accumulators: the streaming read the step's W traffic is set against. */
SLIMBENCH_AVX2 static double sb_stream_read(const double* buf, long long buf_bytes,
                                            long long n_bytes) {
    __m256d s0 = _mm256_setzero_pd(), s1 = s0, s2 = s0, s3 = s0;
    long long n = buf_bytes / 8, done = 0;
    while (done < n_bytes) {
        for (long long k = 0; k + 16 <= n; k += 16) {
            s0 = _mm256_or_pd(s0, _mm256_loadu_pd(buf + k));
            s1 = _mm256_or_pd(s1, _mm256_loadu_pd(buf + k + 4));
            s2 = _mm256_or_pd(s2, _mm256_loadu_pd(buf + k + 8));
            s3 = _mm256_or_pd(s3, _mm256_loadu_pd(buf + k + 12));
        }
        done += buf_bytes;
    }
    return _mm256_cvtsd_f64(_mm256_or_pd(_mm256_or_pd(s0, s1), _mm256_or_pd(s2, s3)));
}

#else
SB_INLINE void sb_avx2_f64(slimbench_simd_shared* sh, const slimbench_simd_block* b, int pk,
                           int uk) { (void)sh; (void)b; (void)pk; (void)uk; }
SB_INLINE void sb_avx2_f32(slimbench_simd_shared* sh, const slimbench_simd_block_f32* b,
                           int pk, int uk) { (void)sh; (void)b; (void)pk; (void)uk; }
static double sb_stream_read(const double* buf, long long buf_bytes, long long n_bytes) {
    (void)buf; (void)buf_bytes; (void)n_bytes; return 0.0;
}
#endif

/* ---- the variants: one function each, so each is compiled with its passes fixed -------- */

#define SB_VARIANTS(X)                                             \
    X(0, step_scalar, scalar, SB_SCALAR, SB_SCALAR)                \
    X(1, step_avx2, avx2, SB_AVX2, SB_AVX2)                        \
    X(2, pred_scalar, scalar, SB_SCALAR, SB_NONE)                  \
    X(3, pred_avx2, avx2, SB_AVX2, SB_NONE)                        \
    X(4, pred_loads_scalar, scalar, SB_LOADS, SB_NONE)             \
    X(5, pred_loads_avx2, avx2, SB_LOADS, SB_NONE)                 \
    X(6, pred_chain, scalar, SB_CHAIN, SB_NONE)                    \
    X(7, update_scalar, scalar, SB_NONE, SB_SCALAR)                \
    X(8, update_avx2, avx2, SB_NONE, SB_AVX2)                      \
    X(9, update_loads_stores, scalar, SB_NONE, SB_LOADS)           \
    X(10, skeleton_scalar, scalar, SB_LOADS, SB_LOADS)             \
    X(11, skeleton_avx2, avx2, SB_LOADS, SB_LOADS)                 \
    X(12, dealing, scalar, SB_NONE, SB_NONE)                       \
    X(13, step_avx2_vadd, avx2, SB_AVX2, SB_AVX2_VADD)               \
    X(14, update_avx2_vadd, avx2, SB_NONE, SB_AVX2_VADD)             \
    X(15, skeleton_l1, scalar, SB_LOADS_L1, SB_LOADS_L1)

#define SB_N_VARIANTS 16

#define SB_ATTR_scalar SB_SCALAR_CODE
#define SB_ATTR_avx2 SLIMBENCH_AVX2
#define SB_CALL_scalar(dt) sb_scalar_##dt
#define SB_CALL_avx2(dt) sb_avx2_##dt

#define SB_DEFINE(k, name, family, pk, uk)                                                     \
    SB_ATTR_##family static void sb_f64_##name(slimbench_simd_shared* sh,                      \
                                               const slimbench_simd_block* b) {                \
        SB_CALL_##family(f64)(sh, b, pk, uk);                                                  \
    }                                                                                          \
    SB_ATTR_##family static void sb_f32_##name(slimbench_simd_shared* sh,                      \
                                               const slimbench_simd_block_f32* b) {            \
        SB_CALL_##family(f32)(sh, b, pk, uk);                                                  \
    }
SB_VARIANTS(SB_DEFINE)

/* 1 if variant k uses AVX2 (it may run only where slimbench_simd_supported()) */
static int sb_variant_avx2(int k) {
#define SB_IS_AVX2(kk, name, family, pk, uk) if (k == kk) return SB_FAMILY_IS_AVX2_##family;
#define SB_FAMILY_IS_AVX2_scalar 0
#define SB_FAMILY_IS_AVX2_avx2 1
    SB_VARIANTS(SB_IS_AVX2)
    return 0;
}

static const char* sb_variant_name(int k) {
#define SB_NAME(kk, name, family, pk, uk) if (k == kk) return #name;
    SB_VARIANTS(SB_NAME)
    return NULL;
}

/* run variant k on the block; 0 if there is no such variant */
static int sb_run_f64(int k, slimbench_simd_shared* sh, const slimbench_simd_block* b) {
#define SB_RUN64(kk, name, family, pk, uk) if (k == kk) { sb_f64_##name(sh, b); return 1; }
    SB_VARIANTS(SB_RUN64)
    return 0;
}

static int sb_run_f32(int k, slimbench_simd_shared* sh, const slimbench_simd_block_f32* b) {
#define SB_RUN32(kk, name, family, pk, uk) if (k == kk) { sb_f32_##name(sh, b); return 1; }
    SB_VARIANTS(SB_RUN32)
    return 0;
}

#endif
