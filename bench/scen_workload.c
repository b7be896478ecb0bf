/* scen_workload.c: bank, counter and kv over every backend of wl_backends[]
 * (the actor backend once per mailbox kind and execution mode, the
 * shared-state baselines as shared:<name>), through the same code; each run
 * checks its invariant. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actor.h"
#include "bench.h"

#define BN_SEED UINT64_C(0x6d61696c726f6f6d) /* fixed, printed in the label */
#define BANK_INITIAL 1000
#define KV_KEYS 1024

/* Per-client streams (bn_rng_next) seeded from BN_SEED and the client id. */
static uint64_t rng_seed(uint32_t client) { return bn_mix(client + 1, BN_SEED) | 1; }

/* mode:pool cases run the actors on the case's pool (the harness made it). */
static wl_config config_of(const bn_run *r)
{
	return (wl_config){.mailbox = r->c->mbx, .capacity = 0, .spin = -1, .pool = r->pool};
}

/* Threads of one actor per account/key space: none of their own when pooled
 * (the harness adds the pool's workers). */
static uint32_t actor_threads(const bn_run *r, uint32_t actors)
{
	return r->c->backend->is_actor && !r->pool ? actors : 0;
}

/* Workers are the clients; the main thread opens the gate and waits. */
static void run_clients(bn_crew *crew)
{
	bn_crew_go(crew);
	bn_crew_wait(crew);
}

static void set_seed_label(bn_run *r) { snprintf(r->label, sizeof r->label, "seed=0x%" PRIx64, BN_SEED); }

/* ======================================================================
 * bank/<impl>/accounts:<a>/clients:<c>: random transfers (amount 1..100)
 * between distinct accounts, initial balance BANK_INITIAL each. After the
 * run: total() == accounts * BANK_INITIAL and no balance below zero.
 * ==================================================================== */
typedef struct bank_ctx {
	wl_bank *bank;
	bn_crew crew;
	/* clients_as:actors */
	act_ref *client;
	struct bank_client_state *cs;
	bn_latch done;
	bool latch_inited;
} bank_ctx;

static void bank_transfer(bn_run *r, bank_ctx *x, uint64_t *s)
{
	uint32_t a = r->c->bank.accounts;
	uint64_t v = bn_rng_next(s);
	uint32_t from = (uint32_t)(v % a);
	uint32_t to = (uint32_t)((from + 1 + (v >> 32) % (a - 1)) % a); /* != from */
	int64_t amount = 1 + (int64_t)((v >> 16) % 100);
	int e = r->c->backend->bank->transfer(x->bank, from, to, amount);
	if (e != WL_OK && e != WL_INSUFFICIENT)
		bn_fail(r, "transfer %u -> %u of %" PRId64 ": error %d", from, to, amount, e);
}

/* A client actor: one transfer per message, then a message to itself
 * until its quota is done (other actors get turns in between). */
typedef struct bank_client_state {
	bn_run *r;
	uint64_t rng;
	int64_t left;
} bank_client_state;

static act_result bank_client_handle(void *st, const mbx_msg *m, act_ctx *ctx)
{
	(void)m;
	bank_client_state *s = st;
	bank_ctx *x = s->r->ctx;
	if (s->left > 0 && !bn_failed(s->r)) {
		bank_transfer(s->r, x, &s->rng);
		s->left--;
	}
	if (s->left > 0 && !bn_failed(s->r)) {
		mbx_msg next = {.tag = 1};
		int e = act_send(act_self(ctx), &next);
		if (e == ACT_OK)
			return ACT_CONTINUE;
		bn_fail(s->r, "client actor: send to itself: %s", act_strerror(e));
	}
	bn_latch_count_down(&x->done);
	return ACT_CONTINUE;
}

static const act_behavior bank_client_behavior = {.name = "bank-client", .handle = bank_client_handle};

static void bank_client(bn_run *r, uint32_t idx, int64_t quota)
{
	bank_ctx *x = r->ctx;
	uint64_t s = rng_seed(idx);
	for (int64_t i = 0; i < quota && !bn_failed(r); i++)
		bank_transfer(r, x, &s);
}

