/*
 * Loader and runner tests on the golden every-op blob (tests/data, written by the Swift
 * ExportTests.GoldenDataTests): the runtime reproduces the Swift IntEngine's logits (also from an
 * unaligned copy), and every kind of bad input gets its own status code.
 *
 *     test_loader DATA_DIR
 */
#include "check.h"

static uint8_t *golden;
static size_t golden_size;

/* Offsets read from the golden header. */
static size_t values_at(void) { return get32(golden, 80); }
static size_t ops_at(void) { return get32(golden, 84); }
static size_t tensors_at(void) { return get32(golden, 92); }
static size_t strings_at(void) { return get32(golden, 96); }
/* Parameter word k of op 0 (the stem convolution, one input). */
static size_t stem_param(int k) { return ops_at() + 16u + 4u + 4u * (size_t)k; }

/* Loads a patched copy (exactly `size` bytes on the heap, so ASan sees any overread). */
static q8_status load_copy(const uint8_t *bytes, size_t size) {
    uint8_t *copy = (uint8_t *)malloc(size > 0 ? size : 1u);
    q8_model m;
    q8_status s;
    memcpy(copy, bytes, size);
    s = q8_model_init(&m, copy, size);
    free(copy);
    return s;
}

typedef void (*patch_fn)(uint8_t *b, size_t *size);

static void expect(const char *what, patch_fn patch, int repair_crc, q8_status want) {
    uint8_t *b = (uint8_t *)malloc(golden_size);
    size_t size = golden_size;
    q8_status got;
    memcpy(b, golden, golden_size);
    patch(b, &size);
    if (repair_crc) fix_crc(b, size);
    got = load_copy(b, size);
    CHECK(got == want, "%s: got %s, want %s", what, q8_status_name(got), q8_status_name(want));
    free(b);
}

static void cut7(uint8_t *b, size_t *n) { (void)b; *n = 7; }
static void cut100(uint8_t *b, size_t *n) { (void)b; *n = 100; }
static void cut_end(uint8_t *b, size_t *n) { (void)b; *n -= 16; }
static void magic(uint8_t *b, size_t *n) { (void)n; b[0] = 'X'; }
static void version(uint8_t *b, size_t *n) { (void)n; put32(b, 4, 5); }
static void version3(uint8_t *b, size_t *n) { (void)n; put32(b, 4, 3); }
static void version1(uint8_t *b, size_t *n) { (void)n; put32(b, 4, 1); }
static void version0(uint8_t *b, size_t *n) { (void)n; put32(b, 4, 0); }
static void version2(uint8_t *b, size_t *n) { (void)n; put32(b, 4, 2); }
static void header_size(uint8_t *b, size_t *n) { (void)n; put32(b, 8, 64); }
static void reserved(uint8_t *b, size_t *n) { (void)n; b[120] = 1; }
static void value_count(uint8_t *b, size_t *n) { (void)n; put32(b, 24, get32(b, 20) + 2u); }
static void op_count_max(uint8_t *b, size_t *n) { (void)n; put32(b, 20, 0xFFFFFFFFu); put32(b, 24, 0); put32(b, 44, 0xFFFFFFFFu); }
static void crc(uint8_t *b, size_t *n) { b[*n - 40] ^= 0x10; }
static void tensor_past_end(uint8_t *b, size_t *n) { put32(b, tensors_at(), (uint32_t)*n); }
static void values_past_end(uint8_t *b, size_t *n) { put32(b, 80, (uint32_t)*n - 16u); }
static void overlapping(uint8_t *b, size_t *n) { (void)n; put32(b, 84, (uint32_t)values_at()); }
static void outside_arena(uint8_t *b, size_t *n) { (void)n; put32(b, values_at() + 32u + 24u, get32(b, 32)); }
static void misaligned_region(uint8_t *b, size_t *n) { (void)n; put32(b, 96, (uint32_t)strings_at() + 4u); }
static void misaligned_tensor(uint8_t *b, size_t *n) { (void)n; put32(b, tensors_at(), get32(b, tensors_at()) + 1u); }
static void string_length(uint8_t *b, size_t *n) { (void)n; put32(b, strings_at(), 1u << 20); }
static void bad_utf8(uint8_t *b, size_t *n) { (void)n; b[strings_at() + 4u] = 0xC0; }
static void op_type(uint8_t *b, size_t *n) { (void)n; put32(b, ops_at(), 99); }
static void record_size(uint8_t *b, size_t *n) { (void)n; put32(b, ops_at() + 4u, get32(b, ops_at() + 4u) + 4u); }
static void later_input(uint8_t *b, size_t *n) { (void)n; put32(b, ops_at() + 16u, 3); }
static void tensor_order(uint8_t *b, size_t *n) { (void)n; put32(b, stem_param(13), 1); }
static void tensor_kind(uint8_t *b, size_t *n) { (void)n; put32(b, tensors_at() + 8u, 2); }
static void in_channels(uint8_t *b, size_t *n) { (void)n; put32(b, stem_param(0), 4); }
static void zero_channels(uint8_t *b, size_t *n) { (void)n; put32(b, values_at() + 8u, 0); }
static void clamp(uint8_t *b, size_t *n) { (void)n; put32(b, stem_param(11), 10); put32(b, stem_param(12), 9); }
static void shift(uint8_t *b, size_t *n) { (void)n; b[get32(b, tensors_at() + 3u * 16u)] = 40; }
static void overflow(uint8_t *b, size_t *n) { (void)n; put32(b, get32(b, tensors_at() + 16u), 0x7FFFFF00u); }
static void plan(uint8_t *b, size_t *n) { (void)n; put32(b, values_at() + 32u + 24u, 0); put32(b, values_at() + 64u + 24u, 0); }

