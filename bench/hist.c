/* hist.c: quantiles and merging for the log-linear histogram (hist.h); the
 * recording fast path is inline in the header. */
#include "hist.h"

#include <math.h>
#include <string.h>

void bn_hist_reset(bn_hist *h) { memset(h, 0, sizeof *h); }

void bn_hist_merge(bn_hist *into, const bn_hist *from)
{
	if (from->count == 0)
		return;
	for (unsigned i = 0; i < BN_HIST_BUCKETS; i++)
		into->b[i] += from->b[i];
	if (into->count == 0 || from->min < into->min)
		into->min = from->min;
	if (from->max > into->max)
		into->max = from->max;
	into->count += from->count;
}

/* Bucket i holds [lower, lower + width). */
static uint64_t bucket_lower(unsigned i, uint64_t *width)
{
	unsigned g = i / BN_HIST_SUB, sub = i % BN_HIST_SUB;
	if (g == 0) {
		*width = 1;
		return sub;
	}
	unsigned shift = g - 1; /* bucket width is 2^shift */
	*width = UINT64_C(1) << shift;
	return (uint64_t)(BN_HIST_SUB + sub) << shift;
}

/* The bucket holding the sample of rank ceil(q * count) (count > 0). */
static unsigned quantile_bucket(const bn_hist *h, double q)
{
	double want = ceil(q * (double)h->count);
	uint64_t rank = want < 1 ? 1 : want > (double)h->count ? h->count : (uint64_t)want;
	uint64_t seen = 0;
	for (unsigned i = 0; i < BN_HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= rank)
			return i;
	}
	return BN_HIST_BUCKETS - 1; /* not reached: the buckets sum to count */
}

uint64_t bn_hist_quantile(const bn_hist *h, double q)
{
	if (h->count == 0)
		return 0;
	uint64_t w, lo = bucket_lower(quantile_bucket(h, q), &w);
	uint64_t v = lo + w / 2; /* the midpoint: half a bucket from any sample in it */
	return v < h->min ? h->min : v > h->max ? h->max : v;
}

uint64_t bn_hist_tail(const bn_hist *h, double q)
{
	if (h->count == 0)
		return 0;
	uint64_t n = 0;
	for (unsigned i = quantile_bucket(h, q); i < BN_HIST_BUCKETS; i++)
		n += h->b[i];
	return n;
}
