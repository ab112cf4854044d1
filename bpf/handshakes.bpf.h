/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Handshake collector: every TCP three-way handshake seen on the watched
 * interfaces, from the first SYN to the final ACK, both roles.
 *
 * State lives in an LRU hash keyed by (initiator, responder, ifindex,
 * family), written only when a SYN opens a flow; later packets change the
 * entry in place through the lookup pointer and the entry is deleted once the
 * handshake is over.
 *
 * Cost after the handshake: SYN packets always look up their flow.  Any
 * other packet first reads one slot of hs_pending, a counting filter indexed
 * by a direction-independent hash of the 4-tuple (incremented on insert,
 * decremented on delete).  Zero means "no handshake in progress on this
 * tuple", and the packet costs a hash of its addresses and one load, no map
 * lookup.  A non-zero slot (a handshake in progress, a collision, or an
 * entry the LRU evicted) costs at most two failed lookups; false positives
 * only cost time, never counts.
 *
 * Accept collector: tracepoints on the listening socket (skb:kfree_skb with
 * reason TCP_LISTEN_OVERFLOW, tcp:tcp_retransmit_synack), filtered to our
 * network namespace.
 */
#ifndef WS_HANDSHAKES_BPF_H
#define WS_HANDSHAKES_BPF_H

#include "common.bpf.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "handshakes.h"

const volatile bool handshakes_enabled = false;
const volatile bool accept_enabled = false;
const volatile __u32 accept_netns_ino = 0; /* 0: every namespace */

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, HS_DEFAULT_MAX_FLOWS); /* --max-flows */
	__type(key, struct hs_key);
	__type(value, struct hs_flow);
} hs_flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hs_stats);
} hs_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, HS_DEFAULT_MAX_PORTS); /* --max-ports */
	__type(key, __u32);
	__type(value, struct hs_port_stats);
} hs_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, HS_MAX_LISTENERS);
	__type(key, struct hs_listener_key);
	__type(value, struct hs_listener_stats);
} hs_listeners SEC(".maps");

__u32 hs_pending[HS_FILTER_SLOTS];

#define HS_EEXIST	17 /* no errno.h for BPF */
#define hs_read_once(x) (*(volatile typeof(x) *)&(x))

/* Everything one packet needs, looked up once. */
struct hs_ctx {
	const struct ws_pkt *pkt;
	struct hs_stats *st;
	struct hs_key key;
	__u64 now;
	__u32 slot;
	__u32 dir;
	bool no_sk; /* egress skb with no socket: a syncookie SYN-ACK */
};

/* Same slot for both directions of a 4-tuple. */
static __always_inline __u32 hs_slot(const struct ws_pkt *pkt)
{
	return hs_tuple_slot(pkt->saddr, pkt->sport, pkt->daddr, pkt->dport);
}

/*
 * The key with the packet's source (@from_src) or destination as initiator:
 * a segment from the initiator that comes in, or one from the responder
 * that goes out, is the server's.
 */
static __always_inline void hs_make_key(struct hs_ctx *c, __u32 ifindex,
					bool from_src)
{
	const struct ws_pkt *p = c->pkt;

	__builtin_memset(&c->key, 0, sizeof(c->key));
	if (from_src) {
		__builtin_memcpy(c->key.caddr, p->saddr, 16);
		__builtin_memcpy(c->key.saddr, p->daddr, 16);
		c->key.cport = p->sport;
		c->key.sport = p->dport;
	} else {
		__builtin_memcpy(c->key.caddr, p->daddr, 16);
		__builtin_memcpy(c->key.saddr, p->saddr, 16);
		c->key.cport = p->dport;
		c->key.sport = p->sport;
	}
	c->key.ifindex = ifindex;
	c->key.family = p->ip_ver;
	c->key.server = from_src == (c->dir == WS_RX);
}

static __always_inline void hs_count(struct hs_ctx *c, __u32 idx)
{
	if (idx < HS_NCOUNTERS)
		c->st->count[idx]++;
}

static __always_inline void hs_observe_latency(struct hs_ctx *c, __u32 leg,
					       __u64 since)
{
	__u64 ns = c->now > since ? c->now - since : 0;

	if (leg >= HS_NLEGS)
		return;
	c->st->hist[leg][hs_log2_bucket(ns / 1000)]++;
	c->st->sum_ns[leg] += ns;
}

/*
 * Per-port stats of the server port.  A slot is created when the port first
 * answers a SYN (@create), or by user space for the listeners sock_diag
 * shows: SYNs to closed ports (scans) never take one.
 */
