/* actor.h: the actor interface over any mailbox of the table.
 * Errors: every call that can fail returns ACT_OK (0) or a positive ACT_E*
 * (one enum for the whole layer, so a handler can pass a failed ask's error
 * on with act_reply_error); spawn and act_pool_create return a NULL handle +
 * errno, like the mailbox layer's create. Aborts (misuse, never a runtime
 * condition, each printing why): act_reply twice on one ask, act_panic
 * outside a handler, act_pool_destroy from its own worker or with actors
 * still alive after 10 s.
 *
 * An actor owns private state, has one mailbox, and handles one message at a
 * time; nothing else touches its state. Two execution modes, chosen per actor
 * at spawn (act_options.pool), behind the same calls:
 *  - thread per actor (pool == NULL): the actor's thread blocks in the
 *    mailbox's pop, so the mailbox's wait strategy is what benchmarks compare;
 *  - pooled (M:N): the actor is a task on an act_pool of a few worker threads
 *    (runtimes/pool.c); it is scheduled when a push finds its mailbox empty
 *    and runs a batch of messages per turn through the non-blocking pop. */
#ifndef MAILROOM_ACTOR_H
#define MAILROOM_ACTOR_H

#include <stdint.h>

#include "mailbox.h"

typedef struct act_actor act_actor;

/* A handle: one pointer, cheap to copy, safe to use from any thread while a
 * reference is held. act_spawn returns one reference; act_retain adds one
 * (for a handle kept by another owner), act_release drops one. The actor's
 * memory is freed when it has terminated and the last reference is gone. */
typedef struct act_ref {
	act_actor *a;
} act_ref;

typedef enum act_result {
	ACT_CONTINUE = 0, /* keep going */
	ACT_STOP,         /* stop myself: stop accepting, drain what is queued, on_stop */
	ACT_CRASH,        /* failure: the ask of this message (if any) gets ACT_ECRASHED */
} act_result;

/* Errors of the actor layer (positive; 0 = OK). */
enum {
	ACT_OK = 0,
	ACT_ETIMEOUT = 1, /* ask: no reply within the timeout */
	ACT_ESTOPPED,     /* target stopped (send/ask) or stopped before replying */
	ACT_ECRASHED,     /* the handler crashed on the request */
	ACT_EINVAL,       /* bad use: zero/negative timeout, NULL handle, ... */
	ACT_EALREADY,     /* stop twice, join twice */
	ACT_EFULL,        /* try_send: mailbox full */
	ACT_ENOMEM,
	ACT_EDEADLK,      /* join/ask on oneself from inside the handler */
	ACT_ENOREPLY,     /* ask: the handler returned without act_reply */
	ACT_EDEPTH,       /* pooled handler: waiting would need a nested turn past the worker's stack */
};
const char *act_strerror(int err);

typedef struct act_ctx act_ctx; /* passed to handlers: act_self(ctx) */

typedef struct act_behavior {
	const char *name;
	act_result (*handle)(void *state, const mbx_msg *msg, act_ctx *ctx);
	/* optional, before the first message; exactly once per state: under a
	 * supervisor, again only on the fresh state of a restart, never twice
	 * on one state (a restart skipped because the supervisor is closing
	 * keeps the started state and does not run it) */
	void (*on_start)(void *state, act_ctx *ctx);
	void (*on_stop)(void *state, act_ctx *ctx);  /* optional, after the drain (a logger's flush) */
} act_behavior;

