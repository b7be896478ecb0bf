/* savina/pingpong.c: savina_pingpong/<mbx>/mode:<m>/n:<N>: two actors bounce one message N
 * times per run. Items: round trips. Each side checks the sequence and the
 * payload (pong answers ~a). */
#include "savina.h"

enum { PP_START = 1, PP_PING, PP_PONG };
typedef struct pp_state {
	_Alignas(MBX_CACHELINE) struct pp_ctx *x;
	uint64_t sent, target; /* ping: pings sent, where this run ends */
	uint64_t got;          /* pong: pings received */
} pp_state;
typedef struct pp_ctx {
	sv_base b; /* ref[0] ping, ref[1] pong */
	pp_state ping, pong;
} pp_ctx;

static act_result pp_ping_handle(void *st, const mbx_msg *m, act_ctx *ctx)
{
	(void)ctx;
	pp_state *s = st;
	pp_ctx *x = s->x;
	if (m->tag == PP_START) {
		s->target = s->sent + m->a;
	} else if (m->tag == PP_PONG) {
		uint64_t want = s->sent - 1;
		if (m->seq != want || m->a != ~bn_mix(0, want)) {
			sv_fail(&x->b, "ping: pong for %" PRIu64 " (payload %s), expected %" PRIu64, m->seq,
			        m->a == ~bn_mix(0, m->seq) ? "ok" : "wrong", want);
			return ACT_CONTINUE;
		}
		if (s->sent == s->target) {
			bn_latch_count_down(&x->b.done);
			return ACT_CONTINUE;
		}
	} else {
		sv_bad_tag(&x->b, "ping", m);
		return ACT_CONTINUE;
	}
	mbx_msg p = {.tag = PP_PING, .seq = s->sent, .a = bn_mix(0, s->sent)};
	s->sent++;
	sv_send(&x->b, x->b.ref[1], &p, "ping");
	return ACT_CONTINUE;
}

static act_result pp_pong_handle(void *st, const mbx_msg *m, act_ctx *ctx)
{
	(void)ctx;
	pp_state *s = st;
	pp_ctx *x = s->x;
	if (m->tag != PP_PING) {
		sv_bad_tag(&x->b, "pong", m);
		return ACT_CONTINUE;
	}
	if (m->seq != s->got || m->a != bn_mix(0, m->seq)) {
		sv_fail(&x->b, "pong: ping %" PRIu64 " (payload %s), expected %" PRIu64, m->seq,
		        m->a == bn_mix(0, m->seq) ? "ok" : "wrong", s->got);
		return ACT_CONTINUE;
	}
	s->got++;
	mbx_msg p = {.tag = PP_PONG, .seq = m->seq, .a = ~m->a};
	sv_send(&x->b, x->b.ref[0], &p, "pong");
	return ACT_CONTINUE;
}

static const act_behavior pp_ping_b = {.name = "savina-ping", .handle = pp_ping_handle};
static const act_behavior pp_pong_b = {.name = "savina-pong", .handle = pp_pong_handle};

static void pp_setup(bn_run *r)
{
	pp_ctx *x = r->ctx;
	r->items = r->n * (int64_t)r->c->savina.size;
	r->ns_per = "round_trip";
	x->ping.x = x->pong.x = x;
	if (sv_init(&x->b, r, 2) && sv_spawn(&x->b, &pp_ping_b, &x->ping, 0))
		sv_spawn(&x->b, &pp_pong_b, &x->pong, 0);
}

static void pp_body(bn_run *r)
{
	pp_ctx *x = r->ctx;
	mbx_msg start = {.tag = PP_START, .a = r->c->savina.size};
	for (int64_t i = 0; i < r->n && sv_run(&x->b, x->b.ref[0], &start, 1); i++)
		x->b.iters++;
}

static void pp_finish(bn_run *r)
{
	pp_ctx *x = r->ctx;
	sv_stop_join(&x->b);
	uint64_t n = r->c->savina.size, it = x->b.iters;
	if (!bn_failed(r) && x->b.nref == 2 && sv_check_handled(&x->b, 0, it * (n + 1), "ping") &&
	    sv_check_handled(&x->b, 1, it * n, "pong") && x->pong.got != it * n)
		bn_fail(r, "pong received %" PRIu64 " pings, expected %" PRIu64, x->pong.got, it * n);
	sv_free(&x->b);
}

const bn_scenario bn_sc_sav_pingpong = {
	.name = "savina_pingpong",
	.ctx_size = sizeof(pp_ctx),
	.setup = pp_setup,
	.body = pp_body,
	.finish = pp_finish,
	.cancel = sv_cancel,
};
