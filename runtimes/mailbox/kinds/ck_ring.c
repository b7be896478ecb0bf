/* ck_ring: ConcurrencyKit's bounded ring (ck_ring, MPSC mode) holding mbx_msg
 * by value, with CK's eventcount (ck_ec32) for parking. The contender that
 * shows what an off-the-shelf lock-free ring costs once the mailbox contract
 * (exact capacity, was_empty, close, blocking) is put around it.
 *
 * Capacity. ck_ring of size S holds S-1 entries, and S must be a power of two,
 * so it can never say "full" at exactly `capacity` (a power of two) entries.
 * The ring is therefore allocated with S = 2*capacity slots and admission is
 * done by our own counter `count` (admitted and not yet popped, plus a CLOSED
 * bit): a producer CASes it from c to c+1 only while c < capacity, so exactly
 * `capacity` messages fit and the next try_push says FULL. Since at most
 * `capacity` reservations are ever outstanding, CK's own full check never
 * fires (a defensive retry covers a stale view of c_head). Cost: one CAS per
 * push and one fetch_sub per pop on the `count` line, on top of CK's p_head
 * CAS. The consumer's decrement is the linearization point of a pop.
 *
 * The same counter gives the rest of the contract:
 *  - was_empty = (count was 0 at admission). The consumer never answers EMPTY
 *    (nor parks) while count > 0: an admitted push whose slot is not yet
 *    committed is waited for (pause, yield, then sleep). So a false was_empty
 *    always has an earlier admitted message that the consumer has not yet
 *    counted out, and it reaches ours before it can see "empty".
 *  - close is exact (MBX_CAP_EXACT_CLOSE): CLOSED is a bit in the same word,
 *    so admission and close are ordered by one CAS/fetch_or, and the consumer
 *    answers CLOSED only when the word reads "closed, 0 admitted".
 *  - try_pop/pop_timeout(<=0) never answer RETRY; EMPTY is linearizable.
 *
 * Blocking: two ck_ec32 eventcounts in multi-producer mode (futex via
 * mbx_futex_wait/wake, CLOCK_MONOTONIC). `nonempty`: the consumer parks on it
 * only when count == 0; the producer whose admission took count 0 -> 1
 * increments it after committing (the only producer whose message can find
 * the consumer parked). `notfull`: producers park on it while count ==
 * capacity; the consumer increments it when its decrement leaves full.
 * ck_ec only makes a syscall when a waiter has flagged the counter. Waiters
 * follow ck_ec's protocol: read the ec value, re-check the predicate, wait on
 * the value. close() increments both. The spin budget (base.spin) is spent
 * before calling ck_ec32_wait; CK's own busy loop is set to 1 iteration.
 *
 * Oversubscription: CK's MPSC commit (_ck_ring_enqueue_commit_mp in
 * ck_ring.h) spins until every earlier reservation has committed, so a
 * producer preempted between reserve and commit stalls every later producer,
 * and (through the rule above) the consumer, until it runs again. On 2 busy
 * cores that spin (pause only) made 4 producers crawl at a few hundred msg/s,
 * so before calling CK's commit a producer waits for p_tail == its ticket
 * itself: 64 pauses, then sched_yield (never a sleep: it holds a ticket that
 * later producers wait on). The consumer's wait for an admitted push does
 * the same and then sleeps ~50 us at a time. Still, with more producers than
 * cores this ring convoys (measured: ~8x below futex_ring at 16 producers on
 * 2 cores, even when never full). It is lock-free only in CK's sense: one
 * preempted producer delays everyone behind it. The ring counts those waits
 * and their time (mbx_get_stats; the fanin benchmark reports them per
 * message), so a report can show the convoy rather than assert it.
 * Thundering herd: ck_ec wakes every waiter, so each pop that leaves "full"
 * wakes all parked producers; one wins the slot, the rest park again.
 *
 * TSan: CK's inline-asm atomics are invisible to it (it instruments only
 * compiler atomics), so the hand-off is annotated by hand:
 * the producer releases on its slot address after reserving it and before the
 * copy+commit; the consumer acquires on that slot address after the dequeue;
 * every CK call (and our copy into the reserved slot) runs inside
 * MBX_TSAN_IGNORE_BEGIN/END, but the caller's memory never does: the message
 * is copied from the caller's buffer before, and into it after, the ignored
 * region (verify/tsan_race.c). Our own field `count` is a C11 atomic. */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ck_ec.h>
