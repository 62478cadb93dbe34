/* disk: O_DIRECT I/O on a file in the scratch directory, as fio measures it.
 *
 * Each test is PATTERN-BS-QD (common/params.c): queue depth 1 uses
 * pread/pwrite (fio's psync engine), deeper queues use io_uring (fio's
 * io_uring engine); "fsync" follows every write with fsync (fio's
 * fsync=1). A test runs for `duration` after an uncounted ramp of a tenth
 * of it (fio's ramp_time), and reports IOPS, MiB/s and completion-latency
 * percentiles from a log-linear histogram (fio's clat). The test file is
 * filled with data once and reused while its size matches, so reads hit
 * allocated blocks, never holes.
 *
 * When the scratch is a block device (a VM's raw scratch disk, /dev/vda)
 * the test runs on the device itself, from offset 0: it is filled once and
 * a mark in its last 4 KiB says so (and for which size), so the next boot
 * of the same disk image does not fill it again. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "../../common/hist.h"
#include "../harness.h"
#include "../probe.h"
#include "../uring.h"

struct disk_run {
	int fd;
	uint64_t size;
	char *buf;
	uint64_t seed;
	uint64_t next_seq;
};

static uint64_t next_offset(struct disk_run *d, const struct ib_disk_test *t)
{
	uint64_t blocks = d->size / t->bs, off;

	if (t->random)
		return (harness_rand(&d->seed) % blocks) * t->bs;
	off = d->next_seq;
	d->next_seq += t->bs;
	if (d->next_seq + t->bs > blocks * t->bs)
		d->next_seq = 0;
	return off;
}

/* Writes size bytes of incompressible data at the start of fd. */
static int fill(int fd, uint64_t size)
{
	uint64_t seed = 0x1234567ULL;
	char *chunk = malloc(1 << 20);

	if (!chunk)
		return -ENOMEM;
	/* Incompressible data, so a compressing or deduplicating store does
	 * not flatter the numbers. */
	for (size_t i = 0; i < (1 << 20) / 8; i++)
		((uint64_t *)chunk)[i] = harness_rand(&seed);
	for (uint64_t done = 0; done < size;) {
		size_t n = size - done < (1 << 20) ? size - done : (1 << 20);
		ssize_t w = write(fd, chunk, n);

		if (w <= 0) {
			free(chunk);
			return w < 0 ? -errno : -ENOSPC;
		}
		done += (uint64_t)w;
		((uint64_t *)chunk)[0] ^= done; /* no two chunks alike */
	}
	free(chunk);
	return fsync(fd) != 0 ? -errno : 0;
}

static int prepare_file(const char *path, uint64_t size)
{
	struct stat st;
	int fd, rc;

	/* lstat and O_NOFOLLOW: a symlink planted at the name (a shared
	 * scratch directory) is neither reused nor written through */
	if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	    (uint64_t)st.st_size == size)
		return 0;
	fd = open(path, O_CREAT | O_TRUNC | O_WRONLY | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd < 0)
		return -errno;
	rc = fill(fd, size);
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	if (rc < 0)
		unlink(path);
	return rc;
}

#define DEVICE_MARK "isobench-disk filled v1 size="

/* A block device: fills [0, size) unless the mark in its last 4 KiB says
 * it already holds size bytes of test data. */
static int prepare_device(const char *path, uint64_t size)
{
	uint64_t devsize = 0;
	char mark[4096], want[64];
	int fd = open(path, O_RDWR | O_CLOEXEC), rc = 0;

	if (fd < 0) {
		pb_emit_error("disk", "failed", "open %s: %s", path, strerror(errno));
		return -1;
	}
	if (ioctl(fd, BLKGETSIZE64, &devsize) != 0 ||
	    devsize < size + sizeof(mark)) {
		pb_emit_error("disk", "failed",
			      "scratch device %s holds %llu MiB, the test needs "
			      "%llu MiB and 4 KiB",
			      path, (unsigned long long)(devsize >> 20),
			      (unsigned long long)(size >> 20));
		close(fd);
		return -1;
	}
	snprintf(want, sizeof(want), DEVICE_MARK "%llu\n",
		 (unsigned long long)size);
	if (pread(fd, mark, sizeof(mark), (off_t)(devsize - sizeof(mark))) ==
		    (ssize_t)sizeof(mark) &&
	    strncmp(mark, want, strlen(want)) == 0) {
		close(fd);
		return 0;
	}
	rc = fill(fd, size);
	if (rc == 0) {
		memset(mark, 0, sizeof(mark));
		memcpy(mark, want, strlen(want));
		if (pwrite(fd, mark, sizeof(mark),
			   (off_t)(devsize - sizeof(mark))) != (ssize_t)sizeof(mark) ||
		    fsync(fd) != 0)
			rc = -errno;
	}
	if (rc < 0)
		pb_emit_error("disk", "failed", "filling %s: %s", path,
			      strerror(-rc));
	close(fd);
	return rc < 0 ? -1 : 0;
}

