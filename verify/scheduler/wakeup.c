/* wakeup.c: no lost wake-up across parked workers: random bursts and
 * pauses from outside the pool, chains of actors waking actors. */
#include <inttypes.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "sched.h"

/* ---------------------------------------------------------------- no_lost_wakeup */

enum { NL_ACTORS = 64, NL_SENDERS = 3 };
typedef struct nl_ctx {
	act_ref r[NL_ACTORS];
	_Atomic uint64_t handled[NL_ACTORS], expect[NL_ACTORS];
	_Atomic uint64_t forwards, dropped;
	int64_t deadline;
	tctx *t;
} nl_ctx;
typedef struct nl_actor {
	nl_ctx *c;
	uint32_t idx;
} nl_actor;

/* Chains only go to higher indexes, and by try_send: a handler never blocks,
 * so what this test finds is a lost wake-up, not a cycle of full mailboxes. */
static act_result nl_handle(void *s, const mbx_msg *m, act_ctx *ctx)
{
	(void)ctx;
	nl_actor *me = s;
	nl_ctx *c = me->c;
	if (m->a > 0 && me->idx < NL_ACTORS - 1) {
		v_rng h = {m->b ^ m->a};
		uint32_t nx = me->idx + 1 + (uint32_t)v_below(&h, NL_ACTORS - 1 - me->idx);
		mbx_msg f = {.tag = 1, .a = m->a - 1, .b = m->b};
		atomic_fetch_add(&c->expect[nx], 1); /* before the push: sums never undercount */
		int e = act_try_send(c->r[nx], &f);
		if (e == ACT_EFULL) {
			atomic_fetch_sub(&c->expect[nx], 1);
			atomic_fetch_add(&c->dropped, 1);
		} else {
			CHECK_EQ(e, ACT_OK);
			atomic_fetch_add(&c->forwards, 1);
		}
	}
	atomic_fetch_add(&c->handled[me->idx], 1); /* last: a forward is counted before this */
	return ACT_CONTINUE;
}
static const act_behavior nl_b = {"nl", nl_handle, NULL, NULL};

typedef struct nl_sender {
	nl_ctx *c;
	uint32_t id;
	uint64_t sent, awaits;
} nl_sender;

static void *nl_sender_main(void *x)
{
	nl_sender *s = x;
	nl_ctx *c = s->c;
	v_rng g = {c->t->seed ^ ((uint64_t)s->id << 48) ^ 0x1057};
	while (mbx_now_ns() < c->deadline) {
		uint64_t burst = 1 + v_below(&g, 48);
		for (uint64_t i = 0; i < burst; i++) {
			uint32_t a = (uint32_t)v_below(&g, NL_ACTORS);
			mbx_msg m = {.tag = 1, .sender = s->id, .a = v_below(&g, 4), .b = v_next(&g)};
			atomic_fetch_add(&c->expect[a], 1);
			CHECK_EQ(act_send(c->r[a], &m), ACT_OK);
			s->sent++;
		}
		v_tick(&c->t->wd);
		uint64_t k = v_below(&g, 100);
		if (k < 25) {
			/* wait until everything counted so far is handled: a message
			 * whose wake-up was lost is not rescued by our next burst */
			s->awaits++;
			for (uint32_t a = 0; a < NL_ACTORS; a++) {
				uint64_t want = atomic_load(&c->expect[a]);
				while (atomic_load(&c->handled[a]) < want)
					sched_yield();
			}
		} else if (k < 55) {
			continue; /* back to back */
		} else if (k < 85) {
			struct timespec ts = {
			    0, (long)v_below(&g, 200000)}; /* < 0.2 ms: workers still spinning */
			nanosleep(&ts, NULL);
		} else {
			v_sleep_ms(1 + (unsigned)v_below(&g, 10)); /* long enough for workers to park */
		}
	}
	return NULL;
}

/* ~2 s of random bursts and pauses from outside the pool, plus chains of
 * actors waking actors; every message counted must be handled. */
void t_no_lost_wakeup(tctx *t)
{
	v_rng g = {t->seed};
	static const int32_t spins[] = {0, -1}; /* park at once; the default search */
	for (size_t round = 0; round < 2; round++) {
		unsigned workers = workers_or(round == 0 ? 2 : 4);
		act_pool *p = sched_pool_new(t, workers, round == 0 ? 4 : 0, spins[round]);
		nl_ctx *c = calloc(1, sizeof *c);
		nl_actor *st = calloc(NL_ACTORS, sizeof *st);
		CHECK(c && st);
		c->t = t;
		for (uint32_t i = 0; i < NL_ACTORS; i++) {
			st[i] = (nl_actor){c, i};
			/* some tiny mailboxes: senders block, chains drop (counted) */
			uint32_t cap = v_below(&g, 4) == 0 ? v_cap_at_least(t->ops, 2) : 0;
			c->r[i] = v_spawn(&nl_b, &st[i], t->ops, cap, p);
		}
		c->deadline = mbx_now_ns() + V_SEC;
		nl_sender s[NL_SENDERS];
		pthread_t th[NL_SENDERS];
		for (uint32_t i = 0; i < NL_SENDERS; i++) {
			s[i] = (nl_sender){.c = c, .id = i + (uint32_t)round * NL_SENDERS};
			CHECK_EQ(pthread_create(&th[i], NULL, nl_sender_main, &s[i]), 0);
		}
		uint64_t sent = 0, awaits = 0;
		for (uint32_t i = 0; i < NL_SENDERS; i++) {
			CHECK_EQ(pthread_join(th[i], NULL), 0);
			sent += s[i].sent;
			awaits += s[i].awaits;
		}
		/* quiescence: everything counted is handled (forwards are counted
		 * before the handled++ of the message that forwards them) */
		uint64_t last = UINT64_MAX;
		for (;;) {
			uint64_t h = 0, e = 0;
			for (uint32_t a = 0; a < NL_ACTORS; a++) {
				h += atomic_load(&c->handled[a]);
				e += atomic_load(&c->expect[a]);
			}
			CHECK_LE(h, e);
			if (h == e)
				break;
			if (h != last) {
				last = h;
				v_tick(&t->wd);
			}
			v_sleep_ms(1);
		}
		uint64_t total = 0;
		for (uint32_t a = 0; a < NL_ACTORS; a++) {
			CHECK_EQU(atomic_load(&c->handled[a]), atomic_load(&c->expect[a]));
			total += atomic_load(&c->handled[a]);
		}
		CHECK_EQU(total, sent + atomic_load(&c->forwards));
		v_sleep_ms(20); /* idle now: workers park */
		act_pool_stats ps = act_pool_get_stats(p);
		for (uint32_t a = 0; a < NL_ACTORS; a++) {
			v_finish(act_retain(c->r[a]));
			act_stats as = act_get_stats(c->r[a]);
			CHECK_EQU(as.handled, atomic_load(&c->handled[a]));
			CHECK_EQU(as.dead_letters, 0);
			act_release(c->r[a]);
		}
		sched_pool_free(t, p);
		printf("  workers %u spin %d: %" PRIu64 " sent, %" PRIu64 " forwarded, %" PRIu64
		       " dropped (full), %" PRIu64 " awaits\n",
		       workers, spins[round], sent, atomic_load(&c->forwards), atomic_load(&c->dropped),
		       awaits);
		v_pool_print(stdout, "pool", ps);
		CHECK_GT(ps.parks, 0); /* the pauses let workers park: the wake path was exercised */
		CHECK_GT(ps.wakes, 0);
		free(st);
		free(c);
	}
}
