/* checks_net: net-stream, the net-*-nuttcp checks and net-rr, the probe
 * (against its peer) beside iperf3, nuttcp and sockperf, over one veth link
 * to a namespace of validate's own; the namespace's end (the probe, the
 * tools' clients, nuttcp's transmitting server) pinned to the first CPU,
 * the host's end (the peer, the tools' servers, nuttcp's receiving
 * client) to the last. */
#include "validate/internal.h"

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

	if (taskset && vd_net_cpus(&c, &srv) == 0) {
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

/* nuttcp's ports in the link's namespace: the namespace is validate's
 * own, nothing else listens there (with -N4 the data ports are 15001 to
 * 15004). */
#define NUTTCP_CTL_PORT "15000"
#define NUTTCP_DATA_PORT "15001"

/* nuttcp's server, in the link's namespace (it listens on every address:
 * there, only the link's), pinned where the probe runs: the side that
 * transmits in stream-tx and receives in stream-rx, as the probe. */
static int start_nuttcp_server(struct vctx *v, char *nuttcp,
			       struct ib_err *err)
{
	struct ib_spawn_opts so = {.flags = IB_PROC_DIE_WITH_PARENT};
	char *log = ib_xasprintf("%s/raw/nuttcp-server.txt", v->outdir);
	struct ib_strv argv = {0};
	int rc;

	ib_strv_push_owned(&argv, ib_which("ip"));
	ib_strv_push(&argv, "netns");
	ib_strv_push(&argv, "exec");
	ib_strv_push(&argv, v->net.netns);
	vd_push_client_cpu(v, &argv);
	ib_strv_push(&argv, nuttcp);
	ib_strv_push(&argv, "-S");
	ib_strv_push(&argv, "--nofork");
	ib_strv_push(&argv, "-P" NUTTCP_CTL_PORT);
	ib_strv_push(&argv, "-p" NUTTCP_DATA_PORT);
	so.output_file = log;
	rc = ib_proc_start(&v->nuttcp_server, argv.v, &so, err);
	ib_strv_free(&argv);
	free(log);
	if (rc == 0)
		rc = ib_state_add_process(&v->state, "nuttcp",
					  v->nuttcp_server.pid,
					  v->nuttcp_server.starttime, err);
	return rc;
}

/* The link, the probe's peer and the tools' servers, once. */
int vd_net_ready(struct vctx *v, struct ib_err *err)
{
	char *ip3 = ib_which("iperf3"), *sp = ib_which("sockperf");
	char *nt = ib_which("nuttcp");
	char *dir, port[16];
	int rc;

	if (v->net_tried) {
		free(ip3);
		free(sp);
		free(nt);
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

		v->net.peer_cpu = vd_net_cpus(&c, &srv) == 0 ? srv : -1;
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
	if (rc == 0 && nt)
		rc = start_nuttcp_server(v, nt, err);
	free(ip3);
	free(sp);
	free(nt);
	if (rc < 0)
		snprintf(v->net_err, sizeof(v->net_err), "%s", err->msg);
	else
		usleep(300000); /* the servers listen */
	return rc;
}

void vd_net_release(struct vctx *v)
{
	struct ib_proc *srv[] = {&v->iperf3_server, &v->sockperf_server,
				 &v->nuttcp_server};
	const char *names[] = {"iperf3", "sockperf", "nuttcp"};

	for (int i = 0; i < 3; i++)
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

/* The probe's stream test of the check running (stream-tx with 1 stream
 * unless it says otherwise), 128 KiB blocks, a 1 s warm-up. */
int vd_p_net_stream(struct vctx *v, double *out, struct ib_err *err)
{
	const struct check *c = v->cur;
	char d[32], t[48], n[32], tag[64];
	char *a[] = {"--peer", NULL, "net", t, n, "block=128k", "warmup=1", d,
		     NULL};

	if (vd_net_ready(v, err) < 0)
		return -1;
	a[1] = v->net.peer_at;
	snprintf(t, sizeof(t), "tests=%s",
		 c && c->net_test ? c->net_test : "stream-tx");
	snprintf(n, sizeof(n), "streams=%d",
		 c && c->net_streams ? c->net_streams : 1);
	snprintf(d, sizeof(d), "duration=%g", v->secs);
	snprintf(tag, sizeof(tag), "%s-probe", c && c->id ? c->id : "net-stream");
	return vd_probe_value(v, tag, a, "throughput", NULL, out, err);
}

/* A net tool's output, retried for a while (5 tries, 0.5 s apart) if it
 * failed: its server may not be listening yet. */
static char *tool_output_retried(struct vctx *v, const char *tag, char **argv,
				 struct ib_err *err)
{
	char *out = NULL;

	for (int tries = 0; tries < 5 && !out; tries++) {
		out = vd_tool_output(v, tag, argv, err);
		if (!out)
			usleep(500000);
	}
	return out;
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
	vd_push_client_cpu(v, &argv);
	for (char **a = tool_argv; *a; a++)
		ib_strv_push(&argv, *a);
	out = tool_output_retried(v, tag, argv.v, err);
	ib_strv_free(&argv);
	return out;
}

int vd_t_iperf3(struct vctx *v, double *out, struct ib_err *err)
{
	char t[32], port[16];
	char *a[] = {"iperf3", "-c", NULL, "-p", port, "-l", "128K", "-P", "1",
		     "-t", t, "-O", "1", "-J", NULL};
	char *text;
	cJSON *j;
	const cJSON *bps;

	if (vd_net_ready(v, err) < 0)
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

/* nuttcp's client on the host's end, pinned where the peer runs: for
 * stream-tx it receives (-r) what its server in the namespace transmits,
 * for stream-rx it transmits (-t) to it; the check's streams (-N), 128
 * KiB writes and reads. Its rate is over the whole transfer (nuttcp has
 * no warm-up to leave out; TCP's slow start on a veth lasts
 * milliseconds), the sum of the streams. */
int vd_t_nuttcp(struct vctx *v, double *out, struct ib_err *err)
{
	const struct check *c = v->cur;
	int rx = c && c->net_test && !strcmp(c->net_test, "stream-rx");
	int streams = c && c->net_streams ? c->net_streams : 1;
	char t[32], *text, tag[64];
	char *taskset = ib_which("taskset"), *nuttcp = ib_which("nuttcp");
	struct ib_strv argv = {0};
	int cpu, srv, rc = -1;

	if (!nuttcp || vd_net_ready(v, err) < 0) {
		free(taskset);
		free(nuttcp);
		return nuttcp ? -1 : ib_err_set(err, -ENOENT, "nuttcp not found");
	}
	snprintf(tag, sizeof(tag), "%s-tool", c && c->id ? c->id : "nuttcp");
	if (taskset && vd_net_cpus(&cpu, &srv) == 0) {
		ib_strv_push_owned(&argv, taskset);
		taskset = NULL;
		ib_strv_push(&argv, "-c");
		ib_strv_push_owned(&argv, ib_xasprintf("%d", srv));
	}
	free(taskset);
	snprintf(t, sizeof(t), "-T%d", (int)ceil(v->secs));
	ib_strv_push_owned(&argv, nuttcp);
	ib_strv_push(&argv, rx ? "-t" : "-r");
	ib_strv_push_owned(&argv, ib_xasprintf("-N%d", streams));
	ib_strv_push(&argv, t);
	ib_strv_push(&argv, "-l128k");
	ib_strv_push(&argv, "-fparse");
	ib_strv_push(&argv, "-P" NUTTCP_CTL_PORT);
	ib_strv_push(&argv, "-p" NUTTCP_DATA_PORT);
	ib_strv_push(&argv, v->net.inst_addr);
	text = tool_output_retried(v, tag, argv.v, err);
	ib_strv_free(&argv);
	if (!text)
		return -1;
	/* "megabytes=... real_seconds=3.00 rate_Mbps=14441.0435 ...": one
	 * line, the streams' sum */
	if (vd_number_after(text, "rate_Mbps=", out) == 0) {
		*out /= 1e3;
		rc = 0;
	} else {
		rc = ib_err_set(err, -EINVAL, "nuttcp: no rate_Mbps (see "
				"raw/round%d-%s.txt)", v->round, tag);
	}
	free(text);
	return rc;
}

int vd_p_net_rr(struct vctx *v, double *out, struct ib_err *err)
{
	char d[32];
	char *a[] = {"--peer", NULL, "net", "tests=rr", "warmup=0.5", d, NULL};

	if (vd_net_ready(v, err) < 0)
		return -1;
	a[1] = v->net.peer_at;
	snprintf(d, sizeof(d), "duration=%g", v->secs);
	return vd_probe_value(v, "net-rr-probe", a, "rtt_mean", NULL, out, err);
}

int vd_t_sockperf(struct vctx *v, double *out, struct ib_err *err)
{
	char t[32], port[16];
	char *a[] = {"sockperf", "ping-pong", "--tcp", "-i", NULL, "-p", port,
		     "-t", t, "--full-rtt", NULL};
	char *text;
	int rc;

	if (vd_net_ready(v, err) < 0)
		return -1;
	a[4] = v->net.host_addr;
	snprintf(port, sizeof(port), "%d", v->sockperf_port);
	snprintf(t, sizeof(t), "%d", (int)ceil(v->secs));
	text = net_client(v, "net-rr-sockperf", a, err);
	if (!text)
		return -1;
	/* "sockperf: ====> avg-rtt=71.390 (std-dev=...)", microseconds */
	rc = vd_number_after(text, "avg-rtt=", out);
	free(text);
	if (rc < 0)
		return ib_err_set(err, -EINVAL, "sockperf: no avg-rtt (see "
				  "raw/round%d-net-rr-sockperf.txt)", v->round);
	return 0;
}
