#include "results/findings.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "results/rows.h"
#include "results/stats.h"

/* --- the runtimes -------------------------------------------------------- */

static const char *str_of(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static const char *driver(const struct ib_results *r, const char *rt)
{
	return str_of(ib_results_runtime(r, rt), "driver") ?: "";
}

static const char *option(const struct ib_results *r, const char *rt,
			  const char *key)
{
	return str_of(cJSON_GetObjectItem(ib_results_runtime(r, rt), "options"),
		      key) ?: "";
}

static int is_gvisor(const struct ib_results *r, const char *rt)
{
	return !strcmp(driver(r, rt), "gvisor") ||
	       (!strcmp(driver(r, rt), "docker") &&
		!strcmp(option(r, rt, "runtime"), "runsc"));
}

static int is_vm(const struct ib_results *r, const char *rt)
{
	const char *d = driver(r, rt);

	return !strcmp(d, "qemu") || !strcmp(d, "firecracker") ||
	       !strcmp(d, "kata");
}

/* --- the figures --------------------------------------------------------- */

static int has_ratio(const struct ib_metric *m)
{
	return m && m->has_ratio && isfinite(m->ratio) &&
	       isfinite(m->ratio_lo) && isfinite(m->ratio_hi);
}

/* "3.4", "78", "0.12": a ratio as a reader says it. */
static char *fmt_x(double v)
{
	return ib_xasprintf(v >= 10 ? "%.0f" : "%.2g", v);
}

/* Does a ratio surely lie above t (t > 1), or below t (t < 1)? Its whole
 * 95% interval beyond t. With a side of one sample there is no interval
 * (the bootstrap of one value is that value): then the ratio itself must
 * lie beyond t squared, a margin as wide again. */
static int sure(double ratio, double lo, double hi, int one_sample, double t)
{
	if (!isfinite(ratio))
		return 0;
	if (one_sample)
		return t > 1 ? ratio > t * t : ratio < t * t;
	return t > 1 ? lo > t : hi < t;
}

static int one_sample(const struct ib_results *r, const struct ib_metric *m)
{
	return m->st.n < 2 || m->base < 0 || r->metrics[m->base].st.n < 2;
}

static int sure_ratio(const struct ib_results *r, const struct ib_metric *m,
		      double t)
{
	return has_ratio(m) &&
	       sure(m->ratio, m->ratio_lo, m->ratio_hi, one_sample(r, m), t);
}

/* A ratio as text, without exponents ("9532", "0.131"). */
static void ratio_txt(struct ib_buf *b, double v)
{
	char t[32];

	ib_fmt_value(t, sizeof(t), v);
	ib_buf_puts(b, t);
}

/* "syscall latency [call=getppid]: x78.51 [73.37, 93.75] (n 5, native's
 * n 5)"; a side of one sample says it has no interval. */
static char *ratio_evidence(const struct ib_results *r,
			    const struct ib_metric *m)
{
	char *label = ib_metric_label(m);
	struct ib_buf b = {0};

	ib_buf_printf(&b, "%s %s: x", m->bench, label);
	ratio_txt(&b, m->ratio);
	if (one_sample(r, m))
		ib_buf_puts(&b, ", no interval (one sample a side)");
	else {
		ib_buf_puts(&b, " [");
		ratio_txt(&b, m->ratio_lo);
		ib_buf_puts(&b, ", ");
		ratio_txt(&b, m->ratio_hi);
		ib_buf_puts(&b, "]");
	}
	ib_buf_printf(&b, " (n %d, %s's n %d)", m->st.n, r->baseline,
		      m->base >= 0 ? r->metrics[m->base].st.n : 0);
	free(label);
	return b.s;
}

/* Adds a finding (taking claim, mechanism and evidence); a claim about a
 * runtime that ran emulated says so. */
static void add(const struct ib_results *r, struct ib_findings *f,
		const char *rule, const char *rt, double weight, int guard,
		int noisy, char *claim, char *mechanism, char *evidence)
{
	if (ib_results_emulated(r, rt)) {
		char *c = ib_xasprintf("%s [emulated]", claim);

		free(claim);
		claim = c;
	}
	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 8;
		f->v = ib_xrealloc(f->v, sizeof(*f->v) * (size_t)f->cap);
	}
	f->v[f->n++] = (struct ib_finding){rule, ib_xstrdup(rt), claim,
					   mechanism, evidence, guard, noisy,
					   weight};
}

