/* enumerate.c: the case table, built in C: scenarios x mailbox table (or
 * workload backends) x sweep values. Quick values are always registered;
 * the --full-only ones when MAILROOM_BENCH_FULL=1 (see shim.cc). Names are
 * scenario/impl/k:v/... (impl: a mailbox name, shared:<backend>, probe);
 * cases that run actors in either mode (fanin_actors, bank, counter, kv, savina_*,
 * memory_idle) name it right after the impl: scenario/impl/mode:<m>/... */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "check.h"

static bn_case cases[BN_MAX_CASES]; /* registered by pointer: must outlive main */
static size_t ncases;

typedef struct sweep {
	const uint32_t *v;
	size_t quick, all; /* v[0..quick) always; v[quick..all) only when full */
} sweep;
#define SWEEP(quick_n, ...)                                                                                  \
	((sweep){(const uint32_t[]){__VA_ARGS__}, quick_n,                                                   \
	         sizeof((uint32_t[]){__VA_ARGS__}) / sizeof(uint32_t)})
static size_t sweep_len(sweep s, bool full) { return full ? s.all : s.quick; }

/* Quick: the first quick_n values (fan-in P = 1, 2, 4, 8: the peers of bench/peers
 * run the same four); full adds the rest. */
#define FANIN_PRODUCERS SWEEP(4, 1, 2, 4, 8, 16)
#define BANK_ACCOUNTS SWEEP(3, 2, 64, 1024, 8)
#define CLIENTS SWEEP(2, 1, 4, 2, 8, 16)
#define KV_READ_PCT SWEEP(2, 50, 95)
#define BURST_CAPS SWEEP(2, 64, 1024)
#define FANIN_ACTOR_PRODUCERS SWEEP(4, 1, 2, 4, 8)

typedef struct emitter {
	void (*add)(const bn_case *c, void *arg);
	void *arg;
} emitter;

