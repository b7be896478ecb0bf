/* futex_ring.h: the implementation of the futex_ring mailbox, as static
 * inline functions: futex_ring.c makes the ops table of them, and a benchmark
 * that must call push and pop directly (bench/scen_vtable.c) includes it.
 *
 * futex_ring: the project's bounded MPSC ring. Per-slot sequence numbers
 * (Vyukov's bounded queue), a CAS on the tail to claim a position, exact
 * close through a CLOSED bit in that same tail word, and spin-then-park
 * (park.h) for the empty consumer and for producers facing a full ring.
 *
 * Slot protocol, for the slot of position p (p counts from 0, never wraps):
 *   seq == p          free: the producer that claims p may write it
 *   seq == p + 1      published: message p is readable
 *   seq == p + cap    freed by the consumer: free for position p + cap
 * Producers claim p with a CAS tail: p -> p + 1 (seq_cst), write the message,
 * publish seq = p + 1 (release). The consumer waits for seq == head + 1, reads
 * the message (acquire), frees seq = head + cap (release) and advances head
 * (seq_cst).
 *
 * Parking (park.h): the consumer sleeps on not_empty; its publication P is the
 * producer's claim CAS (seq_cst), and its re-check reads tail. So the publish
 * store needs no barrier: one locked instruction per push (the CAS), one per
 * pop (the head store, P for producers asleep on not_full and the pairing
 * for was_empty). A consumer that finds its slot claimed but not yet
 * published spins and then yields (mbx_i_backoff), never parks: that
 * producer may have checked `armed` before the consumer armed it.
 *
 * Close is exact (MBX_CAP_EXACT_CLOSE): close sets FR_CLOSED in the tail word
 * with one RMW, so every later claim CAS fails, and the positions below the
 * final tail are exactly the pushes that answered MBX_OK. The consumer drains
 * those (waiting out any claimed-but-unpublished slot) and only then answers
 * MBX_CLOSED. The same wait makes try_pop's EMPTY linearizable: EMPTY means
 * "nothing claimed" (tail == head), never "the next slot is late". */
#ifndef MAILROOM_FUTEX_RING_H
#define MAILROOM_FUTEX_RING_H

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "mailbox.h"
#include "mbx_sync.h"
#include "mc_hooks.h"
#include "park.h"

#define FR_CLOSED (UINT64_C(1) << 63) /* in the tail word; positions never reach 2^63 */

/* One slot per cache line: producers fill neighbouring slots at the same time
 * under fan-in, and the consumer frees the one behind them; 48-byte slots
 * would put two positions on one line and bounce it between those writers. */
typedef struct fr_slot {
	_Alignas(MBX_CACHELINE) _Atomic uint64_t seq;
	mbx_msg msg;
} fr_slot;
_Static_assert(sizeof(fr_slot) == MBX_CACHELINE, "one slot per cache line");

typedef struct fr_ring {
	mbx base;       /* read-only after create, like the two fields below */
	uint64_t mask;  /* capacity - 1 */
	fr_slot *slots;
	/* producers: next position to claim, | FR_CLOSED once closed */
	_Alignas(MBX_CACHELINE) _Atomic uint64_t tail;
	/* consumer: next position to take; written by the consumer only, read by
	 * producers for was_empty and for "is there room" while they wait */
	_Alignas(MBX_CACHELINE) _Atomic uint64_t head;
	mbx_i_spin spin_now; /* the consumer's adaptive spin budget (park.h) */
	_Alignas(MBX_CACHELINE) mbx_i_park not_empty; /* the consumer sleeps here */
	_Alignas(MBX_CACHELINE) mbx_i_park not_full;  /* producers facing a full ring sleep here */
	/* their shared adaptive spin budget: written at each of their waits, so
	 * not on the not_full line, which the consumer reads at every pop */
	_Alignas(MBX_CACHELINE) mbx_i_spin full_spin;
} fr_ring;
_Static_assert(offsetof(fr_ring, tail) % MBX_CACHELINE == 0, "tail on its own line");
_Static_assert(offsetof(fr_ring, head) - offsetof(fr_ring, tail) == MBX_CACHELINE, "head apart from tail");
_Static_assert(offsetof(fr_ring, not_empty) - offsetof(fr_ring, head) == MBX_CACHELINE, "waiters apart from head");
_Static_assert(offsetof(fr_ring, not_full) - offsetof(fr_ring, not_empty) == MBX_CACHELINE, "two park lines");
_Static_assert(offsetof(fr_ring, full_spin) - offsetof(fr_ring, not_full) == MBX_CACHELINE, "and apart");
_Static_assert(offsetof(fr_ring, slots) + sizeof(fr_slot *) <= MBX_CACHELINE,
               "the read-only fields fit on the first line, which nobody writes");

