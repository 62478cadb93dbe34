/* checks_cpu: cpu beside sysbench cpu, syscall beside perf bench syscall,
 * ctxsw (on one CPU and on any) beside perf bench sched pipe, jitter
 * beside cyclictest. */
#include "validate/internal.h"

static int p_cpu(struct vctx *v, double *out, struct ib_err *err)
{
	char *d = ib_xasprintf("duration=%g", v->secs);
	char *a[] = {"cpu", "threads=1", "max_prime=10000", d, NULL};
	int rc = vd_probe_value(v, "probe-cpu", a, "events_per_s", "threads=1",
				out, err);

	free(d);
	return rc;
}

int vd_t_cpu(struct vctx *v, double *out, struct ib_err *err)
{
	char *t = ib_xasprintf("--time=%.0f", ceil(v->secs));
	char *a[] = {"sysbench", "cpu", "--cpu-max-prime=10000", "--threads=1",
		     t, "run", NULL};
	char *o;
	int rc = -1;

	a[0] = ib_which("sysbench");
	o = a[0] ? vd_tool_output(v, "sysbench", a, err) : NULL;
	if (o && vd_number_after(o, "events per second", out) == 0)
		rc = 0;
	else if (o)
		ib_err_set(err, -EINVAL, "sysbench printed no 'events per second'");
	free(o);
	free(a[0]);
	free(t);
	return rc;
}

/* probe: sysbench runs whole seconds; match it */
int vd_p_cpu_w(struct vctx *v, double *out, struct ib_err *err)
{
	double s = v->secs;
	int rc;

	v->secs = ceil(s);
	rc = p_cpu(v, out, err);
	v->secs = s;
	return rc;
}

int vd_p_getppid(struct vctx *v, double *out, struct ib_err *err)
{
	char *d = ib_xasprintf("duration=%g", v->secs / 2);
	char *a[] = {"syscall", "calls=getppid", d, NULL};
	int rc = vd_probe_value(v, "probe-syscall", a, "latency",
				"call=getppid", out, err);

	free(d);
	return rc;
}

static int perf_usecs(struct vctx *v, const char *tag, char **a, double *out,
		      struct ib_err *err)
{
	char *o;
	int rc = -1;

	a[0] = ib_which("perf");
	if (!a[0])
		return ib_err_set(err, -ENOENT, "perf not found");
	o = vd_tool_output(v, tag, a, err);
	if (o && vd_number_before(o, "usecs/op", out) == 0)
		rc = 0;
	else if (o)
		ib_err_set(err, -EINVAL, "perf printed no 'usecs/op'");
	free(o);
	free(a[0]);
	return rc;
}

int vd_t_getppid(struct vctx *v, double *out, struct ib_err *err)
{
	/* ~110 ns a call here: 5M calls take about as long as the probe */
	char *l = ib_xasprintf("%.0f", v->secs / 2 / 110e-9);
	char *a[] = {"perf", "bench", "syscall", "basic", "-l", l, NULL};
	int rc = perf_usecs(v, "perf-syscall", a, out, err);

	*out *= 1000; /* us -> ns */
	free(l);
	return rc;
}

/* ctxsw twice: with both processes on one CPU (isobench pins itself
 * there while it starts either side, the children inherit it), where the
 * figure is the cost of the token passing itself and stable; and where the
 * scheduler puts them, which on a VM adds cross-CPU wake-ups whose cost
 * swings with the host: shown, without a target. */
static int pin_self(int on, cpu_set_t *saved)
{
	cpu_set_t one;

	if (!on)
		return sched_setaffinity(0, sizeof(*saved), saved);
	if (sched_getaffinity(0, sizeof(*saved), saved) != 0)
		return -1;
	CPU_ZERO(&one);
	for (int i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, saved)) {
			CPU_SET(i, &one);
			break;
		}
	return sched_setaffinity(0, sizeof(one), &one);
}

static int ctxsw_probe(struct vctx *v, int pinned, double *out,
		       struct ib_err *err)
{
	char *d = ib_xasprintf("duration=%g", v->secs / 2);
	char *a[] = {"ctxsw", "pin=none", d, NULL};
	cpu_set_t saved;
	int rc;

	if (pinned)
		pin_self(1, &saved);
	rc = vd_probe_value(v, pinned ? "probe-ctxsw-1cpu" : "probe-ctxsw", a,
			    "roundtrip", NULL, out, err);
	if (pinned)
		pin_self(0, &saved);
	free(d);
	return rc;
}

static int ctxsw_perf(struct vctx *v, int pinned, double *out,
		      struct ib_err *err)
{
	/* about as long as the probe's run: 35 us a round trip across CPUs,
	 * 3 us on one */
	char *l = ib_xasprintf("%.0f", v->secs / 2 / (pinned ? 3e-6 : 35e-6));
	char *a[] = {"perf", "bench", "sched", "pipe", "-l", l, NULL};
	cpu_set_t saved;
	int rc;

	if (pinned)
		pin_self(1, &saved);
	rc = perf_usecs(v, pinned ? "perf-pipe-1cpu" : "perf-pipe", a, out, err);
	if (pinned)
		pin_self(0, &saved);
	free(l);
	return rc;
}

int vd_p_ctxsw1(struct vctx *v, double *o, struct ib_err *e)
{
	return ctxsw_probe(v, 1, o, e);
}
int vd_t_ctxsw1(struct vctx *v, double *o, struct ib_err *e)
{
	return ctxsw_perf(v, 1, o, e);
}
int vd_p_ctxsw(struct vctx *v, double *o, struct ib_err *e)
{
	return ctxsw_probe(v, 0, o, e);
}
int vd_t_ctxsw(struct vctx *v, double *o, struct ib_err *e)
{
	return ctxsw_perf(v, 0, o, e);
}

/* jitter: the probe's mean lateness of a 1 ms timer beside cyclictest's
 * Avg (the same clock_nanosleep loop; SCHED_OTHER both, cyclictest told
 * --laptop so that it leaves /dev/cpu_dma_latency alone, as the probe
 * does), both on the scheduler's CPUs. */
int vd_p_jitter(struct vctx *v, double *out, struct ib_err *err)
{
	char *d = ib_xasprintf("duration=%g", v->secs);
	char *a[] = {"jitter", "interval=0.001", d, NULL};
	int rc = vd_probe_value(v, "probe-jitter", a, "lateness_mean", NULL,
				out, err);

	free(d);
	return rc;
}

int vd_t_jitter(struct vctx *v, double *out, struct ib_err *err)
{
	char *d = ib_xasprintf("--duration=%.0f", ceil(v->secs));
	char *a[] = {NULL, "--interval=1000", d, "--quiet", "--laptop", NULL};
	char *o;
	int rc = -1;

	a[0] = ib_which("cyclictest");
	o = a[0] ? vd_tool_output(v, "cyclictest", a, err) : NULL;
	/* "T: 0 ( 4821) P: 0 I:1000 C:   2000 Min:  8 Act:  72 Avg:  76
	 * Max:  3579", microseconds */
	if (o && vd_number_after(o, "Avg:", out) == 0)
		rc = 0;
	else if (o)
		ib_err_set(err, -EINVAL, "cyclictest printed no 'Avg:' (see "
			   "raw/round%d-cyclictest.txt)", v->round);
	free(o);
	free(a[0]);
	free(d);
	return rc;
}
