/* supervisor.c: supervision trees. The supervisor is an actor whose messages
 * are crash notices from its children and requests (start/terminate a
 * child). A crashed child keeps its mailbox and takes the verdict: thread
 * per actor, it waits on its own thread; pooled, it is suspended (no
 * message taken) until the supervisor wakes it (act_i_wake), so supervisors
 * and children run in either mode, mixed. One-for-one restarts the child on
 * its own thread or turn; one-for-all and rest-for-one hold every affected
 * child and restart them in order from the supervisor (ordered_restart). */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "mbx_sync.h"
#include "actor_i.h"
#include "supervisor.h"

/* The supervisor's messages ("SUPV", "SUPS", "SUPT"); a notice's seq says which */
enum { SUP_NOTICE = 0x53555056u, SUP_START = 0x53555053u, SUP_TERM = 0x53555054u };
enum { N_EXIT = 0, N_ENDED = 1 };
enum { V_NONE = -1 };
/* slot: S_LIVE (running or restarting), S_ENDED (stopped, not restarted),
 * S_GONE (removed: joined, finalised and released, or abandoned) */
enum { S_FREE, S_LIVE, S_ENDED, S_GONE };
/* hold, in an ordered restart: the supervisor asks (H_ASKED), the child
 * parks at a boundary (H_PARKED), the supervisor gives it a fresh state
 * (H_START), the child installs it (H_STARTING) and runs on_start
 * (H_STARTED), the supervisor releases it (H_NONE); or ends it: H_EXIT
 * (its state is intact: stop), H_DROP (its state is the supervisor's) */
enum { H_NONE, H_ASKED, H_PARKED, H_START, H_STARTING, H_STARTED, H_EXIT, H_DROP };
static const int64_t SUP_ASK_NS = 24ll * 3600 * 1000000000; /* start/terminate: bounded by the shutdown timeouts */

typedef struct sup_child {
	act_sup *sup;
	size_t idx;
	act_child_spec spec;
	act_i_supervision hooks;
	act_ref ref;
	/* The current state: written by the child's thread in a one-for-one
	 * restart, by the supervisor while the child is held; read by whoever
	 * finalises after joining the child. */
	void *state;
	uint64_t restarts;
	int64_t last_restart_ns;
	unsigned streak;
	/* under sup->mu */
	int slot;
	int waiting;        /* exited, notice sent, verdict not yet taken */
	int verdict;        /* V_NONE or act_i_verdict */
	int wave;           /* a member of the ordered restart in progress */
	int hold;           /* H_*: its step in it */
	int terminating;    /* the supervisor is stopping it: no restart */
	int fresh;          /* held with a state the supervisor made, not yet handed over */
	int notice_pending; /* pooled child exited before the supervisor knew itself: sup_on_start sends it */
	bool resume_set;    /* pooled: the RESTART verdict's backoff has started */
	int64_t resume_ns, crash_ns, wave_crash_ns;
} sup_child;

struct act_sup {
	act_sup_spec spec;
	sup_child *ch;
	size_t cap;  /* slots */
	size_t n;    /* slots used: written under mu by the supervisor thread */
	size_t *members; /* the supervisor thread's: an ordered restart's children (2 * cap) */
	uint64_t gen; /* this incarnation: notices of an earlier one are ignored */
	pthread_mutex_t mu;
	pthread_cond_t cv; /* verdicts, holds, closing, self known; CLOCK_MONOTONIC */
	int closing;       /* under mu: no more restarts */
	int have_self;     /* under mu */
	act_ref self;      /* under mu: retained, released by fini */
	int children_stopped; /* supervisor thread, then the finaliser */
	size_t abandoned;     /* under mu: children abandoned at their shutdown timeout */
	int64_t *ring;        /* supervisor thread: times of the last restarts */
	size_t ring_head, ring_n;
	act_ref top; /* act_sup_start's handle */
};

static _Atomic uint64_t sup_gen_next = 1;

static void emit(act_sup *s, act_sup_event *ev)
{
	if (s->spec.observer)
		s->spec.observer(s->spec.hook_ctx, ev);
}

