#include "runtime/runtime.h"

#include "base/footprint.h"
#include "base/hugepool.h"
#include "state/state.h"

#include <ctype.h>
#include <sched.h>
#include <signal.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char *ib_runtime_opt(const struct ib_runtime *rt, const char *name)
{
	for (int i = 0; i < rt->ops->noptions; i++)
		if (!strcmp(rt->ops->options[i].name, name))
			return rt->opt[i];
	return NULL;
}

/* Walks a cpuset value ("0+2-3"): calls each(lo, hi) per item; -1 with
 * why set at the first malformed one. */
static int cpuset_walk(const char *v, size_t len, struct ib_buf *why,
		       void (*each)(long lo, long hi, void *ctx), void *ctx)
{
	const char *p = v, *end = v + len;

	if (len == 4 && !strncmp(v, "none", 4))
		return 0;
	while (p < end) {
		long lo = -1, hi;

		if (!isdigit((unsigned char)*p))
			goto bad;
		/* saturated: a long number is as out of range as any */
		for (lo = 0; p < end && isdigit((unsigned char)*p); p++)
			lo = lo < 100000 ? lo * 10 + (*p - '0') : lo;
		hi = lo;
		if (p < end && *p == '-') {
			p++;
			if (p == end || !isdigit((unsigned char)*p))
				goto bad;
			for (hi = 0; p < end && isdigit((unsigned char)*p); p++)
				hi = hi < 100000 ? hi * 10 + (*p - '0') : hi;
		}
		if (lo >= CPU_SETSIZE || hi >= CPU_SETSIZE || hi < lo) {
			ib_buf_printf(why, "'%.*s': CPUs go from 0 to %d, and a "
				      "range from the lower to the higher",
				      (int)len, v, CPU_SETSIZE - 1);
			return -1;
		}
		if (p < end && *p != '+')
			goto bad;
		if (p < end && p + 1 == end)
			goto bad; /* a trailing '+' */
		p += p < end;
		if (each)
			each(lo, hi, ctx);
	}
	if (len)
		return 0;
bad:
	ib_buf_printf(why, "'%.*s' is not none or CPU numbers and ranges "
		      "joined by + (e.g. 0+2-3)", (int)len, v);
	return -1;
}

int ib_cpuset_check(const char *v, size_t len, struct ib_buf *why)
{
	return cpuset_walk(v, len, why, NULL, NULL);
}

static void list_put(long lo, long hi, void *ctx)
{
	struct ib_buf *b = ctx;

	if (b->len)
		ib_buf_puts(b, ",");
	if (lo == hi)
		ib_buf_printf(b, "%ld", lo);
	else
		ib_buf_printf(b, "%ld-%ld", lo, hi);
}

char *ib_cpuset_list(const struct ib_runtime *rt)
{
	const char *v = ib_runtime_opt(rt, "cpuset");
	struct ib_buf b = {0}, why = {0};

	if (!v || !strcmp(v, "none") ||
	    cpuset_walk(v, strlen(v), &why, list_put, &b) < 0) {
		ib_buf_free(&b);
		ib_buf_free(&why);
		return NULL;
	}
	return b.s;
}

struct cpuset_avail {
	cpu_set_t own;
	long missing;
};

static void avail_check(long lo, long hi, void *ctx)
{
	struct cpuset_avail *a = ctx;

	for (long c = lo; c <= hi && a->missing < 0; c++)
		if (!CPU_ISSET((int)c, &a->own))
			a->missing = c;
}

int ib_cpuset_usable(const struct ib_runtime *rt, struct ib_err *err)
{
	const char *v = ib_runtime_opt(rt, "cpuset");
	struct cpuset_avail a = {.missing = -1};
	struct ib_buf why = {0}, own = {0};
	int rc = 0;

	if (!v || !strcmp(v, "none"))
		return 0;
	if (sched_getaffinity(0, sizeof(a.own), &a.own) != 0)
		return ib_err_set(err, -errno, "sched_getaffinity: %s",
				  strerror(errno));
	if (cpuset_walk(v, strlen(v), &why, avail_check, &a) < 0)
		rc = ib_err_set(err, -EINVAL, "cpuset %s", why.s);
	else if (a.missing >= 0) {
		for (int c = 0; c < CPU_SETSIZE; c++)
			if (CPU_ISSET(c, &a.own))
				ib_buf_printf(&own, "%s%d", own.len ? "," : "", c);
		rc = ib_err_set(err, -EINVAL, "cpuset=%s: CPU %ld is not one "
				"isobench may run on here (%s)", v, a.missing,
				own.s ? own.s : "none");
	}
	ib_buf_free(&why);
	ib_buf_free(&own);
	return rc;
}

