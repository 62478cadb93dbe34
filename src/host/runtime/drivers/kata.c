/* kata: Kata Containers through containerd, driven with its CLI `ctr`
 * (containerd 1.6) and the shim io.containerd.kata.v2: each container a
 * lightweight VM of its own, started by Kata's shim.
 *
 * Why ctr and not containerd's gRPC API: ctr is what containerd ships,
 * speaks to any containerd 1.x, and a C client of its gRPC API would be
 * hand-written gRPC and protobuf code, a dependency larger than the
 * driver (the project prefers the programs' own CLIs). Its cost, a Go
 * program's start per command, is in the timed phases and said so in
 * describe.
 *
 * Option shim: io.containerd.kata.v2 (the default: what this runtime is
 * for) or io.containerd.runc.v2. With runc's shim exactly the same ctr
 * commands run, so the driver's plumbing (containerd, image, container,
 * task, output, cleanup) can be exercised on a machine without Kata, as
 * isobench's own tests do; those results are runc containers through
 * containerd, not Kata, and are labelled "kata:shim=io.containerd.runc.v2"
 * and described so. available() answers for the default (Kata's shim);
 * available_spec() answers per column, so that column runs where Kata is
 * missing.
 *
 * containerd: the one at $CONTAINERD_ADDRESS or
 * /run/containerd/containerd.sock when it answers, used as it is; else
 * (as root) isobench starts its own for the run, as runtime/drivers/docker.c does with
 * dockerd: content and snapshots under the run's work directory, state,
 * socket and config in containerd-<run id> of isobench's runtime
 * directory (/run/isobench as root; a socket
 * path holds at most 107 bytes), the CRI plugin and plugins that would
 * write outside those directories disabled. It is recorded in the state
 * file before it starts and stopped when the run ends. Everything of
 * isobench's lives in the containerd namespace "isobench".
 *
 * Image: the probe's rootfs as a docker-archive (image_archive.h)
 * imported with `ctr images import` as localhost/isobench-probe:<run id>,
 * recorded, removed when the run ends.
 *
 * A launch:
 *   ctr containers create ...    the container (metadata, snapshot of
 *                                the image): "created"
 *   ctr tasks start NAME         in the foreground: the shim starts, the
 *                                task runs, ctr's stdout is the probe's,
 *                                its exit status the probe's; it deletes
 *                                the task before it exits ("exited")
 *   ctr containers delete NAME   container and snapshot ("torn down")
 *
 * After a kill -9, `isobench cleanup` needs a containerd to delete the
 * task through: isobench's own died with the run (PDEATHSIG) while its
 * shims live on (shims outlive containerd by design), so cleanup starts
 * it again from its recorded config (it reconnects to its shims), deletes
 * the run's tasks, containers and image, stops it and removes its
 * directories. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "base/footprint.h"
#include "engines/daemon.h"
#include "images/image_archive.h"
#include "base/kvm.h"
#include "base/mount_ns.h"
#include "net/net_link.h"
#include "runtime/drivers/oci.h"
#include "state/state.h"
#include "images/vm_image.h"

#define CTR_TIMEOUT_S 60       /* one ctr command */
#define CONTAINERD_START_S 30  /* isobench's own containerd answers */
#define NAMESPACE "isobench"
#define KATA_SHIM "io.containerd.kata.v2"
#define RUNC_SHIM "io.containerd.runc.v2"

static const struct ib_rt_option kata_options[] = {
	{"shim", KATA_SHIM "," RUNC_SHIM, KATA_SHIM,
	 "the containerd shim the containers run with: Kata's VM per "
	 "container, or runc's (a plain container: tests the driver's "
	 "plumbing where Kata is missing; not Kata's figures)", 0, NULL, NULL},
};

/* A containerd isobench runs: its own for the run, or one cleanup
 * starts again from a killed run's config. */
struct ib_containerd {
	struct ib_proc proc;
	char *dir;    /* <runtime dir>/containerd-<run id>: socket, state, config */
	char *root;   /* content and snapshots */
	char *socket;
	char *config;
};

/* The run's own containerd, shared by its kata columns. */
static struct {
	int users;
	struct ib_containerd d;
	const struct ib_run_ctx *ctx;
} own;

struct kata_rt {
	char *ctr;       /* absolute path */
	char *socket;    /* containerd's */
	char *shim;      /* io.containerd.kata.v2 | io.containerd.runc.v2 */
	char *shim_bin;  /* its binary, as found on PATH */
	char *shim_version;
	char *version;   /* containerd's (the server's) */
	char *image;     /* localhost/isobench-probe:<run id> */
	int own;         /* the containerd is isobench's own */
	int imported;    /* this column imported the run's image */
};

struct kata_launch {
	int exited;      /* wait saw ctr's exit */
	int stopping;    /* stop() asked the probe to end */
};

static const char *default_socket(void)
{
	const char *a = getenv("CONTAINERD_ADDRESS");

	if (a && *a)
		return !strncmp(a, "unix://", 7) ? a + 7 : a;
	return "/run/containerd/containerd.sock";
}

/* The shim's binary name: containerd turns io.containerd.X.vN into
 * containerd-shim-X-vN and looks for it on its PATH. */
static char *shim_binary_name(const char *shim)
{
	if (!strcmp(shim, KATA_SHIM))
		return ib_xstrdup("containerd-shim-kata-v2");
	return ib_xstrdup("containerd-shim-runc-v2");
}

/* Runs `ctr -a socket -n isobench ARGS...` to completion within
 * timeout_s; its output (stdout and stderr) into out if not NULL.
 * Returns ctr's exit status (>= 0) or a negative errno with err set. */
static int ctr_cmd(const char *ctr, const char *socket, const char *const *args,
		   double timeout_s, struct ib_buf *out, struct ib_err *err)
{
	struct ib_strv argv = {0};
	struct ib_buf sink = {0};
	struct ib_spawn_opts o = {.flags = IB_PROC_DIE_WITH_PARENT};
	int rc;

	ib_strv_push(&argv, ctr);
	ib_strv_push(&argv, "-a");
	ib_strv_push(&argv, socket);
	ib_strv_push(&argv, "-n");
	ib_strv_push(&argv, NAMESPACE);
	for (; *args; args++)
		ib_strv_push(&argv, *args);
	rc = ib_proc_capture_opts(argv.v, &o, timeout_s, NULL, out ? out : &sink,
				  err);
	ib_strv_free(&argv);
	ib_buf_free(&sink);
	return rc;
}

