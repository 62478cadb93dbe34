#include "cleanup/cleanup.h"


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

#include "base/hugepool.h"
#include "base/proc.h"
#include "base/thp.h"
#include "net/net_link.h"
#include "runtime/drivers/registry.h"

/* --- the generic kinds: processes, markers, directories --------------------- */

static int sweep_marker(struct ib_cleanup *cx, const cJSON *res)
{
	const char *m = cJSON_GetStringValue(cJSON_GetObjectItem(res, "marker"));
	int k;

	if (m && strcmp(m, cx->marker)) {
		ib_buf_printf(cx->log, "marker '%.100s' is not this run's (%s): "
			      "left alone\n", m, cx->marker);
		return -EPERM;
	}
	if (!cx->same_boot) {
		ib_buf_printf(cx->log, "processes marked %s: the run was on "
			      "another boot (or its boot is not recorded): "
			      "none left\n", cx->marker);
		return 0;
	}
	if (!ib_cleanup_act(cx, IB_ACT_KILL_MARKED, cx->marker, NULL))
		return 0;
	k = ib_cleanup_kill_group(-1, cx->marker);
	if (k)
		ib_buf_printf(cx->log, "killed %d process%s still marked %s\n", k,
			      k == 1 ? "" : "es", cx->marker);
	return 0;
}

static int kill_process(struct ib_cleanup *cx, const cJSON *res)
{
	const cJSON *pid = cJSON_GetObjectItem(res, "pid");
	const cJSON *st = cJSON_GetObjectItem(res, "starttime");
	unsigned long long now;
	char grp[32];
	long p;

	if (!cJSON_IsNumber(pid) || !cJSON_IsNumber(st) ||
	    pid->valuedouble <= 1 || pid->valuedouble > 4194304 ||
	    pid->valueint == getpid()) {
		ib_buf_printf(cx->log, "process record without a valid pid: "
			      "left alone\n");
		return -EINVAL;
	}
	p = pid->valueint;
	if (!cx->same_boot) {
		/* a process of another boot is gone by definition; its pid
		 * is someone else's now */
		ib_buf_printf(cx->log, "process %ld: of another boot (or one not "
			      "recorded): gone\n", p);
		return 0;
	}
	snprintf(grp, sizeof(grp), "%ld", p);
	now = ib_proc_starttime((pid_t)p);
	if (now == 0 || now != (unsigned long long)st->valuedouble ||
	    !ib_cleanup_has_marker(p, cx->marker)) {
		/* Gone (or a zombie, or its pid reused by a process that is
		 * not this run's), but what it started may live on in its
		 * group, out of PDEATHSIG's reach: those with the marker. */
		int k = 0;

		if (ib_cleanup_act(cx, IB_ACT_KILL_MARKED, cx->marker, grp))
			k = ib_cleanup_kill_group((int)p, cx->marker);
		if (k)
			ib_buf_printf(cx->log, "process %ld: already gone; killed "
				      "%d process%s it left in its group\n", p, k,
				      k == 1 ? "" : "es");
		else if (!cx->dry_run)
			ib_buf_printf(cx->log, "process %ld: already gone\n", p);
		return 0;
	}
	if (!ib_cleanup_act(cx, IB_ACT_KILL, grp, cx->marker))
		return 0;
	/* It carries the run's marker and leads the group isobench made for
	 * it (proc.c): the group is the run's; else only the process. */
	if (getpgid((pid_t)p) == (pid_t)p)
		kill(-(pid_t)p, SIGKILL);
	kill((pid_t)p, SIGKILL);
	for (int i = 0; i < 200; i++) {
		struct timespec nap = {0, 5000000};

		if (ib_proc_starttime((pid_t)p) != now)
			break;
		waitpid((pid_t)p, NULL, WNOHANG);
		nanosleep(&nap, NULL);
	}
	if (ib_proc_starttime((pid_t)p) == now) {
		ib_buf_printf(cx->log, "process %ld: still running after "
			      "SIGKILL\n", p);
		return -EBUSY;
	}
	ib_buf_printf(cx->log, "process %ld: killed\n", p);
	return 0;
}

