/* harness_pool.c: the actor pool (runtimes/actor/pool.c) under the model
 * checker, as shipped: its workers are model threads (the pool starts and
 * joins them through MC_THREAD_CREATE/JOIN), so its notify/park protocol,
 * injection queue, next slot and task state machine all run here. The tasks
 * are the harness's (a pool_task_ops, as actor.c gives its own): a mailbox
 * that is a message count, pushed with one RMW that reports "was empty" (the
 * mailbox contract's was_empty: the pusher wakes the task) and popped with
 * one decrement, so nearly every scheduling point is the pool's.
 *
 * T0 is outside the pool: makes a pool of 2 workers (batch 1; spin 0: an
 * idle worker parks at once), starts the tasks idle, pushes to them from
 * outside (the injection queue), waits on a futex until every task has
 * finished, then destroys the pool (stop, wake, join). A handler may push
 * to another task: from a worker, the pool puts it in that worker's next
 * slot. Oracles: each task handles exactly the messages sent to it, never
 * more at any time; a turn marks its task's plain fields (MC_RD/MC_WR):
 * two workers in one task's turn, or two turns not ordered by the state
 * machine, are a data race (or the in_turn oracle); a wake-up lost while a
 * task is queued leaves T0 and both workers blocked: lost-wakeup. */
#include <stdio.h>
#include <stdlib.h>

#include "mc.h"
#include "pool.h"

enum { PH_TASKS = 2 };

typedef struct ph_spec {
	int ntasks, pushers;        /* pushers outside the pool: T0, and T1 if 2 */
	uint32_t outside[PH_TASKS]; /* messages pushed from outside to each task, dealt round robin */
	bool forward;               /* each message task 0 handles pushes one to task 1 */
} ph_spec;

typedef struct ph ph;
typedef struct ph_task {
	pool_task task; /* first: the pool hands this back */
	ph *c;
	int id;
	_Atomic uint32_t queued; /* the mailbox */
	uint32_t expect;         /* messages sent to it in all */
	uint32_t handled;        /* plain: turns only */
	int in_turn;             /* plain: turns only */
} ph_task;

struct ph {
	const ph_spec *sp;
	act_pool *pool;
	_Atomic(act_pool *) ready; /* the pool, for T1 */
	ph_task t[PH_TASKS];
	_Atomic uint32_t finished; /* tasks that finished, and T1 when it has pushed */
	_Atomic uint32_t done;     /* T0 futex-waits on it */
};

static void ph_push(act_pool *p, ph_task *k)
{
	/* seq_cst as a mailbox push: was_empty, then the wake */
	if (MC_FETCH_ADD(&k->queued, 1, memory_order_seq_cst) == 0 && !pool_i_wake(p, &k->task))
		mc_fail("oracle", "a push to task %d found it finished", k->id);
}

static pool_turn ph_turn(pool_task *pt, unsigned batch)
{
	ph_task *k = (ph_task *)pt;
	ph *c = k->c;
	MC_RD(&k->in_turn);
	if (k->in_turn)
		mc_fail("oracle", "two workers in one turn of task %d", k->id);
	MC_WR(&k->in_turn);
	k->in_turn = 1;
	pool_turn r = POOL_TURN_MORE;
	for (unsigned i = 0; i < batch && r == POOL_TURN_MORE; i++) {
		if (MC_LOAD(&k->queued, memory_order_seq_cst) == 0) {
			r = POOL_TURN_EMPTY;
			break;
		}
		uint32_t left = MC_FETCH_SUB(&k->queued, 1, memory_order_seq_cst) - 1;
		MC_RD(&k->handled);
		MC_WR(&k->handled);
		if (++k->handled > k->expect)
			mc_fail("oracle", "task %d handled %u messages, %u were sent", k->id, k->handled, k->expect);
		if (k->id == 0 && c->sp->forward)
			ph_push(c->pool, &c->t[1]);
		if (k->handled == k->expect)
			r = POOL_TURN_DONE;
		else if (left == 0)
			r = POOL_TURN_EMPTY;
	}
	MC_WR(&k->in_turn);
	k->in_turn = 0;
	return r;
}

