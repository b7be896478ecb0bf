/* litmus.c: litmus tests of the checker itself, each with the outcome it
 * must (or must not) find per memory mode (the modelcheck tests in
 * CMakeLists.txt say which). A checker that misses SB under TSO, or reports
 * it under SC, or misses a relaxed publication, is wrong before it looks at
 * our code. */
#include <stdlib.h>

#include "mc.h"

typedef struct lit {
	_Atomic uint32_t x, y, flag, seq, armed;
	uint32_t r[2];
	uint64_t data; /* a plain field */
	int order;     /* the memory order under test */
} lit;

static lit *lit_new(int order)
{
	lit *l = calloc(1, sizeof *l);
	l->order = order;
	return l;
}
static void lit_free(void *ctx) { free(ctx); }

/* SB (store buffering): x = 1; r0 = y  ||  y = 1; r1 = x.
 * r0 == r1 == 0 is forbidden under SC for any orders, allowed by TSO for
 * release stores (plain MOVs), forbidden by TSO for seq_cst stores (XCHG). */
static void sb_thread(void *ctx, int tid)
{
	lit *l = ctx;
	_Atomic uint32_t *mine = tid ? &l->y : &l->x, *other = tid ? &l->x : &l->y;
	MC_STORE(mine, 1, l->order);
	l->r[tid] = MC_LOAD(other, memory_order_seq_cst);
}
static const char *sb_check(void *ctx)
{
	lit *l = ctx;
	return l->r[0] == 0 && l->r[1] == 0 ? "SB: both loads read 0 (store buffering observed)" : NULL;
}
static void *sb_rel(void) { return lit_new(memory_order_release); }
static void *sb_sc(void) { return lit_new(memory_order_seq_cst); }

/* MP (message passing) with a plain payload: data = 42; flag = 1  ||
 * if (flag) read data. Relaxed flag: a data race in every mode, although
 * every schedule reads 42 (TSO keeps stores in order). Release/acquire: no
 * race, and the reader sees 42. */
static void mp_thread(void *ctx, int tid)
{
	lit *l = ctx;
	if (tid == 0) {
		MC_WR(&l->data);
		l->data = 42;
		MC_STORE(&l->flag, 1, l->order);
		return;
	}
	int acq = l->order == memory_order_relaxed ? memory_order_relaxed : memory_order_acquire;
	if (MC_LOAD(&l->flag, acq)) {
		MC_RD(&l->data);
		if (l->data != 42)
			mc_fail("oracle", "MP: flag set, data %llu", (unsigned long long)l->data);
	}
}
static void *mp_relaxed(void) { return lit_new(memory_order_relaxed); }
static void *mp_relacq(void) { return lit_new(memory_order_release); }

/* Store order (MP on atomics): x = 1; y = 1 (both relaxed)  ||  r0 = y;
 * r1 = x. r0 == 1, r1 == 0 needs store-store or load-load reordering: TSO
 * and SC both forbid it, so the checker must never report it. */
static void so_thread(void *ctx, int tid)
{
	lit *l = ctx;
	if (tid == 0) {
		MC_STORE(&l->x, 1, memory_order_relaxed);
		MC_STORE(&l->y, 1, memory_order_relaxed);
	} else {
		l->r[0] = MC_LOAD(&l->y, memory_order_relaxed);
		l->r[1] = MC_LOAD(&l->x, memory_order_relaxed);
	}
}
static const char *so_check(void *ctx)
{
	lit *l = ctx;
	return l->r[0] == 1 && l->r[1] == 0 ? "stores seen out of order" : NULL;
}
static void *so_new(void) { return lit_new(memory_order_relaxed); }

/* A minimal eventcount: the waiter announces (armed = 1), re-checks flag
 * and sleeps on seq; the waker publishes flag, and wakes if armed. With a
 * release announce, TSO loses the wake-up (SB again); seq_cst cannot. */
static void ec_thread(void *ctx, int tid)
{
	lit *l = ctx;
	if (tid == 0) {
		uint32_t s = MC_LOAD(&l->seq, memory_order_seq_cst);
		MC_STORE(&l->armed, 1, l->order);
		while (!MC_LOAD(&l->flag, memory_order_seq_cst)) {
			MC_FUTEX_WAIT(&l->seq, s, -1);
			s = MC_LOAD(&l->seq, memory_order_seq_cst);
		}
	} else {
		MC_STORE(&l->flag, 1, memory_order_seq_cst);
		if (MC_LOAD(&l->armed, memory_order_seq_cst)) {
			MC_FETCH_ADD(&l->seq, 1, memory_order_seq_cst);
			MC_FUTEX_WAKE(&l->seq, 1);
		}
	}
}

const mc_harness mc_litmus_sb_rel = {"sb_rel", "SB with release stores: TSO finds 0/0, SC does not",
                                     2, sb_rel, sb_thread, sb_check, lit_free, 2};
const mc_harness mc_litmus_sb_sc = {"sb_sc", "SB with seq_cst stores: never 0/0",
                                    2, sb_sc, sb_thread, sb_check, lit_free, 2};
const mc_harness mc_litmus_mp_relaxed = {"mp_relaxed", "MP, relaxed flag: a data race on the payload",
                                         2, mp_relaxed, mp_thread, NULL, lit_free, 2};
const mc_harness mc_litmus_mp_relacq = {"mp_relacq", "MP, release/acquire flag: no race",
                                        2, mp_relacq, mp_thread, NULL, lit_free, 2};
const mc_harness mc_litmus_store_order = {"store_order", "two relaxed stores are never seen out of order (TSO)",
                                          2, so_new, so_thread, so_check, lit_free, 2};
const mc_harness mc_litmus_ec_rel = {"ec_rel", "eventcount, release announce: TSO loses the wake-up",
                                     2, sb_rel, ec_thread, NULL, lit_free, 2};
const mc_harness mc_litmus_ec_sc = {"ec_sc", "eventcount, seq_cst announce: no lost wake-up",
                                    2, sb_sc, ec_thread, NULL, lit_free, 2};
