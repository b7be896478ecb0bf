/* lazy_ring: bounded MPSC ring in the Disruptor / MCRingBuffer shape: only
 * producers write slots, and the consumer publishes its position lazily.
 *
 * Slot protocol, for position p (counts from 0, never wraps; 2^63 limit as in
 * futex_ring): a slot is { seq, message }, one 64-byte line; position p is
 * published when its slot's seq == p + 1 (lap-tagged, so the value the slot
 * held for p - cap never looks published for p). The consumer never writes
 * a slot: slot lines travel one way, producer to consumer.
 *
 * Room: a producer may claim t only when t - cached_head < capacity, where
 * cached_head (on the producers' own line) is a lower bound of the positions
 * the consumer has finished reading. When it says full, the producer reads
 * the consumer's index `pos` (stored with release after every pop) and
 * refreshes cached_head; FULL is answered only when `pos` itself says full,
 * so capacity is exact both ways: never more than `capacity` queued, never
 * FULL with a free slot the consumer has handed back.
 *
 * Claim: a CAS tail: t -> t + 1 (seq_cst), the CLOSED bit in the same word,
 * set by close with fetch_or: close is exact (MBX_CAP_EXACT_CLOSE), as in
 * futex_ring: the positions below the final tail are exactly the pushes that
 * answered MBX_OK, and the consumer drains them before it answers CLOSED.
 *
 * The lazy part: the consumer publishes `head` (a seq_cst store, the only
 * full barrier on its side) every k pops (k = min(32, cap / 4), at least 1),
 * and always before it answers EMPTY, returns TIMEOUT or parks. Also at once
 * when a pop peeks the not_full park armed (a producer asleep on a full ring).
 *
 * was_empty is never falsely false. The producer of t loads head after its
 * claim (both seq_cst). Before the consumer answers EMPTY or TIMEOUT or parks
 * at position c, it stores head = c and then loads tail (both seq_cst; a
 * store skipped because head already holds c is an earlier one, before the
 * load in the total order S all the same). If that store follows our head
 * load in S, its tail load follows our claim, sees tail > t >= c, and the
 * consumer waits for position c instead of idling. If it precedes our load,
 * false means c <= h < t (h: the value we read); then either its tail load
 * follows our claim (as before: no idling), or it idled before position c
 * was claimed, and the producer of c, claiming after that load, reads head
 * >= c: true, the signal, or the consumer was already past c. Either way a
 * draining consumer reaches t without a signal from us. A producer also
 * loads `pos` when head is within k of t: pos >= t means the consumer has
 * taken everything before t (the mailbox was empty): true. That only adds
 * trues, and makes "push after pop" true in one thread, where head lags.
 *
 * Parking (park.h): the consumer sleeps on not_empty; its P is the claim CAS
 * and its re-check reads tail. Producers facing a full ring sleep on
 * not_full; its P is the consumer's head store, and their re-check reads head
 * (and pos, which only adds wake-ups). A pop's relaxed peek at not_full.armed
 * is a shortcut, not part of the pairing: a peek that races a producer's
 * arming may miss it, and then that producer wakes at the next publication
 * (k pops, or the consumer's next wait). A consumer that stops popping in the
 * middle of a batch without waiting could then leave a producer asleep beside
 * up to k - 1 free slots until it pops or waits again, and forever when the
 * consumer's handler waits on that very producer (an ask to an actor blocked
 * pushing into the asker's mailbox: a deadlock the room it made should have
 * prevented). So a producer's sleep on a full ring is bounded: it wakes after
 * LR_FULL_RECHECK_NS at most and re-reads pos. A missed peek costs at most
 * that much latency, never progress; a full ring that stays full costs its
 * sleeping producers one futex wait per LR_FULL_RECHECK_NS.
 *
 * Waiting (crossbeam's Backoff): a waiter checks only its own word (the
 * consumer: the next slot's seq; a producer facing full: pos) with 1, 2, 4,
 * ... 64 pauses between checks until the spin budget (in pauses, adaptive as
 * park.h's, so a waiter sharing a core with its peer stops spinning) is spent,
 * then yields a few times (spin > 0 only), then parks through mbx_i_park_wait
 * with spin 0 and the full re-check. A pop that may wait (not try_pop)
 * first watches its slot for up to LR_PRESPIN pauses (and no more than its
 * adaptive budget) before it reads tail at
 * all; a consumer that finds its slot claimed but not yet published waits on
 * that slot alone (mbx_i_backoff) and never parks (park.h). Either way tail,
 * the producers' line, is read once per wait, not once per look. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "mailbox.h"
#include "mbx_sync.h"
#include "mc_hooks.h"
#include "park.h"

#define LR_CLOSED (UINT64_C(1) << 63) /* in the tail word; positions never reach 2^63 */
enum {
	LR_K_MAX = 32,   /* pops between head publications, at most (and <= cap / 4) */
	LR_STEP_MAX = 64, /* pauses between two checks, at most */
	LR_PRESPIN = 127, /* pauses a waiting pop spends on its slot before it reads tail */
	LR_FULL_RECHECK_NS = 1000000, /* a producer asleep on a full ring re-reads pos this often (top of file) */
};

