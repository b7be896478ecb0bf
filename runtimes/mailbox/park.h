/* park.h: spin-then-park for the project's own mailboxes (futex_ring, vyukov).
 * An eventcount: a waiter spins on its condition (an adaptive budget), then
 * arms the `armed` word, re-checks, and sleeps on the 32-bit futex word `seq`;
 * a waker that has published with a seq_cst operation pays for a syscall
 * only when it finds the park armed, and then wakes every sleeper at once.
 * Internal (mbx_i_*). */
#ifndef MAILROOM_PARK_H
#define MAILROOM_PARK_H

#include <limits.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "mbx_sync.h"
#include "mc_hooks.h"

/* Both words change only around a sleep, so a mailbox keeps its mbx_i_park on
 * a line of its own: wakers read `armed` on every publish, and that read then
 * hits a clean line shared by everyone. */
typedef struct mbx_i_park {
	/* 1: somebody may be asleep (or about to sleep) on seq. Set by every
	 * waiter before its re-check; the waker that exchanges it back to 0 owns
	 * the wake. A count would let one wake-up be charged to the wrong waiter;
	 * a flag consumed with wake-all cannot. */
	_Atomic uint32_t armed;
	_Atomic uint32_t seq; /* the futex word: bumped by the waker that owns a wake */
} mbx_i_park;

static inline void mbx_i_park_init(mbx_i_park *p)
{
	atomic_init(&p->armed, 0);
	atomic_init(&p->seq, 0);
}

/* The condition a waiter waits for. It must read, with seq_cst loads, the
 * very words the waker publishes with seq_cst operations (that is the other
 * half of the Dekker pairing below), and have no side effects. */
typedef bool (*mbx_i_park_ready_fn)(void *ctx);

/* ---------------------------------------------------------------------------
 * MODEL: verify/model/park.pml models lines 140-162 (waiter, mbx_i_park_wait,
 * the loop after the spin phase) and lines 170-176 (waker, mbx_i_park_wake) of
 * this file. Steps, as named in the model and in the comments below:
 *   waiter  W1 s = seq                          (line 141)
 *           W2 armed = 1                        (line 144)  announce
 *           W3 ok = ready(); if ok: [disarm], return (lines 147-155)  re-check
 *           W4 futex_wait(&seq, s)              (line 156)  sleeps only while seq == s
 *           W5 if ready(): [disarm], return     (lines 157-161); else back to W1
 *   waker   P  publish (the caller, seq_cst, before the call)
 *           K1 if armed == 0: return            (line 170)
 *           K2 if xchg(armed, 0) == 0: return   (line 172)  another waker owns it
 *           K3 seq += 1                         (line 175)
 *           K4 futex_wake(&seq, all)            (line 176)
 * Dekker pairing: P and W2 are seq_cst writes, K1 and the re-check W3 are
 * seq_cst reads. In the single total order S either K1 precedes W2, and then
 * P precedes W3: the re-check sees the publication and the waiter does not
 * sleep; or W2 precedes K1, and then K1/K2 read W2's 1 or a 0 written by a
 * later K2 of another waker; either way some waker's K2 consumed W2 after it
 * and does K3 after that, so K3 follows W1 in S, the waiter's W4 cannot sleep
 * on the old seq (the kernel compares seq with s atomically), and K4 wakes it
 * if it is already in the kernel. Hence no lost wake-up, and no syscall and
 * no RMW on the waker side while the park is not armed.
 * Disarm ([disarm] above): only an exclusive waiter (the one consumer) may
 * clear `armed` on its way out: with several waiters, another one may have
 * armed it and be asleep. Non-exclusive exits leave it armed; the next waker
 * then pays one useless bump and wake, which is harmless.
 * ------------------------------------------------------------------------- */

/* Adaptive spin budget (the consumer keeps one in its own fields, the
 * producers of a ring share one). Spinning pays only while the other side
 * runs on another core and answers before the budget runs out; when the two
 * share a core (the scheduler often puts a woken thread on its waker's core,
 * and a loaded machine does it all the time) every round is burnt in vain
 * before the park hands the CPU over. So: a spin that ends in a park halves
 * the budget (down to 0); one that succeeds doubles it (up to the configured
 * spin, mailbox.h). Halving alone could lock a cross-core pair into "both
 * park": once a budget is shorter than a futex hand-off (~7 us here), it
 * cannot succeed any more. So every MBX_I_SPIN_PROBE-th wait spins the full
 * budget, and a probe that succeeds restores it at once. On a shared core
 * that costs one full budget per MBX_I_SPIN_PROBE waits. */
#define MBX_I_SPIN_PROBE 16
typedef struct mbx_i_spin {
	/* relaxed everywhere: a heuristic, no data depends on it; racing
	 * producers may lose each other's updates, which only blurs it */
	_Atomic int32_t cur;
	_Atomic uint32_t waits;
} mbx_i_spin;

