/* driver.c: mailroom-workloads, the workload suite. Each test is written
 * once against the workload interfaces (workload.h), in one file per
 * workload family (bank, counter, kv, actor_only, equivalence), and listed
 * for every backend that offers it: the actor version over every mailbox of
 * mbx_table (at its default capacity and, for bounded kinds, at capacity 4
 * so backpressure is hit), and every shared-state baseline. The actor cases
 * run thread per actor; with --mode pool (or both) they run again with every
 * actor on an act_pool, same checks (ctest lists those separately, label
 * `scheduler`). Oracles abort; random runs print their seed. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "cli.h"
#include "mailbox.h"
#include "suite.h"
#include "vactor.h"
#include "vutil.h"
#include "wltest.h"

enum { SMALL_CAP = 4 };   /* bounded kinds also run here: senders block often */
enum { WATCHDOG_S = 60 }; /* below every ctest timeout, so a hang reports itself */

void run_threads(unsigned n, void *(*fn)(void *), void *args, size_t arg_size)
{
	pthread_t th[16];
	CHECK_LE(n, 16);
	for (unsigned i = 0; i < n; i++)
		CHECK_EQ(pthread_create(&th[i], NULL, fn, (char *)args + i * arg_size), 0);
	for (unsigned i = 0; i < n; i++)
		CHECK_EQ(pthread_join(th[i], NULL), 0);
}

enum { N_BANK = 1u << 0, N_COUNTER = 1u << 1, N_KV = 1u << 2, N_ACTOR = 1u << 3, N_ANY = 1u << 4 };

typedef struct test_def {
	v_test t; /* name, timeout, N_*: what the backend must offer */
	void (*fn)(tctx *t);
} test_def;

static const test_def tests[] = {
	{{"bank_basic", 120, N_BANK}, t_bank_basic},
	{{"bank_concurrent", 120, N_BANK}, t_bank_concurrent},
	{{"counter", 120, N_COUNTER}, t_counter},
	{{"kv_basic", 120, N_KV}, t_kv_basic},
	{{"kv_concurrent", 120, N_KV}, t_kv_concurrent},
	{{"wordcount", 120, N_ACTOR}, t_wordcount},
	{{"logger", 120, N_ACTOR}, t_logger},
	{{"broadcast", 120, N_ACTOR}, t_broadcast},
	{{"equivalence", 120, N_ANY}, t_equivalence},
};
enum { NTESTS = sizeof tests / sizeof tests[0] };

/* What one case runs on: a backend, and for the actor one a mailbox config. */
typedef struct wl_case {
	const wl_backend *be;
	wl_config cfg;
	bool pooled; /* cfg.pool is made per run */
} wl_case;

static bool applies(const v_test *t, const v_case *c)
{
	const wl_backend *be = ((const wl_case *)c->ctx)->be;
	if ((t->needs & N_BANK) && !be->bank)
		return false;
	if ((t->needs & N_COUNTER) && !be->counter)
		return false;
	if ((t->needs & N_KV) && !be->kv)
		return false;
	if ((t->needs & N_ACTOR) && !be->is_actor)
		return false;
	if ((t->needs & N_ANY) && !be->bank && !be->counter && !be->kv)
		return false;
	return true;
}

/* pooled mode's default: more workers than this VM's 2 cores */
static v_modes modes = {.thread = true, .workers = 4};

static void usage(const v_suite *s, FILE *f)
{
	(void)s;
	fprintf(f,
	        "usage: %s [--list] [--workload NAME] [--backend NAME] [--mailbox NAME]\n"
	        "          [--capacity N] [--mode thread|pool|both] [--workers N] [--seed S]\n"
	        "  --list          print 'name timeout args...' for every applicable combination (ctest)\n"
	        "  --workload NAME run only this test (default: all that apply)\n"
	        "  --backend NAME  run only this backend (default: all in wl_backends)\n"
	        "  --mailbox NAME  actor backend: run only over this mailbox (default: all in the table)\n"
	        "  --capacity N    actor backend: mailbox capacity, 'default' or 'unbounded' (default:\n"
	        "                  each of: the kind's default, %d where the kind is bounded, unbounded\n"
	        "                  where it can be and is not by default)\n"
	        "  --seed S        seed for the random parts (default: from the clock; printed)\n"
	        "  --help          this text\n"
	        "actor backend:\n",
	        WL_PROG, SMALL_CAP);
	v_modes_usage(f, &(v_modes){.workers = 4});
	fprintf(f, "tests:");
	for (int t = 0; t < NTESTS; t++)
		fprintf(f, " %s", tests[t].t.name);
	fprintf(f, "\n");
}

/* The capacities an actor run covers for one mailbox kind (none when a
 * given --capacity does not fit the kind). */
static size_t caps_for(const mbx_ops *o, bool cap_given, uint32_t cap, uint32_t out[3])
{
	if (cap_given) {
		out[0] = cap;
		return v_cap_fits(o, cap) ? 1 : 0;
	}
	size_t n = 0;
	out[n++] = 0;
	if (o->caps & MBX_CAP_BOUNDED)
		out[n++] = SMALL_CAP;
	/* a kind that is bounded by default but can run without a limit */
	if ((o->caps & MBX_CAP_UNBOUNDED) && o->default_capacity != MBX_UNBOUNDED)
		out[n++] = MBX_UNBOUNDED;
	return n;
}

/* Own flags and their values (the driver keeps --mailbox, --workload, --seed). */
static const char *opt_backend, *opt_cap_s; /* --backend, --capacity as given */
static uint32_t opt_cap;

