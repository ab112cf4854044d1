// SPDX-License-Identifier: GPL-2.0
/* One trivial program per attach kind, for tools/vmtest/probe: does this
 * kernel load and attach it?  No vmlinux.h: nothing here needs CO-RE. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

SEC("kprobe/tcp_v4_connect")
int kprobe_tcp_v4_connect(void *ctx) { return 0; }

SEC("fentry/tcp_v4_connect")
int fentry_tcp_v4_connect(void *ctx) { return 0; }

SEC("fexit/tcp_v4_connect")
int fexit_tcp_v4_connect(void *ctx) { return 0; }

SEC("tp_btf/kfree_skb")
int tp_btf_kfree_skb(void *ctx) { return 0; }

SEC("raw_tp/kfree_skb")
int raw_tp_kfree_skb(void *ctx) { return 0; }

SEC("tracepoint/tcp/tcp_send_reset")
int tp_tcp_send_reset(void *ctx) { return 0; }

SEC("tp_btf/tcp_send_reset")
int tp_btf_tcp_send_reset(void *ctx) { return 0; }

SEC("tp_btf/tcp_retransmit_skb")
int tp_btf_tcp_retransmit_skb(void *ctx) { return 0; }

SEC("tp_btf/inet_sock_set_state")
int tp_btf_inet_sock_set_state(void *ctx) { return 0; }

SEC("xdp")
int xdp_pass(struct xdp_md *ctx) { return XDP_PASS; }

SEC("tc")
int tc_ok(struct __sk_buff *skb) { return 0; }

char LICENSE[] SEC("license") = "GPL";