static int remove_dir(struct ib_cleanup *cx, const cJSON *res)
{
	const char *path = cJSON_GetStringValue(cJSON_GetObjectItem(res, "path"));
	struct ib_err e = {0};
	struct stat st;
	int rc;

	if (ib_cleanup_path_ok(cx, path, &e) < 0) {
		ib_buf_printf(cx->log, "directory: %s\n", e.msg);
		return e.code;
	}
	if (lstat(path, &st) != 0 && errno == ENOENT) {
		ib_buf_printf(cx->log, "directory %s: already gone\n", path);
		return 0;
	}
	if (!ib_cleanup_act(cx, IB_ACT_RMTREE, path, NULL))
		return 0;
	ib_unmount_under(path);
	rc = ib_rmtree(path);
	ib_buf_printf(cx->log, "directory %s: %s\n", path,
		      rc == 0 ? "removed" : strerror(-rc));
	return rc;
}

/* --- cleanup: the run ----------------------------------------------------- */

/* The state file's directory and the file: the caller's (root: root's),
 * writable by no one else; the file a regular one, not a link. */
static int check_owner(const struct ib_cleanup *cx, const char *what,
		       const struct stat *st, struct ib_err *err)
{
	uid_t want = cx->as_root ? 0 : geteuid();

	if (st->st_uid != want)
		return ib_err_set(err, -EPERM, "%s belongs to uid %u, not %s: "
				  "refusing to act on what it says",
				  what, (unsigned)st->st_uid,
				  cx->as_root ? "root" : "you");
	if (st->st_mode & 022)
		return ib_err_set(err, -EPERM, "%s may be written by others "
				  "(mode %03o): refusing to act on what it says",
				  what, (unsigned)(st->st_mode & 0777));
	return 0;
}

static int open_state(struct ib_cleanup *cx, const char *run_dir,
		      struct ib_err *err)
{
	struct stat st;
	char *what;
	int rc;

