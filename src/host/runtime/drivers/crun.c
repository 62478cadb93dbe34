/* crun: OCI containers through crun's command line (oci_cli.c).
 *
 * crun 1.8 refuses a hybrid cgroup host whose v2 mount has a controller
 * enabled ("cgroups in hybrid mode not supported, drop all controllers
 * from cgroupv2"), which is what these machines have. Each crun command
 * then runs in a private mount namespace of its own in which
 * /sys/fs/cgroup/unified is unmounted: crun sees a plain v1 host and runs
 * the same bundle, cgroup limits included. describe() records it. */
#include <errno.h>
#include <sched.h>
#include <sys/mount.h>

#include "net/net_link.h"
#include "runtime/drivers/oci_cli.h"

static int hybrid_workaround(void *arg)
{
	(void)arg;
	if (!ib_cgroup_hybrid_with_v2_controllers())
		return 0;
	/* The cgroup mounts made private in the new namespace first, so
	 * the unmount cannot propagate back to the host's. (Not "/": under a
	 * chroot "/" is no mount point and cannot be made private.) */
	if (unshare(CLONE_NEWNS) != 0 ||
	    mount(NULL, "/sys/fs/cgroup", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
	    umount2("/sys/fs/cgroup/unified", MNT_DETACH) != 0)
		return errno ? errno : EPERM;
	return 0;
}

static const struct ib_rt_option crun_options[] = {
	{"lifecycle", "create,run", "create",
	 "create: create, start and delete, so create and start are timed "
	 "apart; run: one foreground `crun run`, as a user types it (to compare "
	 "with tools that time that)", 0, NULL, NULL},
	IB_RT_CPUSET_OPTION,
};

static const struct ib_oci_cli crun_cli = {
	.program = "crun",
	.package = "crun",
	.pre_exec = hybrid_workaround,
	.pre_exec_note = "on a hybrid cgroup host with v2 controllers, each "
			 "crun command runs in a private mount namespace "
			 "without /sys/fs/cgroup/unified",
};

static int crun_available(struct ib_buf *why, struct ib_buf *fix)
{
	return ib_oci_cli_available(&crun_cli, why, fix);
}

static void crun_describe(struct ib_runtime *rt, cJSON *out)
{
	ib_oci_cli_describe(rt, out);
	if (!ib_cgroup_hybrid_with_v2_controllers())
		cJSON_DeleteItemFromObject(out, "workaround");
}

const struct ib_runtime_ops ib_runtime_crun = {
	.name = "crun",
	.family = "OCI container",
	.summary = "crun create/start/delete on a generated OCI bundle",
	.available = crun_available,
	.prepare = ib_oci_cli_prepare,
	.launch = ib_oci_cli_launch,
	.wait = ib_oci_cli_wait,
	.teardown = ib_oci_cli_teardown,
	.apps = IB_APPS_ROOTFS,
	.describe = crun_describe,
	.instance_pids = ib_oci_cli_instance_pids,
	.stop = ib_oci_cli_stop,
	.release = ib_oci_cli_release,
	.cleanup = ib_oci_cli_cleanup,
	.net_kind = ib_oci_cli_net_kind,
	.cfg = &crun_cli,
	.options = crun_options,
	.noptions = (int)IB_ARRAY_LEN(crun_options),
};
