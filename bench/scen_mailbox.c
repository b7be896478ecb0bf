/* scen_mailbox.c: pingpong, fanin, ask, burst, idle_wakeup over one mailbox
 * kind (raw mailboxes or one actor), each checking sequence, payload and
 * counts. On a failure a thread closes the mailboxes it shares: nobody stays
 * blocked, and finish joins everybody. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "actor.h"
#include "bench.h"

#define BN_ASK_TIMEOUT_NS (10LL * 1000000000LL) /* a hang becomes a failure */
#define TAG_WARM 0x7761726du                    /* a warm-up message, not counted */

/* Pops one message, expecting MBX_OK; anything else fails the run. */
static bool pop_ok(bn_run *r, mbx *m, mbx_msg *out, const char *what)
{
	mbx_status s = mbx_pop(m, out);
	if (s == MBX_OK)
		return true;
	bn_fail(r, "%s: pop answered %s", what, mbx_status_name(s));
	return false;
}

static bool push_ok(bn_run *r, mbx *m, const mbx_msg *msg, const char *what)
{
	mbx_status s = mbx_push(m, msg, NULL);
	if (s == MBX_OK)
		return true;
	bn_fail(r, "%s: push answered %s", what, mbx_status_name(s));
	return false;
}

static void destroy_box(mbx **m)
{
	if (*m)
		mbx_destroy(*m);
	*m = NULL;
}

static void close_box(mbx *m)
{
	if (m)
		mbx_close(m);
}

/* ======================================================================
 * Echo: the partner thread shared by pingpong, burst and idle_wakeup. It
 * pops from `in` until CLOSED and answers on `out`:
 *  - every message (every = 1): echoes it with a = ~a (pingpong), or with
 *    a = receipt time - a (stamp: idle_wakeup);
 *  - every `every` messages: one ack with seq = burst index and a = the sum
 *    of the burst's payloads (burst).
 * It checks the sequence numbers it sees (0, 1, 2, ...) and their payloads.
 * ==================================================================== */
typedef struct echo_ctx {
	mbx *in, *out;
	uint32_t every; /* answer once per this many messages */
	bool stamp;     /* idle_wakeup: reply with the wake-up latency */
	uint64_t handled; /* read by finish after the join */
	_Atomic int tid;  /* the echo thread's kernel id (idle_wakeup) */
	bn_crew crew;
} echo_ctx;

static void echo_main(bn_run *r, echo_ctx *e)
{
	mbx_msg m;
	uint64_t expect = 0, sum = 0;
	/* release: publishes the tid to wait_parked's acquire load */
	atomic_store_explicit(&e->tid, (int)syscall(SYS_gettid), memory_order_release);
	for (;;) {
		mbx_status s = mbx_pop(e->in, &m);
		int64_t now = e->stamp ? mbx_now_ns() : 0;
		if (s == MBX_CLOSED)
			break;
		if (s != MBX_OK) {
			bn_fail(r, "echo: pop answered %s", mbx_status_name(s));
			break;
		}
		if (m.tag == TAG_WARM) { /* echo_start's warm-up: back as it came */
			if (!push_ok(r, e->out, &m, "echo warm-up"))
				break;
			continue;
		}
		if (m.seq != expect || (!e->stamp && m.a != bn_mix(m.sender, m.seq))) {
			bn_fail(r, "echo: got seq %" PRIu64 " (payload %s), expected seq %" PRIu64, m.seq,
			        m.a == bn_mix(m.sender, m.seq) ? "ok" : "wrong", expect);
			break;
		}
		expect++;
		e->handled++;
		if (e->stamp) {
			m.a = (uint64_t)(now - (int64_t)m.a);
		} else if (e->every > 1) {
			sum += m.a;
			if (expect % e->every)
				continue;
			m = (mbx_msg){.seq = expect / e->every - 1, .a = sum};
			sum = 0;
		} else {
			m.a = ~m.a;
		}
		if (!push_ok(r, e->out, &m, "echo reply"))
			break;
	}
	close_box(e->out); /* a failure here must not leave the main thread waiting */
}