static __always_inline struct hs_port_stats *hs_port(struct hs_ctx *c,
						     bool create)
{
	struct hs_port_stats zero = {};
	__u32 port = c->key.sport;
	struct hs_port_stats *ps = bpf_map_lookup_elem(&hs_ports, &port);

	if (ps || !create)
		return ps;
	bpf_map_update_elem(&hs_ports, &port, &zero, BPF_NOEXIST);
	ps = bpf_map_lookup_elem(&hs_ports, &port);
	if (!ps)
		health_inc(WS_H_HS_PORTS_FULL);
	return ps;
}

static __always_inline void hs_delete(struct hs_ctx *c)
{
	if (bpf_map_delete_elem(&hs_flows, &c->key))
		return; /* another CPU deleted it, or the LRU evicted it */
	__sync_fetch_and_add(&hs_pending[c->slot & (HS_FILTER_SLOTS - 1)], -1);
	hs_count(c, HS_FLOW_DELETES);
}

static __always_inline void hs_flow_init(struct hs_ctx *c, struct hs_flow *fl,
					 bool server)
{
	__builtin_memset(fl, 0, sizeof(*fl));
	fl->first_syn_ns = c->now;
	fl->last_syn_ns = c->now;
	fl->isn = c->pkt->seq;
	fl->state = HS_ST_SYN;
	fl->server = server;
}

static __always_inline void hs_count_new_syn(struct hs_ctx *c, bool server)
{
	struct hs_port_stats *ps;

	if (!server) {
		hs_count(c, HS_SYN_TX);
		return;
	}
	hs_count(c, HS_SYN_RX);
	ps = hs_port(c, false);
	if (ps)
		ps->syn_rx++;
}

/* A SYN without ACK: the only place a flow entry is created. */
static __always_inline void hs_on_syn(struct hs_ctx *c)
{
	bool server = c->dir == WS_RX;
	struct hs_port_stats *ps;
	struct hs_flow *fl, init;
	long err;

	fl = bpf_map_lookup_elem(&hs_flows, &c->key);
	if (!fl) {
		hs_flow_init(c, &init, server);
		err =
		    bpf_map_update_elem(&hs_flows, &c->key, &init, BPF_NOEXIST);
		if (!err) {
			__sync_fetch_and_add(
			    &hs_pending[c->slot & (HS_FILTER_SLOTS - 1)], 1);
			hs_count(c, HS_FLOW_INSERTS);
			hs_count_new_syn(c, server);
			return;
		}
		/* -EEXIST: the same SYN, inserted by another CPU just now. */
		if (err == -HS_EEXIST)
			fl = bpf_map_lookup_elem(&hs_flows, &c->key);
		if (!fl) {
			health_inc(WS_H_HS_FLOW_INSERT_FAILED);
			hs_count_new_syn(c, server);
			return;
		}
	}
	if (fl->isn != c->pkt->seq) {
		/* A new connection reusing the 4-tuple. */
		hs_flow_init(c, fl, server);
		hs_count_new_syn(c, server);
		return;
	}
	if (!server) {
		hs_count(c, HS_SYN_RETX_TX);
		fl->last_syn_ns = c->now;
		return;
	}
	hs_count(c, HS_SYN_RETX_RX);
	ps = hs_port(c, false);
	if (ps)
		ps->syn_retx_rx++;
	if (fl->state == HS_ST_SYN) {
		/* The client waited its RTO and no SYN-ACK ever left. */
		hs_count(c, HS_SYN_UNANSWERED);
		if (ps) {
			ps->unanswered++;
			ps->syn_site_drops++;
		}
	}
	fl->last_syn_ns = c->now;
	fl->state = HS_ST_SYN;
}

static __always_inline void hs_server_synack(struct hs_ctx *c,
					     struct hs_flow *fl)
{
	struct hs_port_stats *ps = hs_port(c, false);
	bool first = !fl->synack_ns;

	if (!ps && first) {
		/* The port answers: a listener.  Count the SYN it answers. */
		ps = hs_port(c, true);
		if (ps)
			ps->syn_rx++;
	}
	if (first) {
		hs_count(c, HS_SYNACK_TX);
		hs_observe_latency(c, HS_LEG_SERVER, fl->last_syn_ns);
		if (c->now - fl->last_syn_ns >= HS_UNANSWERED_NS) {
			hs_count(c, HS_SYN_UNANSWERED);
			if (ps)
				ps->unanswered++;
		}
		fl->server_isn = c->pkt->seq;
		fl->cookie = c->no_sk;
	} else {
		hs_count(c, HS_SYNACK_RETX_TX);
	}
	if (ps) {
		if (first)
			ps->synack_tx++;
		else
			ps->synack_retx_tx++;
		if (c->no_sk)
			ps->cookie_synacks++;
	}
	if (fl->state == HS_ST_ACKED) {
		/* The final ACK came in, yet the server asks again. */
		hs_count(c, HS_SERVER_ACK_LOST);
		if (ps) {
			ps->ack_lost++;
			ps->ack_site_drops++;
		}
	}
	fl->synack_ns = c->now;
	fl->state = HS_ST_SYNACK;
}

