/* locked.h: bank, counter and kv "state behind a lock", written once for the
 * mutex, rwlock and spin baselines (internal). A backend supplies a lock
 * vtable; WL_I_LOCKED_BACKEND(name, L, summary) instantiates the three ops
 * structs and the backend entry with L a compile-time constant, so at -O2
 * the lock calls are direct and the vtable costs nothing on the hot path.
 *
 * What is locked:
 *   bank     one lock per account, each account on its own cache line.
 *            deposit / withdraw / balance take that account's lock (balance
 *            a read lock); transfer takes both locks in the GLOBAL ORDER,
 *            lower index first (one lock when from == to), so two transfers
 *            over the same pair never hold one lock each while waiting for
 *            the other. total() read-locks one account at a time, so it
 *            is exact at quiescence (see wl_i_bank_total).
 *   counter  one lock around a uint64.
 *   kv       one lock around a ck_ht table (kvtable.h); get / dump take it
 *            shared. dump copies the pairs under the lock and calls `fn`
 *            after unlocking, so `fn` may call back into the kv. */
#ifndef MAILROOM_BASELINES_LOCKED_H
#define MAILROOM_BASELINES_LOCKED_H

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "mbx_sync.h"
#include "workload.h"
#include "kvtable.h"

typedef struct wl_i_spin {
	_Atomic uint32_t held; /* 0 free, 1 held: see spin.c */
} wl_i_spin;

/* Storage for any of the three kinds; each object uses one member only. */
typedef union wl_i_lock {
	pthread_mutex_t mutex;
	pthread_rwlock_t rwlock;
	wl_i_spin spin;
} wl_i_lock;

typedef struct wl_i_lockops {
	void (*init)(wl_i_lock *l);
	void (*destroy)(wl_i_lock *l);
	void (*lock)(wl_i_lock *l);   /* exclusive */
	void (*rdlock)(wl_i_lock *l); /* shared; the same as lock for kinds without readers */
	void (*unlock)(wl_i_lock *l); /* releases either */
} wl_i_lockops;

extern const wl_i_lockops wl_i_mutex_lockops; /* mutex.c; the mutants below target it */

/* Mutants (verify/mutants; compiled out unless -DMAILROOM_MUTANT=n). They
 * live in the shared transfer but fire only for the mutex backend. */
#define WL_I_MUTANT(L, n) (MBX_MUTANT(n) && (L) == &wl_i_mutex_lockops)

/* ---- bank ---- */
typedef struct wl_i_account {
	_Alignas(MBX_CACHELINE) wl_i_lock lock;
	int64_t balance; /* guarded by lock */
} wl_i_account;
_Static_assert(sizeof(wl_i_account) == MBX_CACHELINE, "one account (lock + balance) per cache line");

typedef struct wl_i_bank {
	uint32_t n;
	wl_i_account acct[]; /* starts on its own cache line (the member's alignment) */
} wl_i_bank;

static inline wl_i_bank *wl_i_bank_of(wl_bank *b) { return (wl_i_bank *)(void *)b; }

static inline wl_i_account *wl_i_account_of(wl_bank *h, uint32_t acct)
{
	wl_i_bank *b = wl_i_bank_of(h);
	CHECK_LT(acct, b->n); /* a caller bug, as in the actor bank */
	return &b->acct[acct];
}

static inline wl_bank *wl_i_bank_create(const wl_i_lockops *L, uint32_t n, int64_t initial)
{
	if (initial < 0)
		return NULL;
	wl_i_bank *b = aligned_alloc(MBX_CACHELINE, sizeof *b + (size_t)n * sizeof b->acct[0]);
	if (!b)
		return NULL;
	b->n = n;
	for (uint32_t i = 0; i < n; i++) {
		L->init(&b->acct[i].lock);
		b->acct[i].balance = initial;
	}
	return (wl_bank *)(void *)b;
}

static inline void wl_i_bank_destroy(const wl_i_lockops *L, wl_bank *h)
{
	wl_i_bank *b = wl_i_bank_of(h);
	for (uint32_t i = 0; i < b->n; i++)
		L->destroy(&b->acct[i].lock);
	free(b);
}

