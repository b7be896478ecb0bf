/* conformance.c: the mailbox conformance suite. Every test is written once
 * and run by ctest over every entry of mbx_table (tests that need a
 * capability are listed only for mailboxes that have it). Oracles abort with
 * both values printed; random runs print their seed and replay from it. */
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cli.h"
#include "mailbox.h"
#include "suite.h"
#include "vutil.h"

static const char *PROG = "mailroom-conformance";

static mbx *make(const mbx_ops *ops, uint32_t cap, int32_t spin) { return v_make(PROG, ops, cap, spin); }

static bool bounded(const mbx *m) { return m->capacity != MBX_UNBOUNDED; }

/* A consumer op that waits out RETRY (the answer of MBX_CAP_RETRY kinds). */
static mbx_status try_pop_settled(mbx *m, mbx_msg *out)
{
	mbx_status s;
	while ((s = mbx_try_pop(m, out)) == MBX_RETRY)
		mbx_cpu_relax();
	return s;
}

static mbx_msg msg_of(uint32_t sender, uint64_t seq, uint64_t seed)
{
	mbx_msg m = {.tag = 7, .sender = sender, .seq = seq, .a = v_payload(seed, sender, seq), .b = ~seq};
	return m;
}

static void check_msg(const mbx_msg *m, uint32_t sender, uint64_t seq, uint64_t seed)
{
	CHECK_EQ(m->sender, sender);
	CHECK_EQU(m->seq, seq);
	CHECK_EQU(m->a, v_payload(seed, sender, seq));
	CHECK_EQU(m->b, ~seq);
	CHECK_EQ(m->tag, 7);
}

/* Pushes msg_of(sender, 0..n-1) (blocking push; each must be OK). */
static void push_n(mbx *m, uint32_t sender, uint32_t n, uint64_t seed)
{
	for (uint32_t i = 0; i < n; i++) {
		mbx_msg msg = msg_of(sender, i, seed);
		CHECK_STATUS(mbx_push(m, &msg, NULL), MBX_OK);
	}
}

/* ---------------------------------------------------------------- tests */

/* One thread: push/pop in FIFO order, wrapping the ring several times. */
static void t_fifo_single(const mbx_ops *ops, uint64_t seed)
{
	mbx *m = make(ops, 0, -1);
	uint64_t next_in = 0, next_out = 0;
	v_rng r = {seed};
	for (int round = 0; round < 50; round++) {
		uint64_t room = bounded(m) ? m->capacity - (next_in - next_out) : 1000;
		uint64_t n = v_below(&r, room + 1);
		for (uint64_t i = 0; i < n; i++) {
			mbx_msg msg = msg_of(0, next_in++, seed);
			CHECK_STATUS(mbx_try_push(m, &msg, NULL), MBX_OK);
		}
		CHECK_EQ(mbx_len(m), next_in - next_out);
		uint64_t k = v_below(&r, next_in - next_out + 1);
		for (uint64_t i = 0; i < k; i++) {
			mbx_msg out;
			CHECK_STATUS(try_pop_settled(m, &out), MBX_OK);
			check_msg(&out, 0, next_out++, seed);
		}
	}
	mbx_msg out;
	while (next_out < next_in) {
		CHECK_STATUS(mbx_pop(m, &out), MBX_OK);
		check_msg(&out, 0, next_out++, seed);
	}
	CHECK_STATUS(try_pop_settled(m, &out), MBX_EMPTY);
	CHECK_EQ(mbx_len(m), 0);
	mbx_destroy(m);
}

/* ---- P producers x N messages, one consumer ---- */
typedef struct mp_ctx {
	mbx *m;
	uint64_t seed;
	uint32_t producers;
	uint64_t per;
	bool use_try;          /* try_push with yield on FULL instead of blocking push */
	_Atomic uint64_t pushed; /* pushes that returned OK */
	v_watchdog wd;
} mp_ctx;

typedef struct { mp_ctx *c; uint32_t id; } mp_arg;

static void *mp_producer(void *p)
{
	mp_arg *a = p;
	mp_ctx *c = a->c;
	v_rng r = {c->seed ^ a->id};
	for (uint64_t i = 0; i < c->per; i++) {
		mbx_msg msg = msg_of(a->id, i, c->seed);
		if (c->use_try) {
			mbx_status s;
			while ((s = mbx_try_push(c->m, &msg, NULL)) == MBX_FULL)
				sched_yield();
			CHECK_STATUS(s, MBX_OK);
		} else {
			CHECK_STATUS(mbx_push(c->m, &msg, NULL), MBX_OK);
		}
		/* seq_cst: the consumer's capacity oracle reads this after its own pop */
		atomic_fetch_add(&c->pushed, 1);
		if (v_below(&r, 256) == 0)
			sched_yield();
	}
	return NULL;
}

