/* fuzz_argv_file: a command-line file (src/common/argv_file.c), which the
 * probe reads inside the instance before it starts an application's
 * server (workload serve).
 *
 * Oracles: a file accepted gives 1 to IB_ARGV_FILE_MAX arguments, none
 * empty or longer than IB_ARGV_FILE_ARG_MAX or holding a newline, the
 * first an absolute path, argv NULL-terminated; writing them back
 * (ib_argv_file_format) gives the very bytes read; a file refused has a
 * message. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "common/argv_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *argv[IB_ARGV_FILE_MAX + 1];
	char why[160] = "", *again;
	int argc;

	if (!text)
		return 0;
	if (size)
		memcpy(text, data, size);
	argc = ib_argv_file_parse(text, size, argv, IB_ARGV_FILE_MAX + 1, why,
				  sizeof(why));
	if (argc < 0) {
		if (!why[0])
			fuzz_fail("refused without a message");
		free(text);
		return 0;
	}
	if (argc < 1 || argc > IB_ARGV_FILE_MAX || argv[argc] != NULL)
		fuzz_fail("%d arguments, or argv not NULL-terminated", argc);
	if (argv[0][0] != '/')
		fuzz_fail("the command '%s' is not an absolute path", argv[0]);
	for (int i = 0; i < argc; i++) {
		size_t n = strlen(argv[i]);

		if (n == 0 || n > IB_ARGV_FILE_ARG_MAX || strchr(argv[i], '\n'))
			fuzz_fail("argument %d is empty, too long or has a "
				  "newline", i);
	}
	again = ib_argv_file_format(argv, argc, why, sizeof(why));
	if (!again)
		fuzz_fail("an accepted file cannot be written back: %s", why);
	if (strlen(again) != size || memcmp(again, data, size) != 0)
		fuzz_fail("written back, the file differs from what was read");
	free(again);
	free(text);
	return 0;
}
