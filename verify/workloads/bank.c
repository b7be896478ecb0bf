/* bank.c: the bank workload on every backend that offers one: exact
 * answers on one thread, then concurrent clients whose logged effects give
 * every account's final balance exactly. */
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "wltest.h"

static wl_bank *bank_new(tctx *t, uint32_t n, int64_t initial)
{
	wl_bank *b = t->be->bank->create(&t->cfg, n, initial);
	if (!b) {
		fprintf(stderr, "%s: %s bank create(%u) failed: %s\n", WL_PROG, t->be->name, n,
		        strerror(errno));
		abort();
	}
	return b;
}

void t_bank_basic(tctx *t)
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
void t_bank_concurrent(tctx *t)
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
		printf("  %u accounts: %" PRIu64 " transfers ok, %" PRIu64 " insufficient, total %" PRId64
		       "\n",
		       n, ok, insufficient, want_total);
		o->destroy(b);
	}
}
