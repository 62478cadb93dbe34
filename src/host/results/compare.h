/* compare: one run's metrics against another's, as a regression gate
 * (isobench compare BASE NEW...), in the manner of Firecracker's A/B
 * tests and Kata's checkmetrics.
 *
 * Metrics are matched by runtime, job, benchmark, metric and params. For
 * each pair: NEW/BASE (ratio of medians) with its bootstrap 95% interval,
 * and a two-sided permutation test on the samples (stats.h). A metric is
 * "worse" when the test says the runs differ (p < alpha) and the change is
 * beyond its threshold in the bad direction (lower where higher is
 * better); "better" likewise the other way; "no change" otherwise; "not
 * comparable" when one side lacks it, or its samples are too few for the
 * test ever to reach alpha (fewer than 4 a side): then it says so instead
 * of calling it unchanged. Thresholds are 5% unless a thresholds file
 * says otherwise. The hosts' fingerprints are compared fact by fact and
 * every difference is listed beside the verdicts, not hidden.
 *
 * Thresholds file (the plan file's syntax):
 *
 *   [global]
 *   allowed = 5%            ; the default
 *   [rps]                   ; a rule: any name
 *   metric = nginx.requests_per_s   ; BENCH.METRIC or METRIC
 *   params = connections=16 ; only where the params include these
 *   allowed = 10%
 *
 * The most specific rule that matches a metric wins: one naming the
 * benchmark over one that does not, then more params over fewer, then the
 * first in the file. */
#ifndef ISOBENCH_COMPARE_H
#define ISOBENCH_COMPARE_H

#include <stdio.h>

#include "results/results.h"

struct ib_cmp_rule {
	char *name;              /* its section */
	char *bench;             /* NULL: any benchmark's */
	char *metric;
	struct ib_strv params;   /* "key=value" each */
	double pct;              /* allowed change, percent */
	int line;
};

struct ib_cmp_thresholds {
	double pct;              /* the default: 5 */
	char *source;            /* the file, or NULL */
	struct ib_cmp_rule *v;
	int n;
};

void ib_cmp_thresholds_init(struct ib_cmp_thresholds *t);
void ib_cmp_thresholds_free(struct ib_cmp_thresholds *t);
/* Parses a thresholds file's text (source names it in errors). 0, or
 * -EINVAL with err naming source:line and what is wrong. */
int ib_cmp_thresholds_parse(const char *text, size_t len, const char *source,
			    struct ib_cmp_thresholds *t, struct ib_err *err);
/* The allowed change (percent) for a metric; *rule gets the rule's name,
 * or NULL for the default. */
double ib_cmp_threshold_for(const struct ib_cmp_thresholds *t,
			    const char *bench, const char *metric,
			    const cJSON *params, const char **rule);

enum ib_cmp_verdict {
	IB_CMP_NO_CHANGE,
	IB_CMP_BETTER,
	IB_CMP_WORSE,
	IB_CMP_NOT_COMPARABLE,
};
const char *ib_cmp_verdict_name(enum ib_cmp_verdict v);

/* One metric of BASE (or of a NEW only) against each NEW. */
struct ib_cmp_cell {
	const struct ib_metric *m;    /* NEW's, or NULL */
	double ratio, lo, hi;         /* NEW/BASE, medians; 95% interval */
	double p, min_p;              /* the permutation test */
	double allowed;               /* percent */
	const char *rule;             /* the threshold's rule, or NULL */
	enum ib_cmp_verdict verdict;
	char why[160];                /* for not comparable */
};

struct ib_cmp_row {
	const char *runtime, *job, *bench, *metric, *unit, *key;
	int higher;
	const struct ib_metric *base; /* or NULL: NEW only */
	struct ib_cmp_cell *cells;    /* one per NEW */
};

struct ib_compare {
	const struct ib_results *base;
	const struct ib_results *const *news;
	const char *base_name;
	const char *const *new_names; /* as given on the command line */
	int nnew;
	double alpha;
	double default_pct;           /* the thresholds' default */
	const char *thresholds;       /* their file, or NULL */
	struct ib_cmp_row *rows;
	int nrows;
	/* fingerprint facts that differ: name, then BASE's value and each
	 * NEW's (nnew + 2 strings per fact) */
	struct ib_strv host_diffs;
	int worse, better, same, na; /* verdicts, over every NEW */
};

/* Compares base with each of news[0..nnew) (built results), by t. */
void ib_compare_build(struct ib_compare *c, const struct ib_results *base,
		      const char *base_name,
		      const struct ib_results *const *news,
		      const char *const *new_names, int nnew,
		      const struct ib_cmp_thresholds *t, double alpha);
void ib_compare_free(struct ib_compare *c);

/* compare.json, compare.md (caller frees); the terminal table. */
char *ib_compare_json(const struct ib_compare *c);
char *ib_compare_markdown(const struct ib_compare *c);
void ib_compare_terminal(const struct ib_compare *c, FILE *out);

#endif
