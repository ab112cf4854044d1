// SPDX-License-Identifier: GPL-2.0
/*
 * An empty tc program: the floor for "any program on the tc hook", attached
 * on ingress and egress as wirescope's default hook is.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("tc")
int tc_pass(struct __sk_buff *skb)
{
	return -1; /* TC_ACT_UNSPEC */
}

char LICENSE[] SEC("license") = "GPL";
