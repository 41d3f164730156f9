/*
 * Depthwise CONV (groups == in_c == out_c ≥ 4, at most Q8_M4_DEPTHWISE_TAPS_MAX taps) for the
 * Cortex-M4.
 *
 * Same arithmetic as q8_depthwise_conv_s8 (bit-identical to q8_conv_s8). The output is computed
 * tile by tile: a rectangle of output pixels whose input window fits the tile buffer (in the kernel scratch
 * q8_run lends, like the kernel's other buffers)
 * (TILE_PIXELS input pixels, at most TILE_OUTPUTS outputs). Per tile, the windows of its outputs
 * are tabulated once: the taps inside the input, or, when the blob has pad values, every tap.
 *
 * Then channels go in blocks of 4 (when the channel count is not a multiple of 4 the last block is
 * channels − 4 … channels − 1, overlapping the one before, whose channels it recomputes and
 * rewrites with the same bytes). Per block: the weights of the taps some window uses are
 * rearranged into int16 pairs per tap, (c, c + 2) and (c + 1, c + 3); the tile's input is widened
 * into the buffer in the same pairs minus input_zp (one SXTAB16 per pair; the padding cells, only
 * with pad values, hold pad_value − input_zp), so that each tap of a window costs two LDRD (inputs,
 * weights) and four SMLABB/SMLATT; the tile's sums are then requantized one channel at a time. The
 * sums are the exact integer sums of q8_conv_s8 (every partial sum obeys the loader's accumulator
 * bound), so the bytes are identical.
 */
#include <arm_acle.h>
#include <string.h>

#include "q8_kernels_m4.h"

/* Input pixels the tile buffer holds (8 bytes each: two int16 pairs) and output pixels of a tile (16 bytes
 * of accumulators each). */
enum { TILE_PIXELS = 256, TILE_OUTPUTS = 64 };

/* SXTB16 of the odd bytes (1 and 3) of w. */
static inline int32_t sxtb16_odd(int32_t w) {
    int32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(w));
    return r;
}

int q8_depthwise_conv_s8_m4_fits(const q8_conv_params *p) {
    return p->groups == p->in.c && p->groups == p->out.c && p->in.c >= 4 &&
           p->kernel_h * p->kernel_w <= Q8_M4_DEPTHWISE_TAPS_MAX &&
           q8_m4_scratch_ok(p->scratch, p->scratch_bytes, Q8_SCRATCH_DEPTHWISE);
}

/* The accumulators of a block's 4 channels. */
typedef struct acc4 {
    int32_t a0, a1, a2, a3;
} acc4;

/*
 * Adds rows × COLS taps (rows ≥ 1, COLS a literal) to the accumulators of a: each row's COLS taps are
 * straight code, per tap an LDRD of the input pairs (c, c + 2), (c + 1, c + 3) at x, an LDRD of the
 * weight pairs at w (both post-incremented) and SMLABB/SMLATT for each channel; then x and w skip to
 * the next window row. Inline assembly because GCC 12 neither forms the post-incremented LDRD nor
 * keeps the loop in registers.
 */
#define ADD_ROWS(COLS)                                                                                     \
    __asm__ volatile("1:\n\t"                                                                              \
                     ".rept " #COLS "\n\t"                                                                 \
                     "ldrd %[e], %[o], [%[x]], #8\n\t"                                                     \
                     "ldrd %[w0], %[w1], [%[w]], #8\n\t"                                                   \
                     "smlabb %[a0], %[e], %[w0], %[a0]\n\t"                                                \
                     "smlatt %[a2], %[e], %[w0], %[a2]\n\t"                                                \
                     "smlabb %[a1], %[o], %[w1], %[a1]\n\t"                                                \
                     "smlatt %[a3], %[o], %[w1], %[a3]\n\t"                                                \
                     ".endr\n\t"                                                                           \
                     "add %[x], %[x], %[x_skip]\n\t"                                                       \
                     "add %[w], %[w], %[w_skip]\n\t"                                                       \
                     "subs %[rows], %[rows], #1\n\t"                                                       \
                     "bne 1b"                                                                              \
                     : [a0] "+r"(a.a0), [a1] "+r"(a.a1), [a2] "+r"(a.a2), [a3] "+r"(a.a3), [x] "+r"(x),     \
                       [w] "+r"(w), [rows] "+r"(rows), [e] "=&r"(e), [o] "=&r"(o), [w0] "=&r"(w0),         \
                       [w1] "=&r"(w1)                                                                      \
                     : [x_skip] "r"(x_skip), [w_skip] "r"(w_skip)                                          \
                     : "cc", "memory")