/* Does a containerd answer at socket? (`ctr version` asks the server.) */
static int answers(const char *ctr, const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd, ok;

	/* ctr waits 10 s for a socket nobody listens on: connect first */
	if (strlen(path) >= sizeof(sa.sun_path))
		return 0;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ok = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	if (fd >= 0)
		close(fd);
	if (!ok)
		return 0;
	return ctr_cmd(ctr, path, (const char *[]){"version", NULL}, 5, NULL,
		       NULL) == 0;
}

static int kata_available_shim(const char *shim, struct ib_buf *why,
			       struct ib_buf *fix)
{
	char *ctr = ib_which("ctr"), *containerd = ib_which("containerd");
	char *bin = shim_binary_name(shim), *shim_path = ib_which(bin);
	struct ib_buf tw = {0}, kw = {0};
	int ok = 0, kvm_fd = -1;

	if (!ctr || !containerd) {
		ib_buf_printf(why, "%s not found in PATH", !ctr ? "ctr" : "containerd");
		ib_buf_printf(fix, "apt-get install -y containerd");
	} else if (geteuid() != 0) {
		ib_buf_printf(why, "containerd's containers need root here "
			      "(isobench does not run rootless containerd)");
		ib_buf_printf(fix, "run isobench as root");
	} else if (!shim_path && !strcmp(shim, KATA_SHIM)) {
		ib_buf_printf(why, "%s not found in PATH: Kata Containers is not "
			      "packaged in Debian", bin);
		ib_buf_printf(fix, "install Kata Containers from its release "
			      "tarball (https://github.com/kata-containers/"
			      "kata-containers/releases; see docs/install/ in "
			      "that repository) and put %s in PATH, or run "
			      "kata:shim=" RUNC_SHIM " to test the driver "
			      "with runc's shim", bin);
	} else if (!shim_path) {
		ib_buf_printf(why, "%s not found in PATH", bin);
		ib_buf_printf(fix, "apt-get install -y containerd runc");
	} else if (!strcmp(shim, KATA_SHIM) && (kvm_fd = ib_kvm_open(&kw, NULL)) < 0) {
		/* a character device answering KVM's API (kvm.h) */
		ib_buf_printf(why, "KVM is not usable (%s): Kata runs each "
			      "container in a VM and needs KVM", kw.s);
		ib_buf_printf(fix, "run on a host with KVM (bare metal, or a VM "
			      "with nested virtualisation) and load kvm_intel "
			      "or kvm_amd");
	} else if (!strcmp(shim, KATA_SHIM) && ib_vm_kvm_verdict(&tw) == 0) {
		/* the qemu driver's trial boot found KVM unable to run a
		 * stock guest (a PVM host): Kata's VM would hang too */
		ib_buf_printf(why, "KVM cannot run a stock guest here: %s", tw.s);
		ib_buf_printf(fix, "run on a host whose KVM runs ordinary "
			      "guests (bare metal, or nested virtualisation)");
	} else {
		ok = 1; /* a containerd answers, or prepare starts one */
	}
	if (kvm_fd >= 0)
		close(kvm_fd);
	ib_buf_free(&kw);
	ib_buf_free(&tw);
	free(ctr);
	free(containerd);
	free(bin);
	free(shim_path);
	return ok;
}

static int kata_available(struct ib_buf *why, struct ib_buf *fix)
{
	return kata_available_shim(KATA_SHIM, why, fix);
}

static int kata_available_spec(const struct ib_runtime *rt, struct ib_buf *why,
			       struct ib_buf *fix)
{
	return kata_available_shim(ib_runtime_opt(rt, "shim"), why, fix);
}

/* A path as a TOML basic string may hold neither quotes nor
 * backslashes unescaped; isobench's paths never need them. */
static int toml_safe(const char *s)
{
	return !strpbrk(s, "\"\\\n");
}

struct answers_arg {
	const char *ctr, *socket;
};

static int containerd_answers(void *arg)
{
	const struct answers_arg *a = arg;

	return answers(a->ctr, a->socket);
}

/* Starts containerd with d's config and waits until it answers at
 * d->socket (then 0), or it exits or CONTAINERD_START_S pass. Its output
 * goes to d->dir/containerd.log. /run/containerd (the shims' sockets in
 * s/, runc's state in runc/, both fixed paths in containerd 1.6) stays in
 * containerd's own mount namespace (engines/daemon.h); the directory of
 * its socket and state is bound back in. ctr's FIFOs are in the work
 * directory. */
static int containerd_start(struct ib_containerd *d, const char *ctr,
			    struct ib_err *err)
{
	char *bin = ib_which("containerd");
	char *log = ib_xasprintf("%s/containerd.log", d->dir);
	struct answers_arg arg = {ctr, d->socket};
	struct ib_daemon_spawn spawn = {
		.name = "containerd", .cwd = d->dir, .log = log,
		.sock_dir = d->dir,
		.argv = (char *[]){bin, "--config", d->config, NULL},
	};
	int rc;

	if (!bin)
		rc = ib_err_set(err, -ENOENT, "containerd not found in PATH");
	else if ((rc = ib_daemon_spawn(&d->proc, &spawn, err)) == 0)
		rc = ib_daemon_wait_ready(&d->proc, &spawn, containerd_answers,
					  &arg, CONTAINERD_START_S, err);
	free(bin);
	free(log);
	return rc;
}

/* SIGTERM, then SIGKILL after 15 s; its shims stay (they outlive
 * containerd by design: their tasks are deleted before this). */
static void containerd_stop(struct ib_containerd *d)
{
	ib_daemon_stop(&d->proc, 15);
}

/* Removes d's directories, mounts below them first (a task's rootfs is
 * mounted in the state directory while its shim runs). Returns 0 when
 * both are gone. */
static int containerd_remove_dirs(const struct ib_containerd *d)
{
	int rc = 0;

	/* never anything that is not isobench's */
	if (d->dir && strstr(d->dir, "isobench")) {
		ib_unmount_under(d->dir);
		rc |= ib_rmtree(d->dir);
	}
	if (d->root && strstr(d->root, "isobench")) {
		ib_unmount_under(d->root);
		rc |= ib_rmtree(d->root);
	}
	return rc ? -EBUSY : 0;
}

