/* segment: unbounded MPSC queue of fixed-size segments, claimed with one
 * fetch_add (the lineage of crossbeam's list channel, Jiffy and LCRQ).
 *
 * Positions p = 0, 1, 2, ... are handed out by a fetch_add on `tail` (no CAS,
 * no retry loop). Position p lives in cell p % SG_N of the segment whose
 * `start` is p - p % SG_N. Segments are linked by `next`; the single consumer
 * walks them in order with a private position and reads `tail` only when the
 * next cell is not ready. Cells are 48 bytes (stamp + message), packed.
 *
 * Cell stamps (one word, written by the producer of the position and by the
 * consumer; never reset, because positions never repeat):
 *   SG_READY(p) = 2p + 2   message p is readable (producer, release)
 *   SG_TAKEN(p) = 2p + 3   message p was taken (consumer), for was_empty
 * Anything else is an older position's stamp: not ready.
 *
 * Segment life: a segment's `next` word is either its successor or, until
 * it has one, SG_NONE(start): "no successor yet" tagged with the segment's
 * own start, so a CAS that extends the queue (SG_NONE(E) -> new) can only
 * succeed on the incarnation it was meant for (starts never repeat: no
 * ABA). The producer of cell 0 of segment k (k > 0) extends k by one
 * segment before it publishes, SG_N claims ahead of need (Jiffy's
 * preallocation); a producer that finds no successor where it needs one
 * waits a few pauses and then extends the queue itself, so no producer
 * waits for a preempted one. The winner of the CAS sets the new segment's
 * `start` after linking it (a walker that meets the unset start starts
 * over); a loser's segment was never visible and goes to `orphans`, which
 * the consumer adds to its reserve. The consumer, having taken every cell of
 * a segment, moves to its successor and recycles it: start := SG_POOLED,
 * then into `spare` (taken by the next extension) or a private reserve.
 * Under a backlog the consumer recycles nothing for a while, so the
 * producer of cell 0, after its publish, leaves a freshly allocated spare if
 * there is none: allocation then rarely runs between a claim and its
 * publish. A large backlog's segments come from 2 MiB huge-page slabs the
 * queue owns ("Segment memory" below).
 *
 * Why recycling is safe (who can still touch a segment the consumer leaves):
 *  - every producer with a position in it has published (the consumer took
 *    all its cells), and a producer touches its segment only before its
 *    publish;
 *  - a producer with a later position may still hold a pointer to it, taken
 *    from the `tail_seg` hint or the `cons_seg` fallback, or be walking
 *    through it. Such a producer only reads `start` and `next`, and checks
 *    `start` after every `next` it reads (a seqlock: the recycle changes
 *    `start` before `next`); a changed start sends it back to `cons_seg`.
 *    Its extension CAS expects SG_NONE(its start) and fails on any other
 *    incarnation. So segments are never freed while the mailbox lives (only
 *    recycled): those reads stay in memory that is still ours. Peak memory
 *    is retained until destroy, as in vyukov;
 *  - a segment a producer found with start == E and E <= p < E + SG_N holds
 *    its unpublished position p, so it cannot be recycled under it.
 *
 * was_empty: the producer of p reads the stamp of cell p - 1 after its claim:
 * >= SG_TAKEN(p - 1) means the consumer took it (a recycled segment was
 * taken whole, and its reuse only writes larger stamps). The consumer stores
 * TAKEN, and before it answers EMPTY it issues a seq_cst fence and reads
 * `tail`: either the producer's read sees TAKEN (true), or the consumer's
 * read of tail sees the claim and it waits instead of answering EMPTY. The
 * store is skipped when cell p + 1 is already ready (its producer has read
 * cell p already), as vyukov skips its `consumed` store.
 *
 * Close is exact: close sets the CLOSED bit (bit 0 of tail) with a fetch_or
 * and records the final position; the fetch_add of every later push returns
 * the bit and the push answers CLOSED without touching a cell. The consumer
 * drains up to the final position and only then answers CLOSED.
 *
 * try_pop answers RETRY while the next position is claimed but not yet
 * published (MBX_CAP_RETRY): the producer is between its fetch_add and its
 * release store, or preempted there. pop spins, then yields on it, and never
 * parks on it (park.h: that producer's wake may have looked already).
 * Waiting for an empty mailbox spins on the next cell only (not on `tail`),
 * then parks (park.h), whose re-check reads tail. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "mailbox.h"
#include "mbx_sync.h"
#include "park.h"

enum { SG_N = 64 }; /* cells per segment: 48 lines of cells plus one header line */
#define SG_CLOSED UINT64_C(1)     /* bit 0 of tail; positions count in steps of 2 */
#define SG_POOLED UINT64_MAX      /* `start` of a segment that is not in the queue */
#define SG_NO_CLOSE UINT64_MAX    /* close_pos before close */
#define SG_READY(p) (2 * (p) + 2)
#define SG_TAKEN(p) (2 * (p) + 3)
#define SG_NONE(e) ((uintptr_t)(e) << 1 | 1) /* `next` of segment e without a successor */
enum { SG_HELP_AFTER = 32 }; /* pauses before a producer extends the queue itself */

