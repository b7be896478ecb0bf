/* harness.c: the one generic run (bn_run_begin/body/end, driven by shim.cc)
 * with its watchdog and the counters every case exports, plus the shared helpers (CPU set, latch,
 * crew of threads) and the build/machine context, env switch and help. */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>

#include "actor.h"
#include "bench.h"
#include "check.h"
#include "cli.h"

#ifndef MAILROOM_PENDING_PROBE
#define MAILROOM_PENDING_PROBE 0
#endif

/* ---- CPU set ---- */
#define BN_MAX_CPUS 1024
static int cpu_list[BN_MAX_CPUS];
static int cpu_count;

void bn_init(void)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	cpu_count = 0;
	if (sched_getaffinity(0, sizeof set, &set) == 0) {
		for (int i = 0; i < CPU_SETSIZE && cpu_count < BN_MAX_CPUS; i++)
			if (CPU_ISSET(i, &set))
				cpu_list[cpu_count++] = i;
	}
	if (cpu_count == 0) { /* cannot tell: behave as one CPU, never pin */
		cpu_list[0] = -1;
		cpu_count = 1;
	}
}

int bn_nproc(void) { return cpu_count; }
int bn_cpu(int i) { return i >= 0 && i < cpu_count ? cpu_list[i] : -1; }

