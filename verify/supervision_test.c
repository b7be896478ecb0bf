/* supervision_test.c: supervisors over every mailbox of the table: restarts
 * keep the mailbox (order, exactly-once), exact restart counts, strategies
 * restart exactly the right siblings, intensity escalates up the tree, asks
 * on a crashing message fail at once, act_panic unwinds like ACT_CRASH.
 * Every test in both modes (--mode): thread per actor, or the supervisors
 * and children all on one pool (the verdict as a message). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "actor.h"
#include "check.h"
#include "supervisor.h"
#include "suite.h"
#include "vactor.h"
#include "vutil.h"

static const char *PROG = "mailroom-supervision-test";
static const int64_t MS = 1000000ll, SEC = 1000000000ll;
static act_pool *POOL; /* this run's pool (--mode pool), else NULL: every actor of a test on it */

enum { T_WORK = 1, T_GET, T_CRASH, T_PANIC };
enum { MAXC = 8, MAXLOG = 4096, MAXEV = 64 };

/* ---- the observer: counts per (supervisor, kind, child) ---- */
typedef struct obs {
	pthread_mutex_t mu;
	uint64_t cnt[2][4][MAXC]; /* [top=0 / sub=1][kind][child] */
	uint64_t gave_up[2];
	const char *last_reason[2][MAXC];
	uint64_t dl_seq[MAXLOG];
	const char *dl_reason[MAXLOG];
	size_t ndl;
	int64_t delay_ns[MAXEV]; /* RESTARTED.t_ns - crash_ns, child 0 of top */
	size_t ndelay;
	act_ref worker; /* latest child 0 of "sub" (retained) */
	act_ref old_workers[8];
	size_t nold;
} obs;
static obs O = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void obs_reset(void)
{
	pthread_mutex_lock(&O.mu);
	memset(O.cnt, 0, sizeof O.cnt);
	memset(O.gave_up, 0, sizeof O.gave_up);
	O.ndl = O.ndelay = O.nold = 0;
	O.worker = (act_ref){NULL};
	pthread_mutex_unlock(&O.mu);
}

static void obs_event(void *ctx, const act_sup_event *ev)
{
	(void)ctx;
	int s = !strcmp(ev->sup_name, "sub");
	pthread_mutex_lock(&O.mu);
	if (ev->kind == ACT_SUP_GAVE_UP) {
		O.gave_up[s]++;
	} else {
		CHECK_LT(ev->child, MAXC);
		O.cnt[s][ev->kind][ev->child]++;
		if (ev->kind == ACT_SUP_CRASHED)
			O.last_reason[s][ev->child] = ev->reason;
		if (ev->kind == ACT_SUP_RESTARTED && !s && ev->child == 0 && ev->crash_ns && O.ndelay < MAXEV)
			O.delay_ns[O.ndelay++] = ev->t_ns - ev->crash_ns;
		if (ev->kind == ACT_SUP_STARTED && s && ev->child == 0) {
			if (O.worker.a) {
				CHECK_LT(O.nold, 8);
				O.old_workers[O.nold++] = O.worker;
			}
			O.worker = act_retain(ev->ref);
		}
	}
	pthread_mutex_unlock(&O.mu);
}

static void obs_dead_letter(void *ctx, const act_sup_event *crash, const mbx_msg *m)
{
	(void)ctx;
	CHECK(m->reply == NULL);
	pthread_mutex_lock(&O.mu);
	if (!strcmp(crash->sup_name, "top") && O.ndl < MAXLOG) {
		O.dl_seq[O.ndl] = m->seq;
		O.dl_reason[O.ndl++] = crash->reason;
	}
	pthread_mutex_unlock(&O.mu);
}

static uint64_t obs_get(int s, act_sup_event_kind k, size_t c)
{
	pthread_mutex_lock(&O.mu);
	uint64_t v = O.cnt[s][k][c];
	pthread_mutex_unlock(&O.mu);
	return v;
}

