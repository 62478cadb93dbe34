#include "runtime/drivers/oci_cli.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "base/footprint.h"
#include "net/net_link.h"
#include "runtime/drivers/oci.h"
#include "state/state.h"

#define CMD_TIMEOUT_S 60   /* create, start, delete, kill */
#define TRIAL_TIMEOUT_S 20 /* prepare's trial container, start to end */

/* Per runtime in a run (rt->priv). */
struct oci_rt {
	char *binary;   /* absolute path */
	char *version;  /* first line of --version */
	char *probe;    /* the run's copy of the probe, on the work fs */
	char *bundles;  /* directory of the bundles */
	char *root;            /* the runtime's --root: <runtime dir>/oci-<run
				  id>/<program> */
	struct ib_strv global; /* arguments before every command */
	struct ib_strv net_global; /* the same for net launches, if set */
};

/* Per launch (l->priv). */
struct oci_launch {
	char *bundle;
	char *cgroup; /* its cgroupsPath */
	int exited;   /* wait saw the probe's exit */
	int stopping; /* stop() sent it SIGTERM */
	const struct ib_strv *global; /* the arguments it was made with */
	const char *netns;  /* the net link's namespace, where every command
			       of the container runs, or NULL */
};

/* pre_exec of a command that must run in the link's network namespace
 * (runsc in host-network mode uses the namespace it is started in; runc
 * and crun join the config's path either way). */
struct netns_exec {
	const char *path;
	int (*then)(void *arg);
};

