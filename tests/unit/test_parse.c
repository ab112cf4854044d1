// SPDX-License-Identifier: GPL-2.0
/* headers/parse.h built for the host: valid, truncated and hostile frames. */
#include <string.h>
#include "unit.h"
#include "pkt.h"
#include "parse.h"

static uint8_t buf[2048];

static int parse_len(unsigned int len, struct ws_pkt *p)
{
	/* Copy to an exact-size heap buffer so ASan sees any over-read. */
	static uint8_t exact[2048];

	memcpy(exact + sizeof(exact) - len, buf, len);
	return ws_parse(exact + sizeof(exact) - len, exact + sizeof(exact), p);
}

static void test_every_length(void)
{
	struct pkt_spec spec = { .l3 = PKT_IPV4,
				 .l4 = PKT_TCP,
				 .len = 54,
				 .sport = 1234,
				 .dport = 80,
				 .seq = 7,
				 .tcp_flags = WS_TCP_SYN };
	struct ws_pkt p;
	unsigned int len;
	int want;

	case_begin("IPv4 TCP cut at every length 0..54");
	pkt_build(buf, &spec);
	for (len = 0; len <= 54; len++) {
		want = len < 14	  ? WS_LAYER_NONE
		       : len < 34 ? WS_LAYER_L2
		       : len < 54 ? WS_LAYER_L3
				  : WS_LAYER_L4;
		CHECK_EQ(parse_len(len, &p), want, "layer");
		CHECK_EQ(p.len, len, "len");
	}
	CHECK_EQ(p.sport, 1234, "sport");
	CHECK_EQ(p.dport, 80, "dport");
	CHECK_EQ(p.seq, 7, "seq");
	CHECK_EQ(p.tcp_flags, WS_TCP_SYN, "flags");
	CHECK_EQ(p.ttl, 64, "ttl");
	CHECK_EQ(p.l4_off, 34, "l4_off");
	CHECK_EQ(p.l4_hlen, 20, "l4_hlen");
	case_end();
}

static void test_bad_ihl(void)
{
	struct pkt_spec spec = { .l3 = PKT_IPV4, .l4 = PKT_TCP, .len = 80 };
	struct ws_pkt p;
	uint8_t ihl;

	case_begin("IPv4 ihl < 5 is rejected");
	for (ihl = 0; ihl < 5; ihl++) {
		pkt_build(buf, &spec);
		buf[14] = 0x40 | ihl;
		CHECK_EQ(parse_len(80, &p), WS_LAYER_L2, "layer");
		CHECK_EQ(p.ip_ver, 0, "ip_ver");
	}
	case_end();

	case_begin("IPv4 ihl pointing past the end is rejected");
	pkt_build(buf, &spec);
	buf[14] = 0x4f; /* 60 bytes of IP header in a 40-byte frame */
	CHECK_EQ(parse_len(40, &p), WS_LAYER_L2, "layer");
	buf[14] = 0x46; /* 24 bytes: fits, but then TCP is cut */
	CHECK_EQ(parse_len(50, &p), WS_LAYER_L3, "layer");
	case_end();

	case_begin("IPv4 version field other than 4 is rejected");
	pkt_build(buf, &spec);
	buf[14] = 0x65;
	CHECK_EQ(parse_len(80, &p), WS_LAYER_L2, "layer");
	case_end();
}

static void test_bad_doff(void)
{
	struct pkt_spec spec = { .l3 = PKT_IPV4, .l4 = PKT_TCP, .len = 60 };
	struct ws_pkt p;
	uint8_t doff;

	case_begin("TCP doff < 5 is rejected");
	for (doff = 0; doff < 5; doff++) {
		pkt_build(buf, &spec);
		buf[34 + 12] = doff << 4;
		CHECK_EQ(parse_len(60, &p), WS_LAYER_L3, "layer");
	}
	case_end();

	case_begin("TCP options past the end are rejected");
	pkt_build(buf, &spec);
	buf[34 + 12] = 15 << 4; /* 60 bytes of TCP header, 26 present */
	CHECK_EQ(parse_len(60, &p), WS_LAYER_L3, "layer");
	case_end();
}

