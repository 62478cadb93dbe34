/* state: the run's journal of every resource it creates (state.jsonl),
 * run ids, and the context cleanup acts through.
 *
 * state.jsonl in the run directory starts with a header line (the run id
 * and the boot id), then gets an "add" line before a resource is created
 * and a "del" line after it is gone; the run holds an exclusive flock on
 * it while alive. A small registry (one file per live run, in runs/ of
 * isobench's runtime directory, ib_runtime_dir) points at run
 * directories, so `isobench cleanup` (cleanup/cleanup.h) finds what a
 * killed run left behind without being told where it was.
 *
 * The cleanup context (struct ib_cleanup) is what every remover acts
 * through, the generic ones of cleanup/ and the drivers' cleanup ops:
 * the checks (ib_cleanup_name_ok, ib_cleanup_path_ok) that confine it to
 * what the run id derives, and the one door (ib_cleanup_act) that logs
 * each action and in a dry run only reports it. It lives here, below the
 * drivers, so that they depend on it and cleanup on them, not both ways. */
#ifndef ISOBENCH_STATE_H
#define ISOBENCH_STATE_H

#include <cjson/cJSON.h>

#include "base/util.h"

struct ib_state {
	int fd;
	char *path;
	char *registry_entry; /* file in the registry, removed at close */
};

/* Creates run_dir/state.jsonl, locks it and registers the run. */
int ib_state_open(struct ib_state *s, const char *run_dir, const char *run_id,
		  struct ib_err *err);
/* Records res (an object with at least "kind" and "name") as about to
 * exist. Takes ownership of res. */
int ib_state_add(struct ib_state *s, cJSON *res, struct ib_err *err);
/* Records that the resource called name is gone. */
int ib_state_del(struct ib_state *s, const char *name, struct ib_err *err);
/* Unlocks, closes and unregisters (the run ended and cleaned up). */
void ib_state_close(struct ib_state *s);

/* Convenience records for the generic kinds. */
int ib_state_add_process(struct ib_state *s, const char *name, int pid,
			 unsigned long long starttime, struct ib_err *err);
/* The same for an instance's process, which carries the run's marker
 * (ISOBENCH_RUN=<run id> in its environment) for cleanup to check. */
int ib_state_add_marked_process(struct ib_state *s, const char *name,
				int pid, unsigned long long starttime,
				const char *run_id, struct ib_err *err);
int ib_state_add_dir(struct ib_state *s, const char *name, const char *path,
		     struct ib_err *err);
/* A growth of the host's huge page pool (base/hugepool.h): the pool was
 * before pages of page_kb, added more are about to be added. */
int ib_state_add_hugepages(struct ib_state *s, const char *name,
			   unsigned long page_kb, unsigned long before,
			   unsigned long added, struct ib_err *err);
/* The run's marker (ISOBENCH_RUN=<run id> in the environment of all it
 * starts): cleanup kills whatever still carries it. */
int ib_state_add_marker(struct ib_state *s, const char *run_id,
			struct ib_err *err);

/* The registry directory, runs/ in ib_runtime_dir() (created on demand).
 * Caller frees; NULL if the runtime directory is unusable. */
char *ib_registry_dir(void);

/* --- run ids ------------------------------------------------------------ */

/* A new run id: "YYYYmmdd-HHMMSS-xxxx" (local time, then 16 bits of the
 * clock's microseconds and the pid, in hex). */
void ib_run_id_make(char *buf, size_t cap);
/* 1 if id has exactly that shape (year 1970..2399), else 0: only such an
 * id names anything cleanup acts on. */
int ib_run_id_valid(const char *id);
/* This boot's id (/proc/sys/kernel/random/boot_id), or "" if unknown. */
void ib_boot_id(char out[40]);

/* --- cleanup ------------------------------------------------------------ */

/* What cleanup does, each through ib_cleanup_act (which logs it, keeps
 * it in the list, and in a dry run stops it). */
