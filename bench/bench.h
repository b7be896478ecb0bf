/* bench.h: the C side of mailroom-bench: case and scenario types, the run
 * that the one generic loop (harness.c's bn_run_begin/body/end) hands every
 * scenario, and the helpers scenarios share. What the Google Benchmark shim
 * on top may call is in harness.h. */
#ifndef MAILROOM_BENCH_H
#define MAILROOM_BENCH_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>

#include "hist.h"
#include "harness.h"
#include "mailbox.h"
#include "mbx_sync.h"
#include "workload.h"

/* ---- cases and scenarios ---- */
typedef struct bn_run bn_run;

/* One scenario = three C functions, written once and parametrised by the
 * case (mailbox ops, backend, sweep values). bn_run_begin calls setup (untimed),
 * body once inside the timed region with the run's whole iteration count
 * r->n, and finish (untimed: stop threads, check, free) even when setup or
 * body failed. Failures go through bn_fail, never assert/abort.
 * cancel (optional) is the watchdog's: called from another thread when body
 * has run BN_WATCHDOG_S seconds, after bn_fail; it must make body return
 * soon (close the scenario's mailboxes, raise a stop flag). Scenarios whose
 * loops poll bn_failed need none. */
typedef struct bn_scenario {
	const char *name;
	size_t ctx_size; /* scenario state, zeroed by the harness, in r->ctx */
	bool manual_time; /* body adds to r->manual_ns; reported as the time */
	void (*setup)(bn_run *r);
	void (*body)(bn_run *r);
	void (*finish)(bn_run *r);
	void (*cancel)(bn_run *r);
} bn_scenario;

/* A run whose body takes longer than this has stopped making progress (or
 * crawls, e.g. spinning producers starving the consumer): it fails. */
#define BN_WATCHDOG_S 60

enum { BN_PIN_NONE = 0, BN_PIN_SAME, BN_PIN_DIFF };
enum { BN_CALL_DIRECT = 0, BN_CALL_TABLE };
enum { BN_PROBE_SPIN = 0, BN_PROBE_FUTEX };
enum { BN_SLOT_FUTEX = 0, BN_SLOT_CONDVAR, BN_SLOT_CONDVAR_SPIN }; /* oneshot's reply slots */
/* fanin's wait strategy: the kind's own (no name part: spin, [yield,] park),
 * wait:park (spin budget 0: park at once), wait:noyield (MBX_CAP_YIELD
 * kinds: spin, then park, no yield phase) */
enum { BN_WAIT_OWN = 0, BN_WAIT_PARK, BN_WAIT_NOYIELD };
/* Execution mode of the case's actors (actor.h): a thread per actor, or
 * tasks on one act_pool that the harness creates around setup..finish. */
enum { BN_MODE_THREAD = 0, BN_MODE_POOL };
#define BN_CAP_NONE MBX_UNBOUNDED /* "cap:none": the kind runs unbounded */
#define BN_GAP_PARKED (-1)        /* idle_wakeup "gap:parked": wait until the consumer sleeps */

/* A registered benchmark: its name and everything its scenario needs. The
 * parameters are one named member per scenario, each read only by its own
 * scenario (zero in every other case). */
#define BN_MAX_CASES 2048
struct bn_case {
	char name[160];
	uint32_t id; /* its index among the registered cases */
	const bn_scenario *sc;
	const mbx_ops *mbx;        /* mailbox kind (mailbox/actor scenarios, actor backend) */
	const wl_backend *backend; /* bank/counter/kv */
	int mode;                  /* BN_MODE_* (bank/counter/kv, savina_*, memory_idle) */
	struct {
		int pin; /* BN_PIN_* */
	} pingpong;
	struct {
		uint32_t producers, cap; /* cap: a capacity or BN_CAP_NONE */
		int wait; /* BN_WAIT_*: the wait strategy (the wait: name part) */
	} fanin;
	struct {
		uint32_t producers, cap; /* fanin_actors: producer actors; the consumer's capacity or BN_CAP_NONE */
	} fanin_actors;
	struct {
		uint32_t cap, size; /* messages per burst */
	} burst;
	struct {
		int32_t spin;   /* the consumer's spin budget; -1: the kind's default */
		int64_t gap_ns; /* idle time before each message; BN_GAP_PARKED: until parked */
	} idle_wakeup;
	struct {
		uint32_t accounts, clients;
		bool client_actors; /* the clients are actors too (clients_as:actors) */
	} bank;
	struct {
		uint32_t clients;
	} counter;
	struct {
		uint32_t read_pct, clients;
	} kv;
	struct {
		int probe; /* BN_PROBE_* */
	} limit;
	struct {
		int call; /* BN_CALL_* */
	} vtable;
	struct {
		uint32_t crash_every; /* crash-laden stream: the child crashes on every k-th message */
	} supervision;
	struct {
		int slot; /* BN_SLOT_* */
	} oneshot;
	struct {
		uint32_t actors, size; /* savina_* and memory_idle: actors, and one run's size */
	} savina;
	struct {
		uint32_t load_pct; /* offered rate: % of the kind's measured peak */
	} openloop;
};

/* ---- one run of one case ---- */
typedef struct bn_err {
	_Atomic int set; /* a hint for loops that bail out; msg is read under mu */
	pthread_mutex_t mu;
	char msg[256];
} bn_err;

