/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Bounds-checked packet parser shared by the BPF programs and user space
 * (the host build is what the fuzzer drives).  Every field is read through
 * a pointer checked against data_end first; malformed headers stop the parse
 * at the last layer that was valid and never read past the frame.
 */
#ifndef WS_PARSE_H
#define WS_PARSE_H

#include "ws_types.h"

#define WS_ETH_HLEN	 14
#define WS_ETH_P_IP	 0x0800
#define WS_ETH_P_IPV6	 0x86DD
#define WS_ETH_P_ARP	 0x0806
#define WS_ETH_P_8021Q	 0x8100
#define WS_ETH_P_8021AD	 0x88A8
#define WS_IPPROTO_TCP	 6
#define WS_IPPROTO_UDP	 17
#define WS_MAX_VLANS	 2
#define WS_MAX_IPV6_EXTS 4

#define WS_TCP_FIN 0x01
#define WS_TCP_SYN 0x02
#define WS_TCP_RST 0x04
#define WS_TCP_PSH 0x08
#define WS_TCP_ACK 0x10

/* How far ws_parse() got. */
enum ws_layer {
	WS_LAYER_NONE = 0, /* shorter than an Ethernet header */
	WS_LAYER_L2,	   /* Ethernet only: ARP, unknown, or bad IP */
	WS_LAYER_L3,	   /* valid IP header, no usable L4 header */
	WS_LAYER_L4,	   /* valid TCP or UDP header */
};

struct ws_pkt {
	__u32 saddr[4]; /* network byte order; IPv4 uses [0] */
	__u32 daddr[4];
	__u32 seq; /* host byte order */
	__u32 ack_seq;
	__u32 len;	 /* frame length, Ethernet header included */
	__u16 eth_proto; /* host byte order, after VLAN tags */
	__u16 l3_off;
	__u16 l4_off;
	__u16 l4_hlen; /* TCP header with options, or 8 for UDP */
	__u16 sport;   /* host byte order */
	__u16 dport;
	__u16 ip_id; /* IPv4 only */
	__u16 window;
	__u8 layer;  /* enum ws_layer */
	__u8 ip_ver; /* 4, 6 or 0 */
	__u8 l4_proto;
	__u8 ttl; /* IPv4 TTL or IPv6 hop limit */
	__u8 tcp_flags;
	__u8 ext_unwalked; /* IPv6 extension headers not walked to the end */
	__u8 cut;	   /* a VLAN, IP, TCP or UDP header ran past data_end */
	__u16
	    payload; /* TCP/UDP payload bytes per the IP length, 0 if unknown */
};

static __always_inline __u16 ws_get16(const __u8 *p)
{
	return (__u16)((p[0] << 8) | p[1]);
}

static __always_inline __u32 ws_get32(const __u8 *p)
{
	return ((__u32)p[0] << 24) | ((__u32)p[1] << 16) | ((__u32)p[2] << 8) |
	       p[3];
}

/* A header ran past data_end: the parse stops at @layer. */
static __always_inline int ws_cut(struct ws_pkt *p, int layer)
{
	p->cut = 1;
	return layer;
}

/*
 * The IP length ends inside the L4 header of @hlen bytes at @off (@l3_end:
 * where it ends, 0 if the header says 0, as GSO packets may): what follows
 * is padding, not a header, and the kernel drops the packet.
 */
static __always_inline int ws_ip_len_short(__u32 off, __u32 hlen, __u32 l3_end)
{
	return l3_end && off + hlen > l3_end;
}

static __always_inline int ws_parse_l4(const __u8 *data, const __u8 *end,
				       struct ws_pkt *p, __u32 off,
				       __u32 l3_end)
{
	const __u8 *l4 = data + off;
	__u32 hlen;

	if (p->l4_proto == WS_IPPROTO_UDP) {
		hlen = 8;
		if (l4 + hlen > end)
			return ws_cut(p, WS_LAYER_L3);
	} else if (p->l4_proto == WS_IPPROTO_TCP) {
		if (l4 + 20 > end)
			return ws_cut(p, WS_LAYER_L3);
		hlen = (l4[12] >> 4) * 4;
		if (hlen < 20)
			return WS_LAYER_L3;
		if (l4 + hlen > end)
			return ws_cut(p, WS_LAYER_L3);
		p->seq = ws_get32(l4 + 4);
		p->ack_seq = ws_get32(l4 + 8);
		p->tcp_flags = l4[13];
		p->window = ws_get16(l4 + 14);
	} else {
		return WS_LAYER_L3;
	}
	if (ws_ip_len_short(off, hlen, l3_end))
		return WS_LAYER_L3;
	p->sport = ws_get16(l4);
	p->dport = ws_get16(l4 + 2);
	p->l4_off = off;
	p->l4_hlen = hlen;
	/* GSO super-packets may carry 0 here: leave payload unknown. */
	if (l3_end > off + hlen && l3_end - off - hlen <= 0xffff)
		p->payload = l3_end - off - hlen;
	return WS_LAYER_L4;
}

