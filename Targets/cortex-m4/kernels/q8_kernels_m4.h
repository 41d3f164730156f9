/*
 * Optimized Cortex-M4 kernels. Each takes the portable kernel's parameter struct and gives exactly
 * the bytes of the portable kernel for the shapes its *_fits function accepts (every shape when it
 * has none); q8_dispatch_m4.c decides which kernel runs.
 */
#ifndef Q8_KERNELS_M4_H
#define Q8_KERNELS_M4_H

#include <arm_acle.h>

#include <string.h>

#include "q8_internal.h"

#if !defined(__ARM_FEATURE_DSP) || !defined(__ARM_FEATURE_SIMD32)
#error "Targets/cortex-m4/kernels need the Armv7E-M DSP extension (-mcpu=cortex-m4)"
#endif

/** The 4 bytes at p as one word (memcpy compiles to one unaligned LDR on the M4). */
static inline int32_t q8_m4_load4(const void *p) {
    int32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/**
 * SXTAB16 of the odd bytes (1 and 3) of w: the instruction's own ROR #8 operand, which GCC 12
 * does not fold from a C rotation (its arm_acle.h has no __ror either).
 */
static inline int32_t q8_m4_sxtab16_odd(int32_t a, int32_t w) {
    int32_t r;
    __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(a), "r"(w));
    return r;
}

/** The int16 pair (low, high) as one word. */
static inline int32_t q8_m4_pair(int32_t low, int32_t high) {
    return (int32_t)(((uint32_t)low & 0xFFFFu) | ((uint32_t)high << 16));
}

/** The low int16 lane of v, sign-extended (SXTH). */
static inline int32_t q8_m4_low_lane(int32_t v) { return (int32_t)(((uint32_t)v & 0xFFFFu) ^ 0x8000u) - 0x8000; }

/**
 * The output byte of accumulator acc, exactly q8_requantize_to_s8(acc, multiplier, shift, zp, lo, hi):
 * q8_requantize, then clamp(v, lo − zp, hi − zp) + zp. common may be set only when [lo, hi] is the
 * whole int8 range; the clamp is then SSAT of the saturating sum v + zp, the same number in two
 * instructions instead of seven. The kernels pass a constant: 1 in a copy of their loop that runs
 * when q8_m4_common holds (every layer of the models so far), where the compiler also knows which
 * case of q8_requantize runs, and 0 in the copy for the other cases.
 */
static inline int8_t q8_m4_output(int32_t acc, int32_t multiplier, int32_t shift, int32_t zp, int32_t lo, int32_t hi,
                                  int common) {
    if (common) return (int8_t)__ssat(__qadd(q8_requantize(acc, multiplier, shift), zp), 8);
    return q8_requantize_to_s8(acc, multiplier, shift, zp, lo, hi);
}

/**
 * Whether the kernel scratch lent to a kernel (q8_run: arena + arena_bytes, the blob's scratch_bytes)
 * holds `need` bytes and is 8-byte aligned (the kernels read it with LDRD/LDM). When it does not,
 * the dispatcher runs the portable kernel instead: the same bytes, more instructions.
 */
static inline int q8_m4_scratch_ok(const uint8_t *scratch, uint32_t bytes, uint32_t need) {
    return scratch != 0 && need <= bytes && ((uintptr_t)scratch & 7u) == 0u;
}

/** Whether the output clamp [lo, hi] is the whole int8 range and shift < −1 (the common case). */
static inline int q8_m4_common(int32_t shift, int32_t lo, int32_t hi) { return shift < -1 && lo == -128 && hi == 127; }

/**
 * int16 values q8_conv_1x1_s8_m4's buffer (in the lent scratch, q8_conv_scratch bytes) holds at
 * most: the widened input channels of 4 pixels when in_c ≤ 576, else of 1 pixel; the kernel takes
 * in_c up to this.
 */
#define Q8_M4_1X1_BUFFER 2304

/**
 * Whether q8_conv_1x1_s8_m4 handles p: 1×1 kernel, groups == 1 (any stride; 1×1 has no padding),
 * in_c ≤ Q8_M4_1X1_BUFFER, and the scratch holds q8_conv_scratch(p) bytes.
 */