/* Queue depth 1: pread/pwrite, each completion timed. Returns ops counted
 * in the measured window or -errno. */
static int64_t run_sync(struct disk_run *d, const struct ib_disk_test *t,
			double seconds, struct ib_hist *h, uint64_t *elapsed)
{
	uint64_t ramp_end = now_ns() + (uint64_t)(seconds * 1e8), start = 0,
		 end = 0, last = 0, ops = 0;
	int measuring = 0;

	for (;;) {
		uint64_t off = next_offset(d, t), t0 = now_ns(), t1;
		ssize_t n;

		if (!measuring && t0 >= ramp_end) {
			measuring = 1;
			start = t0;
			end = t0 + (uint64_t)(seconds * 1e9);
		}
		if (measuring && t0 >= end)
			break;
		n = t->write ? pwrite(d->fd, d->buf, t->bs, (off_t)off)
			     : pread(d->fd, d->buf, t->bs, (off_t)off);
		if (n != (ssize_t)t->bs)
			return n < 0 ? -errno : -EIO;
		if (t->fsync && fsync(d->fd) != 0)
			return -errno;
		t1 = now_ns();
		if (measuring) {
			ib_hist_record(h, t1 - t0);
			ops++;
			last = t1;
		}
	}
	/* Up to the last completion, not the deadline: the last operation
	 * may end after it, and is counted whole. */
	*elapsed = last - start;
	return (int64_t)ops;
}

/* Queue depth > 1: io_uring, every slot resubmitted as it completes. */
static int64_t run_uring(struct disk_run *d, const struct ib_disk_test *t,
			 double seconds, struct ib_hist *h, uint64_t *elapsed,
			 const char **what)
{
	struct uring r;
	uint64_t *sent, start, measure_from, end, ops = 0;
	unsigned inflight = 0;
	int rc;

	rc = pb_uring_init(&r, t->qd);
	if (rc < 0) {
		*what = "io_uring_setup";
		return rc;
	}
	pb_emit_info_num("disk", "io_uring_setup_flags", r.setup_flags);
	sent = calloc(t->qd, sizeof(*sent));
	if (!sent) {
		pb_uring_exit(&r);
		return -ENOMEM;
	}
	start = now_ns();
	measure_from = start + (uint64_t)(seconds * 1e8);
	end = measure_from + (uint64_t)(seconds * 1e9);
	for (unsigned s = 0; s < t->qd; s++) {
		sent[s] = now_ns();
		pb_uring_queue_rw(&r, t->write, d->fd, d->buf + s * t->bs,
				  (unsigned)t->bs, next_offset(d, t), s);
		inflight++;
	}
	*what = "io_uring_enter";
	rc = pb_uring_submit_wait(&r, 0);
	/* Each completion is replaced at once by a new I/O submitted on its
	 * own, as fio does (iodepth_batch=1): the device queue stays full.
	 * Reaping a whole batch before resubmitting measured 10-20% fewer
	 * IOPS than fio here. */
	while (inflight > 0 && rc == 0) {
		uint64_t slot, now;
		int res;

		if (!pb_uring_reap(&r, &slot, &res)) {
			rc = pb_uring_submit_wait(&r, 1);
			continue;
		}
		now = now_ns();
		inflight--;
		if (res != (int)t->bs) {
			*what = "io_uring I/O";
			rc = res < 0 ? res : -EIO;
			break;
		}
		/* A window too short for any completion (a tiny duration on a
		 * slow or busy disk) is stretched to the first one, so every
		 * test yields a figure and its elapsed time says how. */
		if (now >= end && ops == 0 && now >= measure_from)
			end = now + 1;
		if (now >= measure_from && now < end) {
			ib_hist_record(h, now - sent[slot]);
			ops++;
		}
		if (now < end && slot < t->qd) {
			pb_uring_queue_rw(&r, t->write, d->fd, d->buf + slot * t->bs,
					  (unsigned)t->bs, next_offset(d, t), slot);
			sent[slot] = now_ns();
			inflight++;
			rc = pb_uring_submit_wait(&r, 0);
		}
	}
	free(sent);
	pb_uring_exit(&r);
	if (rc < 0)
		return rc;
	*elapsed = end - measure_from;
	return (int64_t)ops;
}

/* One test of the list (name: "randread-4k-qd1" and the like) on d's
 * file: its samples, or an error record. Returns 1 if it failed (an
 * "unsupported" one does not). */
