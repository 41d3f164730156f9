/*
 * Execution schedules (Docs/BLOB_FORMAT.md, "Stage table" and "In-place depthwise"):
 * the stage table, the rows each value of a patch stage holds in a band, running a stage band by
 * band. Layer 5: uses the blob readers, the op table's
 * get functions and the dispatch hooks; q8_model.c and q8_run.c call it.
 */
#include "q8_internal.h"

q8_stage q8_stage_get(const q8_model *m, uint32_t k) {
    const uint8_t *e = m->blob + m->stages_offset + (uint64_t)k * Q8_STAGE_ENTRY_SIZE;
    q8_stage s;
    s.first = q8_u32(e);
    s.last = q8_u32(e + 4);
    s.bands = q8_u32(e + 8);
    return s;
}

uint32_t q8_stage_of_op(const q8_model *m, uint32_t i) {
    uint32_t k;
    for (k = 0; k < m->stage_count; ++k) {
        const q8_stage s = q8_stage_get(m, k);
        if (s.first <= i && i <= s.last) return k;
    }
    return m->stage_count;
}

/* Byte position of op i's record (ops already checked). */
static uint32_t op_position(const q8_model *m, uint32_t i) {
    uint32_t pos = 0, k;
    for (k = 0; k < i; ++k) pos += q8_u32(m->blob + m->ops_offset + pos + 4u);
    return pos;
}

/* The input rows [*lo, *hi) op reads for output rows [out_lo, out_hi) of an input of in_h rows:
 * through its window for CONV and the pools, the same rows for the element-wise ops. */
static void input_rows(const q8_op *op, int32_t out_lo, int32_t out_hi, int32_t in_h, int32_t *lo, int32_t *hi) {
    int32_t kernel, stride, pad;
    if (op->type == Q8_OP_CONV) {
        kernel = q8_op_param(op, 2); stride = q8_op_param(op, 4); pad = q8_op_param(op, 6);
    } else if (op->type == Q8_OP_MAX_POOL || op->type == Q8_OP_AVG_POOL) {
        kernel = q8_op_param(op, 0); stride = q8_op_param(op, 1); pad = q8_op_param(op, 2);
    } else {
        *lo = out_lo; *hi = out_hi;
        return;
    }
    *lo = out_lo * stride - pad;
    if (*lo < 0) *lo = 0;
    *hi = (out_hi - 1) * stride - pad + kernel;
    if (*hi > in_h) *hi = in_h;
    if (*hi < *lo) *hi = *lo;
}

/* The rows every value of stage s holds in band `band`: lo[k], hi[k] for value s.first + 1 + k
 * (k = s.last − s.first is the stage output's band); pos[k] is op s.first + k's record position. */
static void stage_rows(const q8_model *m, q8_stage s, uint32_t band, const uint32_t *pos, int32_t *lo, int32_t *hi) {
    const uint32_t n = s.last - s.first + 1u;
    const int32_t height = q8_value_get(m, s.last + 1u).shape.h;
    uint32_t k, j;
    for (k = 0; k < n; ++k) { lo[k] = 0; hi[k] = -1; } /* hi < lo: no rows yet */
    lo[n - 1u] = (int32_t)(band * (uint32_t)height / s.bands);
    hi[n - 1u] = (int32_t)((band + 1u) * (uint32_t)height / s.bands);
    for (k = n; k-- > 0;) {
        q8_op op;
        (void)q8_op_read(m, pos[k], s.first + k, &op);
        if (hi[k] < lo[k]) continue;
        for (j = 0; j < op.input_count; ++j) {
            const uint32_t u = q8_op_input(&op, j);
            int32_t need_lo, need_hi;
            if (!q8_stage_internal(s, u)) continue;
            input_rows(&op, lo[k], hi[k], q8_value_get(m, u).shape.h, &need_lo, &need_hi);
            if (hi[u - s.first - 1u] < lo[u - s.first - 1u]) {
                lo[u - s.first - 1u] = need_lo; hi[u - s.first - 1u] = need_hi;
            } else {
                if (need_lo < lo[u - s.first - 1u]) lo[u - s.first - 1u] = need_lo;
                if (need_hi > hi[u - s.first - 1u]) hi[u - s.first - 1u] = need_hi;
            }
        }
    }
}

