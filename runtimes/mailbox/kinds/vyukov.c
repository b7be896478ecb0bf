/* vyukov: Vyukov's intrusive MPSC node queue, as in Pony's messageq and
 * Akka's mailbox: unbounded, wait-free push (one exchange on the head and one
 * release store of the link), single consumer following the links.
 * Spin-then-park (park.h) when empty; a node cache so that steady state
 * calls no allocator. A node is the link plus the message itself (one 64-byte
 * object), as in Pony where the message is the node.
 *
 * Shape: the consumer sits on a stub node (`tail`) whose message has already
 * been taken; the queue is the chain tail->next->... up to `head`, the last
 * node pushed. A pop copies tail->next's message out, makes that node the new
 * stub and recycles the old one.
 *
 * try_pop answers EMPTY only when head == tail (no push has even exchanged),
 * and RETRY when a producer sits between its exchange and its link store:
 * Vyukov's original pop returns NULL there and is not linearizable (a pop
 * that answers "empty" after a push completed). RETRY is "not empty": pop spins or yields on it and
 * never parks on it, because the in-window producer's wake comes after its
 * link store and may already have looked at `armed` (park.h).
 *
 * was_empty without touching the consumer's line: each node has a `consumed`
 * flag, set by the consumer when the node becomes its stub (only if it is
 * still the last node: otherwise no producer can get it back from the
 * exchange). The producer reads prev->consumed, on the line it must write
 * anyway. Before answering EMPTY the consumer confirms with a release CAS
 * head: tail -> tail (vy_settle), which orders its `consumed` store before
 * the next producer's exchange: after an EMPTY, the next push says true.
 *
 * len: producers count pushes with a relaxed fetch_add on the head's line,
 * the consumer counts pops. It costs ~6 ns per push (measured, one thread);
 * mailbox.h wants len exact at rest, and nothing cheaper is: a node's
 * position cannot be derived from its predecessor, which may still be
 * between exchange and link.
 *
 * Close is a flag checked by push, not MBX_CAP_EXACT_CLOSE: a push that
 * passed the check just before close may link its node after the consumer
 * answered MBX_CLOSED (mailbox.h, "close"); mbx_drain() then hands it over.
 *
 * Node cache (no malloc/free per message in steady state):
 *  - each thread keeps a private list of spare nodes (thread-local);
 *  - the consumer collects the nodes it frees in a private batch and, every
 *    VY_BATCH nodes, prepends the batch to the mailbox's `free` stack with a
 *    CAS (release);
 *  - a producer whose private list is empty takes the WHOLE `free` stack with
 *    one exchange(NULL) (acquire) and keeps it as its private list.
 * No ABA: a Treiber stack is ABA-prone when several threads pop with a CAS.
 * Here nobody pops with a CAS: producers only swap the word to NULL, and the
 * one thread that pushes (the consumer, consumer ops never overlap) cannot
 * put a node back while it is between its load and its CAS, so a successful
 * CAS always links to the true top. Nodes are generic: a node taken from one
 * mailbox's stack may carry a message to any mailbox. A thread's private list
 * is freed at thread exit (pthread key destructor); the nodes a mailbox holds
 * (queue, batch, stack) are freed by destroy. Memory is retained, not
 * returned: after a burst the mailbox keeps its peak node count until
 * destroy. */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "mailbox.h"
#include "mbx_sync.h"
#include "mc_hooks.h"
#include "park.h"

enum { VY_BATCH = 64 }; /* nodes the consumer hands back at once */

/* One node per cache line (56 bytes used): the producer linking node n and
 * the consumer reading its neighbour never share a line. */
typedef struct vy_node {
	_Alignas(MBX_CACHELINE) _Atomic(struct vy_node *) next; /* queue link; later the free-list link */
	/* 1 once this node is the consumer's stub (its message taken). The
	 * producer whose exchange returns this node reads it for was_empty. */
	_Atomic uint32_t consumed;
	mbx_msg msg;
} vy_node;
_Static_assert(sizeof(vy_node) == MBX_CACHELINE, "one node per cache line");

