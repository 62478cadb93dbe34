/* test_app_image: src/host/images/app_image.c. A manifest's errors name the
 * line and what is wrong; PT_INTERP is read from real programs (a dynamic
 * one names its loader, the static probe none) and refused on damaged
 * headers; the loader's listing is read, a library it did not find is an
 * error naming it. Then a real image: /bin/ls with its libraries and its
 * loader and a data directory in a temp directory, which as root is shown
 * to be complete by running ls in it on that directory (chroot: nothing of
 * the host's /lib is there). The cache: a second get finds the image
 * intact; a changed input makes another; an entry with a changed byte, an
 * extra file or a missing one is moved aside and built again. */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/proc.h"
#include "images/app_image.h"

static void manifest_errors(void **state)
{
	static const struct {
		const char *text, *want;
	} bad[] = {
		{"[app]\nbinaries = /bin/ls\n", "no name"},
		{"[app]\nname = ls\n", "no binaries"},
		{"[app]\nname = l s\nbinaries = /bin/ls\n", ":2: name 'l s'"},
		{"[app]\nname = ls\nbinaries = bin/ls\n", ":3: binaries: 'bin/ls'"},
		{"[app]\nname = ls\nbinaries = /bin/../ls\n", "not an absolute, normal"},
		{"[app]\nname = ls\nfiles = /etc//x\n", ":3: files"},
		{"name = ls\n", ":1: 'name = ls' is outside [app]"},
		{"[app]\n[other]\n", ":2: unknown section '[other]'"},
		{"[app]\nname = ls\ncolour = red\n", ":3: unknown key 'colour'"},
		{"[app]\nname\n", ":2: not key = value"},
	};
	struct ib_app_manifest m;
	struct ib_err err = {0};

	(void)state;
	for (size_t i = 0; i < IB_ARRAY_LEN(bad); i++) {
		memset(&err, 0, sizeof(err));
		if (ib_app_manifest_parse(bad[i].text, strlen(bad[i].text),
					  "t.ini", &m, &err) == 0)
			fail_msg("accepted: %s", bad[i].text);
		if (!strstr(err.msg, bad[i].want))
			fail_msg("'%s': error '%s' lacks '%s'", bad[i].text,
				 err.msg, bad[i].want);
	}
	{
		const char *ok = "# ls, for the test\n[app]\nname = ls\n"
				 "; comments and blank lines\n\n"
				 "binaries = /bin/ls, /bin/ls\n";

		assert_int_equal(ib_app_manifest_parse(ok, strlen(ok), "t.ini",
						       &m, &err), 0);
		assert_string_equal(m.name, "ls");
		assert_int_equal(m.binaries.n, 1); /* each once */
		ib_app_manifest_free(&m);
	}
}

static unsigned char *slurp(const char *path, size_t *len)
{
	struct ib_err err = {0};
	char *d = ib_read_file(path, len, &err);

	if (!d)
		fail_msg("%s: %s", path, err.msg);
	return (unsigned char *)d;
}

static void elf_interp(void **state)
{
	const char *probe = getenv("PROBE");
	struct ib_err err = {0};
	unsigned char *d;
	char *interp = NULL;
	size_t len;

	(void)state;
	d = slurp("/bin/ls", &len);
	assert_int_equal(ib_elf_interp(d, len, &interp, &err), 0);
	assert_non_null(interp);
	assert_int_equal(interp[0], '/');
	assert_non_null(strstr(interp, "ld-linux"));
	free(interp);
	/* damaged: the program header table pushed past the end */
	d[39] = 0x7f;
	assert_int_equal(ib_elf_interp(d, len, &interp, &err), -ENOEXEC);
	assert_non_null(strstr(err.msg, "outside the file"));
	assert_int_equal(ib_elf_interp(d, 10, &interp, &err), -ENOEXEC);
	free(d);
	if (probe) { /* the probe is static: no loader */
		d = slurp(probe, &len);
		assert_int_equal(ib_elf_interp(d, len, &interp, &err), 0);
		assert_null(interp);
		free(d);
	}
}