/* The ratio of two runtimes' samples of one metric (a over b, medians)
 * with its bootstrap interval; 0 if either lacks samples. */
static int pair_ratio(const struct ib_metric *a, const struct ib_metric *b,
		      double *ratio, double *lo, double *hi)
{
	if (!a || !b || a->n < 1 || b->n < 1)
		return 0;
	return ib_ratio_ci(a->v, a->n, b->v, b->n, ratio, lo, hi) == 0 &&
	       isfinite(*ratio);
}

/* "startup to_first_byte: A 2600 ms (n 10) over B 2000 ms (n 10): x1.3
 * [1.28, 1.32]": the evidence of a ratio of two runtimes' samples. */
static char *pair_evidence(const char *a, const struct ib_metric *ma,
			   const char *b, const struct ib_metric *mb,
			   double ratio, double lo, double hi)
{
	return ib_xasprintf("%s %s: %s %.4g %s (n %d) over %s %.4g %s (n %d): "
			    "x%.3g [%.3g, %.3g]", ma->bench, ma->metric, a,
			    ma->st.median, ma->unit, ma->st.n, b, mb->st.median,
			    mb->unit, mb->st.n, ratio, lo, hi);
}

/* Is a pair's ratio known less closely than +-5%? */
static int pair_noisy(double ratio, double lo, double hi)
{
	return lo < ratio * 0.95 || hi > ratio * 1.05;
}

/* --- the rules ----------------------------------------------------------- */

/* Where a runtime's system calls go, and what that costs. */
static char *syscall_mechanism(const struct ib_results *r, const char *rt)
{
	if (is_gvisor(r, rt)) {
		const char *p = !strcmp(driver(r, rt), "gvisor")
					? option(r, rt, "platform") : "";

		if (!strcmp(p, "ptrace"))
			return ib_xasprintf(
				"gVisor's ptrace platform: every system call "
				"stops the sandboxed process and is served by "
				"gVisor's Sentry over ptrace (several context "
				"switches per call); the systrap and KVM "
				"platforms avoid most of this");
		return ib_xasprintf(
			"gVisor: every system call is caught (platform %s) and "
			"served by the Sentry, a kernel in user space, instead "
			"of the host's kernel", *p ? p : "as configured");
	}
	if (is_vm(r, rt))
		return ib_xasprintf(
			"the guest's own kernel serves them%s",
			ib_results_emulated(r, rt)
				? ", but every guest instruction, the kernel's "
				  "included, runs through QEMU's TCG translator "
				  "here (no hardware virtualization)"
				: "; a call costs more only where it exits to "
				  "the VMM");
	return ib_xasprintf("the host's kernel serves them, as it does "
			    "native's; a seccomp filter adds a check per call");
}

static void rule_syscall(const struct ib_results *r, struct ib_findings *f)
{
	for (int c = 0; c < r->columns.n; c++) {
		const char *rt = r->columns.v[c];
		const struct ib_metric *m = ib_results_metric(r, rt, "syscall", "latency",
						      "call=getppid");
		double lo = INFINITY, hi = 0;
		char *x, *ev, *range;

		if (!strcmp(rt, r->baseline))
			continue; /* the rules compare the others to it */
		if (!m)
			m = ib_results_metric(r, rt, "syscall", "latency", NULL);
		if (!sure_ratio(r, m, 2))
			continue;
		for (int i = 0; i < r->nmetrics; i++) {
			const struct ib_metric *o = &r->metrics[i];

			if (o->cell == m->cell && !strcmp(o->metric, "latency") &&
			    has_ratio(o)) {
				lo = fmin(lo, o->ratio);
				hi = fmax(hi, o->ratio);
			}
		}
		x = fmt_x(m->ratio);
		range = ib_xasprintf("; every call measured: x%.3g to x%.3g",
				     lo, hi);
		ev = ratio_evidence(r, m);
		add(r, f, "syscall-cost", rt, fabs(log(m->ratio)), 0, m->ratio_wide,
		    ib_xasprintf("System calls cost %sx native's under %s.", x,
				 rt),
		    syscall_mechanism(r, rt),
		    ib_xasprintf("%s%s", ev, lo < hi ? range : ""));
		free(ev);
		free(range);
		free(x);
	}
}

