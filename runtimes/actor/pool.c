/* pool.c: the pooled (M:N) mode: N worker threads run actor turns.
 *
 * Where a task waits to run, in the order a worker looks:
 *  1. its `next` slot: the task a handler on this worker just woke runs right
 *     after the current turn, on the same core (tokio's LIFO slot, Go's
 *     runnext): a ping-pong or a token ring never leaves the core and never
 *     wakes anybody. Capped at NEXT_STREAK turns in a row when the local
 *     queue has other work. Stealable after a grace period, as Go's runnext:
 *     an idle worker that finds a task there and sees the owner's turn count
 *     unchanged over NEXT_GRACE search pauses (the owner is stuck in one long
 *     turn, e.g. a handler sending a long stream) takes it;
 *  2. its local queue (bounded ring: owner pushes, owner and thieves pop);
 *  3. the injection queue (pushes from threads outside the pool): Vyukov's
 *     intrusive MPSC list, a wait-free exchange per push; the consuming end
 *     belongs to whichever worker holds the inj_busy token (taken by one
 *     exchange, never waited for: a worker that finds it taken looks
 *     elsewhere, and the holder, when it gives the token back with tasks
 *     still queued, notifies). One in INJECT_EVERY looks goes there first
 *     so it is never starved;
 *  4. another worker's local queue (stealing, one task at a time), then
 *     another worker's next slot (above).
 *
 * Idle workers spin (rescanning), then park on one futex word, `tokens`.
 * The pool word `st` packs the number of searching (spinning) workers, of
 * sleeping workers and an epoch that every notify bumps. Lines N1..N4 (notify),
 * B1, W1..W5 (park), L1..L2 (leave searching) are the ones the Spin model
 * verify/model/pool.pml checks with the task states, queues and next slot (bad
 * variants drop W4, N1's bump, W5's token check, ...); verify/mc checks this file.
 * The pool's life (create, destroy, statistics) is pool_life.c; the layout
 * both share, pool_worker.h.
 *  - notify (after queueing a task where another worker could take it):
 *    N1 bump the epoch; N2 return if a worker is searching (it will find the
 *    task: it rescans before it parks, W1..W4) or none sleeps; N3 move one
 *    sleeper to searching (CAS, again only if nobody searches); N4 post a
 *    token and futex-wake ONE waiter. So a push to a parked pool wakes
 *    exactly one worker, and none when one is already spinning.
 *  - park: W1 read the epoch; W2 rescan; W3 searching -> sleeping (one RMW);
 *    W4 if the epoch moved between W1 and W3, a notify may have counted on us
 *    searching: wake one sleeper (possibly ourselves) so somebody rescans;
 *    W5 take a token or futex-wait for one.
 *  - B1 entering search / L1 leaving it: the last searcher to leave looks at the
 *    queues again (L2) and, if a task still waits, wakes another worker, so queued work
 *    is not left to one busy worker while others sleep (a notify after L1 wakes one).
 * No lost wake-up: a task queued before a notify's N1 is seen by every scan
 * that starts after N1; a worker whose W1..W3 window straddles N1 sees the
 * epoch move (W4); a notify after W3 sees the sleeper and wakes it (N3).
 * All RMWs and loads of `st` and `tokens` are seq_cst (the argument above
 * is about their single total order). */
#include <pthread.h>
#include <stdatomic.h>

#include "check.h"
#include "mbx_sync.h"
#include "pool.h"
#include "pool_worker.h"

static _Thread_local worker *tls_w; /* the worker this thread is, if any */

/* ---- the local queue ---- */
static void lq_init(worker *w)
{
	for (uint64_t i = 0; i < LQ_CAP; i++)
		atomic_init(&w->ring[i].seq, i);
	atomic_init(&w->head, 0);
	w->tail = 0;
}

/* Owner only. False when full. */
static bool lq_push(worker *w, pool_task *t)
{
	lq_slot *s = &w->ring[w->tail & (LQ_CAP - 1)];
	/* acquire: pairs with the release in lq_pop that freed this slot, so
	 * the consumer's read of s->task happens before our write below */
	if (MC_LOAD(&s->seq, memory_order_acquire) != w->tail)
		return false;
	s->task = t;
	/* release: publishes s->task (and the task's state) to lq_pop's acquire */
	MC_STORE(&s->seq, w->tail + 1, memory_order_release);
	w->tail++;
	return true;
}

