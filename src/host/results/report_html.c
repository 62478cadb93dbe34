#include "results/report_html.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/params.h"
#include "results/findings.h"
#include "results/knobs.h"
#include "results/record.h"
#include "results/rows.h"
#include "results/svg.h"

static const char *str_of(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* --- what the page says of the study ------------------------------------ */

/* Each runtime's architecture in one line: where its system calls go,
 * what isolates it, what it shares with the host. */
static void arch_line(struct ib_buf *b, const cJSON *ev)
{
	const char *drv = str_of(ev, "driver") ?: "";
	const cJSON *opt = cJSON_GetObjectItem(ev, "options");
	const cJSON *d = cJSON_GetObjectItem(ev, "describe");

	if (!strcmp(drv, "native"))
		ib_buf_puts(b, "The baseline: a process on the host's kernel; "
			    "its system calls go straight to it and nothing "
			    "isolates it.");
	else if (!strcmp(drv, "runc") || !strcmp(drv, "crun"))
		ib_buf_printf(b, "An OCI container (%s, written in %s): "
			      "namespaces and cgroups around a process on the "
			      "host's kernel, which serves its system calls "
			      "and is shared with every other container.",
			      drv, !strcmp(drv, "runc") ? "Go" : "C");
	else if (!strcmp(drv, "gvisor"))
		ib_buf_printf(b, "A sandbox with a kernel of its own in user "
			      "space: gVisor's Sentry serves the process's "
			      "system calls (platform %s) and a Gofer its "
			      "files; the Sentry itself uses few host system "
			      "calls.", str_of(opt, "platform") ?: "?");
	else if (!strcmp(drv, "docker"))
		ib_buf_printf(b, "A container behind an engine: dockerd, "
			      "containerd and a shim in front of %s; the "
			      "engine's API, image store and network add to "
			      "the container's costs.",
			      str_of(opt, "runtime") ?: "runc");
	else if (!strcmp(drv, "qemu"))
		ib_buf_printf(b, "A virtual machine (QEMU, %s machine): a "
			      "guest kernel of its own on virtual hardware "
			      "(virtio); system calls stay in the guest, I/O "
			      "and network cross the VMM; accelerator %s.",
			      str_of(opt, "machine") ?: "?",
			      str_of(d, "accelerator") ?: "?");
	else if (!strcmp(drv, "firecracker"))
		ib_buf_puts(b, "A microVM: Firecracker's minimal VMM (Rust, "
			    "virtio-mmio devices only) with a guest kernel of "
			    "its own.");
	else if (!strcmp(drv, "kata"))
		ib_buf_puts(b, "A container inside a lightweight VM (Kata "
			    "Containers): the guest kernel and an agent "
			    "behind containerd's shim.");
	else
		ib_html_esc(b, str_of(ev, "family") ?: "");
}

/* A runtime's architecture card: where its system calls go, its I/O and
 * network paths, what isolates it, what it shares with the host. */
struct card {
	const char *syscalls, *io, *net, *isolation, *shares;
	/* the boundary's strength: 0 none, 1 namespaces (the host's kernel
	 * shared), 2 a kernel in user space, 3 a virtual machine */
	int level;
};

static struct card card_of(const cJSON *ev)
{
	const char *drv = str_of(ev, "driver") ?: "";
	const cJSON *opt = cJSON_GetObjectItem(ev, "options");
	int runsc = !strcmp(drv, "gvisor") ||
		    (!strcmp(drv, "docker") &&
		     !strcmp(str_of(opt, "runtime") ?: "", "runsc"));

	if (!strcmp(drv, "native"))
		return (struct card){
			"the host's kernel, directly",
			"the host's filesystem and page cache",
			"the host's stack; net jobs: a veth pair into a "
			"namespace of its own (or loopback)",
			"nothing", "everything: kernel, files, network", 0};
	if (runsc)
		return (struct card){
			"gVisor's Sentry, a kernel in user space; the Sentry "
			"itself makes a narrow set of host calls",
			"the Gofer serves files to the Sentry, which keeps a "
			"cache of its own",
			"the Sentry's netstack (TCP in user space), or the "
			"host's stack with hostinet",
			"the Sentry between the process and the host's kernel, "
			"with namespaces and seccomp around the Sentry",
			"the host's kernel, through the Sentry's own calls", 2};
	if (!strcmp(drv, "runc") || !strcmp(drv, "crun") ||
	    !strcmp(drv, "docker"))
		return (struct card){
			"the host's kernel, directly (seccomp may filter them)",
			!strcmp(drv, "docker")
				? "a bind mount or the image's overlay "
				  "filesystem: the host's page cache"
				: "a bind mount of a host directory: the host's "
				  "page cache",
			!strcmp(drv, "docker")
				? "the engine's bridge network (veth + bridge)"
				: "a veth pair into the container's network "
				  "namespace",
			"namespaces (pid, net, ipc, uts, mount) and cgroups",
			"the host's kernel: a kernel bug is a way out", 1};
	if (!strcmp(drv, "qemu") || !strcmp(drv, "firecracker") ||
	    !strcmp(drv, "kata"))
		return (struct card){
			"the guest's own kernel",
			"virtio-blk to a disk image, a file on the host",
			"virtio-net to a tap device on the host",
			"a virtual machine (hardware virtualization, or "
			"emulation without it)",
			"the VMM's process and the hypervisor (KVM) only", 3};
	return (struct card){"?", "?", "?", "?", "?", 1};
}

/* --- pieces -------------------------------------------------------------- */

static void value(struct ib_buf *b, double v)
{
	char t[32];

	ib_fmt_value(t, sizeof(t), v);
	ib_buf_puts(b, t);
}

/* An id for HTML from a job's name: letters, digits and '-' kept. */
static void html_id(struct ib_buf *b, const char *prefix, const char *s)
{
	ib_buf_puts(b, prefix);
	for (; *s; s++)
		ib_buf_printf(b, "%c", ((*s >= 'a' && *s <= 'z') ||
					(*s >= 'A' && *s <= 'Z') ||
					(*s >= '0' && *s <= '9'))
					       ? *s : '-');
}

static int column_used(const struct ib_results *r, int c)
{
	const cJSON *ev = ib_results_runtime(r, r->columns.v[c]);

	return ev && !cJSON_IsFalse(cJSON_GetObjectItem(ev, "available"));
}

void ib_html_page_css(struct ib_buf *b)
{
	ib_buf_puts(b,
		"<style>\n"
		"body{font:15px/1.45 system-ui,sans-serif;color:#111;"
		"max-width:60rem;margin:0 auto;padding:0 1rem 3rem}\n"
		"h1{font-size:1.6rem}h2{margin-top:2.5rem;border-bottom:1px "
		"solid #ccc}h3{margin-top:1.8rem}\n"
		"svg.chart{width:100%;height:auto;display:block;margin:.5rem 0;"
		"min-width:600px}\n"
		"svg text{font:11px sans-serif;fill:#222}\n"
		"svg .name{font-weight:bold}svg .band{fill:#f2f2f2}\n"
		"svg .grid{stroke:#ddd}svg .base{stroke:#555}\n"
		"svg .ref{stroke:#000;stroke-dasharray:4 3}\n"
		"svg .whisker{fill:none;stroke-width:1.4}\n"
		"svg .dot{stroke-width:1.4}svg .line{fill:none;"
		"stroke-width:1.4;opacity:.8}\n"
		"svg .vline line{stroke:#777;stroke-dasharray:3 3}\n"
		"svg .t1,svg .t2{stroke:#000;stroke-width:2;fill:none}"
		"svg .t2{stroke-dasharray:2 2}\n"
		"svg .seg{stroke:#fff;stroke-width:1}\n"
		".scroll{overflow-x:auto}\n"
		"table{border-collapse:collapse;font-size:13px;margin:.5rem 0}\n"
		"th,td{border-bottom:1px solid #ddd;padding:2px 8px;"
		"text-align:left;vertical-align:top}\n"
		"td.n{text-align:right;font-variant-numeric:tabular-nums;"
		"white-space:nowrap}\n"
		".flag{background:#fff3cd;padding:.5rem;border-left:4px solid "
		"#d39e00}\n"
		".note{color:#444;font-size:13px}\n"
		".card{border:1px solid #ccc;border-radius:4px;padding:0 .8rem;"
		"margin:.6rem 0}.card h3{margin:.5rem 0 0}\n"
		"dl{display:grid;grid-template-columns:max-content 1fr;gap:0 1rem;"
		"font-size:14px}dt{font-weight:bold}dd{margin:0}\n"
		"@media (max-width:40rem){dl{grid-template-columns:1fr}"
		"dd{margin-bottom:.3rem}}\n"
		"li.finding{margin:.5rem 0}li.guard{list-style:'\\26A0  '}\n"
		".rank{color:#555;font-size:12px}\n"
		"nav ol{columns:2}\n"
		"@media (max-width:40rem){nav ol{columns:1}body{font-size:14px}}\n"
		"@media print{nav{display:none}h2{break-before:auto}"
		"svg.chart{break-inside:avoid}}\n"
		"</style>\n");
}

/* --- host and runtimes --------------------------------------------------- */

static void host_section(struct ib_buf *b, const struct ib_results *r)
{
	static const char *const facts[] = {
		"cpu_model", "cpus_online", "memory_mib", "kernel", "os",
		"virtualized", "thp", "hugepages", "governor", "numa_nodes",
		"scratch_fs",
	};
	const cJSON *fp = cJSON_GetObjectItem(r->run, "fingerprint");

	ib_buf_puts(b, "<section id=\"host\"><h2>Host and runtimes</h2>\n"
		    "<table><tbody>\n");
	for (size_t i = 0; i < sizeof(facts) / sizeof(facts[0]); i++) {
		const cJSON *v = cJSON_GetObjectItem(fp, facts[i]);
		char t[64];

		if (!v)
			continue;
		ib_buf_printf(b, "<tr><th>%s</th><td>", facts[i]);
		if (cJSON_IsString(v))
			ib_html_esc(b, v->valuestring);
		else if (cJSON_IsNumber(v)) {
			ib_fmt_num(t, sizeof(t), v->valuedouble);
			ib_buf_puts(b, t);
		} else if (cJSON_IsBool(v))
			ib_buf_puts(b, cJSON_IsTrue(v) ? "yes" : "no");
		ib_buf_puts(b, "</td></tr>\n");
	}
	ib_buf_puts(b, "</tbody></table>\n<p class=\"note\">Every fact of the "
		    "host is in results.json's fingerprint.</p>\n");
	for (int c = 0; c < r->columns.n; c++) {
		const cJSON *ev = ib_results_runtime(r, r->columns.v[c]);
		const cJSON *d = ev ? cJSON_GetObjectItem(ev, "describe") : NULL;
		char *title = ib_results_title(r, r->columns.v[c]);

		ib_buf_puts(b, "<div class=\"card\"><h3>");
		ib_html_esc(b, title);
		free(title);
		ib_buf_puts(b, "</h3><p>");
		if (ev)
			arch_line(b, ev);
		ib_buf_puts(b, "</p>");
		if (ev && column_used(r, c)) {
			struct card k = card_of(ev);
			const char *const dt[] = {"system calls go to",
						  "disk I/O", "network",
						  "isolated by",
						  "shares with the host"};
			const char *const dd[] = {k.syscalls, k.io, k.net,
						  k.isolation, k.shares};

			ib_buf_puts(b, "<dl>");
			for (int i = 0; i < 5; i++)
				ib_buf_printf(b, "<dt>%s</dt><dd>%s</dd>", dt[i],
					      dd[i]);
			ib_buf_puts(b, "</dl>");
		}
		if (!column_used(r, c)) {
			ib_buf_puts(b, " <strong>Skipped here:</strong> ");
			ib_html_esc(b, ev ? str_of(ev, "why") : "not described");
		} else if (d) {
			const cJSON *kv;

			ib_buf_puts(b, "<details><summary>how it ran</summary>"
				    "<ul>");
			cJSON_ArrayForEach(kv, d) {
				ib_buf_puts(b, "<li>");
				ib_html_esc(b, kv->string);
				ib_buf_puts(b, ": ");
				if (cJSON_IsString(kv))
					ib_html_esc(b, kv->valuestring);
				else {
					char *t = cJSON_PrintUnformatted(kv);

					ib_html_esc(b, t);
					cJSON_free(t);
				}
				ib_buf_puts(b, "</li>");
			}
			ib_buf_puts(b, "</ul></details>");
		}
		ib_buf_puts(b, "</div>\n");
	}
	ib_buf_puts(b, "</section>\n");
}

/* --- a job --------------------------------------------------------------- */

/* The series of a job's ratio chart: the used columns but the baseline. */
struct series {
	int col[64];
	const char *name[64];
	char *title[64];
	int n;
};

static void series_init(struct series *s, const struct ib_results *r,
			const char *job, int with_baseline)
{
	s->n = 0;
	for (int c = 0; c < r->columns.n && s->n < 64; c++) {
		/* a column with no cell of the job (a reference row of
		 * another benchmark) is not a series of its charts */
		if (!column_used(r, c) || !ib_results_cell(r, r->columns.v[c], job))
			continue;
		if (!with_baseline && !strcmp(r->columns.v[c], r->baseline))
			continue;
		s->col[s->n] = c;
		s->title[s->n] = ib_results_title(r, r->columns.v[c]);
		s->name[s->n] = s->title[s->n];
		s->n++;
	}
}

static void series_free(struct series *s)
{
	for (int k = 0; k < s->n; k++)
		free(s->title[k]);
}

static const char *mark_note(const struct ib_metric *m)
{
	if (m->ratio_wide && m->rsd_flag)
		return "not known within +-5%; samples spread";
	if (m->ratio_wide)
		return "not known within +-5%";
	if (m->rsd_flag)
		return "samples spread beyond the RSD target";
	return NULL;
}

static void ratio_chart(struct ib_buf *b, const struct ib_results *r,
			const struct ib_row *rows, int n, const char *job)
{
	struct series s;
	struct ib_mark *marks;
	char **labels = ib_xmalloc(sizeof(char *) * (size_t)(n ? n : 1));
	struct ib_buf id = {0}, title = {0}, xl = {0};
	int drawn;

	series_init(&s, r, job, 0);
	marks = ib_xmalloc(sizeof(*marks) * (size_t)(n * s.n + 1));
	for (int i = 0; i < n; i++) {
		labels[i] = ib_xasprintf("%s %s (%s)",
					 rows[i].higher ? "\xE2\x96\xB2"
							: "\xE2\x96\xBC",
					 rows[i].label, rows[i].unit);
		for (int k = 0; k < s.n; k++) {
			int mi = rows[i].m[s.col[k]];
			const struct ib_metric *m = mi >= 0 ? &r->metrics[mi] : NULL;
			struct ib_mark *mk = &marks[i * s.n + k];

			*mk = (struct ib_mark){NAN, NAN, NAN, 0, -1, NULL};
			if (!m || !m->has_ratio || !isfinite(m->ratio))
				continue;
			*mk = (struct ib_mark){m->ratio, m->ratio_lo,
					       m->ratio_hi, m->ratio_wide, mi,
					       mark_note(m)};
		}
	}
	html_id(&id, "ratio-", job);
	ib_buf_printf(&title, "%s: each metric's ratio to %s per runtime, "
		      "with its 95%% interval", job, r->baseline);
	ib_buf_printf(&xl, "ratio to %s (log scale; \xE2\x96\xB2 higher is "
		      "better, \xE2\x96\xBC lower is better)", r->baseline);
	ib_buf_puts(b, "<div class=\"scroll\">");
	drawn = ib_svg_dot_chart(b, &(struct ib_dot_chart){
		id.s, title.s, xl.s, 1, 1.0, n, s.n,
		(const char *const *)labels, s.name, marks});
	ib_buf_puts(b, "</div>\n");
	if (!drawn)
		ib_buf_printf(b, "<p class=\"note\">No ratios to chart: no "
			      "runtime but %s measured this job.</p>\n",
			      r->baseline);
	else
		ib_buf_puts(b, "<p class=\"note\">A solid mark is a ratio "
			    "known within +-5%; a hollow one is not (see its "
			    "row in the table). The dashed line is 1: the "
			    "baseline.</p>\n");
	for (int i = 0; i < n; i++)
		free(labels[i]);
	free(labels);
	free(marks);
	ib_buf_free(&id);
	ib_buf_free(&title);
	ib_buf_free(&xl);
	series_free(&s);
}

/* Curves: a metric over one swept parameter (x), one chart per value of
 * the other params, every runtime a line. */
static const struct curve_def {
	const char *bench, *x_param, *metric, *x_label;
	int x_log, y_log;
} curve_defs[] = {
	{"memlat", "size", "load_latency", "working set (bytes, log scale)",
	 1, 1},
	{"nginx", "connections", "requests_per_s", "connections (log scale)",
	 1, 0},
	{"nginx", "connections", "latency_p99", "connections (log scale)",
	 1, 1},
	{"mariadb", "threads", "transactions_per_s", "threads (log scale)",
	 1, 0},
	{"mariadb", "threads", "latency_p99", "threads (log scale)", 1, 1},
};

/* The params of m but x_param as text ("chain=rand,stride=64"). */
static char *group_key(const struct ib_metric *m, const char *x_param)
{
	struct ib_buf g = {0};
	const cJSON *p;

	ib_buf_puts(&g, "");
	cJSON_ArrayForEach(p, m->params) {
		char v[64];

		if (!strcmp(p->string, x_param))
			continue;
		if (cJSON_IsString(p))
			snprintf(v, sizeof(v), "%s", p->valuestring);
		else
			ib_fmt_num(v, sizeof(v), p->valuedouble);
		ib_buf_printf(&g, "%s%s=%s", g.s[0] ? ", " : "", p->string, v);
	}
	return g.s;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static const char *cell_info(const struct ib_cell *c, const char *key)
{
	size_t n = strlen(key);

	for (int k = 0; c && k < c->infos.n; k++)
		if (!strncmp(c->infos.v[k], key, n) && c->infos.v[k][n] == '=')
			return c->infos.v[k] + n + 1;
	return NULL;
}

static int curve_charts(struct ib_buf *b, const struct ib_results *r,
			const struct ib_row *rows, int n, const char *job)
{
	int charts = 0;

	for (size_t d = 0; d < sizeof(curve_defs) / sizeof(curve_defs[0]); d++) {
		const struct curve_def *cd = &curve_defs[d];
		struct ib_strv groups = {0};

		if (!n || strcmp(ib_job_bench(r, job), cd->bench))
			continue;
		for (int i = 0; i < n; i++)
			for (int c = 0; c < r->columns.n; c++)
				if (rows[i].m[c] >= 0 &&
				    !strcmp(rows[i].metric, cd->metric)) {
					char *g = group_key(
						&r->metrics[rows[i].m[c]],
						cd->x_param);

					if (ib_strv_find(&groups, g) < 0)
						ib_strv_push(&groups, g);
					free(g);
				}
		for (int g = 0; g < groups.n; g++) {
			struct series s;
			double *x = ib_xmalloc(sizeof(double) * (size_t)(n + 1));
			int nx = 0, unique = 0;
			struct ib_mark *mk;
			struct ib_buf id = {0}, title = {0}, yl = {0};
			const char *unit = "";
			double llc = NAN;
			char *llc_label = NULL;
			int drawn;

			series_init(&s, r, job, 1);
			for (int i = 0; i < n; i++)
				for (int c = 0; c < r->columns.n; c++) {
					const struct ib_metric *m;
					const cJSON *xv;
					char *k;

					if (rows[i].m[c] < 0 ||
					    strcmp(rows[i].metric, cd->metric))
						continue;
					m = &r->metrics[rows[i].m[c]];
					k = group_key(m, cd->x_param);
					xv = cJSON_GetObjectItem(m->params,
								 cd->x_param);
					if (!strcmp(k, groups.v[g]) &&
					    cJSON_IsNumber(xv)) {
						x[nx++] = xv->valuedouble;
						unit = m->unit;
					}
					free(k);
					break;
				}
			qsort(x, (size_t)nx, sizeof(double), cmp_double);
			for (int i = 0; i < nx; i++)
				if (!unique || x[unique - 1] != x[i])
					x[unique++] = x[i];
			mk = ib_xmalloc(sizeof(*mk) *
					(size_t)(unique * s.n + 1));
			for (int i = 0; i < unique * s.n; i++)
				mk[i] = (struct ib_mark){NAN, NAN, NAN, 0, -1,
							 NULL};
			for (int i = 0; i < n; i++)
				for (int k = 0; k < s.n; k++) {
					int mi = rows[i].m[s.col[k]];
					const struct ib_metric *m;
					const cJSON *xv;
					char *key;
					double *at;

					if (mi < 0 ||
					    strcmp(rows[i].metric, cd->metric))
						continue;
					m = &r->metrics[mi];
					xv = cJSON_GetObjectItem(m->params,
								 cd->x_param);
					key = group_key(m, cd->x_param);
					at = cJSON_IsNumber(xv)
						     ? bsearch(&xv->valuedouble, x,
							       (size_t)unique,
							       sizeof(double),
							       cmp_double)
						     : NULL;
					if (!strcmp(key, groups.v[g]) && at)
						mk[k * unique + (at - x)] =
							(struct ib_mark){
								m->st.median,
								m->st.ci_lo,
								m->st.ci_hi,
								m->rsd_flag, mi,
								m->rsd_flag ? "samples spread beyond the RSD target" : NULL};
					free(key);
				}
			if (!strcmp(cd->bench, "memlat")) {
				const char *v = cell_info(
					ib_results_cell(r, r->baseline, job), "llc_bytes");

				if (v)
					llc = strtod(v, NULL);
				llc_label = ib_xasprintf(
					"last-level cache as reported: %.0f MiB "
					"(%s)", llc / 1048576,
					cell_info(ib_results_cell(r, r->baseline, job),
						  "llc_source") ?: "?");
			}
			html_id(&id, "curve-", job);
			ib_buf_printf(&id, "-%d-%d", (int)d, g);
			ib_buf_printf(&title, "%s: %s over %s per runtime%s%s",
				      job, cd->metric, cd->x_param,
				      groups.v[g][0] ? ", " : "", groups.v[g]);
			ib_buf_printf(&yl, "%s (%s%s)", cd->metric, unit,
				      cd->y_log ? ", log scale" : "");
			ib_buf_printf(b, "<h4>");
			ib_html_esc(b, title.s);
			ib_buf_puts(b, "</h4>\n");
			ib_buf_puts(b, "<div class=\"scroll\">");
			drawn = ib_svg_line_chart(b, &(struct ib_line_chart){
				id.s, title.s, cd->x_label, yl.s, cd->x_log,
				cd->y_log, unique, s.n, x, s.name, mk,
				isfinite(llc) ? 1 : 0, &llc,
				(const char *const *)&llc_label});
			ib_buf_puts(b, "</div>\n");
			if (drawn)
				charts++;
			else
				ib_buf_puts(b, "<p class=\"note\">No values to "
					    "draw.</p>\n");
			free(mk);
			free(x);
			free(llc_label);
			ib_buf_free(&id);
			ib_buf_free(&title);
			ib_buf_free(&yl);
			series_free(&s);
		}
		ib_strv_free(&groups);
	}
	return charts;
}

/* Startup: each runtime's phases (the medians of the phase boundaries,
 * in order), stacked; p90 and p99 of the first byte marked. */
static void startup_chart(struct ib_buf *b, const struct ib_results *r,
			  const struct ib_row *rows, int n, const char *job)
{
	static const char *const bounds[] = {"to_created", "to_first_byte",
					     "to_exited", "to_torn_down"};
	static const char *const parts[] = {
		"invoked to created", "to first byte", "to exit",
		"to torn down"};
	struct series s;
	double *len, *p90, *p99;
	int *ids, drawn;
	struct ib_buf id = {0}, title = {0};

	series_init(&s, r, job, 1);
	len = ib_xmalloc(sizeof(double) * (size_t)(s.n * 4 + 1));
	p90 = ib_xmalloc(sizeof(double) * (size_t)(s.n + 1));
	p99 = ib_xmalloc(sizeof(double) * (size_t)(s.n + 1));
	ids = ib_xmalloc(sizeof(int) * (size_t)(s.n + 1));
	for (int k = 0; k < s.n; k++) {
		double at = 0;

		p90[k] = p99[k] = NAN;
		ids[k] = -1;
		for (int p = 0; p < 4; p++) {
			const struct ib_metric *m = NULL;

			len[k * 4 + p] = NAN;
			for (int i = 0; i < n; i++)
				if (!strcmp(rows[i].metric, bounds[p]) &&
				    rows[i].m[s.col[k]] >= 0)
					m = &r->metrics[rows[i].m[s.col[k]]];
			if (!m)
				continue;
			/* medians of boundaries can cross: a part never
			 * goes below 0 */
			len[k * 4 + p] = fmax(0, m->st.median - at);
			at = fmax(at, m->st.median);
			if (p == 1) {
				p90[k] = m->st.p90;
				p99[k] = m->st.p99;
				ids[k] = (int)(m - r->metrics);
			}
		}
	}
	html_id(&id, "phases-", job);
	ib_buf_printf(&title, "%s: the phases of a launch per runtime (medians, "
		      "ms), with p90 and p99 of the first byte", job);
	ib_buf_puts(b, "<h4>");
	ib_html_esc(b, title.s);
	ib_buf_puts(b, "</h4>\n");
	ib_buf_puts(b, "<div class=\"scroll\">");
	drawn = ib_svg_stack_chart(b, &(struct ib_stack_chart){
		id.s, title.s, "ms since the runtime was invoked", s.n, 4,
		s.name, parts, len, p90, p99, "p90 first byte",
		"p99 first byte", ids});
	ib_buf_puts(b, "</div>\n");
	if (!drawn)
		ib_buf_puts(b, "<p class=\"note\">No phases to draw.</p>\n");
	else
		ib_buf_puts(b, "<p class=\"note\">Each bar's parts, left to "
			    "right: invoked to created (runtimes that create "
			    "before they start), to the probe's first byte, "
			    "to its exit, to the instance's removal.</p>\n");
	free(len);
	free(p90);
	free(p99);
	free(ids);
	ib_buf_free(&id);
	ib_buf_free(&title);
	series_free(&s);
}

/* The numbers under the charts: one line per metric and runtime. */
static void job_table(struct ib_buf *b, const struct ib_results *r,
		      const struct ib_row *rows, int n)
{
	int lines = 0;

	for (int i = 0; i < n; i++)
		for (int c = 0; c < r->columns.n; c++)
			lines += rows[i].m[c] >= 0;
	ib_buf_printf(b, "<details%s><summary>the numbers (%d)</summary>"
		      "<div class=\"scroll\"><table><thead><tr><th>metric</th>"
		      "<th>runtime</th><th>median</th><th>unit</th><th>n</th>"
		      "<th>RSD %%</th><th>ratio [95%% CI]</th></tr></thead>"
		      "<tbody>\n", lines <= 40 ? " open" : "", lines);
	for (int i = 0; i < n; i++)
		for (int c = 0; c < r->columns.n; c++) {
			int mi = rows[i].m[c];
			const struct ib_metric *m;
			char *t;

			if (mi < 0)
				continue;
			m = &r->metrics[mi];
			t = ib_results_title(r, r->columns.v[c]);
			ib_buf_printf(b, "<tr data-m=\"%d\"><td>", mi);
			ib_html_esc(b, rows[i].label);
			ib_buf_puts(b, "</td><td>");
			ib_html_esc(b, t);
			free(t);
			ib_buf_puts(b, "</td><td class=\"n\">");
			value(b, m->st.median);
			ib_buf_printf(b, "%s</td><td>", m->rsd_flag ? " !" : "");
			ib_html_esc(b, rows[i].unit);
			ib_buf_printf(b, " %s</td><td class=\"n\">%d</td>"
				      "<td class=\"n\">",
				      rows[i].higher ? "\xE2\x96\xB2"
						     : "\xE2\x96\xBC", m->st.n);
			if (isfinite(m->st.rsd))
				ib_buf_printf(b, "%.2f", m->st.rsd);
			else
				ib_buf_puts(b, "-");
			ib_buf_puts(b, "</td><td class=\"n\">");
			if (m->has_ratio && m->base != mi)
				ib_buf_printf(b, "%.3f [%.3f, %.3f]%s", m->ratio,
					      m->ratio_lo, m->ratio_hi,
					      m->ratio_wide ? " ~" : "");
			else
				ib_buf_puts(b, "-");
			ib_buf_puts(b, "</td></tr>\n");
		}
	ib_buf_puts(b, "</tbody></table></div><p class=\"note\">! the samples "
		    "spread beyond the run's RSD target; ~ the ratio is not "
		    "known within +-5%; \xE2\x96\xB2 higher is better, "
		    "\xE2\x96\xBC lower is better. Every sample is in "
		    "results.json.</p></details>\n");
}

/* Why a runtime has no figures for a job, when it has none. */
static void job_missing(struct ib_buf *b, const struct ib_results *r,
			const char *job)
{
	int any = 0;

	for (int c = 0; c < r->columns.n; c++) {
		const struct ib_cell *cell = ib_results_cell(r, r->columns.v[c], job);

		if (!cell || !strcmp(cell->status, "ok") ||
		    !strcmp(cell->status, "partial"))
			continue;
		ib_buf_puts(b, any++ ? "; " : "<p class=\"note\">Not measured "
			    "here: ");
		ib_html_esc(b, r->columns.v[c]);
		ib_buf_puts(b, " (");
		ib_html_esc(b, cell->status);
		if (cell->unsupported.n) {
			ib_buf_puts(b, ": ");
			ib_html_esc(b, cell->unsupported.v[0]);
		} else if (cell->failures.n) {
			ib_buf_puts(b, ": ");
			ib_html_esc(b, cell->failures.v[0]);
		}
		ib_buf_puts(b, ")");
	}
	if (any)
		ib_buf_puts(b, ".</p>\n");
}

static void job_block(struct ib_buf *b, const struct ib_results *r,
		      const struct ib_row *rows, int n)
{
	const char *job = rows[0].job, *bench = ib_job_bench(r, job);
	const struct ib_workload_def *w = ib_workload_find(bench);

	ib_buf_puts(b, "<h3 id=\"");
	html_id(b, "job-", job);
	ib_buf_puts(b, "\">");
	ib_html_esc(b, job);
	if (strcmp(job, bench)) {
		ib_buf_puts(b, " (");
		ib_html_esc(b, bench);
		ib_buf_puts(b, ")");
	}
	ib_buf_puts(b, "</h3>\n");
	if (w) {
		ib_buf_puts(b, "<p>");
		ib_html_esc(b, w->summary);
		ib_buf_puts(b, ". Method of ");
		ib_html_esc(b, w->validated_by);
		ib_buf_puts(b, ".</p>\n");
	}
	job_missing(b, r, job);
	if (strcmp(bench, "memlat"))
		ratio_chart(b, r, rows, n, job);
	curve_charts(b, r, rows, n, job);
	if (!strcmp(bench, "startup"))
		startup_chart(b, r, rows, n, job);
	job_table(b, r, rows, n);
}

/* --- the page ------------------------------------------------------------ */

static void head(struct ib_buf *b, const struct ib_results *r)
{
	const cJSON *plan = cJSON_GetObjectItem(r->run, "plan");
	int emulated = 0;

	ib_buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
		    "<meta charset=\"utf-8\">\n<meta name=\"viewport\" "
		    "content=\"width=device-width,initial-scale=1\">\n"
		    "<title>isobench report ");
	ib_html_esc(b, str_of(r->run, "run_id") ?: "?");
	ib_buf_puts(b, "</title>\n");
	ib_html_page_css(b);
	ib_buf_puts(b, "</head><body>\n<header><h1>isobench report</h1>\n<p>Run "
		    "<code>");
	ib_html_esc(b, str_of(r->run, "run_id") ?: "?");
	ib_buf_puts(b, "</code>: started ");
	ib_html_esc(b, str_of(r->run, "started") ?: "?");
	if (r->run_end) {
		ib_buf_puts(b, ", ended ");
		ib_html_esc(b, str_of(r->run_end, "ended") ?: "?");
		ib_buf_puts(b, ", status <strong>");
		ib_html_esc(b, str_of(r->run_end, "status") ?: "?");
		ib_buf_puts(b, "</strong>.");
	} else
		ib_buf_puts(b, ", <strong>incomplete</strong> (the run did not "
			    "end cleanly; what it measured is below).");
	ib_buf_puts(b, " isobench ");
	ib_html_esc(b, str_of(r->run, "isobench") ?: "?");
	ib_buf_puts(b, ", ");
	ib_html_esc(b, str_of(plan, "mode") ?: "?");
	ib_buf_puts(b, " suite, baseline <code>");
	ib_html_esc(b, r->baseline);
	ib_buf_puts(b, "</code>. Built from raw.jsonl, as report.md and "
		    "results.json are.</p>\n");
	for (int c = 0; c < r->columns.n; c++)
		emulated |= ib_results_emulated(r, r->columns.v[c]);
	if (emulated)
		ib_buf_puts(b, "<p class=\"flag\"><strong>[emulated]</strong> "
			    "marks a runtime that ran under emulation (QEMU's "
			    "TCG: no usable hardware virtualization here). Its "
			    "figures measure the emulator and the harness, not "
			    "the hypervisor.</p>\n");
	if (r->bad_lines)
		ib_buf_printf(b, "<p class=\"flag\">raw.jsonl is damaged: %d "
			      "line%s skipped (see Notes); what they held is "
			      "missing below.</p>\n", r->bad_lines,
			      r->bad_lines == 1 ? "" : "s");
	ib_buf_puts(b, "</header>\n");
}

static void nav(struct ib_buf *b, const int *present, int knobs)
{
	ib_buf_puts(b, "<nav aria-label=\"contents\"><ol><li><a href=\"#findings\">"
		    "Findings</a></li><li><a href=\"#host\">Host and runtimes</a>"
		    "</li>");
	for (int s = 0; s < ib_nstudy_sections; s++)
		if (present[s])
			ib_buf_printf(b, "<li><a href=\"#%s\">%s</a></li>",
				      ib_study_sections[s].id, ib_study_sections[s].title);
	if (knobs)
		ib_buf_puts(b, "<li><a href=\"#knobs\">Knobs</a></li>");
	ib_buf_puts(b, "<li><a href=\"#tradeoffs\">Trade-offs</a></li>"
		    "<li><a href=\"#method\">How these numbers were "
		    "obtained</a></li><li><a href=\"#notes\">Notes</a></li>"
		    "</ol></nav>\n");
}

static void findings(struct ib_buf *b, const struct ib_results *r)
{
	struct ib_findings f;

	ib_findings_compute(r, &f);
	ib_buf_puts(b, "<section id=\"findings\"><h2>Findings</h2>\n");
	if (!f.n)
		ib_buf_puts(b, "<p>No rule fired: no runtime's figures crossed a "
			    "rule's threshold with their whole interval.</p>\n");
	else
		ib_buf_puts(b, "<ul>\n");
	for (int i = 0; i < f.n; i++) {
		const struct ib_finding *x = &f.v[i];

		ib_buf_printf(b, "<li class=\"finding%s\">%s<strong>",
			      x->guard ? " guard" : "",
			      x->guard ? "<em>Check:</em> " : "");
		ib_html_esc(b, x->claim);
		ib_buf_puts(b, "</strong> Why: ");
		ib_html_esc(b, x->mechanism);
		ib_buf_puts(b, ". <span class=\"note\">Evidence: ");
		ib_html_esc(b, x->evidence);
		if (x->noisy)
			ib_buf_puts(b, "; <strong>noisy</strong>: its interval "
				    "reaches beyond +-5% or a side is one "
				    "launch");
		ib_buf_printf(b, ". Rule <code>%s</code>.</span></li>\n",
			      x->rule);
	}
	if (f.n)
		ib_buf_puts(b, "</ul>\n");
	ib_buf_puts(b, "<details><summary>the rules</summary><p>A rule fires "
		    "only where its figures cross its threshold with their "
		    "whole 95% interval (with one sample a side, no interval: "
		    "the ratio itself beyond the threshold squared); its "
		    "finding says which figures, and whether they are noisy. "
		    "A rule that does not fire says nothing.</p><ul>");
	for (int i = 0; i < ib_nfinding_rules; i++) {
		ib_buf_printf(b, "<li><code>%s</code>: ", ib_finding_rules[i].id);
		ib_html_esc(b, ib_finding_rules[i].when);
		if (ib_finding_rules[i].on_native &&
		    !ib_findings_native_baseline(r)) {
			ib_buf_puts(b, " (not applied: the baseline, ");
			ib_html_esc(b, r->baseline ? r->baseline : "none");
			ib_buf_puts(b, ", is not native)");
		}
		ib_buf_puts(b, ".</li>");
	}
	ib_buf_puts(b, "</ul></details></section>\n");
	ib_findings_free(&f);
}

/* --- trade-offs ---------------------------------------------------------- */

/* How strong a runtime's isolation boundary is (its card's level), and
 * its name. */
static int isolation_level(const cJSON *ev, const char **name)
{
	static const char *const names[] = {
		"none", "namespaces, shared kernel", "user-space kernel",
		"virtual machine"};
	int level = card_of(ev).level;

	*name = names[level];
	return level;
}

/* One aspect of the trade-off table: its figure per runtime. */
static const struct aspect {
	const char *name, *bench, *metric, *key;
	int ratio;  /* the ratio to the baseline, else the median */
	int higher; /* is a higher figure better */
	const char *unit;
} aspects[] = {
	{"startup", "startup", "to_first_byte", NULL, 0, 0, "ms"},
	{"density", "footprint", "pss", "process=total", 0, 0, "MiB"},
	{"CPU", "cpu", "events_per_s", "threads=1", 1, 1, NULL},
	{"memory", "membw", "triad", NULL, 1, 1, NULL},
	{"I/O", "disk", "iops", "test=randread-4k-qd1", 1, 1, NULL},
	{"network", "net", "throughput", "streams=1,test=stream-tx", 1, 1, NULL},
	{"applications", "nginx", "requests_per_s", NULL, 1, 1, NULL},
};
#define NASPECTS ((int)(sizeof(aspects) / sizeof(aspects[0])))

static double aspect_value(const struct ib_results *r, const char *rt,
			   const struct aspect *a, int *noisy)
{
	const struct ib_metric *m =
		ib_results_metric(r, rt, a->bench, a->metric, a->key);

	*noisy = 0;
	if (!m)
		return NAN;
	if (!a->ratio)
		return m->st.median;
	if (!m->has_ratio)
		return NAN;
	*noisy = m->ratio_wide;
	return m->ratio;
}

/* The rank of v among vals[0..n) (1: the best), NAN: none. */
static int rank_of(const double *vals, int n, double v, int higher)
{
	int rank = 1;

	for (int i = 0; i < n; i++)
		if (isfinite(vals[i]) && (higher ? vals[i] > v : vals[i] < v))
			rank++;
	return rank;
}

/* "Fits / does not fit", from the table's figures. */
static void fits(struct ib_buf *b, const char *title, int level,
		 const double *v, int emulated)
{
	struct ib_buf yes = {0}, no = {0};
	const double start = v[0], pss = v[1], cpu = v[2], io = v[4],
		     net = v[5];

	if (level >= 2)
		ib_buf_puts(&yes, "code you do not trust (a boundary other than "
			    "the host's kernel); ");
	else
		ib_buf_puts(&no, "code you do not trust (it shares the host's "
			    "kernel); ");
	if (isfinite(start) && start <= 100)
		ib_buf_printf(&yes, "short-lived tasks (first byte in %.3g ms); ",
			      start);
	else if (isfinite(start) && start >= 1000)
		ib_buf_printf(&no, "short-lived tasks (%.0f ms to its first "
			      "byte); ", start);
	if (isfinite(cpu) && cpu >= 0.95)
		ib_buf_printf(&yes, "CPU-bound work (x%.2f of native); ", cpu);
	else if (isfinite(cpu) && cpu < 0.5)
		ib_buf_printf(&no, "CPU-bound work (x%.2f of native); ", cpu);
	if (isfinite(io) && isfinite(net) && io >= 0.8 && net >= 0.8)
		ib_buf_printf(&yes, "I/O- and network-heavy services (I/O x%.2f, "
			      "network x%.2f); ", io, net);
	else if (isfinite(io) && io < 0.5)
		ib_buf_printf(&no, "I/O-heavy services (I/O x%.2f); ", io);
	else if (isfinite(net) && net < 0.5)
		ib_buf_printf(&no, "network-heavy services (network x%.2f); ",
			      net);
	if (isfinite(pss) && pss <= 20)
		ib_buf_printf(&yes, "dense packing (%.3g MiB per instance); ", pss);
	else if (isfinite(pss) && pss >= 200)
		ib_buf_printf(&no, "dense packing (%.3g MiB per instance); ", pss);
	ib_buf_puts(b, "<li><strong>");
	ib_html_esc(b, title);
	ib_buf_puts(b, "</strong>");
	if (yes.s) {
		yes.s[strlen(yes.s) - 2] = 0;
		ib_buf_puts(b, "<br>fits: ");
		ib_html_esc(b, yes.s);
	}
	if (no.s) {
		no.s[strlen(no.s) - 2] = 0;
		ib_buf_puts(b, "<br>does not fit: ");
		ib_html_esc(b, no.s);
	}
	if (emulated)
		ib_buf_puts(b, "<br><em>emulated here: its CPU, I/O and start "
			    "figures are TCG's, not a hypervisor's</em>");
	ib_buf_puts(b, "</li>\n");
	ib_buf_free(&yes);
	ib_buf_free(&no);
}

static void tradeoffs(struct ib_buf *b, const struct ib_results *r)
{
	int n = r->columns.n;
	double *v = ib_xmalloc(sizeof(double) * (size_t)(n * NASPECTS + 1));
	int *noisy = ib_xmalloc(sizeof(int) * (size_t)(n * NASPECTS + 1));
	struct ib_buf lines = {0};

	for (int c = 0; c < n; c++)
		for (int a = 0; a < NASPECTS; a++)
			v[a * n + c] = column_used(r, c)
					       ? aspect_value(r, r->columns.v[c],
							      &aspects[a],
							      &noisy[a * n + c])
					       : NAN;
	ib_buf_puts(b, "<section id=\"tradeoffs\"><h2>Trade-offs</h2>\n<p>Each "
		    "runtime's figure per aspect, ranked among the runtimes "
		    "measured here (1 is the best). Startup: median ms to the "
		    "first byte; density: PSS per instance (MiB); the others: "
		    "the ratio to ");
	ib_html_esc(b, r->baseline);
	ib_buf_puts(b, " (CPU: 1 thread; memory: STREAM triad; I/O: 4 KiB "
		    "random reads, 1 deep; network: 1 TCP stream sent; "
		    "applications: nginx's first point). ~ a ratio not known "
		    "within +-5%.</p>\n<div class=\"scroll\"><table><thead>"
		    "<tr><th>runtime</th><th>isolation</th>");
	for (int a = 0; a < NASPECTS; a++)
		ib_buf_printf(b, "<th>%s</th>", aspects[a].name);
	ib_buf_puts(b, "</tr></thead><tbody>\n");
	for (int c = 0; c < n; c++) {
		const cJSON *ev = ib_results_runtime(r, r->columns.v[c]);
		const char *iso;
		int level;
		double mine[NASPECTS];
		char *t;
		int have = 0;

		for (int a = 0; a < NASPECTS; a++)
			have += isfinite(v[a * n + c]);
		/* a reference row of one benchmark (native:net=loopback) */
		if (!ev || !column_used(r, c) || have < 2)
			continue;
		level = isolation_level(ev, &iso);
		t = ib_results_title(r, r->columns.v[c]);
		ib_buf_puts(b, "<tr><th>");
		ib_html_esc(b, t);
		free(t);
		ib_buf_printf(b, "</th><td>%s</td>", iso);
		for (int a = 0; a < NASPECTS; a++) {
			double x = v[a * n + c];

			mine[a] = x;
			if (!isfinite(x)) {
				ib_buf_puts(b, "<td>-</td>");
				continue;
			}
			ib_buf_puts(b, "<td class=\"n\">");
			ib_buf_puts(b, aspects[a].ratio ? "x" : "");
			value(b, x);
			if (aspects[a].ratio)
				ib_buf_puts(b, noisy[a * n + c] ? "~" : "");
			else
				ib_buf_printf(b, " %s", aspects[a].unit);
			ib_buf_printf(b, " <span class=\"rank\">#%d</span></td>",
				      rank_of(v + a * n, n, x, aspects[a].higher));
		}
		ib_buf_puts(b, "</tr>\n");
		t = ib_results_title(r, r->columns.v[c]);
		fits(&lines, t, level, mine,
		     ib_results_emulated(r, r->columns.v[c]));
		free(t);
	}
	ib_buf_puts(b, "</tbody></table></div>\n<h3>Fits, does not fit</h3>"
		    "<ul>\n");
	if (lines.s)
		ib_buf_puts(b, lines.s);
	ib_buf_free(&lines);
	ib_buf_puts(b, "</ul><p class=\"note\">The lines are "
		    "derived from the figures: code you do not trust fits a "
		    "boundary other than the host's kernel; short-lived tasks "
		    "a first byte within 100 ms (not from 1 s); CPU-bound work "
		    "x0.95 of native or better (not below x0.5); I/O- and "
		    "network-heavy services x0.8 or better on both (not I/O- or "
		    "network-heavy below x0.5); dense packing 20 MiB per instance or less "
		    "(not from 200 MiB).</p></section>\n");
	free(v);
	free(noisy);
}

static void method(struct ib_buf *b, const struct ib_results *r)
{
	int nrows, ratios = 0, wide = 0;
	struct ib_row *rows = ib_rows_build(r, &nrows);

	for (int i = 0; i < nrows; i++)
		for (int c = 0; c < r->columns.n; c++)
			if (rows[i].m[c] >= 0)
				ib_ratio_count(r, rows[i].m[c], &ratios, &wide);
	ib_rows_free(rows, nrows);
	ib_buf_printf(b, "<section id=\"method\"><h2>How these numbers were "
		      "obtained</h2>\n<ul><li>Each cell (a job on a runtime) "
		      "was launched repeatedly, the runtimes interleaved, until "
		      "every metric's relative standard deviation was at most "
		      "%.3g%% or the cell's bounds were reached.</li>\n"
		      "<li>A value is the median over the samples; a ratio is "
		      "the ratio of medians to <code>", r->rsd_target);
	ib_html_esc(b, r->baseline);
	ib_buf_printf(b, "</code>, with a 95%% percentile-bootstrap interval "
		      "(the whiskers).</li>\n<li>%d of the %d ratios are known "
		      "within +-%d%%; report.md lists each other one with its "
		      "reason.</li>\n<li>Each workload follows a classic tool's "
		      "method; <code>isobench validate</code> runs them side by "
		      "side.</li></ul></section>\n", ratios - wide, ratios,
		      IB_RATIO_WITHIN_PCT);
}

static void notes(struct ib_buf *b, const struct ib_results *r)
{
	ib_buf_puts(b, "<section id=\"notes\"><h2>Notes</h2>\n<details>"
		    "<summary>cells: status, launches, what stopped them, "
		    "failures and notes</summary><div class=\"scroll\"><table>"
		    "<thead><tr><th>runtime</th><th>job</th><th>status</th>"
		    "<th>launches</th><th>stopped by</th><th>notes</th></tr>"
		    "</thead><tbody>\n");
	for (int i = 0; i < r->ncells; i++) {
		const struct ib_cell *c = &r->cells[i];
		const struct ib_strv *lists[] = {&c->failures, &c->unsupported,
						 &c->replacements, &c->infos};

		ib_buf_puts(b, "<tr><td>");
		ib_html_esc(b, c->runtime);
		ib_buf_puts(b, "</td><td>");
		ib_html_esc(b, c->job);
		ib_buf_puts(b, "</td><td>");
		ib_html_esc(b, c->status);
		ib_buf_printf(b, "</td><td class=\"n\">%d</td><td>", c->launches);
		ib_html_esc(b, c->stopped_by ? c->stopped_by : "-");
		ib_buf_puts(b, "</td><td>");
		for (size_t l = 0; l < sizeof(lists) / sizeof(lists[0]); l++)
			for (int k = 0; k < lists[l]->n; k++) {
				ib_html_esc(b, lists[l]->v[k]);
				ib_buf_puts(b, "; ");
			}
		ib_buf_puts(b, "</td></tr>\n");
	}
	ib_buf_puts(b, "</tbody></table></div></details>\n");
	if (r->warnings.n) {
		ib_buf_puts(b, "<h3>Warnings</h3><ul>");
		for (int i = 0; i < r->warnings.n; i++) {
			ib_buf_puts(b, "<li>");
			ib_html_esc(b, r->warnings.v[i]);
			ib_buf_puts(b, "</li>");
		}
		ib_buf_puts(b, "</ul>\n");
	}
	ib_buf_puts(b, "</section>\n");
}

char *ib_report_html(const struct ib_results *r)
{
	struct ib_buf b = {0};
	int nrows, *present = ib_xcalloc((size_t)ib_nstudy_sections, sizeof(int));
	struct ib_row *rows = ib_rows_build(r, &nrows);

	for (int i = 0; i < nrows; i++)
		present[ib_study_section(ib_job_bench(r, rows[i].job))] = 1;
	head(&b, r);
	nav(&b, present, ib_knobs_present(r));
	ib_buf_puts(&b, "<main>\n");
	findings(&b, r);
	host_section(&b, r);
	for (int s = 0; s < ib_nstudy_sections; s++) {
		if (!present[s])
			continue;
		ib_buf_printf(&b, "<section id=\"%s\"><h2>%s</h2>\n<p>%s</p>\n",
			      ib_study_sections[s].id, ib_study_sections[s].title,
			      ib_study_sections[s].intro);
		for (int i = 0; i < nrows;) {
			int end = i;

			while (end < nrows && !strcmp(rows[end].job, rows[i].job))
				end++;
			if (ib_study_section(ib_job_bench(r, rows[i].job)) == s)
				job_block(&b, r, rows + i, end - i);
			i = end;
		}
		ib_buf_puts(&b, "</section>\n");
	}
	ib_knobs_html(&b, r);
	tradeoffs(&b, r);
	method(&b, r);
	notes(&b, r);
	ib_buf_puts(&b, "</main></body></html>\n");
	ib_rows_free(rows, nrows);
	free(present);
	return b.s;
}