/* 48 bytes: stamp + the 40-byte message, packed (4 cells per 3 lines).
 * Neighbouring producers may share a line; on 2 vCPUs two producers rarely
 * run at the same instant, and the consumer streams the cells in order. */
typedef struct sg_cell {
	_Atomic uint64_t stamp;
	mbx_msg msg;
} sg_cell;
_Static_assert(sizeof(sg_cell) == 48, "packed cells");

typedef struct sg_seg {
	/* header line: read by walking producers, written at append and recycle */
	_Alignas(MBX_CACHELINE) _Atomic uint64_t start; /* first position, or SG_POOLED */
	_Atomic uintptr_t next;                         /* successor, or SG_NONE(start) */
	_Atomic(struct sg_seg *) prev;                  /* predecessor, for was_empty at cell 0 */
	struct sg_seg *reserve_next;                    /* reserve or orphans list */
	struct sg_seg *all_next;                        /* every malloc'd segment (destroy) */
	bool in_slab;                                   /* carved from a slab (sg_seg_new), not malloc'd */
	_Alignas(MBX_CACHELINE) sg_cell cells[SG_N];
} sg_seg;
_Static_assert(offsetof(sg_seg, cells) == MBX_CACHELINE, "header on a line of its own");
_Static_assert(sizeof(sg_seg) == MBX_CACHELINE + SG_N * sizeof(sg_cell), "no padding between cells");

typedef struct sg_queue {
	mbx base; /* read-only after create */
	/* producers: the claim word (position << 1 | SG_CLOSED), and the hint
	 * where a producer starts looking for its segment (same line: the
	 * fetch_add has just made it ours) */
	_Alignas(MBX_CACHELINE) _Atomic uint64_t tail;
	_Atomic(sg_seg *) tail_seg;
	/* consumer: position and segment (private), published for len and for
	 * producers whose hint failed */
	_Alignas(MBX_CACHELINE) sg_seg *cur;
	uint64_t head, cur_start;
	sg_seg *reserve; /* recycled segments beyond the one spare */
	_Atomic uint32_t reserve_n; /* their number, read by sg_stock */
	_Atomic uint64_t head_pub;
	_Atomic(sg_seg *) cons_seg;
	mbx_i_spin spin_now; /* adaptive spin budget (park.h) */
	/* a recycled or fresh segment for the next extension (one per SG_N messages) */
	_Alignas(MBX_CACHELINE) _Atomic(sg_seg *) spare;
	_Atomic(sg_seg *) orphans; /* segments of lost extension races, for the consumer */
	/* rarely written: the list of all segments, and the final position */
	_Alignas(MBX_CACHELINE) _Atomic(sg_seg *) all;
	_Atomic uint64_t close_pos;
	_Alignas(MBX_CACHELINE) mbx_i_park not_empty; /* the consumer sleeps here */
	/* segment memory (sg_seg_new, under slab_mu): once per SG_N messages at most */
	_Alignas(MBX_CACHELINE) pthread_mutex_t slab_mu;
	struct sg_slab *slabs; /* newest first, freed at destroy */
	char *slab_next;       /* the newest slab's unused part: slab_left bytes */
	size_t slab_left;
	uint32_t heap_made;    /* segments malloc'd one by one so far */
} sg_queue;
_Static_assert(offsetof(sg_queue, tail) == MBX_CACHELINE, "producers' line apart from the header");
_Static_assert(offsetof(sg_queue, cur) - offsetof(sg_queue, tail) == MBX_CACHELINE, "consumer's line apart");
_Static_assert(offsetof(sg_queue, spin_now) + sizeof(mbx_i_spin) - offsetof(sg_queue, cur) <= MBX_CACHELINE,
               "consumer fields on one line");
