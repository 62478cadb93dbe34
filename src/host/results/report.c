#include "results/report.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/params.h"
#include "results/findings.h"
#include "results/knobs.h"
#include "results/record.h"
#include "results/report_html.h"
#include "results/rows.h"

static const char *str_of(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* --- terminal ------------------------------------------------------------ */

#define EMULATED_NOTE                                                         \
	"[emulated]: run under emulation (QEMU's TCG: no hardware "           \
	"virtualization here; see the runtime's accelerator_why). Its "       \
	"figures measure the emulator and the harness, not the hypervisor."

static int any_emulated(const struct ib_results *r)
{
	for (int c = 0; c < r->columns.n; c++)
		if (ib_results_emulated(r, r->columns.v[c]))
			return 1;
	return 0;
}

/* The top findings, one line each: what to read first. */
#define TERMINAL_FINDINGS 5

static void terminal_findings(const struct ib_results *r, FILE *out)
{
	struct ib_findings f;

	ib_findings_compute(r, &f);
	if (f.n)
		fprintf(out, "findings (%d; each with its evidence and cause in "
			"report.html and report.md):\n", f.n);
	for (int i = 0; i < f.n && i < TERMINAL_FINDINGS; i++)
		fprintf(out, "  %s%s%s\n", f.v[i].guard ? "[check] " : "",
			f.v[i].claim, f.v[i].noisy ? " (noisy)" : "");
	if (f.n > TERMINAL_FINDINGS)
		fprintf(out, "  ... and %d more\n", f.n - TERMINAL_FINDINGS);
	ib_findings_free(&f);
}

void ib_report_terminal(const struct ib_results *r, FILE *out)
{
	int nrows, ncol = r->columns.n, wl = 6, wu = 4, flagged = 0;
	int ratios = 0, wide = 0;
	struct ib_row *rows = ib_rows_build(r, &nrows);
	int *wc = ib_xcalloc((size_t)(ncol ? ncol : 1), sizeof(int));
	const char *prev_job = "";
	char buf[96];

	for (int i = 0; i < nrows; i++) {
		int l = (int)strlen(rows[i].label), u = (int)strlen(rows[i].unit);

		wl = l > wl ? l : wl;
		wu = u + 2 > wu ? u + 2 : wu;
		for (int c = 0; c < ncol; c++) {
			ib_row_cell_text(r, &rows[i], c, buf, sizeof(buf), 1);
			if ((int)strlen(buf) > wc[c])
				wc[c] = (int)strlen(buf);
			if (rows[i].m[c] < 0)
				continue;
			flagged += r->metrics[rows[i].m[c]].rsd_flag;
			ib_ratio_count(r, rows[i].m[c], &ratios, &wide);
		}
	}
	for (int c = 0; c < ncol; c++) {
		char *t = ib_results_title(r, r->columns.v[c]);

		if ((int)strlen(t) > wc[c])
			wc[c] = (int)strlen(t);
		free(t);
	}
	if (wl > 60)
		wl = 60;
	wl += 2; /* labels are indented under their job */
	fprintf(out, "\n%-*s  %-*s", wl, "metric", wu, "unit");
	for (int c = 0; c < ncol; c++) {
		char *t = ib_results_title(r, r->columns.v[c]);

		fprintf(out, "  %*s", wc[c], t);
		free(t);
	}
	fprintf(out, "\n");
	for (int i = 0; i < nrows; i++) {
		char unit[40];

		if (strcmp(prev_job, rows[i].job)) {
			fprintf(out, "%s%s\n", i ? "\n" : "", rows[i].job);
			prev_job = rows[i].job;
		}
		snprintf(unit, sizeof(unit), "%s %s", rows[i].unit,
			 rows[i].higher ? "^" : "v");
		fprintf(out, "  %-*.*s  %-*s", wl - 2, wl - 2, rows[i].label, wu,
			unit);
		for (int c = 0; c < ncol; c++) {
			ib_row_cell_text(r, &rows[i], c, buf, sizeof(buf), 1);
			fprintf(out, "  %*s", wc[c], buf);
		}
		fprintf(out, "\n");
	}
	fprintf(out, "\n^ higher is better, v lower is better; xN.NN = ratio to "
		     "%s (median of launches).\n", r->baseline);
	if (flagged)
		fprintf(out, "! %d value%s with RSD above %.3g%% (noisy: see "
			"report.md for n, RSD and intervals).\n",
			flagged, flagged == 1 ? "" : "s", r->rsd_target);
	if (ratios)
		fprintf(out, "~ ratio not known within +-%d%% (its 95%% "
			"interval reaches beyond, or a side is one launch); "
			"%d of %d ratios (%.0f%%) are known within (the "
			"others' reasons, and the samples they would need: "
			"report.md, Precision).\n",
			IB_RATIO_WITHIN_PCT, ratios - wide, ratios,
			100.0 * (ratios - wide) / ratios);
	if (any_emulated(r))
		fprintf(out, "%s\n", EMULATED_NOTE);
	if (r->neighbour)
		fprintf(out, "measured beside a noisy neighbour (%s) on host CPU "
			"%d%s.\n", str_of(r->neighbour, "kind") ?: "?",
			cJSON_GetObjectItem(r->neighbour, "cpu")->valueint,
			cJSON_GetObjectItem(r->neighbour, "ended_s")
				? ", which ended before the run did (report.md)"
				: "");
	if (r->job_neighbours) {
		const cJSON *j;

		fprintf(out, "jobs measured beside a noisy neighbour of their "
			"own:");
		cJSON_ArrayForEach(j, r->job_neighbours)
			fprintf(out, " %s (%s)", j->string,
				str_of(j, "kind") ?: "?");
		fprintf(out, ".\n");
	}
	if (r->bad_lines)
		fprintf(out, "damaged raw.jsonl: %d line%s skipped (each named "
			"in the warnings and report.md); the results are built "
			"from the rest.\n",
			r->bad_lines, r->bad_lines == 1 ? "" : "s");
	for (int i = 0; i < r->ncells; i++) {
		const struct ib_cell *c = &r->cells[i];

		if (!strcmp(c->status, "failed") || !strcmp(c->status, "partial"))
			fprintf(out, "%s %s/%s: %s\n", c->status, c->runtime,
				c->job, c->failures.n ? c->failures.v[0] : "?");
		if (c->replaced)
			fprintf(out, "replaced %s/%s: %d launch%s, not counted "
				"(%s)\n", c->runtime, c->job, c->replaced,
				c->replaced == 1 ? "" : "es",
				c->replacements.n ? c->replacements.v[0] : "?");
	}
	for (int k = 0; k < ncol; k++) {
		const cJSON *ev = ib_results_runtime(r, r->columns.v[k]);

		if (ev && cJSON_IsFalse(cJSON_GetObjectItem(ev, "available")))
			fprintf(out, "skipped %s: %s\n", r->columns.v[k],
				str_of(ev, "why") ?: "not available");
	}
	free(wc);
	ib_rows_free(rows, nrows);
	{
		char *k = ib_knobs_conclusion(r);

		if (k)
			fprintf(out, "knobs (each configuration against its "
				"reference, then \"over\" the one it adds knobs "
				"to; tables and box plots in report.md, "
				"Knobs):\n%s", k);
		free(k);
	}
	terminal_findings(r, out);
}

/* --- markdown ------------------------------------------------------------ */

static void md_escape(struct ib_buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			ib_buf_puts(b, "\\|");
		else if (*s == '\n')
			ib_buf_puts(b, " ");
		else
			ib_buf_put(b, s, 1);
	}
}

