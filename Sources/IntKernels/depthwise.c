// Depthwise convolution with AVX-512 VNNI. Each input row the window needs is made once into a
// quad row: for every column x and channel c the 4 unsigned bytes u(x..x+3, c) (u = x + 128,
// positions outside the input hold the pad value the same way) side by side in one int32
// lane, so one `vpdpbusd` adds 4 horizontal taps of 16 channels. A ring of k quad rows (row r in
// slot r mod k) feeds every output row; borders need no separate path.
// Σ (x − zp)·w = Σ u·w − (zp + 128)·Σ w, the second term folded into the bias.
#include "avx512.h"

size_t q8h_depthwise_scratch(const q8h_depthwise_t *d) {
    const size_t u = ((size_t)d->uWidth * (size_t)d->paddedChannels + 63) / 64 * 64;
    return u + (size_t)d->k * (size_t)d->qWidth * (size_t)d->paddedChannels * 4;
}

#if defined(__x86_64__)
static int gcd(int a, int b) { return b == 0 ? a : gcd(b, a % b); }

/// Builds the quad row of padded row `r` (input row r − padTop) into `q`, via the unsigned
/// padded row `u`. Only the columns an output reads are built (multiples of gcd(strideW, 4)).
Q8H_INLINE void build_quads(const q8h_depthwise_t *d, const int8_t *input, int r, uint8_t *u, uint8_t *q) {
    const int cp = d->paddedChannels, c = d->channels;
    const int iy = r - d->padTop;
    const int first = d->padLeft > 0 ? d->padLeft : 0;
    const int end = d->padLeft + d->inW < d->uWidth ? d->padLeft + d->inW : d->uWidth;
    if (iy < 0 || iy >= d->inH || first >= end) {
        memcpy(u, d->padRow, (size_t)d->uWidth * (size_t)cp);
    } else {
        // Pad columns from the pad row; the input's columns converted (a channel beyond c keeps
        // whatever it held: its weights are zero and its outputs are never stored).
        memcpy(u, d->padRow, (size_t)first * (size_t)cp);
        memcpy(u + (size_t)end * cp, d->padRow + (size_t)end * cp, (size_t)(d->uWidth - end) * (size_t)cp);
        const __m512i flip = _mm512_set1_epi8((char)0x80);
        const int8_t *src = input + ((size_t)iy * d->inW + (first - d->padLeft)) * c;
        uint8_t *dst = u + (size_t)first * cp;
        if (c == cp) {
            q8h_to_unsigned(src, dst, (size_t)(end - first) * (size_t)c);
        } else {
            for (int x = first; x < end; x++, src += c, dst += cp) {
                for (int ch = 0; ch < c; ch += 64) {
                    const int n = c - ch < 64 ? c - ch : 64;
                    const __mmask64 m = (__mmask64)(~0ull >> (64 - n));
                    _mm512_mask_storeu_epi8(dst + ch, m, _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, src + ch), flip));
                }
            }
        }
    }
    // Byte 4c + t of a quad block comes from byte 16t + c of [u(x) | u(x+1) | u(x+2) | u(x+3)].
    static const int8_t order[64] = {
        0, 16, 32, 48, 1, 17, 33, 49, 2, 18, 34, 50, 3, 19, 35, 51, 4, 20, 36, 52, 5, 21, 37, 53, 6, 22, 38, 54,
        7, 23, 39, 55, 8, 24, 40, 56, 9, 25, 41, 57, 10, 26, 42, 58, 11, 27, 43, 59, 12, 28, 44, 60, 13, 29, 45, 61,
        14, 30, 46, 62, 15, 31, 47, 63};
    const __m512i idx = _mm512_loadu_si512(order);
    const int step = gcd(d->strideW, 4);
    for (int x = 0; x < d->qWidth; x += step) {
        const uint8_t *s = u + (size_t)x * cp;
        uint8_t *t = q + (size_t)x * cp * 4;
        for (int ch = 0; ch < cp; ch += 16) {
            __m512i v = _mm512_castsi128_si512(_mm_loadu_si128((const __m128i *)(s + ch)));
            v = _mm512_inserti32x4(v, _mm_loadu_si128((const __m128i *)(s + cp + ch)), 1);
            v = _mm512_inserti32x4(v, _mm_loadu_si128((const __m128i *)(s + 2 * cp + ch)), 2);
            v = _mm512_inserti32x4(v, _mm_loadu_si128((const __m128i *)(s + 3 * cp + ch)), 3);
            _mm512_store_si512(t + ch * 4, _mm512_permutexvar_epi8(idx, v));
        }
    }
}

