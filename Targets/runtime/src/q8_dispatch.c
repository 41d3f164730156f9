/*
 * The dispatch hooks of q8_run, portable version: each calls the portable kernel. A port with
 * faster kernels links its own copy of these functions instead of this file
 * (Targets/cortex-m4/kernels/q8_dispatch_m4.c).
 */
#include "q8_internal.h"

void q8_conv_dispatch(const q8_conv_params *p, const int8_t *input, int8_t *output) {
    if (p->groups == p->in.c && p->groups == p->out.c) {
        q8_depthwise_conv_s8(p, input, output);
    } else {
        q8_conv_s8(p, input, output);
    }
}

void q8_lookup_dispatch(const q8_lookup_params *p, const int8_t *input, int8_t *output) {
    q8_lookup_s8(p, input, output);
}

void q8_hard_swish_dispatch(const q8_hard_swish_params *p, const int8_t *input, int8_t *output) {
    q8_hard_swish_s8(p, input, output);
}

void q8_add_dispatch(const q8_add_params *p, const int8_t *input1, const int8_t *input2, int8_t *output) {
    q8_add_s8(p, input1, input2, output);
}

void q8_mul_dispatch(const q8_mul_params *p, const int8_t *input, const int8_t *gate, int8_t *output) {
    q8_mul_s8(p, input, gate, output);
}

void q8_global_avg_pool_dispatch(const q8_requant *r, q8_shape in, const int8_t *input, int8_t *output) {
    q8_global_avg_pool_s8(r, in, input, output);
}
