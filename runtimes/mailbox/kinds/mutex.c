/* mutex: pthread mutex + two condition variables around a ring of messages.
 * The honest baseline. What it does NOT optimise, on purpose:
 *  - every push and pop takes the one lock, so producers and the consumer
 *    serialise on it and its cache line bounces between all of them;
 *  - no spinning: an empty consumer sleeps in the kernel at once (pthread
 *    condvar), and a signal is sent on every push that finds a waiter;
 *  - unbounded mode grows the ring by doubling under the lock (realloc), so
 *    a growth step stalls every producer for the copy.
 * What it gets for free: every operation, close included, is linearizable
 * (MBX_CAP_EXACT_CLOSE), and helgrind/DRD understand it. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "mailbox.h"
#include "mbx_sync.h"

typedef struct mutex_mbx {
	mbx base;
	pthread_mutex_t lock;
	pthread_cond_t not_empty; /* consumer waits here */
	pthread_cond_t not_full;  /* producers wait here (bounded) */
	mbx_msg *buf;
	size_t size;        /* allocated slots */
	size_t head, count; /* ring position of the oldest, number queued */
	unsigned consumer_waiting, producers_waiting;
	bool closed;
} mutex_mbx;

static size_t mutex_size(const mbx_config *cfg);
static int mutex_init(mbx *m, const mbx_config *cfg);

static bool is_bounded(const mutex_mbx *q) { return q->base.capacity != MBX_UNBOUNDED; }

static void mutex_fini(mbx *m)
{
	mutex_mbx *q = (mutex_mbx *)m;
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->not_empty);
	pthread_cond_destroy(&q->not_full);
	free(q->buf);
}

static int grow(mutex_mbx *q)
{
	size_t nsize = q->size * 2;
	mbx_msg *nb = malloc(nsize * sizeof *nb);
	if (!nb)
		return ENOMEM;
	for (size_t i = 0; i < q->count; i++)
		nb[i] = q->buf[(q->head + i) % q->size];
	free(q->buf);
	q->buf = nb;
	q->size = nsize;
	q->head = 0;
	return 0;
}

/* Caller holds the lock and has checked there is room. */
static mbx_status put_locked(mutex_mbx *q, const mbx_msg *msg, bool *was_empty)
{
	if (q->count == q->size && grow(q) != 0)
		return MBX_NOMEM;
	if (MBX_MUTANT(6)) { /* mutant 6: count and signal first, write the slot after unlocking */
		mbx_msg *slot = &q->buf[(q->head + q->count) % q->size];
		q->count++;
		pthread_cond_signal(&q->not_empty);
		pthread_mutex_unlock(&q->lock);
		sched_yield();
		*slot = *msg;
		pthread_mutex_lock(&q->lock);
		return MBX_OK;
	}
	if (MBX_MUTANT(26)) { /* mutant 26: one send (no reply slot) in 64 is lost, answered OK */
		static _Atomic unsigned sends; /* all mailboxes: each under its own lock */
		if (!msg->reply && atomic_fetch_add(&sends, 1) % 64 == 63)
			return MBX_OK;
	}
	q->buf[(q->head + q->count) % q->size] = *msg;
	q->count++;
	if (was_empty)
		*was_empty = q->count == 1;
	if (q->consumer_waiting)
		pthread_cond_signal(&q->not_empty);
	return MBX_OK;
}

static void take_locked(mutex_mbx *q, mbx_msg *out)
{
	*out = q->buf[q->head];
	if (MBX_MUTANT(27)) { /* mutant 27: one message in 64 comes out with a wrong payload */
		static _Atomic unsigned pops;
		if (atomic_fetch_add(&pops, 1) % 64 == 63)
			out->a ^= 1;
	}
	q->head = (q->head + 1) % q->size;
	q->count--;
	if (q->producers_waiting)
		pthread_cond_signal(&q->not_full);
}

static mbx_status mutex_push_impl(mbx *m, const mbx_msg *msg, bool *was_empty, bool block)
{
	mutex_mbx *q = (mutex_mbx *)m;
	mbx_status st;
	size_t seen = 1;
	if (MBX_MUTANT(16)) { /* mutant 16: was_empty from a count read before this push's lock */
		pthread_mutex_lock(&q->lock);
		seen = q->count;
		pthread_mutex_unlock(&q->lock);
		sched_yield();
	}
	pthread_mutex_lock(&q->lock);
	for (;;) {
		if (q->closed) {
			st = MBX_CLOSED;
			break;
		}
		if (!is_bounded(q) || q->count < q->base.capacity) {
			st = put_locked(q, msg, was_empty);
			if (MBX_MUTANT(16) && was_empty)
				*was_empty = seen == 0;
			break;
		}
		if (!block) {
			st = MBX_FULL;
			break;
		}
		q->producers_waiting++;
		pthread_cond_wait(&q->not_full, &q->lock);
		q->producers_waiting--;
	}
	pthread_mutex_unlock(&q->lock);
	return st;
}

