/*
 * test_kernels: the optimized Cortex-M4 kernels of kernels/ against the portable kernels, on the
 * emulated M4 (`make test-kernels`). For random shapes, parameters and data (a fixed-seed
 * generator, so every run checks the same cases), each optimized kernel and its portable twin
 * (q8_conv_s8 for the convolutions, q8_hard_swish_s8, q8_lookup_s8, q8_add_s8, q8_mul_s8,
 * q8_global_avg_pool_s8) write the same tensor, which must come out byte for byte identical. Every
 * case the dispatcher may send to an optimized kernel is drawn: odd pixel and channel counts,
 * input channels not a multiple of 4, strides, padding with and without pad values, images large
 * enough for several depthwise tiles, extreme zero points, clamps, multipliers and shifts (both the
 * kernels' common case, shift < −1 with the whole int8 range as clamp, and the others), and for the
 * convolutions int4 weights packed two per byte in every third case.
 *
 * Prints "test_kernels: N passed, N failed"; exit status 0 only when all passed.
 */
#include <stdint.h>
#include <string.h>

#include "kernels/q8_kernels_m4.h"
#include "semihost.h"

enum { CASES_PER_KERNEL = 400, MAX_INPUT = 20000, MAX_OUTPUT = 20000, MAX_WEIGHTS = 48 * 700,
       MAX_CHANNELS = 700, MAX_SWISH = 3000 };

static int8_t input[MAX_INPUT], input2[MAX_INPUT], weights[MAX_WEIGHTS], packed[MAX_WEIGHTS / 2 + 1], pad_values[MAX_CHANNELS];
static uint8_t bias[4 * MAX_CHANNELS], multiplier[4 * MAX_CHANNELS];
static int8_t shift[MAX_CHANNELS];
static int8_t expected[MAX_OUTPUT > MAX_SWISH ? MAX_OUTPUT : MAX_SWISH];
static int8_t actual[MAX_OUTPUT > MAX_SWISH ? MAX_OUTPUT : MAX_SWISH];
/* The kernel scratch lent to the kernels: exactly the rule's bytes from the start of this area
 * (8-byte aligned, as q8_run lends it from a 16-aligned arena), the rest a guard that must stay. */
#define SCRATCH_AREA 8192
#define GUARD 0x5Au
static uint64_t scratch_area[SCRATCH_AREA / 8];
static uint32_t seed = 12345u;
static uint32_t passed, failed;

/* The next pseudo-random 31-bit number (linear congruential generator). */
static uint32_t next(void) {
    seed = seed * 1103515245u + 12345u;
    return (seed >> 1) & 0x7FFFFFFFu;
}

/* A pseudo-random integer in [lo, hi]. */
static int32_t between(int32_t lo, int32_t hi) { return lo + (int32_t)(next() % (uint32_t)(hi - lo + 1)); }

static void put_i32(uint8_t *p, int32_t v) {
    const uint32_t u = (uint32_t)v;
    p[0] = (uint8_t)u;
    p[1] = (uint8_t)(u >> 8);
    p[2] = (uint8_t)(u >> 16);
    p[3] = (uint8_t)(u >> 24);
}

/* An int8 zero point: often an extreme, else anything. */
static int32_t zero_point(void) {
    const int32_t pick = between(0, 5);
    return pick == 0 ? -128 : pick == 1 ? 127 : between(-128, 127);
}

static void report(const char *what, int32_t index, int ok) {
    if (ok) {
        passed++;
        return;
    }
    failed++;
    sh_print("test_kernels: FAIL ");
    sh_print(what);
    sh_print(" case ");
    sh_print_u64((uint64_t)index);
    sh_print("\n");
}

/* The scratch for a kernel needing `need` bytes: garbage in it (kernels must not expect zeros), the
 * guard pattern after it. */
