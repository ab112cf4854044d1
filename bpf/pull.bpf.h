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
 * no TCP frame's headers.  A pull takes at most WS_PULL_MAX bytes: IPv6
 * and a TCP header with every option fit.
 */
#define WS_HEAD_MIN 54
#define WS_PULL_MAX 128

/*
 * The frame is TCP over IPv4 or IPv6 (no extension header) and runs past
 * the skb's linear head, where tc's direct reads end: its headers may lie
 * outside it.  bpf_skb_load_bytes() reads the protocol wherever it is.
 */
static __always_inline bool tcp_past_head(struct __sk_buff *skb)
{
	__u32 off;
	__u8 proto;

	if (skb->len <= skb->data_end - skb->data)
		return false;
	if (skb->protocol == bpf_htons(WS_ETH_P_IP))
		off = WS_ETH_HLEN + 9;
	else if (skb->protocol == bpf_htons(WS_ETH_P_IPV6))
		off = WS_ETH_HLEN + 6;
	else
		return false;
	return !bpf_skb_load_bytes(skb, off, &proto, 1) &&
	       proto == WS_IPPROTO_TCP;
}

/*
 * An AF_PACKET sender's mapped TX ring (trafgen) leaves only the Ethernet
 * header in the skb's linear head.  Pull a TCP frame's headers in, as the
 * stack's own receive path does next anyway.  A head of WS_HEAD_MIN bytes
 * or more costs a length comparison; a shorter one of another protocol,
 * one-byte reads.
 */
static __always_inline void pull_tcp_headers(struct __sk_buff *skb)
{
	if (skb->data_end - skb->data < WS_HEAD_MIN && tcp_past_head(skb))
		bpf_skb_pull_data(skb, skb->len < WS_PULL_MAX ? skb->len
							      : WS_PULL_MAX);
}

#endif
