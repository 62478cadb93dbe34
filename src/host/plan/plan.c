#include "plan/plan.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/drivers/registry.h"
#include "runtime/runtime.h"

#define MAX_JOBS 256

static void policy_defaults(struct ib_plan *p)
{
	/* Documented in README.md ("Repetitions"). Quick: enough repetitions
	 * for a median and an RSD in under two minutes natively; full:
	 * tighter intervals. */
	if (!p->set_rsd)
		p->rsd_target = 3;
	if (!p->set_min)
		p->min_reps = p->full ? 5 : 3;
	if (!p->set_max)
		p->max_reps = p->full ? 30 : 10;
	if (!p->set_time)
		p->max_time = p->full ? 120 : 6;
	if (!p->set_warmup)
		p->warmup = p->full ? 1 : 0;
}

void ib_plan_init(struct ib_plan *p, int full)
{
	memset(p, 0, sizeof(*p));
	p->full = full;
	p->baseline = ib_xstrdup("native");
	p->neighbour = ib_xstrdup("none");
	p->thp = ib_xstrdup("keep");
	p->neighbour_cpu = -1;
	p->source = ib_xstrdup("command line");
	/* Room for membw's three arrays of 4 x LLC (3 GiB on a 260 MiB L3)
	 * and memlat's 1 GiB chain, with margin. */
	p->memory = 8ull << 30;
	policy_defaults(p);
}

void ib_plan_apply_mode(struct ib_plan *p, int full)
{
	p->full = full;
	policy_defaults(p);
	for (int j = 0; j < p->njobs; j++) {
		struct ib_job *job = &p->jobs[j];

		if (!job->reps_set)
			job->reps_per_launch =
				full ? 1 : job->wl->quick_reps_per_launch;
		for (int i = 0; i < job->wl->nparams; i++) {
			if (job->value_set[i])
				continue;
			free(job->value[i]);
			job->value[i] = ib_xstrdup(
				ib_param_default(&job->wl->params[i], full));
		}
	}
}

static void job_free(struct ib_job *job)
{
	free(job->name);
	free(job->neighbour);
	for (int i = 0; i < IB_MAX_PARAMS; i++)
		free(job->value[i]);
	ib_strv_free(&job->runtimes);
}

void ib_plan_free(struct ib_plan *p)
{
	for (int i = 0; i < p->njobs; i++)
		job_free(&p->jobs[i]);
	free(p->jobs);
	ib_strv_free(&p->runtimes);
	free(p->thp);
	free(p->baseline);
	free(p->neighbour);
	free(p->source);
	memset(p, 0, sizeof(*p));
}

static void list_benchmarks(struct ib_buf *b)
{
	for (int i = 0, n = 0; i < ib_nworkloads; i++)
		if (!(ib_workloads[i].traits & IB_WL_PROBE_ONLY))
			ib_buf_printf(b, "%s%s", n++ ? ", " : "",
				      ib_workloads[i].name);
}

struct ib_job *ib_plan_add_job(struct ib_plan *p, const char *name,
			       const char *bench, struct ib_err *err)
{
	const struct ib_workload_def *wl = ib_workload_find(bench);
	struct ib_job *job;

	if (!wl || (wl->traits & IB_WL_PROBE_ONLY)) {
		struct ib_buf b = {0};

		list_benchmarks(&b);
		ib_err_set(err, -EINVAL, "unknown benchmark '%s' (known: %s)",
			   bench, b.s);
		ib_buf_free(&b);
		return NULL;
	}
	if (!name)
		name = bench;
	for (int i = 0; i < p->njobs; i++)
		if (strcmp(p->jobs[i].name, name) == 0) {
			ib_err_set(err, -EINVAL, "job '%s' is defined twice",
				   name);
			return NULL;
		}
	if (p->njobs >= MAX_JOBS) {
		ib_err_set(err, -E2BIG, "more than %d jobs", MAX_JOBS);
		return NULL;
	}
	p->jobs = ib_xrealloc(p->jobs, sizeof(*p->jobs) * (size_t)(p->njobs + 1));
	job = &p->jobs[p->njobs++];
	memset(job, 0, sizeof(*job));
	job->name = ib_xstrdup(name);
	job->wl = wl;
	job->reps_per_launch = p->full ? 1 : wl->quick_reps_per_launch;
	for (int i = 0; i < wl->nparams; i++)
		job->value[i] = ib_xstrdup(ib_param_default(&wl->params[i], p->full));
	return job;
}

