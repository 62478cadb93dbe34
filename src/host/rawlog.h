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

#include "util.h"

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
 * A final line without its newline is skipped and noted in warnings; any
 * other line that is not a JSON object is an error naming the file and
 * line. fn may return < 0 (with err set) to stop. */
typedef int (*ib_rawlog_fn)(void *user, const cJSON *ev, int line,
			    struct ib_err *err);
int ib_rawlog_read(const char *path, ib_rawlog_fn fn, void *user,
		   struct ib_strv *warnings, struct ib_err *err);

#endif
