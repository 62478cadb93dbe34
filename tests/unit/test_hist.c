/* Unit tests of src/common/hist.c, the log-linear latency histogram:
 * bucket geometry (every value lands in a bucket [low, low+width), buckets
 * tile the range without gaps), percentiles within the documented
 * relative error of 1/128 of the exact percentile on uniform and
 * exponential data, exact min/max/mean, merge, clamping of values at or
 * above 2^40, and the empty histogram. */
#include "unit.h"

#include "common/hist.h"

static uint64_t rng_state = 88172645463325252ULL;

static uint64_t xorshift(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static void check_value(uint64_t v)
{
	unsigned i = ib_hist_index(v);
	uint64_t low = ib_hist_bucket_low(i), width = ib_hist_bucket_width(i);

	if (i >= IB_HIST_BUCKETS)
		fail_msg("value %llu: index %u out of range",
			 (unsigned long long)v, i);
	if (v >> IB_HIST_MAX_BITS) {
		if (i != IB_HIST_BUCKETS - 1)
			fail_msg("value %llu >= 2^40 not in the last bucket",
				 (unsigned long long)v);
		return;
	}
	if (!(low <= v && v < low + width))
		fail_msg("value %llu in bucket %u = [%llu, %llu)",
			 (unsigned long long)v, i, (unsigned long long)low,
			 (unsigned long long)(low + width));
	/* relative width: exact below 64, then at most 1/64 */
	if (v < IB_HIST_SUB)
		assert_int_equal(width, 1);
	else if (width * IB_HIST_SUB > low)
		fail_msg("bucket %u too wide: low %llu width %llu", i,
			 (unsigned long long)low, (unsigned long long)width);
}

static void test_geometry_values(void **state)
{
	(void)state;
	for (uint64_t v = 0; v < (1u << 16); v++)
		check_value(v);
	for (int b = 0; b < 64; b++) {
		uint64_t p = (uint64_t)1 << b;

		check_value(p);
		check_value(p - 1);
		check_value(p + 1);
		check_value(p + p / 2);
	}
	for (int i = 0; i < 200000; i++)
		check_value(xorshift() >> (xorshift() % 64));
	check_value(UINT64_MAX);
}

static void test_geometry_buckets(void **state)
{
	(void)state;
	assert_int_equal(ib_hist_bucket_low(0), 0);
	for (unsigned i = 0; i < IB_HIST_BUCKETS; i++) {
		uint64_t low = ib_hist_bucket_low(i), w = ib_hist_bucket_width(i);

		assert_true(w >= 1);
		/* the bucket's own bounds map back to it */
		assert_int_equal(ib_hist_index(low), i);
		assert_int_equal(ib_hist_index(low + w - 1), i);
		/* buckets tile the range */
		if (i + 1 < IB_HIST_BUCKETS)
			assert_int_equal(ib_hist_bucket_low(i + 1), low + w);
		else
			assert_int_equal(low + w, (uint64_t)1 << IB_HIST_MAX_BITS);
	}
	/* a few spelled out: 64 single buckets, then widths 1, 2, 4 ... */
	assert_int_equal(ib_hist_index(63), 63);
	assert_int_equal(ib_hist_index(64), 64);
	assert_int_equal(ib_hist_index(127), 127);
	assert_int_equal(ib_hist_index(128), 128);
	assert_int_equal(ib_hist_index(129), 128);
	assert_int_equal(ib_hist_bucket_width(128), 2);
	assert_int_equal(ib_hist_bucket_low(192), 256);
	assert_int_equal(ib_hist_bucket_width(192), 4);
}

static void test_empty(void **state)
{
	struct ib_hist *h = malloc(sizeof(*h));

	(void)state;
	ib_hist_init(h);
	assert_int_equal(h->count, 0);
	assert_int_equal(ib_hist_percentile(h, 50), 0);
	assert_int_equal(ib_hist_percentile(h, 0), 0);
	assert_int_equal(ib_hist_percentile(h, 100), 0);
	assert_near(ib_hist_mean(h), 0, 0);
	free(h);
}

static void test_min_max_mean(void **state)
{
	struct ib_hist *h = malloc(sizeof(*h));
	const uint64_t v[] = {1000003, 17, 999, 5000000001ULL, 64, 65};
	uint64_t sum = 0;

	(void)state;
	ib_hist_init(h);
	for (size_t i = 0; i < ARRAY_LEN(v); i++) {
		ib_hist_record(h, v[i]);
		sum += v[i];
	}
	assert_int_equal(h->count, 6);
	assert_int_equal(h->min, 17);
	assert_int_equal(h->max, 5000000001ULL);
	assert_int_equal(h->sum, sum);
	assert_near(ib_hist_mean(h), (double)sum / 6, 1e-6);
	assert_int_equal(h->clamped, 0);
	/* the extremes are exact, whatever the buckets */
	assert_int_equal(ib_hist_percentile(h, 0), 17);
	assert_int_equal(ib_hist_percentile(h, -5), 17);
	assert_int_equal(ib_hist_percentile(h, 100), 5000000001ULL);
	assert_int_equal(ib_hist_percentile(h, 150), 5000000001ULL);
	/* small values are exact: the 2nd of 6 is p33.3 */
	assert_int_equal(ib_hist_percentile(h, 30), 64);
	free(h);
}

/* The value of rank ceil(pct/100 * n) (1-based) of sorted[0..n). */
static uint64_t exact_pct(const uint64_t *sorted, size_t n, double pct)
{
	double r = pct / 100 * (double)n;
	size_t rank = (size_t)r;

	if ((double)rank < r)
		rank++;
	if (rank < 1)
		rank = 1;
	return sorted[rank - 1];
}

static void check_percentiles(uint64_t *v, size_t n)
{
	static const double pcts[] = {0.1, 1, 5, 10, 25, 33.3, 50, 66.6,
				      75, 90, 95, 99, 99.9, 99.99};
	struct ib_hist *h = malloc(sizeof(*h));

	ib_hist_init(h);
	for (size_t i = 0; i < n; i++)
		ib_hist_record(h, v[i]);
	qsort(v, n, sizeof(v[0]), cmp_u64);
	for (size_t i = 0; i < ARRAY_LEN(pcts); i++) {
		uint64_t want = exact_pct(v, n, pcts[i]);
		uint64_t got = ib_hist_percentile(h, pcts[i]);
		double err = fabs((double)got - (double)want);

		if (err > (double)want / 128)
			fail_msg("p%g = %llu, exact %llu: error %.4f%% > 1/128",
				 pcts[i], (unsigned long long)got,
				 (unsigned long long)want,
				 100 * err / (double)want);
	}
	free(h);
}

static void test_percentiles_uniform(void **state)
{
	size_t n = 100000;
	uint64_t *v = malloc(n * sizeof(*v));

	(void)state;
	/* every integer 1..n once */
	for (size_t i = 0; i < n; i++)
		v[i] = n - i;
	check_percentiles(v, n);
	/* uniform random over a wide range, in nanoseconds */
	for (size_t i = 0; i < n; i++)
		v[i] = 1000 + xorshift() % 50000000;
	check_percentiles(v, n);
	free(v);
}

static void test_percentiles_exponential(void **state)
{
	size_t n = 200000;
	uint64_t *v = malloc(n * sizeof(*v));

	(void)state;
	/* exponential with mean 20 us, plus a 5 us floor: I/O latencies */
	for (size_t i = 0; i < n; i++) {
		double u = ((double)(xorshift() >> 11) + 0.5) / 9007199254740992.0;

		v[i] = 5000 + (uint64_t)(-log(u) * 20000);
	}
	check_percentiles(v, n);
	/* a heavy tail over many powers of two */
	for (size_t i = 0; i < n; i++)
		v[i] = (xorshift() % 1000) << (xorshift() % 30);
	check_percentiles(v, n);
	free(v);
}

static void test_percentile_single_and_midpoint(void **state)
{
	struct ib_hist *h = malloc(sizeof(*h));

	(void)state;
	ib_hist_init(h);
	ib_hist_record(h, 1000001);
	/* one value: every percentile is that value (clamped to min/max) */
	assert_int_equal(ib_hist_percentile(h, 50), 1000001);
	assert_int_equal(ib_hist_percentile(h, 99.9), 1000001);
	/* bucket [1024, 1040) (width 16): the midpoint 1032 is reported
	 * when the min and max are further out */
	ib_hist_init(h);
	ib_hist_record(h, 100);
	ib_hist_record(h, 1030);
	ib_hist_record(h, 100000);
	assert_int_equal(ib_hist_bucket_width(ib_hist_index(1030)), 16);
	assert_int_equal(ib_hist_percentile(h, 50), 1032);
	free(h);
}

static void test_merge(void **state)
{
	struct ib_hist *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	struct ib_hist *all = malloc(sizeof(*all)), *e = malloc(sizeof(*e));

	(void)state;
	ib_hist_init(a);
	ib_hist_init(b);
	ib_hist_init(all);
	ib_hist_init(e);
	for (int i = 0; i < 10000; i++) {
		uint64_t v = xorshift() % (i % 2 ? 1000 : 10000000);

		ib_hist_record(i < 5000 ? a : b, v);
		ib_hist_record(all, v);
	}
	ib_hist_record(b, (uint64_t)1 << 50); /* clamped */
	ib_hist_record(all, (uint64_t)1 << 50);
	ib_hist_merge(a, b);
	assert_int_equal(a->count, all->count);
	assert_int_equal(a->sum, all->sum);
	assert_int_equal(a->min, all->min);
	assert_int_equal(a->max, all->max);
	assert_int_equal(a->clamped, 1);
	assert_memory_equal(a->bucket, all->bucket, sizeof(a->bucket));
	assert_int_equal(ib_hist_percentile(a, 50), ib_hist_percentile(all, 50));
	/* merging an empty histogram changes nothing, in either direction */
	ib_hist_merge(a, e);
	assert_memory_equal(a, all, sizeof(*a));
	ib_hist_merge(e, all);
	assert_memory_equal(e, all, sizeof(*e));
	free(a), free(b), free(all), free(e);
}

static void test_clamp(void **state)
{
	struct ib_hist *h = malloc(sizeof(*h));
	const uint64_t top = (uint64_t)1 << IB_HIST_MAX_BITS;

	(void)state;
	ib_hist_init(h);
	ib_hist_record(h, top - 1); /* the largest value with its own bucket */
	assert_int_equal(h->clamped, 0);
	ib_hist_record(h, top);
	ib_hist_record(h, UINT64_MAX / 4);
	assert_int_equal(h->clamped, 2);
	assert_int_equal(h->count, 3);
	assert_int_equal(h->bucket[IB_HIST_BUCKETS - 1], 3);
	assert_int_equal(h->max, UINT64_MAX / 4); /* max stays exact */
	assert_int_equal(h->min, top - 1);
	assert_int_equal(ib_hist_percentile(h, 100), UINT64_MAX / 4);
	/* a clamped percentile is the last bucket's midpoint, kept within
	 * [min, max]: here the midpoint is below min = 2^40 - 1 */
	assert_true(ib_hist_bucket_low(IB_HIST_BUCKETS - 1) +
			    ib_hist_bucket_width(IB_HIST_BUCKETS - 1) / 2 <
		    top - 1);
	assert_int_equal(ib_hist_percentile(h, 50), top - 1);
	free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_geometry_values),
		cmocka_unit_test(test_geometry_buckets),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_min_max_mean),
		cmocka_unit_test(test_percentiles_uniform),
		cmocka_unit_test(test_percentiles_exponential),
		cmocka_unit_test(test_percentile_single_and_midpoint),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_clamp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
