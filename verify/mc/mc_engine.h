/* mc_engine.h: the model checker's driver interface (mc_engine.c). */
#ifndef MAILROOM_MC_ENGINE_H
#define MAILROOM_MC_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "mc.h"

enum { MC_SC, MC_TSO };
enum { MC_DFS, MC_PCT, MC_REPLAY };
enum { MC_MAX_BOUND = 8 };

typedef struct mc_config {
	int mode;   /* MC_SC or MC_TSO */
	int search; /* MC_DFS, MC_PCT or MC_REPLAY (after mc_parse_schedule) */
	int bound;  /* DFS: preemption bound, 0 .. MC_MAX_BOUND */
	uint64_t max_execs; /* DFS: stop after this many (0 = none; the verdict says so) */
	uint64_t max_steps; /* per execution: beyond it, livelock or bound */
	uint64_t seed, runs; /* PCT */
	int pct_depth;       /* PCT's d: 1 .. 4 */
	bool strict_futex;   /* no happens-before edge from futex wake to the woken */
} mc_config;

typedef struct mc_result {
	uint64_t execs, max_steps;
	uint64_t per_bound[MC_MAX_BOUND + 1];
	bool truncated;
} mc_result;

/* Explores h; returns only when no failure was found (a failure prints its
 * report and schedule and exits: 1, or with `expect` 0 iff its kind is it). */
mc_result mc_run(const mc_harness *h, const mc_config *cfg, const char *expect);

/* Parses "MC1:HARNESS:sc|tso:pb=N:decisions", decisions as t<tid> (run a
 * thread) or f<k> (flush through a buffer entry), "x<n>" repeating, "." between for MC_REPLAY: 0, or -1. */
int mc_parse_schedule(const char *s, const char **harness, int *mode, int *bound);

#endif