const char *ib_job_value(const struct ib_job *job, const char *name)
{
	for (int i = 0; i < job->wl->nparams; i++)
		if (strcmp(job->wl->params[i].name, name) == 0)
			return job->value[i];
	return NULL;
}

#define NEIGHBOUR_KINDS "none,cpu,membw,cache"

/* *dst = v if it is one of the words of choices ("a,b,c"), else -1 with
 * why naming key and the choices. */
static int set_word(char **dst, const char *key, const char *v,
		    const char *choices, char *why, size_t whylen)
{
	size_t n = strlen(v);

	for (const char *c = choices; *c;) {
		size_t len = strcspn(c, ",");

		if (len == n && !strncmp(c, v, n)) {
			free(*dst);
			*dst = ib_xstrdup(v);
			return 0;
		}
		c += len + (c[len] == ',');
	}
	snprintf(why, whylen, "%s must be one of %s, not '%.40s'", key, choices,
		 v);
	return -1;
}

int ib_job_set(struct ib_job *job, const char *key, const char *value,
	       struct ib_err *err)
{
	char why[256];
	uint64_t n;

	if (strcmp(key, "scratch") == 0) {
		if (strcmp(value, "bind") && strcmp(value, "rootfs"))
			return ib_err_set(err, -EINVAL,
					  "%s: scratch: '%s' is not bind or "
					  "rootfs",
					  job->name, value);
		job->scratch_rootfs = strcmp(value, "rootfs") == 0;
		return 0;
	}
	if (strcmp(key, "neighbour") == 0) {
		if (set_word(&job->neighbour, "neighbour", value,
			     NEIGHBOUR_KINDS, why, sizeof(why)) < 0)
			return ib_err_set(err, -EINVAL, "%s: %s", job->name, why);
		return 0;
	}
	if (strcmp(key, "reps_per_launch") == 0) {
		if (ib_parse_count(value, &n) < 0 || n < 1 || n > 1000)
			return ib_err_set(err, -EINVAL,
					  "%s: reps_per_launch: '%s' is not a "
					  "whole number from 1 to 1000",
					  job->name, value);
		job->reps_per_launch = (int)n;
		job->reps_set = 1;
		return 0;
	}
	for (int i = 0; i < job->wl->nparams; i++) {
		if (strcmp(job->wl->params[i].name, key) != 0)
			continue;
		if (ib_param_check(&job->wl->params[i], value, why,
				   sizeof(why)) < 0)
			return ib_err_set(err, -EINVAL,
					  "%s (benchmark %s): parameter %s: %s",
					  job->name, job->wl->name, key, why);
		free(job->value[i]);
		job->value[i] = ib_xstrdup(value);
		job->value_set[i] = 1;
		return 0;
	}
	{
		struct ib_buf b = {0};

		for (int i = 0; i < job->wl->nparams; i++)
			ib_buf_printf(&b, "%s%s", i ? ", " : "",
				      job->wl->params[i].name);
		ib_err_set(err, -EINVAL,
			   "%s: unknown parameter '%s' for benchmark %s "
			   "(known: %s, reps_per_launch, scratch, neighbour)",
			   job->name, key, job->wl->name, b.s);
		ib_buf_free(&b);
	}
	return -EINVAL;
}

int ib_plan_set(struct ib_plan *p, const char *assignment, struct ib_err *err)
{
	const char *dot = strchr(assignment, '.'), *eq = strchr(assignment, '=');
	char *target, *key;
	int matched = 0, rc = 0;

	if (!dot || !eq || dot > eq || dot == assignment || eq == dot + 1)
		return ib_err_set(err, -EINVAL,
				  "--set '%s': expected BENCHMARK.PARAM=VALUE "
				  "(e.g. disk.size=1g)",
				  assignment);
	target = ib_xasprintf("%.*s", (int)(dot - assignment), assignment);
	key = ib_xasprintf("%.*s", (int)(eq - dot - 1), dot + 1);
	for (int i = 0; i < p->njobs && rc == 0; i++) {
		if (strcmp(p->jobs[i].name, target) != 0 &&
		    strcmp(p->jobs[i].wl->name, target) != 0)
			continue;
		matched++;
		rc = ib_job_set(&p->jobs[i], key, eq + 1, err);
	}
	if (rc == 0 && !matched)
		rc = ib_err_set(err, -EINVAL,
				"--set '%s': no selected job or benchmark is "
				"called '%s'",
				assignment, target);
	free(target);
	free(key);
	return rc;
}

