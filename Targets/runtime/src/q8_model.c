/*
 * q8_model_init: validates a blob completely (Docs/BLOB_FORMAT.md, "Validation") before anything
 * runs it, in the documented order: header, CRC, regions, tensor table, strings, values, ops,
 * stage table, memory plan. All offset arithmetic is done in 64 bits, so no field value can overflow it. The
 * blob's tables are read through q8_blob.c and each op is checked through the op table
 * (q8_op_table.c); the limits are q8_format.h's. Also q8_status_name.
 */
#include "q8_internal.h"

static q8_status check_header(q8_model *m, const uint8_t *b, size_t size) {
    uint32_t op_count;
    uint32_t k;
    if (size < 8u) return Q8_ERR_TRUNCATED;
    if (b[0] != 'Q' || b[1] != '8' || b[2] != 'M' || b[3] != 'B') return Q8_ERR_MAGIC;
    m->version = q8_u32(b + 4);
    if (m->version < Q8_BLOB_VERSION_MIN || m->version > Q8_BLOB_VERSION) return Q8_ERR_VERSION;
    if (size < Q8_HEADER_SIZE) return Q8_ERR_TRUNCATED;
    if (q8_u32(b + 8) != Q8_HEADER_SIZE) return Q8_ERR_HEADER;
    m->total_size = q8_u32(b + 12);
    if (m->total_size > Q8_LIMIT_SIZE || m->total_size % Q8_ALIGNMENT != 0u || m->total_size < Q8_HEADER_SIZE) {
        return Q8_ERR_HEADER;
    }
    if (size < m->total_size) return Q8_ERR_TRUNCATED;
    for (k = 120; k < Q8_HEADER_SIZE; ++k) {
        if (b[k] != 0u) return Q8_ERR_HEADER;
    }
    op_count = q8_u32(b + 20);
    if (op_count < 1u) return Q8_ERR_HEADER;
    if ((uint64_t)q8_u32(b + 24) != (uint64_t)op_count + 1u) return Q8_ERR_HEADER;
    if (q8_u32(b + 40) != 0u) return Q8_ERR_HEADER;
    if (q8_u32(b + 44) != op_count) return Q8_ERR_HEADER;
    if (q8_crc32(b + 20, m->total_size - 20u) != q8_u32(b + 16)) return Q8_ERR_CRC;

    m->op_count = op_count;
    m->tensor_count = q8_u32(b + 28);
    m->arena_bytes = q8_u32(b + 32);
    m->scratch_bytes = q8_u32(b + 36);
    m->num_classes = q8_u32(b + 48);
    m->metadata_count = q8_u32(b + 60);
    m->values_offset = q8_u32(b + 80);
    m->ops_offset = q8_u32(b + 84);
    m->ops_size = q8_u32(b + 88);
    m->tensors_offset = q8_u32(b + 92);
    m->strings_offset = q8_u32(b + 96);
    m->strings_size = q8_u32(b + 100);
    m->data_offset = q8_u32(b + 104);
    m->data_size = q8_u32(b + 108);
    m->stages_offset = q8_u32(b + 112);
    m->stage_count = q8_u32(b + 116);
    return Q8_OK;
}

/* Each region ends inside the blob, is 16-aligned and starts after the previous one. */
static q8_status check_regions(const q8_model *m) {
    const uint64_t offsets[5] = {m->values_offset, m->ops_offset, m->tensors_offset, m->strings_offset, m->data_offset};
    const uint64_t sizes[5] = {((uint64_t)m->op_count + 1u) * Q8_VALUE_RECORD_SIZE, m->ops_size,
                               (uint64_t)m->tensor_count * Q8_TENSOR_ENTRY_SIZE, m->strings_size, m->data_size};
    uint64_t end = Q8_HEADER_SIZE;
    int k;
    for (k = 0; k < 5; ++k) {
        if (offsets[k] + sizes[k] > m->total_size) return Q8_ERR_BOUNDS;
        if (offsets[k] % Q8_ALIGNMENT != 0u) return Q8_ERR_ALIGN;
        if (offsets[k] < end) return Q8_ERR_BOUNDS;
        end = offsets[k] + sizes[k];
    }
    if (m->stage_count == 0u ? m->stages_offset != 0u
                             : (uint64_t)m->stages_offset + (uint64_t)m->stage_count * Q8_STAGE_ENTRY_SIZE > m->total_size ||
                                   m->stages_offset < end) {
        return Q8_ERR_BOUNDS;
    }
    if (m->stages_offset % Q8_ALIGNMENT != 0u) return Q8_ERR_ALIGN;
    if ((uint64_t)m->arena_bytes + m->scratch_bytes > Q8_LIMIT_SIZE) return Q8_ERR_BOUNDS;
    if (m->arena_bytes % Q8_ALIGNMENT != 0u) return Q8_ERR_ALIGN;
    return Q8_OK;
}

