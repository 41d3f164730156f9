#ifndef Q8_H
#define Q8_H
#include <stdint.h>
/* Placeholder, replaced by the runtime. */
int32_t q8_requantize(int32_t acc, int32_t multiplier, int32_t shift);
#endif