static inline void mbx_i_spin_init(mbx_i_spin *a, int32_t spin)
{
	atomic_init(&a->cur, spin);
	atomic_init(&a->waits, 0);
}

/* The budget for this wait. */
static inline int32_t mbx_i_spin_budget(mbx_i_spin *a, int32_t spin)
{
	uint32_t n = MC_LOAD(&a->waits, memory_order_relaxed);
	MC_STORE(&a->waits, n + 1, memory_order_relaxed);
	if (n % MBX_I_SPIN_PROBE == 0)
		return spin; /* probe */
	return MC_LOAD(&a->cur, memory_order_relaxed);
}

/* After a wait that spun up to `budget` rounds; ok: it ended inside them. */
static inline void mbx_i_spin_learn(mbx_i_spin *a, int32_t spin, int32_t budget, bool ok)
{
	int32_t cur = MC_LOAD(&a->cur, memory_order_relaxed), next;
	bool probe = budget == spin && cur < spin;
	if (ok)
		next = probe ? spin : cur < spin / 2 ? cur * 2 : spin;
	else
		next = probe ? cur : cur / 2; /* a failed probe teaches nothing new */
	if (next != cur)
		MC_STORE(&a->cur, next, memory_order_relaxed);
}

/* Waits until ready(ctx). spin: condition checks before arming (0 = park at
 * once). adapt: NULL, or the waiter's adaptive state (then `spin` is the
 * ceiling). exclusive: this park has a single waiter (see Disarm above).
 * deadline_ns: < 0 = no deadline, else absolute CLOCK_MONOTONIC.
 * Returns true when ready() held, false when the deadline passed first. */
static inline bool mbx_i_park_wait(mbx_i_park *p, int32_t spin, mbx_i_spin *adapt, bool exclusive,
                                   mbx_i_park_ready_fn ready, void *ctx, int64_t deadline_ns)
{
	int32_t budget = adapt ? mbx_i_spin_budget(adapt, spin) : spin;
	for (int32_t i = 0; i < budget; i++) {
		if (ready(ctx)) {
			if (adapt)
				mbx_i_spin_learn(adapt, spin, budget, true);
			return true;
		}
		mbx_cpu_relax();
	}
	if (adapt)
		mbx_i_spin_learn(adapt, spin, budget, false);
	MBX_CHAOS(); /* after the last look, before announcing: a publish may land here */
	for (;;) {
		uint32_t s = MC_LOAD(&p->seq, memory_order_seq_cst); /* W1 */
		/* mutant 21 (verify/mc): W2 as a release store, a plain MOV on x86 that
		 * may sit in the store buffer during the re-check (lost wake-up) */
		MC_STORE(&p->armed, 1, MBX_MUTANT(21) ? memory_order_release : memory_order_seq_cst); /* W2 */
		MBX_CHAOS(); /* between announce and re-check */
		/* mutant 11 skips the re-check below and sleeps anyway */
		bool ok = !MBX_MUTANT(11) && ready(ctx);                          /* W3 */
		int64_t rel = -1;
		if (!ok && deadline_ns >= 0 && (rel = deadline_ns - mbx_now_ns()) <= 0)
			rel = 0; /* ready() was false just above: an honest timeout */
		if (ok || rel == 0) {
			if (exclusive)
				MC_STORE(&p->armed, 0, memory_order_seq_cst);
			return ok;
		}
		mbx_futex_wait(&p->seq, s, rel); /* W4; EAGAIN/EINTR/ETIMEDOUT: look again */
		if (ready(ctx)) {                 /* W5 */
			if (exclusive)
				MC_STORE(&p->armed, 0, memory_order_seq_cst);
			return true;
		}
	}
}

/* Wakes every sleeper. The caller has just published with a seq_cst
 * operation (P): a store, an exchange or a CAS that the waiters' ready()
 * reads with seq_cst. */
static inline void mbx_i_park_wake(mbx_i_park *p)
{
	if (MC_LOAD(&p->armed, memory_order_seq_cst) == 0) /* K1 */
		return;
	if (MC_XCHG(&p->armed, 0, memory_order_seq_cst) == 0) /* K2 */
		return;
	MBX_CHAOS(); /* before wake */
	MC_FETCH_ADD(&p->seq, 1, memory_order_seq_cst); /* K3 */
	mbx_futex_wake(&p->seq, INT_MAX);                            /* K4 */
}

/* For a consumer that found a producer between its claim (or exchange) and
 * its publish (or link): that producer is a few instructions away, unless it
 * was preempted. Spin a little, then yield the CPU so it can finish. Never
 * park here: the producer's wake may already have looked at `armed` (its P
 * was the claim, not the publish), so nobody would wake us. */
static inline void mbx_i_backoff(unsigned *round)
{
	if ((*round)++ < 32)
		mbx_cpu_relax();
	else
		MC_YIELD(); /* sched_yield() */
}

#endif
