/* suite.h: the test-table driver shared by the verify programs (conformance,
 * actor_test, supervision_test, scheduler/, workloads/, stress): flag
 * parsing, the --list lines verify/discover.cmake turns into ctest tests,
 * the seed line with its replay flags, per-case timeouts, the tally. */
#ifndef MAILROOM_SUITE_H
#define MAILROOM_SUITE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "mailbox.h"
#include "vutil.h"

/* The head of one test-table entry. A program's entry starts with it and adds
 * its own test function: struct { v_test t; void (*fn)(...); }. */
typedef struct v_test {
	const char *name;
	unsigned timeout_s; /* ctest timeout, x3 in sanitizer builds */
	unsigned needs;     /* what a case must offer (default: MBX_CAP_* bits) */
} v_test;

/* One configuration every applicable test runs against. */
typedef struct v_case {
	const char *where;  /* ctest name prefix: "mutex", "actor/mutex.cap4" */
	const char *name;   /* the name after it, if not the test's: a named
	                     * configuration of one test ("fanin_oversub") */
	const char *args;   /* flags that select it again: "--mailbox mutex" */
	const mbx_ops *ops; /* the mailbox, or NULL where none applies */
	const void *ctx;    /* the program's own (a backend and config, ...) */
} v_case;

typedef struct v_suite v_suite;
struct v_suite {
	/* ---- set by the program ---- */
	const char *prog;      /* program name, for errors */
	const char *label;     /* first word of each run line */
	const char *test_flag; /* "--test" or "--workload"; its name is the noun in errors */
	const void *tests;     /* array of entries that start with a v_test */
	size_t ntests, test_size;
	void (*run)(const v_test *t, const v_case *c, uint64_t seed);
	/* optional hooks (NULL: the default named) */
	void (*usage)(const v_suite *s, FILE *f);               /* --help (v_suite_default_usage) */
	int (*flag)(v_suite *s, int argc, char **argv, int *i); /* own flag at argv[*i]: 1 if taken (none) */
	void (*validate)(v_suite *s); /* after parsing (--mailbox then the test name) */
	void (*cases)(v_suite *s);    /* v_suite_case for each case (each mailbox of the table) */
	bool (*applies)(const v_test *t, const v_case *c); /* (c->ops has every bit of t->needs) */
	void (*done)(v_suite *s);                          /* after a run, before the tally line (nothing) */
	/* ---- filled by v_suite_main ---- */
	bool list;
	const char *mailbox, *test; /* --mailbox, --test/--workload; NULL if not given */
	uint64_t seed;
	int ran;
};

/* .tests/.ntests/.test_size for a program's table `arr` (entries' head: .t). */
#define V_SUITE_TESTS(arr)                                                                                   \
	.tests = &(arr)[0].t, .ntests = sizeof(arr) / sizeof((arr)[0]), .test_size = sizeof((arr)[0])

static inline const v_test *v_suite_test(const v_suite *s, size_t i)
{
	return (const v_test *)(const void *)((const char *)s->tests + i * s->test_size);
}

static inline void v_suite_check_mailbox(const v_suite *s)
{
	if (s->mailbox && !mbx_find(s->mailbox))
		cli_die(s->prog, "unknown mailbox '%s'", s->mailbox);
}

static inline void v_suite_check_test(const v_suite *s)
{
	if (!s->test)
		return;
	for (size_t i = 0; i < s->ntests; i++)
		if (!strcmp(v_suite_test(s, i)->name, s->test))
			return;
	cli_die(s->prog, "unknown %s '%s'", s->test_flag + 2, s->test);
}

