// Internal to IntKernels: the AVX-512 target attribute and the exact 16-lane requantization.
#ifndef INT_KERNELS_AVX512_H
#define INT_KERNELS_AVX512_H

#include "IntKernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>

#define Q8H_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx512vbmi")))
#define Q8H_INLINE static inline __attribute__((always_inline)) Q8H_TARGET

/// Requantizes 16 int32 accumulators (channels of the block whose parameters start at `p`) to
/// int8 with zero point and clamp: lane i equals QuantCore's
/// `requantizeToInt8(acc[i], M[i], shift[i], zeroPoint:, lo:, hi:)`.
///
/// The products are formed in 64 bits, even and odd lanes apart (`vpmuldq` multiplies the low
/// 32 bits of each 64-bit lane). Fused form: with p = acc·M, t = p + 2^30 (so t < 0 ⟺ p < −2^30),
/// the result is (p + 2^30 + 2^(30+e) − [t < 0]·2^31) >> (31 + e) for e ≥ 1, (p + 2^30) >> 31 for
/// e = 0 — TFLite's two roundings in one (Sources/IntEngine/Optimized/VectorRequantize.swift
/// derives it). General form: saturating left shift, the rounding doubling high multiply, the
/// rounding right shift, step by step.
Q8H_INLINE __m128i q8h_requant16(__m512i acc, const int64_t *p, const q8h_requant *rq) {
    const __m512i odd = _mm512_srli_epi64(acc, 32);
    const __m512i interleave = _mm512_set_epi32(30, 14, 28, 12, 26, 10, 24, 8, 22, 6, 20, 4, 18, 2, 16, 0);
    __m512i r;
    if (!rq->general) {
        __m512i pe = _mm512_mul_epi32(acc, _mm512_load_si512(p));
        __m512i po = _mm512_mul_epi32(odd, _mm512_load_si512(p + 8));
        const __m512i threshold = _mm512_set1_epi64(-(INT64_C(1) << 30));
        const __mmask8 ne = _mm512_cmplt_epi64_mask(pe, threshold), no = _mm512_cmplt_epi64_mask(po, threshold);
        pe = _mm512_add_epi64(pe, _mm512_load_si512(p + 16));
        po = _mm512_add_epi64(po, _mm512_load_si512(p + 24));
        pe = _mm512_mask_sub_epi64(pe, ne, pe, _mm512_load_si512(p + 32));
        po = _mm512_mask_sub_epi64(po, no, po, _mm512_load_si512(p + 40));
        pe = _mm512_srav_epi64(pe, _mm512_load_si512(p + 48));
        po = _mm512_srav_epi64(po, _mm512_load_si512(p + 56));
        r = _mm512_permutex2var_epi32(pe, interleave, po);
    } else {
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
        r = _mm512_sub_epi32(_mm512_srav_epi32(high, e),
                             _mm512_srai_epi32(_mm512_sub_epi32(threshold, _mm512_and_si512(high, mask)), 31));
    }
    r = _mm512_min_epi32(_mm512_max_epi32(r, _mm512_set1_epi32(rq->lo)), _mm512_set1_epi32(rq->hi));
    return _mm512_cvtepi32_epi8(_mm512_add_epi32(r, _mm512_set1_epi32(rq->zeroPoint)));
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
