/* docker: containers through the Docker Engine API on its Unix socket
 * (docker_api.c, libcurl), not the docker CLI.
 *
 * The engine is the one at $DOCKER_HOST (unix://...) or
 * /var/run/docker.sock; isobench uses it as it is and never reconfigures
 * it. Where none answers and dockerd is installed, isobench starts one of
 * its own for the run: data root in the run's work directory, exec root
 * and socket in isobench's runtime directory (/run/isobench as root; a
 * socket path has at most 107 bytes),
 * no bridge, no iptables rules, no IP forwarding (the host's
 * network is left exactly as it was), runsc registered when installed;
 * it is recorded in the state file and stopped at the end.
 *
 * The image is imported from a tar of the same minimal rootfs as the OCI
 * runtimes' (the static probe), tagged with the run id, recorded, and
 * deleted at the end (a few hundred KB: importing costs well under a
 * second). Option runtime = runc | runsc picks the engine's
 * OCI runtime: "docker" and "docker:runtime=runsc" are two columns. The
 * probe's output is the container's log stream (the engine's logging path
 * is part of what Docker costs). */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engines/daemon.h"
#include "engines/docker_api.h"
#include "images/app_image.h"
#include "base/footprint.h"
#include "base/mount_ns.h"
#include "net/net_link.h"
#include "runtime/drivers/oci.h"
#include "state/state.h"

#define CALL_TIMEOUT_S 60
#define DOCKERD_START_S 60

static const struct ib_rt_option docker_options[] = {
	{"runtime", "runc,runsc", "runc",
	 "the engine's OCI runtime (runsc: gVisor, if the engine has it)", 0, NULL, NULL},
	{"network", "bridge,host", "bridge",
	 "the net workload's network: bridge (a bridge network of the run's "
	 "own, 198.18.X.0/24, the peer on its gateway) or host (the host's "
	 "namespace; the peer on 127.0.0.1)", 1, NULL, NULL},
	IB_RT_CPUSET_OPTION,
};

/* The engine runtime for net launches with runsc: this runsc's netstack
 * fails on kernels 6.x (see runtime/drivers/gvisor.c), hostinet in the container's
 * namespace works. Registered in isobench's own dockerd. */
#define RUNSC_HOSTINET "runsc-hostinet"

/* The dockerd isobench started, shared by the run's docker columns. */
static struct {
	int users;
	struct ib_proc proc;
	char *socket, *dir, *exec_root;
	const struct ib_run_ctx *ctx;
} own;

struct docker_rt {
	char *socket;
	char *image;    /* name:tag */
	char *version;  /* engine version */
	char *runtime;  /* the engine's runtime used */
	char *network;  /* the net workload's bridge network, if made */
	int own;        /* the engine is isobench's own dockerd */
	int imported;   /* this column imported the run's image */
};

struct docker_launch {
	char *id;        /* our name of the container (API calls use it) */
	char *engine_id; /* the engine's 64-hex id, from create */
	int pipe_r;
	struct ib_docker_logs *logs;
	int exited;
};

static const char *default_socket(void)
{
	const char *h = getenv("DOCKER_HOST");

	if (h && !strncmp(h, "unix://", 7))
		return h + 7;
	return "/var/run/docker.sock";
}

static int ping(const char *socket)
{
	struct ib_buf b = {0};
	long st = 0;
	int ok = ib_docker_call(socket, "GET", "/_ping", NULL, NULL, 0, 5, &st,
				&b, NULL) == 0 && st == 200;

	ib_buf_free(&b);
	return ok;
}

static int docker_available(struct ib_buf *why, struct ib_buf *fix)
{
	char *dockerd;

	if (ping(default_socket()))
		return 1;
	dockerd = ib_which("dockerd");
	if (dockerd && geteuid() == 0) {
		free(dockerd);
		return 1; /* prepare starts one */
	}
	ib_buf_printf(why, "no Docker engine answers at %s%s", default_socket(),
		      dockerd ? " and starting one needs root"
			      : " and dockerd is not installed");
	ib_buf_printf(fix, dockerd ? "start dockerd, or run isobench as root"
				   : "apt-get install -y docker.io");
	free(dockerd);
	return 0;
}

/* Does this dockerd make a trust key (key.json) at start? Releases before
 * 23.0 do, in /etc/docker unless daemon.json's "deprecated-key-path" says
 * where; later ones make none and refuse that key. */
static int dockerd_writes_trust_key(const char *bin)
{
	char *ask[] = {(char *)bin, "--version", NULL};
	struct ib_buf out = {0};
	const char *v;
	int major = 0;

	if (ib_proc_capture(ask, NULL, 10, NULL, &out, NULL) == 0 && out.s &&
	    (v = strstr(out.s, "version ")))
		major = atoi(v + 8);
	ib_buf_free(&out);
	return major > 0 && major < 23;
}

static void stop_own_dockerd(void);
static char *own_cgroup_parent(const char *run_id);

/* The engine's daemon.json: runsc registered (if installed, twice: with
 * its own netstack off and with hostinet, for net launches), the
 * containers' cgroups under the run's own parent, the identity key in the
 * run's directory. Caller frees. */
static char *daemon_json(const struct ib_run_ctx *ctx, const char *bin,
			 const char *runsc)
{
	cJSON *cfg = cJSON_CreateObject();
	char *config;

	if (runsc) {
		cJSON *rts = cJSON_AddObjectToObject(cfg, "runtimes");
		cJSON *r = cJSON_AddObjectToObject(rts, "runsc");
		cJSON *args = cJSON_AddArrayToObject(r, "runtimeArgs");

		cJSON_AddStringToObject(r, "path", runsc);
		cJSON_AddItemToArray(args, cJSON_CreateString("--network=none"));
		r = cJSON_AddObjectToObject(rts, RUNSC_HOSTINET);
		args = cJSON_AddArrayToObject(r, "runtimeArgs");
		cJSON_AddStringToObject(r, "path", runsc);
		cJSON_AddItemToArray(args, cJSON_CreateString("--network=host"));
	}
	{
		/* Its containers' cgroups under the run's own
		 * /isobench/<run id> (as runc's and crun's), not
		 * docker/<id> in the host's tree; cgroupfs, as the
		 * path needs, not a systemd slice. */
		cJSON *opts = cJSON_AddArrayToObject(cfg, "exec-opts");
		char *parent = own_cgroup_parent(ctx->run_id);

		cJSON_AddItemToArray(opts, cJSON_CreateString(
			"native.cgroupdriver=cgroupfs"));
		cJSON_AddStringToObject(cfg, "cgroup-parent", parent);
		free(parent);
	}
	if (dockerd_writes_trust_key(bin)) {
		/* dockerd before 23 makes /etc/docker/key.json on the
		 * host otherwise; the engine's identity key belongs to
		 * the run (a daemon.json key only: no such flag) */
		char *key = ib_xasprintf("%s/key.json", own.dir);

		cJSON_AddStringToObject(cfg, "deprecated-key-path", key);
		free(key);
	}
	config = cJSON_Print(cfg);
	cJSON_Delete(cfg);
	return config ? config : ib_xstrdup("{}");
}

