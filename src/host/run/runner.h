/* runner: executes a plan.
 *
 * For every cell (a job on a runtime) it launches the probe through the
 * runtime's driver, reads its records as they arrive (every one appended to
 * raw.jsonl at once), and repeats the cell until the RSD of its metrics is
 * under the target or a bound on launches or time is reached. Rounds
 * interleave cells (A B C A B C), so drift hits every runtime alike. Every
 * launch has a deadline; a hung or crashed probe costs its launch, not the
 * run. SIGINT/SIGTERM end the current launch, tear it down, and still write
 * the results of everything measured so far. */
#ifndef ISOBENCH_RUNNER_H
#define ISOBENCH_RUNNER_H

#include "plan/plan.h"
#include "base/util.h"

/* Exit codes of isobench (documented in README.md and --help). */
enum ib_exit {
	IB_EXIT_OK = 0,          /* everything asked for was measured */
	IB_EXIT_CELLS_FAILED = 1,/* finished, but some cells failed */
	IB_EXIT_USAGE = 2,       /* bad command line or plan file */
	IB_EXIT_ENV = 3,         /* cannot work here: output directory,
				    probe, no usable runtime, I/O error */
	IB_EXIT_REGRESSION = 1,  /* compare: a metric significantly worse
				    beyond its threshold (CI gates on it) */
	IB_EXIT_INTERRUPTED = 130, /* SIGINT/SIGTERM: results so far kept */
};

/* What a run tells its user as it goes. The runner prints nothing
 * itself: it hands every message, the progress and the summary to a
 * reporter (the command line's writes them to stderr and stdout, see
 * cli/common.c); a NULL reporter or callback says nothing. */
enum ib_report_kind {
	IB_REPORT_ERROR,   /* what stops the run, or failed in it */
	IB_REPORT_WARNING, /* what the user must know (no baseline) */
	IB_REPORT_NOTE,    /* what it does (its directory, a runtime skipped) */
	IB_REPORT_CELL,    /* a cell finished (one line each, for logs) */
	IB_REPORT_DONE,    /* the run's last line */
};

struct ib_progress {
	double elapsed_s, eta_lo_s, eta_hi_s;
	int cells_done, ncells;
	const char *runtime, *job;
	int warmup;        /* a warm-up launch, not a counted one */
	int launch;        /* its number in the cell, from 1 */
};

struct ib_results;

struct ib_reporter {
	void *ctx;
	void (*message)(void *ctx, enum ib_report_kind kind, const char *text);
	/* the progress line: p, or NULL to clear it */
	void (*progress)(void *ctx, const struct ib_progress *p);
	/* the results once written (the summary table) */
	void (*summary)(void *ctx, const struct ib_results *r);
};

struct ib_runner_opts {
	const char *out_dir;     /* NULL: ./isobench-results/<run id> */
	const char *scratch_parent; /* NULL: /var/tmp */
	const char *probe_path;
	const struct ib_reporter *reporter; /* NULL: silent */
};

/* Runs the plan; returns an enum ib_exit value. What it says goes to
 * o->reporter. */
int ib_run(struct ib_plan *plan, const struct ib_runner_opts *o);

/* Installs SIGINT/SIGTERM handlers that only set a flag (no SA_RESTART,
 * so blocking calls return EINTR and the runner notices at once). */
void ib_runner_install_signals(void);
int ib_runner_interrupted(void);

#endif
