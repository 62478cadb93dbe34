/* uring: the smallest io_uring the disk workload needs, on raw system
 * calls (the probe links nothing but libc, so no liburing).
 *
 * One ring, `entries` deep; read/write of a fixed buffer at an offset;
 * submit, and wait for at least one completion. Where the kernel or the
 * runtime (a sandbox, a seccomp profile) lacks io_uring, pb_uring_init fails
 * with the errno that says so and the workload reports "unsupported". */
#ifndef ISOBENCH_PROBE_URING_H
#define ISOBENCH_PROBE_URING_H

#include <stddef.h>
#include <stdint.h>

struct uring {
	int fd;
	unsigned entries;
	unsigned setup_flags; /* IORING_SETUP_* the kernel accepted */
	/* submission ring */
	void *sq_map;
	size_t sq_map_len;
	unsigned *sq_head, *sq_tail, *sq_mask, *sq_array;
	void *sqes;
	size_t sqes_len;
	/* completion ring */
	void *cq_map;
	size_t cq_map_len;
	unsigned *cq_head, *cq_tail, *cq_mask;
	void *cqes;
	unsigned to_submit;
};

/* Returns 0, or -errno. */
int pb_uring_init(struct uring *r, unsigned entries);
void pb_uring_exit(struct uring *r);
/* Queues one read (write = 0) or write of len bytes at buf to fd at off,
 * tagged with user_data. Returns 0, or -EBUSY when the ring is full. */
int pb_uring_queue_rw(struct uring *r, int write, int fd, void *buf,
		      unsigned len, uint64_t off, uint64_t user_data);
/* Submits what is queued, posts finished completions, and waits until
 * at least min_complete are available (0: does not wait). Returns 0 or
 * -errno. */
int pb_uring_submit_wait(struct uring *r, unsigned min_complete);
/* Takes the next completion, if any: returns 1 and fills user_data and
 * res (bytes done or -errno), or 0 when none is ready. */
int pb_uring_reap(struct uring *r, uint64_t *user_data, int *res);

#endif