static int ping_own(void *socket)
{
	return ping(socket);
}

/* Starts isobench's own dockerd (once per run) and waits until it
 * answers. A failed start leaves nothing: a dockerd that runs but does
 * not answer is stopped (with its containerd) and its exec root removed,
 * as at the end of a run, so neither lives on beside the run's other
 * runtimes nor waits for cleanup, and the next docker column starts
 * afresh. */
static int start_own_dockerd(const struct ib_run_ctx *ctx, struct ib_err *err)
{
	char *bin, *runsc, *config;
	char *log = NULL;
	struct ib_strv argv = {0};
	struct ib_daemon_spawn spawn;
	int rc;

	/* the second docker column (docker:runtime=runsc) shares it */
	if (own.users++ > 0)
		return 0;
	bin = ib_which("dockerd");
	runsc = ib_which("runsc");
	own.ctx = ctx;
	own.dir = ib_xasprintf("%s/docker", ctx->work);
	/* Sockets live in the exec root, and a Unix socket's path holds at
	 * most 107 bytes: containerd's, under a deep scratch directory, would
	 * not fit. So the exec root (sockets and state only) and the engine's
	 * socket go in the runtime directory. */
	{
		char *rtdir = ib_runtime_dir(err);

		if (!rtdir) {
			rc = err->code;
			goto out;
		}
		own.exec_root = ib_xasprintf("%s/docker-%s", rtdir, ctx->run_id);
		free(rtdir);
	}
	own.socket = ib_xasprintf("%s/docker.sock", own.exec_root);
	if (!bin) {
		rc = ib_err_set(err, -ENOENT, "dockerd is not installed");
		goto out;
	}
	/* the longest socket in it: containerd's, under exec/ */
	{
		char *longest = ib_xasprintf("%s/exec/containerd/"
					     "containerd.sock.ttrpc",
					     own.exec_root);

		rc = ib_sock_path_check(longest, err);
		free(longest);
		if (rc < 0) {
			ib_err_wrap(err, "own dockerd");
			goto out;
		}
	}
	if ((rc = ib_state_add_dir(ctx->state, "docker-exec-root", own.exec_root,
				   err)) < 0 ||
	    (rc = ib_mkdirs(own.dir, 0700, err)) < 0 ||
	    (rc = ib_mkdirs(own.exec_root, 0700, err)) < 0)
		goto out;
	{
		char *path = ib_xasprintf("%s/daemon.json", own.dir);

		config = daemon_json(ctx, bin, runsc);
		rc = ib_write_file_atomic(path, config, strlen(config), err);
		ib_strv_push(&argv, bin);
		ib_strv_push_owned(&argv, ib_xasprintf("--config-file=%s", path));
		free(path);
	}
	free(config);
	if (rc < 0)
		goto out;
	ib_strv_push_owned(&argv, ib_xasprintf("--data-root=%s/data", own.dir));
	ib_strv_push_owned(&argv, ib_xasprintf("--exec-root=%s/exec", own.exec_root));
	ib_strv_push_owned(&argv, ib_xasprintf("--pidfile=%s/dockerd.pid", own.dir));
	ib_strv_push_owned(&argv, ib_xasprintf("--host=unix://%s", own.socket));
	/* Nothing of the host's network changes: no docker0, no NAT, no
	 * forwarding; isobench's containers run with network "none". */
	ib_strv_push(&argv, "--bridge=none");
	ib_strv_push(&argv, "--iptables=false");
	ib_strv_push(&argv, "--ip-forward=false");
	ib_strv_push(&argv, "--ip-masq=false");
	ib_strv_push(&argv, "--log-level=warn");
	/* /run/docker, /run/containerd and the like stay in the engine's
	 * own mount namespace (engines/daemon.h); the exec root's directory
	 * is bound back in, for the sockets */
	log = ib_xasprintf("%s/dockerd.log", own.dir);
	spawn = (struct ib_daemon_spawn){.name = "dockerd", .argv = argv.v,
					 .cwd = own.dir, .log = log,
					 .sock_dir = own.exec_root};
	if ((rc = ib_daemon_spawn(&own.proc, &spawn, err)) < 0 ||
	    (rc = ib_state_add_process(ctx->state, "dockerd", own.proc.pid,
				       own.proc.starttime, err)) < 0)
		goto out;
	rc = ib_daemon_wait_ready(&own.proc, &spawn, ping_own, own.socket,
				  DOCKERD_START_S, err);
out:
	free(log);
	ib_strv_free(&argv);
	free(bin);
	free(runsc);
	if (rc < 0)
		stop_own_dockerd();
	return rc;
}

/* The cgroup parent of the own engine's containers, derived from the
 * run id (cleanup derives it again). */
static char *own_cgroup_parent(const char *run_id)
{
	return ib_xasprintf("/isobench/%s/docker", run_id);
}

static void stop_own_dockerd(void)
{
	if (--own.users > 0)
		return;
	if (own.proc.pid > 0) {
		ib_daemon_stop(&own.proc, 15);
		/* also when it exited by itself (a failed start) */
		ib_state_del(own.ctx->state, "dockerd", NULL);
	}
	if (own.ctx) {
		char *parent = own_cgroup_parent(own.ctx->run_id);

		ib_oci_remove_cgroups(parent, 1);
		free(parent);
	}
	if (own.exec_root) {
		ib_unmount_under(own.exec_root);
		if (ib_rmtree(own.exec_root) == 0)
			ib_state_del(own.ctx->state, "docker-exec-root", NULL);
	}
	free(own.socket);
	free(own.dir);
	free(own.exec_root);
	memset(&own, 0, sizeof(own));
}