const char *ib_signal_name(int sig)
{
	switch (sig) {
	case SIGKILL: return "SIGKILL";
	case SIGSEGV: return "SIGSEGV";
	case SIGABRT: return "SIGABRT";
	case SIGBUS: return "SIGBUS";
	case SIGTERM: return "SIGTERM";
	case SIGINT: return "SIGINT";
	case SIGILL: return "SIGILL";
	case SIGFPE: return "SIGFPE";
	case SIGPIPE: return "SIGPIPE";
	default: return "signal";
	}
}

int ib_runtime_wait_proc(struct ib_runtime *rt, struct ib_launch *l,
			 uint64_t deadline_ns)
{
	int rc = ib_proc_wait(&l->proc, deadline_ns);

	(void)rt;
	if (rc == 0)
		l->t_exited_ns = ib_mono_ns();
	l->exit_code = l->proc.exit_code;
	l->term_signal = l->proc.term_signal;
	return rc;
}

int ib_runtime_net_only(const struct ib_runtime *rt)
{
	for (int i = 0; i < rt->ops->noptions; i++)
		if (rt->ops->options[i].net_only && rt->opt[i] &&
		    strcmp(rt->opt[i], rt->ops->options[i].dflt) != 0)
			return 1;
	return 0;
}

void ib_runtime_instance_procs(struct ib_runtime *rt, struct ib_launch *l,
			       struct ib_fp_set *set)
{
	pid_t roots[8];
	int nroots = 0;

	if (rt->ops->instance_pids)
		nroots = rt->ops->instance_pids(rt, l, roots, 8);
	ib_fp_collect(l->name, roots, nroots, set);
}

/* --- the host's huge page pool, for a VM's hugetlb memory ---------------- */

int ib_rt_hugepool_ensure(const struct ib_runtime *rt, struct ib_rt_hugepool *hp,
			  unsigned long pages, struct ib_err *err)
{
	unsigned long nr, avail, got, put;
	int rc = ib_hugepool_read(hp->page_kb, &nr, &avail, err), i = hp->ngrown;

	if (rc < 0 || avail >= pages)
		return rc;
	hp->grown = ib_xrealloc(hp->grown, (size_t)(i + 1) * sizeof(*hp->grown));
	hp->grown[i].name = ib_xasprintf("%s-hugepages-%d", hp->prefix, i);
	hp->grown[i].before = nr;
	hp->grown[i].added = pages - avail;
	rc = ib_state_add_hugepages(rt->ctx->state, hp->grown[i].name,
				    hp->page_kb, nr, hp->grown[i].added, err);
	if (rc < 0) {
		free(hp->grown[i].name);
		return rc;
	}
	hp->ngrown++;
	rc = ib_hugepool_set(hp->page_kb, nr + hp->grown[i].added, &got, err);
	if (rc == 0 && got < nr + hp->grown[i].added) {
		rc = ib_err_set(err, -ENOMEM, "the host gave %lu of the %lu huge "
				"pages of %lu kB asked for (too little memory, "
				"or too fragmented, for pages of that size now; "
				"hugepages= on the kernel's command line reserves "
				"them at boot)", got > nr ? got - nr : 0,
				hp->grown[i].added, hp->page_kb);
		ib_hugepool_set(hp->page_kb, nr, &put, NULL);
	}
	return rc;
}

void ib_rt_hugepool_release(const struct ib_runtime *rt,
			    struct ib_rt_hugepool *hp)
{
	for (int i = hp->ngrown - 1; i >= 0; i--) {
		struct ib_err e = {0};

		if (ib_hugepool_give_back(hp->page_kb, hp->grown[i].before,
					  hp->grown[i].added, NULL, &e) == 0)
			ib_state_del(rt->ctx->state, hp->grown[i].name, NULL);
		else if (rt->ctx->release_failures)
			(*rt->ctx->release_failures)++;
		free(hp->grown[i].name);
	}
	free(hp->grown);
	hp->grown = NULL;
	hp->ngrown = 0;
}
