/*
 * ADD (residual, TFLite scheme): each input is moved to a finer grid, a = (q − zp) · 2^left_shift,
 * rescaled with its own multiplier, the two are added (wrapping in 32 bits, like Swift's &+; the
 * quantizer's multipliers ≤ 1/2 keep the sum far from the limits), and the sum is requantized to
 * the output and clamped.
 */
#include "q8_internal.h"

void q8_add_get(const q8_model *m, const q8_op *op, q8_params *params) {
    q8_add_params *p = &params->add;
    p->count = q8_shape_count(q8_op_out(m, op).shape);
    p->input1_zp = q8_op_param(op, 0);
    p->input2_zp = q8_op_param(op, 1);
    p->left_shift = q8_op_param(op, 2);
    p->input1_multiplier = q8_op_param(op, 3);
    p->input1_shift = q8_op_param(op, 4);
    p->input2_multiplier = q8_op_param(op, 5);
    p->input2_shift = q8_op_param(op, 6);
    p->output_multiplier = q8_op_param(op, 7);
    p->output_shift = q8_op_param(op, 8);
    p->output_zp = q8_op_param(op, 9);
    p->act_min = q8_op_param(op, 10);
    p->act_max = q8_op_param(op, 11);
}

q8_status q8_add_check(const q8_model *m, const q8_op *op, const q8_params *params, uint32_t *next_tensor) {
    const q8_add_params *p = &params->add;
    const q8_value in1 = q8_op_in(m, op, 0);
    const q8_value in2 = q8_op_in(m, op, 1);
    const q8_value out = q8_op_out(m, op);
    (void)next_tensor;
    if (!q8_shape_eq(in1.shape, out.shape) || !q8_shape_eq(in2.shape, out.shape)) return Q8_ERR_SHAPE;
    if (p->input1_zp != in1.zero_point || p->input2_zp != in2.zero_point) return Q8_ERR_PARAM;
    if (p->output_zp != out.zero_point) return Q8_ERR_PARAM;
    if (p->left_shift < 0 || p->left_shift > Q8_LIMIT_INPUT_SHIFT) return Q8_ERR_PARAM;
    if (!q8_multiplier_ok(p->input1_multiplier, p->input1_shift)) return Q8_ERR_PARAM;
    if (!q8_multiplier_ok(p->input2_multiplier, p->input2_shift)) return Q8_ERR_PARAM;
    if (!q8_multiplier_ok(p->output_multiplier, p->output_shift)) return Q8_ERR_PARAM;
    if (!q8_clamp_ok(p->act_min, p->act_max)) return Q8_ERR_PARAM;
    return Q8_OK;
}

uint32_t q8_add_scratch(const q8_add_params *p) { return p->count > 256 ? Q8_SCRATCH_ADD : 0u; }

void q8_add_s8(const q8_add_params *p, const int8_t *input1, const int8_t *input2, int8_t *output) {
    const int32_t scale = (int32_t)1 << p->left_shift; /* left_shift ≤ 23: 255 · 2^23 fits int32 */
    int32_t i;
    for (i = 0; i < p->count; ++i) {
        const int32_t a = q8_requantize((input1[i] - p->input1_zp) * scale, p->input1_multiplier, p->input1_shift);
        const int32_t b = q8_requantize((input2[i] - p->input2_zp) * scale, p->input2_multiplier, p->input2_shift);
        output[i] = q8_requantize_to_s8(q8_add_wrap(a, b), p->output_multiplier, p->output_shift, p->output_zp,
                                        p->act_min, p->act_max);
    }
}
