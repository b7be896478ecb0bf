/* sup_otp_test.c: OTP's child specs over every mailbox of the table, in both
 * modes (--mode): restart types (permanent, transient, temporary), dynamic
 * children started and terminated while siblings crash, the shutdown
 * timeout (a child stuck in its handler is abandoned, never waited for),
 * and one-for-all / rest-for-one restarting siblings in order (stop all in
 * reverse start order, start all in start order, then messages). */
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

static const char *PROG = "mailroom-sup-otp-test";
static const int64_t MS = 1000000ll, SEC = 1000000000ll;
static act_pool *POOL; /* this run's pool (--mode pool), else NULL */
static v_watchdog WD;  /* every wait below ticks it; 20 s without progress aborts */

enum { T_WORK = 1, T_GET, T_CRASH, T_STOP, T_STUCK };
enum { MAXC = 8, MAXLOG = 8192, NKIND = 8 };

/* ---- per-child bookkeeping and one log of what every child did ---- */
typedef struct cinfo {
	uint32_t idx;
	_Atomic uint64_t inits, finis;
	_Atomic int in_stuck;      /* a handler is inside T_STUCK */
	_Atomic int *release;      /* T_STUCK returns once *release */
} cinfo;
typedef struct cstate {
	cinfo *info;
	uint64_t inc, count;
} cstate;
typedef struct ev {
	char op; /* I init, F fini, S on_start, H handled T_WORK, C crashed */
	uint32_t child;
	uint64_t inc;
} ev;
static struct {
	pthread_mutex_t mu;
	ev e[MAXLOG];
	size_t n;
	uint64_t cnt[NKIND][MAXC]; /* supervisor events [kind][child] */
	uint64_t gave_up;
	const char *gave_up_reason;
} L = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void log_ev(char op, const cstate *c)
{
	pthread_mutex_lock(&L.mu);
	CHECK_LT(L.n, MAXLOG);
	L.e[L.n++] = (ev){op, c->info->idx, c->inc};
	pthread_mutex_unlock(&L.mu);
}

static void reset(void)
{
	pthread_mutex_lock(&L.mu);
	L.n = 0;
	memset(L.cnt, 0, sizeof L.cnt);
	L.gave_up = 0;
	L.gave_up_reason = NULL;
	pthread_mutex_unlock(&L.mu);
}

static uint64_t cnt(act_sup_event_kind k, size_t c)
{
	pthread_mutex_lock(&L.mu);
	uint64_t v = L.cnt[k][c];
	pthread_mutex_unlock(&L.mu);
	return v;
}

static void observe(void *ctx, const act_sup_event *e)
{
	(void)ctx;
	pthread_mutex_lock(&L.mu);
	if (e->kind == ACT_SUP_GAVE_UP) {
		L.gave_up++;
		L.gave_up_reason = e->reason;
	} else {
		CHECK_LT(e->child, MAXC);
		CHECK_LT((size_t)e->kind, NKIND);
		L.cnt[e->kind][e->child]++;
	}
	pthread_mutex_unlock(&L.mu);
}

static void *c_init(void *arg)
{
	cstate *c = calloc(1, sizeof *c);
	CHECK(c != NULL);
	c->info = arg;
	c->inc = atomic_fetch_add(&c->info->inits, 1) + 1;
	log_ev('I', c);
	return c;
}
static void c_fini(void *st)
{
	cstate *c = st;
	log_ev('F', c);
	atomic_fetch_add(&c->info->finis, 1);
	free(c);
}
static _Atomic int slow_start; /* ordered tests: a slow on_start gives released siblings time to run */
static void c_start(void *st, act_ctx *ctx)
{
	(void)ctx;
	log_ev('S', st);
	if (atomic_load(&slow_start))
		v_sleep_ms(2);
}
static act_result c_handle(void *st, const mbx_msg *m, act_ctx *ctx)
{
	(void)ctx;
	cstate *c = st;
	switch (m->tag) {
	case T_WORK:
		log_ev('H', c);
		c->count++;
		act_reply(m, c->inc, c->count);
		return ACT_CONTINUE;
	case T_GET:
		act_reply(m, c->inc, c->count);
		return ACT_CONTINUE;
	case T_CRASH:
		log_ev('C', c);
		return ACT_CRASH;
	case T_STOP:
		return ACT_STOP;
	case T_STUCK: { /* stuck until the test lets go (fails past 20 s instead of hanging) */
		atomic_store(&c->info->in_stuck, 1);
		int64_t until = mbx_now_ns() + 20 * SEC;
		while (!atomic_load(c->info->release)) {
			CHECK_LT(mbx_now_ns(), until);
			v_sleep_ms(1);
		}
		atomic_store(&c->info->in_stuck, 0);
		return ACT_CONTINUE;
	}
	}
	CHECK(!"unknown tag");
	return ACT_CRASH;
}
static const act_behavior child_b = {"otp_child", c_handle, c_start, NULL};

