/* run/launch: one launch of the probe through a runtime's driver: spawn,
 * read and frame its output, check and log each record, time its phases,
 * tear it down; a bad or hung probe costs its launch, not the run. */
#include "run/internal.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

#include "results/record.h"

/* --- one launch ---------------------------------------------------------- */

void run_first_byte_scan(struct first_byte *f, const char *buf, size_t n)
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
	run_log_event(io->R, ev);
}

void run_on_frame(void *user, enum ib_frame_kind kind, const char *data,
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
	run_log_event(io->R, ev);
}

/* Saves the probe's whole output when it matters: a failed launch or
 * output that was not all records. */
void run_save_output(struct run *R, const struct launch_io *io)
{
	char *dir = ib_xasprintf("%s/output", R->dir), *path;

	ib_mkdirs(dir, 0755, NULL);
	path = ib_xasprintf("%s/launch-%d.log", dir, io->l->id);
	ib_write_file_atomic(path, io->raw.s ? io->raw.s : "", io->raw.len, NULL);
	free(path);
	free(dir);
}

double run_launch_timeout(const struct run *R)
{
	return R->plan->timeout > 0 ? R->plan->timeout : DEFAULT_TIMEOUT_S;
}

/* "isobench-<run id>-000042": fixed width, so that no launch's name is a
 * prefix of another's (runsc, like docker, takes any unique prefix of an
 * id: "-1" would be ambiguous while "-10" exists). */
char *run_launch_name(const struct run *R, int id)
{
	return ib_xasprintf("isobench-%s-%06d", R->run_id, id);
}

void run_log_launch_event(struct run *R, const struct cell_state *c,
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
	/* the neighbour it ran beside, if any (each sample says so) */
	if (R->neighbour.pid > 0 && !R->neighbour_ended)
		cJSON_AddStringToObject(ev, "neighbour", R->neighbour_kind);
	cJSON_AddBoolToObject(ev, "warmup", warmup);
	arr = cJSON_AddArrayToObject(ev, "argv");
	for (int i = 0; i < args->n; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(args->v[i]));
	cJSON_AddNumberToObject(ev, "t_s", round(run_since_start(R) * 1e3) / 1e3);
	run_log_event(R, ev);
}

void run_log_end_event(struct run *R, const struct one_launch *x,
		       const char *status, double wall, uint64_t t_torn_down)
{
	const struct ib_launch *l = &x->l;
	uint64_t t_first_byte = x->fb.t;
	cJSON *ev = cJSON_CreateObject();

	cJSON_AddStringToObject(ev, "ev", "end");
	cJSON_AddNumberToObject(ev, "launch", l->id);
	cJSON_AddStringToObject(ev, "status", status);
	if (x->why[0])
		cJSON_AddStringToObject(ev, "why", x->why);
	if (x->left_on)
		cJSON_AddStringToObject(ev, "guest_poweroff", "forced");
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
	run_log_event(R, ev);
	ib_rawlog_sync(&R->log);
}


int run_job_needs_link(const struct ib_job *job)
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

void run_launch_prepare(struct run *R, struct cell_state *c,
			struct one_launch *x, int warmup)
{
	x->l.id = ++R->next_launch;
	x->l.name = run_launch_name(R, x->l.id);
	x->l.out_fd = -1;
	x->l.exit_code = -1;
	/* not started yet: a teardown must close none of isobench's own */
	x->l.proc.out_fd = -1;
	x->l.proc.in_fd = -1;
	if (run_job_needs_link(c->job) &&
	    (x->net = net_for(R, c, x->why, sizeof(x->why)))) {
		/* options before the workload's name */
		ib_strv_push(&x->args, "--peer");
		ib_strv_push(&x->args, x->net->peer_at);
		if (x->net->kind == IB_NET_TAP) {
			ib_strv_push(&x->args, "--net-if");
			ib_strv_push_owned(&x->args, ib_xasprintf(
				"%s/%d", x->net->inst_addr, x->net->prefix));
		}
		x->l.net = x->net;
	}
	if (c->job->wl->schedule == IB_SCHED_SERVE && !x->load_failed) {
		struct ib_err e = {0};

		if (c->rt->ops->apps == IB_APPS_NONE) {
			snprintf(x->why, sizeof(x->why),
				 "%s does not run in %s yet: the application "
				 "image reaches native, runc, crun, gvisor, "
				 "docker and qemu so far (firecracker's and "
				 "kata's instances are to come)",
				 c->job->wl->name, c->rt->label);
			x->load_failed = 1;
		} else if (run_serve_prepare(R, c, x, &e) < 0) {
			snprintf(x->why, sizeof(x->why), "%s's files: %s",
				 c->job->wl->name, e.msg);
			x->load_failed = 1;
		}
	}
	ib_job_probe_args(c->job, &x->args);
	x->l.probe_argv = x->args.v;
	x->l.scratch_rootfs = c->job->scratch_rootfs;
	x->io.R = R;
	x->io.l = &x->l;
	ib_frame_parser_init(&x->fp, run_on_frame, &x->io);
	run_log_launch_event(R, c, &x->l, &x->args, warmup);
}