static void emit_child(sup_child *c, act_sup_event_kind k, const char *reason, int64_t crash_ns)
{
	act_sup_event ev = {k, c->sup->spec.name, c->idx, c->spec.name, c->ref, reason, c->restarts, mbx_now_ns(),
	                    crash_ns};
	emit(c->sup, &ev);
}

static int64_t shutdown_of(const sup_child *c) { return c->spec.shutdown_ns > 0 ? c->spec.shutdown_ns : ACT_SUP_SHUTDOWN_NS; }

/* Under mu: no restart for c (the supervisor gives up or stops it). */
static bool closing(const sup_child *c) { return c->sup->closing || c->terminating || c->slot != S_LIVE; }

/* Supervisor thread: c missed its shutdown timeout; cut it loose if it is
 * stuck in a callback (false: it is between callbacks, moving: wait more). */
static bool abandon(act_sup *s, sup_child *c)
{
	if (!act_i_abandon(c->ref.a, c->spec.fini))
		return false;
	pthread_mutex_lock(&s->mu);
	c->slot = S_GONE;
	c->wave = 0;
	s->abandoned++;
	pthread_mutex_unlock(&s->mu);
	emit_child(c, ACT_SUP_ABANDONED, "shutdown timeout", 0);
	act_release(c->ref); /* its running reference keeps it until it returns */
	return true;
}

/* Stops c and joins it within its shutdown timeout: ACT_OK, or ACT_ETIMEOUT
 * (abandoned). Its state and handle stay for the caller (unless abandoned). */
static int shutdown_child(act_sup *s, sup_child *c)
{
	pthread_mutex_lock(&s->mu);
	c->terminating = 1; /* a waiting child gets GIVE_UP */
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	int e = act_stop(c->ref); /* pooled: also a turn, to see the verdict */
	CHECK(e == ACT_OK || e == ACT_EALREADY);
	int64_t deadline = mbx_now_ns() + shutdown_of(c);
	while ((e = act_i_join_until(c->ref, deadline)) == ACT_ETIMEOUT) {
		if (abandon(s, c))
			return ACT_ETIMEOUT;
		deadline = mbx_now_ns() + 1000000; /* between callbacks: it is moving */
	}
	CHECK_EQ(e, ACT_OK);
	return ACT_OK;
}

/* Finalises and releases a stopped child: its slot is empty. */
static void remove_child(act_sup *s, sup_child *c)
{
	if (c->spec.fini)
		c->spec.fini(c->state);
	act_release(c->ref);
	pthread_mutex_lock(&s->mu);
	c->slot = S_GONE;
	pthread_mutex_unlock(&s->mu);
	emit_child(c, ACT_SUP_REMOVED, NULL, 0);
}

static void stop_children(act_sup *s)
{
	if (s->children_stopped)
		return;
	s->children_stopped = 1;
	for (size_t j = s->n; j-- > 0;) {
		pthread_mutex_lock(&s->mu);
		int slot = s->ch[j].slot;
		pthread_mutex_unlock(&s->mu);
		if (slot == S_LIVE || slot == S_ENDED)
			shutdown_child(s, &s->ch[j]);
	}
}

/* Child thread: fini(old) + init(new) (one-for-one). */
static void renew_state(sup_child *c, void **state, int64_t crash_ns)
{
	if (c->spec.fini)
		c->spec.fini(*state);
	*state = c->spec.init ? c->spec.init(c->spec.arg) : NULL;
	c->state = *state;
	c->restarts++;
	emit_child(c, ACT_SUP_RESTARTED, NULL, crash_ns);
}

/* Under mu. */
static int64_t backoff_of(sup_child *c, int64_t now)
{
	const act_sup_spec *sp = &c->sup->spec;
	if (sp->backoff_ns <= 0)
		return 0;
	bool in_a_row = c->last_restart_ns && now - c->last_restart_ns < sp->period_ns;
	c->streak = in_a_row ? c->streak + 1 : 0;
	c->last_restart_ns = now;
	int64_t d = sp->backoff_ns;
	for (unsigned i = 0; i < c->streak && d < sp->backoff_max_ns; i++)
		d *= 2;
	return d < sp->backoff_max_ns || sp->backoff_max_ns <= 0 ? d : sp->backoff_max_ns;
}

