/* scen_openloop.c: openloop/<mailbox>/rate:<r>: latency under load, open
 * loop. One producer thread sends at a fixed arrival rate (message i is due
 * at t0 + i / rate, whatever happened to the earlier ones), the main thread
 * consumes; each message's latency runs from its INTENDED send time to its
 * receipt, so a producer held up by a full mailbox or a late wake-up is
 * charged to the mailbox instead of silently lowering the load (no
 * coordinated omission). Percentiles up to max, with their sample counts,
 * per mailbox kind at its default capacity; items_per_second is the rate
 * achieved (below the offered one when the kind cannot keep up). */
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "bench.h"

/* The producer sleeps until this long before a message is due, then spins
 * on the clock: a sleep overshoots by the timer slack (tens of us), which
 * would be charged to the mailbox. */
#define BN_PACE_SPIN_NS 80000

typedef struct openloop_ctx {
	mbx *box;
	bn_crew crew;
	int64_t t0; /* the schedule's start, set by body before opening the gate */
} openloop_ctx;

static void openloop_producer(bn_run *r, uint32_t idx, int64_t quota)
{
	(void)idx;
	openloop_ctx *x = r->ctx;
	double period = 1e9 / (double)r->c->openloop.rate;
	for (int64_t i = 0; i < quota && !bn_failed(r); i++) {
		int64_t due = x->t0 + (int64_t)((double)i * period), left;
		while ((left = due - mbx_now_ns()) > 0) {
			if (left <= BN_PACE_SPIN_NS)
				continue;
			left -= BN_PACE_SPIN_NS;
			struct timespec ts = {left / 1000000000, left % 1000000000};
			nanosleep(&ts, NULL);
		}
		mbx_msg m = {.tag = 1, .seq = (uint64_t)i, .a = (uint64_t)due, .b = bn_mix(0, (uint64_t)i)};
		mbx_status s = mbx_push(x->box, &m, NULL);
		if (s != MBX_OK) {
			bn_fail(r, "producer: push %" PRId64 " answered %s", i, mbx_status_name(s));
			mbx_close(x->box); /* the consumer would wait for it forever */
			return;
		}
	}
}

static void openloop_setup(bn_run *r)
{
	openloop_ctx *x = r->ctx;
	r->threads = 2;
	snprintf(r->label, sizeof r->label, "offered %" PRIu32 "/s", r->c->openloop.rate);
	x->box = bn_mbx_create(r, r->c->mbx, 0, -1);
	if (x->box)
		bn_crew_start(&x->crew, r, 1, openloop_producer, NULL);
}

static void openloop_body(bn_run *r)
{
	openloop_ctx *x = r->ctx;
	x->t0 = mbx_now_ns() + 1000; /* published to the producer by the gate's mutex */
	bn_crew_go(&x->crew);
	mbx_msg m;
	for (int64_t i = 0; i < r->n; i++) {
		mbx_status s = mbx_pop(x->box, &m);
		int64_t now = mbx_now_ns();
		if (s != MBX_OK) {
			bn_fail(r, "consumer: pop answered %s after %" PRId64 " messages", mbx_status_name(s), i);
			return;
		}
		if (m.seq != (uint64_t)i || m.b != bn_mix(0, m.seq)) {
			bn_fail(r, "message %" PRId64 ": got seq %" PRIu64 ", payload %s", i, m.seq,
			        m.b == bn_mix(0, m.seq) ? "ok" : "wrong");
			return;
		}
		/* a receipt before its due time would be a clock or payload bug */
		bn_hist_record(r->hist, now > (int64_t)m.a ? (uint64_t)(now - (int64_t)m.a) : 0);
	}
}

static void openloop_finish(bn_run *r)
{
	openloop_ctx *x = r->ctx;
	if (bn_failed(r) && x->box)
		mbx_close(x->box); /* a producer blocked on a full mailbox gets CLOSED */
	bn_crew_join(&x->crew);
	if (x->box)
		mbx_destroy(x->box);
}

static void openloop_cancel(bn_run *r) { mbx_close(((openloop_ctx *)r->ctx)->box); }

const bn_scenario bn_sc_openloop = {
	.name = "openloop",
	.ctx_size = sizeof(openloop_ctx),
	.setup = openloop_setup,
	.body = openloop_body,
	.finish = openloop_finish,
	.cancel = openloop_cancel,
};
