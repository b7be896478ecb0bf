/* mailbox.h: the mailbox contract every mailroom mailbox implements.
 * One header, many implementations: each kind is one .c file under
 * runtimes/mailbox/kinds/ exporting one `const mbx_ops`, listed in
 * mbx_table.c.
 *
 * Errors: operations on a mailbox answer an mbx_status (FULL, EMPTY,
 * CLOSED, ... are answers of the hot path, not failures, so they are values,
 * never errno); creation answers NULL + errno, as malloc and pthread do.
 * Misuse the contract rules out (two consumers at once, a push after
 * destroy) is undefined; the verify/ suite catches it, the code does not. */
#ifndef MAILROOM_MAILBOX_H
#define MAILROOM_MAILBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---------------------------------------------------------------------------
 * The message.
 *
 * Messages are copied in on push and copied out on pop; a mailbox never keeps
 * a pointer into the caller's memory. The struct is 40 bytes (five words):
 *  - small enough that a ring slot with its 8-byte sequence word is 48 bytes,
 *    so one copy touches at most two cache lines, and an intrusive queue node
 *    (next pointer + message) is 48 bytes, one allocation-cache object;
 *  - large enough for every workload in the suite (bank transfer = tag,
 *    target account, amount; an ask = the same plus the reply slot) without a
 *    per-message allocation. Bigger payloads travel by pointer in `a`/`b`;
 *    the mailbox's release/acquire hand-off then covers the pointee.
 * Rounding up to 64 bytes would cost every copy 60 % more bytes for nothing
 * the workloads use.
 * ------------------------------------------------------------------------- */
struct mbx_reply; /* one-shot reply slot, defined by the actor runtime */

typedef struct mbx_msg {
	uint32_t tag;            /* message kind, workload-defined */
	uint32_t sender;         /* producer / sender id */
	uint64_t seq;            /* per-sender sequence number */
	uint64_t a, b;           /* payload words */
	struct mbx_reply *reply; /* optional: where an ask wants its answer */
} mbx_msg;
_Static_assert(sizeof(mbx_msg) == 40, "mbx_msg is five words; see above");

typedef enum mbx_status {
	MBX_OK = 0,
	MBX_FULL,     /* try_push: bounded mailbox at capacity */
	MBX_EMPTY,    /* try_pop: nothing queued */
	MBX_RETRY,    /* try_pop (MBX_CAP_RETRY kinds only): a push is in flight, try again */
	MBX_CLOSED,   /* push after close; pop when closed and drained */
	MBX_TIMEOUT,  /* pop_timeout: nothing arrived in time */
	MBX_NOMEM,    /* an unbounded kind could not allocate a node */
} mbx_status;

const char *mbx_status_name(mbx_status s);

/* Capability flags, carried by the ops struct (never in side tables). */
enum {
	MBX_CAP_BOUNDED = 1u << 0,   /* can enforce a capacity (push blocks, try_push says FULL) */
	MBX_CAP_UNBOUNDED = 1u << 1, /* can run without a capacity (capacity 0) */
	MBX_CAP_BLOCKING = 1u << 2,  /* pop parks the thread (not only spins) */
	MBX_CAP_LOCKFREE = 1u << 3,  /* push/pop fast paths take no lock */
	MBX_CAP_WAITFREE_PUSH = 1u << 4, /* push completes in a bounded number of steps */
	MBX_CAP_SPIN = 1u << 5,      /* honours the spin budget before parking */
	MBX_CAP_RETRY = 1u << 6,     /* try_pop may answer MBX_RETRY (see "linearizability") */
	MBX_CAP_POW2 = 1u << 7,      /* capacity must be a power of two */
	MBX_CAP_EXACT_CLOSE = 1u << 8, /* close is linearizable: see "close" below */
	MBX_CAP_YIELD = 1u << 9,     /* yields the CPU between spinning and parking (config.yields) */
};

