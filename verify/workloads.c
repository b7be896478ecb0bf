/* workloads.c: the workload suite. Each test is written once against the
 * workload interfaces (workload.h) and listed for every backend that offers
 * it: the actor version over every mailbox of mbx_table (at its default
 * capacity and, for bounded kinds, at capacity 4 so backpressure is hit), and
 * every shared-state baseline. The actor cases run thread per actor; with
 * --mode pool (or both) they run again with every actor on an act_pool, same
 * checks (ctest lists those separately, label `scheduler`). Oracles abort;
 * random runs print their seed. */
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cli.h"
#include "mailbox.h"
#include "suite.h"
#include "actor.h"
#include "vutil.h"
#include "workload.h"

static const char *PROG = "mailroom-workloads";

enum { SMALL_CAP = 4 };   /* bounded kinds also run here: senders block often */
enum { WATCHDOG_S = 60 }; /* below every ctest timeout, so a hang reports itself */
enum { POOL_WORKERS = 4 }; /* pooled mode's default: more workers than this VM's 2 cores */

/* What one test run gets. */
typedef struct tctx {
	const wl_backend *be;
	wl_config cfg;
	uint64_t seed;
	v_watchdog wd;
} tctx;

typedef void *(*thread_fn)(void *);
static void run_threads(unsigned n, thread_fn fn, void *args, size_t arg_size)
{
	pthread_t th[16];
	CHECK_LE(n, 16);
	for (unsigned i = 0; i < n; i++)
		CHECK_EQ(pthread_create(&th[i], NULL, fn, (char *)args + i * arg_size), 0);
	for (unsigned i = 0; i < n; i++)
		CHECK_EQ(pthread_join(th[i], NULL), 0);
}

/* ================================================================ bank */

static wl_bank *bank_new(tctx *t, uint32_t n, int64_t initial)
{
	wl_bank *b = t->be->bank->create(&t->cfg, n, initial);
	if (!b) {
		fprintf(stderr, "%s: %s bank create(%u) failed: %s\n", PROG, t->be->name, n, strerror(errno));
		abort();
	}
	return b;
}

static void t_bank_basic(tctx *t)
{
	const bank_ops *o = t->be->bank;
	wl_bank *b = bank_new(t, 2, 0);
	CHECK_EQ(o->total(b), 0);
	CHECK_EQ(o->deposit(b, 0, 1000), WL_OK);
	CHECK_EQ(o->deposit(b, 1, 500), WL_OK);
	CHECK_EQ(o->balance(b, 0), 1000);
	CHECK_EQ(o->balance(b, 1), 500);
	CHECK_EQ(o->transfer(b, 0, 1, 200), WL_OK);
	CHECK_EQ(o->balance(b, 0), 800);
	CHECK_EQ(o->balance(b, 1), 700);
	/* a transfer the payer cannot cover changes nothing on either side */
	CHECK_EQ(o->transfer(b, 0, 1, 801), WL_INSUFFICIENT);
	CHECK_EQ(o->balance(b, 0), 800);
	CHECK_EQ(o->balance(b, 1), 700);
	CHECK_EQ(o->transfer(b, 1, 0, 701), WL_INSUFFICIENT);
	CHECK_EQ(o->balance(b, 0), 800);
	CHECK_EQ(o->balance(b, 1), 700);
	CHECK_EQ(o->withdraw(b, 1, 701), WL_INSUFFICIENT);
	CHECK_EQ(o->balance(b, 1), 700);
	CHECK_EQ(o->withdraw(b, 1, 700), WL_OK); /* exactly the balance: allowed, reaches 0 */
	CHECK_EQ(o->balance(b, 1), 0);
	CHECK_EQ(o->withdraw(b, 1, 1), WL_INSUFFICIENT);
	CHECK_EQ(o->deposit(b, 1, 700), WL_OK);
	CHECK_EQ(o->transfer(b, 0, 1, 0), WL_OK);
	CHECK_EQ(o->transfer(b, 0, 0, 800), WL_OK); /* to oneself: no net change */
	CHECK_EQ(o->balance(b, 0), 800);
	CHECK_EQ(o->transfer(b, 0, 1, 800), WL_OK); /* the whole balance */
	CHECK_EQ(o->balance(b, 0), 0);
	CHECK_EQ(o->balance(b, 1), 1500);
	CHECK_EQ(o->total(b), 1500);
	o->destroy(b);
	v_tick(&t->wd);

	b = bank_new(t, 3, 100); /* the `initial` path */
	CHECK_EQ(o->total(b), 300);
	CHECK_EQ(o->transfer(b, 0, 2, 100), WL_OK);
	CHECK_EQ(o->transfer(b, 0, 1, 1), WL_INSUFFICIENT);
	CHECK_EQ(o->balance(b, 0), 0);
	CHECK_EQ(o->balance(b, 1), 100);
	CHECK_EQ(o->balance(b, 2), 200);
	CHECK_EQ(o->total(b), 300);
	o->destroy(b);
	v_tick(&t->wd);
}

enum { BANK_CLIENTS = 4, BANK_MAX_ACCTS = 16 };
typedef struct bank_client {
	tctx *t;
	wl_bank *b;
	uint32_t n, id;
	uint64_t ops;
	int64_t delta[BANK_MAX_ACCTS]; /* net effect of this client's successful ops */
	int64_t deposited, withdrawn;
	uint64_t ok, insufficient;
} bank_client;

