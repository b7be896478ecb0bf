/* mc_main.c: mailroom-mc, the model checker's command line. Runs one harness
 * (litmus.c, harness_*.c) exhaustively within a preemption bound
 * (iterative: bound 0, 1, ... N), then optionally seeded PCT schedules; or
 * replays one schedule string. Exit: 0 pass, 1 a failure (its report and
 * schedule printed), 2 bad arguments. With --expect KIND: 0 iff a failure of
 * that kind was found. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "mc_engine.h"

static const char *const P = "mailroom-mc";

extern const mc_harness mc_litmus_sb_rel, mc_litmus_sb_sc, mc_litmus_mp_relaxed, mc_litmus_mp_relacq,
	mc_litmus_store_order, mc_litmus_ec_rel, mc_litmus_ec_sc;
extern const mc_harness mc_fr_park, mc_fr_full, mc_fr_close, mc_fr_trypop, mc_vy_park, mc_vy_close, mc_vy_retry,
	mc_lr_park, mc_lr_full, mc_lr_close, mc_lr_trypop;
extern const mc_harness mc_reply_ask, mc_reply_abandon;
extern const mc_harness mc_pool_inject, mc_pool_next;

/* litmus.c, harness_mailbox.c, harness_reply.c, harness_pool.c */
const mc_harness *const mc_harness_table[] = {
	&mc_litmus_sb_rel, &mc_litmus_sb_sc, &mc_litmus_mp_relaxed, &mc_litmus_mp_relacq, &mc_litmus_store_order,
	&mc_litmus_ec_rel, &mc_litmus_ec_sc, &mc_fr_park, &mc_fr_full, &mc_fr_close, &mc_fr_trypop, &mc_vy_park,
	&mc_vy_close, &mc_vy_retry, &mc_lr_park, &mc_lr_full, &mc_lr_close, &mc_lr_trypop, &mc_reply_ask,
	&mc_reply_abandon, &mc_pool_inject, &mc_pool_next, NULL,
};

static void usage(void)
{
	printf("usage: mailroom-mc --harness NAME [options]\n"
	       "  --harness NAME   the harness to explore (--list shows them)\n"
	       "  --list           list the harnesses and exit\n"
	       "  --mode sc|tso    memory model: sequentially consistent (default) or x86-TSO store buffers\n"
	       "  --bound N        preemption bound of the exhaustive search, 0..%d (default: the harness's)\n"
	       "  --max-execs N    stop the exhaustive search after N executions (0 = never; default 0)\n"
	       "  --max-steps N    scheduling points per execution before livelock/bound (default 20000)\n"
	       "  --pct N          after the exhaustive search, N seeded PCT schedules (default 0)\n"
	       "  --pct-depth D    PCT bug depth d, 1..4 (default 3)\n"
	       "  --seed S         PCT seed, base 10 (default 1)\n"
	       "  --strict-futex   futex wake creates no happens-before edge to the woken thread\n"
	       "  --replay SCHED   run exactly the schedule string a failure printed (sets harness and mode)\n"
	       "  --expect KIND    exit 0 iff a failure of KIND is found (oracle, data-race, lost-wakeup,\n"
	       "                   livelock, deadlock, abort); for tests that a checker catches a mutant\n"
	       "  --help           this text\n",
	       MC_MAX_BOUND);
}

static const mc_harness *find(const char *name)
{
	for (int i = 0; mc_harness_table[i]; i++)
		if (strcmp(mc_harness_table[i]->name, name) == 0)
			return mc_harness_table[i];
	return NULL;
}

