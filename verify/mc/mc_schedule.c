/* mc_schedule.c: the schedule string (verify/mc/README.md): an execution's
 * decisions printed as MC1:<harness>:<sc|tso>:pb=<bound>:<decisions>, and
 * parsed back for --replay. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mc.h"
#include "mc_engine.h"
#include "mc_schedule.h"

mc_decisions mc_replay;

const char *mc_mode_name(int m) { return m == MC_TSO ? "tso" : "sc"; }

void mc_print_schedule(FILE *f, const char *harness, int mode, int bound, const mc_decisions *d)
{
	fprintf(f, "mc: schedule: MC1:%s:%s:pb=%d:", harness, mc_mode_name(mode), bound);
	for (int i = 0; i < d->n;) {
		int j = i;
		while (j < d->n && d->kind[j] == d->kind[i] && d->val[j] == d->val[i])
			j++;
		fprintf(f, "%s%c%u", i ? "." : "", d->kind[i], d->val[i]);
		if (j - i > 1)
			fprintf(f, "x%d", j - i);
		i = j;
	}
	fprintf(f, "\n");
}

int mc_parse_schedule(const char *s, const char **harness, int *mode, int *bound)
{
	static char name[64];
	char mode_s[4];
	int used = 0;
	if (sscanf(s, "MC1:%63[^:]:%3[a-z]:pb=%d:%n", name, mode_s, bound, &used) != 3 || !used)
		return -1;
	if (strcmp(mode_s, "sc") && strcmp(mode_s, "tso"))
		return -1;
	*harness = name;
	*mode = strcmp(mode_s, "tso") == 0 ? MC_TSO : MC_SC;
	mc_replay.n = 0;
	for (const char *p = s + used; *p;) {
		char k = *p++;
		if (k != 't' && k != 'f')
			return -1;
		char *end;
		unsigned long v = strtoul(p, &end, 10), rep = 1;
		if (end == p || v >= 256)
			return -1;
		p = end;
		if (*p == 'x') {
			rep = strtoul(p + 1, &end, 10);
			if (end == p + 1 || rep == 0)
				return -1;
			p = end;
		}
		for (unsigned long r = 0; r < rep; r++) {
			if (mc_replay.n >= MC_MAX_DECISIONS)
				return -1;
			mc_replay.kind[mc_replay.n] = k;
			mc_replay.val[mc_replay.n++] = (uint8_t)v;
		}
		if (*p == '.')
			p++;
		else if (*p)
			return -1;
	}
	return 0;
}

/* --replay: the option decision pos takes, as the schedule says (a mismatch
 * is nondeterminism: a schedule of another build, or something unhooked) */
int mc_replay_choice(int pos, char kind, int nopt, const uint8_t *val)
{
	int choice;
	if (pos >= mc_replay.n || mc_replay.kind[pos] != kind)
		mc_fail("nondeterminism",
		        "replay: decision %d is a '%c' with %d options, the schedule says %s (a schedule of another "
		        "build, or nondeterminism the hooks do not see)",
		        pos, kind, nopt, pos >= mc_replay.n ? "nothing more" : "otherwise");
	for (choice = 0; choice < nopt && val[choice] != mc_replay.val[pos]; choice++)
		;
	if (choice == nopt)
		mc_fail("nondeterminism",
		        "replay: decision %d: option %c%u is not available (a schedule of another build, or "
		        "nondeterminism the hooks do not see)",
		        pos, kind, mc_replay.val[pos]);
	return choice;
}
