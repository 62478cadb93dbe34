#include "images/app_image.h"

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/ini.h"
#include "base/proc.h"

/* --- the manifest ---------------------------------------------------- */

/* An absolute, normal path: "/" then components that are not empty, "."
 * or "..", printable bytes only. */
static int path_ok(const char *p)
{
	if (p[0] != '/' || !p[1])
		return 0;
	for (const unsigned char *c = (const unsigned char *)p; *c; c++)
		if (*c < 0x20 || *c == 0x7f)
			return 0;
	for (const char *c = p + 1;;) {
		size_t n = strcspn(c, "/");

		if (n == 0 || (n == 1 && c[0] == '.') ||
		    (n == 2 && c[0] == '.' && c[1] == '.'))
			return 0;
		if (!c[n])
			return 1;
		c += n + 1;
	}
}

static int name_ok(const char *s)
{
	if (!*s || strlen(s) > 64)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
			return 0;
	return 1;
}

/* Adds the comma-separated paths of value to sv. */
static int add_paths(struct ib_strv *sv, const char *value, const char *src,
		     int line, const char *key, struct ib_err *err)
{
	struct ib_strv items = {0};
	int rc = 0;

	ib_strv_split(&items, value);
	for (int i = 0; i < items.n && rc == 0; i++) {
		if (!path_ok(items.v[i]))
			rc = ib_err_set(err, -EINVAL, "%s:%d: %s: '%.200s' is not "
					"an absolute, normal path", src, line,
					key, items.v[i]);
		else if (ib_strv_find(sv, items.v[i]) < 0)
			ib_strv_push(sv, items.v[i]);
	}
	ib_strv_free(&items);
	return rc;
}

static int manifest_line(void *arg, const char *section, const char *key,
			 const char *value, const char *src, int line,
			 struct ib_err *err)
{
	struct ib_app_manifest *m = arg;

	if (!key) {
		if (strcmp(section, "app") != 0)
			return ib_err_set(err, -EINVAL, "%s:%d: unknown section "
					  "'[%.100s]' (a manifest has [app] "
					  "only)", src, line, section);
		return 0;
	}
	if (!section)
		return ib_err_set(err, -EINVAL, "%s:%d: '%.100s = %.100s' is "
				  "outside [app]", src, line, key, value);
	if (!strcmp(key, "name")) {
		if (!name_ok(value))
			return ib_err_set(err, -EINVAL, "%s:%d: name '%.100s': "
					  "letters, digits, '-' and '_' only "
					  "(at most 64)", src, line, value);
		free(m->name);
		m->name = ib_xstrdup(value);
		return 0;
	}
	if (!strcmp(key, "binaries"))
		return add_paths(&m->binaries, value, src, line, key, err);
	if (!strcmp(key, "files"))
		return add_paths(&m->files, value, src, line, key, err);
	return ib_err_set(err, -EINVAL, "%s:%d: unknown key '%.100s' (keys: "
			  "name, binaries, files)", src, line, key);
}

int ib_app_manifest_parse(const char *text, size_t len, const char *source,
			  struct ib_app_manifest *m, struct ib_err *err)
{
	int rc;

	memset(m, 0, sizeof(*m));
	rc = ib_ini_walk(text, len, source, manifest_line, m, err);
	if (rc == 0 && !m->name)
		rc = ib_err_set(err, -EINVAL, "%s: no name in [app]", source);
	else if (rc == 0 && !m->binaries.n)
		rc = ib_err_set(err, -EINVAL, "%s: no binaries in [app]",
				source);
	if (rc < 0)
		ib_app_manifest_free(m);
	return rc;
}

void ib_app_manifest_free(struct ib_app_manifest *m)
{
	free(m->name);
	ib_strv_free(&m->binaries);
	ib_strv_free(&m->files);
	memset(m, 0, sizeof(*m));
}

/* --- ELF and the loader ---------------------------------------------- */

