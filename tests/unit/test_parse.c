// SPDX-License-Identifier: GPL-2.0
/* headers/parse.h built for the host: valid, truncated and hostile frames. */
#include <stdlib.h>
#include <string.h>
#include "unit.h"
#include "pkt.h"
#include "parse.h"

static uint8_t buf[2048];

/* Frames end exactly at exact_end so ASan sees any over-read. */
static uint8_t exact[2048];
static uint8_t *const exact_end = exact + sizeof(exact);

static int parse_len(unsigned int len, struct ws_pkt *p)
{
	memcpy(exact_end - len, buf, len);
	return ws_parse(exact_end - len, exact_end, p);
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
		CHECK_EQ(p.cut, len >= 14 && len < 54, "cut");
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
		CHECK_EQ(p.cut, 0, "malformed, not cut");
	}
	case_end();

	case_begin("IPv4 ihl pointing past the end is rejected");
	pkt_build(buf, &spec);
	buf[14] = 0x4f; /* 60 bytes of IP header in a 40-byte frame */
	CHECK_EQ(parse_len(40, &p), WS_LAYER_L2, "layer");
	CHECK_EQ(p.cut, 1, "cut");
	buf[14] = 0x46; /* 24 bytes: fits, but then TCP is cut */
	CHECK_EQ(parse_len(50, &p), WS_LAYER_L3, "layer");
	CHECK_EQ(p.cut, 1, "cut");
	case_end();

	case_begin("IPv4 version field other than 4 is rejected");
	pkt_build(buf, &spec);
	buf[14] = 0x65;
	CHECK_EQ(parse_len(80, &p), WS_LAYER_L2, "layer");
	CHECK_EQ(p.cut, 0, "not cut");
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
		CHECK_EQ(p.cut, 0, "malformed, not cut");
	}
	case_end();

	case_begin("TCP options past the end are rejected");
	pkt_build(buf, &spec);
	buf[34 + 12] = 15 << 4; /* 60 bytes of TCP header, 26 present */
	CHECK_EQ(parse_len(60, &p), WS_LAYER_L3, "layer");
	CHECK_EQ(p.cut, 1, "cut");
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
		CHECK_EQ(p.cut, 1, "cut");
		CHECK_EQ(parse_len(14 + 4 * tags + 24, &p), WS_LAYER_L3,
			 "cut inside UDP");
		CHECK_EQ(p.cut, 1, "cut");
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
	static const uint8_t ah[] = { 51 }, five[] = { 0, 60, 43, 60, 44 };
	struct ws_pkt p;
	unsigned int len;

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
	CHECK_EQ(parse_len(40, &p), WS_LAYER_L2, "IPv6 header cut");
	CHECK_EQ(p.cut, 1, "cut");
	case_end();

	case_begin("IPv6 AH counts 4-byte words; a fifth header is flagged");
	pkt_build(buf, &spec);
	len = pkt_ipv6_exts(buf, 82, ah, 1, 0);
	CHECK_EQ(parse_len(len, &p), WS_LAYER_L4, "layer");
	CHECK_EQ(p.l4_off, 54 + 24, "l4_off after a 24-byte AH");
	CHECK_EQ(p.sport, 443, "sport");
	CHECK_EQ(p.ext_unwalked, 0, "walked");
	pkt_build(buf, &spec);
	len = pkt_ipv6_exts(buf, 82, five, 5, 0);
	CHECK_EQ(parse_len(len, &p), WS_LAYER_L3, "five headers");
	CHECK_EQ(p.ext_unwalked, 1, "five headers: flagged");
	case_end();

	case_begin("IPv6 non-first fragment has no L4");
	pkt_build(buf, &spec);
	memmove(buf + 62, buf + 54, 20);
	buf[20] = 44;
	buf[54] = 6;
	buf[56] = 0x01; /* offset 32 */
	CHECK_EQ(parse_len(82, &p), WS_LAYER_L3, "layer");
	CHECK_EQ(p.ext_unwalked, 0, "a non-first fragment is walked");
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
	CHECK_EQ(p.cut, 0, "whole, not cut");
	case_end();

	case_begin("an IP length that ends inside the L4 header: no L4");
	spec.l3 = PKT_IPV4;
	pkt_build(buf, &spec);
	put16(buf + 16, 20); /* IPv4 header only: the rest is padding */
	CHECK_EQ(parse_len(60, &p), WS_LAYER_L3, "IPv4, 20 bytes");
	CHECK_EQ(p.cut, 0, "IPv4, 20 bytes: not cut");
	put16(buf + 16, 39);
	CHECK_EQ(parse_len(60, &p), WS_LAYER_L3, "IPv4, one byte short");
	put16(buf + 16, 40);
	CHECK_EQ(parse_len(60, &p), WS_LAYER_L4, "IPv4, header exactly");
	CHECK_EQ(p.payload, 0, "IPv4, header exactly: no payload");
	put16(buf + 16, 0); /* GSO without a length: parsed */
	CHECK_EQ(parse_len(60, &p), WS_LAYER_L4, "IPv4, length 0");
	spec.l4 = PKT_UDP;
	pkt_build(buf, &spec);
	put16(buf + 16, 27);
	CHECK_EQ(parse_len(60, &p), WS_LAYER_L3, "UDP, one byte short");
	put16(buf + 16, 28);
	CHECK_EQ(parse_len(60, &p), WS_LAYER_L4, "UDP, header exactly");
	spec.l3 = PKT_IPV6;
	spec.l4 = PKT_TCP;
	spec.len = 80;
	pkt_build(buf, &spec);
	put16(buf + 18, 19);
	CHECK_EQ(parse_len(80, &p), WS_LAYER_L3, "IPv6, one byte short");
	put16(buf + 18, 0); /* BIG TCP's jumbo: parsed */
	CHECK_EQ(parse_len(80, &p), WS_LAYER_L4, "IPv6, length 0");
	put16(buf + 18, 26);
	CHECK_EQ(parse_len(80, &p), WS_LAYER_L4, "IPv6, as built");
	CHECK_EQ(p.payload, 6, "IPv6 payload");
	spec.l3 = PKT_IPV4;
	spec.len = 60;
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

