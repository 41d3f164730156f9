/*
 * q8_requantize: the one requantization function of the runtime (twin of Swift's `requantize`,
 * Sources/QuantCore/FixedPoint.swift). See q8.h for the contract.
 */
#include "q8_internal.h"

/* round(a × b / 2^31), half away from zero; INT32_MIN × INT32_MIN saturates to INT32_MAX. */
static int32_t saturating_rounding_doubling_high_mul(int32_t a, int32_t b) {
    int64_t ab;
    int64_t nudge;
    if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
    ab = (int64_t)a * (int64_t)b;
    nudge = ab >= 0 ? ((int64_t)1 << 30) : (1 - ((int64_t)1 << 30));
    /* |ab| ≤ 2^62 − 2^31, so the quotient fits int32; C99 division truncates toward zero. */
    return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
}

/* x / 2^exponent rounded to nearest, half away from zero (exponent in 0…31). */
static int32_t rounding_divide_by_power_of_two(int32_t x, int exponent) {
    const int32_t mask = exponent >= 31 ? INT32_MAX : (int32_t)(((uint32_t)1 << exponent) - 1u);
    const int32_t remainder = x & mask; /* int32_t is two's complement by definition */
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return q8_asr(x, exponent) + (remainder > threshold ? 1 : 0);
}

int32_t q8_requantize(int32_t acc, int32_t multiplier, int32_t shift) {
    int32_t x = acc;
    int32_t high;
    if (shift > 0) {
        const int s = shift > 31 ? 31 : (int)shift;
        const int64_t wide = (int64_t)acc * ((int64_t)1 << s);
        x = wide > INT32_MAX ? INT32_MAX : (wide < INT32_MIN ? INT32_MIN : (int32_t)wide);
    }
    high = saturating_rounding_doubling_high_mul(x, multiplier);
    if (shift < 0) return rounding_divide_by_power_of_two(high, shift < -31 ? 31 : (int)-shift);
    return high;
}
