/* Unit tests of the file handling in src/host/base/util.c that a root tool must
 * get right: ib_rmtree never follows a symlink (inside the tree or as the
 * top path) and never enters another mount; ib_write_file_atomic never
 * writes through a symlink at its destination or at a temp name;
 * ib_mountinfo_mount_point decodes the kernel's escapes; ib_runtime_dir
 * and ib_mkdir_private refuse a directory that is a symlink, someone
 * else's, or writable by others; ib_sock_path_check and ib_abspath.
 * Everything happens in a temp directory of the test's own. */
#include "unit.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/util.h"

static char tmpdir[256];

static int setup(void **state)
{
	const char *t = getenv("TMPDIR");

	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "%s/isobench-test-util-XXXXXX",
		 t && *t ? t : "/tmp");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return ib_rmtree(tmpdir) == 0 ? 0 : -1;
}

/* A path in tmpdir (caller frees). */
static char *tpath(const char *name)
{
	return ib_xasprintf("%s/%s", tmpdir, name);
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void assert_file(const char *path, const char *text)
{
	char *got = ib_read_file(path, NULL, NULL);

	assert_non_null(got);
	assert_string_equal(got, text);
	free(got);
}

static int exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* --- ib_rmtree ----------------------------------------------------------- */

static void test_rmtree_symlink_inside(void **state)
{
	char *bait = tpath("bait"), *bait_file = tpath("bait/keep");
	char *bait_top = tpath("bait-file"), *tree = tpath("tree");
	char *p;

	(void)state;
	assert_int_equal(mkdir(bait, 0700), 0);
	put(bait_file, "precious\n");
	put(bait_top, "precious too\n");
	assert_int_equal(mkdir(tree, 0700), 0);
	p = tpath("tree/a");
	assert_int_equal(mkdir(p, 0700), 0);
	free(p);
	p = tpath("tree/a/b");
	assert_int_equal(mkdir(p, 0700), 0);
	free(p);
	p = tpath("tree/a/b/file");
	put(p, "x");
	free(p);
	/* links to the bait, as a directory and as a file, at two depths */
	p = tpath("tree/to-dir");
	assert_int_equal(symlink(bait, p), 0);
	free(p);
	p = tpath("tree/a/b/to-dir");
	assert_int_equal(symlink(bait, p), 0);
	free(p);
	p = tpath("tree/a/to-file");
	assert_int_equal(symlink(bait_top, p), 0);
	free(p);

	assert_int_equal(ib_rmtree(tree), 0);
	assert_false(exists(tree));
	assert_file(bait_file, "precious\n");
	assert_file(bait_top, "precious too\n");
	free(bait);
	free(bait_file);
	free(bait_top);
	free(tree);
}

static void test_rmtree_symlink_top(void **state)
{
	char *bait = tpath("bait2"), *bait_file = tpath("bait2/keep");
	char *lnk = tpath("lnk-top");

	(void)state;
	assert_int_equal(mkdir(bait, 0700), 0);
	put(bait_file, "precious\n");
	assert_int_equal(symlink(bait, lnk), 0);
	/* the lnk goes, nothing it points at */
	assert_int_equal(ib_rmtree(lnk), 0);
	assert_false(exists(lnk));
	assert_file(bait_file, "precious\n");
	/* a trailing slash would make lstat follow: the bait stays too */
	assert_int_equal(symlink(bait, lnk), 0);
	{
		char *slash = tpath("link-top/");

		ib_rmtree(slash);
		free(slash);
	}
	assert_file(bait_file, "precious\n");
	unlink(lnk);
	assert_int_equal(ib_rmtree("/nonexistent-isobench-test-path"), 0);
	free(bait);
	free(bait_file);
	free(lnk);
}

/* A tmpfs mounted inside the tree (in a mount namespace of a child's own,
 * so nothing is mounted outside the test): its files stay, the rest of
 * the tree goes, and the result says it could not finish. */
static void test_rmtree_stays_on_its_mount(void **state)
{
	char *tree = tpath("mtree"), *mnt = tpath("mtree/mnt");
	char *inside = tpath("mtree/mnt/keep"), *other = tpath("mtree/other");
	pid_t pid;
	int status;

	(void)state;
	if (geteuid() != 0) {
		skip(); /* mounting needs root */
		return;
	}
	assert_int_equal(mkdir(tree, 0700), 0);
	assert_int_equal(mkdir(mnt, 0700), 0);
	put(other, "goes\n");
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int rc;

		if (unshare(CLONE_NEWNS) != 0 ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
			_exit(77);
		if (mount("isobench-unit", mnt, "tmpfs", 0, "size=1m") != 0)
			_exit(77);
		put(inside, "on another mount\n");
		rc = ib_rmtree(tree);
		if (rc != -EBUSY)
			_exit(1);
		if (!exists(inside))
			_exit(2); /* descended into the mount */
		if (exists(other))
			_exit(3); /* gave up on the rest */
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77) {
		skip(); /* no mount namespace here */
		return;
	}
	assert_int_equal(WEXITSTATUS(status), 0);
	/* the namespace is gone with the child: now it all goes */
	assert_int_equal(ib_rmtree(tree), 0);
	assert_false(exists(tree));
	free(tree);
	free(mnt);
	free(inside);
	free(other);
}

/* --- ib_write_file_atomic ------------------------------------------------ */

static void test_atomic_symlink_destination(void **state)
{
	char *bait = tpath("bait-dest"), *dest = tpath("dest.json");
	struct ib_err err = {0};
	struct stat st;

	(void)state;
	put(bait, "precious\n");
	assert_int_equal(symlink(bait, dest), 0);
	assert_int_equal(ib_write_file_atomic(dest, "new\n", 4, &err), 0);
	assert_file(bait, "precious\n");
	assert_int_equal(lstat(dest, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_file(dest, "new\n");
	free(bait);
	free(dest);
}

/* The temp name used to be "<path>.tmp.<pid>": a symlink planted there
 * was opened with O_TRUNC and written through. */
static void test_atomic_symlink_temp(void **state)
{
	char *bait = tpath("bait-tmp"), *dest = tpath("out.txt");
	char *planted = ib_xasprintf("%s.tmp.%d", dest, (int)getpid());
	struct ib_err err = {0};
	DIR *d;
	struct dirent *e;

	(void)state;
	put(bait, "precious\n");
	assert_int_equal(symlink(bait, planted), 0);
	assert_int_equal(ib_write_file_atomic(dest, "data\n", 5, &err), 0);
	assert_file(bait, "precious\n");
	assert_file(dest, "data\n");
	/* the planted link is left alone, and no temp file is left over */
	assert_true(exists(planted));
	unlink(planted);
	d = opendir(tmpdir);
	assert_non_null(d);
	while ((e = readdir(d)))
		if (strncmp(e->d_name, "out.txt.tmp.", 12) == 0)
			fail_msg("temp file %s left over", e->d_name);
	closedir(d);
	free(bait);
	free(dest);
	free(planted);
}

static void test_atomic_mode(void **state)
{
	char *dest = tpath("probe");
	struct ib_err err = {0};
	struct stat st;
	mode_t old = umask(077);

	(void)state;
	assert_int_equal(ib_write_file_atomic_mode(dest, "x", 1, 0555, &err),
			 0);
	assert_int_equal(stat(dest, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0555);
	/* the plain one keeps the umask's say */
	assert_int_equal(ib_write_file_atomic(dest, "y", 1, &err), 0);
	assert_int_equal(stat(dest, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	umask(old);
	/* a directory that does not exist: an error naming the path */
	{
		char *bad = tpath("no/such/dir/file");

		assert_true(ib_write_file_atomic(bad, "z", 1, &err) < 0);
		assert_contains(err.msg, bad);
		free(bad);
	}
	free(dest);
}

/* --- /proc/self/mountinfo ------------------------------------------------ */

static void test_mountinfo_decode(void **state)
{
	static const struct {
		const char *line, *want;
	} cases[] = {
		{"36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 "
		 "/dev/root rw,errors=continue\n", "/mnt/parent"},
		{"100 29 0:52 / /var/tmp/isobench-x/with\\040space rw - tmpfs "
		 "tmpfs rw\n", "/var/tmp/isobench-x/with space"},
		{"101 29 0:53 / /a\\011tab\\012nl\\134bs rw - tmpfs t rw",
		 "/a\ttab\nnl\\bs"},
		{"102 29 0:54 / / rw - ext4 /dev/sda1 rw\n", "/"},
		/* a backslash not followed by three octal digits is itself */
		{"103 29 0:55 / /odd\\9x rw - tmpfs t rw", "/odd\\9x"},
	};
	static const char *bad[] = {
		"", "36 35 98:0 /mnt1", "36 35 98:0 /mnt1 ",
		"36 35 98:0 /mnt1 relative rw - t t rw",
		"36 35 98:0 /mnt1 /nul\\000byte rw - t t rw",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char *got = ib_mountinfo_mount_point(cases[i].line);

		assert_non_null(got);
		assert_string_equal(got, cases[i].want);
		free(got);
	}
	for (size_t i = 0; i < ARRAY_LEN(bad); i++)
		assert_null(ib_mountinfo_mount_point(bad[i]));
}

/* ib_unmount_under finds a mount whose path has a space (mountinfo
 * writes it \040): the old parser skipped every escaped path. */
static void test_unmount_escaped(void **state)
{
	char *dir = tpath("um dir"), *mnt = tpath("um dir/in side");
	pid_t pid;
	int status;

	(void)state;
	if (geteuid() != 0) {
		skip();
		return;
	}
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(mkdir(mnt, 0700), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct stat a, b;

		if (unshare(CLONE_NEWNS) != 0 ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
		    mount("isobench-unit", mnt, "tmpfs", 0, "size=1m") != 0)
			_exit(77);
		/* through a symlink to it: nothing */
		{
			char *lnk = ib_xasprintf("%s/um-link", tmpdir);

			if (symlink(dir, lnk) != 0 || ib_unmount_under(lnk) != 0)
				_exit(3);
			unlink(lnk);
			free(lnk);
		}
		if (ib_unmount_under("/") != 0)
			_exit(4);
		if (ib_unmount_under(dir) != 1)
			_exit(1);
		/* back on the parent's filesystem */
		if (stat(mnt, &a) != 0 || stat(dir, &b) != 0 ||
		    a.st_dev != b.st_dev)
			_exit(2);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77) {
		skip();
		return;
	}
	assert_int_equal(WEXITSTATUS(status), 0);
	free(dir);
	free(mnt);
}

/* --- the runtime directory ----------------------------------------------- */

static char *runtime_dir_at(const char *path, struct ib_err *err)
{
	char *dir;

	setenv("ISOBENCH_RUNTIME_DIR", path, 1);
	dir = ib_runtime_dir(err);
	unsetenv("ISOBENCH_RUNTIME_DIR");
	return dir;
}

static void test_runtime_dir(void **state)
{
	char *want = tpath("rt"), *dir;
	struct ib_err err = {0};
	struct stat st;

	(void)state;
	/* made, private */
	dir = runtime_dir_at(want, &err);
	assert_non_null(dir);
	assert_string_equal(dir, want);
	assert_int_equal(lstat(dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0700);
	free(dir);
	/* again: it exists, it is ours, fine */
	dir = runtime_dir_at(want, &err);
	assert_non_null(dir);
	free(dir);
	/* 0755 of ours is fine too (a /run/isobench of earlier versions) */
	assert_int_equal(chmod(want, 0755), 0);
	dir = runtime_dir_at(want, &err);
	assert_non_null(dir);
	free(dir);
	/* writable by the group, or by all: refused */
	assert_int_equal(chmod(want, 0770), 0);
	assert_null(runtime_dir_at(want, &err));
	assert_contains(err.msg, "writable");
	assert_contains(err.msg, want);
	assert_int_equal(chmod(want, 01777), 0);
	assert_null(runtime_dir_at(want, &err));
	assert_int_equal(chmod(want, 0700), 0);
	/* relative: refused */
	assert_null(runtime_dir_at("relative/rt", &err));
	assert_contains(err.msg, "absolute");
	free(want);
}

static void test_runtime_dir_symlink(void **state)
{
	char *real = tpath("rt-real"), *link = tpath("rt-link");
	struct ib_err err = {0};

	(void)state;
	assert_int_equal(mkdir(real, 0700), 0);
	assert_int_equal(symlink(real, link), 0);
	assert_null(runtime_dir_at(link, &err));
	assert_contains(err.msg, "symlink");
	/* a file in its place */
	unlink(link);
	put(link, "");
	assert_null(runtime_dir_at(link, &err));
	free(real);
	free(link);
}

/* Someone else's directory (made here by chown, so only as root). */
static void test_runtime_dir_not_ours(void **state)
{
	char *want = tpath("rt-other");
	struct ib_err err = {0};

	(void)state;
	if (geteuid() != 0) {
		skip();
		return;
	}
	assert_int_equal(mkdir(want, 0700), 0);
	assert_int_equal(chown(want, 65534, 65534), 0);
	assert_null(runtime_dir_at(want, &err));
	assert_contains(err.msg, "belongs to uid 65534");
	free(want);
}

static void test_mkdir_private_exclusive(void **state)
{
	char *want = tpath("work-x");
	struct ib_err err = {0};

	(void)state;
	assert_int_equal(ib_mkdir_private(want, 0700, 1, &err), 0);
	assert_int_equal(ib_mkdir_private(want, 0700, 1, &err), -EEXIST);
	assert_contains(err.msg, want);
	assert_int_equal(ib_mkdir_private(want, 0700, 0, &err), 0);
	free(want);
}

static void test_sock_path_and_abspath(void **state)
{
	struct ib_err err = {0};
	char path[200], *abs, *cwd;

	(void)state;
	memset(path, 'a', sizeof(path));
	path[0] = '/';
	path[107] = '\0';
	assert_int_equal(ib_sock_path_check(path, &err), 0);
	path[107] = 'a';
	path[108] = '\0';
	assert_int_equal(ib_sock_path_check(path, &err), -ENAMETOOLONG);
	assert_contains(err.msg, "108 bytes");

	abs = ib_abspath("/x/y");
	assert_string_equal(abs, "/x/y");
	free(abs);
	cwd = getcwd(NULL, 0);
	abs = ib_abspath("out/dir");
	assert_non_null(abs);
	assert_prefix(abs, cwd);
	assert_string_equal(abs + strlen(cwd), "/out/dir");
	free(abs);
	free(cwd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rmtree_symlink_inside),
		cmocka_unit_test(test_rmtree_symlink_top),
		cmocka_unit_test(test_rmtree_stays_on_its_mount),
		cmocka_unit_test(test_atomic_symlink_destination),
		cmocka_unit_test(test_atomic_symlink_temp),
		cmocka_unit_test(test_atomic_mode),
		cmocka_unit_test(test_mountinfo_decode),
		cmocka_unit_test(test_unmount_escaped),
		cmocka_unit_test(test_runtime_dir),
		cmocka_unit_test(test_runtime_dir_symlink),
		cmocka_unit_test(test_runtime_dir_not_ours),
		cmocka_unit_test(test_mkdir_private_exclusive),
		cmocka_unit_test(test_sock_path_and_abspath),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
