#include "net/peer.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/netproto.h"

#define PEER_START_S 5
#define SINK_BUF (256 * 1024)
/* A sink reads in the probe's block size, as iperf3 and nuttcp read
 * their -l: a receiver that empties the socket in larger reads waits
 * for data more often, and the kernel then does the stream's receive
 * work on the sender's CPU instead (measured: 5-15% more of the
 * sender's CPU per GB, and 0.92-0.94 of nuttcp's single-stream rate).
 * Under 64 KiB blocks (and over SINK_BUF) it reads SINK_BUF at a time,
 * so that tiny writes do not make the peer the bottleneck. */
#define SINK_MIN_READ (64 * 1024)
/* Connections served at once: the probe opens at most 64 streams (params:
 * streams), one rr or one crr at a time. Past the cap (or the fd limit,
 * less a margin) a new connection is closed at once and logged, so that
 * whatever connects cannot exhaust the peer's fds or memory. */
#define PEER_MAX_CONNS 256
#define PEER_FD_MARGIN 16

enum conn_state { C_MODE, C_HELLO, C_RR, C_CRR_DONE, C_SINK, C_SOURCE };

struct conn {
	int fd;
	enum conn_state st;
	char mode;
	unsigned char hello[sizeof(struct ib_net_hello)];
	size_t hello_len;
	uint32_t block, warmup_ms;
	uint64_t t_first, t_last, counted;
	uint64_t src_off;   /* source: offset in the block being written */
	char pending[4096]; /* rr: echo not yet written */
	size_t npending;
	struct conn *prev, *next; /* the peer's open connections */
};

static volatile sig_atomic_t peer_stop;

static void on_term(int sig)
{
	(void)sig;
	peer_stop = 1;
}

int ib_peer_parse_addr(const char *s, struct sockaddr_in *sa)
{
	return ib_net_parse_addr(s, sa);
}

static uint32_t le32(const unsigned char *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	       (uint32_t)b[3] << 24;
}

static void conn_close(int ep, struct conn *c)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c);
}

static void want(int ep, struct conn *c, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = c};

	epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Writes small replies whole; they fit any socket buffer. */
static int reply(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w > 0) {
			p += w;
			n -= (size_t)w;
		} else if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
			struct pollfd pf = {fd, POLLOUT, 0};

			if (poll(&pf, 1, 1000) <= 0)
				return -1;
		} else {
			return -1;
		}
	}
	return 0;
}

/* Handles readiness of c; returns 0 to keep it, -1 to close it. */
/* A stream from the peer: the probe closing (EOF, RST) ends it; else up
 * to 64 blocks sent per event. */
static int serve_source(struct conn *c, uint32_t events, char *buf,
			const char *block)
{
	ssize_t r;

	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		r = recv(c->fd, buf, SINK_BUF, MSG_DONTWAIT);
		if (r == 0 || (r < 0 && errno != EAGAIN))
			return -1;
	}
	for (int i = 0; i < 64; i++) {
		ssize_t w = send(c->fd, block + c->src_off,
				 c->block - c->src_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		c->src_off = (c->src_off + (uint64_t)w) % c->block;
	}
	return 0;
}

/* A sink's sender is done: report what was counted, and over how long
 * (the warm-up excluded). */
static void sink_report(struct conn *c)
{
	struct ib_net_count cnt;
	unsigned char out[sizeof(cnt)];
	uint64_t w = c->counted ? c->t_last - (c->t_first +
					       c->warmup_ms * 1000000ULL)
				: 0;

	for (int i = 0; i < 8; i++) {
		out[i] = (unsigned char)(c->counted >> (8 * i));
		out[8 + i] = (unsigned char)(w >> (8 * i));
	}
	reply(c->fd, out, sizeof(out));
}

/* r bytes read in state c->st (the mode byte, the hello, a sink's or an
 * rr's data). Returns 1 to read on, 0 to wait for the next event, -1 to
 * close. */