static void *bank_client_main(void *p)
{
	bank_client *c = p;
	const bank_ops *o = c->t->be->bank;
	v_rng r = {c->t->seed ^ ((uint64_t)c->id * 0x100000001b3ull) ^ c->n};
	for (uint64_t i = 0; i < c->ops; i++) {
		uint64_t k = v_below(&r, 100);
		uint32_t x = (uint32_t)v_below(&r, c->n), y = (uint32_t)v_below(&r, c->n);
		int64_t amt = (int64_t)v_below(&r, 300);
		if (k < 70) {
			int e = o->transfer(c->b, x, y, amt);
			if (e == WL_OK) {
				c->delta[x] -= amt;
				c->delta[y] += amt;
				c->ok++;
			} else {
				CHECK_EQ(e, WL_INSUFFICIENT);
				c->insufficient++;
			}
		} else if (k < 80) {
			amt /= 3; /* as large as withdrawals on average: no drift either way */
			CHECK_EQ(o->deposit(c->b, x, amt), WL_OK);
			c->delta[x] += amt;
			c->deposited += amt;
		} else if (k < 90) {
			amt /= 3;
			int e = o->withdraw(c->b, x, amt);
			if (e == WL_OK) {
				c->delta[x] -= amt;
				c->withdrawn += amt;
			} else {
				CHECK_EQ(e, WL_INSUFFICIENT);
			}
		} else {
			CHECK_GE(o->balance(c->b, x), 0); /* never negative, even mid-run */
		}
		v_tick(&c->t->wd);
	}
	return NULL;
}

/* C clients, random transfers among N accounts. Each client logs the net
 * effect of the ops that succeeded; sums commute, so the final balance of
 * every account is known exactly, not only the total. */
static void t_bank_concurrent(tctx *t)
{
	const bank_ops *o = t->be->bank;
	static const uint32_t sizes[] = {2, 16};
	for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
		uint32_t n = sizes[s];
		const int64_t initial = 1000;
		wl_bank *b = bank_new(t, n, initial);
		bank_client c[BANK_CLIENTS];
		memset(c, 0, sizeof c);
		for (uint32_t i = 0; i < BANK_CLIENTS; i++)
			c[i] = (bank_client){.t = t, .b = b, .n = n, .id = i, .ops = 4000 / V_SCALE};
		run_threads(BANK_CLIENTS, bank_client_main, c, sizeof c[0]);
		int64_t want_total = initial * n;
		uint64_t ok = 0, insufficient = 0;
		for (uint32_t i = 0; i < BANK_CLIENTS; i++) {
			want_total += c[i].deposited - c[i].withdrawn;
			ok += c[i].ok;
			insufficient += c[i].insufficient;
		}
		for (uint32_t a = 0; a < n; a++) {
			int64_t want = initial;
			for (uint32_t i = 0; i < BANK_CLIENTS; i++)
				want += c[i].delta[a];
			int64_t got = o->balance(b, a);
			CHECK_GE(got, 0);
			CHECK_EQ(got, want);
		}
		CHECK_EQ(o->total(b), want_total);
		printf("  %u accounts: %" PRIu64 " transfers ok, %" PRIu64 " insufficient, total %" PRId64 "\n", n,
		       ok, insufficient, want_total);
		o->destroy(b);
	}
}

/* ================================================================ counter */

/* 10 x 1000 (x 1000/8 under sanitizers): more producers than cores on
 * purpose, so a mailbox that convoys under oversubscription shows it here. */
enum { COUNTER_THREADS = 10, COUNTER_PER = 1000 / V_SCALE };
typedef struct counter_client {
	tctx *t;
	wl_counter *c;
} counter_client;

static void *counter_client_main(void *p)
{
	counter_client *cc = p;
	const counter_ops *o = cc->t->be->counter;
	for (int i = 0; i < COUNTER_PER; i++) {
		o->add(cc->c, 1);
		v_tick(&cc->t->wd);
	}
	/* get includes every add that returned before it: at least our own */
	CHECK_GE(o->get(cc->c), COUNTER_PER);
	return NULL;
}

static void t_counter(tctx *t)
{
	const counter_ops *o = t->be->counter;
	wl_counter *c = o->create(&t->cfg);
	CHECK(c != NULL);
	CHECK_EQU(o->get(c), 0);
	counter_client cc[COUNTER_THREADS];
	for (int i = 0; i < COUNTER_THREADS; i++)
		cc[i] = (counter_client){t, c};
	run_threads(COUNTER_THREADS, counter_client_main, cc, sizeof cc[0]);
	CHECK_EQU(o->get(c), (uint64_t)COUNTER_THREADS * COUNTER_PER);
	o->add(c, 1ull << 40); /* wide adds are not truncated */
	CHECK_EQU(o->get(c), (uint64_t)COUNTER_THREADS * COUNTER_PER + (1ull << 40));
	o->destroy(c);
}

/* ================================================================ kv */

typedef struct kv_pairs {
	uint64_t (*p)[2];
	size_t n, cap;
} kv_pairs;

static void collect(uint64_t key, uint64_t value, void *ctx)
{
	kv_pairs *s = ctx;
	CHECK_LT(s->n, s->cap); /* more pairs than the dump's own count */
	s->p[s->n][0] = key;
	s->p[s->n][1] = value;
	s->n++;
}

static int pair_cmp(const void *x, const void *y)
{
	uint64_t a = ((const uint64_t *)x)[0], b = ((const uint64_t *)y)[0];
	return a < b ? -1 : a > b;
}

/* dump into a key-sorted array; checks the count it returns and that no key
 * appears twice. */