static __always_inline void hs_on_synack(struct hs_ctx *c)
{
	struct hs_flow *fl = bpf_map_lookup_elem(&hs_flows, &c->key);

	if (!fl) {
		health_inc(WS_H_HS_NO_FLOW);
		hs_count(c, c->dir == WS_RX ? HS_SYNACK_RX_NO_FLOW
					    : HS_SYNACK_TX_NO_FLOW);
		return;
	}
	if (fl->server) {
		hs_server_synack(c, fl);
		return;
	}
	if (fl->state != HS_ST_SYN)
		return; /* a duplicate SYN-ACK */
	hs_count(c, HS_SYNACK_RX);
	hs_observe_latency(c, HS_LEG_CONNECT, fl->first_syn_ns);
	fl->server_isn = c->pkt->seq;
	fl->synack_ns = c->now;
	fl->state = HS_ST_SYNACK;
}

static __always_inline bool hs_final_ack(struct hs_ctx *c, struct hs_flow *fl)
{
	return fl->state == HS_ST_SYNACK &&
	       (c->pkt->tcp_flags & (WS_TCP_ACK | WS_TCP_RST)) == WS_TCP_ACK &&
	       c->pkt->ack_seq == fl->server_isn + 1;
}

/* A packet from the initiator of a flow in progress. */
static __always_inline void hs_from_client(struct hs_ctx *c, struct hs_flow *fl)
{
	struct hs_port_stats *ps;

	if (c->pkt->tcp_flags & WS_TCP_RST) {
		hs_delete(c);
		return;
	}
	/*
	 * The final ACK and the segment behind it (data, a FIN) carry the same
	 * ack and may cross this hook on two CPUs at once: claim the handshake
	 * before anything slow.  Without compare-and-swap (5.12+) a window of
	 * a few ns remains, where both could count it.
	 */
	if (hs_final_ack(c, fl)) {
		fl->state = HS_ST_ACKED;
		fl->acked_ns = c->now;
		if (!fl->server) {
			hs_count(c, HS_CLIENT_DONE);
			return;
		}
		hs_count(c, HS_SERVER_ACKS);
		hs_observe_latency(c, HS_LEG_RTT, fl->synack_ns);
		ps = hs_port(c, false);
		if (ps)
			ps->acks++;
		return;
	}
	if (fl->state != HS_ST_ACKED)
		return;
	if (c->now - fl->acked_ns > HS_LINGER_NS) {
		hs_delete(c);
		return;
	}
	/*
	 * Data by the IP length: a frame's length counts Ethernet padding
	 * and, on XDP, VLAN tags.  A GSO packet with no IP length (BIG TCP)
	 * reads as none: no resend claimed.
	 */
	if (!fl->cookie || !c->pkt->payload)
		return;
	if (!fl->data_seq) {
		fl->data_seq = c->pkt->seq;
		return;
	}
	if (c->pkt->seq != fl->data_seq)
		return;
	/* Cookie ACK, then the client's data resent and the server silent. */
	hs_count(c, HS_SERVER_ACK_LOST);
	ps = hs_port(c, false);
	if (ps) {
		ps->ack_lost++;
		ps->cookie_drops++;
	}
	hs_delete(c);
}

/* A packet from the responder of a flow in progress (not a SYN-ACK). */
static __always_inline void hs_from_server(struct hs_ctx *c, struct hs_flow *fl)
{
	struct hs_port_stats *ps;

	if (!(c->pkt->tcp_flags & WS_TCP_RST)) {
		/*
		 * The server speaks: its socket exists, and it asks for no
		 * final ACK again (a SYN-ACK after it is no loss to a client).
		 */
		if (fl->state == HS_ST_ACKED)
			hs_delete(c);
		return;
	}
	if (fl->server && fl->state == HS_ST_ACKED) {
		/* tcp_abort_on_overflow: the final ACK answered by a RST. */
		hs_count(c, HS_SERVER_ACK_LOST);
		ps = hs_port(c, false);
		if (ps) {
			ps->ack_lost++;
			ps->rst_after_ack++;
		}
	} else if (!fl->server && fl->state == HS_ST_SYN) {
		hs_count(c, HS_CLIENT_RST);
	}
	hs_delete(c);
}