/* clients_as:actors: spawn the client actors (same mailbox and mode). */
static void bank_client_actors_start(bn_run *r, bank_ctx *x)
{
	const bn_case *c = r->c;
	x->client = calloc(c->bank.clients, sizeof *x->client);
	x->cs = calloc(c->bank.clients, sizeof *x->cs);
	if (!x->client || !x->cs) {
		bn_fail(r, "client actors: out of memory");
		return;
	}
	bn_latch_init(&x->done, c->bank.clients);
	x->latch_inited = true;
	act_options o = {.mailbox = c->mbx, .capacity = 0, .spin = -1, .pool = r->pool};
	for (uint32_t i = 0; i < c->bank.clients; i++) {
		x->cs[i] = (bank_client_state){.r = r, .rng = rng_seed(i), .left = bn_crew_quota(r->n, c->bank.clients, i)};
		x->client[i] = act_spawn(&bank_client_behavior, &x->cs[i], &o);
		if (!x->client[i].a) {
			bn_fail(r, "client actor %u: spawn: %s", (unsigned)i, strerror(errno));
			return;
		}
	}
}

static void bank_client_actors_run(bn_run *r, bank_ctx *x)
{
	for (uint32_t i = 0; i < r->c->bank.clients; i++) {
		mbx_msg go = {.tag = 1};
		int e = x->client[i].a ? act_send(x->client[i], &go) : ACT_EINVAL;
		if (e != ACT_OK) {
			bn_fail(r, "client actor %u: go: %s", (unsigned)i, act_strerror(e));
			bn_latch_count_down(&x->done);
		}
	}
	bn_latch_wait(&x->done);
}

static void bank_client_actors_stop(bn_run *r, bank_ctx *x)
{
	for (uint32_t i = 0; x->client && i < r->c->bank.clients; i++)
		if (x->client[i].a) {
			act_stop(x->client[i]);
			act_join(x->client[i]);
			act_release(x->client[i]);
		}
	if (x->latch_inited)
		bn_latch_destroy(&x->done);
	free(x->client);
	free(x->cs);
}

static void bank_setup(bn_run *r)
{
	bank_ctx *x = r->ctx;
	const bn_case *c = r->c;
	wl_config cfg = config_of(r);
	/* client actors are threads only in thread mode; pooled, the pool's */
	r->threads = (c->bank.client_actors ? actor_threads(r, c->bank.clients) : c->bank.clients) +
	             actor_threads(r, c->bank.accounts);
	set_seed_label(r);
	x->bank = c->backend->bank->create(&cfg, c->bank.accounts, BANK_INITIAL);
	if (!x->bank) {
		bn_fail(r, "bank create (%u accounts): %s", (unsigned)c->bank.accounts, strerror(errno));
		return;
	}
	if (c->bank.client_actors)
		bank_client_actors_start(r, x);
	else
		bn_crew_start(&x->crew, r, c->bank.clients, bank_client, NULL);
}

static void bank_body(bn_run *r)
{
	bank_ctx *x = r->ctx;
	if (r->c->bank.client_actors)
		bank_client_actors_run(r, x);
	else
		run_clients(&x->crew);
}

static void bank_finish(bn_run *r)
{
	bank_ctx *x = r->ctx;
	const bank_ops *ops = r->c->backend->bank;
	if (r->c->bank.client_actors)
		bank_client_actors_stop(r, x);
	else
		bn_crew_join(&x->crew);
	if (!x->bank)
		return;
	if (!bn_failed(r)) {
		int64_t want = (int64_t)r->c->bank.accounts * BANK_INITIAL, got = ops->total(x->bank);
		if (got != want)
			bn_fail(r, "conservation: total %" PRId64 " != initial %" PRId64, got, want);
		for (uint32_t i = 0; i < r->c->bank.accounts && !bn_failed(r); i++) {
			int64_t b = ops->balance(x->bank, i);
			if (b < 0)
				bn_fail(r, "account %u has a negative balance %" PRId64, (unsigned)i, b);
		}
	}
	ops->destroy(x->bank);
}

const bn_scenario bn_sc_bank = {
	.name = "bank",
	.ctx_size = sizeof(bank_ctx),
	.setup = bank_setup,
	.body = bank_body,
	.finish = bank_finish,
};

/* ======================================================================
 * counter/<impl>/clients:<c>: every client adds 1, quota times; after the
 * run get() == n exactly.
 * ==================================================================== */
typedef struct counter_ctx {
	wl_counter *ctr;
	bn_crew crew;
} counter_ctx;

static void counter_client(bn_run *r, uint32_t idx, int64_t quota)
{
	(void)idx;
	counter_ctx *x = r->ctx;
	void (*add)(wl_counter *, uint64_t) = r->c->backend->counter->add;
	for (int64_t i = 0; i < quota && !bn_failed(r); i++)
		add(x->ctr, 1);
}

