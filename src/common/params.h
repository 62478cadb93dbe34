/* params: the catalogue of probe workloads and their parameters.
 *
 * One table, compiled into both binaries: the host validates a plan against
 * it before anything runs (so a typo fails in a second, not after an hour)
 * and lists it in `isobench list`; the probe parses its command line with
 * it. Values travel as text "key=value" and are parsed by the same functions
 * on both sides, so the two can never disagree on what "256m" means.
 * libc-only: the probe links it. */
#ifndef ISOBENCH_PARAMS_H
#define ISOBENCH_PARAMS_H

#include <stddef.h>
#include <stdint.h>

enum ib_param_type {
	IB_PT_COUNT,   /* unsigned integer */
	IB_PT_SIZE,    /* bytes; suffixes k, m, g, t (powers of 1024) */
	IB_PT_SECONDS, /* seconds; "0.5", "2s", "500ms", "100us" */
	IB_PT_CHOICE,  /* one word of `choices` */
	IB_PT_LIST,    /* comma-separated words, each checked */
};

struct ib_param_def {
	const char *name;
	enum ib_param_type type;
	const char *quick;   /* default of the quick suite, as text */
	const char *full;    /* default of the full suite */
	double min, max;     /* numeric bounds, inclusive (COUNT/SIZE/SECONDS) */
	const char *choices; /* CHOICE/LIST: comma-separated allowed words,
				or NULL when `check` decides */
	/* Extra check of one word (LIST) or value; returns 0 if fine, else
	 * writes why. NULL when the bounds or choices are enough. */
	int (*check)(const char *word, char *why, size_t whylen);
	const char *help;
};

/* How the runner schedules a workload's launches. */
enum ib_schedule {
	IB_SCHED_ROUNDS = 0,    /* one launch per runtime per round, the
				   runtimes interleaved, round after round */
	IB_SCHED_BACK_TO_BACK,  /* a runtime's launches one after another, as
				   hyperfine runs a command (interleaved, each
				   would pay for what another runtime left
				   cleaning up in the background) */
	IB_SCHED_DENSITY,       /* rounds of N instances launched and held at
				   once, measured from the host */
	IB_SCHED_SERVE,         /* an application: its server in the
				   instance (the probe's `serve`), loaded
				   from the host while it holds */
};

/* What ends a cell's repetitions. */
enum ib_stop_rule {
	IB_STOP_RSD = 0,    /* every metric's RSD under the target, within
			       the min/max repetitions and the time bound */
	IB_STOP_LAUNCHES,   /* the job's "launches": a fixed number, so that
			       p90 and p99 mean the same in every column */
	IB_STOP_ROUNDS,     /* the job's "rounds" */
};

/* Traits of a workload (flags). */
enum {
	IB_WL_NEEDS_LINK = 1 << 0, /* a network link to isobench's peer on
				      the host end: a column that runs only
				      such workloads (net_only) runs it */
	IB_WL_HOST_TIMED = 1 << 1, /* the host's timings of each launch's
				      phases are its samples */
	IB_WL_HOLDS = 1 << 2,      /* an instance holds until told to end; an
				      info record "holding_s" says it holds */
	IB_WL_RUN_FIRST = 1 << 3,  /* first in the default suite: wants the
				      calmest host (millisecond figures) */
	IB_WL_PROBE_ONLY = 1 << 4, /* the probe's part of a benchmark that the
				      host drives as a whole (applications):
				      not a benchmark of its own, so neither
				      in the default suite nor accepted by -b
				      nor listed */
	IB_WL_OPT_IN = 1 << 5,     /* run when asked for (-b, a plan), not in
				      the default suite (yet): none now (the
				      applications were, until they ran in
				      every runtime this host has) */
	IB_WL_LINK_REFERENCE = 1 << 6, /* brings the runtimes' reference
				      rows (native:net=loopback beside
				      native): the net benchmark's table
				      compares links; an application's
				      baseline is native over veth, so it
				      runs on such a row only when -r or
				      the plan names it */
};

struct ib_workload_def {
	const char *name;
	const char *summary;
	const char *validated_by; /* the classic tool it follows */
	const struct ib_param_def *params;
	int nparams;
	/* Repetitions per launch in the quick suite (1 elsewhere): more than
	 * one where a launch's set-up dwarfs a repetition (membw faults 3 GiB
	 * in before its first pass). */
	int quick_reps_per_launch;
	enum ib_schedule schedule;
	enum ib_stop_rule stop;
	unsigned traits;         /* IB_WL_* */
	/* A paragraph of report.md's method notes where a run has a cell of
	 * this workload (Markdown), or NULL. */
	const char *report_note;
	/* The probe workload an instance of it runs, where the host drives
	 * the benchmark (an application: "serve"), or NULL: its own name.
	 * Its parameters are then all read by isobench; the probe's take
	 * their defaults. */
	const char *probe_workload;
	/* One parameter of that probe workload that is not its default
	 * ("port=3306"), or NULL. */
	const char *probe_arg;
};

extern const struct ib_workload_def ib_workloads[];
extern const int ib_nworkloads;

const struct ib_workload_def *ib_workload_find(const char *name);
const struct ib_param_def *ib_param_find(const struct ib_workload_def *w,
					 const char *name);
/* Default text of p for the quick (full = 0) or full suite. */
const char *ib_param_default(const struct ib_param_def *p, int full);

/* Checks value against p; returns 0, or -1 with why filled in. */
int ib_param_check(const struct ib_param_def *p, const char *value, char *why,
		   size_t whylen);

/* Parsers; each returns 0, or -1 if s is not entirely a valid value. */
int ib_parse_count(const char *s, uint64_t *out);
int ib_parse_size(const char *s, uint64_t *out);
int ib_parse_seconds(const char *s, double *out);

/* Disk test names, "seqread-1m-qd1", "randwrite-4k-fsync": parsed into
 * their parts. Returns 0 or -1 (why filled in). */
struct ib_disk_test {
	int random;      /* 0 sequential, 1 random */
	int write;       /* 0 read, 1 write */
	uint64_t bs;     /* block size in bytes */
	unsigned qd;     /* queue depth */
	int fsync;       /* each write followed by fsync (qd 1 only) */
};
int ib_disk_test_parse(const char *name, struct ib_disk_test *t, char *why,
		       size_t whylen);

#endif
