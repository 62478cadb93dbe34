/* gvisor: gVisor's runsc on the same OCI bundle as runc (oci_cli.c).
 *
 * Options, each its own column: platform (ptrace, systrap, kvm) and
 * network (none, host, sandbox). What this host's runsc lacks or cannot
 * run (systrap before 2023, kvm on a host whose KVM runs only PVM guests,
 * the netstack of runsc 20221219 on kernels 6.x) is found by a trial
 * container in prepare, bounded in time: the runtime is then skipped with
 * the reason, instead of failing every cell. The sandbox exits with the
 * container, with its status, as isobench's child (subreaper): `runsc
 * wait` cannot be used, since the sandbox is gone once the container's
 * output is read to its end. Every result carries the platform and
 * network mode that produced it (describe).
 *
 * The net workload runs in a network namespace of isobench's, over a veth
 * pair (net_link.h), in the mode of option netmode: sandbox (gVisor's
 * netstack, which takes the namespace's interface over), host (hostinet:
 * the host kernel's stack of that namespace; runsc is started inside it)
 * or auto: sandbox if a trial container with it works on the link, else
 * host. The mode used and why are recorded with every net result. */
#include <string.h>

#include "net/net_link.h"
#include "runtime/drivers/oci_cli.h"

static const struct ib_rt_option gvisor_options[] = {
	{"platform", "ptrace,systrap,kvm", "ptrace",
	 "how the sentry intercepts system calls", 0, NULL, NULL},
	{"network", "none,host,sandbox", "none",
	 "every workload's but net's (netmode): none: no network; host: the "
	 "host's stack, in the container's own network namespace; sandbox: "
	 "gVisor's netstack", 0, NULL, NULL},
	{"netmode", "auto,sandbox,host", "auto",
	 "the net workload's network: sandbox (gVisor's netstack), host "
	 "(hostinet in isobench's namespace) or auto (sandbox if it works "
	 "here, else host)", 1, NULL, NULL},
	IB_RT_CPUSET_OPTION,
};

static void gvisor_net_args(const struct ib_runtime *rt, const char *mode,
			    struct ib_strv *argv)
{
	ib_strv_push_owned(argv, ib_xasprintf("--platform=%s",
					      ib_runtime_opt(rt, "platform")));
	ib_strv_push_owned(argv, ib_xasprintf("--network=%s", mode));
}


static void gvisor_args(const struct ib_runtime *rt, struct ib_strv *argv)
{
	ib_strv_push_owned(argv, ib_xasprintf("--platform=%s",
					      ib_runtime_opt(rt, "platform")));
	ib_strv_push_owned(argv, ib_xasprintf("--network=%s",
					      ib_runtime_opt(rt, "network")));
}

static const struct ib_oci_cli runsc_cli = {
	.program = "runsc",
	.package = "runsc",
	.global_args = gvisor_args,
	.net_args = gvisor_net_args,
	.trial = 1,
};

static int gvisor_available(struct ib_buf *why, struct ib_buf *fix)
{
	return ib_oci_cli_available(&runsc_cli, why, fix);
}

static void gvisor_describe(struct ib_runtime *rt, cJSON *out)
{
	ib_oci_cli_describe(rt, out);
	cJSON_AddStringToObject(out, "platform", ib_runtime_opt(rt, "platform"));
	cJSON_AddStringToObject(out, "network", ib_runtime_opt(rt, "network"));
}

const struct ib_runtime_ops ib_runtime_gvisor = {
	.name = "gvisor",
	.family = "sandbox",
	.summary = "gVisor: runsc create/start/delete on the OCI bundle",
	.available = gvisor_available,
	.prepare = ib_oci_cli_prepare,
	.launch = ib_oci_cli_launch,
	.wait = ib_oci_cli_wait,
	.teardown = ib_oci_cli_teardown,
	.apps = IB_APPS_ROOTFS,
	.describe = gvisor_describe,
	.instance_pids = ib_oci_cli_instance_pids,
	.stop = ib_oci_cli_stop,
	.release = ib_oci_cli_release,
	.cleanup = ib_oci_cli_cleanup,
	.cfg = &runsc_cli,
	.net_kind = ib_oci_cli_net_kind,
	.net_setup = ib_oci_cli_net_setup,
	.options = gvisor_options,
	.noptions = (int)IB_ARRAY_LEN(gvisor_options),
};
