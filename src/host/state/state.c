#include "state/state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>


char *ib_registry_dir(void)
{
	char *rt = ib_runtime_dir(NULL), *dir;

	if (!rt)
		return NULL;
	dir = ib_xasprintf("%s/runs", rt);
	free(rt);
	/* inside a directory that only we can write: no one else's */
	if (ib_mkdir_private(dir, 0700, 0, NULL) < 0) {
		free(dir);
		return NULL;
	}
	return dir;
}

static int append_line(struct ib_state *s, cJSON *obj, int sync,
		       struct ib_err *err)
{
	char *line = cJSON_PrintUnformatted(obj);
	struct ib_buf b = {0};
	int rc = 0;

	if (!line)
		return ib_err_set(err, -ENOMEM, "cannot format state");
	ib_buf_printf(&b, "%s\n", line);
	free(line);
	/* Synced where cleanup relies on it after a crash of the host: a
	 * container, a directory, a cgroup outlive a reboot; a process does
	 * not, and a removal lost costs cleanup a harmless retry. The write
	 * alone is enough against a kill -9 of isobench. Not syncing those
	 * keeps a disk flush out of the launch and teardown phases. */
	if (write(s->fd, b.s, b.len) != (ssize_t)b.len ||
	    (sync && fdatasync(s->fd) != 0))
		rc = ib_err_set(err, -errno, "cannot write %s: %s", s->path,
				strerror(errno));
	ib_buf_free(&b);
	return rc;
}

int ib_state_open(struct ib_state *s, const char *run_dir, const char *run_id,
		  struct ib_err *err)
{
	char *reg = ib_registry_dir(), *abs = realpath(run_dir, NULL);
	int fd;

	memset(s, 0, sizeof(*s));
	s->path = ib_xasprintf("%s/state.jsonl", run_dir);
	s->fd = open(s->path, O_CREAT | O_EXCL | O_WRONLY | O_APPEND | O_CLOEXEC |
		     O_NOFOLLOW, 0644);
	if (s->fd < 0) {
		int rc = ib_err_set(err, -errno, "cannot create %s: %s",
				    s->path, strerror(errno));

		free(reg);
		free(abs);
		free(s->path);
		s->path = NULL;
		return rc;
	}
	flock(s->fd, LOCK_EX | LOCK_NB);
	{
		/* The header: the run id cleanup derives every name from,
		 * and the boot whose processes the records name. */
		cJSON *h = cJSON_CreateObject();
		char boot[40];
		int rc;

		ib_boot_id(boot);
		cJSON_AddStringToObject(h, "op", "run");
		cJSON_AddStringToObject(h, "run_id", run_id);
		cJSON_AddStringToObject(h, "boot_id", boot);
		rc = append_line(s, h, 0, err);
		cJSON_Delete(h);
		if (rc < 0) {
			close(s->fd);
			s->fd = -1;
			free(s->path);
			s->path = NULL;
			free(reg);
			free(abs);
			return rc;
		}
	}
	/* no usable runtime directory: the run works, cleanup then needs DIR */
	s->registry_entry = reg ? ib_xasprintf("%s/%s", reg, run_id) : NULL;
	fd = !reg ? -1 : open(s->registry_entry, O_CREAT | O_TRUNC | O_WRONLY |
					       O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd >= 0) {
		const char *p = abs ? abs : run_dir;

		if (write(fd, p, strlen(p)) < 0 || close(fd) != 0) {
			/* the run works without it; cleanup then needs DIR */
		}
	}
	free(reg);
	free(abs);
	return 0;
}

int ib_state_add(struct ib_state *s, cJSON *res, struct ib_err *err)
{
	int rc;

	const cJSON *kind = cJSON_GetObjectItem(res, "kind");
	int sync = !cJSON_IsString(kind) ||
		   (strcmp(kind->valuestring, "process") &&
		    strcmp(kind->valuestring, "marker"));

	cJSON_AddStringToObject(res, "op", "add");
	rc = append_line(s, res, sync, err);
	cJSON_Delete(res);
	return rc;
}

int ib_state_del(struct ib_state *s, const char *name, struct ib_err *err)
{
	cJSON *o = cJSON_CreateObject();
	int rc;

	cJSON_AddStringToObject(o, "op", "del");
	cJSON_AddStringToObject(o, "name", name);
	rc = append_line(s, o, 0, err);
	cJSON_Delete(o);
	return rc;
}

