/* lincheck.h: an O(n) linearizability checker for single-consumer queue
 * histories (Henzinger, Sezgin, Vafeiadis, "Aspect-oriented linearizability
 * proofs", CONCUR 2013: a queue history with unique values is linearizable
 * iff it has none of the violations VFresh, VRepet, VOrd, VWit, VLoss).
 * With one consumer its program order is the dequeue order, so each check is
 * one pass. Pops answered RETRY are non-answers (they did not take effect)
 * and are not recorded; EMPTY answers are recorded and checked (VWit). */
#ifndef MAILROOM_LINCHECK_H
#define MAILROOM_LINCHECK_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define LC_EMPTY UINT64_MAX

typedef struct lc_enq { int64_t inv, resp; } lc_enq; /* indexed by value */
typedef struct lc_deq { int64_t inv, resp; uint64_t v; } lc_deq; /* v or LC_EMPTY */

typedef struct lc_result {
	uint64_t fresh, repet, ord, wit, loss;
	uint64_t first_bad_value, first_bad_pos;
	const char *first_kind;
} lc_result;

static inline void lc_note(lc_result *r, const char *kind, uint64_t v, uint64_t pos)
{
	if (!r->first_kind) {
		r->first_kind = kind;
		r->first_bad_value = v;
		r->first_bad_pos = pos;
	}
}

/* enq[v] for v < nvalues (inv == 0: never enqueued successfully);
 * deq[0..ndeq) in the consumer's order. complete: every enqueue has
 * finished and the consumer drained to EMPTY afterwards, so a completed
 * enqueue never dequeued is a loss. */
static inline lc_result lc_check(const lc_enq *enq, uint64_t nvalues, const lc_deq *deq, uint64_t ndeq,
                                 int complete)
{
	lc_result r = {0};
	uint8_t *seen = calloc(nvalues ? nvalues : 1, 1);
	if (!seen) {
		fprintf(stderr, "lincheck: out of memory\n");
		abort();
	}
	for (uint64_t k = 0; k < ndeq; k++) {
		uint64_t v = deq[k].v;
		if (v == LC_EMPTY)
			continue;
		if (v >= nvalues || enq[v].inv == 0 || deq[k].resp < enq[v].inv) {
			r.fresh++; /* VFresh: dequeued before it was enqueued, or never enqueued */
			lc_note(&r, "VFresh", v, k);
			continue;
		}
		if (seen[v]++) {
			r.repet++; /* VRepet: dequeued twice */
			lc_note(&r, "VRepet", v, k);
		}
	}
	/* Backwards: suf = the earliest enqueue response among values dequeued
	 * after position k. */
	int64_t suf = INT64_MAX;
	for (uint64_t i = ndeq; i-- > 0;) {
		uint64_t v = deq[i].v;
		if (v == LC_EMPTY) {
			if (suf < deq[i].inv) {
				r.wit++; /* VWit: a value was surely in the queue, yet EMPTY */
				lc_note(&r, "VWit", v, i);
			}
			continue;
		}
		if (v >= nvalues || enq[v].inv == 0)
			continue;
		if (suf < enq[v].inv) {
			r.ord++; /* VOrd: enq(a) finished before enq(v) began, but a was dequeued after v */
			lc_note(&r, "VOrd", v, i);
		}
		if (enq[v].resp < suf)
			suf = enq[v].resp;
	}
	if (complete) {
		for (uint64_t v = 0; v < nvalues; v++) {
			if (enq[v].inv && !seen[v]) {
				r.loss++; /* VLoss: enqueued, never dequeued, queue drained */
				lc_note(&r, "VLoss", v, 0);
			}
		}
	}
	free(seen);
	return r;
}

static inline uint64_t lc_violations(const lc_result *r)
{
	return r->fresh + r->repet + r->ord + r->wit + r->loss;
}

#endif
