/* stress.c: mailroom-stress, the seeded stress driver. Runs one workload on
 * one mailbox and checks its oracles; the shared test driver (suite.h)
 * prints its seed and replay line, and lists the bounded ctest suite (named
 * configurations per mailbox). Exits 0 when every oracle holds, 1 with a
 * precise message when one fails, 2 on bad arguments, and aborts with a dump
 * when the watchdog sees no progress (lost wake-up, deadlock) instead of
 * hanging. */
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actor.h"
#include "check.h"
#include "cli.h"
#include "lincheck.h"
#include "mailbox.h"
#include "suite.h"
#include "vutil.h"
#include "workload.h"

static const char *PROG = "mailroom-stress";

typedef enum { W_FANIN, W_CLOSE, W_BANK } workload;
#ifdef MAILROOM_CHAOS /* ctest timeout: the chaos hook's yields slow runs down */
enum { TIMEOUT_S = 240 };
#else
enum { TIMEOUT_S = 180 };
#endif
/* The suite's tests (--workload): one per workload, in enum order. */
typedef struct test_def {
	v_test t;
	workload w;
} test_def;
static const test_def tests[] = {
	{{"fanin", TIMEOUT_S, 0}, W_FANIN},
	{{"close", TIMEOUT_S, 0}, W_CLOSE},
	{{"bank", TIMEOUT_S, 0}, W_BANK},
};

/* One run's configuration: the flags, or a named one of the ctest suite. */
typedef struct opts {
	const mbx_ops *ops;
	const wl_backend *backend;
	workload w;
	uint32_t producers, capacity, accounts, watchdog;
	int32_t spin;
	uint64_t messages, seed;
	bool boxed, lin, pin;
} opts;

static opts O;             /* the run's */
static char replay[512];   /* the run's replay command */

static void fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "%s: FAIL (%s/%s): ", PROG, O.ops ? O.ops->name : "-", tests[O.w].t.name);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%s: replay: %s\n", PROG, replay);
	fflush(stderr);
	exit(1);
}

static void pin_self(void)
{
	if (!O.pin)
		return;
	cpu_set_t s;
	CPU_ZERO(&s);
	CPU_SET(0, &s);
	pthread_setaffinity_np(pthread_self(), sizeof s, &s);
}

/* ------------------------------------------------------------ fanin + close */
typedef struct box { uint32_t producer; uint64_t seq, check; } box; /* --boxed payload */

typedef struct shared {
	mbx *m;
	_Atomic uint64_t *sent;   /* per producer: pushes that returned OK */
	_Atomic uint64_t received;
	_Atomic uint64_t pushed_total; /* capacity oracle */
	uint64_t per;              /* messages per producer (fanin) */
	lc_enq *enq;               /* --lin: indexed by value = producer * per + seq */
	v_watchdog wd;
} shared;

static shared S;

static void dump(void *ctx)
{
	(void)ctx;
	fprintf(stderr, "  mailbox %s len=%zu received=%llu\n", O.ops->name, mbx_len(S.m),
	        (unsigned long long)atomic_load(&S.received));
	for (uint32_t i = 0; i < O.producers && i < 32; i++)
		fprintf(stderr, "  producer %u sent=%llu\n", i, (unsigned long long)atomic_load(&S.sent[i]));
	fprintf(stderr, "  replay: %s\n", replay);
}

static void make_msg(mbx_msg *msg, uint32_t p, uint64_t seq)
{
	*msg = (mbx_msg){.tag = 1, .sender = p, .seq = seq, .a = v_payload(O.seed, p, seq)};
	if (O.boxed) {
		box *b = malloc(sizeof *b);
		if (!b)
			fail("out of memory");
		*b = (box){p, seq, v_payload(O.seed, p, seq) ^ 0x5555};
		msg->b = (uint64_t)(uintptr_t)b;
	}
}