/* Lists or runs every selected test that applies to case `c`. */
static inline void v_suite_case(v_suite *s, const v_case *c)
{
	for (size_t i = 0; i < s->ntests; i++) {
		const v_test *t = v_suite_test(s, i);
		if ((s->test && strcmp(t->name, s->test)) || !s->applies(t, c))
			continue;
		const char *name = c->name ? c->name : t->name;
		if (s->list) {
			printf("%s/%s %u %s %s %s\n", c->where, name, t->timeout_s * (V_SCALE > 1 ? 3 : 1),
			       c->args, s->test_flag, t->name);
			continue;
		}
		printf("%s %s/%s seed=%llu (replay: %s %s %s --seed %llu)\n", s->label, c->where, name,
		       (unsigned long long)s->seed, c->args, s->test_flag, t->name,
		       (unsigned long long)s->seed);
		fflush(stdout);
		s->run(t, c, s->seed);
		s->ran++;
	}
}

/* fn(s, where, args, ops) for each mailbox of the table (only --mailbox if
 * given): where is its name, args "--mailbox NAME". */
typedef void v_mailbox_fn(v_suite *s, const char *where, const char *args, const mbx_ops *o);
static inline void v_suite_each_mailbox(v_suite *s, v_mailbox_fn *fn)
{
	for (size_t k = 0; mbx_table[k]; k++) {
		const mbx_ops *o = mbx_table[k];
		if (s->mailbox && strcmp(o->name, s->mailbox))
			continue;
		char args[160];
		snprintf(args, sizeof args, "--mailbox %s", o->name);
		fn(s, o->name, args, o);
	}
}

static inline void v_suite_mailbox_case(v_suite *s, const char *where, const char *args, const mbx_ops *o)
{
	v_suite_case(s, &(v_case){.where = where, .args = args, .ops = o});
}

/* Default cases: each mailbox of the table, one case each. */
static inline void v_suite_mailbox_cases(v_suite *s) { v_suite_each_mailbox(s, v_suite_mailbox_case); }

static inline bool v_suite_caps_apply(const v_test *t, const v_case *c)
{
	return (c->ops->caps & t->needs) == t->needs;
}

/* The --help of a plain mailbox x test suite (--test as test_flag). */
static inline void v_suite_default_usage(const v_suite *s, FILE *f)
{
	fprintf(f,
	        "usage: %s [--list] [--mailbox NAME] [--test NAME] [--seed S]\n"
	        "  --list          print 'mailbox/test timeout args...' for ctest\n"
	        "  --mailbox NAME  only this mailbox (default: every mailbox in the table)\n"
	        "  --test NAME     only this test (default: all)\n"
	        "  --seed S        seed (default: from the clock; printed)\n"
	        "  --help          this text\n",
	        s->prog);
}

static inline void v_suite_default_validate(v_suite *s)
{
	v_suite_check_mailbox(s);
	v_suite_check_test(s);
}

/* Parses argv, then lists (--list) or runs; a bad argument exits 2 (cli.h).
 * Returns main's exit status. */
static inline int v_suite_main(v_suite *s, int argc, char **argv)
{
	if (!s->usage)
		s->usage = v_suite_default_usage;
	if (!s->validate)
		s->validate = v_suite_default_validate;
	if (!s->cases)
		s->cases = v_suite_mailbox_cases;
	if (!s->applies)
		s->applies = v_suite_caps_apply;
	cli_split_eq(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--list"))
			s->list = true;
		else if (!strcmp(argv[i], "--mailbox"))
			s->mailbox = cli_value(s->prog, argc, argv, &i);
		else if (!strcmp(argv[i], s->test_flag))
			s->test = cli_value(s->prog, argc, argv, &i);
		else if (!strcmp(argv[i], "--seed"))
			s->seed =
			    cli_u64(s->prog, "--seed", cli_value(s->prog, argc, argv, &i), 1, UINT64_MAX);
		else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			s->usage(s, stdout);
			return 0;
		} else if (!s->flag || !s->flag(s, argc, argv, &i))
			cli_die(s->prog, "unknown argument '%s'", argv[i]);
	}
	s->validate(s);
	if (!s->seed)
		s->seed = v_seed_from_clock();
	s->cases(s);
	if (!s->list) {
		if (s->done)
			s->done(s);
		printf("%d passed, 0 failed\n", s->ran);
	}
	return 0;
}

#endif
