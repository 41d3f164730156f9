// Internal to IntKernels: the AVX-512 target attribute and the exact vector requantization.
#ifndef INT_KERNELS_AVX512_H
#define INT_KERNELS_AVX512_H

#include "IntKernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>

#define Q8H_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx512vbmi")))
#define Q8H_INLINE static inline __attribute__((always_inline)) Q8H_TARGET

/// `requantize(acc, M0, shift)` of 16 accumulators (channels of the block whose parameters start
/// at `p`) as int32, no zero point, no clamp: lane i equals QuantCore's
/// `requantize(acc[i], M[i], shift[i])`; `q8h_pack64` adds the zero point and clamps.
///
/// The products are formed in 64 bits, even and odd lanes apart (`vpmuldq` multiplies the low
/// 32 bits of each 64-bit lane). Fused form: with p = acc·M, t = p + 2^30 (so t < 0 ⟺ p < −2^30),
/// the result is (p + 2^30 + 2^(30+e) − [t < 0]·2^31) >> (31 + e) for e ≥ 1, (p + 2^30) >> 31 for
/// e = 0 — TFLite's two roundings in one (Sources/IntEngine/Optimized/VectorRequantize.swift
/// derives it). When the clamp's lower bound is at or above the zero point (`rq->lo ≥ 0`: ReLU,
/// ReLU6) the correction is skipped: it applies only where t < 0, and there the result is ≤ 0
/// with or without it (the numerator stays below 2^(30+e)), so the clamp turns it into lo − zp
/// either way. General form: saturating left shift, the rounding doubling high multiply, the
/// rounding right shift, step by step.
Q8H_INLINE __m512i q8h_scale16(__m512i acc, const int64_t *p, const q8h_requant *rq) {
    const __m512i odd = _mm512_srli_epi64(acc, 32);
    const __m512i interleave = _mm512_set_epi32(30, 14, 28, 12, 26, 10, 24, 8, 22, 6, 20, 4, 18, 2, 16, 0);
    if (!rq->general) {
        __m512i pe = _mm512_mul_epi32(acc, _mm512_load_si512(p));
        __m512i po = _mm512_mul_epi32(odd, _mm512_load_si512(p + 8));
        if (rq->lo < 0) {  // lo ≥ zp: the correction cannot change the output (see above), skipped
            const __m512i threshold = _mm512_set1_epi64(-(INT64_C(1) << 30));
            const __mmask8 ne = _mm512_cmplt_epi64_mask(pe, threshold), no = _mm512_cmplt_epi64_mask(po, threshold);
            pe = _mm512_mask_sub_epi64(pe, ne, pe, _mm512_load_si512(p + 32));
            po = _mm512_mask_sub_epi64(po, no, po, _mm512_load_si512(p + 40));
        }
        pe = _mm512_add_epi64(pe, _mm512_load_si512(p + 16));
        po = _mm512_add_epi64(po, _mm512_load_si512(p + 24));
        pe = _mm512_srav_epi64(pe, _mm512_load_si512(p + 48));
        po = _mm512_srav_epi64(po, _mm512_load_si512(p + 56));
        return _mm512_permutex2var_epi32(pe, interleave, po);
    }
    const __m512i lo32 = _mm512_set1_epi64(INT32_MIN), hi32 = _mm512_set1_epi64(INT32_MAX);
    const __m512i half = _mm512_set1_epi64(INT64_C(1) << 30);
    __m512i xe = _mm512_srai_epi64(_mm512_slli_epi64(acc, 32), 32), xo = _mm512_srai_epi64(acc, 32);
    xe = _mm512_min_epi64(_mm512_max_epi64(_mm512_sllv_epi64(xe, _mm512_load_si512(p + 16)), lo32), hi32);
    xo = _mm512_min_epi64(_mm512_max_epi64(_mm512_sllv_epi64(xo, _mm512_load_si512(p + 24)), lo32), hi32);
    __m512i he = _mm512_srai_epi64(_mm512_add_epi64(_mm512_mul_epi32(xe, _mm512_load_si512(p)), half), 31);
    __m512i ho = _mm512_srai_epi64(_mm512_add_epi64(_mm512_mul_epi32(xo, _mm512_load_si512(p + 8)), half), 31);
    const __m512i high = _mm512_permutex2var_epi32(he, interleave, ho);
    const __m512i e = _mm512_load_si512(p + 32);
    const __m512i mask = _mm512_sub_epi32(_mm512_sllv_epi32(_mm512_set1_epi32(1), e), _mm512_set1_epi32(1));
    const __m512i threshold = _mm512_sub_epi32(_mm512_srai_epi32(mask, 1), _mm512_srai_epi32(high, 31));
    return _mm512_sub_epi32(_mm512_srav_epi32(high, e),
                            _mm512_srai_epi32(_mm512_sub_epi32(threshold, _mm512_and_si512(high, mask)), 31));
}

/// Four vectors of `q8h_scale16` results → 64 int8 bytes (r0's 16 lanes, then r1's, r2's, r3's)
/// with zero point and clamp, by saturating packs: int32 → int16 (saturating), + zp (saturating),
/// → int8 (saturating), then the clamp to [lo, hi] on bytes. Exactly `clamp(v + zp, lo, hi)`:
/// a value a pack saturates is beyond the int8 range after + zp as well, so the clamp gives the
/// same bound. The packs interleave 128-bit lanes; one dword permutation puts them in order.
Q8H_INLINE __m512i q8h_pack64(__m512i r0, __m512i r1, __m512i r2, __m512i r3, const q8h_requant *rq) {
    const __m512i zp = _mm512_set1_epi16((short)rq->zeroPoint);
    const __m512i a = _mm512_adds_epi16(_mm512_packs_epi32(r0, r1), zp);
    const __m512i b = _mm512_adds_epi16(_mm512_packs_epi32(r2, r3), zp);
    __m512i bytes = _mm512_packs_epi16(a, b);
    bytes = _mm512_min_epi8(_mm512_max_epi8(bytes, _mm512_set1_epi8((char)(rq->lo + rq->zeroPoint))),
                            _mm512_set1_epi8((char)(rq->hi + rq->zeroPoint)));
    // Lane L holds dwords (r0, r1, r2, r3)[4L..4L+3]: dword 4L + t → 4t + L.
    const __m512i order = _mm512_set_epi32(15, 11, 7, 3, 14, 10, 6, 2, 13, 9, 5, 1, 12, 8, 4, 0);
    return _mm512_permutexvar_epi32(order, bytes);
}

/// The 16 bytes of 128-bit lane `t` (0…3) of `v` (`t` a constant after unrolling).
Q8H_INLINE __m128i q8h_lane(__m512i v, int t) {
    switch (t) {
    case 0: return _mm512_castsi512_si128(v);
    case 1: return _mm512_extracti32x4_epi32(v, 1);
    case 2: return _mm512_extracti32x4_epi32(v, 2);
    default: return _mm512_extracti32x4_epi32(v, 3);
    }
}

/// Stores the first `valid` (1…16) bytes of `v`.
Q8H_INLINE void q8h_store16(int8_t *out, __m128i v, int valid) {
    if (valid >= 16) _mm_storeu_si128((__m128i *)out, v);
    else _mm_mask_storeu_epi8(out, (__mmask16)((1u << valid) - 1), v);
}

/// The 4 bytes at `p` (any alignment) broadcast to 16 lanes.
Q8H_INLINE __m512i q8h_broadcast4(const uint8_t *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return _mm512_set1_epi32(v);
}
#endif
#endif
