/* ck_fifo: ConcurrencyKit's unbounded lock-free FIFO (ck_fifo_mpmc, the
 * Michael-Scott queue with 16-byte generation-tagged pointers) used MPSC,
 * made safe with ck_epoch reclamation and a type-stable node pool; parking
 * through CK's eventcount (ck_ec32).
 *
 * Reclamation (SMR = ck_epoch). ck_fifo_mpmc_dequeue hands back the old stub
 * ("garbage") while a producer may still be reading it as a stale tail, so it
 * is never freed or reused at once: the consumer retires it with
 * ck_epoch_call and, every FIFO_POLL_EVERY retirements (and before it
 * parks), runs ck_epoch_poll_deferred, which hands back the nodes whose grace
 * period has passed. Producers run their enqueue inside
 * ck_epoch_begin/ck_epoch_end on an epoch record. The consumer never needs a
 * section of its own: the only nodes it dereferences are the current stub and
 * its successor, which only the consumer itself can retire.
 *
 * Per-thread records without per-thread state. Producers are threads created
 * by callers, so records are a per-mailbox pool of "slots" (epoch record +
 * private node cache), all registered with the mailbox's ck_epoch at create:
 * a producer takes a slot with one exchange on the slot's own `busy` word,
 * starting at a thread-local hint (a plain number, so nothing is registered
 * per thread and thread exit leaks nothing), and moves to the next slot if it
 * is taken. The flag is an ownership token, not a lock anyone waits on: if all
 * slots are busy the producer adds an overflow slot (registered with
 * ck_epoch_register, kept until destroy). Slots: 2 x online CPUs, rounded to
 * a power of two, 4..64. destroy frees the slots and the overflow list.
 *
 * Node pool (amortised allocation). Nodes (CK link + mbx_msg by value + the
 * epoch entry) come in chunks of FIFO_CHUNK_NODES from one malloc; chunks are
 * only freed by destroy, so every node ever handed out is in a chunk and
 * destroy is "free every chunk" (queued messages, retired and cached nodes
 * included). Flow: producer's slot cache -> queue -> retired (epoch) ->
 * consumer batches the reclaimed nodes onto a Treiber stack `free_top` with
 * one CAS -> a producer whose slot cache is empty takes the whole stack with
 * one exchange (no pop, so no ABA) -> that slot's cache. Only if the stack is
 * empty does a producer malloc a new chunk. Memory is the high-water mark of
 * in-flight nodes, kept until destroy.
 *
 * Contract details. `count` is incremented after the link and decremented
 * after the unlink, so it can be briefly negative; was_empty = (count was
 * <= 0 at our increment), and that same producer increments the `nonempty`
 * eventcount, the only one whose message can find the consumer parked. A
 * false was_empty means an increment before ours had not been counted out
 * yet; the consumer's acquire decrement of that message makes our link
 * visible to its next dequeue, so a draining consumer reaches us. The
 * consumer parks when the queue is empty (read ec, re-check, wait), so it
 * never waits for a producer. close is NOT exact: a push that passed its
 * closed check just before close may link after the consumer saw CLOSED; it
 * is never lost (mbx_drain, destroy).
 *
 * TSan: CK's inline asm is invisible to it (see ck_ring.c). The
 * producer releases on its node before the enqueue; the consumer acquires on
 * the node it got after the dequeue; every CK call runs inside
 * MBX_TSAN_IGNORE_BEGIN/END, and nothing else does: the message is copied in
 * and out of the node outside them, and the writes CK makes into our node
 * memory inside them (the link at enqueue, the epoch entry at retire) are
 * declared to TSan first (MBX_TSAN_WRITES), so a node reused too early is
 * still a reported race. Node reuse is ordered by our own C11 atomics
 * (free_top, slot busy). UBSan: this is the one file that includes
 * ck_fifo.h (pointer arithmetic on NULL generations, see CMakeLists). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ck_ec.h>
#include <ck_epoch.h>
#include <ck_fifo.h>
#include <ck_stack.h>

#include "ck_glue.h"
#include "mailbox.h"
#include "mbx_sync.h"

#ifndef CK_F_FIFO_MPMC
#error "ck_fifo_mpmc needs CK_F_PR_CAS_PTR_2 (x86_64 asm port; not with CK_USE_CC_BUILTINS)"
#endif

enum {
	FIFO_CHUNK_NODES = 64, /* nodes per malloc */
	FIFO_POLL_EVERY = 64,  /* retirements between ck_epoch polls */
	FIFO_MIN_SLOTS = 4,
	FIFO_MAX_SLOTS = 64,
};

