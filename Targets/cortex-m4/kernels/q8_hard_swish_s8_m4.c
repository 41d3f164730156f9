/*
 * HARD_SWISH / HARD_SIGMOID for the Cortex-M4.
 *
 * Same arithmetic as q8_hard_swish_s8 (its formula, written out below with the parameters in
 * registers: d = q − input_zp, R = clamp(d·2^input_shift + three, 0, 2·three), out =
 * requantize(d·R or R)). The output is a function of one int8 input, so for tensors longer than 256
 * elements the formula is evaluated once per possible input byte (a 256-byte table in the kernel scratch q8_run lends, Q8_SCRATCH_HARD_SWISH bytes)
 * and every element is looked up, four at a time (one word loaded, its bytes looked up, one word
 * stored); shorter tensors are computed directly.
 */
#include <string.h>

#include "q8_kernels_m4.h"

/* The parameters of q8_hard_swish_s8 as the formula uses them. */
typedef struct formula {
    int32_t input_zp, input_shift, three, six, multiplier, shift, output_zp;
} formula;

/* The output for the int8 input q: hard-swish, or hard-sigmoid when sigmoid; common as in
 * q8_m4_output (both constants after inlining). */
static inline __attribute__((always_inline)) int8_t value(const formula *f, int32_t q, int sigmoid, int common) {
    const int32_t d = q - f->input_zp;
    int32_t r = d * ((int32_t)1 << f->input_shift) + f->three;
    if (r < 0) r = 0;
    if (r > f->six) r = f->six;
    return q8_m4_output(sigmoid ? r : d * r, f->multiplier, f->shift, f->output_zp, -128, 127, common);
}

/* out[i] = value of in[i] for count elements, or, with in NULL, table[b] = value of the byte b read as
 * int8 for the 256 bytes. */
static inline __attribute__((always_inline)) void values(const formula *f, int sigmoid, int common, const int8_t *in,
                                                         int8_t *out, int32_t count) {
    int32_t q;
    if (in == 0) {
        for (q = -128; q < 128; ++q) out[(uint8_t)q] = value(f, q, sigmoid, common);
    } else {
        const int8_t *const end = in + count;
        while (in != end) *out++ = value(f, *in++, sigmoid, common);
    }
}

/* values, with its loops specialized for hard-swish and hard-sigmoid and for q8_m4_output's common
 * case (shift < −1: the clamp is always the whole int8 range) and the others. */
static void evaluate(const q8_hard_swish_params *p, const int8_t *in, int8_t *out, int32_t count) {
    formula f;
    f.input_zp = p->input_zp;
    f.input_shift = p->input_shift;
    f.three = p->three;
    f.six = 2 * p->three;
    f.multiplier = p->multiplier;
    f.shift = p->shift;
    f.output_zp = p->output_zp;
    if (q8_m4_common(f.shift, -128, 127)) {
        if (p->is_sigmoid) {
            values(&f, 1, 1, in, out, count);
        } else {
            values(&f, 0, 1, in, out, count);
        }
    } else if (p->is_sigmoid) {
        values(&f, 1, 0, in, out, count);
    } else {
        values(&f, 0, 0, in, out, count);
    }
}

void q8_hard_swish_s8_m4(const q8_hard_swish_params *p, const int8_t *input, int8_t *output) {
    int8_t *const table = (int8_t *)p->scratch; /* Q8_SCRATCH_HARD_SWISH bytes */
    const int32_t count = p->count;
    const int8_t *end;
    int32_t i;
    if (count <= 256 || !q8_m4_scratch_ok(p->scratch, p->scratch_bytes, Q8_SCRATCH_HARD_SWISH)) {
        evaluate(p, input, output, count);
        return;
    }
    evaluate(p, 0, table, 256);
    for (end = input + (count & ~3); input != end; input += 4, output += 4) {
        uint32_t x, y;
        memcpy(&x, input, sizeof x);
        y = (uint32_t)(uint8_t)table[x & 0xFFu] | (uint32_t)(uint8_t)table[(x >> 8) & 0xFFu] << 8 |
            (uint32_t)(uint8_t)table[(x >> 16) & 0xFFu] << 16 | (uint32_t)(uint8_t)table[x >> 24] << 24;
        memcpy(output, &y, sizeof y);
    }
    for (i = 0; i < (count & 3); ++i) output[i] = table[(uint8_t)input[i]];
}