void run_launch_start(struct run *R, struct cell_state *c,
		      struct one_launch *x)
{
	struct ib_err e = {0};

	/* inherited by what the runtime's commands start (footprint.h) */
	setenv("ISOBENCH_LAUNCH", x->l.name, 1);
	x->l.t_launch_ns = ib_mono_ns();
	if ((run_job_needs_link(c->job) && !x->net) || x->load_failed) {
		x->launched = 0; /* why says what is missing */
	} else {
		x->launched = c->rt->ops->launch(c->rt, &x->l, &e) == 0;
		/* the plan's deadline for a guest's boot, if it sets one */
		if (x->l.boot_timeout_s > 0 && R->plan->boot_timeout > 0)
			x->l.boot_timeout_s = R->plan->boot_timeout;
		if (!x->launched)
			snprintf(x->why, sizeof(x->why), "launch failed: %s",
				 e.msg);
	}
	if (x->net) {
		run_log_host_info(R, x->l.id, "net", "link", x->net->how);
		run_log_host_info(R, x->l.id, "net", "peer", x->net->peer_at);
		if (x->net->mode)
			run_log_host_info(R, x->l.id, "net", "mode",
					  x->net->mode);
	}
}

ssize_t run_launch_read(struct one_launch *x, char *buf, size_t cap)
{
	ssize_t r = read(x->l.out_fd, buf, cap);

	if (r < 0 && (errno == EINTR || errno == EAGAIN))
		return -1;
	if (r <= 0) {
		x->eof = 1;
		return 0;
	}
	run_first_byte_scan(&x->fb, buf, (size_t)r);
	if (x->io.raw.len < RAW_KEEP_MAX)
		ib_buf_put(&x->io.raw, buf, (size_t)r);
	ib_frame_feed(&x->fp, buf, (size_t)r);
	return r;
}

void run_launch_free(struct one_launch *x)
{
	ib_buf_free(&x->io.raw);
	ib_strv_free(&x->args);
	free(x->l.name);
	free(x->app_root);
	free(x->scratch_data);
	free(x->app_tmpfs);
	x->app_root = NULL;
	x->app_image = NULL;
	x->scratch_data = NULL;
	x->app_tmpfs = NULL;
	x->l.app_tmpfs = NULL;
	x->l.app_disk = NULL;
	x->l.app_root = NULL;
	x->l.name = NULL;
}

/* Reads the probe's output until it ends (the done record, then a
 * quarter second of silence, or end of file), the deadline, the guest's
 * boot deadline, or a signal. Returns 0 at the end, 1 interrupted, 2 the
 * launch timed out, 3 the boot deadline passed. */
