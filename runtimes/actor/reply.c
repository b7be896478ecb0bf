/* reply.c: the one-shot reply slot behind act_ask (reply.h).
 *
 * Two references while an ask is in flight: the asker's and the message's.
 * Whoever drops the last one frees the slot, so an asker that timed out can
 * leave and a late reply still lands in live memory. The asker keeps its
 * slot in a thread-local cache and reuses it when the replier has let go
 * (refs back to 1), so a steady stream of asks allocates nothing.
 * Waiting is spin (a per-thread learnt budget), then a few yields, then a
 * futex on `state` (futex chosen over mutex+condvar:
 * no lock on the reply path, one syscall only when the asker really sleeps;
 * bench/scen_oneshot.c measures the two). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "mbx_sync.h"
#include "park.h"
#include "reply.h"

/* WAITING -> DONE (replier) | ABANDONED (asker's timeout); WAITING ->
 * SLEEPING (asker about to futex_wait) -> DONE | ABANDONED. The replier
 * makes the wake syscall only when it takes the slot from SLEEPING, so an
 * asker that is still spinning costs the replier no syscall. */
enum { SLOT_WAITING = 0, SLOT_DONE = 1, SLOT_ABANDONED = 2, SLOT_SLEEPING = 3 };

struct mbx_reply {
	_Atomic uint32_t state;   /* WAITING -> DONE (replier) | ABANDONED (asker) */
	_Atomic uint32_t refs;
	_Atomic uint32_t replied; /* catches a second act_reply on one ask */
	int err;
	mbx_msg value;
};

static _Thread_local struct mbx_reply *tls_slot;

/* The cached slot of a thread that exits is released by this destructor. */
static pthread_key_t slot_key;
static pthread_once_t slot_key_once = PTHREAD_ONCE_INIT;
static void slot_unref(struct mbx_reply *s);
static void slot_key_dtor(void *p) { slot_unref(p); }
static void slot_key_init(void) { CHECK_EQ(pthread_key_create(&slot_key, slot_key_dtor), 0); }
static void slot_cache(struct mbx_reply *s)
{
	pthread_once(&slot_key_once, slot_key_init);
	tls_slot = s;
	pthread_setspecific(slot_key, s);
}

static void slot_unref(struct mbx_reply *s)
{
	/* acq_rel: the release half publishes our last use of the slot; the
	 * acquire half (for the one that reaches zero) orders the free after the
	 * other side's last use. */
	if (MC_FETCH_SUB(&s->refs, 1, memory_order_acq_rel) == 1)
		free(s);
}

/* The slot of an ask in flight is out of the cache (tls_slot), so an ask
 * nested inside it (a pooled worker helping) takes another one. */
struct mbx_reply *reply_i_get(void)
{
	struct mbx_reply *s = tls_slot;
	tls_slot = NULL; /* in use; the key still names it until reply_i_put_back */
	/* acquire: pairs with the replier's acq_rel fetch_sub in slot_unref */
	if (s && MC_LOAD(&s->refs, memory_order_acquire) != 1) {
		slot_cache(NULL);
		slot_unref(s); /* a replier still holds it: let it free it */
		s = NULL;
	}
	if (!s) {
		s = calloc(1, sizeof *s);
		if (!s)
			return NULL;
		atomic_init(&s->refs, 1);
		slot_cache(s);
		tls_slot = NULL; /* in use */
	}
	MC_STORE(&s->state, SLOT_WAITING, memory_order_relaxed); /* published by the send's release */
	MC_STORE(&s->replied, 0, memory_order_relaxed);          /* published by the send's release */
	MC_WR(&s->err);
	s->err = 0;
	MC_STORE(&s->refs, 2, memory_order_relaxed); /* published by the send's release */
	return s;
}

/* The ask is over and we still hold our reference: cache the slot again,
 * unless a nested ask cached its own meanwhile. */
void reply_i_put_back(struct mbx_reply *s)
{
	if (!tls_slot)
		slot_cache(s);
	else
		slot_unref(s);
}

