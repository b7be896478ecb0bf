/* contract_test.c: mailbox contract cases the audit of issue 16 found
 * untested, written once over the table (label `conformance`): timeouts too
 * long for now + ns (UBSan aborts on the overflow in the asan preset),
 * was_empty with several producers against a consumer that only runs when
 * signalled, mbx_drain racing producers on one CPU, and small histories with
 * FULL, TIMEOUT and CLOSED answers checked for linearizability. */
#include <errno.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lincheck.h"
#include "mailbox.h"
#include "suite.h"
#include "vutil.h"

static const char *PROG = "mailroom-contract-test";

static mbx *make(const mbx_ops *ops, uint32_t cap, int32_t spin) { return v_make(PROG, ops, cap, spin); }

/* ---- timeouts past the end of the clock ---- */
typedef struct { mbx *m; unsigned delay_ms; bool close; } late_ctx;
static void *late(void *p)
{
	late_ctx *l = p;
	v_sleep_ms(l->delay_ms);
	if (l->close) {
		mbx_close(l->m);
	} else {
		mbx_msg msg = {.tag = 9, .a = 42};
		CHECK_STATUS(mbx_push(l->m, &msg, NULL), MBX_OK);
	}
	return NULL;
}

/* pop_timeout(ns) for ns near INT64_MAX: now + ns overflows (undefined
 * behaviour; UBSan aborts); the clamped deadline waits "for ever" instead:
 * answered by a message already there, one pushed later, or close. */
static void t_huge_timeout(const mbx_ops *ops, uint64_t seed)
{
	(void)seed;
	const int64_t huge[] = {INT64_MAX, INT64_MAX - 1, INT64_MAX / 2 + 1};
	const int32_t spins[] = {0, -1};
	for (size_t k = 0; k < sizeof spins / sizeof spins[0]; k++) {
		for (size_t h = 0; h < sizeof huge / sizeof huge[0]; h++) {
			mbx *m = make(ops, 0, spins[k]);
			mbx_msg msg = {.tag = 9, .a = 41}, out;
			CHECK_STATUS(mbx_push(m, &msg, NULL), MBX_OK); /* already there */
			CHECK_STATUS(mbx_pop_timeout(m, &out, huge[h]), MBX_OK);
			CHECK_EQU(out.a, 41);
			late_ctx l = {m, 20, false}; /* pushed while we wait */
			pthread_t t;
			CHECK_EQ(pthread_create(&t, NULL, late, &l), 0);
			CHECK_STATUS(mbx_pop_timeout(m, &out, huge[h]), MBX_OK);
			CHECK_EQU(out.a, 42);
			pthread_join(t, NULL);
			l.close = true; /* closed while we wait */
			CHECK_EQ(pthread_create(&t, NULL, late, &l), 0);
			CHECK_STATUS(mbx_pop_timeout(m, &out, huge[h]), MBX_CLOSED);
			pthread_join(t, NULL);
			mbx_destroy(m);
		}
	}
}

/* ---- was_empty with several producers ----
 * The contract: was_empty is "never falsely false: if it is false, a
 * consumer that is draining will reach this message without a signal". The
 * consumer here behaves as a pooled scheduler's actor: it drains only after
 * a signal (a semaphore post), to EMPTY, and then waits for the next signal;
 * a producer posts exactly when its push said was_empty. Two oracles:
 *  - no message is stranded: a falsely-false was_empty leaves one queued
 *    behind an EMPTY with no signal coming (the consumer's timed wait fails);
 *  - every batch the consumer drains after an EMPTY holds a message whose
 *    push said was_empty: a false answer promises that a DRAINING consumer
 *    reaches the message, and this one had stopped at EMPTY, so some push of
 *    the batch must have owed it the wake. (Not "the first message of the
 *    batch": ring kinds decide was_empty at admission, which may order two
 *    pushes differently from their slots; true more often is allowed.) */
enum { WE_P = 4 };
typedef struct we_ctx {
	mbx *m;
	uint64_t per;
	sem_t sig;
	_Atomic uint8_t *we; /* [producer * per + seq]: 1 false, 2 true */
} we_ctx;
typedef struct { we_ctx *c; uint32_t id; } we_arg;

static void *we_producer(void *p)
{
	we_arg *a = p;
	v_rng r = {a->id * 7919 + 1};
	for (uint64_t i = 0; i < a->c->per; i++) {
		mbx_msg msg = {.tag = 5, .sender = a->id, .seq = i};
		bool was_empty = false;
		CHECK_STATUS(mbx_push(a->c->m, &msg, &was_empty), MBX_OK);
		/* relaxed: read only after the join */
		atomic_store_explicit(&a->c->we[a->id * a->c->per + i], was_empty ? 2 : 1, memory_order_relaxed);
		if (was_empty)
			CHECK_EQ(sem_post(&a->c->sig), 0);
		if (v_below(&r, 8) == 0)
			sched_yield(); /* let the consumer catch up: many EMPTYs */
	}
	return NULL;
}

