/* savina/forkjoin_throughput.c: savina_forkjoin_throughput/<mbx>/mode:<m>/actors:<A>/n:<M>: the driver
 * sends M messages to each of A actors, round robin (Savina's order); each
 * handler does a little arithmetic (Savina's sin^2 > 0) and counts; an
 * actor counts down when it has its M. After each run every actor's count
 * is checked. Items: messages. */
#include <math.h>

#include "savina.h"

enum { FJ_WORK = 1 };
typedef struct fj_state {
	_Alignas(MBX_CACHELINE) struct fj_ctx *x;
	uint64_t count, total; /* this run's, all runs' */
	double acc;
} fj_state;
typedef struct fj_ctx {
	sv_base b;
	fj_state *st;
} fj_ctx;

static act_result fj_handle(void *st, const mbx_msg *m, act_ctx *ctx)
{
	(void)ctx;
	fj_state *s = st;
	fj_ctx *x = s->x;
	if (m->tag != FJ_WORK || m->seq != s->count) { /* one sender: FIFO */
		sv_fail(&x->b, "fork-join actor %u: tag %u seq %" PRIu64 ", expected seq %" PRIu64,
		        (unsigned)(s - x->st), (unsigned)m->tag, m->seq, s->count);
		return ACT_CONTINUE;
	}
	double v = sin(37.2 + (double)(m->seq & 7)); /* Savina's performComputation(37.2) */
	if (!(v * v > 0)) {
		sv_fail(&x->b, "fork-join actor %u: sin^2 = %g", (unsigned)(s - x->st), v * v);
		return ACT_CONTINUE;
	}
	s->acc += v * v;
	s->total++;
	if (++s->count == x->b.r->c->savina.size) {
		s->count = 0;
		bn_latch_count_down(&x->b.done);
	}
	return ACT_CONTINUE;
}

static const act_behavior fj_b = {.name = "savina-forkjoin", .handle = fj_handle};

static void fj_setup(bn_run *r)
{
	fj_ctx *x = r->ctx;
	uint32_t a = r->c->savina.actors;
	r->items = r->n * (int64_t)a * (int64_t)r->c->savina.size;
	r->ns_per = "message";
	if (!sv_init(&x->b, r, a) || !(x->st = sv_states(r, a, sizeof *x->st)))
		return;
	for (uint32_t i = 0; i < a; i++) {
		x->st[i].x = x;
		if (!sv_spawn(&x->b, &fj_b, &x->st[i], 0))
			return;
	}
}

static void fj_body(bn_run *r)
{
	fj_ctx *x = r->ctx;
	uint32_t a = x->b.nref;
	uint64_t msgs = r->c->savina.size;
	for (int64_t i = 0; i < r->n; i++) {
		sv_arm(&x->b, a);
		for (uint64_t j = 0; j < msgs && !bn_failed(r); j++)
			for (uint32_t k = 0; k < a; k++) {
				mbx_msg w = {.tag = FJ_WORK, .seq = j};
				if (!sv_send(&x->b, x->b.ref[k], &w, "work"))
					return;
			}
		if (!sv_wait(&x->b))
			return;
		x->b.iters++;
		for (uint32_t k = 0; k < a; k++)
			if (x->st[k].total != x->b.iters * msgs) {
				bn_fail(r, "fork-join actor %u handled %" PRIu64 " messages, expected %" PRIu64, (unsigned)k,
				        x->st[k].total, x->b.iters * msgs);
				return;
			}
	}
}

static void fj_finish(bn_run *r)
{
	fj_ctx *x = r->ctx;
	sv_stop_join(&x->b);
	for (uint32_t k = 0; k < x->b.nref && !bn_failed(r); k++)
		sv_check_handled(&x->b, k, x->b.iters * r->c->savina.size, "fork-join actor");
	sv_free(&x->b);
	free(x->st);
}

const bn_scenario bn_sc_sav_fj_throughput = {
	.name = "savina_forkjoin_throughput",
	.ctx_size = sizeof(fj_ctx),
	.setup = fj_setup,
	.body = fj_body,
	.finish = fj_finish,
	.cancel = sv_cancel,
};
