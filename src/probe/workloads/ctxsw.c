/* ctxsw: two processes pass a one-byte token through a pair of pipes.
 *
 * The method of lmbench's lat_ctx (with 0 KiB of working set) and of perf
 * bench sched pipe: the parent writes to pipe A and blocks reading pipe B;
 * the child blocks reading A and answers on B. One round trip is two
 * context switches plus two pipe writes and reads; round trips per second
 * are what perf reports (as usecs/op), and half a round trip is the
 * switch figure (not corrected for the pipe's cost, as perf does not). */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../harness.h"
#include "../probe.h"

static int xfer(int rfd, int wfd, int write_first)
{
	char b = 'x';

	if (write_first && write(wfd, &b, 1) != 1)
		return -1;
	if (read(rfd, &b, 1) != 1)
		return -1;
	if (!write_first && write(wfd, &b, 1) != 1)
		return -1;
	return 0;
}

static void pin_to_first_cpu(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return;
	for (int i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &set)) {
			CPU_ZERO(&set);
			CPU_SET(i, &set);
			sched_setaffinity(0, sizeof(set), &set);
			return;
		}
}

static int pb_wl_ctxsw(const struct probe_args *a)
{
	double seconds = pb_arg_seconds(a, "duration");
	int pin_same = strcmp(pb_arg_str(a, "pin"), "same") == 0;
	int ab[2], ba[2], status, rc = 0;
	uint64_t trips = 0, t0, deadline, elapsed;
	pid_t child, parent = getpid();

	if (pipe(ab) != 0 || pipe(ba) != 0) {
		pb_emit_error("ctxsw", "failed", "pipe: %s", strerror(errno));
		return 1;
	}
	if (pin_same)
		pin_to_first_cpu(); /* inherited by the child */
	child = fork();
	if (child < 0) {
		pb_emit_error("ctxsw", "failed", "fork: %s", strerror(errno));
		return 1;
	}
	if (child == 0) {
		/* Echo until the parent closes its end; die with it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(0);
		close(ab[1]);
		close(ba[0]);
		while (xfer(ab[0], ba[1], 0) == 0)
			;
		_exit(0);
	}
	close(ab[0]);
	close(ba[1]);
	/* Warm-up: both processes running and their pages touched. */
	for (int i = 0; i < 1000 && rc == 0; i++)
		rc = xfer(ba[0], ab[1], 1);
	t0 = now_ns();
	deadline = t0 + (uint64_t)(seconds * 1e9);
	while (rc == 0 && now_ns() < deadline) {
		for (int i = 0; i < 100 && rc == 0; i++, trips++)
			rc = xfer(ba[0], ab[1], 1);
	}
	elapsed = now_ns() - t0;
	close(ab[1]);
	close(ba[0]);
	waitpid(child, &status, 0);
	if (rc != 0 || trips == 0) {
		pb_emit_error("ctxsw", "failed", "token lost between the processes");
		return 1;
	}
	pb_emit_sample("ctxsw", "roundtrip", "us", IB_LOWER_IS_BETTER,
		       (double)elapsed / 1e3 / (double)trips,
		       (struct ib_pv[]){PV_STR("pin", pb_arg_str(a, "pin"))}, 1);
	pb_emit_sample("ctxsw", "switch", "us", IB_LOWER_IS_BETTER,
		       (double)elapsed / 1e3 / (double)trips / 2,
		       (struct ib_pv[]){PV_STR("pin", pb_arg_str(a, "pin"))}, 1);
	return 0;
}
PB_WORKLOAD(ctxsw, pb_wl_ctxsw);
