/* emit: the probe's side of the record protocol (docs/protocol.md).
 *
 * Every record is built as one JSON object, framed with its checksum
 * (common/frame.h) and written with a single write(2), unbuffered, so that
 * a probe killed at any instant has already delivered every record it
 * finished, and nothing half-written can pass as a record. */
#ifndef ISOBENCH_PROBE_EMIT_H
#define ISOBENCH_PROBE_EMIT_H

#include <stdint.h>

#include "../common/protocol.h"

enum ib_direction { IB_HIGHER_IS_BETTER, IB_LOWER_IS_BETTER };

/* One parameter of a sample: a string (s != NULL) or a number. */
struct ib_pv {
	const char *key;
	const char *s;
	double n;
};
#define PV_STR(k, v) ((struct ib_pv){(k), (v), 0})
#define PV_NUM(k, v) ((struct ib_pv){(k), NULL, (double)(v)})

struct ib_timer_info {
	uint64_t res_ns;         /* clock_getres(CLOCK_MONOTONIC) */
	uint64_t granularity_ns; /* smallest step seen between two reads */
	double overhead_ns;      /* cost of one clock read */
};

/* Records go to fd (normally 1). */
void pb_emit_init(int fd);
/* Repetition index stamped on samples (the probe's --reps loop). */
void pb_emit_set_rep(int rep);
void pb_emit_hello(const struct ib_timer_info *t, double uptime_s,
		   const char *workload, int argc, char **argv);
/* A measurement. A non-finite value is turned into an error record. */
void pb_emit_sample(const char *bench, const char *metric, const char *unit,
		    enum ib_direction dir, double value, const struct ib_pv *params,
		    int nparams);
/* Context that explains results (sizes chosen, cache sizes, ...). */
void pb_emit_info_str(const char *bench, const char *key, const char *value);
void pb_emit_info_num(const char *bench, const char *key, double value);
/* reason: "unsupported" (the runtime lacks something: a syscall, O_DIRECT),
 * "failed" (an error while measuring), "invalid" (bad parameters). */
void pb_emit_error(const char *bench, const char *reason, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Last record: how many records came before it, and the exit status. */
void pb_emit_done(int status);

#endif
