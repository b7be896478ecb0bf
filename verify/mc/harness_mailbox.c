/* harness_mailbox.c: model-checking harnesses over the shipped mailboxes
 * (futex_ring, vyukov, lazy_ring), built from the same sources with
 * MAILROOM_MODEL, so every atomic, futex call and spin of park.h,
 * futex_ring.h, vyukov.c and lazy_ring.c is a scheduling point. Spin budget 0: a waiter parks at once (the spin phase
 * only delays the park; with it the same schedules recur, longer).
 *
 * Oracles: every message pushed with MBX_OK is popped exactly once, intact,
 * in per-producer order; a try_pop answers EMPTY only if no push had
 * completed before it began (minus those already taken); with close, the
 * consumer's MBX_CLOSED comes after every OK push was taken (futex_ring,
 * lazy_ring: exact close) or the rest is drained afterwards (vyukov). A lost wake-up
 * shows as the checker's lost-wakeup failure, a missing hand-off as a
 * data race on the message. */
#include <stdio.h>
#include <stdlib.h>

#include "mailbox.h"
#include "mbx_sync.h"
#include "mc.h"

extern const mbx_ops mbx_futex_ring_ops;
extern const mbx_ops mbx_vyukov_ops;
extern const mbx_ops mbx_lazy_ring_ops;

enum { HB_MAX = 8 };

typedef enum { POP, TRY_POP, POP_UNTIL_CLOSED } hb_consumer;

typedef struct hb_spec {
	const mbx_ops *ops;
	uint32_t capacity;
	int producers, per_producer;
	hb_consumer consumer;
	bool closer; /* one more thread closes the mailbox */
} hb_spec;

typedef struct hb {
	const hb_spec *sp;
	mbx *m;
	int ok_pushes[HB_MAX]; /* per producer, written by that producer only */
	_Atomic uint32_t completed; /* pushes that returned MBX_OK (for the EMPTY oracle) */
	int got, got_from[HB_MAX];
	char why[200];
} hb;

static uint64_t hb_payload(int sender, int seq) { return mbx_mix64((uint64_t)sender << 32 | (uint32_t)seq); }

static void *hb_setup(const hb_spec *sp)
{
	hb *c = calloc(1, sizeof *c);
	c->sp = sp;
	c->m = mbx_create(sp->ops, sp->capacity, 0);
	if (!c->m) {
		fprintf(stderr, "mc: mbx_create(%s) failed\n", sp->ops->name);
		abort();
	}
	atomic_init(&c->completed, 0);
	return c;
}

static void hb_got(hb *c, const mbx_msg *msg)
{
	int s = (int)msg->sender;
	if (s < 1 || s > c->sp->producers)
		mc_fail("oracle", "a message from unknown sender %d", s);
	if (msg->seq != (uint64_t)c->got_from[s])
		mc_fail("oracle", "from producer %d: message %llu where %d was next (lost, duplicated or reordered)", s,
		        (unsigned long long)msg->seq, c->got_from[s]);
	if (msg->a != hb_payload(s, (int)msg->seq) || msg->b != ~msg->a)
		mc_fail("oracle", "producer %d message %llu: payload corrupted", s, (unsigned long long)msg->seq);
	c->got_from[s]++;
	c->got++;
}

static void hb_consume(hb *c)
{
	const hb_spec *sp = c->sp;
	int want = sp->producers * sp->per_producer;
	mbx_msg msg;
	for (;;) {
		if (sp->consumer == POP) {
			if (c->got == want)
				return;
			mbx_status st = mbx_pop(c->m, &msg);
			if (st != MBX_OK)
				mc_fail("oracle", "pop answered %d with %d messages still due", (int)st, want - c->got);
			hb_got(c, &msg);
		} else if (sp->consumer == TRY_POP) {
			if (c->got == want)
				return;
			uint32_t done = MC_LOAD(&c->completed, memory_order_seq_cst);
			mbx_status st = mbx_try_pop(c->m, &msg);
			if (st == MBX_OK) {
				hb_got(c, &msg);
			} else if (st == MBX_EMPTY && done > (uint32_t)c->got) {
				mc_fail("oracle", "try_pop answered EMPTY after %u pushes had completed and %d were taken",
				        done, c->got);
			} else if (st == MBX_EMPTY || st == MBX_RETRY) {
				MC_YIELD(); /* poll again once somebody else moved */
			} else {
				mc_fail("oracle", "try_pop answered %d", (int)st);
			}
		} else {
			mbx_status st = mbx_pop(c->m, &msg);
			if (st == MBX_CLOSED)
				return;
			if (st != MBX_OK)
				mc_fail("oracle", "pop answered %d before CLOSED", (int)st);
			hb_got(c, &msg);
		}
	}
}