	cx->run_dir = realpath(run_dir, NULL);
	if (!cx->run_dir)
		return ib_err_set(err, -errno, "%s: %s", run_dir, strerror(errno));
	cx->dirfd = open(cx->run_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
			 O_CLOEXEC);
	if (cx->dirfd < 0 || fstat(cx->dirfd, &st) != 0)
		return ib_err_set(err, -errno, "%s: %s", cx->run_dir,
				  strerror(errno));
	if ((rc = check_owner(cx, cx->run_dir, &st, err)) < 0)
		return rc;
	what = ib_xasprintf("%s/state.jsonl", cx->run_dir);
	cx->fd = openat(cx->dirfd, "state.jsonl",
			O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (cx->fd < 0) {
		rc = ib_err_set(err, -errno, "%s: %s", what,
				errno == ELOOP ? "a symlink, not isobench's "
						 "state file" : strerror(errno));
	} else if (fstat(cx->fd, &st) != 0) {
		rc = ib_err_set(err, -errno, "%s: %s", what, strerror(errno));
	} else if (!S_ISREG(st.st_mode)) {
		rc = ib_err_set(err, -EPERM, "%s is not a regular file", what);
	} else if ((rc = check_owner(cx, what, &st, err)) == 0 &&
		   flock(cx->fd, LOCK_EX | LOCK_NB) != 0) {
		rc = ib_err_set(err, -EBUSY, "%s: the run is still alive (its "
				"state file is locked); stop it first",
				cx->run_dir);
	}
	free(what);
	return rc;
}

static char *read_fd(int fd, size_t max)
{
	struct ib_buf b = {0};
	char buf[65536];
	ssize_t n;

	while (b.len < max && (n = read(fd, buf, sizeof(buf))) > 0)
		ib_buf_put(&b, buf, (size_t)n);
	if (!b.s)
		ib_buf_puts(&b, "");
	return b.s;
}

/* The run id: the header's (the first line), else (a state file of
 * before the header) the marker record's. */
static int derive_id(struct ib_cleanup *cx, cJSON *first, struct ib_err *err)
{
	const char *op = cJSON_GetStringValue(cJSON_GetObjectItem(first, "op"));
	const char *id = NULL, *boot = NULL;
	char here[40];

	if (op && !strcmp(op, "run")) {
		id = cJSON_GetStringValue(cJSON_GetObjectItem(first, "run_id"));
		boot = cJSON_GetStringValue(cJSON_GetObjectItem(first, "boot_id"));
	} else if (op && !strcmp(op, "add")) {
		const char *m = cJSON_GetStringValue(
			cJSON_GetObjectItem(first, "marker"));

		if (m && !strncmp(m, "ISOBENCH_RUN=", 13))
			id = m + 13;
	}
	if (!ib_run_id_valid(id))
		return ib_err_set(err, -EINVAL, "%s/state.jsonl names no valid run "
				  "id (\"%.40s\"): nothing can be derived from it",
				  cx->run_dir, id ? id : "none");
	snprintf(cx->run_id, sizeof(cx->run_id), "%s", id);
	snprintf(cx->marker, sizeof(cx->marker), "ISOBENCH_RUN=%s", id);
	ib_boot_id(here);
	cx->same_boot = boot && *boot && !strcmp(boot, here);
	return 0;
}

/* The run id is registered (a live or killed run) to another
 * directory: this one is a copy, or a forgery naming that run. */
static int check_registry(struct ib_cleanup *cx, const char *reg,
			  struct ib_err *err)
{
	char *entry = ib_xasprintf("%s/%s", reg, cx->run_id);
	char *target = ib_read_file(entry, NULL, NULL), *abs = NULL;
	int rc = 0;