static void unbox(const mbx_msg *msg)
{
	if (!O.boxed)
		return;
	box *b = (box *)(uintptr_t)msg->b;
	if (b->producer != msg->sender || b->seq != msg->seq || b->check != (v_payload(O.seed, b->producer, b->seq) ^ 0x5555))
		fail("boxed payload of producer %u seq %llu is corrupt (box says producer %u seq %llu)", msg->sender,
		     (unsigned long long)msg->seq, b->producer, (unsigned long long)b->seq);
	free(b);
}

static void *producer(void *arg)
{
	uint32_t p = (uint32_t)(uintptr_t)arg;
	pin_self();
	v_rng r = {O.seed ^ (0xABCDull * (p + 1))};
	bool use_try = v_below(&r, 2); /* seeded: half the producers use try_push + yield */
	for (uint64_t i = 0; O.w == W_CLOSE || i < S.per; i++) {
		mbx_msg msg;
		make_msg(&msg, p, i);
		int64_t inv = O.lin ? mbx_now_ns() : 0;
		mbx_status s;
		if (use_try) {
			while ((s = mbx_try_push(S.m, &msg, NULL)) == MBX_FULL)
				sched_yield();
		} else {
			s = mbx_push(S.m, &msg, NULL);
		}
		if (s == MBX_CLOSED && O.w == W_CLOSE) {
			if (O.boxed)
				free((void *)(uintptr_t)msg.b);
			return NULL;
		}
		if (s != MBX_OK)
			fail("producer %u push of seq %llu returned %s", p, (unsigned long long)i, mbx_status_name(s));
		if (O.lin) {
			S.enq[p * S.per + i] = (lc_enq){inv, mbx_now_ns()};
		}
		atomic_store_explicit(&S.sent[p], i + 1, memory_order_relaxed); /* read by the final check after join */
		atomic_fetch_add(&S.pushed_total, 1); /* seq_cst: the capacity oracle reads it after its own pop */
		v_tick(&S.wd);
		if (v_below(&r, 512) == 0)
			sched_yield();
	}
	return NULL;
}

typedef struct consumer_state {
	uint64_t *next; /* per producer: next expected seq */
	uint64_t got, empties;
	lc_deq *deq;
	uint64_t ndeq, deq_cap;
} consumer_state;

static void take(consumer_state *c, const mbx_msg *msg)
{
	if (msg->sender >= O.producers)
		fail("message from unknown producer %u", msg->sender);
	uint64_t want = c->next[msg->sender];
	if (msg->seq != want)
		fail("producer %u: expected seq %llu, got seq %llu (%s)", msg->sender, (unsigned long long)want,
		     (unsigned long long)msg->seq, msg->seq < want ? "duplicate or reordered" : "lost or reordered");
	if (msg->a != v_payload(O.seed, msg->sender, msg->seq))
		fail("producer %u seq %llu: payload checksum %llx, expected %llx", msg->sender,
		     (unsigned long long)msg->seq, (unsigned long long)msg->a,
		     (unsigned long long)v_payload(O.seed, msg->sender, msg->seq));
	unbox(msg);
	c->next[msg->sender] = want + 1;
	c->got++;
	atomic_store_explicit(&S.received, c->got, memory_order_relaxed); /* progress display only */
	if (S.m->capacity != MBX_UNBOUNDED) {
		uint64_t pushed = atomic_load(&S.pushed_total); /* seq_cst, after our pop */
		if (pushed > c->got + S.m->capacity)
			fail("capacity exceeded: %llu pushes returned but only %llu popped with capacity %u",
			     (unsigned long long)pushed, (unsigned long long)c->got, S.m->capacity);
	}
	v_tick(&S.wd);
}

static void record(consumer_state *c, int64_t inv, int64_t resp, uint64_t v)
{
	if (c->ndeq == c->deq_cap) {
		c->deq_cap = c->deq_cap ? c->deq_cap * 2 : 4096;
		c->deq = realloc(c->deq, c->deq_cap * sizeof *c->deq);
		if (!c->deq)
			fail("out of memory for the history");
	}
	c->deq[c->ndeq++] = (lc_deq){inv, resp, v};
}