static act_child_spec cspec(const mbx_ops *ops, cinfo *info, act_child_restart rt, int64_t shutdown_ns)
{
	return (act_child_spec){"c", &child_b, c_init, c_fini, info, {ops, 0, -1, POOL}, rt, shutdown_ns};
}

static act_sup_spec sspec(const mbx_ops *ops, act_sup_strategy st, const act_child_spec *ch, size_t n)
{
	return (act_sup_spec){.name = "top", .strategy = st, .children = ch, .nchildren = n, .max_children = MAXC,
	                      .max_restarts = 1000000, .period_ns = SEC, .observer = observe,
	                      .options = {ops, 0, -1, POOL}};
}

static void infos(cinfo *in, size_t n, _Atomic int *release)
{
	for (size_t i = 0; i < n; i++) {
		memset(&in[i], 0, sizeof in[i]);
		in[i].idx = (uint32_t)i;
		in[i].release = release;
	}
}

static void wait_cnt(act_sup_event_kind k, size_t c, uint64_t want)
{
	int64_t deadline = mbx_now_ns() + 10 * SEC;
	while (cnt(k, c) < want) {
		CHECK_LT(mbx_now_ns(), deadline);
		v_tick(&WD);
		v_sleep_ms(1);
	}
	CHECK_EQU(cnt(k, c), want);
}

static void wait_true(_Atomic int *flag)
{
	int64_t deadline = mbx_now_ns() + 10 * SEC;
	while (!atomic_load(flag)) {
		CHECK_LT(mbx_now_ns(), deadline);
		v_tick(&WD);
		v_sleep_ms(1);
	}
}

static uint64_t inc_of(act_ref r)
{
	mbx_msg q = {.tag = T_GET}, rep;
	CHECK_EQ(act_ask(r, &q, &rep, 10 * SEC), ACT_OK);
	v_tick(&WD);
	return rep.a;
}

static void send(act_ref r, uint32_t tag)
{
	mbx_msg m = {.tag = tag};
	CHECK_EQ(act_send(r, &m), ACT_OK);
}

static void check_balanced(cinfo *in, size_t n)
{
	for (size_t i = 0; i < n; i++)
		CHECK_EQU(atomic_load(&in[i].finis), atomic_load(&in[i].inits));
}

/* ---------------------------------------------------------------- tests */

/* Permanent restarts after ACT_STOP too (with its one-for-all siblings);
 * transient after a crash only; temporary never, and is removed. A child
 * that ended takes no part in later restarts. */
static void t_restart_types(const mbx_ops *ops, uint64_t seed)
{
	(void)seed;
	reset();
	static cinfo in[3];
	static _Atomic int rel;
	infos(in, 3, &rel);
	act_child_spec ch[3] = {cspec(ops, &in[0], ACT_CHILD_PERMANENT, 0), cspec(ops, &in[1], ACT_CHILD_TRANSIENT, 0),
	                        cspec(ops, &in[2], ACT_CHILD_TEMPORARY, 0)};
	act_sup_spec sp = sspec(ops, ACT_SUP_ONE_FOR_ALL, ch, 3);
	act_sup *s = act_sup_start(&sp);
	CHECK(s != NULL);
	act_ref c0 = act_sup_child(s, 0), c1 = act_retain(act_sup_child(s, 1)), c2 = act_retain(act_sup_child(s, 2));
	send(c0, T_STOP); /* permanent, normal stop: restarted, and its siblings with it */
	CHECK_EQU(inc_of(c0), 2);
	CHECK_EQU(cnt(ACT_SUP_EXITED, 0), 1);
	for (size_t i = 0; i < 3; i++)
		CHECK_EQU(cnt(ACT_SUP_RESTARTED, i), 1);
	mbx_msg q = {.tag = T_CRASH}, rep;
	CHECK_EQ(act_ask(c1, &q, &rep, 10 * SEC), ACT_ECRASHED); /* transient, crash: restarted */
	CHECK_EQU(inc_of(c1), 3);
	wait_cnt(ACT_SUP_RESTARTED, 0, 2);
	send(c1, T_STOP); /* transient, normal stop: ends */
	CHECK_EQ(act_join(c1), ACT_OK);
	CHECK_EQU(cnt(ACT_SUP_EXITED, 1), 1);
	CHECK_EQ(act_send(c1, &q), ACT_ESTOPPED);
	CHECK(act_sup_child(s, 1).a == c1.a); /* kept, stopped */
	CHECK_EQ(act_ask(c2, &q, &rep, 10 * SEC), ACT_ECRASHED); /* temporary: removed */
	wait_cnt(ACT_SUP_REMOVED, 2, 1);
	CHECK(act_sup_child(s, 2).a == NULL);
	CHECK_EQU(atomic_load(&in[2].finis), atomic_load(&in[2].inits));
	CHECK_EQ(act_ask(c0, &q, &rep, 10 * SEC), ACT_ECRASHED); /* the group is c0 alone now */
	CHECK_EQU(inc_of(c0), 4);
	v_sleep_ms(20); /* no late restarts */
	CHECK_EQU(cnt(ACT_SUP_RESTARTED, 0), 3);
	CHECK_EQU(cnt(ACT_SUP_RESTARTED, 1), 2);
	CHECK_EQU(cnt(ACT_SUP_RESTARTED, 2), 2);
	CHECK_EQU(atomic_load(&in[1].inits), 3);
	CHECK_EQU(atomic_load(&in[2].inits), 3);
	act_release(c1);
	act_release(c2); /* a removed child's borrowed handle is gone: we held our own */
	CHECK_EQ(act_sup_stop(s), ACT_OK);
	check_balanced(in, 3);
}

