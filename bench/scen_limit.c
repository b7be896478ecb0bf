/* scen_limit.c: limit probes, the floor a mailbox round trip is measured
 * against: limit/probe/spin (two threads bounce one cache line by spinning)
 * and limit/probe/futex (futex wait/wake ping-pong, no spinning), on two
 * different CPUs when the process may use two. Latency per round trip. */
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>

#include "bench.h"

#define STOP_WORD UINT32_MAX /* futex probe: never a round-trip value in practice */

typedef struct limit_ctx {
	_Alignas(MBX_CACHELINE) _Atomic uint64_t line; /* spin probe: odd = ping, even = pong */
	_Alignas(MBX_CACHELINE) _Atomic uint32_t word; /* futex probe: the same, 32 bits */
	_Alignas(MBX_CACHELINE) _Atomic int stop;
	bn_crew crew;
} limit_ctx;

/* Spins until *p == want (true) or *stop (false). The spin is what the probe
 * measures; after a long while it yields, so an oversubscribed or unpinned
 * run crawls instead of burning whole timeslices. */
static bool spin_until(_Atomic uint64_t *p, uint64_t want, _Atomic int *stop)
{
	for (uint32_t i = 0;; i++) {
		/* acquire: pairs with the other side's release store of the line */
		if (atomic_load_explicit(p, memory_order_acquire) == want)
			return true;
		/* relaxed: stop carries no data, it only ends the loop */
		if (stop && atomic_load_explicit(stop, memory_order_relaxed))
			return false;
		if (i < (1u << 16))
			mbx_cpu_relax();
		else
			sched_yield();
	}
}

/* Waits in the kernel until *w == want (true) or stop (false): no spin. */
static bool futex_until(_Atomic uint32_t *w, uint32_t want, _Atomic int *stop)
{
	for (;;) {
		/* acquire: pairs with the other side's release store of the word */
		uint32_t v = atomic_load_explicit(w, memory_order_acquire);
		if (v == want)
			return true;
		/* relaxed: stop carries no data; the word's change wakes us */
		if (stop && atomic_load_explicit(stop, memory_order_relaxed))
			return false;
		mbx_futex_wait(w, v, -1); /* sleeps only while *w == v */
	}
}

static void partner(bn_run *r, uint32_t idx, int64_t quota)
{
	(void)idx;
	(void)quota;
	limit_ctx *x = r->ctx;
	for (uint64_t k = 0;; k++) {
		if (r->c->limit.probe == BN_PROBE_SPIN) {
			if (!spin_until(&x->line, 2 * k + 1, &x->stop))
				return;
			/* release: pairs with the main thread's acquire in spin_until */
			atomic_store_explicit(&x->line, 2 * k + 2, memory_order_release);
		} else {
			if (!futex_until(&x->word, (uint32_t)(2 * k + 1), &x->stop))
				return;
			/* release: pairs with the main thread's acquire in futex_until */
			atomic_store_explicit(&x->word, (uint32_t)(2 * k + 2), memory_order_release);
			mbx_futex_wake(&x->word, 1);
		}
	}
}

static void limit_setup(bn_run *r)
{
	limit_ctx *x = r->ctx;
	int cpus[1] = {-1};
	atomic_init(&x->line, 0);
	atomic_init(&x->word, 0);
	atomic_init(&x->stop, 0);
	r->threads = 2;
	if (bn_nproc() >= 2 && bn_pin_self(bn_cpu(0)) == 0) {
		cpus[0] = bn_cpu(1);
		snprintf(r->label, sizeof r->label, "cpus %d,%d", bn_cpu(0), bn_cpu(1));
	} else {
		snprintf(r->label, sizeof r->label, "unpinned");
	}
	if (bn_crew_start(&x->crew, r, 1, partner, cpus))
		bn_crew_go(&x->crew);
}

static void limit_body(bn_run *r)
{
	limit_ctx *x = r->ctx;
	for (int64_t i = 0; i < r->n; i++) {
		bool ok;
		if (r->c->limit.probe == BN_PROBE_SPIN) {
			/* release/acquire: pair with the partner's acquire/release */
			atomic_store_explicit(&x->line, (uint64_t)(2 * i + 1), memory_order_release);
			ok = spin_until(&x->line, (uint64_t)(2 * i + 2), &x->stop);
		} else {
			atomic_store_explicit(&x->word, (uint32_t)(2 * i + 1), memory_order_release);
			mbx_futex_wake(&x->word, 1);
			ok = futex_until(&x->word, (uint32_t)(2 * i + 2), &x->stop);
		}
		if (!ok)
			return; /* stopped by the watchdog, which has recorded why */
		bn_lap(r);
	}
}

/* Stops both sides (finish, or the watchdog while body runs). */
static void limit_cancel(bn_run *r)
{
	limit_ctx *x = r->ctx;
	/* relaxed: stop is only a flag; the word change below wakes a sleeper */
	atomic_store_explicit(&x->stop, 1, memory_order_relaxed);
	/* release: the partner's acquire load sees a value it does not wait
	 * for and then reads stop */
	atomic_store_explicit(&x->word, STOP_WORD, memory_order_release);
	mbx_futex_wake(&x->word, INT_MAX);
}

static void limit_finish(bn_run *r)
{
	limit_cancel(r);
	bn_crew_join(&((limit_ctx *)r->ctx)->crew);
}

const bn_scenario bn_sc_limit = {
	.name = "limit",
	.ctx_size = sizeof(limit_ctx),
	.setup = limit_setup,
	.body = limit_body,
	.finish = limit_finish,
	.cancel = limit_cancel,
};