int ib_state_add_process(struct ib_state *s, const char *name, int pid,
			 unsigned long long starttime, struct ib_err *err)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "kind", "process");
	cJSON_AddStringToObject(o, "name", name);
	cJSON_AddNumberToObject(o, "pid", pid);
	cJSON_AddNumberToObject(o, "starttime", (double)starttime);
	return ib_state_add(s, o, err);
}

int ib_state_add_marked_process(struct ib_state *s, const char *name,
				int pid, unsigned long long starttime,
				const char *run_id, struct ib_err *err)
{
	cJSON *o = cJSON_CreateObject();
	char *marker = ib_xasprintf("ISOBENCH_RUN=%s", run_id);

	cJSON_AddStringToObject(o, "kind", "process");
	cJSON_AddStringToObject(o, "name", name);
	cJSON_AddNumberToObject(o, "pid", pid);
	cJSON_AddNumberToObject(o, "starttime", (double)starttime);
	cJSON_AddStringToObject(o, "marker", marker);
	free(marker);
	return ib_state_add(s, o, err);
}

int ib_state_add_marker(struct ib_state *s, const char *run_id,
			struct ib_err *err)
{
	cJSON *o = cJSON_CreateObject();
	char *m = ib_xasprintf("ISOBENCH_RUN=%s", run_id);

	cJSON_AddStringToObject(o, "kind", "marker");
	cJSON_AddStringToObject(o, "name", "marker");
	cJSON_AddStringToObject(o, "marker", m);
	free(m);
	return ib_state_add(s, o, err);
}

int ib_state_add_dir(struct ib_state *s, const char *name, const char *path,
		     struct ib_err *err)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "kind", "dir");
	cJSON_AddStringToObject(o, "name", name);
	cJSON_AddStringToObject(o, "path", path);
	return ib_state_add(s, o, err);
}

int ib_state_add_hugepages(struct ib_state *s, const char *name,
			   unsigned long page_kb, unsigned long before,
			   unsigned long added, struct ib_err *err)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "kind", "hugepages");
	cJSON_AddStringToObject(o, "name", name);
	cJSON_AddNumberToObject(o, "page_kb", (double)page_kb);
	cJSON_AddNumberToObject(o, "before", (double)before);
	cJSON_AddNumberToObject(o, "added", (double)added);
	return ib_state_add(s, o, err);
}

void ib_state_close(struct ib_state *s)
{
	if (s->fd >= 0) {
		flock(s->fd, LOCK_UN);
		close(s->fd);
	}
	s->fd = -1;
	if (s->registry_entry)
		unlink(s->registry_entry);
	free(s->registry_entry);
	free(s->path);
	s->registry_entry = s->path = NULL;
}


/* --- run ids ------------------------------------------------------------- */

