/* actor.c: the actor runtime over any mailbox of the table, in both
 * execution modes (a thread per actor, or a task on a pool: pool.c runs the
 * turns this file defines); ask waits on reply.c's one-shot slot. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <time.h>

#include "actor.h"
#include "actor_i.h"
#include "check.h"
#include "mbx_sync.h"
#include "pool.h"
#include "reply.h"

static _Thread_local act_actor *tls_current; /* actor whose handler runs on this thread */
/* The ask of the message being dispatched on this thread, until answered:
 * after the handler returns, the runtime must know whether it replied
 * without touching the slot (which the asker may already be reusing). */
static _Thread_local struct mbx_reply *tls_pending;

/* Answer (or fail) the ask; consumes the message's reference. */
static void slot_complete(struct mbx_reply *s, int err, uint64_t a, uint64_t b)
{
	if (s == tls_pending)
		tls_pending = NULL;
	reply_i_complete(s, err, a, b);
}

void act_reply(const mbx_msg *msg, uint64_t a, uint64_t b)
{
	if (msg && msg->reply)
		slot_complete(msg->reply, ACT_OK, a, b);
}

void act_reply_error(const mbx_msg *msg, int err)
{
	if (msg && msg->reply)
		slot_complete(msg->reply, err ? err : ACT_ESTOPPED, 0, 0);
}

/* ------------------------------------------------------------------------
 * Actors.
 * ---------------------------------------------------------------------- */
struct act_actor {
	const act_behavior *b;
	void *state;
	mbx *box;
	pthread_t thread;
	_Atomic uint32_t refs;
	_Atomic int stop_requested; /* act_stop or self-stop */
	_Atomic int joined;
	_Atomic int thread_done;
	_Atomic uint64_t handled;
	_Atomic uint64_t dead_letters;
	/* After the actor's thread is done, whoever drains late pushes takes the
	 * consumer role under this lock (the mailbox has one consumer at a time). */
	pthread_mutex_t late_mu;
	/* ---- supervision (supervisor.c): NULL / 0 for a plain actor ---- */
	const act_i_supervision *sup;
	_Atomic int restart_req; /* act_i_request_restart: restart at the next message boundary */
	_Atomic int cb;          /* supervised: CB_OUT, CB_IN (a user callback runs), CB_ABANDONED */
	void (*orphan_fini)(void *state); /* act_i_abandon's fini: read after cb showed CB_ABANDONED */
	bool abandoned;          /* cut loose by act_i_abandon (the actor's own thread or turn) */
	bool dropped;            /* no on_stop: the state is not ours to stop (the actor's own) */
	/* ---- pooled mode: NULL pool = thread per actor ---- */
	act_pool *pool;
	pool_task task;
	bool started;               /* on_start has run (touched by the running turn only) */
	bool suspended;             /* supervised, crashed, verdict pending (the running turn only) */
	_Atomic uint32_t done_word; /* DONE_*: joiners futex-wait on it */
};

/* done_word: RUNNING -> DONE (the last turn), or RUNNING -> JOINER (a joiner
 * is about to sleep) -> DONE: the last turn makes the wake syscall only then. */
enum { DONE_RUNNING = 0, DONE_DONE = 1, DONE_JOINER = 2 };

struct act_ctx {
	act_actor *self;
	jmp_buf *jb; /* the dispatch point act_panic unwinds to; NULL outside a handler */
};

/* ---- supervision: crash reasons, panic, restarts ---- */
static _Thread_local const char *tls_panic_reason; /* thread-local: survives the longjmp */
static const char CRASH_RETURNED[] = "handler returned ACT_CRASH";
/* A wake-up with no content (act_i_request_restart): recognised by its reply
 * pointer, never dispatched, never answered, never a dead letter. */
static char ctl_wake_tag; /* only its address matters: never dereferenced */
#define CTL_WAKE ((struct mbx_reply *)(void *)&ctl_wake_tag)

_Noreturn void act_panic(act_ctx *ctx, const char *reason)
{
	if (!ctx || !ctx->jb) {
		fprintf(stderr, "mailroom: act_panic outside a handler: %s\n", reason ? reason : "?");
		abort();
	}
	tls_panic_reason = reason ? reason : "act_panic";
	longjmp(*ctx->jb, 1);
}

static void woke(act_actor *a, bool was_empty);

