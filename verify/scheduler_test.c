/* scheduler_test.c: the pooled (M:N) execution mode (actor.h, act_pool),
 * over every mailbox of the table: 10^5 actors, one worker per actor at a
 * time, batch fairness, no lost wake-up across parked workers, blocking
 * calls inside pooled handlers (helping), stop/crash as in thread mode, pool
 * teardown, thread-mode and pooled actors talking, and blocking-send chains
 * that finish in thread mode and must finish pooled too (help_nested_block,
 * stranded_next_slot). Every test has a watchdog (a hang aborts with a
 * message) and prints a replayable seed. */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actor.h"
#include "check.h"
#include "cli.h"
#include "suite.h"
#include "vutil.h"

static const char *PROG = "mailroom-scheduler-test";
static const int64_t SEC = 1000000000ll, MS = 1000000ll;
enum { WATCHDOG_S = 20 }; /* below every ctest timeout, so a hang reports itself */

static unsigned opt_workers; /* --workers: 0 = each test's own default */
static unsigned workers_or(unsigned dflt) { return opt_workers ? opt_workers : dflt; }

typedef struct tctx {
	const mbx_ops *ops;
	uint64_t seed;
	v_watchdog wd;
} tctx;

/* ---------------------------------------------------------------- helpers */

/* Live pools, for the watchdog's dump. */
enum { MAX_POOLS = 4 };
static pthread_mutex_t g_pools_mu = PTHREAD_MUTEX_INITIALIZER;
static act_pool *g_pools[MAX_POOLS];

static void print_stats(FILE *f, const char *what, act_pool_stats s)
{
	fprintf(f,
	        "  %s: turns=%" PRIu64 " steals=%" PRIu64 " injects=%" PRIu64 " parks=%" PRIu64 " wakes=%" PRIu64
	        " helps=%" PRIu64 " live=%" PRId64 "\n",
	        what, s.turns, s.steals, s.injects, s.parks, s.wakes, s.helps, s.live);
}

static void dump_pools(void *ctx)
{
	(void)ctx;
	pthread_mutex_lock(&g_pools_mu);
	for (int i = 0; i < MAX_POOLS; i++)
		if (g_pools[i]) {
			char what[32];
			snprintf(what, sizeof what, "pool %d (%u workers)", i, act_pool_workers(g_pools[i]));
			print_stats(stderr, what, act_pool_get_stats(g_pools[i]));
		}
	pthread_mutex_unlock(&g_pools_mu);
}

static act_pool *pool_new(unsigned workers, unsigned batch, int32_t spin)
{
	act_pool_config c = {.workers = workers, .batch = batch, .spin = spin};
	act_pool *p = act_pool_create(&c);
	if (!p) {
		fprintf(stderr, "%s: act_pool_create(workers %u, batch %u) failed: %s\n", PROG, workers, batch,
		        strerror(errno));
		abort();
	}
	CHECK_EQ(act_pool_workers(p), workers);
	pthread_mutex_lock(&g_pools_mu);
	int i = 0;
	while (i < MAX_POOLS && g_pools[i])
		i++;
	CHECK_LT(i, MAX_POOLS);
	g_pools[i] = p;
	pthread_mutex_unlock(&g_pools_mu);
	return p;
}

/* Every actor of p has been joined: live must reach 0 (a terminated actor
 * may be counted out just after join returns, so allow a short lag), then
 * destroy. Returns the last stats. */
static act_pool_stats pool_free(act_pool *p)
{
	act_pool_stats s = act_pool_get_stats(p);
	for (int i = 0; i < 5000 && s.live != 0; i++) {
		v_sleep_ms(1);
		s = act_pool_get_stats(p);
	}
	CHECK_EQ(s.live, 0);
	pthread_mutex_lock(&g_pools_mu);
	for (int i = 0; i < MAX_POOLS; i++)
		if (g_pools[i] == p)
			g_pools[i] = NULL;
	pthread_mutex_unlock(&g_pools_mu);
	act_pool_destroy(p);
	return s;
}

/* Smallest capacity >= want that a bounded kind accepts (a POW2 kind rounds
 * up); 0 (the kind's default: no limit) for kinds that cannot bound. */
static uint32_t cap_at_least(const mbx_ops *o, uint32_t want)
{
	if (!(o->caps & MBX_CAP_BOUNDED))
		return 0;
	for (uint32_t c = want < 2 ? 2 : want; c <= 2 * want + 64; c++) {
		mbx *m = mbx_create(o, c, -1);
		if (m) {
			mbx_destroy(m);
			return c;
		}
	}
	fprintf(stderr, "%s: mailbox %s accepts no capacity in %u..%u\n", PROG, o->name, want, 2 * want + 64);
	abort();
}

static act_ref spawn_on(const act_behavior *b, void *st, const mbx_ops *ops, uint32_t cap, act_pool *p)
{
	act_options o = {.mailbox = ops, .capacity = cap, .spin = -1, .pool = p};
	act_ref r = act_spawn(b, st, &o);
	if (!r.a) {
		fprintf(stderr, "%s: act_spawn(%s, capacity %u, %s) failed: %s\n", PROG, ops->name, cap,
		        p ? "pooled" : "thread", strerror(errno));
		abort();
	}
	return r;
}

static void finish(act_ref r)
{
	int e = act_stop(r);
	CHECK(e == ACT_OK || e == ACT_EALREADY);
	CHECK_EQ(act_join(r), ACT_OK);
	act_release(r);
}

static void send_ok(act_ref r, uint32_t tag, uint64_t a)
{
	mbx_msg m = {.tag = tag, .a = a};
	CHECK_EQ(act_send(r, &m), ACT_OK);
}

static mbx_msg ask_ok(act_ref r, uint32_t tag, uint64_t a, uint64_t b)
{
	mbx_msg m = {.tag = tag, .a = a, .b = b}, rep;
	CHECK_EQ(act_ask(r, &m, &rep, 30 * SEC), ACT_OK);
	return rep;
}

/* Waits (no timeout: the watchdog is the timeout) for *v >= want, ticking
 * the watchdog while it moves. */
static void wait_ge(tctx *t, _Atomic uint64_t *v, uint64_t want)
{
	uint64_t last = UINT64_MAX, x;
	while ((x = atomic_load(v)) < want) {
		if (x != last) {
			last = x;
			v_tick(&t->wd);
		}
		v_sleep_ms(1);
	}
	v_tick(&t->wd);
}

static void wait_flag(_Atomic int *f)
{
	while (!atomic_load(f))
		v_sleep_ms(1);
}

/* A handler that holds its worker until *release: the pool's only worker is
 * then busy, so what is queued meanwhile is queued, not run. */
static void hold(_Atomic int *held, _Atomic int *release)
{
	atomic_store(held, 1);
	while (!atomic_load(release))
		sched_yield();
}

/* ---------------------------------------------------------------- many_actors */

typedef struct ma_state {
	uint32_t starts, stops, got; /* plain: only the actor's own turns write them */
	uint64_t payload;
} ma_state;
static _Atomic uint64_t g_ma_handled;

static void ma_start(void *s, act_ctx *ctx)
{
	(void)ctx;
	ma_state *st = s;
	CHECK_EQ(st->got, 0); /* on_start before the first message */
	st->starts++;
}
static void ma_stop(void *s, act_ctx *ctx)
{
	(void)ctx;
	((ma_state *)s)->stops++;
}
static act_result ma_handle(void *s, const mbx_msg *m, act_ctx *ctx)
{
	(void)ctx;
	ma_state *st = s;
	st->got++;
	st->payload = m->a;
	atomic_fetch_add_explicit(&g_ma_handled, 1, memory_order_relaxed);
	return ACT_CONTINUE;
}
static const act_behavior ma_b = {"many", ma_handle, ma_start, ma_stop};

