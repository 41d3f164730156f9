/*
 * AVG_POOL counting the padding (count_include_pad): the sum of (q − input_zp) over the input
 * values of the k×k window (padding adds 0) is requantized once with a multiplier that folds in
 * 1/(k·k), then offset by output_zp and clamped. k ≤ Q8_LIMIT_WINDOW (255) keeps the sum inside int32.
 */
#include "q8_internal.h"

q8_status q8_avg_pool_check(const q8_model *m, const q8_op *op, const q8_params *params, uint32_t *next_tensor) {
    const q8_pool_params *p = &params->pool;
    const q8_value in = q8_op_in(m, op, 0);
    const q8_value out = q8_op_out(m, op);
    const q8_status s = q8_window_check(p->kernel, p->kernel, p->stride, p->stride, p->pad_top, p->pad_left, p->in, p->out);
    (void)next_tensor;
    if (s != Q8_OK) return s;
    if (p->in.c != p->out.c) return Q8_ERR_SHAPE;
    return q8_requant_check(&p->requant, &in, &out);
}

void q8_avg_pool_s8(const q8_pool_params *p, const int8_t *input, int8_t *output) {
    const q8_requant *r = &p->requant;
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
                int32_t sum = 0;
                for (y = y_begin; y < y_end; ++y) {
                    for (x = x_begin; x < x_end; ++x) sum += input[(y * p->in.w + x) * channels + c] - r->input_zp;
                }
                out_pixel[c] = q8_requantize_to_s8(sum, r->multiplier, r->shift, r->output_zp, r->act_min, r->act_max);
            }
        }
    }
}
