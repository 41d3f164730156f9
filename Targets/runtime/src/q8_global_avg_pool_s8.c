/*
 * GLOBAL_AVG_POOL: for each channel, the int32 sum over H·W of (q − input_zp) is requantized
 * once with a multiplier that folds in 1/(H·W), offset by output_zp and clamped. H·W ≤ Q8_LIMIT_POOL_AREA
 * (8,421,504) keeps the sum inside int32. Output 1×1×C.
 */
#include "q8_internal.h"

void q8_global_avg_pool_get(const q8_model *m, const q8_op *op, q8_params *params) {
    params->global_avg_pool.in = q8_op_in(m, op, 0).shape;
    params->global_avg_pool.requant = q8_requant_get(op, 0);
}

q8_status q8_global_avg_pool_check(const q8_model *m, const q8_op *op, const q8_params *params, uint32_t *next_tensor) {
    const q8_requant *r = &params->global_avg_pool.requant;
    const q8_value in = q8_op_in(m, op, 0);
    const q8_value out = q8_op_out(m, op);
    (void)next_tensor;
    if (out.shape.h != 1 || out.shape.w != 1 || out.shape.c != in.shape.c) return Q8_ERR_SHAPE;
    if ((int64_t)in.shape.h * in.shape.w > Q8_LIMIT_POOL_AREA) return Q8_ERR_SHAPE;
    return q8_requant_check(r, &in, &out);
}

void q8_global_avg_pool_s8(const q8_requant *r, q8_shape in, const int8_t *input, int8_t *output) {
    const int32_t pixels = in.h * in.w;
    int32_t c, px;
    for (c = 0; c < in.c; ++c) {
        int32_t sum = 0;
        for (px = 0; px < pixels; ++px) sum += input[px * in.c + c] - r->input_zp;
        output[c] = q8_requantize_to_s8(sum, r->multiplier, r->shift, r->output_zp, r->act_min, r->act_max);
    }
}