_Static_assert(offsetof(sg_queue, spare) - offsetof(sg_queue, cur) == MBX_CACHELINE, "spare apart");
_Static_assert(offsetof(sg_queue, all) - offsetof(sg_queue, spare) == MBX_CACHELINE, "cold line apart");
_Static_assert(offsetof(sg_queue, not_empty) - offsetof(sg_queue, all) == MBX_CACHELINE, "waiters apart");
_Static_assert(offsetof(sg_queue, slab_mu) % MBX_CACHELINE == 0, "the allocator's lock apart from the waiters");

/* ---- segments ---- */

/* Segment memory. A queue's first SG_HEAP_SEGS extensions are malloc'd one
 * by one, so an idle or lightly used mailbox stays small (a queue makes that
 * many only when its backlog has reached ~SG_HEAP_SEGS * SG_N messages). Past
 * them it carves segments from 2 MiB slabs it owns and asks for transparent
 * huge pages on them (MADV_HUGEPAGE, a hint: without THP they are 4 KiB
 * pages as before). Why: a growing backlog first-touches a fresh page every
 * 85 messages, and on this kind of VM a 4 KiB page fault costs ~15 us, a
 * 2 MiB one ~0.26 us per 4 KiB (results/notes/segment-slabs/). The cost: a
 * queue that once grew past ~200 KiB keeps up to 2 MiB more than it uses.
 * Slab segments are recycled like the others; their memory goes back at
 * destroy. (Written here: no Debian package offers a slab with THP.) */
enum { SG_HEAP_SEGS = 64 };
#define SG_SLAB_BYTES ((size_t)2 << 20) /* one huge page on x86-64, and its alignment */

typedef struct sg_slab {
	_Alignas(MBX_CACHELINE) struct sg_slab *prev; /* the header line; segments follow */
} sg_slab;
_Static_assert(sizeof(sg_slab) == MBX_CACHELINE, "segments start on the slab's second line");

/* A fresh slab for sg_seg_new (slab_mu held); on failure the old state stays. */
static void sg_slab_grow(sg_queue *q)
{
	sg_slab *h = aligned_alloc(SG_SLAB_BYTES, SG_SLAB_BYTES);
	if (!h)
		return;
	(void)madvise(h, SG_SLAB_BYTES, MADV_HUGEPAGE); /* a hint: failure only means 4 KiB pages */
	h->prev = q->slabs;
	q->slabs = h;
	q->slab_next = (char *)(h + 1);
	q->slab_left = SG_SLAB_BYTES - sizeof *h;
}

/* A new segment, not yet registered: stamps 0 (not ready for any position,
 * SG_READY(p) >= 2). NULL when out of memory. */
static sg_seg *sg_seg_new(sg_queue *q)
{
	sg_seg *s = NULL;
	pthread_mutex_lock(&q->slab_mu);
	if (q->heap_made >= SG_HEAP_SEGS) {
		if (q->slab_left < sizeof *s)
			sg_slab_grow(q);
		if (q->slab_left >= sizeof *s) {
			s = (sg_seg *)(void *)q->slab_next;
			q->slab_next += sizeof *s;
			q->slab_left -= sizeof *s;
		}
	}
	if (!s)
		q->heap_made++;
	pthread_mutex_unlock(&q->slab_mu);
	bool in_slab = s != NULL;
	if (!s && !(s = aligned_alloc(MBX_CACHELINE, sizeof *s)))
		return NULL;
	s->in_slab = in_slab;
	atomic_init(&s->start, SG_POOLED);
	atomic_init(&s->next, SG_NONE(SG_POOLED));
	atomic_init(&s->prev, NULL);
	s->reserve_next = NULL;
	for (int i = 0; i < SG_N; i++)
		atomic_init(&s->cells[i].stamp, 0);
	return s;
}

/* A malloc'd segment onto the list that destroy frees (a slab segment goes
 * back with its slab). */
static void sg_register(sg_queue *q, sg_seg *s)
{
	if (s->in_slab)
		return;
	/* relaxed: a first guess; the CAS checks it */
	sg_seg *top = atomic_load_explicit(&q->all, memory_order_relaxed);
	do
		s->all_next = top;
	/* relaxed: destroy runs alone, after every push has returned; relaxed
	 * failure: reload only */
	while (!atomic_compare_exchange_weak_explicit(&q->all, &top, s, memory_order_relaxed, memory_order_relaxed));
}

