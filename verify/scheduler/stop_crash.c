/* stop_crash.c: self-stop, crash and act_panic answer exactly as in thread
 * mode (the same scenario run both ways), a panic inside a helped turn, and
 * pool creation and destruction (bad configs, handles outliving the pool,
 * destroy waiting for an actor still in on_stop). */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "sched.h"

/* ---------------------------------------------------------------- self_stop, crash */

/* What a scenario showed; compared between thread and pooled mode. */
typedef struct obs {
	int first, stop_again, send_after, ask_after, join, join_again;
	uint64_t count, handled, dead, starts, stops;
} obs;

static void obs_print(const char *what, const obs *o)
{
	printf("  %-8s first=%s stop_again=%s send_after=%s ask_after=%s join=%s count=%" PRIu64
	       " handled=%" PRIu64 " dead=%" PRIu64 " starts=%" PRIu64 " stops=%" PRIu64 "\n",
	       what, act_strerror(o->first), act_strerror(o->stop_again), act_strerror(o->send_after),
	       act_strerror(o->ask_after), act_strerror(o->join), o->count, o->handled, o->dead, o->starts,
	       o->stops);
}

static void obs_same(const obs *x, const obs *y)
{
	CHECK_EQ(x->first, y->first);
	CHECK_EQ(x->stop_again, y->stop_again);
	CHECK_EQ(x->send_after, y->send_after);
	CHECK_EQ(x->ask_after, y->ask_after);
	CHECK_EQ(x->join, y->join);
	CHECK_EQ(x->join_again, y->join_again);
	CHECK_EQU(x->count, y->count);
	CHECK_EQU(x->handled, y->handled);
	CHECK_EQU(x->dead, y->dead);
	CHECK_EQU(x->starts, y->starts);
	CHECK_EQU(x->stops, y->stops);
}

enum { SC_SELF_STOP, SC_CRASH_QUEUED, SC_ASK_CRASH, SC_ASK_PANIC };

/* One scenario on one actor (pool == NULL: thread mode). A hold keeps the
 * actor inside a handler while the rest is queued, so the order of what it
 * sees is fixed in both modes. */
static obs scenario(const mbx_ops *ops, act_pool *pool, int sc)
{
	v_probe *p = calloc(1, sizeof *p);
	CHECK(p != NULL);
	act_ref r = v_spawn_probe(p, ops, 0, pool);
	obs o = {0};
	mbx_msg rep, get = {.tag = PR_GET}, add = {.tag = PR_ADD};
	switch (sc) {
	case SC_SELF_STOP: /* queued before and after the ACT_STOP: all handled */
	case SC_CRASH_QUEUED: /* queued behind the crash: dead letters */
		v_send_ok(r, PR_HOLD, 0);
		v_wait_flag(&p->held);
		for (int i = 0; i < 5; i++)
			v_send_ok(r, PR_ADD, 0);
		v_send_ok(r, sc == SC_SELF_STOP ? PR_STOP : PR_CRASH, 0);
		for (int i = 0; i < 3; i++)
			v_send_ok(r, PR_ADD, 0);
		atomic_store(&p->release, 1);
		o.first = act_join(r);
		break;
	case SC_ASK_CRASH:
	case SC_ASK_PANIC: {
		mbx_msg m = {.tag = sc == SC_ASK_CRASH ? PR_CRASH : PR_PANIC};
		o.first = act_ask(r, &m, &rep, 10 * V_SEC);
		break;
	}
	}
	/* after the join: the ECRASHED reply precedes the crash's close, so
	 * a stop or send right after it may still find the mailbox open */
	o.join = act_join(r); /* EALREADY where `first` was the join */
	o.stop_again = act_stop(r);
	o.send_after = act_send(r, &add);
	o.ask_after = act_ask(r, &get, &rep, 10 * V_SEC);
	o.join_again = act_join(r);
	act_stats s = act_get_stats(r);
	o.count = p->count; /* after join: the actor is gone */
	o.handled = s.handled;
	o.dead = s.dead_letters;
	o.starts = atomic_load(&p->starts);
	o.stops = atomic_load(&p->stops);
	act_release(r);
	free(p);
	return o;
}

