#include "base/hugepool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define POOL_DIR "/sys/kernel/mm/hugepages/hugepages-%lukB/%s"

int ib_hugepool_size_ok(unsigned long page_kb)
{
	return page_kb == 2048 || page_kb == 1048576;
}

static int read_count(unsigned long page_kb, const char *file,
		      unsigned long *v, struct ib_err *err)
{
	char path[128], *text, *end;
	int rc = 0;

	snprintf(path, sizeof(path), POOL_DIR, page_kb, file);
	text = ib_read_file(path, NULL, NULL);
	if (!text)
		return ib_err_set(err, errno ? -errno : -ENOENT, "%s: %s (no "
				  "%lu kB huge pages on this host)", path,
				  strerror(errno ? errno : ENOENT), page_kb);
	errno = 0;
	*v = strtoul(text, &end, 10);
	if (end == text || errno || (*end && *end != '\n'))
		rc = ib_err_set(err, -EPROTO, "%s: not a count: '%.40s'", path,
				text);
	free(text);
	return rc;
}

int ib_hugepool_read(unsigned long page_kb, unsigned long *nr,
		     unsigned long *avail, struct ib_err *err)
{
	unsigned long fr, resv;
	int rc;

	if (!ib_hugepool_size_ok(page_kb))
		return ib_err_set(err, -EINVAL, "huge pages of %lu kB: not a "
				  "size isobench manages", page_kb);
	if ((rc = read_count(page_kb, "nr_hugepages", nr, err)) < 0 ||
	    (rc = read_count(page_kb, "free_hugepages", &fr, err)) < 0 ||
	    (rc = read_count(page_kb, "resv_hugepages", &resv, err)) < 0)
		return rc;
	*avail = fr > resv ? fr - resv : 0;
	return 0;
}

int ib_hugepool_set(unsigned long page_kb, unsigned long nr,
		    unsigned long *got, struct ib_err *err)
{
	char path[128], text[32];
	unsigned long avail;
	int fd, len, rc;

	if (!ib_hugepool_size_ok(page_kb))
		return ib_err_set(err, -EINVAL, "huge pages of %lu kB: not a "
				  "size isobench manages", page_kb);
	snprintf(path, sizeof(path), POOL_DIR, page_kb, "nr_hugepages");
	fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return ib_err_set(err, -errno, "%s: %s", path, strerror(errno));
	len = snprintf(text, sizeof(text), "%lu\n", nr);
	rc = write(fd, text, (size_t)len) == len ? 0 : -errno;
	close(fd);
	if (rc < 0)
		return ib_err_set(err, rc, "%s: writing %lu: %s", path, nr,
				  strerror(-rc));
	return ib_hugepool_read(page_kb, got, &avail, err);
}

int ib_hugepool_give_back(unsigned long page_kb, unsigned long before,
			  unsigned long added, struct ib_buf *log,
			  struct ib_err *err)
{
	unsigned long nr, avail, got, to;
	int rc = ib_hugepool_read(page_kb, &nr, &avail, err);

	if (rc < 0)
		return rc;
	if (nr == before) {
		if (log)
			ib_buf_printf(log, "huge pages of %lu kB: pool at %lu, "
				      "its size before: nothing to give back\n",
				      page_kb, nr);
		return 0;
	}
	to = nr > added ? nr - added : 0;
	rc = ib_hugepool_set(page_kb, to, &got, err);
	if (rc < 0)
		return rc;
	if (log)
		ib_buf_printf(log, "huge pages of %lu kB: pool %lu -> %lu (the "
			      "%lu added given back)\n", page_kb, nr, got, added);
	/* pages still in use become surplus and go when freed: the pool
	 * reads the size asked for at once */
	if (got != to)
		return ib_err_set(err, -EBUSY, "huge pages of %lu kB: pool "
				  "asked to shrink to %lu, reads %lu", page_kb,
				  to, got);
	return 0;
}