/* Offers s as the spare (release: pairs with the acquire exchange in
 * sg_seg_get; s's initialisation and, for a recycled one, the consumer's
 * last reads of its cells happen before its next use). false: there
 * already is one. */
static bool sg_offer(sg_queue *q, sg_seg *s)
{
	sg_seg *none = NULL;
	/* relaxed failure: nothing was published */
	return atomic_compare_exchange_strong_explicit(&q->spare, &none, s, memory_order_release,
	                                               memory_order_relaxed);
}

/* A segment to extend the queue with: the spare (the usual case: the
 * consumer or a cell-0 producer left one), else a new one. Never NULL:
 * positions after ours depend on it, so out of memory we yield and try
 * again (push never answers NOMEM). */
static sg_seg *sg_seg_get(sg_queue *q)
{
	/* relaxed peek: spares an RMW when there is none; the exchange decides */
	if (atomic_load_explicit(&q->spare, memory_order_relaxed)) {
		/* acquire: pairs with the release CAS in sg_offer */
		sg_seg *s = atomic_exchange_explicit(&q->spare, NULL, memory_order_acquire);
		if (s)
			return s;
	}
	sg_seg *s;
	while (!(s = sg_seg_new(q)))
		sched_yield();
	sg_register(q, s);
	return s;
}

/* A segment nobody saw goes to the consumer's reserve (it adds `orphans`
 * when it recycles). release: pairs with the consumer's acquire exchange in
 * sg_recycle, which then sees n's header as we left it. */
static void sg_orphan(sg_queue *q, sg_seg *n)
{
	sg_seg *top = atomic_load_explicit(&q->orphans, memory_order_relaxed); /* the CAS checks it */
	do
		n->reserve_next = top;
	while (!atomic_compare_exchange_weak_explicit(&q->orphans, &top, n, memory_order_release,
	                                              memory_order_relaxed));
}

/* After its publish, a cell-0 producer makes sure the next extension finds
 * a spare, so malloc runs outside the claim-to-publish windows; only when
 * the consumer has nothing to recycle (a growing backlog), or recycled
 * segments would pile up unused in its reserve. */
static void sg_stock(sg_queue *q)
{
	/* relaxed peeks: the CAS in sg_offer decides; reserve_n is a hint */
	if (atomic_load_explicit(&q->spare, memory_order_relaxed) ||
	    atomic_load_explicit(&q->reserve_n, memory_order_relaxed))
		return;
	sg_seg *s = sg_seg_new(q);
	if (!s)
		return; /* the next extension allocates (or waits) itself */
	if (sg_offer(q, s))
		sg_register(q, s);
	else if (s->in_slab)
		sg_orphan(q, s); /* never seen by anyone; slab memory is not freed alone */
	else
		free(s); /* never seen by anyone */
}

/* Links a successor to segment k (start e) unless it has one. k is the
 * incarnation with start e: the CAS expects SG_NONE(e). */
static void sg_extend(sg_queue *q, sg_seg *k, uint64_t e)
{
	/* relaxed peek: spares the allocation when someone was first */
	if (atomic_load_explicit(&k->next, memory_order_relaxed) != SG_NONE(e))
		return;
	sg_seg *n = sg_seg_get(q);
	/* relaxed: published by the release CAS below (n's start stays
	 * SG_POOLED until then, so no walker reads these yet) */
	atomic_store_explicit(&n->next, SG_NONE(e + SG_N), memory_order_relaxed);
	atomic_store_explicit(&n->prev, k, memory_order_relaxed);
	uintptr_t none = SG_NONE(e);
	/* release: pairs with the acquire loads of next in sg_locate and
	 * sg_move: whoever follows the link sees n initialised. relaxed
	 * failure: n was never visible */
	if (!atomic_compare_exchange_strong_explicit(&k->next, &none, (uintptr_t)n, memory_order_release,
	                                             memory_order_relaxed)) {
		sg_orphan(q, n); /* lost the race: n was never visible */
		return;
	}
	/* release: pairs with the acquire loads of start in sg_locate: a walker
	 * that sees this start sees next and prev above */
	atomic_store_explicit(&n->start, e + SG_N, memory_order_release);
	/* release: pairs with the acquire load of the hint in sg_locate; only a
	 * hint (a stale or backward one costs a longer walk, never correctness) */
	atomic_store_explicit(&q->tail_seg, k, memory_order_release);
}

