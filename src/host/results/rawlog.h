/* rawlog: raw.jsonl, the run's log of everything that happened, one JSON
 * event per line (docs/results-schema.md lists the events).
 *
 * Written append-only, one write(2) per event, so an interrupted run keeps
 * every event up to the interruption and a reader never sees half an event
 * except possibly the very last line, which the reader then skips with a
 * warning. Everything else isobench writes about a run (results.json, CSV,
 * reports) is computed from this file alone. */
#ifndef ISOBENCH_RAWLOG_H
#define ISOBENCH_RAWLOG_H

#include <cjson/cJSON.h>

#include "base/util.h"

struct ib_rawlog {
	int fd;
	char *path;
};

/* Creates path (which must not exist). */
int ib_rawlog_create(struct ib_rawlog *log, const char *path,
		     struct ib_err *err);
/* Appends one event as one line. */
int ib_rawlog_append(struct ib_rawlog *log, const cJSON *ev,
		     struct ib_err *err);
void ib_rawlog_sync(struct ib_rawlog *log);
void ib_rawlog_close(struct ib_rawlog *log);

/* Calls fn(user, event, line number) for every event of path, in order.
 * The log is the source of truth, so a damaged line costs only itself: a
 * line that is not a JSON object (or holds a NUL byte), or whose event fn
 * rejects (returns < 0 with its err set), is skipped and named in warnings
 * ("PATH:LINE: REASON: damaged line skipped"; past 100 such lines, one
 * count), and the rest is read. Only the first event is vital: if it is
 * damaged or rejected, the file is refused as not a raw log (an error
 * naming the file and line). A final line without its newline is skipped
 * and noted in warnings (an interrupted run, not damage). Returns the
 * number of damaged lines skipped, or < 0 with err. */
typedef int (*ib_rawlog_fn)(void *user, const cJSON *ev, int line,
			    struct ib_err *err);
int ib_rawlog_read(const char *path, ib_rawlog_fn fn, void *user,
		   struct ib_strv *warnings, struct ib_err *err);

#endif