int bn_pin_self(int cpu)
{
	if (cpu < 0)
		return EINVAL;
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

/* ---- failures ---- */
void bn_fail(bn_run *r, const char *fmt, ...)
{
	pthread_mutex_lock(&r->err.mu);
	if (!atomic_load_explicit(&r->err.set, memory_order_relaxed)) { /* under mu */
		va_list ap;
		va_start(ap, fmt);
		int off = snprintf(r->err.msg, sizeof r->err.msg, "%s: ", r->c->name);
		if (off > 0 && (size_t)off < sizeof r->err.msg)
			vsnprintf(r->err.msg + off, sizeof r->err.msg - (size_t)off, fmt, ap);
		va_end(ap);
		/* relaxed: a hint for bn_failed; the message is published by mu */
		atomic_store_explicit(&r->err.set, 1, memory_order_relaxed);
	}
	pthread_mutex_unlock(&r->err.mu);
}

void bn_set_counter(bn_run *r, const char *name, double value)
{
	for (int i = 0; i < r->nextra; i++)
		if (strcmp(r->extra[i].name, name) == 0) {
			r->extra[i].value = value;
			return;
		}
	CHECK_LT(r->nextra, (int)(sizeof r->extra / sizeof r->extra[0])); /* a bench bug, not a result */
	r->extra[r->nextra].name = name;
	r->extra[r->nextra++].value = value;
}

mbx *bn_mbx_create_cfg(bn_run *r, const mbx_ops *ops, const mbx_config *cfg)
{
	mbx *m = mbx_create_cfg(ops, cfg);
	if (!m)
		bn_fail(r, "cannot create mailbox %s (capacity %u): %s", ops ? ops->name : "(none)",
		        (unsigned)cfg->capacity, strerror(errno));
	return m;
}

mbx *bn_mbx_create(bn_run *r, const mbx_ops *ops, uint32_t cap, int32_t spin)
{
	mbx_config cfg = {.capacity = cap, .spin = spin, .yields = -1};
	return bn_mbx_create_cfg(r, ops, &cfg);
}

/* ---- latch ---- */
void bn_latch_init(bn_latch *l, int64_t count)
{
	CHECK_EQ(pthread_mutex_init(&l->mu, NULL), 0);
	CHECK_EQ(pthread_cond_init(&l->cv, NULL), 0);
	l->count = count;
}

void bn_latch_destroy(bn_latch *l)
{
	pthread_cond_destroy(&l->cv);
	pthread_mutex_destroy(&l->mu);
}

void bn_latch_count_down(bn_latch *l)
{
	pthread_mutex_lock(&l->mu);
	if (l->count > 0 && --l->count == 0)
		pthread_cond_broadcast(&l->cv);
	pthread_mutex_unlock(&l->mu);
}

void bn_latch_wait(bn_latch *l)
{
	pthread_mutex_lock(&l->mu);
	while (l->count > 0)
		pthread_cond_wait(&l->cv, &l->mu);
	pthread_mutex_unlock(&l->mu);
}

/* ---- crew ---- */
struct bn_crew_member {
	bn_crew *crew;
	uint32_t idx;
	int64_t quota;
};

static void *crew_main(void *p)
{
	struct bn_crew_member *m = p;
	bn_crew *c = m->crew;
	bn_latch_wait(&c->gate);
	c->fn(c->r, m->idx, m->quota);
	bn_latch_count_down(&c->done);
	return NULL;
}

int64_t bn_crew_quota(int64_t n, uint32_t k, uint32_t i)
{
	return k ? n / k + ((int64_t)i < n % k ? 1 : 0) : 0;
}

bool bn_crew_start(bn_crew *c, bn_run *r, uint32_t k, bn_crew_fn fn, const int *cpus)
{
	memset(c, 0, sizeof *c);
	c->r = r;
	c->fn = fn;
	c->k = k;
	c->tid = calloc(k ? k : 1, sizeof *c->tid);
	c->m = calloc(k ? k : 1, sizeof *c->m);
	bn_latch_init(&c->gate, 1);
	bn_latch_init(&c->done, k);
	c->inited = true;
	if (!c->tid || !c->m) {
		bn_fail(r, "out of memory for %u threads", (unsigned)k);
		return false;
	}
	for (uint32_t i = 0; i < k; i++) {
		c->m[i] = (struct bn_crew_member){c, i, bn_crew_quota(r->n, k, i)};
		pthread_attr_t attr;
		pthread_attr_init(&attr);
		if (cpus && cpus[i] >= 0) {
			cpu_set_t set;
			CPU_ZERO(&set);
			CPU_SET(cpus[i], &set);
			pthread_attr_setaffinity_np(&attr, sizeof set, &set);
		}
		int e = pthread_create(&c->tid[i], &attr, crew_main, &c->m[i]);
		pthread_attr_destroy(&attr);
		if (e) {
			bn_fail(r, "pthread_create (thread %u of %u): %s", (unsigned)i, (unsigned)k,
			        strerror(e));
			/* the threads that never started will not count down */
			for (uint32_t j = i; j < k; j++)
				bn_latch_count_down(&c->done);
			return false;
		}
		c->started++;
	}
	return true;
}

void bn_crew_go(bn_crew *c)
{
	c->opened = true;
	bn_latch_count_down(&c->gate);
}

void bn_crew_wait(bn_crew *c) { bn_latch_wait(&c->done); }

void bn_crew_join(bn_crew *c)
{
	if (!c->inited)
		return;
	if (!c->opened)
		bn_crew_go(c); /* error path: let them run into the closed mailboxes */
	for (uint32_t i = 0; i < c->started; i++)
		pthread_join(c->tid[i], NULL);
	bn_latch_destroy(&c->gate);
	bn_latch_destroy(&c->done);
	free(c->tid);
	free(c->m);
	c->inited = false;
}

/* ---- watchdog: one sleeping thread per run, woken when body returns ---- */
typedef struct watchdog {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool done;
	bn_run *r;
	pthread_t tid;
	bool running;
} watchdog;

static void *watchdog_main(void *p)
{
	watchdog *w = p;
	struct timespec dl;
	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_sec += BN_WATCHDOG_S;
	pthread_mutex_lock(&w->mu);
	int e = 0;
	while (!w->done && e != ETIMEDOUT)
		e = pthread_cond_timedwait(&w->cv, &w->mu, &dl);
	bool fire = !w->done;
	pthread_mutex_unlock(&w->mu);
	if (fire) {
		bn_fail(w->r, "watchdog: a run of %" PRId64 " iterations did not finish within %d s", w->r->n,
		        BN_WATCHDOG_S);
		if (w->r->c->sc->cancel)
			w->r->c->sc->cancel(w->r);
	}
	return NULL;
}

static void watchdog_start(watchdog *w, bn_run *r)
{
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	CHECK_EQ(pthread_mutex_init(&w->mu, NULL), 0);
	CHECK_EQ(pthread_cond_init(&w->cv, &ca), 0);
	pthread_condattr_destroy(&ca);
	w->done = false;
	w->r = r;
	w->running = pthread_create(&w->tid, NULL, watchdog_main, w) == 0; /* none: run unguarded */
}

static void watchdog_stop(watchdog *w)
{
	pthread_mutex_lock(&w->mu);
	w->done = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	if (w->running)
		pthread_join(w->tid, NULL);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
}

/* ---- the generic timed loop ---- */
static double tv_ns(struct timeval tv) { return (double)tv.tv_sec * 1e9 + (double)tv.tv_usec * 1e3; }
static double cpu_ns(const struct rusage *u) { return tv_ns(u->ru_utime) + tv_ns(u->ru_stime); }
static double ctxsw(const struct rusage *u) { return (double)(u->ru_nvcsw + u->ru_nivcsw); }
/* Minor page faults: first touches of fresh memory (an unbounded mailbox's
 * backlog growing), which on a VM cost a trap each, often a host fault too. */
static double minflt(const struct rusage *u) { return (double)u->ru_minflt; }

void bn_exclude_begin(bn_run *r) { getrusage(RUSAGE_THREAD, &r->exclude_from); }

void bn_exclude_end(bn_run *r)
{
	struct rusage now;
	getrusage(RUSAGE_THREAD, &now);
	r->excluded_cpu_ns += cpu_ns(&now) - cpu_ns(&r->exclude_from);
	r->excluded_ctxsw += ctxsw(&now) - ctxsw(&r->exclude_from);
	r->excluded_minflt += minflt(&now) - minflt(&r->exclude_from);
}

const char *bn_case_name(const bn_case *c) { return c->name; }
bool bn_case_manual_time(const bn_case *c) { return c->sc->manual_time; }

/* The run state behind bn_run_begin/body/end (bn_run in bench.h is what the
 * scenarios see; the rest is the harness's own). */
typedef struct run_state {
	bn_run r; /* first: bn_run_begin hands out &run_state.r */
	cpu_set_t saved;
	bool have_saved, set_up, ran;
	struct rusage ru0, ru1;
	int64_t w0, w1;
	act_pool_stats ps0, ps1;
	int64_t pending_base, pending_at_stop; /* mailroom-bench-probe: messages queued */
} run_state;

bn_run *bn_run_begin(const bn_case *c, int64_t n)
{
	run_state *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	bn_run *r = &s->r;
	r->c = c;
	r->n = n;
	r->items = n;
	r->threads = 1;
	CHECK_EQ(pthread_mutex_init(&r->err.mu, NULL), 0);
	atomic_init(&r->err.set, 0);
	r->hist = calloc(1, sizeof *r->hist);
	/* cache-line aligned: scenario states keep contended fields apart */
	size_t ctx_size = (c->sc->ctx_size + MBX_CACHELINE - 1) / MBX_CACHELINE * MBX_CACHELINE;
	r->ctx = aligned_alloc(MBX_CACHELINE, ctx_size ? ctx_size : MBX_CACHELINE);
	if (r->ctx)
		memset(r->ctx, 0, ctx_size);
#if MAILROOM_PENDING_PROBE
	s->pending_base = mbx_probe_pending(); /* what earlier runs left (should be 0) */
#endif
	s->have_saved = pthread_getaffinity_np(pthread_self(), sizeof s->saved, &s->saved) == 0;
	if (!r->hist || !r->ctx) {
		bn_fail(r, "out of memory");
	} else if (c->mode == BN_MODE_POOL &&
	           !(r->pool = act_pool_create(&(act_pool_config){.workers = 0, .batch = 0, .spin = -1}))) {
		bn_fail(r, "act_pool_create (nproc workers): %s", strerror(errno));
	} else {
		c->sc->setup(r);
		s->set_up = true;
		if (r->pool)
			r->threads += act_pool_workers(r->pool); /* setup counts the threads it starts */
	}
	return r;
}

bool bn_run_ready(const bn_run *r) { return r && !bn_failed(r); }

double bn_run_body(bn_run *r)
{
	run_state *s = (run_state *)r;
	watchdog wd;
	watchdog_start(&wd, r); /* sleeps in the kernel: no CPU, no context switch */
	if (r->pool)
		s->ps0 = act_pool_get_stats(r->pool);
	getrusage(RUSAGE_SELF, &s->ru0);
	s->w0 = mbx_now_ns();
	r->lap = s->w0;
	r->c->sc->body(r);
	s->w1 = mbx_now_ns();
#if MAILROOM_PENDING_PROBE
	s->pending_at_stop = mbx_probe_pending() - s->pending_base;
#endif
	getrusage(RUSAGE_SELF, &s->ru1);
	if (r->pool)
		s->ps1 = act_pool_get_stats(r->pool);
	watchdog_stop(&wd);
	s->ran = true;
	return r->c->sc->manual_time ? (double)r->manual_ns * 1e-9 : 0;
}

static void put(bn_outcome *out, const char *name, double value)
{
	CHECK_LT(out->ncounters, BN_MAX_COUNTERS); /* a bench bug, not a result */
	snprintf(out->counter[out->ncounters].name, sizeof out->counter[0].name, "%s", name);
	out->counter[out->ncounters++].value = value;
}

/* Per case, every successful run's latencies merged (allocated on first
 * use, kept until exit): Google Benchmark runs a case several times (the
 * iteration-count probes, then each repetition), and each run's percentiles
 * alone would rest on that run's samples only. */
static bn_hist *merged[BN_MAX_CASES];

/* Latency counters, from the case's merged histogram (cumulative: the last
 * repetition's cover every run so far, lat_samples of them): p50/p99/p999
 * as bucket midpoints (within BN_HIST_REL_ERR), each with the samples its
 * bucket and the ones above hold (<p>_tail), and the exact max. */
static void report_latency(bn_run *r, bn_outcome *out)
{
	static const struct {
		const char *name, *tail;
		double q;
	} pct[] = {{"p50_ns", "p50_tail", 0.50}, {"p99_ns", "p99_tail", 0.99}, {"p999_ns", "p999_tail", 0.999}};
	const bn_hist *h = r->hist;
	uint32_t id = r->c->id;
	if (id < BN_MAX_CASES && (merged[id] || (merged[id] = calloc(1, sizeof *merged[id])))) {
		bn_hist_merge(merged[id], r->hist);
		h = merged[id];
	} /* else out of memory: this run's own samples, still counted honestly */
	put(out, "lat_samples", (double)h->count);
	for (size_t i = 0; i < sizeof pct / sizeof pct[0]; i++) {
		put(out, pct[i].name, (double)bn_hist_quantile(h, pct[i].q));
		put(out, pct[i].tail, (double)bn_hist_tail(h, pct[i].q));
	}
	put(out, "max_ns", (double)h->max);
}

/* The counters every case exports, over body only. */
static void report(run_state *s, bn_outcome *out)
{
	bn_run *r = &s->r;
	const bn_case *c = r->c;
	double items = (double)(r->items > 0 ? r->items : 1);
	double wall = (double)(s->w1 - s->w0);
	double cpu = cpu_ns(&s->ru1) - cpu_ns(&s->ru0) - r->excluded_cpu_ns;
	double csw = ctxsw(&s->ru1) - ctxsw(&s->ru0) - r->excluded_ctxsw;
	double flt = minflt(&s->ru1) - minflt(&s->ru0) - r->excluded_minflt;
	out->ran = true;
	out->items = r->items;
	put(out, "cpu_util", wall > 0 ? cpu / wall : 0);
	put(out, "cpu_ns_per_item", cpu / items);
	put(out, "ctxsw_per_item", csw / items);
	put(out, "minflt_per_item", flt / items);
	put(out, "threads", r->threads);
	put(out, "oversubscribed", r->threads > (uint32_t)bn_nproc() ? 1 : 0);
	if (r->hist->count)
		report_latency(r, out);
	if (r->ns_per) {
		char name[64];
		snprintf(name, sizeof name, "ns_per_%s", r->ns_per);
		double t = c->sc->manual_time ? (double)r->manual_ns : wall;
		put(out, name, t / items);
	}
	if (r->pool) { /* the scheduler's work per item, over body only */
		const act_pool_stats *a = &s->ps0, *b = &s->ps1;
		put(out, "turns_per_item", (double)(b->turns - a->turns) / items);
		put(out, "steals_per_item", (double)(b->steals - a->steals) / items);
		put(out, "next_steals_per_item", (double)(b->next_steals - a->next_steals) / items);
		put(out, "injects_per_item", (double)(b->injects - a->injects) / items);
		put(out, "parks_per_item", (double)(b->parks - a->parks) / items);
		put(out, "wakes_per_item", (double)(b->wakes - a->wakes) / items);
		put(out, "helps_per_item", (double)(b->helps - a->helps) / items);
	}
	for (int i = 0; i < r->nextra; i++)
		put(out, r->extra[i].name, r->extra[i].value);
	snprintf(out->label, sizeof out->label, "%s", r->label);
}

void bn_run_end(bn_run *r, const bn_case *c, bn_outcome *out)
{
	memset(out, 0, sizeof *out);
	if (!r) {
		snprintf(out->error, sizeof out->error, "%s: out of memory for the run", c->name);
		return;
	}
	run_state *s = (run_state *)r;
	if (s->set_up)
		c->sc->finish(r); /* stops threads and checks: even after a failure */
	if (s->ran && s->pending_at_stop != 0) /* only mailroom-bench-probe measures it */
		bn_fail(r, "timed region ended with work pending: %" PRId64 " messages still queued", s->pending_at_stop);
	if (r->pool)
		act_pool_destroy(r->pool); /* finish has joined its actors */
	if (s->have_saved)
		pthread_setaffinity_np(pthread_self(), sizeof s->saved, &s->saved);
	if (bn_failed(r)) {
		pthread_mutex_lock(&r->err.mu);
		snprintf(out->error, sizeof out->error, "%s", r->err.msg);
		pthread_mutex_unlock(&r->err.mu);
	} else if (s->ran) {
		report(s, out);
	}
	pthread_mutex_destroy(&r->err.mu);
	free(r->ctx);
	free(r->hist);
	free(s);
}

/* ---- build and machine context ---- */
#ifndef MAILROOM_BENCH_PRESET
#define MAILROOM_BENCH_PRESET "unknown"
#endif
#ifndef MAILROOM_BENCH_BUILD_TYPE
#define MAILROOM_BENCH_BUILD_TYPE "unknown"
#endif
#ifndef MAILROOM_BENCH_SANITIZER
#define MAILROOM_BENCH_SANITIZER ""
#endif

static void cpu_model(char *out, size_t n)
{
	snprintf(out, n, "unknown");
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (!f)
		return;
	char line[512];
	while (fgets(line, sizeof line, f)) {
		if (strncmp(line, "model name", 10) != 0)
			continue;
		char *v = strchr(line, ':');
		if (!v)
			continue;
		v++;
		while (*v == ' ' || *v == '\t')
			v++;
		v[strcspn(v, "\n")] = 0;
		snprintf(out, n, "%s", v);
		break;
	}
	fclose(f);
}

void bn_context(void (*add)(const char *key, const char *value, void *arg), void *arg)
{
	char buf[512];
#if defined(__clang__)
	add("mailroom_compiler", "clang " __clang_version__, arg);
#elif defined(__GNUC__)
	add("mailroom_compiler", "gcc " __VERSION__, arg);
#else
	add("mailroom_compiler", "unknown", arg);
#endif
	add("mailroom_preset", MAILROOM_BENCH_PRESET, arg);
	cpu_model(buf, sizeof buf);
	add("mailroom_cpu_model", buf, arg);
	snprintf(buf, sizeof buf, "%d", bn_nproc());
	add("mailroom_nproc", buf, arg);
	struct utsname u;
	add("mailroom_kernel", uname(&u) == 0 ? u.release : "unknown", arg);
	add("mailroom_build_type", MAILROOM_BENCH_BUILD_TYPE[0] ? MAILROOM_BENCH_BUILD_TYPE : "none", arg);
	add("mailroom_sanitizer", MAILROOM_BENCH_SANITIZER[0] ? MAILROOM_BENCH_SANITIZER : "none", arg);
}

bool bn_full_from_env(const char *prog)
{
	const char *v = getenv("MAILROOM_BENCH_FULL");
	if (!v || !v[0] || strcmp(v, "0") == 0)
		return false;
	if (strcmp(v, "1") == 0)
		return true;
	cli_die(prog, "bad value '%s' for %s: want 0 or 1", v, "MAILROOM_BENCH_FULL");
	return false;
}

void bn_check_args(int argc, char **argv)
{
	static const char flag[] = "--benchmark_repetitions";
	for (int i = 1; i < argc; i++) {
		size_t n = sizeof flag - 1;
		if (strncmp(argv[i], flag, n) == 0 && argv[i][n] == '=') /* Google Benchmark aborts on <= 0 */
			(void)cli_u64("mailroom-bench", flag, argv[i] + n + 1, 1, 1000000);
	}
}

void bn_print_help(void)
{
	printf("\nmailroom-bench: actor-mailbox benchmarks (Google Benchmark flags above).\n"
	       "  Names: scenario/impl/k:v/..., impl = a mailbox of the table, shared:<backend>,\n"
	       "  or probe; list them with --benchmark_list_tests. The workloads (bank,\n"
	       "  counter, kv), savina_* and memory_idle name their execution mode after the\n"
	       "  impl: mode:pool runs the actors on one pool of nproc workers, mode:thread a\n"
	       "  thread per actor (shared:* baselines: a thread per client, mode:thread).\n"
	       "  savina_* are the Savina micro-benchmarks. Each case checks its own\n"
	       "  results and reports an error instead of a speed when a check fails; the exit\n"
	       "  status is then 1 (also 1 when the filter matches nothing, 2 on a bad flag).\n"
	       "  Latency counters (p50_ns, p99_ns, p999_ns, max_ns) are cumulative over every\n"
	       "  run of the case in this process (the last repetition's cover all of them,\n"
	       "  lat_samples values); a percentile is its bucket's midpoint, within 0.4 %%\n"
	       "  of the true sample (exact below 256 ns), and <p>_tail counts the samples\n"
	       "  it rests on (its bucket and above).\n"
	       "Environment:\n"
	       "  MAILROOM_BENCH_FULL=1   register the full sweep (more producer, account and\n"
	       "                          client counts) on top of the quick one; 0 or unset:\n"
	       "                          quick only. Any other value: error, exit 2.\n");
}