/* The consumer leaves `old` (every cell taken) for good. */
static void sg_recycle(sg_queue *q, sg_seg *old)
{
	/* relaxed: the seqlock writer's first step; the release store of next
	 * below orders it before the link change for walking producers */
	atomic_store_explicit(&old->start, SG_POOLED, memory_order_relaxed);
	/* release: pairs with the acquire load of next in sg_locate: a producer
	 * that reads this value then reads start == SG_POOLED and starts over */
	atomic_store_explicit(&old->next, SG_NONE(SG_POOLED), memory_order_release);
	old->reserve_next = q->reserve;
	q->reserve = old;
	uint32_t n = atomic_load_explicit(&q->reserve_n, memory_order_relaxed) + 1;
	/* relaxed peek: orphans are rare; the exchange decides */
	if (atomic_load_explicit(&q->orphans, memory_order_relaxed)) {
		/* acquire: pairs with the losers' release CAS in sg_extend */
		sg_seg *o = atomic_exchange_explicit(&q->orphans, NULL, memory_order_acquire);
		while (o) {
			sg_seg *next = o->reserve_next;
			o->reserve_next = q->reserve;
			q->reserve = o;
			o = next;
			n++;
		}
	}
	/* relaxed peek: sg_offer's CAS decides (a cell-0 producer's sg_stock may
	 * fill the spare at the same time) */
	if (!atomic_load_explicit(&q->spare, memory_order_relaxed)) {
		sg_seg *s = q->reserve;
		q->reserve = s->reserve_next;
		n--;
		if (!sg_offer(q, s)) {
			s->reserve_next = q->reserve;
			q->reserve = s;
			n++;
		}
	}
	/* relaxed: a hint for sg_stock, no data depends on it */
	atomic_store_explicit(&q->reserve_n, n, memory_order_relaxed);
}

/* ---- producers ---- */

/* The segment holding position p (start returned in *startp). */
static sg_seg *sg_locate(sg_queue *q, uint64_t p, uint64_t *startp)
{
	unsigned round = 0, help = 0;
	/* acquire: pairs with the release store of the hint in sg_extend */
	sg_seg *s = atomic_load_explicit(&q->tail_seg, memory_order_acquire);
	for (;;) {
		/* acquire: pairs with the release store of start in sg_extend: we
		 * then see its next/prev (and the cells' previous life is behind us) */
		uint64_t e = atomic_load_explicit(&s->start, memory_order_acquire);
		if (e > p) {
			/* the hint is ahead of us (we were slow to read it), or was
			 * recycled, or is being linked: start from the consumer's
			 * segment, whose start is <= its position <= p once we read a
			 * fresh one. acquire: pairs with the consumer's release store in
			 * sg_move */
			s = atomic_load_explicit(&q->cons_seg, memory_order_acquire);
			mbx_i_backoff(&round);
			continue;
		}
		if (p - e < SG_N) {
			*startp = e;
			return s;
		}
		/* acquire: pairs with the release CAS of the link in sg_extend (and
		 * with the recycle's release store) */
		uintptr_t n = atomic_load_explicit(&s->next, memory_order_acquire);
		if (n == SG_NONE(e)) {
			/* no successor yet (the tag proves s is still incarnation e):
			 * the cell-0 producer of s is late; after a few pauses, extend */
			if (help++ < SG_HELP_AFTER)
				mbx_cpu_relax();
			else
				sg_extend(q, s, e);
			continue;
		}
		/* relaxed: after the acquire load above; a recycle changed start
		 * before next, so if the next we read is stale, start shows it */
		if ((n & 1) || atomic_load_explicit(&s->start, memory_order_relaxed) != e) {
			s = atomic_load_explicit(&q->cons_seg, memory_order_acquire); /* as above */
			continue;
		}
		s = (sg_seg *)n;
		help = 0;
	}
}

