/* shim.h: the boundary between shim.cc (C++, Google Benchmark) and the C
 * harness. C++-safe on purpose (no _Atomic, no _Static_assert): shim.cc
 * includes only this. */
#ifndef MAILROOM_BENCH_SHIM_H
#define MAILROOM_BENCH_SHIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the C API over benchmark::State (implemented in shim.cc) ---- */
typedef struct bn_state bn_state; /* a benchmark::State, opaque to C */

/* Counter flags; the shim maps each to benchmark::Counter's flag of the same
 * meaning (kIsRate: divided by the run's time, i.e. "per second"). */
enum {
	BN_CTR_DEFAULT = 0,
	BN_CTR_RATE = 1u << 0,           /* kIsRate */
	BN_CTR_AVG_ITERATIONS = 1u << 1, /* kAvgIterations: divided by the iteration count */
	BN_CTR_INVERT = 1u << 2,         /* kInvert: 1/x (with RATE: seconds per item) */
};

bool bn_keep_running(bn_state *s);                  /* State::KeepRunning */
bool bn_keep_running_batch(bn_state *s, int64_t n); /* State::KeepRunningBatch */
int64_t bn_max_iterations(bn_state *s);             /* State::max_iterations */
int64_t bn_range(bn_state *s, size_t i);            /* State::range (our params travel in bn_case) */
void bn_set_items_processed(bn_state *s, int64_t items);
void bn_counter(bn_state *s, const char *name, double value, unsigned flags);
void bn_skip_with_error(bn_state *s, const char *msg); /* also makes the process exit 1 */
bool bn_error_occurred(bn_state *s);
void bn_pause_timing(bn_state *s);
void bn_resume_timing(bn_state *s);
void bn_set_iteration_time(bn_state *s, double seconds); /* manual-time cases */
void bn_set_label(bn_state *s, const char *label);
bool bn_any_failed(void); /* some case called bn_skip_with_error */

/* ---- what the shim needs from the C side (harness.c, enumerate.c) ---- */
typedef struct bn_case bn_case; /* bench.h */
const char *bn_case_name(const bn_case *c);
bool bn_case_manual_time(const bn_case *c);

/* Builds every case in C (quick values always; --full-only values when
 * full) and hands each to add(), which registers it. The cases live until
 * the process exits. */
void bn_enumerate(bool full, void (*add)(const bn_case *c, void *arg), void *arg);
/* Runs one case: the generic timed loop behind every benchmark. */
void bn_run_case(bn_state *st, const bn_case *c);

bool bn_full_from_env(const char *prog); /* MAILROOM_BENCH_FULL; exits 2 on a bad value */
void bn_init(void);                      /* call first: records the CPU set */
void bn_context(void (*add)(const char *key, const char *value, void *arg), void *arg);
void bn_print_help(void);                /* our part of --help */

#ifdef __cplusplus
}
#endif

#endif
