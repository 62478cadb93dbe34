/* sysbench_oltp: the database load generator the mariadb benchmark
 * drives (Debian's sysbench 1.0 and its OLTP scripts), and what it
 * measured.
 *
 * sysbench prints its results as text meant for people. isobench gives it
 * a wrapper script (ib_sysbench_write_script) that runs Debian's own test
 * script unchanged and replaces the report_cumulative hook: sysbench
 * calls it with its own counters, and it prints one line
 * "isobench-sysbench {JSON}" (duration, events, queries by kind, errors,
 * reconnects, latency mean, max and the --percentile one, 95). sysbench
 * 1.0 resets its latency histogram before that hook runs, so the p99 is
 * not there to ask for: it comes from the histogram sysbench prints itself
 * (--histogram), its buckets (value in ms, count) read with bounds checks,
 * and checked against the hook's figures before any is taken: its counts
 * add up to the transactions, its p95 is the hook's.
 * ib_sysbench_parse reads both back (the bytes come from a program, so
 * they are checked like any input; fuzzed: tests/fuzz/fuzz_sysbench.c). */
#ifndef ISOBENCH_SYSBENCH_OLTP_H
#define ISOBENCH_SYSBENCH_OLTP_H

#include "base/util.h"

struct ib_sysbench_opts {
	const char *sysbench; /* the sysbench binary (a path) */
	const char *script;   /* the wrapper ib_sysbench_write_script wrote */
	const char *host;     /* the server's address (TCP), or NULL: */
	const char *socket;   /* its Unix socket (preparation on the host) */
	int port;
	const char *user, *password;
	int tables, table_size; /* the data set: as prepared */
	int threads;            /* sysbench --threads */
	int seconds;            /* sysbench --time (run) */
	const char *command;    /* "run" or "prepare" */
};

struct ib_sysbench_result {
	double time_s;
	double events;                     /* transactions */
	double reads, writes, other;       /* queries by kind */
	double errors, reconnects;
	double transactions_per_s, queries_per_s;
	double lat_avg_ms, lat_max_ms, lat_p95_ms, lat_p99_ms;
};

/* Test names Debian ships (oltp_read_only): letters, digits, '_'. */
int ib_sysbench_test_ok(const char *test);

/* Writes the wrapper of Debian's test script test (in dir, the scripts'
 * directory, /usr/share/sysbench) to path, created exclusively (0644). */
int ib_sysbench_write_script(const char *path, const char *dir,
			     const char *test, struct ib_err *err);

/* sysbench's command line for o, into argv (argv[0] is o->sysbench). */
void ib_sysbench_argv(const struct ib_sysbench_opts *o, struct ib_strv *argv);

/* Reads the "isobench-sysbench" line and the latency histogram out of a
 * `run`'s output into r. 0, or < 0 with err naming what is missing or
 * wrong. */
int ib_sysbench_parse(const char *out, struct ib_sysbench_result *r,
		      struct ib_err *err);

/* Runs sysbench with o (at most seconds + 60 s; cwd may be NULL) and, for
 * `run`, parses what it printed. Its whole output into *out if out is not
 * NULL (the caller frees it). 0, or < 0 with err set. */
int ib_sysbench_run(const struct ib_sysbench_opts *o, const char *cwd,
		    struct ib_sysbench_result *r, char **out,
		    struct ib_err *err);

#endif
