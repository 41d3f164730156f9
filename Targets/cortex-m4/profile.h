#ifndef M4_PROFILE_H
#define M4_PROFILE_H
/*
 * Per-kernel instruction profile (profile.c), linked only into build/m4run-profile.elf
 * (`make profile`), where m4run.c is compiled with -DM4_PROFILE.
 */
#include <stdint.h>

/**
 * Prints, per kernel the runtime called, calls, instructions and share per image, and for
 * convolutions their multiply-accumulates and instructions per MAC; `images` is how many
 * inferences the totals cover.
 */
void profile_report(uint32_t images);

#endif
