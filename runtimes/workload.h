/* workload.h: the classic actor workloads behind one small interface per
 * workload, so tests and benchmarks run actor versions (over any mailbox) and
 * shared-state baselines (mutex, rwlock, spin, atomic) from one table.
 * Every op may be called concurrently from any number of client threads. */
#ifndef MAILROOM_WORKLOAD_H
#define MAILROOM_WORKLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mailbox.h"

/* Actor backends use the mailbox and the execution mode; shared-state
 * backends ignore them. */
typedef struct act_pool act_pool; /* actor.h */
typedef struct wl_config {
	const mbx_ops *mailbox; /* NULL: act_default_mailbox() */
	uint32_t capacity;      /* 0: the kind's default */
	int32_t spin;           /* -1: the kind's default */
	act_pool *pool;         /* NULL: thread per actor; else pooled on it */
} wl_config;

/* The actor backends' ask timeout: far beyond any healthy answer, so a hang
 * becomes a CHECK failure instead of a stuck test or benchmark. */
#define WL_ASK_NS (30 * INT64_C(1000000000))

enum { WL_OK = 0, WL_INSUFFICIENT = 1, WL_NOTFOUND = 2, WL_ERROR = 3 };

/* ---- bank: accounts with deposit, withdraw, balance, atomic transfer ----
 * transfer(from, to, amount): if `from` cannot pay, nothing changes
 * (WL_INSUFFICIENT) and `to` is untouched; otherwise from -= amount and
 * to += amount. Balances never go negative. At quiescence, total() equals
 * the initial total plus deposits minus withdrawals. */
typedef struct wl_bank wl_bank;
typedef struct bank_ops {
	wl_bank *(*create)(const wl_config *cfg, uint32_t accounts, int64_t initial);
	void (*destroy)(wl_bank *b);
	int (*deposit)(wl_bank *b, uint32_t acct, int64_t amount);
	int (*withdraw)(wl_bank *b, uint32_t acct, int64_t amount); /* WL_OK / WL_INSUFFICIENT */
	int64_t (*balance)(wl_bank *b, uint32_t acct);
	int (*transfer)(wl_bank *b, uint32_t from, uint32_t to, int64_t amount);
	int64_t (*total)(wl_bank *b); /* at quiescence */
} bank_ops;

/* ---- counter ---- */
typedef struct wl_counter wl_counter;
typedef struct counter_ops {
	wl_counter *(*create)(const wl_config *cfg);
	void (*destroy)(wl_counter *c);
	void (*add)(wl_counter *c, uint64_t n);
	uint64_t (*get)(wl_counter *c); /* includes every add that returned before it was called */
} counter_ops;

/* ---- kv: uint64 keys and values ---- */
typedef struct wl_kv wl_kv;
typedef struct kv_ops {
	wl_kv *(*create)(const wl_config *cfg);
	void (*destroy)(wl_kv *kv);
	void (*set)(wl_kv *kv, uint64_t key, uint64_t value);
	int (*get)(wl_kv *kv, uint64_t key, uint64_t *value); /* WL_OK / WL_NOTFOUND */
	int (*del)(wl_kv *kv, uint64_t key);                  /* WL_OK / WL_NOTFOUND */
	/* calls fn for every pair (a consistent snapshot); returns the count */
	size_t (*dump)(wl_kv *kv, void (*fn)(uint64_t key, uint64_t value, void *ctx), void *ctx);
} kv_ops;

/* ---- the backend table ---- */
typedef struct wl_backend {
	const char *name;  /* "actor", "mutex", "rwlock", "spin", "atomic" */
	const char *summary;
	bool is_actor;     /* runs over a mailbox from mbx_table */
	const bank_ops *bank;       /* NULL where the backend does not offer it */
	const counter_ops *counter;
	const kv_ops *kv;
} wl_backend;

extern const wl_backend *const wl_backends[]; /* NULL-terminated */
const wl_backend *wl_find_backend(const char *name);

/* ---- actor-only workloads (runtimes/workloads/) ---- */

/* wordcount: one aggregator actor. */
typedef struct wl_wordcount wl_wordcount;
wl_wordcount *wordcount_create(const wl_config *cfg);
void wordcount_destroy(wl_wordcount *w);
uint64_t wordcount_add(wl_wordcount *w, const char *word); /* returns the new count */
typedef struct wc_entry { char *word; uint64_t count; } wc_entry;
/* The whole table, sorted by word; caller frees with wordcount_free_counts. */
size_t wordcount_get_counts(wl_wordcount *w, wc_entry **out);
void wordcount_free_counts(wc_entry *e, size_t n);

/* logger + workers: W worker actors each send `records` log records to one
 * logger actor, which buffers and flushes every `flush_every` records and on
 * shutdown. Shutdown order: workers, then logger. */
typedef struct logger_result {
	uint64_t sent, flushed, flushes;
	bool in_order; /* per-worker order preserved in the flushed output */
} logger_result;
logger_result logger_run(const wl_config *cfg, uint32_t workers, uint64_t records, uint32_t flush_every);

/* broadcast: one publisher fans each of `messages` out to `subscribers`
 * subscriber actors; returns true when each subscriber received each message
 * exactly once and in order (sets *delivered to the total count). */
bool broadcast_run(const wl_config *cfg, uint32_t subscribers, uint64_t messages, uint64_t *delivered);

#endif