static mbx_status sg_push(mbx *m, const mbx_msg *msg, bool *was_empty)
{
	sg_queue *q = (sg_queue *)m;
	/* relaxed peek at the closed bit: spares a dead claim; the fetch_add
	 * below decides */
	if (atomic_load_explicit(&q->tail, memory_order_relaxed) & SG_CLOSED)
		return MBX_CLOSED;
	/* The claim, and the linearization point of push. seq_cst: it is P for
	 * not_empty (the consumer's park re-check reads tail), it is ordered
	 * against close's fetch_or (exact close), and it is the producer's half
	 * of the was_empty pairing (its seq_cst load of the stamp follows). */
	uint64_t t = atomic_fetch_add_explicit(&q->tail, 2, memory_order_seq_cst);
	if (t & SG_CLOSED)
		return MBX_CLOSED;
	uint64_t p = t >> 1, e;
	MBX_CHAOS(); /* claimed, not yet published: the consumer sees RETRY */
	sg_seg *s = sg_locate(q, p, &e);
	uint64_t o = p - e;
	if (o == 0 && p > 0)
		sg_extend(q, s, e); /* one segment ahead of need */
	if (was_empty) {
		bool we = true;
		if (p > 0) {
			/* relaxed: prev was stored before the start our acquire read */
			const sg_cell *pc = o ? &s->cells[o - 1]
			                      : &atomic_load_explicit(&s->prev, memory_order_relaxed)->cells[SG_N - 1];
			/* seq_cst: after the seq_cst claim; pairs with the consumer's
			 * seq_cst fence before it reads tail (sg_settle) */
			we = atomic_load_explicit(&pc->stamp, memory_order_seq_cst) >= SG_TAKEN(p - 1);
		}
		*was_empty = we;
	}
	sg_cell *c = &s->cells[o];
	c->msg = *msg;
	/* release: pairs with the consumer's acquire load of the stamp in
	 * sg_take; hands the message over. Not P for the park: the claim is. */
	atomic_store_explicit(&c->stamp, SG_READY(p), memory_order_release);
	mbx_i_park_wake(&q->not_empty);
	if (o == 0 && p > 0)
		sg_stock(q);
	return MBX_OK;
}

/* ---- the consumer ---- */

/* Position h is not ready: EMPTY (nothing claimed), CLOSED (closed and all
 * claimed positions taken) or RETRY (h is claimed, not yet published; or
 * close is between its fetch_or and its record of the final position). */
static mbx_status sg_settle(sg_queue *q, uint64_t h)
{
	/* seq_cst fence: orders our TAKEN stores before the read of tail, the
	 * consumer's half of the was_empty pairing with the producers' claim and
	 * stamp load (see the top of the file) */
	atomic_thread_fence(memory_order_seq_cst);
	uint64_t t = atomic_load_explicit(&q->tail, memory_order_seq_cst);
	if (t & SG_CLOSED) {
		/* acquire: pairs with close's release store of the final position */
		uint64_t fin = atomic_load_explicit(&q->close_pos, memory_order_acquire);
		if (fin == SG_NO_CLOSE)
			return MBX_RETRY;
		return h == fin ? MBX_CLOSED : MBX_RETRY;
	}
	if (MBX_MUTANT(24))
		return MBX_EMPTY; /* mutant 24: EMPTY while a claimed position is unpublished */
	return t >> 1 == h ? MBX_EMPTY : MBX_RETRY;
}

static void sg_move(sg_queue *q)
{
	sg_seg *old = q->cur;
	/* acquire: pairs with the release CAS of the link in sg_extend */
	sg_seg *n = (sg_seg *)atomic_load_explicit(&old->next, memory_order_acquire);
	q->cur = n;
	q->cur_start += SG_N;
	/* release: pairs with the producers' acquire load of cons_seg; before
	 * the recycle, so a fresh read never names a recycled segment */
	atomic_store_explicit(&q->cons_seg, n, memory_order_release);
	sg_recycle(q, old);
}

/* OK, EMPTY, RETRY or CLOSED. */
static mbx_status sg_take(sg_queue *q, mbx_msg *out)
{
	uint64_t h = q->head, o = h - q->cur_start;
	if (o == SG_N) {
		/* relaxed peek: sg_move re-reads it with acquire. The producer of
		 * cell 0 of cur linked a successor (or saw one) before publishing,
		 * and we took that cell, so it is there; the check is defensive */
		if (atomic_load_explicit(&q->cur->next, memory_order_relaxed) & 1)
			return sg_settle(q, h);
		sg_move(q);
		o = 0;
	}
	sg_cell *c = &q->cur->cells[o];
	/* acquire: pairs with the producer's release store of the stamp */
	if (atomic_load_explicit(&c->stamp, memory_order_acquire) != SG_READY(h))
		return sg_settle(q, h);
	*out = c->msg;
	/* relaxed both: the TAKEN store is ordered for was_empty by the fence in
	 * sg_settle (and a skipped one is not needed: cell h + 1's producer has
	 * read our stamp before publishing). Always stored at a segment's last
	 * cell, which the next segment's cell 0 producer reads. */
	bool skip = MBX_MUTANT(23); /* mutant 23: never marks TAKEN, was_empty turns falsely false */
	if (!skip && (o == SG_N - 1 || atomic_load_explicit(&c[1].stamp, memory_order_relaxed) != SG_READY(h + 1)))
		atomic_store_explicit(&c->stamp, SG_TAKEN(h), memory_order_relaxed);
	q->head = h + 1;
	/* relaxed: read only by len, an estimate */
	atomic_store_explicit(&q->head_pub, h + 1, memory_order_relaxed);
	return MBX_OK;
}

