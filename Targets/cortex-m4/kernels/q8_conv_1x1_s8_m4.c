/*
 * 1×1 CONV with groups == 1 (pointwise convolution, fully connected) for the Cortex-M4.
 *
 * Same arithmetic as q8_conv_s8: acc = bias + Σ (x − input_zp)·w over the input channels, then
 * q8_requantize and the output clamp. The input channels of 4 pixels (or of 1) are first widened
 * once into a buffer in the kernel scratch q8_run lends (q8_conv_scratch bytes) of int16 pairs holding x − input_zp (SXTAB16 adds the packed −input_zp
 * to both halves as it widens; x − zp is in −255…255, so no half wraps), since every output
 * channel reuses them: each group of 4 channels becomes two words, channels (0, 2) and (1, 3),
 * which is exactly how SXTB16 and SXTB16 ROR 8 split a word of 4 int8 weights, so SMLAD
 * multiplies them in place. The sums of up to CHUNK channels are then computed by one inline
 * assembly loop (GCC spills registers in such loops; the assembly uses all 14) and stored on the
 * stack, and C requantizes them:
 *  - 1 output channel × 4 pixels (chunk_1x4): per group of 4 input channels, one weight word
 *    widened twice feeds 8 SMLAD over two LDM of 4 buffer words: 16 MACs in 13 instructions, 28
 *    per 32 MACs with the loop control;
 *  - 4 output channels × 1 pixel (chunk_4x1; fully connected layers, pixels left over, and
 *    inputs too wide for 4 pixels in the buffer): per group, one LDRD of the buffer and, per
 *    channel, a weight word, two widenings and two SMLAD (44 instructions per 32 MACs).
 * Input channels beyond the last full group of 4 are added in C. The sums are the exact integer
 * sums of q8_conv_s8 in another order (q8_model_init bounds every partial sum by
 * |bias| + D·Σ|w| < 2^31), and every output goes through the runtime's q8_requantize, so the
 * bytes are identical. The assembly needs r7 free (GCC omits the frame pointer from -O1 on).
 *
 * Int4 weights (p->weight_bits 4, packed two per byte, element 2i in the low nibble of byte i):
 *  - in_c a multiple of 8 (every row starts on a byte; the layers of the models so far): the packed
 *    word of 8 weights e0…e7 is split by two ANDs with 0xF0F0F0F0 (one after LSL #4) into
 *    (e0, e2, e4, e6)·16 and (e1, e3, e5, e7)·16 as int8 bytes, whose SXTB16 / SXTB16 ROR 8 are the
 *    int16 pairs (e0, e4), (e2, e6), (e1, e5), (e3, e7); the input is widened into the matching
 *    pairs (x0, x4), (x2, x6), (x1, x5), (x3, x7) (widen_int4), so SMLAD sums 16·Σ x·w exactly
 *    (|Σ| ≤ 2304·255·128 < 2^31) and the sum is shifted right by 4 (exact) before the bias is added:
 *    1 channel × 4 pixels in assembly (chunk_1x4_int4, 28 instructions per 32 MACs as for int8),
 *    1 pixel in C with the same intrinsics (sums_one_pixel_int4);
 *  - otherwise the weights of 4 output channels at a time are unpacked to int8 rows in the scratch
 *    after the input buffer (8·⌈in_c/2⌉ more bytes, q8_conv_scratch), through a 256-entry table of
 *    byte pairs, and the int8 assembly runs on them.
 */
#include <arm_acle.h>
#include <stddef.h>
#include <string.h>

#include "q8_kernels_m4.h"

int q8_conv_1x1_s8_m4_fits(const q8_conv_params *p) {
    return p->kernel_h == 1 && p->kernel_w == 1 && p->groups == 1 && p->in.c <= Q8_M4_1X1_BUFFER &&
           q8_m4_scratch_ok(p->scratch, p->scratch_bytes, q8_conv_scratch(p));
}

/* Input pixel read by output pixel i (1×1 kernel: output (oy, ox) reads input (oy·stride_h, ox·stride_w)). */
static const int8_t *input_pixel(const q8_conv_params *p, const int8_t *input, int32_t i) {
    const int32_t oy = i / p->out.w, ox = i % p->out.w;
    return input + ((oy * p->stride_h) * p->in.w + ox * p->stride_w) * p->in.c;
}

