#include "results/compare.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/ini.h"
#include "results/record.h"
#include "results/rows.h"
#include "results/stats.h"

/* --- thresholds --------------------------------------------------------- */

void ib_cmp_thresholds_init(struct ib_cmp_thresholds *t)
{
	memset(t, 0, sizeof(*t));
	t->pct = 5;
}

void ib_cmp_thresholds_free(struct ib_cmp_thresholds *t)
{
	for (int i = 0; i < t->n; i++) {
		free(t->v[i].name);
		free(t->v[i].bench);
		free(t->v[i].metric);
		ib_strv_free(&t->v[i].params);
	}
	free(t->v);
	free(t->source);
	ib_cmp_thresholds_init(t);
}

/* "5", "5%", "2.5 %": a change in percent, above 0 and at most 1000. */
static int parse_pct(const char *v, double *out)
{
	char *end;
	double x = strtod(v, &end);

	while (*end == ' ')
		end++;
	if (*end == '%')
		end++;
	if (end == v || *end || !(x > 0 && x <= 1000))
		return -1;
	*out = x;
	return 0;
}

static int thresholds_line(void *arg, const char *section, const char *key,
			   const char *value, const char *src, int line,
			   struct ib_err *err)
{
	struct ib_cmp_thresholds *t = arg;
	struct ib_cmp_rule *r;

	if (!key) {
		if (!strcmp(section, "global"))
			return 0;
		if (!ib_record_name_ok(section))
			return ib_err_set(err, -EINVAL, "%s:%d: rule name '%.100s':"
					  " letters, digits, '_', '-', '.' only",
					  src, line, section);
		for (int i = 0; i < t->n; i++)
			if (!strcmp(t->v[i].name, section))
				return ib_err_set(err, -EINVAL, "%s:%d: [%s] again "
						  "(first at line %d)", src, line,
						  section, t->v[i].line);
		t->v = ib_xrealloc(t->v, sizeof(*t->v) * (size_t)(t->n + 1));
		t->v[t->n] = (struct ib_cmp_rule){.name = ib_xstrdup(section),
						   .line = line, .pct = -1};
		t->n++;
		return 0;
	}
	if (!section)
		return ib_err_set(err, -EINVAL, "%s:%d: '%.100s' comes before any "
				  "section ([global] or a rule's)", src, line, key);
	if (!strcmp(section, "global")) {
		if (strcmp(key, "allowed") != 0)
			return ib_err_set(err, -EINVAL, "%s:%d: unknown key "
					  "'%.100s' in [global] (keys: allowed)",
					  src, line, key);
		if (parse_pct(value, &t->pct) < 0)
			return ib_err_set(err, -EINVAL, "%s:%d: allowed '%.100s': "
					  "a change in percent, above 0 and at "
					  "most 1000 (e.g. 5%%)", src, line, value);
		return 0;
	}
	r = &t->v[t->n - 1];
	if (!strcmp(key, "allowed")) {
		if (parse_pct(value, &r->pct) < 0)
			return ib_err_set(err, -EINVAL, "%s:%d: allowed '%.100s': "
					  "a change in percent, above 0 and at "
					  "most 1000 (e.g. 5%%)", src, line, value);
	} else if (!strcmp(key, "metric")) {
		const char *dot = strrchr(value, '.');

		if (!ib_record_name_ok(value) || value[0] == '.' ||
		    (dot && (!dot[1] || strchr(value, '.') != dot)))
			return ib_err_set(err, -EINVAL, "%s:%d: metric '%.100s': "
					  "METRIC or BENCHMARK.METRIC (e.g. "
					  "nginx.requests_per_s)", src, line,
					  value);
		free(r->bench), free(r->metric);
		r->bench = dot ? ib_xasprintf("%.*s", (int)(dot - value), value)
			       : NULL;
		r->metric = ib_xstrdup(dot ? dot + 1 : value);
	} else if (!strcmp(key, "params")) {
		struct ib_strv items = {0};
		int rc = 0;

		ib_strv_split(&items, value);
		for (int i = 0; i < items.n && rc == 0; i++) {
			const char *eq = strchr(items.v[i], '=');

			if (!eq || eq == items.v[i] || !eq[1])
				rc = ib_err_set(err, -EINVAL, "%s:%d: params: "
						"'%.100s' is not key=value", src,
						line, items.v[i]);
		}
		if (rc == 0) {
			ib_strv_free(&r->params);
			r->params = items;
		} else {
			ib_strv_free(&items);
		}
		return rc;
	} else {
		return ib_err_set(err, -EINVAL, "%s:%d: unknown key '%.100s' in "
				  "[%s] (keys: metric, params, allowed)", src,
				  line, key, section);
	}
	return 0;
}

