/* scen_openloop.c: openloop/<mailbox>/load:<pct>: latency under load, open
 * loop. One producer thread sends at a fixed arrival rate (message i is due
 * at t0 + i / rate, whatever happened to the earlier ones), the main thread
 * consumes; each message's latency runs from its INTENDED send time to its
 * receipt, so a producer held up by a full mailbox or a late wake-up is
 * charged to the mailbox instead of silently lowering the load (no
 * coordinated omission). Percentiles up to max, with their sample counts,
 * per mailbox kind at its default capacity.
 *
 * The rate is pct % of this mailbox's peak, measured in this process before
 * its first case: the same producer and consumer with every message due at
 * once (the same clock reads per message), the median of OL_PEAK_RUNS runs
 * of OL_PEAK_N messages. So load:90 is near saturation on every machine, as
 * a user sizing a system needs, where a fixed rate would be idle on one
 * machine and overloaded on another. Counters: peak_per_second and
 * offered_per_second (this process's calibration: runs in other processes,
 * e.g. scripts/bench's rounds, calibrate again); items_per_second is the
 * rate achieved (below the offered one when the kind cannot keep up). */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bench.h"

/* The producer sleeps until this long before a message is due, then spins
 * on the clock: a sleep overshoots by the timer slack (tens of us), which
 * would be charged to the mailbox. */
#define BN_PACE_SPIN_NS 80000

#define OL_PEAK_N 200000 /* messages per peak run */
#define OL_PEAK_RUNS 3

typedef struct openloop_ctx {
	mbx *box;
	bn_crew crew;
	int64_t t0;    /* the schedule's start, set by body before opening the gate */
	double period; /* ns between due times */
} openloop_ctx;

/* Sends quota messages, message i due at t0 + i * period (period 0: all at
 * once); answers the failing status, MBX_OK when all were sent. */
static mbx_status ol_send(mbx *box, int64_t t0, double period, int64_t quota, int64_t *sent)
{
	for (*sent = 0; *sent < quota; ++*sent) {
		int64_t i = *sent, due = t0 + (int64_t)((double)i * period), left;
		while ((left = due - mbx_now_ns()) > 0) {
			if (left <= BN_PACE_SPIN_NS)
				continue;
			left -= BN_PACE_SPIN_NS;
			struct timespec ts = {left / 1000000000, left % 1000000000};
			nanosleep(&ts, NULL);
		}
		mbx_msg m = {.tag = 1, .seq = (uint64_t)i, .a = (uint64_t)due, .b = bn_mix(0, (uint64_t)i)};
		mbx_status s = mbx_push(box, &m, NULL);
		if (s != MBX_OK)
			return s;
	}
	return MBX_OK;
}

/* Receives n messages in order; records each latency into hist (if any).
 * Answers NULL, or what went wrong (written to err). */
static const char *ol_receive(mbx *box, int64_t n, bn_hist *hist, char *err, size_t errlen)
{
	mbx_msg m;
	for (int64_t i = 0; i < n; i++) {
		mbx_status s = mbx_pop(box, &m);
		int64_t now = mbx_now_ns();
		if (s != MBX_OK) {
			snprintf(err, errlen, "consumer: pop answered %s after %" PRId64 " messages", mbx_status_name(s), i);
			return err;
		}
		if (m.seq != (uint64_t)i || m.b != bn_mix(0, m.seq)) {
			snprintf(err, errlen, "message %" PRId64 ": got seq %" PRIu64 ", payload %s", i, m.seq,
			         m.b == bn_mix(0, m.seq) ? "ok" : "wrong");
			return err;
		}
		/* a receipt before its due time would be a clock or payload bug */
		if (hist)
			bn_hist_record(hist, now > (int64_t)m.a ? (uint64_t)(now - (int64_t)m.a) : 0);
	}
	return NULL;
}

typedef struct ol_peak_run {
	mbx *box;
	int64_t t0, sent;
	mbx_status st;
} ol_peak_run;

