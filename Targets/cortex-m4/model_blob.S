/*
 * Links the model blob into flash (section .model_blob, placed by mps2_an386.ld), so that the
 * runtime reads weights in place instead of copying them to SRAM. The Makefile passes the blob's
 * path as Q8_BLOB_FILE (a quoted string), and Q8_BLOB_LARGE for a blob over 3.5 MB, which goes
 * to PSRAM (section .model_blob_large) instead of the 4 MB flash. Exposes q8_model_blob (16-byte aligned) and
 * q8_model_blob_size (a uint32_t).
 */
#ifdef Q8_BLOB_LARGE
    .section .model_blob_large, "a"
#else
    .section .model_blob, "a"
#endif
    .balign 16
    .global q8_model_blob
q8_model_blob:
    .incbin Q8_BLOB_FILE
q8_model_blob_end:

    .section .rodata.q8_model_blob_size, "a"
    .balign 4
    .global q8_model_blob_size
q8_model_blob_size:
    .word q8_model_blob_end - q8_model_blob