static kv_pairs dump_sorted(const kv_ops *o, wl_kv *kv, size_t cap)
{
	kv_pairs s = {calloc(cap ? cap : 1, sizeof *s.p), 0, cap};
	CHECK(s.p != NULL);
	size_t n = o->dump(kv, collect, &s);
	CHECK_EQ(n, s.n);
	qsort(s.p, s.n, sizeof *s.p, pair_cmp);
	for (size_t i = 1; i < s.n; i++)
		CHECK(s.p[i - 1][0] < s.p[i][0]); /* unsigned keys: CHECK_LT compares signed */
	return s;
}

/* A small exact model: keys are key_of(index), index < KV_SPACE. */
enum { KV_SPACE = 512 };
typedef struct kv_model {
	bool live[KV_SPACE];
	uint64_t val[KV_SPACE];
} kv_model;

static uint64_t key_of(uint64_t base, uint32_t i)
{
	/* 0 and UINT64_MAX are in every key space: tables that reserve them
	 * (ck_ht's empty and tombstone keys) must still store them. */
	if (base)
		return base + i;
	if (i == 0)
		return 0;
	if (i == 1)
		return UINT64_MAX;
	v_rng r = {i};
	return (v_next(&r) | 2) & ~1ull; /* never 0 or UINT64_MAX */
}

static void check_dump_vs_model(const kv_ops *o, wl_kv *kv, const kv_model *m, uint64_t base)
{
	size_t live = 0;
	for (uint32_t i = 0; i < KV_SPACE; i++)
		live += m->live[i];
	kv_pairs s = dump_sorted(o, kv, live);
	CHECK_EQ(s.n, live);
	kv_pairs want = {calloc(live ? live : 1, sizeof *want.p), 0, live};
	CHECK(want.p != NULL);
	for (uint32_t i = 0; i < KV_SPACE; i++)
		if (m->live[i])
			collect(key_of(base, i), m->val[i], &want);
	qsort(want.p, want.n, sizeof *want.p, pair_cmp);
	for (size_t i = 0; i < live; i++) {
		CHECK_EQU(s.p[i][0], want.p[i][0]);
		CHECK_EQU(s.p[i][1], want.p[i][1]);
	}
	free(s.p);
	free(want.p);
}

static void t_kv_basic(tctx *t)
{
	const kv_ops *o = t->be->kv;
	wl_kv *kv = o->create(&t->cfg);
	CHECK(kv != NULL);
	uint64_t v = 12345;
	CHECK_EQ(o->get(kv, 42, &v), WL_NOTFOUND);
	CHECK_EQ(o->del(kv, 42), WL_NOTFOUND);
	CHECK_EQ(o->dump(kv, collect, &(kv_pairs){NULL, 0, 0}), 0);
	o->set(kv, 42, 1);
	CHECK_EQ(o->get(kv, 42, &v), WL_OK);
	CHECK_EQU(v, 1);
	o->set(kv, 42, 2); /* overwrite */
	CHECK_EQ(o->get(kv, 42, &v), WL_OK);
	CHECK_EQU(v, 2);
	CHECK_EQ(o->del(kv, 42), WL_OK);
	CHECK_EQ(o->get(kv, 42, &v), WL_NOTFOUND);
	CHECK_EQ(o->del(kv, 42), WL_NOTFOUND); /* delete missing */
	/* edge keys and values */
	static const uint64_t edge[] = {0, UINT64_MAX, UINT64_MAX - 1, 1};
	for (size_t i = 0; i < 4; i++)
		o->set(kv, edge[i], edge[3 - i]);
	for (size_t i = 0; i < 4; i++) {
		CHECK_EQ(o->get(kv, edge[i], &v), WL_OK);
		CHECK_EQU(v, edge[3 - i]);
	}
	kv_pairs s = dump_sorted(o, kv, 4);
	CHECK_EQ(s.n, 4);
	static const uint64_t want[4][2] = {{0, 1}, {1, 0}, {UINT64_MAX - 1, UINT64_MAX}, {UINT64_MAX, UINT64_MAX - 1}};
	for (size_t i = 0; i < 4; i++) {
		CHECK_EQU(s.p[i][0], want[i][0]);
		CHECK_EQU(s.p[i][1], want[i][1]);
	}
	free(s.p);
	for (size_t i = 0; i < 4; i++) {
		CHECK_EQ(o->del(kv, edge[i]), WL_OK);
		CHECK_EQ(o->del(kv, edge[i]), WL_NOTFOUND);
	}
	CHECK_EQ(o->dump(kv, collect, &(kv_pairs){NULL, 0, 0}), 0);
	v_tick(&t->wd);

	/* seeded random ops against the exact model, dumps along the way */
	kv_model *m = calloc(1, sizeof *m);
	CHECK(m != NULL);
	v_rng r = {t->seed};
	uint64_t ops = 20000 / V_SCALE;
	for (uint64_t i = 0; i < ops; i++) {
		uint32_t k = (uint32_t)v_below(&r, KV_SPACE);
		uint64_t key = key_of(0, k), c = v_below(&r, 100);
		if (c < 50) {
			uint64_t val = v_next(&r);
			o->set(kv, key, val);
			m->live[k] = true;
			m->val[k] = val;
		} else if (c < 75) {
			int e = o->get(kv, key, &v);
			CHECK_EQ(e, m->live[k] ? WL_OK : WL_NOTFOUND);
			if (e == WL_OK)
				CHECK_EQU(v, m->val[k]);
		} else if (c < 99) {
			CHECK_EQ(o->del(kv, key), m->live[k] ? WL_OK : WL_NOTFOUND);
			m->live[k] = false;
		} else {
			check_dump_vs_model(o, kv, m, 0);
		}
		v_tick(&t->wd);
	}
	check_dump_vs_model(o, kv, m, 0);
	free(m);
	o->destroy(kv);
}

