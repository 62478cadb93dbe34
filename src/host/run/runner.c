#include "run/runner.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/frame.h"
#include "run/fingerprint.h"
#include "net/net_link.h"
#include "base/proc.h"
#include "base/footprint.h"
#include "results/rawlog.h"
#include "results/record.h"
#include "results/report.h"
#include "results/results.h"
#include "runtime/drivers/registry.h"
#include "runtime/runtime.h"
#include "state/state.h"
#include "version.h"

#define RAW_KEEP_MAX (4u << 20)  /* probe output kept per launch */
#define BAD_BYTES_MAX 4096       /* bytes of a bad record kept in raw.jsonl */
#define DEFAULT_TIMEOUT_S 600

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

void ib_runner_install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: poll returns EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int ib_runner_interrupted(void)
{
	return got_signal != 0;
}

struct cell_state {
	const struct ib_job *job;
	struct ib_runtime *rt;
	int launches, warmups, ok, failed;
	int rounds;       /* footprint: density rounds done */
	double seconds;
	int done;
};

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
	int tty;
	int io_failed;            /* raw.jsonl could not be written */
	struct ib_err io_err;
	int progress_shown;
	int created_dir;          /* the run directory did not exist before */
	int rts_set_up;           /* setup_runtimes ran: rts[0..nrts) own */
	int started;              /* the run event is logged: keep the dir */
};

/* Appends ev to raw.jsonl and feeds the live results; takes ev. */
static void log_event(struct run *R, cJSON *ev)
{
	struct ib_err e = {0};

	if (!R->io_failed && ib_rawlog_append(&R->log, ev, &R->io_err) < 0)
		R->io_failed = 1;
	if (ib_results_feed(&R->live, ev, &e) < 0 && !R->io_failed)
		fprintf(stderr, "isobench: internal: %s\n", e.msg);
	cJSON_Delete(ev);
}

static double since_start(const struct run *R)
{
	return (double)(ib_mono_ns() - R->t0) / 1e9;
}

static void fmt_dur(char *buf, size_t cap, double s)
{
	if (s < 0)
		s = 0;
	if (s >= 3600)
		snprintf(buf, cap, "%d:%02d:%02d", (int)s / 3600,
			 ((int)s / 60) % 60, (int)s % 60);
	else
		snprintf(buf, cap, "%d:%02d", (int)s / 60, (int)s % 60);
}

/* --- progress ------------------------------------------------------------ */

/* Seconds a launch of this cell takes: its own average, else that of the
 * same benchmark elsewhere, else a guess. */
static double per_launch(const struct run *R, const struct cell_state *c)
{
	double sum = 0;
	int n = 0;

	if (c->launches + c->warmups > 0)
		return c->seconds / (c->launches + c->warmups);
	for (int i = 0; i < R->ncells; i++) {
		const struct cell_state *o = &R->cells[i];

		if (o->job->wl == c->job->wl && o->launches + o->warmups > 0) {
			sum += o->seconds / (o->launches + o->warmups);
			n++;
		}
	}
	return n ? sum / n : 5.0;
}

/* Remaining time between the least (min_reps only) and the most (every
 * bound reached) the policy allows. */
static void eta(const struct run *R, double *lo, double *hi)
{
	const struct ib_plan *p = R->plan;

	*lo = *hi = 0;
	for (int i = 0; i < R->ncells; i++) {
		const struct cell_state *c = &R->cells[i];
		double per = per_launch(R, c), need, most;
		int wu = p->warmup - c->warmups;
		int batch = c->job->reps_per_launch;
		int reps = c->launches * batch;
		/* launches still needed for min_reps, and allowed by max_reps */
		int lmin = p->min_reps > reps ? (p->min_reps - reps + batch - 1) / batch : 0;
		int lmax = p->max_reps > reps ? (p->max_reps - reps + batch - 1) / batch : 0;

		if (c->done)
			continue;
		need = (double)(lmin + (wu > 0 ? wu : 0)) * per;
		most = (double)lmax * per;
		if (p->max_time - c->seconds + per < most)
			most = p->max_time - c->seconds + per;
		*lo += need;
		*hi += most > need ? most : need;
	}
}

static void progress(struct run *R, const struct cell_state *c, int warmup)
{
	char el[32], a[32], b[32];
	double lo, hi;
	int done = 0;

	if (!R->tty || R->o->quiet || !R->o->progress)
		return;
	for (int i = 0; i < R->ncells; i++)
		done += R->cells[i].done;
	eta(R, &lo, &hi);
	fmt_dur(el, sizeof(el), since_start(R));
	fmt_dur(a, sizeof(a), lo);
	fmt_dur(b, sizeof(b), hi);
	fprintf(stderr, "\r\033[K[%s, ETA %s%s%s] %d/%d cells done | %s %s %s %d",
		el, a, strcmp(a, b) ? "-" : "", strcmp(a, b) ? b : "", done,
		R->ncells, c->rt->label, c->job->name,
		warmup ? "warm-up" : "launch",
		warmup ? c->warmups + 1 : c->launches + 1);
	fflush(stderr);
	R->progress_shown = 1;
}

static void progress_clear(struct run *R)
{
	if (R->progress_shown) {
		fprintf(stderr, "\r\033[K");
		R->progress_shown = 0;
	}
}

/* --- one launch ---------------------------------------------------------- */

/* When the probe's first byte arrived: the first byte of its first record.
 * What comes before it (a VM's firmware and kernel on the console) is not
 * the probe's; for a container nothing does, and it is the first read. */
struct first_byte {
	char tail[IB_FRAME_PREFIX_LEN - 1]; /* a prefix split across reads */
	size_t ntail;
	uint64_t t;
};

static void first_byte_scan(struct first_byte *f, const char *buf, size_t n)
{
	char join[2 * IB_FRAME_PREFIX_LEN];
	size_t head = n < IB_FRAME_PREFIX_LEN - 1 ? n : IB_FRAME_PREFIX_LEN - 1;

	if (f->t)
		return;
	memcpy(join, f->tail, f->ntail);
	memcpy(join + f->ntail, buf, head);
	if (memmem(join, f->ntail + head, IB_FRAME_PREFIX, IB_FRAME_PREFIX_LEN) ||
	    memmem(buf, n, IB_FRAME_PREFIX, IB_FRAME_PREFIX_LEN)) {
		f->t = ib_mono_ns();
		return;
	}
	{
		char all[2 * IB_FRAME_PREFIX_LEN];
		size_t m = n < sizeof(f->tail) ? n : sizeof(f->tail), total, keep;

		memcpy(all, f->tail, f->ntail);
		memcpy(all + f->ntail, buf + n - m, m);
		total = f->ntail + m;
		keep = total < sizeof(f->tail) ? total : sizeof(f->tail);
		memcpy(f->tail, all + total - keep, keep);
		f->ntail = keep;
	}
}

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

static void add_bad(struct launch_io *io, const char *why, const char *data,
		    size_t len, uint64_t offset)
{
	cJSON *ev = cJSON_CreateObject();
	char *bytes = ib_xasprintf("%.*s", (int)(len > BAD_BYTES_MAX ? BAD_BYTES_MAX : len),
				   data);

	io->bad++;
	if (!io->first_bad[0])
		snprintf(io->first_bad, sizeof(io->first_bad), "%s", why);
	cJSON_AddStringToObject(ev, "ev", "bad_record");
	cJSON_AddNumberToObject(ev, "launch", io->l->id);
	cJSON_AddNumberToObject(ev, "offset", (double)offset);
	cJSON_AddStringToObject(ev, "why", why);
	/* cJSON escapes control bytes; invalid UTF-8 passes through as is,
	 * which JSON readers may reject, so replace anything above 0x7e. */
	for (char *p = bytes; *p; p++)
		if ((unsigned char)*p > 0x7e)
			*p = '?';
	cJSON_AddStringToObject(ev, "bytes", bytes);
	free(bytes);
	log_event(io->R, ev);
}

