// Element-wise int8 → int8 table lookup with AVX-512 VBMI: the 256-entry table lives in four
// registers; `vpermi2b` looks up 64 bytes in each 128-entry half by the index's low 7 bits and
// the index's top bit picks the half.
#include "avx512.h"

#if defined(__x86_64__)
/// The table entries of the 64 indices `x` (as unsigned bytes) from the halves (t0, t1), (t2, t3).
Q8H_INLINE __m512i lookup64(__m512i x, __m512i t0, __m512i t1, __m512i t2, __m512i t3) {
    const __m512i low = _mm512_permutex2var_epi8(t0, x, t1), high = _mm512_permutex2var_epi8(t2, x, t3);
    return _mm512_mask_blend_epi8(_mm512_movepi8_mask(x), low, high);
}

Q8H_TARGET void q8h_lookup(const int8_t *table, const int8_t *input, int8_t *output, size_t count) {
    const __m512i t0 = _mm512_loadu_si512(table), t1 = _mm512_loadu_si512(table + 64);
    const __m512i t2 = _mm512_loadu_si512(table + 128), t3 = _mm512_loadu_si512(table + 192);
    size_t i = 0;
    for (; i + 128 <= count; i += 128) {
        const __m512i a = _mm512_loadu_si512(input + i), b = _mm512_loadu_si512(input + i + 64);
        _mm512_storeu_si512(output + i, lookup64(a, t0, t1, t2, t3));
        _mm512_storeu_si512(output + i + 64, lookup64(b, t0, t1, t2, t3));
    }
    for (; i < count; i += 64) {
        const size_t n = count - i < 64 ? count - i : 64;
        const __mmask64 m = (__mmask64)(~0ull >> (64 - n));
        _mm512_mask_storeu_epi8(output + i, m, lookup64(_mm512_maskz_loadu_epi8(m, input + i), t0, t1, t2, t3));
    }
}
#else
void q8h_lookup(const int8_t *table, const int8_t *input, int8_t *output, size_t count) {
    for (size_t i = 0; i < count; i++) output[i] = table[(uint8_t)input[i]];
}
#endif
