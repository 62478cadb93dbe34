/* native: the baseline. The probe is a plain child process of isobench:
 * no namespaces, no cgroup limits, nothing between it and the kernel. Every
 * other runtime's figures are read as ratios to these. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/net_link.h"
#include "runtime/runtime.h"
#include "state/state.h"

static const struct ib_rt_option native_options[] = {
	{"net", "veth,loopback", "veth",
	 "the net workload's link: veth (the probe in a network namespace of "
	 "its own, a veth pair to the host: the baseline of every runtime's "
	 "network) or loopback (no namespace: the reference row)",
	 1, NULL, NULL},
};

static const char *const native_net_rows[] = {"native:net=loopback", NULL};

static int native_net_kind(const struct ib_runtime *rt, struct ib_buf *why)
{
	(void)why;
	return strcmp(ib_runtime_opt(rt, "net"), "loopback") == 0
		       ? IB_NET_LOOPBACK
		       : IB_NET_NETNS;
}

static int native_available(struct ib_buf *why, struct ib_buf *fix)
{
	(void)why;
	(void)fix;
	return 1;
}

static int native_prepare(struct ib_runtime *rt, struct ib_err *err)
{
	if (access(rt->ctx->probe_path, X_OK) != 0)
		return ib_err_set(err, -errno, "probe %s: %s",
				  rt->ctx->probe_path, strerror(errno));
	return 0;
}

static int native_launch(struct ib_runtime *rt, struct ib_launch *l,
			 struct ib_err *err)
{
	struct ib_strv argv = {0};
	int rc;

	ib_strv_push(&argv, rt->ctx->probe_path);
	/* the host's filesystem is the native probe's root filesystem too:
	 * scratch = rootfs changes nothing here */
	ib_strv_push(&argv, "--scratch");
	ib_strv_push(&argv, rt->ctx->scratch);
	for (char **a = l->probe_argv; *a; a++)
		ib_strv_push(&argv, *a);
	l->t_launch_ns = ib_mono_ns();
	{
		struct ib_spawn_opts so = {.cwd = rt->ctx->scratch,
					   .flags = IB_PROC_DIE_WITH_PARENT};

		if (l->net && l->net->netns_path) {
			so.pre_exec = ib_net_enter_pre_exec;
			so.pre_exec_arg = l->net->netns_path;
		}
		rc = ib_proc_start(&l->proc, argv.v, &so, err);
	}
	ib_strv_free(&argv);
	if (rc < 0)
		return rc;
	l->out_fd = l->proc.out_fd;
	/* Recorded as soon as the pid exists; PDEATHSIG covers the moment
	 * before. */
	return ib_state_add_marked_process(rt->ctx->state, l->name, l->proc.pid,
					   l->proc.starttime, rt->ctx->run_id,
					   err);
}

/* Asks the probe to end (it stops what it holds first), by its pid. */
static void native_stop(struct ib_runtime *rt, struct ib_launch *l)
{
	(void)rt;
	if (l->proc.pid > 0 && !ib_pid_ended(l->proc.pid))
		kill(l->proc.pid, SIGTERM);
}

static void native_teardown(struct ib_runtime *rt, struct ib_launch *l)
{
	ib_proc_kill(&l->proc);
	ib_proc_close(&l->proc);
	if (l->proc.pid > 0)
		ib_state_del(rt->ctx->state, l->name, NULL);
}

static void native_describe(struct ib_runtime *rt, cJSON *out)
{
	cJSON_AddStringToObject(out, "mode",
				"host process (clone with CLONE_VM and "
				"CLONE_VFORK, then exec)");
	cJSON_AddStringToObject(out, "probe", rt->ctx->probe_path);
	cJSON_AddStringToObject(out, "isolation", "none");
	cJSON_AddStringToObject(out, "network",
				native_net_kind(rt, NULL) == IB_NET_LOOPBACK
					? "loopback, in the host's namespace"
					: "net workload: a namespace of its own "
					  "with a veth pair to the host");
}

const struct ib_runtime_ops ib_runtime_native = {
	.name = "native",
	.family = "baseline",
	.summary = "the probe as a plain host process: the baseline",
	.available = native_available,
	.prepare = native_prepare,
	.launch = native_launch,
	.wait = ib_runtime_wait_proc,
	.teardown = native_teardown,
	.stop = native_stop,
	.apps = IB_APPS_HOST,
	.describe = native_describe,
	.cleanup = NULL,
	.net_kind = native_net_kind,
	.also_default_net = native_net_rows,
	.options = native_options,
	.noptions = 1,
};
