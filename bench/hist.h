/* hist.h: a log-linear latency histogram in the style of HdrHistogram (16
 * sub-buckets per power of two: any value is known within 1/16), hand-written
 * because Debian 12 packages HdrHistogram for Java and Go only, not for C.
 * Recording is a clz, a shift and two increments: no allocation. One per
 * thread (not thread-safe). */
#ifndef MAILROOM_BENCH_HIST_H
#define MAILROOM_BENCH_HIST_H

#include <stdint.h>

#define BN_HIST_SUB_BITS 4
#define BN_HIST_SUB (1u << BN_HIST_SUB_BITS)
/* values < 2*SUB are exact (one bucket each); then SUB buckets per power of
 * two up to 2^63 */
#define BN_HIST_BUCKETS ((64 - BN_HIST_SUB_BITS + 1) * BN_HIST_SUB)

typedef struct bn_hist {
	uint64_t count, max;
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
	h->count++;
	if (v > h->max)
		h->max = v;
}

void bn_hist_reset(bn_hist *h);
void bn_hist_merge(bn_hist *into, const bn_hist *from);
/* The smallest value v such that at least q (0 < q <= 1) of the recorded
 * values are <= v, rounded up to its bucket's upper edge (never above max).
 * 0 when empty. */
uint64_t bn_hist_quantile(const bn_hist *h, double q);

#endif
