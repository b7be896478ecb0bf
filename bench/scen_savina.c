/* scen_savina.c: the Savina actor micro-benchmarks (Imam & Sarkar, "Savina -
 * An Actor Benchmark Suite", AGERE 2014) and the idle-actor footprint, over
 * the actor API only, so one definition runs in both modes (thread per
 * actor, or tasks on the case's pool) over every mailbox kind. Setup spawns
 * the actors; one iteration of body is one Savina run of the case's size,
 * started by a message from the main thread (the driver), which then waits
 * on a latch that the run's last handler counts down. Every run checks its
 * own result; a handler that sees something wrong fails the case and opens
 * the latch, so the driver never waits for a run that cannot end. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "actor.h"
#include "bench.h"

#define SV_SEED UINT64_C(0x736176696e61) /* big's random targets; printed in its label */

/* ---- shared by the scenarios: every context starts with an sv_base ---- */
typedef struct sv_base {
	bn_run *r;
	bn_latch done; /* body waits here for the end of a run */
	bool latch_inited;
	act_ref *ref;  /* the actors, in spawn order */
	uint32_t nref, cap;
	uint64_t iters; /* runs completed and checked */
} sv_base;

/* Fails the case from any thread and lets the driver go. */
static void sv_fail(sv_base *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sv_fail(sv_base *b, const char *fmt, ...)
{
	char msg[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	bn_fail(b->r, "%s", msg);
	if (b->latch_inited) {
		pthread_mutex_lock(&b->done.mu);
		b->done.count = 0;
		pthread_cond_broadcast(&b->done.cv);
		pthread_mutex_unlock(&b->done.mu);
	}
}

/* The watchdog's cancel (it has failed the case): the driver stops waiting. */
static void sv_cancel(bn_run *r)
{
	sv_base *b = r->ctx;
	if (b->r)
		sv_fail(b, "cancelled by the watchdog");
}

static bool sv_init(sv_base *b, bn_run *r, uint32_t actors)
{
	b->r = r;
	bn_latch_init(&b->done, 0);
	b->latch_inited = true;
	b->cap = actors;
	b->ref = calloc(actors ? actors : 1, sizeof *b->ref);
	if (!b->ref) {
		bn_fail(r, "out of memory for %u actor handles", (unsigned)actors);
		return false;
	}
	r->threads = 1 + (r->pool ? 0 : actors); /* the driver, and a thread per actor */
	return true;
}

/* Arms the latch for a run that ends after n count-downs. Under the lock:
 * a failure (sv_fail) that came first leaves it open, so wait returns. */
static void sv_arm(sv_base *b, int64_t n)
{
	pthread_mutex_lock(&b->done.mu);
	b->done.count = bn_failed(b->r) ? 0 : n;
	pthread_mutex_unlock(&b->done.mu);
}

static bool sv_wait(sv_base *b)
{
	bn_latch_wait(&b->done);
	return !bn_failed(b->r);
}

static act_options sv_options(const bn_run *r, uint32_t cap)
{
	return (act_options){.mailbox = r->c->mbx, .capacity = cap, .spin = -1, .pool = r->pool};
}

/* The smallest legal capacity (2: bounded kinds need >= 2, a power of two
 * where MBX_CAP_POW2); unbounded-only kinds run at their default (0). */
static uint32_t sv_small_cap(const mbx_ops *o) { return (o->caps & MBX_CAP_BOUNDED) ? 2 : 0; }

static bool sv_spawn(sv_base *b, const act_behavior *beh, void *state, uint32_t cap)
{
	if (b->nref >= b->cap) {
		bn_fail(b->r, "spawn %u of %u: no handle slot", (unsigned)b->nref + 1, (unsigned)b->cap);
		return false;
	}
	act_options o = sv_options(b->r, cap);
	act_ref a = act_spawn(beh, state, &o);
	if (!a.a) {
		bn_fail(b->r, "act_spawn %u (%s over %s, %s): %s", (unsigned)b->nref, beh->name, b->r->c->mbx->name,
		        b->r->pool ? "pooled" : "thread", strerror(errno));
		return false;
	}
	b->ref[b->nref++] = a;
	return true;
}

/* Send from a handler or the driver; a failure fails the case. */
static bool sv_send(sv_base *b, act_ref to, const mbx_msg *m, const char *what)
{
	int e = act_send(to, m);
	if (e == ACT_OK)
		return true;
	sv_fail(b, "%s: act_send: %s", what, act_strerror(e));
	return false;
}

/* One run: arm for n count-downs, send the start message, wait. */
static bool sv_run(sv_base *b, act_ref to, const mbx_msg *start, int64_t n)
{
	sv_arm(b, n);
	if (!sv_send(b, to, start, "start"))
		return false;
	return sv_wait(b);
}

/* Stops and joins every actor (self-stopped ones answer EALREADY). */
static void sv_stop_join(sv_base *b)
{
	for (uint32_t i = 0; i < b->nref; i++)
		(void)act_stop(b->ref[i]); /* ACT_OK, or ACT_EALREADY: stopping anyway */
	for (uint32_t i = 0; i < b->nref; i++) {
		int e = act_join(b->ref[i]);
		if (e != ACT_OK)
			bn_fail(b->r, "act_join of actor %u: %s", (unsigned)i, act_strerror(e));
	}
}

/* After sv_stop_join: actor i handled exactly `want` messages. */
static bool sv_check_handled(sv_base *b, uint32_t i, uint64_t want, const char *who)
{
	uint64_t got = act_get_stats(b->ref[i]).handled;
	if (got == want)
		return true;
	bn_fail(b->r, "%s %u handled %" PRIu64 " messages, expected %" PRIu64, who, (unsigned)i, got, want);
	return false;
}

static void sv_release(sv_base *b)
{
	for (uint32_t i = 0; i < b->nref; i++)
		act_release(b->ref[i]);
	b->nref = 0;
}

static void sv_free(sv_base *b)
{
	sv_release(b);
	free(b->ref);
	b->ref = NULL;
	if (b->latch_inited)
		bn_latch_destroy(&b->done);
	b->latch_inited = false;
}

/* An array of actor states, cache-line aligned: the state types that actors
 * on different threads write align themselves to a line (no false sharing). */
static void *sv_states(bn_run *r, size_t n, size_t size)
{
	size_t bytes = (n ? n : 1) * size;
	void *p = aligned_alloc(MBX_CACHELINE, (bytes + MBX_CACHELINE - 1) / MBX_CACHELINE * MBX_CACHELINE);
	if (!p)
		bn_fail(r, "out of memory for %zu actor states", n);
	else
		memset(p, 0, bytes); /* touched now: not counted as growth by the memory scenarios */
	return p;
}

static void bad_tag(sv_base *b, const char *who, const mbx_msg *m)
{
	sv_fail(b, "%s: unexpected message tag %u", who, (unsigned)m->tag);
}

/* ======================================================================
 * savina_pingpong/<mbx>/mode:<m>/n:<N>: two actors bounce one message N
 * times per run. Items: round trips. Each side checks the sequence and the
 * payload (pong answers ~a).
 * ==================================================================== */
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
		bad_tag(&x->b, "ping", m);
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
		bad_tag(&x->b, "pong", m);
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

/* ======================================================================
 * savina_counting/<mbx>/mode:<m>/n:<N>: a producer actor sends N
 * increments (seq 0..N-1) to a counter actor, then asks for the count with
 * a message; the counter answers with one and resets; the producer checks
 * count == N. Items: increments.
 * ==================================================================== */
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
		bad_tag(&x->b, "producer", m);
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
		bad_tag(&x->b, "counter", m);
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

/* ======================================================================
 * savina_threadring/<mbx>/mode:<m>/actors:<R>/hops:<H>: a ring of R
 * actors; the token (a = hops left, seq = hops done, b = H) starts at
 * actor 0 and each actor forwards it with one hop less to its successor.
 * Each actor checks that the token is its own (seq % R == its index) and
 * consistent (seq + a == b); the run ends at actor H % R. Items: hops.
 * Mailboxes at the smallest capacity: the ring holds one token, and 1000
 * default-size rings (64 KB each) would make every hop a cache miss.
 * ==================================================================== */
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
		uint64_t sum = 0, want = x->b.iters * (r->c->savina.size + 1);
		for (uint32_t i = 0; i < x->b.nref; i++)
			sum += act_get_stats(x->b.ref[i]).handled;
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

/* ======================================================================
 * savina_forkjoin_throughput/<mbx>/mode:<m>/actors:<A>/n:<M>: the driver
 * sends M messages to each of A actors, round robin (Savina's order); each
 * handler does a little arithmetic (Savina's sin^2 > 0) and counts; an
 * actor counts down when it has its M. After each run every actor's count
 * is checked. Items: messages.
 * ==================================================================== */
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

/* ---- resident memory, for the creation and idle scenarios ----
 * The current resident set, from /proc/self/statm (its second field, in
 * pages): the difference between two reads is what a run made resident.
 * Not getrusage's ru_maxrss: that is the peak since the process started,
 * so once an earlier case has peaked higher it no longer moves. Before the
 * first read the allocator gives its free pages back (malloc_trim), so
 * memory that earlier runs freed, still resident, does not hide this run's
 * growth. Thread stacks that glibc caches for reuse are not given back:
 * in thread mode the growth after the first run undercounts the stacks. */
static bool rss_bytes(bn_run *r, int64_t *out)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long long size = 0, resident = 0;
	int got = f ? fscanf(f, "%lld %lld", &size, &resident) : 0;
	if (f)
		fclose(f);
	if (got != 2) {
		bn_fail(r, "cannot read the resident set from /proc/self/statm");
		return false;
	}
	*out = (int64_t)resident * (int64_t)sysconf(_SC_PAGESIZE);
	return true;
}

static bool rss_baseline(bn_run *r, int64_t *out)
{
#ifdef __GLIBC__
	malloc_trim(0);
#endif
	return rss_bytes(r, out);
}

/* ======================================================================
 * savina_forkjoin_creation/<mbx>/mode:<m>/actors:<N>: one run spawns N
 * actors (each with its mailbox at the smallest capacity: 10^5 of them must
 * fit), sending each one message as it goes; each checks it, does Savina's
 * bit of arithmetic and stops (ACT_STOP); then all are joined and
 * released. The time of spawn + send + join + release is the manual time
 * (the RSS reads and checks are left out). Items: actors. rss_growth_bytes:
 * resident growth from before the spawns to the most seen while the actors
 * exist (read after the spawns and after the joins), mean over runs.
 * ==================================================================== */
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
	bool ok = rss_baseline(r, &rss0);
	bn_exclude_end(r);
	int64_t t0 = mbx_now_ns();
	for (uint32_t i = 0; ok && i < n; i++) {
		mbx_msg go = {.tag = FC_GO, .a = i};
		ok = sv_spawn(&x->b, &fc_b, &x->st[i], cap) && sv_send(&x->b, x->b.ref[i], &go, "go");
	}
	int64_t t1 = mbx_now_ns();
	bn_exclude_begin(r);
	ok = ok && rss_bytes(r, &rss1);
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
	ok = ok && rss_bytes(r, &rss2);
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

/* ======================================================================
 * savina_chameneos/<mbx>/mode:<m>/actors:<C>/meetings:<M>: C chameneos
 * (colours 0..2) ask one mall actor for meetings. The mall keeps one
 * waiting chameneo; the next request pairs them (one meeting, M per run):
 * the waiting one gets the other's colour, takes the complement (same
 * colour: unchanged; else the third) and sends it back with its old colour,
 * and the other checks the complement rule against its own colour. Both
 * ask again. After M meetings the mall answers every request with exit;
 * each chameneo reports its meetings, and the mall checks their sum == 2M.
 * Items: meetings.
 * ==================================================================== */
enum { CH_START = 1, CH_MEET, CH_PAIR, CH_CHANGE, CH_EXIT, CH_COUNT };
#define CH_NONE UINT32_MAX
typedef struct ch_state {
	_Alignas(MBX_CACHELINE) struct ch_ctx *x;
	uint32_t idx, colour;
	uint64_t meetings;
} ch_state;
typedef struct ch_mall {
	_Alignas(MBX_CACHELINE) struct ch_ctx *x;
	uint64_t left, meetings, sum;
	uint32_t waiting, faded;
} ch_mall;
typedef struct ch_ctx {
	sv_base b; /* ref[0] the mall, ref[1 + i] chameneo i */
	ch_mall mall;
	ch_state *st;
} ch_ctx;

static uint32_t ch_complement(uint32_t a, uint32_t b) { return a == b ? a : 3 - a - b; }

static act_result ch_mall_handle(void *st, const mbx_msg *m, act_ctx *ctx)
{
	(void)ctx;
	ch_mall *s = st;
	ch_ctx *x = s->x;
	uint32_t n = x->b.nref - 1;
	switch (m->tag) {
	case CH_START:
		*s = (ch_mall){.x = x, .left = m->a, .waiting = CH_NONE};
		for (uint32_t i = 0; i < n; i++)
			if (!sv_send(&x->b, x->b.ref[1 + i], &(mbx_msg){.tag = CH_START}, "start chameneo"))
				break;
		break;
	case CH_MEET:
		if (m->sender >= n || m->a > 2 || m->sender == s->waiting) {
			sv_fail(&x->b, "mall: request from %u (colour %" PRIu64 "), waiting %u", (unsigned)m->sender, m->a,
			        (unsigned)s->waiting);
		} else if (s->left == 0) {
			sv_send(&x->b, x->b.ref[1 + m->sender], &(mbx_msg){.tag = CH_EXIT}, "exit");
		} else if (s->waiting == CH_NONE) {
			s->waiting = m->sender;
		} else {
			s->left--;
			s->meetings++;
			mbx_msg pair = {.tag = CH_PAIR, .sender = m->sender, .a = m->a};
			uint32_t w = s->waiting;
			s->waiting = CH_NONE;
			sv_send(&x->b, x->b.ref[1 + w], &pair, "pair");
		}
		break;
	case CH_COUNT:
		s->sum += m->a;
		if (++s->faded < n)
			break;
		if (s->sum != 2 * s->meetings || s->waiting != CH_NONE || s->left != 0)
			sv_fail(&x->b, "mall: chameneos report %" PRIu64 " meetings, expected 2 x %" PRIu64
			               " (%" PRIu64 " left, waiting %u)",
			        s->sum, s->meetings, s->left, (unsigned)s->waiting);
		else
			bn_latch_count_down(&x->b.done);
		break;
	default:
		bad_tag(&x->b, "mall", m);
	}
	return ACT_CONTINUE;
}

static act_result ch_handle(void *st, const mbx_msg *m, act_ctx *ctx)
{
	(void)ctx;
	ch_state *s = st;
	ch_ctx *x = s->x;
	switch (m->tag) {
	case CH_START:
		s->meetings = 0;
		break;
	case CH_PAIR: { /* we waited; m->sender arrived with colour m->a */
		uint32_t old = s->colour;
		s->colour = ch_complement(old, (uint32_t)m->a);
		s->meetings++;
		mbx_msg change = {.tag = CH_CHANGE, .sender = s->idx, .a = s->colour, .b = old};
		if (m->sender == s->idx || !sv_send(&x->b, x->b.ref[1 + m->sender], &change, "change")) {
			if (!bn_failed(x->b.r))
				sv_fail(&x->b, "chameneo %u paired with itself", (unsigned)s->idx);
			return ACT_CONTINUE;
		}
		break;
	}
	case CH_CHANGE: { /* the partner's new colour (a) from its old one (b) */
		uint32_t want = ch_complement(s->colour, (uint32_t)m->b);
		if (m->a != want || m->b > 2) {
			sv_fail(&x->b, "chameneo %u (colour %u) met %u's colour %" PRIu64 " and was given %" PRIu64
			               ", the complement is %u",
			        (unsigned)s->idx, (unsigned)s->colour, (unsigned)m->sender, m->b, m->a, (unsigned)want);
			return ACT_CONTINUE;
		}
		s->colour = want;
		s->meetings++;
		break;
	}
	case CH_EXIT: {
		mbx_msg count = {.tag = CH_COUNT, .sender = s->idx, .a = s->meetings};
		s->meetings = 0;
		sv_send(&x->b, x->b.ref[0], &count, "count");
		return ACT_CONTINUE;
	}
	default:
		bad_tag(&x->b, "chameneo", m);
		return ACT_CONTINUE;
	}
	mbx_msg meet = {.tag = CH_MEET, .sender = s->idx, .a = s->colour};
	sv_send(&x->b, x->b.ref[0], &meet, "meet");
	return ACT_CONTINUE;
}

static const act_behavior ch_mall_b = {.name = "savina-mall", .handle = ch_mall_handle};
static const act_behavior ch_b = {.name = "savina-chameneo", .handle = ch_handle};

static void ch_setup(bn_run *r)
{
	ch_ctx *x = r->ctx;
	uint32_t n = r->c->savina.actors;
	r->items = r->n * (int64_t)r->c->savina.size;
	r->ns_per = "meeting";
	x->mall.x = x;
	if (!sv_init(&x->b, r, n + 1) || !(x->st = sv_states(r, n, sizeof *x->st)) ||
	    !sv_spawn(&x->b, &ch_mall_b, &x->mall, 0))
		return;
	for (uint32_t i = 0; i < n; i++) {
		x->st[i] = (ch_state){.x = x, .idx = i, .colour = i % 3};
		if (!sv_spawn(&x->b, &ch_b, &x->st[i], 0))
			return;
	}
}

static void ch_body(bn_run *r)
{
	ch_ctx *x = r->ctx;
	mbx_msg start = {.tag = CH_START, .a = r->c->savina.size};
	for (int64_t i = 0; i < r->n && sv_run(&x->b, x->b.ref[0], &start, 1); i++) {
		if (x->mall.meetings != r->c->savina.size) {
			bn_fail(r, "the mall arranged %" PRIu64 " meetings, expected %u", x->mall.meetings,
			        (unsigned)r->c->savina.size);
			return;
		}
		x->b.iters++;
	}
}

static void ch_finish(bn_run *r)
{
	ch_ctx *x = r->ctx;
	sv_stop_join(&x->b);
	sv_free(&x->b);
	free(x->st);
}

const bn_scenario bn_sc_sav_chameneos = {
	.name = "savina_chameneos",
	.ctx_size = sizeof(ch_ctx),
	.setup = ch_setup,
	.body = ch_body,
	.finish = ch_finish,
	.cancel = sv_cancel,
};

/* ======================================================================
 * savina_big/<mbx>/mode:<m>/actors:<W>/pings:<P>: W actors; each sends P
 * pings, one at a time, to random other actors (a seeded stream per actor,
 * the same every run) and answers every ping it gets with a pong. An actor
 * counts down when its P-th pong is back, so at the end every ping has been
 * answered. Checks: each pong comes from the actor last pinged, and each
 * actor received exactly the pings its senders' streams aimed at it
 * (replayed in setup). Items: pings.
 * ==================================================================== */
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
		bad_tag(&x->b, "big actor", m);
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
		uint64_t sum = 0, w = x->b.nref, want = x->b.iters * (w + 2 * w * r->c->savina.size); /* starts, pings, pongs */
		for (uint32_t i = 0; i < x->b.nref; i++)
			sum += act_get_stats(x->b.ref[i]).handled;
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

/* ======================================================================
 * memory_idle/<mbx>/mode:<m>/actors:<K>: what an idle actor costs. One
 * run: K bare mailboxes (mbx_create at the smallest capacity, each touched
 * by one push and pop), then K actors over the same kind and capacity, each
 * touched by one handled message (the driver waits for all K), all alive
 * at once. Resident growth per mailbox: mailbox_bytes; per actor, with its
 * mailbox (and in thread mode its thread's stack): bytes_per_actor; their
 * difference, the runtime's own cost of an idle actor: actor_overhead_bytes
 * (means over runs). The manual time is the K spawns + messages. Items:
 * actors.
 * ==================================================================== */
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
	bool ok = rss_baseline(r, &rss0);
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
	ok = ok && rss_bytes(r, &rss1);
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
	ok = ok && rss_bytes(r, &rss2);
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