static void obs_release_workers(void)
{
	pthread_mutex_lock(&O.mu);
	for (size_t i = 0; i < O.nold; i++)
		act_release(O.old_workers[i]);
	if (O.worker.a)
		act_release(O.worker);
	O.nold = 0;
	O.worker = (act_ref){NULL};
	pthread_mutex_unlock(&O.mu);
}

/* ---- the worker: crashes on every k-th seq (return or nested panic) ---- */
typedef struct wlog {
	_Atomic uint64_t inits, finis;
	uint64_t k;          /* 0: never crashes on T_WORK */
	uint64_t seqs[MAXLOG]; /* written only by the child's one thread */
	size_t n;
} wlog;
typedef struct wstate {
	uint64_t incarnation, count;
	wlog *log;
} wstate;

static void *w_init(void *arg)
{
	wlog *l = arg;
	wstate *w = calloc(1, sizeof *w);
	CHECK(w != NULL);
	w->log = l;
	w->incarnation = atomic_fetch_add(&l->inits, 1) + 1;
	return w;
}
static void w_fini(void *st)
{
	wstate *w = st;
	atomic_fetch_add(&w->log->finis, 1);
	free(w);
}

/* act_panic from a few frames below the handler */
static __attribute__((noinline)) void inner(act_ctx *ctx) { act_panic(ctx, "boom"); }
static __attribute__((noinline)) void middle(act_ctx *ctx) { inner(ctx); }
static __attribute__((noinline)) void deeper(act_ctx *ctx, int depth)
{
	(void)depth;
	middle(ctx);
}

static act_result w_handle(void *st, const mbx_msg *m, act_ctx *ctx)
{
	wstate *w = st;
	switch (m->tag) {
	case T_WORK:
		if (w->log->k && m->seq % w->log->k == 0) {
			if ((m->seq / w->log->k) & 1)
				deeper(ctx, 3);
			return ACT_CRASH;
		}
		CHECK_LT(w->log->n, MAXLOG);
		w->log->seqs[w->log->n++] = m->seq;
		w->count++;
		act_reply(m, w->incarnation, w->count);
		return ACT_CONTINUE;
	case T_GET:
		act_reply(m, w->incarnation, w->count);
		return ACT_CONTINUE;
	case T_CRASH:
		return ACT_CRASH;
	case T_PANIC:
		deeper(ctx, 2);
	}
	CHECK(!"unknown tag");
	return ACT_CRASH;
}
static const act_behavior worker_b = {"worker", w_handle, NULL, NULL};

static act_child_spec wspec(const mbx_ops *ops, const char *name, wlog *l)
{
	return (act_child_spec){name, &worker_b, w_init, w_fini, l, {ops, 0, -1, POOL}, ACT_CHILD_PERMANENT, 0};
}

static act_sup_spec sspec(const mbx_ops *ops, const char *name, act_sup_strategy st, const act_child_spec *ch,
                          size_t n, uint32_t maxr)
{
	return (act_sup_spec){.name = name, .strategy = st, .children = ch, .nchildren = n, .max_restarts = maxr,
	                      .period_ns = 10 * SEC, .observer = obs_event, .dead_letter = obs_dead_letter,
	                      .options = {ops, 0, -1, POOL}};
}

/* The setup most tests share: one worker (log l, crashing every k-th message
 * if k) under a one-for-one supervisor; resets the observer and the log. */
static act_sup *start_one(const mbx_ops *ops, wlog *l, uint64_t k, uint32_t maxr, int64_t backoff_ns,
                          int64_t backoff_max_ns, act_ref *w)
{
	obs_reset();
	memset(l, 0, sizeof *l);
	l->k = k;
	act_child_spec ch[1] = {wspec(ops, "w", l)};
	act_sup_spec sp = sspec(ops, "top", ACT_SUP_ONE_FOR_ONE, ch, 1, maxr);
	sp.backoff_ns = backoff_ns;
	sp.backoff_max_ns = backoff_max_ns;
	act_sup *s = act_sup_start(&sp); /* copies the child specs */
	CHECK(s != NULL);
	*w = act_sup_child(s, 0);
	return s;
}