/* The findings first: what the figures say, each with its evidence and
 * the mechanism behind it (findings.h). */
static void md_findings(struct ib_buf *b, const struct ib_results *r)
{
	struct ib_findings f;

	ib_findings_compute(r, &f);
	ib_buf_puts(b, "## Findings\n\n");
	if (!ib_findings_native_baseline(r))
		ib_buf_printf(b, "The baseline (%s) is not native: the rules that "
			      "read a ratio as to native's were not applied.\n\n",
			      r->baseline ? r->baseline : "none");
	if (!f.n)
		ib_buf_puts(b, "No rule fired: no runtime's figures crossed a "
			    "rule's threshold with their whole interval.\n");
	for (int i = 0; i < f.n; i++) {
		const struct ib_finding *x = &f.v[i];

		ib_buf_printf(b, "- %s**", x->guard ? "**Check:** " : "");
		md_escape(b, x->claim);
		ib_buf_puts(b, "** Why: ");
		md_escape(b, x->mechanism);
		ib_buf_puts(b, ". Evidence: ");
		md_escape(b, x->evidence);
		ib_buf_printf(b, "%s (rule `%s`)\n",
			      x->noisy ? "; **noisy**: its interval reaches "
					 "beyond +-5% or a side is one launch"
				       : "", x->rule);
	}
	ib_buf_puts(b, "\n");
	ib_findings_free(&f);
}