static void hb_thread(void *ctx, int tid)
{
	hb *c = ctx;
	const hb_spec *sp = c->sp;
	if (tid == 0) {
		hb_consume(c);
		return;
	}
	if (tid > sp->producers) {
		mbx_close(c->m);
		return;
	}
	for (int i = 0; i < sp->per_producer; i++) {
		mbx_msg msg = {.tag = 1, .sender = (uint32_t)tid, .seq = (uint64_t)c->ok_pushes[tid]};
		msg.a = hb_payload(tid, (int)msg.seq);
		msg.b = ~msg.a;
		mbx_status st = mbx_push(c->m, &msg, NULL);
		if (st == MBX_CLOSED && sp->closer)
			return;
		if (st != MBX_OK)
			mc_fail("oracle", "producer %d: push answered %d", tid, (int)st);
		c->ok_pushes[tid]++;
		MC_FETCH_ADD(&c->completed, 1, memory_order_seq_cst);
	}
}

static void hb_drain_one(const mbx_msg *msg, void *ctx) { hb_got(ctx, msg); }

static const char *hb_check(void *ctx)
{
	hb *c = ctx;
	const hb_spec *sp = c->sp;
	if (sp->closer && !(sp->ops->caps & MBX_CAP_EXACT_CLOSE))
		mbx_drain(c->m, hb_drain_one, c); /* pushes that linked after CLOSED (mailbox.h, "close") */
	for (int s = 1; s <= sp->producers; s++)
		if (c->got_from[s] != c->ok_pushes[s]) {
			snprintf(c->why, sizeof c->why, "producer %d: %d pushes answered OK, %d messages %s", s,
			         c->ok_pushes[s], c->got_from[s], sp->closer ? "taken before CLOSED (exact close)" : "taken");
			return c->why;
		}
	mbx_msg msg;
	if (mbx_try_pop(c->m, &msg) == MBX_OK)
		return "a message left over after the consumer finished";
	return NULL;
}

static void hb_teardown(void *ctx)
{
	hb *c = ctx;
	mbx_destroy(c->m);
	free(c);
}

#define HARNESS(id, nthreads, bound, summary, ...)                                                              \
	static const hb_spec id##_spec = {__VA_ARGS__};                                                          \
	static void *id##_setup(void) { return hb_setup(&id##_spec); }                                           \
	const mc_harness mc_##id = {#id, summary, nthreads, id##_setup, hb_thread, hb_check, hb_teardown, bound};

/* The four harnesses of a bounded exact-close ring (prefix p): consumer parks
 * on empty, producers wait on full (capacity 2), a push races close, try_pop
 * never a wrong EMPTY; cap is the capacity of all but the full one. */
#define BOUNDED_RING_HARNESSES(p, kind, ops, cap)                                                               \
	HARNESS(p##_park, 3, 2, kind ": consumer parks on empty, 2 producers push 1 each", ops, cap, 2, 1, POP,   \
	        false)                                                                                           \
	HARNESS(p##_full, 3, 1, kind ", capacity 2: 2 producers push 2 each, so they wait on full", ops, 2, 2, 2,  \
	        POP, false)                                                                                      \
	HARNESS(p##_close, 3, 2, kind ": a push races close; CLOSED only after every OK push is taken", ops, cap, \
	        1, 2, POP_UNTIL_CLOSED, true)                                                                    \
	HARNESS(p##_trypop, 3, 2, kind ": try_pop never answers EMPTY after a completed push", ops, cap, 2, 1,    \
	        TRY_POP, false)

/* threads: T0 the consumer, T1..Tp the producers, then the closer */
BOUNDED_RING_HARNESSES(fr, "futex_ring", &mbx_futex_ring_ops, 2)
HARNESS(vy_park, 3, 2, "vyukov: consumer parks on empty, 2 producers push 1 each",
        &mbx_vyukov_ops, MBX_UNBOUNDED, 2, 1, POP, false)
HARNESS(vy_close, 3, 2, "vyukov: a push races close; every OK push is taken or drained",
        &mbx_vyukov_ops, MBX_UNBOUNDED, 1, 2, POP_UNTIL_CLOSED, true)
HARNESS(vy_retry, 3, 2, "vyukov: try_pop meets pushes mid-link (RETRY), never a wrong EMPTY",
        &mbx_vyukov_ops, MBX_UNBOUNDED, 2, 1, TRY_POP, false)
/* lazy_ring: capacity 8, so the consumer publishes head every k = 2 pops (and
 * before it waits): the lazy path is in every schedule; capacity 2 (k = 1)
 * for the full ring, whose producers wait on the cached head and not_full */
BOUNDED_RING_HARNESSES(lr, "lazy_ring", &mbx_lazy_ring_ops, 8)
