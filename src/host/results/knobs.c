#include "results/knobs.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "results/rows.h"
#include "results/stats.h"
#include "results/svg.h"

#define ALPHA 0.05
#define BOX_WIDTH 48
#define LISTED 5 /* measured effects spelled out per configuration */

/* A runtime's columns: the reference and the configurations beside it. */
struct group {
	int ref;
	int *cfg;
	int ncfg;
};

struct effect {
	int ok;       /* compared: both sides have samples */
	double ratio, lo, hi, p, min_p, cv, cv_ref;
	int measured; /* p < ALPHA and the interval excludes 1 */
	int better;   /* in the metric's good direction */
};

/* A group's comparisons, each computed once (a bootstrap and a
 * permutation test apiece): vs_ref[i * ncfg + k] is row i's
 * configuration k against the reference; vs_parent the same against
 * the configuration k adds one or more knobs to (parent[k], -1 where
 * that is the reference or there is none). */
struct study {
	const struct group *g;
	const struct ib_row *rows;
	int nrows;
	struct effect *vs_ref, *vs_parent;
	int *parent;
};

static size_t driver_len(const char *label)
{
	return strcspn(label, ":");
}

/* The groups of r's columns; *n gets how many. */
static struct group *groups_of(const struct ib_results *r, int *n)
{
	struct group *g = NULL;
	int ng = 0;

	*n = 0;
	for (int c = 0; c < r->columns.n; c++) {
		const char *lab = r->columns.v[c];
		size_t dl = driver_len(lab);
		int ref = -1, seen = 0;

		/* once per driver: at its first column */
		for (int k = 0; k < c; k++)
			seen |= driver_len(r->columns.v[k]) == dl &&
				!strncmp(r->columns.v[k], lab, dl);
		if (seen)
			continue;
		for (int k = c; k < r->columns.n; k++) {
			const char *o = r->columns.v[k];

			if (driver_len(o) != dl || strncmp(o, lab, dl))
				continue;
			if (r->baseline && !strcmp(o, r->baseline))
				ref = k;
			else if (ref < 0 && !o[dl])
				ref = k;
		}
		if (ref < 0)
			ref = c; /* its first column */
		g = ib_xrealloc(g, sizeof(*g) * (size_t)(ng + 1));
		g[ng] = (struct group){ref, NULL, 0};
		for (int k = c; k < r->columns.n; k++) {
			const char *o = r->columns.v[k];

			if (k == ref || driver_len(o) != dl || strncmp(o, lab, dl))
				continue;
			g[ng].cfg = ib_xrealloc(g[ng].cfg, sizeof(int) *
							   (size_t)(g[ng].ncfg + 1));
			g[ng].cfg[g[ng].ncfg++] = k;
		}
		if (g[ng].ncfg)
			ng++;
		else
			free(g[ng].cfg);
	}
	*n = ng;
	return g;
}

static void groups_free(struct group *g, int n)
{
	for (int i = 0; i < n; i++)
		free(g[i].cfg);
	free(g);
}

static const struct ib_metric *metric_at(const struct ib_results *r,
					 const struct ib_row *row, int col)
{
	int i = row->m[col];

	return i >= 0 && r->metrics[i].n > 0 ? &r->metrics[i] : NULL;
}

static double cv_of(const struct ib_metric *m)
{
	return m->st.n >= 2 && isfinite(m->st.rsd) ? m->st.rsd / 100 : NAN;
}

/* Configuration m against reference ref: 0, or -1 if there is nothing
 * to compare (a side without samples, the reference's median 0). */
static int effect_of(const struct ib_metric *m, const struct ib_metric *ref,
		     int higher, struct effect *e)
{
	memset(e, 0, sizeof(*e));
	if (!m || !ref || ib_ratio_ci(m->v, m->n, ref->v, ref->n, &e->ratio,
				      &e->lo, &e->hi) < 0)
		return -1;
	e->ok = 1;
	e->p = ib_perm_test(m->v, m->n, ref->v, ref->n, &e->min_p);
	e->cv = cv_of(m);
	e->cv_ref = cv_of(ref);
	e->measured = e->min_p < ALPHA && e->p < ALPHA &&
		      (e->lo > 1 || e->hi < 1);
	e->better = higher ? e->ratio > 1 : e->ratio < 1;
	return 0;
}

/* Calls fn on each option of a column's label (the text after
 * "driver:", split at commas); stops at fn's first nonzero. */