#include <ck_ring.h>

#include "ck_glue.h"
#include "mailbox.h"
#include "mbx_sync.h"

CK_RING_PROTOTYPE(mbx_msg, mbx_msg)

#define RING_CLOSED (1u << 31) /* in `count`; capacity <= 2^30 leaves it free */

typedef struct ckring_mbx {
	mbx base;
	struct mbx_msg *buf; /* 2*capacity slots, read-only pointer after create */
	/* CK pads c_head, {p_tail, p_head} and {size, mask} onto separate lines. */
	_Alignas(MBX_CACHELINE) ck_ring_t ring;
	/* Admitted-and-not-popped count | RING_CLOSED: every push CASes it, the
	 * consumer decrements it on every pop. */
	_Alignas(MBX_CACHELINE) _Atomic uint32_t count;
	/* Consumer parks here; the 0 -> 1 producer increments it. */
	_Alignas(MBX_CACHELINE) ck_ec32_t nonempty;
	/* Producers park here while full; the consumer increments it. */
	_Alignas(MBX_CACHELINE) ck_ec32_t notfull;
	/* Consumer-private: ring position of the next pop (== CK's c_head),
	 * kept here so the TSan slot address needs no read of CK internals. */
	_Alignas(MBX_CACHELINE) uint32_t cons_pos;
	/* mbx_stats: producers waiting for an earlier ticket to commit (the
	 * convoy under preemption, top of file); written on that slow path only */
	_Alignas(MBX_CACHELINE) _Atomic uint64_t pred_waits, pred_wait_ns;
} ckring_mbx;

_Static_assert(offsetof(ckring_mbx, ring) % MBX_CACHELINE == 0, "ring on its own lines");
_Static_assert(offsetof(ckring_mbx, count) - offsetof(ckring_mbx, ring) >= sizeof(ck_ring_t),
               "count must not share a line with CK's indexes");
_Static_assert(offsetof(ckring_mbx, nonempty) - offsetof(ckring_mbx, count) >= MBX_CACHELINE,
               "count and the consumer's eventcount on separate lines");
_Static_assert(offsetof(ckring_mbx, notfull) - offsetof(ckring_mbx, nonempty) >= MBX_CACHELINE,
               "the two eventcounts on separate lines");
_Static_assert(offsetof(ckring_mbx, cons_pos) - offsetof(ckring_mbx, notfull) >= MBX_CACHELINE,
               "consumer-private state on its own line");
_Static_assert(offsetof(ckring_mbx, pred_waits) - offsetof(ckring_mbx, cons_pos) >= MBX_CACHELINE,
               "the wait counters away from the consumer's line");

/* Both eventcounts park through mbx_ck_ec_mode (../ck_glue.h): futex,
 * CLOCK_MONOTONIC, multi-producer mode (several producers and close). */

/* Waiting on another thread that holds a ticket or an admission (it is a
 * few instructions from done unless preempted): pause, then yield, so that
 * on an oversubscribed machine the preempted thread gets the CPU. `may_sleep`
 * (consumer only) adds ~50 us sleeps after that; a producer never sleeps: it
 * holds a ticket itself, and every later producer would wait out its sleep. */
static void ring_backoff(unsigned *n, bool may_sleep)
{
	unsigned k = (*n)++;
	if (k < 64) {
		mbx_cpu_relax();
	} else if (k < 80 || !may_sleep) {
		sched_yield();
	} else {
		struct timespec ts = {0, 1000}; /* ~50 us with the default timer slack */
		nanosleep(&ts, NULL);
	}
}

/* ---- producer side ---- */

/* Admit one message: count c -> c+1 while c < capacity and not closed.
 * Returns OK (with *old = c), FULL or CLOSED. */
