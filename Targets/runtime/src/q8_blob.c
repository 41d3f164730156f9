/*
 * Layer 1 of the runtime (q8_internal.h): reading a blob's tables — value records, op records,
 * tensor references, where a value's bytes are — and the validation helpers shared by the per-op
 * *_check functions (window rule, requantization parameters); and the accessors of q8.h that
 * read a loaded model. Uses nothing but q8_internal.h.
 */
#include "q8_internal.h"

q8_value q8_value_get(const q8_model *m, uint32_t v) {
    const uint8_t *r = m->blob + m->values_offset + (uint64_t)v * Q8_VALUE_RECORD_SIZE;
    q8_value value;
    value.shape.h = (int32_t)q8_u32(r);
    value.shape.w = (int32_t)q8_u32(r + 4);
    value.shape.c = (int32_t)q8_u32(r + 8);
    value.zero_point = q8_i32(r + 12);
    value.arena_offset = q8_u32(r + 24);
    return value;
}

const int8_t *q8_value_data(const q8_model *m, const q8_buffers *b, uint32_t v) {
    return v == 0u ? b->input : (const int8_t *)(b->arena + q8_value_get(m, v).arena_offset);
}

int8_t *q8_output_data(const q8_model *m, const q8_buffers *b, const q8_op *op) {
    return (int8_t *)(b->arena + q8_value_get(m, op->index + 1u).arena_offset);
}

/* Parameter words of each op type (index = type code). */
static const uint32_t param_words[Q8_OP_TYPE_COUNT] = {0, 19, 12, 7, 6, 0, 6, 0, 2, 1, 10, 10, 6, 1, 8};

q8_status q8_op_read(const q8_model *m, uint32_t pos, uint32_t index, q8_op *op) {
    const uint8_t *r;
    uint32_t type, record_size, input_count, space, k;
    uint64_t expected;
    if (pos > m->ops_size || m->ops_size - pos < Q8_OP_HEADER_SIZE) return Q8_ERR_BAD_OP;
    r = m->blob + m->ops_offset + pos;
    space = m->ops_size - pos;
    type = q8_u32(r);
    if (type < Q8_OP_CONV || type >= Q8_OP_TYPE_COUNT) return Q8_ERR_BAD_OP;
    if (type == 5u) return Q8_ERR_BAD_OP; /* HARD_SIGMOID of versions 1–2 */
    record_size = q8_u32(r + 4);
    input_count = q8_u32(r + 12);
    if (input_count > (space - Q8_OP_HEADER_SIZE) / 4u) return Q8_ERR_BAD_OP;
    expected = Q8_OP_HEADER_SIZE + 4u * ((uint64_t)input_count + param_words[type]);
    if ((uint64_t)record_size != expected || record_size > space) return Q8_ERR_BAD_OP;
    if ((uint64_t)q8_u32(r + 8) != (uint64_t)index + 1u) return Q8_ERR_BAD_OP;
    if (type == Q8_OP_ADD || type == Q8_OP_MUL) {
        if (input_count != 2u) return Q8_ERR_BAD_OP;
    } else if (type != Q8_OP_CONCAT) {
        if (input_count != 1u) return Q8_ERR_BAD_OP;
    }
    if (input_count < 1u) return Q8_ERR_BAD_OP;
    for (k = 0; k < input_count; ++k) {
        if (q8_u32(r + Q8_OP_HEADER_SIZE + 4u * k) > index) return Q8_ERR_BAD_OP;
    }
    op->index = index;
    op->type = type;
    op->record_size = record_size;
    op->input_count = input_count;
    op->inputs = r + Q8_OP_HEADER_SIZE;
    op->params = r + Q8_OP_HEADER_SIZE + 4u * input_count;
    return Q8_OK;
}

const uint8_t *q8_tensor_data(const q8_model *m, uint32_t t) {
    if (t >= m->tensor_count) return 0;
    return m->blob + q8_u32(m->blob + m->tensors_offset + (uint64_t)t * Q8_TENSOR_ENTRY_SIZE);
}

uint32_t q8_tensor_kind(const q8_model *m, uint32_t t) {
    if (t >= m->tensor_count) return 0u;
    return q8_u32(m->blob + m->tensors_offset + (uint64_t)t * Q8_TENSOR_ENTRY_SIZE + 8u);
}