void act_i_request_restart(act_actor *a)
{
	atomic_store(&a->restart_req, 1);
	mbx_msg w = {.reply = CTL_WAKE};
	bool was_empty = false;
	/* FULL: the actor is busy and sees the flag; CLOSED: stopping */
	if (mbx_try_push(a->box, &w, &was_empty) == MBX_OK)
		woke(a, was_empty); /* pooled: schedule it */
}

void act_i_wake(act_actor *a)
{
	if (a->pool)
		pool_i_wake(a->pool, &a->task);
}

/* ---- shutdown timeout: a supervised actor's user callbacks are bracketed
 * so that act_i_abandon can cut a stuck one loose ---- */
enum { CB_OUT = 0, CB_IN = 1, CB_ABANDONED = 2 };

static void cb_enter(act_actor *a)
{
	if (a->sup)
		atomic_store(&a->cb, CB_IN); /* seq_cst: act_i_abandon's CAS reads it */
}

/* True when the actor was abandoned during the callback (now or before). */
static bool cb_leave(act_actor *a)
{
	/* seq_cst exchange: pairs with act_i_abandon's CAS (and publishes orphan_fini) */
	if (!a->sup || atomic_exchange(&a->cb, CB_OUT) != CB_ABANDONED)
		return a->abandoned;
	a->sup = NULL; /* its supervisor may be gone: never touched again */
	a->abandoned = a->dropped = true;
	atomic_store(&a->stop_requested, 1);
	mbx_close(a->box);
	return true;
}

bool act_i_abandon(act_actor *a, void (*fini)(void *state))
{
	a->orphan_fini = fini; /* read by the actor only after it saw the CAS below */
	int w = CB_IN;
	return atomic_compare_exchange_strong(&a->cb, &w, CB_ABANDONED);
}

static void run_on_start(act_actor *a)
{
	if (a->b->on_start) {
		act_ctx sctx = {a, NULL};
		cb_enter(a);
		a->b->on_start(a->state, &sctx);
		cb_leave(a);
	}
}

static void drop(act_actor *a)
{
	a->dropped = true;
	atomic_store(&a->stop_requested, 1);
	mbx_close(a->box);
}

/* A fresh state: on_start, then the supervisor's started() (an ordered
 * restart holds it until every sibling has started). */
static act_i_verdict sup_restarted(act_actor *a)
{
	atomic_store(&a->restart_req, 0); /* fresh state already */
	act_i_verdict v;
	do {
		run_on_start(a);
		if (a->abandoned)
			return ACT_I_DROP;
		v = a->sup->started(a->sup->ctx, &a->state, !a->pool);
	} while (v == ACT_I_RESTART);
	a->suspended = v == ACT_I_PENDING;
	if (v == ACT_I_DROP)
		drop(a);
	if (v == ACT_I_GIVE_UP) {
		atomic_store(&a->stop_requested, 1);
		mbx_close(a->box);
	}
	return v;
}

/* A requested restart (a sibling's ordered restart), at a boundary. */
static act_i_verdict sup_request(act_actor *a)
{
	if (!atomic_load(&a->restart_req) || !atomic_exchange(&a->restart_req, 0))
		return ACT_I_KEEP;
	act_i_verdict v = a->sup->restart(a->sup->ctx, &a->state, !a->pool);
	if (v == ACT_I_RESTART)
		return sup_restarted(a);
	a->suspended = v == ACT_I_PENDING;
	if (v == ACT_I_DROP)
		drop(a);
	return v;
}

/* Supervised crash (reason) or normal stop (NULL): the supervisor decides.
 * RESTART/RESUME: keep handling; PENDING: suspended (pooled); GIVE_UP,
 * DROP: stopping. */
static act_i_verdict sup_exited(act_actor *a, const mbx_msg *msg, const char *reason)
{
	mbx_msg copy = *msg;
	copy.reply = NULL; /* the ask (if any) is already answered */
	act_i_verdict v = a->sup->exited(a->sup->ctx, &copy, reason, &a->state, !a->pool);
	if (v == ACT_I_RESTART)
		return sup_restarted(a);
	a->suspended = v == ACT_I_PENDING;
	if (v == ACT_I_DROP)
		drop(a);
	else if (v == ACT_I_GIVE_UP) {
		atomic_store(&a->stop_requested, 1);
		mbx_close(a->box);
	}
	return v;
}

/* Pooled and suspended, at the start of a turn: PENDING (stay suspended;
 * *poll: come back soon), RESUME/RESTART (take messages), GIVE_UP, DROP. */
