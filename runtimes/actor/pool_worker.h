/* pool_worker.h: the layout of a pool and of its workers, private to the
 * pooled mode's two files: pool.c (scheduling: the queues, notify/park, the
 * workers' loop, helping) and pool_life.c (create, destroy, statistics).
 * pool.c's top comment explains the fields. */
#ifndef MAILROOM_POOL_WORKER_H
#define MAILROOM_POOL_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "mbx_sync.h"
#include "pool.h"

#define LQ_CAP 256u       /* local queue slots; overflow goes to the injection queue */
#define NEXT_STREAK 32u   /* next-slot turns in a row while the local queue waits */
#define INJECT_EVERY 61u  /* tokio's global-queue interval */
#define INJECT_BATCH 16u  /* extra tasks moved to the local queue per injection-queue pop */
/* Search rounds before parking, ~0.45 us each here (16 PAUSEs): ~7 us, about
 * what one futex park + wake costs on this machine, the classic bound for
 * spin-then-block. More hurt client threads outside the pool that share the
 * CPUs (bank, kv: 256 rounds were 3x slower than 0); 0 parks at once. */
#define SPIN_DEFAULT 16
/* Search pauses (~0.45 us each) a thief watches a next slot before taking
 * it: ~3.6 us, about Go's 3 us for runnext. */
#define NEXT_GRACE 8u

#define SEARCH1 UINT64_C(1)
#define SLEEP1 (UINT64_C(1) << 16)
#define EPOCH1 (UINT64_C(1) << 32)
#define SEARCHING(s) ((uint32_t)((s) & 0xffff))
#define SLEEPING(s) ((uint32_t)(((s) >> 16) & 0xffff))
#define EPOCH(s) ((uint32_t)((s) >> 32))

/* One writer per counter (its worker): load + store, no locked RMW; others read them
 * for statistics only: plain C11, not MC_* (steal_next's reads of turns are MC_LOAD). */
#define STAT_INC(c) atomic_store_explicit(&(c), atomic_load_explicit(&(c), memory_order_relaxed) + 1, memory_order_relaxed)

typedef struct lq_slot {
	_Atomic uint64_t seq; /* == pos: free for position pos; == pos + 1: holds task of pos */
	pool_task *task;
} lq_slot;

/* A worker. Hand-written local queue: a bounded ring with per-slot sequence
 * numbers (Vyukov's bounded queue, single producer). ConcurrencyKit's
 * ck_ring_*_spmc would do, but TSan does not see its fences (inline asm,
 * as ck_ring.c explains), and a task handed between workers carries the actor's
 * whole state: that edge must be visible to TSan. */
typedef struct worker {
	/* thieves and the owner claim positions here (CAS) */
	_Alignas(MBX_CACHELINE) _Atomic uint64_t head;
	/* owner only from here on */
	_Alignas(MBX_CACHELINE) uint64_t tail;
	unsigned streak, tick, id;
	uintptr_t stack_lo; /* lowest address of this worker's stack (helping's budget) */
	uint64_t rng;
	act_pool *pool;
	pthread_t thread;
	_Atomic uint64_t steals, next_steals, parks, helps; /* STAT_INC by the owner */
	/* the next slot: set by the owner only, cleared by the owner or a thief
	 * (CAS); thieves read turns to see whether the owner is in a long turn */
	_Alignas(MBX_CACHELINE) _Atomic(pool_task *) next;
	_Atomic uint64_t turns; /* STAT_INC by the owner */
	_Alignas(MBX_CACHELINE) lq_slot ring[LQ_CAP];
} worker;
_Static_assert(offsetof(worker, tail) - offsetof(worker, head) == MBX_CACHELINE, "head alone on its line");
_Static_assert(offsetof(worker, next) % MBX_CACHELINE == 0 && offsetof(worker, next) > offsetof(worker, tail), "next apart from the owner's fields");
_Static_assert(offsetof(worker, ring) % MBX_CACHELINE == 0, "ring apart from the owner's fields");

struct act_pool {
	const pool_task_ops *ops;
	unsigned nworkers, batch;
	int32_t spin;
	size_t stack_bytes;
	worker **w;
	/* searching | sleeping << 16 | epoch << 32 (see the top of the file) */
	_Alignas(MBX_CACHELINE) _Atomic uint64_t st;
	/* wake tokens; parked workers futex-wait on it */
	_Alignas(MBX_CACHELINE) _Atomic uint32_t tokens;
	_Atomic int stop;
	/* the injection queue (see the top): producers' end and count */
	_Alignas(MBX_CACHELINE) _Atomic(pool_task *) inj_tail;
	_Atomic uint64_t inj_len; /* >= the tasks queued: raised before the link, lowered after the pop */
	/* the consuming end, owned by the holder of inj_busy */
	_Alignas(MBX_CACHELINE) _Atomic int inj_busy;
	pool_task *inj_head;
	pool_task inj_stub; /* Vyukov's stub: the list is never empty of nodes */
	_Alignas(MBX_CACHELINE) _Atomic int64_t live;
	_Atomic uint64_t injects, wakes;
};
_Static_assert(offsetof(struct act_pool, tokens) - offsetof(struct act_pool, st) == MBX_CACHELINE,
               "st and tokens on their own lines");

/* pool.c's side of pool_life.c: a worker thread's body (arg: its worker);
 * a zeroed worker made ready to be worker id of p; the owner's pop of its
 * local queue (destroy checks it is empty); whether the calling thread is
 * one of p's workers. */
void *pool_i_worker_main(void *arg);
void pool_i_worker_init(worker *w, act_pool *p, unsigned id);
pool_task *pool_i_local_pop(worker *w);
bool pool_i_own_worker(const act_pool *p);

#endif