int q8_conv_1x1_s8_m4_fits(const q8_conv_params *p);

/** 1×1 convolution / fully connected: 1 output channel × 4 pixels, or 4 channels × 1 pixel, per inner loop. */
void q8_conv_1x1_s8_m4(const q8_conv_params *p, const int8_t *input, int8_t *output);

/** Taps (kernel_h·kernel_w·in_c) and kernel rows q8_conv_patch_s8_m4 takes at most. */
#define Q8_M4_PATCH_MAX 256
#define Q8_M4_PATCH_ROWS 64

/**
 * Whether q8_conv_patch_s8_m4 handles p: groups == 1, ≤ Q8_M4_PATCH_MAX taps, ≤ Q8_M4_PATCH_ROWS
 * kernel rows, and Q8_SCRATCH_PATCH bytes of scratch (its buffers, q8_m4_patch_scratch_bytes).
 */
int q8_conv_patch_s8_m4_fits(const q8_conv_params *p);

/** Bytes of q8_conv_patch_s8_m4's buffers (≤ Q8_SCRATCH_PATCH; test_kernels checks it). */
uint32_t q8_m4_patch_scratch_bytes(void);

/** Convolution with groups == 1 through int16 windows of a strip of pixels: one output channel at a time, SMLAD. */
void q8_conv_patch_s8_m4(const q8_conv_params *p, const int8_t *input, int8_t *output);

/** Taps (kernel_h·kernel_w) q8_depthwise_conv_s8_m4 takes at most: its weight buffer is 8 bytes per tap. */
#define Q8_M4_DEPTHWISE_TAPS_MAX 49

/**
 * Whether q8_depthwise_conv_s8_m4 handles p: depthwise, at least 4 channels, ≤ Q8_M4_DEPTHWISE_TAPS_MAX
 * taps, and Q8_SCRATCH_DEPTHWISE bytes of scratch (its buffers, q8_m4_depthwise_scratch_bytes).
 */
int q8_depthwise_conv_s8_m4_fits(const q8_conv_params *p);

/** Bytes of q8_depthwise_conv_s8_m4's buffers (≤ Q8_SCRATCH_DEPTHWISE; test_kernels checks it). */
uint32_t q8_m4_depthwise_scratch_bytes(void);

/** Depthwise convolution, 4 channels per inner loop (SXTAB16 + SMLABB/SMLATT). */
void q8_depthwise_conv_s8_m4(const q8_conv_params *p, const int8_t *input, int8_t *output);

/**
 * HARD_SWISH, through a 256-entry table (in the scratch) for more than 256 elements
 * when the scratch holds Q8_SCRATCH_HARD_SWISH bytes; else element by element. Any count.
 */
void q8_hard_swish_s8_m4(const q8_hard_swish_params *p, const int8_t *input, int8_t *output);
/** LOOKUP, a word at a time; bit-identical to q8_lookup_s8. */
void q8_lookup_s8_m4(const q8_lookup_params *p, const int8_t *input, int8_t *output);

/** MUL (squeeze-excitation gate), 4 channels at a time (SXTAB16 + SMULBB/SMULTT); any shape. */
void q8_mul_s8_m4(const q8_mul_params *p, const int8_t *input, const int8_t *gate, int8_t *output);

/** Whether q8_add_s8_m4 pays off and can run: more than 256 elements, Q8_SCRATCH_ADD bytes of scratch. */
int q8_add_s8_m4_fits(const q8_add_params *p);

/** ADD through two 256-entry tables of rescaled inputs built with q8_requantize (in the scratch). */
void q8_add_s8_m4(const q8_add_params *p, const int8_t *input1, const int8_t *input2, int8_t *output);

/** GLOBAL_AVG_POOL, 4 channels at a time (SXTAB16 into int16 lanes); any shape. */
void q8_global_avg_pool_s8_m4(const q8_requant *r, q8_shape in, const int8_t *input, int8_t *output);

#endif /* Q8_KERNELS_M4_H */
