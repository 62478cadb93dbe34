/* isobench validate: each probe workload beside the classic tool whose
 * method it follows, natively, in one run, interleaved.
 *
 * Every round runs each check's probe measurement and its classic tool,
 * alternating which goes first, so drift and warm-up hit both alike. The
 * figure of each side is its median over the rounds; the ratio of the two
 * is what validation means, held against the target of the check. Every
 * tool output is kept in the output directory, beside validation.json and
 * validation.md, so each figure can be traced to the text it came from. */
#include "validate/validate.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <sched.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/proc.h"
#include "common/frame.h"
#include "net/net_link.h"
#include "runtime/drivers/oci.h"
#include "net/peer.h"
#include "results/record.h"
#include "results/report.h"
#include "results/stats.h"
#include "run/runner.h"
#include "state/state.h"
#include "version.h"
#include "images/vm_image.h"

#define MAX_ROUNDS IB_VALIDATE_MAX_ROUNDS

struct vctx {
	char *probe;
	char *scratch;   /* the probe's and fio's files */
	char *outdir;
	char *disk_file;
	const char *disk_size;
	double secs;     /* seconds per measurement, each side */
	int round;
	uint64_t membw_array; /* bytes, from the probe's info record */
	/* STREAM copy from the same probe runs as the triad, MB/s */
	double membw_copy[MAX_ROUNDS];
	int ncopy;
	/* startup: the bundle hyperfine runs with `runc run` */
	char *bundle;
	int launches;
	/* isobench's runc with create/start/delete, ms */
	double create_exited[MAX_ROUNDS], torn_down[MAX_ROUNDS];
	int ntorn;
	/* startup-qemu: every launch's launch-to-exit, ms, each side */
	double *vm_is, *vm_hf;
	int nvm_is, nvm_hf, collect_exited;
	/* net: a veth link to a namespace (the native-over-veth baseline),
	 * made at the first net check; the probe's peer and each tool's
	 * server listen on its host end, every client runs in the namespace */
	struct ib_state state;
	char run_id[32];
	int state_open, net_tried;
	struct ib_net net;
	struct ib_proc iperf3_server, sockperf_server;
	int iperf3_port, sockperf_port;
	char net_err[1024];
};

static void push_sample(double **v, int *n, double x)
{
	*v = ib_xrealloc(*v, sizeof(double) * (size_t)(*n + 1));
	(*v)[(*n)++] = x;
}

/* --- running things ------------------------------------------------------ */

/* Runs argv, output (stdout and stderr) into out, within timeout_s;
 * SIGINT stops it. Returns the exit code, or < 0 with err set. */
static int run_capture(char **argv, const char *cwd, double timeout_s,
		       struct ib_buf *out, struct ib_err *err)
{
	return ib_proc_capture(argv, cwd, timeout_s, ib_runner_interrupted, out,
			       err);
}

static void save_text(const struct vctx *v, const char *name,
		      const struct ib_buf *text)
{
	char *path = ib_xasprintf("%s/raw/round%d-%s.txt", v->outdir, v->round,
				  name);

	ib_write_file_atomic(path, text->s ? text->s : "", text->len, NULL);
	free(path);
}

/* net: clients (the probe, iperf3 -c, sockperf ping-pong) run on the
 * first CPU and servers (the peer, iperf3 -s, sockperf server) on the
 * last: unpinned, where the scheduler put the two ends made single runs
 * range from 3 to 17 Gbit/s on a 2-CPU host. */
static int net_cpus(int *client, int *server)
{
	cpu_set_t set;
	int first = -1, last = -1;

	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return -1;
	for (int i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &set)) {
			if (first < 0)
				first = i;
			last = i;
		}
	*client = first;
	*server = last;
	return first == last ? -1 : 0;
}

static void push_client_cpu(const struct vctx *v, struct ib_strv *argv)
{
	int c, s;

	(void)v;
	if (net_cpus(&c, &s) == 0) {
		ib_strv_push(argv, "taskset");
		ib_strv_push(argv, "-c");
		ib_strv_push_owned(argv, ib_xasprintf("%d", c));
	}
}

/* Probe records of interest, collected while parsing its output. */
struct probe_out {
	struct ib_record rec[512];
	int n;
	int bad;
};

static void probe_frame(void *user, enum ib_frame_kind kind, const char *data,
			size_t len, uint64_t offset, const char *why)
{
	struct probe_out *po = user;

	(void)offset;
	(void)why;
	if (kind == IB_FRAME_TEXT)
		return;
	if (kind == IB_FRAME_CORRUPT || po->n == 512 ||
	    ib_record_decode(data, len, &po->rec[po->n], NULL) < 0) {
		po->bad++;
		return;
	}
	po->n++;
}

/* Runs the probe with the given workload arguments and returns the value
 * of the sample `metric` whose params contain `want` ("k=v" or NULL). */
static int probe_value(struct vctx *v, const char *tag, char **wargs,
		       const char *metric, const char *want, double *value,
		       struct ib_err *err)
{
	struct ib_strv argv = {0};
	struct ib_buf out = {0};
	struct ib_frame_parser fp;
	struct probe_out *po = ib_xcalloc(1, sizeof(*po));
	int rc, found = 0;

	if (wargs[0] && !strcmp(wargs[0], "--peer")) {
		/* a net measurement: the probe in the link's namespace */
		ib_strv_push_owned(&argv, ib_which("ip"));
		ib_strv_push(&argv, "netns");
		ib_strv_push(&argv, "exec");
		ib_strv_push(&argv, v->net.netns);
		push_client_cpu(v, &argv);
	}
	ib_strv_push(&argv, v->probe);
	ib_strv_push(&argv, "--scratch");
	ib_strv_push(&argv, v->scratch);
	for (char **a = wargs; *a; a++)
		ib_strv_push(&argv, *a);
	rc = run_capture(argv.v, v->scratch, 600, &out, err);
	save_text(v, tag, &out);
	ib_frame_parser_init(&fp, probe_frame, po);
	ib_frame_feed(&fp, out.s ? out.s : "", out.len);
	ib_frame_finish(&fp);
	ib_frame_parser_free(&fp);
	if (rc == 0 && po->bad)
		rc = ib_err_set(err, -EINVAL, "probe %s: %d unparsable records",
				tag, po->bad);
	else if (rc > 0)
		ib_err_set(err, -EIO, "probe %s: exit status %d", tag, rc);
	for (int i = 0; i < po->n && rc == 0; i++) {
		struct ib_record *r = &po->rec[i];
		char *key;

		if (r->type == IB_REC_SAMPLE && !strcmp(r->bench, "membw") &&
		    !strcmp(r->metric, "copy") && v->ncopy < MAX_ROUNDS)
			v->membw_copy[v->ncopy++] = r->value;
		if (r->type == IB_REC_INFO && !strcmp(r->key, "array_bytes")) {
			const cJSON *x = cJSON_GetObjectItem(r->json, "value");

			if (cJSON_IsNumber(x))
				v->membw_array = (uint64_t)x->valuedouble;
		}
		if (r->type != IB_REC_SAMPLE || strcmp(r->metric, metric))
			continue;
		key = ib_params_canon(r->params);
		if (!want || strstr(key, want)) {
			*value = r->value;
			found = 1;
		}
		free(key);
	}
	if (rc == 0 && !found)
		rc = ib_err_set(err, -ENOENT, "probe %s: no %s sample", tag,
				metric);
	for (int i = 0; i < po->n; i++)
		ib_record_free(&po->rec[i]);
	free(po);
	ib_buf_free(&out);
	ib_strv_free(&argv);
	return rc == 0 ? 0 : -1;
}

