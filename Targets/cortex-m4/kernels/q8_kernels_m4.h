/*
 * Optimized Cortex-M4 kernels. Each takes the portable kernel's parameter struct and gives exactly
 * the bytes of the portable kernel for the shapes its *_fits function accepts; q8_dispatch_m4.c
 * decides which kernel runs.
 */
#ifndef Q8_KERNELS_M4_H
#define Q8_KERNELS_M4_H

#include "q8_internal.h"

/** Whether q8_conv_1x1_s8_m4 handles p: 1×1 kernel, groups == 1 (any stride; 1×1 has no padding). */
int q8_conv_1x1_s8_m4_fits(const q8_conv_params *p);

/** 1×1 convolution / fully connected: 2 output channels × 2 pixels per inner loop. */
void q8_conv_1x1_s8_m4(const q8_conv_params *p, const int8_t *input, int8_t *output);

/** Taps (kernel_h·kernel_w·in_c) q8_conv_patch_s8_m4 takes at most: its stack buffer is twice this in bytes. */
#define Q8_M4_PATCH_MAX 256

/** Whether q8_conv_patch_s8_m4 handles p: groups == 1 and at most Q8_M4_PATCH_MAX taps. */
int q8_conv_patch_s8_m4_fits(const q8_conv_params *p);

/** Convolution with groups == 1 through a per-pixel int16 window buffer: 2 output channels per inner loop. */
void q8_conv_patch_s8_m4(const q8_conv_params *p, const int8_t *input, int8_t *output);

/** Taps (kernel_h·kernel_w) q8_depthwise_conv_s8_m4 takes at most: its stack buffer is 8 bytes per tap. */
#define Q8_M4_DEPTHWISE_TAPS_MAX 49

/** Whether q8_depthwise_conv_s8_m4 handles p: depthwise, at least 4 channels, ≤ Q8_M4_DEPTHWISE_TAPS_MAX taps. */
int q8_depthwise_conv_s8_m4_fits(const q8_conv_params *p);

/** Depthwise convolution, 4 channels per inner loop (SXTAB16 + SMLABB/SMLATT). */
void q8_depthwise_conv_s8_m4(const q8_conv_params *p, const int8_t *input, int8_t *output);

/** Whether q8_hard_swish_s8_m4 pays off: more than 256 elements. */
int q8_hard_swish_s8_m4_fits(const q8_hard_swish_params *p);

/** HARD_SWISH / HARD_SIGMOID through a 256-entry table built with q8_hard_swish_s8. */
void q8_hard_swish_s8_m4(const q8_hard_swish_params *p, const int8_t *input, int8_t *output);

#endif /* Q8_KERNELS_M4_H */
