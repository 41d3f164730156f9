/*
 * 1×1 CONV with groups == 1 (pointwise convolution, fully connected) for the Cortex-M4.
 *
 * Same arithmetic as q8_conv_s8: acc = bias + Σ (x − input_zp)·w over the input channels, then
 * q8_requantize_to_s8. The inner loop takes 4 input channels at a time: one word of int8 input is
 * widened to two int16 pairs with SXTAB16, which adds −input_zp to each half as it widens (x − zp
 * is in −255…255, so the 16-bit halves never wrap); a word of weights is widened with SXTB16; and
 * SMLAD adds two products to an accumulator. Two output channels × two pixels share the widened
 * words (16 multiply-accumulates per 4 loads, 8 widenings and 8 SMLAD); a last odd pixel (fully
 * connected layers have only one) runs two channels × one pixel. The sums are the exact integer sums of q8_conv_s8
 * (q8_model_init bounds every partial sum by |bias| + D·Σ|w| < 2^31), so the bytes are identical.
 * No buffer: the widening is done in registers.
 */
#include <arm_acle.h>
#include <string.h>

#include "q8_kernels_m4.h"

#if !defined(__ARM_FEATURE_DSP) || !defined(__ARM_FEATURE_SIMD32)
#error "q8_conv_1x1_s8_m4.c needs the Armv7E-M DSP extension (-mcpu=cortex-m4)"
#endif

/* The 4 bytes at p as one word (unaligned loads are fine on the M4; memcpy compiles to LDR). */
static inline int32_t load4(const int8_t *p) {
    int32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* SXTB16 and SXTAB16 of the odd bytes (1 and 3) of w: the instructions' own ROR #8 operand, which
 * GCC 12 does not fold from a C rotation (its arm_acle.h has no __ror either). */
static inline int32_t sxtb16_odd(int32_t w) {
    int32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(w));
    return r;
}

static inline int32_t sxtab16_odd(int32_t a, int32_t w) {
    int32_t r;
    __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(a), "r"(w));
    return r;
}

int q8_conv_1x1_s8_m4_fits(const q8_conv_params *p) {
    return p->kernel_h == 1 && p->kernel_w == 1 && p->groups == 1;
}

/* Sums of 2 channels × 2 pixels: acc[2·channel + pixel] += Σ (x_pixel − zp)·w_channel over n inputs. */
static void dot_2x2(const int8_t *x0, const int8_t *x1, const int8_t *w0, const int8_t *w1, int32_t n,
                    int32_t zp, int32_t acc[4]) {
    const int32_t neg_zp = (int32_t)(((uint32_t)(uint16_t)(int16_t)-zp) * 0x10001u);
    int32_t a00 = acc[0], a01 = acc[1], a10 = acc[2], a11 = acc[3];
    int32_t k = 0;
    for (; k + 4 <= n; k += 4) {
        const int32_t xa = load4(x0 + k), xb = load4(x1 + k);
        const int32_t wa = load4(w0 + k), wb = load4(w1 + k);
        const int32_t xa_even = __sxtab16(neg_zp, xa), xa_odd = sxtab16_odd(neg_zp, xa);
        const int32_t xb_even = __sxtab16(neg_zp, xb), xb_odd = sxtab16_odd(neg_zp, xb);
        const int32_t wa_even = __sxtb16(wa), wa_odd = sxtb16_odd(wa);
        const int32_t wb_even = __sxtb16(wb), wb_odd = sxtb16_odd(wb);
        a00 = __smlad(xa_even, wa_even, a00);
        a00 = __smlad(xa_odd, wa_odd, a00);
        a01 = __smlad(xb_even, wa_even, a01);
        a01 = __smlad(xb_odd, wa_odd, a01);
        a10 = __smlad(xa_even, wb_even, a10);
        a10 = __smlad(xa_odd, wb_odd, a10);
        a11 = __smlad(xb_even, wb_even, a11);
        a11 = __smlad(xb_odd, wb_odd, a11);
    }
    for (; k < n; ++k) {
        const int32_t xa = x0[k] - zp, xb = x1[k] - zp;
        a00 += xa * w0[k];
        a01 += xb * w0[k];
        a10 += xa * w1[k];
        a11 += xb * w1[k];
    }
    acc[0] = a00;
    acc[1] = a01;
    acc[2] = a10;
    acc[3] = a11;
}