static uint64_t le(const unsigned char *p, int n)
{
	uint64_t v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

int ib_elf_interp(const unsigned char *d, size_t len, char **interp,
		  struct ib_err *err)
{
	uint64_t phoff, off, sz;
	unsigned phentsize, phnum;

	*interp = NULL;
	if (len < 64 || memcmp(d, "\x7f" "ELF", 4) != 0)
		return ib_err_set(err, -ENOEXEC, "not an ELF file");
	if (d[4] != 2 || d[5] != 1)
		return ib_err_set(err, -ENOEXEC, "not a 64-bit little-endian "
				  "ELF file");
	phoff = le(d + 32, 8);
	phentsize = (unsigned)le(d + 54, 2);
	phnum = (unsigned)le(d + 56, 2);
	if (phentsize < 56 || phoff > len ||
	    (uint64_t)phnum * phentsize > len - phoff)
		return ib_err_set(err, -ENOEXEC, "program headers outside the "
				  "file");
	for (unsigned i = 0; i < phnum; i++) {
		const unsigned char *ph = d + phoff + (uint64_t)i * phentsize;

		if (le(ph, 4) != 3) /* PT_INTERP */
			continue;
		off = le(ph + 8, 8);
		sz = le(ph + 32, 8);
		if (sz < 2 || sz > 4096 || off > len || sz > len - off ||
		    d[off + sz - 1] != '\0' ||
		    memchr(d + off, '\0', sz - 1) != NULL)
			return ib_err_set(err, -ENOEXEC, "PT_INTERP outside the "
					  "file or not one string");
		*interp = ib_xstrdup((const char *)d + off);
		if (!path_ok(*interp)) {
			free(*interp);
			*interp = NULL;
			return ib_err_set(err, -ENOEXEC, "PT_INTERP is not an "
					  "absolute, normal path");
		}
		return 0;
	}
	return 0;
}

int ib_ldlist_parse(const char *text, size_t len, struct ib_strv *paths,
		    struct ib_err *err)
{
	size_t at = 0;
	int rc = 0;

	while (rc == 0 && at < len) {
		size_t n = len - at;
		const char *nl = memchr(text + at, '\n', n);
		char *s, *l, *arrow, *path;

		if (nl)
			n = (size_t)(nl - (text + at));
		s = ib_xasprintf("%.*s", (int)n, text + at);
		at += n + (nl != NULL);
		l = ib_trim(s);
		arrow = strstr(l, " => ");
		/* "libc.so.6 => /lib/.../libc.so.6 (0x...)", or the loader's
		 * own "/lib64/ld-linux-x86-64.so.2 (0x...)"; the vDSO has
		 * no file */
		path = arrow ? ib_trim(arrow + 4) : l;
		if (!*l || (!arrow && strncmp(l, "linux-vdso", 10) == 0) ||
		    (!arrow && strncmp(l, "linux-gate", 10) == 0)) {
			free(s);
			continue;
		}
		if (arrow && !strncmp(path, "not found", 9)) {
			*arrow = '\0';
			rc = ib_err_set(err, -ENOENT, "library %.200s not found "
					"by the loader", l);
		} else {
			char *sp = strstr(path, " (0x");

			if (sp)
				*sp = '\0';
			if (!path_ok(path))
				rc = ib_err_set(err, -EINVAL, "the loader's line "
						"'%.200s' names no absolute "
						"path", l);
			else if (ib_strv_find(paths, path) < 0)
				ib_strv_push(paths, path);
		}
		free(s);
	}
	return rc;
}

/* --- inputs ------------------------------------------------------------ */

/* The loader's list for one dynamic program. */
static int program_libraries(const char *bin, struct ib_strv *out,
			     struct ib_err *err)
{
	unsigned char head[65536];
	struct ib_buf list = {0};
	char *interp = NULL;
	ssize_t n;
	int fd = open(bin, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0)
		return ib_err_set(err, -errno, "program %s: %s", bin,
				  strerror(errno));
	n = read(fd, head, sizeof(head));
	close(fd);
	if (n < 0)
		return ib_err_set(err, -errno, "program %s: %s", bin,
				  strerror(errno));
	/* the program headers are near the start; PT_INTERP's string too */
	if ((rc = ib_elf_interp(head, (size_t)n, &interp, err)) < 0) {
		char msg[sizeof(err->msg)];

		snprintf(msg, sizeof(msg), "%s", err->msg);
		return ib_err_set(err, rc, "program %s: %s", bin, msg);
	}
	if (!interp)
		return 0; /* static: nothing to bring */
	{
		char *argv[] = {interp, "--list", (char *)bin, NULL};

		rc = ib_proc_capture(argv, NULL, 30, NULL, &list, err);
	}
	if (rc > 0)
		rc = ib_err_set(err, -EIO, "%s --list %s: exit status %d: %.200s",
				interp, bin, rc, list.s ? list.s : "");
	if (rc == 0 && (rc = ib_ldlist_parse(list.s ? list.s : "", list.len,
					     out, err)) < 0) {
		char msg[sizeof(err->msg)];

		snprintf(msg, sizeof(msg), "%s", err->msg);
		ib_err_set(err, rc, "program %s: %s", bin, msg);
	}
	if (rc == 0 && ib_strv_find(out, interp) < 0)
		ib_strv_push(out, interp);
	ib_buf_free(&list);
	free(interp);
	return rc;
}

/* Adds path, or every regular file under it if it is a directory. */
static int add_tree(const char *path, struct ib_strv *out, int depth,
		    struct ib_err *err)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	int rc = 0;

	if (stat(path, &st) != 0)
		return ib_err_set(err, -errno, "file %s: %s", path,
				  strerror(errno));
	if (S_ISREG(st.st_mode)) {
		if (ib_strv_find(out, path) < 0)
			ib_strv_push(out, path);
		return 0;
	}
	if (!S_ISDIR(st.st_mode))
		return ib_err_set(err, -EINVAL, "file %s: neither a file nor a "
				  "directory", path);
	if (depth > 16)
		return ib_err_set(err, -ELOOP, "file %s: more than 16 levels "
				  "of directories", path);
	if (!(d = opendir(path)))
		return ib_err_set(err, -errno, "directory %s: %s", path,
				  strerror(errno));
	while (rc == 0 && (e = readdir(d))) {
		char *sub;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		sub = ib_xasprintf("%s/%s", path, e->d_name);
		rc = add_tree(sub, out, depth + 1, err);
		free(sub);
	}
	closedir(d);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int ib_app_inputs(const struct ib_app_manifest *m, struct ib_strv *files,
		  struct ib_err *err)
{
	int rc = 0;

	for (int i = 0; i < m->binaries.n && rc == 0; i++) {
		struct stat st;

		if (stat(m->binaries.v[i], &st) != 0)
			rc = ib_err_set(err, -errno, "%s: program %s: %s",
					m->name, m->binaries.v[i],
					strerror(errno));
		else if (!S_ISREG(st.st_mode) || !(st.st_mode & 0111))
			rc = ib_err_set(err, -EACCES, "%s: program %s is not "
					"an executable file", m->name,
					m->binaries.v[i]);
		else if (ib_strv_find(files, m->binaries.v[i]) < 0)
			ib_strv_push(files, m->binaries.v[i]);
		if (rc == 0)
			rc = program_libraries(m->binaries.v[i], files, err);
	}
	for (int i = 0; i < m->files.n && rc == 0; i++)
		rc = add_tree(m->files.v[i], files, 0, err);
	if (rc == 0 && files->n > 1)
		qsort(files->v, (size_t)files->n, sizeof(char *), cmp_str);
	return rc;
}

/* --- the tree ---------------------------------------------------------- */

/* Makes every directory of rel (relative, normal) under dirfd, none
 * followed if it is a symlink. Returns the innermost's fd, or -errno. */
static int make_parents(int dirfd, const char *rel)
{
	char *copy = ib_xstrdup(rel), *slash, *c = copy;
	int fd = dup(dirfd);

	while (fd >= 0 && (slash = strchr(c, '/'))) {
		int next;

		*slash = '\0';
		if (mkdirat(fd, c, 0755) != 0 && errno != EEXIST) {
			close(fd);
			fd = -errno;
			break;
		}
		next = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
			      O_CLOEXEC);
		close(fd);
		fd = next < 0 ? -errno : next;
		c = slash + 1;
	}
	free(copy);
	return fd;
}

