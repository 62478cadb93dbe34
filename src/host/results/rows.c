#include "results/rows.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/params.h"
#include "results/record.h"
void ib_fmt_value(char *buf, size_t cap, double v)
{
	double a = fabs(v);

	if (!isfinite(v))
		snprintf(buf, cap, "-");
	else if (a >= 1e9)
		snprintf(buf, cap, "%.4g", v);
	else if (a >= 1000)
		snprintf(buf, cap, "%.0f", v);
	else if (a >= 100)
		snprintf(buf, cap, "%.1f", v);
	else if (a >= 10)
		snprintf(buf, cap, "%.2f", v);
	else if (a >= 0.01 || a == 0)
		snprintf(buf, cap, "%.3f", v);
	else
		snprintf(buf, cap, "%.3g", v);
}

static int is_size_key(const char *k)
{
	return strcmp(k, "size") == 0 || strcmp(k, "bs") == 0 ||
	       strcmp(k, "array_bytes") == 0 || strcmp(k, "stride") == 0;
}

static void human_size(char *buf, size_t cap, double v)
{
	static const char suffix[] = "kmgt";
	int i = -1;

	while (v >= 1024 && fmod(v, 1024) == 0 && i < 3) {
		v /= 1024;
		i++;
	}
	if (i < 0)
		snprintf(buf, cap, "%.0f", v);
	else
		snprintf(buf, cap, "%.0f%c", v, suffix[i]);
}

struct mref {
	int i; /* metric index */
	const char *job, *metric, *key;
};

static int cmp_mref(const void *a, const void *b)
{
	const struct mref *x = a, *y = b;
	int c = strcmp(x->job, y->job);

	if (!c)
		c = strcmp(x->metric, y->metric);
	if (!c)
		c = strcmp(x->key, y->key);
	return c ? c : (x->i > y->i) - (x->i < y->i);
}

/* The params that are the same in every metric of a job and metric name
 * (refs[a..b), sorted): the labels need not repeat them. At most 16 (a
 * sample's params), named by the first metric's. */
struct constant_params {
	const char *name[16];
	int n;
};

static void find_constant(const struct ib_results *r, const struct mref *refs,
			  int a, int b, struct constant_params *cp)
{
	const cJSON *p;

	cp->n = 0;
	cJSON_ArrayForEach(p, r->metrics[refs[a].i].params) {
		int same = 1;

		for (int k = a + 1; k < b && same; k++) {
			const cJSON *q = cJSON_GetObjectItemCaseSensitive(
				r->metrics[refs[k].i].params, p->string);

			same = q && cJSON_Compare(p, q, 1);
		}
		if (same && cp->n < 16)
			cp->name[cp->n++] = p->string;
	}
}

static int is_constant(const struct constant_params *cp, const char *name)
{
	for (int i = 0; i < cp->n; i++)
		if (strcmp(cp->name[i], name) == 0)
			return 1;
	return 0;
}

static char *row_label(const struct ib_metric *m,
		       const struct constant_params *cp)
{
	struct ib_buf b = {0};
	const cJSON *p;
	int first = 1;

	ib_buf_puts(&b, m->metric);
	cJSON_ArrayForEach(p, m->params) {
		char v[64];

		if (is_constant(cp, p->string))
			continue;
		if (cJSON_IsString(p))
			snprintf(v, sizeof(v), "%s", p->valuestring);
		else if (is_size_key(p->string))
			human_size(v, sizeof(v), p->valuedouble);
		else
			ib_fmt_num(v, sizeof(v), p->valuedouble);
		ib_buf_printf(&b, "%s%s=%s", first ? " " : ",", p->string, v);
		first = 0;
	}
	return b.s;
}

struct row_order {
	struct ib_row row;
	int first, job_first; /* first metric of the row, of its job */
};

static int cmp_row_order(const void *a, const void *b)
{
	const struct row_order *x = a, *y = b;

	if (x->job_first != y->job_first)
		return (x->job_first > y->job_first) - (x->job_first < y->job_first);
	return (x->first > y->first) - (x->first < y->first);
}

/* One row per job, metric name and params, in the order of their first
 * metric, grouped by job (jobs in the order of their first metric). The
 * metrics are sorted rather than searched per metric: a search was
 * quadratic in the number of metrics. */
