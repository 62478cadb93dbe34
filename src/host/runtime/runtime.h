/* runtime: the interface every isolation runtime driver implements.
 *
 * A driver is a const table of operations, in the manner of fio's
 * ioengines and crun's handlers, listed once in drivers/runtimes.def
 * (drivers/registry.h finds them by name). The runner
 * only ever talks to this interface:
 *
 *   available  is it installed and usable here? if not, why and the fix
 *   prepare    build or reuse what it needs (bundle, image, initramfs)
 *   launch     start the probe with these arguments; hand back the fd
 *              its records arrive on
 *   wait       until the instance has exited, bounded by a deadline
 *   teardown   remove everything the instance created; always called,
 *              also after errors, timeouts and signals
 *   describe   version, mode and every knob that changes the numbers
 *   release    free what prepare made (the run is over)
 *   cleanup    remove one leftover resource a killed run recorded
 *
 * Every resource a driver creates is recorded in the run's state file
 * (state.h) before it is created, so `isobench cleanup` can remove it
 * after a kill -9. */
#ifndef ISOBENCH_RUNTIME_H
#define ISOBENCH_RUNTIME_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "base/proc.h"
#include "base/util.h"

struct ib_state;
struct ib_net;

/* How a runtime runs an application (the application benchmarks). */
enum ib_apps {
	IB_APPS_NONE = 0, /* not yet (firecracker, kata: the image is to
			     come) */
	IB_APPS_HOST,     /* from the host's own files (native) */
	IB_APPS_ROOTFS,   /* the launch's app_root put into its root
			     filesystem, a host directory (the containers:
			     the host's scratch directory is at /scratch) */
	IB_APPS_RAMROOT,  /* the launch's app_root put into a root in the
			     instance's memory (a VM's initramfs), with no
			     host directory shared */
};
struct ib_cleanup;

/* The resources every runtime gives an instance, the same for all in a
 * run and recorded with it (the baseline, native, is not limited). */
struct ib_limits {
	int cpus;          /* CPUs 0..cpus-1 (cpuset); 0: every online CPU */
	uint64_t memory;   /* bytes; 0: no limit */
};

/* What one run gives every driver. */
struct ib_run_ctx {
	const char *run_id;     /* names every resource of the run */
	const char *run_dir;
	const char *work;       /* the run's own directory on the scratch
				   filesystem: scratch/ and bundles/ in it */
	const char *scratch;    /* host directory for the probe's files */
	const char *probe_path; /* the static isobench-probe */
	struct ib_state *state;
	struct ib_limits limits;
	/* What a driver's release could not undo (its records stay in the
	 * state file: `isobench cleanup` tries again), counted here for the
	 * runner to say so: drivers do not print. */
	int *release_failures;
};

/* One start of the probe inside a runtime. */
struct ib_launch {
	int id;               /* unique in the run */
	char *name;           /* "isobench-<run id>-<6-digit id>": names resources */
	char **probe_argv;    /* arguments after the probe path; NULL ends */
	int scratch_rootfs;   /* the probe's files on the instance's own
				 root filesystem, not the bound scratch */
	struct ib_proc proc;  /* the host process the driver started */
	int out_fd;           /* where the probe's records arrive */
	/* Phases on the host's CLOCK_MONOTONIC; 0 where not applicable. */
	uint64_t t_launch_ns;  /* just before the runtime is invoked */
	uint64_t t_created_ns; /* create done (runtimes with create/start) */
	uint64_t t_started_ns; /* start done */
	uint64_t t_exited_ns;  /* the probe's exit seen by wait */
	/* Filled by the driver's wait: how the probe ended. */
	int exit_code;        /* -1 if unknown or killed */
	int term_signal;      /* 0 if it exited */
	/* A runtime with a kernel of its own (a VM): the guest's uptime when
	 * the probe started (its hello), i.e. the guest kernel's boot; 0 if
	 * not known. Filled by the runner. */
	double guest_uptime_s;
	/* An application's launch in an IB_APPS_ROOTFS runtime: a host
	 * directory whose tree (the application's image and the launch's
	 * files) the driver links into the instance's root; else NULL. */
	const char *app_root;
	/* An application's launch: a directory in the instance (under
	 * IB_APP_PREFIX) where the driver mounts a tmpfs of the instance's
	 * own (a container runtime's mount), or NULL. */
	const char *app_tmpfs;
	/* An application's launch in a VM: a raw disk image with a
	 * filesystem on it (a database's data set), attached as the
	 * guest's scratch disk (vda) in place of the disk benchmark's, or
	 * NULL. */
	const char *app_disk;
	/* Where the host reaches the instance on its link, if the driver
	 * learns it at launch (a Docker bridge network's address); else
	 * "" and the link's inst_addr holds. */
	char inst_addr[32];
	/* Set by a driver whose instance boots a kernel (a VM): seconds
	 * from launch within which the probe's first record must come, or
	 * the launch is ended as a boot that hung; 0: only the launch
	 * timeout applies. */
	double boot_timeout_s;
	/* The net workload: the link the instance must be on (net_link.h),
	 * made by the runner before the launch; NULL for every other
	 * workload (they run with loopback only, or no network). */
	const struct ib_net *net;
	void *priv;           /* the driver's own per-launch state */
};