static void md_fingerprint(struct ib_buf *b, const cJSON *fp)
{
	const cJSON *v;

	ib_buf_puts(b, "## Host\n\n| | |\n|---|---|\n");
	cJSON_ArrayForEach(v, fp) {
		char num[64];

		ib_buf_printf(b, "| %s | ", v->string);
		if (cJSON_IsString(v))
			md_escape(b, v->valuestring);
		else if (cJSON_IsNumber(v)) {
			ib_fmt_num(num, sizeof(num), v->valuedouble);
			ib_buf_puts(b, num);
		} else {
			char *t = cJSON_PrintUnformatted(v);

			md_escape(b, t ? t : "");
			cJSON_free(t);
		}
		ib_buf_puts(b, " |\n");
	}
	ib_buf_puts(b, "\n");
}

/* Each runtime: used or skipped (and why), then its description as
 * short "key: value" lines (a nested value as compact JSON). */
static void md_runtimes(struct ib_buf *b, const struct ib_results *r)
{
	ib_buf_puts(b, "## Runtimes\n\n");
	for (int k = 0; k < r->columns.n; k++) {
		const cJSON *ev = ib_results_runtime(r, r->columns.v[k]);
		const cJSON *d = ev ? cJSON_GetObjectItem(ev, "describe") : NULL;
		const cJSON *kv;
		int avail = ev && !cJSON_IsFalse(cJSON_GetObjectItem(ev, "available"));
		char *t = ib_results_title(r, r->columns.v[k]);

		ib_buf_printf(b, "- **%s**: %s", t, avail ? "used" : "skipped");
		free(t);
		if (!avail) {
			ib_buf_puts(b, ": ");
			md_escape(b, ev && str_of(ev, "why") ? str_of(ev, "why") : "");
			if (ev && str_of(ev, "fix")) {
				ib_buf_puts(b, " (fix: ");
				md_escape(b, str_of(ev, "fix"));
				ib_buf_puts(b, ")");
			}
		}
		ib_buf_puts(b, "\n");
		if (!avail)
			d = NULL;
		cJSON_ArrayForEach(kv, d) {
			ib_buf_printf(b, "  - %s: ", kv->string);
			if (cJSON_IsString(kv))
				md_escape(b, kv->valuestring);
			else {
				char *j = cJSON_PrintUnformatted(kv);

				ib_buf_puts(b, "`");
				md_escape(b, j ? j : "");
				ib_buf_puts(b, "`");
				cJSON_free(j);
			}
			ib_buf_puts(b, "\n");
		}
	}
	ib_buf_puts(b, "\n");
}