int ib_cmp_thresholds_parse(const char *text, size_t len, const char *source,
			    struct ib_cmp_thresholds *t, struct ib_err *err)
{
	int rc;

	ib_cmp_thresholds_init(t);
	rc = ib_ini_walk(text, len, source, thresholds_line, t, err);
	for (int i = 0; i < t->n && rc == 0; i++)
		if (!t->v[i].metric || t->v[i].pct < 0)
			rc = ib_err_set(err, -EINVAL, "%s:%d: [%s] has no %s",
					source, t->v[i].line, t->v[i].name,
					t->v[i].metric ? "allowed" : "metric");
	if (rc < 0)
		ib_cmp_thresholds_free(t);
	else
		t->source = ib_xstrdup(source);
	return rc;
}

/* A param's value as text: a string as it is, a number as %g. */
static void param_text(const cJSON *v, char *out, size_t cap)
{
	if (cJSON_IsString(v))
		snprintf(out, cap, "%s", v->valuestring);
	else if (cJSON_IsNumber(v))
		snprintf(out, cap, "%g", v->valuedouble);
	else
		snprintf(out, cap, "?");
}

static int rule_matches(const struct ib_cmp_rule *r, const char *bench,
			const char *metric, const cJSON *params)
{
	if (strcmp(r->metric, metric) != 0 || (r->bench && strcmp(r->bench, bench)))
		return 0;
	for (int i = 0; i < r->params.n; i++) {
		const char *kv = r->params.v[i], *eq = strchr(kv, '=');
		char key[128], have[256];
		const cJSON *v;

		snprintf(key, sizeof(key), "%.*s", (int)(eq - kv), kv);
		v = cJSON_GetObjectItem(params, key);
		if (!v)
			return 0;
		param_text(v, have, sizeof(have));
		if (strcmp(have, eq + 1) != 0)
			return 0;
	}
	return 1;
}

double ib_cmp_threshold_for(const struct ib_cmp_thresholds *t,
			    const char *bench, const char *metric,
			    const cJSON *params, const char **rule)
{
	int best = -1, score = -1;

	for (int i = 0; i < t->n; i++) {
		int s = (t->v[i].bench ? 1000 : 0) + t->v[i].params.n;

		if (s > score && rule_matches(&t->v[i], bench, metric, params)) {
			best = i;
			score = s;
		}
	}
	*rule = best >= 0 ? t->v[best].name : NULL;
	return best >= 0 ? t->v[best].pct : t->pct;
}

/* --- the comparison ----------------------------------------------------- */

const char *ib_cmp_verdict_name(enum ib_cmp_verdict v)
{
	switch (v) {
	case IB_CMP_BETTER:
		return "better";
	case IB_CMP_WORSE:
		return "worse";
	case IB_CMP_NOT_COMPARABLE:
		return "not comparable";
	default:
		return "no change";
	}
}

static const struct ib_cell *cell_of(const struct ib_results *r,
				     const struct ib_metric *m)
{
	return &r->cells[m->cell];
}

