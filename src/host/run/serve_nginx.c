/* run/serve_nginx: the nginx benchmark's host side: each launch's files
 * (nginx.conf, the document root, the command line; in an instance's root
 * of its own with nginx's image) and the load, one wrk run per point of
 * the sweep (sizes x connections), each size's first after a warm-up
 * run, each point's figures logged as host samples of the launch. */
#include "run/internal.h"

#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apps/nginx.h"
#include "common/cpus.h"
#include "engines/wrk.h"
#include "common/params.h"
#include "images/app_image.h"
#include "runtime/drivers/oci.h"

/* nginx's worker processes: as many as the instances' CPUs (native's
 * too, so that the columns compare the same server). */
static int workers(const struct run *R)
{
	return R->ctx.limits.cpus > 0 ? R->ctx.limits.cpus : ib_usable_cpus();
}

/* Where a launch's served files are, said. */
static const char *docroot_text(enum ib_apps how, int scratch)
{
	if (!scratch)
		return how == IB_APPS_HOST ? "the launch's directory on the host"
		       : how == IB_APPS_RAMROOT
			       ? "the guest's root (its initramfs, in memory)"
			       : "the container's root filesystem";
	return how == IB_APPS_HOST ? "the run's scratch directory on the host"
	       : how == IB_APPS_RAMROOT
		       ? "an ext4 disk image isobench formatted with the files "
			 "on the host, the guest's virtio-blk disk (cache=none), "
			 "mounted by the probe"
		       : "the container's /scratch (the run's scratch "
			 "directory on the host, bind-mounted)";
}

int run_nginx_prepare(struct run *R, struct cell_state *c,
		      struct one_launch *x, struct ib_err *err)
{
	enum ib_apps how = c->rt->ops->apps;
	int scratch = !strcmp(ib_job_value(c->job, "docroot"), "scratch");
	char *dir = ib_xasprintf("%s/app-%d", R->work, x->l.id);
	char *root = NULL, *files = NULL, *argv_file = NULL;
	char *www = NULL, *www_in = NULL, *tree = NULL;
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
		rc = run_serve_root(R, x, "nginx", ib_nginx_manifest, dir, &root,
				    err);
		if (rc < 0)
			goto out;
		files = ib_xasprintf("%s%s", root, IB_APP_PREFIX);
		prefix = IB_APP_PREFIX;
	}
	if (!scratch) {
		www = ib_xasprintf("%s/www", files);
		www_in = ib_xasprintf("%s/www", prefix);
	} else if (how == IB_APPS_RAMROOT) {
		/* a VM: the files on a disk of their own */
		tree = ib_xasprintf("%s/disk", dir);
		rc = ib_mkdir_private(tree, 0755, 1, err);
		if (rc < 0)
			goto out;
		www = ib_xasprintf("%s/www", tree);
		www_in = ib_xasprintf("%s/disk/www", IB_APP_PREFIX);
	} else {
		/* the run's scratch directory, a container's /scratch */
		x->scratch_data = ib_xasprintf("%s/nginx-%d", R->ctx.scratch,
					       x->l.id);
		www = ib_xstrdup(x->scratch_data);
		www_in = how == IB_APPS_HOST
				 ? ib_xstrdup(www)
				 : ib_xasprintf("%s/nginx-%d", IB_OCI_SCRATCH,
						x->l.id);
	}
	ib_strv_split(&sizes, ib_job_value(c->job, "sizes"));
	rc = ib_nginx_launch_files(files, prefix, www, www_in, workers(R),
				   &sizes, err);
	if (rc == 0 && tree) {
		uint64_t bytes = 0, n;

		for (int i = 0; i < sizes.n; i++)
			if (ib_parse_size(sizes.v[i], &n) == 0)
				bytes += n;
		rc = run_serve_data_disk(dir, tree, bytes, &x->scratch_data,
					 err);
		x->l.app_disk = x->scratch_data;
	}
	if (rc < 0)
		goto out;
	argv_file = ib_xasprintf("%s/serve-argv", prefix);
	/* options before the workload's name */
	ib_strv_push(&x->args, "--serve-argv");
	ib_strv_push_owned(&x->args, argv_file);
	if (tree) {
		ib_strv_push(&x->args, "--serve-mount");
		ib_strv_push_owned(&x->args, ib_xasprintf("/dev/vda:%s/disk",
							  IB_APP_PREFIX));
	}
	if (root) {
		x->app_root = root;
		x->l.app_root = root;
		root = NULL;
	}
out:
	ib_strv_free(&sizes);
	free(www), free(www_in), free(tree);
	free(files), free(root), free(dir);
	return rc;
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
	const struct run_point pt = {"size", size, "connections", conns};

	for (size_t i = 0; i < IB_ARRAY_LEN(m); i++)
		run_log_host_point(R, id, "nginx", m[i].metric, m[i].unit,
				   m[i].higher,
				   *(const double *)((const char *)w + m[i].off) *
					   m[i].scale,
				   &pt);
	if (w->requests > 0 && cpu_s >= 0)
		run_log_host_point(R, id, "nginx", "host_cpu_per_1k_requests",
				   "ms", 0, cpu_s * 1e3 / (w->requests / 1000),
				   &pt);
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

double run_nginx_seconds(const struct ib_job *job)
{
	return run_serve_sweep_seconds(job, "sizes", "connections", 1);
}


/* Runs wrk once, on set's CPUs if it has any. */
static int wrk_on(const struct ib_wrk_opts *o, const cpu_set_t *set, int nset,
		  struct ib_wrk_result *res, struct ib_err *e)
{
	cpu_set_t old;
	int pinned = run_serve_pin(set, nset, &old);
	int rc = ib_wrk_run(o, res, NULL, e);

	run_serve_unpin(pinned, &old);
	return rc;
}


int run_nginx_load(struct run *R, struct cell_state *c, struct one_launch *x)
{
	struct ib_strv sizes = {0}, conns = {0};
	struct ib_wrk_opts o = {0};
	struct ib_err e = {0};
	char *wrk = ib_which("wrk"), *script = NULL, *note, list[256];
	double d = 0, w = 0;
	cpu_set_t set;
	int rc = 0, nset = run_serve_load_cpus(R, &set, list, sizeof(list));
	int cpus = nset ? nset : ib_usable_cpus();
	const char *addr = run_serve_addr(x);

	if (!wrk || !addr) {
		if (!wrk)
			snprintf(x->why, sizeof(x->why), "wrk is not installed "
				 "(scripts/setup.sh installs it)");
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
	run_log_host_info(R, x->l.id, "nginx", "docroot",
			  docroot_text(c->rt->ops->apps,
				       !strcmp(ib_job_value(c->job, "docroot"),
					       "scratch")));
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
			/* the warm-up once per size: a later point
			 * follows the previous point's load */
			if (w > 0 && k == 0) {
				o.seconds = (int)ceil(w);
				rc = wrk_on(&o, &set, nset, &res, &e);
			}
			o.seconds = (int)ceil(d);
			cpu0 = run_serve_instance_cpu_s(c, x);
			if (rc == 0)
				rc = wrk_on(&o, &set, nset, &res, &e);
			cpu1 = run_serve_instance_cpu_s(c, x);
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
