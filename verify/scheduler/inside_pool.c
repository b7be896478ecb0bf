/* inside_pool.c: blocking calls inside pooled handlers: asks, joins and
 * sends to full mailboxes on a 1-worker pool finish because the waiting
 * worker helps; asks that cannot be helped end by their timeout. */
#include <inttypes.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "sched.h"

/* ---------------------------------------------------------------- ask_inside_pool */

enum { AI_ECHO = 1, AI_ASK_B, AI_JOIN, AI_FLOOD_D, AI_D, AI_DGET, AI_PING };
enum { AI_FLOOD_N = 1000 };
typedef struct ai_ctx {
	act_ref b, d;
	const mbx_ops *ops;
	act_pool *pool;
	uint32_t dcap;
	_Atomic int a_inside;
	uint64_t d_next; /* D's own */
} ai_ctx;

static act_result ai_handle(void *s, const mbx_msg *m, act_ctx *ctx)
{
	ai_ctx *c = s;
	switch (m->tag) {
	case AI_ECHO: /* B */
		act_reply(m, m->a + 1, 0);
		return ACT_CONTINUE;
	case AI_D: /* D: every message of the flood, in order */
		CHECK_EQU(m->seq, c->d_next);
		c->d_next++;
		return ACT_CONTINUE;
	case AI_DGET:
		act_reply(m, c->d_next, 0);
		return ACT_CONTINUE;
	}
	/* A: a helped turn must never be A's own (A is waiting, not idle) */
	int a_already_inside = atomic_exchange(&c->a_inside, 1);
	CHECK_EQ(a_already_inside, 0);
	switch (m->tag) {
	case AI_ASK_B: { /* B is queued on our only worker: only helping runs it */
		mbx_msg q = {.tag = AI_ECHO, .a = m->a}, rep;
		int e = act_ask(c->b, &q, &rep, 10 * V_SEC);
		act_reply(m, (uint64_t)e, e == ACT_OK ? rep.a : 0);
		break;
	}
	case AI_JOIN: { /* a child spawned, fed, stopped and joined from here */
		v_probe ch;
		act_ref r = v_spawn_probe(&ch, c->ops, v_cap_at_least(c->ops, 2), c->pool);
		for (int i = 0; i < 10; i++)
			v_send_ok(r, PR_ADD, (uint64_t)i);
		CHECK_EQ(act_stop(r), ACT_OK);
		int e = act_join(r);
		act_reply(m, (uint64_t)e,
		          ch.count | (uint64_t)atomic_load(&ch.starts) << 32 |
		              (uint64_t)atomic_load(&ch.stops) << 48);
		act_release(r);
		break;
	}
	case AI_FLOOD_D: /* D's mailbox holds dcap: the sends past it must help */
		v_send_ok(act_self(ctx), AI_PING, 0); /* A now has work queued while it waits */
		for (uint64_t i = 0; i < AI_FLOOD_N; i++) {
			mbx_msg d = {.tag = AI_D, .seq = m->a + i}; /* m->a: D's count so far */
			CHECK_EQ(act_send(c->d, &d), ACT_OK);
		}
		act_reply(m, AI_FLOOD_N, 0);
		break;
	case AI_PING:
		act_reply(m, 0, 0);
		break;
	default:
		CHECK(!"unknown tag");
	}
	atomic_store(&c->a_inside, 0);
	return ACT_CONTINUE;
}
static const act_behavior ai_b = {"ai", ai_handle, NULL, NULL};

/* One worker: A's ask to B, join of a child, and sends to D's full mailbox
 * complete only because the waiting worker runs B's, the child's and D's
 * turns. */