/* One consumer op. In --lin mode try_pop is used so EMPTY answers enter the
 * history; RETRY is a non-answer and is not recorded. */
static mbx_status consume_one(consumer_state *c, bool blocking)
{
	mbx_msg msg;
	if (!O.lin || blocking) {
		mbx_status s = mbx_pop(S.m, &msg);
		if (s == MBX_OK)
			take(c, &msg);
		return s;
	}
	int64_t inv = mbx_now_ns();
	mbx_status s = mbx_try_pop(S.m, &msg);
	int64_t resp = mbx_now_ns();
	if (s == MBX_OK) {
		record(c, inv, resp, (uint64_t)msg.sender * S.per + msg.seq);
		take(c, &msg);
	} else if (s == MBX_EMPTY) {
		record(c, inv, resp, LC_EMPTY);
		c->empties++;
		if (c->empties % 64 == 0)
			sched_yield();
	} else if (s == MBX_RETRY) {
		mbx_cpu_relax();
	}
	return s;
}

static void drained(const mbx_msg *msg, void *ctx) { take(ctx, msg); }

static void run_queue(uint64_t *late_out)
{
	S.m = mbx_create(O.ops, O.capacity, O.spin);
	if (!S.m)
		fail("cannot create mailbox: %s", strerror(errno));
	S.sent = calloc(O.producers, sizeof *S.sent);
	S.per = O.w == W_FANIN ? O.messages / O.producers : 0;
	if (O.lin)
		S.enq = calloc(O.producers * S.per + 1, sizeof *S.enq);
	consumer_state c = {.next = calloc(O.producers, sizeof(uint64_t))};
	S.wd.dump = dump;
	v_watchdog_start(&S.wd, O.watchdog, "mailroom-stress");
	pin_self();
	pthread_t *th = calloc(O.producers, sizeof *th);
	for (uint32_t i = 0; i < O.producers; i++)
		CHECK_EQ(pthread_create(&th[i], NULL, producer, (void *)(uintptr_t)i), 0);
	uint64_t late = 0;
	if (O.w == W_FANIN) {
		uint64_t total = S.per * O.producers;
		while (c.got < total) {
			mbx_status s = consume_one(&c, false);
			if (s != MBX_OK && s != MBX_EMPTY && s != MBX_RETRY)
				fail("consumer: pop returned %s after %llu of %llu", mbx_status_name(s),
				     (unsigned long long)c.got, (unsigned long long)total);
		}
		for (uint32_t i = 0; i < O.producers; i++)
			pthread_join(th[i], NULL);
		if (O.lin) { /* all pushes are done: the final EMPTY is part of the history */
			while (consume_one(&c, false) != MBX_EMPTY)
				;
		}
	} else { /* close: pop a seeded number, close, pop to CLOSED, drain late ones */
		v_rng r = {O.seed * 977};
		uint64_t until = v_below(&r, O.messages + 1);
		while (c.got < until)
			if (consume_one(&c, true) != MBX_OK)
				fail("consumer: pop failed before close");
		mbx_close(S.m);
		mbx_status s;
		while ((s = consume_one(&c, true)) == MBX_OK)
			;
		if (s != MBX_CLOSED)
			fail("pop after close returned %s, want CLOSED after the drain", mbx_status_name(s));
		for (uint32_t i = 0; i < O.producers; i++)
			pthread_join(th[i], NULL);
		late = mbx_drain(S.m, drained, &c);
		if ((O.ops->caps & MBX_CAP_EXACT_CLOSE) && late)
			fail("%llu message(s) appeared after pop answered CLOSED on an exact-close mailbox",
			     (unsigned long long)late);
	}
	v_watchdog_stop(&S.wd);
	/* conservation: every OK push was received exactly once, per producer */
	uint64_t sent = 0;
	for (uint32_t i = 0; i < O.producers; i++) {
		uint64_t si = atomic_load_explicit(&S.sent[i], memory_order_relaxed); /* after join */
		if (c.next[i] != si)
			fail("producer %u: %llu pushes returned OK but %llu received (conservation)", i,
			     (unsigned long long)si, (unsigned long long)c.next[i]);
		sent += si;
	}
	if (sent != c.got)
		fail("sent %llu != received %llu", (unsigned long long)sent, (unsigned long long)c.got);
	if (O.lin) {
		lc_result lr = lc_check(S.enq, O.producers * S.per, c.deq, c.ndeq, 1);
		if (lc_violations(&lr))
			fail("history not linearizable: VFresh=%llu VRepet=%llu VOrd=%llu VWit=%llu VLoss=%llu; first %s "
			     "at value %llu (producer %llu seq %llu), history position %llu of %llu",
			     (unsigned long long)lr.fresh, (unsigned long long)lr.repet, (unsigned long long)lr.ord,
			     (unsigned long long)lr.wit, (unsigned long long)lr.loss, lr.first_kind,
			     (unsigned long long)lr.first_bad_value,
			     (unsigned long long)(lr.first_bad_value == LC_EMPTY ? 0 : lr.first_bad_value / S.per),
			     (unsigned long long)(lr.first_bad_value == LC_EMPTY ? 0 : lr.first_bad_value % S.per),
			     (unsigned long long)lr.first_bad_pos, (unsigned long long)c.ndeq);
		printf("lincheck: %llu ops (%llu EMPTY answers) linearizable\n",
		       (unsigned long long)(c.ndeq + O.producers * S.per), (unsigned long long)c.empties);
	}
	*late_out = late;
	mbx_destroy(S.m);
	free(th);
	free(c.next);
	free(c.deq);
	free(S.enq);
	free((void *)S.sent);
}

