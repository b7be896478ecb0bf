/* rwlock: the C counterpart of Rust's RwLock<T>: one pthread rwlock per
 * object (per account, counter, kv table; objects in locked.h). balance,
 * counter get, kv get and dump take the read lock and run in parallel; every
 * update takes the write lock; transfer write-locks both accounts in global
 * order (lower index first).
 *
 * Preference: WRITER (PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP). glibc's
 * default prefers readers: while any reader holds the lock new readers keep
 * entering, so with several reader threads on 2 cores a writer (transfer,
 * set, add) can wait without bound and write throughput collapses in mixed
 * benchmarks. Writer preference blocks new readers once a writer waits, which
 * is also what Rust's std RwLock does on Linux. Its cost: a steady stream of
 * writers can starve readers instead, and a thread must never take a read
 * lock it already holds (it would queue behind the waiting writer: deadlock).
 * Nothing here nests a read lock: dump calls `fn` after unlocking, and total()
 * holds one account's read lock at a time.
 * What it is NOT: cheaper than a mutex when updates dominate (a rwlock's
 * lock word is heavier), fair, or non-blocking (contended waiters sleep). */
#include "locked.h"

static void rw_init(wl_i_lock *l)
{
	pthread_rwlockattr_t a;
	CHECK_EQ(pthread_rwlockattr_init(&a), 0);
	CHECK_EQ(pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP), 0);
	CHECK_EQ(pthread_rwlock_init(&l->rwlock, &a), 0);
	CHECK_EQ(pthread_rwlockattr_destroy(&a), 0);
}

static void rw_destroy(wl_i_lock *l) { CHECK_EQ(pthread_rwlock_destroy(&l->rwlock), 0); }
static void rw_wrlock(wl_i_lock *l) { CHECK_EQ(pthread_rwlock_wrlock(&l->rwlock), 0); }
static void rw_rdlock(wl_i_lock *l) { CHECK_EQ(pthread_rwlock_rdlock(&l->rwlock), 0); }
static void rw_unlock(wl_i_lock *l) { CHECK_EQ(pthread_rwlock_unlock(&l->rwlock), 0); }

static const wl_i_lockops rw_lockops = {
	.init = rw_init,
	.destroy = rw_destroy,
	.lock = rw_wrlock,
	.rdlock = rw_rdlock,
	.unlock = rw_unlock,
};

WL_I_LOCKED_BACKEND(rwlock, &rw_lockops,
                    "writer-preferring pthread rwlock per account / counter / kv table; reads share");
