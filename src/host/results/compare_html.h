/* compare_html: compare.html, `isobench compare`'s result as one
 * self-contained page, the charts of report.html: per job, each metric's
 * NEW/BASE per NEW run on a log axis with its 95% interval (solid where
 * the verdict is worse or better, hollow where it is no change), the
 * numbers and verdicts under it, the hosts' differences flagged on top.
 * Each mark's data-m is ROW * NEWS + NEW: the row's index in
 * compare.json's metrics[] and the NEW run's in its news[]. */
#ifndef ISOBENCH_COMPARE_HTML_H
#define ISOBENCH_COMPARE_HTML_H

#include "results/compare.h"

/* compare.html text. Caller frees. */
char *ib_compare_html(const struct ib_compare *c);

#endif