static uint8_t *lend(uint32_t need) {
    uint8_t *area = (uint8_t *)scratch_area;
    uint32_t i;
    for (i = 0; i < SCRATCH_AREA; ++i) area[i] = i < need ? (uint8_t)next() : GUARD;
    return area;
}

/* Whether nothing past the first `need` bytes of the scratch area was written. */
static int guard_intact(uint32_t need) {
    const uint8_t *area = (const uint8_t *)scratch_area;
    uint32_t i;
    for (i = need; i < SCRATCH_AREA; ++i) {
        if (area[i] != GUARD) return 0;
    }
    return 1;
}

/* Random data and per-channel parameters for a convolution whose shape fields are set; with int4,
 * weights in −8…7 packed two per byte (TFLite's dense int4: element 2i in the low nibble). */
static void fill_conv(q8_conv_params *p, int int4) {
    const int32_t per_channel = p->kernel_h * p->kernel_w * (p->in.c / p->groups);
    int32_t i, log2_taps = 0;
    for (i = 0; i < q8_shape_count(p->in); ++i) input[i] = (int8_t)between(-128, 127);
    for (i = 0; i < per_channel * p->out.c; ++i) weights[i] = (int8_t)(int4 ? between(-8, 7) : between(-128, 127));
    for (i = 0; i < p->in.c; ++i) pad_values[i] = (int8_t)between(-128, 127);
    /* Mostly a scale that maps the typical accumulator (≈ 2^12.5·√per_channel) to ≈ ±64, so that
     * outputs are sensitive to small errors; sometimes any shift (saturation, rounding edges). */
    while ((1 << (2 * log2_taps + 2)) <= per_channel) log2_taps++;
    for (i = 0; i < p->out.c; ++i) {
        put_i32(bias + 4 * i, between(0, 7) == 0 ? between(-(1 << 20), 1 << 20) : between(-(1 << 12), 1 << 12));
        put_i32(multiplier + 4 * i, between(0, 7) == 0 ? between(0, INT32_MAX) : between(1 << 30, INT32_MAX));
        shift[i] = (int8_t)(between(0, 7) == 0 ? between(-31, 31) : -6 - log2_taps + between(-1, 1) + (int4 ? 4 : 0));
    }
    p->input_zp = zero_point();
    p->output_zp = zero_point();
    p->act_min = between(0, 1) ? -128 : between(-128, 0);
    p->act_max = between(0, 1) ? 127 : between(p->act_min, 127);
    p->weights = weights;
    p->weight_bits = 8;
    if (int4) {
        memset(packed, 0, (size_t)(per_channel * p->out.c + 1) / 2u);
        for (i = 0; i < per_channel * p->out.c; ++i) {
            packed[i / 2] = (int8_t)((uint8_t)packed[i / 2] | (((uint8_t)weights[i] & 0x0Fu) << (i % 2 ? 4 : 0)));
        }
        p->weights = packed;
        p->weight_bits = 4;
    }
    p->bias = bias;
    p->multiplier = multiplier;
    p->shift = shift;
    p->pad_value = between(0, 1) ? pad_values : 0;
}

/* Output size of a window along one dimension (padding pad on both sides; input ≥ kernel − pad). */
static int32_t out_size(int32_t in, int32_t kernel, int32_t stride, int32_t pad) {
    return (in + 2 * pad - kernel) / stride + 1;
}

/* Lends p exactly the scratch the rule gives it (q8_conv_scratch), checks that `fits` takes p and
 * refuses it with one byte less or a misaligned scratch, then compares the kernel with q8_conv_s8
 * and checks that it stayed inside its scratch. */
