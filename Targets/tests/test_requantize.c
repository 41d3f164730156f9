/*
 * q8_requantize against a slow exact version written independently from the rules (exact
 * integer rounding of rationals, no nudges or masks): every shift from −31 to 31 crossed with
 * edge accumulators and multipliers, constructed exact ties (for M = 2^30 and for any M of either
 * sign), and millions of random triples.
 */
#include "check.h"

/* floor(n / 2^k) for any int64 n, k in 1…62, by magnitudes only. */
static int64_t floor_div_pow2(int64_t n, int k) {
    const uint64_t d = (uint64_t)1 << k;
    if (n >= 0) return (int64_t)((uint64_t)n / d);
    return -(int64_t)(((uint64_t)(-n) + d - 1u) / d);
}

/* n / 2^k rounded to nearest, ties away from zero. */
static int64_t round_away_div_pow2(int64_t n, int k) {
    const uint64_t a = n < 0 ? (uint64_t)(-n) : (uint64_t)n;
    const uint64_t d = (uint64_t)1 << k;
    uint64_t q = a / d;
    if (2u * (a % d) >= d) q += 1u;
    return n < 0 ? -(int64_t)q : (int64_t)q;
}

static int32_t exact(int32_t acc, int32_t multiplier, int32_t shift) {
    int64_t x = acc, high;
    if (shift > 0) {
        x *= (int64_t)1 << (shift > 31 ? 31 : shift);
        if (x > INT32_MAX) x = INT32_MAX;
        if (x < INT32_MIN) x = INT32_MIN;
    }
    /* round(x · M / 2^31): ties toward +infinity, the one overflow saturated. */
    if (x == INT32_MIN && multiplier == INT32_MIN) high = INT32_MAX;
    else high = floor_div_pow2(x * multiplier + ((int64_t)1 << 30), 31);
    if (shift < 0) high = round_away_div_pow2(high, shift < -31 ? 31 : -shift);
    return (int32_t)high;
}