/* 10^5 pooled actors (2*10^4 in sanitizer builds: at 10^5, ck_fifo under
 * ASan takes 1 GB), smallest legal capacity, one message each, stop (a
 * quarter right after the send, racing the first turn), join, release. */
static void t_many_actors(tctx *t)
{
	const uint32_t n = V_SCALE > 1 ? 20000 : 100000;
	atomic_store(&g_ma_handled, 0);
	act_pool *p = pool_new(workers_or(4), 0, -1);
	uint32_t cap = cap_at_least(t->ops, 2);
	ma_state *st = calloc(n, sizeof *st);
	act_ref *r = malloc(n * sizeof *r);
	uint32_t *order = malloc(n * sizeof *order);
	uint8_t *stopped = calloc(n, 1);
	CHECK(st && r && order && stopped);
	v_rng g = {t->seed};
	for (uint32_t i = 0; i < n; i++) {
		r[i] = spawn_on(&ma_b, &st[i], t->ops, cap, p);
		order[i] = i;
		if (!(i & 1023))
			v_tick(&t->wd);
	}
	for (uint32_t i = n - 1; i > 0; i--) { /* sends in a seeded random order */
		uint32_t j = (uint32_t)v_below(&g, i + 1), x = order[i];
		order[i] = order[j];
		order[j] = x;
	}
	for (uint32_t k = 0; k < n; k++) {
		uint32_t i = order[k];
		send_ok(r[i], 1, v_payload(t->seed, 0, i));
		if (v_below(&g, 4) == 0) {
			CHECK_EQ(act_stop(r[i]), ACT_OK);
			stopped[i] = 1;
		}
		if (!(k & 1023))
			v_tick(&t->wd);
	}
	for (uint32_t i = 0; i < n; i++)
		if (!stopped[i])
			CHECK_EQ(act_stop(r[i]), ACT_OK);
	for (uint32_t i = 0; i < n; i++) {
		CHECK_EQ(act_join(r[i]), ACT_OK);
		if (!(i & 1023))
			v_tick(&t->wd);
	}
	for (uint32_t i = 0; i < n; i++) {
		CHECK_EQ(st[i].starts, 1);
		CHECK_EQ(st[i].stops, 1);
		CHECK_EQ(st[i].got, 1); /* sent before stop: handled exactly once */
		CHECK_EQU(st[i].payload, v_payload(t->seed, 0, i));
		act_stats s = act_get_stats(r[i]);
		CHECK_EQU(s.handled, 1);
		CHECK_EQU(s.dead_letters, 0);
		act_release(r[i]);
	}
	CHECK_EQU(atomic_load(&g_ma_handled), n);
	act_pool_stats ps = pool_free(p);
	print_stats(stdout, "pool", ps);
	CHECK_GE(ps.turns, n); /* each actor ran at least one turn */
	printf("  %u actors (capacity %u): each handled its message once\n", n, cap);
	free(st);
	free(r);
	free(order);
	free(stopped);
}

/* ---------------------------------------------------------------- never_two_workers */

enum { NT_ACTORS = 8, NT_SENDERS = 4 };
typedef struct nt_state {
	_Atomic int inside;
	uint32_t idx;
	uint64_t seed;
	uint64_t next_seq[NT_SENDERS]; /* plain: a second worker inside would race here (TSan) */
	uint64_t count;
} nt_state;

static act_result nt_handle(void *s, const mbx_msg *m, act_ctx *ctx)
{
	(void)ctx;
	nt_state *st = s;
	int others_inside = atomic_exchange(&st->inside, 1);
	CHECK_EQ(others_inside, 0); /* another worker is inside this actor */
	CHECK_LT(m->sender, NT_SENDERS);
	CHECK_EQU(m->seq, st->next_seq[m->sender]); /* per-sender FIFO */
	CHECK_EQU(m->a, v_payload(st->seed, m->sender, m->seq ^ ((uint64_t)st->idx << 40)));
	st->next_seq[m->sender]++;
	st->count++;
	if (!(m->seq & 63))
		sched_yield(); /* stay inside a while: widen the window for a second worker */
	atomic_store(&st->inside, 0);
	return ACT_CONTINUE;
}
static const act_behavior nt_b = {"nt", nt_handle, NULL, NULL};

typedef struct nt_sender {
	tctx *t;
	act_ref *r;
	uint32_t id;
	uint64_t n, sent[NT_ACTORS];
} nt_sender;

static void *nt_sender_main(void *x)
{
	nt_sender *s = x;
	v_rng g = {s->t->seed ^ ((uint64_t)s->id << 32) ^ 0x5eed};
	for (uint64_t i = 0; i < s->n; i++) {
		uint32_t a = (uint32_t)v_below(&g, NT_ACTORS);
		uint64_t seq = s->sent[a]++;
		mbx_msg m = {.tag = 1, .sender = s->id, .seq = seq,
		             .a = v_payload(s->t->seed, s->id, seq ^ ((uint64_t)a << 40))};
		if (i % 3 == 0) { /* try_send schedules through the same path */
			int e;
			while ((e = act_try_send(s->r[a], &m)) == ACT_EFULL)
				sched_yield();
			CHECK_EQ(e, ACT_OK);
		} else {
			CHECK_EQ(act_send(s->r[a], &m), ACT_OK);
		}
		v_tick(&s->t->wd);
	}
	return NULL;
}

/* Senders flood a few actors; each handler checks no other worker is in the
 * same actor, and per-sender order. Rounds vary batch and capacity. */
static void t_never_two_workers(tctx *t)
{
	static const unsigned batches[] = {1, 5, 0};
	for (size_t round = 0; round < sizeof batches / sizeof batches[0]; round++) {
		act_pool *p = pool_new(workers_or(4), batches[round], -1);
		uint32_t cap = round == 0 ? cap_at_least(t->ops, 2) : 0; /* tiny: senders block */
		nt_state *st = calloc(NT_ACTORS, sizeof *st);
		CHECK(st != NULL);
		act_ref r[NT_ACTORS];
		for (uint32_t i = 0; i < NT_ACTORS; i++) {
			st[i].idx = i;
			st[i].seed = t->seed;
			r[i] = spawn_on(&nt_b, &st[i], t->ops, cap, p);
		}
		nt_sender s[NT_SENDERS];
		pthread_t th[NT_SENDERS];
		for (uint32_t i = 0; i < NT_SENDERS; i++) {
			s[i] = (nt_sender){.t = t, .r = r, .id = i, .n = 20000 / V_SCALE};
			CHECK_EQ(pthread_create(&th[i], NULL, nt_sender_main, &s[i]), 0);
		}
		for (uint32_t i = 0; i < NT_SENDERS; i++)
			CHECK_EQ(pthread_join(th[i], NULL), 0);
		uint64_t total = 0;
		for (uint32_t a = 0; a < NT_ACTORS; a++) {
			finish(r[a]);
			uint64_t want = 0;
			for (uint32_t i = 0; i < NT_SENDERS; i++) {
				CHECK_EQU(st[a].next_seq[i], s[i].sent[a]);
				want += s[i].sent[a];
			}
			CHECK_EQU(st[a].count, want);
			total += want;
		}
		act_pool_stats ps = pool_free(p);
		printf("  batch %u capacity %u: %" PRIu64 " messages, %" PRIu64 " turns, %" PRIu64 " steals\n",
		       batches[round], cap, total, ps.turns, ps.steals);
		free(st);
	}
}

/* ---------------------------------------------------------------- batch_fairness */

enum { BF_PING = 1, BF_HOLD, BF_FILL, BF_A, BF_B };
typedef struct bf_ctx {
	act_ref a, b;
	uint64_t l;
	_Atomic uint64_t a_handled, a_at_b, b_done;
	_Atomic int held, release;
} bf_ctx;