typedef struct vy_queue {
	mbx base;               /* read-only after create */
	_Atomic uint32_t closed; /* written once by close; read by every push */
	/* producers: the last node pushed, and pushes counted for len only
	 * (same line: one line transfer serves both RMWs of a push) */
	_Alignas(MBX_CACHELINE) _Atomic(vy_node *) head;
	_Atomic uint64_t pushed;
	/* consumer only, except `popped`, read by len */
	_Alignas(MBX_CACHELINE) vy_node *tail; /* the stub */
	vy_node *batch, *batch_last;           /* freed nodes not yet handed back */
	uint32_t batch_n;
	mbx_i_spin spin_now; /* adaptive spin budget (park.h) */
	_Atomic uint64_t popped;
	/* the nodes handed back: pushed by the consumer, taken whole by producers */
	_Alignas(MBX_CACHELINE) _Atomic(vy_node *) free;
	_Alignas(MBX_CACHELINE) mbx_i_park not_empty; /* the consumer sleeps here */
} vy_queue;
_Static_assert(offsetof(vy_queue, closed) + sizeof(uint32_t) <= MBX_CACHELINE, "read-mostly line");
_Static_assert(offsetof(vy_queue, head) == MBX_CACHELINE, "producers' line apart");
_Static_assert(offsetof(vy_queue, tail) - offsetof(vy_queue, head) == MBX_CACHELINE, "consumer's line apart");
_Static_assert(offsetof(vy_queue, popped) - offsetof(vy_queue, tail) < MBX_CACHELINE, "consumer fields on one line");
_Static_assert(offsetof(vy_queue, free) - offsetof(vy_queue, tail) == MBX_CACHELINE, "free stack apart");
_Static_assert(offsetof(vy_queue, not_empty) - offsetof(vy_queue, free) == MBX_CACHELINE, "waiters apart");

/* ---- the node cache ---- */

static _Thread_local vy_node *vy_spare;       /* this thread's private list */
static _Thread_local int vy_spare_registered; /* the exit destructor is armed */
static pthread_key_t vy_spare_key;
static pthread_once_t vy_spare_once = PTHREAD_ONCE_INIT;

static void vy_free_list(vy_node *n)
{
	while (n) {
		/* relaxed: the list is private to the caller (or to destroy) */
		vy_node *next = MC_LOAD(&n->next, memory_order_relaxed);
		free(n);
		n = next;
	}
}

static void vy_spare_exit(void *unused)
{
	(void)unused;
	vy_free_list(vy_spare);
	vy_spare = NULL;
	vy_spare_registered = 0; /* a push from a later destructor re-arms it */
}

static void vy_spare_key_init(void)
{
	if (pthread_key_create(&vy_spare_key, vy_spare_exit) != 0)
		abort(); /* only EAGAIN (keys exhausted): nothing sensible to do */
}

static void vy_spare_arm(void)
{
	if (vy_spare_registered)
		return;
	pthread_once(&vy_spare_once, vy_spare_key_init);
	pthread_setspecific(vy_spare_key, &vy_spare_registered); /* any non-NULL value */
	vy_spare_registered = 1;
}

static vy_node *vy_node_get(vy_queue *q)
{
	vy_node *n = vy_spare;
	if (n) {
		/* relaxed: links written by the consumer before the release CAS that
		 * our acquire exchange read (below, on an earlier call) */
		vy_spare = MC_LOAD(&n->next, memory_order_relaxed);
		return n;
	}
	/* relaxed peek: spares no RMW on an empty stack; the exchange decides */
	if (MC_LOAD(&q->free, memory_order_relaxed)) {
		/* acquire: pairs with the consumer's release CAS in vy_recycle; the
		 * consumer's last reads of these nodes happen before our writes */
		n = MC_XCHG(&q->free, NULL, memory_order_acquire);
		if (n) {
			vy_spare_arm();
			vy_spare = MC_LOAD(&n->next, memory_order_relaxed); /* as above */
			return n;
		}
	}
	return aligned_alloc(MBX_CACHELINE, sizeof *n);
}

