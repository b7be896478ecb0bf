/* broadcast.c: one publisher actor fans every PUBLISH out to M subscriber
 * actors. Each subscriber CHECKs exactly-once, in-order delivery by sequence
 * number and payload; the run reports whether every subscriber got all. */
#include <stdint.h>
#include <stdlib.h>

#include "actor.h"
#include "check.h"
#include "mbx_sync.h"
#include "workload.h"

enum { BC_PUBLISH = 1 }; /* seq = message number, a = payload */

static uint64_t bc_payload(uint64_t seq)
{
	return mbx_mix64(seq);
}

typedef struct sub_state {
	_Alignas(64) uint64_t next; /* seq expected next; one subscriber per line */
} sub_state;

typedef struct pub_state {
	act_ref *subs; /* retained: the publisher holds its own references */
	uint32_t m;
	uint64_t published;
} pub_state;

static act_result sub_handle(void *state, const mbx_msg *msg, act_ctx *ctx)
{
	(void)ctx;
	sub_state *s = state;
	CHECK_EQ(msg->tag, BC_PUBLISH);
	CHECK_EQU(msg->seq, s->next); /* a duplicate, a gap or a reordering stops here */
	CHECK_EQU(msg->a, bc_payload(msg->seq));
	s->next++;
	return ACT_CONTINUE;
}

static act_result pub_handle(void *state, const mbx_msg *msg, act_ctx *ctx)
{
	(void)ctx;
	pub_state *p = state;
	CHECK_EQ(msg->tag, BC_PUBLISH);
	/* Blocking sends: a full subscriber slows the publisher (backpressure).
	 * Subscribers send to nobody, so every wait ends. */
	for (uint32_t i = 0; i < p->m; i++)
		CHECK_EQ(act_send(p->subs[i], msg), ACT_OK);
	p->published++;
	return ACT_CONTINUE;
}

static void pub_on_stop(void *state, act_ctx *ctx)
{
	(void)ctx;
	pub_state *p = state;
	for (uint32_t i = 0; i < p->m; i++)
		act_release(p->subs[i]);
}

static const act_behavior sub_behavior = {.name = "subscriber", .handle = sub_handle};
static const act_behavior pub_behavior = {.name = "publisher", .handle = pub_handle, .on_stop = pub_on_stop};

bool broadcast_run(const wl_config *cfg, uint32_t subscribers, uint64_t messages, uint64_t *delivered)
{
	act_options o = {.mailbox = NULL, .capacity = 0, .spin = -1};
	if (cfg)
		o = (act_options){.mailbox = cfg->mailbox, .capacity = cfg->capacity, .spin = cfg->spin, .pool = cfg->pool};
	size_t m = subscribers ? subscribers : 1;
	sub_state *ss = aligned_alloc(_Alignof(sub_state), m * sizeof *ss);
	act_ref *sr = calloc(m, sizeof *sr);
	act_ref *held = calloc(m, sizeof *held);
	CHECK(ss && sr && held);

	for (uint32_t i = 0; i < subscribers; i++) {
		ss[i].next = 0;
		sr[i] = act_spawn(&sub_behavior, &ss[i], &o);
		CHECK(sr[i].a != NULL);
		held[i] = act_retain(sr[i]);
	}
	pub_state ps = {.subs = held, .m = subscribers};
	act_ref pub = act_spawn(&pub_behavior, &ps, &o);
	CHECK(pub.a != NULL);

	for (uint64_t i = 0; i < messages; i++) {
		mbx_msg msg = {.tag = BC_PUBLISH, .seq = i, .a = bc_payload(i)};
		CHECK_EQ(act_send(pub, &msg), ACT_OK);
	}

	/* Publisher first: its drain forwards everything queued to it, and its
	 * sends return before our join does, so each is queued at a subscriber
	 * ahead of that subscriber's close. */
	CHECK_EQ(act_stop(pub), ACT_OK);
	CHECK_EQ(act_join(pub), ACT_OK);
	bool ok = ps.published == messages;
	act_release(pub);
	for (uint32_t i = 0; i < subscribers; i++)
		CHECK_EQ(act_stop(sr[i]), ACT_OK);
	uint64_t total = 0;
	for (uint32_t i = 0; i < subscribers; i++) {
		CHECK_EQ(act_join(sr[i]), ACT_OK); /* orders the subscriber's writes before our read */
		ok = ok && ss[i].next == messages;
		total += ss[i].next;
		act_release(sr[i]);
	}
	if (delivered)
		*delivered = total;
	free(ss);
	free(sr);
	free(held);
	return ok;
}