/* Is m of r the metric (runtime, job, bench, metric, key)? */
static int same_metric(const struct ib_results *r, const struct ib_metric *m,
		       const char *runtime, const char *job, const char *bench,
		       const char *metric, const char *key)
{
	const struct ib_cell *c = cell_of(r, m);

	return !strcmp(m->metric, metric) && !strcmp(m->key, key) &&
	       !strcmp(m->bench, bench) && !strcmp(c->runtime, runtime) &&
	       !strcmp(c->job, job);
}

static const struct ib_metric *find_metric(const struct ib_results *r,
					   const char *runtime, const char *job,
					   const char *bench, const char *metric,
					   const char *key)
{
	for (int i = 0; i < r->nmetrics; i++)
		if (same_metric(r, &r->metrics[i], runtime, job, bench, metric,
				key))
			return &r->metrics[i];
	return NULL;
}

static void judge(struct ib_cmp_cell *x, const struct ib_metric *b,
		  const struct ib_metric *m, int higher,
		  const struct ib_cmp_thresholds *t, double alpha)
{
	const struct ib_metric *any = b ? b : m;
	double a;
	int bad, good;

	x->m = m;
	x->ratio = x->lo = x->hi = x->p = x->min_p = NAN;
	x->allowed = ib_cmp_threshold_for(t, any->bench, any->metric,
					  any->params, &x->rule);
	x->verdict = IB_CMP_NOT_COMPARABLE;
	if (!b || !m) {
		snprintf(x->why, sizeof(x->why), "not in %s", b ? "NEW" : "BASE");
		return;
	}
	if (b->n < 1 || m->n < 1) {
		snprintf(x->why, sizeof(x->why), "no samples in %s",
			 b->n < 1 ? "BASE" : "NEW");
		return;
	}
	if (ib_ratio_ci(m->v, m->n, b->v, b->n, &x->ratio, &x->lo, &x->hi) < 0) {
		snprintf(x->why, sizeof(x->why), "BASE's median is 0");
		return;
	}
	x->p = ib_perm_test(m->v, m->n, b->v, b->n, &x->min_p);
	if (x->min_p >= alpha) {
		snprintf(x->why, sizeof(x->why), "too few samples to test (%d "
			 "and %d: the smallest p they allow is %.2f)", b->n,
			 m->n, x->min_p);
		return;
	}
	a = x->allowed / 100;
	bad = higher ? x->ratio < 1 - a : x->ratio > 1 + a;
	good = higher ? x->ratio > 1 + a : x->ratio < 1 - a;
	x->verdict = x->p < alpha && bad    ? IB_CMP_WORSE
		     : x->p < alpha && good ? IB_CMP_BETTER
					    : IB_CMP_NO_CHANGE;
}

static struct ib_cmp_row *add_row(struct ib_compare *c,
				  const struct ib_results *r,
				  const struct ib_metric *m)
{
	struct ib_cmp_row *row;

	c->rows = ib_xrealloc(c->rows, sizeof(*c->rows) * (size_t)(c->nrows + 1));
	row = &c->rows[c->nrows++];
	*row = (struct ib_cmp_row){
		.runtime = cell_of(r, m)->runtime, .job = cell_of(r, m)->job,
		.bench = m->bench, .metric = m->metric, .unit = m->unit,
		.key = m->key, .higher = m->higher,
		.cells = ib_xcalloc((size_t)c->nnew, sizeof(*row->cells))};
	return row;
}

/* A fingerprint fact as text ("-" when absent). */
static char *fact_text(const struct ib_results *r, const char *name)
{
	const cJSON *fp = r->run ? cJSON_GetObjectItem(r->run, "fingerprint")
				 : NULL;
	const cJSON *v = fp ? cJSON_GetObjectItem(fp, name) : NULL;

	if (!v)
		return ib_xstrdup("-");
	if (cJSON_IsString(v))
		return ib_xstrdup(v->valuestring);
	return cJSON_PrintUnformatted(v);
}