static void loader_listing(void **state)
{
	const char *ok =
		"\tlinux-vdso.so.1 (0x00007ffd3c5f4000)\n"
		"\tlibselinux.so.1 => /lib/x86_64-linux-gnu/libselinux.so.1 "
		"(0x00007f0b1f1c9000)\n"
		"\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x0000)\n"
		"\t/lib64/ld-linux-x86-64.so.2 (0x00007f0b1f235000)\n";
	const char *missing = "\tlibfoo.so.3 => not found\n";
	const char *relative = "\tlibc.so.6 => lib/libc.so.6 (0x0)\n";
	struct ib_strv paths = {0};
	struct ib_err err = {0};

	(void)state;
	assert_int_equal(ib_ldlist_parse(ok, strlen(ok), &paths, &err), 0);
	assert_int_equal(paths.n, 3);
	assert_string_equal(paths.v[0], "/lib/x86_64-linux-gnu/libselinux.so.1");
	assert_string_equal(paths.v[2], "/lib64/ld-linux-x86-64.so.2");
	assert_int_equal(ib_ldlist_parse(missing, strlen(missing), &paths,
					 &err), -ENOENT);
	assert_non_null(strstr(err.msg, "library libfoo.so.3 not found"));
	assert_int_equal(ib_ldlist_parse(relative, strlen(relative), &paths,
					 &err), -EINVAL);
	ib_strv_free(&paths);
}