/* Widens the `groups` full groups of 4 channels of pixel x into int16 pairs x − zp (neg_zp holds
 * −zp in both halves): channels (0, 2) then (1, 3) of each group, a pair of words every `stride` words. */
static void widen(const int8_t *x, int32_t groups, int32_t neg_zp, int32_t *dst, int32_t stride) {
    int32_t g;
    for (g = 0; g < groups; ++g, x += 4, dst += stride) {
        const int32_t v = q8_m4_load4(x);
        dst[0] = __sxtab16(neg_zp, v);
        dst[1] = q8_m4_sxtab16_odd(neg_zp, v);
    }
}

/* Output channels whose sums one call of chunk_1x4 (4 sums each) or chunk_4x1 (1 each) computes. */
#define CHUNK 32

/* The two int4 weights of a packed byte b (low nibble first) as two int8 bytes of a halfword. */
#define INT4_VALUE(n) ((uint16_t)(((n) ^ 8) - 8) & 0xFFu)
#define INT4_PAIR(b) ((uint16_t)(INT4_VALUE((b) & 15) | (INT4_VALUE((b) >> 4) << 8)))
#define INT4_PAIRS4(b) INT4_PAIR(b), INT4_PAIR((b) + 1), INT4_PAIR((b) + 2), INT4_PAIR((b) + 3)
#define INT4_PAIRS16(b) INT4_PAIRS4(b), INT4_PAIRS4((b) + 4), INT4_PAIRS4((b) + 8), INT4_PAIRS4((b) + 12)
static const uint16_t int4_pairs[256] = {
    INT4_PAIRS16(0),   INT4_PAIRS16(16),  INT4_PAIRS16(32),  INT4_PAIRS16(48),  INT4_PAIRS16(64),  INT4_PAIRS16(80),
    INT4_PAIRS16(96),  INT4_PAIRS16(112), INT4_PAIRS16(128), INT4_PAIRS16(144), INT4_PAIRS16(160), INT4_PAIRS16(176),
    INT4_PAIRS16(192), INT4_PAIRS16(208), INT4_PAIRS16(224), INT4_PAIRS16(240),
};

/* Int4 weight elements [first, first + count) of the packed tensor as int8 values at dst (TFLite's
 * dense int4: element 2i in the low nibble of byte i): per byte, one table load and a halfword store. */
static void unpack_int4(int8_t *dst, const int8_t *packed, int32_t first, int32_t count) {
    const uint8_t *src = (const uint8_t *)packed + (first >> 1);
    int8_t *const end = dst + count;
    if ((first & 1) != 0 && dst < end) *dst++ = (int8_t)(int4_pairs[*src++] >> 8);
    for (; end - dst >= 2; dst += 2) {
        const uint16_t v = int4_pairs[*src++];
        memcpy(dst, &v, sizeof v);
    }
    if (dst < end) *dst = (int8_t)int4_pairs[*src];
}

/* Whether the int4 weights take the direct path (no unpacking): in_c a multiple of 8. */
static int int4_direct(const q8_conv_params *p) { return p->weight_bits == 4 && (p->in.c & 7) == 0; }

static inline int32_t pack_low(int32_t a, int32_t b) { /* (a.low, b.low): PKHBT */
    int32_t r;
    __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(r) : "r"(a), "r"(b));
    return r;
}

static inline int32_t pack_high(int32_t a, int32_t b) { /* (a.high, b.high): PKHTB */
    int32_t r;
    __asm__("pkhtb %0, %1, %2, asr #16" : "=r"(r) : "r"(b), "r"(a));
    return r;
}

static inline int32_t sxtb16_ror8(int32_t w) {
    int32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(w));
    return r;
}

/* Widens the `groups8` groups of 8 channels of pixel x into the int16 pairs x − zp of the direct int4
 * path: per group (x0, x4), (x2, x6), (x1, x5), (x3, x7), `stride` words apart, the next group 4·stride
 * words further. */
