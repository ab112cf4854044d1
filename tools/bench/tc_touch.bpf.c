// SPDX-License-Identifier: GPL-2.0
/*
 * The empty tc program that reads what every observer on the hook reads
 * first: the skb's GSO fields and the Ethernet, IP and TCP headers, a TCP
 * frame's pulled into the linear head first by wirescope's own code
 * (bpf/pull.bpf.h).  Its run time is the floor of any observer that looks
 * at the headers (make bench): the empty program reads nothing, so whoever
 * touches the packet first takes its cache misses.
 */
#include "pull.bpf.h"

SEC("tc")
int tc_touch(struct __sk_buff *skb)
{
	void *data, *data_end;
	__u64 seen = skb->len + skb->gso_segs + skb->gso_size;

	pull_tcp_headers(skb);
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	if (data + WS_HEAD_MIN <= data_end)
		seen += *(__u8 *)(data + 12) + *(__u8 *)(data + 23) +
			*(__u8 *)(data + 47);
	asm volatile("" : : "r"(seen)); /* the reads stay; no store to share */
	return -1;			/* TC_ACT_UNSPEC */
}

char LICENSE[] SEC("license") = "GPL";
