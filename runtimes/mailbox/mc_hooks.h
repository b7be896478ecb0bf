/* mc_hooks.h: the model-checking layer. Every atomic operation, futex call
 * and spin hint of the code the model checker (verify/mc/) runs goes through
 * these macros: park.h, mbx_sync.h's futex helpers, kinds/futex_ring.h,
 * kinds/vyukov.c and the actor layer's reply slot and pool (actor/reply.c,
 * actor/pool.c; the pool also starts and joins its workers through
 * MC_THREAD_CREATE/JOIN, so they are model threads).
 *
 * Normal builds: each macro IS the C11 call (atomic_*_explicit, the futex
 * syscall in mbx_sync.h, pause/sched_yield): the generated code is the same
 * instruction for instruction (verify/mc/README.md says how that was checked).
 *
 * Model build (-DMAILROOM_MODEL=1, the *_mc libraries of verify/mc): each
 * macro calls the checker's hook, which first reaches a scheduling point
 * (the checker may run another thread there), then performs the operation
 * under the checker's memory model (SC or x86-TSO store buffers) and its
 * happens-before clocks. MC_RD/MC_WR mark plain accesses to shared fields
 * (message payloads) for the race check; they are nothing in normal builds.
 * Anything not routed through here is invisible to the checker. */
#ifndef MAILROOM_MC_HOOKS_H
#define MAILROOM_MC_HOOKS_H

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#ifdef MAILROOM_MODEL

/* The hooks, implemented by verify/mc/mc_engine.c. Values travel as 64-bit
 * words of `size` bytes; `site` is "file:line". */
enum { MC_OP_XCHG, MC_OP_ADD, MC_OP_SUB, MC_OP_OR };
uint64_t mc_hook_load(const volatile void *p, unsigned size, int mo, const char *site);
void mc_hook_store(volatile void *p, unsigned size, uint64_t v, int mo, const char *site);
uint64_t mc_hook_rmw(volatile void *p, unsigned size, int op, uint64_t v, int mo, const char *site);
bool mc_hook_cas(volatile void *p, unsigned size, void *expected, uint64_t desired, int succ, int fail,
                 const char *site);
int mc_hook_futex_wait(_Atomic uint32_t *p, uint32_t expected, int64_t timeout_ns, const char *site);
void mc_hook_futex_wake(_Atomic uint32_t *p, int n, const char *site);
void mc_hook_yield(const char *site);
void mc_hook_plain(const volatile void *p, unsigned size, bool write, const char *site);
int mc_hook_thread_create(pthread_t *pt, const pthread_attr_t *attr, void *(*fn)(void *), void *arg,
                          const char *site);
int mc_hook_thread_join(pthread_t pt, const char *site);

#define MC_STR2(x) #x
#define MC_STR(x) MC_STR2(x)
#define MC_SITE __FILE__ ":" MC_STR(__LINE__)
/* the non-atomic type of *p */
#define MC_T(p) __typeof__(atomic_load_explicit((p), memory_order_relaxed))
#define MC_W(v) ((uint64_t)(uintptr_t)(v))

/* a statement expression: an RMW used as a statement must not warn */
#define MC_RET(p, call) __extension__({ (MC_T(p))(uintptr_t)(call); })
#define MC_LOAD(p, mo) MC_RET(p, mc_hook_load((p), sizeof *(p), (mo), MC_SITE))
#define MC_STORE(p, v, mo) mc_hook_store((p), sizeof *(p), MC_W(v), (mo), MC_SITE)
#define MC_XCHG(p, v, mo) MC_RET(p, mc_hook_rmw((p), sizeof *(p), MC_OP_XCHG, MC_W(v), (mo), MC_SITE))
#define MC_FETCH_ADD(p, v, mo) MC_RET(p, mc_hook_rmw((p), sizeof *(p), MC_OP_ADD, MC_W(v), (mo), MC_SITE))
#define MC_FETCH_SUB(p, v, mo) MC_RET(p, mc_hook_rmw((p), sizeof *(p), MC_OP_SUB, MC_W(v), (mo), MC_SITE))
#define MC_FETCH_OR(p, v, mo) MC_RET(p, mc_hook_rmw((p), sizeof *(p), MC_OP_OR, MC_W(v), (mo), MC_SITE))
/* a weak CAS never fails spuriously in the model (one fewer branch to explore) */
#define MC_CAS_WEAK(p, e, d, s, f) mc_hook_cas((p), sizeof *(p), (e), MC_W(d), (s), (f), MC_SITE)
#define MC_CAS_STRONG(p, e, d, s, f) mc_hook_cas((p), sizeof *(p), (e), MC_W(d), (s), (f), MC_SITE)
#define MC_FUTEX_WAIT(p, v, t) mc_hook_futex_wait((p), (v), (t), MC_SITE)
#define MC_FUTEX_WAKE(p, n) mc_hook_futex_wake((p), (n), MC_SITE)
#define MC_SPIN_HINT() mc_hook_yield(MC_SITE)
#define MC_YIELD() mc_hook_yield(MC_SITE)
/* the caller loops until another thread moves, with no pause of its own:
 * nothing in normal builds, a yield in the model (CHESS's fairness) */
#define MC_BUSY_WAIT() mc_hook_yield(MC_SITE)
#define MC_RD(p) mc_hook_plain((p), sizeof *(p), false, MC_SITE)
#define MC_WR(p) mc_hook_plain((p), sizeof *(p), true, MC_SITE)
/* a new model thread (created parked; its start is a scheduling point), and
 * a join that blocks in the model (the result is not passed: NULL only) */
#define MC_THREAD_CREATE(pt, attr, fn, arg) mc_hook_thread_create((pt), (attr), (fn), (arg), MC_SITE)
#define MC_THREAD_JOIN(pt, ret) ((void)(ret), mc_hook_thread_join((pt), MC_SITE))

#else

#define MC_LOAD(p, mo) atomic_load_explicit(p, mo)
#define MC_STORE(p, v, mo) atomic_store_explicit(p, v, mo)
#define MC_XCHG(p, v, mo) atomic_exchange_explicit(p, v, mo)
#define MC_FETCH_ADD(p, v, mo) atomic_fetch_add_explicit(p, v, mo)
#define MC_FETCH_SUB(p, v, mo) atomic_fetch_sub_explicit(p, v, mo)
#define MC_FETCH_OR(p, v, mo) atomic_fetch_or_explicit(p, v, mo)
#define MC_CAS_WEAK(p, e, d, s, f) atomic_compare_exchange_weak_explicit(p, e, d, s, f)
#define MC_CAS_STRONG(p, e, d, s, f) atomic_compare_exchange_strong_explicit(p, e, d, s, f)
/* MC_FUTEX_WAIT/MC_FUTEX_WAKE: mbx_sync.h's mbx_futex_wait/wake are the
 * syscall in normal builds and these hooks in the model build */
#if defined(__x86_64__) || defined(__i386__)
#define MC_SPIN_HINT() __builtin_ia32_pause()
#elif defined(__aarch64__)
#define MC_SPIN_HINT() __asm__ __volatile__("yield")
#else
#define MC_SPIN_HINT() ((void)0)
#endif
#define MC_YIELD() sched_yield()
#define MC_BUSY_WAIT() ((void)0)
#define MC_THREAD_CREATE(pt, attr, fn, arg) pthread_create(pt, attr, fn, arg)
#define MC_THREAD_JOIN(pt, ret) pthread_join(pt, ret)
#define MC_RD(p) ((void)0)
#define MC_WR(p) ((void)0)

#endif

#endif