/* Sums of 2 channels × 1 pixel: acc[channel] += Σ (x − zp)·w_channel over n inputs. */
static void dot_2x1(const int8_t *x, const int8_t *w0, const int8_t *w1, int32_t n, int32_t zp, int32_t acc[2]) {
    const int32_t neg_zp = (int32_t)(((uint32_t)(uint16_t)(int16_t)-zp) * 0x10001u);
    int32_t a0 = acc[0], a1 = acc[1];
    int32_t k = 0;
    for (; k + 4 <= n; k += 4) {
        const int32_t xw = load4(x + k), wa = load4(w0 + k), wb = load4(w1 + k);
        const int32_t x_even = __sxtab16(neg_zp, xw), x_odd = sxtab16_odd(neg_zp, xw);
        a0 = __smlad(x_even, __sxtb16(wa), a0);
        a0 = __smlad(x_odd, sxtb16_odd(wa), a0);
        a1 = __smlad(x_even, __sxtb16(wb), a1);
        a1 = __smlad(x_odd, sxtb16_odd(wb), a1);
    }
    for (; k < n; ++k) {
        const int32_t xv = x[k] - zp;
        a0 += xv * w0[k];
        a1 += xv * w1[k];
    }
    acc[0] = a0;
    acc[1] = a1;
}

/* Input pixel read by output pixel i (1×1 kernel: output (oy, ox) reads input (oy·stride_h, ox·stride_w)). */
static const int8_t *input_pixel(const q8_conv_params *p, const int8_t *input, int32_t i) {
    const int32_t oy = i / p->out.w, ox = i % p->out.w;
    return input + ((oy * p->stride_h) * p->in.w + ox * p->stride_w) * p->in.c;
}

/* Requantized output of channel oc for accumulator acc. */
static int8_t output_value(const q8_conv_params *p, int32_t oc, int32_t acc) {
    return q8_requantize_to_s8(acc, q8_i32(p->multiplier + 4 * oc), q8_i32(p->shift + 4 * oc), p->output_zp,
                               p->act_min, p->act_max);
}

void q8_conv_1x1_s8_m4(const q8_conv_params *p, const int8_t *input, int8_t *output) {
    const int32_t pixels = p->out.h * p->out.w, in_c = p->in.c, out_c = p->out.c;
    int32_t i, oc;
    for (i = 0; i < pixels; i += 2) {
        const int two = i + 1 < pixels;
        const int8_t *x0 = input_pixel(p, input, i);
        const int8_t *x1 = two ? input_pixel(p, input, i + 1) : x0;
        int8_t *out0 = output + i * out_c;
        for (oc = 0; oc < out_c; oc += 2) {
            /* An odd last channel is computed twice (as channels oc and oc + 1) and written once. */
            const int32_t oc1 = oc + 1 < out_c ? oc + 1 : oc;
            const int8_t *w0 = p->weights + oc * in_c, *w1 = p->weights + oc1 * in_c;
            const int32_t b0 = q8_i32(p->bias + 4 * oc), b1 = q8_i32(p->bias + 4 * oc1);
            if (two) {
                int32_t acc[4];
                acc[0] = b0;
                acc[1] = b0;
                acc[2] = b1;
                acc[3] = b1;
                dot_2x2(x0, x1, w0, w1, in_c, p->input_zp, acc);
                out0[oc] = output_value(p, oc, acc[0]);
                out0[out_c + oc] = output_value(p, oc, acc[1]);
                if (oc1 != oc) {
                    out0[oc1] = output_value(p, oc1, acc[2]);
                    out0[out_c + oc1] = output_value(p, oc1, acc[3]);
                }
            } else {
                int32_t acc[2];
                acc[0] = b0;
                acc[1] = b1;
                dot_2x1(x0, w0, w1, in_c, p->input_zp, acc);
                out0[oc] = output_value(p, oc, acc[0]);
                if (oc1 != oc) out0[oc1] = output_value(p, oc1, acc[1]);
            }
        }
    }
}