static mbx_status mutex_push(mbx *m, const mbx_msg *msg, bool *was_empty)
{
	return mutex_push_impl(m, msg, was_empty, true);
}

static mbx_status mutex_try_push(mbx *m, const mbx_msg *msg, bool *was_empty)
{
	return mutex_push_impl(m, msg, was_empty, false);
}

/* deadline_ns: -1 = forever, 0 = do not wait, else absolute CLOCK_MONOTONIC. */
static mbx_status mutex_pop_until(mbx *m, mbx_msg *out, int64_t deadline_ns)
{
	mutex_mbx *q = (mutex_mbx *)m;
	mbx_status st;
	pthread_mutex_lock(&q->lock);
	for (;;) {
		if (q->count) {
			take_locked(q, out);
			st = MBX_OK;
			break;
		}
		if (q->closed) {
			st = MBX_CLOSED;
			break;
		}
		if (deadline_ns == 0) {
			st = MBX_EMPTY;
			break;
		}
		q->consumer_waiting++;
		if (deadline_ns < 0) {
			pthread_cond_wait(&q->not_empty, &q->lock);
		} else {
			struct timespec ts = {.tv_sec = deadline_ns / 1000000000,
			                      .tv_nsec = deadline_ns % 1000000000};
			int r = pthread_cond_timedwait(&q->not_empty, &q->lock, &ts);
			if (r == ETIMEDOUT && q->count == 0 && !q->closed) {
				q->consumer_waiting--;
				st = MBX_TIMEOUT;
				break;
			}
		}
		q->consumer_waiting--;
	}
	pthread_mutex_unlock(&q->lock);
	return st;
}

static mbx_status mutex_pop(mbx *m, mbx_msg *out) { return mutex_pop_until(m, out, -1); }
static mbx_status mutex_try_pop(mbx *m, mbx_msg *out) { return mutex_pop_until(m, out, 0); }
static mbx_status mutex_pop_timeout(mbx *m, mbx_msg *out, int64_t ns)
{
	return mutex_pop_until(m, out, mbx_deadline_ns(ns));
}

static void mutex_close(mbx *m)
{
	mutex_mbx *q = (mutex_mbx *)m;
	pthread_mutex_lock(&q->lock);
	q->closed = true;
	pthread_cond_broadcast(&q->not_empty);
	pthread_cond_broadcast(&q->not_full);
	pthread_mutex_unlock(&q->lock);
}

static size_t mutex_len(mbx *m)
{
	mutex_mbx *q = (mutex_mbx *)m;
	pthread_mutex_lock(&q->lock);
	size_t n = q->count;
	pthread_mutex_unlock(&q->lock);
	return n;
}

const mbx_ops mbx_mutex_ops = {
	.name = "mutex",
	.summary = "pthread mutex + condvars around a ring; optional capacity (baseline)",
	.caps = MBX_CAP_BOUNDED | MBX_CAP_UNBOUNDED | MBX_CAP_BLOCKING | MBX_CAP_EXACT_CLOSE,
	.default_capacity = 1024,
	.default_spin = 0,
	MBX_INPLACE(mutex),
	.push = mutex_push,
	.try_push = mutex_try_push,
	.pop = mutex_pop,
	.try_pop = mutex_try_pop,
	.pop_timeout = mutex_pop_timeout,
	.close = mutex_close,
	.len = mutex_len,
};

/* The ring is a separate buffer: unbounded mode grows it (realloc). */
static size_t mutex_size(const mbx_config *cfg)
{
	mbx h;
	return mbx_i_init(&h, &mbx_mutex_ops, cfg) ? 0 : mbx_i_lines(sizeof(mutex_mbx));
}

static int mutex_init(mbx *m, const mbx_config *cfg)
{
	mutex_mbx *q = (mutex_mbx *)m;
	memset(q, 0, sizeof *q);
	int err = mbx_i_init(&q->base, &mbx_mutex_ops, cfg);
	if (err)
		return err;
	q->size = is_bounded(q) ? q->base.capacity : 64;
	q->buf = malloc(q->size * sizeof *q->buf);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (!q->buf || pthread_mutex_init(&q->lock, NULL) || pthread_cond_init(&q->not_empty, &ca) ||
	    pthread_cond_init(&q->not_full, &ca)) {
		pthread_condattr_destroy(&ca);
		free(q->buf);
		return ENOMEM;
	}
	pthread_condattr_destroy(&ca);
	return 0;
}