static void run_mpsc(const mbx_ops *ops, uint64_t seed, uint32_t producers, uint64_t per, uint32_t cap,
                     int32_t spin, bool use_try, bool slow_consumer)
{
	mp_ctx c = {.m = make(ops, cap, spin), .seed = seed, .producers = producers, .per = per, .use_try = use_try};
	pthread_t th[64];
	mp_arg args[64];
	uint64_t *next = calloc(producers, sizeof *next);
	v_watchdog_start(&c.wd, 20, "mpsc");
	for (uint32_t i = 0; i < producers; i++) {
		args[i] = (mp_arg){&c, i};
		CHECK_EQ(pthread_create(&th[i], NULL, mp_producer, &args[i]), 0);
	}
	v_rng r = {seed * 31 + 7};
	uint64_t total = (uint64_t)producers * per, got = 0;
	while (got < total) {
		mbx_msg out;
		CHECK_STATUS(mbx_pop(c.m, &out), MBX_OK);
		got++;
		v_tick(&c.wd);
		CHECK_LT(out.sender, producers);
		/* per-producer FIFO + no loss + no duplicate within a producer */
		check_msg(&out, out.sender, next[out.sender]++, seed);
		if (bounded(c.m)) /* capacity oracle: returned pushes <= popped + capacity */
			CHECK_LE(atomic_load(&c.pushed), got + c.m->capacity);
		if (slow_consumer && v_below(&r, 64) == 0)
			sched_yield();
	}
	for (uint32_t i = 0; i < producers; i++)
		pthread_join(th[i], NULL);
	v_watchdog_stop(&c.wd);
	for (uint32_t i = 0; i < producers; i++)
		CHECK_EQU(next[i], per);
	mbx_msg out;
	CHECK_STATUS(try_pop_settled(c.m, &out), MBX_EMPTY);
	/* the kind's wait counters (mbx_get_stats): none is zeroes; a kind that
	 * counts waits at most once per push, has time only with a wait, and
	 * never waits with one producer (nobody to wait for) */
	mbx_stats st;
	if (mbx_get_stats(c.m, &st)) {
		CHECK_LE(st.producer_waits, total);
		CHECK_EQ(st.producer_waits == 0, st.producer_wait_ns == 0);
		if (producers == 1)
			CHECK_EQU(st.producer_waits, 0);
	} else {
		CHECK_EQU(st.producer_waits, 0);
		CHECK_EQU(st.producer_wait_ns, 0);
	}
	free(next);
	mbx_destroy(c.m);
}

static void t_mpsc(const mbx_ops *ops, uint64_t seed)
{
	run_mpsc(ops, seed, 4, 100000 / V_SCALE, 0, -1, false, false);
}
static void t_mpsc_small(const mbx_ops *ops, uint64_t seed)
{	/* smallest capacity, slow consumer: producers block on full all the time */
	uint32_t cap = (ops->caps & MBX_CAP_BOUNDED) ? 2 : 0;
	run_mpsc(ops, seed, 3, 30000 / V_SCALE, cap, -1, false, true);
}
static void t_mpsc_park(const mbx_ops *ops, uint64_t seed)
{	/* spin budget 0: every wait parks at once, the wake path runs constantly */
	run_mpsc(ops, seed, 4, 50000 / V_SCALE, (ops->caps & MBX_CAP_BOUNDED) ? 16 : 0, 0, false, true);
}
static void t_mpsc_oversub(const mbx_ops *ops, uint64_t seed)
{	/* 16 producers on 2 cores, try_push + yield */
	run_mpsc(ops, seed, 16, 10000 / V_SCALE, 0, -1, true, false);
}
static void t_stats(const mbx_ops *ops, uint64_t seed)
{	/* one producer: a kind's wait counters stay at zero (run_mpsc checks) */
	run_mpsc(ops, seed, 1, 50000 / V_SCALE, 0, -1, false, false);
}