/* Thread mode and pooled mode must answer alike; the thread-mode answers
 * are also pinned (actor_test covers them; here they anchor the compare). */
static void compare_modes(tctx *t, const char *name, int sc, const obs *want)
{
	act_pool *p = sched_pool_new(t, workers_or(2), 0, -1);
	obs th = scenario(t->ops, NULL, sc), po = scenario(t->ops, p, sc);
	sched_pool_free(t, p);
	printf("  %s:\n", name);
	obs_print("thread", &th);
	obs_print("pooled", &po);
	obs_same(&th, want);
	obs_same(&po, &th);
	v_tick(&t->wd);
}

void t_self_stop(tctx *t)
{
	obs want = {.first = ACT_OK, .stop_again = ACT_EALREADY, .send_after = ACT_ESTOPPED,
	            .ask_after = ACT_ESTOPPED, .join = ACT_EALREADY, .join_again = ACT_EALREADY,
	            .count = 8, .handled = 10, .dead = 0, .starts = 1, .stops = 1};
	compare_modes(t, "self_stop", SC_SELF_STOP, &want);
}

void t_crash(tctx *t)
{
	obs want = {.first = ACT_OK, .stop_again = ACT_EALREADY, .send_after = ACT_ESTOPPED,
	            .ask_after = ACT_ESTOPPED, .join = ACT_EALREADY, .join_again = ACT_EALREADY,
	            .count = 5, .handled = 7, .dead = 3, .starts = 1, .stops = 1};
	compare_modes(t, "crash with queued messages", SC_CRASH_QUEUED, &want);
	want = (obs){.first = ACT_ECRASHED, .stop_again = ACT_EALREADY, .send_after = ACT_ESTOPPED,
	             .ask_after = ACT_ESTOPPED, .join = ACT_OK, .join_again = ACT_EALREADY,
	             .count = 0, .handled = 1, .dead = 0, .starts = 1, .stops = 1};
	compare_modes(t, "ask, handler returns ACT_CRASH", SC_ASK_CRASH, &want);
	compare_modes(t, "ask, handler calls act_panic", SC_ASK_PANIC, &want);

	/* a panic in a turn run by helping (inside the asker's wait) unwinds
	 * only that turn: the asker gets ECRASHED and carries on */
	act_pool *p = sched_pool_new(t, 1, 0, -1);
	v_probe *pa = calloc(1, sizeof *pa), *pb = calloc(1, sizeof *pb);
	CHECK(pa && pb);
	act_ref a = v_spawn_probe(pa, t->ops, 0, p), b = v_spawn_probe(pb, t->ops, 0, p);
	pa->peer = b;
	CHECK_EQ(v_ask_ok(a, PR_ASK_PEER, PR_PANIC, 0).a, ACT_ECRASHED);
	CHECK_EQU(v_ask_ok(a, PR_ADD, 0, 0).b, 1); /* A alive and well */
	CHECK_EQ(act_join(b), ACT_OK);
	CHECK_EQ(atomic_load(&pb->stops), 1);
	CHECK_EQ(v_ask_ok(a, PR_ASK_PEER, PR_GET, 0).a, ACT_ESTOPPED);
	v_finish(a);
	act_release(b);
	CHECK_EQ(atomic_load(&pa->stops), 1);
	sched_pool_free(t, p);
	free(pa);
	free(pb);
}

/* ---------------------------------------------------------------- pool_destroy_checks */

static void slow_stop(void *s, act_ctx *ctx)
{
	v_sleep_ms(50);
	v_probe_stop(s, ctx);
}
static const act_behavior slow_stop_b = {"slowstop", v_probe_handle, v_probe_start, slow_stop};

