/* validate/internal.h: what the files of validate/ share: the run's
 * context (struct vctx), a check (struct check) and the table of them
 * (checks.c), the helpers that run things (tools.c), each area's probe
 * and tool sides (checks_*.c) and the output (output.c). Not for use
 * outside this folder. */
#ifndef ISOBENCH_VALIDATE_INTERNAL_H
#define ISOBENCH_VALIDATE_INTERNAL_H

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <sched.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/proc.h"
#include "common/frame.h"
#include "net/net_link.h"
#include "runtime/drivers/oci.h"
#include "net/peer.h"
#include "results/record.h"
#include "results/rows.h"
#include "results/stats.h"
#include "run/runner.h"
#include "state/state.h"
#include "version.h"
#include "images/vm_image.h"

#include "validate/validate.h"

#define MAX_ROUNDS IB_VALIDATE_MAX_ROUNDS

struct vctx {
	char *probe;
	char *scratch;   /* the probe's and fio's files */
	char *outdir;
	char *disk_file;
	const char *disk_size;
	double secs;     /* seconds per measurement, each side */
	int round;
	uint64_t membw_array; /* bytes, from the probe's info record */
	/* STREAM copy from the same probe runs as the triad, MB/s */
	double membw_copy[MAX_ROUNDS];
	int ncopy;
	/* startup: the bundle hyperfine runs with `runc run` */
	char *bundle;
	int launches;
	/* isobench's runc with create/start/delete, ms */
	double create_exited[MAX_ROUNDS], torn_down[MAX_ROUNDS];
	int ntorn;
	/* the check running now (its sides add every launch's time to it) */
	struct check *cur;
	/* net: a veth link to a namespace (the native-over-veth baseline),
	 * made at the first net check; the probe's peer and each tool's
	 * server listen on its host end, every client runs in the namespace */
	struct ib_state state;
	char run_id[32];
	int state_open, net_tried;
	struct ib_net net;
	struct ib_proc iperf3_server, sockperf_server, nuttcp_server;
	int iperf3_port, sockperf_port;
	char net_err[1024];
};

struct check {
	const char *id;
	const char *what;       /* the probe's figure */
	const char *tool;       /* the classic tool and how it was run */
	const char *prog, *pkg; /* for the "not installed" message */
	const char *unit;
	double target_pct;      /* |ratio - 1| allowed; < 0: no target */
	int max_rounds;         /* 0: every round (membw is slow: 3) */
	int pairs;              /* probe/tool pairs per round (cheap ones: 3) */
	double tool_scale;      /* multiply the tool's figure for the ratio */
	/* > 0: the check is judged on the difference, isobench's launch to
	 * exit minus hyperfine's, over every launch (lp, lt), not on the
	 * ratio: its 95% interval must lie within +- this many ms (the
	 * harness's share of a launch) */
	double target_ms;
	double *lp, *lt;        /* every launch's time, ms, each side */
	int nlp, nlt;
	/* net stream checks: the probe's test (stream-tx, stream-rx) and
	 * its streams; NULL: stream-tx, 1 */
	const char *net_test;
	int net_streams;
	int (*probe)(struct vctx *, double *, struct ib_err *);
	int (*tool_fn)(struct vctx *, double *, struct ib_err *);
	double pv[MAX_ROUNDS * 3], tv[MAX_ROUNDS * 3];
	int np, nt;
	int selected;
	char failure[1024];
};

extern struct check vd_checks[];
extern const size_t vd_nchecks;

/* tools.c */
int vd_number_after(const char *text, const char *label, double *out);
int vd_number_before(const char *text, const char *label, double *out);
int vd_probe_value(struct vctx *v, const char *tag, char **wargs,
		   const char *metric, const char *want, double *value,
		   struct ib_err *err);
void vd_push_sample(double **v, int *n, double x);
int vd_run_capture(char **argv, const char *cwd, double timeout_s,
		   struct ib_buf *out, struct ib_err *err);
void vd_save_text(const struct vctx *v, const char *name,
		  const struct ib_buf *text);
char *vd_tool_output(struct vctx *v, const char *tag, char **argv,
		     struct ib_err *err);
/* Where net clients and servers run: the first and the last CPU of the
 * affinity mask; -1 if that is one CPU. */
