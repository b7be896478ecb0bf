/* kv.c: the actor key-value store: one actor owns a ConcurrencyKit ck_ht
 * (direct mode, uint64 -> uint64). set is a send; get, del and dump are asks
 * (dump replies with a heap snapshot the caller walks and frees). */
#include <ck_ht.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "actor.h"
#include "check.h"
#include "workload.h"

#define KV_ASK_NS (30LL * 1000000000LL) /* a hang becomes a CHECK failure */

enum {
	KV_SET = 1, /* send: a = key, b = value */
	KV_GET,     /* ask: reply a = WL_OK / WL_NOTFOUND, b = value */
	KV_DEL,     /* ask: reply a = WL_OK / WL_NOTFOUND */
	KV_DUMP,    /* ask: reply a = (kv_pair *) snapshot (caller frees), b = count */
};

typedef struct kv_pair { uint64_t key, value; } kv_pair;

/* The actor's state. ck_ht's direct mode reserves key 0 (empty slot) and
 * ~0 (tombstone); those two keys live in the side slots below so the store
 * accepts every uint64 key like the shared-state baselines. */
typedef struct kv_state {
	ck_ht_t ht;
	bool has_zero, has_max;
	uint64_t zero_val, max_val;
} kv_state;

struct wl_kv {
	act_ref ref;
	kv_state st; /* touched by the actor only, then here after join */
};

/* ck_ht's allocator hooks. `defer` asks to delay frees for concurrent
 * readers; the table has one thread (the actor), so frees are immediate. */
static void *kv_malloc(size_t n) { return malloc(n); }
static void *kv_realloc(void *p, size_t old, size_t n, bool defer)
{
	(void)old;
	(void)defer;
	return realloc(p, n);
}
static void kv_free(void *p, size_t n, bool defer)
{
	(void)n;
	(void)defer;
	free(p);
}
static struct ck_malloc kv_allocator = {.malloc = kv_malloc, .realloc = kv_realloc, .free = kv_free};

static bool side_slot(kv_state *s, uint64_t key, bool **has, uint64_t **val)
{
	if (key == CK_HT_KEY_EMPTY) {
		*has = &s->has_zero;
		*val = &s->zero_val;
		return true;
	}
	if (key == CK_HT_KEY_TOMBSTONE) {
		*has = &s->has_max;
		*val = &s->max_val;
		return true;
	}
	return false;
}

static void kv_do_set(kv_state *s, uint64_t key, uint64_t value)
{
	bool *has;
	uint64_t *val;
	if (side_slot(s, key, &has, &val)) {
		*has = true;
		*val = value;
		return;
	}
	ck_ht_hash_t h;
	ck_ht_entry_t e;
	ck_ht_hash_direct(&h, &s->ht, key);
	ck_ht_entry_set_direct(&e, h, key, value);
	CHECK(ck_ht_set_spmc(&s->ht, h, &e)); /* false only when growing fails (out of memory) */
}

static int kv_do_get(kv_state *s, uint64_t key, uint64_t *value)
{
	bool *has;
	uint64_t *val;
	if (side_slot(s, key, &has, &val)) {
		*value = *val;
		return *has ? WL_OK : WL_NOTFOUND;
	}
	ck_ht_hash_t h;
	ck_ht_entry_t e;
	ck_ht_hash_direct(&h, &s->ht, key);
	ck_ht_entry_key_set_direct(&e, key);
	if (!ck_ht_get_spmc(&s->ht, h, &e))
		return WL_NOTFOUND;
	*value = ck_ht_entry_value_direct(&e);
	return WL_OK;
}

static int kv_do_del(kv_state *s, uint64_t key)
{
	bool *has;
	uint64_t *val;
	if (side_slot(s, key, &has, &val)) {
		bool was = *has;
		*has = false;
		return was ? WL_OK : WL_NOTFOUND;
	}
	ck_ht_hash_t h;
	ck_ht_entry_t e;
	ck_ht_hash_direct(&h, &s->ht, key);
	ck_ht_entry_key_set_direct(&e, key);
	return ck_ht_remove_spmc(&s->ht, h, &e) ? WL_OK : WL_NOTFOUND;
}

static kv_pair *kv_do_snapshot(kv_state *s, size_t *count)
{
	size_t n = (size_t)ck_ht_count(&s->ht) + s->has_zero + s->has_max, k = 0;
	kv_pair *p = malloc((n ? n : 1) * sizeof *p);
	CHECK(p != NULL);
	if (s->has_zero)
		p[k++] = (kv_pair){0, s->zero_val};
	if (s->has_max)
		p[k++] = (kv_pair){UINT64_MAX, s->max_val};
	ck_ht_iterator_t it = CK_HT_ITERATOR_INITIALIZER;
	ck_ht_entry_t *e;
	while (ck_ht_next(&s->ht, &it, &e)) {
		CHECK_LT(k, n);
		p[k++] = (kv_pair){ck_ht_entry_key_direct(e), ck_ht_entry_value_direct(e)};
	}
	CHECK_EQ(k, n);
	*count = n;
	return p;
}

static act_result kv_handle(void *state, const mbx_msg *msg, act_ctx *ctx)
{
	(void)ctx;
	kv_state *s = state;
	switch (msg->tag) {
	case KV_SET:
		kv_do_set(s, msg->a, msg->b);
		break;
	case KV_GET: {
		uint64_t v = 0;
		int r = kv_do_get(s, msg->a, &v);
		act_reply(msg, (uint64_t)r, v);
		break;
	}
	case KV_DEL:
		act_reply(msg, (uint64_t)kv_do_del(s, msg->a), 0);
		break;
	case KV_DUMP: {
		/* The snapshot is built here, between two messages, so it is
		 * consistent; the reply's release/acquire hand-off publishes it. */
		size_t n;
		kv_pair *p = kv_do_snapshot(s, &n);
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
	if (!ck_ht_init(&kv->st.ht, CK_HT_MODE_DIRECT | CK_HT_WORKLOAD_DELETE, NULL, &kv_allocator, 64,
	                0x6d61696c726f6f6dull)) {
		free(kv);
		errno = ENOMEM;
		return NULL;
	}
	act_options o = {.mailbox = NULL, .capacity = 0, .spin = -1};
	if (cfg)
		o = (act_options){.mailbox = cfg->mailbox, .capacity = cfg->capacity, .spin = cfg->spin};
	kv->ref = act_spawn(&kv_behavior, &kv->st, &o); /* pthread_create publishes the table */
	if (!kv->ref.a) {
		int e = errno;
		ck_ht_destroy(&kv->st.ht);
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
	ck_ht_destroy(&kv->st.ht);
	free(kv);
}

static uint64_t kv_ask(wl_kv *kv, uint32_t tag, uint64_t key, uint64_t *b)
{
	mbx_msg req = {.tag = tag, .a = key}, rep;
	CHECK_EQ(act_ask(kv->ref, &req, &rep, KV_ASK_NS), ACT_OK);
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
	kv_pair *p = (kv_pair *)(uintptr_t)kv_ask(kv, KV_DUMP, 0, &n);
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
