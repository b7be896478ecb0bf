/* wltest.h: what the files of mailroom-workloads share: a test run's
 * context (a backend, its config, the seed, the watchdog), a thread helper,
 * the kv dump helpers (kv.c) and one prototype per test; the table of tests
 * and the cases (backend x mailbox x capacity x mode) are in driver.c. */
#ifndef MAILROOM_WLTEST_H
#define MAILROOM_WLTEST_H

#include <stddef.h>
#include <stdint.h>

#include "vutil.h"
#include "workload.h"

#define WL_PROG "mailroom-workloads"

typedef struct tctx {
	const wl_backend *be;
	wl_config cfg;
	uint64_t seed;
	v_watchdog wd;
} tctx;

/* Runs fn on n (<= 16) threads, argument i at args + i * arg_size; joins. */
void run_threads(unsigned n, void *(*fn)(void *), void *args, size_t arg_size);

/* A kv dump as (key, value) pairs. */
typedef struct kv_pairs {
	uint64_t (*p)[2];
	size_t n, cap;
} kv_pairs;
/* The dump in key order (free .p); checks the count the dump returns and
 * that no key appears twice. */
kv_pairs dump_sorted(const kv_ops *o, wl_kv *kv, size_t cap);
/* Key number i of a key space: base + i, or (base 0) one that holds 0 and
 * UINT64_MAX. */
uint64_t key_of(uint64_t base, uint32_t i);

/* bank.c */
void t_bank_basic(tctx *t);
void t_bank_concurrent(tctx *t);
/* counter.c */
void t_counter(tctx *t);
/* kv.c */
void t_kv_basic(tctx *t);
void t_kv_concurrent(tctx *t);
/* actor_only.c */
void t_wordcount(tctx *t);
void t_logger(tctx *t);
void t_broadcast(tctx *t);
/* equivalence.c */
void t_equivalence(tctx *t);

#endif
