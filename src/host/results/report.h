/* report: the human-readable forms of a run's results: report.md and the
 * summary table printed at the end of a run (and by `isobench report`).
 * Rows are metrics, columns runtimes, each value with its ratio to the
 * baseline; a metric whose RSD is above the target is flagged with '!'. */
#ifndef ISOBENCH_REPORT_H
#define ISOBENCH_REPORT_H

#include <stdio.h>

#include "results/results.h"

/* report.md text. Caller frees. */
char *ib_report_markdown(const struct ib_results *r);
/* Writes the run directory's results.json, results.csv and report.md
 * into dir, each atomically. */
int ib_report_write_all(const struct ib_results *r, const char *dir,
			struct ib_err *err);
/* The terminal summary. */
void ib_report_terminal(const struct ib_results *r, FILE *out);

#endif