void t_ask_inside_pool(tctx *t)
{
	act_pool *p = sched_pool_new(t, 1, 0, -1);
	ai_ctx *c = calloc(1, sizeof *c);
	CHECK(c != NULL);
	c->ops = t->ops;
	c->pool = p;
	c->dcap = v_cap_at_least(t->ops, 2);
	c->b = v_spawn(&ai_b, c, t->ops, 0, p);
	c->d = v_spawn(&ai_b, c, t->ops, c->dcap, p);
	act_ref a = v_spawn(&ai_b, c, t->ops, 0, p);
	v_rng g = {t->seed};
	for (int i = 0; i < 200; i++) {
		uint64_t x = v_below(&g, 1u << 30);
		mbx_msg rep = v_ask_ok(a, AI_ASK_B, x, 0);
		CHECK_EQ(rep.a, ACT_OK);
		CHECK_EQU(rep.b, x + 1);
		v_tick(&t->wd);
	}
	for (int i = 0; i < 20; i++) {
		mbx_msg rep = v_ask_ok(a, AI_JOIN, 0, 0);
		CHECK_EQ(rep.a, ACT_OK);
		CHECK_EQU(rep.b & 0xffffffffu, 10);  /* every message before the stop */
		CHECK_EQU((rep.b >> 32) & 0xffff, 1); /* on_start once */
		CHECK_EQU(rep.b >> 48, 1);            /* on_stop once, before join returned */
		v_tick(&t->wd);
	}
	for (int i = 0; i < 3; i++) {
		CHECK_EQU(v_ask_ok(a, AI_FLOOD_D, (uint64_t)i * AI_FLOOD_N, 0).a, AI_FLOOD_N);
		CHECK_EQU(v_ask_ok(c->d, AI_DGET, 0, 0).a, (uint64_t)(i + 1) * AI_FLOOD_N);
		v_tick(&t->wd);
	}
	act_pool_stats ps = act_pool_get_stats(p);
	v_pool_print(stdout, "pool", ps);
	CHECK_GT(ps.helps, 0);
	v_finish(a);
	v_finish(c->b);
	v_finish(c->d);
	sched_pool_free(t, p);
	free(c);
}

/* ---------------------------------------------------------------- ask_timeout_inside_pool */

enum { AT_ASK = 1, AT_NOREPLY, AT_SLEEP, AT_PING, AT_ASK_BACK, AT_CRASH };
enum { AT_N, AT_S_OTHER_POOL, AT_S_THREAD, AT_S_SAME_POOL, AT_B, AT_CR, AT_NT };
typedef struct at_ctx {
	act_ref tgt[AT_NT];
	act_ref a;
	uint64_t inner; /* the asked actor's reply word (written before A replies) */
} at_ctx;

static act_result at_handle(void *s, const mbx_msg *m, act_ctx *ctx)
{
	(void)ctx;
	at_ctx *c = s;
	mbx_msg rep;
	switch (m->tag) {
	case AT_ASK: { /* A: ask tgt[a] with timeout b, request tag seq */
		mbx_msg q = {.tag = (uint32_t)m->seq, .a = 300};
		int64_t t0 = mbx_now_ns();
		int e = act_ask(c->tgt[m->a], &q, &rep, (int64_t)m->b);
		c->inner = e == ACT_OK ? rep.a : UINT64_MAX;
		act_reply(m, (uint64_t)e, (uint64_t)(mbx_now_ns() - t0));
		return ACT_CONTINUE;
	}
	case AT_NOREPLY:
		return ACT_CONTINUE;
	case AT_SLEEP:
		v_sleep_ms((unsigned)m->a);
		act_reply(m, 1, 0);
		return ACT_CONTINUE;
	case AT_PING:
		act_reply(m, 7, 0);
		return ACT_CONTINUE;
	case AT_ASK_BACK: { /* B: A is blocked in its ask to us, so this one can only time out */
		mbx_msg q = {.tag = AT_PING};
		act_reply(m, (uint64_t)act_ask(c->a, &q, &rep, 100 * V_MS), 0);
		return ACT_CONTINUE;
	}
	case AT_CRASH:
		return ACT_CRASH;
	}
	CHECK(!"unknown tag");
	return ACT_CRASH;
}
static const act_behavior at_b = {"at", at_handle, NULL, NULL};

