/* ARM semihosting calls (see semihost.h). Operation numbers and argument blocks follow the ARM
 * semihosting specification; every call traps to the host with `bkpt 0xab` in Thumb state. */
#include "semihost.h"

enum {
    SYS_OPEN = 0x01,
    SYS_CLOSE = 0x02,
    SYS_WRITE0 = 0x04,
    SYS_WRITE = 0x05,
    SYS_READ = 0x06,
    SYS_FLEN = 0x0C,
    SYS_GET_CMDLINE = 0x15,
    SYS_EXIT_EXTENDED = 0x20,
};

/** ADP_Stopped_ApplicationExit: the reason code for a normal program exit. */
static const uint32_t application_exit = 0x20026;

/** Traps to the host with operation `op` and argument block `argument`; returns the host's r0. */
static int32_t semihost_call(int32_t op, const void *argument) {
    register int32_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = argument;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

static size_t string_length(const char *text) {
    size_t length = 0;
    while (text[length] != '\0') {
        length++;
    }
    return length;
}

int32_t sh_open(const char *path, int32_t mode) {
    const uint32_t block[3] = {(uint32_t)(uintptr_t)path, (uint32_t)mode, (uint32_t)string_length(path)};
    return semihost_call(SYS_OPEN, block);
}

int32_t sh_close(int32_t handle) {
    const uint32_t block[1] = {(uint32_t)handle};
    return semihost_call(SYS_CLOSE, block);
}

/* SYS_READ and SYS_WRITE return the number of bytes NOT transferred; the host may transfer a
 * file in several pieces, so both loop until everything is moved or no progress is made. */

int32_t sh_read_all(int32_t handle, void *buffer, size_t length) {
    uint8_t *bytes = buffer;
    while (length > 0) {
        const uint32_t block[3] = {(uint32_t)handle, (uint32_t)(uintptr_t)bytes, (uint32_t)length};
        const int32_t not_read = semihost_call(SYS_READ, block);
        if (not_read < 0 || (size_t)not_read >= length) {
            return -1;
        }
        bytes += length - (size_t)not_read;
        length = (size_t)not_read;
    }
    return 0;
}

int32_t sh_write_all(int32_t handle, const void *buffer, size_t length) {
    const uint8_t *bytes = buffer;
    while (length > 0) {
        const uint32_t block[3] = {(uint32_t)handle, (uint32_t)(uintptr_t)bytes, (uint32_t)length};
        const int32_t not_written = semihost_call(SYS_WRITE, block);
        if (not_written < 0 || (size_t)not_written >= length) {
            return -1;
        }
        bytes += length - (size_t)not_written;
        length = (size_t)not_written;
    }
    return 0;
}

int32_t sh_file_length(int32_t handle) {
    const uint32_t block[1] = {(uint32_t)handle};
    return semihost_call(SYS_FLEN, block);
}

int32_t sh_command_line(char *buffer, size_t capacity) {
    uint32_t block[2] = {(uint32_t)(uintptr_t)buffer, (uint32_t)capacity};
    if (capacity == 0 || semihost_call(SYS_GET_CMDLINE, block) != 0 || block[1] >= capacity) {
        return -1;
    }
    buffer[block[1]] = '\0';
    return 0;
}

void sh_print(const char *text) {
    semihost_call(SYS_WRITE0, text);
}

void sh_print_u64(uint64_t value) {
    char digits[21];
    size_t at = sizeof digits - 1;
    digits[at] = '\0';
    do {
        digits[--at] = (char)('0' + value % 10u);
        value /= 10u;
    } while (value != 0);
    sh_print(&digits[at]);
}

void sh_print_hex(uint32_t value) {
    static const char hex[] = "0123456789abcdef";
    char text[11];
    text[0] = '0';
    text[1] = 'x';
    for (int digit = 0; digit < 8; digit++) {
        text[2 + digit] = hex[(value >> (28 - 4 * digit)) & 0xFu];
    }
    text[10] = '\0';
    sh_print(text);
}

void sh_exit(int32_t status) {
    const uint32_t block[2] = {application_exit, (uint32_t)status};
    for (;;) {
        semihost_call(SYS_EXIT_EXTENDED, block);
    }
}
