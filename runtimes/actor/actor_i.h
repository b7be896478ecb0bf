/* actor_i.h: the actor layer's private interface between its own files
 * (actor.c and supervisor.c); nothing outside runtimes/actor/ includes it. */
#ifndef MAILROOM_ACTOR_I_H
#define MAILROOM_ACTOR_I_H

#include <stdbool.h>

#include "actor.h"

/* ---- supervision hooks (supervisor.c uses them) ----
 * A supervised actor keeps its mailbox (and, thread per actor, its thread)
 * across restarts, so a handle names the child, not the incarnation. On a
 * failure the runtime answers the ask (ACT_ECRASHED), then:
 *  - thread per actor: calls failed() on the actor's own thread, which
 *    blocks until the supervisor decides: ACT_I_RESTART (failed() has
 *    replaced *state; on_start runs again, then the queued messages) or
 *    ACT_I_GIVE_UP (the actor stops as an unsupervised one would);
 *  - pooled: the verdict is a message, never waited for: report() sends the
 *    crash notice and answers ACT_I_PENDING (ACT_I_GIVE_UP: the supervisor
 *    is closing); the actor then takes no message until its verdict: each
 *    turn asks verdict(), which answers ACT_I_PENDING (none yet; *poll when
 *    a restart waits out its backoff: the turn comes back soon), or
 *    ACT_I_RESTART (*state is fresh) or ACT_I_GIVE_UP as above. The
 *    supervisor calls act_i_wake when it decides, so the suspended actor
 *    gets a turn.
 * restart() is called at the next message boundary after
 * act_i_request_restart (a sibling restarted by one-for-all /
 * rest-for-one); it returns true only when it replaced *state with a fresh
 * one (false: the supervisor is closing and the old state stays).
 * Invariant: on_start runs exactly once per state, on a state that has not
 * been started: after spawn, after a RESTART verdict, and after restart()
 * returned true; never on a state that has already run it. */
typedef enum { ACT_I_RESTART, ACT_I_GIVE_UP, ACT_I_PENDING } act_i_verdict;
typedef struct act_i_supervision {
	act_i_verdict (*failed)(void *ctx, const mbx_msg *msg, const char *reason, void **state);
	act_i_verdict (*report)(void *ctx, const mbx_msg *msg, const char *reason);
	act_i_verdict (*verdict)(void *ctx, void **state, bool *poll);
	bool (*restart)(void *ctx, void **state); /* true: *state is fresh */
	void *ctx;
} act_i_supervision;
/* sup must outlive the actor; NULL = act_spawn. Either mode (opt->pool). */
act_ref act_i_spawn_supervised(const act_behavior *b, void *state, const act_options *opt,
                               const act_i_supervision *sup);
void act_i_request_restart(act_actor *a);
/* A pooled actor's verdict is ready: give it a turn (no-op thread per actor). */
void act_i_wake(act_actor *a);

#endif
