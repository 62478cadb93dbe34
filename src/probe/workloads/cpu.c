/* cpu: sysbench's prime event, events per second, 1 and N threads.
 *
 * One event is sysbench's: for every c in [3, max_prime), trial-divide c by
 * l = 2, 3, ... up to sqrt(c), counting primes. The types follow sysbench
 * (64-bit unsigned division, a double square root) because the cost of a
 * 64-bit divide is most of the event and a 32-bit one would not compare. */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/cpus.h"

#include "../harness.h"
#include "../probe.h"

struct cpu_shared {
	unsigned long long max_prime;
	atomic_int go;
	atomic_int stop;
};

struct cpu_thread {
	struct cpu_shared *sh;
	pthread_t tid;
	uint64_t events;
	unsigned long long primes; /* kept so the work cannot be elided */
};

static unsigned long long prime_event(unsigned long long max_prime)
{
	unsigned long long c, l, n = 0;
	double t;

	for (c = 3; c < max_prime; c++) {
		t = sqrt((double)c);
		for (l = 2; l <= t; l++)
			if (c % l == 0)
				break;
		if (l > t)
			n++;
	}
	return n;
}

static void *cpu_worker(void *arg)
{
	struct cpu_thread *t = arg;

	while (!atomic_load_explicit(&t->sh->go, memory_order_acquire))
		;
	while (!atomic_load_explicit(&t->sh->stop, memory_order_relaxed)) {
		t->primes += prime_event(t->sh->max_prime);
		t->events++;
	}
	return NULL;
}

/* Events per second of nthreads threads over `seconds`: every event that
 * completes counts, and the clock runs until the last thread has finished
 * its last event, so no partial event biases the rate. */
static double run_threads(unsigned long long max_prime, int nthreads,
			  double seconds, unsigned long long *primes_per_event)
{
	struct cpu_shared sh = {.max_prime = max_prime};
	struct cpu_thread *t = calloc((size_t)nthreads, sizeof(*t));
	uint64_t t0, events = 0, deadline;
	struct timespec nap;
	int started = 0;

	if (!t)
		return -1;
	for (int i = 0; i < nthreads; i++) {
		t[i].sh = &sh;
		if (pthread_create(&t[i].tid, NULL, cpu_worker, &t[i]) != 0)
			break;
		started++;
	}
	if (started < nthreads) {
		atomic_store(&sh.stop, 1);
		atomic_store(&sh.go, 1);
		for (int i = 0; i < started; i++)
			pthread_join(t[i].tid, NULL);
		free(t);
		return -1;
	}
	t0 = now_ns();
	atomic_store_explicit(&sh.go, 1, memory_order_release);
	deadline = t0 + (uint64_t)(seconds * 1e9);
	while (now_ns() < deadline) {
		uint64_t left = deadline - now_ns();

		if (left > 50000000)
			left = 50000000;
		nap.tv_sec = 0;
		nap.tv_nsec = (long)left;
		nanosleep(&nap, NULL);
	}
	atomic_store(&sh.stop, 1);
	for (int i = 0; i < nthreads; i++) {
		pthread_join(t[i].tid, NULL);
		events += t[i].events;
		if (t[i].events)
			*primes_per_event = t[i].primes / t[i].events;
	}
	free(t);
	return (double)events / ((double)(now_ns() - t0) / 1e9);
}

/* The CPUs the probe may run on, as its kernel says (Cpus_allowed_list:
 * a container's cpuset, a VM's vCPUs): where N threads ran. */
static void emit_cpus_allowed(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[512];

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "Cpus_allowed_list:", 18)) {
			char *v = line + 18;

			v += strspn(v, " \t");
			v[strcspn(v, "\n")] = '\0';
			pb_emit_info_str("cpu", "cpus_allowed", v);
			break;
		}
	if (f)
		fclose(f);
}

static int pb_wl_cpu(const struct probe_args *a)
{
	unsigned long long max_prime = pb_arg_count(a, "max_prime");
	double seconds = pb_arg_seconds(a, "duration");
	int n = (int)pb_arg_count(a, "threads"), counts[2], ncounts = 1;
	unsigned long long primes = 0;
	double rate;

	if (n == 0)
		n = ib_usable_cpus();
	counts[0] = 1;
	if (n > 1)
		counts[ncounts++] = n;

	/* Warm-up, not counted: page in the code, settle the scheduler. */
	run_threads(max_prime, n, seconds / 10 > 0.2 ? 0.2 : seconds / 10,
		    &primes);
	for (int i = 0; i < ncounts; i++) {
		rate = run_threads(max_prime, counts[i], seconds, &primes);
		if (rate < 0) {
			pb_emit_error("cpu", "failed",
				      "could not start %d threads", counts[i]);
			return 1;
		}
		pb_emit_sample("cpu", "events_per_s", "events/s",
			       IB_HIGHER_IS_BETTER, rate,
			       (struct ib_pv[]){PV_NUM("threads", counts[i]),
						PV_NUM("max_prime", max_prime)},
			       2);
	}
	pb_emit_info_num("cpu", "primes_per_event", (double)primes);
	emit_cpus_allowed();
	return 0;
}
PB_WORKLOAD(cpu, pb_wl_cpu);
