/* run/policy: when a cell stops: by its workload's stop rule (the RSD
 * target within bounds, a fixed number of launches, rounds), or by
 * failure. */
#include "run/internal.h"

#include <math.h>
#include <stdio.h>

static void cell_finished(struct run *R, struct cell_state *c, const char *why,
			  double rsd)
{
	cJSON *ev = cJSON_CreateObject();

	c->done = 1;
	cJSON_AddStringToObject(ev, "ev", "cell_done");
	cJSON_AddStringToObject(ev, "runtime", c->rt->label);
	cJSON_AddStringToObject(ev, "job", c->job->name);
	cJSON_AddStringToObject(ev, "why", why);
	run_log_event(R, ev);
	{
		char r[32] = "-";

		if (isfinite(rsd))
			snprintf(r, sizeof(r), "%.2f%%", rsd);
		run_say(R, IB_REPORT_CELL,
			"%s/%s: %d launch%s, max RSD %s, stopped by %s (%.0f s "
			"elapsed)", c->rt->label, c->job->name, c->launches,
			c->launches == 1 ? "" : "es", r, why, run_since_start(R));
	}
}

const char *run_stop_rule(const struct ib_plan *p, const struct cell_state *c,
			  double rsd)
{
	uint64_t want = 0;

	/* A cell whose first launch fails would fail again: stop it; one
	 * that has worked tolerates a single failure. */
	if (c->failed > 0 && (c->ok == 0 || c->failed >= 2))
		return "failure";
	if (c->job->wl->stop == IB_STOP_ROUNDS) {
		ib_parse_count(ib_job_value(c->job, "rounds"), &want);
		if (c->failed > 0)
			return "failure";
		return (uint64_t)c->rounds >= want ? "rounds" : NULL;
	}
	/* A fixed number of launches, each a sample of every phase, so
	 * that p90 and p99 mean the same in every column. */
	if (c->job->wl->stop == IB_STOP_LAUNCHES) {
		ib_parse_count(ib_job_value(c->job, "launches"), &want);
		return (uint64_t)c->launches >= want ? "launches" : NULL;
	}
	/* Repetitions, not launches: a launch may run several (--reps). */
	if (c->launches * c->job->reps_per_launch >= p->max_reps)
		return "max_reps";
	if (c->launches * c->job->reps_per_launch < p->min_reps)
		return NULL;
	/* The RSD target is met only across launches: the repetitions of
	 * one launch share its memory placement and its moment, so their
	 * spread says nothing of how launches differ (results.c reads a
	 * ratio from one launch as not known within +-5% either). A cell
	 * whose one launch took max_time stops by that bound below. */
	if (isfinite(rsd) && rsd <= p->rsd_target && c->ok >= 2)
		return "rsd_target";
	if (c->seconds >= p->max_time)
		return "max_time";
	return NULL;
}

void run_check_cell(struct run *R, struct cell_state *c)
{
	struct ib_cell *lc = ib_results_cell(&R->live, c->rt->label,
					     c->job->name);
	double rsd = lc ? ib_cell_max_rsd(&R->live, (int)(lc - R->live.cells),
					  NULL)
			: NAN;
	const char *why = run_stop_rule(R->plan, c, rsd);

	if (why)
		cell_finished(R, c, why, rsd);
}
