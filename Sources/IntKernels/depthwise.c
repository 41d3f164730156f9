// Depthwise convolution with AVX-512 VNNI. Each input row the window needs is made once into a
// quad row: for every column x and channel c the 4 unsigned bytes u(x..x+3, c) (u = x + 128,
// pad columns hold the pad value + 128) side by side in one int32 lane, so one
// `vpdpbusd` adds 4 horizontal taps of 16 channels. A ring of k quad rows (row r in slot r mod k)
// feeds every output row. Stride 1: quads only at even columns, each serving two output pixels
// (the second with the weights shifted by one tap). Stride 2 (both ways): instead of quad rows,
// block rows, one per pair of padded rows: per even column the 2×2 block u(2j, x), u(2j, x+1),
// u(2j+1, x), u(2j+1, x+1), so every input pixel is gathered once (a horizontal quad row of stride 2
// gathers each twice, and twice as many rows). Kernel rows that lie wholly in the top or bottom
// padding are neither built nor multiplied: their constant sum Σ_kx (pad + 128)·w (`padRowSums`)
// is added to the bias. Σ (x − zp)·w = Σ u·w − (zp + 128)·Σ w, the second term folded into the bias.
#include "avx512.h"
#include <string.h>

/// Ring rows per output window: k quad rows, or ⌈k/2⌉ block rows.
static int ring_rows(const q8h_depthwise_t *d) { return d->blocks ? (d->k + 1) / 2 : d->k; }

/// Quad or block columns one output pixel reads in one ring row.
static int row_quads(const q8h_depthwise_t *d) { return d->blocks ? (d->k + 1) / 2 : (d->k + d->shifts - 1 + 3) / 4; }

void q8h_depthwise_plan(q8h_depthwise_t *d) {
    d->blocks = d->strideH == 2 && d->strideW == 2 && d->k >= 2;
    d->shifts = !d->blocks && d->strideW == 1 && d->k % 4 != 0 && d->outW >= 2 ? 2 : 1;
    // Output pixels go 4 at a time, 2 or 1 when the output is that wide.
    const int tile = d->outW <= 2 ? d->outW : 4, last = (d->outW + tile - 1) / tile * tile - 1;
    d->qWidth = d->blocks ? last + row_quads(d) : last * d->strideW + 4 * (row_quads(d) - 1) + 1;
}

size_t q8h_depthwise_weight_bytes(const q8h_depthwise_t *d) {
    return (size_t)d->paddedChannels * (size_t)d->shifts * (size_t)ring_rows(d) * (size_t)row_quads(d) * 4;
}

void q8h_depthwise_pack_weights(const q8h_depthwise_t *d, const int8_t *w, int8_t *dst) {
    const int k = d->k, R = ring_rows(d), M = row_quads(d), S = d->shifts;
    memset(dst, 0, q8h_depthwise_weight_bytes(d));
    for (int ch = 0; ch < d->channels; ch++) {
        for (int ky = 0; ky < k; ky++) {
            for (int kx = 0; kx < k; kx++) {
                for (int s = 0; s < S; s++) {
                    // Ring row r, column m, byte t of the lane.
                    int r = ky, m = (kx + s) / 4, t = (kx + s) % 4;
                    if (d->blocks) r = ky / 2, m = kx / 2, t = 2 * (ky % 2) + kx % 2;
                    dst[((((size_t)(ch / 16) * S + s) * R + r) * M + m) * 64 + (ch % 16) * 4 + t] = w[((size_t)ch * k + ky) * k + kx];
                }
            }
        }
    }
}

size_t q8h_depthwise_scratch(const q8h_depthwise_t *d) {
    // The ring, then the pad pixel.
    return (size_t)ring_rows(d) * (size_t)d->qWidth * (size_t)d->paddedChannels * 4 + (size_t)d->paddedChannels;
}

#if defined(__x86_64__)
/// Byte 4c + t of a quad block comes from byte 16t + c of [x(col) | x(col+1) | x(col+2) | x(col+3)].
static const int8_t quad_order[64] = {
    0, 16, 32, 48, 1, 17, 33, 49, 2, 18, 34, 50, 3, 19, 35, 51, 4, 20, 36, 52, 5, 21, 37, 53, 6, 22, 38, 54,
    7, 23, 39, 55, 8, 24, 40, 56, 9, 25, 41, 57, 10, 26, 42, 58, 11, 27, 43, 59, 12, 28, 44, 60, 13, 29, 45, 61,
    14, 30, 46, 62, 15, 31, 47, 63};

