/*
 * Depthwise CONV (groups == in_c == out_c, at most Q8_M4_DEPTHWISE_TAPS_MAX taps) for the
 * Cortex-M4.
 *
 * Same arithmetic as q8_depthwise_conv_s8 (bit-identical to q8_conv_s8). Channels go in blocks of
 * 4: the block's weights are first rearranged on the stack as int16 pairs per tap, (c, c + 2) and
 * (c + 1, c + 3); then for each output pixel and in-window tap, one word of input (the 4 channels)
 * is widened with SXTAB16, which subtracts input_zp as it widens, into the same pairs, and
 * SMLABB/SMLATT add one product to each channel's accumulator. Taps in the padding add
 * (pad_value − input_zp)·w when the blob has pad values (scalar, border pixels only) and nothing
 * otherwise. Channels past the last full block run the portable per-channel arithmetic.
 */
#include <arm_acle.h>
#include <string.h>

#include "q8_kernels_m4.h"

#if !defined(__ARM_FEATURE_DSP) || !defined(__ARM_FEATURE_SIMD32)
#error "q8_depthwise_conv_s8_m4.c needs the Armv7E-M DSP extension (-mcpu=cortex-m4)"
#endif

static inline int32_t load4(const int8_t *p) {
    int32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* SXTAB16 of the odd bytes (1 and 3) of w (GCC 12 does not fold a C rotation into the operand). */
static inline int32_t sxtab16_odd(int32_t a, int32_t w) {
    int32_t r;
    __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(a), "r"(w));
    return r;
}

/* The int16 pair (low, high) as one word. */
static inline int32_t pair(int32_t low, int32_t high) {
    return (int32_t)(((uint32_t)(uint16_t)(int16_t)low) | ((uint32_t)(uint16_t)(int16_t)high << 16));
}

int q8_depthwise_conv_s8_m4_fits(const q8_conv_params *p) {
    return p->groups == p->in.c && p->groups == p->out.c && p->in.c >= 4 &&
           p->kernel_h * p->kernel_w <= Q8_M4_DEPTHWISE_TAPS_MAX;
}

/* The window of output pixel (oy, ox) inside the input: kernel rows [ky_begin, ky_end), columns [kx_begin, kx_end). */
typedef struct window {
    int32_t y0, x0, ky_begin, ky_end, kx_begin, kx_end, inside;
} window;

static window window_at(const q8_conv_params *p, int32_t oy, int32_t ox) {
    window v;
    v.y0 = oy * p->stride_h - p->pad_top;
    v.x0 = ox * p->stride_w - p->pad_left;
    v.ky_begin = v.y0 < 0 ? -v.y0 : 0;
    v.ky_end = p->in.h - v.y0 < p->kernel_h ? p->in.h - v.y0 : p->kernel_h;
    v.kx_begin = v.x0 < 0 ? -v.x0 : 0;
    v.kx_end = p->in.w - v.x0 < p->kernel_w ? p->in.w - v.x0 : p->kernel_w;
    v.inside = v.ky_begin == 0 && v.kx_begin == 0 && v.ky_end == p->kernel_h && v.kx_end == p->kernel_w;
    return v;
}

/* Σ (pad_value[c] − zp)·w over the taps of channel c outside window v (0 without pad values). */
static int32_t padding_sum(const q8_conv_params *p, const window *v, int32_t c) {
    const int8_t *w = p->weights + c * p->kernel_h * p->kernel_w;
    int32_t ky, kx, sum = 0;
    if (p->pad_value == 0 || v->inside) return 0;
    for (ky = 0; ky < p->kernel_h; ++ky) {
        for (kx = 0; kx < p->kernel_w; ++kx) {
            if (ky >= v->ky_begin && ky < v->ky_end && kx >= v->kx_begin && kx < v->kx_end) continue;
            sum += (p->pad_value[c] - p->input_zp) * w[ky * p->kernel_w + kx];
        }
    }
    return sum;
}

