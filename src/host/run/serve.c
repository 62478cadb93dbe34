/* run/serve: an application benchmark's host side (nginx under wrk).
 *
 * The instance runs the probe's `serve` with the server's command line
 * from a file isobench wrote; once the probe says it holds (the server
 * accepts), the host sweeps the load over the instance's link (the net
 * benchmark's), one wrk run per point after a warm-up run, and logs each
 * point's figures as host samples of the launch; then the instance is
 * asked to end, and the probe stops the server and reports its CPU time
 * and exit. Everything else (the launch, its deadline, verdict and
 * teardown) is run_launch's. */
#include "run/internal.h"

#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/footprint.h"
#include "common/argv_file.h"
#include "common/cpus.h"
#include "apps/nginx.h"
#include "engines/wrk.h"
#include "images/app_image.h"
#include "net/net_link.h"

/* nginx's image for the run, built at its first application launch in a
 * runtime that takes one (IB_APPS_ROOTFS), in the run's work directory;
 * NULL with err set if it cannot be (and every later launch says why). */
static const char *app_image(struct run *R, struct ib_err *err)
{
	struct ib_app_manifest m = {0};
	uint64_t bytes = 0;
	char *dir;

	if (R->app_image || R->app_image_why) {
		if (R->app_image_why)
			ib_err_set(err, -EINVAL, "%s", R->app_image_why);
		return R->app_image;
	}
	dir = ib_xasprintf("%s/app-image-nginx", R->work);
	if (ib_app_manifest_parse(ib_nginx_manifest, strlen(ib_nginx_manifest),
				  "nginx's manifest", &m, err) < 0 ||
	    ib_app_image_build(&m, dir, &bytes, err) < 0) {
		R->app_image_why = ib_xasprintf("nginx's image: %s", err->msg);
		ib_err_set(err, -EINVAL, "%s", R->app_image_why);
		free(dir);
	} else {
		R->app_image = dir;
		run_say(R, IB_REPORT_NOTE, "nginx's image: %.1f MiB in %s",
			(double)bytes / 1048576, dir);
	}
	ib_app_manifest_free(&m);
	return R->app_image;
}

/* nginx's worker processes: as many as the instances' CPUs (native's
 * too, so that the columns compare the same server). */
static int workers(const struct run *R)
{
	return R->ctx.limits.cpus > 0 ? R->ctx.limits.cpus : ib_usable_cpus();
}

int run_serve_prepare(struct run *R, struct cell_state *c,
		      struct one_launch *x, struct ib_err *err)
{
	enum ib_apps how = c->rt->ops->apps;
	char *dir = ib_xasprintf("%s/app-%d", R->work, x->l.id);
	char *root = NULL, *files = NULL, *argv_file = NULL;
	struct ib_strv sizes = {0};
	const char *prefix;
	int rc;

	if (access(IB_NGINX_BIN, X_OK) != 0) {
		rc = ib_err_set(err, -ENOENT, "%s is not installed "
				"(scripts/setup.sh installs nginx)",
				IB_NGINX_BIN);
		goto out;
	}
	rc = ib_mkdir_private(dir, 0755, 1, err);
	if (rc < 0)
		goto out;
	if (how == IB_APPS_HOST) {
		/* native: the host's nginx, its files where they are */
		files = ib_xstrdup(dir);
		prefix = dir;
	} else {
		/* a root of its own: the image and the launch's files */
		const char *image = app_image(R, err);

		if (!image) {
			rc = -EINVAL;
			goto out;
		}
		root = ib_xasprintf("%s/root", dir);
		files = ib_xasprintf("%s%s", root, IB_APP_PREFIX);
		prefix = IB_APP_PREFIX;
		rc = ib_mkdir_private(root, 0755, 1, err);
		if (rc == 0)
			rc = ib_app_image_link(image, root, err);
		if (rc == 0)
			rc = ib_app_root_etc(root, err);
		if (rc == 0)
			rc = ib_mkdir_private(files, 0755, 1, err);
		if (rc < 0)
			goto out;
	}
	ib_strv_split(&sizes, ib_job_value(c->job, "sizes"));
	rc = ib_nginx_launch_files(files, prefix, workers(R), &sizes, err);
	if (rc < 0)
		goto out;
	argv_file = ib_xasprintf("%s/serve-argv", prefix);
	/* options before the workload's name */
	ib_strv_push(&x->args, "--serve-argv");
	ib_strv_push_owned(&x->args, argv_file);
	if (root) {
		x->app_root = root;
		x->l.app_root = root;
		root = NULL;
	}
out:
	ib_strv_free(&sizes);
	free(files), free(root), free(dir);
	return rc;
}