static act_result bf_handle(void *s, const mbx_msg *m, act_ctx *ctx)
{
	(void)ctx;
	bf_ctx *c = s;
	switch (m->tag) {
	case BF_HOLD:
		hold(&c->held, &c->release);
		break;
	case BF_FILL: /* wakes from inside the pool: B first, then A's flood */
		send_ok(c->b, BF_B, 0);
		for (uint64_t i = 0; i < c->l; i++)
			send_ok(c->a, BF_A, i);
		break;
	case BF_A:
		atomic_fetch_add(&c->a_handled, 1);
		break;
	case BF_B:
		atomic_store(&c->a_at_b, atomic_load(&c->a_handled));
		atomic_store(&c->b_done, 1);
		break;
	}
	act_reply(m, 0, 0); /* BF_PING (no-op for plain sends) */
	return ACT_CONTINUE;
}
static const act_behavior bf_b = {"bf", bf_handle, NULL, NULL};

/* One worker, batch K. A gets L = 128K messages, B one; every message is
 * queued while the worker cannot run anything, so the order is fixed:
 *  - inside: G's handler wakes B, then floods A (next slot / local queue).
 *    A's turn ends after K messages and A goes behind B: B runs after at
 *    most 2K of A's messages (K if A ran first, 0 if B did).
 *  - outside: G holds the worker while this thread floods A, then sends B
 *    (both through the injection queue). Run to exhaustion would give L;
 *    the bound L/2 leaves room for a worker that polls the injection queue
 *    only every few dozen turns (Go: 61).
 * Either way A needs >= L/K turns. */
static void t_batch_fairness(tctx *t)
{
	static const unsigned ks[] = {2, 16};
	for (size_t ki = 0; ki < sizeof ks / sizeof ks[0]; ki++) {
		unsigned k = ks[ki];
		act_pool *p = pool_new(1, k, -1);
		bf_ctx *c = calloc(1, sizeof *c);
		CHECK(c != NULL);
		c->l = 128 * (uint64_t)k;
		act_ref g = spawn_on(&bf_b, c, t->ops, 0, p);
		c->a = spawn_on(&bf_b, c, t->ops, cap_at_least(t->ops, (uint32_t)c->l + 8), p);
		c->b = spawn_on(&bf_b, c, t->ops, 0, p);
		ask_ok(g, BF_PING, 0, 0); /* first turns (on_start) done: all idle */
		ask_ok(c->a, BF_PING, 0, 0);
		ask_ok(c->b, BF_PING, 0, 0);
		for (int outside = 0; outside < 2; outside++) {
			atomic_store(&c->a_handled, 0);
			atomic_store(&c->b_done, 0);
			atomic_store(&c->held, 0);
			atomic_store(&c->release, 0);
			uint64_t turns0 = act_pool_get_stats(p).turns;
			if (outside) {
				send_ok(g, BF_HOLD, 0);
				wait_flag(&c->held);
				for (uint64_t i = 0; i < c->l; i++)
					send_ok(c->a, BF_A, i);
				send_ok(c->b, BF_B, 0);
				atomic_store(&c->release, 1);
			} else {
				send_ok(g, BF_FILL, 0);
			}
			wait_ge(t, &c->a_handled, c->l);
			wait_ge(t, &c->b_done, 1);
			ask_ok(g, BF_PING, 0, 0); /* the pool is quiet: the turn counters settle */
			uint64_t at_b = atomic_load(&c->a_at_b), turns = act_pool_get_stats(p).turns - turns0;
			printf("  K=%u %s: B ran after %" PRIu64 " of A's %" PRIu64 " messages; %" PRIu64 " turns\n",
			       k, outside ? "outside" : "inside", at_b, c->l, turns);
			uint64_t bound = outside ? c->l / 2 : 2 * (uint64_t)k;
			CHECK_LE(at_b, bound);
			CHECK_GE(turns, c->l / k); /* A was re-queued every K messages */
		}
		finish(g);
		finish(c->a);
		finish(c->b);
		pool_free(p);
		free(c);
	}
}

/* ---------------------------------------------------------------- no_lost_wakeup */

enum { NL_ACTORS = 64, NL_SENDERS = 3 };
typedef struct nl_ctx {
	act_ref r[NL_ACTORS];
	_Atomic uint64_t handled[NL_ACTORS], expect[NL_ACTORS];
	_Atomic uint64_t forwards, dropped;
	int64_t deadline;
	tctx *t;
} nl_ctx;
typedef struct nl_actor {
	nl_ctx *c;
	uint32_t idx;
} nl_actor;

/* Chains only go to higher indexes, and by try_send: a handler never blocks,
 * so what this test finds is a lost wake-up, not a cycle of full mailboxes. */
static act_result nl_handle(void *s, const mbx_msg *m, act_ctx *ctx)
{
	(void)ctx;
	nl_actor *me = s;
	nl_ctx *c = me->c;
	if (m->a > 0 && me->idx < NL_ACTORS - 1) {
		v_rng h = {m->b ^ m->a};
		uint32_t nx = me->idx + 1 + (uint32_t)v_below(&h, NL_ACTORS - 1 - me->idx);
		mbx_msg f = {.tag = 1, .a = m->a - 1, .b = m->b};
		atomic_fetch_add(&c->expect[nx], 1); /* before the push: sums never undercount */
		int e = act_try_send(c->r[nx], &f);
		if (e == ACT_EFULL) {
			atomic_fetch_sub(&c->expect[nx], 1);
			atomic_fetch_add(&c->dropped, 1);
		} else {
			CHECK_EQ(e, ACT_OK);
			atomic_fetch_add(&c->forwards, 1);
		}
	}
	atomic_fetch_add(&c->handled[me->idx], 1); /* last: a forward is counted before this */
	return ACT_CONTINUE;
}
static const act_behavior nl_b = {"nl", nl_handle, NULL, NULL};

typedef struct nl_sender {
	nl_ctx *c;
	uint32_t id;
	uint64_t sent, awaits;
} nl_sender;

static void *nl_sender_main(void *x)
{
	nl_sender *s = x;
	nl_ctx *c = s->c;
	v_rng g = {c->t->seed ^ ((uint64_t)s->id << 48) ^ 0x1057};
	while (mbx_now_ns() < c->deadline) {
		uint64_t burst = 1 + v_below(&g, 48);
		for (uint64_t i = 0; i < burst; i++) {
			uint32_t a = (uint32_t)v_below(&g, NL_ACTORS);
			mbx_msg m = {.tag = 1, .sender = s->id, .a = v_below(&g, 4), .b = v_next(&g)};
			atomic_fetch_add(&c->expect[a], 1);
			CHECK_EQ(act_send(c->r[a], &m), ACT_OK);
			s->sent++;
		}
		v_tick(&c->t->wd);
		uint64_t k = v_below(&g, 100);
		if (k < 25) {
			/* wait until everything counted so far is handled: a message
			 * whose wake-up was lost is not rescued by our next burst */
			s->awaits++;
			for (uint32_t a = 0; a < NL_ACTORS; a++) {
				uint64_t want = atomic_load(&c->expect[a]);
				while (atomic_load(&c->handled[a]) < want)
					sched_yield();
			}
		} else if (k < 55) {
			continue; /* back to back */
		} else if (k < 85) {
			struct timespec ts = {0, (long)v_below(&g, 200000)}; /* < 0.2 ms: workers still spinning */
			nanosleep(&ts, NULL);
		} else {
			v_sleep_ms(1 + (unsigned)v_below(&g, 10)); /* long enough for workers to park */
		}
	}
	return NULL;
}

/* ~2 s of random bursts and pauses from outside the pool, plus chains of
 * actors waking actors; every message counted must be handled. */