static void counter_setup(bn_run *r)
{
	counter_ctx *x = r->ctx;
	wl_config cfg = config_of(r);
	r->threads = r->c->counter.clients + actor_threads(r, 1);
	x->ctr = r->c->backend->counter->create(&cfg);
	if (!x->ctr) {
		bn_fail(r, "counter create: %s", strerror(errno));
		return;
	}
	bn_crew_start(&x->crew, r, r->c->counter.clients, counter_client, NULL);
}

static void counter_body(bn_run *r) { run_clients(&((counter_ctx *)r->ctx)->crew); }

static void counter_finish(bn_run *r)
{
	counter_ctx *x = r->ctx;
	bn_crew_join(&x->crew);
	if (!x->ctr)
		return;
	uint64_t got = r->c->backend->counter->get(x->ctr);
	if (!bn_failed(r) && got != (uint64_t)r->n)
		bn_fail(r, "counter reads %" PRIu64 " after %" PRId64 " adds", got, r->n);
	r->c->backend->counter->destroy(x->ctr);
}

const bn_scenario bn_sc_counter = {
	.name = "counter",
	.ctx_size = sizeof(counter_ctx),
	.setup = counter_setup,
	.body = counter_body,
	.finish = counter_finish,
};

/* ======================================================================
 * kv/<impl>/read:<pct>/clients:<c>: KV_KEYS keys, all present from setup
 * on and never deleted; each op reads (pct %) or overwrites a random key.
 * A value is (key << 32 | version), so every read proves it got a value of
 * its own key; after the run dump() sees every key exactly once, each with
 * a value of its own.
 * ==================================================================== */
typedef struct kv_ctx {
	wl_kv *kv;
	bn_crew crew;
	uint64_t dumped, bad, seen_mask[KV_KEYS / 64];
} kv_ctx;

static uint64_t kv_value(uint64_t key, uint64_t version) { return key << 32 | (version & 0xffffffffu); }

static void kv_client(bn_run *r, uint32_t idx, int64_t quota)
{
	kv_ctx *x = r->ctx;
	const kv_ops *ops = r->c->backend->kv;
	uint32_t read_pct = r->c->kv.read_pct;
	uint64_t s = rng_seed(idx);
	for (int64_t i = 0; i < quota && !bn_failed(r); i++) {
		uint64_t v = bn_rng_next(&s);
		uint64_t key = v % KV_KEYS, got = 0;
		if ((v >> 32) % 100 < read_pct) {
			int e = ops->get(x->kv, key, &got);
			if (e != WL_OK || got >> 32 != key)
				bn_fail(r, "get(%" PRIu64 "): %s, value %#" PRIx64, key,
				        e == WL_OK ? "ok" : "not found", got);
		} else {
			ops->set(x->kv, key, kv_value(key, (uint64_t)idx << 24 | ((uint64_t)i & 0xffffff)));
		}
	}
}

static void kv_setup(bn_run *r)
{
	kv_ctx *x = r->ctx;
	wl_config cfg = config_of(r);
	r->threads = r->c->kv.clients + actor_threads(r, 1);
	set_seed_label(r);
	x->kv = r->c->backend->kv->create(&cfg);
	if (!x->kv) {
		bn_fail(r, "kv create: %s", strerror(errno));
		return;
	}
	for (uint64_t k = 0; k < KV_KEYS; k++)
		r->c->backend->kv->set(x->kv, k, kv_value(k, 0));
	bn_crew_start(&x->crew, r, r->c->kv.clients, kv_client, NULL);
}

static void kv_body(bn_run *r) { run_clients(&((kv_ctx *)r->ctx)->crew); }

static void kv_dump_one(uint64_t key, uint64_t value, void *p)
{
	kv_ctx *x = p;
	x->dumped++;
	if (key >= KV_KEYS || value >> 32 != key || (x->seen_mask[key / 64] >> (key % 64) & 1))
		x->bad++;
	else
		x->seen_mask[key / 64] |= UINT64_C(1) << (key % 64);
}

static void kv_finish(bn_run *r)
{
	kv_ctx *x = r->ctx;
	bn_crew_join(&x->crew);
	if (!x->kv)
		return;
	if (!bn_failed(r)) {
		size_t n = r->c->backend->kv->dump(x->kv, kv_dump_one, x);
		if (n != KV_KEYS || x->dumped != KV_KEYS || x->bad)
			bn_fail(r, "dump: %zu pairs (%" PRIu64 " seen, %" PRIu64 " wrong), expected %d", n,
			        x->dumped, x->bad, KV_KEYS);
	}
	r->c->backend->kv->destroy(x->kv);
}

const bn_scenario bn_sc_kv = {
	.name = "kv",
	.ctx_size = sizeof(kv_ctx),
	.setup = kv_setup,
	.body = kv_body,
	.finish = kv_finish,
};
