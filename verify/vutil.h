/* vutil.h: what every verify/ program shares: seeded PRNG, a progress
 * watchdog that aborts (never hangs) on a lost wake-up or deadlock, thread
 * helpers and the sanitizer scale factor. */
#ifndef MAILROOM_VUTIL_H
#define MAILROOM_VUTIL_H

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <errno.h>
#include <string.h>

#include "check.h"
#include "mailbox.h"
#include "mbx_sync.h"

/* Sanitizer builds run the same tests with fewer messages. */
#if defined(MAILROOM_TSAN) || defined(__SANITIZE_ADDRESS__)
#define V_SCALE 8
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define V_SCALE 8
#endif
#endif
#ifndef V_SCALE
#define V_SCALE 1
#endif

typedef struct { uint64_t s; } v_rng;
static inline uint64_t v_next(v_rng *r)
{
	uint64_t x = r->s;
	r->s += UINT64_C(0x9e3779b97f4a7c15); /* splitmix64's stream */
	return mbx_mix64(x);
}
static inline uint64_t v_below(v_rng *r, uint64_t n) { return n ? v_next(r) % n : 0; }

static inline uint64_t v_seed_from_clock(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t s = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20);
	return s ? s : 1;
}

/* ---- watchdog: aborts when `progress` stops moving for `seconds` ---- */
typedef struct v_watchdog {
	_Atomic uint64_t progress; /* bumped by the workload */
	_Atomic int stop;
	unsigned seconds;
	const char *what;
	void (*dump)(void *ctx); /* optional diagnostic dump before abort */
	void *ctx;
	pthread_t thread;
} v_watchdog;

static void *v_watchdog_main(void *arg)
{
	v_watchdog *w = arg;
	uint64_t last = atomic_load(&w->progress);
	int64_t last_change = mbx_now_ns();
	while (!atomic_load(&w->stop)) {
		struct timespec ts = {0, 20 * 1000 * 1000};
		nanosleep(&ts, NULL);
		uint64_t p = atomic_load(&w->progress);
		int64_t now = mbx_now_ns();
		if (p != last) {
			last = p;
			last_change = now;
		} else if (now - last_change > (int64_t)w->seconds * 1000000000) {
			fprintf(stderr, "WATCHDOG: no progress for %us in %s (progress=%llu): lost wake-up or deadlock\n",
			        w->seconds, w->what, (unsigned long long)p);
			if (w->dump)
				w->dump(w->ctx);
			fflush(stderr);
			abort();
		}
	}
	return NULL;
}

static inline void v_watchdog_start(v_watchdog *w, unsigned seconds, const char *what)
{
	atomic_store(&w->progress, 0);
	atomic_store(&w->stop, 0);
	w->seconds = seconds;
	w->what = what;
	CHECK_EQ(pthread_create(&w->thread, NULL, v_watchdog_main, w), 0);
}
static inline void v_tick(v_watchdog *w) { atomic_fetch_add_explicit(&w->progress, 1, memory_order_relaxed); } /* only read for change; no data hangs on it */
static inline void v_watchdog_stop(v_watchdog *w)
{
	atomic_store(&w->stop, 1);
	pthread_join(w->thread, NULL);
}

static inline void v_sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
	nanosleep(&ts, NULL);
}

/* mbx_create or abort, naming the program, the configuration and errno. */
static inline mbx *v_make(const char *prog, const mbx_ops *ops, uint32_t cap, int32_t spin)
{
	mbx *m = mbx_create(ops, cap, spin);
	if (!m) {
		fprintf(stderr, "%s: create(%s, cap=%u, spin=%d) failed: %s\n", prog, ops->name, cap, spin,
		        strerror(errno));
		abort();
	}
	return m;
}

/* Payload checksum word for (producer, seq): counts alone can hide a loss
 * plus a duplicate; a mixed payload cannot. */
static inline uint64_t v_payload(uint64_t seed, uint32_t producer, uint64_t seq)
{
	v_rng r = {seed ^ ((uint64_t)producer << 40) ^ seq};
	return v_next(&r);
}

#endif