static void on_frame(void *user, enum ib_frame_kind kind, const char *data,
		     size_t len, uint64_t offset, const char *why)
{
	struct launch_io *io = user;
	struct ib_record rec;
	struct ib_err e = {0};
	cJSON *ev;

	if (kind == IB_FRAME_TEXT) {
		size_t n = 0;

		io->text_lines++;
		for (size_t i = 0; i < len && n < sizeof(io->last_text) - 1; i++)
			if (data[i] >= 0x20 && data[i] <= 0x7e)
				n++;
		if (n > 0) {
			n = 0;
			for (size_t i = 0; i < len && n < sizeof(io->last_text) - 1; i++)
				if (data[i] >= 0x20 && data[i] <= 0x7e)
					io->last_text[n++] = data[i];
			io->last_text[n] = '\0';
		}
		return;
	}
	if (io->done)
		io->after_done++;
	else
		io->frames++;
	if (kind == IB_FRAME_CORRUPT) {
		add_bad(io, why, data, len, offset);
		return;
	}
	if (ib_record_decode(data, len, &rec, &e) < 0) {
		add_bad(io, e.msg, data, len, offset);
		return;
	}
	if (!io->hello && rec.type != IB_REC_HELLO) {
		add_bad(io, "first record is not hello", data, len, offset);
		ib_record_free(&rec);
		return;
	}
	switch (rec.type) {
	case IB_REC_HELLO:
		io->hello = 1;
		if (io->R && io->own_kernel && rec.uptime_s > 0)
			io->l->guest_uptime_s = rec.uptime_s;
		break;
	case IB_REC_DONE:
		io->done = 1;
		io->done_records = rec.records;
		io->done_status = rec.status;
		break;
	case IB_REC_INFO:
		/* the footprint probe's word that it now holds (in a VM,
		 * records of the guest's set-up come before it) */
		if (rec.bench && rec.key && !strcmp(rec.key, "holding_s") &&
		    ib_workload_find(rec.bench) &&
		    (ib_workload_find(rec.bench)->traits & IB_WL_HOLDS))
			io->holding = 1;
		break;
	case IB_REC_ERROR:
		if (strcmp(rec.reason, "unsupported") != 0 && !io->first_error[0])
			snprintf(io->first_error, sizeof(io->first_error), "%s",
				 rec.message);
		break;
	default:
		break;
	}
	ev = cJSON_CreateObject();
	cJSON_AddStringToObject(ev, "ev", "record");
	cJSON_AddNumberToObject(ev, "launch", io->l->id);
	cJSON_AddNumberToObject(ev, "t_s",
				round((double)(ib_mono_ns() - io->l->t_launch_ns) / 1e3) / 1e6);
	cJSON_AddItemToObject(ev, "rec", rec.json);
	rec.owned = 0; /* now part of ev */
	ib_record_free(&rec);
	log_event(io->R, ev);
}

/* Saves the probe's whole output when it matters: a failed launch or
 * output that was not all records. */
static void save_output(struct run *R, const struct launch_io *io)
{
	char *dir = ib_xasprintf("%s/output", R->dir), *path;

	ib_mkdirs(dir, 0755, NULL);
	path = ib_xasprintf("%s/launch-%d.log", dir, io->l->id);
	ib_write_file_atomic(path, io->raw.s ? io->raw.s : "", io->raw.len, NULL);
	free(path);
	free(dir);
}

static double launch_timeout(const struct run *R)
{
	return R->plan->timeout > 0 ? R->plan->timeout : DEFAULT_TIMEOUT_S;
}

/* "isobench-<run id>-000042": fixed width, so that no launch's name is a
 * prefix of another's (runsc, like docker, takes any unique prefix of an
 * id: "-1" would be ambiguous while "-10" exists). */
static char *launch_name(const struct run *R, int id)
{
	return ib_xasprintf("isobench-%s-%06d", R->run_id, id);
}

static void log_launch_event(struct run *R, const struct cell_state *c,
			     const struct ib_launch *l,
			     const struct ib_strv *args, int warmup)
{
	cJSON *ev = cJSON_CreateObject(), *arr;

	cJSON_AddStringToObject(ev, "ev", "launch");
	cJSON_AddNumberToObject(ev, "id", l->id);
	cJSON_AddStringToObject(ev, "runtime", c->rt->label);
	cJSON_AddStringToObject(ev, "job", c->job->name);
	cJSON_AddStringToObject(ev, "bench", c->job->wl->name);
	cJSON_AddNumberToObject(ev, "rep", warmup ? c->warmups : c->launches);
	cJSON_AddNumberToObject(ev, "reps_per_launch", c->job->reps_per_launch);
	cJSON_AddBoolToObject(ev, "warmup", warmup);
	arr = cJSON_AddArrayToObject(ev, "argv");
	for (int i = 0; i < args->n; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(args->v[i]));
	cJSON_AddNumberToObject(ev, "t_s", round(since_start(R) * 1e3) / 1e3);
	log_event(R, ev);
}

static void log_end_event(struct run *R, const struct ib_launch *l,
			  const char *status, const char *why, double wall,
			  uint64_t t_first_byte, uint64_t t_torn_down)
{
	cJSON *ev = cJSON_CreateObject();

	cJSON_AddStringToObject(ev, "ev", "end");
	cJSON_AddNumberToObject(ev, "launch", l->id);
	cJSON_AddStringToObject(ev, "status", status);
	if (why[0])
		cJSON_AddStringToObject(ev, "why", why);
	cJSON_AddNumberToObject(ev, "exit", l->exit_code);
	cJSON_AddNumberToObject(ev, "signal", l->term_signal);
	cJSON_AddNumberToObject(ev, "wall_s", round(wall * 1e6) / 1e6);
	{
		/* Startup phases, seconds from just before the runtime was
		 * invoked, on the host's clock (docs/results-schema.md). */
		cJSON *ph = cJSON_AddObjectToObject(ev, "phases");
		const struct {
			const char *name;
			uint64_t t;
		} p[] = {{"created_s", l->t_created_ns},
			 {"started_s", l->t_started_ns},
			 {"first_byte_s", t_first_byte},
			 {"exited_s", l->t_exited_ns},
			 {"torn_down_s", t_torn_down}};

		for (size_t i = 0; i < IB_ARRAY_LEN(p); i++)
			if (p[i].t >= l->t_launch_ns && p[i].t && l->t_launch_ns)
				cJSON_AddNumberToObject(
					ph, p[i].name,
					round((double)(p[i].t - l->t_launch_ns) / 1e3) / 1e6);
		/* on the guest's clock: the part of to_first_byte its kernel
		 * took */
		if (l->guest_uptime_s > 0)
			cJSON_AddNumberToObject(ph, "guest_kernel_s",
						round(l->guest_uptime_s * 1e6) / 1e6);
	}
	log_event(R, ev);
	ib_rawlog_sync(&R->log);
}

static void log_host_info(struct run *R, int id, const char *bench,
			  const char *key, const char *value);

static int job_is_net(const struct ib_job *job)
{
	return (job->wl->traits & IB_WL_NEEDS_LINK) != 0;
}

/* The net link of c's runtime, made (with its peer) at its first net
 * launch and kept to the end of the run; NULL with why if it cannot be. */