/* The spin phase reads only the next cell (or the next link), never tail,
 * so a waiting consumer does not pull the producers' line. */
static bool sg_spin_ready(const sg_queue *q)
{
	uint64_t h = q->head, o = h - q->cur_start;
	if (o == SG_N)
		return !(atomic_load_explicit(&q->cur->next, memory_order_relaxed) & 1); /* a peek */
	/* relaxed: a peek; sg_take re-reads it with acquire */
	return atomic_load_explicit(&q->cur->cells[o].stamp, memory_order_relaxed) == SG_READY(h);
}

/* Park condition: anything that is not "position head unclaimed and open".
 * The seq_cst load of tail is the re-check half of the Dekker pairing with
 * the claim and close's fetch_or (park.h). */
static bool sg_ready(void *p)
{
	sg_queue *q = p;
	return sg_spin_ready(q) || atomic_load_explicit(&q->tail, memory_order_seq_cst) != q->head << 1;
}

/* deadline_ns: 0 = do not wait (never answers RETRY), < 0 = forever, else
 * absolute CLOCK_MONOTONIC. */
static mbx_status sg_pop_until(sg_queue *q, mbx_msg *out, int64_t deadline_ns)
{
	unsigned round = 0;
	bool timed_out = false;
	for (;;) {
		mbx_status st = sg_take(q, out);
		if (st == MBX_OK || st == MBX_CLOSED)
			return st;
		if (st == MBX_RETRY) {
			/* never park on it (park.h). Watch only the cell (sg_take's
			 * settle reads tail, the producers' line), and look again every
			 * 32 rounds anyway: a close in progress clears it too */
			do
				mbx_i_backoff(&round);
			while (!sg_spin_ready(q) && round % 32 != 0);
			continue;
		}
		round = 0;
		if (timed_out)
			return MBX_TIMEOUT;
		if (deadline_ns == 0)
			return MBX_EMPTY;
		/* spin on the cell, up to the adaptive budget; then park */
		int32_t budget = mbx_i_spin_budget(&q->spin_now, q->base.spin), i = 0;
		while (i < budget && !sg_spin_ready(q)) {
			mbx_cpu_relax();
			i++;
		}
		mbx_i_spin_learn(&q->spin_now, q->base.spin, budget, i < budget);
		if (i < budget)
			continue;
		if (!mbx_i_park_wait(&q->not_empty, 0, NULL, true, sg_ready, q, deadline_ns))
			timed_out = true; /* one last look above */
	}
}

static mbx_status sg_pop(mbx *m, mbx_msg *out) { return sg_pop_until((sg_queue *)m, out, -1); }
static mbx_status sg_try_pop(mbx *m, mbx_msg *out) { return sg_take((sg_queue *)m, out); }
static mbx_status sg_pop_timeout(mbx *m, mbx_msg *out, int64_t ns)
{
	return sg_pop_until((sg_queue *)m, out, mbx_deadline_ns(ns));
}

static void sg_close(mbx *m)
{
	sg_queue *q = (sg_queue *)m;
	/* seq_cst RMW: P for not_empty; every claim after it sees the bit */
	uint64_t t = atomic_fetch_or_explicit(&q->tail, SG_CLOSED, memory_order_seq_cst);
	if (!(t & SG_CLOSED))
		/* release: pairs with the consumer's acquire load in sg_settle */
		atomic_store_explicit(&q->close_pos, t >> 1, memory_order_release);
	mbx_i_park_wake(&q->not_empty);
}

