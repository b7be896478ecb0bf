/* hist.h: a log-linear latency histogram in the style of HdrHistogram (128
 * sub-buckets per power of two, about 2.4 significant digits), hand-written
 * because Debian 12 packages HdrHistogram for Java and Go only, not for C.
 * Values below 2 * BN_HIST_SUB are exact; above, a bucket [lo, lo + w) has
 * w <= lo / BN_HIST_SUB, and a quantile is reported as the bucket's
 * midpoint, so it is within BN_HIST_REL_ERR of the true sample (relative).
 * Recording is a clz, a shift and two increments: no allocation. One per
 * thread (not thread-safe). */
#ifndef MAILROOM_BENCH_HIST_H
#define MAILROOM_BENCH_HIST_H

#include <stdint.h>

#define BN_HIST_SUB_BITS 7
#define BN_HIST_SUB (1u << BN_HIST_SUB_BITS)
/* values < 2*SUB are exact (one bucket each); then SUB buckets per power of
 * two up to 2^63 */
#define BN_HIST_BUCKETS ((64 - BN_HIST_SUB_BITS + 1) * BN_HIST_SUB)
/* |reported - true| <= BN_HIST_REL_ERR * true (half a bucket: w/2 <= lo/256) */
#define BN_HIST_REL_ERR (1.0 / (2.0 * BN_HIST_SUB))

typedef struct bn_hist {
	uint64_t count, min, max; /* min: meaningful only when count > 0 */
	uint64_t b[BN_HIST_BUCKETS];
} bn_hist;

static inline unsigned bn_hist_index(uint64_t v)
{
	if (v < BN_HIST_SUB)
		return (unsigned)v;
	unsigned e = 63u - (unsigned)__builtin_clzll(v); /* e >= SUB_BITS */
	return (e - BN_HIST_SUB_BITS + 1) * BN_HIST_SUB +
	       (unsigned)((v >> (e - BN_HIST_SUB_BITS)) & (BN_HIST_SUB - 1));
}

static inline void bn_hist_record(bn_hist *h, uint64_t v)
{
	h->b[bn_hist_index(v)]++;
	if (h->count++ == 0 || v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

void bn_hist_reset(bn_hist *h);
void bn_hist_merge(bn_hist *into, const bn_hist *from);
/* The q-quantile (0 < q <= 1) of the recorded values: the sample of rank
 * ceil(q * count), reported as the midpoint of its bucket clamped to
 * [min, max], so within BN_HIST_REL_ERR of it (exact below 2 * BN_HIST_SUB).
 * 0 when empty. */
uint64_t bn_hist_quantile(const bn_hist *h, double q);
/* How many recorded values lie in buckets at or above the q-quantile's: the
 * samples the quantile rests on (a p99.9 over 1000 samples rests on ~1). */
uint64_t bn_hist_tail(const bn_hist *h, double q);

#endif