typedef struct fifo_node {
	ck_fifo_mpmc_entry_t fe; /* CK's link; 16-byte aligned for cmpxchg16b */
	mbx_msg msg;
	union {
		ck_epoch_entry_t ee;         /* retired, waiting for a grace period */
		struct fifo_node *free_next; /* free: in a slot cache or on free_top */
	} u;
} fifo_node;
_Static_assert(_Alignof(fifo_node) >= 16, "cmpxchg16b needs 16-byte aligned links");
_Static_assert(sizeof(fifo_node) == 96, "link + message + epoch entry");

typedef struct fifo_chunk {
	struct fifo_chunk *next;
	_Alignas(MBX_CACHELINE) fifo_node nodes[FIFO_CHUNK_NODES];
} fifo_chunk;

typedef struct fifo_slot {
	_Atomic uint32_t busy;  /* 1 while a producer owns the slot */
	fifo_node *cache;       /* free nodes, owned by the slot's owner */
	struct fifo_slot *next; /* overflow list link, immutable once published */
	ck_epoch_record_t rec;  /* CK_CC_CACHELINE: starts its own line */
} fifo_slot;
_Static_assert(offsetof(fifo_slot, rec) % MBX_CACHELINE == 0, "epoch record on its own line");
_Static_assert(sizeof(fifo_slot) % MBX_CACHELINE == 0, "slots in an array do not share lines");

typedef struct ckfifo_mbx {
	mbx base;
	fifo_slot *slots; /* read-only after create */
	uint32_t slot_mask;
	_Atomic bool closed; /* written once by close, read by every push */
	/* CK pads head and tail onto separate lines. */
	_Alignas(MBX_CACHELINE) ck_fifo_mpmc_t fifo;
	/* Linked-and-not-unlinked messages (briefly negative, see header). */
	_Alignas(MBX_CACHELINE) _Atomic int64_t count;
	/* Consumer parks here; the producer that finds count <= 0 increments. */
	_Alignas(MBX_CACHELINE) ck_ec32_t nonempty;
	/* Reclaimed nodes: the consumer pushes batches, producers take all. */
	_Alignas(MBX_CACHELINE) _Atomic(fifo_node *) free_top;
	/* Global epoch: read by every ck_epoch_begin, advanced by the poll. */
	_Alignas(MBX_CACHELINE) ck_epoch_t epoch;
	_Atomic(fifo_slot *) overflow; /* extra slots (rare) */
	_Atomic(fifo_chunk *) chunks;  /* every chunk, for destroy */
	ck_epoch_record_t cons_rec;    /* the consumer's deferral lists */
	/* Consumer-private. */
	_Alignas(MBX_CACHELINE) unsigned retired; /* since the last poll */
} ckfifo_mbx;

_Static_assert(offsetof(ckfifo_mbx, fifo) % MBX_CACHELINE == 0, "queue on its own lines");
_Static_assert(offsetof(ckfifo_mbx, count) - offsetof(ckfifo_mbx, fifo) >= sizeof(ck_fifo_mpmc_t),
               "count must not share a line with CK's tail");
_Static_assert(offsetof(ckfifo_mbx, nonempty) - offsetof(ckfifo_mbx, count) >= MBX_CACHELINE,
               "count and the eventcount on separate lines");
_Static_assert(offsetof(ckfifo_mbx, free_top) - offsetof(ckfifo_mbx, nonempty) >= MBX_CACHELINE,
               "eventcount and free stack on separate lines");
