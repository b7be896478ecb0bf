/* mc.h: the model checker's harness interface (verify/mc/README.md).
 *
 * A harness is a fixed set of model threads over some shared state: setup()
 * builds the state (outside the model), each thread runs thread(ctx, tid)
 * under the checker's scheduler, and check() is the final oracle, run after
 * every thread has exited (so after an implicit join). The checker runs the
 * harness once per schedule. Inside the threads, shared state is touched only
 * through mc_hooks.h (atomics, futexes, MC_RD/MC_WR for plain fields); a
 * failed oracle inside a thread calls mc_fail(). */
#ifndef MAILROOM_MC_H
#define MAILROOM_MC_H

#include <stdbool.h>
#include <stdint.h>

#include "mc_hooks.h"

enum { MC_MAX_THREADS = 8 };

typedef struct mc_harness {
	const char *name;
	const char *summary;
	int nthreads;
	void *(*setup)(void);
	void (*thread)(void *ctx, int tid);
	/* NULL = pass; else the oracle's complaint (a static or ctx-owned string) */
	const char *(*check)(void *ctx);
	void (*teardown)(void *ctx);
	int bound; /* default preemption bound for the exhaustive search */
} mc_harness;

/* The harness table (mc_harnesses.c); NULL-terminated. */
extern const mc_harness *const mc_harness_table[];

/* Failure kinds, as printed ("mc: FAIL <kind>"): oracle, data-race,
 * lost-wakeup, deadlock, livelock, nondeterminism. */
_Noreturn void mc_fail(const char *kind, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The running model thread's id, -1 outside the model. */
int mc_self(void);

#endif
