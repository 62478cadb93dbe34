/* run/progress: where the run is, with an estimate of the time left,
 * handed to the reporter (the command line draws it on a terminal). */
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


/* --- progress ------------------------------------------------------------ */

/* Seconds a launch of this cell takes: its own average, else that of the
 * same benchmark elsewhere, else a guess. */
static double per_launch(const struct run *R, const struct cell_state *c)
{
	double sum = 0;
	int n = 0;

	if (c->launches + c->warmups > 0)
		return c->seconds / (c->launches + c->warmups);
	for (int i = 0; i < R->ncells; i++) {
		const struct cell_state *o = &R->cells[i];

		if (o->job->wl == c->job->wl && o->launches + o->warmups > 0) {
			sum += o->seconds / (o->launches + o->warmups);
			n++;
		}
	}
	return n ? sum / n : 5.0;
}

/* Remaining time between the least (min_reps only) and the most (every
 * bound reached) the policy allows. */
static void eta(const struct run *R, double *lo, double *hi)
{
	const struct ib_plan *p = R->plan;

	*lo = *hi = 0;
	for (int i = 0; i < R->ncells; i++) {
		const struct cell_state *c = &R->cells[i];
		double per = per_launch(R, c), need, most;
		int wu = p->warmup - c->warmups;
		int batch = c->job->reps_per_launch;
		int reps = c->launches * batch;
		/* launches still needed for min_reps, and allowed by max_reps */
		int lmin = p->min_reps > reps ? (p->min_reps - reps + batch - 1) / batch : 0;
		int lmax = p->max_reps > reps ? (p->max_reps - reps + batch - 1) / batch : 0;

		if (c->done)
			continue;
		need = (double)(lmin + (wu > 0 ? wu : 0)) * per;
		most = (double)lmax * per;
		if (p->max_time - c->seconds + per < most)
			most = p->max_time - c->seconds + per;
		*lo += need;
		*hi += most > need ? most : need;
	}
}

void run_progress(struct run *R, const struct cell_state *c, int warmup)
{
	const struct ib_reporter *rep = R->o->reporter;
	struct ib_progress p = {.ncells = R->ncells, .runtime = c->rt->label,
				.job = c->job->name, .warmup = warmup,
				.launch = warmup ? c->warmups + 1
						 : c->launches + 1};

	if (!rep || !rep->progress)
		return;
	for (int i = 0; i < R->ncells; i++)
		p.cells_done += R->cells[i].done;
	eta(R, &p.eta_lo_s, &p.eta_hi_s);
	p.elapsed_s = run_since_start(R);
	rep->progress(rep->ctx, &p);
}

void run_progress_clear(struct run *R)
{
	const struct ib_reporter *rep = R->o->reporter;

	if (rep && rep->progress)
		rep->progress(rep->ctx, NULL);
}
