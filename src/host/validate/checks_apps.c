/* checks_apps: the applications beside their load generators run by hand.
 *
 * Both sides run the server in the namespace of the validation's veth
 * link (native over veth, as the benchmarks' baseline) and load it from
 * the host over that link, with the same configuration and files
 * (apps/nginx.c, apps/mariadb.c):
 * - isobench's side is its method: the probe's `serve` starts the server
 *   (mariadb: on a copy of the data set it makes, --serve-seed), and the
 *   load generator runs as the benchmark runs it (wrk with the done()
 *   hook, sysbench through the wrapper script), one warm-up run first;
 * - the tool's side is what a person would type: the server started
 *   directly (mariadbd on a copy made with cp -a), then wrk or sysbench
 *   with their own scripts, read from the text they print, after the same
 *   warm-up run.
 * mariadb's server runs on the last CPU and sysbench on the first, as the
 * net checks' (both sides alike; unpinned, where the scheduler put the
 * client beside its server, single runs ranged over +-20%); nginx's two
 * workers (one per CPU, as in the benchmark) and wrk are not pinned:
 * pinned to one CPU each, runs ranged wider still (19,000-43,000 req/s).
 * app-nginx: 1 KiB responses, 16 connections, requests/s; app-mariadb:
 * oltp_read_only, 1 thread, transactions/s. */
#include "validate/internal.h"

#include <arpa/inet.h>
#include <signal.h>
#include <sys/socket.h>

#include "apps/mariadb.h"
#include "apps/nginx.h"
#include "common/cpus.h"
#include "engines/sysbench_oltp.h"
#include "engines/wrk.h"

#define NGINX_CONNS 16
#define SB_TEST "oltp_read_only"
#define SB_TABLES 4
#define SB_TABLE_SIZE 10000
#define SERVER_READY_S 60.0

/* Does the namespace's end of the link accept on port? */
static int accepts(const struct vctx *v, int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), ok;

	if (fd < 0 || inet_pton(AF_INET, v->net.inst_addr, &sa.sin_addr) != 1) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

/* A server's pre-exec steps: into the link's namespace, onto its CPU. */
struct server_place {
	const char *netns;
	int cpu; /* -1: any */
};

static int enter_and_pin(void *arg)
{
	const struct server_place *sp = arg;
	int rc = ib_net_enter_pre_exec((void *)sp->netns);
	cpu_set_t set;

	if (rc == 0 && sp->cpu >= 0) {
		CPU_ZERO(&set);
		CPU_SET(sp->cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set) != 0)
			rc = errno;
	}
	return rc;
}

/* The clients (the load generators, and what they start) on the first
 * CPU: the calling thread's affinity, which children inherit; whether it
 * was set (then client_unpin puts it back). */
static int client_pin(cpu_set_t *old)
{
	int client, server;
	cpu_set_t set;

	if (vd_net_cpus(&client, &server) < 0 ||
	    sched_getaffinity(0, sizeof(*old), old) != 0)
		return 0;
	CPU_ZERO(&set);
	CPU_SET(client, &set);
	return sched_setaffinity(0, sizeof(set), &set) == 0;
}

static void client_unpin(int pinned, const cpu_set_t *old)
{
	if (pinned)
		sched_setaffinity(0, sizeof(*old), old);
}

/* Starts argv in the link's namespace, on the server CPU if pin (its
 * output to log), and waits until it accepts on port. 0, or < 0 with err set (it is
 * then ended). */
static int server_start(struct vctx *v, struct ib_proc *p, char **argv,
			const char *log, int port, int pin, struct ib_err *err)
{
	int client, server;
	struct server_place sp = {
		.netns = v->net.netns_path,
		.cpu = pin && vd_net_cpus(&client, &server) == 0 ? server : -1};
	struct ib_spawn_opts so = {.flags = IB_PROC_DIE_WITH_PARENT,
				   .output_file = log,
				   .pre_exec = enter_and_pin,
				   .pre_exec_arg = &sp};
	uint64_t t0 = ib_mono_ns();
	int rc = ib_proc_start(p, argv, &so, err);

	while (rc == 0 && !accepts(v, port)) {
		if (ib_pid_ended(p->pid) || ib_runner_interrupted() ||
		    (double)(ib_mono_ns() - t0) / 1e9 > SERVER_READY_S) {
			rc = ib_err_set(err, -EIO, "%s %s before it accepted on "
					"%s:%d (its output: %s)", argv[0],
					ib_pid_ended(p->pid) ? "ended"
					: "was stopped", v->net.inst_addr, port,
					log);
			ib_proc_kill(p);
			ib_proc_close(p);
			return rc;
		}
		usleep(20000);
	}
	return rc;
}