void ib_run_id_make(char *buf, size_t cap)
{
	time_t now = time(NULL);
	struct tm tm;
	struct timespec ts;
	char stamp[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	snprintf(buf, cap, "%s-%04x", stamp,
		 (unsigned)((ts.tv_nsec / 1000) ^ getpid()) & 0xffff);
}

static int digits(const char *s, int n)
{
	for (int i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

static int num(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

int ib_run_id_valid(const char *id)
{
	int y, mo, d, h, mi, se;

	if (!id || strlen(id) != 20 || !digits(id, 8) || id[8] != '-' ||
	    !digits(id + 9, 6) || id[15] != '-')
		return 0;
	for (int i = 16; i < 20; i++)
		if (!((id[i] >= '0' && id[i] <= '9') ||
		      (id[i] >= 'a' && id[i] <= 'f')))
			return 0;
	y = num(id, 4);
	mo = num(id + 4, 2);
	d = num(id + 6, 2);
	h = num(id + 9, 2);
	mi = num(id + 11, 2);
	se = num(id + 13, 2);
	return y >= 1970 && y < 2400 && mo >= 1 && mo <= 12 && d >= 1 &&
	       d <= 31 && h < 24 && mi < 60 && se <= 60;
}

void ib_boot_id(char out[40])
{
	/* read once: it does not change while the process lives */
	static char id[40];
	static int have;

	if (!have) {
		char *b = ib_read_file("/proc/sys/kernel/random/boot_id", NULL,
				       NULL);

		snprintf(id, sizeof(id), "%s", b ? ib_trim(b) : "");
		free(b);
		have = 1;
	}
	snprintf(out, 40, "%s", id);
}

/* --- cleanup: what may be touched ----------------------------------------- */

int ib_cleanup_name_ok(const struct ib_cleanup *cx, const char *name)
{
	size_t n = strlen(cx->run_id);

	if (!name || strncmp(name, "isobench-", 9) ||
	    strncmp(name + 9, cx->run_id, n) || name[9 + n] != '-' ||
	    !name[10 + n] || strlen(name) > 200)
		return 0;
	for (const char *p = name + 10 + n; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
		      (*p == '.' && p[-1] != '.')))
			return 0;
	return 1;
}

char *ib_cleanup_rt_path(const struct ib_cleanup *cx, const char *name)
{
	return ib_xasprintf("%s/%s", cx->runtime_dir, name);
}

/* Absolute, without ".", ".." or empty components, no trailing '/'. */
static int path_plain(const char *p)
{
	if (!p || p[0] != '/' || strlen(p) > 4000)
		return 0;
	for (const char *c = p; *c; ) {
		const char *e;
		size_t n;

		c++; /* the '/' */
		e = strchr(c, '/');
		n = e ? (size_t)(e - c) : strlen(c);
		if (n == 0 || (n == 1 && c[0] == '.') ||
		    (n == 2 && c[0] == '.' && c[1] == '.'))
			return 0;
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)c[i] < 0x20)
				return 0;
		c += n;
	}
	return 1;
}

/* No existing component of p is a symlink (each lstat'ed from the top);
 * components up to the last are directories. 0 or -errno. */
static int no_symlinks(const char *p)
{
	char *buf = ib_xstrdup(p);
	int rc = 0;

	for (char *c = buf + 1; rc == 0; ) {
		char *e = strchr(c, '/');
		struct stat st;

		if (e)
			*e = '\0';
		if (lstat(buf, &st) != 0) {
			if (errno != ENOENT)
				rc = -errno;
			break; /* nothing below exists */
		}
		if (S_ISLNK(st.st_mode) || (e && !S_ISDIR(st.st_mode)))
			rc = -ELOOP;
		if (!e)
			break;
		*e = '/';
		c = e + 1;
	}
	free(buf);
	return rc;
}

/* A directory isobench made for the run: if it exists, a real directory
 * of the caller's that no one else may write. */
static int own_dir(const char *p, int as_root)
{
	struct stat st;

	if (lstat(p, &st) != 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode) || st.st_uid != (as_root ? 0 : geteuid()) ||
	    (st.st_mode & 022))
		return -EPERM;
	return 0;
}

/* Is root (a directory) p, or p below it? */
static int under(const char *p, const char *root)
{
	size_t n = strlen(root);

	return root && !strncmp(p, root, n) && (p[n] == '\0' || p[n] == '/');
}

/* The run's entries of the runtime directory that p is in, if any:
 * docker-<id>, oci-<id> (runc's, crun's, runsc's --root), containerd-<id>,
 * isobench-fc-<id>, <id>-qemu-<machine>-<accel>[-<tag>]. Returns the entry's path (caller frees) or NULL. */
static char *rt_entry_of(const struct ib_cleanup *cx, const char *p)
{
	size_t n = strlen(cx->runtime_dir), idn = strlen(cx->run_id);
	const char *e, *end;
	char name[128];

	if (strncmp(p, cx->runtime_dir, n) || p[n] != '/')
		return NULL;
	e = p + n + 1;
	end = strchr(e, '/');
	if (!end)
		end = e + strlen(e);
	if ((size_t)(end - e) >= sizeof(name))
		return NULL;
	memcpy(name, e, (size_t)(end - e));
	name[end - e] = '\0';
	if ((!strncmp(name, "docker-", 7) && !strcmp(name + 7, cx->run_id)) ||
	    (!strncmp(name, "oci-", 4) && !strcmp(name + 4, cx->run_id)) ||
	    (!strncmp(name, "containerd-", 11) && !strcmp(name + 11, cx->run_id)) ||
	    (!strncmp(name, "isobench-fc-", 12) && !strcmp(name + 12, cx->run_id)))
		return ib_xasprintf("%.*s", (int)(end - p), p);
	if (!strncmp(name, cx->run_id, idn) && !strncmp(name + idn, "-qemu-", 6)) {
		static const char *const kinds[] = {
			"microvm-tcg", "microvm-kvm", "q35-tcg", "q35-kvm"};

		const char *k = name + idn + 6;

		for (size_t i = 0; i < IB_ARRAY_LEN(kinds); i++) {
			size_t kl = strlen(kinds[i]);

			/* "-<8 hex digits>": a column with tuning options
			 * (its options' hash); "-pin": the same, of older
			 * runs */
			if (!strncmp(k, kinds[i], kl) &&
			    (!k[kl] || !strcmp(k + kl, "-pin") ||
			     (k[kl] == '-' && strlen(k + kl + 1) == 8 &&
			      strspn(k + kl + 1, "0123456789abcdef") == 8)))
				return ib_xasprintf("%.*s", (int)(end - p), p);
		}
	}
	return NULL;
}

