/* counter.c: the counter workload on every backend that offers one: more
 * producers than cores, no add lost, wide adds not truncated. */
#include <inttypes.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "wltest.h"

/* 10 x 1000 (x 1000/8 under sanitizers): more producers than cores on
 * purpose, so a mailbox that convoys under oversubscription shows it here. */
enum { COUNTER_THREADS = 10, COUNTER_PER = 1000 / V_SCALE };
typedef struct counter_client {
	tctx *t;
	wl_counter *c;
} counter_client;

static void *counter_client_main(void *p)
{
	counter_client *cc = p;
	const counter_ops *o = cc->t->be->counter;
	for (int i = 0; i < COUNTER_PER; i++) {
		o->add(cc->c, 1);
		v_tick(&cc->t->wd);
	}
	/* get includes every add that returned before it: at least our own */
	CHECK_GE(o->get(cc->c), COUNTER_PER);
	return NULL;
}

void t_counter(tctx *t)
{
	const counter_ops *o = t->be->counter;
	wl_counter *c = o->create(&t->cfg);
	CHECK(c != NULL);
	CHECK_EQU(o->get(c), 0);
	counter_client cc[COUNTER_THREADS];
	for (int i = 0; i < COUNTER_THREADS; i++)
		cc[i] = (counter_client){t, c};
	run_threads(COUNTER_THREADS, counter_client_main, cc, sizeof cc[0]);
	CHECK_EQU(o->get(c), (uint64_t)COUNTER_THREADS * COUNTER_PER);
	o->add(c, 1ull << 40); /* wide adds are not truncated */
	CHECK_EQU(o->get(c), (uint64_t)COUNTER_THREADS * COUNTER_PER + (1ull << 40));
	o->destroy(c);
}