static int own_flag(v_suite *s, int argc, char **argv, int *i)
{
	(void)s;
	if (!strcmp(argv[*i], "--backend"))
		opt_backend = cli_value(WL_PROG, argc, argv, i);
	else if (!strcmp(argv[*i], "--capacity")) {
		opt_cap_s = cli_value(WL_PROG, argc, argv, i);
		opt_cap = !strcmp(opt_cap_s, "unbounded") ? MBX_UNBOUNDED
		          : !strcmp(opt_cap_s, "default")
		              ? 0
		              : (uint32_t)cli_u64(WL_PROG, "--capacity", opt_cap_s, 2, 1u << 30);
	} else
		return v_modes_flag(&modes, WL_PROG, argc, argv, i);
	return 1;
}

static void validate(v_suite *s)
{
	const char *mb = s->mailbox;
	v_suite_check_test(s);
	if (opt_backend && !wl_find_backend(opt_backend))
		cli_die(WL_PROG, "unknown backend '%s'", opt_backend);
	v_suite_check_mailbox(s);
	if ((mb || opt_cap_s) && opt_backend && !wl_find_backend(opt_backend)->is_actor)
		cli_die(WL_PROG, "--mailbox/--capacity apply to the actor backend, not to '%s'%s",
		        opt_backend, "");
	if (!modes.thread && opt_backend && !wl_find_backend(opt_backend)->is_actor)
		cli_die(WL_PROG, "--mode pool applies to the actor backend, not to '%s'", opt_backend);
	if (opt_cap_s && mb && !v_cap_fits(mbx_find(mb), opt_cap)) /* refused before any actor starts */
		cli_die(WL_PROG, "capacity '%s' is not valid for mailbox '%s'", opt_cap_s, mb);
}

/* The actor backend over mailbox o at capacity c (0: the kind's default),
 * once per selected mode. */
static void actor_case(v_suite *s, const wl_backend *be, const mbx_ops *o, uint32_t c)
{
	char suffix[24] = "", cap[16] = "default", where[128], args[160];
	if (c == MBX_UNBOUNDED) {
		snprintf(suffix, sizeof suffix, ".unbounded");
		snprintf(cap, sizeof cap, "unbounded");
	} else if (c) {
		snprintf(suffix, sizeof suffix, ".cap%u", c);
		snprintf(cap, sizeof cap, "%u", c);
	}
	snprintf(where, sizeof where, "%s/%s%s", be->name, o->name, suffix);
	snprintf(args, sizeof args, "--backend %s --mailbox %s --capacity %s", be->name, o->name, cap);
	wl_case wc = {.be = be, .cfg = {.mailbox = o, .capacity = c, .spin = -1}}, pc = wc;
	pc.pooled = true;
	v_modes_case(s, &modes, where, args, o, &wc, &pc);
}

/* Each backend; the actor one over each mailbox and each capacity it covers. */
static void cases(v_suite *s)
{
	const char *mb = s->mailbox;
	for (size_t bi = 0; wl_backends[bi]; bi++) {
		const wl_backend *be = wl_backends[bi];
		if ((opt_backend && strcmp(be->name, opt_backend)) ||
		    (!be->is_actor && (mb || opt_cap_s || !modes.thread)))
			continue;
		if (!be->is_actor) { /* shared-state backends run once, with no mailbox */
			char args[160];
			snprintf(args, sizeof args, "--backend %s", be->name);
			wl_case wc = {.be = be, .cfg = {.mailbox = NULL, .capacity = 0, .spin = -1}};
			v_suite_case(s, &(v_case){.where = be->name, .args = args, .ctx = &wc});
			continue;
		}
		for (size_t k = 0; mbx_table[k]; k++) {
			const mbx_ops *o = mbx_table[k];
			if (mb && strcmp(o->name, mb))
				continue;
			uint32_t caps[3];
			size_t ncaps = caps_for(o, opt_cap_s != NULL, opt_cap, caps);
			for (size_t ci = 0; ci < ncaps; ci++)
				actor_case(s, be, o, caps[ci]);
		}
	}
}

static void run_test(const v_test *vt, const v_case *c, uint64_t seed)
{
	const wl_case *wc = c->ctx;
	tctx t = {.be = wc->be, .cfg = wc->cfg, .seed = seed};
	if (wc->pooled) {
		t.cfg.pool = v_modes_pool(&modes);
		t.wd.dump = v_pool_dump;
		t.wd.ctx = t.cfg.pool;
	}
	v_watchdog_start(&t.wd, WATCHDOG_S, vt->name);
	((const test_def *)(const void *)vt)->fn(&t);
	v_watchdog_stop(&t.wd); /* before the pool goes: its dump reads the pool */
	if (t.cfg.pool)
		v_modes_pool_done(&modes, t.cfg.pool); /* every workload joined its actors */
	fflush(stdout);
}

static void done(v_suite *s)
{
	if (s->ran == 0)
		cli_die(WL_PROG, "no test matches (workload '%s', backend '%s')", s->test ? s->test : "*",
		        opt_backend ? opt_backend : "*");
}

int main(int argc, char **argv)
{
	v_suite s = {.prog = WL_PROG, .label = "workloads", .test_flag = "--workload", V_SUITE_TESTS(tests),
	             .usage = usage, .run = run_test, .flag = own_flag, .validate = validate, .cases = cases,
	             .applies = applies, .done = done};
	return v_suite_main(&s, argc, argv);
}