enum { KV_CLIENTS = 4 };
typedef struct kv_client {
	tctx *t;
	wl_kv *kv;
	uint32_t id;
	kv_model m; /* this client's keys are its own: its view is exact */
} kv_client;

static uint64_t kv_base(uint32_t id) { return ((uint64_t)id + 1) << 40; }

static void *kv_client_main(void *p)
{
	kv_client *c = p;
	const kv_ops *o = c->t->be->kv;
	v_rng r = {c->t->seed ^ ((uint64_t)c->id << 32)};
	uint64_t ops = 8000 / V_SCALE, v;
	for (uint64_t i = 0; i < ops; i++) {
		uint32_t k = (uint32_t)v_below(&r, KV_SPACE / 2);
		uint64_t key = key_of(kv_base(c->id), k), ch = v_below(&r, 100);
		if (ch < 50) {
			uint64_t val = v_next(&r);
			o->set(c->kv, key, val);
			c->m.live[k] = true;
			c->m.val[k] = val;
		} else if (ch < 80) {
			int e = o->get(c->kv, key, &v);
			CHECK_EQ(e, c->m.live[k] ? WL_OK : WL_NOTFOUND);
			if (e == WL_OK)
				CHECK_EQU(v, c->m.val[k]);
		} else {
			CHECK_EQ(o->del(c->kv, key), c->m.live[k] ? WL_OK : WL_NOTFOUND);
			c->m.live[k] = false;
		}
		v_tick(&c->t->wd);
	}
	return NULL;
}

/* Concurrent clients on disjoint key ranges, then one dump holds exactly the
 * union of their final views. */
static void t_kv_concurrent(tctx *t)
{
	const kv_ops *o = t->be->kv;
	wl_kv *kv = o->create(&t->cfg);
	CHECK(kv != NULL);
	kv_client *c = calloc(KV_CLIENTS, sizeof *c);
	CHECK(c != NULL);
	for (uint32_t i = 0; i < KV_CLIENTS; i++) {
		c[i].t = t;
		c[i].kv = kv;
		c[i].id = i;
	}
	run_threads(KV_CLIENTS, kv_client_main, c, sizeof c[0]);
	size_t live = 0;
	for (uint32_t i = 0; i < KV_CLIENTS; i++)
		for (uint32_t k = 0; k < KV_SPACE; k++)
			live += c[i].m.live[k];
	kv_pairs s = dump_sorted(o, kv, live);
	CHECK_EQ(s.n, live);
	for (size_t j = 0; j < s.n; j++) {
		uint64_t key = s.p[j][0], id = (key >> 40) - 1, k = key & ((1ull << 40) - 1);
		CHECK_LT(id, KV_CLIENTS);
		CHECK_LT(k, KV_SPACE);
		CHECK(c[id].m.live[k]);
		CHECK_EQU(s.p[j][1], c[id].m.val[k]);
	}
	free(s.p);
	free(c);
	o->destroy(kv);
}

/* ================================================================ wordcount */

enum { WC_VOCAB = 64, WC_CLIENTS = 4 };
typedef struct wc_client {
	tctx *t;
	wl_wordcount *w;
	char (*vocab)[24];
	uint32_t id;
	uint64_t mine[WC_VOCAB];
} wc_client;

static void *wc_client_main(void *p)
{
	wc_client *c = p;
	v_rng r = {c->t->seed ^ ((uint64_t)c->id << 48)};
	uint64_t ops = 4000 / V_SCALE;
	for (uint64_t i = 0; i < ops; i++) {
		uint32_t k = (uint32_t)v_below(&r, WC_VOCAB / 2 + c->id * 8); /* some words stay unused by some */
		uint64_t n = wordcount_add(c->w, c->vocab[k]);
		c->mine[k]++;
		CHECK_GE(n, c->mine[k]); /* counts every add of ours, and maybe others' */
		v_tick(&c->t->wd);
	}
	return NULL;
}

