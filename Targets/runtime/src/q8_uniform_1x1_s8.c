/*
 * UNIFORM_1X1 (blob version 4): a 1×1 depthwise CONV, stride 1, no padding, whose channels all
 * share one weight, bias, multiplier and shift — the hard-sigmoid gates (`QConv.hardSigmoid`) —
 * stored as 8 words instead of CONV's per-channel tensors. Per element:
 * out = clamp(output_zp + requantize(bias + (q − input_zp)·weight, multiplier, shift), act_min, act_max),
 * exactly what q8_conv_s8 computes for such a CONV.
 */
#include "q8_internal.h"

void q8_uniform_1x1_get(const q8_model *m, const q8_op *op, q8_params *params) {
    q8_uniform_1x1_params *p = &params->uniform_1x1;
    p->count = q8_shape_count(q8_op_out(m, op).shape);
    p->input_zp = q8_op_param(op, 0);
    p->weight = q8_op_param(op, 1);
    p->bias = q8_op_param(op, 2);
    p->multiplier = q8_op_param(op, 3);
    p->shift = q8_op_param(op, 4);
    p->output_zp = q8_op_param(op, 5);
    p->act_min = q8_op_param(op, 6);
    p->act_max = q8_op_param(op, 7);
}

q8_status q8_uniform_1x1_check(const q8_model *m, const q8_op *op, const q8_params *params, uint32_t *next_tensor) {
    const q8_uniform_1x1_params *p = &params->uniform_1x1;
    const q8_value in = q8_op_in(m, op, 0);
    const q8_value out = q8_op_out(m, op);
    int64_t d, w, b;
    (void)next_tensor;
    if (!q8_shape_eq(in.shape, out.shape)) return Q8_ERR_SHAPE;
    if (p->input_zp != in.zero_point || p->output_zp != out.zero_point) return Q8_ERR_PARAM;
    if (!q8_clamp_ok(p->act_min, p->act_max)) return Q8_ERR_PARAM;
    if (p->weight < -128 || p->weight > 127) return Q8_ERR_PARAM;
    if (!q8_multiplier_ok(p->multiplier, p->shift)) return Q8_ERR_PARAM;
    /* The CONV accumulator bound with one term: |bias| + D·|weight|. */
    d = p->input_zp < 0 ? 127 - (int64_t)p->input_zp : 128 + (int64_t)p->input_zp;
    w = p->weight < 0 ? -(int64_t)p->weight : (int64_t)p->weight;
    b = p->bias < 0 ? -(int64_t)p->bias : (int64_t)p->bias;
    if (b + d * w > Q8_LIMIT_ACCUMULATOR) return Q8_ERR_PARAM;
    return Q8_OK;
}

void q8_uniform_1x1_s8(const q8_uniform_1x1_params *p, const int8_t *input, int8_t *output) {
    int32_t i;
    for (i = 0; i < p->count; ++i) {
        output[i] = q8_requantize_to_s8(p->bias + (input[i] - p->input_zp) * p->weight, p->multiplier, p->shift,
                                        p->output_zp, p->act_min, p->act_max);
    }
}
