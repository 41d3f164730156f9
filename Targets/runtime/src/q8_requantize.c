/*
 * q8_requantize: the one requantization function of the runtime (twin of Swift's `requantize`,
 * Sources/QuantCore/FixedPoint.swift). See q8.h for the contract. Its body is
 * q8_requantize_inline in q8_internal.h, where the runtime's kernels inline it; this is the
 * out-of-line definition for the users of q8.h (the parentheses keep the macro of the same name
 * from expanding).
 */
#include "q8_internal.h"

int32_t (q8_requantize)(int32_t acc, int32_t multiplier, int32_t shift) {
    return q8_requantize_inline(acc, multiplier, shift);
}