/* Bounded: exactly capacity messages fit; try_push says FULL exactly then. */
static void t_capacity(const mbx_ops *ops, uint64_t seed)
{
	uint32_t caps[] = {2, 4, 64, 1024};
	for (size_t k = 0; k < sizeof caps / sizeof caps[0]; k++) {
		mbx *m = make(ops, caps[k], -1);
		CHECK_EQ(m->capacity, caps[k]);
		for (int round = 0; round < 3; round++) {
			for (uint32_t i = 0; i < caps[k]; i++) {
				mbx_msg msg = msg_of(1, i, seed);
				CHECK_STATUS(mbx_try_push(m, &msg, NULL), MBX_OK);
			}
			CHECK_EQ(mbx_len(m), caps[k]);
			mbx_msg extra = msg_of(1, 999999, seed), out;
			CHECK_STATUS(mbx_try_push(m, &extra, NULL), MBX_FULL);
			CHECK_STATUS(mbx_pop(m, &out), MBX_OK);
			check_msg(&out, 1, 0, seed);
			CHECK_STATUS(mbx_try_push(m, &extra, NULL), MBX_OK);
			CHECK_STATUS(mbx_try_push(m, &extra, NULL), MBX_FULL);
			for (uint32_t i = 1; i < caps[k]; i++) {
				CHECK_STATUS(try_pop_settled(m, &out), MBX_OK);
				check_msg(&out, 1, i, seed);
			}
			CHECK_STATUS(try_pop_settled(m, &out), MBX_OK);
			check_msg(&out, 1, 999999, seed);
			CHECK_STATUS(try_pop_settled(m, &out), MBX_EMPTY);
		}
		mbx_destroy(m);
	}
}

/* A producer blocked on a full mailbox is released by a pop. */
typedef struct { mbx *m; _Atomic int done; mbx_status st; uint64_t seed; } blk_ctx;
static void *blocked_pusher(void *p)
{
	blk_ctx *b = p;
	mbx_msg msg = msg_of(2, 42, b->seed);
	b->st = mbx_push(b->m, &msg, NULL);
	atomic_store(&b->done, 1);
	return NULL;
}

static void t_blocked_producer(const mbx_ops *ops, uint64_t seed)
{
	int32_t spins[] = {0, -1};
	for (int k = 0; k < 2; k++) {
		mbx *m = make(ops, 4, spins[k]);
		push_n(m, 2, 4, seed);
		blk_ctx b = {.m = m, .seed = seed};
		pthread_t t;
		CHECK_EQ(pthread_create(&t, NULL, blocked_pusher, &b), 0);
		v_sleep_ms(50);
		CHECK_EQ(atomic_load(&b.done), 0); /* still blocked: the mailbox is full */
		mbx_msg out;
		CHECK_STATUS(mbx_pop(m, &out), MBX_OK);
		check_msg(&out, 2, 0, seed);
		int64_t t0 = mbx_now_ns();
		while (!atomic_load(&b.done)) {
			CHECK_LT(mbx_now_ns() - t0, 5000000000ll); /* released within 5 s or it is a lost wake-up */
			v_sleep_ms(1);
		}
		pthread_join(t, NULL);
		CHECK_STATUS(b.st, MBX_OK);
		for (uint64_t i = 1; i < 4; i++) {
			CHECK_STATUS(mbx_pop(m, &out), MBX_OK);
			check_msg(&out, 2, i, seed);
		}
		CHECK_STATUS(mbx_pop(m, &out), MBX_OK);
		check_msg(&out, 2, 42, seed);
		mbx_destroy(m);
	}
}

/* pop_timeout returns on time with nothing, and early with a message. */
typedef struct { mbx *m; unsigned delay_ms; uint64_t seed; } late_ctx;
static void *late_pusher(void *p)
{
	late_ctx *l = p;
	v_sleep_ms(l->delay_ms);
	mbx_msg msg = msg_of(3, 0, l->seed);
	CHECK_STATUS(mbx_push(l->m, &msg, NULL), MBX_OK);
	return NULL;
}

static void t_pop_timeout(const mbx_ops *ops, uint64_t seed)
{
	int32_t spins[] = {0, -1};
	for (int k = 0; k < 2; k++) {
		mbx *m = make(ops, 0, spins[k]);
		mbx_msg out;
		CHECK_STATUS(mbx_pop_timeout(m, &out, 0), MBX_EMPTY);
		CHECK_STATUS(mbx_pop_timeout(m, &out, -5), MBX_EMPTY);
		int64_t t0 = mbx_now_ns();
		CHECK_STATUS(mbx_pop_timeout(m, &out, 50 * 1000000ll), MBX_TIMEOUT);
		int64_t el = mbx_now_ns() - t0;
		CHECK_GE(el, 50 * 1000000ll);   /* not early */
		CHECK_LT(el, 2000 * 1000000ll); /* not lost */
		late_ctx l = {m, 30, seed};
		pthread_t t;
		CHECK_EQ(pthread_create(&t, NULL, late_pusher, &l), 0);
		t0 = mbx_now_ns();
		CHECK_STATUS(mbx_pop_timeout(m, &out, 10000 * 1000000ll), MBX_OK);
		CHECK_LT(mbx_now_ns() - t0, 5000 * 1000000ll); /* woken by the push, not by the timeout */
		check_msg(&out, 3, 0, seed);
		pthread_join(t, NULL);
		mbx_destroy(m);
	}
}