/* One line per slot: seq + the 40-byte message + 16 bytes of padding. Only
 * producers write them. Packing them into 48 bytes (4 slots per 3 lines)
 * moves 25 % fewer lines but lets two producers' neighbouring slots share
 * one; measured, one slot per line is faster at P = 1..8
 * (results/notes/lazy-ring-steps/). */
typedef struct lr_slot {
	_Alignas(MBX_CACHELINE) _Atomic uint64_t seq;
	mbx_msg msg;
} lr_slot;
_Static_assert(sizeof(lr_slot) == MBX_CACHELINE, "one slot per line");

typedef struct lr_ring {
	mbx base;      /* read-only after create, like the three fields below */
	uint64_t mask; /* capacity - 1 */
	uint64_t k;    /* pops between head publications */
	lr_slot *slots;
	/* producers: next position to claim | LR_CLOSED, and their lower bound of
	 * the consumer's position (same line: the CAS has just made it ours) */
	_Alignas(MBX_CACHELINE) _Atomic uint64_t tail;
	_Atomic uint64_t cached_head;
	/* the consumer's published position: written every k pops and before it
	 * waits; read by producers for was_empty and in their park re-check */
	_Alignas(MBX_CACHELINE) _Atomic uint64_t head;
	/* consumer: its position (the next to take; written only by it, stored
	 * every pop for len and for producers facing full) and the value of its
	 * last head store */
	_Alignas(MBX_CACHELINE) _Atomic uint64_t pos;
	uint64_t pub;
	mbx_i_spin spin_now; /* the consumer's adaptive spin budget (park.h) */
	_Alignas(MBX_CACHELINE) mbx_i_park not_empty; /* the consumer sleeps here */
	_Alignas(MBX_CACHELINE) mbx_i_park not_full;  /* producers facing a full ring sleep here */
	/* their shared adaptive spin budget: written at each of their waits, so
	 * not on the not_full line, which the consumer peeks at every pop */
	_Alignas(MBX_CACHELINE) mbx_i_spin full_spin;
} lr_ring;
_Static_assert(offsetof(lr_ring, slots) + sizeof(lr_slot *) <= MBX_CACHELINE,
               "the read-only fields fit on the first line, which nobody writes");
_Static_assert(offsetof(lr_ring, tail) == MBX_CACHELINE, "producers' line apart from the header");
_Static_assert(offsetof(lr_ring, head) - offsetof(lr_ring, tail) == MBX_CACHELINE, "head apart from tail");
_Static_assert(offsetof(lr_ring, pos) - offsetof(lr_ring, head) == MBX_CACHELINE, "consumer's line apart");
_Static_assert(offsetof(lr_ring, not_empty) - offsetof(lr_ring, pos) == MBX_CACHELINE, "waiters apart");
_Static_assert(offsetof(lr_ring, not_full) - offsetof(lr_ring, not_empty) == MBX_CACHELINE, "two park lines");
_Static_assert(offsetof(lr_ring, full_spin) - offsetof(lr_ring, not_full) == MBX_CACHELINE, "and apart");
_Static_assert(offsetof(lr_ring, spin_now) + sizeof(mbx_i_spin) - offsetof(lr_ring, pos) <= MBX_CACHELINE,
               "consumer fields on one line");
_Static_assert(sizeof(lr_ring) % MBX_CACHELINE == 0, "the slots after the header start on a line");

extern const mbx_ops mbx_lazy_ring_ops;