void ib_plan_add_default_jobs(struct ib_plan *p)
{
	/* those that want the calmest host first (startup: its figures are
	 * milliseconds, and the host is calmest before membw has faulted in
	 * and freed gigabytes, which this kind of host takes back over the
	 * following seconds), then the others, in catalogue order */
	for (int first = 1; first >= 0; first--)
		for (int i = 0; i < ib_nworkloads; i++)
			if (!(ib_workloads[i].traits & IB_WL_RUN_FIRST) == !first &&
			    !(ib_workloads[i].traits &
			      (IB_WL_PROBE_ONLY | IB_WL_OPT_IN)))
				ib_plan_add_job(p, NULL, ib_workloads[i].name,
						NULL);
}

void ib_job_probe_args(const struct ib_job *job, struct ib_strv *out)
{
	if (job->reps_per_launch > 1) {
		ib_strv_push(out, "--reps");
		ib_strv_push_owned(out, ib_xasprintf("%d", job->reps_per_launch));
	}
	/* an application's instance runs the probe's `serve`; the job's
	 * parameters are all the host's */
	if (job->wl->probe_workload) {
		ib_strv_push(out, job->wl->probe_workload);
		if (job->wl->probe_arg)
			ib_strv_push(out, job->wl->probe_arg);
		return;
	}
	ib_strv_push(out, job->wl->name);
	for (int i = 0; i < job->wl->nparams; i++)
		ib_strv_push_owned(out, ib_xasprintf("%s=%s",
						     job->wl->params[i].name,
						     job->value[i]));
}

int ib_plan_set_neighbour(struct ib_plan *p, const char *kind, char *why,
			  size_t whylen)
{
	return set_word(&p->neighbour, "neighbour", kind, NEIGHBOUR_KINDS, why,
			whylen);
}

int ib_plan_set_thp(struct ib_plan *p, const char *mode, char *why,
		    size_t whylen)
{
	return set_word(&p->thp, "thp", mode, "keep,always,madvise,never", why,
			whylen);
}

void ib_plan_split_runtimes(struct ib_strv *out, const char *list)
{
	struct ib_strv items = {0};
	size_t first = (size_t)out->n;

	ib_strv_split(&items, list);
	for (int i = 0; i < items.n; i++) {
		const char *it = items.v[i];

		if ((size_t)out->n > first && !strchr(it, ':') &&
		    strchr(it, '=')) {
			char *joined = ib_xasprintf("%s,%s", out->v[out->n - 1],
						    it);

			free(out->v[out->n - 1]);
			out->v[out->n - 1] = joined;
		} else {
			ib_strv_push(out, it);
		}
	}
	ib_strv_free(&items);
}

cJSON *ib_plan_to_json(const struct ib_plan *p)
{
	cJSON *o = cJSON_CreateObject(), *jobs, *rts;

	cJSON_AddStringToObject(o, "source", p->source);
	cJSON_AddStringToObject(o, "mode", p->full ? "full" : "quick");
	rts = cJSON_AddArrayToObject(o, "runtimes");
	for (int i = 0; i < p->runtimes.n; i++)
		cJSON_AddItemToArray(rts, cJSON_CreateString(p->runtimes.v[i]));
	cJSON_AddNumberToObject(o, "rsd_target_pct", p->rsd_target);
	cJSON_AddNumberToObject(o, "min_reps", p->min_reps);
	cJSON_AddNumberToObject(o, "max_reps", p->max_reps);
	cJSON_AddNumberToObject(o, "max_time_s", p->max_time);
	cJSON_AddNumberToObject(o, "warmup", p->warmup);
	cJSON_AddNumberToObject(o, "timeout_s", p->timeout);
	cJSON_AddNumberToObject(o, "boot_timeout_s", p->boot_timeout);
	cJSON_AddStringToObject(o, "baseline", p->baseline);
	cJSON_AddNumberToObject(o, "cpus", p->cpus);
	cJSON_AddNumberToObject(o, "memory_bytes", (double)p->memory);
	cJSON_AddStringToObject(o, "neighbour", p->neighbour);
	cJSON_AddNumberToObject(o, "neighbour_cpu", p->neighbour_cpu);
	cJSON_AddStringToObject(o, "thp", p->thp);
	jobs = cJSON_AddArrayToObject(o, "jobs");
	for (int j = 0; j < p->njobs; j++) {
		const struct ib_job *job = &p->jobs[j];
		cJSON *jo = cJSON_CreateObject(), *params, *jr;

		cJSON_AddStringToObject(jo, "name", job->name);
		cJSON_AddStringToObject(jo, "benchmark", job->wl->name);
		cJSON_AddNumberToObject(jo, "reps_per_launch", job->reps_per_launch);
		cJSON_AddStringToObject(jo, "scratch",
					job->scratch_rootfs ? "rootfs" : "bind");
		if (job->neighbour)
			cJSON_AddStringToObject(jo, "neighbour", job->neighbour);
		params = cJSON_AddObjectToObject(jo, "params");
		for (int i = 0; i < job->wl->nparams; i++)
			cJSON_AddStringToObject(params, job->wl->params[i].name,
						job->value[i]);
		jr = cJSON_AddArrayToObject(jo, "runtimes");
		for (int i = 0; i < job->runtimes.n; i++)
			cJSON_AddItemToArray(jr,
					     cJSON_CreateString(job->runtimes.v[i]));
		cJSON_AddItemToArray(jobs, jo);
	}
	return o;
}