struct ib_runtime;

/* An option of a runtime, given in a runtime spec: "gvisor:platform=kvm".
 * Results name the runtime by its spec, so each option value is a column
 * of its own (gvisor beside gvisor:platform=kvm). */
struct ib_rt_option {
	const char *name;
	const char *choices; /* comma-separated; NULL: a value of the form
				`check` accepts (see value_form) */
	const char *dflt;
	const char *help;
	/* The option changes only how the net workload is linked (native's
	 * net=loopback): a column where it is not the default runs only net
	 * jobs, and "all" adds it when the plan has a net job. */
	int net_only;
	/* Without choices: 0 if v[0..len) is a value (the default is always
	 * one), else -1 with why set; and what a value looks like, for
	 * `isobench list` and errors. */
	int (*check)(const char *v, size_t len, struct ib_buf *why);
	const char *value_form;
};

/* The cpuset option of the container runtimes: CPU numbers and ranges
 * joined by '+' (a ',' separates a runtime's options): "0", "2-3",
 * "0+2-3"; "none": as --cpus says. */
#define IB_RT_CPUSET_OPTION                                                 \
	{"cpuset", NULL, "none",                                             \
	 "the container's CPUs (OCI linux.resources.cpu.cpus, Docker's "     \
	 "CpusetCpus), as a Guaranteed Kubernetes pod's are pinned; none: "  \
	 "every CPU, or --cpus N's first N",                                 \
	 0, ib_cpuset_check, "none, or CPUs and ranges joined by + (0+2-3)"}
struct ib_runtime;
int ib_cpuset_check(const char *v, size_t len, struct ib_buf *why);
/* The cpuset option's value as Linux writes a CPU list ("0,2-3"), or NULL
 * for none (or no such option). Caller frees. */
char *ib_cpuset_list(const struct ib_runtime *rt);
/* 0 if every CPU of the runtime's cpuset is one isobench may run on, else
 * -1 with err naming the first that is not and those it may use. */
int ib_cpuset_usable(const struct ib_runtime *rt, struct ib_err *err);
#define IB_RT_MAX_OPTIONS 8

/* The host's huge page pool grown for one runtime of the run (a VM's
 * hugetlb memory): each growth journalled in the run's state before it
 * is written (base/hugepool.h), given back by release, or by `isobench
 * cleanup` after a kill -9. */
struct ib_rt_hugepool {
	unsigned long page_kb; /* 2048 or 1048576 */
	const char *prefix;    /* of its state records' names (unique in
				  the run) */
	struct {
		char *name;
		unsigned long before, added;
	} *grown;
	int ngrown;
};
/* Grows the pool until pages of page_kb are available (neither in use
 * nor reserved). A host that cannot give them all now is an error (the
 * pool put back at once). */
int ib_rt_hugepool_ensure(const struct ib_runtime *rt, struct ib_rt_hugepool *hp,
			  unsigned long pages, struct ib_err *err);
/* Gives the growths back, the last first (one that fails keeps its
 * record, counted in ctx->release_failures: cleanup tries again), and
 * frees what hp holds. */
void ib_rt_hugepool_release(const struct ib_runtime *rt,
			    struct ib_rt_hugepool *hp);

