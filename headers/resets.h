/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reset collector: shared between bpf/resets.bpf.h and user/resets.c.
 * XDP keeps a baseline per flow (the peer's TTL, IP-ID and TS clock, our
 * last send); every RST on the wire and every kernel reset decision goes to
 * user space as one struct rst_event through a rate-limited ring buffer.
 */
#ifndef WS_RESETS_H
#define WS_RESETS_H

#include "ws_types.h"

#define RST_FLOWS_DEFAULT 65536
#define RST_RINGBUF_BYTES (256 * 1024)
#define RST_RATE_DEFAULT  200 /* events per second per CPU */
#define RST_BURST_DEFAULT 100

/* A flow as seen from this host: local and remote end. */
struct rst_flow_key {
	__u32 laddr[4]; /* network byte order; IPv4 uses [0] */
	__u32 raddr[4];
	__u16 lport; /* host byte order */
	__u16 rport;
	__u32 family; /* 4 or 6 */
};

/*
 * The presence filter in front of rst_flows: one byte per slot, bit 0 and
 * bit 1 its two halves.  A segment that can only update a baseline (no SYN,
 * no payload) looks the table up only if its slot's bit of the half in use
 * is set, so a flood of bare ACKs to tuples we never saw costs a byte, not
 * a cold bucket.  An insert sets both bits; user space rebuilds the idle
 * half from the table and swaps, which drops the marks of evicted flows.
 * 2^18 slots: a full default table marks at most a quarter of them.
 */
#define RST_PRESENT_BITS  18
#define RST_PRESENT_SLOTS (1U << RST_PRESENT_BITS)
#define RST_PRESENT_BOTH  3
#define RST_PRESENT_LINE  64 /* slots per entry of the rst_present array */

struct rst_present_line {
	__u8 slot[RST_PRESENT_LINE];
};

/* A hash of the flow: each set of odd multipliers @m0..@m2 gives one. */
static inline __u32 rst_flow_hash(const struct rst_flow_key *k, __u32 m0,
				  __u32 m1, __u32 m2)
{
	__u32 h = (k->laddr[0] ^ k->laddr[1] ^ k->laddr[2] ^ k->laddr[3]) * m0;

	h ^= k->raddr[0] ^ k->raddr[1] ^ k->raddr[2] ^ k->raddr[3];
	h ^= ((__u32)k->lport << 16 | k->rport) * m1;
	h ^= h >> 15;
	h *= m2;
	h ^= h >> 13;
	return h;
}

static inline __u32 rst_present_slot(const struct rst_flow_key *k)
{
	return rst_flow_hash(k, 0x9e3779b1U, 0x85ebca6bU, 0xc2b2ae35U) &
	       (RST_PRESENT_SLOTS - 1);
}

/*
 * The gate in front of rst_flows' lookup: a busy flow's segments within one
 * tick of the baseline's last update, like it in TTL, TCP flags and
 * payload-or-not, skip the lookup and only count themselves here, up to
 * resets_gate_segs wire segments.  So a baseline lags at most that many
 * segments (a few more if two CPUs count at once) and one tick; idle times
 * read the tick clock, so they stay exact.  What lags is the peer's IP-ID
 * and TSval and our ACK and send sequence: an RST event says by how much
 * (rst_event.behind, rx_lag).  One entry per slot and direction,
 * direct-mapped: another flow in the slot (tag differs) takes it over, and
 * the flow's rst_flow.gated_* say its lag is then unknown.
 */
#define RST_GATE_BITS	      10
#define RST_GATE_SLOTS	      (1U << RST_GATE_BITS)
#define RST_GATE_SEGS_DEFAULT 256
#define RST_GATE_OFF	      0xff

struct rst_gate {
	__u32 tag;  /* rst_gate_tag() of the flow, 0: empty */
	__u32 tick; /* jiffies of the baseline's update, low 32 bits */
	__u16 segs; /* wire segments since, not in the baseline */
	__u8 ttl;
	__u8 tcp_flags;
	__u8 data; /* payload or not; RST_GATE_OFF: lets nothing by */
	__u8 pad[3];
};

/* A second hash of the flow, other than rst_present_slot()'s; never 0. */
static inline __u32 rst_gate_tag(const struct rst_flow_key *k)
{
	return rst_flow_hash(k, 0x27d4eb2fU, 0x165667b1U, 0x85ebca77U) | 1;
}

/* rst_flow.flags */
#define RST_F_RX_SEEN 0x01 /* a packet from the peer was seen */
#define RST_F_TX_SEEN 0x02 /* a packet of ours was seen */
#define RST_F_PEER_TS 0x04 /* the peer sends TCP timestamps */
#define RST_F_SYN     0x08 /* the baseline starts at the handshake */
#define RST_F_FIN_RX  0x10 /* the peer's FIN was seen */
#define RST_F_FIN_TX  0x20 /* our FIN was seen */
#define RST_F_RST_TX  0x40 /* an RST of ours was seen */
#define RST_F_TS_FIRST 0x80 /* peer_tsval_first holds one */
#define RST_F_CLOSED  (RST_F_FIN_RX | RST_F_FIN_TX)