/* close wakes a blocked consumer. */
static void *closer(void *p)
{
	v_sleep_ms(50);
	mbx_close(p);
	return NULL;
}

static void t_close_wakes_consumer(const mbx_ops *ops, uint64_t seed)
{
	(void)seed;
	int32_t spins[] = {0, -1};
	for (int k = 0; k < 2; k++) {
		mbx *m = make(ops, 0, spins[k]);
		pthread_t t;
		CHECK_EQ(pthread_create(&t, NULL, closer, m), 0);
		mbx_msg out;
		CHECK_STATUS(mbx_pop(m, &out), MBX_CLOSED);
		pthread_join(t, NULL);
		CHECK_STATUS(mbx_pop(m, &out), MBX_CLOSED);
		CHECK_STATUS(mbx_try_pop(m, &out), MBX_CLOSED);
		CHECK_STATUS(mbx_pop_timeout(m, &out, 1000000), MBX_CLOSED);
		mbx_close(m); /* idempotent */
		mbx_destroy(m);
	}
}

/* close wakes every blocked producer with CLOSED; queued messages drain. */
static void t_close_wakes_producers(const mbx_ops *ops, uint64_t seed)
{
	mbx *m = make(ops, 4, -1);
	push_n(m, 2, 4, seed);
	enum { NB = 3 };
	blk_ctx b[NB];
	pthread_t t[NB];
	for (int i = 0; i < NB; i++) {
		b[i] = (blk_ctx){.m = m, .seed = seed};
		CHECK_EQ(pthread_create(&t[i], NULL, blocked_pusher, &b[i]), 0);
	}
	v_sleep_ms(50);
	for (int i = 0; i < NB; i++)
		CHECK_EQ(atomic_load(&b[i].done), 0);
	mbx_close(m);
	for (int i = 0; i < NB; i++) {
		pthread_join(t[i], NULL);
		CHECK_STATUS(b[i].st, MBX_CLOSED);
	}
	mbx_msg out;
	for (uint64_t i = 0; i < 4; i++) {
		CHECK_STATUS(mbx_pop(m, &out), MBX_OK);
		check_msg(&out, 2, i, seed);
	}
	CHECK_STATUS(mbx_pop(m, &out), MBX_CLOSED);
	mbx_destroy(m);
}

/* Queued messages drain in order after close; pushes after close fail. */
static void t_close_drain(const mbx_ops *ops, uint64_t seed)
{
	mbx *m = make(ops, 0, -1);
	uint32_t n = bounded(m) ? m->capacity : 5000;
	push_n(m, 4, n, seed);
	mbx_close(m);
	mbx_msg late = msg_of(4, n, seed), out;
	CHECK_STATUS(mbx_push(m, &late, NULL), MBX_CLOSED);
	CHECK_STATUS(mbx_try_push(m, &late, NULL), MBX_CLOSED);
	for (uint32_t i = 0; i < n; i++) {
		CHECK_STATUS(mbx_pop(m, &out), MBX_OK);
		check_msg(&out, 4, i, seed);
	}
	CHECK_STATUS(mbx_pop(m, &out), MBX_CLOSED);
	CHECK_STATUS(mbx_try_pop(m, &out), MBX_CLOSED);
	mbx_destroy(m);
}

/* Producers race close: every OK push is popped or drained, exactly once. */
typedef struct { mbx *m; uint32_t id; uint64_t ok; uint64_t seed; } race_arg;
static void *race_producer(void *p)
{
	race_arg *a = p;
	for (uint64_t i = 0;; i++) {
		mbx_msg msg = msg_of(a->id, a->ok, a->seed);
		mbx_status s = mbx_push(a->m, &msg, NULL);
		if (s == MBX_CLOSED)
			return NULL;
		CHECK_STATUS(s, MBX_OK);
		a->ok++;
		if ((i & 63) == 0)
			sched_yield();
	}
}

