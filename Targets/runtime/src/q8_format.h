/*
 * The blob format's numbers (Docs/BLOB_FORMAT.md; Swift twin: Sources/Export/BlobFormat.swift):
 * sizes, codes, and THE LIMITS — the one named set of parameter bounds the loader enforces so that
 * no kernel can overflow int32. Every limit the runtime checks is here; nothing else in the
 * runtime states a bound of its own. BLOB_FORMAT.md ("Parameter ranges") states the same set.
 */
#ifndef Q8_FORMAT_H
#define Q8_FORMAT_H

/* ---- Layout ---- */
#define Q8_HEADER_SIZE 128u       /**< bytes of the header */
#define Q8_VALUE_RECORD_SIZE 32u  /**< bytes of one value table record */
#define Q8_TENSOR_ENTRY_SIZE 16u  /**< bytes of one tensor table entry */
#define Q8_STAGE_ENTRY_SIZE 16u   /**< bytes of one stage table entry (version 4) */
#define Q8_OP_HEADER_SIZE 16u     /**< bytes of the common header of an op record */
#define Q8_ALIGNMENT 16u          /**< alignment of regions, tensors, arena offsets, arena_bytes */
#define Q8_NO_TENSOR 0xFFFFFFFFu  /**< tensor index meaning "absent" */

/** Op type codes. */
enum {
    Q8_OP_CONV = 1,
    Q8_OP_ADD = 2,
    Q8_OP_MUL = 3,
    Q8_OP_HARD_SWISH = 4,
    /* 5 was HARD_SIGMOID in versions 1–2; since version 3 hard-sigmoid is a 1×1 depthwise CONV. */
    Q8_OP_REQUANTIZE = 6,
    Q8_OP_CONCAT = 7,
    Q8_OP_SPLIT = 8,
    Q8_OP_SHUFFLE = 9,
    Q8_OP_MAX_POOL = 10,
    Q8_OP_AVG_POOL = 11,
    Q8_OP_GLOBAL_AVG_POOL = 12,
    Q8_OP_LOOKUP = 13,
    Q8_OP_UNIFORM_1X1 = 14, /**< a 1×1 depthwise CONV whose channels share weight, bias, multiplier, shift (version 4) */
    Q8_OP_TYPE_COUNT = 15 /**< one past the last code */
};

/** Tensor kinds. */
enum {
    Q8_TENSOR_WEIGHTS = 1,
    Q8_TENSOR_BIAS = 2,
    Q8_TENSOR_MULTIPLIER = 3,
    Q8_TENSOR_SHIFT = 4,        /**< int8 shifts (int32 before version 4) */
    Q8_TENSOR_PAD_VALUES = 5,
    Q8_TENSOR_TABLE = 6,        /**< 256 int8 entries of a LOOKUP */
    Q8_TENSOR_WEIGHT_SCALES = 7, /**< float32 bits of each CONV output channel's weight scale (never read as floats) */
    Q8_TENSOR_WEIGHTS_INT4 = 8  /**< CONV weights in int4, two per byte: element 2i low nibble, 2i + 1 high (TFLite's dense int4) */
};

/* ---- The limits (each: what it bounds, and why that keeps the arithmetic inside int32) ---- */

/** Largest total size, arena_bytes + scratch_bytes, and element count of a value: 2^31 − 1. */
#define Q8_LIMIT_SIZE 0x7FFFFFFFu
/** Largest height, width or channel count of a value. */
#define Q8_LIMIT_DIMENSION 65535
/** Largest kernel size and stride of a window (CONV, pools); padding is 0…kernel − 1. */
#define Q8_LIMIT_WINDOW 255
/** Most ops in one patch stage: q8_run keeps a row range and a record position per op of the
 * stage on its stack (about 1 KB). */
#define Q8_LIMIT_STAGE_OPS 64
/** Largest ADD left_shift: 255 · 2^23 fits int32. */
#define Q8_LIMIT_INPUT_SHIFT 23
/** HARD_SWISH: int16 multipliers 0…Q8_LIMIT_HS_MULTIPLIER, output exponent −Q8_LIMIT_HS_EXPONENT…0,
 * relu-ish exponent −Q8_LIMIT_HS_EXPONENT…Q8_LIMIT_HS_EXPONENT: every int16 shift stays within 15 bits. */
#define Q8_LIMIT_HS_MULTIPLIER 32767
#define Q8_LIMIT_HS_EXPONENT 15
/** Largest H·W of a GLOBAL_AVG_POOL input: 255 · H · W fits int32. */
#define Q8_LIMIT_POOL_AREA 8421504
/** Shifts of a multiplier/shift pair lie in −Q8_LIMIT_SHIFT…Q8_LIMIT_SHIFT; multipliers are ≥ 0. */
#define Q8_LIMIT_SHIFT 31
/**
 * The CONV accumulator bound: for every output channel, |bias| + D · Σ|w| ≤ Q8_LIMIT_ACCUMULATOR
 * with D = max(|−128 − input_zp|, |127 − input_zp|), so every partial sum fits int32.
 */
#define Q8_LIMIT_ACCUMULATOR 0x7FFFFFFF
/* Also part of the set, as rules rather than numbers: zero points and clamps are int8 with
 * act_min ≤ act_max; the model input's zero point is −128. */

/* ---- The kernel scratch rule (BLOB_FORMAT.md, "Kernel scratch"): the bytes each op may be lent
 * by the runtime, at arena offset arena_bytes; the blob's scratch_bytes is the largest over its
 * ops, rounded up to 16. They are the buffers of the Cortex-M4 kernels (Targets/cortex-m4/kernels),
 * which take them from there instead of the stack; the portable kernels need none. ---- */

/** A CONV with groups 1 and kernel_h·kernel_w·in_c ≤ 256, kernel_h ≤ 64, not 1×1: its int16 window strip. */
#define Q8_SCRATCH_PATCH 4096u
/** A depthwise CONV (groups = in = out ≥ 4) with kernel_h·kernel_w ≤ 49: its int16 tile. */
#define Q8_SCRATCH_DEPTHWISE 4096u
/** An ADD of more than 256 elements: two 256-entry int32 tables. */
#define Q8_SCRATCH_ADD 2048u
/** A HARD_SWISH of more than 256 elements: a 256-entry int8 table. */
#define Q8_SCRATCH_HARD_SWISH 256u
/* A 1×1 CONV with groups 1 and in_c ≤ 2304 gets its widened input channels: 8·(in_c & ~3) bytes
 * (4 pixels) when in_c ≤ 576, else 2·(in_c & ~3) (1 pixel) — q8_conv_scratch. */

#endif /* Q8_FORMAT_H */