/* Owner or thief. NULL when empty. */
static pool_task *lq_pop(worker *w)
{
	/* relaxed: only a position guess; the slot's seq decides */
	uint64_t pos = MC_LOAD(&w->head, memory_order_relaxed);
	for (;;) {
		lq_slot *s = &w->ring[pos & (LQ_CAP - 1)];
		/* acquire: pairs with lq_push's release of this position */
		uint64_t seq = MC_LOAD(&s->seq, memory_order_acquire);
		int64_t d = (int64_t)(seq - (pos + 1));
		if (d < 0)
			return NULL; /* not yet published: empty */
		if (d > 0) {     /* taken by another consumer: reload */
			pos = MC_LOAD(&w->head, memory_order_relaxed); /* guess again */
			continue;
		}
		/* relaxed: the claim only needs atomicity; the data came with the
		 * acquire above, and the slot stays ours until we free it below */
		if (MC_CAS_WEAK(&w->head, &pos, pos + 1, memory_order_relaxed, memory_order_relaxed)) {
			pool_task *t = s->task;
			/* release: pairs with lq_push's acquire: we are done reading */
			MC_STORE(&s->seq, pos + LQ_CAP, memory_order_release);
			return t;
		}
	}
}

/* Anyone: is position head published? (the last searcher's second look) */
static bool lq_has_work(worker *w)
{
	uint64_t pos = MC_LOAD(&w->head, memory_order_seq_cst); /* seq_cst: after L1, see pool.c's top */
	/* acquire: pairs with lq_push's release of this position */
	return MC_LOAD(&w->ring[pos & (LQ_CAP - 1)].seq, memory_order_acquire) == pos + 1;
}

/* For the last searcher leaving: a task waits in a queue another worker could take it from. */
static bool work_queued(act_pool *p)
{
	if (MC_LOAD(&p->inj_len, memory_order_seq_cst) > 0)
		return true;
	for (unsigned i = 0; i < p->nworkers; i++)
		if (lq_has_work(p->w[i]))
			return true;
	return false;
}

/* Owner: approximate (a thief may be mid-claim); enough for "any work?". */
static bool lq_empty(worker *w)
{
	return MC_LOAD(&w->head, memory_order_relaxed) == w->tail; /* heuristic only */
}

/* ---- the injection queue ---- */
/* Vyukov's push: any thread, wait-free. */
static void inj_link(act_pool *p, pool_task *t)
{
	/* relaxed: published by the exchange's release below */
	MC_STORE(&t->next, NULL, memory_order_relaxed);
	/* acq_rel: release publishes t (its next and the task's state) to the
	 * consumer, which reaches t through prev->next (acquire, inj_take);
	 * acquire pairs with the previous pusher's release so its NULL store to
	 * prev->next is ordered before our store below */
	pool_task *prev = MC_XCHG(&p->inj_tail, t, memory_order_acq_rel);
	/* release: pairs with inj_take's acquire loads of next */
	MC_STORE(&prev->next, t, memory_order_release);
}

static void inject(act_pool *p, pool_task *t)
{
	MC_FETCH_ADD(&p->inj_len, 1, memory_order_seq_cst); /* before the link: read by workers' scans (W2, L2) */
	inj_link(p, t);
	atomic_fetch_add_explicit(&p->injects, 1, memory_order_relaxed); /* statistic */
}

/* The token holder only: the oldest task, or NULL (empty, or the next push
 * is between its exchange and its link: its notify comes after the link). */
static pool_task *inj_take(act_pool *p)
{
	pool_task *head = p->inj_head;
	/* acquire (each load of next here): pairs with inj_link's release store */
	pool_task *next = MC_LOAD(&head->next, memory_order_acquire);
	if (head == &p->inj_stub) {
		if (!next)
			return NULL;
		p->inj_head = head = next;
		next = MC_LOAD(&head->next, memory_order_acquire);
	}
	if (next) {
		p->inj_head = next;
		return head;
	}
	/* acquire: pairs with inj_link's exchange; head is the last node unless a push is in flight */
	if (head != MC_LOAD(&p->inj_tail, memory_order_acquire))
		return NULL;
	inj_link(p, &p->inj_stub); /* the stub goes back behind head, so head can leave */
	next = MC_LOAD(&head->next, memory_order_acquire);
	if (!next)
		return NULL;
	p->inj_head = next;
	return head;
}

