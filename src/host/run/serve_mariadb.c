/* run/serve_mariadb: the mariadb benchmark's host side.
 *
 * The data set is prepared once per run (and per size) in the run's work
 * directory, on the host (ib_mariadb_prepare_data). It is the template:
 * each launch gets a copy, so that preparing is never measured and no
 * launch sees another's writes. Where the copy is (`datadir`):
 * - scratch: the run's scratch directory on the host (native's own files,
 *   a container's /scratch), the probe copying the template before the
 *   server starts (--serve-seed); for a VM, an ext4 disk image isobench
 *   formats with the data set (mkfs.ext4 -d), attached as its virtio-blk
 *   disk and mounted by the probe (--serve-mount);
 * - tmpfs: memory of the instance's own, the template copied in by the
 *   probe: a container runtime's tmpfs mount, or one the probe mounts
 *   (--serve-tmpfs: native, in a mount namespace of its own; a VM).
 * The template reaches a container or VM hard-linked into (or archived
 * with) its root at /isobench-app/seed; native's probe reads it in place.
 *
 * Each point of the sweep (test x threads) is a sysbench run from the
 * host over the instance's link (each test's first after a warm-up run),
 * its figures logged as host samples of the launch, as nginx's are. */
#include "run/internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apps/mariadb.h"
#include "engines/sysbench_oltp.h"
#include "images/app_image.h"
#include "runtime/drivers/oci.h"

#define SYSBENCH_SCRIPTS "/usr/share/sysbench"

/* The job's data set, prepared at its first launch; NULL with err set if
 * it cannot be (every later launch says why). */
static struct run_dataset *dataset(struct run *R, const struct ib_job *job,
				   struct ib_err *err)
{
	int tables = atoi(ib_job_value(job, "tables"));
	int size = atoi(ib_job_value(job, "table_size"));
	struct run_dataset *d = NULL;
	uint64_t t0;

	for (size_t i = 0; i < IB_ARRAY_LEN(R->datasets) && !d; i++)
		if (!R->datasets[i].tables ||
		    (R->datasets[i].tables == tables &&
		     R->datasets[i].table_size == size))
			d = &R->datasets[i];
	if (!d) {
		ib_err_set(err, -ENOSPC, "more mariadb data set sizes in one "
			   "run than isobench keeps");
		return NULL;
	}
	if (d->dir || d->why) {
		if (d->why)
			ib_err_set(err, -EINVAL, "%s", d->why);
		return d->dir ? d : NULL;
	}
	d->tables = tables;
	d->table_size = size;
	{
		char *dir = ib_xasprintf("%s/mariadb-data-%dx%d", R->work,
					 tables, size);

		t0 = ib_mono_ns();
		run_say(R, IB_REPORT_NOTE, "mariadb: preparing the data set "
			"(%d tables x %d rows) in %s", tables, size, dir);
		if (ib_mariadb_prepare_data(dir, tables, size, run_signal,
					    &d->bytes, err) < 0) {
			d->why = ib_xasprintf("the data set: %s", err->msg);
			ib_err_set(err, -EINVAL, "%s", d->why);
			free(dir);
			return NULL;
		}
		d->dir = ib_xasprintf("%s/image/data", dir);
		free(dir);
	}
	run_say(R, IB_REPORT_NOTE, "mariadb: the data set, %.1f MiB, prepared "
		"in %.1f s", (double)d->bytes / 1048576,
		(double)(ib_mono_ns() - t0) / 1e9);
	return d;
}

int run_mariadb_prepare(struct run *R, struct cell_state *c,
			struct one_launch *x, struct ib_err *err)
{
	enum ib_apps how = c->rt->ops->apps;
	int tmpfs = !strcmp(ib_job_value(c->job, "datadir"), "tmpfs");
	char *dir = NULL, *root = NULL, *files = NULL, *seed = NULL;
	char *datadir = NULL, *sb = ib_which("sysbench");
	char *mpd = ib_which("my_print_defaults");
	const char *prefix, *missing = NULL;
	struct run_dataset *d;
	int rc;