int ib_cleanup_path_ok(const struct ib_cleanup *cx, const char *path,
		       struct ib_err *err)
{
	char *root = NULL;
	int rc;

	if (!path_plain(path))
		return ib_err_set(err, -EPERM, "path '%.200s' is not a plain "
				  "absolute path: left alone",
				  path ? path : "?");
	if (cx->work && under(path, cx->work))
		root = ib_xstrdup(cx->work);
	else
		root = rt_entry_of(cx, path);
	if (!root)
		return ib_err_set(err, -EPERM, "%.200s is neither in the run's "
				  "work directory nor one of its entries of %s: "
				  "not isobench's, left alone", path,
				  cx->runtime_dir);
	rc = no_symlinks(path);
	if (rc == 0)
		rc = own_dir(root, cx->as_root);
	free(root);
	if (rc < 0)
		return ib_err_set(err, -EPERM, "%.200s: %s on the way (a symlink, "
				  "or a directory not isobench's): left alone",
				  path, rc == -ELOOP ? "a symlink" : strerror(-rc));
	return 0;
}

static const char *act_verb(enum ib_cleanup_act a)
{
	switch (a) {
	case IB_ACT_RMTREE: return "remove directory";
	case IB_ACT_UNLINK: return "remove file";
	case IB_ACT_CGROUP: return "remove cgroup";
	case IB_ACT_KILL: return "kill process";
	case IB_ACT_KILL_MARKED: return "kill every process marked";
	case IB_ACT_EXEC: return "run";
	case IB_ACT_ENGINE: return "delete";
	case IB_ACT_NETIF: return "delete interface";
	case IB_ACT_NETNS: return "delete network namespace";
	case IB_ACT_HUGEPAGES: return "give back huge pages";
	case IB_ACT_THP: return "put back the THP mode";
	}
	return "?";
}

static struct ib_cleanup_action *add_act(struct ib_cleanup *cx,
					 enum ib_cleanup_act act,
					 const char *target, const char *detail)
{
	struct ib_cleanup_action *a;

	cx->acts = ib_xrealloc(cx->acts, sizeof(*cx->acts) *
				(size_t)(cx->nacts + 1));
	a = &cx->acts[cx->nacts++];
	memset(a, 0, sizeof(*a));
	a->act = act;
	a->target = target ? ib_xstrdup(target) : NULL;
	a->detail = detail ? ib_xstrdup(detail) : NULL;
	return a;
}

int ib_cleanup_act(struct ib_cleanup *cx, enum ib_cleanup_act act,
		   const char *target, const char *detail)
{
	add_act(cx, act, target, detail);
	if (cx->dry_run)
		ib_buf_printf(cx->log, "would %s %s%s%s\n", act_verb(act),
			      target ? target : "", detail ? " " : "",
			      detail ? detail : "");
	return !cx->dry_run;
}

int ib_cleanup_act_exec(struct ib_cleanup *cx, const char *const *argv)
{
	struct ib_cleanup_action *a = add_act(cx, IB_ACT_EXEC, argv[0], NULL);

	for (; *argv; argv++)
		ib_strv_push(&a->argv, *argv);
	if (cx->dry_run) {
		ib_buf_printf(cx->log, "would run");
		for (int i = 0; i < a->argv.n; i++)
			ib_buf_printf(cx->log, " %s", a->argv.v[i]);
		ib_buf_printf(cx->log, "\n");
	}
	return !cx->dry_run;
}

void ib_cleanup_free(struct ib_cleanup *cx)
{
	for (int i = 0; i < cx->nacts; i++) {
		free(cx->acts[i].target);
		free(cx->acts[i].detail);
		ib_strv_free(&cx->acts[i].argv);
	}
	free(cx->acts);
	free(cx->run_dir);
	free(cx->work);
	free(cx->runtime_dir);
	if (cx->wfd >= 0)
		close(cx->wfd);
	if (cx->fd >= 0)
		close(cx->fd);
	if (cx->dirfd >= 0)
		close(cx->dirfd);
	memset(cx, 0, sizeof(*cx));
	cx->dirfd = cx->fd = cx->wfd = -1;
}

