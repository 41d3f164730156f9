#include "q8.h"
int32_t q8_requantize(int32_t acc, int32_t multiplier, int32_t shift) { (void)multiplier; (void)shift; return acc; }
