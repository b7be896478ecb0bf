/* supervisor.c: supervision trees. The supervisor is an actor whose messages
 * are crash notices from its children. A crashed child keeps its mailbox
 * and takes the verdict: thread per actor, it waits on its own thread;
 * pooled, it is suspended (no message taken) until the supervisor wakes it
 * (act_i_wake), so supervisors and children run in either mode, mixed. */
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

enum { SUP_NOTICE = 0x53555056u }; /* "SUPV": the only message a supervisor handles */
enum { V_NONE = -1 };

typedef struct sup_child {
	act_sup *sup;
	size_t idx;
	act_child_spec spec;
	act_i_supervision hooks;
	act_ref ref;
	/* Written before the spawn, then only on the child's thread (in the
	 * hooks); read by whoever finalises after joining the child. */
	void *state;
	uint64_t restarts;
	int64_t last_restart_ns;
	unsigned streak;
	/* under sup->mu */
	int waiting; /* crashed, notice sent, verdict not yet taken */
	int verdict; /* V_NONE or act_i_verdict */
	int notice_pending; /* pooled child crashed before the supervisor knew itself: sup_on_start sends it */
	bool resume_set;    /* pooled: the RESTART verdict's backoff has started */
	int64_t resume_ns, crash_ns;
} sup_child;