/* --- cleanup: processes ---------------------------------------------------- */

/* Does pid's environment hold marker exactly? */
int ib_cleanup_has_marker(long pid, const char *marker)
{
	char path[64], *env;
	size_t len, mlen = strlen(marker);
	int yes = 0;

	snprintf(path, sizeof(path), "/proc/%ld/environ", pid);
	env = ib_read_file(path, &len, NULL);
	for (size_t off = 0; env && off < len; off += strlen(env + off) + 1)
		if (strncmp(env + off, marker, mlen + 1) == 0) {
			yes = 1;
			break;
		}
	free(env);
	return yes;
}

/* Kills the members of process group pgid (< 0: of every group) whose
 * environment holds marker ("ISOBENCH_RUN=<run id>", given to every probe
 * by its driver). Once a group's leader is gone its id alone proves
 * nothing (an emptied group's number can be reused), but nothing else
 * carries this run's id. Returns how many were killed. */
int ib_cleanup_kill_group(int pgid, const char *marker)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int killed = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char path[64], buf[1024], *p;
		long pid = strtol(e->d_name, &p, 10), pgrp;
		ssize_t n;
		int fd;

		if (*p || pid <= 1)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		/* after comm: state, ppid, pgrp */
		p = strrchr(buf, ')');
		if (!p || sscanf(p + 1, " %*c %*d %ld", &pgrp) != 1 ||
		    (pgid >= 0 && pgrp != pgid) || pid == getpid())
			continue;
		if (ib_cleanup_has_marker(pid, marker) && kill((pid_t)pid, SIGKILL) == 0)
			killed++;
	}
	closedir(d);
	return killed;
}

/* The last resort of cleanup: every process whose environment carries
 * the run's marker (ISOBENCH_RUN=<run id>, which every process isobench
 * starts inherits, and every container's probe is given) is killed. It
 * catches what left its process group: a dead dockerd's containerd and
 * shims, a container whose engine is gone. The record's own marker must
 * be the run's: the marker is derived from the run id, never read. */
int ib_cleanup_kill_marked(struct ib_cleanup *cx)
{
	int k;

	if (!cx->same_boot ||
	    !ib_cleanup_act(cx, IB_ACT_KILL_MARKED, cx->marker, NULL))
		return 0;
	k = ib_cleanup_kill_group(-1, cx->marker);
	if (k)
		ib_buf_printf(cx->log, "killed %d process%s still marked %s\n", k,
			      k == 1 ? "" : "es", cx->marker);
	return k;
}

/* The run's work directory, from its "work" record, only if it is what
 * the runner makes: basename isobench-<run id> (or that and a mkdtemp
 * suffix), a plain path without symlinks, the caller's, 0700-like. */
void ib_cleanup_find_work(struct ib_cleanup *cx, const cJSON *live)
{
	const cJSON *r;
	const char *path = NULL, *base;
	char *want = ib_xasprintf("isobench-%s", cx->run_id);
	size_t n = strlen(want);

	cJSON_ArrayForEach(r, live) {
		const char *kind = cJSON_GetStringValue(cJSON_GetObjectItem(r, "kind"));
		const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(r, "name"));

		if (kind && name && !strcmp(kind, "dir") && !strcmp(name, "work"))
			path = cJSON_GetStringValue(cJSON_GetObjectItem(r, "path"));
	}
	base = path ? strrchr(path, '/') : NULL;
	if (base && path_plain(path) && base != path && !strncmp(base + 1, want, n)) {
		const char *sfx = base + 1 + n;
		int ok = !*sfx;

		if ((sfx[0] == '-' || sfx[0] == '.') && strlen(sfx) == 7) {
			ok = 1;
			for (int i = 1; i < 7; i++)
				if (!((sfx[i] >= 'a' && sfx[i] <= 'z') ||
				      (sfx[i] >= 'A' && sfx[i] <= 'Z') ||
				      (sfx[i] >= '0' && sfx[i] <= '9')))
					ok = 0;
		}
		if (ok && no_symlinks(path) == 0 && own_dir(path, cx->as_root) == 0)
			cx->work = ib_xstrdup(path);
	}
	if (path && !cx->work)
		ib_buf_printf(cx->log, "work directory '%.200s' is not the run's "
			      "(isobench-%s, a real directory of yours): "
			      "nothing in it is touched\n", path, cx->run_id);
	free(want);
}
