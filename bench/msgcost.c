/* msgcost.c: mailroom-msgcost, a single-threaded push+pop loop over one
 * mailbox kind, for counting instructions per message under callgrind
 * (scripts/callgrind_msg runs it). Only the measured loop is collected:
 * run it with valgrind --tool=callgrind --collect-atstart=no; the loop is
 * wrapped in CALLGRIND_TOGGLE_COLLECT (a no-op outside valgrind). A warm-up
 * first brings node caches, spare segments and the allocator to their
 * steady state. --batch K pushes K messages, then pops K: K = 1 is the
 * hand-off, larger K shows what a kind's batching buys. Every pop is
 * checked (FIFO, payload), so a broken kind fails here instead of being
 * counted. */
#include <stdio.h>
#include <string.h>
#include <valgrind/callgrind.h>

#include "check.h"
#include "cli.h"
#include "mailbox.h"

static const char *PROG = "mailroom-msgcost";

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: %s [--mailbox NAME] [--messages N] [--batch K] [--warmup W]\n"
	        "  --mailbox NAME  the kind (mailroom-info --names; default: every kind in turn)\n"
	        "  --messages N    messages in the measured loop (default 6400)\n"
	        "  --batch K       push K, then pop K (default 1; at most the kind's default capacity)\n"
	        "  --warmup W      messages before the measured loop (default 6400)\n"
	        "  --help          this text\n"
	        "Prints one line per kind: mailbox, batch, messages. Under callgrind with\n"
	        "--collect-atstart=no only the measured loop is counted.\n",
	        PROG);
}

/* n messages in rounds of k (the last round may be shorter); seq continues
 * from *seq. Checks every message. */
static void run(mbx *m, uint64_t n, uint64_t k, uint64_t *seq)
{
	mbx_msg in = {.tag = 1, .sender = 0}, out;
	uint64_t next_out = *seq;
	for (uint64_t done = 0; done < n;) {
		uint64_t r = n - done < k ? n - done : k;
		for (uint64_t i = 0; i < r; i++) {
			in.seq = (*seq)++;
			in.a = ~in.seq;
			mbx_status s = mbx_push(m, &in, NULL);
			CHECK_STATUS(s, MBX_OK);
		}
		for (uint64_t i = 0; i < r; i++) {
			mbx_status s = mbx_pop(m, &out);
			CHECK_STATUS(s, MBX_OK);
			CHECK_EQU(out.seq, next_out);
			CHECK_EQU(out.a, ~next_out);
			next_out++;
		}
		done += r;
	}
}

int main(int argc, char **argv)
{
	const mbx_ops *ops = NULL;
	uint64_t n = 6400, k = 1, warm = 6400;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "--mailbox")) {
			const char *v = cli_value(PROG, argc, argv, &i);
			if (!(ops = mbx_find(v)))
				cli_die(PROG, "unknown mailbox '%s'", v);
		} else if (!strcmp(a, "--messages")) {
			n = cli_u64(PROG, a, cli_value(PROG, argc, argv, &i), 1, UINT64_C(1) << 32);
		} else if (!strcmp(a, "--batch")) {
			k = cli_u64(PROG, a, cli_value(PROG, argc, argv, &i), 1, 1u << 20);
		} else if (!strcmp(a, "--warmup")) {
			warm = cli_u64(PROG, a, cli_value(PROG, argc, argv, &i), 0, UINT64_C(1) << 32);
		} else {
			cli_die(PROG, "unknown argument '%s'", a);
		}
	}
	for (size_t i = 0; mbx_table[i]; i++) {
		const mbx_ops *o = ops ? ops : mbx_table[i];
		if (o->default_capacity != MBX_UNBOUNDED && k > o->default_capacity)
			cli_die(PROG, "--batch %llu exceeds %s's capacity %u", (unsigned long long)k, o->name,
			        o->default_capacity);
		mbx *m = mbx_create(o, 0, -1);
		CHECK(m != NULL);
		uint64_t seq = 0;
		run(m, warm, k, &seq);
		CALLGRIND_TOGGLE_COLLECT;
		run(m, n, k, &seq);
		CALLGRIND_TOGGLE_COLLECT;
		mbx_destroy(m);
		printf("%s batch=%llu messages=%llu\n", o->name, (unsigned long long)k, (unsigned long long)n);
		if (ops)
			break;
	}
	return 0;
}
