/*
 * Per-kernel instruction profile of q8_run on the emulated Cortex-M4 (`make profile`).
 *
 * This uses the linker: the profile firmware is linked with `-Wl,--wrap=q8_conv_s8` (and so on
 * for every kernel, the optimized ones of kernels/ included), which sends the calls of q8_run.c
 * and kernels/q8_dispatch_m4.c to the __wrap_ functions below (ADD, MUL, HARD_SWISH and
 * GLOBAL_AVG_POOL are timed around their dispatch hooks, one figure whether the hook calls an
 * optimized kernel or the portable one); each reads the
 * instruction counter, calls the real kernel (__real_), and adds up calls, instructions and (for
 * convolutions) multiply-accumulates; convolutions with int4 weights are counted on rows of their
 * own ("… (int4)"). This file depends on the kernel signatures in
 * Targets/runtime/src/q8_internal.h.
 */
#include "profile.h"

#include "insn_counter.h"
#include "q8_internal.h"
#include "semihost.h"

enum {
    KERNEL_CONV,
    KERNEL_DEPTHWISE,
    KERNEL_CONV_1X1_M4,
    KERNEL_CONV_PATCH_M4,
    KERNEL_DEPTHWISE_M4,
    KERNEL_ADD,
    KERNEL_MUL,
    KERNEL_HARD_SWISH,
    KERNEL_REQUANTIZE,
    KERNEL_CONCAT,
    KERNEL_SPLIT,
    KERNEL_SHUFFLE,
    KERNEL_MAX_POOL,
    KERNEL_AVG_POOL,
    KERNEL_GLOBAL_AVG_POOL,
    /* The five convolution kernels again, in the same order, for int4 weights. */
    KERNEL_CONV_INT4,
    KERNEL_COUNT = KERNEL_CONV_INT4 + 5
};

typedef struct kernel_stats {
    const char *name;
    uint32_t calls;
    uint64_t instructions;
    uint64_t macs;
} kernel_stats;

static kernel_stats stats[KERNEL_COUNT] = {
    {"q8_conv_s8", 0, 0, 0},
    {"q8_depthwise_conv_s8", 0, 0, 0},
    {"q8_conv_1x1_s8_m4", 0, 0, 0},
    {"q8_conv_patch_s8_m4", 0, 0, 0},
    {"q8_depthwise_conv_s8_m4", 0, 0, 0},
    {"q8_add_dispatch", 0, 0, 0},
    {"q8_mul_dispatch", 0, 0, 0},
    {"q8_hard_swish_dispatch", 0, 0, 0},
    {"q8_requantize_s8", 0, 0, 0},
    {"q8_concat_s8", 0, 0, 0},
    {"q8_split_s8", 0, 0, 0},
    {"q8_shuffle_s8", 0, 0, 0},
    {"q8_max_pool_s8", 0, 0, 0},
    {"q8_avg_pool_s8", 0, 0, 0},
    {"q8_global_avg_pool_dispatch", 0, 0, 0},
    {"q8_conv_s8 (int4)", 0, 0, 0},
    {"q8_depthwise_conv_s8 (int4)", 0, 0, 0},
    {"q8_conv_1x1_s8_m4 (int4)", 0, 0, 0},
    {"q8_conv_patch_s8_m4 (int4)", 0, 0, 0},
    {"q8_depthwise_conv_s8_m4 (int4)", 0, 0, 0},
};

/** The stats row of convolution kernel `kernel` (KERNEL_CONV … KERNEL_DEPTHWISE_M4) for p's weights. */
static int conv_row(int kernel, const q8_conv_params *p) {
    return p->weight_bits == 4 ? KERNEL_CONV_INT4 + (kernel - KERNEL_CONV) : kernel;
}

static void record(int kernel, insn_stamp since, uint64_t macs) {
    stats[kernel].instructions += insn_counter_elapsed(since, insn_counter_now());
    stats[kernel].calls++;
    stats[kernel].macs += macs;
}

/** Multiply-accumulates of one convolution: every output element sums kh·kw·(in_c / groups) products. */
static uint64_t conv_macs(const q8_conv_params *p) {
    return (uint64_t)p->out.h * (uint64_t)p->out.w * (uint64_t)p->out.c * (uint64_t)p->kernel_h
        * (uint64_t)p->kernel_w * (uint64_t)(p->in.c / p->groups);
}

