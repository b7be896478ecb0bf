/* regressions.c: blocking-send chains that finish in thread mode and must
 * finish pooled too (a worker waiting inside a handler must not strand
 * work that only it could run). */
#include <inttypes.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "sched.h"

/* Waits until every goal is met. Thread mode takes ~1 ms; 10 s (any build)
 * is a deadlock, reported here (each count, the pools, `why`) rather than
 * by the 20 s watchdog. */
typedef struct goal {
	const char *what;
	_Atomic uint64_t *got;
	uint64_t want;
} goal;

static void done_within(tctx *t, const char *test, const char *mode, const char *why, const goal *g, size_t n)
{
	int64_t t0 = mbx_now_ns();
	for (size_t i = 0; i < n;) {
		if (atomic_load(g[i].got) >= g[i].want) {
			i++;
			continue;
		}
		if (mbx_now_ns() - t0 > 10 * V_SEC) {
			fprintf(stderr, "%s: %s: %s mode stuck:", SCHED_PROG, test, mode);
			for (size_t k = 0; k < n; k++)
				fprintf(stderr, " %s %" PRIu64 "/%" PRIu64 ",", g[k].what,
				        atomic_load(g[k].got), g[k].want);
			fprintf(stderr, " (%s)\n", why);
			sched_dump(t);
			abort();
		}
		v_sleep_ms(1);
	}
	printf("  %s: done in %" PRId64 " ms\n", mode, (mbx_now_ns() - t0) / V_MS);
	v_tick(&t->wd);
}

/* ---------------------------------------------------------------- help_nested_block */

enum { HN_N = 64 };
enum { HN_HOLD = 1, HN_A_GO, HN_X_GO, HN_MSG };
typedef struct hn_ctx {
	act_ref a, b, x;
	_Atomic int held, release;
	_Atomic uint64_t a_got, b_got, x_done;
} hn_ctx;
typedef struct hn_actor {
	hn_ctx *c;
	char role;
} hn_actor;

static act_result hn_handle(void *s, const mbx_msg *m, act_ctx *ctx)
{
	(void)ctx;
	hn_actor *me = s;
	hn_ctx *c = me->c;
	switch (m->tag) {
	case HN_HOLD:
		v_hold(&c->held, &c->release);
		break;
	case HN_A_GO: /* A -> B (B's pool is held: A waits) */
		for (uint64_t i = 0; i < HN_N; i++)
			v_send_ok(c->b, HN_MSG, i);
		break;
	case HN_X_GO: /* X -> A (A's mailbox fills: X waits for A) */
		for (uint64_t i = 0; i < HN_N; i++)
			v_send_ok(c->a, HN_MSG, i);
		atomic_store(&c->x_done, 1);
		break;
	case HN_MSG:
		atomic_fetch_add(me->role == 'a' ? &c->a_got : &c->b_got, 1);
		break;
	}
	return ACT_CONTINUE;
}
static const act_behavior hn_b = {"hn", hn_handle, NULL, NULL};

/* Acyclic blocking sends through capacity-2 mailboxes: A sends to B while
 * B's pool is held; X sends to A. A and X thread per actor: it finishes
 * (the anchor). A and X on a 1-worker pool: A's wait may help X's turn; X
 * then waits for A, whose mailbox only A's own turn (suspended below X's
 * on the same stack) can drain. It must finish too. */
static void hn_run(tctx *t, bool pooled)
{
	act_pool *p = pooled ? sched_pool_new(t, 1, 0, -1) : NULL, *p2 = sched_pool_new(t, 1, 0, -1);
	hn_ctx *c = calloc(1, sizeof *c);
	CHECK(c != NULL);
	uint32_t cap = v_cap_at_least(t->ops, 2);
	hn_actor sa = {c, 'a'}, sb = {c, 'b'}, sx = {c, 'x'}, sg = {c, 'g'};
	act_ref g = v_spawn(&hn_b, &sg, t->ops, 0, p2);
	c->b = v_spawn(&hn_b, &sb, t->ops, cap, p2);
	c->a = v_spawn(&hn_b, &sa, t->ops, cap, p);
	c->x = v_spawn(&hn_b, &sx, t->ops, 0, p);
	v_send_ok(g, HN_HOLD, 0);
	v_wait_flag(&c->held);
	v_send_ok(c->a, HN_A_GO, 0);
	v_send_ok(c->x, HN_X_GO, 0);
	v_sleep_ms(50); /* A is waiting on B; X has had its chance to run */
	atomic_store(&c->release, 1);
	const goal hn_goals[] = {
	    {"B got", &c->b_got, HN_N}, {"A got", &c->a_got, HN_N}, {"X done", &c->x_done, 1}};
	done_within(t, "help_nested_block", pooled ? "pooled" : "thread",
	            "X's turn, run inside A's wait, waits for A's mailbox", hn_goals, 3);
	v_finish(g);
	v_finish(c->a);
	v_finish(c->b);
	v_finish(c->x);
	if (p)
		sched_pool_free(t, p);
	sched_pool_free(t, p2);
	free(c);
}