/* An IPv4 TCP frame whose options are @opts (padded with NOPs to 4). */
static unsigned int build_opts(const uint8_t *opts, unsigned int n,
			       unsigned int payload)
{
	unsigned int olen = (n + 3) & ~3u;
	struct pkt_spec spec = { .l3 = PKT_IPV4,
				 .l4 = PKT_TCP,
				 .tcp_opts_len = olen,
				 .sport = 80,
				 .dport = 40000,
				 .tcp_flags = WS_TCP_ACK };

	spec.len = 54 + olen + payload;
	pkt_build(buf, &spec);
	if (n)
		memcpy(buf + 54, opts, n);
	return spec.len;
}

static struct ws_tcp_opts opts_of(unsigned int len)
{
	struct ws_tcp_opts o;
	struct ws_pkt p;

	memset(&o, 0xaa, sizeof(o));
	if (parse_len(len, &p) == WS_LAYER_L4)
		ws_parse_tcp_opts(exact_end - len, exact_end, &p, &o);
	return o;
}

/*
 * The options of test_tcp_options()'s SYN-ACK, by where each ends (bytes
 * after the 20-byte TCP header): MSS, SACK-permitted, timestamps, and
 * window scale after a NOP.
 */
static uint8_t synack_opts_within(unsigned int n)
{
	static const struct {
		unsigned int end;
		uint8_t bit;
	} opt[] = { { 4, WS_OPT_MSS },
		    { 6, WS_OPT_SACKOK },
		    { 16, WS_OPT_TS },
		    { 20, WS_OPT_WSCALE } };
	uint8_t bits = 0;
	unsigned int i;

	for (i = 0; i < sizeof(opt) / sizeof(opt[0]); i++)
		if (opt[i].end <= n)
			bits |= opt[i].bit;
	return bits;
}

/*
 * The SYN-ACK in buf, parsed whole into @p, walked with the frame ending
 * at @cut: it must report no option past the cut, and lose none of the
 * whole words before it.  Its bytes past the cut are still in buf, so a
 * walk that ignores data_end finds them; the exact copy lets ASan see the
 * over-read.
 */
static void check_opts_cut(const struct ws_pkt *p, unsigned int cut)
{
	unsigned int hdr = p->l4_off + 20;
	unsigned int room = cut > hdr ? cut - hdr : 0;
	uint8_t fit = synack_opts_within(room);
	uint8_t words = synack_opts_within(room & ~3u);
	struct ws_tcp_opts o, oc;
	uint8_t *copy = malloc(cut);

	if (!copy) {
		CHECK(0, "malloc(%u)", cut);
		return;
	}
	memcpy(copy, buf, cut);
	ws_parse_tcp_opts(buf, buf + cut, p, &o);
	ws_parse_tcp_opts(copy, copy + cut, p, &oc);
	free(copy);
	CHECK(!(o.present & ~WS_OPT_BAD & ~fit),
	      "cut at %u: options %#x past the cut", cut, o.present);
	CHECK(!(words & ~o.present), "cut at %u: options %#x lost", cut,
	      words & ~o.present);
	CHECK((o.present & WS_OPT_TS) || !o.tsval, "cut at %u: tsval %u", cut,
	      o.tsval);
	CHECK_EQ(oc.present, o.present, "exact copy: present");
}

