/* argv_file: see argv_file.h. */
#include "argv_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ib_argv_file_parse(char *text, size_t len, char **argv, int cap, char *why,
		       size_t whylen)
{
	int argc = 0, line = 1;
	size_t at = 0;

	if (memchr(text, '\0', len)) {
		for (size_t i = 0; i < len && text[i]; i++)
			line += text[i] == '\n';
		snprintf(why, whylen, "line %d: a NUL byte", line);
		return -1;
	}
	if (len == 0) {
		snprintf(why, whylen, "empty: no command");
		return -1;
	}
	if (text[len - 1] != '\n') {
		snprintf(why, whylen, "the last line has no newline (cut short?)");
		return -1;
	}
	text[len] = '\0';
	while (at < len) {
		char *nl = memchr(text + at, '\n', len - at);
		size_t n = (size_t)(nl - (text + at));

		if (n == 0) {
			snprintf(why, whylen, "line %d: empty", line);
			return -1;
		}
		if (n > IB_ARGV_FILE_ARG_MAX) {
			snprintf(why, whylen, "line %d: longer than %d bytes",
				 line, IB_ARGV_FILE_ARG_MAX);
			return -1;
		}
		if (argc >= IB_ARGV_FILE_MAX || argc + 1 >= cap) {
			snprintf(why, whylen, "line %d: more than %d arguments",
				 line, argc);
			return -1;
		}
		*nl = '\0';
		argv[argc++] = text + at;
		at += n + 1;
		line++;
	}
	if (argv[0][0] != '/') {
		snprintf(why, whylen, "line 1: '%.64s' is not an absolute path",
			 argv[0]);
		return -1;
	}
	argv[argc] = NULL;
	return argc;
}

char *ib_argv_file_format(char *const *argv, int argc, char *why,
			  size_t whylen)
{
	size_t len = 0, at = 0;
	char *text;

	if (argc < 1 || argc > IB_ARGV_FILE_MAX) {
		snprintf(why, whylen, "%d arguments: 1 to %d can be written",
			 argc, IB_ARGV_FILE_MAX);
		return NULL;
	}
	if (argv[0][0] != '/') {
		snprintf(why, whylen, "'%.64s' is not an absolute path",
			 argv[0]);
		return NULL;
	}
	for (int i = 0; i < argc; i++) {
		size_t n = strlen(argv[i]);

		if (n == 0 || n > IB_ARGV_FILE_ARG_MAX || strchr(argv[i], '\n')) {
			snprintf(why, whylen, "argument %d is empty, longer "
				 "than %d bytes or holds a newline", i,
				 IB_ARGV_FILE_ARG_MAX);
			return NULL;
		}
		len += n + 1;
	}
	text = malloc(len + 1);
	if (!text) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	for (int i = 0; i < argc; i++) {
		size_t n = strlen(argv[i]);

		memcpy(text + at, argv[i], n);
		text[at + n] = '\n';
		at += n + 1;
	}
	text[at] = '\0';
	return text;
}