/* Copies host file src to dir's src (a new regular file, its mode). */
static int copy_in(int rootfd, const char *src, uint64_t *bytes,
		   struct ib_err *err)
{
	const char *rel = src + 1, *base = strrchr(src, '/') + 1;
	int in = open(src, O_RDONLY | O_CLOEXEC), dir, out = -1, rc = 0;
	struct stat st;
	char buf[65536];
	ssize_t n;

	if (in < 0 || fstat(in, &st) != 0) {
		rc = ib_err_set(err, -errno, "%s: %s", src, strerror(errno));
		goto done;
	}
	if ((dir = make_parents(rootfd, rel)) < 0) {
		rc = ib_err_set(err, dir, "directories of %s in the image: %s",
				src, strerror(-dir));
		goto done;
	}
	out = openat(dir, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		     O_CLOEXEC, st.st_mode & 0755);
	close(dir);
	if (out < 0) {
		rc = ib_err_set(err, -errno, "%s in the image: %s", src,
				strerror(errno));
		goto done;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n) {
			rc = ib_err_set(err, -EIO, "writing %s in the image",
					src);
			break;
		}
	if (n < 0)
		rc = ib_err_set(err, -errno, "%s: %s", src, strerror(errno));
	if (rc == 0 && fchmod(out, st.st_mode & 0755) != 0)
		rc = ib_err_set(err, -errno, "%s in the image: %s", src,
				strerror(errno));
	*bytes += (uint64_t)st.st_size;
done:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return rc;
}

