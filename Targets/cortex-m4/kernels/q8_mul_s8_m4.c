/*
 * MUL (squeeze-excitation: a pixels × channels input times a 1×1×channels gate) for the Cortex-M4.
 *
 * Same arithmetic as q8_mul_s8: out = requantize((x − input_zp)·(g − gate_zp)) per element, with one
 * multiplier and shift for the whole tensor. Four channels at a time: one word of inputs and one of
 * gate values are widened with SXTAB16 (which subtracts the zero point from both halves as it
 * widens) into the int16 pairs (c, c + 2) and (c + 1, c + 3), and SMULBB/SMULTT form the four
 * products; channels past the last multiple of 4 go one at a time. The products are exact, so the
 * bytes are those of q8_mul_s8.
 */
#include <arm_acle.h>
#include <string.h>

#include "q8_kernels_m4.h"

/* Product of the low int16 halves of a and b (SMULBB). */
static inline int32_t mul_bottom(int32_t a, int32_t b) { return q8_m4_low_lane(a) * q8_m4_low_lane(b); }

/* Product of the high int16 halves of a and b (SMULTT). */
static inline int32_t mul_top(int32_t a, int32_t b) { return q8_asr(a, 16) * q8_asr(b, 16); }

/* −v in both int16 halves of a word. */
static inline int32_t negated_pair(int32_t v) {
    const uint32_t n = (uint32_t)(-v) & 0xFFFFu;
    return (int32_t)(n | n << 16);
}

/* The kernel; inlined twice by q8_mul_s8_m4, for q8_m4_output's common case and the others. */
static inline __attribute__((always_inline)) void multiply(const q8_mul_params *p, const int8_t *input,
                                                           const int8_t *gate, int8_t *output, int common) {
    const int32_t pixels = p->shape.h * p->shape.w, channels = p->shape.c, blocks = channels & ~3;
    const int32_t neg_input_zp = negated_pair(p->input_zp), neg_gate_zp = negated_pair(p->gate_zp);
    const int32_t input_zp = p->input_zp, gate_zp = p->gate_zp, multiplier = p->multiplier, shift = p->shift;
    const int32_t output_zp = p->output_zp, act_min = p->act_min, act_max = p->act_max;
    int32_t px, c;
    for (px = 0; px < pixels; ++px) {
        for (c = 0; c < blocks; c += 4, input += 4, output += 4) {
            const int32_t x = q8_m4_load4(input), g = q8_m4_load4(gate + c);
            const int32_t x_even = __sxtab16(neg_input_zp, x), x_odd = q8_m4_sxtab16_odd(neg_input_zp, x);
            const int32_t g_even = __sxtab16(neg_gate_zp, g), g_odd = q8_m4_sxtab16_odd(neg_gate_zp, g);
            output[0] = q8_m4_output(mul_bottom(x_even, g_even), multiplier, shift, output_zp, act_min, act_max,
                                     common);
            output[1] = q8_m4_output(mul_bottom(x_odd, g_odd), multiplier, shift, output_zp, act_min, act_max, common);
            output[2] = q8_m4_output(mul_top(x_even, g_even), multiplier, shift, output_zp, act_min, act_max, common);
            output[3] = q8_m4_output(mul_top(x_odd, g_odd), multiplier, shift, output_zp, act_min, act_max, common);
        }
        for (; c < channels; ++c) {
            *output++ = q8_m4_output((*input++ - input_zp) * (gate[c] - gate_zp), multiplier, shift, output_zp, act_min,
                                     act_max, common);
        }
    }
}

void q8_mul_s8_m4(const q8_mul_params *p, const int8_t *input, const int8_t *gate, int8_t *output) {
    if (q8_m4_common(p->shift, p->act_min, p->act_max)) {
        multiply(p, input, gate, output, 1);
    } else {
        multiply(p, input, gate, output, 0);
    }
}