static void t_was_empty_concurrent(const mbx_ops *ops, uint64_t seed)
{
	we_ctx c = {.m = make(ops, 0, -1), .per = 20000 / V_SCALE};
	uint64_t total = WE_P * c.per;
	c.we = calloc(total, sizeof *c.we);
	uint32_t *batch = malloc(total * sizeof *batch); /* [message]: the drain batch that popped it */
	uint64_t next[WE_P] = {0}, got = 0;
	uint32_t nbatch = 0, in_batch = 0; /* batches (drains that popped something) */
	CHECK(c.we && batch);
	CHECK_EQ(sem_init(&c.sig, 0, 0), 0);
	pthread_t th[WE_P];
	we_arg args[WE_P];
	for (uint32_t i = 0; i < WE_P; i++) {
		args[i] = (we_arg){&c, i};
		CHECK_EQ(pthread_create(&th[i], NULL, we_producer, &args[i]), 0);
	}
	while (got < total) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 10;
		int r;
		while ((r = sem_timedwait(&c.sig, &ts)) != 0 && errno == EINTR)
			;
		if (r != 0) {
			fprintf(stderr, "%s: %s: stranded: %llu of %llu popped and no signal for 10 s "
			        "(a was_empty was falsely false; seed %llu)\n", PROG, ops->name,
			        (unsigned long long)got, (unsigned long long)total, (unsigned long long)seed);
			abort();
		}
		for (;;) {
			mbx_msg out;
			mbx_status s = mbx_try_pop(c.m, &out);
			if (s == MBX_RETRY) {
				sched_yield(); /* not empty: a push is mid-link */
				continue;
			}
			if (s == MBX_EMPTY) {
				if (in_batch)
					nbatch++;
				in_batch = 0;
				break;
			}
			CHECK_STATUS(s, MBX_OK);
			CHECK_LT(out.sender, WE_P);
			CHECK_EQU(out.seq, next[out.sender]);
			next[out.sender]++;
			batch[out.sender * c.per + out.seq] = nbatch;
			in_batch++;
			got++;
		}
	}
	for (uint32_t i = 0; i < WE_P; i++)
		pthread_join(th[i], NULL);
	uint64_t trues = 0;
	for (uint64_t i = 0; i < total; i++)
		trues += atomic_load_explicit(&c.we[i], memory_order_relaxed) == 2;
	nbatch += in_batch != 0;
	uint8_t *owed = calloc(nbatch + 1, 1); /* [batch]: some push in it said was_empty */
	CHECK(owed != NULL);
	for (uint64_t i = 0; i < total; i++)
		if (atomic_load_explicit(&c.we[i], memory_order_relaxed) == 2)
			owed[batch[i]] = 1;
	for (uint64_t i = 0; i < total; i++) {
		if (!owed[batch[i]]) {
			fprintf(stderr, "%s: %s: drain batch %u (message %llu of producer %llu) came after an "
			        "EMPTY but no push in it said was_empty=true\n", PROG, ops->name, batch[i],
			        (unsigned long long)(i % c.per), (unsigned long long)(i / c.per));
			abort();
		}
	}
	CHECK_GE(trues, nbatch); /* one owed wake per batch at least */
	printf("%s: %s: %llu messages in %u drain batches, %llu was_empty=true\n", PROG, ops->name,
	       (unsigned long long)total, nbatch, (unsigned long long)trues);
	free(owed);
	sem_destroy(&c.sig);
	free(batch);
	free(c.we);
	mbx_destroy(c.m);
}

/* ---- mbx_drain racing producers, on one CPU ----
 * Pinned, so a producer preempted between claim and link (RETRY kinds) can
 * only finish if the draining consumer gives up the CPU; every OK push is
 * popped or drained exactly once, in per-producer order. */
enum { DR_P = 3 };
typedef struct { mbx *m; uint32_t id; uint64_t ok; } dr_arg;
static void *dr_producer(void *p)
{
	dr_arg *a = p;
	for (;;) {
		mbx_msg msg = {.tag = 3, .sender = a->id, .seq = a->ok};
		mbx_status s = mbx_push(a->m, &msg, NULL);
		if (s == MBX_CLOSED)
			return NULL;
		CHECK_STATUS(s, MBX_OK);
		a->ok++;
	}
}