/* The consuming end's token: one exchange, never waited for. */
static bool inj_lock(act_pool *p)
{
	if (MC_LOAD(&p->inj_len, memory_order_seq_cst) == 0) /* seq_cst: the scan that W2 relies on */
		return false;
	/* acquire: pairs with inj_unlock's release (the previous holder's inj_head) */
	return MC_XCHG(&p->inj_busy, 1, memory_order_acquire) == 0;
}

static void notify(act_pool *p);

/* Gives the token back, having taken n tasks; if tasks remain, tells the
 * workers: one that found the token taken may have gone to sleep on it. */
static void inj_unlock(act_pool *p, unsigned n)
{
	if (n)
		MC_FETCH_SUB(&p->inj_len, n, memory_order_seq_cst); /* seq_cst, as the add in inject */
	else /* none taken: a push is between its add and its link; our caller comes back at once */
		MC_BUSY_WAIT();
	/* release: pairs with inj_lock's acquire exchange */
	MC_STORE(&p->inj_busy, 0, memory_order_release);
	if (MC_LOAD(&p->inj_len, memory_order_seq_cst) > 0) /* seq_cst: after our sub, in the order of the adds */
		notify(p);
}

/* Owner: to its local queue, or where every worker looks when that is full. */
static void lq_push_or_inject(worker *w, pool_task *t)
{
	if (!lq_push(w, t))
		inject(w->pool, t);
}

/* Takes one task to run and up to INJECT_BATCH more into w's local queue
 * (as tokio does): a stream of spawns or sends from outside the pool costs
 * one token round per batch, not per task. */
static pool_task *inject_pop(worker *w)
{
	act_pool *p = w->pool;
	if (!inj_lock(p))
		return NULL;
	pool_task *batch[INJECT_BATCH + 1];
	unsigned n = 0;
	while (n < INJECT_BATCH + 1 && (batch[n] = inj_take(p)))
		n++;
	inj_unlock(p, n);
	for (unsigned i = 1; i < n; i++)
		lq_push_or_inject(w, batch[i]);
	if (n > 1)
		notify(p); /* they can be stolen now */
	return n ? batch[0] : NULL;
}

/* ---- notify / wake ---- */
/* Moves one sleeper to searching and wakes one futex waiter. With
 * only_if_idle, not while a worker searches (N3). */
static void wake_one(act_pool *p, bool only_if_idle)
{
	uint64_t cur = MC_LOAD(&p->st, memory_order_seq_cst);
	for (;;) {
		if (SLEEPING(cur) == 0 || (only_if_idle && SEARCHING(cur) > 0))
			return;
		if (MC_CAS_WEAK(&p->st, &cur, cur - SLEEP1 + SEARCH1, memory_order_seq_cst, memory_order_seq_cst)) /* N3 */
			break;
	}
	MC_FETCH_ADD(&p->tokens, 1, memory_order_seq_cst); /* N4 */
	mbx_futex_wake(&p->tokens, 1);
	atomic_fetch_add_explicit(&p->wakes, 1, memory_order_relaxed); /* statistic */
}

/* After queueing a task another worker may take. */
static void notify(act_pool *p)
{
	uint64_t old = MC_FETCH_ADD(&p->st, MBX_MUTANT(29) ? 0 : EPOCH1, memory_order_seq_cst); /* N1 (mutant 29: no bump) */
	if (SEARCHING(old) > 0 || SLEEPING(old) == 0 || MBX_MUTANT(14)) /* N2 (mutant 14: never wakes) */
		return;
	wake_one(p, true);
}

static void push_local(worker *w, pool_task *t)
{
	lq_push_or_inject(w, t);
	notify(w->pool);
}