/* ------------------------------------------------------------ bank */
typedef struct { wl_bank *b; const bank_ops *ops; uint32_t id; uint64_t n, ok, insufficient; } client;

static void *bank_client(void *arg)
{
	client *c = arg;
	pin_self();
	v_rng r = {O.seed ^ (0x1234567ull * (c->id + 1))};
	for (uint64_t i = 0; i < c->n; i++) {
		uint32_t from = (uint32_t)v_below(&r, O.accounts), to = (uint32_t)v_below(&r, O.accounts);
		int64_t amt = 1 + (int64_t)v_below(&r, 150);
		int e = c->ops->transfer(c->b, from, to, amt);
		if (e == WL_OK)
			c->ok++;
		else if (e == WL_INSUFFICIENT)
			c->insufficient++;
		else
			fail("client %u: transfer %u->%u of %lld returned %d", c->id, from, to, (long long)amt, e);
		v_tick(&S.wd);
	}
	return NULL;
}

static void run_bank(void)
{
	const bank_ops *bo = O.backend->bank; /* validate: a backend with a bank */
	wl_config cfg = {.mailbox = O.ops, .capacity = O.capacity, .spin = O.spin};
	const int64_t initial = 100;
	wl_bank *b = bo->create(&cfg, O.accounts, initial);
	if (!b)
		fail("cannot create the bank");
	v_watchdog_start(&S.wd, O.watchdog, "mailroom-stress bank");
	client *cl = calloc(O.producers, sizeof *cl);
	pthread_t *th = calloc(O.producers, sizeof *th);
	for (uint32_t i = 0; i < O.producers; i++) {
		cl[i] = (client){b, bo, i, O.messages / O.producers, 0, 0};
		CHECK_EQ(pthread_create(&th[i], NULL, bank_client, &cl[i]), 0);
	}
	uint64_t ok = 0;
	for (uint32_t i = 0; i < O.producers; i++) {
		pthread_join(th[i], NULL);
		ok += cl[i].ok;
	}
	int64_t total = 0;
	for (uint32_t a = 0; a < O.accounts; a++) {
		int64_t bal = bo->balance(b, a);
		if (bal < 0)
			fail("account %u has negative balance %lld", a, (long long)bal);
		total += bal;
	}
	if (total != initial * (int64_t)O.accounts)
		fail("bank total %lld, expected %lld (money created or destroyed)", (long long)total,
		     (long long)(initial * (int64_t)O.accounts));
	if (bo->total(b) != total)
		fail("total() %lld disagrees with the sum of balances %lld", (long long)bo->total(b), (long long)total);
	v_watchdog_stop(&S.wd);
	bo->destroy(b);
	printf("bank: %llu transfers ok, %llu refused, total conserved\n", (unsigned long long)ok,
	       (unsigned long long)(O.messages / O.producers * O.producers - ok));
	free(cl);
	free(th);
}

