/* The machine facts the workloads size themselves by. Inside containers
 * and sandboxes sysfs may be missing or partial (gVisor), so every fact has
 * a fallback and says where it came from. */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"

static int read_line(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "re");
	int ok;

	if (!f)
		return -1;
	ok = fgets(buf, (int)cap, f) != NULL;
	fclose(f);
	if (!ok)
		return -1;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* Sum of the distinct caches of the highest level in sysfs. Caches are
 * distinct by their shared_cpu_list: two CPUs sharing one L3 see the same
 * list, so it counts once. */
static uint64_t llc_from_sysfs(void)
{
	char path[256], buf[256], seen[64][256];
	int nseen = 0, best_level = 0;
	uint64_t total = 0;

	for (int cpu = 0; cpu < 4096; cpu++) {
		snprintf(path, sizeof(path),
			 "/sys/devices/system/cpu/cpu%d/cache/index0/level", cpu);
		if (read_line(path, buf, sizeof(buf)) < 0) {
			if (cpu == 0)
				return 0;
			break;
		}
		for (int idx = 0; idx < 16; idx++) {
			int level, dup = 0;
			uint64_t size;
			char *end;

			snprintf(path, sizeof(path),
				 "/sys/devices/system/cpu/cpu%d/cache/index%d/level",
				 cpu, idx);
			if (read_line(path, buf, sizeof(buf)) < 0)
				break;
			level = atoi(buf);
			snprintf(path, sizeof(path),
				 "/sys/devices/system/cpu/cpu%d/cache/index%d/type",
				 cpu, idx);
			if (read_line(path, buf, sizeof(buf)) < 0 ||
			    strcmp(buf, "Instruction") == 0)
				continue;
			snprintf(path, sizeof(path),
				 "/sys/devices/system/cpu/cpu%d/cache/index%d/size",
				 cpu, idx);
			if (read_line(path, buf, sizeof(buf)) < 0)
				continue;
			size = strtoull(buf, &end, 10);
			if (*end == 'K')
				size <<= 10;
			else if (*end == 'M')
				size <<= 20;
			snprintf(path, sizeof(path),
				 "/sys/devices/system/cpu/cpu%d/cache/index%d/shared_cpu_list",
				 cpu, idx);
			if (read_line(path, buf, sizeof(buf)) < 0)
				snprintf(buf, sizeof(buf), "cpu%d", cpu);
			if (level > best_level) {
				best_level = level;
				total = 0;
				nseen = 0;
			}
			if (level < best_level)
				continue;
			for (int i = 0; i < nseen; i++)
				if (strcmp(seen[i], buf) == 0)
					dup = 1;
			if (dup || nseen == 64)
				continue;
			snprintf(seen[nseen++], sizeof(seen[0]), "%s", buf);
			total += size;
		}
	}
	return total;
}

#if defined(__x86_64__) || defined(__i386__)
static void cpuid(unsigned leaf, unsigned sub, unsigned r[4])
{
	__asm__ volatile("cpuid"
			 : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(sub));
}

/* Largest data/unified cache described by the deterministic cache
 * parameters leaf (Intel 4, AMD 0x8000001d). One instance only: CPUID does
 * not say how many sockets there are. */
static uint64_t llc_from_cpuid(void)
{
	unsigned r[4], leaf = 4, best_level = 0;
	uint64_t best = 0;

	cpuid(0, 0, r);
	if (r[1] == 0x68747541) { /* "Auth"enticAMD */
		cpuid(0x80000000, 0, r);
		if (r[0] < 0x8000001d)
			return 0;
		leaf = 0x8000001d;
	} else if (r[0] < 4) {
		return 0;
	}
	for (unsigned sub = 0; sub < 16; sub++) {
		unsigned type, level;
		uint64_t size;

		cpuid(leaf, sub, r);
		type = r[0] & 31;
		if (type == 0)
			break;
		if (type == 2) /* instruction cache */
			continue;
		level = (r[0] >> 5) & 7;
		size = (uint64_t)(((r[1] >> 22) & 0x3ff) + 1) *
		       (((r[1] >> 12) & 0x3ff) + 1) * ((r[1] & 0xfff) + 1) *
		       ((uint64_t)r[2] + 1);
		if (level > best_level) {
			best_level = level;
			best = size;
		}
	}
	return best;
}
#else
static uint64_t llc_from_cpuid(void)
{
	return 0;
}
#endif

uint64_t pb_llc_bytes(const char **source)
{
	uint64_t v = llc_from_sysfs();

	if (v) {
		*source = "sysfs";
		return v;
	}
	v = llc_from_cpuid();
	if (v) {
		*source = "cpuid";
		return v;
	}
	*source = "unknown";
	return 0;
}
