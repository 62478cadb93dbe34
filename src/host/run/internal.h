/* run/internal: what the runner's files share (not for the rest of
 * isobench: run/runner.h is the runner's interface). The runner is split
 * along its jobs, each file calling only those below it:
 *   runner.c    ib_run: open, start, rounds, finish, release
 *   setup.c     the run directory, the runtimes, the cells
 *   density.c   footprint's rounds of instances held at once
 *   launch.c    one launch: prepare, start, read, end (both use it)
 *   policy.c    when a cell stops
 *   progress.c  the progress line
 *   neighbour.c the noisy neighbour (the run's, a job's)
 *   thp.c       the host's THP mode for the run
 *   log.c       the event log, the host's records, the clock, signals */
#ifndef ISOBENCH_RUN_INTERNAL_H
#define ISOBENCH_RUN_INTERNAL_H

#include <cjson/cJSON.h>
#include <sched.h>
#include <stdint.h>

#include "common/frame.h"
#include "net/net_link.h"
#include "results/rawlog.h"
#include "results/results.h"
#include "run/runner.h"
#include "runtime/runtime.h"
#include "state/state.h"

#define RAW_KEEP_MAX (4u << 20)  /* probe output kept per launch */
#define BAD_BYTES_MAX 4096       /* bytes of a bad record kept in raw.jsonl */
#define DEFAULT_TIMEOUT_S 600
/* How long a VM's guest may take to power off after its probe's done
 * record before isobench ends it (QMP quit): a poweroff takes well under a
 * second even under TCG; a guest that hangs there (seen once: q35 under
 * TCG, its vCPU spinning after done) would otherwise be waited for until
 * the launch timeout. */
#define RUN_POWEROFF_GRACE_S 10

struct cell_state {
	const struct ib_job *job;
	struct ib_runtime *rt;
	int launches, warmups, ok, failed;
	int rounds;       /* footprint: density rounds done */
	int hung_boots;   /* guests that hung before their probe started,
			     whose launch (or round) was replaced */
	double seconds;
	int done;
};

/* A guest that never reaches its probe (no record by its boot deadline)
 * failed in its kernel or its emulator before any of isobench's code ran
 * in it: seen about once in 60 emulated (TCG) boots on 2 CPUs here, as a
 * kernel that falls silent during boot. Its launch, or its footprint
 * round, is logged as "replaced" with the reason and run again, at most
 * this many times per cell; past that, such a launch fails as before.
 * Every replacement is counted and shown in the results and reports. */
#define RUN_HUNG_BOOTS_REPLACED 2

struct run {
	struct ib_plan *plan;
	const struct ib_runner_opts *o;
	char run_id[64];
	char *dir, *work, *scratch;
	char *probe;              /* o->probe_path made absolute */
	struct ib_run_ctx ctx;
	struct ib_state state;
	int state_open;
	struct ib_rawlog log;
	struct ib_results live;
	struct ib_strv columns;   /* every runtime named, plan order */
	struct ib_runtime *rts;   /* usable ones */
	int nrts;
	struct ib_net *nets;      /* per usable runtime: its net link */
	struct cell_state *cells;
	int ncells;
	int next_launch;
	uint64_t t0;
	int io_failed;            /* raw.jsonl could not be written */
	struct ib_err io_err;
	int created_dir;          /* the run directory did not exist before */
	int rts_set_up;           /* run_setup_runtimes ran: rts[0..nrts) own */
	int started;              /* the run event is logged: keep the dir */
	struct ib_proc neighbour; /* --neighbour's process, or pid 0 */
	int neighbour_cpu;
	int neighbour_ended;      /* it ended before the run (logged) */
	const char *neighbour_kind; /* what runs now ("none"; the plan's) */
	const char *neighbour_job;  /* the job it runs for, or NULL: the run */
	int neighbour_failed;     /* a job's could not start: the run ends */
	char thp_before[16];      /* --thp: the mode to put back, or "" */
	int release_failures;     /* what the drivers' release left undone */
	struct run_app_image {    /* an application's image in work/ */
		const char *name;     /* "nginx": the application's */
		char *dir;            /* once built or found cached */
		char *what;           /* its digest and size, said in every
					 launch's info "image" */
		char *why;            /* or why it could not be */
	} app_images[4];
	struct run_dataset {      /* mariadb's data set in work/, per size */
		int tables, table_size;
		char *dir;            /* its data directory, once prepared */
		char *why;            /* or why it could not be */
		uint64_t bytes;
	} datasets[4];
};

/* When the probe's first byte arrived: the first byte of its first record.
 * What comes before it (a VM's firmware and kernel on the console) is not
 * the probe's; for a container nothing does, and it is the first read. */
struct first_byte {
	char tail[IB_FRAME_PREFIX_LEN - 1]; /* a prefix split across reads */
	size_t ntail;
	uint64_t t;
};