enum ib_cleanup_act {
	IB_ACT_RMTREE,      /* target: a directory, removed with its content */
	IB_ACT_UNLINK,      /* target: a file */
	IB_ACT_CGROUP,      /* target: a cgroupsPath (/isobench/<id>/...),
			       rmdir'ed in every hierarchy where empty */
	IB_ACT_KILL,        /* target: a pid (and its group); detail: the
			       marker its environment carries */
	IB_ACT_KILL_MARKED, /* target: a marker: every process carrying it
			       (detail: a process group, or NULL: all) */
	IB_ACT_EXEC,        /* argv: a command (runc delete, ctr, containerd) */
	IB_ACT_ENGINE,      /* target: "container|image|network NAME" through
			       an engine's API; detail: its socket */
	IB_ACT_NETIF,       /* target: an interface, deleted */
	IB_ACT_NETNS,       /* target: a network namespace, deleted */
	IB_ACT_HUGEPAGES,   /* target: "hugepages-<kB>kB -N": the pages a
			       run added to the host's pool, given back */
	IB_ACT_THP,         /* target: the THP mode to put back; detail:
			       the one the run set */
};

struct ib_cleanup_action {
	enum ib_cleanup_act act;
	char *target;
	char *detail;
	struct ib_strv argv; /* IB_ACT_EXEC */
};

/* One cleanup of one run directory, what it derived and what it did. */
struct ib_cleanup {
	char run_id[64];       /* valid (ib_run_id_valid) */
	char marker[96];       /* "ISOBENCH_RUN=<run id>" */
	char *run_dir;         /* realpath */
	char *work;            /* the run's work directory, checked; or NULL */
	char *runtime_dir;     /* "/run/isobench" */
	int same_boot;         /* the state file's boot id is this boot's */
	int dry_run;
	int as_root;
	struct ib_buf *log;
	struct ib_cleanup_action *acts;
	int nacts;
	int dirfd, fd, wfd;    /* the run directory, state.jsonl (locked),
				  and for appending "del" lines */
};

/* Frees what cx holds (a cleanup's result, ib_cleanup_run's cx). */
void ib_cleanup_free(struct ib_cleanup *cx);

/* For drivers' cleanup ops: */
/* 1 if name is "isobench-<run id>-" and more of [A-Za-z0-9_.-]. */
int ib_cleanup_name_ok(const struct ib_cleanup *cx, const char *name);
/* 0 if path may be acted on: absolute, no "." / ".." / "//", under the
 * run's work directory or one of its runtime directory entries
 * (docker-<id>, oci-<id>, containerd-<id>, isobench-fc-<id>, <id>-qemu-*), and no
 * existing component a symlink. Else -EPERM with err naming it. */
int ib_cleanup_path_ok(const struct ib_cleanup *cx, const char *path,
		       struct ib_err *err);
/* Logs and records action act; returns 1 if the caller goes ahead, 0 in
 * a dry run (the log says what would be done). */
int ib_cleanup_act(struct ib_cleanup *cx, enum ib_cleanup_act act,
		   const char *target, const char *detail);
/* The same for a command: argv NULL-terminated. */
int ib_cleanup_act_exec(struct ib_cleanup *cx, const char *const *argv);
/* Kills every process carrying the run's marker (same boot only; a dry
 * run says so and kills nothing): for a driver whose leftovers are busy
 * with processes the marker sweep would end only later. Returns how many
 * it killed. */
int ib_cleanup_kill_marked(struct ib_cleanup *cx);
/* The run's entry NAME of the runtime directory: "<runtime dir>/NAME".
 * Caller frees. */
char *ib_cleanup_rt_path(const struct ib_cleanup *cx, const char *name);

/* For cleanup itself: */
/* 1 if the environment of pid holds marker exactly. */
int ib_cleanup_has_marker(long pid, const char *marker);
/* SIGKILL to the members of process group pgid (< 0: of every group)
 * whose environment holds marker; returns how many. */
int ib_cleanup_kill_group(int pgid, const char *marker);
/* Sets cx->work to the run's work directory from its "work" record in
 * live (the records still alive), only if it is what the runner makes
 * (basename isobench-<run id>, a real directory of the caller's);
 * otherwise logs why nothing in it is touched. */
void ib_cleanup_find_work(struct ib_cleanup *cx, const cJSON *live);

#endif
