#ifndef M4_INSN_COUNTER_H
#define M4_INSN_COUNTER_H
/*
 * Exact, deterministic instruction counting on QEMU's mps2-an386, run with `-icount shift=7`
 * (run_qemu.sh): QEMU then advances virtual time by exactly 2^7 = 128 ns per executed instruction,
 * whatever the host does. Two board timers count that virtual time:
 *   - CMSDK APB timer 0 (0x40000000) at the 25 MHz peripheral clock, one tick per 40 ns. A tick is
 *     shorter than an instruction, so ticks × 40 / 128 rounded is the exact instruction count
 *     (the rounding error is below 40/128 of an instruction), modulo one 32-bit wrap of the timer,
 *     that is 2^32 × 40 / 128 = 1,342,177,280 instructions;
 *   - dual timer 1 (0x40002000) at 25 MHz / 256, one tick per 80 instructions, which only decides
 *     how many times timer 0 wrapped (it wraps after about 3.4e11 instructions).
 * With another -icount shift, or without -icount, the counts mean nothing.
 */
#include <stdint.h>

/** A reading of both timers. */
typedef struct insn_stamp {
    uint32_t fine;   /**< timer 0, counting down every 40 ns */
    uint32_t coarse; /**< dual timer 1, counting down every 10,240 ns */
} insn_stamp;

/** Starts both timers free-running down from 0xffffffff, without interrupts. */
void insn_counter_init(void);

/** Reads both timers. */
insn_stamp insn_counter_now(void);

/** Instructions executed between two readings (`from` taken first). */
uint64_t insn_counter_elapsed(insn_stamp from, insn_stamp to);

#endif
