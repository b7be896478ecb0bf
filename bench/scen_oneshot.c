/* scen_oneshot.c: the reply-slot primitive behind act_ask, measured alone.
 *   oneshot/probe/slot:futex         the shipped slot (runtimes/actor/reply.h):
 *                                    spin, announce SLEEPING, futex wait; the
 *                                    completer wakes only a sleeper; each side
 *                                    takes its slot from its thread's cache
 *   oneshot/probe/slot:condvar       mutex + condvar: lock, flag, signal
 *   oneshot/probe/slot:condvar_spin  spin 256 on the flag, then the condvar
 * Two threads bounce two one-shot hand-offs (request, reply); time per round
 * trip. This is the measurement behind the choice of the futex slot. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <string.h>

#include "bench.h"
#include "reply.h"

enum { OS_FUTEX = BN_SLOT_FUTEX, OS_CONDVAR = BN_SLOT_CONDVAR, OS_CONDVAR_SPIN = BN_SLOT_CONDVAR_SPIN };
enum { W = 0, DONE = 1 };
#define OS_SPIN 256
#define OS_NAP_NS 10000000 /* the shipped slot's nap for a thread outside a pool */

/* ---- the condvar kinds, for comparison (hand-written here) ---- */
typedef struct oneshot {
	_Atomic uint32_t state; /* the flag */
	pthread_mutex_t mu;
	pthread_cond_t cv;
} oneshot;

static void os_init(oneshot *o)
{
	atomic_init(&o->state, W);
	pthread_mutex_init(&o->mu, NULL);
	pthread_cond_init(&o->cv, NULL);
}

static void os_destroy(oneshot *o)
{
	pthread_mutex_destroy(&o->mu);
	pthread_cond_destroy(&o->cv);
}

static void os_complete(oneshot *o)
{
	pthread_mutex_lock(&o->mu);
	atomic_store_explicit(&o->state, DONE, memory_order_release); /* pairs with the spinning acquire load */
	pthread_cond_signal(&o->cv);
	pthread_mutex_unlock(&o->mu);
}

/* Waits for DONE, then re-arms the slot for the next round (only the waiter
 * resets it, after the completer is done with it). */
static void os_wait(int kind, oneshot *o)
{
	if (kind == OS_CONDVAR_SPIN) {
		for (int i = 0; i < OS_SPIN; i++) {
			/* acquire: pairs with the completer's release */
			if (atomic_load_explicit(&o->state, memory_order_acquire) == DONE)
				goto done;
			mbx_cpu_relax();
		}
	}
	pthread_mutex_lock(&o->mu);
	while (atomic_load_explicit(&o->state, memory_order_relaxed) != DONE) /* under mu */
		pthread_cond_wait(&o->cv, &o->mu);
	pthread_mutex_unlock(&o->mu);
done:
	atomic_store_explicit(&o->state, W, memory_order_relaxed); /* next round's complete happens after our next signal */
}

/* ---- the shipped slot: each side answers the other's slot and names,
 * in the answer, the slot it will wait on next (as an ask carries its
 * slot in the request), taking it from its thread's cache like act_ask ---- */
static struct mbx_reply *slot_wait(struct mbx_reply *s, bn_run *r)
{
	mbx_msg got = {0};
	if (reply_i_wait(s, INT64_MAX, OS_NAP_NS, NULL, NULL) != 0 || reply_i_result(s, &got) != 0)
		bn_fail(r, "reply slot: no answer");
	reply_i_put_back(s);
	return (struct mbx_reply *)(uintptr_t)got.a;
}

static struct mbx_reply *slot_get(bn_run *r)
{
	struct mbx_reply *s = reply_i_get();
	if (!s)
		bn_fail(r, "reply_i_get: out of memory");
	return s;
}

typedef struct os_ctx {
	oneshot req, rep;
	struct mbx_reply *first; /* the server's first slot */
	pthread_t server;
	bool started;
	int64_t n;
	bn_run *r;
} os_ctx;

static void *os_server(void *p)
{
	os_ctx *x = p;
	int kind = x->r->c->oneshot.slot;
	struct mbx_reply *q = x->first;
	for (int64_t i = 0; i < x->n; i++) {
		if (kind == OS_FUTEX) {
			struct mbx_reply *back = slot_wait(q, x->r);
			q = i + 1 < x->n ? slot_get(x->r) : NULL;
			reply_i_complete(back, 0, (uintptr_t)q, 0);
		} else {
			os_wait(kind, &x->req);
			os_complete(&x->rep);
		}
	}
	return NULL;
}

static void os_setup(bn_run *r)
{
	os_ctx *x = r->ctx;
	r->threads = 2;
	x->r = r;
	x->n = r->n;
	os_init(&x->req);
	os_init(&x->rep);
	if (r->c->oneshot.slot == OS_FUTEX && r->n > 0 && !(x->first = slot_get(r)))
		return;
	int e = pthread_create(&x->server, NULL, os_server, x);
	if (e)
		bn_fail(r, "pthread_create: %s", strerror(e));
	else
		x->started = true;
}

static void os_body(bn_run *r)
{
	os_ctx *x = r->ctx;
	int kind = r->c->oneshot.slot;
	if (!x->started)
		return;
	struct mbx_reply *q = x->first;
	for (int64_t i = 0; i < r->n; i++) {
		if (kind == OS_FUTEX) {
			struct mbx_reply *mine = slot_get(r);
			reply_i_complete(q, 0, (uintptr_t)mine, 0);
			q = slot_wait(mine, r);
		} else {
			os_complete(&x->req);
			os_wait(kind, &x->rep);
		}
		bn_lap(r);
	}
}

static void os_finish(bn_run *r)
{
	os_ctx *x = r->ctx;
	if (x->started)
		pthread_join(x->server, NULL);
	os_destroy(&x->req);
	os_destroy(&x->rep);
}

const bn_scenario bn_sc_oneshot = {
	.name = "oneshot",
	.ctx_size = sizeof(os_ctx),
	.setup = os_setup,
	.body = os_body,
	.finish = os_finish,
};