/* Runs a classic tool and returns its output (caller frees). */
static char *tool_output(struct vctx *v, const char *tag, char **argv,
			 struct ib_err *err)
{
	struct ib_buf out = {0};
	int rc = run_capture(argv, v->scratch, 600, &out, err);

	save_text(v, tag, &out);
	if (rc != 0) {
		if (rc > 0)
			ib_err_set(err, -EIO, "%s exited with status %d (see "
				   "raw/round%d-%s.txt)", argv[0], rc, v->round,
				   tag);
		ib_buf_free(&out);
		return NULL;
	}
	return out.s ? out.s : ib_xstrdup("");
}

/* The number after `label` in text (first occurrence). */
static int number_after(const char *text, const char *label, double *out)
{
	const char *p = strstr(text, label);
	char *end;

	if (!p)
		return -1;
	p += strlen(label);
	while (*p == ' ' || *p == '\t' || *p == ':')
		p++;
	*out = strtod(p, &end);
	return end == p || !isfinite(*out) ? -1 : 0;
}

/* The number just before `label` ("0.117990 usecs/op"). */
static int number_before(const char *text, const char *label, double *out)
{
	const char *p = strstr(text, label);

	if (!p)
		return -1;
	while (p > text && p[-1] == ' ')
		p--;
	while (p > text && (p[-1] == '.' || (p[-1] >= '0' && p[-1] <= '9')))
		p--;
	*out = strtod(p, NULL);
	return isfinite(*out) && *out > 0 ? 0 : -1;
}

/* --- net: native over a veth pair ---------------------------------------- */

/* A TCP port on the link's host address that nothing listens on now. */
static int free_port(const char *addr)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port = -1;
	char *at = ib_xasprintf("%s:0", addr);

	if (fd < 0 || ib_peer_parse_addr(at, &sa) < 0)
		goto out;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
out:
	free(at);
	if (fd >= 0)
		close(fd);
	return port;
}

/* Starts a tool's server on the host end of the link. */
static int start_server(struct vctx *v, struct ib_proc *p, char **tool_argv,
			const char *what, struct ib_err *err)
{
	struct ib_spawn_opts so = {.flags = IB_PROC_DIE_WITH_PARENT};
	char *log = ib_xasprintf("%s/raw/%s-server.txt", v->outdir, what);
	struct ib_strv argv = {0};
	char *taskset = ib_which("taskset");
	int rc, c, srv;

	if (taskset && net_cpus(&c, &srv) == 0) {
		ib_strv_push_owned(&argv, taskset);
		taskset = NULL;
		ib_strv_push(&argv, "-c");
		ib_strv_push_owned(&argv, ib_xasprintf("%d", srv));
	}
	for (char **a = tool_argv; *a; a++)
		ib_strv_push(&argv, *a);
	free(taskset);
	so.output_file = log;
	rc = ib_proc_start(p, argv.v, &so, err);
	ib_strv_free(&argv);
	free(log);
	if (rc == 0)
		rc = ib_state_add_process(&v->state, what, p->pid, p->starttime,
					  err);
	return rc;
}

/* The link, the probe's peer and the tools' servers, once. */
static int net_ready(struct vctx *v, struct ib_err *err)
{
	char *ip3 = ib_which("iperf3"), *sp = ib_which("sockperf");
	char *dir, port[16];
	int rc;

	if (v->net_tried) {
		free(ip3);
		free(sp);
		return v->net_err[0] ? ib_err_set(err, -EIO, "%s", v->net_err)
				     : 0;
	}
	v->net_tried = 1;
	dir = ib_xasprintf("%s/net-state", v->outdir);
	rc = ib_mkdirs(dir, 0700, err);
	/* A run id of its own, as a run's: its names ("isobench-<id>-1")
	 * and marker are what `isobench cleanup` derives and checks. */
	ib_run_id_make(v->run_id, sizeof(v->run_id));
	if (rc == 0)
		rc = ib_state_open(&v->state, dir, v->run_id, err);
	free(dir);
	if (rc == 0) {
		v->state_open = 1;
		setenv("ISOBENCH_RUN", v->run_id, 1);
		v->net.kind = IB_NET_NETNS;
		v->net.index = 1;
		rc = ib_net_link_create(&v->net, &v->state, v->run_id, err);
	}
	if (rc == 0) {
		int c, srv;

		v->net.peer_cpu = net_cpus(&c, &srv) == 0 ? srv : -1;
		rc = ib_net_start_peer(&v->net, &v->state, err);
	}
	if (rc == 0 && ip3) {
		v->iperf3_port = free_port(v->net.host_addr);
		if (v->iperf3_port < 0)
			rc = ib_err_set(err, -EADDRNOTAVAIL, "no free port on %s",
					v->net.host_addr);
	}
	if (rc == 0 && ip3) {
		snprintf(port, sizeof(port), "%d", v->iperf3_port);
		rc = start_server(v, &v->iperf3_server,
				  (char *[]){ip3, "-s", "-B", v->net.host_addr,
					     "-p", port, NULL},
				  "iperf3", err);
	}
	if (rc == 0 && sp) {
		v->sockperf_port = free_port(v->net.host_addr);
		if (v->sockperf_port < 0)
			rc = ib_err_set(err, -EADDRNOTAVAIL, "no free port on %s",
					v->net.host_addr);
	}
	if (rc == 0 && sp) {
		snprintf(port, sizeof(port), "%d", v->sockperf_port);
		rc = start_server(v, &v->sockperf_server,
				  (char *[]){sp, "server", "--tcp", "-i",
					     v->net.host_addr, "-p", port, NULL},
				  "sockperf", err);
	}
	free(ip3);
	free(sp);
	if (rc < 0)
		snprintf(v->net_err, sizeof(v->net_err), "%s", err->msg);
	else
		usleep(300000); /* the servers listen */
	return rc;
}

static void net_release(struct vctx *v)
{
	struct ib_proc *srv[] = {&v->iperf3_server, &v->sockperf_server};
	const char *names[] = {"iperf3", "sockperf"};

	for (int i = 0; i < 2; i++)
		if (srv[i]->pid > 0) {
			ib_proc_kill(srv[i]);
			ib_proc_close(srv[i]);
			ib_state_del(&v->state, names[i], NULL);
		}
	if (v->state_open) {
		ib_net_link_remove(&v->net, &v->state);
		ib_state_close(&v->state);
	}
}

static int p_net_stream(struct vctx *v, double *out, struct ib_err *err)
{
	char d[32];
	char *a[] = {"--peer", NULL, "net", "tests=stream-tx", "streams=1",
		     "block=128k", "warmup=1", d, NULL};

	if (net_ready(v, err) < 0)
		return -1;
	a[1] = v->net.peer_at;
	snprintf(d, sizeof(d), "duration=%g", v->secs);
	return probe_value(v, "net-stream-probe", a, "throughput", NULL, out,
			   err);
}

/* A client in the link's namespace: `ip netns exec NS tool ...`, retried
 * for a while if the server was not listening yet. */
static char *net_client(struct vctx *v, const char *tag, char **tool_argv,
			struct ib_err *err)
{
	struct ib_strv argv = {0};
	char *out = NULL;

	ib_strv_push_owned(&argv, ib_which("ip"));
	ib_strv_push(&argv, "netns");
	ib_strv_push(&argv, "exec");
	ib_strv_push(&argv, v->net.netns);
	push_client_cpu(v, &argv);
	for (char **a = tool_argv; *a; a++)
		ib_strv_push(&argv, *a);
	for (int tries = 0; tries < 5 && !out; tries++) {
		out = tool_output(v, tag, argv.v, err);
		if (!out)
			usleep(500000);
	}
	ib_strv_free(&argv);
	return out;
}

