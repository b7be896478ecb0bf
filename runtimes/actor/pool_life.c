/* pool_life.c: a pool's life: create (pool_i_create, behind actor.c's
 * act_pool_create), destroy, and the public act_pool_* queries. The
 * scheduling itself is pool.c; the layout both share, pool_worker.h. */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "mbx_sync.h"
#include "pool.h"
#include "pool_worker.h"

static unsigned nproc(void)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
		return (unsigned)CPU_COUNT(&set);
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n : 1;
}

static void stop_workers(act_pool *p, unsigned started)
{
	MC_STORE(&p->stop, 1, memory_order_seq_cst);
	MC_FETCH_ADD(&p->tokens, p->nworkers, memory_order_seq_cst);
	mbx_futex_wake(&p->tokens, INT32_MAX);
	for (unsigned i = 0; i < started; i++)
		MC_THREAD_JOIN(p->w[i]->thread, NULL);
}

static void pool_free(act_pool *p)
{
	for (unsigned i = 0; i < p->nworkers; i++)
		free(p->w[i]);
	free(p->w);
	free(p);
}

act_pool *pool_i_create(const act_pool_config *cfg, const pool_task_ops *ops)
{
	act_pool_config c = cfg ? *cfg : (act_pool_config){0, 0, -1, 0};
	if (c.workers > 1024 || c.batch > 1000000 || c.spin > 1000000 ||
	    (c.stack_bytes && c.stack_bytes < 2 * ACT_POOL_STACK_RESERVE)) {
		errno = EINVAL;
		return NULL;
	}
	act_pool *p = aligned_alloc(MBX_CACHELINE, sizeof *p);
	if (!p) {
		errno = ENOMEM;
		return NULL;
	}
	memset(p, 0, sizeof *p);
	p->ops = ops;
	p->nworkers = c.workers ? c.workers : nproc();
	p->batch = MBX_MUTANT(15) ? UINT32_MAX : c.batch ? c.batch : ACT_POOL_BATCH; /* mutant 15: no batch limit */
	p->spin = c.spin < 0 ? SPIN_DEFAULT : c.spin;
	p->stack_bytes = c.stack_bytes ? c.stack_bytes : ACT_POOL_STACK;
	/* the injection queue: the stub alone, at both ends */
	atomic_init(&p->inj_stub.next, NULL);
	atomic_init(&p->inj_tail, &p->inj_stub);
	p->inj_head = &p->inj_stub;
	p->w = calloc(p->nworkers, sizeof *p->w);
	if (!p->w) {
		pool_free(p);
		errno = ENOMEM;
		return NULL;
	}
	for (unsigned i = 0; i < p->nworkers; i++) {
		worker *w = aligned_alloc(MBX_CACHELINE, sizeof *w);
		if (!w) {
			pool_free(p);
			errno = ENOMEM;
			return NULL;
		}
		memset(w, 0, sizeof *w);
		pool_i_worker_init(w, p, i);
		p->w[i] = w;
	}
	/* the stack is reserved address space: pages are touched only by deep
	 * helping chains (see act_pool_config.stack_bytes) */
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	int se = pthread_attr_setstacksize(&attr, p->stack_bytes);
	for (unsigned i = 0; i < p->nworkers; i++) {
		int e = se ? se : MC_THREAD_CREATE(&p->w[i]->thread, &attr, pool_i_worker_main, p->w[i]);
		if (e) {
			pthread_attr_destroy(&attr);
			stop_workers(p, i);
			pool_free(p);
			errno = e;
			return NULL;
		}
	}
	pthread_attr_destroy(&attr);
	return p;
}

void act_pool_destroy(act_pool *p)
{
	if (!p)
		return;
	if (pool_i_own_worker(p)) {
		fprintf(stderr, "mailroom: act_pool_destroy called from one of its own workers\n");
		abort();
	}
	/* Actors that were stopped may still be finishing their last turn. */
	int64_t deadline = mbx_deadline_ns(10 * INT64_C(1000000000));
	while (MC_LOAD(&p->live, memory_order_seq_cst) > 0 && mbx_now_ns() < deadline) {
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
	}
	int64_t live = MC_LOAD(&p->live, memory_order_seq_cst);
	if (live != 0) {
		fprintf(stderr, "mailroom: act_pool_destroy: %lld actor(s) still alive after 10 s "
		                "(stop and join every actor of the pool first)\n", (long long)live);
		abort();
	}
	stop_workers(p, p->nworkers);
	CHECK_EQ(MC_LOAD(&p->inj_len, memory_order_seq_cst), 0);
	for (unsigned i = 0; i < p->nworkers; i++) {
		CHECK_EQ(pool_i_local_pop(p->w[i]) == NULL, 1);
		CHECK_EQ(MC_LOAD(&p->w[i]->next, memory_order_seq_cst) == NULL, 1);
	}
	pool_free(p);
}

unsigned act_pool_workers(const act_pool *p) { return p ? p->nworkers : 0; }

act_pool_stats act_pool_get_stats(const act_pool *p)
{
	act_pool_stats s = {0};
	if (!p)
		return s;
	for (unsigned i = 0; i < p->nworkers; i++) {
		worker *w = p->w[i];
		/* relaxed: statistics, exact only at quiescence */
		s.turns += atomic_load_explicit(&w->turns, memory_order_relaxed);
		s.steals += atomic_load_explicit(&w->steals, memory_order_relaxed);
		s.next_steals += atomic_load_explicit(&w->next_steals, memory_order_relaxed);
		s.parks += atomic_load_explicit(&w->parks, memory_order_relaxed);
		s.helps += atomic_load_explicit(&w->helps, memory_order_relaxed);
	}
	s.injects = atomic_load_explicit(&p->injects, memory_order_relaxed); /* statistic */
	s.wakes = atomic_load_explicit(&p->wakes, memory_order_relaxed);     /* statistic */
	s.live = atomic_load(&p->live);
	return s;
}
