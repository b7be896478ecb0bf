/* kv.c: the key-value workload on every backend that offers one: exact
 * answers against a model (edge keys included), then concurrent clients on
 * disjoint key ranges. Also the dump helpers equivalence.c uses. */
#include <inttypes.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "wltest.h"

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

kv_pairs dump_sorted(const kv_ops *o, wl_kv *kv, size_t cap)
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

uint64_t key_of(uint64_t base, uint32_t i)
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

void t_kv_basic(tctx *t)
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
	static const uint64_t want[4][2] = {
	    {0, 1}, {1, 0}, {UINT64_MAX - 1, UINT64_MAX}, {UINT64_MAX, UINT64_MAX - 1}};
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
void t_kv_concurrent(tctx *t)
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