typedef struct { uint64_t next[DR_P]; uint64_t n; } dr_seen;
static void dr_check(const mbx_msg *msg, void *p)
{
	dr_seen *d = p;
	CHECK_LT(msg->sender, DR_P);
	CHECK_EQU(msg->seq, d->next[msg->sender]);
	d->next[msg->sender]++;
	d->n++;
}

static void t_drain_pinned(const mbx_ops *ops, uint64_t seed)
{
	cpu_set_t one;
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu() >= 0 ? sched_getcpu() : 0, &one);
	CHECK_EQ(pthread_setaffinity_np(pthread_self(), sizeof one, &one), 0); /* threads inherit it */
	v_rng r = {seed};
	v_watchdog wd;
	v_watchdog_start(&wd, 20, "drain_pinned");
	for (int round = 0; round < 30; round++) {
		mbx *m = make(ops, (ops->caps & MBX_CAP_BOUNDED) ? 64 : 0, -1);
		dr_arg a[DR_P];
		pthread_t t[DR_P];
		for (uint32_t i = 0; i < DR_P; i++) {
			a[i] = (dr_arg){m, i, 0};
			CHECK_EQ(pthread_create(&t[i], NULL, dr_producer, &a[i]), 0);
		}
		v_sleep_ms((unsigned)v_below(&r, 5));
		mbx_close(m);
		dr_seen d = {{0}, 0};
		size_t n = mbx_drain(m, dr_check, &d); /* may meet producers mid-link */
		for (uint32_t i = 0; i < DR_P; i++)
			pthread_join(t[i], NULL);
		n += mbx_drain(m, dr_check, &d); /* pushes that passed close's check late */
		uint64_t ok = 0;
		for (uint32_t i = 0; i < DR_P; i++) {
			CHECK_EQU(d.next[i], a[i].ok);
			ok += a[i].ok;
		}
		CHECK_EQU(n, ok);
		v_tick(&wd);
		mbx_destroy(m);
	}
	v_watchdog_stop(&wd);
}

/* ---- linearizability with every answer ----
 * Many short rounds, each a small history checked by lincheck.h's search
 * against the sequential model: two producers try_push 3 values each
 * (FULL on a bounded kind at capacity 2), the consumer mixes try_pop and
 * pop_timeout (EMPTY, TIMEOUT; RETRY is retried, not recorded), and on
 * exact-close kinds a third thread closes mid-round (CLOSED answers to both
 * sides). After the joins a final try_pop closes the history, so a lost
 * value shows as an answer the model refuses. */
enum { LN_P = 2, LN_PER = 3, LN_POPS = 6 };
typedef struct ln_round {
	mbx *m;
	bool closer;
	uint64_t seed;
	pthread_barrier_t go;
	lc_op ops[LN_P * LN_PER + LN_POPS + 2];
	_Atomic int nops;
} ln_round;

static lc_answer ln_answer(mbx_status s)
{
	switch (s) {
	case MBX_OK: return LC_A_OK;
	case MBX_FULL: return LC_A_FULL;
	case MBX_EMPTY: return LC_A_EMPTY;
	case MBX_TIMEOUT: return LC_A_TIMEOUT;
	case MBX_CLOSED: return LC_A_CLOSED;
	default:
		fprintf(stderr, "%s: unexpected answer %s in a history\n", PROG, mbx_status_name(s));
		abort();
	}
}

static void ln_record(ln_round *r, lc_op op)
{
	r->ops[atomic_fetch_add(&r->nops, 1)] = op; /* seq_cst: slots are distinct; read after the joins */
}

typedef struct { ln_round *r; uint32_t id; } ln_arg;

static void *ln_producer(void *p)
{
	ln_arg *a = p;
	pthread_barrier_wait(&a->r->go);
	for (uint32_t i = 0; i < LN_PER; i++) {
		uint8_t v = (uint8_t)(1 + a->id * LN_PER + i);
		mbx_msg msg = {.tag = 4, .sender = a->id, .seq = i, .a = v};
		int64_t inv = mbx_now_ns();
		mbx_status s = mbx_try_push(a->r->m, &msg, NULL);
		ln_record(a->r, (lc_op){inv, mbx_now_ns(), LC_PUSH, ln_answer(s), v});
	}
	return NULL;
}

static void *ln_closer(void *p)
{
	ln_round *r = p;
	v_rng g = {r->seed};
	pthread_barrier_wait(&r->go);
	for (uint64_t k = v_below(&g, 2000); k > 0; k--)
		mbx_cpu_relax();
	int64_t inv = mbx_now_ns();
	mbx_close(r->m);
	ln_record(r, (lc_op){inv, mbx_now_ns(), LC_CLOSE, LC_A_OK, 0});
	return NULL;
}