static void wait_for(int s, act_sup_event_kind k, size_t c, uint64_t want)
{
	int64_t deadline = mbx_now_ns() + 10 * SEC;
	while (obs_get(s, k, c) < want) {
		CHECK_LT(mbx_now_ns(), deadline);
		v_sleep_ms(1);
	}
}

static void get(act_ref r, uint64_t *inc, uint64_t *count)
{
	mbx_msg q = {.tag = T_GET}, rep;
	CHECK_EQ(act_ask(r, &q, &rep, 10 * SEC), ACT_OK);
	*inc = rep.a;
	*count = rep.b;
}

/* ---------------------------------------------------------------- tests */

/* Every k-th message crashes: the others are handled exactly once, in order,
 * by whichever incarnation; restarts and dead letters are exact. */
static void t_every_kth(const mbx_ops *ops, uint64_t seed)
{
	static wlog l;
	act_ref w;
	act_sup *s = start_one(ops, &l, 3 + seed % 5, 100000, 0, 0, &w);
	uint64_t n = 1500 / V_SCALE;
	for (uint64_t i = 1; i <= n; i++) {
		mbx_msg m = {.tag = T_WORK, .seq = i};
		CHECK_EQ(act_send(w, &m), ACT_OK);
	}
	uint64_t inc, count;
	get(w, &inc, &count);
	CHECK(act_sup_child(s, 0).a == w.a); /* the handle names the child */
	uint64_t crashes = n / l.k;
	size_t j = 0;
	for (uint64_t i = 1; i <= n; i++)
		if (i % l.k) {
			CHECK_LT(j, l.n);
			CHECK_EQU(l.seqs[j], i);
			j++;
		}
	CHECK_EQU(j, l.n);
	CHECK_EQU(obs_get(0, ACT_SUP_CRASHED, 0), crashes);
	CHECK_EQU(obs_get(0, ACT_SUP_RESTARTED, 0), crashes);
	CHECK_EQU(obs_get(0, ACT_SUP_STARTED, 0), 1);
	CHECK_EQU(inc, crashes + 1);
	CHECK_EQU(atomic_load(&l.inits), crashes + 1);
	CHECK_EQU(atomic_load(&l.finis), crashes);
	pthread_mutex_lock(&O.mu);
	CHECK_EQU(O.ndl, crashes);
	for (size_t d = 0; d < O.ndl; d++) {
		CHECK_EQU(O.dl_seq[d], (d + 1) * l.k);
		CHECK(!strcmp(O.dl_reason[d], ((d + 1) & 1) ? "boom" : "handler returned ACT_CRASH"));
	}
	pthread_mutex_unlock(&O.mu);
	CHECK_EQ(act_sup_stop(s), ACT_OK);
	CHECK_EQU(atomic_load(&l.finis), crashes + 1);
}

/* The state comes fresh from the factory after a restart. */
static void t_state_reinit(const mbx_ops *ops, uint64_t seed)
{
	(void)seed;
	static wlog l;
	act_ref w;
	act_sup *s = start_one(ops, &l, 0, 10, 0, 0, &w);
	for (uint64_t i = 1; i <= 5; i++) {
		mbx_msg m = {.tag = T_WORK, .seq = i};
		CHECK_EQ(act_send(w, &m), ACT_OK);
	}
	uint64_t inc, count;
	get(w, &inc, &count);
	CHECK_EQU(inc, 1);
	CHECK_EQU(count, 5);
	mbx_msg c = {.tag = T_CRASH};
	CHECK_EQ(act_send(w, &c), ACT_OK);
	get(w, &inc, &count);
	CHECK_EQU(inc, 2);
	CHECK_EQU(count, 0);
	CHECK_EQU(atomic_load(&l.finis), 1);
	CHECK_EQ(act_sup_stop(s), ACT_OK);
	CHECK_EQU(atomic_load(&l.finis), 2);
}

/* An ask on the crashing message fails at once, even with a long backoff;
 * asks queued behind it are answered by the new instance. */
