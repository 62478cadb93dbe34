/* neighbour: a noisy neighbour, the co-runner `isobench run --neighbour`
 * starts on one host CPU for the whole run, so that the measurements show
 * what contention costs each runtime (and what pinning saves).
 *
 *   cpu    spins on arithmetic: takes the CPU's time, not its caches
 *   membw  copies between two 64 MiB buffers: takes memory bandwidth
 *   cache  writes one cache line in every 64 bytes of a buffer the size of
 *          the last-level cache, in a random order of pages: evicts what
 *          others keep there
 *
 * It pins itself to `cpu` (if given), says so in one info record, then
 * runs until killed (duration 0) or for `duration`. */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "../harness.h"
#include "../probe.h"

#define MEMBW_BUF (64u << 20)

static volatile uint64_t sink;

static void burn_cpu(uint64_t end)
{
	uint64_t x = 1;

	while (!end || now_ns() < end) {
		for (int i = 0; i < 1000000; i++)
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		sink = x;
	}
}

static int burn_membw(uint64_t end)
{
	char *a = mmap(NULL, 2 * (size_t)MEMBW_BUF, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (a == MAP_FAILED)
		return -errno;
	memset(a, 1, 2 * (size_t)MEMBW_BUF);
	while (!end || now_ns() < end) {
		memcpy(a + MEMBW_BUF, a, MEMBW_BUF);
		memcpy(a, a + MEMBW_BUF, MEMBW_BUF);
		sink += (unsigned char)a[4096];
	}
	munmap(a, 2 * (size_t)MEMBW_BUF);
	return 0;
}

static int burn_cache(uint64_t end)
{
	const char *src;
	uint64_t llc = pb_llc_bytes(&src), seed = 0x2545f4914f6cdd1dULL;
	size_t size, pages;
	char *b;

	size = llc ? (size_t)llc : 32u << 20;
	size = (size + 4095) & ~(size_t)4095;
	pages = size / 4096;
	b = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	if (b == MAP_FAILED)
		return -errno;
	memset(b, 0, size);
	while (!end || now_ns() < end) {
		for (size_t i = 0; i < pages; i++) {
			char *pg = b + (harness_rand(&seed) % pages) * 4096;

			for (int l = 0; l < 4096; l += 64)
				pg[l]++;
		}
	}
	munmap(b, size);
	return 0;
}

static int pb_wl_neighbour(const struct probe_args *a)
{
	const char *kind = pb_arg_str(a, "kind");
	const char *cpu_text = pb_arg_str(a, "cpu");
	double seconds = pb_arg_seconds(a, "duration");
	uint64_t end = seconds > 0 ? now_ns() + (uint64_t)(seconds * 1e9) : 0;
	int rc = 0;

	if (strcmp(cpu_text, "any")) {
		cpu_set_t one;
		char *e;
		long cpu = strtol(cpu_text, &e, 10);

		if (*e || e == cpu_text || cpu < 0 || cpu >= CPU_SETSIZE) {
			pb_emit_error("neighbour", "invalid", "cpu '%s' is not a "
				      "CPU number or any", cpu_text);
			return 2;
		}
		CPU_ZERO(&one);
		CPU_SET((int)cpu, &one);
		if (sched_setaffinity(0, sizeof(one), &one) != 0) {
			pb_emit_error("neighbour", "failed", "pinning to CPU %ld: "
				      "%s", cpu, strerror(errno));
			return 1;
		}
	}
	pb_emit_info_str("neighbour", "kind", kind);
	pb_emit_info_str("neighbour", "cpu", cpu_text);
	if (!strcmp(kind, "cpu"))
		burn_cpu(end);
	else if (!strcmp(kind, "membw"))
		rc = burn_membw(end);
	else
		rc = burn_cache(end);
	if (rc < 0) {
		pb_emit_error("neighbour", "failed", "%s: %s", kind, strerror(-rc));
		return 1;
	}
	return 0;
}
PB_WORKLOAD(neighbour, pb_wl_neighbour);