static void image_of_ls_runs(void **state)
{
	const char *tmp = getenv("TMPDIR");
	char base[256], *dir, *ls, *lib, *data, *text, *listed;
	struct ib_app_manifest m;
	struct ib_err err = {0};
	struct stat st;
	uint64_t bytes = 0;

	(void)state;
	snprintf(base, sizeof(base), "%s/isobench-test-app-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(base));
	dir = ib_xasprintf("%s/rootfs", base);
	/* a data directory of the test's own, copied whole */
	data = ib_xasprintf("%s/data", base);
	assert_int_equal(mkdir(data, 0755), 0);
	listed = ib_xasprintf("%s/hello", data);
	assert_int_equal(ib_write_file_atomic(listed, "hi\n", 3, &err), 0);
	text = ib_xasprintf("[app]\nname = ls\nbinaries = /bin/ls\n"
			    "files = %s\n", data);
	assert_int_equal(ib_app_manifest_parse(text, strlen(text), "t.ini", &m,
					       &err), 0);
	if (ib_app_image_build(&m, dir, &bytes, &err) != 0)
		fail_msg("build: %s", err.msg);
	ls = ib_xasprintf("%s/bin/ls", dir);
	assert_int_equal(lstat(ls, &st), 0);
	assert_true(S_ISREG(st.st_mode) && (st.st_mode & 0111));
	lib = ib_xasprintf("%s/lib64/ld-linux-x86-64.so.2", dir);
	assert_int_equal(lstat(lib, &st), 0);
	assert_true(S_ISREG(st.st_mode)); /* a file, not the host's symlink */
	assert_true(bytes > 100000);
	/* building again into the same directory: refused, nothing touched */
	assert_int_equal(ib_app_image_build(&m, dir, &bytes, &err), -EEXIST);
	if (geteuid() == 0) {
		struct ib_buf out = {0};
		char *argv[] = {"/usr/sbin/chroot", dir, "/bin/ls", data, NULL};
		int rc = ib_proc_capture(argv, NULL, 10, NULL, &out, &err);

		if (rc != 0)
			fail_msg("ls in the image: %d %s %s", rc, err.msg,
				 out.s ? out.s : "");
		assert_string_equal(out.s, "hello\n");
		ib_buf_free(&out);
	} else {
		print_message("SKIP part: not root, the image is not run\n");
	}
	ib_app_manifest_free(&m);
	free(ls);
	free(lib);
	free(dir);
	free(data);
	free(listed);
	free(text);
	assert_int_equal(ib_rmtree(base), 0);
}

/* The cache, in a temp directory: built, found, keyed by the inputs, and
 * a damaged entry (a byte, a file more, a file less) moved aside. */
static void image_cache(void **state)
{
	const char *tmp = getenv("TMPDIR");
	char base[256], *cache, *data, *file, *text, *w, *p, *first;
	struct ib_app_manifest m;
	struct ib_app_image img;
	struct ib_err err = {0};
	struct stat st;
	int n = 0;

	(void)state;
	snprintf(base, sizeof(base), "%s/isobench-test-cache-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(base));
	cache = ib_xasprintf("%s/cache", base);
	setenv("ISOBENCH_APP_CACHE", cache, 1);
	data = ib_xasprintf("%s/data", base);
	assert_int_equal(mkdir(data, 0755), 0);
	file = ib_xasprintf("%s/f", data);
	assert_int_equal(ib_write_file_atomic(file, "one\n", 4, &err), 0);
	text = ib_xasprintf("[app]\nname = t\nbinaries = /bin/true\n"
			    "files = %s\n", data);
	assert_int_equal(ib_app_manifest_parse(text, strlen(text), "t.ini", &m,
					       &err), 0);
#define GET(want_cached)                                                     \
	do {                                                                 \
		w = ib_xasprintf("%s/work-%d", base, n++);                   \
		if (ib_app_image_get(&m, w, &img, &err) != 0)                \
			fail_msg("get: %s", err.msg);                        \
		assert_int_equal(img.cached, want_cached);                   \
		assert_non_null(strstr(img.dir, cache));                     \
		assert_int_equal(lstat(w, &st), -1); /* renamed into it */   \
		free(w);                                                     \
	} while (0)
	GET(0);
	assert_null(img.note);
	assert_true(img.bytes > 1000);
	first = ib_xstrdup(img.dir);
	ib_app_image_free(&img);
	GET(1);
	assert_string_equal(img.dir, first);
	ib_app_image_free(&img);
	/* a changed input: another image */
	assert_int_equal(unlink(file), 0);
	assert_int_equal(ib_write_file_atomic(file, "two\n", 4, &err), 0);
	GET(0);
	assert_string_not_equal(img.dir, first);
	ib_app_image_free(&img);
	GET(1);
	/* damaged: a byte, a file more, a file less */
	for (int k = 0; k < 3; k++) {
		char *f = ib_xasprintf("%s%s", img.dir, file);
		char *extra = ib_xasprintf("%s/extra", img.dir);

		if (k == 0)
			assert_int_equal(truncate(f, 1), 0);
		else if (k == 1)
			assert_int_equal(ib_write_file_atomic(extra, "x", 1,
							      &err), 0);
		else
			assert_int_equal(unlink(f), 0);
		free(f);
		free(extra);
		ib_app_image_free(&img);
		GET(0);
		assert_non_null(img.note);
		assert_non_null(strstr(img.note, "was damaged"));
		assert_non_null(strstr(img.note, k == 0 ? "differ"
				       : k == 1 ? "holds /extra" : "lacks"));
		p = ib_xasprintf("%s/work-%d.damaged", base, n - 1);
		assert_int_equal(lstat(p, &st), 0); /* moved aside, kept */
		free(p);
	}
	ib_app_image_free(&img);
	GET(1);
	ib_app_image_free(&img);
#undef GET
	unsetenv("ISOBENCH_APP_CACHE");
	ib_app_manifest_free(&m);
	free(first), free(text), free(file), free(data), free(cache);
	assert_int_equal(ib_rmtree(base), 0);
}

/* An image linked into a root: every file the same inode at the same
 * path, the root's own directories kept, and a clash or a symlink in the
 * image refused; /etc's files for the server's user lookups. */
static void image_linked_into_root(void **state)
{
	const char *tmp = getenv("TMPDIR");
	char base[256], *img, *root, *p, *q, *text;
	struct ib_err err = {0};
	struct stat a, b;

	(void)state;
	snprintf(base, sizeof(base), "%s/isobench-test-link-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(base));
	img = ib_xasprintf("%s/img", base);
	root = ib_xasprintf("%s/root", base);
	assert_int_equal(mkdir(img, 0755), 0);
	assert_int_equal(mkdir(root, 0755), 0);
	p = ib_xasprintf("%s/usr/sbin", img);
	assert_int_equal(ib_mkdirs(p, 0755, &err), 0);
	free(p);
	p = ib_xasprintf("%s/usr/sbin/server", img);
	assert_int_equal(ib_write_file_atomic(p, "bin", 3, &err), 0);
	q = ib_xasprintf("%s/tmp", root); /* the root's own, kept */
	assert_int_equal(mkdir(q, 0755), 0);
	free(q);
	q = ib_xasprintf("%s/tmp", img);
	assert_int_equal(mkdir(q, 0755), 0);
	free(q);
	if (ib_app_image_link(img, root, &err) != 0)
		fail_msg("link: %s", err.msg);
	q = ib_xasprintf("%s/usr/sbin/server", root);
	assert_int_equal(stat(p, &a), 0);
	assert_int_equal(lstat(q, &b), 0);
	assert_true(a.st_ino == b.st_ino && S_ISREG(b.st_mode));
	/* again: the file is there already */
	assert_true(ib_app_image_link(img, root, &err) < 0);
	assert_non_null(strstr(err.msg, "server"));
	free(q);
	/* a symlink in the image is refused, never followed */
	q = ib_xasprintf("%s/escape", img);
	assert_int_equal(symlink("/etc", q), 0);
	free(q);
	q = ib_xasprintf("%s/root2", base);
	assert_int_equal(mkdir(q, 0755), 0);
	assert_true(ib_app_image_link(img, q, &err) < 0);
	assert_non_null(strstr(err.msg, "escape"));
	free(q);
	/* the tree as a tar and as a cpio: every entry, read back by tar;
	 * the image with its symlink is refused, naming it */
	if (access("/usr/bin/tar", X_OK) == 0) {
		static const enum ib_tree_format fmts[] = {IB_TREE_TAR,
							   IB_TREE_CPIO};

		for (int f = 0; f < 2; f++) {
			char *out = ib_xasprintf("%s/tree-%d", base, f);
			int fd = open(out, O_WRONLY | O_CREAT | O_EXCL, 0600);
			char *argv[] = {"/usr/bin/tar", "-tf", out, NULL};
			struct ib_buf list = {0};

			assert_true(fd >= 0);
			if (ib_app_tree_write(root, fd, fmts[f], &err) != 0)
				fail_msg("tree: %s", err.msg);
			close(fd);
			if (fmts[f] == IB_TREE_TAR) {
				assert_int_equal(ib_proc_capture(argv, NULL, 10,
								 NULL, &list,
								 &err), 0);
			} else {
				/* GNU tar reads no cpio: its newc headers */
				size_t len;

				list.s = ib_read_file(out, &len, &err);
				assert_non_null(list.s);
				assert_memory_equal(list.s, "070701", 6);
				for (size_t i = 0; i < len; i++)
					if (!list.s[i])
						list.s[i] = '\n';
			}
			assert_non_null(strstr(list.s, "usr/sbin/server\n"));
			assert_non_null(strstr(list.s, "tmp"));
			ib_buf_free(&list);
			free(out);
		}
	}
	{
		int fd = open("/dev/null", O_WRONLY);

		assert_true(ib_app_tree_write(img, fd, IB_TREE_TAR, &err) < 0);
		assert_non_null(strstr(err.msg, "escape"));
		close(fd);
	}
	/* /etc's files: root only */
	assert_int_equal(ib_app_root_etc(root, &err), 0);
	q = ib_xasprintf("%s/etc/passwd", root);
	text = ib_read_file(q, NULL, &err);
	assert_non_null(text);
	assert_string_equal(text, "root:x:0:0:root:/root:/bin/sh\n");
	free(text);
	free(q);
	free(p);
	free(img);
	free(root);
	assert_int_equal(ib_rmtree(base), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(manifest_errors),
		cmocka_unit_test(elf_interp),
		cmocka_unit_test(loader_listing),
		cmocka_unit_test(image_of_ls_runs),
		cmocka_unit_test(image_linked_into_root),
		cmocka_unit_test(image_cache),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
