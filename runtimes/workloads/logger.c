/* logger.c: W worker actors emit log records to one logger actor, which
 * buffers them and flushes to an in-memory sink every flush_every records and
 * once more in on_stop. The oracle is the sink: flushed == sent, per-worker
 * order kept, payloads intact. */
#include <stdint.h>
#include <stdlib.h>

#include "actor.h"
#include "check.h"
#include "mbx_sync.h"
#include "workload.h"

enum {
	LOG_START = 1, /* to a worker: emit your records */
	LOG_RECORD,    /* to the logger: sender = worker, seq = per-worker number, a = payload */
};

/* Payload word of record (worker, seq): a lost record plus a duplicate keeps
 * the count right; a mixed payload does not. */
static uint64_t log_payload(uint32_t worker, uint64_t seq)
{
	return mbx_mix64(((uint64_t)worker << 40) ^ seq);
}

typedef struct logger_state {
	mbx_msg *buf; /* flush_every records */
	uint32_t flush_every, used, workers;
	uint64_t *next_seq; /* sink: the seq expected next from each worker */
	uint64_t flushed, flushes;
	bool in_order;
} logger_state;

typedef struct worker_state {
	act_ref logger; /* borrowed: logger_run outlives every worker */
	uint32_t id;
	uint64_t records, sent;
} worker_state;

/* The "sink": checks and counts what a real logger would write out. */
static void logger_flush(logger_state *s)
{
	if (s->used == 0)
		return;
	for (uint32_t i = 0; i < s->used; i++) {
		const mbx_msg *r = &s->buf[i];
		CHECK_LT(r->sender, s->workers);
		CHECK_EQU(r->a, log_payload(r->sender, r->seq));
		if (r->seq != s->next_seq[r->sender])
			s->in_order = false;
		s->next_seq[r->sender] = r->seq + 1;
	}
	s->flushed += s->used;
	s->flushes++;
	s->used = 0;
}

static act_result logger_handle(void *state, const mbx_msg *msg, act_ctx *ctx)
{
	(void)ctx;
	logger_state *s = state;
	CHECK_EQ(msg->tag, LOG_RECORD);
	s->buf[s->used++] = *msg;
	if (s->used == s->flush_every)
		logger_flush(s);
	return ACT_CONTINUE;
}

/* After the drain: whatever is still buffered must reach the sink. */
static void logger_on_stop(void *state, act_ctx *ctx)
{
	(void)ctx;
	logger_flush(state);
}

static act_result worker_handle(void *state, const mbx_msg *msg, act_ctx *ctx)
{
	(void)ctx;
	worker_state *w = state;
	CHECK_EQ(msg->tag, LOG_START);
	for (uint64_t i = 0; i < w->records; i++) {
		mbx_msg r = {.tag = LOG_RECORD, .sender = w->id, .seq = i, .a = log_payload(w->id, i)};
		/* Blocks while the logger is full: backpressure. The logger sends to
		 * nobody, so this wait always ends. */
		CHECK_EQ(act_send(w->logger, &r), ACT_OK);
		w->sent++;
	}
	return ACT_CONTINUE;
}

static const act_behavior logger_behavior = {.name = "logger", .handle = logger_handle, .on_stop = logger_on_stop};
static const act_behavior worker_behavior = {.name = "log-worker", .handle = worker_handle};

logger_result logger_run(const wl_config *cfg, uint32_t workers, uint64_t records, uint32_t flush_every)
{
	CHECK_GT(flush_every, 0);
	act_options o = {.mailbox = NULL, .capacity = 0, .spin = -1};
	if (cfg)
		o = (act_options){.mailbox = cfg->mailbox, .capacity = cfg->capacity, .spin = cfg->spin, .pool = cfg->pool};

	logger_state ls = {.flush_every = flush_every, .workers = workers, .in_order = true};
	ls.buf = malloc(flush_every * sizeof *ls.buf);
	ls.next_seq = calloc(workers ? workers : 1, sizeof *ls.next_seq);
	worker_state *ws = calloc(workers ? workers : 1, sizeof *ws);
	act_ref *wr = calloc(workers ? workers : 1, sizeof *wr);
	CHECK(ls.buf && ls.next_seq && ws && wr);

	act_ref logger = act_spawn(&logger_behavior, &ls, &o);
	CHECK(logger.a != NULL);
	for (uint32_t i = 0; i < workers; i++) {
		ws[i] = (worker_state){.logger = logger, .id = i, .records = records};
		wr[i] = act_spawn(&worker_behavior, &ws[i], &o);
		CHECK(wr[i].a != NULL);
	}
	for (uint32_t i = 0; i < workers; i++) {
		mbx_msg go = {.tag = LOG_START};
		CHECK_EQ(act_send(wr[i], &go), ACT_OK);
	}

	/* Shutdown order. A stopped worker still handles its queued START, so
	 * joining it means all its records were pushed; only then is the logger
	 * stopped, and those pushes, having returned before its close, are
	 * queued ahead of it and drained before on_stop's final flush. */
	for (uint32_t i = 0; i < workers; i++)
		CHECK_EQ(act_stop(wr[i]), ACT_OK);
	for (uint32_t i = 0; i < workers; i++) {
		CHECK_EQ(act_join(wr[i]), ACT_OK);
		act_release(wr[i]);
	}
	CHECK_EQ(act_stop(logger), ACT_OK);
	CHECK_EQ(act_join(logger), ACT_OK); /* orders the logger's writes to ls before our reads */
	act_release(logger);

	logger_result res = {.flushed = ls.flushed, .flushes = ls.flushes, .in_order = ls.in_order};
	for (uint32_t i = 0; i < workers; i++) {
		res.sent += ws[i].sent;
		if (ls.next_seq[i] != ws[i].sent) /* the last record of each worker reached the sink */
			res.in_order = false;
	}
	free(ls.buf);
	free(ls.next_seq);
	free(ws);
	free(wr);
	return res;
}
