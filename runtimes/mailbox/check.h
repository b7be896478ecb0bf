/* check.h: oracles that abort. Unlike the standard assert macro, these never vanish under
 * NDEBUG, and they print both values before aborting. */
#ifndef MAILROOM_CHECK_H
#define MAILROOM_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK_OP_(a, op, b, fmt, T)                                                          \
	do {                                                                                 \
		T check_a_ = (T)(a), check_b_ = (T)(b);                                      \
		if (!(check_a_ op check_b_)) {                                               \
			fprintf(stderr, "%s:%d: CHECK failed: %s %s %s (" fmt " vs " fmt ")\n", \
			        __FILE__, __LINE__, #a, #op, #b, check_a_, check_b_);          \
			fflush(stderr);                                                      \
			abort();                                                             \
		}                                                                            \
	} while (0)

/* Integer checks (signed/unsigned compared as 64-bit of the stated kind). */
#define CHECK_EQ(a, b) CHECK_OP_(a, ==, b, "%" PRId64, int64_t)
#define CHECK_LE(a, b) CHECK_OP_(a, <=, b, "%" PRId64, int64_t)
#define CHECK_LT(a, b) CHECK_OP_(a, <, b, "%" PRId64, int64_t)
#define CHECK_GE(a, b) CHECK_OP_(a, >=, b, "%" PRId64, int64_t)
#define CHECK_GT(a, b) CHECK_OP_(a, >, b, "%" PRId64, int64_t)
#define CHECK_EQU(a, b) CHECK_OP_(a, ==, b, "%" PRIu64, uint64_t)
#define CHECK(c)                                                                       \
	do {                                                                           \
		if (!(c)) {                                                            \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #c); \
			fflush(stderr);                                                \
			abort();                                                       \
		}                                                                      \
	} while (0)
/* Status checks print names. */
#define CHECK_STATUS(got, want)                                                          \
	do {                                                                             \
		mbx_status check_g_ = (got), check_w_ = (want);                          \
		if (check_g_ != check_w_) {                                              \
			fprintf(stderr, "%s:%d: CHECK failed: %s == %s (%s vs %s)\n",     \
			        __FILE__, __LINE__, #got, #want, mbx_status_name(check_g_), \
			        mbx_status_name(check_w_));                              \
			fflush(stderr);                                                  \
			abort();                                                         \
		}                                                                        \
	} while (0)

#endif
