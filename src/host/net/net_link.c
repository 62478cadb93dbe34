#include "net/net_link.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net/peer.h"
#include "state/state.h"

#define IP_TIMEOUT_S 10

int ib_ip(struct ib_err *err, ...)
{
	struct ib_strv argv = {0};
	struct ib_buf out = {0};
	char *ip = ib_which("ip");
	const char *a;
	va_list ap;
	int rc;

	if (!ip)
		return ib_err_set(err, -ENOENT, "iproute2's ip is not installed "
				  "(apt-get install iproute2)");
	ib_strv_push_owned(&argv, ip);
	va_start(ap, err);
	while ((a = va_arg(ap, const char *)))
		ib_strv_push(&argv, a);
	va_end(ap);
	rc = ib_proc_capture(argv.v, NULL, IP_TIMEOUT_S, NULL, &out, err);
	if (rc > 0) {
		struct ib_buf cmd = {0};

		for (int i = 1; i < argv.n; i++)
			ib_buf_printf(&cmd, "%s%s", i > 1 ? " " : "", argv.v[i]);
		rc = ib_err_set(err, -EIO, "ip %s: %s", cmd.s,
				out.s ? ib_trim(out.s) : "failed");
		ib_buf_free(&cmd);
	}
	ib_buf_free(&out);
	ib_strv_free(&argv);
	return rc;
}

/* The subnet lock is an abstract Unix socket name, bound while held. It
 * belongs to the network namespace, as the interfaces and addresses it
 * guards do, so every isobench run of this namespace sees it whatever its
 * runtime directory (tests give each run its own); it is no file, so no
 * one can pre-create or replace it, and it goes with its holder, also on
 * kill -9. */
#define NET_LOCK_NAME "isobench-net-lock"
#define NET_LOCK_WAIT_S 120.0

int ib_net_lock(struct ib_err *err)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
				    strlen(NET_LOCK_NAME));
	const char *w = getenv("ISOBENCH_NET_LOCK_WAIT_S");
	double wait_s = w && *w ? atof(w) : NET_LOCK_WAIT_S;
	uint64_t deadline;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return ib_err_set(err, -errno, "subnet lock: socket: %s",
				  strerror(errno));
	if (!(wait_s >= 0 && wait_s <= 3600))
		wait_s = NET_LOCK_WAIT_S;
	deadline = ib_mono_ns() + (uint64_t)(wait_s * 1e9);
	memcpy(a.sun_path + 1, NET_LOCK_NAME, strlen(NET_LOCK_NAME));
	while (bind(fd, (struct sockaddr *)&a, len) != 0) {
		struct timespec nap = {0, 20000000};
		int e = errno;

		if (e != EADDRINUSE || ib_mono_ns() > deadline) {
			close(fd);
			if (e == EADDRINUSE)
				return ib_err_set(err, -ETIMEDOUT,
						  "subnet lock (abstract socket "
						  "@%s): another isobench run "
						  "held it for %.0f s",
						  NET_LOCK_NAME, wait_s);
			return ib_err_set(err, -e, "subnet lock (abstract "
					  "socket @%s): %s", NET_LOCK_NAME,
					  strerror(e));
		}
		nanosleep(&nap, NULL);
	}
	return fd;
}

void ib_net_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

int ib_net_pick_subnet(struct ib_err *err)
{
	unsigned char used[256] = {0};
	struct ifaddrs *ifa, *i;

	used[0] = used[255] = 1;
	if (getifaddrs(&ifa) != 0)
		return ib_err_set(err, -errno, "getifaddrs: %s", strerror(errno));
	for (i = ifa; i; i = i->ifa_next) {
		uint32_t a;

		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET)
			continue;
		a = ntohl(((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr);
		if ((a >> 16) == ((198u << 8) | 18u))
			used[(a >> 8) & 0xff] = 1;
	}
	freeifaddrs(ifa);
	for (int x = 1; x < 255; x++)
		if (!used[x])
			return x;
	return ib_err_set(err, -ENOSPC, "every 198.18.X.0/24 is in use on "
			  "this host");
}

static int record(struct ib_state *st, const char *kind, const char *key,
		  const char *name, struct ib_err *err)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "kind", kind);
	cJSON_AddStringToObject(o, "name", name);
	cJSON_AddStringToObject(o, key, name);
	return ib_state_add(st, o, err);
}

int ib_net_record_netif(struct ib_state *st, const char *name,
			struct ib_err *err)
{
	return record(st, "netif", "ifname", name, err);
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; H. Hinnant's
 * days_from_civil). */