/* Whether entry t repeats an earlier entry exactly: same offset, size and kind (shared data). */
static int repeats_earlier(const q8_model *m, uint32_t t) {
    const uint8_t *e = m->blob + m->tensors_offset + (uint64_t)t * Q8_TENSOR_ENTRY_SIZE;
    uint32_t k;
    for (k = 0; k < t; ++k) {
        const uint8_t *p = m->blob + m->tensors_offset + (uint64_t)k * Q8_TENSOR_ENTRY_SIZE;
        if (q8_u32(p) == q8_u32(e) && q8_u32(p + 4) == q8_u32(e + 4) && q8_u32(p + 8) == q8_u32(e + 8)) return 1;
    }
    return 0;
}

/* Every tensor inside the data region, aligned, in order (or an exact repeat of an earlier entry,
 * whose data it shares), of a known kind and whole elements. */
static q8_status check_tensor_table(const q8_model *m) {
    const uint64_t data_end = (uint64_t)m->data_offset + m->data_size;
    uint64_t end = m->data_offset;
    uint32_t t;
    for (t = 0; t < m->tensor_count; ++t) {
        const uint8_t *e = m->blob + m->tensors_offset + (uint64_t)t * Q8_TENSOR_ENTRY_SIZE;
        const uint64_t offset = q8_u32(e), size = q8_u32(e + 4);
        const uint32_t kind = q8_u32(e + 8);
        if (offset < m->data_offset || offset + size > data_end) return Q8_ERR_BOUNDS;
        if (offset % Q8_ALIGNMENT != 0u) return Q8_ERR_ALIGN;
        if (offset < end) {
            if (!repeats_earlier(m, t)) return Q8_ERR_BOUNDS;
        } else {
            end = offset + size;
        }
        if (kind < Q8_TENSOR_WEIGHTS || kind > Q8_TENSOR_WEIGHTS_INT4) return Q8_ERR_TENSOR;
        if (q8_u32(e + 12) != 0u) return Q8_ERR_TENSOR;
        if ((kind == Q8_TENSOR_BIAS || kind == Q8_TENSOR_MULTIPLIER || kind == Q8_TENSOR_WEIGHT_SCALES) &&
            size % 4u != 0u) {
            return Q8_ERR_TENSOR;
        }
    }
    return Q8_OK;
}

/* Whether s[0..n) is well-formed UTF-8 (Unicode table 3-7: no overlongs, surrogates or > U+10FFFF). */
static int utf8_valid(const uint8_t *s, uint32_t n) {
    uint32_t i = 0;
    while (i < n) {
        const uint8_t c = s[i];
        uint32_t extra;
        uint8_t lo = 0x80u, hi = 0xBFu;
        if (c < 0x80u) { i += 1u; continue; }
        if (c >= 0xC2u && c <= 0xDFu) extra = 1u;
        else if (c >= 0xE0u && c <= 0xEFu) {
            extra = 2u;
            if (c == 0xE0u) lo = 0xA0u;
            if (c == 0xEDu) hi = 0x9Fu;
        } else if (c >= 0xF0u && c <= 0xF4u) {
            extra = 3u;
            if (c == 0xF0u) lo = 0x90u;
            if (c == 0xF4u) hi = 0x8Fu;
        } else return 0;
        if (n - i - 1u < extra) return 0;
        if (s[i + 1u] < lo || s[i + 1u] > hi) return 0;
        if (extra >= 2u && (s[i + 2u] < 0x80u || s[i + 2u] > 0xBFu)) return 0;
        if (extra == 3u && (s[i + 3u] < 0x80u || s[i + 3u] > 0xBFu)) return 0;
        i += 1u + extra;
    }
    return 1;
}

/* Whether a[0..na) comes strictly before b[0..nb) in byte order. */
static int bytes_precede(const uint8_t *a, uint32_t na, const uint8_t *b, uint32_t nb) {
    uint32_t i;
    for (i = 0; i < na && i < nb; ++i) {
        if (a[i] != b[i]) return a[i] < b[i];
    }
    return na < nb;
}

