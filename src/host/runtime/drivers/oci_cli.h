/* oci_cli: the life of a container driven through an OCI runtime's
 * command line (runc, crun, runsc), shared by their drivers.
 *
 *   create --bundle B --pid-file P ID   the container exists, its init
 *                                       waits; timed as "create"
 *   start ID                            the probe runs; timed as "start"
 *   (wait)                              the init is isobench's child
 *                                       (subreaper, as containerd's shims
 *                                       do): waitpid gives its exit status
 *                                       (runsc: the pid is the sandbox's,
 *                                       which exits with the container's
 *                                       status)
 *   kill ID KILL, delete --force ID     teardown, always
 *
 * The probe's output is the pipe given to `create`: the container's init
 * inherits it, so records flow to the runner as from a native probe. Each
 * container is recorded in the run's state file (runtime, id, bundle)
 * before it is created; cleanup kills and deletes it and removes its
 * bundle. A driver is this code plus a struct ib_oci_cli (the ops' cfg). */
#ifndef ISOBENCH_OCI_CLI_H
#define ISOBENCH_OCI_CLI_H

#include "runtime/runtime.h"

struct ib_oci_cli {
	const char *program; /* looked up on PATH */
	const char *package; /* Debian package, for the fix message */
	/* Runs in the child before exec of every command (crun's private
	 * mount namespace), or NULL. */
	int (*pre_exec)(void *arg);
	/* Describes what pre_exec does, for describe(), or NULL. */
	const char *pre_exec_note;
	/* Arguments before every command, from the runtime's options
	 * (runsc: --platform, --network), or NULL. */
	void (*global_args)(const struct ib_runtime *rt, struct ib_strv *argv);
	/* Optional: the global arguments of a net launch in network mode
	 * `mode` (runsc: "--network=host"); the mode is chosen by the
	 * driver's net_setup (ib_oci_cli_net_setup). */
	void (*net_args)(const struct ib_runtime *rt, const char *mode,
			 struct ib_strv *argv);
	/* Prepare runs a trial container, bounded, so that options this
	 * host cannot run (a platform that hangs, a network mode that fails)
	 * make the runtime unavailable with the reason, not its cells fail. */
	int trial;
};

/* The parts of a driver's ops table this module provides. */
int ib_oci_cli_available(const struct ib_oci_cli *cli, struct ib_buf *why,
			 struct ib_buf *fix);
int ib_oci_cli_prepare(struct ib_runtime *rt, struct ib_err *err);
int ib_oci_cli_launch(struct ib_runtime *rt, struct ib_launch *l,
		      struct ib_err *err);
int ib_oci_cli_wait(struct ib_runtime *rt, struct ib_launch *l,
		    uint64_t deadline_ns);
void ib_oci_cli_teardown(struct ib_runtime *rt, struct ib_launch *l);
void ib_oci_cli_describe(struct ib_runtime *rt, cJSON *out);
/* The net workload's link of runc and crun: a namespace of isobench's,
 * joined through the config's namespace path. */
int ib_oci_cli_net_kind(const struct ib_runtime *rt, struct ib_buf *why);
/* net_setup for a driver whose cli has net_args: mode is the runtime's
 * "netmode" option; "auto" tries "sandbox" with a trial container on the
 * link and falls back to "host", saying why in net->mode. */
int ib_oci_cli_net_setup(struct ib_runtime *rt, struct ib_net *net,
			 struct ib_err *err);
/* SIGTERM to the container's probe, not waited for. */
void ib_oci_cli_stop(struct ib_runtime *rt, struct ib_launch *l);
/* The instance's host processes for the footprint benchmark. */
int ib_oci_cli_instance_pids(struct ib_runtime *rt, struct ib_launch *l,
			     pid_t *roots, int max);
void ib_oci_cli_release(struct ib_runtime *rt);
int ib_oci_cli_cleanup(const struct ib_runtime_ops *ops, struct ib_cleanup *cx,
		       const cJSON *res, struct ib_err *err);

/* cgroup v1 with a v2 mount at /sys/fs/cgroup/unified that has
 * controllers enabled: the hybrid layout crun refuses. */
int ib_cgroup_hybrid_with_v2_controllers(void);

#endif
