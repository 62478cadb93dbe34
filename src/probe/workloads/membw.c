/* membw: STREAM's four kernels on doubles, one thread.
 *
 * As in McCalpin's STREAM: three arrays a, b, c of N doubles, each at least
 * 4x the last-level caches so no kernel runs from cache; the kernels run
 * ntimes+1 times in turn, the first pass is discarded, and the best time of
 * each kernel gives its rate in MB/s (10^6 bytes), counting the bytes the
 * kernel names (copy and scale 2 arrays, add and triad 3). The results are
 * checked against the values the arrays must hold at the end, as STREAM
 * does, so a compiler that skipped work would be caught. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "../harness.h"
#include "../probe.h"

#define MIN_ARRAY (16u << 20)

struct stream {
	double *a, *b, *c;
	size_t n;
};

/* The arrays of the last run, kept for the next repetition. */
struct kept_arrays {
	double *a, *b, *c;
	uint64_t bytes;
	int thp;
};
static struct kept_arrays kept;

static void release_kept(void)
{
	if (kept.a)
		munmap(kept.a, kept.bytes);
	if (kept.b)
		munmap(kept.b, kept.bytes);
	if (kept.c)
		munmap(kept.c, kept.bytes);
	kept = (struct kept_arrays){0};
}

static void k_copy(struct stream *s)
{
	double *restrict a = s->a, *restrict c = s->c;

	for (size_t j = 0; j < s->n; j++)
		c[j] = a[j];
}

static void k_scale(struct stream *s, double q)
{
	double *restrict b = s->b, *restrict c = s->c;

	for (size_t j = 0; j < s->n; j++)
		b[j] = q * c[j];
}

static void k_add(struct stream *s)
{
	double *restrict a = s->a, *restrict b = s->b, *restrict c = s->c;

	for (size_t j = 0; j < s->n; j++)
		c[j] = a[j] + b[j];
}

static void k_triad(struct stream *s, double q)
{
	double *restrict a = s->a, *restrict b = s->b, *restrict c = s->c;

	for (size_t j = 0; j < s->n; j++)
		a[j] = b[j] + q * c[j];
}

/* Transparent huge pages are asked for (madvise) only where `pages=thp`
 * says so: plain STREAM takes what the kernel gives. (On the nested VMs
 * this was developed on, faulting 3 GiB in costs ~9 s of system time either
 * way: the host backs the guest's memory lazily.) */
static double *alloc_array(size_t bytes, int thp)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (thp)
		madvise(p, bytes, MADV_HUGEPAGE);
	return p;
}

/* STREAM's checkSTREAMresults: replay the scalar recurrences, then compare
 * the mean absolute error of each array with the expected value, relative,
 * against 1e-13. (Summing errors, not values, keeps the check exact: every
 * element should equal the scalar exactly.) */
static int check_results(const struct stream *s, int passes, double q)
{
	double aj = 1.0, bj = 2.0, cj = 0.0, aerr = 0, berr = 0, cerr = 0;
	const double eps = 1e-13;

	aj = 2.0 * aj;
	for (int k = 0; k < passes; k++) {
		cj = aj;
		bj = q * cj;
		cj = aj + bj;
		aj = bj + q * cj;
	}
	for (size_t j = 0; j < s->n; j++) {
		aerr += fabs(s->a[j] - aj);
		berr += fabs(s->b[j] - bj);
		cerr += fabs(s->c[j] - cj);
	}
	aerr /= (double)s->n;
	berr /= (double)s->n;
	cerr /= (double)s->n;
	return aerr / aj > eps || berr / bj > eps || cerr / cj > eps;
}

static int pb_wl_membw(const struct probe_args *a)
{
	static const char *const names[4] = {"copy", "scale", "add", "triad"};
	static const double words[4] = {2, 2, 3, 3};
	uint64_t bytes = pb_arg_size(a, "array_size"), llc;
	int ntimes = (int)pb_arg_count(a, "ntimes") + 1;
	double best[4], q = 3.0;
	int thp = strcmp(pb_arg_str(a, "pages"), "thp") == 0;
	const char *llc_src;
	struct stream s;
	int rc = 0;

	llc = pb_llc_bytes(&llc_src);
	if (bytes == 0) {
		bytes = llc * 4;
		if (bytes < MIN_ARRAY)
			bytes = MIN_ARRAY;
	}
	s.n = bytes / sizeof(double);
	bytes = s.n * sizeof(double);
	pb_emit_info_num("membw", "llc_bytes", (double)llc);
	pb_emit_info_str("membw", "llc_source", llc_src);
	pb_emit_info_num("membw", "array_bytes", (double)bytes);
	if (llc && bytes < 4 * llc)
		pb_emit_info_str("membw", "warning",
				 "arrays smaller than 4x the last-level cache: "
				 "rates include cache hits");

	pb_emit_info_str("membw", "pages", thp ? "thp-madvise" : "base");
	/* The arrays stay mapped across repetitions of one probe run
	 * (--reps): faulting 3 GiB in costs more than a repetition, and
	 * STREAM itself runs its passes over one allocation. */
	if (kept.bytes == bytes && kept.thp == thp) {
		s.a = kept.a;
		s.b = kept.b;
		s.c = kept.c;
	} else {
		release_kept();
		s.a = alloc_array(bytes, thp);
		s.b = alloc_array(bytes, thp);
		s.c = alloc_array(bytes, thp);
		if (!s.a || !s.b || !s.c) {
			pb_emit_error("membw", "failed",
				      "cannot allocate 3 arrays of %llu bytes",
				      (unsigned long long)bytes);
			rc = 1;
			goto out;
		}
		kept = (struct kept_arrays){s.a, s.b, s.c, bytes, thp};
	}
	/* First touch, as STREAM does: faults every page in before timing
	 * (and sets the starting values again on a repetition). */
	for (size_t j = 0; j < s.n; j++) {
		s.a[j] = 1.0;
		s.b[j] = 2.0;
		s.c[j] = 0.0;
	}
	for (size_t j = 0; j < s.n; j++)
		s.a[j] = 2.0 * s.a[j];

	for (int k = 0; k < 4; k++)
		best[k] = INFINITY;
	for (int pass = 0; pass < ntimes; pass++) {
		uint64_t t[5];

		t[0] = now_ns();
		k_copy(&s);
		t[1] = now_ns();
		k_scale(&s, q);
		t[2] = now_ns();
		k_add(&s);
		t[3] = now_ns();
		k_triad(&s, q);
		t[4] = now_ns();
		if (pass == 0)
			continue;
		for (int k = 0; k < 4; k++)
			if ((double)(t[k + 1] - t[k]) < best[k])
				best[k] = (double)(t[k + 1] - t[k]);
	}
	if (check_results(&s, ntimes, q)) {
		pb_emit_error("membw", "failed",
			      "array contents wrong after the kernels: results "
			      "not trustworthy");
		rc = 1;
		goto out;
	}
	for (int k = 0; k < 4; k++)
		pb_emit_sample("membw", names[k], "MB/s", IB_HIGHER_IS_BETTER,
			       words[k] * (double)bytes / 1e6 / (best[k] / 1e9),
			       NULL, 0);
out:
	if (rc) {
		/* not kept: a failed allocation or a failed check */
		if (kept.a == s.a)
			kept = (struct kept_arrays){0};
		if (s.a)
			munmap(s.a, bytes);
		if (s.b)
			munmap(s.b, bytes);
		if (s.c)
			munmap(s.c, bytes);
	}
	return rc;
}
PB_WORKLOAD(membw, pb_wl_membw);
