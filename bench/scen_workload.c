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
 * between distinct accounts, initial balance BANK_INITIAL each. Every client
 * keeps its own ledger: per account, the sums its OK transfers debited and
 * credited. After the run each balance must be exactly BANK_INITIAL + the
 * clients' credits - their debits (a skipped, doubled or half-done transfer
 * shows), and no balance is below zero. With one client the ledger is the
 * whole truth, so every answer is checked as it comes: OK exactly when the
 * source could pay. With more, an INSUFFICIENT cannot be judged per answer
 * without a shared counter in the timed loop (it would change what is
 * measured): those runs check the final balances only. Each client ends
 * with a balance ask to every account it credited, inside the timed region:
 * its fire-and-forget credits are handled before its clock stops.
 * ==================================================================== */
typedef struct bank_ledger {
	int64_t *debit, *credit; /* per account, this client's OK transfers */
	bool *credited;          /* accounts credited since the last flush */
	int64_t ok, insufficient;
} bank_ledger;

typedef struct bank_ctx {
	wl_bank *bank;
	bn_crew crew;
	bank_ledger *ledger; /* one per client, read by finish after the join */
	/* clients_as:actors */
	act_ref *client;
	struct bank_client_state *cs;
	bn_latch done;
	bool latch_inited;
} bank_ctx;

static void bank_transfer(bn_run *r, bank_ctx *x, bank_ledger *l, uint64_t *s)
{
	uint32_t a = r->c->bank.accounts;
	uint64_t v = bn_rng_next(s);
	uint32_t from = (uint32_t)(v % a);
	uint32_t to = (uint32_t)((from + 1 + (v >> 32) % (a - 1)) % a); /* != from */
	int64_t amount = 1 + (int64_t)((v >> 16) % 100);
	int e = r->c->backend->bank->transfer(x->bank, from, to, amount);
	if (e != WL_OK && e != WL_INSUFFICIENT) {
		bn_fail(r, "transfer %u -> %u of %" PRId64 ": error %d", from, to, amount, e);
		return;
	}
	if (r->c->bank.clients == 1) { /* the only client: the ledger knows the balance */
		int64_t have = BANK_INITIAL + l->credit[from] - l->debit[from];
		if ((e == WL_OK) != (have >= amount))
			bn_fail(r, "transfer %u -> %u of %" PRId64 " answered %s with %" PRId64 " in the account",
			        from, to, amount, e == WL_OK ? "OK" : "INSUFFICIENT", have);
	}
	if (e == WL_OK) {
		l->debit[from] += amount;
		l->credit[to] += amount;
		l->credited[to] = true;
		l->ok++;
	} else {
		l->insufficient++;
	}
}

/* The end of a client's work: a balance ask to each account it credited
 * since the last flush; per-sender FIFO puts the credits before the ask. */
static void bank_flush(bn_run *r, bank_ctx *x, bank_ledger *l)
{
	for (uint32_t i = 0; i < r->c->bank.accounts && !bn_failed(r); i++)
		if (l->credited[i]) {
			(void)r->c->backend->bank->balance(x->bank, i);
			l->credited[i] = false;
		}
}

/* A client actor: one transfer per message, then a message to itself
 * until its quota is done (other actors get turns in between). */
typedef struct bank_client_state {
	bn_run *r;
	bank_ledger *ledger;
	uint64_t rng;
	int64_t left;
} bank_client_state;

static act_result bank_client_handle(void *st, const mbx_msg *m, act_ctx *ctx)
{
	(void)m;
	bank_client_state *s = st;
	bank_ctx *x = s->r->ctx;
	if (s->left > 0 && !bn_failed(s->r)) {
		bank_transfer(s->r, x, s->ledger, &s->rng);
		s->left--;
	}
	if (s->left > 0 && !bn_failed(s->r)) {
		mbx_msg next = {.tag = 1};
		int e = act_send(act_self(ctx), &next);
		if (e == ACT_OK)
			return ACT_CONTINUE;
		bn_fail(s->r, "client actor: send to itself: %s", act_strerror(e));
	}
	bank_flush(s->r, x, s->ledger);
	bn_latch_count_down(&x->done);
	return ACT_CONTINUE;
}