static void rule_cpu(const struct ib_results *r, struct ib_findings *f)
{
	for (int c = 0; c < r->columns.n; c++) {
		const char *rt = r->columns.v[c];
		const struct ib_metric *m = ib_results_metric(r, rt, "cpu",
						      "events_per_s", "threads=1");
		char *x;
		const char *why;

		if (!strcmp(rt, r->baseline))
			continue; /* the rules compare the others to it */
		if (!m)
			m = ib_results_metric(r, rt, "cpu", "events_per_s", NULL);
		if (!sure_ratio(r, m, 0.9))
			continue;
		if (ib_results_emulated(r, rt))
			why = "QEMU's TCG translates every guest instruction: "
			      "there is no hardware virtualization here, so "
			      "computation itself is emulated";
		else if (is_gvisor(r, rt))
			why = "gVisor's platform interrupts the process (timer "
			      "signals and scheduling go through the Sentry)";
		else if (is_vm(r, rt))
			why = "the vCPU threads compete with the VMM's own "
			      "threads and exits for the host's CPUs";
		else
			why = "the runtime's CPU limit or placement (the plan's "
			      "cpus), not its isolation: computation runs on "
			      "the host's CPU unchanged";
		x = fmt_x(m->ratio);
		add(r, f, "cpu-cost", rt, fabs(log(m->ratio)), 0, m->ratio_wide,
		    ib_xasprintf("CPU-bound work runs at %sx native's speed "
				 "under %s.", x, rt),
		    ib_xstrdup(why), ratio_evidence(r, m));
		free(x);
	}
}

static void rule_vm_boot(const struct ib_results *r, struct ib_findings *f)
{
	for (int c = 0; c < r->columns.n; c++) {
		const char *rt = r->columns.v[c];
		const struct ib_metric *m = ib_results_metric(r, rt, "startup",
						      "to_first_byte", NULL);
		const struct ib_metric *k = ib_results_metric(r, rt, "startup",
						      "guest_kernel", NULL);
		char *x, *kern;

		if (!strcmp(rt, r->baseline))
			continue; /* the rules compare the others to it */
		if (!is_vm(r, rt) || !sure_ratio(r, m, 5))
			continue;
		x = fmt_x(m->ratio);
		kern = k ? ib_xasprintf(" (the guest kernel's own start: %.0f "
					"ms on its clock)", k->st.median)
			 : ib_xstrdup("");
		add(r, f, "vm-boot", rt, fabs(log(m->ratio)), 0, m->ratio_wide,
		    ib_xasprintf("%s reaches the probe's first byte in %.0f ms, "
				 "%sx native's %.3g ms.", rt, m->st.median, x,
				 r->metrics[m->base].st.median),
		    ib_xasprintf("a guest kernel must boot before the probe "
				 "runs%s%s", kern,
				 ib_results_emulated(r, rt)
					 ? "; under TCG the boot itself is "
					   "emulated"
					 : ""),
		    ratio_evidence(r, m));
		free(kern);
		free(x);
	}
}