static size_t sg_len(mbx *m)
{
	sg_queue *q = (sg_queue *)m;
	/* relaxed: an estimate by contract, exact at rest; head first, so a
	 * racing pop cannot make it look larger */
	uint64_t h = atomic_load_explicit(&q->head_pub, memory_order_relaxed);
	uint64_t t = atomic_load_explicit(&q->tail, memory_order_relaxed);
	uint64_t end = t >> 1;
	if (t & SG_CLOSED) {
		uint64_t fin = atomic_load_explicit(&q->close_pos, memory_order_relaxed);
		if (fin != SG_NO_CLOSE)
			end = fin; /* claims after close are not queued */
	}
	return end > h ? (size_t)(end - h) : 0;
}

static void sg_fini(mbx *m)
{
	sg_queue *q = (sg_queue *)m;
	/* relaxed: no concurrency at destroy */
	sg_seg *s = atomic_load_explicit(&q->all, memory_order_relaxed);
	while (s) {
		sg_seg *n = s->all_next;
		free(s);
		s = n;
	}
	while (q->slabs) {
		sg_slab *prev = q->slabs->prev;
		free(q->slabs);
		q->slabs = prev;
	}
	pthread_mutex_destroy(&q->slab_mu);
}

static size_t sg_size(const mbx_config *cfg);
static int sg_init(mbx *m, const mbx_config *cfg);

/* Default spin budget 1024, as futex_ring and vyukov (results/notes/spin-budget.md). */
const mbx_ops mbx_segment_ops = {
	.name = "segment",
	.summary = "unbounded MPSC segment queue, fetch_add claim, recycled segments, exact close, spin-then-futex (ours)",
	.caps = MBX_CAP_UNBOUNDED | MBX_CAP_BLOCKING | MBX_CAP_LOCKFREE | MBX_CAP_SPIN | MBX_CAP_RETRY |
	        MBX_CAP_EXACT_CLOSE,
	.default_capacity = MBX_UNBOUNDED,
	.default_spin = 1024,
	MBX_INPLACE(sg),
	.push = sg_push,
	.try_push = sg_push, /* unbounded: never FULL, never blocks */
	.pop = sg_pop,
	.try_pop = sg_try_pop,
	.pop_timeout = sg_pop_timeout,
	.close = sg_close,
	.len = sg_len,
};

/* The segments are heap blocks (recycled and freed one by one). */
static size_t sg_size(const mbx_config *cfg)
{
	mbx h;
	return mbx_i_init(&h, &mbx_segment_ops, cfg) ? 0 : mbx_i_lines(sizeof(sg_queue));
}

static int sg_init(mbx *m, const mbx_config *cfg)
{
	sg_queue *q = (sg_queue *)m;
	memset(q, 0, sizeof *q);
	int err = mbx_i_init(&q->base, &mbx_segment_ops, cfg);
	if (err)
		return err;
	atomic_init(&q->all, NULL);
	q->slabs = NULL;
	q->slab_next = NULL;
	q->slab_left = 0;
	q->heap_made = 0;
	sg_seg *s0 = aligned_alloc(MBX_CACHELINE, sizeof *s0);
	sg_seg *s1 = aligned_alloc(MBX_CACHELINE, sizeof *s1);
	if (!s0 || !s1) {
		free(s0);
		free(s1);
		return ENOMEM;
	}
	/* segments 0 and 1: the producer of position 0 extends nothing, the one
	 * of position SG_N links segment 2 */
	memset(s0, 0, sizeof *s0); /* in_slab false: malloc'd */
	memset(s1, 0, sizeof *s1);
	if (pthread_mutex_init(&q->slab_mu, NULL)) {
		free(s0);
		free(s1);
		return ENOMEM;
	}
	atomic_init(&s0->start, 0);
	atomic_init(&s0->next, (uintptr_t)s1);
	atomic_init(&s0->prev, NULL);
	atomic_init(&s1->start, SG_N);
	atomic_init(&s1->next, SG_NONE(SG_N));
	atomic_init(&s1->prev, s0);
	s0->all_next = s1;
	s1->all_next = NULL;
	atomic_init(&q->all, s0);
	atomic_init(&q->tail, 0);
	atomic_init(&q->tail_seg, s0);
	q->cur = s0;
	q->head = q->cur_start = 0;
	q->reserve = NULL;
	atomic_init(&q->reserve_n, 0);
	atomic_init(&q->head_pub, 0);
	atomic_init(&q->cons_seg, s0);
	atomic_init(&q->spare, NULL);
	atomic_init(&q->orphans, NULL);
	atomic_init(&q->close_pos, SG_NO_CLOSE);
	mbx_i_spin_init(&q->spin_now, q->base.spin);
	mbx_i_park_init(&q->not_empty);
	return 0;
}