/* An uncompressed tar of the rootfs: the probe and the mount points. */
static int rootfs_tar(const char *probe, struct ib_buf *tar, struct ib_err *err)
{
	static const char *const dirs[] = {"proc", "dev", "sys", "tmp", "scratch",
					   "var", "var/isobench", NULL};
	struct archive *a = archive_write_new();
	struct archive_entry *e;
	size_t len, used = 0;
	char *data = ib_read_file(probe, &len, err);
	int rc = 0;

	if (!data) {
		archive_write_free(a);
		return err->code;
	}
	tar->s = ib_xmalloc(len + (1 << 20));
	tar->cap = len + (1 << 20);
	archive_write_set_format_pax_restricted(a);
	if (archive_write_open_memory(a, tar->s, tar->cap, &used) != ARCHIVE_OK) {
		rc = ib_err_set(err, -EIO, "tar: %s", archive_error_string(a));
		goto out;
	}
	for (const char *const *d = dirs; *d; d++) {
		e = archive_entry_new();
		archive_entry_set_pathname(e, *d);
		archive_entry_set_filetype(e, AE_IFDIR);
		archive_entry_set_perm(e, !strcmp(*d, "tmp") ? 01777 : 0755);
		archive_write_header(a, e);
		archive_entry_free(e);
	}
	e = archive_entry_new();
	archive_entry_set_pathname(e, "isobench-probe");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0555);
	archive_entry_set_size(e, (la_int64_t)len);
	if (archive_write_header(a, e) != ARCHIVE_OK ||
	    archive_write_data(a, data, len) != (la_ssize_t)len)
		rc = ib_err_set(err, -EIO, "tar: %s", archive_error_string(a));
	archive_entry_free(e);
	if (archive_write_close(a) != ARCHIVE_OK && rc == 0)
		rc = ib_err_set(err, -EIO, "tar: %s", archive_error_string(a));
	tar->len = used;
out:
	archive_write_free(a);
	free(data);
	return rc;
}

/* The image of this probe, imported once: tagged with its CRC-32. */
/* The run's image, "isobench-probe:<run id>", imported from the probe's
 * rootfs (a tar made here: no registry, no Dockerfile), once per run
 * (the second docker column finds it), recorded in the state file before
 * it exists and deleted when the run ends (docker_release) or by
 * cleanup. A few hundred KB: importing it costs well under a second. */
static int ensure_image(struct docker_rt *d, const struct ib_run_ctx *ctx,
			struct ib_err *err)
{
	struct ib_buf tar = {0}, resp = {0};
	char *path;
	cJSON *res;
	long st = 0;
	int rc;

	d->image = ib_xasprintf("isobench-probe:%s", ctx->run_id);
	path = ib_xasprintf("/images/%s/json", d->image);
	rc = ib_docker_call(d->socket, "GET", path, NULL, NULL, 0, CALL_TIMEOUT_S,
			    &st, NULL, err);
	free(path);
	if (rc < 0 || st == 200)
		return rc;
	res = cJSON_CreateObject();
	cJSON_AddStringToObject(res, "kind", "image");
	cJSON_AddStringToObject(res, "runtime", "docker");
	cJSON_AddStringToObject(res, "name", d->image);
	cJSON_AddStringToObject(res, "socket", d->socket);
	if ((rc = ib_state_add(ctx->state, res, err)) < 0)
		return rc;
	d->imported = 1;
	rc = rootfs_tar(ctx->probe_path, &tar, err);
	if (rc == 0) {
		path = ib_xasprintf("/images/create?fromSrc=-&repo=isobench-probe"
				    "&tag=%s", ctx->run_id);
		rc = ib_docker_call(d->socket, "POST", path, "application/x-tar",
				    tar.s, tar.len, CALL_TIMEOUT_S, &st, &resp, err);
		free(path);
		if (rc == 0 && st != 200)
			rc = ib_err_set(err, -EIO, "importing the image: HTTP %ld: "
					"%.300s", st, resp.s ? resp.s : "");
	}
	ib_buf_free(&tar);
	ib_buf_free(&resp);
	return rc;
}

static int delete_image(const char *socket, const char *image,
			struct ib_err *err)
{
	char *path = ib_xasprintf("/images/%s?force=1", image);
	long st = 0;
	int rc = ib_docker_call(socket, "DELETE", path, NULL, NULL, 0,
				CALL_TIMEOUT_S, &st, NULL, err);

	free(path);
	if (rc == 0 && st != 200 && st != 404)
		rc = ib_err_set(err, -EIO, "deleting image %s: HTTP %ld", image,
				st);
	return rc;
}

static int delete_network(const char *socket, const char *name,
			  struct ib_err *err)
{
	char *path = ib_xasprintf("/networks/%s", name);
	long st = 0;
	int rc = ib_docker_call(socket, "DELETE", path, NULL, NULL, 0,
				CALL_TIMEOUT_S, &st, NULL, err);

	free(path);
	if (rc == 0 && st != 204 && st != 404)
		rc = ib_err_set(err, -EIO, "deleting network %s: HTTP %ld", name,
				st);
	return rc;
}

static int docker_net_kind(const struct ib_runtime *rt, struct ib_buf *why)
{
	(void)rt;
	(void)why;
	return IB_NET_ENGINE;
}

/* The net workload's link: a bridge network of the run's own through the
 * API (subnet 198.18.X.0/24, no masquerading), or the host's namespace. */
static int docker_net_setup(struct ib_runtime *rt, struct ib_net *n,
			    struct ib_err *err)
{
	struct docker_rt *d = rt->priv;
	struct ib_buf resp = {0};
	char *bridge, *text;
	cJSON *body, *ipam, *cfg, *opt, *res;
	long st = 0;
	int x, rc, lock;