static __always_inline int ws_parse_ipv4(const __u8 *data, const __u8 *end,
					 struct ws_pkt *p, __u32 off)
{
	const __u8 *ip = data + off;
	__u32 ihl, len;

	if (ip + 20 > end)
		return ws_cut(p, WS_LAYER_L2);
	if ((ip[0] >> 4) != 4)
		return WS_LAYER_L2;
	ihl = (ip[0] & 0x0f) * 4;
	if (ihl < 20)
		return WS_LAYER_L2;
	if (ip + ihl > end)
		return ws_cut(p, WS_LAYER_L2);
	p->ip_ver = 4;
	p->ttl = ip[8];
	p->l4_proto = ip[9];
	p->ip_id = ws_get16(ip + 4);
	__builtin_memcpy(&p->saddr[0], ip + 12, 4);
	__builtin_memcpy(&p->daddr[0], ip + 16, 4);
	p->l3_off = off;
	/* A non-first fragment carries no L4 header. */
	if (ws_get16(ip + 6) & 0x1fff)
		return WS_LAYER_L3;
	len = ws_get16(ip + 2);
	return ws_parse_l4(data, end, p, off + ihl, len ? off + len : 0);
}

/*
 * The IPv6 extension headers ws_parse_ipv6() walks, as bits by next-header
 * value: hop-by-hop (0), routing (43), fragment (44), AH (51) and
 * destination options (60).  ESP (50) ends the walk: what follows is
 * encrypted.
 */
#define WS_IPV6_EXTS                                                           \
	((1ULL << 0) | (1ULL << 43) | (1ULL << 44) | (1ULL << 51) |            \
	 (1ULL << 60))

static __always_inline int ws_ipv6_ext(__u8 next)
{
	return next < 64 && ((1ULL << next) & WS_IPV6_EXTS);
}

/*
 * The length of extension header @next whose first bytes are @ext (4 of
 * them), or 0 for a fragment past the first: only the first carries L4.
 */
static __always_inline __u32 ws_ipv6_ext_len(__u8 next, const __u8 *ext)
{
	if (next == 44)
		return ws_get16(ext + 2) & 0xfff8 ? 0 : 8;
	if (next == 51)
		return (ext[1] + 2) * 4; /* AH counts 4-byte words */
	return (ext[1] + 1) * 8;
}

static __always_inline int ws_parse_ipv6(const __u8 *data, const __u8 *end,
					 struct ws_pkt *p, __u32 off)
{
	const __u8 *ip = data + off;
	const __u8 *ext;
	__u32 l3_end, len;
	__u8 next;
	int i;

	if (ip + 40 > end)
		return ws_cut(p, WS_LAYER_L2);
	if ((ip[0] >> 4) != 6)
		return WS_LAYER_L2;
	p->ip_ver = 6;
	p->ttl = ip[7];
	__builtin_memcpy(p->saddr, ip + 8, 16);
	__builtin_memcpy(p->daddr, ip + 24, 16);
	p->l3_off = off;
	next = ip[6];
	len = ws_get16(ip + 4);
	l3_end = len ? off + 40 + len : 0;
	off += 40;
	for (i = 0; i < WS_MAX_IPV6_EXTS && ws_ipv6_ext(next); i++) {
		ext = data + off;
		if (ext + 8 > end)
			break;
		len = ws_ipv6_ext_len(next, ext);
		if (!len)
			return WS_LAYER_L3;
		off += len;
		next = ext[0];
	}
	p->l4_proto = next;
	/* Too many headers, or one past the frame: say so (health). */
	if (ws_ipv6_ext(next) || data + off > end) {
		p->ext_unwalked = 1;
		return WS_LAYER_L3;
	}
	return ws_parse_l4(data, end, p, off, l3_end);
}

/*
 * Parse Ethernet, up to two VLAN tags, IPv4/IPv6 and TCP/UDP.
 * Returns the deepest valid layer (enum ws_layer).
 */
