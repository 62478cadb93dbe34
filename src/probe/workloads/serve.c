/* serve (the applications' probe side): starts a server, says when it
 * accepts, holds while the host loads it, then stops it and reports.
 *
 * The server's command line is a file (--serve-argv, common/argv_file.h)
 * that isobench wrote. Before the server starts, where a database's data
 * goes is made ready: --serve-tmpfs DIR mounts a tmpfs on DIR (in a mount
 * namespace of the probe's own, so that nothing is left on the host when
 * it ends: native's launch), --serve-mount DEV:DIR mounts the ext4
 * filesystem isobench formatted with the data set (a VM's disk), and
 * --serve-seed SRC:DST copies the tree SRC (the data set, prepared once
 * per run) to DST, a directory made new or an empty mount point: the
 * server changes its copy only, and the copy's time is not the server's
 * start. The probe starts the server as its child, its
 * output on a pipe of the probe's (never on the record stream), and tries
 * to connect to 127.0.0.1:port every 10 ms until the server accepts, the
 * server exits, or ready_timeout passes; the last two are failures that
 * quote the server's last lines. Once it accepts: a sample ready_s (start
 * to first accept) and the info record holding_s, the word the host waits
 * for (as footprint's hold). Then it holds until SIGTERM, SIGINT or SIGHUP,
 * the line "isobench-stop" on its stdin (a VM's console: how the host
 * reaches a guest's probe), or the `hold` deadline, still reading the
 * server's output (a full pipe would stall it) and watching that it
 * lives; a server that dies during
 * the hold is a failure too. At the end: SIGTERM to the server (nginx and
 * mariadbd both shut down cleanly on it), SIGKILL if it is not gone within
 * stop_timeout, and samples of its CPU time (user and system of it and of
 * the children it waited for: getrusage) and an info record of its exit. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <dirent.h>
#include <sched.h>
#include <unistd.h>

#include "../../common/argv_file.h"

#include "../harness.h"
#include "../probe.h"

/* The line that ends the hold when it comes on stdin: how the host asks a
 * VM's probe (its stdin is the guest's console) to stop its server. */
#define SERVE_STOP_WORD "isobench-stop"

static volatile sig_atomic_t stop_serve;

static void on_stop(int sig)
{
	(void)sig;
	stop_serve = 1;
}

/* The server's output: the last bytes of it, for a failure's message. */
struct tail {
	int fd;       /* the pipe's read end, non-blocking; -1 at its end */
	char buf[2048];
	size_t len;
};

static void tail_close(struct tail *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}

static void tail_drain(struct tail *t)
{
	char chunk[4096];
	ssize_t n;

	while (t->fd >= 0) {
		n = read(t->fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) { /* its end, or an error: nothing more comes */
			tail_close(t);
			return;
		}
		if ((size_t)n >= sizeof(t->buf)) {
			memcpy(t->buf, chunk + n - sizeof(t->buf), sizeof(t->buf));
			t->len = sizeof(t->buf);
			continue;
		}
		if (t->len + (size_t)n > sizeof(t->buf)) {
			size_t drop = t->len + (size_t)n - sizeof(t->buf);

			memmove(t->buf, t->buf + drop, t->len - drop);
			t->len -= drop;
		}
		memcpy(t->buf + t->len, chunk, (size_t)n);
		t->len += (size_t)n;
	}
}

/* The last lines (at most 6) of the server's output on one line, "a | b",
 * at most cap - 1 bytes, control characters as '?'; "(none)" if it wrote
 * nothing. */