static void t_wordcount(tctx *t)
{
	wl_wordcount *w = wordcount_create(&t->cfg);
	CHECK(w != NULL);
	wc_entry *e;
	size_t n = wordcount_get_counts(w, &e);
	CHECK_EQ(n, 0);
	wordcount_free_counts(e, n);
	CHECK_EQU(wordcount_add(w, "apple"), 1);
	CHECK_EQU(wordcount_add(w, "apple"), 2);
	CHECK_EQU(wordcount_add(w, "banana"), 1);
	CHECK_EQU(wordcount_add(w, ""), 1);
	char *longw = malloc(3001);
	CHECK(longw != NULL);
	memset(longw, 'z', 3000);
	longw[3000] = 0;
	CHECK_EQU(wordcount_add(w, longw), 1);
	char buf[8] = "apple"; /* same bytes, other address: keys are compared by content */
	CHECK_EQU(wordcount_add(w, buf), 3);
	n = wordcount_get_counts(w, &e);
	CHECK_EQ(n, 4);
	CHECK(!strcmp(e[0].word, ""));
	CHECK_EQU(e[0].count, 1);
	CHECK(!strcmp(e[1].word, "apple"));
	CHECK_EQU(e[1].count, 3);
	CHECK(!strcmp(e[2].word, "banana"));
	CHECK_EQU(e[2].count, 1);
	CHECK(!strcmp(e[3].word, longw));
	CHECK_EQU(e[3].count, 1);
	wordcount_free_counts(e, n);
	free(longw);
	wordcount_destroy(w);
	v_tick(&t->wd);

	/* concurrent clients over a seeded vocabulary */
	w = wordcount_create(&t->cfg);
	CHECK(w != NULL);
	char(*vocab)[24] = calloc(WC_VOCAB, sizeof *vocab);
	CHECK(vocab != NULL);
	v_rng r = {t->seed};
	for (uint32_t i = 0; i < WC_VOCAB; i++) { /* the index prefix keeps them distinct */
		uint64_t bits = v_next(&r);
		bits >>= v_below(&r, 60); /* varied lengths */
		snprintf(vocab[i], sizeof vocab[i], "%02u%" PRIx64, i, bits);
	}
	wc_client *c = calloc(WC_CLIENTS, sizeof *c);
	CHECK(c != NULL);
	for (uint32_t i = 0; i < WC_CLIENTS; i++) {
		c[i].t = t;
		c[i].w = w;
		c[i].vocab = vocab;
		c[i].id = i;
	}
	run_threads(WC_CLIENTS, wc_client_main, c, sizeof c[0]);
	n = wordcount_get_counts(w, &e);
	size_t used = 0;
	for (uint32_t k = 0; k < WC_VOCAB; k++) {
		uint64_t want = 0;
		for (uint32_t i = 0; i < WC_CLIENTS; i++)
			want += c[i].mine[k];
		if (!want)
			continue;
		used++;
		wc_entry *hit = NULL;
		for (size_t j = 0; j < n && !hit; j++)
			if (!strcmp(e[j].word, vocab[k]))
				hit = &e[j];
		CHECK(hit != NULL);
		CHECK_EQU(hit->count, want);
	}
	CHECK_EQ(n, used); /* nothing that was never added */
	for (size_t j = 1; j < n; j++)
		CHECK_LT(strcmp(e[j - 1].word, e[j].word), 0); /* sorted, no duplicates */
	wordcount_free_counts(e, n);
	free(c);
	free(vocab);
	wordcount_destroy(w);
}

/* ================================================================ logger */

static void check_logger(tctx *t, uint32_t workers, uint64_t records, uint32_t flush_every)
{
	logger_result r = logger_run(&t->cfg, workers, records, flush_every);
	uint64_t sent = (uint64_t)workers * records;
	printf("  logger W=%u records=%" PRIu64 " flush_every=%u: sent %" PRIu64 " flushed %" PRIu64
	       " in %" PRIu64 " flushes\n",
	       workers, records, flush_every, r.sent, r.flushed, r.flushes);
	CHECK_EQU(r.sent, sent);
	CHECK_EQU(r.flushed, r.sent); /* the drain on stop lost nothing */
	CHECK(r.in_order);
	/* full buffers flush as they fill; the remainder only in on_stop */
	CHECK_EQU(r.flushes, sent / flush_every + (sent % flush_every != 0));
	v_tick(&t->wd);
}

static void t_logger(tctx *t)
{
	check_logger(t, 4, 10000 / V_SCALE, 64);
	check_logger(t, 3, 500, 1507); /* only the on_stop flush */
	check_logger(t, 2, 100, 1);
}

/* ================================================================ broadcast */

static void check_broadcast(tctx *t, uint32_t m, uint64_t messages)
{
	uint64_t delivered = 0;
	bool ok = broadcast_run(&t->cfg, m, messages, &delivered);
	printf("  broadcast M=%u messages=%" PRIu64 ": delivered %" PRIu64 "\n", m, messages, delivered);
	CHECK(ok);
	CHECK_EQU(delivered, (uint64_t)m * messages);
	v_tick(&t->wd);
}

static void t_broadcast(tctx *t)
{
	check_broadcast(t, 8, 10000 / V_SCALE);
	check_broadcast(t, 1, 1);
	check_broadcast(t, 3, 0);
}

/* ================================================================ equivalence */

/* One seeded single-client stream of bank, counter and kv ops, replayed on a
 * backend and on a plain sequential model: every answer must match the
 * model's, and so must the final state. */
enum { EQ_ACCTS = 4, EQ_KEYS = 64 };
typedef struct eq_state {
	int64_t bal[EQ_ACCTS], total;
	uint64_t counter;
	bool live[EQ_KEYS];
	uint64_t val[EQ_KEYS];
	bool has_bank, has_counter, has_kv;
} eq_state;