char *ib_plan_to_ini(const struct ib_plan *p)
{
	struct ib_buf b = {0};
	char num[64], src[128];

	/* the comment must stay one line within inih's limit */
	snprintf(src, sizeof(src), "%s", p->source);
	for (char *c = src; *c; c++)
		if ((unsigned char)*c < ' ')
			*c = '?';
	ib_buf_printf(&b, "; isobench plan, as run (from %s%s)\n[global]\n",
		      src, strlen(p->source) >= sizeof(src) ? "..." : "");
	ib_buf_printf(&b, "mode = %s\n", p->full ? "full" : "quick");
	ib_buf_puts(&b, "runtimes = ");
	for (int i = 0; i < p->runtimes.n; i++)
		ib_buf_printf(&b, "%s%s", i ? "," : "", p->runtimes.v[i]);
	if (p->runtimes.n == 0)
		ib_buf_puts(&b, "all");
	snprintf(num, sizeof(num), "%.10g", p->rsd_target);
	ib_buf_printf(&b, "\nrsd_target = %s\nmin_reps = %d\nmax_reps = %d\n",
		      num, p->min_reps, p->max_reps);
	snprintf(num, sizeof(num), "%.10g", p->max_time);
	ib_buf_printf(&b, "max_time = %s\nwarmup = %d\n", num, p->warmup);
	snprintf(num, sizeof(num), "%.10g", p->timeout);
	ib_buf_printf(&b, "timeout = %s\n", num);
	snprintf(num, sizeof(num), "%.10g", p->boot_timeout);
	ib_buf_printf(&b, "boot_timeout = %s\nbaseline = %s\n", num,
		      p->baseline);
	ib_buf_printf(&b, "cpus = %d\nmemory = %llu\n", p->cpus,
		      (unsigned long long)p->memory);
	ib_buf_printf(&b, "neighbour = %s\nneighbour_cpu = %d\nthp = %s\n",
		      p->neighbour, p->neighbour_cpu, p->thp);
	for (int j = 0; j < p->njobs; j++) {
		const struct ib_job *job = &p->jobs[j];

		ib_buf_printf(&b, "\n[%s]\nbenchmark = %s\nreps_per_launch = %d\n"
			      "scratch = %s\n",
			      job->name, job->wl->name, job->reps_per_launch,
			      job->scratch_rootfs ? "rootfs" : "bind");
		if (job->neighbour)
			ib_buf_printf(&b, "neighbour = %s\n", job->neighbour);
		if (job->runtimes.n) {
			ib_buf_puts(&b, "runtimes = ");
			for (int i = 0; i < job->runtimes.n; i++)
				ib_buf_printf(&b, "%s%s", i ? "," : "",
					      job->runtimes.v[i]);
			ib_buf_puts(&b, "\n");
		}
		for (int i = 0; i < job->wl->nparams; i++) {
			const char *v = job->value[i];
			size_t col;

			ib_buf_printf(&b, "%s = ", job->wl->params[i].name);
			col = strlen(job->wl->params[i].name) + 3;
			/* wrap long lists at commas: inih reads lines of at
			 * most 197 characters */
			while (strlen(v) + col > 100 && strchr(v, ',')) {
				const char *cut = v, *c;

				while ((c = strchr(cut, ',')) &&
				       (size_t)(c - v) + col < 100)
					cut = c + 1;
				if (cut == v)
					cut = strchr(v, ',') + 1;
				ib_buf_put(&b, v, (size_t)(cut - v));
				ib_buf_puts(&b, "\n    ");
				v = cut;
				col = 4;
			}
			ib_buf_printf(&b, "%s\n", v);
		}
	}
	return b.s;
}