/* The backoff wait shared by both sides: quick(ctx) (a cheap look at the
 * waiter's own word) with growing pauses until the budget (in pauses) is
 * spent, then base->yields yields (spin > 0 only), then the park with the full
 * re-check ready(ctx). The budget adapts as park.h's (adapt, up to `spin`):
 * a waiter that shares its core with the thread it waits for learns to stop
 * spinning. exclusive, deadline_ns: as mbx_i_park_wait. */
static bool lr_wait(mbx_i_park *p, const mbx *base, mbx_i_spin *adapt, bool exclusive, bool (*quick)(void *),
                    mbx_i_park_ready_fn ready, void *ctx, int64_t deadline_ns)
{
	int32_t spin = base->spin;
	if (spin > 0) {
		int32_t budget = mbx_i_spin_budget(adapt, spin), spent = 0;
		for (int32_t step = 1; spent < budget; step = step < LR_STEP_MAX ? 2 * step : LR_STEP_MAX) {
			for (int32_t i = 0; i < step; i++)
				mbx_cpu_relax();
			spent += step;
			if (quick(ctx)) {
				mbx_i_spin_learn(adapt, spin, budget, true);
				return true;
			}
		}
		mbx_i_spin_learn(adapt, spin, budget, false);
		for (int32_t i = 0; i < base->yields; i++) {
			if (deadline_ns > 0 && mbx_now_ns() >= deadline_ns)
				break;
			MC_YIELD(); /* sched_yield(): often runs the thread we wait for */
			if (quick(ctx))
				return true;
		}
	}
	MBX_CHAOS(); /* after the last quick look, before the park */
	return mbx_i_park_wait(p, 0, NULL, exclusive, ready, ctx, deadline_ns);
}

/* ---- producers ---- */

typedef struct lr_room_ctx {
	lr_ring *q;
	uint64_t t; /* the position the producer wants; the ring was full for it */
} lr_room_ctx;

/* Room for t per the consumer's per-pop index. acquire: pairs with the
 * consumer's release store of pos in lr_take: its read of position
 * t - cap happens before our write of t into that slot. */
static inline bool lr_room_pos(const lr_room_ctx *c, uint64_t *posp)
{
	/* mutant 32 (with the check in lr_push_impl): capacity + 1 claims, the
	 * last one overwriting a slot the consumer has not read */
	uint64_t p = MC_LOAD(&c->q->pos, memory_order_acquire);
	*posp = p;
	return c->t - p < (uint64_t)c->q->base.capacity + MBX_MUTANT(32);
}

/* The spin phase's look: room (pos), or tail moved (a claim or a close).
 * relaxed tail: a hint that sends the producer back to the CAS, which checks */
static bool lr_room_quick(void *p)
{
	lr_room_ctx *c = p;
	uint64_t pos;
	return MC_LOAD(&c->q->tail, memory_order_relaxed) != c->t || lr_room_pos(c, &pos);
}

/* The park re-check: seq_cst loads of tail (claims, close) and of head (the
 * consumer's publication, P for not_full); pos only adds wake-ups. */
static bool lr_room_ready(void *p)
{
	lr_room_ctx *c = p;
	uint64_t pos;
	if (MC_LOAD(&c->q->tail, memory_order_seq_cst) != c->t)
		return true;
	if (c->t - MC_LOAD(&c->q->head, memory_order_seq_cst) < c->q->base.capacity)
		return true;
	return lr_room_pos(c, &pos);
}

