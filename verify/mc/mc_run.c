/* mc_run.c: the model checker's driver: how a failure is reported (its
 * schedule, for --replay), the model threads (the harness's and those the
 * code under test makes with MC_THREAD_CREATE, joined with MC_THREAD_JOIN),
 * one execution, and mc_run's searches (DFS with iterative context bounding,
 * PCT, replay). The engine proper is mc_engine.c. */
#include <inttypes.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mc_engine_i.h"

/* ---- failures ---- */

static const char *expect_kind;

static void report(const char *kind, const char *msg)
{
	fflush(stdout);
	printf("mc: FAIL %s: %s\n", kind, msg);
	printf("mc: harness %s, mode %s, execution %" PRIu64 ", step %" PRIu64 ", preemption bound %d\n",
	       mc.h->name, mc_mode_name(mc.cfg.mode), mc.execs + 1, mc.steps, mc.bound);
	static mc_decisions d; /* this execution's decisions so far */
	for (d.n = 0; d.n < mc.pos; d.n++) {
		d.kind[d.n] = mc.fr[d.n].kind;
		d.val[d.n] = mc.fr[d.n].val[mc.fr[d.n].choice];
	}
	mc_print_schedule(stdout, mc.h->name, mc.cfg.mode, mc.bound, &d);
	printf("mc: replay with: --replay '<the schedule above>'\n");
	fflush(stdout);
}

_Noreturn void mc_fail(const char *kind, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	report(kind, msg);
	int rc = 1;
	if (expect_kind) {
		rc = strcmp(kind, expect_kind) == 0 ? 0 : 1;
		printf("mc: %s: expected a %s failure, found %s\n", rc ? "UNEXPECTED" : "as expected", expect_kind, kind);
		fflush(stdout);
	}
	_exit(rc);
}

static void on_abort(int sig)
{
	(void)sig;
	report("abort", "the code under test aborted (a CHECK failed?)");
	_exit(expect_kind && strcmp(expect_kind, "abort") == 0 ? 0 : 1);
}

/* ---- executions ---- */

static void *thread_main(void *arg)
{
	mthread *t = arg;
	me_ = t;
	mc_i_baton_wait(t); /* thread start: the scheduler picks who starts */
	if (t->fn)
		t->fn(t->arg);
	else
		mc.h->thread(mc.ctx, t->id);
	t->state = TS_EXITED; /* its buffer stays: flushed when someone looks, or at the end */
	for (int i = 0; i < mc.n; i++)
		if (mc.t[i].state == TS_BLOCKED && !mc.t[i].fword && mc.t[i].join == t->id)
			mc.t[i].state = TS_RUN; /* its joiner */
	me_ = NULL; /* thread-exit destructors (the node and slot caches) run outside the model */
	mc_i_switch_to(t, mc_i_pick(NULL));
	return NULL;
}

static void thread_init(mthread *t, int id)
{
	memset(t, 0, sizeof *t);
	t->id = id;
	t->state = TS_RUN;
	t->C[id] = 1;
}

int mc_hook_thread_create(pthread_t *pt, const pthread_attr_t *attr, void *(*fn)(void *), void *arg,
                          const char *site)
{
	mthread *t = me_;
	if (!t)
		mc_fail("usage", "a thread created outside the model threads at %s", site);
	if (mc.n == MC_MAX_THREADS)
		mc_fail("bound", "more than %d threads at %s", MC_MAX_THREADS, site);
	mc_i_point(t, site);
	mc_i_drain(t); /* clone is a system call */
	mthread *u = &mc.t[mc.n];
	thread_init(u, mc.n);
	mc_i_vc_join(u->C, t->C); /* the creation happens before the child's first step */
	u->fn = fn;
	u->arg = arg;
	int e = pthread_create(&u->pt, attr, thread_main, u);
	if (e)
		return e;
	*pt = u->pt;
	if (mc.cfg.search == MC_PCT) { /* a fresh highest priority, swapped with a random thread's */
		int j = (int)(mc_i_rnd() % (uint64_t)(mc.n + 1)), hi = 0;
		for (int i = 0; i < mc.n; i++)
			hi = mc.prio[i] > hi ? mc.prio[i] : hi;
		mc.prio[mc.n] = mc.prio[j];
		mc.prio[j] = hi + 1;
	}
	mc.n++;
	t->C[t->id]++;
	return 0;
}

