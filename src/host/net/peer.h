/* peer: the host side of the net workload (`isobench peer`).
 *
 * One process per instance link, started by the runner on the link's host
 * address: it listens, tells the runner its port on standard output
 * ("listening ADDR:PORT"), then serves every connection the probe opens,
 * single-threaded on epoll with non-blocking sockets, as common/netproto.h
 * describes: echo (rr), answer-and-close (crr), count-and-report (stream
 * to the peer) and send (stream from the peer). It may be pinned to a CPU
 * so that its place does not move between runtimes. It ends on SIGTERM or
 * when isobench dies (PDEATHSIG). */
#ifndef ISOBENCH_PEER_H
#define ISOBENCH_PEER_H

#include <netinet/in.h>

#include "base/proc.h"
#include "base/util.h"

/* `isobench peer --listen ADDR:PORT [--cpu N]`: returns the exit code. */
int ib_peer_main(int argc, char **argv);

/* Parses "A.B.C.D:PORT" (port 0 allowed); 0 or -1. */
int ib_peer_parse_addr(const char *s, struct sockaddr_in *sa);

/* Starts `self peer` on addr (port chosen by the kernel) pinned to cpu
 * (-1: not pinned) and reads back where it listens, "ADDR:PORT", into
 * *listening (caller frees). 0 or -errno with err. */
int ib_peer_start(struct ib_proc *p, const char *self, const char *addr,
		  int cpu, char **listening, struct ib_err *err);

/* For the fuzz target: serves one connection whose client sends `in`
 * and then closes its side, over a Unix socket pair, for at most
 * max_steps readiness events; what the peer wrote comes back in out (at
 * most out_cap bytes are read; a source then stalls). *closed: the peer
 * ended the connection. 0, or -errno if the pair cannot be made. */
int ib_peer_serve_bytes(const unsigned char *in, size_t n, int max_steps,
			size_t out_cap, struct ib_buf *out, int *closed);

#endif
