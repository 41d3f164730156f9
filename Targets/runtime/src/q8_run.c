/*
 * q8_run: executes the ops of a validated model in order through the op table (q8_op_table.c),
 * each reading its inputs from the caller's input buffer (value 0) or the arena and writing its
 * output to the arena at the planned offset (a patch stage's ops band by band, q8_schedule.c);
 * the logits are copied out at the end. Also
 * q8_input_from_pixels.
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

void q8_input_from_pixels(const uint8_t *pixels, size_t count, int8_t *input) {
    size_t i;
    for (i = 0; i < count; ++i) input[i] = (int8_t)((int32_t)pixels[i] - 128);
}
