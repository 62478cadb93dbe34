#include "hist.h"

#include <string.h>

void ib_hist_init(struct ib_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

unsigned ib_hist_index(uint64_t value)
{
	unsigned msb, group;

	if (value < IB_HIST_SUB)
		return (unsigned)value;
	msb = 63u - (unsigned)__builtin_clzll(value);
	if (msb >= IB_HIST_MAX_BITS)
		return IB_HIST_BUCKETS - 1;
	/* group 1 holds [2^SUB_BITS, 2^(SUB_BITS+1)), and so on */
	group = msb - IB_HIST_SUB_BITS + 1;
	return group * IB_HIST_SUB +
	       (unsigned)((value >> (msb - IB_HIST_SUB_BITS)) - IB_HIST_SUB);
}

uint64_t ib_hist_bucket_low(unsigned index)
{
	unsigned group = index / IB_HIST_SUB, sub = index % IB_HIST_SUB;

	if (group == 0)
		return sub;
	return (uint64_t)(IB_HIST_SUB + sub) << (group - 1);
}

uint64_t ib_hist_bucket_width(unsigned index)
{
	unsigned group = index / IB_HIST_SUB;

	return group == 0 ? 1 : (uint64_t)1 << (group - 1);
}

void ib_hist_record(struct ib_hist *h, uint64_t value)
{
	unsigned i = ib_hist_index(value);

	if (value >> IB_HIST_MAX_BITS)
		h->clamped++;
	h->bucket[i]++;
	h->count++;
	h->sum += value;
	if (value < h->min)
		h->min = value;
	if (value > h->max)
		h->max = value;
}

void ib_hist_merge(struct ib_hist *dst, const struct ib_hist *src)
{
	for (unsigned i = 0; i < IB_HIST_BUCKETS; i++)
		dst->bucket[i] += src->bucket[i];
	dst->count += src->count;
	dst->sum += src->sum;
	dst->clamped += src->clamped;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}

uint64_t ib_hist_percentile(const struct ib_hist *h, double pct)
{
	uint64_t rank, seen = 0, v;

	if (h->count == 0)
		return 0;
	if (pct <= 0)
		return h->min;
	if (pct >= 100)
		return h->max;
	/* ceil(pct/100 * count), in integers where it matters */
	rank = (uint64_t)(pct / 100.0 * (double)h->count);
	if ((double)rank < pct / 100.0 * (double)h->count)
		rank++;
	if (rank == 0)
		rank = 1;
	for (unsigned i = 0; i < IB_HIST_BUCKETS; i++) {
		seen += h->bucket[i];
		if (seen >= rank) {
			v = ib_hist_bucket_low(i) + ib_hist_bucket_width(i) / 2;
			if (v < h->min)
				v = h->min;
			if (v > h->max)
				v = h->max;
			return v;
		}
	}
	return h->max;
}

double ib_hist_mean(const struct ib_hist *h)
{
	return h->count ? (double)h->sum / (double)h->count : 0.0;
}
