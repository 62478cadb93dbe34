/* test_proc: src/host/base/proc.c with many children at once, as footprint's
 * density holds (thousands of instances): every child a struct ib_proc
 * stands for keeps its exit status for its owner, however many there
 * are (the table of them had 64 slots: the 65th was reaped as a stray
 * and its owner saw no status), and the strays are all reaped, however
 * long the kernel's list of children is (it was read into 4 KiB). */
#include "unit.h"

#include <errno.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/proc.h"

#define MANY 100     /* children of struct ib_procs at once (over 64) */
#define STRAYS 1000  /* their list is over 4 KiB (5+ digits and a space each) */

static const char *false_bin(void)
{
	return access("/bin/false", X_OK) == 0 ? "/bin/false" : "/usr/bin/false";
}

/* Until pid is a zombie (exited, not reaped), at most 10 s. */
static void wait_zombie(pid_t pid)
{
	for (int i = 0; i < 10000; i++) {
		siginfo_t si;

		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
		    si.si_pid == pid)
			return;
		{
			struct timespec ts = {0, 1000000};

			nanosleep(&ts, NULL);
		}
	}
	fail_msg("child %d did not exit", (int)pid);
}

static void many_children_keep_status(void **state)
{
	static struct ib_proc p[MANY];
	char *argv[] = {(char *)false_bin(), NULL};
	size_t base = ib_proc_tracked_count();

	(void)state;
	for (int i = 0; i < MANY; i++) {
		struct ib_err err = {0};

		if (ib_proc_spawn(&p[i], argv, NULL, 0, &err) < 0)
			fail_msg("spawn %d: %s", i, err.msg);
	}
	assert_int_equal(ib_proc_tracked_count(), base + MANY);
	for (int i = 0; i < MANY; i++)
		wait_zombie(p[i].pid);
	/* every one exited: strays are reaped, these are not */
	ib_proc_reap_strays();
	for (int i = 0; i < MANY; i++) {
		assert_int_equal(ib_proc_wait(&p[i], ib_mono_ns() + 10000000000ull), 0);
		if (p[i].exit_code != 1)
			fail_msg("child %d of %d: exit code %d, want 1 (reaped as "
				 "a stray?)", i, MANY, p[i].exit_code);
		ib_proc_close(&p[i]);
	}
	assert_int_equal(ib_proc_tracked_count(), base);
}

/* A child that exits at once (vfork: a fork of a sanitized process is
 * slow). */
static pid_t stray(void)
{
	pid_t pid = vfork();

	if (pid == 0)
		_exit(0);
	return pid;
}

static void all_strays_reaped(void **state)
{
	pid_t pids[STRAYS];

	(void)state;
	for (int i = 0; i < STRAYS; i++) {
		pids[i] = stray();
		if (pids[i] < 0)
			fail_msg("vfork: %s", strerror(errno));
	}
	for (int i = 0; i < STRAYS; i++)
		wait_zombie(pids[i]);
	ib_proc_reap_strays();
	/* nothing left to reap: every one was */
	for (int i = 0; i < STRAYS; i++)
		if (waitpid(pids[i], NULL, WNOHANG) != -1 || errno != ECHILD)
			fail_msg("stray %d of %d (pid %d) was not reaped", i,
				 STRAYS, (int)pids[i]);
}

/* A version read without a shell: a path with quotes and $(...) in it is
 * run as it is, never interpreted (qemu's --version was read through
 * popen with the path in single quotes). */
static void version_line_no_shell(void **state)
{
	char dir[] = "/tmp/isobench-unit-XXXXXX", *sub, *bin, *pwned, *v;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	/* a shell would run the touch in its working directory: ours */
	assert_int_equal(chdir(dir), 0);
	pwned = ib_xasprintf("%s/pwned", dir);
	sub = ib_xasprintf("%s/a'$(touch pwned)'b", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	bin = ib_xasprintf("%s/qemu", sub);
	f = fopen(bin, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\necho 'warning: something' >&2\n"
		   "echo 'QEMU emulator version 9.9.9 (test)'\n"
		   "[ \"$1\" = --version ] || exit 3\n");
	fclose(f);
	assert_int_equal(chmod(bin, 0755), 0);
	v = ib_proc_version_line(bin, "--version", "QEMU emulator version ", 10);
	assert_non_null(v);
	assert_string_equal(v, "9.9.9 (test)");
	free(v);
	assert_int_equal(access(pwned, F_OK), -1);
	/* no prefix given or found: the first line said */
	v = ib_proc_version_line(bin, "--version", "nope ", 10);
	assert_non_null(v);
	assert_true(strcmp(v, "warning: something") == 0 ||
		    strcmp(v, "QEMU emulator version 9.9.9 (test)") == 0);
	free(v);
	/* failing, missing, or hanging (then killed at the deadline) */
	assert_null(ib_proc_version_line(bin, "--help", "QEMU ", 10));
	unlink(bin);
	assert_null(ib_proc_version_line(bin, "--version", "QEMU ", 10));
	f = fopen(bin, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\nexec sleep 30\n");
	fclose(f);
	assert_int_equal(chmod(bin, 0755), 0);
	{
		uint64_t t0 = ib_mono_ns();

		assert_null(ib_proc_version_line(bin, "--version", "QEMU ", 0.5));
		assert_true(ib_mono_ns() - t0 < 5000000000ull);
	}
	unlink(bin);
	rmdir(sub);
	assert_int_equal(chdir("/"), 0);
	rmdir(dir);
	free(bin);
	free(sub);
	free(pwned);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(many_children_keep_status),
		cmocka_unit_test(all_strays_reaped),
		cmocka_unit_test(version_line_no_shell),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
