#ifndef M4_SEMIHOST_H
#define M4_SEMIHOST_H
/*
 * ARM semihosting for the Cortex-M4 port: file and console I/O through the debugger (here QEMU,
 * started with -semihosting-config enable=on,target=native). Each call is a `bkpt 0xab` with the
 * operation number in r0 and a pointer to its argument block in r1 (ARM "Semihosting for AArch32
 * and AArch64", v2). Only the operations the m4run firmware needs are wrapped.
 */
#include <stddef.h>
#include <stdint.h>

/** Open modes of SYS_OPEN (the ISO C fopen modes "rb" and "wb"). */
enum { SH_MODE_READ_BINARY = 1, SH_MODE_WRITE_BINARY = 5 };

/** Opens `path` on the host; returns a handle >= 0, or -1 on failure. */
int32_t sh_open(const char *path, int32_t mode);

/** Closes a handle returned by sh_open; returns 0 on success. */
int32_t sh_close(int32_t handle);

/** Reads exactly `length` bytes; returns 0 on success, -1 if fewer bytes were available. */
int32_t sh_read_all(int32_t handle, void *buffer, size_t length);

/** Writes exactly `length` bytes; returns 0 on success, -1 on a short write. */
int32_t sh_write_all(int32_t handle, const void *buffer, size_t length);

/** Length in bytes of the open file `handle`, or -1 if it is unknown. */
int32_t sh_file_length(int32_t handle);

/**
 * Copies the command line QEMU was given (its -semihosting-config arg=... values joined by
 * spaces) into `buffer` of `capacity` bytes, NUL-terminated. Returns 0, or -1 if it does not fit.
 */
int32_t sh_command_line(char *buffer, size_t capacity);

/** Writes a NUL-terminated string to the host's standard output. */
void sh_print(const char *text);

/** Writes `value` in decimal to the host's standard output. */
void sh_print_u64(uint64_t value);

/** Writes `value` as 0x-prefixed hexadecimal (8 digits) to the host's standard output. */
void sh_print_hex(uint32_t value);

/** Ends the emulation with exit status `status` (SYS_EXIT_EXTENDED); never returns. */
void sh_exit(int32_t status) __attribute__((noreturn));

#endif
