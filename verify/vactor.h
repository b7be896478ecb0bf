/* vactor.h: what the actor-level verify programs share (actor_test,
 * scheduler/, workloads/): the probe actor, spawn and stop helpers that abort
 * with the reason, pools that must end empty, and the --mode/--workers flags
 * that run a suite thread per actor, pooled, or both. */
#ifndef MAILROOM_VACTOR_H
#define MAILROOM_VACTOR_H

#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actor.h"
#include "check.h"
#include "cli.h"
#include "suite.h"
#include "vutil.h"

static const int64_t V_MS = 1000000ll, V_SEC = 1000000000ll;

/* ---------------------------------------------------------------- the probe actor */

/* What a probe does with each tag (m->a is the argument). */
enum {
	PR_ADD = 1, /* sum += a, count++; replies (sum, count) */
	PR_GET,     /* replies (sum, count) */
	PR_SLEEP,   /* sleeps a ms in the handler; replies (1, 0) */
	PR_STOP,    /* replies, then returns ACT_STOP */
	PR_CRASH,   /* returns ACT_CRASH */
	PR_PANIC,   /* act_panic a few frames below the handler */
	PR_NOREPLY, /* returns without replying */
	PR_SELFASK, /* asks and joins itself (both must be ACT_EDEADLK); replies */
	PR_HOLD,    /* holds its worker until .release (see v_hold); replies (1, 0) */
	PR_ASK_PEER /* asks .peer with tag a; replies (the ask's error, 0) */
};

typedef struct v_probe {
	uint64_t sum, count;   /* plain: only the actor's own turns write them */
	uint64_t count_at_stop; /* count when on_stop ran */
	_Atomic uint32_t starts, stops, starts_at_stop;
	_Atomic int held, release; /* PR_HOLD */
	int selfask_err, selfjoin_err;
	act_ref peer;
} v_probe;

/* A handler that holds its worker (or thread) until *release: what is
 * queued meanwhile is queued, not run. */
static inline void v_hold(_Atomic int *held, _Atomic int *release)
{
	atomic_store(held, 1);
	while (!atomic_load(release))
		sched_yield();
}

static inline void v_wait_flag(_Atomic int *f)
{
	while (!atomic_load(f))
		v_sleep_ms(1);
}

static inline void v_probe_start(void *st, act_ctx *ctx)
{
	(void)ctx;
	v_probe *p = st;
	CHECK_EQU(p->count, 0); /* on_start before the first message */
	atomic_fetch_add(&p->starts, 1);
}

static inline void v_probe_stop(void *st, act_ctx *ctx)
{
	(void)ctx;
	v_probe *p = st;
	p->count_at_stop = p->count;
	atomic_store(&p->starts_at_stop, atomic_load(&p->starts)); /* on_start ran before on_stop */
	atomic_fetch_add(&p->stops, 1);
}

/* act_panic a few frames below the handler (the unwind crosses them) */
_Noreturn static inline void v_panic_1(act_ctx *ctx) { act_panic(ctx, "verify: nested panic"); }
_Noreturn static inline void v_panic_2(act_ctx *ctx) { v_panic_1(ctx); }

static inline act_result v_probe_handle(void *st, const mbx_msg *m, act_ctx *ctx)
{
	v_probe *p = st;
	CHECK_EQ(atomic_load(&p->starts), 1); /* after on_start, before on_stop */
	CHECK_EQ(atomic_load(&p->stops), 0);
	mbx_msg q, rep;
	switch (m->tag) {
	case PR_ADD:
		p->sum += m->a;
		p->count++;
		act_reply(m, p->sum, p->count);
		return ACT_CONTINUE;
	case PR_GET:
		act_reply(m, p->sum, p->count);
		return ACT_CONTINUE;
	case PR_SLEEP:
		v_sleep_ms((unsigned)m->a);
		act_reply(m, 1, 0);
		return ACT_CONTINUE;
	case PR_STOP:
		act_reply(m, 0, 0);
		return ACT_STOP;
	case PR_CRASH:
		return ACT_CRASH;
	case PR_PANIC:
		v_panic_2(ctx);
	case PR_NOREPLY:
		return ACT_CONTINUE;
	case PR_SELFASK:
		q = (mbx_msg){.tag = PR_GET};
		p->selfask_err = act_ask(act_self(ctx), &q, NULL, V_SEC);
		p->selfjoin_err = act_join(act_self(ctx));
		act_reply(m, 0, 0);
		return ACT_CONTINUE;
	case PR_HOLD:
		v_hold(&p->held, &p->release);
		act_reply(m, 1, 0);
		return ACT_CONTINUE;
	case PR_ASK_PEER: /* on a 1-worker pool the peer's turn runs inside our wait */
		q = (mbx_msg){.tag = (uint32_t)m->a};
		act_reply(m, (uint64_t)act_ask(p->peer, &q, &rep, 10 * V_SEC), 0);
		return ACT_CONTINUE;
	}
	CHECK(!"unknown probe tag");
	return ACT_CRASH;
}