/* Consumer: node is the old stub, finished with. */
static void vy_recycle(vy_queue *q, vy_node *n)
{
	/* relaxed: the batch is consumer-private until the release CAS below */
	MC_STORE(&n->next, q->batch, memory_order_relaxed);
	if (!q->batch)
		q->batch_last = n;
	q->batch = n;
	if (++q->batch_n < VY_BATCH)
		return;
	/* relaxed: a first guess; the CAS checks it */
	vy_node *top = MC_LOAD(&q->free, memory_order_relaxed);
	do {
		MC_STORE(&q->batch_last->next, top, memory_order_relaxed); /* published by the CAS */
		/* release: pairs with the producers' acquire exchange in vy_node_get.
		 * relaxed failure: top can only have become NULL (a producer took the
		 * stack), never anything else: we are the only pusher */
	} while (!MC_CAS_WEAK(&q->free, &top, q->batch, memory_order_release,
	                                                memory_order_relaxed));
	q->batch = q->batch_last = NULL;
	q->batch_n = 0;
}

/* ---- producers ---- */

static mbx_status vy_push(mbx *m, const mbx_msg *msg, bool *was_empty)
{
	vy_queue *q = (vy_queue *)m;
	/* relaxed: only the flag is read, no data hangs on it; close's store
	 * happens-before any push that starts after close returned */
	if (MC_LOAD(&q->closed, memory_order_relaxed))
		return MBX_CLOSED;
	vy_node *n = vy_node_get(q);
	if (!n)
		return MBX_NOMEM;
	MC_WR(&n->msg); /* a plain field: the model checker race-checks it */
	n->msg = *msg;
	/* relaxed: these initialising stores are published by the exchange below */
	MC_STORE(&n->next, NULL, memory_order_relaxed);
	MC_STORE(&n->consumed, 0, memory_order_relaxed);
	/* relaxed: a count for len only, no data depends on it. Before the
	 * exchange, so the exchange-to-link window stays two instructions; it
	 * brings in the head line that the exchange then finds owned. */
	MC_FETCH_ADD(&q->pushed, 1, memory_order_relaxed);
	/* The exchange is the linearization point of push. seq_cst (acq_rel
	 * would do for the data): it is P for not_empty, paired with the
	 * consumer's announce and its seq_cst re-read of head in vy_ready
	 * (park.h). Release: the next producer's exchange reads n. Acquire: we
	 * read prev's `consumed`. */
	vy_node *prev = MC_XCHG(&q->head, n, memory_order_seq_cst);
	if (was_empty) {
		/* relaxed: prev cannot be recycled before our link store below. If
		 * the consumer answered EMPTY on prev, its release CAS on head (in
		 * vy_settle) came before our exchange, which read it: we see 1. If we
		 * read 0, the consumer has not settled on prev and will reach n. */
		*was_empty = MC_LOAD(&prev->consumed, memory_order_relaxed) != 0;
	}
	MBX_CHAOS(); /* between exchange and link: the consumer sees RETRY */
	/* release: pairs with the consumer's acquire load of tail->next in
	 * vy_take; hands over n's message and fields. After this store prev may
	 * be recycled at once: we do not touch it again. */
	if (MBX_MUTANT(3)) /* mutant 3: relaxed link, the message is not handed over */
		MC_STORE(&prev->next, n, memory_order_relaxed);
	else
		MC_STORE(&prev->next, n, memory_order_release);
	mbx_i_park_wake(&q->not_empty); /* after the link: a woken consumer finds n */
	return MBX_OK;
}

/* ---- the consumer ---- */

/* OK, or EMPTY (head == tail, not yet settled) or RETRY (a producer between
 * exchange and link). */
