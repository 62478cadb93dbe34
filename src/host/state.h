/* state: the run's record of every resource it creates, for cleanup.
 *
 * state.jsonl in the run directory gets an "add" line before a resource is
 * created and a "del" line after it is gone; the run holds an exclusive
 * flock on it while alive. A small registry (one file per live run, in
 * runs/ of isobench's runtime directory, ib_runtime_dir) points at run
 * directories, so `isobench cleanup` finds what a killed run left behind
 * without being told where it was. Generic kinds are handled here:
 *   process  {"pid", "starttime"}: SIGKILL to its group and itself, only
 *            if pid and start time still match (no pid reuse accidents)
 *   dir      {"path"}: removed recursively (mounts below it detached)
 *   marker   {"marker"}: every process whose environment holds it killed
 *   netns    {"netns"}, netif {"ifname"}: a network namespace or interface
 *            of net_link.h, deleted (only names of its pattern)
 * Any other kind names its "runtime", whose driver's cleanup removes it. */
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

/* Removes every leftover of the run in run_dir, appending one line per
 * action to log. Refuses (-EBUSY) if the run is still alive (its state
 * file is locked). Returns the number of leftovers it could not remove
 * (0 = clean) or a negative errno. */
int ib_cleanup_run(const char *run_dir, struct ib_buf *log,
		   struct ib_err *err);

#endif
