/*
 * CONV with groups == 1 and a small window (kernel_h·kernel_w·in_c ≤ Q8_M4_PATCH_MAX, e.g. the
 * first 3×3 convolution of a network) for the Cortex-M4.
 *
 * Same arithmetic as q8_conv_s8. The output pixels go in strips, as many consecutive pixels as the
 * strip buffer (in the kernel scratch q8_run lends, like the kernel's other buffers) holds. First each pixel's window is widened once into the buffer (its patch): int16
 * x − input_zp in weight order (ky, kx, ic), two taps per word; a tap in the padding holds
 * pad_value[ic] − input_zp when the blob has pad values, else 0 (it adds nothing, as in q8_conv_s8).
 * The window rows are copied from a row cache, the rows of the input under one output row already
 * widened and padded, so that each input value is widened once per window row rather than once per
 * window. Then one output channel at a time: its weights are widened once into the same int16 pairs
 * (zero past the window's taps), and each pixel of the strip costs one SMLAD per two taps; windows of
 * up to SMALL_TAPS taps (the stem 3×3 on one channel) keep the channel's five weight words in
 * registers. A second loop requantizes the channel's sums with its multiplier and shift in
 * registers. The sums are the exact integer sums of q8_conv_s8, so the bytes are identical.
 */
#include <arm_acle.h>
#include <string.h>

#include "q8_kernels_m4.h"

/* Taps the strip buffer holds (int16 each); windows of at most SMALL_TAPS taps (the stem 3×3 on one
 * channel) keep the channel's weights in registers; values of the row cache, whose rows have SLACK
 * values more than they need (one window, Q8_M4_PATCH_MAX taps plus SLACK per row for at most
 * Q8_M4_PATCH_ROWS rows, always fits). */
enum { STRIP_TAPS = 1024, SMALL_TAPS = 10, SLACK = 3, ROW_CACHE = 2 * Q8_M4_PATCH_MAX };

int q8_conv_patch_s8_m4_fits(const q8_conv_params *p) {
    return p->groups == 1 && p->kernel_h * p->kernel_w * p->in.c <= Q8_M4_PATCH_MAX && p->kernel_h <= Q8_M4_PATCH_ROWS &&
           q8_m4_scratch_ok(p->scratch, p->scratch_bytes, Q8_SCRATCH_PATCH);
}

/* The window rows of some consecutive pixels of one output row, widened: row ky of the cache holds the
 * columns [x0, x0 + columns) of input row y0 + ky (in_c values per column) minus zp, or the padding's
 * value (pad_value − zp, or 0 without pad values); pitch values apart, SLACK more than a row needs, so
 * that a row can be copied a word at a time. */
typedef struct row_cache {
    int16_t values[ROW_CACHE];
    int32_t oy, ox0, ox1, pitch;
} row_cache;

/* Appends the padding of count columns (in_c values each): pad[ic] − zp, or 0 without pad values. */
static int16_t *put_padding(int16_t *d, int32_t count, int32_t in_c, const int8_t *pad, int32_t zp) {
    int32_t x, ic;
    for (x = 0; x < count; ++x) {
        for (ic = 0; ic < in_c; ++ic) *d++ = (int16_t)(pad != 0 ? pad[ic] - zp : 0);
    }
    return d;
}