/* Adds a window of rows × cols taps (both ≥ 1) starting at the buffer's input pairs x and the weight
 * pairs w; x_skip and w_skip are the bytes from the end of a window row to the start of the next. */
static inline acc4 add_window(acc4 a, const int32_t *x, const int32_t *w, int32_t rows, int32_t cols,
                              int32_t x_skip, int32_t w_skip) {
    const int32_t x_pitch = x_skip / 4 + 2 * cols, w_pitch = w_skip / 4 + 2 * cols;
    int32_t e, o, w0, w1, k;
    switch (cols) {
    case 1: ADD_ROWS(1); break;
    case 2: ADD_ROWS(2); break;
    case 3: ADD_ROWS(3); break;
    case 4: ADD_ROWS(4); break;
    case 5: ADD_ROWS(5); break;
    case 6: ADD_ROWS(6); break;
    case 7: ADD_ROWS(7); break;
    default:
        do {
            for (k = 0; k < 2 * cols; k += 2) {
                a.a0 = __smlabb(x[k], w[k], a.a0);
                a.a2 = __smlatt(x[k], w[k], a.a2);
                a.a1 = __smlabb(x[k + 1], w[k + 1], a.a1);
                a.a3 = __smlatt(x[k + 1], w[k + 1], a.a3);
            }
            x += x_pitch;
            w += w_pitch;
        } while (--rows != 0);
    }
    return a;
}

/* PKHBT: the low half of low, the low half of high as the high half. */
static inline int32_t pkhbt(int32_t low, int32_t high) {
    int32_t r;
    __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(r) : "r"(low), "r"(high));
    return r;
}

/* PKHTB: the high half of low as the low half, the high half of high. */
static inline int32_t pkhtb(int32_t low, int32_t high) {
    int32_t r;
    __asm__("pkhtb %0, %1, %2, asr #16" : "=r"(r) : "r"(high), "r"(low));
    return r;
}

/* Stores the pair of words (a, b) at *p and advances *p by two words (STRD post-indexed). */
static inline void store2(int32_t **p, int32_t a, int32_t b) {
    __asm__ volatile("strd %1, %2, [%0], #8" : "+r"(*p) : "r"(a), "r"(b) : "memory");
}

/* Rearranges count consecutive taps, from tap t on, of the block whose first channel's taps start
 * at w (channel k's at w + k·taps) into int16 pairs: pairs[2t] = (channel 0, channel 2),
 * pairs[2t + 1] = (channel 1, channel 3). Four taps at a time: a word of each channel's taps is
 * widened with SXTB16 (taps t, t + 2) and SXTB16 ROR 8 (t + 1, t + 3), and PKHBT/PKHTB pair up the
 * channels. */
static void prepare_taps(int32_t *pairs, const int8_t *w, int32_t taps, int32_t t, int32_t count) {
    const int32_t end = t + count;
    int32_t *out = pairs + 2 * t;
    for (; t + 4 <= end; t += 4) {
        const int32_t w0 = q8_m4_load4(w + t), w1 = q8_m4_load4(w + taps + t);
        const int32_t w2 = q8_m4_load4(w + 2 * taps + t), w3 = q8_m4_load4(w + 3 * taps + t);
        const int32_t e0 = __sxtb16(w0), e1 = __sxtb16(w1), e2 = __sxtb16(w2), e3 = __sxtb16(w3);
        const int32_t o0 = sxtb16_odd(w0), o1 = sxtb16_odd(w1), o2 = sxtb16_odd(w2), o3 = sxtb16_odd(w3);
        store2(&out, pkhbt(e0, e2), pkhbt(e1, e3));
        store2(&out, pkhbt(o0, o2), pkhbt(o1, o3));
        store2(&out, pkhtb(e0, e2), pkhtb(e1, e3));
        store2(&out, pkhtb(o0, o2), pkhtb(o1, o3));
    }
    for (; t < end; ++t) store2(&out, pkhbt(w[t], w[2 * taps + t]), pkhbt(w[taps + t], w[3 * taps + t]));
}