static void t_no_lost_wakeup(tctx *t)
{
	v_rng g = {t->seed};
	static const int32_t spins[] = {0, -1}; /* park at once; the default search */
	for (size_t round = 0; round < 2; round++) {
		unsigned workers = workers_or(round == 0 ? 2 : 4);
		act_pool *p = pool_new(workers, round == 0 ? 4 : 0, spins[round]);
		nl_ctx *c = calloc(1, sizeof *c);
		nl_actor *st = calloc(NL_ACTORS, sizeof *st);
		CHECK(c && st);
		c->t = t;
		for (uint32_t i = 0; i < NL_ACTORS; i++) {
			st[i] = (nl_actor){c, i};
			/* some tiny mailboxes: senders block, chains drop (counted) */
			uint32_t cap = v_below(&g, 4) == 0 ? cap_at_least(t->ops, 2) : 0;
			c->r[i] = spawn_on(&nl_b, &st[i], t->ops, cap, p);
		}
		c->deadline = mbx_now_ns() + SEC;
		nl_sender s[NL_SENDERS];
		pthread_t th[NL_SENDERS];
		for (uint32_t i = 0; i < NL_SENDERS; i++) {
			s[i] = (nl_sender){.c = c, .id = i + (uint32_t)round * NL_SENDERS};
			CHECK_EQ(pthread_create(&th[i], NULL, nl_sender_main, &s[i]), 0);
		}
		uint64_t sent = 0, awaits = 0;
		for (uint32_t i = 0; i < NL_SENDERS; i++) {
			CHECK_EQ(pthread_join(th[i], NULL), 0);
			sent += s[i].sent;
			awaits += s[i].awaits;
		}
		/* quiescence: everything counted is handled (forwards are counted
		 * before the handled++ of the message that forwards them) */
		uint64_t last = UINT64_MAX;
		for (;;) {
			uint64_t h = 0, e = 0;
			for (uint32_t a = 0; a < NL_ACTORS; a++) {
				h += atomic_load(&c->handled[a]);
				e += atomic_load(&c->expect[a]);
			}
			CHECK_LE(h, e);
			if (h == e)
				break;
			if (h != last) {
				last = h;
				v_tick(&t->wd);
			}
			v_sleep_ms(1);
		}
		uint64_t total = 0;
		for (uint32_t a = 0; a < NL_ACTORS; a++) {
			CHECK_EQU(atomic_load(&c->handled[a]), atomic_load(&c->expect[a]));
			total += atomic_load(&c->handled[a]);
		}
		CHECK_EQU(total, sent + atomic_load(&c->forwards));
		v_sleep_ms(20); /* idle now: workers park */
		act_pool_stats ps = act_pool_get_stats(p);
		for (uint32_t a = 0; a < NL_ACTORS; a++) {
			finish(act_retain(c->r[a]));
			act_stats as = act_get_stats(c->r[a]);
			CHECK_EQU(as.handled, atomic_load(&c->handled[a]));
			CHECK_EQU(as.dead_letters, 0);
			act_release(c->r[a]);
		}
		pool_free(p);
		printf("  workers %u spin %d: %" PRIu64 " sent, %" PRIu64 " forwarded, %" PRIu64
		       " dropped (full), %" PRIu64 " awaits\n",
		       workers, spins[round], sent, atomic_load(&c->forwards), atomic_load(&c->dropped), awaits);
		print_stats(stdout, "pool", ps);
		CHECK_GT(ps.parks, 0); /* the pauses let workers park: the wake path was exercised */
		CHECK_GT(ps.wakes, 0);
		free(st);
		free(c);
	}
}

/* ---------------------------------------------------------------- ask_inside_pool */

enum { AI_ECHO = 1, AI_ASK_B, AI_JOIN, AI_FLOOD_D, AI_D, AI_DGET, AI_PING };
enum { AI_FLOOD_N = 1000 };
typedef struct ai_ctx {
	act_ref b, d;
	const mbx_ops *ops;
	act_pool *pool;
	uint32_t dcap;
	_Atomic int a_inside;
	uint64_t d_next; /* D's own */
} ai_ctx;

typedef struct ai_child {
	uint64_t count;
	uint32_t starts, stops;
} ai_child;

static void aic_start(void *s, act_ctx *ctx)
{
	(void)ctx;
	((ai_child *)s)->starts++;
}
static void aic_stop(void *s, act_ctx *ctx)
{
	(void)ctx;
	((ai_child *)s)->stops++;
}
static act_result aic_handle(void *s, const mbx_msg *m, act_ctx *ctx)
{
	(void)ctx;
	(void)m;
	((ai_child *)s)->count++;
	return ACT_CONTINUE;
}
static const act_behavior aic_b = {"child", aic_handle, aic_start, aic_stop};

static act_result ai_handle(void *s, const mbx_msg *m, act_ctx *ctx)
{
	ai_ctx *c = s;
	switch (m->tag) {
	case AI_ECHO: /* B */
		act_reply(m, m->a + 1, 0);
		return ACT_CONTINUE;
	case AI_D: /* D: every message of the flood, in order */
		CHECK_EQU(m->seq, c->d_next);
		c->d_next++;
		return ACT_CONTINUE;
	case AI_DGET:
		act_reply(m, c->d_next, 0);
		return ACT_CONTINUE;
	}
	/* A: a helped turn must never be A's own (A is waiting, not idle) */
	int a_already_inside = atomic_exchange(&c->a_inside, 1);
	CHECK_EQ(a_already_inside, 0);
	switch (m->tag) {
	case AI_ASK_B: { /* B is queued on our only worker: only helping runs it */
		mbx_msg q = {.tag = AI_ECHO, .a = m->a}, rep;
		int e = act_ask(c->b, &q, &rep, 10 * SEC);
		act_reply(m, (uint64_t)e, e == ACT_OK ? rep.a : 0);
		break;
	}
	case AI_JOIN: { /* a child spawned, fed, stopped and joined from here */
		ai_child ch = {0, 0, 0};
		act_ref r = spawn_on(&aic_b, &ch, c->ops, cap_at_least(c->ops, 2), c->pool);
		for (int i = 0; i < 10; i++)
			send_ok(r, 1, (uint64_t)i);
		CHECK_EQ(act_stop(r), ACT_OK);
		int e = act_join(r);
		act_reply(m, (uint64_t)e, ch.count | (uint64_t)ch.starts << 32 | (uint64_t)ch.stops << 48);
		act_release(r);
		break;
	}
	case AI_FLOOD_D: /* D's mailbox holds dcap: the sends past it must help */
		send_ok(act_self(ctx), AI_PING, 0); /* A now has work queued while it waits */
		for (uint64_t i = 0; i < AI_FLOOD_N; i++) {
			mbx_msg d = {.tag = AI_D, .seq = m->a + i}; /* m->a: D's count so far */
			CHECK_EQ(act_send(c->d, &d), ACT_OK);
		}
		act_reply(m, AI_FLOOD_N, 0);
		break;
	case AI_PING:
		act_reply(m, 0, 0);
		break;
	default:
		CHECK(!"unknown tag");
	}
	atomic_store(&c->a_inside, 0);
	return ACT_CONTINUE;
}
static const act_behavior ai_b = {"ai", ai_handle, NULL, NULL};

/* One worker: A's ask to B, join of a child, and sends to D's full mailbox
 * complete only because the waiting worker runs B's, the child's and D's
 * turns. */
