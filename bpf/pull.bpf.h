/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where a tc frame's headers are, and pulling a TCP frame's into the skb's
 * linear head.  make bench's floor that reads the headers
 * (tools/bench/tc_touch.bpf.c) pulls with the same code.
 */
#ifndef WS_PULL_BPF_H
#define WS_PULL_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include "parse.h"

/*
 * A linear head shorter than Ethernet, IPv4 and TCP without options holds
 * no TCP frame's headers.  A pull takes at most WS_PULL_MAX bytes: IPv6,
 * an extension header or two and a TCP header with every option fit.
 */
#define WS_HEAD_MIN 54
#define WS_PULL_MAX 192

/*
 * The frame runs past the skb's linear head, where tc's direct reads end,
 * and may carry a TCP header outside it: IPv4 whose protocol is TCP, not
 * a non-first fragment, or IPv6 whose next header is TCP or an extension
 * header, which may hide TCP (walking them here would multiply the 5.15
 * verifier's states: the parse walks them once pulled in).
 * bpf_skb_load_bytes() reads the IP header wherever it is: the same four
 * bytes in both, IPv4's fragment offset and protocol, IPv6's next header.
 */
static __always_inline bool tcp_past_head(struct __sk_buff *skb)
{
	__u8 ip[4];

	if (skb->len <= skb->data_end - skb->data ||
	    (skb->protocol != bpf_htons(WS_ETH_P_IP) &&
	     skb->protocol != bpf_htons(WS_ETH_P_IPV6)) ||
	    bpf_skb_load_bytes(skb, WS_ETH_HLEN + 6, ip, sizeof(ip)))
		return false;
	if (skb->protocol == bpf_htons(WS_ETH_P_IP))
		return ip[3] == WS_IPPROTO_TCP && !(ws_get16(ip) & 0x1fff);
	return ip[0] == WS_IPPROTO_TCP || ws_ipv6_ext(ip[0]);
}

/*
 * An AF_PACKET sender's mapped TX ring (trafgen) leaves only the Ethernet
 * header in the skb's linear head.  Pull a TCP frame's headers in, as the
 * stack's own receive path does next anyway.  A head of WS_HEAD_MIN bytes
 * or more costs a length comparison; a shorter one of another protocol,
 * a four-byte read.
 */
static __always_inline void pull_tcp_headers(struct __sk_buff *skb)
{
	if (skb->data_end - skb->data < WS_HEAD_MIN && tcp_past_head(skb))
		bpf_skb_pull_data(skb, skb->len < WS_PULL_MAX ? skb->len
							      : WS_PULL_MAX);
}

#endif