_Static_assert(offsetof(ckfifo_mbx, epoch) - offsetof(ckfifo_mbx, free_top) >= MBX_CACHELINE,
               "free stack and global epoch on separate lines");
_Static_assert(offsetof(ckfifo_mbx, retired) - offsetof(ckfifo_mbx, cons_rec) >=
                   sizeof(ck_epoch_record_t),
               "consumer-private state after the consumer's record");

/* `nonempty` parks through mbx_ck_ec_mode (../ck_glue.h): futex,
 * CLOCK_MONOTONIC, multi-producer mode. */

/* ---- node pool ---- */

/* Allocate a chunk; return its nodes as a free_next list. Any thread. */
static fifo_node *chunk_alloc(ckfifo_mbx *q)
{
	fifo_chunk *c = aligned_alloc(MBX_CACHELINE, sizeof *c);
	if (!c)
		return NULL;
	for (int i = 0; i < FIFO_CHUNK_NODES; i++)
		c->nodes[i].u.free_next = i + 1 < FIFO_CHUNK_NODES ? &c->nodes[i + 1] : NULL;
	/* relaxed: the list is only walked by destroy, which the caller orders
	 * after every push (contract: destroy runs alone). */
	c->next = atomic_load_explicit(&q->chunks, memory_order_relaxed);
	while (!atomic_compare_exchange_weak_explicit(&q->chunks, &c->next, c, memory_order_relaxed,
	                                              memory_order_relaxed))
		;
	return &c->nodes[0];
}

/* A free node for the owner of slot s. */
static fifo_node *node_get(ckfifo_mbx *q, fifo_slot *s)
{
	fifo_node *n = s->cache;
	if (!n) {
		/* relaxed peek: skip the exchange (a write) when there is nothing */
		if (atomic_load_explicit(&q->free_top, memory_order_relaxed))
			/* acquire: pairs with the consumer's release CAS in
			 * fifo_reclaim; the nodes' last reads by the consumer
			 * happen-before our reuse. */
			n = atomic_exchange_explicit(&q->free_top, NULL, memory_order_acquire);
		if (!n)
			n = chunk_alloc(q);
		if (!n)
			return NULL;
	}
	s->cache = n->u.free_next;
	return n;
}

static void never_called(ck_epoch_entry_t *e)
{
	/* We poll with ck_epoch_poll_deferred, which never calls entries. */
	(void)e;
	abort();
}

/* Consumer: hand nodes whose grace period passed back to producers. */
static void fifo_reclaim(ckfifo_mbx *q)
{
	ck_stack_t done;
	ck_stack_init(&done);
	q->retired = 0;
	MBX_TSAN_IGNORE_BEGIN();
	ck_epoch_poll_deferred(&q->cons_rec, &done);
	MBX_TSAN_IGNORE_END();
	fifo_node *first = NULL, *last = NULL;
	ck_stack_entry_t *e, *next;
	for (e = CK_STACK_FIRST(&done); e; e = next) {
		next = CK_STACK_NEXT(e); /* read before free_next overwrites the union */
		fifo_node *n = (fifo_node *)((char *)e - offsetof(fifo_node, u.ee.stack_entry));
		n->u.free_next = first;
		first = n;
		if (!last)
			last = n;
	}
	if (!first)
		return;
	/* relaxed: only the expected value; the CAS publishes */
	fifo_node *top = atomic_load_explicit(&q->free_top, memory_order_relaxed);
	do
		last->u.free_next = top;
	/* release: pairs with the acquire exchange in node_get. */
	while (!atomic_compare_exchange_weak_explicit(&q->free_top, &top, first, memory_order_release,
	                                              memory_order_relaxed));
}

static void node_retire(ckfifo_mbx *q, fifo_node *g)
{
	MBX_TSAN_WRITES(&g->u.ee, sizeof g->u.ee); /* our node: checked, see the header */
	MBX_TSAN_IGNORE_BEGIN();
	ck_epoch_call(&q->cons_rec, &g->u.ee, never_called);
	MBX_TSAN_IGNORE_END();
	if (++q->retired >= FIFO_POLL_EVERY)
		fifo_reclaim(q);
}