static void containerd_free(struct ib_containerd *d)
{
	free(d->dir);
	free(d->root);
	free(d->socket);
	free(d->config);
	memset(d, 0, sizeof(*d));
}

/* The fields of a state record that let cleanup reach the containerd
 * again: its socket, and for isobench's own its config, from which
 * cleanup starts it again after a kill -9. */
static void add_engine_fields(cJSON *res, const struct kata_rt *k)
{
	cJSON_AddStringToObject(res, "socket", k->socket);
	if (k->own)
		cJSON_AddStringToObject(res, "containerd_config", own.d.config);
}

/* Starts isobench's own containerd (once per run). */
static int start_own_containerd(const struct ib_run_ctx *ctx, const char *ctr,
				struct ib_err *err)
{
	struct ib_containerd *d = &own.d;
	char *text, *state;
	cJSON *res;
	int rc;

	if (own.users++ > 0)
		return 0;
	own.ctx = ctx;
	/* the socket (and so its directory) in the runtime directory: the
	 * work directory may be too deep for a Unix socket's 107 bytes */
	{
		char *rtdir = ib_runtime_dir(err);

		if (!rtdir)
			return err->code; /* release stops: users goes back */
		d->dir = ib_xasprintf("%s/containerd-%s", rtdir, ctx->run_id);
		free(rtdir);
	}
	d->root = ib_xasprintf("%s/containerd", ctx->work);
	d->socket = ib_xasprintf("%s/containerd.sock", d->dir);
	d->config = ib_xasprintf("%s/config.toml", d->dir);
	state = ib_xasprintf("%s/state", d->dir);
	{
		char *longest = ib_xasprintf("%s.ttrpc", d->socket);

		rc = ib_sock_path_check(longest, err);
		free(longest);
		if (rc < 0) {
			ib_err_wrap(err, "own containerd");
			goto out;
		}
	}
	if (!toml_safe(d->root) || !toml_safe(d->dir)) {
		rc = ib_err_set(err, -EINVAL, "the work directory %s holds a "
				"quote or backslash: containerd's config cannot "
				"name it", ctx->work);
		goto out;
	}
	res = cJSON_CreateObject();
	cJSON_AddStringToObject(res, "kind", "containerd");
	cJSON_AddStringToObject(res, "runtime", "kata");
	cJSON_AddStringToObject(res, "name", "kata-containerd-dirs");
	cJSON_AddStringToObject(res, "dir", d->dir);
	cJSON_AddStringToObject(res, "root", d->root);
	cJSON_AddStringToObject(res, "socket", d->socket);
	cJSON_AddStringToObject(res, "containerd_config", d->config);
	if ((rc = ib_state_add(ctx->state, res, err)) < 0 ||
	    (rc = ib_mkdirs(d->dir, 0700, err)) < 0 ||
	    (rc = ib_mkdirs(d->root, 0700, err)) < 0)
		goto out;
	/* CRI (Kubernetes') is not needed and would set up CNI; "opt"
	 * would make /opt/containerd; the snapshotters that are not
	 * overlayfs only probe and complain. No debug or metrics socket. */
	text = ib_xasprintf(
		"# isobench's own containerd for run %s (removed when it ends)\n"
		"version = 2\n"
		"root = \"%s\"\n"
		"state = \"%s\"\n"
		"disabled_plugins = [\"io.containerd.grpc.v1.cri\", "
		"\"io.containerd.internal.v1.opt\", "
		"\"io.containerd.snapshotter.v1.aufs\", "
		"\"io.containerd.snapshotter.v1.btrfs\", "
		"\"io.containerd.snapshotter.v1.zfs\", "
		"\"io.containerd.snapshotter.v1.devmapper\"]\n"
		"\n[grpc]\n  address = \"%s\"\n"
		"\n[ttrpc]\n  address = \"%s.ttrpc\"\n",
		ctx->run_id, d->root, state, d->socket, d->socket);
	rc = ib_write_file_atomic(d->config, text, strlen(text), err);
	free(text);
	if (rc < 0)
		goto out;
	if ((rc = containerd_start(d, ctr, err)) < 0)
		goto out;
	rc = ib_state_add_process(ctx->state, "kata-containerd", d->proc.pid,
				  d->proc.starttime, err);
out:
	free(state);
	return rc;
}

static void stop_own_containerd(void)
{
	if (--own.users > 0)
		return;
	if (own.d.proc.pid > 0 && !own.d.proc.reaped) {
		containerd_stop(&own.d);
		ib_state_del(own.ctx->state, "kata-containerd", NULL);
	}
	if (containerd_remove_dirs(&own.d) == 0)
		ib_state_del(own.ctx->state, "kata-containerd-dirs", NULL);
	containerd_free(&own.d);
	memset(&own, 0, sizeof(own));
}

/* "Server:\n  Version: 1.6.20~ds1" of `ctr version`: the daemon's. */
static char *server_version(const char *text)
{
	const char *s = text ? strstr(text, "Server:") : NULL;
	const char *v = s ? strstr(s, "Version:") : NULL;
	size_t n;

	if (!v)
		return ib_xstrdup("?");
	v += strlen("Version:");
	v += strspn(v, " \t");
	n = strcspn(v, "\n");
	return ib_xasprintf("%.*s", (int)n, v);
}

/* The shim's version line: Kata's shim answers --version, runc's -v
 * (containerd's shim library), both on their first lines. */
static char *shim_version(const char *bin, int kata)
{
	struct ib_buf out = {0};
	char *v;
	int rc = ib_proc_capture((char *[]){(char *)bin, kata ? "--version" : "-v",
					    NULL},
				 NULL, 5, NULL, &out, NULL);

	if (rc != 0 || !out.s) {
		ib_buf_free(&out);
		return ib_xstrdup("?");
	}
	/* "containerd-shim-runc-v2:\n  Version:  1.6.20" reads as one line */
	for (char *p = out.s; *p; p++)
		if (*p == '\n')
			*p = ' ';
	v = ib_xstrdup(ib_trim(out.s));
	ib_buf_free(&out);
	if (strlen(v) > 200)
		v[200] = '\0';
	return v;
}

