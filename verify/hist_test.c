/* hist_test.c: bench/hist.c against sorted samples. For several seeded
 * distributions (exact small values, uniform, log-uniform up to 2^40, a
 * constant, a bimodal tail), every quantile the histogram reports must be
 * within BN_HIST_REL_ERR of the sample of the same rank in the sorted list
 * (exact below 2 * BN_HIST_SUB), never outside [min, max]; the tail count
 * must be the samples in and above that sample's bucket; and two halves
 * merged must equal the histogram of the whole. Prints its seed. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "hist.h"
#include "mbx_sync.h"

#define N 100000

static uint64_t rng(uint64_t *s)
{
	*s = mbx_mix64(*s + UINT64_C(0x9e3779b97f4a7c15));
	return *s;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static uint64_t draw(int dist, uint64_t *s)
{
	uint64_t v = rng(s);
	switch (dist) {
	case 0: return v % (2 * BN_HIST_SUB);           /* exact range */
	case 1: return 1000 + v % 1000000;               /* uniform */
	case 2: return (v >> 24) >> (v % 40);            /* log-uniform-ish up to 2^40 */
	case 3: return 123456789;                        /* constant */
	default: return v % 100 ? 200 + v % 50 : UINT64_C(1) << (20 + v % 20); /* bimodal tail */
	}
}

static void check_dist(int dist, uint64_t seed, uint64_t *x, bn_hist *h, bn_hist *a, bn_hist *b)
{
	uint64_t s = seed;
	bn_hist_reset(h);
	bn_hist_reset(a);
	bn_hist_reset(b);
	for (size_t i = 0; i < N; i++) {
		x[i] = draw(dist, &s);
		bn_hist_record(h, x[i]);
		bn_hist_record(i % 3 ? a : b, x[i]);
	}
	qsort(x, N, sizeof *x, cmp_u64);
	CHECK_EQU(h->count, N);
	CHECK_EQU(h->min, x[0]);
	CHECK_EQU(h->max, x[N - 1]);
	static const double qs[] = {0.0001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 0.9999, 1.0};
	for (size_t k = 0; k < sizeof qs / sizeof qs[0]; k++) {
		uint64_t rank = (uint64_t)ceil(qs[k] * N);
		uint64_t exact = x[rank - 1], got = bn_hist_quantile(h, qs[k]);
		uint64_t err = got > exact ? got - exact : exact - got;
		if (exact < 2 * BN_HIST_SUB)
			CHECK_EQU(got, exact);
		else
			CHECK((double)err <= BN_HIST_REL_ERR * (double)exact);
		CHECK(got >= h->min && got <= h->max);
		uint64_t tail = 0;
		for (size_t i = 0; i < N; i++)
			tail += bn_hist_index(x[i]) >= bn_hist_index(exact);
		CHECK_EQU(bn_hist_tail(h, qs[k]), tail);
	}
	bn_hist_merge(a, b);
	CHECK_EQU(a->count, h->count);
	CHECK_EQU(a->min, h->min);
	CHECK_EQU(a->max, h->max);
	CHECK(memcmp(a->b, h->b, sizeof h->b) == 0);
	printf("hist_test: distribution %d: p50 %" PRIu64 " p99 %" PRIu64 " max %" PRIu64 ": ok\n", dist,
	       bn_hist_quantile(h, 0.5), bn_hist_quantile(h, 0.99), h->max);
}

int main(int argc, char **argv)
{
	uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 10) : 12345;
	printf("hist_test: seed %" PRIu64 " (replay: hist_test %" PRIu64 ")\n", seed, seed);
	uint64_t *x = malloc(N * sizeof *x);
	bn_hist *h = calloc(3, sizeof *h);
	CHECK(x && h);
	bn_hist empty = {0};
	CHECK_EQU(bn_hist_quantile(&empty, 0.5), 0);
	CHECK_EQU(bn_hist_tail(&empty, 0.5), 0);
	for (int d = 0; d < 5; d++)
		check_dist(d, seed + (uint64_t)d, x, &h[0], &h[1], &h[2]);
	free(x);
	free(h);
	return 0;
}