int ib_plan_check(const struct ib_plan *p, struct ib_err *err)
{
	if (p->min_reps > p->max_reps)
		return ib_err_set(err, -EINVAL,
				  "%s: min_reps (%d) is above max_reps (%d)",
				  p->source, p->min_reps, p->max_reps);
	if (p->njobs == 0)
		return ib_err_set(err, -EINVAL, "%s: nothing to run", p->source);
	return 0;
}

/* --- plan files ---------------------------------------------------------- */

struct section {
	char *name;
	int line;
	struct ib_strv keys, values;
	struct ib_strv lines; /* line number of each key, as text */
};

struct loader {
	FILE *f;
	int line;         /* lines read so far: the line inih is handling */
	struct section *sec;
	int nsec;
	char err[512];    /* first error of the handler ... */
	int err_line;     /* ... and its line */
	int overlong;     /* line number of a line too long for inih */
	int too_many;     /* line number of a section beyond MAX_JOBS + 1 */
	int cont_line;    /* line number of the last continuation line */
};

/* inih's reader: like fgets, and it counts lines. It also notices section
 * headers itself, because inih (as packaged) reports only key=value lines
 * and a section with no keys, "[cpu]", must still make a job. */
static char *reader(char *str, int num, void *stream)
{
	struct loader *ld = stream;
	char *r = fgets(str, num, ld->f), *s;

	if (!r)
		return NULL;
	ld->line++;
	if (!strchr(r, '\n') && !feof(ld->f)) {
		/* inih would parse the rest as another line: stop instead */
		ld->overlong = ld->line;
		return NULL;
	}
	s = r;
	/* inih skips a UTF-8 byte order mark on the first line */
	if (ld->line == 1 && strncmp(s, "\xef\xbb\xbf", 3) == 0)
		s += 3;
	while (*s == ' ' || *s == '\t')
		s++;
	/* An indented line that is not blank or a comment continues the
	 * previous value (inih's multi-line values): long lists wrap. */
	if (s != r && *s && *s != '\n' && *s != '\r' && *s != ';' && *s != '#' &&
	    *s != '[')
		ld->cont_line = ld->line;
	if (*s == '[') {
		char *end = strchr(s, ']');

		if (end && ld->nsec >= MAX_JOBS + 1) {
			/* stop rather than drop sections (and jobs) silently */
			ld->too_many = ld->line;
			return NULL;
		}
		if (end) {
			struct section *sec;
			char *name;

			ld->sec = ib_xrealloc(ld->sec, sizeof(*ld->sec) *
							       (size_t)(ld->nsec + 1));
			sec = &ld->sec[ld->nsec++];
			memset(sec, 0, sizeof(*sec));
			/* trim a copy: the line itself goes on to inih */
			name = ib_xasprintf("%.*s", (int)(end - s - 1), s + 1);
			sec->name = ib_xstrdup(ib_trim(name));
			free(name);
			sec->line = ld->line;
		}
	}
	return r;
}

static int handler_error(struct loader *ld, const char *msg)
{
	if (!ld->err_line) {
		snprintf(ld->err, sizeof(ld->err), "%s", msg);
		ld->err_line = ld->line;
	}
	return 0;
}

/* Is inih's name of the current section the one the reader saw? inih
 * keeps it untrimmed and cut to INIH_MAX_SECTION - 1 bytes. */
#define INIH_MAX_SECTION 50
static int same_section(const char *ours, const char *inih)
{
	char *copy = ib_xstrdup(inih), *t = ib_trim(copy);
	size_t n = strlen(t);
	int same = strncmp(ours, t, n) == 0 &&
		   (ours[n] == '\0' || strlen(inih) >= INIH_MAX_SECTION - 1);

	free(copy);
	return same;
}