static int t_iperf3(struct vctx *v, double *out, struct ib_err *err)
{
	char t[32], port[16];
	char *a[] = {"iperf3", "-c", NULL, "-p", port, "-l", "128K", "-P", "1",
		     "-t", t, "-O", "1", "-J", NULL};
	char *text;
	cJSON *j;
	const cJSON *bps;

	if (net_ready(v, err) < 0)
		return -1;
	a[2] = v->net.host_addr;
	snprintf(port, sizeof(port), "%d", v->iperf3_port);
	snprintf(t, sizeof(t), "%d", (int)ceil(v->secs));
	text = net_client(v, "net-stream-iperf3", a, err);
	if (!text)
		return -1;
	j = cJSON_Parse(text);
	free(text);
	bps = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(
			j, "end"), "sum_received"), "bits_per_second");
	if (!cJSON_IsNumber(bps)) {
		cJSON_Delete(j);
		return ib_err_set(err, -EINVAL, "iperf3 -J: no end.sum_received."
				  "bits_per_second (see raw/round%d-net-stream-"
				  "iperf3.txt)", v->round);
	}
	*out = bps->valuedouble / 1e9;
	cJSON_Delete(j);
	return 0;
}

static int p_net_rr(struct vctx *v, double *out, struct ib_err *err)
{
	char d[32];
	char *a[] = {"--peer", NULL, "net", "tests=rr", "warmup=0.5", d, NULL};

	if (net_ready(v, err) < 0)
		return -1;
	a[1] = v->net.peer_at;
	snprintf(d, sizeof(d), "duration=%g", v->secs);
	return probe_value(v, "net-rr-probe", a, "rtt_mean", NULL, out, err);
}

static int t_sockperf(struct vctx *v, double *out, struct ib_err *err)
{
	char t[32], port[16];
	char *a[] = {"sockperf", "ping-pong", "--tcp", "-i", NULL, "-p", port,
		     "-t", t, "--full-rtt", NULL};
	char *text;
	int rc;

	if (net_ready(v, err) < 0)
		return -1;
	a[4] = v->net.host_addr;
	snprintf(port, sizeof(port), "%d", v->sockperf_port);
	snprintf(t, sizeof(t), "%d", (int)ceil(v->secs));
	text = net_client(v, "net-rr-sockperf", a, err);
	if (!text)
		return -1;
	/* "sockperf: ====> avg-rtt=71.390 (std-dev=...)", microseconds */
	rc = number_after(text, "avg-rtt=", out);
	free(text);
	if (rc < 0)
		return ib_err_set(err, -EINVAL, "sockperf: no avg-rtt (see "
				  "raw/round%d-net-rr-sockperf.txt)", v->round);
	return 0;
}

/* --- the checks ---------------------------------------------------------- */

static int p_cpu(struct vctx *v, double *out, struct ib_err *err)
{
	char *d = ib_xasprintf("duration=%g", v->secs);
	char *a[] = {"cpu", "threads=1", "max_prime=10000", d, NULL};
	int rc = probe_value(v, "probe-cpu", a, "events_per_s", "threads=1",
			     out, err);

	free(d);
	return rc;
}

static int t_cpu(struct vctx *v, double *out, struct ib_err *err)
{
	char *t = ib_xasprintf("--time=%.0f", ceil(v->secs));
	char *a[] = {"sysbench", "cpu", "--cpu-max-prime=10000", "--threads=1",
		     t, "run", NULL};
	char *o;
	int rc = -1;

	a[0] = ib_which("sysbench");
	o = a[0] ? tool_output(v, "sysbench", a, err) : NULL;
	if (o && number_after(o, "events per second", out) == 0)
		rc = 0;
	else if (o)
		ib_err_set(err, -EINVAL, "sysbench printed no 'events per second'");
	free(o);
	free(a[0]);
	free(t);
	return rc;
}

/* probe: sysbench runs whole seconds; match it */
static int p_cpu_w(struct vctx *v, double *out, struct ib_err *err)
{
	double s = v->secs;
	int rc;

	v->secs = ceil(s);
	rc = p_cpu(v, out, err);
	v->secs = s;
	return rc;
}

static int p_getppid(struct vctx *v, double *out, struct ib_err *err)
{
	char *d = ib_xasprintf("duration=%g", v->secs / 2);
	char *a[] = {"syscall", "calls=getppid", d, NULL};
	int rc = probe_value(v, "probe-syscall", a, "latency", "call=getppid",
			     out, err);

	free(d);
	return rc;
}

static int perf_usecs(struct vctx *v, const char *tag, char **a, double *out,
		      struct ib_err *err)
{
	char *o;
	int rc = -1;

	a[0] = ib_which("perf");
	if (!a[0])
		return ib_err_set(err, -ENOENT, "perf not found");
	o = tool_output(v, tag, a, err);
	if (o && number_before(o, "usecs/op", out) == 0)
		rc = 0;
	else if (o)
		ib_err_set(err, -EINVAL, "perf printed no 'usecs/op'");
	free(o);
	free(a[0]);
	return rc;
}

static int t_getppid(struct vctx *v, double *out, struct ib_err *err)
{
	/* ~110 ns a call here: 5M calls take about as long as the probe */
	char *l = ib_xasprintf("%.0f", v->secs / 2 / 110e-9);
	char *a[] = {"perf", "bench", "syscall", "basic", "-l", l, NULL};
	int rc = perf_usecs(v, "perf-syscall", a, out, err);

	*out *= 1000; /* us -> ns */
	free(l);
	return rc;
}

/* ctxsw twice: with both processes on one CPU (isobench pins itself
 * there while it starts either side, the children inherit it), where the
 * figure is the cost of the token passing itself and stable; and where the
 * scheduler puts them, which on a VM adds cross-CPU wake-ups whose cost
 * swings with the host: shown, without a target. */
static int pin_self(int on, cpu_set_t *saved)
{
	cpu_set_t one;

	if (!on)
		return sched_setaffinity(0, sizeof(*saved), saved);
	if (sched_getaffinity(0, sizeof(*saved), saved) != 0)
		return -1;
	CPU_ZERO(&one);
	for (int i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, saved)) {
			CPU_SET(i, &one);
			break;
		}
	return sched_setaffinity(0, sizeof(one), &one);
}

static int ctxsw_probe(struct vctx *v, int pinned, double *out,
		       struct ib_err *err)
{
	char *d = ib_xasprintf("duration=%g", v->secs / 2);
	char *a[] = {"ctxsw", "pin=none", d, NULL};
	cpu_set_t saved;
	int rc;

	if (pinned)
		pin_self(1, &saved);
	rc = probe_value(v, pinned ? "probe-ctxsw-1cpu" : "probe-ctxsw", a,
			 "roundtrip", NULL, out, err);
	if (pinned)
		pin_self(0, &saved);
	free(d);
	return rc;
}

static int ctxsw_perf(struct vctx *v, int pinned, double *out,
		      struct ib_err *err)
{
	/* about as long as the probe's run: 35 us a round trip across CPUs,
	 * 3 us on one */
	char *l = ib_xasprintf("%.0f", v->secs / 2 / (pinned ? 3e-6 : 35e-6));
	char *a[] = {"perf", "bench", "sched", "pipe", "-l", l, NULL};
	cpu_set_t saved;
	int rc;

	if (pinned)
		pin_self(1, &saved);
	rc = perf_usecs(v, pinned ? "perf-pipe-1cpu" : "perf-pipe", a, out, err);
	if (pinned)
		pin_self(0, &saved);
	free(l);
	return rc;
}

