/* synthetic.h: the tests of the reports' statistics (findings, knobs)
 * build a run from the events a run logs, written by hand: feed_event
 * parses one (printf-style) and feeds it, failing the test on an event
 * the results builder refuses. */
#ifndef ISOBENCH_SYNTHETIC_H
#define ISOBENCH_SYNTHETIC_H

#include "unit.h"

#include "results/results.h"

__attribute__((format(printf, 2, 3), unused))
static void feed_event(struct ib_results *r, const char *fmt, ...)
{
	va_list ap;
	char text[4096];
	cJSON *ev;
	struct ib_err err = {0};

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	ev = cJSON_Parse(text);
	if (!ev)
		fail_msg("bad synthetic event: %s", text);
	if (ib_results_feed(r, ev, &err) < 0)
		fail_msg("event refused: %s: %s", err.msg, text);
	cJSON_Delete(ev);
}

#endif