static act_i_verdict sup_resume(act_actor *a, bool *poll)
{
	act_i_verdict v = a->sup->verdict(a->sup->ctx, &a->state, poll);
	if (v == ACT_I_PENDING)
		return v;
	a->suspended = false;
	if (v == ACT_I_RESTART)
		return sup_restarted(a);
	if (v == ACT_I_DROP) {
		drop(a);
	} else if (v == ACT_I_GIVE_UP) {
		atomic_store(&a->stop_requested, 1);
		mbx_close(a->box);
	}
	return v;
}

const char *act_strerror(int err)
{
	switch (err) {
	case ACT_OK: return "ok";
	case ACT_ETIMEOUT: return "timeout";
	case ACT_ESTOPPED: return "actor stopped";
	case ACT_ECRASHED: return "handler crashed";
	case ACT_EINVAL: return "invalid argument";
	case ACT_EALREADY: return "already done";
	case ACT_EFULL: return "mailbox full";
	case ACT_ENOMEM: return "out of memory";
	case ACT_EDEADLK: return "would deadlock (self)";
	case ACT_ENOREPLY: return "handler returned without replying";
	case ACT_EDEPTH: return "nested wait past the worker's stack budget";
	}
	return "?";
}

const mbx_ops *act_default_mailbox(void)
{
	const mbx_ops *o = mbx_find("futex_ring");
	return o ? o : mbx_table[0];
}

act_ref act_self(act_ctx *ctx) { return (act_ref){ctx->self}; }

act_ref act_retain(act_ref r)
{
	if (r.a)
		atomic_fetch_add_explicit(&r.a->refs, 1, memory_order_relaxed); /* caller already holds a ref */
	return r;
}

static void dead_letter(const mbx_msg *msg, void *p)
{
	act_actor *a = p;
	if (msg->reply == CTL_WAKE)
		return; /* supervision wake-up: no content */
	atomic_fetch_add_explicit(&a->dead_letters, 1, memory_order_relaxed); /* statistic only */
	act_reply_error(msg, ACT_ESTOPPED);
}

/* Dead-letter pushes that landed after the actor's last drain (kinds without
 * MBX_CAP_EXACT_CLOSE): the thread is gone, so the caller consumes. */
static void drain_late(act_actor *a)
{
	pthread_mutex_lock(&a->late_mu);
	mbx_drain(a->box, dead_letter, a);
	pthread_mutex_unlock(&a->late_mu);
}

static void actor_free(act_actor *a)
{
	if (!a->pool && !atomic_exchange(&a->joined, 1)) {
		if (tls_current == a || pthread_equal(pthread_self(), a->thread))
			pthread_detach(a->thread);
		else
			pthread_join(a->thread, NULL);
	}
	mbx_close(a->box);
	drain_late(a); /* pushes that raced the last drain */
	mbx_destroy_in(a->box); /* its memory is ours: freed with a */
	pthread_mutex_destroy(&a->late_mu);
	free(a);
}

void act_release(act_ref r)
{
	/* acq_rel: the last dropper must see every other holder's writes */
	if (r.a && atomic_fetch_sub_explicit(&r.a->refs, 1, memory_order_acq_rel) == 1)
		actor_free(r.a);
}

