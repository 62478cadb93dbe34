#include "net_link.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "peer.h"
#include "state.h"

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

int ib_net_lock(void)
{
	char *dir = ib_runtime_dir(NULL), *path;
	int fd;

	if (!dir)
		return -1;
	path = ib_xasprintf("%s/net.lock", dir);
	free(dir);
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	free(path);
	if (fd >= 0 && flock(fd, LOCK_EX) != 0) {
		close(fd);
		fd = -1;
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

char *ib_net_if_name(const char *run_id, int index, char end)
{
	size_t len = strlen(run_id);
	const char *tag = len >= 4 ? run_id + len - 4 : run_id;

	return ib_xasprintf("ib%s-%d%c", tag, index, end);
}

int ib_net_link_create(struct ib_net *n, struct ib_state *st,
		       const char *run_id, struct ib_err *err)
{
	char host_cidr[40];
	int lock = ib_net_lock();
	int x = ib_net_pick_subnet(err), rc;

	if (x < 0) {
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
		    (rc = ib_ip(err, "link", "add", n->host_if, "type", "veth",
				"peer", "name", n->inst_if, "netns", n->netns,
				NULL)) < 0 ||
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
	if (n->peer.pid > 0) {
		char *name = ib_xasprintf("peer-%d", n->index);

		ib_proc_kill(&n->peer);
		ib_proc_close(&n->peer);
		ib_state_del(st, name, NULL); /* as the runner recorded it */
		free(name);
	}
	if (n->host_if) {
		struct ib_err e = {0};

		if (if_nametoindex(n->host_if) == 0 ||
		    ib_ip(&e, "link", "del", n->host_if, NULL) == 0)
			ib_state_del(st, n->host_if, NULL);
	}
	if (n->netns) {
		struct ib_err e = {0};
		char *p = ib_xasprintf("/run/netns/%s", n->netns);

		if (access(p, F_OK) != 0 ||
		    ib_ip(&e, "netns", "del", n->netns, NULL) == 0)
			ib_state_del(st, n->netns, NULL);
		free(p);
	}
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

/* Only names this module makes are touched: a corrupt state file cannot
 * make cleanup delete someone else's interface or namespace. */
static int ours(const char *name, const char *prefix)
{
	return name && !strncmp(name, prefix, strlen(prefix)) &&
	       !strchr(name, '/') && strlen(name) < 200;
}

int ib_net_cleanup_netns(const char *name, struct ib_buf *log)
{
	struct ib_err e = {0};
	char *p;
	int rc = 0;

	if (!ours(name, "isobench-")) {
		ib_buf_printf(log, "netns '%s': not one of isobench's; left "
			      "alone\n", name ? name : "?");
		return -EINVAL;
	}
	p = ib_xasprintf("/run/netns/%s", name);
	if (access(p, F_OK) != 0)
		ib_buf_printf(log, "netns %s: already gone\n", name);
	else if ((rc = ib_ip(&e, "netns", "del", name, NULL)) == 0)
		ib_buf_printf(log, "netns %s: removed\n", name);
	else
		ib_buf_printf(log, "netns %s: %s\n", name, e.msg);
	free(p);
	return rc;
}

int ib_net_cleanup_netif(const char *name, struct ib_buf *log)
{
	struct ib_err e = {0};
	int rc = 0;

	if (!ours(name, "ib") || strlen(name) >= IFNAMSIZ) {
		ib_buf_printf(log, "interface '%s': not one of isobench's; "
			      "left alone\n", name ? name : "?");
		return -EINVAL;
	}
	if (if_nametoindex(name) == 0)
		ib_buf_printf(log, "interface %s: already gone\n", name);
	else if ((rc = ib_ip(&e, "link", "del", name, NULL)) == 0)
		ib_buf_printf(log, "interface %s: removed\n", name);
	else
		ib_buf_printf(log, "interface %s: %s\n", name, e.msg);
	return rc;
}