/// `quad_order` with pixel t taken from byte 32t (of two concatenated registers) instead of 16t.
static const int8_t quad_order_pairs[64] = {
    0, 32, 64, 96, 1, 33, 65, 97, 2, 34, 66, 98, 3, 35, 67, 99, 4, 36, 68, 100, 5, 37, 69, 101, 6, 38, 70, 102,
    7, 39, 71, 103, 8, 40, 72, 104, 9, 41, 73, 105, 10, 42, 74, 106, 11, 43, 75, 107, 12, 44, 76, 108, 13, 45, 77, 109,
    14, 46, 78, 110, 15, 47, 79, 111};

/// The int8 values of input pixel `pixel` (16 channels from `16·block`; 0 beyond the channel count).
Q8H_INLINE __m128i load_channels(const q8h_depthwise_t *d, const int8_t *pixel, int block) {
    const int n = d->channels - 16 * block;
    if (n >= 16) return _mm_loadu_si128((const __m128i *)(pixel + 16 * block));
    return _mm_maskz_loadu_epi8((__mmask16)((1u << n) - 1), pixel + 16 * block);
}

/// One column of a quad row (`t`) from the 4 pixels `px` (a pixel outside the input points at
/// the pad pixel: the pad values as int8, in the scratch after the ring).
Q8H_INLINE void quad_column(const q8h_depthwise_t *d, const int8_t *const *px, uint8_t *t, __m512i flip,
                            __m512i idx, __m512i even, __m512i odd) {
    const int c = d->channels, blocks = d->paddedChannels / 16;
    // 64 channels of the 4 pixels at a time: a 4×4 transpose of their 128-bit lanes (two lane
    // shuffles, then one two-source byte permutation per block that also interleaves).
    int b = 0;
    for (; 16 * b + 64 <= c; b += 4) {
        __m512i v[4];
        for (int j = 0; j < 4; j++) {
            v[j] = _mm512_loadu_si512(px[j] + 16 * b);
        }
        const __m512i t0 = _mm512_shuffle_i64x2(v[0], v[1], 0x44), t1 = _mm512_shuffle_i64x2(v[0], v[1], 0xEE);
        const __m512i t2 = _mm512_shuffle_i64x2(v[2], v[3], 0x44), t3 = _mm512_shuffle_i64x2(v[2], v[3], 0xEE);
        _mm512_store_si512(t + 64 * b, _mm512_xor_si512(_mm512_permutex2var_epi8(t0, even, t2), flip));
        _mm512_store_si512(t + 64 * (b + 1), _mm512_xor_si512(_mm512_permutex2var_epi8(t0, odd, t2), flip));
        _mm512_store_si512(t + 64 * (b + 2), _mm512_xor_si512(_mm512_permutex2var_epi8(t1, even, t3), flip));
        _mm512_store_si512(t + 64 * (b + 3), _mm512_xor_si512(_mm512_permutex2var_epi8(t1, odd, t3), flip));
    }
    // 32 channels of the 4 pixels: two 256-bit halves per register, one two-source byte
    // permutation per block.
    for (; 16 * b + 32 <= c; b += 2) {
        __m256i v[4];
        for (int j = 0; j < 4; j++) {
            v[j] = _mm256_loadu_si256((const __m256i *)(px[j] + 16 * b));
        }
        const __m512i v01 = _mm512_inserti64x4(_mm512_castsi256_si512(v[0]), v[1], 1);
        const __m512i v23 = _mm512_inserti64x4(_mm512_castsi256_si512(v[2]), v[3], 1);
        _mm512_store_si512(t + 64 * b, _mm512_xor_si512(_mm512_permutex2var_epi8(v01, even, v23), flip));
        _mm512_store_si512(t + 64 * (b + 1), _mm512_xor_si512(_mm512_permutex2var_epi8(v01, odd, v23), flip));
    }
    // The last block (fewer than 32 channels left).
    for (; b < blocks; b++) {
        __m512i v = _mm512_castsi128_si512(load_channels(d, px[0], b));
        v = _mm512_inserti32x4(v, load_channels(d, px[1], b), 1);
        v = _mm512_inserti32x4(v, load_channels(d, px[2], b), 2);
        v = _mm512_inserti32x4(v, load_channels(d, px[3], b), 3);
        _mm512_store_si512(t + 64 * b, _mm512_xor_si512(_mm512_permutexvar_epi8(idx, v), flip));
    }
}

