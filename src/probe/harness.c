#include "harness.h"

#include <stdlib.h>

static uint64_t min_run_ns = 1000000;

double pb_harness_uptime_s(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_BOOTTIME, &ts) != 0)
		return -1;
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void pb_harness_timer_measure(struct ib_timer_info *t)
{
	struct timespec res;
	uint64_t prev, gran = UINT64_MAX, start, end;
	double best;
	enum { READS = 2000, BATCHES = 5 };

	t->res_ns = 0;
	if (clock_getres(CLOCK_MONOTONIC, &res) == 0)
		t->res_ns = (uint64_t)res.tv_sec * 1000000000u +
			    (uint64_t)res.tv_nsec;
	/* Granularity: smallest non-zero step between consecutive reads. */
	prev = now_ns();
	start = prev;
	for (int i = 0; i < READS; i++) {
		uint64_t now = now_ns();

		if (now > prev && now - prev < gran)
			gran = now - prev;
		prev = now;
	}
	end = now_ns();
	if (gran == UINT64_MAX) /* the clock never moved: a coarse clock */
		gran = end - start ? end - start : 1000000;
	t->granularity_ns = gran;
	/* Overhead: the cheapest of a few batches. A read costs at least
	 * that; a batch that came out dearer was interrupted (in a sandbox
	 * whose clock traps, by a lot: 20 to 110 us a read seen under gVisor's
	 * ptrace platform), and the minimum run length is made from this. */
	best = (double)(end - start) / (READS + 1);
	for (int b = 0; b < BATCHES; b++) {
		uint64_t t0 = now_ns(), t1;
		double per;

		for (int i = 0; i < READS / BATCHES; i++)
			(void)now_ns();
		t1 = now_ns();
		per = (double)(t1 - t0) / (READS / BATCHES + 1);
		if (per < best)
			best = per;
	}
	t->overhead_ns = best;
	/* A run must be 200x the granularity and 200x a clock read, and
	 * 1 ms: the clock's step and its cost are each at most 0.5% of it.
	 * (Where a read traps, as under gVisor's ptrace platform, the step
	 * seen is the read's cost, 20-150 us, and this sets runs of 4-30 ms;
	 * natively the 1 ms floor rules.) */
	min_run_ns = gran * 200;
	if (min_run_ns < (uint64_t)(t->overhead_ns * 200))
		min_run_ns = (uint64_t)(t->overhead_ns * 200);
	if (min_run_ns < 1000000)
		min_run_ns = 1000000;
}

uint64_t pb_harness_min_run_ns(void)
{
	return min_run_ns;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double pb_harness_median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double pb_harness_ns_per_iter(harness_fn fn, void *ctx, double seconds,
			      int runs, enum harness_pick pick)
{
	uint64_t iters = 1, elapsed = 0, run_ns;
	double per_run_ns, *v, best;

	if (runs < 1)
		runs = 1;
	per_run_ns = seconds * 1e9 / runs;
	if (per_run_ns < (double)min_run_ns)
		per_run_ns = (double)min_run_ns;
	/* Calibrate: double until a run reaches the clock-safe minimum. */
	for (;;) {
		uint64_t t0 = now_ns();

		fn(ctx, iters);
		elapsed = now_ns() - t0;
		if (elapsed >= min_run_ns || iters >= (UINT64_MAX >> 2))
			break;
		iters *= elapsed < min_run_ns / 16 ? 8 : 2;
	}
	/* Scale to the per-run target. */
	if ((double)elapsed < per_run_ns && elapsed > 0)
		iters = (uint64_t)((double)iters * per_run_ns / (double)elapsed);
	if (iters == 0)
		iters = 1;
	v = malloc(sizeof(*v) * (size_t)runs);
	if (!v)
		return -1;
	for (int r = 0; r < runs; r++) {
		uint64_t t0 = now_ns();

		fn(ctx, iters);
		run_ns = now_ns() - t0;
		v[r] = (double)run_ns / (double)iters;
	}
	if (pick == HARNESS_MIN) {
		best = v[0];
		for (int r = 1; r < runs; r++)
			if (v[r] < best)
				best = v[r];
	} else {
		best = pb_harness_median(v, runs);
	}
	free(v);
	return best;
}