/* Record positions of the ops of stage s (at most Q8_LIMIT_STAGE_OPS). */
static void stage_positions(const q8_model *m, q8_stage s, uint32_t *pos) {
    uint32_t k;
    pos[0] = op_position(m, s.first);
    for (k = 1; k <= s.last - s.first; ++k) pos[k] = pos[k - 1u] + q8_u32(m->blob + m->ops_offset + pos[k - 1u] + 4u);
}

uint32_t q8_value_bytes(const q8_model *m, uint32_t v) {
    const q8_value value = q8_value_get(m, v);
    uint32_t pos[Q8_LIMIT_STAGE_OPS], band, k;
    int32_t lo[Q8_LIMIT_STAGE_OPS], hi[Q8_LIMIT_STAGE_OPS], rows = 0;
    q8_stage s;
    if (v == 0u || (k = q8_stage_of_op(m, v - 1u)) == m->stage_count) return (uint32_t)q8_shape_count(value.shape);
    s = q8_stage_get(m, k);
    if (!q8_stage_internal(s, v)) return (uint32_t)q8_shape_count(value.shape);
    stage_positions(m, s, pos);
    for (band = 0; band < s.bands; ++band) {
        stage_rows(m, s, band, pos, lo, hi);
        if (hi[v - s.first - 1u] - lo[v - s.first - 1u] > rows) rows = hi[v - s.first - 1u] - lo[v - s.first - 1u];
    }
    return (uint32_t)(rows * value.shape.w * value.shape.c);
}

/* Whether ops of this type run on bands of rows. */
static int runs_on_bands(uint32_t type) {
    return type == Q8_OP_CONV || type == Q8_OP_MAX_POOL || type == Q8_OP_AVG_POOL || type == Q8_OP_ADD ||
           type == Q8_OP_HARD_SWISH || type == Q8_OP_LOOKUP || type == Q8_OP_REQUANTIZE || type == Q8_OP_UNIFORM_1X1;
}

/* Whether input j of op (at pos, index i) was already read by an earlier input of op or by an
 * op of the stage before it (first…i − 1), so each internal value is counted once. */
static int reads_before(const q8_model *m, uint32_t pos, uint32_t i, const q8_op *op, uint32_t j, uint32_t first) {
    const uint32_t v = q8_op_input(op, j);
    uint32_t k, at = op_position(m, first), n;
    (void)pos;
    for (k = 0; k < j; ++k) {
        if (q8_op_input(op, k) == v) return 1;
    }
    for (n = first; n < i; ++n) {
        q8_op earlier;
        (void)q8_op_read(m, at, n, &earlier);
        for (k = 0; k < earlier.input_count; ++k) {
            if (q8_op_input(&earlier, k) == v) return 1;
        }
        at += earlier.record_size;
    }
    return 0;
}

q8_status q8_stages_check(const q8_model *m) {
    uint32_t k, next = 0;
    for (k = 0; k < m->stage_count; ++k) {
        const q8_stage s = q8_stage_get(m, k);
        const uint8_t *e = m->blob + m->stages_offset + (uint64_t)k * Q8_STAGE_ENTRY_SIZE;
        uint32_t pos, i, j, read = 0; /* internal values read inside the stage, counted once per value */
        if (q8_u32(e + 12) != 0u) return Q8_ERR_PLAN;
        if (s.first < next || s.last < s.first || s.last >= m->op_count || s.last - s.first >= (uint32_t)Q8_LIMIT_STAGE_OPS) {
            return Q8_ERR_PLAN;
        }
        if (s.bands < 1u || s.bands > (uint32_t)q8_value_get(m, s.last + 1u).shape.h) return Q8_ERR_PLAN;
        pos = op_position(m, s.first);
        for (i = s.first; i < m->op_count; ++i) {
            q8_op op;
            (void)q8_op_read(m, pos, i, &op);
            if (i <= s.last && !runs_on_bands(op.type)) return Q8_ERR_PLAN;
            for (j = 0; j < op.input_count; ++j) {
                const uint32_t u = q8_op_input(&op, j);
                if (!q8_stage_internal(s, u)) continue;
                if (i > s.last) return Q8_ERR_PLAN;
                if (!reads_before(m, pos, i, &op, j, s.first)) ++read;
            }
            pos += op.record_size;
        }
        if (read != s.last - s.first) return Q8_ERR_PLAN; /* every value inside the stage is read inside it */
        next = s.last + 1u;
    }
    return Q8_OK;
}

