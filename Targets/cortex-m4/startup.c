/*
 * Reset and fault handling for the mps2-an386 board (Cortex-M4): the vector table, a reset handler
 * that copies .data from flash, zeroes .bss and calls main(), and one handler for every fault and
 * unexpected exception that reports it through semihosting. Nothing else is enabled: the FPU
 * stays off (CPACR untouched), so a stray floating-point instruction traps as a UsageFault.
 */
#include <stdint.h>

#include "semihost.h"

/* Symbols from mps2_an386.ld. */
extern uint32_t __stack_top[];
extern uint32_t __data_load[];
extern uint32_t __data_start[];
extern uint32_t __data_end[];
extern uint32_t __bss_start[];
extern uint32_t __bss_end[];

int main(void);
void Reset_Handler(void) __attribute__((noreturn));
void Fault_Handler(void) __attribute__((noreturn));

/** Exit status of the emulation when the firmware faults. */
enum { FAULT_EXIT_STATUS = 70 };

void Reset_Handler(void) {
    const uint32_t *from = __data_load;
    for (uint32_t *to = __data_start; to < __data_end; to++) {
        *to = *from++;
    }
    for (uint32_t *word = __bss_start; word < __bss_end; word++) {
        *word = 0;
    }
    sh_exit(main());
}

/** Configurable Fault Status Register, Hard Fault Status Register and fault address registers. */
#define SCB_CFSR (*(volatile const uint32_t *)0xE000ED28u)
#define SCB_HFSR (*(volatile const uint32_t *)0xE000ED2Cu)
#define SCB_MMFAR (*(volatile const uint32_t *)0xE000ED34u)
#define SCB_BFAR (*(volatile const uint32_t *)0xE000ED38u)

/** Reports the exception number, fault status registers and the faulting pc, then exits.
 * `frame` is the exception frame the hardware pushed: r0-r3, r12, lr, pc, xPSR. */
void fault_report(const uint32_t *frame) __attribute__((noreturn, used));
void fault_report(const uint32_t *frame) {
    uint32_t exception;
    __asm__ volatile("mrs %0, ipsr" : "=r"(exception));
    sh_print("m4run: exception ");
    sh_print_u64(exception & 0x1FFu);
    sh_print(" CFSR=");
    sh_print_hex(SCB_CFSR);
    sh_print(" HFSR=");
    sh_print_hex(SCB_HFSR);
    sh_print(" MMFAR=");
    sh_print_hex(SCB_MMFAR);
    sh_print(" BFAR=");
    sh_print_hex(SCB_BFAR);
    sh_print(" pc=");
    sh_print_hex(frame[6]);
    sh_print("\n");
    sh_exit(FAULT_EXIT_STATUS);
}

/* Hands the main stack pointer (where the exception frame is; the process stack is never used)
 * to fault_report before the compiler can push anything. */
__attribute__((naked)) void Fault_Handler(void) {
    __asm__ volatile("mrs r0, msp\n\tb fault_report");
}

/**
 * The Cortex-M4 vector table: initial stack pointer, then the 15 system exceptions. The board's
 * external interrupts are never enabled, so the table stops there.
 */
__attribute__((section(".vectors"), used)) static const uintptr_t vector_table[16] = {
    (uintptr_t)__stack_top,
    (uintptr_t)Reset_Handler,
    (uintptr_t)Fault_Handler, /* NMI */
    (uintptr_t)Fault_Handler, /* HardFault */
    (uintptr_t)Fault_Handler, /* MemManage */
    (uintptr_t)Fault_Handler, /* BusFault */
    (uintptr_t)Fault_Handler, /* UsageFault */
    0, 0, 0, 0,
    (uintptr_t)Fault_Handler, /* SVCall */
    (uintptr_t)Fault_Handler, /* DebugMonitor */
    0,
    (uintptr_t)Fault_Handler, /* PendSV */
    (uintptr_t)Fault_Handler, /* SysTick */
};
