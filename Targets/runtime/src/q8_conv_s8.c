/*
 * CONV: convolution of every kind (general, depthwise, pointwise, grouped 1×1, fully connected).
 *
 * acc[oc] = bias[oc] + Σ (x − input_zp) · w over the window, where x is the input value, or for a
 * tap in the padding pad_value[ic] when the blob has pad values (else the tap adds nothing, x
 * being input_zp); then out = clamp(output_zp + requantize(acc, multiplier[oc], shift[oc]),
 * act_min, act_max). q8_model_init checked the accumulator bound, so int32 never overflows.
 * This general kernel is the portable reference; q8_depthwise_conv_s8 must match it bit for bit.
 */
#include "q8_internal.h"

void q8_conv_get(const q8_model *m, const q8_op *op, q8_params *params) {
    q8_conv_params *p = &params->conv;
    p->in = q8_op_in(m, op, 0).shape;
    p->out = q8_op_out(m, op).shape;
    p->kernel_h = q8_op_param(op, 2);
    p->kernel_w = q8_op_param(op, 3);
    p->stride_h = q8_op_param(op, 4);
    p->stride_w = q8_op_param(op, 5);
    p->pad_top = q8_op_param(op, 6);
    p->pad_left = q8_op_param(op, 7);
    p->groups = q8_op_param(op, 8);
    p->input_zp = q8_op_param(op, 9);
    p->output_zp = q8_op_param(op, 10);
    p->act_min = q8_op_param(op, 11);
    p->act_max = q8_op_param(op, 12);
    p->weights_tensor = (uint32_t)q8_op_param(op, 13);
    p->bias_tensor = (uint32_t)q8_op_param(op, 14);
    p->multiplier_tensor = (uint32_t)q8_op_param(op, 15);
    p->shift_tensor = (uint32_t)q8_op_param(op, 16);
    p->pad_value_tensor = (uint32_t)q8_op_param(op, 17);
    p->weight_scales_tensor = (uint32_t)q8_op_param(op, 18);
    p->weight_bits = q8_tensor_kind(m, p->weights_tensor) == Q8_TENSOR_WEIGHTS_INT4 ? 4 : 8;
    p->weights = (const int8_t *)q8_tensor_data(m, p->weights_tensor);
    p->bias = q8_tensor_data(m, p->bias_tensor);
    p->multiplier = q8_tensor_data(m, p->multiplier_tensor);
    p->shift = (const int8_t *)q8_tensor_data(m, p->shift_tensor);
    p->pad_value = (const int8_t *)q8_tensor_data(m, p->pad_value_tensor);
}

q8_status q8_conv_check(const q8_model *m, const q8_op *op, const q8_params *params, uint32_t *next_tensor) {
    const q8_conv_params *p = &params->conv;
    const q8_value in = q8_op_in(m, op, 0);
    const q8_value out = q8_op_out(m, op);
    const int32_t in_channels = q8_op_param(op, 0), out_channels = q8_op_param(op, 1);
    int64_t per_channel, d;
    int32_t oc;
    q8_status s;
    if (in_channels != p->in.c || out_channels != p->out.c) return Q8_ERR_SHAPE;
    if (p->groups < 1 || p->in.c % p->groups != 0 || p->out.c % p->groups != 0) return Q8_ERR_SHAPE;
    s = q8_window_check(p->kernel_h, p->kernel_w, p->stride_h, p->stride_w, p->pad_top, p->pad_left, p->in, p->out);
    if (s != Q8_OK) return s;
    per_channel = (int64_t)p->kernel_h * p->kernel_w * (p->in.c / p->groups);
    s = q8_tensor_check(m, p->weights_tensor, p->weight_bits == 4 ? Q8_TENSOR_WEIGHTS_INT4 : Q8_TENSOR_WEIGHTS,
                        (uint64_t)(per_channel * p->out.c), next_tensor);
    /* An odd count of int4 weights leaves the last byte's high nibble unused: it must be zero. */
    if (s == Q8_OK && p->weight_bits == 4 && (per_channel * p->out.c) % 2 != 0 &&
        ((uint8_t)p->weights[(per_channel * p->out.c) / 2] >> 4) != 0u) {
        s = Q8_ERR_TENSOR;
    }
    if (s == Q8_OK) s = q8_tensor_check(m, p->bias_tensor, Q8_TENSOR_BIAS, (uint64_t)p->out.c, next_tensor);
    if (s == Q8_OK) s = q8_tensor_check(m, p->multiplier_tensor, Q8_TENSOR_MULTIPLIER, (uint64_t)p->out.c, next_tensor);
    if (s == Q8_OK) s = q8_tensor_check(m, p->shift_tensor, Q8_TENSOR_SHIFT, (uint64_t)p->out.c, next_tensor);
    if (s == Q8_OK && p->pad_value_tensor != Q8_NO_TENSOR) {
        s = q8_tensor_check(m, p->pad_value_tensor, Q8_TENSOR_PAD_VALUES, (uint64_t)p->in.c, next_tensor);
    }
    /* The float32 weight scales the multipliers were derived from, or NONE where the multipliers
     * determine them: checked for size, never read. */
    if (s == Q8_OK && p->weight_scales_tensor != Q8_NO_TENSOR) {
        s = q8_tensor_check(m, p->weight_scales_tensor, Q8_TENSOR_WEIGHT_SCALES, (uint64_t)p->out.c, next_tensor);
    }
    if (s != Q8_OK) return s;
    if (p->input_zp != in.zero_point || p->output_zp != out.zero_point) return Q8_ERR_PARAM;
    if (!q8_clamp_ok(p->act_min, p->act_max)) return Q8_ERR_PARAM;
    for (oc = 0; oc < p->out.c; ++oc) {
        if (!q8_multiplier_ok(q8_i32(p->multiplier + 4 * oc), p->shift[oc])) return Q8_ERR_PARAM;
    }
    /* Accumulator bound: |bias| + D · Σ|w| ≤ Q8_LIMIT_ACCUMULATOR with D the largest |x − input_zp|. */
    d = p->input_zp < 0 ? 127 - (int64_t)p->input_zp : 128 + (int64_t)p->input_zp;
    for (oc = 0; oc < p->out.c; ++oc) {
        const int64_t bias = q8_i32(p->bias + 4 * oc);
        int64_t sum = 0, k;
        for (k = 0; k < per_channel; ++k) {
            const int32_t w = q8_conv_weight(p, (int32_t)(per_channel * oc + k));
            sum += w < 0 ? -(int64_t)w : (int64_t)w;
        }
        if ((bias < 0 ? -bias : bias) + d * sum > Q8_LIMIT_ACCUMULATOR) return Q8_ERR_PARAM;
    }
    return Q8_OK;
}