static mbx_status vy_take(vy_queue *q, mbx_msg *out)
{
	vy_node *t = q->tail;
	/* acquire: pairs with the producer's release link store in vy_push */
	vy_node *next = MC_LOAD(&t->next, memory_order_acquire);
	if (next) {
		MC_RD(&next->msg);
		*out = next->msg;
		/* `next` is the new stub. Only a producer whose exchange returns it
		 * reads `consumed`, and that is possible only while it is the last
		 * node: if a successor is already linked, that producer has read it
		 * already, so skip the store (and the line's trip back here).
		 * relaxed: any value of next->next is fine (a stale NULL costs only
		 * the store); the store itself is ordered for its reader by
		 * vy_settle's release CAS, and before that a 0 is harmless (the
		 * consumer has not answered EMPTY and will reach that producer). */
		if (!MC_LOAD(&next->next, memory_order_relaxed))
			MC_STORE(&next->consumed, 1, memory_order_relaxed);
		q->tail = next;
		/* relaxed: consumer-owned counter, read only by len */
		MC_STORE(&q->popped, MC_LOAD(&q->popped, memory_order_relaxed) + 1,
		                      memory_order_relaxed);
		vy_recycle(q, t);
		return MBX_OK;
	}
	return MC_LOAD(&q->head, memory_order_seq_cst) == t ? MBX_EMPTY : MBX_RETRY;
}

/* The queue looked empty: confirm it and answer EMPTY or CLOSED, or RETRY if
 * a push got in. The closed flag is read BEFORE the confirming CAS, so a push
 * that returned before close began is seen by the CAS and never overtaken by
 * CLOSED. The CAS (head: tail -> tail) is the linearization point of EMPTY,
 * and its release orders our `consumed` stores before the exchange of the
 * next producer, which is what makes was_empty true after an EMPTY. It runs
 * only when answering, never in a spin loop, so the producers' line is not
 * hammered. */
static mbx_status vy_settle(vy_queue *q)
{
	uint32_t closed = MC_LOAD(&q->closed, memory_order_seq_cst);
	vy_node *t = q->tail, *expect = t;
	/* release: see above; pairs with the producers' seq_cst (acquire)
	 * exchange. relaxed failure: a push got in, the caller looks again */
	if (!MC_CAS_STRONG(&q->head, &expect, t, memory_order_release,
	                                             memory_order_relaxed))
		return MBX_RETRY;
	return closed ? MBX_CLOSED : MBX_EMPTY;
}

/* Park condition: anything that is not "empty and open". seq_cst loads: the
 * re-check half of the Dekker pairings with the producers' seq_cst exchange
 * on head and close's seq_cst store (park.h). */
static bool vy_ready(void *p)
{
	vy_queue *q = p;
	vy_node *t = q->tail;
	return MC_LOAD(&t->next, memory_order_seq_cst) != NULL ||
	       MC_LOAD(&q->head, memory_order_seq_cst) != t ||
	       MC_LOAD(&q->closed, memory_order_seq_cst) != 0;
}

/* deadline_ns: 0 = do not wait (never answers RETRY), < 0 = forever, else
 * absolute CLOCK_MONOTONIC. */
static mbx_status vy_pop_until(vy_queue *q, mbx_msg *out, int64_t deadline_ns)
{
	unsigned round = 0;
	bool timed_out = false;
	for (;;) {
		mbx_status st = vy_take(q, out);
		if (st == MBX_OK)
			return st;
		if (st == MBX_EMPTY && (timed_out || deadline_ns == 0 ||
		                        MC_LOAD(&q->closed, memory_order_seq_cst))) {
			st = vy_settle(q);
			if (st == MBX_EMPTY && timed_out)
				return MBX_TIMEOUT;
			if (st != MBX_RETRY)
				return st;
		}
		if (st == MBX_RETRY) {
			mbx_i_backoff(&round); /* RETRY: never park on it (park.h) */
			continue;
		}
		round = 0;
		if (!mbx_i_park_wait(&q->not_empty, q->base.spin, &q->spin_now, true, vy_ready, q, deadline_ns))
			timed_out = true; /* one last look above */
	}
}

static mbx_status vy_try_pop(mbx *m, mbx_msg *out)
{
	vy_queue *q = (vy_queue *)m;
	mbx_status st = vy_take(q, out);
	if (st == MBX_EMPTY)
		st = vy_settle(q);
	if (MBX_MUTANT(10) && st == MBX_RETRY)
		st = MBX_EMPTY; /* mutant 10: Vyukov's classic pop, EMPTY while a push is mid-link */
	return st;
}

