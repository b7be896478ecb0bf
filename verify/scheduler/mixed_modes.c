/* mixed_modes.c: thread-mode and pooled actors sending to and asking each
 * other. */
#include <inttypes.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "sched.h"

/* ---------------------------------------------------------------- mixed_modes */

enum { MM_P = 4, MM_TOKENS = 32, MM_HOPS = 40 };
enum { MM_TOKEN = 1, MM_ECHO, MM_ASK_ALL };
typedef struct mm_ctx {
	act_ref t, p[MM_P];
	_Atomic uint64_t hops, done, asks;
} mm_ctx;
typedef struct mm_actor {
	mm_ctx *c;
	int idx; /* -1: the thread-mode actor */
} mm_actor;

static act_result mm_handle(void *s, const mbx_msg *m, act_ctx *ctx)
{
	(void)ctx;
	mm_actor *me = s;
	mm_ctx *c = me->c;
	switch (m->tag) {
	case MM_ECHO:
		act_reply(m, m->a + 1, 0);
		return ACT_CONTINUE;
	case MM_ASK_ALL: { /* the thread actor asks every pooled one */
		uint64_t sum = 0;
		for (int i = 0; i < MM_P; i++) {
			mbx_msg q = {.tag = MM_ECHO, .a = (uint64_t)i}, rep;
			CHECK_EQ(act_ask(c->p[i], &q, &rep, 10 * V_SEC), ACT_OK);
			sum += rep.a;
		}
		act_reply(m, sum, 0);
		return ACT_CONTINUE;
	}
	}
	CHECK_EQ(m->tag, MM_TOKEN);
	atomic_fetch_add(&c->hops, 1);
	if (m->a == 0) {
		atomic_fetch_add(&c->done, 1);
		return ACT_CONTINUE;
	}
	mbx_msg f = {.tag = MM_TOKEN, .a = m->a - 1, .b = m->b, .sender = (uint32_t)me->idx};
	if (me->idx < 0) { /* thread -> next pooled actor (roomy mailboxes: never blocks) */
		CHECK_EQ(act_send(c->p[(m->sender + 1) % MM_P], &f), ACT_OK);
	} else { /* pooled -> thread (capacity 2: the pooled handler waits and helps) */
		if (m->b % 8 == 0) {
			mbx_msg q = {.tag = MM_ECHO, .a = m->b}, rep;
			CHECK_EQ(act_ask(c->t, &q, &rep, 10 * V_SEC), ACT_OK);
			CHECK_EQU(rep.a, m->b + 1);
			atomic_fetch_add(&c->asks, 1);
		}
		CHECK_EQ(act_send(c->t, &f), ACT_OK);
	}
	return ACT_CONTINUE;
}
static const act_behavior mm_b = {"mm", mm_handle, NULL, NULL};

/* Tokens bounce pooled -> thread -> next pooled ... MM_HOPS times; pooled
 * handlers ask the thread actor, and the thread actor asks pooled ones. */
void t_mixed_modes(tctx *t)
{
	act_pool *p = sched_pool_new(t, workers_or(2), 0, -1);
	mm_ctx *c = calloc(1, sizeof *c);
	mm_actor st[MM_P + 1];
	CHECK(c != NULL);
	uint32_t roomy = v_cap_at_least(t->ops, 4 * MM_P * MM_TOKENS); /* all tokens fit */
	st[MM_P] = (mm_actor){c, -1};
	c->t = v_spawn(&mm_b, &st[MM_P], t->ops, v_cap_at_least(t->ops, 2), NULL);
	for (int i = 0; i < MM_P; i++) {
		st[i] = (mm_actor){c, i};
		c->p[i] = v_spawn(&mm_b, &st[i], t->ops, roomy, p);
	}
	for (uint64_t k = 0; k < MM_TOKENS; k++)
		for (int i = 0; i < MM_P; i++) {
			mbx_msg m = {.tag = MM_TOKEN, .a = MM_HOPS, .b = k * MM_P + (uint64_t)i};
			CHECK_EQ(act_send(c->p[i], &m), ACT_OK);
		}
	sched_wait_ge(t, &c->done, MM_P * MM_TOKENS);
	CHECK_EQU(atomic_load(&c->hops), (uint64_t)MM_P * MM_TOKENS * (MM_HOPS + 1));
	/* each token is asked about on each of its pooled hops when b % 8 == 0 */
	CHECK_EQU(atomic_load(&c->asks), (uint64_t)(MM_P * MM_TOKENS / 8) * (MM_HOPS / 2));
	CHECK_EQU(v_ask_ok(c->t, MM_ASK_ALL, 0, 0).a, (uint64_t)MM_P * (MM_P + 1) / 2);
	for (int i = 0; i < MM_P; i++)
		CHECK_EQU(v_ask_ok(c->p[i], MM_ECHO, 41, 0).a, 42); /* outside -> pooled */
	for (int i = 0; i < MM_P; i++)
		v_finish(c->p[i]);
	v_finish(c->t);
	sched_pool_free(t, p);
	free(c);
}
