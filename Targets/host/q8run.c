/*
 * q8run — runs a model blob on the host with the portable runtime, exactly as firmware would.
 *
 *     q8run model.q8 input.raw output.raw
 *
 * input.raw holds N images of raw uint8 pixels, HWC, each the model's input size — or, for a model
 * whose input is not pixel − 128 (q8_input_is_pixels() is 0: imported from a .tflite), N int8
 * input tensors as they are; output.raw receives N × classes int8 logits. A one-line summary goes to stderr. Exit status: 0 success,
 * 1 usage, 2 unreadable/invalid file (the runtime's status name is printed).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "q8.h"

/* Reads a whole file into a malloc'd buffer; returns NULL (and prints why) on failure. */
static uint8_t *read_file(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    uint8_t *data = NULL;
    long length;
    if (f == NULL) {
        fprintf(stderr, "%s: cannot open\n", path);
        return NULL;
    }
    if (fseek(f, 0, SEEK_END) != 0 || (length = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fprintf(stderr, "%s: cannot determine the size\n", path);
        fclose(f);
        return NULL;
    }
    data = (uint8_t *)malloc(length > 0 ? (size_t)length : 1u);
    if (data == NULL || fread(data, 1, (size_t)length, f) != (size_t)length) {
        fprintf(stderr, "%s: cannot read %ld bytes\n", path, length);
        free(data);
        fclose(f);
        return NULL;
    }
    fclose(f);
    *size = (size_t)length;
    return data;
}

int main(int argc, char **argv) {
    size_t blob_size = 0, pixels_size = 0, input_size, classes, images, i;
    uint8_t *blob, *pixels, *arena;
    int8_t *input, *logits;
    uint32_t name_length = 0;
    const uint8_t *name;
    q8_model model;
    q8_status status;
    FILE *out;
    int result = 0;

    if (argc != 4) {
        fprintf(stderr, "usage: %s model.q8 input.raw output.raw\n"
                        "  input.raw: N images of raw uint8 HWC pixels; output.raw: N x classes int8 logits\n", argv[0]);
        return 1;
    }
    blob = read_file(argv[1], &blob_size);
    if (blob == NULL) return 2;
    status = q8_model_init(&model, blob, blob_size);
    if (status != Q8_OK) {
        fprintf(stderr, "%s: not a valid model blob: %s\n", argv[1], q8_status_name(status));
        free(blob);
        return 2;
    }
    input_size = q8_input_size(&model);
    classes = q8_num_classes(&model);
    pixels = read_file(argv[2], &pixels_size);
    if (pixels == NULL) {
        free(blob);
        return 2;
    }
    if (pixels_size == 0 || pixels_size % input_size != 0) {
        fprintf(stderr, "%s: %lu bytes is not a whole number of %lu-byte images\n", argv[2],
                (unsigned long)pixels_size, (unsigned long)input_size);
        free(pixels);
        free(blob);
        return 2;
    }
    images = pixels_size / input_size;
    arena = (uint8_t *)malloc(q8_arena_size(&model) > 0 ? q8_arena_size(&model) : 1u);
    input = (int8_t *)malloc(input_size);
    logits = (int8_t *)malloc(classes);
    out = fopen(argv[3], "wb");
    if (arena == NULL || input == NULL || logits == NULL || out == NULL) {
        fprintf(stderr, "%s: cannot allocate buffers or create the output\n", argv[3]);
        result = 2;
    }
    for (i = 0; result == 0 && i < images; ++i) {
        if (q8_input_from_pixels(&model, pixels + i * input_size, input_size, input) == Q8_ERR_NOT_PIXELS) {
            memcpy(input, pixels + i * input_size, input_size); /* the file holds the int8 inputs */
        }
        status = q8_run(&model, input, logits, arena, q8_arena_size(&model));
        if (status != Q8_OK) {
            fprintf(stderr, "image %lu: %s\n", (unsigned long)i, q8_status_name(status));
            result = 2;
        } else if (fwrite(logits, 1, classes, out) != classes) {
            fprintf(stderr, "%s: write failed\n", argv[3]);
            result = 2;
        }
    }
    if (out != NULL && fclose(out) != 0 && result == 0) {
        fprintf(stderr, "%s: write failed\n", argv[3]);
        result = 2;
    }
    if (result == 0) {
        name = q8_model_name(&model, &name_length);
        fprintf(stderr, "%.*s: %lu images, %lu classes, blob %lu bytes, arena %lu bytes\n", (int)name_length,
                (const char *)name, (unsigned long)images, (unsigned long)classes, (unsigned long)blob_size,
                (unsigned long)q8_arena_size(&model));
    }
    free(logits);
    free(input);
    free(arena);
    free(pixels);
    free(blob);
    return result;
}
