/*
 * HARD_SWISH / HARD_SIGMOID, piecewise and integer-only. With d = q − input_zp,
 * X = d · 2^input_shift (the input on a finer grid) and R = clamp(X + three, 0, 2·three)
 * (relu6(x + 3) in the same units, three standing for the real value 3):
 *   hard-swish:   out = output_zp + requantize(d · R)
 *   hard-sigmoid: out = output_zp + requantize(R)
 * clamped to int8. input_shift ≤ Q8_LIMIT_INPUT_SHIFT (23) and three ≤ Q8_LIMIT_THREE (4,210,752) keep every product inside int32.
 */
#include "q8_internal.h"

void q8_hard_swish_get(const q8_model *m, const q8_op *op, q8_params *params) {
    q8_hard_swish_params *p = &params->hard_swish;
    p->count = q8_shape_count(q8_op_out(m, op).shape);
    p->is_sigmoid = op->type == Q8_OP_HARD_SIGMOID;
    p->input_zp = q8_op_param(op, 0);
    p->input_shift = q8_op_param(op, 1);
    p->three = q8_op_param(op, 2);
    p->multiplier = q8_op_param(op, 3);
    p->shift = q8_op_param(op, 4);
    p->output_zp = q8_op_param(op, 5);
}

q8_status q8_hard_swish_check(const q8_model *m, const q8_op *op, const q8_params *params, uint32_t *next_tensor) {
    const q8_hard_swish_params *p = &params->hard_swish;
    const q8_value in = q8_op_in(m, op, 0);
    const q8_value out = q8_op_out(m, op);
    (void)next_tensor;
    if (!q8_shape_eq(in.shape, out.shape)) return Q8_ERR_SHAPE;
    if (p->input_zp != in.zero_point || p->output_zp != out.zero_point) return Q8_ERR_PARAM;
    if (p->input_shift < 0 || p->input_shift > Q8_LIMIT_INPUT_SHIFT) return Q8_ERR_PARAM;
    if (p->three < 0 || p->three > Q8_LIMIT_THREE) return Q8_ERR_PARAM;
    if (!q8_multiplier_ok(p->multiplier, p->shift)) return Q8_ERR_PARAM;
    return Q8_OK;
}

uint32_t q8_hard_swish_scratch(const q8_hard_swish_params *p) {
    return p->count > 256 ? Q8_SCRATCH_HARD_SWISH : 0u;
}

void q8_hard_swish_s8(const q8_hard_swish_params *p, const int8_t *input, int8_t *output) {
    const int32_t scale = (int32_t)1 << p->input_shift;
    const int32_t six = 2 * p->three;
    int32_t i;
    for (i = 0; i < p->count; ++i) {
        const int32_t d = input[i] - p->input_zp;
        int32_t r = d * scale + p->three;
        if (r < 0) r = 0;
        if (r > six) r = six;
        output[i] = q8_requantize_to_s8(p->is_sigmoid ? r : d * r, p->multiplier, p->shift, p->output_zp, -128, 127);
    }
}