	if (access(IB_MARIADB_BIN, X_OK) != 0)
		missing = IB_MARIADB_BIN;
	else if (access(IB_MARIADB_INSTALL_DB, X_OK) != 0)
		missing = IB_MARIADB_INSTALL_DB;
	else if (!sb)
		missing = "sysbench";
	else if (!mpd) /* mariadb-install-db runs it */
		missing = "my_print_defaults (mariadb-client-core)";
	free(sb);
	free(mpd);
	if (missing)
		return ib_err_set(err, -ENOENT, "%s is not installed "
				  "(scripts/setup.sh installs it)", missing);
	d = dataset(R, c->job, err);
	if (!d)
		return -EINVAL;
	dir = ib_xasprintf("%s/app-%d", R->work, x->l.id);
	rc = ib_mkdir_private(dir, 0755, 1, err);
	if (rc < 0)
		goto out;
	if (how == IB_APPS_HOST) {
		/* native: the host's mariadbd, the template where it is */
		files = ib_xstrdup(dir);
		prefix = dir;
		seed = ib_xstrdup(d->dir);
	} else {
		char *in_root;

		rc = run_serve_root(R, x, "mariadb", ib_mariadb_manifest, dir,
				    &root, err);
		if (rc < 0)
			goto out;
		files = ib_xasprintf("%s%s", root, IB_APP_PREFIX);
		prefix = IB_APP_PREFIX;
		if (how == IB_APPS_RAMROOT && !tmpfs) {
			/* a VM: the data set on a disk of its own */
			char *image = ib_xstrdup(d->dir);

			*strrchr(image, '/') = '\0'; /* .../image/data */
			rc = run_serve_data_disk(dir, image, d->bytes,
						 &x->scratch_data, err);
			free(image);
			if (rc < 0)
				goto out;
			x->l.app_disk = x->scratch_data;
			datadir = ib_xasprintf("%s/disk/data", IB_APP_PREFIX);
		} else {
			/* the template, hard-linked: the probe only reads it */
			in_root = ib_xasprintf("%s/seed", files);
			rc = ib_mkdir_private(in_root, 0755, 1, err);
			if (rc == 0)
				rc = ib_app_image_link(d->dir, in_root, err);
			free(in_root);
			if (rc < 0)
				goto out;
			seed = ib_xasprintf("%s/seed", IB_APP_PREFIX);
		}
	}
	if (!datadir && tmpfs) {
		/* memory of the instance's own: a container runtime's tmpfs,
		 * else one the probe mounts (native: in a mount namespace of
		 * its own; a VM: in the guest) */
		datadir = ib_xasprintf("%s/data", prefix);
		if (how == IB_APPS_ROOTFS) {
			x->app_tmpfs = ib_xstrdup(datadir);
			x->l.app_tmpfs = x->app_tmpfs;
		} else {
			ib_strv_push(&x->args, "--serve-tmpfs");
			ib_strv_push(&x->args, datadir);
		}
	} else if (!datadir) {
		/* the scratch directory: the host's, at /scratch in a
		 * container */
		x->scratch_data = ib_xasprintf("%s/mariadb-%d", R->ctx.scratch,
					    x->l.id);
		datadir = how == IB_APPS_HOST
				  ? ib_xstrdup(x->scratch_data)
				  : ib_xasprintf("%s/mariadb-%d", IB_OCI_SCRATCH,
						 x->l.id);
	}
	rc = ib_mariadb_launch_files(files, prefix, datadir,
				     ib_mariadb_pool_bytes(d->bytes), err);
	if (rc < 0)
		goto out;
	/* options before the workload's name */
	ib_strv_push(&x->args, "--serve-argv");
	ib_strv_push_owned(&x->args, ib_xasprintf("%s/serve-argv", prefix));
	if (x->l.app_disk) {
		ib_strv_push(&x->args, "--serve-mount");
		ib_strv_push_owned(&x->args, ib_xasprintf("/dev/vda:%s/disk",
							  IB_APP_PREFIX));
	} else {
		ib_strv_push(&x->args, "--serve-seed");
		ib_strv_push_owned(&x->args, ib_xasprintf("%s:%s", seed, datadir));
	}
	if (root) {
		x->app_root = root;
		x->l.app_root = root;
		root = NULL;
	}
out:
	free(datadir), free(seed), free(files), free(root);
	free(dir);
	return rc;
}