struct bn_run {
	const bn_case *c;
	void *ctx;        /* scenario state (ctx_size bytes, zeroed) */
	int64_t n;        /* iterations in this run */
	int64_t items;    /* items processed (n unless body says otherwise) */
	int64_t manual_ns; /* manual-time scenarios: the measured time */
	uint32_t threads; /* threads the scenario runs (setup sets it) */
	bn_hist *hist;    /* per-op latencies, main thread only; see bn_lap; merged
	                   * into the case's histogram over all its runs */
	int64_t lap;      /* last bn_lap timestamp */
	char label[128];  /* set_label, when not empty */
	bn_err err;
	/* the calling thread's own CPU, context switches and page faults
	 * between bn_exclude_begin/end are left out of the counters */
	struct rusage exclude_from;
	double excluded_cpu_ns, excluded_ctxsw, excluded_minflt;
	/* BN_MODE_POOL: the case's pool (nproc workers, default batch), made
	 * before setup and destroyed after finish, which must have joined every
	 * actor on it. Its stats over body are reported per item. */
	act_pool *pool;
	const char *ns_per; /* setup: also report "ns_per_<ns_per>" (time / items) */
	int nextra;         /* scenario counters (bn_set_counter), reported on success */
	struct {
		const char *name;
		double value;
	} extra[8];
};

/* A scenario's own counter (name: a string literal), reported as is. */
void bn_set_counter(bn_run *r, const char *name, double value);

/* Records the first failure (any thread); the case then reports an error
 * instead of a speed. bn_failed is a relaxed hint for loops. */
void bn_fail(bn_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline bool bn_failed(const bn_run *r)
{
	/* relaxed: only tells a loop to stop early; the message itself is
	 * published by bn_err.mu (or by the join that precedes reading it) */
	return atomic_load_explicit(&r->err.set, memory_order_relaxed) != 0;
}

/* Per-op latency: the time since the previous lap (or since body started)
 * into r->hist. One clock read per op (vDSO, ~20 ns): only for ops that take
 * far longer than that. */
static inline void bn_lap(bn_run *r)
{
	int64_t t = mbx_now_ns();
	bn_hist_record(r->hist, (uint64_t)(t - r->lap));
	r->lap = t;
}
/* Harness work inside body that is not the scenario's cost (e.g. polling
 * for a thread's state): the calling thread's CPU time, context switches and
 * page faults in between are subtracted from cpu_util, cpu_ns_per_item,
 * ctxsw_per_item, minflt_per_item.
 * Other threads' work in the meantime still counts. */
void bn_exclude_begin(bn_run *r);
void bn_exclude_end(bn_run *r);

/* ---- helpers shared by the scenarios (harness.c) ---- */

/* CPUs this process may run on (sched_getaffinity at start-up, before any
 * pinning); bn_nproc() is their count, what nproc(1) prints. */
int bn_nproc(void);
int bn_cpu(int i); /* i-th allowed CPU */
/* Pins the calling thread; bn_run_end restores the main thread's mask. */
int bn_pin_self(int cpu);

/* A count-down latch on a mutex + condvar: waiters sleep, never spin. */
typedef struct bn_latch {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int64_t count;
} bn_latch;
void bn_latch_init(bn_latch *l, int64_t count);
void bn_latch_destroy(bn_latch *l);
void bn_latch_count_down(bn_latch *l);
void bn_latch_wait(bn_latch *l);

/* A crew: k helper threads started in setup, each waiting at a gate, then
 * running fn(r, idx, quota) once; the quotas split r->n (n / k each, the
 * first n % k one more). bn_crew_go opens the gate, bn_crew_wait waits until
 * every fn has returned, bn_crew_join (finish) opens the gate if nobody did
 * (error paths), joins and frees. cpus: NULL, or a CPU per thread (-1: none). */
typedef void (*bn_crew_fn)(bn_run *r, uint32_t idx, int64_t quota);
typedef struct bn_crew {
	bn_run *r;
	bn_crew_fn fn;
	uint32_t k, started;
	pthread_t *tid;
	struct bn_crew_member *m;
	bn_latch gate, done;
	bool inited, opened;
} bn_crew;
bool bn_crew_start(bn_crew *c, bn_run *r, uint32_t k, bn_crew_fn fn, const int *cpus);
void bn_crew_go(bn_crew *c);
void bn_crew_wait(bn_crew *c);
void bn_crew_join(bn_crew *c);
int64_t bn_crew_quota(int64_t n, uint32_t k, uint32_t i); /* member i's share of n */

/* Payload checksum of message (sender, seq): counts alone can hide a loss
 * plus a duplicate; a per-message mix cannot. */
static inline uint64_t bn_mix(uint64_t sender, uint64_t seq)
{
	return mbx_mix64((sender << 40) ^ seq);
}

/* xorshift64*: the scenarios' seeded streams (state must not be 0). */
static inline uint64_t bn_rng_next(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * UINT64_C(0x2545f4914f6cdd1d);
}

/* Creates a mailbox for a case; on failure records it and returns NULL. */
mbx *bn_mbx_create(bn_run *r, const mbx_ops *ops, uint32_t cap, int32_t spin);
mbx *bn_mbx_create_cfg(bn_run *r, const mbx_ops *ops, const mbx_config *cfg);

/* The scenarios (one definition each, in the scenario files). */
extern const bn_scenario bn_sc_pingpong, bn_sc_fanin, bn_sc_fanin_actors, bn_sc_ask, bn_sc_burst, bn_sc_idle_wakeup;
extern const bn_scenario bn_sc_bank, bn_sc_counter, bn_sc_kv;
extern const bn_scenario bn_sc_limit, bn_sc_vtable;
extern const bn_scenario bn_sc_sv_restart, bn_sc_sv_stream, bn_sc_oneshot, bn_sc_openloop;
extern const bn_scenario bn_sc_sav_pingpong, bn_sc_sav_counting, bn_sc_sav_threadring, bn_sc_sav_fj_throughput,
	bn_sc_sav_fj_creation, bn_sc_sav_chameneos, bn_sc_sav_big, bn_sc_memory_idle;

#endif
