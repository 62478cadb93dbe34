/* test_proc: src/host/proc.c with many children at once, as footprint's
 * density holds (thousands of instances): every child a struct ib_proc
 * stands for keeps its exit status for its owner, however many there
 * are (the table of them had 64 slots: the 65th was reaped as a stray
 * and its owner saw no status), and the strays are all reaped, however
 * long the kernel's list of children is (it was read into 4 KiB). */
#include "unit.h"

#include <errno.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proc.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(many_children_keep_status),
		cmocka_unit_test(all_strays_reaped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