/// One output row, 16 channels at a time, 4 output pixels per step; `K` is k (a literal for 3
/// and 5, so the tap loops unroll and the weights stay in registers).
Q8H_INLINE void output_row(const q8h_depthwise_t *d, int K, uint8_t *const *rows, int8_t *out) {
    const int cp = d->paddedChannels, c = d->channels, nq = (K + 3) / 4, sw = d->strideW, width = d->outW;
    const ptrdiff_t col = (ptrdiff_t)cp * 4;
    for (int ch = 0; ch < cp; ch += 16) {
        const int8_t *w = d->weights + (size_t)ch * K * nq * 4;
        const __m512i bias = _mm512_load_si512(d->bias + ch);
        const int64_t *params = d->rq.params + 4 * ch;
        for (int ox = 0; ox < width; ox += 4) {
            __m512i a0 = bias, a1 = bias, a2 = bias, a3 = bias;
            for (int ky = 0; ky < K; ky++) {
                const uint8_t *row = rows[ky] + (ptrdiff_t)ox * sw * col + ch * 4;
                for (int m = 0; m < nq; m++) {
                    const __m512i wk = _mm512_load_si512(w + (ky * nq + m) * 64);
                    const uint8_t *p = row + 4 * m * col;
                    a0 = _mm512_dpbusd_epi32(a0, _mm512_load_si512(p), wk);
                    a1 = _mm512_dpbusd_epi32(a1, _mm512_load_si512(p + sw * col), wk);
                    a2 = _mm512_dpbusd_epi32(a2, _mm512_load_si512(p + 2 * sw * col), wk);
                    a3 = _mm512_dpbusd_epi32(a3, _mm512_load_si512(p + 3 * sw * col), wk);
                }
            }
            const int valid = c - ch;
            int8_t *o = out + (ptrdiff_t)ox * c + ch;
            const __m512i bytes = q8h_pack64(q8h_scale16(a0, params, &d->rq), q8h_scale16(a1, params, &d->rq),
                                             q8h_scale16(a2, params, &d->rq), q8h_scale16(a3, params, &d->rq), &d->rq);
            q8h_store16(o, _mm512_castsi512_si128(bytes), valid);
            if (ox + 1 < width) q8h_store16(o + c, _mm512_extracti32x4_epi32(bytes, 1), valid);
            if (ox + 2 < width) q8h_store16(o + 2 * c, _mm512_extracti32x4_epi32(bytes, 2), valid);
            if (ox + 3 < width) q8h_store16(o + 3 * c, _mm512_extracti32x4_epi32(bytes, 3), valid);
        }
    }
}

/// The same for outputs at most 2 pixels wide: 2 output pixels per step (half the work of a
/// 4-pixel tile there).
Q8H_INLINE void output_row2(const q8h_depthwise_t *d, int K, uint8_t *const *rows, int8_t *out) {
    const int cp = d->paddedChannels, c = d->channels, nq = (K + 3) / 4, sw = d->strideW, width = d->outW;
    const ptrdiff_t col = (ptrdiff_t)cp * 4;
    for (int ch = 0; ch < cp; ch += 16) {
        const int8_t *w = d->weights + (size_t)ch * K * nq * 4;
        const __m512i bias = _mm512_load_si512(d->bias + ch);
        const int64_t *params = d->rq.params + 4 * ch;
        __m512i a0 = bias, a1 = bias;
        for (int ky = 0; ky < K; ky++) {
            const uint8_t *row = rows[ky] + ch * 4;
            for (int m = 0; m < nq; m++) {
                const __m512i wk = _mm512_load_si512(w + (ky * nq + m) * 64);
                const uint8_t *p = row + 4 * m * col;
                a0 = _mm512_dpbusd_epi32(a0, _mm512_load_si512(p), wk);
                a1 = _mm512_dpbusd_epi32(a1, _mm512_load_si512(p + sw * col), wk);
            }
        }
        const __m512i zero = _mm512_setzero_si512();
        const __m512i bytes = q8h_pack64(q8h_scale16(a0, params, &d->rq), q8h_scale16(a1, params, &d->rq), zero, zero, &d->rq);
        q8h_store16(out + ch, _mm512_castsi512_si128(bytes), c - ch);
        if (width > 1) q8h_store16(out + c + ch, _mm512_extracti32x4_epi32(bytes, 1), c - ch);
    }
}

Q8H_TARGET void q8h_depthwise(const q8h_depthwise_t *d, const int8_t *input, int8_t *output, void *scratch) {
    const int k = d->k;
    uint8_t *u = (uint8_t *)scratch;
    uint8_t *ring = u + ((size_t)d->uWidth * (size_t)d->paddedChannels + 63) / 64 * 64;
    const size_t qBytes = (size_t)d->qWidth * (size_t)d->paddedChannels * 4;
    uint8_t *rows[64];
    int built = 0;
    for (int oy = 0; oy < d->outH; oy++) {
        const int top = oy * d->strideH;
        if (built < top) built = top;  // rows a stride skips are never read
        for (; built < top + k; built++) build_quads(d, input, built, u, ring + (size_t)(built % k) * qBytes);
        for (int ky = 0; ky < k; ky++) rows[ky] = ring + (size_t)((top + ky) % k) * qBytes;
        int8_t *out = output + (size_t)oy * d->outW * d->channels;
        // The tile width rule is also VNNIDepthwise's (its quad rows are as wide as the tiles need).
        if (d->outW <= 2) {
            switch (k) {
            case 3: output_row2(d, 3, rows, out); break;
            case 5: output_row2(d, 5, rows, out); break;
            default: output_row2(d, k, rows, out); break;
            }
        } else {
            switch (k) {
            case 3: output_row(d, 3, rows, out); break;
            case 5: output_row(d, 5, rows, out); break;
            default: output_row(d, k, rows, out); break;
            }
        }
    }
}
#else
void q8h_depthwise(const q8h_depthwise_t *d, const int8_t *input, int8_t *output, void *scratch) {
    (void)d; (void)input; (void)output; (void)scratch;
}
#endif
