/*
 * LOOKUP: any element-wise function of one int8 value (sigmoid, SiLU, tanh, GELU, …), tabulated at
 * conversion on the input and output grids (Docs/ARITHMETIC.md, "Lookup table"):
 *   out = table[q + 128]
 * The table is a 256-byte TABLE tensor of the blob; no arithmetic happens here.
 */
#include "q8_internal.h"

void q8_lookup_get(const q8_model *m, const q8_op *op, q8_params *params) {
    q8_lookup_params *p = &params->lookup;
    p->count = q8_shape_count(q8_op_out(m, op).shape);
    p->table_tensor = (uint32_t)q8_op_param(op, 0);
    p->table = (const int8_t *)q8_tensor_data(m, p->table_tensor);
}

q8_status q8_lookup_check(const q8_model *m, const q8_op *op, const q8_params *params, uint32_t *next_tensor) {
    const q8_lookup_params *p = &params->lookup;
    if (!q8_shape_eq(q8_op_in(m, op, 0).shape, q8_op_out(m, op).shape)) return Q8_ERR_SHAPE;
    return q8_tensor_check(m, p->table_tensor, Q8_TENSOR_TABLE, 256u, next_tensor);
}

void q8_lookup_s8(const q8_lookup_params *p, const int8_t *input, int8_t *output) {
    int32_t i;
    for (i = 0; i < p->count; ++i) output[i] = p->table[input[i] + 128];
}
