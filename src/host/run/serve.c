/* run/serve: the application benchmarks' host side, by benchmark: the
 * table of applications, each one's own part a file (serve_nginx.c,
 * serve_mariadb.c), and what they share in serve_shared.c.
 *
 * The instance runs the probe's `serve` with the server's command line
 * from a file isobench wrote; once the probe says it holds (the server
 * accepts), the host sweeps the load over the instance's link (the net
 * benchmark's), one run of the load generator per point after a warm-up
 * run, and logs each point's figures as host samples of the launch; then
 * the instance is asked to end, and the probe stops the server and
 * reports its CPU time and exit. Everything else (the launch, its
 * deadline, verdict and teardown) is run_launch's. */
#include "run/internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* The applications, by benchmark name. */
static const struct app {
	const char *name;
	int (*prepare)(struct run *R, struct cell_state *c,
		       struct one_launch *x, struct ib_err *err);
	int (*load)(struct run *R, struct cell_state *c, struct one_launch *x);
	double (*seconds)(const struct ib_job *job);
} apps[] = {
	{"nginx", run_nginx_prepare, run_nginx_load, run_nginx_seconds},
	{"mariadb", run_mariadb_prepare, run_mariadb_load, run_mariadb_seconds},
};

static const struct app *app_of(const struct ib_job *job)
{
	for (size_t i = 0; i < IB_ARRAY_LEN(apps); i++)
		if (!strcmp(apps[i].name, job->wl->name))
			return &apps[i];
	return NULL;
}

int run_serve_prepare(struct run *R, struct cell_state *c,
		      struct one_launch *x, struct ib_err *err)
{
	const struct app *a = app_of(c->job);

	return a ? a->prepare(R, c, x, err)
		 : ib_err_set(err, -EINVAL, "%s: not an application isobench "
			      "knows", c->job->wl->name);
}

double run_serve_seconds(const struct ib_job *job)
{
	const struct app *a = app_of(job);

	return a ? a->seconds(job) : 0;
}

int run_serve_load(struct run *R, struct cell_state *c, struct one_launch *x)
{
	const struct app *a = app_of(c->job);

	if (!a) {
		snprintf(x->why, sizeof(x->why), "%s: not an application "
			 "isobench knows", c->job->wl->name);
		return -1;
	}
	if (x->app_image)
		run_log_host_info(R, x->l.id, a->name, "image", x->app_image);
	return a->load(R, c, x);
}