static void t_ask_inside_pool(tctx *t)
{
	act_pool *p = pool_new(1, 0, -1);
	ai_ctx *c = calloc(1, sizeof *c);
	CHECK(c != NULL);
	c->ops = t->ops;
	c->pool = p;
	c->dcap = cap_at_least(t->ops, 2);
	c->b = spawn_on(&ai_b, c, t->ops, 0, p);
	c->d = spawn_on(&ai_b, c, t->ops, c->dcap, p);
	act_ref a = spawn_on(&ai_b, c, t->ops, 0, p);
	v_rng g = {t->seed};
	for (int i = 0; i < 200; i++) {
		uint64_t x = v_below(&g, 1u << 30);
		mbx_msg rep = ask_ok(a, AI_ASK_B, x, 0);
		CHECK_EQ(rep.a, ACT_OK);
		CHECK_EQU(rep.b, x + 1);
		v_tick(&t->wd);
	}
	for (int i = 0; i < 20; i++) {
		mbx_msg rep = ask_ok(a, AI_JOIN, 0, 0);
		CHECK_EQ(rep.a, ACT_OK);
		CHECK_EQU(rep.b & 0xffffffffu, 10);  /* every message before the stop */
		CHECK_EQU((rep.b >> 32) & 0xffff, 1); /* on_start once */
		CHECK_EQU(rep.b >> 48, 1);            /* on_stop once, before join returned */
		v_tick(&t->wd);
	}
	for (int i = 0; i < 3; i++) {
		CHECK_EQU(ask_ok(a, AI_FLOOD_D, (uint64_t)i * AI_FLOOD_N, 0).a, AI_FLOOD_N);
		CHECK_EQU(ask_ok(c->d, AI_DGET, 0, 0).a, (uint64_t)(i + 1) * AI_FLOOD_N);
		v_tick(&t->wd);
	}
	act_pool_stats ps = act_pool_get_stats(p);
	print_stats(stdout, "pool", ps);
	CHECK_GT(ps.helps, 0);
	finish(a);
	finish(c->b);
	finish(c->d);
	pool_free(p);
	free(c);
}

/* ---------------------------------------------------------------- ask_timeout_inside_pool */

enum { AT_ASK = 1, AT_NOREPLY, AT_SLEEP, AT_PING, AT_ASK_BACK, AT_CRASH };
enum { AT_N, AT_S_OTHER_POOL, AT_S_THREAD, AT_S_SAME_POOL, AT_B, AT_CR, AT_NT };
typedef struct at_ctx {
	act_ref tgt[AT_NT];
	act_ref a;
	uint64_t inner; /* the asked actor's reply word (written before A replies) */
} at_ctx;

static act_result at_handle(void *s, const mbx_msg *m, act_ctx *ctx)
{
	(void)ctx;
	at_ctx *c = s;
	mbx_msg rep;
	switch (m->tag) {
	case AT_ASK: { /* A: ask tgt[a] with timeout b, request tag seq */
		mbx_msg q = {.tag = (uint32_t)m->seq, .a = 300};
		int64_t t0 = mbx_now_ns();
		int e = act_ask(c->tgt[m->a], &q, &rep, (int64_t)m->b);
		c->inner = e == ACT_OK ? rep.a : UINT64_MAX;
		act_reply(m, (uint64_t)e, (uint64_t)(mbx_now_ns() - t0));
		return ACT_CONTINUE;
	}
	case AT_NOREPLY:
		return ACT_CONTINUE;
	case AT_SLEEP:
		v_sleep_ms((unsigned)m->a);
		act_reply(m, 1, 0);
		return ACT_CONTINUE;
	case AT_PING:
		act_reply(m, 7, 0);
		return ACT_CONTINUE;
	case AT_ASK_BACK: { /* B: A is blocked in its ask to us, so this one can only time out */
		mbx_msg q = {.tag = AT_PING};
		act_reply(m, (uint64_t)act_ask(c->a, &q, &rep, 100 * MS), 0);
		return ACT_CONTINUE;
	}
	case AT_CRASH:
		return ACT_CRASH;
	}
	CHECK(!"unknown tag");
	return ACT_CRASH;
}
static const act_behavior at_b = {"at", at_handle, NULL, NULL};

static mbx_msg at_ask(at_ctx *c, int tgt, uint32_t tag, int64_t timeout)
{
	mbx_msg m = {.tag = AT_ASK, .a = (uint64_t)tgt, .b = (uint64_t)timeout, .seq = tag}, rep;
	CHECK_EQ(act_ask(c->a, &m, &rep, 30 * SEC), ACT_OK);
	return rep; /* .a: the inner ask's error, .b: its duration */
}

/* Asks from a pooled handler (one worker) that must end by themselves. */
static void t_ask_timeout_inside_pool(tctx *t)
{
	act_pool *p = pool_new(1, 0, -1), *p2 = pool_new(1, 0, -1);
	at_ctx *c = calloc(1, sizeof *c);
	CHECK(c != NULL);
	c->a = spawn_on(&at_b, c, t->ops, 0, p);
	c->tgt[AT_N] = spawn_on(&at_b, c, t->ops, 0, p);
	c->tgt[AT_S_OTHER_POOL] = spawn_on(&at_b, c, t->ops, 0, p2); /* our worker cannot help it */
	c->tgt[AT_S_THREAD] = spawn_on(&at_b, c, t->ops, 0, NULL);
	c->tgt[AT_S_SAME_POOL] = spawn_on(&at_b, c, t->ops, 0, p);
	c->tgt[AT_B] = spawn_on(&at_b, c, t->ops, 0, p);
	c->tgt[AT_CR] = spawn_on(&at_b, c, t->ops, 0, p);

	mbx_msg r = at_ask(c, AT_N, AT_NOREPLY, 10 * SEC);
	CHECK_EQ(r.a, ACT_ENOREPLY);
	CHECK_LT(r.b, 5 * SEC);
	v_tick(&t->wd);
	for (int tg = AT_S_OTHER_POOL; tg <= AT_S_THREAD; tg++) { /* sleeps 300 ms, we wait 50 */
		r = at_ask(c, tg, AT_SLEEP, 50 * MS);
		CHECK_EQ(r.a, ACT_ETIMEOUT);
		CHECK_GE(r.b, 50 * MS);
		CHECK_LT(r.b, 2 * SEC);
		v_tick(&t->wd);
	}
	/* the sleeper on our own worker: helping may run its 300 ms turn inside
	 * our wait, so the answer may be late or even OK, but it must come */
	r = at_ask(c, AT_S_SAME_POOL, AT_SLEEP, 50 * MS);
	CHECK(r.a == ACT_ETIMEOUT || r.a == ACT_OK);
	CHECK_LT(r.b, 300 * MS + 2 * SEC);
	printf("  ask to a 300 ms sleeper on the same worker, timeout 50 ms: %s after %" PRIu64 " ms\n",
	       act_strerror((int)r.a), r.b / (uint64_t)MS);
	v_tick(&t->wd);
	/* A asks B, B asks A back: both wait on the other; B's 100 ms timeout ends it */
	r = at_ask(c, AT_B, AT_ASK_BACK, 10 * SEC);
	CHECK_EQ(r.a, ACT_OK);
	CHECK_EQU(c->inner, ACT_ETIMEOUT);
	v_tick(&t->wd);
	r = at_ask(c, AT_CR, AT_CRASH, 10 * SEC);
	CHECK_EQ(r.a, ACT_ECRASHED);
	r = at_ask(c, AT_CR, AT_PING, 10 * SEC);
	CHECK_EQ(r.a, ACT_ESTOPPED);
	CHECK_EQU(ask_ok(c->a, AT_PING, 0, 0).a, 7); /* A is fine (and B's late ask was answered) */
	finish(c->a);
	for (int i = 0; i < AT_NT; i++)
		finish(c->tgt[i]);
	pool_free(p);
	pool_free(p2);
	free(c);
}

/* ---------------------------------------------------------------- stop_idle */

typedef struct si_state {
	_Atomic uint32_t starts, stops;
	_Atomic uint64_t start_at, stop_at;
	uint64_t count;
} si_state;
static _Atomic uint64_t g_si_clock;

