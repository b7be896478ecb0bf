/* ck_glue.h: what ConcurrencyKit's eventcount (ck_ec32) needs from the OS,
 * shared by the CK mailboxes (mailboxes/ck_fifo.c, mailboxes/ck_ring.c):
 * futex wait/wake (mbx_sync.h) and CLOCK_MONOTONIC deadlines. Internal. */
#ifndef MAILROOM_CK_GLUE_H
#define MAILROOM_CK_GLUE_H

#include <stdint.h>
#include <time.h>

#include <ck_ec.h>

#include "mbx_sync.h"

/* ---- ck_ec glue: futex + CLOCK_MONOTONIC ---- */
static inline int mbx_ck_ec_gettime(const struct ck_ec_ops *ops, struct timespec *out)
{
	(void)ops;
	return clock_gettime(CLOCK_MONOTONIC, out);
}

static inline void mbx_ck_ec_wait32(const struct ck_ec_wait_state *st, const uint32_t *addr,
                                    uint32_t expected, const struct timespec *deadline)
{
	(void)st;
	int64_t rel = -1;
	if (deadline) { /* ck_ec deadlines are absolute (ec_gettime's clock); futex wants relative */
		rel = (int64_t)deadline->tv_sec * 1000000000 + deadline->tv_nsec - mbx_now_ns();
		if (rel <= 0)
			return;
	}
	mbx_futex_wait((_Atomic uint32_t *)(uintptr_t)addr, expected, rel);
}

static inline void mbx_ck_ec_wake32(const struct ck_ec_ops *ops, const uint32_t *addr)
{
	(void)ops;
	mbx_futex_wake((_Atomic uint32_t *)(uintptr_t)addr, INT32_MAX);
}

static const struct ck_ec_ops mbx_ck_ec_ops = {
	.gettime = mbx_ck_ec_gettime,
	.wait32 = mbx_ck_ec_wait32,
	.wake32 = mbx_ck_ec_wake32,
	.busy_loop_iter = 1, /* we spin base.spin ourselves before ck_ec32_wait */
};
/* Multi-producer mode: several producers (and close) increment. */
static const struct ck_ec_mode mbx_ck_ec_mode = {.ops = &mbx_ck_ec_ops, .single_producer = false};

/* An absolute mbx_now_ns() deadline as ck_ec32_wait wants it. */
static inline struct timespec mbx_ck_deadline_ts(int64_t ns)
{
	return (struct timespec){.tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000};
}

#endif
