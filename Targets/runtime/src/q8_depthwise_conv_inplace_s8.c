/*
 * Depthwise CONV in place: the output overwrites the input. In HWC, output channel c
 * of pixel k is byte k·C + c, which held input channel c of some pixel; so, one channel at a time,
 * the channel's input plane is first copied to the kernel scratch and then its outputs are written:
 * they only overwrite bytes of that channel, already copied. Same arithmetic as q8_conv_s8
 * (bit-identical; the C and Swift tests check it). Decoding and validation are those of CONV.
 */
#include "q8_internal.h"

void q8_depthwise_conv_inplace_s8(const q8_conv_params *p, const int8_t *input, int8_t *output) {
    const int32_t in_h = p->in.h, in_w = p->in.w, channels = p->in.c;
    const int32_t out_h = p->out.h, out_w = p->out.w;
    const int32_t taps = p->kernel_h * p->kernel_w;
    const int32_t zp = p->input_zp;
    int8_t *plane = (int8_t *)p->scratch;
    int32_t c, k, oy, ox, ky, kx;
    for (c = 0; c < channels; ++c) {
        const int32_t w = c * taps; /* index of the channel's first weight */
        const int32_t bias = q8_i32(p->bias + 4 * c), multiplier = q8_i32(p->multiplier + 4 * c), shift = p->shift[c];
        const int32_t pad = p->pad_value != 0 ? p->pad_value[c] - zp : 0;
        for (k = 0; k < in_h * in_w; ++k) plane[k] = input[k * channels + c];
        for (oy = 0; oy < out_h; ++oy) {
            const int32_t y0 = oy * p->stride_h - p->pad_top;
            for (ox = 0; ox < out_w; ++ox) {
                const int32_t x0 = ox * p->stride_w - p->pad_left;
                int32_t acc = bias;
                for (ky = 0; ky < p->kernel_h; ++ky) {
                    const int32_t y = y0 + ky;
                    for (kx = 0; kx < p->kernel_w; ++kx) {
                        const int32_t x = x0 + kx;
                        const int32_t v = (y >= 0 && y < in_h && x >= 0 && x < in_w) ? plane[y * in_w + x] - zp : pad;
                        acc += v * q8_conv_weight(p, w + ky * p->kernel_w + kx);
                    }
                }
                output[(oy * out_w + ox) * channels + c] =
                    q8_requantize_to_s8(acc, multiplier, shift, p->output_zp, p->act_min, p->act_max);
            }
        }
    }
}
