/* futex_ring.c: the futex_ring mailbox's ops table; the implementation is
 * futex_ring.h (static inline, so a benchmark can call it directly). */
#include "futex_ring.h"

/* Default spin budget 1024, the ceiling of the adaptive budget (park.h):
 * a futex hand-off costs several microseconds here, and a budget under that
 * turns every ping-pong hop into a sleep (sweep: results/notes/spin-budget.md). */
const mbx_ops mbx_futex_ring_ops = {
	.name = "futex_ring",
	.summary = "bounded MPSC ring, per-slot sequence numbers, exact close, spin-then-futex (ours)",
	.caps = MBX_CAP_BOUNDED | MBX_CAP_BLOCKING | MBX_CAP_LOCKFREE | MBX_CAP_SPIN | MBX_CAP_POW2 |
	        MBX_CAP_EXACT_CLOSE,
	.default_capacity = 1024,
	.default_spin = 1024,
	MBX_INPLACE(fr),
	.push = fr_push,
	.try_push = fr_try_push,
	.pop = fr_pop,
	.try_pop = fr_try_pop,
	.pop_timeout = fr_pop_timeout,
	.close = fr_close,
	.len = fr_len,
};