/* Handle one message; returns false when the actor must stop handling. */
static bool dispatch(act_actor *a, const mbx_msg *msg)
{
	jmp_buf jb;
	act_ctx ctx = {a, &jb};
	struct mbx_reply *outer = tls_pending; /* a pooled worker may run this inside another handler */
	tls_pending = msg->reply;
	act_result r; /* no local is written between setjmp and a longjmp (-Wclobbered) */
	cb_enter(a);
	if (setjmp(jb) == 0) {
		r = a->b->handle(a->state, msg, &ctx);
		if (r == ACT_CRASH)
			tls_panic_reason = CRASH_RETURNED;
	} else { /* act_panic unwound here; it set tls_panic_reason */
		r = ACT_CRASH;
	}
	bool abandoned = cb_leave(a);
	/* relaxed, and no locked add: one writer (the actor's own turn or
	 * thread); readers want a statistic, exact after join */
	atomic_store_explicit(&a->handled, atomic_load_explicit(&a->handled, memory_order_relaxed) + 1,
	                      memory_order_relaxed);
	/* Stop accepting (what is queued still drains) BEFORE answering the
	 * ask: an asker that got ACT_ECRASHED and sends again must get
	 * ACT_ESTOPPED, not a dead letter. A supervised crash answers first
	 * and then waits for the verdict (its mailbox stays open). */
	bool sup_exit = a->sup && r != ACT_CONTINUE; /* the supervisor decides */
	bool stop_now = r != ACT_CONTINUE && !sup_exit;
	if (stop_now) {
		atomic_store(&a->stop_requested, 1);
		mbx_close(a->box);
	}
	if (tls_pending) /* asked, never answered */
		act_reply_error(msg, r == ACT_CRASH ? ACT_ECRASHED : ACT_ENOREPLY);
	tls_pending = outer;
	if (abandoned)
		return false; /* its supervisor let it go: the queue is dead letters */
	if (sup_exit) {
		act_i_verdict v = sup_exited(a, msg, r == ACT_CRASH ? tls_panic_reason : NULL);
		/* given up after a normal stop: drain gracefully, as ACT_STOP does */
		return v == ACT_I_GIVE_UP ? r == ACT_STOP : v != ACT_I_DROP;
	}
	return r != ACT_CRASH;
}

typedef enum { STEP_RUNNING, STEP_IDLE, STEP_DONE, STEP_SUSPENDED } step_state;
/* Handles up to max messages without blocking (try_pop): one pooled turn. */
static step_state step(act_actor *a, unsigned max)
{
	mbx_msg msg;
	act_actor *prev = tls_current;
	tls_current = a;
	step_state st = STEP_RUNNING;
	for (unsigned i = 0; i < max; i++) {
		if (a->sup && atomic_load(&a->restart_req)) { /* before the pop: a suspension keeps no message */
			sup_request(a);
			if (a->dropped || a->suspended) {
				st = a->dropped ? STEP_DONE : STEP_SUSPENDED;
				break;
			}
		}
		mbx_status s = mbx_try_pop(a->box, &msg);
		if (s == MBX_OK) {
			if (msg.reply == CTL_WAKE)
				continue;
			if (!dispatch(a, &msg)) {
				st = STEP_DONE;
				break;
			}
			if (a->suspended) { /* crashed, pooled: no message until the verdict */
				st = STEP_SUSPENDED;
				break;
			}
		} else if (s == MBX_RETRY) {
			break; /* a push is mid-flight: come back */
		} else {
			st = s == MBX_CLOSED ? STEP_DONE : STEP_IDLE;
			break;
		}
	}
	tls_current = prev;
	return st;
}

/* After the last message: on_stop, close, dead-letter what raced the close,
 * and pass the consumer role on (both modes). */
static void finish(act_actor *a, act_ctx *ctx)
{
	if (a->b->on_stop && !a->dropped) {
		cb_enter(a);
		a->b->on_stop(a->state, ctx);
		cb_leave(a);
	}
	mbx_close(a->box);
	pthread_mutex_lock(&a->late_mu);
	mbx_drain(a->box, dead_letter, a); /* after a crash, or pushes that raced close */
	atomic_store(&a->thread_done, 1);  /* under late_mu: the consumer role passes on */
	pthread_mutex_unlock(&a->late_mu);
	if (a->abandoned && a->orphan_fini)
		a->orphan_fini(a->state); /* written off by its supervisor: the state is ours */
}

static void *actor_main(void *p)
{
	act_actor *a = p;
	act_ctx ctx = {a, NULL};
	tls_current = a;
	run_on_start(a);
	mbx_msg msg;
	while (!a->dropped) {
		mbx_status s = mbx_pop(a->box, &msg);
		if (s == MBX_CLOSED)
			break;
		CHECK_STATUS(s, MBX_OK);
		if (MBX_MUTANT(9) && atomic_load(&a->stop_requested)) { /* mutant 9: stop without draining */
			dead_letter(&msg, a);
			break;
		}
		if (a->sup && (sup_request(a), a->dropped)) {
			dead_letter(&msg, a);
			break;
		}
		if (msg.reply == CTL_WAKE)
			continue;
		if (!dispatch(a, &msg))
			break;
	}
	finish(a, &ctx);
	tls_current = NULL;
	act_release((act_ref){a});
	return NULL;
}

/* ---- the pooled mode: one turn, as pool.c runs it ---- */
static act_actor *task_actor(pool_task *t)
{
	return (act_actor *)(void *)((char *)t - offsetof(act_actor, task));
}