static void widen_int4(const int8_t *x, int32_t groups8, int32_t neg_zp, int32_t *dst, int32_t stride) {
    int32_t g;
    for (g = 0; g < groups8; ++g, x += 8, dst += 4 * stride) {
        const int32_t v0 = q8_m4_load4(x), v1 = q8_m4_load4(x + 4);
        const int32_t e0 = __sxtab16(neg_zp, v0), o0 = q8_m4_sxtab16_odd(neg_zp, v0);
        const int32_t e1 = __sxtab16(neg_zp, v1), o1 = q8_m4_sxtab16_odd(neg_zp, v1);
        dst[0] = pack_low(e0, e1);
        dst[stride] = pack_high(e0, e1);
        dst[2 * stride] = pack_low(o0, o1);
        dst[3 * stride] = pack_high(o0, o1);
    }
}

/* What chunk_1x4's assembly reads (and advances) through one register; offsets in comments. */
typedef struct state_1x4 {
    const int8_t *weights;  /*  0: first channel's weights */
    const uint8_t *bias;    /*  4: first channel's bias, advanced by 4 per channel */
    const int32_t *buffer;  /*  8: the 4-pixel buffer */
    const int32_t *end;     /* 12: its end (groups · 8 words) */
    int32_t tail;           /* 16: in_c & 3, weights skipped after the full groups */
    int32_t *acc;           /* 20: next 4 sums, advanced by 16 bytes per channel */
    int32_t *acc_end;       /* 24: end of the sums */
} state_1x4;

/* One group of 4 input channels for 1 channel × 4 pixels (r0–r3 the sums of pixels 0–3): the
 * weight word, widened to (0, 2) in r9 and (1, 3) in r8, meets pixels 0–1 then 2–3 of the buffer,
 * loaded by LDM into r4–r7. */
#define GROUP_1X4                       \
    "ldr     r8, [r11], #4\n\t"         \
    "ldmia   r10!, {r4, r5, r6, r7}\n\t" \
    "sxtb16  r9, r8\n\t"                \
    "sxtb16  r8, r8, ror #8\n\t"        \
    "smlad   r0, r4, r9, r0\n\t"        \
    "smlad   r0, r5, r8, r0\n\t"        \
    "smlad   r1, r6, r9, r1\n\t"        \
    "smlad   r1, r7, r8, r1\n\t"        \
    "ldmia   r10!, {r4, r5, r6, r7}\n\t" \
    "smlad   r2, r4, r9, r2\n\t"        \
    "smlad   r2, r5, r8, r2\n\t"        \
    "smlad   r3, r6, r9, r3\n\t"        \
    "smlad   r3, r7, r8, r3\n\t"

/* The channel loop: for each channel, r0–r3 = its bias, then the groups two per iteration (an
 * odd count enters at the second, `entry` is "b 2f"), until r10 reaches the buffer's end (r12);
 * then the 4 sums are stored and the weights skip the tail. lr holds the state_1x4. */
#define CHUNK_1X4(entry)                \
    "ldr     r11, [lr, #0]\n\t"         \
    "ldr     r12, [lr, #12]\n\t"        \
    "3:\n\t"                            \
    "ldr     r8, [lr, #4]\n\t"          \
    "ldr     r10, [lr, #8]\n\t"         \
    "ldr     r0, [r8], #4\n\t"          \
    "str     r8, [lr, #4]\n\t"          \
    "mov     r1, r0\n\t"                \
    "mov     r2, r0\n\t"                \
    "mov     r3, r0\n\t"                \
    entry                               \
    "1:\n\t" GROUP_1X4                  \
    "2:\n\t" GROUP_1X4                  \
    "cmp     r10, r12\n\t"              \
    "bne     1b\n\t"                    \
    "ldr     r8, [lr, #20]\n\t"         \
    "ldr     r9, [lr, #16]\n\t"         \
    "stmia   r8!, {r0, r1, r2, r3}\n\t" \
    "add     r11, r11, r9\n\t"          \
    "str     r8, [lr, #20]\n\t"         \
    "ldr     r9, [lr, #24]\n\t"         \
    "cmp     r8, r9\n\t"                \
    "bne     3b\n\t"

/* For each of the channels of s (s->acc to s->acc_end, 4 sums each): sums = bias + Σ (x_j − zp)·w
 * over the full groups of 4 input channels (at least one) of the 4 pixels in the buffer. */
static void chunk_1x4(state_1x4 *s, int odd) {
    register state_1x4 *state __asm__("lr") = s;
    if (odd) {
        __asm__ volatile(CHUNK_1X4("b       2f\n\t")
                         : "+r"(state)
                         :
                         : "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11", "r12", "cc",
                           "memory");
    } else {
        __asm__ volatile(CHUNK_1X4("")
                         : "+r"(state)
                         :
                         : "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11", "r12", "cc",
                           "memory");
    }
}

