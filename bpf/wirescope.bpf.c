// SPDX-License-Identifier: GPL-2.0
/*
 * wirescope data plane.  Two tc programs per interface (ingress, egress;
 * XDP replaces the ingress one on request) serve every collector, so diag
 * and export attach once however many collectors run.
 * Each collector's code lives in bpf/<collector>.bpf.h and is switched on by
 * its const volatile flag: the verifier drops the code of disabled ones.
 * The same holds for skb:kfree_skb, which accept and resets both watch: one
 * program, so a drop anywhere on the machine runs one program, not two.
 *
 * We observe, never change: every program returns XDP_PASS or
 * TC_ACT_UNSPEC (let the rest of the tc chain decide) for every input.
 */
#include "common.bpf.h"
#include "pull.bpf.h"
#include "sizes.bpf.h"
#include "retrans.bpf.h"
#include "handshakes.bpf.h"
#include "resets.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* True if any collector that looks into TCP headers is switched on. */
static __always_inline bool tcp_collectors_enabled(void)
{
	return handshakes_enabled || resets_enabled;
}

/*
 * Every TCP-aware collector sees each packet here, parsed once.
 * @pkt->layer is WS_LAYER_L4 and @pkt->l4_proto is TCP; @data and
 * @data_end bound the frame, for what ws_parse() does not read (options).
 * @skb is the tc context, NULL under XDP.
 */
static __always_inline void observe_tcp(const struct ws_pkt *pkt,
					const void *data, const void *data_end,
					__u32 ifindex, __u32 dir,
					struct __sk_buff *skb)
{
	handshakes_observe(pkt, ifindex, dir,
			   skb && dir == WS_TX &&
			       (pkt->tcp_flags & WS_TCP_SYN) && !skb->sk);
	resets_observe(pkt, data, data_end, ifindex, dir,
		       skb && dir == WS_TX && (pkt->tcp_flags & WS_TCP_RST) &&
			   skb->ingress_ifindex,
		       skb ? skb->gso_segs : 1);
}

static __always_inline void parse_and_observe(void *data, void *data_end,
					      __u32 ifindex, __u32 dir,
					      struct __sk_buff *skb)
{
	struct ws_pkt pkt;

	if (!tcp_collectors_enabled())
		return;
	if (ws_parse(data, data_end, &pkt) != WS_LAYER_L4 ||
	    pkt.l4_proto != WS_IPPROTO_TCP) {
		if (pkt.ext_unwalked) /* it may have been TCP */
			health_inc(WS_H_IPV6_EXT_UNWALKED);
		else if (pkt.cut && skb && tcp_past_head(skb))
			health_inc(WS_H_HEADERS_UNREAD);
		return;
	}
	/*
	 * Under tc, data..data_end is only the skb's linear head: a received
	 * TCP segment's payload usually sits in page fragments, so the frame
	 * would look bare (handshakes' cookie_drops needs its payload).  XDP
	 * sees the whole frame (generic XDP linearizes the skb).
	 */
	if (skb)
		pkt.len = skb->len;
	observe_tcp(&pkt, data, data_end, ifindex, dir, skb);
}

SEC("xdp")
int ws_xdp_ingress(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;

	sizes_count(ctx->ingress_ifindex, WS_RX, data_end - data);
	parse_and_observe(data, data_end, ctx->ingress_ifindex, WS_RX, NULL);
	return XDP_PASS;
}

/* Length of the headers repeated in every GSO segment, or 0 if unknown. */
static __always_inline __u32 gso_header_len(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ws_pkt pkt;

	if (ws_parse(data, data_end, &pkt) != WS_LAYER_L4)
		return 0;
	return pkt.l4_off + pkt.l4_hlen;
}

static __always_inline void observe_skb(struct __sk_buff *skb, __u32 dir)
{
	__u32 segs = skb->gso_segs;
	__u32 mss = skb->gso_size;

	if (mss && segs != 1)
		sizes_count_gso(skb->ifindex, dir, skb->len, segs, mss,
				gso_header_len(skb));
	else
		sizes_count(skb->ifindex, dir, skb->len);
	parse_and_observe((void *)(long)skb->data, (void *)(long)skb->data_end,
			  skb->ifindex, dir, skb);
}

SEC("tc")
int ws_tc_egress(struct __sk_buff *skb)
{
	observe_skb(skb, WS_TX);
	return TC_ACT_UNSPEC;
}

/*
 * On ingress only: the stack's own skbs carry their headers in the head on
 * egress, and a frame there without them comes from a packet socket on this
 * host (or was forwarded so): counted (WS_H_HEADERS_UNREAD).
 */
static __always_inline void pull_headers(struct __sk_buff *skb)
{
	if (tcp_collectors_enabled())
		pull_tcp_headers(skb);
}

SEC("tc")
int ws_tc_ingress(struct __sk_buff *skb)
{
	pull_headers(skb);
	observe_skb(skb, WS_RX);
	return TC_ACT_UNSPEC;
}

/*
 * reason: 5.17+, rx_sk: 6.11+ (ws_tp_kfree_skb_nargs); reads past this
 * kernel's arguments are dead code the verifier drops.
 */
SEC("tp_btf/kfree_skb")
int BPF_PROG(ws_kfree_skb, struct sk_buff *skb)
{
	__u32 reason = ws_tp_kfree_skb_nargs >= 3 ? (__u32)ctx[2] : 0;
	struct sock *rx_sk =
	    ws_tp_kfree_skb_nargs >= 4 ? (struct sock *)ctx[3] : NULL;

	if (ws_tp_kfree_skb_nargs >= 4)
		accept_on_drop(reason, rx_sk);
	resets_on_drop(skb, reason, rx_sk);
	return 0;
}