/* prepare_taps for int4 weights (p->weight_bits 4): the same int16 pairs, from the 4 channels from
 * c on, each weight unpacked from its nibble (q8_conv_weight) — the tap loop then runs the same
 * SMLABB/SMLATT as for int8. Done once per tile and block, like prepare_taps. */
static void prepare_taps_int4(int32_t *pairs, const q8_conv_params *p, int32_t c, int32_t taps, int32_t t, int32_t count) {
    const int32_t end = t + count;
    const int32_t k0 = c * taps, k1 = k0 + taps, k2 = k1 + taps, k3 = k2 + taps;
    int32_t *out = pairs + 2 * t;
    for (; t < end; ++t) {
        store2(&out, pkhbt(q8_conv_weight(p, k0 + t), q8_conv_weight(p, k2 + t)),
               pkhbt(q8_conv_weight(p, k1 + t), q8_conv_weight(p, k3 + t)));
    }
}

/* The convolution's shape, copied out of the parameters (output stores could alias them). */
typedef struct geometry {
    int32_t in_h, in_w, channels, out_h, out_w, kernel_h, kernel_w, stride_h, stride_w, pad_top, pad_left;
} geometry;

/* A tile: output rows [oy0, oy1) × columns [ox0, ox1); its buffer holds rows × width input pixels, the
 * first at input (y0, x0) (which may lie in the padding). */
typedef struct tile {
    int32_t oy0, oy1, ox0, ox1, y0, x0, rows, width;
} tile;

/* One window of a tile as two words, in bytes so that the summing loop only adds them: the offset in
 * the buffer of its first tap's input pairs (bits 0–15) and in the weight pairs of its first tap
 * (16–31); its rows (0–7) and columns (8–15) of taps and the skip in the buffer from the end of one
 * window row to the start of the next (16–31). */
static void window_entry(uint32_t *entry, const tile *t, int32_t cell, int32_t tap, int32_t rows, int32_t cols) {
    entry[0] = (uint32_t)(8 * cell) | (uint32_t)(8 * tap) << 16;
    entry[1] = (uint32_t)rows | (uint32_t)cols << 8 | (uint32_t)(8 * (t->width - cols)) << 16;
}

/* The windows of tile t's outputs, row by row: every tap with full_windows, else the taps inside the
 * input. Returns their count. */
static int32_t tile_windows(const tile *t, const geometry *g, int full_windows, uint32_t *windows) {
    uint32_t *w = windows;
    int32_t oy, ox;
    for (oy = t->oy0; oy < t->oy1; ++oy) {
        const int32_t y0 = oy * g->stride_h - g->pad_top;
        const int32_t ky_begin = full_windows || y0 >= 0 ? 0 : -y0;
        const int32_t ky_end = full_windows || g->in_h - y0 >= g->kernel_h ? g->kernel_h : g->in_h - y0;
        for (ox = t->ox0; ox < t->ox1; ++ox) {
            const int32_t x0 = ox * g->stride_w - g->pad_left;
            const int32_t kx_begin = full_windows || x0 >= 0 ? 0 : -x0;
            const int32_t kx_end = full_windows || g->in_w - x0 >= g->kernel_w ? g->kernel_w : g->in_w - x0;
            window_entry(w, t, (y0 + ky_begin - t->y0) * t->width + x0 + kx_begin - t->x0,
                         ky_begin * g->kernel_w + kx_begin, ky_end - ky_begin, kx_end - kx_begin);
            w += 2;
        }
    }
    return (int32_t)(w - windows) / 2;
}