/* One group of 8 input channels of the direct int4 path for 1 channel × 4 pixels: the packed word
 * (r8) split into (e0, e2, e4, e6)·16 (r9) and (e1, e3, e5, e7)·16 (r8); each of its 4 int16 pairs
 * (in lr, then r9 / r8 in place) meets the matching pair of the 4 pixels, loaded by LDM into r4–r7. */
#define PAIR_1X4(w)                     \
    "ldmia   r10!, {r4, r5, r6, r7}\n\t" \
    "smlad   r0, r4, " w ", r0\n\t"     \
    "smlad   r1, r5, " w ", r1\n\t"     \
    "smlad   r2, r6, " w ", r2\n\t"     \
    "smlad   r3, r7, " w ", r3\n\t"
#define GROUP8_1X4                      \
    "ldr     r8, [r11], #4\n\t"         \
    "lsl     r9, r8, #4\n\t"            \
    "and     r9, r9, #0xF0F0F0F0\n\t"   \
    "and     r8, r8, #0xF0F0F0F0\n\t"   \
    "sxtb16  lr, r9\n\t"                \
    "sxtb16  r9, r9, ror #8\n\t" PAIR_1X4("lr") PAIR_1X4("r9") \
    "sxtb16  lr, r8\n\t"                \
    "sxtb16  r8, r8, ror #8\n\t" PAIR_1X4("lr") PAIR_1X4("r8")

/* The channel loop of the direct int4 path: the state_1x4 pointer is kept on the stack (lr is a
 * temporary in the group loop); per channel r0–r3 = 0, the groups until r10 reaches the buffer's
 * end (r12), then sums = bias + (16·Σ >> 4), stored; the weights need no skip (in_c % 8 == 0). */
static void chunk_1x4_int4(state_1x4 *s) {
    register state_1x4 *state __asm__("lr") = s;
    __asm__ volatile("ldr     r11, [lr, #0]\n\t"
                     "ldr     r12, [lr, #12]\n\t"
                     "str     lr, [sp, #-8]!\n\t"
                     "3:\n\t"
                     "ldr     r10, [lr, #8]\n\t"
                     "movs    r0, #0\n\t"
                     "movs    r1, #0\n\t"
                     "movs    r2, #0\n\t"
                     "movs    r3, #0\n\t"
                     "1:\n\t" GROUP8_1X4
                     "cmp     r10, r12\n\t"
                     "bne     1b\n\t"
                     "ldr     lr, [sp]\n\t"
                     "ldr     r8, [lr, #4]\n\t"
                     "ldr     r9, [r8], #4\n\t"
                     "str     r8, [lr, #4]\n\t"
                     "add     r0, r9, r0, asr #4\n\t"
                     "add     r1, r9, r1, asr #4\n\t"
                     "add     r2, r9, r2, asr #4\n\t"
                     "add     r3, r9, r3, asr #4\n\t"
                     "ldr     r8, [lr, #20]\n\t"
                     "stmia   r8!, {r0, r1, r2, r3}\n\t"
                     "str     r8, [lr, #20]\n\t"
                     "ldr     r9, [lr, #24]\n\t"
                     "cmp     r8, r9\n\t"
                     "bne     3b\n\t"
                     "add     sp, sp, #8\n\t"
                     : "+r"(state)
                     :
                     : "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11", "r12", "cc", "memory");
}

/* The sums of channels c[0…n−1] of one pixel on the direct int4 path (buffer from widen_int4 with
 * stride 1): per channel and group of 8 inputs, the packed word split and widened as in
 * chunk_1x4_int4 and four SMLAD; bias + (16·Σ >> 4). */
