// SPDX-License-Identifier: GPL-2.0
/* An empty XDP program: the baseline for "any XDP program attached". */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