static void host_facts(struct ib_compare *c)
{
	struct ib_strv names = {0};

	for (int k = -1; k < c->nnew; k++) {
		const struct ib_results *r = k < 0 ? c->base : c->news[k];
		const cJSON *fp = r->run ? cJSON_GetObjectItem(r->run, "fingerprint")
					 : NULL;
		const cJSON *v;

		cJSON_ArrayForEach(v, fp) {
			/* per run by design */
			if (v->string && strcmp(v->string, "scratch_dir") != 0 &&
			    ib_strv_find(&names, v->string) < 0)
				ib_strv_push(&names, v->string);
		}
	}
	for (int i = 0; i < names.n; i++) {
		char *b = fact_text(c->base, names.v[i]);
		int differ = 0;

		for (int k = 0; k < c->nnew && !differ; k++) {
			char *n = fact_text(c->news[k], names.v[i]);

			differ = strcmp(b, n) != 0;
			free(n);
		}
		if (differ) {
			ib_strv_push(&c->host_diffs, names.v[i]);
			ib_strv_push(&c->host_diffs, b);
			for (int k = 0; k < c->nnew; k++)
				ib_strv_push_owned(&c->host_diffs,
						   fact_text(c->news[k], names.v[i]));
		}
		free(b);
	}
	ib_strv_free(&names);
}

void ib_compare_build(struct ib_compare *c, const struct ib_results *base,
		      const char *base_name,
		      const struct ib_results *const *news,
		      const char *const *new_names, int nnew,
		      const struct ib_cmp_thresholds *t, double alpha)
{
	memset(c, 0, sizeof(*c));
	c->base = base;
	c->base_name = base_name;
	c->news = news;
	c->new_names = new_names;
	c->nnew = nnew;
	c->alpha = alpha;
	c->default_pct = t->pct;
	c->thresholds = t->source;
	/* BASE's metrics in its order, then what only a NEW has */
	for (int i = 0; i < base->nmetrics; i++)
		add_row(c, base, &base->metrics[i])->base = &base->metrics[i];
	for (int k = 0; k < nnew; k++)
		for (int i = 0; i < news[k]->nmetrics; i++) {
			const struct ib_metric *m = &news[k]->metrics[i];
			int known = 0;

			for (int j = 0; j < c->nrows && !known; j++)
				known = !strcmp(c->rows[j].metric, m->metric) &&
					!strcmp(c->rows[j].key, m->key) &&
					!strcmp(c->rows[j].bench, m->bench) &&
					!strcmp(c->rows[j].runtime,
						cell_of(news[k], m)->runtime) &&
					!strcmp(c->rows[j].job,
						cell_of(news[k], m)->job);
			if (!known)
				add_row(c, news[k], m);
		}
	for (int j = 0; j < c->nrows; j++) {
		struct ib_cmp_row *row = &c->rows[j];

		for (int k = 0; k < nnew; k++) {
			const struct ib_metric *m = find_metric(
				news[k], row->runtime, row->job, row->bench,
				row->metric, row->key);

			judge(&row->cells[k], row->base, m, row->higher, t, alpha);
			switch (row->cells[k].verdict) {
			case IB_CMP_WORSE:
				c->worse++;
				break;
			case IB_CMP_BETTER:
				c->better++;
				break;
			case IB_CMP_NOT_COMPARABLE:
				c->na++;
				break;
			default:
				c->same++;
			}
		}
	}
	host_facts(c);
}

void ib_compare_free(struct ib_compare *c)
{
	for (int j = 0; j < c->nrows; j++)
		free(c->rows[j].cells);
	free(c->rows);
	ib_strv_free(&c->host_diffs);
	memset(c, 0, sizeof(*c));
}

/* --- output ------------------------------------------------------------- */