	if (!strcmp(d->runtime, "runsc"))
		n->mode = ib_xstrdup("runsc --network=host (hostinet) in the "
				     "container's namespace, the engine "
				     "runtime " RUNSC_HOSTINET);
	if (!strcmp(ib_runtime_opt(rt, "network"), "host")) {
		snprintf(n->host_addr, sizeof(n->host_addr), "127.0.0.1");
		snprintf(n->inst_addr, sizeof(n->inst_addr), "127.0.0.1");
		n->how = ib_xstrdup("docker host network: the container in the "
				    "host's namespace, the peer on 127.0.0.1");
		return 0;
	}
	/* until the bridge has its address */
	if ((lock = ib_net_lock(err)) < 0)
		return lock;
	if ((x = ib_net_pick_subnet(err)) < 0) {
		ib_net_unlock(lock);
		return x;
	}
	snprintf(n->host_addr, sizeof(n->host_addr), "198.18.%d.1", x);
	n->prefix = 24;
	d->network = ib_xasprintf("isobench-%s-%d", rt->ctx->run_id, n->index);
	bridge = ib_net_if_name(rt->ctx->run_id, n->index, 'b');
	if (!bridge) {
		ib_net_unlock(lock);
		return ib_err_set(err, -ERANGE, "link %d: a run has at most %d",
				  n->index, IB_NET_MAX_LINKS);
	}
	/* the bridge, should a kill leave it with the engine gone; then the
	 * network, deleted through the engine first */
	rc = ib_net_record_netif(rt->ctx->state, bridge, err);
	res = cJSON_CreateObject();
	cJSON_AddStringToObject(res, "kind", "network");
	cJSON_AddStringToObject(res, "runtime", "docker");
	cJSON_AddStringToObject(res, "name", d->network);
	cJSON_AddStringToObject(res, "socket", d->socket);
	if (rc == 0)
		rc = ib_state_add(rt->ctx->state, res, err);
	else
		cJSON_Delete(res);
	body = cJSON_CreateObject();
	cJSON_AddStringToObject(body, "Name", d->network);
	cJSON_AddStringToObject(body, "Driver", "bridge");
	cJSON_AddTrueToObject(body, "CheckDuplicate");
	ipam = cJSON_AddObjectToObject(body, "IPAM");
	cfg = cJSON_CreateObject();
	{
		char *sub = ib_xasprintf("198.18.%d.0/24", x);

		cJSON_AddStringToObject(cfg, "Subnet", sub);
		cJSON_AddStringToObject(cfg, "Gateway", n->host_addr);
		free(sub);
	}
	cJSON_AddItemToArray(cJSON_AddArrayToObject(ipam, "Config"), cfg);
	opt = cJSON_AddObjectToObject(body, "Options");
	cJSON_AddStringToObject(opt, "com.docker.network.bridge.name", bridge);
	cJSON_AddStringToObject(opt, "com.docker.network.bridge.enable_ip_masquerade",
				"false");
	cJSON_AddStringToObject(cJSON_AddObjectToObject(body, "Labels"),
				"isobench.run", rt->ctx->run_id);
	text = cJSON_PrintUnformatted(body);
	cJSON_Delete(body);
	if (rc == 0)
		rc = ib_docker_call(d->socket, "POST", "/networks/create",
				    "application/json", text, strlen(text),
				    CALL_TIMEOUT_S, &st, &resp, err);
	cJSON_free(text);
	ib_net_unlock(lock);
	if (rc == 0 && st != 201)
		rc = ib_err_set(err, -EIO, "docker network create: HTTP %ld: "
				"%.300s", st, resp.s ? ib_trim(resp.s) : "");
	ib_buf_free(&resp);
	if (rc == 0)
		n->how = ib_xasprintf("docker bridge network %s (bridge %s, "
				      "198.18.%d.0/24, gateway %s on the host)",
				      d->network, bridge, x, n->host_addr);
	else {
		free(d->network);
		d->network = NULL;
	}
	free(bridge);
	return rc;
}

static int docker_prepare(struct ib_runtime *rt, struct ib_err *err)
{
	struct docker_rt *d = ib_xcalloc(1, sizeof(*d));
	struct ib_buf resp = {0};
	long st = 0;
	int rc, has = 0;

	rt->priv = d;
	d->runtime = ib_xstrdup(ib_runtime_opt(rt, "runtime"));
	if ((rc = ib_cpuset_usable(rt, err)) < 0)
		return rc;
	if (ping(default_socket())) {
		d->socket = ib_xstrdup(default_socket());
	} else {
		if ((rc = start_own_dockerd(rt->ctx, err)) < 0)
			return rc;
		d->own = 1;
		d->socket = ib_xstrdup(own.socket);
	}
	rc = ib_docker_call(d->socket, "GET", "/info", NULL, NULL, 0,
			    CALL_TIMEOUT_S, &st, &resp, err);
	if (rc == 0)
		has = ib_docker_parse_info(resp.s, resp.len, d->runtime,
					   &d->version);
	if (rc == 0 && has < 0)
		rc = ib_err_set(err, -EPROTO, "the Docker engine at %s: GET "
				"/info: HTTP %ld, not a JSON object: %.300s",
				d->socket, st, resp.s ? ib_trim(resp.s) : "");
	else if (rc == 0 && !has)
		rc = ib_err_set(err, -ENOENT,
				"the Docker engine at %s has no runtime '%s'%s",
				d->socket, d->runtime,
				d->own ? " (runsc is not installed)"
				       : " (isobench does not reconfigure an "
					 "engine it did not start: add it to its "
					 "daemon.json)");
	ib_buf_free(&resp);
	if (rc == 0)
		rc = ensure_image(d, rt->ctx, err);
	return rc;
}

static void docker_release(struct ib_runtime *rt)
{
	struct docker_rt *d = rt->priv;

	if (!d)
		return;
	/* the run's image, once its containers are gone (every column's:
	 * release comes after the last launch) */
	if (d->imported && d->image &&
	    delete_image(d->socket, d->image, NULL) == 0)
		ib_state_del(rt->ctx->state, d->image, NULL);
	if (d->network && delete_network(d->socket, d->network, NULL) == 0)
		ib_state_del(rt->ctx->state, d->network, NULL);
	if (d->own)
		stop_own_dockerd();
	free(d->network);
	free(d->socket);
	free(d->image);
	free(d->version);
	free(d->runtime);
	free(d);
	rt->priv = NULL;
}

