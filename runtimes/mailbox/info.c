/* mailroom-info: prints the mailbox table (name, capabilities, defaults). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "mailbox.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: mailroom-info [--names] [--help]\n"
	           "  (no flag)  print the mailbox table: name, capabilities, default capacity,\n"
	           "             default spin budget, default yields before parking, summary\n"
	           "  --names    print only the mailbox names, one per line\n"
	           "  --help     this text\n");
}

static void caps_str(unsigned c, char *buf, size_t n)
{
	static const struct { unsigned bit; const char *name; } names[] = {
		{MBX_CAP_BOUNDED, "bounded"},   {MBX_CAP_UNBOUNDED, "unbounded"},
		{MBX_CAP_BLOCKING, "blocking"}, {MBX_CAP_LOCKFREE, "lock-free"},
		{MBX_CAP_WAITFREE_PUSH, "wait-free-push"}, {MBX_CAP_SPIN, "spin-then-park"},
		{MBX_CAP_RETRY, "retry"},       {MBX_CAP_POW2, "pow2"},
		{MBX_CAP_EXACT_CLOSE, "exact-close"}, {MBX_CAP_YIELD, "yield-before-park"},
	};
	buf[0] = 0;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (c & names[i].bit) {
			if (buf[0])
				strncat(buf, ",", n - strlen(buf) - 1);
			strncat(buf, names[i].name, n - strlen(buf) - 1);
		}
	}
}

int main(int argc, char **argv)
{
	int names_only = 0;
	cli_split_eq(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--names")) {
			names_only = 1;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "mailroom-info: unknown argument '%s' (try --help)\n", argv[i]);
			return 2;
		}
	}
	int w = 4; /* the widest name, so a longer one added to the table keeps the columns */
	for (size_t i = 0; mbx_table[i]; i++)
		if ((int)strlen(mbx_table[i]->name) > w)
			w = (int)strlen(mbx_table[i]->name);
	if (!names_only)
		printf("%-*s %-76s %9s %6s %6s  %s\n", w, "name", "capabilities", "capacity", "spin", "yields",
		       "summary");
	for (size_t i = 0; mbx_table[i]; i++) {
		const mbx_ops *o = mbx_table[i];
		if (names_only) {
			printf("%s\n", o->name);
			continue;
		}
		char caps[256], cap[16];
		caps_str(o->caps, caps, sizeof caps);
		if (o->default_capacity == MBX_UNBOUNDED)
			snprintf(cap, sizeof cap, "none");
		else
			snprintf(cap, sizeof cap, "%u", o->default_capacity);
		printf("%-*s %-76s %9s %6d %6d  %s\n", w, o->name, caps, cap, o->default_spin,
		       o->caps & MBX_CAP_YIELD ? o->default_yields : 0, o->summary);
	}
	return 0;
}