static void compare_conv(const char *what, int32_t index, q8_conv_params *p,
                         void (*kernel)(const q8_conv_params *, const int8_t *, int8_t *),
                         int (*fits)(const q8_conv_params *)) {
    const int32_t count = q8_shape_count(p->out);
    const uint32_t need = q8_conv_scratch(p);
    p->scratch = lend(need);
    p->scratch_bytes = need - 1u;
    report("refuses too little scratch", index, need == 0 || !fits(p));
    p->scratch += 4;
    p->scratch_bytes = need;
    report("refuses misaligned scratch", index, !fits(p));
    p->scratch -= 4;
    report("fits", index, fits(p));
    memset(expected, 0x55, (size_t)count);
    memset(actual, 0xAA, (size_t)count);
    q8_conv_s8(p, input, expected);
    kernel(p, input, actual);
    report(what, index, memcmp(expected, actual, (size_t)count) == 0);
    report("stays in its scratch", index, guard_intact(need));
}

static void test_conv_1x1(void) {
    int32_t n;
    for (n = 0; n < CASES_PER_KERNEL; ++n) {
        q8_conv_params p;
        memset(&p, 0, sizeof p);
        p.kernel_h = p.kernel_w = 1;
        p.groups = 1;
        if (n % 4 == 0) {
            /* Fully connected: one pixel, long input. */
            p.in.h = p.in.w = 1;
            p.in.c = between(1, MAX_CHANNELS);
            p.out.c = between(1, MAX_WEIGHTS / p.in.c < 48 ? MAX_WEIGHTS / p.in.c : 48);
        } else if (n % 4 == 1) {
            /* Several pixels with more input channels than 4 pixels' worth fit in the kernel's
             * buffer: each pixel goes through the one-pixel path. */
            p.in.h = between(1, 3);
            p.in.w = between(1, 3);
            p.in.c = between(Q8_M4_1X1_BUFFER / 4 + 1, MAX_CHANNELS);
            p.out.c = between(1, MAX_WEIGHTS / p.in.c < 48 ? MAX_WEIGHTS / p.in.c : 48);
        } else {
            p.in.h = between(1, 12);
            p.in.w = between(1, 12);
            p.in.c = between(1, 64);
            p.out.c = between(1, 48);
        }
        if (n % 6 == 2) { /* int4 with in_c a multiple of 8: the direct path (the others unpack rows) */
            p.in.c &= ~7;
            if (p.in.c == 0) p.in.c = 8;
        }
        p.stride_h = between(0, 2) == 0 ? between(2, 3) : 1;
        p.stride_w = between(0, 2) == 0 ? between(2, 3) : 1;
        p.out.h = out_size(p.in.h, 1, p.stride_h, 0);
        p.out.w = out_size(p.in.w, 1, p.stride_w, 0);
        fill_conv(&p, n % 3 == 2); /* every third case int4 */
        compare_conv("q8_conv_1x1_s8_m4", n, &p, q8_conv_1x1_s8_m4, q8_conv_1x1_s8_m4_fits);
    }
    {
        /* More input channels than the buffer holds: left to the portable kernel. */
        q8_conv_params p;
        memset(&p, 0, sizeof p);
        p.kernel_h = p.kernel_w = 1;
        p.groups = 1;
        p.in.c = Q8_M4_1X1_BUFFER + 1;
        p.scratch = lend(SCRATCH_AREA);
        p.scratch_bytes = SCRATCH_AREA;
        report("1x1 refuses in_c > Q8_M4_1X1_BUFFER", 0, !q8_conv_1x1_s8_m4_fits(&p));
    }
}