static void eq_run(tctx *t, const wl_backend *be, const wl_config *cfg, eq_state *out)
{
	memset(out, 0, sizeof *out);
	eq_state m; /* the model */
	memset(&m, 0, sizeof m);
	wl_bank *b = be->bank ? be->bank->create(cfg, EQ_ACCTS, 100) : NULL;
	wl_counter *c = be->counter ? be->counter->create(cfg) : NULL;
	wl_kv *kv = be->kv ? be->kv->create(cfg) : NULL;
	CHECK(!be->bank || b);
	CHECK(!be->counter || c);
	CHECK(!be->kv || kv);
	for (int i = 0; i < EQ_ACCTS; i++)
		m.bal[i] = 100;
	v_rng r = {t->seed};
	uint64_t ops = 6000 / V_SCALE, v;
	for (uint64_t i = 0; i < ops; i++) {
		uint64_t what = v_below(&r, 3), k = v_below(&r, 100);
		uint32_t x = (uint32_t)v_below(&r, EQ_ACCTS), y = (uint32_t)v_below(&r, EQ_ACCTS);
		int64_t amt = (int64_t)v_below(&r, 150);
		uint32_t key_i = (uint32_t)v_below(&r, EQ_KEYS);
		uint64_t key = key_of(0, key_i), val = v_next(&r);
		if (what == 0 && b) {
			const bank_ops *o = be->bank;
			if (k < 40) {
				int want = m.bal[x] >= amt ? WL_OK : WL_INSUFFICIENT;
				if (want == WL_OK) {
					m.bal[x] -= amt;
					m.bal[y] += amt;
				}
				CHECK_EQ(o->transfer(b, x, y, amt), want);
			} else if (k < 60) {
				m.bal[x] += amt;
				CHECK_EQ(o->deposit(b, x, amt), WL_OK);
			} else if (k < 80) {
				int want = m.bal[x] >= amt ? WL_OK : WL_INSUFFICIENT;
				if (want == WL_OK)
					m.bal[x] -= amt;
				CHECK_EQ(o->withdraw(b, x, amt), want);
			} else {
				CHECK_EQ(o->balance(b, x), m.bal[x]);
			}
		} else if (what == 1 && c) {
			if (k < 80) {
				m.counter += val >> 48;
				be->counter->add(c, val >> 48);
			} else {
				CHECK_EQU(be->counter->get(c), m.counter);
			}
		} else if (what == 2 && kv) {
			const kv_ops *o = be->kv;
			if (k < 45) {
				m.live[key_i] = true;
				m.val[key_i] = val;
				o->set(kv, key, val);
			} else if (k < 75) {
				int e = o->get(kv, key, &v);
				CHECK_EQ(e, m.live[key_i] ? WL_OK : WL_NOTFOUND);
				if (e == WL_OK)
					CHECK_EQU(v, m.val[key_i]);
			} else {
				CHECK_EQ(o->del(kv, key), m.live[key_i] ? WL_OK : WL_NOTFOUND);
				m.live[key_i] = false;
			}
		}
		v_tick(&t->wd);
	}
	/* final state, read back through the backend */
	if (b) {
		out->has_bank = true;
		for (int i = 0; i < EQ_ACCTS; i++) {
			out->bal[i] = be->bank->balance(b, (uint32_t)i);
			CHECK_EQ(out->bal[i], m.bal[i]);
			m.total += m.bal[i];
		}
		out->total = be->bank->total(b);
		CHECK_EQ(out->total, m.total);
		be->bank->destroy(b);
	}
	if (c) {
		out->has_counter = true;
		out->counter = be->counter->get(c);
		CHECK_EQU(out->counter, m.counter);
		be->counter->destroy(c);
	}
	if (kv) {
		out->has_kv = true;
		kv_pairs s = dump_sorted(be->kv, kv, EQ_KEYS);
		for (size_t j = 0; j < s.n; j++) {
			uint32_t hit = EQ_KEYS;
			for (uint32_t i = 0; i < EQ_KEYS && hit == EQ_KEYS; i++)
				if (key_of(0, i) == s.p[j][0])
					hit = i;
			CHECK_LT(hit, EQ_KEYS); /* a key that was never set */
			CHECK(!out->live[hit]);
			out->live[hit] = true;
			out->val[hit] = s.p[j][1];
		}
		free(s.p);
		for (uint32_t i = 0; i < EQ_KEYS; i++) {
			CHECK_EQ(out->live[i], m.live[i]);
			if (m.live[i])
				CHECK_EQU(out->val[i], m.val[i]);
		}
		be->kv->destroy(kv);
	}
}

static void eq_compare(const char *a, const eq_state *x, const char *b, const eq_state *y)
{
	printf("  equivalence: %s == %s (", a, b);
	if (x->has_bank && y->has_bank) {
		for (int i = 0; i < EQ_ACCTS; i++)
			CHECK_EQ(x->bal[i], y->bal[i]);
		CHECK_EQ(x->total, y->total);
		printf(" bank");
	}
	if (x->has_counter && y->has_counter) {
		CHECK_EQU(x->counter, y->counter);
		printf(" counter");
	}
	if (x->has_kv && y->has_kv) {
		for (int i = 0; i < EQ_KEYS; i++) {
			CHECK_EQ(x->live[i], y->live[i]);
			CHECK_EQU(x->val[i], y->val[i]);
		}
		printf(" kv");
	}
	printf(" )\n");
}

/* The stream on this backend against the model; for the actor version, also
 * on every shared-state baseline, final states compared pairwise. */
static void t_equivalence(tctx *t)
{
	eq_state mine, other;
	eq_run(t, t->be, &t->cfg, &mine);
	if (!t->be->is_actor)
		return;
	const wl_config plain = {.mailbox = NULL, .capacity = 0, .spin = -1};
	for (size_t i = 0; wl_backends[i]; i++) {
		const wl_backend *be = wl_backends[i];
		if (be->is_actor)
			continue;
		eq_run(t, be, &plain, &other);
		eq_compare(t->be->name, &mine, be->name, &other);
	}
}

/* ================================================================ driver */

enum { N_BANK = 1u << 0, N_COUNTER = 1u << 1, N_KV = 1u << 2, N_ACTOR = 1u << 3, N_ANY = 1u << 4 };

typedef struct test_def {
	v_test t; /* name, timeout, N_*: what the backend must offer */
	void (*fn)(tctx *t);
} test_def;

static const test_def tests[] = {
	{{"bank_basic", 120, N_BANK}, t_bank_basic},
	{{"bank_concurrent", 120, N_BANK}, t_bank_concurrent},
	{{"counter", 120, N_COUNTER}, t_counter},
	{{"kv_basic", 120, N_KV}, t_kv_basic},
	{{"kv_concurrent", 120, N_KV}, t_kv_concurrent},
	{{"wordcount", 120, N_ACTOR}, t_wordcount},
	{{"logger", 120, N_ACTOR}, t_logger},
	{{"broadcast", 120, N_ACTOR}, t_broadcast},
	{{"equivalence", 120, N_ANY}, t_equivalence},
};
enum { NTESTS = sizeof tests / sizeof tests[0] };

