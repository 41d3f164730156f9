/*
 * Internal declarations of the q8 runtime, in layers; each file uses only the layers below its own,
 * so no file calls back into one that calls it:
 *   0. this header's inline pieces: little-endian readers and THE requantization;
 *      q8_format.h: the format's numbers and limits;
 *   1. q8_blob.c: reading the blob — values, op records, tensors — and the checks ops share;
 *   2. q8_<op>_s8.c, one per op: its parameter struct, *_get, *_check and kernel;
 *   3. q8_dispatch.c (or a port's replacement): which kernel runs an op;
 *   4. q8_op_table.c: one {get, check, run} entry per op type;
 *   5. q8_model.c (q8_model_init) and q8_run.c (q8_run), which go through the table.
 */
#ifndef Q8_INTERNAL_H
#define Q8_INTERNAL_H

#include "q8.h"
#include "q8_format.h"

/* ---- Little-endian readers (no alignment or aliasing assumptions) ---- */

/** The u32 stored little-endian at p. */
static inline uint32_t q8_u32(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/** The int32 whose two's complement bit pattern is u (no implementation-defined conversion). */
static inline int32_t q8_from_bits(uint32_t u) {
    return u <= 0x7FFFFFFFu ? (int32_t)u : -(int32_t)(~u) - 1;
}

/** The i32 stored little-endian at p. */
static inline int32_t q8_i32(const uint8_t *p) {
    return q8_from_bits(q8_u32(p));
}

/** Arithmetic shift right (floor division by 2^n, n in 0…31) without implementation-defined behaviour. */
static inline int32_t q8_asr(int32_t x, int n) {
    return x >= 0 ? (x >> n) : ~((~x) >> n);
}

/** a + b wrapping modulo 2^32 (Swift's &+), without signed overflow. */
static inline int32_t q8_add_wrap(int32_t a, int32_t b) {
    return q8_from_bits((uint32_t)a + (uint32_t)b);
}

/**
 * THE requantization, q8_requantize of q8.h (contract there and in Docs/ARITHMETIC.md), inline
 * so that kernels requantize without a call: inside the runtime the name q8_requantize expands to
 * this function (q8_requantize.c defines the out-of-line q8_requantize for q8.h's users).
 *
 * Common case, shift = −e with e ≥ 2 (every convolution of the models so far): the two roundings
 * fold into one. With p = acc·multiplier, step 2 gives h = floor((p + 2^30) / 2^31) and step 3
 * rounds h / 2^e half away from zero, i.e. floor((h − [h < 0] + 2^(e−1)) / 2^e); nesting the floors,
 * that is floor((p + 2^30 − [h < 0]·2^31 + 2^(30+e)) / 2^(31+e)). [h < 0] may be replaced by
 * "acc and multiplier have opposite signs": the two differ only for −2^30 ≤ p ≤ 0, where both give
 * 0. And the saturating case acc = multiplier = INT32_MIN gives 2^(31−e) as required. So the result
 * is one multiply-accumulate of p onto a 64-bit constant whose words need no carry (high word
 * 2^(e−2) − s, low word 2^30 + s·2^31 for s = 0 or 1), then a shift of the high word by e − 1:
 * about 6 Cortex-M4 instructions (EOR, AND, ORR, ADD, SMLAL, ASR).
 * Otherwise (shift ≥ −1, models use −31…31 but every int32 shift is defined) the three steps are
 * done as written, with floor((x·M + 2^30) / 2^31) taken as the low word of a 64-bit shift.
 */
static inline int32_t q8_requantize_inline(int32_t acc, int32_t multiplier, int32_t shift) {
    int32_t x = acc;
    uint32_t high;
    if (shift < -1) {
        const int e = shift < -31 ? 31 : (int)-shift;
        const uint32_t negative = (uint32_t)q8_asr(acc ^ multiplier, 31); /* s = 1: all ones */
        /* high word 2^(e−2) − s, as 2^30 >> (32 − e); low word 2^30 + s·2^31 */
        const uint64_t rounding =
            ((uint64_t)((0x40000000u >> (32 - e)) + negative) << 32) | (0x40000000u | (negative << 31));
        const uint64_t sum = rounding + (uint64_t)((int64_t)acc * multiplier);
        return q8_asr(q8_from_bits((uint32_t)(sum >> 32)), e - 1);
    }
    if (shift > 0) {
        /* Saturating acc · 2^s: it fits exactly when −2^(31−s) ≤ acc ≤ 2^(31−s) − 1. */
        const int s = shift > 31 ? 31 : (int)shift;
        const int32_t limit = INT32_MAX >> s;
        x = acc > limit ? INT32_MAX : acc < -limit - 1 ? INT32_MIN : q8_from_bits((uint32_t)acc << s);
    }
    /* h = floor((x·M + 2^30) / 2^31) fits int32 except for x = M = INT32_MIN, whose bits read INT32_MIN. */
    high = (uint32_t)(((uint64_t)((int64_t)x * multiplier) + 0x40000000u) >> 31);
    if (shift == -1) {
        /* t = h − [h < 0], wrapping: the saturated INT32_MIN becomes INT32_MAX, its true value;
         * then round(h / 2) half away from zero = floor((t + 1) / 2) = t − floor(t / 2). */
        const int32_t t = q8_from_bits(high - (high >> 31));
        return t - q8_asr(t, 1);
    }
    return high == 0x80000000u ? INT32_MAX : q8_from_bits(high);
}

#define q8_requantize(acc, multiplier, shift) q8_requantize_inline(acc, multiplier, shift)

/**
 * Requantizes acc, adds the zero point and clamps to [lo, hi] (zero point and bounds in int8
 * range), exactly: computed as clamp(v, lo − zp, hi − zp) + zp, which equals clamp(v + zp, lo, hi)
 * without the overflow of v + zp when v is near the int32 limits (twin of Swift's requantizeToInt8).
 */
static inline int8_t q8_requantize_to_s8(int32_t acc, int32_t multiplier, int32_t shift, int32_t zero_point,
                                         int32_t lo, int32_t hi) {
    int32_t v = q8_requantize(acc, multiplier, shift);
    if (v < lo - zero_point) v = lo - zero_point;
    if (v > hi - zero_point) v = hi - zero_point;
    return (int8_t)(v + zero_point);
}

/* ==== Layer 1 — reading the blob (q8_blob.c). Depends on nothing but this header; every other
 * file of the runtime reads the blob through it. ==== */

/** Height, width, channels of an activation (HWC, int8). */
typedef struct q8_shape {
    int32_t h, w, c;
} q8_shape;

/** One value table record. */
typedef struct q8_value {
    q8_shape shape;
    int32_t zero_point;
    uint32_t arena_offset;
} q8_value;

/** The common header of an op record, with pointers to its input ids and parameter words. */
typedef struct q8_op {
    uint32_t index;        /**< position in the op list; the op writes value index + 1 */
    uint32_t type;         /**< Q8_OP_* */
    uint32_t record_size;  /**< bytes of the whole record */
    uint32_t input_count;
    const uint8_t *inputs; /**< input_count little-endian u32 value ids */
    const uint8_t *params; /**< the parameter words */
} q8_op;

/** Reads value v (v ≤ op_count) from the value table. */
q8_value q8_value_get(const q8_model *m, uint32_t v);

/** Value id of input k of op. */
static inline uint32_t q8_op_input(const q8_op *op, uint32_t k) { return q8_u32(op->inputs + 4u * k); }

/** Parameter word k of op. */
static inline int32_t q8_op_param(const q8_op *op, uint32_t k) { return q8_i32(op->params + 4u * k); }

/** The value table record of input k of op. */
static inline q8_value q8_op_in(const q8_model *m, const q8_op *op, uint32_t k) { return q8_value_get(m, q8_op_input(op, k)); }

/** The value table record of op's output. */
static inline q8_value q8_op_out(const q8_model *m, const q8_op *op) { return q8_value_get(m, op->index + 1u); }

/**
 * Reads the record at byte offset pos of the op records as op number index and checks its
 * structure: known type, exact record size inside the op records, output value index + 1, the
 * type's input count, inputs computed before the op. Returns Q8_OK or Q8_ERR_BAD_OP.
 */
q8_status q8_op_read(const q8_model *m, uint32_t pos, uint32_t index, q8_op *op);

/** Data of tensor t, or NULL if t is not a table index (data offsets were validated at load). */
const uint8_t *q8_tensor_data(const q8_model *m, uint32_t t);

/** Kind of tensor t (Q8_TENSOR_*), or 0 if t is not a table index. */
uint32_t q8_tensor_kind(const q8_model *m, uint32_t t);

/**
 * Checks that tensor t is the next one in reference order (*next), has the given kind and
 * holds exactly `count` elements (int4 weights: (count + 1) / 2 bytes); advances *next.
 * Returns Q8_OK or Q8_ERR_TENSOR.
 */
q8_status q8_tensor_check(const q8_model *m, uint32_t t, uint32_t kind, uint64_t count, uint32_t *next);

/** The memory q8_run works on: the caller's input (value 0), the arena, and the kernel scratch. */
typedef struct q8_buffers {
    const int8_t *input;    /**< value 0 */
    uint8_t *arena;         /**< values ≥ 1 at their planned offsets */
    uint8_t *scratch;       /**< arena + arena_bytes: the kernel scratch */
    uint32_t scratch_bytes; /**< the blob's scratch_bytes */
} q8_buffers;

/** Where value v lives: the caller's input for value 0, else its planned arena buffer. */
const int8_t *q8_value_data(const q8_model *m, const q8_buffers *b, uint32_t v);

/** Where op writes its output: value index + 1's arena buffer. */
int8_t *q8_output_data(const q8_model *m, const q8_buffers *b, const q8_op *op);

struct q8_conv_params;
/**
 * Whether CONV op with parameters p runs in place: depthwise, its input an arena value
 * at the output's arena offset. The loader's plan check admits equal offsets only for an op that
 * may (BLOB_FORMAT.md, "In-place depthwise"), so the runtime needs no more than this test.
 */
int q8_conv_in_place(const q8_model *m, const q8_op *op, const struct q8_conv_params *p);

/* ---- Validation helpers shared by the *_check functions (the limits are q8_format.h's) ---- */

/** Whether v is an int8. */
static inline int q8_is_s8(int32_t v) { return v >= -128 && v <= 127; }

/** Whether a multiplier/shift pair is in range: multiplier ≥ 0, shift in −Q8_LIMIT_SHIFT…Q8_LIMIT_SHIFT. */
static inline int q8_multiplier_ok(int32_t multiplier, int32_t shift) {
    return multiplier >= 0 && shift >= -Q8_LIMIT_SHIFT && shift <= Q8_LIMIT_SHIFT;
}

/** Whether [lo, hi] is a valid int8 clamp. */
static inline int q8_clamp_ok(int32_t lo, int32_t hi) { return q8_is_s8(lo) && q8_is_s8(hi) && lo <= hi; }

/** Whether two shapes are equal. */
static inline int q8_shape_eq(q8_shape a, q8_shape b) { return a.h == b.h && a.w == b.w && a.c == b.c; }

/** Element count of a shape (dimensions already validated, so it fits int32). */
static inline int32_t q8_shape_count(q8_shape s) { return s.h * s.w * s.c; }

/**
 * Checks a pooling/convolution window along one dimension: kernel and stride 1…Q8_LIMIT_WINDOW,
 * padding 0…kernel − 1 (else Q8_ERR_PARAM); then the window rule, output ≥ 1 and
 * (output − 1)·stride − pad < input (else Q8_ERR_SHAPE). Parameters first, for both dimensions.
 */
q8_status q8_window_check(int32_t kernel_h, int32_t kernel_w, int32_t stride_h, int32_t stride_w,
                          int32_t pad_top, int32_t pad_left, q8_shape in, q8_shape out);

/** out = clamp(output_zp + requantize(sum of (q − input_zp), multiplier, shift), act_min, act_max). */
typedef struct q8_requant {
    int32_t input_zp, multiplier, shift, output_zp, act_min, act_max;
} q8_requant;

/** Reads the six requantization words starting at parameter word k. */
q8_requant q8_requant_get(const q8_op *op, uint32_t k);

/** Checks zero points against the values read and written, the multiplier and the clamp. */
q8_status q8_requant_check(const q8_requant *r, const q8_value *in, const q8_value *out);

/* ==== Layer 2 — the ops, one file each (q8_<op>_s8.c): the parameter struct, its *_get (decode a
 * record), *_check (validate it; q8_model_init) and the kernel (pure: parameters and buffers in,
 * bytes out). They use layer 1 only. ==== */

/* ---- CONV (q8_conv_s8.c, q8_depthwise_conv_s8.c) ---- */

/** Convolution of every kind; weights OHWI [out_c][kernel_h][kernel_w][in_c / groups]. */
typedef struct q8_conv_params {
    q8_shape in, out;
    int32_t kernel_h, kernel_w, stride_h, stride_w, pad_top, pad_left, groups;
    int32_t input_zp, output_zp, act_min, act_max;
    uint32_t weights_tensor, bias_tensor, multiplier_tensor, shift_tensor, pad_value_tensor, weight_scales_tensor;
    /** 8: weights are int8, one per byte; 4: int4, two per byte (element 2k in the low nibble of
     * byte k, 2k + 1 in the high nibble; rows are not padded, so a row may start mid-byte). */
    int32_t weight_bits;
    const int8_t *weights;                    /**< read element k with q8_conv_weight */
    const uint8_t *bias, *multiplier;         /**< out_c little-endian int32 each */
    const int8_t *shift;                      /**< out_c int8 shifts */
    const int8_t *pad_value;                  /**< in_c values, or NULL: padding is input_zp */
    uint8_t *scratch;                         /**< kernel scratch lent by q8_run (see q8_conv_scratch) */
    uint32_t scratch_bytes;                   /**< its size; a kernel needing more runs another way */
} q8_conv_params;

/** Weight element k of a CONV (OHWI order), int8 or int4 sign-extended. */
static inline int32_t q8_conv_weight(const q8_conv_params *p, int32_t k) {
    if (p->weight_bits == 4) {
        const uint32_t b = (uint8_t)p->weights[k >> 1];
        const uint32_t nibble = (k & 1) ? b >> 4 : b & 0x0Fu;
        return (int32_t)(nibble ^ 8u) - 8;
    }
    return p->weights[k];
}

/** Scratch bytes the rule lends a CONV (q8_format.h, Q8_SCRATCH_*): the Cortex-M4 kernels' buffers. */
uint32_t q8_conv_scratch(const q8_conv_params *p);
/** General convolution, the portable reference for every CONV. */
void q8_conv_s8(const q8_conv_params *p, const int8_t *input, int8_t *output);
/** Depthwise convolution (groups == in_c == out_c); bit-identical to q8_conv_s8. */
void q8_depthwise_conv_s8(const q8_conv_params *p, const int8_t *input, int8_t *output);

/* ---- ADD (q8_add_s8.c) ---- */

typedef struct q8_add_params {
    int32_t count;
    int32_t input1_zp, input2_zp, left_shift;
    int32_t input1_multiplier, input1_shift, input2_multiplier, input2_shift;
    int32_t output_multiplier, output_shift, output_zp, act_min, act_max;
    uint8_t *scratch;       /**< kernel scratch lent by q8_run */
    uint32_t scratch_bytes; /**< its size */
} q8_add_params;

/** Scratch bytes the rule lends an ADD: Q8_SCRATCH_ADD over 256 elements, else 0. */
uint32_t q8_add_scratch(const q8_add_params *p);

void q8_add_s8(const q8_add_params *p, const int8_t *input1, const int8_t *input2, int8_t *output);

/* ---- MUL (q8_mul_s8.c) ---- */

typedef struct q8_mul_params {
    q8_shape shape; /**< of input 0 and the output; the gate is 1×1×c */
    int32_t input_zp, gate_zp, multiplier, shift, output_zp, act_min, act_max;
} q8_mul_params;

void q8_mul_s8(const q8_mul_params *p, const int8_t *input, const int8_t *gate, int8_t *output);

/* ---- HARD_SWISH (q8_hard_swish_s8.c) ---- */

typedef struct q8_hard_swish_params {
    int32_t count;
    int32_t input_zp, output_zp;
    int32_t output_multiplier, output_exponent;   /**< int16 multiplier, exponent −15…0 */
    int32_t reluish_multiplier, reluish_exponent; /**< int16 multiplier, exponent −15…15 */
    uint8_t *scratch;       /**< kernel scratch lent by q8_run */
    uint32_t scratch_bytes; /**< its size */
} q8_hard_swish_params;

/** Scratch bytes the rule lends a HARD_SWISH: Q8_SCRATCH_HARD_SWISH over 256 elements, else 0. */
uint32_t q8_hard_swish_scratch(const q8_hard_swish_params *p);

/** TFLite's int8 HARD_SWISH of one value (int16 fixed point; Docs/ARITHMETIC.md). */
int8_t q8_hard_swish_value(const q8_hard_swish_params *p, int8_t q);

void q8_hard_swish_s8(const q8_hard_swish_params *p, const int8_t *input, int8_t *output);

/* ---- LOOKUP (q8_lookup_s8.c) ---- */

typedef struct q8_lookup_params {
    int32_t count;
    uint32_t table_tensor;
    const int8_t *table; /**< 256 entries: out = table[q + 128] */
} q8_lookup_params;

void q8_lookup_s8(const q8_lookup_params *p, const int8_t *input, int8_t *output);

/* ---- UNIFORM_1X1 (q8_uniform_1x1_s8.c) ---- */

/** A 1×1 depthwise convolution (stride 1, no padding) whose channels all share one weight, bias,
 * multiplier and shift: out = clamp(output_zp + requantize(bias + (q − input_zp)·weight)) per element. */
typedef struct q8_uniform_1x1_params {
    int32_t count;
    int32_t input_zp, weight, bias, multiplier, shift, output_zp, act_min, act_max;
} q8_uniform_1x1_params;

void q8_uniform_1x1_s8(const q8_uniform_1x1_params *p, const int8_t *input, int8_t *output);

/* ---- REQUANTIZE (q8_requantize_s8.c) ---- */

typedef struct q8_requantize_params {
    int32_t count;
    q8_requant requant;
} q8_requantize_params;

void q8_requantize_s8(const q8_requant *r, int32_t count, const int8_t *input, int8_t *output);

/* ---- CONCAT (q8_concat_s8.c) ---- */

typedef struct q8_concat_params {
    q8_shape out; /**< the inputs' channels are read from their value records when the op runs */
} q8_concat_params;

/** Copies one input (pixels × in_c) into channels [channel_offset, channel_offset + in_c) of the output. */
void q8_concat_s8(const int8_t *input, int32_t pixels, int32_t in_c, int8_t *output, int32_t out_c, int32_t channel_offset);

/* ---- SPLIT (q8_split_s8.c) ---- */

typedef struct q8_split_params {
    q8_shape in;
    int32_t start, count;
} q8_split_params;

/** Channels [start, start + count) of a pixels × in_c input. */
void q8_split_s8(const int8_t *input, int32_t pixels, int32_t in_c, int32_t start, int32_t count, int8_t *output);

/* ---- SHUFFLE (q8_shuffle_s8.c) ---- */

typedef struct q8_shuffle_params {
    q8_shape in;
    int32_t groups;
} q8_shuffle_params;

/** Output channel j·groups + i takes input channel i·(c/groups) + j. */
void q8_shuffle_s8(const int8_t *input, int32_t pixels, int32_t c, int32_t groups, int8_t *output);

/* ---- MAX_POOL / AVG_POOL (q8_max_pool_s8.c, q8_avg_pool_s8.c) ---- */

typedef struct q8_pool_params {
    q8_shape in, out;
    int32_t kernel, stride, pad_top, pad_left;
    q8_requant requant; /**< average pooling only */
} q8_pool_params;

void q8_max_pool_s8(const q8_pool_params *p, const int8_t *input, int8_t *output);
void q8_avg_pool_s8(const q8_pool_params *p, const int8_t *input, int8_t *output);

/* ---- GLOBAL_AVG_POOL (q8_global_avg_pool_s8.c) ---- */

typedef struct q8_global_avg_pool_params {
    q8_shape in;
    q8_requant requant;
} q8_global_avg_pool_params;

void q8_global_avg_pool_s8(const q8_requant *r, q8_shape in, const int8_t *input, int8_t *output);

/* ---- The decoded parameters of any op, and each op's *_get / *_check ---- */

/** Parameters of one op: the member of its type (see the op table). */
typedef union q8_params {
    q8_conv_params conv;
    q8_add_params add;
    q8_mul_params mul;
    q8_hard_swish_params hard_swish; /**< HARD_SWISH */
    q8_lookup_params lookup;
    q8_uniform_1x1_params uniform_1x1;
    q8_requantize_params requantize;
    q8_concat_params concat;
    q8_split_params split;
    q8_shuffle_params shuffle;
    q8_pool_params pool;             /**< MAX_POOL and AVG_POOL */
    q8_global_avg_pool_params global_avg_pool;
} q8_params;

/** Decodes op's record (already structurally checked by q8_op_read) into its member of p. */
typedef void q8_get_fn(const q8_model *m, const q8_op *op, q8_params *p);
/**
 * Validates op and its decoded parameters against the value table and the limits; CONV also
 * consumes its tensors from *next_tensor (see q8_tensor_check). Returns Q8_OK or the problem.
 */
typedef q8_status q8_check_fn(const q8_model *m, const q8_op *op, const q8_params *p, uint32_t *next_tensor);

q8_get_fn q8_conv_get, q8_add_get, q8_mul_get, q8_hard_swish_get, q8_lookup_get, q8_requantize_get, q8_concat_get, q8_split_get,
    q8_shuffle_get, q8_pool_get, q8_global_avg_pool_get, q8_uniform_1x1_get;
q8_check_fn q8_conv_check, q8_add_check, q8_mul_check, q8_hard_swish_check, q8_lookup_check, q8_requantize_check, q8_concat_check,
    q8_split_check, q8_shuffle_check, q8_max_pool_check, q8_avg_pool_check, q8_global_avg_pool_check, q8_uniform_1x1_check;

/* ---- Depthwise CONV in place (q8_depthwise_conv_inplace_s8.c) ---- */

/**
 * Depthwise convolution whose output overwrites its input: input and output point into one
 * buffer, a multiple of in_c bytes apart (the same address for a whole value). One channel at a
 * time: its input plane (in.h·in.w bytes) is copied to p->scratch, then its outputs are written,
 * which land only on bytes of that channel. Needs p->scratch_bytes ≥ in.h·in.w (the loader checks
 * it); bit-identical to q8_depthwise_conv_s8.
 */
void q8_depthwise_conv_inplace_s8(const q8_conv_params *p, const int8_t *input, int8_t *output);

/* ==== Layer 3 — dispatch hooks (q8_dispatch.c), called by the op table's run functions ==== */

/*
 * The ops with optimized kernels run through these hooks, so that a port can supply faster
 * kernels: the portable q8_dispatch.c calls the kernels above; a port replaces that one file with
 * its own (e.g. Targets/cortex-m4/kernels/q8_dispatch_m4.c), whose kernels must give the same bytes.
 */

/** Runs a CONV: q8_depthwise_conv_s8 for depthwise convolutions, q8_conv_s8 for the others. */
void q8_conv_dispatch(const q8_conv_params *p, const int8_t *input, int8_t *output);
/** Runs a HARD_SWISH: q8_hard_swish_s8. */
void q8_hard_swish_dispatch(const q8_hard_swish_params *p, const int8_t *input, int8_t *output);
/** Runs a LOOKUP: q8_lookup_s8. */
void q8_lookup_dispatch(const q8_lookup_params *p, const int8_t *input, int8_t *output);
/** Runs an ADD: q8_add_s8. */
void q8_add_dispatch(const q8_add_params *p, const int8_t *input1, const int8_t *input2, int8_t *output);
/** Runs a MUL: q8_mul_s8. */
void q8_mul_dispatch(const q8_mul_params *p, const int8_t *input, const int8_t *gate, int8_t *output);
/** Runs a GLOBAL_AVG_POOL: q8_global_avg_pool_s8. */
void q8_global_avg_pool_dispatch(const q8_requant *r, q8_shape in, const int8_t *input, int8_t *output);

/* ==== Layer 4 — the op table (q8_op_table.c): per op type {get, check, run}, the only place that
 * knows every op. q8_model_init calls get + check, q8_run calls get + run. ==== */

/**
 * Runs op (record validated at load, parameters from its get) on the buffers; p is the caller's
 * copy, into which run writes the scratch the kernel is lent.
 */
typedef void q8_run_fn(const q8_model *m, const q8_op *op, q8_params *p, const q8_buffers *b);
/** Kernel scratch bytes the scratch rule gives the op (BLOB_FORMAT.md, "Kernel scratch"). */
typedef uint32_t q8_scratch_fn(const q8_params *p);

/** What the runtime does with one op type. */
typedef struct q8_op_type {
    q8_get_fn *get;
    q8_check_fn *check;
    q8_run_fn *run;
    q8_scratch_fn *scratch;
} q8_op_type;

/** The entry of op type `type` (a code q8_op_read accepted: Q8_OP_CONV…Q8_OP_GLOBAL_AVG_POOL). */
const q8_op_type *q8_op_type_of(uint32_t type);

/* ==== Layer 5 — execution schedules (q8_schedule.c): patch stages. Used by q8_model_init
 * (checks) and q8_run. ==== */

/** One stage table entry: ops first…last run band by band, the output split into `bands` row bands. */
typedef struct q8_stage {
    uint32_t first, last, bands;
} q8_stage;

/** Stage k of the stage table (k < stage_count). */
q8_stage q8_stage_get(const q8_model *m, uint32_t k);
/** Index of the stage that contains op i, or stage_count when none does. */
uint32_t q8_stage_of_op(const q8_model *m, uint32_t i);
/** Whether value v is produced inside stage s and is not its output (it exists one band at a time). */
static inline int q8_stage_internal(q8_stage s, uint32_t v) { return v > s.first && v <= s.last; }
/**
 * Bytes of value v's arena buffer: the whole value, or for a value inside a stage its widest band.
 * Only after the ops and the stage table were checked.
 */
uint32_t q8_value_bytes(const q8_model *m, uint32_t v);
/** Checks the stage table against the ops (BLOB_FORMAT.md, "Stage table"); Q8_OK or Q8_ERR_PLAN. */
q8_status q8_stages_check(const q8_model *m);
/** Runs stage k band by band (q8_run). */
void q8_stage_run(const q8_model *m, uint32_t k, const q8_buffers *b);

#endif /* Q8_INTERNAL_H */