/* ---- slots ---- */

static _Atomic uint32_t fifo_hint_seq;   /* spreads threads over slots */
static _Thread_local uint32_t fifo_hint; /* 0: not assigned yet */

static bool slot_try(fifo_slot *s)
{
	/* relaxed peek first: a busy slot's line is not written.
	 * acquire: pairs with the release store in slot_release (the previous
	 * owner's use of the cache and record happens-before ours). */
	return !atomic_load_explicit(&s->busy, memory_order_relaxed) &&
	       !atomic_exchange_explicit(&s->busy, 1, memory_order_acquire);
}

static void slot_release(fifo_slot *s)
{
	/* release: pairs with the acquire exchange in slot_try. */
	atomic_store_explicit(&s->busy, 0, memory_order_release);
}

static fifo_slot *slot_acquire(ckfifo_mbx *q)
{
	uint32_t h = fifo_hint;
	if (!h) /* relaxed: any distinct-ish number will do */
		h = fifo_hint = atomic_fetch_add_explicit(&fifo_hint_seq, 1, memory_order_relaxed) + 1;
	for (uint32_t i = 0; i <= q->slot_mask; i++) {
		fifo_slot *s = &q->slots[(h + i) & q->slot_mask];
		if (slot_try(s))
			return s;
	}
	/* acquire: pairs with the release CAS below (a published slot is
	 * initialised and registered). */
	for (fifo_slot *s = atomic_load_explicit(&q->overflow, memory_order_acquire); s; s = s->next)
		if (slot_try(s))
			return s;
	fifo_slot *s = aligned_alloc(MBX_CACHELINE, sizeof *s);
	if (!s)
		return NULL;
	memset(s, 0, sizeof *s);
	atomic_init(&s->busy, 1);
	MBX_TSAN_IGNORE_BEGIN();
	ck_epoch_register(&q->epoch, &s->rec, NULL);
	MBX_TSAN_IGNORE_END();
	/* relaxed: only the CAS's expected value; the CAS publishes */
	s->next = atomic_load_explicit(&q->overflow, memory_order_relaxed);
	/* release: pairs with the acquire load above. */
	while (!atomic_compare_exchange_weak_explicit(&q->overflow, &s->next, s, memory_order_release,
	                                              memory_order_relaxed))
		;
	return s;
}

/* ---- producer side ---- */

static mbx_status fifo_push(mbx *m, const mbx_msg *msg, bool *was_empty)
{
	ckfifo_mbx *q = (ckfifo_mbx *)m;
	/* relaxed: a push after close() returned sees it by coherence; one that
	 * races close may get through (non-exact close, see header). */
	if (atomic_load_explicit(&q->closed, memory_order_relaxed))
		return MBX_CLOSED;
	fifo_slot *s = slot_acquire(q);
	if (!s)
		return MBX_NOMEM;
	fifo_node *n = node_get(q, s);
	if (!n) {
		slot_release(s);
		return MBX_NOMEM;
	}
	n->msg = *msg;
	MBX_TSAN_WRITES(&n->fe, sizeof n->fe); /* our node: checked, see the header */
	MBX_TSAN_RELEASE(n); /* covers the message and what the sender wrote before push */
	MBX_TSAN_IGNORE_BEGIN();
	ck_epoch_begin(&s->rec, NULL);
	ck_fifo_mpmc_enqueue(&q->fifo, &n->fe, n);
	MBX_TSAN_IGNORE_END();
	MBX_CHAOS(); /* linked, still in the epoch section: delays reclamation */
	MBX_TSAN_IGNORE_BEGIN();
	ck_epoch_end(&s->rec, NULL);
	MBX_TSAN_IGNORE_END();
	slot_release(s);
	MBX_CHAOS(); /* between link and count */
	/* acq_rel: release pairs with the consumer's acquire fetch_sub in
	 * fifo_take (it then sees our link); acquire pairs with earlier
	 * producers' release increments, so the ec increment below also covers
	 * their links. */
	int64_t old = atomic_fetch_add_explicit(&q->count, 1, memory_order_acq_rel);
	bool first = old <= 0;
	if (was_empty)
		*was_empty = first;
	if (first) {
		MBX_CHAOS(); /* between publish and wake */
		ck_ec32_inc(&q->nonempty, &mbx_ck_ec_mode);
	}
	return MBX_OK;
}

