#include "state.h"
#include "net_link.h"

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

#include "proc.h"
#include "runtime.h"

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
	s->fd = open(s->path, O_CREAT | O_EXCL | O_WRONLY | O_APPEND | O_CLOEXEC,
		     0644);
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
	/* no usable runtime directory: the run works, cleanup then needs DIR */
	s->registry_entry = reg ? ib_xasprintf("%s/%s", reg, run_id) : NULL;
	fd = !reg ? -1 : open(s->registry_entry, O_CREAT | O_TRUNC | O_WRONLY |
					       O_CLOEXEC, 0600);
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

/* --- cleanup ------------------------------------------------------------ */

/* Kills the members of process group pgid whose environment holds marker
 * ("ISOBENCH_RUN=<run id>", given to every probe by its driver). Once a
 * group's leader is gone its id alone proves nothing (an emptied group's
 * number can be reused), but nothing else carries this run's id. Returns
 * how many were killed. */
static int kill_marked_group(int pgid, const char *marker)
{
	/* pgid < 0: every process that carries the marker */
	size_t mlen = strlen(marker);
	DIR *d = opendir("/proc");
	struct dirent *e;
	int killed = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char path[64], buf[1024], *p, *env;
		long pid = strtol(e->d_name, &p, 10), pgrp;
		size_t len, off;
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
		snprintf(path, sizeof(path), "/proc/%ld/environ", pid);
		env = ib_read_file(path, &len, NULL);
		for (off = 0; env && off < len; off += strlen(env + off) + 1)
			if (strncmp(env + off, marker, mlen + 1) == 0) {
				if (kill((pid_t)pid, SIGKILL) == 0)
					killed++;
				break;
			}
		free(env);
	}
	closedir(d);
	return killed;
}

/* The last resort of cleanup: every process whose environment carries
 * the run's marker (ISOBENCH_RUN=<run id>, which every process isobench
 * starts inherits, and every container's probe is given) is killed. It
 * catches what left its process group: a dead dockerd's containerd and
 * shims, a container whose engine is gone. */
static int sweep_marker(const cJSON *res, struct ib_buf *log)
{
	const cJSON *m = cJSON_GetObjectItem(res, "marker");
	int k;

	if (!cJSON_IsString(m) || strncmp(m->valuestring, "ISOBENCH_RUN=", 13) ||
	    strlen(m->valuestring) < 20)
		return -EINVAL; /* never a broad marker */
	k = kill_marked_group(-1, m->valuestring);
	if (k)
		ib_buf_printf(log, "killed %d process%s still marked %s\n", k,
			      k == 1 ? "" : "es", m->valuestring);
	return 0;
}

static int kill_process(const cJSON *res, struct ib_buf *log)
{
	const cJSON *pid = cJSON_GetObjectItem(res, "pid");
	const cJSON *st = cJSON_GetObjectItem(res, "starttime");
	const cJSON *marker = cJSON_GetObjectItem(res, "marker");
	unsigned long long now;

	if (!cJSON_IsNumber(pid) || !cJSON_IsNumber(st) || pid->valueint <= 1)
		return -EINVAL;
	now = ib_proc_starttime(pid->valueint);
	if (now == 0 || now != (unsigned long long)st->valuedouble) {
		/* Gone (or a zombie, or its pid reused), but what it started
		 * may live on in its group, out of PDEATHSIG's reach. */
		int k = cJSON_IsString(marker)
				? kill_marked_group(pid->valueint, marker->valuestring)
				: 0;

		if (k)
			ib_buf_printf(log, "process %d: already gone; killed %d "
				      "process%s it left in its group\n",
				      pid->valueint, k, k == 1 ? "" : "es");
		else
			ib_buf_printf(log, "process %d: already gone\n",
				      pid->valueint);
		return 0;
	}
	/* Its group is the one isobench created for it (proc.c). */
	kill(-pid->valueint, SIGKILL);
	kill(pid->valueint, SIGKILL);
	for (int i = 0; i < 200; i++) {
		struct timespec nap = {0, 5000000};

		if (ib_proc_starttime(pid->valueint) != now)
			break;
		waitpid(pid->valueint, NULL, WNOHANG);
		nanosleep(&nap, NULL);
	}
	if (ib_proc_starttime(pid->valueint) == now) {
		ib_buf_printf(log, "process %d: still running after SIGKILL\n",
			      pid->valueint);
		return -EBUSY;
	}
	ib_buf_printf(log, "process %d: killed\n", pid->valueint);
	return 0;
}

static int remove_dir(const cJSON *res, struct ib_buf *log)
{
	const cJSON *path = cJSON_GetObjectItem(res, "path");
	int rc;

	if (!cJSON_IsString(path) || !strstr(path->valuestring, "isobench"))
		return -EINVAL; /* never remove a path that is not ours */
	ib_unmount_under(path->valuestring);
	rc = ib_rmtree(path->valuestring);
	ib_buf_printf(log, "directory %s: %s\n", path->valuestring,
		      rc == 0 ? "removed" : strerror(-rc));
	return rc;
}

