/* fairness.c: one worker per actor at a time (never_two_workers) and the
 * batch limit that keeps a flooded actor from starving the others
 * (batch_fairness). */
#include <inttypes.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "sched.h"

/* ---------------------------------------------------------------- never_two_workers */

enum { NT_ACTORS = 8, NT_SENDERS = 4 };
typedef struct nt_state {
	_Atomic int inside;
	uint32_t idx;
	uint64_t seed;
	uint64_t next_seq[NT_SENDERS]; /* plain: a second worker inside would race here (TSan) */
	uint64_t count;
} nt_state;

static act_result nt_handle(void *s, const mbx_msg *m, act_ctx *ctx)
{
	(void)ctx;
	nt_state *st = s;
	int others_inside = atomic_exchange(&st->inside, 1);
	CHECK_EQ(others_inside, 0); /* another worker is inside this actor */
	CHECK_LT(m->sender, NT_SENDERS);
	CHECK_EQU(m->seq, st->next_seq[m->sender]); /* per-sender FIFO */
	CHECK_EQU(m->a, v_payload(st->seed, m->sender, m->seq ^ ((uint64_t)st->idx << 40)));
	st->next_seq[m->sender]++;
	st->count++;
	if (!(m->seq & 63))
		sched_yield(); /* stay inside a while: widen the window for a second worker */
	atomic_store(&st->inside, 0);
	return ACT_CONTINUE;
}
static const act_behavior nt_b = {"nt", nt_handle, NULL, NULL};

typedef struct nt_sender {
	tctx *t;
	act_ref *r;
	uint32_t id;
	uint64_t n, sent[NT_ACTORS];
} nt_sender;

static void *nt_sender_main(void *x)
{
	nt_sender *s = x;
	v_rng g = {s->t->seed ^ ((uint64_t)s->id << 32) ^ 0x5eed};
	for (uint64_t i = 0; i < s->n; i++) {
		uint32_t a = (uint32_t)v_below(&g, NT_ACTORS);
		uint64_t seq = s->sent[a]++;
		mbx_msg m = {.tag = 1, .sender = s->id, .seq = seq,
		             .a = v_payload(s->t->seed, s->id, seq ^ ((uint64_t)a << 40))};
		if (i % 3 == 0) { /* try_send schedules through the same path */
			int e;
			while ((e = act_try_send(s->r[a], &m)) == ACT_EFULL)
				sched_yield();
			CHECK_EQ(e, ACT_OK);
		} else {
			CHECK_EQ(act_send(s->r[a], &m), ACT_OK);
		}
		v_tick(&s->t->wd);
	}
	return NULL;
}

/* Senders flood a few actors; each handler checks no other worker is in the
 * same actor, and per-sender order. Rounds vary batch and capacity. */
void t_never_two_workers(tctx *t)
{
	static const unsigned batches[] = {1, 5, 0};
	for (size_t round = 0; round < sizeof batches / sizeof batches[0]; round++) {
		act_pool *p = sched_pool_new(t, workers_or(4), batches[round], -1);
		uint32_t cap = round == 0 ? v_cap_at_least(t->ops, 2) : 0; /* tiny: senders block */
		nt_state *st = calloc(NT_ACTORS, sizeof *st);
		CHECK(st != NULL);
		act_ref r[NT_ACTORS];
		for (uint32_t i = 0; i < NT_ACTORS; i++) {
			st[i].idx = i;
			st[i].seed = t->seed;
			r[i] = v_spawn(&nt_b, &st[i], t->ops, cap, p);
		}
		nt_sender s[NT_SENDERS];
		pthread_t th[NT_SENDERS];
		for (uint32_t i = 0; i < NT_SENDERS; i++) {
			s[i] = (nt_sender){.t = t, .r = r, .id = i, .n = 20000 / V_SCALE};
			CHECK_EQ(pthread_create(&th[i], NULL, nt_sender_main, &s[i]), 0);
		}
		for (uint32_t i = 0; i < NT_SENDERS; i++)
			CHECK_EQ(pthread_join(th[i], NULL), 0);
		uint64_t total = 0;
		for (uint32_t a = 0; a < NT_ACTORS; a++) {
			v_finish(r[a]);
			uint64_t want = 0;
			for (uint32_t i = 0; i < NT_SENDERS; i++) {
				CHECK_EQU(st[a].next_seq[i], s[i].sent[a]);
				want += s[i].sent[a];
			}
			CHECK_EQU(st[a].count, want);
			total += want;
		}
		act_pool_stats ps = sched_pool_free(t, p);
		printf("  batch %u capacity %u: %" PRIu64 " messages, %" PRIu64 " turns, %" PRIu64
		       " steals\n",
		       batches[round], cap, total, ps.turns, ps.steals);
		free(st);
	}
}

