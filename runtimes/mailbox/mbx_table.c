/* mbx_table.c: THE mailbox table. Adding a mailbox = its file under
 * runtimes/mailbox/kinds/ plus its declaration and its line here; tests and
 * benchmarks iterate this. */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "mailbox.h"
#include "mbx_sync.h"
#include "park.h"

_Static_assert(MBX_CACHELINE == 64, "mbx_i_lines rounds to 64 bytes");

extern const mbx_ops mbx_mutex_ops;
extern const mbx_ops mbx_ck_ring_ops;
extern const mbx_ops mbx_ck_fifo_ops;
extern const mbx_ops mbx_futex_ring_ops;
extern const mbx_ops mbx_vyukov_ops;
extern const mbx_ops mbx_segment_ops;
extern const mbx_ops mbx_intrusive_stack_ops;
extern const mbx_ops mbx_lazy_ring_ops;

const mbx_ops *const mbx_table[] = {
	&mbx_mutex_ops,
	&mbx_ck_ring_ops,
	&mbx_ck_fifo_ops,
	&mbx_futex_ring_ops,
	&mbx_vyukov_ops,
	&mbx_segment_ops,
	&mbx_intrusive_stack_ops,
	&mbx_lazy_ring_ops,
	NULL,
};

size_t mbx_table_len(void)
{
	size_t n = 0;
	while (mbx_table[n])
		n++;
	return n;
}

const mbx_ops *mbx_find(const char *name)
{
	for (size_t i = 0; mbx_table[i]; i++)
		if (strcmp(mbx_table[i]->name, name) == 0)
			return mbx_table[i];
	return NULL;
}

const char *mbx_status_name(mbx_status s)
{
	switch (s) {
	case MBX_OK: return "OK";
	case MBX_FULL: return "FULL";
	case MBX_EMPTY: return "EMPTY";
	case MBX_RETRY: return "RETRY";
	case MBX_CLOSED: return "CLOSED";
	case MBX_TIMEOUT: return "TIMEOUT";
	case MBX_NOMEM: return "NOMEM";
	}
	return "?";
}

size_t mbx_footprint(const mbx_ops *ops, uint32_t capacity, int32_t spin)
{
	mbx_config cfg = {.capacity = capacity, .spin = spin, .yields = -1};
	size_t n = ops ? ops->size(&cfg) : 0;
	if (!n)
		errno = EINVAL;
	return n;
}

static mbx *create_in(const mbx_ops *ops, void *mem, const mbx_config *cfg)
{
	int e = ops && mem ? ops->init(mem, cfg) : EINVAL;
	if (e) {
		errno = e;
		return NULL;
	}
	return mem;
}

mbx *mbx_create_in(const mbx_ops *ops, void *mem, uint32_t capacity, int32_t spin)
{
	mbx_config cfg = {.capacity = capacity, .spin = spin, .yields = -1};
	return create_in(ops, mem, &cfg);
}

mbx *mbx_create_cfg(const mbx_ops *ops, const mbx_config *cfg)
{
	size_t n = ops && cfg ? ops->size(cfg) : 0;
	if (!n) {
		errno = EINVAL;
		return NULL;
	}
	void *mem = aligned_alloc(MBX_CACHELINE, n); /* n: a multiple of the line (size()) */
	if (!mem) {
		errno = ENOMEM;
		return NULL;
	}
	mbx *m = create_in(ops, mem, cfg);
	if (!m) {
		int e = errno;
		free(mem);
		errno = e;
	}
	return m;
}

mbx *mbx_create(const mbx_ops *ops, uint32_t capacity, int32_t spin)
{
	mbx_config cfg = {.capacity = capacity, .spin = spin, .yields = -1};
	return mbx_create_cfg(ops, &cfg);
}

void mbx_destroy(mbx *m)
{
	mbx_destroy_in(m);
	free(m);
}

#if defined(MAILROOM_PENDING_PROBE) && MAILROOM_PENDING_PROBE
/* The pending-work probe (mailbox.h). Relaxed: each change is read only by
 * a thread the change happens-before (the benchmark's main thread, after a
 * reply, a join or a latch), and coherence orders a counter's updates. */
static _Atomic int64_t probe_pending;
void mbx_i_probe_add(int64_t delta) { atomic_fetch_add_explicit(&probe_pending, delta, memory_order_relaxed); }
int64_t mbx_probe_pending(void) { return atomic_load_explicit(&probe_pending, memory_order_relaxed); }
#endif

size_t mbx_drain(mbx *m, void (*fn)(const mbx_msg *msg, void *ctx), void *ctx)
{
	size_t n = 0;
	unsigned round = 0;
	mbx_msg msg;
	for (;;) {
		mbx_status s = mbx_try_pop(m, &msg);
		if (s == MBX_OK) {
			if (fn)
				fn(&msg, ctx);
			n++;
			round = 0;
		} else if (s == MBX_RETRY) {
			/* a producer is linking its node: a few steps unless it was
			 * preempted, so pause, then yield the CPU it may need */
			mbx_i_backoff(&round);
		} else {
			return n; /* EMPTY or CLOSED */
		}
	}
}

int mbx_i_init(mbx *base, const mbx_ops *ops, const mbx_config *cfg)
{
	uint32_t cap = cfg && cfg->capacity ? cfg->capacity : ops->default_capacity;
	int32_t spin = cfg && cfg->spin >= 0 ? cfg->spin : ops->default_spin;
	if (cap == MBX_UNBOUNDED) {
		if (!(ops->caps & MBX_CAP_UNBOUNDED))
			return EINVAL;
	} else {
		if (!(ops->caps & MBX_CAP_BOUNDED) || cap < 2 || cap > (1u << 30))
			return EINVAL;
		if ((ops->caps & MBX_CAP_POW2) && (cap & (cap - 1)))
			return EINVAL;
	}
	base->ops = ops;
	base->capacity = cap;
	base->spin = spin;
	/* no yield phase without the capability; a config that leaves yields
	 * at -1 (or a NULL one) gets the kind's default */
	base->yields = !(ops->caps & MBX_CAP_YIELD) ? 0 : cfg && cfg->yields >= 0 ? cfg->yields : ops->default_yields;
	return 0;
}