/* Fills the buffer with the tile's input pixels of the block at channel c, widened to the pairs
 * (c, c + 2), (c + 1, c + 3) minus input_zp (neg_zp = −input_zp twice); padding cells get pad (the
 * block's pad_value − input_zp pairs) when pad is not NULL, and are left alone otherwise (never read). */
static void fill_tile(int32_t *buffer, const tile *t, const geometry *g, const int8_t *input, int32_t c,
                      int32_t neg_zp, const int32_t *pad) {
    const int32_t begin = t->x0 < 0 ? -t->x0 : 0;
    const int32_t end = g->in_w - t->x0 < t->width ? g->in_w - t->x0 : t->width;
    const int32_t channels = g->channels;
    int32_t r, k;
    for (r = 0; r < t->rows; ++r) {
        const int32_t y = t->y0 + r;
        int32_t *row = buffer + 2 * r * t->width;
        if (y < 0 || y >= g->in_h) {
            if (pad != 0) {
                for (k = 0; k < t->width; ++k) row[2 * k] = pad[0], row[2 * k + 1] = pad[1];
            }
            continue;
        }
        if (pad != 0) {
            for (k = 0; k < begin; ++k) row[2 * k] = pad[0], row[2 * k + 1] = pad[1];
            for (k = end; k < t->width; ++k) row[2 * k] = pad[0], row[2 * k + 1] = pad[1];
        }
        {
            const int8_t *x = input + (y * g->in_w + t->x0 + begin) * channels + c;
            int32_t *cell = row + 2 * begin, *const cells_end = row + 2 * end;
            do {
                const int32_t v = q8_m4_load4(x);
                store2(&cell, __sxtab16(neg_zp, v), q8_m4_sxtab16_odd(neg_zp, v));
                x += channels;
            } while (cell != cells_end);
        }
    }
}

/* Sums count windows (entries of tile_windows) of the block into acc, from bias on. */
static void sum_windows(acc4 *acc, const uint32_t *windows, int32_t count, const int32_t *buffer,
                        const int32_t *pairs, acc4 bias, int32_t kernel_w) {
    const int32_t w_pitch = 8 * kernel_w;
    do {
        const uint32_t e0 = windows[0], e1 = windows[1];
        const int32_t cols = (int32_t)((e1 >> 8) & 0xFFu);
        windows += 2;
        *acc++ = add_window(bias, (const int32_t *)((const uint8_t *)buffer + (e0 & 0xFFFFu)),
                            (const int32_t *)((const uint8_t *)pairs + (e0 >> 16)), (int32_t)(e1 & 0xFFu), cols,
                            (int32_t)(e1 >> 16), w_pitch - 8 * cols);
    } while (--count != 0);
}

/* Requantizes count accumulators of one channel (acc, 4 words apart) into out, channels bytes apart;
 * common as in q8_m4_output. */
static inline __attribute__((always_inline)) void store_channel(int8_t *out, const int32_t *acc, int32_t count,
                                                                int32_t channels, int32_t multiplier, int32_t shift,
                                                                int32_t output_zp, int32_t act_min, int32_t act_max,
                                                                int common) {
    const int32_t *const end = acc + 4 * count;
    do {
        *out = q8_m4_output(*acc, multiplier, shift, output_zp, act_min, act_max, common);
        acc += 4;
        out += channels;
    } while (acc != end);
}

/* What the outputs of one block need besides the window sums. */
typedef struct block_out {
    int32_t multiplier[4], shift[4];
    int32_t output_zp, act_min, act_max;
} block_out;

/* Writes the outputs of count pixels of the block, channels apart from out on: the accumulators acc
 * requantized one channel at a time, so that its multiplier and shift stay in registers; the loop is
 * written twice, for q8_m4_output's common case and the others. */
static void store_pixels(int8_t *out, const acc4 *acc, int32_t count, int32_t channels, const block_out *b) {
    int32_t k;
    for (k = 0; k < 4; ++k) {
        const int32_t shift = b->shift[k];
        if (q8_m4_common(shift, b->act_min, b->act_max)) {
            store_channel(out + k, &acc->a0 + k, count, channels, b->multiplier[k], shift, b->output_zp,
                          b->act_min, b->act_max, 1);
        } else {
            store_channel(out + k, &acc->a0 + k, count, channels, b->multiplier[k], shift, b->output_zp,
                          b->act_min, b->act_max, 0);
        }
    }
}

