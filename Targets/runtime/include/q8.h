/*
 * q8 — the portable C99 runtime of the int8 toolkit.
 *
 * Runs a quantized model stored as a version-4 blob (Docs/BLOB_FORMAT.md) with integer arithmetic
 * only: no floating point, no heap, no stdio, no VLAs. The blob is read in place (it can stay in
 * flash); all activations live in one arena the caller provides, sized by q8_arena_size().
 *
 * Typical use:
 *     q8_model m;
 *     if (q8_model_init(&m, model_data, model_data_size) != Q8_OK) { ... }
 *     static uint8_t arena[ARENA_BYTES];             (at least q8_arena_size(&m))
 *     if (q8_input_from_pixels(&m, pixels, q8_input_size(&m), input) != Q8_OK) { ... }   (see q8_input_is_pixels)
 *     q8_run(&m, input, logits, arena, sizeof arena);
 */
#ifndef Q8_H
#define Q8_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The blob format version this runtime implements (4: int4 weights, patch stages, in-place depthwise). */
#define Q8_BLOB_VERSION 4u
/** The oldest blob version it loads: versions 1–2 used the toolkit's earlier arithmetic (before
 * TFLite Micro's), version 3 int32 shifts and int8 weights only; they are refused with
 * Q8_ERR_VERSION: quantize or export the model again. */
#define Q8_BLOB_VERSION_MIN 4u

/** Result of loading or running a model. Every kind of bad input has its own code. */
typedef enum q8_status {
    Q8_OK = 0,              /**< success */
    Q8_ERR_NULL,            /**< a required pointer argument is NULL */
    Q8_ERR_TRUNCATED,       /**< fewer bytes than the header or than the blob's stated total size */
    Q8_ERR_MAGIC,           /**< the blob does not start with "Q8MB" */
    Q8_ERR_VERSION,         /**< a blob version this runtime does not implement */
    Q8_ERR_HEADER,          /**< inconsistent header: sizes, counts, reserved fields, quantization copies */
    Q8_ERR_CRC,             /**< the CRC-32 does not match the contents */
    Q8_ERR_BOUNDS,          /**< an offset or size outside the blob, overlapping regions, a buffer outside the arena */
    Q8_ERR_ALIGN,           /**< a region, tensor or arena offset that is not 16-byte aligned */
    Q8_ERR_STRINGS,         /**< malformed string section (lengths, UTF-8, metadata key order) */
    Q8_ERR_BAD_OP,          /**< unknown op type, wrong record size or input count, input not computed before the op */
    Q8_ERR_TENSOR,          /**< a tensor of the wrong kind or size, referenced out of order, or unused */
    Q8_ERR_SHAPE,           /**< shapes that do not agree with each other or with the op parameters */
    Q8_ERR_PARAM,           /**< a parameter out of range (zero point, clamp, shift, multiplier, overflow bound) */
    Q8_ERR_PLAN,            /**< two activations alive at the same time share arena bytes */
    Q8_ERR_ARENA_TOO_SMALL, /**< q8_run was given an arena smaller than q8_arena_size() */
    Q8_ERR_NOT_PIXELS       /**< q8_input_from_pixels on a model whose input is not pixel − 128 (q8_input_is_pixels) */
} q8_status;

/**
 * A loaded model: a validated view of a blob. Filled by q8_model_init(); the blob must stay
 * readable (and unchanged) as long as the model is used. Treat the fields as private.
 */
typedef struct q8_model {
    const uint8_t *blob;
    uint32_t version; /**< the blob's format version, Q8_BLOB_VERSION_MIN…Q8_BLOB_VERSION */
    uint32_t total_size;
    uint32_t op_count;
    uint32_t tensor_count;
    uint32_t arena_bytes;
    uint32_t scratch_bytes;
    uint32_t scratch_need; /**< the scratch rule's figure for this model's ops (Docs/BLOB_FORMAT.md) */
    uint32_t num_classes;
    uint32_t metadata_count;
    uint32_t values_offset;
    uint32_t ops_offset;
    uint32_t ops_size;
    uint32_t tensors_offset;
    uint32_t strings_offset;
    uint32_t strings_size;
    uint32_t data_offset;
    uint32_t data_size;
    uint32_t stages_offset; /**< the stage table, 0 when stage_count is 0 */
    uint32_t stage_count;
    uint32_t input_size;
} q8_model;

/**
 * Loads a blob: checks the magic, version, header size and fields, the CRC-32, the bounds and
 * alignment of every region and tensor, the string section, every value shape and arena buffer,
 * every op record and parameter (shapes consistent, value ids in range, zero points, shifts,
 * multipliers, the int32 accumulator bound), and that no two live activations share arena bytes.
 * Reads the blob in place and never writes to it. On any error `model` is left zeroed.
 *
 * model: filled on success.  blob: the blob bytes (any alignment; 16 recommended).
 * size: bytes readable at blob (may exceed the blob's total size).
 * Returns Q8_OK or the first problem found (see q8_status and Docs/BLOB_FORMAT.md).
 */