static void emit(emitter *e, bn_case c, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void emit(emitter *e, bn_case c, const char *fmt, ...)
{
	CHECK_LT(ncases, BN_MAX_CASES);
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(c.name, sizeof c.name, fmt, ap);
	va_end(ap);
	CHECK(n > 0 && (size_t)n < sizeof c.name);
	c.id = (uint32_t)ncases;
	cases[ncases] = c;
	e->add(&cases[ncases++], e->arg);
}

static const char *cap_str(uint32_t cap, char *buf, size_t n)
{
	if (cap == BN_CAP_NONE)
		return "none";
	snprintf(buf, n, "%u", (unsigned)cap);
	return buf;
}

/* Capacities a kind runs at: 64 and 1024 when bounded, none when it can be
 * unbounded (the mutex kind does both). */
static size_t caps_of(const mbx_ops *o, uint32_t out[3])
{
	size_t n = 0;
	if (o->caps & MBX_CAP_BOUNDED) {
		out[n++] = 64;
		out[n++] = 1024;
	}
	if (o->caps & MBX_CAP_UNBOUNDED)
		out[n++] = BN_CAP_NONE;
	return n;
}

static void mailbox_cases(emitter *e, bool full)
{
	static const char *const pin_name[] = {"none", "same", "diff"};
	char cb[16];
	uint32_t caps[3];
	sweep prod = FANIN_PRODUCERS, bursts = BURST_CAPS;
	for (size_t k = 0; mbx_table[k]; k++) {
		const mbx_ops *o = mbx_table[k];
		bn_case base = {.mbx = o};
		for (int pin = BN_PIN_NONE; pin <= BN_PIN_DIFF; pin++) {
			bn_case c = base;
			c.sc = &bn_sc_pingpong;
			c.pingpong.pin = pin;
			emit(e, c, "pingpong/%s/pin:%s", o->name, pin_name[pin]);
		}
		size_t ncaps = caps_of(o, caps);
		for (size_t p = 0; p < sweep_len(prod, full); p++)
			for (size_t i = 0; i < ncaps; i++) {
				bn_case c = base;
				c.sc = &bn_sc_fanin;
				c.fanin.producers = prod.v[p];
				c.fanin.cap = caps[i];
				emit(e, c, "fanin/%s/P:%u/cap:%s", o->name, (unsigned)c.fanin.producers,
				     cap_str(c.fanin.cap, cb, sizeof cb));
			}
		/* the wait strategy as a dimension, at the quick sweep's ends (P=1,
		 * 8) in both sweeps, at capacity 1024 (none for unbounded-only
		 * kinds): park at once (spin 0) for kinds that spin, and spin then
		 * park without the yield phase for kinds that have one */
		const size_t ends[2] = {0, sweep_len(prod, false) - 1};
		static const struct { unsigned cap; int wait; const char *name; } waits[] = {
			{MBX_CAP_SPIN, BN_WAIT_PARK, "park"}, {MBX_CAP_YIELD, BN_WAIT_NOYIELD, "noyield"}};
		for (size_t w = 0; w < sizeof waits / sizeof waits[0]; w++)
			for (size_t j = 0; j < 2 && (o->caps & waits[w].cap); j++) {
				bn_case c = base;
				c.sc = &bn_sc_fanin;
				c.fanin.producers = prod.v[ends[j]];
				c.fanin.cap = (o->caps & MBX_CAP_BOUNDED) ? 1024 : BN_CAP_NONE;
				c.fanin.wait = waits[w].wait;
				emit(e, c, "fanin/%s/P:%u/cap:%s/wait:%s", o->name, (unsigned)c.fanin.producers,
				     cap_str(c.fanin.cap, cb, sizeof cb), waits[w].name);
			}
		bn_case ask = base;
		ask.sc = &bn_sc_ask;
		emit(e, ask, "ask/%s", o->name);
		for (size_t i = 0; i < ncaps; i++)
			for (size_t b = 0; b < sweep_len(bursts, full); b++) {
				bn_case c = base;
				c.sc = &bn_sc_burst;
				c.burst.cap = caps[i];
				c.burst.size = bursts.v[b];
				if (c.burst.cap != BN_CAP_NONE && c.burst.cap != c.burst.size)
					continue; /* bounded: a burst fills exactly the capacity */
				emit(e, c, "burst/%s/cap:%s/n:%u", o->name, cap_str(c.burst.cap, cb, sizeof cb),
				     (unsigned)c.burst.size);
			}
		/* idle gaps below any kind's spin budget (256..1024 checks: a few
		 * to tens of us), far above it, and until the consumer is parked */
		static const struct {
			int64_t ns;
			const char *name;
		} gaps[] = {{1000, "1us"}, {100000, "100us"}, {BN_GAP_PARKED, "parked"},
		            {0, "0"}, {10000, "10us"}, {1000000, "1ms"}}; /* full: from 0 */
		size_t ngaps = full ? sizeof gaps / sizeof gaps[0] : 3;
		for (int s = 0; s < 2 && (o->caps & MBX_CAP_BLOCKING); s++)
			for (size_t g = 0; g < ngaps; g++) {
				bn_case c = base;
				c.sc = &bn_sc_idle_wakeup;
				c.idle_wakeup.spin = s ? 0 : -1;
				c.idle_wakeup.gap_ns = gaps[g].ns;
				emit(e, c, "idle_wakeup/%s/spin:%s/gap:%s", o->name, s ? "0" : "default", gaps[g].name);
			}
		/* open-loop latency under load: % of the kind's measured peak */
		static const uint32_t loads[] = {10, 50, 90};
		for (size_t i = 0; i < sizeof loads / sizeof loads[0]; i++) {
			bn_case c = base;
			c.sc = &bn_sc_openloop;
			c.openloop.load_pct = loads[i];
			emit(e, c, "openloop/%s/load:%" PRIu32, o->name, loads[i]);
		}
	}
}

static const char *const mode_name[] = {"thread", "pool"}; /* BN_MODE_*: the mode:<m> name part */

static bool savina_quick_kind(const mbx_ops *o);

/* fanin_actors: P producer actors, one consumer actor, in both modes; the
 * consumer's mailbox bounded at 1024 and/or unbounded (what the kind
 * offers). Quick: the savina kinds (futex_ring, vyukov, mutex). */
static void fanin_actor_cases(emitter *e, bool full)
{
	char cb[16];
	sweep prod = FANIN_ACTOR_PRODUCERS;
	for (size_t k = 0; mbx_table[k]; k++) {
		const mbx_ops *o = mbx_table[k];
		uint32_t caps[2];
		size_t ncaps = 0;
		if (o->caps & MBX_CAP_BOUNDED)
			caps[ncaps++] = 1024;
		if (o->caps & MBX_CAP_UNBOUNDED)
			caps[ncaps++] = BN_CAP_NONE;
		if (!full && !savina_quick_kind(o))
			continue;
		for (int m = BN_MODE_THREAD; m <= BN_MODE_POOL; m++)
			for (size_t p = 0; p < sweep_len(prod, full); p++)
				for (size_t i = 0; i < ncaps; i++) {
					bn_case c = {.sc = &bn_sc_fanin_actors, .mbx = o, .mode = m};
					c.fanin_actors.producers = prod.v[p];
					c.fanin_actors.cap = caps[i];
					emit(e, c, "fanin_actors/%s/mode:%s/P:%u/cap:%s", o->name, mode_name[m],
					     (unsigned)c.fanin_actors.producers, cap_str(c.fanin_actors.cap, cb, sizeof cb));
				}
	}
}

/* Workload impls: the actor backend once per mailbox and mode, each
 * shared-state backend once as shared:<name> (its clients are threads:
 * mode:thread). fn emits the sweep for one impl; `impl` is the name's
 * "<impl>/mode:<m>" part. */
static void for_each_impl(emitter *e, bool full, bool (*offers)(const wl_backend *),
                          void (*fn)(emitter *e, bool full, bn_case base, const char *impl))
{
	char impl[96];
	for (size_t b = 0; wl_backends[b]; b++) {
		const wl_backend *be = wl_backends[b];
		if (!offers(be))
			continue;
		if (be->is_actor) {
			for (size_t k = 0; mbx_table[k]; k++)
				for (int m = BN_MODE_THREAD; m <= BN_MODE_POOL; m++) {
					snprintf(impl, sizeof impl, "%s/mode:%s", mbx_table[k]->name, mode_name[m]);
					fn(e, full, (bn_case){.backend = be, .mbx = mbx_table[k], .mode = m}, impl);
				}
		} else {
			snprintf(impl, sizeof impl, "shared:%s/mode:%s", be->name, mode_name[BN_MODE_THREAD]);
			fn(e, full, (bn_case){.backend = be, .mode = BN_MODE_THREAD}, impl);
		}
	}
}

static bool offers_bank(const wl_backend *b) { return b->bank != NULL; }
static bool offers_counter(const wl_backend *b) { return b->counter != NULL; }
static bool offers_kv(const wl_backend *b) { return b->kv != NULL; }

static void bank_sweep(emitter *e, bool full, bn_case c, const char *impl)
{
	sweep acc = BANK_ACCOUNTS, cl = CLIENTS;
	c.sc = &bn_sc_bank;
	for (size_t a = 0; a < sweep_len(acc, full); a++)
		for (size_t k = 0; k < sweep_len(cl, full); k++) {
			c.bank.accounts = acc.v[a];
			c.bank.clients = cl.v[k];
			emit(e, c, "bank/%s/accounts:%u/clients:%u", impl, (unsigned)c.bank.accounts,
			     (unsigned)c.bank.clients);
		}
	/* The actor program written as actors all the way: the clients are
	 * actors in the same mode (one transfer per message), so the pooled
	 * mode runs the whole exchange on its workers. */
	if (c.backend->is_actor) {
		c.bank.accounts = 2;
		c.bank.clients = 4;
		c.bank.client_actors = true;
		emit(e, c, "bank/%s/accounts:2/clients:4/clients_as:actors", impl);
	}
}

static void counter_sweep(emitter *e, bool full, bn_case c, const char *impl)
{
	sweep cl = CLIENTS;
	c.sc = &bn_sc_counter;
	for (size_t k = 0; k < sweep_len(cl, full); k++) {
		c.counter.clients = cl.v[k];
		emit(e, c, "counter/%s/clients:%u", impl, (unsigned)c.counter.clients);
	}
}

static void kv_sweep(emitter *e, bool full, bn_case c, const char *impl)
{
	sweep rd = KV_READ_PCT, cl = CLIENTS;
	c.sc = &bn_sc_kv;
	for (size_t p = 0; p < sweep_len(rd, full); p++)
		for (size_t k = 0; k < sweep_len(cl, full); k++) {
			c.kv.read_pct = rd.v[p];
			c.kv.clients = cl.v[k];
			emit(e, c, "kv/%s/read:%u/clients:%u", impl, (unsigned)c.kv.read_pct,
			     (unsigned)c.kv.clients);
		}
}

/* ---- Savina (Imam & Sarkar 2014) and the idle-actor footprint ----
 * Every scenario over both modes (mode:thread, mode:pool) and the mailbox
 * kinds. A name carries the size of one iteration (one whole Savina run:
 * setup builds the actors, body runs r->n iterations). Quick sizes keep an
 * iteration well under 1 s (tens of ms); full adds the Savina sizes. Thread
 * mode gets smaller sizes where a hand-off costs a futex wake (µs, not ns)
 * or an actor an OS thread. Quick runs them over futex_ring, vyukov and
 * mutex only (the bounded lock-free ring, the unbounded lock-free list, the
 * lock baseline) to stay within about 2 minutes; memory_idle, which is
 * cheap, runs over every kind; full runs everything over every kind. */
typedef struct savina_def {
	const bn_scenario *sc;
	const char *key;    /* the size's name part */
	uint32_t actors[2]; /* [mode]: a fixed actor count, named "actors:"; 0: none */
	sweep size[2];      /* [mode]: the size of one run */
} savina_def;

static bool savina_quick_kind(const mbx_ops *o)
{
	return !strcmp(o->name, "futex_ring") || !strcmp(o->name, "vyukov") || !strcmp(o->name, "mutex");
}

static void savina_cases(emitter *e, bool full)
{
	const savina_def defs[] = {
		/* round trips */
		{&bn_sc_sav_pingpong, "n", {0, 0}, {SWEEP(1, 4000, 40000), SWEEP(1, 40000)}},
		/* messages from one producer actor */
		{&bn_sc_sav_counting, "n", {0, 0}, {SWEEP(1, 100000, 1000000), SWEEP(1, 100000, 1000000)}},
		/* hops of one token around the ring (Savina's count: 10^6) */
		{&bn_sc_sav_threadring, "hops", {1000, 1000}, {SWEEP(1, 10000, 100000), SWEEP(1, 100000, 1000000)}},
		/* messages per actor */
		{&bn_sc_sav_fj_throughput, "n", {60, 60}, {SWEEP(1, 1000, 10000), SWEEP(1, 10000)}},
		/* actors created, each handles one message and stops */
		{&bn_sc_sav_fj_creation, "actors", {0, 0}, {SWEEP(1, 2000, 10000), SWEEP(1, 100000)}},
		/* meetings of the chameneos through one mall */
		{&bn_sc_sav_chameneos, "meetings", {100, 100}, {SWEEP(1, 2000, 20000), SWEEP(1, 20000, 200000)}},
		/* pings per actor */
		{&bn_sc_sav_big, "pings", {120, 120}, {SWEEP(1, 100, 2000), SWEEP(1, 1000, 20000)}},
		/* idle actors, each with its mailbox at the smallest capacity */
		{&bn_sc_memory_idle, "actors", {0, 0}, {SWEEP(1, 1000), SWEEP(1, 10000)}},
	};
	char params[64];
	for (size_t k = 0; mbx_table[k]; k++) {
		const mbx_ops *o = mbx_table[k];
		for (size_t d = 0; d < sizeof defs / sizeof defs[0]; d++) {
			const savina_def *f = &defs[d];
			if (!full && !savina_quick_kind(o) && f->sc != &bn_sc_memory_idle) /* memory: cheap, every kind */
				continue;
			for (int m = BN_MODE_THREAD; m <= BN_MODE_POOL; m++)
				for (size_t i = 0; i < sweep_len(f->size[m], full); i++) {
					bn_case c = {.sc = f->sc, .mbx = o, .mode = m};
					c.savina.size = f->size[m].v[i];
					c.savina.actors = f->actors[m] ? f->actors[m] : c.savina.size;
					if (f->actors[m])
						snprintf(params, sizeof params, "/actors:%u/%s:%u", (unsigned)c.savina.actors, f->key,
						         (unsigned)c.savina.size);
					else
						snprintf(params, sizeof params, "/%s:%u", f->key, (unsigned)c.savina.size);
					emit(e, c, "%s/%s/mode:%s%s", f->sc->name, o->name, mode_name[m], params);
				}
		}
	}
}

void bn_enumerate(bool full, void (*add)(const bn_case *c, void *arg), void *arg)
{
	emitter e = {add, arg};
	ncases = 0;
	mailbox_cases(&e, full);
	fanin_actor_cases(&e, full);
	for_each_impl(&e, full, offers_bank, bank_sweep);
	for_each_impl(&e, full, offers_counter, counter_sweep);
	for_each_impl(&e, full, offers_kv, kv_sweep);
	savina_cases(&e, full);
	for (size_t k = 0; mbx_table[k]; k++) /* supervision: restart latency, crash-laden stream */
		for (int m = BN_MODE_THREAD; m <= BN_MODE_POOL; m++) {
			const mbx_ops *o = mbx_table[k];
			emit(&e, (bn_case){.sc = &bn_sc_sv_restart, .mbx = o, .mode = m}, "supervision/%s/mode:%s/restart",
			     o->name, mode_name[m]);
			for (uint32_t every = 1000; every <= 10000; every *= 10)
				emit(&e, (bn_case){.sc = &bn_sc_sv_stream, .mbx = o, .mode = m, .supervision.crash_every = every},
				     "supervision/%s/mode:%s/crash_every:%u", o->name, mode_name[m], (unsigned)every);
		}
	static const struct {
		int slot;
		const char *name;
	} slots[] = {{BN_SLOT_FUTEX, "futex"}, {BN_SLOT_CONDVAR, "condvar"}, {BN_SLOT_CONDVAR_SPIN, "condvar_spin"}};
	for (size_t k = 0; k < sizeof slots / sizeof slots[0]; k++) /* the reply slot of act_ask, alone */
		emit(&e, (bn_case){.sc = &bn_sc_oneshot, .oneshot.slot = slots[k].slot}, "oneshot/probe/slot:%s",
		     slots[k].name);
	emit(&e, (bn_case){.sc = &bn_sc_limit, .limit.probe = BN_PROBE_SPIN}, "limit/probe/spin");
	emit(&e, (bn_case){.sc = &bn_sc_limit, .limit.probe = BN_PROBE_FUTEX}, "limit/probe/futex");
	if (mbx_find("futex_ring")) {
		emit(&e, (bn_case){.sc = &bn_sc_vtable, .vtable.call = BN_CALL_DIRECT},
		     "vtable/futex_ring/call:direct");
		emit(&e, (bn_case){.sc = &bn_sc_vtable, .vtable.call = BN_CALL_TABLE},
		     "vtable/futex_ring/call:table");
	}
}