static void tail_lines(const struct tail *t, char *out, size_t cap)
{
	size_t end = t->len, start, o = 0;
	int lines = 0;

	while (end > 0 && t->buf[end - 1] == '\n')
		end--;
	for (start = end; start > 0; start--)
		if (t->buf[start - 1] == '\n' && ++lines == 6)
			break;
	for (size_t i = start; i < end && o + 4 < cap; i++) {
		unsigned char c = (unsigned char)t->buf[i];

		if (c == '\n') {
			memcpy(out + o, " | ", 3);
			o += 3;
		} else {
			out[o++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
		}
	}
	out[o] = '\0';
	if (!o)
		snprintf(out, cap, "(none)");
}

static void status_text(int status, char *out, size_t cap)
{
	if (WIFEXITED(status))
		snprintf(out, cap, "exit %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(out, cap, "signal %d", WTERMSIG(status));
	else
		snprintf(out, cap, "status %d", status);
}

/* Reads and parses the command line file into argv (backed by *text). */
static int read_argv(const char *path, char **text, char **argv, int cap)
{
	char why[160];
	struct stat st;
	ssize_t n;
	size_t got = 0;
	/* O_NONBLOCK: a FIFO in its place must not hang the open */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK), argc;

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > IB_ARGV_FILE_MAX * (IB_ARGV_FILE_ARG_MAX + 1)) {
		pb_emit_error("serve", "invalid", "--serve-argv %s: %s", path,
			      fd < 0 ? strerror(errno)
			      : !S_ISREG(st.st_mode) ? "not a regular file"
			      : "too large for a command line");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*text = malloc((size_t)st.st_size + 1);
	while (*text && got < (size_t)st.st_size &&
	       (n = read(fd, *text + got, (size_t)st.st_size - got)) > 0)
		got += (size_t)n;
	close(fd);
	if (!*text || got != (size_t)st.st_size) {
		pb_emit_error("serve", "failed", "--serve-argv %s: cannot read "
			      "it whole", path);
		return -1;
	}
	argc = ib_argv_file_parse(*text, got, argv, cap, why, sizeof(why));
	if (argc < 0)
		pb_emit_error("serve", "invalid", "--serve-argv %s: %s", path,
			      why);
	return argc;
}

/* Starts argv with its output on a pipe (t->fd); stdin is /dev/null. */
static pid_t start_server(char **argv, struct tail *t)
{
	int out[2];
	pid_t pid;

	if (pipe2(out, O_CLOEXEC) < 0) {
		pb_emit_error("serve", "failed", "pipe: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);
		sigset_t none;

		/* the server starts as from a clean shell: every signal
		 * at its default (an ignored one would stay ignored across
		 * exec), none blocked */
		for (int sig = 1; sig < NSIG; sig++)
			if (sig != SIGKILL && sig != SIGSTOP)
				signal(sig, SIG_DFL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (null < 0 || dup2(null, 0) < 0 || dup2(out[1], 1) < 0 ||
		    dup2(out[1], 2) < 0)
			_exit(127);
		execv(argv[0], argv);
		/* the probe is one thread: stdio is safe after its fork */
		dprintf(2, "isobench-probe: cannot exec %s: %s\n", argv[0],
			strerror(errno));
		_exit(127);
	}
	close(out[1]);
	if (pid < 0) {
		close(out[0]);
		pb_emit_error("serve", "failed", "fork: %s", strerror(errno));
		return -1;
	}
	t->fd = out[0];
	fcntl(t->fd, F_SETFL, O_NONBLOCK);
	return pid;
}

/* Does 127.0.0.1:port accept a connection? */
static int accepts(unsigned port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), ok;

	if (fd < 0)
		return 0;
	ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

static double since(uint64_t t0)
{
	return (double)(now_ns() - t0) / 1e9;
}

/* Waits up to timeout_s for the server to exit (reading its output);
 * 1 with *status if it did, 0 if not. */
static int wait_exit(pid_t pid, struct tail *t, double timeout_s, int *status)
{
	uint64_t t0 = now_ns();

	for (;;) {
		pid_t w = waitpid(pid, status, WNOHANG);

		tail_drain(t);
		if (w == pid || (w < 0 && errno != EINTR))
			return w == pid;
		if (since(t0) >= timeout_s)
			return 0;
		usleep(10000);
	}
}

/* Ends the server: SIGTERM, then SIGKILL after timeout_s; returns its
 * wait status, and whether it had to be killed in *killed. */
static int stop_server(pid_t pid, struct tail *t, double timeout_s,
		       int *killed)
{
	int status = 0;

	*killed = 0;
	kill(pid, SIGTERM);
	if (wait_exit(pid, t, timeout_s, &status))
		return status;
	*killed = 1;
	kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	tail_drain(t);
	return status;
}

/* Until the server accepts (0), exits or the time is up or a stop signal
 * comes (-1, after an error record; a server still running is stopped). */
static int wait_ready(pid_t pid, struct tail *t, const struct probe_args *a,
		      uint64_t t0)
{
	unsigned port = (unsigned)pb_arg_count(a, "port");
	double limit = pb_arg_seconds(a, "ready_timeout");
	char last[600], st[32];
	int status, killed;

	for (;;) {
		tail_drain(t);
		if (waitpid(pid, &status, WNOHANG) == pid) {
			status_text(status, st, sizeof(st));
			tail_lines(t, last, sizeof(last));
			pb_emit_error("serve", "failed", "the server ended (%s) "
				      "before it accepted on port %u; its last "
				      "output: %s", st, port, last);
			return -1;
		}
		if (accepts(port))
			return 0;
		if (stop_serve || since(t0) >= limit) {
			stop_server(pid, t, pb_arg_seconds(a, "stop_timeout"),
				    &killed);
			tail_lines(t, last, sizeof(last));
			pb_emit_error("serve", "failed", stop_serve
				      ? "told to stop before the server "
				      "accepted on port %u; its last output: %s"
				      : "the server did not accept on port %u "
				      "within ready_timeout; its last output: %s",
				      port, last);
			return -1;
		}
		usleep(10000);
	}
}

/* Reads what stdin has; 1 once the stop word has come, -1 at its end (or
 * an error: stdin is then no longer watched), else 0. seen keeps the last
 * bytes, for a word split across reads. */
static int stdin_stop_word(char *seen, size_t cap)
{
	char buf[256];
	ssize_t n = read(0, buf, sizeof(buf));
	size_t have = strlen(seen);

	if (n <= 0)
		return n < 0 && errno == EINTR ? 0 : -1;
	for (ssize_t i = 0; i < n; i++) {
		if (have == cap - 1) {
			memmove(seen, seen + 1, cap - 2);
			have--;
		}
		seen[have++] = buf[i] ? buf[i] : ' ';
		seen[have] = '\0';
		if (strstr(seen, SERVE_STOP_WORD))
			return 1;
	}
	return 0;
}

/* Holds while the server serves: -1 (after an error record) if it ends
 * meanwhile. */
static int hold(pid_t pid, struct tail *t, double limit)
{
	uint64_t t0 = now_ns();
	char last[600], st[32], seen[64] = "";
	int status, watch_stdin = 1;

	while (!stop_serve && since(t0) < limit) {
		struct pollfd p[2] = {{.fd = t->fd, .events = POLLIN},
				      {.fd = watch_stdin ? 0 : -1,
				       .events = POLLIN}};

		/* the pipe's end is no sign: the server may close its
		 * output; a stop signal interrupts the poll at once */
		poll(p, 2, 200);
		if (p[1].revents) {
			int w = stdin_stop_word(seen, sizeof(seen));

			if (w > 0)
				break;
			if (w < 0)
				watch_stdin = 0;
		}
		tail_drain(t);
		if (waitpid(pid, &status, WNOHANG) == pid) {
			status_text(status, st, sizeof(st));
			tail_lines(t, last, sizeof(last));
			pb_emit_error("serve", "failed", "the server ended (%s) "
				      "while serving; its last output: %s", st,
				      last);
			return -1;
		}
	}
	return 0;
}

/* --- the seed: a tree copied before the server starts ------------------ */

#define SEED_DEPTH_MAX 16

struct seed {
	uint64_t bytes, files;
	char why[300];
	char buf[1 << 16];
};

/* Copies the regular file name of directory sfd into dfd (made new, with
 * its mode). */
static int seed_file(int sfd, int dfd, const char *name, mode_t mode,
		     struct seed *s)
{
	int in = openat(sfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), out;
	ssize_t n = 0;

	if (in < 0) {
		snprintf(s->why, sizeof(s->why), "%s: %s", name, strerror(errno));
		return -1;
	}
	out = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		     O_CLOEXEC, mode & 07777);
	if (out < 0) {
		snprintf(s->why, sizeof(s->why), "%s: %s", name, strerror(errno));
		close(in);
		return -1;
	}
	for (;;) {
		n = read(in, s->buf, sizeof(s->buf));
		if (n < 0 && errno == EINTR) /* a stop signal: go on */
			continue;
		if (n <= 0)
			break;
		for (ssize_t at = 0; at < n;) {
			ssize_t w = write(out, s->buf + at, (size_t)(n - at));

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				if (w == 0)
					errno = EIO;
				n = -1;
				break;
			}
			at += w;
		}
		if (n < 0)
			break;
		s->bytes += (uint64_t)n;
	}
	if (n < 0)
		snprintf(s->why, sizeof(s->why), "%s: %s", name, strerror(errno));
	if (close(out) < 0 && n == 0) {
		snprintf(s->why, sizeof(s->why), "%s: %s", name, strerror(errno));
		n = -1;
	}
	close(in);
	s->files++;
	return n < 0 ? -1 : 0;
}

/* Copies what directory sfd holds into directory dfd: directories and
 * regular files only, nothing followed. */
static int seed_dir(int sfd, int dfd, int depth, struct seed *s)
{
	int scan = dup(sfd), rc = 0;
	DIR *d = scan >= 0 ? fdopendir(scan) : NULL;
	struct dirent *e;

	if (!d) {
		snprintf(s->why, sizeof(s->why), "opendir: %s", strerror(errno));
		if (scan >= 0)
			close(scan);
		return -1;
	}
	while (rc == 0 && (e = readdir(d))) {
		struct stat st;
		int a, b;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (fstatat(sfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			snprintf(s->why, sizeof(s->why), "%s: %s", e->d_name,
				 strerror(errno));
			rc = -1;
		} else if (S_ISREG(st.st_mode)) {
			rc = seed_file(sfd, dfd, e->d_name, st.st_mode, s);
		} else if (!S_ISDIR(st.st_mode) || depth >= SEED_DEPTH_MAX) {
			snprintf(s->why, sizeof(s->why), "%s: %s", e->d_name,
				 S_ISDIR(st.st_mode) ? "nested too deep"
				 : "neither a file nor a directory");
			rc = -1;
		} else if (mkdirat(dfd, e->d_name, st.st_mode & 07777) < 0) {
			snprintf(s->why, sizeof(s->why), "%s: %s", e->d_name,
				 strerror(errno));
			rc = -1;
		} else {
			a = openat(sfd, e->d_name, O_RDONLY | O_DIRECTORY |
				   O_NOFOLLOW | O_CLOEXEC);
			b = openat(dfd, e->d_name, O_RDONLY | O_DIRECTORY |
				   O_NOFOLLOW | O_CLOEXEC);
			if (a < 0 || b < 0) {
				snprintf(s->why, sizeof(s->why), "%s: %s",
					 e->d_name, strerror(errno));
				rc = -1;
			} else {
				rc = seed_dir(a, b, depth + 1, s);
			}
			if (a >= 0)
				close(a);
			if (b >= 0)
				close(b);
		}
	}
	closedir(d);
	return rc;
}

/* Does directory fd hold nothing (but "." and "..")? */
static int dir_empty(int fd)
{
	int scan = dup(fd), empty = 1;
	DIR *d = scan >= 0 ? fdopendir(scan) : NULL;
	struct dirent *e;

	if (!d) {
		if (scan >= 0)
			close(scan);
		return 0;
	}
	while (empty && (e = readdir(d)))
		empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
	closedir(d);
	return empty;
}

/* --serve-tmpfs DIR: a tmpfs on DIR (made if missing), in a mount
 * namespace of the probe's own whose mounts do not propagate back.
 * --serve-mount DEV:DIR: the ext4 filesystem on DEV on DIR. 0, or -1
 * after an error record. */
static int mount_data(const struct probe_args *a)
{
	if (a->serve_tmpfs) {
		const char *dir = a->serve_tmpfs;

		if (dir[0] != '/') {
			pb_emit_error("serve", "invalid", "--serve-tmpfs %s: not "
				      "an absolute path", dir);
			return -1;
		}
		if (unshare(CLONE_NEWNS) < 0 ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
		    (mkdir(dir, 0700) < 0 && errno != EEXIST) ||
		    mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV,
			  "mode=700") < 0) {
			pb_emit_error("serve", "failed", "--serve-tmpfs %s: %s",
				      dir, strerror(errno));
			return -1;
		}
	}
	if (a->serve_mount) {
		const char *colon = strchr(a->serve_mount, ':');
		char dev[256];

		if (!colon || colon == a->serve_mount || colon[1] != '/' ||
		    (size_t)(colon - a->serve_mount) >= sizeof(dev)) {
			pb_emit_error("serve", "invalid", "--serve-mount %s: not "
				      "DEV:DIR", a->serve_mount);
			return -1;
		}
		memcpy(dev, a->serve_mount, (size_t)(colon - a->serve_mount));
		dev[colon - a->serve_mount] = '\0';
		if ((mkdir(colon + 1, 0700) < 0 && errno != EEXIST) ||
		    mount(dev, colon + 1, "ext4", MS_NOSUID | MS_NODEV |
			  MS_NOATIME, NULL) < 0) {
			pb_emit_error("serve", "failed", "--serve-mount: %s on "
				      "%s: %s", dev, colon + 1, strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* --serve-seed SRC:DST: DST made (0700, it must not exist), SRC's tree
 * copied into it; samples of the copy's size and time. 0, or -1 after an
 * error record. */
static int seed(const char *spec)
{
	const char *colon = strchr(spec, ':');
	char *src = colon ? strndup(spec, (size_t)(colon - spec)) : NULL;
	const char *dst = colon ? colon + 1 : NULL;
	struct seed *s = calloc(1, sizeof(*s));
	uint64_t t0 = now_ns();
	int a = -1, b = -1, rc = -1;

	if (!src || !s || !src[0] || !dst[0] || src[0] != '/' || dst[0] != '/') {
		pb_emit_error("serve", "invalid", "--serve-seed %s: not "
			      "SRC:DST, two absolute paths", spec);
		goto out;
	}
	a = open(src, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (a < 0) {
		pb_emit_error("serve", "failed", "--serve-seed: %s: %s", src,
			      strerror(errno));
		goto out;
	}
	/* made new; or an empty directory already there: a mount point
	 * (--serve-tmpfs, a container runtime's tmpfs) */
	if ((mkdir(dst, 0700) < 0 && errno != EEXIST) ||
	    (b = open(dst, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		      O_CLOEXEC)) < 0) {
		pb_emit_error("serve", "failed", "--serve-seed: %s: %s", dst,
			      strerror(errno));
		goto out;
	}
	if (!dir_empty(b)) {
		pb_emit_error("serve", "failed", "--serve-seed: %s is there "
			      "already and not empty", dst);
		goto out;
	}
	if (seed_dir(a, b, 0, s) < 0 || fsync(b) < 0) {
		pb_emit_error("serve", "failed", "--serve-seed: copying %s to "
			      "%s: %s", src, dst, s->why[0] ? s->why
			      : strerror(errno));
		goto out;
	}
	pb_emit_sample("serve", "seed_copy", "s", IB_LOWER_IS_BETTER,
		       since(t0), NULL, 0);
	pb_emit_info_num("serve", "seed_bytes", (double)s->bytes);
	rc = 0;
out:
	if (a >= 0)
		close(a);
	if (b >= 0)
		close(b);
	free(s);
	free(src);
	return rc;
}

static int pb_wl_serve(const struct probe_args *a)
{
	char *argv[IB_ARGV_FILE_MAX + 1], *text = NULL, st[32], last[600];
	struct tail t = {.fd = -1};
	struct sigaction sa;
	struct rusage ru;
	uint64_t t0;
	pid_t pid;
	int status, killed, rc = 1;

	if (!a->serve_argv) {
		pb_emit_error("serve", "invalid", "serve needs --serve-argv "
			      "FILE: the server's command line");
		return 1;
	}
	if (read_argv(a->serve_argv, &text, argv, IB_ARGV_FILE_MAX + 1) < 0)
		goto out;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (mount_data(a) < 0 ||
	    (a->serve_seed && seed(a->serve_seed) < 0))
		goto out;
	t0 = now_ns();
	pid = start_server(argv, &t);
	if (pid < 0 || wait_ready(pid, &t, a, t0) < 0)
		goto out;
	pb_emit_sample("serve", "ready", "s", IB_LOWER_IS_BETTER, since(t0),
		       NULL, 0);
	pb_emit_info_num("serve", "holding_s", pb_arg_seconds(a, "hold"));
	if (hold(pid, &t, pb_arg_seconds(a, "hold")) < 0)
		goto out;
	status = stop_server(pid, &t, pb_arg_seconds(a, "stop_timeout"),
			     &killed);
	status_text(status, st, sizeof(st));
	pb_emit_info_str("serve", "server_exit", st);
	if (getrusage(RUSAGE_CHILDREN, &ru) == 0)
		pb_emit_sample("serve", "server_cpu", "s", IB_LOWER_IS_BETTER,
			       (double)ru.ru_utime.tv_sec +
				       (double)ru.ru_utime.tv_usec / 1e6 +
				       (double)ru.ru_stime.tv_sec +
				       (double)ru.ru_stime.tv_usec / 1e6,
			       NULL, 0);
	if (killed || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		tail_lines(&t, last, sizeof(last));
		pb_emit_error("serve", "failed", "the server %s (%s); its last "
			      "output: %s", killed ? "did not exit within "
			      "stop_timeout of SIGTERM and was killed"
			      : "did not exit cleanly on SIGTERM", st, last);
		goto out;
	}
	rc = 0;
out:
	tail_close(&t);
	free(text);
	return rc;
}
PB_WORKLOAD(serve, pb_wl_serve);
