/* actor_only.c: the workloads only the actor backend offers: wordcount
 * (exact counts, sorted, by content), logger (ordered, nothing lost at
 * stop) and broadcast (every subscriber gets every message). */
#include <inttypes.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "wltest.h"

enum { WC_VOCAB = 64, WC_CLIENTS = 4 };
typedef struct wc_client {
	tctx *t;
	wl_wordcount *w;
	char (*vocab)[24];
	uint32_t id;
	uint64_t mine[WC_VOCAB];
} wc_client;

static void *wc_client_main(void *p)
{
	wc_client *c = p;
	v_rng r = {c->t->seed ^ ((uint64_t)c->id << 48)};
	uint64_t ops = 4000 / V_SCALE;
	for (uint64_t i = 0; i < ops; i++) {
		uint32_t k =
		    (uint32_t)v_below(&r, WC_VOCAB / 2 + c->id * 8); /* some words stay unused by some */
		uint64_t n = wordcount_add(c->w, c->vocab[k]);
		c->mine[k]++;
		CHECK_GE(n, c->mine[k]); /* counts every add of ours, and maybe others' */
		v_tick(&c->t->wd);
	}
	return NULL;
}

void t_wordcount(tctx *t)
{
	wl_wordcount *w = wordcount_create(&t->cfg);
	CHECK(w != NULL);
	wc_entry *e;
	size_t n = wordcount_get_counts(w, &e);
	CHECK_EQ(n, 0);
	wordcount_free_counts(e, n);
	CHECK_EQU(wordcount_add(w, "apple"), 1);
	CHECK_EQU(wordcount_add(w, "apple"), 2);
	CHECK_EQU(wordcount_add(w, "banana"), 1);
	CHECK_EQU(wordcount_add(w, ""), 1);
	char *longw = malloc(3001);
	CHECK(longw != NULL);
	memset(longw, 'z', 3000);
	longw[3000] = 0;
	CHECK_EQU(wordcount_add(w, longw), 1);
	char buf[8] = "apple"; /* same bytes, other address: keys are compared by content */
	CHECK_EQU(wordcount_add(w, buf), 3);
	n = wordcount_get_counts(w, &e);
	CHECK_EQ(n, 4);
	CHECK(!strcmp(e[0].word, ""));
	CHECK_EQU(e[0].count, 1);
	CHECK(!strcmp(e[1].word, "apple"));
	CHECK_EQU(e[1].count, 3);
	CHECK(!strcmp(e[2].word, "banana"));
	CHECK_EQU(e[2].count, 1);
	CHECK(!strcmp(e[3].word, longw));
	CHECK_EQU(e[3].count, 1);
	wordcount_free_counts(e, n);
	free(longw);
	wordcount_destroy(w);
	v_tick(&t->wd);

	/* concurrent clients over a seeded vocabulary */
	w = wordcount_create(&t->cfg);
	CHECK(w != NULL);
	char(*vocab)[24] = calloc(WC_VOCAB, sizeof *vocab);
	CHECK(vocab != NULL);
	v_rng r = {t->seed};
	for (uint32_t i = 0; i < WC_VOCAB; i++) { /* the index prefix keeps them distinct */
		uint64_t bits = v_next(&r);
		bits >>= v_below(&r, 60); /* varied lengths */
		snprintf(vocab[i], sizeof vocab[i], "%02u%" PRIx64, i, bits);
	}
	wc_client *c = calloc(WC_CLIENTS, sizeof *c);
	CHECK(c != NULL);
	for (uint32_t i = 0; i < WC_CLIENTS; i++) {
		c[i].t = t;
		c[i].w = w;
		c[i].vocab = vocab;
		c[i].id = i;
	}
	run_threads(WC_CLIENTS, wc_client_main, c, sizeof c[0]);
	n = wordcount_get_counts(w, &e);
	size_t used = 0;
	for (uint32_t k = 0; k < WC_VOCAB; k++) {
		uint64_t want = 0;
		for (uint32_t i = 0; i < WC_CLIENTS; i++)
			want += c[i].mine[k];
		if (!want)
			continue;
		used++;
		wc_entry *hit = NULL;
		for (size_t j = 0; j < n && !hit; j++)
			if (!strcmp(e[j].word, vocab[k]))
				hit = &e[j];
		CHECK(hit != NULL);
		CHECK_EQU(hit->count, want);
	}
	CHECK_EQ(n, used); /* nothing that was never added */
	for (size_t j = 1; j < n; j++)
		CHECK_LT(strcmp(e[j - 1].word, e[j].word), 0); /* sorted, no duplicates */
	wordcount_free_counts(e, n);
	free(c);
	free(vocab);
	wordcount_destroy(w);
}

static void check_logger(tctx *t, uint32_t workers, uint64_t records, uint32_t flush_every)
{
	logger_result r = logger_run(&t->cfg, workers, records, flush_every);
	uint64_t sent = (uint64_t)workers * records;
	printf("  logger W=%u records=%" PRIu64 " flush_every=%u: sent %" PRIu64 " flushed %" PRIu64
	       " in %" PRIu64 " flushes\n",
	       workers, records, flush_every, r.sent, r.flushed, r.flushes);
	CHECK_EQU(r.sent, sent);
	CHECK_EQU(r.flushed, r.sent); /* the drain on stop lost nothing */
	CHECK(r.in_order);
	/* full buffers flush as they fill; the remainder only in on_stop */
	CHECK_EQU(r.flushes, sent / flush_every + (sent % flush_every != 0));
	v_tick(&t->wd);
}

void t_logger(tctx *t)
{
	check_logger(t, 4, 10000 / V_SCALE, 64);
	check_logger(t, 3, 500, 1507); /* only the on_stop flush */
	check_logger(t, 2, 100, 1);
}

static void check_broadcast(tctx *t, uint32_t m, uint64_t messages)
{
	uint64_t delivered = 0;
	bool ok = broadcast_run(&t->cfg, m, messages, &delivered);
	printf("  broadcast M=%u messages=%" PRIu64 ": delivered %" PRIu64 "\n", m, messages, delivered);
	CHECK(ok);
	CHECK_EQU(delivered, (uint64_t)m * messages);
	v_tick(&t->wd);
}

void t_broadcast(tctx *t)
{
	check_broadcast(t, 8, 10000 / V_SCALE);
	check_broadcast(t, 1, 1);
	check_broadcast(t, 3, 0);
}
