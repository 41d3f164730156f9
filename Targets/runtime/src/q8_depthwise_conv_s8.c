/*
 * Depthwise CONV (groups == in_c == out_c): one kernel_h × kernel_w filter per channel, weights
 * [c][kernel_h][kernel_w]. Same arithmetic as q8_conv_s8 (bit-identical; the C tests check it),
 * with the per-group bookkeeping of the general kernel removed. Decoding and validation are
 * those of CONV (q8_conv_s8.c).
 */
#include "q8_internal.h"

void q8_depthwise_conv_s8(const q8_conv_params *p, const int8_t *input, int8_t *output) {
    const int32_t in_h = p->in.h, in_w = p->in.w, channels = p->in.c;
    const int32_t out_h = p->out.h, out_w = p->out.w;
    const int32_t taps = p->kernel_h * p->kernel_w;
    const int32_t zp = p->input_zp;
    int32_t oy, ox, c, ky, kx;
    for (oy = 0; oy < out_h; ++oy) {
        const int32_t y0 = oy * p->stride_h - p->pad_top;
        const int32_t ky_begin = y0 < 0 ? -y0 : 0;
        const int32_t ky_end = in_h - y0 < p->kernel_h ? in_h - y0 : p->kernel_h;
        for (ox = 0; ox < out_w; ++ox) {
            const int32_t x0 = ox * p->stride_w - p->pad_left;
            const int32_t kx_begin = x0 < 0 ? -x0 : 0;
            const int32_t kx_end = in_w - x0 < p->kernel_w ? in_w - x0 : p->kernel_w;
            const int inside = ky_begin == 0 && kx_begin == 0 && ky_end == p->kernel_h && kx_end == p->kernel_w;
            int8_t *out_pixel = output + (oy * out_w + ox) * channels;
            for (c = 0; c < channels; ++c) {
                const int32_t w = c * taps; /* index of the channel's first weight */
                int32_t acc = q8_i32(p->bias + 4 * c);
                for (ky = ky_begin; ky < ky_end; ++ky) {
                    const int8_t *x = input + ((y0 + ky) * in_w + x0) * channels + c;
                    if (p->weight_bits == 4) {
                        for (kx = kx_begin; kx < kx_end; ++kx) acc += (x[kx * channels] - zp) * q8_conv_weight(p, w + ky * p->kernel_w + kx);
                    } else {
                        const int8_t *wp = p->weights + w + ky * p->kernel_w;
                        for (kx = kx_begin; kx < kx_end; ++kx) acc += (x[kx * channels] - zp) * wp[kx];
                    }
                }
                if (p->pad_value != 0 && !inside) {
                    const int32_t pad = p->pad_value[c] - zp;
                    for (ky = 0; ky < p->kernel_h; ++ky) {
                        for (kx = 0; kx < p->kernel_w; ++kx) {
                            if (ky >= ky_begin && ky < ky_end && kx >= kx_begin && kx < kx_end) continue;
                            acc += pad * q8_conv_weight(p, w + ky * p->kernel_w + kx);
                        }
                    }
                }
                out_pixel[c] = q8_requantize_to_s8(acc, q8_i32(p->multiplier + 4 * c), p->shift[c],
                                                   p->output_zp, p->act_min, p->act_max);
            }
        }
    }
}