static int p_ctxsw1(struct vctx *v, double *o, struct ib_err *e)
{
	return ctxsw_probe(v, 1, o, e);
}
static int t_ctxsw1(struct vctx *v, double *o, struct ib_err *e)
{
	return ctxsw_perf(v, 1, o, e);
}
static int p_ctxsw(struct vctx *v, double *o, struct ib_err *e)
{
	return ctxsw_probe(v, 0, o, e);
}
static int t_ctxsw(struct vctx *v, double *o, struct ib_err *e)
{
	return ctxsw_perf(v, 0, o, e);
}

/* disk: the probe and fio on the same file, size, block size, engine,
 * queue depth, ramp (a tenth of the duration) and duration. */
static int p_disk(struct vctx *v, const char *test, const char *metric,
		  double *out, struct ib_err *err)
{
	char *t = ib_xasprintf("tests=%s", test), *d = ib_xasprintf("duration=%g", v->secs);
	char *s = ib_xasprintf("size=%s", v->disk_size);
	char *tag = ib_xasprintf("probe-%s", test);
	char *a[] = {"disk", s, t, d, NULL};
	int rc = probe_value(v, tag, a, metric, NULL, out, err);

	free(t), free(d), free(s), free(tag);
	return rc;
}

static int t_fio(struct vctx *v, const char *rw, const char *bs,
		 const char *engine, int qd, int fsync_each, const char *side,
		 const char *field, double scale, double *out,
		 struct ib_err *err)
{
	char *tag = ib_xasprintf("fio-%s-%s-qd%d%s", rw, bs, qd,
				 fsync_each ? "-fsync" : "");
	char *args[32];
	int n = 0, rc = -1;
	char *o;
	cJSON *j = NULL;

	args[n++] = ib_which("fio");
	if (!args[0]) {
		free(tag);
		return ib_err_set(err, -ENOENT, "fio not found");
	}
	args[n++] = ib_xasprintf("--name=%s", tag);
	args[n++] = ib_xasprintf("--filename=%s", v->disk_file);
	args[n++] = ib_xasprintf("--size=%s", v->disk_size);
	args[n++] = ib_xstrdup("--direct=1");
	args[n++] = ib_xasprintf("--ioengine=%s", engine);
	args[n++] = ib_xasprintf("--rw=%s", rw);
	args[n++] = ib_xasprintf("--bs=%s", bs);
	args[n++] = ib_xasprintf("--iodepth=%d", qd);
	if (fsync_each)
		args[n++] = ib_xstrdup("--fsync=1");
	args[n++] = ib_xstrdup("--time_based");
	args[n++] = ib_xasprintf("--runtime=%.0fms", v->secs * 1000);
	args[n++] = ib_xasprintf("--ramp_time=%.0fms", v->secs * 100);
	args[n++] = ib_xstrdup("--output-format=json");
	args[n] = NULL;
	o = tool_output(v, tag, args, err);
	if (o && strchr(o, '{'))
		j = cJSON_Parse(strchr(o, '{'));
	if (o && !j)
		ib_err_set(err, -EINVAL, "fio printed no JSON");
	if (j) {
		const cJSON *job = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "jobs"), 0);
		const cJSON *x = cJSON_GetObjectItem(cJSON_GetObjectItem(job, side),
						     field);

		if (cJSON_IsNumber(x) && x->valuedouble > 0) {
			*out = x->valuedouble * scale;
			rc = 0;
		} else {
			ib_err_set(err, -EINVAL, "fio JSON lacks jobs[0].%s.%s",
				   side, field);
		}
	}
	cJSON_Delete(j);
	free(o);
	for (int i = 0; i < n; i++)
		free(args[i]);
	free(tag);
	return rc;
}

static int p_rr4k(struct vctx *v, double *o, struct ib_err *e)
{
	return p_disk(v, "randread-4k-qd1", "iops", o, e);
}
static int t_rr4k(struct vctx *v, double *o, struct ib_err *e)
{
	return t_fio(v, "randread", "4k", "psync", 1, 0, "read", "iops", 1, o, e);
}
static int p_sr1m(struct vctx *v, double *o, struct ib_err *e)
{
	return p_disk(v, "seqread-1m-qd1", "bw", o, e);
}
static int t_sr1m(struct vctx *v, double *o, struct ib_err *e)
{
	return t_fio(v, "read", "1m", "psync", 1, 0, "read", "bw_bytes",
		     1.0 / 1048576, o, e);
}
static int p_rwfs(struct vctx *v, double *o, struct ib_err *e)
{
	return p_disk(v, "randwrite-4k-fsync", "iops", o, e);
}
static int t_rwfs(struct vctx *v, double *o, struct ib_err *e)
{
	return t_fio(v, "randwrite", "4k", "psync", 1, 1, "write", "iops", 1, o, e);
}
static int p_rr32(struct vctx *v, double *o, struct ib_err *e)
{
	return p_disk(v, "randread-4k-qd32", "iops", o, e);
}
static int t_rr32(struct vctx *v, double *o, struct ib_err *e)
{
	return t_fio(v, "randread", "4k", "io_uring", 32, 0, "read", "iops", 1,
		     o, e);
}

/* membw: STREAM triad (and, from the same runs, copy) from the probe;
 * mbw's copy figure. Not like for like: mbw counts the bytes of one array
 * per copy (MiB), STREAM counts every byte read and written (MB); the
 * ratio shown puts both in bytes moved (mbw x 2 x 1.048576) and has no
 * target. */
static int p_membw(struct vctx *v, double *out, struct ib_err *err)
{
	char *a[] = {"membw", NULL};

	return probe_value(v, "probe-membw", a, "triad", NULL, out, err);
}

static int t_mbw(struct vctx *v, double *out, struct ib_err *err)
{
	char *mib = ib_xasprintf("%llu", (unsigned long long)(
		(v->membw_array ? v->membw_array : (256u << 20)) >> 20));
	char *a[] = {"mbw", "-n", "10", "-t0", "-q", mib, NULL};
	char *o;
	int rc = -1;

	a[0] = ib_which("mbw");
	o = a[0] ? tool_output(v, "mbw", a, err) : NULL;
	if (!a[0])
		ib_err_set(err, -ENOENT, "mbw not found");
	if (o) {
		const char *avg = strstr(o, "AVG");

		if (avg && number_after(avg, "Copy", out) == 0)
			rc = 0;
		else
			ib_err_set(err, -EINVAL, "mbw printed no AVG Copy");
	}
	free(o);
	free(a[0]);
	free(mib);
	return rc;
}

/* One `isobench run -r SPEC -b startup` in a run directory of its own
 * under raw/; the medians of to_exited and to_torn_down, ms. */
