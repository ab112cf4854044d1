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

/* An independent check: decode code points, reject what RFC 3629 forbids. */
static bool valid_utf8(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	static const unsigned int min[] = { 0, 0, 0x80, 0x800, 0x10000 };
	unsigned int cp;
	int n, i;

	while (*s) {
		n = *s < 0x80	    ? 1
		    : *s >> 5 == 6  ? 2
		    : *s >> 4 == 14 ? 3
		    : *s >> 3 == 30 ? 4
				    : 0;
		if (!n)
			return false;
		cp = n == 1 ? *s : *s & (0x3f >> (n - 1));
		for (i = 1; i < n; i++) {
			if (s[i] >> 6 != 2)
				return false;
			cp = cp << 6 | (s[i] & 0x3f);
		}
		if (cp < min[n] || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		s += n;
	}
	return true;
}

#define ESC_IS(in, want)                                                       \
	do {                                                                   \
		prom_escape(buf, sizeof(buf), in);                             \
		CHECK(!strcmp(buf, want), "%s: got \"%s\"", #in, buf);         \
	} while (0)

static void test_escape_utf8(void)
{
	char buf[64];

	case_begin("label values are valid UTF-8; bad bytes written \\xHH");
	ESC_IS("r\xffz", "r\\\\xffz");
	ESC_IS("\x80\xbf", "\\\\x80\\\\xbf");
	/* overlong forms of '/' and of U+0000 */
	ESC_IS("\xc0\xaf", "\\\\xc0\\\\xaf");
	ESC_IS("\xc1\xbf", "\\\\xc1\\\\xbf");
	ESC_IS("\xe0\x80\xaf", "\\\\xe0\\\\x80\\\\xaf");
	ESC_IS("\xf0\x80\x80\xaf", "\\\\xf0\\\\x80\\\\x80\\\\xaf");
	/* a surrogate, past U+10FFFF, never a lead byte */
	ESC_IS("\xed\xa0\x80", "\\\\xed\\\\xa0\\\\x80");
	ESC_IS("\xf4\x90\x80\x80", "\\\\xf4\\\\x90\\\\x80\\\\x80");
	ESC_IS("\xf5\xfe", "\\\\xf5\\\\xfe");
	/* truncated at the end, and cut short by an ASCII byte */
	ESC_IS("a\xe2\x82", "a\\\\xe2\\\\x82");
	ESC_IS("a\xf0\x9f\x98", "a\\\\xf0\\\\x9f\\\\x98");
	ESC_IS("\xe2\x82z", "\\\\xe2\\\\x82z");
	/* valid multibyte kept intact: U+00E9, U+20AC, U+1F600, the limits */
	ESC_IS("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80",
	       "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	ESC_IS("\xc2\x80\xed\x9f\xbf\xee\x80\x80\xf4\x8f\xbf\xbf",
	       "\xc2\x80\xed\x9f\xbf\xee\x80\x80\xf4\x8f\xbf\xbf");
	case_end();
}

static void test_escape_control(void)
{
	char buf[64];

	case_begin("control characters in a label value are written \\xHH");
	ESC_IS("a\tb\rc", "a\\\\x09b\\\\x0dc");
	ESC_IS("\x01\x1f\x7f", "\\\\x01\\\\x1f\\\\x7f");
	ESC_IS("nl\n", "nl\\n");
	case_end();
}

static void test_escape_short_buffer(void)
{
	char buf[8];

	case_begin("a short buffer never ends in half a character or escape");
	prom_escape(buf, 4, "a\xe2\x82\xac");
	CHECK(!strcmp(buf, "a"), "got \"%s\"", buf);
	prom_escape(buf, 5, "\xe2\x82\xac\xc3\xa9");
	CHECK(!strcmp(buf, "\xe2\x82\xac"), "got \"%s\"", buf);
	prom_escape(buf, 6, "a\xff");
	CHECK(!strcmp(buf, "a"), "got \"%s\"", buf);
	prom_escape(buf, 3, "a\"");
	CHECK(!strcmp(buf, "a"), "got \"%s\"", buf);
	prom_labels(buf, sizeof(buf), "ab", "\xff", NULL);
	CHECK(!strcmp(buf, ""), "a pair that does not fit is left out: %s",
	      buf);
	case_end();
}

/* Random bytes: the output is always one valid, closed label value. */
static void test_escape_random(void)
{
	unsigned int seed = 1, i, k;
	char in[17], buf[128];
	bool ok = true;

	case_begin("any interface name escapes to valid UTF-8, no raw control");
	for (i = 0; i < 200000 && ok; i++) {
		for (k = 0; k < sizeof(in) - 1; k++) {
			seed = seed * 1103515245 + 12345;
			in[k] = (char)(seed >> 16 | 1);
		}
		in[k] = '\0';
		prom_escape(buf, sizeof(buf), in);
		ok = valid_utf8(buf) && strlen(buf) <= 5 * strlen(in);
		for (k = 0; ok && buf[k]; k++) {
			ok = (unsigned char)buf[k] >= 0x20 && buf[k] != 0x7f &&
			     buf[k] != '"';
			if (buf[k] == '\\')
				ok = buf[++k] && strchr("\\\"n", buf[k]);
		}
		CHECK(ok, "input %u escaped to \"%s\"", i, buf);
	}
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

/*
 * A deleted interface's series disappear: its gauge stays, at 0, under its
 * -i name (a renamed one's too), and an interface added by the command
 * itself (resets' lo) has none.
 */
static void test_interfaces_watched(void)
{
	static struct ws_opts o = {
		.n_ifaces = 3,
		.ifaces = {
			{ .name = "c0", .label = "a0" },
			{ .name = "b0", .label = "b0", .gone = true },
			{ .name = "lo", .label = "lo", .implicit = true },
		},
	};
	struct ws_buf b = {};

	case_begin("wirescope_interface_watched: 1 watched, 0 gone");
	prom_interfaces_watched(&b, &o);
	CHECK(!b.oom, "out of memory");
	CHECK(b.data && strstr(b.data, "# TYPE wirescope_interface_watched "
				       "gauge\n"
				       "wirescope_interface_watched{interface="
				       "\"a0\"} 1\n"
				       "wirescope_interface_watched{interface="
				       "\"b0\"} 0\n"),
	      "got:\n%s", b.data);
	CHECK(b.data && !strstr(b.data, "\"lo\""), "implicit lo: got\n%s",
	      b.data);
	ws_buf_free(&b);
	case_end();
}

int main(void)
{
	test_histogram();
	test_histogram_seconds();
	test_labels_escaped();
	test_escape_utf8();
	test_escape_control();
	test_escape_short_buffer();
	test_escape_random();
	test_monotonic();
	test_port_cap();
	test_interfaces_watched();
	return unit_exit();
}
