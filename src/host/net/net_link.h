/* net_link: the links between the host, where the net workload's peer
 * runs, and an instance; made with iproute2 (`ip`), every address in
 * 198.18.0.0/15 (RFC 2544's benchmarking range), every one recorded in the
 * run's state file before it exists.
 *
 *   netns  a network namespace (/run/netns/NAME) holding one end of a veth
 *          pair, 198.18.X.2/24, and loopback; the host end 198.18.X.1/24.
 *          The instance joins the namespace (native: setns; runc, crun,
 *          runsc: the OCI config's namespace path).
 *   tap    a tap device on the host, 198.18.X.1/24, that a VMM opens; the
 *          guest's interface is 198.18.X.2/24 (the probe sets it).
 * X is the first third octet of 198.18.X.0/24 that no host interface uses.
 * Interface names are "ib" + 10 base-32 digits that encode the whole run
 * id (its time stamp and its 16 random bits: two run ids never give the
 * same digits) + the link's number in 2 digits + h (host end), i
 * (instance end), t (tap) or b (Docker's bridge): 15 bytes, IFNAMSIZ's
 * most. Cleanup deletes only names of exactly that pattern for its run.
 * Docker's bridge network is made by the docker driver through its API,
 * on a subnet picked the same way (ib_net_pick_subnet). */
#ifndef ISOBENCH_NET_LINK_H
#define ISOBENCH_NET_LINK_H

#include "base/proc.h"
#include "base/util.h"

struct ib_state;

enum ib_net_kind {
	IB_NET_UNSUPPORTED = 0,
	IB_NET_NETNS,    /* veth into a namespace of ours */
	IB_NET_TAP,      /* a tap for a VMM */
	IB_NET_ENGINE,   /* the engine makes the link (docker) */
	IB_NET_LOOPBACK, /* no link: the probe and the peer on 127.0.0.1 */
};

/* One link of a run, and the peer serving it. */
struct ib_net {
	enum ib_net_kind kind;
	int index;            /* the link's number in the run */
	char *netns;          /* NETNS: its name */
	char *netns_path;     /* NETNS: /run/netns/NAME */
	char *host_if;        /* NETNS: the veth's host end; TAP: the tap */
	char *inst_if;        /* NETNS: the end in the namespace */
	char host_addr[32];   /* where the peer listens */
	char inst_addr[32];   /* the instance's address ("" if not known) */
	int prefix;
	char *how;            /* one line, for the results */
	char *mode;           /* how the runtime uses it, if it has a
				 choice (gVisor: netstack or host), or NULL */
	/* The peer, started by the runner once the link exists. */
	struct ib_proc peer;
	char *peer_at;        /* "ADDR:PORT" */
	int peer_cpu;         /* -1: not pinned */
	int failed;           /* set-up failed: error in why */
	int made_if, made_netns; /* this link made them (remove only those) */
	char *why;
};

/* First free third octet X of 198.18.X.0/24 on the host (1..254), or
 * -ENOSPC. Hold the subnet lock from the pick until the address is on an
 * interface, so that two runs at once never pick the same subnet. */
int ib_net_pick_subnet(struct ib_err *err);
/* The subnet lock (an abstract Unix socket name of this network
 * namespace, held while bound): the fd, or -errno with err (two runs
 * could pick the same subnet without it: an error, not a warning). Waits
 * up to 120 s ($ISOBENCH_NET_LOCK_WAIT_S) for another run to let go. */
int ib_net_lock(struct ib_err *err);
void ib_net_unlock(int fd);

/* Creates n->kind's link (NETNS or TAP) as link number index of run
 * run_id, recording it in st; fills n. 0 or -errno with err; what was made
 * before an error is removed. */
int ib_net_link_create(struct ib_net *n, struct ib_state *st,
		       const char *run_id, struct ib_err *err);
/* The name of interface `end` of link index (0..99) of run_id
 * ("ib0f3k9a2b1c03h"); NULL if index is out of range. */
#define IB_NET_MAX_LINKS 100
char *ib_net_if_name(const char *run_id, int index, char end);
/* 1 if name is an interface name of run_id's exact pattern. */
int ib_net_if_ours(const char *run_id, const char *name);
/* Records interface name (made by someone else: Docker's bridge) in st,
 * so that cleanup deletes it if a killed run leaves it. */
int ib_net_record_netif(struct ib_state *st, const char *name,
			struct ib_err *err);
/* Starts n's peer (`isobench peer`, peer.h) on n->host_addr, pinned to
 * n->peer_cpu unless it is -1, and records it in st as "peer-INDEX".
 * 0 or -errno with err. */
/* A pre-exec step (struct ib_spawn_opts.pre_exec): arg is a network
 * namespace's path (struct ib_net.netns_path), which the child joins
 * (setns) before exec: native's probe, validate's servers. */
int ib_net_enter_pre_exec(void *arg);
int ib_net_start_peer(struct ib_net *n, struct ib_state *st,
		      struct ib_err *err);
/* Stops the peer and removes the link; frees n's strings. */
void ib_net_link_remove(struct ib_net *n, struct ib_state *st);

/* Cleanup of the state file's generic kinds "netns" and "netif" (a
 * killed run's leftovers): only names of this module's exact pattern for
 * cx's run id; appends what was done to cx->log. 0 or -errno. */
struct ib_cleanup;
int ib_net_cleanup_netns(struct ib_cleanup *cx, const char *name);
int ib_net_cleanup_netif(struct ib_cleanup *cx, const char *name);

/* Runs `ip ARGS...` (NULL-terminated), bounded; 0 or -errno with err
 * holding ip's message. */
int ib_ip(struct ib_err *err, ...) __attribute__((sentinel));

#endif
