// SPDX-License-Identifier: GPL-2.0
/*
 * The empty tc program that reads what every observer on the hook reads
 * first: the skb's GSO fields and the Ethernet, IP and TCP headers, pulled
 * into the linear head as wirescope pulls them.  Those cache misses the
 * stack would take next anyway; with tc_pass, which reads nothing, they
 * count against whoever touches the packet first.  Its run time is the
 * floor of any observer that looks at headers (make bench, section 3b).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define HEAD_MIN 54  /* Ethernet, IPv4 and TCP without options */
#define PULL_MAX 128 /* as wirescope's pull_headers() */

SEC("tc")
int tc_touch(struct __sk_buff *skb)
{
	void *data, *data_end;
	__u64 seen = skb->len + skb->gso_segs + skb->gso_size;

	if (skb->data_end - skb->data < HEAD_MIN && skb->len >= HEAD_MIN)
		bpf_skb_pull_data(skb,
				  skb->len < PULL_MAX ? skb->len : PULL_MAX);
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	if (data + HEAD_MIN <= data_end)
		seen += *(__u8 *)(data + 12) + *(__u8 *)(data + 23) +
			*(__u8 *)(data + 47);
	asm volatile("" : : "r"(seen)); /* the reads stay; no store to share */
	return -1;			/* TC_ACT_UNSPEC */
}

char LICENSE[] SEC("license") = "GPL";
