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
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/footprint.h"
#include "common/argv_file.h"
#include "common/cpus.h"
#include "engines/wrk.h"
#include "net/net_link.h"

#define NGINX_BIN "/usr/sbin/nginx"
#define SERVE_PORT 8080 /* the probe's serve.port default */

/* The tool on PATH, as an absolute path (caller frees), or NULL. */
static char *on_path(const char *tool)
{
	const char *env = getenv("PATH");
	char *copy = ib_xstrdup(env && *env ? env : "/usr/bin:/bin"), *save;
	char *found = NULL;

	for (char *d = strtok_r(copy, ":", &save); d && !found;
	     d = strtok_r(NULL, ":", &save)) {
		char *p = ib_xasprintf("%s/%s", d, tool);

		if (d[0] == '/' && access(p, X_OK) == 0)
			found = p;
		else
			free(p);
	}
	free(copy);
	return found;
}

/* The file a size word names in the document root ("1k"), its bytes
 * written; "404" has none (nginx answers with its error page). */
static int write_body(const char *www, const char *word, struct ib_err *err)
{
	uint64_t n = 0;
	char *data, *path;
	int rc;

	if (!strcmp(word, "404") || ib_parse_size(word, &n) < 0)
		return 0;
	data = ib_xcalloc(1, n ? n : 1);
	for (uint64_t i = 0; i < n; i++)
		data[i] = (char)('a' + i % 26);
	path = ib_xasprintf("%s/%s", www, word);
	rc = ib_write_file_atomic_mode(path, data, n, 0644, err);
	free(path);
	free(data);
	return rc;
}

/* nginx.conf for an instance with cpus CPUs, everything under prefix. */
static char *nginx_conf(const char *prefix, int cpus)
{
	return ib_xasprintf(
		"# written by isobench for one launch\n"
		"daemon off;\n"
		"master_process on;\n"
		"worker_processes %d;\n"
		"user root root;\n"
		"pid %s/nginx.pid;\n"
		"error_log stderr warn;\n"
		"events { worker_connections 4096; }\n"
		"http {\n"
		"  access_log off;\n"
		"  sendfile on;\n"
		"  tcp_nopush on;\n"
		"  keepalive_requests 1000000;\n"
		"  default_type application/octet-stream;\n"
		"  client_body_temp_path %s/tmp/body;\n"
		"  proxy_temp_path %s/tmp/proxy;\n"
		"  fastcgi_temp_path %s/tmp/fastcgi;\n"
		"  uwsgi_temp_path %s/tmp/uwsgi;\n"
		"  scgi_temp_path %s/tmp/scgi;\n"
		"  server {\n"
		"    listen %d;\n"
		"    root %s/www;\n"
		"  }\n"
		"}\n",
		cpus, prefix, prefix, prefix, prefix, prefix, prefix,
		SERVE_PORT, prefix);
}

int run_serve_prepare(struct run *R, struct cell_state *c,
		      struct one_launch *x, struct ib_err *err)
{
	char *dir = ib_xasprintf("%s/app-%d", R->work, x->l.id);
	char *www = ib_xasprintf("%s/www", dir), *tmp = ib_xasprintf("%s/tmp", dir);
	char *conf = NULL, *argv_path = NULL, *text = NULL, why[256];
	struct ib_strv words = {0};
	int rc;

