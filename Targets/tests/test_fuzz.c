/*
 * Corrupted blobs: thousands of mutations of the golden blob (bit flips, random bytes, table
 * fields set to edge values, header fields, truncations, several at once), nearly all with the
 * CRC recomputed so that the corruption reaches the validator. Every blob must be rejected with
 * an error code or load and run safely; built with -fsanitize=address,undefined (any overread,
 * overflow or undefined behaviour aborts). The blob and the arena are heap blocks of exactly
 * their size, so ASan sees any access past them.
 *
 *     test_fuzz DATA_DIR [COUNT]
 */
#include "check.h"

static const uint32_t edges[] = {0u, 1u, 2u, 3u, 15u, 16u, 127u, 128u, 255u, 0x7FFFu, 0xFFFFu, 0x10000u, 0x7FFFFFFFu,
                                 0x80000000u, 0xFFFFFFFFu, 0xFFFFFFFEu, 0xFFFFFF80u};

/* A random edge value. */
static uint32_t edge(void) { return edges[rng_int(0, (int32_t)(sizeof edges / sizeof edges[0]) - 1)]; }

/* Applies one random mutation to b (the golden blob's size). */
static void mutate(uint8_t *b, size_t size, const uint8_t *golden) {
    const size_t words = size / 4u;
    const size_t data = get32(golden, 104);
    switch (rng_int(0, 6)) {
    case 0: /* one bit anywhere */
        b[rng_int(0, (int32_t)size - 1)] ^= (uint8_t)(1u << rng_int(0, 7));
        break;
    case 1: /* one random byte in the tables */
        b[rng_int(0, (int32_t)data - 1)] = (uint8_t)rng_next();
        break;
    case 2: /* a table word set to an edge value */
        {
            const size_t at = 4u * (size_t)rng_int(5, (int32_t)(data / 4u) - 1);
            put32(b, at, edge());
        }
        break;
    case 3: /* a header field set to a random or edge value */
        {
            const size_t at = 4u * (size_t)rng_int(5, 31);
            put32(b, at, rng_int(0, 1) ? (uint32_t)rng_next() : edge());
        }
        break;
    case 4: /* a word anywhere nudged by a small amount */
        {
            const size_t at = 4u * (size_t)rng_int(5, (int32_t)words - 1);
            put32(b, at, get32(b, at) + (uint32_t)rng_int(-16, 16));
        }
        break;
    case 5: /* several random bytes */
        {
            int k, count = rng_int(2, 8);
            for (k = 0; k < count; ++k) b[rng_int(0, (int32_t)size - 1)] = (uint8_t)rng_next();
        }
        break;
    default: /* weights, biases, multipliers, shifts: random bytes in the data region */
        b[rng_int((int32_t)data, (int32_t)size - 1)] = (uint8_t)rng_next();
        break;
    }
}

int main(int argc, char **argv) {
    size_t golden_size;
    uint8_t *golden;
    long count, trial, accepted = 0, by_status[Q8_ERR_NOT_PIXELS + 1] = {0};
    int s;
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s DATA_DIR [COUNT]\n", argv[0]);
        return 2;
    }
    golden = load_file(argv[1], "every_op.q8", &golden_size);
    count = argc == 3 ? atol(argv[2]) : 3000;
    for (trial = 0; trial < count; ++trial) {
        size_t n = golden_size;
        uint8_t *b = (uint8_t *)malloc(golden_size);
        uint8_t *exact;
        q8_model m;
        q8_status status;
        int k, mutations = rng_int(1, 3);
        memcpy(b, golden, golden_size);
        for (k = 0; k < mutations; ++k) mutate(b, golden_size, golden);
        if (rng_int(0, 7) == 0) n = (size_t)rng_int(0, (int32_t)golden_size - 1); /* truncation */
        if (rng_int(0, 19) != 0) fix_crc(b, n); /* 1 in 20 keeps the stale CRC */
        exact = (uint8_t *)malloc(n > 0 ? n : 1u);
        memcpy(exact, b, n);
        status = q8_model_init(&m, exact, n);
        ++by_status[status];
        if (status == Q8_OK) {
            const size_t arena_size = q8_arena_size(&m), input_size = q8_input_size(&m), classes = q8_num_classes(&m);
            uint8_t *arena = (uint8_t *)malloc(arena_size > 0 ? arena_size : 1u);
            int8_t *input = (int8_t *)malloc(input_size);
            int8_t *logits = (int8_t *)malloc(classes);
            size_t i;
            ++accepted;
            for (i = 0; i < input_size; ++i) input[i] = (int8_t)rng_next();
            CHECK(q8_run(&m, input, logits, arena, arena_size) == Q8_OK, "trial %ld: accepted blob fails to run", trial);
            free(logits);
            free(input);
            free(arena);
        } else {
            CHECK(status > Q8_OK && status <= Q8_ERR_PLAN, "trial %ld: unexpected status %d", trial, (int)status);
        }
        free(exact);
        free(b);
    }
    printf("test_fuzz: %ld corrupted blobs, %ld loaded and ran safely, rejected:", count, accepted);
    for (s = 1; s <= Q8_ERR_NOT_PIXELS; ++s) {
        if (by_status[s] > 0) printf(" %s %ld", q8_status_name((q8_status)s) + 7, by_status[s]);
    }
    printf("\n");
    CHECK(count >= 1000, "at least 1,000 corrupted blobs (got %ld)", count);
    CHECK(accepted < count, "most corruptions must be rejected");
    free(golden);
    return finish("test_fuzz");
}
