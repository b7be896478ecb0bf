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
 * (actor.h: the rules, and why real signals are not caught).
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

typedef struct act_child_spec {
	const char *name;
	const act_behavior *behavior;
	void *(*init)(void *arg);  /* a fresh state per incarnation (NULL is a valid state) */
	void (*fini)(void *state); /* optional: frees a state (after a crash, a restart, the stop) */
	void *arg;
	act_options options; /* mailbox kind / capacity / spin of the child */
} act_child_spec;

typedef enum act_sup_strategy {
	ACT_SUP_ONE_FOR_ONE,  /* restart the failed child only */
	ACT_SUP_ONE_FOR_ALL,  /* ... and every other child */
	ACT_SUP_REST_FOR_ONE, /* ... and the children after it in the list */
} act_sup_strategy;

typedef enum act_sup_event_kind {
	ACT_SUP_STARTED,   /* a child's first incarnation was spawned */
	ACT_SUP_CRASHED,   /* a child failed (reason); on the child's thread */
	ACT_SUP_RESTARTED, /* a child has a fresh state; its next message is next */
	ACT_SUP_GAVE_UP,   /* restart intensity exceeded: children stopped; child = SIZE_MAX */
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
	const char *reason;     /* CRASHED, GAVE_UP; else NULL */
	uint64_t restarts;      /* this child's restarts so far, this one included */
	int64_t t_ns;           /* when it happened */
	int64_t crash_ns;       /* RESTARTED after its own crash: that crash's t_ns; sibling: 0 */
} act_sup_event;

typedef struct act_sup_spec {
	const char *name;
	act_sup_strategy strategy;
	const act_child_spec *children; /* copied at start */
	size_t nchildren;
	/* Intensity: at most max_restarts restarts within period_ns; the next
	 * failure makes the supervisor give up (max_restarts 0: at the first). */
	uint32_t max_restarts;
	int64_t period_ns;
	/* Delay before restarting a failed child: backoff_ns << n, at most
	 * backoff_max_ns, n = its restarts in a row less than period_ns apart;
	 * 0 = none. Siblings restarted with it are not delayed. */
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
/* Child i (borrowed, valid until act_sup_stop; the same across restarts). */
act_ref act_sup_child(const act_sup *s, size_t i);
/* Stops the supervisor, then the children in reverse order (each drains),
 * finalises the states and frees everything. ACT_OK (also after giving up). */
int act_sup_stop(act_sup *s);
/* A child spec that runs a supervisor (spec must outlive it): trees. */
act_child_spec act_sup_as_child(const act_sup_spec *spec, const char *name);

#endif
