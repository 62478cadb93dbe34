#include "results/compare_html.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "results/report_html.h"
#include "results/rows.h"
#include "results/svg.h"

static const char *run_id(const struct ib_results *r)
{
	const cJSON *v = cJSON_GetObjectItem(r->run, "run_id");

	return cJSON_IsString(v) ? v->valuestring : "?";
}

static void head(struct ib_buf *b, const struct ib_compare *c)
{
	ib_buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
		    "<meta charset=\"utf-8\">\n<meta name=\"viewport\" "
		    "content=\"width=device-width,initial-scale=1\">\n"
		    "<title>isobench compare</title>\n");
	ib_html_page_css(b);
	ib_buf_puts(b, "</head><body>\n<header><h1>isobench compare</h1>\n<ul>"
		    "<li>BASE: <code>");
	ib_html_esc(b, c->base_name);
	ib_buf_puts(b, "</code> (run ");
	ib_html_esc(b, run_id(c->base));
	ib_buf_puts(b, ")</li>\n");
	for (int k = 0; k < c->nnew; k++) {
		ib_buf_printf(b, "<li>NEW %d: <code>", k + 1);
		ib_html_esc(b, c->new_names[k]);
		ib_buf_puts(b, "</code> (run ");
		ib_html_esc(b, run_id(c->news[k]));
		ib_buf_puts(b, ")</li>\n");
	}
	ib_buf_printf(b, "</ul>\n<p><strong>%d worse, %d better, %d no change, "
		      "%d not comparable</strong> (alpha %g; allowed change "
		      "%g%%", c->worse, c->better, c->same, c->na, c->alpha,
		      c->default_pct);
	if (c->thresholds) {
		ib_buf_puts(b, " unless a rule of ");
		ib_html_esc(b, c->thresholds);
		ib_buf_puts(b, " says otherwise");
	}
	ib_buf_printf(b, "). <code>isobench compare</code> exits %d: %s.</p>\n"
		      "<p>NEW/BASE is the ratio of the medians with its "
		      "bootstrap 95%% interval (the whiskers); p is a two-sided "
		      "permutation test on the samples. A metric is worse or "
		      "better when p &lt; %g and the change is beyond its "
		      "allowed change in that direction; a mark is solid then, "
		      "hollow otherwise. Not comparable: a side lacks it, or "
		      "has too few samples for the test to reach %g.</p>\n",
		      c->worse ? 1 : 0,
		      c->worse ? "a metric got significantly worse" : "nothing "
		      "got significantly worse", c->alpha, c->alpha);
	ib_buf_puts(b, "</header>\n<main>\n<section id=\"hosts\"><h2>Hosts</h2>\n");
	if (!c->host_diffs.n) {
		ib_buf_puts(b, "<p>The hosts' fingerprints are the same.</p>\n");
	} else {
		int w = 2 + c->nnew;

		ib_buf_puts(b, "<p class=\"flag\"><strong>The hosts differ</strong>"
			    ": the figures may differ for that reason alone.</p>"
			    "\n<div class=\"scroll\"><table><thead><tr><th>fact"
			    "</th><th>BASE</th>");
		for (int k = 0; k < c->nnew; k++)
			ib_buf_printf(b, "<th>NEW %d</th>", k + 1);
		ib_buf_puts(b, "</tr></thead><tbody>\n");
		for (int i = 0; i + w <= c->host_diffs.n; i += w) {
			ib_buf_puts(b, "<tr>");
			for (int k = 0; k < w; k++) {
				ib_buf_puts(b, k ? "<td>" : "<th>");
				ib_html_esc(b, c->host_diffs.v[i + k]);
				ib_buf_puts(b, k ? "</td>" : "</th>");
			}
			ib_buf_puts(b, "</tr>\n");
		}
		ib_buf_puts(b, "</tbody></table></div>\n");
	}
	ib_buf_puts(b, "</section>\n");
}

/* Is "k=v" one of the comma-separated params of key? */
static int has_param(const char *key, const char *kv, size_t len)
{
	for (const char *p = key; *p;) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);

		if (n == len && !strncmp(p, kv, n))
			return 1;
		p += n + (e ? 1 : 0);
	}
	return 0;
}

/* A row's label in its job's chart: "runtime: metric k=v", without the
 * params every row of the job shares (they would cut the label short). */
static char *short_label(const struct ib_compare *c, const int *idx, int n,
			 const struct ib_cmp_row *row)
{
	struct ib_buf b = {0};
	int first = 1;

	ib_buf_printf(&b, "%s: %s", row->runtime, row->metric);
	for (const char *p = row->key; *p;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		int shared = 1;

		for (int i = 0; i < n && shared; i++)
			shared = has_param(c->rows[idx[i]].key, p, len);
		if (!shared) {
			ib_buf_puts(&b, first ? " " : ",");
			ib_buf_put(&b, p, len);
			first = 0;
		}
		p += len + (e ? 1 : 0);
	}
	return b.s;
}

/* The rows of one job (idx[0..n), indexes in c->rows): a chart of
 * NEW/BASE per NEW run, then the table. */
