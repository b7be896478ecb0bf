/* tsan_race.c: a race in the CALLER's memory that TSan must report for every
 * mailbox kind. The mailbox's own hand-off is annotated for TSan (and the
 * ConcurrencyKit kinds run CK's code in ignore regions), so this checks that
 * no ignore region swallows the copy into the consumer's output buffer or out
 * of the producer's input buffer: a kind whose pop writes `out` inside an
 * ignore region would hide this race. tsan preset only (ctest label `tsan`):
 * tests pop and push must be REPORTED, none (the same threads, ordered by a
 * join) must pass with no report. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "cli.h"
#include "mailbox.h"
#include "suite.h"
#include "vutil.h"

static const char *PROG = "mailroom-tsan-race";

static mbx *g_box;
static mbx_msg g_buf; /* the caller's buffer: pop writes it / push reads it */
static volatile uint64_t g_sink;

static void *race_pop(void *p)
{
	(void)p;
	CHECK_STATUS(mbx_pop(g_box, &g_buf), MBX_OK); /* writes g_buf */
	return NULL;
}

static void *race_push(void *p)
{
	(void)p;
	CHECK_STATUS(mbx_push(g_box, &g_buf, NULL), MBX_OK); /* reads g_buf */
	return NULL;
}

/* The other thread: touches g_buf with no synchronisation with the mailbox
 * caller (the sleep only makes the order likely; TSan reports either order). */
static void *race_reader(void *p)
{
	(void)p;
	v_sleep_ms(50);
	g_sink = g_buf.a;
	return NULL;
}

static void *race_writer(void *p)
{
	(void)p;
	v_sleep_ms(50);
	g_buf.a = 99;
	return NULL;
}

/* The three runs: the caller's thread and the other one, on one mailbox. */
static void run_side(const mbx_ops *ops, const char *side)
{
	g_box = mbx_create(ops, 0, -1);
	CHECK(g_box != NULL);
	mbx_msg first = {.tag = 1, .a = 7};
	pthread_t caller, other;
	if (!strcmp(side, "push")) {
		g_buf = first;
		CHECK_EQ(pthread_create(&caller, NULL, race_push, NULL), 0);
		CHECK_EQ(pthread_create(&other, NULL, race_writer, NULL), 0);
	} else {
		CHECK_STATUS(mbx_push(g_box, &first, NULL), MBX_OK);
		CHECK_EQ(pthread_create(&caller, NULL, race_pop, NULL), 0);
		if (!strcmp(side, "none"))
			CHECK_EQ(pthread_join(caller, NULL), 0); /* orders the pop before the read */
		CHECK_EQ(pthread_create(&other, NULL, race_reader, NULL), 0);
	}
	if (strcmp(side, "none"))
		CHECK_EQ(pthread_join(caller, NULL), 0);
	CHECK_EQ(pthread_join(other, NULL), 0);
	mbx_destroy(g_box);
}

typedef struct race_def {
	v_test t;
	bool race; /* TSan must report it (else: the control, no report) */
} race_def;

static const race_def tests[] = {
	{{"pop", 60, 0}, true},
	{{"push", 60, 0}, true},
	{{"none", 60, 0}, false},
};

static int g_only = -1; /* --only: 1 races, 0 controls, -1 both */

static int flag(v_suite *s, int argc, char **argv, int *i)
{
	if (strcmp(argv[*i], "--only"))
		return 0;
	const char *v = cli_value(s->prog, argc, argv, i);
	if (!strcmp(v, "race"))
		g_only = 1;
	else if (!strcmp(v, "control"))
		g_only = 0;
	else
		cli_die(s->prog, "bad value '%s' for --only: want race or control", v);
	return 1;
}

static bool applies(const v_test *t, const v_case *c)
{
	(void)c;
	return g_only < 0 || ((const race_def *)(const void *)t)->race == (g_only == 1);
}

static void usage(const v_suite *s, FILE *f)
{
	(void)s;
	fprintf(f,
	        "usage: %s [--list] [--only race|control] [--mailbox NAME] [--test pop|push|none]\n"
	        "  --list          print 'mailbox/test timeout args...' for ctest\n"
	        "  --only KIND     list only the races (TSan must report) or only the controls\n"
	        "  --mailbox NAME  only this mailbox (default: every mailbox in the table)\n"
	        "  --test pop      another thread reads the consumer's output buffer: TSan must report\n"
	        "  --test push     another thread writes the producer's input buffer: TSan must report\n"
	        "  --test none     the same accesses ordered by a join: no report (the control)\n"
	        "  --seed S        accepted for the shared driver; nothing here is random\n"
	        "  --help          this text\n",
	        PROG);
}

static void run_test(const v_test *t, const v_case *c, uint64_t seed)
{
	(void)seed;
	run_side(c->ops, t->name);
}

int main(int argc, char **argv)
{
	v_suite s = {.prog = PROG, .label = "tsan-race", .test_flag = "--test", V_SUITE_TESTS(tests),
	             .usage = usage, .run = run_test, .flag = flag, .applies = applies};
	return v_suite_main(&s, argc, argv);
}
