/* savina.c: the helpers the Savina scenarios and memory_idle share
 * (savina.h): the run latch, spawning, sending, joining and checking actors,
 * and reading the resident set. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "savina.h"

void sv_fail(sv_base *b, const char *fmt, ...)
{
	char msg[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	bn_fail(b->r, "%s", msg);
	if (b->latch_inited) {
		pthread_mutex_lock(&b->done.mu);
		b->done.count = 0;
		pthread_cond_broadcast(&b->done.cv);
		pthread_mutex_unlock(&b->done.mu);
	}
}

/* The watchdog's cancel (it has failed the case): the driver stops waiting. */
void sv_cancel(bn_run *r)
{
	sv_base *b = r->ctx;
	if (b->r)
		sv_fail(b, "cancelled by the watchdog");
}

bool sv_init(sv_base *b, bn_run *r, uint32_t actors)
{
	b->r = r;
	bn_latch_init(&b->done, 0);
	b->latch_inited = true;
	b->cap = actors;
	b->ref = calloc(actors ? actors : 1, sizeof *b->ref);
	if (!b->ref) {
		bn_fail(r, "out of memory for %u actor handles", (unsigned)actors);
		return false;
	}
	r->threads = 1 + (r->pool ? 0 : actors); /* the driver, and a thread per actor */
	return true;
}

/* Arms the latch for a run that ends after n count-downs. Under the lock:
 * a failure (sv_fail) that came first leaves it open, so wait returns. */
void sv_arm(sv_base *b, int64_t n)
{
	pthread_mutex_lock(&b->done.mu);
	b->done.count = bn_failed(b->r) ? 0 : n;
	pthread_mutex_unlock(&b->done.mu);
}

bool sv_wait(sv_base *b)
{
	bn_latch_wait(&b->done);
	return !bn_failed(b->r);
}

static act_options sv_options(const bn_run *r, uint32_t cap)
{
	return (act_options){.mailbox = r->c->mbx, .capacity = cap, .spin = -1, .pool = r->pool};
}

bool sv_spawn(sv_base *b, const act_behavior *beh, void *state, uint32_t cap)
{
	if (b->nref >= b->cap) {
		bn_fail(b->r, "spawn %u of %u: no handle slot", (unsigned)b->nref + 1, (unsigned)b->cap);
		return false;
	}
	act_options o = sv_options(b->r, cap);
	act_ref a = act_spawn(beh, state, &o);
	if (!a.a) {
		bn_fail(b->r, "act_spawn %u (%s over %s, %s): %s", (unsigned)b->nref, beh->name, b->r->c->mbx->name,
		        b->r->pool ? "pooled" : "thread", strerror(errno));
		return false;
	}
	b->ref[b->nref++] = a;
	return true;
}

/* Send from a handler or the driver; a failure fails the case. */
bool sv_send(sv_base *b, act_ref to, const mbx_msg *m, const char *what)
{
	int e = act_send(to, m);
	if (e == ACT_OK)
		return true;
	sv_fail(b, "%s: act_send: %s", what, act_strerror(e));
	return false;
}

/* One run: arm for n count-downs, send the start message, wait. */
bool sv_run(sv_base *b, act_ref to, const mbx_msg *start, int64_t n)
{
	sv_arm(b, n);
	if (!sv_send(b, to, start, "start"))
		return false;
	return sv_wait(b);
}

/* Stops and joins every actor (self-stopped ones answer EALREADY). */
void sv_stop_join(sv_base *b)
{
	for (uint32_t i = 0; i < b->nref; i++)
		(void)act_stop(b->ref[i]); /* ACT_OK, or ACT_EALREADY: stopping anyway */
	for (uint32_t i = 0; i < b->nref; i++) {
		int e = act_join(b->ref[i]);
		if (e != ACT_OK)
			bn_fail(b->r, "act_join of actor %u: %s", (unsigned)i, act_strerror(e));
	}
}

/* After sv_stop_join: actor i handled exactly `want` messages. */
bool sv_check_handled(sv_base *b, uint32_t i, uint64_t want, const char *who)
{
	uint64_t got = act_get_stats(b->ref[i]).handled;
	if (got == want)
		return true;
	bn_fail(b->r, "%s %u handled %" PRIu64 " messages, expected %" PRIu64, who, (unsigned)i, got, want);
	return false;
}

uint64_t sv_handled_total(sv_base *b)
{
	uint64_t sum = 0;
	for (uint32_t i = 0; i < b->nref; i++)
		sum += act_get_stats(b->ref[i]).handled;
	return sum;
}

void sv_release(sv_base *b)
{
	for (uint32_t i = 0; i < b->nref; i++)
		act_release(b->ref[i]);
	b->nref = 0;
}

void sv_free(sv_base *b)
{
	sv_release(b);
	free(b->ref);
	b->ref = NULL;
	if (b->latch_inited)
		bn_latch_destroy(&b->done);
	b->latch_inited = false;
}

/* An array of actor states, cache-line aligned: the state types that actors
 * on different threads write align themselves to a line (no false sharing). */
void *sv_states(bn_run *r, size_t n, size_t size)
{
	size_t bytes = (n ? n : 1) * size;
	void *p = aligned_alloc(MBX_CACHELINE, (bytes + MBX_CACHELINE - 1) / MBX_CACHELINE * MBX_CACHELINE);
	if (!p)
		bn_fail(r, "out of memory for %zu actor states", n);
	else
		memset(p, 0, bytes); /* touched now: not counted as growth by the memory scenarios */
	return p;
}

void sv_bad_tag(sv_base *b, const char *who, const mbx_msg *m)
{
	sv_fail(b, "%s: unexpected message tag %u", who, (unsigned)m->tag);
}

/* ---- resident memory, for the creation and idle scenarios ----
 * The current resident set, from /proc/self/statm (its second field, in
 * pages): the difference between two reads is what a run made resident.
 * Not getrusage's ru_maxrss: that is the peak since the process started,
 * so once an earlier case has peaked higher it no longer moves. Before the
 * first read the allocator gives its free pages back (malloc_trim), so
 * memory that earlier runs freed, still resident, does not hide this run's
 * growth. Thread stacks that glibc caches for reuse are not given back:
 * in thread mode the growth after the first run undercounts the stacks. */
bool sv_rss_bytes(bn_run *r, int64_t *out)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long long size = 0, resident = 0;
	int got = f ? fscanf(f, "%lld %lld", &size, &resident) : 0;
	if (f)
		fclose(f);
	if (got != 2) {
		bn_fail(r, "cannot read the resident set from /proc/self/statm");
		return false;
	}
	*out = (int64_t)resident * (int64_t)sysconf(_SC_PAGESIZE);
	return true;
}

bool sv_rss_baseline(bn_run *r, int64_t *out)
{
#ifdef __GLIBC__
	malloc_trim(0);
#endif
	return sv_rss_bytes(r, out);
}
