#include "engines/daemon.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/mount_ns.h"

int ib_daemon_spawn(struct ib_proc *p, const struct ib_daemon_spawn *s,
		    struct ib_err *err)
{
	char *keep = ib_xstrdup(s->sock_dir), *slash = strrchr(keep, '/');
	struct ib_spawn_opts so = {.cwd = s->cwd,
				   .flags = IB_PROC_DIE_WITH_PARENT,
				   .pre_exec = ib_ns_private_run,
				   .output_file = s->log};
	int rc;

	if (slash && slash != keep)
		*slash = '\0';
	so.pre_exec_arg = keep;
	rc = ib_proc_start(p, s->argv, &so, err);
	free(keep);
	return rc;
}

int ib_daemon_wait_ready(struct ib_proc *p, const struct ib_daemon_spawn *s,
			 int (*answers)(void *arg), void *arg,
			 double timeout_s, struct ib_err *err)
{
	uint64_t deadline = ib_mono_ns() + (uint64_t)(timeout_s * 1e9);

	while (!answers(arg)) {
		struct timespec nap = {0, 50000000};

		if (ib_proc_wait(p, ib_mono_ns()) == 0 && p->reaped) {
			char *text = ib_read_file(s->log, NULL, NULL), *last;
			int rc;

			/* its last line says why */
			if (text) {
				ib_trim(text);
				last = strrchr(text, '\n');
				last = last ? last + 1 : text;
			} else {
				last = "no log";
			}
			rc = ib_err_set(err, -EIO, "%s exited at start (status "
					"%d, signal %d): %.300s", s->name,
					p->exit_code, p->term_signal, last);
			free(text);
			return rc;
		}
		if (ib_mono_ns() > deadline) {
			ib_proc_kill(p);
			return ib_err_set(err, -ETIMEDOUT, "%s did not answer "
					  "within %.0f s", s->name, timeout_s);
		}
		nanosleep(&nap, NULL);
	}
	return 0;
}

void ib_daemon_stop(struct ib_proc *p, double grace_s)
{
	if (p->pid > 0 && !p->reaped) {
		kill(p->pid, SIGTERM);
		if (ib_proc_wait(p, ib_mono_ns() + (uint64_t)(grace_s * 1e9)) < 0)
			ib_proc_kill(p);
	}
}
