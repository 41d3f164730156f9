/*
 * q8_run: executes the ops of a validated model in order, each reading its inputs from the
 * caller's input buffer (value 0) or the arena and writing its output to the arena at the
 * planned offset; the logits are copied out at the end. Also q8_input_from_pixels.
 */
#include "q8_internal.h"

/* Where value v lives: the caller's input for value 0, else its planned arena buffer. */
static const int8_t *value_data(const q8_model *m, uint32_t v, const int8_t *input, uint8_t *arena) {
    return v == 0u ? input : (const int8_t *)(arena + q8_value_get(m, v).arena_offset);
}

/* Runs one op (its record already read and validated). */
static void run_op(const q8_model *m, const q8_op *op, const int8_t *input, uint8_t *arena) {
    const q8_value out_value = q8_value_get(m, op->index + 1u);
    int8_t *out = (int8_t *)(arena + out_value.arena_offset);
    const int8_t *in = value_data(m, q8_op_input(op, 0), input, arena);
    const q8_shape in_shape = q8_value_get(m, q8_op_input(op, 0)).shape;
    switch (op->type) {
    case Q8_OP_CONV: {
        q8_conv_params p;
        q8_conv_get(m, op, &p);
        q8_conv_dispatch(&p, in, out);
        break;
    }
    case Q8_OP_ADD: {
        q8_add_params p;
        q8_add_get(m, op, &p);
        q8_add_dispatch(&p, in, value_data(m, q8_op_input(op, 1), input, arena), out);
        break;
    }
    case Q8_OP_MUL: {
        q8_mul_params p;
        q8_mul_get(m, op, &p);
        q8_mul_dispatch(&p, in, value_data(m, q8_op_input(op, 1), input, arena), out);
        break;
    }
    case Q8_OP_HARD_SWISH:
    case Q8_OP_HARD_SIGMOID: {
        q8_hard_swish_params p;
        q8_hard_swish_get(m, op, &p);
        q8_hard_swish_dispatch(&p, in, out);
        break;
    }
    case Q8_OP_REQUANTIZE: {
        const q8_requant r = q8_requant_get(op, 0);
        q8_requantize_s8(&r, q8_shape_count(out_value.shape), in, out);
        break;
    }
    case Q8_OP_CONCAT: {
        int32_t channel_offset = 0;
        uint32_t k;
        for (k = 0; k < op->input_count; ++k) {
            const uint32_t v = q8_op_input(op, k);
            const int32_t in_c = q8_value_get(m, v).shape.c;
            q8_concat_s8(value_data(m, v, input, arena), out_value.shape.h * out_value.shape.w, in_c, out,
                         out_value.shape.c, channel_offset);
            channel_offset += in_c;
        }
        break;
    }
    case Q8_OP_SPLIT:
        q8_split_s8(in, in_shape.h * in_shape.w, in_shape.c, q8_op_param(op, 0), q8_op_param(op, 1), out);
        break;
    case Q8_OP_SHUFFLE:
        q8_shuffle_s8(in, in_shape.h * in_shape.w, in_shape.c, q8_op_param(op, 0), out);
        break;
    case Q8_OP_MAX_POOL:
    case Q8_OP_AVG_POOL: {
        q8_pool_params p;
        q8_pool_get(m, op, &p);
        if (op->type == Q8_OP_MAX_POOL) {
            q8_max_pool_s8(&p, in, out);
        } else {
            q8_avg_pool_s8(&p, in, out);
        }
        break;
    }
    default: { /* Q8_OP_GLOBAL_AVG_POOL */
        const q8_requant r = q8_requant_get(op, 0);
        q8_global_avg_pool_dispatch(&r, in_shape, in, out);
        break;
    }
    }
}

q8_status q8_run(const q8_model *model, const int8_t *input, int8_t *output, uint8_t *arena, size_t arena_size) {
    uint32_t pos = 0, i, k;
    const int8_t *logits;
    if (model == 0 || model->blob == 0 || input == 0 || output == 0 || arena == 0) return Q8_ERR_NULL;
    if (arena_size < q8_arena_size(model)) return Q8_ERR_ARENA_TOO_SMALL;
    for (i = 0; i < model->op_count; ++i) {
        q8_op op;
        const q8_status s = q8_op_read(model, pos, i, &op);
        if (s != Q8_OK) return s; /* cannot happen after q8_model_init; kept as a guard */
        run_op(model, &op, input, arena);
        pos += op.record_size;
    }
    logits = value_data(model, model->op_count, input, arena);
    for (k = 0; k < model->num_classes; ++k) output[k] = logits[k];
    return Q8_OK;
}

void q8_input_from_pixels(const uint8_t *pixels, size_t count, int8_t *input) {
    size_t i;
    for (i = 0; i < count; ++i) input[i] = (int8_t)((int32_t)pixels[i] - 128);
}