/* What one case runs on: a backend, and for the actor one a mailbox config. */
typedef struct wl_case {
	const wl_backend *be;
	wl_config cfg;
	bool pooled; /* cfg.pool is made per run */
} wl_case;

static bool applies(const v_test *t, const v_case *c)
{
	const wl_backend *be = ((const wl_case *)c->ctx)->be;
	if ((t->needs & N_BANK) && !be->bank)
		return false;
	if ((t->needs & N_COUNTER) && !be->counter)
		return false;
	if ((t->needs & N_KV) && !be->kv)
		return false;
	if ((t->needs & N_ACTOR) && !be->is_actor)
		return false;
	if ((t->needs & N_ANY) && !be->bank && !be->counter && !be->kv)
		return false;
	return true;
}

static void usage(const v_suite *s, FILE *f)
{
	(void)s;
	fprintf(f,
	        "usage: %s [--list] [--workload NAME] [--backend NAME] [--mailbox NAME]\n"
	        "          [--capacity N] [--mode thread|pool|both] [--workers N] [--seed S]\n"
	        "  --list           print 'name timeout args...' for every applicable combination (ctest)\n"
	        "  --workload NAME  run only this test (default: all that apply)\n"
	        "  --backend NAME   run only this backend (default: all in wl_backends)\n"
	        "  --mailbox NAME   actor backend: run only over this mailbox (default: all in the table)\n"
	        "  --capacity N     actor backend: mailbox capacity, 'default' or 'unbounded' (default:\n"
	        "                   each of: the kind's default, %d where the kind is bounded, unbounded\n"
	        "                   where it can be and is not by default)\n"
	        "  --mode M         actor backend: 'thread' per actor (default), 'pool' (every actor\n"
	        "                   on one act_pool per test) or 'both'\n"
	        "  --workers N      pooled mode: the pool's workers, 1..1024 (default %d)\n"
	        "  --seed S         seed for the random parts (default: from the clock; printed)\n"
	        "  --help           this text\n"
	        "tests:",
	        PROG, SMALL_CAP, POOL_WORKERS);
	for (int t = 0; t < NTESTS; t++)
		fprintf(f, " %s", tests[t].t.name);
	fprintf(f, "\n");
}

static bool cap_fits(const mbx_ops *o, uint32_t cap)
{
	mbx *probe = mbx_create(o, cap, -1);
	if (probe)
		mbx_destroy(probe);
	return probe != NULL;
}

/* The capacities an actor run covers for one mailbox kind (none when a
 * given --capacity does not fit the kind). */
static size_t caps_for(const mbx_ops *o, bool cap_given, uint32_t cap, uint32_t out[3])
{
	if (cap_given) {
		out[0] = cap;
		return cap_fits(o, cap) ? 1 : 0;
	}
	size_t n = 0;
	out[n++] = 0;
	if (o->caps & MBX_CAP_BOUNDED)
		out[n++] = SMALL_CAP;
	/* a kind that is bounded by default but can run without a limit */
	if ((o->caps & MBX_CAP_UNBOUNDED) && o->default_capacity != MBX_UNBOUNDED)
		out[n++] = MBX_UNBOUNDED;
	return n;
}

/* Own flags and their values (the driver keeps --mailbox, --workload, --seed). */
static const char *opt_backend, *opt_cap_s; /* --backend, --capacity as given */
static uint32_t opt_cap;
static bool opt_thread = true, opt_pool; /* --mode */
static unsigned opt_workers = POOL_WORKERS;

static int own_flag(v_suite *s, int argc, char **argv, int *i)
{
	(void)s;
	if (!strcmp(argv[*i], "--backend"))
		opt_backend = cli_value(PROG, argc, argv, i);
	else if (!strcmp(argv[*i], "--capacity")) {
		opt_cap_s = cli_value(PROG, argc, argv, i);
		opt_cap = !strcmp(opt_cap_s, "unbounded") ? MBX_UNBOUNDED
		          : !strcmp(opt_cap_s, "default")
		              ? 0
		              : (uint32_t)cli_u64(PROG, "--capacity", opt_cap_s, 2, 1u << 30);
	} else if (!strcmp(argv[*i], "--mode")) {
		const char *m = cli_value(PROG, argc, argv, i);
		opt_thread = !strcmp(m, "thread") || !strcmp(m, "both");
		opt_pool = !strcmp(m, "pool") || !strcmp(m, "both");
		if (!opt_thread && !opt_pool)
			cli_die(PROG, "unknown mode '%s': want thread, pool or both", m);
	} else if (!strcmp(argv[*i], "--workers")) {
		opt_workers = (unsigned)cli_u64(PROG, "--workers", cli_value(PROG, argc, argv, i), 1, 1024);
	} else
		return 0;
	return 1;
}

static void validate(v_suite *s)
{
	const char *mb = s->mailbox;
	v_suite_check_test(s);
	if (opt_backend && !wl_find_backend(opt_backend))
		cli_die(PROG, "unknown backend '%s'", opt_backend);
	v_suite_check_mailbox(s);
	if ((mb || opt_cap_s) && opt_backend && !wl_find_backend(opt_backend)->is_actor)
		cli_die(PROG, "--mailbox/--capacity apply to the actor backend, not to '%s'", opt_backend);
	if (!opt_thread && opt_backend && !wl_find_backend(opt_backend)->is_actor)
		cli_die(PROG, "--mode pool applies to the actor backend, not to '%s'", opt_backend);
	if (opt_cap_s && mb && !cap_fits(mbx_find(mb), opt_cap)) /* refused before any actor starts */
		cli_die(PROG, "capacity '%s' is not valid for mailbox '%s'", opt_cap_s, mb);
}