/* Not a SYN: only tuples with a handshake in progress get a lookup. */
static __always_inline void hs_on_other(struct hs_ctx *c, __u32 ifindex)
{
	struct hs_flow *fl;

	hs_make_key(c, ifindex, true);
	fl = bpf_map_lookup_elem(&hs_flows, &c->key);
	if (fl) {
		hs_from_client(c, fl);
		return;
	}
	hs_make_key(c, ifindex, false);
	fl = bpf_map_lookup_elem(&hs_flows, &c->key);
	if (fl)
		hs_from_server(c, fl);
}

static __always_inline void handshakes_observe(const struct ws_pkt *pkt,
					       __u32 ifindex, __u32 dir,
					       bool no_sk)
{
	struct hs_ctx c;
	__u32 zero = 0;
	__u8 f;

	if (!handshakes_enabled)
		return;
	c.pkt = pkt;
	c.slot = hs_slot(pkt) & (HS_FILTER_SLOTS - 1);
	f = pkt->tcp_flags;
	if (!(f & WS_TCP_SYN) && !hs_read_once(hs_pending[c.slot]))
		return;
	if ((f & WS_TCP_SYN) && (f & (WS_TCP_RST | WS_TCP_FIN)))
		return; /* nonsense flags */
	c.st = bpf_map_lookup_elem(&hs_stats, &zero);
	if (!c.st)
		return;
	c.now = bpf_ktime_get_ns();
	c.dir = dir;
	c.no_sk = no_sk;
	if (!(f & WS_TCP_SYN)) {
		hs_on_other(&c, ifindex);
	} else if (f & WS_TCP_ACK) {
		hs_make_key(&c, ifindex, false);
		hs_on_synack(&c);
	} else {
		hs_make_key(&c, ifindex, true);
		hs_on_syn(&c);
	}
}

/* ---- accept: tracepoints on listening sockets ---- */

static __always_inline bool accept_our_netns(const struct sock *sk)
{
	return !accept_netns_ino || BPF_CORE_READ(sk, __sk_common.skc_net.net,
						  ns.inum) == accept_netns_ino;
}

static __always_inline struct hs_listener_stats *
accept_listener(const struct sock *sk)
{
	struct hs_listener_stats zero = {}, *ls;
	struct hs_listener_key key = {};

	key.family = BPF_CORE_READ(sk, __sk_common.skc_family);
	key.port = BPF_CORE_READ(sk, __sk_common.skc_num);
	if (key.family == 2 /* AF_INET */)
		key.addr[0] = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
	else
		BPF_CORE_READ_INTO(
		    &key.addr, sk,
		    __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr32);
	ls = bpf_map_lookup_elem(&hs_listeners, &key);
	if (ls)
		return ls;
	bpf_map_update_elem(&hs_listeners, &key, &zero, BPF_NOEXIST);
	ls = bpf_map_lookup_elem(&hs_listeners, &key);
	if (!ls)
		health_inc(WS_H_ACCEPT_LISTENERS_FULL);
	return ls;
}

/*
 * A drop at the listener's ACK site (reason TCP_LISTEN_OVERFLOW, 6.15+),
 * which passes the listener as rx_sk (6.11+): called from ws_kfree_skb.
 */
static __always_inline void accept_on_drop(__u32 reason, struct sock *rx_sk)
{
	struct hs_listener_stats *ls;

	if (!accept_enabled ||
	    !bpf_core_enum_value_exists(enum skb_drop_reason,
					SKB_DROP_REASON_TCP_LISTEN_OVERFLOW) ||
	    reason != bpf_core_enum_value(enum skb_drop_reason,
					  SKB_DROP_REASON_TCP_LISTEN_OVERFLOW))
		return;
	if (!rx_sk || !accept_our_netns(rx_sk))
		return;
	ls = accept_listener(rx_sk);
	if (ls)
		__sync_fetch_and_add(&ls->kfree_overflows, 1);
}

SEC("tp_btf/tcp_retransmit_synack")
int BPF_PROG(ws_accept_synack_retrans, const struct sock *sk,
	     const struct request_sock *req)
{
	struct hs_listener_stats *ls;

	if (!sk || !accept_our_netns(sk))
		return 0;
	ls = accept_listener(sk);
	if (!ls)
		return 0;
	__sync_fetch_and_add(&ls->synack_retrans, 1);
	if (BPF_CORE_READ((struct inet_connection_sock *)sk,
			  icsk_accept_queue.rskq_defer_accept))
		ls->defer_accept = 1;
	return 0;
}

#endif