typedef struct mbx_config {
	uint32_t capacity; /* 0 = the kind's default; MBX_UNBOUNDED = no limit */
	int32_t spin;      /* spin iterations before parking; -1 = the kind's default, 0 = park at once */
	/* MBX_CAP_YIELD kinds: sched_yield calls after the spin, before parking
	 * (a spin budget of 0 skips them too); -1 = the kind's default, 0 = none.
	 * Other kinds have no yield phase and ignore it. Like spin, -1 is the
	 * default: a config must set it (mbx_create does). */
	int32_t yields;
} mbx_config;
#define MBX_UNBOUNDED UINT32_MAX

typedef struct mbx mbx;

/* Counters of the waits inside a kind (mbx_stats, for benchmarks): since
 * create, read when no operation runs (after the producers are joined). */
typedef struct mbx_stats {
	/* pushes that waited for another producer (an earlier claim to commit
	 * before theirs could), and the nanoseconds they waited in all */
	uint64_t producer_waits, producer_wait_ns;
} mbx_stats;

/* ---------------------------------------------------------------------------
 * The contract.
 *
 * Roles: any number of producers; exactly ONE consumer at a time (the actor
 * that owns the mailbox). "Consumer ops" must not run concurrently with each
 * other; the runtime guarantees this by construction.
 *
 * Synchronization table (Y = may run concurrently with, on one mailbox):
 *
 *                 push  try_push  pop*  close  len  destroy
 *   push           Y      Y        Y     Y     Y     -
 *   try_push       Y      Y        Y     Y     Y     -
 *   pop*           Y      Y        -     Y     Y     -
 *   close          Y      Y        Y     Y     Y     -
 *   len            Y      Y        Y     Y     Y     -
 *   destroy        -      -        -     -     -     -
 *   (pop* = pop, try_pop, pop_timeout: the consumer ops)
 *
 * Ordering and memory:
 *  - Per-producer FIFO: two pushes by one thread are popped in that order.
 *    No order is promised between producers.
 *  - A successful push happens-before the pop that returns the message
 *    (release on publish, acquire on take), so memory the sender wrote before
 *    push is visible to the consumer after pop. TSan sees this edge for every
 *    kind (the ConcurrencyKit kinds through annotations).
 *  - Every message pushed with MBX_OK is popped exactly once, or handed to
 *    mbx_drain() after close: none is lost, none is duplicated.
 *
 * Operations:
 *  push(m, msg, &was_empty)   MBX_OK or MBX_CLOSED (MBX_NOMEM for unbounded
 *      kinds out of memory). Bounded kinds block while full, using the kind's
 *      wait strategy; close wakes them with MBX_CLOSED (message not queued).
 *      was_empty (may be NULL) reports that this push may have taken the
 *      mailbox from empty to non-empty: a pooled scheduler schedules the actor
 *      on true. It is never falsely false: if it is false, a consumer that is
 *      draining will reach this message without a signal. It may be true more
 *      often than strictly needed (ring kinds), never less.
 *  try_push(m, msg, &was_empty)   as push, but never blocks: MBX_FULL.
 *  pop(m, &out)       blocks until a message (MBX_OK) or closed-and-empty
 *      (MBX_CLOSED). Spins up to the spin budget, then parks (futex or
 *      condvar) for MBX_CAP_BLOCKING kinds.
 *  try_pop(m, &out)   MBX_OK, MBX_EMPTY, MBX_CLOSED (closed and empty), or,
 *      for MBX_CAP_RETRY kinds, MBX_RETRY: a producer has claimed its place
 *      but not linked it yet. RETRY is not EMPTY: the mailbox is not empty.
 *      Linearizability: OK/EMPTY/CLOSED answers are linearizable; RETRY is a
 *      non-answer (the op did not take effect) and checkers must skip it.
 *  pop_timeout(m, &out, ns)   as pop, MBX_TIMEOUT after `ns` nanoseconds
 *      (ns <= 0: behaves as try_pop but never answers RETRY).
 *  close(m)   idempotent. After close returns, every push answers
 *      MBX_CLOSED. Blocked producers and the consumer are woken. The consumer
 *      still pops what is queued, and gets MBX_CLOSED once it is drained.
 *      A push that overlaps close either answers MBX_CLOSED or is queued.
 *      For MBX_CAP_EXACT_CLOSE kinds, a queued one is always popped before
 *      MBX_CLOSED. For the others (lock-free kinds whose enqueue cannot be
 *      made conditional without a second contended RMW per push), a push that
 *      passed its closed check just before close may land after the consumer
 *      saw MBX_CLOSED: it is never lost, mbx_drain() hands it over (the
 *      actor runtime treats it as a dead letter). This is the cost the
 *      lock-free kinds choose to avoid; it is measured, not hidden.
 *  len(m)     approximate count; exact when no op is in flight.
 *  destroy(m) frees everything, including queued messages (no leak).
 *
 * Creation in caller memory (every kind), so a runtime can put an actor and
 * its mailbox in one allocation:
 *  size(cfg)  the bytes init needs for cfg, a multiple of MBX_CACHELINE
 *      (the alignment init wants); 0 when cfg is invalid for the kind.
 *  init(m, cfg)  builds the mailbox in m (size(cfg) bytes, aligned); 0 or an
 *      errno; on failure nothing is left to undo.
 *  fini(m)    destroy without freeing m itself: frees what init allocated
 *      besides (node caches, a growable buffer) and the queued messages.
 * create = aligned_alloc(size) + init and destroy = fini + free, for all
 * kinds (mbx_create, mbx_destroy). One line in a kind's ops table names the
 * three: MBX_INPLACE(prefix) for prefix_size, prefix_init, prefix_fini.
 * ------------------------------------------------------------------------- */