/* ---- consumer side ---- */

static bool fifo_take(ckfifo_mbx *q, mbx_msg *out)
{
	void *v;
	ck_fifo_mpmc_entry_t *garbage;
	bool ok;
	MBX_TSAN_IGNORE_BEGIN();
	ok = ck_fifo_mpmc_dequeue(&q->fifo, &v, &garbage);
	MBX_TSAN_IGNORE_END();
	if (!ok)
		return false;
	fifo_node *n = v; /* the new stub: not retired until the next dequeue */
	MBX_TSAN_ACQUIRE(n); /* pairs with the producer's release on this node */
	*out = n->msg;
	/* acquire: pairs with the producers' release increments in fifo_push:
	 * once we count past an increment, that producer's link is visible. */
	atomic_fetch_sub_explicit(&q->count, 1, memory_order_acquire);
	node_retire(q, (fifo_node *)garbage); /* fe is the first member */
	return true;
}

/* deadline: -1 forever, 0 never wait (try_pop), else absolute CLOCK_MONOTONIC ns. */
static mbx_status fifo_pop_until(mbx *m, mbx_msg *out, int64_t deadline)
{
	ckfifo_mbx *q = (ckfifo_mbx *)m;
	int32_t spins = 0;
	bool expired = false; /* the deadline passed: one last look, then TIMEOUT */
	for (;;) {
		if (fifo_take(q, out))
			return MBX_OK;
		/* acquire: pairs with close()'s release store; a push that
		 * happened-before close is visible to the take below. */
		if (atomic_load_explicit(&q->closed, memory_order_acquire)) {
			if (fifo_take(q, out))
				return MBX_OK;
			return MBX_CLOSED;
		}
		if (deadline == 0 || expired)
			return expired ? MBX_TIMEOUT : MBX_EMPTY;
		if (spins < q->base.spin) {
			spins++;
			mbx_cpu_relax();
			if (deadline > 0 && (spins & 63) == 0 && mbx_now_ns() >= deadline)
				return MBX_TIMEOUT;
			continue;
		}
		if (q->retired)
			fifo_reclaim(q); /* idle: give producers their nodes back */
		uint32_t ev = ck_ec32_value(&q->nonempty);
		MBX_CHAOS(); /* between reading the ec and re-checking */
		if (fifo_take(q, out))
			return MBX_OK;
		/* acquire: as above */
		if (atomic_load_explicit(&q->closed, memory_order_acquire))
			continue;
		if (deadline < 0) {
			ck_ec32_wait(&q->nonempty, &mbx_ck_ec_mode, ev, NULL);
		} else {
			struct timespec ts = mbx_ck_deadline_ts(deadline);
			if (ck_ec32_wait(&q->nonempty, &mbx_ck_ec_mode, ev, &ts) != 0)
				expired = true; /* the top answers OK, CLOSED or TIMEOUT */
		}
	}
}

static mbx_status fifo_pop(mbx *m, mbx_msg *out) { return fifo_pop_until(m, out, -1); }
static mbx_status fifo_try_pop(mbx *m, mbx_msg *out) { return fifo_pop_until(m, out, 0); }
static mbx_status fifo_pop_timeout(mbx *m, mbx_msg *out, int64_t ns)
{
	return fifo_pop_until(m, out, mbx_deadline_ns(ns));
}

static void fifo_close(mbx *m)
{
	ckfifo_mbx *q = (ckfifo_mbx *)m;
	/* release: pairs with the consumer's acquire loads in fifo_pop_until. */
	atomic_store_explicit(&q->closed, true, memory_order_release);
	MBX_CHAOS(); /* between closing and waking */
	ck_ec32_inc(&q->nonempty, &mbx_ck_ec_mode);
}

