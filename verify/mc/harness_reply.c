/* harness_reply.c: the ask reply slot (runtimes/actor/reply.c) under the
 * model checker. T0 asks: takes a slot, sends it to T1 through a release
 * store (the mailbox's hand-off, here one word), waits; T1 takes it with an
 * acquire load and replies once. Oracles: the asker reads exactly the
 * answer, race-free; a spinning asker goes to sleep (SLEEPING) and is woken
 * (or the lost wake-up is reported); with an abandoning asker (its poll
 * gives up at once) either side may free the slot, once (run the asan
 * preset to see a use after free). The slot cache's thread-exit destructor
 * runs outside the model. */
#include <stdlib.h>

#include "mc.h"
#include "reply.h"

typedef struct rh {
	_Atomic(struct mbx_reply *) sent;
	bool abandon;
	int result;
	mbx_msg out;
} rh;

static void *rh_new(bool abandon)
{
	rh *c = calloc(1, sizeof *c);
	atomic_init(&c->sent, NULL);
	c->abandon = abandon;
	return c;
}
static void *rh_answer(void) { return rh_new(false); }
static void *rh_abandon(void) { return rh_new(true); }
static void rh_free(void *c) { free(c); }

static int rh_give_up(void *ctx, unsigned round)
{
	(void)ctx;
	(void)round;
	return 1; /* as an actor stopping: abandon the ask */
}

static void rh_thread(void *ctx, int tid)
{
	rh *c = ctx;
	if (tid == 1) { /* the replier */
		struct mbx_reply *s;
		/* acquire: pairs with the asker's release store below */
		while (!(s = MC_LOAD(&c->sent, memory_order_acquire)))
			MC_YIELD();
		reply_i_complete(s, 0, 7, 8);
		return;
	}
	struct mbx_reply *s = reply_i_get();
	if (!s)
		mc_fail("oracle", "reply_i_get: no memory");
	/* release: the send, as a mailbox push hands the request over */
	MC_STORE(&c->sent, s, memory_order_release);
	c->result = reply_i_wait(s, INT64_MAX, 1000000, c->abandon ? rh_give_up : NULL, NULL);
	if (c->result == 0) {
		if (reply_i_result(s, &c->out) != 0 || c->out.a != 7 || c->out.b != 8)
			mc_fail("oracle", "the asker read a wrong answer: a=%llu b=%llu", (unsigned long long)c->out.a,
			        (unsigned long long)c->out.b);
		reply_i_put_back(s);
	} else if (c->result != 1 || !c->abandon) {
		mc_fail("oracle", "reply_i_wait answered %d", c->result);
	}
}

const mc_harness mc_reply_ask = {"reply_ask", "ask reply slot: answer, sleep and wake, free", 2, rh_answer,
                                 rh_thread, NULL, rh_free, 3};
const mc_harness mc_reply_abandon = {"reply_abandon", "ask reply slot: the asker abandons while the answer comes",
                                     2, rh_abandon, rh_thread, NULL, rh_free, 3};