static const char *run_id(const struct ib_results *r)
{
	const cJSON *v = r->run ? cJSON_GetObjectItem(r->run, "run_id") : NULL;

	return cJSON_IsString(v) ? v->valuestring : "?";
}

static void add_num(cJSON *o, const char *k, double v)
{
	if (isfinite(v))
		cJSON_AddNumberToObject(o, k, v);
	else
		cJSON_AddNullToObject(o, k);
}

char *ib_compare_json(const struct ib_compare *c)
{
	cJSON *o = cJSON_CreateObject(), *a, *x;
	int w = 2 + c->nnew;
	char *text;

	cJSON_AddNumberToObject(o, "schema", 1);
	x = cJSON_AddObjectToObject(o, "base");
	cJSON_AddStringToObject(x, "dir", c->base_name);
	cJSON_AddStringToObject(x, "run_id", run_id(c->base));
	a = cJSON_AddArrayToObject(o, "news");
	for (int k = 0; k < c->nnew; k++) {
		x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "dir", c->new_names[k]);
		cJSON_AddStringToObject(x, "run_id", run_id(c->news[k]));
		cJSON_AddItemToArray(a, x);
	}
	cJSON_AddNumberToObject(o, "alpha", c->alpha);
	cJSON_AddNumberToObject(o, "allowed_pct_default", c->default_pct);
	if (c->thresholds)
		cJSON_AddStringToObject(o, "thresholds", c->thresholds);
	a = cJSON_AddArrayToObject(o, "host_differences");
	for (int i = 0; i + w <= c->host_diffs.n; i += w) {
		cJSON *n;

		x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "fact", c->host_diffs.v[i]);
		cJSON_AddStringToObject(x, "base", c->host_diffs.v[i + 1]);
		n = cJSON_AddArrayToObject(x, "news");
		for (int k = 0; k < c->nnew; k++)
			cJSON_AddItemToArray(n, cJSON_CreateString(
							c->host_diffs.v[i + 2 + k]));
		cJSON_AddItemToArray(a, x);
	}
	x = cJSON_AddObjectToObject(o, "summary");
	cJSON_AddNumberToObject(x, "worse", c->worse);
	cJSON_AddNumberToObject(x, "better", c->better);
	cJSON_AddNumberToObject(x, "no_change", c->same);
	cJSON_AddNumberToObject(x, "not_comparable", c->na);
	a = cJSON_AddArrayToObject(o, "metrics");
	for (int j = 0; j < c->nrows; j++) {
		const struct ib_cmp_row *row = &c->rows[j];
		cJSON *n, *b;

		x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "runtime", row->runtime);
		cJSON_AddStringToObject(x, "job", row->job);
		cJSON_AddStringToObject(x, "bench", row->bench);
		cJSON_AddStringToObject(x, "metric", row->metric);
		cJSON_AddStringToObject(x, "params_key", row->key);
		cJSON_AddStringToObject(x, "unit", row->unit);
		cJSON_AddBoolToObject(x, "higher_is_better", row->higher);
		if (row->base) {
			b = cJSON_AddObjectToObject(x, "base");
			add_num(b, "median", row->base->st.median);
			cJSON_AddNumberToObject(b, "n", row->base->n);
		} else {
			cJSON_AddNullToObject(x, "base");
		}
		n = cJSON_AddArrayToObject(x, "news");
		for (int k = 0; k < c->nnew; k++) {
			const struct ib_cmp_cell *e = &row->cells[k];
			cJSON *y = cJSON_CreateObject();

			if (e->m) {
				add_num(y, "median", e->m->st.median);
				cJSON_AddNumberToObject(y, "n", e->m->n);
			}
			add_num(y, "ratio", e->ratio);
			add_num(y, "ratio_lo", e->lo);
			add_num(y, "ratio_hi", e->hi);
			add_num(y, "p", e->p);
			add_num(y, "min_p", e->min_p);
			cJSON_AddNumberToObject(y, "allowed_pct", e->allowed);
			if (e->rule)
				cJSON_AddStringToObject(y, "rule", e->rule);
			cJSON_AddStringToObject(y, "verdict",
						ib_cmp_verdict_name(e->verdict));
			if (e->verdict == IB_CMP_NOT_COMPARABLE)
				cJSON_AddStringToObject(y, "why", e->why);
			cJSON_AddItemToArray(n, y);
		}
		cJSON_AddItemToArray(a, x);
	}
	text = cJSON_Print(o);
	cJSON_Delete(o);
	return text;
}