static pool_turn actor_turn(pool_task *t, unsigned batch)
{
	act_actor *a = task_actor(t);
	act_ctx ctx = {a, NULL};
	act_actor *prev = tls_current; /* a helped turn runs inside another handler */
	tls_current = a;
	if (!a->started) {
		a->started = true;
		run_on_start(a);
	}
	bool poll = false;
	act_i_verdict v = a->suspended ? sup_resume(a, &poll) : ACT_I_RESTART;
	if (v == ACT_I_PENDING) {
		if (poll)
			sched_yield(); /* a restart's backoff: come back after the others' turns */
		tls_current = prev;
		return poll ? POOL_TURN_MORE : POOL_TURN_EMPTY; /* the verdict wakes it (act_i_wake) */
	}
	/* relaxed: our own counter (this turn is its only writer now) */
	uint64_t before = atomic_load_explicit(&a->handled, memory_order_relaxed);
	pool_turn r;
	switch (v == ACT_I_GIVE_UP || a->dropped ? STEP_DONE : step(a, batch)) { /* given up: queued ones are dead letters */
	case STEP_IDLE:
	case STEP_SUSPENDED:
		r = POOL_TURN_EMPTY;
		break;
	case STEP_RUNNING:
		if (atomic_load_explicit(&a->handled, memory_order_relaxed) == before) /* our own counter */
			sched_yield(); /* RETRY at once: a producer is mid-push, maybe preempted */
		r = POOL_TURN_MORE;
		break;
	default:
		finish(a, &ctx);
		r = POOL_TURN_DONE;
	}
	tls_current = prev;
	return r;
}

static void actor_finished(pool_task *t)
{
	act_actor *a = task_actor(t);
	/* seq_cst: joiners read it, then the actor's state */
	if (atomic_exchange(&a->done_word, DONE_DONE) == DONE_JOINER)
		mbx_futex_wake(&a->done_word, INT32_MAX);
	act_release((act_ref){a}); /* the running reference */
}

/* What a pool's workers do with an actor's task: given to the pool when it
 * is made, so pool.c never names this file. */
static const pool_task_ops actor_task_ops = {actor_turn, actor_finished};

act_pool *act_pool_create(const act_pool_config *cfg) { return pool_i_create(cfg, &actor_task_ops); }

act_ref act_spawn(const act_behavior *b, void *state, const act_options *opt)
{
	return act_i_spawn_supervised(b, state, opt, NULL);
}

act_ref act_i_spawn_supervised(const act_behavior *b, void *state, const act_options *opt,
                               const act_i_supervision *sup)
{
	act_ref r = {NULL};
	if (!b || !b->handle) {
		errno = EINVAL;
		return r;
	}
	const mbx_ops *ops = opt && opt->mailbox ? opt->mailbox : act_default_mailbox();
	uint32_t cap = opt ? opt->capacity : 0;
	int32_t spin = opt ? opt->spin : -1;
	/* One allocation: the actor, then its mailbox on the next line boundary */
	size_t head = (sizeof(act_actor) + MBX_CACHELINE - 1) / MBX_CACHELINE * MBX_CACHELINE;
	size_t box_bytes = mbx_footprint(ops, cap, spin);
	if (!box_bytes)
		return r; /* errno EINVAL */
	act_actor *a = aligned_alloc(MBX_CACHELINE, head + box_bytes);
	if (!a) {
		errno = ENOMEM;
		return r;
	}
	memset(a, 0, sizeof *a); /* the mailbox's init clears its own part */
	a->box = mbx_create_in(ops, (char *)a + head, cap, spin);
	if (!a->box) {
		int e = errno;
		free(a);
		errno = e;
		return r;
	}
	a->b = b;
	a->state = state;
	a->sup = sup;
	CHECK_EQ(pthread_mutex_init(&a->late_mu, NULL), 0); /* glibc: cannot fail without attributes */
	atomic_init(&a->refs, 2); /* the caller's handle + the running thread or task */
	if (opt && opt->pool) {
		a->pool = opt->pool;
		/* With on_start, a first turn runs it now; without, the actor
		 * starts idle and its first push schedules it. */
		a->started = !b->on_start;
		pool_i_start(a->pool, &a->task, a->started);
		r.a = a;
		return r;
	}
	int e = pthread_create(&a->thread, NULL, actor_main, a);
	if (e) {
		mbx_destroy_in(a->box);
		pthread_mutex_destroy(&a->late_mu);
		free(a);
		errno = e;
		return r;
	}
	r.a = a;
	return r;
}

