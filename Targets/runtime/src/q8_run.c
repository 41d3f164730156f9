/*
 * q8_run: executes the ops of a validated model in order through the op table (q8_op_table.c),
 * each reading its inputs from the caller's input buffer (value 0) or the arena and writing its
 * output to the arena at the planned offset (a patch stage's ops band by band, q8_schedule.c);
 * the logits are copied out at the end. Also q8_input_is_pixels and q8_input_from_pixels (which
 * refuses a model whose input is not pixel − 128).
 */
#include "q8_internal.h"

q8_status q8_run(const q8_model *model, const int8_t *input, int8_t *output, uint8_t *arena, size_t arena_size) {
    uint32_t pos = 0, i, k;
    const int8_t *logits;
    q8_buffers b;
    if (model == 0 || model->blob == 0 || input == 0 || output == 0 || arena == 0) return Q8_ERR_NULL;
    if (arena_size < q8_arena_size(model)) return Q8_ERR_ARENA_TOO_SMALL;
    b.input = input;
    b.arena = arena;
    b.scratch = arena + model->arena_bytes;
    b.scratch_bytes = model->scratch_bytes;
    for (i = 0; i < model->op_count; ++i) {
        q8_op op;
        q8_params p;
        const q8_status s = q8_op_read(model, pos, i, &op);
        const uint32_t stage = q8_stage_of_op(model, i);
        if (s != Q8_OK) return s; /* cannot happen after q8_model_init; kept as a guard */
        pos += op.record_size;
        if (stage < model->stage_count) {
            /* a patch stage: all its ops, band by band, then on after its last op */
            const uint32_t last = q8_stage_get(model, stage).last;
            q8_stage_run(model, stage, &b);
            for (; i < last; ++i) pos += q8_u32(model->blob + model->ops_offset + pos + 4u);
            continue;
        }
        q8_op_type_of(op.type)->get(model, &op, &p);
        q8_op_type_of(op.type)->run(model, &op, &p, &b);
    }
    logits = q8_value_data(model, &b, model->op_count);
    for (k = 0; k < model->num_classes; ++k) output[k] = logits[k];
    return Q8_OK;
}

/* The string section (Docs/BLOB_FORMAT.md): name, op_count node names, metadata key/value pairs;
 * q8_model_init checked every length. 1 when a metadata key equals `key` and its value `value`. */
static int same_text(const uint8_t *bytes, uint32_t length, const char *text) {
    uint32_t i;
    for (i = 0; i < length; ++i) {
        if (text[i] == 0 || bytes[i] != (uint8_t)text[i]) return 0;
    }
    return text[length] == 0;
}

static int has_metadata(const q8_model *m, const char *key, const char *value) {
    const uint8_t *s = m->blob + m->strings_offset;
    uint32_t pos = 0, i, k;
    for (i = 0; i < 1u + m->op_count; ++i) pos += 4u + q8_u32(s + pos);
    for (k = 0; k < m->metadata_count; ++k) {
        const uint32_t kl = q8_u32(s + pos), vl = q8_u32(s + pos + 4u + kl);
        if (same_text(s + pos + 4u, kl, key) && same_text(s + pos + 8u + kl, vl, value)) return 1;
        pos += 8u + kl + vl;
    }
    return 0;
}

int q8_input_is_pixels(const q8_model *model) {
    if (model == 0 || model->blob == 0) return 0;
    /* input_zero_point −128 and input_scale the binary64 of float32(1/255), 0x3F70101020000000 */
    if (q8_i32(model->blob + 52) != -128 || q8_u32(model->blob + 64) != 0x20000000u || q8_u32(model->blob + 68) != 0x3F701010u) {
        return 0;
    }
    return !has_metadata(model, "input", "tflite-quantized");
}

q8_status q8_input_from_pixels(const q8_model *model, const uint8_t *pixels, size_t count, int8_t *input) {
    size_t i;
    if (model == 0 || model->blob == 0 || pixels == 0 || input == 0) return Q8_ERR_NULL;
    if (!q8_input_is_pixels(model)) return Q8_ERR_NOT_PIXELS;
    for (i = 0; i < count; ++i) input[i] = (int8_t)((int32_t)pixels[i] - 128);
    return Q8_OK;
}