/* ------------------------------------------------------------ the bounded suite */
/* Named configurations for ctest (label `stress`), each over every mailbox
 * of the table; sizes shrink by V_SCALE under sanitizers. */
typedef struct preset {
	const char *name;
	workload w;
	uint32_t producers, capacity; /* capacity 2: bounded kinds only */
	uint64_t messages;            /* before / V_SCALE */
	bool boxed, lin, pin;
} preset;
#ifdef MAILROOM_CHAOS /* the chaos build runs the interleaving-sensitive part */
static const preset PRESETS[] = {
	{"fanin_oversub", W_FANIN, 6, 0, 60000, false, false, false},
	{"lin", W_FANIN, 3, 0, 60000, false, true, false},
	{"close", W_CLOSE, 3, 0, 20000, false, false, false},
};
static const char *const SHARED[] = {NULL};
#else
static const preset PRESETS[] = {
	{"fanin", W_FANIN, 4, 0, 400000, true, false, false},
	{"fanin_oversub", W_FANIN, 12, 0, 240000, false, false, false},
	{"fanin_pinned", W_FANIN, 3, 0, 90000, false, false, true},
	{"fanin_cap2", W_FANIN, 4, 2, 40000, false, false, false},
	{"close", W_CLOSE, 3, 0, 60000, false, false, false},
	{"lin", W_FANIN, 3, 0, 150000, false, true, false},
	{"bank", W_BANK, 4, 0, 20000, false, false, false},
};
/* and the shared-state bank baselines (case shared_NAME/bank) */
static const char *const SHARED[] = {"mutex", "rwlock", "spin", "atomic", NULL};
#endif
enum { BANK_ACCOUNTS = 4, SHARED_BANK_MESSAGES = 100000 };
enum { WATCHDOG_S = 30 }; /* --watchdog's default */

/* ------------------------------------------------------------ driver */

/* The flags that select o again (the driver adds --workload and --seed). */
static void opts_args(const opts *o, char *buf, size_t n)
{
	int k = snprintf(buf, n, "--mailbox %s --producers %u --messages %llu", o->ops->name, o->producers,
	                 (unsigned long long)o->messages);
	if (o->capacity)
		k += snprintf(buf + k, n - (size_t)k, " --capacity %u", o->capacity);
	if (o->spin >= 0)
		k += snprintf(buf + k, n - (size_t)k, " --spin %d", o->spin);
	if (o->watchdog != WATCHDOG_S)
		k += snprintf(buf + k, n - (size_t)k, " --watchdog %u", o->watchdog);
	if (o->w == W_BANK)
		k += snprintf(buf + k, n - (size_t)k, " --backend %s --accounts %u", o->backend->name,
		              o->accounts);
	snprintf(buf + k, n - (size_t)k, "%s%s%s", o->boxed ? " --boxed" : "", o->lin ? " --lin" : "",
	         o->pin ? " --pin" : "");
}

/* Case `where` (/name) runs o. */
static void opts_case(v_suite *s, const char *where, const char *name, const opts *o)
{
	char args[256];
	opts_args(o, args, sizeof args);
	v_suite_case(s, &(v_case){.where = where, .name = name, .args = args, .ops = o->ops, .ctx = o});
}

static const char *opt_backend = "actor";

