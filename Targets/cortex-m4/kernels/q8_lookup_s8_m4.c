/*
 * LOOKUP for the Cortex-M4: the same table look-up as q8_lookup_s8, four elements at a time (one
 * word loaded, its four bytes looked up, one word stored), then the tail one by one. A byte b of
 * the word is the int8 q = (int8_t)b, whose entry q + 128 is b ^ 0x80.
 */
#include <string.h>

#include "q8_kernels_m4.h"

void q8_lookup_s8_m4(const q8_lookup_params *p, const int8_t *input, int8_t *output) {
    const int8_t *const table = p->table;
    const int32_t count = p->count;
    const int8_t *const end = input + (count & ~3);
    int32_t i;
    while (input != end) {
        uint32_t x, y;
        memcpy(&x, input, sizeof x);
        y = (uint32_t)(uint8_t)table[(x & 0xFFu) ^ 0x80u] | (uint32_t)(uint8_t)table[((x >> 8) & 0xFFu) ^ 0x80u] << 8 |
            (uint32_t)(uint8_t)table[((x >> 16) & 0xFFu) ^ 0x80u] << 16 | (uint32_t)(uint8_t)table[(x >> 24) ^ 0x80u] << 24;
        memcpy(output, &y, sizeof y);
        input += 4;
        output += 4;
    }
    for (i = 0; i < (count & 3); ++i) output[i] = table[input[i] + 128];
}