static void job(struct ib_buf *b, const struct ib_compare *c, const int *idx,
		int n)
{
	int k;
	char **labels = ib_xmalloc(sizeof(char *) * (size_t)(n + 1));
	char **series = ib_xmalloc(sizeof(char *) * (size_t)(c->nnew + 1));
	struct ib_mark *marks =
		ib_xmalloc(sizeof(*marks) * (size_t)(n * c->nnew + 1));
	struct ib_buf id = {0}, title = {0};
	const char *jobname = c->rows[idx[0]].job;

	for (int i = 0; i < n; i++) {
		const struct ib_cmp_row *row = &c->rows[idx[i]];
		char *l = short_label(c, idx, n, row);

		labels[i] = ib_xasprintf("%s %s",
					 row->higher ? "\xE2\x96\xB2"
						     : "\xE2\x96\xBC", l);
		free(l);
		for (k = 0; k < c->nnew; k++) {
			const struct ib_cmp_cell *e = &row->cells[k];

			marks[i * c->nnew + k] = (struct ib_mark){
				e->verdict == IB_CMP_NOT_COMPARABLE ? NAN
								    : e->ratio,
				e->lo, e->hi,
				e->verdict != IB_CMP_WORSE &&
					e->verdict != IB_CMP_BETTER,
				idx[i] * c->nnew + k,
				ib_cmp_verdict_name(e->verdict)};
		}
	}
	for (k = 0; k < c->nnew; k++)
		series[k] = ib_xasprintf("NEW %d", k + 1);
	ib_buf_puts(b, "<h3>");
	ib_html_esc(b, jobname);
	ib_buf_puts(b, "</h3>\n<div class=\"scroll\">");
	ib_buf_puts(&id, "cmp-");
	for (const char *s = jobname; *s; s++)
		ib_buf_printf(&id, "%c", ((*s >= 'a' && *s <= 'z') ||
					  (*s >= '0' && *s <= '9')) ? *s : '-');
	ib_buf_printf(&id, "-%d", idx[0]);
	ib_buf_printf(&title, "%s: NEW/BASE per metric, with its 95%% interval",
		      jobname);
	if (!ib_svg_dot_chart(b, &(struct ib_dot_chart){
		    id.s, title.s, "NEW/BASE (log scale; \xE2\x96\xB2 higher is "
		    "better, \xE2\x96\xBC lower is better)", 1, 1.0, n, c->nnew,
		    (const char *const *)labels, (const char *const *)series,
		    marks}))
		ib_buf_puts(b, "<p class=\"note\">No metric of this job is "
			    "comparable.</p>");
	ib_buf_puts(b, "</div>\n<details><summary>the numbers</summary>"
		    "<div class=\"scroll\"><table><thead><tr><th>metric</th>"
		    "<th>BASE</th>");
	for (k = 0; k < c->nnew; k++)
		ib_buf_printf(b, "<th>NEW %d</th>", k + 1);
	ib_buf_puts(b, "</tr></thead><tbody>\n");
	for (int i = 0; i < n; i++) {
		const struct ib_cmp_row *row = &c->rows[idx[i]];
		char v[32];

		ib_buf_puts(b, "<tr><td>");
		ib_html_esc(b, labels[i]);
		ib_buf_puts(b, "</td><td class=\"n\">");
		if (row->base) {
			ib_fmt_value(v, sizeof(v), row->base->st.median);
			ib_buf_printf(b, "%s (n %d)", v, row->base->n);
		} else {
			ib_buf_puts(b, "-");
		}
		ib_buf_puts(b, "</td>");
		for (k = 0; k < c->nnew; k++) {
			const struct ib_cmp_cell *e = &row->cells[k];

			ib_buf_puts(b, "<td class=\"n\">");
			if (e->verdict == IB_CMP_NOT_COMPARABLE) {
				ib_buf_puts(b, "not comparable: ");
				ib_html_esc(b, e->why);
			} else {
				ib_fmt_value(v, sizeof(v), e->m->st.median);
				ib_buf_printf(b, "%s (n %d) x%.3f [%.3f, %.3f] "
					      "p=%.3g <strong>%s</strong> "
					      "(%g%%)", v, e->m->n, e->ratio,
					      e->lo, e->hi, e->p,
					      ib_cmp_verdict_name(e->verdict),
					      e->allowed);
			}
			ib_buf_puts(b, "</td>");
		}
		ib_buf_puts(b, "</tr>\n");
	}
	ib_buf_puts(b, "</tbody></table></div></details>\n");
	for (int i = 0; i < n; i++)
		free(labels[i]);
	for (k = 0; k < c->nnew; k++)
		free(series[k]);
	free(labels);
	free(series);
	free(marks);
	ib_buf_free(&id);
	ib_buf_free(&title);
}

char *ib_compare_html(const struct ib_compare *c)
{
	struct ib_buf b = {0};

	head(&b, c);
	ib_buf_puts(&b, "<section id=\"metrics\"><h2>Metrics</h2>\n");
	/* by job, in the order of each job's first row */
	int *idx = ib_xmalloc(sizeof(int) * (size_t)(c->nrows + 1));
	char *done = ib_xcalloc((size_t)c->nrows + 1, 1);

	for (int i = 0; i < c->nrows; i++) {
		int n = 0;

		if (done[i])
			continue;
		for (int j = i; j < c->nrows; j++)
			if (!done[j] && !strcmp(c->rows[j].job, c->rows[i].job)) {
				done[j] = 1;
				idx[n++] = j;
			}
		job(&b, c, idx, n);
	}
	free(idx);
	free(done);
	ib_buf_puts(&b, "</section>\n</main></body></html>\n");
	return b.s;
}
