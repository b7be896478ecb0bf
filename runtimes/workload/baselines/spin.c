/* spin: a test-and-test-and-set spinlock with exponential backoff, in C11
 * atomics, one per object (per account, counter, kv table; objects in
 * locked.h, each lock and its data on one cache line).
 *
 * Why the sched_yield() fallback: this machine has 2 cores, so every run with
 * more than 2 threads is oversubscribed. A waiter cannot make a preempted
 * holder run; it can only burn the rest of its timeslice (milliseconds) while
 * the holder waits for a core. Pure spinning collapses there, and worse the
 * longer the critical section (in a quick 8-16-thread counter run here, pure
 * TTAS was several-fold slower than with this fallback). So a waiter spins
 * for a bounded budget (a critical section here is tens of nanoseconds; a
 * holder still running releases within that) and then yields its core on
 * every further attempt.
 * What it is NOT: fair (no queue: any waiter may win, a waiter may starve),
 * a sleeping lock (a waiter never parks; past the budget it yield-polls),
 * reader-parallel (rdlock == lock), or priority-aware. */
#include <sched.h>

#include "locked.h"

enum {
	SPIN_BACKOFF_MIN = 4,   /* pause instructions after the first failed test */
	SPIN_BACKOFF_MAX = 128, /* doubling stops here */
	SPIN_BUDGET = 1024,     /* pauses per lock() before it falls back to sched_yield() */
};
_Static_assert(sizeof(wl_i_account) == MBX_CACHELINE && _Alignof(wl_i_account) == MBX_CACHELINE,
               "each spinlock and its account on one cache line");
_Static_assert(sizeof(wl_i_counter) == MBX_CACHELINE, "the counter's lock and value on one line");

typedef struct spin_wait {
	uint32_t backoff, spent;
} spin_wait;

static void spin_pause(spin_wait *w)
{
	if (w->spent >= SPIN_BUDGET) {
		sched_yield(); /* the holder is probably preempted: give it our core */
		return;
	}
	for (uint32_t i = 0; i < w->backoff; i++)
		mbx_cpu_relax();
	w->spent += w->backoff;
	if (w->backoff < SPIN_BACKOFF_MAX)
		w->backoff *= 2;
}

static void spin_lock(wl_i_lock *l)
{
	_Atomic uint32_t *held = &l->spin.held;
	spin_wait w = {SPIN_BACKOFF_MIN, 0};
	for (;;) {
		/* test: read-only polling keeps the line shared in our cache
		 * until the holder's release store invalidates it. relaxed: it
		 * only decides whether to try; the CAS below does the acquiring. */
		while (atomic_load_explicit(held, memory_order_relaxed) != 0)
			spin_pause(&w);
		/* test-and-set. acquire on success: pairs with the release store
		 * in spin_unlock, so the previous holder's critical section
		 * happens-before ours. relaxed on failure: we read nothing. */
		uint32_t expected = 0;
		if (atomic_compare_exchange_weak_explicit(held, &expected, 1, memory_order_acquire,
		                                          memory_order_relaxed))
			return;
		spin_pause(&w); /* lost the race: back off before polling again */
	}
}

static void spin_unlock(wl_i_lock *l)
{
	/* release: pairs with the acquire CAS in spin_lock (publishes our
	 * critical section to the next holder). */
	atomic_store_explicit(&l->spin.held, 0, memory_order_release);
}

static void spin_init(wl_i_lock *l) { atomic_init(&l->spin.held, 0); }

static void spin_destroy(wl_i_lock *l)
{
	/* relaxed: destroy runs at quiescence, after the caller's join; pairs
	 * with nothing. A held lock here is a caller bug. */
	CHECK_EQ(atomic_load_explicit(&l->spin.held, memory_order_relaxed), 0);
}

static const wl_i_lockops spin_lockops = {
	.init = spin_init,
	.destroy = spin_destroy,
	.lock = spin_lock,
	.rdlock = spin_lock, /* no shared mode */
	.unlock = spin_unlock,
};

WL_I_LOCKED_BACKEND(spin, &spin_lockops,
                    "TTAS spinlock, exponential backoff, then sched_yield; per account / counter / kv");