static void si_start(void *s, act_ctx *ctx)
{
	(void)ctx;
	si_state *st = s;
	atomic_fetch_add(&st->starts, 1);
	atomic_store(&st->start_at, atomic_fetch_add(&g_si_clock, 1) + 1);
}
static void si_stop(void *s, act_ctx *ctx)
{
	(void)ctx;
	si_state *st = s;
	atomic_fetch_add(&st->stops, 1);
	atomic_store(&st->stop_at, atomic_fetch_add(&g_si_clock, 1) + 1);
}
static act_result si_handle(void *s, const mbx_msg *m, act_ctx *ctx)
{
	(void)ctx;
	((si_state *)s)->count++;
	act_reply(m, 0, 0);
	return ACT_CONTINUE;
}
static const act_behavior si_b = {"idle", si_handle, si_start, si_stop};

/* Stop actors that were never sent anything: right after spawn (racing the
 * first turn), once on_start ran, and after a message and a pause (idle,
 * workers parked). Each runs on_start once, then on_stop once. */
static void t_stop_idle(tctx *t)
{
	enum { N = 96 };
	act_pool *p = pool_new(workers_or(2), 0, -1);
	si_state *st = calloc(N, sizeof *st);
	act_ref r[N];
	CHECK(st != NULL);
	for (int i = 0; i < N; i++) {
		r[i] = spawn_on(&si_b, &st[i], t->ops, cap_at_least(t->ops, 2), p);
		if (i % 3 == 0)
			CHECK_EQ(act_stop(r[i]), ACT_OK);
	}
	for (int i = 0; i < N; i++) {
		if (i % 3 == 1) {
			while (!atomic_load(&st[i].starts))
				v_sleep_ms(1); /* the watchdog bounds this */
		} else if (i % 3 == 2) {
			ask_ok(r[i], 1, 0, 0);
		}
	}
	v_sleep_ms(20); /* idle: workers park */
	v_tick(&t->wd);
	for (int i = 0; i < N; i++)
		if (i % 3 != 0)
			CHECK_EQ(act_stop(r[i]), ACT_OK);
	for (int i = 0; i < N; i++) {
		CHECK_EQ(act_join(r[i]), ACT_OK);
		CHECK_EQ(atomic_load(&st[i].starts), 1);
		CHECK_EQ(atomic_load(&st[i].stops), 1);
		CHECK_LT(atomic_load(&st[i].start_at), atomic_load(&st[i].stop_at));
		CHECK_EQU(st[i].count, i % 3 == 2);
		CHECK_EQU(act_get_stats(r[i]).handled, i % 3 == 2);
		act_release(r[i]);
	}
	pool_free(p);
	free(st);
}

/* ---------------------------------------------------------------- self_stop, crash */

enum { P_ADD = 1, P_GET, P_HOLD, P_STOP, P_CRASH, P_PANIC, P_ASK_PEER };
typedef struct probe {
	uint64_t count;
	_Atomic int held, release;
	_Atomic uint32_t starts, stops;
	act_ref peer;
} probe;

static void p_start(void *s, act_ctx *ctx)
{
	(void)ctx;
	atomic_fetch_add(&((probe *)s)->starts, 1);
}
static void p_stop(void *s, act_ctx *ctx)
{
	(void)ctx;
	atomic_fetch_add(&((probe *)s)->stops, 1);
}
/* act_panic a few frames below the handler (the unwind crosses them) */
_Noreturn static void panic_1(act_ctx *ctx) { act_panic(ctx, "scheduler_test: nested panic"); }
_Noreturn static void panic_2(act_ctx *ctx) { panic_1(ctx); }
_Noreturn static void panic_deep(act_ctx *ctx) { panic_2(ctx); }
static act_result p_handle(void *s, const mbx_msg *m, act_ctx *ctx)
{
	probe *p = s;
	switch (m->tag) {
	case P_ADD:
		p->count++;
		act_reply(m, p->count, 0);
		return ACT_CONTINUE;
	case P_GET:
		act_reply(m, p->count, 0);
		return ACT_CONTINUE;
	case P_HOLD:
		hold(&p->held, &p->release);
		return ACT_CONTINUE;
	case P_STOP:
		return ACT_STOP;
	case P_CRASH:
		return ACT_CRASH;
	case P_PANIC:
		panic_deep(ctx);
		return ACT_CONTINUE;
	case P_ASK_PEER: { /* on a 1-worker pool the peer's panic runs inside our wait */
		mbx_msg q = {.tag = (uint32_t)m->a}, rep;
		act_reply(m, (uint64_t)act_ask(p->peer, &q, &rep, 10 * SEC), 0);
		return ACT_CONTINUE;
	}
	}
	CHECK(!"unknown tag");
	return ACT_CRASH;
}
static const act_behavior probe_b = {"probe", p_handle, p_start, p_stop};

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
	probe *p = calloc(1, sizeof *p);
	CHECK(p != NULL);
	act_ref r = spawn_on(&probe_b, p, ops, 0, pool);
	obs o = {0};
	mbx_msg rep, get = {.tag = P_GET}, add = {.tag = P_ADD};
	switch (sc) {
	case SC_SELF_STOP: /* queued before and after the ACT_STOP: all handled */
	case SC_CRASH_QUEUED: /* queued behind the crash: dead letters */
		send_ok(r, P_HOLD, 0);
		wait_flag(&p->held);
		for (int i = 0; i < 5; i++)
			send_ok(r, P_ADD, 0);
		send_ok(r, sc == SC_SELF_STOP ? P_STOP : P_CRASH, 0);
		for (int i = 0; i < 3; i++)
			send_ok(r, P_ADD, 0);
		atomic_store(&p->release, 1);
		o.first = act_join(r);
		break;
	case SC_ASK_CRASH:
	case SC_ASK_PANIC: {
		mbx_msg m = {.tag = sc == SC_ASK_CRASH ? P_CRASH : P_PANIC};
		o.first = act_ask(r, &m, &rep, 10 * SEC);
		break;
	}
	}
	/* after the join: the ECRASHED reply precedes the crash's close, so
	 * a stop or send right after it may still find the mailbox open */
	o.join = act_join(r); /* EALREADY where `first` was the join */
	o.stop_again = act_stop(r);
	o.send_after = act_send(r, &add);
	o.ask_after = act_ask(r, &get, &rep, 10 * SEC);
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
	act_pool *p = pool_new(workers_or(2), 0, -1);
	obs th = scenario(t->ops, NULL, sc), po = scenario(t->ops, p, sc);
	pool_free(p);
	printf("  %s:\n", name);
	obs_print("thread", &th);
	obs_print("pooled", &po);
	obs_same(&th, want);
	obs_same(&po, &th);
	v_tick(&t->wd);
}

static void t_self_stop(tctx *t)
{
	obs want = {.first = ACT_OK, .stop_again = ACT_EALREADY, .send_after = ACT_ESTOPPED,
	            .ask_after = ACT_ESTOPPED, .join = ACT_EALREADY, .join_again = ACT_EALREADY,
	            .count = 8, .handled = 10, .dead = 0, .starts = 1, .stops = 1};
	compare_modes(t, "self_stop", SC_SELF_STOP, &want);
}

static void t_crash(tctx *t)
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
	act_pool *p = pool_new(1, 0, -1);
	probe *pa = calloc(1, sizeof *pa), *pb = calloc(1, sizeof *pb);
	CHECK(pa && pb);
	act_ref a = spawn_on(&probe_b, pa, t->ops, 0, p), b = spawn_on(&probe_b, pb, t->ops, 0, p);
	pa->peer = b;
	CHECK_EQ(ask_ok(a, P_ASK_PEER, P_PANIC, 0).a, ACT_ECRASHED);
	CHECK_EQU(ask_ok(a, P_ADD, 0, 0).a, 1); /* A alive and well */
	CHECK_EQ(act_join(b), ACT_OK);
	CHECK_EQ(atomic_load(&pb->stops), 1);
	CHECK_EQ(ask_ok(a, P_ASK_PEER, P_GET, 0).a, ACT_ESTOPPED);
	finish(a);
	act_release(b);
	CHECK_EQ(atomic_load(&pa->stops), 1);
	pool_free(p);
	free(pa);
	free(pb);
}

