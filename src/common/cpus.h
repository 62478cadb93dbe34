/* cpus: how many CPUs this process may run on (its affinity mask, not the
 * machine's count: a container's cpuset, taskset), for the probe's
 * threads and the host's scheduling alike. */
#ifndef ISOBENCH_CPUS_H
#define ISOBENCH_CPUS_H

/* The CPUs in this process's affinity mask, at least 1. */
int ib_usable_cpus(void);

#endif
