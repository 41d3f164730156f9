/*
 * REQUANTIZE (element-wise): out = clamp(output_zp + requantize(q − input_zp), act_min, act_max)
 * — a standalone ReLU/ReLU6 or a change of scale. (The arithmetic itself is q8_requantize.c.)
 */
#include "q8_internal.h"

void q8_requantize_get(const q8_model *m, const q8_op *op, q8_params *params) {
    params->requantize.count = q8_shape_count(q8_op_out(m, op).shape);
    params->requantize.requant = q8_requant_get(op, 0);
}

q8_status q8_requantize_check(const q8_model *m, const q8_op *op, const q8_params *params, uint32_t *next_tensor) {
    const q8_value in = q8_op_in(m, op, 0);
    const q8_value out = q8_op_out(m, op);
    (void)next_tensor;
    if (!q8_shape_eq(in.shape, out.shape)) return Q8_ERR_SHAPE;
    return q8_requant_check(&params->requantize.requant, &in, &out);
}

void q8_requantize_s8(const q8_requant *r, int32_t count, const int8_t *input, int8_t *output) {
    int32_t i;
    for (i = 0; i < count; ++i) {
        output[i] = q8_requantize_to_s8(input[i] - r->input_zp, r->multiplier, r->shift, r->output_zp, r->act_min,
                                        r->act_max);
    }
}