/* ---------------------------------------------------------------- pool_destroy_checks */

static void slow_stop(void *s, act_ctx *ctx)
{
	v_sleep_ms(50);
	p_stop(s, ctx);
}
static const act_behavior slow_stop_b = {"slowstop", p_handle, p_start, slow_stop};

static void t_pool_destroy_checks(tctx *t)
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
	act_pool *p = pool_new(w, 0, -1);
	probe *st = calloc(M, sizeof *st);
	act_ref r[M];
	CHECK(st != NULL);
	for (int i = 0; i < M; i++)
		r[i] = spawn_on(&probe_b, &st[i], t->ops, 0, p);
	CHECK_EQ(act_pool_get_stats(p).live, M); /* none has terminated */
	for (int i = 0; i < M; i++)
		for (int k = 0; k < 10; k++)
			send_ok(r[i], P_ADD, 0);
	for (int i = 0; i < M; i++)
		CHECK_EQU(ask_ok(r[i], P_GET, 0, 0).a, 10);
	v_tick(&t->wd);
	/* half stop themselves (ACT_STOP), half are stopped */
	for (int i = 0; i < M; i++)
		if (i & 1)
			send_ok(r[i], P_STOP, 0);
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
	print_stats(stdout, "pool", s);
	CHECK_GT(s.turns, 0);
	CHECK_GT(s.injects, 0); /* the sends above came from outside */
	CHECK_GT(s.parks, 0);
	CHECK_EQ(s.live, 0);
	pool_free(p);
	for (int i = M / 2; i < M; i++) {
		act_stats as = act_get_stats(r[i]); /* a handle outliving its pool */
		CHECK_EQU(as.handled, (i & 1) ? 12 : 11);
		CHECK_EQ(act_stop(r[i]), ACT_EALREADY);
		mbx_msg m = {.tag = P_ADD};
		CHECK_EQ(act_send(r[i], &m), ACT_ESTOPPED);
		act_release(r[i]);
	}
	free(st);

	/* destroy waits for an actor that was stopped, never joined, and is
	 * still in its 50 ms on_stop */
	act_pool *q = pool_new(workers_or(3), 0, -1);
	probe *ps = calloc(1, sizeof *ps);
	CHECK(ps != NULL);
	act_ref x = spawn_on(&slow_stop_b, ps, t->ops, 0, q);
	send_ok(x, P_ADD, 0);
	CHECK_EQ(act_stop(x), ACT_OK);
	act_release(x);
	pthread_mutex_lock(&g_pools_mu);
	for (int i = 0; i < MAX_POOLS; i++)
		if (g_pools[i] == q)
			g_pools[i] = NULL;
	pthread_mutex_unlock(&g_pools_mu);
	act_pool_destroy(q);
	CHECK_EQ(atomic_load(&ps->stops), 1); /* destroy returned after the actor terminated */
	CHECK_EQU(ps->count, 1);
	free(ps);
}

/* ---------------------------------------------------------------- mixed_modes */

enum { MM_P = 4, MM_TOKENS = 32, MM_HOPS = 40 };
enum { MM_TOKEN = 1, MM_ECHO, MM_ASK_ALL };
typedef struct mm_ctx {
	act_ref t, p[MM_P];
	_Atomic uint64_t hops, done, asks;
} mm_ctx;
typedef struct mm_actor {
	mm_ctx *c;
	int idx; /* -1: the thread-mode actor */
} mm_actor;

static act_result mm_handle(void *s, const mbx_msg *m, act_ctx *ctx)
{
	(void)ctx;
	mm_actor *me = s;
	mm_ctx *c = me->c;
	switch (m->tag) {
	case MM_ECHO:
		act_reply(m, m->a + 1, 0);
		return ACT_CONTINUE;
	case MM_ASK_ALL: { /* the thread actor asks every pooled one */
		uint64_t sum = 0;
		for (int i = 0; i < MM_P; i++) {
			mbx_msg q = {.tag = MM_ECHO, .a = (uint64_t)i}, rep;
			CHECK_EQ(act_ask(c->p[i], &q, &rep, 10 * SEC), ACT_OK);
			sum += rep.a;
		}
		act_reply(m, sum, 0);
		return ACT_CONTINUE;
	}
	}
	CHECK_EQ(m->tag, MM_TOKEN);
	atomic_fetch_add(&c->hops, 1);
	if (m->a == 0) {
		atomic_fetch_add(&c->done, 1);
		return ACT_CONTINUE;
	}
	mbx_msg f = {.tag = MM_TOKEN, .a = m->a - 1, .b = m->b, .sender = (uint32_t)me->idx};
	if (me->idx < 0) { /* thread -> next pooled actor (roomy mailboxes: never blocks) */
		CHECK_EQ(act_send(c->p[(m->sender + 1) % MM_P], &f), ACT_OK);
	} else { /* pooled -> thread (capacity 2: the pooled handler waits and helps) */
		if (m->b % 8 == 0) {
			mbx_msg q = {.tag = MM_ECHO, .a = m->b}, rep;
			CHECK_EQ(act_ask(c->t, &q, &rep, 10 * SEC), ACT_OK);
			CHECK_EQU(rep.a, m->b + 1);
			atomic_fetch_add(&c->asks, 1);
		}
		CHECK_EQ(act_send(c->t, &f), ACT_OK);
	}
	return ACT_CONTINUE;
}
static const act_behavior mm_b = {"mm", mm_handle, NULL, NULL};

/* Tokens bounce pooled -> thread -> next pooled ... MM_HOPS times; pooled
 * handlers ask the thread actor, and the thread actor asks pooled ones. */
