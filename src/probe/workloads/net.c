/* net: TCP between the probe and isobench's peer on the host side of the
 * instance's link (common/netproto.h says what goes over the wire).
 *
 *   stream-tx  the probe sends, N streams, blocks of `block` bytes, for
 *              warm-up + duration; the peer, the receiver, counts what
 *              arrives after its warm-up and reports it: bits/s at the
 *              receiver, as iperf3 reports it (its -O is the warm-up).
 *   stream-rx  the peer sends; the probe receives and counts after the
 *              warm-up.
 *   rr         one byte each way, TCP_NODELAY, one transaction in flight
 *              (netperf TCP_RR, sockperf ping-pong): transactions/s and
 *              the round trip's percentiles from a histogram.
 *   crr        a new connection per transaction: connect, one byte each
 *              way, the peer closes, the probe closes (netperf TCP_CRR):
 *              connections/s.
 *
 * Every socket is non-blocking and waited for with poll: gVisor's
 * host-network mode on this project's hosts returns EAGAIN from a blocking
 * read at once. Every wait is bounded, so a dead link is an error record,
 * not a hung probe. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../common/hist.h"
#include "../../common/netproto.h"
#include "../harness.h"
#include "../probe.h"

#define IO_TIMEOUT_MS 5000
#define MAX_STREAMS 64

/* Waits for events on fd until deadline (CLOCK_MONOTONIC ns): 0 when
 * ready, -ETIMEDOUT, or -errno. */
static int wait_fd(int fd, short events, uint64_t deadline)
{
	for (;;) {
		struct pollfd p = {fd, events, 0};
		uint64_t now = now_ns();
		int ms, n;

		if (now >= deadline)
			return -ETIMEDOUT;
		ms = (int)((deadline - now) / 1000000) + 1;
		n = poll(&p, 1, ms);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

static int nb_connect(const struct sockaddr_in *sa, int nodelay)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1, soerr = 0, rc;
	socklen_t len = sizeof(soerr);

	if (fd < 0)
		return -errno;
	if (nodelay)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) != 0 &&
	    errno != EINPROGRESS) {
		rc = -errno;
		close(fd);
		return rc;
	}
	rc = wait_fd(fd, POLLOUT, now_ns() + IO_TIMEOUT_MS * 1000000ULL);
	if (rc == 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == 0 &&
	    soerr)
		rc = -soerr;
	if (rc < 0) {
		close(fd);
		return rc;
	}
	return fd;
}

static int send_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	uint64_t deadline = now_ns() + IO_TIMEOUT_MS * 1000000ULL;

	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		int rc;

		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		if ((rc = wait_fd(fd, POLLOUT, deadline)) < 0)
			return rc;
	}
	return 0;
}

/* Reads exactly n bytes; -EPIPE if the peer closed first. */
static int recv_all(int fd, void *buf, size_t n)
{
	char *p = buf;
	uint64_t deadline = now_ns() + IO_TIMEOUT_MS * 1000000ULL;

	while (n > 0) {
		ssize_t r = recv(fd, p, n, 0);
		int rc;

		if (r > 0) {
			p += r;
			n -= (size_t)r;
			continue;
		}
		if (r == 0)
			return -EPIPE;
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
		if ((rc = wait_fd(fd, POLLIN, deadline)) < 0)
			return rc;
	}
	return 0;
}

