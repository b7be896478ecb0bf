/* savina/counting.c: savina_counting/<mbx>/mode:<m>/n:<N>: a producer actor sends N
 * increments (seq 0..N-1) to a counter actor, then asks for the count with
 * a message; the counter answers with one and resets; the producer checks
 * count == N. Items: increments. */
#include "savina.h"

enum { CT_START = 1, CT_INC, CT_GET, CT_RESULT };
typedef struct ct_state {
	_Alignas(MBX_CACHELINE) struct ct_ctx *x;
	uint64_t count, total; /* counter: this run's count, all runs' */
} ct_state;
typedef struct ct_ctx {
	sv_base b; /* ref[0] producer, ref[1] counter */
	ct_state producer, counter;
} ct_ctx;

static act_result ct_producer_handle(void *st, const mbx_msg *m, act_ctx *ctx)
{
	(void)ctx;
	ct_state *s = st;
	ct_ctx *x = s->x;
	uint64_t n = x->b.r->c->savina.size;
	if (m->tag == CT_START) {
		for (uint64_t i = 0; i < n; i++) {
			mbx_msg inc = {.tag = CT_INC, .seq = i};
			if (!sv_send(&x->b, x->b.ref[1], &inc, "increment"))
				return ACT_CONTINUE;
		}
		mbx_msg get = {.tag = CT_GET};
		sv_send(&x->b, x->b.ref[1], &get, "get");
	} else if (m->tag == CT_RESULT) {
		if (m->a != n)
			sv_fail(&x->b, "counter answered %" PRIu64 " after %" PRIu64 " increments", m->a, n);
		else
			bn_latch_count_down(&x->b.done);
	} else {
		sv_bad_tag(&x->b, "producer", m);
	}
	return ACT_CONTINUE;
}

static act_result ct_counter_handle(void *st, const mbx_msg *m, act_ctx *ctx)
{
	(void)ctx;
	ct_state *s = st;
	ct_ctx *x = s->x;
	if (m->tag == CT_INC) {
		if (m->seq != s->count) /* one producer: its FIFO order */
			sv_fail(&x->b, "counter: increment %" PRIu64 ", expected %" PRIu64, m->seq, s->count);
		s->count++;
		s->total++;
	} else if (m->tag == CT_GET) {
		mbx_msg res = {.tag = CT_RESULT, .a = s->count};
		s->count = 0;
		sv_send(&x->b, x->b.ref[0], &res, "result");
	} else {
		sv_bad_tag(&x->b, "counter", m);
	}
	return ACT_CONTINUE;
}

static const act_behavior ct_producer_b = {.name = "savina-producer", .handle = ct_producer_handle};
static const act_behavior ct_counter_b = {.name = "savina-counter", .handle = ct_counter_handle};

static void ct_setup(bn_run *r)
{
	ct_ctx *x = r->ctx;
	r->items = r->n * (int64_t)r->c->savina.size;
	r->ns_per = "message";
	x->producer.x = x->counter.x = x;
	if (sv_init(&x->b, r, 2) && sv_spawn(&x->b, &ct_producer_b, &x->producer, 0))
		sv_spawn(&x->b, &ct_counter_b, &x->counter, 0);
}

static void ct_body(bn_run *r)
{
	ct_ctx *x = r->ctx;
	mbx_msg start = {.tag = CT_START};
	for (int64_t i = 0; i < r->n && sv_run(&x->b, x->b.ref[0], &start, 1); i++)
		x->b.iters++;
}

static void ct_finish(bn_run *r)
{
	ct_ctx *x = r->ctx;
	sv_stop_join(&x->b);
	uint64_t n = r->c->savina.size, it = x->b.iters;
	if (!bn_failed(r) && x->b.nref == 2 && sv_check_handled(&x->b, 0, it * 2, "producer") &&
	    sv_check_handled(&x->b, 1, it * (n + 1), "counter") && x->counter.total != it * n)
		bn_fail(r, "counter counted %" PRIu64 " in all, expected %" PRIu64, x->counter.total, it * n);
	sv_free(&x->b);
}

const bn_scenario bn_sc_sav_counting = {
	.name = "savina_counting",
	.ctx_size = sizeof(ct_ctx),
	.setup = ct_setup,
	.body = ct_body,
	.finish = ct_finish,
	.cancel = sv_cancel,
};