static mbx_status ring_admit(ckring_mbx *q, uint32_t *old)
{
	/* relaxed: only the CAS's expected value; the CAS re-reads on failure */
	uint32_t c = atomic_load_explicit(&q->count, memory_order_relaxed);
	for (;;) {
		if (c & RING_CLOSED)
			return MBX_CLOSED;
		if (c >= q->base.capacity)
			return MBX_FULL;
		/* acquire on success: pairs with the consumer's release fetch_sub in
		 * ring_take, so the pop that made room (its copy out of the slot)
		 * happens-before our reuse of the ring. relaxed on failure: we only
		 * retry with the fresh value. */
		if (atomic_compare_exchange_weak_explicit(&q->count, &c, c + 1, memory_order_acquire,
		                                          memory_order_relaxed)) {
			*old = c;
			return MBX_OK;
		}
	}
}

/* Wait until an admission might succeed: spin, then park on `notfull`. */
static void ring_wait_room(ckring_mbx *q, int32_t *spins)
{
	if (*spins < q->base.spin) {
		(*spins)++;
		mbx_cpu_relax();
		return;
	}
	uint32_t v = ck_ec32_value(&q->notfull);
	MBX_CHAOS(); /* between reading the ec and re-checking the predicate */
	/* seq_cst: the re-check must not be satisfied before the ec read above
	 * (ck_ec's pattern: snapshot, re-check, wait on the snapshot). */
	uint32_t c = atomic_load(&q->count);
	if (!(c & RING_CLOSED) && c >= q->base.capacity)
		ck_ec32_wait(&q->notfull, &mbx_ck_ec_mode, v, NULL);
}

static mbx_status ring_push_impl(mbx *m, const mbx_msg *msg, bool *was_empty, bool block)
{
	ckring_mbx *q = (ckring_mbx *)m;
	uint32_t old;
	int32_t spins = 0;
	mbx_status st;
	while ((st = ring_admit(q, &old)) == MBX_FULL) {
		if (!block)
			return MBX_FULL;
		ring_wait_room(q, &spins);
	}
	if (st != MBX_OK)
		return st;

	/* Admitted: a slot is guaranteed (see the header). reserve can still
	 * fail on a stale c_head snapshot; that clears in a few cycles. */
	unsigned ticket = 0;
	struct mbx_msg *slot;
	for (;;) {
		MBX_TSAN_IGNORE_BEGIN();
		slot = ck_ring_enqueue_reserve_mpsc_mbx_msg(&q->ring, q->buf, &ticket);
		MBX_TSAN_IGNORE_END();
		if (slot)
			break;
		mbx_cpu_relax();
	}
	/* Read the caller's message outside the ignored region, so TSan still
	 * checks it; the write into the slot is CK's business (ignored). */
	mbx_msg copy = *msg;
	if (!MBX_MUTANT(4)) /* mutant 4: the hand-off annotation dropped */
		MBX_TSAN_RELEASE(slot); /* covers everything the sender wrote before push */
	MBX_TSAN_IGNORE_BEGIN();
	memcpy(slot, &copy, sizeof *slot);
	MBX_TSAN_IGNORE_END();
	MBX_CHAOS(); /* between claim and publish: later producers spin in commit */
	/* CK's commit spins (pause only) until every earlier ticket has
	 * committed. Wait for our turn here first with ring_backoff, so that an
	 * oversubscribed machine runs the preempted earlier producer instead of
	 * our spin; CK's commit then returns at once. */
	int64_t waited_from = 0; /* the clock is read only when we wait */
	for (unsigned n = 0;;) {
		unsigned tail;
		MBX_TSAN_IGNORE_BEGIN();
		tail = ck_pr_load_uint(&q->ring.p_tail);
		MBX_TSAN_IGNORE_END();
		if (tail == ticket)
			break;
		if (!waited_from)
			waited_from = mbx_now_ns();
		ring_backoff(&n, false);
	}
	if (waited_from || MBX_MUTANT(34)) { /* mutant 34: every push counted as a wait */
		/* relaxed: statistics, read by ring_stats after the producers are
		 * joined (the join orders them); no protocol step reads them */
		atomic_fetch_add_explicit(&q->pred_waits, 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&q->pred_wait_ns, (uint64_t)(mbx_now_ns() - waited_from),
		                          memory_order_relaxed);
	}
	MBX_TSAN_IGNORE_BEGIN();
	ck_ring_enqueue_commit_mpsc(&q->ring, ticket);
	MBX_TSAN_IGNORE_END();

	if (was_empty)
		*was_empty = old == 0;
	if (old == 0) {
		MBX_CHAOS(); /* between publish and wake */
		ck_ec32_inc(&q->nonempty, &mbx_ck_ec_mode);
	}
	return MBX_OK;
}