struct ib_row *ib_rows_build(const struct ib_results *r, int *nrows)
{
	int nm = r->nmetrics, n = 0, ncol = r->columns.n;
	struct mref *refs = ib_xmalloc(sizeof(*refs) * (size_t)(nm ? nm : 1));
	struct row_order *ro = ib_xmalloc(sizeof(*ro) * (size_t)(nm ? nm : 1));
	struct ib_row *rows;
	struct constant_params cp = {0};
	int group = 0;

	for (int i = 0; i < nm; i++) {
		const struct ib_metric *m = &r->metrics[i];

		refs[i] = (struct mref){i, r->cells[m->cell].job, m->metric,
					m->key};
	}
	qsort(refs, (size_t)nm, sizeof(*refs), cmp_mref);
	for (int k = 0; k < nm; k++) {
		const struct ib_metric *m = &r->metrics[refs[k].i];
		int col = ib_strv_find(&r->columns, r->cells[m->cell].runtime);

		if (k == 0 || strcmp(refs[k].job, refs[k - 1].job) ||
		    strcmp(refs[k].metric, refs[k - 1].metric)) {
			int end = k + 1;

			while (end < nm && !strcmp(refs[end].job, refs[k].job) &&
			       !strcmp(refs[end].metric, refs[k].metric))
				end++;
			find_constant(r, refs, k, end, &cp);
			group = 1;
		}
		if (group || strcmp(refs[k].key, refs[k - 1].key)) {
			struct ib_row *w = &ro[n].row;

			*w = (struct ib_row){refs[k].job, m->bench, m->metric,
					  m->key, m->unit, m->higher,
					  row_label(m, &cp),
					  ib_xmalloc(sizeof(int) *
						     (size_t)(ncol ? ncol : 1))};
			for (int c = 0; c < ncol; c++)
				w->m[c] = -1;
			ro[n].first = refs[k].i;
			n++;
		}
		group = 0;
		if (col >= 0)
			ro[n - 1].row.m[col] = refs[k].i;
	}
	/* rows of a job are adjacent (sorted by job): its first metric */
	for (int a = 0, b; a < n; a = b) {
		int first = ro[a].first;

		for (b = a; b < n && !strcmp(ro[b].row.job, ro[a].row.job); b++)
			first = ro[b].first < first ? ro[b].first : first;
		for (int k = a; k < b; k++)
			ro[k].job_first = first;
	}
	qsort(ro, (size_t)n, sizeof(*ro), cmp_row_order);
	rows = ib_xmalloc(sizeof(*rows) * (size_t)(n ? n : 1));
	for (int k = 0; k < n; k++)
		rows[k] = ro[k].row;
	free(ro);
	free(refs);
	*nrows = n;
	return rows;
}

void ib_rows_free(struct ib_row *rows, int n)
{
	for (int i = 0; i < n; i++) {
		free(rows[i].label);
		free(rows[i].m);
	}
	free(rows);
}

/* "2449 x0.98" or "2449" (baseline) or "failed"/"skipped"/"-". */
void ib_row_cell_text(const struct ib_results *r, const struct ib_row *row,
		      int col, char *buf, size_t cap, int with_ratio)
{
	const struct ib_metric *m;
	char v[32];

	if (row->m[col] < 0) {
		const struct ib_cell *c = NULL;

		for (int i = 0; i < r->ncells; i++)
			if (!strcmp(r->cells[i].job, row->job) &&
			    !strcmp(r->cells[i].runtime, r->columns.v[col]))
				c = &r->cells[i];
		snprintf(buf, cap, "%s",
			 !c ? "-"
			 : !strcmp(c->status, "skipped") ? "skipped"
			 : !strcmp(c->status, "not-run") ? "not run"
			 : !strcmp(c->status, "failed") ? "failed"
			 : c->unsupported.n ? "unsupported" : "-");
		return;
	}
	m = &r->metrics[row->m[col]];
	ib_fmt_value(v, sizeof(v), m->st.median);
	if (with_ratio && m->has_ratio &&
	    strcmp(r->columns.v[col], r->baseline) != 0)
		snprintf(buf, cap, "%s%s x%.2f%s", v, m->rsd_flag ? "!" : "",
			 m->ratio, m->ratio_wide ? "~" : "");
	else
		snprintf(buf, cap, "%s%s", v, m->rsd_flag ? "!" : "");
}