static void test_conv_patch(void) {
    int32_t n;
    for (n = 0; n < CASES_PER_KERNEL; ++n) {
        q8_conv_params p;
        memset(&p, 0, sizeof p);
        p.groups = 1;
        p.kernel_h = between(1, 5);
        p.kernel_w = between(p.kernel_h == 1 ? 2 : 1, 5); /* 1×1 is the 1×1 kernel's (and scratch rule's) */
        p.in.c = between(1, Q8_M4_PATCH_MAX / (p.kernel_h * p.kernel_w));
        if (p.in.c > 64) p.in.c = 64;
        p.out.c = between(1, 48);
        p.stride_h = between(1, 3);
        p.stride_w = between(1, 3);
        p.pad_top = between(0, p.kernel_h - 1);
        p.pad_left = between(0, p.kernel_w - 1);
        p.in.h = between(p.kernel_h, 12);
        p.in.w = between(p.kernel_w, 12);
        p.out.h = out_size(p.in.h, p.kernel_h, p.stride_h, p.pad_top);
        p.out.w = out_size(p.in.w, p.kernel_w, p.stride_w, p.pad_left);
        fill_conv(&p, n % 3 == 0); /* every third case int4 */
        compare_conv("q8_conv_patch_s8_m4", n, &p, q8_conv_patch_s8_m4, q8_conv_patch_s8_m4_fits);
    }
}

static void test_depthwise(void) {
    int32_t n;
    for (n = 0; n < CASES_PER_KERNEL; ++n) {
        /* Every 4th case a large image, often wide (the kernel's tiles: several tile rows and columns);
         * every 8th another a kernel wider than 7 (up to Q8_M4_DEPTHWISE_TAPS_MAX taps). */
        const int large = n % 4 == 0, wide = n % 8 == 2;
        q8_conv_params p;
        memset(&p, 0, sizeof p);
        p.kernel_h = between(1, wide ? 6 : 7);
        p.kernel_w = wide ? between(8, Q8_M4_DEPTHWISE_TAPS_MAX / p.kernel_h) : between(1, 7);
        p.in.c = p.out.c = p.groups = large ? between(4, 12) : between(4, 48);
        p.stride_h = between(1, 3);
        p.stride_w = between(1, 3);
        p.pad_top = between(0, p.kernel_h - 1);
        p.pad_left = between(0, p.kernel_w - 1);
        p.in.h = between(p.kernel_h, large ? 24 : 12);
        p.in.w = large ? between(24, 64) : between(p.kernel_w, p.kernel_w + 8);
        if (n % 5 == 1) { /* the 1×1 stride-1 path (hard-sigmoid gates), often on a 1×1 input */
            p.kernel_h = p.kernel_w = p.stride_h = p.stride_w = 1;
            p.pad_top = p.pad_left = 0;
            if (n % 10 == 1) p.in.h = p.in.w = 1;
        }
        p.out.h = out_size(p.in.h, p.kernel_h, p.stride_h, p.pad_top);
        p.out.w = out_size(p.in.w, p.kernel_w, p.stride_w, p.pad_left);
        fill_conv(&p, n % 3 == 1); /* every third case int4 */
        compare_conv("q8_depthwise_conv_s8_m4", n, &p, q8_depthwise_conv_s8_m4, q8_depthwise_conv_s8_m4_fits);
    }
}

/* A multiplier: mostly in [2^30, 2^31), sometimes anything. */
static int32_t any_multiplier(void) { return between(0, 7) == 0 ? between(0, INT32_MAX) : between(1 << 30, INT32_MAX); }

/* A shift: mostly typical (typical − 2 … typical + 2), sometimes anything in −31…31. */
static int32_t any_shift(int32_t typical) { return between(0, 7) == 0 ? between(-31, 31) : typical + between(-2, 2); }

/* An activation clamp [*lo, *hi]: mostly the whole int8 range. */
static void clamp(int32_t *lo, int32_t *hi) {
    *lo = between(0, 1) ? -128 : between(-128, 0);
    *hi = between(0, 1) ? 127 : between(*lo, 127);
}