static int8_t output_value(const q8_conv_params *p, int32_t c, int32_t acc) {
    return q8_requantize_to_s8(acc, q8_i32(p->multiplier + 4 * c), q8_i32(p->shift + 4 * c), p->output_zp,
                               p->act_min, p->act_max);
}

void q8_depthwise_conv_s8_m4(const q8_conv_params *p, const int8_t *input, int8_t *output) {
    int32_t pairs[2 * Q8_M4_DEPTHWISE_TAPS_MAX];
    const int32_t channels = p->in.c, taps = p->kernel_h * p->kernel_w, blocks = channels & ~3;
    const int32_t neg_zp = pair(-p->input_zp, -p->input_zp);
    int32_t c, t, oy, ox, ky, kx;
    for (c = 0; c < blocks; c += 4) {
        const int8_t *w = p->weights + c * taps;
        for (t = 0; t < taps; ++t) {
            pairs[2 * t] = pair(w[t], w[2 * taps + t]);
            pairs[2 * t + 1] = pair(w[taps + t], w[3 * taps + t]);
        }
        for (oy = 0; oy < p->out.h; ++oy) {
            for (ox = 0; ox < p->out.w; ++ox) {
                const window v = window_at(p, oy, ox);
                int8_t *out = output + (oy * p->out.w + ox) * channels + c;
                int32_t a0 = q8_i32(p->bias + 4 * c), a1 = q8_i32(p->bias + 4 * c + 4);
                int32_t a2 = q8_i32(p->bias + 4 * c + 8), a3 = q8_i32(p->bias + 4 * c + 12);
                for (ky = v.ky_begin; ky < v.ky_end; ++ky) {
                    const int8_t *x = input + ((v.y0 + ky) * p->in.w + v.x0) * channels + c;
                    const int32_t *wp = pairs + 2 * ky * p->kernel_w;
                    for (kx = v.kx_begin; kx < v.kx_end; ++kx) {
                        const int32_t xw = load4(x + kx * channels);
                        const int32_t even = __sxtab16(neg_zp, xw), odd = sxtab16_odd(neg_zp, xw);
                        a0 = __smlabb(even, wp[2 * kx], a0);
                        a2 = __smlatt(even, wp[2 * kx], a2);
                        a1 = __smlabb(odd, wp[2 * kx + 1], a1);
                        a3 = __smlatt(odd, wp[2 * kx + 1], a3);
                    }
                }
                if (p->pad_value != 0 && !v.inside) {
                    a0 += padding_sum(p, &v, c);
                    a1 += padding_sum(p, &v, c + 1);
                    a2 += padding_sum(p, &v, c + 2);
                    a3 += padding_sum(p, &v, c + 3);
                }
                out[0] = output_value(p, c, a0);
                out[1] = output_value(p, c + 1, a1);
                out[2] = output_value(p, c + 2, a2);
                out[3] = output_value(p, c + 3, a3);
            }
        }
    }
    /* The last channels (fewer than 4): one at a time, as in q8_depthwise_conv_s8. */
    for (c = blocks; c < channels; ++c) {
        const int8_t *w = p->weights + c * taps;
        for (oy = 0; oy < p->out.h; ++oy) {
            for (ox = 0; ox < p->out.w; ++ox) {
                const window v = window_at(p, oy, ox);
                int32_t acc = q8_i32(p->bias + 4 * c) + padding_sum(p, &v, c);
                for (ky = v.ky_begin; ky < v.ky_end; ++ky) {
                    const int8_t *x = input + ((v.y0 + ky) * p->in.w + v.x0) * channels + c;
                    for (kx = v.kx_begin; kx < v.kx_end; ++kx) {
                        acc += (x[kx * channels] - p->input_zp) * w[ky * p->kernel_w + kx];
                    }
                }
                output[(oy * p->out.w + ox) * channels + c] = output_value(p, c, acc);
            }
        }
    }
}
