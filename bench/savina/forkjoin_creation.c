/* savina/forkjoin_creation.c: savina_forkjoin_creation/<mbx>/mode:<m>/actors:<N>: one run spawns N
 * actors (each with its mailbox at the smallest capacity: 10^5 of them must
 * fit), sending each one message as it goes; each checks it, does Savina's
 * bit of arithmetic and stops (ACT_STOP); then all are joined and
 * released. The time of spawn + send + join + release is the manual time
 * (the RSS reads and checks are left out). Items: actors. rss_growth_bytes:
 * resident growth from before the spawns to the most seen while the actors
 * exist (read after the spawns and after the joins), mean over runs. */
#include <math.h>

#include "savina.h"

enum { FC_GO = 1 };
typedef struct fc_state {
	struct fc_ctx *x;
	uint32_t idx, got;
} fc_state;
typedef struct fc_ctx {
	sv_base b;
	fc_state *st;
	double growth_sum;
} fc_ctx;

static act_result fc_handle(void *st, const mbx_msg *m, act_ctx *ctx)
{
	(void)ctx;
	fc_state *s = st;
	double v = sin(37.2 + (double)(m->a & 7));
	if (m->tag != FC_GO || m->a != s->idx || !(v * v > 0))
		sv_fail(&s->x->b, "created actor %u: tag %u for actor %" PRIu64, (unsigned)s->idx, (unsigned)m->tag, m->a);
	s->got++;
	return ACT_STOP;
}

static const act_behavior fc_b = {.name = "savina-created", .handle = fc_handle};

static void fc_setup(bn_run *r)
{
	fc_ctx *x = r->ctx;
	uint32_t n = r->c->savina.actors;
	r->items = r->n * (int64_t)n;
	r->ns_per = "actor";
	if (sv_init(&x->b, r, n) && (x->st = sv_states(r, n, sizeof *x->st)))
		memset(x->b.ref, 0, n * sizeof *x->b.ref); /* touched now, as the states */
}

/* One run; false on a failure (its actors are joined and released). */
static bool fc_run(bn_run *r, fc_ctx *x)
{
	uint32_t n = r->c->savina.actors, cap = sv_small_cap(r->c->mbx);
	int64_t rss0, rss1 = 0, rss2 = 0;
	bn_exclude_begin(r);
	for (uint32_t i = 0; i < n; i++)
		x->st[i] = (fc_state){.x = x, .idx = i};
	bool ok = sv_rss_baseline(r, &rss0);
	bn_exclude_end(r);
	int64_t t0 = mbx_now_ns();
	for (uint32_t i = 0; ok && i < n; i++) {
		mbx_msg go = {.tag = FC_GO, .a = i};
		ok = sv_spawn(&x->b, &fc_b, &x->st[i], cap) && sv_send(&x->b, x->b.ref[i], &go, "go");
	}
	int64_t t1 = mbx_now_ns();
	bn_exclude_begin(r);
	ok = ok && sv_rss_bytes(r, &rss1);
	bn_exclude_end(r);
	if (!ok) { /* whatever was spawned: stop (a send may have failed), join, release */
		sv_stop_join(&x->b);
		sv_release(&x->b);
		return false;
	}
	int64_t t2 = mbx_now_ns();
	for (uint32_t i = 0; i < n; i++) { /* they stop themselves */
		int e = act_join(x->b.ref[i]);
		if (e != ACT_OK && ok) {
			bn_fail(r, "act_join of created actor %u: %s", (unsigned)i, act_strerror(e));
			ok = false;
		}
	}
	int64_t t3 = mbx_now_ns();
	bn_exclude_begin(r);
	ok = ok && sv_rss_bytes(r, &rss2);
	for (uint32_t i = 0; ok && i < n; i++) {
		if (x->st[i].got != 1) {
			bn_fail(r, "created actor %u handled its message %u times", (unsigned)i, (unsigned)x->st[i].got);
			ok = false;
		} else {
			ok = sv_check_handled(&x->b, i, 1, "created actor");
		}
	}
	bn_exclude_end(r);
	int64_t t4 = mbx_now_ns();
	sv_release(&x->b);
	int64_t t5 = mbx_now_ns();
	r->manual_ns += (t1 - t0) + (t3 - t2) + (t5 - t4);
	x->growth_sum += (double)((rss1 > rss2 ? rss1 : rss2) - rss0);
	return ok && !bn_failed(r);
}

static void fc_body(bn_run *r)
{
	fc_ctx *x = r->ctx;
	for (int64_t i = 0; i < r->n && fc_run(r, x); i++)
		x->b.iters++;
	if (x->b.iters) {
		double g = x->growth_sum / (double)x->b.iters;
		bn_set_counter(r, "rss_growth_bytes", g);
		bn_set_counter(r, "rss_bytes_per_actor", g / r->c->savina.actors);
	}
}

static void fc_finish(bn_run *r)
{
	fc_ctx *x = r->ctx;
	sv_stop_join(&x->b); /* nothing is left after a run; only a failed setup leaves actors */
	sv_free(&x->b);
	free(x->st);
}

const bn_scenario bn_sc_sav_fj_creation = {
	.name = "savina_forkjoin_creation",
	.ctx_size = sizeof(fc_ctx),
	.manual_time = true,
	.setup = fc_setup,
	.body = fc_body,
	.finish = fc_finish,
	.cancel = sv_cancel,
};
