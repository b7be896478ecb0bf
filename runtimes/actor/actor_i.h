/* actor_i.h: the actor layer's private interface between its own files
 * (actor.c and supervisor.c); nothing outside runtimes/actor/ includes it. */
#ifndef MAILROOM_ACTOR_I_H
#define MAILROOM_ACTOR_I_H

#include <stdbool.h>

#include "actor.h"

/* ---- supervision hooks (supervisor.c uses them) ----
 * A supervised actor keeps its mailbox (and, thread per actor, its thread)
 * across restarts, so a handle names the child, not the incarnation. When
 * a handler crashes (ACT_CRASH, act_panic) or stops (ACT_STOP) the runtime
 * answers the ask (ACT_ECRASHED / ACT_ENOREPLY), then calls exited()
 * (reason NULL: a normal stop), which answers:
 *  - ACT_I_RESTART: *state is fresh: on_start runs, then started();
 *  - ACT_I_PENDING (pooled only): suspended, no message taken; each later
 *    turn asks verdict() until it answers something else (*poll: a backoff
 *    runs, come back soon); the supervisor calls act_i_wake when it decides;
 *  - ACT_I_GIVE_UP: no restart: after a crash the actor stops with its
 *    queue as dead letters, after a normal stop it drains gracefully;
 *  - ACT_I_DROP: stop at once, no on_stop, queue as dead letters (the
 *    supervisor finalised the state already).
 * can_block (thread per actor): the hook may wait for the decision.
 * restart() is called at the next message boundary after
 * act_i_request_restart (a sibling's ordered restart): ACT_I_KEEP (nothing
 * to do: the old state stays), ACT_I_PENDING (pooled: suspended as above),
 * ACT_I_RESTART, ACT_I_DROP. started(), after on_start of a fresh state:
 * ACT_I_RESUME (take messages), ACT_I_PENDING (pooled: suspended until the
 * supervisor releases it), ACT_I_RESTART (held again by a new ordered
 * restart before it took a message: *state is fresh again, on_start runs
 * again, then started()), ACT_I_GIVE_UP (stop gracefully), ACT_I_DROP.
 * Invariant: on_start runs exactly once per state, on a state that has not
 * been started; never on a state that has already run it. */
typedef enum { ACT_I_RESTART, ACT_I_GIVE_UP, ACT_I_PENDING, ACT_I_RESUME, ACT_I_KEEP, ACT_I_DROP } act_i_verdict;
typedef struct act_i_supervision {
	act_i_verdict (*exited)(void *ctx, const mbx_msg *msg, const char *reason, void **state, bool can_block);
	act_i_verdict (*verdict)(void *ctx, void **state, bool *poll);
	act_i_verdict (*restart)(void *ctx, void **state, bool can_block);
	act_i_verdict (*started)(void *ctx, void **state, bool can_block);
	void *ctx;
} act_i_supervision;
/* sup must outlive the actor (or act_i_abandon it); NULL = act_spawn. */
act_ref act_i_spawn_supervised(const act_behavior *b, void *state, const act_options *opt,
                               const act_i_supervision *sup);
void act_i_request_restart(act_actor *a);
/* A pooled actor's verdict is ready: give it a turn (no-op thread per actor). */
void act_i_wake(act_actor *a);
/* The i-th wait of a loop that waits for actor a: on a pool worker, run a's
 * queued turn (helping), else yield, then nap. */
void act_i_wait_for(act_actor *a, unsigned i);
/* a has terminated (its last turn or its thread's last callback is over). */
bool act_i_done(act_actor *a);
/* Join if a terminates by deadline (mbx_now_ns): ACT_OK, else ACT_ETIMEOUT
 * (not joined). Helps on a pool worker, like act_join. */
int act_i_join_until(act_ref r, int64_t deadline);
/* Shutdown timeout: cut the actor loose while it runs a user callback
 * (handle, on_start, on_stop). True: from the callback's return on it
 * never touches its act_i_supervision again, runs no more user code but
 * fini(state) (its state is its own again), dead-letters its queue and
 * terminates; if the callback never returns, its thread or pool worker
 * stays with it (leaked). False: not in a callback now (try again). */
bool act_i_abandon(act_actor *a, void (*fini)(void *state));

#endif