static mbx_status ring_push(mbx *m, const mbx_msg *msg, bool *was_empty)
{
	return ring_push_impl(m, msg, was_empty, true);
}

static mbx_status ring_try_push(mbx *m, const mbx_msg *msg, bool *was_empty)
{
	return ring_push_impl(m, msg, was_empty, false);
}

/* ---- consumer side ---- */

static bool ring_take(ckring_mbx *q, mbx_msg *out)
{
	struct mbx_msg *slot = &q->buf[q->cons_pos & q->ring.mask];
	mbx_msg copy;
	bool ok;
	MBX_TSAN_IGNORE_BEGIN();
	ok = ck_ring_dequeue_mpsc_mbx_msg(&q->ring, q->buf, &copy);
	MBX_TSAN_IGNORE_END();
	if (!ok)
		return false;
	MBX_TSAN_ACQUIRE(slot); /* pairs with the producer's release on this slot */
	/* Write the caller's buffer outside the ignored region (as the producer
	 * reads its message), so TSan still checks the caller's memory. */
	*out = copy;
	q->cons_pos++;
	/* release: pairs with the acquire CAS in ring_admit (the slot is free
	 * before a producer admitted on our decrement refills the ring). */
	uint32_t old = atomic_fetch_sub_explicit(&q->count, 1, memory_order_release);
	if ((old & ~RING_CLOSED) == q->base.capacity)
		ck_ec32_inc(&q->notfull, &mbx_ck_ec_mode); /* we left "full": producers may be parked */
	return true;
}

/* deadline: -1 forever, 0 never wait (try_pop), else absolute CLOCK_MONOTONIC ns. */
static mbx_status ring_pop_until(mbx *m, mbx_msg *out, int64_t deadline)
{
	ckring_mbx *q = (ckring_mbx *)m;
	int32_t spins = 0;
	unsigned inflight = 0;
	for (;;) {
		if (ring_take(q, out))
			return MBX_OK;
		/* acquire: pairs with close()'s release fetch_or, so CLOSED
		 * happens-after close. */
		uint32_t c = atomic_load_explicit(&q->count, memory_order_acquire);
		if (c & ~RING_CLOSED) {
			/* Admitted but not committed yet: not empty. Wait it out (see
			 * the header: was_empty and exact close rely on this). */
			ring_backoff(&inflight, true);
			continue;
		}
		if (c & RING_CLOSED)
			return MBX_CLOSED;
		if (deadline == 0)
			return MBX_EMPTY;
		if (spins < q->base.spin) {
			spins++;
			mbx_cpu_relax();
			if (deadline > 0 && (spins & 63) == 0 && mbx_now_ns() >= deadline)
				return MBX_TIMEOUT;
			continue;
		}
		uint32_t v = ck_ec32_value(&q->nonempty);
		MBX_CHAOS(); /* between reading the ec and re-checking */
		if (ring_take(q, out))
			return MBX_OK;
		/* seq_cst: this re-check must not be satisfied before the ec read
		 * above; the producer's admission precedes its ec increment. */
		if (atomic_load(&q->count) != 0)
			continue; /* in flight or closed: handled at the top */
		if (deadline < 0) {
			ck_ec32_wait(&q->nonempty, &mbx_ck_ec_mode, v, NULL);
		} else {
			struct timespec ts = mbx_ck_deadline_ts(deadline);
			if (ck_ec32_wait(&q->nonempty, &mbx_ck_ec_mode, v, &ts) != 0) {
				if (ring_take(q, out))
					return MBX_OK;
				if (atomic_load(&q->count) != 0)
					continue;
				return MBX_TIMEOUT;
			}
		}
	}
}

