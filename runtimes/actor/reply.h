/* reply.h: the one-shot reply slot behind act_ask (reply.c), in its own
 * file so that bench/scen_oneshot.c measures the shipped primitive. Internal
 * to the actor layer but for that benchmark: only actor.c asks and replies.
 *
 * One ask's life: s = reply_i_get() (armed: two references, the asker's
 * and the message's), the request carries s; the replier calls
 * reply_i_complete exactly once (that drops the message's reference); the
 * asker calls reply_i_wait, and after 0 reads reply_i_result and gives s
 * back with reply_i_put_back. A request that was never sent goes back with
 * reply_i_unsent. */
#ifndef MAILROOM_REPLY_H
#define MAILROOM_REPLY_H

#include <stdint.h>

#include "mailbox.h"

/* Spin rounds (at most: the budget is learnt per thread) before the yields. */
#ifdef MAILROOM_MODEL
#define REPLY_SPIN 2u /* the model checker: the same schedules, shorter */
#else
#define REPLY_SPIN 256u
#endif
/* Then this many sched_yield rounds before the futex (crossbeam's Backoff
 * shape: spin, yield, park). On an oversubscribed machine a yield often runs
 * the replier, and an answer that lands during the yield phase costs neither
 * side a futex syscall (results/notes/reply-wait/ measures it). */
#ifdef MAILROOM_MODEL
#define REPLY_YIELDS 1u
#else
#define REPLY_YIELDS 8u
#endif

/* An armed slot from this thread's cache (or a new one); NULL: no memory. */
struct mbx_reply *reply_i_get(void);
void reply_i_put_back(struct mbx_reply *s);
void reply_i_unsent(struct mbx_reply *s);
/* The answer: err 0 with a and b, or an error; aborts on a second call. */
void reply_i_complete(struct mbx_reply *s, int err, uint64_t a, uint64_t b);

/* Called once per waiting round: REPLY_POLL_IDLE (nothing done: spin or
 * sleep), REPLY_POLL_AGAIN (did some work: look again at once), or a
 * positive error: give the wait up with it. */
enum { REPLY_POLL_AGAIN = -1, REPLY_POLL_IDLE = 0 };
typedef int (*reply_poll_fn)(void *ctx, unsigned round);
/* REPLY_TIMEOUT: the deadline passed. */
enum { REPLY_TIMEOUT = -2 };
/* Waits for the answer until deadline (absolute, mbx_now_ns), sleeping at
 * most nap_ns at a time (poll, if not NULL, runs between naps). 0: answered.
 * Otherwise REPLY_TIMEOUT or poll's error, and s is abandoned (the replier
 * frees it): the caller must not touch it again. */
int reply_i_wait(struct mbx_reply *s, int64_t deadline, int64_t nap_ns, reply_poll_fn poll, void *ctx);
/* After reply_i_wait returned 0: the replier's err (0: *out = the answer). */
int reply_i_result(const struct mbx_reply *s, mbx_msg *out);

#endif