static mbx_msg at_ask(at_ctx *c, int tgt, uint32_t tag, int64_t timeout)
{
	mbx_msg m = {.tag = AT_ASK, .a = (uint64_t)tgt, .b = (uint64_t)timeout, .seq = tag}, rep;
	CHECK_EQ(act_ask(c->a, &m, &rep, 30 * V_SEC), ACT_OK);
	return rep; /* .a: the inner ask's error, .b: its duration */
}

/* Asks from a pooled handler (one worker) that must end by themselves. */
void t_ask_timeout_inside_pool(tctx *t)
{
	act_pool *p = sched_pool_new(t, 1, 0, -1), *p2 = sched_pool_new(t, 1, 0, -1);
	at_ctx *c = calloc(1, sizeof *c);
	CHECK(c != NULL);
	c->a = v_spawn(&at_b, c, t->ops, 0, p);
	c->tgt[AT_N] = v_spawn(&at_b, c, t->ops, 0, p);
	c->tgt[AT_S_OTHER_POOL] = v_spawn(&at_b, c, t->ops, 0, p2); /* our worker cannot help it */
	c->tgt[AT_S_THREAD] = v_spawn(&at_b, c, t->ops, 0, NULL);
	c->tgt[AT_S_SAME_POOL] = v_spawn(&at_b, c, t->ops, 0, p);
	c->tgt[AT_B] = v_spawn(&at_b, c, t->ops, 0, p);
	c->tgt[AT_CR] = v_spawn(&at_b, c, t->ops, 0, p);

	mbx_msg r = at_ask(c, AT_N, AT_NOREPLY, 10 * V_SEC);
	CHECK_EQ(r.a, ACT_ENOREPLY);
	CHECK_LT(r.b, 5 * V_SEC);
	v_tick(&t->wd);
	for (int tg = AT_S_OTHER_POOL; tg <= AT_S_THREAD; tg++) { /* sleeps 300 ms, we wait 50 */
		r = at_ask(c, tg, AT_SLEEP, 50 * V_MS);
		CHECK_EQ(r.a, ACT_ETIMEOUT);
		CHECK_GE(r.b, 50 * V_MS);
		CHECK_LT(r.b, 2 * V_SEC);
		v_tick(&t->wd);
	}
	/* the sleeper on our own worker: helping may run its 300 ms turn inside
	 * our wait, so the answer may be late or even OK, but it must come */
	r = at_ask(c, AT_S_SAME_POOL, AT_SLEEP, 50 * V_MS);
	CHECK(r.a == ACT_ETIMEOUT || r.a == ACT_OK);
	CHECK_LT(r.b, 300 * V_MS + 2 * V_SEC);
	printf("  ask to a 300 ms sleeper on the same worker, timeout 50 ms: %s after %" PRIu64 " ms\n",
	       act_strerror((int)r.a), r.b / (uint64_t)V_MS);
	v_tick(&t->wd);
	/* A asks B, B asks A back: both wait on the other; B's 100 ms timeout ends it */
	r = at_ask(c, AT_B, AT_ASK_BACK, 10 * V_SEC);
	CHECK_EQ(r.a, ACT_OK);
	CHECK_EQU(c->inner, ACT_ETIMEOUT);
	v_tick(&t->wd);
	r = at_ask(c, AT_CR, AT_CRASH, 10 * V_SEC);
	CHECK_EQ(r.a, ACT_ECRASHED);
	r = at_ask(c, AT_CR, AT_PING, 10 * V_SEC);
	CHECK_EQ(r.a, ACT_ESTOPPED);
	CHECK_EQU(v_ask_ok(c->a, AT_PING, 0, 0).a, 7); /* A is fine (and B's late ask was answered) */
	v_finish(c->a);
	for (int i = 0; i < AT_NT; i++)
		v_finish(c->tgt[i]);
	sched_pool_free(t, p);
	sched_pool_free(t, p2);
	free(c);
}