#define RST_TS_FIRST_MS_MAX 0xffffffffU /* peer_ts_first_ms: this or later */

/* rst_flow.last_tx_kind: only data and probes can provoke an RST. */
#define RST_TX_ACK   0 /* a pure ACK (or a challenge ACK) */
#define RST_TX_DATA  1 /* payload, SYN or FIN */
#define RST_TX_PROBE 2 /* a keepalive probe: no data, seq = snd_nxt - 1 */

/* The baseline: updated in place by XDP (peer) and tc egress (us). */
struct rst_flow {
	__u64 first_ns;	  /* the first packet (tick clock: rst_now_coarse()) */
	__u64 last_rx_ns; /* the peer's last non-RST packet */
	__u64 last_tx_ns; /* our last non-RST packet */
	__u64 tx_gap_ns;  /* idle time of the flow before our last send */
	__u64 rst_rx_ns;  /* last RST received, 0 if none */
	__u32 peer_tsval; /* the peer's last TSval */
	/* The peer's first TSval after its SYN (a SYN-ACK's may be a
	 * syncookie's) or a new connection's, and its time (ms after
	 * first_ns): with the last, what its TS clock runs at. */
	__u32 peer_tsval_first;
	__u32 peer_ts_first_ms;
	__u32 our_ack;	  /* ack of our last segment: the kernel's rcv_nxt */
	__u32 our_snd_nxt;
	__u32 rx_pkts;
	__u32 tx_pkts;
	__u32 rx_data_after_rst; /* peer data segments since the last RST */
	__u16 peer_ip_id;
	__u8 ttl_min; /* the peer's TTL / hop limit */
	__u8 ttl_max;
	__u8 ttl_last;
	__u8 flags;
	__u8 last_tx_flags; /* TCP flags of our last segment */
	__u8 last_tx_kind;  /* RST_TX_*: what our last segment was */
	/* The gate was armed since this way's last update: its lag is counted
	 * in the slot (one byte each: two CPUs write them). */
	__u8 gated_rx;
	__u8 gated_tx;
	__u8 pad[6];
};

/* rst_event.behind */
#define RST_BEHIND_RX 0x01 /* the peer's: its IP-ID and TSval */
#define RST_BEHIND_TX	0x02 /* ours: our_ack (our data is never let by) */
#define RST_LAG_UNKNOWN 0xffff /* the slot was taken over: up to the budget */

enum rst_kind {
	RST_WIRE = 0,	 /* an RST on a watched interface (or lo) */
	RST_TP_SEND = 1, /* tcp:tcp_send_reset: this kernel sends one */
	RST_TP_RECV = 2, /* tcp:tcp_receive_reset: a socket accepted one */
	RST_TP_DROP = 3, /* skb:kfree_skb of an RST: the kernel refused it */
};

struct rst_event {
	__u64 ts_ns;
	struct rst_flow_key key;
	__u32 ifindex;
	__u32 seq; /* host byte order */
	__u32 ack;
	__u32 tsval;
	__u32 tsecr;
	__u32 reason; /* sk_rst_reason (SEND) or skb_drop_reason (DROP) */
	__u32 state;  /* socket state for SEND/RECV, 0 if none */
	__u16 ip_id;
	__u8 kind; /* enum rst_kind */
	__u8 dir;  /* enum ws_dir: RX = sent by the peer side */
	__u8 ttl;
	__u8 tcp_flags;
	__u8 opts; /* WS_OPT_* bits (parse.h) */
	__u8 has_flow;
	/* Sent: received on an interface of this host and routed out (a
	 * container's, a VM's, a routed host's), its source maybe our NAT's. */
	__u8 forwarded;
	/* RST_BEHIND_*: the baseline lags segments the gate let by. */
	__u8 behind;
	/* The peer's segments let by since its baseline, or RST_LAG_UNKNOWN. */
	__u16 rx_lag;
	struct rst_flow flow; /* baseline just before this RST */
};

/*
 * Baselines inserted and deleted (closed flows), per CPU: what is neither
 * in rst_flows nor deleted was evicted by the LRU.
 */
enum rst_stat {
	RST_STAT_INSERTS = 0,
	RST_STAT_DELETES = 1,
	RST_NSTATS = 2,
};

/* Token bucket, one per CPU. */
struct rst_bucket {
	__u64 last_ns;
	__u64 tokens;
};

_Static_assert(sizeof(struct rst_flow_key) == 40, "rst_flow_key layout");
_Static_assert(sizeof(struct rst_flow) == 88, "rst_flow layout");
_Static_assert(sizeof(struct rst_event) == 176, "rst_event layout");
_Static_assert(sizeof(struct rst_gate) == 16, "rst_gate layout");

#endif
