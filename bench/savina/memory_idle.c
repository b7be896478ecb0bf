/* savina/memory_idle.c: memory_idle/<mbx>/mode:<m>/actors:<K>: what an idle actor costs. One
 * run: K bare mailboxes (mbx_create at the smallest capacity, each touched
 * by one push and pop), then K actors over the same kind and capacity, each
 * touched by one handled message (the driver waits for all K), all alive
 * at once. Resident growth per mailbox: mailbox_bytes; per actor, with its
 * mailbox (and in thread mode its thread's stack): bytes_per_actor; their
 * difference, the runtime's own cost of an idle actor: actor_overhead_bytes
 * (means over runs). The manual time is the K spawns + messages. Items:
 * actors. */
#include "savina.h"

typedef struct mi_state {
	struct mi_ctx *x;
	uint32_t got;
} mi_state;
typedef struct mi_ctx {
	sv_base b;
	mi_state *st;
	mbx **box;
	double box_sum, actor_sum;
} mi_ctx;

static act_result mi_handle(void *st, const mbx_msg *m, act_ctx *ctx)
{
	(void)ctx;
	(void)m;
	mi_state *s = st;
	s->got++;
	bn_latch_count_down(&s->x->b.done);
	return ACT_CONTINUE;
}

static const act_behavior mi_b = {.name = "idle", .handle = mi_handle};

static void mi_setup(bn_run *r)
{
	mi_ctx *x = r->ctx;
	uint32_t k = r->c->savina.actors;
	r->items = r->n * (int64_t)k;
	r->ns_per = "actor";
	if (!sv_init(&x->b, r, k) || !(x->st = sv_states(r, k, sizeof *x->st)))
		return;
	if (!(x->box = calloc(k, sizeof *x->box)))
		bn_fail(r, "out of memory");
	else
		memset(x->b.ref, 0, k * sizeof *x->b.ref); /* touched now, as the states */
}

static void mi_destroy_boxes(mi_ctx *x, uint32_t k)
{
	for (uint32_t i = 0; i < k; i++)
		if (x->box[i])
			mbx_destroy(x->box[i]);
	memset(x->box, 0, k * sizeof *x->box);
}

static bool mi_run(bn_run *r, mi_ctx *x)
{
	uint32_t k = r->c->savina.actors, cap = sv_small_cap(r->c->mbx);
	int64_t rss0, rss1 = 0, rss2 = 0;
	bn_exclude_begin(r);
	bool ok = sv_rss_baseline(r, &rss0);
	for (uint32_t i = 0; ok && i < k; i++) {
		mbx_msg m = {.tag = 1, .seq = i}, out;
		ok = (x->box[i] = bn_mbx_create(r, r->c->mbx, cap, -1)) != NULL;
		mbx_status s1 = ok ? mbx_push(x->box[i], &m, NULL) : MBX_OK;
		mbx_status s2 = ok ? mbx_try_pop(x->box[i], &out) : MBX_OK;
		if (ok && (s1 != MBX_OK || s2 != MBX_OK || out.seq != i)) {
			bn_fail(r, "bare mailbox %u: push %s, pop %s", (unsigned)i, mbx_status_name(s1),
			        mbx_status_name(s2));
			ok = false;
		}
	}
	ok = ok && sv_rss_bytes(r, &rss1);
	for (uint32_t i = 0; i < k; i++)
		x->st[i] = (mi_state){.x = x};
	sv_arm(&x->b, k);
	bn_exclude_end(r);
	int64_t t0 = mbx_now_ns();
	for (uint32_t i = 0; ok && i < k; i++)
		ok = sv_spawn(&x->b, &mi_b, &x->st[i], cap) &&
		     sv_send(&x->b, x->b.ref[i], &(mbx_msg){.tag = 1, .seq = i}, "touch");
	ok = ok && sv_wait(&x->b);
	r->manual_ns += mbx_now_ns() - t0;
	bn_exclude_begin(r);
	ok = ok && sv_rss_bytes(r, &rss2);
	sv_stop_join(&x->b);
	for (uint32_t i = 0; ok && i < k; i++)
		if (x->st[i].got != 1 || !sv_check_handled(&x->b, i, 1, "idle actor")) {
			if (!bn_failed(r))
				bn_fail(r, "idle actor %u saw %u messages, expected 1", (unsigned)i, (unsigned)x->st[i].got);
			ok = false;
		}
	sv_release(&x->b);
	mi_destroy_boxes(x, k);
	bn_exclude_end(r);
	if (ok) {
		x->box_sum += (double)(rss1 - rss0) / k;
		x->actor_sum += (double)(rss2 - rss1) / k;
	}
	return ok;
}

static void mi_body(bn_run *r)
{
	mi_ctx *x = r->ctx;
	for (int64_t i = 0; i < r->n && mi_run(r, x); i++)
		x->b.iters++;
	if (x->b.iters) {
		double it = (double)x->b.iters;
		bn_set_counter(r, "bytes_per_actor", x->actor_sum / it);
		bn_set_counter(r, "mailbox_bytes", x->box_sum / it);
		bn_set_counter(r, "actor_overhead_bytes", (x->actor_sum - x->box_sum) / it);
	}
}

static void mi_finish(bn_run *r)
{
	mi_ctx *x = r->ctx;
	sv_stop_join(&x->b); /* a run leaves none; only a failed setup could */
	sv_free(&x->b);
	if (x->box)
		mi_destroy_boxes(x, r->c->savina.actors);
	free(x->box);
	free(x->st);
}

const bn_scenario bn_sc_memory_idle = {
	.name = "memory_idle",
	.ctx_size = sizeof(mi_ctx),
	.manual_time = true,
	.setup = mi_setup,
	.body = mi_body,
	.finish = mi_finish,
	.cancel = sv_cancel,
};