static void test_vlan(void)
{
	struct pkt_spec spec = { .l3 = PKT_IPV4,
				 .l4 = PKT_UDP,
				 .len = 60,
				 .sport = 53,
				 .dport = 5353 };
	static uint8_t tagged[2048];
	struct ws_pkt p;
	int tags;

	for (tags = 1; tags <= 2; tags++) {
		case_begin(tags == 1 ? "802.1Q tagged IPv4 UDP"
				     : "QinQ tagged IPv4 UDP");
		pkt_build(buf, &spec);
		memcpy(tagged, buf, 12);
		put16(tagged + 12, 0x88a8);
		put16(tagged + 16, tags == 2 ? 0x8100 : 0x0800);
		if (tags == 2)
			put16(tagged + 20, 0x0800);
		memcpy(tagged + 12 + 4 * tags + 2, buf + 14, 46);
		memcpy(buf, tagged, 60 + 4 * tags);
		CHECK_EQ(parse_len(60 + 4 * tags, &p), WS_LAYER_L4, "layer");
		CHECK_EQ(p.l3_off, 14 + 4 * tags, "l3_off");
		CHECK_EQ(p.dport, 5353, "dport");
		CHECK_EQ(parse_len(16, &p), WS_LAYER_L2, "cut inside tag");
		case_end();
	}
}

static void test_ipv6(void)
{
	struct pkt_spec spec = { .l3 = PKT_IPV6,
				 .l4 = PKT_TCP,
				 .len = 82,
				 .sport = 443,
				 .dport = 40000 };
	struct ws_pkt p;

	case_begin("IPv6 TCP behind a hop-by-hop header");
	pkt_build(buf, &spec);
	/* Insert 8 bytes of hop-by-hop options between IPv6 and TCP. */
	memmove(buf + 62, buf + 54, 20);
	buf[20] = 0; /* next header: hop-by-hop */
	buf[54] = 6; /* hop-by-hop's next header: TCP */
	buf[55] = 0; /* length: 8 bytes */
	memset(buf + 56, 0, 6);
	CHECK_EQ(parse_len(82, &p), WS_LAYER_L4, "layer");
	CHECK_EQ(p.l4_off, 62, "l4_off");
	CHECK_EQ(p.sport, 443, "sport");
	CHECK_EQ(p.ttl, 64, "hop limit");
	buf[55] = 200; /* extension header claims 1608 bytes */
	CHECK_EQ(parse_len(82, &p), WS_LAYER_L3, "ext header past end");
	case_end();

	case_begin("IPv6 non-first fragment has no L4");
	pkt_build(buf, &spec);
	memmove(buf + 62, buf + 54, 20);
	buf[20] = 44;
	buf[54] = 6;
	buf[56] = 0x01; /* offset 32 */
	CHECK_EQ(parse_len(82, &p), WS_LAYER_L3, "layer");
	case_end();
}

static void test_others(void)
{
	struct pkt_spec spec = { .l3 = PKT_IPV4, .l4 = PKT_TCP, .len = 60 };
	struct ws_pkt p;

	case_begin("IPv4 non-first fragment has no L4");
	pkt_build(buf, &spec);
	put16(buf + 20, 0x0010);
	CHECK_EQ(parse_len(60, &p), WS_LAYER_L3, "layer");
	case_end();

	case_begin("ARP and unknown EtherTypes stop at L2");
	spec.l3 = PKT_ARP;
	pkt_build(buf, &spec);
	CHECK_EQ(parse_len(42, &p), WS_LAYER_L2, "arp");
	CHECK_EQ(p.eth_proto, 0x0806, "eth_proto");
	spec.l3 = PKT_RAW;
	pkt_build(buf, &spec);
	CHECK_EQ(parse_len(60, &p), WS_LAYER_L2, "raw");
	case_end();
}

int main(void)
{
	test_every_length();
	test_bad_ihl();
	test_bad_doff();
	test_vlan();
	test_ipv6();
	test_others();
	return unit_exit();
}