/* "bench metric k=v" of a row, as results label it. */
static char *row_label(const struct ib_compare *c, const struct ib_cmp_row *row)
{
	const struct ib_metric *m = row->base;
	char *label, *out;

	for (int k = 0; !m && k < c->nnew; k++)
		m = row->cells[k].m;
	label = ib_metric_label(m);
	out = ib_xasprintf("%s %s", row->bench, label);
	free(label);
	return out;
}

/* "x0.93 [0.91, 0.95] p=0.001" of a cell, or why it is not comparable. */
static void cell_text(const struct ib_cmp_cell *e, char *out, size_t cap)
{
	if (e->verdict == IB_CMP_NOT_COMPARABLE)
		snprintf(out, cap, "not comparable: %s", e->why);
	else
		snprintf(out, cap, "x%.3f [%.3f, %.3f] p=%.3g %s (%g%%)",
			 e->ratio, e->lo, e->hi, e->p,
			 ib_cmp_verdict_name(e->verdict), e->allowed);
}

static void summary_line(const struct ib_compare *c, struct ib_buf *b)
{
	ib_buf_printf(b, "%d worse, %d better, %d no change, %d not "
		      "comparable (alpha %g; allowed change %g%%", c->worse,
		      c->better, c->same, c->na, c->alpha, c->default_pct);
	if (c->thresholds)
		ib_buf_printf(b, " unless a rule of %s says otherwise",
			      c->thresholds);
	ib_buf_puts(b, ")");
}