static int on_bytes(int ep, struct conn *c, const char *buf, ssize_t r)
{
	switch (c->st) {
	case C_MODE:
		c->mode = buf[0];
		/* no delay for the one-byte exchanges, as netperf's TCP_RR
		 * server; a stream keeps Nagle, as the tools' do */
		if (c->mode == IB_NET_RR || c->mode == IB_NET_CRR)
			setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &(int){1},
				   sizeof(int));
		if (c->mode == IB_NET_RR) {
			c->st = C_RR;
		} else if (c->mode == IB_NET_CRR) {
			char b = 'c';

			reply(c->fd, &b, 1);
			return -1; /* we close first, as TCP_CRR's server */
		} else if (c->mode == IB_NET_SINK || c->mode == IB_NET_SOURCE) {
			c->st = C_HELLO;
		} else {
			return -1;
		}
		return 1;
	case C_HELLO:
		c->hello_len += (size_t)r;
		if (c->hello_len < sizeof(c->hello))
			return 1;
		if (le32(c->hello) != IB_NET_MAGIC)
			return -1;
		c->block = le32(c->hello + 4);
		c->warmup_ms = le32(c->hello + 8);
		if (c->mode == IB_NET_SOURCE) {
			if (c->block == 0 || c->block > IB_NET_MAX_BLOCK)
				return -1;
			c->st = C_SOURCE;
			want(ep, c, EPOLLIN | EPOLLOUT);
			return 0;
		}
		c->st = C_SINK;
		return 1;
	case C_SINK: {
		uint64_t now = ib_mono_ns();

		if (!c->t_first)
			c->t_first = now;
		if (now >= c->t_first + c->warmup_ms * 1000000ULL) {
			c->counted += (uint64_t)r;
			c->t_last = now;
		}
		return 1;
	}
	case C_RR: {
		ssize_t w = send(c->fd, buf, (size_t)r,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w < 0 && errno != EAGAIN)
			return -1;
		if (w < 0)
			w = 0;
		if (w < r) {
			memcpy(c->pending, buf + w, (size_t)(r - w));
			c->npending = (size_t)(r - w);
			want(ep, c, EPOLLOUT);
			return 0;
		}
		return 1;
	}
	default:
		return -1;
	}
}

static int serve(int ep, struct conn *c, uint32_t events, char *buf,
		 const char *block)
{
	if (c->st == C_SOURCE)
		return serve_source(c, events, buf, block);
	if (c->st == C_RR && c->npending) {
		ssize_t w = send(c->fd, c->pending, c->npending,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w < 0)
			return errno == EAGAIN ? 0 : -1;
		memmove(c->pending, c->pending + w, c->npending - (size_t)w);
		c->npending -= (size_t)w;
		if (c->npending)
			return 0;
		want(ep, c, EPOLLIN);
	}
	/* level-triggered: a bounded number of reads per event, so that one
	 * fast stream does not starve the others */
	for (int reads = 0; reads < 64; reads++) {
		size_t cap = SINK_BUF;
		ssize_t r;
		int go;

		if (c->st == C_MODE)
			cap = 1;
		else if (c->st == C_HELLO)
			cap = sizeof(c->hello) - c->hello_len;
		else if (c->st == C_RR)
			cap = sizeof(c->pending);
		else if (c->st == C_SINK && c->block >= SINK_MIN_READ &&
			 c->block < SINK_BUF)
			cap = c->block;
		r = recv(c->fd, c->st == C_HELLO ? (char *)c->hello + c->hello_len
						 : buf,
			 cap, MSG_DONTWAIT);
		if (r < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		if (r == 0) {
			if (c->st == C_SINK)
				sink_report(c);
			return -1;
		}
		go = on_bytes(ep, c, buf, r);
		if (go <= 0)
			return go;
	}
	return 0;
}

int ib_peer_serve_bytes(const unsigned char *in, size_t n, int max_steps,
			size_t out_cap, struct ib_buf *out, int *closed)
{
	int sv[2], ep;
	struct conn *c;
	struct epoll_event ev = {.events = EPOLLIN};
	char *buf, *block;
	size_t sent = 0;
	int rc = 0;

	*closed = 0;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
		       sv) != 0)
		return -errno;
	ep = epoll_create1(EPOLL_CLOEXEC);
	buf = malloc(SINK_BUF);
	/* Zeroed pages the kernel maps on first touch: a calloc of the
	 * largest block would clear a megabyte per call (the fuzz target's
	 * cost), though few inputs ask for a block at all. */
	block = mmap(NULL, IB_NET_MAX_BLOCK, PROT_READ,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (block == MAP_FAILED)
		block = NULL;
	c = calloc(1, sizeof(*c));
	if (ep < 0 || !buf || !block || !c) {
		rc = -ENOMEM;
		goto out;
	}
	c->fd = sv[0];
	ev.data.ptr = c;
	epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev);
	for (int step = 0; step < max_steps && !*closed; step++) {
		struct epoll_event got;
		char tmp[65536];
		ssize_t r;

		if (sent < n) {
			r = send(sv[1], in + sent, n - sent, MSG_NOSIGNAL);
			if (r > 0)
				sent += (size_t)r;
			if (sent == n)
				shutdown(sv[1], SHUT_WR);
		} else if (n == 0 && step == 0) {
			shutdown(sv[1], SHUT_WR);
		}
		while (out->len < out_cap &&
		       (r = recv(sv[1], tmp, sizeof(tmp) < out_cap - out->len
						     ? sizeof(tmp)
						     : out_cap - out->len,
				 0)) > 0)
			ib_buf_put(out, tmp, (size_t)r);
		if (epoll_wait(ep, &got, 1, 0) == 1 &&
		    serve(ep, c, got.events, buf, block) < 0) {
			conn_close(ep, c);
			c = NULL;
			*closed = 1;
		}
	}
	{
		char tmp[4096];
		ssize_t r;

		while (out->len < out_cap &&
		       (r = recv(sv[1], tmp, sizeof(tmp), 0)) > 0)
			ib_buf_put(out, tmp, (size_t)r);
	}