/* t is QUEUED: put it where a worker will take it. */
static void enqueue(act_pool *p, pool_task *t)
{
	worker *w = tls_w;
	if (w && w->pool == p) {
		/* runs right after the current turn, here. relaxed: only we make
		 * the slot non-NULL, so a NULL stays NULL until our store */
		pool_task *old = MC_LOAD(&w->next, memory_order_relaxed);
		if (!old) /* release: pairs with a thief's acquire in steal_next */
			MC_STORE(&w->next, t, memory_order_release);
		else /* acq_rel: release as the store above; acquire: a thief may have emptied it */
			old = MC_XCHG(&w->next, t, memory_order_acq_rel);
		if (old)
			push_local(w, old);
	} else {
		inject(p, t);
		notify(p);
	}
}

/* ---- workers ---- */
/* Owner: empties its next slot. relaxed: the task was put there by this
 * thread (a thief's CAS would have emptied it: then NULL). */
static pool_task *next_take(worker *w)
{
	if (!MC_LOAD(&w->next, memory_order_relaxed))
		return NULL;
	return MC_XCHG(&w->next, NULL, memory_order_relaxed);
}

/* An idle thief: v's next slot, if v has been in one turn all along a
 * grace period (Go's runnext stealing). */
static pool_task *steal_next(worker *w, worker *v)
{
	/* acquire: pairs with enqueue's release store into the slot */
	pool_task *t = MC_LOAD(&v->next, memory_order_acquire);
	if (!t)
		return NULL;
	uint64_t turns = MC_LOAD(&v->turns, memory_order_relaxed); /* a progress hint */
	for (unsigned i = 0; i < NEXT_GRACE; i++) {
		for (int k = 0; k < 16; k++)
			mbx_cpu_relax();
		if (MC_LOAD(&v->turns, memory_order_relaxed) != turns) /* v moved on */
			return NULL;
	}
	/* acquire: pairs with enqueue's release (t's state); the slot holds
	 * only QUEUED tasks, so whoever empties it runs t */
	if (!MC_CAS_STRONG(&v->next, &t, NULL, memory_order_acquire, memory_order_relaxed))
		return NULL;
	STAT_INC(w->next_steals);
	return t;
}

static pool_task *steal(worker *w)
{
	act_pool *p = w->pool;
	w->rng = w->rng * 6364136223846793005u + 1442695040888963407u;
	unsigned start = (unsigned)(w->rng >> 33);
	for (unsigned i = 0; i < p->nworkers; i++) {
		worker *v = p->w[(start + i) % p->nworkers];
		if (v == w)
			continue;
		pool_task *t = lq_pop(v);
		if (t) {
			STAT_INC(w->steals);
			return t;
		}
	}
	for (unsigned i = 0; i < p->nworkers; i++) {
		worker *v = p->w[(start + i) % p->nworkers];
		pool_task *t = v == w ? NULL : steal_next(w, v);
		if (t)
			return t;
	}
	return NULL;
}

static pool_task *find_work(worker *w)
{
	pool_task *t;
	if (++w->tick % INJECT_EVERY == 0 && (t = inject_pop(w)))
		return t;
	if ((t = next_take(w))) {
		if (w->streak++ < NEXT_STREAK || lq_empty(w))
			return t;
		push_local(w, t); /* a long ping-pong: let the local queue have a turn */
	}
	w->streak = 0;
	if ((t = lq_pop(w)) || (t = inject_pop(w)))
		return t;
	return steal(w);
}

static void run_task(worker *w, pool_task *t)
{
	act_pool *p = w->pool;
	MC_STORE(&t->state, TASK_RUNNING, memory_order_seq_cst); /* ours since we dequeued it QUEUED */
	for (;;) {
		STAT_INC(w->turns);
		pool_turn r = p->ops->turn(t, p->batch);
		if (r == POOL_TURN_DONE) {
			MC_STORE(&t->state, TASK_DEAD, memory_order_seq_cst);
			MC_FETCH_SUB(&p->live, 1, memory_order_seq_cst);
			p->ops->finished(t); /* may free t */
			return;
		}
		if (r == POOL_TURN_EMPTY) {
			uint32_t e = TASK_RUNNING;
			if (MBX_MUTANT(13)) { /* mutant 13: IDLE without the CAS: a NOTIFIED is lost */
				MC_STORE(&t->state, TASK_IDLE, memory_order_seq_cst);
				return;
			}
			if (MC_CAS_STRONG(&t->state, &e, TASK_IDLE, memory_order_seq_cst, memory_order_seq_cst))
				return; /* a later push finds IDLE and queues it */
			/* NOTIFIED: a push raced the end of the turn: go on */
		}
		/* Work left. Nobody else waits on this worker: another turn at
		 * once, without the queue round trip. Else to the back. */
		if (!MC_LOAD(&w->next, memory_order_relaxed) && lq_empty(w) && /* heuristic */
		    MC_LOAD(&p->inj_len, memory_order_relaxed) == 0) {
			MC_STORE(&t->state, TASK_RUNNING, memory_order_seq_cst);
			continue;
		}
		MC_STORE(&t->state, TASK_QUEUED, memory_order_seq_cst);
		push_local(w, t);
		return;
	}
}

