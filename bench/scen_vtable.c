/* scen_vtable.c: vtable/futex_ring/call:direct|table: one thread, push+pop
 * pairs on one futex_ring, through direct (inlinable) calls or through the
 * ops table, so the cost of the table is reported rather than hidden. */
#include <inttypes.h>

#include "bench.h"

/* futex_ring's implementation header: fr_push and fr_pop are static inline,
 * callable and inlinable here (the "direct" side). The "table" side uses the
 * same mailbox through m->ops, as every other scenario does. */
#include "futex_ring.h"

typedef struct vtable_ctx {
	mbx *m;
} vtable_ctx;

typedef mbx_status (*push_fn)(mbx *, const mbx_msg *, bool *);
typedef mbx_status (*pop_fn)(mbx *, mbx_msg *);

/* The one loop; always inlined, so with constant fr_push/fr_pop the calls
 * are direct, and with mbx_push/mbx_pop they go through m->ops. */
static inline __attribute__((always_inline)) void push_pop_pairs(bn_run *r, mbx *m, push_fn push, pop_fn pop)
{
	mbx_msg in = {.tag = 1}, out = {0};
	for (int64_t i = 0; i < r->n; i++) {
		in.seq = (uint64_t)i;
		mbx_status s = push(m, &in, NULL);
		if (s != MBX_OK) {
			bn_fail(r, "push %" PRId64 ": %s", i, mbx_status_name(s));
			return;
		}
		s = pop(m, &out);
		if (s != MBX_OK || out.seq != (uint64_t)i) {
			bn_fail(r, "pop %" PRId64 ": %s, seq %" PRIu64, i, mbx_status_name(s), out.seq);
			return;
		}
	}
}

static void vtable_setup(bn_run *r)
{
	vtable_ctx *x = r->ctx;
	mbx_config cfg = {.capacity = 0, .spin = -1, .yields = -1};
	if (r->c->vtable.call == BN_CALL_DIRECT) {
		x->m = fr_create(&cfg);
		if (!x->m)
			bn_fail(r, "fr_create: %s", strerror(errno));
	} else {
		x->m = bn_mbx_create(r, mbx_find("futex_ring"), 0, -1);
	}
}

static void vtable_body(bn_run *r)
{
	vtable_ctx *x = r->ctx;
	if (r->c->vtable.call == BN_CALL_DIRECT)
		push_pop_pairs(r, x->m, fr_push, fr_pop);
	else
		push_pop_pairs(r, x->m, mbx_push, mbx_pop);
}

static void vtable_finish(bn_run *r)
{
	vtable_ctx *x = r->ctx;
	if (x->m)
		mbx_destroy(x->m);
}

const bn_scenario bn_sc_vtable = {
	.name = "vtable",
	.ctx_size = sizeof(vtable_ctx),
	.setup = vtable_setup,
	.body = vtable_body,
	.finish = vtable_finish,
};
