/* equivalence.c: one seeded stream of bank, counter and kv ops replayed on
 * a backend and on a sequential model: every answer and the final state
 * must match; the actor backend is also compared with every baseline. */
#include <inttypes.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "wltest.h"

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
void t_equivalence(tctx *t)
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