/* The runtime's kernels (resolved by --wrap) and their wrappers. */
void __real_q8_conv_s8(const q8_conv_params *p, const int8_t *input, int8_t *output);
void __real_q8_depthwise_conv_s8(const q8_conv_params *p, const int8_t *input, int8_t *output);
void __real_q8_conv_1x1_s8_m4(const q8_conv_params *p, const int8_t *input, int8_t *output);
void __real_q8_conv_patch_s8_m4(const q8_conv_params *p, const int8_t *input, int8_t *output);
void __real_q8_depthwise_conv_s8_m4(const q8_conv_params *p, const int8_t *input, int8_t *output);
void __real_q8_add_dispatch(const q8_add_params *p, const int8_t *input1, const int8_t *input2, int8_t *output);
void __real_q8_mul_dispatch(const q8_mul_params *p, const int8_t *input, const int8_t *gate, int8_t *output);
void __real_q8_hard_swish_dispatch(const q8_hard_swish_params *p, const int8_t *input, int8_t *output);
void __real_q8_requantize_s8(const q8_requant *r, int32_t count, const int8_t *input, int8_t *output);
void __real_q8_concat_s8(const int8_t *input, int32_t pixels, int32_t in_c, int8_t *output, int32_t out_c,
                         int32_t channel_offset);
void __real_q8_split_s8(const int8_t *input, int32_t pixels, int32_t in_c, int32_t start, int32_t count,
                        int8_t *output);
void __real_q8_shuffle_s8(const int8_t *input, int32_t pixels, int32_t c, int32_t groups, int8_t *output);
void __real_q8_max_pool_s8(const q8_pool_params *p, const int8_t *input, int8_t *output);
void __real_q8_avg_pool_s8(const q8_pool_params *p, const int8_t *input, int8_t *output);
void __real_q8_global_avg_pool_dispatch(const q8_requant *r, q8_shape in, const int8_t *input, int8_t *output);

void __wrap_q8_conv_s8(const q8_conv_params *p, const int8_t *input, int8_t *output);
void __wrap_q8_depthwise_conv_s8(const q8_conv_params *p, const int8_t *input, int8_t *output);
void __wrap_q8_conv_1x1_s8_m4(const q8_conv_params *p, const int8_t *input, int8_t *output);
void __wrap_q8_conv_patch_s8_m4(const q8_conv_params *p, const int8_t *input, int8_t *output);
void __wrap_q8_depthwise_conv_s8_m4(const q8_conv_params *p, const int8_t *input, int8_t *output);
void __wrap_q8_add_dispatch(const q8_add_params *p, const int8_t *input1, const int8_t *input2, int8_t *output);
void __wrap_q8_mul_dispatch(const q8_mul_params *p, const int8_t *input, const int8_t *gate, int8_t *output);
void __wrap_q8_hard_swish_dispatch(const q8_hard_swish_params *p, const int8_t *input, int8_t *output);
void __wrap_q8_requantize_s8(const q8_requant *r, int32_t count, const int8_t *input, int8_t *output);
void __wrap_q8_concat_s8(const int8_t *input, int32_t pixels, int32_t in_c, int8_t *output, int32_t out_c,
                         int32_t channel_offset);
void __wrap_q8_split_s8(const int8_t *input, int32_t pixels, int32_t in_c, int32_t start, int32_t count,
                        int8_t *output);
void __wrap_q8_shuffle_s8(const int8_t *input, int32_t pixels, int32_t c, int32_t groups, int8_t *output);
void __wrap_q8_max_pool_s8(const q8_pool_params *p, const int8_t *input, int8_t *output);
void __wrap_q8_avg_pool_s8(const q8_pool_params *p, const int8_t *input, int8_t *output);
void __wrap_q8_global_avg_pool_dispatch(const q8_requant *r, q8_shape in, const int8_t *input, int8_t *output);

void __wrap_q8_conv_s8(const q8_conv_params *p, const int8_t *input, int8_t *output) {
    const insn_stamp since = insn_counter_now();
    __real_q8_conv_s8(p, input, output);
    record(conv_row(KERNEL_CONV, p), since, conv_macs(p));
}

void __wrap_q8_depthwise_conv_s8(const q8_conv_params *p, const int8_t *input, int8_t *output) {
    const insn_stamp since = insn_counter_now();
    __real_q8_depthwise_conv_s8(p, input, output);
    record(conv_row(KERNEL_DEPTHWISE, p), since, conv_macs(p));
}

void __wrap_q8_conv_1x1_s8_m4(const q8_conv_params *p, const int8_t *input, int8_t *output) {
    const insn_stamp since = insn_counter_now();
    __real_q8_conv_1x1_s8_m4(p, input, output);
    record(conv_row(KERNEL_CONV_1X1_M4, p), since, conv_macs(p));
}

void __wrap_q8_conv_patch_s8_m4(const q8_conv_params *p, const int8_t *input, int8_t *output) {
    const insn_stamp since = insn_counter_now();
    __real_q8_conv_patch_s8_m4(p, input, output);
    record(conv_row(KERNEL_CONV_PATCH_M4, p), since, conv_macs(p));
}

void __wrap_q8_depthwise_conv_s8_m4(const q8_conv_params *p, const int8_t *input, int8_t *output) {
    const insn_stamp since = insn_counter_now();
    __real_q8_depthwise_conv_s8_m4(p, input, output);
    record(conv_row(KERNEL_DEPTHWISE_M4, p), since, conv_macs(p));
}

