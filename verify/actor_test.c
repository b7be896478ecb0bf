/* actor_test.c: the actor interface, over every mailbox of the table, in
 * both execution modes (thread per actor; with --mode pool or both, every
 * actor of a test on one act_pool, cases named .../pool): send/ask/reply,
 * graceful stop with drain and on_stop, self-stop, crash, timeouts, and bad
 * use (which must be a clear error, never a crash or a hang). Asks and
 * messages in flight at stop must leak nothing (LSan). */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "actor.h"
#include "check.h"
#include "cli.h"
#include "suite.h"
#include "vactor.h"
#include "vutil.h"

static const char *PROG = "mailroom-actor-test";

/* What one test run gets: the mailbox, and the pool (NULL: thread mode). */
typedef struct tctx {
	const mbx_ops *ops;
	act_pool *pool;
	uint64_t seed;
} tctx;

static act_ref spawn_probe(tctx *t, v_probe *p, uint32_t cap)
{
	/* a capacity only where the kind can enforce one (others refuse it) */
	return v_spawn_probe(p, t->ops, (t->ops->caps & MBX_CAP_BOUNDED) ? cap : 0, t->pool);
}

/* ---------------------------------------------------------------- tests */

static void t_send_ask(tctx *t)
{
	v_probe p;
	act_ref r = spawn_probe(t, &p, 0);
	v_rng g = {t->seed};
	uint64_t sum = 0;
	for (int i = 0; i < 2000; i++) {
		mbx_msg m = {.tag = PR_ADD, .a = v_below(&g, 1000)};
		sum += m.a;
		CHECK_EQ(act_send(r, &m), ACT_OK);
	}
	mbx_msg q = {.tag = PR_GET}, rep;
	CHECK_EQ(act_ask(r, &q, &rep, 10 * V_SEC), ACT_OK); /* after this thread's sends: per-producer FIFO */
	CHECK_EQU(rep.a, sum);
	CHECK_EQU(rep.b, 2000);
	v_finish(r);
	CHECK_EQ(atomic_load(&p.starts), 1);
	CHECK_EQ(atomic_load(&p.stops), 1);
	CHECK_EQ(atomic_load(&p.starts_at_stop), 1);
}

/* Many threads asking one actor; each reply answers its own request. */
typedef struct { act_ref r; uint64_t seed; int n; } asker_arg;
static void *asker(void *x)
{
	asker_arg *a = x;
	v_rng g = {a->seed};
	for (int i = 0; i < a->n; i++) {
		mbx_msg m = {.tag = PR_ADD, .a = 1 + v_below(&g, 5)}, rep;
		CHECK_EQ(act_ask(a->r, &m, &rep, 20 * V_SEC), ACT_OK);
		CHECK_GE(rep.a, m.a); /* the sum includes our own add */
	}
	return NULL;
}

static void t_ask_many(tctx *t)
{
	v_probe p;
	act_ref r = spawn_probe(t, &p, 8);
	enum { T = 4 };
	pthread_t th[T];
	asker_arg args[T];
	for (int i = 0; i < T; i++) {
		args[i] = (asker_arg){act_retain(r), t->seed + (uint64_t)i, 3000 / V_SCALE};
		CHECK_EQ(pthread_create(&th[i], NULL, asker, &args[i]), 0);
	}
	for (int i = 0; i < T; i++) {
		pthread_join(th[i], NULL);
		act_release(args[i].r);
	}
	mbx_msg q = {.tag = PR_GET}, rep;
	CHECK_EQ(act_ask(r, &q, &rep, 10 * V_SEC), ACT_OK);
	CHECK_EQU(rep.b, (uint64_t)T * (3000 / V_SCALE));
	v_finish(r);
}

