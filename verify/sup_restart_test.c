/* sup_restart_test.c: on_start runs once per state, never again on a state
 * that has started. Crash storms under one-for-all and rest-for-one make the
 * supervisor ask siblings for restarts; the storm ends in a give-up
 * (restart intensity exceeded) or in act_sup_stop while it rages, so a
 * sibling can reach its next message after the supervisor started closing
 * (when no fresh state comes). Many rounds per run, the supervisor itself
 * thread per actor or pooled. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "actor.h"
#include "check.h"
#include "supervisor.h"
#include "suite.h"
#include "vactor.h"
#include "vutil.h"

static const char *PROG = "mailroom-sup-restart-test";
static const int64_t SEC = 1000000000ll;

enum { T_WORK = 1, T_CRASH };
enum { NCHILD = 4, ROUNDS = 100 };

typedef struct counts {
	_Atomic uint64_t inits, finis, starts;
} counts;

typedef struct cstate {
	uint64_t magic; /* STATE_MAGIC while alive: a freed state is not started */
	int started;
	counts *n;
} cstate;
#define STATE_MAGIC UINT64_C(0x5ea7ed0f5ea7ed0f)

static void *c_init(void *arg)
{
	cstate *c = calloc(1, sizeof *c);
	CHECK(c != NULL);
	*c = (cstate){STATE_MAGIC, 0, arg};
	atomic_fetch_add(&c->n->inits, 1);
	return c;
}
static void c_fini(void *st)
{
	cstate *c = st;
	CHECK_EQU(c->magic, STATE_MAGIC);
	c->magic = 0;
	atomic_fetch_add(&c->n->finis, 1);
	free(c);
}
/* The invariant under test: a state is started once. */
static void c_start(void *st, act_ctx *ctx)
{
	(void)ctx;
	cstate *c = st;
	CHECK_EQU(c->magic, STATE_MAGIC);
	CHECK_EQ(c->started, 0);
	c->started = 1;
	atomic_fetch_add(&c->n->starts, 1);
}
static act_result c_handle(void *st, const mbx_msg *m, act_ctx *ctx)
{
	(void)ctx;
	cstate *c = st;
	CHECK_EQ(c->started, 1); /* messages go to started states only */
	return m->tag == T_CRASH ? ACT_CRASH : ACT_CONTINUE;
}
static const act_behavior child_b = {"storm_child", c_handle, c_start, NULL};

/* The storm: random children get work and crashes until told to stop or
 * every child refuses (stopped). */
typedef struct storm {
	act_ref ch[NCHILD]; /* retained */
	v_rng rng;
	_Atomic int stop;
	uint64_t sent;
} storm;

static void *storm_main(void *arg)
{
	storm *s = arg;
	unsigned refused = 0;
	while (!atomic_load(&s->stop) && refused < 1000) {
		mbx_msg m = {.tag = v_below(&s->rng, 4) ? T_WORK : T_CRASH, .seq = s->sent};
		int e = act_try_send(s->ch[v_below(&s->rng, NCHILD)], &m);
		if (e == ACT_OK)
			s->sent++;
		refused = e == ACT_ESTOPPED ? refused + 1 : 0;
		if (e == ACT_EFULL)
			sched_yield();
	}
	return NULL;
}

typedef struct storm_def {
	v_test t;
	act_sup_strategy strategy;
	bool stop_midway; /* false: the storm exceeds the restart intensity */
	bool pooled;      /* the supervisor actor on a pool */
	bool children_pooled; /* the children too (else thread per actor: mixed) */
} storm_def;

