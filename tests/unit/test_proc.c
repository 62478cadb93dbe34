/* test_proc: src/host/base/proc.c with many children at once, as footprint's
 * density holds (thousands of instances): every child a struct ib_proc
 * stands for keeps its exit status for its owner, however many there
 * are (the table of them had 64 slots: the 65th was reaped as a stray
 * and its owner saw no status), and the strays are all reaped, however
 * long the kernel's list of children is (it was read into 4 KiB).
 *
 * And what a child gets before exec, now that it runs in isobench's
 * memory (clone with CLONE_VM | CLONE_VFORK) instead of a fork: default
 * signal dispositions and an empty mask whatever the parent has, a
 * process group of its own, /dev/null as stdin, the cwd asked for, the
 * pre-exec hook's error or the exec's as the spawn's error, no
 * descriptor of isobench's, and the parent's memory untouched. */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
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

/* Runs argv with o, its output (stdout and stderr) whole into out;
 * returns its exit status. */
static int run_out(char *const argv[], const struct ib_spawn_opts *o,
		   struct ib_buf *out)
{
	struct ib_err err = {0};
	int rc = ib_proc_capture_opts(argv, o, 10, NULL, out, &err);

	if (rc < 0)
		fail_msg("%s: %s", argv[0], err.msg);
	return rc;
}

/* The hex mask of field name ("SigBlk") in a /proc/PID/status text. */
static unsigned long long status_mask(const char *text, const char *name)
{
	const char *p = strstr(text, name);

	assert_non_null(p);
	return strtoull(p + strlen(name) + 1, NULL, 16);
}

static void on_usr2(int sig)
{
	(void)sig;
}

static void child_gets_a_clean_start(void **state)
{
	char *cat[] = {"/bin/cat", "/proc/self/status", NULL};
	char *ls[] = {"/bin/ls", "/proc/self/fd", NULL};
	char *rl[] = {"/bin/readlink", "/proc/self/fd/0", NULL};
	char *pwd[] = {"/bin/pwd", NULL};
	char *stat[] = {"/bin/cat", "/proc/self/stat", NULL};
	struct ib_spawn_opts o = {.flags = IB_PROC_DIE_WITH_PARENT};
	struct sigaction ign = {.sa_handler = SIG_IGN}, h = {.sa_handler = on_usr2};
	struct sigaction old1, old2;
	sigset_t term, oldmask;
	struct ib_buf out = {0};
	char tmp[] = "/tmp/isobench-test-proc-XXXXXX";
	int pid, pgrp, fd = open("/dev/null", O_RDONLY); /* not CLOEXEC */

	(void)state;
	/* the parent ignores SIGUSR1, catches SIGUSR2, blocks SIGTERM */
	sigaction(SIGUSR1, &ign, &old1);
	sigaction(SIGUSR2, &h, &old2);
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_BLOCK, &term, &oldmask);
	assert_int_equal(run_out(cat, &o, &out), 0);
	assert_int_equal(status_mask(out.s, "SigBlk:"), 0);
	assert_int_equal(status_mask(out.s, "SigIgn:"), 0);
	assert_int_equal(status_mask(out.s, "SigCgt:"), 0);
	sigprocmask(SIG_SETMASK, &oldmask, NULL);
	sigaction(SIGUSR1, &old1, NULL);
	sigaction(SIGUSR2, &old2, NULL);
	ib_buf_free(&out);
	/* no descriptor of the parent's: 0, 1, 2 and ls's own */
	assert_int_equal(run_out(ls, &o, &out), 0);
	assert_string_equal(out.s, "0\n1\n2\n3\n");
	ib_buf_free(&out);
	close(fd);
	assert_int_equal(run_out(rl, &o, &out), 0);
	assert_string_equal(out.s, "/dev/null\n");
	ib_buf_free(&out);
	/* a process group of its own: field 5 of stat is its pid */
	assert_int_equal(run_out(stat, &o, &out), 0);
	assert_int_equal(sscanf(out.s, "%d", &pid), 1);
	assert_int_equal(sscanf(strrchr(out.s, ')') + 2, "%*c %*d %d", &pgrp), 1);
	assert_int_equal(pgrp, pid);
	assert_int_not_equal(pgrp, getpgrp());
	ib_buf_free(&out);
	assert_non_null(mkdtemp(tmp));
	o.cwd = tmp;
	assert_int_equal(run_out(pwd, &o, &out), 0);
	assert_int_equal(strncmp(out.s, tmp, strlen(tmp)), 0);
	ib_buf_free(&out);
	rmdir(tmp);
}

static int refuse(void *arg)
{
	return *(int *)arg;
}

static void spawn_errors_are_the_spawns(void **state)
{
	char *none[] = {"/nonexistent/isobench-no-such-program", NULL};
	char *t[] = {"/bin/true", NULL};
	int eperm = EPERM, keep = errno;
	struct ib_spawn_opts o = {.pre_exec = refuse, .pre_exec_arg = &eperm};
	struct ib_proc p;
	struct ib_err err = {0};
	size_t base = ib_proc_tracked_count();

	(void)state;
	assert_int_equal(ib_proc_spawn(&p, none, NULL, 0, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "cannot run"));
	assert_non_null(strstr(err.msg, "isobench-no-such-program"));
	assert_int_equal(p.pid, 0);
	memset(&err, 0, sizeof(err));
	assert_int_equal(ib_proc_start(&p, t, &o, &err), -EPERM);
	assert_int_equal(p.pid, 0);
	o.pre_exec = NULL;
	o.cwd = "/nonexistent/isobench-no-such-dir";
	assert_int_equal(ib_proc_start(&p, t, &o, &err), -ENOENT);
	/* nothing tracked, no zombie left: every failed child was reaped */
	assert_int_equal(ib_proc_tracked_count(), base);
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	(void)keep;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(many_children_keep_status),
		cmocka_unit_test(all_strays_reaped),
		cmocka_unit_test(version_line_no_shell),
		cmocka_unit_test(child_gets_a_clean_start),
		cmocka_unit_test(spawn_errors_are_the_spawns),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