void t_help_nested_block(tctx *t)
{
	hn_run(t, false);
	hn_run(t, true);
}

/* ---------------------------------------------------------------- stranded_next_slot */

enum { SN_N = 64 };
enum { SN_P_GO = 1, SN_R_GO, SN_MSG };
typedef struct sn_ctx {
	act_ref q, r;
	_Atomic int p_ready;
	_Atomic uint64_t q_got, r_got, r_done, p_done;
} sn_ctx;
typedef struct sn_actor {
	sn_ctx *c;
	char role;
} sn_actor;

static act_result sn_handle(void *s, const mbx_msg *m, act_ctx *ctx)
{
	(void)ctx;
	sn_actor *me = s;
	sn_ctx *c = me->c;
	switch (m->tag) {
	case SN_P_GO: /* P: wake Q (into this worker's next slot), then block on R */
		v_send_ok(c->q, SN_MSG, 0);
		atomic_store(&c->p_ready, 1);
		for (uint64_t i = 0; i < SN_N; i++)
			v_send_ok(c->r, SN_MSG, i);
		atomic_store(&c->p_done, 1);
		break;
	case SN_R_GO: /* R: once Q is queued behind P, block on Q's full mailbox */
		while (!atomic_load(&c->p_ready))
			sched_yield();
		for (uint64_t i = 0; i < SN_N; i++)
			v_send_ok(c->q, SN_MSG, i);
		atomic_store(&c->r_done, 1);
		break;
	case SN_MSG:
		atomic_fetch_add(me->role == 'q' ? &c->q_got : &c->r_got, 1);
		break;
	}
	return ACT_CONTINUE;
}
static const act_behavior sn_b = {"sn", sn_handle, NULL, NULL};

/* Acyclic blocking sends P -> R -> Q through capacity-2 mailboxes (thread
 * mode finishes: the anchor). Pooled on 2 workers: R runs first and waits
 * for P; P, on the other worker, wakes Q (its worker's next slot), then
 * blocks sending to R, which blocks sending to Q. Q must still run: a
 * worker that waits inside a handler cannot keep a runnable task where no
 * other worker can take it. R pooled (P waits on a running actor), then R
 * thread per actor (P waits on an actor outside the pool). */
static void sn_run(tctx *t, int mode)
{
	static const char *names[] = {"thread", "pooled R", "thread R"};
	act_pool *p = mode ? sched_pool_new(t, 2, 0, -1) : NULL;
	sn_ctx *c = calloc(1, sizeof *c);
	CHECK(c != NULL);
	uint32_t cap = v_cap_at_least(t->ops, 2);
	sn_actor sp = {c, 'p'}, sq = {c, 'q'}, sr = {c, 'r'};
	c->q = v_spawn(&sn_b, &sq, t->ops, cap, p);
	c->r = v_spawn(&sn_b, &sr, t->ops, cap, mode == 1 ? p : NULL);
	act_ref pa = v_spawn(&sn_b, &sp, t->ops, 0, p);
	v_send_ok(c->r, SN_R_GO, 0);
	v_sleep_ms(10); /* R is inside its handler, on one worker */
	v_send_ok(pa, SN_P_GO, 0);
	const goal sn_goals[] = {{"Q got", &c->q_got, SN_N + 1}, {"R got", &c->r_got, SN_N},
	                         {"R done", &c->r_done, 1}, {"P done", &c->p_done, 1}};
	done_within(t, "stranded_next_slot", names[mode], "Q waits in the next slot of P's blocked worker",
	            sn_goals, 4);
	v_finish(pa);
	v_finish(c->r);
	v_finish(c->q);
	if (p)
		sched_pool_free(t, p);
	free(c);
}

void t_stranded_next_slot(tctx *t)
{
	for (int mode = 0; mode < 3; mode++)
		sn_run(t, mode);
}
