// Requantized int8 GEMM with AVX-512 VNNI (`vpdpbusd`: 4 unsigned × signed byte products
// summed into each int32 lane, wrapping, no saturation — exactly the reference's int32 sums).
#include "avx512.h"

#if defined(__x86_64__)
/// Rows of the micro-kernel: 6 rows × up to 4 blocks of 16 channels = 24 accumulators.
enum { MR = 6 };

/// `R` rows × `NB` 16-channel blocks (both literals at the call sites, so the loops unroll and
/// the accumulators stay in registers). Each k step broadcasts 4 input bytes of a row and adds
/// their products with 4 weights of each of the block's 16 channels.
Q8H_INLINE void tile(int R, int NB, const uint8_t *x, ptrdiff_t rs, const int8_t *w, ptrdiff_t blockBytes, int k4,
                     const int32_t *bias, const q8h_requant *rq, const int64_t *params, int8_t *out, ptrdiff_t os, int valid) {
    __m512i acc[MR][4];
    for (int b = 0; b < NB; b++) {
        const __m512i bv = _mm512_load_si512(bias + 16 * b);
        for (int r = 0; r < R; r++) acc[r][b] = bv;
    }
    for (int i = 0; i < k4; i++) {
        __m512i wv[4];
        for (int b = 0; b < NB; b++) wv[b] = _mm512_load_si512(w + b * blockBytes + 64 * i);
        for (int r = 0; r < R; r++) {
            const __m512i xv = q8h_broadcast4(x + r * rs + 4 * i);
            for (int b = 0; b < NB; b++) acc[r][b] = _mm512_dpbusd_epi32(acc[r][b], xv, wv[b]);
        }
    }
    // Requantization packs 4 vectors at once: 4 rows of one block, 2 rows of two, or one row.
    const __m512i zero = _mm512_setzero_si512();
    if (NB == 1) {
        for (int r = 0; r < R; r += 4) {
            __m512i s[4];
            for (int t = 0; t < 4; t++) s[t] = r + t < R ? q8h_scale16(acc[r + t][0], params, rq) : zero;
            const __m512i v = q8h_pack64(s[0], s[1], s[2], s[3], rq);
            for (int t = 0; t < 4 && r + t < R; t++) q8h_store16(out + (r + t) * os, q8h_lane(v, t), valid);
        }
    } else if (NB == 2) {
        const int n = valid < 32 ? valid : 32;
        const __mmask32 m = n >= 32 ? ~(__mmask32)0 : (((__mmask32)1 << n) - 1);
        for (int r = 0; r < R; r += 2) {
            const __m512i s0 = q8h_scale16(acc[r][0], params, rq), s1 = q8h_scale16(acc[r][1], params + 64, rq);
            const __m512i s2 = r + 1 < R ? q8h_scale16(acc[r + 1][0], params, rq) : zero;
            const __m512i s3 = r + 1 < R ? q8h_scale16(acc[r + 1][1], params + 64, rq) : zero;
            const __m512i v = q8h_pack64(s0, s1, s2, s3, rq);
            _mm256_mask_storeu_epi8(out + r * os, m, _mm512_castsi512_si256(v));
            if (r + 1 < R) _mm256_mask_storeu_epi8(out + (r + 1) * os, m, _mm512_extracti64x4_epi64(v, 1));
        }
    } else {
        const int n = valid < 16 * NB ? valid : 16 * NB;
        const __mmask64 m = n >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << n) - 1);
        for (int r = 0; r < R; r++) {
            __m512i s[4];
            for (int b = 0; b < 4; b++) s[b] = b < NB ? q8h_scale16(acc[r][b], params + 64 * b, rq) : zero;
            _mm512_mask_storeu_epi8(out + r * os, m, q8h_pack64(s[0], s[1], s[2], s[3], rq));
        }
    }
}

#define Q8H_TILE_CASE(R, NB) \
    case (R) * 8 + (NB): tile(R, NB, x, rowStride, w, blockBytes, k4, bias + 16 * b, rq, rq->params + 64 * b, o, outStride, v); break;
#define Q8H_TILE_ROW(R) Q8H_TILE_CASE(R, 1) Q8H_TILE_CASE(R, 2) Q8H_TILE_CASE(R, 3) Q8H_TILE_CASE(R, 4)

Q8H_TARGET void q8h_gemm(const uint8_t *rows, ptrdiff_t rowStride, int count, const int8_t *weights, int k4, int blocks,
                         int valid, const int32_t *bias, const q8h_requant *rq, int8_t *out, ptrdiff_t outStride) {
    const ptrdiff_t blockBytes = (ptrdiff_t)k4 * 64;
    for (int b = 0; b < blocks; b += 4) {
        const int nb = blocks - b < 4 ? blocks - b : 4;
        const int8_t *w = weights + b * blockBytes;
        const int v = valid - 16 * b;
        for (int r = 0; r < count; r += MR) {
            const int n = count - r < MR ? count - r : MR;
            const uint8_t *x = rows + r * rowStride;
            int8_t *o = out + r * outStride + 16 * b;
            switch (n * 8 + nb) {
                Q8H_TILE_ROW(1) Q8H_TILE_ROW(2) Q8H_TILE_ROW(3) Q8H_TILE_ROW(4) Q8H_TILE_ROW(5) Q8H_TILE_ROW(6)
            }
        }
    }
}

Q8H_TARGET void q8h_to_unsigned(const int8_t *src, uint8_t *dst, size_t count) {
    const __m512i flip = _mm512_set1_epi8((char)0x80);
    size_t i = 0;
    for (; i + 64 <= count; i += 64) {
        _mm512_storeu_si512(dst + i, _mm512_xor_si512(_mm512_loadu_si512(src + i), flip));
    }
    if (i < count) {
        const __mmask64 m = (__mmask64)(~0ull >> (64 - (count - i)));
        _mm512_mask_storeu_epi8(dst + i, m, _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, src + i), flip));
    }
}
#else
void q8h_gemm(const uint8_t *rows, ptrdiff_t rowStride, int count, const int8_t *weights, int k4, int blocks,
              int valid, const int32_t *bias, const q8h_requant *rq, int8_t *out, ptrdiff_t outStride) {
    (void)rows; (void)rowStride; (void)count; (void)weights; (void)k4; (void)blocks; (void)valid; (void)bias; (void)rq;
    (void)out; (void)outStride;
}
void q8h_to_unsigned(const int8_t *src, uint8_t *dst, size_t count) {
    for (size_t i = 0; i < count; i++) dst[i] = (uint8_t)src[i] ^ 0x80;
}
#endif