q8_status q8_tensor_check(const q8_model *m, uint32_t t, uint32_t kind, uint64_t count, uint32_t *next) {
    const uint8_t *e;
    const int bytes = kind == Q8_TENSOR_WEIGHTS || kind == Q8_TENSOR_PAD_VALUES || kind == Q8_TENSOR_TABLE || kind == Q8_TENSOR_SHIFT;
    const uint64_t size = kind == Q8_TENSOR_WEIGHTS_INT4 ? (count + 1u) / 2u : bytes ? count : 4u * count;
    if (t != *next || t >= m->tensor_count) return Q8_ERR_TENSOR;
    e = m->blob + m->tensors_offset + (uint64_t)t * Q8_TENSOR_ENTRY_SIZE;
    if (q8_u32(e + 8) != kind) return Q8_ERR_TENSOR;
    if ((uint64_t)q8_u32(e + 4) != size) return Q8_ERR_TENSOR;
    *next = t + 1u;
    return Q8_OK;
}

/* The window rule along one dimension. */
static int window_fits(int32_t input, int32_t output, int32_t stride, int32_t pad) {
    return output >= 1 && (int64_t)(output - 1) * stride - pad < input;
}

/* Kernel, stride and padding ranges along one dimension. */
static int window_params_ok(int32_t kernel, int32_t stride, int32_t pad) {
    return kernel >= 1 && kernel <= Q8_LIMIT_WINDOW && stride >= 1 && stride <= Q8_LIMIT_WINDOW && pad >= 0 && pad < kernel;
}

q8_status q8_window_check(int32_t kernel_h, int32_t kernel_w, int32_t stride_h, int32_t stride_w,
                          int32_t pad_top, int32_t pad_left, q8_shape in, q8_shape out) {
    if (!window_params_ok(kernel_h, stride_h, pad_top) || !window_params_ok(kernel_w, stride_w, pad_left)) {
        return Q8_ERR_PARAM;
    }
    if (!window_fits(in.h, out.h, stride_h, pad_top) || !window_fits(in.w, out.w, stride_w, pad_left)) {
        return Q8_ERR_SHAPE;
    }
    return Q8_OK;
}

q8_requant q8_requant_get(const q8_op *op, uint32_t k) {
    q8_requant r;
    r.input_zp = q8_op_param(op, k);
    r.multiplier = q8_op_param(op, k + 1u);
    r.shift = q8_op_param(op, k + 2u);
    r.output_zp = q8_op_param(op, k + 3u);
    r.act_min = q8_op_param(op, k + 4u);
    r.act_max = q8_op_param(op, k + 5u);
    return r;
}

q8_status q8_requant_check(const q8_requant *r, const q8_value *in, const q8_value *out) {
    if (r->input_zp != in->zero_point || r->output_zp != out->zero_point) return Q8_ERR_PARAM;
    if (!q8_multiplier_ok(r->multiplier, r->shift)) return Q8_ERR_PARAM;
    if (!q8_clamp_ok(r->act_min, r->act_max)) return Q8_ERR_PARAM;
    return Q8_OK;
}

size_t q8_arena_size(const q8_model *model) {
    return model == 0 ? 0u : (size_t)model->arena_bytes + model->scratch_bytes;
}

size_t q8_input_size(const q8_model *model) { return model == 0 ? 0u : model->input_size; }

size_t q8_num_classes(const q8_model *model) { return model == 0 ? 0u : model->num_classes; }

int32_t q8_input_zero_point(const q8_model *model) {
    return model == 0 || model->blob == 0 ? 0 : q8_i32(model->blob + 52);
}

const uint8_t *q8_model_name(const q8_model *model, uint32_t *length) {
    if (model == 0 || model->blob == 0) {
        if (length != 0) *length = 0;
        return 0;
    }
    if (length != 0) *length = q8_u32(model->blob + model->strings_offset);
    return model->blob + model->strings_offset + 4;
}

int q8_conv_in_place(const q8_model *m, const q8_op *op, const q8_conv_params *p) {
    const uint32_t u = q8_op_input(op, 0);
    return u != 0u && p->groups == p->in.c && p->groups == p->out.c &&
           q8_value_get(m, u).arena_offset == q8_value_get(m, op->index + 1u).arena_offset;
}