static int pump(struct run *R, struct cell_state *c, struct one_launch *x,
		uint64_t deadline, int warmup)
{
	char buf[65536];

	while (x->launched && x->l.out_fd >= 0) {
		struct pollfd pfd = {x->l.out_fd, POLLIN, 0};
		uint64_t now = ib_mono_ns();
		int n, ms;

		if (run_signal())
			return 1;
		if (now >= deadline)
			return 2;
		/* a VM whose guest never reaches the probe: give up at its
		 * boot deadline, not the launch's */
		if (!x->io.hello && x->l.boot_timeout_s > 0 &&
		    now >= x->l.t_launch_ns +
				   (uint64_t)(x->l.boot_timeout_s * 1e9))
			return 3;
		ms = (int)((deadline - now) / 1000000) + 1;
		n = poll(&pfd, 1, ms > 250 ? 250 : ms);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return 0;
		if (n == 0 && x->io.done) {
			/* The done record came and then a quarter second of
			 * silence: the output is complete even if the pipe
			 * stays open (a sandbox keeps the container's stdio
			 * until it is waited for; a VM's console until it
			 * powers off). */
			x->eof = 1;
			return 0;
		}
		if (n == 0) {
			run_progress(R, c, warmup);
			ib_proc_reap_strays();
			continue;
		}
		if (run_launch_read(x, buf, sizeof(buf)) == 0)
			return 0;
		/* an application's server accepts: load it, then end it */
		if (c->job->wl->schedule == IB_SCHED_SERVE && x->io.holding &&
		    !x->served) {
			x->served = 1;
			x->load_failed = run_serve_load(R, c, x) < 0;
			if (c->rt->ops->stop)
				c->rt->ops->stop(c->rt, &x->l);
		}
	}
	return 0;
}

/* The status of a launch that ran to its end: "ok", or why not in
 * x->why. */
static const char *verdict(const struct run *R, struct one_launch *x,
			   int interrupted, int timed_out)
{
	const struct ib_launch *l = &x->l;
	const struct launch_io *io = &x->io;
	char *why = x->why;
	size_t cap = sizeof(x->why);

	if (interrupted) {
		snprintf(why, cap, "interrupted by signal %d", run_signal());
		return "interrupted";
	}
	if (!x->launched || x->load_failed)
		return "failed";
	if (timed_out == 2 && x->replace) {
		snprintf(why, cap,
			 "its guest hung at boot: no record from the probe "
			 "within %.3g s (the boot deadline), so the kernel or the "
			 "emulator stopped before the probe started; killed and "
			 "replaced by another launch; output in "
			 "output/launch-%d.log",
			 l->boot_timeout_s, l->id);
		return "replaced";
	}
	if (timed_out == 2) {
		snprintf(why, cap,
			 "no record from the probe within %.3g s (the guest's "
			 "boot deadline): killed; output in output/launch-%d.log",
			 l->boot_timeout_s, l->id);
		return "timeout";
	}
	if (timed_out) {
		snprintf(why, cap,
			 "no exit within %.0f s (the launch timeout): killed",
			 run_launch_timeout(R));
		return "timeout";
	}
	if (l->term_signal)
		snprintf(why, cap, "probe killed by %s (signal %d)%s",
			 ib_signal_name(l->term_signal), l->term_signal,
			 io->done ? "" : " before its done record");
	else if (!io->hello)
		snprintf(why, cap,
			 "no hello record: the probe did not start (exit "
			 "status %d; output in output/launch-%d.log%s%s%s)",
			 l->exit_code, l->id,
			 io->last_text[0] ? ", its last line: \"" : "",
			 io->last_text, io->last_text[0] ? "\"" : "");
	else if (!io->done)
		snprintf(why, cap,
			 "output ended without a done record (exit status %d)",
			 l->exit_code);
	else if (io->bad)
		snprintf(why, cap, "%d unparsable record%s: %s", io->bad,
			 io->bad == 1 ? "" : "s", io->first_bad);
	else if (io->done_records != io->frames - 1)
		snprintf(why, cap,
			 "records lost: the probe wrote %ld before done, %d "
			 "arrived",
			 io->done_records, io->frames - 1);
	else if (io->after_done)
		snprintf(why, cap, "%d record%s after done",
			 io->after_done, io->after_done == 1 ? "" : "s");
	else if ((l->exit_code != 0 && !x->left_on) || io->done_status != 0)
		snprintf(why, cap, "probe exit status %d%s%s",
			 l->exit_code != 0 && !x->left_on ? l->exit_code
							  : io->done_status,
			 io->first_error[0] ? ": " : "", io->first_error);
	else
		return "ok";
	return "failed";
}

