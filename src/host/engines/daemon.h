/* daemon: a daemon of isobench's own (dockerd, containerd), the same way
 * for each: started in a mount namespace with a private /run (so that
 * what it makes there, /run/docker, /run/containerd, stays its own; the
 * directory of its sockets is bound back in), its output in a log file,
 * waited for until it answers on its socket (or exits, with the last
 * line of its log as the reason, or the start deadline passes), stopped
 * with SIGTERM, then SIGKILL. The callers keep their own state: the
 * journal records the process between spawn and wait. */
#ifndef ISOBENCH_DAEMON_H
#define ISOBENCH_DAEMON_H

#include "base/proc.h"
#include "base/util.h"

struct ib_daemon_spawn {
	const char *name;     /* "dockerd": in messages */
	char *const *argv;
	const char *cwd;
	const char *log;      /* its stdout and stderr */
	const char *sock_dir; /* the directory holding its sockets: its
				 parent is bound back into the daemon's
				 private /run view */
};

/* Starts it in p. 0 or -errno with err. */
int ib_daemon_spawn(struct ib_proc *p, const struct ib_daemon_spawn *s,
		    struct ib_err *err);
/* Waits until answers(arg) is true (0), the daemon exits (-EIO, err
 * naming its status and its log's last line) or timeout_s pass (-ETIMEDOUT;
 * the daemon is killed). */
int ib_daemon_wait_ready(struct ib_proc *p, const struct ib_daemon_spawn *s,
			 int (*answers)(void *arg), void *arg,
			 double timeout_s, struct ib_err *err);
/* SIGTERM, then SIGKILL after grace_s; reaped. */
void ib_daemon_stop(struct ib_proc *p, double grace_s);

#endif