static __always_inline int ws_parse(const void *data_start,
				    const void *data_end, struct ws_pkt *p)
{
	const __u8 *data = (const __u8 *)data_start;
	const __u8 *end = (const __u8 *)data_end;
	__u32 off = WS_ETH_HLEN;
	__u16 proto;
	int i;

	__builtin_memset(p, 0, sizeof(*p));
	p->len = (__u32)(end - data);
	if (data + WS_ETH_HLEN > end)
		return p->layer = WS_LAYER_NONE;
	proto = ws_get16(data + 12);
	for (i = 0; i < WS_MAX_VLANS; i++) {
		if (proto != WS_ETH_P_8021Q && proto != WS_ETH_P_8021AD)
			break;
		if (data + off + 4 > end)
			return p->layer = ws_cut(p, WS_LAYER_L2);
		proto = ws_get16(data + off + 2);
		off += 4;
	}
	p->eth_proto = proto;
	if (proto == WS_ETH_P_IP)
		p->layer = ws_parse_ipv4(data, end, p, off);
	else if (proto == WS_ETH_P_IPV6)
		p->layer = ws_parse_ipv6(data, end, p, off);
	else
		p->layer = WS_LAYER_L2;
	return p->layer;
}

/* TCP options ws_parse_tcp_opts() found, as bits of ws_tcp_opts.present. */
#define WS_OPT_MSS    0x01
#define WS_OPT_WSCALE 0x02
#define WS_OPT_SACKOK 0x04
#define WS_OPT_SACK   0x08
#define WS_OPT_TS     0x10
#define WS_OPT_MD5AO  0x20 /* MD5 signature or TCP-AO */
#define WS_OPT_OTHER  0x40
#define WS_OPT_BAD    0x80 /* malformed: walk stopped there */

#define WS_TCP_OPTS_LEN 40 /* the most a TCP header can carry */

struct ws_tcp_opts {
	__u32 tsval; /* host byte order, valid with WS_OPT_TS */
	__u32 tsecr;
	__u8 present;
	__u8 pad[3];
};

/* The option bytes, copied out of the packet. */
struct ws_tcp_opt_bytes {
	__u8 b[64]; /* 40 used; reads up to b[i + 9] for i < 40 stay inside */
	__u32 len;
};

/*
 * In BPF the walk runs in a global function (ws_tcp_opts_walk_bpf below):
 * the verifier checks it once, and its many paths do not multiply those of
 * the caller.
 */
#ifdef __VMLINUX_H__
#define WS_OPTS_FUNC static __always_inline
#else
#define WS_OPTS_FUNC static inline
#endif

static __always_inline __u8 ws_tcp_opt_bit(__u8 kind)
{
	switch (kind) {
	case 2:
		return WS_OPT_MSS;
	case 3:
		return WS_OPT_WSCALE;
	case 4:
		return WS_OPT_SACKOK;
	case 5:
		return WS_OPT_SACK;
	case 19:
	case 29:
		return WS_OPT_MD5AO;
	default:
		return WS_OPT_OTHER;
	}
}

/*
 * Walk @ob's options into @o; returns @o->present.  A bad option sets
 * WS_OPT_BAD and ends the walk.  Each step jumps to the next option, and
 * the position is checked against the constant WS_TCP_OPTS_LEN before every
 * read: for the verifier it is one bounded range, not a value per path, so
 * the states of a step prune one another (with a position per byte and the
 * next option's start beside it, 5.15's verifier went past 1M
 * instructions).  At most one step per byte: hostile lengths can neither
 * loop nor over-read.
 */
WS_OPTS_FUNC __u32 ws_tcp_opts_walk(const struct ws_tcp_opt_bytes *ob,
				    struct ws_tcp_opts *o)
{
	/* 64-bit: a 32-bit offset is zero-extended anew at each use, and
	 * the copy loses the bounds the checks gave the first. */
	__u64 off = 0, room, len;
	__u8 kind, present = 0;
	__u32 step;

	if (!ob || !o)
		return 0;
	__builtin_memset(o, 0, sizeof(*o));
	room = ob->len < WS_TCP_OPTS_LEN ? ob->len : WS_TCP_OPTS_LEN;
	for (step = 0; step < WS_TCP_OPTS_LEN; step++) {
		if (off >= room)
			break;
		/*
		 * A no-op (off < room <= WS_TCP_OPTS_LEN) that the verifier
		 * sees: every path's offset becomes one range, 0 to 39, so
		 * the states of a step prune one another.
		 */
		WS_OPAQUE(off);
		off &= 63;
		if (off >= WS_TCP_OPTS_LEN)
			break;
		kind = ob->b[off];
		if (kind == 0) /* end of option list */
			break;
		if (kind == 1) { /* NOP */
			off++;
			continue;
		}
		len = off + 1 < room ? ob->b[off + 1] : 0;
		if (len < 2 || off + len > room || (kind == 8 && len != 10)) {
			present |= WS_OPT_BAD;
			break;
		}
		if (kind == 8) {
			o->tsval = ws_get32(&ob->b[off + 2]);
			o->tsecr = ws_get32(&ob->b[off + 6]);
		}
		present |= kind == 8 ? WS_OPT_TS : ws_tcp_opt_bit(kind);
		off += len;
	}
	o->present = present;
	return present;
}

