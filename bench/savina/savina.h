/* savina.h: what the Savina actor micro-benchmarks (Imam & Sarkar, "Savina -
 * An Actor Benchmark Suite", AGERE 2014) and the idle-actor footprint share,
 * one scenario per file in this folder. They use the actor API only, so one
 * definition runs in both modes (thread per actor, or tasks on the case's
 * pool) over every mailbox kind. Setup spawns the actors; one iteration of
 * body is one Savina run of the case's size (c->savina), started by a
 * message from the main thread (the driver), which then waits on a latch
 * that the run's last handler counts down. Every run checks its own result;
 * a handler that sees something wrong fails the case and opens the latch,
 * so the driver never waits for a run that cannot end. */
#ifndef MAILROOM_BENCH_SAVINA_H
#define MAILROOM_BENCH_SAVINA_H

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "actor.h"
#include "bench.h"

/* Every scenario context starts with an sv_base. */
typedef struct sv_base {
	bn_run *r;
	bn_latch done; /* body waits here for the end of a run */
	bool latch_inited;
	act_ref *ref;  /* the actors, in spawn order */
	uint32_t nref, cap;
	uint64_t iters; /* runs completed and checked */
} sv_base;

/* Fails the case from any thread and lets the driver go. */
void sv_fail(sv_base *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sv_bad_tag(sv_base *b, const char *who, const mbx_msg *m); /* sv_fail: an unexpected tag */
/* The watchdog's cancel (it has failed the case): the driver stops waiting. */
void sv_cancel(bn_run *r);

/* Room for `actors` handles; counts the threads (driver + one per actor in
 * thread mode). False (the case failed) when out of memory. */
bool sv_init(sv_base *b, bn_run *r, uint32_t actors);
/* Arms the latch for a run that ends after n count-downs, and waits for it
 * (false: the case failed). sv_run arms, sends the start message, waits. */
void sv_arm(sv_base *b, int64_t n);
bool sv_wait(sv_base *b);
bool sv_run(sv_base *b, act_ref to, const mbx_msg *start, int64_t n);

/* The smallest legal capacity (2: bounded kinds need >= 2, a power of two
 * where MBX_CAP_POW2); unbounded-only kinds run at their default (0). */
static inline uint32_t sv_small_cap(const mbx_ops *o) { return (o->caps & MBX_CAP_BOUNDED) ? 2 : 0; }
/* Spawns one actor over the case's mailbox kind and mode into b->ref. */
bool sv_spawn(sv_base *b, const act_behavior *beh, void *state, uint32_t cap);
/* Send from a handler or the driver; a failure fails the case. */
bool sv_send(sv_base *b, act_ref to, const mbx_msg *m, const char *what);

/* Stops and joins every actor; then actor i handled exactly `want` messages
 * (false and the case failed if not); release; release and free. */
void sv_stop_join(sv_base *b);
bool sv_check_handled(sv_base *b, uint32_t i, uint64_t want, const char *who);
uint64_t sv_handled_total(sv_base *b); /* messages all the actors handled */
void sv_release(sv_base *b);
void sv_free(sv_base *b);

/* An array of n actor states of `size` bytes, cache-line aligned and zeroed. */
void *sv_states(bn_run *r, size_t n, size_t size);

/* The resident set in bytes now; sv_rss_baseline first gives free pages
 * back to the system (see savina.c). False: the case failed. */
bool sv_rss_bytes(bn_run *r, int64_t *out);
bool sv_rss_baseline(bn_run *r, int64_t *out);

#endif
