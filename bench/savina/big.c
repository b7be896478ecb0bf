/* savina/big.c: savina_big/<mbx>/mode:<m>/actors:<W>/pings:<P>: W actors; each sends P
 * pings, one at a time, to random other actors (a seeded stream per actor,
 * the same every run) and answers every ping it gets with a pong. An actor
 * counts down when its P-th pong is back, so at the end every ping has been
 * answered. Checks: each pong comes from the actor last pinged, and each
 * actor received exactly the pings its senders' streams aimed at it
 * (replayed in setup). Items: pings. */
#include <stdio.h>

#include "savina.h"

#define SV_SEED UINT64_C(0x736176696e61) /* the random targets; printed in the label */

enum { BG_START = 1, BG_PING, BG_PONG };
typedef struct bg_state {
	_Alignas(MBX_CACHELINE) struct bg_ctx *x;
	uint32_t idx, last; /* last: the actor our ping in flight went to */
	uint64_t rng, left;
	uint64_t received; /* pings, over all runs */
} bg_state;
typedef struct bg_ctx {
	sv_base b;
	bg_state *st;
	uint64_t *expect; /* pings each actor receives per run */
} bg_ctx;

static uint64_t bg_seed(uint32_t idx) { return bn_mix(idx + 1, SV_SEED) | 1; }
static uint32_t bg_pick(uint64_t *rng, uint32_t self, uint32_t n) /* uniform over the others */
{
	uint32_t t = (uint32_t)(bn_rng_next(rng) % (n - 1));
	return t >= self ? t + 1 : t;
}

static void bg_ping(bg_state *s)
{
	bg_ctx *x = s->x;
	s->last = bg_pick(&s->rng, s->idx, x->b.nref);
	s->left--;
	sv_send(&x->b, x->b.ref[s->last], &(mbx_msg){.tag = BG_PING, .sender = s->idx}, "ping");
}

static act_result bg_handle(void *st, const mbx_msg *m, act_ctx *ctx)
{
	(void)ctx;
	bg_state *s = st;
	bg_ctx *x = s->x;
	switch (m->tag) {
	case BG_START:
		s->rng = bg_seed(s->idx);
		s->left = x->b.r->c->savina.size;
		bg_ping(s);
		break;
	case BG_PING:
		s->received++;
		if (m->sender < x->b.nref)
			sv_send(&x->b, x->b.ref[m->sender], &(mbx_msg){.tag = BG_PONG, .sender = s->idx}, "pong");
		else
			sv_fail(&x->b, "big actor %u: ping from %u", (unsigned)s->idx, (unsigned)m->sender);
		break;
	case BG_PONG:
		if (m->sender != s->last)
			sv_fail(&x->b, "big actor %u: pong from %u, pinged %u", (unsigned)s->idx, (unsigned)m->sender,
			        (unsigned)s->last);
		else if (s->left)
			bg_ping(s);
		else
			bn_latch_count_down(&x->b.done);
		break;
	default:
		sv_bad_tag(&x->b, "big actor", m);
	}
	return ACT_CONTINUE;
}

static const act_behavior bg_b = {.name = "savina-big", .handle = bg_handle};

static void bg_setup(bn_run *r)
{
	bg_ctx *x = r->ctx;
	uint32_t w = r->c->savina.actors;
	r->items = r->n * (int64_t)w * (int64_t)r->c->savina.size;
	r->ns_per = "ping";
	snprintf(r->label, sizeof r->label, "seed=0x%" PRIx64, SV_SEED);
	if (w < 2) {
		bn_fail(r, "big needs 2 actors or more, not %u", (unsigned)w);
		return;
	}
	if (!sv_init(&x->b, r, w) || !(x->st = sv_states(r, w, sizeof *x->st)))
		return;
	if (!(x->expect = calloc(w, sizeof *x->expect))) {
		bn_fail(r, "out of memory");
		return;
	}
	for (uint32_t i = 0; i < w; i++) { /* the streams the actors will draw */
		uint64_t rng = bg_seed(i);
		for (uint32_t p = 0; p < r->c->savina.size; p++)
			x->expect[bg_pick(&rng, i, w)]++;
	}
	for (uint32_t i = 0; i < w; i++) {
		x->st[i] = (bg_state){.x = x, .idx = i};
		if (!sv_spawn(&x->b, &bg_b, &x->st[i], 0))
			return;
	}
}

static void bg_body(bn_run *r)
{
	bg_ctx *x = r->ctx;
	uint32_t w = x->b.nref;
	for (int64_t i = 0; i < r->n; i++) {
		sv_arm(&x->b, w);
		for (uint32_t k = 0; k < w; k++)
			if (!sv_send(&x->b, x->b.ref[k], &(mbx_msg){.tag = BG_START}, "start"))
				return;
		if (!sv_wait(&x->b))
			return;
		x->b.iters++;
		for (uint32_t k = 0; k < w; k++)
			if (x->st[k].received != x->expect[k] * x->b.iters) {
				bn_fail(r, "big actor %u received %" PRIu64 " pings, expected %" PRIu64, (unsigned)k,
				        x->st[k].received, x->expect[k] * x->b.iters);
				return;
			}
	}
}

static void bg_finish(bn_run *r)
{
	bg_ctx *x = r->ctx;
	sv_stop_join(&x->b);
	if (!bn_failed(r) && x->b.nref == r->c->savina.actors) {
		uint64_t w = x->b.nref, want = x->b.iters * (w + 2 * w * r->c->savina.size); /* starts, pings, pongs */
		uint64_t sum = sv_handled_total(&x->b);
		if (sum != want)
			bn_fail(r, "the actors handled %" PRIu64 " messages in all, expected %" PRIu64, sum, want);
	}
	sv_free(&x->b);
	free(x->st);
	free(x->expect);
}

const bn_scenario bn_sc_sav_big = {
	.name = "savina_big",
	.ctx_size = sizeof(bg_ctx),
	.setup = bg_setup,
	.body = bg_body,
	.finish = bg_finish,
	.cancel = sv_cancel,
};