void run_launch(struct run *R, struct cell_state *c, int warmup)
{
	const struct ib_runtime_ops *ops = c->rt->ops;
	struct one_launch x;
	const char *status;
	int timed_out = 0, interrupted = 0, end;
	uint64_t deadline, t_torn_down;
	double wall;

	memset(&x, 0, sizeof(x));
	run_launch_prepare(R, c, &x, warmup);
	x.io.own_kernel = ops->own_kernel;
	run_progress(R, c, warmup);
	run_launch_start(R, c, &x);
	deadline = x.l.t_launch_ns + (uint64_t)(run_launch_timeout(R) * 1e9);
	if (c->job->wl->schedule == IB_SCHED_SERVE)
		deadline += (uint64_t)(run_serve_seconds(c->job) * 1e9);
	end = pump(R, c, &x, deadline, warmup);
	interrupted = end == 1;
	timed_out = end == 2 ? 1 : end == 3 ? 2 : 0;
	x.replace = timed_out == 2 && c->hung_boots < RUN_HUNG_BOOTS_REPLACED;
	ib_frame_finish(&x.fp);
	ib_frame_parser_free(&x.fp);
	if (x.eof) {
		uint64_t until = deadline, grace_end;
		int w;

		/* a VM's probe is done: its guest powers off at once, or
		 * is ended (teardown's QMP quit) after a grace, not the
		 * launch timeout */
		grace_end = ib_mono_ns() + RUN_POWEROFF_GRACE_S * 1000000000ull;
		if (ops->own_kernel && x.io.done && grace_end < deadline)
			until = grace_end;
		w = ops->wait(c->rt, &x.l, until);
		if (w == -ETIMEDOUT && until < deadline && !run_signal())
			x.left_on = 1;
		else if (w == -ETIMEDOUT)
			timed_out = 1;
		else if (w == -EINTR || run_signal())
			interrupted = run_signal() != 0;
	}
	if (!run_job_needs_link(c->job) || x.net)
		ops->teardown(c->rt, &x.l);
	if (x.scratch_data) {
		int e = ib_rmtree(x.scratch_data);

		if (e < 0)
			run_say(R, IB_REPORT_NOTE, "%s/%s: launch %d: could not "
				"remove %s: %s", c->rt->label, c->job->name,
				x.l.id, x.scratch_data, strerror(-e));
	}
	t_torn_down = ib_mono_ns();
	wall = (double)(t_torn_down - x.l.t_launch_ns) / 1e9;
	status = verdict(R, &x, interrupted, timed_out);
	if (strcmp(status, "ok") != 0 || x.io.text_lines > 0)
		run_save_output(R, &x.io);
	run_log_end_event(R, &x, status, wall, t_torn_down);
	c->seconds += wall;
	if (x.left_on)
		run_say(R, IB_REPORT_NOTE,
			"%s/%s: launch %d: the guest did not power off within "
			"%d s of its probe's done record: ended by isobench "
			"(its records are whole; the launch counts)",
			c->rt->label, c->job->name, x.l.id,
			RUN_POWEROFF_GRACE_S);
	if (!strcmp(status, "replaced")) {
		/* not counted: the cell runs another in its place */
		c->hung_boots++;
		run_say(R, IB_REPORT_CELL, "%s/%s: launch %d replaced: %s",
			c->rt->label, c->job->name, x.l.id, x.why);
	} else if (warmup) {
		c->warmups++;
	} else {
		c->launches++;
		if (strcmp(status, "ok") == 0)
			c->ok++;
		else if (strcmp(status, "interrupted") != 0)
			c->failed++;
	}
	run_launch_free(&x);
}

/* Sleeps s seconds, or less if a signal comes. */
void run_pause(double s)
{
	uint64_t until = ib_mono_ns() + (uint64_t)(s * 1e9);

	while (!run_signal() && ib_mono_ns() < until) {
		struct timespec nap = {0, 10000000};

		nanosleep(&nap, NULL);
	}
}

/* The startup benchmark's gap before each launch (0 by default: on a VM
 * an idle CPU goes cold, and the launch after it pays for that). */
void run_pause_before(const struct cell_state *c)
{
	const char *v = ib_job_value(c->job, "gap");
	double gap = 0;

	/* a workload with a "gap" parameter (startup's) */
	if (v && ib_parse_seconds(v, &gap) == 0 && gap > 0)
		run_pause(gap);
}
