#include "runtime/drivers/oci.h"

#include "images/app_image.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static cJSON *strings(const char *const *v)
{
	cJSON *a = cJSON_CreateArray();

	for (; *v; v++)
		cJSON_AddItemToArray(a, cJSON_CreateString(*v));
	return a;
}

static void add_mount(cJSON *mounts, const char *dest, const char *type,
		      const char *source, const char *const *options)
{
	cJSON *m = cJSON_CreateObject();

	cJSON_AddStringToObject(m, "destination", dest);
	cJSON_AddStringToObject(m, "type", type);
	cJSON_AddStringToObject(m, "source", source);
	cJSON_AddItemToObject(m, "options", strings(options));
	cJSON_AddItemToArray(mounts, m);
}

cJSON *ib_oci_config(const struct ib_oci_bundle *b)
{
	static const char *const caps[] = {"CAP_AUDIT_WRITE", "CAP_KILL",
					   "CAP_NET_BIND_SERVICE", NULL};
	static const char *const masked[] = {
		"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
		"/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
		"/proc/sched_debug", "/sys/firmware", "/proc/scsi", NULL};
	static const char *const readonly[] = {
		"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
		"/proc/sysrq-trigger", NULL};
	static const char *const ns[] = {"pid", "network", "ipc", "uts",
					 "mount", NULL};
	cJSON *c = cJSON_CreateObject(), *proc, *args, *env, *cap, *root;
	cJSON *mounts, *lnx, *res, *a, *user, *rl, *r;
	char *run = ib_xasprintf("ISOBENCH_RUN=%s", b->run_id);

	cJSON_AddStringToObject(c, "ociVersion", "1.0.2");
	proc = cJSON_AddObjectToObject(c, "process");
	cJSON_AddFalseToObject(proc, "terminal");
	user = cJSON_AddObjectToObject(proc, "user");
	cJSON_AddNumberToObject(user, "uid", 0);
	cJSON_AddNumberToObject(user, "gid", 0);
	args = cJSON_AddArrayToObject(proc, "args");
	cJSON_AddItemToArray(args, cJSON_CreateString("/isobench-probe"));
	for (char **p = b->probe_argv; *p; p++)
		cJSON_AddItemToArray(args, cJSON_CreateString(*p));
	env = cJSON_AddArrayToObject(proc, "env");
	cJSON_AddItemToArray(env, cJSON_CreateString("PATH=/"));
	cJSON_AddItemToArray(env, cJSON_CreateString(run));
	if (b->launch) {
		char *mark = ib_xasprintf("ISOBENCH_LAUNCH=%s", b->launch);

		cJSON_AddItemToArray(env, cJSON_CreateString(mark));
		free(mark);
	}
	cJSON_AddStringToObject(proc, "cwd", "/");
	cap = cJSON_AddObjectToObject(proc, "capabilities");
	cJSON_AddItemToObject(cap, "bounding", strings(caps));
	cJSON_AddItemToObject(cap, "effective", strings(caps));
	cJSON_AddItemToObject(cap, "permitted", strings(caps));
	rl = cJSON_AddArrayToObject(proc, "rlimits");
	r = cJSON_CreateObject();
	cJSON_AddStringToObject(r, "type", "RLIMIT_NOFILE");
	cJSON_AddNumberToObject(r, "hard", 1024);
	cJSON_AddNumberToObject(r, "soft", 1024);
	cJSON_AddItemToArray(rl, r);
	cJSON_AddTrueToObject(proc, "noNewPrivileges");

	root = cJSON_AddObjectToObject(c, "root");
	cJSON_AddStringToObject(root, "path", "rootfs");
	/* an application's root holds its image's files hard-linked (the
	 * cache's, shared by every launch and run): read-only, so that
	 * nothing in the container can change them; what the server writes
	 * goes to its tmp (a tmpfs below), /tmp, /scratch or its data's
	 * tmpfs */
	cJSON_AddBoolToObject(root, "readonly", b->app_root != NULL);
	cJSON_AddStringToObject(c, "hostname", "isobench");

	mounts = cJSON_AddArrayToObject(c, "mounts");
	add_mount(mounts, "/proc", "proc", "proc", (const char *[]){NULL});
	add_mount(mounts, "/dev", "tmpfs", "tmpfs",
		  (const char *[]){"nosuid", "strictatime", "mode=755",
				   "size=65536k", NULL});
	add_mount(mounts, "/dev/pts", "devpts", "devpts",
		  (const char *[]){"nosuid", "noexec", "newinstance",
				   "ptmxmode=0666", "mode=0620", NULL});
	add_mount(mounts, "/dev/shm", "tmpfs", "shm",
		  (const char *[]){"nosuid", "noexec", "nodev", "mode=1777",
				   "size=65536k", NULL});
	add_mount(mounts, "/dev/mqueue", "mqueue", "mqueue",
		  (const char *[]){"nosuid", "noexec", "nodev", NULL});
	/* sysfs: the probe reads the cache sizes there, as on the host */
	add_mount(mounts, "/sys", "sysfs", "sysfs",
		  (const char *[]){"nosuid", "noexec", "nodev", "ro", NULL});
	add_mount(mounts, "/tmp", "tmpfs", "tmpfs",
		  (const char *[]){"nosuid", "nodev", "mode=1777", NULL});
	add_mount(mounts, IB_OCI_SCRATCH, "bind", b->scratch,
		  (const char *[]){"rbind", "rw", NULL});
	/* an application's data in memory of the container's own (charged
	 * to its memory cgroup, as its other pages) */
	if (b->app_tmpfs)
		add_mount(mounts, b->app_tmpfs, "tmpfs", "tmpfs",
			  (const char *[]){"nosuid", "nodev", "mode=700", NULL});
	if (b->app_root)
		add_mount(mounts, IB_APP_PREFIX "/tmp", "tmpfs", "tmpfs",
			  (const char *[]){"nosuid", "nodev", "mode=700", NULL});

	lnx = cJSON_AddObjectToObject(c, "linux");
	res = cJSON_AddObjectToObject(lnx, "resources");
	a = cJSON_AddArrayToObject(res, "devices");
	{
		cJSON *deny = cJSON_CreateObject();

		cJSON_AddFalseToObject(deny, "allow");
		cJSON_AddStringToObject(deny, "access", "rwm");
		cJSON_AddItemToArray(a, deny);
	}
	if (b->limits.memory) {
		cJSON *m = cJSON_AddObjectToObject(res, "memory");

		cJSON_AddNumberToObject(m, "limit", (double)b->limits.memory);
	}
	if (b->cpuset || b->limits.cpus > 0) {
		cJSON *cpu = cJSON_AddObjectToObject(res, "cpu");
		char *set = b->cpuset ? ib_xstrdup(b->cpuset)
			    : b->limits.cpus == 1
				    ? ib_xstrdup("0")
				    : ib_xasprintf("0-%d", b->limits.cpus - 1);

		cJSON_AddStringToObject(cpu, "cpus", set);
		free(set);
	}
	cJSON_AddStringToObject(lnx, "cgroupsPath", b->cgroups_path);
	a = cJSON_AddArrayToObject(lnx, "namespaces");
	for (const char *const *n = ns; *n; n++) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "type", *n);
		if (!strcmp(*n, "network") && b->netns_path)
			cJSON_AddStringToObject(o, "path", b->netns_path);
		cJSON_AddItemToArray(a, o);
	}
	cJSON_AddItemToObject(lnx, "maskedPaths", strings(masked));
	cJSON_AddItemToObject(lnx, "readonlyPaths", strings(readonly));
	free(run);
	return c;
}