static mbx_status lr_push_impl(mbx *m, const mbx_msg *msg, bool *was_empty, bool block)
{
	lr_ring *q = (lr_ring *)m;
	uint64_t cap = q->base.capacity;
	/* relaxed: only a guess at the position; the seq_cst CAS validates it */
	uint64_t t = MC_LOAD(&q->tail, memory_order_relaxed);
	for (;;) {
		if (t & LR_CLOSED)
			return MBX_CLOSED;
		/* acquire: pairs with the release store of cached_head below (by
		 * whichever producer refreshed it), which carries the consumer's
		 * release of pos: its read of position t - cap happens before our
		 * write. A stale (smaller) value only sends us to the slow path. */
		uint64_t ch = MC_LOAD(&q->cached_head, memory_order_acquire);
		if (t - ch >= cap + MBX_MUTANT(32)) { /* full, or t is stale (t < ch wraps) */
			lr_room_ctx c = {q, t};
			uint64_t pos;
			bool room = lr_room_pos(&c, &pos);
			/* release: pairs with the acquire load above. Racing refreshes
			 * may store an older value: still a lower bound, so still safe */
			if (pos != ch)
				MC_STORE(&q->cached_head, pos, memory_order_release);
			if (!room) {
				/* seq_cst: FULL is answered only while tail is still t, i.e.
				 * t - pos >= cap held with t the real tail (linearizable) */
				uint64_t now = MC_LOAD(&q->tail, memory_order_seq_cst);
				if (now != t) { /* claimed by another producer, or closed: look again */
					t = now;
					continue;
				}
				if (!block)
					return MBX_FULL;
				/* bounded: see "a missed peek" at the top of the file */
				lr_wait(&q->not_full, &q->base, &q->full_spin, false, lr_room_quick, lr_room_ready, &c,
				        mbx_now_ns() + LR_FULL_RECHECK_NS);
				t = MC_LOAD(&q->tail, memory_order_relaxed); /* a guess again, as above */
				continue;
			}
		}
		/* claim t. seq_cst success: P for not_empty (the parked consumer
		 * re-checks tail), the producer's half of the was_empty pairing, and
		 * ordered against close's seq_cst fetch_or (exact close). relaxed
		 * failure: it only reloads the guess */
		if (MC_CAS_WEAK(&q->tail, &t, t + 1, memory_order_seq_cst, memory_order_relaxed))
			break;
	}
	MBX_CHAOS(); /* claimed, not yet published: the consumer must wait for us */
	lr_slot *s = &q->slots[t & q->mask];
	MC_WR(&s->msg); /* a plain field: the model checker race-checks it */
	s->msg = *msg;
	/* release: pairs with the consumer's acquire load of seq in lr_published;
	 * hands the message over. Not P for the park: the claim CAS above is. */
	if (MBX_MUTANT(33)) /* mutant 33: relaxed publish, the message is not handed over */
		MC_STORE(&s->seq, t + 1, memory_order_relaxed);
	else
		MC_STORE(&s->seq, t + 1, memory_order_release);
	if (was_empty) {
		/* seq_cst, after the seq_cst claim: the Dekker pairing with the
		 * consumer's [store head; load tail] before it waits (top of file) */
		uint64_t h = MC_LOAD(&q->head, memory_order_seq_cst);
		bool we = h >= t;
		/* head lags pos by less than k: only then can pos have reached t.
		 * acquire: pairs with the release store of pos in lr_take (the value
		 * only adds trues; no data depends on it) */
		if (!we && t - h <= q->k && !MBX_MUTANT(31)) /* mutant 31: head alone */
			we = MC_LOAD(&q->pos, memory_order_acquire) >= t;
		*was_empty = we;
	}
	mbx_i_park_wake(&q->not_empty); /* K1 after the claim (P); after the publish too */
	return MBX_OK;
}

static mbx_status lr_push(mbx *m, const mbx_msg *msg, bool *was_empty)
{
	return lr_push_impl(m, msg, was_empty, true);
}

static mbx_status lr_try_push(mbx *m, const mbx_msg *msg, bool *was_empty)
{
	return lr_push_impl(m, msg, was_empty, false);
}

/* ---- the consumer ---- */

typedef struct lr_pop_ctx {
	lr_ring *q;
	lr_slot *s;
	uint64_t h;
} lr_pop_ctx;

/* acquire: pairs with the producer's release publish in lr_push_impl */
static inline bool lr_published(const lr_slot *s, uint64_t h)
{
	return MC_LOAD(&s->seq, memory_order_acquire) == h + 1;
}

static bool lr_pop_quick(void *p)
{
	lr_pop_ctx *c = p;
	return lr_published(c->s, c->h);
}

/* Park condition: slot h published, or tail moved away from "h, open" (a
 * claim, or a close). The seq_cst load of tail is the re-check half of the
 * Dekker pairing with the claim CAS and close's fetch_or (park.h). */
static bool lr_pop_ready(void *p)
{
	lr_pop_ctx *c = p;
	return lr_published(c->s, c->h) || MC_LOAD(&c->q->tail, memory_order_seq_cst) != c->h;
}

