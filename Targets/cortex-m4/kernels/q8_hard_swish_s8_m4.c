/*
 * HARD_SWISH / HARD_SIGMOID by table lookup for the Cortex-M4. The output is a function of one
 * int8 input, so for tensors longer than 256 elements the portable kernel q8_hard_swish_s8 is run
 * once on the 256 possible inputs (a 256-byte table on the stack) and every element is looked up:
 * the bytes are those of the portable kernel by construction.
 */
#include "q8_kernels_m4.h"

int q8_hard_swish_s8_m4_fits(const q8_hard_swish_params *p) { return p->count > 256; }

void q8_hard_swish_s8_m4(const q8_hard_swish_params *p, const int8_t *input, int8_t *output) {
    int8_t every_input[256], table[256];
    q8_hard_swish_params all = *p;
    int32_t i;
    for (i = 0; i < 256; ++i) every_input[i] = (int8_t)(i - 128);
    all.count = 256;
    q8_hard_swish_s8(&all, every_input, table);
    for (i = 0; i < p->count; ++i) output[i] = table[input[i] + 128];
}