int main(int argc, char **argv)
{
	mc_config cfg = {.mode = MC_SC, .search = MC_DFS, .bound = -1, .max_steps = 20000, .seed = 1, .pct_depth = 3};
	const char *name = NULL, *replay = NULL, *expect = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v;
		if (strcmp(a, "--help") == 0) {
			usage();
			return 0;
		} else if (strcmp(a, "--list") == 0) {
			for (int k = 0; mc_harness_table[k]; k++)
				printf("%-22s %s\n", mc_harness_table[k]->name, mc_harness_table[k]->summary);
			return 0;
		} else if (strcmp(a, "--strict-futex") == 0) {
			cfg.strict_futex = true;
			continue;
		}
		if (strncmp(a, "--", 2))
			cli_die(P, "unexpected argument '%s'", a);
		v = cli_value(P, argc, argv, &i);
		if (strcmp(a, "--harness") == 0) {
			name = v;
		} else if (strcmp(a, "--mode") == 0) {
			if (strcmp(v, "sc") && strcmp(v, "tso"))
				cli_die(P, "bad value '%s' for --mode: want sc or tso", v);
			cfg.mode = strcmp(v, "tso") == 0 ? MC_TSO : MC_SC;
		} else if (strcmp(a, "--bound") == 0) {
			cfg.bound = (int)cli_u64(P, "--bound", v, 0, MC_MAX_BOUND);
		} else if (strcmp(a, "--max-execs") == 0) {
			cfg.max_execs = cli_u64(P, "--max-execs", v, 0, UINT64_MAX);
		} else if (strcmp(a, "--max-steps") == 0) {
			cfg.max_steps = cli_u64(P, "--max-steps", v, 10, UINT64_MAX);
		} else if (strcmp(a, "--pct") == 0) {
			cfg.runs = cli_u64(P, "--pct", v, 0, UINT64_MAX);
		} else if (strcmp(a, "--pct-depth") == 0) {
			cfg.pct_depth = (int)cli_u64(P, "--pct-depth", v, 1, 4);
		} else if (strcmp(a, "--seed") == 0) {
			cfg.seed = cli_u64(P, "--seed", v, 0, UINT64_MAX);
		} else if (strcmp(a, "--replay") == 0) {
			replay = v;
		} else if (strcmp(a, "--expect") == 0) {
			expect = v;
		} else {
			cli_die(P, "unknown flag '%s'", a);
		}
	}
	if (replay) {
		const char *hname;
		int bound;
		if (mc_parse_schedule(replay, &hname, &cfg.mode, &bound))
			cli_die(P, "bad value '%s' for --replay: not a schedule string", replay);
		name = hname;
		cfg.bound = bound;
		cfg.search = MC_REPLAY;
	}
	if (!name)
		cli_die(P, "%s", "--harness is required (--list shows them)");
	const mc_harness *h = find(name);
	if (!h)
		cli_die(P, "unknown harness '%s' (--list shows them)", name);
	if (cfg.bound < 0 && !replay)
		cfg.bound = h->bound;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	mc_result r = mc_run(h, &cfg, expect);
	const char *mode = cfg.mode == MC_TSO ? "tso" : "sc";
	if (replay) {
		printf("mc: replay of %s (%s) ran to the end with no failure\n", h->name, mode);
		return expect ? 1 : 0;
	}
	uint64_t pct = 0;
	if (cfg.runs) {
		mc_config p = cfg;
		p.search = MC_PCT;
		pct = mc_run(h, &p, expect).execs;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
	printf("mc: PASS %s (%s): %llu executions, every schedule with at most %d preemptions%s (per bound:",
	       h->name, mode, (unsigned long long)r.execs, cfg.bound,
	       r.truncated ? " NOT exhausted: --max-execs reached" : "");
	for (int b = 0; b <= cfg.bound; b++)
		printf(" %llu", (unsigned long long)r.per_bound[b]);
	printf("), longest %llu steps", (unsigned long long)r.max_steps);
	if (pct)
		printf("; then %llu PCT schedules (d=%d, seed %llu)", (unsigned long long)pct, cfg.pct_depth,
		       (unsigned long long)cfg.seed);
	printf("; %.2f s\n", s);
	if (expect) {
		printf("mc: expected a %s failure, found none\n", expect);
		return 1;
	}
	return 0;
}