static void md_method(struct ib_buf *b, const struct ib_results *r)
{
	const cJSON *plan = cJSON_GetObjectItem(r->run, "plan");
	const cJSON *v;
	double min = 0, max = 0, t = 0, w = 0;

	if ((v = cJSON_GetObjectItem(plan, "min_reps")) && cJSON_IsNumber(v))
		min = v->valuedouble;
	if ((v = cJSON_GetObjectItem(plan, "max_reps")) && cJSON_IsNumber(v))
		max = v->valuedouble;
	if ((v = cJSON_GetObjectItem(plan, "max_time_s")) && cJSON_IsNumber(v))
		t = v->valuedouble;
	if ((v = cJSON_GetObjectItem(plan, "warmup")) && cJSON_IsNumber(v))
		w = v->valuedouble;
	ib_buf_printf(b,
		      "## How these numbers were obtained\n\n"
		      "- Each cell (a job on a runtime) was launched "
		      "repeatedly, runtimes interleaved (A B C A B C), until "
		      "the relative standard deviation of every metric was at "
		      "most %.3g%%, with at least %.0f and at most %.0f "
		      "repetitions, or %.0f s per cell; %.0f uncounted warm-up "
		      "launch%s per cell first.\n"
		      "- A value is the median over launches; `!` marks an RSD "
		      "above the target. The interval of the median comes from "
		      "order statistics (exact binomial coverage, given as "
		      "`level` where fewer than 6 samples cannot reach 95%%).\n"
		      "- `xN.NN` is the ratio of medians to the baseline `%s`, "
		      "with a 95%% percentile-bootstrap interval in the details "
		      "tables. For ^ metrics a ratio below 1 is a cost, for v "
		      "metrics above 1.\n"
		      "- Every sample is in results.json and raw.jsonl; "
		      "`isobench report DIR` rebuilds this file from raw.jsonl.\n"
		      "- Each probe workload follows a classic tool's method "
		      "(README.md, \"Benchmarks\"); `isobench validate` runs "
		      "them side by side.\n\n",
		      r->rsd_target, min, max, t, w, w == 1 ? "" : "es",
		      r->baseline);
	{
		const cJSON *job;
		int first = 1;

		cJSON_ArrayForEach(job, cJSON_GetObjectItem(plan, "jobs")) {
			const cJSON *k = cJSON_GetObjectItem(job, "reps_per_launch");

			if (!cJSON_IsNumber(k) || k->valuedouble <= 1)
				continue;
			ib_buf_printf(b, "%s`%s` %.0f", first ? "- Repetitions "
				      "per launch (each one sample; the bounds "
				      "above count repetitions): " : ", ",
				      str_of(job, "name") ?: "?", k->valuedouble);
			first = 0;
		}
		if (!first)
			ib_buf_puts(b, ".\n\n");
	}
	/* each workload's own note (the catalogue's), once, where a cell of
	 * the workload is in the run: by benchmark, whatever the job's name */
	for (int k = 0; k < ib_nworkloads; k++) {
		if (!ib_workloads[k].report_note)
			continue;
		for (int i = 0; i < r->ncells; i++)
			if (!strcmp(r->cells[i].bench, ib_workloads[k].name)) {
				ib_buf_printf(b, "- %s\n\n",
					      ib_workloads[k].report_note);
				break;
			}
	}
}

/* The rest of a table's header after its first two columns: one column
 * per runtime, right-aligned. */
static void md_columns(struct ib_buf *b, const struct ib_results *r)
{
	for (int c = 0; c < r->columns.n; c++) {
		char *t = ib_results_title(r, r->columns.v[c]);

		ib_buf_printf(b, " %s |", t);
		free(t);
	}
	ib_buf_puts(b, "\n|---|---|");
	for (int c = 0; c < r->columns.n; c++)
		ib_buf_puts(b, "---:|");
	ib_buf_puts(b, "\n");
}

/* Startup is about its tail: p50, p90 and p99 of each phase, runtimes as
 * columns. */
static void md_percentiles(struct ib_buf *b, const struct ib_results *r,
			   const struct ib_row *rows, int nrows)
{
	int ncol = r->columns.n;
	char v[3][32];

	ib_buf_puts(b, "\nPercentiles, p50 / p90 / p99 (nearest rank):\n\n"
		    "| phase | unit |");
	md_columns(b, r);
	for (int k = 0; k < nrows; k++) {
		ib_buf_puts(b, "| ");
		md_escape(b, rows[k].label);
		ib_buf_printf(b, " | %s |", rows[k].unit);
		for (int c = 0; c < ncol; c++) {
			const struct ib_metric *m;

			if (rows[k].m[c] < 0) {
				ib_buf_puts(b, " - |");
				continue;
			}
			m = &r->metrics[rows[k].m[c]];
			ib_fmt_value(v[0], sizeof(v[0]), m->st.median);
			ib_fmt_value(v[1], sizeof(v[1]), m->st.p90);
			ib_fmt_value(v[2], sizeof(v[2]), m->st.p99);
			ib_buf_printf(b, " %s / %s / %s |", v[0], v[1], v[2]);
		}
		ib_buf_puts(b, "\n");
	}
}