static mbx_status ring_pop(mbx *m, mbx_msg *out) { return ring_pop_until(m, out, -1); }
static mbx_status ring_try_pop(mbx *m, mbx_msg *out) { return ring_pop_until(m, out, 0); }
static mbx_status ring_pop_timeout(mbx *m, mbx_msg *out, int64_t ns)
{
	return ring_pop_until(m, out, mbx_deadline_ns(ns));
}

static void ring_close(mbx *m)
{
	ckring_mbx *q = (ckring_mbx *)m;
	/* release: pairs with the consumer's acquire load in ring_pop_until. */
	atomic_fetch_or_explicit(&q->count, RING_CLOSED, memory_order_release);
	MBX_CHAOS(); /* between closing and waking */
	ck_ec32_inc(&q->nonempty, &mbx_ck_ec_mode);
	ck_ec32_inc(&q->notfull, &mbx_ck_ec_mode);
}

static size_t ring_len(mbx *m)
{
	ckring_mbx *q = (ckring_mbx *)m;
	/* relaxed: an approximate count (admitted, includes pushes in flight) */
	return atomic_load_explicit(&q->count, memory_order_relaxed) & ~RING_CLOSED;
}

/* Messages live by value in the ring, which follows the header (ring_size). */
static void ring_fini(mbx *m) { (void)m; }

static void ring_stats(mbx *m, mbx_stats *out)
{
	ckring_mbx *q = (ckring_mbx *)m;
	/* relaxed: quiescent (mbx_stats); the pushes' fetch_adds are ordered
	 * before this by the join of their threads */
	out->producer_waits = atomic_load_explicit(&q->pred_waits, memory_order_relaxed);
	out->producer_wait_ns = atomic_load_explicit(&q->pred_wait_ns, memory_order_relaxed);
}

static size_t ring_size(const mbx_config *cfg);
static int ring_init(mbx *m, const mbx_config *cfg);

const mbx_ops mbx_ck_ring_ops = {
	.name = "ck_ring",
	.summary = "ConcurrencyKit ck_ring MPSC by value + admission counter; ck_ec32 parking",
	.caps = MBX_CAP_BOUNDED | MBX_CAP_BLOCKING | MBX_CAP_LOCKFREE | MBX_CAP_SPIN | MBX_CAP_POW2 |
	        MBX_CAP_EXACT_CLOSE,
	.default_capacity = 1024,
	.default_spin = 256, /* as futex_ring and vyukov, for a like-for-like sweep */
	MBX_INPLACE(ring),
	.push = ring_push,
	.try_push = ring_try_push,
	.pop = ring_pop,
	.try_pop = ring_try_pop,
	.pop_timeout = ring_pop_timeout,
	.close = ring_close,
	.len = ring_len,
	.stats = ring_stats,
};

/* 2*capacity slots: CK keeps one slot empty, we want `capacity` usable
 * and a power of two for CK's mask (capacity <= 2^30, see mbx_i_init).
 * They follow the header: one allocation. */
static size_t ring_buf_bytes(const mbx *base)
{
	return mbx_i_lines((size_t)base->capacity * 2 * sizeof(mbx_msg));
}
_Static_assert(sizeof(ckring_mbx) % MBX_CACHELINE == 0, "the ring after the header stays line-aligned");

static size_t ring_size(const mbx_config *cfg)
{
	mbx h;
	return mbx_i_init(&h, &mbx_ck_ring_ops, cfg) ? 0 : sizeof(ckring_mbx) + ring_buf_bytes(&h);
}

static int ring_init(mbx *m, const mbx_config *cfg)
{
	ckring_mbx *q = (ckring_mbx *)m;
	memset(q, 0, sizeof *q);
	int err = mbx_i_init(&q->base, &mbx_ck_ring_ops, cfg);
	if (err)
		return err;
	q->buf = (mbx_msg *)(void *)(q + 1);
	ck_ring_init(&q->ring, q->base.capacity * 2);
	atomic_init(&q->count, 0);
	ck_ec32_init(&q->nonempty, 0);
	ck_ec32_init(&q->notfull, 0);
	q->cons_pos = 0;
	atomic_init(&q->pred_waits, 0);
	atomic_init(&q->pred_wait_ns, 0);
	return 0;
}