/* Stop drains what is queued, then runs on_stop; later sends are refused. */
static void t_stop_drains(tctx *t)
{
	v_probe p;
	act_ref r = spawn_probe(t, &p, 0);
	mbx_msg slow = {.tag = PR_SLEEP, .a = 30};
	CHECK_EQ(act_send(r, &slow), ACT_OK); /* keep the actor busy while we queue */
	uint32_t n = 3000; /* more than small capacities: some sends block (backpressure) */
	for (uint32_t i = 0; i < n; i++) {
		mbx_msg m = {.tag = PR_ADD, .a = 1};
		CHECK_EQ(act_send(r, &m), ACT_OK);
	}
	CHECK_EQ(act_stop(r), ACT_OK);
	CHECK_EQ(act_stop(r), ACT_EALREADY); /* stop twice: a clear error */
	mbx_msg late = {.tag = PR_ADD, .a = 1};
	CHECK_EQ(act_send(r, &late), ACT_ESTOPPED);
	CHECK_EQ(act_try_send(r, &late), ACT_ESTOPPED);
	CHECK_EQ(act_ask(r, &late, NULL, V_SEC), ACT_ESTOPPED);
	CHECK_EQ(act_join(r), ACT_OK);
	CHECK_EQ(act_join(r), ACT_EALREADY); /* join twice: a clear error */
	CHECK_EQU(p.count_at_stop, n); /* every queued message handled before on_stop */
	CHECK_EQU(act_get_stats(r).handled, n + 1);
	act_release(r);
}

/* A handler's ACT_STOP stops the actor; messages queued before still run. */
static void t_self_stop(tctx *t)
{
	v_probe p;
	act_ref r = spawn_probe(t, &p, 0);
	mbx_msg slow = {.tag = PR_SLEEP, .a = 20}, stop = {.tag = PR_STOP}, add = {.tag = PR_ADD, .a = 1};
	CHECK_EQ(act_send(r, &slow), ACT_OK);
	CHECK_EQ(act_send(r, &stop), ACT_OK);
	int e = act_send(r, &add); /* races the self-stop: either refused or handled */
	CHECK_EQ(act_join(r), ACT_OK);
	CHECK_EQ(atomic_load(&p.stops), 1);
	CHECK_EQ(act_stop(r), ACT_EALREADY);
	(void)e; /* accepted or refused; if accepted, handled or dead-lettered */
	CHECK_EQU(p.count, act_get_stats(r).handled - 2); /* slow + stop, then only ADDs */
	CHECK_EQ(act_send(r, &add), ACT_ESTOPPED);
	act_release(r);
}

/* ask: timeout, bad timeouts, no reply, crash, self-ask, self-join. */
static void t_ask_errors(tctx *t)
{
	v_probe p;
	act_ref r = spawn_probe(t, &p, 0);
	mbx_msg q = {.tag = PR_GET}, rep;
	CHECK_EQ(act_ask(r, &q, &rep, 0), ACT_EINVAL);
	CHECK_EQ(act_ask(r, &q, &rep, -5), ACT_EINVAL);
	CHECK_EQ(act_ask((act_ref){NULL}, &q, &rep, V_SEC), ACT_EINVAL);
	CHECK_EQ(act_send((act_ref){NULL}, &q), ACT_EINVAL);
	CHECK_EQ(act_stop((act_ref){NULL}), ACT_EINVAL);
	CHECK_EQ(act_join((act_ref){NULL}), ACT_EINVAL);
	/* timeout: the reply comes only after the asker left (the handler holds
	 * until released); the slot must survive */
	mbx_msg hold = {.tag = PR_HOLD};
	int64_t t0 = mbx_now_ns();
	CHECK_EQ(act_ask(r, &hold, &rep, 20 * V_MS), ACT_ETIMEOUT);
	CHECK_GE(mbx_now_ns() - t0, 20 * V_MS);
	CHECK_LT(mbx_now_ns() - t0, 2 * V_SEC);
	atomic_store(&p.release, 1);
	CHECK_EQ(act_ask(r, &q, &rep, 10 * V_SEC), ACT_OK); /* next ask works (new slot) */
	CHECK_EQ(atomic_load(&p.held), 1);
	mbx_msg nr = {.tag = PR_NOREPLY};
	CHECK_EQ(act_ask(r, &nr, &rep, 10 * V_SEC), ACT_ENOREPLY);
	mbx_msg sa = {.tag = PR_SELFASK};
	CHECK_EQ(act_ask(r, &sa, &rep, 10 * V_SEC), ACT_OK);
	CHECK_EQ(p.selfask_err, ACT_EDEADLK);
	CHECK_EQ(p.selfjoin_err, ACT_EDEADLK);
	/* crash: the crashing ask fails at once; asks queued behind it fail too */
	mbx_msg crash = {.tag = PR_CRASH}, slow = {.tag = PR_SLEEP, .a = 200};
	CHECK_EQ(act_send(r, &slow), ACT_OK);
	t0 = mbx_now_ns();
	CHECK_EQ(act_ask(r, &crash, &rep, 10 * V_SEC), ACT_ECRASHED);
	CHECK_LT(mbx_now_ns() - t0, 5 * V_SEC);
	CHECK_EQ(act_ask(r, &q, &rep, 10 * V_SEC), ACT_ESTOPPED);
	CHECK_EQ(act_join(r), ACT_OK);
	act_release(r);
}