/* ---- the pooled mode: a pool of worker threads running many actors ----
 * Workers: per-worker run queue + a "next" slot (the actor a handler just
 * woke runs next on the same worker, as in tokio and Go; idle workers steal
 * it after a grace period), a shared lock-free injection queue for pushes
 * from outside the pool, stealing between workers. Idle
 * workers spin, then park on a futex; a push to a parked pool wakes exactly
 * one worker, and none while one is searching (pool.c, verify/model).
 *
 * The rule for blocking calls inside a pooled handler (a send to a full
 * bounded mailbox, ask, join): they are allowed, and while one waits for
 * actor T the worker runs T's queued turns itself ("helping": only T, never
 * an unrelated actor, which could wait on the actor below it on the stack),
 * else naps in 50 us-1 ms steps, never parking on the mailbox. So an ask to
 * an actor on the same pool works even with one worker, and ask keeps its
 * timeout: it never blocks forever. A helped turn runs nested on the worker's
 * stack, so a chain of handlers each waiting on the next (A asks B, whose
 * handler asks C, ...) nests one turn per link: the workers' stacks are
 * act_pool_config.stack_bytes (64 MiB by default: a few tens of thousands of
 * links in release builds, thousands under ASan), and a wait that would need
 * a nested turn with less than ACT_POOL_STACK_RESERVE left returns ACT_EDEPTH
 * at once (ask, join, blocking send) instead of stalling until its timeout.
 * What can still stall is a worker whose
 * handler waits on an actor another busy worker holds; as in thread mode, a
 * cycle of blocking sends through full mailboxes is a deadlock. Supervised
 * actors (supervisor.h) run in either mode: a pooled child that crashed
 * takes no message until its supervisor's verdict wakes it. */
typedef struct act_pool act_pool;
typedef struct act_pool_config {
	unsigned workers; /* 0: the CPUs this process may run on (nproc) */
	unsigned batch;   /* messages per actor turn; 0: ACT_POOL_BATCH */
	int32_t spin;     /* idle worker's search rounds before parking; -1: default */
	size_t stack_bytes; /* each worker's stack; 0: ACT_POOL_STACK (see helping above) */
} act_pool_config;
#define ACT_POOL_STACK ((size_t)64 << 20)
/* Stack a worker keeps free below a helped turn: room for one handler and
 * the calls it makes (sanitizer builds use several times more per frame). */
#define ACT_POOL_STACK_RESERVE ((size_t)512 << 10)
/* Default batch, by an ad-hoc sweep on the 2-core VM (60 actors flooded
 * from outside the pool, futex_ring and vyukov): batch 1 costs about twice
 * the time per message of 16..256, which are within noise of each other;
 * 64 sits in that plateau and still bounds how long one actor holds a
 * worker (a turn of 64 short handlers is a few microseconds). */
#define ACT_POOL_BATCH 64
/* NULL + errno (EINVAL: workers > 1024, batch > 1M, or stack_bytes (when
 * not 0) below 2 * ACT_POOL_STACK_RESERVE; ENOMEM; EAGAIN). */
act_pool *act_pool_create(const act_pool_config *cfg);
/* Every actor spawned on the pool must have terminated first (act_stop, or
 * ACT_STOP, then act_join); waits up to 10 s for that, then aborts naming
 * the count still alive. Handles may outlive the pool (act_release). */
void act_pool_destroy(act_pool *p);
unsigned act_pool_workers(const act_pool *p);
typedef struct act_pool_stats {
	uint64_t turns;   /* actor turns run (one batch each) */
	uint64_t steals;  /* turns taken from another worker's queue */
	uint64_t next_steals; /* turns taken from another worker's next slot (after its grace period) */
	uint64_t injects; /* schedules from outside the pool */
	uint64_t parks;   /* times a worker slept on its futex */
	uint64_t wakes;   /* futex wakes sent to parked workers */
	uint64_t helps;   /* turns run by a worker waiting inside a handler */
	int64_t live;     /* actors spawned on it and not yet terminated */
} act_pool_stats;
act_pool_stats act_pool_get_stats(const act_pool *p); /* approximate while running */

typedef struct act_options {
	const mbx_ops *mailbox; /* NULL: the default kind (act_default_mailbox) */
	uint32_t capacity;      /* 0: the kind's default */
	int32_t spin;           /* -1: the kind's default */
	act_pool *pool;         /* NULL: thread per actor; else a task on this pool */
} act_options;

