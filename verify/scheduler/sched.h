/* sched.h: what the files of mailroom-scheduler-test share: a test run's
 * context (mailbox, seed, watchdog, the pools it made, for the watchdog's
 * dump), the pool helpers, and one prototype per test; the table of tests
 * is in driver.c. */
#ifndef MAILROOM_SCHED_H
#define MAILROOM_SCHED_H

#include <pthread.h>
#include <stdint.h>

#include "actor.h"
#include "vactor.h"
#include "vutil.h"

#define SCHED_PROG "mailroom-scheduler-test"

enum { SCHED_MAX_POOLS = 4 };

typedef struct tctx {
	const mbx_ops *ops;
	uint64_t seed;
	v_watchdog wd;
	pthread_mutex_t pools_mu; /* the watchdog thread reads pools[] */
	act_pool *pools[SCHED_MAX_POOLS];
} tctx;

/* --workers if given, else the test's own default. */
unsigned workers_or(unsigned dflt);

/* A pool of exactly `workers`, known to the watchdog's dump until
 * sched_pool_forget/free. */
act_pool *sched_pool_new(tctx *t, unsigned workers, unsigned batch, int32_t spin);
void sched_pool_forget(tctx *t, act_pool *p);
/* Every actor of p has been stopped: v_pool_free (live must reach 0). */
act_pool_stats sched_pool_free(tctx *t, act_pool *p);
/* Every pool of t and its stats, to stderr (the watchdog's dump). */
void sched_dump(void *t);

/* Waits (no timeout: the watchdog is the timeout) for *v >= want, ticking
 * the watchdog while it moves. */
void sched_wait_ge(tctx *t, _Atomic uint64_t *v, uint64_t want);

/* lifecycle.c */
void t_many_actors(tctx *t);
void t_stop_idle(tctx *t);
/* fairness.c */
void t_never_two_workers(tctx *t);
void t_batch_fairness(tctx *t);
/* wakeup.c */
void t_no_lost_wakeup(tctx *t);
/* inside_pool.c */
void t_ask_inside_pool(tctx *t);
void t_ask_timeout_inside_pool(tctx *t);
/* stop_crash.c */
void t_self_stop(tctx *t);
void t_crash(tctx *t);
void t_pool_destroy_checks(tctx *t);
/* mixed_modes.c */
void t_mixed_modes(tctx *t);
/* regressions.c */
void t_help_nested_block(tctx *t);
void t_stranded_next_slot(tctx *t);

#endif
