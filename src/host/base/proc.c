#include "base/proc.h"

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/asan_interface.h>
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Reads a small /proc file whole into buf (NUL-terminated); 0 or -1. */
static int read_proc(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, cap - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

unsigned long long ib_proc_starttime(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long start = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_proc(path, buf, sizeof(buf)) < 0)
		return 0;
	/* comm may hold spaces and ')': fields resume after the last ')' */
	p = strrchr(buf, ')');
	if (!p)
		return 0;
	p++;
	/* A zombie (or dead) process is not running any more: it holds its
	 * pid until its parent reaps it, which for an orphan may be never
	 * where pid 1 does not reap. Report it as gone. */
	if (p[0] == ' ' && (p[1] == 'Z' || p[1] == 'X'))
		return 0;
	/* p is at the space before field 3 (state); starttime is field 22:
	 * 19 more spaces on (it used to be 20, which read vsize, field 23,
	 * a value that changes while the process runs) */
	for (int field = 3; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	if (p)
		start = strtoull(p + 1, NULL, 10);
	return start;
}

/* The pids a struct ib_proc stands for: ib_proc_reap_strays leaves them
 * to their owners. A run has a handful alive at once, but footprint's
 * density holds every instance it starts (thousands): the table grows,
 * kept sorted so that looking a pid up stays cheap. A pid that did not
 * fit used to be reaped as a stray, and its owner lost its exit status. */
static pid_t *tracked;
static size_t ntracked, tracked_cap;

/* Index of pid in tracked, or where it would go. */
static size_t tracked_pos(pid_t pid)
{
	size_t lo = 0, hi = ntracked;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (tracked[mid] < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void track(pid_t pid)
{
	size_t i = tracked_pos(pid);

	if (i < ntracked && tracked[i] == pid)
		return;
	if (ntracked == tracked_cap) {
		tracked_cap = tracked_cap ? tracked_cap * 2 : 64;
		tracked = ib_xrealloc(tracked, tracked_cap * sizeof(*tracked));
	}
	memmove(tracked + i + 1, tracked + i, (ntracked - i) * sizeof(*tracked));
	tracked[i] = pid;
	ntracked++;
}

static void untrack(pid_t pid)
{
	size_t i = tracked_pos(pid);

	if (i < ntracked && tracked[i] == pid) {
		memmove(tracked + i, tracked + i + 1,
			(ntracked - i - 1) * sizeof(*tracked));
		ntracked--;
	}
}

static int is_tracked(pid_t pid)
{
	size_t i = tracked_pos(pid);

	return i < ntracked && tracked[i] == pid;
}

size_t ib_proc_tracked_count(void)
{
	return ntracked;
}

int ib_proc_spawn(struct ib_proc *p, char *const argv[], const char *cwd,
		  int flags, struct ib_err *err)
{
	struct ib_spawn_opts o = {.cwd = cwd, .flags = flags};

	return ib_proc_start(p, argv, &o, err);
}

/* What the child of a spawn needs, on the parent's stack. */
struct spawn_child {
	char *const *argv;
	const struct ib_spawn_opts *o;
	pid_t parent;
	int out_w;      /* the output pipe's write end */
	int devnull;    /* /dev/null, read-only, or the stdin pipe's read end */
	/* signals whose disposition is not the default (caught or ignored),
	 * bit s-1 for signal s; all ones if unknown */
	uint64_t not_dfl;
	int err;        /* the errno of the step that failed, set by the child */
};

/* The signals with a handler or ignored, from /proc/self/status (one read
 * instead of a sigaction per signal: on a host where a system call is
 * dear, 64 of them were a tenth of a launch). All ones if unreadable. */
static uint64_t signals_not_default(void)
{
	char buf[4096], *cgt, *ign;

	if (read_proc("/proc/self/status", buf, sizeof(buf)) < 0 ||
	    !(cgt = strstr(buf, "\nSigCgt:")) || !(ign = strstr(buf, "\nSigIgn:")))
		return ~0ULL;
	return strtoull(cgt + 9, NULL, 16) | strtoull(ign + 9, NULL, 16);
}

/* /dev/null, opened once (close-on-exec) and kept: every child's stdin.
 * Under spawn_lock. */
static int devnull_fd(void)
{
	static int fd = -1;

	if (fd < 0)
		fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	return fd;
}

/* The child of a spawn, before exec. It runs in the parent's memory
 * (CLONE_VM) on a stack of its own while the parent waits (CLONE_VFORK),
 * so it copies no page tables, however large isobench is (a fork of it
 * cost 1.5 ms more per launch). It writes no memory but its stack and
 * c->err, and calls only async-signal-safe functions (so must pre_exec):
 * the parent's handlers and locks are not its own. Signals are blocked
 * when it starts: no handler of the parent runs here before the reset. */
static int spawn_child(void *arg)
{
	struct spawn_child *c = arg;
	const struct ib_spawn_opts *o = c->o;
	struct sigaction dfl;
	sigset_t none;

	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	for (int s = 1; s < NSIG && s <= 64; s++)
		if (c->not_dfl & (1ULL << (s - 1)))
			sigaction(s, &dfl, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	setpgid(0, 0);
	if (o->flags & IB_PROC_DIE_WITH_PARENT) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != c->parent)
			_exit(127);
	}
	if (c->devnull >= 0)
		dup2(c->devnull, 0);
	if (o->output_file) {
		int f = open(o->output_file, O_WRONLY | O_CREAT | O_APPEND |
			     O_CLOEXEC, 0644);

		if (f < 0)
			goto fail;
		dup2(f, 1);
		dup2(f, 2);
	} else {
		dup2(c->out_w, 1);
		dup2(c->out_w, 2);
	}
	/* Nothing of isobench's but stdio: a descriptor some library opened
	 * without O_CLOEXEC (or inherited from whoever started isobench) would
	 * keep a pipe or socket open behind its owner's back. */
	syscall(SYS_close_range, 3U, ~0U, 0U);
	if (o->cwd && chdir(o->cwd) != 0)
		goto fail;
	if (o->pre_exec && (errno = o->pre_exec(o->pre_exec_arg)) != 0)
		goto fail;
	execv(c->argv[0], c->argv);
fail:
	c->err = errno ? errno : EINVAL;
	_exit(127);
}

/* The child's stack: enough for pre_exec's path buffers, under ASan too;
 * only the pages it touches are ever allocated. One, made at the first
 * spawn and kept (its pages stay mapped: no page faults per launch), for
 * one spawn at a time. */
#define SPAWN_STACK (512 * 1024)
static pthread_mutex_t spawn_lock = PTHREAD_MUTEX_INITIALIZER;
static void *spawn_stack;

int ib_proc_start(struct ib_proc *p, char *const argv[],
		  const struct ib_spawn_opts *o, struct ib_err *err)
{
	struct spawn_child c = {.argv = argv, .o = o, .parent = getpid(),
				.not_dfl = signals_not_default()};
	int out[2], in[2] = {-1, -1}, e;
	sigset_t all, old;
	pid_t pid;

	memset(p, 0, sizeof(*p));
	p->out_fd = -1;
	p->in_fd = -1;
	p->exit_code = -1;
	if ((o->flags & IB_PROC_STDIN_PIPE) && pipe2(in, O_CLOEXEC) != 0)
		return ib_err_set(err, -errno, "pipe: %s", strerror(errno));
	if (pipe2(out, O_CLOEXEC) != 0) {
		e = errno;
		if (in[0] >= 0)
			close(in[0]), close(in[1]);
		return ib_err_set(err, -e, "pipe: %s", strerror(e));
	}
	pthread_mutex_lock(&spawn_lock);
	if (!spawn_stack) {
		void *st = mmap(NULL, SPAWN_STACK, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);

		if (st == MAP_FAILED) {
			e = errno;
			pthread_mutex_unlock(&spawn_lock);
			close(out[0]);
			close(out[1]);
			if (in[0] >= 0)
				close(in[0]), close(in[1]);
			return ib_err_set(err, -e, "spawn stack: %s",
					  strerror(e));
		}
		spawn_stack = st;
	}
	c.out_w = out[1];
	c.devnull = in[0] >= 0 ? in[0] : devnull_fd();
	/* Blocked across the clone, so the child cannot run our handlers
	 * before exec; it restores defaults and an empty mask itself. */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	/* returns when the child has exec'd or exited */
	pid = clone(spawn_child, (char *)spawn_stack + SPAWN_STACK,
		    CLONE_VM | CLONE_VFORK | SIGCHLD, &c);
	e = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
#ifdef __SANITIZE_ADDRESS__
	/* the child's frames never returned: clear their redzones for the
	 * next child */
	ASAN_UNPOISON_MEMORY_REGION(spawn_stack, SPAWN_STACK);
#endif
	pthread_mutex_unlock(&spawn_lock);
	close(out[1]);
	if (in[0] >= 0)
		close(in[0]);
	if (pid < 0) {
		close(out[0]);
		if (in[1] >= 0)
			close(in[1]);
		return ib_err_set(err, -e, "clone: %s", strerror(e));
	}
	p->pid = pid;
	if (c.err) {
		close(out[0]);
		if (in[1] >= 0)
			close(in[1]);
		waitpid(pid, NULL, 0);
		p->pid = 0;
		p->reaped = 1;
		return ib_err_set(err, -c.err, "cannot run %s: %s", argv[0],
				  strerror(c.err));
	}
	p->out_fd = out[0];
	p->in_fd = in[1];
	if (o->output_file) {
		close(out[0]);
		p->out_fd = -1;
	}
	p->starttime = ib_proc_starttime(pid);
	p->flags = o->flags;
	track(pid);
	return 0;
}

void ib_proc_adopt(struct ib_proc *p, pid_t pid)
{
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->out_fd = -1;
	p->in_fd = -1;
	p->exit_code = -1;
	p->starttime = ib_proc_starttime(pid);
	track(pid);
}

int ib_proc_subreaper(int on)
{
	return prctl(PR_SET_CHILD_SUBREAPER, on ? 1 : 0) == 0 ? 0 : -errno;
}

/* Reaps the exited untracked children; returns how many untracked
 * children are still alive. */
static int reap_strays(void)
{
	int alive = 0;
	char path[64], *buf;

	/* Our children, from the kernel's list (CONFIG_PROC_CHILDREN);
	 * isobench is single-threaded, so its main task holds them all.
	 * Read whole: thousands of children list far more than a page. */
	snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)getpid());
	buf = ib_read_file(path, NULL, NULL);
	if (!buf)
		return 0;
	for (char *s = buf, *end; *s; s = end) {
		long pid = strtol(s, &end, 10);

		if (end == s)
			break;
		if (pid > 0 && !is_tracked((pid_t)pid) &&
		    waitpid((pid_t)pid, NULL, WNOHANG) == 0)
			alive++;
	}
	free(buf);
	return alive;
}