/// Builds the quad row of input row `iy` into `q`, straight from the input (no intermediate
/// row, whose fresh narrow stores the wide quad loads could not forward from): per column x and
/// 16-channel block the 4 pixels x − padLeft … x − padLeft + 3 (the pad value where outside the
/// input), interleaved by byte permutations (one per block: of the 64 contiguous bytes when
/// there are 16 channels, of two registers of 128 contiguous bytes for 32, of a 4×4 lane
/// transpose per 64 channels and of two 256-bit halves per 32 more otherwise), one XOR to make
/// them unsigned. Only the columns an output reads are built (multiples of `step` = gcd(strideW, 4)).
Q8H_INLINE void build_quads(const q8h_depthwise_t *d, const int8_t *input, const int8_t *pad, int iy, uint8_t *q, int step) {
    const int cp = d->paddedChannels, c = d->channels, inW = d->inW;
    const int8_t *in = input + (size_t)iy * inW * c;
    const __m512i flip = _mm512_set1_epi8((char)0x80), idx = _mm512_loadu_si512(quad_order);
    // For the lane transpose: pixel t's 16 bytes start at byte 32t of (t0 | t2) for the even
    // lanes, 32t + 16 for the odd ones.
    const __m512i even = _mm512_loadu_si512(quad_order_pairs), odd = _mm512_add_epi8(even, _mm512_set1_epi8(16));
    for (int x = 0; x < d->qWidth; x += step) {
        const int ix = x - d->padLeft;
        uint8_t *t = q + (size_t)x * cp * 4;
        if (c == 16 && ix >= 0 && ix + 4 <= inW) {  // the 4 pixels are 64 contiguous bytes
            _mm512_store_si512(t, _mm512_xor_si512(_mm512_permutexvar_epi8(idx, _mm512_loadu_si512(in + (size_t)ix * 16)), flip));
            continue;
        }
        if (c == 32 && ix >= 0 && ix + 4 <= inW) {  // 128 contiguous bytes: one two-source permutation per block
            const int8_t *p = in + (size_t)ix * c;
            const __m512i lo = _mm512_loadu_si512(p), hi = _mm512_loadu_si512(p + 64);
            _mm512_store_si512(t, _mm512_xor_si512(_mm512_permutex2var_epi8(lo, even, hi), flip));
            _mm512_store_si512(t + 64, _mm512_xor_si512(_mm512_permutex2var_epi8(lo, odd, hi), flip));
            continue;
        }
        const int8_t *px[4];  // the pad pixel where outside the input
        for (int j = 0; j < 4; j++) px[j] = ix + j >= 0 && ix + j < inW ? in + (size_t)(ix + j) * c : pad;
        quad_column(d, px, t, flip, idx, even, odd);
    }
}

