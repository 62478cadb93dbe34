/* proc: starting, watching and ending the child processes isobench owns.
 *
 * A child gets its own process group (so it and anything it forks can be
 * ended together, and only them), default signal dispositions and an
 * empty signal mask, /dev/null as stdin (or a pipe: IB_PROC_STDIN_PIPE),
 * one pipe that carries both its stdout and stderr, and no other
 * descriptor of isobench's. It is started
 * with vfork semantics (clone with CLONE_VM | CLONE_VFORK, as posix_spawn
 * does): no page tables are copied, so a launch costs the same however
 * large isobench grows. An exec failure (or a failed pre-exec step) is the
 * spawn's error, not a mysterious exit status 127. */
#ifndef ISOBENCH_PROC_H
#define ISOBENCH_PROC_H

#include <stdint.h>
#include <sys/types.h>

#include "base/util.h"

struct ib_proc {
	pid_t pid;          /* 0 when not running */
	int out_fd;         /* read end of the output pipe, or -1 */
	unsigned long long starttime; /* /proc/PID/stat field 22 */
	int reaped;
	int exit_code;      /* when reaped and exited normally, else -1 */
	int flags;          /* IB_PROC_* it was started with */
	int term_signal;    /* when reaped and killed by a signal, else 0 */
	int in_fd;          /* the write end of its stdin pipe
			       (IB_PROC_STDIN_PIPE), or -1 */
};

/* The child gets SIGKILL if isobench dies (prctl PDEATHSIG): nothing it
 * started outlives a kill -9 of the tool, even before the state file has
 * its pid. */
#define IB_PROC_DIE_WITH_PARENT 1
/* What the child leaves running in its process group when it exits is
 * left alone (a runtime's create command leaves the container's sandbox
 * and gofer there); by default wait ends it, as a probe's leftovers. */
#define IB_PROC_KEEP_GROUP 2
/* Its stdin is a pipe whose write end is in_fd (a VM's serial console:
 * how the host talks to the guest's probe), not /dev/null. */
#define IB_PROC_STDIN_PIPE 4

struct ib_spawn_opts {
	const char *cwd;  /* NULL: isobench's own */
	int flags;        /* IB_PROC_* */
	/* Runs in the child just before exec (e.g. to enter a private mount
	 * namespace); a non-zero return is the errno the spawn fails with. */
	int (*pre_exec)(void *arg);
	void *pre_exec_arg;
	/* stdout and stderr appended to this file instead of the pipe (a
	 * daemon whose output nobody reads must not block or die of SIGPIPE):
	 * out_fd is then -1. */
	const char *output_file;
};

/* Starts argv[0] (a path) with argv in its own process group. cwd may be
 * NULL. Returns 0 or -errno (err says which program and why). */
int ib_proc_spawn(struct ib_proc *p, char *const argv[], const char *cwd,
		  int flags, struct ib_err *err);
/* The same with every option. */
int ib_proc_start(struct ib_proc *p, char *const argv[],
		  const struct ib_spawn_opts *o, struct ib_err *err);

/* Takes pid, a child of isobench it did not fork itself (a container's
 * init, reparented to isobench as subreaper), into p: then ib_proc_wait
 * and ib_proc_kill work on it. No output pipe. */
void ib_proc_adopt(struct ib_proc *p, pid_t pid);

/* Makes isobench the subreaper of what it starts (prctl
 * PR_SET_CHILD_SUBREAPER), or stops it being one (on = 0): a container
 * whose runtime's create command has exited becomes isobench's child, so
 * its exit status can be waited for, as containerd's shims do. Returns 0
 * or -errno. */
int ib_proc_subreaper(int on);
/* Reaps exited children that no struct ib_proc stands for (the orphans a
 * subreaper inherits: runtimes' intermediate processes). Call it often. */
void ib_proc_reap_strays(void);
/* The same, waiting up to ms milliseconds for such children to exit
 * (what a container's runtime leaves behind, exiting just after it). */
void ib_proc_reap_strays_wait(int ms);
/* How many children struct ib_procs stand for now (tests). */
size_t ib_proc_tracked_count(void);
/* Waits for the child to exit until deadline_ns (CLOCK_MONOTONIC).
 * Returns 0 when reaped, -ETIMEDOUT, or -EINTR if a signal arrived. */
int ib_proc_wait(struct ib_proc *p, uint64_t deadline_ns);
/* SIGKILL to the child's process group and the child, then reaps it.
 * Safe to call on a reaped or never-started proc. */
void ib_proc_kill(struct ib_proc *p);
/* Has pid ended (gone, or a zombie not reaped yet)? It is not reaped
 * here: its owner's wait does that. */
int ib_pid_ended(pid_t pid);
/* Closes the output pipe. */
void ib_proc_close(struct ib_proc *p);

/* Runs argv (argv[0] a path) to completion: its output (stdout and
 * stderr) into out, at most timeout_s seconds (then it is killed), cut
 * short by a signal when stop() says so (NULL: never). Returns its exit
 * status (>= 0), or a negative errno with err set: it could not start, was
 * killed by a signal, or ran out of time (-ETIMEDOUT). */
int ib_proc_capture(char *const argv[], const char *cwd, double timeout_s,
		    int (*stop)(void), struct ib_buf *out, struct ib_err *err);
/* The same with every spawn option. */
int ib_proc_capture_opts(char *const argv[], const struct ib_spawn_opts *o,
			 double timeout_s, int (*stop)(void),
			 struct ib_buf *out, struct ib_err *err);

/* The version line of program bin: runs `bin arg` (no shell: any path
 * is safe) for at most timeout_s seconds; of its output (stdout and
 * stderr), the rest of the first line starting with prefix (may be
 * NULL), else its first non-empty line. NULL when it did not run, failed
 * or said nothing. Caller frees. */
char *ib_proc_version_line(const char *bin, const char *arg,
			   const char *prefix, double timeout_s);

/* Start time of pid in clock ticks since boot, 0 if it does not exist:
 * with the pid it identifies a process even after pid reuse. */
unsigned long long ib_proc_starttime(pid_t pid);

#endif
