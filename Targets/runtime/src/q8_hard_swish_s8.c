/*
 * HARD_SWISH: TFLite's int8 kernel (reference_ops::HardSwish<int8_t>), int16 fixed point, step by
 * step as Docs/ARITHMETIC.md states it. The loader keeps the int16 multipliers in 0…32767 and the
 * exponents in −15…0 (output) and −15…15 (relu-ish), so every shift is within 15 bits; the int16
 * values are held in int32 and truncated to 16 bits exactly where TFLite stores into an int16.
 */
#include "q8_internal.h"

void q8_hard_swish_get(const q8_model *m, const q8_op *op, q8_params *params) {
    q8_hard_swish_params *p = &params->hard_swish;
    p->count = q8_shape_count(q8_op_out(m, op).shape);
    p->input_zp = q8_op_param(op, 0);
    p->output_zp = q8_op_param(op, 1);
    p->output_multiplier = q8_op_param(op, 2);
    p->output_exponent = q8_op_param(op, 3);
    p->reluish_multiplier = q8_op_param(op, 4);
    p->reluish_exponent = q8_op_param(op, 5);
}

q8_status q8_hard_swish_check(const q8_model *m, const q8_op *op, const q8_params *params, uint32_t *next_tensor) {
    const q8_hard_swish_params *p = &params->hard_swish;
    const q8_value in = q8_op_in(m, op, 0);
    const q8_value out = q8_op_out(m, op);
    (void)next_tensor;
    if (!q8_shape_eq(in.shape, out.shape)) return Q8_ERR_SHAPE;
    if (p->input_zp != in.zero_point || p->output_zp != out.zero_point) return Q8_ERR_PARAM;
    if (p->output_multiplier < 0 || p->output_multiplier > Q8_LIMIT_HS_MULTIPLIER) return Q8_ERR_PARAM;
    if (p->reluish_multiplier < 0 || p->reluish_multiplier > Q8_LIMIT_HS_MULTIPLIER) return Q8_ERR_PARAM;
    if (p->output_exponent < -Q8_LIMIT_HS_EXPONENT || p->output_exponent > 0) return Q8_ERR_PARAM;
    if (p->reluish_exponent < -Q8_LIMIT_HS_EXPONENT || p->reluish_exponent > Q8_LIMIT_HS_EXPONENT) return Q8_ERR_PARAM;
    return Q8_OK;
}

uint32_t q8_hard_swish_scratch(const q8_hard_swish_params *p) {
    return p->count > 256 ? Q8_SCRATCH_HARD_SWISH : 0u;
}

/* The int16 that an int32 in −65536…65535 becomes when stored into an int16 (two's complement). */
static int32_t to_int16(int32_t x) {
    const int32_t low = x & 0xFFFF;
    return low >= 0x8000 ? low - 0x10000 : low;
}

/* gemmlowp's int16 SaturatingRoundingDoublingHighMul: (a·b ± 2^14) / 2^15, truncated toward zero. */
static int32_t rounding_doubling_high_mul16(int32_t a, int32_t b) {
    int32_t ab;
    if (a == -32768 && b == -32768) return 32767;
    ab = a * b;
    return to_int16((ab + (ab >= 0 ? (1 << 14) : 1 - (1 << 14))) / (1 << 15));
}

/* TFLite's SaturatingDoublingHighMul (int16, truncating): a·b / 2^15 toward zero. */
static int32_t doubling_high_mul16(int32_t a, int32_t b) {
    if (a == -32768 && b == -32768) return 32767;
    return to_int16((a * b) / (1 << 15));
}

/* TFLite's SaturatingLeftShift (int16): x · 2^amount saturated, amount 0…14. */
static int32_t saturating_left_shift16(int32_t x, int32_t amount) {
    const int32_t y = x * ((int32_t)1 << amount); /* |x| ≤ 32768, amount ≤ 14: fits int32 */
    return y > 32767 ? 32767 : (y < -32768 ? -32768 : y);
}

/* Rounding division by 2^exponent, half away from zero (exponent 0…15). */
static int32_t rounding_divide16(int32_t x, int32_t exponent) {
    const int32_t mask = ((int32_t)1 << exponent) - 1;
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return q8_asr(x, exponent) + (remainder > threshold ? 1 : 0);
}

int8_t q8_hard_swish_value(const q8_hard_swish_params *p, int8_t q) {
    const int32_t v = to_int16((q - p->input_zp) * 128);
    const int32_t preshift = rounding_doubling_high_mul16(v, p->output_multiplier);
    int32_t r = v, out;
    if (p->reluish_exponent > 0) r = saturating_left_shift16(r, p->reluish_exponent - 1);
    r = rounding_doubling_high_mul16(r, p->reluish_multiplier);
    if (p->reluish_exponent > 0) r = saturating_left_shift16(r, 1);
    if (p->reluish_exponent < 0) r = rounding_divide16(r, -p->reluish_exponent);
    r = q8_asr(r + 32768, 1); /* relu6(x + 3) / 6 in Q15: 0…32767 */
    out = to_int16(rounding_divide16(doubling_high_mul16(r, preshift), -p->output_exponent) + p->output_zp);
    return (int8_t)(out < -128 ? -128 : (out > 127 ? 127 : out));
}

void q8_hard_swish_s8(const q8_hard_swish_params *p, const int8_t *input, int8_t *output) {
    int32_t i;
    for (i = 0; i < p->count; ++i) output[i] = q8_hard_swish_value(p, input[i]);
}