static int isobench_startup(struct vctx *v, const char *spec, double *exited,
			    double *torn, struct ib_err *err)
{
	char *self = ib_xstrdup("/proc/self/exe"), *dir, *json, *text, *tag;
	char launches[64], scratch[PATH_MAX];
	struct ib_buf o = {0};
	cJSON *root = NULL, *metrics;
	int rc;

	*exited = *torn = NAN;
	snprintf(launches, sizeof(launches), "startup.launches=%d", v->launches);
	tag = ib_xasprintf("isobench-run-%s", spec);
	for (char *c = tag; *c; c++)
		if (*c == ':' || *c == '=')
			*c = '-';
	dir = ib_xasprintf("%s/raw/round%d-%s", v->outdir, v->round, tag);
	snprintf(scratch, sizeof(scratch), "%s", v->scratch);
	{
		char *a[] = {self, "run", "-q", "-r", (char *)spec, "-b",
			     "startup", "-s", launches, "--probe", v->probe,
			     "--scratch", dirname(scratch), "-o", dir, NULL};

		rc = run_capture(a, v->scratch, 300, &o, err);
	}
	save_text(v, tag, &o);
	ib_buf_free(&o);
	if (rc != 0) {
		if (rc > 0)
			ib_err_set(err, -EIO, "isobench run -r %s -b startup: "
				   "exit status %d (see %s)", spec, rc, dir);
		free(dir);
		free(tag);
		free(self);
		return -1;
	}
	json = ib_xasprintf("%s/results.json", dir);
	text = ib_read_file(json, NULL, err);
	if (text)
		root = cJSON_Parse(text);
	metrics = cJSON_GetObjectItem(root, "metrics");
	for (int i = 0; i < cJSON_GetArraySize(metrics); i++) {
		const cJSON *m = cJSON_GetArrayItem(metrics, i);
		const cJSON *name = cJSON_GetObjectItem(m, "metric");
		const cJSON *med = cJSON_GetObjectItem(m, "median");

		if (!cJSON_IsString(name) || !cJSON_IsNumber(med))
			continue;
		if (!strcmp(name->valuestring, "to_exited")) {
			const cJSON *x;

			*exited = med->valuedouble;
			if (v->collect_exited)
				cJSON_ArrayForEach(x, cJSON_GetObjectItem(m, "samples"))
					if (cJSON_IsNumber(x))
						push_sample(&v->vm_is, &v->nvm_is,
							    x->valuedouble);
		}
		if (!strcmp(name->valuestring, "to_torn_down"))
			*torn = med->valuedouble;
	}
	cJSON_Delete(root);
	free(text);
	rc = 0;
	if (!isfinite(*exited) || !isfinite(*torn))
		rc = ib_err_set(err, -ENOENT, "%s: no startup figures", json);
	free(json);
	free(dir);
	free(tag);
	free(self);
	return rc;
}

/* hyperfine -N timing cmd (shell words) v->launches times after one
 * warm-up, its JSON kept as raw/roundN-NAME.json: the median in ms to
 * *out, and (if samples is not NULL) every run's time appended. */
static int hyperfine_ms(struct vctx *v, const char *name, const char *cmd,
			double *out, double **samples, int *nsamples,
			struct ib_err *err)
{
	char *hf = ib_which("hyperfine"), *o = NULL, *text = NULL;
	char *json = ib_xasprintf("%s/raw/round%d-%s.json", v->outdir, v->round,
				  name);
	char runs[32];
	cJSON *root = NULL;
	const cJSON *res, *med, *x;
	int rc = -1;

	if (!hf) {
		ib_err_set(err, -ENOENT, "hyperfine not found");
		goto out;
	}
	snprintf(runs, sizeof(runs), "%d", v->launches);
	{
		char *a[] = {hf, "-N", "--style", "basic", "--output", "pipe",
			     "--warmup", "1", "--runs", runs, "--export-json",
			     json, (char *)cmd, NULL};

		o = tool_output(v, name, a, err);
	}
	if (!o)
		goto out;
	text = ib_read_file(json, NULL, err);
	root = text ? cJSON_Parse(text) : NULL;
	res = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "results"), 0);
	med = cJSON_GetObjectItem(res, "median");
	if (!cJSON_IsNumber(med)) {
		ib_err_set(err, -EINVAL, "%s: no results[0].median", json);
		goto out;
	}
	*out = med->valuedouble * 1e3;
	if (samples)
		cJSON_ArrayForEach(x, cJSON_GetObjectItem(res, "times"))
			if (cJSON_IsNumber(x))
				push_sample(samples, nsamples, x->valuedouble * 1e3);
	rc = 0;
out:
	cJSON_Delete(root);
	free(text);
	free(o);
	free(json);
	free(hf);
	return rc;
}

/* startup: isobench's runc driver against hyperfine timing `runc run` of
 * a bundle made by the same code, with the same probe and arguments (the
 * probe exits at once); each side's figure is the median over the
 * launches of a round, in ms. Like for like is the runc driver with
 * lifecycle=run (one `runc run`, launch to its exit), run on its own as
 * hyperfine runs: interleaved with other containers' teardowns it pays
 * for their after-effects. isobench's default create/start/delete
 * lifecycle is run next, for the record: its separate commands cost more
 * than one `runc run`, which is the runtime's cost, not the harness's. */
static int p_startup(struct vctx *v, double *out, struct ib_err *err)
{
	double exited, torn;

	if (isobench_startup(v, "runc:lifecycle=run", out, &torn, err) < 0)
		return -1;
	if (isobench_startup(v, "runc", &exited, &torn, err) < 0)
		return -1;
	if (v->ntorn < MAX_ROUNDS) {
		v->create_exited[v->ntorn] = exited;
		v->torn_down[v->ntorn++] = torn;
	}
	return 0;
}

static int make_startup_bundle(struct vctx *v, struct ib_err *err)
{
	char *probe = ib_xasprintf("%s/isobench-probe", v->scratch), *copy;
	char *bundle = ib_xasprintf("%s/bundle", v->scratch);
	char *id = ib_xasprintf("isobench-validate-%d", (int)getpid());
	char *cg = ib_xasprintf("/isobench/%s", id);
	char *argv[] = {"--scratch", IB_OCI_SCRATCH, "startup", NULL};
	size_t len;
	int rc;

	/* the bundle's rootfs hard-links the probe: a copy on its fs */
	copy = ib_read_file(v->probe, &len, err);
	rc = copy ? ib_write_file_atomic_mode(probe, copy, len, 0555, err) : -1;
	free(copy);
	if (rc == 0)
		rc = ib_oci_bundle_create(&(struct ib_oci_bundle){
			.dir = bundle, .probe = probe, .scratch = v->scratch,
			.probe_argv = argv, .run_id = id, .cgroups_path = cg,
			.limits = {.memory = 8ull << 30}}, err);
	free(probe);
	free(cg);
	free(id);
	if (rc < 0) {
		free(bundle);
		return -1;
	}
	v->bundle = bundle;
	return 0;
}

static int t_startup(struct vctx *v, double *out, struct ib_err *err)
{
	char *runc = ib_which("runc"), *cmd;
	int rc;

	if (!runc)
		return ib_err_set(err, -ENOENT, "runc not found");
	if (!v->bundle && make_startup_bundle(v, err) < 0) {
		free(runc);
		return -1;
	}
	/* One container id, reused: `runc run` destroys the container when
	 * its process exits, before the next run starts. */
	cmd = ib_xasprintf("%s run --bundle %s isobench-validate-%d", runc,
			   v->bundle, (int)getpid());
	rc = hyperfine_ms(v, "hyperfine", cmd, out, NULL, NULL, err);
	free(cmd);
	free(runc);
	return rc;
}

/* startup of a VM: isobench's qemu driver (microvm, its accelerator
 * choice) against hyperfine timing the same QEMU command line, launch to
 * exit. The difference is what the harness adds to a VM launch: the
 * spawn, QMP's connection and vCPU query, reading the console. */
static int p_startup_qemu(struct vctx *v, double *out, struct ib_err *err)
{
	double torn;
	int rc;

	v->collect_exited = 1;
	rc = isobench_startup(v, "qemu", out, &torn, err);
	v->collect_exited = 0;
	return rc;
}

