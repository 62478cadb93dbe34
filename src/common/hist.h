/* hist: a log-linear latency histogram (the scheme of fio and HdrHistogram).
 *
 * Values (nanoseconds, or any non-negative integer) below 2^IB_HIST_SUB_BITS
 * get a bucket each; above, every power-of-two range [2^k, 2^(k+1)) is cut
 * into 2^IB_HIST_SUB_BITS equal buckets. A percentile is then known to
 * within 1/2^(IB_HIST_SUB_BITS+1) of its value (0.8% with 6 bits), in
 * constant memory, with an O(1) record: what a probe needs to log millions
 * of I/O completions without storing them. Exact min, max and sum are kept
 * beside the buckets. libc-only: the probe uses it. */
#ifndef ISOBENCH_HIST_H
#define ISOBENCH_HIST_H

#include <stdint.h>

#define IB_HIST_SUB_BITS 6
#define IB_HIST_SUB (1u << IB_HIST_SUB_BITS)
/* Ranges up to 2^IB_HIST_MAX_BITS (~18 minutes in ns); larger values are
 * clamped into the last bucket and counted in `clamped`. */
#define IB_HIST_MAX_BITS 40
#define IB_HIST_BUCKETS ((IB_HIST_MAX_BITS - IB_HIST_SUB_BITS + 1) * IB_HIST_SUB)

struct ib_hist {
	uint64_t count, sum, min, max, clamped;
	uint64_t bucket[IB_HIST_BUCKETS];
};

void ib_hist_init(struct ib_hist *h);
void ib_hist_record(struct ib_hist *h, uint64_t value);
/* Adds every value of src into dst. */
void ib_hist_merge(struct ib_hist *dst, const struct ib_hist *src);
/* Value at percentile pct (0..100): the midpoint of the bucket holding the
 * ceil(pct/100 * count)-th smallest value, clamped to [min, max]. 0 for an
 * empty histogram. */
uint64_t ib_hist_percentile(const struct ib_hist *h, double pct);
double ib_hist_mean(const struct ib_hist *h);

/* Bucket geometry, exposed for tests. */
unsigned ib_hist_index(uint64_t value);
uint64_t ib_hist_bucket_low(unsigned index);
uint64_t ib_hist_bucket_width(unsigned index);

#endif
