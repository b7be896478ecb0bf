/* cli.h: argument parsing shared by every mailroom program. A bad value is a
 * one-line error naming the flag and the value, and exit status 2. */
#ifndef MAILROOM_CLI_H
#define MAILROOM_CLI_H

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The one way a program rejects its arguments: "prog: <message> (try
 * --help)" on one line, exit status 2. */
__attribute__((format(printf, 2, 3), noreturn)) static inline void cli_die(const char *prog, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "%s: ", prog);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, " (try --help)\n");
	va_end(ap);
	exit(2);
}

/* Value of flag argv[*i] (form "--flag V"); advances *i. */
static inline const char *cli_value(const char *prog, int argc, char **argv, int *i)
{
	if (*i + 1 >= argc)
		cli_die(prog, "flag '%s' needs a value", argv[*i]);
	return argv[++*i];
}

static inline uint64_t cli_u64(const char *prog, const char *flag, const char *v, uint64_t min, uint64_t max)
{
	char *end;
	errno = 0;
	if (!v[0] || v[0] == '-')
		cli_die(prog, "bad value '%s' for %s: want a non-negative integer", v, flag);
	unsigned long long x = strtoull(v, &end, 10); /* base 10 only: "010" is ten */
	if (errno || *end)
		cli_die(prog, "bad value '%s' for %s: want an integer", v, flag);
	if (x < min || x > max) {
		char range[96];
		snprintf(range, sizeof range, "%s: want %" PRIu64 "..%" PRIu64, flag, min, max);
		cli_die(prog, "value '%s' out of range for %s", v, range);
	}
	return x;
}

#endif