struct launch_io {
	struct run *R;
	struct ib_launch *l;
	int frames;        /* framed records seen before done (good or bad) */
	int hello, done, bad, after_done;
	long done_records;
	int done_status;
	char first_error[300], first_bad[300];
	struct ib_buf raw; /* the probe's output, up to RAW_KEEP_MAX */
	int text_lines;
	/* the last line of text around the records: where a VMM or a guest
	 * kernel that never reached the probe says why */
	char last_text[200];
	int own_kernel; /* the runtime's ops->own_kernel */
	int holding;    /* the footprint probe said it holds */
};

/* One launch in flight: what run_launch (one at a time) and a density
 * round (N at once) both drive, through the same steps: prepare (name,
 * arguments, the launch event), start (the runtime's launch op), read
 * (first byte, output kept, records framed and logged), then the
 * caller's end (wait, teardown, verdict). Zeroed before prepare. */
struct one_launch {
	struct ib_launch l;
	struct launch_io io;
	struct ib_frame_parser fp;
	struct ib_strv args;
	struct first_byte fb;
	struct ib_net *net;  /* the job's link, if it needs one */
	int launched;        /* the runtime's launch op succeeded */
	int eof;             /* the output ended */
	int ready;           /* density: the instance holds */
	int boot_hung;       /* density: no record by its boot deadline */
	int replace;         /* its guest hung at boot and the cell may
				still replace it (RUN_HUNG_BOOTS_REPLACED) */
	int served;          /* serve: the load ran (or failed: why says) */
	int load_failed;     /* serve: the load could not run; why says */
	char *app_root;      /* serve: the tree linked into its root (owned) */
	const char *app_image; /* serve: that image's digest and size (the
				run's), logged as the launch's info "image" */
	char *scratch_data;  /* serve: the launch's files on its scratch (a
				directory in the run's scratch directory, a
				VM's data disk), removed after the launch
				(owned) */
	char *app_tmpfs;     /* serve: x->l.app_tmpfs (owned) */
	int left_on;         /* a VM whose guest did not power off within
				RUN_POWEROFF_GRACE_S of its probe's done
				record: ended by isobench (its records are
				whole: the launch counts) */
	char why[1200];      /* why it failed, once known */
};

/* The signal that interrupted the run, or 0. */
int run_signal(void);

/* neighbour.c: the run's noisy neighbour (plan->neighbour, or a job's
 * own while its cells run), started before the first cell (0, or -1: said, the run cannot be what was
 * asked), checked (an early end is logged and said once), stopped. */
int run_neighbour_start(struct run *R);
/* The neighbour job's cells run beside (its "neighbour" key, else the
 * plan's), switched to if another runs now: 0, or -1 (said). */
int run_neighbour_for(struct run *R, const struct ib_job *job);
void run_neighbour_check(struct run *R);
void run_neighbour_stop(struct run *R);

/* thp.c: the run's THP mode (plan->thp): set before the run measures
 * (0, or -1: said), put back when it ends. */
int run_thp_set(struct run *R);
void run_thp_restore(struct run *R);

/* log.c */
/* A message to the run's reporter (runner.h), printf-style, without the
 * "isobench: " prefix or a newline. */
void run_say(const struct run *R, enum ib_report_kind kind, const char *fmt,
	     ...) __attribute__((format(printf, 3, 4)));
void run_log_event(struct run *R, cJSON *ev);
double run_since_start(const struct run *R);
/* A record measured on the host, logged as a record of launch id, so that
 * `isobench report` rebuilds it from raw.jsonl like the probe's: an info
 * (bench, key, value) or a footprint sample. */
void run_log_host_info(struct run *R, int id, const char *bench,
		       const char *key, const char *value);
/* A host sample of an application's load point: its two params, a word
 * (nginx's size, mariadb's test) and a number (connections, threads). */
struct run_point {
	const char *word_key, *word;
	const char *num_key;
	int num;
};
void run_log_host_point(struct run *R, int id, const char *bench,
			const char *metric, const char *unit, int higher,
			double value, const struct run_point *pt);

/* serve.c */
/* An application's files for launch x (its directory in the run's work
 * directory: the server's config, its document root, the command-line
 * file), and --serve-argv in x's arguments. 0, or < 0 with err set. */
int run_serve_prepare(struct run *R, struct cell_state *c,
		      struct one_launch *x, struct ib_err *err);
/* The load, once x's probe holds: every point of the job's sweep, each
 * logged as host samples of x. 0, or -1 with x->why set. */
int run_serve_load(struct run *R, struct cell_state *c, struct one_launch *x);
/* An upper bound of the sweep's seconds, added to the launch's deadline. */
double run_serve_seconds(const struct ib_job *job);
/* serve_shared.c: what the applications share: a root of x's own in dir
 * (dir/root: the image of the manifest named name (images/app_image.h),
 * found in the cache or built once per run, /etc's few files, and
 * dir/root/isobench-app made), into *root, the image's digest into
 * x->app_image (an error if the image cannot be had);
 * the CPU time of every host process of x's instance; the CPUs the load
 * generator may have to itself (their count; text lists them) and a
 * program's run pinned to them. */
int run_serve_root(struct run *R, struct one_launch *x, const char *name,
		   const char *manifest, const char *dir, char **root,
		   struct ib_err *err);