static inline int wl_i_bank_deposit(const wl_i_lockops *L, wl_bank *h, uint32_t acct, int64_t amount)
{
	wl_i_account *a = wl_i_account_of(h, acct);
	if (amount < 0)
		return WL_ERROR;
	L->lock(&a->lock);
	a->balance += amount;
	L->unlock(&a->lock);
	return WL_OK;
}

static inline int wl_i_bank_withdraw(const wl_i_lockops *L, wl_bank *h, uint32_t acct, int64_t amount)
{
	wl_i_account *a = wl_i_account_of(h, acct);
	if (amount < 0)
		return WL_ERROR;
	int r = WL_INSUFFICIENT;
	L->lock(&a->lock);
	if (a->balance >= amount) {
		a->balance -= amount;
		r = WL_OK;
	}
	L->unlock(&a->lock);
	return r;
}

static inline int64_t wl_i_bank_balance(const wl_i_lockops *L, wl_bank *h, uint32_t acct)
{
	wl_i_account *a = wl_i_account_of(h, acct);
	L->rdlock(&a->lock);
	int64_t v = a->balance;
	L->unlock(&a->lock);
	return v;
}

static inline int wl_i_bank_transfer(const wl_i_lockops *L, wl_bank *h, uint32_t from, uint32_t to,
                                     int64_t amount)
{
	wl_i_account *f = wl_i_account_of(h, from), *t = wl_i_account_of(h, to);
	if (amount < 0)
		return WL_ERROR;
	if (f == t) { /* one account, one lock: taking it twice would self-deadlock */
		L->lock(&f->lock);
		int r = f->balance >= amount ? WL_OK : WL_INSUFFICIENT;
		L->unlock(&f->lock);
		return r;
	}
	if (WL_I_MUTANT(L, 28)) { /* mutant 28: the credit to `to` outside its lock, across a yield */
		L->lock(&f->lock);
		int r = f->balance >= amount ? WL_OK : WL_INSUFFICIENT;
		if (r == WL_OK)
			f->balance -= amount;
		L->unlock(&f->lock);
		if (r == WL_OK) {
			int64_t v = t->balance;
			sched_yield();
			t->balance = v + amount; /* another client's update in between is lost */
		}
		return r;
	}
	wl_i_account *first = from < to ? f : t, *second = from < to ? t : f; /* the global order */
	/* MUTANT 8: from-then-to order. Transfers A->B and B->A each hold their
	 * `from` and wait for the other's: deadlock (TSan: lock-order-inversion). */
	if (WL_I_MUTANT(L, 8)) {
		first = f;
		second = t;
	}
	/* MUTANT 7: `to` is credited without its lock, racing with whoever holds
	 * it (as their `from` or `to`): a lost update breaks conservation. */
	wl_i_account *unlocked = WL_I_MUTANT(L, 7) ? t : NULL;
	if (first != unlocked)
		L->lock(&first->lock);
	if (second != unlocked)
		L->lock(&second->lock);
	int r = WL_INSUFFICIENT;
	if (f->balance >= amount) { /* checked under both locks: never negative */
		f->balance -= amount;
		t->balance += amount;
		r = WL_OK;
	}
	if (second != unlocked)
		L->unlock(&second->lock);
	if (first != unlocked)
		L->unlock(&first->lock);
	return r;
}

static inline int64_t wl_i_bank_total(const wl_i_lockops *L, wl_bank *h)
{
	/* One lock at a time: exact at quiescence, as workload.h promises (and
	 * as the actor and atomic banks are). Holding every account's lock at
	 * once would give a snapshot under load, but TSan's deadlock detector
	 * aborts past 64 held locks (bank/shared:mutex/accounts:1024). */
	wl_i_bank *b = wl_i_bank_of(h);
	int64_t sum = 0;
	for (uint32_t i = 0; i < b->n; i++) {
		L->rdlock(&b->acct[i].lock);
		sum += b->acct[i].balance;
		L->unlock(&b->acct[i].lock);
	}
	return sum;
}

/* ---- counter ---- */
typedef struct wl_i_counter {
	_Alignas(MBX_CACHELINE) wl_i_lock lock;
	uint64_t value; /* guarded by lock */
} wl_i_counter;
_Static_assert(sizeof(wl_i_counter) == MBX_CACHELINE, "the counter is one cache line");

