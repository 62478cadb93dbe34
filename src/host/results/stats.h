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

/* P(X <= k) for X ~ Binomial(n, 1/2). Exposed for tests. */
double ib_binom_half_cdf(int n, int k);

#endif