static mbx_status vy_pop(mbx *m, mbx_msg *out) { return vy_pop_until((vy_queue *)m, out, -1); }
static mbx_status vy_pop_timeout(mbx *m, mbx_msg *out, int64_t ns)
{
	return vy_pop_until((vy_queue *)m, out, mbx_deadline_ns(ns));
}

static void vy_close(mbx *m)
{
	vy_queue *q = (vy_queue *)m;
	/* seq_cst: P for not_empty (vy_ready reads it after announcing) */
	MC_STORE(&q->closed, 1, memory_order_seq_cst);
	mbx_i_park_wake(&q->not_empty);
}

static size_t vy_len(mbx *m)
{
	vy_queue *q = (vy_queue *)m;
	/* relaxed: an estimate by contract, exact at rest (then both counters
	 * are final). popped first, since pushes only grow; a reading with
	 * popped ahead (a pop racing its push's count) clamps to 0. */
	uint64_t popped = MC_LOAD(&q->popped, memory_order_relaxed);
	uint64_t pushed = MC_LOAD(&q->pushed, memory_order_relaxed);
	return pushed > popped ? (size_t)(pushed - popped) : 0;
}

static void vy_fini(mbx *m)
{
	vy_queue *q = (vy_queue *)m;
	vy_free_list(q->tail); /* the stub and every queued node */
	vy_free_list(q->batch);
	vy_free_list(MC_LOAD(&q->free, memory_order_relaxed)); /* no concurrency at destroy */
}

static size_t vy_size(const mbx_config *cfg);
static int vy_init(mbx *m, const mbx_config *cfg);

/* Default spin budget 1024, as futex_ring (the same sweep:
 * results/notes/spin-budget.md); fan-in hardly depends on it. */
const mbx_ops mbx_vyukov_ops = {
	.name = "vyukov",
	.summary = "Vyukov intrusive MPSC node queue, wait-free push, node cache, spin-then-futex (ours)",
	.caps = MBX_CAP_UNBOUNDED | MBX_CAP_BLOCKING | MBX_CAP_LOCKFREE | MBX_CAP_WAITFREE_PUSH | MBX_CAP_SPIN |
	        MBX_CAP_RETRY,
	.default_capacity = MBX_UNBOUNDED,
	.default_spin = 1024,
	MBX_INPLACE(vy),
	.push = vy_push,
	.try_push = vy_push, /* unbounded: never FULL, never blocks */
	.pop = vy_pop,
	.try_pop = vy_try_pop,
	.pop_timeout = vy_pop_timeout,
	.close = vy_close,
	.len = vy_len,
};

/* The stub node is a heap node (it is recycled through the node cache). */
static size_t vy_size(const mbx_config *cfg)
{
	mbx h;
	return mbx_i_init(&h, &mbx_vyukov_ops, cfg) ? 0 : mbx_i_lines(sizeof(vy_queue));
}

static int vy_init(mbx *m, const mbx_config *cfg)
{
	vy_queue *q = (vy_queue *)m;
	memset(q, 0, sizeof *q);
	int err = mbx_i_init(&q->base, &mbx_vyukov_ops, cfg);
	if (err)
		return err;
	vy_node *stub = aligned_alloc(MBX_CACHELINE, sizeof *stub);
	if (!stub)
		return ENOMEM;
	memset(stub, 0, sizeof *stub);
	atomic_init(&stub->next, NULL);
	atomic_init(&stub->consumed, 1); /* a fresh mailbox is empty: the first push says so */
	atomic_init(&q->closed, 0);
	atomic_init(&q->head, stub);
	atomic_init(&q->pushed, 0);
	q->tail = stub;
	atomic_init(&q->popped, 0);
	atomic_init(&q->free, NULL);
	mbx_i_spin_init(&q->spin_now, q->base.spin);
	mbx_i_park_init(&q->not_empty);
	return 0;
}
