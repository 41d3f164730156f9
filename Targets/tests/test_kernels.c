/*
 * Kernel-level tests: the depthwise kernel is bit-identical to the general convolution (the
 * reference) on thousands of random shapes, strides, paddings and pad values, with int8 and with
 * packed int4 weights (which give exactly what the same values as int8 give); shuffle, split
 * and concat are checked against their definitions; CRC-32 against its check value.
 */
#include "check.h"
#include "../runtime/src/q8_internal.h"

/* Little-endian int32 array in bytes. */
static void put_i32s(uint8_t *dst, const int32_t *v, int32_t n) {
    int32_t i;
    for (i = 0; i < n; ++i) put32(dst, 4u * (size_t)i, (uint32_t)v[i]);
}

/* values[0..n) (each −8…7) packed two per byte, element 2i in the low nibble (TFLite's dense int4). */
static void pack_int4(int8_t *dst, const int8_t *values, int32_t n) {
    int32_t i;
    memset(dst, 0, (size_t)(n + 1) / 2u);
    for (i = 0; i < n; ++i) {
        const uint8_t nibble = (uint8_t)((uint8_t)values[i] & 0x0Fu);
        dst[i / 2] = (int8_t)((uint8_t)dst[i / 2] | (i % 2 ? (uint8_t)(nibble << 4) : nibble));
    }
}

static void test_depthwise_matches_general(void) {
    enum { MAX_C = 16, MAX_HW = 12, MAX_K = 5 };
    static int8_t input[MAX_HW * MAX_HW * MAX_C], weights[MAX_C * MAX_K * MAX_K], packed[MAX_C * MAX_K * MAX_K], pad[MAX_C];
    static int8_t a[(MAX_HW + MAX_K) * (MAX_HW + MAX_K) * MAX_C], b[(MAX_HW + MAX_K) * (MAX_HW + MAX_K) * MAX_C];
    static int8_t c8[(MAX_HW + MAX_K) * (MAX_HW + MAX_K) * MAX_C];
    static int32_t bias[MAX_C], mult[MAX_C];
    static int8_t shift[MAX_C];
    static uint8_t bias_le[4 * MAX_C], mult_le[4 * MAX_C];
    int trial, differing = 0, cases = 0, int4_cases = 0;
    for (trial = 0; trial < 3000; ++trial) {
        q8_conv_params p;
        int32_t i, n;
        memset(&p, 0, sizeof p);
        p.in.h = rng_int(1, MAX_HW);
        p.in.w = rng_int(1, MAX_HW);
        p.in.c = rng_int(1, MAX_C);
        p.kernel_h = rng_int(1, MAX_K);
        p.kernel_w = rng_int(1, MAX_K);
        p.stride_h = rng_int(1, 3);
        p.stride_w = rng_int(1, 3);
        p.pad_top = rng_int(0, p.kernel_h - 1);
        p.pad_left = rng_int(0, p.kernel_w - 1);
        /* Output sizes from the window rule, sometimes one short (bottom/right rows unused). */
        p.out.h = (p.in.h + 2 * p.pad_top - p.kernel_h) / p.stride_h + 1 - (rng_int(0, 3) == 0);
        p.out.w = (p.in.w + 2 * p.pad_left - p.kernel_w) / p.stride_w + 1 - (rng_int(0, 3) == 0);
        if (p.out.h < 1 || p.out.w < 1 || (p.out.h - 1) * p.stride_h - p.pad_top >= p.in.h ||
            (p.out.w - 1) * p.stride_w - p.pad_left >= p.in.w) {
            continue;
        }
        p.out.c = p.in.c;
        p.groups = p.in.c;
        p.input_zp = rng_int(-128, 127);
        p.output_zp = rng_int(-128, 127);
        p.act_min = rng_int(-128, 0);
        p.act_max = rng_int(0, 127);
        n = p.in.h * p.in.w * p.in.c;
        p.weight_bits = rng_int(0, 1) ? 4 : 8;
        for (i = 0; i < n; ++i) input[i] = (int8_t)rng_int(-128, 127);
        for (i = 0; i < p.in.c * p.kernel_h * p.kernel_w; ++i) {
            weights[i] = (int8_t)(p.weight_bits == 4 ? rng_int(-8, 7) : rng_int(-127, 127));
        }
        for (i = 0; i < p.in.c; ++i) {
            bias[i] = rng_int(-100000, 100000);
            mult[i] = rng_int(1 << 30, INT32_MAX);
            shift[i] = (int8_t)rng_int(-12, 2);
            pad[i] = (int8_t)rng_int(-128, 127);
        }
        put_i32s(bias_le, bias, p.in.c);
        put_i32s(mult_le, mult, p.in.c);
        p.weights = weights;
        p.bias = bias_le;
        p.multiplier = mult_le;
        p.shift = shift;
        p.pad_value = rng_int(0, 1) ? pad : NULL;
        if (p.weight_bits == 4) {
            /* The same values as int8 first: the packed int4 kernels must give exactly these bytes. */
            p.weight_bits = 8;
            q8_conv_s8(&p, input, c8);
            pack_int4(packed, weights, p.in.c * p.kernel_h * p.kernel_w);
            p.weights = packed;
            p.weight_bits = 4;
            ++int4_cases;
        }
        q8_conv_s8(&p, input, a);
        q8_depthwise_conv_s8(&p, input, b);
        ++cases;
        if ((memcmp(a, b, (size_t)(p.out.h * p.out.w * p.out.c)) != 0 ||
             (p.weight_bits == 4 && memcmp(a, c8, (size_t)(p.out.h * p.out.w * p.out.c)) != 0)) && differing++ < 5) {
            CHECK(0, "depthwise differs: in %dx%dx%d k %dx%d s %dx%d pad %d,%d pad values %s, int%d weights", (int)p.in.h, (int)p.in.w,
                  (int)p.in.c, (int)p.kernel_h, (int)p.kernel_w, (int)p.stride_h, (int)p.stride_w, (int)p.pad_top,
                  (int)p.pad_left, p.pad_value ? "yes" : "no", (int)p.weight_bits);
        }
    }
    CHECK(differing == 0, "depthwise (or int4) differs from the general int8 convolution in %d of %d cases", differing, cases);
    CHECK(cases > 1000 && int4_cases > 400, "only %d valid random cases (%d int4)", cases, int4_cases);
}