/* One consumer op (try_pop or pop_timeout), RETRY retried; recorded. */
static void ln_pop(ln_round *r, bool timed, int64_t ns)
{
	for (;;) {
		mbx_msg out = {0};
		int64_t inv = mbx_now_ns();
		mbx_status s = timed ? mbx_pop_timeout(r->m, &out, ns) : mbx_try_pop(r->m, &out);
		int64_t resp = mbx_now_ns();
		if (s == MBX_RETRY) {
			sched_yield();
			continue;
		}
		ln_record(r, (lc_op){inv, resp, LC_POP, ln_answer(s), s == MBX_OK ? (uint8_t)out.a : 0});
		return;
	}
}

static void t_lin_answers(const mbx_ops *ops, uint64_t seed)
{
	bool exact = ops->caps & MBX_CAP_EXACT_CLOSE;
	uint32_t cap = (ops->caps & MBX_CAP_BOUNDED) ? 2 : 0;
	v_rng g = {seed};
	unsigned rounds = 3000 / V_SCALE, answers[5] = {0};
	for (unsigned round = 0; round < rounds; round++) {
		ln_round *r = calloc(1, sizeof *r);
		CHECK(r != NULL);
		r->m = make(ops, cap, v_below(&g, 2) ? 0 : -1);
		r->closer = exact && v_below(&g, 2);
		r->seed = v_next(&g);
		CHECK_EQ(pthread_barrier_init(&r->go, NULL, LN_P + 1 + r->closer), 0);
		pthread_t th[LN_P + 1];
		ln_arg args[LN_P];
		for (uint32_t i = 0; i < LN_P; i++) {
			args[i] = (ln_arg){r, i};
			CHECK_EQ(pthread_create(&th[i], NULL, ln_producer, &args[i]), 0);
		}
		if (r->closer)
			CHECK_EQ(pthread_create(&th[LN_P], NULL, ln_closer, r), 0);
		pthread_barrier_wait(&r->go);
		for (int k = 0; k < LN_POPS; k++)
			ln_pop(r, v_below(&g, 2), (int64_t)v_below(&g, 20000) + 1);
		for (uint32_t i = 0; i < LN_P + (uint32_t)r->closer; i++)
			pthread_join(th[i], NULL);
		ln_pop(r, false, 0); /* after everything: refuses a lost value */
		int n = atomic_load(&r->nops);
		uint32_t model_cap = cap ? r->m->capacity : UINT32_MAX;
		if (!lc_model_check(r->ops, n, model_cap)) {
			fprintf(stderr, "%s: %s: round %u: history not linearizable against the model "
			        "(capacity %u%s; seed %llu):\n", PROG, ops->name, round, r->m->capacity,
			        r->closer ? ", close racing" : "", (unsigned long long)seed);
			lc_print_history(stderr, r->ops, n);
			abort();
		}
		for (int i = 0; i < n; i++)
			answers[r->ops[i].ans]++;
		pthread_barrier_destroy(&r->go);
		mbx_destroy(r->m);
		free(r);
	}
	printf("%s: %s: %u histories linearizable; answers OK=%u FULL=%u EMPTY=%u TIMEOUT=%u CLOSED=%u\n", PROG,
	       ops->name, rounds, answers[LC_A_OK], answers[LC_A_FULL], answers[LC_A_EMPTY], answers[LC_A_TIMEOUT],
	       answers[LC_A_CLOSED]);
	/* a checker that never sees an answer checks nothing */
	CHECK_GT(answers[LC_A_TIMEOUT], 0);
	if (cap)
		CHECK_GT(answers[LC_A_FULL], 0);
	if (exact)
		CHECK_GT(answers[LC_A_CLOSED], 0);
}

typedef struct test_def {
	v_test t;
	void (*fn)(const mbx_ops *ops, uint64_t seed);
} test_def;

static const test_def tests[] = {
	{{"huge_timeout", 60, 0}, t_huge_timeout},
	{{"was_empty_concurrent", 120, 0}, t_was_empty_concurrent},
	{{"drain_pinned", 120, 0}, t_drain_pinned},
	{{"lin_answers", 120, 0}, t_lin_answers},
};

static void run_test(const v_test *t, const v_case *c, uint64_t seed)
{
	mbx_chaos_seed(seed);
	((const test_def *)(const void *)t)->fn(c->ops, seed);
}

int main(int argc, char **argv)
{
	v_suite s = {.prog = PROG, .label = "contract", .test_flag = "--test", V_SUITE_TESTS(tests),
	             .run = run_test};
	return v_suite_main(&s, argc, argv);
}
