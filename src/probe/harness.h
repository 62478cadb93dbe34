/* harness: the probe's clock and its calibrated measuring loops.
 *
 * Every workload times code the same way: grow the iteration count until
 * one timed run is long enough that the clock's granularity and overhead
 * are below 0.1% of it, then take several such runs and keep their median
 * (or minimum, for "best of" methods such as STREAM's). The calibration
 * runs are also the warm-up: caches, TLB and branch predictors are hot when
 * the first counted run starts. */
#ifndef ISOBENCH_PROBE_HARNESS_H
#define ISOBENCH_PROBE_HARNESS_H

#include <stdint.h>
#include <time.h>

#include "emit.h"

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Seconds since boot (in a VM: since the guest kernel started). */
double pb_harness_uptime_s(void);

/* Measures the clock: resolution, granularity and cost of a read. */
void pb_harness_timer_measure(struct ib_timer_info *t);
/* Shortest run worth timing, from the measured clock (at least 1 ms). */
uint64_t pb_harness_min_run_ns(void);

/* Code under test: performs `iters` iterations of its operation. */
typedef void (*harness_fn)(void *ctx, uint64_t iters);

enum harness_pick { HARNESS_MEDIAN, HARNESS_MIN };

/* Nanoseconds per iteration of fn: calibrates (warming up), then times
 * `runs` runs that together take about `seconds`, and returns the median
 * or the minimum of their per-iteration times. */
double pb_harness_ns_per_iter(harness_fn fn, void *ctx, double seconds,
			      int runs, enum harness_pick pick);

/* Sorts v[0..n) ascending and returns its median (n > 0). */
double pb_harness_median(double *v, int n);

/* xorshift64*: a small, fast, seedable generator for offsets and
 * permutations (the probe needs repeatable randomness, not secrecy). */
static inline uint64_t harness_rand(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545F4914F6CDD1DULL;
}

#endif