static void one_round(const storm_def *d, const mbx_ops *ops, act_pool *pool, v_rng *rng, counts *n)
{
	act_child_spec ch[NCHILD];
	for (size_t i = 0; i < NCHILD; i++)
		ch[i] = (act_child_spec){"c", &child_b, c_init, c_fini, n, {ops, 0, -1, d->children_pooled ? pool : NULL},
		                         ACT_CHILD_PERMANENT, 0};
	act_sup_spec sp = {.name = "storm", .strategy = d->strategy, .children = ch, .nchildren = NCHILD,
	                   .max_restarts = d->stop_midway ? 1000000 : 2 + (uint32_t)v_below(rng, 6),
	                   .period_ns = 10 * SEC, .options = {ops, 0, -1, pool}};
	act_sup *sup = act_sup_start(&sp);
	CHECK(sup != NULL);
	storm s = {.rng = {v_next(rng)}};
	for (size_t i = 0; i < NCHILD; i++)
		s.ch[i] = act_retain(act_sup_child(sup, i));
	pthread_t th;
	CHECK_EQ(pthread_create(&th, NULL, storm_main, &s), 0);
	if (d->stop_midway) {
		/* stop while restarts are in flight: after a random few sends */
		uint64_t after = 50 + v_below(rng, 400);
		while (s.sent < after && !atomic_load(&s.stop))
			sched_yield();
	} else {
		CHECK_EQ(act_join(act_sup_self(sup)), ACT_OK); /* it gave up */
	}
	CHECK_EQ(act_sup_stop(sup), ACT_OK);
	atomic_store(&s.stop, 1);
	CHECK_EQ(pthread_join(th, NULL), 0);
	for (size_t i = 0; i < NCHILD; i++)
		act_release(s.ch[i]);
}

static void run_test(const v_test *t, const v_case *c, uint64_t seed)
{
	const storm_def *d = (const storm_def *)(const void *)t;
	act_pool *pool = NULL;
	if (d->pooled) {
		pool = v_pool_new(2, 0, -1);
	}
	v_rng rng = {seed};
	counts n = {0};
	for (int r = 0; r < ROUNDS; r++)
		one_round(d, c->ops, pool, &rng, &n);
	/* every state was finalised; none started twice (c_start checks) */
	CHECK_EQU(atomic_load(&n.finis), atomic_load(&n.inits));
	CHECK_LE(atomic_load(&n.starts), atomic_load(&n.inits));
	printf("  %d rounds: %llu states, %llu started\n", ROUNDS, (unsigned long long)atomic_load(&n.inits),
	       (unsigned long long)atomic_load(&n.starts));
	if (pool)
		v_pool_free(pool);
}

static const storm_def tests[] = {
	{{"storm_give_up_one_for_all", 120, 0}, ACT_SUP_ONE_FOR_ALL, false, false, false},
	{{"storm_give_up_rest_for_one", 120, 0}, ACT_SUP_REST_FOR_ONE, false, false, false},
	{{"storm_stop_one_for_all", 120, 0}, ACT_SUP_ONE_FOR_ALL, true, false, false},
	{{"storm_stop_rest_for_one", 120, 0}, ACT_SUP_REST_FOR_ONE, true, false, false},
	{{"storm_give_up_one_for_all_pooled_sup", 120, 0}, ACT_SUP_ONE_FOR_ALL, false, true, false},
	{{"storm_give_up_rest_for_one_pooled_sup", 120, 0}, ACT_SUP_REST_FOR_ONE, false, true, false},
	{{"storm_stop_one_for_all_pooled_sup", 120, 0}, ACT_SUP_ONE_FOR_ALL, true, true, false},
	{{"storm_stop_rest_for_one_pooled_sup", 120, 0}, ACT_SUP_REST_FOR_ONE, true, true, false},
	{{"storm_give_up_one_for_all_pooled", 120, 0}, ACT_SUP_ONE_FOR_ALL, false, true, true},
	{{"storm_give_up_rest_for_one_pooled", 120, 0}, ACT_SUP_REST_FOR_ONE, false, true, true},
	{{"storm_stop_one_for_all_pooled", 120, 0}, ACT_SUP_ONE_FOR_ALL, true, true, true},
	{{"storm_stop_rest_for_one_pooled", 120, 0}, ACT_SUP_REST_FOR_ONE, true, true, true},
};

int main(int argc, char **argv)
{
	v_suite s = {.prog = PROG, .label = "supervision", .test_flag = "--test", V_SUITE_TESTS(tests),
	             .run = run_test};
	return v_suite_main(&s, argc, argv);
}