static inline const act_behavior *v_probe_behavior(void)
{
	static const act_behavior b = {"probe", v_probe_handle, v_probe_start, v_probe_stop};
	return &b;
}

/* ---------------------------------------------------------------- spawn, send, stop */

/* Whether kind o accepts capacity cap (its create says). */
static inline bool v_cap_fits(const mbx_ops *o, uint32_t cap)
{
	mbx *m = mbx_create(o, cap, -1);
	if (m)
		mbx_destroy(m);
	return m != NULL;
}

/* Smallest capacity >= want that a bounded kind accepts (a POW2 kind rounds
 * up); 0 (the kind's default: no limit) for kinds that cannot bound. */
static inline uint32_t v_cap_at_least(const mbx_ops *o, uint32_t want)
{
	if (!(o->caps & MBX_CAP_BOUNDED))
		return 0;
	for (uint32_t c = want < 2 ? 2 : want; c <= 2 * want + 64; c++)
		if (v_cap_fits(o, c))
			return c;
	fprintf(stderr, "verify: mailbox %s accepts no capacity in %u..%u\n", o->name, want, 2 * want + 64);
	abort();
}

/* Spawns b on pool p (NULL: thread per actor); aborts saying why it failed. */
static inline act_ref v_spawn(const act_behavior *b, void *st, const mbx_ops *ops, uint32_t cap, act_pool *p)
{
	act_options o = {.mailbox = ops, .capacity = cap, .spin = -1, .pool = p};
	act_ref r = act_spawn(b, st, &o);
	if (!r.a) {
		fprintf(stderr, "verify: act_spawn(%s, %s, capacity %u, %s) failed: %s\n", b->name, ops->name,
		        cap, p ? "pooled" : "thread", strerror(errno));
		abort();
	}
	return r;
}

/* A zeroed probe spawned on p (NULL: thread per actor). */
static inline act_ref v_spawn_probe(v_probe *pr, const mbx_ops *ops, uint32_t cap, act_pool *p)
{
	memset(pr, 0, sizeof *pr);
	return v_spawn(v_probe_behavior(), pr, ops, cap, p);
}

/* Stops (if nobody did), joins and releases. */
static inline void v_finish(act_ref r)
{
	int e = act_stop(r);
	CHECK(e == ACT_OK || e == ACT_EALREADY);
	CHECK_EQ(act_join(r), ACT_OK);
	act_release(r);
}

static inline void v_send_ok(act_ref r, uint32_t tag, uint64_t a)
{
	mbx_msg m = {.tag = tag, .a = a};
	CHECK_EQ(act_send(r, &m), ACT_OK);
}

static inline mbx_msg v_ask_ok(act_ref r, uint32_t tag, uint64_t a, uint64_t b)
{
	mbx_msg m = {.tag = tag, .a = a, .b = b}, rep;
	CHECK_EQ(act_ask(r, &m, &rep, 30 * V_SEC), ACT_OK);
	return rep;
}

/* ---------------------------------------------------------------- pools */

static inline void v_pool_print(FILE *f, const char *what, act_pool_stats s)
{
	fprintf(f,
	        "  %s: turns=%" PRIu64 " steals=%" PRIu64 " injects=%" PRIu64 " parks=%" PRIu64
	        " wakes=%" PRIu64 " helps=%" PRIu64 " live=%" PRId64 "\n",
	        what, s.turns, s.steals, s.injects, s.parks, s.wakes, s.helps, s.live);
}

/* A watchdog dump (v_watchdog.dump) for one pool (ctx). */
static inline void v_pool_dump(void *ctx) { v_pool_print(stderr, "pool", act_pool_get_stats(ctx)); }

/* A pool of exactly `workers`; aborts saying why it could not be made. */
static inline act_pool *v_pool_new(unsigned workers, unsigned batch, int32_t spin)
{
	act_pool *p = act_pool_create(&(act_pool_config){.workers = workers, .batch = batch, .spin = spin});
	if (!p) {
		fprintf(stderr, "verify: act_pool_create(workers %u, batch %u) failed: %s\n", workers, batch,
		        strerror(errno));
		abort();
	}
	CHECK_EQ(act_pool_workers(p), workers);
	return p;
}

/* Every actor of p has been stopped: live must reach 0 (a terminated actor
 * may be counted out just after its join returns, so allow a short lag),
 * then destroy. Returns the last stats. */
static inline act_pool_stats v_pool_free(act_pool *p)
{
	act_pool_stats s = act_pool_get_stats(p);
	for (int i = 0; i < 5000 && s.live != 0; i++) {
		v_sleep_ms(1);
		s = act_pool_get_stats(p);
	}
	CHECK_EQ(s.live, 0);
	act_pool_destroy(p);
	return s;
}

/* ---------------------------------------------------------------- --mode, --workers */

/* A suite's actor cases run thread per actor, pooled (every actor of a
 * test on one pool of `workers`), or both. */
typedef struct v_modes {
	bool thread, pool;
	unsigned workers;
} v_modes;

