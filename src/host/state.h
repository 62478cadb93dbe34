/* state: the run's record of every resource it creates, for cleanup.
 *
 * state.jsonl in the run directory starts with a header line (the run id
 * and the boot id), then gets an "add" line before a resource is created
 * and a "del" line after it is gone; the run holds an exclusive flock on
 * it while alive. A small registry (one file per live run, in runs/ of
 * isobench's runtime directory, ib_runtime_dir) points at run
 * directories, so `isobench cleanup` finds what a killed run left behind
 * without being told where it was.
 *
 * Cleanup trusts nothing in the file but the run id (its shape checked),
 * and the file only if it and its directory belong to the caller and no
 * one else may write them. Every action is rebuilt from that id and
 * isobench's fixed locations, never replayed from the file: paths only
 * under the run's work directory (basename isobench-<run id>) or the
 * run's entries of the runtime directory (/run/isobench/docker-<id>, ...),
 * with no symlink on the way; names only isobench-<run id>-*; processes
 * only those whose environment carries ISOBENCH_RUN=<run id>, and only
 * on the boot the run was made on. Generic kinds are handled here:
 *   process  {"pid", "starttime"}: SIGKILL to it (and its group, which
 *            isobench made for it) if its start time still matches and it
 *            carries the run's marker
 *   dir      {"path"}: removed recursively (mounts below it detached)
 *   marker   {"marker"}: every process whose environment holds it killed
 *   netns    {"netns"}, netif {"ifname"}: a network namespace or interface
 *            of net_link.h, deleted (only names of its exact pattern for
 *            this run id)
 * Any other kind names its "runtime", whose driver's cleanup removes it
 * through the same checks (ib_cleanup_name_ok, ib_cleanup_path_ok) and
 * the same door (ib_cleanup_act), which in a dry run only reports. */
#ifndef ISOBENCH_STATE_H
#define ISOBENCH_STATE_H

#include <cjson/cJSON.h>

#include "util.h"

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
int ib_state_add_dir(struct ib_state *s, const char *name, const char *path,
		     struct ib_err *err);
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
};

struct ib_cleanup_action {
	enum ib_cleanup_act act;
	char *target;
	char *detail;
	struct ib_strv argv; /* IB_ACT_EXEC */
};

struct ib_cleanup_opts {
	int dry_run;              /* report, do nothing */
	const char *runtime_dir;  /* NULL: $ISOBENCH_RUNTIME_DIR or /run/isobench */
	const char *registry_dir; /* NULL: ib_registry_dir() (a dry run: none) */
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

/* Removes every leftover of the run in run_dir (a dry run: says what it
 * would remove), appending one line per action to log. Refuses (-EBUSY)
 * if the run is still alive (its state file is locked), -EPERM if the
 * state file or its directory may be written by anyone but the caller
 * (root: by anyone but root), -EINVAL if the file names no valid run id.
 * Each record removed gets its "del" line at once. Returns the number of
 * leftovers it could not remove (0 = clean) or a negative errno. If cx is
 * not NULL, it is filled (what was derived, every action) and the caller
 * frees it with ib_cleanup_free. */
int ib_cleanup_run(const char *run_dir, const struct ib_cleanup_opts *o,
		   struct ib_buf *log, struct ib_cleanup *cx,
		   struct ib_err *err);
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

#endif
