#include "runtime/runtime.h"

#include "base/footprint.h"

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