/* pingpong, burst and idle_wakeup keep an echo_ctx as their whole state. */
static void echo_cancel(bn_run *r)
{
	echo_ctx *e = r->ctx;
	close_box(e->in);
	close_box(e->out);
}

static void echo_crew_fn(bn_run *r, uint32_t idx, int64_t quota)
{
	(void)idx;
	(void)quota;
	echo_main(r, (echo_ctx *)r->ctx);
}

/* Creates in/out mailboxes of the case's kind and starts the echo thread,
 * pinned to cpu (-1: not pinned), already past its gate. */
static bool echo_start(bn_run *r, echo_ctx *e, uint32_t cap, int32_t spin, uint32_t every, bool stamp,
                       int cpu)
{
	e->every = every;
	e->stamp = stamp;
	atomic_init(&e->tid, 0);
	e->in = bn_mbx_create(r, r->c->mbx, cap, spin);
	e->out = e->in ? bn_mbx_create(r, r->c->mbx, 0, -1) : NULL;
	if (!e->out)
		return false;
	int cpus[1] = {cpu};
	if (!bn_crew_start(&e->crew, r, 1, echo_crew_fn, cpus))
		return false;
	bn_crew_go(&e->crew);
	/* One untimed round trip: the thread is scheduled, past its gate and
	 * in its loop, and both mailboxes have been touched, before timing. */
	mbx_msg w = {.tag = TAG_WARM}, back;
	if (!push_ok(r, e->in, &w, "warm-up") || !pop_ok(r, e->out, &back, "warm-up"))
		return false;
	if (back.tag != TAG_WARM) {
		bn_fail(r, "warm-up: got tag %u back", (unsigned)back.tag);
		return false;
	}
	return true;
}

/* Closes `in` (the echo thread drains it and leaves), joins, checks that it
 * handled `expect` messages, frees. */
static void echo_finish(bn_run *r, echo_ctx *e, uint64_t expect)
{
	close_box(e->in);
	if (bn_failed(r))
		close_box(e->out); /* the main thread no longer reads it: do not block on it */
	bn_crew_join(&e->crew);
	if (!bn_failed(r) && e->handled != expect)
		bn_fail(r, "echo handled %" PRIu64 " messages, expected %" PRIu64, e->handled, expect);
	destroy_box(&e->in);
	destroy_box(&e->out);
}

/* ======================================================================
 * pingpong/<mailbox>/pin:none|same|diff: the main thread and the echo
 * thread bounce one message through two mailboxes of the kind. One item =
 * one round trip; latencies per round trip.
 * ==================================================================== */
static void pingpong_setup(bn_run *r)
{
	echo_ctx *e = r->ctx;
	int me = -1, partner = -1;
	if (r->c->pingpong.pin != BN_PIN_NONE) {
		if (r->c->pingpong.pin == BN_PIN_DIFF && bn_nproc() < 2) {
			bn_fail(r, "pin:diff needs 2 CPUs, this process may use %d", bn_nproc());
			return;
		}
		me = bn_cpu(0);
		partner = r->c->pingpong.pin == BN_PIN_SAME ? me : bn_cpu(1);
		if (me < 0 || bn_pin_self(me) != 0) {
			bn_fail(r, "cannot pin the main thread to CPU %d", me);
			return;
		}
		snprintf(r->label, sizeof r->label, "cpus %d,%d", me, partner);
	}
	r->threads = 2;
	echo_start(r, e, 0, -1, 1, false, partner);
}

static void pingpong_body(bn_run *r)
{
	echo_ctx *e = r->ctx;
	mbx_msg m, got;
	for (int64_t i = 0; i < r->n; i++) {
		m = (mbx_msg){.sender = 0, .seq = (uint64_t)i, .a = bn_mix(0, (uint64_t)i)};
		if (!push_ok(r, e->in, &m, "ping") || !pop_ok(r, e->out, &got, "pong"))
			return;
		if (got.seq != m.seq || got.a != ~m.a) {
			bn_fail(r, "round trip %" PRId64 ": got seq %" PRIu64 ", wrong %s", i, got.seq,
			        got.seq != m.seq ? "message" : "payload");
			return;
		}
		bn_lap(r);
	}
}