/* Ends it with SIGTERM (as the probe ends a server), SIGKILL after 30 s. */
static void server_stop(struct ib_proc *p)
{
	kill(p->pid, SIGTERM);
	if (ib_proc_wait(p, ib_mono_ns() + 30000000000ull) < 0)
		ib_proc_kill(p);
	ib_proc_close(p);
}

static int seconds(const struct vctx *v)
{
	return v->secs < 1 ? 1 : (int)ceil(v->secs);
}

/* --- nginx ----------------------------------------------------------------- */

/* The launch's files, once: v->scratch/app-nginx (paths as the host sees
 * them: both servers run on the host's filesystem). */
static const char *nginx_dir(struct vctx *v, struct ib_err *err)
{
	static char *dir;
	struct ib_strv sizes = {0};
	char *www, *script;
	int rc;

	if (dir)
		return dir;
	if (access(IB_NGINX_BIN, X_OK) != 0) {
		ib_err_set(err, -ENOENT, "%s is not installed", IB_NGINX_BIN);
		return NULL;
	}
	dir = ib_xasprintf("%s/app-nginx", v->scratch);
	www = ib_xasprintf("%s/www", dir);
	script = ib_xasprintf("%s/done.lua", dir);
	ib_strv_push(&sizes, "1k");
	rc = ib_mkdir_private(dir, 0755, 1, err);
	if (rc == 0)
		rc = ib_nginx_launch_files(dir, dir, www, www,
					   ib_usable_cpus(), &sizes, err);
	if (rc == 0)
		rc = ib_wrk_write_script(script, err);
	ib_strv_free(&sizes);
	free(www), free(script);
	if (rc < 0) {
		free(dir);
		dir = NULL;
	}
	return dir;
}

int vd_p_app_nginx(struct vctx *v, double *out, struct ib_err *err)
{
	const char *dir = nginx_dir(v, err);
	char *wrk = ib_which("wrk"), *argv_file = NULL, *log = NULL;
	char *url = NULL, *script = NULL;
	struct ib_wrk_result res;
	struct ib_proc p = {0};
	int rc = -1;

	if (!dir || vd_net_ready(v, err) < 0)
		goto out;
	if (!wrk) {
		ib_err_set(err, -ENOENT, "wrk is not installed");
		goto out;
	}
	argv_file = ib_xasprintf("%s/serve-argv", dir);
	log = ib_xasprintf("%s/raw/round%d-app-nginx-probe.txt", v->outdir,
			   v->round);
	url = ib_xasprintf("http://%s:%d/1k", v->net.inst_addr, IB_NGINX_PORT);
	script = ib_xasprintf("%s/done.lua", dir);
	{
		char *argv[] = {v->probe, "--serve-argv", argv_file, "serve",
				NULL};
		int cpus = ib_usable_cpus();
		struct ib_wrk_opts o = {
			.wrk = wrk, .script = script, .url = url,
			.connections = NGINX_CONNS,
			.threads = cpus < NGINX_CONNS ? cpus : NGINX_CONNS,
			.seconds = 1, .timeout_s = 10};

		if (server_start(v, &p, argv, log, IB_NGINX_PORT, 0, err) < 0)
			goto out;
		rc = ib_wrk_run(&o, &res, NULL, err);
		o.seconds = seconds(v);
		if (rc == 0)
			rc = ib_wrk_run(&o, &res, NULL, err);
		server_stop(&p);
	}
	if (rc == 0)
		*out = res.requests_per_s;
out:
	free(wrk), free(argv_file), free(log), free(url), free(script);
	return rc;
}