typedef struct { uint64_t *next; uint64_t seed; uint32_t producers; uint64_t n; } drain_ctx;
static void drain_check(const mbx_msg *msg, void *p)
{
	drain_ctx *d = p;
	CHECK_LT(msg->sender, d->producers);
	check_msg(msg, msg->sender, d->next[msg->sender]++, d->seed);
	d->n++;
}

static void t_close_race(const mbx_ops *ops, uint64_t seed)
{
	v_rng r = {seed};
	for (int round = 0; round < 20; round++) {
		enum { P = 3 };
		mbx *m = make(ops, (ops->caps & MBX_CAP_BOUNDED) ? 64 : 0, -1);
		race_arg a[P];
		pthread_t t[P];
		uint64_t next[P] = {0};
		for (uint32_t i = 0; i < P; i++) {
			a[i] = (race_arg){m, i, 0, seed};
			CHECK_EQ(pthread_create(&t[i], NULL, race_producer, &a[i]), 0);
		}
		uint64_t until = v_below(&r, 3000 / V_SCALE), popped = 0;
		mbx_msg out;
		for (; popped < until; popped++) {
			CHECK_STATUS(mbx_pop(m, &out), MBX_OK);
			check_msg(&out, out.sender, next[out.sender]++, seed);
		}
		mbx_close(m);
		mbx_status s;
		while ((s = mbx_pop(m, &out)) == MBX_OK) {
			check_msg(&out, out.sender, next[out.sender]++, seed);
			popped++;
		}
		CHECK_STATUS(s, MBX_CLOSED);
		for (uint32_t i = 0; i < P; i++)
			pthread_join(t[i], NULL);
		drain_ctx d = {next, seed, P, 0};
		size_t late = mbx_drain(m, drain_check, &d);
		if (ops->caps & MBX_CAP_EXACT_CLOSE)
			CHECK_EQ(late, 0); /* exact close: nothing may land after CLOSED */
		uint64_t ok = 0;
		for (uint32_t i = 0; i < P; i++) {
			CHECK_EQU(next[i], a[i].ok); /* every OK push seen exactly once, in order */
			ok += a[i].ok;
		}
		CHECK_EQU(popped + late, ok);
		mbx_destroy(m);
	}
}

/* destroy with messages still queued frees them (LSan checks). */
static void t_destroy_nonempty(const mbx_ops *ops, uint64_t seed)
{
	mbx *m = make(ops, 0, -1);
	uint32_t n = bounded(m) ? m->capacity : 100000;
	push_n(m, 5, n, seed);
	mbx_msg out;
	for (uint32_t i = 0; i < n / 3; i++)
		CHECK_STATUS(mbx_pop(m, &out), MBX_OK);
	mbx_destroy(m);
	m = make(ops, 0, -1); /* and closed-but-undrained */
	push_n(m, 5, 10, seed);
	mbx_close(m);
	mbx_destroy(m);
}

/* was_empty: true on the push that makes an empty mailbox non-empty. */
static void t_was_empty(const mbx_ops *ops, uint64_t seed)
{
	mbx *m = make(ops, 0, -1);
	for (int round = 0; round < 100; round++) {
		bool we = false;
		mbx_msg msg = msg_of(6, 0, seed), out;
		CHECK_STATUS(mbx_push(m, &msg, &we), MBX_OK);
		CHECK_EQ(we, true); /* never falsely false */
		int extra = round % 5;
		for (int i = 0; i < extra; i++)
			CHECK_STATUS(mbx_push(m, &msg, NULL), MBX_OK);
		for (int i = 0; i <= extra; i++)
			CHECK_STATUS(mbx_pop(m, &out), MBX_OK);
	}
	mbx_destroy(m);
}

