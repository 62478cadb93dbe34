/* report_html: report.html, the run's results as one self-contained page.
 *
 * Built from the results alone (raw.jsonl, like report.md), so a rebuild
 * is byte-identical. The study's order: host and runtimes (each runtime's
 * architecture in one line), then CPU, memory, system calls and context
 * switches, disk, network, startup, footprint, applications. Each job has
 * a chart of every metric's ratio to the baseline per runtime (log axis,
 * 95% interval as whiskers, a hollow mark where the ratio is not known
 * within +-5%), memory latency and the applications curves over their
 * sweep, startup its phases stacked, and a table of the numbers (median,
 * n, RSD, ratio and interval) under each. Inline SVG (svg.h) and CSS
 * only: no script, font or request, readable on a phone and in print. */
#ifndef ISOBENCH_REPORT_HTML_H
#define ISOBENCH_REPORT_HTML_H

#include "results/results.h"

/* The pages' style sheet (<style>...</style>), shared with compare.html. */
void ib_html_page_css(struct ib_buf *b);
/* report.html text. Caller frees. */
char *ib_report_html(const struct ib_results *r);

#endif