static struct ib_net *net_for(struct run *R, struct cell_state *c,
			      char *why, size_t cap)
{
	struct ib_runtime *rt = c->rt;
	struct ib_net *n = &R->nets[rt - R->rts];
	struct ib_buf w = {0};
	struct ib_err e = {0};
	const char *cpu;
	int rc;

	if (n->failed || n->peer_at) {
		if (n->failed)
			snprintf(why, cap, "%s", n->why);
		return n->failed ? NULL : n;
	}
	n->index = (int)(rt - R->rts) + 1;
	n->peer_cpu = -1;
	cpu = ib_job_value(c->job, "peer_cpu");
	if (cpu && strcmp(cpu, "none") != 0)
		n->peer_cpu = atoi(cpu);
	n->kind = rt->ops->net_kind ? rt->ops->net_kind(rt, &w)
				    : IB_NET_UNSUPPORTED;
	switch (n->kind) {
	case IB_NET_UNSUPPORTED:
		rc = ib_err_set(&e, -ENOTSUP, "%s has no network here: %s",
				rt->label,
				w.s ? w.s : "its driver does not link instances "
					    "to the host");
		break;
	case IB_NET_LOOPBACK:
		snprintf(n->host_addr, sizeof(n->host_addr), "127.0.0.1");
		snprintf(n->inst_addr, sizeof(n->inst_addr), "127.0.0.1");
		n->how = ib_xstrdup("loopback (the probe and the peer in the "
				    "host's network namespace, 127.0.0.1)");
		rc = 0;
		break;
	case IB_NET_ENGINE:
		rc = rt->ops->net_setup(rt, n, &e);
		break;
	default:
		rc = ib_net_link_create(n, &R->state, R->run_id, &e);
		/* the driver may choose how it uses the link (gVisor) */
		if (rc == 0 && rt->ops->net_setup)
			rc = rt->ops->net_setup(rt, n, &e);
		break;
	}
	ib_buf_free(&w);
	if (rc == 0)
		rc = ib_net_start_peer(n, &R->state, &e);
	if (rc < 0) {
		n->failed = 1;
		n->why = ib_xasprintf("network: %s", e.msg);
		snprintf(why, cap, "%s", n->why);
		return NULL;
	}
	return n;
}

static void do_launch(struct run *R, struct cell_state *c, int warmup)
{
	const struct ib_runtime_ops *ops = c->rt->ops;
	struct ib_launch l;
	struct launch_io io;
	struct ib_frame_parser fp;
	struct ib_strv args = {0};
	struct ib_err e = {0};
	char why[1200] = "", buf[65536];
	const char *status = "ok";
	int launched, timed_out = 0, interrupted = 0, eof = 0;
	uint64_t deadline, t_torn_down;
	struct first_byte fb = {0};
	struct ib_net *net = NULL;
	double wall;

	memset(&l, 0, sizeof(l));
	memset(&io, 0, sizeof(io));
	l.id = ++R->next_launch;
	l.name = launch_name(R, l.id);
	l.out_fd = -1;
	l.exit_code = -1;
	if (job_is_net(c->job) && (net = net_for(R, c, why, sizeof(why)))) {
		/* options before the workload's name */
		ib_strv_push(&args, "--peer");
		ib_strv_push(&args, net->peer_at);
		if (net->kind == IB_NET_TAP) {
			ib_strv_push(&args, "--net-if");
			ib_strv_push_owned(&args, ib_xasprintf(
				"%s/%d", net->inst_addr, net->prefix));
		}
		l.net = net;
	}
	ib_job_probe_args(c->job, &args);
	l.probe_argv = args.v;
	l.scratch_rootfs = c->job->scratch_rootfs;
	io.R = R;
	io.own_kernel = ops->own_kernel;
	io.l = &l;

	log_launch_event(R, c, &l, &args, warmup);
	progress(R, c, warmup);

	/* inherited by what the runtime's commands start (footprint.h) */
	setenv("ISOBENCH_LAUNCH", l.name, 1);
	l.t_launch_ns = ib_mono_ns();
	deadline = l.t_launch_ns + (uint64_t)(launch_timeout(R) * 1e9);
	if (job_is_net(c->job) && !net) {
		launched = 0; /* why says what the network lacks */
	} else {
		launched = ops->launch(c->rt, &l, &e) == 0;
		if (!launched)
			snprintf(why, sizeof(why), "launch failed: %s", e.msg);
	}
	if (net) {
		log_host_info(R, l.id, "net", "link", net->how);
		log_host_info(R, l.id, "net", "peer", net->peer_at);
		if (net->mode)
			log_host_info(R, l.id, "net", "mode", net->mode);
	}
	ib_frame_parser_init(&fp, on_frame, &io);
	while (launched && l.out_fd >= 0) {
		struct pollfd pfd = {l.out_fd, POLLIN, 0};
		uint64_t now = ib_mono_ns();
		int n, ms;
		ssize_t r;

		if (got_signal) {
			interrupted = 1;
			break;
		}
		if (now >= deadline) {
			timed_out = 1;
			break;
		}
		/* a VM whose guest never reaches the probe: give up at its
		 * boot deadline, not the launch's */
		if (!io.hello && l.boot_timeout_s > 0 &&
		    now >= l.t_launch_ns + (uint64_t)(l.boot_timeout_s * 1e9)) {
			timed_out = 2;
			break;
		}
		ms = (int)((deadline - now) / 1000000) + 1;
		n = poll(&pfd, 1, ms > 250 ? 250 : ms);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		if (n == 0 && io.done) {
			/* The done record came and then a quarter second of
			 * silence: the output is complete even if the pipe
			 * stays open (a sandbox keeps the container's stdio
			 * until it is waited for; a VM's console until it
			 * powers off). */
			eof = 1;
			break;
		}
		if (n == 0) {
			progress(R, c, warmup);
			ib_proc_reap_strays();
			continue;
		}
		r = read(l.out_fd, buf, sizeof(buf));
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0) {
			eof = 1;
			break;
		}
		first_byte_scan(&fb, buf, (size_t)r);
		if (io.raw.len < RAW_KEEP_MAX)
			ib_buf_put(&io.raw, buf, (size_t)r);
		ib_frame_feed(&fp, buf, (size_t)r);
	}
	ib_frame_finish(&fp);
	ib_frame_parser_free(&fp);
	if (eof) {
		int w = ops->wait(c->rt, &l, deadline);

		if (w == -ETIMEDOUT)
			timed_out = 1;
		else if (w == -EINTR || got_signal)
			interrupted = got_signal != 0;
	}
	if (!job_is_net(c->job) || net)
		ops->teardown(c->rt, &l);
	t_torn_down = ib_mono_ns();
	wall = (double)(t_torn_down - l.t_launch_ns) / 1e9;

	if (interrupted) {
		status = "interrupted";
		snprintf(why, sizeof(why), "interrupted by signal %d", (int)got_signal);
	} else if (!launched) {
		status = "failed";
	} else if (timed_out == 2) {
		status = "timeout";
		snprintf(why, sizeof(why),
			 "no record from the probe within %.0f s (the guest's "
			 "boot deadline): killed; output in output/launch-%d.log",
			 l.boot_timeout_s, l.id);
	} else if (timed_out) {
		status = "timeout";
		snprintf(why, sizeof(why),
			 "no exit within %.0f s (the launch timeout): killed",
			 launch_timeout(R));
	} else if (l.term_signal) {
		status = "failed";
		snprintf(why, sizeof(why), "probe killed by %s (signal %d)%s",
			 ib_signal_name(l.term_signal), l.term_signal,
			 io.done ? "" : " before its done record");
	} else if (!io.hello) {
		status = "failed";
		snprintf(why, sizeof(why),
			 "no hello record: the probe did not start (exit "
			 "status %d; output in output/launch-%d.log%s%s%s)",
			 l.exit_code, l.id,
			 io.last_text[0] ? ", its last line: \"" : "",
			 io.last_text, io.last_text[0] ? "\"" : "");
	} else if (!io.done) {
		status = "failed";
		snprintf(why, sizeof(why),
			 "output ended without a done record (exit status %d)",
			 l.exit_code);
	} else if (io.bad) {
		status = "failed";
		snprintf(why, sizeof(why), "%d unparsable record%s: %s", io.bad,
			 io.bad == 1 ? "" : "s", io.first_bad);
	} else if (io.done_records != io.frames - 1) {
		status = "failed";
		snprintf(why, sizeof(why),
			 "records lost: the probe wrote %ld before done, %d "
			 "arrived",
			 io.done_records, io.frames - 1);
	} else if (io.after_done) {
		status = "failed";
		snprintf(why, sizeof(why), "%d record%s after done",
			 io.after_done, io.after_done == 1 ? "" : "s");
	} else if (l.exit_code != 0 || io.done_status != 0) {
		status = "failed";
		snprintf(why, sizeof(why), "probe exit status %d%s%s",
			 l.exit_code != 0 ? l.exit_code : io.done_status,
			 io.first_error[0] ? ": " : "", io.first_error);
	}
	if (strcmp(status, "ok") != 0 || io.text_lines > 0)
		save_output(R, &io);

	log_end_event(R, &l, status, why, wall, fb.t, t_torn_down);

	c->seconds += wall;
	if (warmup) {
		c->warmups++;
	} else {
		c->launches++;
		if (strcmp(status, "ok") == 0)
			c->ok++;
		else if (strcmp(status, "interrupted") != 0)
			c->failed++;
	}
	ib_buf_free(&io.raw);
	ib_strv_free(&args);
	free(l.name);
}

