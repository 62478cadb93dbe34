/* argv_file: a command line kept in a file, one argument per line.
 *
 * An application's server is started by the probe inside the instance
 * (workload `serve`), from a command line that isobench writes into the
 * application's image or the run's work directory (ib_argv_file_format)
 * and the probe reads back (ib_argv_file_parse). A file, not a parameter:
 * the arguments are paths and words of any kind (nginx's `-g "daemon
 * off;"`), which key=value parameters are not made for. libc-only: the
 * probe links it.
 *
 * The format: each argument on a line of its own, every line ended by a
 * newline; no empty line, no NUL byte, at most IB_ARGV_FILE_MAX arguments
 * of at most IB_ARGV_FILE_ARG_MAX bytes; the first one an absolute path
 * (the probe execs it as it is, without a search). */
#ifndef ISOBENCH_ARGV_FILE_H
#define ISOBENCH_ARGV_FILE_H

#include <stddef.h>

#define IB_ARGV_FILE_MAX 64
#define IB_ARGV_FILE_ARG_MAX 1024

/* Splits text[0..len) (text[len] must be writable: it becomes a NUL) in
 * place into argv[0..cap), NULL-terminated, so cap must leave room for
 * the NULL. Returns the number of arguments, or -1 with why filled in
 * (what is wrong and on which line). */
int ib_argv_file_parse(char *text, size_t len, char **argv, int cap, char *why,
		       size_t whylen);

/* The file's text for argv[0..argc), or NULL with why filled in if an
 * argument cannot be written in this format. Free it. */
char *ib_argv_file_format(char *const *argv, int argc, char *why,
			  size_t whylen);

#endif