struct act_sup {
	act_sup_spec spec;
	sup_child *ch;
	uint64_t gen; /* this incarnation: notices of an earlier one are ignored */
	pthread_mutex_t mu;
	pthread_cond_t cv; /* verdicts, closing, self known; CLOCK_MONOTONIC */
	int closing;       /* under mu: no more restarts */
	int have_self;     /* under mu */
	act_ref self;      /* under mu: retained, released by fini */
	int children_stopped; /* supervisor thread, then the finaliser */
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

static void stop_children(act_sup *s)
{
	if (s->children_stopped)
		return;
	s->children_stopped = 1;
	for (size_t j = s->spec.nchildren; j-- > 0;) {
		int e = act_stop(s->ch[j].ref);
		CHECK(e == ACT_OK || e == ACT_EALREADY);
		CHECK_EQ(act_join(s->ch[j].ref), ACT_OK);
	}
}

/* Child thread: fini(old) + init(new). */
static void renew_state(sup_child *c, void **state, int64_t crash_ns)
{
	if (c->spec.fini)
		c->spec.fini(*state);
	*state = c->spec.init ? c->spec.init(c->spec.arg) : NULL;
	c->state = *state;
	c->restarts++;
	act_sup_event ev = {ACT_SUP_RESTARTED, c->sup->spec.name, c->idx, c->spec.name, c->ref, NULL,
	                    c->restarts, mbx_now_ns(), crash_ns};
	emit(c->sup, &ev);
}

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

/* The crash notice to the supervisor. try_send, not send: a full
 * supervisor mailbox must not block a child the supervisor is about to join
 * (give-up). */
static void send_notice(sup_child *c, act_ref self)
{
	act_sup *s = c->sup;
	mbx_msg n = {.tag = SUP_NOTICE, .a = c->idx, .b = s->gen};
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

/* Both modes: the events, then the notice. can_wait (thread per actor):
 * a crash before the supervisor knows itself waits for it; pooled, the
 * supervisor sends the notice itself when it starts. False: closing. */
static bool report_crash(sup_child *c, const mbx_msg *msg, const char *reason, bool can_wait)
{
	act_sup *s = c->sup;
	act_sup_event ev = {ACT_SUP_CRASHED, s->spec.name, c->idx, c->spec.name, c->ref, reason,
	                    c->restarts, mbx_now_ns(), 0};
	emit(s, &ev);
	if (s->spec.dead_letter)
		s->spec.dead_letter(s->spec.hook_ctx, &ev, msg);

	pthread_mutex_lock(&s->mu);
	while (can_wait && !s->closing && !s->have_self)
		pthread_cond_wait(&s->cv, &s->mu); /* only at start: its on_start is imminent */
	if (s->closing) {
		pthread_mutex_unlock(&s->mu);
		return false;
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
		send_notice(c, self);
	return true;
}

/* Thread per actor: report, then block for the verdict (and the backoff). */
static act_i_verdict hook_failed(void *ctx, const mbx_msg *msg, const char *reason, void **state)
{
	sup_child *c = ctx;
	act_sup *s = c->sup;
	if (!report_crash(c, msg, reason, true))
		return ACT_I_GIVE_UP;
	pthread_mutex_lock(&s->mu);
	while (c->verdict == V_NONE && !s->closing)
		pthread_cond_wait(&s->cv, &s->mu);
	int v = s->closing ? ACT_I_GIVE_UP : c->verdict;
	c->waiting = 0;
	if (v == ACT_I_RESTART) {
		int64_t now = mbx_now_ns(), until = now + backoff_of(c, now);
		struct timespec ts = {until / 1000000000, until % 1000000000};
		while (!s->closing && mbx_now_ns() < until)
			pthread_cond_timedwait(&s->cv, &s->mu, &ts);
		if (s->closing)
			v = ACT_I_GIVE_UP;
	}
	pthread_mutex_unlock(&s->mu);
	if (v != ACT_I_RESTART)
		return ACT_I_GIVE_UP;
	renew_state(c, state, c->crash_ns);
	return ACT_I_RESTART;
}

/* Pooled: report and return at once; the verdict comes as a wake-up. */
static act_i_verdict hook_report(void *ctx, const mbx_msg *msg, const char *reason)
{
	return report_crash(ctx, msg, reason, false) ? ACT_I_PENDING : ACT_I_GIVE_UP;
}

/* Pooled, at the suspended child's turn: the verdict, if there is one. */
static act_i_verdict hook_verdict(void *ctx, void **state, bool *poll)
{
	sup_child *c = ctx;
	act_sup *s = c->sup;
	act_i_verdict v = ACT_I_PENDING;
	*poll = false;
	pthread_mutex_lock(&s->mu);
	if (s->closing || c->verdict == ACT_I_GIVE_UP) {
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

static bool hook_restart(void *ctx, void **state)
{
	sup_child *c = ctx;
	pthread_mutex_lock(&c->sup->mu);
	int closing = c->sup->closing;
	pthread_mutex_unlock(&c->sup->mu);
	if (closing)
		return false; /* the old state stays, already started */
	renew_state(c, state, 0);
	return true;
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

static act_result sup_handle(void *state, const mbx_msg *msg, act_ctx *ctx)
{
	act_sup *s = state;
	if (!s)
		act_panic(ctx, "supervisor without state");
	if (msg->tag != SUP_NOTICE || msg->b != s->gen || msg->a >= s->spec.nchildren) {
		act_reply_error(msg, ACT_EINVAL); /* not ours, or from an earlier incarnation */
		return ACT_CONTINUE;
	}
	sup_child *c = &s->ch[msg->a];
	bool ok = intensity_ok(s, mbx_now_ns());
	pthread_mutex_lock(&s->mu);
	if (s->closing || !c->waiting || c->verdict != V_NONE) {
		pthread_mutex_unlock(&s->mu);
		return ACT_CONTINUE;
	}
	if (ok) {
		c->verdict = ACT_I_RESTART;
		act_i_wake(c->ref.a); /* pooled: its turn takes the verdict */
		for (size_t j = 0; j < s->spec.nchildren; j++) {
			bool sib = s->spec.strategy == ACT_SUP_ONE_FOR_ALL ||
			           (s->spec.strategy == ACT_SUP_REST_FOR_ONE && j > c->idx);
			if (j != c->idx && sib && !s->ch[j].waiting)
				act_i_request_restart(s->ch[j].ref.a); /* a crashed one restarts on its own verdict */
		}
		pthread_cond_broadcast(&s->cv);
		pthread_mutex_unlock(&s->mu);
		return ACT_CONTINUE;
	}
	s->closing = 1; /* waiting children get GIVE_UP */
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	stop_children(s);
	act_sup_event ev = {ACT_SUP_GAVE_UP, s->spec.name, SIZE_MAX, NULL, act_self(ctx),
	                    "restart intensity exceeded", 0, mbx_now_ns(), 0};
	emit(s, &ev);
	act_panic(ctx, "restart intensity exceeded"); /* no lock held */
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
	for (size_t j = 0; j < s->spec.nchildren; j++) { /* pooled children that crashed before now */
		pthread_mutex_lock(&s->mu);
		int pending = s->ch[j].notice_pending;
		s->ch[j].notice_pending = 0;
		pthread_mutex_unlock(&s->mu);
		if (pending)
			send_notice(&s->ch[j], s->self);
	}
}

static const act_behavior sup_behavior = {"supervisor", sup_handle, sup_on_start, NULL};

static void sup_fini(void *state)
{
	act_sup *s = state;
	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	s->closing = 1;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	stop_children(s);
	for (size_t j = s->spec.nchildren; j-- > 0;) {
		sup_child *c = &s->ch[j];
		if (c->spec.fini)
			c->spec.fini(c->state);
		act_release(c->ref);
	}
	if (s->have_self)
		act_release(s->self);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s->ring);
	free(s->ch);
	free(s);
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
	s->gen = atomic_fetch_add(&sup_gen_next, 1);
	s->ch = calloc(spec->nchildren ? spec->nchildren : 1, sizeof *s->ch);
	s->ring = calloc(spec->max_restarts ? spec->max_restarts : 1, sizeof *s->ring);
	pthread_condattr_t ca; /* glibc: none of these can fail with these arguments */
	CHECK_EQ(pthread_condattr_init(&ca), 0);
	CHECK_EQ(pthread_condattr_setclock(&ca, CLOCK_MONOTONIC), 0);
	CHECK_EQ(pthread_cond_init(&s->cv, &ca), 0);
	pthread_condattr_destroy(&ca);
	CHECK_EQ(pthread_mutex_init(&s->mu, NULL), 0);
	s->children_stopped = 1; /* until every child is up (a failed start stops none twice) */
	if (!s->ch || !s->ring) {
		s->spec.nchildren = 0;
		sup_fini(s);
		errno = ENOMEM;
		return NULL;
	}
	for (size_t i = 0; i < spec->nchildren; i++) {
		sup_child *c = &s->ch[i];
		*c = (sup_child){.sup = s, .idx = i, .spec = spec->children[i], .verdict = V_NONE};
		c->hooks = (act_i_supervision){hook_failed, hook_report, hook_verdict, hook_restart, c};
		c->state = c->spec.init ? c->spec.init(c->spec.arg) : NULL;
		c->ref = act_i_spawn_supervised(c->spec.behavior, c->state, &c->spec.options, &c->hooks);
		if (!c->ref.a) {
			int e = errno;
			if (c->spec.fini)
				c->spec.fini(c->state);
			s->spec.nchildren = i; /* fini stops and frees the ones started */
			s->children_stopped = 0;
			sup_fini(s);
			errno = e;
			return NULL;
		}
		act_sup_event ev = {ACT_SUP_STARTED, s->spec.name, i, c->spec.name, c->ref, NULL, 0, mbx_now_ns(), 0};
		emit(s, &ev);
	}
	s->children_stopped = 0;
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
	return s && i < s->spec.nchildren ? s->ch[i].ref : (act_ref){NULL};
}

int act_sup_stop(act_sup *s)
{
	if (!s)
		return ACT_EINVAL;
	act_ref r = s->top;
	int e = act_stop(r);
	CHECK(e == ACT_OK || e == ACT_EALREADY); /* EALREADY: it gave up */
	e = act_join(r);
	CHECK(e == ACT_OK || e == ACT_EALREADY); /* EALREADY: the owner joined it (after a give-up) */
	sup_fini(s); /* after the join: the supervisor thread is done with s */
	act_release(r);
	return ACT_OK;
}

act_child_spec act_sup_as_child(const act_sup_spec *spec, const char *name)
{
	return (act_child_spec){name, &sup_behavior, sup_init, sup_fini, (void *)spec, spec->options};
}