q8_status q8_model_init(q8_model *model, const uint8_t *blob, size_t size);

/**
 * Bytes of arena q8_run() needs for this model: planned activations (the blob's arena_bytes) plus
 * kernel scratch (its scratch_bytes, lent to the kernels that need buffers; Docs/BLOB_FORMAT.md).
 */
size_t q8_arena_size(const q8_model *model);

/**
 * Bytes of the model's int8 input (height × width × channels of the image, HWC order).
 */
size_t q8_input_size(const q8_model *model);

/**
 * Number of int8 logits q8_run() writes (the number of classes).
 */
size_t q8_num_classes(const q8_model *model);

/**
 * Zero point of the model's int8 input. −128 for the toolkit's own models, whose input is the raw
 * pixel − 128 (q8_input_from_pixels). A model imported from a .tflite (q8_input_is_pixels() is 0,
 * the generated header's <SYM>_INPUT_IS_PIXELS is 0) takes the normalized image x quantized with
 * the file's own scale and zero point, q = round(x / <SYM>_INPUT_SCALE) + <SYM>_INPUT_ZERO_POINT,
 * clamped to int8: fill its input that way; q8_input_from_pixels refuses it.
 */
int32_t q8_input_zero_point(const q8_model *model);

/**
 * 1 when the model's input is the raw pixel − 128 (the toolkit's own models: input scale
 * float32(1/255), zero point −128, and no metadata pair `input = tflite-quantized`), else 0 (a
 * model imported from a .tflite, which keeps the file's input quantization; also 0 for NULL).
 */
int q8_input_is_pixels(const q8_model *model);

/**
 * Runs the model on one input.
 *
 * input: q8_input_size() int8 values (see q8_input_from_pixels); read only, not in the arena.
 * output: receives q8_num_classes() int8 logits; the predicted class is their argmax.
 * arena: memory for every activation and the kernel scratch, any alignment (a port's optimized
 *        kernels use the scratch only when arena + arena_bytes is 8-byte aligned, so give a
 *        16-byte-aligned arena); its contents are overwritten.
 * arena_size: bytes available at arena; must be at least q8_arena_size().
 * Returns Q8_OK, Q8_ERR_NULL or Q8_ERR_ARENA_TOO_SMALL. The model must come from a successful
 * q8_model_init(); nothing else is checked again, and the same input always gives the same bits.
 */
q8_status q8_run(const q8_model *model, const int8_t *input, int8_t *output, uint8_t *arena, size_t arena_size);

/**
 * Converts raw 8-bit pixels (HWC order, as stored in the image) to the model's int8 input:
 * input[i] = pixels[i] − 128 (scale 1/255, zero point −128; the normalization is folded into the
 * model's first layer). pixels and input may be the same buffer.
 * Returns Q8_OK, Q8_ERR_NULL (a NULL pointer), or Q8_ERR_NOT_PIXELS, writing nothing, when the
 * model's input is not pixel − 128 (q8_input_is_pixels() is 0: a model imported from a .tflite,
 * whose input the caller quantizes with the file's scale and zero point, see q8_input_zero_point).
 */
q8_status q8_input_from_pixels(const q8_model *model, const uint8_t *pixels, size_t count, int8_t *input);

/**
 * THE requantization of the runtime (twin of Swift's `requantize` in QuantCore/FixedPoint.swift):
 * acc × multiplier × 2^(shift − 31) with double rounding, as TFLite's reference kernels do:
 * 1. if shift > 0, acc is shifted left by shift, saturating to int32;
 * 2. the doubling high half of the 64-bit product p = acc × multiplier is taken, rounded to
 *    nearest: floor((p + 2^30) / 2^31), i.e. ties toward +infinity (TFLite's "nudge"; a negative
 *    tie such as −1 × 2^30 gives 0), saturating the single overflow case INT32_MIN × INT32_MIN;
 * 3. if shift < 0, the result is divided by 2^min(−shift, 31), rounding half away from zero.
 * Defined for every acc and multiplier and for shift in −∞…31 (models use −31…31; shifts
 * above 31 are treated as 31). The runtime's kernels inline the same body (q8_internal.h).
 */
int32_t q8_requantize(int32_t acc, int32_t multiplier, int32_t shift);

/**
 * CRC-32 of size bytes (reflected polynomial 0xEDB88320, initial value and final XOR 0xFFFFFFFF:
 * the gzip/PNG/zip CRC). The blob stores the CRC of its bytes from offset 20 to its end.
 */
uint32_t q8_crc32(const uint8_t *data, size_t size);

/**
 * The model's name (UTF-8, not NUL-terminated) from the blob's string section; its byte length
 * is stored in *length.
 */
const uint8_t *q8_model_name(const q8_model *model, uint32_t *length);

/**
 * The name of a status code, e.g. "Q8_ERR_CRC" (a static string; "Q8_ERR_UNKNOWN" for others).
 */
const char *q8_status_name(q8_status status);

#ifdef __cplusplus
}
#endif

#endif /* Q8_H */