/* a task finished, or T1 has pushed: the last one tells T0 */
static void ph_arrive(ph *c)
{
	if (MC_FETCH_ADD(&c->finished, 1, memory_order_seq_cst) + 1 == (uint32_t)(c->sp->ntasks + c->sp->pushers - 1)) {
		MC_STORE(&c->done, 1, memory_order_seq_cst);
		MC_FUTEX_WAKE(&c->done, 1);
	}
}

static void ph_finished(pool_task *pt) { ph_arrive(((ph_task *)pt)->c); }

static const pool_task_ops ph_ops = {ph_turn, ph_finished};

static void *ph_new(const ph_spec *sp)
{
	ph *c = calloc(1, sizeof *c);
	c->sp = sp;
	for (int i = 0; i < sp->ntasks; i++) {
		ph_task *k = &c->t[i];
		k->c = c;
		k->id = i;
		atomic_init(&k->queued, 0);
		k->expect = sp->outside[i] + (i == 1 && sp->forward ? sp->outside[0] : 0);
	}
	return c;
}

/* the messages from outside: message m goes to task m % PH_TASKS; a task's messages are dealt to the pushers */
static void ph_push_outside(ph *c, act_pool *p, int tid)
{
	for (uint32_t m = 0; m < PH_TASKS * 4; m++)
		if (m / PH_TASKS < c->sp->outside[m % PH_TASKS] && (int)(m / PH_TASKS % (uint32_t)c->sp->pushers) == tid)
			ph_push(p, &c->t[m % PH_TASKS]);
}

static void ph_thread(void *ctx, int tid)
{
	ph *c = ctx;
	if (tid == 1) {
		act_pool *p;
		/* acquire: pairs with T0's release store of the pool */
		while (!(p = MC_LOAD(&c->ready, memory_order_acquire)))
			MC_YIELD();
		ph_push_outside(c, p, 1);
		ph_arrive(c);
		return;
	}
	act_pool_config cfg = {.workers = 2, .batch = 1, .spin = 0, .stack_bytes = 2 * ACT_POOL_STACK_RESERVE};
	c->pool = pool_i_create(&cfg, &ph_ops);
	if (!c->pool)
		mc_fail("oracle", "pool_i_create failed");
	for (int i = 0; i < c->sp->ntasks; i++)
		pool_i_start(c->pool, &c->t[i].task, true);
	MC_STORE(&c->ready, c->pool, memory_order_release); /* the pool and its tasks, to T1 */
	ph_push_outside(c, c->pool, 0);
	while (!MC_LOAD(&c->done, memory_order_seq_cst))
		MC_FUTEX_WAIT(&c->done, 0, -1);
	act_pool_destroy(c->pool); /* every task finished, T1 done: stop, wake and join the workers */
}

static const char *ph_check(void *ctx)
{
	ph *c = ctx;
	static char why[120];
	for (int i = 0; i < c->sp->ntasks; i++)
		if (c->t[i].handled != c->t[i].expect || atomic_load(&c->t[i].queued) != 0) {
			snprintf(why, sizeof why, "task %d handled %u of %u messages, %u left queued", i, c->t[i].handled,
			         c->t[i].expect, (unsigned)atomic_load(&c->t[i].queued));
			return why;
		}
	return NULL;
}

static void ph_free(void *ctx) { free(ctx); }

static const ph_spec ph_inject = {1, 2, {2, 0}, false};
static const ph_spec ph_next = {2, 1, {1, 1}, true};
static void *ph_inject_new(void) { return ph_new(&ph_inject); }
static void *ph_next_new(void) { return ph_new(&ph_next); }

const mc_harness mc_pool_inject = {"pool_inject",
                                   "pool: 2 workers, 1 task, 2 pushers outside (injection queue, park/wake)",
                                   2, ph_inject_new, ph_thread, ph_check, ph_free, 1};
const mc_harness mc_pool_next = {"pool_next",
                                 "pool: 2 workers, 2 tasks; a handler pushes to the other (next slot), T0 too",
                                 1, ph_next_new, ph_thread, ph_check, ph_free, 1};
