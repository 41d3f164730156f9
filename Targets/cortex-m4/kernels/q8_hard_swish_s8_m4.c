/*
 * HARD_SWISH for the Cortex-M4.
 *
 * The output is a function of one int8 input, so for tensors longer than 256 elements the portable
 * kernel's element function (q8_hard_swish_value: TFLite's int16 fixed-point HARD_SWISH) is run once
 * per possible input byte into a 256-byte table in the kernel scratch q8_run lends
 * (Q8_SCRATCH_HARD_SWISH bytes), and every element is looked up, four at a time (one word loaded,
 * its bytes looked up, one word stored); shorter tensors are computed directly.
 */
#include <string.h>

#include "q8_kernels_m4.h"

void q8_hard_swish_s8_m4(const q8_hard_swish_params *p, const int8_t *input, int8_t *output) {
    int8_t *const table = (int8_t *)p->scratch; /* Q8_SCRATCH_HARD_SWISH bytes */
    const int32_t count = p->count;
    const int8_t *end;
    int32_t i;
    if (count <= 256 || !q8_m4_scratch_ok(p->scratch, p->scratch_bytes, Q8_SCRATCH_HARD_SWISH)) {
        q8_hard_swish_s8(p, input, output);
        return;
    }
    for (i = -128; i < 128; ++i) table[(uint8_t)i] = q8_hard_swish_value(p, (int8_t)i);
    for (end = input + (count & ~3); input != end; input += 4, output += 4) {
        uint32_t x, y;
        memcpy(&x, input, sizeof x);
        y = (uint32_t)(uint8_t)table[x & 0xFFu] | (uint32_t)(uint8_t)table[(x >> 8) & 0xFFu] << 8 |
            (uint32_t)(uint8_t)table[(x >> 16) & 0xFFu] << 16 | (uint32_t)(uint8_t)table[x >> 24] << 24;
        memcpy(output, &y, sizeof y);
    }
    for (i = 0; i < (count & 3); ++i) output[i] = table[(uint8_t)input[i]];
}