/* Bad configurations are refused with EINVAL, never crash. */
static void t_bad_config(const mbx_ops *ops, uint64_t seed)
{
	(void)seed;
	mbx *m;
	if (!(ops->caps & MBX_CAP_UNBOUNDED)) {
		errno = 0;
		CHECK(mbx_create(ops, MBX_UNBOUNDED, -1) == NULL);
		CHECK_EQ(errno, EINVAL);
	}
	if (ops->caps & MBX_CAP_BOUNDED) {
		errno = 0;
		CHECK(mbx_create(ops, 1, -1) == NULL);
		CHECK_EQ(errno, EINVAL);
	} else {
		errno = 0;
		CHECK(mbx_create(ops, 64, -1) == NULL);
		CHECK_EQ(errno, EINVAL);
	}
	if (ops->caps & MBX_CAP_POW2) {
		errno = 0;
		CHECK(mbx_create(ops, 100, -1) == NULL);
		CHECK_EQ(errno, EINVAL);
	}
	m = make(ops, 0, 0);
	CHECK_EQ(m->spin, 0);
	mbx_destroy(m);
	m = make(ops, 0, -1);
	CHECK_EQ(m->spin, ops->default_spin);
	CHECK_EQ(m->capacity, ops->default_capacity);
	CHECK_EQ(m->yields, ops->caps & MBX_CAP_YIELD ? ops->default_yields : 0);
	mbx_destroy(m);
	/* The wait's yield phase (config.yields): the kind's default for -1, as
	 * given for MBX_CAP_YIELD kinds, none for the others. It follows a spin,
	 * so the capability comes with MBX_CAP_SPIN and a default above 0. */
	if (ops->caps & MBX_CAP_YIELD) {
		CHECK(ops->caps & MBX_CAP_SPIN);
		CHECK(ops->default_yields > 0);
	} else {
		CHECK_EQ(ops->default_yields, 0);
	}
	const int32_t yields[] = {-1, 0, 3};
	for (size_t k = 0; k < sizeof yields / sizeof yields[0]; k++) {
		mbx_config cfg = {.capacity = 0, .spin = -1, .yields = yields[k]};
		m = mbx_create_cfg(ops, &cfg);
		CHECK(m != NULL);
		CHECK_EQ(m->yields, !(ops->caps & MBX_CAP_YIELD) ? 0 : yields[k] < 0 ? ops->default_yields : yields[k]);
		CHECK_EQ(m->spin, ops->default_spin);
		mbx_destroy(m);
	}
}

/* ---------------------------------------------------------------- driver */
typedef struct test_def {
	v_test t; /* name, timeout, capability bits the mailbox must have */
	void (*fn)(const mbx_ops *ops, uint64_t seed);
} test_def;

static const test_def tests[] = {
	{{"fifo_single", 60, 0}, t_fifo_single},
	{{"mpsc", 120, 0}, t_mpsc},
	{{"mpsc_small", 120, 0}, t_mpsc_small},
	{{"mpsc_park", 120, MBX_CAP_BLOCKING}, t_mpsc_park},
	{{"mpsc_oversub", 120, 0}, t_mpsc_oversub},
	{{"stats", 60, 0}, t_stats},
	{{"capacity", 60, MBX_CAP_BOUNDED}, t_capacity},
	{{"blocked_producer", 60, MBX_CAP_BOUNDED}, t_blocked_producer},
	{{"pop_timeout", 60, 0}, t_pop_timeout},
	{{"close_wakes_consumer", 60, 0}, t_close_wakes_consumer},
	{{"close_wakes_producers", 60, MBX_CAP_BOUNDED}, t_close_wakes_producers},
	{{"close_drain", 60, 0}, t_close_drain},
	{{"close_race", 120, 0}, t_close_race},
	{{"destroy_nonempty", 60, 0}, t_destroy_nonempty},
	{{"was_empty", 60, 0}, t_was_empty},
	{{"bad_config", 60, 0}, t_bad_config},
};

static void usage(const v_suite *s, FILE *f)
{
	(void)s;
	fprintf(f,
	        "usage: %s [--list] [--mailbox NAME] [--test NAME] [--seed S]\n"
	        "  --list          print 'mailbox/test timeout args...' for every applicable pair (ctest)\n"
	        "  --mailbox NAME  run only this mailbox (default: all in the table)\n"
	        "  --test NAME     run only this test (default: all that apply)\n"
	        "  --seed S        seed for the random parts (default: from the clock; printed)\n"
	        "  --help          this text\n",
	        PROG);
}

static void run_test(const v_test *t, const v_case *c, uint64_t seed)
{
	mbx_chaos_seed(seed);
	((const test_def *)(const void *)t)->fn(c->ops, seed);
}

static void done(v_suite *s)
{
	if (s->test && s->mailbox && s->ran == 0)
		cli_die(PROG, "test '%s' does not apply to mailbox '%s'", s->test, s->mailbox);
}

int main(int argc, char **argv)
{
	v_suite s = {.prog = PROG, .label = "conformance", .test_flag = "--test", V_SUITE_TESTS(tests),
	             .usage = usage, .run = run_test, .done = done};
	return v_suite_main(&s, argc, argv);
}
