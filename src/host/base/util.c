#include "base/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
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

static int write_atomic(const char *path, const char *data, size_t len,
			int mode, int exact_mode, struct ib_err *err);

int ib_write_file_atomic(const char *path, const char *data, size_t len,
			 struct ib_err *err)
{
	return write_atomic(path, data, len, 0644, 0, err);
}

/* Creates a new temp file next to path: O_EXCL|O_NOFOLLOW, so whatever
 * already sits at a guessed name (a symlink planted by someone who can
 * write the directory) is neither followed nor reused. *tmp gets its
 * name (caller frees). */
static int open_temp_beside(const char *path, int mode, char **tmp)
{
	for (int tries = 0; tries < 100; tries++) {
		unsigned char r[6];
		char suffix[13];
		int fd;

		if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
			uint64_t t = ib_mono_ns() ^ ((uint64_t)getpid() << 32);

			memcpy(r, &t, sizeof(r));
		}
		for (size_t i = 0; i < sizeof(r); i++)
			snprintf(suffix + 2 * i, 3, "%02x", r[i]);
		*tmp = ib_xasprintf("%s.tmp.%s", path, suffix);
		fd = open(*tmp, O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY |
				      O_CLOEXEC,
			  (mode_t)mode);
		if (fd >= 0)
			return fd;
		free(*tmp);
		*tmp = NULL;
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}

