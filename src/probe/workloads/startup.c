/* startup: the probe starts, says hello and exits at once.
 *
 * Everything measured happens on the host (runner.c): the phases of the
 * launch on its monotonic clock, from just before the runtime is invoked
 * to the first byte of this probe's output (its hello record), its exit,
 * and the instance fully torn down. The hello record carries the
 * process's view of its start (the machine's uptime, which in a VM is the
 * guest kernel's share). Nothing to do here but not delay the exit. */
#include "../probe.h"

static int pb_wl_startup(const struct probe_args *a)
{
	(void)a;
	return 0;
}
PB_WORKLOAD(startup, pb_wl_startup);
