/* rows: a run's metrics arranged as the reports show them.
 *
 * A row is one (job, metric, params) across the run's runtimes (columns),
 * labelled without the params every metric of its kind shares. Rows come
 * grouped by job, in the order the run measured them. report.md, the
 * terminal table and report.html all read the same rows. */
#ifndef ISOBENCH_ROWS_H
#define ISOBENCH_ROWS_H

#include <stddef.h>

#include "results/results.h"

struct ib_row {
	const char *job, *bench, *metric, *key, *unit;
	int higher;
	char *label;
	int *m; /* per column: metric index or -1 */
};

/* A value with about 4 significant digits, without exponents for the
 * magnitudes benchmarks produce. */
void ib_fmt_value(char *buf, size_t cap, double v);

struct ib_row *ib_rows_build(const struct ib_results *r, int *nrows);
void ib_rows_free(struct ib_row *rows, int n);
/* The text of a row's cell in column col: "2449 x0.98" (with_ratio) or
 * "2449" (the baseline, or !with_ratio), '!' after a value whose RSD is
 * above the target, '~' after a ratio not known within +-5%; or why there
 * is none: "failed", "skipped", "not run", "unsupported", "-". */
void ib_row_cell_text(const struct ib_results *r, const struct ib_row *row,
		      int col, char *buf, size_t cap, int with_ratio);
/* Counts metric i into the ratios shown (every one but the baseline's
 * own) and those among them not known within +-5% (ratio_wide). */
void ib_ratio_count(const struct ib_results *r, int i, int *ratios, int *wide);
/* How many samples a side would put metric i's ratio within +-5% at the
 * spreads measured (its RSD and the baseline's), or 0 where that cannot
 * be estimated: no ratio, a side measured in one launch (how launches
 * differ is not known), an RSD not finite. A lower bound: the normal
 * approximation for a ratio of medians, where a bootstrap interval of the
 * medians of few samples is wider. */
int ib_ratio_samples_needed(const struct ib_results *r, int i);

/* The study's sections, in its order (CPU, memory, system calls and
 * context switches, disk, network, startup, footprint, applications),
 * each with the benchmarks it holds; the last, "other", holds any other.
 * The reports show the jobs in this order. */
struct ib_study_section {
	const char *id, *title;
	const char *bench[3];
	const char *intro;
};
extern const struct ib_study_section ib_study_sections[];
extern const int ib_nstudy_sections;
/* The section of a benchmark. */
int ib_study_section(const char *bench);
/* A job's benchmark (its rows may hold others': an application's job has
 * the probe's serve samples too), or "". */
const char *ib_job_bench(const struct ib_results *r, const char *job);

#endif