/* A notice to the supervisor. try_send, not send: a full supervisor
 * mailbox must not block a child the supervisor is about to join. */
static void send_notice(sup_child *c, act_ref self, uint64_t kind)
{
	act_sup *s = c->sup;
	mbx_msg n = {.tag = SUP_NOTICE, .a = c->idx, .b = s->gen, .seq = kind};
	for (;;) {
		int e = act_try_send(self, &n);
		if (e == ACT_OK)
			break;
		pthread_mutex_lock(&s->mu);
		bool over = e != ACT_EFULL || s->closing;
		if (e != ACT_EFULL && c->verdict == V_NONE)
			c->verdict = ACT_I_GIVE_UP; /* the supervisor is gone */
		pthread_mutex_unlock(&s->mu);
		if (over)
			break;
		struct timespec ts = {0, 100000};
		nanosleep(&ts, NULL);
	}
}

/* Under mu: a held child's next step (PENDING: wait). */
static act_i_verdict held_step(sup_child *c, void **state)
{
	switch (c->hold) {
	case H_ASKED: /* asked while already held (a new ordered restart): parked now */
		c->hold = H_PARKED;
		pthread_cond_broadcast(&c->sup->cv);
		return ACT_I_PENDING;
	case H_START:
		*state = c->state; /* the supervisor made it */
		c->fresh = 0;
		c->hold = H_STARTING;
		return ACT_I_RESTART;
	case H_NONE:
		c->wave = 0;
		return ACT_I_RESUME;
	case H_EXIT:
	case H_DROP: {
		act_i_verdict v = c->hold == H_EXIT ? ACT_I_GIVE_UP : ACT_I_DROP;
		c->wave = 0;
		c->hold = H_NONE;
		return v;
	}
	}
	return ACT_I_PENDING;
}

/* Called with mu held; returns with it released. */
static act_i_verdict held_wait(sup_child *c, void **state, bool can_block)
{
	act_i_verdict v;
	while ((v = held_step(c, state)) == ACT_I_PENDING && can_block)
		pthread_cond_wait(&c->sup->cv, &c->sup->mu);
	pthread_mutex_unlock(&c->sup->mu);
	return v;
}

/* Thread per actor: the verdict on an exit (and the backoff). */
static act_i_verdict wait_verdict(sup_child *c, void **state)
{
	act_sup *s = c->sup;
	pthread_mutex_lock(&s->mu);
	while (c->verdict == V_NONE && !c->wave && !closing(c))
		pthread_cond_wait(&s->cv, &s->mu);
	if (c->wave)
		return held_wait(c, state, true); /* an ordered restart took it in */
	int v = closing(c) ? ACT_I_GIVE_UP : c->verdict;
	c->waiting = 0;
	if (v == ACT_I_RESTART) {
		int64_t now = mbx_now_ns(), until = now + backoff_of(c, now);
		struct timespec ts = {until / 1000000000, until % 1000000000};
		while (!closing(c) && mbx_now_ns() < until)
			pthread_cond_timedwait(&s->cv, &s->mu, &ts);
		if (closing(c))
			v = ACT_I_GIVE_UP;
	}
	pthread_mutex_unlock(&s->mu);
	if (v != ACT_I_RESTART)
		return ACT_I_GIVE_UP;
	renew_state(c, state, c->crash_ns);
	return ACT_I_RESTART;
}