/* ---------------------------------------------------------------- batch_fairness */

enum { BF_PING = 1, BF_HOLD, BF_FILL, BF_A, BF_B };
typedef struct bf_ctx {
	act_ref a, b;
	uint64_t l;
	_Atomic uint64_t a_handled, a_at_b, b_done;
	_Atomic int held, release;
} bf_ctx;

static act_result bf_handle(void *s, const mbx_msg *m, act_ctx *ctx)
{
	(void)ctx;
	bf_ctx *c = s;
	switch (m->tag) {
	case BF_HOLD:
		v_hold(&c->held, &c->release);
		break;
	case BF_FILL: /* wakes from inside the pool: B first, then A's flood */
		v_send_ok(c->b, BF_B, 0);
		for (uint64_t i = 0; i < c->l; i++)
			v_send_ok(c->a, BF_A, i);
		break;
	case BF_A:
		atomic_fetch_add(&c->a_handled, 1);
		break;
	case BF_B:
		atomic_store(&c->a_at_b, atomic_load(&c->a_handled));
		atomic_store(&c->b_done, 1);
		break;
	}
	act_reply(m, 0, 0); /* BF_PING (no-op for plain sends) */
	return ACT_CONTINUE;
}
static const act_behavior bf_b = {"bf", bf_handle, NULL, NULL};

/* One worker, batch K. A gets L = 128K messages, B one; every message is
 * queued while the worker cannot run anything, so the order is fixed:
 *  - inside: G's handler wakes B, then floods A (next slot / local queue).
 *    A's turn ends after K messages and A goes behind B: B runs after at
 *    most 2K of A's messages (K if A ran first, 0 if B did).
 *  - outside: G holds the worker while this thread floods A, then sends B
 *    (both through the injection queue). Run to exhaustion would give L;
 *    the bound L/2 leaves room for a worker that polls the injection queue
 *    only every few dozen turns (Go: 61).
 * Either way A needs >= L/K turns. */
void t_batch_fairness(tctx *t)
{
	static const unsigned ks[] = {2, 16};
	for (size_t ki = 0; ki < sizeof ks / sizeof ks[0]; ki++) {
		unsigned k = ks[ki];
		act_pool *p = sched_pool_new(t, 1, k, -1);
		bf_ctx *c = calloc(1, sizeof *c);
		CHECK(c != NULL);
		c->l = 128 * (uint64_t)k;
		act_ref g = v_spawn(&bf_b, c, t->ops, 0, p);
		c->a = v_spawn(&bf_b, c, t->ops, v_cap_at_least(t->ops, (uint32_t)c->l + 8), p);
		c->b = v_spawn(&bf_b, c, t->ops, 0, p);
		v_ask_ok(g, BF_PING, 0, 0); /* first turns (on_start) done: all idle */
		v_ask_ok(c->a, BF_PING, 0, 0);
		v_ask_ok(c->b, BF_PING, 0, 0);
		for (int outside = 0; outside < 2; outside++) {
			atomic_store(&c->a_handled, 0);
			atomic_store(&c->b_done, 0);
			atomic_store(&c->held, 0);
			atomic_store(&c->release, 0);
			uint64_t turns0 = act_pool_get_stats(p).turns;
			if (outside) {
				v_send_ok(g, BF_HOLD, 0);
				v_wait_flag(&c->held);
				for (uint64_t i = 0; i < c->l; i++)
					v_send_ok(c->a, BF_A, i);
				v_send_ok(c->b, BF_B, 0);
				atomic_store(&c->release, 1);
			} else {
				v_send_ok(g, BF_FILL, 0);
			}
			sched_wait_ge(t, &c->a_handled, c->l);
			sched_wait_ge(t, &c->b_done, 1);
			v_ask_ok(g, BF_PING, 0, 0); /* the pool is quiet: the turn counters settle */
			uint64_t at_b = atomic_load(&c->a_at_b), turns = act_pool_get_stats(p).turns - turns0;
			printf("  K=%u %s: B ran after %" PRIu64 " of A's %" PRIu64 " messages; %" PRIu64
			       " turns\n",
			       k, outside ? "outside" : "inside", at_b, c->l, turns);
			uint64_t bound = outside ? c->l / 2 : 2 * (uint64_t)k;
			CHECK_LE(at_b, bound);
			CHECK_GE(turns, c->l / k); /* A was re-queued every K messages */
		}
		v_finish(g);
		v_finish(c->a);
		v_finish(c->b);
		sched_pool_free(t, p);
		free(c);
	}
}
