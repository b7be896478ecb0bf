/* lincheck.h: an O(n) linearizability checker for single-consumer queue
 * histories (Henzinger, Sezgin, Vafeiadis, "Aspect-oriented linearizability
 * proofs", CONCUR 2013: a queue history with unique values is linearizable
 * iff it has none of the violations VFresh, VRepet, VOrd, VWit, VLoss).
 * With one consumer its program order is the dequeue order, so each check is
 * one pass. Pops answered RETRY are non-answers (they did not take effect)
 * and are not recorded; EMPTY answers are recorded and checked (VWit). */
#ifndef MAILROOM_LINCHECK_H
#define MAILROOM_LINCHECK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* ---------------------------------------------------------------------------
 * Small histories with every answer: a search against the sequential model.
 *
 * The O(n) check above knows push OK and pop OK/EMPTY only. For short
 * histories (<= LC_MAX_OPS operations) with FULL, TIMEOUT and CLOSED answers
 * and close itself, lc_model_check searches for a linearization (Wing & Gong
 * as Lowe improved it: linearize, among the operations invoked before the
 * earliest pending response, one the model accepts; memoize (done-set,
 * state) pairs that failed). Hand-written: no Debian package offers a
 * linearizability checker for C. The sequential model is the mailbox
 * contract (mailbox.h) with an exact close:
 *   push v:  closed -> CLOSED; len == capacity -> FULL; else OK, v appended
 *   pop:     len > 0 -> OK with the oldest value; closed -> CLOSED;
 *            else EMPTY (try_pop) or TIMEOUT (pop_timeout)
 *   close:   closed = true (idempotent)
 * RETRY answers are non-answers and are not recorded. Values are 1..255. */
enum { LC_MAX_OPS = 48, LC_MAX_LEN = 16 };
typedef enum lc_kind { LC_PUSH, LC_POP, LC_CLOSE } lc_kind;
typedef enum lc_answer { LC_A_OK, LC_A_FULL, LC_A_EMPTY, LC_A_TIMEOUT, LC_A_CLOSED } lc_answer;

typedef struct lc_op {
	int64_t inv, resp;
	lc_kind kind;
	lc_answer ans;
	uint8_t v; /* push: the value; pop OK: the value returned */
} lc_op;

typedef struct lc_state {
	uint8_t q[LC_MAX_LEN]; /* q[0] is the oldest */
	uint8_t len, closed;
} lc_state;

static inline bool lc_step(const lc_op *op, uint32_t capacity, const lc_state *s, lc_state *out)
{
	*out = *s;
	switch (op->kind) {
	case LC_PUSH:
		if (s->closed)
			return op->ans == LC_A_CLOSED;
		if (s->len >= capacity || s->len == LC_MAX_LEN)
			return op->ans == LC_A_FULL;
		if (op->ans != LC_A_OK)
			return false;
		out->q[out->len++] = op->v;
		return true;
	case LC_POP:
		if (s->len > 0) {
			if (op->ans != LC_A_OK || op->v != s->q[0])
				return false;
			memmove(out->q, out->q + 1, --out->len);
			out->q[out->len] = 0;
			return true;
		}
		if (s->closed)
			return op->ans == LC_A_CLOSED;
		return op->ans == LC_A_EMPTY || op->ans == LC_A_TIMEOUT;
	case LC_CLOSE:
		out->closed = 1;
		return op->ans == LC_A_OK;
	}
	return false;
}

typedef struct lc_memo_entry { uint64_t done; lc_state s; uint8_t used; } lc_memo_entry;
enum { LC_MEMO = 1 << 14 };

typedef struct lc_search {
	const lc_op *ops;
	int n;
	uint32_t capacity;
	lc_memo_entry *memo; /* LC_MEMO slots: (done, state) pairs known to fail */
	uint64_t nodes;
} lc_search;

static inline uint64_t lc_memo_hash(uint64_t done, const lc_state *s)
{
	uint64_t h = done * UINT64_C(0x9e3779b97f4a7c15);
	for (int i = 0; i < s->len; i++)
		h = (h ^ s->q[i]) * UINT64_C(0x100000001b3);
	return h ^ ((uint64_t)s->len << 1) ^ s->closed;
}

/* true if (done, s) was already found to fail; else records it */
static inline bool lc_memo_seen(lc_search *x, uint64_t done, const lc_state *s)
{
	for (uint64_t h = lc_memo_hash(done, s), k = 0; k < LC_MEMO; k++) {
		lc_memo_entry *e = &x->memo[(h + k) & (LC_MEMO - 1)];
		if (!e->used) {
			*e = (lc_memo_entry){done, *s, 1};
			return false;
		}
		if (e->done == done && !memcmp(&e->s, s, sizeof *s))
			return true;
	}
	return false; /* table full: search on without memo */
}

static inline bool lc_search_from(lc_search *x, uint64_t done, const lc_state *s)
{
	uint64_t all = x->n == 64 ? UINT64_MAX : (UINT64_C(1) << x->n) - 1;
	if (done == all)
		return true;
	if (lc_memo_seen(x, done, s))
		return false;
	x->nodes++;
	int64_t first_resp = INT64_MAX; /* the earliest response still pending */
	for (int i = 0; i < x->n; i++)
		if (!(done >> i & 1) && x->ops[i].resp < first_resp)
			first_resp = x->ops[i].resp;
	for (int i = 0; i < x->n; i++) {
		if ((done >> i & 1) || x->ops[i].inv > first_resp)
			continue; /* linearized, or must come after a pending op */
		lc_state next;
		if (lc_step(&x->ops[i], x->capacity, s, &next) &&
		    lc_search_from(x, done | UINT64_C(1) << i, &next))
			return true;
	}
	return false;
}

/* Is the history linearizable against the model with this capacity
 * (UINT32_MAX: unbounded)? n <= LC_MAX_OPS. */
static inline bool lc_model_check(const lc_op *ops, int n, uint32_t capacity)
{
	if (n > LC_MAX_OPS) {
		fprintf(stderr, "lincheck: history of %d ops, at most %d\n", n, LC_MAX_OPS);
		abort();
	}
	lc_search x = {ops, n, capacity, calloc(LC_MEMO, sizeof(lc_memo_entry)), 0};
	if (!x.memo) {
		fprintf(stderr, "lincheck: out of memory\n");
		abort();
	}
	lc_state s0 = {{0}, 0, 0};
	bool ok = lc_search_from(&x, 0, &s0);
	free(x.memo);
	return ok;
}

static inline void lc_print_history(FILE *f, const lc_op *ops, int n)
{
	static const char *kinds[] = {"push", "pop", "close"};
	static const char *answers[] = {"OK", "FULL", "EMPTY", "TIMEOUT", "CLOSED"};
	int64_t t0 = INT64_MAX;
	for (int i = 0; i < n; i++)
		t0 = ops[i].inv < t0 ? ops[i].inv : t0;
	for (int i = 0; i < n; i++)
		fprintf(f, "  [%8lld, %8lld] %-5s %-7s v=%u\n", (long long)(ops[i].inv - t0),
		        (long long)(ops[i].resp - t0), kinds[ops[i].kind], answers[ops[i].ans], ops[i].v);
}

#endif