/* Both modes, on the child: a crash (reason) or a normal stop (NULL). */
static act_i_verdict hook_exited(void *ctx, const mbx_msg *msg, const char *reason, void **state, bool can_block)
{
	sup_child *c = ctx;
	act_sup *s = c->sup;
	act_sup_event ev = {reason ? ACT_SUP_CRASHED : ACT_SUP_EXITED, s->spec.name, c->idx, c->spec.name, c->ref,
	                    reason ? reason : "normal", c->restarts, mbx_now_ns(), 0};
	emit(s, &ev);
	if (reason && s->spec.dead_letter)
		s->spec.dead_letter(s->spec.hook_ctx, &ev, msg);
	bool restart = c->spec.restart == ACT_CHILD_PERMANENT || (c->spec.restart == ACT_CHILD_TRANSIENT && reason);

	pthread_mutex_lock(&s->mu);
	while (can_block && !s->closing && !s->have_self)
		pthread_cond_wait(&s->cv, &s->mu); /* only at start: its on_start is imminent */
	if (closing(c)) {
		pthread_mutex_unlock(&s->mu);
		return ACT_I_GIVE_UP;
	}
	if (!restart) { /* ended: out of any ordered restart; a temporary one is removed */
		c->slot = S_ENDED;
		c->wave = 0;
		c->hold = H_NONE;
		pthread_cond_broadcast(&s->cv);
		bool notify = c->spec.restart == ACT_CHILD_TEMPORARY && s->have_self;
		act_ref self = s->self;
		pthread_mutex_unlock(&s->mu);
		if (notify)
			send_notice(c, self, N_ENDED);
		return ACT_I_GIVE_UP;
	}
	if (c->wave) { /* asked to hold for an ordered restart: this exit is part of it */
		c->hold = H_PARKED;
		c->wave_crash_ns = ev.t_ns;
		pthread_cond_broadcast(&s->cv);
		return held_wait(c, state, can_block);
	}
	c->waiting = 1;
	c->verdict = V_NONE;
	c->crash_ns = ev.t_ns;
	c->resume_set = false;
	c->notice_pending = !s->have_self;
	bool later = c->notice_pending; /* read under the lock: sup_on_start clears it */
	act_ref self = s->self; /* released by fini, which first joins this child */
	pthread_mutex_unlock(&s->mu);
	if (!later)
		send_notice(c, self, N_EXIT);
	return can_block ? wait_verdict(c, state) : ACT_I_PENDING;
}

/* Pooled, at the suspended child's turn: the verdict, if there is one. */
static act_i_verdict hook_verdict(void *ctx, void **state, bool *poll)
{
	sup_child *c = ctx;
	act_sup *s = c->sup;
	act_i_verdict v = ACT_I_PENDING;
	*poll = false;
	pthread_mutex_lock(&s->mu);
	if (c->wave)
		return held_wait(c, state, false);
	if (closing(c) || c->verdict == ACT_I_GIVE_UP) {
		v = ACT_I_GIVE_UP;
	} else if (c->verdict == ACT_I_RESTART) {
		int64_t now = mbx_now_ns();
		if (!c->resume_set) {
			c->resume_set = true;
			c->resume_ns = now + backoff_of(c, now);
		}
		v = now < c->resume_ns ? ACT_I_PENDING : ACT_I_RESTART;
		*poll = v == ACT_I_PENDING;
	}
	if (v != ACT_I_PENDING)
		c->waiting = 0;
	pthread_mutex_unlock(&s->mu);
	if (v == ACT_I_RESTART)
		renew_state(c, state, c->crash_ns);
	return v;
}

/* At the boundary after act_i_request_restart: hold for the ordered restart. */
static act_i_verdict hook_restart(void *ctx, void **state, bool can_block)
{
	sup_child *c = ctx;
	pthread_mutex_lock(&c->sup->mu);
	if (!c->wave || c->hold != H_ASKED) { /* stale, or the restart was called off */
		pthread_mutex_unlock(&c->sup->mu);
		return ACT_I_KEEP;
	}
	c->hold = H_PARKED;
	pthread_cond_broadcast(&c->sup->cv);
	return held_wait(c, state, can_block);
}

/* After on_start of a fresh state: an ordered restart holds it until all started. */
static act_i_verdict hook_started(void *ctx, void **state, bool can_block)
{
	sup_child *c = ctx;
	pthread_mutex_lock(&c->sup->mu);
	if (!c->wave || c->hold != H_STARTING) {
		pthread_mutex_unlock(&c->sup->mu);
		return ACT_I_RESUME;
	}
	c->hold = H_STARTED;
	pthread_cond_broadcast(&c->sup->cv);
	return held_wait(c, state, can_block);
}

