/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal unit-test harness.  Each CASE prints "ok - NAME" or
 * "not ok - NAME" (tests/run.sh counts them); failed CHECKs say why.
 */
#ifndef WS_UNIT_H
#define WS_UNIT_H

#include <stdio.h>
#include <stdbool.h>

static int unit_failures;
static bool unit_case_failed;
static const char *unit_case_name;

#define CHECK(cond, ...)                                                     \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "  %s:%d: %s: ", __FILE__, __LINE__, \
				#cond);                                      \
			fprintf(stderr, __VA_ARGS__);                        \
			fputc('\n', stderr);                                 \
			unit_case_failed = true;                             \
		}                                                            \
	} while (0)

#define CHECK_EQ(a, b, what)                                                  \
	CHECK((unsigned long long)(a) == (unsigned long long)(b),             \
	      "%s: got %llu, expected %llu", what, (unsigned long long)(a), \
	      (unsigned long long)(b))

static inline void case_begin(const char *name)
{
	unit_case_name = name;
	unit_case_failed = false;
}

static inline void case_end(void)
{
	fflush(stderr);
	printf("%s - %s\n", unit_case_failed ? "not ok" : "ok", unit_case_name);
	fflush(stdout);
	if (unit_case_failed)
		unit_failures++;
}

static inline void case_skip(const char *name, const char *why)
{
	printf("skip - %s: %s\n", name, why);
}

static inline int unit_exit(void)
{
	return unit_failures ? 1 : 0;
}

#endif