int main(void) {
    static const int32_t accs[] = {0, 1, -1, 2, -2, 3, -3, 127, -128, 255, -255, 32385, -32385, 65536, -65536,
                                   (1 << 30) - 1, 1 << 30, -(1 << 30), (1 << 30) + 1, INT32_MAX, INT32_MIN,
                                   INT32_MAX - 1, INT32_MIN + 1, 1 << 15, -(1 << 15), 1 << 20, -(1 << 20)};
    static const int32_t mults[] = {0, 1, -1, 2, 1 << 30, (1 << 30) + 1, INT32_MAX, INT32_MAX - 1, INT32_MIN,
                                    INT32_MIN + 1, 1518500250, 1717986918, -1073741824};
    const size_t na = sizeof accs / sizeof accs[0], nm = sizeof mults / sizeof mults[0];
    size_t i, j;
    int32_t shift;
    long mismatches = 0, k;

    for (shift = -40; shift <= 31; ++shift) {
        for (i = 0; i < na; ++i) {
            for (j = 0; j < nm; ++j) {
                const int32_t got = q8_requantize(accs[i], mults[j], shift), want = exact(accs[i], mults[j], shift);
                if (got != want && mismatches++ < 10) {
                    CHECK(0, "edge: q8_requantize(%ld, %ld, %ld) = %ld, exact %ld", (long)accs[i], (long)mults[j],
                          (long)shift, (long)got, (long)want);
                }
            }
        }
    }
    CHECK(mismatches == 0, "%ld edge mismatches", mismatches);

    /* Documented examples. */
    CHECK(q8_requantize(-1, 1 << 30, 0) == 0, "a negative tie of step 2 rounds toward +infinity");
    CHECK(q8_requantize(1, 1 << 30, 0) == 1, "a positive tie of step 2 rounds up");
    CHECK(q8_requantize(3, 1 << 30, -1) == 1, "1.5 → 2 → 1: step 3 of 2 / 2");
    CHECK(q8_requantize(-5, 1 << 30, -2) == -1, "-5/2 → -2 (tie up), -2/4 = -0.5 → -1 (tie away from zero)");
    CHECK(q8_requantize(INT32_MIN, INT32_MIN, 0) == INT32_MAX, "the single overflow saturates");
    CHECK(q8_requantize(1 << 20, 1 << 30, 20) == (1 << 30), "left shift saturates: 2^40 → INT32_MAX, then halved");

    /* Exact ties of step 3: with acc = 2h and M = 2^30, step 2 gives exactly h; choosing
     * h = (2t + 1) · 2^(e − 1) makes h / 2^e land on a half. */
    mismatches = 0;
    for (k = 0; k < 200000; ++k) {
        const int e = (int)rng_int(1, 31);
        const int64_t t = rng_int(-1000, 1000);
        const int64_t h = (2 * t + 1) * ((int64_t)1 << (e - 1));
        int32_t acc;
        if (h > INT32_MAX / 2 || h < INT32_MIN / 2) continue;
        acc = (int32_t)(2 * h);
        if (q8_requantize(acc, 1 << 30, -e) != exact(acc, 1 << 30, -e)) ++mismatches;
    }
    CHECK(mismatches == 0, "%ld tie mismatches", mismatches);

    /* Exact ties of step 3 for any multiplier, positive or negative: accumulators around
     * h · 2^31 / M, where h = (2t + 1) · 2^(e − 1) is a half of step 3, so that step 2 lands on or
     * next to it (the fast path for e ≥ 2 folds both steps and the sign of acc·M into one sum). */
    mismatches = 0;
    for (k = 0; k < 200000; ++k) {
        const int e = (int)rng_int(1, 31);
        const int32_t magnitude = rng_int(1, INT32_MAX);
        const int32_t mult = k % 2 == 0 ? magnitude : -magnitude;
        const int64_t t = rng_int(-1000, 1000) * (rng_int(0, 1) == 0 ? 1 : rng_int(1, 1 << 16));
        const int64_t h = (2 * t + 1) * ((int64_t)1 << (e - 1));
        int64_t acc, d;
        if (h > INT32_MAX || h < INT32_MIN) continue;
        acc = h * ((int64_t)1 << 31) / mult;
        for (d = -2; d <= 2; ++d) {
            const int64_t a = acc + d;
            if (a < INT32_MIN || a > INT32_MAX) continue;
            if (q8_requantize((int32_t)a, mult, -e) != exact((int32_t)a, mult, -e) && mismatches++ < 10) {
                CHECK(0, "tie: q8_requantize(%ld, %ld, %d) = %ld, exact %ld", (long)a, (long)mult, -e,
                      (long)q8_requantize((int32_t)a, mult, -e), (long)exact((int32_t)a, mult, -e));
            }
        }
    }
    CHECK(mismatches == 0, "%ld tie mismatches for any multiplier", mismatches);

    /* Random triples. */
    mismatches = 0;
    for (k = 0; k < 3000000; ++k) {
        const int32_t bits = rng_int(0, 31); /* accumulators of every magnitude */
        const int32_t acc = (int32_t)(rng_int(INT32_MIN, INT32_MAX) / ((int64_t)1 << bits));
        const int32_t mult = k % 4 == 0 ? rng_int(INT32_MIN, INT32_MAX) : rng_int(1 << 30, INT32_MAX);
        const int32_t s = rng_int(-31, 31);
        if (q8_requantize(acc, mult, s) != exact(acc, mult, s) && mismatches++ < 10) {
            CHECK(0, "random: q8_requantize(%ld, %ld, %ld) = %ld, exact %ld", (long)acc, (long)mult, (long)s,
                  (long)q8_requantize(acc, mult, s), (long)exact(acc, mult, s));
        }
    }
    CHECK(mismatches == 0, "%ld random mismatches", mismatches);
    return finish("test_requantize");
}