/* A mailbox answer as the actor layer's error (CLOSED: the actor stopped). */
static int act_err_of(mbx_status s)
{
	switch (s) {
	case MBX_OK: return ACT_OK;
	case MBX_FULL: return ACT_EFULL;
	case MBX_NOMEM: return ACT_ENOMEM;
	default: return ACT_ESTOPPED;
	}
}

/* A pooled target is scheduled when the push found its mailbox empty. */
static void woke(act_actor *a, bool was_empty)
{
	if (was_empty && a->pool && !pool_i_wake(a->pool, &a->task))
		drain_late(a); /* terminated: the push landed after its last drain */
}

/* A worker waiting inside a handler for actor a runs a's queued turn
 * (pool.c's pool_i_help), else naps; elsewhere: yield, then nap. */
static pool_help help(act_actor *a)
{
	pool_i_waiting(); /* this worker's next slot must not hold a task while it waits */
	return a->pool ? pool_i_help(a->pool, &a->task) : POOL_HELP_NONE;
}

/* The i-th wait for actor a (a full mailbox, a join): help, else yield,
 * and from the 64th wait on nap up to nap_ns. ACT_EDEPTH: give the wait up
 * (it needs a nested turn the worker's stack has no room for). */
static int wait_a_little(act_actor *a, unsigned i, int64_t nap_ns)
{
	pool_help h = help(a);
	if (h != POOL_HELP_NONE)
		return h == POOL_HELP_TOO_DEEP ? ACT_EDEPTH : ACT_OK;
	if (i < 64) {
		sched_yield();
	} else {
		struct timespec ts = {0, nap_ns};
		nanosleep(&ts, NULL);
	}
	return ACT_OK;
}

/* An ACT_* result. */
static int push_to(act_actor *a, const mbx_msg *m, bool block)
{
	bool was_empty = false;
	mbx_status s;
	if (block && pool_i_on_worker()) {
		/* never park a worker on a full mailbox: its consumer may need it */
		for (unsigned i = 0; (s = mbx_try_push(a->box, m, &was_empty)) == MBX_FULL; i++)
			if (wait_a_little(a, i, 50000) == ACT_EDEPTH)
				return ACT_EDEPTH;
	} else {
		s = block ? mbx_push(a->box, m, &was_empty) : mbx_try_push(a->box, m, &was_empty);
	}
	if (s == MBX_OK)
		woke(a, was_empty);
	return act_err_of(s);
}

static int send_impl(act_ref to, const mbx_msg *msg, bool block)
{
	if (!to.a || !msg)
		return ACT_EINVAL;
	mbx_msg m = *msg;
	m.reply = NULL;
	return push_to(to.a, &m, block);
}

int act_send(act_ref to, const mbx_msg *msg) { return send_impl(to, msg, true); }
int act_try_send(act_ref to, const mbx_msg *msg) { return send_impl(to, msg, false); }

/* What an ask does between looks at its slot: a pooled worker helps the
 * target (or gives up past its stack budget); after the spin, a push that
 * landed after the target's last drain is failed here (it would never be
 * answered). */
typedef struct ask_wait {
	act_actor *to;
	bool worker;
} ask_wait;

static int ask_poll(void *ctx, unsigned round)
{
	ask_wait *w = ctx;
	pool_help h = w->worker ? help(w->to) : POOL_HELP_NONE;
	if (h == POOL_HELP_TOO_DEEP)
		return ACT_EDEPTH;
	if (h == POOL_HELP_RAN)
		return REPLY_POLL_AGAIN; /* ran a queued turn first: likely the one we asked */
	if (round >= REPLY_SPIN && atomic_load(&w->to->thread_done)) {
		drain_late(w->to); /* our push landed after the actor's last drain */
		return REPLY_POLL_AGAIN;
	}
	return REPLY_POLL_IDLE;
}

