/* hugepool: the host's pool of huge pages (hugetlb), grown for a run and
 * given back after it.
 *
 * A VM whose RAM is a hugetlb memfd (qemu mem=hugetlb) reserves its
 * pages when QEMU maps them, and fails to start if the pool lacks them;
 * the pool is a host-global setting (/sys/kernel/mm/hugepages/
 * hugepages-<kB>kB/nr_hugepages). isobench grows it by what a launch
 * lacks and shrinks it by the same count when done; each growth is one
 * record (the pool's size before, the pages added), journalled before
 * the write, so that `isobench cleanup` gives them back after a kill -9:
 * a pool still at its size before was never grown (the write did not
 * happen); else it loses the pages added, no more. Only the two page
 * sizes x86 has are ever written, whatever a record says. */
#ifndef ISOBENCH_HUGEPOOL_H
#define ISOBENCH_HUGEPOOL_H

#include "base/util.h"

/* 1 if page_kb is a page size isobench manages (2048 or 1048576). */
int ib_hugepool_size_ok(unsigned long page_kb);

/* The pool of page_kb pages now: its size (nr_hugepages) and how many
 * pages are neither in use nor reserved (free - resv). 0 or -errno. */
int ib_hugepool_read(unsigned long page_kb, unsigned long *nr,
		     unsigned long *avail, struct ib_err *err);

/* Sets the pool's size to nr and reads back what the kernel made it
 * (*got; fewer if it could not find the memory). 0 or -errno. */
int ib_hugepool_set(unsigned long page_kb, unsigned long nr,
		    unsigned long *got, struct ib_err *err);

/* Gives back a growth: the pool was `before` pages and `added` were
 * added. Still at `before`: nothing to do (never grown); else it
 * shrinks by added (not below 0). log (may be NULL) says what was done. */
int ib_hugepool_give_back(unsigned long page_kb, unsigned long before,
			  unsigned long added, struct ib_buf *log,
			  struct ib_err *err);

#endif
