/* SPDX-License-Identifier: GPL-2.0 */
/* Craft Ethernet frames for BPF_PROG_TEST_RUN and parser tests. */
#ifndef WS_PKT_H
#define WS_PKT_H

#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>

enum { PKT_RAW = 0, PKT_ARP, PKT_IPV4, PKT_IPV6 };
enum { PKT_NONE = 0, PKT_TCP = 6, PKT_UDP = 17 };

struct pkt_spec {
	int l3;		   /* PKT_RAW (EtherType 0x88b5), PKT_ARP, IPv4, IPv6 */
	int l4;		   /* PKT_TCP, PKT_UDP or PKT_NONE */
	unsigned int len;  /* total frame length; payload pads it out */
	uint8_t ttl;	   /* 0 = 64 */
	uint8_t tcp_flags;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint16_t ip_id;
	uint8_t tcp_opts_len; /* bytes of NOP options (multiple of 4) */
	uint32_t saddr4, daddr4; /* host order; 0 = defaults */
	uint8_t rev6; /* IPv6 from 2001:db8::1 to ::2 instead of ::2 to ::1 */
};

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static inline void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

/* Header bytes in front of the payload for @s. */
static inline unsigned int pkt_hdr_len(const struct pkt_spec *s)
{
	unsigned int n = 14;

	if (s->l3 == PKT_IPV4)
		n += 20;
	else if (s->l3 == PKT_IPV6)
		n += 40;
	else if (s->l3 == PKT_ARP)
		return n + 28;
	else
		return n;
	if (s->l4 == PKT_TCP)
		n += 20 + s->tcp_opts_len;
	else if (s->l4 == PKT_UDP)
		n += 8;
	return n;
}

/* Build the frame into @buf (zero-filled, >= s->len bytes); returns length. */
static inline unsigned int pkt_build(uint8_t *buf, const struct pkt_spec *s)
{
	static const uint8_t dmac[6] = { 0x02, 0, 0, 0, 0, 0x02 };
	static const uint8_t smac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
	unsigned int hdr = pkt_hdr_len(s), len = s->len < hdr ? hdr : s->len;
	uint8_t *l3 = buf + 14, *l4;
	uint16_t proto = s->l3 == PKT_IPV4   ? 0x0800
			 : s->l3 == PKT_IPV6 ? 0x86dd
			 : s->l3 == PKT_ARP  ? 0x0806
					     : 0x88b5;

	memset(buf, 0, len);
	memcpy(buf, dmac, 6);
	memcpy(buf + 6, smac, 6);
	put16(buf + 12, proto);
	if (s->l3 == PKT_ARP) {
		put16(l3, 1);
		put16(l3 + 2, 0x0800);
		l3[4] = 6;
		l3[5] = 4;
		put16(l3 + 6, 1);
		return len;
	}
	if (s->l3 == PKT_IPV4) {
		l3[0] = 0x45;
		put16(l3 + 2, len - 14);
		put16(l3 + 4, s->ip_id);
		l3[8] = s->ttl ? s->ttl : 64;
		l3[9] = s->l4;
		put32(l3 + 12, s->saddr4 ? s->saddr4 : 0xc6120002); /* 198.18.0.2 */
		put32(l3 + 16, s->daddr4 ? s->daddr4 : 0xc6120001);
		l4 = l3 + 20;
	} else if (s->l3 == PKT_IPV6) {
		l3[0] = 0x60;
		put16(l3 + 4, len - 54);
		l3[6] = s->l4;
		l3[7] = s->ttl ? s->ttl : 64;
		put32(l3 + 8, 0x20010db8); /* 2001:db8::2 -> 2001:db8::1 */
		l3[23] = s->rev6 ? 1 : 2;
		put32(l3 + 24, 0x20010db8);
		l3[39] = s->rev6 ? 2 : 1;
		l4 = l3 + 40;
	} else {
		return len;
	}
	if (s->l4 == PKT_TCP) {
		put16(l4, s->sport);
		put16(l4 + 2, s->dport);
		put32(l4 + 4, s->seq);
		put32(l4 + 8, s->ack);
		l4[12] = (uint8_t)(((20 + s->tcp_opts_len) / 4) << 4);
		l4[13] = s->tcp_flags;
		put16(l4 + 14, 65535);
		memset(l4 + 20, 1, s->tcp_opts_len); /* NOPs */
	} else if (s->l4 == PKT_UDP) {
		put16(l4, s->sport);
		put16(l4 + 2, s->dport);
		put16(l4 + 4, len - (unsigned int)(l4 - buf));
	}
	return len;
}

/* Bytes of IPv6 extension header @type as pkt_ipv6_exts() writes it. */
static inline unsigned int pkt_ext_len(uint8_t type)
{
	return type == 51 ? 24 : 8; /* AH with a 12-byte ICV; others minimal */
}

/*
 * Put IPv6 extension headers @types[0..n-1] between the IPv6 header of the
 * frame pkt_build() made in @buf (@len bytes) and what follows it; a
 * fragment header (44) gets @frag (offset and M flag).  Returns the new
 * length; @buf must have room for it.
 */
static inline unsigned int pkt_ipv6_exts(uint8_t *buf, unsigned int len,
					 const uint8_t *types, int n,
					 uint16_t frag)
{
	uint8_t *ip = buf + 14, *e = ip + 40;
	unsigned int add = 0;
	uint8_t next = ip[6];
	int i;

	for (i = 0; i < n; i++)
		add += pkt_ext_len(types[i]);
	memmove(ip + 40 + add, ip + 40, len - 54);
	memset(ip + 40, 0, add);
	if (n)
		ip[6] = types[0];
	for (i = 0; i < n; e += pkt_ext_len(types[i]), i++) {
		e[0] = i + 1 < n ? types[i + 1] : next;
		e[1] = types[i] == 51 ? pkt_ext_len(51) / 4 - 2 : 0;
		if (types[i] == 44)
			put16(e + 2, frag);
	}
	put16(ip + 4, len - 54 + add);
	return len + add;
}

#endif
