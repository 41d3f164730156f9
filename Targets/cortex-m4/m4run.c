/*
 * m4run: the q8 runtime on an emulated Cortex-M4 (QEMU mps2-an386).
 *
 * The model blob is linked into flash (model_blob.S) and read in place. The semihosting command
 * line is "m4run IMAGES OUT": IMAGES holds raw uint8 HWC images back to back, each
 * q8_input_size() bytes; for every image the firmware runs q8_run() and appends its
 * q8_num_classes() int8 logits to OUT. The instructions q8_run() executes are counted exactly with
 * the board timers (insn_counter.h) and reported on the console with the arena and stack figures;
 * instructions_per_inference is the mean over the images, rounded.
 * Compiled with -DM4_PROFILE (build/m4run-profile.elf), it also prints the per-kernel profile of
 * profile.c.
 *
 * Exit status: 0 every image ran; 1 bad command line or host file I/O; 2 the runtime refused the
 * blob; 3 the arena does not fit in SRAM; 4 q8_run failed; 70 a CPU fault (startup.c).
 */
#include <stdint.h>

#include "insn_counter.h"
#include "q8.h"
#include "semihost.h"
#ifdef M4_PROFILE
#include "profile.h"
#endif

/* model_blob.S */
extern const uint8_t q8_model_blob[];
extern const uint32_t q8_model_blob_size;

/* mps2_an386.ld */
extern uint8_t __arena_start[];
extern uint8_t __arena_end[];
extern uint32_t __stack_bottom[];
extern uint32_t __stack_top[];

enum { EXIT_OK = 0, EXIT_IO = 1, EXIT_BLOB = 2, EXIT_ARENA = 3, EXIT_RUN = 4 };

/** Word written over the unused stack at start-up; the first overwritten word marks the peak. */
#define STACK_PAINT 0x5AC3A5C3u

/** Bytes left unpainted below the stack pointer, for paint_stack()'s own frame. */
#define STACK_PAINT_MARGIN 256u

static void paint_stack(void) {
    uintptr_t sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    for (volatile uint32_t *word = __stack_bottom; (uintptr_t)word < sp - STACK_PAINT_MARGIN; word++) {
        *word = STACK_PAINT;
    }
}

/** Deepest stack use so far, in bytes (from the top of the stack to the lowest overwritten word). */
static uint32_t stack_peak(void) {
    const volatile uint32_t *word = __stack_bottom;
    while (word < __stack_top && *word == STACK_PAINT) {
        word++;
    }
    return (uint32_t)((uintptr_t)__stack_top - (uintptr_t)word);
}

/** Splits `line` in place at spaces into at most `capacity` words; returns the number of words. */
static int split_words(char *line, char **words, int capacity) {
    int count = 0;
    while (*line != '\0') {
        while (*line == ' ') {
            *line++ = '\0';
        }
        if (*line == '\0') {
            break;
        }
        if (count == capacity) {
            return capacity + 1;
        }
        words[count++] = line;
        while (*line != '\0' && *line != ' ') {
            line++;
        }
    }
    return count;
}

static int fail(const char *message, const char *detail, int status) {
    sh_print("m4run: ");
    sh_print(message);
    sh_print(detail);
    sh_print("\n");
    return status;
}

static void print_figure(const char *name, uint64_t value) {
    sh_print(" ");
    sh_print(name);
    sh_print("=");
    sh_print_u64(value);
}

/** Prints the model's name (it is not NUL-terminated in the blob). */
static void print_model_name(const q8_model *model) {
    char name[64];
    uint32_t length = 0;
    const uint8_t *bytes = q8_model_name(model, &length);
    if (bytes == 0) {
        length = 0;
    }
    if (length > sizeof name - 1) {
        length = sizeof name - 1;
    }
    for (uint32_t i = 0; i < length; i++) {
        name[i] = (char)bytes[i];
    }
    name[length] = '\0';
    sh_print(name);
}

static char command_line[2048];

