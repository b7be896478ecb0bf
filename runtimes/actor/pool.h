/* pool.h: the pooled mode's engine, internal to the actor layer. It runs
 * tasks (an actor embeds one) on a pool of worker threads and knows nothing
 * about mailboxes or messages: actor.c tells it when a task must run
 * (pool_i_wake) and, when it makes the pool, what one turn of a task is (a
 * pool_task_ops). It implements the public act_pool_* calls of actor.h but
 * act_pool_create, which actor.c defines over pool_i_create. */
#ifndef MAILROOM_POOL_H
#define MAILROOM_POOL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "actor.h"

/* Task states. A task is in at most one queue, and one worker at a time runs
 * it: only the worker that moved it QUEUED -> RUNNING runs it, and it is
 * queued again only through QUEUED, which only IDLE (by a waker) or RUNNING
 * (by its worker) lead to.
 *   IDLE     -> QUEUED    a waker (CAS), then the waker queues it
 *   QUEUED   -> RUNNING   the worker that dequeued it
 *   RUNNING  -> NOTIFIED  a waker while it runs (CAS): run it again
 *   RUNNING/NOTIFIED -> QUEUED  its worker, after a turn with work left
 *   RUNNING  -> IDLE      its worker, after a turn that emptied it (CAS; a
 *                         failure means NOTIFIED: queued again)
 *   RUNNING  -> DEAD      its worker, after the last turn; wakes do nothing */
enum { TASK_IDLE = 0, TASK_QUEUED, TASK_RUNNING, TASK_NOTIFIED, TASK_DEAD };

typedef struct pool_task {
	_Atomic uint32_t state;
	_Atomic(struct pool_task *) next; /* injection queue link (pool.c's inj_*) */
} pool_task;

/* What one turn of a task reported. */
typedef enum { POOL_TURN_MORE, POOL_TURN_EMPTY, POOL_TURN_DONE } pool_turn;

/* What the workers do with a task, given at creation: turn runs one turn
 * of at most `batch` messages; after POOL_TURN_DONE the task is DEAD and
 * finished is called (it may free the task). */
typedef struct pool_task_ops {
	pool_turn (*turn)(pool_task *t, unsigned batch);
	void (*finished)(pool_task *t);
} pool_task_ops;
/* act_pool_create's engine: NULL + errno as documented there. */
act_pool *pool_i_create(const act_pool_config *cfg, const pool_task_ops *ops);

/* A new task: counted as live until finished; starts IDLE (idle: its first
 * wake queues it) or QUEUED and queued at once (a first turn to run). */
void pool_i_start(act_pool *p, pool_task *t, bool idle);
/* The task has work (a push found its mailbox empty, or a close). False
 * when the task is DEAD: the caller handles what it pushed itself. */
bool pool_i_wake(act_pool *p, pool_task *t);
/* On a worker of pool p, inside a handler that waits for task t (a send to
 * its full mailbox, an ask, a join): if t is queued where this worker can
 * take it, run one turn of t here, nested. Only the task waited for, never
 * an unrelated one: a nested turn that itself waited on the actor below it
 * on this stack would deadlock (it cannot return until that actor runs, and
 * that actor cannot run until it returns). The waited-for relation is
 * acyclic unless the program deadlocks in thread mode too. The nested turn
 * runs on this worker's stack: it is refused (POOL_HELP_TOO_DEEP) when less
 * than ACT_POOL_STACK_RESERVE would be left, and the caller gives up the
 * wait with ACT_EDEPTH. POOL_HELP_NONE: not on a worker of p, or t not
 * queued where this worker can take it: the caller naps and looks again. */
typedef enum { POOL_HELP_NONE = 0, POOL_HELP_RAN, POOL_HELP_TOO_DEEP } pool_help;
pool_help pool_i_help(act_pool *p, pool_task *t);
/* Inside a handler about to wait (for anything): moves this worker's next
 * slot, which no other worker can take from, to its stealable queue. A task
 * left there would be stranded for the whole wait (it may be the one that
 * unblocks it, through other actors). No-op off the pool's workers. */
void pool_i_waiting(void);
/* True on a worker thread of any pool. */
bool pool_i_on_worker(void);

#endif