/* Dynamic children started and terminated while child 0 crashes
 * repeatedly (rest-for-one: every later child restarts with it). */
typedef struct crasher {
	act_ref c0;
	_Atomic int stop;
	_Atomic uint64_t sent;
} crasher;
static void *crash_main(void *p)
{
	crasher *k = p;
	while (!atomic_load(&k->stop)) {
		mbx_msg m = {.tag = T_CRASH};
		if (act_try_send(k->c0, &m) == ACT_OK)
			atomic_fetch_add(&k->sent, 1);
		v_sleep_ms(1);
	}
	return NULL;
}

static void t_dynamic(const mbx_ops *ops, uint64_t seed)
{
	v_rng rng = {seed};
	reset();
	static cinfo in[MAXC];
	static _Atomic int rel;
	infos(in, MAXC, &rel);
	act_child_spec ch[2] = {cspec(ops, &in[0], ACT_CHILD_PERMANENT, 0), cspec(ops, &in[1], ACT_CHILD_PERMANENT, 0)};
	act_sup_spec sp = sspec(ops, ACT_SUP_REST_FOR_ONE, ch, 2);
	act_sup *s = act_sup_start(&sp);
	CHECK(s != NULL);
	crasher k = {.c0 = act_sup_child(s, 0)};
	pthread_t th;
	CHECK_EQ(pthread_create(&th, NULL, crash_main, &k), 0);
	bool live[MAXC] = {true, true};
	for (size_t i = 2; i < MAXC; i++) { /* fill every slot, terminating some as we go */
		act_child_spec d = cspec(ops, &in[i], ACT_CHILD_PERMANENT, 0);
		size_t idx = SIZE_MAX;
		CHECK_EQ(act_sup_start_child(s, &d, &idx), ACT_OK);
		CHECK_EQU(idx, i);
		live[i] = true;
		CHECK_GE(inc_of(act_sup_child(s, i)), 1);
		v_sleep_ms(1 + (unsigned)v_below(&rng, 3)); /* let crashes land between the requests */
		size_t t = 2 + v_below(&rng, i - 1);
		if (live[t] && v_below(&rng, 2)) {
			CHECK_EQ(act_sup_terminate_child(s, t), ACT_OK);
			live[t] = false;
			CHECK(act_sup_child(s, t).a == NULL);
			CHECK_EQU(atomic_load(&in[t].finis), atomic_load(&in[t].inits)); /* finalised already */
			CHECK_EQ(act_sup_terminate_child(s, t), ACT_EINVAL);
		}
	}
	act_child_spec d = cspec(ops, &in[0], ACT_CHILD_PERMANENT, 0);
	CHECK_EQ(act_sup_start_child(s, &d, NULL), ACT_EFULL);
	int64_t deadline = mbx_now_ns() + 10 * SEC;
	while (atomic_load(&k.sent) < 20) { /* crashes overlap the last children too */
		CHECK_LT(mbx_now_ns(), deadline);
		v_tick(&WD);
		v_sleep_ms(1);
	}
	atomic_store(&k.stop, 1);
	CHECK_EQ(pthread_join(th, NULL), 0);
	inc_of(k.c0); /* answered after its last crash's restart released every child */
	uint64_t before[MAXC];
	for (size_t i = 1; i < MAXC; i++)
		before[i] = live[i] ? inc_of(act_sup_child(s, i)) : 0; /* also: every crash so far is handled */
	mbx_msg q = {.tag = T_CRASH}, rep;
	CHECK_EQ(act_ask(act_sup_child(s, 0), &q, &rep, 10 * SEC), ACT_ECRASHED);
	inc_of(k.c0); /* after the restart */
	for (size_t i = 1; i < MAXC; i++)
		if (live[i])
			CHECK_EQU(inc_of(act_sup_child(s, i)), before[i] + 1);
	CHECK_EQ(act_sup_stop(s), ACT_OK);
	check_balanced(in, MAXC);
}