static void t_ask_crash(const mbx_ops *ops, uint64_t seed)
{
	(void)seed;
	static wlog l;
	act_ref w;
	act_sup *s = start_one(ops, &l, 0, 10, 300 * MS, 300 * MS, &w);
	mbx_msg c = {.tag = T_CRASH}, rep;
	int64_t t0 = mbx_now_ns();
	CHECK_EQ(act_ask(w, &c, &rep, 10 * SEC), ACT_ECRASHED);
	CHECK_LT(mbx_now_ns() - t0, 200 * MS); /* not the backoff, not the timeout */
	uint64_t inc, count;
	get(w, &inc, &count);
	CHECK_GE(mbx_now_ns() - t0, 300 * MS); /* the new instance answered, after the backoff */
	CHECK_EQU(inc, 2);
	CHECK_EQ(act_sup_stop(s), ACT_OK);
}

/* act_panic from a nested call unwinds like ACT_CRASH, supervised or not. */
static void t_panic_nested(const mbx_ops *ops, uint64_t seed)
{
	(void)seed;
	static wlog l;
	act_ref w;
	act_sup *s = start_one(ops, &l, 0, 10, 0, 0, &w);
	mbx_msg p = {.tag = T_PANIC, .seq = 77}, rep;
	CHECK_EQ(act_ask(w, &p, &rep, 10 * SEC), ACT_ECRASHED);
	uint64_t inc, count;
	get(w, &inc, &count);
	CHECK_EQU(inc, 2);
	pthread_mutex_lock(&O.mu);
	CHECK_EQU(O.ndl, 1);
	CHECK_EQU(O.dl_seq[0], 77);
	CHECK(!strcmp(O.dl_reason[0], "boom"));
	CHECK(!strcmp(O.last_reason[0][0], "boom"));
	pthread_mutex_unlock(&O.mu);
	CHECK_EQ(act_sup_stop(s), ACT_OK);

	/* unsupervised: as ACT_CRASH (the ask fails, the actor stops) */
	void *st = w_init(&l);
	act_options o = {.mailbox = ops, .capacity = 0, .spin = -1, .pool = POOL};
	act_ref u = act_spawn(&worker_b, st, &o);
	CHECK(u.a != NULL);
	CHECK_EQ(act_ask(u, &p, &rep, 10 * SEC), ACT_ECRASHED);
	mbx_msg q = {.tag = T_GET};
	CHECK_EQ(act_ask(u, &q, &rep, 10 * SEC), ACT_ESTOPPED);
	CHECK_EQ(act_join(u), ACT_OK);
	act_release(u);
	w_fini(st);
}

/* Strategies: exactly the right siblings get a fresh state. */
static void strategy(const mbx_ops *ops, act_sup_strategy stg, size_t crash)
{
	obs_reset();
	enum { N = 4 };
	static wlog l[N];
	act_child_spec ch[N];
	static const char *names[N] = {"c0", "c1", "c2", "c3"};
	for (size_t i = 0; i < N; i++) {
		memset(&l[i], 0, sizeof l[i]);
		ch[i] = wspec(ops, names[i], &l[i]);
	}
	act_sup_spec sp = sspec(ops, "top", stg, ch, N, 10);
	act_sup *s = act_sup_start(&sp);
	CHECK(s != NULL);
	for (size_t i = 0; i < N; i++) {
		mbx_msg m = {.tag = T_WORK, .seq = 1}, rep;
		CHECK_EQ(act_ask(act_sup_child(s, i), &m, &rep, 10 * SEC), ACT_OK);
	}
	mbx_msg c = {.tag = T_CRASH}, rep;
	CHECK_EQ(act_ask(act_sup_child(s, crash), &c, &rep, 10 * SEC), ACT_ECRASHED);
	bool want[N];
	for (size_t i = 0; i < N; i++) {
		want[i] = i == crash || stg == ACT_SUP_ONE_FOR_ALL || (stg == ACT_SUP_REST_FOR_ONE && i > crash);
		if (want[i])
			wait_for(0, ACT_SUP_RESTARTED, i, 1);
	}
	v_sleep_ms(30); /* no late extra restarts */
	for (size_t i = 0; i < N; i++) {
		uint64_t inc, count;
		get(act_sup_child(s, i), &inc, &count);
		CHECK_EQU(obs_get(0, ACT_SUP_RESTARTED, i), want[i] ? 1 : 0);
		CHECK_EQU(obs_get(0, ACT_SUP_CRASHED, i), i == crash ? 1 : 0);
		CHECK_EQU(inc, want[i] ? 2 : 1);
		CHECK_EQU(count, want[i] ? 0 : 1);
	}
	CHECK_EQ(act_sup_stop(s), ACT_OK);
	for (size_t i = 0; i < N; i++)
		CHECK_EQU(atomic_load(&l[i].finis), atomic_load(&l[i].inits));
}
static void t_one_for_one(const mbx_ops *ops, uint64_t seed) { strategy(ops, ACT_SUP_ONE_FOR_ONE, seed % 4); }
static void t_one_for_all(const mbx_ops *ops, uint64_t seed) { strategy(ops, ACT_SUP_ONE_FOR_ALL, seed % 4); }
static void t_rest_for_one(const mbx_ops *ops, uint64_t seed) { (void)seed; strategy(ops, ACT_SUP_REST_FOR_ONE, 1); }

