/* thp: the host's transparent huge page mode
 * (/sys/kernel/mm/transparent_hugepage/enabled), set for a run and put
 * back after it.
 *
 * A host-global setting: the run records the mode it found and the one
 * it set in the state file before it writes, and puts the found one back
 * when it ends (also on SIGINT), or `isobench cleanup` does after a kill
 * -9; only if the mode is still the one the run set (someone who changed
 * it since keeps their change). Only the three modes are ever written,
 * whatever a record says. */
#ifndef ISOBENCH_THP_H
#define ISOBENCH_THP_H

#include "base/util.h"

/* 1 if mode is always, madvise or never. */
int ib_thp_mode_ok(const char *mode);
/* The mode now (the bracketed word) into out. 0 or -errno. */
int ib_thp_read(char *out, size_t cap, struct ib_err *err);
/* Sets the mode (one of the three) and reads it back. 0 or -errno. */
int ib_thp_set(const char *mode, struct ib_err *err);
/* Puts before back if the mode is still set; log (may be NULL) says
 * what was done. 0 or -errno. */
int ib_thp_restore(const char *before, const char *set, struct ib_buf *log,
		   struct ib_err *err);

#endif
