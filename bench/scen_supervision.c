/* scen_supervision.c: what supervision costs, per mailbox kind and mode.
 *   supervision/<mbx>/mode:<m>/restart: time from a child's crash to the
 *     restarted child handling the next message (manual time; percentiles).
 *   supervision/<mbx>/mode:<m>/crash_every:<k>: throughput of a stream of
 *     messages to a supervised child that crashes on every k-th one.
 * One-for-one, one child. mode:thread gives supervisor and child a thread
 * each; mode:pool runs both on the run's pool (the verdict travels as a
 * message, supervisor.h). Both check exact counts (restarts, handled, dead
 * letters) after the run. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "actor.h"
#include "bench.h"
#include "supervisor.h"

enum { T_WORK = 1, T_CRASH, T_PING };

typedef struct sv_ctx {
	act_sup *sup;
	act_ref child;
	_Atomic uint64_t handled;   /* T_WORK messages handled, across incarnations */
	_Atomic uint64_t restarts;  /* RESTARTED events */
	_Atomic uint64_t dead;      /* crashing messages reported to the dead-letter hook */
	_Atomic int64_t last_crash; /* t_ns of the latest CRASHED event */
	uint64_t crashes;           /* crashes the body caused */
} sv_ctx;

static void *sv_init(void *arg) { return arg; } /* the state is the shared context */

static act_result sv_handle(void *st, const mbx_msg *m, act_ctx *ctx)
{
	(void)ctx;
	sv_ctx *x = st;
	switch (m->tag) {
	case T_WORK:
		if (m->b && m->seq % m->b == m->b - 1)
			return ACT_CRASH; /* every k-th message of the stream */
		/* relaxed: a statistic read after the stream is drained (the final ask orders it) */
		atomic_fetch_add_explicit(&x->handled, 1, memory_order_relaxed);
		return ACT_CONTINUE;
	case T_CRASH:
		return ACT_CRASH;
	case T_PING:
		act_reply(m, (uint64_t)mbx_now_ns(), 0);
		return ACT_CONTINUE;
	}
	return ACT_CRASH;
}

static const act_behavior sv_behavior = {.name = "sv_child", .handle = sv_handle};

static void sv_observe(void *p, const act_sup_event *ev)
{
	sv_ctx *x = p;
	if (ev->kind == ACT_SUP_CRASHED)
		atomic_store(&x->last_crash, ev->t_ns);
	else if (ev->kind == ACT_SUP_RESTARTED)
		atomic_fetch_add(&x->restarts, 1);
}

static void sv_dead(void *p, const act_sup_event *crash, const mbx_msg *msg)
{
	(void)crash;
	(void)msg;
	atomic_fetch_add(&((sv_ctx *)p)->dead, 1);
}

static void sv_setup(bn_run *r)
{
	sv_ctx *x = r->ctx;
	r->threads = r->pool ? 1 : 3; /* the client; thread per actor: child and supervisor too */
	act_child_spec child = {.name = "child", .behavior = &sv_behavior, .init = sv_init, .arg = x,
	                        .options = {.mailbox = r->c->mbx, .capacity = 0, .spin = -1, .pool = r->pool}};
	act_sup_spec spec = {.name = "bench", .strategy = ACT_SUP_ONE_FOR_ONE, .children = &child,
	                     .nchildren = 1, .max_restarts = 1000, .period_ns = 1000, /* never reached: <= 1000 restarts per us */
	                     .observer = sv_observe, .dead_letter = sv_dead, .hook_ctx = x,
	                     .options = {.mailbox = r->c->mbx, .capacity = 0, .spin = -1, .pool = r->pool}};
	x->sup = act_sup_start(&spec);
	if (!x->sup) {
		bn_fail(r, "act_sup_start: %s", strerror(errno));
		return;
	}
	x->child = act_sup_child(x->sup, 0);
}

static bool sv_ping(bn_run *r, sv_ctx *x, int64_t *handled_at)
{
	mbx_msg ping = {.tag = T_PING}, rep;
	int e = act_ask(x->child, &ping, &rep, 30 * INT64_C(1000000000));
	if (e != ACT_OK) {
		bn_fail(r, "ping: %s", act_strerror(e));
		return false;
	}
	*handled_at = (int64_t)rep.a;
	return true;
}

/* restart: crash, then the next message; its handling time minus the crash. */
static void restart_body(bn_run *r)
{
	sv_ctx *x = r->ctx;
	if (!x->sup)
		return;
	for (int64_t i = 0; i < r->n && !bn_failed(r); i++) {
		mbx_msg crash = {.tag = T_CRASH};
		int64_t at;
		if (act_send(x->child, &crash) != ACT_OK) {
			bn_fail(r, "send crash %" PRId64 ": child stopped", i);
			return;
		}
		x->crashes++;
		if (!sv_ping(r, x, &at))
			return;
		int64_t lat = at - atomic_load(&x->last_crash);
		if (lat <= 0) {
			bn_fail(r, "restart %" PRId64 ": next message handled %" PRId64 " ns after its crash", i, lat);
			return;
		}
		bn_hist_record(r->hist, (uint64_t)lat);
		r->manual_ns += lat;
	}
}

/* crash_every:k: a stream of n messages, every k-th crashes the child. */
static void stream_body(bn_run *r)
{
	sv_ctx *x = r->ctx;
	if (!x->sup)
		return;
	uint64_t k = r->c->supervision.crash_every;
	for (int64_t i = 0; i < r->n && !bn_failed(r); i++) {
		mbx_msg m = {.tag = T_WORK, .seq = (uint64_t)i, .b = k};
		if (act_send(x->child, &m) != ACT_OK) {
			bn_fail(r, "send %" PRId64 ": child stopped", i);
			return;
		}
	}
	x->crashes = (uint64_t)r->n / k;
	int64_t at;
	sv_ping(r, x, &at); /* everything before it is handled (per-sender FIFO) */
}

static void sv_finish(bn_run *r)
{
	sv_ctx *x = r->ctx;
	if (!x->sup)
		return;
	if (!bn_failed(r)) {
		/* the RESTARTED event may trail the restarted child's first message */
		for (int spin = 0; atomic_load(&x->restarts) < x->crashes && spin < 5000; spin++)
			usleep(1000);
		uint64_t restarts = atomic_load(&x->restarts), dead = atomic_load(&x->dead);
		uint64_t handled = atomic_load_explicit(&x->handled, memory_order_relaxed); /* after the ping */
		uint64_t want_handled = r->c->supervision.crash_every ? (uint64_t)r->n - x->crashes : 0;
		if (restarts != x->crashes || dead != x->crashes || handled != want_handled)
			bn_fail(r, "crashes %" PRIu64 ": restarts %" PRIu64 ", dead letters %" PRIu64
			        ", handled %" PRIu64 " (want %" PRIu64 ")",
			        x->crashes, restarts, dead, handled, want_handled);
	}
	act_sup_stop(x->sup);
}

const bn_scenario bn_sc_sv_restart = {
	.name = "supervision",
	.ctx_size = sizeof(sv_ctx),
	.manual_time = true,
	.setup = sv_setup,
	.body = restart_body,
	.finish = sv_finish,
};

const bn_scenario bn_sc_sv_stream = {
	.name = "supervision",
	.ctx_size = sizeof(sv_ctx),
	.setup = sv_setup,
	.body = stream_body,
	.finish = sv_finish,
};