/* Supervisor thread: may one more restart happen now? */
static bool intensity_ok(act_sup *s, int64_t now)
{
	size_t r = s->spec.max_restarts;
	if (r == 0)
		return false;
	if (s->ring_n == r) {
		if (now - s->ring[s->ring_head] < s->spec.period_ns)
			return false; /* r restarts already within the period */
		s->ring[s->ring_head] = now;
		s->ring_head = (s->ring_head + 1) % r;
	} else {
		s->ring[(s->ring_head + s->ring_n++) % r] = now;
	}
	return true;
}

/* Past the intensity, or an ordered restart that cannot finish: stop the
 * children and fail, so that our own supervisor decides. */
static _Noreturn void give_up(act_sup *s, act_ctx *ctx, const char *reason)
{
	pthread_mutex_lock(&s->mu);
	s->closing = 1; /* waiting children get GIVE_UP */
	for (size_t j = 0; j < s->n; j++) { /* an ordered restart called off */
		sup_child *c = &s->ch[j];
		if (!c->wave)
			continue;
		if (c->hold == H_ASKED) { /* never held: its state is intact, in use */
			c->hold = H_NONE;
			c->wave = 0;
		} else { /* held with a fresh state it never installed: drop; else stop */
			c->hold = c->hold == H_PARKED && c->fresh ? H_DROP : H_EXIT;
		}
	}
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	stop_children(s);
	act_sup_event ev = {ACT_SUP_GAVE_UP, s->spec.name, SIZE_MAX, NULL, act_self(ctx), reason, 0, mbx_now_ns(), 0};
	emit(s, &ev);
	act_panic(ctx, reason); /* no lock held */
}

/* Waits until member c reaches hold `want` (true), or ends (false: out of
 * the restart); abandons it past its shutdown timeout, then gives up. */
static bool wait_hold(act_sup *s, sup_child *c, int want, act_ctx *ctx)
{
	int64_t deadline = mbx_now_ns() + shutdown_of(c);
	/* both pooled: help the child's turns (its worker may be ours); else sleep on the cv */
	bool pooled = s->spec.options.pool && c->spec.options.pool;
	for (unsigned i = 0;; i++) {
		pthread_mutex_lock(&s->mu);
		if (!pooled && c->hold != want && c->slot == S_LIVE) { /* the hooks broadcast each step */
			int64_t t = mbx_now_ns() + 1000000; /* and look again each 1 ms: act_i_done, the deadline */
			struct timespec ts = {t / 1000000000, t % 1000000000};
			pthread_cond_timedwait(&s->cv, &s->mu, &ts);
		}
		int hold = c->hold, slot = c->slot;
		pthread_mutex_unlock(&s->mu);
		if (hold == want)
			return true;
		if (slot != S_LIVE || act_i_done(c->ref.a)) /* ended; or gave up (its notice was refused) */
			return false;
		if (mbx_now_ns() >= deadline && abandon(s, c))
			give_up(s, ctx, "child shutdown timeout");
		if (pooled)
			act_i_wait_for(c->ref.a, i);
	}
}

/* One-for-all / rest-for-one after c0's exit: hold the affected children,
 * finalise their states in reverse start order, make and start new ones in
 * start order, then release them all (supervisor.h). */