int ib_app_image_build(const struct ib_app_manifest *m, const char *dir,
		       uint64_t *bytes, struct ib_err *err)
{
	struct ib_strv files = {0};
	int rc, rootfd;

	*bytes = 0;
	if ((rc = ib_app_inputs(m, &files, err)) < 0)
		goto out;
	if (mkdir(dir, 0755) != 0) {
		rc = ib_err_set(err, -errno, "image directory %s: %s", dir,
				strerror(errno));
		goto out;
	}
	rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (rootfd < 0) {
		rc = ib_err_set(err, -errno, "image directory %s: %s", dir,
				strerror(errno));
		goto out;
	}
	for (int i = 0; i < files.n && rc == 0; i++)
		rc = copy_in(rootfd, files.v[i], bytes, err);
	close(rootfd);
out:
	ib_strv_free(&files);
	return rc;
}

/* --- the cache ---------------------------------------------------------- */

const char *ib_app_cache_dir(void)
{
	const char *d = getenv("ISOBENCH_APP_CACHE");

	return d && *d ? d : IB_APP_CACHE;
}

void ib_app_image_free(struct ib_app_image *img)
{
	free(img->dir);
	free(img->note);
	memset(img, 0, sizeof(*img));
}

/* The SHA-256 (hex) of the image of files (absolute paths, sorted) named
 * name: a format line, then per file its path, mode (& 0755), size and
 * bytes. Each file is read at its host path (rootfd < 0: symlinks
 * followed, as the image's build reads them) or at the same path under
 * directory rootfd (an image: nothing followed). *bytes: their sizes. */
static int files_digest(const char *name, const struct ib_strv *files,
			int rootfd, char hex[65], uint64_t *bytes,
			struct ib_err *err)
{
	EVP_MD_CTX *h = EVP_MD_CTX_new();
	unsigned char md[EVP_MAX_MD_SIZE], *buf = ib_xmalloc(1 << 16);
	unsigned len = 0;
	char line[64];
	int rc = 0;

