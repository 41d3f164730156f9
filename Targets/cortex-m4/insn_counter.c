/* Instruction counting with two board timers in -icount virtual time (see insn_counter.h).
 * Registers: CMSDK APB timer CTRL (bit 0 enable), VALUE, RELOAD; CMSDK dual timer 1 LOAD, VALUE,
 * CONTROL (bit 7 enable, bit 6 periodic = 0: free-running, bit 5 interrupt = 0, bits 3:2
 * prescale, 2 = divide by 256, bit 1 32-bit counter). */
#include "insn_counter.h"

#define TIMER0_CTRL (*(volatile uint32_t *)0x40000000u)
#define TIMER0_VALUE (*(volatile uint32_t *)0x40000004u)
#define TIMER0_RELOAD (*(volatile uint32_t *)0x40000008u)
#define DUALTIMER1_LOAD (*(volatile uint32_t *)0x40002000u)
#define DUALTIMER1_VALUE (*(volatile uint32_t *)0x40002004u)
#define DUALTIMER1_CONTROL (*(volatile uint32_t *)0x40002008u)

/** Virtual nanoseconds per instruction (-icount shift=7) and per tick of each timer. */
#define NS_PER_INSTRUCTION 128u
#define NS_PER_FINE_TICK 40u
#define INSTRUCTIONS_PER_COARSE_TICK (256u * NS_PER_FINE_TICK / NS_PER_INSTRUCTION)
/** Instructions in one full 2^32-tick period of timer 0 (an integer: 2^32 × 40 / 128). */
#define INSTRUCTIONS_PER_FINE_WRAP ((UINT64_C(1) << 32) * NS_PER_FINE_TICK / NS_PER_INSTRUCTION)

void insn_counter_init(void) {
    TIMER0_CTRL = 0;
    TIMER0_RELOAD = 0xFFFFFFFFu;
    TIMER0_VALUE = 0xFFFFFFFFu;
    TIMER0_CTRL = 1u;
    DUALTIMER1_CONTROL = 0;
    DUALTIMER1_LOAD = 0xFFFFFFFFu;
    DUALTIMER1_CONTROL = (1u << 7) | (2u << 2) | (1u << 1);
}

insn_stamp insn_counter_now(void) {
    insn_stamp stamp;
    stamp.fine = TIMER0_VALUE;
    stamp.coarse = DUALTIMER1_VALUE;
    return stamp;
}

uint64_t insn_counter_elapsed(insn_stamp from, insn_stamp to) {
    const uint64_t fine_ticks = (uint32_t)(from.fine - to.fine);
    const uint64_t within_wrap = (fine_ticks * NS_PER_FINE_TICK + NS_PER_INSTRUCTION / 2u) / NS_PER_INSTRUCTION;
    const uint64_t approximate = (uint64_t)(uint32_t)(from.coarse - to.coarse) * INSTRUCTIONS_PER_COARSE_TICK;
    /* The number of timer 0 wraps that brings the exact count nearest the coarse one. */
    uint64_t wraps = 0;
    if (approximate + INSTRUCTIONS_PER_FINE_WRAP / 2u > within_wrap) {
        wraps = (approximate + INSTRUCTIONS_PER_FINE_WRAP / 2u - within_wrap) / INSTRUCTIONS_PER_FINE_WRAP;
    }
    return within_wrap + wraps * INSTRUCTIONS_PER_FINE_WRAP;
}
