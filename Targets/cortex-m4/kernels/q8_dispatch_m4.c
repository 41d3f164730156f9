/*
 * The dispatch hooks of q8_run for the Cortex-M4 (this file replaces Targets/runtime/src/
 * q8_dispatch.c in this port's build): the optimized kernel when the shape fits, else the portable
 * one.
 *   CONV 1×1, groups == 1 (pointwise, fully connected)  → q8_conv_1x1_s8_m4
 *   other CONV, groups == 1, ≤ 256 taps, ≤ 64 rows      → q8_conv_patch_s8_m4
 *   CONV depthwise, ≥ 4 channels, ≤ 49 taps             → q8_depthwise_conv_s8_m4
 *   other depthwise (groups == in_c == out_c)            → q8_depthwise_conv_s8 (portable)
 *   any other CONV                                       → q8_conv_s8 (portable)
 *   HARD_SWISH                                           → q8_hard_swish_s8_m4 (table over 256 elements)
 *   LOOKUP                                               → q8_lookup_s8_m4 (four elements a word)
 *   ADD over > 256 elements                              → q8_add_s8_m4 (tables)
 *   shorter ones                                         → q8_add_s8 (portable)
 *   MUL                                                  → q8_mul_s8_m4
 *   GLOBAL_AVG_POOL                                      → q8_global_avg_pool_s8_m4
 */
#include "q8_kernels_m4.h"

void q8_conv_dispatch(const q8_conv_params *p, const int8_t *input, int8_t *output) {
    if (q8_conv_1x1_s8_m4_fits(p)) {
        q8_conv_1x1_s8_m4(p, input, output);
    } else if (q8_conv_patch_s8_m4_fits(p)) {
        q8_conv_patch_s8_m4(p, input, output);
    } else if (q8_depthwise_conv_s8_m4_fits(p)) {
        q8_depthwise_conv_s8_m4(p, input, output);
    } else if (p->groups == p->in.c && p->groups == p->out.c) {
        q8_depthwise_conv_s8(p, input, output);
    } else {
        q8_conv_s8(p, input, output);
    }
}

void q8_hard_swish_dispatch(const q8_hard_swish_params *p, const int8_t *input, int8_t *output) {
    q8_hard_swish_s8_m4(p, input, output);
}

void q8_lookup_dispatch(const q8_lookup_params *p, const int8_t *input, int8_t *output) {
    q8_lookup_s8_m4(p, input, output);
}

void q8_add_dispatch(const q8_add_params *p, const int8_t *input1, const int8_t *input2, int8_t *output) {
    if (q8_add_s8_m4_fits(p)) {
        q8_add_s8_m4(p, input1, input2, output);
    } else {
        q8_add_s8(p, input1, input2, output);
    }
}

void q8_mul_dispatch(const q8_mul_params *p, const int8_t *input, const int8_t *gate, int8_t *output) {
    q8_mul_s8_m4(p, input, gate, output);
}

void q8_global_avg_pool_dispatch(const q8_requant *r, q8_shape in, const int8_t *input, int8_t *output) {
    q8_global_avg_pool_s8_m4(r, in, input, output);
}
