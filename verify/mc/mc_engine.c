/* mc_engine.c: a deterministic model checker for the C11 code routed
 * through runtimes/mailbox/mc_hooks.h. Hand-written: Debian 12 packages no
 * model checker for C11 atomics (no CDSChecker, GenMC, Relacy or loom for C;
 * CBMC/ESBMC are not stateless checkers of real threads). Design notes:
 * /work/shared/MODELCHECK-NOTES.md; what it covers: verify/mc/README.md.
 *
 * Threads are real pthreads passing a baton (one futex word each), so one
 * runs at a time. Every hook is a scheduling point: the running thread asks
 * the scheduler which thread runs next, hands it the baton and sleeps on its
 * own. An execution is determined by its decisions (which thread runs, which
 * store-buffer flush happens before a conflicting access), recorded only
 * where there was a choice: that list, printed as a string, replays it.
 *
 * Memory: SC (every store goes to memory), or TSO (non-seq_cst stores wait
 * in a per-thread FIFO; seq_cst stores, RMWs and futex calls drain it; loads
 * read their own buffer first; another thread's buffer is flushed, as a
 * decision, just before an access that could see the difference).
 * Happens-before: vector clocks over the edges C11 creates (release/acquire,
 * seq_cst counted as acq_rel, RMWs continue release sequences, relaxed
 * creates none; futex wake -> woken thread), race-checking MC_RD/MC_WR.
 * The driver (failure reports, model threads, executions, the searches) is
 * mc_run.c; the state both share, mc_engine_i.h. */
#include <errno.h>
#include <inttypes.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mc_engine_i.h"
#include "mbx_sync.h"

mc_state mc;
_Thread_local mthread *me_;

int mc_self(void) { return me_ ? me_->id : -1; }

/* ---- baton ---- */