int vd_t_app_nginx(struct vctx *v, double *out, struct ib_err *err)
{
	const char *dir = nginx_dir(v, err);
	char *wrk = ib_which("wrk"), *conf = NULL, *log = NULL, *url = NULL;
	char t[16], c[16], d[16], *text = NULL;
	struct ib_proc p = {0};
	int rc = -1, cpus = ib_usable_cpus();

	if (!dir || vd_net_ready(v, err) < 0)
		goto out;
	if (!wrk) {
		ib_err_set(err, -ENOENT, "wrk is not installed");
		goto out;
	}
	conf = ib_xasprintf("%s/nginx.conf", dir);
	log = ib_xasprintf("%s/raw/round%d-app-nginx-server.txt", v->outdir,
			   v->round);
	url = ib_xasprintf("http://%s:%d/1k", v->net.inst_addr, IB_NGINX_PORT);
	snprintf(t, sizeof(t), "-t%d", cpus < NGINX_CONNS ? cpus : NGINX_CONNS);
	snprintf(c, sizeof(c), "-c%d", NGINX_CONNS);
	{
		char *server[] = {IB_NGINX_BIN, "-p", (char *)dir, "-c", conf,
				  "-e", "stderr", NULL};
		char *load[] = {wrk, t, c, d, "--latency", url, NULL};

		if (server_start(v, &p, server, log, IB_NGINX_PORT, 0, err) < 0)
			goto out;
		snprintf(d, sizeof(d), "-d1s");
		text = vd_tool_output(v, "app-nginx-warmup", load, err);
		free(text);
		snprintf(d, sizeof(d), "-d%ds", seconds(v));
		text = vd_tool_output(v, "app-nginx-wrk", load, err);
		server_stop(&p);
	}
	if (text && vd_number_after(text, "Requests/sec:", out) == 0)
		rc = 0;
	else if (text)
		ib_err_set(err, -EINVAL, "wrk printed no 'Requests/sec:'");
	free(text);
out:
	free(wrk), free(conf), free(log), free(url);
	return rc;
}

/* --- mariadb --------------------------------------------------------------- */

/* The data set, once: v->scratch/app-mariadb/image/data. */
static const char *mariadb_data(struct vctx *v, uint64_t *bytes,
				struct ib_err *err)
{
	static char *data;
	static uint64_t size;
	char *top;

	if (data) {
		*bytes = size;
		return data;
	}
	top = ib_xasprintf("%s/app-mariadb", v->scratch);
	if (ib_mariadb_prepare_data(top, SB_TABLES, SB_TABLE_SIZE,
				    ib_runner_interrupted, &size, err) == 0)
		data = ib_xasprintf("%s/image/data", top);
	free(top);
	*bytes = size;
	return data;
}

/* A side's directory: its files (my.cnf, serve-argv) and where its copy
 * of the data set goes (copy/); made new, removed by mariadb_done. */
static char *mariadb_side(struct vctx *v, const char *side, uint64_t bytes,
			  struct ib_err *err)
{
	char *dir = ib_xasprintf("%s/mariadb-%s-%d", v->scratch, side,
				 v->round);
	char *copy = ib_xasprintf("%s/copy", dir);
	int rc = ib_mkdir_private(dir, 0755, 1, err);

	if (rc == 0)
		rc = ib_mariadb_launch_files(dir, dir, copy,
					     ib_mariadb_pool_bytes(bytes), err);
	free(copy);
	if (rc < 0) {
		ib_rmtree(dir);
		free(dir);
		return NULL;
	}
	return dir;
}

static void mariadb_done(char *dir)
{
	if (dir)
		ib_rmtree(dir);
	free(dir);
}

int vd_p_app_mariadb(struct vctx *v, double *out, struct ib_err *err)
{
	uint64_t bytes = 0;
	const char *data = mariadb_data(v, &bytes, err);
	char *sb = ib_which("sysbench"), *dir = NULL, *seed = NULL;
	char *argv_file = NULL, *log = NULL, *script = NULL;
	struct ib_sysbench_result res;
	struct ib_proc p = {0};
	int rc = -1;

	if (!data || vd_net_ready(v, err) < 0)
		goto out;
	if (!sb) {
		ib_err_set(err, -ENOENT, "sysbench is not installed");
		goto out;
	}
	dir = mariadb_side(v, "probe", bytes, err);
	if (!dir)
		goto out;
	argv_file = ib_xasprintf("%s/serve-argv", dir);
	seed = ib_xasprintf("%s:%s/copy", data, dir);
	log = ib_xasprintf("%s/raw/round%d-app-mariadb-probe.txt", v->outdir,
			   v->round);
	script = ib_xasprintf("%s/sb.lua", dir);
	rc = ib_sysbench_write_script(script, "/usr/share/sysbench", SB_TEST,
				      err);
	if (rc == 0) {
		char *argv[] = {v->probe, "--serve-argv", argv_file,
				"--serve-seed", seed, "serve", "port=3306",
				NULL};
		struct ib_sysbench_opts o = {
			.sysbench = sb, .script = script,
			.host = v->net.inst_addr, .port = IB_MARIADB_PORT,
			.user = IB_MARIADB_USER, .password = IB_MARIADB_PASSWORD,
			.tables = SB_TABLES, .table_size = SB_TABLE_SIZE,
			.threads = 1, .seconds = 1, .command = "run"};

		rc = server_start(v, &p, argv, log, IB_MARIADB_PORT, 1, err);
		if (rc == 0) {
			cpu_set_t old;
			int pinned = client_pin(&old);

			rc = ib_sysbench_run(&o, NULL, &res, NULL, err);
			o.seconds = seconds(v);
			if (rc == 0)
				rc = ib_sysbench_run(&o, NULL, &res, NULL, err);
			client_unpin(pinned, &old);
			server_stop(&p);
		}
	}
	if (rc == 0)
		*out = res.transactions_per_s;
out:
	mariadb_done(dir);
	free(sb), free(seed), free(argv_file), free(log), free(script);
	return rc < 0 ? -1 : 0;
}

