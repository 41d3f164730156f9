/*
 * The op table: for every op type, how to decode its record (get), validate it (check), run it
 * (run: the op's buffers and its lent kernel scratch to the kernel) and how much kernel scratch the
 * scratch rule gives it (scratch; BLOB_FORMAT.md, "Kernel scratch"). It is the only file that knows every op: q8_model_init and q8_run go through it, the op
 * files below it know nothing of each other or of the loader. The run functions hand the op's
 * buffers to its kernel, or to the dispatch hook for ops a port may run with its own kernels.
 */
#include "q8_internal.h"

static void run_conv(const q8_model *m, const q8_op *op, q8_params *p, const q8_buffers *b) {
    p->conv.scratch = b->scratch;
    p->conv.scratch_bytes = b->scratch_bytes;
    if (q8_conv_in_place(m, op, &p->conv)) {
        q8_depthwise_conv_inplace_s8(&p->conv, q8_value_data(m, b, q8_op_input(op, 0)), q8_output_data(m, b, op));
    } else {
        q8_conv_dispatch(&p->conv, q8_value_data(m, b, q8_op_input(op, 0)), q8_output_data(m, b, op));
    }
}

static void run_add(const q8_model *m, const q8_op *op, q8_params *p, const q8_buffers *b) {
    p->add.scratch = b->scratch;
    p->add.scratch_bytes = b->scratch_bytes;
    q8_add_dispatch(&p->add, q8_value_data(m, b, q8_op_input(op, 0)), q8_value_data(m, b, q8_op_input(op, 1)),
                    q8_output_data(m, b, op));
}

static void run_mul(const q8_model *m, const q8_op *op, q8_params *p, const q8_buffers *b) {
    q8_mul_dispatch(&p->mul, q8_value_data(m, b, q8_op_input(op, 0)), q8_value_data(m, b, q8_op_input(op, 1)),
                    q8_output_data(m, b, op));
}

static void run_hard_swish(const q8_model *m, const q8_op *op, q8_params *p, const q8_buffers *b) {
    p->hard_swish.scratch = b->scratch;
    p->hard_swish.scratch_bytes = b->scratch_bytes;
    q8_hard_swish_dispatch(&p->hard_swish, q8_value_data(m, b, q8_op_input(op, 0)), q8_output_data(m, b, op));
}

static void run_lookup(const q8_model *m, const q8_op *op, q8_params *p, const q8_buffers *b) {
    q8_lookup_dispatch(&p->lookup, q8_value_data(m, b, q8_op_input(op, 0)), q8_output_data(m, b, op));
}

static void run_uniform_1x1(const q8_model *m, const q8_op *op, q8_params *p, const q8_buffers *b) {
    q8_uniform_1x1_s8(&p->uniform_1x1, q8_value_data(m, b, q8_op_input(op, 0)), q8_output_data(m, b, op));
}

static void run_requantize(const q8_model *m, const q8_op *op, q8_params *p, const q8_buffers *b) {
    q8_requantize_s8(&p->requantize.requant, p->requantize.count, q8_value_data(m, b, q8_op_input(op, 0)),
                     q8_output_data(m, b, op));
}

static void run_concat(const q8_model *m, const q8_op *op, q8_params *p, const q8_buffers *b) {
    const q8_shape out = p->concat.out;
    int8_t *output = q8_output_data(m, b, op);
    int32_t channel_offset = 0;
    uint32_t k;
    for (k = 0; k < op->input_count; ++k) {
        const uint32_t v = q8_op_input(op, k);
        const int32_t in_c = q8_value_get(m, v).shape.c;
        q8_concat_s8(q8_value_data(m, b, v), out.h * out.w, in_c, output, out.c, channel_offset);
        channel_offset += in_c;
    }
}

static void run_split(const q8_model *m, const q8_op *op, q8_params *p, const q8_buffers *b) {
    const q8_split_params *s = &p->split;
    q8_split_s8(q8_value_data(m, b, q8_op_input(op, 0)), s->in.h * s->in.w, s->in.c, s->start, s->count,
                q8_output_data(m, b, op));
}

static void run_shuffle(const q8_model *m, const q8_op *op, q8_params *p, const q8_buffers *b) {
    const q8_shuffle_params *s = &p->shuffle;
    q8_shuffle_s8(q8_value_data(m, b, q8_op_input(op, 0)), s->in.h * s->in.w, s->in.c, s->groups,
                  q8_output_data(m, b, op));
}

static void run_max_pool(const q8_model *m, const q8_op *op, q8_params *p, const q8_buffers *b) {
    q8_max_pool_s8(&p->pool, q8_value_data(m, b, q8_op_input(op, 0)), q8_output_data(m, b, op));
}

static void run_avg_pool(const q8_model *m, const q8_op *op, q8_params *p, const q8_buffers *b) {
    q8_avg_pool_s8(&p->pool, q8_value_data(m, b, q8_op_input(op, 0)), q8_output_data(m, b, op));
}

static void run_global_avg_pool(const q8_model *m, const q8_op *op, q8_params *p, const q8_buffers *b) {
    q8_global_avg_pool_dispatch(&p->global_avg_pool.requant, p->global_avg_pool.in,
                                q8_value_data(m, b, q8_op_input(op, 0)), q8_output_data(m, b, op));
}

static uint32_t scratch_conv(const q8_params *p) { return q8_conv_scratch(&p->conv); }
static uint32_t scratch_add(const q8_params *p) { return q8_add_scratch(&p->add); }
static uint32_t scratch_hard_swish(const q8_params *p) { return q8_hard_swish_scratch(&p->hard_swish); }
static uint32_t scratch_none(const q8_params *p) {
    (void)p;
    return 0;
}

/* Indexed by type code (Docs/BLOB_FORMAT.md, "Op records"); code 0 is not an op. */
static const q8_op_type table[Q8_OP_TYPE_COUNT] = {
    {0, 0, 0, 0},
    /* CONV */ {q8_conv_get, q8_conv_check, run_conv, scratch_conv},
    /* ADD */ {q8_add_get, q8_add_check, run_add, scratch_add},
    /* MUL */ {q8_mul_get, q8_mul_check, run_mul, scratch_none},
    /* HARD_SWISH */ {q8_hard_swish_get, q8_hard_swish_check, run_hard_swish, scratch_hard_swish},
    /* 5: HARD_SIGMOID of versions 1–2, refused by q8_op_read */ {0, 0, 0, 0},
    /* REQUANTIZE */ {q8_requantize_get, q8_requantize_check, run_requantize, scratch_none},
    /* CONCAT */ {q8_concat_get, q8_concat_check, run_concat, scratch_none},
    /* SPLIT */ {q8_split_get, q8_split_check, run_split, scratch_none},
    /* SHUFFLE */ {q8_shuffle_get, q8_shuffle_check, run_shuffle, scratch_none},
    /* MAX_POOL */ {q8_pool_get, q8_max_pool_check, run_max_pool, scratch_none},
    /* AVG_POOL */ {q8_pool_get, q8_avg_pool_check, run_avg_pool, scratch_none},
    /* GLOBAL_AVG_POOL */ {q8_global_avg_pool_get, q8_global_avg_pool_check, run_global_avg_pool, scratch_none},
    /* LOOKUP */ {q8_lookup_get, q8_lookup_check, run_lookup, scratch_none},
    /* UNIFORM_1X1 */ {q8_uniform_1x1_get, q8_uniform_1x1_check, run_uniform_1x1, scratch_none},
};

const q8_op_type *q8_op_type_of(uint32_t type) { return &table[type]; }
