#include "results/stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median_sorted(const double *v, int n)
{
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* C(n, i) / 2^n, in logs to stay exact enough for n in the thousands. */
static double binom_term(int n, int i)
{
	return exp(lgamma(n + 1.0) - lgamma(i + 1.0) - lgamma(n - i + 1.0) -
		   n * log(2.0));
}

double ib_binom_half_cdf(int n, int k)
{
	/* Sum of C(n, i) / 2^n for i <= k. */
	double sum = 0;

	if (k < 0)
		return 0;
	if (k >= n)
		return 1;
	for (int i = 0; i <= k; i++)
		sum += binom_term(n, i);
	return sum > 1 ? 1 : sum;
}

double ib_percentile_sorted(const double *sorted, int n, double p)
{
	/* Nearest rank: the smallest sample with at least p% of the samples
	 * at or below it; always an observed value (p99 of 10 is the max). */
	int rank = (int)ceil(p / 100 * n);

	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return sorted[rank - 1];
}

void ib_stats_compute(const double *v, int n, struct ib_stats *s)
{
	double *sorted = ib_xmalloc(sizeof(double) * (size_t)n), sum = 0, ss = 0;
	int k = 1;

	memset(s, 0, sizeof(*s));
	s->n = n;
	memcpy(sorted, v, sizeof(double) * (size_t)n);
	qsort(sorted, (size_t)n, sizeof(double), cmp_double);
	s->min = sorted[0];
	s->max = sorted[n - 1];
	s->median = median_sorted(sorted, n);
	s->p90 = ib_percentile_sorted(sorted, n, 90);
	s->p99 = ib_percentile_sorted(sorted, n, 99);
	for (int i = 0; i < n; i++)
		sum += v[i];
	s->mean = sum / n;
	if (n >= 2) {
		for (int i = 0; i < n; i++)
			ss += (v[i] - s->mean) * (v[i] - s->mean);
		s->sd = sqrt(ss / (n - 1));
		s->rsd = s->mean != 0 ? 100 * s->sd / fabs(s->mean) : NAN;
	} else {
		s->sd = NAN;
		s->rsd = NAN;
	}
	/* Interval [x(k), x(n+1-k)] covers the median with probability
	 * 1 - 2 P(B <= k-1), B ~ Bin(n, 1/2): take the largest k that keeps
	 * coverage >= 95%; with fewer than 6 samples no k does, and the
	 * widest interval [min, max] is given with its real coverage. */
	{
		/* the CDF summed as k grows, term by term in the order
		 * ib_binom_half_cdf sums them (same values): calling it per k
		 * was quadratic in n, and n can be in the 100 000s */
		double below = binom_term(n, 0), upto = below + binom_term(n, 1);

		while (k + 1 <= (n + 1) / 2 && 1 - 2 * (upto > 1 ? 1 : upto) >= 0.95) {
			k++;
			below = upto;
			upto += binom_term(n, k);
		}
		s->ci_level = 1 - 2 * (below > 1 ? 1 : below);
	}
	s->ci_lo = sorted[k - 1];
	s->ci_hi = sorted[n - k];
	free(sorted);
}

/* splitmix64: tiny, good enough for resampling, seeded from the data. */
static uint64_t mix(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t seed_of(const double *v, int n, uint64_t seed)
{
	for (int i = 0; i < n; i++) {
		uint64_t bits;

		memcpy(&bits, &v[i], sizeof(bits));
		seed ^= bits + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2);
	}
	return seed;
}

struct ranked {
	double v;
	int i;
};

static int cmp_ranked(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;
	int c = cmp_double(&x->v, &y->v);

	return c ? c : (x->i > y->i) - (x->i < y->i);
}

/* rank[i]: the place of v[i] in v sorted (ties by index). */
static int *ranks_of(const double *v, int n)
{
	struct ranked *t = ib_xmalloc(sizeof(*t) * (size_t)n);
	int *rank = ib_xmalloc(sizeof(int) * (size_t)n);

	for (int i = 0; i < n; i++)
		t[i] = (struct ranked){v[i], i};
	qsort(t, (size_t)n, sizeof(*t), cmp_ranked);
	for (int i = 0; i < n; i++)
		rank[t[i].i] = i;
	free(t);
	return rank;
}

/* The value at place p of the resample whose count of each rank is cnt. */
static double place_value(const double *sorted, const int *cnt, int n, int p)
{
	long acc = 0;

	for (int r = 0; r < n; r++) {
		acc += cnt[r];
		if (acc > p)
			return sorted[r];
	}
	return sorted[n - 1];
}

/* The median of n draws (with replacement) from v, whose sorted values and
 * ranks are given: the draws are counted per rank rather than sorted, O(n)
 * instead of O(n log n) per resample, with the same draws and the same
 * median as sorting them (a large log has metrics of 100 000s of samples,
 * each resampled 2000 times). */
static double resampled_median(const double *sorted, const int *rank, int n,
			       int *cnt, uint64_t *state)
{
	memset(cnt, 0, sizeof(int) * (size_t)n);
	for (int i = 0; i < n; i++)
		cnt[rank[mix(state) % (uint64_t)n]]++;
	if (n % 2)
		return place_value(sorted, cnt, n, n / 2);
	return (place_value(sorted, cnt, n, n / 2 - 1) +
		place_value(sorted, cnt, n, n / 2)) / 2;
}

int ib_ratio_ci(const double *a, int na, const double *b, int nb,
		double *ratio, double *lo, double *hi)
{
	enum { B = 2000 };
	double *sa = ib_xmalloc(sizeof(double) * (size_t)na);
	double *sb = ib_xmalloc(sizeof(double) * (size_t)nb);
	int *cnt = ib_xmalloc(sizeof(int) * (size_t)(na > nb ? na : nb));
	int *rank_a = NULL, *rank_b = NULL;
	double *r = ib_xmalloc(sizeof(double) * B), ma, mb;
	uint64_t state = seed_of(b, nb, seed_of(a, na, 0x150b3ceULL));
	int m = 0;

	memcpy(sa, a, sizeof(double) * (size_t)na);
	memcpy(sb, b, sizeof(double) * (size_t)nb);
	qsort(sa, (size_t)na, sizeof(double), cmp_double);
	qsort(sb, (size_t)nb, sizeof(double), cmp_double);
	ma = median_sorted(sa, na);
	mb = median_sorted(sb, nb);
	if (mb == 0) {
		free(sa), free(sb), free(cnt), free(r);
		return -1;
	}
	*ratio = ma / mb;
	*lo = *hi = *ratio;
	if (na > 1 || nb > 1) {
		rank_a = ranks_of(a, na);
		rank_b = ranks_of(b, nb);
		for (int i = 0; i < B; i++) {
			double x = resampled_median(sa, rank_a, na, cnt, &state);
			double y = resampled_median(sb, rank_b, nb, cnt, &state);

			if (y != 0)
				r[m++] = x / y;
		}
		if (m > 0) {
			qsort(r, (size_t)m, sizeof(double), cmp_double);
			*lo = r[(int)(0.025 * (m - 1))];
			*hi = r[(int)ceil(0.975 * (m - 1))];
		}
	}
	free(sa), free(sb), free(cnt), free(r);
	free(rank_a), free(rank_b);
	return 0;
}

/* The number of ways to choose k of n, or cap + 1 if more than cap. */
static double choose_capped(int n, int k, double cap)
{
	double c = 1;

	if (k > n - k)
		k = n - k;
	for (int i = 1; i <= k; i++) {
		c = c * (n - k + i) / i;
		if (c > cap)
			return cap + 1;
	}
	return c;
}

double ib_perm_test(const double *a, int na, const double *b, int nb,
		    double *min_p)
{
	enum { SPLITS = 20000 };
	int n = na + nb;
	double *v, sum = 0, d_obs, d_max, lo = 0, hi = 0, tol, p;
	double ways = na > 0 && nb > 0 ? choose_capped(n, na, SPLITS) : 0;
	long hits = 0, at_max = 0, total = 0;

	*min_p = 1;
	if (na < 1 || nb < 1)
		return 1;
	v = ib_xmalloc(sizeof(double) * (size_t)n);
	memcpy(v, a, sizeof(double) * (size_t)na);
	memcpy(v + na, b, sizeof(double) * (size_t)nb);
	for (int i = 0; i < n; i++)
		sum += v[i];
	/* the difference of means of a split, from the sum of its a side */
#define DIFF(sa) ((sa) / na - (sum - (sa)) / nb)
	{
		double sa = 0;

		for (int i = 0; i < na; i++)
			sa += a[i];
		d_obs = fabs(DIFF(sa));
	}
	/* the most extreme split: a gets the na smallest or largest */
	{
		double *s = ib_xmalloc(sizeof(double) * (size_t)n);

		memcpy(s, v, sizeof(double) * (size_t)n);
		qsort(s, (size_t)n, sizeof(double), cmp_double);
		for (int i = 0; i < na; i++) {
			lo += s[i];
			hi += s[n - 1 - i];
		}
		d_max = fmax(fabs(DIFF(lo)), fabs(DIFF(hi)));
		free(s);
	}
	/* equal up to rounding: sums in another order differ in the last
	 * bits */
	tol = 1e-9 * (fabs(sum) / n + d_max);
	if (ways <= SPLITS && n <= 62) {
		/* every split: the a side's members as the set bits of a
		 * mask with na bits of n, in order (Gosper's hack) */
		uint64_t m = (na == 64 ? ~0ULL : (1ULL << na) - 1);
		uint64_t end = 1ULL << n;

		while (m < end) {
			double sa = 0, d;
			uint64_t c, r;

			for (int i = 0; i < n; i++)
				if (m >> i & 1)
					sa += v[i];
			d = fabs(DIFF(sa));
			hits += d >= d_obs - tol;
			at_max += d >= d_max - tol;
			total++;
			c = m & -m;
			r = m + c;
			if (r == 0)
				break;
			m = (((r ^ m) >> 2) / c) | r;
		}
		p = (double)hits / (double)total;
		*min_p = (double)at_max / (double)total;
	} else {
		/* random splits, at most 2e7 samples moved in all */
		long splits = 20000000L / n;
		uint64_t state = seed_of(b, nb, seed_of(a, na, 0x9e37ULL));
		double *w = ib_xmalloc(sizeof(double) * (size_t)n);

		if (splits > SPLITS)
			splits = SPLITS;
		if (splits < 200)
			splits = 200;
		memcpy(w, v, sizeof(double) * (size_t)n);
		for (long k = 0; k < splits; k++) {
			double sa = 0;

			/* a partial Fisher-Yates shuffle: the first na */
			for (int i = 0; i < na; i++) {
				int j = i + (int)(mix(&state) % (uint64_t)(n - i));
				double t = w[i];

				w[i] = w[j];
				w[j] = t;
				sa += w[i];
			}
			hits += fabs(DIFF(sa)) >= d_obs - tol;
		}
		p = (double)(hits + 1) / (double)(splits + 1);
		*min_p = 1.0 / (double)(splits + 1);
		free(w);
	}
#undef DIFF
	free(v);
	return p;
}
