/* netproto: what the probe's net workload and isobench's peer say to each
 * other over TCP (the probe connects; the peer, `isobench peer`, listens
 * on the host side of the instance's link).
 *
 * A connection's first byte says what it is for:
 *   'R'  rr: then each byte the probe sends is echoed back at once (one
 *        transaction in flight: netperf's TCP_RR).
 *   'C'  crr: the peer answers this one byte with one byte and closes (a
 *        connection per transaction: netperf's TCP_CRR).
 *   'S'  stream to the peer: a struct ib_net_hello follows; the peer reads
 *        and discards until EOF, counting the bytes that arrive after the
 *        hello's warm-up, then answers with a struct ib_net_count (the
 *        receiver's figure, as iperf3 reports it) and closes.
 *   'T'  stream from the peer: a struct ib_net_hello follows; the peer
 *        writes blocks of the hello's size until the probe closes (the
 *        probe, the receiver, counts).
 * Integers are little-endian on the wire. libc-only: the probe uses it. */
#ifndef ISOBENCH_NETPROTO_H
#define ISOBENCH_NETPROTO_H

#include <netinet/in.h>
#include <stdint.h>

#define IB_NET_RR 'R'
#define IB_NET_CRR 'C'
#define IB_NET_SINK 'S'
#define IB_NET_SOURCE 'T'

#define IB_NET_MAGIC 0x314e4249u /* "IBN1" */
#define IB_NET_MAX_BLOCK (4u << 20)

struct ib_net_hello {
	uint32_t magic;
	uint32_t block;     /* bytes per write ('T'); per read ('S': the
			     * probe's write size, read as the tools do) */
	uint32_t warmup_ms; /* not counted ('S') */
	uint32_t reserved;
};

struct ib_net_count {
	uint64_t bytes;     /* received after the warm-up */
	uint64_t window_ns; /* from the warm-up's end to the last byte */
};

/* Parses "A.B.C.D:PORT" (port 0..65535) into sa; 0 or -1. */
int ib_net_parse_addr(const char *s, struct sockaddr_in *sa);

#endif