/* CPU time (user + system, seconds) of every host process of the
 * instance now: those footprint counts as the instance's. */
static double instance_cpu_s(struct cell_state *c, struct one_launch *x)
{
	struct ib_fp_set set;

	ib_runtime_instance_procs(c->rt, &x->l, &set);
	return ib_fp_cpu_s(&set);
}

/* One point's figures as host samples of launch id. */
static void log_point(struct run *R, int id, const char *size, int conns,
		      const struct ib_wrk_result *w, double cpu_s)
{
	static const struct {
		const char *metric, *unit;
		int higher;
		size_t off;
		double scale;
	} m[] = {
		{"requests_per_s", "req/s", 1,
		 offsetof(struct ib_wrk_result, requests_per_s), 1},
		{"mb_per_s", "MB/s", 1, offsetof(struct ib_wrk_result, mb_per_s), 1},
		{"latency_p50", "ms", 0, offsetof(struct ib_wrk_result, lat_p50_us),
		 1e-3},
		{"latency_p90", "ms", 0, offsetof(struct ib_wrk_result, lat_p90_us),
		 1e-3},
		{"latency_p99", "ms", 0, offsetof(struct ib_wrk_result, lat_p99_us),
		 1e-3},
	};
	double errors = (double)(w->err_connect + w->err_read + w->err_write +
				 w->err_timeout) +
			(strcmp(size, "404") ? (double)w->err_status : 0);

	for (size_t i = 0; i < IB_ARRAY_LEN(m); i++)
		run_log_host_point(R, id, "nginx", m[i].metric, m[i].unit,
				   m[i].higher,
				   *(const double *)((const char *)w + m[i].off) *
					   m[i].scale,
				   size, conns);
	if (w->requests > 0 && cpu_s >= 0)
		run_log_host_point(R, id, "nginx", "host_cpu_per_1k_requests",
				   "ms", 0, cpu_s * 1e3 / (w->requests / 1000),
				   size, conns);
	if (errors > 0) {
		char *v = ib_xasprintf(
			"size=%s connections=%d: %.0f errors (connect %llu, read "
			"%llu, write %llu, timeout %llu, non-2xx %llu)",
			size, conns, errors, (unsigned long long)w->err_connect,
			(unsigned long long)w->err_read,
			(unsigned long long)w->err_write,
			(unsigned long long)w->err_timeout,
			(unsigned long long)w->err_status);

		run_log_host_info(R, id, "nginx", "point_with_errors", v);
		free(v);
	}
}

double run_serve_seconds(const struct ib_job *job)
{
	struct ib_strv sizes = {0}, conns = {0};
	double d = 0, w = 0, t;

	ib_strv_split(&sizes, ib_job_value(job, "sizes"));
	ib_strv_split(&conns, ib_job_value(job, "connections"));
	ib_parse_seconds(ib_job_value(job, "duration"), &d);
	ib_parse_seconds(ib_job_value(job, "warmup"), &w);
	t = (double)sizes.n * conns.n * (ceil(d) + ceil(w) + 1);
	ib_strv_free(&sizes);
	ib_strv_free(&conns);
	return t;
}

/* The CPUs the load generator may have to itself: those of isobench's own
 * affinity that no instance is given (the run's --cpus N gives containers
 * and VMs CPUs 0..N-1; native is never limited). Their count, 0 if none:
 * then wrk runs on every CPU, beside the instance. */
static int load_cpus(const struct run *R, cpu_set_t *set, char *text,
		     size_t cap)
{
	cpu_set_t own;
	int n = 0, len = 0;

	CPU_ZERO(set);
	text[0] = '\0';
	if (R->ctx.limits.cpus <= 0 || sched_getaffinity(0, sizeof(own), &own))
		return 0;
	for (int i = R->ctx.limits.cpus; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &own)) {
			CPU_SET(i, set);
			n++;
			if (len >= 0 && (size_t)len < cap)
				len += snprintf(text + len, cap - (size_t)len,
						"%s%d", len ? "," : "", i);
		}
	return n;
}

