/* mount_ns: a daemon isobench starts keeps its fixed state paths to itself.
 *
 * dockerd makes /run/docker (plugins, its netns bind mounts), its
 * containerd /run/containerd, whatever their --exec-root says: on a host
 * where isobench started them, those would outlive the run. Started with
 * ib_ns_private_run as its pre-exec step, the daemon (and all it starts)
 * runs in a mount namespace of its own in which /run is a fresh tmpfs,
 * with isobench's runtime directory bound back in, where the daemon's
 * sockets must be reachable from the host. Nothing it makes under /run
 * reaches the host's, and it all goes with the last process of the
 * namespace. */
#ifndef ISOBENCH_MOUNT_NS_H
#define ISOBENCH_MOUNT_NS_H

/* A pre-exec step (struct ib_spawn_opts.pre_exec): arg is the directory
 * to keep (a path; under /run it is bound back into the new /run, else
 * left as it is). Async-signal-safe. Where the namespace cannot be made
 * safely (no mount namespaces, or neither "/" nor "/run" can be made a
 * private mount, as under some chroots) it changes nothing and the daemon
 * runs as before: returns 0 then too; else a non-zero errno. */
int ib_ns_private_run(void *keep_dir);

#endif
