/* report: the human-readable forms of a run's results: report.md and the
 * summary table printed at the end of a run (and by `isobench report`);
 * report.html is report_html.h's. Rows are metrics, columns runtimes,
 * each value with its ratio to the baseline; a metric whose RSD is above
 * the target is flagged with '!'. Both open (report.md) or end (the
 * table) with the findings (findings.h); report.md then follows the
 * study's sections and folds the details at its end. */
#ifndef ISOBENCH_REPORT_H
#define ISOBENCH_REPORT_H

#include <stdio.h>

#include "results/results.h"

/* report.md text. Caller frees. */
char *ib_report_markdown(const struct ib_results *r);
/* Writes the run directory's results.json, results.csv, report.md and
 * report.html into dir, each atomically. */
int ib_report_write_all(const struct ib_results *r, const char *dir,
			struct ib_err *err);
/* The terminal summary. */
void ib_report_terminal(const struct ib_results *r, FILE *out);

#endif
