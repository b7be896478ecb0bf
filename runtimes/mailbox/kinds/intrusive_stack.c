/* intrusive_stack: producers push message nodes onto a lock-free LIFO stack
 * (one CAS); the consumer takes the whole stack with one RMW and reverses it
 * into a private FIFO batch (folly's AtomicIntrusiveLinkedList shape).
 * Batching is the point: one contended RMW per batch on the consumer side,
 * and a producer never leaves a window that stalls the consumer (no RETRY).
 *
 * Order: the stack holds pushes in CAS order, newest first; a batch is
 * everything pushed before the take, reversed, so pops follow CAS order
 * (linearizable, and per-producer FIFO in particular). The reversal chases
 * every node once: O(1) per message, paid on the consumer's side.
 *
 * The top word is a node pointer with bit 0 = CLOSED. Close sets the bit
 * with fetch_or and leaves the chain in place; a producer's CAS expects a
 * word without the bit, so every push after close fails and answers CLOSED,
 * and every push before it is in the chain the consumer drains (exact
 * close). The consumer takes with fetch_and(top, CLOSED): the chain comes
 * out, the bit stays.
 *
 * was_empty is "the stack had no chain": free, never falsely false (a chain
 * below us is one the consumer has not taken, and it must take it before it
 * can answer EMPTY), but true more often than needed while the consumer
 * still works through its private batch.
 *
 * Nodes: one malloc per push, freed by the consumer after the copy-out
 * (glibc's per-thread tcache is the free list; a node is a 48-byte request,
 * a 64-byte chunk). No cache of our own: its cost is measured
 * (results/notes/lines-per-message.md, callgrind per kind) rather than
 * hidden, and vyukov.c shows what a node cache buys.
 *
 * len: producers count pushes (a relaxed fetch_add on the top word's line,
 * one more locked op per push) and the consumer counts pops; mailbox.h wants
 * len exact at rest and a node cannot know its depth cheaply. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailbox.h"
#include "mbx_sync.h"
#include "park.h"

#define IS_CLOSED ((uintptr_t)1)

typedef struct is_node {
	struct is_node *next; /* written before the node is published, read after */
	mbx_msg msg;
} is_node;
_Static_assert(sizeof(is_node) == 48, "link + message");
_Static_assert(_Alignof(is_node) >= 2, "bit 0 of a node address is free for IS_CLOSED");

typedef struct is_queue {
	mbx base; /* read-only after create */
	/* producers: the stack top | IS_CLOSED, and the push count for len (same
	 * line: the CAS has just made it ours) */
	_Alignas(MBX_CACHELINE) _Atomic uintptr_t top;
	_Atomic uint64_t pushed;
	/* consumer only, except `popped`, read by len */
	_Alignas(MBX_CACHELINE) is_node *batch; /* taken, reversed: oldest first */
	mbx_i_spin spin_now;                    /* adaptive spin budget (park.h) */
	_Atomic uint64_t popped;
	_Alignas(MBX_CACHELINE) mbx_i_park not_empty; /* the consumer sleeps here */
} is_queue;
_Static_assert(offsetof(is_queue, top) == MBX_CACHELINE, "producers' line apart from the header");
_Static_assert(offsetof(is_queue, batch) - offsetof(is_queue, top) == MBX_CACHELINE, "consumer's line apart");
_Static_assert(offsetof(is_queue, not_empty) - offsetof(is_queue, batch) == MBX_CACHELINE, "waiters apart");

/* ---- producers ---- */

static mbx_status is_push(mbx *m, const mbx_msg *msg, bool *was_empty)
{
	is_queue *q = (is_queue *)m;
	/* relaxed: a first guess at the top; the CAS checks it */
	uintptr_t t = atomic_load_explicit(&q->top, memory_order_relaxed);
	if (t & IS_CLOSED)
		return MBX_CLOSED;
	is_node *n = malloc(sizeof *n);
	if (!n)
		return MBX_NOMEM;
	n->msg = *msg;
	/* relaxed: a count for len only; before the CAS, so it brings in the
	 * line the CAS then finds owned */
	atomic_fetch_add_explicit(&q->pushed, 1, memory_order_relaxed);
	do {
		if (t & IS_CLOSED) {
			/* relaxed: undoes our count; len is an estimate until at rest */
			atomic_fetch_sub_explicit(&q->pushed, 1, memory_order_relaxed);
			free(n);
			return MBX_CLOSED;
		}
		n->next = (is_node *)t;
		/* The linearization point of push. seq_cst success: it is P for
		 * not_empty (the consumer's re-check reads top), it is ordered against
		 * close's fetch_or, and its release half hands n (link and message)
		 * to the consumer's acquire take. relaxed failure: t is reloaded and
		 * nothing was published */
	} while (!atomic_compare_exchange_weak_explicit(&q->top, &t, (uintptr_t)n, memory_order_seq_cst,
	                                                memory_order_relaxed));
	if (was_empty)
		*was_empty = t == 0;
	MBX_CHAOS(); /* after the push, before the wake */
	if (!MBX_MUTANT(25)) /* mutant 25: a parked consumer is never woken */
		mbx_i_park_wake(&q->not_empty);
	return MBX_OK;
}

/* ---- the consumer ---- */

/* Moves the whole stack into the batch, oldest first. false: nothing there. */
static bool is_refill(is_queue *q)
{
	/* relaxed peek: no RMW on an empty stack (the producers' line stays
	 * theirs); the fetch_and decides */
	if (!(atomic_load_explicit(&q->top, memory_order_relaxed) & ~IS_CLOSED))
		return false;
	/* acquire: pairs with the producers' seq_cst (release) CAS; every node in
	 * the chain, link and message, is then visible. Keeps IS_CLOSED. */
	uintptr_t t = atomic_fetch_and_explicit(&q->top, IS_CLOSED, memory_order_acquire);
	is_node *n = (is_node *)(t & ~IS_CLOSED), *rev = NULL;
	while (n) {
		is_node *next = n->next;
		n->next = rev;
		rev = n;
		n = next;
	}
	q->batch = rev;
	return rev != NULL;
}