static inline wl_i_counter *wl_i_counter_of(wl_counter *c) { return (wl_i_counter *)(void *)c; }

static inline wl_counter *wl_i_counter_create(const wl_i_lockops *L)
{
	wl_i_counter *c = aligned_alloc(MBX_CACHELINE, sizeof *c);
	if (!c)
		return NULL;
	L->init(&c->lock);
	c->value = 0;
	return (wl_counter *)(void *)c;
}

static inline void wl_i_counter_destroy(const wl_i_lockops *L, wl_counter *h)
{
	wl_i_counter *c = wl_i_counter_of(h);
	L->destroy(&c->lock);
	free(c);
}

static inline void wl_i_counter_add(const wl_i_lockops *L, wl_counter *h, uint64_t n)
{
	wl_i_counter *c = wl_i_counter_of(h);
	L->lock(&c->lock);
	c->value += n;
	L->unlock(&c->lock);
}

static inline uint64_t wl_i_counter_get(const wl_i_lockops *L, wl_counter *h)
{
	wl_i_counter *c = wl_i_counter_of(h);
	L->rdlock(&c->lock);
	uint64_t v = c->value;
	L->unlock(&c->lock);
	return v;
}

/* ---- kv ---- */
typedef struct wl_i_kv {
	_Alignas(MBX_CACHELINE) wl_i_lock lock;
	wl_i_kvtable t; /* guarded by lock */
} wl_i_kv;

static inline wl_i_kv *wl_i_kv_of(wl_kv *k) { return (wl_i_kv *)(void *)k; }

static inline wl_kv *wl_i_kv_create(const wl_i_lockops *L)
{
	wl_i_kv *kv = aligned_alloc(MBX_CACHELINE, sizeof *kv);
	if (!kv)
		return NULL;
	if (!wl_i_kvt_init(&kv->t)) {
		free(kv);
		return NULL;
	}
	L->init(&kv->lock);
	return (wl_kv *)(void *)kv;
}

static inline void wl_i_kv_destroy(const wl_i_lockops *L, wl_kv *h)
{
	wl_i_kv *kv = wl_i_kv_of(h);
	L->destroy(&kv->lock);
	wl_i_kvt_fini(&kv->t);
	free(kv);
}

static inline void wl_i_kv_set(const wl_i_lockops *L, wl_kv *h, uint64_t key, uint64_t value)
{
	wl_i_kv *kv = wl_i_kv_of(h);
	L->lock(&kv->lock);
	wl_i_kvt_set(&kv->t, key, value);
	L->unlock(&kv->lock);
}

static inline int wl_i_kv_get(const wl_i_lockops *L, wl_kv *h, uint64_t key, uint64_t *value)
{
	wl_i_kv *kv = wl_i_kv_of(h);
	L->rdlock(&kv->lock);
	int r = wl_i_kvt_get(&kv->t, key, value);
	L->unlock(&kv->lock);
	return r;
}

static inline int wl_i_kv_del(const wl_i_lockops *L, wl_kv *h, uint64_t key)
{
	wl_i_kv *kv = wl_i_kv_of(h);
	L->lock(&kv->lock);
	int r = wl_i_kvt_del(&kv->t, key);
	L->unlock(&kv->lock);
	return r;
}

static inline size_t wl_i_kv_dump(const wl_i_lockops *L, wl_kv *h,
                                  void (*fn)(uint64_t key, uint64_t value, void *ctx), void *ctx)
{
	wl_i_kv *kv = wl_i_kv_of(h);
	wl_i_kvpair *p;
	L->rdlock(&kv->lock);
	size_t n = wl_i_kvt_snapshot(&kv->t, &p); /* the consistent snapshot */
	L->unlock(&kv->lock);
	for (size_t i = 0; i < n; i++)
		fn(p[i].key, p[i].value, ctx);
	free(p);
	return n;
}

/* Defines `const wl_backend wl_##P##_backend` (name "P") with bank, counter
 * and kv ops over the lock vtable L (an address constant). */