static void t_mixed_modes(tctx *t)
{
	act_pool *p = pool_new(workers_or(2), 0, -1);
	mm_ctx *c = calloc(1, sizeof *c);
	mm_actor st[MM_P + 1];
	CHECK(c != NULL);
	uint32_t roomy = cap_at_least(t->ops, 4 * MM_P * MM_TOKENS); /* all tokens fit */
	st[MM_P] = (mm_actor){c, -1};
	c->t = spawn_on(&mm_b, &st[MM_P], t->ops, cap_at_least(t->ops, 2), NULL);
	for (int i = 0; i < MM_P; i++) {
		st[i] = (mm_actor){c, i};
		c->p[i] = spawn_on(&mm_b, &st[i], t->ops, roomy, p);
	}
	for (uint64_t k = 0; k < MM_TOKENS; k++)
		for (int i = 0; i < MM_P; i++) {
			mbx_msg m = {.tag = MM_TOKEN, .a = MM_HOPS, .b = k * MM_P + (uint64_t)i};
			CHECK_EQ(act_send(c->p[i], &m), ACT_OK);
		}
	wait_ge(t, &c->done, MM_P * MM_TOKENS);
	CHECK_EQU(atomic_load(&c->hops), (uint64_t)MM_P * MM_TOKENS * (MM_HOPS + 1));
	/* each token is asked about on each of its pooled hops when b % 8 == 0 */
	CHECK_EQU(atomic_load(&c->asks), (uint64_t)(MM_P * MM_TOKENS / 8) * (MM_HOPS / 2));
	CHECK_EQU(ask_ok(c->t, MM_ASK_ALL, 0, 0).a, (uint64_t)MM_P * (MM_P + 1) / 2);
	for (int i = 0; i < MM_P; i++)
		CHECK_EQU(ask_ok(c->p[i], MM_ECHO, 41, 0).a, 42); /* outside -> pooled */
	for (int i = 0; i < MM_P; i++)
		finish(c->p[i]);
	finish(c->t);
	pool_free(p);
	free(c);
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
		hold(&c->held, &c->release);
		break;
	case HN_A_GO: /* A -> B (B's pool is held: A waits) */
		for (uint64_t i = 0; i < HN_N; i++)
			send_ok(c->b, HN_MSG, i);
		break;
	case HN_X_GO: /* X -> A (A's mailbox fills: X waits for A) */
		for (uint64_t i = 0; i < HN_N; i++)
			send_ok(c->a, HN_MSG, i);
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
	act_pool *p = pooled ? pool_new(1, 0, -1) : NULL, *p2 = pool_new(1, 0, -1);
	hn_ctx *c = calloc(1, sizeof *c);
	CHECK(c != NULL);
	uint32_t cap = cap_at_least(t->ops, 2);
	hn_actor sa = {c, 'a'}, sb = {c, 'b'}, sx = {c, 'x'}, sg = {c, 'g'};
	act_ref g = spawn_on(&hn_b, &sg, t->ops, 0, p2);
	c->b = spawn_on(&hn_b, &sb, t->ops, cap, p2);
	c->a = spawn_on(&hn_b, &sa, t->ops, cap, p);
	c->x = spawn_on(&hn_b, &sx, t->ops, 0, p);
	send_ok(g, HN_HOLD, 0);
	wait_flag(&c->held);
	send_ok(c->a, HN_A_GO, 0);
	send_ok(c->x, HN_X_GO, 0);
	v_sleep_ms(50); /* A is waiting on B; X has had its chance to run */
	atomic_store(&c->release, 1);
	/* thread mode takes ~1 ms after the release; 10 s (any build) is
	 * a deadlock, reported here rather than by the 20 s watchdog */
	int64_t t0 = mbx_now_ns(), limit = 10 * SEC;
	while (atomic_load(&c->b_got) < HN_N || !atomic_load(&c->x_done) || atomic_load(&c->a_got) < HN_N) {
		if (mbx_now_ns() - t0 > limit) {
			fprintf(stderr,
			        "%s: help_nested_block: %s mode stuck: B got %" PRIu64 "/%d, A got %" PRIu64
			        "/%d, X done %" PRIu64 " (X's turn, run inside A's wait, waits for A's mailbox)\n",
			        PROG, pooled ? "pooled" : "thread", atomic_load(&c->b_got), HN_N, atomic_load(&c->a_got),
			        HN_N, atomic_load(&c->x_done));
			dump_pools(NULL);
			abort();
		}
		v_sleep_ms(1);
	}
	printf("  %s: done in %" PRId64 " ms\n", pooled ? "pooled" : "thread", (mbx_now_ns() - t0) / MS);
	v_tick(&t->wd);
	finish(g);
	finish(c->a);
	finish(c->b);
	finish(c->x);
	if (p)
		pool_free(p);
	pool_free(p2);
	free(c);
}

static void t_help_nested_block(tctx *t)
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
		send_ok(c->q, SN_MSG, 0);
		atomic_store(&c->p_ready, 1);
		for (uint64_t i = 0; i < SN_N; i++)
			send_ok(c->r, SN_MSG, i);
		atomic_store(&c->p_done, 1);
		break;
	case SN_R_GO: /* R: once Q is queued behind P, block on Q's full mailbox */
		while (!atomic_load(&c->p_ready))
			sched_yield();
		for (uint64_t i = 0; i < SN_N; i++)
			send_ok(c->q, SN_MSG, i);
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
	act_pool *p = mode ? pool_new(2, 0, -1) : NULL;
	sn_ctx *c = calloc(1, sizeof *c);
	CHECK(c != NULL);
	uint32_t cap = cap_at_least(t->ops, 2);
	sn_actor sp = {c, 'p'}, sq = {c, 'q'}, sr = {c, 'r'};
	c->q = spawn_on(&sn_b, &sq, t->ops, cap, p);
	c->r = spawn_on(&sn_b, &sr, t->ops, cap, mode == 1 ? p : NULL);
	act_ref pa = spawn_on(&sn_b, &sp, t->ops, 0, p);
	send_ok(c->r, SN_R_GO, 0);
	v_sleep_ms(10); /* R is inside its handler, on one worker */
	send_ok(pa, SN_P_GO, 0);
	int64_t t0 = mbx_now_ns(), limit = 10 * SEC; /* thread mode: ~1 ms */
	while (atomic_load(&c->q_got) < SN_N + 1 || atomic_load(&c->r_got) < SN_N || !atomic_load(&c->p_done)) {
		if (mbx_now_ns() - t0 > limit) {
			fprintf(stderr,
			        "%s: stranded_next_slot: %s stuck: Q got %" PRIu64 "/%d, R got %" PRIu64
			        "/%d, P done %" PRIu64 " (Q waits in the next slot of P's blocked worker)\n",
			        PROG, names[mode], atomic_load(&c->q_got), SN_N + 1, atomic_load(&c->r_got), SN_N,
			        atomic_load(&c->p_done));
			dump_pools(NULL);
			abort();
		}
		v_sleep_ms(1);
	}
	printf("  %s: done in %" PRId64 " ms\n", names[mode], (mbx_now_ns() - t0) / MS);
	v_tick(&t->wd);
	finish(pa);
	finish(c->r);
	finish(c->q);
	if (p)
		pool_free(p);
	free(c);
}

static void t_stranded_next_slot(tctx *t)
{
	for (int mode = 0; mode < 3; mode++)
		sn_run(t, mode);
}

/* ---------------------------------------------------------------- driver */

typedef struct test_def {
	v_test t;
	void (*fn)(tctx *t);
} test_def;
static const test_def tests[] = {
	{{"many_actors", 60, 0}, t_many_actors},
	{{"never_two_workers", 60, 0}, t_never_two_workers},
	{{"batch_fairness", 60, 0}, t_batch_fairness},
	{{"no_lost_wakeup", 60, 0}, t_no_lost_wakeup},
	{{"ask_inside_pool", 60, 0}, t_ask_inside_pool},
	{{"ask_timeout_inside_pool", 60, 0}, t_ask_timeout_inside_pool},
	{{"stop_idle", 60, 0}, t_stop_idle},
	{{"self_stop", 60, 0}, t_self_stop},
	{{"crash", 60, 0}, t_crash},
	{{"pool_destroy_checks", 60, 0}, t_pool_destroy_checks},
	{{"mixed_modes", 60, 0}, t_mixed_modes},
	{{"help_nested_block", 60, MBX_CAP_BOUNDED}, t_help_nested_block},
	{{"stranded_next_slot", 60, MBX_CAP_BOUNDED}, t_stranded_next_slot},
};

static void run_test(const v_test *vt, const v_case *c, uint64_t seed)
{
	tctx t = {.ops = c->ops, .seed = seed};
	t.wd.dump = dump_pools;
	v_watchdog_start(&t.wd, WATCHDOG_S, vt->name);
	((const test_def *)(const void *)vt)->fn(&t);
	v_watchdog_stop(&t.wd);
	fflush(stdout);
}

static void usage(const v_suite *s, FILE *f)
{
	v_suite_default_usage(s, f);
	fprintf(f, "  --workers N     pool size for the tests that do not need one worker (1..1024;\n"
	           "                  default: each test's own, 2 to 4)\n"
	           "tests:");
	for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++)
		fprintf(f, " %s", tests[i].t.name);
	fprintf(f, "\n");
}

static int own_flag(v_suite *s, int argc, char **argv, int *i)
{
	(void)s;
	if (strcmp(argv[*i], "--workers"))
		return 0;
	opt_workers = (unsigned)cli_u64(PROG, "--workers", cli_value(PROG, argc, argv, i), 1, 1024);
	return 1;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0); /* a CHECK aborts: keep what was printed before it */
	v_suite s = {.prog = PROG, .label = "scheduler", .test_flag = "--test", V_SUITE_TESTS(tests),
	             .run = run_test, .usage = usage, .flag = own_flag};
	return v_suite_main(&s, argc, argv);
}
