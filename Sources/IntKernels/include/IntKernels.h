// Host int8 kernels with AVX-512 VNNI intrinsics, for IntEngine (Sources/IntEngine/Optimized).
// Each is bit-exact with IntEngine's reference kernels (Docs/ARITHMETIC.md); IntEngine calls
// them only when q8h_has_vnni() says the CPU runs them, and its portable Swift SIMD kernels
// otherwise. Nothing here allocates: callers pass every buffer. Not part of the C runtime
// (Targets/), which stays C99 and portable.
#ifndef INT_KERNELS_H
#define INT_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// 1 when this CPU (and OS) runs the AVX-512 F/BW/VL/VNNI/VBMI kernels below, else 0.
int q8h_has_vnni(void);

/// Requantization of one op's 16-channel blocks (see README.md for the exact forms).
/// `params`: per block of 16 channels, 8 rows of 8 int64 (64 bytes each, 64-byte aligned):
/// rows 0/1 the multipliers of the even/odd channels; fused form (`general == 0`, no channel
/// shifts left): rows 2/3 the rounding addend 2^30 + 2^(30+e) (e ≥ 1) or 2^30, rows 4/5 the
/// negative correction 2^31 (e ≥ 1) or 0, rows 6/7 the shift 31 + e; general form: rows 2/3
/// the left shift max(shift, 0), row 4 the right shift e as 16 int32 in channel order.
typedef struct {
    const int64_t *params;
    int32_t zeroPoint;
    /// Clamp bounds relative to the zero point: lo − zp, hi − zp.
    int32_t lo, hi;
    int32_t general;
} q8h_requant;

/// Requantized int8 GEMM of one group: `count` rows (row r at `rows + r·rowStride`, K unsigned
/// bytes `x + 128`, and 3 readable bytes after the last row's K) times packed weights
/// `[blocks][k4][16 channels][4]` (k4 = ⌈K/4⌉, zero beyond K and beyond `valid` channels),
/// plus `bias` (`blocks·16` int32), requantized with `rq` (its params start at this group's
/// first block), `valid` channels stored at `out + r·outStride`.
void q8h_gemm(const uint8_t *rows, ptrdiff_t rowStride, int count,
              const int8_t *weights, int k4, int blocks, int valid,
              const int32_t *bias, const q8h_requant *rq,
              int8_t *out, ptrdiff_t outStride);

/// `dst[i] = src[i] ^ 0x80` (int8 → the unsigned `x + 128` the GEMM multiplies).
void q8h_to_unsigned(const int8_t *src, uint8_t *dst, size_t count);

/// Squeeze-excitation multiply: `out[p·channels + c] = requantize((x[p·channels + c] − zpX)·(gate[c] − zpG))`
/// for `pixels` pixels, with zero point and clamp; `rq` holds one 16-channel block whose lanes all
/// carry the one multiplier and shift.
void q8h_channel_mul(const int8_t *x, const int8_t *gate, int pixels, int channels, int32_t zpX, int32_t zpG,
                     const q8h_requant *rq, int8_t *out);

/// `output[i] = table[(uint8_t)input[i]]` for `count` bytes (`table`: 256 int8 entries).
void q8h_lookup(const int8_t *table, const int8_t *input, int8_t *output, size_t count);

/// A depthwise convolution prepared by IntEngine (square kernel k, any strides and padding).
typedef struct {
    int inH, inW, channels, outH, outW;
    int k, strideH, strideW, padTop, padLeft;
    /// Channels rounded up to 16.
    int paddedChannels;
    /// Layout (`q8h_depthwise_plan`): `blocks` 1 for stride 2 both ways (ring rows are block
    /// rows: per column i the 2×2 pixels of padded rows 2j, 2j + 1 and columns 2i, 2i + 1 in one
    /// lane), else quad rows (per column x the 4 horizontal taps x … x + 3 of each channel, x
    /// counting from the left padding); `shifts` 2 (stride 1, k not a multiple of 4, output at least
    /// 2 wide: quads at even columns serve pixels x and x + 1, the weights also shifted by one
    /// tap) or 1.
    int blocks, shifts;
    /// Columns of a ring row (each column: paddedChannels × 4 bytes).
    int qWidth;
    /// Each channel's pad value + 128 (paddedChannels bytes, 16-byte aligned).
    const uint8_t *padValues;
    /// `[block][ky][16]` int32: Σ_kx (pad + 128)·w, what kernel row ky adds where it lies wholly
    /// in the top or bottom padding (such rows are not multiplied).
    const int32_t *padRowSums;
    /// Packed by `q8h_depthwise_pack_weights`: `[block][shift][ring row][column][16][4]` int8 (quad
    /// rows: w[ky][kx] in row ky at tap kx + shift; block rows: in row ky/2, column kx/2, byte
    /// 2·(ky mod 2) + kx mod 2; zero elsewhere).
    const int8_t *weights;
    /// paddedChannels int32: bias − (zp_in + 128)·Σw.
    const int32_t *bias;
    q8h_requant rq;
} q8h_depthwise_t;

/// Sets `blocks`, `shifts` and `qWidth` of `d` from its shape fields (inH … padLeft).
void q8h_depthwise_plan(q8h_depthwise_t *d);

/// Bytes of `d`'s packed weights (after `q8h_depthwise_plan`).
size_t q8h_depthwise_weight_bytes(const q8h_depthwise_t *d);

/// Packs `w` (`[channel][ky][kx]`, channels × k × k int8) into `dst` (`q8h_depthwise_weight_bytes`).
void q8h_depthwise_pack_weights(const q8h_depthwise_t *d, const int8_t *w, int8_t *dst);

/// Scratch bytes `q8h_depthwise` needs for `d`.
size_t q8h_depthwise_scratch(const q8h_depthwise_t *d);

/// Runs the depthwise convolution `d` on one HWC int8 image; scratch: 64-byte aligned.
void q8h_depthwise(const q8h_depthwise_t *d, const int8_t *input, int8_t *output, void *scratch);

#ifdef __cplusplus
}
#endif
#endif
