#include "uring.h"

#include <errno.h>
#include <linux/io_uring.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef __NR_io_uring_setup
#define __NR_io_uring_setup 425
#define __NR_io_uring_enter 426
#endif

static int sys_setup(unsigned entries, struct io_uring_params *p)
{
	long rc = syscall(__NR_io_uring_setup, entries, p);

	return rc < 0 ? -errno : (int)rc;
}

static int sys_enter(int fd, unsigned submit, unsigned min, unsigned flags)
{
	long rc = syscall(__NR_io_uring_enter, fd, submit, min, flags, NULL, 0);

	return rc < 0 ? -errno : (int)rc;
}

int pb_uring_init(struct uring *r, unsigned entries)
{
	struct io_uring_params p;
	char *sq, *cq;

	memset(r, 0, sizeof(*r));
	memset(&p, 0, sizeof(p));
	/* As fio sets its rings up: one issuer, completions run when it
	 * reaps them (no IPI per completion, which costs a lot in a VM), CQ
	 * ring as deep as the SQ ring. Older kernels refuse the newer flags
	 * with EINVAL: drop them one by one, as fio does. */
	p.flags = IORING_SETUP_CQSIZE | IORING_SETUP_COOP_TASKRUN |
		  IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
	p.cq_entries = entries;
	for (;;) {
		r->fd = sys_setup(entries, &p);
		if (r->fd != -EINVAL)
			break;
		if (p.flags & IORING_SETUP_DEFER_TASKRUN)
			p.flags &= ~(IORING_SETUP_DEFER_TASKRUN |
				     IORING_SETUP_SINGLE_ISSUER);
		else if (p.flags & IORING_SETUP_COOP_TASKRUN)
			p.flags &= ~IORING_SETUP_COOP_TASKRUN;
		else if (p.flags & IORING_SETUP_CQSIZE)
			p.flags &= ~IORING_SETUP_CQSIZE;
		else
			break;
	}
	if (r->fd < 0)
		return r->fd;
	r->setup_flags = p.flags;
	r->entries = p.sq_entries;
	r->sq_map_len = p.sq_off.array + p.sq_entries * sizeof(unsigned);
	r->cq_map_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	r->sqes_len = p.sq_entries * sizeof(struct io_uring_sqe);
	r->sq_map = mmap(NULL, r->sq_map_len, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQ_RING);
	r->cq_map = mmap(NULL, r->cq_map_len, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_CQ_RING);
	r->sqes = mmap(NULL, r->sqes_len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQES);
	if (r->sq_map == MAP_FAILED || r->cq_map == MAP_FAILED ||
	    r->sqes == MAP_FAILED) {
		int err = -errno;

		pb_uring_exit(r);
		return err;
	}
	sq = r->sq_map;
	cq = r->cq_map;
	r->sq_head = (unsigned *)(sq + p.sq_off.head);
	r->sq_tail = (unsigned *)(sq + p.sq_off.tail);
	r->sq_mask = (unsigned *)(sq + p.sq_off.ring_mask);
	r->sq_array = (unsigned *)(sq + p.sq_off.array);
	r->cq_head = (unsigned *)(cq + p.cq_off.head);
	r->cq_tail = (unsigned *)(cq + p.cq_off.tail);
	r->cq_mask = (unsigned *)(cq + p.cq_off.ring_mask);
	r->cqes = cq + p.cq_off.cqes;
	return 0;
}

void pb_uring_exit(struct uring *r)
{
	if (r->sqes && r->sqes != MAP_FAILED)
		munmap(r->sqes, r->sqes_len);
	if (r->cq_map && r->cq_map != MAP_FAILED)
		munmap(r->cq_map, r->cq_map_len);
	if (r->sq_map && r->sq_map != MAP_FAILED)
		munmap(r->sq_map, r->sq_map_len);
	if (r->fd > 0)
		close(r->fd);
	memset(r, 0, sizeof(*r));
	r->fd = -1;
}

int pb_uring_queue_rw(struct uring *r, int write, int fd, void *buf,
		      unsigned len, uint64_t off, uint64_t user_data)
{
	unsigned head = __atomic_load_n(r->sq_head, __ATOMIC_ACQUIRE);
	unsigned tail = *r->sq_tail, idx;
	struct io_uring_sqe *sqe;

	if (tail - head >= r->entries)
		return -EBUSY;
	idx = tail & *r->sq_mask;
	sqe = (struct io_uring_sqe *)r->sqes + idx;
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = write ? IORING_OP_WRITE : IORING_OP_READ;
	sqe->fd = fd;
	sqe->addr = (uint64_t)(uintptr_t)buf;
	sqe->len = len;
	sqe->off = off;
	sqe->user_data = user_data;
	r->sq_array[idx] = idx;
	__atomic_store_n(r->sq_tail, tail + 1, __ATOMIC_RELEASE);
	r->to_submit++;
	return 0;
}

int pb_uring_submit_wait(struct uring *r, unsigned min_complete)
{
	int rc;

	do {
		/* GETEVENTS also with min_complete 0: with DEFER_TASKRUN
		 * that is what posts finished completions to the ring. */
		rc = sys_enter(r->fd, r->to_submit, min_complete,
			       IORING_ENTER_GETEVENTS);
	} while (rc == -EINTR);
	if (rc < 0)
		return rc;
	r->to_submit -= (unsigned)rc <= r->to_submit ? (unsigned)rc
						     : r->to_submit;
	return 0;
}

int pb_uring_reap(struct uring *r, uint64_t *user_data, int *res)
{
	unsigned head = *r->cq_head;
	struct io_uring_cqe *cqe;

	if (head == __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE))
		return 0;
	cqe = (struct io_uring_cqe *)r->cqes + (head & *r->cq_mask);
	*user_data = cqe->user_data;
	*res = cqe->res;
	__atomic_store_n(r->cq_head, head + 1, __ATOMIC_RELEASE);
	return 1;
}