static void test_data_movement(void) {
    enum { PIXELS = 7, C = 12 };
    int8_t x[PIXELS * C], y[PIXELS * C], z[PIXELS * C], left[PIXELS * 5], right[PIXELS * 7];
    int32_t i, px, c, ok = 1;
    for (i = 0; i < PIXELS * C; ++i) x[i] = (int8_t)rng_int(-128, 127);
    /* Shuffling with g groups, then with C/g groups, is the identity. */
    q8_shuffle_s8(x, PIXELS, C, 3, y);
    q8_shuffle_s8(y, PIXELS, C, C / 3, z);
    CHECK(memcmp(x, z, sizeof x) == 0, "shuffle by 3 then by 4 is not the identity");
    for (px = 0; px < PIXELS; ++px) {
        for (c = 0; c < C; ++c) {
            const int32_t i3 = c % 3, j = c / 3; /* output channel j·3 + i takes input channel i·4 + j */
            if (y[px * C + c] != x[px * C + i3 * 4 + j]) ok = 0;
        }
    }
    CHECK(ok, "shuffle does not follow its definition");
    /* Splitting in two and concatenating back is the identity. */
    q8_split_s8(x, PIXELS, C, 0, 5, left);
    q8_split_s8(x, PIXELS, C, 5, 7, right);
    memset(z, 0, sizeof z);
    q8_concat_s8(left, PIXELS, 5, z, C, 0);
    q8_concat_s8(right, PIXELS, 7, z, C, 5);
    CHECK(memcmp(x, z, sizeof x) == 0, "split + concat is not the identity");
}

int main(void) {
    const uint8_t digits[] = "123456789";
    CHECK(q8_crc32(digits, 9) == 0xCBF43926u, "CRC-32 check value");
    CHECK(q8_crc32(digits, 0) == 0u, "CRC-32 of nothing");
    test_depthwise_matches_general();
    test_data_movement();
    return finish("test_kernels");
}
