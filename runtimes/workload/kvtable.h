/* kvtable.h: the uint64 -> uint64 table of the kv backends, on
 * ConcurrencyKit's ck_ht in direct mode: the lock-based baselines (mutex,
 * rwlock, spin) and the kv actor (workloads/kv.c, one thread owns it). Internal.
 * Not thread-safe by itself; the caller holds its lock (or is the one thread):
 *
 *                  set  del  get  snapshot
 *   set / del       -    -    -    -        (exclusive lock)
 *   get, snapshot   -    -    Y    Y        (a shared lock is enough: ck_ht
 *                                            readers never write, and grow /
 *                                            free happen only inside set) */
#ifndef MAILROOM_BASELINES_KVTABLE_H
#define MAILROOM_BASELINES_KVTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ck_ht.h>

typedef struct wl_i_kvpair {
	uint64_t key, value;
} wl_i_kvpair;

typedef struct wl_i_kvtable {
	ck_ht_t ht;
	/* ck_ht reserves key 0 (empty slot) and key ~0 (tombstone); those two
	 * keys live here instead: [0] for 0, [1] for UINT64_MAX. */
	bool has_special[2];
	uint64_t special[2];
} wl_i_kvtable;

/* malloc-backed ck_malloc that frees at once (ignores `defer`): only for ck
 * tables whose readers never run during a write (a lock, or one thread). */
extern struct ck_malloc wl_i_ck_allocator;

bool wl_i_kvt_init(wl_i_kvtable *t); /* false: out of memory */
/* The same with extra ck_ht mode bits (CK_HT_WORKLOAD_DELETE for the actor). */
bool wl_i_kvt_init_mode(wl_i_kvtable *t, unsigned workload);
void wl_i_kvt_fini(wl_i_kvtable *t);
void wl_i_kvt_set(wl_i_kvtable *t, uint64_t key, uint64_t value); /* aborts when out of memory */
int wl_i_kvt_get(wl_i_kvtable *t, uint64_t key, uint64_t *value); /* WL_OK / WL_NOTFOUND */
int wl_i_kvt_del(wl_i_kvtable *t, uint64_t key);                  /* WL_OK / WL_NOTFOUND */
/* Copies every pair into a new array (*out, free() it; NULL when empty). */
size_t wl_i_kvt_snapshot(wl_i_kvtable *t, wl_i_kvpair **out);

#endif
