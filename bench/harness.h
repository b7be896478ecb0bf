/* harness.h: what the C harness offers the Google Benchmark shim (shim.cc),
 * which sits on top of it: the shim registers the cases bn_enumerate builds
 * and drives each run through bn_run_begin/body/end; the C side never calls
 * into C++ (callbacks only through the function pointers it is given).
 * C++-safe on purpose (no _Atomic, no _Static_assert): shim.cc includes only this. */
#ifndef MAILROOM_BENCH_HARNESS_H
#define MAILROOM_BENCH_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bn_case bn_case; /* bench.h */
typedef struct bn_run bn_run;   /* bench.h */

const char *bn_case_name(const bn_case *c);
bool bn_case_manual_time(const bn_case *c);

/* Builds every case in C (quick values always; --full-only values when
 * full) and hands each to add(), which registers it. The cases live until
 * the process exits. */
void bn_enumerate(bool full, void (*add)(const bn_case *c, void *arg), void *arg);

/* What a run reports: an error, or its items, counters and label. */
#define BN_MAX_COUNTERS 32
typedef struct bn_outcome {
	char error[256]; /* not empty: the case failed its own check (the message names it) */
	bool ran;        /* body ran: items, counters and label are meaningful */
	int64_t items;
	int ncounters;
	struct {
		char name[64];
		double value;
	} counter[BN_MAX_COUNTERS];
	char label[128];
} bn_outcome;

/* One run of a case, the generic loop behind every benchmark, in three steps
 * that the shim brackets with its timed region:
 *   bn_run_begin  untimed: the run's state, the pool (mode:pool), the scenario's
 *                 setup; NULL only when out of memory for the run itself;
 *   bn_run_body   timed, once, only when bn_run_ready: the scenario's body over
 *                 all n iterations under a watchdog; returns the seconds the
 *                 scenario measured itself (manual-time cases), else 0;
 *   bn_run_end    untimed: finish (even after a failure), the outcome, free. */
bn_run *bn_run_begin(const bn_case *c, int64_t n);
bool bn_run_ready(const bn_run *r); /* set up without a failure */
double bn_run_body(bn_run *r);
void bn_run_end(bn_run *r, const bn_case *c, bn_outcome *out);

bool bn_full_from_env(const char *prog); /* MAILROOM_BENCH_FULL; exits 2 on a bad value */
void bn_init(void);                      /* call first: records the CPU set */
void bn_context(void (*add)(const char *key, const char *value, void *arg), void *arg);
void bn_print_help(void);                /* our part of --help */
/* Flags Google Benchmark would take and then abort on (a C++ CHECK):
 * --benchmark_repetitions=V must be 1..10^6 in base 10; else one line, exit 2. */
void bn_check_args(int argc, char **argv);

#ifdef __cplusplus
}
#endif

#endif
