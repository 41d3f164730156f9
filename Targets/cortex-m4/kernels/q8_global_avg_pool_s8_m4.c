/*
 * GLOBAL_AVG_POOL for the Cortex-M4.
 *
 * Same arithmetic as q8_global_avg_pool_s8: per channel, Σ (q − input_zp) over the pixels,
 * requantized once. Four channels at a time: SXTAB16 adds the bytes (c, c + 2) and, rotated,
 * (c + 1, c + 3) of each pixel's word into int16 lanes, which cannot overflow for up to 256 pixels
 * (|Σ q| ≤ 128·256); longer images are summed in runs of 256 pixels whose lane sums are added into
 * int32. Then Σ (q − input_zp) = Σ q − pixels·input_zp exactly. Channels past the last multiple of 4
 * go one at a time, as in q8_global_avg_pool_s8.
 */
#include <arm_acle.h>
#include <string.h>

#include "q8_kernels_m4.h"

/* Pixels whose int8 sum fits an int16 lane. */
enum { RUN = 256 };

/* The high int16 lane of a word (ASR). */
static inline int32_t high_lane(int32_t v) { return q8_asr(v, 16); }

/* The kernel; inlined twice by q8_global_avg_pool_s8_m4, for q8_m4_output's common case and the
 * others. */
static inline __attribute__((always_inline)) void pool(const q8_requant *r, q8_shape in, const int8_t *input,
                                                       int8_t *output, int common) {
    const int32_t pixels = in.h * in.w, channels = in.c, blocks = channels & ~3, shift = r->shift;
    const int32_t multiplier = r->multiplier, output_zp = r->output_zp, act_min = r->act_min, act_max = r->act_max;
    const int32_t offset = -pixels * r->input_zp; /* |pixels · zp| ≤ 8,421,504 · 128 fits int32 */
    int32_t c, px;
    for (c = 0; c < blocks; c += 4) {
        int32_t s0 = offset, s1 = offset, s2 = offset, s3 = offset, done = 0;
        const int8_t *x = input + c;
        while (done < pixels) {
            const int32_t run = pixels - done < RUN ? pixels - done : RUN;
            int32_t even = 0, odd = 0;
            for (px = 0; px < run; ++px, x += channels) {
                const int32_t w = q8_m4_load4(x);
                even = __sxtab16(even, w);
                odd = q8_m4_sxtab16_odd(odd, w);
            }
            s0 += q8_m4_low_lane(even);
            s1 += q8_m4_low_lane(odd);
            s2 += high_lane(even);
            s3 += high_lane(odd);
            done += run;
        }
        output[c] = q8_m4_output(s0, multiplier, shift, output_zp, act_min, act_max, common);
        output[c + 1] = q8_m4_output(s1, multiplier, shift, output_zp, act_min, act_max, common);
        output[c + 2] = q8_m4_output(s2, multiplier, shift, output_zp, act_min, act_max, common);
        output[c + 3] = q8_m4_output(s3, multiplier, shift, output_zp, act_min, act_max, common);
    }
    for (; c < channels; ++c) {
        int32_t sum = offset;
        for (px = 0; px < pixels; ++px) sum += input[px * channels + c];
        output[c] = q8_m4_output(sum, multiplier, shift, output_zp, act_min, act_max, common);
    }
}

void q8_global_avg_pool_s8_m4(const q8_requant *r, q8_shape in, const int8_t *input, int8_t *output) {
    if (q8_m4_common(r->shift, r->act_min, r->act_max)) {
        pool(r, in, input, output, 1);
    } else {
        pool(r, in, input, output, 0);
    }
}