static int one_test(struct disk_run *d, const char *name, uint64_t size,
		    double seconds)
{
	static struct ib_hist h; /* 17 KiB: keep it off the stack */
	struct ib_disk_test t;
	char why[256];
	uint64_t elapsed = 0;
	const char *what;
	int64_t ops;
	double secs;

	if (ib_disk_test_parse(name, &t, why, sizeof(why)) < 0 ||
	    t.bs > size) {
		pb_emit_error("disk", "invalid", "%s",
			      t.bs > size ? "block size larger than the file"
					  : why);
		return 1;
	}
	what = t.write ? "pwrite" : "pread";
	ib_hist_init(&h);
	d->next_seq = 0;
	if (t.qd == 1)
		ops = run_sync(d, &t, seconds, &h, &elapsed);
	else
		ops = run_uring(d, &t, seconds, &h, &elapsed, &what);
	if (ops < 0) {
		int err = (int)-ops;
		int unsup = err == ENOSYS || err == EPERM ||
			    err == EOPNOTSUPP ||
			    (err == EINVAL && t.qd > 1);

		pb_emit_error("disk", unsup ? "unsupported" : "failed",
			      "%s: %s: %s", name, what, strerror(err));
		return !unsup;
	}
	if (ops == 0 || elapsed == 0) {
		pb_emit_error("disk", "failed",
			      "%s: no I/O completed in the measured window",
			      name);
		return 1;
	}
	secs = (double)elapsed / 1e9;
	{
		const struct ib_pv pv[] = {
			PV_STR("test", name), PV_NUM("bs", t.bs),
			PV_NUM("qd", t.qd), PV_NUM("size", size)};

		pb_emit_sample("disk", "iops", "IO/s", IB_HIGHER_IS_BETTER,
			       (double)ops / secs, pv, 4);
		pb_emit_sample("disk", "bw", "MiB/s", IB_HIGHER_IS_BETTER,
			       (double)ops * (double)t.bs / 1048576.0 / secs,
			       pv, 4);
		pb_emit_sample("disk", "lat_p50", "us", IB_LOWER_IS_BETTER,
			       (double)ib_hist_percentile(&h, 50) / 1e3, pv,
			       4);
		pb_emit_sample("disk", "lat_p99", "us", IB_LOWER_IS_BETTER,
			       (double)ib_hist_percentile(&h, 99) / 1e3, pv,
			       4);
		pb_emit_sample("disk", "lat_p99.9", "us",
			       IB_LOWER_IS_BETTER,
			       (double)ib_hist_percentile(&h, 99.9) / 1e3,
			       pv, 4);
	}
	return 0;
}

static int pb_wl_disk(const struct probe_args *a)
{
	uint64_t size = pb_arg_size(a, "size"), max_buf = 0;
	double seconds = pb_arg_seconds(a, "duration");
	const char *cur = pb_arg_str(a, "tests");
	char path[4096], name[64], why[256];
	struct disk_run d = {.fd = -1, .size = size, .seed = 0xfeedf00dULL};
	struct statvfs vfs;
	struct stat st;
	int rc, failed = 0, is_dev;

	is_dev = stat(a->scratch, &st) == 0 && S_ISBLK(st.st_mode);
	if (is_dev)
		snprintf(path, sizeof(path), "%s", a->scratch);
	else
		snprintf(path, sizeof(path), "%s/isobench-disk.dat", a->scratch);
	while (pb_arg_list_next(&cur, name, sizeof(name))) {
		struct ib_disk_test t;

		if (ib_disk_test_parse(name, &t, why, sizeof(why)) == 0 &&
		    t.bs * t.qd > max_buf)
			max_buf = t.bs * t.qd;
	}
	if (is_dev) {
		if (prepare_device(path, size) < 0)
			return 1;
	} else if (!(stat(path, &st) == 0 && (uint64_t)st.st_size == size) &&
	    statvfs(a->scratch, &vfs) == 0 &&
	    (uint64_t)vfs.f_bavail * vfs.f_frsize < size + (64u << 20)) {
		pb_emit_error("disk", "failed",
			      "scratch directory %s has %llu MiB free, the test "
			      "file needs %llu MiB",
			      a->scratch,
			      (unsigned long long)((uint64_t)vfs.f_bavail *
						   vfs.f_frsize >> 20),
			      (unsigned long long)(size >> 20));
		return 1;
	}
	rc = is_dev ? 0 : prepare_file(path, size);
	if (rc < 0) {
		pb_emit_error("disk", "failed", "cannot create the test file %s: %s",
			      path, strerror(-rc));
		return 1;
	}
	d.fd = open(path, O_RDWR | O_DIRECT | O_CLOEXEC |
				  (is_dev ? 0 : O_NOFOLLOW));
	if (d.fd < 0) {
		pb_emit_error("disk", errno == EINVAL ? "unsupported" : "failed",
			      "open %s with O_DIRECT: %s%s", path, strerror(errno),
			      errno == EINVAL ? " (the scratch filesystem does "
						"not support direct I/O)" : "");
		return 1;
	}
	if (posix_memalign((void **)&d.buf, 4096, max_buf ? max_buf : 4096)) {
		pb_emit_error("disk", "failed", "cannot allocate I/O buffers");
		close(d.fd);
		return 1;
	}
	memset(d.buf, 0x5a, max_buf ? max_buf : 4096);
	pb_emit_info_str("disk", "file", path);

	cur = pb_arg_str(a, "tests");
	while (pb_arg_list_next(&cur, name, sizeof(name)))
		failed |= one_test(&d, name, size, seconds);
	free(d.buf);
	close(d.fd);
	return failed;
}
PB_WORKLOAD(disk, pb_wl_disk);