int mc_hook_thread_join(pthread_t pt, const char *site)
{
	mthread *t = me_;
	int k = 0;
	while (k < mc.n && !pthread_equal(mc.t[k].pt, pt)) /* the real threads are joined after the execution */
		k++;
	if (!t || k == mc.n || k == t->id)
		mc_fail("usage", "a join of a thread the model did not create, or outside the model, at %s", site);
	mc_i_point(t, site);
	if (mc.t[k].state != TS_EXITED) {
		t->state = TS_BLOCKED;
		t->fword = NULL;
		t->join = k;
		t->ftimed = false;
		mc_i_switch_to(t, mc_i_pick(NULL));
	}
	mc_i_drain(&mc.t[k]); /* its exit and our wake-up are system calls */
	mc_i_vc_join(t->C, mc.t[k].C);
	t->C[t->id]++;
	return 0;
}

static void run_one(void)
{
	mc.n = mc.h->nthreads; /* MC_THREAD_CREATE adds to them */
	mc.gen++;
	mc.steps = 0;
	mc.pre = 0;
	mc.pos = 0;
	mc.pct_step = 0;
	atomic_store(&mc.done, 0);
	mc.ctx = mc.h->setup();
	for (int i = 0; i < mc.n; i++) {
		mthread *t = &mc.t[i];
		thread_init(t, i);
		if (pthread_create(&t->pt, NULL, thread_main, t))
			mc_fail("usage", "pthread_create failed");
	}
	if (mc.cfg.search == MC_PCT) {
		for (int i = 0; i < mc.n; i++)
			mc.prio[i] = i;
		for (int i = mc.n - 1; i > 0; i--) { /* a random permutation */
			int j = (int)(mc_i_rnd() % (uint64_t)(i + 1)), x = mc.prio[i];
			mc.prio[i] = mc.prio[j];
			mc.prio[j] = x;
		}
		for (int c = 0; c < 3; c++)
			mc.change[c] = 1 + mc_i_rnd() % (mc.pct_k ? mc.pct_k : 1);
	}
	mc_i_switch_to(NULL, mc_i_pick(NULL));
	while (!atomic_load(&mc.done))
		syscall(SYS_futex, (uint32_t *)&mc.done, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
	for (int i = 0; i < mc.n; i++)
		pthread_join(mc.t[i].pt, NULL);
	for (int i = 0; i < mc.n; i++)
		mc_i_drain(&mc.t[i]); /* the final drain, before the oracle */
	if (mc.steps > mc.exec_steps_max)
		mc.exec_steps_max = mc.steps;
	if (mc.pct_step > mc.pct_k)
		mc.pct_k = mc.pct_step;
	const char *bad = mc.h->check ? mc.h->check(mc.ctx) : NULL;
	if (bad)
		mc_fail("oracle", "%s", bad);
	if (mc.h->teardown)
		mc.h->teardown(mc.ctx);
	mc.execs++;
}

mc_result mc_run(const mc_harness *h, const mc_config *cfg, const char *expect)
{
	memset(&mc.fr, 0, sizeof mc.fr);
	mc.cfg = *cfg;
	mc.h = h;
	mc.execs = mc.exec_steps_max = 0;
	expect_kind = expect;
	signal(SIGABRT, on_abort);
	mc_result r = {0};
	if (cfg->search == MC_REPLAY) {
		mc.bound = cfg->bound;
		run_one();
		if (mc.pos != mc_replay.n)
			mc_fail("nondeterminism", "replay: the execution ended after %d of %d decisions", mc.pos, mc_replay.n);
		r.execs = 1;
		return r;
	}
	if (cfg->search == MC_DFS) {
		/* iterative context bounding: bound 0, 1, ... cfg->bound */
		for (mc.bound = 0; mc.bound <= cfg->bound; mc.bound++) {
			mc.depth = 0;
			uint64_t before = mc.execs;
			do {
				run_one();
				if (cfg->max_execs && mc.execs >= cfg->max_execs) {
					r.truncated = true;
					break;
				}
			} while (mc_i_dfs_advance());
			r.per_bound[mc.bound] = mc.execs - before;
			if (r.truncated)
				break;
		}
		mc.bound = cfg->bound;
	} else {
		mc.rng = cfg->seed;
		mc.pct_k = 0;
		mc.bound = -1;
		for (uint64_t i = 0; i < cfg->runs; i++)
			run_one();
	}
	r.execs = mc.execs;
	r.max_steps = mc.exec_steps_max;
	return r;
}