/// Builds block row `j` (padded rows 2j and 2j + 1) into `q`: per column i and 16-channel block
/// the pixels (2j, 2i), (2j, 2i + 1), (2j + 1, 2i), (2j + 1, 2i + 1) of the padded input (the pad
/// value outside the input), interleaved like a quad (`quad_column`; with 16 or 32 channels the
/// two pixels of a row are contiguous: one byte permutation per block).
Q8H_INLINE void build_blocks(const q8h_depthwise_t *d, const int8_t *input, const int8_t *pad, int j, uint8_t *q) {
    const int cp = d->paddedChannels, c = d->channels, inW = d->inW;
    const int iy0 = 2 * j - d->padTop, iy1 = iy0 + 1;
    const int8_t *r0 = iy0 >= 0 && iy0 < d->inH ? input + (size_t)iy0 * inW * c : NULL;
    const int8_t *r1 = iy1 >= 0 && iy1 < d->inH ? input + (size_t)iy1 * inW * c : NULL;
    const __m512i flip = _mm512_set1_epi8((char)0x80), idx = _mm512_loadu_si512(quad_order);
    const __m512i even = _mm512_loadu_si512(quad_order_pairs), odd = _mm512_add_epi8(even, _mm512_set1_epi8(16));
    for (int i = 0; i < d->qWidth; i++) {
        const int ix = 2 * i - d->padLeft;
        uint8_t *t = q + (size_t)i * cp * 4;
        const int inside = r0 && r1 && ix >= 0 && ix + 2 <= inW;
        if (inside && c == 16) {  // the two pixels of each row are 32 contiguous bytes
            const __m512i v = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)(r0 + (size_t)ix * 16))),
                                                 _mm256_loadu_si256((const __m256i *)(r1 + (size_t)ix * 16)), 1);
            _mm512_store_si512(t, _mm512_xor_si512(_mm512_permutexvar_epi8(idx, v), flip));
            continue;
        }
        if (inside && c == 32) {  // 64 contiguous bytes per row: one two-source permutation per block
            const __m512i lo = _mm512_loadu_si512(r0 + (size_t)ix * 32), hi = _mm512_loadu_si512(r1 + (size_t)ix * 32);
            _mm512_store_si512(t, _mm512_xor_si512(_mm512_permutex2var_epi8(lo, even, hi), flip));
            _mm512_store_si512(t + 64, _mm512_xor_si512(_mm512_permutex2var_epi8(lo, odd, hi), flip));
            continue;
        }
        const int8_t *px[4];  // the pad pixel where outside the input
        const int left = ix >= 0 && ix < inW, right = ix + 1 >= 0 && ix + 1 < inW;
        px[0] = r0 && left ? r0 + (size_t)ix * c : pad;
        px[1] = r0 && right ? r0 + (size_t)(ix + 1) * c : pad;
        px[2] = r1 && left ? r1 + (size_t)ix * c : pad;
        px[3] = r1 && right ? r1 + (size_t)(ix + 1) * c : pad;
        quad_column(d, px, t, flip, idx, even, odd);
    }
}

/// The bias of 16-channel block `block` plus what the kernel rows outside ring rows [lo, hi)
/// (wholly in the padding) add; `B`: block rows (ring row r holds kernel rows 2r, 2r + 1).
Q8H_INLINE __m512i row_bias(const q8h_depthwise_t *d, int K, int B, int block, int lo, int hi) {
    __m512i bias = _mm512_load_si512(d->bias + 16 * block);
    const int32_t *sums = d->padRowSums + (size_t)block * K * 16;
    for (int ky = 0; ky < K; ky++) {
        const int r = B ? ky / 2 : ky;
        if (r < lo || r >= hi) bias = _mm512_add_epi32(bias, _mm512_load_si512(sums + 16 * ky));
    }
    return bias;
}

// The output functions below take `K` (k), `B` (block rows) and `S` (weight shifts) as literals
// at the call sites, so the tap loops unroll and the weights stay in registers. Per ring row r in
// [lo, hi) and column m < M an output pixel ox adds quad (ox·step + m·mstep) of row r times
// weights (r, m): quad rows step = strideW, mstep = 4; block rows step = mstep = 1.

/// Σ over the ring rows in [lo, hi) of one output pixel's taps, 16 channels: `offset` is the
/// pixel's first quad in its row, `w` the block's weights.
#define Q8H_TAPS(acc, offset)                                                                          \
    for (int r = lo; r < hi; r++) {                                                                    \
        const uint8_t *row = rows[r] + (offset);                                                       \
        for (int m = 0; m < M; m++)                                                                    \
            acc = _mm512_dpbusd_epi32(acc, _mm512_load_si512(row + mstep * m * col), _mm512_load_si512(w + (r * M + m) * 64)); \
    }

