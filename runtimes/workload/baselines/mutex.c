/* mutex: the C counterpart of Rust's Arc<Mutex<T>>: one default (NORMAL)
 * pthread mutex per object: per bank account, one for the counter, one for
 * the whole kv table. The objects themselves are locked.h; the bank transfer
 * takes both account locks in global order (lower index first).
 * What it is NOT:
 *  - not fair: glibc lets an unlocking thread re-take the lock before a woken
 *    waiter runs (barging), so one thread can win many times in a row;
 *  - blocking: a contended lock sleeps in the kernel (futex) at once. Rust's
 *    std Mutex spins ~100 times first; PTHREAD_MUTEX_ADAPTIVE_NP would be
 *    closer to that, but the default mutex is what a C baseline would use;
 *  - no reader parallelism: balance / get / dump exclude each other too
 *    (that is rwlock's job), and the kv table is one lock for all keys. */
#include "locked.h"

static void mutex_init(wl_i_lock *l) { CHECK_EQ(pthread_mutex_init(&l->mutex, NULL), 0); }
static void mutex_destroy(wl_i_lock *l) { CHECK_EQ(pthread_mutex_destroy(&l->mutex), 0); }
static void mutex_lock(wl_i_lock *l) { CHECK_EQ(pthread_mutex_lock(&l->mutex), 0); }
static void mutex_unlock(wl_i_lock *l) { CHECK_EQ(pthread_mutex_unlock(&l->mutex), 0); }

/* Not static: mutants 7 and 8 (locked.h, wl_i_bank_transfer) compare L
 * against it, so they fire for this backend only. */
const wl_i_lockops wl_i_mutex_lockops = {
	.init = mutex_init,
	.destroy = mutex_destroy,
	.lock = mutex_lock,
	.rdlock = mutex_lock, /* no shared mode */
	.unlock = mutex_unlock,
};

WL_I_LOCKED_BACKEND(mutex, &wl_i_mutex_lockops,
                    "pthread mutex per account / counter / kv table; transfer locks both in index order");
