/* cleanup: `isobench cleanup DIR`, the removal of whatever a run left
 * behind (a kill -9, a crash, a power cut), from its journal.
 *
 * Cleanup trusts nothing in state.jsonl but the run id (its shape
 * checked), and the file only if it and its directory belong to the
 * caller and no one else may write them. Every action is rebuilt from
 * that id and isobench's fixed locations, never replayed from the file:
 * paths only under the run's work directory (basename isobench-<run id>)
 * or the run's entries of the runtime directory (/run/isobench/docker-<id>,
 * ...), with no symlink on the way; names only isobench-<run id>-*;
 * processes only those whose environment carries ISOBENCH_RUN=<run id>,
 * and only on the boot the run was made on. Generic kinds are handled
 * here:
 *   process  {"pid", "starttime"}: SIGKILL to it (and its group, which
 *            isobench made for it) if its start time still matches and it
 *            carries the run's marker
 *   dir      {"path"}: removed recursively (mounts below it detached)
 *   marker   {"marker"}: every process whose environment holds it killed
 *   netns    {"netns"}, netif {"ifname"}: a network namespace or interface
 *            of net/net_link.h, deleted (only names of its exact pattern
 *            for this run id)
 * Any other kind names its "runtime", whose driver's cleanup op removes it
 * through the same context (state/state.h). */
#ifndef ISOBENCH_CLEANUP_H
#define ISOBENCH_CLEANUP_H

#include "state/state.h"

struct ib_cleanup_opts {
	int dry_run;              /* report, do nothing */
	const char *runtime_dir;  /* NULL: $ISOBENCH_RUNTIME_DIR or /run/isobench */
	const char *registry_dir; /* NULL: ib_registry_dir() (a dry run: none) */
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

#endif