static void pingpong_finish(bn_run *r)
{
	echo_ctx *e = r->ctx;
	echo_finish(r, e, (uint64_t)r->n);
}

const bn_scenario bn_sc_pingpong = {
	.name = "pingpong",
	.ctx_size = sizeof(echo_ctx),
	.setup = pingpong_setup,
	.body = pingpong_body,
	.finish = pingpong_finish,
	.cancel = echo_cancel,
};

/* ======================================================================
 * fanin/<mailbox>/P:<n>/cap:<c>[/wait:park|noyield]: P producer threads each push
 * their quota (sender = id, seq = 0, 1, ...) to one mailbox; the main thread
 * is the consumer: it checks per-producer FIFO and every payload, and sums the
 * payloads against the producers' own sums. Throughput only: no per-op
 * clock read (it would cost as much as the op). The wait strategy is a
 * dimension: the plain name waits the kind's way (spin budget, then, for
 * MBX_CAP_YIELD kinds, a few yields, then park); wait:park (kinds with
 * MBX_CAP_SPIN) sets the spin budget to 0, so both sides park at once, and
 * wait:noyield (MBX_CAP_YIELD kinds) drops the yield phase (spin, then
 * park): each against the plain name says what that phase buys in
 * throughput and costs in cpu_ns_per_item. Kinds that count their own waits
 * (mbx_get_stats) add producer_waits_per_item and producer_wait_ns_per_item.
 * ==================================================================== */
typedef struct fanin_ctx {
	mbx *box;
	bn_crew crew;
	uint64_t *next;    /* consumer: next expected seq per producer */
	uint64_t *sent_sum; /* producer i's payload sum, read after the join */
	uint64_t got_sum;
} fanin_ctx;

static void fanin_producer(bn_run *r, uint32_t idx, int64_t quota)
{
	fanin_ctx *x = r->ctx;
	uint64_t sum = 0;
	for (int64_t s = 0; s < quota; s++) {
		mbx_msg m = {.tag = 1, .sender = idx, .seq = (uint64_t)s, .a = bn_mix(idx, (uint64_t)s)};
		if (!push_ok(r, x->box, &m, "producer")) {
			close_box(x->box); /* the consumer would wait for this message forever */
			break;
		}
		sum += m.a;
	}
	x->sent_sum[idx] = sum;
}

static void fanin_setup(bn_run *r)
{
	fanin_ctx *x = r->ctx;
	uint32_t p = r->c->fanin.producers;
	r->threads = p + 1;
	x->next = calloc(p, sizeof *x->next);
	x->sent_sum = calloc(p, sizeof *x->sent_sum);
	if (!x->next || !x->sent_sum) {
		bn_fail(r, "out of memory");
		return;
	}
	int wait = r->c->fanin.wait;
	mbx_config cfg = {.capacity = r->c->fanin.cap,
	                  .spin = wait == BN_WAIT_PARK ? 0 : -1,
	                  .yields = wait == BN_WAIT_NOYIELD ? 0 : -1};
	x->box = bn_mbx_create_cfg(r, r->c->mbx, &cfg);
	if (x->box)
		bn_crew_start(&x->crew, r, p, fanin_producer, NULL);
}

static void fanin_body(bn_run *r)
{
	fanin_ctx *x = r->ctx;
	uint32_t p = r->c->fanin.producers;
	uint64_t sum = 0;
	mbx_msg m;
	bn_crew_go(&x->crew);
	for (int64_t i = 0; i < r->n; i++) {
		if (!pop_ok(r, x->box, &m, "consumer"))
			break;
		if (m.sender >= p || m.seq != x->next[m.sender] || m.a != bn_mix(m.sender, m.seq)) {
			bn_fail(r,
			        "message %" PRId64 ": sender %u seq %" PRIu64 " (expected %" PRIu64
			        "), payload %s",
			        i, (unsigned)m.sender, m.seq, m.sender < p ? x->next[m.sender] : 0,
			        m.sender < p && m.a == bn_mix(m.sender, m.seq) ? "ok" : "wrong");
			break;
		}
		x->next[m.sender]++;
		sum += m.a;
	}
	x->got_sum = sum;
}

/* After the join: every producer's messages all arrived, the sums agree,
 * and nothing is left over. */
