/* stats: the summary of a metric's samples and of its ratio to a baseline.
 *
 * Median, min, max, mean, standard deviation and RSD of the samples; a
 * distribution-free confidence interval of the median from order
 * statistics (exact binomial coverage: no normality assumed, and with few
 * samples the interval says its true, lower confidence level instead of
 * pretending to 95%); the ratio of two medians with a percentile-bootstrap
 * interval whose generator is seeded from the data, so the same samples
 * give the same interval on every rebuild. */
#ifndef ISOBENCH_STATS_H
#define ISOBENCH_STATS_H

#include <stdint.h>

struct ib_stats {
	int n;
	double median, mean, min, max;
	double p90, p99; /* nearest-rank percentiles (observed values) */
	double sd;       /* sample standard deviation (n-1); NAN if n < 2 */
	double rsd;      /* 100 * sd / |mean|, percent; NAN if n < 2 */
	double ci_lo, ci_hi; /* interval of the median */
	double ci_level; /* its exact coverage: 0.95 or more when n >= 6 */
};

/* The nearest-rank p-th percentile (0 < p <= 100) of sorted[0..n). */
double ib_percentile_sorted(const double *sorted, int n, double p);

/* Summarises v[0..n) (n >= 1; v is not modified). */
void ib_stats_compute(const double *v, int n, struct ib_stats *s);

/* Ratio of the median of a to the median of b, and a 95% percentile
 * bootstrap interval of it (2000 resamples). lo = hi = ratio when both
 * sides have one sample. Returns -1 if the median of b is 0. */
int ib_ratio_ci(const double *a, int na, const double *b, int nb,
		double *ratio, double *lo, double *hi);

/* Two-sided permutation test of "a and b come from one distribution" on
 * the difference of their means: the share of the ways to split the
 * pooled samples into groups of na and nb whose |difference| is at least
 * the observed one. Exact (every split) when there are at most 20 000,
 * else that many random splits (seeded from the data: the same samples
 * give the same p), p = (hits + 1) / (splits + 1). *min_p gets the
 * smallest p these sample counts can give (below 0.05 only from 4 and 4
 * samples on): a p above alpha means nothing when min_p is too. Returns
 * p, or 1 (min_p 1) when a side is empty. */
double ib_perm_test(const double *a, int na, const double *b, int nb,
		    double *min_p);

/* P(X <= k) for X ~ Binomial(n, 1/2). Exposed for tests. */
double ib_binom_half_cdf(int n, int k);

#endif