/* q35 (firmware, PCI) against microvm, both QEMU, both measured. */
static void rule_machine_boot(const struct ib_results *r, struct ib_findings *f)
{
	for (int a = 0; a < r->columns.n; a++)
		for (int b = 0; b < r->columns.n; b++) {
			const char *q = r->columns.v[a], *mv = r->columns.v[b];
			const struct ib_metric *mq, *mm;
			double ratio, lo, hi;

			if (strcmp(driver(r, q), "qemu") ||
			    strcmp(driver(r, mv), "qemu") ||
			    strcmp(option(r, mv, "machine"), "microvm") ||
			    !strcmp(option(r, q, "machine"), "microvm"))
				continue;
			mq = ib_results_metric(r, q, "startup", "to_first_byte", NULL);
			mm = ib_results_metric(r, mv, "startup", "to_first_byte", NULL);
			if (!pair_ratio(mq, mm, &ratio, &lo, &hi) ||
			    !sure(ratio, lo, hi, mq->n < 2 || mm->n < 2, 1.05))
				continue;
			add(r, f, "machine-boot", q, fabs(log(ratio)), 0,
			    pair_noisy(ratio, lo, hi),
			    ib_xasprintf("%s boots %.0f ms slower than %s "
					 "(x%.3g).", q,
					 mq->st.median - mm->st.median, mv,
					 ratio),
			    ib_xasprintf("the %s machine runs firmware (SeaBIOS) "
					 "and enumerates PCI devices before "
					 "the kernel starts; microvm loads the "
					 "kernel directly and has only "
					 "virtio-mmio devices",
					 option(r, q, "machine")),
			    pair_evidence(q, mq, mv, mm, ratio, lo, hi));
		}
}

/* Docker's start against the same OCI runtime's without the engine. */
static void rule_engine_start(const struct ib_results *r, struct ib_findings *f)
{
	for (int c = 0; c < r->columns.n; c++) {
		const char *rt = r->columns.v[c];
		const char *inner = option(r, rt, "runtime");
		const char *bare = NULL;
		const struct ib_metric *md, *mb;
		double ratio, lo, hi;

		if (!strcmp(rt, r->baseline))
			continue; /* the rules compare the others to it */
		if (strcmp(driver(r, rt), "docker"))
			continue;
		for (int k = 0; k < r->columns.n && !bare; k++) {
			const char *o = r->columns.v[k];

			if ((!strcmp(inner, "runsc") && !strcmp(driver(r, o), "gvisor")) ||
			    (strcmp(inner, "runsc") && !strcmp(driver(r, o), inner[0] ? inner : "runc")))
				bare = o;
		}
		if (!bare)
			continue;
		md = ib_results_metric(r, rt, "startup", "to_first_byte", NULL);
		mb = ib_results_metric(r, bare, "startup", "to_first_byte", NULL);
		if (!pair_ratio(md, mb, &ratio, &lo, &hi) ||
		    !sure(ratio, lo, hi, md->n < 2 || mb->n < 2, 1.2))
			continue;
		add(r, f, "engine-start", rt, fabs(log(ratio)), 0,
		    pair_noisy(ratio, lo, hi),
		    ib_xasprintf("%s adds %.0f ms to %s's start (x%.3g): the "
				 "engine's cost.", rt,
				 md->st.median - mb->st.median, bare, ratio),
		    ib_xasprintf("the request crosses the Engine API to dockerd, "
				 "then containerd and its shim, which invoke "
				 "%s; the output comes back through the engine's "
				 "log stream", inner[0] ? inner : "runc"),
		    pair_evidence(rt, md, bare, mb, ratio, lo, hi));
	}
}

static void rule_engine_memory(const struct ib_results *r, struct ib_findings *f)
{
	for (int c = 0; c < r->columns.n; c++) {
		const char *rt = r->columns.v[c];
		const struct ib_metric *d = ib_results_metric(r, rt, "footprint",
						      "engine_pss",
						      "process=dockerd");
		const struct ib_metric *k = ib_results_metric(r, rt, "footprint",
						      "engine_pss",
						      "process=containerd");
		double sum;

		if (!strcmp(rt, r->baseline))
			continue; /* the rules compare the others to it */
		if (!d || !isfinite(d->st.median))
			continue;
		sum = d->st.median + (k ? k->st.median : 0);
		if (sum < 5)
			continue;
		add(r, f, "engine-memory", rt, log(1 + sum / 10), 0,
		    d->rsd_flag || (k && k->rsd_flag),
		    ib_xasprintf("Docker's engine holds %.0f MiB (PSS) beside "
				 "the containers of %s.", sum, rt),
		    ib_xstrdup("dockerd and containerd stay resident, shared "
			       "by every container of the host; a bare runtime "
			       "keeps nothing running between containers"),
		    ib_xasprintf("footprint engine_pss: dockerd %.4g MiB [%.4g, "
				 "%.4g] (n %d)%s", d->st.median, d->st.ci_lo,
				 d->st.ci_hi, d->st.n,
				 k ? ", containerd counted too" : ""));
	}
}