static void ordered_restart(act_sup *s, sup_child *c0, act_ctx *ctx)
{
	size_t m = 0;
	pthread_mutex_lock(&s->mu);
	for (size_t j = s->spec.strategy == ACT_SUP_ONE_FOR_ALL ? 0 : c0->idx; j < s->n; j++) {
		sup_child *c = &s->ch[j];
		if (c->slot != S_LIVE || (c->waiting && c->verdict == ACT_I_GIVE_UP))
			continue;
		s->members[m++] = j;
		c->wave = 1;
		c->wave_crash_ns = c->waiting ? c->crash_ns : 0;
		c->hold = c->waiting ? H_PARKED : H_ASKED; /* one that exited is held already */
		c->waiting = 0;
	}
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	for (size_t k = 0; k < m; k++)
		act_i_request_restart(s->ch[s->members[k]].ref.a); /* a held one ignores it */
	size_t kept = 0; /* members that ended meanwhile leave the restart */
	for (size_t k = m; k-- > 0;)
		if (wait_hold(s, &s->ch[s->members[k]], H_PARKED, ctx))
			s->members[m + kept++] = s->members[k]; /* [m, m + kept): reverse start order */
	size_t *mem = s->members + m;
	for (size_t k = 0; k < kept; k++) { /* stop: reverse start order */
		sup_child *c = &s->ch[mem[k]];
		if (c->spec.fini)
			c->spec.fini(c->state);
		c->state = NULL;
	}
	pthread_mutex_lock(&s->mu);
	int64_t now = mbx_now_ns(), until = now + backoff_of(c0, now);
	pthread_mutex_unlock(&s->mu);
	for (unsigned i = 0; mbx_now_ns() < until; i++)
		act_i_wait_for(c0->ref.a, i);
	for (size_t k = kept; k-- > 0;) { /* start: start order */
		sup_child *c = &s->ch[mem[k]];
		c->state = c->spec.init ? c->spec.init(c->spec.arg) : NULL;
		pthread_mutex_lock(&s->mu);
		c->fresh = 1;
		pthread_mutex_unlock(&s->mu);
	}
	for (size_t k = kept; k-- > 0;) {
		sup_child *c = &s->ch[mem[k]];
		pthread_mutex_lock(&s->mu);
		c->hold = H_START;
		pthread_cond_broadcast(&s->cv);
		pthread_mutex_unlock(&s->mu);
		act_i_wake(c->ref.a);
		if (!wait_hold(s, c, H_STARTED, ctx)) /* ended in on_start: cannot (ACT_STOP is a handler's) */
			continue;
		c->restarts++;
		emit_child(c, ACT_SUP_RESTARTED, NULL, c->wave_crash_ns);
	}
	pthread_mutex_lock(&s->mu);
	for (size_t k = 0; k < kept; k++) {
		sup_child *c = &s->ch[mem[k]];
		if (c->hold == H_STARTED)
			c->hold = H_NONE; /* released: held_step resumes it */
	}
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	for (size_t k = 0; k < kept; k++)
		act_i_wake(s->ch[mem[k]].ref.a);
}

static int add_child(act_sup *s, const act_child_spec *spec, size_t *idx);

static act_result sup_handle(void *state, const mbx_msg *msg, act_ctx *ctx)
{
	act_sup *s = state;
	if (!s)
		act_panic(ctx, "supervisor without state");
	if (msg->tag == SUP_START) {
		size_t i = 0;
		int e = add_child(s, (const act_child_spec *)(uintptr_t)msg->a, &i);
		if (e)
			act_reply_error(msg, e);
		else
			act_reply(msg, i, 0);
		return ACT_CONTINUE;
	}
	if (msg->tag != SUP_NOTICE && msg->tag != SUP_TERM) {
		act_reply_error(msg, ACT_EINVAL); /* not ours */
		return ACT_CONTINUE;
	}
	pthread_mutex_lock(&s->mu);
	sup_child *c = msg->a < s->n ? &s->ch[msg->a] : NULL;
	int slot = c ? c->slot : S_FREE;
	bool live = c && !s->closing && c->waiting && c->verdict == V_NONE && slot == S_LIVE && !c->wave;
	pthread_mutex_unlock(&s->mu);
	if (msg->tag == SUP_TERM) {
		int e = slot == S_LIVE || slot == S_ENDED ? shutdown_child(s, c) : ACT_EINVAL;
		if (e == ACT_OK)
			remove_child(s, c);
		if (e)
			act_reply_error(msg, e);
		else
			act_reply(msg, 0, 0);
		return ACT_CONTINUE;
	}
	if (msg->b != s->gen || !c) /* from an earlier incarnation */
		return ACT_CONTINUE;
	if (msg->seq == N_ENDED) { /* a temporary child exited: remove it */
		if (slot == S_ENDED && shutdown_child(s, c) == ACT_OK)
			remove_child(s, c);
		return ACT_CONTINUE;
	}
	if (!live) /* stale: handled by an ordered restart, or terminated */
		return ACT_CONTINUE;
	if (!intensity_ok(s, mbx_now_ns()))
		give_up(s, ctx, "restart intensity exceeded");
	if (s->spec.strategy != ACT_SUP_ONE_FOR_ONE) {
		ordered_restart(s, c, ctx);
		return ACT_CONTINUE;
	}
	pthread_mutex_lock(&s->mu);
	c->verdict = ACT_I_RESTART;
	act_i_wake(c->ref.a); /* pooled: its turn takes the verdict */
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return ACT_CONTINUE;
}