static int delete_container(const char *socket, const char *name,
			    struct ib_err *err)
{
	char *path = ib_xasprintf("/containers/%s?force=1&v=1", name);
	long st = 0;
	int rc = ib_docker_call(socket, "DELETE", path, NULL, NULL, 0,
				CALL_TIMEOUT_S, &st, NULL, err);

	free(path);
	if (rc == 0 && st != 204 && st != 404)
		rc = ib_err_set(err, -EIO, "deleting container %s: HTTP %ld", name,
				st);
	return rc;
}

/* An application's launch: its tree (images/app_image.h) unpacked into
 * the created container's root through the Engine's archive upload (what
 * `docker cp` does), before it starts. */
static int upload_tree(struct docker_rt *d, const char *name,
		       const char *tree, struct ib_err *err)
{
	int fd = memfd_create("isobench-app-tar", MFD_CLOEXEC), rc;
	struct ib_buf resp = {0};
	char *data = NULL, *path;
	off_t len = 0;
	long st = 0;

	if (fd < 0)
		return ib_err_set(err, -errno, "memfd: %s", strerror(errno));
	rc = ib_app_tree_write(tree, fd, IB_TREE_TAR, err);
	if (rc == 0 && ((len = lseek(fd, 0, SEEK_END)) <= 0 ||
			lseek(fd, 0, SEEK_SET) != 0))
		rc = ib_err_set(err, -EIO, "the tar of %s", tree);
	if (rc == 0) {
		data = ib_xmalloc((size_t)len);
		if (read(fd, data, (size_t)len) != (ssize_t)len)
			rc = ib_err_set(err, -EIO, "the tar of %s", tree);
	}
	close(fd);
	if (rc == 0) {
		path = ib_xasprintf("/containers/%s/archive?path=/", name);
		rc = ib_docker_call(d->socket, "PUT", path, "application/x-tar",
				    data, (size_t)len, CALL_TIMEOUT_S, &st,
				    &resp, err);
		free(path);
		if (rc == 0 && st != 200)
			rc = ib_err_set(err, -EIO, "docker archive upload: HTTP "
					"%ld: %.300s", st, resp.s ? resp.s : "");
	}
	free(data);
	ib_buf_free(&resp);
	return rc;
}

/* The container's address on the run's bridge network, into addr ("" if
 * the engine does not say). */
static void container_addr(struct docker_rt *d, const char *name, char *addr,
			   size_t cap)
{
	struct ib_buf resp = {0};
	struct ib_err e = {0};
	char *path = ib_xasprintf("/containers/%s/json", name);
	const cJSON *ip;
	cJSON *o = NULL;
	long st = 0;

	addr[0] = '\0';
	if (ib_docker_call(d->socket, "GET", path, NULL, NULL, 0, CALL_TIMEOUT_S,
			   &st, &resp, &e) == 0 && st == 200 && resp.s)
		o = cJSON_ParseWithLength(resp.s, resp.len);
	ip = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(
		cJSON_GetObjectItem(o, "NetworkSettings"), "Networks"),
		d->network), "IPAddress");
	if (cJSON_IsString(ip) && strlen(ip->valuestring) < cap &&
	    strspn(ip->valuestring, "0123456789.") == strlen(ip->valuestring))
		snprintf(addr, cap, "%s", ip->valuestring);
	cJSON_Delete(o);
	ib_buf_free(&resp);
	free(path);
}

static int docker_launch(struct ib_runtime *rt, struct ib_launch *l,
			 struct ib_err *err)
{
	struct docker_rt *d = rt->priv;
	struct docker_launch *dl = ib_xcalloc(1, sizeof(*dl));
	cJSON *body = cJSON_CreateObject(), *cmd, *hc, *a, *lab, *res;
	struct ib_buf resp = {0};
	char *text, *path, *env = ib_xasprintf("ISOBENCH_RUN=%s", rt->ctx->run_id);
	int p[2] = {-1, -1}, rc;
	long st = 0;

	l->priv = dl;
	dl->pipe_r = -1;
	res = cJSON_CreateObject();
	cJSON_AddStringToObject(res, "kind", "container");
	cJSON_AddStringToObject(res, "runtime", "docker");
	cJSON_AddStringToObject(res, "name", l->name);
	cJSON_AddStringToObject(res, "socket", d->socket);
	if ((rc = ib_state_add(rt->ctx->state, res, err)) < 0)
		goto out;

