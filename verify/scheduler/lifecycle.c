/* lifecycle.c: actors come and go on a pool: 10^5 actors with one message
 * each, and actors stopped before, while and after their first turn; each
 * runs on_start once, then on_stop once. */
#include <inttypes.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "sched.h"

/* ---------------------------------------------------------------- many_actors */

/* 10^5 pooled actors (2*10^4 in sanitizer builds: at 10^5, ck_fifo under
 * ASan takes 1 GB), smallest legal capacity, one message each, stop (a
 * quarter right after the send, racing the first turn), join, release. */
void t_many_actors(tctx *t)
{
	const uint32_t n = V_SCALE > 1 ? 20000 : 100000;
	act_pool *p = sched_pool_new(t, workers_or(4), 0, -1);
	uint32_t cap = v_cap_at_least(t->ops, 2);
	v_probe *st = calloc(n, sizeof *st);
	act_ref *r = malloc(n * sizeof *r);
	uint32_t *order = malloc(n * sizeof *order);
	uint8_t *stopped = calloc(n, 1);
	CHECK(st && r && order && stopped);
	v_rng g = {t->seed};
	for (uint32_t i = 0; i < n; i++) {
		r[i] = v_spawn_probe(&st[i], t->ops, cap, p);
		order[i] = i;
		if (!(i & 1023))
			v_tick(&t->wd);
	}
	for (uint32_t i = n - 1; i > 0; i--) { /* sends in a seeded random order */
		uint32_t j = (uint32_t)v_below(&g, i + 1), x = order[i];
		order[i] = order[j];
		order[j] = x;
	}
	for (uint32_t k = 0; k < n; k++) {
		uint32_t i = order[k];
		v_send_ok(r[i], PR_ADD, v_payload(t->seed, 0, i));
		if (v_below(&g, 4) == 0) {
			CHECK_EQ(act_stop(r[i]), ACT_OK);
			stopped[i] = 1;
		}
		if (!(k & 1023))
			v_tick(&t->wd);
	}
	for (uint32_t i = 0; i < n; i++)
		if (!stopped[i])
			CHECK_EQ(act_stop(r[i]), ACT_OK);
	for (uint32_t i = 0; i < n; i++) {
		CHECK_EQ(act_join(r[i]), ACT_OK);
		if (!(i & 1023))
			v_tick(&t->wd);
	}
	uint64_t handled = 0;
	for (uint32_t i = 0; i < n; i++) {
		CHECK_EQ(atomic_load(&st[i].starts), 1);
		CHECK_EQ(atomic_load(&st[i].stops), 1);
		CHECK_EQ(atomic_load(&st[i].starts_at_stop), 1);
		CHECK_EQU(st[i].count, 1); /* sent before stop: handled exactly once */
		CHECK_EQU(st[i].sum, v_payload(t->seed, 0, i));
		handled += st[i].count;
		act_stats s = act_get_stats(r[i]);
		CHECK_EQU(s.handled, 1);
		CHECK_EQU(s.dead_letters, 0);
		act_release(r[i]);
	}
	CHECK_EQU(handled, n);
	act_pool_stats ps = sched_pool_free(t, p);
	v_pool_print(stdout, "pool", ps);
	CHECK_GE(ps.turns, n); /* each actor ran at least one turn */
	printf("  %u actors (capacity %u): each handled its message once\n", n, cap);
	free(st);
	free(r);
	free(order);
	free(stopped);
}

/* ---------------------------------------------------------------- stop_idle */

/* Stop actors that were never sent anything: right after spawn (racing the
 * first turn), once on_start ran, and after a message and a pause (idle,
 * workers parked). Each runs on_start once, then on_stop once. */
void t_stop_idle(tctx *t)
{
	enum { N = 96 };
	act_pool *p = sched_pool_new(t, workers_or(2), 0, -1);
	v_probe *st = calloc(N, sizeof *st);
	act_ref r[N];
	CHECK(st != NULL);
	for (int i = 0; i < N; i++) {
		r[i] = v_spawn_probe(&st[i], t->ops, v_cap_at_least(t->ops, 2), p);
		if (i % 3 == 0)
			CHECK_EQ(act_stop(r[i]), ACT_OK);
	}
	for (int i = 0; i < N; i++) {
		if (i % 3 == 1) {
			while (!atomic_load(&st[i].starts))
				v_sleep_ms(1); /* the watchdog bounds this */
		} else if (i % 3 == 2) {
			v_ask_ok(r[i], PR_ADD, 0, 0);
		}
	}
	v_sleep_ms(20); /* idle: workers park */
	v_tick(&t->wd);
	for (int i = 0; i < N; i++)
		if (i % 3 != 0)
			CHECK_EQ(act_stop(r[i]), ACT_OK);
	for (int i = 0; i < N; i++) {
		CHECK_EQ(act_join(r[i]), ACT_OK);
		CHECK_EQ(atomic_load(&st[i].starts), 1);
		CHECK_EQ(atomic_load(&st[i].stops), 1);
		CHECK_EQ(atomic_load(&st[i].starts_at_stop), 1); /* on_start before on_stop */
		CHECK_EQU(st[i].count, i % 3 == 2);
		CHECK_EQU(act_get_stats(r[i]).handled, i % 3 == 2);
		act_release(r[i]);
	}
	sched_pool_free(t, p);
	free(st);
}