/* Publishes position h as head. seq_cst: P for not_full (sleeping producers
 * re-check head after announcing) and the consumer's half of the was_empty
 * pairing (its seq_cst load of tail follows, in lr_pop_slow). */
static void lr_publish(lr_ring *q, uint64_t h)
{
	MC_STORE(&q->head, h, memory_order_seq_cst);
	q->pub = h;
	mbx_i_park_wake(&q->not_full);
}

static mbx_status lr_take(lr_ring *q, lr_slot *s, uint64_t h, mbx_msg *out)
{
	MC_RD(&s->msg);
	*out = s->msg;
	h++;
	/* release: pairs with the producers' acquire loads of pos (lr_room_pos,
	 * was_empty): our read of the message happens before the write of the
	 * producer that reuses this slot. len reads it relaxed. */
	MC_STORE(&q->pos, h, memory_order_release);
	/* relaxed peek at armed: a shortcut for a producer asleep on a full ring
	 * (top of file); the pairing is the publication's, not this load's */
	if (h - q->pub >= q->k || MC_LOAD(&q->not_full.armed, memory_order_relaxed))
		lr_publish(q, h);
	return MBX_OK;
}

/* Slot h not published. deadline_ns: 0 = do not wait (try_pop), < 0 =
 * forever, else absolute. */
static mbx_status lr_pop_slow(lr_ring *q, lr_slot *s, uint64_t h, mbx_msg *out, int64_t deadline_ns)
{
	lr_pop_ctx c = {q, s, h};
	bool timed_out = false;
	unsigned round = 0;
	/* A pop that may wait first looks at the slot alone for a short while
	 * (up to LR_PRESPIN pauses of its spin budget): a consumer that keeps
	 * catching up with a producer would otherwise read tail at every message
	 * and take the producers' line from under their next CAS. */
	if (deadline_ns != 0) {
		/* relaxed: the adaptive budget is a heuristic (park.h) */
		int32_t budget = MC_LOAD(&q->spin_now.cur, memory_order_relaxed);
		budget = budget < LR_PRESPIN ? budget : LR_PRESPIN;
		for (int32_t spent = 0, step = 1; spent < budget; spent += step, step *= 2) {
			for (int32_t i = 0; i < step; i++)
				mbx_cpu_relax();
			if (lr_published(s, h))
				return lr_take(q, s, h, out);
		}
	}
	for (;;) {
		if (lr_published(s, h))
			return lr_take(q, s, h, out);
		uint64_t t = MC_LOAD(&q->tail, memory_order_seq_cst);
		if ((t & ~LR_CLOSED) != h) {
			/* h is claimed: its producer is between claim and publish. Wait
			 * on the slot alone (tail only grows, close cannot undo a claim);
			 * rereading tail here would pull the producers' line away from
			 * their next CAS. Waiting, not EMPTY: EMPTY means nothing claimed. */
			while (!lr_published(s, h))
				mbx_i_backoff(&round);
			return lr_take(q, s, h, out);
		}
		if (q->pub != h) {
			/* before EMPTY, TIMEOUT or a park: head = h, then tail again
			 * (the was_empty pairing; P for not_full) */
			lr_publish(q, h);
			MBX_CHAOS(); /* published, tail not read yet: a claim may land here */
			continue;
		}
		if (t & LR_CLOSED)
			return MBX_CLOSED; /* closed, and every claimed position taken */
		if (timed_out)
			return MBX_TIMEOUT;
		if (deadline_ns == 0)
			return MBX_EMPTY;
		if (!lr_wait(&q->not_empty, &q->base, &q->spin_now, true, lr_pop_quick, lr_pop_ready, &c, deadline_ns))
			timed_out = true; /* one last look above */
	}
}

static inline mbx_status lr_pop_until(mbx *m, mbx_msg *out, int64_t deadline_ns)
{
	lr_ring *q = (lr_ring *)m;
	/* relaxed: pos is written only by the consumer, i.e. by us */
	uint64_t h = MC_LOAD(&q->pos, memory_order_relaxed);
	lr_slot *s = &q->slots[h & q->mask];
	if (lr_published(s, h))
		return lr_take(q, s, h, out);
	return lr_pop_slow(q, s, h, out, deadline_ns);
}