static long days_from_civil(int y, int m, int d)
{
	long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* 10 base-32 digits of run_id: a valid id's seconds since 1970 of its
 * stamp (34 bits up to 2399) and its 16 random bits, so that two ids
 * never share them; any other string's 50-bit FNV-1a hash. */
static void if_tag(const char *run_id, char out[11])
{
	static const char b32[] = "0123456789abcdefghijklmnopqrstuv";
	unsigned long long v = 0;

	if (ib_run_id_valid(run_id)) {
		int f[6];
		unsigned r = (unsigned)strtoul(run_id + 16, NULL, 16);

		sscanf(run_id, "%4d%2d%2d-%2d%2d%2d", &f[0], &f[1], &f[2], &f[3],
		       &f[4], &f[5]);
		v = (unsigned long long)days_from_civil(f[0], f[1], f[2]) * 86400ULL +
		    (unsigned long long)(f[3] * 3600 + f[4] * 60 + f[5]);
		v = (v << 16) | (r & 0xffff);
	} else {
		v = 1469598103934665603ULL;
		for (const char *p = run_id; *p; p++)
			v = (v ^ (unsigned char)*p) * 1099511628211ULL;
	}
	for (int i = 9; i >= 0; i--, v >>= 5)
		out[i] = b32[v & 31];
	out[10] = '\0';
}

char *ib_net_if_name(const char *run_id, int index, char end)
{
	char tag[11];

	if (index < 0 || index >= IB_NET_MAX_LINKS)
		return NULL;
	if_tag(run_id, tag);
	return ib_xasprintf("ib%s%02d%c", tag, index, end);
}

int ib_net_if_ours(const char *run_id, const char *name)
{
	char tag[11];

	if (!name || strlen(name) != 15 || strncmp(name, "ib", 2))
		return 0;
	if_tag(run_id, tag);
	return !strncmp(name + 2, tag, 10) && name[12] >= '0' &&
	       name[12] <= '9' && name[13] >= '0' && name[13] <= '9' &&
	       strchr("hitb", name[14]) && name[14];
}

int ib_net_link_create(struct ib_net *n, struct ib_state *st,
		       const char *run_id, struct ib_err *err)
{
	char host_cidr[40];
	int lock, x, rc;

	if (n->index < 0 || n->index >= IB_NET_MAX_LINKS)
		return ib_err_set(err, -ERANGE, "link %d: a run has at most %d",
				  n->index, IB_NET_MAX_LINKS);
	if ((lock = ib_net_lock(err)) < 0)
		return lock;
	if ((x = ib_net_pick_subnet(err)) < 0) {
		ib_net_unlock(lock);
		return x;
	}
	snprintf(n->host_addr, sizeof(n->host_addr), "198.18.%d.1", x);
	snprintf(n->inst_addr, sizeof(n->inst_addr), "198.18.%d.2", x);
	n->prefix = 24;
	snprintf(host_cidr, sizeof(host_cidr), "%s/24", n->host_addr);
	if (n->kind == IB_NET_TAP) {
		n->host_if = ib_net_if_name(run_id, n->index, 't');
		if ((rc = record(st, "netif", "ifname", n->host_if, err)) < 0 ||
		    (rc = ib_ip(err, "tuntap", "add", "dev", n->host_if, "mode",
				"tap", NULL)) < 0 ||
		    (n->made_if = 1, 0) ||
		    (rc = ib_ip(err, "addr", "add", host_cidr, "dev", n->host_if,
				NULL)) < 0 ||
		    (rc = ib_ip(err, "link", "set", n->host_if, "up", NULL)) < 0)
			goto fail;
		n->how = ib_xasprintf("tap %s, host %s/24, guest %s/24",
				      n->host_if, n->host_addr, n->inst_addr);
		ib_net_unlock(lock);
		return 0;
	}
	{
		char inst_cidr[40];

		snprintf(inst_cidr, sizeof(inst_cidr), "%s/24", n->inst_addr);
		n->netns = ib_xasprintf("isobench-%s-%d", run_id, n->index);
		n->netns_path = ib_xasprintf("/run/netns/%s", n->netns);
		n->host_if = ib_net_if_name(run_id, n->index, 'h');
		n->inst_if = ib_net_if_name(run_id, n->index, 'i');
		if ((rc = record(st, "netns", "netns", n->netns, err)) < 0 ||
		    (rc = record(st, "netif", "ifname", n->host_if, err)) < 0 ||
		    (rc = ib_ip(err, "netns", "add", n->netns, NULL)) < 0 ||
		    (n->made_netns = 1, 0) ||
		    (rc = ib_ip(err, "link", "add", n->host_if, "type", "veth",
				"peer", "name", n->inst_if, "netns", n->netns,
				NULL)) < 0 ||
		    (n->made_if = 1, 0) ||
		    (rc = ib_ip(err, "addr", "add", host_cidr, "dev", n->host_if,
				NULL)) < 0 ||
		    (rc = ib_ip(err, "link", "set", n->host_if, "up", NULL)) < 0 ||
		    (rc = ib_ip(err, "-n", n->netns, "addr", "add", inst_cidr,
				"dev", n->inst_if, NULL)) < 0 ||
		    (rc = ib_ip(err, "-n", n->netns, "link", "set", n->inst_if,
				"up", NULL)) < 0 ||
		    (rc = ib_ip(err, "-n", n->netns, "link", "set", "lo", "up",
				NULL)) < 0)
			goto fail;
		n->how = ib_xasprintf("veth %s (host, %s/24) to %s (netns %s, "
				      "%s/24)", n->host_if, n->host_addr,
				      n->inst_if, n->netns, n->inst_addr);
	}
	ib_net_unlock(lock);
	return 0;
fail:
	ib_net_unlock(lock);
	ib_net_link_remove(n, st);
	return rc;
}

int ib_net_start_peer(struct ib_net *n, struct ib_state *st,
		      struct ib_err *err)
{
	char *name = ib_xasprintf("peer-%d", n->index);
	int rc = ib_peer_start(&n->peer, "/proc/self/exe", n->host_addr,
			       n->peer_cpu, &n->peer_at, err);

	if (rc == 0)
		rc = ib_state_add_process(st, name, n->peer.pid,
					  n->peer.starttime, err);
	free(name);
	return rc;
}

void ib_net_link_remove(struct ib_net *n, struct ib_state *st)
{
	/* Only what this link made: a name that was taken (another run's
	 * interface, should names ever meet) made `ip ... add` fail and is
	 * not deleted; its record is struck off, it was never ours. */
	if (n->peer.pid > 0) {
		char *name = ib_xasprintf("peer-%d", n->index);

		ib_proc_kill(&n->peer);
		ib_proc_close(&n->peer);
		ib_state_del(st, name, NULL); /* as the runner recorded it */
		free(name);
	}
	if (n->host_if) {
		struct ib_err e = {0};

		if (!n->made_if || if_nametoindex(n->host_if) == 0 ||
		    ib_ip(&e, "link", "del", n->host_if, NULL) == 0)
			ib_state_del(st, n->host_if, NULL);
	}
	if (n->netns) {
		struct ib_err e = {0};
		char *p = ib_xasprintf("/run/netns/%s", n->netns);

		if (!n->made_netns || access(p, F_OK) != 0 ||
		    ib_ip(&e, "netns", "del", n->netns, NULL) == 0)
			ib_state_del(st, n->netns, NULL);
		free(p);
	}
	n->made_if = n->made_netns = 0;
	free(n->netns);
	free(n->netns_path);
	free(n->host_if);
	free(n->inst_if);
	free(n->how);
	free(n->mode);
	free(n->peer_at);
	free(n->why);
	n->netns = n->netns_path = n->host_if = n->inst_if = n->how = NULL;
	n->mode = NULL;
	n->peer_at = n->why = NULL;
}

/* Only names this module makes for this run are touched: a corrupt
 * state file cannot make cleanup delete someone else's interface or
 * namespace (InfiniBand's ib0, another run's link). */
static int netns_ours(const struct ib_cleanup *cx, const char *name)
{
	size_t n = strlen(cx->run_id);
	const char *p;

	if (!name || strncmp(name, "isobench-", 9) ||
	    strncmp(name + 9, cx->run_id, n) || name[9 + n] != '-')
		return 0;
	p = name + 10 + n;
	return (strlen(p) == 1 || strlen(p) == 2) && p[0] >= '0' &&
	       p[0] <= '9' && (!p[1] || (p[1] >= '0' && p[1] <= '9'));
}

int ib_net_cleanup_netns(struct ib_cleanup *cx, const char *name)
{
	struct ib_err e = {0};
	char *p;
	int rc = 0;

	if (!netns_ours(cx, name)) {
		ib_buf_printf(cx->log, "netns '%.100s': not one of this run's; "
			      "left alone\n", name ? name : "?");
		return -EPERM;
	}
	p = ib_xasprintf("/run/netns/%s", name);
	if (access(p, F_OK) != 0)
		ib_buf_printf(cx->log, "netns %s: already gone\n", name);
	else if (!ib_cleanup_act(cx, IB_ACT_NETNS, name, NULL))
		rc = 0;
	else if ((rc = ib_ip(&e, "netns", "del", name, NULL)) == 0)
		ib_buf_printf(cx->log, "netns %s: removed\n", name);
	else
		ib_buf_printf(cx->log, "netns %s: %s\n", name, e.msg);
	free(p);
	return rc;
}

int ib_net_cleanup_netif(struct ib_cleanup *cx, const char *name)
{
	struct ib_err e = {0};
	int rc = 0;

	if (!ib_net_if_ours(cx->run_id, name)) {
		ib_buf_printf(cx->log, "interface '%.100s': not one of this "
			      "run's; left alone\n", name ? name : "?");
		return -EPERM;
	}
	if (if_nametoindex(name) == 0)
		ib_buf_printf(cx->log, "interface %s: already gone\n", name);
	else if (!ib_cleanup_act(cx, IB_ACT_NETIF, name, NULL))
		rc = 0;
	else if ((rc = ib_ip(&e, "link", "del", name, NULL)) == 0)
		ib_buf_printf(cx->log, "interface %s: removed\n", name);
	else
		ib_buf_printf(cx->log, "interface %s: %s\n", name, e.msg);
	return rc;
}

int ib_net_enter_pre_exec(void *arg)
{
	int fd = open((const char *)arg, O_RDONLY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return errno;
	if (setns(fd, CLONE_NEWNET) != 0)
		rc = errno;
	close(fd);
	return rc;
}