void ib_proc_reap_strays(void)
{
	reap_strays();
}

void ib_proc_reap_strays_wait(int ms)
{
	for (int i = 0; i < ms && reap_strays() > 0; i++) {
		struct timespec nap = {0, 1000000};

		nanosleep(&nap, NULL);
	}
}

static void record_status(struct ib_proc *p, int status)
{
	untrack(p->pid);
	p->reaped = 1;
	if (WIFEXITED(status)) {
		p->exit_code = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status)) {
		p->term_signal = WTERMSIG(status);
	}
}

/* A pidfd of pid (Linux 5.3): readable when it exits, so a wait sleeps
 * until the exit itself instead of polling. -1 where the kernel has none. */
static int pidfd_of(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	errno = ENOSYS;
	return -1;
#endif
}

int ib_proc_wait(struct ib_proc *p, uint64_t deadline_ns)
{
	/* the pidfd is opened only if the child has not exited already */
	int status, pidfd = -1, pidfd_tried = 0;

	if (p->reaped || p->pid <= 0)
		return 0;
	for (;;) {
		siginfo_t si;
		pid_t r;
		struct timespec nap = {0, 1000000};
		uint64_t now;

		/* Exited? Look without reaping: while the child is a zombie its
		 * pid, and so its process group's id, cannot be reused, so
		 * whatever it left running in its group (a daemonised helper,
		 * a forked worker) can be ended safely before it is reaped. */
		memset(&si, 0, sizeof(si));
		r = waitid(P_PID, (id_t)p->pid, &si, WEXITED | WNOHANG | WNOWAIT);
		if (r == 0 && si.si_pid == p->pid) {
			if (!(p->flags & IB_PROC_KEEP_GROUP))
				kill(-p->pid, SIGKILL);
			do
				r = waitpid(p->pid, &status, 0);
			while (r < 0 && errno == EINTR);
		}
		if (r == p->pid) {
			record_status(p, status);
			break;
		}
		if (r < 0 && errno != EINTR) {
			untrack(p->pid);
			p->reaped = 1; /* not our child any more */
			break;
		}
		now = ib_mono_ns();
		if (now >= deadline_ns) {
			if (pidfd >= 0)
				close(pidfd);
			return -ETIMEDOUT;
		}
		if (!pidfd_tried) {
			pidfd = pidfd_of(p->pid);
			pidfd_tried = 1;
			continue; /* it may have exited in between */
		}
		if (pidfd >= 0) {
			/* sleep until it exits, at most 100 ms at a time */
			struct pollfd pfd = {pidfd, POLLIN, 0};
			uint64_t left_ms = (deadline_ns - now) / 1000000 + 1;

			if (poll(&pfd, 1, left_ms > 100 ? 100 : (int)left_ms) < 0 &&
			    errno == EINTR) {
				close(pidfd);
				return -EINTR;
			}
			continue;
		}
		/* no pidfd: 1 ms steps */
		if (nanosleep(&nap, NULL) != 0 && errno == EINTR)
			return -EINTR;
	}
	if (pidfd >= 0)
		close(pidfd);
	return 0;
}