/* A child stuck in its handler is abandoned at its shutdown timeout:
 * terminate answers ACT_ETIMEOUT, stop answers ACT_ETIMEOUT, an ordered
 * restart gives up; none waits for it. Let go, it finalises its state. */
static void stuck_case(const mbx_ops *ops, int how)
{
	reset();
	static cinfo in[2];
	static _Atomic int rel;
	atomic_store(&rel, 0);
	infos(in, 2, &rel);
	act_child_spec ch[2] = {cspec(ops, &in[0], ACT_CHILD_PERMANENT, 0), cspec(ops, &in[1], ACT_CHILD_PERMANENT, 50 * MS)};
	act_sup_spec sp = sspec(ops, how == 2 ? ACT_SUP_ONE_FOR_ALL : ACT_SUP_ONE_FOR_ONE, ch, 2);
	act_sup *s = act_sup_start(&sp);
	CHECK(s != NULL);
	act_ref c1 = act_retain(act_sup_child(s, 1));
	send(c1, T_STUCK);
	wait_true(&in[1].in_stuck);
	int64_t t0 = mbx_now_ns();
	if (how == 0) {
		CHECK_EQ(act_sup_terminate_child(s, 1), ACT_ETIMEOUT);
		CHECK(act_sup_child(s, 1).a == NULL);
		CHECK_EQU(inc_of(act_sup_child(s, 0)), 1); /* the others carry on */
	} else if (how == 1) {
		CHECK_EQ(act_sup_stop(s), ACT_ETIMEOUT);
	} else {
		send(act_sup_child(s, 0), T_CRASH);
		CHECK_EQ(act_join(act_sup_self(s)), ACT_OK); /* it gave up */
		pthread_mutex_lock(&L.mu);
		CHECK_EQU(L.gave_up, 1);
		CHECK(!strcmp(L.gave_up_reason, "child shutdown timeout"));
		pthread_mutex_unlock(&L.mu);
	}
	CHECK_GE(mbx_now_ns() - t0, 50 * MS);
	CHECK_LT(mbx_now_ns() - t0, 5 * SEC); /* not the 20 s the handler is stuck for */
	CHECK_EQU(cnt(ACT_SUP_ABANDONED, 1), 1);
	CHECK_EQU(atomic_load(&in[1].finis), 0); /* its state is in use: nobody touched it */
	if (how != 1)
		CHECK_EQ(act_sup_stop(s), ACT_ETIMEOUT);
	atomic_store(&rel, 1); /* let go: it stops and finalises its own state */
	CHECK_EQ(act_join(c1), ACT_OK);
	act_release(c1);
	check_balanced(in, 2);
	CHECK_EQ(atomic_load(&in[1].in_stuck), 0);
}
static void t_shutdown_terminate(const mbx_ops *ops, uint64_t seed) { (void)seed; stuck_case(ops, 0); }
static void t_shutdown_stop(const mbx_ops *ops, uint64_t seed) { (void)seed; stuck_case(ops, 1); }
static void t_shutdown_restart(const mbx_ops *ops, uint64_t seed) { (void)seed; stuck_case(ops, 2); }

/* Ordered restart: after child k's crash the affected children's old
 * states are finalised in reverse start order, new ones made and started
 * in start order, and none handles a message in between (queued backlogs
 * make an early release visible). */