struct ib_runtime_ops {
	const char *name;
	const char *family;
	const char *summary;
	/* 1 if usable; else 0, with why (what is missing) and fix (the
	 * command that would fix it) filled in. */
	int (*available)(struct ib_buf *why, struct ib_buf *fix);
	/* Optional: available() for one spec, whose options decide what is
	 * needed (kata:shim=io.containerd.runc.v2 needs no Kata). rt has
	 * its options set and no priv (nothing prepared yet). Where set,
	 * the runner asks it for each column, and available() answers for
	 * the default options (list, doctor). */
	int (*available_spec)(const struct ib_runtime *rt, struct ib_buf *why,
			      struct ib_buf *fix);
	int (*prepare)(struct ib_runtime *rt, struct ib_err *err);
	int (*launch)(struct ib_runtime *rt, struct ib_launch *l,
		      struct ib_err *err);
	/* 0 when exited, -ETIMEDOUT, -EINTR. */
	int (*wait)(struct ib_runtime *rt, struct ib_launch *l,
		    uint64_t deadline_ns);
	/* Ends the instance if still running, releases everything. */
	void (*teardown)(struct ib_runtime *rt, struct ib_launch *l);
	/* Fills out with the runtime's version and settings. */
	void (*describe)(struct ib_runtime *rt, cJSON *out);
	/* Frees rt->priv and what prepare made; NULL if nothing. Called
	 * also when prepare failed. */
	void (*release)(struct ib_runtime *rt);
	/* Removes a leftover recorded by this driver (kind/name/... in res)
	 * of the run cx derived (state.h): only what its run id and
	 * isobench's fixed locations name, every action through
	 * ib_cleanup_act (a dry run does nothing), what it did in cx->log.
	 * Nothing in res but names to check is used: no path, socket,
	 * argument or config. NULL if the driver records only generic kinds
	 * (process, dir). */
	int (*cleanup)(const struct ib_runtime_ops *ops, struct ib_cleanup *cx,
		       const cJSON *res, struct ib_err *err);
	/* How it runs the applications' servers (issue 13). */
	enum ib_apps apps;
	/* Optional: asks instance l to end (SIGTERM to its probe) without
	 * waiting, so that many held instances wind down together before
	 * each is torn down. */
	void (*stop)(struct ib_runtime *rt, struct ib_launch *l);
	/* Optional (footprint.h): host processes of instance l that do not
	 * inherit its ISOBENCH_LAUNCH marker (a shim its engine started);
	 * up to max pids into roots. Returns how many. */
	int (*instance_pids)(struct ib_runtime *rt, struct ib_launch *l,
			     pid_t *roots, int max);
	/* Optional: the daemons every instance shares (dockerd,
	 * containerd), named. Returns how many. */
	int (*shared_pids)(struct ib_runtime *rt, const char **names,
			   pid_t *pids, int max);
	/* Optional: how an instance of rt is linked to the host for the net
	 * workload (enum ib_net_kind of net_link.h); NULL or
	 * IB_NET_UNSUPPORTED: it cannot be, and why says so. */
	int (*net_kind)(const struct ib_runtime *rt, struct ib_buf *why);
	/* For IB_NET_ENGINE: makes the link (once per run) and fills
	 * net->host_addr, inst_addr (if known) and how; the driver removes
	 * it in release. */
	int (*net_setup)(struct ib_runtime *rt, struct ib_net *net,
			 struct ib_err *err);
	/* Specs that "all" (the default) runs beside the plain name: other
	 * settings that are runtimes of their own (docker with the engine's
	 * runsc). NULL-terminated, or NULL. */
	const char *const *also_default;
	/* Specs added beside a column of this runtime's plain name when the
	 * plan has a net job (native's loopback reference row). */
	const char *const *also_default_net;
	/* 1 if the probe runs on a kernel of its own that boots with every
	 * launch (a VM): the uptime in its hello is that kernel's boot time,
	 * reported as the startup phase "guest_kernel". */
	int own_kernel;
	/* Driver data shared by several drivers' code (oci_cli.h). */
	const void *cfg;
	const struct ib_rt_option *options;
	int noptions;
};

/* A runtime in use by one run. */
struct ib_runtime {
	const struct ib_runtime_ops *ops;
	const struct ib_run_ctx *ctx;
	void *priv;
	char *label;                   /* its spec, canonical */
	char *opt[IB_RT_MAX_OPTIONS];  /* value of each option (owned) */
};

/* 1 if rt has a net_only option set to other than its default: the
 * column runs only the net workload. */
int ib_runtime_net_only(const struct ib_runtime *rt);
/* The value of option name of rt (its default if not given). */
const char *ib_runtime_opt(const struct ib_runtime *rt, const char *name);

/* The wait op of a driver whose instance is the one process it started
 * (native, a VMM): waits for l->proc, stamps t_exited_ns, copies its exit
 * status into l. */
int ib_runtime_wait_proc(struct ib_runtime *rt, struct ib_launch *l,
			 uint64_t deadline_ns);

/* Exit summary of a launch, filled by the driver's wait from its proc. */
const char *ib_signal_name(int sig);

/* The host processes of instance l (base/footprint.h): those carrying its
 * launch marker, the driver's extra roots (instance_pids), and their
 * descendants, each measured. */
struct ib_fp_set;
void ib_runtime_instance_procs(struct ib_runtime *rt, struct ib_launch *l,
			       struct ib_fp_set *set);

#endif
