#include "base/footprint.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"

static int kb_after(const char *text, const char *label, uint64_t *out)
{
	const char *p = strstr(text, label);

	if (!p)
		return -1;
	*out = strtoull(p + strlen(label), NULL, 10);
	return 0;
}

int ib_fp_memory(pid_t pid, uint64_t *rss_kb, uint64_t *pss_kb)
{
	char path[64];
	char *text;
	int rc = 0;

	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid);
	text = ib_read_file(path, NULL, NULL);
	if (!text)
		return -errno ? -errno : -ENOENT;
	/* A kernel thread or a zombie has an empty rollup. */
	if (kb_after(text, "\nRss:", rss_kb) < 0 ||
	    kb_after(text, "\nPss:", pss_kb) < 0)
		rc = -ENODATA;
	free(text);
	return rc;
}

uint64_t ib_fp_guest_ram(pid_t pid)
{
	char path[64], line[512];
	FILE *f;
	int in_guest = 0;
	uint64_t total = 0;

	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long kb;

		/* a mapping's header, "start-end perms offset dev inode path",
		 * starts with a lowercase hex address; its fields ("Rss:")
		 * with an uppercase name */
		if ((line[0] >= '0' && line[0] <= '9') ||
		    (line[0] >= 'a' && line[0] <= 'f')) {
			in_guest = strstr(line, "/memfd:memory-backend-memfd") != NULL;
			continue;
		}
		if (in_guest && sscanf(line, "Rss: %llu kB", &kb) == 1)
			total += kb;
	}
	fclose(f);
	return total;
}

/* argv of pid, NUL-separated, and its length; NULL if gone. */
static char *cmdline_of(pid_t pid, size_t *len)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	return ib_read_file(path, len, NULL);
}

static pid_t ppid_of(pid_t pid);

void ib_fp_role(pid_t pid, char *role, size_t cap)
{
	size_t len = 0;
	char *cmd = cmdline_of(pid, &len), *base;

	if (!cmd || !len) {
		/* No command line: a process that cleared it, as the stubs
		 * gVisor's sandbox forks to run the application under the
		 * ptrace platform do (the application's memory is theirs).
		 * Named after the nearest ancestor that has one. */
		char path[64], *comm, prole[48];
		pid_t pp = ppid_of(pid);

		snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
		comm = ib_read_file(path, NULL, NULL);
		prole[0] = '\0';
		for (int depth = 0; pp > 1 && depth < 8 && !prole[0]; depth++) {
			size_t plen = 0;
			char *pcmd = cmdline_of(pp, &plen);

			if (pcmd && plen)
				ib_fp_role(pp, prole, sizeof(prole));
			free(pcmd);
			pp = ppid_of(pp);
		}
		if (!strcmp(prole, "runsc-sandbox"))
			snprintf(role, cap, "runsc-stub");
		else if (prole[0])
			snprintf(role, cap, "%s-child", prole);
		else
			snprintf(role, cap, "%s", comm ? ib_trim(comm) : "unknown");
		free(comm);
		free(cmd);
		return;
	}
	base = strrchr(cmd, '/') ? strrchr(cmd, '/') + 1 : cmd;
	snprintf(role, cap, "%s", base);
	if (strstr(base, "isobench-probe")) {
		snprintf(role, cap, "probe");
	} else if (strstr(base, "runsc") || !strcmp(base, "exe")) {
		/* runsc re-executes itself (/proc/self/exe) as the sandbox
		 * ("boot") and the gofer ("gofer") */
		for (size_t i = 0; i < len; i += strlen(cmd + i) + 1) {
			if (!strcmp(cmd + i, "boot")) {
				snprintf(role, cap, "runsc-sandbox");
				break;
			}
			if (!strcmp(cmd + i, "gofer")) {
				snprintf(role, cap, "runsc-gofer");
				break;
			}
		}
	} else if (!strncmp(base, "containerd-shim", 15)) {
		snprintf(role, cap, "containerd-shim");
	}
	free(cmd);
}

static int has_marker(pid_t pid, const char *marker, size_t mlen)
{
	char path[64];
	size_t len = 0;
	char *env;
	int found = 0;

	snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
	env = ib_read_file(path, &len, NULL);
	for (size_t i = 0; env && i < len; i += strlen(env + i) + 1)
		if (!strncmp(env + i, marker, mlen) && env[i + mlen] == '\0') {
			found = 1;
			break;
		}
	free(env);
	return found;
}

static pid_t ppid_of(pid_t pid)
{
	char path[64], *text, *p;
	long ppid = -1;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	text = ib_read_file(path, NULL, NULL);
	p = text ? strrchr(text, ')') : NULL;
	if (!p || sscanf(p + 1, " %*c %ld", &ppid) != 1)
		ppid = -1;
	free(text);
	return (pid_t)ppid;
}

static int in_set(const struct ib_fp_set *s, pid_t pid)
{
	for (int i = 0; i < s->n; i++)
		if (s->p[i].pid == pid)
			return 1;
	return 0;
}