/* Name, node names and metadata pairs: lengths inside the section, UTF-8, keys increasing. */
static q8_status check_strings(const q8_model *m) {
    const uint8_t *s = m->blob + m->strings_offset;
    const uint64_t count = 1u + (uint64_t)m->op_count + 2u * (uint64_t)m->metadata_count;
    const uint32_t end = m->strings_size;
    const uint8_t *previous_key = 0;
    uint32_t previous_length = 0;
    uint32_t at = 0;
    uint64_t k;
    for (k = 0; k < count; ++k) {
        uint32_t length;
        if (end - at < 4u) return Q8_ERR_STRINGS;
        length = q8_u32(s + at);
        if (length > end - at - 4u) return Q8_ERR_STRINGS;
        if (!utf8_valid(s + at + 4u, length)) return Q8_ERR_STRINGS;
        if (k > m->op_count && (k - m->op_count) % 2u == 1u) {
            if (previous_key != 0 && !bytes_precede(previous_key, previous_length, s + at + 4u, length)) {
                return Q8_ERR_STRINGS;
            }
            previous_key = s + at + 4u;
            previous_length = length;
        }
        at += 4u + length;
    }
    return at == end ? Q8_OK : Q8_ERR_STRINGS;
}

/* Whether 8 bytes at a and b are equal (the scale copies in the header). */
static int same8(const uint8_t *a, const uint8_t *b) {
    int k;
    for (k = 0; k < 8; ++k) {
        if (a[k] != b[k]) return 0;
    }
    return 1;
}

/* Whether value v is produced inside a stage of the (not yet checked) stage table and is not its
 * output: its buffer holds one band, checked against the arena by check_plan. */
static int inside_stage(const q8_model *m, uint32_t v) {
    uint32_t k;
    for (k = 0; k < m->stage_count; ++k) {
        const q8_stage s = q8_stage_get(m, k);
        if (q8_stage_internal(s, v)) return 1;
    }
    return 0;
}

/* Dimensions, zero points, arena placement of every value; the header's copies. */
static q8_status check_values(const q8_model *m) {
    uint32_t v;
    const uint8_t *first = m->blob + m->values_offset;
    const uint8_t *last = first + (uint64_t)m->op_count * Q8_VALUE_RECORD_SIZE;
    for (v = 0; v <= m->op_count; ++v) {
        const uint8_t *r = first + (uint64_t)v * Q8_VALUE_RECORD_SIZE;
        const uint32_t h = q8_u32(r), w = q8_u32(r + 4), c = q8_u32(r + 8);
        const uint64_t count = (uint64_t)h * w * c;
        const uint32_t offset = q8_u32(r + 24);
        if (h < 1u || h > Q8_LIMIT_DIMENSION || w < 1u || w > Q8_LIMIT_DIMENSION || c < 1u || c > Q8_LIMIT_DIMENSION ||
            count > Q8_LIMIT_SIZE) {
            return Q8_ERR_SHAPE;
        }
        if (!q8_is_s8(q8_i32(r + 12))) return Q8_ERR_PARAM;
        if (q8_u32(r + 28) != 0u) return Q8_ERR_HEADER;
        if (v == 0u && offset != 0u) return Q8_ERR_BOUNDS;
        if (offset % Q8_ALIGNMENT != 0u) return Q8_ERR_ALIGN;
        if (v > 0u && (uint64_t)offset + count > m->arena_bytes && !inside_stage(m, v)) return Q8_ERR_BOUNDS;
    }
    if (q8_i32(m->blob + 52) != q8_i32(first + 12) || !same8(m->blob + 64, first + 16)) return Q8_ERR_HEADER;
    if (q8_i32(m->blob + 56) != q8_i32(last + 12) || !same8(m->blob + 72, last + 16)) return Q8_ERR_HEADER;
    return Q8_OK;
}

/* Every op record: structure, then the op's own checks (its op table entry); then every tensor
 * used. Also adds up the scratch rule's figure, m->scratch_need. */