void __wrap_q8_add_dispatch(const q8_add_params *p, const int8_t *input1, const int8_t *input2, int8_t *output) {
    const insn_stamp since = insn_counter_now();
    __real_q8_add_dispatch(p, input1, input2, output);
    record(KERNEL_ADD, since, 0);
}

void __wrap_q8_mul_dispatch(const q8_mul_params *p, const int8_t *input, const int8_t *gate, int8_t *output) {
    const insn_stamp since = insn_counter_now();
    __real_q8_mul_dispatch(p, input, gate, output);
    record(KERNEL_MUL, since, 0);
}

void __wrap_q8_hard_swish_dispatch(const q8_hard_swish_params *p, const int8_t *input, int8_t *output) {
    const insn_stamp since = insn_counter_now();
    __real_q8_hard_swish_dispatch(p, input, output);
    record(KERNEL_HARD_SWISH, since, 0);
}

void __wrap_q8_requantize_s8(const q8_requant *r, int32_t count, const int8_t *input, int8_t *output) {
    const insn_stamp since = insn_counter_now();
    __real_q8_requantize_s8(r, count, input, output);
    record(KERNEL_REQUANTIZE, since, 0);
}

void __wrap_q8_concat_s8(const int8_t *input, int32_t pixels, int32_t in_c, int8_t *output, int32_t out_c,
                         int32_t channel_offset) {
    const insn_stamp since = insn_counter_now();
    __real_q8_concat_s8(input, pixels, in_c, output, out_c, channel_offset);
    record(KERNEL_CONCAT, since, 0);
}

void __wrap_q8_split_s8(const int8_t *input, int32_t pixels, int32_t in_c, int32_t start, int32_t count,
                        int8_t *output) {
    const insn_stamp since = insn_counter_now();
    __real_q8_split_s8(input, pixels, in_c, start, count, output);
    record(KERNEL_SPLIT, since, 0);
}

void __wrap_q8_shuffle_s8(const int8_t *input, int32_t pixels, int32_t c, int32_t groups, int8_t *output) {
    const insn_stamp since = insn_counter_now();
    __real_q8_shuffle_s8(input, pixels, c, groups, output);
    record(KERNEL_SHUFFLE, since, 0);
}

void __wrap_q8_max_pool_s8(const q8_pool_params *p, const int8_t *input, int8_t *output) {
    const insn_stamp since = insn_counter_now();
    __real_q8_max_pool_s8(p, input, output);
    record(KERNEL_MAX_POOL, since, 0);
}

void __wrap_q8_avg_pool_s8(const q8_pool_params *p, const int8_t *input, int8_t *output) {
    const insn_stamp since = insn_counter_now();
    __real_q8_avg_pool_s8(p, input, output);
    record(KERNEL_AVG_POOL, since, 0);
}

void __wrap_q8_global_avg_pool_dispatch(const q8_requant *r, q8_shape in, const int8_t *input, int8_t *output) {
    const insn_stamp since = insn_counter_now();
    __real_q8_global_avg_pool_dispatch(r, in, input, output);
    record(KERNEL_GLOBAL_AVG_POOL, since, 0);
}

/** Prints `numerator / denominator` with two decimals (integer arithmetic only). */
static void print_ratio(uint64_t numerator, uint64_t denominator) {
    const uint64_t hundredths = (numerator * 100u + denominator / 2u) / denominator;
    sh_print_u64(hundredths / 100u);
    sh_print(".");
    sh_print_u64(hundredths / 10u % 10u);
    sh_print_u64(hundredths % 10u);
}

void profile_report(uint32_t images) {
    uint64_t total_instructions = 0, total_macs = 0;
    for (int k = 0; k < KERNEL_COUNT; k++) {
        total_instructions += stats[k].instructions;
        total_macs += stats[k].macs;
    }
    if (images == 0 || total_instructions == 0) {
        return;
    }
    for (int k = 0; k < KERNEL_COUNT; k++) {
        if (stats[k].calls == 0) {
            continue;
        }
        sh_print("profile: ");
        sh_print(stats[k].name);
        sh_print(" calls=");
        sh_print_u64(stats[k].calls / images);
        sh_print(" instructions=");
        sh_print_u64(stats[k].instructions / images);
        sh_print(" share=");
        print_ratio(stats[k].instructions * 100u, total_instructions);
        sh_print("%");
        if (stats[k].macs != 0) {
            sh_print(" macs=");
            sh_print_u64(stats[k].macs / images);
            sh_print(" instructions_per_mac=");
            print_ratio(stats[k].instructions, stats[k].macs);
        }
        sh_print("\n");
    }
    sh_print("profile: kernels instructions=");
    sh_print_u64(total_instructions / images);
    sh_print(" conv_macs=");
    sh_print_u64(total_macs / images);
    if (total_macs != 0) {
        sh_print(" instructions_per_mac=");
        print_ratio(total_instructions, total_macs);
    }
    sh_print("\n");
}