out:
	if (c)
		conn_close(ep, c);
	else if (!*closed)
		close(sv[0]);
	close(sv[1]);
	if (ep >= 0)
		close(ep);
	free(buf);
	if (block)
		munmap(block, IB_NET_MAX_BLOCK);
	return rc;
}

struct conn_cap {
	struct conn *head; /* every open connection, freed at the end */
	int open, max;
	long refused;
	uint64_t last_log_ns;
	int spare_fd; /* held so that EMFILE can still be answered */
};

/* The cap: max_conns, within the fd limit less a margin. */
static int conn_limit(int max_conns)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    (rlim_t)max_conns + PEER_FD_MARGIN > rl.rlim_cur)
		return rl.rlim_cur > 2 * PEER_FD_MARGIN
			       ? (int)rl.rlim_cur - PEER_FD_MARGIN
			       : PEER_FD_MARGIN;
	return max_conns;
}

static void refuse(struct conn_cap *cap, int fd, const char *why)
{
	uint64_t now = ib_mono_ns();

	close(fd);
	cap->refused++;
	/* one line per second at most, so a flood cannot fill the log */
	if (cap->refused == 1 || now - cap->last_log_ns >= 1000000000ULL) {
		fprintf(stderr, "isobench peer: %s: new connection closed (%d "
			"open, at most %d; %ld refused so far)\n",
			why, cap->open, cap->max, cap->refused);
		cap->last_log_ns = now;
	}
}

/* Accepts every pending connection; past the cap, closes them at once. */
static void accept_all(int ep, int ls, struct conn_cap *cap)
{
	for (;;) {
		struct epoll_event ev = {.events = EPOLLIN};
		struct conn *c;
		int fd = accept4(ls, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0 && (errno == EMFILE || errno == ENFILE) &&
		    cap->spare_fd >= 0) {
			/* out of fds: the pending connection would keep the
			 * listener readable for ever; take it with the spare
			 * fd and close it */
			close(cap->spare_fd);
			fd = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
			if (fd >= 0)
				refuse(cap, fd, "out of file descriptors");
			cap->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
			continue;
		}
		if (fd < 0)
			return; /* EAGAIN: all taken; else retried next event */
		if (cap->open >= cap->max) {
			refuse(cap, fd, "connection limit reached");
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			refuse(cap, fd, "out of memory");
			continue;
		}
		c->fd = fd;
		ev.data.ptr = c;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
			free(c);
			refuse(cap, fd, "cannot watch it");
			continue;
		}
		c->next = cap->head;
		if (cap->head)
			cap->head->prev = c;
		cap->head = c;
		cap->open++;
	}
}

