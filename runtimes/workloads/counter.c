/* counter.c: the actor counter: one actor owns a uint64 and is the only
 * thread that touches it. add is a fire-and-forget send, get an ask; exported
 * through wl_actor_backend (bank.c). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "actor.h"
#include "check.h"
#include "workload.h"


enum { COUNTER_ADD = 1, COUNTER_GET };

struct wl_counter {
	act_ref ref;
	uint64_t value; /* the actor's state; read here only after join */
};

static act_result counter_handle(void *state, const mbx_msg *msg, act_ctx *ctx)
{
	(void)ctx;
	uint64_t *v = state;
	switch (msg->tag) {
	case COUNTER_ADD:
		*v += msg->a;
		break;
	case COUNTER_GET:
		act_reply(msg, *v, 0);
		break;
	default:
		CHECK(!"counter: unknown message tag");
	}
	return ACT_CONTINUE;
}

static const act_behavior counter_behavior = {.name = "counter", .handle = counter_handle};

static wl_counter *counter_create(const wl_config *cfg)
{
	wl_counter *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	act_options o = {.mailbox = NULL, .capacity = 0, .spin = -1};
	if (cfg)
		o = (act_options){.mailbox = cfg->mailbox, .capacity = cfg->capacity, .spin = cfg->spin, .pool = cfg->pool};
	c->ref = act_spawn(&counter_behavior, &c->value, &o);
	if (!c->ref.a) {
		int e = errno;
		free(c);
		errno = e;
		return NULL;
	}
	return c;
}

static void counter_destroy(wl_counter *c)
{
	if (!c)
		return;
	act_stop(c->ref);
	CHECK_EQ(act_join(c->ref), ACT_OK);
	act_release(c->ref);
	free(c);
}

static void counter_add(wl_counter *c, uint64_t n)
{
	mbx_msg m = {.tag = COUNTER_ADD, .a = n};
	CHECK_EQ(act_send(c->ref, &m), ACT_OK);
}

/* An add that returned has been pushed before this ask is pushed; the
 * mailbox is a linearizable queue, so the actor handles it first: get
 * includes it, as workload.h promises. */
static uint64_t counter_get(wl_counter *c)
{
	mbx_msg req = {.tag = COUNTER_GET}, rep;
	CHECK_EQ(act_ask(c->ref, &req, &rep, WL_ASK_NS), ACT_OK);
	return rep.a;
}

const counter_ops wl_actor_counter_ops = {
	.create = counter_create,
	.destroy = counter_destroy,
	.add = counter_add,
	.get = counter_get,
};