	if (target && *ib_trim(target)) {
		abs = realpath(target, NULL);
		if (abs && strcmp(abs, cx->run_dir))
			rc = ib_err_set(err, -EBUSY, "run %s is registered at %s, "
					"not %s: refusing to act for it from "
					"here", cx->run_id, abs, cx->run_dir);
	}
	free(abs);
	free(target);
	free(entry);
	return rc;
}

/* A growth of the host's huge page pool (base/hugepool.h), given back.
 * The record's figures are data, bounded; only the two page sizes isobench
 * manages are ever written. */
static int give_back_hugepages(struct ib_cleanup *cx, const cJSON *res)
{
	const cJSON *kb = cJSON_GetObjectItem(res, "page_kb");
	const cJSON *before = cJSON_GetObjectItem(res, "before");
	const cJSON *added = cJSON_GetObjectItem(res, "added");
	struct ib_err e = {0};
	char what[64];

	if (!cJSON_IsNumber(kb) || !cJSON_IsNumber(before) ||
	    !cJSON_IsNumber(added) ||
	    !ib_hugepool_size_ok((unsigned long)kb->valuedouble) ||
	    kb->valuedouble != (double)(unsigned long)kb->valuedouble ||
	    before->valuedouble < 0 || before->valuedouble > 1e7 ||
	    added->valuedouble < 1 || added->valuedouble > 1e7) {
		ib_buf_printf(cx->log, "huge page record without a valid page "
			      "size and counts: left alone\n");
		return -EINVAL;
	}
	if (!cx->same_boot) {
		ib_buf_printf(cx->log, "huge pages: grown on another boot (or "
			      "one not recorded): the pool was reset then\n");
		return 0;
	}
	snprintf(what, sizeof(what), "hugepages-%lukB -%lu",
		 (unsigned long)kb->valuedouble,
		 (unsigned long)added->valuedouble);
	if (!ib_cleanup_act(cx, IB_ACT_HUGEPAGES, what, NULL))
		return 0;
	if (ib_hugepool_give_back((unsigned long)kb->valuedouble,
				  (unsigned long)before->valuedouble,
				  (unsigned long)added->valuedouble, cx->log,
				  &e) < 0) {
		ib_buf_printf(cx->log, "%s\n", e.msg);
		return e.code;
	}
	return 0;
}

/* The host's THP mode as the run found it, put back (base/thp.h) if it
 * is still the one the run set. Only the three modes are ever written. */
static int restore_thp(struct ib_cleanup *cx, const cJSON *res)
{
	const char *before = cJSON_GetStringValue(cJSON_GetObjectItem(res, "before"));
	const char *set = cJSON_GetStringValue(cJSON_GetObjectItem(res, "set"));
	struct ib_err e = {0};

	if (!ib_thp_mode_ok(before) || !ib_thp_mode_ok(set)) {
		ib_buf_printf(cx->log, "THP record without two valid modes: "
			      "left alone\n");
		return -EINVAL;
	}
	if (!cx->same_boot) {
		ib_buf_printf(cx->log, "THP mode: set on another boot (or one "
			      "not recorded): the boot reset it\n");
		return 0;
	}
	if (!ib_cleanup_act(cx, IB_ACT_THP, before, set))
		return 0;
	if (ib_thp_restore(before, set, cx->log, &e) < 0) {
		ib_buf_printf(cx->log, "%s\n", e.msg);
		return e.code;
	}
	return 0;
}

static int netif_or_netns(struct ib_cleanup *cx, const cJSON *res, int netns)
{
	const char *n = cJSON_GetStringValue(
		cJSON_GetObjectItem(res, netns ? "netns" : "ifname"));

	return netns ? ib_net_cleanup_netns(cx, n) : ib_net_cleanup_netif(cx, n);
}

static int remove_one(struct ib_cleanup *cx, const cJSON *res)
{
	const char *kind = cJSON_GetStringValue(cJSON_GetObjectItem(res, "kind"));
	const char *rtname = cJSON_GetStringValue(cJSON_GetObjectItem(res, "runtime"));
	const struct ib_runtime_ops *ops;
	struct ib_err e = {0};
	int rc;

	if (kind && !strcmp(kind, "process"))
		return kill_process(cx, res);
	if (kind && !strcmp(kind, "dir"))
		return remove_dir(cx, res);
	if (kind && !strcmp(kind, "marker"))
		return sweep_marker(cx, res);
	if (kind && !strcmp(kind, "netns"))
		return netif_or_netns(cx, res, 1);
	if (kind && !strcmp(kind, "netif"))
		return netif_or_netns(cx, res, 0);
	if (kind && !strcmp(kind, "hugepages"))
		return give_back_hugepages(cx, res);
	if (kind && !strcmp(kind, "thp"))
		return restore_thp(cx, res);
	ops = rtname ? ib_runtime_find(rtname) : NULL;
	if (!ops || !ops->cleanup) {
		ib_buf_printf(cx->log, "resource of unknown kind left as is\n");
		return -ENOTSUP;
	}
	rc = ops->cleanup(ops, cx, res, &e);
	if (rc < 0)
		ib_buf_printf(cx->log, "%s\n", e.msg);
	return rc;
}

int ib_cleanup_run(const char *run_dir, const struct ib_cleanup_opts *o,
		   struct ib_buf *log, struct ib_cleanup *out,
		   struct ib_err *err)
{
	static const struct ib_cleanup_opts none = {0};
	struct ib_cleanup cx;
	const char *rtd = getenv("ISOBENCH_RUNTIME_DIR");
	char *text = NULL, *save = NULL, *line;
	cJSON *live = cJSON_CreateArray(), *first = NULL;
	int failed = 0, n = 0, rc, torn = 0;