static void baton_give(mthread *t)
{
	atomic_store(&t->go, 1);
	syscall(SYS_futex, (uint32_t *)&t->go, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

void mc_i_baton_wait(mthread *t)
{
	while (!atomic_exchange(&t->go, 0))
		syscall(SYS_futex, (uint32_t *)&t->go, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
}

/* ---- memory ---- */

static uint64_t mem_read(const volatile void *p, unsigned size)
{
	switch (size) {
	case 1: return __atomic_load_n((const volatile uint8_t *)p, __ATOMIC_RELAXED);
	case 2: return __atomic_load_n((const volatile uint16_t *)p, __ATOMIC_RELAXED);
	case 4: return __atomic_load_n((const volatile uint32_t *)p, __ATOMIC_RELAXED);
	default: return __atomic_load_n((const volatile uint64_t *)p, __ATOMIC_RELAXED);
	}
}

static void mem_write(volatile void *p, unsigned size, uint64_t v)
{
	switch (size) {
	case 1: __atomic_store_n((volatile uint8_t *)p, (uint8_t)v, __ATOMIC_RELAXED); break;
	case 2: __atomic_store_n((volatile uint16_t *)p, (uint16_t)v, __ATOMIC_RELAXED); break;
	case 4: __atomic_store_n((volatile uint32_t *)p, (uint32_t)v, __ATOMIC_RELAXED); break;
	default: __atomic_store_n((volatile uint64_t *)p, v, __ATOMIC_RELAXED); break;
	}
}

static uint64_t trunc_to(uint64_t v, unsigned size)
{
	return size >= 8 ? v : v & ((UINT64_C(1) << (8 * size)) - 1);
}

static loc *map_get(loc *map, uintptr_t key)
{
	for (uint64_t i = mbx_mix64(key) % MAP_CAP, n = 0; n < MAP_CAP; i = (i + 1) % MAP_CAP, n++) {
		loc *l = &map[i];
		if (l->gen != mc.gen) {
			memset(l, 0, sizeof *l);
			l->key = key;
			l->gen = mc.gen;
			l->wtid = -1;
			return l;
		}
		if (l->key == key)
			return l;
	}
	mc_fail("bound", "more than %d shared locations in one execution", MAP_CAP);
}

void mc_i_vc_join(vclock a, const vclock b)
{
	for (int i = 0; i < MC_MAX_THREADS; i++)
		if (b[i] > a[i])
			a[i] = b[i];
}

static bool mo_acquire(int mo) { return mo != memory_order_relaxed && mo != memory_order_release; }
static bool mo_release(int mo)
{
	return mo == memory_order_release || mo == memory_order_acq_rel || mo == memory_order_seq_cst;
}

/* ---- decisions ---- */

uint64_t mc_i_rnd(void) { return mbx_mix64(mc.rng++); }

/* PCT: thread i goes below every other (at a change point, or when it yields) */
static void pct_demote(int i)
{
	int lo = mc.prio[i];
	for (int k = 0; k < mc.n; k++)
		lo = mc.prio[k] < lo ? mc.prio[k] : lo;
	mc.prio[i] = lo - 1;
}

/* Chooses among nopt options (val[i] names option i); costs: bit i set when
 * option i is a preemption; def: the free default. Returns the index. */
static int decide(char kind, int nopt, const uint8_t *val, uint32_t costs, int def)
{
	if (mc.pos >= MAX_DECISIONS)
		mc_fail("bound", "more than %d decisions in one execution", MAX_DECISIONS);
	frame *f = &mc.fr[mc.pos];
	int choice = def;
	if (mc.cfg.search == MC_REPLAY) {
		choice = mc_replay_choice(mc.pos, kind, nopt, val);
	} else if (mc.cfg.search == MC_DFS && mc.pos < mc.depth) {
		if (f->kind != kind || f->nopt != nopt || memcmp(f->val, val, (size_t)nopt))
			mc_fail("nondeterminism", "decision %d differs from the previous run with the same prefix", mc.pos);
		choice = f->choice;
	} else if (mc.cfg.search == MC_PCT) {
		if (kind == 't') {
			mc.pct_step++;
			for (int c = 0; c < mc.cfg.pct_depth - 1; c++)
				if (mc.change[c] == mc.pct_step && costs) /* costs: the running thread could go on */
					pct_demote(val[def]);
			choice = 0;
			for (int i = 1; i < nopt; i++)
				if (mc.prio[val[i]] > mc.prio[val[choice]])
					choice = i;
		} else {
			choice = (int)(mc_i_rnd() % (uint64_t)nopt);
		}
	}
	if (mc.cfg.search != MC_DFS || mc.pos >= mc.depth) {
		f->kind = kind;
		f->nopt = (uint8_t)nopt;
		memcpy(f->val, val, (size_t)nopt);
		f->costs = costs;
		f->pre = (uint8_t)mc.pre;
		f->choice = (uint8_t)choice;
		f->tried = 1u << choice;
		if (mc.cfg.search == MC_DFS)
			mc.depth = mc.pos + 1;
	}
	mc.pos++;
	if (costs & (1u << choice))
		mc.pre++;
	return choice;
}

/* DFS: the next schedule to run; false when the search is over */
bool mc_i_dfs_advance(void)
{
	while (mc.depth > 0) {
		frame *f = &mc.fr[mc.depth - 1];
		for (int i = 0; i < f->nopt; i++) {
			if (f->tried & (1u << i))
				continue;
			if ((int)(f->pre + ((f->costs >> i) & 1)) > mc.bound)
				continue;
			f->tried |= 1u << i;
			f->choice = (uint8_t)i;
			return true;
		}
		mc.depth--;
	}
	return false;
}

/* ---- scheduling ---- */

/* The next thread to run after `self` (-1: none can run). */
int mc_i_pick(mthread *self)
{
	uint8_t val[MC_MAX_THREADS];
	int n = 0;
	for (int pass = 0; pass < 2 && n == 0; pass++)
		for (int i = 0; i < mc.n; i++)
			if (mc.t[i].state == TS_RUN && (pass || !mc.t[i].yielded))
				val[n++] = (uint8_t)i;
	if (n == 0)
		return -1;
	int def = 0;
	uint32_t costs = 0;
	bool self_eligible = false;
	for (int i = 0; i < n; i++)
		if (self && val[i] == self->id && !self->yielded) {
			def = i;
			self_eligible = true;
		}
	if (self_eligible)
		costs = ((1u << n) - 1) & ~(1u << def);
	int c = n == 1 ? 0 : decide('t', n, val, costs, def);
	int next = val[c];
	for (int i = 0; i < mc.n; i++)
		if (i != next)
			mc.t[i].yielded = false; /* another thread steps: eligible again */
	return next;
}

static void finish_execution(void)
{
	atomic_store(&mc.done, 1);
	syscall(SYS_futex, (uint32_t *)&mc.done, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* No thread can run: a timed wait times out, or everyone is done, or the
 * live ones are blocked for good. Returns the thread to run, or -1 (done). */
static int stuck(void)
{
	for (int i = 0; i < mc.n; i++)
		if (mc.t[i].state == TS_BLOCKED && mc.t[i].ftimed) {
			mc.t[i].state = TS_RUN;
			mc.t[i].fresult = ETIMEDOUT;
			return i;
		}
	char msg[900];
	size_t o = 0;
	bool futex = false;
	for (int i = 0; i < mc.n; i++) {
		mthread *u = &mc.t[i];
		size_t left = o < sizeof msg ? sizeof msg - o : 0;
		futex |= u->state == TS_BLOCKED && u->fword;
		if (u->state == TS_BLOCKED && u->fword)
			o += (size_t)snprintf(msg + o, left, "%sT%d waits at %s on a word that is %u (it slept expecting %u)",
			                      o ? "; " : "", i, u->site, (unsigned)mem_read(u->fword, 4), u->fexp);
		else if (u->state == TS_BLOCKED)
			o += (size_t)snprintf(msg + o, left, "%sT%d joins T%d at %s", o ? "; " : "", i, u->join, u->site);
	}
	if (o)
		mc_fail(futex ? "lost-wakeup" : "deadlock", "every live thread is blocked (futex wait, join): %s", msg);
	return -1;
}

/* Hands the baton to `next` (or ends the execution) and waits for it back. */
void mc_i_switch_to(mthread *self, int next)
{
	if (next < 0)
		next = stuck();
	if (next < 0) {
		finish_execution();
		return; /* only an exiting thread gets here */
	}
	if (self && next == self->id)
		return;
	baton_give(&mc.t[next]);
	if (self && self->state != TS_EXITED)
		mc_i_baton_wait(self);
}

/* A scheduling point before the visible operation at `site`. */
void mc_i_point(mthread *t, const char *site)
{
	t->site = site;
	if (++mc.steps > mc.cfg.max_steps) {
		bool spinning = true;
		for (int i = 0; i < mc.n; i++)
			if (mc.t[i].state == TS_RUN && !mc.t[i].yielded && i != t->id)
				spinning = false;
		mc_fail(spinning ? "livelock" : "bound", "more than %" PRIu64 " steps; T%d at %s", mc.cfg.max_steps, t->id,
		        site);
	}
	mc_i_switch_to(t, mc_i_pick(t));
}

/* ---- TSO store buffers ---- */

static void commit(volatile void *p, unsigned size, uint64_t v, const vclock rel)
{
	mem_write(p, size, v);
	loc *l = map_get(mc.atom, (uintptr_t)p);
	memcpy(l->R, rel, sizeof l->R); /* C++20: a relaxed store starts no release sequence */
}

static void flush_through(mthread *u, int k)
{
	for (int i = 0; i <= k; i++)
		commit(u->sb[i].p, u->sb[i].size, u->sb[i].v, u->sb[i].rel);
	memmove(u->sb, u->sb + k + 1, (size_t)(u->nsb - k - 1) * sizeof u->sb[0]);
	u->nsb -= k + 1;
}

void mc_i_drain(mthread *t)
{
	if (t->nsb)
		flush_through(t, t->nsb - 1);
}

/* t is about to read p from memory: each other thread's buffered stores to p
 * may or may not reach memory first (a decision per such buffer). */
static void offer_flushes(mthread *t, const volatile void *p)
{
	for (int i = 0; i < mc.n; i++) {
		mthread *u = &mc.t[i];
		if (u == t || !u->nsb)
			continue;
		uint8_t val[MAX_OPT] = {0};
		int idx[SB_CAP + 1], n = 1;
		for (int k = 0; k < u->nsb; k++)
			if (u->sb[k].p == p) {
				idx[n] = k;
				val[n] = (uint8_t)(k + 1);
				n++;
			}
		if (n == 1)
			continue;
		int c = decide('f', n, val, 0, 0);
		if (c > 0)
			flush_through(u, idx[c]);
	}
}

/* ---- the hooks ---- */

uint64_t mc_hook_load(const volatile void *p, unsigned size, int mo, const char *site)
{
	mthread *t = me_;
	if (!t)
		return mem_read(p, size);
	mc_i_point(t, site);
	for (int k = t->nsb - 1; k >= 0; k--)
		if (t->sb[k].p == p)
			return t->sb[k].v; /* store forwarding: our own store, no new edge */
	offer_flushes(t, p);
	uint64_t v = mem_read(p, size);
	loc *l = map_get(mc.atom, (uintptr_t)p);
	mc_i_vc_join(mo_acquire(mo) ? t->C : t->A, l->R);
	t->C[t->id]++;
	return v;
}

void mc_hook_store(volatile void *p, unsigned size, uint64_t v, int mo, const char *site)
{
	mthread *t = me_;
	v = trunc_to(v, size);
	if (!t) {
		mem_write(p, size, v);
		return;
	}
	mc_i_point(t, site);
	vclock rel;
	memcpy(rel, mo_release(mo) ? t->C : t->F, sizeof rel);
	t->C[t->id]++;
	if (mc.cfg.mode == MC_TSO && mo != memory_order_seq_cst) {
		if (t->nsb == SB_CAP)
			flush_through(t, 0);
		sb_entry *e = &t->sb[t->nsb++];
		e->p = p;
		e->size = size;
		e->v = v;
		memcpy(e->rel, rel, sizeof rel);
		e->site = site;
		return;
	}
	mc_i_drain(t); /* seq_cst store: XCHG (or MOV; MFENCE) */
	commit(p, size, v, rel);
}

/* the read half of an RMW (t's buffer drained, flushes offered) */
static loc *rmw_read(mthread *t, int mo, const volatile void *p)
{
	loc *l = map_get(mc.atom, (uintptr_t)p);
	mc_i_vc_join(mo_acquire(mo) ? t->C : t->A, l->R);
	return l;
}

static void rmw_write(mthread *t, int mo, loc *l, volatile void *p, unsigned size, uint64_t v)
{
	mc_i_vc_join(l->R, mo_release(mo) ? t->C : t->F); /* an RMW continues the release sequence */
	mem_write(p, size, v);
	t->C[t->id]++;
}

uint64_t mc_hook_rmw(volatile void *p, unsigned size, int op, uint64_t v, int mo, const char *site)
{
	mthread *t = me_;
	if (t) {
		mc_i_point(t, site);
		mc_i_drain(t); /* LOCK'd */
		offer_flushes(t, p);
	}
	uint64_t old = mem_read(p, size);
	uint64_t nv = trunc_to(op == MC_OP_XCHG ? v : op == MC_OP_ADD ? old + v : op == MC_OP_SUB ? old - v : old | v, size);
	if (!t) {
		mem_write(p, size, nv);
		return old;
	}
	rmw_write(t, mo, rmw_read(t, mo, p), p, size, nv);
	return old;
}

bool mc_hook_cas(volatile void *p, unsigned size, void *expected, uint64_t desired, int succ, int fail,
                 const char *site)
{
	mthread *t = me_;
	if (t) {
		mc_i_point(t, site);
		mc_i_drain(t); /* LOCK CMPXCHG, also when it fails */
		offer_flushes(t, p);
	}
	uint64_t cur = mem_read(p, size), exp = 0;
	memcpy(&exp, expected, size);
	desired = trunc_to(desired, size);
	if (cur != exp) {
		memcpy(expected, &cur, size);
		if (t) {
			rmw_read(t, fail, p);
			t->C[t->id]++;
		}
		return false;
	}
	if (!t)
		mem_write(p, size, desired);
	else
		rmw_write(t, succ, rmw_read(t, succ, p), p, size, desired);
	return true;
}

int mc_hook_futex_wait(_Atomic uint32_t *p, uint32_t expected, int64_t timeout_ns, const char *site)
{
	mthread *t = me_;
	if (!t)
		mc_fail("usage", "a futex wait outside the model threads at %s", site);
	mc_i_point(t, site);
	mc_i_drain(t); /* the kernel takes a lock */
	offer_flushes(t, p);
	if ((uint32_t)mem_read(p, 4) != expected)
		return EAGAIN;
	t->state = TS_BLOCKED;
	t->fword = p;
	t->fexp = expected;
	t->ftimed = timeout_ns >= 0;
	t->fresult = 0;
	mc_i_switch_to(t, mc_i_pick(NULL));
	return t->fresult;
}

void mc_hook_futex_wake(_Atomic uint32_t *p, int n, const char *site)
{
	mthread *t = me_;
	if (!t)
		return; /* outside the model: nobody is blocked */
	mc_i_point(t, site);
	mc_i_drain(t);
	/* which waiters a partial wake releases is not a decision yet: the
	 * lowest ids first */
	for (int i = 0; i < mc.n && n > 0; i++) {
		mthread *u = &mc.t[i];
		if (u->state == TS_BLOCKED && u->fword == p) {
			u->state = TS_RUN;
			if (!mc.cfg.strict_futex)
				mc_i_vc_join(u->C, t->C); /* the futex bucket lock orders wake before wake-up */
			n--;
		}
	}
	t->C[t->id]++;
}

void mc_hook_yield(const char *site)
{
	mthread *t = me_;
	if (!t) {
		sched_yield();
		return;
	}
	t->yielded = true; /* ineligible until another thread steps */
	if (mc.cfg.search == MC_PCT)
		pct_demote(t->id); /* else two spinners could starve the thread they wait for */
	mc_i_point(t, site);
}

void mc_hook_plain(const volatile void *p, unsigned size, bool write, const char *site)
{
	mthread *t = me_;
	if (!t)
		return;
	uintptr_t a = (uintptr_t)p & ~(uintptr_t)7, end = (uintptr_t)p + size;
	for (; a < end; a += 8) {
		loc *s = map_get(mc.plain, a);
		if (s->wtid >= 0 && s->wtid != t->id && s->wclk > t->C[s->wtid])
			mc_fail("data-race", "%s by T%d at %s is not ordered after the write by T%d at %s",
			        write ? "write" : "read", t->id, site, s->wtid, s->wsite);
		if (write) {
			for (int u = 0; u < mc.n; u++)
				if (u != t->id && s->rd[u] > t->C[u])
					mc_fail("data-race", "write by T%d at %s is not ordered after the read by T%d at %s",
					        t->id, site, u, s->rsite[u]);
			memset(s->rd, 0, sizeof s->rd);
			s->wtid = t->id;
			s->wclk = t->C[t->id];
			s->wsite = site;
		} else {
			s->rd[t->id] = t->C[t->id];
			s->rsite[t->id] = site;
		}
	}
}
