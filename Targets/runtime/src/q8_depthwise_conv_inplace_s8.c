/*
 * Depthwise CONV in place: the output overwrites the input. In HWC, output channel c of pixel k
 * is byte k·C + c, which held input channel c of some pixel; so, one channel at a time, the
 * channel's input plane is first copied to the kernel scratch and then its outputs are written:
 * they only overwrite bytes of that channel, already copied. The window loops are those of
 * q8_depthwise_conv_s8 (taps clipped to the plane, padding added for the taps outside it), on the
 * contiguous plane. Same arithmetic as q8_conv_s8 (bit-identical; the C and Swift tests check it).
 * Decoding and validation are those of CONV.
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
        for (k = 0; k < in_h * in_w; ++k) plane[k] = input[k * channels + c];
        for (oy = 0; oy < out_h; ++oy) {
            const int32_t y0 = oy * p->stride_h - p->pad_top;
            const int32_t ky_begin = y0 < 0 ? -y0 : 0;
            const int32_t ky_end = in_h - y0 < p->kernel_h ? in_h - y0 : p->kernel_h;
            for (ox = 0; ox < out_w; ++ox) {
                const int32_t x0 = ox * p->stride_w - p->pad_left;
                const int32_t kx_begin = x0 < 0 ? -x0 : 0;
                const int32_t kx_end = in_w - x0 < p->kernel_w ? in_w - x0 : p->kernel_w;
                int32_t acc = bias;
                for (ky = ky_begin; ky < ky_end; ++ky) {
                    const int8_t *x = plane + (y0 + ky) * in_w + x0;
                    const int32_t row = w + ky * p->kernel_w;
                    for (kx = kx_begin; kx < kx_end; ++kx) acc += (x[kx] - zp) * q8_conv_weight(p, row + kx);
                }
                if (p->pad_value != 0 && (ky_begin != 0 || kx_begin != 0 || ky_end != p->kernel_h || kx_end != p->kernel_w)) {
                    const int32_t pad = p->pad_value[c] - zp;
                    for (ky = 0; ky < p->kernel_h; ++ky) {
                        for (kx = 0; kx < p->kernel_w; ++kx) {
                            if (ky >= ky_begin && ky < ky_end && kx >= kx_begin && kx < kx_end) continue;
                            acc += pad * q8_conv_weight(p, w + ky * p->kernel_w + kx);
                        }
                    }
                }
                output[(oy * out_w + ox) * channels + c] = q8_requantize_to_s8(acc, multiplier, shift, p->output_zp, p->act_min, p->act_max);
            }
        }
    }
}