static void fanin_check(bn_run *r, fanin_ctx *x)
{
	uint32_t p = r->c->fanin.producers;
	uint64_t want = 0;
	for (uint32_t i = 0; i < p; i++) {
		uint64_t quota = (uint64_t)bn_crew_quota(r->n, p, i);
		if (x->next[i] != quota) {
			bn_fail(r, "producer %u: received %" PRIu64 " of %" PRIu64, (unsigned)i, x->next[i],
			        quota);
			return;
		}
		want += x->sent_sum[i];
	}
	if (x->got_sum != want) {
		bn_fail(r, "payload sum %" PRIu64 " != sent %" PRIu64, x->got_sum, want);
		return;
	}
	mbx_msg extra;
	mbx_status s = mbx_try_pop(x->box, &extra);
	if (s != MBX_EMPTY)
		bn_fail(r, "after %" PRId64 " messages the mailbox answers %s, not EMPTY", r->n,
		        mbx_status_name(s));
}

static void fanin_finish(bn_run *r)
{
	fanin_ctx *x = r->ctx;
	if (bn_failed(r))
		close_box(x->box); /* producers blocked on a full mailbox get CLOSED */
	bn_crew_join(&x->crew);
	if (!bn_failed(r))
		fanin_check(r, x);
	/* the kind's own wait counters (mbx_stats: ck_ring's producers waiting
	 * for an earlier claim to commit), per message, after the join */
	mbx_stats st;
	if (!bn_failed(r) && x->box && mbx_get_stats(x->box, &st) && r->n > 0) {
		bn_set_counter(r, "producer_waits_per_item", (double)st.producer_waits / (double)r->n);
		bn_set_counter(r, "producer_wait_ns_per_item", (double)st.producer_wait_ns / (double)r->n);
	}
	destroy_box(&x->box);
	free(x->next);
	free(x->sent_sum);
}

static void fanin_cancel(bn_run *r) { close_box(((fanin_ctx *)r->ctx)->box); }

const bn_scenario bn_sc_fanin = {
	.name = "fanin",
	.ctx_size = sizeof(fanin_ctx),
	.setup = fanin_setup,
	.body = fanin_body,
	.finish = fanin_finish,
	.cancel = fanin_cancel,
};

/* ======================================================================
 * ask/<mailbox>: request-reply through act_ask to one echo actor running
 * over the kind; latency per ask.
 * ==================================================================== */
typedef struct ask_ctx {
	act_ref actor;
} ask_ctx;

static act_result ask_handle(void *state, const mbx_msg *msg, act_ctx *ctx)
{
	(void)state;
	(void)ctx;
	act_reply(msg, msg->a + 1, msg->seq);
	return ACT_CONTINUE;
}

static const act_behavior ask_behavior = {.name = "bench-echo", .handle = ask_handle};

static void ask_setup(bn_run *r)
{
	ask_ctx *x = r->ctx;
	act_options o = {.mailbox = r->c->mbx, .capacity = 0, .spin = -1};
	r->threads = 2;
	x->actor = act_spawn(&ask_behavior, NULL, &o);
	if (!x->actor.a) {
		bn_fail(r, "act_spawn over %s: %s", r->c->mbx->name, strerror(errno));
		return;
	}
	/* one untimed ask: the actor thread is running before timing starts */
	mbx_msg req = {.tag = 1, .a = 41}, rep;
	int e = act_ask(x->actor, &req, &rep, BN_ASK_TIMEOUT_NS);
	if (e != ACT_OK || rep.a != 42)
		bn_fail(r, "warm-up ask: %s", e != ACT_OK ? act_strerror(e) : "wrong reply");
}

static void ask_body(bn_run *r)
{
	ask_ctx *x = r->ctx;
	mbx_msg rep;
	for (int64_t i = 0; i < r->n; i++) {
		mbx_msg req = {.tag = 1, .seq = (uint64_t)i, .a = bn_mix(1, (uint64_t)i)};
		int e = act_ask(x->actor, &req, &rep, BN_ASK_TIMEOUT_NS);
		if (e != ACT_OK) {
			bn_fail(r, "ask %" PRId64 ": %s", i, act_strerror(e));
			return;
		}
		if (rep.a != req.a + 1 || rep.b != req.seq) {
			bn_fail(r, "ask %" PRId64 ": wrong reply", i);
			return;
		}
		bn_lap(r);
	}
}

