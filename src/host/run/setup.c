/* run/setup: before the first launch: the run directory, the runtimes
 * named (each usable one prepared, the others skipped with the reason),
 * the cells (jobs x runtimes), the run event. */
#include "run/internal.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

#include "run/fingerprint.h"
#include "runtime/drivers/registry.h"
#include "version.h"

/* --- set-up -------------------------------------------------------------- */

static int dir_is_empty(const char *path)
{
	int empty = 1;
	DIR *d;
	struct dirent *e;

	d = opendir(path);
	if (!d)
		return 0;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			empty = 0;
	closedir(d);
	return empty;
}

/* The run directory: a given one must be new or empty; a new one (the
 * default isobench-results/<run id> too) is made here, exclusively, and
 * checked (ours, not a symlink, not writable by others). */
int run_make_dir(struct run *R, struct ib_err *err)
{
	struct stat st;
	char *dir;
	int rc;

	if (R->o->out_dir) {
		dir = ib_xstrdup(R->o->out_dir);
		if (stat(dir, &st) == 0) {
			if (!S_ISDIR(st.st_mode))
				rc = ib_err_set(err, -ENOTDIR,
						"output %s exists and is not a "
						"directory",
						dir);
			else if (!dir_is_empty(dir))
				rc = ib_err_set(err, -EEXIST,
						"output directory %s is not "
						"empty: give a new one with -o",
						dir);
			else if (access(dir, W_OK) != 0)
				rc = ib_err_set(err, -errno, "output directory "
						"%s is not writable: %s", dir,
						strerror(errno));
			else
				rc = 0;
			if (rc < 0) {
				free(dir);
				return rc;
			}
			/* an empty one given: used as it is */
			R->dir = dir;
			return 0;
		}
	} else {
		dir = ib_xasprintf("isobench-results/%s", R->run_id);
	}
	rc = ib_mkdir_new(dir, err);
	if (rc < 0) {
		/* not ours: the error path must not clean anything in it */
		free(dir);
		return ib_err_wrap(err, "output directory");
	}
	R->dir = dir;
	R->created_dir = 1;
	return 0;
}

/* Adds the runtime of spec as a column (once per canonical label). */
static int add_column(struct run *R, const char *spec, struct ib_err *err)
{
	const struct ib_runtime_ops *ops;
	char *values[IB_RT_MAX_OPTIONS], *label;
	struct ib_runtime *rt;

	if (ib_runtime_spec(spec, &ops, values, &label, err) < 0)
		return -EINVAL;
	if (ib_strv_find(&R->columns, label) >= 0) {
		ib_runtime_spec_free(values);
		free(label);
		return 0;
	}
	R->rts = ib_xrealloc(R->rts, sizeof(*R->rts) * (size_t)(R->columns.n + 1));
	rt = &R->rts[R->columns.n];
	memset(rt, 0, sizeof(*rt));
	rt->ops = ops;
	rt->ctx = &R->ctx;
	rt->label = label;
	memcpy(rt->opt, values, sizeof(rt->opt));
	ib_strv_push(&R->columns, label);
	return 0;
}

/* The columns: every runtime asked for, as canonical specs, in order:
 * the plan's (all: every registered one with its defaults), then those
 * only some jobs name. */
int run_resolve_runtimes(struct run *R, struct ib_err *err)
{
	struct ib_plan *p = R->plan;
	int all = p->runtimes.n == 0 || ib_strv_find(&p->runtimes, "all") >= 0;

	int net = 0;

	for (int j = 0; j < p->njobs; j++)
		net |= (p->jobs[j].wl->traits & IB_WL_LINK_REFERENCE) != 0;
	if (all)
		for (int i = 0; i < ib_nruntimes; i++) {
			const char *const *x = ib_runtimes[i]->also_default;

			if (add_column(R, ib_runtimes[i]->name, err) < 0)
				return -EINVAL;
			for (; x && *x; x++)
				if (add_column(R, *x, err) < 0)
					return -EINVAL;
		}
	for (int i = 0; i < p->runtimes.n; i++)
		if (strcmp(p->runtimes.v[i], "all") != 0 &&
		    add_column(R, p->runtimes.v[i], err) < 0)
			return -EINVAL;
	for (int j = 0; j < p->njobs; j++)
		for (int i = 0; i < p->jobs[j].runtimes.n; i++)
			if (add_column(R, p->jobs[j].runtimes.v[i], err) < 0)
				return -EINVAL;
	/* the net benchmark brings the reference rows of the runtimes in
	 * the run (native:net=loopback beside native) */
	for (int i = 0; net && i < ib_nruntimes; i++) {
		const char *const *x = ib_runtimes[i]->also_default_net;

		if (ib_strv_find(&R->columns, ib_runtimes[i]->name) < 0)
			continue;
		for (; x && *x; x++)
			if (add_column(R, *x, err) < 0)
				return -EINVAL;
	}
	return 0;
}

/* Is the runtime labelled label among specs (canonicalised)? */
static int specs_name(const struct ib_strv *specs, const char *label)
{
	for (int i = 0; i < specs->n; i++) {
		const struct ib_runtime_ops *ops;
		char *values[IB_RT_MAX_OPTIONS], *l = NULL;
		int same;

		if (ib_runtime_spec(specs->v[i], &ops, values, &l, NULL) < 0)
			continue;
		same = !strcmp(l, label);
		ib_runtime_spec_free(values);
		free(l);
		if (same)
			return 1;
	}
	return 0;
}

/* available() and prepare() of every runtime; logs a runtime event for
 * each, usable or not. */
