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

int main(void)
{
	test_seconds();
	test_ulong();
	return unit_exit();
}