	*bytes = 0;
	if (!h || EVP_DigestInit_ex(h, EVP_sha256(), NULL) != 1)
		rc = ib_err_set(err, -ENOMEM, "SHA-256 unavailable");
	snprintf(line, sizeof(line), "isobench app image 1\n");
	if (rc == 0)
		EVP_DigestUpdate(h, line, strlen(line));
	if (rc == 0)
		EVP_DigestUpdate(h, name, strlen(name) + 1);
	for (int i = 0; i < files->n && rc == 0; i++) {
		const char *f = files->v[i];
		int fd = rootfd < 0 ? open(f, O_RDONLY | O_CLOEXEC)
				    : openat(rootfd, f + 1, O_RDONLY |
					     O_NOFOLLOW | O_CLOEXEC);
		struct stat st;
		uint64_t got = 0;
		ssize_t n = 0;

		if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
			rc = ib_err_set(err, fd < 0 ? -errno : -EINVAL,
					"%s: %s", f, fd < 0 ? strerror(errno)
					: "not a regular file");
			if (fd >= 0)
				close(fd);
			break;
		}
		EVP_DigestUpdate(h, f, strlen(f) + 1);
		snprintf(line, sizeof(line), "%o %llu", st.st_mode & 0755,
			 (unsigned long long)st.st_size);
		EVP_DigestUpdate(h, line, strlen(line) + 1);
		while ((n = read(fd, buf, 1 << 16)) > 0) {
			EVP_DigestUpdate(h, buf, (size_t)n);
			got += (uint64_t)n;
		}
		if (n < 0 || got != (uint64_t)st.st_size)
			rc = ib_err_set(err, -EIO, "%s: %s", f, n < 0
					? strerror(errno)
					: "its size changed while read");
		*bytes += got;
		close(fd);
	}
	if (rc == 0 && EVP_DigestFinal_ex(h, md, &len) == 1 && len == 32)
		for (unsigned i = 0; i < len; i++)
			sprintf(hex + 2 * i, "%02x", md[i]);
	else if (rc == 0)
		rc = ib_err_set(err, -EIO, "SHA-256 failed");
	EVP_MD_CTX_free(h);
	free(buf);
	return rc;
}

/* Lists the regular files under directory fd (at rel: "" for the top) as
 * absolute paths ("/" + their path in it) into out; a symlink or any
 * other kind of entry is an error (an image holds files and directories
 * only). */
static int list_image(int fd, const char *rel, int depth, struct ib_strv *out,
		      struct ib_err *err)
{
	int dup_fd = dup(fd), rc = 0;
	DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
	struct dirent *e;

	if (!d) {
		if (dup_fd >= 0)
			close(dup_fd);
		return ib_err_set(err, -errno, "%s/: %s", rel, strerror(errno));
	}
	if (depth > 32)
		rc = ib_err_set(err, -ELOOP, "%s/: too deep", rel);
	while (rc == 0 && (e = readdir(d))) {
		struct stat st;
		char *sub;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		sub = ib_xasprintf("%s/%s", rel, e->d_name);
		if (fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			rc = ib_err_set(err, -errno, "%s: %s", sub,
					strerror(errno));
		} else if (S_ISREG(st.st_mode)) {
			ib_strv_push(out, sub);
		} else if (S_ISDIR(st.st_mode)) {
			int sfd = openat(fd, e->d_name, O_RDONLY | O_DIRECTORY |
					 O_NOFOLLOW | O_CLOEXEC);

			rc = sfd < 0 ? ib_err_set(err, -errno, "%s: %s", sub,
						  strerror(errno))
				     : list_image(sfd, sub, depth + 1, out, err);
			if (sfd >= 0)
				close(sfd);
		} else {
			rc = ib_err_set(err, -EINVAL, "%s: neither a file nor a "
					"directory", sub);
		}
		free(sub);
	}
	closedir(d);
	return rc;
}

/* Is the image at dir exactly files (sorted) with digest hex? 1 yes, 0
 * no (why says what differs). */
static int image_intact(const char *dir, const char *name,
			const struct ib_strv *files, const char *hex,
			char *why, size_t cap)
{
	struct ib_strv have = {0};
	struct ib_err e = {0};
	char got[65] = "";
	uint64_t bytes;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int ok = 0;

	if (fd < 0) {
		snprintf(why, cap, "%s: %s", dir, strerror(errno));
		return 0;
	}
	if (list_image(fd, "", 0, &have, &e) < 0) {
		snprintf(why, cap, "%.900s", e.msg);
		goto out;
	}
	if (have.n > 1)
		qsort(have.v, (size_t)have.n, sizeof(char *), cmp_str);
	for (int i = 0; i < have.n || i < files->n; i++)
		if (i >= have.n || i >= files->n ||
		    strcmp(have.v[i], files->v[i]) != 0) {
			snprintf(why, cap, "%s %s", i < have.n ? "holds"
				 : "lacks", i < have.n ? have.v[i]
				 : files->v[i]);
			goto out;
		}
	if (files_digest(name, &have, fd, got, &bytes, &e) < 0)
		snprintf(why, cap, "%.900s", e.msg);
	else if (strcmp(got, hex) != 0)
		snprintf(why, cap, "its files' bytes differ from its inputs'");
	else
		ok = 1;
out:
	ib_strv_free(&have);
	close(fd);
	return ok;
}

