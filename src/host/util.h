/* util: what every host module needs: the error struct, allocation that
 * cannot return NULL, a growable string, clocks, and files written whole.
 *
 * Errors: functions return a negative errno (or -1) and fill a struct
 * ib_err with one line that names what and where; only the CLI prints it.
 * Memory: a function returning a pointer says who frees it. */
#ifndef ISOBENCH_UTIL_H
#define ISOBENCH_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct ib_err {
	int code;       /* negative errno, or -1 */
	char msg[1024]; /* one line, no trailing newline */
};

/* Sets err (if not NULL) and returns code, so callers can
 * `return ib_err_set(err, -EINVAL, "...")`. */
int ib_err_set(struct ib_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Prepends "context: " to an error already set. */
int ib_err_wrap(struct ib_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Allocation failure in the host tool is fatal (a message and exit 3): no
 * caller could do better, and it keeps every path simple. */
void *ib_xmalloc(size_t n);
void *ib_xcalloc(size_t n, size_t size);
void *ib_xrealloc(void *p, size_t n);
char *ib_xstrdup(const char *s);
char *ib_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A growable NUL-terminated string. */
struct ib_buf {
	char *s;
	size_t len, cap;
};
void ib_buf_put(struct ib_buf *b, const char *s, size_t n);
void ib_buf_puts(struct ib_buf *b, const char *s);
void ib_buf_printf(struct ib_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void ib_buf_vprintf(struct ib_buf *b, const char *fmt, va_list ap);
void ib_buf_free(struct ib_buf *b);

/* A growable array of owned strings. */
struct ib_strv {
	char **v;
	int n, cap;
};
void ib_strv_push(struct ib_strv *sv, const char *s); /* copies s */
void ib_strv_push_owned(struct ib_strv *sv, char *s);
int ib_strv_find(const struct ib_strv *sv, const char *s);
void ib_strv_free(struct ib_strv *sv);
/* Splits s at commas (trimming blanks, dropping empty items) into sv. */
void ib_strv_split(struct ib_strv *sv, const char *s);

uint64_t ib_mono_ns(void);
/* "2026-11-25T22:03:18Z" into buf (>= 32 bytes). */
void ib_utc_iso8601(char *buf, size_t cap);

/* Reads a whole file into a NUL-terminated string (caller frees);
 * *len gets its length if not NULL. NULL with err set on failure. */
char *ib_read_file(const char *path, size_t *len, struct ib_err *err);
/* Writes data to path atomically (temp file in the same directory, fsync,
 * rename), so a reader never sees half a file. */
int ib_write_file_atomic(const char *path, const char *data, size_t len,
			 struct ib_err *err);
/* mkdir -p. */
int ib_mkdirs(const char *path, int mode, struct ib_err *err);
/* Removes a directory tree (only what is below path, no symlink
 * following). Returns 0 or -errno. */
int ib_rmtree(const char *path);
/* Detaches every mount at or below path (deepest first): what a daemon
 * isobench started (dockerd bind-mounts its data root) leaves behind if it
 * dies. Returns how many it detached. */
int ib_unmount_under(const char *path);

/* Path of program name on $PATH (a name with a '/' is taken as it is),
 * or NULL. Caller frees. */
char *ib_which(const char *name);

/* Trims leading and trailing blanks in place; returns s. */
char *ib_trim(char *s);
int ib_streq(const char *a, const char *b);

#define IB_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