/* One job's table (rows[0..n)): metrics as rows, runtimes as columns. */
static void md_job_table(struct ib_buf *b, const struct ib_results *r,
			 const struct ib_row *rows, int n)
{
	const char *job = rows[0].job, *bench = ib_job_bench(r, job);
	char buf[96];

	if (strcmp(job, bench))
		ib_buf_printf(b, "### %s (%s)\n\n| metric | unit |", job, bench);
	else
		ib_buf_printf(b, "### %s\n\n| metric | unit |", job);
	md_columns(b, r);
	for (int k = 0; k < n; k++) {
		ib_buf_puts(b, "| ");
		md_escape(b, rows[k].label);
		ib_buf_printf(b, " | %s %s |", rows[k].unit,
			      rows[k].higher ? "^" : "v");
		for (int c = 0; c < r->columns.n; c++) {
			ib_row_cell_text(r, &rows[k], c, buf, sizeof(buf), 1);
			ib_buf_printf(b, " %s |", buf);
		}
		ib_buf_puts(b, "\n");
	}
	if (ib_workload_find(bench) &&
	    (ib_workload_find(bench)->traits & IB_WL_HOST_TIMED))
		md_percentiles(b, r, rows, n);
	ib_buf_puts(b, "\n");
}

/* One job's details (rows[0..n)): n, spread and intervals per runtime,
 * folded. */
static void md_job_details(struct ib_buf *b, const struct ib_results *r,
			   const struct ib_row *rows, int n)
{
	char v[32];

	ib_buf_printf(b, "<details><summary>%s: n, spread, intervals"
		      "</summary>\n\n| metric | runtime | n | median | min | "
		      "max | p90 | p99 | RSD %% | CI of median | level | ratio "
		      "(95%% CI) |\n|---|---|---:|---:|---:|---:|---:|---:|---:|"
		      "---|---:|---|\n", rows[0].job);
	for (int k = 0; k < n; k++)
		for (int c = 0; c < r->columns.n; c++) {
			const struct ib_metric *m;
			char lo[32], hi[32];

			if (rows[k].m[c] < 0)
				continue;
			m = &r->metrics[rows[k].m[c]];
			ib_buf_puts(b, "| ");
			md_escape(b, rows[k].label);
			{
				char *t = ib_results_title(r, r->columns.v[c]);

				ib_buf_printf(b, " | %s | %d | ", t, m->st.n);
				free(t);
			}
			ib_fmt_value(v, sizeof(v), m->st.median);
			ib_buf_printf(b, "%s | ", v);
			ib_fmt_value(v, sizeof(v), m->st.min);
			ib_buf_printf(b, "%s | ", v);
			ib_fmt_value(v, sizeof(v), m->st.max);
			ib_buf_printf(b, "%s | ", v);
			ib_fmt_value(v, sizeof(v), m->st.p90);
			ib_buf_printf(b, "%s | ", v);
			ib_fmt_value(v, sizeof(v), m->st.p99);
			ib_buf_printf(b, "%s | ", v);
			if (isfinite(m->st.rsd))
				ib_buf_printf(b, "%.2f%s | ", m->st.rsd,
					      m->rsd_flag ? " !" : "");
			else
				ib_buf_puts(b, "- | ");
			ib_fmt_value(lo, sizeof(lo), m->st.ci_lo);
			ib_fmt_value(hi, sizeof(hi), m->st.ci_hi);
			ib_buf_printf(b, "[%s, %s] | %.3f | ", lo, hi,
				      m->st.ci_level);
			if (m->has_ratio)
				ib_buf_printf(b, "%.3f [%.3f, %.3f] |\n",
					      m->ratio, m->ratio_lo, m->ratio_hi);
			else
				ib_buf_puts(b, "- |\n");
		}
	ib_buf_puts(b, "\n</details>\n\n");
}

/* Every job, by the study's sections (CPU, memory, ...), each job's table
 * (details: 0) or its folded details (1). */
static void md_jobs(struct ib_buf *b, const struct ib_results *r, int details)
{
	int nrows;
	struct ib_row *rows = ib_rows_build(r, &nrows);

	if (details && nrows)
		ib_buf_puts(b, "## Details\n\nPer job and runtime: samples (n), "
			    "median, extremes, percentiles, spread, the "
			    "interval of the median and the ratio's.\n\n");
	for (int s = 0; s < ib_nstudy_sections; s++) {
		int first = 1;

		for (int i = 0; i < nrows;) {
			int end = i;

			while (end < nrows && !strcmp(rows[end].job, rows[i].job))
				end++;
			if (ib_study_section(ib_job_bench(r, rows[i].job)) == s) {
				if (!details && first)
					ib_buf_printf(b, "## %s\n\n",
						      ib_study_sections[s].title);
				first = 0;
				if (details)
					md_job_details(b, r, rows + i, end - i);
				else
					md_job_table(b, r, rows + i, end - i);
			}
			i = end;
		}
	}
	ib_rows_free(rows, nrows);
}