uint32_t q8_conv_scratch(const q8_conv_params *p) {
    const int32_t in_c = p->in.c, taps = p->kernel_h * p->kernel_w;
    if (p->groups == 1 && taps == 1) {
        /* The widened input (4 pixels or 1), then for int4 weights with in_c not a multiple of 8
         * 4 unpacked rows (8-aligned size). */
        const uint32_t rows = p->weight_bits == 4 && in_c % 8 != 0 ? 8u * (uint32_t)((in_c + 1) / 2) : 0u;
        if (in_c > 2304) return 0;
        return (in_c <= 576 ? 8u * (uint32_t)(in_c & ~3) : 2u * (uint32_t)(in_c & ~3)) + rows;
    }
    if (p->groups == 1 && (int64_t)taps * in_c <= 256 && p->kernel_h <= 64) return Q8_SCRATCH_PATCH;
    if (p->groups == in_c && p->groups == p->out.c && in_c >= 4 && taps <= 49) return Q8_SCRATCH_DEPTHWISE;
    return 0;
}

void q8_conv_s8(const q8_conv_params *p, const int8_t *input, int8_t *output) {
    const int32_t in_h = p->in.h, in_w = p->in.w, in_c = p->in.c;
    const int32_t out_h = p->out.h, out_w = p->out.w, out_c = p->out.c;
    const int32_t ic_per_group = in_c / p->groups, oc_per_group = out_c / p->groups;
    const int32_t per_channel = p->kernel_h * p->kernel_w * ic_per_group;
    const int32_t zp = p->input_zp;
    int32_t oy, ox, oc, ky, kx, ic;
    for (oy = 0; oy < out_h; ++oy) {
        const int32_t y0 = oy * p->stride_h - p->pad_top;
        /* Kernel rows inside the input: [ky_begin, ky_end). */
        const int32_t ky_begin = y0 < 0 ? -y0 : 0;
        const int32_t ky_end = in_h - y0 < p->kernel_h ? in_h - y0 : p->kernel_h;
        for (ox = 0; ox < out_w; ++ox) {
            const int32_t x0 = ox * p->stride_w - p->pad_left;
            const int32_t kx_begin = x0 < 0 ? -x0 : 0;
            const int32_t kx_end = in_w - x0 < p->kernel_w ? in_w - x0 : p->kernel_w;
            int8_t *out_pixel = output + (oy * out_w + ox) * out_c;
            for (oc = 0; oc < out_c; ++oc) {
                const int32_t ic0 = (oc / oc_per_group) * ic_per_group;
                const int32_t w = oc * per_channel; /* index of the channel's first weight */
                int32_t acc = q8_i32(p->bias + 4 * oc);
                for (ky = ky_begin; ky < ky_end; ++ky) {
                    for (kx = kx_begin; kx < kx_end; ++kx) {
                        const int8_t *x = input + ((y0 + ky) * in_w + (x0 + kx)) * in_c + ic0;
                        const int32_t wk = w + (ky * p->kernel_w + kx) * ic_per_group;
                        if (p->weight_bits == 4) {
                            for (ic = 0; ic < ic_per_group; ++ic) acc += (x[ic] - zp) * q8_conv_weight(p, wk + ic);
                        } else {
                            const int8_t *wp = p->weights + wk;
                            for (ic = 0; ic < ic_per_group; ++ic) acc += (x[ic] - zp) * wp[ic];
                        }
                    }
                }
                if (p->pad_value != 0) {
                    /* Taps in the padding stand for pad_value[ic]. */
                    for (ky = 0; ky < p->kernel_h; ++ky) {
                        for (kx = 0; kx < p->kernel_w; ++kx) {
                            const int32_t wk = w + (ky * p->kernel_w + kx) * ic_per_group;
                            if (ky >= ky_begin && ky < ky_end && kx >= kx_begin && kx < kx_end) continue;
                            for (ic = 0; ic < ic_per_group; ++ic) acc += (p->pad_value[ic0 + ic] - zp) * q8_conv_weight(p, wk + ic);
                        }
                    }
                }
                out_pixel[oc] = q8_requantize_to_s8(acc, q8_i32(p->multiplier + 4 * oc), p->shift[oc],
                                                    p->output_zp, p->act_min, p->act_max);
            }
        }
    }
}