static int write_atomic(const char *path, const char *data, size_t len,
			int mode, int exact_mode, struct ib_err *err)
{
	char *tmp = NULL;
	int fd, rc = 0;

	fd = open_temp_beside(path, mode, &tmp);
	if (fd < 0)
		return ib_err_set(err, fd, "cannot write %s: %s", path,
				  strerror(-fd));
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
	/* the mode asked for, not the umask's cut of it (0555 for a probe
	 * that a container's user must run), set on the file we made */
	if (rc == 0 && exact_mode && fchmod(fd, (mode_t)mode) != 0)
		rc = ib_err_set(err, -errno, "cannot write %s: chmod: %s", path,
				strerror(errno));
	if (rc == 0 && fsync(fd) != 0)
		rc = ib_err_set(err, -errno, "cannot write %s: fsync: %s", path,
				strerror(errno));
	if (close(fd) != 0 && rc == 0)
		rc = ib_err_set(err, -errno, "cannot write %s: close: %s", path,
				strerror(errno));
	/* rename replaces whatever path is (a symlink included) and never
	 * follows it */
	if (rc == 0 && rename(tmp, path) != 0)
		rc = ib_err_set(err, -errno, "cannot write %s: rename: %s", path,
				strerror(errno));
	if (rc != 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

int ib_write_file_atomic_mode(const char *path, const char *data, size_t len,
			      int mode, struct ib_err *err)
{
	return write_atomic(path, data, len, mode, 1, err);
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

/* The mount a file belongs to: statx's mount id where the kernel has it
 * (a bind mount of the same filesystem keeps st_dev), st_dev otherwise. */
struct mnt_key {
	uint64_t id;
	int by_id;
};

static int mnt_key_at(int dfd, const char *name, struct mnt_key *k,
		      struct stat *st)
{
	struct statx sx;

	if (fstatat(dfd, name, st, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0)
		return -errno;
	k->by_id = 0;
	k->id = (uint64_t)st->st_dev;
#ifdef STATX_MNT_ID
	if (statx(dfd, name, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH, STATX_MNT_ID,
		  &sx) == 0 && (sx.stx_mask & STATX_MNT_ID)) {
		k->by_id = 1;
		k->id = sx.stx_mnt_id;
	}
#else
	(void)sx;
#endif
	return 0;
}

static int same_mount(const struct mnt_key *a, const struct mnt_key *b,
		      const struct stat *sa, const struct stat *sb)
{
	if (sa->st_dev != sb->st_dev)
		return 0;
	return !(a->by_id && b->by_id) || a->id == b->id;
}

/* Empties the directory open at dfd (which is closed), staying on top's
 * mount: a directory on another mount is neither entered nor removed
 * (-EBUSY). Every step is relative to an fd opened with O_NOFOLLOW, so a
 * symlink, or a directory swapped for one meanwhile, is removed as a
 * link, never followed. */
static int rm_children(int dfd, const struct mnt_key *top,
		       const struct stat *top_st, int depth)
{
	DIR *d = fdopendir(dfd);
	struct dirent *e;
	int rc = 0;

	if (!d) {
		rc = -errno;
		close(dfd);
		return rc;
	}
	while ((e = readdir(d))) {
		struct mnt_key k = {0};
		struct stat st, st2;
		int cfd, r;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		r = mnt_key_at(dirfd(d), e->d_name, &k, &st);
		if (r < 0) {
			if (r != -ENOENT)
				rc = r;
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			if (unlinkat(dirfd(d), e->d_name, 0) != 0 &&
			    errno != ENOENT)
				rc = -errno;
			continue;
		}
		if (!same_mount(&k, top, &st, top_st)) {
			rc = -EBUSY; /* a mount point: detach it first */
			continue;
		}
		if (depth >= 256) {
			rc = -ELOOP;
			continue;
		}
		cfd = openat(dirfd(d), e->d_name,
			     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (cfd < 0) {
			if (errno != ENOENT)
				rc = -errno;
			continue;
		}
		/* the one looked at, not one put there since */
		if (fstat(cfd, &st2) != 0 || st2.st_dev != st.st_dev ||
		    st2.st_ino != st.st_ino) {
			close(cfd);
			rc = -EBUSY;
			continue;
		}
		r = rm_children(cfd, top, top_st, depth + 1);
		if (r < 0)
			rc = r;
		else if (unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR) != 0 &&
			 errno != ENOENT)
			rc = -errno;
	}
	closedir(d);
	return rc;
}

int ib_rmtree(const char *path)
{
	struct mnt_key top;
	struct stat st, st2;
	char *p = ib_xstrdup(path);
	size_t n = strlen(p);
	int fd, rc;

	/* "link/" would make lstat and open follow the link */
	while (n > 1 && p[n - 1] == '/')
		p[--n] = '\0';
	if (n == 0 || !strcmp(p, "/")) {
		free(p);
		return -EINVAL;
	}
	if (lstat(p, &st) != 0) {
		rc = errno == ENOENT ? 0 : -errno;
		goto out;
	}
	if (!S_ISDIR(st.st_mode)) { /* a symlink too: only the link goes */
		rc = unlink(p) == 0 ? 0 : -errno;
		goto out;
	}
	fd = open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		rc = errno == ENOENT ? 0 : -errno;
		goto out;
	}
	if (mnt_key_at(fd, "", &top, &st2) < 0 || st2.st_ino != st.st_ino ||
	    st2.st_dev != st.st_dev) {
		close(fd);
		rc = -EBUSY;
		goto out;
	}
	rc = rm_children(fd, &top, &st2, 0);
	if (rc == 0 && rmdir(p) != 0 && errno != ENOENT)
		rc = -errno;
out:
	free(p);
	return rc;
}

char *ib_mountinfo_mount_point(const char *line)
{
	const char *p = line;
	struct ib_buf b = {0};

	/* the mount point is the fifth field */
	for (int i = 1; i < 5; i++) {
		p = strchr(p, ' ');
		if (!p)
			return NULL;
		p++;
	}
	/* the kernel escapes space, tab, newline and backslash as \ooo */
	for (; *p && *p != ' ' && *p != '\n'; p++) {
		if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' &&
		    p[2] <= '7' && p[3] >= '0' && p[3] <= '7') {
			char c = (char)(((p[1] - '0') << 6) | ((p[2] - '0') << 3) |
					(p[3] - '0'));

			if (c == '\0') { /* never in a path: a malformed line */
				ib_buf_free(&b);
				return NULL;
			}
			ib_buf_put(&b, &c, 1);
			p += 3;
		} else {
			ib_buf_put(&b, p, 1);
		}
	}
	if (!b.s || b.s[0] != '/' || strlen(b.s) != b.len) {
		ib_buf_free(&b);
		return NULL;
	}
	return b.s;
}

int ib_unmount_under(const char *path)
{
	char *abs, *line = NULL;
	struct ib_strv points = {0};
	size_t alen, cap = 0;
	struct stat st;
	FILE *f;
	int n = 0;

	/* a directory, not a symlink to one: a link planted at path must
	 * not point this at someone else's mounts (or at /) */
	if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode))
		return 0;
	abs = realpath(path, NULL);
	if (!abs || !strcmp(abs, "/")) {
		free(abs);
		return 0;
	}
	alen = strlen(abs);
	f = fopen("/proc/self/mountinfo", "re");
	/* getline: a long line read in pieces would make fields of its
	 * tail */
	while (f && getline(&line, &cap, f) > 0) {
		char *mp = ib_mountinfo_mount_point(line);

		if (mp && !strncmp(mp, abs, alen) &&
		    (mp[alen] == '/' || mp[alen] == '\0'))
			ib_strv_push_owned(&points, mp);
		else
			free(mp);
	}
	free(line);
	if (f)
		fclose(f);
	/* later lines are mounted on top of earlier ones: undo in reverse */
	for (int i = points.n - 1; i >= 0; i--)
		if (umount2(points.v[i], MNT_DETACH | UMOUNT_NOFOLLOW) == 0)
			n++;
	ib_strv_free(&points);
	free(abs);
	return n;
}

