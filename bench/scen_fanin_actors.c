/* scen_fanin_actors.c: fanin_actors/<mbx>/mode:<m>/P:<n>/cap:<c>: fan-in
 * between actors, in either mode: P producer actors each send their quota
 * (sender = id, seq = 0, 1, ...) to one consumer actor, whose mailbox is the
 * case's kind at cap:1024 or unbounded (cap:none). A producer sends
 * FA_CHUNK messages per handler call and then a "continue" to itself, so a
 * pooled worker is never held for a whole quota (as a tokio task yields at
 * each await). The consumer checks every message (per-producer FIFO,
 * payload) and sums the payloads; the timed region ends when it has handled
 * the last one (it counts the latch down). After the run the sums are
 * checked against the producers' own. Items: messages. */
#include "savina/savina.h"

#define FA_CHUNK 256 /* messages per producer turn before it yields */

enum { FA_GO = 1, FA_MORE, FA_DATA };

typedef struct fa_producer {
	_Alignas(MBX_CACHELINE) struct fa_ctx *x;
	uint32_t idx;
	uint64_t next, quota, sum; /* this run's next seq and quota; payload sum */
} fa_producer;

typedef struct fa_consumer {
	_Alignas(MBX_CACHELINE) struct fa_ctx *x;
	uint64_t *next; /* next expected seq per producer */
	uint64_t got, want, sum;
} fa_consumer;

typedef struct fa_ctx {
	sv_base b; /* ref[0] the consumer, ref[1..P] the producers */
	fa_consumer cons;
	fa_producer *prod;
} fa_ctx;

static act_result fa_producer_handle(void *st, const mbx_msg *m, act_ctx *ctx)
{
	fa_producer *s = st;
	fa_ctx *x = s->x;
	if (m->tag != FA_GO && m->tag != FA_MORE) {
		sv_bad_tag(&x->b, "producer", m);
		return ACT_CONTINUE;
	}
	for (unsigned k = 0; k < FA_CHUNK && s->next < s->quota; k++, s->next++) {
		mbx_msg d = {.tag = FA_DATA, .sender = s->idx, .seq = s->next, .a = bn_mix(s->idx, s->next)};
		if (!sv_send(&x->b, x->b.ref[0], &d, "producer"))
			return ACT_CONTINUE;
		s->sum += d.a;
	}
	if (s->next < s->quota && !bn_failed(x->b.r)) {
		mbx_msg more = {.tag = FA_MORE};
		sv_send(&x->b, act_self(ctx), &more, "producer: continue");
	}
	return ACT_CONTINUE;
}

static act_result fa_consumer_handle(void *st, const mbx_msg *m, act_ctx *ctx)
{
	(void)ctx;
	fa_consumer *s = st;
	fa_ctx *x = s->x;
	uint32_t p = x->b.r->c->fanin_actors.producers;
	if (m->tag != FA_DATA || m->sender >= p || m->seq != s->next[m->sender] || m->a != bn_mix(m->sender, m->seq)) {
		sv_fail(&x->b, "consumer: message %" PRIu64 ": tag %u sender %u seq %" PRIu64 " (expected %" PRIu64 "), payload %s",
		        s->got, (unsigned)m->tag, (unsigned)m->sender, m->seq, m->sender < p ? s->next[m->sender] : 0,
		        m->sender < p && m->a == bn_mix(m->sender, m->seq) ? "ok" : "wrong");
		return ACT_CONTINUE;
	}
	s->next[m->sender]++;
	s->sum += m->a;
	if (++s->got == s->want)
		bn_latch_count_down(&x->b.done); /* the last message: the timed region ends */
	return ACT_CONTINUE;
}

static const act_behavior fa_producer_b = {.name = "fanin-producer", .handle = fa_producer_handle};
static const act_behavior fa_consumer_b = {.name = "fanin-consumer", .handle = fa_consumer_handle};

static void fa_setup(bn_run *r)
{
	fa_ctx *x = r->ctx;
	uint32_t p = r->c->fanin_actors.producers;
	if (!sv_init(&x->b, r, p + 1))
		return;
	x->cons = (fa_consumer){.x = x, .want = (uint64_t)r->n, .next = calloc(p, sizeof(uint64_t))};
	x->prod = sv_states(r, p, sizeof *x->prod);
	if (!x->cons.next || !x->prod) {
		bn_fail(r, "out of memory for %u producers", (unsigned)p);
		return;
	}
	if (!sv_spawn(&x->b, &fa_consumer_b, &x->cons, r->c->fanin_actors.cap))
		return;
	for (uint32_t i = 0; i < p; i++) {
		x->prod[i] = (fa_producer){.x = x, .idx = i, .quota = (uint64_t)bn_crew_quota(r->n, p, i)};
		if (!sv_spawn(&x->b, &fa_producer_b, &x->prod[i], 0))
			return;
	}
}

static void fa_body(bn_run *r)
{
	fa_ctx *x = r->ctx;
	uint32_t p = r->c->fanin_actors.producers;
	sv_arm(&x->b, r->n > 0 ? 1 : 0);
	for (uint32_t i = 0; i < p; i++) {
		mbx_msg go = {.tag = FA_GO};
		if (!sv_send(&x->b, x->b.ref[1 + i], &go, "go"))
			break;
	}
	if (sv_wait(&x->b))
		x->b.iters++;
}

/* After the join: every producer's quota arrived in order and the sums agree. */
static void fa_check(bn_run *r, fa_ctx *x)
{
	uint32_t p = r->c->fanin_actors.producers;
	uint64_t want = 0;
	for (uint32_t i = 0; i < p; i++) {
		if (x->cons.next[i] != x->prod[i].quota || x->prod[i].next != x->prod[i].quota) {
			bn_fail(r, "producer %u: sent %" PRIu64 ", received %" PRIu64 " of %" PRIu64, (unsigned)i, x->prod[i].next,
			        x->cons.next[i], x->prod[i].quota);
			return;
		}
		want += x->prod[i].sum;
	}
	if (x->cons.sum != want)
		bn_fail(r, "payload sum %" PRIu64 " != sent %" PRIu64, x->cons.sum, want);
	else if (x->cons.got != (uint64_t)r->n)
		bn_fail(r, "consumer handled %" PRIu64 " of %" PRId64 " messages", x->cons.got, r->n);
}

static void fa_finish(bn_run *r)
{
	fa_ctx *x = r->ctx;
	if (x->b.r) {
		sv_stop_join(&x->b);
		if (!bn_failed(r) && x->b.iters)
			fa_check(r, x);
		sv_free(&x->b);
	}
	free(x->cons.next);
	free(x->prod);
}

const bn_scenario bn_sc_fanin_actors = {
	.name = "fanin_actors",
	.ctx_size = sizeof(fa_ctx),
	.setup = fa_setup,
	.body = fa_body,
	.finish = fa_finish,
	.cancel = sv_cancel,
};