static void ask_finish(bn_run *r)
{
	ask_ctx *x = r->ctx;
	if (!x->actor.a)
		return;
	act_stop(x->actor);
	int e = act_join(x->actor);
	act_stats s = act_get_stats(x->actor);
	act_release(x->actor);
	if (e != ACT_OK)
		bn_fail(r, "act_join: %s", act_strerror(e));
	else if (!bn_failed(r) && s.handled != (uint64_t)r->n + 1)
		bn_fail(r, "the actor handled %" PRIu64 " asks, expected %" PRId64 " + 1 warm-up", s.handled,
		        r->n);
}

/* The stopped actor answers the asks still queued; the next one fails. */
static void ask_cancel(bn_run *r) { act_stop(((ask_ctx *)r->ctx)->actor); }

const bn_scenario bn_sc_ask = {
	.name = "ask",
	.ctx_size = sizeof(ask_ctx),
	.setup = ask_setup,
	.body = ask_body,
	.finish = ask_finish,
	.cancel = ask_cancel,
};

/* ======================================================================
 * burst/<mailbox>/cap:<c|none>/n:<b>: one iteration = one burst of b
 * messages pushed back to back into an empty mailbox of capacity c (b = c
 * for bounded kinds: it fills up as far as the consumer's wake-up lets it,
 * and the producer blocks on full: backpressure), then the consumer's ack
 * once it has drained the burst, so each burst starts from empty. Items are
 * messages; the latency is per burst.
 * ==================================================================== */
static void burst_setup(bn_run *r)
{
	echo_ctx *e = r->ctx;
	r->threads = 2;
	echo_start(r, e, r->c->burst.cap, -1, r->c->burst.size, false, -1);
}

static void burst_body(bn_run *r)
{
	echo_ctx *e = r->ctx;
	uint32_t b = r->c->burst.size;
	uint64_t seq = 0;
	mbx_msg ack;
	for (int64_t i = 0; i < r->n; i++) {
		uint64_t sum = 0;
		for (uint32_t j = 0; j < b; j++, seq++) {
			mbx_msg m = {.sender = 0, .seq = seq, .a = bn_mix(0, seq)};
			if (!push_ok(r, e->in, &m, "burst"))
				return;
			sum += m.a;
		}
		if (!pop_ok(r, e->out, &ack, "ack"))
			return;
		if (ack.seq != (uint64_t)i || ack.a != sum) {
			bn_fail(r, "burst %" PRId64 ": ack for burst %" PRIu64 ", sum %s", i, ack.seq,
			        ack.a == sum ? "ok" : "wrong");
			return;
		}
		bn_lap(r);
	}
	r->items = r->n * (int64_t)b;
}

static void burst_finish(bn_run *r)
{
	echo_ctx *e = r->ctx;
	echo_finish(r, e, (uint64_t)r->n * r->c->burst.size);
}

const bn_scenario bn_sc_burst = {
	.name = "burst",
	.ctx_size = sizeof(echo_ctx),
	.setup = burst_setup,
	.body = burst_body,
	.finish = burst_finish,
	.cancel = echo_cancel,
};

/* ======================================================================
 * idle_wakeup/<mailbox>/spin:default|0/gap:<g>: the consumer has been idle
 * for a gap before each message: gap:<time> (at least) after the previous receipt (a
 * gap shorter than the spin budget finds it still spinning, a longer one
 * parked), or gap:parked: the main thread waits until the kernel shows the
 * consumer thread asleep ('S' in /proc/self/task/<tid>/stat, twice in a
 * row), so it has spent its whole spin budget. So spin:default vs spin:0 at
 * each gap says what spinning buys, and what it costs in CPU. The time from
 * just before the push to the consumer's receipt (CLOCK_MONOTONIC on both
 * sides) is the iteration's manual time. The main thread's waiting is left
 * out of the CPU counters; the consumer's spinning is not. Registered for
 * MBX_CAP_BLOCKING kinds only; a consumer that never parks fails gap:parked.
 * ==================================================================== */
