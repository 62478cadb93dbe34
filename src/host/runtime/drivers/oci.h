/* oci: OCI runtime bundles for the container runtimes (runc, crun,
 * gVisor's runsc): a directory holding config.json and rootfs/.
 *
 * The rootfs is minimal: the static probe and the directories the mounts
 * need; it is made per launch (a hard link of the run's copy of the probe,
 * so it costs nothing) and is writable, so the disk benchmark can also run
 * on the container's own root filesystem. config.json is written with
 * cJSON after the OCI runtime spec 1.0.2: the probe as the process,
 * /scratch bind-mounted from the host's scratch directory, the run's
 * resource limits, fresh pid/ipc/uts/mount/network namespaces (network:
 * loopback only, or the net workload's link's namespace joined by path),
 * the same masked paths and capabilities as `runc spec`. */
#ifndef ISOBENCH_OCI_H
#define ISOBENCH_OCI_H

#include "runtime/runtime.h"
#include "base/util.h"

/* Where the probe writes inside a container: the bind-mounted scratch
 * directory (the default), or the container's own root filesystem. */
#define IB_OCI_SCRATCH "/scratch"
#define IB_OCI_ROOTFS_SCRATCH "/var/isobench"

struct ib_oci_bundle {
	const char *dir;            /* created; must not exist */
	const char *probe;          /* host path, on the same filesystem */
	const char *scratch;        /* host directory bound at /scratch */
	char **probe_argv;          /* arguments after the probe's path */
	const char *run_id;         /* ISOBENCH_RUN in the environment */
	const char *launch;         /* ISOBENCH_LAUNCH (footprint.h), or NULL */
	const char *cgroups_path;   /* "/isobench/RUN-ID/NAME" */
	const char *netns_path;     /* join this network namespace (the net
				       workload's link), or NULL: a new one,
				       loopback only */
	const char *app_root;       /* an application's tree, hard-linked
				       into rootfs (images/app_image.h), or
				       NULL */
	const char *app_tmpfs;      /* a tmpfs mounted here (in the
				       container), or NULL */
	const char *cpuset;         /* the container's CPUs ("0,2-3"), or
				       NULL: limits.cpus's first N (or every
				       CPU) */
	struct ib_limits limits;
};

/* Removes what is left of cgroup ("/isobench/..." only: anything else is
 * left alone) in every hierarchy, retried while busy; with parents, its
 * parents too where empty. A cgroup that still holds a process stays. */
void ib_oci_remove_cgroups(const char *cgroup, int parents);

/* Creates b->dir with config.json and rootfs/. Returns 0 or -errno. */
int ib_oci_bundle_create(const struct ib_oci_bundle *b, struct ib_err *err);

/* The config.json of b, as JSON (for tests). Caller frees. */
cJSON *ib_oci_config(const struct ib_oci_bundle *b);

#endif