	cJSON_AddStringToObject(body, "Image", d->image);
	cmd = cJSON_AddArrayToObject(body, "Cmd");
	cJSON_AddItemToArray(cmd, cJSON_CreateString("/isobench-probe"));
	cJSON_AddItemToArray(cmd, cJSON_CreateString("--scratch"));
	cJSON_AddItemToArray(cmd, cJSON_CreateString(
		l->scratch_rootfs ? IB_OCI_ROOTFS_SCRATCH : IB_OCI_SCRATCH));
	for (char **x = l->probe_argv; *x; x++)
		cJSON_AddItemToArray(cmd, cJSON_CreateString(*x));
	a = cJSON_AddArrayToObject(body, "Env");
	cJSON_AddItemToArray(a, cJSON_CreateString(env));
	{
		/* the container's processes are the launch's (footprint.h) */
		char *mark = ib_xasprintf("ISOBENCH_LAUNCH=%s", l->name);

		cJSON_AddItemToArray(a, cJSON_CreateString(mark));
		free(mark);
	}
	lab = cJSON_AddObjectToObject(body, "Labels");
	cJSON_AddStringToObject(lab, "isobench.run", rt->ctx->run_id);
	cJSON_AddStringToObject(body, "WorkingDir", "/");
	hc = cJSON_AddObjectToObject(body, "HostConfig");
	a = cJSON_AddArrayToObject(hc, "Binds");
	{
		char *bind = ib_xasprintf("%s:%s", rt->ctx->scratch, IB_OCI_SCRATCH);

		cJSON_AddItemToArray(a, cJSON_CreateString(bind));
		free(bind);
	}
	/* an application's data in memory of the container's own */
	if (l->app_tmpfs)
		cJSON_AddStringToObject(cJSON_AddObjectToObject(hc, "Tmpfs"),
					l->app_tmpfs, "mode=700");
	if (l->net) {
		cJSON_AddStringToObject(hc, "Runtime", strcmp(d->runtime, "runsc")
					? d->runtime : RUNSC_HOSTINET);
		cJSON_AddStringToObject(hc, "NetworkMode",
					d->network ? d->network : "host");
	} else {
		cJSON_AddStringToObject(hc, "Runtime", d->runtime);
		cJSON_AddStringToObject(hc, "NetworkMode", "none");
	}
	if (rt->ctx->limits.memory) {
		cJSON_AddNumberToObject(hc, "Memory", (double)rt->ctx->limits.memory);
		cJSON_AddNumberToObject(hc, "MemorySwap", (double)rt->ctx->limits.memory);
	}
	{
		char *set = ib_cpuset_list(rt);

		if (!set && rt->ctx->limits.cpus > 0)
			set = rt->ctx->limits.cpus == 1
				      ? ib_xstrdup("0")
				      : ib_xasprintf("0-%d",
						     rt->ctx->limits.cpus - 1);
		if (set)
			cJSON_AddStringToObject(hc, "CpusetCpus", set);
		free(set);
	}
	text = cJSON_PrintUnformatted(body);
	path = ib_xasprintf("/containers/create?name=%s", l->name);
	l->t_launch_ns = ib_mono_ns();
	rc = ib_docker_call(d->socket, "POST", path, "application/json", text,
			    strlen(text), CALL_TIMEOUT_S, &st, &resp, err);
	free(path);
	cJSON_free(text);
	if (rc == 0 && st != 201)
		rc = ib_err_set(err, -EIO, "docker create: HTTP %ld: %.300s", st,
				resp.s ? resp.s : "");
	if (rc < 0)
		goto out;
	dl->id = ib_xstrdup(l->name);
	/* (an application's launch: its created phase includes the upload;
	 * no startup figure is read from such a launch) */
	if (l->app_root && (rc = upload_tree(d, l->name, l->app_root, err)) < 0)
		goto out;
	l->t_created_ns = ib_mono_ns();
	/* the engine's id of it: its shim is started with it */
	dl->engine_id = ib_docker_parse_create(resp.s, resp.len);
	path = ib_xasprintf("/containers/%s/start", l->name);
	ib_buf_free(&resp);
	rc = ib_docker_call(d->socket, "POST", path, NULL, NULL, 0, CALL_TIMEOUT_S,
			    &st, &resp, err);
	free(path);
	if (rc == 0 && st != 204)
		rc = ib_err_set(err, -EIO, "docker start: HTTP %ld: %.300s", st,
				resp.s ? resp.s : "");
	if (rc < 0)
		goto out;
	l->t_started_ns = ib_mono_ns();
	/* where the host reaches an application's server */
	if (l->app_root && d->network)
		container_addr(d, l->name, l->inst_addr, sizeof(l->inst_addr));
	/* The probe's output: the log stream from the container's start,
	 * demultiplexed into a pipe by a thread. */
	if (pipe2(p, O_CLOEXEC) != 0) {
		rc = ib_err_set(err, -errno, "pipe: %s", strerror(errno));
		goto out;
	}
	rc = ib_docker_logs_start(d->socket, l->name, p[1], &dl->logs, err);
	if (rc < 0) {
		close(p[0]);
		goto out;
	}
	dl->pipe_r = p[0];
	l->out_fd = p[0];
out:
	cJSON_Delete(body);
	ib_buf_free(&resp);
	free(env);
	return rc;
}

static int docker_wait(struct ib_runtime *rt, struct ib_launch *l,
		       uint64_t deadline_ns)
{
	struct docker_rt *d = rt->priv;
	struct docker_launch *dl = l->priv;
	double left = ib_deadline_left_s(deadline_ns, ib_mono_ns());
	struct ib_buf resp = {0};
	char *path;
	long st = 0;
	int rc;

	/* no time left is a timeout here, never a call without one */
	if (!(ib_http_timeout_ms(left) > 0))
		return -ETIMEDOUT;
	path = ib_xasprintf("/containers/%s/wait", l->name);
	rc = ib_docker_call(d->socket, "POST", path, NULL, NULL, 0, left, &st,
			    &resp, NULL);
	free(path);
	if (rc == -ETIMEDOUT) {
		ib_buf_free(&resp);
		return rc;
	}
	/* no valid status: exit code -1, as for a failed call */
	ib_docker_parse_wait(resp.s, resp.len, &l->exit_code, &l->term_signal);
	ib_buf_free(&resp);
	l->t_exited_ns = ib_mono_ns();
	dl->exited = 1;
	return 0;
}

/* Asks the container's probe to end (SIGTERM through the Engine, as
 * `docker kill -s TERM`), without waiting. */
static void docker_stop(struct ib_runtime *rt, struct ib_launch *l)
{
	struct docker_rt *d = rt->priv;
	struct ib_err e = {0};
	char *path;
	long st = 0;

	if (!l->priv)
		return;
	path = ib_xasprintf("/containers/%s/kill?signal=SIGTERM", l->name);
	ib_docker_call(d->socket, "POST", path, NULL, NULL, 0, 10, &st, NULL, &e);
	free(path);
}

static void docker_teardown(struct ib_runtime *rt, struct ib_launch *l)
{
	struct docker_rt *d = rt->priv;
	struct docker_launch *dl = l->priv;

	if (!dl)
		return;
	/* the reader first: the log thread must never block on the pipe */
	if (dl->pipe_r >= 0)
		close(dl->pipe_r);
	l->out_fd = -1;
	if (delete_container(d->socket, l->name, NULL) == 0)
		ib_state_del(rt->ctx->state, l->name, NULL);
	ib_docker_logs_stop(dl->logs);
	free(dl->id);
	free(dl->engine_id);
	free(dl);
	l->priv = NULL;
}

