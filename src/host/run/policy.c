/* run/policy: when a cell stops: by its workload's stop rule (the RSD
 * target within bounds, a fixed number of launches, rounds), or by
 * failure. */
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


/* --- the policy ---------------------------------------------------------- */

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
	if (!R->tty && !R->o->quiet) {
		char r[32] = "-";

		if (isfinite(rsd))
			snprintf(r, sizeof(r), "%.2f%%", rsd);
		fprintf(stderr,
			"isobench: %s/%s: %d launch%s, max RSD %s, stopped by "
			"%s (%.0f s elapsed)\n",
			c->rt->label, c->job->name, c->launches,
			c->launches == 1 ? "" : "es", r, why, run_since_start(R));
	}
}

void run_check_cell(struct run *R, struct cell_state *c)
{
	const struct ib_plan *p = R->plan;
	struct ib_cell *lc = ib_results_cell(&R->live, c->rt->label,
					     c->job->name);
	double rsd = lc ? ib_cell_max_rsd(&R->live, (int)(lc - R->live.cells),
					  NULL)
			: NAN;

	/* A cell whose first launch fails would fail again: stop it; one
	 * that has worked tolerates a single failure. */
	if (c->failed > 0 && (c->ok == 0 || c->failed >= 2)) {
		cell_finished(R, c, "failure", rsd);
		return;
	}
	if (c->job->wl->stop == IB_STOP_ROUNDS) {
		uint64_t want = 0;

		ib_parse_count(ib_job_value(c->job, "rounds"), &want);
		if (c->failed > 0)
			cell_finished(R, c, "failure", rsd);
		else if ((uint64_t)c->rounds >= want)
			cell_finished(R, c, "rounds", rsd);
		return;
	}
	/* A fixed number of launches, each a sample of every phase, so
	 * that p90 and p99 mean the same in every column. */
	if (c->job->wl->stop == IB_STOP_LAUNCHES) {
		uint64_t want = 0;

		ib_parse_count(ib_job_value(c->job, "launches"), &want);
		if ((uint64_t)c->launches >= want)
			cell_finished(R, c, "launches", rsd);
		return;
	}
	/* Repetitions, not launches: a launch may run several (--reps). */
	if (c->launches * c->job->reps_per_launch >= p->max_reps) {
		cell_finished(R, c, "max_reps", rsd);
		return;
	}
	if (c->launches * c->job->reps_per_launch < p->min_reps)
		return;
	if (isfinite(rsd) && rsd <= p->rsd_target) {
		cell_finished(R, c, "rsd_target", rsd);
		return;
	}
	if (c->seconds >= p->max_time)
		cell_finished(R, c, "max_time", rsd);
}