	if (access(NGINX_BIN, X_OK) != 0) {
		rc = ib_err_set(err, -ENOENT, "%s is not installed "
				"(scripts/setup.sh installs nginx)", NGINX_BIN);
		goto out;
	}
	rc = ib_mkdir_private(dir, 0755, 1, err);
	if (rc == 0)
		rc = ib_mkdir_private(www, 0755, 1, err);
	if (rc == 0)
		rc = ib_mkdir_private(tmp, 0755, 1, err);
	ib_strv_split(&words, ib_job_value(c->job, "sizes"));
	for (int i = 0; rc == 0 && i < words.n; i++)
		rc = write_body(www, words.v[i], err);
	if (rc < 0)
		goto out;
	conf = ib_xasprintf("%s/nginx.conf", dir);
	text = nginx_conf(dir, ib_usable_cpus());
	rc = ib_write_file_atomic_mode(conf, text, strlen(text), 0644, err);
	free(text);
	text = NULL;
	if (rc < 0)
		goto out;
	{
		char *argv[] = {NGINX_BIN, "-p", dir, "-c", conf, "-e", "stderr",
				NULL};

		text = ib_argv_file_format(argv, 7, why, sizeof(why));
	}
	if (!text) {
		rc = ib_err_set(err, -EINVAL, "nginx's command line: %s", why);
		goto out;
	}
	argv_path = ib_xasprintf("%s/serve-argv", dir);
	rc = ib_write_file_atomic_mode(argv_path, text, strlen(text), 0644, err);
	if (rc == 0) {
		/* options before the workload's name */
		ib_strv_push(&x->args, "--serve-argv");
		ib_strv_push(&x->args, argv_path);
	}
out:
	ib_strv_free(&words);
	free(text), free(argv_path), free(conf);
	free(tmp), free(www), free(dir);
	return rc;
}

/* CPU time (user + system, seconds) of every host process of the
 * instance now: those footprint counts as the instance's. */
static double instance_cpu_s(struct cell_state *c, struct one_launch *x)
{
	const struct ib_runtime_ops *ops = c->rt->ops;
	struct ib_fp_set set;
	pid_t roots[8];
	int nroots = 0;
	double ticks = 0, hz = (double)sysconf(_SC_CLK_TCK);

	if (ops->instance_pids)
		nroots = ops->instance_pids(c->rt, &x->l, roots, 8);
	if (x->l.proc.pid > 0 && nroots < 8)
		roots[nroots++] = x->l.proc.pid;
	ib_fp_collect(x->l.name, roots, nroots, &set);
	for (int i = 0; i < set.n; i++) {
		char path[64], *s, *p;
		unsigned long long ut, st;

		snprintf(path, sizeof(path), "/proc/%d/stat", (int)set.p[i].pid);
		if (!(s = ib_read_file(path, NULL, NULL)))
			continue;
		/* fields 14 and 15, after the command's closing parenthesis
		 * (a name may hold spaces and parentheses) */
		p = strrchr(s, ')');
		if (p && sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u "
				"%*u %*u %llu %llu", &ut, &st) == 2)
			ticks += (double)(ut + st);
		free(s);
	}
	return hz > 0 ? ticks / hz : 0;
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

int run_serve_load(struct run *R, struct cell_state *c, struct one_launch *x)
{
	struct ib_strv sizes = {0}, conns = {0};
	struct ib_wrk_opts o = {0};
	struct ib_err e = {0};
	char *wrk = on_path("wrk"), *script = NULL, *note;
	double d = 0, w = 0;
	int rc = 0, cpus = ib_usable_cpus();

	if (!wrk) {
		snprintf(x->why, sizeof(x->why), "wrk is not installed "
			 "(scripts/setup.sh installs it)");
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
	note = ib_xasprintf("wrk %s on the host, threads = min(connections, %d "
			    "CPUs), not pinned: the instance may use every CPU",
			    wrk, cpus);
	run_log_host_info(R, x->l.id, "nginx", "load", note);
	free(note);
	o.wrk = wrk;
	o.script = script;
	o.timeout_s = 10;
	for (int s = 0; s < sizes.n && rc == 0 && !run_signal(); s++)
		for (int k = 0; k < conns.n && rc == 0 && !run_signal(); k++) {
			struct ib_wrk_result res;
			char *url = ib_xasprintf(
				"http://%s:%d/%s", x->net->inst_addr, SERVE_PORT,
				strcmp(sizes.v[s], "404") ? sizes.v[s]
							  : "not-there");
			double cpu0, cpu1;

			o.url = url;
			o.connections = atoi(conns.v[k]);
			o.threads = o.connections < cpus ? o.connections : cpus;
			if (w > 0) {
				o.seconds = (int)ceil(w);
				rc = ib_wrk_run(&o, &res, NULL, &e);
			}
			o.seconds = (int)ceil(d);
			cpu0 = instance_cpu_s(c, x);
			if (rc == 0)
				rc = ib_wrk_run(&o, &res, NULL, &e);
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
