/* scen_oneshot.c: the reply-slot primitive behind act_ask, measured alone.
 *   oneshot/probe/slot:futex         spin 256, announce SLEEPING, futex wait;
 *                                    the completer wakes only a sleeper
 *                                    (the protocol of actor.c's slot)
 *   oneshot/probe/slot:condvar       mutex + condvar: lock, flag, signal
 *   oneshot/probe/slot:condvar_spin  spin 256 on the flag, then the condvar
 * Two threads bounce two one-shot slots (request, reply); time per round
 * trip, i.e. two one-shot hand-offs. This is the measurement behind the
 * choice of the futex slot in actor.c. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <string.h>

#include "bench.h"

enum { OS_FUTEX = BN_SLOT_FUTEX, OS_CONDVAR = BN_SLOT_CONDVAR, OS_CONDVAR_SPIN = BN_SLOT_CONDVAR_SPIN };
enum { W = 0, DONE = 1, SLEEPING = 3 };
#define OS_SPIN 256

typedef struct oneshot {
	_Atomic uint32_t state; /* futex kinds; the flag for the condvar kinds */
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

static void os_complete(int kind, oneshot *o)
{
	if (kind == OS_FUTEX) {
		/* release: pairs with the waiter's acquire load; SLEEPING means a wake is owed */
		if (atomic_exchange_explicit(&o->state, DONE, memory_order_release) == SLEEPING)
			mbx_futex_wake(&o->state, 1);
		return;
	}
	pthread_mutex_lock(&o->mu);
	atomic_store_explicit(&o->state, DONE, memory_order_release); /* pairs with the spinning acquire load */
	pthread_cond_signal(&o->cv);
	pthread_mutex_unlock(&o->mu);
}

/* Waits for DONE, then re-arms the slot for the next round (only the waiter
 * resets it, after the completer is done with it). */
static void os_wait(int kind, oneshot *o)
{
	if (kind != OS_CONDVAR) {
		for (int i = 0; i < OS_SPIN; i++) {
			/* acquire: pairs with the completer's release */
			if (atomic_load_explicit(&o->state, memory_order_acquire) == DONE)
				goto done;
			mbx_cpu_relax();
		}
	}
	if (kind == OS_FUTEX) {
		uint32_t expect = W;
		/* relaxed: a DONE that beats it is read by the acquire load below */
		if (atomic_compare_exchange_strong_explicit(&o->state, &expect, SLEEPING, memory_order_relaxed,
		                                            memory_order_relaxed)) {
			while (atomic_load_explicit(&o->state, memory_order_acquire) == SLEEPING)
				mbx_futex_wait(&o->state, SLEEPING, -1);
		}
		while (atomic_load_explicit(&o->state, memory_order_acquire) != DONE) /* pairs with release */
			mbx_cpu_relax();
	} else {
		pthread_mutex_lock(&o->mu);
		while (atomic_load_explicit(&o->state, memory_order_relaxed) != DONE) /* under mu */
			pthread_cond_wait(&o->cv, &o->mu);
		pthread_mutex_unlock(&o->mu);
	}
done:
	atomic_store_explicit(&o->state, W, memory_order_relaxed); /* next round's complete happens after our next signal */
}

typedef struct os_ctx {
	oneshot req, rep;
	pthread_t server;
	bool started;
	int64_t n;
	bn_run *r;
} os_ctx;

static void *os_server(void *p)
{
	os_ctx *x = p;
	int kind = x->r->c->oneshot.slot;
	for (int64_t i = 0; i < x->n; i++) {
		os_wait(kind, &x->req);
		os_complete(kind, &x->rep);
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
	for (int64_t i = 0; i < r->n; i++) {
		os_complete(kind, &x->req);
		os_wait(kind, &x->rep);
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