static const act_behavior bank_client_behavior = {.name = "bank-client", .handle = bank_client_handle};

static void bank_client(bn_run *r, uint32_t idx, int64_t quota)
{
	bank_ctx *x = r->ctx;
	uint64_t s = rng_seed(idx);
	for (int64_t i = 0; i < quota && !bn_failed(r); i++)
		bank_transfer(r, x, &x->ledger[idx], &s);
	bank_flush(r, x, &x->ledger[idx]);
}

static bool bank_ledgers_alloc(bn_run *r, bank_ctx *x)
{
	uint32_t c = r->c->bank.clients, a = r->c->bank.accounts;
	x->ledger = calloc(c, sizeof *x->ledger);
	for (uint32_t i = 0; x->ledger && i < c; i++) {
		bank_ledger *l = &x->ledger[i];
		l->debit = calloc(a, sizeof *l->debit);
		l->credit = calloc(a, sizeof *l->credit);
		l->credited = calloc(a, sizeof *l->credited);
		if (!l->debit || !l->credit || !l->credited)
			break;
		if (i + 1 == c)
			return true;
	}
	bn_fail(r, "ledgers: out of memory");
	return false;
}

static void bank_ledgers_free(bn_run *r, bank_ctx *x)
{
	for (uint32_t i = 0; x->ledger && i < r->c->bank.clients; i++) {
		free(x->ledger[i].debit);
		free(x->ledger[i].credit);
		free(x->ledger[i].credited);
	}
	free(x->ledger);
}

/* After the join: every balance is what the clients' ledgers predict. */
static void bank_check(bn_run *r, bank_ctx *x)
{
	const bank_ops *ops = r->c->backend->bank;
	uint32_t c = r->c->bank.clients;
	int64_t ok = 0, insufficient = 0;
	for (uint32_t k = 0; k < c; k++) {
		ok += x->ledger[k].ok;
		insufficient += x->ledger[k].insufficient;
	}
	if (ok + insufficient != r->n) {
		bn_fail(r, "%" PRId64 " OK + %" PRId64 " INSUFFICIENT answers for %" PRId64 " transfers", ok,
		        insufficient, r->n);
		return;
	}
	for (uint32_t i = 0; i < r->c->bank.accounts && !bn_failed(r); i++) {
		int64_t want = BANK_INITIAL;
		for (uint32_t k = 0; k < c; k++)
			want += x->ledger[k].credit[i] - x->ledger[k].debit[i];
		int64_t got = ops->balance(x->bank, i);
		if (got != want || got < 0)
			bn_fail(r, "account %u: balance %" PRId64 ", the clients' OK transfers predict %" PRId64,
			        (unsigned)i, got, want);
	}
	int64_t want = (int64_t)r->c->bank.accounts * BANK_INITIAL, got = ops->total(x->bank);
	if (!bn_failed(r) && got != want)
		bn_fail(r, "conservation: total %" PRId64 " != initial %" PRId64, got, want);
	bn_set_counter(r, "insufficient_per_item", (double)insufficient / (double)(r->n ? r->n : 1));
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
		x->cs[i] = (bank_client_state){.r = r,
		                               .ledger = &x->ledger[i],
		                               .rng = rng_seed(i),
		                               .left = bn_crew_quota(r->n, c->bank.clients, i)};
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
	if (!bank_ledgers_alloc(r, x))
		return;
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
	if (x->bank) {
		if (!bn_failed(r))
			bank_check(r, x);
		ops->destroy(x->bank);
	}
	bank_ledgers_free(r, x);
}

const bn_scenario bn_sc_bank = {
	.name = "bank",
	.ctx_size = sizeof(bank_ctx),
	.setup = bank_setup,
	.body = bank_body,
	.finish = bank_finish,
};