static void add(struct ib_fp_set *s, pid_t pid)
{
	if (s->n < IB_FP_MAX_PROCS && !in_set(s, pid))
		s->p[s->n++].pid = pid;
}

void ib_fp_collect(const char *name, const pid_t *roots, int nroots,
		   struct ib_fp_set *out)
{
	char *marker = ib_xasprintf("ISOBENCH_LAUNCH=%s", name);
	size_t mlen = strlen(marker);
	pid_t *pids = NULL, *ppids = NULL;
	int n = 0, cap = 0, grew;
	DIR *d = opendir("/proc");
	struct dirent *e;

	memset(out, 0, sizeof(*out));
	while (d && (e = readdir(d))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);

		if (*end || pid <= 0 || pid == getpid())
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			pids = ib_xrealloc(pids, sizeof(*pids) * (size_t)cap);
			ppids = ib_xrealloc(ppids, sizeof(*ppids) * (size_t)cap);
		}
		pids[n] = (pid_t)pid;
		ppids[n] = ppid_of((pid_t)pid);
		n++;
		if (has_marker((pid_t)pid, marker, mlen))
			add(out, (pid_t)pid);
	}
	if (d)
		closedir(d);
	for (int i = 0; i < nroots; i++)
		if (roots[i] > 0)
			add(out, roots[i]);
	/* descendants, to a fixed point */
	do {
		grew = 0;
		for (int i = 0; i < n; i++)
			if (!in_set(out, pids[i]) && in_set(out, ppids[i]) &&
			    out->n < IB_FP_MAX_PROCS) {
				add(out, pids[i]);
				grew = 1;
			}
	} while (grew);
	for (int i = 0; i < out->n; i++) {
		struct ib_fp_proc *p = &out->p[i];

		ib_fp_role(p->pid, p->role, sizeof(p->role));
		if (ib_fp_memory(p->pid, &p->rss_kb, &p->pss_kb) < 0)
			p->rss_kb = p->pss_kb = 0;
		p->guest_rss_kb = ib_fp_guest_ram(p->pid);
	}
	free(pids);
	free(ppids);
	free(marker);
}

/* Is one of pid's arguments arg, or "--option=arg"? */
static int has_arg(pid_t pid, const char *arg)
{
	size_t len = 0, alen = strlen(arg);
	char *cmd = cmdline_of(pid, &len);
	int found = 0;

	for (size_t i = 0; cmd && i < len && !found; i += strlen(cmd + i) + 1) {
		const char *a = cmd + i, *eq = strchr(a, '=');

		found = !strcmp(a, arg) ||
			(eq && strlen(eq + 1) == alen && !strcmp(eq + 1, arg));
	}
	free(cmd);
	return found;
}

int ib_fp_find_all(const char *comm, const char *arg, pid_t ppid,
		   pid_t *out, int max)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)) && n < max) {
		char *end, path[64], *text;
		long pid = strtol(e->d_name, &end, 10);
		int match = 1;

		if (*end || pid <= 0)
			continue;
		if (comm) {
			snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
			text = ib_read_file(path, NULL, NULL);
			match = text && !strcmp(ib_trim(text), comm);
			free(text);
		}
		if (match && ppid > 0)
			match = ppid_of((pid_t)pid) == ppid;
		if (match && arg)
			match = has_arg((pid_t)pid, arg);
		if (match)
			out[n++] = (pid_t)pid;
	}
	if (d)
		closedir(d);
	return n;
}

pid_t ib_fp_find(const char *comm, const char *arg, pid_t ppid)
{
	pid_t all[256], best = 0;
	int n = ib_fp_find_all(comm, arg, ppid, all, 256);

	for (int i = 0; i < n; i++)
		if (!best || all[i] < best)
			best = all[i];
	return best;
}

long long ib_mem_available_kb(void)
{
	char *text = ib_read_file("/proc/meminfo", NULL, NULL);
	uint64_t kb = 0;
	int rc;

	if (!text)
		return -1;
	rc = kb_after(text, "MemAvailable:", &kb);
	free(text);
	return rc < 0 ? -1 : (long long)kb;
}

int ib_drop_caches(void)
{
	int fd, rc = 0;

	sync();
	fd = open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, "3\n", 2) != 2)
		rc = -errno;
	close(fd);
	return rc;
}

double ib_fp_cpu_s(const struct ib_fp_set *s)
{
	double ticks = 0, hz = (double)sysconf(_SC_CLK_TCK);

	for (int i = 0; i < s->n; i++) {
		char path[64], *text, *p;
		unsigned long long ut, st;

		snprintf(path, sizeof(path), "/proc/%d/stat", (int)s->p[i].pid);
		if (!(text = ib_read_file(path, NULL, NULL)))
			continue;
		/* fields 14 and 15, after the command's closing parenthesis
		 * (a name may hold spaces and parentheses) */
		p = strrchr(text, ')');
		if (p && sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u "
				"%*u %*u %llu %llu", &ut, &st) == 2)
			ticks += (double)(ut + st);
		free(text);
	}
	return hz > 0 ? ticks / hz : 0;
}