static void sums_one_pixel_int4(const q8_conv_params *p, const int32_t *buffer, const int32_t *c, int32_t n, int32_t *acc) {
    const int32_t in_c = p->in.c, groups8 = in_c >> 3;
    int32_t k, g;
    for (k = 0; k < n; ++k) {
        const int8_t *w = p->weights + c[k] * (in_c >> 1);
        const int32_t *b = buffer;
        int32_t sum = 0;
        for (g = 0; g < groups8; ++g, w += 4, b += 4) {
            const uint32_t v = (uint32_t)q8_m4_load4(w);
            const int32_t lo = (int32_t)((v << 4) & 0xF0F0F0F0u), hi = (int32_t)(v & 0xF0F0F0F0u);
            sum = __smlad(b[0], __sxtb16(lo), sum);
            sum = __smlad(b[1], sxtb16_ror8(lo), sum);
            sum = __smlad(b[2], __sxtb16(hi), sum);
            sum = __smlad(b[3], sxtb16_ror8(hi), sum);
        }
        acc[k] = q8_i32(p->bias + 4 * c[k]) + (sum >> 4);
    }
}

/* What chunk_4x1's assembly reads (and advances) through one register; offsets in comments. */
typedef struct state_4x1 {
    const int8_t *wa;      /*  0: weights of channel 0 of the first 4 (channel 1 is `step` + 4 bytes further) */
    const int8_t *wb;      /*  4: weights of channel 2 (channel 3 likewise) */
    int32_t step;          /*  8: bytes from a channel's weights to the next one's, minus 4 */
    const int32_t *end;    /* 12: end of the buffer's full groups (groups · 2 words) */
    int32_t jump;          /* 16: bytes from the end of a channel's full groups to the channel 4 further */
    int32_t *acc;          /* 20: next 4 sums (holding the biases on entry), advanced by 16 bytes */
    int32_t *acc_end;      /* 24: end of the sums */
    const int32_t *buffer; /* 28: the 1-pixel buffer */
} state_4x1;

/* The offsets the assembly uses (pointers and int32_t are 4 bytes on the M4): a negative array
 * size stops the build if a field moves. */
typedef char state_offsets_ok[offsetof(state_1x4, acc_end) == 24 && offsetof(state_4x1, buffer) == 28 ? 1 : -1];

/* One channel's part of a group for 1 pixel: its weight word (loaded into r6), widened to (0, 2)
 * in r7 and (1, 3) in r6, meets the pixel's pair of buffer words r4, r5. */
#define CHANNEL_4X1(sum)                      \
    "sxtb16  r7, r6\n\t"                      \
    "sxtb16  r6, r6, ror #8\n\t"              \
    "smlad   " sum ", r4, r7, " sum "\n\t"    \
    "smlad   " sum ", r5, r6, " sum "\n\t"

/* One group of 4 input channels for 4 channels × 1 pixel: channels at r8, r8 + step (r11, after
 * the increment), r9, r9 + step. */
#define GROUP_4X1                                  \
    "ldrd    r4, r5, [r10], #8\n\t"                \
    "ldr     r6, [r8], #4\n\t" CHANNEL_4X1("r0")   \
    "ldr     r6, [r8, r11]\n\t" CHANNEL_4X1("r1")  \
    "ldr     r6, [r9], #4\n\t" CHANNEL_4X1("r2")   \
    "ldr     r6, [r9, r11]\n\t" CHANNEL_4X1("r3")

/* The loop over groups of 4 channels: r0–r3 = their 4 sums from s->acc, then the groups two per
 * iteration (an odd count enters at the second, `entry` is "b 2f") until r10 reaches the
 * buffer's end (r12); the sums are stored back and the weights jump to the next 4 channels. lr
 * holds the state_4x1. */
#define CHUNK_4X1(entry)                    \
    "ldr     r8, [lr, #0]\n\t"              \
    "ldr     r9, [lr, #4]\n\t"              \
    "ldr     r11, [lr, #8]\n\t"             \
    "ldr     r12, [lr, #12]\n\t"            \
    "3:\n\t"                                \
    "ldr     r7, [lr, #20]\n\t"             \
    "ldr     r10, [lr, #28]\n\t"            \
    "ldmia   r7, {r0, r1, r2, r3}\n\t"      \
    entry                                   \
    "1:\n\t" GROUP_4X1                      \
    "2:\n\t" GROUP_4X1                      \
    "cmp     r10, r12\n\t"                  \
    "bne     1b\n\t"                        \
    "ldr     r7, [lr, #20]\n\t"             \
    "ldr     r6, [lr, #16]\n\t"             \
    "stmia   r7!, {r0, r1, r2, r3}\n\t"     \
    "add     r8, r8, r6\n\t"                \
    "add     r9, r9, r6\n\t"                \
    "str     r7, [lr, #20]\n\t"             \
    "ldr     r6, [lr, #24]\n\t"             \
    "cmp     r7, r6\n\t"                    \
    "bne     3b\n\t"

