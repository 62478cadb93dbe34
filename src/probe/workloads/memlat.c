/* memlat: load-to-use latency by pointer chasing, as lmbench's lat_mem_rd.
 *
 * A chain of pointers, one every `stride` bytes over a working set, is
 * followed with an unrolled loop (100 dependent loads per iteration), so
 * each load waits for the one before and the time per load is the latency
 * of wherever the working set lives: L1, L2, LLC, DRAM. Working sets double
 * from min_size up to max_size (4x the LLC by default, last size exact).
 * Two chains: "seq" links elements in address order (what lat_mem_rd does;
 * hardware prefetchers help), "rand" is a random cyclic permutation (each
 * load a likely cache and TLB miss). */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "../harness.h"
#include "../probe.h"

struct chase {
	void **start;
};

#define C1 p = (void **)*p;
#define C10 C1 C1 C1 C1 C1 C1 C1 C1 C1 C1
#define C100 C10 C10 C10 C10 C10 C10 C10 C10 C10 C10

static void *volatile chase_sink;

static void chase_fn(void *ctx, uint64_t iters)
{
	struct chase *c = ctx;
	void **p = c->start;

	for (uint64_t i = 0; i < iters; i++) {
		C100
	}
	chase_sink = p;
	c->start = p; /* continue where we stopped: no re-walk of the head */
}

/* Links the n elements (base + i*stride) into one cycle; order NULL means
 * address order, else the permutation order[0..n). */
static void link_chain(char *base, size_t stride, size_t n,
		       const uint32_t *order)
{
	for (size_t i = 0; i < n; i++) {
		size_t from = order ? order[i] : i;
		size_t to = order ? order[(i + 1) % n] : (i + 1) % n;

		*(void **)(base + from * stride) = base + to * stride;
	}
}

static void shuffle(uint32_t *v, size_t n, uint64_t *seed)
{
	for (size_t i = 0; i < n; i++)
		v[i] = (uint32_t)i;
	for (size_t i = n - 1; i > 0; i--) {
		size_t j = (size_t)(harness_rand(seed) % (i + 1));
		uint32_t t = v[i];

		v[i] = v[j];
		v[j] = t;
	}
}

static char *kept_buf;
static uint64_t kept_size;
static uint32_t *kept_order;
static uint64_t kept_order_n;

static int pb_wl_memlat(const struct probe_args *a)
{
	uint64_t min_size = pb_arg_size(a, "min_size");
	uint64_t max_size = pb_arg_size(a, "max_size");
	uint64_t stride = pb_arg_size(a, "stride"), llc, seed = 0x9e3779b97f4a7c15ULL;
	double seconds = pb_arg_seconds(a, "duration");
	const char *llc_src;
	char *buf;
	uint32_t *order = NULL;
	int do_seq = pb_arg_list_has(a, "chains", "seq");
	int do_rand = pb_arg_list_has(a, "chains", "rand");

	llc = pb_llc_bytes(&llc_src);
	if (max_size == 0)
		max_size = llc ? 4 * llc : 256u << 20;
	if (max_size < min_size)
		max_size = min_size;
	if (max_size / stride > UINT32_MAX) {
		pb_emit_error("memlat", "invalid",
			      "max_size/stride exceeds 2^32 elements");
		return 1;
	}
	pb_emit_info_num("memlat", "llc_bytes", (double)llc);
	pb_emit_info_str("memlat", "llc_source", llc_src);
	pb_emit_info_num("memlat", "max_size", (double)max_size);

	/* The buffer (and the permutation) outlive a repetition: the next
	 * one (--reps) chases through pages already faulted in, as STREAM's
	 * repetitions reuse their arrays, instead of paying for faulting
	 * max_size in again (seconds in a sandbox). */
	if (kept_buf && kept_size != max_size) {
		munmap(kept_buf, kept_size);
		kept_buf = NULL;
	}
	if (!kept_buf) {
		buf = mmap(NULL, max_size, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (buf == MAP_FAILED) {
			pb_emit_error("memlat", "failed", "cannot map %llu bytes",
				      (unsigned long long)max_size);
			return 1;
		}
		memset(buf, 0, max_size); /* fault every page in before timing */
		kept_buf = buf;
		kept_size = max_size;
	}
	buf = kept_buf;
	if (do_rand) {
		if (!kept_order || kept_order_n < max_size / stride) {
			free(kept_order);
			kept_order_n = max_size / stride;
			kept_order = malloc(kept_order_n * sizeof(*kept_order));
		}
		order = kept_order;
		if (!order) {
			pb_emit_error("memlat", "failed",
				      "cannot allocate the permutation");
			return 1;
		}
	}
	for (uint64_t size = min_size;; size *= 2) {
		size_t n;

		if (size > max_size)
			size = max_size;
		n = (size_t)(size / stride);
		for (int chain = 0; chain < 2; chain++) {
			struct chase c = {.start = (void **)buf};
			double ns;

			if ((chain == 0 && !do_seq) || (chain == 1 && !do_rand))
				continue;
			if (n < 2) {
				pb_emit_error("memlat", "invalid",
					      "working set %llu too small for "
					      "stride %llu",
					      (unsigned long long)size,
					      (unsigned long long)stride);
				continue;
			}
			if (chain == 1)
				shuffle(order, n, &seed);
			link_chain(buf, stride, n, chain ? order : NULL);
			ns = pb_harness_ns_per_iter(chase_fn, &c, seconds, 5,
						    HARNESS_MEDIAN) / 100.0;
			pb_emit_sample("memlat", "load_latency", "ns",
				       IB_LOWER_IS_BETTER, ns,
				       (struct ib_pv[]){
					       PV_STR("chain", chain ? "rand" : "seq"),
					       PV_NUM("size", size),
					       PV_NUM("stride", stride)},
				       3);
		}
		if (size == max_size)
			break;
	}
	return 0;
}
PB_WORKLOAD(memlat, pb_wl_memlat);
