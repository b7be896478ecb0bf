/* atomic: the C counterpart of Rust's AtomicU64 / AtomicI64: no locks at all.
 * counter = one fetch_add; bank = one _Atomic int64_t balance per account
 * (each on its own cache line), withdraw = a CAS loop that never takes a
 * balance below zero, transfer = CAS-debit `from`, then fetch_add `to`.
 * What it is NOT:
 *  - not an atomic transfer: between the debit and the credit the money is
 *    in flight (in no balance), so total() is exact only at quiescence; a
 *    concurrent total() can be off by whatever is in flight (either way,
 *    since it reads accounts one at a time);
 *  - no kv (kv = NULL): there is no atomic word that holds a map. A lock-free
 *    map with a consistent dump is its own research project (ck_ht allows a
 *    single writer only, and a consistent snapshot needs a lock or epochs),
 *    so anything offered here would be a lock baseline in disguise;
 *  - not wait-free: a CAS loop retries under contention (lock-free only).
 *
 * Memory order: relaxed throughout. Each op is one read-modify-write (or
 * load) of one word and publishes no other data, so nothing pairs with it:
 * RMW atomicity gives "never negative" and "no lost add", and per-location
 * coherence orders every op before a read that happens after it (the
 * caller's thread join gives total() / get() that happens-before). */
#include <stdatomic.h>
#include <stdlib.h>

#include "check.h"
#include "mbx_sync.h"
#include "workload.h"

typedef struct atomic_account {
	_Alignas(MBX_CACHELINE) _Atomic int64_t balance;
} atomic_account;
_Static_assert(sizeof(atomic_account) == MBX_CACHELINE, "one account per cache line");

typedef struct atomic_bank {
	uint32_t n;
	atomic_account acct[];
} atomic_bank;

typedef struct atomic_counter {
	_Alignas(MBX_CACHELINE) _Atomic uint64_t value;
} atomic_counter;

static atomic_bank *bank_of(wl_bank *b) { return (atomic_bank *)(void *)b; }

static _Atomic int64_t *balance_of(wl_bank *h, uint32_t acct)
{
	atomic_bank *b = bank_of(h);
	CHECK_LT(acct, b->n);
	return &b->acct[acct].balance;
}

static wl_bank *atomic_bank_create(const wl_config *cfg, uint32_t n, int64_t initial)
{
	(void)cfg; /* shared state: no mailbox */
	if (initial < 0)
		return NULL;
	atomic_bank *b = aligned_alloc(MBX_CACHELINE, sizeof *b + (size_t)n * sizeof b->acct[0]);
	if (!b)
		return NULL;
	b->n = n;
	for (uint32_t i = 0; i < n; i++)
		atomic_init(&b->acct[i].balance, initial);
	return (wl_bank *)(void *)b;
}

static void atomic_bank_destroy(wl_bank *b) { free(bank_of(b)); }

static int atomic_deposit(wl_bank *b, uint32_t acct, int64_t amount)
{
	_Atomic int64_t *bal = balance_of(b, acct);
	if (amount < 0)
		return WL_ERROR;
	atomic_fetch_add_explicit(bal, amount, memory_order_relaxed); /* relaxed: see the header */
	return WL_OK;
}

/* Takes `amount` only if the balance covers it, in one CAS: never negative. */
static int debit(_Atomic int64_t *bal, int64_t amount)
{
	/* relaxed (load and both CAS orders): a stale value only fails the
	 * CAS, which reloads; nothing is published (see the header). */
	int64_t cur = atomic_load_explicit(bal, memory_order_relaxed);
	do {
		if (cur < amount)
			return WL_INSUFFICIENT;
	} while (!atomic_compare_exchange_weak_explicit(bal, &cur, cur - amount, memory_order_relaxed,
	                                                memory_order_relaxed));
	return WL_OK;
}

static int atomic_withdraw(wl_bank *b, uint32_t acct, int64_t amount)
{
	_Atomic int64_t *bal = balance_of(b, acct);
	return amount < 0 ? WL_ERROR : debit(bal, amount);
}

static int64_t atomic_balance(wl_bank *b, uint32_t acct)
{
	return atomic_load_explicit(balance_of(b, acct), memory_order_relaxed); /* relaxed: see the header */
}

static int atomic_transfer(wl_bank *b, uint32_t from, uint32_t to, int64_t amount)
{
	_Atomic int64_t *f = balance_of(b, from), *t = balance_of(b, to);
	if (amount < 0)
		return WL_ERROR;
	int r = debit(f, amount);
	if (r == WL_OK) /* in flight from here to the credit; relaxed: see the header */
		atomic_fetch_add_explicit(t, amount, memory_order_relaxed);
	return r;
}

/* Exact only at quiescence (see the header). */
static int64_t atomic_total(wl_bank *h)
{
	atomic_bank *b = bank_of(h);
	int64_t sum = 0;
	for (uint32_t i = 0; i < b->n; i++)
		sum += atomic_load_explicit(&b->acct[i].balance, memory_order_relaxed); /* relaxed: header */
	return sum;
}

static const bank_ops atomic_bank_ops = {
	.create = atomic_bank_create,
	.destroy = atomic_bank_destroy,
	.deposit = atomic_deposit,
	.withdraw = atomic_withdraw,
	.balance = atomic_balance,
	.transfer = atomic_transfer,
	.total = atomic_total,
};

static atomic_counter *counter_of(wl_counter *c) { return (atomic_counter *)(void *)c; }

static wl_counter *atomic_counter_create(const wl_config *cfg)
{
	(void)cfg;
	atomic_counter *c = aligned_alloc(MBX_CACHELINE, sizeof *c);
	if (!c)
		return NULL;
	atomic_init(&c->value, 0);
	return (wl_counter *)(void *)c;
}

static void atomic_counter_destroy(wl_counter *c) { free(counter_of(c)); }

static void atomic_add(wl_counter *c, uint64_t n)
{
	atomic_fetch_add_explicit(&counter_of(c)->value, n, memory_order_relaxed); /* relaxed: header */
}

static uint64_t atomic_get(wl_counter *c)
{
	return atomic_load_explicit(&counter_of(c)->value, memory_order_relaxed); /* relaxed: header */
}

static const counter_ops atomic_counter_ops = {
	.create = atomic_counter_create,
	.destroy = atomic_counter_destroy,
	.add = atomic_add,
	.get = atomic_get,
};

const wl_backend wl_atomic_backend = {
	.name = "atomic",
	.summary = "C11 atomics: fetch_add counter; CAS-debit, then credit, bank (money in flight); no kv",
	.is_actor = false,
	.bank = &atomic_bank_ops,
	.counter = &atomic_counter_ops,
	.kv = NULL,
};