/* ask with timeouts near INT64_MAX: now + timeout overflows (undefined
 * behaviour: UBSan aborts in the asan preset); the clamped deadline waits
 * "for ever" instead, in the push on a full mailbox and in the reply wait. */
typedef struct { act_ref r; int64_t timeout; int err; mbx_msg rep; } huge_arg;
static void *huge_asker(void *x)
{
	huge_arg *a = x;
	mbx_msg q = {.tag = PR_GET};
	a->err = act_ask(a->r, &q, &a->rep, a->timeout);
	return NULL;
}

static void t_ask_huge_timeout(tctx *t)
{
	const int64_t huge[] = {INT64_MAX, INT64_MAX - 1, INT64_MAX / 2 + 1};
	for (size_t h = 0; h < sizeof huge / sizeof huge[0]; h++) {
		v_probe p;
		act_ref r = spawn_probe(t, &p, 4);
		mbx_msg q = {.tag = PR_GET}, rep;
		CHECK_EQ(act_ask(r, &q, &rep, huge[h]), ACT_OK);
		/* the actor holds; bounded kinds: its mailbox fills, so the ask
		 * waits in its push first, then for the reply */
		v_send_ok(r, PR_HOLD, 0);
		v_wait_flag(&p.held);
		mbx_msg add = {.tag = PR_ADD, .a = 1};
		uint64_t added = 0;
		for (int i = 0; i < 64 && (t->ops->caps & MBX_CAP_BOUNDED); i++)
			added += act_try_send(r, &add) == ACT_OK;
		huge_arg a = {.r = r, .timeout = huge[h], .err = -1};
		pthread_t th;
		CHECK_EQ(pthread_create(&th, NULL, huge_asker, &a), 0);
		v_sleep_ms(30);
		atomic_store(&p.release, 1);
		CHECK_EQ(pthread_join(th, NULL), 0);
		CHECK_EQ(a.err, ACT_OK);
		CHECK_EQU(a.rep.b, added); /* the GET came after the adds */
		v_finish(r);
	}
}

/* try_send says FULL on a full bounded mailbox while the actor is busy. */
static void t_try_send_full(tctx *t)
{
	v_probe p;
	act_ref r = spawn_probe(t, &p, 4);
	mbx_msg add = {.tag = PR_ADD, .a = 1};
	v_send_ok(r, PR_HOLD, 0);
	v_wait_flag(&p.held); /* the actor is inside the holding handler now */
	int full = 0;
	for (int i = 0; i < 16; i++) {
		int e = act_try_send(r, &add);
		CHECK(e == ACT_OK || e == ACT_EFULL);
		full += e == ACT_EFULL;
	}
	CHECK_GT(full, 0);
	atomic_store(&p.release, 1);
	v_finish(r);
	CHECK_EQU(p.count, 16 - (uint64_t)full);
}

/* Stop while many threads send and ask: every call returns, nothing leaks,
 * and every accepted message is handled or dead-lettered exactly once. An ask
 * that was accepted but dead-lettered answers ESTOPPED, like one refused at
 * the door, so asks bound the count from both sides. */
typedef struct { act_ref r; int n; _Atomic uint64_t *sends_ok, *asks_ok, *asks_stopped; } storm_arg;
static void *storm(void *x)
{
	storm_arg *a = x;
	for (int i = 0; i < a->n; i++) {
		mbx_msg m = {.tag = PR_ADD, .a = 1}, rep;
		int e = (i & 1) ? act_send(a->r, &m) : act_ask(a->r, &m, &rep, 10 * V_SEC);
		CHECK(e == ACT_OK || e == ACT_ESTOPPED);
		if (e == ACT_ESTOPPED) {
			if (!(i & 1))
				atomic_fetch_add(a->asks_stopped, 1);
			break;
		}
		atomic_fetch_add((i & 1) ? a->sends_ok : a->asks_ok, 1);
	}
	act_release(a->r);
	return NULL;
}