/* Sleeps s seconds, or less if a signal comes. */
static void pause_unless_signalled(double s)
{
	uint64_t until = ib_mono_ns() + (uint64_t)(s * 1e9);

	while (!got_signal && ib_mono_ns() < until) {
		struct timespec nap = {0, 10000000};

		nanosleep(&nap, NULL);
	}
}

/* The startup benchmark's gap before each launch (0 by default: on a VM
 * an idle CPU goes cold, and the launch after it pays for that). */
static void pause_before(const struct cell_state *c)
{
	const char *v = ib_job_value(c->job, "gap");
	double gap = 0;

	/* a workload with a "gap" parameter (startup's) */
	if (v && ib_parse_seconds(v, &gap) == 0 && gap > 0)
		pause_unless_signalled(gap);
}

/* --- footprint and density ---------------------------------------------- */

struct held {
	struct ib_launch l;
	struct launch_io io;
	struct ib_frame_parser fp;
	struct ib_strv args;
	int launched, ready, eof;
	int boot_hung; /* no record by its boot deadline (a VM): given up */
	struct first_byte fb;
	char why[1200];
};

/* A record of what isobench measured on the host, logged as a record of
 * launch id (the round's first instance), so that `isobench report`
 * rebuilds it from raw.jsonl like any of the probe's. Returns the event;
 * *rec is its record, to fill. */
static cJSON *host_record(int id, const char *type, const char *bench,
			  cJSON **rec)
{
	cJSON *ev = cJSON_CreateObject();

	cJSON_AddStringToObject(ev, "ev", "record");
	cJSON_AddNumberToObject(ev, "launch", id);
	cJSON_AddStringToObject(ev, "from", "host");
	*rec = cJSON_AddObjectToObject(ev, "rec");
	cJSON_AddStringToObject(*rec, "type", type);
	cJSON_AddStringToObject(*rec, "bench", bench);
	return ev;
}

static void log_host_sample(struct run *R, int id, const char *metric,
			    const char *unit, int higher, double value,
			    const char *pkey, const char *pval, double pnum)
{
	cJSON *rec, *ev = host_record(id, "sample", "footprint", &rec), *params;

	cJSON_AddStringToObject(rec, "metric", metric);
	cJSON_AddStringToObject(rec, "unit", unit);
	cJSON_AddStringToObject(rec, "dir", higher ? "higher" : "lower");
	cJSON_AddNumberToObject(rec, "value", round(value * 1e4) / 1e4);
	cJSON_AddNumberToObject(rec, "rep", 0);
	params = cJSON_AddObjectToObject(rec, "params");
	if (pval)
		cJSON_AddStringToObject(params, pkey, pval);
	else if (pkey)
		cJSON_AddNumberToObject(params, pkey, pnum);
	log_event(R, ev);
}

static void log_host_info(struct run *R, int id, const char *bench,
			  const char *key, const char *value)
{
	cJSON *rec, *ev = host_record(id, "info", bench, &rec);

	cJSON_AddStringToObject(rec, "key", key);
	cJSON_AddStringToObject(rec, "value", value);
	log_event(R, ev);
}

/* Reads whatever the held instances wrote, up to deadline or until every
 * launched one is ready (its probe said it holds: hello and one more
 * record). Returns when the last became ready, or 0. */
