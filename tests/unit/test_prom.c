// SPDX-License-Identifier: GPL-2.0
/* user/prom.c: exposition helpers every collector's prom hook uses. */
#include <string.h>
#include "unit.h"
#include "core/core.h"

static void test_histogram(void)
{
	static const double le[] = { 64, 127 };
	const uint64_t counts[] = { 3, 0, 2 };
	struct ws_buf b = {};

	case_begin("histogram buckets are cumulative, +Inf == _count");
	prom_histogram(&b, "x_bytes", "interface=\"a0\"", le, counts, 3, 9000,
		       1.0);
	CHECK(!b.oom, "out of memory");
	CHECK(!strcmp(b.data, "x_bytes_bucket{interface=\"a0\",le=\"64\"} 3\n"
			      "x_bytes_bucket{interface=\"a0\",le=\"127\"} 3\n"
			      "x_bytes_bucket{interface=\"a0\",le=\"+Inf\"} 5\n"
			      "x_bytes_sum{interface=\"a0\"} 9000\n"
			      "x_bytes_count{interface=\"a0\"} 5\n"),
	      "got:\n%s", b.data);
	ws_buf_free(&b);
	case_end();
}

static void test_histogram_seconds(void)
{
	static const double le[] = { 0.001 };
	const uint64_t counts[] = { 1, 1 };
	struct ws_buf b = {};

	case_begin("histogram without labels, sum scaled to seconds");
	/* 1.5 ms + 2.5 ms in nanoseconds */
	prom_histogram(&b, "x_seconds", NULL, le, counts, 2, 4000000, 1e-9);
	CHECK(!strcmp(b.data, "x_seconds_bucket{le=\"0.001\"} 1\n"
			      "x_seconds_bucket{le=\"+Inf\"} 2\n"
			      "x_seconds_sum 0.004\n"
			      "x_seconds_count 2\n"),
	      "got:\n%s", b.data);
	ws_buf_free(&b);
	case_end();
}

static void test_labels_escaped(void)
{
	char buf[128];

	case_begin("label values are escaped");
	prom_labels(buf, sizeof(buf), "a", "x\"y", "b", "back\\slash\nnl",
		    NULL);
	CHECK(!strcmp(buf, "a=\"x\\\"y\",b=\"back\\\\slash\\nnl\""), "got %s",
	      buf);
	prom_labels(buf, 12, "interface", "a-very-long-name", NULL);
	CHECK(strlen(buf) < 12, "overflowed: %s", buf);
	case_end();
}

static void test_monotonic(void)
{
	uint64_t high = 0;

	case_begin("a counter served from a difference never goes back");
	CHECK_EQ(prom_monotonic(&high, 5), 5, "rises");
	CHECK_EQ(prom_monotonic(&high, 4), 5, "a dip holds the high");
	CHECK_EQ(prom_monotonic(&high, 7), 7, "then rises again");
	CHECK_EQ(prom_monotonic(&high, (uint64_t)-1), 7,
		 "a difference below zero is a dip, not 2^64 - 1");
	case_end();
}

static void test_port_cap(void)
{
	static struct prom_ports p;
	char buf[8];
	unsigned int s80, s443, s22;

	case_begin("ports past --max-ports share \"other\"; slots are stable");
	s80 = prom_port_slot(&p, 2, 80);
	s443 = prom_port_slot(&p, 2, 443);
	s22 = prom_port_slot(&p, 2, 22);
	CHECK_EQ(s80, 0, "first port");
	CHECK_EQ(s443, 1, "second port");
	CHECK_EQ(s22, WS_PROM_PORT_OTHER, "third port");
	CHECK_EQ(prom_port_slot(&p, 2, 443), 1, "443 again");
	CHECK_EQ(prom_port_slot(&p, 2, 22), WS_PROM_PORT_OTHER, "22 again");
	CHECK(!strcmp(prom_port_name(&p, s443, buf, sizeof(buf)), "443"),
	      "name of 443");
	CHECK(!strcmp(prom_port_name(&p, s22, buf, sizeof(buf)), "other"),
	      "name of other");
	CHECK_EQ(prom_port_slot(&(struct prom_ports){}, 0, 80),
		 WS_PROM_PORT_OTHER, "--max-ports 0");
	case_end();
}

int main(void)
{
	test_histogram();
	test_histogram_seconds();
	test_labels_escaped();
	test_monotonic();
	test_port_cap();
	return unit_exit();
}