/* Counts metric i into the ratios shown (every one but the baseline's
 * own) and those among them not known within +-5% (ratio_wide). */
void ib_ratio_count(const struct ib_results *r, int i, int *ratios,
			int *wide)
{
	const struct ib_metric *m = &r->metrics[i];

	if (!m->has_ratio || m->base == i)
		return;
	(*ratios)++;
	*wide += m->ratio_wide;
}

int ib_ratio_samples_needed(const struct ib_results *r, int i)
{
	const struct ib_metric *m = &r->metrics[i], *b;
	/* the half-width of a 95% interval, relative to the ratio, is
	 * 1.96 sqrt(pi/2 (RSD^2/n + RSD_b^2/n)) for medians of normal
	 * samples (a median's variance is pi/2 the mean's): solved for n */
	const double z = 1.96, half = IB_RATIO_WITHIN_PCT / 100.0;
	double ra, rb, n;

	if (!m->has_ratio || m->base < 0 || m->base == i)
		return 0;
	b = &r->metrics[m->base];
	if (r->cells[m->cell].ok < 2 || r->cells[b->cell].ok < 2)
		return 0;
	ra = m->st.rsd / 100;
	rb = b->st.rsd / 100;
	if (!isfinite(ra) || !isfinite(rb))
		return 0;
	n = ceil(M_PI / 2 * (z / half) * (z / half) * (ra * ra + rb * rb));
	return n < 2 ? 2 : n > 1e6 ? 1000000 : (int)n;
}

/* The study's sections, in its order; a benchmark not named in any goes
 * to the last ("other"). */
const struct ib_study_section ib_study_sections[] = {
	{"cpu", "CPU", {"cpu"},
	 "Computation alone: the same instructions, whatever isolates them. "
	 "A cost here comes from the CPU's sharing (limits, scheduling) or "
	 "from emulation."},
	{"memory", "Memory", {"membw", "memlat"},
	 "Bandwidth (STREAM) and the latency of dependent loads as the working "
	 "set outgrows each cache level: a guest's second-level page tables "
	 "show as a cost past the TLB's reach."},
	{"syscalls", "System calls and context switches",
	 {"syscall", "ctxsw", "jitter"},
	 "Where a system call goes: the host's kernel (a container), a "
	 "user-space kernel (gVisor's Sentry) or a guest kernel (a VM)."},
	{"disk", "Disk", {"disk"},
	 "Direct I/O on a file in the instance's scratch directory or disk: "
	 "the I/O path (bind mount, Gofer, virtio-blk) is the cost."},
	{"network", "Network", {"net"},
	 "TCP between the instance and a peer on the host over the link "
	 "isobench made: veth, a bridge, a tap, or a user-space stack."},
	{"startup", "Startup", {"startup"},
	 "From invoking the runtime to the probe's first byte, its exit and "
	 "the instance's removal, per launch."},
	{"footprint", "Footprint and density", {"footprint"},
	 "Memory per instance with many instances up, and how fast they "
	 "start."},
	{"apps", "Applications", {"nginx", "mariadb"},
	 "Real servers under load from the host: Nginx under wrk, MariaDB "
	 "under sysbench."},
	{"other", "Other benchmarks", {NULL}, ""},
};
const int ib_nstudy_sections =
	(int)(sizeof(ib_study_sections) / sizeof(ib_study_sections[0]));

int ib_study_section(const char *bench)
{
	for (int s = 0; s < ib_nstudy_sections - 1; s++)
		for (int k = 0; k < 3 && ib_study_sections[s].bench[k]; k++)
			if (!strcmp(ib_study_sections[s].bench[k], bench))
				return s;
	return ib_nstudy_sections - 1;
}

/* A job's benchmark (its rows may hold others': an application's job has
 * the probe's serve samples too). */
const char *ib_job_bench(const struct ib_results *r, const char *job)
{
	for (int i = 0; i < r->ncells; i++)
		if (!strcmp(r->cells[i].job, job))
			return r->cells[i].bench;
	return "";
}