static void t_stop_in_flight(tctx *t)
{
	v_rng g = {t->seed};
	for (int round = 0; round < 10; round++) {
		v_probe p;
		act_ref r = spawn_probe(t, &p, 16);
		enum { T = 4 };
		pthread_t th[T];
		storm_arg args[T];
		_Atomic uint64_t sends_ok = 0, asks_ok = 0, asks_stopped = 0;
		for (int i = 0; i < T; i++) {
			args[i] = (storm_arg){act_retain(r), 100000, &sends_ok, &asks_ok, &asks_stopped};
			CHECK_EQ(pthread_create(&th[i], NULL, storm, &args[i]), 0);
		}
		v_sleep_ms((unsigned)v_below(&g, 20));
		CHECK_EQ(act_stop(r), ACT_OK);
		for (int i = 0; i < T; i++)
			pthread_join(th[i], NULL);
		CHECK_EQ(act_join(r), ACT_OK);
		act_stats st = act_get_stats(r); /* exact: the actor has terminated */
		uint64_t seen = st.handled + st.dead_letters,
		         ok = atomic_load(&sends_ok) + atomic_load(&asks_ok);
		CHECK_GE(seen, ok);
		CHECK_LE(seen, ok + atomic_load(&asks_stopped));
		if (t->ops->caps & MBX_CAP_EXACT_CLOSE)
			CHECK_EQU(seen, ok); /* exact close: an accepted ask is always answered */
		act_release(r);
	}
}

/* The owner may release without joining; the actor cleans up itself. */
static void t_release_unjoined(tctx *t)
{
	static v_probe probes[20]; /* outlive the unjoined actors */
	for (int i = 0; i < 20; i++) {
		act_ref r = spawn_probe(t, &probes[i], 0);
		mbx_msg m = {.tag = PR_ADD, .a = 1};
		CHECK_EQ(act_send(r, &m), ACT_OK);
		CHECK_EQ(act_stop(r), ACT_OK);
		if (i & 1)
			v_sleep_ms(2);
		act_release(r); /* no join */
	}
	v_sleep_ms(100); /* detached threads finish before exit (LSan); a pool's end waits anyway */
}

/* ---------------------------------------------------------------- driver */
typedef struct { v_test t; void (*fn)(tctx *t); } test_def;
static const test_def tests[] = {
	{{"send_ask", 60, 0}, t_send_ask},
	{{"ask_many", 120, 0}, t_ask_many},
	{{"stop_drains", 60, 0}, t_stop_drains},
	{{"self_stop", 60, 0}, t_self_stop},
	{{"ask_errors", 60, 0}, t_ask_errors},
	{{"ask_huge_timeout", 60, 0}, t_ask_huge_timeout},
	{{"try_send_full", 60, MBX_CAP_BOUNDED}, t_try_send_full},
	{{"stop_in_flight", 120, 0}, t_stop_in_flight},
	{{"release_unjoined", 60, 0}, t_release_unjoined},
};

static v_modes modes = {.thread = true, .workers = 4}; /* more workers than this VM's 2 cores */
static const bool THREAD = false, POOLED = true; /* a case's ctx */

static void run_test(const v_test *vt, const v_case *c, uint64_t seed)
{
	tctx t = {.ops = c->ops, .seed = seed, .pool = *(const bool *)c->ctx ? v_modes_pool(&modes) : NULL};
	((const test_def *)(const void *)vt)->fn(&t);
	if (t.pool)
		v_modes_pool_done(&modes, t.pool);
}

static void usage(const v_suite *s, FILE *f)
{
	v_suite_default_usage(s, f);
	v_modes_usage(f, &(v_modes){.workers = 4});
}

static int own_flag(v_suite *s, int argc, char **argv, int *i)
{
	(void)s;
	return v_modes_flag(&modes, PROG, argc, argv, i);
}

/* Each mailbox, once per selected mode. */
static void mode_cases(v_suite *s, const char *where, const char *args, const mbx_ops *o)
{
	v_modes_case(s, &modes, where, args, o, &THREAD, &POOLED);
}
static void cases(v_suite *s) { v_suite_each_mailbox(s, mode_cases); }

int main(int argc, char **argv)
{
	v_suite s = {.prog = PROG, .label = "actor", .test_flag = "--test", V_SUITE_TESTS(tests),
	             .run = run_test, .usage = usage, .flag = own_flag, .cases = cases};
	return v_suite_main(&s, argc, argv);
}