int main(void) {
    paint_stack();

    char *words[3];
    if (sh_command_line(command_line, sizeof command_line) != 0
            || split_words(command_line, words, 3) != 3) {
        return fail("usage: m4run IMAGES OUT (semihosting command line)", "", EXIT_IO);
    }
    const char *images_path = words[1];
    const char *out_path = words[2];

    q8_model model;
    const q8_status loaded = q8_model_init(&model, q8_model_blob, q8_model_blob_size);
    if (loaded != Q8_OK) {
        return fail("the runtime refused the linked blob: ", q8_status_name(loaded), EXIT_BLOB);
    }

    /* SRAM left after the stack, .data and .bss: the input image and logits buffers at its top,
     * everything below them is the arena. */
    const size_t input_size = q8_input_size(&model);
    const size_t num_classes = q8_num_classes(&model);
    const size_t free_sram = (size_t)(__arena_end - __arena_start);
    const size_t buffers = ((input_size + 15u) & ~(size_t)15u) + ((num_classes + 15u) & ~(size_t)15u);
    if (buffers >= free_sram || q8_arena_size(&model) > free_sram - buffers) {
        sh_print("m4run: the model needs an arena of ");
        sh_print_u64(q8_arena_size(&model));
        sh_print(" bytes plus ");
        sh_print_u64(buffers);
        sh_print(" bytes of input/output buffers; SRAM has ");
        sh_print_u64(free_sram);
        sh_print(" bytes free\n");
        return EXIT_ARENA;
    }
    uint8_t *const arena = __arena_start;
    const size_t arena_size = free_sram - buffers;
    uint8_t *const pixels = arena + arena_size;
    int8_t *const logits = (int8_t *)(pixels + ((input_size + 15u) & ~(size_t)15u));

    const int32_t images = sh_open(images_path, SH_MODE_READ_BINARY);
    if (images < 0) {
        return fail("cannot open ", images_path, EXIT_IO);
    }
    const int32_t images_bytes = sh_file_length(images);
    if (images_bytes <= 0 || (size_t)images_bytes % input_size != 0) {
        return fail("image file size is not a positive multiple of the model's input size: ", images_path,
                    EXIT_IO);
    }
    const uint32_t image_count = (uint32_t)((size_t)images_bytes / input_size);
    const int32_t out = sh_open(out_path, SH_MODE_WRITE_BINARY);
    if (out < 0) {
        return fail("cannot create ", out_path, EXIT_IO);
    }

    insn_counter_init();
    uint64_t total = 0, fewest = UINT64_MAX, most = 0;
    for (uint32_t image = 0; image < image_count; image++) {
        if (sh_read_all(images, pixels, input_size) != 0) {
            return fail("short read from ", images_path, EXIT_IO);
        }
        /* pixels → pixel − 128; a model whose input is not pixels (imported from a .tflite) reads
         * the file as its int8 input tensors, left as they are */
        const q8_status converted = q8_input_from_pixels(&model, pixels, input_size, (int8_t *)pixels);
        if (converted != Q8_OK && converted != Q8_ERR_NOT_PIXELS) {
            return fail("q8_input_from_pixels failed: ", q8_status_name(converted), EXIT_RUN);
        }
        const insn_stamp before = insn_counter_now();
        const q8_status ran = q8_run(&model, (const int8_t *)pixels, logits, arena, arena_size);
        const uint64_t instructions = insn_counter_elapsed(before, insn_counter_now());
        if (ran != Q8_OK) {
            return fail("q8_run failed: ", q8_status_name(ran), EXIT_RUN);
        }
        total += instructions;
        fewest = instructions < fewest ? instructions : fewest;
        most = instructions > most ? instructions : most;
        if (sh_write_all(out, logits, num_classes) != 0) {
            return fail("cannot write to ", out_path, EXIT_IO);
        }
    }
    if (sh_close(out) != 0) {
        return fail("cannot close ", out_path, EXIT_IO);
    }
    sh_close(images);

    sh_print("m4run: model ");
    print_model_name(&model);
    sh_print(" blob_in_flash_at=");
    sh_print_hex((uint32_t)(uintptr_t)q8_model_blob);
    print_figure("blob_bytes", q8_model_blob_size);
    print_figure("arena_needed", q8_arena_size(&model));
    print_figure("scratch_bytes", model.scratch_bytes);
    print_figure("scratch_rule", model.scratch_need);
    print_figure("arena_available", arena_size);
    print_figure("input_bytes", input_size);
    print_figure("classes", num_classes);
    sh_print("\nm4run:");
    print_figure("images", image_count);
    print_figure("instructions_per_inference", (total + image_count / 2) / image_count);
    print_figure("min", fewest);
    print_figure("max", most);
    print_figure("stack_peak_bytes", stack_peak());
    sh_print("\n");
#ifdef M4_PROFILE
    profile_report(image_count);
#endif
    return EXIT_OK;
}