static void test_mul(void) {
    int32_t n, i;
    for (n = 0; n < CASES_PER_KERNEL; ++n) {
        q8_mul_params p;
        int32_t count;
        p.shape.h = between(1, 12);
        p.shape.w = between(1, 12);
        p.shape.c = between(1, 130);
        if (p.shape.h * p.shape.w * p.shape.c > MAX_OUTPUT) p.shape.h = 1;
        count = q8_shape_count(p.shape);
        p.input_zp = zero_point();
        p.gate_zp = zero_point();
        p.multiplier = any_multiplier();
        p.shift = any_shift(-8); /* products reach 2^16: −8 maps them to about ±128 */
        p.output_zp = zero_point();
        clamp(&p.act_min, &p.act_max);
        for (i = 0; i < count; ++i) input[i] = (int8_t)between(-128, 127);
        for (i = 0; i < p.shape.c; ++i) input2[i] = (int8_t)between(-128, 127);
        memset(expected, 0x55, (size_t)count);
        memset(actual, 0xAA, (size_t)count);
        q8_mul_s8(&p, input, input2, expected);
        q8_mul_s8_m4(&p, input, input2, actual);
        report("q8_mul_s8_m4", n, memcmp(expected, actual, (size_t)count) == 0);
    }
}

static void test_add(void) {
    int32_t n, i;
    for (n = 0; n < CASES_PER_KERNEL; ++n) {
        q8_add_params p;
        p.count = between(257, MAX_SWISH);
        p.input1_zp = zero_point();
        p.input2_zp = zero_point();
        p.left_shift = between(0, 3) == 0 ? between(0, Q8_LIMIT_INPUT_SHIFT) : 20;
        p.input1_multiplier = any_multiplier();
        p.input1_shift = any_shift(-1);
        p.input2_multiplier = any_multiplier();
        p.input2_shift = any_shift(-1);
        p.output_multiplier = any_multiplier();
        p.output_shift = any_shift(8 - p.left_shift); /* the sum is about 2^(left_shift + 7) */
        p.output_zp = zero_point();
        clamp(&p.act_min, &p.act_max);
        for (i = 0; i < p.count; ++i) {
            input[i] = (int8_t)between(-128, 127);
            input2[i] = (int8_t)between(-128, 127);
        }
        p.scratch = lend(q8_add_scratch(&p));
        p.scratch_bytes = q8_add_scratch(&p) - 1u;
        report("add refuses too little scratch", n, !q8_add_s8_m4_fits(&p));
        p.scratch_bytes = q8_add_scratch(&p);
        memset(expected, 0x55, (size_t)p.count);
        memset(actual, 0xAA, (size_t)p.count);
        q8_add_s8(&p, input, input2, expected);
        q8_add_s8_m4(&p, input, input2, actual);
        report("add fits", n, q8_add_s8_m4_fits(&p));
        report("q8_add_s8_m4", n, memcmp(expected, actual, (size_t)p.count) == 0);
        report("add stays in its scratch", n, guard_intact(q8_add_scratch(&p)));
    }
}

static void test_global_avg_pool(void) {
    int32_t n, i;
    for (n = 0; n < CASES_PER_KERNEL; ++n) {
        q8_requant r;
        q8_shape in;
        /* Every 4th case more than 256 pixels (the kernel's int16 lanes are summed in runs of 256). */
        in.h = n % 4 == 0 ? between(12, 40) : between(1, 12);
        in.w = n % 4 == 0 ? between(12, 40) : between(1, 12);
        in.c = between(1, MAX_INPUT / (in.h * in.w) < 70 ? MAX_INPUT / (in.h * in.w) : 70);
        r.input_zp = zero_point();
        r.multiplier = any_multiplier();
        r.shift = any_shift(-1);
        r.output_zp = zero_point();
        clamp(&r.act_min, &r.act_max);
        /* Often all inputs at one extreme, where an int16 lane would overflow first. */
        for (i = 0; i < q8_shape_count(in); ++i) {
            input[i] = (int8_t)(n % 3 == 1 ? -128 : n % 3 == 2 ? 127 : between(-128, 127));
        }
        memset(expected, 0x55, (size_t)in.c);
        memset(actual, 0xAA, (size_t)in.c);
        q8_global_avg_pool_s8(&r, in, input, expected);
        q8_global_avg_pool_s8_m4(&r, in, input, actual);
        report("q8_global_avg_pool_s8_m4", n, memcmp(expected, actual, (size_t)in.c) == 0);
    }
}