int ib_cleanup_run(const char *run_dir, struct ib_buf *log,
		   struct ib_err *err)
{
	char *path = ib_xasprintf("%s/state.jsonl", run_dir), *text, *save = NULL;
	cJSON *live = cJSON_CreateArray(), *res;
	int fd, failed = 0, n = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int rc = ib_err_set(err, -errno, "%s: %s", path, strerror(errno));

		free(path);
		cJSON_Delete(live);
		return rc;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		close(fd);
		free(path);
		cJSON_Delete(live);
		return ib_err_set(err, -EBUSY,
				  "%s: the run is still alive (its state file "
				  "is locked); stop it first",
				  run_dir);
	}
	text = ib_read_file(path, NULL, err);
	if (!text) {
		close(fd);
		free(path);
		cJSON_Delete(live);
		return err->code;
	}
	/* Replay: adds minus dels, in order of creation. */
	for (char *line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		cJSON *o = cJSON_Parse(line);
		const cJSON *op = cJSON_GetObjectItem(o, "op");
		const cJSON *name = cJSON_GetObjectItem(o, "name");

		if (!o || !cJSON_IsString(op) || !cJSON_IsString(name)) {
			cJSON_Delete(o); /* a torn last line: ignore it */
			continue;
		}
		if (strcmp(op->valuestring, "add") == 0) {
			cJSON_AddItemToArray(live, o);
			continue;
		}
		for (int i = cJSON_GetArraySize(live) - 1; i >= 0; i--) {
			const cJSON *nm = cJSON_GetObjectItem(
				cJSON_GetArrayItem(live, i), "name");

			if (cJSON_IsString(nm) &&
			    strcmp(nm->valuestring, name->valuestring) == 0) {
				cJSON_DeleteItemFromArray(live, i);
				break;
			}
		}
		cJSON_Delete(o);
	}
	free(text);
	/* Remove in reverse order of creation: instances before what they
	 * were built on. */
	for (int i = cJSON_GetArraySize(live) - 1; i >= 0; i--) {
		const cJSON *kind, *rtname;
		int rc;

		res = cJSON_GetArrayItem(live, i);
		kind = cJSON_GetObjectItem(res, "kind");
		rtname = cJSON_GetObjectItem(res, "runtime");
		n++;
		if (cJSON_IsString(kind) && strcmp(kind->valuestring, "process") == 0) {
			rc = kill_process(res, log);
		} else if (cJSON_IsString(kind) &&
			   strcmp(kind->valuestring, "dir") == 0) {
			rc = remove_dir(res, log);
		} else if (cJSON_IsString(kind) &&
			   strcmp(kind->valuestring, "marker") == 0) {
			rc = sweep_marker(res, log);
		} else if (cJSON_IsString(kind) &&
			   strcmp(kind->valuestring, "netns") == 0) {
			rc = ib_net_cleanup_netns(
				cJSON_GetStringValue(cJSON_GetObjectItem(res, "netns")),
				log);
		} else if (cJSON_IsString(kind) &&
			   strcmp(kind->valuestring, "netif") == 0) {
			rc = ib_net_cleanup_netif(
				cJSON_GetStringValue(cJSON_GetObjectItem(res, "ifname")),
				log);
		} else {
			const struct ib_runtime_ops *ops =
				cJSON_IsString(rtname)
					? ib_runtime_find(rtname->valuestring)
					: NULL;
			struct ib_err e2 = {0};

			if (ops && ops->cleanup) {
				rc = ops->cleanup(ops, res, log, &e2);
				if (rc < 0)
					ib_buf_printf(log, "%s\n", e2.msg);
			} else {
				rc = -ENOTSUP;
				ib_buf_printf(log, "resource of unknown kind "
					      "left as is\n");
			}
		}
		if (rc < 0)
			failed++;
	}
	if (n == 0)
		ib_buf_printf(log, "%s: nothing left behind\n", run_dir);
	/* Mark the run clean, so a second cleanup has nothing to do. */
	if (failed == 0 && n > 0) {
		struct ib_state w = {.path = path};

		w.fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
		for (int i = 0; w.fd >= 0 && i < cJSON_GetArraySize(live); i++) {
			const cJSON *nm = cJSON_GetObjectItem(
				cJSON_GetArrayItem(live, i), "name");

			if (cJSON_IsString(nm))
				ib_state_del(&w, nm->valuestring, NULL);
		}
		if (w.fd >= 0)
			close(w.fd);
	}
	cJSON_Delete(live);
	close(fd);
	free(path);
	return failed;
}