typedef struct mbx_ops {
	const char *name;    /* stable: used in CLI flags and result files */
	const char *summary; /* one line for --list */
	unsigned caps;       /* MBX_CAP_* */
	uint32_t default_capacity; /* used when config.capacity == 0 (MBX_UNBOUNDED: none) */
	int32_t default_spin;      /* used when config.spin < 0 */
	int32_t default_yields;    /* used when config.yields < 0 (MBX_CAP_YIELD kinds) */

	size_t (*size)(const mbx_config *cfg);      /* 0: cfg invalid (EINVAL) */
	int (*init)(mbx *m, const mbx_config *cfg); /* 0 or errno (EINVAL, ENOMEM) */
	void (*fini)(mbx *m);
	mbx_status (*push)(mbx *m, const mbx_msg *msg, bool *was_empty);
	mbx_status (*try_push)(mbx *m, const mbx_msg *msg, bool *was_empty);
	mbx_status (*pop)(mbx *m, mbx_msg *out);
	mbx_status (*try_pop)(mbx *m, mbx_msg *out);
	mbx_status (*pop_timeout)(mbx *m, mbx_msg *out, int64_t timeout_ns);
	void (*close)(mbx *m);
	size_t (*len)(mbx *m);
	void (*stats)(mbx *m, mbx_stats *out); /* optional (NULL): kinds that count their waits */
} mbx_ops;

/* Every implementation's struct starts with this header. */
struct mbx {
	const mbx_ops *ops;
	uint32_t capacity; /* effective; MBX_UNBOUNDED if none */
	int32_t spin;      /* effective spin budget */
	int32_t yields;    /* effective yields before parking (0 without MBX_CAP_YIELD) */
};

/* The table (mbx_table.c): NULL-terminated, in a stable order. */
extern const mbx_ops *const mbx_table[];
size_t mbx_table_len(void);
const mbx_ops *mbx_find(const char *name); /* NULL if unknown */

/* The one line of a kind's ops table that names its in-place trio. */
#define MBX_INPLACE(prefix) .size = prefix##_size, .init = prefix##_init, .fini = prefix##_fini

/* Creates a mailbox of kind ops; resolves defaults; NULL + errno (EINVAL,
 * ENOMEM) on failure. mbx_destroy frees it. */
mbx *mbx_create(const mbx_ops *ops, uint32_t capacity, int32_t spin);
/* The same from a whole config (the wait strategy's yields included). */
mbx *mbx_create_cfg(const mbx_ops *ops, const mbx_config *cfg);
/* In caller memory: mbx_footprint is the bytes (at MBX_CACHELINE
 * alignment) mbx_create_in needs; 0 + errno EINVAL for a bad kind or
 * config. mbx_create_in answers the mailbox (at mem) or NULL + errno;
 * mbx_destroy_in (below) undoes it and leaves mem to the caller. */