static void docker_describe(struct ib_runtime *rt, cJSON *out)
{
	struct docker_rt *d = rt->priv;
	cJSON *lim;

	cJSON_AddStringToObject(out, "version", d->version);
	cJSON_AddStringToObject(out, "engine", d->own
		? "isobench's own dockerd (no bridge, no iptables)"
		: "the host's, used as it is");
	cJSON_AddStringToObject(out, "socket", d->socket);
	cJSON_AddStringToObject(out, "runtime", d->runtime);
	cJSON_AddStringToObject(out, "image", d->image);
	cJSON_AddStringToObject(out, "api", "Docker Engine API " IB_DOCKER_API
				" on its Unix socket (libcurl)");
	cJSON_AddStringToObject(out, "output", "the container's log stream");
	cJSON_AddStringToObject(out, "network",
				strcmp(ib_runtime_opt(rt, "network"), "host")
					? "none; the net workload: a bridge "
					  "network of the run's own"
					: "none; the net workload: the host's "
					  "namespace");
	cJSON_AddStringToObject(out, "seccomp", "the engine's default profile");
	lim = cJSON_AddObjectToObject(out, "limits");
	cJSON_AddNumberToObject(lim, "cpus", rt->ctx->limits.cpus);
	cJSON_AddNumberToObject(lim, "memory_bytes", (double)rt->ctx->limits.memory);
}

/* Does the engine's object carry isobench's label for this run? What
 * the engine answers 404 for is gone (1 with *gone set). */
static int labelled(const char *socket, const char *path, const char *key,
		    const char *run_id, int *gone, struct ib_err *err)
{
	struct ib_buf b = {0};
	long st = 0;
	cJSON *j, *lab;
	int yes;

	*gone = 0;
	if (ib_docker_call(socket, "GET", path, NULL, NULL, 0, CALL_TIMEOUT_S,
			   &st, &b, err) < 0) {
		ib_buf_free(&b);
		return 0;
	}
	if (st == 404) {
		*gone = 1;
		ib_buf_free(&b);
		return 1;
	}
	j = cJSON_Parse(b.s ? b.s : "");
	lab = cJSON_GetObjectItem(j, "Labels");
	if (!strcmp(key, "Config"))
		lab = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "Config"),
					  "Labels");
	yes = st == 200 &&
	      ib_streq(cJSON_GetStringValue(cJSON_GetObjectItem(lab,
								"isobench.run")),
		       run_id);
	cJSON_Delete(j);
	ib_buf_free(&b);
	return yes;
}

/* The containers of the run's own engine when that engine died with the
 * run (kill -9): their shims are killed by the marker sweep, but nobody
 * deletes what runc made, so each container's cgroup (docker/<id> in
 * every hierarchy) stays. The engine kept runc's state under its exec
 * root, a directory derived from the run id; each entry there is one of
 * this engine's containers (64 hex digits), deleted with the runtime
 * that made it, which reads its own state.json for the cgroup paths. */
static int own_engine_leftovers(struct ib_cleanup *cx, const char *own_dir)
{
	static const struct {
		const char *dir, *program;
	} roots[] = {
		{"runtime-runc", "runc"},
		{"runtime-runsc", "runsc"},
		{"runtime-" RUNSC_HOSTINET, "runsc"},
	};
	int failed = 0;

	for (size_t r = 0; r < IB_ARRAY_LEN(roots); r++) {
		char *root = ib_xasprintf("%s/exec/%s/moby", own_dir, roots[r].dir);
		char *binary = NULL;
		struct dirent *de;
		struct stat st;
		DIR *d = NULL;

		if (lstat(root, &st) != 0 || !S_ISDIR(st.st_mode) ||
		    ib_cleanup_path_ok(cx, root, NULL) < 0 ||
		    !(d = opendir(root)))
			goto next;
		while ((de = readdir(d))) {
			const char *cid = de->d_name;
			struct ib_spawn_opts o = {.flags = IB_PROC_DIE_WITH_PARENT};
			struct ib_buf out = {0};
			struct ib_err e = {0};
			size_t n = strspn(cid, "0123456789abcdef");
			int rc;

			if (n != 64 || cid[n])
				continue;
			if (!binary && !(binary = ib_which(roots[r].program))) {
				ib_buf_printf(cx->log, "docker: container %.12s of "
					      "the run's dead engine: %s is no "
					      "longer installed\n", cid,
					      roots[r].program);
				failed++;
				break;
			}
			char *argv[] = {binary, "--root", root, "delete",
					"--force", (char *)cid, NULL};

			if (!ib_cleanup_act_exec(cx, (const char *const *)argv))
				continue;
			rc = ib_proc_capture_opts(argv, &o, 20, NULL, &out, &e);
			if (rc == 0)
				ib_buf_printf(cx->log, "docker: container %.12s of "
					      "the run's dead engine: deleted "
					      "with %s (its cgroup with it)\n",
					      cid, roots[r].program);
			else {
				ib_buf_printf(cx->log, "docker: container %.12s of "
					      "the run's dead engine: %s delete: "
					      "%.300s\n", cid, roots[r].program,
					      rc < 0 ? e.msg
						     : out.s ? ib_trim(out.s) : "?");
				failed++;
			}
			ib_buf_free(&out);
		}
next:
		if (d)
			closedir(d);
		free(binary);
		free(root);
	}
	return failed ? -EBUSY : 0;
}

/* A leftover on an engine, through the engine's API. The engine is the
 * run's own dockerd (its socket derived from the run id) or the host's
 * (this process's $DOCKER_HOST or the default socket), never a socket
 * read from the record: that only says which of the two. Names are
 * checked against the run id; containers and networks must carry the
 * run's label. "Not answering" means gone only for the run's own. */