double run_serve_instance_cpu_s(struct cell_state *c, struct one_launch *x);
int run_serve_load_cpus(const struct run *R, cpu_set_t *set, char *text,
			size_t cap);
int run_serve_pin(const cpu_set_t *set, int nset, cpu_set_t *old);
void run_serve_unpin(int pinned, const cpu_set_t *old);
/* The address the host loads x's instance at, or NULL (x->why says why). */
const char *run_serve_addr(struct one_launch *x);
/* A VM's data disk for a launch (its files, a database's data set): a
 * raw image made new in dir, sized for bytes of files and their growth,
 * formatted ext4 by mkfs.ext4 with the tree at image (its files) in it,
 * every table initialized now (no lazy initialization left for the
 * guest's kernel to do while it is measured). Its path into *out. 0, or
 * < 0 with err set. */
int run_serve_data_disk(const char *dir, const char *image, uint64_t bytes,
			char **out, struct ib_err *err);
/* The seconds of a sweep of the job's lists list_a x list_b, each point
 * a warm-up run and a measured one (its "warmup" and "duration", whole
 * seconds) plus extra_s: an upper bound, added to the launch's
 * deadline. */
double run_serve_sweep_seconds(const struct ib_job *job, const char *list_a,
			       const char *list_b, double extra_s);

/* serve_nginx.c: the nginx benchmark's launch files and its load (wrk).
 * As run_serve_prepare and run_serve_load. */
int run_nginx_prepare(struct run *R, struct cell_state *c,
		      struct one_launch *x, struct ib_err *err);
int run_nginx_load(struct run *R, struct cell_state *c, struct one_launch *x);
double run_nginx_seconds(const struct ib_job *job);

/* serve_mariadb.c: the mariadb benchmark's launch files (the data set
 * prepared once per run, its copy for the probe to make) and its load
 * (sysbench). As run_serve_prepare and run_serve_load. */
int run_mariadb_prepare(struct run *R, struct cell_state *c,
			struct one_launch *x, struct ib_err *err);
int run_mariadb_load(struct run *R, struct cell_state *c, struct one_launch *x);
double run_mariadb_seconds(const struct ib_job *job);
void run_log_host_sample(struct run *R, int id, const char *metric,
			 const char *unit, int higher, double value,
			 const char *pkey, const char *pval, double pnum);

/* progress.c */
void run_progress(struct run *R, const struct cell_state *c, int warmup);
void run_progress_clear(struct run *R);

/* launch.c */
void run_first_byte_scan(struct first_byte *f, const char *buf, size_t n);
void run_on_frame(void *user, enum ib_frame_kind kind, const char *data,
		  size_t len, uint64_t offset, const char *why);
void run_save_output(struct run *R, const struct launch_io *io);
double run_launch_timeout(const struct run *R);
char *run_launch_name(const struct run *R, int id);
void run_log_launch_event(struct run *R, const struct cell_state *c,
			  const struct ib_launch *l,
			  const struct ib_strv *args, int warmup);
void run_log_end_event(struct run *R, const struct one_launch *x,
		       const char *status, double wall, uint64_t t_torn_down);
int run_job_needs_link(const struct ib_job *job);
/* One launch of c's job, from start to end, logged; counted in c. */
void run_launch(struct run *R, struct cell_state *c, int warmup);
/* The steps of a launch (struct one_launch). prepare: its id and name,
 * the probe's arguments (the job's link first, made on first use), the
 * launch event. start: the runtime's launch op (not when the job needs a
 * link it could not have). read: one read of the probe's output, fed to
 * the first-byte clock, the kept output and the record parser; returns
 * the bytes read, 0 at the end of the output (eof set), -1 if there was
 * nothing to read. free: what prepare and read allocated. */
void run_launch_prepare(struct run *R, struct cell_state *c,
			struct one_launch *x, int warmup);
void run_launch_start(struct run *R, struct cell_state *c,
		      struct one_launch *x);
ssize_t run_launch_read(struct one_launch *x, char *buf, size_t cap);
void run_launch_free(struct one_launch *x);
void run_pause(double s);
void run_pause_before(const struct cell_state *c);

/* density.c */
void run_density_round(struct run *R, struct cell_state *c);

/* policy.c */
/* Why cell c stops now ("failure", "rounds", "launches", "max_reps",
 * "rsd_target", "max_time"), or NULL to go on: the plan's bounds and its
 * workload's stop rule, given the largest RSD of its metrics so far (NAN
 * when there is none). Pure: tests call it. */
const char *run_stop_rule(const struct ib_plan *p, const struct cell_state *c,
			  double rsd);
/* Stops c (logged) if run_stop_rule says so. */
void run_check_cell(struct run *R, struct cell_state *c);

/* setup.c */
int run_make_dir(struct run *R, struct ib_err *err);
int run_resolve_runtimes(struct run *R, struct ib_err *err);
void run_setup_runtimes(struct run *R);
void run_make_cells(struct run *R);
void run_log_start(struct run *R);

#endif
