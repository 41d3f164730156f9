// Squeeze-excitation multiply with AVX-512: every pixel's channels times the per-channel gate,
// (x − zp_x)·(g − zp_g) in int32 (16 lanes), requantized with one multiplier and packed 64
// bytes at a time (q8h_scale16, q8h_pack64).
#include "avx512.h"

#if defined(__x86_64__)
/// The 16 int8 values of 128-bit lane `j` of `v` widened to int32, minus `zp`.
Q8H_INLINE __m512i widen(__m512i v, int j, __m512i zp) {
    return _mm512_sub_epi32(_mm512_cvtepi8_epi32(q8h_lane(v, j)), zp);
}

Q8H_TARGET void q8h_channel_mul(const int8_t *x, const int8_t *gate, int pixels, int channels, int32_t zpX, int32_t zpG,
                                const q8h_requant *rq, int8_t *out) {
    const __m512i zx = _mm512_set1_epi32(zpX), zg = _mm512_set1_epi32(zpG);
    const int64_t *params = rq->params;
    if (channels <= 16) {
        // Up to 16 channels: 4 pixels per requantization.
        const __mmask16 m = (__mmask16)((1u << channels) - 1);
        const __m512i g = _mm512_sub_epi32(_mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(m, gate)), zg);
        for (int p = 0; p < pixels; p += 4) {
            __m512i s[4];
            for (int j = 0; j < 4; j++) {
                const int8_t *row = x + (size_t)(p + j < pixels ? p + j : p) * channels;
                const __m512i v = _mm512_sub_epi32(_mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(m, row)), zx);
                s[j] = q8h_scale16(_mm512_mullo_epi32(v, g), params, rq);
            }
            const __m512i bytes = q8h_pack64(s[0], s[1], s[2], s[3], rq);
            for (int j = 0; j < 4 && p + j < pixels; j++) _mm_mask_storeu_epi8(out + (size_t)(p + j) * channels, m, q8h_lane(bytes, j));
        }
        return;
    }
    for (int ch = 0; ch < channels; ch += 64) {
        const int n = channels - ch < 64 ? channels - ch : 64;
        const __mmask64 m = n >= 64 ? ~(__mmask64)0 : (~0ull >> (64 - n));
        const __m512i gv = _mm512_maskz_loadu_epi8(m, gate + ch);
        const __m512i g0 = widen(gv, 0, zg), g1 = widen(gv, 1, zg), g2 = widen(gv, 2, zg), g3 = widen(gv, 3, zg);
        for (int p = 0; p < pixels; p++) {
            const __m512i v = _mm512_maskz_loadu_epi8(m, x + (size_t)p * channels + ch);
            const __m512i s0 = q8h_scale16(_mm512_mullo_epi32(widen(v, 0, zx), g0), params, rq);
            const __m512i s1 = q8h_scale16(_mm512_mullo_epi32(widen(v, 1, zx), g1), params, rq);
            const __m512i s2 = n > 32 ? q8h_scale16(_mm512_mullo_epi32(widen(v, 2, zx), g2), params, rq) : s1;
            const __m512i s3 = n > 48 ? q8h_scale16(_mm512_mullo_epi32(widen(v, 3, zx), g3), params, rq) : s1;
            _mm512_mask_storeu_epi8(out + (size_t)p * channels + ch, m, q8h_pack64(s0, s1, s2, s3, rq));
        }
    }
}
#else
void q8h_channel_mul(const int8_t *x, const int8_t *gate, int pixels, int channels, int32_t zpX, int32_t zpG,
                     const q8h_requant *rq, int8_t *out) {
    (void)x; (void)gate; (void)pixels; (void)channels; (void)zpX; (void)zpG; (void)rq; (void)out;
}
#endif