/* Why a ratio is not known within +-5%, from the figures (report.md
 * states the rule): a side of one launch; else whose samples spread beyond
 * the RSD target; else too few samples, for a bootstrap interval of
 * medians spans their extremes. Then the samples a side it would need
 * (need, from ib_ratio_samples_needed; 0: not estimable), and why the
 * runtime's cell stopped repeating. */
static void wide_reason(struct ib_buf *b, const struct ib_results *r,
			const struct ib_metric *m, int need)
{
	const struct ib_metric *base = &r->metrics[m->base];
	const struct ib_cell *c = &r->cells[m->cell];
	const struct ib_cell *bc = &r->cells[base->cell];

	if (c->ok < 2 || bc->ok < 2)
		ib_buf_printf(b, "one launch: %d and %d launches (%s's); the "
			      "samples of one launch do not show how launches "
			      "differ", c->ok, bc->ok, r->baseline);
	else if (m->rsd_flag && base->rsd_flag)
		ib_buf_printf(b, "both spread: RSD %.1f%% (n %d) and %s's "
			      "%.1f%% (n %d)", m->st.rsd, m->st.n, r->baseline,
			      base->st.rsd, base->st.n);
	else if (m->rsd_flag)
		ib_buf_printf(b, "its samples spread: RSD %.1f%% (n %d)",
			      m->st.rsd, m->st.n);
	else if (base->rsd_flag)
		ib_buf_printf(b, "%s's samples spread: RSD %.1f%% (n %d)",
			      r->baseline, base->st.rsd, base->st.n);
	else
		ib_buf_printf(b, "few samples (n %d and %d): RSDs %.1f%% and "
			      "%.1f%%", m->st.n, base->st.n, m->st.rsd,
			      base->st.rsd);
	if (need)
		ib_buf_printf(b, "; at these spreads it needs at least %d "
			      "samples a side (has %d and %d)", need, m->st.n,
			      base->st.n);
	ib_buf_printf(b, "; the cell stopped by %s",
		      c->stopped_by ? c->stopped_by : "-");
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* "Precision": per job, how many ratios are known within +-5%; each
 * other one with its interval and the reason goes to tail (report.md's
 * end: a long list). */
static void md_precision(struct ib_buf *b, const struct ib_results *r,
			 struct ib_buf *tail)
{
	int nrows, ncol = r->columns.n, all = 0, all_wide = 0;
	struct ib_row *rows = ib_rows_build(r, &nrows);
	struct ib_buf list = {0};
	/* per job: the samples a side each of its wide ratios would need */
	int *need = ib_xcalloc((size_t)nrows * (size_t)ncol + 1, sizeof(int));

	for (int i = 0; i < nrows;) {
		int end = i, ratios = 0, wide = 0, nneed = 0;

		while (end < nrows && !strcmp(rows[end].job, rows[i].job))
			end++;
		for (int k = i; k < end; k++)
			for (int c = 0; c < ncol; c++) {
				const struct ib_metric *m;
				int n;

				if (rows[k].m[c] < 0)
					continue;
				ib_ratio_count(r, rows[k].m[c], &ratios, &wide);
				m = &r->metrics[rows[k].m[c]];
				if (!m->ratio_wide)
					continue;
				n = ib_ratio_samples_needed(r, rows[k].m[c]);
				if (n)
					need[nneed++] = n;
				ib_buf_printf(&list, "| %s | ", rows[k].job);
				md_escape(&list, rows[k].label);
				ib_buf_printf(&list, " | %s | %.3f [%.3f, %.3f] | ",
					      r->cells[m->cell].runtime,
					      m->ratio, m->ratio_lo, m->ratio_hi);
				wide_reason(&list, r, m, n);
				ib_buf_puts(&list, " |\n");
			}
		if (ratios) {
			if (!all)
				ib_buf_printf(b, "## Precision\n\nA ratio is "
					      "read without a caveat when its 95%% "
					      "interval is within +-%d%% of it and "
					      "both sides were measured in more "
					      "than one launch. "
					      "Those that are not carry ~ in the "
					      "tables; each is listed at the end with "
					      "its reason: whose samples spread "
					      "beyond the RSD target (%.3g%%), "
					      "a side measured in one launch only, "
					      "else too few samples (a bootstrap "
					      "interval of medians then spans "
					      "their extremes), and why the "
					      "runtime's cell stopped repeating. "
					      "Where both sides have more than one "
					      "launch, it also says how many "
					      "samples a side would put the ratio "
					      "within +-%d%% at the spreads "
					      "measured: at least (pi/2) (1.96 / "
					      "0.05)^2 (RSD^2 + RSD_%s^2), the "
					      "normal approximation for a ratio "
					      "of medians (a lower bound; an RSD "
					      "from a few samples is itself "
					      "rough); the table gives the median "
					      "of these per job.\n"
					      "\n| job | ratios | within +-%d%% | "
					      "samples a side the others would "
					      "need |\n|---|---:|---:|---:|\n",
					      IB_RATIO_WITHIN_PCT, r->rsd_target,
					      IB_RATIO_WITHIN_PCT, r->baseline,
					      IB_RATIO_WITHIN_PCT);
			ib_buf_printf(b, "| %s | %d | %d | ", rows[i].job,
				      ratios, ratios - wide);
			if (nneed) {
				qsort(need, (size_t)nneed, sizeof(*need),
				      cmp_int);
				ib_buf_printf(b, "%d (median of %d) |\n",
					      need[nneed / 2], nneed);
			} else {
				ib_buf_puts(b, "- |\n");
			}
			all += ratios;
			all_wide += wide;
		}
		i = end;
	}
	free(need);
	if (all) {
		ib_buf_printf(b, "| all | %d | %d (%.0f%%) | |\n\n", all,
			      all - all_wide, 100.0 * (all - all_wide) / all);
		if (list.s)
			ib_buf_printf(tail, "<details><summary>the %d ratios "
				      "known less closely</summary>\n\n| job | "
				      "metric | runtime | ratio [95%% CI] | "
				      "reason |\n|---|---|---|---|---|\n%s\n"
				      "</details>\n\n", all_wide, list.s);
	}
	free(list.s);
	ib_rows_free(rows, nrows);
}

static void md_notes(struct ib_buf *b, const struct ib_results *r)
{
	int any = 0;

	ib_buf_puts(b, "## Cells\n\n| runtime | job | status | launches | "
		    "stopped by | notes |\n|---|---|---|---:|---|---|\n");
	for (int i = 0; i < r->ncells; i++) {
		const struct ib_cell *c = &r->cells[i];

		ib_buf_printf(b, "| %s | %s | %s | %d | %s | ", c->runtime,
			      c->job, c->status, c->launches,
			      c->stopped_by ? c->stopped_by : "-");
		for (int k = 0; k < c->failures.n; k++) {
			ib_buf_puts(b, "failure: ");
			md_escape(b, c->failures.v[k]);
			ib_buf_puts(b, "; ");
		}
		if (c->replaced)
			ib_buf_printf(b, "%d launch%s replaced, not counted: ",
				      c->replaced, c->replaced == 1 ? "" : "es");
		for (int k = 0; k < c->replacements.n; k++) {
			md_escape(b, c->replacements.v[k]);
			ib_buf_puts(b, "; ");
		}
		if (c->left_on)
			ib_buf_printf(b, "%d launch%s whose guest did not power "
				      "off after its probe was done: ended by "
				      "isobench, counted; ", c->left_on,
				      c->left_on == 1 ? "" : "es");
		for (int k = 0; k < c->unsupported.n; k++) {
			ib_buf_puts(b, "unsupported: ");
			md_escape(b, c->unsupported.v[k]);
			ib_buf_puts(b, "; ");
		}
		for (int k = 0; k < c->infos.n; k++) {
			md_escape(b, c->infos.v[k]);
			ib_buf_puts(b, "; ");
		}
		ib_buf_puts(b, "|\n");
	}
	ib_buf_puts(b, "\n");
	for (int i = 0; i < r->warnings.n; i++) {
		if (!any++)
			ib_buf_puts(b, "## Warnings\n\n");
		ib_buf_puts(b, "- ");
		md_escape(b, r->warnings.v[i]);
		ib_buf_puts(b, "\n");
	}
	if (any)
		ib_buf_puts(b, "\n");
}

char *ib_report_markdown(const struct ib_results *r)
{
	struct ib_buf b = {0}, tail = {0};
	const cJSON *plan = cJSON_GetObjectItem(r->run, "plan");

	ib_buf_printf(&b, "# isobench report\n\nRun `%s`: started %s, ",
		      str_of(r->run, "run_id") ?: "?",
		      str_of(r->run, "started") ?: "?");
	if (r->run_end)
		ib_buf_printf(&b, "ended %s, status **%s**.",
			      str_of(r->run_end, "ended") ?: "?",
			      str_of(r->run_end, "status") ?: "?");
	else
		ib_buf_puts(&b, "**incomplete** (the run did not end cleanly; "
			    "what it measured is below).");
	ib_buf_printf(&b, " isobench %s, %s suite, plan from %s.\n\n",
		      str_of(r->run, "isobench") ?: "?",
		      str_of(plan, "mode") ?: "?", str_of(plan, "source") ?: "?");
	if (r->neighbour) {
		const cJSON *end = cJSON_GetObjectItem(r->neighbour, "ended_s");

		ib_buf_printf(&b, "**Measured beside a noisy neighbour**: `%s` "
			      "(the probe's neighbour workload) on host CPU "
			      "%d, ", str_of(r->neighbour, "kind") ?: "?",
			      cJSON_GetObjectItem(r->neighbour, "cpu")->valueint);
		if (cJSON_IsNumber(end))
			ib_buf_printf(&b, "until %.0f s into the run, when it "
				      "ended early: what was measured after "
				      "that ran without it.\n\n",
				      end->valuedouble);
		else
			ib_buf_puts(&b, r->job_neighbours
					    ? "for the whole run but the jobs "
					      "below.\n\n"
					    : "for the whole run.\n\n");
	}
	if (r->job_neighbours) {
		const cJSON *j;

		ib_buf_puts(&b, "**Jobs measured beside a noisy neighbour of "
			    "their own** (started before their cells, ended "
			    "after them):");
		cJSON_ArrayForEach(j, r->job_neighbours) {
			const cJSON *end = cJSON_GetObjectItem(j, "ended_s");

			ib_buf_printf(&b, " `%s`: `%s` on host CPU %d",
				      j->string, str_of(j, "kind") ?: "?",
				      cJSON_GetObjectItem(j, "cpu")
					      ? cJSON_GetObjectItem(j, "cpu")->valueint
					      : -1);
			if (cJSON_IsNumber(end))
				ib_buf_printf(&b, " (one ended early, %.0f s into "
					      "the run: the job's launches say "
					      "which ran beside it)",
					      end->valuedouble);
			ib_buf_puts(&b, ";");
		}
		ib_buf_puts(&b, "\n\n");
	}
	if (any_emulated(r))
		ib_buf_printf(&b, "**%s**\n\n", EMULATED_NOTE);
	if (r->bad_lines)
		ib_buf_printf(&b, "**raw.jsonl is damaged: %d line%s skipped "
			      "(see Warnings); what they held is missing "
			      "below.**\n\n",
			      r->bad_lines, r->bad_lines == 1 ? "" : "s");
	md_findings(&b, r);
	md_fingerprint(&b, cJSON_GetObjectItem(r->run, "fingerprint"));
	md_runtimes(&b, r);
	md_method(&b, r);
	md_jobs(&b, r, 0);
	ib_knobs_markdown(&b, r);
	md_precision(&b, r, &tail);
	md_notes(&b, r);
	md_jobs(&b, r, 1);
	if (tail.s)
		ib_buf_printf(&b, "## Ratios known less closely\n\n%s", tail.s);
	ib_buf_free(&tail);
	return b.s;
}

int ib_report_write_all(const struct ib_results *r, const char *dir,
			struct ib_err *err)
{
	const struct {
		const char *name;
		char *(*make)(const struct ib_results *);
	} files[] = {
		{"results.json", ib_results_json},
		{"results.csv", ib_results_csv},
		{"report.md", ib_report_markdown},
		{"report.html", ib_report_html},
	};

	for (size_t i = 0; i < IB_ARRAY_LEN(files); i++) {
		char *text = files[i].make(r), *path;
		int rc;

		if (!text)
			return ib_err_set(err, -ENOMEM, "cannot format %s",
					  files[i].name);
		path = ib_xasprintf("%s/%s", dir, files[i].name);
		rc = ib_write_file_atomic(path, text, strlen(text), err);
		free(path);
		free(text);
		if (rc < 0)
			return rc;
	}
	return 0;
}
