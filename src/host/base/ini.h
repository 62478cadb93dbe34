/* ini: the INI files isobench reads besides plans (an application's
 * manifest, compare's thresholds), walked line by line: "[section]"
 * headers, "key = value" lines, blank lines and comments (';' or '#' at
 * the start). The bytes are untrusted (a file anyone may hand over):
 * a NUL byte, a line over 4096 bytes, or a line that is neither is an
 * error naming source:line; the handler judges the names and values.
 * Fuzzed through its users (tests/fuzz/fuzz_app_image.c,
 * fuzz_thresholds.c). */
#ifndef ISOBENCH_INI_H
#define ISOBENCH_INI_H

#include <stddef.h>

#include "base/util.h"

/* Called for each header (key and value NULL: section is the name between
 * the brackets, trimmed) and each key = value line (section is the last
 * header's name, or NULL before any); key and value trimmed. Returns 0
 * to go on, or < 0 with err set (naming source:line) to stop. */
typedef int (*ib_ini_fn)(void *arg, const char *section, const char *key,
			 const char *value, const char *source, int line,
			 struct ib_err *err);

/* Walks text[0..len) (source names it in errors). 0, or the first error. */
int ib_ini_walk(const char *text, size_t len, const char *source,
		ib_ini_fn fn, void *arg, struct ib_err *err);

#endif
