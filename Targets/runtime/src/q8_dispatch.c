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

void q8_hard_swish_dispatch(const q8_hard_swish_params *p, const int8_t *input, int8_t *output) {
    q8_hard_swish_s8(p, input, output);
}