/* ======================================================================
 * counter/<impl>/clients:<c>: every client adds 1, quota times, then reads
 * the counter (an ask to the actor: its adds, fire-and-forget sends, are
 * all handled before its clock stops); after the run get() == n exactly.
 * ==================================================================== */
typedef struct counter_ctx {
	wl_counter *ctr;
	bn_crew crew;
} counter_ctx;

static void counter_client(bn_run *r, uint32_t idx, int64_t quota)
{
	counter_ctx *x = r->ctx;
	void (*add)(wl_counter *, uint64_t) = r->c->backend->counter->add;
	for (int64_t i = 0; i < quota && !bn_failed(r); i++)
		add(x->ctr, 1);
	uint64_t seen = r->c->backend->counter->get(x->ctr); /* the end of this client's work */
	if (seen < (uint64_t)quota)
		bn_fail(r, "client %u reads %" PRIu64 " after its own %" PRId64 " adds", (unsigned)idx, seen, quota);
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
 * on and never deleted; each op reads (pct %) any random key or overwrites
 * a random key of the client's own (key % clients == client: one writer
 * per key, so "the last write" is defined without a global clock). A value
 * is (key, writer, version), the writer's versions counting up per key, so:
 *  - every read gets a value of its own key, written by the key's owner;
 *  - a client reading its own key sees exactly its last write;
 *  - a client's reads of one key never see its version go back;
 *  - after the run dump() holds every key once, with its last write.
 * Each client ends with a read (an ask to the actor: its sets, sends, are
 * all handled before its clock stops).
 * ==================================================================== */
typedef struct kv_client_state {
	uint32_t *written; /* own keys: the last version written */
	uint32_t *seen;    /* any key: the highest version read */
} kv_client_state;

typedef struct kv_ctx {
	wl_kv *kv;
	bn_crew crew;
	kv_client_state *cs;   /* per client; read by finish after the join */
	uint32_t *last;        /* finish: per key, the last version its owner wrote */
	uint64_t dumped, bad, seen_mask[KV_KEYS / 64];
} kv_ctx;

static uint64_t kv_value(uint64_t key, uint32_t writer, uint32_t version)
{
	return key << 40 | (uint64_t)(writer & 0xff) << 32 | version;
}
static uint32_t kv_owner(const bn_run *r, uint64_t key) { return (uint32_t)(key % r->c->kv.clients); }

/* Checks one read of key by client idx. */
static void kv_check_read(bn_run *r, kv_client_state *cs, uint32_t idx, uint64_t key, int e, uint64_t got)
{
	uint32_t owner = kv_owner(r, key), version = (uint32_t)got;
	if (e != WL_OK || got >> 40 != key || (got >> 32 & 0xff) != (owner & 0xff))
		bn_fail(r, "get(%" PRIu64 "): %s, value %#" PRIx64 " (not the key's, or not its writer's)", key,
		        e == WL_OK ? "ok" : "not found", got);
	else if (owner == idx && version != cs->written[key])
		bn_fail(r, "client %u reads version %u of its own key %" PRIu64 ", its last write was %u",
		        (unsigned)idx, (unsigned)version, key, (unsigned)cs->written[key]);
	else if (version < cs->seen[key])
		bn_fail(r, "client %u reads version %u of key %" PRIu64 " after version %u", (unsigned)idx,
		        (unsigned)version, key, (unsigned)cs->seen[key]);
	else
		cs->seen[key] = version;
}

