/* wrk: the HTTP load generator the applications benchmark drives, and
 * what it measured, read through its Lua done() hook.
 *
 * wrk prints its results as text meant for people. isobench does not
 * scrape that: it gives wrk a script (ib_wrk_write_script) whose done()
 * hook, which wrk calls with its own summary and latency histogram,
 * prints one line "isobench-wrk {JSON}" with the run's duration,
 * requests, bytes, errors by kind (connect, read, write, status: non-2xx
 * or 3xx responses, timeout) and latency (min, mean, max, p50, p90, p99,
 * p99.9, microseconds). ib_wrk_parse reads that line back and checks it
 * (the bytes come from a program, so they are checked like any input). */
#ifndef ISOBENCH_WRK_H
#define ISOBENCH_WRK_H

#include <stdint.h>

#include "base/util.h"

struct ib_wrk_opts {
	const char *wrk;      /* the wrk binary (a path) */
	const char *script;   /* the script ib_wrk_write_script wrote */
	const char *url;      /* http://ADDR:PORT/PATH */
	int threads;          /* wrk -t */
	int connections;      /* wrk -c (at least threads) */
	int seconds;          /* wrk -d, whole seconds */
	int timeout_s;        /* wrk --timeout: a response later is an error */
};

struct ib_wrk_result {
	double duration_s;
	double requests, bytes;
	double requests_per_s, mb_per_s; /* MB = 10^6 bytes */
	uint64_t err_connect, err_read, err_write, err_status, err_timeout;
	double lat_min_us, lat_mean_us, lat_max_us;
	double lat_p50_us, lat_p90_us, lat_p99_us, lat_p999_us;
};

/* Writes the done() script to path, created exclusively (0644). */
int ib_wrk_write_script(const char *path, struct ib_err *err);

/* wrk's command line for o, into argv (argv[0] is o->wrk). */
void ib_wrk_argv(const struct ib_wrk_opts *o, struct ib_strv *argv);

/* Reads the "isobench-wrk" line out of wrk's output into r. Returns 0,
 * or -1 with err naming what is missing or wrong. */
int ib_wrk_parse(const char *out, struct ib_wrk_result *r, struct ib_err *err);

/* Runs wrk with o (at most seconds + 30 s) and parses what it printed;
 * its whole output into *out if out is not NULL (the caller frees it).
 * 0, or -1 with err set (it could not run, failed, or printed no valid
 * result). */
int ib_wrk_run(const struct ib_wrk_opts *o, struct ib_wrk_result *r,
	       char **out, struct ib_err *err);

#endif