#define BN_PARK_POLL_NS 10000               /* between looks at the thread's state */
#define BN_PARK_LIMIT_NS (2LL * 1000000000) /* a blocking kind parks long before */

/* The scheduler state letter of thread tid, or 0 if unreadable. */
static char thread_state(int tid)
{
	char path[64], buf[256];
	snprintf(path, sizeof path, "/proc/self/task/%d/stat", tid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	const char *p = strrchr(buf, ')'); /* "tid (comm) S ...": comm may hold anything */
	return p && p[1] == ' ' ? p[2] : 0;
}

static bool wait_parked(bn_run *r, echo_ctx *e)
{
	int64_t deadline = mbx_now_ns() + BN_PARK_LIMIT_NS;
	int asleep = 0; /* consecutive 'S' looks: one could be a brief lock wait */
	for (;;) {
		/* acquire: pairs with the echo thread's release store of its tid */
		int tid = atomic_load_explicit(&e->tid, memory_order_acquire);
		asleep = tid && thread_state(tid) == 'S' ? asleep + 1 : 0;
		if (asleep == 2)
			return true;
		if (bn_failed(r))
			return false; /* the watchdog gave up on us */
		if (mbx_now_ns() > deadline) {
			bn_fail(r, "the consumer never parked (thread %d state '%c')", tid,
			        tid ? thread_state(tid) : '?');
			return false;
		}
		struct timespec ts = {0, BN_PARK_POLL_NS};
		nanosleep(&ts, NULL);
	}
}

/* Waits at least gap_ns from `from`: a short gap spins on the clock (a
 * sleep would overshoot it by the timer slack, tens of us); a long one
 * sleeps, leaving the CPU to the consumer's wake-up. */
#define BN_GAP_SLEEP_NS 50000
static void wait_gap(int64_t from, int64_t gap_ns)
{
	int64_t until = from + gap_ns;
	if (gap_ns >= BN_GAP_SLEEP_NS) {
		int64_t left;
		while ((left = until - mbx_now_ns()) > 0) {
			struct timespec ts = {left / 1000000000, left % 1000000000};
			nanosleep(&ts, NULL);
		}
	}
	while (mbx_now_ns() < until)
		;
}

static void idle_setup(bn_run *r)
{
	echo_ctx *e = r->ctx;
	r->threads = 2;
	echo_start(r, e, 0, r->c->idle_wakeup.spin, 1, true, -1);
}

static void idle_body(bn_run *r)
{
	echo_ctx *e = r->ctx;
	mbx_msg got;
	int64_t gap = r->c->idle_wakeup.gap_ns, last = mbx_now_ns();
	for (int64_t i = 0; i < r->n; i++) {
		bn_exclude_begin(r);
		bool parked = gap == BN_GAP_PARKED ? wait_parked(r, e) : (wait_gap(last, gap), true);
		bn_exclude_end(r);
		if (!parked)
			return;
		mbx_msg m = {.sender = 0, .seq = (uint64_t)i};
		m.a = (uint64_t)mbx_now_ns();
		if (!push_ok(r, e->in, &m, "wake") || !pop_ok(r, e->out, &got, "receipt"))
			return;
		if (got.seq != (uint64_t)i || (int64_t)got.a < 0) {
			bn_fail(r, "wake-up %" PRId64 ": receipt for %" PRIu64 ", latency %" PRId64, i,
			        got.seq, (int64_t)got.a);
			return;
		}
		last = mbx_now_ns(); /* the consumer went idle just before its receipt */
		bn_hist_record(r->hist, got.a);
		r->manual_ns += (int64_t)got.a;
	}
}

static void idle_finish(bn_run *r)
{
	echo_ctx *e = r->ctx;
	echo_finish(r, e, (uint64_t)r->n);
}

const bn_scenario bn_sc_idle_wakeup = {
	.name = "idle_wakeup",
	.ctx_size = sizeof(echo_ctx),
	.manual_time = true,
	.setup = idle_setup,
	.body = idle_body,
	.finish = idle_finish,
	.cancel = echo_cancel,
};