static void kv_client(bn_run *r, uint32_t idx, int64_t quota)
{
	kv_ctx *x = r->ctx;
	kv_client_state *cs = &x->cs[idx];
	const kv_ops *ops = r->c->backend->kv;
	uint32_t read_pct = r->c->kv.read_pct, clients = r->c->kv.clients;
	uint64_t s = rng_seed(idx), got = 0;
	for (int64_t i = 0; i < quota && !bn_failed(r); i++) {
		uint64_t v = bn_rng_next(&s);
		if ((v >> 32) % 100 < read_pct) {
			uint64_t key = v % KV_KEYS;
			int e = ops->get(x->kv, key, &got);
			kv_check_read(r, cs, idx, key, e, got);
		} else { /* one of the own keys idx, idx + clients, ... */
			uint64_t key = idx + v % ((KV_KEYS - idx + clients - 1) / clients) * clients;
			ops->set(x->kv, key, kv_value(key, idx, ++cs->written[key]));
		}
	}
	/* the end of this client's work: a read of its first own key */
	if (!bn_failed(r)) {
		int e = ops->get(x->kv, idx, &got);
		kv_check_read(r, cs, idx, idx, e, got);
	}
}

static void kv_setup(bn_run *r)
{
	kv_ctx *x = r->ctx;
	wl_config cfg = config_of(r);
	uint32_t clients = r->c->kv.clients;
	r->threads = clients + actor_threads(r, 1);
	set_seed_label(r);
	if (clients > KV_KEYS || clients > 256) {
		bn_fail(r, "%u clients: at most 256, each owning keys", (unsigned)clients);
		return;
	}
	x->cs = calloc(clients, sizeof *x->cs);
	x->last = calloc(KV_KEYS, sizeof *x->last);
	for (uint32_t i = 0; x->cs && i < clients; i++) {
		x->cs[i].written = calloc(KV_KEYS, sizeof *x->cs[i].written);
		x->cs[i].seen = calloc(KV_KEYS, sizeof *x->cs[i].seen);
		if (!x->cs[i].written || !x->cs[i].seen)
			break;
	}
	if (!x->cs || !x->last || !x->cs[clients - 1].seen) {
		bn_fail(r, "kv: out of memory");
		return;
	}
	x->kv = r->c->backend->kv->create(&cfg);
	if (!x->kv) {
		bn_fail(r, "kv create: %s", strerror(errno));
		return;
	}
	uint64_t got;
	for (uint64_t k = 0; k < KV_KEYS; k++) /* version 0 of every key, by its owner */
		r->c->backend->kv->set(x->kv, k, kv_value(k, kv_owner(r, k), 0));
	(void)r->c->backend->kv->get(x->kv, 0, &got); /* handled before the clock starts */
	bn_crew_start(&x->crew, r, clients, kv_client, NULL);
}

static void kv_body(bn_run *r) { run_clients(&((kv_ctx *)r->ctx)->crew); }

static void kv_dump_one(uint64_t key, uint64_t value, void *p)
{
	kv_ctx *x = p;
	x->dumped++;
	if (key >= KV_KEYS || value >> 40 != key || (x->seen_mask[key / 64] >> (key % 64) & 1) ||
	    (uint32_t)value != x->last[key])
		x->bad++;
	else
		x->seen_mask[key / 64] |= UINT64_C(1) << (key % 64);
}

static void kv_finish(bn_run *r)
{
	kv_ctx *x = r->ctx;
	uint32_t clients = r->c->kv.clients;
	bn_crew_join(&x->crew);
	if (x->kv && !bn_failed(r)) {
		for (uint64_t k = 0; k < KV_KEYS; k++)
			x->last[k] = x->cs[kv_owner(r, k)].written[k];
		size_t n = r->c->backend->kv->dump(x->kv, kv_dump_one, x);
		if (n != KV_KEYS || x->dumped != KV_KEYS || x->bad)
			bn_fail(r, "dump: %zu pairs (%" PRIu64 " seen, %" PRIu64 " wrong or not the last write), expected %d", n,
			        x->dumped, x->bad, KV_KEYS);
	}
	if (x->kv)
		r->c->backend->kv->destroy(x->kv);
	for (uint32_t i = 0; x->cs && i < clients; i++) {
		free(x->cs[i].written);
		free(x->cs[i].seen);
	}
	free(x->cs);
	free(x->last);
}

const bn_scenario bn_sc_kv = {
	.name = "kv",
	.ctx_size = sizeof(kv_ctx),
	.setup = kv_setup,
	.body = kv_body,
	.finish = kv_finish,
};