extern const mbx_ops mbx_futex_ring_ops;

/* Messages are copies and the slots follow the header (fr_size): nothing to free. */
static inline void fr_fini(mbx *m) { (void)m; }

/* ---- producers ---- */

typedef struct fr_room_ctx {
	fr_ring *q;
	uint64_t t; /* the position the producer wants; ring was full for it */
} fr_room_ctx;

/* Room for position t, or something changed that needs a fresh look (close,
 * or another producer claimed t). Reads head with seq_cst: the consumer's
 * seq_cst head store in fr_take is the publication this waits for. */
static inline bool fr_room_ready(void *p)
{
	fr_room_ctx *c = p;
	if (MC_LOAD(&c->q->tail, memory_order_seq_cst) != c->t)
		return true;
	return c->t - MC_LOAD(&c->q->head, memory_order_seq_cst) <
	       (uint64_t)c->q->base.capacity + MBX_MUTANT(5);
}

static inline mbx_status fr_push_impl(mbx *m, const mbx_msg *msg, bool *was_empty, bool block)
{
	fr_ring *q = (fr_ring *)m;
	/* relaxed: only a guess at the position; the seq_cst CAS below validates
	 * it, and a stale guess fails that CAS or finds the slot taken */
	uint64_t t = MC_LOAD(&q->tail, memory_order_relaxed);
	fr_slot *s;
	for (;;) {
		if (t & FR_CLOSED)
			return MBX_CLOSED;
		s = &q->slots[t & q->mask];
		/* acquire: pairs with the consumer's release store freeing this slot
		 * in fr_take, so its read of the previous message happens before our
		 * write of the next one */
		uint64_t seq = MC_LOAD(&s->seq, memory_order_acquire);
		int64_t d = (int64_t)(seq - t);
		if (d == 0 && MBX_MUTANT(5) &&
		    t - MC_LOAD(&q->head, memory_order_seq_cst) > q->base.capacity)
			d = -1; /* mutant 5: the ring is 2x larger and this check lets capacity+1 in */
		if (d == 0) {
			/* claim t. seq_cst success: it is P for not_empty (the parked
			 * consumer re-checks tail), and it is ordered against close's
			 * seq_cst fetch_or: a claim either precedes the close and is
			 * drained, or fails on the CLOSED bit. relaxed failure: it only
			 * reloads the guess */
			if (MC_CAS_WEAK(&q->tail, &t, t + 1, memory_order_seq_cst,
			                                          memory_order_relaxed))
				break;
			continue;
		}
		uint64_t now = MC_LOAD(&q->tail, memory_order_seq_cst);
		if (d > 0 || now != t) { /* t was claimed by another producer: look again */
			t = now;
			continue;
		}
		/* d < 0 and tail still t: the slot still holds position t - cap, so
		 * `capacity` messages are queued (or the consumer is mid-take) */
		if (!block)
			return MBX_FULL;
		fr_room_ctx c = {q, t};
		mbx_i_park_wait(&q->not_full, q->base.spin, &q->full_spin, false, fr_room_ready, &c, -1);
		t = MC_LOAD(&q->tail, memory_order_relaxed); /* a guess again, as above */
	}
	MBX_CHAOS(); /* claimed, not yet published: the consumer must wait for us */
	MC_WR(&s->msg); /* a plain field: the model checker race-checks it */
	s->msg = *msg;
	/* release: pairs with the consumer's acquire load in fr_published; hands
	 * the message over. Not P for the park: the claim CAS above is. */
	if (MBX_MUTANT(1)) /* mutant 1: relaxed publish, the message is not handed over */
		MC_STORE(&s->seq, t + 1, memory_order_relaxed);
	else
		MC_STORE(&s->seq, t + 1, memory_order_release);
	/* seq_cst load, after the seq_cst claim: if head < t here, the consumer's
	 * head store (of t) comes later in the total order, so its later seq_cst
	 * load of tail sees our claim and it waits for this slot instead of
	 * answering EMPTY: "false" is never false */
	if (was_empty)
		*was_empty = MC_LOAD(&q->head, memory_order_seq_cst) >= t;
	if (!MBX_MUTANT(2)) /* mutant 2: a parked consumer is never woken */
		mbx_i_park_wake(&q->not_empty); /* K1 after the claim (P); after the publish too */
	return MBX_OK;
}