static int t_startup_qemu(struct vctx *v, double *out, struct ib_err *err)
{
	char launches[64], *why = NULL, *cmd, *qmp;
	char *pargv[] = {"startup", launches, "gap=0", NULL};
	struct ib_limits lim = {0, 8ull << 30}; /* the plan's defaults */
	int rc = -1;

	snprintf(launches, sizeof(launches), "launches=%d", v->launches);
	/* with a QMP socket, as isobench's VMs have (nobody connects: what
	 * connecting costs is the harness's) */
	qmp = ib_xasprintf("%s/validate-qmp.sock", v->scratch);
	cmd = ib_sock_path_check(qmp, err) < 0
		      ? NULL
		      : ib_qemu_command(v->probe, "microvm", "auto", &lim, pargv,
					qmp, &why, err);
	if (cmd)
		rc = hyperfine_ms(v, "hyperfine-qemu", cmd, out, &v->vm_hf,
				  &v->nvm_hf, err);
	unlink(qmp);
	free(qmp);
	free(cmd);
	free(why);
	return rc;
}

struct check {
	const char *id;
	const char *what;       /* the probe's figure */
	const char *tool;       /* the classic tool and how it was run */
	const char *prog, *pkg; /* for the "not installed" message */
	const char *unit;
	double target_pct;      /* |ratio - 1| allowed; < 0: no target */
	int max_rounds;         /* 0: every round (membw is slow: 3) */
	int pairs;              /* probe/tool pairs per round (cheap ones: 3) */
	double tool_scale;      /* multiply the tool's figure for the ratio */
	int (*probe)(struct vctx *, double *, struct ib_err *);
	int (*tool_fn)(struct vctx *, double *, struct ib_err *);
	double pv[MAX_ROUNDS * 3], tv[MAX_ROUNDS * 3];
	int np, nt;
	int selected;
	char failure[1024];
};

#define CHECKN(i, w, t, p, k, u, tg, sc, pf, tf, n)                         \
	{.id = i, .what = w, .tool = t, .prog = p, .pkg = k, .unit = u,      \
	 .target_pct = tg, .tool_scale = sc, .probe = pf, .tool_fn = tf,     \
	 .pairs = n}
#define CHECK(i, w, t, p, k, u, tg, sc, pf, tf)                             \
	CHECKN(i, w, t, p, k, u, tg, sc, pf, tf, 1)

static struct check checks[] = {
	/* The cheap checks run 3 pairs a round: CPU time on a shared host
	 * comes in bursts, and more pairs make the medians robust to them. */
	CHECKN("cpu", "cpu events/s, 1 thread",
	       "sysbench cpu --cpu-max-prime=10000 --threads=1", "sysbench",
	       "sysbench", "events/s", 3, 1, p_cpu_w, t_cpu, 3),
	CHECKN("syscall", "syscall getppid, ns/call", "perf bench syscall basic",
	       "perf", "linux-perf", "ns", 10, 1, p_getppid, t_getppid, 3),
	CHECKN("ctxsw", "ctxsw round trip, one CPU, us",
	       "perf bench sched pipe, one CPU", "perf", "linux-perf", "us", 15,
	       1, p_ctxsw1, t_ctxsw1, 3),
	CHECKN("ctxsw-any-cpu", "ctxsw round trip, any CPU, us",
	       "perf bench sched pipe, any CPU", "perf", "linux-perf", "us", -1,
	       1, p_ctxsw, t_ctxsw, 3),
	CHECK("disk-randread", "disk randread 4k qd1, IOPS",
	      "fio psync randread 4k iodepth=1 direct=1", "fio", "fio", "IO/s",
	      5, 1, p_rr4k, t_rr4k),
	CHECK("disk-seqread", "disk seqread 1m qd1, MiB/s",
	      "fio psync read 1m iodepth=1 direct=1", "fio", "fio", "MiB/s", 5,
	      1, p_sr1m, t_sr1m),
	CHECK("disk-randwrite-fsync", "disk randwrite 4k + fsync, IOPS",
	      "fio psync randwrite 4k fsync=1 direct=1", "fio", "fio", "IO/s",
	      5, 1, p_rwfs, t_rwfs),
	CHECK("disk-randread-qd32", "disk randread 4k qd32, IOPS",
	      "fio io_uring randread 4k iodepth=32 direct=1", "fio", "fio",
	      "IO/s", 5, 1, p_rr32, t_rr32),
	CHECK("startup-runc", "runc run, launch to exit (isobench), ms",
	      "hyperfine -N 'runc run' of the same bundle", "hyperfine",
	      "hyperfine", "ms", 10, 1, p_startup, t_startup),
	/* A VM boot under TCG takes seconds: 3 rounds. The target, at most
	 * 5 ms of harness, is judged in the notes on the difference and its
	 * interval, not on the ratio. */
	{.id = "startup-qemu", .what = "qemu microvm, launch to exit (isobench), ms",
	 .tool = "hyperfine -N of the same QEMU command line (with -qmp)",
	 .prog = "hyperfine",
	 .pkg = "hyperfine", .unit = "ms", .target_pct = -1, .tool_scale = 1,
	 .max_rounds = 3, .pairs = 1, .probe = p_startup_qemu,
	 .tool_fn = t_startup_qemu},
	CHECKN("net-stream", "net stream-tx 1 stream over veth, Gbit/s (receiver)",
	       "iperf3 -c -l 128K -O 1 -J (receiver bits/s), same veth",
	       "iperf3", "iperf3", "Gbit/s", 5, 1, p_net_stream, t_iperf3, 3),
	CHECKN("net-rr", "net rr over veth, mean round trip, us",
	       "sockperf ping-pong --tcp --full-rtt (avg-rtt), same veth",
	       "sockperf", "sockperf", "us", 10, 1, p_net_rr, t_sockperf, 3),
	{.id = "membw", .what = "membw STREAM triad, MB/s",
	 .tool = "mbw -t0 (memcpy) copy, MiB/s of one array", .prog = "mbw",
	 .pkg = "mbw", .unit = "MB/s", .target_pct = -1,
	 .tool_scale = 2 * 1.048576, .max_rounds = 3, .pairs = 1,
	 .probe = p_membw, .tool_fn = t_mbw},
};

/* --- output -------------------------------------------------------------- */

static double median_of(const double *v, int n)
{
	struct ib_stats s;

	if (n == 0)
		return NAN;
	ib_stats_compute(v, n, &s);
	return s.median;
}

static double rsd_of(const double *v, int n)
{
	struct ib_stats s;

	if (n < 2)
		return NAN;
	ib_stats_compute(v, n, &s);
	return s.rsd;
}

static const char *verdict(const struct check *c, double ratio)
{
	if (c->np == 0 || c->nt == 0)
		return c->failure[0] ? "NOT RUN" : "-";
	if (c->target_pct < 0)
		return "info";
	return fabs(ratio - 1) * 100 <= c->target_pct ? "ok" : "MISS";
}

/* The net checks: the median of the back-to-back pairs' ratios beside
 * the ratio of the medians. */
static void print_net_notes(FILE *f, int markdown)
{
	for (size_t i = 0; i < IB_ARRAY_LEN(checks); i++) {
		const struct check *c = &checks[i];
		double r[MAX_ROUNDS * 3];
		int n = 0;

		/* sides ran back to back, so a host's drift hits a pair alike:
		 * the median of the pairs' ratios is shown beside */
		if (strncmp(c->id, "net-", 4) || !c->selected)
			continue;
		for (; n < c->np && n < c->nt; n++)
			r[n] = c->pv[n] / c->tv[n];
		if (n < 2)
			continue;
		fprintf(f, "%s%s: the median of the %d back-to-back pairs' "
			"ratios is %.3f (the verdict uses the ratio of the "
			"medians). Clients run on the first CPU, servers (the "
			"peer, %s) on the last.\n", markdown ? "\n" : "",
			c->id, n, median_of(r, n),
			strcmp(c->id, "net-rr") ? "iperf3 -s" : "sockperf server");
	}
}

