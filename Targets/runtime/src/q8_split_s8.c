/*
 * SPLIT: channels [start, start + count) of the input, copied unchanged (same quantization).
 */
#include "q8_internal.h"

q8_status q8_split_check(const q8_model *m, const q8_op *op) {
    const q8_value in = q8_value_get(m, q8_op_input(op, 0));
    const q8_value out = q8_value_get(m, op->index + 1u);
    const int32_t start = q8_op_param(op, 0), count = q8_op_param(op, 1);
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
