/*
 * SHUFFLE (channel shuffle of ShuffleNet): with C channels in g groups of n = C/g, output channel
 * j·g + i takes input channel i·n + j. Values are copied unchanged.
 */
#include "q8_internal.h"

q8_status q8_shuffle_check(const q8_model *m, const q8_op *op) {
    const q8_value in = q8_value_get(m, q8_op_input(op, 0));
    const q8_value out = q8_value_get(m, op->index + 1u);
    const int32_t groups = q8_op_param(op, 0);
    if (!q8_shape_eq(in.shape, out.shape)) return Q8_ERR_SHAPE;
    if (groups < 1 || in.shape.c % groups != 0) return Q8_ERR_SHAPE;
    if (in.zero_point != out.zero_point) return Q8_ERR_PARAM;
    return Q8_OK;
}

void q8_shuffle_s8(const int8_t *input, int32_t pixels, int32_t c, int32_t groups, int8_t *output) {
    const int32_t per_group = c / groups;
    int32_t px, i, j;
    for (px = 0; px < pixels; ++px) {
        const int8_t *x = input + px * c;
        int8_t *y = output + px * c;
        for (i = 0; i < groups; ++i) {
            for (j = 0; j < per_group; ++j) y[j * groups + i] = x[i * per_group + j];
        }
    }
}
