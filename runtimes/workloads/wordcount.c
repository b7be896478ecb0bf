/* wordcount.c: one aggregator actor owns a ConcurrencyKit ck_ht keyed by
 * word (byte-string mode). add is an ask that returns the new count;
 * get_counts is an ask whose reply is a sorted heap copy of the table. */
#include <ck_ht.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "actor.h"
#include "baselines/kvtable.h" /* wl_i_ck_allocator */
#include "check.h"
#include "workload.h"


enum {
	WC_ADD = 1, /* ask: a = (const char *) word, b = length; reply a = new count */
	WC_GET,     /* ask: reply a = (wc_entry *) sorted copy (caller frees), b = count */
};

/* One word: the table's key points into it, the table's value is it. */
typedef struct wc_node {
	uint64_t count;
	uint16_t len;
	char word[];
} wc_node;

struct wl_wordcount {
	act_ref ref;
	ck_ht_t ht; /* touched by the actor only, then here after join */
};

static uint64_t wc_do_add(ck_ht_t *ht, const char *word, uint16_t len)
{
	ck_ht_hash_t h;
	ck_ht_entry_t e;
	ck_ht_hash(&h, ht, word, len);
	ck_ht_entry_key_set(&e, word, len);
	if (ck_ht_get_spmc(ht, h, &e)) {
		wc_node *n = ck_ht_entry_value(&e);
		return ++n->count;
	}
	wc_node *n = malloc(sizeof *n + (size_t)len + 1);
	CHECK(n != NULL);
	n->count = 1;
	n->len = len;
	memcpy(n->word, word, len); /* the caller's string lives only until our reply */
	n->word[len] = 0;
	ck_ht_entry_set(&e, h, n->word, len, n);
	CHECK(ck_ht_put_spmc(ht, h, &e)); /* absent (just looked); false = out of memory */
	return 1;
}

static int wc_cmp(const void *x, const void *y)
{
	return strcmp(((const wc_entry *)x)->word, ((const wc_entry *)y)->word);
}

static wc_entry *wc_do_copy(ck_ht_t *ht, size_t *count)
{
	size_t n = (size_t)ck_ht_count(ht), k = 0;
	wc_entry *out = calloc(n ? n : 1, sizeof *out);
	CHECK(out != NULL);
	ck_ht_iterator_t it = CK_HT_ITERATOR_INITIALIZER;
	ck_ht_entry_t *e;
	while (ck_ht_next(ht, &it, &e)) {
		wc_node *node = ck_ht_entry_value(e);
		CHECK_LT(k, n);
		out[k].word = strdup(node->word);
		CHECK(out[k].word != NULL);
		out[k].count = node->count;
		k++;
	}
	CHECK_EQ(k, n);
	qsort(out, n, sizeof *out, wc_cmp);
	*count = n;
	return out;
}

static act_result wc_handle(void *state, const mbx_msg *msg, act_ctx *ctx)
{
	(void)ctx;
	ck_ht_t *ht = state;
	switch (msg->tag) {
	case WC_ADD:
		/* The asker blocks until our reply, so its string is alive here; the
		 * push/pop release/acquire pair makes its bytes visible. */
		act_reply(msg, wc_do_add(ht, (const char *)(uintptr_t)msg->a, (uint16_t)msg->b), 0);
		break;
	case WC_GET: {
		size_t n;
		wc_entry *e = wc_do_copy(ht, &n);
		act_reply(msg, (uint64_t)(uintptr_t)e, n);
		break;
	}
	default:
		CHECK(!"wordcount: unknown message tag");
	}
	return ACT_CONTINUE;
}

static const act_behavior wc_behavior = {.name = "wordcount", .handle = wc_handle};

wl_wordcount *wordcount_create(const wl_config *cfg)
{
	wl_wordcount *w = calloc(1, sizeof *w);
	if (!w)
		return NULL;
	/* wl_i_ck_allocator frees at once: only the actor uses the table, so
	 * `defer` (delay a free for concurrent readers) never matters */
	if (!ck_ht_init(&w->ht, CK_HT_MODE_BYTESTRING, NULL, &wl_i_ck_allocator, 64, 0x776f7264636f756eull)) {
		free(w);
		errno = ENOMEM;
		return NULL;
	}
	act_options o = {.mailbox = NULL, .capacity = 0, .spin = -1};
	if (cfg)
		o = (act_options){.mailbox = cfg->mailbox, .capacity = cfg->capacity, .spin = cfg->spin, .pool = cfg->pool};
	w->ref = act_spawn(&wc_behavior, &w->ht, &o); /* pthread_create publishes the table */
	if (!w->ref.a) {
		int e = errno;
		ck_ht_destroy(&w->ht);
		free(w);
		errno = e;
		return NULL;
	}
	return w;
}

void wordcount_destroy(wl_wordcount *w)
{
	if (!w)
		return;
	act_stop(w->ref);
	CHECK_EQ(act_join(w->ref), ACT_OK); /* join orders the actor's writes before the frees */
	act_release(w->ref);
	ck_ht_iterator_t it = CK_HT_ITERATOR_INITIALIZER;
	ck_ht_entry_t *e;
	while (ck_ht_next(&w->ht, &it, &e))
		free(ck_ht_entry_value(e));
	ck_ht_destroy(&w->ht);
	free(w);
}

uint64_t wordcount_add(wl_wordcount *w, const char *word)
{
	size_t len = strlen(word);
	CHECK_LE(len, CK_HT_KEY_LENGTH); /* ck_ht keys carry a 16-bit length */
	mbx_msg req = {.tag = WC_ADD, .a = (uint64_t)(uintptr_t)word, .b = len}, rep;
	CHECK_EQ(act_ask(w->ref, &req, &rep, WL_ASK_NS), ACT_OK);
	return rep.a;
}

size_t wordcount_get_counts(wl_wordcount *w, wc_entry **out)
{
	mbx_msg req = {.tag = WC_GET}, rep;
	CHECK_EQ(act_ask(w->ref, &req, &rep, WL_ASK_NS), ACT_OK);
	*out = (wc_entry *)(uintptr_t)rep.a;
	return (size_t)rep.b;
}

void wordcount_free_counts(wc_entry *e, size_t n)
{
	if (!e)
		return;
	for (size_t i = 0; i < n; i++)
		free(e[i].word);
	free(e);
}