/* Fills the cache with the window rows of output row oy from column ox0 on, as many pixels as fit. */
static void fill_cache(row_cache *cache, const q8_conv_params *p, const int8_t *input, int32_t oy, int32_t ox0) {
    const int32_t in_h = p->in.h, in_w = p->in.w, in_c = p->in.c, zp = p->input_zp, kernel_h = p->kernel_h;
    const int32_t pixels = ((ROW_CACHE / kernel_h - SLACK) / in_c - p->kernel_w) / p->stride_w + 1;
    const int32_t y0 = oy * p->stride_h - p->pad_top, x0 = ox0 * p->stride_w - p->pad_left;
    const int8_t *const pad = p->pad_value;
    int32_t columns, ky;
    cache->oy = oy;
    cache->ox0 = ox0;
    cache->ox1 = p->out.w - ox0 < pixels ? p->out.w : ox0 + pixels;
    columns = (cache->ox1 - ox0 - 1) * p->stride_w + p->kernel_w;
    cache->pitch = columns * in_c + SLACK;
    for (ky = 0; ky < kernel_h; ++ky) {
        const int32_t y = y0 + ky;
        /* The columns inside the input: [begin, end) (none in a padding row). */
        const int32_t begin = x0 < 0 ? 0 : x0;
        const int32_t end = y < 0 || y >= in_h ? begin : x0 + columns < in_w ? x0 + columns : in_w;
        int16_t *d = cache->values + ky * cache->pitch;
        d = put_padding(d, begin - x0, in_c, pad, zp);
        if (end > begin) {
            const int8_t *v = input + (y * in_w + begin) * in_c, *const v_end = v + (end - begin) * in_c;
            while (v != v_end) *d++ = (int16_t)(*v++ - zp);
        }
        d = put_padding(d, x0 + columns - (end > begin ? end : begin), in_c, pad, zp);
        d[0] = d[1] = d[2] = 0; /* the slack values a word copy may read */
    }
}

/* Stores the word v at d (any alignment: unaligned word accesses are fine on the M4); inline assembly
 * so that GCC does not turn a loop of them into a memcpy call. */
static inline void store4(int16_t *d, int32_t v) { __asm__ volatile("str %1, [%0]" : : "r"(d), "r"(v) : "memory"); }

/* Copies n int16 values from src to d a word at a time, so up to three values past each may be read
 * and written: two words when n ≤ 4 (the stem's rows of 3), else a loop. */
static inline void copy_values(int16_t *d, const int16_t *src, int32_t n) {
    int32_t k;
    if (n <= 4) {
        const int32_t v0 = q8_m4_load4(src), v1 = q8_m4_load4(src + 2);
        store4(d, v0);
        store4(d + 2, v1);
        return;
    }
    for (k = 0; k < n; k += 2) store4(d + k, q8_m4_load4(src + k));
}

/* Widens the windows of output pixels [first, first + count) into patches, stride taps per pixel, the
 * window rows copied from the row cache (refilled whenever a pixel is not in it). Values past a
 * window's taps may be overwritten with other numbers (their weights are zero). */
static void fill_strip(const q8_conv_params *p, const int8_t *input, int32_t first, int32_t count, int32_t stride,
                       int16_t *patches, row_cache *cache) {
    const int32_t kernel_h = p->kernel_h, row = p->kernel_w * p->in.c, out_w = p->out.w;
    const int32_t step = p->stride_w * p->in.c;
    int32_t oy = first / out_w, ox = first % out_w, i, ky;
    for (i = 0; i < count; ++i) {
        const int16_t *src;
        int16_t *d = patches + i * stride;
        if (oy != cache->oy || ox < cache->ox0 || ox >= cache->ox1) fill_cache(cache, p, input, oy, ox);
        src = cache->values + (ox - cache->ox0) * step;
        for (ky = 0; ky < kernel_h; ++ky, src += cache->pitch, d += row) copy_values(d, src, row);
        if (++ox == out_w) ox = 0, ++oy;
    }
}

/* Loads the two words at *p and advances *p past them (LDRD post-indexed; *p word-aligned). */
static inline void load2(const int16_t **p, int32_t *a, int32_t *b) {
    __asm__("ldrd %1, %2, [%0], #8" : "+r"(*p), "=&r"(*a), "=r"(*b) : : "memory");
}

/* Sums count windows of the strip (stride taps apart, from x on) for one channel: its taps widened
 * into int16 pairs w (zero-padded to stride taps), one SMLAD per two taps, from bias on. */