static int enter_netns_then(void *arg)
{
	const struct netns_exec *x = arg;
	int fd = open(x->path, O_RDONLY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return errno;
	if (setns(fd, CLONE_NEWNET) != 0)
		rc = errno;
	close(fd);
	return rc ? rc : x->then ? x->then(NULL) : 0;
}

static const struct ib_oci_cli *cli_of(const struct ib_runtime_ops *ops)
{
	return ops->cfg;
}

int ib_cgroup_hybrid_with_v2_controllers(void)
{
	struct statfs root, unified;
	char *ctl;
	int yes;

	if (statfs("/sys/fs/cgroup", &root) != 0 ||
	    statfs("/sys/fs/cgroup/unified", &unified) != 0)
		return 0;
	if (root.f_type == 0x63677270) /* CGROUP2_SUPER_MAGIC: pure v2 */
		return 0;
	if (unified.f_type != 0x63677270)
		return 0;
	ctl = ib_read_file("/sys/fs/cgroup/unified/cgroup.controllers", NULL,
			   NULL);
	yes = ctl && *ib_trim(ctl);
	free(ctl);
	return yes;
}

int ib_oci_cli_available(const struct ib_oci_cli *cli, struct ib_buf *why,
			 struct ib_buf *fix)
{
	char *bin = ib_which(cli->program);

	if (!bin) {
		ib_buf_printf(why, "%s is not installed", cli->program);
		ib_buf_printf(fix, "apt-get install -y %s", cli->package);
		return 0;
	}
	free(bin);
	if (geteuid() != 0) {
		ib_buf_printf(why, "%s needs root here (isobench does not run "
			      "rootless containers)", cli->program);
		ib_buf_printf(fix, "run isobench as root");
		return 0;
	}
	return 1;
}

/* Runs `binary GLOBAL... ARGS...` (with the driver's pre-exec) to
 * completion, within timeout_s; output into out if not NULL. Returns the
 * exit status or < 0. */
static int run_cmd_ns(const struct ib_oci_cli *cli, const char *binary,
		      const struct ib_strv *global, const char *const *args,
		      double timeout_s, const char *netns_path,
		      struct ib_buf *out, struct ib_err *err)
{
	struct ib_strv argv = {0};
	struct ib_buf sink = {0};
	struct ib_spawn_opts o = {.flags = IB_PROC_DIE_WITH_PARENT,
				  .pre_exec = cli->pre_exec};
	struct netns_exec nx = {netns_path, cli->pre_exec};
	int rc;

	if (netns_path) {
		o.pre_exec = enter_netns_then;
		o.pre_exec_arg = &nx;
	}

	ib_strv_push(&argv, binary);
	for (int i = 0; global && i < global->n; i++)
		ib_strv_push(&argv, global->v[i]);
	for (; *args; args++)
		ib_strv_push(&argv, *args);
	rc = ib_proc_capture_opts(argv.v, &o, timeout_s, NULL,
				  out ? out : &sink, err);
	ib_strv_free(&argv);
	ib_buf_free(&sink);
	return rc;
}

static int run_cmd_t(const struct ib_oci_cli *cli, const char *binary,
		     const struct ib_strv *global, const char *const *args,
		     double timeout_s, struct ib_buf *out, struct ib_err *err)
{
	return run_cmd_ns(cli, binary, global, args, timeout_s, NULL, out,
			  err);
}

static int run_cmd(const struct ib_oci_cli *cli, const char *binary,
		   const struct ib_strv *global, const char *const *args,
		   struct ib_buf *out, struct ib_err *err)
{
	return run_cmd_t(cli, binary, global, args, CMD_TIMEOUT_S, out, err);
}

static int remove_container(const struct ib_oci_cli *cli, const char *binary,
			    const struct ib_strv *global, const char *netns,
			    const char *id, const char *bundle,
			    const char *cgroup, int parents, int running,
			    struct ib_buf *log);
static cJSON *container_record(const struct ib_runtime *rt, const char *name,
			       const char *bundle, const char *cgroup,
			       const struct ib_strv *global, const char *netns);
static void prepare_cpuset_parent(const char *cgroup);
static char *cgroup_path(const struct ib_runtime *rt, const char *name);

/* A container that only prints the probe's version, run to completion
 * within TRIAL_TIMEOUT_S: what this host can and cannot run shows here,
 * once per run, instead of in every cell. */
static int trial(struct ib_runtime *rt, const struct ib_strv *global,
		 const char *netns_path, struct ib_err *err)
{
	const struct ib_oci_cli *cli = cli_of(rt->ops);
	struct oci_rt *o = rt->priv;
	char *name = ib_xasprintf("isobench-%s-trial-%s%s", rt->ctx->run_id,
				  rt->ops->name, netns_path ? "-net" : "");
	char *bundle = ib_xasprintf("%s/%s", o->bundles, name);
	char *cgroup = cgroup_path(rt, name);
	char *argv[] = {"--version", NULL};
	char *cpus = ib_cpuset_list(rt);
	struct ib_buf out = {0};
	int rc;

	rc = ib_state_add(rt->ctx->state,
			  container_record(rt, name, bundle, cgroup, global,
					   netns_path),
			  err);
	if (rc == 0)
		rc = ib_oci_bundle_create(&(struct ib_oci_bundle){
			.dir = bundle, .probe = o->probe,
			.scratch = rt->ctx->scratch, .probe_argv = argv,
			.run_id = rt->ctx->run_id, .cgroups_path = cgroup,
			.netns_path = netns_path, .cpuset = cpus,
			.limits = rt->ctx->limits}, err);
	if (rc == 0) {
		ib_proc_subreaper(0); /* `run` waits for its container itself */
		prepare_cpuset_parent(cgroup);
		rc = run_cmd_ns(cli, o->binary, global,
				(const char *[]){"run", "--bundle", bundle, name,
						 NULL},
				TRIAL_TIMEOUT_S, netns_path, &out, err);
		if (rc == -ETIMEDOUT)
			ib_err_set(err, rc, "a trial container did not finish "
				   "within %d s (%s)", TRIAL_TIMEOUT_S,
				   out.s ? ib_trim(out.s) : "no output");
		else if (rc > 0 || (rc == 0 && !(out.s && strstr(out.s,
							     "isobench-probe"))))
			rc = ib_err_set(err, -EIO, "a trial container failed "
					"(exit status %d): %.300s", rc,
					out.s ? ib_trim(out.s) : "no output");
	}
	if (remove_container(cli, o->binary, global, netns_path, name, bundle,
			     cgroup, 0, 1, NULL) == 0)
		ib_state_del(rt->ctx->state, name, NULL);
	ib_proc_reap_strays();
	ib_buf_free(&out);
	free(name);
	free(bundle);
	free(cgroup);
	free(cpus);
	return rc < 0 ? rc : 0;
}

/* <runtime dir>/oci-<run id>/<program>: made (the run's entry recorded
 * in its state first, once per run) and returned in *out (owned by o). */
static int state_root(struct ib_runtime *rt, char **out, struct ib_err *err)
{
	const struct ib_oci_cli *cli = cli_of(rt->ops);
	char *rtdir = ib_runtime_dir(err), *entry;
	struct stat st;
	int rc = 0;

	*out = NULL;
	if (!rtdir)
		return err->code ? err->code : -EIO;
	entry = ib_xasprintf("%s/oci-%s", rtdir, rt->ctx->run_id);
	free(rtdir);
	if (lstat(entry, &st) != 0) {
		if ((rc = ib_state_add_dir(rt->ctx->state, "oci-root", entry,
					   err)) < 0 ||
		    (rc = ib_mkdir_private(entry, 0700, 1, err)) < 0) {
			free(entry);
			return rc;
		}
	} else if (ib_dir_check_private(entry, err) < 0) {
		free(entry);
		return err->code;
	}
	*out = ib_xasprintf("%s/%s", entry, cli->program);
	free(entry);
	if (mkdir(*out, 0700) != 0 && errno != EEXIST)
		return ib_err_set(err, -errno, "%s: %s", *out, strerror(errno));
	return ib_dir_check_private(*out, err);
}

int ib_oci_cli_prepare(struct ib_runtime *rt, struct ib_err *err)
{
	const struct ib_oci_cli *cli = cli_of(rt->ops);
	struct oci_rt *o = ib_xcalloc(1, sizeof(*o));
	struct ib_buf out = {0};
	char *copy;
	int rc;

	rt->priv = o;
	o->binary = ib_which(cli->program);
	if (!o->binary)
		return ib_err_set(err, -ENOENT, "%s not found", cli->program);
	/* a cpuset naming a CPU this host lacks fails this column, here,
	 * rather than each launch at create */
	if ((rc = ib_cpuset_usable(rt, err)) < 0)
		return rc;
	/* The runtime's state (--root) in the run's own entry of isobench's
	 * runtime directory, not its default /run/<program>, which would
	 * outlive the run: made and recorded here, removed at release or
	 * by cleanup, which derives the same path from the run id. */
	if ((rc = state_root(rt, &o->root, err)) < 0)
		return rc;
	ib_strv_push(&o->global, "--root");
	ib_strv_push(&o->global, o->root);
	if (cli->global_args)
		cli->global_args(rt, &o->global);
	/* with its --root: crun makes its default root (/run/crun) at
	 * start, even for --version */
	rc = run_cmd(cli, o->binary, &o->global, (const char *[]){"--version", NULL},
		     &out, err);
	if (rc != 0) {
		ib_buf_free(&out);
		return rc < 0 ? rc : ib_err_set(err, -EIO, "%s --version: exit "
						"status %d", o->binary, rc);
	}
	out.s[strcspn(out.s, "\n")] = '\0';
	o->version = ib_xstrdup(out.s);
	ib_buf_free(&out);
	/* One copy of the probe per run, on the bundles' filesystem, that
	 * every rootfs hard-links: a launch copies nothing. */
	o->bundles = ib_xasprintf("%s/bundles", rt->ctx->work);
	if (ib_mkdirs(o->bundles, 0700, err) < 0)
		return err->code;
	o->probe = ib_xasprintf("%s/isobench-probe", o->bundles);
	/* Always copied (each runtime's prepare): whatever is at that path
	 * already, a file or a symlink, is replaced, never trusted. Bundles
	 * made before keep the inode they link. */
	{
		size_t len;

		copy = ib_read_file(rt->ctx->probe_path, &len, err);
		if (!copy)
			return err->code;
		rc = ib_write_file_atomic_mode(o->probe, copy, len, 0555, err);
		free(copy);
		if (rc < 0)
			return rc;
	}
	return cli->trial ? trial(rt, &o->global, NULL, err) : 0;
}

/* Reads what a failed create left in the pipe, for its error message. */
static void drain(int fd, struct ib_buf *b)
{
	char buf[4096];
	ssize_t n;

	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	while (b->len < 16384 && (n = read(fd, buf, sizeof(buf))) > 0)
		ib_buf_put(b, buf, (size_t)n);
}

/* The state record of a container, made before it exists: cleanup
 * rebuilds the runtime's global arguments from the runtime's own options
 * (these only show which) and its --root from the run id. */
static cJSON *container_record(const struct ib_runtime *rt, const char *name,
			       const char *bundle, const char *cgroup,
			       const struct ib_strv *global, const char *netns)
{
	cJSON *res = cJSON_CreateObject(), *args;

	cJSON_AddStringToObject(res, "kind", "container");
	cJSON_AddStringToObject(res, "runtime", rt->ops->name);
	cJSON_AddStringToObject(res, "name", name);
	cJSON_AddStringToObject(res, "bundle", bundle);
	cJSON_AddStringToObject(res, "cgroup", cgroup);
	if (netns) /* runsc's commands run in it (abstract sockets) */
		cJSON_AddStringToObject(res, "netns", netns);
	args = cJSON_AddArrayToObject(res, "args");
	for (int i = 0; i < global->n; i++) {
		/* --root is derived again from the run id, never replayed */
		if (!strcmp(global->v[i], "--root") && i + 1 < global->n) {
			i++;
			continue;
		}
		cJSON_AddItemToArray(args, cJSON_CreateString(global->v[i]));
	}
	return res;
}

/* The runtime's "lifecycle" option (runc, crun): "run" or the default
 * "create" (create, start, delete). */
static int lifecycle_run(const struct ib_runtime *rt)
{
	const char *v = ib_runtime_opt(rt, "lifecycle");

	return v && !strcmp(v, "run");
}

/* runc's default lifecycle: `create` (timed: l->t_created_ns), the
 * container's init adopted (isobench is the subreaper of what create
 * leaves: the init, under runsc its sandbox and gofer), then `start`
 * (l->t_started_ns). argv holds the runtime and its global arguments. */
static int create_and_start(struct ib_runtime *rt, struct ib_launch *l,
			    struct ib_strv *argv, const struct ib_spawn_opts *so,
			    const char *pidfile, const char *cgroup,
			    struct ib_err *err)
{
	const struct ib_oci_cli *cli = cli_of(rt->ops);
	struct oci_rt *o = rt->priv;
	struct oci_launch *ol = l->priv;
	struct ib_proc create;
	struct ib_buf out = {0};
	char *pid;
	int rc;

	ib_strv_push(argv, "create");
	ib_strv_push(argv, "--bundle");
	ib_strv_push(argv, ol->bundle);
	ib_strv_push(argv, "--pid-file");
	ib_strv_push(argv, pidfile);
	ib_strv_push(argv, l->name);
	/* isobench is the subreaper of what create leaves: the container's
	 * init (runsc: its sandbox, which exits with the container's status,
	 * and its gofer) become its children, to wait for and reap. */
	ib_proc_subreaper(1);
	prepare_cpuset_parent(cgroup);
	l->t_launch_ns = ib_mono_ns();
	rc = ib_proc_start(&create, argv->v, so, err);
	if (rc < 0)
		goto out;
	l->out_fd = create.out_fd; /* the container's init keeps it open */
	if (ib_proc_wait(&create, ib_mono_ns() + CMD_TIMEOUT_S * 1000000000ULL) < 0) {
		ib_proc_kill(&create);
		rc = ib_err_set(err, -ETIMEDOUT, "%s create: no exit within %d s",
				rt->ops->name, CMD_TIMEOUT_S);
		goto out;
	}
	if (create.exit_code != 0) {
		drain(l->out_fd, &out);
		rc = ib_err_set(err, -EIO, "%s create: exit status %d: %s",
				rt->ops->name, create.exit_code,
				out.s ? ib_trim(out.s) : "");
		goto out;
	}
	l->t_created_ns = ib_mono_ns();
	pid = ib_read_file(pidfile, NULL, err);
	if (!pid) {
		rc = err->code;
		goto out;
	}
	/* isobench is the subreaper: the init is its child now */
	ib_proc_adopt(&l->proc, (pid_t)atoi(pid));
	free(pid);
	rc = run_cmd_ns(cli, o->binary, ol->global,
			(const char *[]){"start", l->name, NULL}, CMD_TIMEOUT_S,
			ol->netns, &out, err);
	if (rc != 0) {
		if (rc > 0)
			rc = ib_err_set(err, -EIO, "%s start: exit status %d: %s",
					rt->ops->name, rc,
					out.s ? ib_trim(out.s) : "");
		goto out;
	}
	l->t_started_ns = ib_mono_ns();
out:
	ib_buf_free(&out);
	return rc;
}

int ib_oci_cli_launch(struct ib_runtime *rt, struct ib_launch *l,
		      struct ib_err *err)
{
	const struct ib_oci_cli *cli = cli_of(rt->ops);
	struct oci_rt *o = rt->priv;
	struct oci_launch *ol = ib_xcalloc(1, sizeof(*ol));
	struct ib_strv pargv = {0}, argv = {0};
	char *cpus;
	/* the container (runsc: its sandbox and gofer) outlives create */
	struct ib_spawn_opts so = {.flags = IB_PROC_DIE_WITH_PARENT |
					    IB_PROC_KEEP_GROUP,
				   .pre_exec = cli->pre_exec};
	char *pidfile, *cgroup = cgroup_path(rt, l->name);
	const char *netns = l->net ? l->net->netns_path : NULL;
	struct netns_exec nx = {netns, cli->pre_exec};
	cJSON *res;
	int rc;

	l->priv = ol;
	ol->global = l->net && o->net_global.n ? &o->net_global : &o->global;
	ol->netns = netns;
	if (netns) {
		so.pre_exec = enter_netns_then;
		so.pre_exec_arg = &nx;
	}
	ol->bundle = ib_xasprintf("%s/%s", o->bundles, l->name);
	ol->cgroup = ib_xstrdup(cgroup);
	pidfile = ib_xasprintf("%s/init.pid", ol->bundle);
	/* Recorded before it exists: cleanup deletes it by id. */
	res = container_record(rt, l->name, ol->bundle, cgroup, ol->global,
			       netns);
	rc = ib_state_add(rt->ctx->state, res, err);
	if (rc < 0)
		goto out;

	ib_strv_push(&pargv, "--scratch");
	ib_strv_push(&pargv, l->scratch_rootfs ? IB_OCI_ROOTFS_SCRATCH
					       : IB_OCI_SCRATCH);
	for (char **a = l->probe_argv; *a; a++)
		ib_strv_push(&pargv, *a);
	cpus = ib_cpuset_list(rt);
	rc = ib_oci_bundle_create(&(struct ib_oci_bundle){
		.dir = ol->bundle, .probe = o->probe, .scratch = rt->ctx->scratch,
		.probe_argv = pargv.v, .run_id = rt->ctx->run_id,
		.launch = l->name, .cgroups_path = cgroup,
		.netns_path = netns, .app_root = l->app_root,
		.app_tmpfs = l->app_tmpfs, .cpuset = cpus,
		.limits = rt->ctx->limits}, err);
	free(cpus);
	if (rc < 0)
		goto out;

	ib_strv_push(&argv, o->binary);
	for (int i = 0; i < ol->global->n; i++)
		ib_strv_push(&argv, ol->global->v[i]);
	if (lifecycle_run(rt)) {
		/* One `runc run`, in the foreground: the runtime stays the
		 * container's parent and exits with its status; no separate
		 * create and start phases. */
		struct ib_spawn_opts ro = {.flags = IB_PROC_DIE_WITH_PARENT,
					   .pre_exec = so.pre_exec,
					   .pre_exec_arg = so.pre_exec_arg};

		ib_strv_push(&argv, "run");
		ib_strv_push(&argv, "--bundle");
		ib_strv_push(&argv, ol->bundle);
		ib_strv_push(&argv, l->name);
		prepare_cpuset_parent(cgroup);
		l->t_launch_ns = ib_mono_ns();
		rc = ib_proc_start(&l->proc, argv.v, &ro, err);
		if (rc == 0)
			l->out_fd = l->proc.out_fd;
		goto out;
	}
	rc = create_and_start(rt, l, &argv, &so, pidfile, cgroup, err);
out:
	ib_strv_free(&argv);
	ib_strv_free(&pargv);
	free(pidfile);
	free(cgroup);
	return rc < 0 ? rc : 0;
}

int ib_oci_cli_wait(struct ib_runtime *rt, struct ib_launch *l,
		    uint64_t deadline_ns)
{
	int rc = ib_proc_wait(&l->proc, deadline_ns);

	(void)rt;
	if (rc == 0) {
		l->exit_code = l->proc.exit_code;
		l->term_signal = l->proc.term_signal;
		l->t_exited_ns = ib_mono_ns();
		((struct oci_launch *)l->priv)->exited = 1;
	}
	return rc;
}

/* A container's cgroup (its bundle's cgroupsPath): /isobench/<run id>/
 * <name>, under a parent of the run's own. With one parent shared by all
 * runs, a run's teardown could remove it (empty) just as another run was
 * about to create a container under it, and runsc does not make a cpuset
 * parent again; a run's own parent is removed by no one else, and
 * /isobench cannot go while any run's parent is in it. */
static char *cgroup_path(const struct ib_runtime *rt, const char *name)
{
	return ib_xasprintf("/isobench/%s/%s", rt->ctx->run_id, name);
}

/* Copies cpuset.cpus and .mems from parent dir to dir where dir's are
 * empty. Returns 0, or -errno (ENOENT: the directory went away). */
static int fill_cpuset(const char *parent, const char *dir)
{
	static const char *const files[] = {"cpuset.cpus", "cpuset.mems", NULL};
	int rc = 0;

	for (const char *const *f = files; *f && rc == 0; f++) {
		char *from = ib_xasprintf("%s/%s", parent, *f);
		char *to = ib_xasprintf("%s/%s", dir, *f);
		char *have = ib_read_file(to, NULL, NULL);

		if (!have) {
			rc = -ENOENT;
		} else if (!*ib_trim(have)) {
			char *want = ib_read_file(from, NULL, NULL);
			int fd = open(to, O_WRONLY | O_CLOEXEC);

			if (fd < 0 || !want || write(fd, want, strlen(want)) < 0)
				rc = -(errno ? errno : EIO);
			if (fd >= 0)
				close(fd);
			free(want);
		}
		free(have);
		free(from);
		free(to);
	}
	return rc;
}

/* cgroup v1's cpuset: a new cgroup starts with no CPUs and no memory
 * nodes, and a child cannot be given any its parent lacks. runc fills the
 * parents in; runsc 20221219 does not ("write .../cpuset.cpus: permission
 * denied"). So the parents of cgroup are made and filled, top down, before
 * a container is created in it; tried again if another run removed
 * /isobench between two steps. */
static void prepare_cpuset_parent(const char *cgroup)
{
	const char *base = "/sys/fs/cgroup/cpuset";

	if (access("/sys/fs/cgroup/cpuset/cpuset.cpus", F_OK) != 0)
		return; /* no v1 cpuset hierarchy */
	for (int attempt = 0; attempt < 5; attempt++) {
		char *path = ib_xstrdup(cgroup), *slash = path;
		char *parent = ib_xstrdup(base);
		int rc = 0;

		/* every component but the last (the container's own) */
		while (rc == 0 && (slash = strchr(slash + 1, '/'))) {
			char *dir;

			*slash = '\0';
			dir = ib_xasprintf("%s%s", base, path);
			*slash = '/';
			if (mkdir(dir, 0755) != 0 && errno != EEXIST)
				rc = -errno;
			else
				rc = fill_cpuset(parent, dir);
			free(parent);
			parent = dir;
		}
		free(parent);
		free(path);
		if (rc != -ENOENT)
			return; /* done, or runsc will say what is wrong */
	}
}

/* rmdir, retried while the cgroup is busy: the last of an instance's
 * processes (runsc's gofer) may still be exiting, or a zombie of ours. */
static void rmdir_busy(const char *path)
{
	for (int i = 0; i < 200; i++) {
		struct timespec nap = {0, 5000000};

		if (rmdir(path) == 0 || errno != EBUSY)
			return;
		ib_proc_reap_strays();
		nanosleep(&nap, NULL);
	}
}

/* Removes what is left of cgroup (a cgroupsPath: /isobench/<run>/<name>)
 * in every hierarchy, and with parents, its parents where empty: runtimes
 * normally remove their container's own, but not after every failure (a
 * sandbox that died early). A cgroup that still holds a process stays.
 * The run's parent stays while the run goes on: made again for every
 * launch, it would be a second cgroup made inside the measured phases. */
void ib_oci_remove_cgroups(const char *cgroup, int parents)
{
	DIR *d = opendir("/sys/fs/cgroup");
	struct dirent *e;
	struct ib_strv roots = {0};

	if (strncmp(cgroup, "/isobench/", 10) != 0)
		return; /* never anything that is not ours */
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.')
			ib_strv_push_owned(&roots, ib_xasprintf("/sys/fs/cgroup/%s",
								e->d_name));
	if (d)
		closedir(d);
	ib_strv_push(&roots, "/sys/fs/cgroup"); /* a pure cgroup v2 host */
	for (int i = 0; i < roots.n; i++) {
		char *path = ib_xstrdup(cgroup), *slash;
		char *own = ib_xasprintf("%s%s", roots.v[i], path);

		rmdir_busy(own);
		free(own);
		while (parents && (slash = strrchr(path, '/')) && slash != path) {
			char *dir;

			*slash = '\0';
			dir = ib_xasprintf("%s%s", roots.v[i], path);
			rmdir(dir); /* fails while not empty: fine */
			free(dir);
		}
		free(path);
	}
	ib_strv_free(&roots);
}

/* Kills and deletes container id, removes bundle: teardown and cleanup.
 * Returns 0 when nothing of it is left. */
static int remove_container(const struct ib_oci_cli *cli, const char *binary,
			    const struct ib_strv *global, const char *netns,
			    const char *id, const char *bundle,
			    const char *cgroup, int parents, int running,
			    struct ib_buf *log)
{
	struct ib_buf out = {0};
	struct ib_err e = {0};
	int rc;

	/* Only what may still run is killed: runsc's kill of a sandbox
	 * that is gone waits 5 s for it before it gives up. And what exited
	 * is reaped first: runsc's delete waits (5 s at most) for a gofer
	 * that is still a zombie of ours. */
	ib_proc_reap_strays_wait(1000);
	if (running)
		run_cmd_ns(cli, binary, global,
			   (const char *[]){"kill", id, "KILL", NULL},
			   CMD_TIMEOUT_S, netns, NULL, NULL);
	rc = run_cmd_ns(cli, binary, global,
			(const char *[]){"delete", "--force", id, NULL},
			CMD_TIMEOUT_S, netns, &out, &e);
	if (rc != 0 && out.s && strstr(out.s, "does not exist"))
		rc = 0; /* never created, or already deleted */
	if (rc != 0 && log)
		ib_buf_printf(log, "%s delete %s: %s\n", cli->program, id,
			      rc < 0 ? e.msg : (out.s ? ib_trim(out.s) : "?"));
	ib_buf_free(&out);
	if (bundle && strstr(bundle, "isobench"))
		ib_rmtree(bundle);
	if (cgroup)
		ib_oci_remove_cgroups(cgroup, parents);
	return rc == 0 ? 0 : -EBUSY;
}

void ib_oci_cli_teardown(struct ib_runtime *rt, struct ib_launch *l)
{
	const struct ib_oci_cli *cli = cli_of(rt->ops);
	struct oci_rt *o = rt->priv;
	struct oci_launch *ol = l->priv;

	if (!ol)
		return;
	/* A probe asked to end (stop(): the footprint benchmark's holders,
	 * whose hold SIGTERM ends) is given 3 s to exit as usual. A forced
	 * delete would work too, but runsc's waits 5 s for a sandbox that is
	 * a zombie of ours. Anything else still running is killed. */
	if (ol->stopping && !ol->exited && l->proc.pid > 0 &&
	    !l->proc.reaped &&
	    ib_proc_wait(&l->proc, ib_mono_ns() + 3000000000ULL) == 0)
		ol->exited = 1;
	if (lifecycle_run(rt) && ol->exited && l->proc.exit_code >= 0 &&
	    !l->proc.term_signal) {
		/* `run` exited by itself: it deleted the container; what is
		 * left is its bundle (and, should it linger, its cgroup) */
		ib_rmtree(ol->bundle);
		ib_oci_remove_cgroups(ol->cgroup, 0);
		ib_state_del(rt->ctx->state, l->name, NULL);
	} else if (remove_container(cli, o->binary, ol->global, ol->netns,
				    l->name, ol->bundle, ol->cgroup, 0,
				    !ol->exited,
				    NULL) == 0) {
		ib_state_del(rt->ctx->state, l->name, NULL);
	}
	/* delete killed the init if it still ran; reap it */
	ib_proc_kill(&l->proc);
	if (l->out_fd >= 0)
		close(l->out_fd);
	l->out_fd = -1;
	ib_proc_reap_strays();
	free(ol->bundle);
	free(ol->cgroup);
	free(ol);
	l->priv = NULL;
}

void ib_oci_cli_stop(struct ib_runtime *rt, struct ib_launch *l)
{
	const struct ib_oci_cli *cli = cli_of(rt->ops);
	struct oci_rt *o = rt->priv;
	struct oci_launch *ol = l->priv;

	if (!ol || ol->exited || l->proc.pid <= 0 || l->proc.reaped)
		return;
	run_cmd_ns(cli, o->binary, ol->global,
		   (const char *[]){"kill", l->name, "TERM", NULL}, CMD_TIMEOUT_S,
		   ol->netns, NULL, NULL);
	ol->stopping = 1;
}

int ib_oci_cli_instance_pids(struct ib_runtime *rt, struct ib_launch *l,
			     pid_t *roots, int max)
{
	struct oci_launch *ol = l->priv;
	int n = 0;

	(void)rt;
	if (!ol || max < 1)
		return 0;
	/* the container's init (runsc: its sandbox) */
	if (l->proc.pid > 0 && !l->proc.reaped)
		roots[n++] = l->proc.pid;
	/* runsc's sandbox and gofer name the bundle in their arguments (and
	 * start with an environment of their own, without the marker) */
	n += ib_fp_find_all(NULL, ol->bundle, 0, roots + n, max - n);
	return n;
}

void ib_oci_cli_describe(struct ib_runtime *rt, cJSON *out)
{
	const struct ib_oci_cli *cli = cli_of(rt->ops);
	struct oci_rt *o = rt->priv;
	cJSON *lim;

	cJSON_AddStringToObject(out, "version", o->version);
	cJSON_AddStringToObject(out, "binary", o->binary);
	cJSON_AddStringToObject(out, "lifecycle",
				lifecycle_run(rt)
				? "run (one foreground `run` command, the "
				  "container's parent; then delete if anything "
				  "is left)"
				: "create / start / delete (the init, or runsc's "
				  "sandbox, waited for as isobench's child: "
				  "subreaper)");
	cJSON_AddStringToObject(out, "rootfs",
				"directory per launch: the static probe (hard "
				"link); writable");
	cJSON_AddStringToObject(out, "scratch", "host directory bind-mounted "
				"at /scratch");
	cJSON_AddStringToObject(out, "namespaces",
				"pid, network (loopback only; the net "
				"workload: its link's namespace), ipc, uts, "
				"mount");
	cJSON_AddStringToObject(out, "seccomp", "none (no profile in the spec)");
	cJSON_AddStringToObject(out, "cgroups",
				ib_cgroup_hybrid_with_v2_controllers()
					? "v1 (hybrid host: v2 at "
					  "/sys/fs/cgroup/unified)"
					: "as the host has them");
	lim = cJSON_AddObjectToObject(out, "limits");
	cJSON_AddNumberToObject(lim, "cpus", rt->ctx->limits.cpus);
	cJSON_AddNumberToObject(lim, "memory_bytes", (double)rt->ctx->limits.memory);
	if (cli->pre_exec_note)
		cJSON_AddStringToObject(out, "workaround", cli->pre_exec_note);
}

void ib_oci_cli_release(struct ib_runtime *rt)
{
	struct oci_rt *o = rt->priv;

	if (!o)
		return;
	{
		/* the run's cgroup parent, and /isobench if no other run's
		 * parent is in it */
		char *mine = cgroup_path(rt, "none");

		ib_oci_remove_cgroups(mine, 1);
		free(mine);
	}
	if (o->root) {
		/* this runtime's state root; the run's oci-<id> entry when
		 * the last of its OCI runtimes lets go (it is empty then) */
		char *entry = ib_xstrdup(o->root), *slash = strrchr(entry, '/');

		ib_rmtree(o->root);
		if (slash) {
			*slash = '\0';
			if (rmdir(entry) == 0)
				ib_state_del(rt->ctx->state, "oci-root", NULL);
		}
		free(entry);
		free(o->root);
	}
	free(o->binary);
	free(o->version);
	free(o->probe);
	free(o->bundles);
	ib_strv_free(&o->global);
	ib_strv_free(&o->net_global);
	free(o);
	rt->priv = NULL;
}

int ib_oci_cli_net_kind(const struct ib_runtime *rt, struct ib_buf *why)
{
	(void)rt;
	(void)why;
	return IB_NET_NETNS;
}

/* The global arguments of a net launch in network mode: the same state
 * root as every other command of the runtime's, then the mode's. */
static void net_global(struct ib_runtime *rt, const char *mode)
{
	const struct ib_oci_cli *cli = cli_of(rt->ops);
	struct oci_rt *o = rt->priv;

	ib_strv_free(&o->net_global);
	ib_strv_push(&o->net_global, "--root");
	ib_strv_push(&o->net_global, o->root);
	cli->net_args(rt, mode, &o->net_global);
}

int ib_oci_cli_net_setup(struct ib_runtime *rt, struct ib_net *net,
			 struct ib_err *err)
{
	const struct ib_oci_cli *cli = cli_of(rt->ops);
	struct oci_rt *o = rt->priv;
	const char *mode = ib_runtime_opt(rt, "netmode");
	struct ib_err e = {0};

	if (!cli->net_args || !mode)
		return 0;
	if (strcmp(mode, "auto") != 0) {
		net_global(rt, mode);
		net->mode = ib_xasprintf("%s (as asked)", mode);
		return 0;
	}
	/* auto: the runtime's own network stack where it works here */
	net_global(rt, "sandbox");
	if (trial(rt, &o->net_global, net->netns_path, &e) == 0) {
		net->mode = ib_xstrdup("sandbox (auto: a trial container with "
				       "it worked)");
		return 0;
	}
	net_global(rt, "host");
	net->mode = ib_xasprintf("host (auto: sandbox failed here: %.400s)",
				 e.msg);
	(void)err;
	return 0;
}

/* The runtime's global arguments for cleanup, rebuilt, never replayed:
 * its state root, derived from the run id; then its own options: runc
 * and crun take none; runsc takes its --platform and --network, each
 * only as one of the option's choices (a recorded "--root" or "--log
 * FILE" is dropped, and said). */
static void cleanup_global(const struct ib_runtime_ops *ops,
			   const struct ib_oci_cli *cli,
			   const struct ib_cleanup *cx, const cJSON *res,
			   struct ib_strv *global)
{
	struct ib_buf *log = cx->log;
	const cJSON *a;

	/* the state root the driver gives it (state_root), derived from the
	 * run id; a run from before there was one used the default */
	{
		char *entry = ib_xasprintf("oci-%s", cx->run_id);
		char *rt_entry = ib_cleanup_rt_path(cx, entry);
		char *root = ib_xasprintf("%s/%s", rt_entry, cli->program);
		struct stat st;

		if (lstat(root, &st) == 0 && S_ISDIR(st.st_mode) &&
		    ib_cleanup_path_ok(cx, root, NULL) == 0) {
			ib_strv_push(global, "--root");
			ib_strv_push(global, root);
		}
		free(root);
		free(rt_entry);
		free(entry);
	}

	cJSON_ArrayForEach(a, cJSON_GetObjectItem(res, "args")) {
		const char *v = cJSON_GetStringValue(a), *eq;
		int ok = 0;

		eq = v ? strchr(v, '=') : NULL;
		for (int i = 0; eq && (cli->global_args || cli->net_args) &&
				i < ops->noptions && !ok; i++) {
			const struct ib_rt_option *opt = &ops->options[i];
			/* netmode's choices are passed as --network */
			const char *flag = !strcmp(opt->name, "netmode")
						   ? "network" : opt->name;
			struct ib_strv ch = {0};
			char *c;

			if (!opt->choices ||
			    (strcmp(flag, "platform") && strcmp(flag, "network")))
				continue;
			c = ib_xstrdup(opt->choices);
			for (char *t = strtok(c, ","); t; t = strtok(NULL, ","))
				ib_strv_push(&ch, t);
			free(c);
			ok = !strncmp(v, "--", 2) &&
			     (size_t)(eq - v - 2) == strlen(flag) &&
			     !strncmp(v + 2, flag, strlen(flag)) &&
			     ib_strv_find(&ch, eq + 1) >= 0;
			ib_strv_free(&ch);
		}
		if (ok)
			ib_strv_push(global, v);
		else
			ib_buf_printf(log, "%s: recorded argument '%.100s' is not "
				      "one of its own: dropped\n", ops->name,
				      v ? v : "?");
	}
}

int ib_oci_cli_cleanup(const struct ib_runtime_ops *ops, struct ib_cleanup *cx,
		       const cJSON *res, struct ib_err *err)
{
	const struct ib_oci_cli *cli = cli_of(ops);
	const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(res, "name"));
	const char *netns = cJSON_GetStringValue(cJSON_GetObjectItem(res, "netns"));
	char *binary = ib_which(cli->program), *bundle = NULL, *cgroup = NULL;
	char *want_ns = NULL;
	struct ib_strv global = {0}, argv = {0};
	struct ib_buf out = {0};
	struct ib_err e = {0};
	int rc = 0;

	if (!ib_cleanup_name_ok(cx, name)) {
		rc = ib_err_set(err, -EPERM, "%s container '%.100s': not a name "
				"of this run's: left alone", ops->name,
				name ? name : "?");
		goto out;
	}
	/* Its namespace (runsc's commands run in it) only as the net link
	 * names it: /run/netns/isobench-<run id>-N. */
	if (netns) {
		const char *ns = strncmp(netns, "/run/netns/", 11) ? NULL
								  : netns + 11;

		if (!ns || !ib_cleanup_name_ok(cx, ns) || strchr(ns, '/')) {
			rc = ib_err_set(err, -EPERM, "%s container %s: namespace "
					"'%.100s' is not this run's: left alone",
					ops->name, name, netns);
			goto out;
		}
		want_ns = ib_xstrdup(netns);
		if (access(want_ns, F_OK) != 0) {
			free(want_ns); /* gone with its link: delete from here */
			want_ns = NULL;
		}
	}
	if (!binary) {
		rc = ib_err_set(err, -ENOENT, "%s %s: %s is no longer installed",
				ops->name, name, cli->program);
		goto out;
	}
	cleanup_global(ops, cli, cx, res, &global);
	/* The bundle and cgroup as the driver makes them for this name. */
	if (cx->work)
		bundle = ib_xasprintf("%s/bundles/%s", cx->work, name);
	cgroup = ib_xasprintf("/isobench/%s/%s", cx->run_id, name);
	{
		/* what runs: `runtime GLOBAL kill NAME KILL`, then
		 * `runtime GLOBAL delete --force NAME` */
		struct ib_strv kv = {0};
		int go;

		ib_strv_push(&kv, binary);
		for (int i = 0; i < global.n; i++)
			ib_strv_push(&kv, global.v[i]);
		for (int i = 0; i < kv.n; i++)
			ib_strv_push(&argv, kv.v[i]);
		ib_strv_push(&kv, "kill");
		ib_strv_push(&kv, name);
		ib_strv_push(&kv, "KILL");
		ib_strv_push(&argv, "delete");
		ib_strv_push(&argv, "--force");
		ib_strv_push(&argv, name);
		go = ib_cleanup_act_exec(cx, (const char *const *)kv.v);
		ib_strv_free(&kv);
		go = ib_cleanup_act_exec(cx, (const char *const *)argv.v) && go;
		if (go)
			goto run;
	}
	{
		/* a dry run: say the rest */
		if (bundle && ib_cleanup_path_ok(cx, bundle, NULL) == 0)
			ib_cleanup_act(cx, IB_ACT_RMTREE, bundle, NULL);
		ib_cleanup_act(cx, IB_ACT_CGROUP, cgroup, NULL);
		goto out;
	}
run:
	ib_proc_reap_strays_wait(1000);
	run_cmd_ns(cli, binary, &global,
		   (const char *[]){"kill", name, "KILL", NULL}, CMD_TIMEOUT_S,
		   want_ns, NULL, NULL);
	rc = run_cmd_ns(cli, binary, &global,
			(const char *[]){"delete", "--force", name, NULL},
			CMD_TIMEOUT_S, want_ns, &out, &e);
	if (rc != 0 && out.s && strstr(out.s, "does not exist"))
		rc = 0; /* never created, or already deleted */
	if (rc != 0) {
		ib_buf_printf(cx->log, "%s delete %s: %s\n", cli->program, name,
			      rc < 0 ? e.msg : (out.s ? ib_trim(out.s) : "?"));
		rc = ib_err_set(err, -EBUSY, "%s container %s: could not delete "
				"it", ops->name, name);
		goto out;
	}
	if (bundle && ib_cleanup_path_ok(cx, bundle, NULL) == 0 &&
	    ib_cleanup_act(cx, IB_ACT_RMTREE, bundle, NULL))
		ib_rmtree(bundle);
	if (ib_cleanup_act(cx, IB_ACT_CGROUP, cgroup, NULL))
		ib_oci_remove_cgroups(cgroup, 1);
	ib_buf_printf(cx->log, "%s container %s: deleted\n", ops->name, name);
out:
	ib_buf_free(&out);
	ib_strv_free(&argv);
	ib_strv_free(&global);
	free(binary);
	free(bundle);
	free(cgroup);
	free(want_ns);
	return rc;
}