int vd_net_cpus(int *client, int *server);
/* Prefixes argv with taskset onto the client CPU, where there is one. */
void vd_push_client_cpu(const struct vctx *v, struct ib_strv *argv);

/* Each check's two sides, in checks_<area>.c: the probe's (vd_p_*) and
 * the classic tool's (vd_t_*); each makes one measurement into *out, or
 * returns < 0 with err set (the check is then failed for the run). */

/* checks_net.c (and vd_net_ready: the link and the tools' servers, made
 * at the first check that needs them; vd_net_release: all of it, at the
 * end) */
int vd_net_ready(struct vctx *v, struct ib_err *err);
void vd_net_release(struct vctx *v);
int vd_p_net_rr(struct vctx *v, double *out, struct ib_err *err);
int vd_p_net_stream(struct vctx *v, double *out, struct ib_err *err);
int vd_t_iperf3(struct vctx *v, double *out, struct ib_err *err);
int vd_t_nuttcp(struct vctx *v, double *out, struct ib_err *err);
int vd_t_sockperf(struct vctx *v, double *out, struct ib_err *err);

/* checks_apps.c */
int vd_p_app_nginx(struct vctx *v, double *out, struct ib_err *err);
int vd_t_app_nginx(struct vctx *v, double *out, struct ib_err *err);
int vd_p_app_mariadb(struct vctx *v, double *out, struct ib_err *err);
int vd_t_app_mariadb(struct vctx *v, double *out, struct ib_err *err);

/* checks_cpu.c */
int vd_p_cpu_w(struct vctx *v, double *out, struct ib_err *err);
int vd_p_ctxsw(struct vctx *v, double *o, struct ib_err *e);
int vd_p_ctxsw1(struct vctx *v, double *o, struct ib_err *e);
int vd_p_getppid(struct vctx *v, double *out, struct ib_err *err);
int vd_t_cpu(struct vctx *v, double *out, struct ib_err *err);
int vd_t_ctxsw(struct vctx *v, double *o, struct ib_err *e);
int vd_t_ctxsw1(struct vctx *v, double *o, struct ib_err *e);
int vd_t_getppid(struct vctx *v, double *out, struct ib_err *err);
int vd_p_jitter(struct vctx *v, double *out, struct ib_err *err);
int vd_t_jitter(struct vctx *v, double *out, struct ib_err *err);

/* checks_disk.c */
int vd_p_rr32(struct vctx *v, double *o, struct ib_err *e);
int vd_p_rr4k(struct vctx *v, double *o, struct ib_err *e);
int vd_p_rwfs(struct vctx *v, double *o, struct ib_err *e);
int vd_p_sr1m(struct vctx *v, double *o, struct ib_err *e);
int vd_t_rr32(struct vctx *v, double *o, struct ib_err *e);
int vd_t_rr4k(struct vctx *v, double *o, struct ib_err *e);
int vd_t_rwfs(struct vctx *v, double *o, struct ib_err *e);
int vd_t_sr1m(struct vctx *v, double *o, struct ib_err *e);

/* checks_memory.c */
int vd_p_membw(struct vctx *v, double *out, struct ib_err *err);
int vd_t_mbw(struct vctx *v, double *out, struct ib_err *err);

/* checks_startup.c */
int vd_p_startup(struct vctx *v, double *out, struct ib_err *err);
int vd_p_startup_qemu(struct vctx *v, double *out, struct ib_err *err);
int vd_t_startup(struct vctx *v, double *out, struct ib_err *err);
int vd_t_startup_qemu(struct vctx *v, double *out, struct ib_err *err);
int vd_p_startup_native(struct vctx *v, double *out, struct ib_err *err);
int vd_t_startup_native(struct vctx *v, double *out, struct ib_err *err);

/* output.c */
/* The harness's share of a launch for a check with target_ms: isobench
 * minus hyperfine, ms, and its 95% interval; 0, or -1 without launches. */
int vd_harness_share(const struct check *c, double *diff, double *lo,
		     double *hi);
int vd_print_table(FILE *f, int markdown, int rounds,
		   const struct vctx *v);
void vd_write_json(const struct vctx *v, int rounds);

#endif
