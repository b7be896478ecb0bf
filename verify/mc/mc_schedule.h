/* mc_schedule.h: the schedule string between the engine (mc_engine.c) and
 * its printer and parser (mc_schedule.c). */
#ifndef MAILROOM_MC_SCHEDULE_H
#define MAILROOM_MC_SCHEDULE_H

#include <stdint.h>
#include <stdio.h>

enum { MC_MAX_DECISIONS = 1 << 16 };

/* decision i: kind 't' (run thread val) or 'f' (flush through entry val) */
typedef struct mc_decisions {
	char kind[MC_MAX_DECISIONS];
	uint8_t val[MC_MAX_DECISIONS];
	int n;
} mc_decisions;

/* what mc_parse_schedule read: the decisions --replay follows */
extern mc_decisions mc_replay;

const char *mc_mode_name(int mode);
void mc_print_schedule(FILE *f, const char *harness, int mode, int bound, const mc_decisions *d);
/* --replay: the index among val[0..nopt) that decision pos takes (mc_fail when none fits) */
int mc_replay_choice(int pos, char kind, int nopt, const uint8_t *val);

#endif