const mbx_ops *act_default_mailbox(void);

/* spawn: returns a handle (.a == NULL with errno set on failure). */
act_ref act_spawn(const act_behavior *b, void *state, const act_options *opt);
act_ref act_retain(act_ref r);
void act_release(act_ref r);

/* send: blocks while the mailbox is full (backpressure). ACT_OK or
 * ACT_ESTOPPED; the message's reply field is ignored (use ask). */
int act_send(act_ref to, const mbx_msg *msg);
/* try_send: never blocks: ACT_OK, ACT_EFULL or ACT_ESTOPPED. */
int act_try_send(act_ref to, const mbx_msg *msg);

/* ask: request-reply. Sends *req with a one-shot reply slot and waits up to
 * timeout_ns (> 0, else ACT_EINVAL) for the handler's act_reply. Returns
 * ACT_OK with *reply filled, ACT_ETIMEOUT, ACT_ESTOPPED (target stopped or
 * stops without answering), ACT_ECRASHED, or (in a pooled handler) ACT_EDEPTH
 * (see the pooled mode). Never hangs. */
int act_ask(act_ref to, const mbx_msg *req, mbx_msg *reply, int64_t timeout_ns);

/* In a handler: answer the ask carried by msg (no-op if msg is not an ask).
 * Exactly once (a second act_reply aborts). A handler that returns without
 * replying fails the ask with ACT_ENOREPLY (ACT_ECRASHED if it crashed). */
void act_reply(const mbx_msg *msg, uint64_t a, uint64_t b);
/* Fail the ask carried by msg with an ACT_E* error (no-op if not an ask). */
void act_reply_error(const mbx_msg *msg, int err);

/* stop: graceful. The mailbox stops accepting (senders get ACT_ESTOPPED),
 * the actor handles what is queued, runs on_stop, and terminates. Returns
 * ACT_OK, or ACT_EALREADY if it was already stopping. Does not wait. */
int act_stop(act_ref r);
/* join: waits for termination. ACT_OK, ACT_EALREADY on a second join,
 * ACT_EDEADLK from the actor itself, ACT_EDEPTH in a pooled handler (not
 * joined: it may be tried again). send may return ACT_EDEPTH likewise. */
int act_join(act_ref r);

/* In a handler: the actor running it, and its mailbox kind. */
act_ref act_self(act_ctx *ctx);

/* In a handler (at any call depth): fail the current message, exactly as if
 * the handler had returned ACT_CRASH; reason (kept by pointer: a string
 * literal or one that outlives the actor) goes to the supervisor's
 * observer and dead-letter hook. It unwinds with longjmp to the dispatch
 * point set up around every handle() call, so:
 *  - hold no lock across it (the lock stays held: a later deadlock);
 *  - whatever the handler allocated and has not stored in the actor's state
 *    leaks (the supervisor's fini releases only what the state owns), and
 *    no cleanup of the skipped frames runs;
 *  - the state may be half-updated: a supervised actor gets a fresh one
 *    from its factory; an unsupervised one stops as after ACT_CRASH;
 *  - outside handle() (on_start, on_stop, a foreign thread) it aborts.
 * Real faults (SIGSEGV, SIGBUS, SIGFPE, abort) are deliberately NOT turned
 * into crashes: after a wild write the whole address space is suspect, not
 * just this actor's state, so restarting would build on corrupt memory; and
 * a signal handler may not longjmp out of arbitrary code (a malloc or a
 * mailbox lock half-taken) and call non-async-signal-safe functions. The
 * process dies, loudly, which is the only honest outcome. */
_Noreturn void act_panic(act_ctx *ctx, const char *reason);

/* Counters (exact once the actor has terminated). */
typedef struct act_stats {
	uint64_t handled;      /* messages handled */
	uint64_t dead_letters; /* messages that arrived after the actor had finished */
} act_stats;
act_stats act_get_stats(act_ref r);

#endif