static void test_bad_inputs(void) {
    expect("7 bytes", cut7, 0, Q8_ERR_TRUNCATED);
    expect("half a header", cut100, 0, Q8_ERR_TRUNCATED);
    expect("last 16 bytes missing", cut_end, 0, Q8_ERR_TRUNCATED);
    expect("wrong magic", magic, 1, Q8_ERR_MAGIC);
    expect("future version", version, 1, Q8_ERR_VERSION);
    expect("version 0", version0, 1, Q8_ERR_VERSION);
    expect("version 2 (the earlier arithmetic)", version2, 1, Q8_ERR_VERSION);
    expect("version 1 (the earlier arithmetic)", version1, 1, Q8_ERR_VERSION);
    expect("version 3 (int32 shifts)", version3, 1, Q8_ERR_VERSION);
    expect("header size", header_size, 1, Q8_ERR_HEADER);
    expect("reserved header byte", reserved, 1, Q8_ERR_HEADER);
    expect("value count", value_count, 1, Q8_ERR_HEADER);
    expect("op count 2^32 - 1", op_count_max, 1, Q8_ERR_HEADER);
    expect("CRC mismatch", crc, 0, Q8_ERR_CRC);
    expect("tensor offset past the end", tensor_past_end, 1, Q8_ERR_BOUNDS);
    expect("value table past the end", values_past_end, 1, Q8_ERR_BOUNDS);
    expect("overlapping regions", overlapping, 1, Q8_ERR_BOUNDS);
    expect("value outside the arena", outside_arena, 1, Q8_ERR_BOUNDS);
    expect("misaligned region", misaligned_region, 1, Q8_ERR_ALIGN);
    expect("misaligned tensor", misaligned_tensor, 1, Q8_ERR_ALIGN);
    expect("string length", string_length, 1, Q8_ERR_STRINGS);
    expect("invalid UTF-8", bad_utf8, 1, Q8_ERR_STRINGS);
    expect("unknown op type", op_type, 1, Q8_ERR_BAD_OP);
    expect("record size", record_size, 1, Q8_ERR_BAD_OP);
    expect("input computed later", later_input, 1, Q8_ERR_BAD_OP);
    expect("tensor out of order", tensor_order, 1, Q8_ERR_TENSOR);
    expect("tensor kind", tensor_kind, 1, Q8_ERR_TENSOR);
    expect("conv in_channels", in_channels, 1, Q8_ERR_SHAPE);
    expect("value with zero channels", zero_channels, 1, Q8_ERR_SHAPE);
    expect("clamp", clamp, 1, Q8_ERR_PARAM);
    expect("shift 40", shift, 1, Q8_ERR_PARAM);
    expect("accumulator overflow", overflow, 1, Q8_ERR_PARAM);
    expect("plan overlap", plan, 1, Q8_ERR_PLAN);
}

