/* supervisor.h: supervision trees over the actor runtime. A supervisor is an
 * actor that owns an ordered list of children, restarts them when they fail
 * (one-for-one, one-for-all, rest-for-one) within a restart intensity, and
 * fails itself past it, so that its own supervisor decides. */
#ifndef MAILROOM_SUPERVISOR_H
#define MAILROOM_SUPERVISOR_H

#include <stddef.h>
#include <stdint.h>

#include "actor.h"

/* What fails a child: its handler returns ACT_CRASH or calls act_panic
 * (actor.h: the rules, and why real signals are not caught). What ends it
 * normally: its handler returns ACT_STOP. Its restart type (OTP's) says
 * which of the two restart it. act_stop on a child's handle from outside
 * is not an exit its supervisor sees: use act_sup_terminate_child.
 *
 * What a restart keeps and what it does not:
 *  - the mailbox and the handle (act_sup_child) survive: messages queued
 *    behind the crashing one are handled, in order, by the new instance;
 *  - the crashing message goes to the dead-letter hook with the reason; an
 *    ask on it answers ACT_ECRASHED at once (before any backoff);
 *  - the state does not: fini(old) then init(arg) make a fresh one, and
 *    on_start runs again.
 * A supervisor that gives up stops its children (act_stop, drain, join) and
 * fails itself; when it is a child (act_sup_as_child) its parent restarts
 * it with fresh children: handles below a restarted supervisor are new
 * (observe ACT_SUP_STARTED to learn them), as in Erlang. */

typedef enum act_child_restart {
	ACT_CHILD_PERMANENT = 0, /* restarted after a crash and after a normal stop */
	ACT_CHILD_TRANSIENT,     /* restarted after a crash; a normal stop ends it */
	ACT_CHILD_TEMPORARY,     /* never restarted: its first exit removes it */
} act_child_restart;

/* A child ended without a restart (a transient's or temporary's normal
 * stop, a temporary's crash) takes no part in its siblings' restarts; a
 * transient one keeps its slot (act_sup_child: a stopped handle) until
 * terminated, a temporary one is removed (joined, finalised, released: its
 * act_sup_child answers NULL). Restarts of a permanent child after a normal
 * stop count against the intensity like crashes. */
#define ACT_SUP_SHUTDOWN_NS ((int64_t)5000000000) /* default shutdown timeout: 5 s */

typedef struct act_child_spec {
	const char *name;
	const act_behavior *behavior;
	void *(*init)(void *arg);  /* a fresh state per incarnation (NULL is a valid state) */
	void (*fini)(void *state); /* optional: frees a state (after a crash, a restart, the stop) */
	void *arg;
	act_options options; /* mailbox kind / capacity / spin of the child */
	act_child_restart restart; /* 0: permanent */
	/* How long its supervisor waits for it to stop (terminate, an ordered
	 * restart of its siblings, the supervisor's own stop) and for its
	 * on_start in an ordered restart; 0: ACT_SUP_SHUTDOWN_NS. Past it the
	 * child is abandoned (see the shutdown timeout below). */
	int64_t shutdown_ns;
} act_child_spec;

typedef enum act_sup_strategy {
	ACT_SUP_ONE_FOR_ONE,  /* restart the failed child only */
	ACT_SUP_ONE_FOR_ALL,  /* ... and every other child */
	ACT_SUP_REST_FOR_ONE, /* ... and the children after it in the list */
} act_sup_strategy;

/* One-for-all and rest-for-one restart the affected children in order, as
 * OTP does: each affected child is held at its next message boundary (one
 * that crashed already is held), then their states are finalised in
 * reverse start order, then made (init) in start order, then each runs
 * on_start in start order, the supervisor waiting for one before the next;
 * only then do they take messages again. So no affected child handles a
 * message until every one of them has a fresh, started state; a message in
 * flight when the restart began is handled by the old state (it finishes
 * first) or queued for the new one, never lost. A crash of an affected
 * child during the ordered restart is part of it (not restarted twice, not
 * counted twice). A backoff delays the whole group; the supervisor waits
 * it out (a pooled supervisor holds its worker meanwhile).
 *
 * Shutdown timeout: when the supervisor stops a child (terminate, ordered
 * restart, its own stop) and the child does not stop within shutdown_ns,
 * the supervisor abandons it at once if it is inside a user callback
 * (handle, on_start, on_stop); C cannot kill a thread or a turn safely, so
 * that callback keeps running. When (if ever) it returns, the child runs no
 * more user code but fini(state) (on its own thread or turn; the spec's
 * fini, so arg must outlive it), its queued messages become dead letters,
 * and it terminates. If it never returns, its thread (thread per actor) or
 * the pool worker running it stays blocked and its state leaks; a pool
 * whose actor never terminates cannot be destroyed, and a pooled child stuck
 * in a handler holds one worker (on a one-worker pool its pooled supervisor
 * never runs again to notice). The supervisor never
 * joins, finalises or touches an abandoned child again, releases its
 * handle (hold your own act_retain to join it later), emits
 * ACT_SUP_ABANDONED, and then: terminate answers ACT_ETIMEOUT; an ordered
 * restart cannot restart it in place, so the supervisor gives up ("child
 * shutdown timeout": stops the others and fails, its own supervisor
 * decides, as past the intensity); act_sup_stop answers ACT_ETIMEOUT. */

