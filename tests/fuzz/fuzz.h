/* fuzz.h: shared by the fuzz targets and replay_main.c.
 *
 * Every target defines LLVMFuzzerTestOneInput (libFuzzer's entry point).
 * Each must not leak and must not keep state between inputs that changes
 * what the next input does. When a target checks a property (an oracle)
 * and it does not hold, it calls fuzz_fail, which aborts: a crash is what
 * libFuzzer and the replay both report. */
#ifndef ISOBENCH_FUZZ_H
#define ISOBENCH_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Prints "fuzz: " and the message, then aborts. */
void fuzz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* A temporary file (an anonymous memfd, or an unlinked file in TMPDIR),
 * created on first use: fuzz_file_set writes data as its whole content
 * and returns a path that opens it ("/proc/self/fd/N"). slot picks one
 * of a few independent files. */
const char *fuzz_file_set(int slot, const void *data, size_t size);

#endif