/* argv[*i] if it is --mode or --workers: 1 (taken), else 0. */
static inline int v_modes_flag(v_modes *m, const char *prog, int argc, char **argv, int *i)
{
	if (!strcmp(argv[*i], "--mode")) {
		const char *v = cli_value(prog, argc, argv, i);
		m->thread = !strcmp(v, "thread") || !strcmp(v, "both");
		m->pool = !strcmp(v, "pool") || !strcmp(v, "both");
		if (!m->thread && !m->pool)
			cli_die(prog, "unknown mode '%s': want thread, pool or both", v);
	} else if (!strcmp(argv[*i], "--workers")) {
		m->workers = (unsigned)cli_u64(prog, "--workers", cli_value(prog, argc, argv, i), 1, 1024);
	} else {
		return 0;
	}
	return 1;
}

static inline void v_modes_usage(FILE *f, const v_modes *dflt)
{
	fprintf(f,
	        "  --mode M        'thread' per actor (default), 'pool' (every actor of a test on one\n"
	        "                  act_pool; cases named .../pool) or 'both'\n"
	        "  --workers N     pooled mode: the pool's workers, 1..1024 (default %u)\n",
	        dflt->workers);
}

/* Case (where, args) once per selected mode: as given thread per actor, and
 * with "/pool" and "--mode pool" added pooled (ctx: thread_ctx, pool_ctx). */
static inline void v_modes_case(v_suite *s, const v_modes *m, const char *where, const char *args,
                                const mbx_ops *ops, const void *thread_ctx, const void *pool_ctx)
{
	if (m->thread)
		v_suite_case(s, &(v_case){.where = where, .args = args, .ops = ops, .ctx = thread_ctx});
	if (m->pool) {
		char pwhere[160], pargs[224];
		snprintf(pwhere, sizeof pwhere, "%s/pool", where);
		snprintf(pargs, sizeof pargs, "%s --mode pool", args);
		v_suite_case(s, &(v_case){.where = pwhere, .args = pargs, .ops = ops, .ctx = pool_ctx});
	}
}

/* The pool of one pooled test run: a watchdog may dump it (v_pool_dump). */
static inline act_pool *v_modes_pool(const v_modes *m) { return v_pool_new(m->workers, 0, -1); }

/* After a pooled run: every actor was stopped, the pool ends empty, and
 * its actors really ran on it. */
static inline void v_modes_pool_done(const v_modes *m, act_pool *p)
{
	act_pool_stats s = v_pool_free(p);
	CHECK_GT(s.turns, 0);
	printf("  pool (%u workers): %" PRIu64 " turns, %" PRIu64 " steals, %" PRIu64 " helps\n", m->workers,
	       s.turns, s.steals, s.helps);
}

/* The glue of a suite whose every test runs over each mailbox once per
 * selected mode (--mode, --workers, default 2 workers): v_modes_suite_main
 * sets the suite's usage, flag and cases hooks; a test gets its case's
 * pool from v_modes_suite_pool (NULL: thread per actor) and hands it back
 * to v_modes_pool_done(v_modes_suite(), p). */
static inline v_modes *v_modes_suite(void)
{
	static v_modes m = {.thread = true, .workers = 2};
	return &m;
}
static inline void v_modes_suite_usage(const v_suite *s, FILE *f)
{
	v_suite_default_usage(s, f);
	v_modes_usage(f, &(v_modes){.workers = 2});
}
static inline int v_modes_suite_flag(v_suite *s, int argc, char **argv, int *i)
{
	return v_modes_flag(v_modes_suite(), s->prog, argc, argv, i);
}
static inline void v_modes_suite_case(v_suite *s, const char *where, const char *args, const mbx_ops *o)
{
	static const bool thread = false, pooled = true; /* a case's ctx */
	v_modes_case(s, v_modes_suite(), where, args, o, &thread, &pooled);
}
static inline void v_modes_suite_cases(v_suite *s) { v_suite_each_mailbox(s, v_modes_suite_case); }
static inline act_pool *v_modes_suite_pool(const v_case *c)
{
	return *(const bool *)c->ctx ? v_modes_pool(v_modes_suite()) : NULL;
}
/* A test of such a suite: fn(ops, seed), with *pool (the program's) set to
 * the case's pool meanwhile (v_modes_suite_run). */
typedef struct v_ops_test {
	v_test t;
	void (*fn)(const mbx_ops *ops, uint64_t seed);
} v_ops_test;
static inline void v_modes_suite_run(const v_test *t, const v_case *c, uint64_t seed, act_pool **pool)
{
	*pool = v_modes_suite_pool(c);
	((const v_ops_test *)(const void *)t)->fn(c->ops, seed);
	if (*pool)
		v_modes_pool_done(v_modes_suite(), *pool);
	*pool = NULL;
}
static inline int v_modes_suite_main(v_suite *s, int argc, char **argv)
{
	s->usage = v_modes_suite_usage;
	s->flag = v_modes_suite_flag;
	s->cases = v_modes_suite_cases;
	return v_suite_main(s, argc, argv);
}

#endif