void t_pool_destroy_checks(tctx *t)
{
	/* bad configs are refused */
	errno = 0;
	CHECK(act_pool_create(&(act_pool_config){.workers = 1025, .batch = 0, .spin = -1}) == NULL);
	CHECK_EQ(errno, EINVAL);
	errno = 0;
	CHECK(act_pool_create(&(act_pool_config){.workers = 1, .batch = (1u << 20) + 1, .spin = -1}) == NULL);
	CHECK_EQ(errno, EINVAL);
	/* workers 0: one per CPU this process may use; destroyed with no actor ever */
	cpu_set_t cs;
	CHECK_EQ(sched_getaffinity(0, sizeof cs, &cs), 0);
	act_pool *p0 = act_pool_create(&(act_pool_config){.workers = 0, .batch = 0, .spin = -1});
	CHECK(p0 != NULL);
	CHECK_EQ(act_pool_workers(p0), CPU_COUNT(&cs));
	act_pool_destroy(p0);

	enum { M = 32 };
	unsigned w = workers_or(3);
	act_pool *p = sched_pool_new(t, w, 0, -1);
	v_probe *st = calloc(M, sizeof *st);
	act_ref r[M];
	CHECK(st != NULL);
	for (int i = 0; i < M; i++)
		r[i] = v_spawn_probe(&st[i], t->ops, 0, p);
	CHECK_EQ(act_pool_get_stats(p).live, M); /* none has terminated */
	for (int i = 0; i < M; i++)
		for (int k = 0; k < 10; k++)
			v_send_ok(r[i], PR_ADD, 0);
	for (int i = 0; i < M; i++)
		CHECK_EQU(v_ask_ok(r[i], PR_GET, 0, 0).b, 10);
	v_tick(&t->wd);
	/* half stop themselves (ACT_STOP), half are stopped */
	for (int i = 0; i < M; i++)
		if (i & 1)
			v_send_ok(r[i], PR_STOP, 0);
		else
			CHECK_EQ(act_stop(r[i]), ACT_OK);
	for (int i = 0; i < M; i++) {
		CHECK_EQ(act_join(r[i]), ACT_OK);
		CHECK_EQ(atomic_load(&st[i].stops), 1);
		if (i < M / 2)
			act_release(r[i]); /* the rest outlive the pool */
	}
	v_sleep_ms(100); /* nothing to do: every worker parks */
	act_pool_stats s = act_pool_get_stats(p);
	v_pool_print(stdout, "pool", s);
	CHECK_GT(s.turns, 0);
	CHECK_GT(s.injects, 0); /* the sends above came from outside */
	CHECK_GT(s.parks, 0);
	CHECK_EQ(s.live, 0);
	sched_pool_free(t, p);
	for (int i = M / 2; i < M; i++) {
		act_stats as = act_get_stats(r[i]); /* a handle outliving its pool */
		CHECK_EQU(as.handled, (i & 1) ? 12 : 11);
		CHECK_EQ(act_stop(r[i]), ACT_EALREADY);
		mbx_msg m = {.tag = PR_ADD};
		CHECK_EQ(act_send(r[i], &m), ACT_ESTOPPED);
		act_release(r[i]);
	}
	free(st);

	/* destroy waits for an actor that was stopped, never joined, and is
	 * still in its 50 ms on_stop */
	act_pool *q = sched_pool_new(t, workers_or(3), 0, -1);
	v_probe *ps = calloc(1, sizeof *ps);
	CHECK(ps != NULL);
	act_ref x = v_spawn(&slow_stop_b, ps, t->ops, 0, q);
	v_send_ok(x, PR_ADD, 0);
	CHECK_EQ(act_stop(x), ACT_OK);
	act_release(x);
	sched_pool_forget(t, q);
	act_pool_destroy(q);
	CHECK_EQ(atomic_load(&ps->stops), 1); /* destroy returned after the actor terminated */
	CHECK_EQU(ps->count, 1);
	free(ps);
}
