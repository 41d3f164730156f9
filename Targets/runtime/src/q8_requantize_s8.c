/*
 * REQUANTIZE (element-wise): out = clamp(output_zp + requantize(q − input_zp), act_min, act_max)
 * — a standalone ReLU/ReLU6 or a change of scale. (The arithmetic itself is q8_requantize.c.)
 */
#include "q8_internal.h"

q8_status q8_requantize_check(const q8_model *m, const q8_op *op, const q8_requant *r) {
    const q8_value in = q8_value_get(m, q8_op_input(op, 0));
    const q8_value out = q8_value_get(m, op->index + 1u);
    if (!q8_shape_eq(in.shape, out.shape)) return Q8_ERR_SHAPE;
    return q8_requant_check(r, &in, &out);
}

void q8_requantize_s8(const q8_requant *r, int32_t count, const int8_t *input, int8_t *output) {
    int32_t i;
    for (i = 0; i < count; ++i) {
        output[i] = q8_requantize_to_s8(input[i] - r->input_zp, r->multiplier, r->shift, r->output_zp, r->act_min,
                                        r->act_max);
    }
}