int act_ask(act_ref to, const mbx_msg *req, mbx_msg *reply, int64_t timeout_ns)
{
	if (!to.a || !req || timeout_ns <= 0)
		return ACT_EINVAL;
	if (to.a == tls_current)
		return ACT_EDEADLK; /* a handler asking its own actor would wait on itself */
	struct mbx_reply *s = reply_i_get();
	if (!s)
		return ACT_ENOMEM;
	mbx_msg m = *req;
	m.reply = s;
	int64_t deadline = mbx_deadline_ns(timeout_ns);
	/* The push honours the deadline too: a full mailbox whose actor is stuck
	 * must not keep the asker past its timeout. */
	mbx_status ps;
	bool was_empty = false;
	for (unsigned i = 0; (ps = mbx_try_push(to.a->box, &m, &was_empty)) == MBX_FULL; i++) {
		int64_t left = deadline - mbx_now_ns();
		int e = left <= 0 ? ACT_ETIMEOUT : wait_a_little(to.a, i, left < 200000 ? left : 200000); /* back off up to 0.2 ms */
		if (e != ACT_OK) {
			reply_i_unsent(s);
			return e;
		}
	}
	if (ps != MBX_OK) {
		reply_i_unsent(s);
		return act_err_of(ps); /* not OK, not FULL: CLOSED or NOMEM */
	}
	woke(to.a, was_empty);
	/* bounded sleeps: a push that lands after the actor's final drain is
	 * noticed within 10 ms instead of at the deadline; a worker looks for
	 * turns to help with every 1 ms */
	ask_wait w = {to.a, pool_i_on_worker()};
	int err = reply_i_wait(s, deadline, w.worker ? 1000000 : 10000000, ask_poll, &w);
	if (err != 0)
		return err == REPLY_TIMEOUT ? ACT_ETIMEOUT : err; /* the slot is abandoned */
	err = reply_i_result(s, reply);
	reply_i_put_back(s);
	return err;
}

int act_stop(act_ref r)
{
	if (!r.a)
		return ACT_EINVAL;
	if (atomic_exchange(&r.a->stop_requested, 1))
		return ACT_EALREADY;
	mbx_close(r.a->box);
	if (r.a->pool)
		pool_i_wake(r.a->pool, &r.a->task); /* an idle actor must see the close */
	return ACT_OK;
}

int act_join(act_ref r)
{
	if (!r.a)
		return ACT_EINVAL;
	if (r.a == tls_current)
		return ACT_EDEADLK;
	if (atomic_exchange(&r.a->joined, 1))
		return ACT_EALREADY;
	if (!r.a->pool) {
		pthread_join(r.a->thread, NULL);
		return ACT_OK;
	}
	/* seq_cst loads and CAS: pair with actor_finished's exchange */
	for (unsigned i = 0; atomic_load(&r.a->done_word) != DONE_DONE; i++) {
		uint32_t w = DONE_RUNNING;
		if (pool_i_on_worker()) {
			if (wait_a_little(r.a, i, 50000) == ACT_EDEPTH) {
				atomic_store(&r.a->joined, 0); /* not joined: may be tried again */
				return ACT_EDEPTH;
			}
		} else if (atomic_compare_exchange_strong(&r.a->done_word, &w, DONE_JOINER) || w == DONE_JOINER)
			mbx_futex_wait(&r.a->done_word, DONE_JOINER, -1);
	}
	return ACT_OK;
}

void act_i_wait_for(act_actor *a, unsigned i)
{
	if (wait_a_little(a, i < 64 ? i : 64, 50000) == ACT_EDEPTH) { /* cannot help: nap */
		struct timespec ts = {0, 50000};
		nanosleep(&ts, NULL);
	}
}

bool act_i_done(act_actor *a)
{
	/* seq_cst loads: pair with actor_finished's exchange / finish's store */
	return a->pool ? atomic_load(&a->done_word) == DONE_DONE : atomic_load(&a->thread_done);
}

int act_i_join_until(act_ref r, int64_t deadline)
{
	for (unsigned i = 0;; i++) {
		if (act_i_done(r.a)) {
			int e = act_join(r); /* at once, or the thread's last few instructions */
			return e == ACT_EALREADY ? ACT_OK : e;
		}
		if (mbx_now_ns() >= deadline)
			return ACT_ETIMEOUT;
		act_i_wait_for(r.a, i);
	}
}

act_stats act_get_stats(act_ref r)
{
	act_stats st = {0, 0};
	if (r.a) {
		if (atomic_load(&r.a->thread_done))
			drain_late(r.a); /* count pushes that landed after the last drain */
		st.handled = atomic_load_explicit(&r.a->handled, memory_order_relaxed);       /* statistic */
		st.dead_letters = atomic_load_explicit(&r.a->dead_letters, memory_order_relaxed); /* statistic */
	}
	return st;
}