static void test_tcp_options(void)
{
	static const uint8_t synack[] = { 2,  4, 0x05, 0xb4, 4,	   2, 8,
					  10, 0, 0,    0x30, 0x39, 0, 0,
					  0,  7, 1,    3,    3,	   7 };
	static const uint8_t data_ts[] = { 1,	 1,    8, 10, 0xde, 0xad,
					   0xbe, 0xef, 0, 0,  0,    1 };
	struct ws_tcp_opts o;
	struct ws_pkt p;
	unsigned int len;
	uint8_t bad[12], bad16[16];

	case_begin("TCP options of a SYN-ACK: mss, sackok, ts, ws");
	o = opts_of(build_opts(synack, sizeof(synack), 0));
	CHECK_EQ(o.present,
		 WS_OPT_MSS | WS_OPT_SACKOK | WS_OPT_TS | WS_OPT_WSCALE,
		 "present");
	CHECK_EQ(o.tsval, 12345, "tsval");
	CHECK_EQ(o.tsecr, 7, "tsecr");
	case_end();

	case_begin("TCP timestamps behind two NOPs");
	o = opts_of(build_opts(data_ts, sizeof(data_ts), 10));
	CHECK_EQ(o.present, WS_OPT_TS, "present");
	CHECK_EQ(o.tsval, 0xdeadbeef, "tsval");
	CHECK_EQ(o.tsecr, 1, "tsecr");
	case_end();

	case_begin("no options, and end-of-list stops the walk");
	o = opts_of(build_opts(NULL, 0, 0));
	CHECK_EQ(o.present, 0, "none");
	memcpy(bad, data_ts, sizeof(bad));
	bad[0] = 0; /* EOL first: the timestamp after it is not an option */
	o = opts_of(build_opts(bad, sizeof(bad), 0));
	CHECK_EQ(o.present, 0, "after EOL");
	CHECK_EQ(o.tsval, 0, "tsval");
	case_end();

	case_begin("malformed options are flagged, never over-read");
	memcpy(bad, data_ts, sizeof(bad));
	bad[3] = 0; /* length 0 */
	CHECK_EQ(opts_of(build_opts(bad, sizeof(bad), 0)).present, WS_OPT_BAD,
		 "len 0");
	bad[3] = 1;
	CHECK_EQ(opts_of(build_opts(bad, sizeof(bad), 0)).present, WS_OPT_BAD,
		 "len 1");
	bad[3] = 8; /* a timestamp must be 10 bytes */
	CHECK_EQ(opts_of(build_opts(bad, sizeof(bad), 0)).present, WS_OPT_BAD,
		 "ts len 8");
	bad[3] = 30; /* runs past the header */
	CHECK_EQ(opts_of(build_opts(bad, sizeof(bad), 0)).present, WS_OPT_BAD,
		 "past the header");
	memcpy(bad16, data_ts, sizeof(data_ts));
	memcpy(bad16 + 12, "\x01\x01\x01\x02", 4); /* MSS, no length */
	o = opts_of(build_opts(bad16, sizeof(bad16), 0));
	CHECK_EQ(o.present, WS_OPT_TS | WS_OPT_BAD, "kind without length");
	case_end();

	case_begin("options in a frame cut at every length");
	len = build_opts(synack, sizeof(synack), 0);
	CHECK_EQ(parse_len(len, &p), WS_LAYER_L4, "layer");
	for (; len > 0; len--)
		check_opts_cut(&p, len);
	case_end();

	case_begin("timestamps fast path agrees with the walk");
	len = build_opts(data_ts, sizeof(data_ts), 0);
	CHECK_EQ(parse_len(len, &p), WS_LAYER_L4, "layer");
	ws_parse_tcp_ts(exact_end - len, exact_end, &p, &o);
	CHECK_EQ(o.present, WS_OPT_TS, "canonical: present");
	CHECK_EQ(o.tsval, 0xdeadbeef, "canonical: tsval");
	len = build_opts(synack, sizeof(synack), 0);
	CHECK_EQ(parse_len(len, &p), WS_LAYER_L4, "layer");
	ws_parse_tcp_ts(exact_end - len, exact_end, &p, &o);
	CHECK_EQ(o.tsval, 12345, "other layout: walked");
	CHECK(o.present & WS_OPT_MSS, "other layout: full walk");
	case_end();

	case_begin("payload from the IP length, not Ethernet padding");
	len = build_opts(data_ts, sizeof(data_ts), 10);
	CHECK_EQ(parse_len(len, &p), WS_LAYER_L4, "layer");
	CHECK_EQ(p.payload, 10, "payload");
	memset(buf + len, 0, 20); /* 20 bytes of trailer after the packet */
	CHECK_EQ(parse_len(len + 20, &p), WS_LAYER_L4, "layer");
	CHECK_EQ(p.payload, 10, "payload with padding");
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
	test_tcp_options();
	return unit_exit();
}
