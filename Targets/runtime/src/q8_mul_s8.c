/*
 * MUL (squeeze-excitation): out = clamp(output_zp + requantize((x − input_zp) · (g − gate_zp)),
 * act_min, act_max), where g is the gate value of the pixel's channel (the gate is 1×1×C).
 */
#include "q8_internal.h"

void q8_mul_get(const q8_model *m, const q8_op *op, q8_params *params) {
    q8_mul_params *p = &params->mul;
    p->shape = q8_op_out(m, op).shape;
    p->input_zp = q8_op_param(op, 0);
    p->gate_zp = q8_op_param(op, 1);
    p->multiplier = q8_op_param(op, 2);
    p->shift = q8_op_param(op, 3);
    p->output_zp = q8_op_param(op, 4);
    p->act_min = q8_op_param(op, 5);
    p->act_max = q8_op_param(op, 6);
}

q8_status q8_mul_check(const q8_model *m, const q8_op *op, const q8_params *params, uint32_t *next_tensor) {
    const q8_mul_params *p = &params->mul;
    const q8_value in = q8_op_in(m, op, 0);
    const q8_value gate = q8_op_in(m, op, 1);
    const q8_value out = q8_op_out(m, op);
    (void)next_tensor;
    if (!q8_shape_eq(in.shape, out.shape)) return Q8_ERR_SHAPE;
    if (gate.shape.h != 1 || gate.shape.w != 1 || gate.shape.c != out.shape.c) return Q8_ERR_SHAPE;
    if (p->gate_zp != gate.zero_point) return Q8_ERR_PARAM;
    if (p->input_zp != in.zero_point || p->output_zp != out.zero_point) return Q8_ERR_PARAM;
    if (!q8_multiplier_ok(p->multiplier, p->shift)) return Q8_ERR_PARAM;
    if (!q8_clamp_ok(p->act_min, p->act_max)) return Q8_ERR_PARAM;
    return Q8_OK;
}

void q8_mul_s8(const q8_mul_params *p, const int8_t *input, const int8_t *gate, int8_t *output) {
    const int32_t pixels = p->shape.h * p->shape.w, channels = p->shape.c;
    int32_t px, c;
    for (px = 0; px < pixels; ++px) {
        const int8_t *x = input + px * channels;
        int8_t *y = output + px * channels;
        for (c = 0; c < channels; ++c) {
            const int32_t product = (x[c] - p->input_zp) * (gate[c] - p->gate_zp);
            y[c] = q8_requantize_to_s8(product, p->multiplier, p->shift, p->output_zp, p->act_min, p->act_max);
        }
    }
}