	if (!o)
		o = &none;
	memset(&cx, 0, sizeof(cx));
	cx.dirfd = cx.fd = cx.wfd = -1;
	cx.dry_run = o->dry_run;
	cx.as_root = geteuid() == 0;
	cx.log = log;
	/* the runtime directory the run used: the same rule (util.h) */
	cx.runtime_dir = o->runtime_dir ? ib_xstrdup(o->runtime_dir)
					: ib_runtime_dir_path();
	if (!cx.runtime_dir) {
		rc = ib_err_set(err, -EINVAL, "ISOBENCH_RUNTIME_DIR='%s' is not "
				"an absolute path", rtd ? rtd : "");
		goto out;
	}
	if ((rc = open_state(&cx, run_dir, err)) < 0)
		goto out;
	text = read_fd(cx.fd, 64 << 20);
	torn = text && *text && text[strlen(text) - 1] != '\n';
	/* The header first, then the replay: adds minus dels, in order of
	 * creation. */
	line = strtok_r(text, "\n", &save);
	first = line ? cJSON_Parse(line) : NULL;
	if ((rc = derive_id(&cx, first, err)) < 0)
		goto out;
	if (o->registry_dir || !o->dry_run) {
		char *reg = o->registry_dir ? ib_xstrdup(o->registry_dir)
					    : ib_registry_dir();

		rc = check_registry(&cx, reg, err);
		free(reg);
		if (rc < 0)
			goto out;
	}
	for (; line; line = strtok_r(NULL, "\n", &save)) {
		cJSON *obj = cJSON_Parse(line);
		const char *op = cJSON_GetStringValue(cJSON_GetObjectItem(obj, "op"));
		const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(obj, "name"));

		if (!obj || !op || !name) {
			cJSON_Delete(obj); /* a header, or a torn last line */
			continue;
		}
		if (strcmp(op, "add") == 0) {
			cJSON_AddItemToArray(live, obj);
			continue;
		}
		for (int i = cJSON_GetArraySize(live) - 1; i >= 0; i--) {
			const char *nm = cJSON_GetStringValue(cJSON_GetObjectItem(
				cJSON_GetArrayItem(live, i), "name"));

			if (nm && strcmp(nm, name) == 0) {
				cJSON_DeleteItemFromArray(live, i);
				break;
			}
		}
		cJSON_Delete(obj);
	}
	ib_cleanup_find_work(&cx, live);
	if (!cx.dry_run)
		cx.wfd = openat(cx.dirfd, "state.jsonl",
				O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
	/* A line torn by the kill ends the file: the first "del" would be
	 * glued to it and lost (and its resource acted on again by the next
	 * cleanup), so the torn line is ended first. */
	if (torn && cx.wfd >= 0 && write(cx.wfd, "\n", 1) != 1)
		ib_buf_printf(log, "%s/state.jsonl: cannot end its torn last "
			      "line: %s\n", cx.run_dir, strerror(errno));
	/* Remove in reverse order of creation: instances before what they
	 * were built on. Each removal is struck off at once: a record that
	 * keeps failing does not hold back the others. */
	for (int i = cJSON_GetArraySize(live) - 1; i >= 0; i--) {
		const cJSON *res = cJSON_GetArrayItem(live, i);
		const char *nm = cJSON_GetStringValue(cJSON_GetObjectItem(res, "name"));

		n++;
		if (remove_one(&cx, res) < 0) {
			failed++;
		} else if (cx.wfd >= 0) {
			struct ib_state w = {.fd = cx.wfd, .path = cx.run_dir};

			ib_state_del(&w, nm, NULL);
		}
	}
	if (n == 0)
		ib_buf_printf(log, "%s: nothing left behind\n", cx.run_dir);
	rc = failed;
out:
	cJSON_Delete(first);
	cJSON_Delete(live);
	free(text);
	if (out)
		*out = cx;
	else
		ib_cleanup_free(&cx);
	return rc;
}
