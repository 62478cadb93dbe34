/* syscall: the cost of one system call, as lmbench's lat_syscall.
 *
 * Each call runs in a calibrated loop through a function pointer; the same
 * loop around an empty function is timed too and its cost per iteration
 * subtracted, so what remains is the system call (entry, work, exit) and,
 * in a sandbox, whatever the sandbox adds to it. getppid is the classic
 * "null" call; read/write move one byte from /dev/zero and to /dev/null;
 * stat, fstat and open+close use a file in the scratch directory. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../harness.h"
#include "../probe.h"

struct sc_ctx {
	void (*op)(struct sc_ctx *c);
	int fd;
	const char *path;
	int failed; /* errno of the first failing call, 0 if none */
};

static void op_empty(struct sc_ctx *c)
{
	__asm__ volatile("" : : "r"(c) : "memory");
}

static void op_getppid(struct sc_ctx *c)
{
	/* The raw syscall, as perf bench does: a libc could cache getppid. */
	(void)c;
	syscall(SYS_getppid);
}

static void op_read(struct sc_ctx *c)
{
	char b;

	if (read(c->fd, &b, 1) != 1 && !c->failed)
		c->failed = errno ? errno : EIO;
}

static void op_write(struct sc_ctx *c)
{
	char b = 0;

	if (write(c->fd, &b, 1) != 1 && !c->failed)
		c->failed = errno ? errno : EIO;
}

static void op_stat(struct sc_ctx *c)
{
	struct stat st;

	if (stat(c->path, &st) != 0 && !c->failed)
		c->failed = errno;
}

static void op_fstat(struct sc_ctx *c)
{
	struct stat st;

	if (fstat(c->fd, &st) != 0 && !c->failed)
		c->failed = errno;
}

static void op_openclose(struct sc_ctx *c)
{
	int fd = open(c->path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		if (!c->failed)
			c->failed = errno;
		return;
	}
	close(fd);
}

static void sc_loop(void *ctx, uint64_t iters)
{
	struct sc_ctx *c = ctx;
	void (*volatile op)(struct sc_ctx *) = c->op;

	for (uint64_t i = 0; i < iters; i++)
		op(c);
}

static int pb_wl_syscall(const struct probe_args *a)
{
	static const struct {
		const char *name;
		void (*op)(struct sc_ctx *);
		const char *open_path; /* opened as c->fd, or NULL */
		int open_flags;
	} calls[] = {
		{"getppid", op_getppid, NULL, 0},
		{"read", op_read, "/dev/zero", O_RDONLY},
		{"write", op_write, "/dev/null", O_WRONLY},
		{"stat", op_stat, NULL, 0},
		{"fstat", op_fstat, "", O_RDONLY},
		{"openclose", op_openclose, NULL, 0},
	};
	double seconds = pb_arg_seconds(a, "duration"), empty_ns;
	struct sc_ctx empty = {.op = op_empty};
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/isobench-syscall.%d", a->scratch,
		 (int)getpid());
	fd = open(path, O_CREAT | O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd < 0) {
		pb_emit_error("syscall", "failed", "cannot create %s: %s", path,
			      strerror(errno));
		return 1;
	}
	if (write(fd, "isobench\n", 9) != 9) {
		pb_emit_error("syscall", "failed", "cannot write %s: %s", path,
			      strerror(errno));
		close(fd);
		unlink(path);
		return 1;
	}
	close(fd);

	empty_ns = pb_harness_ns_per_iter(sc_loop, &empty, seconds / 4, 5,
					  HARNESS_MEDIAN);
	pb_emit_info_num("syscall", "loop_ns", empty_ns);
	for (size_t i = 0; i < IB_ARRAY_LEN(calls); i++) {
		struct sc_ctx c = {.op = calls[i].op, .fd = -1, .path = path};
		double ns;

		if (!pb_arg_list_has(a, "calls", calls[i].name))
			continue;
		if (calls[i].open_path) {
			const char *p = calls[i].open_path[0]
						? calls[i].open_path : path;

			c.fd = open(p, calls[i].open_flags | O_CLOEXEC);
			if (c.fd < 0) {
				pb_emit_error("syscall", "unsupported",
					      "%s: cannot open %s: %s",
					      calls[i].name, p, strerror(errno));
				continue;
			}
		}
		ns = pb_harness_ns_per_iter(sc_loop, &c, seconds, 5,
					    HARNESS_MEDIAN) - empty_ns;
		if (c.fd >= 0)
			close(c.fd);
		if (c.failed) {
			pb_emit_error("syscall", "unsupported", "%s failed: %s",
				      calls[i].name, strerror(c.failed));
			continue;
		}
		pb_emit_sample("syscall", "latency", "ns", IB_LOWER_IS_BETTER, ns,
			       (struct ib_pv[]){PV_STR("call", calls[i].name)}, 1);
	}
	unlink(path);
	return 0;
}
PB_WORKLOAD(syscall, pb_wl_syscall);