static uint64_t wait_ready(struct held *h, int n, uint64_t deadline)
{
	char buf[16384];
	uint64_t t_all = 0;
	struct pollfd *pfd = ib_xcalloc((size_t)n, sizeof(*pfd));

	for (;;) {
		int waiting = 0, ms;
		uint64_t now = ib_mono_ns();

		for (int i = 0; i < n; i++) {
			pfd[i] = (struct pollfd){-1, POLLIN, 0};
			if (h[i].launched && !h[i].ready && !h[i].eof &&
			    !h[i].io.hello && h[i].l.boot_timeout_s > 0 &&
			    now >= h[i].l.t_launch_ns +
					   (uint64_t)(h[i].l.boot_timeout_s * 1e9)) {
				h[i].boot_hung = 1;
				h[i].eof = 1;
			}
			if (h[i].launched && !h[i].ready && !h[i].eof &&
			    h[i].l.out_fd >= 0) {
				pfd[i].fd = h[i].l.out_fd;
				waiting++;
			}
		}
		if (!waiting || now >= deadline || got_signal)
			break;
		ms = (int)((deadline - now) / 1000000) + 1;
		if (poll(pfd, (nfds_t)n, ms > 250 ? 250 : ms) <= 0)
			continue;
		for (int i = 0; i < n; i++) {
			ssize_t r;

			if (pfd[i].fd < 0 || !(pfd[i].revents & (POLLIN | POLLHUP)))
				continue;
			r = read(pfd[i].fd, buf, sizeof(buf));
			if (r < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (r <= 0) {
				h[i].eof = 1;
				continue;
			}
			first_byte_scan(&h[i].fb, buf, (size_t)r);
			ib_frame_feed(&h[i].fp, buf, (size_t)r);
			if (h[i].io.holding && !h[i].io.done) {
				h[i].ready = 1;
				t_all = ib_mono_ns();
			}
		}
	}
	free(pfd);
	for (int i = 0; i < n; i++)
		if (h[i].launched && !h[i].ready)
			return 0;
	return t_all;
}

/* One round of the footprint benchmark: N instances of the probe's hold
 * mode started back to back from this thread (each launch returns once
 * its runtime has started it; they come up while the next are made),
 * then, with all of them held: the PSS and RSS of each instance's host
 * processes (mean over the instances, per process role and in total),
 * the drop of MemAvailable per instance (page cache, dentries and inodes
 * dropped before both readings), the engine's daemons, and the start
 * rate; then every instance is torn down. */
static void do_footprint_round(struct run *R, struct cell_state *c)
{
	const struct ib_runtime_ops *ops = c->rt->ops;
	uint64_t n64 = 1, t0, t_ready, deadline, t_end;
	int n, ok = 0, dropped, drop;
	long long avail0, avail1;
	struct held *h;
	struct {
		char role[48];
		double rss, pss;
	} roles[IB_FP_MAX_PROCS];
	int nroles = 0;
	double tot_rss = 0, tot_pss = 0, guest_rss = 0;
	char note[256];

	ib_parse_count(ib_job_value(c->job, "instances"), &n64);
	n = (int)n64;
	h = ib_xcalloc((size_t)n, sizeof(*h));
	/* -1: not root; 1: not asked (footprint.drop_caches=off) */
	drop = strcmp(ib_job_value(c->job, "drop_caches"), "off") != 0;
	dropped = drop ? ib_drop_caches() : 1;
	avail0 = ib_mem_available_kb();
	t0 = ib_mono_ns();
	deadline = t0 + (uint64_t)(launch_timeout(R) * 1e9);
	for (int i = 0; i < n && !got_signal; i++) {
		struct held *x = &h[i];
		struct ib_err e = {0};

		x->l.id = ++R->next_launch;
		x->l.name = launch_name(R, x->l.id);
		x->l.out_fd = -1;
		x->l.exit_code = -1;
		ib_job_probe_args(c->job, &x->args);
		x->l.probe_argv = x->args.v;
		x->l.scratch_rootfs = c->job->scratch_rootfs;
		x->io.R = R;
		x->io.l = &x->l;
		ib_frame_parser_init(&x->fp, on_frame, &x->io);
		log_launch_event(R, c, &x->l, &x->args, 0);
		c->launches++;
		progress(R, c, 0);
		setenv("ISOBENCH_LAUNCH", x->l.name, 1);
		x->l.t_launch_ns = ib_mono_ns();
		x->launched = ops->launch(c->rt, &x->l, &e) == 0;
		if (!x->launched)
			snprintf(x->why, sizeof(x->why), "launch failed: %s", e.msg);
	}
	t_ready = wait_ready(h, n, deadline);
	if (t_ready) {
		double settle = 0;

		ib_parse_seconds(ib_job_value(c->job, "settle"), &settle);
		pause_unless_signalled(settle);
	}

	/* everything is measured with every instance held */
	for (int i = 0; i < n; i++) {
		struct ib_fp_set set;
		pid_t roots[8];
		int nroots = 0;

		if (!h[i].ready)
			continue;
		ok++;
		if (ops->instance_pids)
			nroots = ops->instance_pids(c->rt, &h[i].l, roots, 8);
		ib_fp_collect(h[i].l.name, roots, nroots, &set);
		for (int k = 0; k < set.n; k++) {
			int r = 0;

			while (r < nroles && strcmp(roles[r].role, set.p[k].role))
				r++;
			if (r == nroles) {
				if (nroles == IB_FP_MAX_PROCS)
					continue;
				snprintf(roles[r].role, sizeof(roles[r].role),
					 "%s", set.p[k].role);
				roles[r].rss = roles[r].pss = 0;
				nroles++;
			}
			roles[r].rss += (double)set.p[k].rss_kb;
			guest_rss += (double)set.p[k].guest_rss_kb;
			roles[r].pss += (double)set.p[k].pss_kb;
			tot_rss += (double)set.p[k].rss_kb;
			tot_pss += (double)set.p[k].pss_kb;
		}
	}
	if (dropped == 0)
		ib_drop_caches();
	avail1 = ib_mem_available_kb();
	if (ok == n && !got_signal) {
		int id = h[0].l.id;

		log_host_sample(R, id, "pss", "MiB", 0, tot_pss / n / 1024,
				"process", "total", 0);
		log_host_sample(R, id, "rss", "MiB", 0, tot_rss / n / 1024,
				"process", "total", 0);
		for (int r = 0; r < nroles; r++) {
			log_host_sample(R, id, "pss", "MiB", 0,
					roles[r].pss / n / 1024, "process",
					roles[r].role, 0);
			log_host_sample(R, id, "rss", "MiB", 0,
					roles[r].rss / n / 1024, "process",
					roles[r].role, 0);
		}
		/* a VM's: its guest's RAM, and the rest (the VMM's own) */
		if (guest_rss > 0) {
			log_host_sample(R, id, "guest_ram_rss", "MiB", 0,
					guest_rss / n / 1024, "process", "total", 0);
			log_host_sample(R, id, "vmm_overhead_rss", "MiB", 0,
					(tot_rss - guest_rss) / n / 1024,
					"process", "total", 0);
		}
		if (avail0 > 0 && avail1 > 0)
			log_host_sample(R, id, "mem_available_drop", "MiB", 0,
					(double)(avail0 - avail1) / n / 1024,
					"instances", NULL, n);
		if (t_ready > t0)
			log_host_sample(R, id, "start_rate", "instances/s", 1,
					n / ((double)(t_ready - t0) / 1e9),
					"instances", NULL, n);
		if (ops->shared_pids) {
			const char *names[4];
			pid_t pids[4];
			int ns = ops->shared_pids(c->rt, names, pids, 4);

			for (int k = 0; k < ns; k++) {
				uint64_t rss, pss;

				if (ib_fp_memory(pids[k], &rss, &pss) == 0)
					log_host_sample(R, id, "engine_pss", "MiB",
							0, (double)pss / 1024,
							"process", names[k], 0);
			}
		}
		snprintf(note, sizeof(note),
			 "%d held at once, started back to back from one "
			 "thread; caches %s", n,
			 dropped == 0 ? "dropped before each MemAvailable reading"
			 : dropped > 0 ? "NOT dropped (footprint.drop_caches="
					 "off): MemAvailable is rough"
				      : "NOT dropped (not root): MemAvailable is "
					"rough");
		log_host_info(R, id, "footprint", "method", note);
	}

	/* end every instance: all asked first, so they wind down together */
	for (int i = 0; i < n && ops->stop; i++)
		if (h[i].launched)
			ops->stop(c->rt, &h[i].l);
	for (int i = 0; i < n; i++) {
		struct held *x = &h[i];
		const char *status = "ok";
		uint64_t t_torn;

		if (!x->l.name)
			continue;
		/* also after a failed launch: what it made before failing
		 * (a bundle, a cgroup, the driver's state) is removed, as
		 * for a single launch */
		ops->teardown(c->rt, &x->l);
		t_torn = ib_mono_ns();
		ib_frame_finish(&x->fp);
		ib_frame_parser_free(&x->fp);
		if (got_signal) {
			status = "interrupted";
			snprintf(x->why, sizeof(x->why), "interrupted by signal %d",
				 (int)got_signal);
		} else if (!x->launched) {
			status = "failed";
		} else if (!x->ready) {
			status = "failed";
			if (x->boot_hung)
				snprintf(x->why, sizeof(x->why),
					 "no record from the probe within %.0f s "
					 "(the guest's boot deadline)",
					 x->l.boot_timeout_s);
			else
				snprintf(x->why, sizeof(x->why), "%s",
					 x->eof ? "the probe ended before it held"
						: "not holding within the launch "
						  "timeout");
		} else if (ok != n) {
			status = "failed";
			snprintf(x->why, sizeof(x->why),
				 "another instance of the round failed: nothing "
				 "measured");
		}
		if (strcmp(status, "ok") && !got_signal)
			save_output(R, &x->io);
		log_end_event(R, &x->l, status, x->why,
			      (double)(t_torn - x->l.t_launch_ns) / 1e9,
			      x->fb.t, t_torn);
		if (!strcmp(status, "ok"))
			c->ok++;
		else if (strcmp(status, "interrupted"))
			c->failed++;
		ib_buf_free(&x->io.raw);
		ib_strv_free(&x->args);
		free(x->l.name);
	}
	t_end = ib_mono_ns();
	c->seconds += (double)(t_end - t0) / 1e9;
	c->rounds++;
	free(h);
}

/* --- the policy ---------------------------------------------------------- */

static void cell_finished(struct run *R, struct cell_state *c, const char *why,
			  double rsd)
{
	cJSON *ev = cJSON_CreateObject();

	c->done = 1;
	cJSON_AddStringToObject(ev, "ev", "cell_done");
	cJSON_AddStringToObject(ev, "runtime", c->rt->label);
	cJSON_AddStringToObject(ev, "job", c->job->name);
	cJSON_AddStringToObject(ev, "why", why);
	log_event(R, ev);
	if (!R->tty && !R->o->quiet) {
		char r[32] = "-";

		if (isfinite(rsd))
			snprintf(r, sizeof(r), "%.2f%%", rsd);
		fprintf(stderr,
			"isobench: %s/%s: %d launch%s, max RSD %s, stopped by "
			"%s (%.0f s elapsed)\n",
			c->rt->label, c->job->name, c->launches,
			c->launches == 1 ? "" : "es", r, why, since_start(R));
	}
}

static void check_cell(struct run *R, struct cell_state *c)
{
	const struct ib_plan *p = R->plan;
	struct ib_cell *lc = ib_results_cell(&R->live, c->rt->label,
					     c->job->name);
	double rsd = lc ? ib_cell_max_rsd(&R->live, (int)(lc - R->live.cells),
					  NULL)
			: NAN;

	/* A cell whose first launch fails would fail again: stop it; one
	 * that has worked tolerates a single failure. */
	if (c->failed > 0 && (c->ok == 0 || c->failed >= 2)) {
		cell_finished(R, c, "failure", rsd);
		return;
	}
	if (c->job->wl->stop == IB_STOP_ROUNDS) {
		uint64_t want = 0;

		ib_parse_count(ib_job_value(c->job, "rounds"), &want);
		if (c->failed > 0)
			cell_finished(R, c, "failure", rsd);
		else if ((uint64_t)c->rounds >= want)
			cell_finished(R, c, "rounds", rsd);
		return;
	}
	/* A fixed number of launches, each a sample of every phase, so
	 * that p90 and p99 mean the same in every column. */
	if (c->job->wl->stop == IB_STOP_LAUNCHES) {
		uint64_t want = 0;

		ib_parse_count(ib_job_value(c->job, "launches"), &want);
		if ((uint64_t)c->launches >= want)
			cell_finished(R, c, "launches", rsd);
		return;
	}
	/* Repetitions, not launches: a launch may run several (--reps). */
	if (c->launches * c->job->reps_per_launch >= p->max_reps) {
		cell_finished(R, c, "max_reps", rsd);
		return;
	}
	if (c->launches * c->job->reps_per_launch < p->min_reps)
		return;
	if (isfinite(rsd) && rsd <= p->rsd_target) {
		cell_finished(R, c, "rsd_target", rsd);
		return;
	}
	if (c->seconds >= p->max_time)
		cell_finished(R, c, "max_time", rsd);
}

/* --- set-up -------------------------------------------------------------- */

static int dir_is_empty(const char *path)
{
	int empty = 1;
	DIR *d;
	struct dirent *e;

	d = opendir(path);
	if (!d)
		return 0;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			empty = 0;
	closedir(d);
	return empty;
}

/* The run directory: a given one must be new or empty; a new one (the
 * default isobench-results/<run id> too) is made here, exclusively, and
 * checked (ours, not a symlink, not writable by others). */
static int make_run_dir(struct run *R, struct ib_err *err)
{
	struct stat st;
	char *dir, *parent, *slash;
	int rc;

	if (R->o->out_dir) {
		dir = ib_xstrdup(R->o->out_dir);
		if (stat(dir, &st) == 0) {
			if (!S_ISDIR(st.st_mode))
				rc = ib_err_set(err, -ENOTDIR,
						"output %s exists and is not a "
						"directory",
						dir);
			else if (!dir_is_empty(dir))
				rc = ib_err_set(err, -EEXIST,
						"output directory %s is not "
						"empty: give a new one with -o",
						dir);
			else if (access(dir, W_OK) != 0)
				rc = ib_err_set(err, -errno, "output directory "
						"%s is not writable: %s", dir,
						strerror(errno));
			else
				rc = 0;
			if (rc < 0) {
				free(dir);
				return rc;
			}
			/* an empty one given: used as it is */
			R->dir = dir;
			return 0;
		}
	} else {
		dir = ib_xasprintf("isobench-results/%s", R->run_id);
	}
	parent = ib_xstrdup(dir);
	slash = strrchr(parent, '/');
	while (slash && slash > parent && slash[1] == '\0') {
		*slash = '\0'; /* "out/" */
		slash = strrchr(parent, '/');
	}
	rc = 0;
	if (slash && slash > parent) {
		*slash = '\0';
		rc = ib_mkdirs(parent, 0755, err);
	}
	free(parent);
	if (rc == 0)
		rc = ib_mkdir_private(dir, 0755, 1, err);
	if (rc < 0) {
		/* not ours: the error path must not clean anything in it */
		free(dir);
		return ib_err_wrap(err, "output directory");
	}
	R->dir = dir;
	R->created_dir = 1;
	return 0;
}

/* Adds the runtime of spec as a column (once per canonical label). */
static int add_column(struct run *R, const char *spec, struct ib_err *err)
{
	const struct ib_runtime_ops *ops;
	char *values[IB_RT_MAX_OPTIONS], *label;
	struct ib_runtime *rt;

	if (ib_runtime_spec(spec, &ops, values, &label, err) < 0)
		return -EINVAL;
	if (ib_strv_find(&R->columns, label) >= 0) {
		ib_runtime_spec_free(values);
		free(label);
		return 0;
	}
	R->rts = ib_xrealloc(R->rts, sizeof(*R->rts) * (size_t)(R->columns.n + 1));
	rt = &R->rts[R->columns.n];
	memset(rt, 0, sizeof(*rt));
	rt->ops = ops;
	rt->ctx = &R->ctx;
	rt->label = label;
	memcpy(rt->opt, values, sizeof(rt->opt));
	ib_strv_push(&R->columns, label);
	return 0;
}

/* The columns: every runtime asked for, as canonical specs, in order:
 * the plan's (all: every registered one with its defaults), then those
 * only some jobs name. */
static int resolve_runtimes(struct run *R, struct ib_err *err)
{
	struct ib_plan *p = R->plan;
	int all = p->runtimes.n == 0 || ib_strv_find(&p->runtimes, "all") >= 0;

	int net = 0;

	for (int j = 0; j < p->njobs; j++)
		net |= job_is_net(&p->jobs[j]);
	if (all)
		for (int i = 0; i < ib_nruntimes; i++) {
			const char *const *x = ib_runtimes[i]->also_default;

			if (add_column(R, ib_runtimes[i]->name, err) < 0)
				return -EINVAL;
			for (; x && *x; x++)
				if (add_column(R, *x, err) < 0)
					return -EINVAL;
		}
	for (int i = 0; i < p->runtimes.n; i++)
		if (strcmp(p->runtimes.v[i], "all") != 0 &&
		    add_column(R, p->runtimes.v[i], err) < 0)
			return -EINVAL;
	for (int j = 0; j < p->njobs; j++)
		for (int i = 0; i < p->jobs[j].runtimes.n; i++)
			if (add_column(R, p->jobs[j].runtimes.v[i], err) < 0)
				return -EINVAL;
	/* a net job brings the reference rows of the runtimes in the run
	 * (native:net=loopback beside native) */
	for (int i = 0; net && i < ib_nruntimes; i++) {
		const char *const *x = ib_runtimes[i]->also_default_net;

		if (ib_strv_find(&R->columns, ib_runtimes[i]->name) < 0)
			continue;
		for (; x && *x; x++)
			if (add_column(R, *x, err) < 0)
				return -EINVAL;
	}
	return 0;
}

/* Is the runtime labelled label among specs (canonicalised)? */
static int specs_name(const struct ib_strv *specs, const char *label)
{
	for (int i = 0; i < specs->n; i++) {
		const struct ib_runtime_ops *ops;
		char *values[IB_RT_MAX_OPTIONS], *l = NULL;
		int same;

		if (ib_runtime_spec(specs->v[i], &ops, values, &l, NULL) < 0)
			continue;
		same = !strcmp(l, label);
		ib_runtime_spec_free(values);
		free(l);
		if (same)
			return 1;
	}
	return 0;
}

/* available() and prepare() of every runtime; logs a runtime event for
 * each, usable or not. */
static void setup_runtimes(struct run *R)
{
	int ncols = R->columns.n;

	R->rts_set_up = 1;
	/* R->rts holds every column; usable ones are moved to the front */
	for (int i = 0; i < ncols; i++) {
		struct ib_runtime rt = R->rts[i];
		const struct ib_runtime_ops *ops = rt.ops;
		struct ib_buf why = {0}, fix = {0};
		struct ib_err e = {0};
		cJSON *ev = cJSON_CreateObject(), *o;
		int ok = ops->available_spec
				 ? ops->available_spec(&rt, &why, &fix)
				 : ops->available(&why, &fix);

		if (ok && ops->prepare(&rt, &e) < 0) {
			ok = 0;
			ib_buf_printf(&why, "prepare failed: %s", e.msg);
			if (ops->release)
				ops->release(&rt);
		}
		cJSON_AddStringToObject(ev, "ev", "runtime");
		cJSON_AddStringToObject(ev, "runtime", rt.label);
		cJSON_AddStringToObject(ev, "driver", ops->name);
		cJSON_AddStringToObject(ev, "family", ops->family);
		o = cJSON_AddObjectToObject(ev, "options");
		for (int k = 0; k < ops->noptions; k++)
			cJSON_AddStringToObject(o, ops->options[k].name, rt.opt[k]);
		cJSON_AddBoolToObject(ev, "available", ok);
		if (ok) {
			cJSON *d = cJSON_AddObjectToObject(ev, "describe");

			ops->describe(&rt, d);
			R->rts[R->nrts++] = rt;
		} else {
			cJSON_AddStringToObject(ev, "why", why.s ? why.s : "not usable");
			if (fix.s)
				cJSON_AddStringToObject(ev, "fix", fix.s);
			fprintf(stderr, "isobench: skipping %s: %s%s%s%s\n",
				rt.label, why.s ? why.s : "not usable",
				fix.s ? " (fix: " : "", fix.s ? fix.s : "",
				fix.s ? ")" : "");
			ib_runtime_spec_free(rt.opt);
			free(rt.label);
		}
		log_event(R, ev);
		ib_buf_free(&why);
		ib_buf_free(&fix);
	}
}

static void make_cells(struct run *R)
{
	struct ib_plan *p = R->plan;

	R->cells = ib_xcalloc((size_t)(p->njobs * (R->nrts ? R->nrts : 1)),
			      sizeof(*R->cells));
	for (int j = 0; j < p->njobs; j++)
		for (int i = 0; i < R->nrts; i++) {
			const struct ib_job *job = &p->jobs[j];

			if (job->runtimes.n &&
			    !specs_name(&job->runtimes, R->rts[i].label))
				continue;
			/* a net-only column (native:net=loopback) */
			if (!job_is_net(job) && ib_runtime_net_only(&R->rts[i]))
				continue;
			/* (a net-only column is in the run for the net
			 * jobs, also when a runtime of -r brought it:
			 * also_default_net) */
			if (!job->runtimes.n && p->runtimes.n &&
			    ib_strv_find(&p->runtimes, "all") < 0 &&
			    !specs_name(&p->runtimes, R->rts[i].label) &&
			    !ib_runtime_net_only(&R->rts[i]))
				continue;
			R->cells[R->ncells++] = (struct cell_state){
				.job = job, .rt = &R->rts[i]};
		}
}

static void log_run_event(struct run *R)
{
	cJSON *ev = cJSON_CreateObject(), *arr;
	char started[32];

	ib_utc_iso8601(started, sizeof(started));
	cJSON_AddStringToObject(ev, "ev", "run");
	cJSON_AddNumberToObject(ev, "schema", IB_RESULTS_SCHEMA_VERSION);
	cJSON_AddStringToObject(ev, "isobench", ISOBENCH_VERSION);
	cJSON_AddStringToObject(ev, "run_id", R->run_id);
	cJSON_AddStringToObject(ev, "started", started);
	arr = cJSON_AddArrayToObject(ev, "runtimes");
	for (int i = 0; i < R->columns.n; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(R->columns.v[i]));
	/* the columns that run only net jobs (make_cells), so that the
	 * results have no cell, rather than a "not run" one, for the others
	 * (R->rts[i] is column i until setup_runtimes) */
	arr = cJSON_AddArrayToObject(ev, "net_only");
	for (int i = 0; i < R->columns.n; i++)
		if (ib_runtime_net_only(&R->rts[i]))
			cJSON_AddItemToArray(arr, cJSON_CreateString(R->columns.v[i]));
	cJSON_AddItemToObject(ev, "plan", ib_plan_to_json(R->plan));
	cJSON_AddItemToObject(ev, "fingerprint",
			      ib_fingerprint(R->scratch, R->probe));
	log_event(R, ev);
}

int ib_run(struct ib_plan *plan, const struct ib_runner_opts *o)
{
	struct run R;
	struct ib_err err = {0};
	struct ib_results final;
	int rc = IB_EXIT_OK, any_failed = 0;
	char *path, ended[32];
	cJSON *ev;

	memset(&R, 0, sizeof(R));
	R.plan = plan;
	R.o = o;
	R.log.fd = -1;
	R.tty = isatty(2);
	ib_results_init(&R.live);
	ib_run_id_make(R.run_id, sizeof(R.run_id));
	if (ib_plan_check(plan, &err) < 0) {
		fprintf(stderr, "isobench: %s\n", err.msg);
		rc = IB_EXIT_USAGE;
		goto out;
	}
	if (resolve_runtimes(&R, &err) < 0) {
		fprintf(stderr, "isobench: %s\n", err.msg);
		rc = IB_EXIT_USAGE;
		goto out;
	}
	if (access(o->probe_path, X_OK) != 0) {
		fprintf(stderr,
			"isobench: probe %s: %s (build it, or give --probe)\n",
			o->probe_path, strerror(errno));
		rc = IB_EXIT_ENV;
		goto out;
	}
	/* Absolute: the probe runs with the scratch directory as its working
	 * directory, where a relative path means something else. */
	R.probe = realpath(o->probe_path, NULL);
	if (!R.probe)
		R.probe = ib_xstrdup(o->probe_path);
	if (make_run_dir(&R, &err) < 0) {
		fprintf(stderr, "isobench: %s\n", err.msg);
		rc = IB_EXIT_ENV;
		goto out;
	}
	path = ib_xasprintf("%s/raw.jsonl", R.dir);
	if (ib_rawlog_create(&R.log, path, &err) < 0 ||
	    ib_state_open(&R.state, R.dir, R.run_id, &err) < 0) {
		free(path);
		fprintf(stderr, "isobench: %s\n", err.msg);
		rc = IB_EXIT_ENV;
		goto out;
	}
	free(path);
	R.state_open = 1;
	/* Everything the run starts carries its id in the environment: what
	 * escapes its process group (a daemon's helpers) is still found. */
	setenv("ISOBENCH_RUN", R.run_id, 1);
	if (ib_state_add_marker(&R.state, R.run_id, &err) < 0) {
		fprintf(stderr, "isobench: %s\n", err.msg);
		rc = IB_EXIT_ENV;
		goto out;
	}

	/* A directory of the run's own on the scratch filesystem: scratch/
	 * for the probe's files, bundles/ for the container runtimes. Made
	 * exclusively, in a directory others may write (/var/tmp is): one
	 * that exists already is someone else's, never used nor removed
	 * (R.work stays NULL). Recorded once made, not before: a crash in
	 * between leaves an empty directory, while a record made first
	 * would point cleanup at the other one's. */
	{
		const char *parent = o->scratch_parent ? o->scratch_parent
						       : "/var/tmp";
		char *work = ib_xasprintf("%s/isobench-%s", parent, R.run_id);

		if (ib_mkdirs(parent, 0700, &err) < 0 ||
		    ib_mkdir_private(work, 0700, 1, &err) < 0) {
			fprintf(stderr, "isobench: scratch directory: %s\n",
				err.msg);
			free(work);
			rc = IB_EXIT_ENV;
			goto out;
		}
		R.work = work;
		if (ib_state_add_dir(&R.state, "work", R.work, &err) < 0) {
			fprintf(stderr, "isobench: %s\n", err.msg);
			rmdir(R.work);
			free(R.work);
			R.work = NULL;
			rc = IB_EXIT_ENV;
			goto out;
		}
	}
	R.scratch = ib_xasprintf("%s/scratch", R.work);
	if (ib_mkdirs(R.scratch, 0700, &err) < 0) {
		fprintf(stderr, "isobench: scratch directory: %s\n", err.msg);
		rc = IB_EXIT_ENV;
		goto out;
	}
	R.ctx = (struct ib_run_ctx){
		.run_id = R.run_id, .run_dir = R.dir, .work = R.work,
		.scratch = R.scratch, .probe_path = R.probe, .state = &R.state,
		.limits = {plan->cpus, plan->memory}};
	{
		/* the plan as run, beside its results: a run whose plan
		 * cannot be kept is not started */
		char *ini = ib_plan_to_ini(plan);
		int wrc;

		path = ib_xasprintf("%s/plan.ini", R.dir);
		wrc = ib_write_file_atomic(path, ini, strlen(ini), &err);
		free(path);
		free(ini);
		if (wrc < 0) {
			fprintf(stderr, "isobench: %s\n", err.msg);
			rc = IB_EXIT_ENV;
			goto out;
		}
	}
	R.t0 = ib_mono_ns();
	if (!o->quiet)
		fprintf(stderr, "isobench: run %s -> %s\n", R.run_id, R.dir);
	log_run_event(&R);
	R.started = 1;
	setup_runtimes(&R);
	if (R.nrts == 0) {
		fprintf(stderr, "isobench: no usable runtime among those asked "
			"for; nothing measured\n");
		rc = IB_EXIT_ENV;
	}
	if (!ib_runtime_find(plan->baseline) ||
	    ib_strv_find(&R.columns, plan->baseline) < 0)
		fprintf(stderr, "isobench: baseline %s is not in this run: no "
			"ratios\n", plan->baseline);
	make_cells(&R);
	R.nets = ib_xcalloc((size_t)(R.nrts ? R.nrts : 1), sizeof(*R.nets));

	/* Rounds: every unfinished cell once per round, in plan order. */
	for (int round = 0; !got_signal && !R.io_failed; round++) {
		int active = 0;

		for (int i = 0; i < R.ncells && !got_signal && !R.io_failed; i++) {
			struct cell_state *c = &R.cells[i];

			if (c->done)
				continue;
			active++;
			while (c->warmups < plan->warmup && !got_signal)
				do_launch(&R, c, 1);
			if (got_signal)
				break;
			if (c->job->wl->schedule == IB_SCHED_DENSITY) {
				do_footprint_round(&R, c);
			} else if (c->job->wl->schedule == IB_SCHED_BACK_TO_BACK) {
				/* A runtime's launches back to back, as
				 * hyperfine runs a command: interleaved, each
				 * would pay for the clean-up another runtime
				 * left running in the background. */
				while (!c->done && !got_signal && !R.io_failed) {
					pause_before(c);
					do_launch(&R, c, 0);
					check_cell(&R, c);
				}
				continue;
			} else {
				do_launch(&R, c, 0);
			}
			check_cell(&R, c);
		}
		if (!active)
			break;
	}
	progress_clear(&R);
	if (R.io_failed) {
		fprintf(stderr, "isobench: %s\n", R.io_err.msg);
		rc = IB_EXIT_ENV;
	}
	ev = cJSON_CreateObject();
	ib_utc_iso8601(ended, sizeof(ended));
	cJSON_AddStringToObject(ev, "ev", "run_end");
	cJSON_AddStringToObject(ev, "status", got_signal ? "interrupted" : "complete");
	cJSON_AddStringToObject(ev, "ended", ended);
	cJSON_AddNumberToObject(ev, "elapsed_s", round(since_start(&R) * 1e3) / 1e3);
	log_event(&R, ev);
	ib_rawlog_close(&R.log);

	/* The results files are built from raw.jsonl, exactly as `isobench
	 * report` builds them: what a run writes is what a rebuild writes. */
	path = ib_xasprintf("%s/raw.jsonl", R.dir);
	ib_results_init(&final);
	if (ib_results_load(&final, path, &err) < 0 ||
	    ib_report_write_all(&final, R.dir, &err) < 0) {
		fprintf(stderr, "isobench: %s\n", err.msg);
		rc = IB_EXIT_ENV;
	} else {
		for (int i = 0; i < final.ncells; i++)
			if (!strcmp(final.cells[i].status, "failed") ||
			    !strcmp(final.cells[i].status, "partial"))
				any_failed = 1;
		if (o->summary && !o->quiet)
			ib_report_terminal(&final, stdout);
		if (!o->quiet)
			fprintf(stderr,
				"\nisobench: %s in %.0f s: %s/{raw.jsonl, "
				"results.json, results.csv, report.md}\n",
				got_signal ? "interrupted" : "done",
				since_start(&R), R.dir);
	}
	free(path);
	ib_results_free(&final);
	if (rc == IB_EXIT_OK && any_failed)
		rc = IB_EXIT_CELLS_FAILED;
	if (got_signal)
		rc = IB_EXIT_INTERRUPTED;
out:
	/* The runtimes first, while the state file is open and the work
	 * directory exists: an engine isobench started keeps its data
	 * there, and what they remove is struck off the state. */
	for (int i = 0; R.nets && i < R.nrts; i++)
		ib_net_link_remove(&R.nets[i], &R.state);
	free(R.nets);
	for (int i = 0; i < R.nrts; i++)
		if (R.rts[i].ops->release) {
			R.rts[i].ops->release(&R.rts[i]);
			R.rts[i].priv = NULL;
		}
	if (R.work) {
		ib_unmount_under(R.work);
		ib_rmtree(R.work);
		if (R.state_open)
			ib_state_del(&R.state, "work", NULL);
	}
	if (R.state_open) {
		ib_state_del(&R.state, "marker", NULL);
		ib_state_close(&R.state);
	}
	if (R.log.fd >= 0)
		ib_rawlog_close(&R.log);
	if (R.dir && !R.started) {
		/* Failed before measuring anything: leave no half-made run
		 * directory behind (and the same -o usable again). */
		static const char *const files[] = {"raw.jsonl", "state.jsonl",
						    "plan.ini"};

		for (size_t i = 0; i < IB_ARRAY_LEN(files); i++) {
			char *f = ib_xasprintf("%s/%s", R.dir, files[i]);

			unlink(f);
			free(f);
		}
		if (R.created_dir)
			rmdir(R.dir);
	}
	ib_results_free(&R.live);
	for (int i = 0; i < R.nrts; i++) {
		ib_runtime_spec_free(R.rts[i].opt);
		free(R.rts[i].label);
	}
	if (!R.rts_set_up) /* the columns still own their specs */
		for (int i = 0; R.rts && i < R.columns.n; i++) {
			ib_runtime_spec_free(R.rts[i].opt);
			free(R.rts[i].label);
		}
	free(R.rts);
	ib_strv_free(&R.columns);
	free(R.cells);
	free(R.dir);
	free(R.scratch);
	free(R.work);
	free(R.probe);
	return rc;
}
