/* probe: what the probe's workloads share: their parsed arguments and the
 * facts about the machine they size themselves by.
 *
 * isobench-probe runs one workload per invocation (see probe.c). Arguments
 * arrive as key=value words already checked against common/params.c, so a
 * workload reads them with the accessors below and never parses text. */
#ifndef ISOBENCH_PROBE_H
#define ISOBENCH_PROBE_H

#include <stddef.h>
#include <stdint.h>

#include "../common/params.h"
#include "../common/protocol.h"
#include "emit.h"


struct probe_args {
	const struct ib_workload_def *wl;
	const char *value[IB_MAX_PARAMS]; /* by index in wl->params */
	const char *scratch;                 /* directory for files */
	const char *peer;                    /* net: the peer, ADDR:PORT */
	const char *serve_argv;              /* serve: the server's command
						line, a file (common/argv_file.h) */
	const char *serve_seed;              /* serve: "SRC:DST", a tree to
						copy before the server starts */
	const char *serve_tmpfs;             /* serve: a tmpfs to mount there
						first */
	const char *serve_mount;             /* serve: "DEV:DIR", an ext4 to
						mount first */
};

uint64_t pb_arg_count(const struct probe_args *a, const char *name);
uint64_t pb_arg_size(const struct probe_args *a, const char *name);
double pb_arg_seconds(const struct probe_args *a, const char *name);
const char *pb_arg_str(const struct probe_args *a, const char *name);
/* Is word one of the comma-separated items of list parameter name? */
int pb_arg_list_has(const struct probe_args *a, const char *name,
		    const char *word);
/* Copies the next comma-separated item of *cursor into word (cap bytes)
 * and advances *cursor; returns 0 at the end of the list. */
int pb_arg_list_next(const char **cursor, char *word, size_t cap);

/* vm_init.c: the probe as a VM's /init (pid 1, started as "/init"). */
int pb_vm_is_init(const char *argv0);
/* Raw console output, kernel messages quieted; before hello. */
void pb_vm_console_prepare(void);
/* Mounts /proc, /sys, /dev, loads the listed modules, waits for scratch
 * if it is a device node; after hello. -1 after an error record. */
int pb_vm_setup(const char *scratch);
/* Gives the VM's first network interface the address cidr
 * ("198.18.3.2/24") and brings it and loopback up; -1 after an error
 * record. */
int pb_vm_net_setup(const char *cidr);
/* Syncs and powers the VM off; never returns. */
void pb_vm_poweroff(void) __attribute__((noreturn));

/* Total last-level cache in bytes: distinct caches of the highest level,
 * from sysfs, else from CPUID leaf 4 / 0x8000001d, else 0. *source says
 * which ("sysfs", "cpuid", "unknown"). */
uint64_t pb_llc_bytes(const char **source);

/* Workloads: each emits its samples (or error records) and returns 0 on
 * success, 1 on failure. What the runtime lacks (io_uring, O_DIRECT, a
 * system call) is an "unsupported" error record, not a failure: the other
 * figures of the workload stand.
 *
 * A workload registers itself where it is written, with one line after its
 * function: PB_WORKLOAD(name, fn), name as in the catalogue
 * (common/params.c). The line puts a pointer to {name, fn} into the section
 * pb_workloads, which the linker gathers from every file of workloads/ (the
 * build compiles them all: workloads/meson.build), so adding a workload is
 * its file here and its entry in the catalogue, nothing else. `isobench-probe
 * --workloads` checks the two agree (tests/integration/probe_sanity.sh). */
struct pb_workload {
	const char *name;
	int (*run)(const struct probe_args *a);
};

#define PB_WORKLOAD(wname, fn)                                               \
	static const struct pb_workload pb_workload_##wname = {#wname, fn}; \
	static const struct pb_workload *const pb_workload_ref_##wname       \
		__attribute__((used, section("pb_workloads"))) =             \
			&pb_workload_##wname

/* The registered workloads, in link order. */
extern const struct pb_workload *const __start_pb_workloads[];
extern const struct pb_workload *const __stop_pb_workloads[];

#endif
