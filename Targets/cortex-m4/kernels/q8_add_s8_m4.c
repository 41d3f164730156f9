/*
 * ADD (residual) by table lookup for the Cortex-M4. Each input's rescaled value,
 * requantize((q − zp)·2^left_shift, multiplier, shift), is a function of one int8 input, so for
 * tensors longer than 256 elements it is computed once per possible input byte (two tables of 256
 * int32 in the kernel scratch q8_run lends, Q8_SCRATCH_ADD bytes, with the same q8_requantize calls as q8_add_s8) and every element costs two
 * lookups, the wrapping add and the output requantization: the bytes are those of q8_add_s8.
 */
#include "q8_kernels_m4.h"

int q8_add_s8_m4_fits(const q8_add_params *p) {
    return p->count > 256 && q8_m4_scratch_ok(p->scratch, p->scratch_bytes, Q8_SCRATCH_ADD);
}

/* table[b] = requantize((b read as int8 − zp)·scale, multiplier, shift) for every byte b. */
static void rescale_table(int32_t *table, int32_t zp, int32_t scale, int32_t multiplier, int32_t shift) {
    int32_t b;
    for (b = 0; b < 256; ++b) table[b] = q8_requantize(((b < 128 ? b : b - 256) - zp) * scale, multiplier, shift);
}

/* The element loop; inlined twice by q8_add_s8_m4, for q8_m4_output's common case and the others. */
static inline __attribute__((always_inline)) void add(const q8_add_params *p, const int32_t *table1,
                                                      const int32_t *table2, const int8_t *input1,
                                                      const int8_t *input2, int8_t *output, int common) {
    const int32_t multiplier = p->output_multiplier, output_shift = p->output_shift, output_zp = p->output_zp;
    const int32_t act_min = p->act_min, act_max = p->act_max;
    const int8_t *const end = input1 + p->count;
    while (input1 != end) {
        const int32_t sum = q8_add_wrap(table1[(uint8_t)*input1++], table2[(uint8_t)*input2++]);
        *output++ = q8_m4_output(sum, multiplier, output_shift, output_zp, act_min, act_max, common);
    }
}

void q8_add_s8_m4(const q8_add_params *p, const int8_t *input1, const int8_t *input2, int8_t *output) {
    int32_t *const table1 = (int32_t *)(void *)p->scratch, *const table2 = table1 + 256; /* Q8_SCRATCH_ADD bytes */
    const int32_t scale = (int32_t)1 << p->left_shift;
    rescale_table(table1, p->input1_zp, scale, p->input1_multiplier, p->input1_shift);
    rescale_table(table2, p->input2_zp, scale, p->input2_multiplier, p->input2_shift);
    if (q8_m4_common(p->output_shift, p->act_min, p->act_max)) {
        add(p, table1, table2, input1, input2, output, 1);
    } else {
        add(p, table1, table2, input1, input2, output, 0);
    }
}