static void test_hard_swish(void) {
    int32_t n, i;
    for (n = 0; n < CASES_PER_KERNEL; ++n) {
        q8_hard_swish_params p;
        p.count = n % 4 == 0 ? between(1, 256) : between(257, MAX_SWISH);
        p.input_zp = zero_point();
        /* The ranges the loader admits, and sometimes their ends. */
        p.output_multiplier = n % 5 == 0 ? Q8_LIMIT_HS_MULTIPLIER : between(0, Q8_LIMIT_HS_MULTIPLIER);
        p.reluish_multiplier = n % 7 == 0 ? Q8_LIMIT_HS_MULTIPLIER : between(0, Q8_LIMIT_HS_MULTIPLIER);
        p.output_exponent = n % 6 == 0 ? -Q8_LIMIT_HS_EXPONENT : between(-8, 0);
        p.reluish_exponent = n % 9 == 0 ? Q8_LIMIT_HS_EXPONENT : between(-Q8_LIMIT_HS_EXPONENT, 6);
        p.output_zp = zero_point();
        for (i = 0; i < p.count; ++i) input[i] = (int8_t)between(-128, 127);
        /* Every 8th case without scratch: the kernel then computes element by element. */
        p.scratch = lend(n % 8 == 1 ? 0u : q8_hard_swish_scratch(&p));
        p.scratch_bytes = n % 8 == 1 ? 0u : q8_hard_swish_scratch(&p);
        q8_hard_swish_s8(&p, input, expected);
        q8_hard_swish_s8_m4(&p, input, actual);
        report("q8_hard_swish_s8_m4", n, memcmp(expected, actual, (size_t)p.count) == 0);
        report("hard-swish stays in its scratch", n, guard_intact(p.scratch_bytes));
    }
}

static void test_lookup(void) {
    int32_t n, i;
    int8_t table[256];
    for (n = 0; n < CASES_PER_KERNEL; ++n) {
        q8_lookup_params p;
        p.count = n % 4 == 0 ? between(1, 16) : between(17, MAX_SWISH);
        for (i = 0; i < 256; ++i) table[i] = (int8_t)between(-128, 127);
        p.table_tensor = 0;
        p.table = table;
        for (i = 0; i < p.count; ++i) input[i] = (int8_t)between(-128, 127);
        q8_lookup_s8(&p, input, expected);
        q8_lookup_s8_m4(&p, input, actual);
        report("q8_lookup_s8_m4", n, memcmp(expected, actual, (size_t)p.count) == 0);
    }
}

int main(void) {
    /* The buffers of the patch and depthwise kernels fit the rule's constants, and the area. */
    report("patch buffers <= Q8_SCRATCH_PATCH", 0, q8_m4_patch_scratch_bytes() <= Q8_SCRATCH_PATCH);
    report("depthwise buffers <= Q8_SCRATCH_DEPTHWISE", 0, q8_m4_depthwise_scratch_bytes() <= Q8_SCRATCH_DEPTHWISE);
    report("scratch area holds the largest need", 0,
           Q8_SCRATCH_PATCH + 8u <= SCRATCH_AREA && Q8_SCRATCH_DEPTHWISE + 8u <= SCRATCH_AREA &&
               8u * Q8_M4_1X1_BUFFER / 4u + 8u <= SCRATCH_AREA);
    test_conv_1x1();
    test_conv_patch();
    test_depthwise();
    test_hard_swish();
    test_lookup();
    test_mul();
    test_add();
    test_global_avg_pool();
    sh_print("test_kernels: ");
    sh_print_u64(passed);
    sh_print(" passed, ");
    sh_print_u64(failed);
    sh_print(" failed\n");
    return failed == 0 ? 0 : 1;
}
