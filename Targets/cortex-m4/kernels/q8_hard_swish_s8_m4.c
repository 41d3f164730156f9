/*
 * HARD_SWISH for the Cortex-M4.
 *
 * The output is a function of one int8 input, so for tensors longer than 256 elements the portable
 * kernel's element function (q8_hard_swish_value: TFLite's int16 fixed-point HARD_SWISH) is run once
 * per possible input byte into a 256-byte table in the kernel scratch q8_run lends
 * (Q8_SCRATCH_HARD_SWISH bytes), and every element is looked up, four at a time (one word loaded,
 * its bytes looked up, one word stored); shorter tensors are computed directly. The table is
 * filled by `fill`, the same element function step by step with the parameters held in registers
 * and one loop per sign of the relu-ish exponent (so no per-entry branch on it); test_kernels checks
 * it against the portable kernel.
 */
#include <string.h>

#include "q8_kernels_m4.h"

/* The int16 that x (in −65536…65535) becomes when stored into an int16. */
static inline __attribute__((always_inline)) int32_t to16(int32_t x) { return (int32_t)(int16_t)(uint16_t)(uint32_t)x; }

/* gemmlowp's int16 SaturatingRoundingDoublingHighMul for b ≥ 0 (a·b / 2^15 rounded half away from zero, ties as gemmlowp). */
static inline __attribute__((always_inline)) int32_t srdhm16(int32_t a, int32_t b) {
    const int32_t ab = a * b;
    if (a == -32768 && b == -32768) return 32767;
    return to16((ab + (ab >= 0 ? (1 << 14) : 1 - (1 << 14))) / (1 << 15));
}

/* Rounding division by 2^e, half away from zero (e 0…15). */
static inline __attribute__((always_inline)) int32_t rdbp16(int32_t x, int32_t e) {
    const int32_t mask = ((int32_t)1 << e) - 1;
    return (x >> e) + ((x & mask) > ((mask >> 1) + (x < 0 ? 1 : 0)) ? 1 : 0);
}

static inline __attribute__((always_inline)) int32_t sat16(int32_t x) { return __ssat(x, 16); }

/* The relu-ish value (relu6(x + 3)/6 in Q15, 0…32767) of the int8 input q, for exponent sign `sign`. */
static inline __attribute__((always_inline)) int32_t reluish(int32_t q, int32_t zp, int32_t mr, int32_t er, int sign) {
    const int32_t v = to16((q - zp) * 128);
    int32_t r = v;
    if (sign > 0) r = sat16(v * ((int32_t)1 << (er - 1)));
    r = srdhm16(r, mr);
    if (sign > 0) r = sat16(r * 2);
    if (sign < 0) r = rdbp16(r, -er);
    return (r + 32768) >> 1;
}

/*
 * table[b] = hard-swish of the byte b read as int8, for exponent sign `sign` of the relu-ish
 * multiplier. The relu-ish value never decreases with q (every step is monotone), and where it is 0
 * (x ≤ −3) the output is output_zp; so a binary search finds the first q where it is positive and
 * only the entries from there on are computed step by step.
 */
static inline __attribute__((always_inline)) void fill_case(const q8_hard_swish_params *p, int8_t *table, int sign) {
    const int32_t zp = p->input_zp, out_zp = p->output_zp, mo = p->output_multiplier, mr = p->reluish_multiplier;
    const int32_t er = p->reluish_exponent, eo = -p->output_exponent;
    int32_t q, lo = -128, hi = 128; /* the first q with a positive relu-ish value lies in [lo, hi] */
    while (lo < hi) {
        const int32_t mid = (lo + hi) >> 1;
        if (reluish(mid, zp, mr, er, sign) > 0) hi = mid; else lo = mid + 1;
    }
    for (q = -128; q < lo; ++q) table[(uint8_t)q] = (int8_t)__ssat(out_zp, 8);
    for (q = lo; q < 128; ++q) {
        const int32_t preshift = srdhm16(to16((q - zp) * 128), mo);
        const int32_t r = reluish(q, zp, mr, er, sign);
        const int32_t product = to16((r * preshift) / (1 << 15)); /* r ≥ 0: no saturation case */
        table[(uint8_t)q] = (int8_t)__ssat(to16(rdbp16(product, eo) + out_zp), 8);
    }
}

/* The 256-entry table of p's hard-swish. */
static void fill(const q8_hard_swish_params *p, int8_t *table) {
    if (p->reluish_exponent > 0) {
        fill_case(p, table, 1);
    } else if (p->reluish_exponent < 0) {
        fill_case(p, table, -1);
    } else {
        fill_case(p, table, 0);
    }
}

void q8_hard_swish_s8_m4(const q8_hard_swish_params *p, const int8_t *input, int8_t *output) {
    int8_t *const table = (int8_t *)p->scratch; /* Q8_SCRATCH_HARD_SWISH bytes */
    const int32_t count = p->count;
    const int8_t *end;
    int32_t i;
    if (count <= 256 || !q8_m4_scratch_ok(p->scratch, p->scratch_bytes, Q8_SCRATCH_HARD_SWISH)) {
        q8_hard_swish_s8(p, input, output);
        return;
    }
    fill(p, table);
    for (end = input + (count & ~3); input != end; input += 4, output += 4) {
        uint32_t x, y;
        memcpy(&x, input, sizeof x);
        y = (uint32_t)(uint8_t)table[x & 0xFFu] | (uint32_t)(uint8_t)table[(x >> 8) & 0xFFu] << 8 |
            (uint32_t)(uint8_t)table[(x >> 16) & 0xFFu] << 16 | (uint32_t)(uint8_t)table[x >> 24] << 24;
        memcpy(output, &y, sizeof y);
    }
    for (i = 0; i < (count & 3); ++i) output[i] = table[(uint8_t)input[i]];
}