/* The kernel's buffers, in the lent scratch (Q8_SCRATCH_DEPTHWISE bytes, 8-byte aligned). */
typedef struct depthwise_scratch {
    int32_t pairs[2 * Q8_M4_DEPTHWISE_TAPS_MAX], buffer[2 * TILE_PIXELS];
    uint32_t windows[2 * TILE_OUTPUTS];
    acc4 acc[TILE_OUTPUTS];
} depthwise_scratch;

uint32_t q8_m4_depthwise_scratch_bytes(void) { return (uint32_t)sizeof(depthwise_scratch); }

/*
 * A 1×1 depthwise convolution with stride 1 and no padding (the hard-sigmoid of squeeze-excitation
 * gates, y = x/6 + 1/2 on the fixed 1/256 grid): per element acc = bias[c] + (x − input_zp)·w[c]
 * and the exact requantization, one channel at a time — no tiles, which cost more than the work
 * on the 1×1×C tensors of the gates.
 */
static void depthwise_1x1(const q8_conv_params *p, const int8_t *input, int8_t *output) {
    const int32_t channels = p->out.c, pixels = p->out.h * p->out.w;
    int32_t c, px;
    for (c = 0; c < channels; ++c) {
        const int32_t w = q8_conv_weight(p, c), bias = q8_m4_load4(p->bias + 4 * c);
        const int32_t multiplier = q8_m4_load4(p->multiplier + 4 * c), shift = p->shift[c];
        const int8_t *in = input + c;
        int8_t *out = output + c;
        if (q8_m4_common(shift, p->act_min, p->act_max)) {
            for (px = 0; px < pixels; ++px, in += channels, out += channels) {
                *out = q8_m4_output(bias + (*in - p->input_zp) * w, multiplier, shift, p->output_zp, -128, 127, 1);
            }
        } else {
            for (px = 0; px < pixels; ++px, in += channels, out += channels) {
                *out = q8_m4_output(bias + (*in - p->input_zp) * w, multiplier, shift, p->output_zp, p->act_min, p->act_max, 0);
            }
        }
    }
}

