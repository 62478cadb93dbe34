/* results: the run's results, built from raw.jsonl events.
 *
 * The runner feeds every event it logs into a builder, and uses what it
 * built to decide when a cell has repeated enough; `isobench report` feeds
 * the same events read back from raw.jsonl. One code path, so the files a
 * run writes and the files a rebuild writes are byte for byte the same.
 *
 * A cell is one job on one runtime; a metric is one (benchmark, metric,
 * sample params) measured in a cell, with every sample kept. Finalizing
 * computes the statistics (stats.h) and the ratio of every metric to the
 * same metric on the baseline runtime. */
#ifndef ISOBENCH_RESULTS_H
#define ISOBENCH_RESULTS_H

#include <cjson/cJSON.h>

#include "results/stats.h"
#include "base/util.h"

#define IB_RESULTS_SCHEMA_VERSION 3

/* How close a ratio must be known to be read without a caveat: its 95%
 * interval within this many percent of it, both ways. A ratio known less
 * closely is marked (~) and its reason given in report.md. */
#define IB_RATIO_WITHIN_PCT 5

struct ib_metric {
	int cell;            /* index in cells */
	char *bench, *metric, *unit;
	char *key;           /* canonical params text (record.h) */
	cJSON *params;       /* owned copy of the sample's params */
	int higher;
	double *v;           /* every counted sample, in arrival order */
	int n, cap;
	struct ib_stats st;
	int has_ratio;
	double ratio, ratio_lo, ratio_hi;
	int base;            /* the baseline's metric of the ratio, or -1 */
	/* The ratio is not known within +-IB_RATIO_WITHIN_PCT: its 95%
	 * interval reaches beyond, or a side's samples all come from one
	 * launch (not set on the baseline's own metrics). */
	int ratio_wide;
	int rsd_flag;        /* RSD above the plan's target */
	int stale;           /* samples came since st was computed */
};

struct ib_cell {
	char *runtime, *job, *bench;
	int launches;        /* counted launches (not warm-ups) */
	int ok, failed, warmups;
	int interrupted;     /* launches cut short by SIGINT/SIGTERM */
	int replaced;        /* launches whose guest hung at boot, run
				again (run/internal.h) */
	int left_on;         /* ok launches whose guest did not power off
				after its probe's done record: ended by
				isobench */
	double seconds;      /* wall time of all its launches */
	char *stopped_by;    /* why it stopped repeating, NULL if it did not */
	char *status;        /* set by finalize: ok, partial, failed,
				skipped, not-run */
	struct ib_strv failures;    /* distinct failure reasons */
	struct ib_strv replacements; /* distinct reasons of replaced ones */
	struct ib_strv unsupported; /* distinct "unsupported" messages */
	struct ib_strv infos;       /* distinct "key=value" info records */
};

struct ib_launch_ref {
	int id, cell, warmup;
};

/* A hash index of items (cells, metrics, launches) by their identity, so
 * that a large raw.jsonl is read in linear time, not a search per event.
 * Internal to results.c. */
struct ib_idx {
	struct ib_idx_slot *s;
	size_t cap, n;
};

struct ib_results {
	cJSON *run;      /* the run event (owned copy) */
	cJSON *runtimes; /* the runtime events, in order (owned) */
	cJSON *run_end;  /* or NULL: the run did not end cleanly */
	/* the noisy neighbour: its "neighbour" event (kind, cpu, pid, t_s),
	 * with "ended_s" and "why" if it ended before the run; or NULL */
	cJSON *neighbour;
	/* the jobs' own neighbours: {job: {kind, cpu}}, or NULL */
	cJSON *job_neighbours;
	struct ib_strv columns; /* runtimes in plan order */
	struct ib_cell *cells;
	int ncells;
	struct ib_metric *metrics;
	int nmetrics;
	struct ib_launch_ref *launches;
	int nlaunches;
	double rsd_target;
	char *baseline;
	struct ib_strv warnings;
	struct ib_idx cell_idx, metric_idx, launch_idx;
	int cells_cap, metrics_cap, launches_cap; /* allocated items */
	int bad_lines;   /* damaged lines of raw.jsonl skipped (rawlog.h) */
};

void ib_results_init(struct ib_results *r);
void ib_results_free(struct ib_results *r);
/* Consumes one event (the builder copies what it keeps). */
int ib_results_feed(struct ib_results *r, const cJSON *ev, struct ib_err *err);
/* Computes statistics, ratios and statuses; idempotent. */
void ib_results_finalize(struct ib_results *r);
/* Reads raw_path, feeds every event and finalizes. Damaged lines are
 * skipped, counted in bad_lines and named in warnings (rawlog.h); only a
 * file that is not a raw log of isobench is an error. */
int ib_results_load(struct ib_results *r, const char *raw_path,
		    struct ib_err *err);

/* The cell of job on runtime (a hash lookup), or NULL. Like strchr, it
 * takes a const r and returns the cell writable: the builder, which owns
 * r, changes it; the reports only read it. */
struct ib_cell *ib_results_cell(const struct ib_results *r,
				const char *runtime, const char *job);
/* Largest RSD over the cell's metrics (NAN when a metric has fewer than
 * two samples, or the cell has none); *worst names that metric. The
 * statistics of metrics that got samples since are computed first (a
 * sample only marks them stale: computing them per sample made reading a
 * large log quadratic). */
double ib_cell_max_rsd(const struct ib_results *r, int cell,
		       const char **worst);
/* Computes m->st from m's samples. */
void ib_metric_update_stats(struct ib_metric *m);

/* The first metric (in arrival order) of runtime rt, benchmark bench,
 * named metric, whose params text contains key (NULL: any), or NULL. A
 * linear search: for the reports' few lookups, not per sample. */
const struct ib_metric *ib_results_metric(const struct ib_results *r,
					  const char *rt, const char *bench,
					  const char *metric, const char *key);
/* The "runtime" event of runtime name (usable or why not), or NULL. */
const cJSON *ib_results_runtime(const struct ib_results *r, const char *name);
/* Did runtime name run emulated (its description says "emulated": true,
 * e.g. a VM under QEMU's TCG)? Its figures measure the emulator, and every
 * report says so. */
int ib_results_emulated(const struct ib_results *r, const char *name);
/* A runtime's column title in reports: its name, with " [emulated]" when
 * it ran emulated. Caller frees. */
char *ib_results_title(const struct ib_results *r, const char *name);

/* Text of results.json / results.csv. Caller frees. */
char *ib_results_json(const struct ib_results *r);
char *ib_results_csv(const struct ib_results *r);

/* The label of a metric row: "metric [k=v ...]" without the params that
 * every sample of the benchmark shares. Caller frees. */
char *ib_metric_label(const struct ib_metric *m);

#endif