/* For each 4 channels of s (s->acc to s->acc_end): sums += Σ (x − zp)·w over the full groups of
 * 4 input channels (at least one) of the pixel in the buffer. */
static void chunk_4x1(state_4x1 *s, int odd) {
    register state_4x1 *state __asm__("lr") = s;
    if (odd) {
        __asm__ volatile(CHUNK_4X1("b       2f\n\t")
                         : "+r"(state)
                         :
                         : "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11", "r12", "cc",
                           "memory");
    } else {
        __asm__ volatile(CHUNK_4X1("")
                         : "+r"(state)
                         :
                         : "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11", "r12", "cc",
                           "memory");
    }
}

/* Requantizes the n channels from oc of 4 pixels (sums acc, 4 per channel) into out (pixel j at
 * out + j·out_c). full_range: the clamp is the whole int8 range, so q8_m4_output may take its
 * SSAT clamp (exact for any shift; the shift varies by channel here). */
static inline __attribute__((always_inline)) void requantize_4_pixels(const q8_conv_params *p, const int32_t *acc,
                                                                      int32_t oc, int32_t n, int8_t *out,
                                                                      int full_range) {
    const int32_t out_c = p->out.c, zp = p->output_zp, lo = p->act_min, hi = p->act_max;
    const uint8_t *multiplier = p->multiplier + 4 * oc;
    const int8_t *shift = p->shift + oc;
    const int32_t *const end = acc + 4 * n;
    int8_t *o = out + oc;
    for (; acc != end; acc += 4, multiplier += 4, ++shift, ++o) {
        const int32_t m = q8_i32(multiplier), s = *shift;
        int8_t *const o2 = o + 2 * out_c;
        o[0] = q8_m4_output(acc[0], m, s, zp, lo, hi, full_range);
        o[out_c] = q8_m4_output(acc[1], m, s, zp, lo, hi, full_range);
        o2[0] = q8_m4_output(acc[2], m, s, zp, lo, hi, full_range);
        o2[out_c] = q8_m4_output(acc[3], m, s, zp, lo, hi, full_range);
    }
}

/* requantize_4_pixels for the whole int8 range, and for any clamp (separate functions, so that
 * the compiler allocates their registers on their own). */
static __attribute__((noinline)) void requantize_4_pixels_full(const q8_conv_params *p, const int32_t *acc, int32_t oc,
                                                               int32_t n, int8_t *out) {
    requantize_4_pixels(p, acc, oc, n, out, 1);
}

static __attribute__((noinline)) void requantize_4_pixels_clamped(const q8_conv_params *p, const int32_t *acc,
                                                                  int32_t oc, int32_t n, int8_t *out) {
    requantize_4_pixels(p, acc, oc, n, out, 0);
}

/* Every output channel of 4 pixels (inputs x, outputs from out, out_c apart) from the 4-pixel
 * buffer, CHUNK channels at a time: sums in assembly, then the input channels after the last
 * full group of 4 in C, then requantization. */
