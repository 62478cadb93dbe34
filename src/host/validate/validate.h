/* validate: `isobench validate`, each probe workload natively beside the
 * classic tool whose method it follows (sysbench, perf bench, fio, mbw,
 * hyperfine, iperf3, sockperf), in one run, interleaved; the ratio of the
 * two medians is held against each check's target. The command line is
 * cli/validate.c; this module runs the checks and writes validation.json
 * and validation.md. */
#ifndef ISOBENCH_VALIDATE_H
#define ISOBENCH_VALIDATE_H

#include "base/util.h"

#define IB_VALIDATE_MAX_ROUNDS 100

struct ib_validate_opts {
	int rounds;                 /* 1..IB_VALIDATE_MAX_ROUNDS */
	double secs;                /* per measurement and side */
	const char *disk_size;      /* the test file's size ("256m") */
	struct ib_strv only;        /* checks to run (none: all), known ones */
	const char *probe;          /* the probe binary */
	const char *out;            /* output directory, or NULL: a new
				       isobench-results/validate-TIME */
	const char *scratch_parent; /* where the work directory is made */
};

/* 1 if id names a check (--only). */
int ib_validate_known_check(const char *id);
/* Runs the checks; progress on stderr, the table on stdout. Returns the
 * exit status: 0 every check met its target, 1 one missed or could not
 * run, 3 the probe or a directory is unusable, 130 interrupted. */
int ib_validate_run(const struct ib_validate_opts *o);

#endif