void run_setup_runtimes(struct run *R)
{
	int ncols = R->columns.n;

	R->rts_set_up = 1;
	/* R->rts holds every column; usable ones are moved to the front */
	for (int i = 0; i < ncols; i++) {
		struct ib_runtime rt = R->rts[i];
		const struct ib_runtime_ops *ops = rt.ops;
		struct ib_buf why = {0}, fix = {0};
		struct ib_err e = {0};
		cJSON *ev = cJSON_CreateObject(), *o;
		int ok = ops->available_spec
				 ? ops->available_spec(&rt, &why, &fix)
				 : ops->available(&why, &fix);

		if (ok && ops->prepare(&rt, &e) < 0) {
			ok = 0;
			ib_buf_printf(&why, "prepare failed: %s", e.msg);
			if (ops->release)
				ops->release(&rt);
		}
		cJSON_AddStringToObject(ev, "ev", "runtime");
		cJSON_AddStringToObject(ev, "runtime", rt.label);
		cJSON_AddStringToObject(ev, "driver", ops->name);
		cJSON_AddStringToObject(ev, "family", ops->family);
		o = cJSON_AddObjectToObject(ev, "options");
		for (int k = 0; k < ops->noptions; k++)
			cJSON_AddStringToObject(o, ops->options[k].name, rt.opt[k]);
		cJSON_AddBoolToObject(ev, "available", ok);
		if (ok) {
			cJSON *d = cJSON_AddObjectToObject(ev, "describe");

			ops->describe(&rt, d);
			R->rts[R->nrts++] = rt;
		} else {
			cJSON_AddStringToObject(ev, "why", why.s ? why.s : "not usable");
			if (fix.s)
				cJSON_AddStringToObject(ev, "fix", fix.s);
			run_say(R, IB_REPORT_WARNING, "skipping %s: %s%s%s%s",
				rt.label, why.s ? why.s : "not usable",
				fix.s ? " (fix: " : "", fix.s ? fix.s : "",
				fix.s ? ")" : "");
			ib_runtime_spec_free(rt.opt);
			free(rt.label);
		}
		run_log_event(R, ev);
		ib_buf_free(&why);
		ib_buf_free(&fix);
	}
}

void run_make_cells(struct run *R)
{
	struct ib_plan *p = R->plan;

	R->cells = ib_xcalloc((size_t)(p->njobs * (R->nrts ? R->nrts : 1)),
			      sizeof(*R->cells));
	for (int j = 0; j < p->njobs; j++)
		for (int i = 0; i < R->nrts; i++) {
			const struct ib_job *job = &p->jobs[j];

			if (job->runtimes.n &&
			    !specs_name(&job->runtimes, R->rts[i].label))
				continue;
			/* a net-only column (native:net=loopback): the
			 * jobs with a link; an application's only when
			 * named (its baseline is native over veth) */
			if (ib_runtime_net_only(&R->rts[i]) &&
			    (!run_job_needs_link(job) ||
			     (!(job->wl->traits & IB_WL_LINK_REFERENCE) &&
			      !specs_name(&job->runtimes, R->rts[i].label) &&
			      !specs_name(&p->runtimes, R->rts[i].label))))
				continue;
			/* (a net-only column is in the run for the net
			 * jobs, also when a runtime of -r brought it:
			 * also_default_net) */
			if (!job->runtimes.n && p->runtimes.n &&
			    ib_strv_find(&p->runtimes, "all") < 0 &&
			    !specs_name(&p->runtimes, R->rts[i].label) &&
			    !ib_runtime_net_only(&R->rts[i]))
				continue;
			R->cells[R->ncells++] = (struct cell_state){
				.job = job, .rt = &R->rts[i]};
		}
}

void run_log_start(struct run *R)
{
	cJSON *ev = cJSON_CreateObject(), *arr;
	char started[32];

	ib_utc_iso8601(started, sizeof(started));
	cJSON_AddStringToObject(ev, "ev", "run");
	cJSON_AddNumberToObject(ev, "schema", IB_RESULTS_SCHEMA_VERSION);
	cJSON_AddStringToObject(ev, "isobench", ISOBENCH_VERSION);
	cJSON_AddStringToObject(ev, "run_id", R->run_id);
	cJSON_AddStringToObject(ev, "started", started);
	arr = cJSON_AddArrayToObject(ev, "runtimes");
	for (int i = 0; i < R->columns.n; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(R->columns.v[i]));
	/* the columns that run only net jobs (make_cells), so that the
	 * results have no cell, rather than a "not run" one, for the others
	 * (R->rts[i] is column i until setup_runtimes) */
	arr = cJSON_AddArrayToObject(ev, "net_only");
	for (int i = 0; i < R->columns.n; i++)
		if (ib_runtime_net_only(&R->rts[i]))
			cJSON_AddItemToArray(arr, cJSON_CreateString(R->columns.v[i]));
	/* those of them the plan names (-r): an application's jobs run there
	 * too (make_cells) */
	arr = cJSON_AddArrayToObject(ev, "net_only_named");
	for (int i = 0; i < R->columns.n; i++)
		if (ib_runtime_net_only(&R->rts[i]) &&
		    specs_name(&R->plan->runtimes, R->columns.v[i]))
			cJSON_AddItemToArray(arr, cJSON_CreateString(R->columns.v[i]));
	cJSON_AddItemToObject(ev, "plan", ib_plan_to_json(R->plan));
	cJSON_AddItemToObject(ev, "fingerprint",
			      ib_fingerprint(R->scratch, R->probe));
	run_log_event(R, ev);
}
