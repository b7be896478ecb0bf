/* actor_i.h: the actor layer's private interface between its own files
 * (actor.c and supervisor.c); nothing outside runtimes/actor/ includes it. */
#ifndef MAILROOM_ACTOR_I_H
#define MAILROOM_ACTOR_I_H

#include <stdbool.h>

#include "actor.h"

/* ---- supervision hooks (supervisor.c uses them) ----
 * A supervised actor keeps its thread and mailbox across restarts, so a
 * handle names the child, not the incarnation. On a failure the loop
 * answers the ask (ACT_ECRASHED), then calls failed() on the actor's own
 * thread, which blocks until the supervisor decides: ACT_I_RESTART (failed()
 * has replaced *state; on_start runs again, then the queued messages) or
 * ACT_I_GIVE_UP (the actor stops as an unsupervised one would). restart() is
 * called at the next message boundary after act_i_request_restart (a
 * sibling restarted by one-for-all / rest-for-one); it returns true only when
 * it replaced *state with a fresh one (false: the supervisor is closing and
 * the old state stays).
 * Invariant: on_start runs exactly once per state, on a state that has not
 * been started: after spawn, after failed() returned ACT_I_RESTART, and
 * after restart() returned true; never on a state that has already run it. */
typedef enum { ACT_I_RESTART, ACT_I_GIVE_UP } act_i_verdict;
typedef struct act_i_supervision {
	act_i_verdict (*failed)(void *ctx, const mbx_msg *msg, const char *reason, void **state);
	bool (*restart)(void *ctx, void **state); /* true: *state is fresh */
	void *ctx;
} act_i_supervision;
/* sup must outlive the actor; NULL = act_spawn. With sup, opt->pool is
 * ignored: a supervised actor runs thread per actor (see the pooled mode). */
act_ref act_i_spawn_supervised(const act_behavior *b, void *state, const act_options *opt,
                               const act_i_supervision *sup);
void act_i_request_restart(act_actor *a);

#endif