void ib_proc_kill(struct ib_proc *p)
{
	int status = 0;

	if (p->pid <= 0 || p->reaped)
		return;
	/* The group is the one we created for this child. */
	pid_t r;

	kill(-p->pid, SIGKILL);
	kill(p->pid, SIGKILL);
	do
		r = waitpid(p->pid, &status, 0);
	while (r < 0 && errno == EINTR);
	if (r == p->pid) {
		record_status(p, status);
	} else {
		untrack(p->pid);
		p->reaped = 1;
	}
}

int ib_proc_capture(char *const argv[], const char *cwd, double timeout_s,
		    int (*stop)(void), struct ib_buf *out, struct ib_err *err)
{
	struct ib_spawn_opts o = {.cwd = cwd, .flags = IB_PROC_DIE_WITH_PARENT};

	return ib_proc_capture_opts(argv, &o, timeout_s, stop, out, err);
}

int ib_proc_capture_opts(char *const argv[], const struct ib_spawn_opts *o,
			 double timeout_s, int (*stop)(void),
			 struct ib_buf *out, struct ib_err *err)
{
	uint64_t deadline = ib_mono_ns() + (uint64_t)(timeout_s * 1e9);
	struct ib_proc p;
	char buf[16384];
	int rc = 0;

	if (ib_proc_start(&p, argv, o, err) < 0)
		return err ? err->code : -1;
	for (;;) {
		struct pollfd pfd = {p.out_fd, POLLIN, 0};
		uint64_t now = ib_mono_ns();
		ssize_t n;

		if ((stop && stop()) || now >= deadline) {
			rc = ib_err_set(err, -ETIMEDOUT, "%s: %s", argv[0],
					now >= deadline
						? "did not finish in time; killed"
						: "interrupted");
			break;
		}
		n = poll(&pfd, 1, 200);
		if (n <= 0)
			continue;
		n = read(p.out_fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		ib_buf_put(out, buf, (size_t)n);
	}
	ib_proc_close(&p);
	if (rc == 0 && ib_proc_wait(&p, deadline) < 0)
		rc = ib_err_set(err, -ETIMEDOUT, "%s: did not exit; killed",
				argv[0]);
	ib_proc_kill(&p);
	if (rc == 0 && p.term_signal)
		rc = ib_err_set(err, -EINTR, "%s: killed by signal %d", argv[0],
				p.term_signal);
	return rc < 0 ? rc : p.exit_code;
}

void ib_proc_close(struct ib_proc *p)
{
	/* > 0: a zeroed ib_proc that never started must not close stdin */
	if (p->out_fd > 0)
		close(p->out_fd);
	p->out_fd = -1;
	if (p->in_fd > 0)
		close(p->in_fd);
	p->in_fd = -1;
}

int ib_pid_ended(pid_t pid)
{
	char path[64], buf[512], *rp;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* "pid (comm) S ...": comm may hold anything, the state follows the
	 * last ')' */
	rp = strrchr(buf, ')');
	return !rp || rp[1] != ' ' || rp[2] == 'Z' || rp[2] == 'X';
}

char *ib_proc_version_line(const char *bin, const char *arg,
			   const char *prefix, double timeout_s)
{
	struct ib_buf out = {0};
	char *r = NULL;
	int rc = ib_proc_capture((char *[]){(char *)bin, (char *)arg, NULL},
				 NULL, timeout_s, NULL, &out, NULL);

	if (rc == 0 && out.s) {
		size_t plen = prefix ? strlen(prefix) : 0;
		char *first = NULL;

		/* stdout and stderr come mixed: the line that says it, else
		 * the first that is not empty */
		for (char *line = out.s, *next; line && !r; line = next) {
			next = strchr(line, '\n');
			if (next)
				*next++ = '\0';
			if (plen && strncmp(line, prefix, plen) == 0)
				r = ib_xstrdup(line + plen);
			else if (!first && *line)
				first = line;
		}
		if (!r && first)
			r = ib_xstrdup(first);
	}
	ib_buf_free(&out);
	return r;
}
