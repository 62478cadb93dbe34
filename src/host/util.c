#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int ib_err_set(struct ib_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

int ib_err_wrap(struct ib_err *err, const char *fmt, ...)
{
	char prefix[512], old[sizeof(err->msg)];
	va_list ap;

	if (!err)
		return -1;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	/* Truncation is acceptable: the message stays one readable line. */
	{
		size_t n = strlen(prefix);

		if (n > sizeof(err->msg) - 3)
			n = sizeof(err->msg) - 3;
		memcpy(err->msg, prefix, n);
		memcpy(err->msg + n, ": ", 2);
		n += 2;
		strncpy(err->msg + n, old, sizeof(err->msg) - n - 1);
		err->msg[sizeof(err->msg) - 1] = '\0';
	}
	return err->code;
}

static void oom(size_t n)
{
	fprintf(stderr, "isobench: out of memory (%zu bytes)\n", n);
	exit(3);
}

void *ib_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		oom(n);
	return p;
}

void *ib_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		oom(n * size);
	return p;
}

void *ib_xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

char *ib_xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(ib_xmalloc(n), s, n);
}

char *ib_xasprintf(const char *fmt, ...)
{
	struct ib_buf b = {0};
	va_list ap;

	va_start(ap, fmt);
	ib_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	return b.s;
}

static void buf_reserve(struct ib_buf *b, size_t extra)
{
	size_t cap;

	if (b->len + extra + 1 <= b->cap)
		return;
	cap = b->cap ? b->cap : 64;
	while (cap < b->len + extra + 1)
		cap *= 2;
	b->s = ib_xrealloc(b->s, cap);
	b->cap = cap;
}