static void ordered(const mbx_ops *ops, act_sup_strategy stg, uint64_t seed)
{
	enum { N = 4 };
	v_rng rng = {seed};
	reset();
	static cinfo in[N];
	static _Atomic int rel;
	infos(in, N, &rel);
	act_child_spec ch[N];
	for (size_t i = 0; i < N; i++)
		ch[i] = cspec(ops, &in[i], ACT_CHILD_PERMANENT, 0);
	act_sup_spec sp = sspec(ops, stg, ch, N);
	sp.backoff_ns = sp.backoff_max_ns = 20 * MS; /* the group waits, held: the backlog queues for the new states */
	act_sup *s = act_sup_start(&sp);
	CHECK(s != NULL);
	size_t k = v_below(&rng, stg == ACT_SUP_REST_FOR_ONE ? N - 1 : N);
	uint64_t backlog = 20 + v_below(&rng, 30);
	for (size_t i = 0; i < N; i++)
		inc_of(act_sup_child(s, i)); /* every first on_start is logged before the crash */
	atomic_store(&slow_start, 1);
	send(act_sup_child(s, k), T_CRASH);
	v_sleep_ms(5);
	for (uint64_t m = 0; m < backlog; m++)
		for (size_t i = 0; i < N; i++)
			send(act_sup_child(s, i), T_WORK);
	for (size_t i = 0; i < N; i++)
		inc_of(act_sup_child(s, i)); /* every backlog handled */
	CHECK_EQ(act_sup_stop(s), ACT_OK);
	atomic_store(&slow_start, 0);
	bool aff[N];
	for (size_t i = 0; i < N; i++)
		aff[i] = stg == ACT_SUP_ONE_FOR_ALL || i >= k;
	pthread_mutex_lock(&L.mu);
	size_t p = 0;
	while (p < L.n && L.e[p].op != 'C')
		p++;
	CHECK_LT(p, L.n);
	CHECK_EQU(L.e[p].child, k);
	/* the F, I, S events of the affected children after the crash, in order */
	char want_op[3 * N];
	uint32_t want_child[3 * N];
	size_t nw = 0;
	for (size_t i = N; i-- > 0;)
		if (aff[i])
			want_op[nw] = 'F', want_child[nw++] = (uint32_t)i;
	for (int ph = 0; ph < 2; ph++)
		for (size_t i = 0; i < N; i++)
			if (aff[i])
				want_op[nw] = ph ? 'S' : 'I', want_child[nw++] = (uint32_t)i;
	size_t got = 0, last_s = 0;
	for (size_t j = p + 1; j < L.n && got < nw; j++) {
		ev e = L.e[j];
		if (e.op == 'H' || !aff[e.child])
			continue;
		CHECK_EQ(e.op, want_op[got]);
		CHECK_EQU(e.child, want_child[got]);
		CHECK_EQU(e.inc, e.op == 'F' ? 1 : 2);
		got++;
		last_s = j;
	}
	CHECK_EQU(got, nw);
	/* an affected child handles with its old state before the restart's
	 * first step, with its new one only after the last on_start */
	size_t first_f = p + 1;
	while (L.e[first_f].op != 'F')
		first_f++;
	for (size_t j = p + 1; j < L.n; j++) {
		ev e = L.e[j];
		if (e.op != 'H' || !aff[e.child])
			continue;
		if (e.inc == 1)
			CHECK_LT(j, first_f);
		else
			CHECK_GT(j, last_s);
	}
	pthread_mutex_unlock(&L.mu);
	check_balanced(in, N);
}
static void t_ordered_one_for_all(const mbx_ops *ops, uint64_t seed) { ordered(ops, ACT_SUP_ONE_FOR_ALL, seed); }
static void t_ordered_rest_for_one(const mbx_ops *ops, uint64_t seed) { ordered(ops, ACT_SUP_REST_FOR_ONE, seed); }

/* ---------------------------------------------------------------- driver */
static const v_ops_test tests[] = {
	{{"restart_types", 60, 0}, t_restart_types},
	{{"dynamic", 60, 0}, t_dynamic},
	{{"shutdown_terminate", 60, 0}, t_shutdown_terminate},
	{{"shutdown_stop", 60, 0}, t_shutdown_stop},
	{{"shutdown_restart", 60, 0}, t_shutdown_restart},
	{{"ordered_one_for_all", 60, 0}, t_ordered_one_for_all},
	{{"ordered_rest_for_one", 60, 0}, t_ordered_rest_for_one},
};

static void run_test(const v_test *t, const v_case *c, uint64_t seed)
{
	v_watchdog_start(&WD, 20, t->name);
	v_modes_suite_run(t, c, seed, &POOL);
	v_watchdog_stop(&WD);
}

int main(int argc, char **argv)
{
	v_suite s = {.prog = PROG, .label = "supervision", .test_flag = "--test", V_SUITE_TESTS(tests), .run = run_test};
	return v_modes_suite_main(&s, argc, argv);
}