/* Are path and the directory work will be made in on one filesystem? */
static int same_fs(const char *path, const char *work)
{
	char *parent = ib_xstrdup(work), *slash = strrchr(parent, '/');
	struct stat a, b;
	int same;

	if (slash && slash > parent)
		*slash = '\0';
	same = stat(path, &a) == 0 && stat(parent, &b) == 0 &&
	       a.st_dev == b.st_dev;
	free(parent);
	return same;
}

/* Appends a sentence to img's note. */
static void add_note(struct ib_app_image *img, const char *text)
{
	char *n = img->note ? ib_xasprintf("%s; %s", img->note, text)
			    : ib_xstrdup(text);

	free(img->note);
	img->note = n;
}

int ib_app_image_get(const struct ib_app_manifest *m, const char *work,
		     struct ib_app_image *img, struct ib_err *err)
{
	struct ib_strv files = {0};
	char *entry = NULL, *text, why[1100];
	struct stat st;
	int rc, cache = 1;

	memset(img, 0, sizeof(*img));
	rc = ib_app_inputs(m, &files, err);
	if (rc == 0)
		rc = files_digest(m->name, &files, -1, img->sha256, &img->bytes,
				  err);
	if (rc < 0)
		goto out;
	entry = ib_xasprintf("%s/%s-%s", ib_app_cache_dir(), m->name,
			     img->sha256);
	if (lstat(entry, &st) == 0) {
		char *aside;

		if (image_intact(entry, m->name, &files, img->sha256, why,
				 sizeof(why))) {
			if (same_fs(entry, work)) {
				img->dir = entry;
				img->cached = 1;
				entry = NULL;
				goto out;
			}
			/* its files are hard-linked into the launches' roots,
			 * which are beside work */
			add_note(img, "the cache is on another filesystem than "
				 "the run's directory: built there");
			cache = 0;
			goto build;
		}
		/* out of the cache, into the run's directory (removed with
		 * it): nothing in the cache is ever deleted */
		aside = ib_xasprintf("%s.damaged", work);
		if (rename(entry, aside) == 0) {
			text = ib_xasprintf("the cached image %s was damaged "
					    "(%s): moved to %s, built again",
					    entry, why, aside);
		} else {
			text = ib_xasprintf("the cached image %s is damaged "
					    "(%s) and could not be moved "
					    "aside: %s", entry, why,
					    strerror(errno));
			cache = 0;
		}
		add_note(img, text);
		free(text);
		free(aside);
	}
build:
	rc = ib_app_image_build(m, work, &img->bytes, err);
	if (rc < 0)
		goto out;
	/* the inputs may have changed since they were hashed */
	if (cache && !image_intact(work, m->name, &files, img->sha256, why,
				   sizeof(why))) {
		text = ib_xasprintf("not cached: its inputs changed while it "
				    "was built (%s)", why);
		add_note(img, text);
		free(text);
		cache = 0;
	}
	if (cache) {
		struct ib_err e = {0};

		if (ib_mkdirs(ib_app_cache_dir(), 0755, &e) == 0 &&
		    rename(work, entry) == 0) {
			img->dir = entry;
			entry = NULL;
		} else {
			text = ib_xasprintf("not cached (%s: %s): used from the "
					    "run's directory",
					    ib_app_cache_dir(),
					    e.msg[0] ? e.msg : strerror(errno));
			add_note(img, text);
			free(text);
		}
	}
	if (!img->dir)
		img->dir = ib_xstrdup(work);
out:
	ib_strv_free(&files);
	free(entry);
	return rc;
}

/* Links the entries of directory sfd into directory dfd (both open),
 * depth levels at most. */
static int link_dir(int sfd, int dfd, const char *where, int depth,
		    struct ib_err *err)
{
	int dup_fd = dup(sfd), rc = 0;
	DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
	struct dirent *e;

