/* hist.c: quantiles and merging for the log-linear histogram (hist.h); the
 * recording fast path is inline in the header. */
#include "hist.h"

#include <math.h>
#include <string.h>

void bn_hist_reset(bn_hist *h) { memset(h, 0, sizeof *h); }

void bn_hist_merge(bn_hist *into, const bn_hist *from)
{
	for (unsigned i = 0; i < BN_HIST_BUCKETS; i++)
		into->b[i] += from->b[i];
	into->count += from->count;
	if (from->max > into->max)
		into->max = from->max;
}

/* Largest value that lands in bucket i. */
static uint64_t bucket_upper(unsigned i)
{
	unsigned g = i / BN_HIST_SUB, sub = i % BN_HIST_SUB;
	if (g == 0)
		return sub;
	unsigned shift = g - 1; /* bucket width is 2^shift */
	uint64_t lower = (uint64_t)(BN_HIST_SUB + sub) << shift;
	return lower + ((UINT64_C(1) << shift) - 1);
}

uint64_t bn_hist_quantile(const bn_hist *h, double q)
{
	if (h->count == 0)
		return 0;
	double want = ceil(q * (double)h->count);
	uint64_t rank = want < 1 ? 1 : want > (double)h->count ? h->count : (uint64_t)want;
	uint64_t seen = 0;
	for (unsigned i = 0; i < BN_HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= rank) {
			uint64_t v = bucket_upper(i);
			return v < h->max ? v : h->max;
		}
	}
	return h->max;
}
