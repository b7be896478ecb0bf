/* nested_ask_test.c: chains of actors where each handler asks the next one
 * (no cycle, mailboxes never full): they answer at every depth in both
 * modes (a pooled worker runs the awaited turns nested on its own stack,
 * whatever the number of workers), and a chain deeper than the workers'
 * stack budget gets ACT_EDEPTH at once, never a timeout. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "actor.h"
#include "check.h"
#include "suite.h"
#include "vactor.h"

static const char *PROG = "mailroom-nested-ask-test";
static const int64_t SEC = 1000000000ll;

/* Shared by the links of one chain. */
typedef struct chain_count {
	_Atomic uint64_t entered;        /* handlers that started */
	_Atomic uint64_t active, nested; /* handlers running now, and the most at once */
} chain_count;

typedef struct chain_link {
	act_ref next; /* .a == NULL: the end of the chain */
	chain_count *n;
} chain_link;

/* Asks the next link and answers hops + 1; an error is passed up as is. */
static void link_step(chain_link *l, const mbx_msg *m)
{
	if (!l->next.a) {
		act_reply(m, 1, 0);
		return;
	}
	mbx_msg rep = {0};
	int e = act_ask(l->next, m, &rep, 30 * SEC);
	if (e != ACT_OK)
		act_reply_error(m, e);
	else
		act_reply(m, rep.a + 1, 0);
}

static act_result link_handle(void *st, const mbx_msg *m, act_ctx *ctx)
{
	(void)ctx;
	chain_link *l = st;
	atomic_fetch_add(&l->n->entered, 1);
	uint64_t now = atomic_fetch_add(&l->n->active, 1) + 1;
	for (uint64_t most = atomic_load(&l->n->nested); now > most;)
		if (atomic_compare_exchange_weak(&l->n->nested, &most, now))
			break;
	link_step(l, m);
	atomic_fetch_sub(&l->n->active, 1);
	return ACT_CONTINUE;
}
static const act_behavior link_b = {"link", link_handle, NULL, NULL};

/* A chain of `depth` actors on `pool` (NULL: thread per actor); asks its
 * head once from this thread. Returns the ask's result, *hops the answer,
 * *n what the links counted while the ask was in flight. */
static int run_chain(const mbx_ops *ops, act_pool *pool, uint64_t depth, uint64_t *hops,
                     chain_count *n, int64_t *ns)
{
	chain_link *l = calloc(depth, sizeof *l);
	act_ref *r = calloc(depth, sizeof *r);
	CHECK(l && r);
	act_options o = {.mailbox = ops, .capacity = 0, .spin = -1, .pool = pool};
	for (uint64_t i = depth; i-- > 0;) { /* the tail first: each link names the next */
		l[i] = (chain_link){.next = i + 1 < depth ? r[i + 1] : (act_ref){NULL}, .n = n};
		r[i] = act_spawn(&link_b, &l[i], &o);
		CHECK(r[i].a != NULL);
	}
	mbx_msg req = {.tag = 1}, rep = {0};
	int64_t t0 = mbx_now_ns();
	int e = act_ask(r[0], &req, &rep, 30 * SEC);
	*ns = mbx_now_ns() - t0;
	*hops = rep.a;
	for (uint64_t i = 0; i < depth; i++)
		CHECK_EQ(act_stop(r[i]), ACT_OK);
	for (uint64_t i = 0; i < depth; i++) {
		CHECK_EQ(act_join(r[i]), ACT_OK);
		act_release(r[i]);
	}
	free(l);
	free(r);
	return e;
}

typedef struct chain_def {
	v_test t;
	uint64_t depth;
	unsigned workers; /* 0: thread per actor */
	size_t stack;     /* worker stack (0: the default); small: past the budget */
} chain_def;

#define CHAIN(d, w) {{"chain_d" #d "_" #w "w", 120, 0}, d, w, 0}
#define CHAIN_T(d) {{"chain_d" #d "_thread", 120, 0}, d, 0, 0}
static const chain_def tests[] = {
	CHAIN(1, 1), CHAIN(8, 1), CHAIN(9, 1), CHAIN(100, 1), CHAIN(1000, 1),
	CHAIN(1, 2), CHAIN(8, 2), CHAIN(9, 2), CHAIN(100, 2), CHAIN(1000, 2),
	CHAIN(1, 4), CHAIN(8, 4), CHAIN(9, 4), CHAIN(100, 4), CHAIN(1000, 4),
	CHAIN_T(1), CHAIN_T(9), CHAIN_T(100), CHAIN_T(1000),
	/* 1 MiB stacks with a 512 KiB reserve: a 20000-chain_link chain cannot nest */
	{{"past_stack_budget_1w", 120, 0}, 20000, 1, 2 * ACT_POOL_STACK_RESERVE},
	{{"past_stack_budget_2w", 120, 0}, 20000, 2, 2 * ACT_POOL_STACK_RESERVE},
};

static void run_test(const v_test *t, const v_case *c, uint64_t seed)
{
	(void)seed;
	const chain_def *d = (const chain_def *)(const void *)t;
	act_pool *p = NULL;
	if (d->workers) {
		p = act_pool_create(&(act_pool_config){.workers = d->workers, .spin = -1, .stack_bytes = d->stack});
		CHECK(p != NULL);
	}
	uint64_t hops = 0;
	int64_t ns = 0;
	chain_count n = {0};
	int e = run_chain(c->ops, p, d->depth, &hops, &n, &ns);
	uint64_t entered = atomic_load(&n.entered), nested = atomic_load(&n.nested);
	if (!d->stack) {
		CHECK_EQ(e, ACT_OK);
		CHECK_EQU(hops, d->depth);
		CHECK_EQU(entered, d->depth);
	} else {
		/* the deepest wait gives up at once with ACT_EDEPTH, passed up the
		 * chain: long before any ask's 30 s timeout */
		CHECK_EQ(e, ACT_EDEPTH);
		CHECK_LT(ns, 10 * SEC);
		/* nested well past the old fixed limit of 8, and stopped by the
		 * budget (the rest of the chain then runs unnested, unasked for) */
		CHECK_GT(nested, 8);
		CHECK_LT(nested, d->depth);
	}
	printf("  depth %llu, %u workers: %s in %.1f ms (%llu handlers ran, at most %llu at once)\n",
	       (unsigned long long)d->depth, d->workers, act_strerror(e), ns / 1e6,
	       (unsigned long long)entered, (unsigned long long)nested);
	if (p)
		v_pool_free(p); /* every actor terminated: live reaches 0 */
}

int main(int argc, char **argv)
{
	v_suite s = {.prog = PROG, .label = "scheduler", .test_flag = "--test", V_SUITE_TESTS(tests),
	             .run = run_test};
	return v_suite_main(&s, argc, argv);
}