#define WL_I_LOCKED_BACKEND(P, L, SUMMARY)                                                             \
	static wl_bank *P##_bank_create(const wl_config *cfg, uint32_t n, int64_t initial)             \
	{                                                                                              \
		(void)cfg; /* shared state: no mailbox */                                              \
		return wl_i_bank_create(L, n, initial);                                                \
	}                                                                                              \
	static void P##_bank_destroy(wl_bank *b) { wl_i_bank_destroy(L, b); }                          \
	static int P##_deposit(wl_bank *b, uint32_t a, int64_t x)                                      \
	{                                                                                              \
		return wl_i_bank_deposit(L, b, a, x);                                                  \
	}                                                                                              \
	static int P##_withdraw(wl_bank *b, uint32_t a, int64_t x)                                     \
	{                                                                                              \
		return wl_i_bank_withdraw(L, b, a, x);                                                 \
	}                                                                                              \
	static int64_t P##_balance(wl_bank *b, uint32_t a) { return wl_i_bank_balance(L, b, a); }      \
	static int P##_transfer(wl_bank *b, uint32_t f, uint32_t t, int64_t x)                         \
	{                                                                                              \
		return wl_i_bank_transfer(L, b, f, t, x);                                              \
	}                                                                                              \
	static int64_t P##_total(wl_bank *b) { return wl_i_bank_total(L, b); }                         \
	static const bank_ops P##_bank = {.create = P##_bank_create,                                   \
	                                  .destroy = P##_bank_destroy,                                 \
	                                  .deposit = P##_deposit,                                      \
	                                  .withdraw = P##_withdraw,                                    \
	                                  .balance = P##_balance,                                      \
	                                  .transfer = P##_transfer,                                    \
	                                  .total = P##_total};                                         \
	static wl_counter *P##_counter_create(const wl_config *cfg)                                    \
	{                                                                                              \
		(void)cfg;                                                                             \
		return wl_i_counter_create(L);                                                         \
	}                                                                                              \
	static void P##_counter_destroy(wl_counter *c) { wl_i_counter_destroy(L, c); }                 \
	static void P##_add(wl_counter *c, uint64_t n) { wl_i_counter_add(L, c, n); }                  \
	static uint64_t P##_get(wl_counter *c) { return wl_i_counter_get(L, c); }                      \
	static const counter_ops P##_counter = {.create = P##_counter_create,                          \
	                                        .destroy = P##_counter_destroy,                        \
	                                        .add = P##_add,                                        \
	                                        .get = P##_get};                                       \
	static wl_kv *P##_kv_create(const wl_config *cfg)                                              \
	{                                                                                              \
		(void)cfg;                                                                             \
		return wl_i_kv_create(L);                                                              \
	}                                                                                              \
	static void P##_kv_destroy(wl_kv *kv) { wl_i_kv_destroy(L, kv); }                              \
	static void P##_kv_set(wl_kv *kv, uint64_t k, uint64_t v) { wl_i_kv_set(L, kv, k, v); }        \
	static int P##_kv_get(wl_kv *kv, uint64_t k, uint64_t *v) { return wl_i_kv_get(L, kv, k, v); } \
	static int P##_kv_del(wl_kv *kv, uint64_t k) { return wl_i_kv_del(L, kv, k); }                 \
	static size_t P##_kv_dump(wl_kv *kv, void (*fn)(uint64_t, uint64_t, void *), void *ctx)        \
	{                                                                                              \
		return wl_i_kv_dump(L, kv, fn, ctx);                                                   \
	}                                                                                              \
	static const kv_ops P##_kv = {.create = P##_kv_create,                                         \
	                              .destroy = P##_kv_destroy,                                       \
	                              .set = P##_kv_set,                                               \
	                              .get = P##_kv_get,                                               \
	                              .del = P##_kv_del,                                               \
	                              .dump = P##_kv_dump};                                            \
	const wl_backend wl_##P##_backend = {.name = #P,                                               \
	                                     .summary = SUMMARY,                                       \
	                                     .is_actor = false,                                        \
	                                     .bank = &P##_bank,                                        \
	                                     .counter = &P##_counter,                                  \
	                                     .kv = &P##_kv}

#endif