void q8_depthwise_conv_s8_m4(const q8_conv_params *p, const int8_t *input, int8_t *output) {
    depthwise_scratch *const s = (depthwise_scratch *)(void *)p->scratch;
    int32_t *const pairs = s->pairs, *const buffer = s->buffer;
    uint32_t *const windows = s->windows;
    acc4 *const acc = s->acc;
    int32_t pad[2];
    const geometry g = {p->in.h, p->in.w, p->in.c, p->out.h, p->out.w, p->kernel_h, p->kernel_w,
                        p->stride_h, p->stride_w, p->pad_top, p->pad_left};
    const int32_t taps = g.kernel_h * g.kernel_w, channels = g.channels;
    const int32_t neg_zp = q8_m4_pair(-p->input_zp, -p->input_zp);
    const int full_windows = p->pad_value != 0;
    /* The taps some window visits: rows [ky_used, ky_used + used_h), columns [kx_used, kx_used + used_w)
     * (the first and last windows reach furthest into the kernel); every tap with pad values. */
    const int32_t last_y0 = (g.out_h - 1) * g.stride_h - g.pad_top, last_x0 = (g.out_w - 1) * g.stride_w - g.pad_left;
    const int32_t ky_used = full_windows || last_y0 > 0 ? 0 : -last_y0;
    const int32_t kx_used = full_windows || last_x0 > 0 ? 0 : -last_x0;
    const int32_t used_h = (full_windows || g.in_h + g.pad_top >= g.kernel_h ? g.kernel_h : g.in_h + g.pad_top) - ky_used;
    const int32_t used_w = (full_windows || g.in_w + g.pad_left >= g.kernel_w ? g.kernel_w : g.in_w + g.pad_left) - kx_used;
    /* Tile size: as many output columns as fit with one window height, then as many rows as fit. */
    int32_t tile_w = (TILE_PIXELS / g.kernel_h - g.kernel_w) / g.stride_w + 1, tile_h;
    block_out b;
    tile t;
    if (g.kernel_h == 1 && g.kernel_w == 1 && g.stride_h == 1 && g.stride_w == 1 && g.in_h == g.out_h && g.in_w == g.out_w) {
        depthwise_1x1(p, input, output);
        return;
    }
    b.output_zp = p->output_zp;
    b.act_min = p->act_min;
    b.act_max = p->act_max;
    if (tile_w > g.out_w) tile_w = g.out_w;
    if (tile_w > TILE_OUTPUTS) tile_w = TILE_OUTPUTS;
    tile_h = (TILE_PIXELS / ((tile_w - 1) * g.stride_w + g.kernel_w) - g.kernel_h) / g.stride_h + 1;
    if (tile_h > TILE_OUTPUTS / tile_w) tile_h = TILE_OUTPUTS / tile_w;
    if (tile_h > g.out_h) tile_h = g.out_h;
    for (t.oy0 = 0; t.oy0 < g.out_h; t.oy0 = t.oy1) {
        t.oy1 = t.oy0 + tile_h < g.out_h ? t.oy0 + tile_h : g.out_h;
        t.y0 = t.oy0 * g.stride_h - g.pad_top;
        t.rows = (t.oy1 - t.oy0 - 1) * g.stride_h + g.kernel_h;
        for (t.ox0 = 0; t.ox0 < g.out_w; t.ox0 = t.ox1) {
            int32_t count, c = 0, k;
            t.ox1 = t.ox0 + tile_w < g.out_w ? t.ox0 + tile_w : g.out_w;
            t.x0 = t.ox0 * g.stride_w - g.pad_left;
            t.width = (t.ox1 - t.ox0 - 1) * g.stride_w + g.kernel_w;
            count = tile_windows(&t, &g, full_windows, windows);
            for (;;) {
                const int8_t *const w = p->weights + c * taps;
                acc4 bias;
                if (p->weight_bits == 4) {
                    for (k = ky_used; k < ky_used + used_h; ++k) {
                        prepare_taps_int4(pairs, p, c, taps, k * g.kernel_w + kx_used, used_w);
                    }
                } else if (used_w == g.kernel_w) {
                    prepare_taps(pairs, w, taps, ky_used * g.kernel_w, used_h * g.kernel_w);
                } else {
                    for (k = ky_used; k < ky_used + used_h; ++k) {
                        prepare_taps(pairs, w, taps, k * g.kernel_w + kx_used, used_w);
                    }
                }
                bias.a0 = q8_m4_load4(p->bias + 4 * c);
                bias.a1 = q8_m4_load4(p->bias + 4 * c + 4);
                bias.a2 = q8_m4_load4(p->bias + 4 * c + 8);
                bias.a3 = q8_m4_load4(p->bias + 4 * c + 12);
                for (k = 0; k < 4; ++k) {
                    b.multiplier[k] = q8_m4_load4(p->multiplier + 4 * (c + k));
                    b.shift[k] = p->shift[c + k];
                }
                if (full_windows) {
                    const int32_t v = q8_m4_load4(p->pad_value + c);
                    pad[0] = __sxtab16(neg_zp, v);
                    pad[1] = q8_m4_sxtab16_odd(neg_zp, v);
                }
                fill_tile(buffer, &t, &g, input, c, neg_zp, full_windows ? pad : 0);
                sum_windows(acc, windows, count, buffer, pairs, bias, g.kernel_w);
                if (t.ox1 - t.ox0 == g.out_w) {
                    store_pixels(output + t.oy0 * g.out_w * channels + c, acc, count, channels, &b);
                } else {
                    for (k = t.oy0; k < t.oy1; ++k) {
                        store_pixels(output + (k * g.out_w + t.ox0) * channels + c, acc + (k - t.oy0) * (t.ox1 - t.ox0),
                                     t.ox1 - t.ox0, channels, &b);
                    }
                }
                if (c + 4 == channels) break;
                c = c + 8 <= channels ? c + 4 : channels - 4;
            }
        }
    }
}

