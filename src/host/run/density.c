/* run/density: a footprint round: N instances launched and held at once,
 * measured from the host (PSS and RSS of each instance's processes, the
 * machine's MemAvailable drop, the start rate), then ended. */
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

#include "base/footprint.h"
#include "common/cpus.h"

/* --- footprint and density ---------------------------------------------- */


/* Reads whatever the held instances wrote, up to deadline or until every
 * launched one is ready (its probe said it holds: hello and one more
 * record), or, if max_booting > 0, until fewer than max_booting guests
 * are still booting (no hello yet). Returns when the last became ready,
 * or 0. */
static uint64_t wait_ready(struct one_launch *h, int n, uint64_t deadline,
			   int max_booting)
{
	char buf[16384];
	uint64_t t_all = 0;
	struct pollfd *pfd = ib_xcalloc((size_t)n, sizeof(*pfd));

	for (;;) {
		int waiting = 0, booting = 0, ms;
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
				booting += h[i].l.boot_timeout_s > 0 &&
					   !h[i].io.hello;
			}
		}
		if (!waiting || now >= deadline || run_signal() ||
		    (max_booting > 0 && booting < max_booting))
			break;
		ms = (int)((deadline - now) / 1000000) + 1;
		if (poll(pfd, (nfds_t)n, ms > 250 ? 250 : ms) <= 0)
			continue;
		for (int i = 0; i < n; i++) {
			if (pfd[i].fd < 0 || !(pfd[i].revents & (POLLIN | POLLHUP)))
				continue;
			if (run_launch_read(&h[i], buf, sizeof(buf)) <= 0)
				continue;
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

/* The round's clock and memory readings around the measurement. */
struct round_clock {
	uint64_t t0, t_ready;
	long long avail0, avail1;
	int dropped; /* 0 dropped, 1 not asked, -1 not root */
};

/* What a round measures with every instance held: the PSS and RSS of
 * each instance's host processes, summed per process role and in total
 * (the VM's guest RAM apart). */
struct round_mem {
	struct {
		char role[48];
		double rss, pss;
	} roles[IB_FP_MAX_PROCS];
	int nroles;
	int ok; /* instances held and measured */
	double tot_rss, tot_pss, guest_rss;
};

static void measure_held(struct cell_state *c, struct one_launch *h, int n,
			 struct round_mem *m)
{
	for (int i = 0; i < n; i++) {
		struct ib_fp_set set;

		if (!h[i].ready)
			continue;
		m->ok++;
		ib_runtime_instance_procs(c->rt, &h[i].l, &set);
		for (int k = 0; k < set.n; k++) {
			int r = 0;

			while (r < m->nroles && strcmp(m->roles[r].role, set.p[k].role))
				r++;
			if (r == m->nroles) {
				if (m->nroles == IB_FP_MAX_PROCS)
					continue;
				snprintf(m->roles[r].role, sizeof(m->roles[r].role),
					 "%s", set.p[k].role);
				m->roles[r].rss = m->roles[r].pss = 0;
				m->nroles++;
			}
			m->roles[r].rss += (double)set.p[k].rss_kb;
			m->guest_rss += (double)set.p[k].guest_rss_kb;
			m->roles[r].pss += (double)set.p[k].pss_kb;
			m->tot_rss += (double)set.p[k].rss_kb;
			m->tot_pss += (double)set.p[k].pss_kb;
		}
	}
}

/* The round's samples, logged as host records of its first launch: per
 * instance (means), the MemAvailable drop, the start rate, the engine's
 * daemons, and how they were measured. */
static void log_round(struct run *R, struct cell_state *c,
		      const struct one_launch *h, int n,
		      const struct round_mem *m, const struct round_clock *clk)
{
	const struct ib_runtime_ops *ops = c->rt->ops;
	long long avail0 = clk->avail0, avail1 = clk->avail1;
	uint64_t t0 = clk->t0, t_ready = clk->t_ready;
	int dropped = clk->dropped;
	char note[256];

	int id = h[0].l.id;

	run_log_host_sample(R, id, "pss", "MiB", 0, m->tot_pss / n / 1024,
			"process", "total", 0);
	run_log_host_sample(R, id, "rss", "MiB", 0, m->tot_rss / n / 1024,
			"process", "total", 0);
	for (int r = 0; r < m->nroles; r++) {
		run_log_host_sample(R, id, "pss", "MiB", 0,
				m->roles[r].pss / n / 1024, "process",
				m->roles[r].role, 0);
		run_log_host_sample(R, id, "rss", "MiB", 0,
				m->roles[r].rss / n / 1024, "process",
				m->roles[r].role, 0);
	}
	/* a VM's: its guest's RAM, and the rest (the VMM's own) */
	if (m->guest_rss > 0) {
		run_log_host_sample(R, id, "guest_ram_rss", "MiB", 0,
				m->guest_rss / n / 1024, "process", "total", 0);
		run_log_host_sample(R, id, "vmm_overhead_rss", "MiB", 0,
				(m->tot_rss - m->guest_rss) / n / 1024,
				"process", "total", 0);
	}
	if (avail0 > 0 && avail1 > 0)
		run_log_host_sample(R, id, "mem_available_drop", "MiB", 0,
				(double)(avail0 - avail1) / n / 1024,
				"instances", NULL, n);
	if (t_ready > t0)
		run_log_host_sample(R, id, "start_rate", "instances/s", 1,
				n / ((double)(t_ready - t0) / 1e9),
				"instances", NULL, n);
	if (ops->shared_pids) {
		const char *names[4];
		pid_t pids[4];
		int ns = ops->shared_pids(c->rt, names, pids, 4);

		for (int k = 0; k < ns; k++) {
			uint64_t rss, pss;

			if (ib_fp_memory(pids[k], &rss, &pss) == 0)
				run_log_host_sample(R, id, "engine_pss", "MiB",
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
	run_log_host_info(R, id, "footprint", "method", note);
}

/* Ends every instance of the round (all asked first, so they wind down
 * together), each torn down, judged and logged. Returns 1 if the round
 * is replaced (a guest of it hung at boot: RUN_HUNG_BOOTS_REPLACED),
 * its launches logged as such, else 0. */
static int end_round(struct run *R, struct cell_state *c,
		     struct one_launch *h, int n, const struct round_mem *m)
{
	const struct ib_runtime_ops *ops = c->rt->ops;
	int hung = -1, replace;

	for (int i = 0; i < n && hung < 0; i++)
		if (h[i].boot_hung)
			hung = i;
	replace = hung >= 0 && !run_signal() &&
		  c->hung_boots < RUN_HUNG_BOOTS_REPLACED;

	for (int i = 0; i < n && ops->stop; i++)
		if (h[i].launched)
			ops->stop(c->rt, &h[i].l);
	for (int i = 0; i < n; i++) {
		struct one_launch *x = &h[i];
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
		if (run_signal()) {
			status = "interrupted";
			snprintf(x->why, sizeof(x->why), "interrupted by signal %d",
				 run_signal());
		} else if (replace) {
			status = "replaced";
			if (i == hung)
				snprintf(x->why, sizeof(x->why),
					 "its guest hung at boot: no record from "
					 "the probe within %.3g s (the boot "
					 "deadline), so the kernel or the emulator "
					 "stopped before the probe started; the "
					 "round is run again",
					 x->l.boot_timeout_s);
			else
				snprintf(x->why, sizeof(x->why),
					 "the round is void: launch %d's guest "
					 "hung at boot; the round is run again",
					 h[hung].l.id);
		} else if (!x->launched) {
			status = "failed";
		} else if (!x->ready) {
			status = "failed";
			if (x->boot_hung)
				snprintf(x->why, sizeof(x->why),
					 "no record from the probe within %.3g s "
					 "(the guest's boot deadline)",
					 x->l.boot_timeout_s);
			else
				snprintf(x->why, sizeof(x->why), "%s",
					 x->eof ? "the probe ended before it held"
						: "not holding within the launch "
						  "timeout");
		} else if (m->ok != n) {
			status = "failed";
			snprintf(x->why, sizeof(x->why),
				 "another instance of the round failed: nothing "
				 "measured");
		}
		if (strcmp(status, "ok") && !run_signal())
			run_save_output(R, &x->io);
		run_log_end_event(R, x, status,
				  (double)(t_torn - x->l.t_launch_ns) / 1e9,
				  t_torn);
		if (!strcmp(status, "ok"))
			c->ok++;
		else if (strcmp(status, "interrupted") &&
			 strcmp(status, "replaced"))
			c->failed++;
		run_launch_free(x);
	}
	if (replace) {
		c->hung_boots++;
		run_say(R, IB_REPORT_CELL,
			"%s/%s: round replaced: launch %d's guest hung at boot "
			"(no record from its probe within its boot deadline)",
			c->rt->label, c->job->name, h[hung].l.id);
	}
	return replace;
}

/* One round of the footprint benchmark: N instances of the probe's hold
 * mode started back to back from this thread (each launch returns once
 * its runtime has started it; they come up while the next are made),
 * then, with all of them held: the PSS and RSS of each instance's host
 * processes (mean over the instances, per process role and in total),
 * the drop of MemAvailable per instance (page cache, dentries and inodes
 * dropped before both readings), the engine's daemons, and the start
 * rate; then every instance is torn down. */
void run_density_round(struct run *R, struct cell_state *c)
{
	struct round_clock k = {0};
	struct round_mem m;
	struct one_launch *h;
	uint64_t n64 = 1, deadline;
	int n, drop;

	memset(&m, 0, sizeof(m));
	ib_parse_count(ib_job_value(c->job, "instances"), &n64);
	n = (int)n64;
	h = ib_xcalloc((size_t)n, sizeof(*h));
	/* -1: not root; 1: not asked (footprint.drop_caches=off) */
	drop = strcmp(ib_job_value(c->job, "drop_caches"), "off") != 0;
	k.dropped = drop ? ib_drop_caches() : 1;
	k.avail0 = ib_mem_available_kb();
	k.t0 = ib_mono_ns();
	deadline = k.t0 + (uint64_t)(run_launch_timeout(R) * 1e9);
	for (int i = 0; i < n && !run_signal(); i++) {
		/* Guests (a kernel of their own) boot at most one per usable
		 * CPU at a time: ten emulated q35 guests booting at once on
		 * two CPUs starved each other until a kernel failed its timer
		 * check and panicked. The others are held meanwhile. */
		if (c->rt->ops->own_kernel && i >= ib_usable_cpus())
			wait_ready(h, i, deadline, ib_usable_cpus());
		run_launch_prepare(R, c, &h[i], 0);
		c->launches++;
		run_progress(R, c, 0);
		run_launch_start(R, c, &h[i]);
		/* A guest's boot deadline is for one boot with a CPU to itself;
		 * here it shares the CPUs with the round's other guests,
		 * booting or held, so it stretches by n per CPU (10 TCG
		 * guests on 2 CPUs came within seconds of the 60 s of one). */
		if (h[i].l.boot_timeout_s > 0 && n > ib_usable_cpus())
			h[i].l.boot_timeout_s *= (double)n / ib_usable_cpus();
	}
	k.t_ready = wait_ready(h, n, deadline, 0);
	if (k.t_ready) {
		double settle = 0;

		ib_parse_seconds(ib_job_value(c->job, "settle"), &settle);
		run_pause(settle);
	}
	/* everything is measured with every instance held */
	measure_held(c, h, n, &m);
	if (k.dropped == 0)
		ib_drop_caches();
	k.avail1 = ib_mem_available_kb();
	if (m.ok == n && !run_signal())
		log_round(R, c, h, n, &m, &k);
	if (!end_round(R, c, h, n, &m))
		c->rounds++;
	c->seconds += (double)(ib_mono_ns() - k.t0) / 1e9;
	free(h);
}
