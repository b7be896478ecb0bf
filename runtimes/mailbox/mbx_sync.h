/* mbx_sync.h: the small synchronisation toolkit shared by the mailboxes:
 * monotonic time, futex wait/wake, cpu_relax, TSan annotations, the seeded
 * chaos hook and the mutant switches used by verify/. Internal (mbx_i_*). */
#ifndef MAILROOM_MBX_SYNC_H
#define MAILROOM_MBX_SYNC_H

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "mc_hooks.h"

#define MBX_CACHELINE 64

#ifdef MAILROOM_MODEL
/* The model build: time stands still. An execution must not depend on how
 * long it takes (under ASan on a loaded machine a 1 ms deadline, such as
 * lazy_ring's full-ring re-check, expired mid-execution and the checker
 * reported nondeterminism); a deadline passes only through a timed futex
 * wait, which the checker times out as one of its decisions. */
static inline int64_t mbx_now_ns(void) { return INT64_C(1000000000); }
#else
static inline int64_t mbx_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
#endif

/* The one deadline computation: a relative timeout as an absolute
 * CLOCK_MONOTONIC deadline. 0 (already passed: do not wait) for ns <= 0,
 * clamped to INT64_MAX (in effect no deadline) where now + ns would overflow. */
static inline int64_t mbx_deadline_ns(int64_t ns)
{
	if (ns <= 0)
		return 0;
	int64_t now = mbx_now_ns();
	return ns > INT64_MAX - now ? INT64_MAX : now + ns;
}

/* splitmix64's finalizer: the one mixing function for seeds, payload
 * checksums and PRNG steps everywhere in the tree. */
static inline uint64_t mbx_mix64(uint64_t z)
{
	z += UINT64_C(0x9e3779b97f4a7c15);
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* pause (x86) / yield (arm); in the model build a yield to the checker's
 * scheduler (mc_hooks.h) */
static inline void mbx_cpu_relax(void) { MC_SPIN_HINT(); }

/* futex(2) is used only to sleep and wake; all data hand-off goes through
 * C11 release/acquire atomics (TSan does not see futex as synchronisation). */
#ifdef MAILROOM_MODEL
/* the model build: the checker's futex (one atomic check-and-block step) */
static inline int mbx_futex_wait(_Atomic uint32_t *addr, uint32_t expected, int64_t timeout_ns)
{
	return MC_FUTEX_WAIT(addr, expected, timeout_ns);
}
static inline void mbx_futex_wake(_Atomic uint32_t *addr, int n) { MC_FUTEX_WAKE(addr, n); }
#else
static inline int mbx_futex_wait(_Atomic uint32_t *addr, uint32_t expected, int64_t timeout_ns)
{
	struct timespec ts, *tp = NULL;
	if (timeout_ns >= 0) {
		ts.tv_sec = timeout_ns / 1000000000;
		ts.tv_nsec = timeout_ns % 1000000000;
		tp = &ts;
	}
	long r = syscall(SYS_futex, (uint32_t *)addr, FUTEX_WAIT_PRIVATE, expected, tp, NULL, 0);
	return r == 0 ? 0 : errno; /* EAGAIN: value changed; ETIMEDOUT; EINTR */
}

static inline void mbx_futex_wake(_Atomic uint32_t *addr, int n)
{
	syscall(SYS_futex, (uint32_t *)addr, FUTEX_WAKE_PRIVATE, n, NULL, NULL, 0);
}
#endif

/* ---- ThreadSanitizer annotations (compiled in only under TSan) ---- */
#if defined(__SANITIZE_THREAD__)
#define MAILROOM_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define MAILROOM_TSAN 1
#endif
#endif
#ifdef MAILROOM_TSAN
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
void AnnotateIgnoreReadsBegin(const char *f, int l);
void AnnotateIgnoreReadsEnd(const char *f, int l);
void AnnotateIgnoreWritesBegin(const char *f, int l);
void AnnotateIgnoreWritesEnd(const char *f, int l);
void __tsan_write_range(void *addr, unsigned long size);
#define MBX_TSAN_RELEASE(p) __tsan_release((void *)(p))
/* Declares, outside an ignore region, the write a CK call is about to make
 * into our own memory inside one, so TSan still checks who else touches it. */
#define MBX_TSAN_WRITES(p, n) __tsan_write_range((void *)(p), (n))
#define MBX_TSAN_ACQUIRE(p) __tsan_acquire((void *)(p))
#define MBX_TSAN_IGNORE_BEGIN() \
	(AnnotateIgnoreReadsBegin(__FILE__, __LINE__), AnnotateIgnoreWritesBegin(__FILE__, __LINE__))
#define MBX_TSAN_IGNORE_END() \
	(AnnotateIgnoreWritesEnd(__FILE__, __LINE__), AnnotateIgnoreReadsEnd(__FILE__, __LINE__))
#else
#define MBX_TSAN_RELEASE(p) ((void)(p))
#define MBX_TSAN_WRITES(p, n) ((void)(p), (void)(n))
#define MBX_TSAN_ACQUIRE(p) ((void)(p))
#define MBX_TSAN_IGNORE_BEGIN() ((void)0)
#define MBX_TSAN_IGNORE_END() ((void)0)
#endif

/* ---- Seeded chaos (cmake -DMAILROOM_CHAOS=ON) ----
 * MBX_CHAOS() marks an interesting point (between claim and publish, between
 * announce-sleep and re-check, ...). In a chaos build it yields or spins a
 * random while, driven by a per-thread PRNG derived from mbx_chaos_seed(). */
#ifdef MAILROOM_CHAOS
void mbx_chaos_seed(uint64_t seed);
void mbx_chaos_point(void);
#define MBX_CHAOS() mbx_chaos_point()
#else
static inline void mbx_chaos_seed(uint64_t seed) { (void)seed; }
#define MBX_CHAOS() ((void)0)
#endif

/* ---- Mutants (verify/mutants only): -DMAILROOM_MUTANT=<n> compiles in one
 * deliberate bug. MBX_MUTANT(n) is true only in that build. */
#ifndef MAILROOM_MUTANT
#define MAILROOM_MUTANT 0
#endif
#define MBX_MUTANT(n) (MAILROOM_MUTANT == (n))

#endif