static mbx_status lr_pop(mbx *m, mbx_msg *out) { return lr_pop_until(m, out, -1); }
static mbx_status lr_try_pop(mbx *m, mbx_msg *out) { return lr_pop_until(m, out, 0); }
static mbx_status lr_pop_timeout(mbx *m, mbx_msg *out, int64_t ns)
{
	return lr_pop_until(m, out, mbx_deadline_ns(ns));
}

static void lr_close(mbx *m)
{
	lr_ring *q = (lr_ring *)m;
	/* seq_cst RMW: P for both parks; from here on every claim CAS fails */
	MC_FETCH_OR(&q->tail, LR_CLOSED, memory_order_seq_cst);
	mbx_i_park_wake(&q->not_empty);
	mbx_i_park_wake(&q->not_full);
}

static size_t lr_len(mbx *m)
{
	lr_ring *q = (lr_ring *)m;
	/* relaxed: an estimate by contract, exact at rest (pos is stored every
	 * pop, unlike head); pos first, so a concurrent pop cannot make it look
	 * larger than the tail */
	uint64_t h = MC_LOAD(&q->pos, memory_order_relaxed);
	uint64_t t = MC_LOAD(&q->tail, memory_order_relaxed) & ~LR_CLOSED;
	if (t <= h)
		return 0;
	return t - h > q->mask + 1 ? (size_t)(q->mask + 1) : (size_t)(t - h);
}

/* Messages are copies and the slots follow the header: nothing to free. */
static void lr_fini(mbx *m) { (void)m; }

static size_t lr_size(const mbx_config *cfg);
static int lr_init(mbx *m, const mbx_config *cfg);

/* Defaults as futex_ring's: 1024 slots, a spin budget of 1024 pauses; then
 * 4 yields before the park (fanin's wait:noyield measures what they buy). */
const mbx_ops mbx_lazy_ring_ops = {
	.name = "lazy_ring",
	.summary = "bounded MPSC ring, producer-only slots (one line each), head published every k pops, exact close, "
	           "backoff-then-futex (ours)",
	.caps = MBX_CAP_BOUNDED | MBX_CAP_BLOCKING | MBX_CAP_LOCKFREE | MBX_CAP_SPIN | MBX_CAP_YIELD |
	        MBX_CAP_POW2 | MBX_CAP_EXACT_CLOSE,
	.default_capacity = 1024,
	.default_spin = 1024,
	.default_yields = 4,
	MBX_INPLACE(lr),
	.push = lr_push,
	.try_push = lr_try_push,
	.pop = lr_pop,
	.try_pop = lr_try_pop,
	.pop_timeout = lr_pop_timeout,
	.close = lr_close,
	.len = lr_len,
};

/* The slots right after the header: one allocation, whole lines. */
static size_t lr_size(const mbx_config *cfg)
{
	mbx h;
	if (mbx_i_init(&h, &mbx_lazy_ring_ops, cfg))
		return 0;
	return sizeof(lr_ring) + mbx_i_lines((size_t)h.capacity * sizeof(lr_slot));
}

static int lr_init(mbx *m, const mbx_config *cfg)
{
	lr_ring *q = (lr_ring *)m;
	memset(q, 0, sizeof *q);
	int err = mbx_i_init(&q->base, &mbx_lazy_ring_ops, cfg);
	if (err)
		return err;
	size_t cap = q->base.capacity; /* a power of two, 2 .. 2^30 (mbx_i_init) */
	q->mask = cap - 1;
	q->k = cap / 4 < LR_K_MAX ? cap / 4 : LR_K_MAX;
	if (q->k < 1)
		q->k = 1;
	q->slots = (lr_slot *)(void *)(q + 1);
	for (size_t i = 0; i < cap; i++) {
		atomic_init(&q->slots[i].seq, 0); /* != i + 1: position i not published */
		memset(&q->slots[i].msg, 0, sizeof q->slots[i].msg);
	}
	atomic_init(&q->tail, 0);
	atomic_init(&q->cached_head, 0);
	atomic_init(&q->head, 0);
	atomic_init(&q->pos, 0);
	q->pub = 0;
	mbx_i_park_init(&q->not_empty);
	mbx_i_park_init(&q->not_full);
	mbx_i_spin_init(&q->spin_now, q->base.spin);
	mbx_i_spin_init(&q->full_spin, q->base.spin);
	return 0;
}