/// One output row, 16 channels at a time, 4 output pixels per step. S = 2 (stride 1): quads exist
/// at even columns only, pixels ox and ox + 1 both read the quads of column ox, pixel ox + 1 with
/// the weights shifted by one tap.
Q8H_INLINE void output_row(const q8h_depthwise_t *d, int K, int B, int S, uint8_t *const *rows, int lo, int hi, int8_t *out) {
    const int M = B ? (K + 1) / 2 : (K + S - 1 + 3) / 4, R = B ? (K + 1) / 2 : K;
    const int cp = d->paddedChannels, c = d->channels, step = B ? 1 : d->strideW, mstep = B ? 1 : 4, width = d->outW;
    const ptrdiff_t col = (ptrdiff_t)cp * 4;
    for (int ch = 0; ch < cp; ch += 16) {
        const int8_t *w = d->weights + (size_t)ch * S * R * M * 4;
        const int8_t *w1 = w + (S - 1) * R * M * 64;  // the shifted weights (S = 2)
        const __m512i bias = row_bias(d, K, B, ch / 16, lo, hi);
        const int64_t *params = d->rq.params + 4 * ch;
        for (int ox = 0; ox < width; ox += 4) {
            __m512i a0 = bias, a1 = bias, a2 = bias, a3 = bias;
            for (int r = lo; r < hi; r++) {
                const uint8_t *row = rows[r] + (ptrdiff_t)ox * step * col + ch * 4;
                for (int m = 0; m < M; m++) {
                    const __m512i wk = _mm512_load_si512(w + (r * M + m) * 64);
                    const uint8_t *p = row + mstep * m * col;
                    if (S == 2) {
                        const __m512i wk1 = _mm512_load_si512(w1 + (r * M + m) * 64);
                        const __m512i q0 = _mm512_load_si512(p), q2 = _mm512_load_si512(p + 2 * col);
                        a0 = _mm512_dpbusd_epi32(a0, q0, wk);
                        a1 = _mm512_dpbusd_epi32(a1, q0, wk1);
                        a2 = _mm512_dpbusd_epi32(a2, q2, wk);
                        a3 = _mm512_dpbusd_epi32(a3, q2, wk1);
                    } else {
                        a0 = _mm512_dpbusd_epi32(a0, _mm512_load_si512(p), wk);
                        a1 = _mm512_dpbusd_epi32(a1, _mm512_load_si512(p + step * col), wk);
                        a2 = _mm512_dpbusd_epi32(a2, _mm512_load_si512(p + 2 * step * col), wk);
                        a3 = _mm512_dpbusd_epi32(a3, _mm512_load_si512(p + 3 * step * col), wk);
                    }
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

/// An output row 2 pixels wide: two 16-channel blocks × 2 pixels per requantization; S = 2
/// (stride 1): both pixels read the quads of column 0, the second with the shifted weights.
Q8H_INLINE void output_row2(const q8h_depthwise_t *d, int K, int B, int S, uint8_t *const *rows, int lo, int hi, int8_t *out) {
    const int M = B ? (K + 1) / 2 : (K + S - 1 + 3) / 4, R = B ? (K + 1) / 2 : K;
    const int cp = d->paddedChannels, c = d->channels, step = B ? 1 : d->strideW, mstep = B ? 1 : 4;
    const ptrdiff_t col = (ptrdiff_t)cp * 4;
    for (int ch = 0; ch < cp; ch += 32) {
        // Blocks ch/16 and ch/16 + 1 (the second one a copy of the first past the channels: its
        // results are not stored).
        const int cb1 = ch + 16 < cp ? ch + 16 : ch;
        const int8_t *w0 = d->weights + (size_t)ch * S * R * M * 4, *w1 = d->weights + (size_t)cb1 * S * R * M * 4;
        const int shifted = (S - 1) * R * M * 64;  // from a block's weights to its shifted ones
        __m512i a0 = row_bias(d, K, B, ch / 16, lo, hi), a1 = a0;  // block 0 pixels 0, 1
        __m512i b0 = row_bias(d, K, B, cb1 / 16, lo, hi), b1 = b0;  // block 1 pixels 0, 1
        for (int r = lo; r < hi; r++) {
            const uint8_t *row = rows[r];
            for (int m = 0; m < M; m++) {
                const int at = (r * M + m) * 64;
                const __m512i wa = _mm512_load_si512(w0 + at), wb = _mm512_load_si512(w1 + at);
                const uint8_t *p = row + mstep * m * col;
                if (S == 2) {
                    const __m512i qa = _mm512_load_si512(p + ch * 4), qb = _mm512_load_si512(p + cb1 * 4);
                    a0 = _mm512_dpbusd_epi32(a0, qa, wa);
                    a1 = _mm512_dpbusd_epi32(a1, qa, _mm512_load_si512(w0 + shifted + at));
                    b0 = _mm512_dpbusd_epi32(b0, qb, wb);
                    b1 = _mm512_dpbusd_epi32(b1, qb, _mm512_load_si512(w1 + shifted + at));
                } else {
                    a0 = _mm512_dpbusd_epi32(a0, _mm512_load_si512(p + ch * 4), wa);
                    a1 = _mm512_dpbusd_epi32(a1, _mm512_load_si512(p + step * col + ch * 4), wa);
                    b0 = _mm512_dpbusd_epi32(b0, _mm512_load_si512(p + cb1 * 4), wb);
                    b1 = _mm512_dpbusd_epi32(b1, _mm512_load_si512(p + step * col + cb1 * 4), wb);
                }
            }
        }
        const int64_t *pa = d->rq.params + 4 * ch, *pb = d->rq.params + 4 * cb1;
        const __m512i bytes = q8h_pack64(q8h_scale16(a0, pa, &d->rq), q8h_scale16(b0, pb, &d->rq),
                                         q8h_scale16(a1, pa, &d->rq), q8h_scale16(b1, pb, &d->rq), &d->rq);
        const int n = c - ch < 32 ? c - ch : 32;
        const __mmask32 m = n >= 32 ? ~(__mmask32)0 : (((__mmask32)1 << n) - 1);
        _mm256_mask_storeu_epi8(out + ch, m, _mm512_castsi512_si256(bytes));
        _mm256_mask_storeu_epi8(out + c + ch, m, _mm512_extracti64x4_epi64(bytes, 1));
    }
}

/// An output row 1 pixel wide: four 16-channel blocks per requantization.
Q8H_INLINE void output_row1(const q8h_depthwise_t *d, int K, int B, uint8_t *const *rows, int lo, int hi, int8_t *out) {
    const int S = d->shifts, M = B ? (K + 1) / 2 : (K + S - 1 + 3) / 4, R = B ? (K + 1) / 2 : K, mstep = B ? 1 : 4;
    const int cp = d->paddedChannels, c = d->channels;
    const ptrdiff_t col = (ptrdiff_t)cp * 4;
    const __m512i zero = _mm512_setzero_si512();
    for (int ch = 0; ch < cp; ch += 64) {
        __m512i s[4] = {zero, zero, zero, zero};
        for (int j = 0; j < 4 && ch + 16 * j < cp; j++) {
            const int cb = ch + 16 * j;
            const int8_t *w = d->weights + (size_t)cb * S * R * M * 4;  // shift-0 weights
            __m512i a = row_bias(d, K, B, cb / 16, lo, hi);
            Q8H_TAPS(a, cb * 4)
            s[j] = q8h_scale16(a, d->rq.params + 4 * cb, &d->rq);
        }
        const int n = c - ch < 64 ? c - ch : 64;
        const __mmask64 m = n >= 64 ? ~(__mmask64)0 : (~0ull >> (64 - n));
        _mm512_mask_storeu_epi8(out + ch, m, q8h_pack64(s[0], s[1], s[2], s[3], &d->rq));
    }
}

/// One output row with ring rows [lo, hi) at `rows`, by output width, k and layout.
Q8H_INLINE void output_any(const q8h_depthwise_t *d, uint8_t *const *rows, int lo, int hi, int8_t *out) {
    const int k = d->k, B = d->blocks;
    if (d->outW == 1) {
        switch (k * 2 + B) {
        case 2: output_row1(d, 1, 0, rows, lo, hi, out); break;
        case 6: output_row1(d, 3, 0, rows, lo, hi, out); break;
        case 7: output_row1(d, 3, 1, rows, lo, hi, out); break;
        case 10: output_row1(d, 5, 0, rows, lo, hi, out); break;
        case 11: output_row1(d, 5, 1, rows, lo, hi, out); break;
        default: output_row1(d, k, B, rows, lo, hi, out); break;
        }
        return;
    }
    // k, blocks, shifts
    const int key = k * 4 + B * 2 + (d->shifts - 1);
    if (d->outW == 2) {
        switch (key) {
        case 12: output_row2(d, 3, 0, 1, rows, lo, hi, out); break;
        case 13: output_row2(d, 3, 0, 2, rows, lo, hi, out); break;
        case 14: output_row2(d, 3, 1, 1, rows, lo, hi, out); break;
        case 20: output_row2(d, 5, 0, 1, rows, lo, hi, out); break;
        case 21: output_row2(d, 5, 0, 2, rows, lo, hi, out); break;
        case 22: output_row2(d, 5, 1, 1, rows, lo, hi, out); break;
        default: output_row2(d, k, B, d->shifts, rows, lo, hi, out); break;
        }
    } else {
        switch (key) {
        case 12: output_row(d, 3, 0, 1, rows, lo, hi, out); break;
        case 13: output_row(d, 3, 0, 2, rows, lo, hi, out); break;
        case 14: output_row(d, 3, 1, 1, rows, lo, hi, out); break;
        case 20: output_row(d, 5, 0, 1, rows, lo, hi, out); break;
        case 21: output_row(d, 5, 0, 2, rows, lo, hi, out); break;
        case 22: output_row(d, 5, 1, 1, rows, lo, hi, out); break;
        default: output_row(d, k, B, d->shifts, rows, lo, hi, out); break;
        }
    }
}

Q8H_TARGET void q8h_depthwise(const q8h_depthwise_t *plan, const int8_t *input, int8_t *output, void *scratch) {
    // A local copy: the byte stores to the output may alias anything the plan points to, but not
    // a local whose address never escapes, so its fields stay in registers across the stores.
    const q8h_depthwise_t local = *plan, *d = &local;
    const int k = d->k, R = ring_rows(d), B = d->blocks, sh = d->strideH;
    uint8_t *ring = (uint8_t *)scratch;
    const size_t qBytes = (size_t)d->qWidth * (size_t)d->paddedChannels * 4;
    uint8_t *rows[64];
    // The pad pixel (each channel's pad value as int8) after the ring: what the quad and block
    // builders gather where a pixel lies outside the input.
    int8_t *pad = (int8_t *)(ring + (size_t)R * qBytes);
    for (int i = 0; i < d->paddedChannels; i += 16)
        _mm_store_si128((__m128i *)(pad + i), _mm_xor_si128(_mm_load_si128((const __m128i *)(d->padValues + i)), _mm_set1_epi8((char)0x80)));
    // The columns a quad row needs: multiples of gcd(strideW, 4) (no division per row), of 2
    // with shifted weights (stride 1).
    const int step = d->shifts == 2 ? 2 : d->strideW % 4 == 0 ? 4 : d->strideW % 2 == 0 ? 2 : 1;
    // Ring rows are padded input rows (quads) or pairs of them (blocks): output row oy's window
    // starts at ring row oy·strideH (quads) or oy (blocks: stride 2).
    const int advance = B ? 1 : sh;
    int built = 0;  // ring rows below this are built (or never needed)
    int slot = 0;   // the ring slot of ring row `top`: top mod R, kept without a division
    for (int oy = 0; oy < d->outH; oy++, slot += advance) {
        const int top = oy * advance, first = oy * sh;  // first: the window's first padded row
        while (slot >= R) slot -= R;
        // Kernel rows [lo, hi) lie in the input; the others wholly in the padding.
        int lo = d->padTop - first, hi = d->padTop + d->inH - first;
        if (lo < 0) lo = 0;
        if (hi > k) hi = k;
        if (hi < lo) hi = lo;
        if (B) lo /= 2, hi = (hi + 1) / 2;  // the block rows holding them
        if (built < top + lo) built = top + lo;  // rows a stride or the padding skips are never read
        for (int r = lo; r < hi; r++) rows[r] = ring + (size_t)(slot + r < R ? slot + r : slot + r - R) * qBytes;
        for (; built < top + hi; built++) {
            if (B) build_blocks(d, input, pad, built, rows[built - top]);
            else build_quads(d, input, pad, built - d->padTop, rows[built - top], step);
        }
        output_any(d, rows, lo, hi, output + (size_t)oy * d->outW * d->channels);
    }
}
#else
void q8h_depthwise(const q8h_depthwise_t *d, const int8_t *input, int8_t *output, void *scratch) {
    (void)d; (void)input; (void)output; (void)scratch;
}
#endif
