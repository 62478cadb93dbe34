/* footprint: what an instance costs the host in memory, the method of
 * smem: the PSS and RSS of every host process that belongs to it, from
 * /proc/PID/smaps_rollup, and the machine's MemAvailable.
 *
 * Which processes belong to an instance: every process whose environment
 * carries ISOBENCH_LAUNCH=<launch name> (isobench sets it before a launch,
 * so everything the runtime's commands fork inherits it: runsc's sandbox
 * and gofer, a native probe; the container's own environment carries it
 * too), the driver's extra roots (a shim started by an engine's daemon),
 * and all their descendants. An engine's daemons (dockerd, containerd)
 * serve every instance and are measured apart. */
#ifndef ISOBENCH_FOOTPRINT_H
#define ISOBENCH_FOOTPRINT_H

#include <stdint.h>
#include <sys/types.h>

#define IB_FP_MAX_PROCS 64

struct ib_fp_proc {
	pid_t pid;
	char role[48];    /* "probe", "runsc-sandbox", "containerd-shim", ... */
	uint64_t rss_kb, pss_kb;
	/* of that, the guest's RAM (a VMM's mapping of it, see
	 * ib_fp_guest_ram); 0 for any other process */
	uint64_t guest_rss_kb;
};

struct ib_fp_set {
	struct ib_fp_proc p[IB_FP_MAX_PROCS];
	int n;
};

/* Rss and Pss of pid from /proc/PID/smaps_rollup, in KiB. Returns 0 or
 * -errno (the process is gone, or the kernel lacks smaps_rollup). */
int ib_fp_memory(pid_t pid, uint64_t *rss_kb, uint64_t *pss_kb);

/* The RSS of pid's mappings of guest RAM, in KiB: those named after a
 * QEMU memory backend of the memfd kind ("/memfd:memory-backend-memfd",
 * how isobench's qemu driver gives a VM its RAM). The rest of a VMM's RSS
 * is its own overhead (the method of Firecracker's memory-overhead
 * tests: RSS outside the guest-memory mappings). 0 if none. */
uint64_t ib_fp_guest_ram(pid_t pid);

/* What a process is, from its command line: the program's name, with
 * runsc's re-executions told apart by their subcommand. */
void ib_fp_role(pid_t pid, char *role, size_t cap);

/* Fills out with the processes of the launch named name (marker above),
 * the roots given, and their descendants, each measured. */
void ib_fp_collect(const char *name, const pid_t *roots, int nroots,
		   struct ib_fp_set *out);
/* The CPU time (user + system, seconds, /proc/PID/stat) the processes of
 * s have used so far, all their threads; a process gone since counts 0. */
double ib_fp_cpu_s(const struct ib_fp_set *s);

/* Processes whose name (comm) is comm, one of whose arguments is arg (or
 * "--option=arg"), and whose parent is ppid; each test is skipped when
 * NULL or 0. Up to max pids into out; returns how many. ib_fp_find gives
 * the lowest such pid, or 0. */
int ib_fp_find_all(const char *comm, const char *arg, pid_t ppid,
		   pid_t *out, int max);
pid_t ib_fp_find(const char *comm, const char *arg, pid_t ppid);

/* MemAvailable of /proc/meminfo in KiB, or -1. */
long long ib_mem_available_kb(void);

/* sync, then drop the page cache, dentries and inodes, so MemAvailable
 * compares like with like. Returns 0 or -errno (not root). */
int ib_drop_caches(void);

#endif