static void *ol_peak_producer(void *arg)
{
	ol_peak_run *p = arg; /* t0 and box: written before pthread_create */
	p->st = ol_send(p->box, p->t0, 0, OL_PEAK_N, &p->sent);
	if (p->st != MBX_OK)
		mbx_close(p->box);
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* This mailbox kind's peak messages/s (cached per kind for the process);
 * 0 after a failure, recorded in r. */
static double ol_peak(bn_run *r)
{
	static struct {
		const mbx_ops *ops;
		double peak;
	} cache[32]; /* setup runs on the main thread only */
	size_t k = 0;
	while (k < sizeof cache / sizeof cache[0] && cache[k].ops && cache[k].ops != r->c->mbx)
		k++;
	if (k < sizeof cache / sizeof cache[0] && cache[k].ops)
		return cache[k].peak;
	double runs[OL_PEAK_RUNS];
	for (int i = 0; i < OL_PEAK_RUNS; i++) {
		ol_peak_run p = {.box = bn_mbx_create(r, r->c->mbx, 0, -1)};
		if (!p.box)
			return 0;
		pthread_t tid;
		p.t0 = mbx_now_ns();
		if (pthread_create(&tid, NULL, ol_peak_producer, &p) != 0) {
			bn_fail(r, "peak run: pthread_create failed");
			mbx_destroy(p.box);
			return 0;
		}
		char err[160];
		const char *bad = ol_receive(p.box, OL_PEAK_N, NULL, err, sizeof err);
		int64_t ns = mbx_now_ns() - p.t0;
		if (bad)
			mbx_close(p.box); /* a producer blocked on a full mailbox gets CLOSED */
		pthread_join(tid, NULL);
		mbx_destroy(p.box);
		if (bad || p.st != MBX_OK) {
			bn_fail(r, "peak run: %s", bad ? bad : "producer's push failed");
			return 0;
		}
		runs[i] = (double)OL_PEAK_N * 1e9 / (double)(ns > 0 ? ns : 1);
	}
	qsort(runs, OL_PEAK_RUNS, sizeof runs[0], cmp_double);
	if (k < sizeof cache / sizeof cache[0])
		cache[k].ops = r->c->mbx, cache[k].peak = runs[OL_PEAK_RUNS / 2];
	return runs[OL_PEAK_RUNS / 2];
}

static void openloop_producer(bn_run *r, uint32_t idx, int64_t quota)
{
	(void)idx;
	openloop_ctx *x = r->ctx;
	int64_t sent;
	mbx_status s = ol_send(x->box, x->t0, x->period, quota, &sent);
	if (s != MBX_OK) {
		bn_fail(r, "producer: push %" PRId64 " answered %s", sent, mbx_status_name(s));
		mbx_close(x->box); /* the consumer would wait for it forever */
	}
}

static void openloop_setup(bn_run *r)
{
	openloop_ctx *x = r->ctx;
	r->threads = 2;
	double peak = ol_peak(r);
	if (peak <= 0)
		return;
	double rate = peak * r->c->openloop.load_pct / 100.0;
	x->period = 1e9 / rate;
	bn_set_counter(r, "peak_per_second", peak);
	bn_set_counter(r, "offered_per_second", rate);
	snprintf(r->label, sizeof r->label, "offered %.3g/s = %" PRIu32 "%% of peak %.3g/s", rate,
	         r->c->openloop.load_pct, peak);
	x->box = bn_mbx_create(r, r->c->mbx, 0, -1);
	if (x->box)
		bn_crew_start(&x->crew, r, 1, openloop_producer, NULL);
}

static void openloop_body(bn_run *r)
{
	openloop_ctx *x = r->ctx;
	x->t0 = mbx_now_ns() + 1000; /* published to the producer by the gate's mutex */
	bn_crew_go(&x->crew);
	char err[160];
	if (ol_receive(x->box, r->n, r->hist, err, sizeof err))
		bn_fail(r, "%s", err);
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

static void openloop_cancel(bn_run *r)
{
	openloop_ctx *x = r->ctx;
	if (x->box)
		mbx_close(x->box);
}

const bn_scenario bn_sc_openloop = {
	.name = "openloop",
	.ctx_size = sizeof(openloop_ctx),
	.setup = openloop_setup,
	.body = openloop_body,
	.finish = openloop_finish,
	.cancel = openloop_cancel,
};