static int own_flag(v_suite *s, int argc, char **argv, int *i)
{
	(void)s;
	const char *a = argv[*i];
	if (!strcmp(a, "--producers"))
		O.producers = (uint32_t)cli_u64(PROG, a, cli_value(PROG, argc, argv, i), 1, 256);
	else if (!strcmp(a, "--messages"))
		O.messages = cli_u64(PROG, a, cli_value(PROG, argc, argv, i), 1, 1000000000000ull);
	else if (!strcmp(a, "--capacity"))
		O.capacity = (uint32_t)cli_u64(PROG, a, cli_value(PROG, argc, argv, i), 2, 1u << 30);
	else if (!strcmp(a, "--spin"))
		O.spin = (int32_t)cli_u64(PROG, a, cli_value(PROG, argc, argv, i), 0, 1000000000);
	else if (!strcmp(a, "--watchdog"))
		O.watchdog = (uint32_t)cli_u64(PROG, a, cli_value(PROG, argc, argv, i), 1, 3600);
	else if (!strcmp(a, "--backend"))
		opt_backend = cli_value(PROG, argc, argv, i);
	else if (!strcmp(a, "--accounts"))
		O.accounts = (uint32_t)cli_u64(PROG, a, cli_value(PROG, argc, argv, i), 2, 65536);
	else if (!strcmp(a, "--boxed"))
		O.boxed = true;
	else if (!strcmp(a, "--lin"))
		O.lin = true;
	else if (!strcmp(a, "--pin"))
		O.pin = true;
	else
		return 0;
	return 1;
}

static void validate(v_suite *s)
{
	v_suite_check_mailbox(s);
	v_suite_check_test(s);
	if (s->list)
		return;
	if (!s->mailbox)
		cli_die(PROG, "missing --mailbox");
	if (!s->test)
		s->test = "fanin";
	O.ops = mbx_find(s->mailbox);
	for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++)
		if (!strcmp(tests[i].t.name, s->test))
			O.w = tests[i].w;
	if (!(O.backend = wl_find_backend(opt_backend)) || !O.backend->bank)
		cli_die(PROG, "unknown bank backend '%s'", opt_backend);
	if (O.w != W_BANK && strcmp(opt_backend, "actor") != 0)
		cli_die(PROG, "--backend '%s' goes with --workload bank", opt_backend);
	if (O.lin && O.w != W_FANIN)
		cli_die(PROG, "--lin goes with --workload fanin, not '%s'", s->test);
	if (O.messages < O.producers)
		cli_die(PROG, "--messages must be at least --producers (one message per producer)");
}

/* A configuration of the bounded suite (messages before / V_SCALE). */
static opts suite_opts(const mbx_ops *o, const wl_backend *b, workload w, uint32_t producers, uint64_t messages)
{
	return (opts){.ops = o, .backend = b, .w = w, .producers = producers, .messages = messages / V_SCALE,
	              .accounts = BANK_ACCOUNTS, .watchdog = WATCHDOG_S, .spin = -1};
}

/* Listing: the bounded suite; running: the one configuration the flags say. */
static void cases(v_suite *s)
{
	if (!s->list) {
		char where[64];
		snprintf(where, sizeof where, O.backend->is_actor ? "%s" : "shared_%s",
		         O.backend->is_actor ? O.ops->name : O.backend->name);
		opts_case(s, where, NULL, &O);
		return;
	}
	const wl_backend *actor = wl_find_backend("actor");
	for (size_t k = 0; mbx_table[k]; k++) {
		const mbx_ops *o = mbx_table[k];
		if (s->mailbox && strcmp(o->name, s->mailbox))
			continue;
		for (size_t i = 0; i < sizeof PRESETS / sizeof PRESETS[0]; i++) {
			const preset *p = &PRESETS[i];
			if (p->capacity && !(o->caps & MBX_CAP_BOUNDED))
				continue;
			opts c = suite_opts(o, actor, p->w, p->producers, p->messages);
			c.capacity = p->capacity;
			c.boxed = p->boxed;
			c.lin = p->lin;
			c.pin = p->pin;
			opts_case(s, o->name, p->name, &c);
		}
	}
	for (size_t i = 0; SHARED[i]; i++) {
		const wl_backend *b = wl_find_backend(SHARED[i]);
		char where[64];
		snprintf(where, sizeof where, "shared_%s", SHARED[i]);
		opts c = suite_opts(mbx_find("mutex"), b, W_BANK, 4, SHARED_BANK_MESSAGES);
		if (b && (!s->mailbox || !strcmp(s->mailbox, "mutex")))
			opts_case(s, where, NULL, &c);
	}
}