static size_t fifo_len(mbx *m)
{
	ckfifo_mbx *q = (ckfifo_mbx *)m;
	/* relaxed: approximate by contract */
	int64_t c = atomic_load_explicit(&q->count, memory_order_relaxed);
	return c > 0 ? (size_t)c : 0;
}

static void fifo_fini(mbx *m)
{
	ckfifo_mbx *q = (ckfifo_mbx *)m;
	/* Every node (queued, stub, retired, cached, on free_top) lives in a
	 * chunk, and CK allocates nothing: chunks + slots are everything.
	 * relaxed: destroy runs alone, after the callers' joins. */
	fifo_chunk *c = atomic_load_explicit(&q->chunks, memory_order_relaxed);
	while (c) {
		fifo_chunk *next = c->next;
		free(c);
		c = next;
	}
	fifo_slot *s = atomic_load_explicit(&q->overflow, memory_order_relaxed);
	while (s) {
		fifo_slot *next = s->next;
		free(s);
		s = next;
	}
	free(q->slots);
}

static size_t fifo_size(const mbx_config *cfg);
static int fifo_init(mbx *m, const mbx_config *cfg);

const mbx_ops mbx_ck_fifo_ops = {
	.name = "ck_fifo",
	.summary = "ConcurrencyKit ck_fifo_mpmc used MPSC; ck_epoch SMR, chunked node pool, ck_ec32 parking",
	.caps = MBX_CAP_UNBOUNDED | MBX_CAP_BLOCKING | MBX_CAP_LOCKFREE | MBX_CAP_SPIN,
	.default_capacity = MBX_UNBOUNDED,
	.default_spin = 256, /* as futex_ring and vyukov, for a like-for-like sweep */
	MBX_INPLACE(fifo),
	.push = fifo_push,
	.try_push = fifo_push, /* unbounded: never FULL, never blocks */
	.pop = fifo_pop,
	.try_pop = fifo_try_pop,
	.pop_timeout = fifo_pop_timeout,
	.close = fifo_close,
	.len = fifo_len,
};

static size_t fifo_size(const mbx_config *cfg)
{
	mbx h;
	return mbx_i_init(&h, &mbx_ck_fifo_ops, cfg) ? 0 : mbx_i_lines(sizeof(ckfifo_mbx));
}

static int fifo_init(mbx *m, const mbx_config *cfg)
{
	ckfifo_mbx *q = (ckfifo_mbx *)m;
	memset(q, 0, sizeof *q);
	int err = mbx_i_init(&q->base, &mbx_ck_fifo_ops, cfg);
	if (err)
		return err;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	uint32_t want = cpus > 0 ? (uint32_t)cpus * 2 : FIFO_MIN_SLOTS, n = FIFO_MIN_SLOTS;
	while (n < want && n < FIFO_MAX_SLOTS)
		n *= 2;
	q->slots = aligned_alloc(MBX_CACHELINE, n * sizeof *q->slots);
	if (!q->slots)
		return ENOMEM;
	memset(q->slots, 0, n * sizeof *q->slots);
	q->slot_mask = n - 1;
	ck_epoch_init(&q->epoch);
	ck_epoch_register(&q->epoch, &q->cons_rec, NULL);
	for (uint32_t i = 0; i < n; i++) {
		atomic_init(&q->slots[i].busy, 0);
		ck_epoch_register(&q->epoch, &q->slots[i].rec, NULL);
	}
	atomic_init(&q->overflow, NULL);
	atomic_init(&q->chunks, NULL);
	atomic_init(&q->count, 0);
	atomic_init(&q->closed, false);
	ck_ec32_init(&q->nonempty, 0);
	fifo_node *stub = chunk_alloc(q);
	if (!stub) {
		free(q->slots);
		return ENOMEM;
	}
	atomic_init(&q->free_top, stub->u.free_next); /* the rest of the first chunk */
	ck_fifo_mpmc_init(&q->fifo, &stub->fe);
	return 0;
}
