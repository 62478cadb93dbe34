/* fingerprint: the facts about the host that change benchmark numbers,
 * stored with every run (CPU, cores, memory, kernel, THP, hugepages,
 * frequency governor, NUMA nodes, virtualization, the scratch directory's
 * filesystem, tool and probe versions). Read from /proc and /sys only; a
 * fact that cannot be read says "unknown", never a guess. */
#ifndef ISOBENCH_FINGERPRINT_H
#define ISOBENCH_FINGERPRINT_H

#include <cjson/cJSON.h>

/* Caller frees. scratch may be NULL. probe_path may be NULL. */
cJSON *ib_fingerprint(const char *scratch, const char *probe_path);

/* The filesystem type and source of the mount holding path, from
 * /proc/self/mountinfo (e.g. "ext4", "/dev/vda"). 0 or -1. */
int ib_mount_of(const char *path, char *fstype, size_t fcap, char *source,
		size_t scap);

#endif