void ib_buf_put(struct ib_buf *b, const char *s, size_t n)
{
	buf_reserve(b, n);
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void ib_buf_puts(struct ib_buf *b, const char *s)
{
	ib_buf_put(b, s, strlen(s));
}

void ib_buf_vprintf(struct ib_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return;
	buf_reserve(b, (size_t)n);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void ib_buf_printf(struct ib_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ib_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void ib_buf_free(struct ib_buf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
}

void ib_strv_push_owned(struct ib_strv *sv, char *s)
{
	if (sv->n + 1 >= sv->cap) {
		sv->cap = sv->cap ? sv->cap * 2 : 8;
		sv->v = ib_xrealloc(sv->v, sizeof(*sv->v) * (size_t)sv->cap);
	}
	sv->v[sv->n++] = s;
	sv->v[sv->n] = NULL;
}

void ib_strv_push(struct ib_strv *sv, const char *s)
{
	ib_strv_push_owned(sv, ib_xstrdup(s));
}

int ib_strv_find(const struct ib_strv *sv, const char *s)
{
	for (int i = 0; i < sv->n; i++)
		if (strcmp(sv->v[i], s) == 0)
			return i;
	return -1;
}

void ib_strv_free(struct ib_strv *sv)
{
	for (int i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = sv->cap = 0;
}

void ib_strv_split(struct ib_strv *sv, const char *s)
{
	char *copy = ib_xstrdup(s), *save = NULL;

	for (char *tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		tok = ib_trim(tok);
		if (*tok)
			ib_strv_push(sv, tok);
	}
	free(copy);
}

uint64_t ib_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void ib_utc_iso8601(char *buf, size_t cap)
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

char *ib_read_file(const char *path, size_t *len, struct ib_err *err)
{
	struct ib_buf b = {0};
	char chunk[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		ib_err_set(err, -errno, "%s: %s", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ib_err_set(err, -errno, "%s: read: %s", path,
				   strerror(errno));
			close(fd);
			ib_buf_free(&b);
			return NULL;
		}
		if (n == 0)
			break;
		ib_buf_put(&b, chunk, (size_t)n);
	}
	close(fd);
	if (!b.s)
		b.s = ib_xstrdup("");
	if (len)
		*len = b.len;
	return b.s;
}

int ib_write_file_atomic(const char *path, const char *data, size_t len,
			 struct ib_err *err)
{
	char *tmp = ib_xasprintf("%s.tmp.%d", path, (int)getpid());
	int fd, rc = 0;

	fd = open(tmp, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = ib_err_set(err, -errno, "cannot write %s: %s", path,
				strerror(errno));
		free(tmp);
		return rc;
	}
	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = ib_err_set(err, -errno, "cannot write %s: %s",
					path, strerror(errno));
			break;
		}
		data += n;
		len -= (size_t)n;
	}
	if (rc == 0 && fsync(fd) != 0)
		rc = ib_err_set(err, -errno, "cannot write %s: fsync: %s", path,
				strerror(errno));
	if (close(fd) != 0 && rc == 0)
		rc = ib_err_set(err, -errno, "cannot write %s: close: %s", path,
				strerror(errno));
	if (rc == 0 && rename(tmp, path) != 0)
		rc = ib_err_set(err, -errno, "cannot write %s: rename: %s", path,
				strerror(errno));
	if (rc != 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

int ib_mkdirs(const char *path, int mode, struct ib_err *err)
{
	char *p = ib_xstrdup(path);
	int rc = 0;

	for (char *s = p + 1;; s++) {
		char c = *s;

		if (c != '/' && c != '\0')
			continue;
		*s = '\0';
		if (mkdir(p, (mode_t)mode) != 0 && errno != EEXIST) {
			rc = ib_err_set(err, -errno, "cannot create directory %s: %s",
					p, strerror(errno));
			break;
		}
		*s = c;
		if (c == '\0')
			break;
	}
	free(p);
	return rc;
}

int ib_rmtree(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	int rc = 0;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return unlink(path) == 0 ? 0 : -errno;
	d = opendir(path);
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		char *child;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		child = ib_xasprintf("%s/%s", path, e->d_name);
		if (ib_rmtree(child) < 0)
			rc = -errno;
		free(child);
	}
	closedir(d);
	if (rmdir(path) != 0)
		rc = -errno;
	return rc;
}

int ib_unmount_under(const char *path)
{
	char *abs = realpath(path, NULL), line[4096];
	struct ib_strv points = {0};
	size_t alen;
	FILE *f;
	int n = 0;

	if (!abs)
		return 0;
	alen = strlen(abs);
	f = fopen("/proc/self/mountinfo", "re");
	while (f && fgets(line, sizeof(line), f)) {
		char *save = NULL, *tok = strtok_r(line, " ", &save);

		/* the mount point is the fifth field */
		for (int i = 1; tok && i < 5; i++)
			tok = strtok_r(NULL, " ", &save);
		if (tok && !strncmp(tok, abs, alen) &&
		    (tok[alen] == '/' || tok[alen] == '\0') && !strchr(tok, '\\'))
			ib_strv_push(&points, tok);
	}
	if (f)
		fclose(f);
	/* later lines are mounted on top of earlier ones: undo in reverse */
	for (int i = points.n - 1; i >= 0; i--)
		if (umount2(points.v[i], MNT_DETACH) == 0)
			n++;
	ib_strv_free(&points);
	free(abs);
	return n;
}

char *ib_trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' ||
			 e[-1] == '\n'))
		*--e = '\0';
	return s;
}

int ib_streq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

char *ib_which(const char *name)
{
	const char *path = getenv("PATH");
	char *copy, *save = NULL, *found = NULL;

	if (strchr(name, '/'))
		return access(name, X_OK) == 0 ? ib_xstrdup(name) : NULL;
	copy = ib_xstrdup(path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
	for (char *d = strtok_r(copy, ":", &save); d && !found;
	     d = strtok_r(NULL, ":", &save)) {
		char *cand = ib_xasprintf("%s/%s", *d ? d : ".", name);
		struct stat st;

		if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) &&
		    access(cand, X_OK) == 0)
			found = cand;
		else
			free(cand);
	}
	free(copy);
	return found;
}