static int handler(void *user, const char *section, const char *name,
		   const char *value)
{
	struct loader *ld = user;
	struct section *sec = ld->nsec ? &ld->sec[ld->nsec - 1] : NULL;
	char msg[300];

	if (!sec || !same_section(sec->name, section)) {
		snprintf(msg, sizeof(msg), "'%.100s' is outside any [section]",
			 name);
		return handler_error(ld, msg);
	}
	if (ld->cont_line == ld->line && sec->keys.n &&
	    strcmp(sec->keys.v[sec->keys.n - 1], name) == 0) {
		char **last = &sec->values.v[sec->values.n - 1];
		size_t n = strlen(*last);
		char *v = ib_xstrdup(value), *joined;

		/* inih 55 keeps an inline comment on a continuation line:
		 * cut it as inih does on other lines (';' after a blank) */
		for (char *c = v; *c; c++)
			if (c > v && *c == ';' && isspace((unsigned char)c[-1])) {
				*c = '\0';
				break;
			}
		joined = ib_xasprintf(
			"%s%s%s", *last,
			(n && (*last)[n - 1] != ',' && v[0] != ',') ? "," : "",
			ib_trim(v));
		free(v);
		free(*last);
		*last = joined;
		return 1;
	}
	if (ib_strv_find(&sec->keys, name) >= 0) {
		snprintf(msg, sizeof(msg), "'%.100s' is set twice in [%.100s]",
			 name, section);
		return handler_error(ld, msg);
	}
	ib_strv_push(&sec->keys, name);
	ib_strv_push(&sec->values, value);
	ib_strv_push_owned(&sec->lines, ib_xasprintf("%d", ld->line));
	return 1;
}

/* Every item of list is a runtime spec isobench knows ("runc",
 * "gvisor:platform=kvm"), or "all" where allowed. */
static int check_runtimes(const struct ib_strv *list, int allow_all,
			  char *why, size_t whylen)
{
	for (int i = 0; i < list->n; i++) {
		const struct ib_runtime_ops *ops;
		char *values[IB_RT_MAX_OPTIONS];
		struct ib_err e = {0};

		if (allow_all && strcmp(list->v[i], "all") == 0)
			continue;
		if (ib_runtime_spec(list->v[i], &ops, values, NULL, &e) < 0) {
			snprintf(why, whylen, "%.400s%s", e.msg,
				 allow_all && strstr(e.msg, "(known:")
					 ? " (or all)" : "");
			return -1;
		}
		ib_runtime_spec_free(values);
	}
	return 0;
}

static int parse_pos_int(const char *v, int min, int max, int *out)
{
	uint64_t n;

	if (ib_parse_count(v, &n) < 0 || n < (uint64_t)min || n > (uint64_t)max)
		return -1;
	*out = (int)n;
	return 0;
}

