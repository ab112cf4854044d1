/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TCP retransmissions per remote peer, from the tcp:tcp_retransmit_skb
 * tracepoint, limited to the network namespace wirescope runs in.
 */
#ifndef WS_RETRANS_BPF_H
#define WS_RETRANS_BPF_H

#include "common.bpf.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "retrans.h"

#define WS_AF_INET  2
#define WS_AF_INET6 10
#define WS_EBUSY    16

const volatile bool retrans_enabled = false;
const volatile __u32 retrans_netns = 0; /* inode of our network namespace */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, WS_RETRANS_MAX_PEERS);
	__type(key, struct retrans_key);
	__type(value, struct retrans_val);
} retrans_peers SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct retrans_total);
} retrans_totals SEC(".maps");

static __always_inline bool retrans_peer_key(const struct sock *sk,
					     struct retrans_key *k)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	__u32 v4;

	__builtin_memset(k, 0, sizeof(*k));
	if (family == WS_AF_INET6) {
		BPF_CORE_READ_INTO(k->addr, sk, __sk_common.skc_v6_daddr);
		return true;
	}
	if (family != WS_AF_INET)
		return false;
	v4 = BPF_CORE_READ(sk, __sk_common.skc_daddr);
	k->addr[10] = 0xff;
	k->addr[11] = 0xff;
	__builtin_memcpy(&k->addr[12], &v4, 4);
	return true;
}

static __always_inline void retrans_add_peer(const struct retrans_key *k,
					     __u64 segs)
{
	struct retrans_val zero = {}, *v;

	v = bpf_map_lookup_elem(&retrans_peers, k);
	if (!v) {
		/* -EEXIST: another CPU inserted it first; then look again. */
		if (bpf_map_update_elem(&retrans_peers, k, &zero,
					BPF_NOEXIST) &&
		    !bpf_map_lookup_elem(&retrans_peers, k)) {
			health_inc(WS_H_RETRANS_NO_SLOT);
			return;
		}
		v = bpf_map_lookup_elem(&retrans_peers, k);
		if (!v)
			return;
	}
	__sync_fetch_and_add(&v->events, 1);
	__sync_fetch_and_add(&v->segs, segs);
}

SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(ws_tcp_retransmit, const struct sock *sk,
	     const struct sk_buff *skb)
{
	/*
	 * err: 6.17+; before, the event fires for sent retransmits only.
	 * From 6.17 it also fires for a resend that failed here, before
	 * leaving: no route, no memory, a closed window (none of which
	 * TcpRetransSegs counts) or a queue or device drop (which it does).
	 * A failed resend is not a resend: it counts in failed_segs only,
	 * so segs means the same on every kernel.
	 */
	int err = ws_tp_retransmit_nargs >= 3 ? (int)ctx[2] : 0;
	struct tcp_skb_cb *cb;
	struct retrans_total *t;
	struct retrans_key k;
	__u32 zero = 0;
	__u64 segs;

	/* -EBUSY: the original is still queued here, nothing was tried. */
	if (!retrans_enabled || err == -WS_EBUSY)
		return 0;
	if (BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum) !=
	    retrans_netns)
		return 0;
	cb = (struct tcp_skb_cb *)skb->cb;
	segs = BPF_CORE_READ(cb, tcp_gso_segs);
	if (!segs)
		segs = 1;
	t = bpf_map_lookup_elem(&retrans_totals, &zero);
	if (t && err)
		t->failed_segs += segs;
	if (err)
		return 0;
	if (t) {
		t->events++;
		t->segs += segs;
	}
	if (retrans_peer_key(sk, &k))
		retrans_add_peer(&k, segs);
	return 0;
}

#endif