static void drop(int ep, struct conn_cap *cap, struct conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		cap->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	cap->open--;
	conn_close(ep, c);
}

static void peer_usage(FILE *f)
{
	fprintf(f,
		"usage: isobench peer --listen ADDR:PORT [--cpu N]\n"
		"\n"
		"The host-side peer of the net workload; isobench run starts it on\n"
		"the host end of each instance's link. Runnable by hand to try\n"
		"the probe: isobench-probe --peer ADDR:PORT net.\n"
		"\n"
		"  --listen ADDR:PORT  IPv4 address and port (0: any free port)\n"
		"  --cpu N             pin the peer to CPU N\n"
		"  --max-conns N       serve at most N connections at once "
		"(default %d);\n"
		"                      more are closed at once, with a line on "
		"stderr\n"
		"Prints \"listening ADDR:PORT\" once it accepts connections.\n",
		PEER_MAX_CONNS);
}

struct peer_args {
	const char *listen_at;
	int cpu;       /* -1: not pinned */
	int max_conns;
};

/* The peer's command line; 0, 1 (--help, printed) or 2 (said). */
static int parse_peer_args(int argc, char **argv, struct peer_args *a)
{
	static const struct option longopts[] = {
		{"listen", required_argument, NULL, 'l'},
		{"cpu", required_argument, NULL, 'c'},
		{"max-conns", required_argument, NULL, 'm'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "l:c:m:h", longopts, NULL)) != -1) {
		char *end;
		long v;

		switch (opt) {
		case 'l':
			a->listen_at = optarg;
			break;
		case 'c':
			v = strtol(optarg, &end, 10);
			if (*end || end == optarg || v < 0 || v >= CPU_SETSIZE) {
				fprintf(stderr, "isobench peer: --cpu: '%s' is "
					"not a CPU number\n", optarg);
				return 2;
			}
			a->cpu = (int)v;
			break;
		case 'm':
			v = strtol(optarg, &end, 10);
			if (*end || end == optarg || v < 1 || v > 1000000) {
				fprintf(stderr, "isobench peer: --max-conns: '%s' "
					"is not a number from 1 to 1000000\n",
					optarg);
				return 2;
			}
			a->max_conns = (int)v;
			break;
		case 'h':
			peer_usage(stdout);
			return 1;
		default:
			peer_usage(stderr);
			return 2;
		}
	}
	return 0;
}

/* Pinned (if asked), signals set, the listening socket bound to *sa
 * (its port filled in). Returns the socket, or -1 (said). */
static int peer_listen(const struct peer_args *a, struct sockaddr_in *sa)
{
	socklen_t salen = sizeof(*sa);
	struct sigaction act;
	int ls, one = 1;

	if (a->cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(a->cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set) != 0) {
			fprintf(stderr, "isobench peer: pinning to CPU %d: %s\n",
				a->cpu, strerror(errno));
			return -1;
		}
	}
	memset(&act, 0, sizeof(act));
	act.sa_handler = on_term;
	sigaction(SIGTERM, &act, NULL);
	sigaction(SIGINT, &act, NULL);
	signal(SIGPIPE, SIG_IGN);
	ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ls < 0 || setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one,
				 sizeof(one)) != 0 ||
	    bind(ls, (struct sockaddr *)sa, sizeof(*sa)) != 0 ||
	    listen(ls, 1024) != 0 ||
	    getsockname(ls, (struct sockaddr *)sa, &salen) != 0) {
		fprintf(stderr, "isobench peer: listening on %s: %s\n",
			a->listen_at, strerror(errno));
		if (ls >= 0)
			close(ls);
		return -1;
	}
	return ls;
}