/* Past its intensity a top-level supervisor stops its children and fails. */
static void t_give_up(const mbx_ops *ops, uint64_t seed)
{
	(void)seed;
	static wlog l;
	act_ref w;
	act_sup *s = start_one(ops, &l, 0, 2, 0, 0, &w);
	mbx_msg c = {.tag = T_CRASH};
	for (int i = 0; i < 3; i++)
		CHECK_EQ(act_send(w, &c), ACT_OK);
	CHECK_EQ(act_join(act_sup_self(s)), ACT_OK); /* it failed */
	pthread_mutex_lock(&O.mu);
	CHECK_EQU(O.gave_up[0], 1);
	pthread_mutex_unlock(&O.mu);
	CHECK_EQU(obs_get(0, ACT_SUP_RESTARTED, 0), 2);
	CHECK_EQU(obs_get(0, ACT_SUP_CRASHED, 0), 3);
	CHECK_EQ(act_send(w, &c), ACT_ESTOPPED); /* the child was stopped */
	CHECK_EQ(act_sup_stop(s), ACT_OK);
	CHECK_EQU(atomic_load(&l.finis), atomic_load(&l.inits));
}

/* Trees: a sub-supervisor that gives up fails, and its parent restarts it
 * (fresh children); the parent's other child is untouched. */
static void t_escalate(const mbx_ops *ops, uint64_t seed)
{
	(void)seed;
	obs_reset();
	static wlog lw, lp;
	memset(&lw, 0, sizeof lw);
	memset(&lp, 0, sizeof lp);
	act_child_spec sub_ch[1] = {wspec(ops, "worker", &lw)};
	act_sup_spec sub = sspec(ops, "sub", ACT_SUP_ONE_FOR_ONE, sub_ch, 1, 2);
	act_child_spec top_ch[2] = {act_sup_as_child(&sub, "sub"), wspec(ops, "peer", &lp)};
	act_sup_spec top = sspec(ops, "top", ACT_SUP_ONE_FOR_ONE, top_ch, 2, 5);
	act_sup *s = act_sup_start(&top);
	CHECK(s != NULL);
	pthread_mutex_lock(&O.mu);
	act_ref w1 = act_retain(O.worker);
	pthread_mutex_unlock(&O.mu);
	CHECK(w1.a != NULL);
	mbx_msg c = {.tag = T_CRASH};
	for (int i = 0; i < 3; i++)
		CHECK_EQ(act_send(w1, &c), ACT_OK);
	wait_for(0, ACT_SUP_RESTARTED, 0, 1); /* the parent restarted "sub" */
	wait_for(1, ACT_SUP_STARTED, 0, 2);   /* which started a fresh worker */
	pthread_mutex_lock(&O.mu);
	CHECK_EQU(O.gave_up[1], 1);
	CHECK_EQU(O.gave_up[0], 0);
	CHECK(!strcmp(O.last_reason[0][0], "restart intensity exceeded"));
	act_ref w2 = act_retain(O.worker);
	pthread_mutex_unlock(&O.mu);
	CHECK(w2.a != w1.a);
	CHECK_EQU(obs_get(1, ACT_SUP_RESTARTED, 0), 2);
	CHECK_EQU(obs_get(1, ACT_SUP_CRASHED, 0), 3);
	CHECK_EQU(obs_get(0, ACT_SUP_CRASHED, 0), 1);
	CHECK_EQ(act_send(w1, &c), ACT_ESTOPPED);
	uint64_t inc, count;
	get(w2, &inc, &count);
	CHECK_EQU(count, 0);
	get(act_sup_child(s, 1), &inc, &count);
	CHECK_EQU(inc, 1); /* the peer was not restarted */
	CHECK_EQU(obs_get(0, ACT_SUP_RESTARTED, 1), 0);
	act_release(w1);
	act_release(w2);
	CHECK_EQ(act_sup_stop(s), ACT_OK);
	obs_release_workers();
	CHECK_EQU(atomic_load(&lw.finis), atomic_load(&lw.inits));
	CHECK_EQU(atomic_load(&lp.finis), atomic_load(&lp.inits));
}