typedef enum act_sup_event_kind {
	ACT_SUP_STARTED,   /* a child's first incarnation was spawned */
	ACT_SUP_CRASHED,   /* a child failed (reason); on the child's thread */
	ACT_SUP_RESTARTED, /* a child has a fresh state; one-for-one: its next message is next; an
	                    * ordered restart: its on_start ran (emitted in start order by the supervisor) */
	ACT_SUP_GAVE_UP,   /* restart intensity exceeded: children stopped; child = SIZE_MAX */
	ACT_SUP_EXITED,    /* a child stopped normally (ACT_STOP); on the child's thread */
	ACT_SUP_REMOVED,   /* a child left: terminated, or temporary and exited */
	ACT_SUP_ABANDONED, /* a child missed its shutdown timeout (see above) */
} act_sup_event_kind;

/* Timestamps are mbx_now_ns() (CLOCK_MONOTONIC). Crash-to-recovery latency
 * for a benchmark: RESTARTED.t_ns - RESTARTED.crash_ns is crash to fresh
 * state (backoff included); the time to the next message handled is the
 * handler's own mbx_now_ns() at its first message minus crash_ns. */
typedef struct act_sup_event {
	act_sup_event_kind kind;
	const char *sup_name;
	size_t child;           /* index in the spec; SIZE_MAX for GAVE_UP */
	const char *child_name; /* NULL for GAVE_UP */
	act_ref ref;            /* the child (borrowed: act_retain to keep it) */
	const char *reason;     /* CRASHED, GAVE_UP, EXITED ("normal"), ABANDONED; else NULL */
	uint64_t restarts;      /* this child's restarts so far, this one included */
	int64_t t_ns;           /* when it happened */
	int64_t crash_ns;       /* RESTARTED after its own crash: that crash's t_ns; sibling: 0 */
} act_sup_event;

typedef struct act_sup_spec {
	const char *name;
	act_sup_strategy strategy;
	const act_child_spec *children; /* copied at start */
	size_t nchildren;
	/* Slots for children, dynamic ones included (act_sup_start_child);
	 * below nchildren: nchildren. Slots are not reused: it bounds the
	 * children ever started under this supervisor (incarnation). */
	size_t max_children;
	/* Intensity: at most max_restarts restarts within period_ns; the next
	 * failure makes the supervisor give up (max_restarts 0: at the first). */
	uint32_t max_restarts;
	int64_t period_ns;
	/* Delay before restarting a failed child: backoff_ns << n, at most
	 * backoff_max_ns, n = its restarts in a row less than period_ns apart;
	 * 0 = none. One-for-all / rest-for-one: the group restarted with it
	 * waits too, held (the ordered restart above). */
	int64_t backoff_ns, backoff_max_ns;
	/* Optional hooks, called from child and supervisor threads (so
	 * thread-safe), never with a runtime lock held. */
	void (*observer)(void *ctx, const act_sup_event *ev);
	void (*dead_letter)(void *ctx, const act_sup_event *crash, const mbx_msg *msg);
	void *hook_ctx;
	act_options options; /* the supervisor's own mailbox */
} act_sup_spec;

typedef struct act_sup act_sup;

/* Spawns the children in order, then the supervisor actor. NULL + errno. */
act_sup *act_sup_start(const act_sup_spec *spec);
/* The supervisor actor (borrowed; act_join on it returns once it gave up). */
act_ref act_sup_self(const act_sup *s);
/* Child i (borrowed, the same across restarts, valid until the child is
 * removed or act_sup_stop; NULL once removed or if never started). */
act_ref act_sup_child(const act_sup *s, size_t i);
/* Stops the supervisor, then the children in reverse start order (each
 * drains, within its shutdown timeout), finalises the states and frees
 * everything. ACT_OK (also after giving up), ACT_ETIMEOUT when a child was
 * abandoned (now or earlier). */
int act_sup_stop(act_sup *s);

/* Dynamic children. Both are requests to the supervisor actor, handled in
 * its mailbox order between crash notices, so they never interleave with a
 * restart: a child started dynamically takes the next slot (*idx), comes
 * last in the start order (rest-for-one restarts it after any earlier
 * child's crash), and takes part in every restart decided after its start;
 * a terminated child is stopped (drained, within its shutdown timeout),
 * finalised and released, its slot answers NULL, and a crash it reported
 * before is ignored. Call them from any thread, or a handler (a pooled one
 * helps the supervisor meanwhile), but not from the supervisor's own
 * observer, and not to terminate the calling child itself (it would wait
 * on itself until its shutdown timeout; return ACT_STOP instead).
 * start_child: ACT_OK, ACT_EFULL (no slot left), ACT_EINVAL, ACT_ENOMEM /
 * ACT_EINVAL from the spawn, ACT_ESTOPPED (the supervisor stopped or gave
 * up). terminate_child: ACT_OK, ACT_EINVAL (no such child: never started or
 * removed), ACT_ETIMEOUT (abandoned: removed all the same), ACT_ESTOPPED. */
int act_sup_start_child(act_sup *s, const act_child_spec *spec, size_t *idx);
int act_sup_terminate_child(act_sup *s, size_t i);
/* A child spec that runs a supervisor (spec must outlive it): trees. */
act_child_spec act_sup_as_child(const act_sup_spec *spec, const char *name);

#endif