static void sup_on_start(void *state, act_ctx *ctx)
{
	act_sup *s = state;
	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	s->self = act_retain(act_self(ctx));
	s->have_self = 1;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	for (size_t j = 0; j < s->n; j++) { /* pooled children that exited before now */
		pthread_mutex_lock(&s->mu);
		int pending = s->ch[j].notice_pending;
		s->ch[j].notice_pending = 0;
		pthread_mutex_unlock(&s->mu);
		if (pending)
			send_notice(&s->ch[j], s->self, N_EXIT);
	}
}

static const act_behavior sup_behavior = {"supervisor", sup_handle, sup_on_start, NULL};

/* Stops and frees everything; the children abandoned, ever. */
static size_t sup_free(act_sup *s)
{
	pthread_mutex_lock(&s->mu);
	s->closing = 1;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	stop_children(s);
	for (size_t j = s->n; j-- > 0;) {
		sup_child *c = &s->ch[j];
		if (c->slot != S_LIVE && c->slot != S_ENDED)
			continue; /* removed, or abandoned: not ours */
		if (c->spec.fini)
			c->spec.fini(c->state);
		act_release(c->ref);
	}
	if (s->have_self)
		act_release(s->self);
	size_t lost = s->abandoned; /* every thread that wrote it is joined or abandoned */
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s->ring);
	free(s->members);
	free(s->ch);
	free(s);
	return lost;
}

static void sup_fini(void *state)
{
	if (state)
		sup_free(state);
}

/* Supervisor thread (or sup_init): spawns a child in the next slot. */
static int add_child(act_sup *s, const act_child_spec *spec, size_t *idx)
{
	if (!spec || !spec->behavior || spec->shutdown_ns < 0 || spec->restart > ACT_CHILD_TEMPORARY)
		return ACT_EINVAL;
	if (s->closing)
		return ACT_ESTOPPED;
	if (s->n == s->cap)
		return ACT_EFULL;
	size_t i = s->n;
	sup_child *c = &s->ch[i];
	*c = (sup_child){.sup = s, .idx = i, .spec = *spec, .verdict = V_NONE};
	c->hooks = (act_i_supervision){hook_exited, hook_verdict, hook_restart, hook_started, c};
	c->state = c->spec.init ? c->spec.init(c->spec.arg) : NULL;
	pthread_mutex_lock(&s->mu);
	c->slot = S_LIVE; /* before the spawn: its hooks read it */
	pthread_mutex_unlock(&s->mu);
	c->ref = act_i_spawn_supervised(c->spec.behavior, c->state, &c->spec.options, &c->hooks);
	if (!c->ref.a) {
		int e = errno;
		if (c->spec.fini)
			c->spec.fini(c->state);
		c->slot = S_FREE; /* never seen: no child ran */
		return e == ENOMEM ? ACT_ENOMEM : ACT_EINVAL;
	}
	pthread_mutex_lock(&s->mu);
	s->n = i + 1;
	pthread_mutex_unlock(&s->mu);
	emit_child(c, ACT_SUP_STARTED, NULL, 0);
	*idx = i;
	return ACT_OK;
}

