/*
 * SHUFFLE (channel shuffle of ShuffleNet): with C channels in g groups of n = C/g, output channel
 * j·g + i takes input channel i·n + j. Values are copied unchanged.
 */
#include "q8_internal.h"

void q8_shuffle_get(const q8_model *m, const q8_op *op, q8_params *params) {
    params->shuffle.in = q8_op_in(m, op, 0).shape;
    params->shuffle.groups = q8_op_param(op, 0);
}

q8_status q8_shuffle_check(const q8_model *m, const q8_op *op, const q8_params *params, uint32_t *next_tensor) {
    const q8_value in = q8_op_in(m, op, 0);
    const q8_value out = q8_op_out(m, op);
    const int32_t groups = params->shuffle.groups;
    (void)next_tensor;
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