static q8_status check_ops(q8_model *m) {
    uint32_t pos = 0, next_tensor = 0, i;
    const q8_value output = q8_value_get(m, m->op_count);
    if ((uint64_t)m->num_classes != (uint64_t)q8_shape_count(output.shape)) return Q8_ERR_SHAPE;
    for (i = 0; i < m->op_count; ++i) {
        q8_op op;
        q8_params p;
        uint32_t scratch;
        q8_status s = q8_op_read(m, pos, i, &op);
        if (s != Q8_OK) return s;
        q8_op_type_of(op.type)->get(m, &op, &p);
        s = q8_op_type_of(op.type)->check(m, &op, &p, &next_tensor);
        if (s != Q8_OK) return s;
        scratch = q8_op_type_of(op.type)->scratch(&p);
        if (scratch > m->scratch_need) m->scratch_need = scratch;
        pos += op.record_size;
    }
    /* The rule's figure for the whole model; the blob may give less (kernels then run without it). */
    m->scratch_need = (m->scratch_need + Q8_ALIGNMENT - 1u) & ~(Q8_ALIGNMENT - 1u);
    if (pos != m->ops_size) return Q8_ERR_BAD_OP;
    if (next_tensor != m->tensor_count) return Q8_ERR_TENSOR;
    return Q8_OK;
}

/* Byte position of op i's record (the records were checked). */
static uint32_t op_position(const q8_model *m, uint32_t i) {
    uint32_t pos = 0, k;
    for (k = 0; k < i; ++k) pos += q8_u32(m->blob + m->ops_offset + pos + 4u);
    return pos;
}

/* Whether op reads value v. */
static int op_reads(const q8_op *op, uint32_t v) {
    uint32_t k;
    for (k = 0; k < op->input_count; ++k) {
        if (q8_op_input(op, k) == v) return 1;
    }
    return 0;
}

/* Lifetime of value a under the schedule: produced by op a − 1 (a stage's output: from the
 * stage's first op), read last by *plain_last; *last extends that to the end of every stage that
 * reads a from before it (each band reads it again). One pass over the ops. */
static q8_status lifetime(const q8_model *m, uint32_t a, uint32_t *start, uint32_t *last, uint32_t *plain_last) {
    uint32_t pos = 0, i, k;
    *start = a == 0u ? 0u : a - 1u;
    *last = *plain_last = *start;
    for (i = 0; i < m->op_count; ++i) {
        q8_op op;
        if (q8_op_read(m, pos, i, &op) != Q8_OK) return Q8_ERR_BAD_OP;
        if (op_reads(&op, a)) *plain_last = *last = i;
        pos += op.record_size;
    }
    for (k = 0; k < m->stage_count; ++k) {
        const q8_stage s = q8_stage_get(m, k);
        if (a == s.last + 1u) *start = s.first;
        if (a <= s.first) {
            pos = 0;
            for (i = 0; i <= s.last; ++i) {
                q8_op op;
                if (q8_op_read(m, pos, i, &op) != Q8_OK) return Q8_ERR_BAD_OP;
                if (i >= s.first && op_reads(&op, a) && s.last > *last) *last = s.last;
                pos += op.record_size;
            }
        }
    }
    return Q8_OK;
}

/* Whether values a and b share an in-place depthwise op's buffer legitimately: op b − 1
 * is a depthwise CONV reading a ≥ 1 that no later op reads, both in the same stage (or in none),
 * the op not its stage's last; the output at the input's offset. */
static int in_place_pair(const q8_model *m, uint32_t a, uint32_t b, uint32_t a_plain_last) {
    uint32_t sa, sb;
    q8_op op;
    q8_params p;
    if (a == 0u || a_plain_last != b - 1u) return 0;
    if (q8_op_read(m, op_position(m, b - 1u), b - 1u, &op) != Q8_OK || q8_op_input(&op, 0) != a) return 0;
    if (op.type == Q8_OP_UNIFORM_1X1) {
        /* A 1×1 depthwise conv whose channels are alike: element-wise, each byte read before it is written. */
        if (q8_value_get(m, a).arena_offset != q8_value_get(m, b).arena_offset) return 0;
    } else {
        if (op.type != Q8_OP_CONV) return 0;
        q8_op_type_of(op.type)->get(m, &op, &p);
        if (!q8_conv_in_place(m, &op, &p.conv)) return 0;
    }
    sa = q8_stage_of_op(m, a - 1u);
    sb = q8_stage_of_op(m, b - 1u);
    return sa == sb && (sb == m->stage_count || q8_stage_get(m, sb).last != b - 1u);
}