static void *sup_init(void *arg)
{
	const act_sup_spec *spec = arg;
	if (!spec || (spec->nchildren && (!spec->children)) || spec->period_ns < 0) {
		errno = EINVAL;
		return NULL;
	}
	act_sup *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->spec = *spec;
	s->spec.children = NULL; /* copied into the slots */
	s->cap = spec->max_children > spec->nchildren ? spec->max_children : spec->nchildren;
	s->gen = atomic_fetch_add(&sup_gen_next, 1);
	s->ch = calloc(s->cap ? s->cap : 1, sizeof *s->ch);
	s->members = calloc(s->cap ? 2 * s->cap : 1, sizeof *s->members);
	s->ring = calloc(spec->max_restarts ? spec->max_restarts : 1, sizeof *s->ring);
	pthread_condattr_t ca; /* glibc: none of these can fail with these arguments */
	CHECK_EQ(pthread_condattr_init(&ca), 0);
	CHECK_EQ(pthread_condattr_setclock(&ca, CLOCK_MONOTONIC), 0);
	CHECK_EQ(pthread_cond_init(&s->cv, &ca), 0);
	pthread_condattr_destroy(&ca);
	CHECK_EQ(pthread_mutex_init(&s->mu, NULL), 0);
	if (!s->ch || !s->ring || !s->members) {
		sup_fini(s);
		errno = ENOMEM;
		return NULL;
	}
	for (size_t i = 0; i < spec->nchildren; i++) {
		size_t idx;
		int e = add_child(s, &spec->children[i], &idx);
		if (e) {
			sup_fini(s); /* stops and frees the ones started */
			errno = e == ACT_ENOMEM ? ENOMEM : EINVAL;
			return NULL;
		}
	}
	return s;
}

act_sup *act_sup_start(const act_sup_spec *spec)
{
	act_sup *s = sup_init((void *)spec);
	if (!s)
		return NULL;
	act_ref r = act_spawn(&sup_behavior, s, &spec->options);
	if (!r.a) {
		int e = errno;
		sup_fini(s);
		errno = e;
		return NULL;
	}
	s->top = r; /* read only by act_sup_self / act_sup_stop, on the owner's side */
	return s;
}

act_ref act_sup_self(const act_sup *s) { return s ? s->top : (act_ref){NULL}; }

act_ref act_sup_child(const act_sup *s, size_t i)
{
	act_ref r = {NULL};
	if (!s)
		return r;
	pthread_mutex_lock((pthread_mutex_t *)&s->mu);
	if (i < s->n && (s->ch[i].slot == S_LIVE || s->ch[i].slot == S_ENDED))
		r = s->ch[i].ref;
	pthread_mutex_unlock((pthread_mutex_t *)&s->mu);
	return r;
}

/* A request to the supervisor actor: ACT_ESTOPPED once it is gone. */
static int sup_request(act_sup *s, uint32_t tag, uint64_t a, uint64_t *out)
{
	if (!s)
		return ACT_EINVAL;
	mbx_msg q = {.tag = tag, .a = a}, rep;
	int e = act_ask(s->top, &q, &rep, SUP_ASK_NS);
	if (e == ACT_OK && out)
		*out = rep.a;
	return e == ACT_ECRASHED || e == ACT_ENOREPLY ? ACT_ESTOPPED : e;
}

int act_sup_start_child(act_sup *s, const act_child_spec *spec, size_t *idx)
{
	uint64_t i = 0;
	int e = spec ? sup_request(s, SUP_START, (uint64_t)(uintptr_t)spec, &i) : ACT_EINVAL;
	if (e == ACT_OK && idx)
		*idx = (size_t)i;
	return e;
}

int act_sup_terminate_child(act_sup *s, size_t i) { return sup_request(s, SUP_TERM, i, NULL); }

int act_sup_stop(act_sup *s)
{
	if (!s)
		return ACT_EINVAL;
	act_ref r = s->top;
	int e = act_stop(r);
	CHECK(e == ACT_OK || e == ACT_EALREADY); /* EALREADY: it gave up */
	e = act_join(r);
	CHECK(e == ACT_OK || e == ACT_EALREADY); /* EALREADY: the owner joined it (after a give-up) */
	size_t lost = sup_free(s); /* after the join: the supervisor thread is done with s */
	act_release(r);
	return lost ? ACT_ETIMEOUT : ACT_OK;
}

act_child_spec act_sup_as_child(const act_sup_spec *spec, const char *name)
{
	return (act_child_spec){name, &sup_behavior, sup_init, sup_fini, (void *)spec, spec->options, 0, 0};
}
