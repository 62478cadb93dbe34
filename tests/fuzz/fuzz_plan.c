/* fuzz_plan: plan files (written by people, read with libinih through
 * ib_plan_load in src/host/plan/plan.c).
 *
 * The bytes are written to a temporary file and loaded. A plan that loads
 * is also checked, turned into JSON and probe arguments, and written back
 * with ib_plan_to_ini; that text must load again into an equal plan: same
 * mode, runtimes ("all" for none), policy (numbers as %.10g, the precision
 * plan.ini keeps), jobs, parameter values and job runtimes. Not checked
 * when plan.ini cannot hold the plan: a line over inih's limit (values
 * without commas are not wrapped) or a free-form name (runtime, baseline)
 * that would read as a comment (plan.ini does not quote). Everything is
 * freed, on success and on failure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "plan/plan.h"

static void same_strv(const struct ib_strv *a, const struct ib_strv *b,
		      const char *what)
{
	if (a->n != b->n)
		fuzz_fail("%s: %d items, %d after the round trip", what, a->n,
			  b->n);
	for (int i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]) != 0)
			fuzz_fail("%s: '%s' became '%s'", what, a->v[i], b->v[i]);
}

static void same_num(double a, double b, const char *what)
{
	char x[64], y[64];

	snprintf(x, sizeof(x), "%.10g", a);
	snprintf(y, sizeof(y), "%.10g", b);
	if (strcmp(x, y) != 0)
		fuzz_fail("%s: %s became %s", what, x, y);
}

static void same_plan(const struct ib_plan *a, const struct ib_plan *b)
{
	if (a->full != b->full)
		fuzz_fail("mode changed");
	if (a->runtimes.n == 0) {
		if (b->runtimes.n != 1 || strcmp(b->runtimes.v[0], "all") != 0)
			fuzz_fail("no runtimes did not become 'all'");
	} else {
		same_strv(&a->runtimes, &b->runtimes, "runtimes");
	}
	same_num(a->rsd_target, b->rsd_target, "rsd_target");
	same_num(a->max_time, b->max_time, "max_time");
	same_num(a->timeout, b->timeout, "timeout");
	if (a->min_reps != b->min_reps || a->max_reps != b->max_reps ||
	    a->warmup != b->warmup)
		fuzz_fail("min_reps, max_reps or warmup changed");
	if (strcmp(a->baseline, b->baseline) != 0)
		fuzz_fail("baseline '%s' became '%s'", a->baseline, b->baseline);
	if (a->njobs != b->njobs)
		fuzz_fail("%d jobs became %d", a->njobs, b->njobs);
	for (int j = 0; j < a->njobs; j++) {
		const struct ib_job *x = &a->jobs[j], *y = &b->jobs[j];

		if (strcmp(x->name, y->name) != 0 || x->wl != y->wl)
			fuzz_fail("job '%s' became '%s'", x->name, y->name);
		for (int i = 0; i < x->wl->nparams; i++)
			if (strcmp(x->value[i], y->value[i]) != 0)
				fuzz_fail("job '%s': %s '%s' became '%s'", x->name,
					  x->wl->params[i].name, x->value[i],
					  y->value[i]);
		same_strv(&x->runtimes, &y->runtimes, "job runtimes");
	}
}

static int lines_fit(const char *text);

/* Would inih read v back after "key = "? Not when it starts a comment:
 * free-form names (runtimes, baseline) are not checked by the plan, and
 * plan.ini does not quote them. */
static int comment_safe(const char *v)
{
	return v[0] != ';' && !strstr(v, " ;") && !strstr(v, "\t;");
}

static int strv_safe(const struct ib_strv *sv)
{
	for (int i = 0; i < sv->n; i++)
		if (!comment_safe(sv->v[i]))
			return 0;
	return 1;
}

static int round_trip_applies(const struct ib_plan *p, const char *ini)
{
	if (!comment_safe(p->baseline) || !strv_safe(&p->runtimes))
		return 0;
	for (int j = 0; j < p->njobs; j++)
		if (!strv_safe(&p->jobs[j].runtimes))
			return 0;
	return lines_fit(ini);
}

static int lines_fit(const char *text)
{
	while (*text) {
		const char *nl = strchr(text, '\n');
		size_t n = nl ? (size_t)(nl - text) : strlen(text);

		if (n > 197)
			return 0;
		text += n + (nl ? 1 : 0);
	}
	return 1;
}

static void use_plan(const struct ib_plan *p)
{
	struct ib_err err = {0};
	struct ib_plan q;
	cJSON *json;
	char *ini, *text;
	const char *path;

	ib_plan_check(p, &err);
	json = ib_plan_to_json(p);
	text = cJSON_PrintUnformatted(json);
	if (!text)
		fuzz_fail("plan JSON does not print");
	cJSON_free(text);
	cJSON_Delete(json);
	for (int j = 0; j < p->njobs; j++) {
		const struct ib_workload_def *wl = p->jobs[j].wl;
		struct ib_strv args = {0};

		ib_job_probe_args(&p->jobs[j], &args);
		/* the workload, its parameters (an application's: the probe's
		 * serve and its one argument, the parameters being the
		 * host's), and --reps N if it repeats */
		if (args.n != (wl->probe_workload ? 1 + (wl->probe_arg != NULL)
						  : 1 + wl->nparams) +
				      (p->jobs[j].reps_per_launch > 1 ? 2 : 0))
			fuzz_fail("probe arguments of job '%s'", p->jobs[j].name);
		ib_strv_free(&args);
	}
	ini = ib_plan_to_ini(p);
	if (!round_trip_applies(p, ini)) {
		free(ini);
		return;
	}
	path = fuzz_file_set(1, ini, strlen(ini));
	ib_plan_init(&q, 0);
	if (ib_plan_load(&q, path, &err) != 0)
		fuzz_fail("plan.ini of a valid plan does not load: %s\n%s",
			  err.msg, ini);
	same_plan(p, &q);
	ib_plan_free(&q);
	free(ini);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file_set(0, data, size);
	struct ib_err err = {0};
	struct ib_plan p;

	ib_plan_init(&p, 0);
	if (ib_plan_load(&p, path, &err) == 0)
		use_plan(&p);
	else if (!err.msg[0] || err.code >= 0)
		fuzz_fail("plan rejected without a message");
	ib_plan_free(&p);
	return 0;
}
