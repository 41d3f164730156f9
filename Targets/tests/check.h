/*
 * Minimal test harness shared by the C tests: CHECK counts passes and failures, finish() prints
 * the "N passed, N failed" line, and a few helpers read files and patch little-endian blob fields.
 */
#ifndef CHECK_H
#define CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "q8.h"

static int checks_passed = 0, checks_failed = 0;

/* Records one check; on failure prints the location and the printf-style message. */
#define CHECK(cond, ...)                                                                                     \
    do {                                                                                                      \
        if (cond) {                                                                                           \
            ++checks_passed;                                                                                  \
        } else {                                                                                              \
            ++checks_failed;                                                                                  \
            fprintf(stderr, "%s:%d: FAILED: ", __FILE__, __LINE__);                                           \
            fprintf(stderr, __VA_ARGS__);                                                                     \
            fputc('\n', stderr);                                                                              \
        }                                                                                                     \
    } while (0)

/* Prints the summary line and returns the process exit status. */
static inline int finish(const char *name) {
    printf("%s: %d passed, %d failed\n", name, checks_passed, checks_failed);
    return checks_failed == 0 ? 0 : 1;
}

/* Reads a whole file (malloc'd, exactly its size); exits on failure. */
static inline uint8_t *load_file(const char *dir, const char *name, size_t *size) {
    char path[1024];
    FILE *f;
    long n;
    uint8_t *data;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "rb");
    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET) != 0) {
        fprintf(stderr, "%s: cannot read\n", path);
        exit(2);
    }
    data = (uint8_t *)malloc((size_t)n);
    if (data == NULL || fread(data, 1, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "%s: cannot read\n", path);
        exit(2);
    }
    fclose(f);
    *size = (size_t)n;
    return data;
}

static inline uint32_t get32(const uint8_t *b, size_t at) {
    return (uint32_t)b[at] | ((uint32_t)b[at + 1] << 8) | ((uint32_t)b[at + 2] << 16) | ((uint32_t)b[at + 3] << 24);
}

static inline void put32(uint8_t *b, size_t at, uint32_t v) {
    b[at] = (uint8_t)v;
    b[at + 1] = (uint8_t)(v >> 8);
    b[at + 2] = (uint8_t)(v >> 16);
    b[at + 3] = (uint8_t)(v >> 24);
}

/* Recomputes the blob CRC (over [20, total_size) clipped to the buffer) so that a corruption
 * reaches the validator's later checks. */
static inline void fix_crc(uint8_t *b, size_t size) {
    size_t total;
    if (size < 20) return;
    total = get32(b, 12);
    if (total > size) total = size;
    if (total > 20) put32(b, 16, q8_crc32(b + 20, total - 20));
}

/* A small deterministic generator (xorshift64*). */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static inline uint64_t rng_next(void) {
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ull;
}
/* Uniform-ish integer in [lo, hi]. */
static inline int32_t rng_int(int32_t lo, int32_t hi) {
    return (int32_t)((int64_t)lo + (int64_t)(rng_next() % (uint64_t)((int64_t)hi - lo + 1)));
}

#endif