static void four_pixels(const q8_conv_params *p, const int8_t *const x[4], const int32_t *buffer, int8_t *rows4,
                        int8_t *out) {
    const int32_t in_c = p->in.c, out_c = p->out.c, groups = in_c >> 2, full = in_c & ~3, zp = p->input_zp;
    const int full_range = p->act_min == -128 && p->act_max == 127;
    const int direct = int4_direct(p);
    const int32_t chunk = p->weight_bits == 4 && !direct ? 4 : CHUNK; /* unpacked int4: 4 rows at rows4 */
    int32_t acc[4 * CHUNK];
    int32_t oc, k, i;
    for (oc = 0; oc < out_c; oc += chunk) {
        const int32_t n = out_c - oc < chunk ? out_c - oc : chunk;
        const int8_t *rows; /* the weights of channels oc … oc + n − 1, in_c apart */
        if (direct) {
            state_1x4 s;
            s.weights = p->weights + oc * (in_c >> 1);
            s.bias = p->bias + 4 * oc;
            s.buffer = buffer;
            s.end = buffer + 16 * (in_c >> 3);
            s.tail = 0;
            s.acc = acc;
            s.acc_end = acc + 4 * n;
            chunk_1x4_int4(&s);
            if (full_range) {
                requantize_4_pixels_full(p, acc, oc, n, out);
            } else {
                requantize_4_pixels_clamped(p, acc, oc, n, out);
            }
            continue;
        }
        if (p->weight_bits == 4) {
            unpack_int4(rows4, p->weights, oc * in_c, n * in_c);
            rows = rows4;
        } else {
            rows = p->weights + oc * in_c;
        }
        if (groups > 0) {
            state_1x4 s;
            s.weights = rows;
            s.bias = p->bias + 4 * oc;
            s.buffer = buffer;
            s.end = buffer + 8 * groups;
            s.tail = in_c & 3;
            s.acc = acc;
            s.acc_end = acc + 4 * n;
            chunk_1x4(&s, groups & 1);
        } else {
            for (k = 0; k < 4 * n; ++k) acc[k] = q8_i32(p->bias + 4 * (oc + k / 4));
        }
        if (full < in_c) {
            for (k = 0; k < n; ++k) {
                const int8_t *w = rows + k * in_c;
                for (i = full; i < in_c; ++i) {
                    acc[4 * k] += (x[0][i] - zp) * w[i];
                    acc[4 * k + 1] += (x[1][i] - zp) * w[i];
                    acc[4 * k + 2] += (x[2][i] - zp) * w[i];
                    acc[4 * k + 3] += (x[3][i] - zp) * w[i];
                }
            }
        }
        if (full_range) {
            requantize_4_pixels_full(p, acc, oc, n, out);
        } else {
            requantize_4_pixels_clamped(p, acc, oc, n, out);
        }
    }
}

/* Sums of the channels c[0…n−1] of one pixel (input x, its buffer), 4 by 4 with c[4q + 1] −
 * c[4q] = c[4q + 3] − c[4q + 2] = d and c[4q + 4] = c[4q] + 4 (so either consecutive channels
 * with d = 1, or one group of 4 with repeats): biases in C, full groups of input channels in
 * assembly, the rest in C. rows: the int8 weights of channel c[0], those of channel c[0] + j
 * j·in_c bytes further. */
static void sums_one_pixel(const q8_conv_params *p, const int8_t *x, const int32_t *buffer, const int8_t *rows,
                           const int32_t *c, int32_t n, int32_t d, int32_t *acc) {
    const int32_t in_c = p->in.c, groups = in_c >> 2, full = in_c & ~3, zp = p->input_zp;
    int32_t k, i;
    for (k = 0; k < n; ++k) acc[k] = q8_i32(p->bias + 4 * c[k]);
    if (groups > 0) {
        state_4x1 s;
        s.wa = rows;
        s.wb = rows + (c[2] - c[0]) * in_c;
        s.step = d * in_c - 4;
        s.end = buffer + 2 * groups;
        s.jump = 4 * in_c - 4 * groups;
        s.acc = acc;
        s.acc_end = acc + n;
        s.buffer = buffer;
        chunk_4x1(&s, groups & 1);
    }
    for (k = 0; k < n && full < in_c; ++k) {
        const int8_t *w = rows + (c[k] - c[0]) * in_c;
        for (i = full; i < in_c; ++i) acc[k] += (x[i] - zp) * w[i];
    }
}

/* sums_one_pixel over int8 weights in place, or over int4 weights 4 channels at a time, each
 * group's rows (c[4q] … c[4q + 3], at most 4) unpacked to rows4 first. n is a multiple of 4. */
static void sums(const q8_conv_params *p, const int8_t *x, const int32_t *buffer, int8_t *rows4, const int32_t *c,
                 int32_t n, int32_t d, int32_t *acc) {
    const int32_t in_c = p->in.c;
    int32_t q;
    if (p->weight_bits != 4) {
        sums_one_pixel(p, x, buffer, p->weights + c[0] * in_c, c, n, d, acc);
        return;
    }
    if (int4_direct(p)) {
        sums_one_pixel_int4(p, buffer, c, n, acc);
        return;
    }
    for (q = 0; q < n; q += 4) {
        unpack_int4(rows4, p->weights, c[q] * in_c, (c[q + 3] - c[q] + 1) * in_c);
        sums_one_pixel(p, x, buffer, rows4, c + q, 4, d, acc + q);
    }
}