/* membw: the copy kernels, like for like in bytes moved. */
static void print_membw_note(FILE *f, int markdown, const struct vctx *v)
{
	for (size_t i = 0; i < IB_ARRAY_LEN(checks); i++) {
		const struct check *c = &checks[i];
		double copy = median_of(v->membw_copy, v->ncopy);
		double mbw = median_of(c->tv, c->nt);
		char a[32], b[32];

		if (strcmp(c->id, "membw") || !c->selected || !v->ncopy || !c->nt)
			continue;
		ib_fmt_value(a, sizeof(a), copy);
		ib_fmt_value(b, sizeof(b), mbw * c->tool_scale);
		fprintf(f, "%smembw copy, like for like in bytes moved: the "
			"probe's STREAM copy %s MB/s, mbw's memcpy %s MB/s "
			"(x2 x 1.048576), ratio %.3f; no target (a loop of "
			"doubles against libc's memcpy).\n",
			markdown ? "\n" : "", a, b, copy / (mbw * c->tool_scale));
	}
}

/* startup: the harness's share of a VM launch (startup-qemu), and runc's
 * default lifecycle beside `runc run` (startup-runc). */
static void print_startup_notes(FILE *f, int markdown, const struct vctx *v)
{
	for (size_t i = 0; i < IB_ARRAY_LEN(checks); i++) {
		const struct check *c = &checks[i];
		double torn = median_of(v->torn_down, v->ntorn);
		double exited = median_of(v->create_exited, v->ntorn);
		double hf = median_of(c->tv, c->nt);
		char a[32], b[32], e[32];

		if (!strcmp(c->id, "startup-qemu") && c->selected &&
		    v->nvm_is > 1 && v->nvm_hf > 1) {
			double r, lo, hi, mb = median_of(v->vm_hf, v->nvm_hf);

			/* the difference of the medians over every launch,
			 * with the bootstrap interval of their ratio scaled
			 * by hyperfine's median */
			ib_ratio_ci(v->vm_is, v->nvm_is, v->vm_hf, v->nvm_hf, &r,
				    &lo, &hi);
			fprintf(f, "%sstartup-qemu: the harness's share of a VM "
				"launch, isobench's launch to exit minus "
				"hyperfine's over %d and %d launches: %+.1f ms, "
				"95%% interval [%+.1f, %+.1f] ms; target at most "
				"5 ms: %s.\n",
				markdown ? "\n" : "", v->nvm_is, v->nvm_hf,
				(r - 1) * mb, (lo - 1) * mb, (hi - 1) * mb,
				(hi - 1) * mb <= 5 ? "met"
				: (lo - 1) * mb > 5
					? "MISSED"
					: "undecided: the launches' own spread is "
					  "wider than the target");
		}
		if (strcmp(c->id, "startup-runc") || !c->selected || !v->ntorn ||
		    !c->nt)
			continue;
		ib_fmt_value(a, sizeof(a), torn);
		ib_fmt_value(b, sizeof(b), hf);
		ib_fmt_value(e, sizeof(e), exited);
		fprintf(f, "%sstartup: both sides run `runc run` (isobench's "
			"runc:lifecycle=run, on its own). isobench's default runc "
			"lifecycle, create + start + wait (+ delete), right after "
			"in each round: %s ms to exit (ratio %.3f to hyperfine), %s ms to "
			"torn down (%.3f): separate runc commands cost more than "
			"one `runc run`. Each side: the median of %d launches a "
			"round, then the median over rounds.\n",
			markdown ? "\n" : "", e, exited / hf, a, torn / hf,
			v->launches);
	}
}

static int print_table(FILE *f, int markdown, int rounds,
		       const struct vctx *v)
{
	int misses = 0;

	if (markdown)
		fprintf(f, "| check | probe (median) | RSD | classic tool "
			"(median) | RSD | ratio | target | verdict |\n"
			"|---|---:|---:|---|---:|---:|---:|---|\n");
	else
		fprintf(f, "\n%-34s %12s %6s  %12s %6s  %6s %7s  %s\n", "check",
			"probe", "rsd%", "tool", "rsd%", "ratio", "target",
			"verdict");
	for (size_t i = 0; i < IB_ARRAY_LEN(checks); i++) {
		struct check *c = &checks[i];
		double pm = median_of(c->pv, c->np), tm = median_of(c->tv, c->nt);
		double ratio = pm / (tm * c->tool_scale);
		const char *vd = verdict(c, ratio);
		char a[32], b[32], t[16];

		if (!c->selected)
			continue;
		ib_fmt_value(a, sizeof(a), pm);
		ib_fmt_value(b, sizeof(b), tm);
		if (c->target_pct >= 0)
			snprintf(t, sizeof(t), "+-%g%%", c->target_pct);
		else
			snprintf(t, sizeof(t), "none");
		if (strcmp(vd, "ok") && strcmp(vd, "info"))
			misses++;
		if (markdown)
			fprintf(f, "| %s | %s %s | %.1f%% | %s: %s | %.1f%% | "
				"%.3f | %s | %s |\n", c->what, a, c->unit,
				rsd_of(c->pv, c->np), c->tool, b,
				rsd_of(c->tv, c->nt), ratio, t, vd);
		else {
			char ra[16] = "-", rb[16] = "-";

			if (isfinite(rsd_of(c->pv, c->np)))
				snprintf(ra, sizeof(ra), "%.1f", rsd_of(c->pv, c->np));
			if (isfinite(rsd_of(c->tv, c->nt)))
				snprintf(rb, sizeof(rb), "%.1f", rsd_of(c->tv, c->nt));
			fprintf(f, "%-34s %12s %6s  %12s %6s  %6.3f %7s  %s\n",
				c->what, a, ra, b, rb, ratio, t, vd);
		}
		if (c->failure[0])
			fprintf(f, markdown ? "| | %s | | | | | | |\n"
					    : "%-34s   (%s)\n",
				markdown ? c->failure : "", c->failure);
	}
	if (markdown)
		fprintf(f, "\n%d rounds (cpu, syscall, ctxsw and net: 3 pairs "
			"a round; membw: 3 rounds), probe and tool alternating "
			"which goes first; ratio = median(probe) / median(tool)%s.\n"
			"membw: the probe's STREAM triad (MB/s, all bytes read "
			"and written) beside mbw's memcpy copy (MiB/s of one "
			"array); the ratio converts mbw to bytes moved (x2 x "
			"1.048576) and is not like for like, so it has no "
			"target.\n", rounds,
			"; ctxsw and syscall compare round trips and calls "
			"exactly as perf reports them. ctxsw on one CPU is the "
			"cost of the token passing; on any CPU, cross-CPU "
			"wake-ups in a VM add a cost that swings with the host, "
			"shown without a target");
	print_net_notes(f, markdown);
	print_membw_note(f, markdown, v);
	print_startup_notes(f, markdown, v);
	return misses;
}