static void sum_windows(const int16_t *x, int32_t count, int32_t stride, const int32_t *w, int32_t bias,
                        int32_t *acc) {
    if (stride == SMALL_TAPS) {
        const int32_t w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3], w4 = w[4];
        do {
            int32_t x0, x1, x2, x3, a;
            load2(&x, &x0, &x1);
            load2(&x, &x2, &x3);
            a = __smlad(x0, w0, bias);
            a = __smlad(x1, w1, a);
            a = __smlad(x2, w2, a);
            a = __smlad(x3, w3, a);
            *acc++ = __smlad(q8_m4_load4(x), w4, a);
            x += 2;
        } while (--count != 0);
    } else {
        do {
            int32_t a = bias, k;
            for (k = 0; k < stride / 2; ++k) a = __smlad(q8_m4_load4(x + 2 * k), w[k], a);
            *acc++ = a;
            x += stride;
        } while (--count != 0);
    }
}

/* Requantizes count accumulators into out, out_c bytes apart; common as in q8_m4_output. */
static inline __attribute__((always_inline)) void store_channel(const int32_t *acc, int32_t count, int32_t multiplier,
                                                                int32_t shift, const q8_conv_params *p, int8_t *out,
                                                                int common) {
    const int32_t output_zp = p->output_zp, act_min = p->act_min, act_max = p->act_max, out_c = p->out.c;
    const int32_t *const end = acc + count;
    do {
        *out = q8_m4_output(*acc++, multiplier, shift, output_zp, act_min, act_max, common);
        out += out_c;
    } while (acc != end);
}

/* The kernel's buffers, in the lent scratch (Q8_SCRATCH_PATCH bytes, 8-byte aligned). */
typedef struct patch_scratch {
    int16_t patches[STRIP_TAPS + SLACK + 1]; /* copy_values may write past; + 1 keeps what follows aligned */
    row_cache cache;
    int32_t weights[Q8_M4_PATCH_MAX / 2], acc[STRIP_TAPS / SMALL_TAPS];
} patch_scratch;

uint32_t q8_m4_patch_scratch_bytes(void) { return (uint32_t)sizeof(patch_scratch); }

void q8_conv_patch_s8_m4(const q8_conv_params *p, const int8_t *input, int8_t *output) {
    patch_scratch *const s = (patch_scratch *)(void *)p->scratch;
    int16_t *const patches = s->patches;
    row_cache *const cache = &s->cache;
    int32_t *const weights = s->weights, *const acc = s->acc;
    const int32_t taps = p->kernel_h * p->kernel_w * p->in.c, pixels = p->out.h * p->out.w, out_c = p->out.c;
    /* Taps per pixel in the strip: even, and SMALL_TAPS for the small windows. */
    const int32_t stride = taps <= SMALL_TAPS ? SMALL_TAPS : (taps + 1) & ~1;
    const int32_t strip = STRIP_TAPS / stride;
    int32_t first, oc, k;
    /* The values past a window's taps: numbers (their weights are zero), and fill_strip may not
     * write them. A loop over pixels, so that GCC does not make it a memset call. */
    for (k = taps; k < stride; ++k) {
        for (first = 0; first < strip; ++first) patches[first * stride + k] = 0;
    }
    cache->oy = -1;
    for (first = 0; first < pixels; first += strip) {
        const int32_t count = pixels - first < strip ? pixels - first : strip;
        fill_strip(p, input, first, count, stride, patches, cache);
        for (oc = 0; oc < out_c; ++oc) {
            const int32_t w = oc * taps; /* index of the channel's first weight (int8 or int4: q8_conv_weight) */
            const int32_t shift = p->shift[oc];
            for (k = 0; k < stride / 2; ++k) {
                weights[k] = q8_m4_pair(2 * k < taps ? q8_conv_weight(p, w + 2 * k) : 0,
                                        2 * k + 1 < taps ? q8_conv_weight(p, w + 2 * k + 1) : 0);
            }
            sum_windows(patches, count, stride, weights, q8_m4_load4(p->bias + 4 * oc), acc);
            /* Written twice, for q8_m4_output's common case and the others. */
            if (q8_m4_common(shift, p->act_min, p->act_max)) {
                store_channel(acc, count, q8_m4_load4(p->multiplier + 4 * oc), shift, p, output + first * out_c + oc, 1);
            } else {
                store_channel(acc, count, q8_m4_load4(p->multiplier + 4 * oc), shift, p, output + first * out_c + oc, 0);
            }
        }
    }
}
