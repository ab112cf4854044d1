// SPDX-License-Identifier: GPL-2.0
/*
 * Someone else's XDP program (a load balancer, Cilium...) for the occupied
 * hook tests: it passes everything.  Built by the test with clang.
 */
#define SEC(name) __attribute__((section(name), used))

SEC("xdp") int xdp_pass(void *ctx)
{
	return 2; /* XDP_PASS */
}

char LICENSE[] SEC("license") = "GPL";