static void put_le32(unsigned char *b, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		b[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le64(const unsigned char *b)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | b[i];
	return v;
}

/* Opens a stream connection of kind mode ('S' or 'T'). */
static int open_stream(const struct sockaddr_in *sa, char mode, uint32_t block,
		       uint32_t warmup_ms)
{
	unsigned char hello[1 + sizeof(struct ib_net_hello)] = {0};
	int fd = nb_connect(sa, 0), rc;

	if (fd < 0)
		return fd;
	hello[0] = (unsigned char)mode;
	put_le32(hello + 1, IB_NET_MAGIC);
	put_le32(hello + 5, block);
	put_le32(hello + 9, warmup_ms);
	if ((rc = send_all(fd, hello, sizeof(hello))) < 0) {
		close(fd);
		return rc;
	}
	return fd;
}

static void close_all(int *fds, int n)
{
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

struct net_ctx {
	struct sockaddr_in peer;
	const char *peer_text;
	uint64_t block;
	double warmup, duration;
	char *buf;
};

static void stream_sample(const struct net_ctx *x, const char *test,
			  int streams, double bits_per_s)
{
	const struct ib_pv pv[] = {PV_STR("test", test),
				   PV_NUM("streams", streams),
				   PV_NUM("block", x->block)};

	pb_emit_sample("net", "throughput", "Gbit/s", IB_HIGHER_IS_BETTER,
		       bits_per_s / 1e9, pv, 3);
}

/* stream-tx: we send; the peer's counts are the figure. */
static int stream_tx(const struct net_ctx *x, int n)
{
	int fds[MAX_STREAMS];
	uint64_t total = 0, window = 0, t_end;
	int rc = 0;

	for (int i = 0; i < n; i++)
		fds[i] = -1;
	for (int i = 0; i < n; i++) {
		fds[i] = open_stream(&x->peer, IB_NET_SINK, (uint32_t)x->block,
				     (uint32_t)(x->warmup * 1000 + 0.5));
		if (fds[i] < 0) {
			pb_emit_error("net", "failed", "stream-tx: connect to %s: %s",
				      x->peer_text, strerror(-fds[i]));
			close_all(fds, i);
			return 1;
		}
	}
	t_end = now_ns() + (uint64_t)((x->warmup + x->duration) * 1e9);
	{
		struct pollfd p[MAX_STREAMS];
		uint64_t off[MAX_STREAMS] = {0};

		for (int i = 0; i < n; i++)
			p[i] = (struct pollfd){fds[i], POLLOUT, 0};
		/* write until the socket is full, then wait: a poll per
		 * write would cost a system call per block that iperf3's
		 * blocking writes do not pay */
		while (now_ns() < t_end && rc == 0) {
			int progress = 0, k;

			for (int i = 0; i < n && rc == 0; i++)
				for (int burst = 0; burst < 16; burst++) {
					ssize_t w = send(fds[i], x->buf + off[i],
							 x->block - off[i],
							 MSG_NOSIGNAL);

					if (w > 0) {
						off[i] = (off[i] + (uint64_t)w) %
							 x->block;
						progress = 1;
						continue;
					}
					if (w < 0 && errno != EAGAIN &&
					    errno != EINTR)
						rc = -errno;
					break;
				}
			if (progress || rc < 0)
				continue;
			k = poll(p, (nfds_t)n, 100);
			if (k < 0 && errno != EINTR)
				rc = -errno;
		}
	}
	for (int i = 0; i < n && rc == 0; i++) {
		unsigned char c[sizeof(struct ib_net_count)];
		uint64_t b, w;

		shutdown(fds[i], SHUT_WR);
		if ((rc = recv_all(fds[i], c, sizeof(c))) < 0)
			break;
		b = get_le64(c);
		w = get_le64(c + 8);
		total += b;
		if (w > window)
			window = w;
	}
	close_all(fds, n);
	if (rc < 0) {
		pb_emit_error("net", "failed", "stream-tx, %d stream(s): %s", n,
			      strerror(-rc));
		return 1;
	}
	if (total == 0 || window == 0) {
		pb_emit_error("net", "failed",
			      "stream-tx: the peer counted nothing after the "
			      "warm-up (%.3f s)", x->warmup);
		return 1;
	}
	stream_sample(x, "stream-tx", n,
		      (double)total * 8 / ((double)window / 1e9));
	return 0;
}

/* stream-rx: the peer sends; we count what arrives after the warm-up. */
static int stream_rx(const struct net_ctx *x, int n)
{
	int fds[MAX_STREAMS];
	struct pollfd p[MAX_STREAMS];
	uint64_t counted = 0, t0, t_warm, t_end, t_first = 0, t_last = 0;
	int rc = 0, open = n;

	for (int i = 0; i < n; i++)
		fds[i] = -1;
	for (int i = 0; i < n; i++) {
		fds[i] = open_stream(&x->peer, IB_NET_SOURCE, (uint32_t)x->block, 0);
		if (fds[i] < 0) {
			pb_emit_error("net", "failed", "stream-rx: connect to %s: %s",
				      x->peer_text, strerror(-fds[i]));
			close_all(fds, i);
			return 1;
		}
		p[i] = (struct pollfd){fds[i], POLLIN, 0};
	}
	t0 = now_ns();
	t_warm = t0 + (uint64_t)(x->warmup * 1e9);
	t_end = t_warm + (uint64_t)(x->duration * 1e9);
	for (;;) {
		uint64_t now = now_ns();
		int k;

		if (now >= t_end || rc < 0 || open == 0)
			break;
		k = poll(p, (nfds_t)n, 100);
		if (k < 0 && errno != EINTR)
			rc = -errno;
		if (k == 0 && now_ns() - now >= 100000000ULL && counted == 0 &&
		    now > t0 + IO_TIMEOUT_MS * 1000000ULL)
			rc = -ETIMEDOUT;
		for (int i = 0; k > 0 && i < n; i++) {
			ssize_t r;

			if (!(p[i].revents & (POLLIN | POLLERR | POLLHUP)))
				continue;
			/* read until the socket is empty, then wait */
			for (int burst = 0; burst < 16; burst++) {
				uint64_t t;

				r = recv(fds[i], x->buf, x->block, 0);
				if (r <= 0)
					break;
				t = now_ns();
				if (t >= t_warm) {
					if (!t_first)
						t_first = t_warm;
					counted += (uint64_t)r;
					t_last = t;
				}
			}
			if (r == 0)
				rc = -EPIPE;
			else if (r < 0 && errno != EAGAIN && errno != EINTR)
				rc = -errno;
		}
	}
	close_all(fds, n);
	if (rc < 0) {
		pb_emit_error("net", "failed", "stream-rx, %d stream(s): %s", n,
			      rc == -EPIPE ? "the peer closed the stream"
					   : strerror(-rc));
		return 1;
	}
	if (counted == 0 || t_last <= t_first) {
		pb_emit_error("net", "failed",
			      "stream-rx: nothing arrived after the warm-up");
		return 1;
	}
	stream_sample(x, "stream-rx", n,
		      (double)counted * 8 / ((double)(t_last - t_first) / 1e9));
	return 0;
}

static int rr(const struct net_ctx *x)
{
	struct ib_hist *h = malloc(sizeof(*h));
	char mode = IB_NET_RR, b = 'x';
	uint64_t t_warm, t_end, t_start = 0, n = 0, t_stop = 0;
	int fd, rc = 0;

	if (!h) {
		pb_emit_error("net", "failed", "rr: out of memory");
		return 1;
	}
	ib_hist_init(h);
	fd = nb_connect(&x->peer, 1);
	if (fd < 0) {
		pb_emit_error("net", "failed", "rr: connect to %s: %s", x->peer_text,
			      strerror(-fd));
		free(h);
		return 1;
	}
	rc = send_all(fd, &mode, 1);
	t_warm = now_ns() + (uint64_t)(x->warmup * 1e9);
	t_end = t_warm + (uint64_t)(x->duration * 1e9);
	while (rc == 0) {
		uint64_t t = now_ns(), t2;

		if (t >= t_end)
			break;
		if ((rc = send_all(fd, &b, 1)) < 0 || (rc = recv_all(fd, &b, 1)) < 0)
			break;
		t2 = now_ns();
		if (t >= t_warm) {
			if (!t_start)
				t_start = t;
			ib_hist_record(h, t2 - t);
			n++;
			t_stop = t2;
		}
	}
	close(fd);
	if (rc < 0 || n == 0) {
		pb_emit_error("net", "failed", "rr: %s",
			      rc < 0 ? strerror(-rc) : "no transaction completed");
		free(h);
		return 1;
	}
	{
		const struct ib_pv pv[] = {PV_STR("test", "rr"),
					   PV_NUM("size", 1)};

		pb_emit_sample("net", "transactions", "trans/s",
			       IB_HIGHER_IS_BETTER,
			       (double)n / ((double)(t_stop - t_start) / 1e9), pv, 2);
		pb_emit_sample("net", "rtt_mean", "us", IB_LOWER_IS_BETTER,
			       ib_hist_mean(h) / 1e3, pv, 2);
		pb_emit_sample("net", "rtt_p50", "us", IB_LOWER_IS_BETTER,
			       (double)ib_hist_percentile(h, 50) / 1e3, pv, 2);
		pb_emit_sample("net", "rtt_p90", "us", IB_LOWER_IS_BETTER,
			       (double)ib_hist_percentile(h, 90) / 1e3, pv, 2);
		pb_emit_sample("net", "rtt_p99", "us", IB_LOWER_IS_BETTER,
			       (double)ib_hist_percentile(h, 99) / 1e3, pv, 2);
	}
	free(h);
	return 0;
}

/* One crr transaction; 0 or -errno. */
static int crr_once(const struct net_ctx *x)
{
	char b = IB_NET_CRR;
	int fd = nb_connect(&x->peer, 1), rc;

	if (fd < 0)
		return fd;
	rc = send_all(fd, &b, 1);
	if (rc == 0)
		rc = recv_all(fd, &b, 1);
	/* then the peer's FIN: the transaction ends with the connection */
	if (rc == 0 && recv_all(fd, &b, 1) != -EPIPE)
		rc = -EPROTO;
	close(fd);
	return rc;
}

static int crr(const struct net_ctx *x)
{
	uint64_t t_warm = now_ns() + (uint64_t)(x->warmup * 1e9), t_end;
	uint64_t n = 0, t_start = 0, t_stop = 0;
	int rc = 0;

	t_end = t_warm + (uint64_t)(x->duration * 1e9);
	while (rc == 0) {
		uint64_t t = now_ns();

		if (t >= t_end)
			break;
		if ((rc = crr_once(x)) < 0)
			break;
		if (t >= t_warm) {
			if (!t_start)
				t_start = t;
			n++;
			t_stop = now_ns();
		}
	}
	if (rc < 0 || n == 0) {
		pb_emit_error("net", "failed", "crr: %s",
			      rc < 0 ? strerror(-rc) : "no connection completed");
		return 1;
	}
	{
		const struct ib_pv pv[] = {PV_STR("test", "crr"),
					   PV_NUM("size", 1)};

		pb_emit_sample("net", "connections", "conn/s", IB_HIGHER_IS_BETTER,
			       (double)n / ((double)(t_stop - t_start) / 1e9), pv, 2);
	}
	return 0;
}

static int pb_wl_net(const struct probe_args *a)
{
	struct net_ctx x = {0};
	const char *cur;
	char test[32], word[32];
	int failed = 0;

	if (!a->peer) {
		pb_emit_error("net", "invalid",
			      "no peer: the net workload needs --peer ADDR:PORT "
			      "(isobench starts the peer and passes it)");
		return 1;
	}
	if (ib_net_parse_addr(a->peer, &x.peer) < 0 || x.peer.sin_port == 0) {
		pb_emit_error("net", "invalid", "--peer '%s' is not IPv4-ADDR:PORT",
			      a->peer);
		return 1;
	}
	x.peer_text = a->peer;
	x.block = pb_arg_size(a, "block");
	x.warmup = pb_arg_seconds(a, "warmup");
	x.duration = pb_arg_seconds(a, "duration");
	/* page-aligned, as the tools' buffers (valloc): an unaligned
	 * block costs the kernel's copies a page more per block */
	if (posix_memalign((void **)&x.buf, 4096, x.block) != 0)
		x.buf = NULL;
	if (!x.buf) {
		pb_emit_error("net", "failed", "out of memory for a %llu-byte block",
			      (unsigned long long)x.block);
		return 1;
	}
	memset(x.buf, 0x5a, x.block);
	pb_emit_info_str("net", "peer", a->peer);
	cur = pb_arg_str(a, "tests");
	while (pb_arg_list_next(&cur, test, sizeof(test))) {
		if (!strcmp(test, "rr")) {
			failed |= rr(&x);
		} else if (!strcmp(test, "crr")) {
			failed |= crr(&x);
		} else {
			const char *s = pb_arg_str(a, "streams");

			while (pb_arg_list_next(&s, word, sizeof(word))) {
				uint64_t n = 0;

				ib_parse_count(word, &n);
				failed |= !strcmp(test, "stream-tx")
						  ? stream_tx(&x, (int)n)
						  : stream_rx(&x, (int)n);
			}
		}
	}
	free(x.buf);
	return failed;
}
PB_WORKLOAD(net, pb_wl_net);