static void write_json(const struct vctx *v, int rounds)
{
	cJSON *o = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(o, "checks");
	char *text, *path, when[32];

	ib_utc_iso8601(when, sizeof(when));
	cJSON_AddStringToObject(o, "isobench", ISOBENCH_VERSION);
	cJSON_AddStringToObject(o, "ended", when);
	cJSON_AddNumberToObject(o, "rounds", rounds);
	cJSON_AddNumberToObject(o, "seconds_per_measurement", v->secs);
	cJSON_AddStringToObject(o, "disk_file_size", v->disk_size);
	for (size_t i = 0; i < IB_ARRAY_LEN(checks); i++) {
		const struct check *c = &checks[i];
		cJSON *x;
		double pm = median_of(c->pv, c->np), tm = median_of(c->tv, c->nt);

		if (!c->selected)
			continue;
		x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "id", c->id);
		cJSON_AddStringToObject(x, "probe", c->what);
		cJSON_AddStringToObject(x, "tool", c->tool);
		cJSON_AddStringToObject(x, "unit", c->unit);
		cJSON_AddItemToObject(x, "probe_values",
				      cJSON_CreateDoubleArray(c->pv, c->np));
		cJSON_AddItemToObject(x, "tool_values",
				      cJSON_CreateDoubleArray(c->tv, c->nt));
		if (c->np && c->nt) {
			cJSON_AddNumberToObject(x, "ratio", pm / (tm * c->tool_scale));
			cJSON_AddStringToObject(x, "verdict",
						verdict(c, pm / (tm * c->tool_scale)));
		}
		if (c->target_pct >= 0)
			cJSON_AddNumberToObject(x, "target_pct", c->target_pct);
		if (c->failure[0])
			cJSON_AddStringToObject(x, "failure", c->failure);
		cJSON_AddItemToArray(arr, x);
	}
	text = cJSON_Print(o);
	path = ib_xasprintf("%s/validation.json", v->outdir);
	ib_write_file_atomic(path, text, strlen(text), NULL);
	free(path);
	cJSON_free(text);
	cJSON_Delete(o);
}

/* The rounds: every selected check once a round, its probe side and its
 * tool side alternating which goes first (pairs, then rounds: A B, B A,
 * A B, ...); a check whose tool is missing or whose side failed is
 * recorded as such and skipped from then on. */
static void run_rounds(struct vctx *v, int rounds, const struct ib_strv *only)
{
	for (v->round = 1; v->round <= rounds && !ib_runner_interrupted(); v->round++) {
		for (size_t i = 0; i < IB_ARRAY_LEN(checks) &&
				   !ib_runner_interrupted(); i++) {
			struct check *c = &checks[i];
			char *tool;

			if (only->n && ib_strv_find(only, c->id) < 0)
				continue;
			c->selected = 1;
			if (c->max_rounds && v->round > c->max_rounds)
				continue;
			tool = ib_which(c->prog);
			if (!tool) {
				snprintf(c->failure, sizeof(c->failure),
					 "%s not installed: apt-get install -y %s",
					 c->prog, c->pkg);
				continue;
			}
			free(tool);
			if (c->failure[0])
				continue;
			fprintf(stderr, "  round %d/%d: %s\n", v->round, rounds, c->id);
			/* pairs alternate which side goes first, and so do
			 * rounds: A B, B A, A B, ... */
			for (int pair = 0; pair < c->pairs && !c->failure[0]; pair++)
				for (int side = 0; side < 2; side++) {
					int probe_turn = (side == 0) ==
							 ((v->round + pair) % 2 == 1);
					double x;
					struct ib_err e = {0};

					if (c->np >= MAX_ROUNDS * 3 ||
					    (probe_turn ? c->probe(v, &x, &e)
							: c->tool_fn(v, &x, &e))) {
						snprintf(c->failure,
							 sizeof(c->failure), "%s",
							 e.msg[0] ? e.msg
								  : "too many samples");
						break;
					}
					if (probe_turn)
						c->pv[c->np++] = x;
					else
						c->tv[c->nt++] = x;
				}
		}
	}
}

int ib_validate_known_check(const char *id)
{
	for (size_t k = 0; k < IB_ARRAY_LEN(checks); k++)
		if (!strcmp(checks[k].id, id))
			return 1;
	return 0;
}

int ib_validate_run(const struct ib_validate_opts *o)
{
	struct vctx v = {.secs = o->secs, .disk_size = o->disk_size,
			 .launches = 10};
	const struct ib_strv only = o->only;
	const char *out = o->out, *scratch_parent = o->scratch_parent;
	char *scratch_abs = NULL;
	int rounds = o->rounds, rc = 0, misses, new_outdir;
	char stamp[32], *path;
	struct ib_err err = {0};
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	v.probe = ib_xstrdup(o->probe);
	/* absolute from here on: the tools and the runs validate starts
	 * work in the scratch directory */
	path = out ? ib_xstrdup(out)
		   : ib_xasprintf("isobench-results/validate-%s", stamp);
	v.outdir = ib_abspath(path);
	new_outdir = !out;
	free(path);
	scratch_abs = ib_abspath(scratch_parent);
	if (!v.outdir || !scratch_abs) {
		fprintf(stderr, "isobench validate: the current directory: "
			"%s\n", strerror(errno));
		free(scratch_abs);
		free(v.probe);
		free(v.outdir);
		return IB_EXIT_ENV;
	}
	scratch_parent = scratch_abs;
	v.scratch = ib_xasprintf("%s/isobench-validate-%s-%d", scratch_parent,
				 stamp, (int)getpid());
	path = ib_xasprintf("%s/raw", v.outdir);
	if (access(v.probe, X_OK) != 0) {
		fprintf(stderr, "isobench validate: probe %s: %s\n", v.probe,
			strerror(errno));
		rc = IB_EXIT_ENV;
	} else if ((new_outdir && /* the default one: new, made here, checked
				   (a given -o may hold earlier ones) */
		    (ib_mkdirs("isobench-results", 0755, &err) < 0 ||
		     ib_mkdir_private(v.outdir, 0755, 1, &err) < 0)) ||
		   ib_mkdirs(path, 0755, &err) < 0 ||
		   ib_mkdirs(scratch_parent, 0700, &err) < 0) {
		fprintf(stderr, "isobench validate: %s\n", err.msg);
		rc = IB_EXIT_ENV;
	} else if (ib_mkdir_private(v.scratch, 0700, 1, &err) < 0) {
		/* exclusively: one that exists is someone else's, never used
		 * nor removed */
		fprintf(stderr, "isobench validate: work directory: %s\n",
			err.msg);
		free(v.scratch);
		v.scratch = NULL;
		rc = IB_EXIT_ENV;
	}
	free(path);
	if (rc)
		goto out;
	v.disk_file = ib_xasprintf("%s/isobench-disk.dat", v.scratch);
	ib_runner_install_signals();
	fprintf(stderr, "isobench validate: %d rounds of %zu checks, %g s per "
		"side; raw outputs in %s/raw\n", rounds, IB_ARRAY_LEN(checks),
		v.secs, v.outdir);
	run_rounds(&v, rounds, &only);
	misses = print_table(stdout, 0, rounds, &v);
	path = ib_xasprintf("%s/validation.md", v.outdir);
	{
		FILE *f = fopen(path, "w");

		if (f) {
			fprintf(f, "# isobench validation\n\n");
			print_table(f, 1, rounds, &v);
			fclose(f);
		}
	}
	free(path);
	write_json(&v, rounds);
	printf("\n%s; details in %s/validation.md\n",
	       misses ? "Some checks missed their target or did not run"
		      : "Every check is within its target",
	       v.outdir);
	rc = ib_runner_interrupted() ? IB_EXIT_INTERRUPTED : misses ? 1 : 0;
out:
	net_release(&v);
	if (v.scratch)
		ib_rmtree(v.scratch);
	free(v.bundle);
	free(v.vm_is);
	free(v.vm_hf);
	free(v.probe);
	free(v.outdir);
	free(v.scratch);
	free(scratch_abs);
	free(v.disk_file);
	return rc;
}