double run_mariadb_seconds(const struct ib_job *job)
{
	/* sysbench's own start and its connections: a few seconds a run */
	return run_serve_sweep_seconds(job, "tests", "threads", 6);
}

/* One point's figures as host samples of launch id. */
static void log_point(struct run *R, int id, const char *test, int threads,
		      const struct ib_sysbench_result *r, double cpu_s)
{
	const struct run_point pt = {"test", test, "threads", threads};

	run_log_host_point(R, id, "mariadb", "transactions_per_s", "trans/s",
			   1, r->transactions_per_s, &pt);
	run_log_host_point(R, id, "mariadb", "queries_per_s", "queries/s", 1,
			   r->queries_per_s, &pt);
	run_log_host_point(R, id, "mariadb", "latency_p95", "ms", 0,
			   r->lat_p95_ms, &pt);
	run_log_host_point(R, id, "mariadb", "latency_p99", "ms", 0,
			   r->lat_p99_ms, &pt);
	if (r->events > 0 && cpu_s >= 0)
		run_log_host_point(R, id, "mariadb",
				   "host_cpu_per_1k_transactions", "ms", 0,
				   cpu_s * 1e3 / (r->events / 1000), &pt);
	if (r->errors > 0 || r->reconnects > 0) {
		char *v = ib_xasprintf("test=%s threads=%d: %.0f errors, %.0f "
				       "reconnects", test, threads, r->errors,
				       r->reconnects);

		run_log_host_info(R, id, "mariadb", "point_with_errors", v);
		free(v);
	}
}

/* Where a launch's data is, said. */
static const char *datadir_text(enum ib_apps how, int tmpfs)
{
	if (how == IB_APPS_HOST)
		return tmpfs ? "a copy in a tmpfs the probe mounts (in a mount "
			       "namespace of its own)"
			     : "a copy in the run's scratch directory on the "
			       "host";
	if (how == IB_APPS_RAMROOT)
		return tmpfs ? "a copy in a tmpfs in the guest"
			     : "an ext4 disk image isobench formatted with the "
			       "data set on the host, the guest's virtio-blk "
			       "disk (cache=none), mounted by the probe";
	return tmpfs ? "a copy in a tmpfs the container runtime mounts"
		     : "a copy in the container's /scratch (the run's scratch "
		       "directory on the host, bind-mounted)";
}

/* The launch's notes: where sysbench runs, where the data is. */
static void log_setup(struct run *R, struct cell_state *c,
		      struct one_launch *x, const char *sysbench, int nset,
		      const char *list)
{
	char *note;
	const struct run_dataset *d;
	struct ib_err e = {0};
	int tables = atoi(ib_job_value(c->job, "tables"));
	int size = atoi(ib_job_value(c->job, "table_size"));

	if (nset)
		note = ib_xasprintf("sysbench %s on the host, pinned to CPU %s "
				    "(the instances have the first %d; native "
				    "is not limited)", sysbench, list,
				    R->ctx.limits.cpus);
	else
		note = ib_xasprintf("sysbench %s on the host, not pinned: the "
				    "instance may use every CPU (--cpus N "
				    "leaves sysbench the others)", sysbench);
	run_log_host_info(R, x->l.id, "mariadb", "load", note);
	free(note);
	note = ib_xstrdup(datadir_text(c->rt->ops->apps,
				       !strcmp(ib_job_value(c->job, "datadir"),
					       "tmpfs")));
	run_log_host_info(R, x->l.id, "mariadb", "datadir", note);
	free(note);
	d = dataset(R, c->job, &e); /* prepared by the launch's files */
	if (d) {
		note = ib_xasprintf("%d tables x %d rows, %.1f MiB; buffer pool "
				    "%.0f MiB", tables, size,
				    (double)d->bytes / 1048576,
				    (double)ib_mariadb_pool_bytes(d->bytes) /
					    1048576);
		run_log_host_info(R, x->l.id, "mariadb", "data_set", note);
		free(note);
	}
}