char *ib_compare_markdown(const struct ib_compare *c)
{
	struct ib_buf b = {0};
	int w = 2 + c->nnew;
	char text[400];

	ib_buf_printf(&b, "# isobench compare\n\n- BASE: `%s` (run %s)\n",
		      c->base_name, run_id(c->base));
	for (int k = 0; k < c->nnew; k++)
		ib_buf_printf(&b, "- NEW %d: `%s` (run %s)\n", k + 1,
			      c->new_names[k], run_id(c->news[k]));
	ib_buf_printf(&b, "\nNEW/BASE is the ratio of the medians with its "
		      "bootstrap 95%% interval; p is a two-sided permutation "
		      "test on the samples (difference of means). A metric is "
		      "worse or better when p < %g and the change is beyond "
		      "its allowed change in that direction; not comparable "
		      "when a side lacks it or has too few samples for the "
		      "test to reach %g (4 a side at least).\n\n", c->alpha,
		      c->alpha);
	ib_buf_puts(&b, "## Hosts\n\n");
	if (!c->host_diffs.n) {
		ib_buf_puts(&b, "The hosts' fingerprints are the same.\n\n");
	} else {
		ib_buf_puts(&b, "**The hosts differ**: the figures may differ "
			    "for that reason alone.\n\n| fact | BASE |");
		for (int k = 0; k < c->nnew; k++)
			ib_buf_printf(&b, " NEW %d |", k + 1);
		ib_buf_puts(&b, "\n|---|---|");
		for (int k = 0; k < c->nnew; k++)
			ib_buf_puts(&b, "---|");
		ib_buf_puts(&b, "\n");
		for (int i = 0; i + w <= c->host_diffs.n; i += w) {
			for (int k = 0; k < w; k++)
				ib_buf_printf(&b, "| %s ", c->host_diffs.v[i + k]);
			ib_buf_puts(&b, "|\n");
		}
		ib_buf_puts(&b, "\n");
	}
	ib_buf_puts(&b, "## Verdicts\n\n");
	summary_line(c, &b);
	ib_buf_puts(&b, "\n\n| benchmark, metric | runtime | unit | BASE |");
	for (int k = 0; k < c->nnew; k++)
		ib_buf_printf(&b, " NEW %d | NEW %d / BASE |", k + 1, k + 1);
	ib_buf_puts(&b, "\n|---|---|---|---:|");
	for (int k = 0; k < c->nnew; k++)
		ib_buf_puts(&b, "---:|---|");
	ib_buf_puts(&b, "\n");
	for (int j = 0; j < c->nrows; j++) {
		const struct ib_cmp_row *row = &c->rows[j];
		char *label = row_label(c, row), v[32];

		ib_buf_printf(&b, "| %s | %s | %s %s |", label, row->runtime,
			      row->unit, row->higher ? "(higher is better)"
						     : "(lower is better)");
		if (row->base) {
			ib_fmt_value(v, sizeof(v), row->base->st.median);
			ib_buf_printf(&b, " %s (n %d) |", v, row->base->n);
		} else {
			ib_buf_puts(&b, " - |");
		}
		for (int k = 0; k < c->nnew; k++) {
			const struct ib_cmp_cell *e = &row->cells[k];

			if (e->m) {
				ib_fmt_value(v, sizeof(v), e->m->st.median);
				ib_buf_printf(&b, " %s (n %d) |", v, e->m->n);
			} else {
				ib_buf_puts(&b, " - |");
			}
			cell_text(e, text, sizeof(text));
			ib_buf_printf(&b, " %s%s%s |",
				      e->verdict == IB_CMP_WORSE ? "**" : "", text,
				      e->verdict == IB_CMP_WORSE ? "**" : "");
		}
		ib_buf_puts(&b, "\n");
		free(label);
	}
	return b.s ? b.s : ib_xstrdup("");
}

void ib_compare_terminal(const struct ib_compare *c, FILE *out)
{
	struct ib_buf b = {0};
	int w = 2 + c->nnew, shown = 0;
	char text[400];

	fprintf(out, "BASE  %s (run %s)\n", c->base_name, run_id(c->base));
	for (int k = 0; k < c->nnew; k++)
		fprintf(out, "NEW %d %s (run %s)\n", k + 1, c->new_names[k],
			run_id(c->news[k]));
	for (int i = 0; i + w <= c->host_diffs.n; i += w) {
		fprintf(out, "! hosts differ: %s: %s", c->host_diffs.v[i],
			c->host_diffs.v[i + 1]);
		for (int k = 0; k < c->nnew; k++)
			fprintf(out, " | %s", c->host_diffs.v[i + 2 + k]);
		fprintf(out, "\n");
	}
	/* what changed; the rest is in compare.md */
	for (int j = 0; j < c->nrows; j++) {
		const struct ib_cmp_row *row = &c->rows[j];
		int changed = 0;
		char *label;

		for (int k = 0; k < c->nnew; k++)
			changed |= row->cells[k].verdict == IB_CMP_WORSE ||
				   row->cells[k].verdict == IB_CMP_BETTER;
		if (!changed)
			continue;
		if (!shown++)
			fprintf(out, "\n%-44s %-22s %s\n", "metric", "runtime",
				"NEW/BASE [95% interval] p verdict (allowed)");
		label = row_label(c, row);
		fprintf(out, "%-44s %-22s", label, row->runtime);
		for (int k = 0; k < c->nnew; k++) {
			cell_text(&row->cells[k], text, sizeof(text));
			fprintf(out, "%s%s", k ? " | " : " ", text);
		}
		fprintf(out, "\n");
		free(label);
	}
	summary_line(c, &b);
	fprintf(out, "\n%s\n", b.s);
	ib_buf_free(&b);
}
