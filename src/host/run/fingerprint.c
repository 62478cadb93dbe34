#include "run/fingerprint.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "base/proc.h"
#include "base/util.h"
#include "version.h"

static int read_first_line(const char *path, char *buf, size_t cap)
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

/* "always [madvise] never" -> "madvise" */
static void bracketed(const char *path, char *out, size_t cap)
{
	char line[256], *a, *b;

	if (read_first_line(path, line, sizeof(line)) < 0 ||
	    !(a = strchr(line, '[')) || !(b = strchr(a, ']'))) {
		snprintf(out, cap, "unknown");
		return;
	}
	*b = '\0';
	snprintf(out, cap, "%s", a + 1);
}

static void cpuinfo_field(const char *field, char *out, size_t cap)
{
	FILE *f = fopen("/proc/cpuinfo", "re");
	char line[8192];
	size_t n = strlen(field);

	snprintf(out, cap, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (strncmp(line, field, n) == 0 && colon) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(out, cap, "%s", ib_trim(colon + 1));
			break;
		}
	}
	fclose(f);
}

static long meminfo_kib(const char *key)
{
	FILE *f = fopen("/proc/meminfo", "re");
	char line[256];
	long v = -1;
	size_t n = strlen(key);

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, n) == 0 && line[n] == ':') {
			v = strtol(line + n + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

static int count_numa_nodes(void)
{
	DIR *d = opendir("/sys/devices/system/node");
	struct dirent *e;
	int n = 0;

	if (!d)
		return 1; /* no NUMA support compiled in: one node */
	while ((e = readdir(d)))
		if (strncmp(e->d_name, "node", 4) == 0 &&
		    e->d_name[4] >= '0' && e->d_name[4] <= '9')
			n++;
	closedir(d);
	return n ? n : 1;
}

static void os_name(char *out, size_t cap)
{
	FILE *f = fopen("/etc/os-release", "re");
	char line[256];

	snprintf(out, cap, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "PRETTY_NAME=", 12) == 0) {
			char *v = line + 12;

			v[strcspn(v, "\n")] = '\0';
			if (*v == '"') {
				v++;
				v[strcspn(v, "\"")] = '\0';
			}
			snprintf(out, cap, "%s", v);
			break;
		}
	fclose(f);
}

/* Mount points in mountinfo escape blanks as \040 and so on. */
static void unescape_octal(char *s)
{
	char *w = s;

	for (char *r = s; *r; r++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] && r[3]) {
			*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 +
				      (r[3] - '0'));
			r += 3;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

int ib_mount_of(const char *path, char *fstype, size_t fcap, char *source,
		size_t scap)
{
	char *abs = realpath(path, NULL), line[4096];
	size_t best = 0;
	FILE *f;

	if (!abs)
		return -1;
	f = fopen("/proc/self/mountinfo", "re");
	if (!f) {
		free(abs);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *fields[12], *save = NULL, *sep;
		int n = 0;
		size_t mlen;

		sep = strstr(line, " - ");
		if (!sep)
			continue;
		*sep = '\0';
		for (char *t = strtok_r(line, " ", &save); t && n < 12;
		     t = strtok_r(NULL, " ", &save))
			fields[n++] = t;
		if (n < 5)
			continue;
		unescape_octal(fields[4]);
		mlen = strlen(fields[4]);
		if (strncmp(abs, fields[4], mlen) != 0 ||
		    (abs[mlen] != '/' && abs[mlen] != '\0' && mlen != 1))
			continue;
		if (mlen >= best) {
			char *rest = sep + 3, *type, *src;

			type = strtok_r(rest, " \n", &save);
			src = type ? strtok_r(NULL, " \n", &save) : NULL;
			if (!type)
				continue;
			best = mlen;
			snprintf(fstype, fcap, "%s", type);
			snprintf(source, scap, "%s", src ? src : "?");
		}
	}
	fclose(f);
	free(abs);
	return best ? 0 : -1;
}

/* `probe --version`, bounded: a probe that hangs or floods here must not
 * hang a run before it starts. */
static void probe_version(const char *probe, char *out, size_t cap)
{
	char *argv[] = {(char *)probe, "--version", NULL};
	struct ib_buf b = {0};

	snprintf(out, cap, "unknown");
	if (probe && ib_proc_capture(argv, NULL, 5, NULL, &b, NULL) == 0 && b.s &&
	    b.s[0] != '\n') {
		b.s[strcspn(b.s, "\n")] = '\0';
		snprintf(out, cap, "%s", b.s);
	}
	ib_buf_free(&b);
}

cJSON *ib_fingerprint(const char *scratch, const char *probe_path)
{
	cJSON *o = cJSON_CreateObject();
	struct utsname u;
	char buf[512], type[64], src[256];
	long v;

	cpuinfo_field("model name", buf, sizeof(buf));
	cJSON_AddStringToObject(o, "cpu_model", buf);
	cJSON_AddNumberToObject(o, "cpus_online", (double)sysconf(_SC_NPROCESSORS_ONLN));
	v = meminfo_kib("MemTotal");
	cJSON_AddNumberToObject(o, "memory_mib", v > 0 ? (double)(v / 1024) : -1);
	if (uname(&u) == 0) {
		cJSON_AddStringToObject(o, "kernel", u.release);
		cJSON_AddStringToObject(o, "arch", u.machine);
		cJSON_AddStringToObject(o, "hostname", u.nodename);
	}
	os_name(buf, sizeof(buf));
	cJSON_AddStringToObject(o, "os", buf);
	{
		char flags[8192];

		cpuinfo_field("flags", flags, sizeof(flags));
		cJSON_AddStringToObject(o, "virtualized",
					strstr(flags, " hypervisor")
						? "yes (guest)" : "no");
	}
	bracketed("/sys/kernel/mm/transparent_hugepage/enabled", buf, sizeof(buf));
	cJSON_AddStringToObject(o, "thp", buf);
	bracketed("/sys/kernel/mm/transparent_hugepage/defrag", buf, sizeof(buf));
	cJSON_AddStringToObject(o, "thp_defrag", buf);
	cJSON_AddNumberToObject(o, "hugepages", (double)meminfo_kib("HugePages_Total"));
	cJSON_AddNumberToObject(o, "hugepage_kib", (double)meminfo_kib("Hugepagesize"));
	if (read_first_line("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor",
			    buf, sizeof(buf)) < 0)
		snprintf(buf, sizeof(buf), "none (no cpufreq)");
	cJSON_AddStringToObject(o, "governor", buf);
	cJSON_AddNumberToObject(o, "numa_nodes", count_numa_nodes());
	if (scratch) {
		cJSON_AddStringToObject(o, "scratch_dir", scratch);
		if (ib_mount_of(scratch, type, sizeof(type), src, sizeof(src)) == 0) {
			cJSON_AddStringToObject(o, "scratch_fs", type);
			cJSON_AddStringToObject(o, "scratch_device", src);
		} else {
			cJSON_AddStringToObject(o, "scratch_fs", "unknown");
		}
	}
	cJSON_AddStringToObject(o, "isobench", ISOBENCH_VERSION);
	probe_version(probe_path, buf, sizeof(buf));
	cJSON_AddStringToObject(o, "probe", buf);
	return o;
}