/* Exponential backoff with a cap; stop interrupts a pending backoff. */
static void t_backoff(const mbx_ops *ops, uint64_t seed)
{
	(void)seed;
	static wlog l;
	act_ref w;
	act_sup *s = start_one(ops, &l, 0, 10, 4 * MS, 16 * MS, &w);
	mbx_msg c = {.tag = T_CRASH};
	for (int i = 0; i < 5; i++)
		CHECK_EQ(act_send(w, &c), ACT_OK);
	uint64_t inc, count;
	get(w, &inc, &count);
	CHECK_EQU(inc, 6);
	static const int64_t want[5] = {4, 8, 16, 16, 16};
	pthread_mutex_lock(&O.mu);
	CHECK_EQU(O.ndelay, 5);
	for (int i = 0; i < 5; i++)
		CHECK_GE(O.delay_ns[i], want[i] * MS);
	pthread_mutex_unlock(&O.mu);
	CHECK_EQ(act_sup_stop(s), ACT_OK);

	/* a 5 s backoff in progress: stop returns promptly (same log: the
	 * inits/finis balance below spans both supervisors) */
	act_child_spec ch[1] = {wspec(ops, "w", &l)};
	act_sup_spec sp = sspec(ops, "top", ACT_SUP_ONE_FOR_ONE, ch, 1, 10);
	sp.backoff_ns = sp.backoff_max_ns = 5 * SEC;
	s = act_sup_start(&sp);
	CHECK(s != NULL);
	mbx_msg r;
	CHECK_EQ(act_ask(act_sup_child(s, 0), &c, &r, 10 * SEC), ACT_ECRASHED);
	v_sleep_ms(20);
	int64_t t0 = mbx_now_ns();
	CHECK_EQ(act_sup_stop(s), ACT_OK);
	CHECK_LT(mbx_now_ns() - t0, 2 * SEC);
	CHECK_EQU(atomic_load(&l.finis), atomic_load(&l.inits));
}

/* ---------------------------------------------------------------- driver */
static const v_ops_test tests[] = {
	{{"every_kth", 60, 0}, t_every_kth},
	{{"state_reinit", 60, 0}, t_state_reinit},
	{{"ask_crash", 60, 0}, t_ask_crash},
	{{"panic_nested", 60, 0}, t_panic_nested},
	{{"one_for_one", 60, 0}, t_one_for_one},
	{{"one_for_all", 60, 0}, t_one_for_all},
	{{"rest_for_one", 60, 0}, t_rest_for_one},
	{{"give_up", 60, 0}, t_give_up},
	{{"escalate", 60, 0}, t_escalate},
	{{"backoff", 60, 0}, t_backoff},
};

static void run_test(const v_test *t, const v_case *c, uint64_t seed) { v_modes_suite_run(t, c, seed, &POOL); }

int main(int argc, char **argv)
{
	v_suite s = {.prog = PROG, .label = "supervision", .test_flag = "--test", V_SUITE_TESTS(tests), .run = run_test};
	return v_modes_suite_main(&s, argc, argv);
}
