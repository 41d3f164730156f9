/*
 * MAX_POOL on the int8 values directly (same quantization in and out); padding never wins. The
 * window rule checked at load guarantees every window holds at least one input value. Also the
 * decoding shared with AVG_POOL.
 */
#include "q8_internal.h"

void q8_pool_get(const q8_model *m, const q8_op *op, q8_params *params) {
    q8_pool_params *p = &params->pool;
    p->in = q8_op_in(m, op, 0).shape;
    p->out = q8_op_out(m, op).shape;
    p->kernel = q8_op_param(op, 0);
    p->stride = q8_op_param(op, 1);
    p->pad_top = q8_op_param(op, 2);
    p->pad_left = q8_op_param(op, 3);
    p->requant = q8_requant_get(op, 4);
}

q8_status q8_max_pool_check(const q8_model *m, const q8_op *op, const q8_params *params, uint32_t *next_tensor) {
    const q8_pool_params *p = &params->pool;
    const q8_value in = q8_op_in(m, op, 0);
    const q8_value out = q8_op_out(m, op);
    const q8_status s = q8_window_check(p->kernel, p->kernel, p->stride, p->stride, p->pad_top, p->pad_left, p->in, p->out);
    (void)next_tensor;
    if (s != Q8_OK) return s;
    if (p->in.c != p->out.c) return Q8_ERR_SHAPE;
    if (in.zero_point != out.zero_point) return Q8_ERR_PARAM;
    return Q8_OK;
}

void q8_max_pool_s8(const q8_pool_params *p, const int8_t *input, int8_t *output) {
    const int32_t channels = p->in.c;
    int32_t oy, ox, c, y, x;
    for (oy = 0; oy < p->out.h; ++oy) {
        const int32_t y0 = oy * p->stride - p->pad_top;
        const int32_t y_begin = y0 < 0 ? 0 : y0;
        const int32_t y_end = y0 + p->kernel < p->in.h ? y0 + p->kernel : p->in.h;
        for (ox = 0; ox < p->out.w; ++ox) {
            const int32_t x0 = ox * p->stride - p->pad_left;
            const int32_t x_begin = x0 < 0 ? 0 : x0;
            const int32_t x_end = x0 + p->kernel < p->in.w ? x0 + p->kernel : p->in.w;
            int8_t *out_pixel = output + (oy * p->out.w + ox) * channels;
            for (c = 0; c < channels; ++c) {
                int32_t best = -128;
                for (y = y_begin; y < y_end; ++y) {
                    for (x = x_begin; x < x_end; ++x) {
                        const int32_t v = input[(y * p->in.w + x) * channels + c];
                        if (v > best) best = v;
                    }
                }
                out_pixel[c] = (int8_t)best;
            }
        }
    }
}
