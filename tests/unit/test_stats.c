/* Unit tests of src/host/results/stats.c: the summary of a metric's samples
 * (median, min, max, mean, sample sd, RSD), the order-statistic confidence
 * interval of the median and its exact binomial coverage, the binomial
 * CDF behind it (checked against an independent Pascal-triangle
 * computation), and the bootstrap interval of a ratio of medians. */
#include "unit.h"

#include "results/stats.h"

#define EPS 1e-12

/* P(X <= k), X ~ Bin(n, 1/2), by building the distribution row by row
 * (each row the average of the previous one shifted): no lgamma, so an
 * independent check of ib_binom_half_cdf. */
static double ref_binom_cdf(int n, int k)
{
	double *row = calloc((size_t)n + 1, sizeof(double)), sum = 0;

	row[0] = 1;
	for (int m = 1; m <= n; m++)
		for (int i = m; i >= 0; i--)
			row[i] = ((i > 0 ? row[i - 1] : 0) + row[i]) / 2;
	for (int i = 0; i <= k && i <= n; i++)
		sum += row[i];
	free(row);
	return k < 0 ? 0 : sum;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Deterministic pseudo-random doubles in [0, 1). */
static double lcg(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return (double)(*s >> 11) / 9007199254740992.0;
}

static void test_odd(void **state)
{
	const double v[] = {5, 1, 4, 2, 3};
	double copy[5];
	struct ib_stats s;

	(void)state;
	memcpy(copy, v, sizeof(v));
	ib_stats_compute(v, 5, &s);
	assert_memory_equal(v, copy, sizeof(v)); /* input untouched */
	assert_int_equal(s.n, 5);
	assert_near(s.median, 3, EPS);
	assert_near(s.min, 1, EPS);
	assert_near(s.max, 5, EPS);
	assert_near(s.mean, 3, EPS);
	/* sum of squares 10, n-1 = 4 */
	assert_near(s.sd, sqrt(2.5), 1e-12);
	assert_near(s.rsd, 100 * sqrt(2.5) / 3, 1e-9);
	/* n = 5: no k gives 95%, so [min, max] with 1 - 2/2^5 */
	assert_near(s.ci_lo, 1, EPS);
	assert_near(s.ci_hi, 5, EPS);
	assert_near(s.ci_level, 1 - 2.0 / 32, 1e-12);
	assert_near(s.ci_level, 0.9375, 1e-12);
}

static void test_even(void **state)
{
	const double v[] = {4, 1, 3, 2, 6, 5};
	struct ib_stats s;

	(void)state;
	ib_stats_compute(v, 6, &s);
	assert_near(s.median, 3.5, EPS);
	assert_near(s.mean, 3.5, EPS);
	assert_near(s.min, 1, EPS);
	assert_near(s.max, 6, EPS);
	assert_near(s.sd, sqrt(17.5 / 5), 1e-12);
	assert_near(s.rsd, 100 * sqrt(3.5) / 3.5, 1e-9);
	assert_near(s.ci_lo, 1, EPS);
	assert_near(s.ci_hi, 6, EPS);
	assert_near(s.ci_level, 1 - 2.0 / 64, 1e-12);
	assert_true(s.ci_level >= 0.95);
}

static void test_median_even_unsorted(void **state)
{
	const double v[] = {10, -2, 7, 7.5};
	struct ib_stats s;

	(void)state;
	ib_stats_compute(v, 4, &s);
	assert_near(s.median, 7.25, EPS);
	assert_near(s.mean, 22.5 / 4, EPS);
	assert_near(s.min, -2, EPS);
	assert_near(s.max, 10, EPS);
}

static void test_single(void **state)
{
	const double v[] = {42.5};
	struct ib_stats s;

	(void)state;
	ib_stats_compute(v, 1, &s);
	assert_int_equal(s.n, 1);
	assert_near(s.median, 42.5, EPS);
	assert_near(s.mean, 42.5, EPS);
	assert_near(s.min, 42.5, EPS);
	assert_near(s.max, 42.5, EPS);
	assert_true(isnan(s.sd));
	assert_true(isnan(s.rsd));
	assert_near(s.ci_lo, 42.5, EPS);
	assert_near(s.ci_hi, 42.5, EPS);
	/* one sample: the interval [x, x] covers the median with prob. 0 */
	assert_near(s.ci_level, 0, EPS);
}

static void test_two_and_zero_mean(void **state)
{
	const double v[] = {-1, 1};
	const double same[] = {2, 2, 2};
	struct ib_stats s;

	(void)state;
	ib_stats_compute(v, 2, &s);
	assert_near(s.mean, 0, EPS);
	assert_near(s.sd, sqrt(2), 1e-12);
	assert_true(isnan(s.rsd)); /* RSD of a zero mean is undefined */
	assert_near(s.ci_level, 0.5, EPS);
	ib_stats_compute(same, 3, &s);
	assert_near(s.sd, 0, EPS);
	assert_near(s.rsd, 0, EPS);
	assert_near(s.ci_level, 0.75, EPS);
}

/* Nearest rank: p90 of 1..10 is 9, p99 is 10 (the max: with 10 samples
 * the 99th percentile can only be the largest); p50 of 1..10 is 5; one
 * sample is every percentile; the summary carries p90 and p99. */
static void test_percentiles(void **state)
{
	double v[10], one = 7;
	struct ib_stats s;

	(void)state;
	for (int i = 0; i < 10; i++)
		v[i] = i + 1;
	assert_true(ib_percentile_sorted(v, 10, 90) == 9);
	assert_true(ib_percentile_sorted(v, 10, 99) == 10);
	assert_true(ib_percentile_sorted(v, 10, 50) == 5);
	assert_true(ib_percentile_sorted(v, 10, 100) == 10);
	assert_true(ib_percentile_sorted(v, 10, 1) == 1);
	assert_true(ib_percentile_sorted(&one, 1, 99) == 7);
	/* unsorted input to the summary */
	v[0] = 10;
	v[9] = 1;
	ib_stats_compute(v, 10, &s);
	assert_true(s.p90 == 9);
	assert_true(s.p99 == 10);
	{
		double w[100];

		for (int k = 0; k < 100; k++)
			w[k] = k + 1;
		assert_true(ib_percentile_sorted(w, 100, 99) == 99);
		assert_true(ib_percentile_sorted(w, 100, 90) == 90);
	}
}

static void test_binom_cdf(void **state)
{
	(void)state;
	assert_near(ib_binom_half_cdf(5, -1), 0, EPS);
	assert_near(ib_binom_half_cdf(5, 0), 1.0 / 32, 1e-12);
	assert_near(ib_binom_half_cdf(5, 1), 6.0 / 32, 1e-12);
	assert_near(ib_binom_half_cdf(5, 2), 0.5, 1e-12);
	assert_near(ib_binom_half_cdf(5, 5), 1, EPS);
	assert_near(ib_binom_half_cdf(5, 99), 1, EPS);
	assert_near(ib_binom_half_cdf(6, 1), 7.0 / 64, 1e-12);
	assert_near(ib_binom_half_cdf(10, 2), 56.0 / 1024, 1e-12);
	for (int n = 1; n <= 300; n += (n < 40 ? 1 : 13))
		for (int k = -1; k <= n; k++) {
			double want = ref_binom_cdf(n, k),
			       got = ib_binom_half_cdf(n, k);

			if (fabs(got - want) > 1e-9 * (want > 1e-3 ? want : 1e-3))
				fail_msg("cdf(%d, %d) = %.17g, want %.17g", n, k,
					 got, want);
		}
}

/* For every n, the interval must be [x(k), x(n+1-k)] with the largest k
 * whose coverage 1 - 2 P(B <= k-1) is still >= 95% (k = 1 below n = 6),
 * and ci_level must be that exact coverage. */
static void test_ci_order_statistics(void **state)
{
	(void)state;
	for (int n = 1; n <= 400; n += (n < 120 ? 1 : 17)) {
		double *v = malloc(sizeof(double) * (size_t)n), *sorted;
		uint64_t seed = (uint64_t)n;
		struct ib_stats s;
		int k = 1;

		for (int i = 0; i < n; i++)
			v[i] = 1000 * lcg(&seed);
		sorted = malloc(sizeof(double) * (size_t)n);
		memcpy(sorted, v, sizeof(double) * (size_t)n);
		qsort(sorted, (size_t)n, sizeof(double), cmp_d);
		while (k + 1 <= (n + 1) / 2 && 1 - 2 * ref_binom_cdf(n, k) >= 0.95)
			k++;
		ib_stats_compute(v, n, &s);
		if (s.ci_lo != sorted[k - 1] || s.ci_hi != sorted[n - k])
			fail_msg("n=%d: interval [%g, %g], want x(%d)=%g, x(%d)=%g",
				 n, s.ci_lo, s.ci_hi, k, sorted[k - 1], n + 1 - k,
				 sorted[n - k]);
		assert_near(s.ci_level, 1 - 2 * ref_binom_cdf(n, k - 1),
				   1e-9);
		if (n >= 6) {
			assert_true(s.ci_level >= 0.95);
			/* narrowest: the next pair inwards is below 95% */
			if (k + 1 <= (n + 1) / 2)
				assert_true(1 - 2 * ref_binom_cdf(n, k) < 0.95);
		} else {
			assert_true(s.ci_level < 0.95);
			assert_int_equal(k, 1);
		}
		assert_true(s.ci_lo <= s.median && s.median <= s.ci_hi);
		free(v);
		free(sorted);
	}
}

static void test_ci_known_n100(void **state)
{
	double v[100];
	struct ib_stats s;

	(void)state;
	/* 1..100 in a scrambled order (37 is coprime with 100) */
	for (int i = 0; i < 100; i++)
		v[i] = (double)((i * 37) % 100 + 1);
	ib_stats_compute(v, 100, &s);
	assert_near(s.median, 50.5, EPS);
	/* textbook: n = 100 gives [x(40), x(61)], coverage 96.48% */
	assert_near(s.ci_lo, 40, EPS);
	assert_near(s.ci_hi, 61, EPS);
	assert_near(s.ci_level, 0.9648, 5e-5);
}

static void test_ratio_basic(void **state)
{
	const double a[] = {10, 11, 12, 13, 14, 12.5, 11.5};
	const double b[] = {5, 5.5, 6, 6.5, 7, 6.2, 5.8};
	double r, lo, hi, r2, lo2, hi2;

	(void)state;
	assert_int_equal(ib_ratio_ci(a, 7, b, 7, &r, &lo, &hi), 0);
	assert_near(r, 12.0 / 6.0, EPS);
	assert_true(lo <= r && r <= hi);
	assert_true(lo < hi);
	/* plausible bounds: within the extreme ratios of the data */
	assert_true(lo >= 10.0 / 7 && hi <= 14.0 / 5);
	/* deterministic: same data, same interval, bit for bit */
	assert_int_equal(ib_ratio_ci(a, 7, b, 7, &r2, &lo2, &hi2), 0);
	assert_memory_equal(&r, &r2, sizeof(r));
	assert_memory_equal(&lo, &lo2, sizeof(lo));
	assert_memory_equal(&hi, &hi2, sizeof(hi));
}

static void test_ratio_contains_many(void **state)
{
	(void)state;
	/* many data sets of various sizes: interval contains the ratio */
	for (int t = 0; t < 60; t++) {
		int na = 1 + t % 9, nb = 1 + (t * 7) % 11;
		double a[16], b[16], r, lo, hi;
		uint64_t seed = 1000 + (uint64_t)t;

		for (int i = 0; i < na; i++)
			a[i] = 100 + 20 * lcg(&seed);
		for (int i = 0; i < nb; i++)
			b[i] = 50 + 10 * lcg(&seed);
		assert_int_equal(ib_ratio_ci(a, na, b, nb, &r, &lo, &hi), 0);
		if (!(lo <= r && r <= hi))
			fail_msg("na=%d nb=%d: ratio %g outside [%g, %g]", na, nb,
				 r, lo, hi);
		assert_true(isfinite(lo) && isfinite(hi));
	}
}

/* The interval is the 2.5th and 97.5th percentiles of the bootstrap
 * distribution: with one baseline sample and 401 evenly spread samples,
 * that distribution (of a median) is close to normal with a known
 * spread, so the interval reaches about 1.96 standard errors each way. */
static void test_ratio_percentiles(void **state)
{
	double a[401], b[] = {1000}, r, lo, hi;

	(void)state;
	/* 800..1200 in steps of 1, scrambled (7 is coprime with 401) */
	for (int i = 0; i < 401; i++)
		a[i] = 800 + (i * 7) % 401;
	assert_int_equal(ib_ratio_ci(a, 401, b, 1, &r, &lo, &hi), 0);
	assert_near(r, 1.0, 1e-12);
	/* the median of n uniform values over a range of 400 has a standard
	 * error of 400 / (2 sqrt(n)) = 10, i.e. 0.010 here: each half of a
	 * 95% interval is about 1.96 of them (a 90% bound would be 1.645).
	 * Deterministic: the resampling is seeded from the data. */
	if (!(r - lo > 0.018 && r - lo < 0.0225 && hi - r > 0.018 &&
	      hi - r < 0.0225))
		fail_msg("interval [%.5f, %.5f], expected about [0.980, 1.020]",
			 lo, hi);
}

static void test_ratio_degenerate(void **state)
{
	const double a[] = {3}, b[] = {2};
	const double a3[] = {3, 3.3, 2.7};
	double r, lo, hi;

	(void)state;
	assert_int_equal(ib_ratio_ci(a, 1, b, 1, &r, &lo, &hi), 0);
	assert_near(r, 1.5, EPS);
	assert_near(lo, 1.5, EPS);
	assert_near(hi, 1.5, EPS);
	/* one side with several samples: a real interval again */
	assert_int_equal(ib_ratio_ci(a3, 3, b, 1, &r, &lo, &hi), 0);
	assert_near(r, 1.5, EPS);
	assert_true(lo < hi);
	assert_true(lo >= 2.7 / 2 - EPS && hi <= 3.3 / 2 + EPS);
}

static void test_ratio_zero_baseline(void **state)
{
	const double a[] = {1, 2, 3};
	const double zero[] = {0, 0, 5};
	const double sym[] = {-1, 0, 1};
	double r = 7, lo = 7, hi = 7;

	(void)state;
	assert_int_equal(ib_ratio_ci(a, 3, zero, 3, &r, &lo, &hi), -1);
	assert_int_equal(ib_ratio_ci(a, 3, sym, 3, &r, &lo, &hi), -1);
	assert_int_equal(ib_ratio_ci(a, 3, zero, 1, &r, &lo, &hi), -1);
	/* the numerator may be zero */
	assert_int_equal(ib_ratio_ci(zero, 2, a, 3, &r, &lo, &hi), 0);
	assert_near(r, 0, EPS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_odd),
		cmocka_unit_test(test_even),
		cmocka_unit_test(test_median_even_unsorted),
		cmocka_unit_test(test_single),
		cmocka_unit_test(test_two_and_zero_mean),
		cmocka_unit_test(test_percentiles),
		cmocka_unit_test(test_binom_cdf),
		cmocka_unit_test(test_ci_order_statistics),
		cmocka_unit_test(test_ci_known_n100),
		cmocka_unit_test(test_ratio_basic),
		cmocka_unit_test(test_ratio_contains_many),
		cmocka_unit_test(test_ratio_percentiles),
		cmocka_unit_test(test_ratio_degenerate),
		cmocka_unit_test(test_ratio_zero_baseline),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
