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

#include "common/protocol.h"

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
/* Writes data to path atomically (a new temp file in the same directory,
 * made with O_EXCL|O_NOFOLLOW, fsync, rename), so a reader never sees half
 * a file, and a symlink at path or at a temp name is never followed (one
 * at path is replaced). The file's mode is 0644 less the umask. */
int ib_write_file_atomic(const char *path, const char *data, size_t len,
			 struct ib_err *err);
/* The same with exactly mode (the umask does not apply). */
int ib_write_file_atomic_mode(const char *path, const char *data, size_t len,
			      int mode, struct ib_err *err);
/* mkdir -p. */
int ib_mkdirs(const char *path, int mode, struct ib_err *err);
/* A directory that isobench may trust: path itself (lstat, so not a
 * symlink) is a directory owned by the effective uid and not writable by
 * group or others. 0, or a negative errno with err naming what is wrong. */
int ib_dir_check_private(const char *path, struct ib_err *err);
/* mkdir(path, mode), then ib_dir_check_private. exclusive: an existing
 * path is an error (EEXIST); else an existing one must pass the check.
 * The parent must exist. */
int ib_mkdir_private(const char *path, int mode, int exclusive,
		     struct ib_err *err);
/* A new output directory (a run's, a comparison's): its parents made as
 * needed (mkdir -p), then path itself, exclusively, checked as
 * ib_mkdir_private does (0755). */
int ib_mkdir_new(const char *path, struct ib_err *err);
/* isobench's runtime directory (the registry of runs, locks, sockets,
 * the KVM trial's verdicts): $ISOBENCH_RUNTIME_DIR if set (absolute),
 * else /run/isobench as root, else $XDG_RUNTIME_DIR/isobench, else
 * /tmp/isobench-<uid>. Created 0700 if missing, and refused unless it is a
 * directory of ours that no one else can write (a shared /tmp lets anyone
 * make the name first). Caller frees; NULL with err set on failure. */
char *ib_runtime_dir(struct ib_err *err);
/* Its path only, nothing created or checked (help texts); NULL if
 * $ISOBENCH_RUNTIME_DIR is relative. Caller frees. */
char *ib_runtime_dir_path(void);
/* 0 if path fits a Unix socket's address (107 bytes), else -ENAMETOOLONG
 * with err saying so and what to shorten. */
int ib_sock_path_check(const char *path, struct ib_err *err);
/* path made absolute against the current directory (lexically: it need
 * not exist), so a later chdir or a child in another directory reads it
 * the same. Caller frees; NULL if the current directory is unknown. */
char *ib_abspath(const char *path);
/* Removes a directory tree: path itself if it is not a directory (a
 * symlink: the link only), else everything below it and it, never
 * following a symlink (openat/unlinkat from O_NOFOLLOW|O_DIRECTORY fds)
 * and never leaving path's mount: a mount point below is not entered
 * (detach it first: ib_unmount_under), and the result is then -EBUSY.
 * Returns 0 or -errno. */
int ib_rmtree(const char *path);
/* Detaches every mount at or below path (deepest first): what a daemon
 * isobench started (dockerd bind-mounts its data root) leaves behind if it
 * dies. Nothing if path is a symlink, not a directory, or /. Returns how
 * many it detached. */
int ib_unmount_under(const char *path);
/* The mount point of one line of /proc/self/mountinfo, its escapes
 * (\040 space, \011 tab, \012 newline, \134 backslash) decoded; NULL if
 * the line has none. Caller frees. */
char *ib_mountinfo_mount_point(const char *line);

/* Path of program name on $PATH (a name with a '/' is taken as it is),
 * or NULL. Caller frees. */
char *ib_which(const char *name);

/* Trims leading and trailing blanks in place; returns s. */
char *ib_trim(char *s);
int ib_streq(const char *a, const char *b);


#endif