/* Writes the wrapper of each test in the launch's directory. */
static int write_scripts(struct run *R, struct one_launch *x,
			 const struct ib_strv *tests)
{
	struct ib_err e = {0};

	for (int i = 0; i < tests->n; i++) {
		char *src = ib_xasprintf("%s/%s.lua", SYSBENCH_SCRIPTS,
					 tests->v[i]);
		char *path = ib_xasprintf("%s/app-%d/sb-%s.lua", R->work,
					  x->l.id, tests->v[i]);
		int rc = access(src, R_OK) == 0
				 ? ib_sysbench_write_script(path, SYSBENCH_SCRIPTS,
							    tests->v[i], &e)
				 : ib_err_set(&e, -ENOENT, "%s: no such sysbench "
					      "script", src);

		free(src), free(path);
		if (rc < 0) {
			snprintf(x->why, sizeof(x->why), "sysbench's script: %s",
				 e.msg);
			return -1;
		}
	}
	return 0;
}

int run_mariadb_load(struct run *R, struct cell_state *c, struct one_launch *x)
{
	struct ib_strv tests = {0}, threads = {0};
	struct ib_err e = {0};
	char *sysbench = ib_which("sysbench"), list[256];
	double d = 0, w = 0;
	cpu_set_t set;
	int rc = 0, nset = run_serve_load_cpus(R, &set, list, sizeof(list));
	const char *addr = run_serve_addr(x);
	struct ib_sysbench_opts o = {
		.sysbench = sysbench, .host = addr, .port = IB_MARIADB_PORT,
		.user = IB_MARIADB_USER, .password = IB_MARIADB_PASSWORD,
		.tables = atoi(ib_job_value(c->job, "tables")),
		.table_size = atoi(ib_job_value(c->job, "table_size")),
		.command = "run"};

	if (!sysbench || !addr) {
		if (!sysbench)
			snprintf(x->why, sizeof(x->why), "sysbench is not "
				 "installed (scripts/setup.sh installs it)");
		free(sysbench);
		return -1;
	}
	ib_strv_split(&tests, ib_job_value(c->job, "tests"));
	ib_strv_split(&threads, ib_job_value(c->job, "threads"));
	ib_parse_seconds(ib_job_value(c->job, "duration"), &d);
	ib_parse_seconds(ib_job_value(c->job, "warmup"), &w);
	log_setup(R, c, x, sysbench, nset, list);
	rc = write_scripts(R, x, &tests);
	for (int t = 0; t < tests.n && rc == 0 && !run_signal(); t++)
		for (int k = 0; k < threads.n && rc == 0 && !run_signal(); k++) {
			struct ib_sysbench_result res;
			char *script = ib_xasprintf("%s/app-%d/sb-%s.lua",
						    R->work, x->l.id,
						    tests.v[t]);
			double cpu0, cpu1;
			cpu_set_t old;
			int pinned;

			o.script = script;
			o.threads = atoi(threads.v[k]);
			pinned = run_serve_pin(&set, nset, &old);
			/* the warm-up once per test: a later point
			 * follows the previous point's load */
			if (w > 0 && k == 0) {
				o.seconds = (int)ceil(w);
				rc = ib_sysbench_run(&o, NULL, &res, NULL, &e);
			}
			o.seconds = (int)ceil(d);
			cpu0 = run_serve_instance_cpu_s(c, x);
			if (rc == 0)
				rc = ib_sysbench_run(&o, NULL, &res, NULL, &e);
			cpu1 = run_serve_instance_cpu_s(c, x);
			run_serve_unpin(pinned, &old);
			if (rc == 0)
				log_point(R, x->l.id, tests.v[t], o.threads,
					  &res, cpu1 - cpu0);
			else
				snprintf(x->why, sizeof(x->why),
					 "sysbench %s at threads=%d: %s",
					 tests.v[t], o.threads, e.msg);
			free(script);
			run_progress(R, c, 0);
		}
	ib_strv_free(&tests);
	ib_strv_free(&threads);
	free(sysbench);
	return rc < 0 ? -1 : 0;
}
