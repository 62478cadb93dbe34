/* runc: OCI containers through runc's command line (oci_cli.c). */
#include "net/net_link.h"
#include "runtime/drivers/oci_cli.h"

static const struct ib_rt_option runc_options[] = {
	{"lifecycle", "create,run", "create",
	 "create: create, start and delete, so create and start are timed "
	 "apart; run: one foreground `runc run`, as a user types it (to compare "
	 "with tools that time that)", 0, NULL, NULL},
	IB_RT_CPUSET_OPTION,
};

static const struct ib_oci_cli runc_cli = {
	.program = "runc",
	.package = "runc",
};

static int runc_available(struct ib_buf *why, struct ib_buf *fix)
{
	return ib_oci_cli_available(&runc_cli, why, fix);
}

const struct ib_runtime_ops ib_runtime_runc = {
	.name = "runc",
	.family = "OCI container",
	.summary = "runc create/start/delete on a generated OCI bundle",
	.available = runc_available,
	.prepare = ib_oci_cli_prepare,
	.launch = ib_oci_cli_launch,
	.wait = ib_oci_cli_wait,
	.teardown = ib_oci_cli_teardown,
	.apps = IB_APPS_ROOTFS,
	.describe = ib_oci_cli_describe,
	.instance_pids = ib_oci_cli_instance_pids,
	.stop = ib_oci_cli_stop,
	.release = ib_oci_cli_release,
	.cleanup = ib_oci_cli_cleanup,
	.net_kind = ib_oci_cli_net_kind,
	.cfg = &runc_cli,
	.options = runc_options,
	.noptions = (int)IB_ARRAY_LEN(runc_options),
};