static int docker_cleanup(const struct ib_runtime_ops *ops, struct ib_cleanup *cx,
			  const cJSON *res, struct ib_err *err)
{
	const char *kind = cJSON_GetStringValue(cJSON_GetObjectItem(res, "kind"));
	const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(res, "name"));
	const char *rec = cJSON_GetStringValue(cJSON_GetObjectItem(res, "socket"));
	char *dir = ib_xasprintf("docker-%s", cx->run_id);
	char *own_dir = ib_cleanup_rt_path(cx, dir);
	char *own_sock = ib_xasprintf("%s/docker.sock", own_dir);
	char *image = ib_xasprintf("isobench-probe:%s", cx->run_id);
	char *path = NULL, *target = NULL;
	const char *socket;
	int is_own, rc = 0, gone = 0;

	(void)ops;
	free(dir);
	if (!kind || !name || !rec) {
		rc = ib_err_set(err, -EINVAL, "docker record without kind, name "
				"or socket");
		goto out;
	}
	is_own = !strcmp(rec, own_sock);
	socket = is_own ? own_sock : default_socket();
	if (!is_own && strcmp(rec, socket)) {
		rc = ib_err_set(err, -EPERM, "docker %s %.100s: recorded on the "
				"engine at '%.200s', which is neither the run's "
				"own nor this cleanup's (%s; set DOCKER_HOST): "
				"left alone", kind, name, rec, socket);
		goto out;
	}
	if (!strcmp(kind, "image") ? strcmp(name, image)
				   : !ib_cleanup_name_ok(cx, name) ||
				     (strcmp(kind, "container") &&
				      strcmp(kind, "network"))) {
		rc = ib_err_set(err, -EPERM, "docker %s '%.100s': not a name of "
				"this run's: left alone", kind, name);
		goto out;
	}
	target = ib_xasprintf("%s %s", kind, name);
	if (is_own && cx->as_root && ib_cleanup_path_ok(cx, own_sock, NULL) < 0) {
		rc = ib_err_set(err, -EPERM, "docker %s: the run's engine "
				"directory %s is not isobench's: left alone",
				target, own_dir);
		goto out;
	}
	if (cx->dry_run) {
		/* no call to any engine: what it would ask for */
		ib_cleanup_act(cx, IB_ACT_ENGINE, target, socket);
		if (is_own && !strcmp(kind, "container"))
			own_engine_leftovers(cx, own_dir);
		goto out;
	}
	if (!ping(socket)) {
		if (is_own) {
			/* isobench's own engine, killed with the run: its
			 * objects went with it, but for what runc made */
			ib_buf_printf(cx->log, "docker %s: the run's own engine "
				      "at %s is gone\n", target, socket);
			if (!strcmp(kind, "container") &&
			    own_engine_leftovers(cx, own_dir) < 0)
				rc = ib_err_set(err, -EBUSY, "docker %s: the "
						"dead engine's containers could "
						"not all be deleted", target);
			else if (!strcmp(kind, "container")) {
				char *parent = own_cgroup_parent(cx->run_id);

				if (ib_cleanup_act(cx, IB_ACT_CGROUP, parent, NULL))
					ib_oci_remove_cgroups(parent, 1);
				free(parent);
			}
			goto out;
		}
		rc = ib_err_set(err, -EHOSTDOWN, "docker %s: no engine answers at "
				"%s: start it and run cleanup again", target,
				socket);
		goto out;
	}
	if (strcmp(kind, "image")) {
		path = ib_xasprintf(!strcmp(kind, "network") ? "/networks/%s"
							      : "/containers/%s/json",
				    name);
		if (!labelled(socket, path, !strcmp(kind, "network") ? "" : "Config",
			      cx->run_id, &gone, err)) {
			if (!err->code)
				ib_err_set(err, -EPERM, "docker %s: it does not "
					   "carry isobench.run=%s: not this "
					   "run's, left alone", target,
					   cx->run_id);
			rc = err->code;
			goto out;
		}
		if (gone) {
			ib_buf_printf(cx->log, "docker %s: already gone\n", target);
			goto out;
		}
	}
	if (!ib_cleanup_act(cx, IB_ACT_ENGINE, target, socket))
		goto out;
	if (!strcmp(kind, "network"))
		rc = delete_network(socket, name, err);
	else if (!strcmp(kind, "image"))
		rc = delete_image(socket, name, err);
	else
		rc = delete_container(socket, name, err);
	if (rc == 0)
		ib_buf_printf(cx->log, "docker %s: deleted\n", target);
out:
	free(own_dir);
	free(own_sock);
	free(image);
	free(path);
	free(target);
	return rc;
}

/* The shim containerd started for the container (its -id argument is
 * the container's id): the runtime's processes are its descendants. */
static int docker_instance_pids(struct ib_runtime *rt, struct ib_launch *l,
				pid_t *roots, int max)
{
	struct docker_launch *dl = l->priv;
	pid_t shim;

	(void)rt;
	if (!dl || !dl->engine_id || max < 1)
		return 0;
	/* comm is cut at 15 bytes: "containerd-shim-runc-v2" reads
	 * "containerd-shim" */
	shim = ib_fp_find("containerd-shim", dl->engine_id, 0);
	if (!shim)
		return 0;
	roots[0] = shim;
	return 1;
}

/* The engine's daemons: the dockerd serving our socket, and its
 * containerd (its child, or the system's). */
static int docker_shared_pids(struct ib_runtime *rt, const char **names,
			      pid_t *pids, int max)
{
	struct docker_rt *d = rt->priv;
	pid_t dockerd = d->own ? own.proc.pid : ib_fp_find("dockerd", d->socket, 0);
	pid_t containerd;
	int n = 0;

	if (!dockerd) {
		/* -H/--host takes a URL */
		char *url = ib_xasprintf("unix://%s", d->socket);

		dockerd = ib_fp_find("dockerd", url, 0);
		free(url);
	}
	if (!dockerd && !strcmp(d->socket, "/var/run/docker.sock"))
		dockerd = ib_fp_find("dockerd", NULL, 0);
	if (!dockerd || max < 2)
		return 0;
	names[n] = "dockerd";
	pids[n++] = dockerd;
	containerd = ib_fp_find("containerd", NULL, dockerd);
	if (!containerd)
		containerd = ib_fp_find("containerd", NULL, 0);
	if (containerd) {
		names[n] = "containerd";
		pids[n++] = containerd;
	}
	return n;
}

/* The engine's runsc is a runtime of its own: in the default run too
 * (skipped, with the reason, where the engine has no runsc). */
static const char *const docker_also_default[] = {"docker:runtime=runsc",
						  NULL};

const struct ib_runtime_ops ib_runtime_docker = {
	.name = "docker",
	.family = "container engine",
	.summary = "Docker Engine API: create/start/wait/delete",
	.available = docker_available,
	.prepare = docker_prepare,
	.launch = docker_launch,
	.wait = docker_wait,
	.teardown = docker_teardown,
	.describe = docker_describe,
	.release = docker_release,
	.cleanup = docker_cleanup,
	.instance_pids = docker_instance_pids,
	.shared_pids = docker_shared_pids,
	.also_default = docker_also_default,
	.net_kind = docker_net_kind,
	.apps = IB_APPS_ROOTFS,
	.stop = docker_stop,
	.net_setup = docker_net_setup,
	.options = docker_options,
	.noptions = (int)IB_ARRAY_LEN(docker_options),
};
