/* plan: what a run is asked to do: runtimes x jobs x parameters, and the
 * repetition policy. Built from the command line or from a plan file in
 * fio's job-file style (parsed with libinih), checked entirely against the
 * workload catalogue (common/params.h) before anything runs.
 *
 *   ; comments start with ; or #
 *   [global]
 *   mode = quick              ; or full: default parameters and policy
 *   runtimes = native         ; comma list, or "all" (every usable one)
 *   rsd_target = 3            ; percent
 *   min_reps = 3
 *   max_reps = 10
 *   max_time = 6              ; seconds per cell before it stops repeating
 *   warmup = 0                ; uncounted launches per cell
 *   timeout = 0               ; seconds per launch, 0 = from the workload
 *   boot_timeout = 0          ; seconds for a VM guest to reach its probe,
 *                             ; 0 = the driver's (60 under TCG, 20 KVM)
 *   baseline = native
 *   cpus = 0                  ; CPUs of every container/VM, 0 = all
 *   memory = 8g               ; memory limit of every container/VM
 *
 *   [cpu]                     ; a job; its benchmark defaults to its name
 *   threads = 2
 *   reps_per_launch = 1       ; repetitions per launch (each a sample)
 *   scratch = bind            ; or rootfs: where the probe's files go
 *   neighbour = cpu           ; this job's own noisy neighbour
 *
 *   [big-disk]
 *   benchmark = disk
 *   size = 1g
 *   runtimes = native         ; this job only on these runtimes
 */
#ifndef ISOBENCH_PLAN_H
#define ISOBENCH_PLAN_H

#include <cjson/cJSON.h>

#include "common/params.h"
#include "common/protocol.h"
#include "base/util.h"

struct ib_job {
	char *name;
	const struct ib_workload_def *wl;
	/* Every parameter of wl, in catalogue order: the value used. */
	char *value[IB_MAX_PARAMS];
	int value_set[IB_MAX_PARAMS]; /* given explicitly (not a default) */
	struct ib_strv runtimes; /* empty: the plan's runtimes */
	/* Repetitions the probe runs per launch (--reps): each gives a
	 * sample. Key "reps_per_launch"; default 1; quick suite: membw and memlat 3. */
	int reps_per_launch;
	int reps_set;
	/* Where the probe's files go in an isolated runtime: the host's
	 * scratch directory bind-mounted in ("bind"), or the instance's own
	 * root filesystem ("rootfs"). Key "scratch". */
	int scratch_rootfs;
	/* Key "neighbour": this job's noisy neighbour (none, cpu, membw,
	 * cache), in place of the plan's while its cells run; NULL: the
	 * plan's. The tuning study measures each job with and without. */
	char *neighbour;
};

struct ib_plan {
	int full;
	struct ib_strv runtimes; /* "all" or names */
	struct ib_job *jobs;
	int njobs;
	double rsd_target; /* percent */
	int min_reps, max_reps;
	double max_time;   /* seconds per cell */
	int warmup;
	double timeout;    /* seconds per launch; 0 = automatic */
	double boot_timeout; /* seconds from a VM's launch to its probe's
				first record; 0 = the driver's own */
	int cpus;          /* CPUs of every isolated instance; 0 = all */
	uint64_t memory;   /* memory limit of every isolated instance */
	char *baseline;
	/* a noisy neighbour for the whole run: the probe's neighbour
	 * workload ("cpu", "membw", "cache"), or "none"; on host CPU
	 * neighbour_cpu (-1: the first CPU isobench may use) */
	char *neighbour;
	int neighbour_cpu;
	/* the host's THP mode for the run (always, madvise, never), put
	 * back after it; "keep": as it is (run/thp.c) */
	char *thp;
	char *source;      /* "command line" or the plan file's path */
	/* which policy fields were set explicitly (the mode fills the rest) */
	int set_rsd, set_min, set_max, set_time, set_warmup;
};

/* Appends the runtime specs of a comma-separated list to out: an item
 * "option=value" (no ':') continues the spec before it, so that
 * "native,runc:lifecycle=run,cpuset=0" is two specs, as a spec's own
 * options are comma-separated too. */
void ib_plan_split_runtimes(struct ib_strv *out, const char *list);

/* Sets the run's noisy neighbour: none, cpu, membw or cache; -1 with why
 * otherwise. */
/* Sets the run's THP mode: keep, always, madvise or never; -1 with why
 * otherwise. */
int ib_plan_set_thp(struct ib_plan *p, const char *mode, char *why,
		    size_t whylen);
int ib_plan_set_neighbour(struct ib_plan *p, const char *kind, char *why,
			  size_t whylen);

/* Defaults of the quick or full suite. */
void ib_plan_init(struct ib_plan *p, int full);
/* Re-applies the mode's defaults to every policy field and parameter not
 * set explicitly (after --full/--quick or a mode= line). */
void ib_plan_apply_mode(struct ib_plan *p, int full);
void ib_plan_free(struct ib_plan *p);

/* Adds a job for benchmark bench (named name, or bench if NULL) with
 * defaults. Returns the job, or NULL with err for an unknown benchmark. */
struct ib_job *ib_plan_add_job(struct ib_plan *p, const char *name,
			       const char *bench, struct ib_err *err);
/* Sets parameter key of job to value after checking it. */
int ib_job_set(struct ib_job *job, const char *key, const char *value,
	       struct ib_err *err);
/* "bench.key=value" or "job.key=value" from --set: applies to every job
 * whose name or benchmark matches. */
int ib_plan_set(struct ib_plan *p, const char *assignment, struct ib_err *err);
/* The default suite: one job per workload, startup first. */
void ib_plan_add_default_jobs(struct ib_plan *p);

/* The value of parameter name of job, or NULL if its workload has none. */
const char *ib_job_value(const struct ib_job *job, const char *name);

/* Parses a plan file. Errors name the file and line. */
int ib_plan_load(struct ib_plan *p, const char *path, struct ib_err *err);

/* The probe's arguments for job (--reps N when it repeats, the workload,
 * then key=value for every parameter, so a launch is fully described by
 * its argv). Caller frees with ib_strv_free. */
void ib_job_probe_args(const struct ib_job *job, struct ib_strv *out);

/* The plan as a plan file that reproduces it (the run directory's
 * plan.ini). Caller frees. */
char *ib_plan_to_ini(const struct ib_plan *p);
/* Checks what a plan file cannot check line by line (min_reps <=
 * max_reps). */
int ib_plan_check(const struct ib_plan *p, struct ib_err *err);

/* The plan as JSON (stored in raw.jsonl). Caller frees. */
cJSON *ib_plan_to_json(const struct ib_plan *p);

#endif