static int each_option(const char *label,
		       int (*fn)(const char *opt, size_t len, void *arg),
		       void *arg)
{
	const char *p = label + driver_len(label);

	if (*p++ != ':')
		return 0;
	while (*p) {
		size_t n = strcspn(p, ",");
		int rc = n ? fn(p, n, arg) : 0;

		if (rc)
			return rc;
		p += n + (p[n] == ',');
	}
	return 0;
}

static int count_one(const char *opt, size_t len, void *arg)
{
	(void)opt;
	(void)len;
	++*(int *)arg;
	return 0;
}

struct option_ref {
	const char *opt;
	size_t len;
};

static int same_option(const char *opt, size_t len, void *arg)
{
	const struct option_ref *want = arg;

	return len == want->len && !strncmp(opt, want->opt, len);
}

/* 1 (stop) if opt is not among the options of label arg */
static int missing_from(const char *opt, size_t len, void *arg)
{
	struct option_ref want = {opt, len};

	return !each_option(arg, same_option, &want);
}

static int options_count(const char *label)
{
	int n = 0;

	each_option(label, count_one, &n);
	return n;
}

/* 1 if every option of a is one of b's */
static int options_within(const char *a, const char *b)
{
	return !each_option(a, missing_from, (void *)b);
}

struct added {
	const char *parent;
	struct ib_buf *b;
};

static int add_if_new(const char *opt, size_t len, void *arg)
{
	struct added *a = arg;

	if (missing_from(opt, len, (void *)a->parent))
		ib_buf_printf(a->b, "%s%.*s", a->b->len ? "," : "", (int)len,
			      opt);
	return 0;
}

/* The column of g that cfg adds most to: the one with the most options
 * all of which cfg has too (and fewer than cfg); -1 where that is the
 * reference (its comparison is the main one) or there is none. */
static int parent_of(const struct ib_results *r, const struct group *g,
		     int cfg)
{
	const char *lab = r->columns.v[cfg];
	int n = options_count(lab), best = -1, bestn = -1;

	for (int k = -1; k < g->ncfg; k++) {
		int col = k < 0 ? g->ref : g->cfg[k];
		const char *o = r->columns.v[col];
		int on = options_count(o);

		if (col == cfg || on >= n || on <= bestn ||
		    !options_within(o, lab))
			continue;
		best = col;
		bestn = on;
	}
	return best == g->ref ? -1 : best;
}

static void study_build(struct study *st, const struct ib_results *r,
			const struct group *g, const struct ib_row *rows,
			int nrows)
{
	size_t n = (size_t)(nrows ? nrows : 1) * (size_t)g->ncfg;

	st->g = g;
	st->rows = rows;
	st->nrows = nrows;
	st->vs_ref = ib_xcalloc(n, sizeof(struct effect));
	st->vs_parent = ib_xcalloc(n, sizeof(struct effect));
	st->parent = ib_xcalloc((size_t)g->ncfg, sizeof(int));
	for (int k = 0; k < g->ncfg; k++)
		st->parent[k] = parent_of(r, g, g->cfg[k]);
	for (int i = 0; i < nrows; i++)
		for (int k = 0; k < g->ncfg; k++) {
			const struct ib_metric *m = metric_at(r, &rows[i], g->cfg[k]);
			size_t at = (size_t)i * (size_t)g->ncfg + (size_t)k;

			effect_of(m, metric_at(r, &rows[i], g->ref),
				  rows[i].higher, &st->vs_ref[at]);
			if (st->parent[k] >= 0)
				effect_of(m, metric_at(r, &rows[i], st->parent[k]),
					  rows[i].higher, &st->vs_parent[at]);
		}
}

static void study_free(struct study *st)
{
	free(st->vs_ref);
	free(st->vs_parent);
	free(st->parent);
}

static void pct(struct ib_buf *b, double ratio)
{
	ib_buf_printf(b, "%+.1f%%", (ratio - 1) * 100);
}