static void rule_net(const struct ib_results *r, struct ib_findings *f)
{
	for (int c = 0; c < r->columns.n; c++) {
		const char *rt = r->columns.v[c];
		const struct ib_metric *m = ib_results_metric(r, rt, "net", "throughput",
						      "streams=1,test=stream-tx");
		const char *why;
		char *x;

		if (!strcmp(rt, r->baseline))
			continue; /* the rules compare the others to it */
		if (!sure_ratio(r, m, 0.8))
			continue;
		if (is_gvisor(r, rt))
			why = "gVisor's netstack: TCP runs in the Sentry, in user "
			      "space, and each packet crosses into the host "
			      "through its own endpoint";
		else if (is_vm(r, rt))
			why = ib_results_emulated(r, rt)
				      ? "virtio-net through QEMU's device model "
					"and a tap, with the guest's TCP stack "
					"emulated by TCG"
				      : "virtio-net through the VMM and a tap: "
					"each packet leaves the guest";
		else if (!strcmp(driver(r, rt), "docker"))
			why = "the engine's bridge network: veth, a Linux bridge "
			      "and the engine's rules in the path";
		else
			why = "the link isobench made: a veth pair between "
			      "namespaces";
		x = fmt_x(m->ratio);
		add(r, f, "net-path", rt, fabs(log(m->ratio)), 0, m->ratio_wide,
		    ib_xasprintf("TCP throughput from %s falls to %sx native's.",
				 rt, x),
		    ib_xstrdup(why), ratio_evidence(r, m));
		free(x);
	}
}

/* Direct I/O cannot beat the host's on the same device: a runtime whose
 * O_DIRECT throughput surely beats native's in two disk tests or more is
 * measuring a cache of its own. One test alone is not enough (a single
 * test's figure on a noisy host can be out by that much); two, each with
 * its whole interval past 1.25, is a pattern. (Writes that sync, and
 * random writes, may well be slower in the same runtime: its cache is
 * not in their path.) */
#define DISK_BETTER 1.25

static void rule_disk_guard(const struct ib_results *r, struct ib_findings *f)
{
	for (int c = 0; c < r->columns.n; c++) {
		const char *rt = r->columns.v[c];
		struct ib_buf ev = {0};
		int tests = 0, better = 0, noisy = 0;
		double sum = 0;

		if (!strcmp(rt, r->baseline))
			continue; /* the rules compare the others to it */
		for (int i = 0; i < r->nmetrics; i++) {
			const struct ib_metric *m = &r->metrics[i];
			char *label;

			if (strcmp(r->cells[m->cell].runtime, rt) ||
			    strcmp(m->bench, "disk") ||
			    strcmp(m->metric, "iops") || !has_ratio(m))
				continue;
			tests++;
			if (!sure_ratio(r, m, DISK_BETTER))
				continue;
			better++;
			noisy |= m->ratio_wide;
			sum += log(m->ratio);
			label = ratio_evidence(r, m);
			ib_buf_printf(&ev, "%s%s", better > 1 ? "; " : "", label);
			free(label);
		}
		if (better < 2) {
			ib_buf_free(&ev);
			continue;
		}
		ib_buf_printf(&ev, " (%d of its %d tests)", better, tests);
		add(r, f, "direct-io-impossible", rt, sum / better, 1, noisy,
		    ib_xasprintf("%s's direct I/O beat native's in %d of %d disk "
				 "tests (x%.3g, their geometric mean): not the device's "
				 "figures.", rt, better, tests, exp(sum / better)),
		    ib_xasprintf("O_DIRECT bypasses the page cache, so on the same "
				 "device no runtime can beat native's; %s",
				 is_gvisor(r, rt)
					 ? "gVisor serves the file through its "
					   "Gofer and a cache of its own, so its "
					   "\"direct\" I/O measures that cache"
					 : is_vm(r, rt)
						   ? "the guest's disk is a file "
						     "on the host, whose page "
						     "cache may serve it"
						   : "something between the "
						     "probe and the device "
						     "caches it"),
		    ev.s);
	}
}

