/*
 * SPLIT: channels [start, start + count) of the input, copied unchanged (same quantization).
 */
#include "q8_internal.h"

void q8_split_get(const q8_model *m, const q8_op *op, q8_params *params) {
    params->split.in = q8_op_in(m, op, 0).shape;
    params->split.start = q8_op_param(op, 0);
    params->split.count = q8_op_param(op, 1);
}

q8_status q8_split_check(const q8_model *m, const q8_op *op, const q8_params *params, uint32_t *next_tensor) {
    const q8_value in = q8_op_in(m, op, 0);
    const q8_value out = q8_op_out(m, op);
    const int32_t start = params->split.start, count = params->split.count;
    (void)next_tensor;
    if (start < 0 || count < 1 || (int64_t)start + count > in.shape.c) return Q8_ERR_SHAPE;
    if (out.shape.h != in.shape.h || out.shape.w != in.shape.w || out.shape.c != count) return Q8_ERR_SHAPE;
    if (in.zero_point != out.zero_point) return Q8_ERR_PARAM;
    return Q8_OK;
}

void q8_split_s8(const int8_t *input, int32_t pixels, int32_t in_c, int32_t start, int32_t count, int8_t *output) {
    int32_t px, c;
    for (px = 0; px < pixels; ++px) {
        const int8_t *x = input + px * in_c + start;
        int8_t *y = output + px * count;
        for (c = 0; c < count; ++c) y[c] = x[c];
    }
}
