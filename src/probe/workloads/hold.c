/* hold (the footprint benchmark): the probe starts, says it is holding,
 * and idles until told to exit.
 *
 * isobench measures on the host what the instance costs while it idles:
 * the PSS and RSS of its host processes, the drop of MemAvailable with N
 * of them held. The probe's part is to cost as little as a real idle
 * service would and to end cleanly: SIGTERM, SIGINT or SIGHUP end the hold
 * (as PID 1 of a container a signal needs a handler to be delivered at
 * all), and so does the `hold` deadline, so an instance isobench lost
 * track of cannot idle forever. */
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../probe.h"

static volatile sig_atomic_t stop_hold;

static void on_stop(int sig)
{
	(void)sig;
	stop_hold = 1;
}

static int pb_wl_hold(const struct probe_args *a)
{
	double limit = pb_arg_seconds(a, "hold");
	struct sigaction sa;
	struct timespec start, now;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	clock_gettime(CLOCK_MONOTONIC, &start);
	pb_emit_info_num("footprint", "holding_s", limit);
	while (!stop_hold) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((double)(now.tv_sec - start.tv_sec) +
			    (double)(now.tv_nsec - start.tv_nsec) / 1e9 >= limit)
			break;
		/* a signal interrupts the sleep at once */
		sleep(1);
	}
	return 0;
}
PB_WORKLOAD(footprint, pb_wl_hold);