static void cv_text(struct ib_buf *b, double cv)
{
	if (isfinite(cv))
		ib_buf_printf(b, "%.1f%%", cv * 100);
	else
		ib_buf_puts(b, "-");
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The median of v[0..n) (NAN if n is 0); sorts v. */
static double median_of(double *v, int n)
{
	if (n == 0)
		return NAN;
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct listed {
	const struct ib_row *row;
	struct effect e;
};

static int cmp_size(const void *a, const void *b)
{
	double x = fabs(log(((const struct listed *)a)->e.ratio));
	double y = fabs(log(((const struct listed *)b)->e.ratio));

	return x > y ? -1 : x < y;
}

/* Configuration k's conclusion, one line of text: against the
 * reference, or (step) against its parent; q quotes a runtime's name
 * ("`" in markdown). */
static void conclude(struct ib_buf *b, const struct ib_results *r,
		     const struct study *st, int k, int step, const char *q)
{
	int nrows = st->nrows, ncfg = st->g->ncfg, col = st->g->cfg[k];
	int against = step ? st->parent[k] : st->g->ref;
	const struct effect *all = step ? st->vs_parent : st->vs_ref;
	struct listed *l = ib_xcalloc((size_t)(nrows ? nrows : 1), sizeof(*l));
	double *cv = ib_xcalloc((size_t)(nrows ? nrows : 1), sizeof(double));
	double *cvr = ib_xcalloc((size_t)(nrows ? nrows : 1), sizeof(double));
	int ncmp = 0, nmeas = 0, nuntestable = 0, ncv = 0, ncvr = 0;

	for (int i = 0; i < nrows; i++) {
		const struct effect *e = &all[(size_t)i * (size_t)ncfg + (size_t)k];

		if (!e->ok)
			continue;
		ncmp++;
		nuntestable += e->min_p >= ALPHA;
		if (isfinite(e->cv))
			cv[ncv++] = e->cv;
		if (isfinite(e->cv_ref))
			cvr[ncvr++] = e->cv_ref;
		if (e->measured)
			l[nmeas++] = (struct listed){&st->rows[i], *e};
	}
	ib_buf_printf(b, "%s%s%s", q, r->columns.v[col], q);
	if (step) {
		struct ib_buf added = {0};
		struct added a = {r->columns.v[against], &added};

		each_option(r->columns.v[col], add_if_new, &a);
		ib_buf_printf(b, " over %s%s%s (adding %s)", q,
			      r->columns.v[against], q, added.s ? added.s : "");
		ib_buf_free(&added);
	}
	ib_buf_puts(b, ": ");
	if (!ncmp) {
		ib_buf_puts(b, "nothing to compare (no metric measured on both "
			    "sides).");
		goto out;
	}
	qsort(l, (size_t)nmeas, sizeof(*l), cmp_size);
	ib_buf_printf(b, "a measured effect on %d of %d metrics", nmeas, ncmp);
	for (int i = 0; i < nmeas && i < LISTED; i++) {
		ib_buf_printf(b, "%s%s %s ", i ? "; " : ": ", l[i].row->job,
			      l[i].row->label);
		pct(b, l[i].e.ratio);
		ib_buf_puts(b, " [");
		pct(b, l[i].e.lo);
		ib_buf_puts(b, ", ");
		pct(b, l[i].e.hi);
		ib_buf_printf(b, "] (p %.3g, %s)", l[i].e.p,
			      l[i].e.better ? "better" : "worse");
	}
	if (nmeas > LISTED)
		ib_buf_printf(b, "; and %d more (the table)", nmeas - LISTED);
	ib_buf_printf(b, ". No measurable effect on the other %d", ncmp - nmeas);
	if (nuntestable)
		ib_buf_printf(b, " (%d of them with too few samples for any p "
			      "below %.2f)", nuntestable, ALPHA);
	ib_buf_puts(b, ". Median CV ");
	cv_text(b, ncv ? median_of(cv, ncv) : NAN);
	ib_buf_printf(b, " against %s%s%s's ", q, r->columns.v[against], q);
	cv_text(b, ncvr ? median_of(cvr, ncvr) : NAN);
	ib_buf_puts(b, ".");
out:
	free(l);
	free(cv);
	free(cvr);
}

/* 1 if some configuration of the study adds to another than the
 * reference. */
static int study_has_steps(const struct study *st)
{
	for (int k = 0; k < st->g->ncfg; k++)
		if (st->parent[k] >= 0)
			return 1;
	return 0;
}

/* One configuration's box: min to max as '-', the quartiles as [ ] with
 * '=' between, the median '|', on the scale lo..hi. */
static void box_line(struct ib_buf *b, const char *name, int namew,
		     const struct ib_metric *m, double norm, double lo, double hi)
{
	char line[BOX_WIDTH + 1];
	double *v = ib_xcalloc((size_t)m->n, sizeof(double));
	double q1, med, q3;
	int pmin, pq1, pmed, pq3, pmax;

	for (int i = 0; i < m->n; i++)
		v[i] = m->v[i] / norm;
	qsort(v, (size_t)m->n, sizeof(*v), cmp_double);
	q1 = ib_percentile_sorted(v, m->n, 25);
	/* the median as the ratios take it (stats.h), not a nearest rank */
	med = m->n % 2 ? v[m->n / 2] : (v[m->n / 2 - 1] + v[m->n / 2]) / 2;
	q3 = ib_percentile_sorted(v, m->n, 75);
#define POS(x) (hi > lo ? (int)(((x) - lo) / (hi - lo) * (BOX_WIDTH - 1) + 0.5) : 0)
	pmin = POS(v[0]);
	pq1 = POS(q1);
	pmed = POS(med);
	pq3 = POS(q3);
	pmax = POS(v[m->n - 1]);
#undef POS
	memset(line, ' ', BOX_WIDTH);
	line[BOX_WIDTH] = '\0';
	for (int i = pmin; i <= pmax; i++)
		line[i] = '-';
	for (int i = pq1; i <= pq3; i++)
		line[i] = '=';
	line[pq1] = '[';
	line[pq3] = ']';
	line[pmed] = '|';
	ib_buf_printf(b, "  %-*s %s  median %.3f (min %.3f, max %.3f, n %d)\n",
		      namew, name, line, med, v[0], v[m->n - 1], m->n);
	free(v);
}

/* The box plots of group g, as text. */
static void box_plots(struct ib_buf *b, const struct ib_results *r,
		      const struct ib_row *rows, int nrows,
		      const struct group *g)
{
	int namew = (int)strlen(r->columns.v[g->ref]);

	for (int k = 0; k < g->ncfg; k++)
		if ((int)strlen(r->columns.v[g->cfg[k]]) > namew)
			namew = (int)strlen(r->columns.v[g->cfg[k]]);
	for (int i = 0; i < nrows; i++) {
		const struct ib_row *row = &rows[i];
		int cols[65], nc = 0, best = -1, have = 0;
		double lo = INFINITY, hi = -INFINITY, bm = NAN;

		cols[nc++] = g->ref;
		for (int k = 0; k < g->ncfg && nc < 65; k++)
			cols[nc++] = g->cfg[k];
		for (int k = 0; k < nc; k++) {
			const struct ib_metric *m = metric_at(r, row, cols[k]);

			if (!m || m->st.median == 0)
				continue;
			have++;
			if (best < 0 || (row->higher ? m->st.median > bm
						     : m->st.median < bm)) {
				best = cols[k];
				bm = m->st.median;
			}
		}
		if (have < 2) /* nothing to set side by side */
			continue;
		for (int k = 0; k < nc; k++) {
			const struct ib_metric *m = metric_at(r, row, cols[k]);

			for (int j = 0; m && j < m->n; j++) {
				lo = fmin(lo, m->v[j] / bm);
				hi = fmax(hi, m->v[j] / bm);
			}
		}
		ib_buf_printf(b, "%s / %s (%s; %s is better; 1.000 = %s)\n",
			      row->job, row->label, row->unit,
			      row->higher ? "higher" : "lower",
			      r->columns.v[best]);
		for (int k = 0; k < nc; k++) {
			const struct ib_metric *m = metric_at(r, row, cols[k]);

			if (m)
				box_line(b, r->columns.v[cols[k]], namew, m, bm,
					 lo, hi);
		}
		ib_buf_puts(b, "\n");
	}
}

#define BOX_TITLE                                                             \
	"Box plots: every configuration's samples divided by the best "       \
	"configuration's median (1.000), min to max (-), quartiles ([ ]), "   \
	"median (|)"

static int group_emulated(const struct ib_results *r, const struct group *g)
{
	int any = ib_results_emulated(r, r->columns.v[g->ref]);

	for (int k = 0; k < g->ncfg; k++)
		any |= ib_results_emulated(r, r->columns.v[g->cfg[k]]);
	return any;
}

#define INTRO                                                                 \
	"Each runtime run in more than one configuration (its options) "      \
	"against its reference (the baseline where it is of that runtime, "   \
	"else its plain column, else its first), metric by metric: the "     \
	"ratio of medians with its 95% bootstrap interval, the two-sided permutation test's "  \
	"p on the means (\"-\" where the sample counts cannot give a p "      \
	"below 0.05), and each side's coefficient of variation (CV, "         \
	"sd/mean of the samples). An effect is measured (in bold) when "      \
	"p < 0.05 and the interval excludes 1. The conclusions are "          \
	"generated from the tables."
#define STEPS                                                                 \
	"Step by step: each configuration against the one it adds knobs "     \
	"to (the configuration with the most of its options and fewer), "     \
	"what the added knobs changed on their own."
#define EMULATED                                                              \
	"Emulated: these ran under QEMU's TCG (no hardware virtualization "   \
	"here): what a knob changed under emulation is not what it changes "  \
	"under KVM."

/* A text cell of the table, escaped for HTML where html. */
static void cell(struct ib_buf *b, int html, const char *s)
{
	if (html)
		ib_html_esc(b, s);
	else
		ib_buf_puts(b, s);
}

/* The section, in markdown or HTML (the same figures, the same words). */
static void knobs_write(struct ib_buf *b, const struct ib_results *r, int html)
{
	int ng, nrows;
	struct group *g = groups_of(r, &ng);
	struct ib_row *rows;

	if (!ng) {
		free(g);
		return;
	}
	rows = ib_rows_build(r, &nrows);
	if (html)
		ib_buf_puts(b, "<section id=\"knobs\"><h2>Knobs: what each "
			    "configuration changed</h2>\n<p>" INTRO "</p>\n");
	else
		ib_buf_puts(b, "## Knobs: what each configuration changed\n\n"
			    INTRO "\n\n");
	for (int gi = 0; gi < ng; gi++) {
		const struct group *gr = &g[gi];
		int ref = gr->ref;
		struct ib_buf t = {0};
		struct study st;

		study_build(&st, r, gr, rows, nrows);

		if (html) {
			ib_buf_puts(b, "<h3><code>");
			ib_html_esc(b, r->columns.v[ref]);
			ib_buf_puts(b, "</code> and its configurations</h3>\n");
			if (group_emulated(r, gr))
				ib_buf_puts(b, "<p class=\"flag\">" EMULATED "</p>\n");
			ib_buf_puts(b, "<ul class=\"knobs\">\n");
		} else {
			ib_buf_printf(b, "### `%s` and its configurations\n\n",
				      r->columns.v[ref]);
			if (group_emulated(r, gr))
				ib_buf_puts(b, "**" EMULATED "**\n\n");
		}
		for (int k = 0; k < gr->ncfg; k++) {
			t.len = 0;
			conclude(&t, r, &st, k, 0, html ? "" : "`");
			ib_buf_puts(b, html ? "<li>" : "- ");
			cell(b, html, t.s);
			ib_buf_puts(b, html ? "</li>\n" : "\n");
		}
		if (study_has_steps(&st)) {
			ib_buf_puts(b, html ? "</ul>\n<p>" STEPS "</p>\n"
					      "<ul class=\"knobs\">\n"
					    : "\n" STEPS "\n\n");
			for (int k = 0; k < gr->ncfg; k++) {
				if (st.parent[k] < 0)
					continue;
				t.len = 0;
				conclude(&t, r, &st, k, 1, html ? "" : "`");
				ib_buf_puts(b, html ? "<li>" : "- ");
				cell(b, html, t.s);
				ib_buf_puts(b, html ? "</li>\n" : "\n");
			}
		}
		{
			/* many tests at 0.05: some "measured" by chance */
			int ntest = 0, nsteps = 0;
			double floor_p = 1;

			for (size_t i = 0; i < (size_t)nrows * (size_t)gr->ncfg; i++) {
				const struct effect *e2[2] = {&st.vs_ref[i],
							      &st.vs_parent[i]};

				for (int j = 0; j < 2; j++)
					if (e2[j]->ok && e2[j]->min_p < ALPHA) {
						ntest++;
						nsteps += j;
						floor_p = fmin(floor_p, e2[j]->min_p);
					}
			}
			t.len = 0;
			if (t.s)
				t.s[0] = '\0';
			if (ntest) {
				ib_buf_printf(&t, "%d comparisons", ntest);
				if (nsteps)
					ib_buf_printf(&t, " (%d of them step by "
						      "step)", nsteps);
				ib_buf_printf(&t, " could reach p < "
					      "%.2f here: about %.1f of them would "
					      "show a measured effect by chance "
					      "alone, so one alone proves little; "
					      "the smallest p these launches "
					      "allow is %.3g.", ALPHA,
					      ntest * ALPHA, floor_p);
			}
			if (html)
				ib_buf_puts(b, "</ul>\n");
			if (ntest) {
				ib_buf_puts(b, html ? "<p>" : "\n");
				cell(b, html, t.s);
				ib_buf_puts(b, html ? "</p>\n" : "\n");
			}
		}
		if (html) {
			ib_buf_puts(b, "<table><thead><tr><th>job</th>"
				    "<th>metric</th><th>configuration</th><th>"
				    "against ");
			ib_html_esc(b, r->columns.v[ref]);
			ib_buf_puts(b, " [95%]</th><th>p</th><th>CV</th><th>"
				    "reference's CV</th></tr></thead><tbody>\n");
		} else {
			ib_buf_printf(b, "\n| job | metric | configuration | "
				      "against `%s` [95%%] | p | CV | "
				      "reference's CV |\n"
				      "|---|---|---|---|---|---|---|\n",
				      r->columns.v[ref]);
		}
		for (int i = 0; i < nrows; i++) {
			for (int k = 0; k < gr->ncfg; k++) {
				const char *sep = html ? "</td><td>" : " | ";
				struct effect e = st.vs_ref[(size_t)i *
								(size_t)gr->ncfg +
							    (size_t)k];

				if (!e.ok)
					continue;
				ib_buf_puts(b, html ? "<tr><td>" : "| ");
				cell(b, html, rows[i].job);
				ib_buf_puts(b, sep);
				cell(b, html, rows[i].label);
				ib_buf_puts(b, sep);
				ib_buf_puts(b, html ? "<code>" : "`");
				cell(b, html, r->columns.v[gr->cfg[k]]);
				ib_buf_puts(b, html ? "</code>" : "`");
				ib_buf_puts(b, sep);
				if (e.measured)
					ib_buf_puts(b, html ? "<strong>" : "**");
				ib_buf_printf(b, "%.3f [%.3f, %.3f]", e.ratio,
					      e.lo, e.hi);
				if (e.measured)
					ib_buf_puts(b, html ? "</strong>" : "**");
				ib_buf_puts(b, sep);
				if (e.min_p < ALPHA)
					ib_buf_printf(b, "%.3g", e.p);
				else
					ib_buf_puts(b, "-");
				ib_buf_puts(b, sep);
				cv_text(b, e.cv);
				ib_buf_puts(b, sep);
				cv_text(b, e.cv_ref);
				ib_buf_puts(b, html ? "</td></tr>\n" : " |\n");
			}
		}
		t.len = 0;
		if (t.s)
			t.s[0] = '\0';
		box_plots(&t, r, rows, nrows, gr);
		if (html) {
			ib_buf_puts(b, "</tbody></table>\n<details><summary>"
				    BOX_TITLE "</summary><pre>");
			ib_html_esc(b, t.s ? t.s : "");
			ib_buf_puts(b, "</pre></details>\n");
		} else {
			ib_buf_printf(b, "\n<details><summary>" BOX_TITLE
				      "</summary>\n\n```text\n%s```\n\n"
				      "</details>\n\n", t.s ? t.s : "");
		}
		ib_buf_free(&t);
		study_free(&st);
	}
	if (html)
		ib_buf_puts(b, "</section>\n");
	ib_rows_free(rows, nrows);
	groups_free(g, ng);
}

void ib_knobs_markdown(struct ib_buf *b, const struct ib_results *r)
{
	knobs_write(b, r, 0);
}

void ib_knobs_html(struct ib_buf *b, const struct ib_results *r)
{
	knobs_write(b, r, 1);
}

int ib_knobs_present(const struct ib_results *r)
{
	int ng;
	struct group *g = groups_of(r, &ng);

	groups_free(g, ng);
	return ng > 0;
}

char *ib_knobs_conclusion(const struct ib_results *r)
{
	int ng, nrows;
	struct group *g = groups_of(r, &ng);
	struct ib_row *rows;
	struct ib_buf b = {0};

	if (!ng) {
		free(g);
		return NULL;
	}
	rows = ib_rows_build(r, &nrows);
	for (int gi = 0; gi < ng; gi++) {
		struct study st;

		study_build(&st, r, &g[gi], rows, nrows);
		for (int step = 0; step < 2; step++)
			for (int k = 0; k < g[gi].ncfg; k++) {
				if (step && st.parent[k] < 0)
					continue;
				ib_buf_puts(&b, "  ");
				conclude(&b, r, &st, k, step, "");
				ib_buf_puts(&b, "\n");
			}
		study_free(&st);
	}
	ib_rows_free(rows, nrows);
	groups_free(g, ng);
	return b.s;
}