/* "transactions: N (X per sec.)" of sysbench's text: X. */
static int per_sec(const char *text, double *out)
{
	const char *p = strstr(text, "transactions:");

	p = p ? strchr(p, '(') : NULL;
	if (!p)
		return -1;
	*out = strtod(p + 1, NULL);
	return *out > 0 ? 0 : -1;
}

int vd_t_app_mariadb(struct vctx *v, double *out, struct ib_err *err)
{
	uint64_t bytes = 0;
	const char *data = mariadb_data(v, &bytes, err);
	char *sb = ib_which("sysbench"), *cp = ib_which("cp"), *dir = NULL;
	char *copy = NULL, *conf = NULL, *log = NULL, *text = NULL;
	char *w[6] = {NULL};
	struct ib_buf ignored = {0};
	struct ib_proc p = {0};
	int rc = -1;

	if (!data || vd_net_ready(v, err) < 0)
		goto out;
	if (!sb || !cp) {
		ib_err_set(err, -ENOENT, "%s is not installed",
			   !sb ? "sysbench" : "cp");
		goto out;
	}
	dir = mariadb_side(v, "tool", bytes, err);
	if (!dir)
		goto out;
	copy = ib_xasprintf("%s/copy", dir);
	{
		char *argv[] = {cp, "-a", (char *)data, copy, NULL};

		if (vd_run_capture(argv, NULL, 120, &ignored, err) != 0) {
			ib_err_set(err, -EIO, "cp -a %s %s failed", data, copy);
			goto out;
		}
	}
	conf = ib_xasprintf("--defaults-file=%s/my.cnf", dir);
	log = ib_xasprintf("%s/raw/round%d-app-mariadb-server.txt", v->outdir,
			   v->round);
	w[0] = ib_xasprintf("--mysql-host=%s", v->net.inst_addr);
	w[1] = ib_xasprintf("--tables=%d", SB_TABLES);
	w[2] = ib_xasprintf("--table-size=%d", SB_TABLE_SIZE);
	w[3] = ib_xasprintf("--time=1");
	{
		char *server[] = {IB_MARIADB_BIN, conf, NULL};
		char *load[] = {sb, SB_TEST, w[0], "--mysql-port=3306",
				"--mysql-user=" IB_MARIADB_USER,
				"--mysql-password=" IB_MARIADB_PASSWORD,
				"--mysql-db=sbtest", w[1], w[2], "--threads=1",
				w[3], "run", NULL};

		cpu_set_t old;
		int pinned;

		if (server_start(v, &p, server, log, IB_MARIADB_PORT, 1, err) < 0)
			goto out;
		pinned = client_pin(&old);
		text = vd_tool_output(v, "app-mariadb-warmup", load, err);
		free(text);
		free(w[3]);
		w[3] = ib_xasprintf("--time=%d", seconds(v));
		load[10] = w[3];
		text = vd_tool_output(v, "app-mariadb-sysbench", load, err);
		client_unpin(pinned, &old);
		server_stop(&p);
	}
	if (text && per_sec(text, out) == 0)
		rc = 0;
	else if (text)
		ib_err_set(err, -EINVAL, "sysbench printed no 'transactions: N "
			   "(X per sec.)'");
out:
	for (size_t i = 0; i < IB_ARRAY_LEN(w); i++)
		free(w[i]);
	ib_buf_free(&ignored);
	mariadb_done(dir);
	free(sb), free(cp), free(copy), free(conf), free(log), free(text);
	return rc;
}