#ifdef __VMLINUX_H__
/*
 * Before 5.12 the verifier takes no pointer argument of a global function,
 * so the walk gets its bytes and gives its result through a per-CPU slot.
 */
struct ws_opts_slot {
	struct ws_tcp_opt_bytes ob;
	struct ws_tcp_opts o;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ws_opts_slot);
} ws_opts_slots SEC(".maps");

__attribute__((noinline)) int ws_tcp_opts_walk_bpf(void)
{
	__u32 zero = 0;
	struct ws_opts_slot *s = bpf_map_lookup_elem(&ws_opts_slots, &zero);

	if (!s)
		return 0;
	return ws_tcp_opts_walk(&s->ob, &s->o);
}
#endif

/*
 * Where the TCP options begin, or NULL.  The explicit bound keeps the
 * verifier's view of the offset small whatever the compiler does with
 * l4_off (a spilled u16 reloads as 0..65535, too far for a packet range).
 */
#define WS_MAX_L4_OFF 0x3fff

static __always_inline const __u8 *ws_tcp_opts_start(const void *data_start,
						     const struct ws_pkt *p)
{
	__u32 off = p->l4_off;

	WS_OPAQUE(off);
	if (off > WS_MAX_L4_OFF)
		return 0;
	return (const __u8 *)data_start + off + 20;
}

/*
 * The options of a packet ws_parse() took to WS_LAYER_L4 (TCP), copied in
 * 4-byte words (doff counts words) as far as the frame holds them.
 */
static __always_inline void ws_parse_tcp_opts(const void *data_start,
					      const void *data_end,
					      const struct ws_pkt *p,
					      struct ws_tcp_opts *o)
{
	const __u8 *end = (const __u8 *)data_end;
	const __u8 *pos = ws_tcp_opts_start(data_start, p);
	__u32 n = p->l4_hlen > 20 ? p->l4_hlen - 20 : 0;
	struct ws_tcp_opt_bytes *ob;
	int i;
#ifdef __VMLINUX_H__
	/* The bytes go straight into the walk's slot (no stack copy). */
	__u32 zero = 0;
	struct ws_opts_slot *s = bpf_map_lookup_elem(&ws_opts_slots, &zero);

	if (!n || !pos || !s) {
		__builtin_memset(o, 0, sizeof(*o));
		return;
	}
	ob = &s->ob;
#else
	struct ws_tcp_opt_bytes bytes;

	if (!n || !pos) {
		__builtin_memset(o, 0, sizeof(*o));
		return;
	}
	ob = &bytes;
#endif
	ob->len = 0;
	if (pos + WS_TCP_OPTS_LEN <= end) {
		__builtin_memcpy(ob->b, pos, WS_TCP_OPTS_LEN);
		ob->len = n;
	} else {
		for (i = 0; i < WS_TCP_OPTS_LEN / 4; i++) {
			if ((__u32)i * 4 >= n || pos + i * 4 + 4 > end)
				break;
			__builtin_memcpy(&ob->b[i * 4], pos + i * 4, 4);
			ob->len = (i + 1) * 4;
		}
	}
#ifdef __VMLINUX_H__
	ws_tcp_opts_walk_bpf();
	*o = s->o;
#else
	ws_tcp_opts_walk(ob, o);
#endif
}

/*
 * Only the timestamps, cheaply: after the handshake Linux, BSD and Windows
 * put NOP, NOP, TS first on every segment.  Other layouts take the walk.
 */
static __always_inline void ws_parse_tcp_ts(const void *data_start,
					    const void *data_end,
					    const struct ws_pkt *p,
					    struct ws_tcp_opts *o)
{
	const __u8 *pos;
	__u32 off = p->l4_off;

	/*
	 * No nullable pointer here: clang 14 folded the NULL case into the
	 * bounds check, and the 6.1 verifier then saw a NULL scalar read.
	 */
	WS_OPAQUE(off);
	if (off > WS_MAX_L4_OFF) {
		__builtin_memset(o, 0, sizeof(*o));
		return;
	}
	pos = (const __u8 *)data_start + off + 20;
	if (p->l4_hlen >= 32 && pos + 12 <= (const __u8 *)data_end &&
	    ws_get32(pos) == 0x0101080a) {
		o->tsval = ws_get32(pos + 4);
		o->tsecr = ws_get32(pos + 8);
		o->present = WS_OPT_TS;
		return;
	}
	ws_parse_tcp_opts(data_start, data_end, p, o);
}

#endif