static inline mbx_status fr_push(mbx *m, const mbx_msg *msg, bool *was_empty)
{
	return fr_push_impl(m, msg, was_empty, true);
}

static inline mbx_status fr_try_push(mbx *m, const mbx_msg *msg, bool *was_empty)
{
	return fr_push_impl(m, msg, was_empty, false);
}

/* ---- the consumer ---- */

typedef struct fr_pop_ctx {
	fr_ring *q;
	fr_slot *s;
	uint64_t h;
} fr_pop_ctx;

/* acquire: pairs with the producer's release publish in fr_push_impl */
static inline bool fr_published(const fr_pop_ctx *c)
{
	return MC_LOAD(&c->s->seq, memory_order_acquire) == c->h + 1;
}

/* Park condition: slot h published, or tail moved away from "h, open" (a
 * claim, or a close). The seq_cst load of tail is the re-check half of the
 * Dekker pairing with the claim CAS and close's fetch_or (park.h). The slot
 * is looked at first, so a spinning consumer mostly reads the slot's line,
 * not the producers' tail line. */
static inline bool fr_pop_ready(void *p)
{
	fr_pop_ctx *c = p;
	return fr_published(c) || MC_LOAD(&c->q->tail, memory_order_seq_cst) != c->h;
}

static inline mbx_status fr_take(fr_ring *q, fr_pop_ctx *c, mbx_msg *out)
{
	MC_RD(&c->s->msg);
	*out = c->s->msg;
	/* release: pairs with the acquire load of seq by the producer that
	 * claims position h + cap; our read of the message happens before its
	 * write */
	MC_STORE(&c->s->seq, c->h + q->mask + 1, memory_order_release);
	/* seq_cst: P for not_full (producers re-check head after announcing) and
	 * the pairing for was_empty. It also releases the free above to a
	 * producer that learns about it through head. */
	MC_STORE(&q->head, c->h + 1, memory_order_seq_cst);
	mbx_i_park_wake(&q->not_full);
	return MBX_OK;
}

/* deadline_ns: 0 = do not wait (try_pop), < 0 = forever, else absolute. */
static inline mbx_status fr_pop_until(mbx *m, mbx_msg *out, int64_t deadline_ns)
{
	fr_ring *q = (fr_ring *)m;
	/* relaxed: head is written only by the consumer, i.e. by us */
	uint64_t h = MC_LOAD(&q->head, memory_order_relaxed);
	fr_pop_ctx c = {q, &q->slots[h & q->mask], h};
	bool timed_out = false;
	unsigned round = 0;
	for (;;) {
		if (fr_published(&c))
			return fr_take(q, &c, out);
		uint64_t t = MC_LOAD(&q->tail, memory_order_seq_cst);
		if ((t & ~FR_CLOSED) != h) {
			/* h is claimed, not yet published: that push is in flight.
			 * Waiting for it (instead of answering EMPTY) keeps EMPTY
			 * linearizable and close exact. */
			mbx_i_backoff(&round);
			continue;
		}
		round = 0;
		if (t & FR_CLOSED)
			return MBX_CLOSED; /* closed, and every claimed position taken */
		if (timed_out)
			return MBX_TIMEOUT;
		if (deadline_ns == 0)
			return MBX_EMPTY;
		if (!mbx_i_park_wait(&q->not_empty, q->base.spin, &q->spin_now, true, fr_pop_ready, &c,
		                     deadline_ns))
			timed_out = true; /* one last look above */
	}
}

