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

/* "--flag=value" means "--flag value" in every program: call first, with
 * main's argc/argv; the split copy and its flag names live until exit (kept
 * reachable here, not leaks). */
static inline void cli_split_eq(int *argc, char ***argv)
{
	static char **kept;
	int n = *argc, extra = 0;
	for (int i = 1; i < n; i++)
		extra += strncmp((*argv)[i], "--", 2) == 0 && strchr((*argv)[i], '=') != NULL;
	if (!extra)
		return;
	char **out = calloc((size_t)(n + extra + 1), sizeof *out);
	if (!out) {
		fprintf(stderr, "%s: out of memory for the arguments\n", (*argv)[0]);
		exit(2);
	}
	int k = 0;
	for (int i = 0; i < n; i++) {
		char *a = (*argv)[i], *eq = i ? strchr(a, '=') : NULL;
		if (!eq || strncmp(a, "--", 2) != 0) {
			out[k++] = a;
			continue;
		}
		size_t len = (size_t)(eq - a);
		char *name = malloc(len + 1);
		if (!name) {
			fprintf(stderr, "%s: out of memory for the arguments\n", (*argv)[0]);
			exit(2);
		}
		memcpy(name, a, len);
		name[len] = 0;
		out[k++] = name;
		out[k++] = eq + 1;
	}
	out[k] = NULL;
	kept = out;
	*argc = k;
	*argv = kept;
}

/* A non-negative integer in base 10 ("010" is ten, "0x10" an error), or
 * M e E for M * 10^E (1e6, 25e3), exact or rejected. */
static inline uint64_t cli_u64(const char *prog, const char *flag, const char *v, uint64_t min, uint64_t max)
{
	char *end;
	errno = 0;
	if (!v[0] || v[0] < '0' || v[0] > '9')
		cli_die(prog, "bad value '%s' for %s: want a non-negative integer", v, flag);
	unsigned long long x = strtoull(v, &end, 10); /* base 10 only */
	if (!errno && (*end == 'e' || *end == 'E') && end[1] >= '0' && end[1] <= '9') {
		char *e_end;
		unsigned long long e = strtoull(end + 1, &e_end, 10);
		for (; !errno && e > 0 && x; e--)
			if (x > UINT64_MAX / 10)
				errno = ERANGE;
			else
				x *= 10;
		end = e_end;
	}
	if (errno || *end)
		cli_die(prog, "bad value '%s' for %s: want an integer (base 10, or like 1e6)", v, flag);
	if (x < min || x > max) {
		char range[96];
		snprintf(range, sizeof range, "%s: want %" PRIu64 "..%" PRIu64, flag, min, max);
		cli_die(prog, "value '%s' out of range for %s", v, range);
	}
	return x;
}

#endif
