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
	IB_EXIT_REGRESSION = 4,  /* reserved: compare found a regression */
	IB_EXIT_INTERRUPTED = 130, /* SIGINT/SIGTERM: results so far kept */
};

struct ib_runner_opts {
	const char *out_dir;     /* NULL: ./isobench-results/<run id> */
	const char *scratch_parent; /* NULL: /var/tmp */
	const char *probe_path;
	int progress;            /* progress line on stderr if a terminal */
	int quiet;               /* no progress, no table */
	int summary;             /* print the table at the end */
};

/* Runs the plan; returns an enum ib_exit value. Messages go to stderr;
 * the summary table to stdout. */
int ib_run(struct ib_plan *plan, const struct ib_runner_opts *o);

/* Installs SIGINT/SIGTERM handlers that only set a flag (no SA_RESTART,
 * so blocking calls return EINTR and the runner notices at once). */
void ib_runner_install_signals(void);
int ib_runner_interrupted(void);

#endif