static mbx_status is_take(is_queue *q, mbx_msg *out)
{
	if (!q->batch && !is_refill(q)) {
		/* seq_cst: the closed bit comes from close's seq_cst fetch_or; a push
		 * that succeeded before it left a chain we would have seen above */
		uintptr_t t = atomic_load_explicit(&q->top, memory_order_seq_cst);
		if (t & ~IS_CLOSED)
			return is_take(q, out); /* a push got in since the peek */
		return t & IS_CLOSED ? MBX_CLOSED : MBX_EMPTY;
	}
	is_node *n = q->batch;
	q->batch = n->next;
	*out = n->msg;
	free(n);
	/* relaxed: consumer-owned counter, read only by len */
	atomic_store_explicit(&q->popped, atomic_load_explicit(&q->popped, memory_order_relaxed) + 1,
	                      memory_order_relaxed);
	return MBX_OK;
}

/* Park condition: a chain, or closed. The seq_cst load of top is the
 * re-check half of the Dekker pairing with the push CAS and close's
 * fetch_or (park.h). */
static bool is_ready(void *p)
{
	is_queue *q = p;
	return atomic_load_explicit(&q->top, memory_order_seq_cst) != 0;
}

/* deadline_ns: 0 = do not wait, < 0 = forever, else absolute. */
static mbx_status is_pop_until(is_queue *q, mbx_msg *out, int64_t deadline_ns)
{
	bool timed_out = false;
	for (;;) {
		mbx_status st = is_take(q, out);
		if (st != MBX_EMPTY)
			return st;
		if (timed_out)
			return MBX_TIMEOUT;
		if (deadline_ns == 0)
			return MBX_EMPTY;
		if (!mbx_i_park_wait(&q->not_empty, q->base.spin, &q->spin_now, true, is_ready, q, deadline_ns))
			timed_out = true; /* one last look above */
	}
}

static mbx_status is_pop(mbx *m, mbx_msg *out) { return is_pop_until((is_queue *)m, out, -1); }
static mbx_status is_try_pop(mbx *m, mbx_msg *out) { return is_take((is_queue *)m, out); }
static mbx_status is_pop_timeout(mbx *m, mbx_msg *out, int64_t ns)
{
	return is_pop_until((is_queue *)m, out, mbx_deadline_ns(ns));
}

static void is_close(mbx *m)
{
	is_queue *q = (is_queue *)m;
	/* seq_cst RMW: P for not_empty; every push CAS after it fails */
	atomic_fetch_or_explicit(&q->top, IS_CLOSED, memory_order_seq_cst);
	mbx_i_park_wake(&q->not_empty);
}

static size_t is_len(mbx *m)
{
	is_queue *q = (is_queue *)m;
	/* relaxed: an estimate by contract, exact at rest; popped first, since
	 * pushes only grow */
	uint64_t popped = atomic_load_explicit(&q->popped, memory_order_relaxed);
	uint64_t pushed = atomic_load_explicit(&q->pushed, memory_order_relaxed);
	return pushed > popped ? (size_t)(pushed - popped) : 0;
}

static void is_free_chain(is_node *n)
{
	while (n) {
		is_node *next = n->next;
		free(n);
		n = next;
	}
}

static void is_fini(mbx *m)
{
	is_queue *q = (is_queue *)m;
	is_free_chain(q->batch);
	/* relaxed: no concurrency at destroy */
	is_free_chain((is_node *)(atomic_load_explicit(&q->top, memory_order_relaxed) & ~IS_CLOSED));
}

static size_t is_size(const mbx_config *cfg);
static int is_init(mbx *m, const mbx_config *cfg);

/* Default spin budget 1024, as the other blocking kinds (results/notes/spin-budget.md). */
const mbx_ops mbx_intrusive_stack_ops = {
	.name = "intrusive_stack",
	.summary = "unbounded MPSC: CAS push onto a LIFO, consumer takes all and reverses, exact close, malloc'd nodes (ours)",
	.caps = MBX_CAP_UNBOUNDED | MBX_CAP_BLOCKING | MBX_CAP_LOCKFREE | MBX_CAP_SPIN | MBX_CAP_EXACT_CLOSE,
	.default_capacity = MBX_UNBOUNDED,
	.default_spin = 1024,
	MBX_INPLACE(is),
	.push = is_push,
	.try_push = is_push, /* unbounded: never FULL, never blocks */
	.pop = is_pop,
	.try_pop = is_try_pop,
	.pop_timeout = is_pop_timeout,
	.close = is_close,
	.len = is_len,
};

/* The nodes are heap blocks (one per queued message). */
static size_t is_size(const mbx_config *cfg)
{
	mbx h;
	return mbx_i_init(&h, &mbx_intrusive_stack_ops, cfg) ? 0 : mbx_i_lines(sizeof(is_queue));
}

static int is_init(mbx *m, const mbx_config *cfg)
{
	is_queue *q = (is_queue *)m;
	memset(q, 0, sizeof *q);
	int err = mbx_i_init(&q->base, &mbx_intrusive_stack_ops, cfg);
	if (err)
		return err;
	atomic_init(&q->top, 0);
	atomic_init(&q->pushed, 0);
	q->batch = NULL;
	atomic_init(&q->popped, 0);
	mbx_i_spin_init(&q->spin_now, q->base.spin);
	mbx_i_park_init(&q->not_empty);
	return 0;
}