int ib_oci_bundle_create(const struct ib_oci_bundle *b, struct ib_err *err)
{
	static const char *const dirs[] = {"proc", "dev", "sys", "tmp",
					   "scratch", "var", "var/isobench", NULL};
	char *path = NULL, *text;
	cJSON *config;
	int rc = 0;

	if (mkdir(b->dir, 0700) != 0)
		return ib_err_set(err, -errno, "bundle %s: %s", b->dir,
				  strerror(errno));
	path = ib_xasprintf("%s/rootfs", b->dir);
	if (mkdir(path, 0755) != 0) {
		rc = ib_err_set(err, -errno, "%s: %s", path, strerror(errno));
		goto out;
	}
	for (const char *const *d = dirs; *d; d++) {
		char *sub = ib_xasprintf("%s/%s", path, *d);

		if (mkdir(sub, 0755) != 0 && rc == 0)
			rc = ib_err_set(err, -errno, "%s: %s", sub,
					strerror(errno));
		free(sub);
	}
	if (rc)
		goto out;
	free(path);
	/* A hard link: the probe is read-only to everyone, so sharing its
	 * inode between containers is safe, and costs no copy. */
	path = ib_xasprintf("%s/rootfs/isobench-probe", b->dir);
	if (link(b->probe, path) != 0) {
		rc = ib_err_set(err, -errno, "link %s -> %s: %s", b->probe, path,
				strerror(errno));
		goto out;
	}
	free(path);
	path = NULL;
	if (b->app_root) {
		path = ib_xasprintf("%s/rootfs", b->dir);
		rc = ib_app_image_link(b->app_root, path, err);
		free(path);
		path = NULL;
		if (rc < 0)
			goto out;
	}
	config = ib_oci_config(b);
	text = cJSON_Print(config);
	cJSON_Delete(config);
	path = ib_xasprintf("%s/config.json", b->dir);
	rc = ib_write_file_atomic(path, text, strlen(text), err);
	cJSON_free(text);
out:
	free(path);
	return rc;
}