int ib_dir_check_private(const char *path, struct ib_err *err)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return ib_err_set(err, -errno, "%s: %s", path, strerror(errno));
	if (S_ISLNK(st.st_mode))
		return ib_err_set(err, -ELOOP, "%s is a symlink, not a directory "
				  "of isobench's own: refusing it", path);
	if (!S_ISDIR(st.st_mode))
		return ib_err_set(err, -ENOTDIR, "%s is not a directory", path);
	if (st.st_uid != geteuid())
		return ib_err_set(err, -EPERM, "%s belongs to uid %u, not to us "
				  "(uid %u): refusing it (someone else made "
				  "it)", path, (unsigned)st.st_uid,
				  (unsigned)geteuid());
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return ib_err_set(err, -EPERM, "%s is writable by its group or "
				  "by others (mode %04o): refusing it", path,
				  (unsigned)(st.st_mode & 07777));
	return 0;
}

int ib_mkdir_private(const char *path, int mode, int exclusive,
		     struct ib_err *err)
{
	if (mkdir(path, (mode_t)mode) != 0 &&
	    (exclusive || errno != EEXIST))
		return ib_err_set(err, -errno, "cannot create directory %s: %s",
				  path, strerror(errno));
	return ib_dir_check_private(path, err);
}

int ib_mkdir_new(const char *path, struct ib_err *err)
{
	char *parent = ib_xstrdup(path), *slash = strrchr(parent, '/');
	int rc = 0;

	while (slash && slash > parent && slash[1] == '\0') {
		*slash = '\0'; /* "out/" */
		slash = strrchr(parent, '/');
	}
	if (slash && slash > parent) {
		*slash = '\0';
		rc = ib_mkdirs(parent, 0755, err);
	}
	free(parent);
	return rc < 0 ? rc : ib_mkdir_private(path, 0755, 1, err);
}

char *ib_runtime_dir_path(void)
{
	const char *env = getenv("ISOBENCH_RUNTIME_DIR"), *xdg;

	if (env && *env)
		return env[0] == '/' ? ib_xstrdup(env) : NULL;
	if (geteuid() == 0)
		return ib_xstrdup("/run/isobench");
	xdg = getenv("XDG_RUNTIME_DIR");
	if (xdg && xdg[0] == '/')
		return ib_xasprintf("%s/isobench", xdg);
	/* /tmp is shared: the name is ours, and ib_runtime_dir refuses it
	 * unless we made it (owner, no symlink, mode) */
	return ib_xasprintf("/tmp/isobench-%u", (unsigned)geteuid());
}

char *ib_runtime_dir(struct ib_err *err)
{
	char *dir = ib_runtime_dir_path();

	if (!dir) {
		ib_err_set(err, -EINVAL, "ISOBENCH_RUNTIME_DIR must be an "
			   "absolute path (got '%s')",
			   getenv("ISOBENCH_RUNTIME_DIR"));
		return NULL;
	}
	/* made here or, if it exists, made by us and private: sockets,
	 * locks and the registry of runs go in it */
	if (ib_mkdir_private(dir, 0700, 0, err) < 0) {
		ib_err_wrap(err, "isobench's runtime directory");
		free(dir);
		return NULL;
	}
	return dir;
}

int ib_sock_path_check(const char *path, struct ib_err *err)
{
	struct sockaddr_un sa;

	if (strlen(path) >= sizeof(sa.sun_path))
		return ib_err_set(err, -ENAMETOOLONG, "socket path %s is %zu "
				  "bytes, over a Unix socket's %zu: set "
				  "ISOBENCH_RUNTIME_DIR (or --scratch) to a "
				  "shorter directory", path, strlen(path),
				  sizeof(sa.sun_path) - 1);
	return 0;
}

char *ib_abspath(const char *path)
{
	char *cwd;
	char *abs;

	if (path[0] == '/')
		return ib_xstrdup(path);
	cwd = getcwd(NULL, 0);
	if (!cwd)
		return NULL;
	abs = ib_xasprintf("%s/%s", cwd, path);
	free(cwd);
	return abs;
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
