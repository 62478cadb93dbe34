/* jitter: how late a periodic timer wakes the probe, as cyclictest measures
 * it.
 *
 * One thread sleeps until an absolute time on CLOCK_MONOTONIC
 * (clock_nanosleep with TIMER_ABSTIME), every `interval`, for `duration`;
 * each wake-up's lateness (the time it woke minus the time it asked for)
 * goes into a histogram, whose mean, p50, p99, p99.9 and maximum are the
 * figures. A wake-up later than the next period skips the periods it
 * missed (counted as overruns), as cyclictest does, so one long stall is
 * one late sample, not a train of them. The thread keeps the scheduling
 * policy it was given (SCHED_OTHER unless the instance says otherwise):
 * this is the latency an ordinary process sees, which pinning and an
 * isolated CPU are meant to shrink. It does not touch
 * /dev/cpu_dma_latency (cyclictest does unless told --laptop; validate
 * runs it so). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../common/hist.h"
#include "../harness.h"
#include "../probe.h"

static uint64_t ts_ns(const struct timespec *t)
{
	return (uint64_t)t->tv_sec * 1000000000u + (uint64_t)t->tv_nsec;
}

static struct timespec ns_ts(uint64_t ns)
{
	return (struct timespec){.tv_sec = (time_t)(ns / 1000000000u),
				 .tv_nsec = (long)(ns % 1000000000u)};
}

static int pb_wl_jitter(const struct probe_args *a)
{
	double interval_s = pb_arg_seconds(a, "interval");
	double seconds = pb_arg_seconds(a, "duration");
	uint64_t interval = (uint64_t)(interval_s * 1e9 + 0.5);
	uint64_t next, end, wakeups = 0, overruns = 0;
	struct ib_hist *h = malloc(sizeof(*h));
	struct timespec t;

	if (!h) {
		pb_emit_error("jitter", "failed", "out of memory");
		return 1;
	}
	if (interval < 1000) {
		pb_emit_error("jitter", "invalid", "interval %.9g s is under 1 us",
			      interval_s);
		free(h);
		return 1;
	}
	ib_hist_init(h);
	clock_gettime(CLOCK_MONOTONIC, &t);
	next = ts_ns(&t) + interval;
	end = next + (uint64_t)(seconds * 1e9);
	while (next < end) {
		struct timespec want = ns_ts(next);
		uint64_t now;
		int rc;

		rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &want, NULL);
		if (rc == EINTR)
			continue;
		if (rc != 0) {
			pb_emit_error("jitter", "failed", "clock_nanosleep: %s",
				      strerror(rc));
			free(h);
			return 1;
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
		now = ts_ns(&t);
		ib_hist_record(h, now > next ? now - next : 0);
		wakeups++;
		next += interval;
		while (next <= now) {
			next += interval;
			overruns++;
		}
	}
	if (wakeups == 0) {
		pb_emit_error("jitter", "failed", "no wake-up in %.3g s", seconds);
		free(h);
		return 1;
	}
	{
		const struct ib_pv pv[] = {PV_NUM("interval_us", interval / 1000.0)};
		static const struct {
			const char *metric;
			double pct; /* < 0: the mean */
		} figs[] = {{"lateness_mean", -1},  {"lateness_p50", 50},
			    {"lateness_p99", 99},   {"lateness_p99_9", 99.9},
			    {"lateness_max", 100}};

		for (size_t i = 0; i < sizeof(figs) / sizeof(figs[0]); i++)
			pb_emit_sample("jitter", figs[i].metric, "us",
				       IB_LOWER_IS_BETTER,
				       figs[i].pct < 0
					       ? ib_hist_mean(h) / 1e3
					       : (double)ib_hist_percentile(
							 h, figs[i].pct) / 1e3,
				       pv, 1);
		pb_emit_info_num("jitter", "wakeups", (double)wakeups);
		pb_emit_info_num("jitter", "overruns", (double)overruns);
	}
	free(h);
	return 0;
}
PB_WORKLOAD(jitter, pb_wl_jitter);