/* The run's image, imported once per run (another kata column finds
 * it), recorded before it exists. */
static int ensure_image(struct kata_rt *k, const struct ib_run_ctx *ctx,
			struct ib_err *err)
{
	struct ib_buf out = {0}, tar = {0};
	char *path = NULL;
	cJSON *res;
	int rc;

	k->image = ib_xasprintf("localhost/isobench-probe:%s", ctx->run_id);
	rc = ctr_cmd(k->ctr, k->socket, (const char *[]){"images", "ls", "-q", NULL},
		     CTR_TIMEOUT_S, &out, err);
	if (rc == 0 && out.s) {
		for (char *line = strtok(out.s, "\n"); line; line = strtok(NULL, "\n"))
			if (!strcmp(ib_trim(line), k->image))
				goto out; /* rc == 0: there */
	}
	if (rc != 0) {
		if (rc > 0)
			rc = ib_err_set(err, -EIO, "ctr images ls: exit status %d: "
					"%.300s", rc, out.s ? ib_trim(out.s) : "");
		goto out;
	}
	res = cJSON_CreateObject();
	cJSON_AddStringToObject(res, "kind", "image");
	cJSON_AddStringToObject(res, "runtime", "kata");
	cJSON_AddStringToObject(res, "name", k->image);
	add_engine_fields(res, k);
	if ((rc = ib_state_add(ctx->state, res, err)) < 0)
		goto out;
	k->imported = 1;
	if ((rc = ib_image_archive(ctx->probe_path, k->image, &tar, NULL, err)) < 0)
		goto out;
	path = ib_xasprintf("%s/kata-image.tar", ctx->work);
	if ((rc = ib_write_file_atomic(path, tar.s, tar.len, err)) < 0)
		goto out;
	ib_buf_free(&out);
	rc = ctr_cmd(k->ctr, k->socket,
		     (const char *[]){"images", "import", path, NULL},
		     CTR_TIMEOUT_S, &out, err);
	if (rc > 0)
		rc = ib_err_set(err, -EIO, "ctr images import: exit status %d: "
				"%.300s", rc, out.s ? ib_trim(out.s) : "");
	unlink(path);
out:
	ib_buf_free(&out);
	ib_buf_free(&tar);
	free(path);
	return rc < 0 ? rc : 0;
}

static int kata_prepare(struct ib_runtime *rt, struct ib_err *err)
{
	struct kata_rt *k = ib_xcalloc(1, sizeof(*k));
	struct ib_buf out = {0};
	char *bin;
	int rc;

	rt->priv = k;
	k->shim = ib_xstrdup(ib_runtime_opt(rt, "shim"));
	k->ctr = ib_which("ctr");
	bin = shim_binary_name(k->shim);
	k->shim_bin = ib_which(bin);
	free(bin);
	if (!k->ctr || !k->shim_bin)
		return ib_err_set(err, -ENOENT, "%s not found in PATH",
				  !k->ctr ? "ctr" : "the shim's binary");
	k->shim_version = shim_version(k->shim_bin, !strcmp(k->shim, KATA_SHIM));
	if (answers(k->ctr, default_socket())) {
		k->socket = ib_xstrdup(default_socket());
	} else {
		if ((rc = start_own_containerd(rt->ctx, k->ctr, err)) < 0) {
			k->own = 1; /* release stops what did start */
			return rc;
		}
		k->own = 1;
		k->socket = ib_xstrdup(own.d.socket);
	}
	rc = ctr_cmd(k->ctr, k->socket, (const char *[]){"version", NULL},
		     CTR_TIMEOUT_S, &out, err);
	if (rc > 0)
		rc = ib_err_set(err, -EIO, "ctr version: exit status %d: %.300s",
				rc, out.s ? ib_trim(out.s) : "");
	if (rc == 0)
		k->version = server_version(out.s);
	ib_buf_free(&out);
	if (rc == 0)
		rc = ensure_image(k, rt->ctx, err);
	return rc;
}

/* The container's own cgroup, /isobench/<name> in every hierarchy (and in
 * /sys/fs/cgroup itself on a pure v2 host), where empty: the runc shim
 * removes it when it deletes the container, but a shim killed with the
 * run (kill -9, then cleanup) leaves it. name is checked by the caller
 * (isobench-<run id>-..., no slash). Waits up to 1 s for its processes to
 * leave it: 0, or -EBUSY while some are still in it. */
