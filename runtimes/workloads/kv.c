/* kv.c: the actor key-value store: one actor owns a uint64 -> uint64 ck_ht
 * (baselines/kvtable.h). set is a send; get, del and dump are asks (dump
 * replies with a heap snapshot the caller walks and frees). */
#include <ck_ht.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "actor.h"
#include "baselines/kvtable.h"
#include "check.h"
#include "workload.h"


enum {
	KV_SET = 1, /* send: a = key, b = value */
	KV_GET,     /* ask: reply a = WL_OK / WL_NOTFOUND, b = value */
	KV_DEL,     /* ask: reply a = WL_OK / WL_NOTFOUND */
	KV_DUMP,    /* ask: reply a = (wl_i_kvpair *) snapshot (caller frees), b = count */
};

/* The actor's state: the kv baselines' table (kvtable.h), which also takes
 * the two keys ck_ht's direct mode reserves (0 and ~0), so the store accepts
 * every uint64 key like the shared-state baselines. One thread (the actor)
 * uses it, so it needs no lock. */
struct wl_kv {
	act_ref ref;
	wl_i_kvtable st; /* touched by the actor only, then here after join */
};

static act_result kv_handle(void *state, const mbx_msg *msg, act_ctx *ctx)
{
	(void)ctx;
	wl_i_kvtable *t = state;
	switch (msg->tag) {
	case KV_SET:
		wl_i_kvt_set(t, msg->a, msg->b);
		break;
	case KV_GET: {
		uint64_t v = 0;
		int r = wl_i_kvt_get(t, msg->a, &v);
		act_reply(msg, (uint64_t)r, v);
		break;
	}
	case KV_DEL:
		act_reply(msg, (uint64_t)wl_i_kvt_del(t, msg->a), 0);
		break;
	case KV_DUMP: {
		/* The snapshot is built here, between two messages, so it is
		 * consistent; the reply's release/acquire hand-off publishes it. */
		wl_i_kvpair *p;
		size_t n = wl_i_kvt_snapshot(t, &p);
		if (!p) { /* empty: still a block to free, so a reply never carries NULL */
			p = malloc(sizeof *p);
			CHECK(p != NULL);
		}
		act_reply(msg, (uint64_t)(uintptr_t)p, n);
		break;
	}
	default:
		CHECK(!"kv: unknown message tag");
	}
	return ACT_CONTINUE;
}

static const act_behavior kv_behavior = {.name = "kv", .handle = kv_handle};

static wl_kv *kv_create(const wl_config *cfg)
{
	wl_kv *kv = calloc(1, sizeof *kv);
	if (!kv)
		return NULL;
	if (!wl_i_kvt_init_mode(&kv->st, CK_HT_WORKLOAD_DELETE)) {
		free(kv);
		errno = ENOMEM;
		return NULL;
	}
	act_options o = {.mailbox = NULL, .capacity = 0, .spin = -1};
	if (cfg)
		o = (act_options){.mailbox = cfg->mailbox, .capacity = cfg->capacity, .spin = cfg->spin, .pool = cfg->pool};
	kv->ref = act_spawn(&kv_behavior, &kv->st, &o); /* pthread_create publishes the table */
	if (!kv->ref.a) {
		int e = errno;
		wl_i_kvt_fini(&kv->st);
		free(kv);
		errno = e;
		return NULL;
	}
	return kv;
}

static void kv_destroy(wl_kv *kv)
{
	if (!kv)
		return;
	act_stop(kv->ref);
	CHECK_EQ(act_join(kv->ref), ACT_OK); /* join orders the actor's last writes before the free */
	act_release(kv->ref);
	wl_i_kvt_fini(&kv->st);
	free(kv);
}

static uint64_t kv_ask(wl_kv *kv, uint32_t tag, uint64_t key, uint64_t *b)
{
	mbx_msg req = {.tag = tag, .a = key}, rep;
	CHECK_EQ(act_ask(kv->ref, &req, &rep, WL_ASK_NS), ACT_OK);
	if (b)
		*b = rep.b;
	return rep.a;
}

static void kv_set(wl_kv *kv, uint64_t key, uint64_t value)
{
	mbx_msg m = {.tag = KV_SET, .a = key, .b = value};
	CHECK_EQ(act_send(kv->ref, &m), ACT_OK);
}

static int kv_get(wl_kv *kv, uint64_t key, uint64_t *value)
{
	uint64_t v;
	int r = (int)kv_ask(kv, KV_GET, key, &v);
	if (r == WL_OK && value)
		*value = v;
	return r;
}

static int kv_del(wl_kv *kv, uint64_t key) { return (int)kv_ask(kv, KV_DEL, key, NULL); }

static size_t kv_dump(wl_kv *kv, void (*fn)(uint64_t key, uint64_t value, void *ctx), void *ctx)
{
	uint64_t n;
	wl_i_kvpair *p = (wl_i_kvpair *)(uintptr_t)kv_ask(kv, KV_DUMP, 0, &n);
	CHECK(p != NULL);
	if (fn)
		for (uint64_t i = 0; i < n; i++)
			fn(p[i].key, p[i].value, ctx);
	free(p);
	return (size_t)n;
}

const kv_ops wl_actor_kv_ops = {
	.create = kv_create,
	.destroy = kv_destroy,
	.get = kv_get,
	.set = kv_set,
	.del = kv_del,
	.dump = kv_dump,
};
