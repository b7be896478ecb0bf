/* mc_engine_i.h: the model checker's state and the engine's internal
 * calls, shared by mc_engine.c (memory, decisions, scheduling, store buffers,
 * the hooks) and mc_run.c (failures, model threads, executions, mc_run). */
#ifndef MAILROOM_MC_ENGINE_I_H
#define MAILROOM_MC_ENGINE_I_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "mc_engine.h"
#include "mc_schedule.h"

typedef uint32_t vclock[MC_MAX_THREADS];

enum { TS_RUN, TS_BLOCKED, TS_EXITED };
enum { SB_CAP = 4, MAX_OPT = 16, MAX_DECISIONS = MC_MAX_DECISIONS, MAP_CAP = 1 << 12 };

typedef struct sb_entry {
	volatile void *p;
	unsigned size;
	uint64_t v;
	vclock rel; /* the clock an acquirer of this value inherits */
	const char *site;
} sb_entry;

typedef struct mthread {
	pthread_t pt;
	_Atomic uint32_t go; /* the baton */
	int id, state;
	bool yielded;
	_Atomic uint32_t *fword; /* blocked in a futex wait on this word (NULL: joining `join`) */
	int join;
	void *(*fn)(void *); /* a thread made by MC_THREAD_CREATE runs fn(arg), else the harness's */
	void *arg;
	uint32_t fexp;
	bool ftimed;
	int fresult;
	const char *site; /* the last scheduling point */
	vclock C, F, A;   /* clock, clock at the last release fence, acquired-by-relaxed */
	sb_entry sb[SB_CAP];
	int nsb;
} mthread;

typedef struct frame {
	char kind; /* 't' thread, 'f' flush */
	uint8_t nopt, choice, pre;
	uint32_t costs, tried; /* bit i: option i costs a preemption / was explored */
	uint8_t val[MAX_OPT];  /* tid, or flush depth */
} frame;

/* a location's clock (atomics) or shadow (plain 8-byte granules) */
typedef struct loc {
	uintptr_t key;
	uint64_t gen;
	vclock R; /* atomic: release clock of the current value */
	/* plain: last write epoch, read clocks */
	int wtid;
	uint32_t wclk;
	const char *wsite;
	vclock rd;
	const char *rsite[MC_MAX_THREADS];
} loc;

typedef struct mc_state {
	mc_config cfg;
	const mc_harness *h;
	void *ctx;
	int n;
	mthread t[MC_MAX_THREADS];
	_Atomic uint32_t done; /* the driver sleeps on it during an execution */
	uint64_t gen, steps, execs, exec_steps_max;
	int pre; /* preemptions so far in this execution */
	int bound;
	/* decisions: the DFS stack, or the record of a random/replayed run */
	frame fr[MAX_DECISIONS];
	int depth, pos;
	/* PCT */
	uint64_t rng;
	int prio[MC_MAX_THREADS];
	uint64_t pct_k, pct_step, change[4];
	loc atom[MAP_CAP], plain[MAP_CAP];
} mc_state;

/* the one model-checking session of the process (mc_engine.c) */
extern mc_state mc;
/* the model thread the calling thread is, if any */
extern _Thread_local mthread *me_;

/* mc_engine.c, for mc_run.c: a thread waits for its baton; a ⊔= b; the
 * PCT/seed stream; the next DFS execution (false: the search is done);
 * who runs next (self: NULL when the caller is not a running thread);
 * hand the baton from self (NULL: the driver) to next and wait for it
 * back; a scheduling point; t's store buffer drained to memory. */
void mc_i_baton_wait(mthread *t);
void mc_i_vc_join(vclock a, const vclock b);
uint64_t mc_i_rnd(void);
bool mc_i_dfs_advance(void);
int mc_i_pick(mthread *self);
void mc_i_switch_to(mthread *self, int next);
void mc_i_point(mthread *t, const char *site);
void mc_i_drain(mthread *t);

#endif