static int remove_container_cgroups(const char *name)
{
	for (int tries = 0; tries < 50; tries++) {
		DIR *d = opendir("/sys/fs/cgroup");
		struct dirent *e;
		int busy = 0;
		char *p;

		while (d && (e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			p = ib_xasprintf("/sys/fs/cgroup/%s/" NAMESPACE "/%s",
					 e->d_name, name);
			if (rmdir(p) != 0 && errno == EBUSY)
				busy = 1;
			free(p);
		}
		if (d)
			closedir(d);
		p = ib_xasprintf("/sys/fs/cgroup/" NAMESPACE "/%s", name);
		if (rmdir(p) != 0 && errno == EBUSY)
			busy = 1;
		free(p);
		if (!busy)
			return 0;
		{
			struct timespec nap = {0, 20000000};

			nanosleep(&nap, NULL);
		}
	}
	return -EBUSY;
}

/* Removes the cgroup parent containerd's default spec puts every
 * container of namespace "isobench" in (/isobench/<name>), in every
 * hierarchy mounted under /sys/fs/cgroup (and /sys/fs/cgroup itself, a
 * pure v2 host), where empty: a parent in use (another run's) stays. And
 * runc's state root for the namespace, which containerd 1.6's runc shim
 * puts under /run/containerd/runc whatever containerd's own state
 * directory is, where empty. */
static void remove_namespace_dirs(void)
{
	DIR *d = opendir("/sys/fs/cgroup");
	struct dirent *e;

	while (d && (e = readdir(d))) {
		char *p;

		if (e->d_name[0] == '.')
			continue;
		p = ib_xasprintf("/sys/fs/cgroup/%s/" NAMESPACE, e->d_name);
		rmdir(p); /* fails while not empty or not there: fine */
		free(p);
	}
	if (d)
		closedir(d);
	rmdir("/sys/fs/cgroup/" NAMESPACE);
	rmdir("/run/containerd/runc/" NAMESPACE);
}

static void kata_release(struct ib_runtime *rt)
{
	struct kata_rt *k = rt->priv;

	if (!k)
		return;
	/* the run's image, once its containers are gone (release comes
	 * after the last launch); --sync: its content and snapshot are
	 * collected before ctr returns */
	if (k->imported && k->image && k->socket &&
	    ctr_cmd(k->ctr, k->socket,
		    (const char *[]){"images", "rm", "--sync", k->image, NULL},
		    CTR_TIMEOUT_S, NULL, NULL) == 0)
		ib_state_del(rt->ctx->state, k->image, NULL);
	if (k->own)
		stop_own_containerd();
	remove_namespace_dirs();
	free(k->ctr);
	free(k->socket);
	free(k->shim);
	free(k->shim_bin);
	free(k->shim_version);
	free(k->version);
	free(k->image);
	free(k);
	rt->priv = NULL;
}

static int kata_launch(struct ib_runtime *rt, struct ib_launch *l,
		       struct ib_err *err)
{
	struct kata_rt *k = rt->priv;
	struct kata_launch *kl = ib_xcalloc(1, sizeof(*kl));
	struct ib_strv argv = {0};
	struct ib_buf out = {0};
	struct ib_spawn_opts so = {.flags = IB_PROC_DIE_WITH_PARENT};
	cJSON *res;
	int rc;

	l->priv = kl;
	res = cJSON_CreateObject();
	cJSON_AddStringToObject(res, "kind", "container");
	cJSON_AddStringToObject(res, "runtime", "kata");
	cJSON_AddStringToObject(res, "name", l->name);
	add_engine_fields(res, k);
	if ((rc = ib_state_add(rt->ctx->state, res, err)) < 0)
		goto out;

	ib_strv_push(&argv, "containers");
	ib_strv_push(&argv, "create");
	ib_strv_push(&argv, "--runtime");
	ib_strv_push(&argv, k->shim);
	ib_strv_push_owned(&argv, ib_xasprintf("--env=ISOBENCH_RUN=%s",
					       rt->ctx->run_id));
	/* the container's processes are the launch's (footprint.h) */
	ib_strv_push_owned(&argv, ib_xasprintf("--env=ISOBENCH_LAUNCH=%s",
					       l->name));
	ib_strv_push_owned(&argv, ib_xasprintf("--label=isobench.run=%s",
					       rt->ctx->run_id));
	ib_strv_push_owned(&argv, ib_xasprintf(
		"--mount=type=bind,src=%s,dst=%s,options=rbind:rw",
		rt->ctx->scratch, IB_OCI_SCRATCH));
	ib_strv_push(&argv, "--cwd=/");
	if (rt->ctx->limits.memory)
		ib_strv_push_owned(&argv, ib_xasprintf("--memory-limit=%llu",
			(unsigned long long)rt->ctx->limits.memory));
	if (rt->ctx->limits.cpus > 0) {
		/* ctr 1.6 has no cpuset flag: N CPUs' worth of CFS quota */
		ib_strv_push(&argv, "--cpu-period=100000");
		ib_strv_push_owned(&argv, ib_xasprintf("--cpu-quota=%d",
						       rt->ctx->limits.cpus * 100000));
	}
	ib_strv_push(&argv, k->image);
	ib_strv_push(&argv, l->name);
	ib_strv_push(&argv, "/isobench-probe");
	ib_strv_push(&argv, "--scratch");
	ib_strv_push(&argv, l->scratch_rootfs ? IB_OCI_ROOTFS_SCRATCH
					      : IB_OCI_SCRATCH);
	for (char **a = l->probe_argv; *a; a++)
		ib_strv_push(&argv, *a);

	l->t_launch_ns = ib_mono_ns();
	rc = ctr_cmd(k->ctr, k->socket, (const char *const *)argv.v,
		     CTR_TIMEOUT_S, &out, err);
	if (rc > 0)
		rc = ib_err_set(err, -EIO, "ctr containers create: exit status "
				"%d: %.300s", rc, out.s ? ib_trim(out.s) : "");
	if (rc < 0)
		goto out;
	l->t_created_ns = ib_mono_ns();

	/* The task, in the foreground: ctr creates and starts it, copies
	 * its output to ours, forwards signals to it, waits for it and
	 * deletes it, and exits with its status. */
	ib_strv_free(&argv);
	ib_strv_push(&argv, k->ctr);
	ib_strv_push(&argv, "-a");
	ib_strv_push(&argv, k->socket);
	ib_strv_push(&argv, "-n");
	ib_strv_push(&argv, NAMESPACE);
	ib_strv_push(&argv, "tasks");
	ib_strv_push(&argv, "start");
	/* its FIFOs in the run's work directory, not /run/containerd/fifo */
	ib_strv_push_owned(&argv, ib_xasprintf("--fifo-dir=%s/kata-fifo",
					       rt->ctx->work));
	ib_strv_push(&argv, l->name);
	rc = ib_proc_start(&l->proc, argv.v, &so, err);
	if (rc == 0)
		l->out_fd = l->proc.out_fd;
out:
	ib_buf_free(&out);
	ib_strv_free(&argv);
	return rc < 0 ? rc : 0;
}

static int kata_wait(struct ib_runtime *rt, struct ib_launch *l,
		     uint64_t deadline_ns)
{
	struct kata_launch *kl = l->priv;
	int rc = ib_proc_wait(&l->proc, deadline_ns);

	(void)rt;
	if (rc < 0)
		return rc;
	l->t_exited_ns = ib_mono_ns();
	kl->exited = 1;
	if (l->proc.term_signal) {
		/* ctr itself was killed: the task's status is unknown */
		l->exit_code = -1;
		l->term_signal = l->proc.term_signal;
	} else if (l->proc.exit_code > 128 && l->proc.exit_code < 128 + 65) {
		/* containerd reports a task killed by a signal as 128 + it */
		l->exit_code = -1;
		l->term_signal = l->proc.exit_code - 128;
	} else {
		l->exit_code = l->proc.exit_code;
		l->term_signal = 0;
	}
	return 0;
}

/* Kills and deletes the task of container name (if any), then the
 * container and its snapshot. 0 when nothing of it is left. */
static int remove_container(const char *ctr, const char *socket,
			    const char *name, struct ib_buf *log)
{
	struct ib_buf out = {0};
	struct ib_err e = {0};
	int rc;

	rc = ctr_cmd(ctr, socket, (const char *[]){"containers", "delete", name,
						   NULL},
		     CTR_TIMEOUT_S, &out, &e);
	if (rc > 0 && out.s && strstr(out.s, "not found"))
		rc = 0; /* never created, or already deleted */
	if (rc != 0) {
		/* a task is left (its ctr did not get to delete it): kill
		 * and delete it, then the container */
		ctr_cmd(ctr, socket, (const char *[]){"tasks", "kill", "-s",
						      "SIGKILL", name, NULL},
			CTR_TIMEOUT_S, NULL, NULL);
		ctr_cmd(ctr, socket, (const char *[]){"tasks", "delete", "-f",
						      name, NULL},
			CTR_TIMEOUT_S, NULL, NULL);
		ib_buf_free(&out);
		rc = ctr_cmd(ctr, socket, (const char *[]){"containers", "delete",
							   name, NULL},
			     CTR_TIMEOUT_S, &out, &e);
		if (rc > 0 && out.s && strstr(out.s, "not found"))
			rc = 0;
	}
	if (rc != 0 && log)
		ib_buf_printf(log, "ctr containers delete %s: %s\n", name,
			      rc < 0 ? e.msg : (out.s ? ib_trim(out.s) : "?"));
	ib_buf_free(&out);
	return rc == 0 ? 0 : -EBUSY;
}

static void kata_teardown(struct ib_runtime *rt, struct ib_launch *l)
{
	struct kata_rt *k = rt->priv;
	struct kata_launch *kl = l->priv;

	if (!kl)
		return;
	/* A probe asked to end (the footprint benchmark's holders) is given
	 * 3 s to exit as usual; anything still running is killed through
	 * containerd, and its ctr then exits by itself. */
	if (kl->stopping && !kl->exited && l->proc.pid > 0 && !l->proc.reaped &&
	    ib_proc_wait(&l->proc, ib_mono_ns() + 3000000000ULL) == 0)
		kl->exited = 1;
	if (l->proc.pid > 0 && !l->proc.reaped) {
		ctr_cmd(k->ctr, k->socket, (const char *[]){"tasks", "kill", "-s",
							    "SIGKILL", l->name,
							    NULL},
			CTR_TIMEOUT_S, NULL, NULL);
		if (ib_proc_wait(&l->proc, ib_mono_ns() + 10000000000ULL) < 0)
			ib_proc_kill(&l->proc);
	}
	ib_proc_close(&l->proc);
	l->out_fd = -1;
	if (remove_container(k->ctr, k->socket, l->name, NULL) == 0)
		ib_state_del(rt->ctx->state, l->name, NULL);
	free(kl);
	l->priv = NULL;
}

/* SIGTERM to ctr, which forwards it to the task (the probe), not
 * waited for. */
static void kata_stop(struct ib_runtime *rt, struct ib_launch *l)
{
	struct kata_launch *kl = l->priv;

	(void)rt;
	if (!kl || kl->exited || l->proc.pid <= 0 || l->proc.reaped)
		return;
	kill(l->proc.pid, SIGTERM);
	kl->stopping = 1;
}

static void kata_describe(struct ib_runtime *rt, cJSON *out)
{
	struct kata_rt *k = rt->priv;
	int kata = !strcmp(k->shim, KATA_SHIM);
	cJSON *lim;

	cJSON_AddStringToObject(out, "version", k->version);
	cJSON_AddStringToObject(out, "shim", k->shim);
	cJSON_AddStringToObject(out, "shim_binary", k->shim_bin);
	cJSON_AddStringToObject(out, "shim_version", k->shim_version);
	cJSON_AddStringToObject(out, "isolation", kata
		? "Kata Containers: each container in a VM of its own (the "
		  "hypervisor and guest as Kata's configuration.toml sets them)"
		: "NOT Kata: runc containers through containerd's runc shim "
		  "(the kata driver's plumbing, tested where Kata is missing)");
	cJSON_AddStringToObject(out, "containerd", k->own
		? "isobench's own (no CRI, no CNI)"
		: "the host's, used as it is");
	cJSON_AddStringToObject(out, "socket", k->socket);
	cJSON_AddStringToObject(out, "namespace", NAMESPACE);
	cJSON_AddStringToObject(out, "image", k->image);
	cJSON_AddStringToObject(out, "client", "ctr (containerd's CLI), one "
				"command per step: its start is in the phases");
	cJSON_AddStringToObject(out, "lifecycle",
				"ctr containers create (created) / ctr tasks "
				"start in the foreground (output, exit status; "
				"deletes the task before it exits) / ctr "
				"containers delete (torn down)");
	cJSON_AddStringToObject(out, "scratch", "host directory bind-mounted "
				"at /scratch");
	cJSON_AddStringToObject(out, "network", "a namespace of its own, "
				"loopback only (no CNI)");
	cJSON_AddStringToObject(out, "seccomp", "none (ctr's default spec)");
	lim = cJSON_AddObjectToObject(out, "limits");
	cJSON_AddNumberToObject(lim, "cpus", rt->ctx->limits.cpus);
	cJSON_AddStringToObject(lim, "cpus_as", "CFS quota of N CPUs (ctr 1.6 "
				"sets no cpuset)");
	cJSON_AddNumberToObject(lim, "memory_bytes", (double)rt->ctx->limits.memory);
}

/* The containerd cleanup started again for a killed run: kept across
 * that run's records, stopped by its "containerd" record (recorded
 * before everything it served, so removed after). */
static struct ib_containerd revived;

/* The run's own containerd as start_own_containerd made it, derived from
 * the run id and work directory alone. */
static void own_paths(const struct ib_cleanup *cx, struct ib_containerd *d)
{
	char *name = ib_xasprintf("containerd-%s", cx->run_id);

	d->dir = ib_cleanup_rt_path(cx, name);
	d->root = cx->work ? ib_xasprintf("%s/containerd", cx->work) : NULL;
	d->socket = ib_xasprintf("%s/containerd.sock", d->dir);
	d->config = ib_xasprintf("%s/config.toml", d->dir);
	free(name);
}

/* The containerd that serves record res: the run's own (its socket as
 * derived), started again from the config isobench wrote if it does not
 * answer, or the host's (this process's $CONTAINERD_ADDRESS or the
 * default); never a socket or config read from the record, which only
 * says which of the two. NULL with err if none; NULL with err->code 0:
 * the run's own is gone with everything it held. */
static const char *reach(struct ib_cleanup *cx, const char *ctr,
			 const cJSON *res, struct ib_containerd *d,
			 struct ib_err *err)
{
	const char *rec = cJSON_GetStringValue(cJSON_GetObjectItem(res, "socket"));
	struct stat st;

	own_paths(cx, d);
	if (!rec) {
		ib_err_set(err, -EINVAL, "kata record without a socket");
		return NULL;
	}
	if (strcmp(rec, d->socket)) {
		const char *host = default_socket();

		if (strcmp(rec, host)) {
			ib_err_set(err, -EPERM, "recorded on the containerd at "
				   "'%.200s', neither the run's own nor this "
				   "cleanup's (%s; set CONTAINERD_ADDRESS): left "
				   "alone", rec, host);
			return NULL;
		}
		if (cx->dry_run || answers(ctr, host))
			return host;
		ib_err_set(err, -EHOSTDOWN, "no containerd answers at %s: start "
			   "it and run cleanup again", host);
		return NULL;
	}
	if (ib_cleanup_path_ok(cx, d->config, err) < 0)
		return NULL;
	if (!cx->dry_run && answers(ctr, d->socket))
		return d->socket;
	/* the config isobench wrote: a regular file of the caller's that
	 * no one else may write, in the run's own directory */
	if (lstat(d->config, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid() || (st.st_mode & 022)) {
		ib_buf_printf(cx->log, "kata: the run's own containerd is gone "
			      "and its config with it\n");
		return NULL; /* err->code 0: gone */
	}
	if (!ib_cleanup_act_exec(cx, (const char *const[]){
			"containerd", "--config", d->config, NULL}))
		return d->socket;
	if (revived.proc.pid > 0 && !revived.proc.reaped)
		containerd_stop(&revived); /* another run's */
	containerd_free(&revived);
	revived.config = ib_xstrdup(d->config);
	revived.socket = ib_xstrdup(d->socket);
	revived.dir = ib_xstrdup(d->dir);
	if (containerd_start(&revived, ctr, err) < 0)
		return NULL;
	return d->socket;
}

static int kata_cleanup(const struct ib_runtime_ops *ops, struct ib_cleanup *cx,
			const cJSON *res, struct ib_err *err)
{
	const char *kind = cJSON_GetStringValue(cJSON_GetObjectItem(res, "kind"));
	const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(res, "name"));
	char *ctr = ib_which("ctr"), *image = NULL;
	struct ib_containerd d = {0};
	const char *socket;
	int rc = 0;

	(void)ops;
	if (!kind || !name) {
		rc = ib_err_set(err, -EINVAL, "kata record without kind or name");
		goto out;
	}
	if (!strcmp(kind, "containerd")) {
		/* the run's own containerd: what cleanup started again goes,
		 * then its directories (the process record killed the
		 * original, if it outlived the run) */
		if (revived.proc.pid > 0 && !cx->dry_run)
			containerd_stop(&revived);
		containerd_free(&revived);
		own_paths(cx, &d);
		if (ib_cleanup_path_ok(cx, d.dir, err) < 0 ||
		    (d.root && ib_cleanup_path_ok(cx, d.root, err) < 0)) {
			rc = err->code;
			goto out;
		}
		if (ib_cleanup_act(cx, IB_ACT_RMTREE, d.dir, NULL)) {
			ib_unmount_under(d.dir);
			rc |= ib_rmtree(d.dir);
		}
		if (d.root && ib_cleanup_act(cx, IB_ACT_RMTREE, d.root, NULL)) {
			ib_unmount_under(d.root);
			rc |= ib_rmtree(d.root);
		}
		if (rc)
			rc = ib_err_set(err, -EBUSY, "kata: isobench's containerd's "
					"directories could not be removed");
		else if (!cx->dry_run)
			ib_buf_printf(cx->log, "kata: isobench's containerd stopped, "
				      "its directories removed\n");
		goto out;
	}
	image = ib_xasprintf("localhost/isobench-probe:%s", cx->run_id);
	if (!strcmp(kind, "image") ? strcmp(name, image)
				   : !ib_cleanup_name_ok(cx, name)) {
		rc = ib_err_set(err, -EPERM, "kata %s '%.100s': not a name of this "
				"run's: left alone", kind, name);
		goto out;
	}
	if (!ctr) {
		rc = ib_err_set(err, -ENOENT, "kata %s %s: ctr is no longer "
				"installed", kind, name);
		goto out;
	}
	socket = reach(cx, ctr, res, &d, err);
	if (!socket) {
		rc = err->code;
		if (rc == 0)
			ib_buf_printf(cx->log, "kata %s %s: gone with the run's "
				      "containerd\n", kind, name);
		goto out;
	}
	if (!strcmp(kind, "image")) {
		struct ib_buf o = {0};

		if (!ib_cleanup_act_exec(cx, (const char *const[]){
				ctr, "-a", socket, "-n", NAMESPACE, "images",
				"rm", "--sync", name, NULL}))
			goto out;
		rc = ctr_cmd(ctr, socket, (const char *[]){"images", "rm", "--sync",
							   name, NULL},
			     CTR_TIMEOUT_S, &o, err);
		if (rc > 0 && o.s && strstr(o.s, "not found"))
			rc = 0;
		if (rc > 0)
			rc = ib_err_set(err, -EIO, "kata image %s: ctr images rm: "
					"%.300s", name, o.s ? ib_trim(o.s) : "");
		ib_buf_free(&o);
		if (rc == 0)
			ib_buf_printf(cx->log, "kata image %s: removed\n", name);
		goto out;
	}
	if (!ib_cleanup_act_exec(cx, (const char *const[]){
			ctr, "-a", socket, "-n", NAMESPACE, "containers",
			"delete", name, NULL}))
		goto out;
	if (remove_container(ctr, socket, name, cx->log) < 0) {
		rc = ib_err_set(err, -EBUSY, "kata container %s: could not delete "
				"it", name);
		goto out;
	}
	ib_buf_printf(cx->log, "kata container %s: task and container deleted\n",
		      name);
	{
		char *cg = ib_xasprintf("/" NAMESPACE "/%s", name);

		/* a shim that outlived its containerd (the run's own, now
		 * gone) keeps the probe in the cgroup: the run's marked
		 * processes end first, as the marker sweep would later */
		if (ib_cleanup_act(cx, IB_ACT_CGROUP, cg, NULL) &&
		    remove_container_cgroups(name) == -EBUSY &&
		    ib_cleanup_kill_marked(cx) > 0 &&
		    remove_container_cgroups(name) == -EBUSY)
			ib_buf_printf(cx->log, "kata container %s: its cgroup %s "
				      "is still in use\n", name, cg);
		free(cg);
	}
	remove_namespace_dirs();
out:
	containerd_free(&d);
	free(image);
	free(ctr);
	return rc;
}

/* The instance's host processes beyond those with its marker (ctr
 * carries it): the shim containerd started (its -id is the container's
 * name), and for Kata the VM's processes: QEMU is named
 * "sandbox-<id>" (-name), Firecracker gets --id; what the shim starts
 * as its children (virtiofsd, a hypervisor it does not daemonise) are
 * its descendants. */
static int kata_instance_pids(struct ib_runtime *rt, struct ib_launch *l,
			      pid_t *roots, int max)
{
	struct kata_rt *k = rt->priv;
	int n;

	if (!l->priv || max < 1)
		return 0;
	n = ib_fp_find_all(NULL, l->name, 0, roots, max);
	if (!strcmp(k->shim, KATA_SHIM) && n < max) {
		char *vm = ib_xasprintf("sandbox-%s", l->name);

		n += ib_fp_find_all(NULL, vm, 0, roots + n, max - n);
		free(vm);
	}
	return n;
}

/* The process named comm that listens on the Unix socket at path: the
 * inode of its listening socket from /proc/net/unix, then the process
 * holding it. For a containerd whose address is in its config file, not
 * its arguments. 0 if none found (or not permitted to look). */
static pid_t socket_owner(const char *comm, const char *path)
{
	char *text = ib_read_file("/proc/net/unix", NULL, NULL), *save = NULL;
	unsigned long inode = 0;
	DIR *d;
	struct dirent *e;
	pid_t found = 0;

	for (char *line = text ? strtok_r(text, "\n", &save) : NULL;
	     line && !inode; line = strtok_r(NULL, "\n", &save)) {
		/* Num RefCount Protocol Flags Type St Inode Path */
		char p[4096];
		unsigned long flags, ino;

		if (sscanf(line, "%*s %*s %*s %lx %*s %*s %lu %4095s", &flags,
			   &ino, p) == 3 &&
		    (flags & 0x10000) /* __SO_ACCEPTCON: listening */ &&
		    !strcmp(p, path))
			inode = ino;
	}
	free(text);
	if (!inode)
		return 0;
	d = opendir("/proc");
	while (d && !found && (e = readdir(d))) {
		char *end, want[64], *cpath, *c;
		long pid = strtol(e->d_name, &end, 10);
		DIR *fds;
		struct dirent *f;

		if (*end || pid <= 0)
			continue;
		cpath = ib_xasprintf("/proc/%ld/comm", pid);
		c = ib_read_file(cpath, NULL, NULL);
		free(cpath);
		if (!c || strcmp(ib_trim(c), comm)) {
			free(c);
			continue;
		}
		free(c);
		snprintf(want, sizeof(want), "socket:[%lu]", inode);
		cpath = ib_xasprintf("/proc/%ld/fd", pid);
		fds = opendir(cpath);
		while (fds && !found && (f = readdir(fds))) {
			char *link = ib_xasprintf("%s/%s", cpath, f->d_name), t[64];
			ssize_t n = readlink(link, t, sizeof(t) - 1);

			if (n > 0) {
				t[n] = '\0';
				if (!strcmp(t, want))
					found = (pid_t)pid;
			}
			free(link);
		}
		if (fds)
			closedir(fds);
		free(cpath);
	}
	if (d)
		closedir(d);
	return found;
}

/* containerd, which every instance shares. */
static int kata_shared_pids(struct ib_runtime *rt, const char **names,
			    pid_t *pids, int max)
{
	struct kata_rt *k = rt->priv;
	pid_t pid;

	if (max < 1)
		return 0;
	if (k->own) {
		pid = own.d.proc.pid;
	} else {
		/* --address SOCKET, or the address in its config */
		pid = ib_fp_find("containerd", k->socket, 0);
		if (!pid)
			pid = socket_owner("containerd", k->socket);
	}
	if (!pid)
		return 0;
	names[0] = "containerd";
	pids[0] = pid;
	return 1;
}

/* The net workload: `ctr run` gives a container a namespace with loopback
 * only; a link would need CNI plugins and their configuration, which
 * isobench does not set up for containerd. */
static int kata_net_kind(const struct ib_runtime *rt, struct ib_buf *why)
{
	(void)rt;
	ib_buf_puts(why, "the kata driver runs containers through ctr with "
		    "loopback only; linking them to the host needs a CNI "
		    "set-up isobench does not make");
	return IB_NET_UNSUPPORTED;
}

const struct ib_runtime_ops ib_runtime_kata = {
	.name = "kata",
	.family = "VM-backed container",
	.summary = "containerd's ctr with Kata's shim (option shim: runc's, "
		   "to test the plumbing)",
	.available = kata_available,
	.available_spec = kata_available_spec,
	.net_kind = kata_net_kind,
	.prepare = kata_prepare,
	.launch = kata_launch,
	.wait = kata_wait,
	.teardown = kata_teardown,
	.describe = kata_describe,
	.release = kata_release,
	.cleanup = kata_cleanup,
	.stop = kata_stop,
	.instance_pids = kata_instance_pids,
	.shared_pids = kata_shared_pids,
	.options = kata_options,
	.noptions = (int)IB_ARRAY_LEN(kata_options),
};
