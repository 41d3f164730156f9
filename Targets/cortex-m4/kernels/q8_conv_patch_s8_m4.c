/*
 * CONV with groups == 1 and a small window (kernel_h·kernel_w·in_c ≤ Q8_M4_PATCH_MAX, e.g. the
 * first 3×3 convolution of a network) for the Cortex-M4.
 *
 * Same arithmetic as q8_conv_s8. For each output pixel the window is copied once into a stack
 * buffer of int16 (x − input_zp) in weight order (ky, kx, ic); a tap in the padding holds
 * pad_value[ic] − input_zp when the blob has pad values, else 0 (it adds nothing, as in
 * q8_conv_s8). Each group of 4 taps is stored as taps 0, 2, 1, 3, so that one word of weights
 * widened with SXTB16 (bytes 0, 2) and SXTB16 ROR 8 (bytes 1, 3) meets two int16 pairs of the
 * buffer in SMLAD; two output channels share each buffer load. The sums are the exact integer
 * sums of q8_conv_s8, so the bytes are identical.
 */
#include <arm_acle.h>
#include <string.h>

#include "q8_kernels_m4.h"

#if !defined(__ARM_FEATURE_DSP) || !defined(__ARM_FEATURE_SIMD32)
#error "q8_conv_patch_s8_m4.c needs the Armv7E-M DSP extension (-mcpu=cortex-m4)"
#endif

static inline int32_t load4(const void *p) {
    int32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* SXTB16 of the odd bytes (1 and 3) of w (GCC 12 does not fold a C rotation into the operand). */
static inline int32_t sxtb16_odd(int32_t w) {
    int32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(w));
    return r;
}

int q8_conv_patch_s8_m4_fits(const q8_conv_params *p) {
    return p->groups == 1 && p->kernel_h * p->kernel_w * p->in.c <= Q8_M4_PATCH_MAX;
}

/* Buffer position of tap k: in each full group of 4, taps 1 and 2 swap places; the tail stays. */
static inline int32_t patch_index(int32_t k, int32_t full) {
    return k < full ? (k & ~3) | ((k & 1) << 1) | ((k >> 1) & 1) : k;
}

/* Fills patch with the window of output pixel (oy, ox) (see the file comment). */
static void fill_patch(const q8_conv_params *p, const int8_t *input, int32_t oy, int32_t ox, int16_t *patch) {
    const int32_t in_c = p->in.c, per_channel = p->kernel_h * p->kernel_w * in_c, full = per_channel & ~3;
    const int32_t y0 = oy * p->stride_h - p->pad_top, x0 = ox * p->stride_w - p->pad_left;
    int32_t ky, kx, ic, k = 0;
    for (ky = 0; ky < p->kernel_h; ++ky) {
        const int32_t y = y0 + ky;
        for (kx = 0; kx < p->kernel_w; ++kx) {
            const int32_t x = x0 + kx;
            if (y >= 0 && y < p->in.h && x >= 0 && x < p->in.w) {
                const int8_t *pixel = input + (y * p->in.w + x) * in_c;
                for (ic = 0; ic < in_c; ++ic, ++k) patch[patch_index(k, full)] = (int16_t)(pixel[ic] - p->input_zp);
            } else {
                for (ic = 0; ic < in_c; ++ic, ++k) {
                    patch[patch_index(k, full)] =
                        (int16_t)(p->pad_value != 0 ? p->pad_value[ic] - p->input_zp : 0);
                }
            }
        }
    }
}

void q8_conv_patch_s8_m4(const q8_conv_params *p, const int8_t *input, int8_t *output) {
    int16_t patch[Q8_M4_PATCH_MAX];
    const int32_t out_c = p->out.c, per_channel = p->kernel_h * p->kernel_w * p->in.c, full = per_channel & ~3;
    int32_t oy, ox, oc, k;
    for (oy = 0; oy < p->out.h; ++oy) {
        for (ox = 0; ox < p->out.w; ++ox) {
            int8_t *out_pixel = output + (oy * p->out.w + ox) * out_c;
            fill_patch(p, input, oy, ox, patch);
            for (oc = 0; oc < out_c; oc += 2) {
                /* An odd last channel is computed twice (as channels oc and oc + 1) and written once. */
                const int32_t oc1 = oc + 1 < out_c ? oc + 1 : oc;
                const int8_t *w0 = p->weights + oc * per_channel, *w1 = p->weights + oc1 * per_channel;
                int32_t a0 = q8_i32(p->bias + 4 * oc), a1 = q8_i32(p->bias + 4 * oc1);
                for (k = 0; k < full; k += 4) {
                    const int32_t even = load4(patch + k), odd = load4(patch + k + 2);
                    const int32_t wa = load4(w0 + k), wb = load4(w1 + k);
                    a0 = __smlad(even, __sxtb16(wa), a0);
                    a0 = __smlad(odd, sxtb16_odd(wa), a0);
                    a1 = __smlad(even, __sxtb16(wb), a1);
                    a1 = __smlad(odd, sxtb16_odd(wb), a1);
                }
                for (; k < per_channel; ++k) {
                    a0 += patch[k] * w0[k];
                    a1 += patch[k] * w1[k];
                }
                out_pixel[oc] = q8_requantize_to_s8(a0, q8_i32(p->multiplier + 4 * oc), q8_i32(p->shift + 4 * oc),
                                                    p->output_zp, p->act_min, p->act_max);
                if (oc1 != oc) {
                    out_pixel[oc1] = q8_requantize_to_s8(a1, q8_i32(p->multiplier + 4 * oc1),
                                                         q8_i32(p->shift + 4 * oc1), p->output_zp, p->act_min,
                                                         p->act_max);
                }
            }
        }
    }
}
