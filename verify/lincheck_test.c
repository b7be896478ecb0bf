/* lincheck_test.c: the linearizability checkers (lincheck.h) on hand-built
 * histories: each good one must be accepted and each bad one rejected, so a
 * checker that accepts everything fails here (ctest lincheck/selftest). */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "lincheck.h"

#define PUSH(i, r, v, a) {i, r, LC_PUSH, LC_A_##a, v}
#define POP(i, r, v, a) {i, r, LC_POP, LC_A_##a, v}
#define CLOSE(i, r) {i, r, LC_CLOSE, LC_A_OK, 0}

typedef struct hist {
	const char *name;
	uint32_t capacity;
	bool linearizable;
	int n;
	lc_op ops[12];
} hist;

static const hist H[] = {
	/* sequential, every answer of the contract */
	{"seq_all_answers", 1, true, 9, {PUSH(1, 2, 1, OK), PUSH(3, 4, 2, FULL), POP(5, 6, 1, OK), POP(7, 8, 0, EMPTY),
	                                 POP(9, 10, 0, TIMEOUT), CLOSE(11, 12), PUSH(13, 14, 3, CLOSED),
	                                 POP(15, 16, 0, CLOSED), CLOSE(17, 18)}},
	/* FULL is right only if the push overlapping a pop linearizes first */
	{"full_overlapping_pop", 1, true, 4, {PUSH(1, 2, 1, OK), POP(3, 10, 1, OK), PUSH(4, 5, 2, FULL),
	                                      POP(11, 12, 0, EMPTY)}},
	/* a push and close overlap: CLOSED for the push is fine */
	{"closed_overlapping_close", 2, true, 3, {CLOSE(1, 10), PUSH(2, 3, 1, CLOSED), POP(11, 12, 0, CLOSED)}},
	/* ... and so is OK, popped before CLOSED (exact close) */
	{"ok_overlapping_close", 2, true, 4, {CLOSE(1, 10), PUSH(2, 3, 1, OK), POP(11, 12, 1, OK),
	                                      POP(13, 14, 0, CLOSED)}},
	/* concurrent pushes may linearize in either order */
	{"concurrent_pushes", 4, true, 4, {PUSH(1, 10, 1, OK), PUSH(2, 9, 2, OK), POP(11, 12, 2, OK),
	                                   POP(13, 14, 1, OK)}},
	/* ---- wrong ones ---- */
	{"full_with_room", 2, false, 2, {PUSH(1, 2, 1, OK), PUSH(3, 4, 2, FULL)}},
	{"ok_past_capacity", 1, false, 2, {PUSH(1, 2, 1, OK), PUSH(3, 4, 2, OK)}},
	{"timeout_while_nonempty", 4, false, 3, {PUSH(1, 2, 1, OK), POP(3, 4, 0, TIMEOUT), POP(5, 6, 1, OK)}},
	{"empty_while_nonempty", 4, false, 2, {PUSH(1, 2, 1, OK), POP(3, 4, 0, EMPTY)}},
	{"closed_while_nonempty", 4, false, 3, {PUSH(1, 2, 1, OK), CLOSE(3, 4), POP(5, 6, 0, CLOSED)}},
	{"ok_after_close", 4, false, 2, {CLOSE(1, 2), PUSH(3, 4, 1, OK)}},
	{"closed_before_close", 4, false, 2, {PUSH(1, 2, 1, CLOSED), CLOSE(3, 4)}},
	{"timeout_when_closed", 4, false, 2, {CLOSE(1, 2), POP(3, 4, 0, TIMEOUT)}},
	{"fifo_broken", 4, false, 4, {PUSH(1, 2, 1, OK), PUSH(3, 4, 2, OK), POP(5, 6, 2, OK), POP(7, 8, 1, OK)}},
	{"value_never_pushed", 4, false, 2, {PUSH(1, 2, 1, OK), POP(3, 4, 7, OK)}},
	{"popped_twice", 4, false, 3, {PUSH(1, 2, 1, OK), POP(3, 4, 1, OK), POP(5, 6, 1, OK)}},
};

int main(int argc, char **argv)
{
	(void)argv;
	if (argc > 1) {
		printf("usage: mailroom-lincheck-test (no arguments): the checkers on hand-built histories\n");
		return argc == 2 && !strcmp(argv[1], "--help") ? 0 : 2;
	}
	int bad = 0;
	for (size_t i = 0; i < sizeof H / sizeof H[0]; i++) {
		bool got = lc_model_check(H[i].ops, H[i].n, H[i].capacity);
		printf("%-26s %-16s %s\n", H[i].name, got ? "linearizable" : "rejected",
		       got == H[i].linearizable ? "ok" : "WRONG");
		if (got != H[i].linearizable) {
			lc_print_history(stderr, H[i].ops, H[i].n);
			bad++;
		}
	}
	/* The O(n) checker: values 0, 1 enqueued one after the other, dequeued
	 * in the wrong order (VOrd), then an EMPTY while 2 is surely there (VWit). */
	lc_enq enq[3] = {{1, 2}, {3, 4}, {5, 6}};
	lc_deq good[] = {{7, 8, 0}, {9, 10, 1}, {11, 12, 2}, {13, 14, LC_EMPTY}};
	lc_deq wrong[] = {{7, 8, 1}, {9, 10, 0}, {11, 12, LC_EMPTY}, {13, 14, 2}};
	lc_result r = lc_check(enq, 3, good, 4, 1);
	CHECK_EQU(lc_violations(&r), 0);
	r = lc_check(enq, 3, wrong, 4, 1);
	CHECK_EQU(r.ord, 1);
	CHECK_EQU(r.wit, 1);
	printf("%d wrong verdict(s)\n", bad);
	return bad ? 1 : 0;
}