const struct ib_finding_rule ib_finding_rules[] = {
	{"direct-io-impossible",
	 "a runtime's O_DIRECT IO/s beat native's by more than 25%, their "
	 "whole interval, in 2 disk tests or more (direct I/O cannot beat "
	 "the host on the same device)",
	 rule_disk_guard, 1},
	{"syscall-cost",
	 "a runtime's getppid latency is over 2x native's, its whole interval",
	 rule_syscall, 1},
	{"cpu-cost",
	 "a runtime's CPU events/s (1 thread) is below 0.9x native's, its "
	 "whole interval", rule_cpu, 1},
	{"vm-boot",
	 "a VM's first byte comes over 5x later than native's, its whole "
	 "interval", rule_vm_boot, 1},
	{"machine-boot",
	 "a QEMU machine other than microvm reaches its first byte over 1.05x "
	 "later than microvm, the interval of the two's ratio", rule_machine_boot, 0},
	{"engine-start",
	 "docker reaches its first byte over 1.2x later than the same OCI "
	 "runtime without the engine (runc; gvisor for runsc)", rule_engine_start, 0},
	{"engine-memory",
	 "docker's engine (dockerd, containerd) holds 5 MiB or more",
	 rule_engine_memory, 0},
	{"net-path",
	 "a runtime's single-stream TCP send throughput is below 0.8x "
	 "native's, its whole interval", rule_net, 1},
};
const int ib_nfinding_rules =
	(int)(sizeof(ib_finding_rules) / sizeof(ib_finding_rules[0]));

static int rule_index(const char *id)
{
	for (int i = 0; i < ib_nfinding_rules; i++)
		if (!strcmp(ib_finding_rules[i].id, id))
			return i;
	return ib_nfinding_rules;
}

static int cmp_finding(const void *a, const void *b, void *arg)
{
	const struct ib_results *r = arg;
	const struct ib_finding *x = a, *y = b;
	int c;

	if (x->guard != y->guard)
		return y->guard - x->guard;
	if (x->weight != y->weight)
		return x->weight < y->weight ? 1 : -1;
	if ((c = rule_index(x->rule) - rule_index(y->rule)))
		return c;
	return ib_strv_find(&r->columns, x->runtime) -
	       ib_strv_find(&r->columns, y->runtime);
}

int ib_findings_native_baseline(const struct ib_results *r)
{
	return r->baseline && (!strcmp(r->baseline, "native") ||
			       !strncmp(r->baseline, "native:", 7));
}

void ib_findings_compute(const struct ib_results *r, struct ib_findings *f)
{
	int native = ib_findings_native_baseline(r);

	memset(f, 0, sizeof(*f));
	for (int i = 0; i < ib_nfinding_rules; i++)
		if (native || !ib_finding_rules[i].on_native)
			ib_finding_rules[i].eval(r, f);
	if (f->n > 1)
		qsort_r(f->v, (size_t)f->n, sizeof(*f->v), cmp_finding,
			(void *)r);
}

void ib_findings_free(struct ib_findings *f)
{
	for (int i = 0; i < f->n; i++) {
		free(f->v[i].runtime);
		free(f->v[i].claim);
		free(f->v[i].mechanism);
		free(f->v[i].evidence);
	}
	free(f->v);
	memset(f, 0, sizeof(*f));
}