static void sleep_for_token(worker *w)
{
	act_pool *p = w->pool;
	STAT_INC(w->parks);
	for (;;) {
		uint32_t t = MC_LOAD(&p->tokens, memory_order_seq_cst); /* W5 */
		if (t > 0) {
			if (MC_CAS_WEAK(&p->tokens, &t, t - 1, memory_order_seq_cst, memory_order_seq_cst))
				return;
			continue;
		}
		if (MC_LOAD(&p->stop, memory_order_seq_cst))
			return;
		mbx_futex_wait(&p->tokens, 0, -1);
	}
}

/* One search round's pause. No sched_yield: on an oversubscribed machine a
 * yielding worker never parks and keeps taking turns from the threads that
 * feed it (measured: bank with 4 client threads on 2 cores ran 1.5-2x slower
 * with yields than with parking at once). */
static void spin_round(void)
{
	for (int k = 0; k < 16; k++)
		mbx_cpu_relax();
}

void *pool_i_worker_main(void *arg)
{
	worker *w = arg;
	act_pool *p = w->pool;
	pthread_attr_t a;
	void *lo = NULL;
	size_t size = 0;
	CHECK_EQ(pthread_getattr_np(pthread_self(), &a), 0);
	CHECK_EQ(pthread_attr_getstack(&a, &lo, &size), 0);
	pthread_attr_destroy(&a);
	w->stack_lo = (uintptr_t)lo;
	tls_w = w;
	bool searching = false;
	for (;;) {
		pool_task *t = find_work(w);
		if (!t) {
			if (MC_LOAD(&p->stop, memory_order_seq_cst))
				break;
			if (!searching) {
				MC_FETCH_ADD(&p->st, SEARCH1, memory_order_seq_cst); /* B1 */
				searching = true;
			}
			for (unsigned i = 0; i < (unsigned)p->spin && !t; i++) {
				spin_round();
				t = find_work(w);
			}
			uint32_t e0 = 0;
			if (!t) {
				e0 = EPOCH(MC_LOAD(&p->st, memory_order_seq_cst)); /* W1 */
				MBX_CHAOS();
				t = find_work(w); /* W2 */
			}
			if (!t) {
				uint64_t old = MC_FETCH_ADD(&p->st, SLEEP1 - SEARCH1, memory_order_seq_cst); /* W3 */
				searching = false;
				if (EPOCH(old) != e0 && !MBX_MUTANT(30)) /* mutant 30: no W4 */
					wake_one(p, false); /* W4 */
				sleep_for_token(w);     /* (W5 inside) */
				if (MC_LOAD(&p->stop, memory_order_seq_cst))
					break;
				searching = true; /* the waker counted us as searching */
				continue;
			}
		}
		if (searching) {
			uint64_t old = MC_FETCH_SUB(&p->st, SEARCH1, memory_order_seq_cst); /* L1 */
			searching = false;
			if (SEARCHING(old) == 1 && work_queued(p))
				wake_one(p, true); /* L2 */
		}
		run_task(w, t);
	}
	tls_w = NULL;
	return NULL;
}

/* ---- the interface to actor.c ---- */
void pool_i_start(act_pool *p, pool_task *t, bool idle)
{
	MC_FETCH_ADD(&p->live, 1, memory_order_seq_cst);
	MC_STORE(&t->state, idle ? TASK_IDLE : TASK_QUEUED, memory_order_seq_cst);
	if (!idle)
		enqueue(p, t);
}