static bool applies(const v_test *t, const v_case *c)
{
	return ((const test_def *)(const void *)t)->w == ((const opts *)c->ctx)->w;
}

static void run(const v_test *t, const v_case *c, uint64_t seed)
{
	O = *(const opts *)c->ctx;
	O.seed = seed;
	snprintf(replay, sizeof replay, "%s %s --workload %s --seed %llu", PROG, c->args, t->name,
	         (unsigned long long)seed);
	mbx_chaos_seed(seed);
	int64_t t0 = mbx_now_ns();
	uint64_t late = 0;
	if (O.w == W_BANK)
		run_bank();
	else
		run_queue(&late);
	double sec = (double)(mbx_now_ns() - t0) / 1e9;
	printf("%s: OK %s/%s: %llu messages in %.2f s (%.2f M/s)%s\n", PROG, O.ops->name, tests[O.w].t.name,
	       (unsigned long long)O.messages, sec, (double)O.messages / sec / 1e6,
	       late ? " (late pushes after CLOSED were drained)" : "");
	fflush(stdout);
}

static void usage(const v_suite *s, FILE *f)
{
	(void)s;
	fprintf(f,
	        "usage: %s --mailbox NAME [options]\n"
	        "  --mailbox NAME     mailbox kind from the table (mailroom-info --names)\n"
	        "  --workload W       fanin (default): P producers -> 1 consumer, oracles: conservation,\n"
	        "                     no duplicate, per-producer FIFO, payload checksum, capacity;\n"
	        "                     close: producers race close; popped + drained == pushes OK;\n"
	        "                     bank: P clients do random transfers; total conserved, none negative\n"
	        "  --producers P      producer (client) threads, 1..256 (default 4)\n"
	        "  --messages N       messages (transfers) in total, 1..1e12 (default 1000000)\n"
	        "  --capacity C       mailbox capacity (default: the kind's)\n"
	        "  --spin S           spin budget before parking, 0..1e9 (default: the kind's)\n"
	        "  --seed S           run seed (default: from the clock); printed; replays the run's choices\n"
	        "  --watchdog SEC     abort with a dump after SEC seconds without progress, 1..3600 (default 30)\n"
	        "  --backend B        bank backend: actor (default, over --mailbox), mutex, rwlock, spin, atomic\n"
	        "  --accounts A       bank accounts, 2..65536 (default 8)\n"
	        "  --boxed            payload is a heap object handed over through the mailbox (a real\n"
	        "                     hand-off for TSan to check)\n"
	        "  --lin              record the push/pop history and check linearizability (fanin)\n"
	        "  --pin              pin every thread to CPU 0 (preemption-only interleavings)\n"
	        "  --list             print the bounded ctest suite ('name timeout args...') and exit\n"
	        "                     (with --mailbox or --workload: only those)\n"
	        "  --help             this text\n"
	        "Numbers are base 10 (010 is ten) or like 1e6; every flag also takes --flag=value.\n"
	        "Exit: 0 all oracles hold, 1 an oracle failed (message says which), 2 bad arguments;\n"
	        "a watchdog expiry aborts (SIGABRT) after a diagnostic dump.\n",
	        PROG);
}

int main(int argc, char **argv)
{
	O = (opts){.w = W_FANIN, .producers = 4, .messages = 1000000, .spin = -1, .accounts = 8,
	           .watchdog = WATCHDOG_S};
	v_suite s = {.prog = PROG, .label = "stress", .test_flag = "--workload", V_SUITE_TESTS(tests),
	             .run = run, .usage = usage, .flag = own_flag, .validate = validate, .cases = cases,
	             .applies = applies};
	return v_suite_main(&s, argc, argv);
}
