/*
 * CONCAT along channels. The inputs share the output's quantization (the quantizer unifies it),
 * so values are copied unchanged, one input at a time into its channel slot.
 */
#include "q8_internal.h"

void q8_concat_get(const q8_model *m, const q8_op *op, q8_params *params) {
    params->concat.out = q8_op_out(m, op).shape;
}

q8_status q8_concat_check(const q8_model *m, const q8_op *op, const q8_params *params, uint32_t *next_tensor) {
    const q8_value out = q8_op_out(m, op);
    uint64_t channels = 0;
    uint32_t k;
    (void)params;
    (void)next_tensor;
    for (k = 0; k < op->input_count; ++k) {
        const q8_value in = q8_op_in(m, op, k);
        if (in.shape.h != out.shape.h || in.shape.w != out.shape.w) return Q8_ERR_SHAPE;
        channels += (uint64_t)in.shape.c;
    }
    if (channels != (uint64_t)out.shape.c) return Q8_ERR_SHAPE;
    for (k = 0; k < op->input_count; ++k) {
        if (q8_op_in(m, op, k).zero_point != out.zero_point) return Q8_ERR_PARAM;
    }
    return Q8_OK;
}

void q8_concat_s8(const int8_t *input, int32_t pixels, int32_t in_c, int8_t *output, int32_t out_c, int32_t channel_offset) {
    int32_t px, c;
    for (px = 0; px < pixels; ++px) {
        const int8_t *x = input + px * in_c;
        int8_t *y = output + px * out_c + channel_offset;
        for (c = 0; c < in_c; ++c) y[c] = x[c];
    }
}