/* Each backend; the actor one over each mailbox and each capacity it covers. */
static void cases(v_suite *s)
{
	const char *mb = s->mailbox;
	for (size_t bi = 0; wl_backends[bi]; bi++) {
		const wl_backend *be = wl_backends[bi];
		if ((opt_backend && strcmp(be->name, opt_backend)) ||
		    (!be->is_actor && (mb || opt_cap_s || !opt_thread)))
			continue;
		/* shared-state backends run once, with no mailbox */
		size_t nmb = be->is_actor ? mbx_table_len() : 1;
		for (size_t k = 0; k < nmb; k++) {
			const mbx_ops *o = be->is_actor ? mbx_table[k] : NULL;
			if (o && mb && strcmp(o->name, mb))
				continue;
			uint32_t caps[3];
			size_t ncaps = o ? caps_for(o, opt_cap_s != NULL, opt_cap, caps) : 1;
			for (size_t ci = 0; ci < ncaps; ci++) {
				uint32_t c = o ? caps[ci] : 0;
				char where[128], args[160];
				if (!o) {
					snprintf(where, sizeof where, "%s", be->name);
					snprintf(args, sizeof args, "--backend %s", be->name);
				} else if (c == 0) {
					snprintf(where, sizeof where, "%s/%s", be->name, o->name);
					snprintf(args, sizeof args, "--backend %s --mailbox %s --capacity default", be->name,
					         o->name);
				} else if (c == MBX_UNBOUNDED) {
					snprintf(where, sizeof where, "%s/%s.unbounded", be->name, o->name);
					snprintf(args, sizeof args, "--backend %s --mailbox %s --capacity unbounded",
					         be->name, o->name);
				} else {
					snprintf(where, sizeof where, "%s/%s.cap%u", be->name, o->name, c);
					snprintf(args, sizeof args, "--backend %s --mailbox %s --capacity %u", be->name,
					         o->name, c);
				}
				wl_case wc = {.be = be, .cfg = {.mailbox = o, .capacity = c, .spin = -1}};
				if (!o || opt_thread)
					v_suite_case(s, &(v_case){.where = where, .args = args, .ops = o, .ctx = &wc});
				if (o && opt_pool) { /* the same case, every actor on a pool */
					char pwhere[160], pargs[200];
					snprintf(pwhere, sizeof pwhere, "%s/pool", where);
					snprintf(pargs, sizeof pargs, "%s --mode pool", args);
					wc.pooled = true;
					v_suite_case(s, &(v_case){.where = pwhere, .args = pargs, .ops = o, .ctx = &wc});
				}
			}
		}
	}
}

static void dump_pool(void *p)
{
	act_pool_stats s = act_pool_get_stats(p);
	fprintf(stderr,
	        "  pool: turns=%" PRIu64 " steals=%" PRIu64 " injects=%" PRIu64 " parks=%" PRIu64 " wakes=%" PRIu64
	        " helps=%" PRIu64 " live=%" PRId64 "\n",
	        s.turns, s.steals, s.injects, s.parks, s.wakes, s.helps, s.live);
}

static void run_test(const v_test *vt, const v_case *c, uint64_t seed)
{
	const wl_case *wc = c->ctx;
	tctx t = {.be = wc->be, .cfg = wc->cfg, .seed = seed};
	if (wc->pooled) {
		t.cfg.pool = act_pool_create(&(act_pool_config){.workers = opt_workers, .batch = 0, .spin = -1});
		if (!t.cfg.pool) {
			fprintf(stderr, "%s: act_pool_create(%u workers) failed: %s\n", PROG, opt_workers,
			        strerror(errno));
			abort();
		}
		t.wd.dump = dump_pool;
		t.wd.ctx = t.cfg.pool;
	}
	v_watchdog_start(&t.wd, WATCHDOG_S, vt->name);
	((const test_def *)(const void *)vt)->fn(&t);
	v_watchdog_stop(&t.wd); /* before the pool goes: its dump reads the pool */
	if (t.cfg.pool) {
		/* every workload joined its actors: the pool is empty (a
		 * terminated actor may be counted out just after its join) */
		act_pool_stats ps = act_pool_get_stats(t.cfg.pool);
		for (int i = 0; i < 5000 && ps.live; i++) {
			v_sleep_ms(1);
			ps = act_pool_get_stats(t.cfg.pool);
		}
		CHECK_EQ(ps.live, 0);
		CHECK_GT(ps.turns, 0); /* the actors really ran on the pool */
		printf("  pool (%u workers): %" PRIu64 " turns, %" PRIu64 " steals, %" PRIu64 " helps\n",
		       opt_workers, ps.turns, ps.steals, ps.helps);
		act_pool_destroy(t.cfg.pool); /* aborts by itself after 10 s */
	}
	fflush(stdout);
}

static void done(v_suite *s)
{
	if (s->ran == 0)
		cli_die(PROG, "no test matches (workload '%s', backend '%s')", s->test ? s->test : "*",
		        opt_backend ? opt_backend : "*");
}

int main(int argc, char **argv)
{
	v_suite s = {.prog = PROG, .label = "workloads", .test_flag = "--workload", V_SUITE_TESTS(tests),
	             .usage = usage, .run = run_test, .flag = own_flag, .validate = validate, .cases = cases,
	             .applies = applies, .done = done};
	return v_suite_main(&s, argc, argv);
}