size_t mbx_footprint(const mbx_ops *ops, uint32_t capacity, int32_t spin);
mbx *mbx_create_in(const mbx_ops *ops, void *mem, uint32_t capacity, int32_t spin);

/* The pending-work probe (bench/'s mailroom-bench-probe only): built with
 * -DMAILROOM_PENDING_PROBE=1, the wrappers below count every message a push
 * accepted, minus every one a pop took or a destroy freed, so a benchmark
 * can read how many messages are still queued when its clock stops
 * (mbx_probe_pending). A push counts +1 before it starts (undone when not
 * queued), so the count never dips below the queued messages: a push still
 * in flight shows as pending. Compiled out otherwise: the measured builds
 * pay nothing. */
#if defined(MAILROOM_PENDING_PROBE) && MAILROOM_PENDING_PROBE
void mbx_i_probe_add(int64_t delta);
int64_t mbx_probe_pending(void);
#define MBX_I_PROBE(s, delta) ((s) == MBX_OK ? mbx_i_probe_add(delta) : (void)0)
#else
#define MBX_I_PROBE(s, delta) ((void)(s))
#endif

/* Dispatch through the table (the vtable path). */
static inline mbx_status mbx_push(mbx *m, const mbx_msg *msg, bool *was_empty)
{
	MBX_I_PROBE(MBX_OK, 1); /* before: the pop's -1 comes after the push's +1 */
	mbx_status s = m->ops->push(m, msg, was_empty);
	MBX_I_PROBE(s == MBX_OK ? MBX_CLOSED : MBX_OK, -1); /* not queued: undone */
	return s;
}
static inline mbx_status mbx_try_push(mbx *m, const mbx_msg *msg, bool *was_empty)
{
	MBX_I_PROBE(MBX_OK, 1);
	mbx_status s = m->ops->try_push(m, msg, was_empty);
	MBX_I_PROBE(s == MBX_OK ? MBX_CLOSED : MBX_OK, -1);
	return s;
}
static inline mbx_status mbx_pop(mbx *m, mbx_msg *out)
{
	mbx_status s = m->ops->pop(m, out);
	MBX_I_PROBE(s, -1);
	return s;
}
static inline mbx_status mbx_try_pop(mbx *m, mbx_msg *out)
{
	mbx_status s = m->ops->try_pop(m, out);
	MBX_I_PROBE(s, -1);
	return s;
}
static inline mbx_status mbx_pop_timeout(mbx *m, mbx_msg *out, int64_t ns)
{
	mbx_status s = m->ops->pop_timeout(m, out, ns);
	MBX_I_PROBE(s, -1);
	return s;
}
static inline void mbx_close(mbx *m) { m->ops->close(m); }
static inline size_t mbx_len(mbx *m) { return m->ops->len(m); }
/* The kind's wait counters into *out; false (and *out zeroed) when the kind
 * keeps none. Quiescent mailbox only (see mbx_stats). */
static inline bool mbx_get_stats(mbx *m, mbx_stats *out)
{
	*out = (mbx_stats){0};
	if (!m->ops->stats)
		return false;
	m->ops->stats(m, out);
	return true;
}
static inline void mbx_destroy_in(mbx *m)
{
	MBX_I_PROBE(MBX_OK, -(int64_t)m->ops->len(m)); /* quiescent: len is exact */
	m->ops->fini(m);
}
void mbx_destroy(mbx *m);

/* For implementations: fill the header from the ops defaults and validate
 * (capacity vs MBX_CAP_BOUNDED/UNBOUNDED/POW2, capacity >= 2 when bounded).
 * Returns 0 or EINVAL. */
int mbx_i_init(mbx *base, const mbx_ops *ops, const mbx_config *cfg);
/* For size(): n rounded up to whole cache lines (MBX_CACHELINE, 64; checked in mbx_table.c). */
static inline size_t mbx_i_lines(size_t n) { return (n + 63) & ~(size_t)63; }

/* After close: pops everything still queued (waiting out RETRY) and hands
 * each message to fn. Consumer op. Returns the count. */
size_t mbx_drain(mbx *m, void (*fn)(const mbx_msg *msg, void *ctx), void *ctx);

#endif