void q8_stage_run(const q8_model *m, uint32_t k, const q8_buffers *b) {
    const q8_stage s = q8_stage_get(m, k);
    uint32_t pos[Q8_LIMIT_STAGE_OPS], band, n;
    int32_t lo[Q8_LIMIT_STAGE_OPS], hi[Q8_LIMIT_STAGE_OPS];
    stage_positions(m, s, pos);
    for (band = 0; band < s.bands; ++band) {
        stage_rows(m, s, band, pos, lo, hi);
        for (n = 0; n <= s.last - s.first; ++n) {
            q8_op op;
            q8_params p;
            const int8_t *in[2];
            int32_t in_lo = 0, in_hi = 0, j;
            q8_value out;
            int8_t *output;
            (void)q8_op_read(m, pos[n], s.first + n, &op);
            out = q8_op_out(m, &op);
            q8_op_type_of(op.type)->get(m, &op, &p);
            output = (int8_t *)(b->arena + q8_value_get(m, op.index + 1u).arena_offset);
            if (n == s.last - s.first) output += (int64_t)lo[n] * out.shape.w * out.shape.c;
            for (j = 0; j < (int32_t)op.input_count; ++j) {
                const uint32_t u = q8_op_input(&op, (uint32_t)j);
                const q8_value v = q8_value_get(m, u);
                const int32_t stored = q8_stage_internal(s, u) ? lo[u - s.first - 1u] : 0;
                input_rows(&op, lo[n], hi[n], v.shape.h, &in_lo, &in_hi);
                in[j] = q8_value_data(m, b, u) + (int64_t)(in_lo - stored) * v.shape.w * v.shape.c;
            }
            switch (op.type) {
            case Q8_OP_CONV:
                p.conv.pad_top = in_lo - (lo[n] * p.conv.stride_h - p.conv.pad_top);
                p.conv.in.h = in_hi - in_lo;
                p.conv.out.h = hi[n] - lo[n];
                p.conv.scratch = b->scratch;
                p.conv.scratch_bytes = b->scratch_bytes;
                if (q8_conv_in_place(m, &op, &p.conv)) q8_depthwise_conv_inplace_s8(&p.conv, in[0], output);
                else q8_conv_dispatch(&p.conv, in[0], output);
                break;
            case Q8_OP_MAX_POOL:
            case Q8_OP_AVG_POOL:
                p.pool.pad_top = in_lo - (lo[n] * p.pool.stride - p.pool.pad_top);
                p.pool.in.h = in_hi - in_lo;
                p.pool.out.h = hi[n] - lo[n];
                if (op.type == Q8_OP_MAX_POOL) q8_max_pool_s8(&p.pool, in[0], output);
                else q8_avg_pool_s8(&p.pool, in[0], output);
                break;
            case Q8_OP_ADD:
                p.add.count = (hi[n] - lo[n]) * out.shape.w * out.shape.c;
                p.add.scratch = b->scratch;
                p.add.scratch_bytes = b->scratch_bytes;
                q8_add_dispatch(&p.add, in[0], in[1], output);
                break;
            case Q8_OP_HARD_SWISH:
                p.hard_swish.count = (hi[n] - lo[n]) * out.shape.w * out.shape.c;
                p.hard_swish.scratch = b->scratch;
                p.hard_swish.scratch_bytes = b->scratch_bytes;
                q8_hard_swish_dispatch(&p.hard_swish, in[0], output);
                break;
            case Q8_OP_LOOKUP:
                p.lookup.count = (hi[n] - lo[n]) * out.shape.w * out.shape.c;
                q8_lookup_dispatch(&p.lookup, in[0], output);
                break;
            case Q8_OP_UNIFORM_1X1: /* element-wise, like LOOKUP (a 1×1 conv reads the rows it writes) */
                p.uniform_1x1.count = (hi[n] - lo[n]) * out.shape.w * out.shape.c;
                q8_uniform_1x1_s8(&p.uniform_1x1, in[0], output);
                break;
            default: /* Q8_OP_REQUANTIZE: q8_stages_check allows nothing else */
                p.requantize.count = (hi[n] - lo[n]) * out.shape.w * out.shape.c;
                q8_requantize_s8(&p.requantize.requant, p.requantize.count, in[0], output);
                break;
            }
        }
    }
}