static void test_golden_run(const char *dir) {
    size_t input_size_bytes, expected_size, i, n;
    uint8_t *pixels = load_file(dir, "every_op_input.raw", &input_size_bytes);
    uint8_t *expected = load_file(dir, "every_op_expected.raw", &expected_size);
    uint8_t *shifted = (uint8_t *)malloc(golden_size + 1u);
    q8_model m, unaligned;
    uint8_t *arena;
    int8_t *input, logits[64];
    uint32_t name_length = 0;
    const uint8_t *name;

    CHECK(q8_model_init(&m, golden, golden_size) == Q8_OK, "the golden blob loads");
    memcpy(shifted + 1, golden, golden_size);
    CHECK(q8_model_init(&unaligned, shifted + 1, golden_size) == Q8_OK, "the golden blob loads from an odd address");
    CHECK(q8_num_classes(&m) == 10 && q8_num_classes(&m) <= sizeof logits, "10 classes");
    name = q8_model_name(&m, &name_length);
    CHECK(name_length == 13 && memcmp(name, "every-op-2025", 13) == 0, "model name");
    n = input_size_bytes / q8_input_size(&m);
    CHECK(n * q8_input_size(&m) == input_size_bytes && n * q8_num_classes(&m) == expected_size, "golden sizes");
    arena = (uint8_t *)malloc(q8_arena_size(&m));
    input = (int8_t *)malloc(q8_input_size(&m));
    for (i = 0; i < n; ++i) {
        CHECK(q8_input_from_pixels(&m, pixels + i * q8_input_size(&m), q8_input_size(&m), input) == Q8_OK, "pixels to input");
        CHECK(q8_run(&m, input, logits, arena, q8_arena_size(&m)) == Q8_OK, "run image %lu", (unsigned long)i);
        CHECK(memcmp(logits, expected + i * q8_num_classes(&m), q8_num_classes(&m)) == 0,
              "image %lu: C logits differ from the Swift IntEngine's", (unsigned long)i);
        memset(logits, 0, sizeof logits);
        CHECK(q8_run(&unaligned, input, logits, arena, q8_arena_size(&m)) == Q8_OK &&
                  memcmp(logits, expected + i * q8_num_classes(&m), q8_num_classes(&m)) == 0,
              "image %lu from the unaligned copy", (unsigned long)i);
    }
    CHECK(q8_run(&m, input, logits, arena, q8_arena_size(&m) - 1u) == Q8_ERR_ARENA_TOO_SMALL, "arena one byte short");
    /* The kernel scratch: the Swift writer's scratch_bytes is the C loader's figure of the same rule,
     * and a blob that gives less (here none, as blobs did before the rule) still loads and runs the
     * same bytes (kernels that would need the scratch run without it). */
    CHECK(m.scratch_bytes > 0u && m.scratch_bytes == m.scratch_need, "scratch_bytes %lu = the rule's %lu",
          (unsigned long)m.scratch_bytes, (unsigned long)m.scratch_need);
    {
        uint8_t *no_scratch = (uint8_t *)malloc(golden_size);
        q8_model bare;
        memcpy(no_scratch, golden, golden_size);
        put32(no_scratch, 36, 0);
        fix_crc(no_scratch, golden_size);
        CHECK(q8_model_init(&bare, no_scratch, golden_size) == Q8_OK && q8_arena_size(&bare) == m.arena_bytes,
              "a blob without scratch loads, arena = activations only");
        CHECK(q8_run(&bare, input, logits, arena, q8_arena_size(&bare)) == Q8_OK &&
                  memcmp(logits, expected + (n - 1u) * q8_num_classes(&m), q8_num_classes(&m)) == 0,
              "a blob without scratch gives the same logits");
        free(no_scratch);
    }
    CHECK(q8_run(&m, NULL, logits, arena, q8_arena_size(&m)) == Q8_ERR_NULL, "null input");
    CHECK(q8_model_init(NULL, golden, golden_size) == Q8_ERR_NULL, "null model");
    CHECK(q8_model_init(&m, NULL, golden_size) == Q8_ERR_NULL, "null blob");
    {
        const uint8_t px[3] = {0, 128, 255};
        int8_t q[3];
        CHECK(q8_input_is_pixels(&unaligned), "the golden model's input is pixel - 128");
        CHECK(q8_input_from_pixels(&unaligned, px, 3, q) == Q8_OK, "pixels to input");
        CHECK(q[0] == -128 && q[1] == 0 && q[2] == 127, "pixels - 128");
        CHECK(q8_input_from_pixels(NULL, px, 3, q) == Q8_ERR_NULL && !q8_input_is_pixels(NULL), "null model");
    }
    free(input);
    free(arena);
    free(shifted);
    free(expected);
    free(pixels);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s DATA_DIR\n", argv[0]);
        return 2;
    }
    golden = load_file(argv[1], "every_op.q8", &golden_size);
    test_golden_run(argv[1]);
    test_bad_inputs();
    free(golden);
    return finish("test_loader");
}
