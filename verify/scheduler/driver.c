/* driver.c: mailroom-scheduler-test, the pooled (M:N) execution mode
 * (actor.h, act_pool) over every mailbox of the table. One file per concept
 * holds the tests (lifecycle, fairness, wakeup, inside_pool, stop_crash,
 * mixed_modes, regressions); here are their table, the pools' registry for
 * the watchdog's dump, and main. Every test has a watchdog (a hang aborts
 * with a message) and prints a replayable seed. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "sched.h"
#include "suite.h"

enum { WATCHDOG_S = 20 }; /* below every ctest timeout, so a hang reports itself */

static unsigned opt_workers; /* --workers: 0 = each test's own default */
unsigned workers_or(unsigned dflt) { return opt_workers ? opt_workers : dflt; }

act_pool *sched_pool_new(tctx *t, unsigned workers, unsigned batch, int32_t spin)
{
	act_pool *p = v_pool_new(workers, batch, spin);
	pthread_mutex_lock(&t->pools_mu);
	int i = 0;
	while (i < SCHED_MAX_POOLS && t->pools[i])
		i++;
	CHECK_LT(i, SCHED_MAX_POOLS);
	t->pools[i] = p;
	pthread_mutex_unlock(&t->pools_mu);
	return p;
}

void sched_pool_forget(tctx *t, act_pool *p)
{
	pthread_mutex_lock(&t->pools_mu);
	for (int i = 0; i < SCHED_MAX_POOLS; i++)
		if (t->pools[i] == p)
			t->pools[i] = NULL;
	pthread_mutex_unlock(&t->pools_mu);
}

act_pool_stats sched_pool_free(tctx *t, act_pool *p)
{
	sched_pool_forget(t, p);
	return v_pool_free(p);
}

void sched_dump(void *ctx)
{
	tctx *t = ctx;
	pthread_mutex_lock(&t->pools_mu);
	for (int i = 0; i < SCHED_MAX_POOLS; i++)
		if (t->pools[i]) {
			char what[32];
			snprintf(what, sizeof what, "pool %d (%u workers)", i, act_pool_workers(t->pools[i]));
			v_pool_print(stderr, what, act_pool_get_stats(t->pools[i]));
		}
	pthread_mutex_unlock(&t->pools_mu);
}

void sched_wait_ge(tctx *t, _Atomic uint64_t *v, uint64_t want)
{
	uint64_t last = UINT64_MAX, x;
	while ((x = atomic_load(v)) < want) {
		if (x != last) {
			last = x;
			v_tick(&t->wd);
		}
		v_sleep_ms(1);
	}
	v_tick(&t->wd);
}

typedef struct test_def {
	v_test t;
	void (*fn)(tctx *t);
} test_def;
static const test_def tests[] = {
	{{"many_actors", 60, 0}, t_many_actors},
	{{"never_two_workers", 60, 0}, t_never_two_workers},
	{{"batch_fairness", 60, 0}, t_batch_fairness},
	{{"no_lost_wakeup", 60, 0}, t_no_lost_wakeup},
	{{"ask_inside_pool", 60, 0}, t_ask_inside_pool},
	{{"ask_timeout_inside_pool", 60, 0}, t_ask_timeout_inside_pool},
	{{"stop_idle", 60, 0}, t_stop_idle},
	{{"self_stop", 60, 0}, t_self_stop},
	{{"crash", 60, 0}, t_crash},
	{{"pool_destroy_checks", 60, 0}, t_pool_destroy_checks},
	{{"mixed_modes", 60, 0}, t_mixed_modes},
	{{"help_nested_block", 60, MBX_CAP_BOUNDED}, t_help_nested_block},
	{{"stranded_next_slot", 60, MBX_CAP_BOUNDED}, t_stranded_next_slot},
};

static void run_test(const v_test *vt, const v_case *c, uint64_t seed)
{
	tctx t = {.ops = c->ops, .seed = seed, .pools_mu = PTHREAD_MUTEX_INITIALIZER};
	t.wd.dump = sched_dump;
	t.wd.ctx = &t;
	v_watchdog_start(&t.wd, WATCHDOG_S, vt->name);
	((const test_def *)(const void *)vt)->fn(&t);
	v_watchdog_stop(&t.wd);
	fflush(stdout);
}

static void usage(const v_suite *s, FILE *f)
{
	v_suite_default_usage(s, f);
	fprintf(f, "  --workers N     pool size for the tests that do not need one worker (1..1024;\n"
	           "                  default: each test's own, 2 to 4)\n"
	           "tests:");
	for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++)
		fprintf(f, " %s", tests[i].t.name);
	fprintf(f, "\n");
}

static int own_flag(v_suite *s, int argc, char **argv, int *i)
{
	(void)s;
	if (strcmp(argv[*i], "--workers"))
		return 0;
	opt_workers =
	    (unsigned)cli_u64(SCHED_PROG, "--workers", cli_value(SCHED_PROG, argc, argv, i), 1, 1024);
	return 1;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0); /* a CHECK aborts: keep what was printed before it */
	v_suite s = {.prog = SCHED_PROG, .label = "scheduler", .test_flag = "--test", V_SUITE_TESTS(tests),
	             .run = run_test, .usage = usage, .flag = own_flag};
	return v_suite_main(&s, argc, argv);
}