static inline mbx_status fr_pop(mbx *m, mbx_msg *out) { return fr_pop_until(m, out, -1); }
static inline mbx_status fr_try_pop(mbx *m, mbx_msg *out) { return fr_pop_until(m, out, 0); }
static inline mbx_status fr_pop_timeout(mbx *m, mbx_msg *out, int64_t ns)
{
	return fr_pop_until(m, out, mbx_deadline_ns(ns));
}

static inline void fr_close(mbx *m)
{
	fr_ring *q = (fr_ring *)m;
	/* seq_cst RMW: P for both parks; from here on every claim CAS fails */
	MC_FETCH_OR(&q->tail, FR_CLOSED, memory_order_seq_cst);
	mbx_i_park_wake(&q->not_empty);
	mbx_i_park_wake(&q->not_full);
}

static inline size_t fr_len(mbx *m)
{
	fr_ring *q = (fr_ring *)m;
	/* relaxed: an estimate by contract, no data depends on it; head first,
	 * so a concurrent pop cannot make it look larger than the tail */
	uint64_t h = MC_LOAD(&q->head, memory_order_relaxed);
	uint64_t t = MC_LOAD(&q->tail, memory_order_relaxed) & ~FR_CLOSED;
	if (t <= h)
		return 0;
	return t - h > q->mask + 1 ? (size_t)(q->mask + 1) : (size_t)(t - h);
}

/* The ring's slots (2x for mutant 5) right after the header: one allocation. */
static inline size_t fr_slots_of(const mbx *base)
{
	return MBX_MUTANT(5) ? 2 * (size_t)base->capacity : base->capacity;
}

static inline size_t fr_size(const mbx_config *cfg)
{
	mbx h;
	if (mbx_i_init(&h, &mbx_futex_ring_ops, cfg))
		return 0;
	return sizeof(fr_ring) + fr_slots_of(&h) * sizeof(fr_slot);
}
_Static_assert(sizeof(fr_ring) % MBX_CACHELINE == 0, "the slots after the header stay line-aligned");

static inline int fr_init(mbx *m, const mbx_config *cfg)
{
	fr_ring *q = (fr_ring *)m;
	memset(q, 0, sizeof *q);
	int err = mbx_i_init(&q->base, &mbx_futex_ring_ops, cfg);
	if (err)
		return err;
	size_t cap = fr_slots_of(&q->base); /* a power of two, 2 .. 2^30 (mbx_i_init) */
	q->mask = cap - 1;
	q->slots = (fr_slot *)(void *)(q + 1);
	for (size_t i = 0; i < cap; i++) {
		atomic_init(&q->slots[i].seq, i); /* slot i is free for position i */
		memset(&q->slots[i].msg, 0, sizeof q->slots[i].msg);
	}
	atomic_init(&q->tail, 0);
	atomic_init(&q->head, 0);
	mbx_i_spin_init(&q->spin_now, q->base.spin);
	mbx_i_spin_init(&q->full_spin, q->base.spin);
	mbx_i_park_init(&q->not_empty);
	mbx_i_park_init(&q->not_full);
	return 0;
}

/* For callers of this header that want the kind without the table. */
static inline mbx *fr_create(const mbx_config *cfg)
{
	return mbx_create(&mbx_futex_ring_ops, cfg ? cfg->capacity : 0, cfg ? cfg->spin : -1);
}

#endif