static int apply_global(struct ib_plan *p, const char *k, const char *v,
			char *why, size_t whylen)
{
	double d;

	if (strcmp(k, "mode") == 0) {
		if (strcmp(v, "quick") && strcmp(v, "full")) {
			snprintf(why, whylen, "mode must be quick or full");
			return -1;
		}
		ib_plan_apply_mode(p, strcmp(v, "full") == 0);
	} else if (strcmp(k, "runtimes") == 0) {
		ib_strv_free(&p->runtimes);
		ib_plan_split_runtimes(&p->runtimes, v);
		if (p->runtimes.n == 0) {
			snprintf(why, whylen, "runtimes is empty");
			return -1;
		}
		if (check_runtimes(&p->runtimes, 1, why, whylen) < 0)
			return -1;
	} else if (strcmp(k, "rsd_target") == 0) {
		if (ib_parse_seconds(v, &d) < 0 || d <= 0 || d > 100) {
			snprintf(why, whylen,
				 "rsd_target must be a percentage in (0, 100]");
			return -1;
		}
		p->rsd_target = d;
		p->set_rsd = 1;
	} else if (strcmp(k, "min_reps") == 0) {
		if (parse_pos_int(v, 1, 10000, &p->min_reps) < 0) {
			snprintf(why, whylen, "min_reps must be 1..10000");
			return -1;
		}
		p->set_min = 1;
	} else if (strcmp(k, "max_reps") == 0) {
		if (parse_pos_int(v, 1, 10000, &p->max_reps) < 0) {
			snprintf(why, whylen, "max_reps must be 1..10000");
			return -1;
		}
		p->set_max = 1;
	} else if (strcmp(k, "max_time") == 0) {
		if (ib_parse_seconds(v, &p->max_time) < 0 || p->max_time <= 0) {
			snprintf(why, whylen,
				 "max_time must be a positive duration");
			return -1;
		}
		p->set_time = 1;
	} else if (strcmp(k, "warmup") == 0) {
		if (parse_pos_int(v, 0, 100, &p->warmup) < 0) {
			snprintf(why, whylen, "warmup must be 0..100");
			return -1;
		}
		p->set_warmup = 1;
	} else if (strcmp(k, "timeout") == 0) {
		if (ib_parse_seconds(v, &p->timeout) < 0) {
			snprintf(why, whylen, "timeout must be a duration");
			return -1;
		}
	} else if (strcmp(k, "boot_timeout") == 0) {
		if (ib_parse_seconds(v, &p->boot_timeout) < 0 ||
		    p->boot_timeout < 0) {
			snprintf(why, whylen,
				 "boot_timeout must be a duration (0: the "
				 "runtime's own)");
			return -1;
		}
	} else if (strcmp(k, "cpus") == 0) {
		if (parse_pos_int(v, 0, 4096, &p->cpus) < 0) {
			snprintf(why, whylen, "cpus must be 0 (all) to 4096");
			return -1;
		}
	} else if (strcmp(k, "memory") == 0) {
		if (ib_parse_size(v, &p->memory) < 0 ||
		    (p->memory && p->memory < (64u << 20))) {
			snprintf(why, whylen,
				 "memory must be a size of at least 64m, or 0 "
				 "(no limit)");
			return -1;
		}
	} else if (strcmp(k, "neighbour") == 0) {
		if (ib_plan_set_neighbour(p, v, why, whylen) < 0)
			return -1;
	} else if (strcmp(k, "thp") == 0) {
		if (ib_plan_set_thp(p, v, why, whylen) < 0)
			return -1;
	} else if (strcmp(k, "neighbour_cpu") == 0) {
		if (strcmp(v, "-1") &&
		    parse_pos_int(v, 0, 1023, &p->neighbour_cpu) < 0) {
			snprintf(why, whylen, "neighbour_cpu must be a CPU "
				 "number (0-1023), or -1: the first isobench "
				 "may use");
			return -1;
		}
		if (!strcmp(v, "-1"))
			p->neighbour_cpu = -1;
	} else if (strcmp(k, "baseline") == 0) {
		struct ib_strv one = {0};
		int bad;

		ib_strv_push(&one, v);
		bad = check_runtimes(&one, 0, why, whylen) < 0;
		ib_strv_free(&one);
		if (bad)
			return -1;
		free(p->baseline);
		p->baseline = ib_xstrdup(v);
	} else {
		snprintf(why, whylen,
			 "unknown key '%s' in [global] (known: mode, runtimes, "
			 "rsd_target, min_reps, max_reps, max_time, warmup, "
			 "timeout, boot_timeout, baseline, cpus, memory, "
			 "neighbour, neighbour_cpu, thp)",
			 k);
		return -1;
	}
	return 0;
}

static void free_sections(struct loader *ld)
{
	for (int i = 0; i < ld->nsec; i++) {
		free(ld->sec[i].name);
		ib_strv_free(&ld->sec[i].keys);
		ib_strv_free(&ld->sec[i].values);
		ib_strv_free(&ld->sec[i].lines);
	}
	free(ld->sec);
}

/* Reads path into ld's sections (inih), after refusing a NUL byte (it
 * would hide the rest of its line from the line reader, and be called
 * "too long"). 0 or -errno with err naming the file and line. */
static int read_sections(struct loader *ld, const char *path,
			 struct ib_err *err)
{
	int c, line = 1, rc;

	/* Debian's inih makes its options run-time settings: stop at the
	 * first error (so the line reported is the first bad one); allow
	 * indented continuation lines, since a line holds at most 197
	 * characters and a list of disk tests can be longer. */
	ini_stop_on_first_error = 1;
	ini_allow_multiline = 1;
	ld->f = fopen(path, "re");
	if (!ld->f)
		return ib_err_set(err, -errno, "cannot read plan %s: %s", path,
				  strerror(errno));
	while ((c = getc(ld->f)) != EOF) {
		if (c == '\n')
			line++;
		if (c == '\0') {
			fclose(ld->f);
			return ib_err_set(err, -EINVAL, "%s:%d: a NUL byte: a "
					  "plan is a text file", path, line);
		}
	}
	rewind(ld->f);
	rc = ini_parse_stream(reader, ld, handler, ld);
	if (rc == 0 && ld->overlong)
		rc = ld->overlong;
	if (rc == 0 && ld->too_many)
		rc = ld->too_many;
	if (rc == 0 && ferror(ld->f))
		rc = -1;
	fclose(ld->f);
	if (rc == 0)
		return 0;
	if (rc < 0)
		return ib_err_set(err, -EIO, "%s: cannot read the plan", path);
	if (rc == ld->overlong)
		return ib_err_set(err, -EINVAL, "%s:%d: line too long", path, rc);
	if (rc == ld->too_many)
		return ib_err_set(err, -E2BIG, "%s:%d: more than %d jobs", path,
				  rc, MAX_JOBS);
	return ib_err_set(err, -EINVAL, "%s:%d: %s", path, rc,
			  ld->err_line == rc
				  ? ld->err
				  : "not a valid line: expected [section], "
				    "key = value, or a comment");
}

