/* savina/threadring.c: savina_threadring/<mbx>/mode:<m>/actors:<R>/hops:<H>: a ring of R
 * actors; the token (a = hops left, seq = hops done, b = H) starts at
 * actor 0 and each actor forwards it with one hop less to its successor.
 * Each actor checks that the token is its own (seq % R == its index) and
 * consistent (seq + a == b); the run ends at actor H % R. Items: hops.
 * Mailboxes at the smallest capacity: the ring holds one token, and 1000
 * default-size rings (64 KB each) would make every hop a cache miss. */
#include "savina.h"

enum { TR_TOKEN = 1 };
typedef struct tr_state {
	_Alignas(MBX_CACHELINE) struct tr_ctx *x;
	uint32_t idx;
} tr_state;
typedef struct tr_ctx {
	sv_base b;
	tr_state *st;
	uint32_t end; /* the index of the actor where the run ended */
} tr_ctx;

static act_result tr_handle(void *st, const mbx_msg *m, act_ctx *ctx)
{
	(void)ctx;
	tr_state *s = st;
	tr_ctx *x = s->x;
	uint32_t ring = x->b.nref;
	if (m->tag != TR_TOKEN || m->seq + m->a != m->b || m->seq % ring != s->idx) {
		sv_fail(&x->b, "ring actor %u: token tag %u, hop %" PRIu64 " + %" PRIu64 " left != %" PRIu64
		               " (or not this actor's hop)",
		        (unsigned)s->idx, (unsigned)m->tag, m->seq, m->a, m->b);
		return ACT_CONTINUE;
	}
	if (m->a == 0) {
		x->end = s->idx;
		bn_latch_count_down(&x->b.done);
		return ACT_CONTINUE;
	}
	mbx_msg t = {.tag = TR_TOKEN, .seq = m->seq + 1, .a = m->a - 1, .b = m->b};
	sv_send(&x->b, x->b.ref[s->idx + 1 == ring ? 0 : s->idx + 1], &t, "token");
	return ACT_CONTINUE;
}

static const act_behavior tr_b = {.name = "savina-ring", .handle = tr_handle};

static void tr_setup(bn_run *r)
{
	tr_ctx *x = r->ctx;
	uint32_t n = r->c->savina.actors;
	r->items = r->n * (int64_t)r->c->savina.size;
	r->ns_per = "hop";
	if (!sv_init(&x->b, r, n) || !(x->st = sv_states(r, n, sizeof *x->st)))
		return;
	for (uint32_t i = 0; i < n; i++) {
		x->st[i] = (tr_state){.x = x, .idx = i};
		if (!sv_spawn(&x->b, &tr_b, &x->st[i], sv_small_cap(r->c->mbx))) /* one token: a mailbox holds at most one message */
			return;
	}
}

static void tr_body(bn_run *r)
{
	tr_ctx *x = r->ctx;
	uint64_t h = r->c->savina.size;
	mbx_msg start = {.tag = TR_TOKEN, .seq = 0, .a = h, .b = h};
	for (int64_t i = 0; i < r->n && sv_run(&x->b, x->b.ref[0], &start, 1); i++) {
		if (x->end != h % x->b.nref) {
			bn_fail(r, "the token of %" PRIu64 " hops ended at actor %u, expected %u", h, (unsigned)x->end,
			        (unsigned)(h % x->b.nref));
			return;
		}
		x->b.iters++;
	}
}

static void tr_finish(bn_run *r)
{
	tr_ctx *x = r->ctx;
	sv_stop_join(&x->b);
	if (!bn_failed(r) && x->b.nref == r->c->savina.actors) {
		uint64_t sum = sv_handled_total(&x->b), want = x->b.iters * (r->c->savina.size + 1);
		if (sum != want)
			bn_fail(r, "the ring handled %" PRIu64 " tokens in all, expected %" PRIu64, sum, want);
	}
	sv_free(&x->b);
	free(x->st);
}

const bn_scenario bn_sc_sav_threadring = {
	.name = "savina_threadring",
	.ctx_size = sizeof(tr_ctx),
	.setup = tr_setup,
	.body = tr_body,
	.finish = tr_finish,
	.cancel = sv_cancel,
};