	if (!d) {
		if (dup_fd >= 0)
			close(dup_fd);
		return ib_err_set(err, -errno, "%s: %s", where, strerror(errno));
	}
	if (depth > 32) {
		closedir(d);
		return ib_err_set(err, -ELOOP, "%s: too deep", where);
	}
	while (rc == 0 && (e = readdir(d))) {
		struct stat st;
		char *sub;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		sub = ib_xasprintf("%s/%s", where, e->d_name);
		if (fstatat(sfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			rc = ib_err_set(err, -errno, "%s: %s", sub, strerror(errno));
		} else if (S_ISREG(st.st_mode)) {
			if (linkat(sfd, e->d_name, dfd, e->d_name, 0) != 0)
				rc = ib_err_set(err, -errno, "link %s: %s", sub,
						strerror(errno));
		} else if (S_ISDIR(st.st_mode)) {
			int s2, d2;
			struct stat dt;

			if (mkdirat(dfd, e->d_name, st.st_mode & 0755) != 0 &&
			    (errno != EEXIST ||
			     fstatat(dfd, e->d_name, &dt, AT_SYMLINK_NOFOLLOW) != 0 ||
			     !S_ISDIR(dt.st_mode)))
				rc = ib_err_set(err, -EEXIST, "%s: cannot be made a "
						"directory in the root", sub);
			s2 = rc ? -1 : openat(sfd, e->d_name, O_RDONLY |
					      O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			d2 = s2 < 0 ? -1 : openat(dfd, e->d_name, O_RDONLY |
						  O_DIRECTORY | O_NOFOLLOW |
						  O_CLOEXEC);
			if (rc == 0 && (s2 < 0 || d2 < 0))
				rc = ib_err_set(err, -errno, "%s: %s", sub,
						strerror(errno));
			if (rc == 0)
				rc = link_dir(s2, d2, sub, depth + 1, err);
			if (s2 >= 0)
				close(s2);
			if (d2 >= 0)
				close(d2);
		} else {
			rc = ib_err_set(err, -EINVAL, "%s: neither a file nor a "
					"directory (an image holds only those)",
					sub);
		}
		free(sub);
	}
	closedir(d);
	return rc;
}

int ib_app_image_link(const char *image, const char *root, struct ib_err *err)
{
	int sfd = open(image, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int dfd = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int rc;

	if (sfd < 0 || dfd < 0)
		rc = ib_err_set(err, -errno, "%s: %s", sfd < 0 ? image : root,
				strerror(errno));
	else
		rc = link_dir(sfd, dfd, image, 0, err);
	if (sfd >= 0)
		close(sfd);
	if (dfd >= 0)
		close(dfd);
	return rc;
}

int ib_app_root_etc(const char *root, struct ib_err *err)
{
	static const struct {
		const char *name, *text;
	} files[] = {
		{"passwd", "root:x:0:0:root:/root:/bin/sh\n"},
		{"group", "root:x:0:\n"},
		{"nsswitch.conf", "passwd: files\ngroup: files\n"},
	};
	char *etc = ib_xasprintf("%s/etc", root);
	int rc = 0;

	if (mkdir(etc, 0755) != 0 && errno != EEXIST)
		rc = ib_err_set(err, -errno, "%s: %s", etc, strerror(errno));
	for (size_t i = 0; rc == 0 && i < sizeof(files) / sizeof(files[0]); i++) {
		char *p = ib_xasprintf("%s/%s", etc, files[i].name);

		rc = ib_write_file_atomic_mode(p, files[i].text,
					       strlen(files[i].text), 0644, err);
		free(p);
	}
	free(etc);
	return rc;
}

int ib_archive_entry_write(struct archive *a, const char *path, unsigned mode,
			   const void *data, size_t len, dev_t rdev, int64_t ino)
{
	struct archive_entry *e = archive_entry_new();
	int rc = 0;

	archive_entry_set_pathname(e, path);
	archive_entry_set_mode(e, mode);
	archive_entry_set_size(e, (la_int64_t)len);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	archive_entry_set_mtime(e, 0, 0);
	archive_entry_set_ino64(e, ino);
	archive_entry_set_nlink(e, S_ISDIR(mode) ? 2 : 1);
	if (rdev)
		archive_entry_set_rdev(e, rdev);
	if (archive_write_header(a, e) != ARCHIVE_OK ||
	    (len && archive_write_data(a, data, len) != (la_ssize_t)len))
		rc = -EIO;
	archive_entry_free(e);
	return rc;
}

/* Adds the directories and regular files under directory fd (its path in
 * the archive: rel, "" at the top) to a; nothing is followed, and
 * anything else in the tree is an error. */
static int tree_add(struct archive *a, int fd, const char *rel, int depth,
		    int64_t *ino, struct ib_err *err)
{
	int dfd = dup(fd), rc = 0;
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	struct dirent *e;

	if (!d) {
		if (dfd >= 0)
			close(dfd);
		return ib_err_set(err, -errno, "%s: %s", rel, strerror(errno));
	}
	if (depth > 32) {
		closedir(d);
		return ib_err_set(err, -ELOOP, "%s: too deep", rel);
	}
	while (rc == 0 && (e = readdir(d))) {
		char *path;
		struct stat st;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		path = *rel ? ib_xasprintf("%s/%s", rel, e->d_name)
			    : ib_xstrdup(e->d_name);
		if (fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			rc = ib_err_set(err, -errno, "%s: %s", path, strerror(errno));
		} else if (S_ISDIR(st.st_mode)) {
			int sub = openat(fd, e->d_name, O_RDONLY | O_DIRECTORY |
					 O_NOFOLLOW | O_CLOEXEC);

			rc = ib_archive_entry_write(a, path, S_IFDIR |
						    (st.st_mode & 0755), NULL, 0,
						    0, (*ino)++);
			if (rc < 0)
				ib_err_set(err, rc, "%s: %s", path,
					   archive_error_string(a));
			else if (sub < 0)
				rc = ib_err_set(err, -errno, "%s: %s", path,
						strerror(errno));
			else
				rc = tree_add(a, sub, path, depth + 1, ino, err);
			if (sub >= 0)
				close(sub);
		} else if (S_ISREG(st.st_mode)) {
			int f = openat(fd, e->d_name, O_RDONLY | O_NOFOLLOW |
				       O_CLOEXEC);
			char *data = ib_xcalloc(1, (size_t)st.st_size + 1);
			ssize_t n = f < 0 ? -1 : read(f, data, (size_t)st.st_size);

			if (n != (ssize_t)st.st_size)
				rc = ib_err_set(err, -EIO, "%s: cannot read it "
						"whole", path);
			else if ((rc = ib_archive_entry_write(
					  a, path, S_IFREG | (st.st_mode & 0755),
					  data, (size_t)n, 0, (*ino)++)) < 0)
				ib_err_set(err, rc, "%s: %s", path,
					   archive_error_string(a));
			if (f >= 0)
				close(f);
			free(data);
		} else {
			rc = ib_err_set(err, -EINVAL, "%s: neither a file nor a "
					"directory", path);
		}
		free(path);
	}
	closedir(d);
	return rc;
}

int ib_app_tree_write(const char *tree, int fd, enum ib_tree_format format,
		      struct ib_err *err)
{
	int tfd = open(tree, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct archive *a;
	int64_t ino = 1 << 20; /* apart from an initramfs's own */
	int rc;

	if (tfd < 0)
		return ib_err_set(err, -errno, "%s: %s", tree, strerror(errno));
	a = archive_write_new();
	if (format == IB_TREE_CPIO)
		archive_write_set_format_cpio_newc(a);
	else
		archive_write_set_format_pax_restricted(a);
	archive_write_set_bytes_in_last_block(a, 1);
	if (archive_write_open_fd(a, fd) != ARCHIVE_OK) {
		rc = ib_err_set(err, -EIO, "%s: %s", tree, archive_error_string(a));
	} else {
		rc = tree_add(a, tfd, "", 0, &ino, err);
		if (archive_write_close(a) != ARCHIVE_OK && rc == 0)
			rc = ib_err_set(err, -EIO, "%s: %s", tree,
					archive_error_string(a));
	}
	archive_write_free(a);
	close(tfd);
	return rc;
}
