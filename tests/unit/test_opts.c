// SPDX-License-Identifier: GPL-2.0
/* Strict numbers: what the options and [interval] [count] accept. */
#include <errno.h>
#include "unit.h"
#include "core/core.h"

static void test_seconds(void)
{
	static const char *const bad[] = { "",	   "5x",    "-1",    "0",
					   "NaN",  "inf",   "1e999", " 1",
					   "0x10", "0X1p4", "86401", "0.001" };
	static const struct {
		const char *s;
		double v;
	} good[] = { { "1", 1 },
		     { "0.5", 0.5 },
		     { ".25", 0.25 },
		     { "1e1", 10 },
		     { "86400", 86400 } };
	unsigned int i;
	double v;

	case_begin("seconds: decimal only, 0.01 to 86400");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(ws_parse_seconds(bad[i], &v), "'%s' accepted as %g",
		      bad[i], v);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		v = -1;
		CHECK(!ws_parse_seconds(good[i].s, &v) && v == good[i].v,
		      "'%s' gave %g", good[i].s, v);
	}
	case_end();
}

static void test_ulong(void)
{
	static const char *const bad[] = {
		"",    "5x",	"-1",
		"0",   "0x10",	" 1",
		"1.5", "65536", "99999999999999999999"
	};
	unsigned long v;
	unsigned int i;

	case_begin("unsigned: whole decimal string within bounds");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(ws_parse_ulong(bad[i], 1, 65535, &v), "'%s' accepted",
		      bad[i]);
	CHECK(!ws_parse_ulong("65535", 1, 65535, &v) && v == 65535, "65535");
	case_end();
}

/* The run loop's next tick, in ns since the start (session.c). */
static void test_next_tick(void)
{
	const int64_t s = 1000000000LL;

	case_begin("next tick: each interval's end, -d's end if sooner");
	CHECK_EQ(ws_next_tick_ns(0, s, 0), s, "first, no -d");
	CHECK_EQ(ws_next_tick_ns(s, s, 0), 2 * s, "fired on time");
	CHECK_EQ(ws_next_tick_ns(3 * s + 7, s, 0), 4 * s, "late: skips");
	CHECK_EQ(ws_next_tick_ns(2 * s, s, 5 * s / 2), 5 * s / 2,
		 "-d 2.5: the last is half");
	CHECK_EQ(ws_next_tick_ns(0, s, s / 10), s / 10, "-d 0.1 < interval");
	CHECK_EQ(ws_next_tick_ns(s, s, 3 * s), 2 * s, "-d beyond");
	case_end();
}

int main(void)
{
	test_seconds();
	test_ulong();
	test_next_tick();
	return unit_exit();
}