/* Requantizes the sums acc of channels c[0…n−1] of one pixel into out; full_range as for
 * requantize_4_pixels. */
static inline __attribute__((always_inline)) void requantize_one_pixel(const q8_conv_params *p, const int32_t *acc,
                                                                       const int32_t *c, int32_t n, int8_t *out,
                                                                       int full_range) {
    const int32_t zp = p->output_zp, lo = p->act_min, hi = p->act_max;
    const uint8_t *const multiplier = p->multiplier;
    const int8_t *const shift = p->shift;
    int32_t k;
    for (k = 0; k < n; ++k) {
        const int32_t ch = c[k];
        out[ch] = q8_m4_output(acc[k], q8_i32(multiplier + 4 * ch), shift[ch], zp, lo, hi, full_range);
    }
}

/* Every output channel of one pixel (input x, outputs at out) from the 1-pixel buffer, CHUNK
 * channels at a time; when out_c is not a multiple of 4, the last 1–3 channels are computed as a
 * group of 4 with repeats: (oc, oc, oc, oc), (oc, oc+1, oc, oc+1) or (oc, oc+1, oc+1, oc+2). */
static void one_pixel(const q8_conv_params *p, const int8_t *x, const int32_t *buffer, int8_t *rows4, int8_t *out) {
    const int32_t out_c = p->out.c, quads = out_c & ~3;
    const int full_range = p->act_min == -128 && p->act_max == 127;
    int32_t c[CHUNK], acc[CHUNK];
    int32_t oc, k;
    for (oc = 0; oc < out_c; oc += CHUNK) {
        int32_t n = quads - oc < CHUNK ? quads - oc : CHUNK, d = 1;
        for (k = 0; k < n; ++k) c[k] = oc + k;
        if (n < CHUNK && quads < out_c) {
            const int32_t left = out_c - quads;
            d = left > 1 ? 1 : 0;
            c[n] = quads;
            c[n + 1] = quads + d;
            c[n + 2] = quads + (left == 3 ? 1 : 0);
            c[n + 3] = c[n + 2] + d;
            if (n > 0) sums(p, x, buffer, rows4, c, n, 1, acc);
            sums(p, x, buffer, rows4, c + n, 4, d, acc + n);
            n += 4;
        } else {
            sums(p, x, buffer, rows4, c, n, 1, acc);
        }
        if (full_range) {
            requantize_one_pixel(p, acc, c, n, out, 1);
        } else {
            requantize_one_pixel(p, acc, c, n, out, 0);
        }
    }
}

void q8_conv_1x1_s8_m4(const q8_conv_params *p, const int8_t *input, int8_t *output) {
    int32_t *const buffer = (int32_t *)(void *)p->scratch; /* int16 pairs; q8_conv_scratch(p) bytes */
    const int32_t pixels = p->out.h * p->out.w, in_c = p->in.c, out_c = p->out.c, groups = in_c >> 2;
    const int32_t neg_zp = (int32_t)(((uint32_t)(uint16_t)(int16_t)-p->input_zp) * 0x10001u);
    /* Int4 weight rows after the input buffer (q8_conv_scratch: 8 or 2 bytes per full input channel). */
    int8_t *const rows4 = (int8_t *)p->scratch + (4 * in_c <= Q8_M4_1X1_BUFFER ? 8 : 2) * (in_c & ~3);
    int32_t i = 0, j;
    if (4 * in_c <= Q8_M4_1X1_BUFFER) {
        for (; i + 4 <= pixels; i += 4) {
            const int8_t *x[4];
            for (j = 0; j < 4; ++j) {
                x[j] = input_pixel(p, input, i + j);
                if (int4_direct(p)) {
                    widen_int4(x[j], in_c >> 3, neg_zp, buffer + j, 4);
                } else {
                    widen(x[j], groups, neg_zp, buffer + 2 * j, 8);
                }
            }
            four_pixels(p, x, buffer, rows4, output + i * out_c);
        }
    }
    for (; i < pixels; ++i) {
        const int8_t *x = input_pixel(p, input, i);
        if (int4_direct(p)) {
            widen_int4(x, in_c >> 3, neg_zp, buffer, 1);
        } else {
            widen(x, groups, neg_zp, buffer, 2);
        }
        one_pixel(p, x, buffer, rows4, output + i * out_c);
    }
}