void reply_i_complete(struct mbx_reply *s, int err, uint64_t a, uint64_t b)
{
	if (MC_XCHG(&s->replied, 1, memory_order_seq_cst)) { /* atomic_exchange */
		fprintf(stderr, "mailroom: act_reply called twice for one ask\n");
		abort();
	}
	MC_WR(&s->err); /* plain fields: the model checker race-checks them */
	MC_WR(&s->value);
	s->err = err;
	s->value = (mbx_msg){.tag = 0, .a = a, .b = b};
	/* relaxed: only selects the CAS below, which carries the ordering */
	uint32_t expect = MC_LOAD(&s->state, memory_order_relaxed);
	while (expect == SLOT_WAITING || expect == SLOT_SLEEPING) {
		/* release: publishes err/value to the asker's acquire load of state */
		/* mutant 22 (verify/mc): relaxed, the answer is not handed over */
		if (MC_CAS_WEAK(&s->state, &expect, SLOT_DONE,
		                MBX_MUTANT(22) ? memory_order_relaxed : memory_order_release, memory_order_relaxed)) {
			if (expect == SLOT_SLEEPING)
				mbx_futex_wake(&s->state, 1);
			break;
		}
	}
	slot_unref(s);
}

void reply_i_unsent(struct mbx_reply *s)
{
	MC_STORE(&s->refs, 1, memory_order_relaxed); /* never sent: only our ref */
	reply_i_put_back(s);
}

/* Spin rounds read the clock once per REPLY_CLOCK_EVERY: in a VM a clock
 * read costs more than the pause it sits beside (a perf profile of thread
 * bank put a fifth of the asker's CPU in clock_gettime). */
enum { REPLY_CLOCK_EVERY = 32 };

/* The asker's spin budget, learnt per thread as a mailbox's is (park.h): an
 * asker whose replier shares its core learns to stop spinning and yields
 * instead. The model checker keeps the fixed budget (a heuristic: no
 * outcome depends on it). */
#ifdef MAILROOM_MODEL
static unsigned spin_budget(void) { return REPLY_SPIN; }
static void spin_learn(unsigned budget, bool ok) { (void)budget, (void)ok; }
#else
static _Thread_local mbx_i_spin tls_spin = {REPLY_SPIN, 0};
static unsigned spin_budget(void) { return (unsigned)mbx_i_spin_budget(&tls_spin, REPLY_SPIN); }
static void spin_learn(unsigned budget, bool ok) { mbx_i_spin_learn(&tls_spin, REPLY_SPIN, (int32_t)budget, ok); }
#endif

int reply_i_wait(struct mbx_reply *s, int64_t deadline, int64_t nap_ns, reply_poll_fn poll, void *ctx)
{
	unsigned spin = spin_budget();
	bool spun = false; /* the spin phase is over (and learnt from) */
	int64_t left = 0;
	for (unsigned round = 0;; round++) {
		/* acquire: pairs with the replier's release CAS in reply_i_complete */
		uint32_t st = MC_LOAD(&s->state, memory_order_acquire);
		if (st == SLOT_DONE) {
			if (!spun)
				spin_learn(spin, true);
			return 0;
		}
		if (round >= spin || round % REPLY_CLOCK_EVERY == 0)
			left = deadline - mbx_now_ns();
		int p = poll ? poll(ctx, round) : REPLY_POLL_IDLE;
		if (left <= 0 || p > 0) {
			uint32_t expect = st; /* WAITING or SLEEPING */
			/* seq_cst, as atomic_compare_exchange_strong */
			if (MC_CAS_STRONG(&s->state, &expect, SLOT_ABANDONED, memory_order_seq_cst, memory_order_seq_cst)) {
				slot_cache(tls_slot); /* the key must not keep s: the replier frees it */
				slot_unref(s);
				return left <= 0 ? REPLY_TIMEOUT : p;
			}
			continue; /* answered meanwhile: take it */
		}
		if (p == REPLY_POLL_AGAIN)
			continue;
		if (round < spin) {
			mbx_cpu_relax();
			continue;
		}
		if (!spun)
			spin_learn(spin, false);
		spun = true;
		if (round < spin + REPLY_YIELDS) {
			MC_YIELD(); /* sched_yield(): often runs the replier */
		} else {
			/* announce the sleep, so the replier knows to wake us; relaxed:
			 * the DONE that may beat it is read by the acquire load above */
			uint32_t expect = SLOT_WAITING;
			if (st == SLOT_WAITING &&
			    !MC_CAS_STRONG(&s->state, &expect, SLOT_SLEEPING, memory_order_relaxed,
			                   memory_order_relaxed))
				continue; /* answered meanwhile */
			mbx_futex_wait(&s->state, SLOT_SLEEPING, left < nap_ns ? left : nap_ns);
		}
	}
}

int reply_i_result(const struct mbx_reply *s, mbx_msg *out)
{
	MC_RD(&s->err);
	if (s->err == 0 && out) {
		MC_RD(&s->value);
		*out = s->value;
	}
	return s->err;
}