/* Runs wrk once, on set's CPUs if it has any (the calling thread's
 * affinity is what the child inherits; put back afterwards). */
static int wrk_on(const struct ib_wrk_opts *o, const cpu_set_t *set, int nset,
		  struct ib_wrk_result *res, struct ib_err *e)
{
	cpu_set_t old;
	int pinned = nset > 0 && sched_getaffinity(0, sizeof(old), &old) == 0 &&
		     sched_setaffinity(0, sizeof(*set), set) == 0;
	int rc = ib_wrk_run(o, res, NULL, e);

	if (pinned)
		sched_setaffinity(0, sizeof(old), &old);
	return rc;
}

int run_serve_load(struct run *R, struct cell_state *c, struct one_launch *x)
{
	struct ib_strv sizes = {0}, conns = {0};
	struct ib_wrk_opts o = {0};
	struct ib_err e = {0};
	char *wrk = ib_which("wrk"), *script = NULL, *note, list[256];
	double d = 0, w = 0;
	cpu_set_t set;
	int rc = 0, nset = load_cpus(R, &set, list, sizeof(list));
	int cpus = nset ? nset : ib_usable_cpus();
	const char *addr = x->l.inst_addr[0] ? x->l.inst_addr
					     : x->net->inst_addr;

	if (!wrk || !addr[0]) {
		snprintf(x->why, sizeof(x->why), "%s",
			 !wrk ? "wrk is not installed (scripts/setup.sh "
				"installs it)"
			      : "the instance's address on its link is not "
				"known: nothing to load");
		free(wrk);
		return -1;
	}
	script = ib_xasprintf("%s/app-%d/done.lua", R->work, x->l.id);
	if (ib_wrk_write_script(script, &e) < 0) {
		snprintf(x->why, sizeof(x->why), "wrk's script: %s", e.msg);
		free(wrk), free(script);
		return -1;
	}
	ib_strv_split(&sizes, ib_job_value(c->job, "sizes"));
	ib_strv_split(&conns, ib_job_value(c->job, "connections"));
	ib_parse_seconds(ib_job_value(c->job, "duration"), &d);
	ib_parse_seconds(ib_job_value(c->job, "warmup"), &w);
	if (nset)
		note = ib_xasprintf("wrk %s on the host, pinned to CPU %s (the "
				    "instances have the first %d; native is "
				    "not limited), threads = min(connections, "
				    "%d)", wrk, list, R->ctx.limits.cpus, cpus);
	else
		note = ib_xasprintf("wrk %s on the host, threads = "
				    "min(connections, %d CPUs), not pinned: "
				    "the instance may use every CPU (--cpus N "
				    "leaves wrk the others)", wrk, cpus);
	run_log_host_info(R, x->l.id, "nginx", "load", note);
	free(note);
	note = ib_xasprintf("%d", workers(R));
	run_log_host_info(R, x->l.id, "nginx", "worker_processes", note);
	free(note);
	o.wrk = wrk;
	o.script = script;
	o.timeout_s = 10;
	for (int s = 0; s < sizes.n && rc == 0 && !run_signal(); s++)
		for (int k = 0; k < conns.n && rc == 0 && !run_signal(); k++) {
			struct ib_wrk_result res;
			char *url = ib_xasprintf(
				"http://%s:%d/%s", addr, IB_NGINX_PORT,
				ib_nginx_path(sizes.v[s]));
			double cpu0, cpu1;

			o.url = url;
			o.connections = atoi(conns.v[k]);
			o.threads = o.connections < cpus ? o.connections : cpus;
			if (w > 0) {
				o.seconds = (int)ceil(w);
				rc = wrk_on(&o, &set, nset, &res, &e);
			}
			o.seconds = (int)ceil(d);
			cpu0 = instance_cpu_s(c, x);
			if (rc == 0)
				rc = wrk_on(&o, &set, nset, &res, &e);
			cpu1 = instance_cpu_s(c, x);
			if (rc == 0)
				log_point(R, x->l.id, sizes.v[s], o.connections,
					  &res, cpu1 - cpu0);
			else
				snprintf(x->why, sizeof(x->why),
					 "wrk at size=%s connections=%d: %s",
					 sizes.v[s], o.connections, e.msg);
			free(url);
			run_progress(R, c, 0);
		}
	ib_strv_free(&sizes);
	ib_strv_free(&conns);
	free(wrk), free(script);
	return rc < 0 ? -1 : 0;
}