int ib_peer_main(int argc, char **argv)
{
	struct peer_args a = {.cpu = -1, .max_conns = PEER_MAX_CONNS};
	struct conn_cap cap = {.spare_fd = -1};
	struct sockaddr_in sa;
	char *buf, *block, addr[INET_ADDRSTRLEN];
	int rc = parse_peer_args(argc, argv, &a), ls, ep;

	if (rc)
		return rc == 1 ? 0 : rc;
	if (!a.listen_at || ib_peer_parse_addr(a.listen_at, &sa) < 0) {
		fprintf(stderr, "isobench peer: --listen: %s\n",
			a.listen_at ? "not IPv4-ADDR:PORT" : "missing");
		return 2;
	}
	if ((ls = peer_listen(&a, &sa)) < 0)
		return 1;
	ep = epoll_create1(EPOLL_CLOEXEC);
	/* page-aligned, as the tools' buffers: an unaligned one costs the
	 * kernel's copies a page more per block */
	if (posix_memalign((void **)&buf, 4096, SINK_BUF) != 0)
		buf = NULL;
	if (posix_memalign((void **)&block, 4096, IB_NET_MAX_BLOCK) != 0)
		block = NULL;
	if (ep < 0 || !buf || !block) {
		fprintf(stderr, "isobench peer: out of resources\n");
		return 1;
	}
	memset(block, 0xa5, IB_NET_MAX_BLOCK);
	cap.max = conn_limit(a.max_conns);
	cap.spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	{
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};

		epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
	}
	inet_ntop(AF_INET, &sa.sin_addr, addr, sizeof(addr));
	printf("listening %s:%u\n", addr, ntohs(sa.sin_port));
	fflush(stdout);
	while (!peer_stop) {
		struct epoll_event evs[64];
		int n = epoll_wait(ep, evs, 64, 500);

		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;

			if (!c) {
				accept_all(ep, ls, &cap);
				continue;
			}
			if (serve(ep, c, evs[i].events, buf, block) < 0)
				drop(ep, &cap, c);
		}
	}
	while (cap.head)
		drop(ep, &cap, cap.head);
	if (cap.spare_fd >= 0)
		close(cap.spare_fd);
	close(ep);
	close(ls);
	free(buf);
	free(block);
	return 0;
}

int ib_peer_start(struct ib_proc *p, const char *self, const char *addr,
		  int cpu, char **listening, struct ib_err *err)
{
	struct ib_strv argv = {0};
	struct ib_spawn_opts so = {.flags = IB_PROC_DIE_WITH_PARENT};
	struct ib_buf line = {0};
	uint64_t deadline;
	int rc;

	*listening = NULL;
	ib_strv_push(&argv, self);
	ib_strv_push(&argv, "peer");
	ib_strv_push(&argv, "--listen");
	ib_strv_push_owned(&argv, ib_xasprintf("%s:0", addr));
	if (cpu >= 0) {
		ib_strv_push(&argv, "--cpu");
		ib_strv_push_owned(&argv, ib_xasprintf("%d", cpu));
	}
	rc = ib_proc_start(p, argv.v, &so, err);
	ib_strv_free(&argv);
	if (rc < 0)
		return rc;
	deadline = ib_mono_ns() + PEER_START_S * 1000000000ULL;
	while (!memchr(line.s ? line.s : "", '\n', line.len)) {
		struct pollfd pf = {p->out_fd, POLLIN, 0};
		uint64_t now = ib_mono_ns();
		char b[256];
		ssize_t r;

		if (now >= deadline) {
			rc = ib_err_set(err, -ETIMEDOUT,
					"the peer did not listen within %d s",
					PEER_START_S);
			break;
		}
		if (poll(&pf, 1, (int)((deadline - now) / 1000000) + 1) <= 0)
			continue;
		r = read(p->out_fd, b, sizeof(b));
		if (r <= 0) {
			rc = ib_err_set(err, -EIO, "the peer on %s ended: %s",
					addr, line.s ? ib_trim(line.s)
						     : "no output");
			break;
		}
		ib_buf_put(&line, b, (size_t)r);
	}
	if (rc == 0) {
		line.s[strcspn(line.s, "\n")] = '\0';
		if (strncmp(line.s, "listening ", 10) != 0)
			rc = ib_err_set(err, -EIO, "the peer on %s: %s", addr,
					line.s);
		else
			*listening = ib_xstrdup(line.s + 10);
	}
	ib_buf_free(&line);
	if (rc < 0) {
		ib_proc_kill(p);
		ib_proc_close(p);
	}
	return rc;
}