bool pool_i_wake(act_pool *p, pool_task *t)
{
	uint32_t s = MC_LOAD(&t->state, memory_order_seq_cst);
	for (;;) {
		switch (s) {
		case TASK_IDLE:
			if (MC_CAS_WEAK(&t->state, &s, TASK_QUEUED, memory_order_seq_cst, memory_order_seq_cst)) {
				enqueue(p, t);
				return true;
			}
			break;
		case TASK_RUNNING:
			if (MBX_MUTANT(12) && MC_CAS_WEAK(&t->state, &s, TASK_QUEUED, memory_order_seq_cst, memory_order_seq_cst)) {
				enqueue(p, t); /* mutant 12: a running task queued again: two workers on it */
				return true;
			}
			if (MC_CAS_WEAK(&t->state, &s, TASK_NOTIFIED, memory_order_seq_cst, memory_order_seq_cst))
				return true;
			break;
		case TASK_DEAD:
			return false;
		default: /* QUEUED, NOTIFIED: it will run and see the push */
			return true;
		}
	}
}

bool pool_i_on_worker(void) { return tls_w != NULL; }

/* Takes t out of the queues this worker can reach, if it is queued there:
 * its next slot, its local queue and the others' (whatever passes by on the
 * way moves to this worker's local queue, still stealable, and the workers
 * are told), and the injection queue. */
static bool take_task(worker *w, pool_task *t)
{
	act_pool *p = w->pool;
	pool_task *mine = t;
	/* relaxed: our own slot (see next_take) */
	if (MC_LOAD(&w->next, memory_order_relaxed) == t &&
	    MC_CAS_STRONG(&w->next, &mine, NULL, memory_order_relaxed, memory_order_relaxed))
		return true;
	bool moved = false, found = false;
	for (unsigned i = 0; i < p->nworkers && !found; i++) {
		worker *v = p->w[(w->id + i) % p->nworkers];
		for (unsigned k = 0; k < LQ_CAP; k++) { /* at most one lap of v's ring */
			pool_task *u = lq_pop(v);
			if (!u)
				break;
			if (u == t) {
				found = true;
				break;
			}
			lq_push_or_inject(w, u);
			moved = true;
		}
	}
	if (!found && inj_lock(p)) { /* the injection queue: at most what it held */
		unsigned out = 0; /* tasks taken out of the queue (re-linked ones stay counted) */
		for (uint64_t k = MC_LOAD(&p->inj_len, memory_order_seq_cst); k > 0 && !found; k--) {
			pool_task *u = inj_take(p);
			if (!u)
				break;
			if (u == t) {
				found = true;
				out++;
			} else if (lq_push(w, u)) {
				moved = true;
				out++;
			} else {
				inj_link(p, u); /* local queue full: back to the tail */
			}
		}
		inj_unlock(p, out);
	}
	if (moved)
		notify(p);
	return found;
}

void pool_i_waiting(void)
{
	worker *w = tls_w;
	pool_task *n = w ? next_take(w) : NULL;
	if (n)
		push_local(w, n); /* stealable now, and a sleeping worker is told */
}

pool_help pool_i_help(act_pool *p, pool_task *t)
{
	worker *w = tls_w;
	/* seq_cst: QUEUED means some queue holds it (set before the enqueue) */
	if (!w || w->pool != p || MC_LOAD(&t->state, memory_order_seq_cst) != TASK_QUEUED)
		return POOL_HELP_NONE;
	/* the stack grows down: what is left below this frame */
	if ((uintptr_t)__builtin_frame_address(0) - w->stack_lo < ACT_POOL_STACK_RESERVE)
		return POOL_HELP_TOO_DEEP;
	if (!take_task(w, t))
		return POOL_HELP_NONE; /* another worker has it (or is about to run it) */
	STAT_INC(w->helps);
	run_task(w, t);
	return POOL_HELP_RAN;
}

/* ---- for pool_life.c ---- */
void pool_i_worker_init(worker *w, act_pool *p, unsigned id)
{
	lq_init(w);
	w->id = id;
	w->rng = 0x9e3779b97f4a7c15u * (id + 1);
	w->pool = p;
}

pool_task *pool_i_local_pop(worker *w) { return lq_pop(w); }

bool pool_i_own_worker(const act_pool *p) { return tls_w && tls_w->pool == p; }