/*
 * No two values alive at the same op share arena bytes, except an in-place depthwise op's input
 * and output; every buffer (a band for values inside a stage) fits the arena; an in-place op's
 * channel plane fits the kernel scratch (and counts in the scratch rule's figure). A later value
 * b collides with a when b's lifetime starts by the end of a's.
 */
static q8_status check_plan(q8_model *m) {
    uint32_t a, b;
    for (a = 1; a <= m->op_count; ++a) {
        const q8_value va = q8_value_get(m, a);
        const uint64_t a_end = (uint64_t)va.arena_offset + q8_value_bytes(m, a);
        uint32_t start, last, plain_last;
        if (a_end > m->arena_bytes) return Q8_ERR_BOUNDS;
        if (lifetime(m, a, &start, &last, &plain_last) != Q8_OK) return Q8_ERR_BAD_OP;
        for (b = a + 1u; b <= m->op_count; ++b) {
            const q8_value vb = q8_value_get(m, b);
            uint32_t b_start = b - 1u, k;
            for (k = 0; k < m->stage_count; ++k) {
                if (b == q8_stage_get(m, k).last + 1u) b_start = q8_stage_get(m, k).first;
            }
            if (b_start > last) continue;
            if (va.arena_offset < (uint64_t)vb.arena_offset + q8_value_bytes(m, b) && vb.arena_offset < a_end) {
                if (!in_place_pair(m, a, b, plain_last)) return Q8_ERR_PLAN;
                if ((uint32_t)(va.shape.h * va.shape.w) > m->scratch_bytes) return Q8_ERR_PLAN;
                if ((uint32_t)(va.shape.h * va.shape.w) > m->scratch_need) {
                    m->scratch_need = ((uint32_t)(va.shape.h * va.shape.w) + Q8_ALIGNMENT - 1u) & ~(Q8_ALIGNMENT - 1u);
                }
            }
        }
    }
    return Q8_OK;
}

q8_status q8_model_init(q8_model *model, const uint8_t *blob, size_t size) {
    q8_model m = {0};
    q8_status s;
    if (model == 0 || blob == 0) {
        if (model != 0) *model = m;
        return Q8_ERR_NULL;
    }
    m.blob = blob;
    s = check_header(&m, blob, size);
    if (s == Q8_OK) s = check_regions(&m);
    if (s == Q8_OK) s = check_tensor_table(&m);
    if (s == Q8_OK) s = check_strings(&m);
    if (s == Q8_OK) s = check_values(&m);
    if (s == Q8_OK) s = check_ops(&m);
    if (s == Q8_OK) s = q8_stages_check(&m);
    if (s == Q8_OK) s = check_plan(&m);
    if (s != Q8_OK) {
        q8_model zero = {0};
        *model = zero;
        return s;
    }
    m.input_size = (uint32_t)q8_shape_count(q8_value_get(&m, 0).shape);
    *model = m;
    return Q8_OK;
}

const char *q8_status_name(q8_status status) {
    switch (status) {
    case Q8_OK: return "Q8_OK";
    case Q8_ERR_NULL: return "Q8_ERR_NULL";
    case Q8_ERR_TRUNCATED: return "Q8_ERR_TRUNCATED";
    case Q8_ERR_MAGIC: return "Q8_ERR_MAGIC";
    case Q8_ERR_VERSION: return "Q8_ERR_VERSION";
    case Q8_ERR_HEADER: return "Q8_ERR_HEADER";
    case Q8_ERR_CRC: return "Q8_ERR_CRC";
    case Q8_ERR_BOUNDS: return "Q8_ERR_BOUNDS";
    case Q8_ERR_ALIGN: return "Q8_ERR_ALIGN";
    case Q8_ERR_STRINGS: return "Q8_ERR_STRINGS";
    case Q8_ERR_BAD_OP: return "Q8_ERR_BAD_OP";
    case Q8_ERR_TENSOR: return "Q8_ERR_TENSOR";
    case Q8_ERR_SHAPE: return "Q8_ERR_SHAPE";
    case Q8_ERR_PARAM: return "Q8_ERR_PARAM";
    case Q8_ERR_PLAN: return "Q8_ERR_PLAN";
    case Q8_ERR_ARENA_TOO_SMALL: return "Q8_ERR_ARENA_TOO_SMALL";
    case Q8_ERR_NOT_PIXELS: return "Q8_ERR_NOT_PIXELS";
    }
    return "Q8_ERR_UNKNOWN";
}
