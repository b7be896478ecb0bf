/* chaos.c: the seeded chaos hook (built only with -DMAILROOM_CHAOS=ON).
 * Each thread derives its own xorshift stream from the run seed and a thread
 * counter, so a run is replayable in its decisions (not in the OS schedule). */
#ifdef MAILROOM_CHAOS
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>

#include "mbx_sync.h"

static _Atomic uint64_t chaos_seed = 0x9E3779B97F4A7C15ull;
static _Atomic uint64_t chaos_threads;
static _Thread_local uint64_t chaos_state;

void mbx_chaos_seed(uint64_t seed)
{
	atomic_store(&chaos_seed, seed ? seed : 1);
	atomic_store(&chaos_threads, 0);
}

void mbx_chaos_point(void)
{
	if (!chaos_state)
		chaos_state = mbx_mix64(atomic_load(&chaos_seed) + atomic_fetch_add(&chaos_threads, 1)) | 1;
	uint64_t x = chaos_state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	chaos_state = x;
	unsigned r = (unsigned)(x % 64);
	if (r == 0) {
		sched_yield();
	} else if (r < 4) {
		for (unsigned i = 0, n = (unsigned)(x >> 32) % 2000; i < n; i++)
			mbx_cpu_relax();
	}
}
#else
typedef int mailroom_chaos_unused; /* ISO C forbids an empty translation unit */
#endif