/* [global], wherever it is (once), its mode before its other keys: its
 * defaults must not override them. 0 or -EINVAL with err. */
static int load_global(struct ib_plan *p, const struct loader *ld,
		       const char *path, struct ib_err *err)
{
	char why[512];
	int seen = 0;

	for (int s = 0; s < ld->nsec; s++) {
		const struct section *sec = &ld->sec[s];

		if (strcmp(sec->name, "global") != 0)
			continue;
		if (seen++)
			return ib_err_set(err, -EINVAL, "%s:%d: a second "
					  "[global]", path, sec->line);
		for (int pass = 0; pass < 2; pass++)
			for (int i = 0; i < sec->keys.n; i++) {
				if ((strcmp(sec->keys.v[i], "mode") == 0) != (pass == 0))
					continue;
				if (apply_global(p, sec->keys.v[i],
						 sec->values.v[i], why,
						 sizeof(why)) < 0)
					return ib_err_set(err, -EINVAL,
							  "%s:%s: %s", path,
							  sec->lines.v[i], why);
			}
	}
	return 0;
}

/* One job section: its benchmark (benchmark = , or its name), its
 * runtimes, its parameters. 0 or -errno with err naming the line. */
static int load_job(struct ib_plan *p, const struct section *sec,
		    const char *path, struct ib_err *err)
{
	const char *bench = sec->name;
	struct ib_job *job;
	char why[512];
	int bi;

	if (sec->name[0] == '\0')
		return ib_err_set(err, -EINVAL, "%s:%d: a section needs a name",
				  path, sec->line);
	bi = ib_strv_find(&sec->keys, "benchmark");
	if (bi >= 0)
		bench = sec->values.v[bi];
	job = ib_plan_add_job(p, sec->name, bench, err);
	if (!job) {
		if (bi >= 0)
			ib_err_wrap(err, "%s:%s", path, sec->lines.v[bi]);
		else
			ib_err_wrap(err, "%s:%d", path, sec->line);
		return err ? err->code : -EINVAL;
	}
	for (int i = 0; i < sec->keys.n; i++) {
		if (i == bi)
			continue;
		if (strcmp(sec->keys.v[i], "runtimes") == 0) {
			ib_plan_split_runtimes(&job->runtimes,
					       sec->values.v[i]);
			if (job->runtimes.n == 0 ||
			    check_runtimes(&job->runtimes, 0, why,
					   sizeof(why)) < 0)
				return ib_err_set(err, -EINVAL, "%s:%s: [%s]: %s",
						  path, sec->lines.v[i], sec->name,
						  job->runtimes.n
							  ? why
							  : "runtimes is empty");
			continue;
		}
		if (ib_job_set(job, sec->keys.v[i], sec->values.v[i], err) < 0) {
			ib_err_wrap(err, "%s:%s", path, sec->lines.v[i]);
			return err ? err->code : -EINVAL;
		}
	}
	return 0;
}

int ib_plan_load(struct ib_plan *p, const char *path, struct ib_err *err)
{
	struct loader ld = {0};
	int rc;

	rc = read_sections(&ld, path, err);
	if (rc < 0) {
		free_sections(&ld);
		return rc;
	}
	free(p->source);
	p->source = ib_xstrdup(path);
	/* [global] first, wherever it is, so its mode sets the defaults the
	 * jobs start from */
	rc = load_global(p, &ld, path, err);
	for (int s = 0; rc == 0 && s < ld.nsec; s++)
		if (strcmp(ld.sec[s].name, "global") != 0)
			rc = load_job(p, &ld.sec[s], path, err);
	if (rc == 0 && p->njobs == 0)
		rc = ib_err_set(err, -EINVAL, "%s: the plan has no jobs (add a "
				"section such as [cpu])", path);
	free_sections(&ld);
	return rc;
}
